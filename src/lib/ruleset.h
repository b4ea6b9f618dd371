/* A validated set of MAP rules with longest-match indexes, built once and
 * then read-only (safe to share between threads):
 *  - BMR selection: the longest Rule IPv6 prefix that contains an End-user
 *    prefix (or an IPv6 address: what a BR does with a packet's source);
 *  - FMR lookup: the longest Rule IPv4 prefix that contains an IPv4
 *    destination, and among rules sharing that prefix (o = 0 rules with
 *    explicit PSIDs) the one whose port set holds the port.
 * Lookups cost one hash probe per distinct prefix length in use. */
#ifndef S46_RULESET_H
#define S46_RULESET_H
#include "lib/maprule.h"

typedef struct s46_ruleset s46_ruleset;

/* Copies and validates the rules (a message names the first bad rule by
 * index) and builds the indexes. NULL on error. */
s46_ruleset *s46_ruleset_new(const s46_maprule *rules, size_t count, char *err,
                             size_t errlen);
void s46_ruleset_free(s46_ruleset *rs);
size_t s46_ruleset_count(const s46_ruleset *rs);
const s46_maprule *s46_ruleset_get(const s46_ruleset *rs, size_t i);
/* The shape of a rule of the set (computed once, at creation). */
const s46_rule_shape *s46_ruleset_shape(const s46_ruleset *rs, const s46_maprule *r);
/* Index of a rule returned by the lookups. */
size_t s46_ruleset_index(const s46_ruleset *rs, const s46_maprule *r);

const s46_maprule *s46_ruleset_bmr(const s46_ruleset *rs, const s46_pfx6 *eu);
const s46_maprule *s46_ruleset_match6(const s46_ruleset *rs, const s46_ip6 *a);
const s46_maprule *s46_ruleset_match4(const s46_ruleset *rs, uint32_t ipv4, uint16_t port);
/* The longest Rule IPv6 prefix length (0 without rules): s46_ruleset_match6
 * answers the same for addresses that agree on that many leading bits. */
unsigned s46_ruleset_longest6(const s46_ruleset *rs);
/* The longest Rule IPv4 prefix length (0 without rules), and whether some
 * rules share an IPv4 prefix (then the port picks among them). Without
 * shared prefixes s46_ruleset_match4 answers the same for addresses that
 * agree on that many leading bits, whatever the port. */
unsigned s46_ruleset_longest4(const s46_ruleset *rs);
bool s46_ruleset_shared4(const s46_ruleset *rs);
/* true when ipv4 lies inside some rule's IPv4 prefix, whatever the port. */
bool s46_ruleset_covers4(const s46_ruleset *rs, uint32_t ipv4);
#endif
