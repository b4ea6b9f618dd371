/* The lw4o6 binding table (lib/bindtab.h): lookups both ways over the port
 * set shapes of RFC 7597 §5.1 (offset 0 included), single edits, bulk
 * reload, bytes per binding, reclamation after the readers left, the CSV
 * file, and a reader that never misses an unchanged binding while another
 * thread edits 100 000 others. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/bindtab.h"
#include "lib/maprule.h"
#include "t.h"

static s46_bind bind(const char *b4, uint32_t ipv4, uint16_t psid, uint8_t k, uint8_t a)
{
    s46_bind b = {.ipv4 = ipv4, .psid = psid, .psid_len = k, .psid_offset = a};
    s46_ip6_parse(b4, &b.b4);
    return b;
}

static s46_ip6 ip6(const char *s)
{
    s46_ip6 a;
    s46_ip6_parse(s, &a);
    return a;
}

/* Every port of an address with all 2^k PSIDs bound (b4 ::psid) finds the
 * PSID s46_port_psid gives, or none for excluded ports. */
static int shape_ok(unsigned k, unsigned a)
{
    s46_bindtab *t = s46_bindtab_new();
    uint32_t v4 = 0xc0000201;
    for (unsigned p = 0; p < (1u << k); p++) {
        s46_bind b = bind("2001:db8::", v4, (uint16_t)p, (uint8_t)k, (uint8_t)a);
        b.b4.b[14] = (uint8_t)(p >> 8);
        b.b4.b[15] = (uint8_t)p;
        if (s46_bindtab_add(t, &b, NULL, 0) < 0)
            return 0;
    }
    int ok = 1;
    s46_bindtab_enter(t, 0);
    for (unsigned port = 0; port < 65536 && ok; port++) {
        s46_bt_hit h;
        s46_bt_result r = s46_bindtab_lookup(t, v4, (uint16_t)port, &h);
        int want = s46_port_psid(a, k, (uint16_t)port);
        if (want < 0)
            ok = r == S46_BT_NO_BINDING;
        else
            ok = r == S46_BT_FOUND && h.psid == want && h.b4.b[15] == (uint8_t)want &&
                 h.b4.b[14] == (uint8_t)(want >> 8) && h.psid_len == k && h.psid_offset == a;
        if (!ok)
            printf("  k=%u a=%u port %u: result %d psid %u want %d\n", k, a, port, r, h.psid, want);
    }
    s46_bindtab_leave(t, 0);
    s46_bindtab_free(t);
    return ok;
}

TEST(lookup_over_port_set_shapes)
{
    /* offset 0: contiguous ranges, 0-1023 in PSID 0 */
    CHECK(shape_ok(6, 0));
    CHECK(shape_ok(6, 6));
    CHECK(shape_ok(0, 0));
    CHECK(shape_ok(16, 0));
    CHECK(shape_ok(4, 4));
    CHECK(shape_ok(10, 6));
}

TEST(offset_zero_psid_zero_owns_ports_below_1024)
{
    s46_bindtab *t = s46_bindtab_new();
    s46_bind b = bind("2001:db8:1::2", 0xc0000201, 0, 6, 0);
    CHECK(s46_bindtab_add(t, &b, NULL, 0) == 0);
    s46_bt_hit h;
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 0, &h), S46_BT_FOUND);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 80, &h), S46_BT_FOUND);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 1023, &h), S46_BT_FOUND);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 1024, &h), S46_BT_NO_BINDING);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000202, 80, &h), S46_BT_NO_ADDRESS);
    /* the example: PSID 1 of 6 bits, offset 0 = ports 1024-2047 */
    s46_bind b1 = bind("2001:db8:1::3", 0xc0000201, 1, 6, 0);
    CHECK(s46_bindtab_add(t, &b1, NULL, 0) == 0);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 1024, &h), S46_BT_FOUND);
    CHECK(s46_ip6_eq(&h.b4, &b1.b4));
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 2047, &h), S46_BT_FOUND);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 2048, &h), S46_BT_NO_BINDING);
    s46_bindtab_free(t);
}

