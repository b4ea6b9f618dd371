#include "io/ether.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/csum.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/parse.h"

/* Learning table: NB_BUCKETS buckets of NB_WAYS entries. An entry is three
 * 64-bit words (key and value) behind a sequence counter, odd while being
 * written: a reader copies the words and retries when the counter moved; a
 * writer claims the entry by making the counter odd (compare-and-swap) and
 * gives up learning that one frame if another writer holds it. */
#define NB_BUCKETS 2048
#define NB_WAYS 4
#define NB_VALID (1ull << 63)

typedef struct nb_entry {
    uint32_t seq;
    uint32_t unused;
    uint64_t k0, k1; /* the address: IPv4 in k0's low 32 bits */
    uint64_t v;      /* NB_VALID | family tag (4 or 6) << 48 | MAC */
} nb_entry;

struct s46_ether {
    struct s46_ether *next; /* registry */
    unsigned refs;
    char ifname[IF_NAMESIZE];
    int ifindex;
    uint8_t mac[6];
    bool has_peer;
    uint8_t peer[6];
    uint16_t vlan; /* 802.1Q VID, 0: untagged */
    uint64_t last; /* NB_VALID | MAC of the last sender, 0: none (atomic) */
    pthread_mutex_t own_lock;
    uint32_t n_own4, n_own6; /* published with release after the entry */
    uint8_t own4[S46_ETHER_OWN_MAX][4];
    uint8_t own6[S46_ETHER_OWN_MAX][16];
    nb_entry nb[NB_BUCKETS * NB_WAYS];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static s46_ether *registry;

int s46_mac_parse(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                     &tail) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255)
            return -1;
        mac[i] = (uint8_t)v[i];
    }
    return 0;
}

static uint64_t mac_word(const uint8_t m[6])
{
    return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
           (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
}

static void word_mac(uint64_t w, uint8_t m[6])
{
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)(w >> (40 - 8 * i));
}

s46_ether *s46_ether_new(const uint8_t mac[6], int ifindex, const uint8_t *peer_mac)
{
    s46_ether *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    memcpy(e->mac, mac, 6);
    e->ifindex = ifindex;
    if (peer_mac) {
        e->has_peer = true;
        memcpy(e->peer, peer_mac, 6);
    }
    pthread_mutex_init(&e->own_lock, NULL);
    e->refs = 1;
    return e;
}

void s46_ether_free(s46_ether *e)
{
    if (!e)
        return;
    pthread_mutex_destroy(&e->own_lock);
    free(e);
}

void s46_ether_set_vlan(s46_ether *e, unsigned vlan) { e->vlan = (uint16_t)(vlan & 0xfff); }
unsigned s46_ether_vlan(const s46_ether *e) { return e->vlan; }
uint32_t s46_ether_hlen(const s46_ether *e) { return e->vlan ? S46_ETHER_HLEN_MAX : S46_ETHER_HLEN; }
const uint8_t *s46_ether_mac(const s46_ether *e) { return e->mac; }
int s46_ether_ifindex(const s46_ether *e) { return e->ifindex; }
const char *s46_ether_ifname(const s46_ether *e) { return e->ifname; }

