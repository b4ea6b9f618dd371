/* The CE's DNS proxy thread (dnsproxy.h): epoll over the listening
 * sockets, the TCP clients and one upstream socket per outstanding try. */
#include "prov/dnsproxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "prov/dnsfwd.h"

/* epoll tags: kind in the top byte, index below */
enum { K_STOP = 1, K_UDPL, K_TCPL, K_UP, K_CONN };
/* kind, a generation (so that an event of a closed socket is not taken for
 * its slot's next one), index */
#define TAG(k, g, i) ((uint64_t)(k) << 56 | (uint64_t)((g) & 0xffffu) << 32 | (uint64_t)(i))

struct up {              /* per slot of the dnsfwd table */
    int fd;              /* -1: no try in flight */
    uint16_t gen;        /* of fd, in its epoll tag */
    bool tcp, connected;
    int conn;            /* TCP: the client connection; -1 for UDP */
    int lfd;             /* UDP: the listening socket the query came on */
    struct sockaddr_storage cli;
    socklen_t clilen;
    uint8_t *buf;        /* TCP: the answer being read */
    size_t have, need;
    uint8_t lenb[2];
};

struct conn {
    int fd;              /* -1: free */
    uint8_t in[2 + S46_DNSFWD_MAX_QUERY];
    size_t inlen;
    uint8_t *out;
    size_t outlen, outoff;
    uint64_t idle_at;
    unsigned pending;
};

struct s46_dnsp {
    s46_dnsp_conf c;
    pthread_t th;
    int ep, stopfd;
    int udpl[S46_DNSP_MAX_LISTEN], tcpl[S46_DNSP_MAX_LISTEN];
    s46_dnsfwd *fwd;
    struct up *ups;
    struct conn *conns;
    unsigned nconns;
    uint64_t cnt[S46_DNSP_NCOUNTERS];
    unsigned outstanding;
    uint8_t buf[65536 + 2];
};

static const char *const cnt_names[] = {
#define S46_DNSP_NAME(n, d) #n,
    S46_DNSP_COUNTERS(S46_DNSP_NAME)
#undef S46_DNSP_NAME
};

static void count(s46_dnsp *p, enum s46_dnsp_counter c)
{
    __atomic_fetch_add(&p->cnt[c], 1, __ATOMIC_RELAXED);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void s46_dnsp_conf_default(s46_dnsp_conf *c)
{
    memset(c, 0, sizeof *c);
    c->timeout_ms = 2000;
    c->tries = 3;
    c->max_queries = 256;
    c->max_tcp_clients = 32;
    c->tcp_idle_ms = 10000;
}

int s46_dnsp_parse_addr(const char *s, uint16_t defport, struct sockaddr_storage *out, char *err,
                        size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port = NULL;
    size_t hl;
    memset(out, 0, sizeof *out);
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || (e[1] && e[1] != ':'))
            goto bad;
        hl = (size_t)(e - s - 1);
        s++;
        port = e[1] ? e + 2 : NULL;
    } else {
        const char *c1 = strchr(s, ':');
        if (c1 && !strchr(c1 + 1, ':')) { /* IPv4:port */
            hl = (size_t)(c1 - s);
            port = c1 + 1;
        } else {
            hl = strlen(s);
        }
    }
    if (hl == 0 || hl >= sizeof host)
        goto bad;
    memcpy(host, s, hl);
    host[hl] = 0;
    unsigned long pv = defport;
    if (port) {
        char *end;
        errno = 0;
        pv = strtoul(port, &end, 10);
        if (!*port || *end || errno || pv < 1 || pv > 65535)
            goto bad;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)pv);
        return 0;
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)pv);
        return 0;
    }
bad:
    s46_seterr(err, errlen, "'%s' is not an address with an optional port", s);
    return -1;
}