TEST(ipv6_side_check_is_the_same_lookup)
{
    s46_bindtab *t = s46_bindtab_new();
    s46_bind b = bind("2001:db8:1::2", 0xc0000201, 1, 6, 0);
    b.aftr = 1;
    CHECK(s46_bindtab_add(t, &b, NULL, 0) == 0);
    s46_bt_hit h;
    /* inner source 192.0.2.1:1500 from 2001:db8:1::2 toward lwAFTR #1 */
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 1500, &h), S46_BT_FOUND);
    s46_ip6 b4 = ip6("2001:db8:1::2"), other = ip6("2001:db8:1::3");
    CHECK(s46_ip6_eq(&h.b4, &b4) && h.aftr == 1);
    CHECK(!s46_ip6_eq(&h.b4, &other));
    /* ports without a PSID (non-first fragments): any binding of the address */
    CHECK(s46_bindtab_addr_has(t, 0xc0000201, &b4, 1, 1024));
    CHECK(!s46_bindtab_addr_has(t, 0xc0000201, &b4, 0, 1024));
    CHECK(!s46_bindtab_addr_has(t, 0xc0000201, &other, 1, 1024));
    CHECK(!s46_bindtab_addr_has(t, 0xc0000201, &b4, 1, 16)); /* beyond the scan */
    s46_bindtab_free(t);
}

TEST(add_remove_replace)
{
    char e[200];
    s46_bindtab *t = s46_bindtab_new();
    s46_bind a = bind("2001:db8:1::2", 0xc0000201, 5, 6, 0);
    CHECK(s46_bindtab_add(t, &a, e, sizeof e) == 0);
    CHECK(s46_bindtab_add(t, &a, e, sizeof e) < 0);
    CHECK_STR(e, "192.0.2.1 psid 5: already bound");
    /* another layout for an address that has bindings */
    s46_bind c = bind("2001:db8:1::9", 0xc0000201, 6, 8, 0);
    CHECK(s46_bindtab_add(t, &c, e, sizeof e) < 0);
    CHECK_STR(e, "192.0.2.1 has bindings with psid_length 6, psid_offset 0");
    /* bad bindings */
    s46_bind bad = bind("2001:db8:1::9", 0xc0000201, 64, 6, 0);
    CHECK(s46_bindtab_add(t, &bad, e, sizeof e) < 0);
    CHECK_STR(e, "psid 64: must be below 2^psid_length (64)");
    bad = bind("2001:db8:1::9", 0xc0000201, 0, 12, 6);
    CHECK(s46_bindtab_add(t, &bad, e, sizeof e) < 0);
    /* replace: the same key, a new B4 */
    s46_bind a2 = bind("2001:db8:1::7", 0xc0000201, 5, 6, 0);
    CHECK(s46_bindtab_replace(t, &a2, e, sizeof e) == 0);
    CHECK_INT(s46_bindtab_count(t), 1);
    s46_bt_hit h;
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 5 * 1024 + 3, &h), S46_BT_FOUND);
    CHECK(s46_ip6_eq(&h.b4, &a2.b4));
    /* the only binding may change the address's layout */
    s46_bind a3 = bind("2001:db8:1::8", 0xc0000201, 5, 8, 0);
    CHECK(s46_bindtab_replace(t, &a3, e, sizeof e) == 0);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 5 * 1024 + 3, &h), S46_BT_NO_BINDING);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 5 * 256 + 3, &h), S46_BT_FOUND);
    CHECK(s46_ip6_eq(&h.b4, &a3.b4));
    /* remove */
    CHECK(s46_bindtab_remove(t, 0xc0000201, 4, e, sizeof e) < 0);
    CHECK_STR(e, "192.0.2.1 psid 4: no such binding");
    CHECK(s46_bindtab_remove(t, 0xc0000201, 5, e, sizeof e) == 0);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 5 * 256 + 3, &h), S46_BT_NO_ADDRESS);
    CHECK_INT(s46_bindtab_count(t), 0);
    CHECK_INT(s46_bindtab_addresses(t), 0);
    /* the address comes back (its slot kept) */
    CHECK(s46_bindtab_add(t, &a, e, sizeof e) == 0);
    CHECK_INT(s46_bindtab_lookup(t, 0xc0000201, 5 * 1024, &h), S46_BT_FOUND);
    CHECK_INT(s46_bindtab_retired(t), 0); /* no reader: freed at once */
    s46_bindtab_free(t);
}

