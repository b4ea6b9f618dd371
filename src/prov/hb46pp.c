#include "prov/hb46pp.h"

#include "lib/rfc6052.h"
#include "prov/endpoint.h"
#include "prov/lw4o6.h"
#include "prov/mape.h"
#include "prov/query.h"
#include "lib/addr.h"
#include "lib/err.h"
#include "lib/ruleset.h"

#include <stdio.h>
#include <string.h>

static const char *const mechs[] = {"464xlat", "dslite", "ipip", "lw4o6", "map_e", "map_t"};
#define NMECH (sizeof mechs / sizeof mechs[0])

/* An endpoint address text: parsed, global unicast. -1 with err. */
static int endpoint_ok(const char *s, s46_ip6 *a, const char *where, const char *key,
                       char *err, size_t errlen)
{
    if (s46_ip6_parse(s, a) < 0) {
        s46_seterr(err, errlen, "%s.%s: not an IPv6 address", where, key);
        return -1;
    }
    const char *why = s46_hb46pp_endpoint_bad(a);
    if (why) {
        s46_seterr(err, errlen, "%s.%s: %s cannot be a tunnel endpoint", where, key, why);
        return -1;
    }
    return 0;
}

static const char *str_member(const json_t *o, const char *key, const char *where, bool req,
                              char *err, size_t errlen, int *rc)
{
    json_t *v = json_object_get(o, key);
    *rc = 0;
    if (!v) {
        if (req) {
            s46_seterr(err, errlen, "%s.%s: missing", where, key);
            *rc = -1;
        }
        return NULL;
    }
    if (!json_is_string(v)) {
        s46_seterr(err, errlen, "%s.%s: must be a string", where, key);
        *rc = -1;
        return NULL;
    }
    return json_string_value(v);
}

static int host_ok(const json_t *o, const char *key, const char *where, char *err,
                   size_t errlen)
{
    int rc;
    const char *s = str_member(o, key, where, true, err, errlen, &rc);
    s46_ip6 a;
    if (rc < 0)
        return -1;
    if (!strchr(s, ':') && s46_hb46pp_fqdn_ok(s))
        return 0; /* its address is checked where it is resolved */
    if (s46_ip6_parse(s, &a) == 0)
        return endpoint_ok(s, &a, where, key, err, errlen);
    s46_seterr(err, errlen, "%s.%s: must be an IPv6 address or a DNS name", where, key);
    return -1;
}

static int pfx6_ok(const json_t *o, const char *key, const char *where, s46_pfx6 *p,
                   char *err, size_t errlen)
{
    int rc;
    char e[S46_ERRLEN];
    const char *s = str_member(o, key, where, true, err, errlen, &rc);
    if (rc < 0)
        return -1;
    if (s46_pfx6_parse(s, p, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "%s.%s: %s", where, key, e);
        return -1;
    }
    return 0;
}

static int check_mape(const json_t *o, const char *where, size_t max, bool check_br,
                      char *err, size_t errlen)
{
    s46_mape_cfg c;
    char e[S46_ERRLEN];
    if (s46_mape_from_json(o, max, &c, e, sizeof e) < 0) {
        /* mape.c names fields relative to the object; add the member name
         * unless it already starts with it. */
        if (strncmp(e, where, strlen(where)) == 0)
            s46_seterr(err, errlen, "%s", e);
        else
            s46_seterr(err, errlen, "%s: %s", where, e);
        return -1;
    }
    /* The rule set the CE builds from these rules: whatever it refuses
     * (the same IPv6 prefix twice, one IPv4 prefix with overlapping port
     * sets) is refused here, by the same code. */
    s46_ruleset *rs = s46_ruleset_new(c.rules, c.nrules, e, sizeof e);
    int rc = 0;
    if (!rs) {
        s46_seterr(err, errlen, "%s.rules: %s", where, e);
        rc = -1;
    }
    s46_ruleset_free(rs);
    if (rc == 0 && check_br) {
        const char *why = s46_hb46pp_endpoint_bad(&c.br);
        if (why) {
            s46_seterr(err, errlen, "%s.br: %s cannot be a tunnel endpoint", where, why);
            rc = -1;
        }
        /* Every address of a Rule IPv6 prefix lies in some CE's End-user
         * prefix: a BR there would be a subscriber's address (for the CE
         * of that prefix, its own MAP address). */
        for (size_t i = 0; rc == 0 && i < c.nrules; i++)
            if (s46_pfx6_contains(&c.rules[i].ipv6, &c.br)) {
                s46_seterr(err, errlen, "%s.br: inside rules[%zu]'s IPv6 prefix (a CE's "
                           "address, not a BR's)", where, i);
                rc = -1;
            }
    }
    s46_mape_free(&c);
    return rc;
}

