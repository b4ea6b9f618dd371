#include "conf/ce_conf.h"
#include "conf/json_get.h"
#include "conf/tunnel_conf.h"
#include "lib/err.h"

#include <string.h>
#include <time.h>

int s46_ce_options_from_json(const json_t *doc, s46_ce_conf *c, char *err, size_t errlen)
{
    json_t *f = json_object_get(doc, "filter");
    if (f) {
        const char *fs = json_is_string(f) ? json_string_value(f) : "";
        if (!strcmp(fs, "adf") || !strcmp(fs, "address-dependent"))
            c->napt.filter = S46_NAPT_FILTER_ADF;
        else if (!strcmp(fs, "eif") || !strcmp(fs, "endpoint-independent"))
            c->napt.filter = S46_NAPT_FILTER_EIF;
        else {
            s46_seterr(err, errlen, "filter: must be \"adf\" or \"eif\"");
            return -1;
        }
    }
    s46_napt_config *n = &c->napt;
    if (s46_json_ip4(doc, "lan_ipv4", &c->lan_ipv4, err, errlen) < 0 ||
        s46_tunnel_conf_from_json(doc, &c->ipv6_mtu, &c->hop_limit, &c->encap_limit, err,
                                  errlen) < 0 ||
        s46_json_u16(doc, "lowest_ipv6_mtu", 1280, 65535, &c->lowest_ipv6_mtu, err, errlen) < 0 ||
        s46_json_u32(doc, "udp_timeout", 120, 86400, &n->udp_timeout, err, errlen) < 0 ||
        s46_json_u32(doc, "dns_timeout", 10, 86400, &n->udp_short_timeout, err, errlen) < 0 ||
        s46_json_u32(doc, "tcp_established_timeout", 7440, 864000, &n->tcp_est_timeout, err,
                     errlen) < 0 ||
        s46_json_u32(doc, "tcp_transitory_timeout", 240, 86400, &n->tcp_trans_timeout, err,
                     errlen) < 0 ||
        s46_json_u32(doc, "icmp_timeout", 60, 86400, &n->icmp_timeout, err, errlen) < 0 ||
        s46_json_u32(doc, "max_mappings", 16, 1u << 22, &n->max_mappings, err, errlen) < 0 ||
        s46_json_u32(doc, "max_sessions", 16, 1u << 22, &n->max_sessions, err, errlen) < 0)
        return -1;
    n->seed = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)c << 16);
    return 0;
}
