/* Unit tests of the HB46PP client's pure library pieces: the discovery
 * record parser (D1-D2), the access-sequence decisions (a-k),
 * the non-volatile store (C16-C17) and the user/pass host rule (C10, strict
 * reading). Item ids refer to docs/hb46pp.md. */
#include "t.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "prov/access.h"
#include "prov/fetch.h"
#include "prov/nvstore.h"
#include "prov/txt.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                    */

/* Parses a NUL-terminated text; returns s46_txt_parse's result. */
static int txt(const char *s, s46_txt *o, char *err, size_t errlen)
{
    err[0] = 0;
    return s46_txt_parse(s, strlen(s), o, err, errlen);
}

/* A rejected text: -1 with a non-empty message. */
#define TXT_BAD(s) do { s46_txt o_; char e_[256]; \
    CHECK_INT(txt((s), &o_, e_, sizeof e_), -1); CHECK(e_[0] != 0); } while (0)

/* A rejected buffer of explicit length (may contain NUL bytes). */
#define TXT_BAD_N(s, n) do { s46_txt o_; char e_[256]; e_[0] = 0; \
    CHECK_INT(s46_txt_parse((s), (n), &o_, e_, sizeof e_), -1); CHECK(e_[0] != 0); } while (0)

/* splitmix64: a deterministic stream of "random" numbers. */
static uint64_t sm64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* An independent CRC-32 (IEEE, as zlib's crc32) for crafting store files. */
static uint32_t my_crc32(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= b[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

/* Whole file into a malloc'd NUL-terminated buffer; NULL on error. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = n;
    }
    return b;
}

static int spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int rc = fwrite(p, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A store file with a correct header for body (a crafted document). */
static int write_store(const char *path, const char *body)
{
    char head[80];
    size_t n = strlen(body);
    int hn = snprintf(head, sizeof head, "s46-nvstore 1 %08lx %zu\n",
                      (unsigned long)my_crc32(body, n), n);
    size_t tot = (size_t)hn + n + 1;
    char *all = malloc(tot);
    if (!all)
        return -1;
    memcpy(all, head, (size_t)hn);
    memcpy(all + hn, body, n);
    all[tot - 1] = '\n';
    int rc = spit(path, all, tot);
    free(all);
    return rc;
}

/* Each store test runs in its own fresh directory under /tmp, removed
 * afterwards (also when a CHECK failed inside the body). */
static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (rmdir(p) != 0)
                unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Saves doc (and drops it) with s46_nvstore_save, then returns the file's
 * bytes (caller frees), or NULL when either step failed. */
static char *saved(const char *path, json_t *doc, size_t *len)
{
    char err[256] = "";
    int rc = s46_nvstore_save(path, doc, err, sizeof err);
    json_decref(doc);
    return rc == 0 ? slurp(path, len) : NULL;
}

#define STORE_TEST(name) \
    static void name##_body(int *t_failed_, const char *dir, const char *path); \
    TEST(name) { \
        char dir_[] = "/tmp/s46-test-nvstore-XXXXXX"; \
        CHECK(mkdtemp(dir_) != NULL); \
        char path_[300]; \
        snprintf(path_, sizeof path_, "%s/config.nv", dir_); \
        name##_body(t_failed_, dir_, path_); \
        rm_dir(dir_); \
        CHECK(!exists(dir_)); \
    } \
    static void name##_body(int *t_failed_, const char *dir, const char *path)

static json_t *doc_a(void)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:[s,s], s:{s:i, s:b, s:s, s:[{s:s, s:s, s:i, s:i}]}}",
                     "enabler_name", "A VNE", "service_name", "Highspeed \xe3\x81\x82",
                     "ttl", 86400,
                     "token", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                     "order", "map_e", "dslite",
                     "map_e", "version", 0, "mesh", 1, "br", "2001:db8:1::1",
                     "rules", "ipv6", "2001:db8:1:2000::/52", "ipv4", "203.0.113.0/24",
                     "ea_length", 12, "psid_offset", 4);
}

static json_t *doc_b(void)
{
    return json_pack("{s:s, s:i, s:[s], s:{s:s}}", "enabler_name", "B VNE", "ttl", 3600,
                     "order", "dslite", "dslite", "aftr", "aftr.example.net");
}

/* ------------------------------------------------------------------------ */
/* 1. s46_txt_parse (D1, D2)                                                  */

TEST(txt_d1_example_record)
{
    s46_txt o;
    char err[256];
    CHECK_INT(txt("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b", &o, err, sizeof err), 0);
    CHECK_STR(o.url, "https://vne.example.jp/rule.cgi");
    CHECK(o.verify);
    CHECK(o.https);
}

TEST(txt_d2_t_a_with_http)
{
    s46_txt o;
    char err[256];
    CHECK_INT(txt("v=v6mig-1 url=http://vne.example.jp/config t=a", &o, err, sizeof err), 0);
    CHECK_STR(o.url, "http://vne.example.jp/config");
    CHECK(!o.verify);
    CHECK(!o.https);
    /* https without verification (C1 option 2) */
    CHECK_INT(txt("v=v6mig-1 url=https://vne.example.jp/ t=a", &o, err, sizeof err), 0);
    CHECK_STR(o.url, "https://vne.example.jp/");
    CHECK(!o.verify);
    CHECK(o.https);
}

TEST(txt_keys_in_any_order)
{
    s46_txt o;
    char err[256];
    CHECK_INT(txt("t=b url=https://vne.example.jp/rule.cgi v=v6mig-1", &o, err, sizeof err), 0);
    CHECK_STR(o.url, "https://vne.example.jp/rule.cgi");
    CHECK(o.verify && o.https);
    CHECK_INT(txt("url=http://[2001:db8::1]:8080/cpe/v1/config t=a v=v6mig-1", &o, err, sizeof err), 0);
    CHECK_STR(o.url, "http://[2001:db8::1]:8080/cpe/v1/config");
    CHECK(!o.verify && !o.https);
}

