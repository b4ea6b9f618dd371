/* The differential property of the HB46PP validator (issue 16): whatever
 * s46_hb46pp_validate accepts, the CE can build and run. For an accepted
 * answer: map_e's rules build a rule set; for each rule, a CE whose
 * End-user prefix lies in it derives its parameters (and, when build_ce, a
 * whole CE with its NAPT is created), and its MAP address is not the BR;
 * map_t's rules build a rule set; an ipip entry and a dslite AFTR given as
 * an address make a tunnel the CE accepts. Shared by the unit test
 * (tests/unit/test_prov_hb46pp_diff.c) and the libFuzzer target
 * (tests/fuzz/fuzz_hb46pp.c). Returns NULL, or what failed (why holds
 * the library's message). */
#ifndef S46_TEST_HB46PP_DIFF_H
#define S46_TEST_HB46PP_DIFF_H
#include <stdio.h>
#include <string.h>

#include "dp/ce_mape.h"
#include "dp/ce_tunnel.h"
#include "lib/ruleset.h"
#include "prov/hb46pp.h"
#include "prov/mape.h"

static const char *hb46pp_diff_rules(const json_t *obj, size_t max, bool is_mape, bool build_ce,
                                     unsigned salt, char *why, size_t whylen)
{
    s46_mape_cfg m;
    if (s46_mape_from_json(obj, max, &m, why, whylen) < 0)
        return "accepted rules do not parse";
    s46_ruleset *rs = s46_ruleset_new(m.rules, m.nrules, why, whylen);
    const char *bad = rs ? NULL : "accepted rules do not build a rule set";
    s46_ruleset_free(rs);
    for (size_t i = 0; is_mape && !bad && i < m.nrules; i++) {
        const s46_maprule *r = &m.rules[i];
        s46_ce_conf c;
        s46_ce_conf_default(&c);
        c.rules = m.rules;
        c.nrules = m.nrules;
        c.br = m.br;
        c.mesh = m.mesh;
        c.layout = s46_mape_layout(&m);
        c.eu_prefix.addr = r->ipv6.addr;
        c.eu_prefix.len = (uint8_t)(r->ipv6.len + r->ea_len);
        /* some EA bits (the PSID must exist for the CE to be valid) */
        unsigned ea = r->ea_len > 16 ? 16 : r->ea_len;
        if (ea)
            s46_ip6_set_bits(&c.eu_prefix.addr, r->ipv6.len + r->ea_len - ea, ea,
                             (salt * 2654435761u + i) & ((1u << ea) - 1));
        s46_ce_params p;
        if (s46_ce_params_of(&c, &p, why, whylen) < 0)
            bad = "a CE of an accepted rule cannot derive its parameters";
        else if (s46_ip6_eq(&p.map_addr, &m.br))
            bad = "an accepted BR is a CE's own MAP address";
        else if (build_ce) {
            s46_ce *ce = s46_ce_new(&c, why, whylen);
            if (!ce)
                bad = "a CE of an accepted answer cannot be created";
            s46_ce_free(ce);
        }
    }
    s46_mape_free(&m);
    return bad;
}

static const char *hb46pp_diff_check(const json_t *resp, bool build_ce, unsigned salt, char *why,
                                     size_t whylen)
{
    char err[S46_ERRLEN];
    if (s46_hb46pp_validate(resp, S46_HB46PP_LENIENT_TOKEN, NULL, err, sizeof err) < 0)
        return NULL; /* refused: nothing to run */
    const char *bad = NULL;
    json_t *o = json_object_get(resp, "map_e");
    if (o)
        bad = hb46pp_diff_rules(o, S46_HB46PP_MAX_MAPE_RULES, true, build_ce, salt, why, whylen);
    o = json_object_get(resp, "map_t");
    if (!bad && o) {
        json_t *tmp = json_pack("{s:s,s:O}", "br", "2001:db8:ffff::1", "rules",
                                json_object_get(o, "rules"));
        bad = hb46pp_diff_rules(tmp, S46_HB46PP_MAX_MAPT_RULES, false, false, salt, why, whylen);
        json_decref(tmp);
    }
    s46_cet_conf t;
    o = json_array_get(json_object_get(resp, "ipip"), 0);
    if (!bad && o) {
        s46_cet_conf_default(&t);
        t.kind = S46_CET_IPIP;
        s46_ip6_parse(json_string_value(json_object_get(o, "ipv6_local")), &t.local);
        s46_ip6_parse(json_string_value(json_object_get(o, "ipv6_remote")), &t.remote);
        s46_pfx4_parse_or_host(json_string_value(json_object_get(o, "ipv4")), &t.ipv4, NULL, 0);
        s46_cet *c = s46_cet_new(&t, why, whylen);
        if (!c)
            bad = "an accepted ipip entry makes no tunnel";
        s46_cet_free(c);
    }
    const char *aftr = json_string_value(json_object_get(json_object_get(resp, "dslite"), "aftr"));
    if (!bad && aftr && strchr(aftr, ':')) {
        s46_cet_conf_default(&t);
        t.kind = S46_CET_DSLITE;
        s46_ip6_parse(aftr, &t.remote);
        s46_ip6_parse("2001:db8:ffff:fff0::b4", &t.local);
        if (s46_ip6_eq(&t.local, &t.remote))
            return NULL;
        s46_cet *c = s46_cet_new(&t, why, whylen);
        if (!c)
            bad = "an accepted AFTR address makes no tunnel";
        s46_cet_free(c);
    }
    return bad;
}
#endif
