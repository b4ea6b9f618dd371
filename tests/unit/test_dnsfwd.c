/* The CE's DNS proxy: the forwarder's message handling (prov/dnsfwd.h) —
 * query checks, ID rewriting and matching, answers that do not belong,
 * truncated and malformed input, bounds, timeouts and SERVFAIL — and the
 * proxy itself on loopback (prov/dnsproxy.h) against a fake forwarder. */
#include "t.h"

#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include "prov/dnsfwd.h"
#include "prov/dnsproxy.h"

/* A query for name (dotted) of type qtype with ID id; its length. */
static size_t mkquery(uint8_t *m, uint16_t id, const char *name, uint16_t qtype)
{
    memset(m, 0, 12);
    m[0] = (uint8_t)(id >> 8);
    m[1] = (uint8_t)id;
    m[2] = 0x01; /* RD */
    m[5] = 1;    /* QDCOUNT */
    size_t o = 12;
    while (*name) {
        const char *d = strchr(name, '.');
        size_t l = d ? (size_t)(d - name) : strlen(name);
        m[o++] = (uint8_t)l;
        memcpy(m + o, name, l);
        o += l;
        name += l + (d ? 1 : 0);
    }
    m[o++] = 0;
    m[o++] = (uint8_t)(qtype >> 8);
    m[o++] = (uint8_t)qtype;
    m[o++] = 0;
    m[o++] = 1; /* IN */
    return o;
}

/* The answer to query q (as the forwarder got it): QR set, one A record. */
static size_t mkanswer(uint8_t *a, const uint8_t *q, size_t qlen)
{
    memcpy(a, q, qlen);
    a[2] |= 0x80;
    a[3] = 0x80;
    a[7] = 1; /* ANCOUNT */
    static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 80};
    memcpy(a + qlen, rr, sizeof rr);
    return qlen + sizeof rr;
}

static uint16_t id_of(const uint8_t *m) { return (uint16_t)(m[0] << 8 | m[1]); }

TEST(query_check)
{
    uint8_t m[600];
    size_t n = mkquery(m, 7, "www.example.com", 1), qe = 0;
    CHECK_INT(s46_dns_query_check(m, n, &qe), 0);
    CHECK_INT(qe, n);
    CHECK_INT(s46_dns_query_check(m, n + 20, &qe), 0); /* an OPT record may follow */
    CHECK_INT(s46_dns_query_check(m, 11, NULL), -1);   /* shorter than a header */
    for (size_t cut = 12; cut < n; cut++)              /* the question cut anywhere */
        CHECK_INT(s46_dns_query_check(m, cut, NULL), -1);
    m[2] |= 0x80; /* an answer */
    CHECK_INT(s46_dns_query_check(m, n, NULL), -1);
    m[2] = 0x01 | (5 << 3); /* opcode UPDATE */
    CHECK_INT(s46_dns_query_check(m, n, NULL), -1);
    m[2] = 0x01;
    m[5] = 2; /* two questions */
    CHECK_INT(s46_dns_query_check(m, n, NULL), -1);
    m[5] = 0;
    CHECK_INT(s46_dns_query_check(m, n, NULL), -1);
    m[5] = 1;
    m[12] = 0xc0; /* a compression pointer in the question */
    CHECK_INT(s46_dns_query_check(m, n, NULL), -1);
    m[12] = 63;   /* a label running past the end */
    CHECK_INT(s46_dns_query_check(m, n, NULL), -1);
    /* a name of more than 255 bytes */
    size_t o = 12;
    for (int i = 0; i < 5; i++) {
        m[o++] = 60;
        memset(m + o, 'a', 60);
        o += 60;
    }
    m[o++] = 0;
    memset(m + o, 0, 4);
    o += 4;
    CHECK_INT(s46_dns_query_check(m, o, NULL), -1);
    CHECK_INT(s46_dns_query_check(NULL, 0, NULL), -1);
    /* the root name is a name */
    n = mkquery(m, 1, "", 2);
    CHECK_INT(s46_dns_query_check(m, n, &qe), 0);
    CHECK_INT(qe, 17);
}

