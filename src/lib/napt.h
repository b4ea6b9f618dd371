/* Port-restricted NAPT44 state (RFC 4787, RFC 5382, RFC 5508, RFC 7857),
 * the translation table of a MAP-E / lw4o6 CE. Pure logic over endpoints:
 * the packet rewriting lives in the CE pipeline.
 *
 * - Endpoint-independent mapping: one external port per (protocol, internal
 *   address, internal port), taken from EVERY range of the port set (random
 *   order, parity preserved where possible; a freed port goes behind every
 *   other free port); with the whole port space (psid_len 0) a port keeps
 *   its class, 1-1023 or 1024-65535; ICMP query identifiers are ports.
 *   Finding a free port takes constant time.
 * - Shares: a table may own only a share of the port set (config share and
 *   shares; s46_napt_port_owner says which share owns a port), so that each
 *   worker thread keeps its own table and steers inbound packets to the
 *   owner without a lock. Default: one share, the whole set.
 * - Sessions per (protocol, external port, remote address, remote port)
 *   carry filtering (endpoint-independent or address-dependent) and the
 *   timers: UDP default 300 s (never below 120 s; a shorter one may be set
 *   for well-known destination ports such as DNS), TCP 7440 s established and
 *   240 s transitory, ICMP 60 s. A mapping lives as long as one of its
 *   sessions does.
 * - Bounded memory: capacities fixed at creation; no allocation afterwards.
 *   When ports or entries run out the new flow is refused (counted by the
 *   caller), existing ones are never evicted; before refusing, expired
 *   entries are reclaimed (a bounded sweep, nothing when none can be due).
 * Not thread-safe: one table per worker. Times are caller-supplied seconds. */
#ifndef S46_NAPT_H
#define S46_NAPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/parse.h"

enum { S46_NAPT_TCP = 0, S46_NAPT_UDP = 1, S46_NAPT_ICMP = 2, S46_NAPT_NPROTO = 3 };

typedef enum s46_napt_filter {
    S46_NAPT_FILTER_EIF = 0, /* endpoint-independent filtering */
    S46_NAPT_FILTER_ADF = 1, /* address-dependent filtering */
} s46_napt_filter;

typedef struct s46_napt_config {
    uint32_t ext_addr;           /* the CE's (shared) IPv4 address */
    uint8_t psid_offset, psid_len;
    uint16_t psid;               /* psid_len 0: the whole port space */
    uint32_t max_mappings;       /* capacity of the mapping table */
    uint32_t max_sessions;       /* capacity of the session table */
    s46_napt_filter filter;
    uint32_t udp_timeout;        /* seconds; clamped to >= 120 */
    uint32_t udp_short_timeout;  /* for remote ports in short_ports (DNS) */
    uint32_t tcp_est_timeout;    /* >= 7440 recommended */
    uint32_t tcp_trans_timeout;  /* >= 240 */
    uint32_t icmp_timeout;       /* >= 60 */
    uint16_t short_ports[4];     /* remote ports with udp_short_timeout; 0 = unused */
    uint64_t seed;               /* port randomisation */
    uint16_t share, shares;      /* this table's share of the port set; shares 0
                                    or 1: the whole set (at most S46_NAPT_MAX_SHARES) */
} s46_napt_config;

#define S46_NAPT_MAX_SHARES 256

/* What a table shared out by port steers an outbound IPv4 packet by: its
 * internal endpoint, source address, protocol and source port (ICMP query:
 * identifier) in key[7], returning 7; the source address alone (4) for a
 * fragment or a packet without ports; 0 for other ICMP (an error's
 * endpoint is the one its quoted packet went to: the caller looks) or less
 * than an IPv4 header. Reads the headers only, checks nothing (a malformed
 * packet is dropped wherever it goes): cheap enough for every packet. */
static inline unsigned s46_napt_out_key(const uint8_t *ip, size_t len, uint8_t key[7])
{
    if (len < 20 || ip[0] >> 4 != 4)
        return 0;
    unsigned ihl = (ip[0] & 15u) * 4u, port = 0x10000;
    const uint8_t *l4 = ip + ihl;
    if (!((ip[6] << 8 | ip[7]) & 0x3fff) && ihl >= 20) {
        if ((ip[9] == 6 || ip[9] == 17) && len >= ihl + 2)
            port = (unsigned)(l4[0] << 8 | l4[1]);
        else if (ip[9] == 1 && len > ihl && !s46_icmp4_has_id(l4[0]))
            return 0;
        else if (ip[9] == 1 && len >= ihl + 6)
            port = (unsigned)(l4[4] << 8 | l4[5]);
    }
    for (unsigned i = 0; i < 4; i++)
        key[i] = ip[12 + i];
    if (port > 0xffff)
        return 4;
    key[4] = ip[9];
    key[5] = (uint8_t)(port >> 8);
    key[6] = (uint8_t)port;
    return 7;
}

/* Which of `shares` shares owns external port ext_port (0 when shares is 0,
 * 1 or above S46_NAPT_MAX_SHARES). Pure and cheap: for steering each inbound
 * packet to the worker whose table holds its mapping. It needs no port-set
 * parameters and spreads every port set evenly: for every PSID offset,
 * length and value, and in each class of the whole port space (1-1023,
 * 1024-65535), the shares' port counts differ by at most 2 with 2, 3, 4,
 * 6, 7, 8 or 16 shares, at most 4 up to 12 shares, at most 18 up to 40.
 * A port and its neighbour of the other parity (2n, 2n+1) have the same
 * owner, so each share can keep parity. ICMP query identifiers are external ports of the same set: an
 * echo reply goes to s46_napt_port_owner(identifier, shares), an ICMP
 * error to the owner of the quoted packet's source port or identifier. */