TEST(many_addresses_grow_the_table)
{
    s46_bindtab *t = s46_bindtab_new();
    for (uint32_t i = 1; i <= 50000; i++) {
        s46_bind b = bind("2001:db8::", 0x0a000000 + i, 0, 0, 0);
        memcpy(b.b4.b + 12, &i, 4);
        CHECK(s46_bindtab_add(t, &b, NULL, 0) == 0);
    }
    CHECK_INT(s46_bindtab_addresses(t), 50000);
    for (uint32_t i = 1; i <= 50000; i++) {
        s46_bt_hit h;
        CHECK_INT(s46_bindtab_lookup(t, 0x0a000000 + i, (uint16_t)i, &h), S46_BT_FOUND);
        uint32_t got;
        memcpy(&got, h.b4.b + 12, 4);
        CHECK_INT(got, i);
    }
    for (uint32_t i = 1; i <= 50000; i += 2)
        CHECK(s46_bindtab_remove(t, 0x0a000000 + i, 0, NULL, 0) == 0);
    s46_bt_hit h;
    CHECK_INT(s46_bindtab_lookup(t, 0x0a000001, 0, &h), S46_BT_NO_ADDRESS);
    CHECK_INT(s46_bindtab_lookup(t, 0x0a000002, 0, &h), S46_BT_FOUND);
    s46_bindtab_free(t);
}

TEST(bulk_reload_replaces_everything_or_nothing)
{
    char e[200];
    s46_bindtab *t = s46_bindtab_new();
    size_t n = 64 * 1000;
    s46_bind *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = bind("2001:db8:2::", 0xc6120000 + (uint32_t)(i / 64), (uint16_t)(i % 64), 6, 0);
    CHECK(s46_bindtab_load(t, v, n, 1, e, sizeof e) == 0);
    CHECK_INT(s46_bindtab_count(t), n);
    CHECK_INT(s46_bindtab_addresses(t), 1000);
    double per = (double)s46_bindtab_bytes(t) / (double)n;
    printf("  bytes per binding (64 PSIDs an address, all bound): %.2f\n", per);
    CHECK(per <= 32.0);
    s46_bt_hit h;
    CHECK_INT(s46_bindtab_lookup(t, 0xc6120000 + 999, 63 * 1024, &h), S46_BT_FOUND);
    /* a bad set keeps the running table */
    v[10] = v[11];
    CHECK(s46_bindtab_load(t, v, n, 1, e, sizeof e) < 0);
    CHECK_STR(e, "binding 12: 198.18.0.0 psid 11 bound twice");
    v[10] = bind("2001:db8:2::", 0xc6120000, 10, 6, 0);
    v[20].psid_len = 5;
    v[20].psid = 1;
    CHECK(s46_bindtab_load(t, v, n, 1, e, sizeof e) < 0);
    CHECK_STR(e, "binding 21: 198.18.0.0 has bindings with psid_length 6, psid_offset 0");
    v[20] = bind("2001:db8:2::", 0xc6120000, 20, 6, 0);
    v[5].aftr = 1;
    CHECK(s46_bindtab_load(t, v, n, 1, e, sizeof e) < 0);
    CHECK_INT(s46_bindtab_count(t), n);
    /* a smaller set: the rest is gone */
    CHECK(s46_bindtab_load(t, v + n - 64, 64, 2, e, sizeof e) == 0);
    CHECK_INT(s46_bindtab_count(t), 64);
    CHECK_INT(s46_bindtab_lookup(t, 0xc6120000, 0, &h), S46_BT_NO_ADDRESS);
    CHECK_INT(s46_bindtab_lookup(t, 0xc6120000 + 999, 0, &h), S46_BT_FOUND);
    CHECK(h.aftr == 0);
    free(v);
    s46_bindtab_free(t);
}

