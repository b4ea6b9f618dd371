/* store.c's own logic, without a database: which backend a --db argument
 * names, the password kept out of messages, revoke keys, the log's source
 * filter. */
#include "t.h"
#include "prov/store.h"

TEST(backend_from_argument)
{
    CHECK(s46_store_is_pg("postgresql:///s46?host=/run/pg"));
    CHECK(s46_store_is_pg("postgres://u@db.example/s46"));
    CHECK(!s46_store_is_pg("/var/lib/s46/prov.db"));
    CHECK(!s46_store_is_pg("postgresql.db")); /* a file with an unlucky name */
    CHECK(!s46_store_is_pg("postgresql:/x"));
    CHECK(!s46_store_is_pg(NULL));
}

TEST(redact_password)
{
    char b[128];
    CHECK_STR(s46_store_redact("prov.db", b, sizeof b), "prov.db");
    CHECK_STR(s46_store_redact("postgresql://u:secret@h:5432/s46", b, sizeof b),
              "postgresql://u:***@h:5432/s46");
    CHECK_STR(s46_store_redact("postgresql://u@h/s46?password=secret&sslmode=require", b,
                               sizeof b),
              "postgresql://u@h/s46?password=***&sslmode=require");
    CHECK_STR(s46_store_redact("postgres://u:a@b@h/s46?x=1&password=p", b, sizeof b),
              "postgres://u:***@h/s46?x=1&password=***");
    /* a key merely ending in "password" is not the password */
    CHECK_STR(s46_store_redact("postgresql:///s46?mypassword=x", b, sizeof b),
              "postgresql:///s46?mypassword=x");
    CHECK_STR(s46_store_redact("postgresql:///s46?host=/tmp/s", b, sizeof b),
              "postgresql:///s46?host=/tmp/s");
    char small[16];
    CHECK_STR(s46_store_redact("postgresql://u:secret@h/s46", small, sizeof small),
              "postgresql://u:");
    CHECK(!strstr(s46_store_redact("postgresql://u:secret@h/s46", b, 20), "secret"));
}

TEST(revoke_keys)
{
    char err[160];
    bool id, hash;
    CHECK_INT(s46_store_revoke_key("42", &id, &hash, err, sizeof err), 0);
    CHECK(id && !hash);
    CHECK_INT(s46_store_revoke_key("1234", &id, &hash, err, sizeof err), 0);
    CHECK(id && hash); /* an id first, else a hash prefix */
    CHECK_INT(s46_store_revoke_key("abcd", &id, &hash, err, sizeof err), 0);
    CHECK(!id && hash);
    CHECK_INT(s46_store_revoke_key("abc", &id, &hash, err, sizeof err), 2);
    CHECK_INT(s46_store_revoke_key("ABCD", &id, &hash, err, sizeof err), 2);
    CHECK_INT(s46_store_revoke_key("", &id, &hash, err, sizeof err), 2);
    CHECK_INT(s46_store_revoke_key("1234567890123456789", &id, &hash, err, sizeof err), 0);
    CHECK(!id && hash); /* 19 digits: not an id */
}

TEST(log_source_filter)
{
    s46_pfx6 p;
    CHECK(s46_pfx6_parse("2001:db8:12::/48", &p, NULL, 0) == 0);
    CHECK(s46_store_log_src_ok(NULL, NULL));
    CHECK(s46_store_log_src_ok(&p, "2001:db8:12:3400::1"));
    CHECK(!s46_store_log_src_ok(&p, "2001:db8:13::1"));
    CHECK(!s46_store_log_src_ok(&p, NULL));
    CHECK(!s46_store_log_src_ok(&p, "not an address"));
}

T_MAIN(T_CASE(backend_from_argument), T_CASE(redact_password), T_CASE(revoke_keys),
       T_CASE(log_source_filter))
