/* The packet loop of a daemon on one TUN device: poll, read a batch, hand it
 * to the pipeline, write back what it forwards, answer the control socket,
 * run a periodic tick; until *stop becomes true (set from a signal handler).
 * Packets whose verdict is FORWARD go back into the TUN (the kernel routes
 * them on); drops are the pipeline's to count. */
#ifndef S46_IO_TUNLOOP_H
#define S46_IO_TUNLOOP_H
#include <signal.h>

#include "io/ctl.h"
#include "io/tun.h"

typedef struct s46_tunloop {
    s46_tun *tun;
    s46_ctl *ctl;               /* may be NULL */
    void (*process)(s46_batch *b, uint64_t now_ns, void *arg);
    void (*tick)(uint64_t now_ns, void *arg); /* about once a second; may be NULL */
    s46_ctl_handler show;
    int wake_fd;                /* polled too when > 0 (e.g. an eventfd) */
    void (*wake)(void *arg);    /* called when wake_fd is readable */
    void *arg;
    volatile sig_atomic_t *stop;
    uint64_t tx_errors;
} s46_tunloop;

/* 0 on a clean stop, -1 if the loop could not run. */
int s46_tunloop_run(s46_tunloop *l);
/* Splits b into the IPv4 and IPv6 packets (others are left out). */
void s46_batch_split(const s46_batch *b, s46_batch *v4, s46_batch *v6);
#endif