int s46_dnsp_add_servers(s46_dnsp_conf *c, const char *list, char *err, size_t errlen)
{
    int added = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (!n)
            break;
        char one[80];
        if (n >= sizeof one) {
            s46_seterr(err, errlen, "server list: an entry is too long");
            return -1;
        }
        memcpy(one, p, n);
        one[n] = 0;
        p += n;
        struct sockaddr_storage ss;
        if (s46_dnsp_parse_addr(one, 53, &ss, err, errlen) < 0)
            return -1;
        if (ss.ss_family != AF_INET6)
            continue; /* over IPv4 a query would spend a shared port */
        if (c->nservers == S46_DNSP_MAX_SERVERS) {
            s46_seterr(err, errlen, "more than %d forwarders", S46_DNSP_MAX_SERVERS);
            return -1;
        }
        memcpy(&c->servers[c->nservers++], &ss, sizeof(struct sockaddr_in6));
        added++;
    }
    return added;
}

int s46_dnsp_add_resolv_conf(s46_dnsp_conf *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    int added = 0;
    while (fgets(line, sizeof line, f)) {
        char a[INET6_ADDRSTRLEN + 8];
        struct in6_addr x;
        if (sscanf(line, " nameserver %63s", a) != 1 || inet_pton(AF_INET6, a, &x) != 1 ||
            c->nservers == S46_DNSP_MAX_SERVERS)
            continue;
        struct sockaddr_in6 *s = &c->servers[c->nservers++];
        memset(s, 0, sizeof *s);
        s->sin6_family = AF_INET6;
        s->sin6_addr = x;
        s->sin6_port = htons(53);
        added++;
    }
    fclose(f);
    return added;
}

static void fmt_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char h[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
        snprintf(out, len, "%s:%u", h, ntohs(a->sin_port));
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
        snprintf(out, len, "[%s]:%u", h, ntohs(a->sin6_port));
    }
}

static int ep_add(s46_dnsp *p, int fd, uint32_t ev, uint64_t tag)
{
    struct epoll_event e = {.events = ev, .data.u64 = tag};
    return epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &e);
}

static void ep_mod(s46_dnsp *p, int fd, uint32_t ev, uint64_t tag)
{
    struct epoll_event e = {.events = ev, .data.u64 = tag};
    epoll_ctl(p->ep, EPOLL_CTL_MOD, fd, &e);
}

/* ---------------------------------------------------------------- slots */

static void up_close(s46_dnsp *p, int slot)
{
    struct up *u = &p->ups[slot];
    if (u->fd >= 0)
        close(u->fd); /* leaves the epoll set with it */
    u->fd = -1;
    free(u->buf);
    u->buf = NULL;
    u->have = u->need = 0;
    u->connected = false;
}

static void slot_free(s46_dnsp *p, int slot)
{
    struct up *u = &p->ups[slot];
    up_close(p, slot);
    if (u->conn >= 0)
        p->conns[u->conn].pending--;
    u->conn = -1;
    s46_dnsfwd_release(p->fwd, slot);
    __atomic_store_n(&p->outstanding, s46_dnsfwd_outstanding(p->fwd), __ATOMIC_RELAXED);
}

/* Sends the slot's current try to its forwarder on a socket of its own. */
static void up_send(s46_dnsp *p, int slot)
{
    struct up *u = &p->ups[slot];
    up_close(p, slot);
    const struct sockaddr_in6 *srv = &p->c.servers[s46_dnsfwd_server(p->fwd, slot)];
    int fd = socket(AF_INET6, (u->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        count(p, S46_DNSP_drop_upstream_error);
        return;
    }
    int rc = connect(fd, (const struct sockaddr *)srv, sizeof *srv);
    if (rc < 0 && !(u->tcp && errno == EINPROGRESS)) {
        close(fd);
        count(p, S46_DNSP_drop_upstream_error);
        return;
    }
    u->fd = fd;
    u->gen++;
    count(p, S46_DNSP_forwarded);
    if (!u->tcp) {
        size_t len;
        const uint8_t *m = s46_dnsfwd_msg(p->fwd, slot, &len);
        if (send(fd, m, len, 0) != (ssize_t)len || ep_add(p, fd, EPOLLIN, TAG(K_UP, u->gen, slot)) < 0) {
            count(p, S46_DNSP_drop_upstream_error);
            up_close(p, slot);
        }
        return;
    }
    if (ep_add(p, fd, EPOLLOUT | EPOLLIN, TAG(K_UP, u->gen, slot)) < 0) {
        count(p, S46_DNSP_drop_upstream_error);
        up_close(p, slot);
    }
}

/* ---------------------------------------------------------------- answers to the LAN */

static void conn_close(s46_dnsp *p, int ci);

static void conn_flush(s46_dnsp *p, int ci)
{
    struct conn *c = &p->conns[ci];
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            count(p, S46_DNSP_drop_send_error);
            conn_close(p, ci);
            return;
        }
        c->outoff += (size_t)n;
    }
    if (c->outoff == c->outlen) {
        c->outoff = c->outlen = 0;
        ep_mod(p, c->fd, EPOLLIN, TAG(K_CONN, 0, ci));
    } else {
        ep_mod(p, c->fd, EPOLLIN | EPOLLOUT, TAG(K_CONN, 0, ci));
    }
}