TEST(txt_extra_spaces)
{
    s46_txt o;
    char err[256];
    CHECK_INT(txt("v=v6mig-1   url=https://vne.example.jp/rule.cgi    t=b", &o, err, sizeof err), 0);
    CHECK_STR(o.url, "https://vne.example.jp/rule.cgi");
    CHECK(o.verify && o.https);
    CHECK_INT(txt("  v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b  ", &o, err, sizeof err), 0);
    CHECK_STR(o.url, "https://vne.example.jp/rule.cgi");
}

TEST(txt_d2_http_requires_t_a)
{
    TXT_BAD("v=v6mig-1 url=http://vne.example.jp/rule.cgi t=b");
    TXT_BAD("t=b v=v6mig-1 url=http://vne.example.jp/rule.cgi");
}

TEST(txt_d2_v_must_be_v6mig_1)
{
    TXT_BAD("v=v6mig-2 url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-10 url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig- url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v= url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=V6MIG-1 url=https://vne.example.jp/rule.cgi t=b");
}

TEST(txt_missing_keys)
{
    TXT_BAD("url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-1 t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi");
    TXT_BAD("v=v6mig-1");
}

TEST(txt_duplicate_keys)
{
    TXT_BAD("v=v6mig-1 v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=https://a.example.jp/ url=https://b.example.jp/ t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=a t=b");
}

TEST(txt_unknown_key_or_token)
{
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b x=1");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b foo");
    TXT_BAD("V=v6mig-1 url=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-1 URL=https://vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b =x");
}

TEST(txt_d2_t_must_be_a_or_b)
{
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=c");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule.cgi t=ab");
}

TEST(txt_url_scheme)
{
    TXT_BAD("v=v6mig-1 url=vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=//vne.example.jp/rule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=ftp://vne.example.jp/rule.cgi t=a");
    TXT_BAD("v=v6mig-1 url=httpx://vne.example.jp/rule.cgi t=a");
    TXT_BAD("v=v6mig-1 url= t=a");
}

TEST(txt_url_without_host)
{
    TXT_BAD("v=v6mig-1 url=https:///x t=b");
    TXT_BAD("v=v6mig-1 url=https:// t=b");
    TXT_BAD("v=v6mig-1 url=http:// t=a");
    TXT_BAD("v=v6mig-1 url=https://?x=1 t=b");
    TXT_BAD("v=v6mig-1 url=https://#x t=b");
}

/* The header promises "an absolute http:// or https:// URL with a host":
 * a URL whose authority is only a port or only userinfo has no host. */
TEST(txt_url_authority_without_host)
{
    const char *recs[] = {
        "v=v6mig-1 url=https://:443/rule.cgi t=b",
        "v=v6mig-1 url=https://user@/rule.cgi t=b",
        "v=v6mig-1 url=http://:8080/ t=a",
    };
    int accepted = 0;
    for (size_t k = 0; k < sizeof recs / sizeof recs[0]; k++) {
        s46_txt o;
        char err[256] = "";
        if (txt(recs[k], &o, err, sizeof err) != -1 || !err[0]) {
            printf("  accepted: %s (url \"%s\")\n", recs[k], o.url);
            accepted++;
        }
    }
    CHECK_INT(accepted, 0);
}

TEST(txt_url_bad_characters)
{
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule\".cgi t=b");
    TXT_BAD("v=v6mig-1 url=\"https://vne.example.jp/rule.cgi\" t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/\trule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/\x01rule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/rule\r\n.cgi t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/\x7frule.cgi t=b");
    TXT_BAD("v=v6mig-1 url=https://vne.example.jp/r\xc3\xa9gle.cgi t=b");
}

TEST(txt_empty)
{
    s46_txt o;
    char err[256] = "";
    CHECK_INT(s46_txt_parse("", 0, &o, err, sizeof err), -1);
    CHECK(err[0] != 0);
    TXT_BAD("   ");
}

TEST(txt_embedded_nul)
{
    /* NUL inside the url */
    static const char a[] = "v=v6mig-1 url=https://vne.example.jp/\0rule.cgi t=b";
    TXT_BAD_N(a, sizeof a - 1);
    /* NUL right after the host: a parser stopping at NUL would take the url */
    static const char b[] = "v=v6mig-1 url=https://vne.example.jp\0 t=b";
    TXT_BAD_N(b, sizeof b - 1);
    /* trailing NUL after a complete record */
    static const char c[] = "v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b\0";
    TXT_BAD_N(c, sizeof c - 1);
    /* NUL inside t and inside v */
    static const char d[] = "v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b\0x";
    TXT_BAD_N(d, sizeof d - 1);
    static const char e[] = "v=v6mig-1\0 url=https://vne.example.jp/rule.cgi t=b";
    TXT_BAD_N(e, sizeof e - 1);
    /* the same record without the NUL parses (len excludes the terminator) */
    s46_txt o;
    char err[256];
    CHECK_INT(s46_txt_parse(c, sizeof c - 2, &o, err, sizeof err), 0);
    CHECK_STR(o.url, "https://vne.example.jp/rule.cgi");
}

TEST(txt_len_bounds_the_text)
{
    /* only the first len bytes are read: the tail " t=b" is cut off */
    const char *s = "v=v6mig-1 url=https://vne.example.jp/rule.cgi t=b";
    s46_txt o;
    char err[256] = "";
    CHECK_INT(s46_txt_parse(s, strlen(s) - 4, &o, err, sizeof err), -1);
    CHECK(err[0] != 0);
}

