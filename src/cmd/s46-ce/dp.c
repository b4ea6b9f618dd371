/* s46-ce's running data plane: one mechanism at a time (or none), built
 * from a plan, switched at run time, with the TUN routes it needs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ce.h"
#include "conf/mapt_conf.h"
#include "io/rtnl.h"
#include "lib/err.h"
#include "prov/dns.h"
#include "prov/hb46pp.h"
#include "prov/lw4o6.h"
#include "conf/clat_conf.h"
#include "lib/rfc7050.h"

const char *ce_mech_name(int mech)
{
    switch (mech) {
    case MECH_MAPE: return "map_e";
    case MECH_MAPT: return "map_t";
    case MECH_DSLITE: return "dslite";
    case MECH_IPIP: return "ipip";
    case MECH_LW4O6: return "lw4o6";
    case MECH_CLAT: return "464xlat";
    default: return "none";
    }
}

void ce_plan_free(struct ce_plan *p)
{
    s46_mape_free(&p->mape);
    memset(p, 0, sizeof *p);
}

/* DS-Lite (the AFTR by name or address; the B4 address inside the
 * End-user prefix) and ipip (the entry whose ipv6_local is in the prefix,
 * else the first). */
static int plan_tunnel(const char *mech, const json_t *resp, const s46_pfx6 *prefix,
                       const struct ce_opts *o, struct ce_plan *out, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    s46_cet_conf *c = &out->cet;
    s46_cet_conf_default(c);
    c->ipv6_mtu = o->base.ipv6_mtu;
    c->hop_limit = o->base.hop_limit;
    c->encap_limit = o->base.encap_limit;
    c->napt = o->base.napt;
    c->lan_ipv4 = o->base.lan_ipv4;
    c->ttl_decrement = false; /* the kernel routes into the TUN and decrements */
    if (!strcmp(mech, "dslite")) {
        const char *aftr = json_string_value(json_object_get(json_object_get(resp, "dslite"), "aftr"));
        if (!aftr) {
            s46_seterr(err, errlen, "dslite.aftr: missing");
            return -1;
        }
        if (s46_dns_aaaa(aftr, o->resolver, (o->timeout_s ? o->timeout_s : 5) * 1000, &c->remote, e,
                         sizeof e) != S46_DNS_OK) {
            s46_seterr(err, errlen, "dslite: AFTR %s: %s", aftr, e);
            return -1;
        }
        c->kind = S46_CET_DSLITE;
        if (o->have_b4) {
            c->local = o->b4;
        } else {
            c->local = prefix->addr;
            s46_ip6_mask(&c->local, prefix->len < 64 ? prefix->len : 64);
            c->local.b[15] = 0xb4;
        }
        out->mech = MECH_DSLITE;
    } else {
        json_t *arr = json_object_get(resp, "ipip"), *pick = NULL, *x;
        size_t i;
        json_array_foreach(arr, i, x) {
            s46_ip6 l;
            const char *ls = json_string_value(json_object_get(x, "ipv6_local"));
            if (!pick)
                pick = x;
            if (ls && s46_ip6_parse(ls, &l) == 0 && s46_pfx6_contains(prefix, &l)) {
                pick = x;
                break;
            }
        }
        const char *ls = json_string_value(json_object_get(pick, "ipv6_local")),
                   *rs = json_string_value(json_object_get(pick, "ipv6_remote")),
                   *v4 = json_string_value(json_object_get(pick, "ipv4"));
        if (!pick || !ls || !rs || !v4 || s46_ip6_parse(ls, &c->local) < 0 ||
            s46_ip6_parse(rs, &c->remote) < 0) {
            s46_seterr(err, errlen, "ipip: no usable entry");
            return -1;
        }
        if (s46_pfx4_parse_or_host(v4, &c->ipv4, e, sizeof e) < 0) {
            s46_seterr(err, errlen, "ipip.ipv4: %s", e);
            return -1;
        }
        c->kind = S46_CET_IPIP;
        out->mech = MECH_IPIP;
    }
    /* A resolved name gets the checks a literal got in the validator, and
     * no endpoint may be inside this CE's own prefix (its own address). */
    const char *why = s46_hb46pp_endpoint_bad(&c->remote);
    if (why || s46_pfx6_contains(prefix, &c->remote)) {
        char b[S46_IP6_STRLEN];
        s46_seterr(err, errlen, "%s: remote endpoint %s is %s", mech,
                   s46_ip6_format(&c->remote, b), why ? why : "inside this CE's own prefix");
        out->mech = MECH_NONE;
        return -1;
    }
    s46_cet *probe = s46_cet_new(c, e, sizeof e);
    if (!probe) {
        s46_seterr(err, errlen, "%s: %s", mech, e);
        out->mech = MECH_NONE;
        return -1;
    }
    s46_cet_free(probe);
    return 0;
}

