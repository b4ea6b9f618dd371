/* Tokens the server issued (docs/hb46pp.md, S9/C8): 256 random bits handed to the CE,
 * kept only as BLAKE2b-256 hashes, each with the prefix of the profile it
 * was issued for. An in-memory open-addressing table answers lookups; new
 * tokens and "last seen" times (at most one update a minute per token) are
 * queued and written to the database by provd_tokens_flush, which the main
 * loop calls inside one transaction at least ten times a second, and at
 * once when an answer carrying a new token waits for it (the server sends
 * a new token only once it is on disk). */
#ifndef S46_PROVD_TOKENS_H
#define S46_PROVD_TOKENS_H
#include "lib/addr.h"
#include "prov/store.h"

#include <stdbool.h>
#include <stdint.h>

#define PROVD_MAX_TOKENS (1u << 20)

int provd_tokens_init(void);
/* New token for the profile with prefix pfx: hex[65] is what the CE gets,
 * hprefix[17] the first 16 hex digits of its hash (for logs), *seq its
 * place in the write queue (see provd_tokens_flush). false when the table
 * is full. */
bool provd_token_issue(const s46_pfx6 *pfx, char hex[65], char hprefix[17], uint64_t *seq);
/* The profile prefix of a known, unrevoked token text; hprefix as above is
 * filled for any well-formed token. */
bool provd_token_lookup(const char *hex, s46_pfx6 *pfx, char hprefix[17]);
/* Loads one database row (at start; revoked rows again at each reload). */
void provd_token_load(const s46_store_token *t);
/* Writes what is queued (inside the caller's transaction); *upto gets the
 * highest seq written (issued tokens up to it are durable once the caller
 * commits). 0, or -1 with
 * err: the caller rolls back and those records are lost (the memory table
 * still has the tokens). */
int provd_tokens_flush(s46_store *st, uint64_t *upto, char *err, size_t errlen);
size_t provd_tokens_count(void);
/* Records waiting for provd_tokens_flush. */
size_t provd_tokens_queued(void);
#endif
