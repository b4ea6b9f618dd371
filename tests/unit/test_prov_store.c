#include "t.h"
#include "prov/profile.h"
#include "prov/store.h"

#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

static char dbpath[64];

static s46_store *fresh(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/s46-store-%d.db", (int)getpid());
    unlink(dbpath);
    char w[80];
    snprintf(w, sizeof w, "%s-wal", dbpath); unlink(w);
    snprintf(w, sizeof w, "%s-shm", dbpath); unlink(w);
    char err[160];
    return s46_store_open(dbpath, S46_STORE_CREATE, err, sizeof err);
}

static int count_cb(void *ctx, const void *x) { (void)x; ++*(int *)ctx; return 0; }

TEST(open_needs_create_flag)
{
    char err[160];
    CHECK(!s46_store_open("/tmp/s46-no-such-dir/x.db", 0, err, sizeof err));
    CHECK(strstr(err, "does not exist"));
    s46_store *st = fresh();
    CHECK(st);
    s46_store_close(st);
    st = s46_store_open(dbpath, 0, err, sizeof err); /* exists now, schema current */
    CHECK(st);
    s46_store_close(st);
}

TEST(profile_put_list_remove)
{
    char err[160];
    s46_store *st = fresh();
    CHECK(st);
    s46_store_profile p = {"2001:db8::/32", "a", "{\"order\":[]}", NULL, 1};
    CHECK_INT(s46_store_profile_put(st, &p, false, err, sizeof err), 0);
    CHECK_INT(s46_store_profile_put(st, &p, false, err, sizeof err), 2);
    CHECK(strstr(err, "exists"));
    CHECK_INT(s46_store_profile_put(st, &p, true, err, sizeof err), 0);
    int n = 0;
    CHECK_INT(s46_store_profile_each(st, (s46_store_profile_cb)count_cb, &n, err, sizeof err), 0);
    CHECK_INT(n, 1);
    CHECK_INT(s46_store_profile_remove(st, "2001:db8::/32", err, sizeof err), 0);
    CHECK_INT(s46_store_profile_remove(st, "2001:db8::/32", err, sizeof err), 1);
    s46_store_close(st);
}

static int ver_cb(void *ctx, const s46_store_profile_version *v)
{
    char *out = ctx;
    size_t n = strlen(out);
    snprintf(out + n, 200 - n, "%s%s %s %lld %lld", n ? ";" : "", v->prefix, v->tmpl,
             (long long)v->valid_from, (long long)v->valid_to);
    return 0;
}

static const char *versions_at(s46_store *st, int64_t t)
{
    static char out[200];
    char err[160];
    out[0] = '\0';
    if (s46_store_profile_at(st, t, ver_cb, out, err, sizeof err) != 0)
        snprintf(out, sizeof out, "error %s", err);
    return out;
}

TEST(profile_versions_in_force)
{
    char err[160];
    s46_store *st = fresh();
    CHECK(st);
    s46_store_profile a = {"2001:db8::/32", "a", "{\"v\":1}", NULL, 100};
    s46_store_profile b = {"2001:db8::/32", "a", "{\"v\":2}", NULL, 200};
    s46_store_profile o = {"2001:db9::/32", "o", "{\"v\":9}", NULL, 150};
    CHECK_INT(s46_store_profile_put(st, &a, false, err, sizeof err), 0);
    CHECK_INT(s46_store_profile_put(st, &o, false, err, sizeof err), 0);
    /* a refused add leaves no version */
    CHECK_INT(s46_store_profile_put(st, &b, false, err, sizeof err), 2);
    CHECK_STR(versions_at(st, 199), "2001:db8::/32 {\"v\":1} 100 -1;2001:db9::/32 {\"v\":9} 150 -1");
    CHECK_INT(s46_store_profile_put(st, &b, true, err, sizeof err), 0);
    CHECK_STR(versions_at(st, 99), "");
    CHECK_STR(versions_at(st, 100), "2001:db8::/32 {\"v\":1} 100 200");
    CHECK_STR(versions_at(st, 199), "2001:db8::/32 {\"v\":1} 100 200;2001:db9::/32 {\"v\":9} 150 -1");
    CHECK_STR(versions_at(st, 200), "2001:db8::/32 {\"v\":2} 200 -1;2001:db9::/32 {\"v\":9} 150 -1");
    int64_t now = (int64_t)time(NULL);
    CHECK_INT(s46_store_profile_remove(st, "2001:db9::/32", err, sizeof err), 0);
    CHECK_STR(versions_at(st, now + 5), "2001:db8::/32 {\"v\":2} 200 -1");
    CHECK(strstr(versions_at(st, 160), "2001:db9::/32 {\"v\":9} 150 ") != NULL);
    s46_store_close(st);
}