static char *record_with_url_len(size_t ulen)
{
    const char *pre = "https://vne.example.jp/";
    size_t pn = strlen(pre);
    char *s = malloc(ulen + 64);
    if (!s || ulen < pn)
        return s;
    strcpy(s, "v=v6mig-1 url=");
    char *u = s + strlen(s);
    memcpy(u, pre, pn);
    memset(u + pn, 'a', ulen - pn);
    strcpy(u + ulen, " t=b");
    return s;
}

TEST(txt_url_length_limit)
{
    s46_txt o;
    char err[256];
    char *s = record_with_url_len(S46_TXT_URL_MAX);
    CHECK(s != NULL);
    int rc = txt(s, &o, err, sizeof err);
    size_t ul = strlen(o.url);
    free(s);
    CHECK_INT(rc, 0);
    CHECK_INT(ul, S46_TXT_URL_MAX);

    s = record_with_url_len(S46_TXT_URL_MAX + 1);
    CHECK(s != NULL);
    err[0] = 0;
    rc = txt(s, &o, err, sizeof err);
    free(s);
    CHECK_INT(rc, -1);
    CHECK(err[0] != 0);

    s = record_with_url_len(8000);
    CHECK(s != NULL);
    err[0] = 0;
    rc = txt(s, &o, err, sizeof err);
    free(s);
    CHECK_INT(rc, -1);
    CHECK(err[0] != 0);
}

TEST(txt_err_may_be_null)
{
    s46_txt o;
    const char *s = "v=v6mig-2 url=https://vne.example.jp/rule.cgi t=b";
    CHECK_INT(s46_txt_parse(s, strlen(s), &o, NULL, 0), -1);
}

/* ------------------------------------------------------------------------ */
/* 2. s46_acc_* (a-k)                                                         */

TEST(acc_36_default_waits)
{
    s46_acc_waits w;
    memset(&w, 0xff, sizeof w);
    s46_acc_waits_default(&w);
    /* c.2: NXDOMAIN/NODATA, 1-3 h */
    CHECK_INT(w.notfound.lo, 3600);
    CHECK_INT(w.notfound.hi, 10800);
    /* c.3: other DNS failure, 1-10 min */
    CHECK_INT(w.dns_error.lo, 60);
    CHECK_INT(w.dns_error.hi, 600);
    /* f: no answer, 10-30 min */
    CHECK_INT(w.no_answer.lo, 600);
    CHECK_INT(w.no_answer.hi, 1800);
    /* h: invalid data, 10-30 min */
    CHECK_INT(w.bad_data.lo, 600);
    CHECK_INT(w.bad_data.hi, 1800);
    /* k: no ttl, 20-24 h */
    CHECK_INT(w.no_ttl.lo, 72000);
    CHECK_INT(w.no_ttl.hi, 86400);
    CHECK(w.boot.lo <= w.boot.hi);
}

struct acc_case { s46_acc_outcome o; uint32_t lo, hi; };

TEST(acc_36_wait_in_range_random)
{
    s46_acc_waits w;
    s46_acc_waits_default(&w);
    const struct acc_case cs[] = {
        {S46_ACC_NOTFOUND, 3600, 10800},
        {S46_ACC_DNS_ERROR, 60, 600},
        {S46_ACC_NO_ANSWER, 600, 1800},
        {S46_ACC_BAD_DATA, 600, 1800},
        {S46_ACC_OK, 72000, 86400},    /* no ttl */
        {S46_ACC_EMPTY, 72000, 86400}, /* no ttl */
    };
    uint64_t seed = 46;
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        uint32_t mn = UINT32_MAX, mx = 0;
        for (int i = 0; i < 20000; i++) {
            uint32_t v = s46_acc_wait(&w, cs[c].o, -1, sm64(&seed));
            if (v < cs[c].lo || v > cs[c].hi) {
                printf("  outcome %s gave %u\n", s46_acc_outcome_name(cs[c].o), v);
                CHECK(v >= cs[c].lo && v <= cs[c].hi);
            }
            if (v < mn) mn = v;
            if (v > mx) mx = v;
        }
        /* spread over the range, not stuck at one value */
        CHECK(mx - mn > (cs[c].hi - cs[c].lo) / 2);
        /* extreme rnd values stay in range */
        uint64_t ext[] = {0, 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX, UINT64_MAX - 1};
        for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++) {
            uint32_t v = s46_acc_wait(&w, cs[c].o, -1, ext[k]);
            CHECK(v >= cs[c].lo && v <= cs[c].hi);
        }
    }
}

TEST(acc_36_wait_hits_both_ends)
{
    s46_acc_waits w;
    s46_acc_waits_default(&w);
    const struct acc_case cs[] = {
        {S46_ACC_NOTFOUND, 3600, 10800},
        {S46_ACC_DNS_ERROR, 60, 600},
        {S46_ACC_NO_ANSWER, 600, 1800},
        {S46_ACC_BAD_DATA, 600, 1800},
        {S46_ACC_OK, 72000, 86400},
        {S46_ACC_EMPTY, 72000, 86400},
    };
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        uint64_t span = (uint64_t)cs[c].hi - cs[c].lo + 1;
        CHECK_INT(s46_acc_wait(&w, cs[c].o, -1, 0), cs[c].lo);
        CHECK_INT(s46_acc_wait(&w, cs[c].o, -1, span - 1), cs[c].hi);
        CHECK_INT(s46_acc_wait(&w, cs[c].o, -1, span), cs[c].lo);
        CHECK_INT(s46_acc_wait(&w, cs[c].o, -1, 2 * span - 1), cs[c].hi);
    }
}

