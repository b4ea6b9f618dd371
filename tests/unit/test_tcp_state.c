/* TCP session tracking (lib/tcp_state.h): every state against every flag
 * combination that matters, both directions, from a table written out by
 * hand (not derived from the code). */
#include "lib/tcp_state.h"
#include "t.h"

enum { F = 0x01, S = 0x02, R = 0x04, A = 0x10 };
enum { NO = S46_TCPS_NONE, SO = S46_TCPS_SYN_OUT, SI = S46_TCPS_SYN_IN, ES = S46_TCPS_EST,
       FO = S46_TCPS_FIN_OUT, FI = S46_TCPS_FIN_IN, CL = S46_TCPS_CLOSING };

struct step {
    unsigned from;
    uint8_t flags;
    bool out;
    unsigned to;
};

static const struct step steps[] = {
    /* the first packet opens, whichever its flags (a mid-stream pickup too) */
    {NO, S, true, SO}, {NO, S, false, SI}, {NO, A, true, SO}, {NO, A, false, SI},
    {NO, R, true, CL}, {NO, R | A, false, CL},
    /* an answer from the other side establishes; more from the same side does not */
    {SO, S | A, false, ES}, {SO, A, false, ES}, {SO, S, true, SO}, {SO, A, true, SO},
    {SI, S | A, true, ES}, {SI, A, true, ES}, {SI, S, false, SI}, {SI, A, false, SI},
    {SO, R, false, CL}, {SI, R, true, CL},
    /* established: data stays, a FIN half-closes, an RST closes */
    {ES, A, true, ES}, {ES, A, false, ES}, {ES, S | A, true, ES},
    {ES, F | A, true, FO}, {ES, F | A, false, FI}, {ES, R, true, CL}, {ES, R | A, false, CL},
    /* half-closed: the other side's FIN closes; a retransmitted FIN or data
     * from either side leaves it */
    {FO, F | A, false, CL}, {FO, F | A, true, FO}, {FO, A, false, FO}, {FO, A, true, FO},
    {FI, F | A, true, CL}, {FI, F | A, false, FI}, {FI, A, true, FI}, {FI, A, false, FI},
    {FO, R, true, CL}, {FI, R, false, CL},
    /* closing: only a SYN (a new connection on the same 4-tuple) reopens */
    {CL, A, true, CL}, {CL, F | A, false, CL}, {CL, R, true, CL},
    {CL, S, true, SO}, {CL, S, false, SI},
};

TEST(tcp_state_transitions_table)
{
    for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step *s = &steps[i];
        unsigned got = s46_tcp_next(s->from, s->flags, s->out);
        if (got != s->to)
            fprintf(stderr, "step %u: state %u flags 0x%02x %s -> %u, want %u\n", i, s->from,
                    s->flags, s->out ? "out" : "in", got, s->to);
        CHECK_INT(got, s->to);
    }
}

TEST(tcp_state_established_timeout_states)
{
    /* RFC 5382 REQ-5: the long timeout while the connection may carry data */
    CHECK(s46_tcp_established(ES));
    CHECK(s46_tcp_established(FO));
    CHECK(s46_tcp_established(FI));
    CHECK(!s46_tcp_established(NO));
    CHECK(!s46_tcp_established(SO));
    CHECK(!s46_tcp_established(SI));
    CHECK(!s46_tcp_established(CL));
}

T_MAIN(T_CASE(tcp_state_transitions_table), T_CASE(tcp_state_established_timeout_states))
