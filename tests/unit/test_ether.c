/* The Ethernet link layer (io/ether.c): ARP replies and Neighbor
 * Advertisements byte by byte, what is ignored, VLAN, learning and the
 * choice of next hop, truncated frames (every prefix of every test frame
 * is classified from a buffer of exactly that size, so ASan sees any read
 * past the end). Checksums are verified with a separate implementation. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sys/socket.h>

#include "io/ether.h"
#include "t.h"

static const uint8_t ME[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t HOST[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t HOST3[6] = {0x02, 0, 0, 0, 0, 0x03};
static const uint8_t PEER[6] = {0x02, 0, 0, 0, 0, 0x0f};

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

/* Independent ones'-complement sum over the IPv6 pseudo-header + data. */
static unsigned icmp6_sum(const uint8_t *ip6, const uint8_t *l4, unsigned len)
{
    unsigned long s = 0;
    for (int i = 8; i < 40; i += 2)
        s += (unsigned)(ip6[i] << 8 | ip6[i + 1]);
    s += len + 58;
    for (unsigned i = 0; i < len; i += 2)
        s += (unsigned)(l4[i] << 8 | (i + 1 < len ? l4[i + 1] : 0));
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (unsigned)s; /* 0xffff when the checksum verifies */
}

static size_t eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], unsigned type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, type);
    return 14;
}

static size_t arp_request(uint8_t *f, const char *spa, const char *tpa)
{
    static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    size_t n = eth(f, bc, HOST, 0x0806);
    uint8_t *a = f + n;
    memset(a, 0, 28);
    put16(a, 1), put16(a + 2, 0x0800), a[4] = 6, a[5] = 4, put16(a + 6, 1);
    memcpy(a + 8, HOST, 6);
    inet_pton(AF_INET, spa, a + 14);
    inet_pton(AF_INET, tpa, a + 24);
    return n + 28;
}

/* NS from src for target, to dst (IP) and dmac, optional SLLA. */
static size_t ns(uint8_t *f, const uint8_t dmac[6], const char *src, const char *dst,
                 const char *target, bool slla, unsigned hlim)
{
    size_t n = eth(f, dmac, HOST, 0x86dd);
    uint8_t *ip = f + n, *icmp = ip + 40;
    unsigned plen = slla ? 32 : 24;
    memset(ip, 0, 40 + plen);
    ip[0] = 0x60, put16(ip + 4, plen), ip[6] = 58, ip[7] = (uint8_t)hlim;
    inet_pton(AF_INET6, src, ip + 8);
    inet_pton(AF_INET6, dst, ip + 24);
    icmp[0] = 135;
    inet_pton(AF_INET6, target, icmp + 8);
    if (slla) {
        icmp[24] = 1, icmp[25] = 1;
        memcpy(icmp + 26, HOST, 6);
    }
    put16(icmp + 2, 0xffff & ~icmp6_sum(ip, icmp, plen));
    return n + 40 + plen;
}

static size_t ipv4_udp(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
                       const char *src, const char *dst, bool vlan)
{
    size_t n = eth(f, dmac, smac, vlan ? 0x8100 : 0x0800);
    if (vlan) {
        put16(f + 14, 5), put16(f + 16, 0x0800);
        n = 18;
    }
    uint8_t *ip = f + n;
    memset(ip, 0, 28);
    ip[0] = 0x45, put16(ip + 2, 28), ip[8] = 64, ip[9] = 17;
    inet_pton(AF_INET, src, ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    return n + 28;
}

static s46_ether *mk(bool peer)
{
    s46_ether *e = s46_ether_new(ME, 7, peer ? PEER : NULL);
    uint8_t a4[4], a6[16];
    inet_pton(AF_INET, "10.0.0.2", a4);
    inet_pton(AF_INET6, "fd00::2", a6);
    if (e) {
        s46_ether_own(e, AF_INET, a4);
        s46_ether_own(e, AF_INET6, a6);
    }
    return e;
}

static s46_ether_class classify(s46_ether *e, uint8_t *f, size_t len, size_t cap,
                                uint32_t *off, uint32_t *n)
{
    *off = *n = 12345;
    return s46_ether_rx(e, f, (uint32_t)len, (uint32_t)cap, off, n);
}

TEST(arp_reply_bytes)
{
    s46_ether *e = mk(false);
    uint8_t f[128];
    size_t n = arp_request(f, "10.0.0.1", "10.0.0.2");
    uint32_t off, len;
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_ARP_REPLY);
    CHECK_INT(off, 0);
    CHECK_INT(len, 42);
    static const uint8_t want[42] = {
        0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06,   /* Ethernet */
        0, 1, 0x08, 0, 6, 4, 0, 2,                                     /* reply */
        0x02, 0, 0, 0, 0, 0x02, 10, 0, 0, 2,                           /* us */
        0x02, 0, 0, 0, 0, 0x01, 10, 0, 0, 1};                          /* asker */
    CHECK(!memcmp(f, want, 42));
    uint8_t mac[6], a[4] = {10, 0, 0, 1};
    CHECK_INT(s46_ether_lookup(e, AF_INET, a, mac), 0); /* learnt from the request */
    CHECK(!memcmp(mac, HOST, 6));
    s46_ether_free(e);
}

