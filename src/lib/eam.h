/* Explicit Address Mappings (RFC 7757): pairs of an IPv4 prefix and an
 * IPv6 prefix with as many suffix bits (32 - len4 == 128 - len6); an
 * address inside one side maps to the other prefix with the same suffix.
 * Lookups take the longest matching prefix of the side they start from
 * (RFC 7757 §3.2), so overlapping entries are allowed. The table is built
 * at configuration time (allocation there) and read-only afterwards:
 * lookups allocate nothing and may run from several threads. */
#ifndef S46_EAM_H
#define S46_EAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

typedef struct s46_eam_entry {
    s46_pfx4 v4;
    s46_pfx6 v6;
} s46_eam_entry;

typedef struct s46_eam {
    s46_eam_entry *by4;  /* sorted by v4.len, longest first */
    s46_eam_entry *by6;  /* sorted by v6.len, longest first */
    size_t n, cap;
} s46_eam;

void s46_eam_init(s46_eam *t);
void s46_eam_free(s46_eam *t);
/* Adds an entry; -1 with err when the suffix lengths differ, the same
 * IPv4 or IPv6 prefix is already there, or out of memory. */
int s46_eam_add(s46_eam *t, const s46_pfx4 *v4, const s46_pfx6 *v6, char *err, size_t errlen);
/* An independent copy of src into dst (dst initialised, emptied first). */
int s46_eam_copy(s46_eam *dst, const s46_eam *src);
bool s46_eam_to6(const s46_eam *t, uint32_t a4, s46_ip6 *out);
bool s46_eam_to4(const s46_eam *t, const s46_ip6 *a6, uint32_t *out);
#endif
