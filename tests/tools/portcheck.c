/* portcheck: opens a port through s46_port_open() and runs one scripted mode,
 * for the port conformance test (tests/integration/port_conformance.sh) and
 * for measuring a port.
 *
 *   portcheck --kind K --if IF [--queues N] [--peer-mac M] [--ring-frames N]
 *             [--own ADDR]... [--hold S] [--offloads] MODE ARGS
 *   --offloads       open the port as the daemons do (spec.offloads: the
 *                    virtio header, super-packets in and out)
 *   reflect SECONDS  every queue (one thread each) receives batches and sends
 *                    them back with source and destination swapped (IP
 *                    addresses, TCP/UDP ports; an ICMP/ICMPv6 echo request
 *                    becomes the reply); --hold S: read nothing for S
 *                    seconds first (ring-full test)
 *   blast SECONDS SRC DST SIZE
 *                    sends UDP datagrams SRC -> DST of SIZE IP bytes as fast
 *                    as the port takes them (source port varying: many
 *                    flows), receiving and discarding meanwhile
 * Prints "ready" on stderr once the ports are open, and at the end the
 * counters as JSON on stdout: {"seconds": s, "queues": [{..}, ..],
 * "total": {..}}. Exit status 0, or 1 on a failure (message on stderr). */
#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/port.h"
#include "lib/csum.h"
#include "lib/parse.h"
#include "lib/pkt.h"

#define QMAX 16

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct worker {
    pthread_t th;
    s46_port *port;
    s46_pktpool *pool;
    const char *mode;
    double until, hold;
    uint8_t src[16], dst[16];
    int fam;
    unsigned size;
} worker;

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Turns a received packet around in place; checksums stay valid (swaps do
 * not change a ones'-complement sum; the echo type change is patched). */
static void reflect(s46_pkt *p)
{
    uint8_t *d = p->data;
    s46_l3 l3;
    if (p->len >= 20 && d[0] >> 4 == 4) {
        swap(d + 12, d + 16, 4);
        if (s46_parse_ipv4(d, p->len, &l3) < 0)
            return;
    } else if (p->len >= 40 && d[0] >> 4 == 6) {
        swap(d + 8, d + 24, 16);
        if (s46_parse_ipv6(d, p->len, &l3) < 0)
            return;
    } else {
        return;
    }
    uint8_t *l4 = d + l3.l3_len;
    if (!l3.first_fragment || l3.l4_len < 8)
        return;
    if (l3.proto == S46_PROTO_TCP || l3.proto == S46_PROTO_UDP) {
        swap(l4, l4 + 2, 2);
    } else if ((l3.proto == S46_PROTO_ICMP && l4[0] == 8) ||
               (l3.proto == S46_PROTO_ICMPV6 && l4[0] == 128)) {
        uint16_t old = s46_get16(l4);
        l4[0] = l3.proto == S46_PROTO_ICMP ? 0 : 129;
        s46_csum_replace16(l4 + 2, old, s46_get16(l4));
    }
}

static uint32_t build_udp(worker *w, s46_pkt *p, uint16_t sport)
{
    uint8_t *d = p->data;
    unsigned hl = w->fam == 4 ? 20 : 40, n = w->size < hl + 8 ? hl + 8 : w->size;
    memset(d, 0, n);
    uint8_t *u = d + hl;
    uint32_t sum;
    if (w->fam == 4) {
        d[0] = 0x45, s46_put16(d + 2, (uint16_t)n), d[8] = 64, d[9] = S46_PROTO_UDP;
        memcpy(d + 12, w->src, 4), memcpy(d + 16, w->dst, 4);
        s46_put16(d + 10, s46_csum_fold(s46_csum_add(0, d, 20)));
        sum = s46_csum_pseudo4(d + 12, d + 16, S46_PROTO_UDP, n - hl);
    } else {
        d[0] = 0x60, s46_put16(d + 4, (uint16_t)(n - 40)), d[6] = S46_PROTO_UDP, d[7] = 64;
        memcpy(d + 8, w->src, 16), memcpy(d + 24, w->dst, 16);
        sum = s46_csum_pseudo6(d + 8, d + 24, S46_PROTO_UDP, n - hl);
    }
    s46_put16(u, sport), s46_put16(u + 2, 9), s46_put16(u + 4, (uint16_t)(n - hl));
    uint16_t c = s46_csum_fold(s46_csum_add(sum, u, n - hl));
    s46_put16(u + 6, c ? c : 0xffff);
    return n;
}

static void *run(void *arg)
{
    worker *w = arg;
    s46_batch b;
    s46_pkt *out[S46_BATCH_MAX];
    uint16_t sport = 1024;
    bool blast = !strcmp(w->mode, "blast");
    if (w->hold > 0)
        usleep((useconds_t)(w->hold * 1e6));
    while (now_s() < w->until) {
        b.count = 0;
        if (blast) {
            uint32_t k = 0;
            while (k < S46_BATCH_IN) {
                s46_pkt *p = s46_pkt_alloc(w->pool);
                if (!p)
                    break;
                s46_pkt_reset(p);
                p->len = build_udp(w, p, sport++ | 1024);
                out[k++] = p;
            }
            s46_port_tx(w->port, out, k);
            for (uint32_t i = 0; i < k; i++)
                s46_pkt_release(w->pool, out[i]);
            s46_port_rx(w->port, w->pool, &b, S46_BATCH_IN);
            for (uint32_t i = 0; i < b.count; i++)
                s46_pkt_release(w->pool, b.pkts[i]);
            continue;
        }
        if (s46_port_rx(w->port, w->pool, &b, S46_BATCH_IN) == 0) {
            struct pollfd pf = {.fd = w->port->fd, .events = POLLIN};
            if (pf.fd >= 0)
                poll(&pf, 1, 20);
            continue;
        }
        for (uint32_t i = 0; i < b.count; i++)
            reflect(b.pkts[i]);
        s46_port_tx(w->port, b.pkts, b.count);
        for (uint32_t i = 0; i < b.count; i++)
            s46_pkt_release(w->pool, b.pkts[i]);
    }
    s46_port_sync(w->port);
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: portcheck --kind K --if IF [--queues N] [--peer-mac M] "
                    "[--ring-frames N] [--own ADDR]... [--hold S] [--offloads] reflect SECONDS | "
                    "blast SECONDS SRC DST SIZE\n");
    return 2;
}