TEST(arp_ignored)
{
    s46_ether *e = mk(false);
    uint8_t f[128];
    uint32_t off, len;
    size_t n = arp_request(f, "10.0.0.1", "10.0.0.9"); /* not ours */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = arp_request(f, "10.0.0.1", "10.0.0.2");
    put16(f + 14 + 6, 2); /* a reply: learnt, not answered */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = arp_request(f, "10.0.0.1", "10.0.0.2");
    f[0] = 0x02; /* unicast to another host */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = arp_request(f, "10.0.0.1", "10.0.0.2");
    f[14 + 5] = 16; /* not IPv4 over Ethernet */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    s46_ether_free(e);
}

static void check_na(int *t_failed_, const uint8_t *f, uint32_t len, const uint8_t dmac[6],
                     const char *dst, uint8_t flags)
{
    CHECK_INT(len, 86);
    CHECK(!memcmp(f, dmac, 6));
    CHECK(!memcmp(f + 6, ME, 6));
    CHECK_INT(f[12] << 8 | f[13], 0x86dd);
    const uint8_t *ip = f + 14, *icmp = ip + 40;
    uint8_t a[16];
    CHECK_INT(ip[0], 0x60);
    CHECK_INT(ip[4] << 8 | ip[5], 32);
    CHECK_INT(ip[6], 58);
    CHECK_INT(ip[7], 255);
    inet_pton(AF_INET6, "fd00::2", a);
    CHECK(!memcmp(ip + 8, a, 16));
    CHECK(!memcmp(icmp + 8, a, 16));
    inet_pton(AF_INET6, dst, a);
    CHECK(!memcmp(ip + 24, a, 16));
    CHECK_INT(icmp[0], 136);
    CHECK_INT(icmp[1], 0);
    CHECK_INT(icmp[4], flags);
    CHECK(!icmp[5] && !icmp[6] && !icmp[7]);
    CHECK_INT(icmp[24], 2);
    CHECK_INT(icmp[25], 1);
    CHECK(!memcmp(icmp + 26, ME, 6));
    CHECK_INT(icmp6_sum(ip, icmp, 32), 0xffff);
}

TEST(na_to_solicited_node)
{
    s46_ether *e = mk(false);
    uint8_t f[128];
    static const uint8_t sn[6] = {0x33, 0x33, 0xff, 0, 0, 2};
    size_t n = ns(f, sn, "fd00::1", "ff02::1:ff00:2", "fd00::2", true, 255);
    uint32_t off, len;
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_NA);
    CHECK_INT(off, 0);
    check_na(t_failed_, f, len, HOST, "fd00::1", 0xe0);
    if (*t_failed_)
        return;
    uint8_t mac[6], a[16];
    inet_pton(AF_INET6, "fd00::1", a);
    CHECK_INT(s46_ether_lookup(e, AF_INET6, a, mac), 0);
    CHECK(!memcmp(mac, HOST, 6));
    s46_ether_free(e);
}

