#include "io/loop.h"
#include "lib/clock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"

#define RING_SLOTS 1024u /* power of two */
#define POOL_PKTS (4 * S46_BATCH_MAX)

/* A single-producer single-consumer ring of packet pointers. Each side
 * keeps its own copy of the other's index and reads the shared one only
 * when that copy says the ring is full (producer) or empty (consumer), so
 * the cache lines move between cores once per batch, not per packet. */
typedef struct ring {
    _Alignas(64) _Atomic uint32_t head; /* written by the producer */
    uint32_t tail_seen;                 /* the producer's copy of tail */
    _Alignas(64) _Atomic uint32_t tail; /* written by the consumer */
    uint32_t head_seen;                 /* the consumer's copy of head */
    _Alignas(64) s46_pkt *slot[RING_SLOTS];
} ring;

static bool ring_push(ring *r, s46_pkt *p)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - r->tail_seen >= RING_SLOTS) {
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h - r->tail_seen >= RING_SLOTS)
            return false;
    }
    r->slot[h & (RING_SLOTS - 1)] = p;
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

static bool ring_empty(ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed) ==
           atomic_load_explicit(&r->head, memory_order_acquire);
}

static s46_pkt *ring_pop(ring *r)
{
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t == r->head_seen) {
        r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
        if (t == r->head_seen)
            return NULL;
    }
    s46_pkt *p = r->slot[t & (RING_SLOTS - 1)];
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return p;
}

typedef struct worker worker;
typedef void (*job_fn)(worker *w, void *arg);

struct worker {
    s46_loop *l;
    unsigned idx;
    pthread_t th;
    bool started;
    s46_port *port[2];          /* the same port twice for a TUN */
    s46_pktpool *pool;
    void *pl;                   /* pipeline instance, NULL: none */
    int evfd;
    _Atomic int sleeping;
    _Atomic unsigned job_seq;
    unsigned done_seq;
    job_fn job;
    void *job_arg;
    ring **in;                  /* in[j]: packets worker j hands to us */
    ring **back;                /* back[j]: our buffers worker j is done with */
    uint64_t next_tick;
#define S46_LOOP_FIELD(n, d) uint64_t n;
    S46_LOOP_COUNTERS(S46_LOOP_FIELD)
#undef S46_LOOP_FIELD
};

struct s46_loop {
    s46_loop_conf c;
    unsigned n;
    worker *w;
    bool shared;                /* one port carries both sides */
    _Atomic int quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running;
    /* job results */
    int job_rc;
    char job_err[256];
    const void *job_conf;
};

unsigned s46_cpus_allowed(void)
{
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof s, &s) == 0 && CPU_COUNT(&s) > 0)
        return (unsigned)CPU_COUNT(&s);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void poke(worker *w)
{
    uint64_t one = 1;
    if (w->evfd >= 0 && write(w->evfd, &one, sizeof one) < 0) {
        /* the counter is full: it is readable anyway */
    }
}

/* ---- jobs: run a function in every worker between two batches ---- */

static void run_jobs_here(worker *w)
{
    unsigned seq = atomic_load_explicit(&w->job_seq, memory_order_acquire);
    if (seq == w->done_seq)
        return;
    w->job(w, w->job_arg);
    pthread_mutex_lock(&w->l->mu);
    w->done_seq = seq;
    pthread_cond_broadcast(&w->l->cv);
    pthread_mutex_unlock(&w->l->mu);
}