s46_ether *s46_ether_get(const char *ifname, const char *peer_mac, unsigned vlan, char *err,
                         size_t errlen)
{
    uint8_t peer[6];
    if (vlan > 4094) {
        s46_seterr(err, errlen, "%s: VLAN %u is not 0..4094", ifname, vlan);
        return NULL;
    }
    if (strlen(ifname) >= IF_NAMESIZE) {
        s46_seterr(err, errlen, "interface name '%s' too long", ifname);
        return NULL;
    }
    if (peer_mac && s46_mac_parse(peer_mac, peer) < 0) {
        s46_seterr(err, errlen, "'%s' is not a MAC address", peer_mac);
        return NULL;
    }
    pthread_mutex_lock(&registry_lock);
    s46_ether *e;
    for (e = registry; e; e = e->next)
        if (!strcmp(e->ifname, ifname))
            break;
    if (e) {
        if (peer_mac ? !e->has_peer || memcmp(e->peer, peer, 6) : e->has_peer) {
            s46_seterr(err, errlen, "%s: opened before with another peer MAC", ifname);
            e = NULL;
        } else if (e->vlan != vlan) {
            s46_seterr(err, errlen, "%s: opened before with another VLAN", ifname);
            e = NULL;
        } else {
            e->refs++;
        }
        pthread_mutex_unlock(&registry_lock);
        return e;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, ifname);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int ifindex = -1;
    if (s < 0) {
        s46_seterr(err, errlen, "socket: %s", strerror(errno));
    } else if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
        s46_seterr(err, errlen, "%s: %s", ifname, strerror(errno));
    } else {
        ifindex = ifr.ifr_ifindex;
        if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
            s46_seterr(err, errlen, "%s: no hardware address: %s", ifname, strerror(errno));
            ifindex = -1;
        } else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
            s46_seterr(err, errlen, "%s is not an Ethernet interface", ifname);
            ifindex = -1;
        }
    }
    if (s >= 0)
        close(s);
    if (ifindex < 0) {
        pthread_mutex_unlock(&registry_lock);
        return NULL;
    }
    e = s46_ether_new((const uint8_t *)ifr.ifr_hwaddr.sa_data, ifindex, peer_mac ? peer : NULL);
    if (!e) {
        s46_seterr(err, errlen, "out of memory");
    } else {
        strcpy(e->ifname, ifname);
        e->vlan = (uint16_t)vlan;
        e->next = registry;
        registry = e;
    }
    pthread_mutex_unlock(&registry_lock);
    return e;
}

void s46_ether_put(s46_ether *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&registry_lock);
    if (--e->refs == 0) {
        for (s46_ether **pp = &registry; *pp; pp = &(*pp)->next) {
            if (*pp == e) {
                *pp = e->next;
                break;
            }
        }
    } else {
        e = NULL;
    }
    pthread_mutex_unlock(&registry_lock);
    s46_ether_free(e);
}

int s46_ether_own(s46_ether *e, int family, const void *addr)
{
    int r = -1;
    pthread_mutex_lock(&e->own_lock);
    if (family == AF_INET) {
        uint32_t n = e->n_own4;
        r = 0;
        for (uint32_t i = 0; i < n; i++)
            if (!memcmp(e->own4[i], addr, 4))
                goto out;
        if (n == S46_ETHER_OWN_MAX) {
            r = -1;
            goto out;
        }
        memcpy(e->own4[n], addr, 4);
        __atomic_store_n(&e->n_own4, n + 1, __ATOMIC_RELEASE);
    } else if (family == AF_INET6) {
        uint32_t n = e->n_own6;
        r = 0;
        for (uint32_t i = 0; i < n; i++)
            if (!memcmp(e->own6[i], addr, 16))
                goto out;
        if (n == S46_ETHER_OWN_MAX) {
            r = -1;
            goto out;
        }
        memcpy(e->own6[n], addr, 16);
        __atomic_store_n(&e->n_own6, n + 1, __ATOMIC_RELEASE);
    }
out:
    pthread_mutex_unlock(&e->own_lock);
    return r;
}

