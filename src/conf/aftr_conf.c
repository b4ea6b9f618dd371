#include "conf/aftr_conf.h"

#include <stdlib.h>
#include <string.h>

#include "conf/cgn_conf.h"
#include "conf/json_get.h"
#include "conf/tunnel_conf.h"
#include "lib/err.h"

bool s46_aftr_settings_is(const json_t *doc)
{
    return json_is_object(json_object_get(doc, "aftr"));
}

int s46_aftr_settings_from_json(const json_t *doc, s46_aftr_settings *s, char *err,
                                size_t errlen)
{
    memset(s, 0, sizeof *s);
    s46_aftr_conf *c = &s->c;
    s46_aftr_conf_default(c);
    const json_t *o = json_object_get(doc, "aftr");
    if (!o)
        o = doc;
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "aftr: must be an object");
        return -1;
    }
    if (!json_object_get(o, "ipv6")) {
        s46_seterr(err, errlen, "aftr.ipv6: required (the AFTR address)");
        return -1;
    }
    if (s46_json_ip6(o, "ipv6", &c->aftr6, err, errlen) < 0 ||
        s46_json_ip4(o, "ipv4", &c->aftr4, err, errlen) < 0 ||
        s46_tunnel_conf_from_json(o, &c->ipv6_mtu, &c->hop_limit, &c->encap_limit, err,
                                  errlen) < 0 ||
        s46_json_u16(o, "ipv4_mtu", 68, 9000, &c->ipv4_mtu, err, errlen) < 0 ||
        s46_json_u32(o, "icmp_rate", 0, 100000, &c->icmp_rate, err, errlen) < 0 ||
        s46_json_bool(o, "hairpin", &c->hairpin, err, errlen) < 0)
        return -1;
    s46_cgn_settings g;
    if (s46_cgn_settings_from_json(o, "pool", &c->cgn, &g, err, errlen) < 0)
        return -1;
    s->pool = g.pool;
    s->excluded = g.excluded;
    s->has_log = g.has_log;
    s->log = g.log;
    return 0;
}

void s46_aftr_settings_free(s46_aftr_settings *s)
{
    free(s->pool);
    free(s->excluded);
    free((char *)s->log.path);
    free((char *)s->log.syslog);
    s->pool = s->excluded = NULL;
    s->log.path = s->log.syslog = NULL;
    s->c.cgn.pool = s->c.cgn.excluded = NULL;
}