static int tok_cb(void *ctx, const s46_store_token *t)
{
    snprintf(ctx, 80, "%lld %s %s %d", (long long)t->id, t->hash, t->prefix, t->revoked);
    return 0;
}

TEST(token_add_revoke_by_id_and_prefix)
{
    char err[160], out[80] = "";
    s46_store *st = fresh();
    CHECK(st);
    const char *h1 = "aaaa111100000000000000000000000000000000000000000000000000000000";
    const char *h2 = "aaaa222200000000000000000000000000000000000000000000000000000000";
    CHECK_INT(s46_store_begin(st, err, sizeof err), 0);
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = h1, .prefix = "2001:db8::/32",
                                                         .created = 10}, err, sizeof err), 0);
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = h2, .prefix = "2001:db8::/32",
                                                         .created = 10}, err, sizeof err), 0);
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = h1, .prefix = "2001:db8::/48",
                                                         .created = 11}, err, sizeof err), 0);
    CHECK_INT(s46_store_token_seen(st, h1, 20, err, sizeof err), 0);
    CHECK_INT(s46_store_commit(st, err, sizeof err), 0);
    int64_t id = 0;
    CHECK_INT(s46_store_token_revoke(st, "aaaa", &id, err, sizeof err), 2);
    CHECK_INT(s46_store_token_revoke(st, "AAAA", &id, err, sizeof err), 2);
    CHECK_INT(s46_store_token_revoke(st, "bbbb", &id, err, sizeof err), 1);
    CHECK_INT(s46_store_token_revoke(st, "aaaa2", &id, err, sizeof err), 0);
    CHECK_INT(id, 2);
    CHECK_INT(s46_store_token_revoke(st, "1", &id, err, sizeof err), 0);
    CHECK_INT(id, 1);
    CHECK_INT(s46_store_token_each(st, S46_STORE_REVOKED, tok_cb, out, err, sizeof err), 0);
    CHECK(strstr(out, "2 aaaa2222") == out);
    int n = 0;
    CHECK_INT(s46_store_token_each(st, S46_STORE_LIVE, (s46_store_token_cb)count_cb, &n, err,
                                   sizeof err), 0);
    CHECK_INT(n, 0);
    /* A rolled-back batch leaves nothing behind. */
    CHECK_INT(s46_store_begin(st, err, sizeof err), 0);
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = "bb", .prefix = "2001:db8::/32",
                                                         .created = 10}, err, sizeof err), 0);
    s46_store_rollback(st);
    n = 0;
    CHECK_INT(s46_store_token_each(st, S46_STORE_LIVE | S46_STORE_REVOKED,
                                   (s46_store_token_cb)count_cb, &n, err, sizeof err), 0);
    CHECK_INT(n, 2);
    s46_store_close(st);
}

struct tok_list { char s[512]; };
static int tok_list_cb(void *ctx, const s46_store_token *t)
{
    struct tok_list *l = ctx;
    size_t n = strlen(l->s);
    snprintf(l->s + n, sizeof l->s - n, "%.4s:%s:%s:%d ", t->hash, t->owner ? t->owner : "-",
             t->user ? t->user : "-", t->revoked);
    return 0;
}

/* Issue 16 (tokens): a token records its owner and subscriber; unused
 * tokens are pruned; a replaced one is deleted; removing a subscriber
 * revokes its tokens in the same transaction. */