static bool owns4(s46_ether *e, const uint8_t *a)
{
    uint32_t n = __atomic_load_n(&e->n_own4, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (!memcmp(e->own4[i], a, 4))
            return true;
    return false;
}

static bool owns6(s46_ether *e, const uint8_t *a)
{
    uint32_t n = __atomic_load_n(&e->n_own6, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (!memcmp(e->own6[i], a, 16))
            return true;
    return false;
}

/* ---- learning table ---- */

static void nb_key(int fam, const uint8_t *a, uint64_t *k0, uint64_t *k1)
{
    if (fam == 4) {
        *k0 = s46_get32(a);
        *k1 = 0;
    } else {
        *k0 = (uint64_t)s46_get32(a) << 32 | s46_get32(a + 4);
        *k1 = (uint64_t)s46_get32(a + 8) << 32 | s46_get32(a + 12);
    }
}

static nb_entry *nb_bucket(s46_ether *e, int fam, uint64_t k0, uint64_t k1)
{
    uint64_t h = s46_mix64(k0 ^ s46_mix64(k1 + (uint64_t)fam));
    return &e->nb[(h & (NB_BUCKETS - 1)) * NB_WAYS];
}

/* A consistent copy of one entry; false when it stayed busy. */
static bool nb_read(nb_entry *x, uint32_t *seq, uint64_t *k0, uint64_t *k1, uint64_t *v)
{
    for (int tries = 0; tries < 4; tries++) {
        uint32_t s1 = __atomic_load_n(&x->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1)
            continue;
        *k0 = __atomic_load_n(&x->k0, __ATOMIC_RELAXED);
        *k1 = __atomic_load_n(&x->k1, __ATOMIC_RELAXED);
        *v = __atomic_load_n(&x->v, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&x->seq, __ATOMIC_RELAXED) == s1) {
            *seq = s1;
            return true;
        }
    }
    return false;
}

static void nb_write(nb_entry *x, uint32_t seq, uint64_t k0, uint64_t k1, uint64_t v)
{
    if (!__atomic_compare_exchange_n(&x->seq, &seq, seq + 1, false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return; /* another queue is writing it: learn next time */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&x->k0, k0, __ATOMIC_RELAXED);
    __atomic_store_n(&x->k1, k1, __ATOMIC_RELAXED);
    __atomic_store_n(&x->v, v, __ATOMIC_RELAXED);
    __atomic_store_n(&x->seq, seq + 2, __ATOMIC_RELEASE);
}

static void learn(s46_ether *e, int fam, const uint8_t *addr, const uint8_t mac[6])
{
    uint64_t k0, k1, want = NB_VALID | (uint64_t)fam << 48 | mac_word(mac);
    nb_key(fam, addr, &k0, &k1);
    nb_entry *b = nb_bucket(e, fam, k0, k1);
    int victim = -1;
    uint32_t vseq = 0;
    for (int w = 0; w < NB_WAYS; w++) {
        uint32_t s;
        uint64_t a0, a1, v;
        if (!nb_read(&b[w], &s, &a0, &a1, &v))
            continue;
        if ((v & NB_VALID) && a0 == k0 && a1 == k1 && (int)(v >> 48 & 0xff) == fam) {
            if (v != want)
                nb_write(&b[w], s, k0, k1, want);
            return;
        }
        if (victim < 0 && !(v & NB_VALID)) {
            victim = w;
            vseq = s;
        }
    }
    if (victim < 0) { /* bucket full: replace one chosen by the key */
        victim = (int)((k0 ^ k1 ^ mac_word(mac)) % NB_WAYS);
        uint64_t a0, a1, v;
        if (!nb_read(&b[victim], &vseq, &a0, &a1, &v))
            return;
    }
    nb_write(&b[victim], vseq, k0, k1, want);
}

static bool lookup(s46_ether *e, int fam, const uint8_t *addr, uint8_t mac[6])
{
    uint64_t k0, k1;
    nb_key(fam, addr, &k0, &k1);
    nb_entry *b = nb_bucket(e, fam, k0, k1);
    for (int w = 0; w < NB_WAYS; w++) {
        uint32_t s;
        uint64_t a0, a1, v;
        if (nb_read(&b[w], &s, &a0, &a1, &v) && (v & NB_VALID) && a0 == k0 && a1 == k1 &&
            (int)(v >> 48 & 0xff) == fam) {
            word_mac(v, mac);
            return true;
        }
    }
    return false;
}

int s46_ether_lookup(s46_ether *e, int family, const void *addr, uint8_t mac[6])
{
    int fam = family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0;
    return fam && lookup(e, fam, addr, mac) ? 0 : -1;
}

static void saw_sender(s46_ether *e, const uint8_t mac[6])
{
    uint64_t w = NB_VALID | mac_word(mac);
    if (__atomic_load_n(&e->last, __ATOMIC_RELAXED) != w)
        __atomic_store_n(&e->last, w, __ATOMIC_RELAXED);
}

/* ---- rx ---- */

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static bool zero(const uint8_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i])
            return false;
    return true;
}

