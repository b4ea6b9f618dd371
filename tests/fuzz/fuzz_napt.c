/* libFuzzer differential target for the NAPT: the input is a sequence of
 * operations (byte 0: port set, filtering, strict or lazy sweeping,
 * shares, clock start; then 8 bytes an operation: kind, protocol and TCP
 * flags, internal endpoint, remote endpoint, external port or which live
 * mapping, time step) run on lib/napt.c and on the model of
 * tests/unit/napt_model.h. Any disagreement aborts (a finding). */
#include <stdio.h>
#include <stdlib.h>

#include "napt_model.h"

#define MAXOPS 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nm_op ops[MAXOPS];
    static const nm_conf confs[] = {
        {.a = 4, .k = 12, .psid = 0xabc}, {.a = 6, .k = 10, .psid = 0x155},
        {.a = 6, .k = 8, .psid = 0x34},   {.a = 0, .k = 6, .psid = 0x2a},
    };
    static const uint8_t fl[8] = {S46_TCP_SYN, S46_TCP_ACK, S46_TCP_FIN | S46_TCP_ACK, S46_TCP_RST,
                                  S46_TCP_SYN | S46_TCP_ACK, 0, S46_TCP_FIN, S46_TCP_SYN | S46_TCP_FIN};
    static const uint16_t rp[4] = {53, 80, 443, 5000};
    if (size < 1)
        return 0;
    nm_conf c = confs[data[0] & 3];
    c.filter = data[0] & 4 ? S46_NAPT_FILTER_EIF : S46_NAPT_FILTER_ADF;
    c.strict = data[0] & 8;
    c.shares = data[0] & 16 ? 3 : 1;
    c.share = c.shares > 1 ? (data[0] >> 5) % 3 : 0;
    c.start = data[0] & 128 ? 0xfffffe00u : 1000;
    size_t n = 0;
    for (size_t i = 1; i + 8 <= size && n < MAXOPS; i += 8) {
        const uint8_t *b = data + i;
        nm_op *o = &ops[n++];
        memset(o, 0, sizeof *o);
        o->kind = (uint8_t)(b[0] % 16 < 7 ? NM_OUT : b[0] % 16 < 12 ? NM_IN
                            : b[0] % 16 == 12 ? NM_LOOKUP_EXT : b[0] % 16 == 13 ? NM_LOOKUP_INT
                            : b[0] % 16 == 14 ? NM_EXPIRE : (b[0] & 0xf0) == 0xf0 ? NM_RESET : NM_EXPIRE);
        o->proto = (uint8_t)(b[1] % 3);
        o->flags = o->proto == S46_NAPT_TCP ? fl[(b[1] >> 2) & 7] : 0;
        o->int_addr = 0xc0a80100 + (b[2] & 3);
        o->int_port = (uint16_t)(1000 + (b[2] >> 2));
        o->rem_addr = 0x08080800 + (b[3] & 3);
        o->rem_port = rp[(b[3] >> 2) & 3];
        o->ext_pick = b[4] & 0x80 ? 0 : (uint16_t)(1 + (b[4] & 0x7f));
        o->ext_port = (uint16_t)(b[5] << 8 | b[6]);
        o->dt = b[7] < 160 ? 0 : b[7] < 240 ? (b[7] - 160u) / 4 : (b[7] - 239u) * 40;
    }
    char why[512];
    if (nm_run(&c, ops, n, NULL, why, sizeof why) != 0) {
        fprintf(stderr, "NAPT differs from the model: %s\n", why);
        abort();
    }
    return 0;
}
