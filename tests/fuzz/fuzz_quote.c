/* libFuzzer differential target for the ICMP quote parser: the input's
 * first byte picks how it is used (a quote of the remaining bytes; or the
 * remaining bytes quoted in an ICMPv4 or ICMPv6 error), then
 * dp/icmp_quote.c and the reference reading of tests/unit/quote_model.h
 * must agree on every field (s46_quote_parse, s46_icmp_quote,
 * s46_quote_inner4). A disagreement aborts (a finding). */
#include <stdio.h>
#include <stdlib.h>

#include "lib/csum.h"
#include "quote_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[4200];
    char why[512];
    if (size < 1 || size > 4000)
        return 0;
    size_t n = size - 1;
    if (data[0] % 3 == 0) {
        /* exactly n bytes, so that a read past them is an ASan report */
        uint8_t *q = malloc(n ? n : 1);
        memcpy(q, data + 1, n);
        int rc = rq_check_parse(q, n, "quote", why, sizeof why);
        free(q);
        if (rc) {
            fprintf(stderr, "quote parser differs from the reference: %s\n", why);
            abort();
        }
        return 0;
    }
    /* an error of version 4 or 6 quoting the bytes */
    unsigned v = data[0] % 3 == 1 ? 4 : 6, h = v == 4 ? 20 : 40;
    size_t len = h + 8 + n;
    if (len > 65535)
        return 0;
    uint8_t *e = malloc(len);
    memset(e, 0, h + 8);
    if (v == 4) {
        e[0] = 0x45;
        s46_put16(e + 2, (uint16_t)len);
        e[8] = 64, e[9] = 1;
        e[12] = 198, e[13] = 51, e[14] = 100, e[15] = 1;
        e[16] = 192, e[17] = 0, e[18] = 2, e[19] = 18;
        s46_put16(e + 10, s46_csum_fold(s46_csum_add(0, e, 20)));
        e[h] = 3, e[h + 1] = 3;
    } else {
        e[0] = 0x60;
        s46_put16(e + 4, (uint16_t)(len - 40));
        e[6] = 58, e[7] = 64;
        e[8] = 0x20, e[9] = 1, e[10] = 0x0d, e[11] = 0xb8, e[23] = 1;
        e[24] = 0x20, e[25] = 1, e[26] = 0x0d, e[27] = 0xb8, e[39] = 2;
        e[h] = (uint8_t)(data[0] & 8 ? 2 : 1);
    }
    memcpy(e + h + 8, data + 1, n);
    bool quoted;
    int rc = rq_check_error(e, len, "error", &quoted, why, sizeof why);
    free(e);
    if (rc) {
        fprintf(stderr, "quote parser differs from the reference: %s\n", why);
        abort();
    }
    return 0;
}