TEST(id_rewritten_and_restored)
{
    s46_dnsfwd *f = s46_dnsfwd_new(8, 1, 1, 1000);
    CHECK(f);
    uint8_t q[100], a[200];
    size_t n = mkquery(q, 0x1234, "www.Example.com", 1), len;
    int s = s46_dnsfwd_query(f, q, n, 0);
    CHECK(s >= 0);
    CHECK_INT(s46_dnsfwd_outstanding(f), 1);
    CHECK_INT(s46_dnsfwd_client_id(f, s), 0x1234);
    const uint8_t *up = s46_dnsfwd_msg(f, s, &len);
    CHECK(up && len == n);
    CHECK(memcmp(up + 2, q + 2, n - 2) == 0); /* only the ID differs */
    uint16_t uid = id_of(up);
    size_t an = mkanswer(a, up, n);
    /* another ID: not ours, the slot keeps waiting */
    a[0] ^= 0x55;
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_UNMATCHED);
    a[0] ^= 0x55;
    CHECK_INT(s46_dnsfwd_outstanding(f), 1);
    /* the name in another case is the same question */
    a[13] = 'W';
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_OK);
    CHECK_INT(id_of(a), 0x1234);
    CHECK_INT(s46_dnsfwd_outstanding(f), 0);
    /* the same answer again: the slot is free */
    a[0] = (uint8_t)(uid >> 8);
    a[1] = (uint8_t)uid;
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_UNMATCHED);
    CHECK_INT(s46_dnsfwd_answer(f, -1, a, an), S46_DNSFWD_ANSWER_UNMATCHED);
    CHECK_INT(s46_dnsfwd_answer(f, 99, a, an), S46_DNSFWD_ANSWER_UNMATCHED);
    s46_dnsfwd_free(f);
}

TEST(ids_differ_between_queries)
{
    s46_dnsfwd *f = s46_dnsfwd_new(64, 1, 1, 1000);
    uint8_t q[100];
    size_t n = mkquery(q, 1, "a.example", 1), len;
    unsigned same = 0;
    uint16_t prev = 0;
    for (int i = 0; i < 64; i++) {
        int s = s46_dnsfwd_query(f, q, n, 0);
        CHECK(s >= 0);
        uint16_t id = id_of(s46_dnsfwd_msg(f, s, &len));
        same += id == prev || id == 1;
        prev = id;
    }
    CHECK(same < 4); /* random IDs, not the client's nor a counter stuck */
    s46_dnsfwd_free(f);
}

TEST(answer_must_match_question)
{
    s46_dnsfwd *f = s46_dnsfwd_new(8, 1, 1, 1000);
    uint8_t q[100], a[200];
    size_t n = mkquery(q, 9, "www.example.com", 1), len;
    int s = s46_dnsfwd_query(f, q, n, 0);
    const uint8_t *up = s46_dnsfwd_msg(f, s, &len);
    size_t an = mkanswer(a, up, n);
    a[14] = 'x'; /* another name */
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_UNMATCHED);
    a[14] = up[14];
    a[n - 3] = 28; /* another type (AAAA) */
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_UNMATCHED);
    a[n - 3] = up[n - 3];
    a[n - 1] = 3; /* another class */
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_UNMATCHED);
    a[n - 1] = 1;
    /* truncated, or not an answer: malformed, the slot waits on */
    CHECK_INT(s46_dnsfwd_answer(f, s, a, 11), S46_DNSFWD_ANSWER_MALFORMED);
    CHECK_INT(s46_dnsfwd_answer(f, s, a, 0), S46_DNSFWD_ANSWER_MALFORMED);
    for (size_t cut = 12; cut < n; cut++)
        CHECK(s46_dnsfwd_answer(f, s, a, cut) != S46_DNSFWD_ANSWER_OK);
    a[2] &= 0x7f;
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_MALFORMED);
    a[2] |= 0x80;
    a[5] = 2;
    CHECK_INT(s46_dnsfwd_answer(f, s, a, an), S46_DNSFWD_ANSWER_MALFORMED);
    /* no question: only with an error RCODE (FORMERR) */
    a[5] = 0;
    CHECK_INT(s46_dnsfwd_answer(f, s, a, 12), S46_DNSFWD_ANSWER_MALFORMED);
    CHECK_INT(s46_dnsfwd_outstanding(f), 1);
    a[3] = 0x81;
    CHECK_INT(s46_dnsfwd_answer(f, s, a, 12), S46_DNSFWD_ANSWER_OK);
    CHECK_INT(id_of(a), 9);
    CHECK_INT(s46_dnsfwd_outstanding(f), 0);
    s46_dnsfwd_free(f);
}