/* Main thread: fn(worker, arg) in every worker; returns when all ran it. */
static int each_worker(s46_loop *l, job_fn fn, void *arg)
{
    if (!l->running) {
        for (unsigned i = 0; i < l->n; i++)
            fn(&l->w[i], arg);
        return 0;
    }
    pthread_mutex_lock(&l->mu);
    unsigned seqs[S46_WORKERS_MAX];
    for (unsigned i = 0; i < l->n; i++) {
        worker *w = &l->w[i];
        w->job = fn;
        w->job_arg = arg;
        seqs[i] = atomic_load(&w->job_seq) + 1;
        atomic_store_explicit(&w->job_seq, seqs[i], memory_order_release);
        poke(w);
    }
    int rc = 0;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    for (unsigned i = 0; i < l->n && rc == 0; i++)
        while (l->w[i].done_seq != seqs[i] && rc == 0)
            rc = pthread_cond_timedwait(&l->cv, &l->mu, &dl) == ETIMEDOUT ? -1 : 0;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* ---- the worker's packet path ---- */

static void release(worker *w, s46_pkt *p) { s46_pkt_release(w->pool, p); }

/* Hands p (verdict REDIRECT) to its worker. */
static void redirect(worker *w, s46_pkt *p)
{
    unsigned to = p->out_port;
    if (to >= w->l->n || to == w->idx || !ring_push(w->l->w[to].in[w->idx], p)) {
        w->redirect_dropped++;
        release(w, p);
        return;
    }
    w->redirected++;
    if (atomic_load_explicit(&w->l->w[to].sleeping, memory_order_acquire))
        poke(&w->l->w[to]);
}

/* Sends what the pipeline forwarded, hands over what it redirected,
 * releases the rest. */
static void dispatch(worker *w, s46_batch *b)
{
    s46_pkt *out[2][S46_BATCH_MAX];
    uint32_t nout[2] = {0, 0};
    for (uint32_t i = 0; i < b->count; i++) {
        s46_pkt *p = b->pkts[i];
        if (p->verdict == S46_V_FORWARD && p->out_port < 2)
            out[w->l->shared ? 0 : p->out_port][nout[w->l->shared ? 0 : p->out_port]++] = p;
        else if (p->verdict == S46_V_REDIRECT)
            redirect(w, p);
        else
            release(w, p);
    }
    for (int s = 0; s < 2; s++) {
        s46_port_tx(w->port[s], out[s], nout[s]);
        for (uint32_t i = 0; i < nout[s]; i++)
            release(w, out[s][i]);
    }
}

static void process(worker *w, s46_batch *b, uint16_t side, uint64_t now, bool steer)
{
    if (!b->count)
        return;
    const s46_pipeline_ops *ops = w->l->c.pipeline;
    if (steer && w->pl && ops->steer && w->l->n > 1) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < b->count; i++) {
            s46_pkt *p = b->pkts[i];
            unsigned owner = ops->steer(w->pl, p, side);
            if (owner != w->idx) {
                p->out_port = (uint16_t)owner;
                redirect(w, p);
            } else {
                b->pkts[k++] = p;
            }
        }
        b->count = k;
        if (!k)
            return;
    }
    if (!w->pl) {
        w->dropped_unconfigured += b->count;
        for (uint32_t i = 0; i < b->count; i++)
            release(w, b->pkts[i]);
        b->count = 0;
        return;
    }
    ops->process(w->pl, b, side, now);
    dispatch(w, b);
}

/* A batch from the port carrying both sides: split by IP version. */
static void process_mixed(worker *w, s46_batch *b, uint64_t now)
{
    s46_batch v[2];
    v[0].count = v[1].count = 0;
    for (uint32_t i = 0; i < b->count; i++) {
        s46_pkt *p = b->pkts[i];
        unsigned ver = p->len ? p->data[0] >> 4 : 0;
        if (ver == 4 || ver == 6) {
            p->in_port = ver == 6; /* the side: a hand-over keeps it */
            v[ver == 6].pkts[v[ver == 6].count++] = p;
        } else {
            w->dropped_not_ip++;
            release(w, p);
        }
    }
    process(w, &v[0], S46_SIDE_V4, now, true);
    process(w, &v[1], S46_SIDE_V6, now, true);
}

/* Packets other workers handed to us: copied into our own buffers (theirs
 * go back to them), then processed like received ones. */
