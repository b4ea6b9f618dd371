/* tuncheck: a TUN "reflector" for tests and measurements. It opens every
 * queue of a TUN device through the port interface (io/port.h), one
 * thread per queue, and writes each packet it reads straight back into the
 * device, so the kernel routes it on (policy routing by incoming interface
 * decides where). With --verify it checks every packet the port hands
 * over the way a data plane relies on: it fits a buffer, carries no
 * offload metadata, its IPv4 header checksum and its TCP/UDP checksum
 * (recomputed over the whole packet) are correct.
 *
 *   tuncheck --dev NAME [--queues N] [--offloads] [--mtu M] [--verify]
 *
 * Prints "ready" once every queue is open; on SIGUSR1 one line with a JSON
 * object: per queue, the port counters and the verification counts, and
 * their sums; on SIGTERM or SIGINT the same once more, then it stops. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/port.h"
#include "lib/csum.h"

#define MAXQ 16

typedef struct worker {
    pthread_t th;
    s46_port *port;
    s46_pktpool *pool;
    int verify;
    uint64_t checked, bad_csum, bad_shape;
} worker;

static volatile sig_atomic_t stop, dump;
static void on_signal(int s) { (void)s, stop = 1; }
static void on_usr1(int s) { (void)s, dump = 1; }

/* 0 when the packet is one a data plane can take as it is. */
static int check(const s46_pkt *p, uint64_t *bad_shape)
{
    const uint8_t *d = p->data;
    if (p->len > S46_PKT_MAXDATA || p->gso_size || p->csum_partial || p->len < 20) {
        ++*bad_shape;
        return 0;
    }
    uint32_t l4off, l4len;
    uint8_t proto;
    uint32_t sum;
    if (d[0] >> 4 == 4) {
        l4off = (uint32_t)(d[0] & 15) * 4;
        if (l4off < 20 || l4off > p->len || s46_get16(d + 2) != p->len) {
            ++*bad_shape;
            return 0;
        }
        if (s46_csum_fold(s46_csum_add(0, d, l4off)) != 0)
            return -1;
        if (s46_get16(d + 6) & 0x3fff)
            return 0; /* a fragment: no L4 check */
        proto = d[9];
        l4len = p->len - l4off;
        sum = s46_csum_pseudo4(d + 12, d + 16, proto, l4len);
    } else if (d[0] >> 4 == 6 && p->len >= 40) {
        if ((uint32_t)s46_get16(d + 4) + 40 != p->len) {
            ++*bad_shape;
            return 0;
        }
        l4off = 40;
        proto = d[6];
        l4len = p->len - 40;
        sum = s46_csum_pseudo6(d + 8, d + 24, proto, l4len);
    } else {
        ++*bad_shape;
        return 0;
    }
    if (proto == 6 && l4len >= 20) {
        return s46_csum_fold(s46_csum_add(sum, d + l4off, l4len)) == 0 ? 0 : -1;
    }
    if (proto == 17 && l4len >= 8) {
        if (s46_get16(d + l4off + 6) == 0 && d[0] >> 4 == 4)
            return 0; /* IPv4 UDP without checksum */
        return s46_csum_fold(s46_csum_add(sum, d + l4off, l4len)) == 0 ? 0 : -1;
    }
    return 0;
}

static void *run(void *arg)
{
    worker *w = arg;
    while (!stop) {
        struct pollfd pf = {.fd = w->port->fd, .events = POLLIN};
        int r = poll(&pf, 1, 100);
        if (r <= 0)
            continue;
        for (int round = 0; round < 64; round++) {
            s46_batch b = {0};
            if (s46_port_rx(w->port, w->pool, &b, S46_BATCH_IN) == 0)
                break;
            if (w->verify)
                for (uint32_t i = 0; i < b.count; i++) {
                    w->checked++;
                    if (check(b.pkts[i], &w->bad_shape) < 0)
                        w->bad_csum++;
                }
            s46_port_tx(w->port, b.pkts, b.count);
            for (uint32_t i = 0; i < b.count; i++)
                s46_pkt_release(w->pool, b.pkts[i]);
        }
    }
    return NULL;
}