static inline unsigned s46_napt_port_owner(uint16_t ext_port, unsigned shares)
{
    if (shares <= 1 || shares > S46_NAPT_MAX_SHARES)
        return 0;
    /* shares = 2^e * o, o odd: the low e bits of the owner fold the pair
     * number's low bits with its top bits (one of them varies in every port
     * set); the rest is the pair number modulo o. */
    unsigned e = (unsigned)__builtin_ctz(shares), o = shares >> e;
    unsigned y = (unsigned)ext_port >> 1;
    unsigned r = (y ^ (y >> (15 - e))) & ((1u << e) - 1);
    return o == 1 ? r : r | ((y >> e) % o) << e;
}

/* Fills in the RFC-compliant defaults (ports and addresses left zero). */
void s46_napt_config_default(s46_napt_config *c);

typedef struct s46_napt s46_napt;

typedef enum s46_napt_result {
    S46_NAPT_OK = 0,
    S46_NAPT_NO_PORT,      /* outbound: every port of the set is in use */
    S46_NAPT_NO_MAPPING,   /* outbound: mapping table full */
    S46_NAPT_NO_SESSION,   /* session table full */
    S46_NAPT_NOT_FOUND,    /* inbound: no mapping for that port */
    S46_NAPT_FILTERED,     /* inbound: refused by the filtering behaviour */
} s46_napt_result;

/* TCP segment flags that move the state machine. */
enum { S46_TCP_FIN = 0x01, S46_TCP_SYN = 0x02, S46_TCP_RST = 0x04, S46_TCP_ACK = 0x10 };

typedef struct s46_napt_flow {
    uint8_t proto;       /* S46_NAPT_TCP/UDP/ICMP */
    uint32_t int_addr;   /* internal (LAN) endpoint */
    uint16_t int_port;
    uint32_t rem_addr;   /* remote endpoint */
    uint16_t rem_port;
    uint16_t ext_port;   /* filled in: external port */
} s46_napt_flow;

s46_napt *s46_napt_new(const s46_napt_config *c);
void s46_napt_free(s46_napt *t);
/* Flushes every mapping and applies a new address and port set (the IPv4
 * address or PSID changed: RFC 7596 §5.1 MUST flush). */
void s46_napt_reset(s46_napt *t, uint32_t ext_addr, uint8_t psid_offset, uint8_t psid_len,
                    uint16_t psid);

/* Applies new filtering and timers from c (capacities and addresses are
 * left alone); existing mappings stay. */
void s46_napt_set_policy(s46_napt *t, const s46_napt_config *c);

/* Outbound packet of flow f (internal -> remote) at time now: finds or
 * creates the mapping and the session, fills f->ext_port. tcp_flags: the
 * segment's flags for TCP, else 0. */
s46_napt_result s46_napt_outbound(s46_napt *t, s46_napt_flow *f, uint8_t tcp_flags,
                                  uint32_t now);
/* Whether the last successful s46_napt_outbound created its mapping. */
bool s46_napt_last_created(const s46_napt *t);
/* Inbound packet to ext_port from the remote endpoint in f: fills
 * f->int_addr/int_port when allowed. Creates a session when the filtering
 * behaviour admits a new remote (EIF). */
s46_napt_result s46_napt_inbound(s46_napt *t, s46_napt_flow *f, uint8_t tcp_flags,
                                 uint32_t now);
/* Lookup without side effects (ICMP errors: RFC 5508 REQ-6 says they must
 * not refresh or create state). Internal endpoint for an external port, or
 * external port for an internal endpoint. */
bool s46_napt_lookup_ext(const s46_napt *t, uint8_t proto, uint16_t ext_port,
                         uint32_t *int_addr, uint16_t *int_port, uint32_t now);
bool s46_napt_lookup_int(const s46_napt *t, uint8_t proto, uint32_t int_addr,
                         uint16_t int_port, uint16_t *ext_port, uint32_t now);
/* Frees expired entries, looking at most at `budget` sessions; returns how
 * many were freed. Call regularly (e.g. once per batch). Cheap when little
 * is due: a call returns at once when no session can have expired, and
 * skips blocks of sessions none of which can have expired (at most `budget`
 * such blocks per call). */
uint32_t s46_napt_expire(s46_napt *t, uint32_t now, uint32_t budget);

typedef struct s46_napt_stats {
    uint32_t mappings, sessions;      /* in use */
    uint32_t ports_total;             /* size of the port set */
    uint32_t ports_used[S46_NAPT_NPROTO];
    uint32_t bytes_per_mapping;       /* memory of one mapping incl. indexes */
    uint32_t bytes_per_session;
    uint32_t ports_owned;             /* of the set, those this table can hand
                                         out (its share; port 0 never) */
} s46_napt_stats;
void s46_napt_stats_get(const s46_napt *t, s46_napt_stats *s);

/* Walks the mappings in use (for `s46 show`); stops when fn returns false. */
typedef struct s46_napt_mapping_info {
    uint8_t proto;
    uint32_t int_addr;
    uint16_t int_port, ext_port;
    uint32_t sessions;
    uint32_t expires; /* absolute time of the latest session expiry */
} s46_napt_mapping_info;
void s46_napt_walk(const s46_napt *t, bool (*fn)(const s46_napt_mapping_info *, void *),
                   void *arg);
#endif