TEST(acc_pick_edges)
{
    s46_acc_range one = {7, 7};
    CHECK_INT(s46_acc_pick(one, 0), 7);
    CHECK_INT(s46_acc_pick(one, UINT64_MAX), 7);
    s46_acc_range full = {0, UINT32_MAX};
    CHECK_INT(s46_acc_pick(full, 0), 0);
    CHECK_INT(s46_acc_pick(full, UINT32_MAX), UINT32_MAX);
    CHECK_INT(s46_acc_pick(full, (uint64_t)UINT32_MAX + 1), 0);
    s46_acc_range top = {UINT32_MAX - 1, UINT32_MAX};
    CHECK_INT(s46_acc_pick(top, 0), UINT32_MAX - 1);
    CHECK_INT(s46_acc_pick(top, 1), UINT32_MAX);
    CHECK_INT(s46_acc_pick(top, UINT64_MAX), UINT32_MAX);
}

TEST(acc_36k_ttl)
{
    s46_acc_waits w;
    s46_acc_waits_default(&w);
    const s46_acc_outcome os[] = {S46_ACC_OK, S46_ACC_EMPTY};
    for (size_t i = 0; i < 2; i++) {
        /* ttl given: wait ttl, whatever rnd */
        CHECK_INT(s46_acc_wait(&w, os[i], 86400, 0), 86400);
        CHECK_INT(s46_acc_wait(&w, os[i], 86400, UINT64_MAX), 86400);
        CHECK_INT(s46_acc_wait(&w, os[i], 604800, 12345), 604800); /* S8 maximum */
        CHECK_INT(s46_acc_wait(&w, os[i], w.min_ttl, 5), w.min_ttl);
        CHECK_INT(s46_acc_wait(&w, os[i], (int64_t)w.min_ttl + 1, 5), w.min_ttl + 1);
        /* smaller than min_ttl: min_ttl */
        CHECK_INT(s46_acc_wait(&w, os[i], 1, 5), w.min_ttl);
        CHECK_INT(s46_acc_wait(&w, os[i], 0, 5), w.min_ttl);
    }
    /* a configured min_ttl */
    w.min_ttl = 300;
    CHECK_INT(s46_acc_wait(&w, S46_ACC_OK, 0, 0), 300);
    CHECK_INT(s46_acc_wait(&w, S46_ACC_OK, 299, 0), 300);
    CHECK_INT(s46_acc_wait(&w, S46_ACC_OK, 301, 0), 301);
    /* ttl is ignored for the failure outcomes */
    s46_acc_waits_default(&w);
    CHECK_INT(s46_acc_wait(&w, S46_ACC_NOTFOUND, 5, 0), 3600);
    CHECK_INT(s46_acc_wait(&w, S46_ACC_DNS_ERROR, 100000, 0), 60);
    CHECK_INT(s46_acc_wait(&w, S46_ACC_BAD_DATA, 100000, 0), 600);
}

TEST(acc_disables_only_notfound_and_empty)
{
    CHECK(s46_acc_disables(S46_ACC_NOTFOUND));
    CHECK(s46_acc_disables(S46_ACC_EMPTY));
    /* "a failing server never tears down a working mechanism" */
    CHECK(!s46_acc_disables(S46_ACC_OK));
    CHECK(!s46_acc_disables(S46_ACC_DNS_ERROR));
    CHECK(!s46_acc_disables(S46_ACC_NO_ANSWER));
    CHECK(!s46_acc_disables(S46_ACC_BAD_DATA));
}

TEST(acc_outcome_names)
{
    CHECK_STR(s46_acc_outcome_name(S46_ACC_OK), "ok");
    CHECK_STR(s46_acc_outcome_name(S46_ACC_EMPTY), "empty");
    CHECK_STR(s46_acc_outcome_name(S46_ACC_NOTFOUND), "notfound");
    CHECK_STR(s46_acc_outcome_name(S46_ACC_DNS_ERROR), "dns_error");
    CHECK_STR(s46_acc_outcome_name(S46_ACC_NO_ANSWER), "no_answer");
    CHECK_STR(s46_acc_outcome_name(S46_ACC_BAD_DATA), "bad_data");
    CHECK_STR(s46_acc_outcome_name((s46_acc_outcome)99), "?");
}

TEST(acc_waits_from_json_accepts)
{
    json_error_t je;
    json_t *j = json_loads("{\"dns_error\":[1,2],\"min_ttl\":5}", 0, &je);
    CHECK(j != NULL);
    s46_acc_waits w, d;
    s46_acc_waits_default(&w);
    s46_acc_waits_default(&d);
    char err[256] = "";
    int rc = s46_acc_waits_from_json(j, &w, err, sizeof err);
    json_decref(j);
    CHECK_INT(rc, 0);
    CHECK_INT(w.dns_error.lo, 1);
    CHECK_INT(w.dns_error.hi, 2);
    CHECK_INT(w.min_ttl, 5);
    /* the rest keeps the defaults */
    CHECK_INT(w.notfound.lo, d.notfound.lo);
    CHECK_INT(w.notfound.hi, d.notfound.hi);
    CHECK_INT(w.no_answer.lo, d.no_answer.lo);
    CHECK_INT(w.bad_data.hi, d.bad_data.hi);
    CHECK_INT(w.no_ttl.lo, d.no_ttl.lo);
    CHECK_INT(w.boot.hi, d.boot.hi);
    /* and the new values are used */
    for (uint64_t r = 0; r < 100; r++) {
        uint32_t v = s46_acc_wait(&w, S46_ACC_DNS_ERROR, -1, r);
        CHECK(v == 1 || v == 2);
    }
    CHECK_INT(s46_acc_wait(&w, S46_ACC_OK, 3, 0), 5);

    /* all keys, lo == hi, zero, and the empty object */
    j = json_loads("{\"notfound\":[3,3],\"dns_error\":[0,1],\"no_answer\":[2,4],"
                   "\"bad_data\":[5,6],\"no_ttl\":[7,8],\"boot\":[0,0],\"min_ttl\":0}", 0, &je);
    CHECK(j != NULL);
    rc = s46_acc_waits_from_json(j, &w, err, sizeof err);
    json_decref(j);
    CHECK_INT(rc, 0);
    CHECK_INT(w.notfound.lo, 3);
    CHECK_INT(w.notfound.hi, 3);
    CHECK_INT(w.no_ttl.hi, 8);
    CHECK_INT(w.boot.hi, 0);
    CHECK_INT(w.min_ttl, 0);
    CHECK_INT(s46_acc_wait(&w, S46_ACC_NOTFOUND, -1, 12345), 3);
    j = json_object();
    CHECK_INT(s46_acc_waits_from_json(j, &w, err, sizeof err), 0);
    json_decref(j);
}