static uint32_t take_redirected(worker *w, uint64_t now)
{
    uint32_t total = 0;
    for (unsigned j = 0; j < w->l->n; j++) {
        if (j == w->idx)
            continue;
        s46_pkt *q;
        while ((q = ring_pop(w->back[j])))
            release(w, q);
        s46_batch b[2];
        b[0].count = b[1].count = 0;
        while (b[0].count < S46_BATCH_IN && b[1].count < S46_BATCH_IN &&
               (q = ring_pop(w->in[j]))) {
            s46_pkt *p = s46_pkt_alloc(w->pool);
            if (p && q->len <= S46_PKT_MAXDATA) {
                memcpy(p->data, q->data, q->len);
                p->len = q->len;
                p->in_port = q->in_port;
                p->ts_ns = q->ts_ns;
                p->gso_size = q->gso_size;
                p->gso_type = q->gso_type;
                p->mark = q->mark;
                p->csum_partial = q->csum_partial;
                p->csum_start = q->csum_start;
                p->csum_off = q->csum_off;
                uint16_t side = q->in_port ? 1 : 0;
                b[side].pkts[b[side].count++] = p;
            } else {
                w->redirect_dropped++;
                if (p)
                    release(w, p);
            }
            /* the ring back has the same room as the one in */
            ring_push(w->l->w[j].back[w->idx], q);
        }
        total += b[0].count + b[1].count;
        process(w, &b[0], S46_SIDE_V4, now, false);
        process(w, &b[1], S46_SIDE_V6, now, false);
    }
    return total;
}

static uint32_t poll_side(worker *w, unsigned s, uint64_t now)
{
    s46_batch b;
    b.count = 0;
    uint32_t n = s46_port_rx(w->port[s], w->pool, &b, S46_BATCH_IN);
    if (!n)
        return 0;
    for (uint32_t i = 0; i < b.count; i++)
        b.pkts[i]->in_port = (uint16_t)s;
    if (w->l->shared)
        process_mixed(w, &b, now);
    else
        process(w, &b, (uint16_t)s, now, true);
    return n;
}

static void tick(worker *w, uint64_t now)
{
    if (now < w->next_tick)
        return;
    w->next_tick = now + 1000000000ull;
    if (w->pl && w->l->c.pipeline->tick)
        w->l->c.pipeline->tick(w->pl, now);
    s46_port_sync(w->port[0]);
    if (!w->l->shared)
        s46_port_sync(w->port[1]);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    s46_loop *l = w->l;
    unsigned nports = l->shared ? 1 : 2;
    int idle = 0;
    while (!atomic_load_explicit(&l->quit, memory_order_acquire)) {
        run_jobs_here(w);
        uint64_t now = s46_now_ns();
        uint32_t got = 0;
        for (int round = 0; round < 8; round++) {
            uint32_t r = 0;
            for (unsigned s = 0; s < nports; s++)
                r += poll_side(w, s, now);
            if (l->n > 1)
                r += take_redirected(w, now);
            got += r;
            if (!r)
                break;
        }
        tick(w, now);
        if (got) {
            idle = 0;
            continue;
        }
        if (++idle < 4) /* a little spinning before sleeping */
            continue;
        struct pollfd pf[3];
        unsigned np = 0;
        for (unsigned s = 0; s < nports; s++)
            if (w->port[s]->fd >= 0)
                pf[np++] = (struct pollfd){.fd = w->port[s]->fd, .events = POLLIN};
        pf[np++] = (struct pollfd){.fd = w->evfd, .events = POLLIN};
        atomic_store_explicit(&w->sleeping, 1, memory_order_seq_cst);
        /* a hand-over that came before the flag was seen is taken now */
        bool waiting = false;
        for (unsigned j = 0; j < l->n && !waiting; j++)
            waiting = j != w->idx && !ring_empty(w->in[j]);
        int r = waiting ? 0 : poll(pf, np, 100);
        atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
        if (r > 0 && (pf[np - 1].revents & POLLIN)) {
            uint64_t v;
            if (read(w->evfd, &v, sizeof v) < 0) {
                /* nothing waiting after all */
            }
        }
    }
    return NULL;
}

/* ---- until_eof: replay of files, in the calling thread ---- */

static int run_to_eof(s46_loop *l, char *err, size_t errlen)
{
    worker *w = &l->w[0];
    for (unsigned k = 0; k < 2; k++) {
        unsigned s = l->c.eof_v6_first ? 1 - k : k;
        s46_port *p = w->port[s];
        while (!p->eof) {
            s46_batch b;
            b.count = 0;
            s46_port_rx(p, w->pool, &b, S46_BATCH_IN);
            if (!b.count) {
                if (!p->eof) {
                    s46_seterr(err, errlen, "%s: no packet buffer", p->name);
                    return -1;
                }
                continue;
            }
            uint64_t now = b.pkts[0]->ts_ns;
            for (uint32_t i = 0; i < b.count; i++)
                b.pkts[i]->in_port = (uint16_t)s;
            process(w, &b, (uint16_t)s, now, false);
        }
        if (p->error[0]) {
            s46_seterr(err, errlen, "%s: %s", p->name, p->error);
            return -1;
        }
        if (l->shared)
            break;
    }
    return 0;
}