/* lw4o6: the lwAFTR by name or address, the B4 address from the binding
 * prefix and this End-user prefix (prov/lw4o6.h), NAPT onto the IPv4
 * address in the PSID's port set. */
static int plan_lw4o6(const json_t *resp, const s46_pfx6 *prefix, const struct ce_opts *o,
                      struct ce_plan *out, char *err, size_t errlen)
{
    char e[S46_ERRLEN], b[S46_IP6_STRLEN];
    s46_lw4o6_cfg lc;
    s46_lwb4_conf *c = &out->lw;
    if (s46_lw4o6_from_json(json_object_get(resp, "lw4o6"), &lc, err, errlen) < 0)
        return -1;
    s46_lwb4_conf_default(c);
    c->ipv6_mtu = o->base.ipv6_mtu;
    c->hop_limit = o->base.hop_limit;
    c->encap_limit = o->base.encap_limit;
    c->napt = o->base.napt;
    c->lan_ipv4 = o->base.lan_ipv4;
    c->ipv4 = lc.ipv4;
    c->psid = lc.psid;
    c->psid_len = lc.psid_len;
    c->psid_offset = lc.psid_offset;
    if (s46_lw4o6_b4(&lc, prefix, &c->b4, err, errlen) < 0)
        return -1;
    if (lc.lwaftr_literal) {
        c->lwaftr = lc.lwaftr_addr;
    } else if (s46_dns_aaaa(lc.lwaftr, o->resolver, (o->timeout_s ? o->timeout_s : 5) * 1000,
                            &c->lwaftr, e, sizeof e) != S46_DNS_OK) {
        s46_seterr(err, errlen, "lw4o6: lwAFTR %s: %s", lc.lwaftr, e);
        return -1;
    }
    /* a resolved name gets the checks a literal got, and the lwAFTR is
     * never inside this CE's own prefix */
    const char *why = s46_hb46pp_endpoint_bad(&c->lwaftr);
    if (why || s46_pfx6_contains(prefix, &c->lwaftr)) {
        s46_seterr(err, errlen, "lw4o6: lwAFTR %s is %s", s46_ip6_format(&c->lwaftr, b),
                   why ? why : "inside this CE's own prefix");
        return -1;
    }
    s46_lwb4 *probe = s46_lwb4_new(c, e, sizeof e);
    if (!probe) {
        s46_seterr(err, errlen, "lw4o6: %s", e);
        return -1;
    }
    s46_lwb4_free(probe);
    out->mech = MECH_LW4O6;
    return 0;
}

/* 464xlat: the answer's nat64prefix, else RFC 7050 discovery through the
 * CE's resolver; the CLAT address from the settings or the End-user
 * prefix (conf/clat_conf.h). */