int main(int argc, char **argv)
{
    s46_port_spec spec = {.queues = 1};
    const char *owns[32];
    int n_own = 0;
    double hold = 0;
    static const struct option opts[] = {
        {"kind", 1, 0, 'k'},      {"if", 1, 0, 'i'},   {"queues", 1, 0, 'q'},
        {"peer-mac", 1, 0, 'm'},  {"own", 1, 0, 'o'},  {"ring-frames", 1, 0, 'r'},
        {"hold", 1, 0, 'h'},      {"offloads", 0, 0, 'O'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'k': {
            int k = s46_port_kind_parse(optarg);
            if (k < 0)
                return usage();
            spec.kind = (s46_port_kind)k;
            break;
        }
        case 'i': spec.ifname = optarg; break;
        case 'q': spec.queues = (unsigned)atoi(optarg); break;
        case 'm': spec.peer_mac = optarg; break;
        case 'r': spec.ring_frames = (unsigned)atoi(optarg); break;
        case 'h': hold = atof(optarg); break;
        case 'O': spec.offloads = true; break;
        case 'o':
            if (n_own == 32)
                return usage();
            owns[n_own++] = optarg;
            break;
        default: return usage();
        }
    }
    if (!spec.ifname || optind + 2 > argc || spec.queues < 1 || spec.queues > QMAX)
        return usage();
    const char *mode = argv[optind];
    double secs = atof(argv[optind + 1]);
    bool blast = !strcmp(mode, "blast");
    if (!blast && strcmp(mode, "reflect"))
        return usage();
    if (blast && optind + 5 > argc)
        return usage();

    worker w[QMAX];
    memset(w, 0, sizeof w);
    char err[256], note[256];
    for (unsigned q = 0; q < spec.queues; q++) {
        w[q].port = s46_port_open(&spec, q, note, sizeof note, err, sizeof err);
        if (!w[q].port) {
            fprintf(stderr, "portcheck: %s\n", err);
            while (q--) /* detaches what the first queues attached */
                s46_port_close(w[q].port);
            return 1;
        }
        if (note[0])
            fprintf(stderr, "portcheck: %s\n", note);
        w[q].pool = s46_pktpool_new(2048);
        w[q].mode = mode;
        w[q].hold = hold;
        for (int i = 0; i < n_own; i++) {
            uint8_t a[16];
            int fam = strchr(owns[i], ':') ? AF_INET6 : AF_INET;
            if (inet_pton(fam, owns[i], a) != 1 || s46_port_own(w[q].port, fam, a) < 0) {
                fprintf(stderr, "portcheck: cannot own %s\n", owns[i]);
                return 1;
            }
        }
        if (blast) {
            const char *s = argv[optind + 2], *d = argv[optind + 3];
            w[q].fam = strchr(s, ':') ? 6 : 4;
            w[q].size = (unsigned)atoi(argv[optind + 4]);
            int af = w[q].fam == 4 ? AF_INET : AF_INET6;
            if (inet_pton(af, s, w[q].src) != 1 || inet_pton(af, d, w[q].dst) != 1 ||
                w[q].size > 1500)
                return usage();
        }
    }
    fprintf(stderr, "ready\n");
    double t0 = now_s();
    for (unsigned q = 0; q < spec.queues; q++) {
        w[q].until = t0 + hold + secs;
        pthread_create(&w[q].th, NULL, run, &w[q]);
    }
    for (unsigned q = 0; q < spec.queues; q++)
        pthread_join(w[q].th, NULL);
    double dt = now_s() - t0 - hold;
    json_t *o = json_object(), *qs = json_array();
    s46_port_stats sum;
    memset(&sum, 0, sizeof sum);
    for (unsigned q = 0; q < spec.queues; q++) {
        json_array_append_new(qs, s46_port_stats_json(&w[q].port->st));
        s46_port_stats_add(&sum, &w[q].port->st);
    }
    json_object_set_new(o, "seconds", json_real(dt));
    json_object_set_new(o, "queues", qs);
    json_object_set_new(o, "total", s46_port_stats_json(&sum));
    char *s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    json_decref(o);
    for (unsigned q = 0; q < spec.queues; q++) {
        s46_port_close(w[q].port);
        s46_pktpool_free(w[q].pool);
    }
    return 0;
}
