/* libFuzzer differential target for reassembly: the input is a fragment
 * sequence (byte 0: contexts, byte 1: timeout; then 8 bytes a fragment:
 * version, source, protocol, options, M, DF; id; offset; length; payload
 * seed; time step) fed to lib/frag.c and to the byte-map model of
 * tests/unit/frag_model.h. Any difference in an outcome or in a rebuilt
 * datagram's bytes aborts (a finding), as does a sanitizer report. */
#include <stdio.h>
#include <stdlib.h>

#include "frag_model.h"

#define MAXOPS 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fm_op ops[MAXOPS];
    static const uint64_t timeouts[4] = {10, 100, 1000, 2000000000ull};
    if (size < 2)
        return 0;
    unsigned contexts = 1 + data[0] % FM_MAXCTX;
    uint64_t timeout = timeouts[data[1] & 3];
    size_t n = 0;
    for (size_t i = 2; i + 8 <= size && n < MAXOPS; i += 8) {
        const uint8_t *b = data + i;
        fm_op *o = &ops[n++];
        memset(o, 0, sizeof *o);
        o->v = b[0] & 1 ? 6 : 4;
        o->src = (b[0] >> 1) & 3;
        o->proto = b[0] & 8 ? 6 : 17;
        o->m = b[0] & 16;
        o->df = b[0] & 32;
        o->opts = (uint8_t)(o->v == 6 ? (b[0] >> 6) & 1 : (b[0] >> 6) * 3);
        o->id = b[1] & 3;
        /* offsets mostly small (overlaps), sometimes anywhere up to 65528 */
        uint32_t off = (uint32_t)(b[2] << 8 | b[3]);
        o->off = off & 0x8000 ? (off & 0x1fff) * 8 : (off & 0x1ff) * 8;
        uint32_t len = (uint32_t)(b[4] << 8 | b[5]);
        o->len = len & 0x8000 ? len % 9400 : len & 0x3ff;
        o->seed = b[6];
        o->dt = b[7] < 200 ? b[7] % 4 : b[7] < 250 ? timeout / 2 : timeout + (b[7] & 1);
    }
    char why[512];
    if (fm_run(ops, n, contexts, timeout, NULL, why, sizeof why) != 0) {
        fprintf(stderr, "reassembly differs from the model: %s\n", why);
        abort();
    }
    return 0;
}
