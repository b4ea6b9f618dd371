/* Tokens the server issued (docs/hb46pp.md, S9/C8): 256 random bits handed to the CE,
 * kept only as BLAKE2b-256 hashes, each with the prefix of the profile it
 * was issued for, its owner and, when it was issued on an `auth: "ok"`
 * answer, the subscriber it authenticates.
 *
 * Bounded: an owner -- the source prefix of the request (the profile's
 * token_unit, /56 by default) or, for a token issued on a login,
 * "user:NAME" -- holds at most PROVD_TOKENS_PER_OWNER live tokens; issuing
 * one more forgets its oldest (memory and database). The in-memory table
 * grows with what is held (no fixed cap); `token prune --unused-since`
 * and `token revoke`/`user remove` change the database, and the server
 * rebuilds its table from it on reload (provd_tokens_reload).
 *
 * New tokens, "last seen" times (at most one update a minute per token) and
 * forgotten tokens are queued and written to the database by
 * provd_tokens_flush, which the main loop calls inside one transaction at
 * least ten times a second, and at once when an answer carrying a new token
 * waits for it (the server sends a new token only once it is on disk).
 * Several servers on one PostgreSQL database each hold the tokens they
 * issued or saw, and look up in the database a token they do not hold
 * (provd_tokens_share); the per-owner bound is kept by each server. */
#ifndef S46_PROVD_TOKENS_H
#define S46_PROVD_TOKENS_H
#include "lib/addr.h"
#include "prov/store.h"

#include <stdbool.h>
#include <stdint.h>

#define PROVD_TOKENS_PER_OWNER 4
#define PROVD_TOKEN_OWNER_MAX 56  /* "user:" + 32, or a prefix text */
#define PROVD_TOKEN_USER_MAX 33   /* docs/hb46pp.md, C9: 1..32 characters */

int provd_tokens_init(void);
/* A new token for the profile with prefix pfx, counted against owner,
 * authenticating user (NULL: nobody). hex[65] is what the CE gets,
 * hprefix[17] the first 16 hex digits of its hash (for logs: the hash, never
 * the token), *seq its place in the write queue (see provd_tokens_flush;
 * 0 when the queue is full). false when out of memory. */
bool provd_token_issue(const s46_pfx6 *pfx, const char *owner, const char *user, char hex[65],
                       char hprefix[17], uint64_t *seq);
/* The profile prefix of a known, unrevoked token text, and in user the
 * subscriber it authenticates ("" for none); hprefix as above is filled
 * for any well-formed token. */
bool provd_token_lookup(const char *hex, s46_pfx6 *pfx, char user[PROVD_TOKEN_USER_MAX],
                        char hprefix[17]);
/* Rebuilds the table from the database's live tokens (at start and on each
 * reload: what an admin revoked, pruned or removed with its subscriber is
 * forgotten), keeping what is queued and not yet written. Main thread (the
 * one that calls provd_tokens_flush). 0, or -1 with err (table unchanged). */
int provd_tokens_reload(s46_store *st, char *err, size_t errlen);
/* Writes what is queued (inside the caller's transaction); *upto gets the
 * highest seq written (issued tokens up to it are durable once the caller
 * commits). 0, or -1 with err. The records stay queued until the caller
 * says they were committed (provd_tokens_written); after a rollback the
 * next flush writes them again (every record is idempotent: an add of a
 * known hash, a "last seen" that only moves forward, a delete). */
int provd_tokens_flush(s46_store *st, uint64_t *upto, char *err, size_t errlen);
/* The records of the last provd_tokens_flush are committed: unqueues them. */
void provd_tokens_written(void);
/* A database shared with other servers (PostgreSQL), on a connection of
 * its own (used under a lock by the request threads): a token not in the
 * table is looked up there, and a live one is added to the table (a token
 * another server issued). NULL: the table is all there is (SQLite). */
void provd_tokens_share(s46_store *st);
/* Tokens held (in memory, live). */
size_t provd_tokens_count(void);
/* Records waiting for provd_tokens_flush. */
size_t provd_tokens_queued(void);
#endif
