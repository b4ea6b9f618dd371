/* A center mechanism built around a CGN (the DS-Lite AFTR, dp/aftr.h; the
 * NAT64, dp/nat64.h): the softwire and its CGN stages (softwire.h,
 * stages.h), the port-block log's writer and the established-flow fast
 * paths (cgn_fast.h), with what such a mechanism does the same way
 * whatever it is:
 *  - s46_cgn_mech_init: the softwire of kind k (counters cnt, stages,
 *    fast paths) for worker share of shares; then the mechanism applies
 *    its configuration and s46_cgn_mech_open makes the CGN (an error in
 *    err, -1; s46_cgn_mech_fini frees what was made either way);
 *  - s46_cgn_mech_process: a batch through the fast path, then the stages;
 *  - s46_cgn_mech_steer4: which worker owns an IPv4 arrival (a fragment's
 *    datagram, else the destination port's block), this one when unsure;
 *  - s46_cgn_mech_show: `s46 show`'s object: the mechanism's name, then
 *    the members of own (its own, taken over), then the shared ones (pool,
 *    blocks, CGN counters, stages); NULL when out of memory;
 *  - s46_cgn_mech_set_fast: the fast paths on or off (tests compare).
 * The mechanism's own struct starts with an s46_cgn_mech (its sw first:
 * sw.mech points at the mechanism). */
#ifndef S46_DP_CGN_MECH_H
#define S46_DP_CGN_MECH_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp/cgn_fast.h"
#include "dp/softwire.h"
#include "lib/blocklog.h"
#include "lib/cgn.h"

typedef struct s46_cgn_mech_kind {
    const s46_dp_desc *desc;
    const uint16_t *ev;                /* s46_ev -> S46_EVC(counter) */
    const uint16_t *cw;                /* s46_cw -> counter */
    const s46_stage *const *stages[2]; /* per side, NULL-terminated */
    bool (*fast[2])(s46_sw *sw, s46_pkt *p);
    s46_cgn_fast_cand cand[2];         /* the fast paths' classes, per side */
    void (*hairpin_out)(s46_sw *sw, s46_ctx *c, uint64_t now);
} s46_cgn_mech_kind;

typedef struct s46_cgn_mech {
    s46_sw sw; /* first: the stages get it */
    const s46_cgn_mech_kind *kind;
    s46_blocklog_writer writer;
    s46_cgn_fast fast; /* the batch's flows, for the fast paths */
} s46_cgn_mech;

int s46_cgn_mech_init(s46_cgn_mech *m, const s46_cgn_mech_kind *k, void *mech, uint64_t *cnt,
                      unsigned icmp_rate, unsigned share, unsigned shares);
int s46_cgn_mech_open(s46_cgn_mech *m, const s46_cgn_config *cfg, bool hairpin, char *err,
                      size_t errlen);
void s46_cgn_mech_fini(s46_cgn_mech *m);
void s46_cgn_mech_process(s46_cgn_mech *m, s46_batch *b, uint16_t side, uint64_t now_ns);
unsigned s46_cgn_mech_steer4(const s46_cgn_mech *m, const s46_pkt *p);
json_t *s46_cgn_mech_show(const s46_cgn_mech *m, const char *name, json_t *own,
                          unsigned max_blocks);
void s46_cgn_mech_set_fast(s46_cgn_mech *m, bool on);
#endif
