#include "io/tunloop.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void s46_batch_split(const s46_batch *b, s46_batch *v4, s46_batch *v6)
{
    v4->count = v6->count = 0;
    for (uint32_t i = 0; i < b->count; i++) {
        s46_pkt *p = b->pkts[i];
        unsigned v = p->len ? p->data[0] >> 4 : 0;
        if (v == 4)
            v4->pkts[v4->count++] = p;
        else if (v == 6)
            v6->pkts[v6->count++] = p;
    }
}

int s46_tunloop_run(s46_tunloop *l)
{
    s46_pktpool *pool = s46_pktpool_new(S46_BATCH_MAX);
    if (!pool)
        return -1;
    uint64_t next_tick = now_ns();
    while (!*l->stop) {
        struct pollfd pf[3] = {{.fd = l->tun->fd, .events = POLLIN},
                               {.fd = l->ctl ? l->ctl->fd : -1, .events = POLLIN},
                               {.fd = l->wake && l->wake_fd > 0 ? l->wake_fd : -1, .events = POLLIN}};
        int r = poll(pf, 3, 200);
        if (r < 0 && errno != EINTR)
            break;
        uint64_t now = now_ns();
        if (l->tick && now >= next_tick) {
            l->tick(now, l->arg);
            next_tick = now + 1000000000ull;
        }
        if (r > 0 && (pf[1].revents & POLLIN))
            s46_ctl_serve(l->ctl, l->show, l->arg);
        if (r > 0 && (pf[2].revents & POLLIN))
            l->wake(l->arg);
        if (r <= 0 || !(pf[0].revents & POLLIN))
            continue;
        for (int rounds = 0; rounds < 16; rounds++) {
            s46_batch b = {0};
            if (s46_tun_rx(l->tun, pool, &b, S46_BATCH_IN) == 0)
                break;
            l->process(&b, now, l->arg);
            for (uint32_t i = 0; i < b.count; i++) {
                if (b.pkts[i]->verdict == S46_V_FORWARD && s46_tun_tx(l->tun, b.pkts[i]) < 0)
                    l->tx_errors++;
                s46_pkt_release(pool, b.pkts[i]);
            }
        }
    }
    s46_pktpool_free(pool);
    return 0;
}