static int plan_clat(const json_t *resp, const s46_pfx6 *prefix, const struct ce_opts *o,
                     struct ce_plan *out, char *err, size_t errlen)
{
    char e[S46_ERRLEN], b[S46_PFX6_STRLEN];
    s46_clat_conf *c = &out->clat;
    bool have_nat64, h6;
    s46_clat_conf base = o->clat;
    json_t *none = json_object(); /* the CE's own options are in base already */
    int rc = s46_clat_conf_from_json(none, json_object_get(resp, "464xlat"), &o->base, c,
                                     &have_nat64, &h6, err, errlen);
    json_decref(none);
    if (rc < 0)
        return -1;
    s46_pfx6 nat64 = c->nat64;
    *c = base;
    c->nat64 = nat64;
    out->nat64_from = o->prov ? "answer" : "settings";
    if (!have_nat64) {
        s46_ip6 ans[16];
        size_t n = 0;
        s46_dns_status st = s46_dns_aaaa_all(S46_RFC7050_NAME, o->resolver,
                                             (o->timeout_s ? o->timeout_s : 5) * 1000, ans,
                                             sizeof ans / sizeof ans[0], &n, e, sizeof e);
        if (st != S46_DNS_OK) {
            s46_seterr(err, errlen, "464xlat: no nat64prefix, and RFC 7050 discovery failed: %s", e);
            return -1;
        }
        unsigned k = s46_rfc7050_prefix(ans, n, &c->nat64);
        if (k == 0) {
            s46_seterr(err, errlen,
                       "464xlat: no nat64prefix, and none of the %zu AAAA answers for %s holds "
                       "192.0.0.170 or 192.0.0.171 (no DNS64?)", n, S46_RFC7050_NAME);
            return -1;
        }
        const char *why = s46_hb46pp_endpoint_bad(&c->nat64.addr);
        if (why) {
            s46_seterr(err, errlen, "464xlat: the discovered prefix %s is not global unicast (%s)",
                       s46_pfx6_format(&c->nat64, b), why);
            return -1;
        }
        out->nat64_from = "rfc7050";
    }
    if (!o->have_clat6)
        s46_clat_default_ipv6(prefix, &c->clat6);
    s46_clat *probe = s46_clat_new(c, e, sizeof e);
    if (!probe) {
        s46_seterr(err, errlen, "464xlat: %s", e);
        return -1;
    }
    s46_clat_free(probe);
    out->mech = MECH_CLAT;
    return 0;
}

/* MAP-T: the MAP-E CE's configuration with the DMR instead of a BR; the
 * rules must give this prefix an IPv4 address (not a prefix). */
static int plan_mapt(const json_t *resp, const s46_pfx6 *prefix, struct ce_plan *out, char *err,
                     size_t errlen)
{
    char e[S46_ERRLEN];
    json_t *m = json_object_get(resp, "map_t");
    if (!json_is_object(m))
        m = s46_mapt_find((json_t *)resp);
    s46_mapt_cfg t;
    if (!m) {
        s46_seterr(err, errlen, "map_t: missing");
        return -1;
    }
    if (s46_mapt_from_json(m, S46_HB46PP_MAX_MAPT_RULES, &t, err, errlen) < 0)
        return -1;
    out->mape.rules = t.rules; /* freed by ce_plan_free */
    out->mape.nrules = t.nrules;
    s46_ce_conf *c = &out->conf;
    c->rules = t.rules;
    c->nrules = t.nrules;
    c->mesh = t.mesh;
    c->dmr = t.dmr;
    c->mapt = true;
    c->layout = S46_IID_RFC7597;
    c->eu_prefix = *prefix;
    s46_ce_params cp;
    if (s46_ce_params_of(c, &cp, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "map_t: %s", e);
        ce_plan_free(out);
        return -1;
    }
    out->mech = MECH_MAPT;
    return 0;
}

int ce_plan_build(const char *mech, const json_t *resp, const s46_pfx6 *prefix,
                  const struct ce_opts *o, struct ce_plan *out, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    memset(out, 0, sizeof *out);
    out->routes = o->routes;
    out->conf = o->base;
    if (!strcmp(mech, "dslite") || !strcmp(mech, "ipip"))
        return plan_tunnel(mech, resp, prefix, o, out, err, errlen);
    if (!strcmp(mech, "lw4o6"))
        return plan_lw4o6(resp, prefix, o, out, err, errlen);
    if (!strcmp(mech, "464xlat"))
        return plan_clat(resp, prefix, o, out, err, errlen);
    if (!strcmp(mech, "map_t"))
        return plan_mapt(resp, prefix, out, err, errlen);
    if (strcmp(mech, "map_e") != 0) {
        s46_seterr(err, errlen, "%s: not supported by this CE", mech);
        return -1;
    }
    json_t *m = s46_mape_find((json_t *)resp);
    if (!m) {
        s46_seterr(err, errlen, "map_e: missing");
        return -1;
    }
    if (s46_mape_from_json(m, S46_HB46PP_MAX_MAPE_RULES, &out->mape, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "map_e: %s", e);
        return -1;
    }
    s46_ce_conf *c = &out->conf;
    c->rules = out->mape.rules;
    c->nrules = out->mape.nrules;
    c->br = out->mape.br;
    c->mesh = out->mape.mesh;
    c->layout = s46_mape_layout(&out->mape);
    c->eu_prefix = *prefix;
    /* the mechanism cannot run here when no rule derives an address */
    bool any = false;
    for (size_t i = 0; i < out->mape.nrules && !any; i++) {
        s46_ce_params cp;
        any = s46_maprule_derive(&out->mape.rules[i], prefix, c->layout, &cp, NULL, 0) == 0;
    }
    if (!any) {
        char b[S46_IP6_STRLEN];
        s46_seterr(err, errlen, "map_e: no rule matches the End-user prefix %s/%u",
                   s46_ip6_format(&prefix->addr, b), prefix->len);
        ce_plan_free(out);
        return -1;
    }
    out->mech = MECH_MAPE;
    return 0;
}