TEST(na_unicast_and_dad)
{
    s46_ether *e = mk(false);
    uint8_t f[128];
    uint32_t off, len;
    /* unicast NUD probe without source link-layer option */
    size_t n = ns(f, ME, "fd00::1", "fd00::2", "fd00::2", false, 255);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_NA);
    check_na(t_failed_, f, len, HOST, "fd00::1", 0xe0);
    if (*t_failed_)
        return;
    /* DAD: from ::, answered to all nodes, not Solicited */
    static const uint8_t sn[6] = {0x33, 0x33, 0xff, 0, 0, 2};
    static const uint8_t all[6] = {0x33, 0x33, 0, 0, 0, 1};
    n = ns(f, sn, "::", "ff02::1:ff00:2", "fd00::2", false, 255);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_NA);
    check_na(t_failed_, f, len, all, "ff02::1", 0xa0);
    if (*t_failed_)
        return;
    /* the NA does not fit the caller's buffer: not answered */
    n = ns(f, ME, "fd00::1", "fd00::2", "fd00::2", false, 255);
    CHECK_INT(classify(e, f, n, 85, &off, &len), S46_ETHER_IGNORE);
    s46_ether_free(e);
}

TEST(ns_ignored)
{
    s46_ether *e = mk(false);
    uint8_t f[128];
    uint32_t off, len;
    static const uint8_t sn[6] = {0x33, 0x33, 0xff, 0, 0, 2};
    size_t n = ns(f, sn, "fd00::1", "ff02::1:ff00:2", "fd00::2", true, 64); /* hop limit */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = ns(f, sn, "fd00::1", "ff02::1:ff00:2", "fd00::2", true, 255);
    f[14 + 40 + 2] ^= 1; /* checksum */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    static const uint8_t sn9[6] = {0x33, 0x33, 0xff, 0, 0, 9};
    n = ns(f, sn9, "fd00::1", "ff02::1:ff00:9", "fd00::9", true, 255); /* not ours */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = ns(f, sn9, "fd00::1", "ff02::1:ff00:9", "fd00::2", true, 255); /* wrong group */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = ns(f, sn, "::", "ff02::1:ff00:2", "fd00::2", true, 255); /* DAD with SLLA */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = ns(f, sn, "fd00::1", "ff02::1:ff00:2", "fd00::2", true, 255);
    f[14 + 40 + 25] = 0; /* option of length 0 */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    s46_ether_free(e);
}