static int waits_bad(const char *js, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(js, JSON_DECODE_ANY, &je);
    if (!j)
        return 99;
    s46_acc_waits w;
    s46_acc_waits_default(&w);
    err[0] = 0;
    int rc = s46_acc_waits_from_json(j, &w, err, errlen);
    json_decref(j);
    return rc;
}

#define WAITS_BAD(js) do { char e_[256]; CHECK_INT(waits_bad((js), e_, sizeof e_), -1); \
    CHECK(e_[0] != 0); } while (0)

TEST(acc_waits_from_json_rejects)
{
    WAITS_BAD("{\"dns_errors\":[1,2]}");
    WAITS_BAD("{\"ttl\":5}");
    WAITS_BAD("{\"dns_error\":[5,2]}");
    WAITS_BAD("{\"dns_error\":[-1,2]}");
    WAITS_BAD("{\"dns_error\":[1,-2]}");
    WAITS_BAD("{\"min_ttl\":-1}");
    WAITS_BAD("{\"dns_error\":5}");
    WAITS_BAD("{\"dns_error\":{\"lo\":1,\"hi\":2}}");
    WAITS_BAD("{\"dns_error\":[1,2,3]}");
    WAITS_BAD("{\"dns_error\":[1]}");
    WAITS_BAD("{\"dns_error\":[]}");
    WAITS_BAD("{\"dns_error\":[\"1\",\"2\"]}");
    WAITS_BAD("{\"dns_error\":[1.5,2]}");
    WAITS_BAD("{\"min_ttl\":\"5\"}");
    WAITS_BAD("{\"min_ttl\":[5,6]}");
    WAITS_BAD("{\"notfound\":null}");
    WAITS_BAD("[[1,2]]");
    WAITS_BAD("5");
    WAITS_BAD("\"dns_error\"");
    WAITS_BAD("null");
    /* NULL is not an object either */
    s46_acc_waits w;
    s46_acc_waits_default(&w);
    char err[256] = "";
    CHECK_INT(s46_acc_waits_from_json(NULL, &w, err, sizeof err), -1);
    CHECK(err[0] != 0);
}

/* ------------------------------------------------------------------------ */
/* 3. s46_nvstore (C16-C17)                                                   */

STORE_TEST(nv_c16_round_trip)
{
    (void)dir;
    json_t *a = doc_a();
    CHECK(a != NULL);
    char err[256] = "";
    int rc = s46_nvstore_save(path, a, err, sizeof err);
    if (rc != 0)
        printf("  save: %s\n", err);
    int missing = 7;
    json_t *got = rc == 0 ? s46_nvstore_load(path, &missing, err, sizeof err) : NULL;
    bool eq = got && json_equal(a, got);
    json_decref(a);
    json_decref(got);
    CHECK_INT(rc, 0);
    CHECK(got != NULL);
    CHECK_INT(missing, 0);
    CHECK(eq);
    /* the file is private and no temporary is left behind */
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0077, 0);
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(!exists(tmp));
}

STORE_TEST(nv_file_format)
{
    (void)dir;
    size_t len = 0;
    char *buf = saved(path, doc_a(), &len);
    CHECK(buf != NULL);
    bool magic = len >= 14 && !memcmp(buf, "s46-nvstore 1 ", 14);
    unsigned long crc = 0;
    size_t n = 0;
    int used = 0;
    int sc = magic ? sscanf(buf + 14, "%8lx %zu\n%n", &crc, &n, &used) : 0;
    char *nl = memchr(buf, '\n', len);
    size_t body_off = nl ? (size_t)(nl - buf) + 1 : 0;
    bool len_ok = nl && body_off + n <= len;
    bool crc_ok = len_ok && my_crc32(buf + body_off, n) == crc;
    bool crc_hex8 = nl && nl - (buf + 14) > 8 && buf[14 + 8] == ' ';
    json_error_t je;
    json_t *body = len_ok ? json_loadb(buf + body_off, n, 0, &je) : NULL;
    free(buf);
    bool is_obj = json_is_object(body);
    json_decref(body);
    CHECK(magic);
    CHECK_INT(sc, 2);
    CHECK(crc_hex8);
    CHECK(len_ok);
    CHECK(crc_ok);
    CHECK(is_obj);
}

STORE_TEST(nv_crafted_file_loads)
{
    (void)dir;
    CHECK_INT(write_store(path, "{\"order\":[],\"ttl\":60}"), 0);
    int missing = 7;
    char err[256] = "";
    json_t *got = s46_nvstore_load(path, &missing, err, sizeof err);
    json_t *want = json_pack("{s:[], s:i}", "order", "ttl", 60);
    bool eq = got && json_equal(got, want);
    json_decref(got);
    json_decref(want);
    if (!eq)
        printf("  load: %s\n", err);
    CHECK(eq);
    CHECK_INT(missing, 0);
}