/* The /128 route of the tunnel address a6 (NULL: none) through the TUN,
 * or, on Ethernet (no ifindex), a blackhole route: AF_PACKET leaves the
 * kernel a copy of every tunnel packet, and the route keeps it from
 * forwarding them (the tunnel address often lies in a LAN prefix). */
static void route6(struct ce_dp *dp, const s46_ip6 *a6, char *e, size_t elen)
{
    if (dp->have_routed6 && (!a6 || !s46_ip6_eq(&dp->routed6, a6))) {
        s46_rtnl_route(false, AF_INET6, dp->routed6.b, 128, dp->ifindex, e, elen);
        dp->have_routed6 = false;
    }
    if (a6 && !dp->have_routed6 &&
        s46_rtnl_route(true, AF_INET6, a6->b, 128, dp->ifindex, e, elen) == 0) {
        dp->routed6 = *a6;
        dp->have_routed6 = true;
    }
}

/* TUN: the tunnel address and the IPv4 default route into the device. */
static void set_routes(struct ce_dp *dp, bool want, const s46_ip6 *a6, char *err, size_t errlen)
{
    char e[S46_ERRLEN] = "";
    route6(dp, want ? a6 : NULL, e, sizeof e);
    uint32_t any = 0;
    if (want && !dp->routed4)
        dp->routed4 = s46_rtnl_route(true, AF_INET, &any, 0, dp->ifindex, e, sizeof e) == 0;
    else if (!want && dp->routed4) {
        s46_rtnl_route(false, AF_INET, &any, 0, dp->ifindex, e, sizeof e);
        dp->routed4 = false;
    }
    if (*e)
        s46_seterr(err, errlen, "%s", e);
}

/* Ethernet: the ports answer ARP for the LAN address and NDP for the
 * tunnel address. */
static void own_addresses(struct ce_dp *dp, const struct ce_plan *p, const s46_ip6 *a6)
{
    uint32_t lan = p->mech == MECH_MAPE || p->mech == MECH_MAPT ? p->conf.lan_ipv4
                   : p->mech == MECH_LW4O6 ? p->lw.lan_ipv4
                   : p->mech == MECH_CLAT  ? p->clat.lan_ipv4
                                           : p->cet.lan_ipv4;
    if (lan) {
        uint8_t b[4] = {lan >> 24, lan >> 16, lan >> 8, lan};
        s46_loop_own(dp->loop, S46_SIDE_V4, AF_INET, b);
    }
    if (a6)
        s46_loop_own(dp->loop, S46_SIDE_V6, AF_INET6, a6->b);
}