TEST(bounds)
{
    CHECK(!s46_dnsfwd_new(0, 1, 1, 1000));
    CHECK(!s46_dnsfwd_new(4, 0, 1, 1000));
    CHECK(!s46_dnsfwd_new(4, 1, 0, 1000));
    s46_dnsfwd *f = s46_dnsfwd_new(2, 1, 1, 1000);
    uint8_t q[S46_DNSFWD_MAX_QUERY + 10];
    size_t n = mkquery(q, 1, "example", 1);
    int a = s46_dnsfwd_query(f, q, n, 0), b = s46_dnsfwd_query(f, q, n, 0);
    CHECK(a >= 0 && b >= 0 && a != b);
    CHECK_INT(s46_dnsfwd_query(f, q, n, 0), S46_DNSFWD_FULL);
    s46_dnsfwd_release(f, a);
    s46_dnsfwd_release(f, a); /* twice: harmless */
    CHECK_INT(s46_dnsfwd_outstanding(f), 1);
    CHECK(s46_dnsfwd_query(f, q, n, 0) >= 0);
    s46_dnsfwd_release(f, b);
    /* a query longer than 4096 bytes (padding after the question) */
    memset(q + n, 0, sizeof q - n);
    CHECK_INT(s46_dnsfwd_query(f, q, S46_DNSFWD_MAX_QUERY + 1, 0), S46_DNSFWD_MALFORMED);
    CHECK(s46_dnsfwd_query(f, q, S46_DNSFWD_MAX_QUERY, 0) >= 0);
    q[2] = 0x80;
    CHECK_INT(s46_dnsfwd_query(f, q, n, 0), S46_DNSFWD_MALFORMED);
    s46_dnsfwd_free(f);
}

TEST(timeouts_retry_then_servfail)
{
    s46_dnsfwd *f = s46_dnsfwd_new(4, 2, 2, 100);
    uint8_t q[100], out[100];
    size_t n = mkquery(q, 0xbeef, "slow.example", 16), len;
    int s = s46_dnsfwd_query(f, q, n, 1000);
    bool retried;
    unsigned srv0 = s46_dnsfwd_server(f, s);
    uint16_t id0 = id_of(s46_dnsfwd_msg(f, s, &len));
    CHECK_INT(s46_dnsfwd_next_deadline(f), 1100);
    CHECK_INT(s46_dnsfwd_expired(f, 1099, &retried), -1);
    CHECK_INT(s46_dnsfwd_expired(f, 1100, &retried), s);
    CHECK(retried);
    CHECK(s46_dnsfwd_server(f, s) != srv0); /* the next forwarder */
    (void)id0; /* a new ID (random: may rarely repeat, not checked) */
    CHECK_INT(s46_dnsfwd_next_deadline(f), 1200);
    CHECK_INT(s46_dnsfwd_expired(f, 1150, &retried), -1);
    CHECK_INT(s46_dnsfwd_expired(f, 1200, &retried), s);
    CHECK(!retried);
    CHECK_INT(s46_dnsfwd_expired(f, 5000, &retried), -1); /* spent: reported once */
    CHECK_INT(s46_dnsfwd_servfail(f, s, out, 10), 0);   /* too small */
    size_t sn = s46_dnsfwd_servfail(f, s, out, sizeof out);
    CHECK_INT(sn, n);
    CHECK_INT(id_of(out), 0xbeef);
    CHECK(out[2] & 0x80);
    CHECK_INT(out[3] & 0x0f, 2);
    CHECK_INT(out[7] + out[9] + out[11], 0);
    CHECK(memcmp(out + 12, q + 12, n - 12) == 0);
    s46_dnsfwd_release(f, s);
    CHECK_INT(s46_dnsfwd_outstanding(f), 0);
    CHECK(s46_dnsfwd_next_deadline(f) == UINT64_MAX);
    s46_dnsfwd_free(f);
}

