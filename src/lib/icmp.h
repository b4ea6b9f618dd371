/* ICMP messages the data planes generate: ICMPv4 errors (RFC 792, quoting
 * at most 576 bytes in all, RFC 1812 §4.3.2.3), ICMPv6 errors (RFC 4443,
 * at most 1280 bytes), echo replies built in place, and the rules for when
 * no error may be sent (about an ICMP error, a non-first fragment, a
 * broadcast or multicast destination or source). A token bucket limits the
 * rate. */
#ifndef S46_ICMP_H
#define S46_ICMP_H
#include "lib/addr.h"
#include "lib/parse.h"
#include "lib/pkt.h"

/* May an ICMP message (an error, an echo reply) go to or be about address
 * a? Not to what no host has: IPv4 0/8 ("this network"), 127/8 (loopback),
 * 224/4 (multicast) and 240/4 (reserved, with the limited broadcast
 * 255.255.255.255; RFC 1812 §4.3.2.7, §5.3.7); IPv6 :: , ::1 and ff00::/8
 * (multicast; RFC 4443 §2.4 (e)). */
static inline bool s46_ip4_is_unicast(uint32_t a)
{
    unsigned top = a >> 24;
    return top != 0 && top != 127 && top < 224;
}
bool s46_ip6_is_unicast(const uint8_t a[16]);

/* May an ICMPv4 error be sent about this IPv4 packet? */
bool s46_icmp4_may_error(const uint8_t *ip, const s46_l3 *l3);
bool s46_icmp6_may_error(const uint8_t *ip6, const s46_l3 *l3);

/* Builds in out an ICMPv4 error from src to the source of the IPv4 packet
 * orig (orig_len bytes), quoting it. `extra` is the 32-bit word after the
 * checksum (e.g. next-hop MTU for 3/4). Returns 0, -1 if orig is unusable. */
int s46_icmp4_error(s46_pkt *out, uint32_t src, uint8_t type, uint8_t code, uint32_t extra,
                    const uint8_t *orig, size_t orig_len);
/* The same for ICMPv6; `extra` is MTU (type 2) or pointer (type 4). */
int s46_icmp6_error(s46_pkt *out, const s46_ip6 *src, uint8_t type, uint8_t code,
                    uint32_t extra, const uint8_t *orig, size_t orig_len);
/* Turns an ICMPv4 / ICMPv6 echo request in p into the reply, in place. */
void s46_icmp4_echo_reply(s46_pkt *p, const s46_l3 *l3);
void s46_icmp6_echo_reply(s46_pkt *p, const s46_l3 *l3);

typedef struct s46_ratelimit {
    uint64_t last_ns;
    uint32_t tokens, burst, per_sec;
} s46_ratelimit;
static inline void s46_ratelimit_init(s46_ratelimit *r, uint32_t per_sec, uint32_t burst)
{
    r->last_ns = 0;
    r->tokens = burst;
    r->burst = burst;
    r->per_sec = per_sec;
}
/* true when one more message may go out at time now_ns. */
bool s46_ratelimit_take(s46_ratelimit *r, uint64_t now_ns);

typedef enum s46_icmp_outcome {
    S46_ICMP_SENT = 0,       /* p now holds the error */
    S46_ICMP_NOT_ALLOWED,    /* no error may be sent about p (see may_error) */
    S46_ICMP_RATELIMITED,    /* rl had no token left */
} s46_icmp_outcome;
/* Replaces the IPv4 packet in p (parsed into l3) by an ICMPv4 error from
 * src about it, built in scratch (a packet with a buffer of its own), when
 * one may be sent and rl allows. p is left alone otherwise. */
s46_icmp_outcome s46_icmp4_error_replace(s46_pkt *p, const s46_l3 *l3, s46_pkt *scratch,
                                         s46_ratelimit *rl, uint32_t src, uint8_t type,
                                         uint8_t code, uint32_t extra, uint64_t now_ns);
#endif