int ce_dp_apply(struct ce_dp *dp, const struct ce_plan *p, char *err, size_t errlen)
{
    s46_cepl_conf cc;
    memset(&cc, 0, sizeof cc);
    cc.mech = p->mech == MECH_MAPE     ? S46_CE_MECH_MAPE
              : p->mech == MECH_MAPT   ? S46_CE_MECH_MAPT
              : p->mech == MECH_DSLITE ? S46_CE_MECH_DSLITE
              : p->mech == MECH_IPIP   ? S46_CE_MECH_IPIP
              : p->mech == MECH_LW4O6  ? S46_CE_MECH_LW4O6
              : p->mech == MECH_CLAT   ? S46_CE_MECH_CLAT
                                       : S46_CE_MECH_NONE;
    cc.mape = p->conf;
    cc.tunnel = p->cet;
    cc.lw4o6 = p->lw;
    cc.clat = p->clat;
    /* on Ethernet nobody else is the IPv4 router hop */
    cc.tunnel.ttl_decrement = cc.mape.ttl_decrement = cc.lw4o6.ttl_decrement =
        cc.clat.ttl_decrement = dp->ethernet;
    const s46_ip6 *a6 = NULL;
    if (cc.mech == S46_CE_MECH_MAPE || cc.mech == S46_CE_MECH_MAPT) {
        if (s46_ce_params_of(&p->conf, &dp->params, err, errlen) < 0)
            return -1;
        a6 = &dp->params.map_addr;
    } else if (cc.mech == S46_CE_MECH_LW4O6) {
        a6 = &p->lw.b4;
    } else if (cc.mech == S46_CE_MECH_CLAT) {
        a6 = &p->clat.clat6;
    } else if (cc.mech != S46_CE_MECH_NONE) {
        a6 = &p->cet.local;
    }
    if (s46_loop_reconfigure(dp->loop, &cc, err, errlen) < 0)
        return -1;
    dp->mech = p->mech;
    if (dp->ethernet) {
        own_addresses(dp, p, a6);
        if (p->routes) {
            char e[S46_ERRLEN];
            route6(dp, a6, e, sizeof e);
        }
        return 0;
    }
    if (!dp->ifindex)
        return 0;
    if (!a6) {
        set_routes(dp, false, NULL, NULL, 0);
        return 0;
    }
    if (p->routes) {
        char e[S46_ERRLEN] = "";
        set_routes(dp, true, a6, e, sizeof e);
        if (*e)
            s46_seterr(err, errlen, "%s", e); /* applied; only a route is missing */
    }
    return 0;
}

void ce_dp_log(const struct ce_dp *dp, const struct ce_plan *p, int rc, const char *e)
{
    char a[S46_IP6_STRLEN], b[S46_IP6_STRLEN], v4[S46_IP4_STRLEN];
    const char *sep = *e ? "; " : "";
    if (rc < 0) {
        fprintf(stderr, "s46-ce: %s could not start: %s\n", ce_mech_name(p->mech), e);
    } else if (dp->mech == MECH_MAPE || dp->mech == MECH_MAPT) {
        const s46_ce_params *cp = &dp->params;
        fprintf(stderr, "s46-ce: %s running: IPv4 %s/%u PSID %u/%u, MAP address %s%s%s\n",
                dp->mech == MECH_MAPT ? "MAP-T" : "MAP-E", s46_ip4_format(cp->ipv4, v4),
                cp->ipv4_len, cp->psid, cp->psid_len,
                s46_ip6_format(&cp->map_addr, a), sep, e);
    } else if (dp->mech == MECH_DSLITE) {
        fprintf(stderr, "s46-ce: DS-Lite running: B4 %s, AFTR %s%s%s\n",
                s46_ip6_format(&p->cet.local, a), s46_ip6_format(&p->cet.remote, b), sep, e);
    } else if (dp->mech == MECH_LW4O6) {
        fprintf(stderr, "s46-ce: lw4o6 running: IPv4 %s PSID %u/%u (offset %u), B4 %s, lwAFTR %s%s%s\n",
                s46_ip4_format(p->lw.ipv4, v4), p->lw.psid, p->lw.psid_len, p->lw.psid_offset,
                s46_ip6_format(&p->lw.b4, a), s46_ip6_format(&p->lw.lwaftr, b), sep, e);
    } else if (dp->mech == MECH_CLAT) {
        char n6[S46_PFX6_STRLEN], v4b[S46_IP4_STRLEN];
        fprintf(stderr, "s46-ce: 464XLAT CLAT running: %s as %s, NAT64 prefix %s (%s)%s%s\n",
                s46_ip4_format(p->clat.clat4, v4b), s46_ip6_format(&p->clat.clat6, a),
                s46_pfx6_format(&p->clat.nat64, n6), p->nat64_from ? p->nat64_from : "?", sep, e);
    } else if (dp->mech == MECH_IPIP) {
        fprintf(stderr, "s46-ce: ipip running: %s/%u over %s -> %s%s%s\n",
                s46_ip4_format(p->cet.ipv4.addr, v4), p->cet.ipv4.len,
                s46_ip6_format(&p->cet.local, a), s46_ip6_format(&p->cet.remote, b), sep, e);
    } else {
        fprintf(stderr, "s46-ce: IPv4 over IPv6 disabled\n");
    }
}

void ce_dp_free(struct ce_dp *dp)
{
    if (dp->ifindex)
        set_routes(dp, false, NULL, NULL, 0);
    else if (dp->ethernet) {
        char e[S46_ERRLEN];
        route6(dp, NULL, e, sizeof e);
    }
}