/* Random bytes and mutated messages never crash nor get accepted wrongly. */
TEST(random_input)
{
    s46_dnsfwd *f = s46_dnsfwd_new(16, 1, 1, 1000);
    uint8_t q[100], m[300];
    size_t n = mkquery(q, 5, "r.example", 1), len;
    srand(46);
    for (int i = 0; i < 20000; i++) {
        size_t l = (size_t)rand() % sizeof m;
        for (size_t k = 0; k < l; k++)
            m[k] = (uint8_t)rand();
        if (s46_dnsfwd_query(f, m, l, 0) >= 0)
            CHECK(s46_dns_query_check(m, l, NULL) == 0);
        int s = s46_dnsfwd_query(f, q, n, 0);
        if (s < 0) { /* full of random queries: empty it */
            for (int k = 0; k < 16; k++)
                s46_dnsfwd_release(f, k);
            continue;
        }
        /* random bytes behind the slot's own ID */
        const uint8_t *up = s46_dnsfwd_msg(f, s, &len);
        memcpy(m, up, 2);
        int r = s46_dnsfwd_answer(f, s, m, l);
        if (r == S46_DNSFWD_ANSWER_OK)
            CHECK((m[2] & 0x80) && id_of(m) == 5);
        s46_dnsfwd_release(f, s);
    }
    s46_dnsfwd_free(f);
}

TEST(parse_addresses)
{
    struct sockaddr_storage ss;
    char e[200];
    CHECK_INT(s46_dnsp_parse_addr("192.168.1.1", 53, &ss, e, sizeof e), 0);
    CHECK_INT(ss.ss_family, AF_INET);
    CHECK_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
    CHECK_INT(s46_dnsp_parse_addr("192.168.1.1:5353", 53, &ss, e, sizeof e), 0);
    CHECK_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5353);
    CHECK_INT(s46_dnsp_parse_addr("2001:db8::53", 53, &ss, e, sizeof e), 0);
    CHECK_INT(ss.ss_family, AF_INET6);
    CHECK_INT(s46_dnsp_parse_addr("[2001:db8::53]:54", 53, &ss, e, sizeof e), 0);
    CHECK_INT(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 54);
    CHECK_INT(s46_dnsp_parse_addr("[2001:db8::53]x", 53, &ss, e, sizeof e), -1);
    CHECK_INT(s46_dnsp_parse_addr("192.168.1.1:0", 53, &ss, e, sizeof e), -1);
    CHECK_INT(s46_dnsp_parse_addr("192.168.1.1:70000", 53, &ss, e, sizeof e), -1);
    CHECK_INT(s46_dnsp_parse_addr("host.example", 53, &ss, e, sizeof e), -1);
    CHECK_INT(s46_dnsp_parse_addr("", 53, &ss, e, sizeof e), -1);
    s46_dnsp_conf c;
    s46_dnsp_conf_default(&c);
    CHECK_INT(s46_dnsp_add_servers(&c, "[2001:db8::53]:53,192.0.2.1, 2001:db8::54", e, sizeof e), 2);
    CHECK_INT(c.nservers, 2);
    CHECK_INT(ntohs(c.servers[1].sin6_port), 53);
    CHECK_INT(s46_dnsp_add_servers(&c, "192.0.2.1:53", e, sizeof e), 0);
    CHECK_INT(s46_dnsp_add_servers(&c, "nonsense", e, sizeof e), -1);
}

/* ---------------------------------------------------------------- the proxy on loopback */

static uint16_t free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    return ntohs(a.sin_port);
}

static long long counter(s46_dnsp *p, const char *name)
{
    json_t *j = s46_dnsp_show(p);
    long long v = json_integer_value(json_object_get(json_object_get(j, "counters"), name));
    json_decref(j);
    return v;
}

static bool readable(int fd, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    return poll(&pf, 1, ms) == 1;
}