TEST(token_owner_prune_delete_user_remove)
{
    char err[160];
    s46_store *st = fresh();
    CHECK(st);
    s46_store_user u = {"alice", "$argon2id$x", NULL, 1};
    CHECK_INT(s46_store_user_put(st, &u, err, sizeof err), 0);
    CHECK_INT(s46_store_begin(st, err, sizeof err), 0);
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = "aa01", .prefix = "2001:db8::/32",
              .owner = "2001:db8:1::/56", .created = 100}, err, sizeof err), 0);
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = "bb02", .prefix = "2001:db8::/32",
              .owner = "user:alice", .user = "alice", .created = 100}, err, sizeof err), 0);
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = "cc03", .prefix = "2001:db8::/32",
              .owner = "2001:db8:1::/56", .created = 100}, err, sizeof err), 0);
    CHECK_INT(s46_store_token_seen(st, "cc03", 500, err, sizeof err), 0);
    CHECK_INT(s46_store_token_delete(st, "dd04", err, sizeof err), 0);
    CHECK_INT(s46_store_commit(st, err, sizeof err), 0);
    struct tok_list l = {""};
    CHECK_INT(s46_store_token_each(st, S46_STORE_LIVE, tok_list_cb, &l, err, sizeof err), 0);
    CHECK_STR(l.s, "aa01:2001:db8:1::/56:-:0 bb02:user:alice:alice:0 cc03:2001:db8:1::/56:-:0 ");
    int64_t n = -1;
    CHECK_INT(s46_store_user_remove(st, "alice", &n, err, sizeof err), 0);
    CHECK_INT(n, 1);
    CHECK_INT(s46_store_user_remove(st, "alice", &n, err, sizeof err), 1);
    l.s[0] = 0;
    CHECK_INT(s46_store_token_each(st, S46_STORE_REVOKED, tok_list_cb, &l, err, sizeof err), 0);
    CHECK_STR(l.s, "bb02:user:alice:alice:1 ");
    CHECK_INT(s46_store_token_prune(st, 200, &n, err, sizeof err), 0);
    CHECK_INT(n, 2); /* aa01 and bb02: last seen at 100 */
    CHECK_INT(s46_store_token_delete(st, "cc03", err, sizeof err), 0);
    l.s[0] = 0;
    CHECK_INT(s46_store_token_each(st, S46_STORE_LIVE | S46_STORE_REVOKED, tok_list_cb, &l, err,
                                   sizeof err), 0);
    CHECK_STR(l.s, "");
    s46_store_close(st);
}

static int log_cb(void *ctx, const s46_store_logrec *r)
{
    snprintf(ctx, 80, "%s %d %s", r->src, r->status, r->mechs ? r->mechs : "-");
    return 0;
}

TEST(log_filter_by_time_and_source)
{
    char err[160], out[80] = "";
    s46_store *st = fresh();
    CHECK(st);
    s46_store_logrec a = {.t_ms = 1000, .src = "2001:db8:1::1", .status = 200, .mechs = "map_e"};
    s46_store_logrec b = {.t_ms = 2000, .src = "2001:db8:2::1", .status = 403};
    CHECK_INT(s46_store_log_add(st, &a, err, sizeof err), 0);
    CHECK_INT(s46_store_log_add(st, &b, err, sizeof err), 0);
    s46_pfx6 p;
    CHECK_INT(s46_pfx6_parse("2001:db8:1::/48", &p, err, sizeof err), 0);
    CHECK_INT(s46_store_log_each(st, 0, &p, log_cb, out, err, sizeof err), 0);
    CHECK_STR(out, "2001:db8:1::1 200 map_e");
    CHECK_INT(s46_store_log_each(st, 1500, NULL, log_cb, out, err, sizeof err), 0);
    CHECK_STR(out, "2001:db8:2::1 403 -");
    s46_store_close(st);
}

static int count_log(void *ctx, const s46_store_logrec *r) { (void)r; ++*(int *)ctx; return 0; }

TEST(log_prune_in_batches_keeps_newer_rows)
{
    char err[160];
    s46_store *st = fresh();
    CHECK(st);
    CHECK_INT(s46_store_begin(st, err, sizeof err), 0);
    for (int i = 0; i < 25000; i++) { /* t_ms 0..24999: 21 234 rows before the cut */
        s46_store_logrec r = {.t_ms = i, .src = "2001:db8:1::1", .status = 200};
        CHECK_INT(s46_store_log_add(st, &r, err, sizeof err), 0);
    }
    CHECK_INT(s46_store_commit(st, err, sizeof err), 0);
    int64_t n = -1;
    CHECK_INT(s46_store_log_prune(st, 21234, &n, err, sizeof err), 0);
    CHECK_INT(n, 21234);
    int left = 0;
    CHECK_INT(s46_store_log_each(st, 0, NULL, count_log, &left, err, sizeof err), 0);
    CHECK_INT(left, 25000 - 21234);
    left = 0;
    CHECK_INT(s46_store_log_each(st, 21234, NULL, count_log, &left, err, sizeof err), 0);
    CHECK_INT(left, 25000 - 21234); /* exactly the newer ones stayed */
    CHECK_INT(s46_store_log_prune(st, 21234, &n, err, sizeof err), 0);
    CHECK_INT(n, 0);
    s46_store_close(st);
}