static int check_mapt(const json_t *o, char *err, size_t errlen)
{
    s46_pfx6 dmr;
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "map_t: must be an object");
        return -1;
    }
    if (pfx6_ok(o, "dmr", "map_t", &dmr, err, errlen) < 0)
        return -1;
    if (dmr.len > 96 || dmr.len % 8) {
        /* RFC 6052 lengths plus /64 etc.: any multiple of 8 up to 96. */
        s46_seterr(err, errlen, "map_t.dmr: prefix length must be a multiple of 8, <= 96");
        return -1;
    }
    /* Rules share the MAP-E shape; reuse its validator via a shallow copy
     * without br (map_t has no BR). */
    json_t *rules = json_object_get(o, "rules");
    if (!json_is_array(rules)) {
        s46_seterr(err, errlen, "map_t.rules: %s", rules ? "must be an array" : "missing");
        return -1;
    }
    if (json_array_size(rules) > S46_HB46PP_MAX_MAPT_RULES) {
        s46_seterr(err, errlen, "map_t.rules: %zu rules, at most %d", json_array_size(rules),
                   S46_HB46PP_MAX_MAPT_RULES);
        return -1;
    }
    json_t *tmp = json_pack("{s:s,s:O}", "br", "::", "rules", rules); /* br: not checked */
    if (!tmp) {
        s46_seterr(err, errlen, "map_t: out of memory");
        return -1;
    }
    int rc = check_mape(tmp, "map_t", S46_HB46PP_MAX_MAPT_RULES, false, err, errlen);
    json_decref(tmp);
    return rc;
}

static int check_lw4o6(const json_t *o, char *err, size_t errlen)
{
    s46_lw4o6_cfg c;
    return s46_lw4o6_from_json(o, &c, err, errlen);
}

/* 464xlat (RFC 6877): nat64prefix optional (none: the CE discovers it,
 * RFC 7050); an RFC 6052 length, a global unicast prefix, and the
 * Well-Known Prefix only as 64:ff9b::/96 (RFC 6052 §2.1). */
static int check_xlat(const json_t *o, char *err, size_t errlen)
{
    s46_pfx6 p;
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "464xlat: must be an object");
        return -1;
    }
    if (!json_object_get(o, "nat64prefix"))
        return 0;
    if (pfx6_ok(o, "nat64prefix", "464xlat", &p, err, errlen) < 0)
        return -1;
    if (!s46_rfc6052_len_ok(p.len)) {
        s46_seterr(err, errlen, "464xlat.nat64prefix: length must be 32, 40, 48, 56, 64 or 96");
        return -1;
    }
    static const s46_ip6 wkp = {{0, 0x64, 0xff, 0x9b}};
    const char *why = s46_hb46pp_endpoint_bad(&p.addr);
    if (why) {
        s46_seterr(err, errlen, "464xlat.nat64prefix: not global unicast (%s)", why);
        return -1;
    }
    if (s46_ip6_prefix_eq(&p.addr, &wkp, p.len < 96 ? p.len : 96) && p.len != 96) {
        s46_seterr(err, errlen, "464xlat.nat64prefix: the Well-Known Prefix is 64:ff9b::/96 only");
        return -1;
    }
    return 0;
}

static int check_ipip(const json_t *a, char *err, size_t errlen)
{
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 256) {
        s46_seterr(err, errlen, "ipip: must be an array of 1..256 objects");
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        char where[32];
        int rc;
        s46_ip6 x[2];
        s46_pfx4 p4;
        char pe[S46_ERRLEN];
        snprintf(where, sizeof where, "ipip[%zu]", i);
        if (!json_is_object(e)) {
            s46_seterr(err, errlen, "%s: must be an object", where);
            return -1;
        }
        static const char *const k6[] = {"ipv6_local", "ipv6_remote"};
        for (int j = 0; j < 2; j++) {
            const char *s = str_member(e, k6[j], where, true, err, errlen, &rc);
            if (rc < 0 || endpoint_ok(s, &x[j], where, k6[j], err, errlen) < 0)
                return -1;
        }
        if (s46_ip6_eq(&x[0], &x[1])) {
            s46_seterr(err, errlen, "%s.ipv6_remote: the same address as ipv6_local", where);
            return -1;
        }
        const char *s = str_member(e, "ipv4", where, true, err, errlen, &rc);
        if (rc < 0)
            return -1;
        if (s46_pfx4_parse_or_host(s, &p4, pe, sizeof pe) < 0) {
            s46_seterr(err, errlen, "%s.ipv4: %s", where, pe);
            return -1;
        }
        if (p4.len == 0) { /* what the CE's tunnel refuses (dp/ce_tunnel.h) */
            s46_seterr(err, errlen, "%s.ipv4: a prefix of length 1..32 is needed", where);
            return -1;
        }
    }
    return 0;
}