/* ---- setup ---- */

static void destroy_pl(worker *w, void *arg)
{
    (void)arg;
    if (w->pl)
        w->l->c.pipeline->destroy(w->pl);
    w->pl = NULL;
}

s46_loop *s46_loop_new(const s46_loop_conf *c, char *note, size_t notelen, char *err,
                       size_t errlen)
{
    if (note && notelen)
        *note = 0;
    s46_loop *l = calloc(1, sizeof *l);
    if (!l) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    l->c = *c;
    l->n = c->workers ? c->workers : s46_cpus_allowed();
    if (c->until_eof)
        l->n = 1;
    if (l->n > S46_WORKERS_MAX) {
        s46_seterr(err, errlen, "at most %d workers", S46_WORKERS_MAX);
        free(l);
        return NULL;
    }
    l->shared = c->side[0].kind == S46_PORT_TUN && c->side[1].kind == S46_PORT_TUN &&
                c->side[0].ifname && c->side[1].ifname &&
                !strcmp(c->side[0].ifname, c->side[1].ifname);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->w = calloc(l->n, sizeof *l->w);
    if (!l->w)
        goto oom;
    for (unsigned i = 0; i < l->n; i++) {
        l->w[i].l = l;
        l->w[i].idx = i;
        l->w[i].evfd = -1;
    }
    for (unsigned i = 0; i < l->n; i++) {
        worker *w = &l->w[i];
        w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        w->pool = s46_pktpool_new(POOL_PKTS);
        w->in = calloc(l->n, sizeof *w->in);
        w->back = calloc(l->n, sizeof *w->back);
        if (w->evfd < 0 || !w->pool || !w->in || !w->back)
            goto oom;
        for (unsigned j = 0; j < l->n && l->n > 1; j++) {
            if (j == i)
                continue;
            w->in[j] = aligned_alloc(64, sizeof(ring));
            w->back[j] = aligned_alloc(64, sizeof(ring));
            if (!w->in[j] || !w->back[j])
                goto oom;
            atomic_init(&w->in[j]->head, 0);
            atomic_init(&w->in[j]->tail, 0);
            atomic_init(&w->back[j]->head, 0);
            atomic_init(&w->back[j]->tail, 0);
            w->in[j]->tail_seen = w->in[j]->head_seen = 0;
            w->back[j]->tail_seen = w->back[j]->head_seen = 0;
        }
        for (unsigned s = 0; s < 2; s++) {
            if (s == 1 && l->shared) {
                w->port[1] = w->port[0];
                break;
            }
            s46_port_spec sp = c->side[s];
            sp.queues = l->n;
            char nt[256] = "", e[256] = "";
            w->port[s] = s46_port_open(&sp, i, nt, sizeof nt, e, sizeof e);
            if (!w->port[s]) {
                s46_seterr(err, errlen, "%s%s%s", sp.ifname ? sp.ifname : "", sp.ifname ? ": " : "",
                           e);
                goto fail;
            }
            if (i == 0 && *nt && note && notelen) {
                size_t used = strlen(note);
                snprintf(note + used, notelen - used, "%s%s", used ? "; " : "", nt);
            }
        }
    }
    if (c->pipeline_conf && s46_loop_reconfigure(l, c->pipeline_conf, err, errlen) < 0)
        goto fail;
    return l;
oom:
    s46_seterr(err, errlen, "out of memory");
fail:
    s46_loop_free(l);
    return NULL;
}

/* ---- reconfiguration ---- */

static void create_job(worker *w, void *arg)
{
    s46_loop *l = w->l;
    const void *conf = arg;
    s46_pipeline_env env = {.worker = w->idx, .workers = l->n};
    char e[256] = "";
    if (!conf) {
        destroy_pl(w, NULL);
        return;
    }
    int rc = 0;
    if (w->pl) {
        rc = l->c.pipeline->reconfigure(w->pl, conf, e, sizeof e);
    } else {
        w->pl = l->c.pipeline->create(conf, &env, e, sizeof e);
        rc = w->pl ? 0 : -1;
    }
    if (rc < 0) {
        pthread_mutex_lock(&l->mu);
        if (l->job_rc == 0) {
            l->job_rc = -1;
            snprintf(l->job_err, sizeof l->job_err, "%s", e);
        }
        pthread_mutex_unlock(&l->mu);
    }
}