/* Queues message m for TCP client ci; false when the connection closed. */
static bool conn_answer(s46_dnsp *p, int ci, const uint8_t *m, size_t len)
{
    struct conn *c = &p->conns[ci];
    if (c->outlen - c->outoff + len + 2 > S46_DNSP_TCP_OUT) {
        count(p, S46_DNSP_drop_tcp_output);
        conn_close(p, ci);
        return false;
    }
    if (c->outoff) {
        memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
        c->outlen -= c->outoff;
        c->outoff = 0;
    }
    uint8_t *o = realloc(c->out, c->outlen + len + 2);
    if (!o) {
        count(p, S46_DNSP_drop_send_error);
        conn_close(p, ci);
        return false;
    }
    c->out = o;
    o[c->outlen] = (uint8_t)(len >> 8);
    o[c->outlen + 1] = (uint8_t)len;
    memcpy(o + c->outlen + 2, m, len);
    c->outlen += len + 2;
    conn_flush(p, ci);
    return c->fd >= 0;
}

/* Answer m to the LAN host of slot (UDP or TCP), then the slot is done. */
static bool reply(s46_dnsp *p, int slot, const uint8_t *m, size_t len)
{
    struct up *u = &p->ups[slot];
    if (u->conn >= 0) {
        int ci = u->conn;
        slot_free(p, slot);
        return conn_answer(p, ci, m, len);
    }
    bool ok = sendto(u->lfd, m, len, 0, (struct sockaddr *)&u->cli, u->clilen) == (ssize_t)len;
    if (!ok)
        count(p, S46_DNSP_drop_send_error);
    slot_free(p, slot);
    return ok;
}

static void servfail(s46_dnsp *p, int slot)
{
    uint8_t out[S46_DNSFWD_MAX_QUERY];
    size_t n = s46_dnsfwd_servfail(p->fwd, slot, out, sizeof out);
    if (n)
        reply(p, slot, out, n);
    else
        slot_free(p, slot);
}

/* A message from the forwarder of slot. */
static void upstream_message(s46_dnsp *p, int slot, uint8_t *m, size_t len)
{
    bool tcp = p->ups[slot].conn >= 0;
    int r = s46_dnsfwd_answer(p->fwd, slot, m, len);
    if (r == S46_DNSFWD_ANSWER_MALFORMED) {
        count(p, S46_DNSP_drop_answer_malformed);
    } else if (r == S46_DNSFWD_ANSWER_UNMATCHED) {
        count(p, S46_DNSP_drop_answer_unmatched);
    } else {
        /* the table freed the slot; the io side follows */
        struct up *u = &p->ups[slot];
        up_close(p, slot);
        __atomic_store_n(&p->outstanding, s46_dnsfwd_outstanding(p->fwd), __ATOMIC_RELAXED);
        if (tcp) {
            int ci = u->conn;
            u->conn = -1;
            p->conns[ci].pending--;
            if (conn_answer(p, ci, m, len))
                count(p, S46_DNSP_answers_tcp);
        } else if (sendto(u->lfd, m, len, 0, (struct sockaddr *)&u->cli, u->clilen) ==
                   (ssize_t)len) {
            count(p, S46_DNSP_answers_udp);
        } else {
            count(p, S46_DNSP_drop_send_error);
        }
    }
}

