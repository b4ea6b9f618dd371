/* TCP connection tracking for the translators' session tables (the CE's
 * NAPT, lib/napt.c; the center's CGN, lib/cgn.c), RFC 5382 §5 and
 * RFC 6146 §3.5.2 in spirit: a session's state follows the SYN, FIN and
 * RST flags seen in each direction, and picks its idle timeout.
 *  - s46_tcp_next: the state after a packet with the TCP header's flags
 *    (FIN 0x01, SYN 0x02, RST 0x04) outbound (from the inside) or
 *    inbound; an RST closes, a SYN on a closed or closing session opens
 *    it again (a new connection on the same 4-tuple);
 *  - s46_tcp_established: the states that get the established-connection
 *    timeout (RFC 5382 REQ-5: at least 2 h 4 min), the others the
 *    transitory one (at least 4 min). Pure functions. */
#ifndef S46_LIB_TCP_STATE_H
#define S46_LIB_TCP_STATE_H
#include <stdbool.h>
#include <stdint.h>

enum s46_tcp_state {
    S46_TCPS_NONE = 0, /* no packet yet */
    S46_TCPS_SYN_OUT,  /* a SYN from inside, no answer yet */
    S46_TCPS_SYN_IN,   /* a SYN from outside, no answer yet */
    S46_TCPS_EST,      /* packets both ways */
    S46_TCPS_FIN_OUT,  /* a FIN from inside */
    S46_TCPS_FIN_IN,   /* a FIN from outside */
    S46_TCPS_CLOSING,  /* FINs both ways, or an RST */
};

static inline unsigned s46_tcp_next(unsigned st, uint8_t flags, bool outbound)
{
    if (flags & 0x04) /* RST */
        return S46_TCPS_CLOSING;
    bool fin = flags & 0x01;
    switch (st) {
    case S46_TCPS_NONE: return outbound ? S46_TCPS_SYN_OUT : S46_TCPS_SYN_IN;
    case S46_TCPS_SYN_OUT: return outbound ? st : S46_TCPS_EST;
    case S46_TCPS_SYN_IN: return outbound ? S46_TCPS_EST : st;
    case S46_TCPS_EST: return fin ? (outbound ? S46_TCPS_FIN_OUT : S46_TCPS_FIN_IN) : st;
    case S46_TCPS_FIN_OUT: return fin && !outbound ? S46_TCPS_CLOSING : st;
    case S46_TCPS_FIN_IN: return fin && outbound ? S46_TCPS_CLOSING : st;
    default: /* closing: a SYN starts a new connection on the 4-tuple */
        return flags & 0x02 ? (outbound ? S46_TCPS_SYN_OUT : S46_TCPS_SYN_IN) : st;
    }
}

static inline bool s46_tcp_established(unsigned st)
{
    return st == S46_TCPS_EST || st == S46_TCPS_FIN_OUT || st == S46_TCPS_FIN_IN;
}
#endif