/* Ports that choose the queue spread packets as the pipeline steers them
 * (one call per interface for a shared fanout group). Worker 0's
 * pipeline is read from this thread: it is not running, or this follows a
 * job that every worker finished. */
static void spread(s46_loop *l)
{
    if (l->n < 2 || !l->c.pipeline->spread)
        return;
    worker *w0 = &l->w[0];
    for (unsigned s = 0; s < 2 && w0->pl; s++) {
        if (s == 1 && l->shared)
            break;
        s46_spread how = l->c.pipeline->spread(w0->pl, (uint16_t)s);
        /* an AF_PACKET fanout group takes it once; memory ports each */
        for (unsigned i = 0; i < l->n; i++) {
            s46_port *p = l->w[i].port[s];
            if (p->ops->spread)
                p->ops->spread(p, how, l->n);
            if (p->ops->kind != S46_PORT_MEM)
                break;
        }
    }
}

/* A configuration is tried on a scratch instance first, so that either
 * every worker takes it or none does. */
int s46_loop_reconfigure(s46_loop *l, const void *conf, char *err, size_t errlen)
{
    if (conf) {
        s46_pipeline_env env = {.worker = 0, .workers = l->n};
        char e[256] = "";
        void *probe = l->c.pipeline->create(conf, &env, e, sizeof e);
        if (!probe) {
            s46_seterr(err, errlen, "%s", e);
            return -1;
        }
        l->c.pipeline->destroy(probe);
    }
    l->job_rc = 0;
    l->job_err[0] = 0;
    if (each_worker(l, create_job, (void *)conf) < 0) {
        s46_seterr(err, errlen, "a worker did not answer within 10 s");
        return -1;
    }
    if (l->job_rc < 0) {
        s46_seterr(err, errlen, "%s", l->job_err);
        return -1;
    }
    spread(l);
    return 0;
}

void s46_loop_set_wake(s46_loop *l, int fd, void (*wake)(void *arg))
{
    l->c.wake_fd = fd;
    l->c.wake = wake;
}

/* ---- addresses the ports answer for ---- */

typedef struct own_job {
    unsigned side;
    int family;
    bool prefix; /* an IPv6 prefix of plen bits, else the address */
    unsigned plen;
    uint8_t addr[16];
} own_job;

static void own_one(worker *w, void *arg)
{
    own_job *j = arg;
    if (j->prefix)
        s46_port_own_prefix6(w->port[j->side], j->addr, j->plen);
    else
        s46_port_own(w->port[j->side], j->family, j->addr);
}

void s46_loop_own_prefix6(s46_loop *l, unsigned side, const uint8_t addr[16], unsigned plen)
{
    own_job j = {.side = side & 1, .family = AF_INET6, .prefix = true, .plen = plen};
    memcpy(j.addr, addr, 16);
    each_worker(l, own_one, &j);
}

void s46_loop_own(s46_loop *l, unsigned side, int family, const void *addr)
{
    own_job j = {.side = side & 1, .family = family};
    memcpy(j.addr, addr, family == AF_INET6 ? 16 : 4);
    each_worker(l, own_one, &j);
}

/* ---- run ---- */

static json_t *ctl_command(const char *cmd, void *arg)
{
    s46_loop *l = arg;
    if (!strcmp(cmd, "show"))
        return s46_loop_show(l);
    return l->c.command ? l->c.command(cmd, l->c.arg) : NULL;
}

json_t *s46_loop_show(s46_loop *l);

