#include "io/pcapfile.h"
#include "io/port.h"
#include "lib/err.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

struct s46_pcap_in {
    pcap_t *pc;
    int dlt;
    unsigned long skipped;
};

struct s46_pcap_out {
    pcap_t *pc;
    pcap_dumper_t *d;
    bool eth;
    bool failed;
};

s46_pcap_in *s46_pcap_in_open(const char *path, char *err, size_t errlen)
{
    char e[PCAP_ERRBUF_SIZE];
    s46_pcap_in *in = calloc(1, sizeof *in);
    if (!in) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    in->pc = pcap_open_offline(path, e);
    if (!in->pc) {
        s46_seterr(err, errlen, "%s: %s", path, e);
        free(in);
        return NULL;
    }
    in->dlt = pcap_datalink(in->pc);
    if (in->dlt != DLT_EN10MB && in->dlt != DLT_RAW && in->dlt != DLT_IPV4 &&
        in->dlt != DLT_IPV6 && in->dlt != 101) {
        s46_seterr(err, errlen, "%s: link type %d not supported (Ethernet or raw IP)", path,
                   in->dlt);
        pcap_close(in->pc);
        free(in);
        return NULL;
    }
    return in;
}

int s46_pcap_in_next(s46_pcap_in *in, s46_pkt *p, char *err, size_t errlen)
{
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *d;
        int r = pcap_next_ex(in->pc, &h, &d);
        if (r == PCAP_ERROR_BREAK)
            return 0;
        if (r != 1) {
            s46_seterr(err, errlen, "pcap read: %s", pcap_geterr(in->pc));
            return -1;
        }
        size_t len = h->caplen, off = 0;
        if (in->dlt == DLT_EN10MB) {
            if (len < 14) {
                in->skipped++;
                continue;
            }
            unsigned et = (unsigned)(d[12] << 8 | d[13]);
            off = 14;
            while ((et == 0x8100 || et == 0x88a8) && len >= off + 4) {
                et = (unsigned)(d[off + 2] << 8 | d[off + 3]);
                off += 4;
            }
            if (et != 0x0800 && et != 0x86dd) {
                in->skipped++;
                continue;
            }
        }
        if (len - off > S46_PKT_MAXDATA || len == off) {
            in->skipped++;
            continue;
        }
        s46_pkt_reset(p);
        memcpy(p->data, d + off, len - off);
        p->len = (uint32_t)(len - off);
        p->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * 1000ull;
        return 1;
    }
}

unsigned long s46_pcap_in_skipped(const s46_pcap_in *in) { return in->skipped; }

void s46_pcap_in_close(s46_pcap_in *in)
{
    if (!in)
        return;
    pcap_close(in->pc);
    free(in);
}

s46_pcap_out *s46_pcap_out_open(const char *path, bool ethernet, char *err, size_t errlen)
{
    s46_pcap_out *o = calloc(1, sizeof *o);
    if (!o) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    o->eth = ethernet;
    o->pc = pcap_open_dead(ethernet ? DLT_EN10MB : DLT_RAW, 65535);
    if (!o->pc || !(o->d = pcap_dump_open(o->pc, path))) {
        s46_seterr(err, errlen, "%s: %s", path, o->pc ? pcap_geterr(o->pc) : "pcap");
        if (o->pc)
            pcap_close(o->pc);
        free(o);
        return NULL;
    }
    return o;
}

int s46_pcap_out_write(s46_pcap_out *o, const s46_pkt *p)
{
    struct pcap_pkthdr h;
    uint8_t frame[14 + S46_PKT_MAXDATA];
    const uint8_t *d = p->data;
    size_t len = p->len;
    h.ts.tv_sec = (time_t)(p->ts_ns / 1000000000ull);
    h.ts.tv_usec = (suseconds_t)(p->ts_ns % 1000000000ull / 1000);
    if (o->eth) {
        static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
        memcpy(frame, macs, 12);
        frame[12] = (p->data[0] >> 4) == 6 ? 0x86 : 0x08;
        frame[13] = (p->data[0] >> 4) == 6 ? 0xdd : 0x00;
        memcpy(frame + 14, p->data, p->len);
        d = frame;
        len += 14;
    }
    h.caplen = h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)o->d, &h, d);
    return 0;
}

int s46_pcap_out_close(s46_pcap_out *o)
{
    if (!o)
        return 0;
    int r = pcap_dump_flush(o->d) == 0 ? 0 : -1;
    pcap_dump_close(o->d);
    pcap_close(o->pc);
    free(o);
    return r;
}

/* The port interface: rx reads spec->ifname (NULL or "": no input), tx
 * writes spec->out_path (NULL: discards). */
typedef struct pcap_port {
    s46_port port;
    s46_pcap_in *in;
    s46_pcap_out *out;
} pcap_port;

static uint32_t pcap_port_rx(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    pcap_port *p = (pcap_port *)pp;
    uint32_t n = 0;
    while (!pp->eof && n < max && b->count < S46_BATCH_MAX) {
        s46_pkt *k = s46_pkt_alloc(pool);
        if (!k)
            break;
        int r = p->in ? s46_pcap_in_next(p->in, k, pp->error, sizeof pp->error) : 0;
        if (r != 1) {
            s46_pkt_release(pool, k);
            pp->eof = true;
            break;
        }
        pp->st.rx_packets++;
        pp->st.rx_bytes += k->len;
        b->pkts[b->count++] = k;
        n++;
    }
    if (p->in)
        pp->st.rx_ignored = s46_pcap_in_skipped(p->in);
    return n;
}

static uint32_t pcap_port_tx(s46_port *pp, s46_pkt *const *pkts, uint32_t n)
{
    pcap_port *p = (pcap_port *)pp;
    uint32_t sent = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!p->out || s46_pcap_out_write(p->out, pkts[i]) == 0) {
            sent++;
            pp->st.tx_packets++;
            pp->st.tx_bytes += pkts[i]->len;
        } else {
            pp->st.tx_errors++;
        }
    }
    return sent;
}

static void pcap_port_close(s46_port *pp)
{
    pcap_port *p = (pcap_port *)pp;
    s46_pcap_in_close(p->in);
    if (p->out && s46_pcap_out_close(p->out) < 0)
        pp->st.tx_errors++;
    free(p);
}

static const s46_port_ops pcap_ops = {
    .kind = S46_PORT_PCAP, .rx = pcap_port_rx, .tx = pcap_port_tx, .close = pcap_port_close};

s46_port *s46_port_open_pcap(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen)
{
    if (spec->queues > 1) {
        s46_seterr(err, errlen, "pcap: one queue only");
        return NULL;
    }
    pcap_port *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    p->port.ops = &pcap_ops;
    p->port.fd = -1;
    p->port.queue = queue;
    snprintf(p->port.name, sizeof p->port.name, "%s",
             spec->ifname && *spec->ifname ? spec->ifname : "-");
    if (spec->ifname && *spec->ifname && !(p->in = s46_pcap_in_open(spec->ifname, err, errlen)))
        goto fail;
    if (!p->in)
        p->port.eof = true;
    if (spec->out_path &&
        !(p->out = s46_pcap_out_open(spec->out_path, spec->pcap_ethernet, err, errlen)))
        goto fail;
    return &p->port;
fail:
    s46_pcap_in_close(p->in);
    free(p);
    return NULL;
}