STORE_TEST(nv_second_save_replaces)
{
    (void)dir;
    json_t *a = doc_a(), *b = doc_b();
    char err[256] = "";
    int r1 = s46_nvstore_save(path, a, err, sizeof err);
    int r2 = s46_nvstore_save(path, b, err, sizeof err);
    int missing = 7;
    json_t *got = s46_nvstore_load(path, &missing, err, sizeof err);
    bool eq_b = got && json_equal(got, b);
    bool eq_a = got && json_equal(got, a);
    json_decref(a);
    json_decref(b);
    json_decref(got);
    CHECK_INT(r1, 0);
    CHECK_INT(r2, 0);
    CHECK(eq_b);
    CHECK(!eq_a);
    CHECK_INT(missing, 0);
}

/* Loads path and expects a corrupt (not missing) result with a message. */
#define LOAD_CORRUPT(p) do { int m_ = 7; char e_[256] = ""; \
    json_t *g_ = s46_nvstore_load((p), &m_, e_, sizeof e_); \
    bool null_ = g_ == NULL; json_decref(g_); \
    CHECK(null_); CHECK_INT(m_, 0); CHECK(e_[0] != 0); } while (0)

STORE_TEST(nv_corrupted_body_byte)
{
    (void)dir;
    size_t len = 0;
    char *buf = saved(path, doc_a(), &len);
    CHECK(buf != NULL);
    /* change one letter inside a string value: still valid JSON, so only the
     * checksum can catch it */
    char *p = strstr(buf, "A VNE");
    if (p)
        p[0] = 'B';
    int w = p ? spit(path, buf, len) : -1;
    free(buf);
    CHECK(p != NULL);
    CHECK_INT(w, 0);
    LOAD_CORRUPT(path);
}

STORE_TEST(nv_corrupted_bit_anywhere_in_body)
{
    (void)dir;
    size_t len = 0;
    char *orig = saved(path, doc_b(), &len);
    CHECK(orig != NULL);
    char *nl = memchr(orig, '\n', len);
    size_t off = nl ? (size_t)(nl - orig) + 1 : len;
    /* every body byte (not the trailing newline), one bit each */
    for (size_t i = off; i + 1 < len; i++) {
        orig[i] ^= 0x01;
        int wr = spit(path, orig, len);
        orig[i] ^= 0x01;
        int m = 7;
        char err[256] = "";
        json_t *g = wr == 0 ? s46_nvstore_load(path, &m, err, sizeof err) : NULL;
        bool bad = g != NULL || m != 0 || wr != 0;
        json_decref(g);
        if (bad) {
            printf("  byte %zu accepted\n", i);
            free(orig);
            CHECK(!bad);
        }
    }
    free(orig);
}

STORE_TEST(nv_truncated)
{
    (void)dir;
    size_t len = 0;
    char *buf = saved(path, doc_a(), &len);
    CHECK(buf != NULL);
    char *nl = memchr(buf, '\n', len);
    size_t hl = nl ? (size_t)(nl - buf) + 1 : 0;
    /* the body cut in half, cut by one byte of JSON, the header alone, part of
     * the header, nothing */
    const size_t cuts[] = {hl + (len - hl) / 2, len - 2, hl, hl - 1, 10, 0};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        int w = spit(path, buf, cuts[k]);
        if (w != 0)
            free(buf);
        CHECK_INT(w, 0);
        int m = 7;
        char err[256] = "";
        json_t *g = s46_nvstore_load(path, &m, err, sizeof err);
        bool ok = g == NULL && m == 0 && err[0] != 0;
        json_decref(g);
        if (!ok) {
            printf("  cut at %zu of %zu accepted\n", cuts[k], len);
            free(buf);
            CHECK(ok);
        }
    }
    free(buf);
}

STORE_TEST(nv_bad_header)
{
    char p[320];
    snprintf(p, sizeof p, "%s/h", dir);
    const char *body = "{\"ttl\":60}";
    char crc[16];
    snprintf(crc, sizeof crc, "%08lx", (unsigned long)my_crc32(body, strlen(body)));
    char f[256];
    const char *fmts[] = {
        "s46-nvstore 2 %s 10\n%s\n",   /* another version */
        "s46-nvstore  1 %s 10\n%s\n",  /* spacing */
        "S46-NVSTORE 1 %s 10\n%s\n",   /* case */
        "s46-nvstore 1 %s\n%s\n",      /* no length */
        "s46-nvstore 1 %s 10 x\n%s\n", /* trailing junk */
        "s46-nvstore 1 %s 1O\n%s\n",   /* not a number */
        "s46-nvstore 1 %s 10 %s\n",    /* no newline after the header */
        "nvstore 1 %s 10\n%s\n",
    };
    for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
        int n = snprintf(f, sizeof f, fmts[k], crc, body);
        CHECK_INT(spit(p, f, (size_t)n), 0);
        LOAD_CORRUPT(p);
    }
    /* a plain JSON file, no header */
    CHECK_INT(spit(p, body, strlen(body)), 0);
    LOAD_CORRUPT(p);
    /* the correct header for comparison loads */
    int n = snprintf(f, sizeof f, "s46-nvstore 1 %s 10\n%s\n", crc, body);
    CHECK_INT(spit(p, f, (size_t)n), 0);
    int m = 7;
    char err[256];
    json_t *g = s46_nvstore_load(p, &m, err, sizeof err);
    bool ok = json_is_object(g);
    json_decref(g);
    CHECK(ok);
    (void)path;
}