TEST(profile_validation)
{
    char err[160];
    json_error_t je;
    json_t *good = json_loads("{\"ttl\":60,\"order\":[\"dslite\"],"
                              "\"dslite\":{\"aftr\":\"a.example\"},"
                              "\"s46_server\":{\"ttl_jitter\":5},\"token\":\"x\"}", 0, &je);
    json_t *t, *s;
    CHECK_INT(s46_profile_split(good, 0, &t, &s, err, sizeof err), -1);
    CHECK(strstr(err, "token"));
    CHECK_INT(s46_profile_split(good, S46_PROFILE_DROP_PER_CE, &t, &s, err, sizeof err), 0);
    CHECK(json_is_object(s) && !json_object_get(t, "s46_server") && !json_object_get(t, "token"));
    s46_profile p;
    CHECK_INT(s46_profile_make("2001:db8::/32", "n", t, s, &p, err, sizeof err), 0);
    CHECK_INT(p.ttl_jitter, 5);
    s46_profile_free(&p);
    CHECK_INT(s46_profile_make("2001:db8::1/32", "n", t, s, &p, err, sizeof err), -1);
    json_decref(t);
    json_decref(s);
    json_decref(good);
    json_t *bad = json_loads("{\"order\":[\"map_e\"],\"map_e\":{\"br\":\"2001:db8::1\",\"rules\":"
                             "[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\","
                             "\"ea_length\":30,\"psid_offset\":6}]}}", 0, &je);
    CHECK_INT(s46_profile_split(bad, 0, &t, &s, err, sizeof err), -1);
    CHECK(strstr(err, "map_e"));
    json_decref(bad);
    json_t *opt = json_loads("{\"order\":[],\"s46_server\":{\"ttl_jiter\":5}}", 0, &je);
    CHECK_INT(s46_profile_split(opt, 0, &t, &s, err, sizeof err), -1);
    CHECK(strstr(err, "ttl_jiter"));
    json_decref(opt);
    unlink(dbpath);
}

/* A database made by the first schema version (profiles, subscribers). */
static void make_v1(const char *path, int version)
{
    sqlite3 *db;
    sqlite3_open(path, &db);
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE profiles (prefix TEXT PRIMARY KEY, name TEXT, template TEXT NOT NULL,"
             " server TEXT, updated INTEGER NOT NULL);"
             "CREATE TABLE subscribers (name TEXT PRIMARY KEY, hash TEXT NOT NULL, prefix TEXT,"
             " created INTEGER NOT NULL);"
             "INSERT INTO profiles VALUES ('2001:db8::/32', 'old', '{\"order\":[]}', NULL, 5);"
             "PRAGMA user_version = %d;", version);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
}

TEST(migrates_older_schema_keeping_rows)
{
    char err[160];
    s46_store *st = fresh();
    CHECK(st);
    s46_store_close(st);
    unlink(dbpath);
    make_v1(dbpath, 1);
    st = s46_store_open(dbpath, 0, err, sizeof err);
    CHECK(st);
    int n = 0;
    CHECK_INT(s46_store_profile_each(st, (s46_store_profile_cb)count_cb, &n, err, sizeof err), 0);
    CHECK_INT(n, 1);
    const char *h = "cc00000000000000000000000000000000000000000000000000000000000000";
    CHECK_INT(s46_store_token_add(st, &(s46_store_token){.hash = h, .prefix = "2001:db8::/32",
                                                         .created = 1}, err, sizeof err), 0);
    s46_store_close(st);
    sqlite3 *db;
    sqlite3_open(dbpath, &db);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL);
    CHECK_INT(sqlite3_step(q), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(q, 0), S46_STORE_SCHEMA);
    sqlite3_finalize(q);
    sqlite3_close(db);
    /* the profile that was there has a version from its update time */
    st = s46_store_open(dbpath, 0, err, sizeof err);
    CHECK(st);
    CHECK_STR(versions_at(st, 5), "2001:db8::/32 {\"order\":[]} 5 -1");
    CHECK_STR(versions_at(st, 4), "");
    s46_store_close(st);
}

TEST(newer_schema_refused)
{
    char err[160];
    s46_store *st = fresh();
    CHECK(st);
    s46_store_close(st);
    unlink(dbpath);
    make_v1(dbpath, 99);
    CHECK(!s46_store_open(dbpath, 0, err, sizeof err));
    CHECK(strstr(err, "schema version 99"));
}

T_MAIN(T_CASE(migrates_older_schema_keeping_rows), T_CASE(newer_schema_refused),
       T_CASE(open_needs_create_flag), T_CASE(profile_put_list_remove),
       T_CASE(profile_versions_in_force),
       T_CASE(token_add_revoke_by_id_and_prefix), T_CASE(log_filter_by_time_and_source),
       T_CASE(log_prune_in_batches_keeps_newer_rows), T_CASE(profile_validation),
       T_CASE(token_owner_prune_delete_user_remove))
