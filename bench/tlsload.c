/* tlsload: a lean load generator for fresh HTTPS connections (benchmark tool,
 * not shipped). It keeps CONCURRENCY connections in flight for SECONDS; each
 * one is a new TCP connection, a full TLS handshake (no session resumption:
 * every session starts empty), the server certificate checked against CAFILE
 * for NAME (as an HB46PP CE with t=b does), one GET with "Connection: close",
 * and the whole answer read. It prints how many answers were "200" with a
 * body of the announced length, how many failed and why, the rate, latency
 * p50/p99 (connect to last byte) and its own CPU time per connection, so a
 * run on the server's machine can tell the client's share of the cores.
 *
 * usage: tlsload NAME ADDR PORT PATH SECONDS CONCURRENCY CAFILE [PRIORITY]
 * (ADDR is an IPv6 or IPv4 literal; NAME is sent as SNI and checked in the
 * certificate; PRIORITY is a GnuTLS priority string, default
 * "NORMAL:-GROUP-ALL:+GROUP-X25519", one key share as most clients send.) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
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

enum { ST_CONNECT, ST_HANDSHAKE, ST_SEND, ST_RECV };

struct conn {
    int fd, st;
    gnutls_session_t s;
    double t0;
    size_t sent, got;
    char buf[4096];
};

static struct sockaddr_storage dst;
static socklen_t dstlen;
static const char *name, *prio;
static char req[1024];
static size_t reqlen;
static gnutls_certificate_credentials_t cred;
static gnutls_priority_t prio_cache;
static int ep;
static unsigned long ok, fail_connect, fail_tls, fail_http;

static int want(struct conn *c, unsigned ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void finish(struct conn *c);

static void start(struct conn *c)
{
    c->st = ST_CONNECT;
    c->sent = c->got = 0;
    c->s = NULL;
    c->t0 = now();
    c->fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        perror("tlsload: socket");
        exit(1);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
    if (connect(c->fd, (struct sockaddr *)&dst, dstlen) < 0 && errno != EINPROGRESS) {
        perror("tlsload: connect"); /* nothing listens: no point going on */
        exit(1);
    }
}

/* Close this connection (counted by the caller) and start the next one. */
static void finish(struct conn *c)
{
    if (c->s)
        gnutls_deinit(c->s);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    start(c);
}

/* A complete, correct answer: status 200 and a body of Content-Length bytes. */
static int answer_ok(struct conn *c)
{
    c->buf[c->got < sizeof c->buf ? c->got : sizeof c->buf - 1] = 0;
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
    int r;
    switch (c->st) {
    case ST_CONNECT: {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            fail_connect++;
            finish(c);
            return;
        }
        gnutls_init(&c->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
        gnutls_priority_set(c->s, prio_cache);
        gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, cred);
        gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, name, strlen(name));
        gnutls_session_set_verify_cert(c->s, name, 0);
        gnutls_transport_set_int(c->s, c->fd);
        c->st = ST_HANDSHAKE;
    } /* fall through */
    case ST_HANDSHAKE:
        r = gnutls_handshake(c->s);
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
            want(c, gnutls_record_get_direction(c->s) ? EPOLLOUT : EPOLLIN);
            return;
        }
        if (r < 0) {
            if (fail_tls++ == 0)
                fprintf(stderr, "tlsload: handshake: %s\n", gnutls_strerror(r));
            finish(c);
            return;
        }
        c->st = ST_SEND; /* fall through */
    case ST_SEND:
        while (c->sent < reqlen) {
            ssize_t n = gnutls_record_send(c->s, req + c->sent, reqlen - c->sent);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
                want(c, EPOLLOUT);
                return;
            }
            if (n < 0) {
                fail_tls++;
                finish(c);
                return;
            }
            c->sent += (size_t)n;
        }
        c->st = ST_RECV;
        want(c, EPOLLIN); /* fall through */
    case ST_RECV:
        for (;;) {
            ssize_t n = gnutls_record_recv(c->s, c->buf + c->got, sizeof c->buf - 1 - c->got);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                return;
            if (n > 0 && c->got + (size_t)n < sizeof c->buf - 1) {
                c->got += (size_t)n;
                continue;
            }
            /* end of the answer: close_notify (0) or the TCP close */
            if ((n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) && answer_ok(c)) {
                ok++;
                lat_add("tlsload", now() - c->t0);
            } else if (n < 0 && n != GNUTLS_E_PREMATURE_TERMINATION) {
                fail_tls++;
            } else {
                if (fail_http++ == 0)
                    fprintf(stderr, "tlsload: unexpected answer: %.80s\n", c->buf);
            }
            finish(c);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 8 || argc > 9) {
        fprintf(stderr, "usage: tlsload NAME ADDR PORT PATH SECONDS CONCURRENCY CAFILE [PRIORITY]\n");
        return 2;
    }
    name = argv[1];
    prio = argc > 8 ? argv[8] : "NORMAL:-GROUP-ALL:+GROUP-X25519";
    int port = atoi(argv[3]);
    double secs = atof(argv[5]);
    int conc = atoi(argv[6]);
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&dst;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&dst;
    if (inet_pton(AF_INET6, argv[2], &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        dstlen = sizeof *a6;
    } else if (inet_pton(AF_INET, argv[2], &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        dstlen = sizeof *a4;
    } else {
        fprintf(stderr, "tlsload: %s is not an address literal\n", argv[2]);
        return 2;
    }
    if (port < 1 || port > 65535 || secs <= 0 || conc < 1 || conc > 10000) {
        fprintf(stderr, "tlsload: bad PORT, SECONDS or CONCURRENCY\n");
        return 2;
    }
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n",
                     argv[4], name, port);
    if (n < 0 || (size_t)n >= sizeof req) {
        fprintf(stderr, "tlsload: PATH too long\n");
        return 2;
    }
    reqlen = (size_t)n;
    gnutls_global_init();
    gnutls_certificate_allocate_credentials(&cred);
    if (gnutls_certificate_set_x509_trust_file(cred, argv[7], GNUTLS_X509_FMT_PEM) <= 0) {
        fprintf(stderr, "tlsload: no CA certificate in %s\n", argv[7]);
        return 2;
    }
    const char *bad;
    if (gnutls_priority_init(&prio_cache, prio, &bad) < 0) {
        fprintf(stderr, "tlsload: bad priority string at %s\n", bad);
        return 2;
    }
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
    printf("%lu answers in %.2f s: %.0f per second; failed: %lu connect, %lu tls, %lu http\n", ok, el,
           (double)ok / el, fail_connect, fail_tls, fail_http);
    if (nlat)
        printf("latency p50 %.1f ms, p99 %.1f ms; client CPU %.3f ms per answer\n",
               lat[nlat / 2] * 1e3, lat[nlat * 99 / 100] * 1e3, cpu * 1e3 / (double)nlat);
    return ok ? 0 : 1;
}