STORE_TEST(nv_length_larger_than_file)
{
    (void)dir;
    const char *body = "{\"ttl\":60}";
    size_t bn = strlen(body);
    char f[256];
    /* crc of the body, length beyond the file */
    int n = snprintf(f, sizeof f, "s46-nvstore 1 %08lx %zu\n%s\n",
                     (unsigned long)my_crc32(body, bn), bn + 100, body);
    CHECK_INT(spit(path, f, (size_t)n), 0);
    LOAD_CORRUPT(path);
    /* length one more than the body: covers the trailing newline only */
    n = snprintf(f, sizeof f, "s46-nvstore 1 %08lx %zu\n%s\n",
                 (unsigned long)my_crc32(body, bn), bn + 1, body);
    CHECK_INT(spit(path, f, (size_t)n), 0);
    LOAD_CORRUPT(path);
    /* huge length */
    n = snprintf(f, sizeof f, "s46-nvstore 1 %08lx 18446744073709551615\n%s\n",
                 (unsigned long)my_crc32(body, bn), body);
    CHECK_INT(spit(path, f, (size_t)n), 0);
    LOAD_CORRUPT(path);
    /* length shorter than the body */
    n = snprintf(f, sizeof f, "s46-nvstore 1 %08lx %zu\n%s\n",
                 (unsigned long)my_crc32(body, bn), bn - 1, body);
    CHECK_INT(spit(path, f, (size_t)n), 0);
    LOAD_CORRUPT(path);
}

STORE_TEST(nv_missing_file)
{
    (void)dir;
    int m = 7;
    char err[256] = "";
    json_t *g = s46_nvstore_load(path, &m, err, sizeof err);
    bool null = g == NULL;
    json_decref(g);
    CHECK(null);
    CHECK_INT(m, 1);
    CHECK(err[0] != 0);
}

STORE_TEST(nv_not_a_regular_file)
{
    (void)path;
    /* a directory is unreadable as a store, not missing */
    LOAD_CORRUPT(dir);
}

STORE_TEST(nv_c17_erase)
{
    (void)dir;
    json_t *a = doc_a();
    char err[256] = "";
    int rc = s46_nvstore_save(path, a, err, sizeof err);
    json_decref(a);
    CHECK_INT(rc, 0);
    CHECK(exists(path));
    CHECK_INT(s46_nvstore_erase(path, err, sizeof err), 0);
    CHECK(!exists(path));
    int m = 7;
    json_t *g = s46_nvstore_load(path, &m, err, sizeof err);
    bool null = g == NULL;
    json_decref(g);
    CHECK(null);
    CHECK_INT(m, 1);
    /* absent: still 0 */
    CHECK_INT(s46_nvstore_erase(path, err, sizeof err), 0);
    CHECK_INT(s46_nvstore_erase(path, NULL, 0), 0);
    /* a leftover temporary file goes too */
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK_INT(spit(tmp, "s46-nvstore 1 0", 15), 0);
    CHECK_INT(s46_nvstore_erase(path, err, sizeof err), 0);
    CHECK(!exists(tmp));
    CHECK(!exists(path));
}

STORE_TEST(nv_leftover_tmp_after_crash)
{
    (void)dir;
    json_t *a = doc_a(), *b = doc_b();
    char err[256] = "";
    int rc = s46_nvstore_save(path, a, err, sizeof err);
    /* a crash in the middle of writing the next document: a partial
     * temporary file next to the intact old one */
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    const char *partial = "s46-nvstore 1 deadbeef 500\n{\"enabler_name\":\"B V";
    int w = spit(tmp, partial, strlen(partial));
    int m = 7;
    json_t *g = s46_nvstore_load(path, &m, err, sizeof err);
    bool eq_a = g && json_equal(g, a);
    json_decref(g);
    /* a later save goes through despite the leftover and cleans it up */
    int rc2 = s46_nvstore_save(path, b, err, sizeof err);
    json_t *g2 = s46_nvstore_load(path, &m, err, sizeof err);
    bool eq_b = g2 && json_equal(g2, b);
    json_decref(g2);
    json_decref(a);
    json_decref(b);
    CHECK_INT(rc, 0);
    CHECK_INT(w, 0);
    CHECK(eq_a);
    CHECK_INT(rc2, 0);
    CHECK(eq_b);
    CHECK(!exists(tmp));
}

STORE_TEST(nv_non_object_body_refused)
{
    (void)dir;
    const char *bodies[] = {"[1,2,3]", "\"str\"", "42", "null", "true",
                            "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{"};
    for (size_t k = 0; k < sizeof bodies / sizeof bodies[0]; k++) {
        CHECK_INT(write_store(path, bodies[k]), 0);
        LOAD_CORRUPT(path);
    }
}

STORE_TEST(nv_save_errors)
{
    (void)path;
    char p[320];
    snprintf(p, sizeof p, "%s/no/such/dir/config.nv", dir);
    json_t *a = doc_b();
    char err[256] = "";
    int rc = s46_nvstore_save(p, a, err, sizeof err);
    json_decref(a);
    CHECK_INT(rc, -1);
    CHECK(err[0] != 0);
    CHECK(!exists(p));
}

/* ------------------------------------------------------------------------ */
/* 4. s46_fetch_creds_allowed (C10, strict reading)                           */

TEST(creds_c10_allowed)
{
    CHECK(s46_fetch_creds_allowed("https://vne.example.jp/rule.cgi", true, "vne.example.jp"));
    CHECK(s46_fetch_creds_allowed("https://vne.example.jp/", true, "vne.example.jp"));
    CHECK(s46_fetch_creds_allowed("https://vne.example.jp", true, "vne.example.jp"));
    /* host comparison ignores case */
    CHECK(s46_fetch_creds_allowed("https://VNE.Example.JP/rule.cgi", true, "vne.example.jp"));
    CHECK(s46_fetch_creds_allowed("https://vne.example.jp/rule.cgi", true, "VNE.EXAMPLE.JP"));
    CHECK(s46_fetch_creds_allowed("HTTPS://vne.example.jp/rule.cgi", true, "vne.example.jp"));
}