TEST(retired_memory_waits_for_the_readers)
{
    s46_bindtab *t = s46_bindtab_new();
    s46_bind b = bind("2001:db8:1::2", 0xc0000201, 1, 6, 0);
    CHECK(s46_bindtab_add(t, &b, NULL, 0) == 0);
    s46_bindtab_enter(t, 3);
    s46_bt_hit h;
    const s46_bt_ent *en;
    uint64_t w;
    uint16_t psid;
    CHECK_INT(s46_bindtab_locate(t, 0xc0000201, 1024, &en, &w, &psid), S46_BT_FOUND);
    CHECK(s46_bindtab_remove(t, 0xc0000201, 1, NULL, 0) == 0);
    CHECK(s46_bindtab_retired(t) > 0); /* reader 3 may still read the block */
    CHECK(!s46_bindtab_read(en, w, psid, &h)); /* and sees it unbound */
    s46_bindtab_reclaim(t);
    CHECK(s46_bindtab_retired(t) > 0);
    s46_bindtab_leave(t, 3);
    s46_bindtab_reclaim(t);
    CHECK_INT(s46_bindtab_retired(t), 0);
    /* a reader entering after the retirement does not hold it back */
    CHECK(s46_bindtab_add(t, &b, NULL, 0) == 0);
    CHECK(s46_bindtab_remove(t, 0xc0000201, 1, NULL, 0) == 0);
    CHECK_INT(s46_bindtab_retired(t), 0);
    s46_bindtab_free(t);
}

TEST(csv_file)
{
    char path[] = "/tmp/s46-bindtab-XXXXXX", e[300];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# b4_ipv6,ipv4,psid,psid_length[,psid_offset[,lwaftr_ipv6]]\n"
          "2001:db8:1::2,192.0.2.1,1,6\n"
          "\n"
          " 2001:db8:1::3 , 192.0.2.1 , 2 , 6 , 0 , 2001:db8:ffff::2\n"
          "2001:db8:1::4,192.0.2.2,0,0,,\n", f);
    fclose(f);
    s46_ip6 aftrs[2] = {ip6("2001:db8:ffff::1"), ip6("2001:db8:ffff::2")};
    s46_bind *v = NULL;
    size_t n = 0;
    CHECK(s46_bind_read_csv(path, aftrs, 2, &v, &n, e, sizeof e) == 0);
    CHECK_INT(n, 3);
    CHECK(v[0].psid == 1 && v[0].psid_len == 6 && v[0].psid_offset == 0 && v[0].aftr == 0);
    CHECK(v[1].psid == 2 && v[1].aftr == 1);
    CHECK(v[2].ipv4 == 0xc0000202 && v[2].psid_len == 0);
    free(v);
    f = fopen(path, "a");
    fputs("2001:db8:1::5,192.0.2.3,1,6,0,2001:db8:ffff::9\n", f);
    fclose(f);
    CHECK(s46_bind_read_csv(path, aftrs, 2, &v, &n, e, sizeof e) < 0);
    CHECK(strstr(e, ":6: lwaftr_ipv6: not one of the lwAFTR's addresses") != NULL);
    f = fopen(path, "w");
    fputs("2001:db8:1::5,192.0.2.3,64,6\n", f);
    fclose(f);
    CHECK(s46_bind_read_csv(path, aftrs, 2, &v, &n, e, sizeof e) < 0);
    CHECK(strstr(e, ":1: psid 64: must be below 2^psid_length (64)") != NULL);
    unlink(path);
}

