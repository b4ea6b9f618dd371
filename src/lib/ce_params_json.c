#include "lib/ce_params_json.h"

#include <stdlib.h>

json_t *s46_ce_params_json(const s46_ce_params *p, s46_iid_layout layout)
{
    char b[S46_PFX6_STRLEN];
    uint32_t nr = s46_portset_range_count(p->psid_offset, p->psid_len);
    s46_port_range *rg = malloc(nr * sizeof *rg);
    json_t *o = json_object(), *ports = json_array();
    if (!rg || !o || !ports) {
        free(rg);
        json_decref(o);
        json_decref(ports);
        return NULL;
    }
    s46_portset_ranges(p->psid_offset, p->psid_len, p->psid, rg, nr);
    for (uint32_t i = 0; i < nr; i++)
        json_array_append_new(ports, json_pack("[ii]", rg[i].first, rg[i].last));
    free(rg);
    json_object_set_new(o, "prefix", json_string(s46_pfx6_format(&p->eu_prefix, b)));
    json_object_set_new(o, "ipv4", json_string(s46_ip4_format(p->ipv4, b)));
    json_object_set_new(o, "ipv4_prefix_len", json_integer(p->ipv4_len));
    json_object_set_new(o, "psid", json_integer(p->psid));
    json_object_set_new(o, "psid_len", json_integer(p->psid_len));
    json_object_set_new(o, "psid_offset", json_integer(p->psid_offset));
    json_object_set_new(o, "ports", ports);
    json_object_set_new(o, "port_count",
                        json_integer(s46_portset_count(p->psid_offset, p->psid_len)));
    json_object_set_new(o, "ce_ipv6", json_string(s46_ip6_format(&p->map_addr, b)));
    json_object_set_new(o, "iid", json_string(s46_iid_layout_name(layout)));
    return o;
}