static void upstream_event(s46_dnsp *p, int slot, uint32_t ev)
{
    struct up *u = &p->ups[slot];
    if (u->fd < 0)
        return;
    if (!u->tcp) {
        for (int i = 0; i < 8 && u->fd >= 0; i++) {
            ssize_t n = recv(u->fd, p->buf, sizeof p->buf, MSG_TRUNC);
            if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    count(p, S46_DNSP_drop_upstream_error); /* e.g. port unreachable */
                    up_close(p, slot);
                }
                return;
            }
            if ((size_t)n > sizeof p->buf) {
                count(p, S46_DNSP_drop_answer_malformed);
                continue;
            }
            upstream_message(p, slot, p->buf, (size_t)n);
        }
        return;
    }
    if (!u->connected) {
        int e = 0;
        socklen_t el = sizeof e;
        if ((ev & (EPOLLERR | EPOLLHUP)) ||
            getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
            count(p, S46_DNSP_drop_upstream_error);
            up_close(p, slot);
            return;
        }
        if (!(ev & EPOLLOUT))
            return;
        size_t len;
        const uint8_t *m = s46_dnsfwd_msg(p->fwd, slot, &len);
        uint8_t hdr[2 + S46_DNSFWD_MAX_QUERY];
        hdr[0] = (uint8_t)(len >> 8);
        hdr[1] = (uint8_t)len;
        memcpy(hdr + 2, m, len);
        if (send(u->fd, hdr, len + 2, MSG_NOSIGNAL) != (ssize_t)(len + 2)) {
            count(p, S46_DNSP_drop_upstream_error);
            up_close(p, slot);
            return;
        }
        u->connected = true;
        ep_mod(p, u->fd, EPOLLIN, TAG(K_UP, u->gen, slot));
        return;
    }
    for (;;) {
        ssize_t n;
        if (!u->buf) {
            n = recv(u->fd, u->lenb + u->have, 2 - u->have, 0);
            if (n > 0) {
                u->have += (size_t)n;
                if (u->have == 2) {
                    u->need = (size_t)(u->lenb[0] << 8 | u->lenb[1]);
                    u->have = 0;
                    if (u->need < S46_DNS_HDR || !(u->buf = malloc(u->need))) {
                        count(p, S46_DNSP_drop_answer_malformed);
                        up_close(p, slot);
                        return;
                    }
                }
                continue;
            }
        } else {
            n = recv(u->fd, u->buf + u->have, u->need - u->have, 0);
            if (n > 0) {
                u->have += (size_t)n;
                if (u->have == u->need) {
                    uint8_t *m = u->buf;
                    size_t len = u->need;
                    u->buf = NULL;
                    u->have = u->need = 0;
                    upstream_message(p, slot, m, len);
                    free(m);
                    return; /* answered (slot closed) or unmatched: wait on */
                }
                continue;
            }
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        count(p, S46_DNSP_drop_upstream_error); /* closed or reset */
        up_close(p, slot);
        return;
    }
}

/* ---------------------------------------------------------------- queries from the LAN */

/* A query from the LAN: conn >= 0 for TCP client conn, else UDP from cli
 * on listening socket lfd. */
static void lan_query(s46_dnsp *p, const uint8_t *m, size_t len, int conn, int lfd,
                      const struct sockaddr_storage *cli, socklen_t clilen, uint64_t now)
{
    count(p, conn >= 0 ? S46_DNSP_queries_tcp : S46_DNSP_queries_udp);
    size_t qend;
    if (len > S46_DNSFWD_MAX_QUERY || s46_dns_query_check(m, len, &qend) < 0) {
        count(p, S46_DNSP_drop_query_malformed);
        if (conn >= 0) {
            count(p, S46_DNSP_drop_tcp_length);
            conn_close(p, conn);
        }
        return;
    }
    int slot = p->fwd ? s46_dnsfwd_query(p->fwd, m, len, now) : S46_DNSFWD_FULL;
    if (slot < 0) {
        uint8_t out[S46_DNSFWD_MAX_QUERY];
        size_t n;
        if (p->fwd)
            count(p, S46_DNSP_drop_busy);
        else
            count(p, S46_DNSP_servfail_no_forwarder);
        if ((!p->fwd || conn >= 0) && (n = s46_dns_servfail(m, qend, out, sizeof out))) {
            if (conn >= 0)
                conn_answer(p, conn, out, n);
            else if (sendto(lfd, out, n, 0, (const struct sockaddr *)cli, clilen) != (ssize_t)n)
                count(p, S46_DNSP_drop_send_error);
        }
        return;
    }
    struct up *u = &p->ups[slot];
    u->fd = -1;
    u->tcp = conn >= 0;
    u->conn = conn;
    u->lfd = lfd;
    if (conn >= 0) {
        p->conns[conn].pending++;
    } else {
        memcpy(&u->cli, cli, clilen);
        u->clilen = clilen;
    }
    __atomic_store_n(&p->outstanding, s46_dnsfwd_outstanding(p->fwd), __ATOMIC_RELAXED);
    up_send(p, slot);
}

