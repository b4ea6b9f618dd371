/* srcload: a load generator of first contacts from distinct CEs (benchmark
 * tool, not shipped). It keeps CONCURRENCY requests in flight for SECONDS;
 * each one is a new TCP connection from the next source address, one plain
 * HTTP GET with "Connection: close", and the whole answer read. Source k is
 * PREFIX (an IPv6 /32) with k in bits 32..55 and host part ::1, so every
 * source is in its own /56 (the server's default token_unit: one owner of
 * tokens per source); k runs over FIRST .. FIRST+COUNT-1 and wraps.
 *
 * The sources are not configured one by one: the caller makes PREFIX local
 * (an "AnyIP" route: `ip -6 route add local PREFIX dev lo`, in a private
 * network namespace) and the sockets bind with IP_FREEBIND.
 *
 * It prints how many answers were "200" with a body of the announced
 * length, how many carried a new token, how many failed and why, the rate,
 * latency p50/p99 (connect to last byte) and its own CPU time, so a run on
 * the server's machine can tell the client's share of the cores.
 *
 * usage: srcload ADDR PORT PATH SECONDS CONCURRENCY PREFIX FIRST COUNT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loadstat.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { ST_CONNECT, ST_SEND, ST_RECV };

struct conn {
    int fd, st;
    double t0;
    size_t sent, got;
    char buf[4096];
};

static struct sockaddr_in6 dst, src;
static unsigned long first, count, next, started;
static char req[1024];
static size_t reqlen;
static int ep;
static unsigned long ok, with_token, fail_connect, fail_http;

static void want(struct conn *c, unsigned ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void start(struct conn *c)
{
    c->st = ST_CONNECT;
    c->sent = c->got = 0;
    c->t0 = now();
    c->fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        perror("srcload: socket");
        exit(1);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    unsigned long k = first + next;
    next = (next + 1) % count;
    started++;
    struct sockaddr_in6 s = src;
    s.sin6_addr.s6_addr[4] = (uint8_t)(k >> 16);
    s.sin6_addr.s6_addr[5] = (uint8_t)(k >> 8);
    s.sin6_addr.s6_addr[6] = (uint8_t)k;
    if (bind(c->fd, (struct sockaddr *)&s, sizeof s) < 0) {
        perror("srcload: bind"); /* the prefix is not local: no point going on */
        exit(1);
    }
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
    if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
        perror("srcload: connect");
        exit(1);
    }
}

/* Close this connection (counted by the caller) and start the next one.
 * The server closed first (Connection: close); a reset instead of our FIN
 * leaves no TIME_WAIT behind on either side. */
static void finish(struct conn *c)
{
    struct linger l = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    start(c);
}

/* A complete, correct answer: status 200 and a body of Content-Length bytes. */
static int answer_ok(struct conn *c)
{
    c->buf[c->got] = 0;
    if (strncmp(c->buf, "HTTP/1.1 200 ", 13))
        return 0;
    char *end = strstr(c->buf, "\r\n\r\n");
    char *cl = strcasestr(c->buf, "\r\ncontent-length:");
    if (!end || !cl || cl > end)
        return 0;
    return strtoul(cl + 17, NULL, 10) == c->got - (size_t)(end + 4 - c->buf);
}

static void step(struct conn *c)
{
    switch (c->st) {
    case ST_CONNECT: {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            if (fail_connect++ == 0)
                fprintf(stderr, "srcload: connect: %s\n", strerror(err));
            finish(c);
            return;
        }
        c->st = ST_SEND;
    } /* fall through */
    case ST_SEND:
        while (c->sent < reqlen) {
            ssize_t n = send(c->fd, req + c->sent, reqlen - c->sent, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                want(c, EPOLLOUT);
                return;
            }
            if (n < 0) {
                fail_connect++;
                finish(c);
                return;
            }
            c->sent += (size_t)n;
        }
        c->st = ST_RECV;
        want(c, EPOLLIN); /* fall through */
    case ST_RECV:
        for (;;) {
            ssize_t n = recv(c->fd, c->buf + c->got, sizeof c->buf - 1 - c->got, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
            if (n > 0 && c->got + (size_t)n < sizeof c->buf - 1) {
                c->got += (size_t)n;
                continue;
            }
            /* end of the answer: the server's close (or a full buffer) */
            if (n == 0 && answer_ok(c)) {
                ok++;
                if (strstr(c->buf, "\"token\""))
                    with_token++;
                lat_add("srcload", now() - c->t0);
            } else if (fail_http++ == 0) {
                fprintf(stderr, "srcload: unexpected answer: %.80s\n", c->buf);
            }
            finish(c);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: srcload ADDR PORT PATH SECONDS CONCURRENCY PREFIX FIRST COUNT\n");
        return 2;
    }
    int port = atoi(argv[2]);
    double secs = atof(argv[4]);
    int conc = atoi(argv[5]);
    first = strtoul(argv[7], NULL, 10);
    count = strtoul(argv[8], NULL, 10);
    dst.sin6_family = src.sin6_family = AF_INET6;
    dst.sin6_port = htons((uint16_t)port);
    char pfx[INET6_ADDRSTRLEN + 4];
    snprintf(pfx, sizeof pfx, "%s", argv[6]);
    char *slash = strchr(pfx, '/');
    if (slash)
        *slash = 0;
    if (inet_pton(AF_INET6, argv[1], &dst.sin6_addr) != 1 ||
        inet_pton(AF_INET6, pfx, &src.sin6_addr) != 1 || (slash && strcmp(slash + 1, "32"))) {
        fprintf(stderr, "srcload: ADDR must be an IPv6 literal, PREFIX an IPv6 /32\n");
        return 2;
    }
    memset(src.sin6_addr.s6_addr + 4, 0, 12);
    src.sin6_addr.s6_addr[15] = 1;
    if (port < 1 || port > 65535 || secs <= 0 || conc < 1 || conc > 10000 || count < 1 ||
        first + count > (1ul << 24)) {
        fprintf(stderr, "srcload: bad PORT, SECONDS, CONCURRENCY, FIRST or COUNT\n");
        return 2;
    }
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: [%s]:%d\r\nConnection: close\r\n\r\n",
                     argv[3], argv[1], port);
    if (n < 0 || (size_t)n >= sizeof req) {
        fprintf(stderr, "srcload: PATH too long\n");
        return 2;
    }
    reqlen = (size_t)n;
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *cs = calloc((size_t)conc, sizeof *cs);
    if (!cs)
        return 1;
    for (int i = 0; i < conc; i++)
        start(&cs[i]);
    double t0 = now(), end = t0 + secs;
    struct epoll_event ev[256];
    while (now() < end) {
        int k = epoll_wait(ep, ev, 256, 50);
        for (int i = 0; i < k; i++)
            step(ev[i].data.ptr);
    }
    double el = now() - t0;
    double cpu = lat_done();
    printf("srcload: %lu answers in %.2f s (%.0f/s), %lu with a new token, from %lu source /56s;"
           " failed: %lu connect, %lu http\n",
           ok, el, (double)ok / el, with_token, started < count ? started : count, fail_connect, fail_http);
    if (nlat)
        printf("srcload: latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; client CPU %.2f s, %.1f us per answer\n",
               lat[nlat / 2] * 1e3, lat[nlat * 99 / 100] * 1e3, lat[nlat - 1] * 1e3, cpu,
               cpu * 1e6 / (double)nlat);
    return ok ? 0 : 1;
}