TEST(ip_frames)
{
    s46_ether *e = mk(false);
    uint8_t f[128];
    uint32_t off, len;
    size_t n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", false);
    memset(f + n, 0, 60 - n); /* padded to the Ethernet minimum */
    CHECK_INT(classify(e, f, 60, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(off, 14);
    CHECK_INT(len, 28);
    n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", true);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(off, 18);
    CHECK_INT(len, 28);
    CHECK_INT(f[off], 0x45);
    static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x44};
    static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    n = ipv4_udp(f, other, HOST, "10.0.0.1", "10.0.0.2", false);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = ipv4_udp(f, bc, HOST, "10.0.0.1", "10.0.0.2", false);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", false);
    put16(f + 12, 0x88b5); /* not IP */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", false);
    f[14] = 0x65; /* version 6 in an IPv4 frame */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IGNORE);
    /* IPv6 to us */
    n = eth(f, ME, HOST, 0x86dd);
    memset(f + n, 0, 48);
    f[n] = 0x60, put16(f + n + 4, 8), f[n + 6] = 17, f[n + 7] = 64;
    inet_pton(AF_INET6, "fd00::1", f + n + 8);
    inet_pton(AF_INET6, "fd00::2", f + n + 24);
    CHECK_INT(classify(e, f, n + 48 + 6, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(off, 14);
    CHECK_INT(len, 48);
    s46_ether_free(e);
}

/* A port with VLAN 5: tagged 5 in the frame or beside it is taken, the
 * rest is OTHER_VLAN; a reply to a request whose tag came beside carries
 * the tag; what it sends is tagged. */
TEST(vlan_port)
{
    s46_ether *e = mk(true);
    s46_ether_set_vlan(e, 5);
    CHECK_INT(s46_ether_vlan(e), 5);
    CHECK_INT(s46_ether_hlen(e), 18);
    uint8_t f[128];
    uint32_t off, len;
    size_t n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", true); /* VID 5 */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(off, 18);
    CHECK_INT(len, 28);
    put16(f + 14, 0x2006); /* priority 1, VID 6 */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_OTHER_VLAN);
    put16(f + 14, 0x2005); /* priority 1, VID 5 */
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IP);
    n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", false);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_OTHER_VLAN);
    CHECK_INT(s46_ether_rx_tagged(e, f, (uint32_t)n, sizeof f, 0x6005, &off, &len), S46_ETHER_IP);
    CHECK_INT(off, 14);
    CHECK_INT(s46_ether_rx_tagged(e, f, (uint32_t)n, sizeof f, 6, &off, &len),
              S46_ETHER_OTHER_VLAN);
    n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", true);
    CHECK_INT(s46_ether_rx_tagged(e, f, (uint32_t)n, sizeof f, 5, &off, &len),
              S46_ETHER_OTHER_VLAN); /* two tags */
    n = arp_request(f, "10.0.0.1", "10.0.0.2");
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_OTHER_VLAN);
    CHECK_INT(s46_ether_rx_tagged(e, f, (uint32_t)n, sizeof f, 5, &off, &len),
              S46_ETHER_ARP_REPLY);
    CHECK_INT(len, 46);
    static const uint8_t tag[6] = {0x81, 0x00, 0x00, 0x05, 0x08, 0x06};
    CHECK(!memcmp(f, HOST, 6) && !memcmp(f + 6, ME, 6) && !memcmp(f + 12, tag, 6));
    CHECK(f[18 + 7] == 2 && !memcmp(f + 18 + 8, ME, 6)); /* the reply after the tag */
    n = arp_request(f, "10.0.0.1", "10.0.0.2");
    CHECK_INT(s46_ether_rx_tagged(e, f, (uint32_t)n, (uint32_t)n + 3, 5, &off, &len),
              S46_ETHER_IGNORE); /* no room for the tag */
    static uint8_t buf[S46_PKT_BUFSIZE];
    s46_pkt p;
    s46_pkt_init(&p, buf);
    s46_pkt_reset(&p);
    p.len = 28;
    memset(p.data, 0, 28);
    p.data[0] = 0x45;
    CHECK_INT(s46_ether_push(e, &p), 0);
    CHECK_INT(p.len, 46);
    static const uint8_t tag4[6] = {0x81, 0x00, 0x00, 0x05, 0x08, 0x00};
    CHECK(!memcmp(p.data, PEER, 6) && !memcmp(p.data + 12, tag4, 6) && p.data[18] == 0x45);
    s46_ether_free(e);
    /* without a VLAN: a tag beside is not looked at, nothing is tagged */
    e = mk(false);
    n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", false);
    CHECK_INT(s46_ether_rx_tagged(e, f, (uint32_t)n, sizeof f, 7, &off, &len), S46_ETHER_IP);
    CHECK_INT(s46_ether_hlen(e), 14);
    s46_ether_free(e);
}

TEST(truncated_frames)
{
    s46_ether *e = mk(false);
    uint8_t f[128];
    static const uint8_t sn[6] = {0x33, 0x33, 0xff, 0, 0, 2};
    size_t sizes[5];
    uint8_t frames[5][128];
    sizes[0] = arp_request(frames[0], "10.0.0.1", "10.0.0.2");
    sizes[1] = ns(frames[1], sn, "fd00::1", "ff02::1:ff00:2", "fd00::2", true, 255);
    sizes[2] = ipv4_udp(frames[2], ME, HOST, "10.0.0.1", "10.0.0.2", true);
    sizes[3] = ns(frames[3], ME, "fd00::1", "fd00::2", "fd00::2", false, 255);
    sizes[4] = ipv4_udp(frames[4], ME, HOST, "10.0.0.1", "10.0.0.2", false);
    (void)f;
    for (int k = 0; k < 5; k++) {
        for (size_t n = 0; n < sizes[k]; n++) {
            uint8_t *b = malloc(n ? n : 1);
            CHECK(b);
            memcpy(b, frames[k], n);
            uint32_t off, len;
            s46_ether_class c = classify(e, b, n, n, &off, &len);
            free(b);
            /* only prefixes holding a whole IP header (the IPv4 frames',
             * the unicast NS's, which then goes to the data plane as a
             * short IPv6 packet) are IP */
            uint32_t need = k == 2 ? 38 : k == 4 ? 34 : k == 3 ? 54 : ~0u;
            if (c != S46_ETHER_IGNORE)
                CHECK(c == S46_ETHER_IP && n >= need && off + len <= n);
        }
    }
    s46_ether_free(e);
}