TEST(creds_c10_port_and_path)
{
    CHECK(s46_fetch_creds_allowed("https://vne.example.jp:8443/cpe/v1/config", true,
                                  "vne.example.jp"));
    CHECK(s46_fetch_creds_allowed("https://vne.example.jp:443/config?x=1#f", true,
                                  "vne.example.jp"));
    /* the port is not part of the name */
    CHECK(!s46_fetch_creds_allowed("https://vne.example.jp:8443/config", true,
                                   "vne.example.jp:8443"));
}

TEST(creds_c10_ipv6_literal)
{
    CHECK(s46_fetch_creds_allowed("https://[2001:db8::1]/config", true, "2001:db8::1"));
    CHECK(s46_fetch_creds_allowed("https://[2001:db8::1]:8443/config", true, "2001:db8::1"));
    CHECK(!s46_fetch_creds_allowed("https://[2001:db8::1]/config", true, "2001:db8::2"));
    CHECK(!s46_fetch_creds_allowed("https://[2001:db8::1]/config", true, "[2001:db8::1]x"));
}

TEST(creds_c10_http_refused)
{
    CHECK(!s46_fetch_creds_allowed("http://vne.example.jp/rule.cgi", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("http://vne.example.jp/rule.cgi", false, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("http://vne.example.jp:443/rule.cgi", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("ftp://vne.example.jp/rule.cgi", true, "vne.example.jp"));
}

TEST(creds_c10_t_a_refused)
{
    CHECK(!s46_fetch_creds_allowed("https://vne.example.jp/rule.cgi", false, "vne.example.jp"));
}

TEST(creds_c10_other_host_refused)
{
    CHECK(!s46_fetch_creds_allowed("https://evil.example/rule.cgi", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://vne.example.jp.evil.example/x", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://example.jp/x", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://xvne.example.jp/x", true, "vne.example.jp"));
    /* the name in userinfo, path or query is not the host */
    CHECK(!s46_fetch_creds_allowed("https://vne.example.jp@evil.example/x", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://evil.example/vne.example.jp", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://evil.example/?h=vne.example.jp", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://evil.example#vne.example.jp", true, "vne.example.jp"));
}

TEST(creds_c10_no_server_name_strict)
{
    /* strict reading: never without a server name */
    CHECK(!s46_fetch_creds_allowed("https://vne.example.jp/rule.cgi", true, NULL));
    CHECK(!s46_fetch_creds_allowed("https://vne.example.jp/rule.cgi", true, ""));
    CHECK(!s46_fetch_creds_allowed("http://vne.example.jp/rule.cgi", false, NULL));
}

TEST(creds_c10_malformed_url)
{
    CHECK(!s46_fetch_creds_allowed("", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("vne.example.jp", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("vne.example.jp/rule.cgi", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https:///rule.cgi", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://vne.example.jp:99999/x", true, "vne.example.jp"));
    CHECK(!s46_fetch_creds_allowed("https://[2001:db8::1/config", true, "2001:db8::1"));
    CHECK(!s46_fetch_creds_allowed("https://vne example.jp/x", true, "vne example.jp"));
}

T_MAIN(T_CASE(txt_d1_example_record), T_CASE(txt_d2_t_a_with_http),
       T_CASE(txt_keys_in_any_order), T_CASE(txt_extra_spaces),
       T_CASE(txt_d2_http_requires_t_a), T_CASE(txt_d2_v_must_be_v6mig_1),
       T_CASE(txt_missing_keys), T_CASE(txt_duplicate_keys), T_CASE(txt_unknown_key_or_token),
       T_CASE(txt_d2_t_must_be_a_or_b), T_CASE(txt_url_scheme), T_CASE(txt_url_without_host),
       T_CASE(txt_url_authority_without_host), T_CASE(txt_url_bad_characters),
       T_CASE(txt_empty), T_CASE(txt_embedded_nul), T_CASE(txt_len_bounds_the_text),
       T_CASE(txt_url_length_limit), T_CASE(txt_err_may_be_null),
       T_CASE(acc_36_default_waits), T_CASE(acc_36_wait_in_range_random),
       T_CASE(acc_36_wait_hits_both_ends), T_CASE(acc_pick_edges), T_CASE(acc_36k_ttl),
       T_CASE(acc_disables_only_notfound_and_empty), T_CASE(acc_outcome_names),
       T_CASE(acc_waits_from_json_accepts), T_CASE(acc_waits_from_json_rejects),
       T_CASE(nv_c16_round_trip), T_CASE(nv_file_format), T_CASE(nv_crafted_file_loads),
       T_CASE(nv_second_save_replaces), T_CASE(nv_corrupted_body_byte),
       T_CASE(nv_corrupted_bit_anywhere_in_body), T_CASE(nv_truncated), T_CASE(nv_bad_header),
       T_CASE(nv_length_larger_than_file), T_CASE(nv_missing_file),
       T_CASE(nv_not_a_regular_file), T_CASE(nv_c17_erase), T_CASE(nv_leftover_tmp_after_crash),
       T_CASE(nv_non_object_body_refused), T_CASE(nv_save_errors),
       T_CASE(creds_c10_allowed), T_CASE(creds_c10_port_and_path), T_CASE(creds_c10_ipv6_literal),
       T_CASE(creds_c10_http_refused), T_CASE(creds_c10_t_a_refused),
       T_CASE(creds_c10_other_host_refused), T_CASE(creds_c10_no_server_name_strict),
       T_CASE(creds_c10_malformed_url))
