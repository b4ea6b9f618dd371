#include "prov/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

const char *s46_dns_status_name(s46_dns_status s)
{
    switch (s) {
    case S46_DNS_OK: return "ok";
    case S46_DNS_NXDOMAIN: return "nxdomain";
    case S46_DNS_NODATA: return "nodata";
    case S46_DNS_MULTIPLE: return "multiple";
    case S46_DNS_FAIL: return "fail";
    }
    return "?";
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_rc;
static void lib_init(void) { lib_rc = ares_library_init(ARES_LIB_INIT_ALL); }

struct q {
    int done;
    s46_dns_status st;
    char *out;
    size_t outlen, len;
    s46_ip6 *addr;
    size_t naddr, maxaddr;   /* s46_dns_aaaa_all: how many kept, room */
    char msg[160];
};

static s46_dns_status map_status(int status, struct q *q)
{
    snprintf(q->msg, sizeof q->msg, "%s", ares_strerror(status));
    switch (status) {
    case ARES_SUCCESS: return S46_DNS_OK;
    case ARES_ENOTFOUND: return S46_DNS_NXDOMAIN;
    case ARES_ENODATA: return S46_DNS_NODATA;
    default: return S46_DNS_FAIL;
    }
}

static void on_txt(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct q *q = arg;
    q->done = 1;
    q->st = map_status(status, q);
    if (q->st != S46_DNS_OK)
        return;
    struct ares_txt_ext *txt = NULL;
    int r = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (r != ARES_SUCCESS) {
        q->st = r == ARES_ENODATA ? S46_DNS_NODATA : S46_DNS_FAIL;
        snprintf(q->msg, sizeof q->msg, "TXT reply: %s", ares_strerror(r));
        return;
    }
    unsigned records = 0;
    size_t n = 0;
    for (struct ares_txt_ext *t = txt; t; t = t->next) {
        if (t->record_start)
            records++;
        if (records > 1)
            break;
        if (n + t->length >= q->outlen) {
            q->st = S46_DNS_FAIL;
            snprintf(q->msg, sizeof q->msg, "TXT record longer than %zu bytes", q->outlen - 1);
            ares_free_data(txt);
            return;
        }
        memcpy(q->out + n, t->txt, t->length);
        n += t->length;
    }
    ares_free_data(txt);
    q->out[n] = 0;
    q->len = n;
    if (records == 0) {
        q->st = S46_DNS_NODATA;
        snprintf(q->msg, sizeof q->msg, "no TXT record");
    } else if (records > 1) {
        q->st = S46_DNS_MULTIPLE;
        snprintf(q->msg, sizeof q->msg, "more than one TXT record");
    }
}

static void on_addr(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    struct q *q = arg;
    q->done = 1;
    q->st = map_status(status, q);
    if (q->st == S46_DNS_OK) {
        q->st = S46_DNS_NODATA;
        snprintf(q->msg, sizeof q->msg, "no AAAA record");
        for (struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next) {
            if (n->ai_family == AF_INET6) {
                memcpy(q->addr[q->naddr].b, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr, 16);
                q->st = S46_DNS_OK;
                if (++q->naddr >= q->maxaddr)
                    break;
            }
        }
    }
    if (res)
        ares_freeaddrinfo(res);
}

static int channel(ares_channel *ch, const char *servers, unsigned timeout_ms, struct q *q)
{
    pthread_once(&lib_once, lib_init);
    if (lib_rc != ARES_SUCCESS) {
        snprintf(q->msg, sizeof q->msg, "c-ares: %s", ares_strerror(lib_rc));
        return -1;
    }
    struct ares_options o = {.timeout = (int)(timeout_ms / 2 ? timeout_ms / 2 : 1), .tries = 2,
                             .flags = ARES_FLAG_NOSEARCH};
    int r = ares_init_options(ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
    if (r != ARES_SUCCESS) {
        snprintf(q->msg, sizeof q->msg, "resolver: %s", ares_strerror(r));
        return -1;
    }
    if (servers && (r = ares_set_servers_ports_csv(*ch, servers)) != ARES_SUCCESS) {
        snprintf(q->msg, sizeof q->msg, "resolver \"%s\": %s", servers, ares_strerror(r));
        ares_destroy(*ch);
        return -1;
    }
    return 0;
}

static void wait_done(ares_channel ch, struct q *q)
{
    while (!q->done) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        /* the bit tests by hand: c-ares's macros shift a signed 1 by up to 31 */
        unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pf[ARES_GETSOCK_MAXNUM];
        int n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = (short)((bits & (1u << i) ? POLLIN : 0) |
                               (bits & (1u << (i + ARES_GETSOCK_MAXNUM)) ? POLLOUT : 0));
            if (ev)
                pf[n++] = (struct pollfd){.fd = socks[i], .events = ev};
        }
        if (n == 0)
            break;
        struct timeval tv, *tvp = ares_timeout(ch, NULL, &tv);
        int ms = tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 1000;
        int r = poll(pf, (nfds_t)n, ms);
        if (r <= 0) {
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            continue;
        }
        for (int i = 0; i < n; i++)
            ares_process_fd(ch, (pf[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pf[i].fd : ARES_SOCKET_BAD,
                            (pf[i].revents & POLLOUT) ? pf[i].fd : ARES_SOCKET_BAD);
    }
    if (!q->done) {
        q->st = S46_DNS_FAIL;
        snprintf(q->msg, sizeof q->msg, "resolver gave no answer");
    }
}

s46_dns_status s46_dns_txt(const char *name, const char *servers, unsigned timeout_ms,
                           char *out, size_t outlen, size_t *len, char *err, size_t errlen)
{
    struct q q = {.st = S46_DNS_FAIL, .out = out, .outlen = outlen};
    *len = 0;
    ares_channel ch;
    if (outlen < 2 || channel(&ch, servers, timeout_ms, &q) < 0) {
        s46_seterr(err, errlen, "%s", q.msg);
        return S46_DNS_FAIL;
    }
    ares_query(ch, name, 1 /* IN */, 16 /* TXT */, on_txt, &q);
    wait_done(ch, &q);
    ares_destroy(ch);
    if (q.st != S46_DNS_OK)
        s46_seterr(err, errlen, "TXT %s: %s", name, q.msg);
    else
        *len = q.len;
    return q.st;
}

s46_dns_status s46_dns_aaaa(const char *name, const char *servers, unsigned timeout_ms,
                            s46_ip6 *out, char *err, size_t errlen)
{
    if (s46_ip6_parse(name, out) == 0)
        return S46_DNS_OK;
    struct q q = {.st = S46_DNS_FAIL, .addr = out, .maxaddr = 1};
    ares_channel ch;
    if (channel(&ch, servers, timeout_ms, &q) < 0) {
        s46_seterr(err, errlen, "%s", q.msg);
        return S46_DNS_FAIL;
    }
    struct ares_addrinfo_hints h = {.ai_family = AF_INET6};
    ares_getaddrinfo(ch, name, NULL, &h, on_addr, &q);
    wait_done(ch, &q);
    ares_destroy(ch);
    if (q.st != S46_DNS_OK)
        s46_seterr(err, errlen, "AAAA %s: %s", name, q.msg);
    return q.st;
}

s46_dns_status s46_dns_aaaa_all(const char *name, const char *servers, unsigned timeout_ms,
                                s46_ip6 *out, size_t max, size_t *n, char *err, size_t errlen)
{
    struct q q = {.st = S46_DNS_FAIL, .addr = out, .maxaddr = max};
    ares_channel ch;
    *n = 0;
    if (max == 0 || channel(&ch, servers, timeout_ms, &q) < 0) {
        s46_seterr(err, errlen, "%s", max ? q.msg : "no room");
        return S46_DNS_FAIL;
    }
    struct ares_addrinfo_hints h = {.ai_family = AF_INET6};
    ares_getaddrinfo(ch, name, NULL, &h, on_addr, &q);
    wait_done(ch, &q);
    ares_destroy(ch);
    if (q.st != S46_DNS_OK)
        s46_seterr(err, errlen, "AAAA %s: %s", name, q.msg);
    *n = q.naddr;
    return q.st;
}
