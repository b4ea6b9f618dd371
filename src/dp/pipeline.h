/* One interface every data plane implements, so the run loop, `s46
 * replay`, the benchmarks and the fuzzers drive any mechanism the same way.
 *
 * A pipeline has two sides: side 0 is IPv4 (the BR's Internet side, the
 * CE's LAN), side 1 is IPv6 (the access network). process() gives every
 * packet of a batch a verdict (pkt.h): FORWARD out of side out_port, DROP
 * with a counted reason, or REDIRECT to worker out_port when another
 * worker owns the packet's state (the CE's NAPT share, a reassembly).
 * One instance per worker, used by that worker's thread only; `conf` is
 * the pipeline's own configuration structure (named with each pipeline),
 * read during create/reconfigure and not kept. */
#ifndef S46_DP_PIPELINE_H
#define S46_DP_PIPELINE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/counters.h"
#include "lib/pkt.h"

enum { S46_SIDE_V4 = 0, S46_SIDE_V6 = 1 };

typedef struct s46_pipeline_env {
    unsigned worker;   /* this instance's worker index */
    unsigned workers;  /* how many workers run an instance */
} s46_pipeline_env;

typedef struct s46_pipeline_ops {
    const char *name;
    /* NULL with err when conf cannot run. */
    void *(*create)(const void *conf, const s46_pipeline_env *env, char *err, size_t errlen);
    /* Applies a new conf keeping counters (and state where it still holds);
     * -1 with err keeps the running one. */
    int (*reconfigure)(void *self, const void *conf, char *err, size_t errlen);
    /* At most S46_BATCH_IN packets that arrived on `side`. */
    void (*process)(void *self, s46_batch *b, uint16_t side, uint64_t now_ns);
    /* With several workers: which worker owns packet p arriving on side
     * (its state: a NAPT share, a reassembly). Called by the loop before
     * process; p is redirected there unless it is env->worker. NULL: every
     * worker can take every packet. */
    unsigned (*steer)(const void *self, const s46_pkt *p, uint16_t side);
    /* How ports that choose the queue should spread side's packets over
     * the workers so that steer() rarely redirects. NULL: by flow. */
    s46_spread (*spread)(const void *self, uint16_t side);
    /* About once a second: timers, expiry. May be NULL. */
    void (*tick)(void *self, uint64_t now_ns);
    /* The pipeline's state as JSON, its counters left out. */
    json_t *(*show)(const void *self, uint64_t now_ns);
    const s46_counters *(*counters)(const void *self);
    void (*destroy)(void *self);
} s46_pipeline_ops;

/* The pipelines there are (each names its conf type). */
extern const s46_pipeline_ops s46_pl_br_mape; /* conf: s46_br_conf (br_mape.h) */
extern const s46_pipeline_ops s46_pl_ce;      /* conf: s46_cepl_conf (ce_pipeline.h) */
extern const s46_pipeline_ops s46_pl_lwaftr;  /* conf: s46_lw_conf (lwaftr.h) */
extern const s46_pipeline_ops s46_pl_aftr;    /* conf: s46_aftr_conf (aftr.h) */
extern const s46_pipeline_ops s46_pl_siit;    /* conf: s46_siit_conf (siit.h) */
extern const s46_pipeline_ops s46_pl_nat64;   /* conf: s46_nat64_conf (nat64.h) */
extern const s46_pipeline_ops s46_pl_br_mapt; /* conf: s46_brt_conf (br_mapt.h) */

/* By name ("br_mape", "ce", "lwaftr", "aftr", "siit", "nat64"); NULL if unknown. */
const s46_pipeline_ops *s46_pipeline_find(const char *name);

/* Steering helpers (a hash of a few bytes into 0..workers-1 is
 * s46_steer_fnv, lib/hash.h): for an IPv4 fragment or an IPv6 packet whose
 * first header is a Fragment header, the worker owning its reassembly
 * (true) from addresses and identification. */
bool s46_steer_fragment(const s46_pkt *p, unsigned workers, unsigned *owner);
/* The worker owning an inbound IPv4 packet to a NAPT whose tables are
 * shared out by external port (lib/napt.h s46_napt_port_owner): by the
 * destination port, echo identifier, or an ICMP error's quoted source
 * port; self when it has none. */
unsigned s46_steer_napt_in(const uint8_t *ip, size_t len, unsigned workers, unsigned self);
/* The worker owning an outbound IPv4 packet's NAPT mapping when the
 * tables are shared out: by its internal endpoint (source address,
 * protocol, source port or ICMP query identifier; an ICMP error by the
 * endpoint its quoted packet went to), so that each endpoint keeps one
 * mapping (RFC 4787 REQ-1) while one host's flows spread over every
 * worker's share of the port set; by source address when it has none. */
unsigned s46_steer_napt_out(const uint8_t *ip, size_t len, unsigned workers);
/* A CE's steering: LAN packets by internal endpoint (s46_steer_napt_out),
 * LAN fragments by datagram (handed on after reassembly: stage share4);
 * WAN packets by the inner packet's port (s46_steer_napt_in), outer
 * fragments by datagram (handed on after reassembly). */
unsigned s46_steer_ce(const s46_pkt *p, uint16_t side, unsigned workers, unsigned self);

/* Helpers for pipelines: sets p's verdict. */
static inline void s46_pkt_forward(s46_pkt *p, uint16_t side)
{
    p->verdict = S46_V_FORWARD;
    p->out_port = side;
}
static inline void s46_pkt_redirect(s46_pkt *p, unsigned worker)
{
    p->verdict = S46_V_REDIRECT;
    p->out_port = (uint16_t)worker;
}
#endif