static int hdr_for(s46_ether *e, const char *dst, uint8_t hdr[14])
{
    uint8_t ip[40];
    memset(ip, 0, sizeof ip);
    memset(hdr, 0xee, 14);
    if (strchr(dst, ':')) {
        ip[0] = 0x60;
        inet_pton(AF_INET6, dst, ip + 24);
    } else {
        ip[0] = 0x45;
        inet_pton(AF_INET, dst, ip + 16);
    }
    return s46_ether_header(e, hdr, ip, 40);
}

TEST(next_hop_choice)
{
    s46_ether *e = mk(false);
    uint8_t f[128], h[14];
    uint32_t off, len;
    CHECK_INT(hdr_for(e, "10.0.0.1", h), -1); /* nothing known */
    size_t n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", false);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(hdr_for(e, "10.0.0.1", h), 0);
    CHECK(!memcmp(h, HOST, 6) && !memcmp(h + 6, ME, 6) && h[12] == 8 && h[13] == 0);
    n = ipv4_udp(f, ME, HOST3, "10.0.0.3", "10.0.0.2", false);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(hdr_for(e, "10.0.0.1", h), 0); /* its neighbour entry */
    CHECK(!memcmp(h, HOST, 6));
    CHECK_INT(hdr_for(e, "192.0.2.9", h), 0); /* unknown: the last sender */
    CHECK(!memcmp(h, HOST3, 6));
    CHECK_INT(hdr_for(e, "fd00::1", h), 0);
    CHECK(!memcmp(h, HOST3, 6) && h[12] == 0x86 && h[13] == 0xdd);
    CHECK_INT(hdr_for(e, "ff02::1:ff00:7", h), 0);
    static const uint8_t m6[6] = {0x33, 0x33, 0xff, 0, 0, 7};
    CHECK(!memcmp(h, m6, 6));
    CHECK_INT(hdr_for(e, "224.1.2.3", h), 0);
    static const uint8_t m4[6] = {0x01, 0, 0x5e, 1, 2, 3};
    CHECK(!memcmp(h, m4, 6));
    /* a neighbour that moves to another MAC */
    n = ipv4_udp(f, ME, HOST3, "10.0.0.1", "10.0.0.2", false);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(hdr_for(e, "10.0.0.1", h), 0);
    CHECK(!memcmp(h, HOST3, 6));
    s46_ether_free(e);

    e = mk(true); /* fixed peer: before the last sender, after neighbours */
    CHECK_INT(hdr_for(e, "10.0.0.1", h), 0);
    CHECK(!memcmp(h, PEER, 6));
    n = ipv4_udp(f, ME, HOST, "10.0.0.1", "10.0.0.2", false);
    CHECK_INT(classify(e, f, n, sizeof f, &off, &len), S46_ETHER_IP);
    CHECK_INT(hdr_for(e, "10.0.0.1", h), 0);
    CHECK(!memcmp(h, HOST, 6));
    CHECK_INT(hdr_for(e, "10.0.0.5", h), 0);
    CHECK(!memcmp(h, PEER, 6));
    uint8_t junk[40] = {0x15};
    CHECK_INT(s46_ether_header(e, h, junk, 40), -1); /* not IP */
    s46_ether_free(e);
}

TEST(push_into_headroom)
{
    s46_ether *e = mk(true);
    static uint8_t buf[S46_PKT_BUFSIZE];
    s46_pkt p;
    s46_pkt_init(&p, buf);
    s46_pkt_reset(&p);
    p.len = 28;
    memset(p.data, 0, 28);
    p.data[0] = 0x45;
    CHECK_INT(s46_ether_push(e, &p), 0);
    CHECK_INT(p.len, 42);
    CHECK_INT(s46_pkt_headroom(&p), S46_PKT_HEADROOM - 14);
    CHECK(!memcmp(p.data, PEER, 6) && p.data[14] == 0x45);
    p.data = buf + 10;
    p.len = 28;
    p.data[0] = 0x45;
    CHECK_INT(s46_ether_push(e, &p), -1); /* no headroom */
    CHECK(p.data == buf + 10 && p.len == 28);
    s46_ether_free(e);
}

