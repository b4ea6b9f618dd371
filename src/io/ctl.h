/* The daemons' control socket: a UNIX stream socket; a client connects,
 * writes one command line ("show\n", at most 511 bytes), reads one JSON
 * document and EOF.
 * The server side is polled from the daemon's loop and never blocks for
 * long: a client that does not send its line within 200 ms is dropped. */
#ifndef S46_IO_CTL_H
#define S46_IO_CTL_H
#include <jansson.h>
#include <stddef.h>

typedef struct s46_ctl { int fd; char path[108]; } s46_ctl;
/* Answers one command; returns a new JSON document (or NULL: "unknown"). */
typedef json_t *(*s46_ctl_handler)(const char *cmd, void *arg);

int s46_ctl_listen(s46_ctl *c, const char *path, char *err, size_t errlen);
/* Accepts and answers every waiting client. */
void s46_ctl_serve(s46_ctl *c, s46_ctl_handler fn, void *arg);
void s46_ctl_close(s46_ctl *c);
/* Client: sends cmd, returns the answer (malloc'd, NUL-terminated). */
char *s46_ctl_query(const char *path, const char *cmd, char *err, size_t errlen);
#endif
