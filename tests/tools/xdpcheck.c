/* Drives a packet port from the command line for the port tests.
 *
 *   xdpcheck KIND IFNAME MODE [options]
 *   KIND: auto | xdp | afpacket; MODE:
 *     reflect  sends every received IP packet back out of the port it came
 *              from, source and destination addresses swapped
 *     rx       receives only
 *     blast    sends --count copies of one IPv4/UDP packet as fast as the
 *              port takes them (--src/--dst), in batches of 32
 *   --queues N    opens queues 0..N-1 of the interface (default 1)
 *   --peer-mac M  fixed next-hop MAC
 *   --own ADDR    an address the port answers ARP/NDP for (repeatable)
 *   --own-prefix P/LEN  an IPv6 prefix whose frames the port takes (repeatable)
 *   --dump FILE   writes every received packet as one hex line
 *   --seconds S   stops after S seconds (default: at SIGTERM/SIGINT)
 *   --count N     rx/reflect: stops after N packets received
 *   --frames N    ring size in frames (spec.ring_frames)
 *   --pause S     rx/reflect: reads nothing for the first S seconds
 * Prints "open kind=K queues=N note=..." once the ports are open (or "error:
 * ..." and exits 1), then at the end one JSON object with the counters summed
 * over the queues plus "seconds". */
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/port.h"
#include "lib/pkt.h"

#define MAXQ 16

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

