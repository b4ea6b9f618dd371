/* The mem port (io/port.h): packets from memory for the benchmarks and the
 * fuzzers, so that they run the same loop as the daemons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/fanout.h"
#include "io/port.h"
#include "lib/err.h"

typedef struct mem_port {
    s46_port port;
    const uint8_t *const *pkts;
    const uint32_t *lens;
    unsigned count, next;
    uint64_t rounds, round;
    unsigned *pick, npick;      /* after spread: the packets of this queue */
} mem_port;

static uint32_t mem_rx(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    mem_port *m = (mem_port *)pp;
    uint32_t n = 0;
    while (!pp->eof && n < max && b->count < S46_BATCH_MAX) {
        s46_pkt *p = s46_pkt_alloc(pool);
        if (!p)
            break;
        unsigned k = m->pick ? m->pick[m->next] : m->next;
        uint32_t len = m->lens[k];
        if (len > S46_PKT_MAXDATA)
            len = S46_PKT_MAXDATA;
        memcpy(p->data, m->pkts[k], len);
        p->len = len;
        p->ts_ns = 0;
        b->pkts[b->count++] = p;
        n++;
        pp->st.rx_packets++;
        pp->st.rx_bytes += len;
        if (++m->next == (m->pick ? m->npick : m->count)) {
            m->next = 0;
            if (m->rounds && ++m->round == m->rounds)
                pp->eof = true;
        }
    }
    return n;
}

/* Counts what is sent; a packet that does not lie inside its buffer or is
 * shorter than an IPv4 header (a data plane's bug) is a tx error. */
static uint32_t mem_tx(s46_port *pp, s46_pkt *const *pkts, uint32_t n)
{
    uint32_t sent = 0;
    for (uint32_t i = 0; i < n; i++) {
        const s46_pkt *p = pkts[i];
        if (p->len < 20 || p->len > S46_PKT_MAXDATA || p->data < p->buf ||
            p->data + p->len > p->buf + S46_PKT_BUFSIZE) {
            pp->st.tx_errors++;
            continue;
        }
        pp->st.tx_bytes += p->len;
        sent++;
    }
    pp->st.tx_packets += sent;
    return sent;
}

/* Like a NIC that steers: this queue hands out only the packets the
 * spread gives it. */
static int mem_spread(s46_port *pp, s46_spread how, unsigned queues)
{
    mem_port *m = (mem_port *)pp;
    unsigned *pick = calloc(m->count ? m->count : 1, sizeof *pick), n = 0;
    if (!pick)
        return -1;
    for (unsigned i = 0; i < m->count; i++)
        if (s46_fanout_pick(how, m->pkts[i], m->lens[i], queues) == pp->queue)
            pick[n++] = i;
    free(m->pick);
    m->pick = pick;
    m->npick = n;
    m->next = 0;
    if (!n)
        pp->eof = true; /* nothing for this queue */
    return 0;
}

static void mem_close(s46_port *pp)
{
    free(((mem_port *)pp)->pick);
    free(pp);
}

static const s46_port_ops mem_ops = {.kind = S46_PORT_MEM,
                                     .rx = mem_rx,
                                     .tx = mem_tx,
                                     .spread = mem_spread,
                                     .close = mem_close};

s46_port *s46_port_open_mem(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen)
{
    mem_port *m = calloc(1, sizeof *m);
    if (!m) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    m->port.ops = &mem_ops;
    m->port.fd = -1;
    m->port.queue = queue;
    snprintf(m->port.name, sizeof m->port.name, "mem");
    m->pkts = spec->mem_pkts;
    m->lens = spec->mem_lens;
    m->count = spec->mem_count;
    m->rounds = spec->mem_rounds;
    m->port.eof = m->count == 0;
    return &m->port;
}