static void udp_listen_event(s46_dnsp *p, int fd, uint64_t now)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage cli;
        socklen_t cl = sizeof cli;
        ssize_t n = recvfrom(fd, p->buf, sizeof p->buf, MSG_TRUNC, (struct sockaddr *)&cli, &cl);
        if (n < 0)
            return;
        if ((size_t)n > sizeof p->buf) {
            count(p, S46_DNSP_queries_udp);
            count(p, S46_DNSP_drop_query_malformed);
            continue;
        }
        lan_query(p, p->buf, (size_t)n, -1, fd, &cli, cl, now);
    }
}

static void conn_close(s46_dnsp *p, int ci)
{
    struct conn *c = &p->conns[ci];
    if (c->fd < 0)
        return;
    /* its queries go too: nobody is left to answer */
    for (unsigned s = 0; c->pending && s < p->c.max_queries; s++)
        if (p->ups[s].conn == ci)
            slot_free(p, (int)s);
    close(c->fd);
    free(c->out);
    c->out = NULL;
    c->fd = -1;
    c->inlen = c->outlen = c->outoff = 0;
    c->pending = 0;
    __atomic_fetch_sub(&p->nconns, 1, __ATOMIC_RELAXED);
}

static void tcp_accept_event(s46_dnsp *p, int lfd, uint64_t now)
{
    for (int i = 0; i < 16; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int ci = -1;
        for (unsigned k = 0; k < p->c.max_tcp_clients && ci < 0; k++)
            if (p->conns[k].fd < 0)
                ci = (int)k;
        if (ci < 0) {
            count(p, S46_DNSP_drop_tcp_clients);
            close(fd);
            continue;
        }
        struct conn *c = &p->conns[ci];
        c->fd = fd;
        c->inlen = c->outlen = c->outoff = 0;
        c->pending = 0;
        c->idle_at = now + p->c.tcp_idle_ms;
        if (ep_add(p, fd, EPOLLIN, TAG(K_CONN, 0, ci)) < 0) {
            close(fd);
            c->fd = -1;
            count(p, S46_DNSP_drop_tcp_clients);
            continue;
        }
        __atomic_fetch_add(&p->nconns, 1, __ATOMIC_RELAXED);
        count(p, S46_DNSP_tcp_accepted);
    }
}

static void conn_event(s46_dnsp *p, int ci, uint32_t ev, uint64_t now)
{
    struct conn *c = &p->conns[ci];
    if (c->fd < 0)
        return;
    if (ev & EPOLLOUT) {
        conn_flush(p, ci);
        if (c->fd < 0)
            return;
    }
    if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            conn_close(p, ci);
            return;
        }
        c->inlen += (size_t)n;
        c->idle_at = now + p->c.tcp_idle_ms;
        /* every whole message in the buffer */
        while (c->inlen >= 2) {
            size_t need = (size_t)(c->in[0] << 8 | c->in[1]);
            if (need < S46_DNS_HDR || need > S46_DNSFWD_MAX_QUERY) {
                count(p, S46_DNSP_queries_tcp);
                count(p, S46_DNSP_drop_tcp_length);
                conn_close(p, ci);
                return;
            }
            if (c->inlen < need + 2)
                break;
            lan_query(p, c->in + 2, need, ci, -1, NULL, 0, now);
            if (c->fd < 0)
                return;
            memmove(c->in, c->in + 2 + need, c->inlen - 2 - need);
            c->inlen -= 2 + need;
        }
    }
}

