/* s46-ce internals: the CE's settings file, the plan that one HB46PP
 * mechanism becomes, the data plane that runs a plan (switching mechanism
 * at run time), and the provisioning thread (HB46PP client). */
#ifndef S46_CMD_CE_H
#define S46_CMD_CE_H
#include <jansson.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "dp/ce_mape.h"
#include "dp/ce_tunnel.h"
#include "dp/ce_pipeline.h"
#include "io/loop.h"
#include "prov/access.h"
#include "prov/dnsproxy.h"
#include "prov/mape.h"

enum ce_mech { MECH_NONE = 0, MECH_MAPE, MECH_DSLITE, MECH_IPIP, MECH_LW4O6, MECH_CLAT, MECH_MAPT };
const char *ce_mech_name(int mech);
/* What this build announces in `capability` (exactly what it can run). */
#define CE_CAPABILITY "map_e,map_t,dslite,ipip,lw4o6,464xlat,hubspoke,mesh"

/* The settings file (README: `ce.json`). */
struct ce_opts {
    char *path, *prefix_arg;   /* the file; --prefix, if given */
    s46_ce_conf base;          /* tunnel and NAPT settings; rules and prefix unset */
    bool routes;               /* manage the TUN's routes (default true) */
    bool have_prefix;          /* a static End-user prefix ... */
    s46_pfx6 prefix;
    char prefix_if[IF_NAMESIZE];  /* ... or one learnt from this interface */
    unsigned prefix_len;
    bool prov;                 /* HB46PP mode (else fixed mode: map_e, map_t, dslite,
                                  lw4o6 or 464xlat from the file) */
    json_t *fixed;             /* fixed mode: the document holding it */
    const char *fixed_mech;    /* fixed mode: "map_e", "map_t", "dslite", "lw4o6" or "464xlat" */
    s46_clat_conf clat;        /* 464xlat: the CE's CLAT settings (conf/clat_conf.h) */
    bool have_clat6;           /* clat_ipv6 given (else from the End-user prefix) */
    char *resolver, *ca_file, *vendorid, *product, *user, *pass, *server_name, *store, *txt_name;
    unsigned timeout_s, max_redirects;
    bool have_b4;              /* DS-Lite: the B4 address (default: End-user */
    s46_ip6 b4;                /* prefix, subnet 0, interface identifier ::b4) */
    s46_acc_waits waits;
    bool dns_proxy;            /* a "dns_proxy" object: the LAN's DNS proxy */
    s46_dnsp_conf dnsp;
    const char *dnsp_from;     /* where its forwarders came from */
};
int ce_opts_load(const char *path, const char *prefix_override, struct ce_opts *o, char *err,
                 size_t errlen);
void ce_opts_free(struct ce_opts *o);

/* One mechanism ready to run. */
struct ce_plan {
    int mech;
    s46_ce_conf conf;          /* MAP-E and MAP-T: the whole CE configuration */
    s46_mape_cfg mape;         /* owns conf.rules (MAP-T's too) */
    s46_cet_conf cet;          /* DS-Lite and ipip */
    s46_lwb4_conf lw;          /* lw4o6 */
    s46_clat_conf clat;        /* 464xlat */
    const char *nat64_from;    /* 464xlat: "answer", "settings" or "rfc7050" */
    bool routes;
};
void ce_plan_free(struct ce_plan *p);
/* A plan for mechanism `mech` (an `order` entry) of a validated HB46PP
 * response and this End-user prefix: -1 with err when it cannot run here
 * (unsupported, no MAP-E rule for the prefix, an AFTR name that does not
 * resolve, an lw4o6 address outside the prefix, no NAT64 prefix, ...). May
 * block on DNS (the AFTR's or lwAFTR's name, 464xlat's RFC 7050 query). */
int ce_plan_build(const char *mech, const json_t *resp, const s46_pfx6 *prefix,
                  const struct ce_opts *o, struct ce_plan *out, char *err, size_t errlen);

/* The running data plane (main thread only): the run loop's workers run
 * the CE pipeline (dp/ce_pipeline.h); this side hands them each new plan
 * and keeps what a mechanism needs around them: the TUN's routes, or, on
 * Ethernet, the addresses the ports answer ARP/NDP for. */
struct ce_dp {
    int mech;
    s46_loop *loop;
    bool ethernet;
    unsigned ifindex;          /* the TUN device, for routes */
    s46_ip6 routed6;           /* the IPv6 /128 routed into the TUN (on Ethernet:
                                  a blackhole route), if any */
    bool have_routed6, routed4;
    s46_ce_params params;      /* MAP-E: what the running plan derived */
};
int ce_dp_apply(struct ce_dp *dp, const struct ce_plan *p, char *err, size_t errlen);
/* One line on stderr saying what ce_dp_apply(dp, p) did: its result rc and
 * its message e (an error, or a warning when rc is 0). */
void ce_dp_log(const struct ce_dp *dp, const struct ce_plan *p, int rc, const char *e);
/* Removes the routes it added. */
void ce_dp_free(struct ce_dp *dp);

/* The HB46PP client thread. */
struct ce_prov;
struct ce_prov *ce_prov_start(struct ce_opts *opts, char *err, size_t errlen);
int ce_prov_wake_fd(const struct ce_prov *p);
/* Main thread, when the wake fd is readable: applies a waiting plan. */
void ce_prov_serve(struct ce_prov *p, struct ce_dp *dp);
/* Re-read the settings file and fetch again at once (SIGHUP). */
void ce_prov_reload(struct ce_prov *p);
json_t *ce_prov_show(struct ce_prov *p);
void ce_prov_stop(struct ce_prov *p);
#endif
