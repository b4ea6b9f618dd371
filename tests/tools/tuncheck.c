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
 *            [--super SRC4,DST4,PORT] [--raw]
 *
 * --super: on SIGUSR2, queue 0 sends two UDP super-packets from SRC4 to
 * DST4:PORT, each of 8 datagrams of 1000 bytes (a pool buffer holds 10 KB) (byte k of datagram i is
 * (7i + k) mod 251): the first with a partial checksum (for the kernel to
 * segment, tx_gso), the second without (cut by the port itself).
 * --raw: no port: reads and writes the device with IFF_VNET_HDR and
 * offloads itself, passing super-packets back whole (a ceiling for the
 * measurement of what the vnet header can buy; one queue, no checks).
 *
 * Prints "ready" once every queue is open; on SIGUSR1 one line with a JSON
 * object: per queue, the port counters and the verification counts, and
 * their sums; on SIGTERM or SIGINT the same once more, then it stops. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

static volatile sig_atomic_t stop, dump, send_super;
static void on_signal(int s) { (void)s, stop = 1; }
static void on_usr1(int s) { (void)s, dump = 1; }
static void on_usr2(int s) { (void)s, send_super = 1; }

static uint8_t super_src[4], super_dst[4];
static uint16_t super_port;

/* A UDP super-packet of 8 x 1000 bytes into p; partial: the checksum
 * field holds the pseudo-header sum (else 0, to be computed). */
static void make_super(s46_pkt *p, bool partial)
{
    uint8_t *d = p->data;
    uint32_t l4len = 8 + 8000, n = 20 + l4len;
    memset(d, 0, 28);
    d[0] = 0x45;
    s46_put16(d + 2, (uint16_t)n);
    d[8] = 64;
    d[9] = 17;
    memcpy(d + 12, super_src, 4);
    memcpy(d + 16, super_dst, 4);
    s46_put16(d + 10, s46_csum_fold(s46_csum_add(0, d, 20)));
    s46_put16(d + 20, 40000);
    s46_put16(d + 22, super_port);
    s46_put16(d + 24, (uint16_t)l4len);
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 1000; k++)
            d[28 + i * 1000 + k] = (uint8_t)((i * 7 + k) % 251);
    p->len = n;
    p->gso_size = 1000;
    p->gso_type = S46_GSO_UDP_L4;
    if (partial) {
        p->csum_partial = true;
        p->csum_start = 20;
        p->csum_off = 6;
        s46_put16(d + 26, (uint16_t)~s46_csum_fold(s46_csum_pseudo4(d + 12, d + 16, 17, l4len)));
    }
}

static void send_supers(worker *w)
{
    s46_pkt *p[2] = {s46_pkt_alloc(w->pool), s46_pkt_alloc(w->pool)};
    if (p[0] && p[1]) {
        make_super(p[0], true);
        make_super(p[1], false);
        s46_port_tx(w->port, p, 2);
    }
    s46_pkt_release(w->pool, p[0]);
    s46_pkt_release(w->pool, p[1]);
}

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
        if (send_super && w->port->queue == 0 && super_port) {
            send_super = 0;
            send_supers(w);
        }
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

/* --raw: the device read and written as it is, super-packets and all. */
static int raw_loop(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || s < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 ||
        ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0 ||
        ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        perror("tuncheck --raw");
        return 1;
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
        perror("tuncheck --raw: up");
        return 1;
    }
    close(s);
    printf("ready\n");
    fflush(stdout);
    static uint8_t buf[70000];
    uint64_t n = 0, bytes = 0, supers = 0;
    while (!stop) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 10)
            continue;
        n++;
        bytes += (uint64_t)r - 10;
        supers += buf[1] != 0; /* gso_type */
        if (write(fd, buf, (size_t)r) != r)
            fprintf(stderr, "tuncheck --raw: write: %s\n", strerror(errno));
    }
    printf("{\"total\":{\"rx_packets\":%llu,\"rx_bytes\":%llu,\"rx_gso_split\":%llu}}\n",
           (unsigned long long)n, (unsigned long long)bytes, (unsigned long long)supers);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: tuncheck --dev NAME [--queues N] [--offloads] [--mtu M] [--verify]\n"
                    "                [--super SRC4,DST4,PORT] [--raw]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    s46_port_spec spec = {.kind = S46_PORT_TUN, .queues = 1};
    int verify = 0;
    static const struct option opts[] = {{"dev", 1, 0, 'd'},      {"queues", 1, 0, 'q'},
                                         {"offloads", 0, 0, 'o'}, {"mtu", 1, 0, 'm'},
                                         {"verify", 0, 0, 'v'},   {"super", 1, 0, 's'},
                                         {"raw", 0, 0, 'r'},      {0, 0, 0, 0}};
    int raw = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': spec.ifname = optarg; break;
        case 'q': spec.queues = (unsigned)atoi(optarg); break;
        case 'o': spec.offloads = true; break;
        case 'm': spec.mtu = (unsigned)atoi(optarg); break;
        case 'v': verify = 1; break;
        case 'r': raw = 1; break;
        case 's': {
            char a[32], b[32];
            unsigned port;
            if (sscanf(optarg, "%31[^,],%31[^,],%u", a, b, &port) != 3 ||
                inet_pton(AF_INET, a, super_src) != 1 || inet_pton(AF_INET, b, super_dst) != 1 ||
                port == 0 || port > 65535)
                usage();
            super_port = (uint16_t)port;
            break;
        }
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
    struct sigaction s2 = {.sa_handler = on_usr2};
    sigaction(SIGUSR2, &s2, NULL);
    if (raw) /* no SA_RESTART: a signal ends the blocking read */
        return raw_loop(spec.ifname);
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
