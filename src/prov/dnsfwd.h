/* The DNS forwarder's message handling (the CE's DNS proxy, no sockets):
 * a bounded table of outstanding queries. A LAN host's query (one
 * question, opcode QUERY) takes a slot and leaves with a fresh random ID;
 * an answer is accepted for a slot only with that ID, QR set and the same
 * question (name compared case-insensitively, type, class), and leaves
 * with the host's own ID. A slot that times out is sent again to the next
 * forwarder (new ID) until its tries are spent, then answered SERVFAIL.
 * Nothing is cached; every length is checked, nothing grows beyond
 * max_queries slots of at most S46_DNSFWD_MAX_QUERY bytes each. */
#ifndef S46_PROV_DNSFWD_H
#define S46_PROV_DNSFWD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S46_DNS_HDR 12
/* The largest query taken from a LAN host (queries are small; answers are
 * not bounded by this). */
#define S46_DNSFWD_MAX_QUERY 4096

/* Checks that m is one DNS query: a header, QR clear, opcode QUERY,
 * QDCOUNT 1, a question whose name is uncompressed labels (each <= 63
 * bytes, the name <= 255) followed by type and class within len. *qend is
 * the offset after the question. 0, or -1 malformed. */
int s46_dns_query_check(const uint8_t *m, size_t len, size_t *qend);

typedef struct s46_dnsfwd s46_dnsfwd;

/* max_queries outstanding slots (1..65536), nservers forwarders (>= 1),
 * tries sends per query (>= 1; try i goes to forwarder (first + i) mod
 * nservers, first chosen round-robin), timeout_ms per try. NULL when out
 * of memory or out of range. */
s46_dnsfwd *s46_dnsfwd_new(unsigned max_queries, unsigned nservers, unsigned tries,
                           unsigned timeout_ms);
void s46_dnsfwd_free(s46_dnsfwd *f);

enum {
    S46_DNSFWD_MALFORMED = -1, /* not one query (s46_dns_query_check) or too long */
    S46_DNSFWD_FULL = -2,      /* max_queries outstanding */
};
/* Takes a LAN query at now_ms: the slot (>= 0) whose message to send is
 * s46_dnsfwd_msg and forwarder s46_dnsfwd_server, or an S46_DNSFWD_ code. */
int s46_dnsfwd_query(s46_dnsfwd *f, const uint8_t *m, size_t len, uint64_t now_ms);
/* The slot's query as it goes to the forwarder now (its upstream ID). */
const uint8_t *s46_dnsfwd_msg(const s46_dnsfwd *f, int slot, size_t *len);
unsigned s46_dnsfwd_server(const s46_dnsfwd *f, int slot);
/* The query's own ID (as the LAN host sent it). */
uint16_t s46_dnsfwd_client_id(const s46_dnsfwd *f, int slot);

enum {
    S46_DNSFWD_ANSWER_OK = 0,
    S46_DNSFWD_ANSWER_MALFORMED = -1, /* shorter than a header, QR clear, bad question */
    S46_DNSFWD_ANSWER_UNMATCHED = -2, /* another ID or question, or the slot is free */
};
/* A message from the slot's forwarder: when it answers the slot's query,
 * the LAN host's ID is written into m (in place) and the slot is freed
 * (S46_DNSFWD_ANSWER_OK); otherwise m is left alone and the slot keeps
 * waiting. An answer with no question is accepted only with a non-zero
 * RCODE (servers answer FORMERR that way). */
int s46_dnsfwd_answer(s46_dnsfwd *f, int slot, uint8_t *m, size_t len);

/* The next slot whose try timed out at now_ms, or -1. *retried: the slot
 * was re-armed for its next try (new ID, maybe another forwarder: send
 * s46_dnsfwd_msg again); else its tries are spent and the caller answers
 * with s46_dnsfwd_servfail and frees it with s46_dnsfwd_release. */
int s46_dnsfwd_expired(s46_dnsfwd *f, uint64_t now_ms, bool *retried);
/* The earliest deadline of an outstanding slot (UINT64_MAX: none). */
uint64_t s46_dnsfwd_next_deadline(const s46_dnsfwd *f);
/* A SERVFAIL answer to the slot's query (the host's ID, its question) into
 * out: its length, 0 when cap is too small. */
size_t s46_dnsfwd_servfail(const s46_dnsfwd *f, int slot, uint8_t *out, size_t cap);
/* The same for a query m that got no slot (already checked, qend from
 * s46_dns_query_check). */
size_t s46_dns_servfail(const uint8_t *m, size_t qend, uint8_t *out, size_t cap);
/* Frees a slot (its client went away, or after SERVFAIL). */
void s46_dnsfwd_release(s46_dnsfwd *f, int slot);
unsigned s46_dnsfwd_outstanding(const s46_dnsfwd *f);
#endif