/* A reader thread looks up binding X (and checks its B4) as fast as it can
 * while the writer adds and removes 100 000 other bindings, some on X's own
 * address, with a bulk reload in the middle. */
struct live {
    s46_bindtab *t;
    volatile int stop;
    unsigned long lookups, misses;
};

static void *reader(void *arg)
{
    struct live *L = arg;
    s46_ip6 x = ip6("2001:db8:aaaa::1");
    while (!L->stop) {
        s46_bindtab_enter(L->t, 1);
        for (int i = 0; i < 64; i++) {
            s46_bt_hit h;
            if (s46_bindtab_lookup(L->t, 0xc0000201, 1024 * 7 + 5, &h) != S46_BT_FOUND ||
                !s46_ip6_eq(&h.b4, &x))
                L->misses++;
            L->lookups++;
        }
        s46_bindtab_leave(L->t, 1);
    }
    return NULL;
}

TEST(reader_never_misses_an_unchanged_binding_during_edits)
{
    struct live L = {.t = s46_bindtab_new()};
    s46_bind x = bind("2001:db8:aaaa::1", 0xc0000201, 7, 6, 0);
    CHECK(s46_bindtab_add(L.t, &x, NULL, 0) == 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader, &L) == 0);
    char e[200];
    unsigned edits = 0;
    for (uint32_t i = 0; i < 50000; i++) {
        /* other addresses (new slots, growth) and X's own address */
        uint32_t v4 = i % 5 ? 0x0b000000 + i : 0xc0000201;
        uint16_t psid = i % 5 ? (uint16_t)(i % 64) : (uint16_t)(8 + i % 50);
        s46_bind b = bind("2001:db8:bbbb::", v4, psid, 6, 0);
        if (s46_bindtab_replace(L.t, &b, e, sizeof e) == 0)
            edits++;
        if (i == 25000) {
            /* bulk reload: X and a few others */
            s46_bind v[3] = {x, bind("2001:db8:cccc::", 0xc0000202, 1, 6, 0),
                             bind("2001:db8:cccc::", 0xc0000201, 9, 6, 0)};
            CHECK(s46_bindtab_load(L.t, v, 3, 1, e, sizeof e) == 0);
        }
    }
    for (uint32_t i = 0; i < 50000; i++) {
        uint32_t v4 = i % 5 ? 0x0b000000 + i : 0xc0000201;
        uint16_t psid = i % 5 ? (uint16_t)(i % 64) : (uint16_t)(8 + i % 50);
        if (s46_bindtab_remove(L.t, v4, psid, NULL, 0) == 0)
            edits++;
    }
    L.stop = 1;
    pthread_join(th, NULL);
    printf("  %u edits, %lu lookups of X, %lu missed\n", edits, L.lookups, L.misses);
    CHECK(edits >= 70000); /* the first half's went in the bulk reload */
    CHECK(L.lookups > 0);
    CHECK_INT(L.misses, 0);
    s46_bt_hit h;
    CHECK_INT(s46_bindtab_lookup(L.t, 0xc0000201, 1024 * 7, &h), S46_BT_FOUND);
    s46_bindtab_reclaim(L.t);
    CHECK_INT(s46_bindtab_retired(L.t), 0);
    s46_bindtab_free(L.t);
}

T_MAIN(T_CASE(lookup_over_port_set_shapes), T_CASE(offset_zero_psid_zero_owns_ports_below_1024),
       T_CASE(ipv6_side_check_is_the_same_lookup), T_CASE(add_remove_replace),
       T_CASE(many_addresses_grow_the_table), T_CASE(bulk_reload_replaces_everything_or_nothing),
       T_CASE(retired_memory_waits_for_the_readers), T_CASE(csv_file),
       T_CASE(reader_never_misses_an_unchanged_binding_during_edits))