TEST(own_table)
{
    s46_ether *e = s46_ether_new(ME, 1, NULL);
    uint8_t a[16] = {0};
    for (int i = 0; i < S46_ETHER_OWN_MAX; i++) {
        a[3] = (uint8_t)i;
        CHECK_INT(s46_ether_own(e, AF_INET, a), 0);
        CHECK_INT(s46_ether_own(e, AF_INET6, a), 0);
    }
    CHECK_INT(s46_ether_own(e, AF_INET, a), 0); /* already there */
    a[3] = 99;
    CHECK_INT(s46_ether_own(e, AF_INET, a), -1);
    CHECK_INT(s46_ether_own(e, AF_INET6, a), -1);
    CHECK_INT(s46_ether_own(e, AF_UNIX, a), -1);
    s46_ether_free(e);
}

/* Writers learn address i -> a MAC derived from i (two MACs in turn),
 * readers check that whatever they find belongs to the address. */
static s46_ether *shared_e;
static volatile int stop_flag;
static int bad_reads;

static void mac_of(uint32_t i, int turn, uint8_t m[6])
{
    m[0] = 0x02, m[1] = (uint8_t)turn, m[2] = (uint8_t)(i >> 24), m[3] = (uint8_t)(i >> 16);
    m[4] = (uint8_t)(i >> 8), m[5] = (uint8_t)i;
}

static void *writer(void *arg)
{
    uint8_t f[64];
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int round = 0; round < 40; round++) {
        for (uint32_t i = 0; i < 4096; i++) {
            uint32_t a = (i * 2654435761u + seed) % 4096;
            uint8_t m[6];
            mac_of(a, round & 1, m);
            size_t n = ipv4_udp(f, ME, m, "10.0.0.1", "10.0.0.2", false);
            uint8_t addr[4] = {10, 1, (uint8_t)(a >> 8), (uint8_t)a};
            memcpy(f + 14 + 12, addr, 4);
            uint32_t off, len;
            s46_ether_rx(shared_e, f, (uint32_t)n, sizeof f, &off, &len);
        }
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
        for (uint32_t a = 0; a < 4096; a++) {
            uint8_t addr[4] = {10, 1, (uint8_t)(a >> 8), (uint8_t)a}, m[6], w0[6], w1[6];
            if (s46_ether_lookup(shared_e, AF_INET, addr, m) == 0) {
                mac_of(a, 0, w0);
                mac_of(a, 1, w1);
                if (memcmp(m, w0, 6) && memcmp(m, w1, 6))
                    __atomic_add_fetch(&bad_reads, 1, __ATOMIC_RELAXED);
            }
        }
    }
    return NULL;
}

TEST(learning_concurrent)
{
    shared_e = s46_ether_new(ME, 1, NULL);
    pthread_t w[2], r[2];
    for (int i = 0; i < 2; i++) {
        pthread_create(&w[i], NULL, writer, (void *)(uintptr_t)(i * 7));
        pthread_create(&r[i], NULL, reader, NULL);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++)
        pthread_join(r[i], NULL);
    CHECK_INT(bad_reads, 0);
    int found = 0;
    for (uint32_t a = 0; a < 4096; a++) {
        uint8_t addr[4] = {10, 1, (uint8_t)(a >> 8), (uint8_t)a}, m[6];
        found += s46_ether_lookup(shared_e, AF_INET, addr, m) == 0;
    }
    /* 4096 keys in 2048 buckets of 4: those of the ~5 % of buckets that
     * get more than 4 keys are lost (about 150) */
    CHECK(found > 3850);
    s46_ether_free(shared_e);
}

T_MAIN(T_CASE(arp_reply_bytes), T_CASE(arp_ignored), T_CASE(na_to_solicited_node),
       T_CASE(na_unicast_and_dad), T_CASE(ns_ignored), T_CASE(ip_frames), T_CASE(vlan_port),
       T_CASE(truncated_frames), T_CASE(next_hop_choice), T_CASE(push_into_headroom),
       T_CASE(own_table), T_CASE(learning_concurrent))
