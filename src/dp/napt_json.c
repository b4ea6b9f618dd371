#include "dp/napt_json.h"
#include "lib/addr.h"

json_t *s46_napt_state_json(const s46_napt *n, s46_napt_filter filter)
{
    s46_napt_stats st;
    s46_napt_stats_get(n, &st);
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:s,s:i}", "mappings", st.mappings, "sessions",
                     st.sessions, "ports_total", st.ports_total, "ports_used_tcp",
                     st.ports_used[0], "ports_used_udp", st.ports_used[1], "ports_used_icmp",
                     st.ports_used[2], "filtering",
                     filter == S46_NAPT_FILTER_EIF ? "endpoint-independent"
                                                   : "address-dependent",
                     "bytes_per_mapping", st.bytes_per_mapping + st.bytes_per_session);
}

struct walk_ctx { json_t *arr; unsigned left; };

static bool walk_one(const s46_napt_mapping_info *mi, void *arg)
{
    struct walk_ctx *w = arg;
    char b[S46_IP4_STRLEN];
    static const char *const names[] = {"tcp", "udp", "icmp"};
    if (w->left == 0)
        return false;
    w->left--;
    json_array_append_new(w->arr, json_pack("{s:s,s:s,s:i,s:i,s:i,s:I}", "proto",
                                            names[mi->proto], "internal",
                                            s46_ip4_format(mi->int_addr, b), "internal_port",
                                            mi->int_port, "external_port", mi->ext_port,
                                            "sessions", mi->sessions, "expires",
                                            (json_int_t)mi->expires));
    return true;
}

json_t *s46_napt_mappings_json(const s46_napt *n, unsigned max)
{
    json_t *maps = json_array();
    if (!maps)
        return NULL;
    struct walk_ctx w = {maps, max};
    s46_napt_walk(n, walk_one, &w);
    return maps;
}