/* ---------------------------------------------------------------- the thread */

static void timers(s46_dnsp *p, uint64_t now)
{
    if (p->fwd) {
        int slot;
        bool retried;
        while ((slot = s46_dnsfwd_expired(p->fwd, now, &retried)) >= 0) {
            if (retried) {
                count(p, S46_DNSP_retries);
                up_send(p, slot);
            } else {
                count(p, S46_DNSP_servfail_timeout);
                servfail(p, slot);
            }
        }
    }
    for (unsigned k = 0; k < p->c.max_tcp_clients; k++) {
        struct conn *c = &p->conns[k];
        if (c->fd >= 0 && c->idle_at <= now && !c->pending && c->outoff == c->outlen) {
            count(p, S46_DNSP_tcp_idle_closed);
            conn_close(p, (int)k);
        }
    }
}

static void *run(void *arg)
{
    s46_dnsp *p = arg;
    struct epoll_event evs[64];
    for (;;) {
        uint64_t now = now_ms(), next = now + 1000;
        if (p->fwd) {
            uint64_t d = s46_dnsfwd_next_deadline(p->fwd);
            if (d < next)
                next = d;
        }
        int wait = next > now ? (int)(next - now) : 0;
        int n = epoll_wait(p->ep, evs, 64, wait);
        now = now_ms();
        for (int i = 0; i < n; i++) {
            unsigned kind = (unsigned)(evs[i].data.u64 >> 56);
            unsigned idx = (unsigned)(evs[i].data.u64 & 0xffffffffu);
            switch (kind) {
            case K_STOP: return NULL;
            case K_UDPL: udp_listen_event(p, p->udpl[idx], now); break;
            case K_TCPL: tcp_accept_event(p, p->tcpl[idx], now); break;
            case K_UP:
                if ((uint16_t)(evs[i].data.u64 >> 32) == p->ups[idx].gen)
                    upstream_event(p, (int)idx, evs[i].events);
                break;
            case K_CONN: conn_event(p, (int)idx, evs[i].events, now); break;
            default: break;
            }
        }
        timers(p, now);
    }
}

static void cleanup(s46_dnsp *p)
{
    for (unsigned i = 0; i < S46_DNSP_MAX_LISTEN; i++) {
        if (p->udpl[i] >= 0)
            close(p->udpl[i]);
        if (p->tcpl[i] >= 0)
            close(p->tcpl[i]);
    }
    if (p->conns)
        for (unsigned k = 0; k < p->c.max_tcp_clients; k++)
            if (p->conns[k].fd >= 0) {
                close(p->conns[k].fd);
                free(p->conns[k].out);
            }
    if (p->ups)
        for (unsigned s = 0; s < p->c.max_queries; s++) {
            if (p->ups[s].fd >= 0)
                close(p->ups[s].fd);
            free(p->ups[s].buf);
        }
    free(p->conns);
    free(p->ups);
    s46_dnsfwd_free(p->fwd);
    if (p->ep >= 0)
        close(p->ep);
    if (p->stopfd >= 0)
        close(p->stopfd);
    free(p);
}

