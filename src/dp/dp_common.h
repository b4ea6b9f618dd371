/* What every data plane (BR, MAP-E CE, tunnel CE) keeps and does the same
 * way: its named counters, the verdict helpers that count (drop with a
 * reason, out of a side), the outer-fragment pool and the two reassembly
 * tables, the ICMP error rate limiter and the scratch packet errors are
 * built in, and its RFC 2473 encapsulation settings. A pipeline embeds one
 * s46_dp, describes its counters once (s46_dp_desc, by index into its own
 * counter enum) and keeps its own counter array. */
#ifndef S46_DP_DP_COMMON_H
#define S46_DP_DP_COMMON_H
#include <stdbool.h>
#include <stdint.h>

#include "dp/frag_glue.h"
#include "lib/counters.h"
#include "lib/frag.h"
#include "lib/icmp.h"
#include "lib/parse.h"
#include "lib/pkt.h"
#include "lib/tunnel.h"

/* A pipeline's counters, by their indexes. */
typedef struct s46_dp_desc {
    const char *const *names;
    unsigned ncounters;
    uint16_t out[2];            /* packets sent out of side 0 / side 1 */
    uint16_t icmp_sent;         /* ICMP errors sent */
    uint16_t icmp_ratelimited;  /* errors not sent for the rate (drop reason) */
    uint16_t held, reassembled, reasm_failed, fragmented, no_buffer; /* frag_glue.h */
    unsigned reasm_slots;       /* datagrams each reassembly table holds */
} s46_dp_desc;

typedef struct s46_dp {
    const s46_dp_desc *desc;
    uint64_t *cnt;              /* the pipeline's counter array */
    s46_counters counters;
    s46_frag_ctrs fc;
    s46_pktpool *pool;          /* outer fragments */
    s46_reasm *reasm4, *reasm6;
    uint32_t frag_id;
    s46_batch *cur;             /* the batch being processed */
    s46_ratelimit icmp_rl;
    s46_encap enc;              /* the outer header (dst: the usual peer) */
    s46_pkt scratch;            /* where ICMP errors are built */
    uint8_t scratch_buf[S46_PKT_BUFSIZE];
} s46_dp;

/* Sets d up for the counters cnt (desc->ncounters of them, zeroed by the
 * caller) with an ICMP error rate of per_sec (0: unlimited) and burst;
 * -1 when out of memory (d is then freed). */
int s46_dp_init(s46_dp *d, const s46_dp_desc *desc, uint64_t *cnt, uint32_t per_sec,
                uint32_t burst);
void s46_dp_fini(s46_dp *d);

static inline void s46_dp_drop(s46_dp *d, s46_pkt *p, unsigned reason)
{
    d->cnt[reason]++;
    s46_pkt_drop(p, (uint16_t)reason);
}
/* p leaves out of side (0 or 1). */
static inline void s46_dp_out(s46_dp *d, s46_pkt *p, uint16_t side)
{
    p->verdict = S46_V_FORWARD;
    p->out_port = side;
    d->cnt[d->desc->out[side & 1]]++;
}
/* The fragment p (parsed into l3) into the IPv4 (v6 false) or IPv6 table:
 * true when p now holds the whole datagram (l3 re-parsed); else p was held
 * or dropped, counted. */
bool s46_dp_reasm(s46_dp *d, bool v6, s46_pkt *p, s46_l3 *l3, uint64_t now_ns);
/* An inner IPv4 fragment from the tunnel peer (16 bytes) into the IPv4
 * table, keyed by that peer too. */
bool s46_dp_reasm_inner4(s46_dp *d, s46_pkt *p, s46_l3 *l3, const uint8_t *peer,
                         uint64_t now_ns);
/* p, already sent out of side 1, exceeds mtu: outer IPv6 fragments of it
 * into the current batch (or a counted drop when out of buffers). */
void s46_dp_frag_out(s46_dp *d, s46_pkt *p, unsigned mtu);
/* p, an IPv4 packet already sent out of side 0, exceeds mtu: IPv4
 * fragments of it into the current batch (or a counted drop). */
void s46_dp_frag4_out(s46_dp *d, s46_pkt *p, unsigned mtu);
/* Replaces the IPv4 packet in p (parsed into l3) by an ICMPv4 error from src
 * about it when one may be sent and the rate allows (counted as sent, or as
 * rate-limited); false with p untouched otherwise. */
bool s46_dp_icmp4_error(s46_dp *d, s46_pkt *p, const s46_l3 *l3, uint32_t src, uint8_t type,
                        uint8_t code, uint32_t extra, uint64_t now_ns);
/* Replaces p by the packet in d->scratch. */
void s46_dp_take_scratch(s46_dp *d, s46_pkt *p);
#endif