static int check_mech(const char *m, const json_t *o, char *err, size_t errlen)
{
    if (!strcmp(m, "map_e"))
        return check_mape(o, "map_e", S46_HB46PP_MAX_MAPE_RULES, true, err, errlen);
    if (!strcmp(m, "map_t"))
        return check_mapt(o, err, errlen);
    if (!strcmp(m, "dslite")) {
        if (!json_is_object(o)) {
            s46_seterr(err, errlen, "dslite: must be an object");
            return -1;
        }
        return host_ok(o, "aftr", "dslite", err, errlen);
    }
    if (!strcmp(m, "lw4o6"))
        return check_lw4o6(o, err, errlen);
    if (!strcmp(m, "464xlat"))
        return check_xlat(o, err, errlen);
    return check_ipip(o, err, errlen);
}

int s46_hb46pp_validate(const json_t *r, unsigned flags, bool *token_dropped, char *err,
                        size_t errlen)
{
    if (token_dropped)
        *token_dropped = false;
    if (!json_is_object(r)) {
        s46_seterr(err, errlen, "response: must be a JSON object");
        return -1;
    }
    static const char *const names[] = {"enabler_name", "service_name", "isp_name"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(r, names[i]);
        if (!v)
            continue;
        if (!json_is_string(v) || json_string_length(v) > S46_HB46PP_MAX_NAME) {
            s46_seterr(err, errlen, "%s: must be a string of at most %d bytes", names[i],
                       S46_HB46PP_MAX_NAME);
            return -1;
        }
    }
    json_t *v = json_object_get(r, "ttl");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
              json_integer_value(v) > S46_HB46PP_MAX_TTL)) {
        s46_seterr(err, errlen, "ttl: must be an integer 0..%d", S46_HB46PP_MAX_TTL);
        return -1;
    }
    v = json_object_get(r, "token");
    if (v && !(json_is_string(v) && s46_q_token_ok(json_string_value(v)))) {
        if (!(flags & S46_HB46PP_LENIENT_TOKEN)) {
            s46_seterr(err, errlen, "token: must be 64 lowercase hex digits");
            return -1;
        }
        if (token_dropped)
            *token_dropped = true;
    }
    v = json_object_get(r, "auth");
    if (v) {
        const char *a = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(a, "req") && strcmp(a, "bad") && strcmp(a, "ok")) {
            s46_seterr(err, errlen, "auth: must be \"req\", \"bad\" or \"ok\"");
            return -1;
        }
    }
    json_t *order = json_object_get(r, "order");
    if (!json_is_array(order)) {
        s46_seterr(err, errlen, "order: %s", order ? "must be an array" : "missing");
        return -1;
    }
    unsigned seen = 0;
    size_t i;
    json_array_foreach(order, i, v) {
        size_t m = NMECH;
        if (json_is_string(v))
            for (m = 0; m < NMECH && strcmp(mechs[m], json_string_value(v)); m++)
                ;
        if (m == NMECH) {
            s46_seterr(err, errlen, "order[%zu]: unknown mechanism", i);
            return -1;
        }
        if (seen & (1u << m)) {
            s46_seterr(err, errlen, "order[%zu]: %s listed twice", i, mechs[m]);
            return -1;
        }
        seen |= 1u << m;
        if (!json_object_get(r, mechs[m])) {
            s46_seterr(err, errlen, "order[%zu]: %s listed without its object", i, mechs[m]);
            return -1;
        }
    }
    for (size_t m = 0; m < NMECH; m++) {
        json_t *o = json_object_get(r, mechs[m]);
        if (o && check_mech(mechs[m], o, err, errlen) < 0)
            return -1;
    }
    return 0;
}

json_t *s46_hb46pp_parse(const char *text, size_t len, unsigned flags, char *err,
                         size_t errlen)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        s46_seterr(err, errlen, "JSON line %d: %s", je.line, je.text);
        return NULL;
    }
    if (s46_hb46pp_validate(j, flags, NULL, err, errlen) < 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}