/* One line of JSON: counters per queue and summed. The workers write them
 * as they go; plain 64-bit loads here (io/port.h). */
static void report(worker *w, unsigned nq)
{
    json_t *out = json_object(), *qs = json_array();
    s46_port_stats sum;
    memset(&sum, 0, sizeof sum);
    uint64_t checked = 0, bad_csum = 0, bad_shape = 0;
    for (unsigned q = 0; q < nq; q++) {
        json_t *o = s46_port_stats_json(&w[q].port->st);
        json_object_set_new(o, "checked", json_integer((json_int_t)w[q].checked));
        json_object_set_new(o, "bad_csum", json_integer((json_int_t)w[q].bad_csum));
        json_object_set_new(o, "bad_shape", json_integer((json_int_t)w[q].bad_shape));
        json_array_append_new(qs, o);
        s46_port_stats_add(&sum, &w[q].port->st);
        checked += w[q].checked, bad_csum += w[q].bad_csum, bad_shape += w[q].bad_shape;
    }
    json_t *t = s46_port_stats_json(&sum);
    json_object_set_new(t, "checked", json_integer((json_int_t)checked));
    json_object_set_new(t, "bad_csum", json_integer((json_int_t)bad_csum));
    json_object_set_new(t, "bad_shape", json_integer((json_int_t)bad_shape));
    json_object_set_new(out, "queues", qs);
    json_object_set_new(out, "total", t);
    char *s = json_dumps(out, JSON_COMPACT);
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    json_decref(out);
}

static void usage(void)
{
    fprintf(stderr, "usage: tuncheck --dev NAME [--queues N] [--offloads] [--mtu M] [--verify]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    s46_port_spec spec = {.kind = S46_PORT_TUN, .queues = 1};
    int verify = 0;
    static const struct option opts[] = {{"dev", 1, 0, 'd'},      {"queues", 1, 0, 'q'},
                                         {"offloads", 0, 0, 'o'}, {"mtu", 1, 0, 'm'},
                                         {"verify", 0, 0, 'v'},   {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': spec.ifname = optarg; break;
        case 'q': spec.queues = (unsigned)atoi(optarg); break;
        case 'o': spec.offloads = true; break;
        case 'm': spec.mtu = (unsigned)atoi(optarg); break;
        case 'v': verify = 1; break;
        default: usage();
        }
    }
    if (!spec.ifname || spec.queues < 1 || spec.queues > MAXQ)
        usage();
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct sigaction su = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &su, NULL);
    worker w[MAXQ];
    memset(w, 0, sizeof w);
    char err[256];
    for (unsigned q = 0; q < spec.queues; q++) {
        w[q].port = s46_port_open_tun(&spec, q, err, sizeof err);
        w[q].pool = s46_pktpool_new(512);
        w[q].verify = verify;
        if (!w[q].port || !w[q].pool) {
            fprintf(stderr, "tuncheck: queue %u: %s\n", q, w[q].port ? "out of memory" : err);
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    for (unsigned q = 0; q < spec.queues; q++)
        pthread_create(&w[q].th, NULL, run, &w[q]);
    while (!stop) {
        usleep(20000);
        if (dump) {
            dump = 0;
            report(w, spec.queues);
        }
    }
    for (unsigned q = 0; q < spec.queues; q++)
        pthread_join(w[q].th, NULL);
    for (unsigned q = 0; q < spec.queues; q++)
        s46_port_sync(w[q].port);
    report(w, spec.queues);
    for (unsigned q = 0; q < spec.queues; q++) {
        s46_port_close(w[q].port);
        s46_pktpool_free(w[q].pool);
    }
    return 0;
}