static int listen_on(s46_dnsp *p, unsigned i, char *err, size_t errlen)
{
    const struct sockaddr_storage *a = &p->c.listen[i];
    socklen_t al = a->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    int one = 1;
    char name[INET6_ADDRSTRLEN + 10];
    fmt_addr(a, name, sizeof name);
    for (int tcp = 0; tcp < 2; tcp++) {
        int fd = socket(a->ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            s46_seterr(err, errlen, "DNS proxy: socket: %s", strerror(errno));
            return -1;
        }
        *(tcp ? &p->tcpl[i] : &p->udpl[i]) = fd;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a->ss_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        /* the LAN address may be configured after the CE starts */
        setsockopt(fd, a->ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
                   a->ss_family == AF_INET ? IP_FREEBIND : IPV6_FREEBIND, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *)a, al) < 0 || (tcp && listen(fd, 64) < 0)) {
            s46_seterr(err, errlen, "DNS proxy: %s %s: %s", tcp ? "TCP" : "UDP", name,
                       strerror(errno));
            return -1;
        }
        if (ep_add(p, fd, EPOLLIN, TAG(tcp ? K_TCPL : K_UDPL, 0, i)) < 0) {
            s46_seterr(err, errlen, "DNS proxy: epoll: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

s46_dnsp *s46_dnsp_start(const s46_dnsp_conf *c, char *err, size_t errlen)
{
    if (!c->nlisten || c->nlisten > S46_DNSP_MAX_LISTEN || c->nservers > S46_DNSP_MAX_SERVERS ||
        !c->timeout_ms || !c->tries || !c->max_queries || c->max_queries > 65536 ||
        !c->max_tcp_clients || !c->tcp_idle_ms) {
        s46_seterr(err, errlen, "DNS proxy: settings out of range");
        return NULL;
    }
    s46_dnsp *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "DNS proxy: out of memory");
        return NULL;
    }
    p->c = *c;
    p->ep = p->stopfd = -1;
    for (unsigned i = 0; i < S46_DNSP_MAX_LISTEN; i++)
        p->udpl[i] = p->tcpl[i] = -1;
    p->ups = calloc(c->max_queries, sizeof *p->ups);
    p->conns = calloc(c->max_tcp_clients, sizeof *p->conns);
    if (c->nservers)
        p->fwd = s46_dnsfwd_new(c->max_queries, c->nservers, c->tries, c->timeout_ms);
    if (!p->ups || !p->conns || (c->nservers && !p->fwd)) {
        s46_seterr(err, errlen, "DNS proxy: out of memory");
        cleanup(p);
        return NULL;
    }
    for (unsigned s = 0; s < c->max_queries; s++) {
        p->ups[s].fd = -1;
        p->ups[s].conn = -1;
    }
    for (unsigned k = 0; k < c->max_tcp_clients; k++)
        p->conns[k].fd = -1;
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    p->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->ep < 0 || p->stopfd < 0 || ep_add(p, p->stopfd, EPOLLIN, TAG(K_STOP, 0, 0)) < 0) {
        s46_seterr(err, errlen, "DNS proxy: %s", strerror(errno));
        cleanup(p);
        return NULL;
    }
    for (unsigned i = 0; i < c->nlisten; i++)
        if (listen_on(p, i, err, errlen) < 0) {
            cleanup(p);
            return NULL;
        }
    int rc = pthread_create(&p->th, NULL, run, p);
    if (rc) {
        s46_seterr(err, errlen, "DNS proxy: thread: %s", strerror(rc));
        cleanup(p);
        return NULL;
    }
    return p;
}

json_t *s46_dnsp_show(s46_dnsp *p)
{
    json_t *j = json_object(), *l = json_array(), *f = json_array(), *cn = json_object();
    char b[INET6_ADDRSTRLEN + 10];
    for (unsigned i = 0; i < p->c.nlisten; i++) {
        fmt_addr(&p->c.listen[i], b, sizeof b);
        json_array_append_new(l, json_string(b));
    }
    for (unsigned i = 0; i < p->c.nservers; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        memcpy(&ss, &p->c.servers[i], sizeof p->c.servers[i]);
        fmt_addr(&ss, b, sizeof b);
        json_array_append_new(f, json_string(b));
    }
    for (unsigned i = 0; i < S46_DNSP_NCOUNTERS; i++)
        json_object_set_new(cn, cnt_names[i],
                            json_integer((json_int_t)__atomic_load_n(&p->cnt[i], __ATOMIC_RELAXED)));
    json_object_set_new(j, "listen", l);
    json_object_set_new(j, "forwarders", f);
    json_object_set_new(j, "outstanding",
                        json_integer(__atomic_load_n(&p->outstanding, __ATOMIC_RELAXED)));
    json_object_set_new(j, "tcp_clients",
                        json_integer(__atomic_load_n(&p->nconns, __ATOMIC_RELAXED)));
    json_object_set_new(j, "counters", cn);
    return j;
}

void s46_dnsp_stop(s46_dnsp *p)
{
    if (!p)
        return;
    uint64_t one = 1;
    if (write(p->stopfd, &one, sizeof one) != sizeof one) {
        /* an eventfd write of 1 does not fail */
    }
    pthread_join(p->th, NULL);
    cleanup(p);
}