/* An ARP packet at arp (len bytes available). */
static s46_ether_class rx_arp(s46_ether *e, uint8_t *frame, uint32_t l2, uint32_t len,
                              bool to_us, uint32_t *off, uint32_t *len_out)
{
    uint8_t *arp = frame + l2;
    if (len < l2 + 28 || s46_get16(arp) != 1 || s46_get16(arp + 2) != 0x0800 || arp[4] != 6 ||
        arp[5] != 4)
        return S46_ETHER_IGNORE;
    uint16_t op = s46_get16(arp + 6);
    const uint8_t *sha = arp + 8, *spa = arp + 14, *tpa = arp + 24;
    if (sha[0] & 1)
        return S46_ETHER_IGNORE;
    if (!zero(spa, 4)) {
        learn(e, 4, spa, sha);
        if (to_us)
            saw_sender(e, sha);
    }
    if (op != 1 || !owns4(e, tpa))
        return S46_ETHER_IGNORE;
    uint8_t req_mac[6], req_ip[4], me_ip[4];
    memcpy(req_mac, sha, 6);
    memcpy(req_ip, spa, 4);
    memcpy(me_ip, tpa, 4);
    memcpy(frame, frame + 6, 6); /* to the requester's link address */
    memcpy(frame + 6, e->mac, 6);
    s46_put16(arp + 6, 2);
    memcpy(arp + 8, e->mac, 6);
    memcpy(arp + 14, me_ip, 4);
    memcpy(arp + 18, req_mac, 6);
    memcpy(arp + 24, req_ip, 4);
    *off = 0;
    *len_out = l2 + 28;
    return S46_ETHER_ARP_REPLY;
}

/* A Neighbor Solicitation (RFC 4861 4.3, checked as 7.1.1 says) for one of
 * our addresses -> Neighbor Advertisement (7.2.4) in place. */
