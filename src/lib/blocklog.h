/* The CGN's port-block log (RFC 6888 REQ-12, RFC 7422's "log per block"):
 * one record per port block allocated or released, not per session, in a
 * local text file that survives crashes and rotates by size, and
 * optionally sent to syslog as RFC 5424 messages. `s46 trace` reads it.
 *
 * File format (docs/cgn.md): one record per line, five fields separated by
 * one space, ending in a newline:
 *     TIME EVENT SUBSCRIBER EXTERNAL-IPV4 FIRST-LAST
 *     2024-05-01T12:00:00.123Z alloc 2001:db8:1::2 198.51.100.7 1536-2047
 * TIME is UTC with milliseconds; EVENT alloc or release; SUBSCRIBER the
 * B4's IPv6 address (a plain IPv4 subscriber ::ffff:a.b.c.d). `start` and
 * `stop` records (the other fields "-") mark the writer opening and closing
 * the log: every block still allocated is gone at either. A reader skips a
 * line it cannot parse (a torn last line after a power loss).
 *
 * Durability: s46_blocklog_write hands each line to the kernel with one
 * write(2) (O_APPEND), so a record written is never lost when the process
 * is killed; s46_blocklog_sync makes it durable (fdatasync) across a power
 * loss. The contract with the CGN (cgn.h on_block): the callback
 * s46_blocklog_cgn_cb writes the record at once; the worker calls
 * s46_blocklog_writer_flush once per packet batch, before transmitting
 * it, which syncs only when the batch allocated or released a block. A
 * failed write refuses the block (the CGN counts refused_log); a failed
 * sync returns -1 and the caller drops the packets whose flow says
 * new_block. Rotation: when a record would take the file beyond max_bytes,
 * the file is synced and renamed PATH.1 (PATH.1 to PATH.2 ... up to
 * PATH.keep, the oldest deleted) and a new PATH starts, the directory
 * synced. Thread-safe (a mutex; block events are rare): the workers of one
 * AFTR share one log. Library code: never prints. */
#ifndef S46_BLOCKLOG_H
#define S46_BLOCKLOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cgn.h"

typedef struct s46_blocklog_conf {
    const char *path;      /* the current file */
    uint64_t max_bytes;    /* rotate beyond this size; 0: 64 MiB */
    unsigned keep;         /* rotated files kept, PATH.1..PATH.keep; 0: 10 */
    const char *syslog;    /* NULL, or "unix:PATH" (e.g. unix:/dev/log) or
                              "udp:ADDRESS:PORT" ([v6]:port for IPv6) */
    const char *app_name;  /* RFC 5424 APP-NAME; NULL: "s46-aftr" */
} s46_blocklog_conf;

typedef enum s46_blocklog_event {
    S46_BLOCKLOG_ALLOC = 1,
    S46_BLOCKLOG_RELEASE = 2,
    S46_BLOCKLOG_START = 3,
    S46_BLOCKLOG_STOP = 4,
} s46_blocklog_event;

typedef struct s46_blocklog_rec {
    int64_t t_ms;         /* unix time in milliseconds */
    s46_blocklog_event event;
    s46_cgn_key sub;      /* alloc/release only */
    uint32_t ext_addr;
    uint16_t first, last;
} s46_blocklog_rec;

typedef struct s46_blocklog s46_blocklog;

/* Opens (creates) the log and appends a synced `start` record. */
s46_blocklog *s46_blocklog_open(const s46_blocklog_conf *c, char *err, size_t errlen);
/* Appends a synced `stop` record and closes. */
void s46_blocklog_close(s46_blocklog *l);
/* Appends one record (t_ms 0: now); *seq gets its sequence number. */
int s46_blocklog_write(s46_blocklog *l, const s46_blocklog_rec *r, uint64_t *seq, char *err,
                       size_t errlen);
/* Returns once every record up to seq is on disk (no-op if it is). */
int s46_blocklog_sync(s46_blocklog *l, uint64_t seq, char *err, size_t errlen);

typedef struct s46_blocklog_stats {
    uint64_t records, syncs, rotations, write_errors, syslog_sent, syslog_errors;
} s46_blocklog_stats;
void s46_blocklog_stats_get(s46_blocklog *l, s46_blocklog_stats *s);

/* One worker's side: its pending sequence number. */
typedef struct s46_blocklog_writer {
    s46_blocklog *log;
    uint64_t pending;     /* highest record written and not yet synced by us */
} s46_blocklog_writer;
/* An s46_cgn_block_cb: arg is an s46_blocklog_writer. */
int s46_blocklog_cgn_cb(void *writer, const s46_cgn_block_event *ev);
/* Syncs what this writer wrote since its last flush; 0 when nothing was. */
int s46_blocklog_writer_flush(s46_blocklog_writer *w, char *err, size_t errlen);

/* Formats a record as its line (with the newline); returns its length. */
size_t s46_blocklog_format(const s46_blocklog_rec *r, char *buf, size_t n);
/* Parses one line (with or without its newline); 0 or -1. */
int s46_blocklog_parse(const char *line, s46_blocklog_rec *r);
#endif