static uint16_t csum(const uint8_t *d, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(d[i] << 8 | d[i + 1]);
    if (n & 1)
        s += (uint32_t)(d[n - 1] << 8);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: xdpcheck KIND IFNAME reflect|rx|blast [options]\n");
        return 2;
    }
    s46_port_spec spec = {.ifname = argv[2], .queues = 1};
    int kind = s46_port_kind_parse(argv[1]);
    if (kind < 0) {
        fprintf(stderr, "bad kind %s\n", argv[1]);
        return 2;
    }
    spec.kind = (s46_port_kind)kind;
    const char *mode = argv[3], *dump = NULL, *src = "198.18.0.1", *dst = "198.18.0.2";
    const char *own[8], *ownp[8];
    unsigned nown = 0, nownp = 0;
    double seconds = 0, pause = 0;
    unsigned long count = 0;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--queues"))
            spec.queues = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--peer-mac"))
            spec.peer_mac = argv[i + 1];
        else if (!strcmp(argv[i], "--own") && nown < 8)
            own[nown++] = argv[i + 1];
        else if (!strcmp(argv[i], "--own-prefix") && nownp < 8)
            ownp[nownp++] = argv[i + 1];
        else if (!strcmp(argv[i], "--dump"))
            dump = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--count"))
            count = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--frames"))
            spec.ring_frames = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pause"))
            pause = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--src"))
            src = argv[i + 1];
        else if (!strcmp(argv[i], "--dst"))
            dst = argv[i + 1];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (spec.queues < 1 || spec.queues > MAXQ) {
        fprintf(stderr, "--queues: 1..%d\n", MAXQ);
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    s46_port *ports[MAXQ] = {0};
    char note[512] = "", err[512];
    for (unsigned q = 0; q < spec.queues; q++) {
        char n[512];
        ports[q] = s46_port_open(&spec, q, n, sizeof n, err, sizeof err);
        if (!ports[q]) {
            printf("error: %s\n", err);
            for (unsigned i = 0; i < q; i++)
                s46_port_close(ports[i]);
            return 1;
        }
        if (n[0] && !note[0])
            snprintf(note, sizeof note, "%s", n);
        for (unsigned i = 0; i < nown; i++) {
            uint8_t a[16];
            int fam = strchr(own[i], ':') ? AF_INET6 : AF_INET;
            if (inet_pton(fam, own[i], a) != 1 || s46_port_own(ports[q], fam, a) < 0) {
                printf("error: own %s refused\n", own[i]);
                stop = 1;
            }
        }
        for (unsigned i = 0; i < nownp; i++) {
            char a6[64];
            uint8_t a[16];
            const char *sl = strchr(ownp[i], '/');
            snprintf(a6, sizeof a6, "%.*s", sl ? (int)(sl - ownp[i]) : 0, ownp[i]);
            if (!sl || inet_pton(AF_INET6, a6, a) != 1 ||
                s46_port_own_prefix6(ports[q], a, (unsigned)atoi(sl + 1)) < 0) {
                printf("error: own prefix %s refused\n", ownp[i]);
                stop = 1;
            }
        }
    }
    printf("open kind=%s queues=%u note=%s\n", s46_port_kind_name(ports[0]->ops->kind), spec.queues,
           note);
    fflush(stdout);
    FILE *df = dump ? fopen(dump, "w") : NULL;
    s46_pktpool *pool = s46_pktpool_new(1024);
    double t0 = now_s();
    unsigned long received = 0;
    if (!strcmp(mode, "blast")) {
        s46_pkt *pk[32];
        for (int i = 0; i < 32; i++) {
            pk[i] = s46_pkt_alloc(pool);
            uint8_t *d = pk[i]->data;
            memset(d, 0, 64);
            d[0] = 0x45;
            d[3] = 64;
            d[8] = 64;
            d[9] = 17;
            inet_pton(AF_INET, src, d + 12);
            inet_pton(AF_INET, dst, d + 16);
            uint16_t c = csum(d, 20);
            d[10] = (uint8_t)(c >> 8);
            d[11] = (uint8_t)c;
            d[20] = 0x30, d[21] = 0x39, d[22] = 0x30, d[23] = 0x3a; /* 12345 -> 12346 */
            d[25] = 44;
            pk[i]->len = 64;
        }
        unsigned long sent = 0;
        while (!stop && (!count || sent < count) && (!seconds || now_s() - t0 < seconds)) {
            uint32_t n = count && count - sent < 32 ? (uint32_t)(count - sent) : 32;
            sent += n;
            s46_port_tx(ports[0], pk, n);
        }
        for (int i = 0; i < 32; i++)
            s46_pkt_release(pool, pk[i]);
    } else {
        struct pollfd pf[MAXQ];
        for (unsigned q = 0; q < spec.queues; q++)
            pf[q] = (struct pollfd){.fd = ports[q]->fd, .events = POLLIN};
        bool reflect = !strcmp(mode, "reflect");
        while (!stop && now_s() - t0 < pause)
            poll(NULL, 0, 10);
        while (!stop && (!count || received < count) && (!seconds || now_s() - t0 < seconds)) {
            bool any = false;
            for (unsigned q = 0; q < spec.queues; q++) {
                s46_batch b = {0};
                if (!s46_port_rx(ports[q], pool, &b, S46_BATCH_IN))
                    continue;
                any = true;
                received += b.count;
                for (uint32_t i = 0; i < b.count; i++) {
                    s46_pkt *p = b.pkts[i];
                    if (df) {
                        fprintf(df, "%u ", q);
                        for (uint32_t j = 0; j < p->len; j++)
                            fprintf(df, "%02x", p->data[j]);
                        fputc('\n', df);
                    }
                    if (reflect && p->len >= 40 && (p->data[0] >> 4) == 6)
                        swap(p->data + 8, p->data + 24, 16);
                    else if (reflect && p->len >= 20)
                        swap(p->data + 12, p->data + 16, 4);
                }
                if (reflect)
                    s46_port_tx(ports[q], b.pkts, b.count);
                for (uint32_t i = 0; i < b.count; i++)
                    s46_pkt_release(pool, b.pkts[i]);
            }
            if (!any)
                poll(pf, spec.queues, 50);
        }
    }
    if (df)
        fclose(df);
    s46_port_stats sum = {0};
    for (unsigned q = 0; q < spec.queues; q++) {
        s46_port_sync(ports[q]);
        s46_port_stats_add(&sum, &ports[q]->st);
        s46_port_close(ports[q]);
    }
    json_t *o = s46_port_stats_json(&sum);
    json_object_set_new(o, "seconds", json_real(now_s() - t0));
    char *s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    json_decref(o);
    s46_pktpool_free(pool);
    return 0;
}