static s46_ether_class rx_ns(s46_ether *e, uint8_t *frame, uint32_t l2, uint32_t len,
                             uint32_t cap, bool to_us, uint32_t *off, uint32_t *len_out)
{
    uint8_t *ip = frame + l2, *icmp = ip + 40;
    uint32_t plen = s46_get16(ip + 4);
    if (ip[7] != 255 || plen < 24 || l2 + 40 + plen > len || icmp[1] != 0)
        return S46_ETHER_IGNORE;
    const uint8_t *src = ip + 8, *dst = ip + 24, *tgt = icmp + 8;
    if (tgt[0] == 0xff || !owns6(e, tgt))
        return S46_ETHER_IGNORE;
    if (s46_csum_fold(s46_csum_add(s46_csum_pseudo6(src, dst, S46_PROTO_ICMPV6, plen), icmp,
                                   plen)) != 0)
        return S46_ETHER_IGNORE;
    static const uint8_t solnode[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
    bool to_solnode = !memcmp(dst, solnode, 13) && !memcmp(dst + 13, tgt + 13, 3);
    if (to_us ? !to_solnode && memcmp(dst, tgt, 16)
              : !to_solnode || frame[0] != 0x33 || frame[1] != 0x33 || frame[2] != 0xff ||
                    memcmp(frame + 3, tgt + 13, 3))
        return S46_ETHER_IGNORE;
    const uint8_t *slla = NULL;
    for (uint32_t o = 24; o < plen;) {
        if (o + 2 > plen || icmp[o + 1] == 0 || o + 8u * icmp[o + 1] > plen)
            return S46_ETHER_IGNORE;
        if (icmp[o] == 1 && icmp[o + 1] == 1)
            slla = icmp + o + 2;
        o += 8u * icmp[o + 1];
    }
    bool dad = zero(src, 16);
    if ((dad && (slla || !to_solnode)) || (slla && (slla[0] & 1)) || cap < l2 + 72)
        return S46_ETHER_IGNORE;
    uint8_t to_mac[6], to_ip[16], me[16];
    static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
    memcpy(me, tgt, 16);
    if (dad) {
        memcpy(to_mac, all_nodes_mac, 6);
        memcpy(to_ip, all_nodes, 16);
    } else {
        memcpy(to_mac, slla ? slla : frame + 6, 6);
        memcpy(to_ip, src, 16);
        learn(e, 6, src, to_mac);
    }
    memcpy(frame, to_mac, 6);
    memcpy(frame + 6, e->mac, 6);
    ip[0] = 0x60, ip[1] = 0, ip[2] = 0, ip[3] = 0;
    s46_put16(ip + 4, 32);
    ip[6] = S46_PROTO_ICMPV6;
    ip[7] = 255;
    memcpy(ip + 8, me, 16);
    memcpy(ip + 24, to_ip, 16);
    memset(icmp, 0, 32);
    icmp[0] = 136;
    /* Router (every s46 data plane forwards: a host must not drop it from
     * its default routers, RFC 4861 7.2.5), Solicited (not for DAD),
     * Override */
    icmp[4] = dad ? 0xa0 : 0xe0;
    memcpy(icmp + 8, me, 16);
    icmp[24] = 2; /* target link-layer address */
    icmp[25] = 1;
    memcpy(icmp + 26, e->mac, 6);
    s46_put16(icmp + 2, s46_csum_fold(s46_csum_add(
                            s46_csum_pseudo6(me, to_ip, S46_PROTO_ICMPV6, 32), icmp, 32)));
    *off = 0;
    *len_out = l2 + 72;
    return S46_ETHER_NA;
}

static s46_ether_class rx_frame(s46_ether *e, uint8_t *frame, uint32_t len, uint32_t cap,
                                int tci, uint32_t *off, uint32_t *len_out);

s46_ether_class s46_ether_rx(s46_ether *e, uint8_t *frame, uint32_t len, uint32_t cap,
                             uint32_t *off, uint32_t *len_out)
{
    return rx_frame(e, frame, len, cap, S46_ETHER_NO_TAG, off, len_out);
}

s46_ether_class s46_ether_rx_tagged(s46_ether *e, uint8_t *frame, uint32_t len, uint32_t cap,
                                    int tci, uint32_t *off, uint32_t *len_out)
{
    s46_ether_class c = rx_frame(e, frame, len, cap, tci, off, len_out);
    if ((c == S46_ETHER_ARP_REPLY || c == S46_ETHER_NA) && e->vlan && tci >= 0 &&
        s46_get16(frame + 12) != 0x8100) {
        /* the request's tag came beside the frame: the reply carries it */
        if (*len_out + 4 > cap)
            return S46_ETHER_IGNORE;
        memmove(frame + 16, frame + 12, *len_out - 12);
        s46_put16(frame + 12, 0x8100);
        s46_put16(frame + 14, e->vlan);
        *len_out += 4;
    }
    return c;
}

static s46_ether_class rx_frame(s46_ether *e, uint8_t *frame, uint32_t len, uint32_t cap,
                                int tci, uint32_t *off, uint32_t *len_out)
{
    if (len < 14 || cap < len)
        return S46_ETHER_IGNORE;
    uint32_t l2 = 14;
    uint16_t et = s46_get16(frame + 12);
    int vid = tci >= 0 ? tci & 0xfff : -1;
    if (et == 0x8100) { /* one 802.1Q tag */
        if (len < 18)
            return S46_ETHER_IGNORE;
        if (vid >= 0 && e->vlan) /* a second tag: not ours */
            return S46_ETHER_OTHER_VLAN;
        vid = s46_get16(frame + 14) & 0xfff;
        et = s46_get16(frame + 16);
        l2 = 18;
    }
    if (e->vlan && vid != e->vlan)
        return S46_ETHER_OTHER_VLAN;
    const uint8_t *src = frame + 6;
    if (src[0] & 1)
        return S46_ETHER_IGNORE;
    bool to_us = !memcmp(frame, e->mac, 6);
    uint8_t *ip = frame + l2;
    if (et == 0x0800) {
        if (!to_us || len < l2 + 20 || ip[0] >> 4 != 4)
            return S46_ETHER_IGNORE;
        uint32_t n = len - l2, tot = s46_get16(ip + 2);
        if (tot >= 20 && tot < n)
            n = tot;
        if (!zero(ip + 12, 4))
            learn(e, 4, ip + 12, src);
        saw_sender(e, src);
        *off = l2;
        *len_out = n;
        return S46_ETHER_IP;
    }
    if (et == 0x86dd) {
        if (len < l2 + 40 || ip[0] >> 4 != 6)
            return S46_ETHER_IGNORE;
        if (ip[6] == S46_PROTO_ICMPV6 && len >= l2 + 41 && ip[40] >= 133 && ip[40] <= 137) {
            /* Neighbor Discovery: answer NS for our addresses, never hand
             * ND to the data plane */
            if (ip[40] == 135 && (to_us || frame[0] == 0x33))
                return rx_ns(e, frame, l2, len, cap, to_us, off, len_out);
            return S46_ETHER_IGNORE;
        }
        if (!to_us)
            return S46_ETHER_IGNORE;
        uint32_t n = len - l2, plen = s46_get16(ip + 4);
        if (plen && plen + 40 < n)
            n = plen + 40;
        if (!zero(ip + 8, 16) && ip[8] != 0xff)
            learn(e, 6, ip + 8, src);
        saw_sender(e, src);
        *off = l2;
        *len_out = n;
        return S46_ETHER_IP;
    }
    if (et == 0x0806 && (to_us || !memcmp(frame, bcast_mac, 6)))
        return rx_arp(e, frame, l2, len, to_us, off, len_out);
    return S46_ETHER_IGNORE;
}

/* ---- tx ---- */

int s46_ether_header(s46_ether *e, uint8_t *hdr, const uint8_t *ip, uint32_t len)
{
    uint8_t mac[6];
    bool known;
    uint16_t et;
    if (len >= 20 && ip[0] >> 4 == 4) {
        const uint8_t *d = ip + 16;
        et = 0x0800;
        if ((d[0] & 0xf0) == 0xe0) { /* RFC 1112 6.4 */
            mac[0] = 0x01, mac[1] = 0x00, mac[2] = 0x5e, mac[3] = d[1] & 0x7f;
            mac[4] = d[2], mac[5] = d[3];
            known = true;
        } else if (!memcmp(d, bcast_mac, 4)) {
            memcpy(mac, bcast_mac, 6);
            known = true;
        } else {
            known = lookup(e, 4, d, mac);
        }
    } else if (len >= 40 && ip[0] >> 4 == 6) {
        const uint8_t *d = ip + 24;
        et = 0x86dd;
        if (d[0] == 0xff) { /* RFC 2464 7 */
            mac[0] = mac[1] = 0x33;
            memcpy(mac + 2, d + 12, 4);
            known = true;
        } else {
            known = lookup(e, 6, d, mac);
        }
    } else {
        return -1;
    }
    if (!known) {
        if (e->has_peer) {
            memcpy(mac, e->peer, 6);
        } else {
            uint64_t w = __atomic_load_n(&e->last, __ATOMIC_RELAXED);
            if (!w)
                return -1;
            word_mac(w, mac);
        }
    }
    memcpy(hdr, mac, 6);
    memcpy(hdr + 6, e->mac, 6);
    if (e->vlan) {
        s46_put16(hdr + 12, 0x8100);
        s46_put16(hdr + 14, e->vlan);
        hdr += 4;
    }
    s46_put16(hdr + 12, et);
    return 0;
}

int s46_ether_push(s46_ether *e, s46_pkt *p)
{
    uint32_t h = s46_ether_hlen(e);
    if (s46_pkt_headroom(p) < h || s46_ether_header(e, p->data - h, p->data, p->len) < 0)
        return -1;
    s46_pkt_push(p, h);
    return 0;
}