int s46_loop_run(s46_loop *l, char *err, size_t errlen)
{
    if (l->c.until_eof)
        return run_to_eof(l, err, errlen);
    cpu_set_t allowed;
    bool pin = l->c.pin && sched_getaffinity(0, sizeof allowed, &allowed) == 0;
    int cpu = -1;
    pthread_mutex_lock(&l->mu);
    l->running = true;
    pthread_mutex_unlock(&l->mu);
    /* the workers inherit a mask that blocks every signal: signals reach
     * the calling thread and wake its poll at once */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < l->n; i++) {
        worker *w = &l->w[i];
        w->done_seq = atomic_load(&w->job_seq);
        pthread_attr_t at;
        pthread_attr_init(&at);
        if (pin) {
            do
                cpu = (cpu + 1) % CPU_SETSIZE;
            while (!CPU_ISSET(cpu, &allowed));
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            pthread_attr_setaffinity_np(&at, sizeof one, &one);
        }
        int rc = pthread_create(&w->th, &at, worker_main, w);
        pthread_attr_destroy(&at);
        if (rc != 0) {
            s46_seterr(err, errlen, "cannot start worker %u: %s", i, strerror(rc));
            atomic_store(&l->quit, 1);
            break;
        }
        w->started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    uint64_t next_tick = s46_now_ns();
    while (!atomic_load(&l->quit) && !*l->c.stop) {
        struct pollfd pf[2] = {{.fd = l->c.ctl ? l->c.ctl->fd : -1, .events = POLLIN},
                               {.fd = l->c.wake && l->c.wake_fd >= 0 ? l->c.wake_fd : -1,
                                .events = POLLIN}};
        int r = poll(pf, 2, 200);
        if (r < 0 && errno != EINTR)
            break;
        uint64_t now = s46_now_ns();
        if (l->c.tick && now >= next_tick) {
            l->c.tick(now, l->c.arg);
            next_tick = now + 1000000000ull;
        }
        if (r > 0 && (pf[0].revents & POLLIN))
            s46_ctl_serve(l->c.ctl, ctl_command, l);
        if (r > 0 && (pf[1].revents & POLLIN))
            l->c.wake(l->c.arg);
    }
    int failed = atomic_load(&l->quit);
    atomic_store(&l->quit, 1);
    for (unsigned i = 0; i < l->n; i++) {
        worker *w = &l->w[i];
        if (!w->started)
            continue;
        poke(w);
        pthread_join(w->th, NULL);
        w->started = false;
    }
    pthread_mutex_lock(&l->mu);
    l->running = false;
    pthread_mutex_unlock(&l->mu);
    return failed ? -1 : 0;
}

/* ---- show ---- */

typedef struct show_job {
    uint64_t now;
    json_t *per[S46_WORKERS_MAX];
    json_t *state[S46_WORKERS_MAX]; /* each worker's pipeline state */
    s46_port_stats ports[S46_WORKERS_MAX][2];
} show_job;

static void show_one(worker *w, void *arg)
{
    show_job *j = arg;
    s46_loop *l = w->l;
    json_t *o = json_object();
    json_object_set_new(o, "worker", json_integer(w->idx));
#define S46_LOOP_PUT(n, d) json_object_set_new(o, #n, json_integer((json_int_t)w->n));
    S46_LOOP_COUNTERS(S46_LOOP_PUT)
#undef S46_LOOP_PUT
    if (w->pl) {
        json_object_set_new(o, "counters", s46_counters_json(l->c.pipeline->counters(w->pl)));
        if (l->c.pipeline->show)
            j->state[w->idx] = l->c.pipeline->show(w->pl, j->now);
    }
    for (unsigned s = 0; s < 2; s++) {
        s46_port_sync(w->port[s]);
        j->ports[w->idx][s] = w->port[s]->st;
    }
    j->per[w->idx] = o;
}

/* Adds every integer member of b into a (same keys). */
static void sum_into(json_t *a, json_t *b)
{
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        if (!json_is_integer(v))
            continue;
        json_t *x = json_object_get(a, k);
        json_object_set_new(a, k,
                            json_integer((x ? json_integer_value(x) : 0) + json_integer_value(v)));
    }
}

