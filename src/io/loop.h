/* The one run loop of every daemon and of `s46 replay`: worker threads,
 * each with its own ports (one queue of each interface), packet pool and
 * pipeline instance, doing rx -> pipeline -> tx -> release; the calling
 * thread keeps the control socket, signals, a periodic tick and a wake-up
 * fd for the daemon.
 *
 * Sides: a loop has two sides (pipeline.h). Each side is an interface (port
 * spec); when both name the same TUN device, one port per worker carries
 * both and packets are split by IP version.
 * Workers: a packet a pipeline REDIRECTs goes to the owning worker through
 * a single-producer ring (and its buffer back through another), so no lock
 * sits on the packet path. Reconfiguration is handed to every worker
 * between two batches (no packet lost) and waited for; `show` is answered
 * by each worker for its own state, then summed. */
#ifndef S46_IO_LOOP_H
#define S46_IO_LOOP_H
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>

#include "dp/pipeline.h"
#include "io/ctl.h"
#include "io/port.h"

#define S46_WORKERS_MAX 64

/* The loop's own counters, per worker, summed in `show`. */
#define S46_LOOP_COUNTERS(X) \
    X(dropped_unconfigured, "packets received while no pipeline ran (a CE with no mechanism yet)") \
    X(dropped_not_ip, "packets read from a TUN device that were neither IPv4 nor IPv6") \
    X(redirected, "packets handed to the worker that owns their state (NAPT share, reassembly)") \
    X(redirect_dropped, "packets that could not be handed over: the owner's ring full, no buffer")

typedef struct s46_loop s46_loop;

typedef struct s46_loop_conf {
    const s46_pipeline_ops *pipeline;
    const void *pipeline_conf;     /* for create (NULL: created later by
                                      s46_loop_reconfigure) */
    s46_port_spec side[2];         /* side 0 (IPv4/LAN), side 1 (IPv6/WAN) */
    unsigned workers;              /* 0: one per CPU this process may use */
    bool pin;                      /* pin worker i to the i-th allowed CPU */
    bool until_eof;                /* replay: read side 0's input to its end,
                                      then side 1's, then stop */
    bool eof_v6_first;             /* until_eof: side 1's input first (the
                                      AFTR: subscribers make the mappings
                                      the IPv4 side's packets answer) */
    s46_ctl *ctl;                  /* may be NULL */
    /* Control commands other than "show" (which the loop answers with
     * s46_loop_show); may be NULL. Called on the calling thread. */
    json_t *(*command)(const char *cmd, void *arg);
    /* Members the daemon adds to `show`'s answer; may be NULL. */
    void (*show_extra)(json_t *answer, void *arg);
    void (*tick)(uint64_t now_ns, void *arg); /* main thread, ~1/s; may be NULL */
    int wake_fd;                   /* main thread polls it too when >= 0 */
    void (*wake)(void *arg);
    void *arg;
    volatile sig_atomic_t *stop;
} s46_loop_conf;

/* Opens every worker's ports and creates its pipeline (threads not yet
 * started). NULL with err. note receives what the port factory said about
 * fallbacks (e.g. "xdp: ...: using afpacket"). */
s46_loop *s46_loop_new(const s46_loop_conf *c, char *note, size_t notelen, char *err,
                       size_t errlen);
/* Runs until *stop (or, until_eof, the inputs end). 0, or -1 with err. */
int s46_loop_run(s46_loop *l, char *err, size_t errlen);
/* Main thread, while running or before: gives every worker a new pipeline
 * configuration (or, with no pipeline yet, creates them). -1 with err (the
 * first worker's refusal): no worker changed. conf = NULL removes the
 * pipelines (every packet is then counted as dropped_unconfigured). */
int s46_loop_reconfigure(s46_loop *l, const void *conf, char *err, size_t errlen);
/* Before s46_loop_run: sets the wake-up fd and its callback. */
void s46_loop_set_wake(s46_loop *l, int fd, void (*wake)(void *arg));
/* Main thread: every worker's port of `side` answers ARP/NDP for addr
 * (s46_port_own; nothing for ports without a link layer). */
void s46_loop_own(s46_loop *l, unsigned side, int family, const void *addr);
/* Main thread: frames to the IPv6 prefix addr/plen are the data plane's
 * too, on every worker's port of `side` (s46_port_own_prefix6). */
void s46_loop_own_prefix6(s46_loop *l, unsigned side, const uint8_t addr[16], unsigned plen);
/* The "show" answer: {"io": kind, "workers": N, "interfaces": {"v4", "v6"}
 * or {"tun"}: port counters summed over the workers, the loop counters
 * (S46_LOOP_COUNTERS), the pipeline's state (worker 0's, with the NAPT
 * mappings of every worker), "counters": summed, "per_worker": [...]},
 * plus what show_extra adds. */
json_t *s46_loop_show(s46_loop *l);
/* Not running: worker 0 takes batch b as if its port on `side` had read it
 * (pipeline, then tx and release), and ticks every pipeline when tick is
 * set. For fuzzers and tests that feed packets one batch at a time. */
void s46_loop_feed(s46_loop *l, s46_batch *b, uint16_t side, uint64_t now_ns, bool tick);
/* Not running: the port counters of `side` summed over the workers. */
void s46_loop_port_stats(s46_loop *l, unsigned side, s46_port_stats *sum);
unsigned s46_loop_workers(const s46_loop *l);
const char *s46_loop_io(const s46_loop *l);
/* Stops the threads (if running), closes the ports, frees. */
void s46_loop_free(s46_loop *l);
/* How many CPUs this process may run on. */
unsigned s46_cpus_allowed(void);
#endif