TEST(proxy_udp_and_tcp_on_loopback)
{
    /* the fake forwarder: a UDP socket on ::1 */
    int fw = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 fa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t fl = sizeof fa;
    if (fw < 0 || bind(fw, (struct sockaddr *)&fa, sizeof fa) < 0) {
        printf("SKIP proxy_udp_and_tcp_on_loopback: no IPv6 loopback\n");
        return;
    }
    getsockname(fw, (struct sockaddr *)&fa, &fl);
    s46_dnsp_conf c;
    s46_dnsp_conf_default(&c);
    char e[200], ls[40];
    uint16_t port = free_port(SOCK_DGRAM);
    snprintf(ls, sizeof ls, "127.0.0.1:%u", port);
    CHECK_INT(s46_dnsp_parse_addr(ls, 53, &c.listen[0], e, sizeof e), 0);
    c.nlisten = 1;
    c.servers[0] = fa;
    c.nservers = 1;
    c.timeout_ms = 300;
    c.tries = 1;
    s46_dnsp *p = s46_dnsp_start(&c, e, sizeof e);
    if (!p) {
        printf("FAIL %s: %s\n", t_name_, e);
        *t_failed_ = 1;
        close(fw);
        return;
    }
    int cl = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in pa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    connect(cl, (struct sockaddr *)&pa, sizeof pa);
    uint8_t q[100], m[600], a[600];
    size_t n = mkquery(q, 0x4242, "www.example.com", 1);
    CHECK(send(cl, q, n, 0) == (ssize_t)n);
    CHECK(readable(fw, 2000));
    struct sockaddr_in6 from;
    socklen_t froml = sizeof from;
    ssize_t r = recvfrom(fw, m, sizeof m, 0, (struct sockaddr *)&from, &froml);
    CHECK(r == (ssize_t)n);
    CHECK(memcmp(m + 2, q + 2, n - 2) == 0);
    size_t an = mkanswer(a, m, n);
    /* first a forged answer with another ID, then a malformed one, then the real one */
    a[1] ^= 1;
    sendto(fw, a, an, 0, (struct sockaddr *)&from, froml);
    a[1] ^= 1;
    sendto(fw, a, 5, 0, (struct sockaddr *)&from, froml);
    sendto(fw, a, an, 0, (struct sockaddr *)&from, froml);
    CHECK(readable(cl, 2000));
    r = recv(cl, m, sizeof m, 0);
    CHECK(r == (ssize_t)an);
    CHECK_INT(id_of(m), 0x4242);
    CHECK(memcmp(m + 2, a + 2, an - 2) == 0);
    CHECK(!readable(cl, 100)); /* the forged one was not relayed */
    CHECK_INT(counter(p, "drop_answer_unmatched"), 1);
    CHECK_INT(counter(p, "drop_answer_malformed"), 1);
    CHECK_INT(counter(p, "answers_udp"), 1);
    /* a malformed query is dropped and counted, no answer */
    send(cl, q, 7, 0);
    CHECK(!readable(cl, 100));
    CHECK_INT(counter(p, "drop_query_malformed"), 1);
    /* no answer from the forwarder: SERVFAIL after the try */
    q[1] = 0x43;
    send(cl, q, n, 0);
    CHECK(readable(cl, 2000));
    r = recv(cl, m, sizeof m, 0);
    CHECK(r == (ssize_t)n);
    CHECK_INT(id_of(m), 0x4243);
    CHECK_INT(m[3] & 0x0f, 2);
    CHECK_INT(counter(p, "servfail_timeout"), 1);
    while (readable(fw, 0))
        recv(fw, m, sizeof m, 0);

    /* TCP: a huge length prefix closes the connection, counted */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(t, (struct sockaddr *)&pa, sizeof pa) == 0);
    uint8_t big[2] = {0xff, 0xff};
    send(t, big, 2, 0);
    CHECK(readable(t, 2000));
    CHECK(recv(t, m, sizeof m, 0) == 0); /* closed */
    close(t);
    CHECK_INT(counter(p, "drop_tcp_length"), 1);
    CHECK_INT(counter(p, "tcp_accepted"), 1);
    s46_dnsp_stop(p);
    close(cl);
    close(fw);
}

T_MAIN(T_CASE(query_check), T_CASE(id_rewritten_and_restored), T_CASE(ids_differ_between_queries),
       T_CASE(answer_must_match_question), T_CASE(bounds), T_CASE(timeouts_retry_then_servfail),
       T_CASE(random_input), T_CASE(parse_addresses), T_CASE(proxy_udp_and_tcp_on_loopback))