json_t *s46_loop_show(s46_loop *l)
{
    show_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->now = s46_now_ns();
    json_t *ans = json_object();
    if (each_worker(l, show_one, j) < 0)
        json_object_set_new(ans, "error", json_string("a worker did not answer"));
    json_t *per = json_array(), *counters = json_object(), *loopc = json_object();
    for (unsigned i = 0; i < l->n; i++) {
        if (!j->per[i])
            continue;
        json_t *c = json_object_get(j->per[i], "counters");
        if (c)
            sum_into(counters, c);
        sum_into(loopc, j->per[i]);
        json_array_append_new(per, j->per[i]);
    }
    json_object_del(loopc, "worker");
    static const char *const side_names[2] = {"v4", "v6"};
    json_t *ports = json_object();
    for (unsigned s = 0; s < (l->shared ? 1u : 2u); s++) {
        s46_port_stats sum;
        memset(&sum, 0, sizeof sum);
        for (unsigned i = 0; i < l->n; i++)
            s46_port_stats_add(&sum, &j->ports[i][s]);
        json_t *po = s46_port_stats_json(&sum);
        json_object_set_new(po, "interface", json_string(l->w[0].port[s]->name));
        json_object_set_new(po, "kind", json_string(s46_port_kind_name(l->w[0].port[s]->ops->kind)));
        json_object_set_new(ports, l->shared ? "tun" : side_names[s], po);
    }
    json_object_set_new(ans, "io", json_string(s46_loop_io(l)));
    json_object_set_new(ans, "workers", json_integer(l->n));
    json_object_set_new(ans, "interfaces", ports);
    json_object_update(ans, loopc);
    json_decref(loopc);
    /* the pipeline's state: worker 0's members, with the NAPT mappings and
     * the CGN's port blocks of every worker joined */
    for (unsigned i = 0; i < l->n; i++) {
        if (!j->state[i])
            continue;
        const char *k;
        json_t *v;
        json_object_foreach(j->state[i], k, v) {
            json_t *have = json_object_get(ans, k);
            if (i == 0 && !json_object_get(ans, k))
                json_object_set(ans, k, v);
            else if (i > 0 && (!strcmp(k, "mappings") || !strcmp(k, "blocks")) &&
                     json_is_array(v) && json_is_array(have))
                json_array_extend(have, v);
        }
        json_decref(j->state[i]);
    }
    json_object_set_new(ans, "counters", counters);
    json_object_set_new(ans, "per_worker", per);
    free(j);
    if (l->c.show_extra)
        l->c.show_extra(ans, l->c.arg);
    return ans;
}

void s46_loop_feed(s46_loop *l, s46_batch *b, uint16_t side, uint64_t now_ns, bool tick)
{
    worker *w = &l->w[0];
    for (uint32_t i = 0; i < b->count; i++)
        b->pkts[i]->in_port = side;
    process(w, b, side, now_ns, false);
    for (unsigned i = 0; tick && i < l->n; i++)
        if (l->w[i].pl && l->c.pipeline->tick)
            l->c.pipeline->tick(l->w[i].pl, now_ns);
}

void s46_loop_port_stats(s46_loop *l, unsigned side, s46_port_stats *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned i = 0; i < l->n; i++)
        s46_port_stats_add(sum, &l->w[i].port[side & 1]->st);
}

unsigned s46_loop_workers(const s46_loop *l) { return l->n; }

const char *s46_loop_io(const s46_loop *l)
{
    return s46_port_kind_name(l->w[0].port[0] ? l->w[0].port[0]->ops->kind : S46_PORT_AUTO);
}

void s46_loop_free(s46_loop *l)
{
    if (!l)
        return;
    for (unsigned i = 0; l->w && i < l->n; i++)
        destroy_pl(&l->w[i], NULL);
    for (unsigned i = 0; l->w && i < l->n; i++) {
        worker *w = &l->w[i];
        /* buffers still in rings go back before the pools go */
        for (unsigned j = 0; w->in && j < l->n; j++) {
            s46_pkt *q;
            while (w->in[j] && (q = ring_pop(w->in[j])))
                s46_pkt_release(NULL, q);
            while (w->back[j] && (q = ring_pop(w->back[j])))
                s46_pkt_release(NULL, q);
        }
    }
    for (unsigned i = 0; l->w && i < l->n; i++) {
        worker *w = &l->w[i];
        s46_port_close(w->port[0]);
        if (w->port[1] != w->port[0])
            s46_port_close(w->port[1]);
        for (unsigned j = 0; j < l->n; j++) {
            if (w->in)
                free(w->in[j]);
            if (w->back)
                free(w->back[j]);
        }
        free(w->in);
        free(w->back);
        s46_pktpool_free(w->pool);
        if (w->evfd >= 0)
            close(w->evfd);
    }
    free(l->w);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}
