/* The port-block log (lib/blocklog.h): records, parsing, rotation, syslog,
 * and a writer killed with SIGKILL loses no block it reported flushed. */
#include "t.h"
#include "lib/blocklog.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void mkdir_tmp(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/s46t_blocklog.XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
}

static void path_in(char *out, size_t n, const char *name)
{
    mkdir_tmp();
    snprintf(out, n, "%s/%s", dir, name);
}

/* Reads every parsable record of a file; returns the count, -1 if absent. */
static int read_recs(const char *path, s46_blocklog_rec *out, int max, int *bad)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        s46_blocklog_rec r;
        if (s46_blocklog_parse(line, &r) == 0) {
            if (n < max)
                out[n] = r;
            n++;
        } else if (bad) {
            (*bad)++;
        }
    }
    fclose(f);
    return n;
}

static s46_cgn_key key(unsigned i)
{
    s46_cgn_key k = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, (uint8_t)(i >> 16), 0, 0, 0, 0, 0, 0,
                      (uint8_t)(i >> 8), (uint8_t)i}};
    return k;
}

TEST(format_and_parse)
{
    s46_blocklog_rec r = {.t_ms = 1714564800123, .event = S46_BLOCKLOG_ALLOC, .sub = key(2),
                          .ext_addr = 0xc6336407, .first = 1536, .last = 2047};
    char line[200];
    s46_blocklog_format(&r, line, sizeof line);
    CHECK_STR(line, "2024-05-01T12:00:00.123Z alloc 2001:db8::2 198.51.100.7 1536-2047\n");
    s46_blocklog_rec p;
    CHECK_INT(s46_blocklog_parse(line, &p), 0);
    CHECK_INT(p.t_ms, r.t_ms);
    CHECK_INT(p.event, S46_BLOCKLOG_ALLOC);
    CHECK(!memcmp(p.sub.b, r.sub.b, 16));
    CHECK_INT(p.ext_addr, r.ext_addr);
    CHECK_INT(p.first, 1536);
    CHECK_INT(p.last, 2047);
    CHECK_INT(s46_blocklog_parse("2024-05-01T12:00:00.123Z stop - - -", &p), 0);
    CHECK_INT(p.event, S46_BLOCKLOG_STOP);
    /* torn or wrong lines */
    CHECK_INT(s46_blocklog_parse("2024-05-01T12:00:00.123Z alloc 2001:db8::2 198.51.100.7 15", &p), -1);
    CHECK_INT(s46_blocklog_parse("2024-05-01T12:00:00.123Z alloc 2001:db8::2 198.51.100.7", &p), -1);
    CHECK_INT(s46_blocklog_parse("2024-05-01 alloc 2001:db8::2 198.51.100.7 1-2", &p), -1);
    CHECK_INT(s46_blocklog_parse("2024-05-01T12:00:00.123Z grab 2001:db8::2 198.51.100.7 1-2", &p), -1);
    CHECK_INT(s46_blocklog_parse("2024-05-01T12:00:00.123Z alloc 2001:db8::2 198.51.100.7 9-2", &p), -1);
    CHECK_INT(s46_blocklog_parse("", &p), -1);
}

TEST(records_from_the_cgn)
{
    char path[128];
    path_in(path, sizeof path, "cgn.log");
    unlink(path);
    char err[160];
    s46_blocklog_conf lc = {.path = path};
    s46_blocklog *l = s46_blocklog_open(&lc, err, sizeof err);
    CHECK(l);
    s46_blocklog_writer w = {l, 0};
    s46_pfx4 pool[] = {{0xc6336400, 30}};
    s46_cgn_config c;
    s46_cgn_config_default(&c);
    c.pool = pool;
    c.npool = 1;
    c.block_idle = 10;
    c.on_block = s46_blocklog_cgn_cb;
    c.on_block_arg = &w;
    s46_cgn *g = s46_cgn_new(&c, err, sizeof err);
    CHECK(g);
    s46_blocklog_stats st0, st1;
    s46_blocklog_stats_get(l, &st0);
    s46_cgn_flow f = {.sub = key(1), .int_addr = 0xc0000002, .int_port = 1, .rem_addr = 1,
                      .rem_port = 2, .proto = S46_CGN_UDP};
    CHECK_INT(s46_cgn_outbound(g, &f, 0, 100), S46_CGN_OK);
    CHECK(f.new_block);
    CHECK(w.pending > 0);
    CHECK_INT(s46_blocklog_writer_flush(&w, err, sizeof err), 0);
    CHECK_INT(w.pending, 0);
    s46_blocklog_stats_get(l, &st1);
    CHECK_INT(st1.syncs, st0.syncs + 1);
    /* a batch without block events syncs nothing */
    CHECK_INT(s46_cgn_outbound(g, &f, 0, 101), S46_CGN_OK);
    CHECK_INT(s46_blocklog_writer_flush(&w, err, sizeof err), 0);
    s46_blocklog_stats_get(l, &st0);
    CHECK_INT(st0.syncs, st1.syncs);
    /* expiry releases the block: a release record */
    s46_cgn_expire(g, 101 + 300, 1000);     /* the session ends: idle from now */
    s46_cgn_expire(g, 101 + 300 + 9, 1000);
    CHECK_INT(w.pending, 0);
    s46_cgn_expire(g, 101 + 300 + 10, 1000); /* block_idle later: released */
    CHECK(w.pending > 0);
    CHECK_INT(s46_blocklog_writer_flush(&w, err, sizeof err), 0);
    s46_cgn_free(g);
    s46_blocklog_close(l);
    s46_blocklog_rec r[8];
    CHECK_INT(read_recs(path, r, 8, NULL), 4);
    CHECK_INT(r[0].event, S46_BLOCKLOG_START);
    CHECK_INT(r[1].event, S46_BLOCKLOG_ALLOC);
    CHECK_INT(r[2].event, S46_BLOCKLOG_RELEASE);
    CHECK_INT(r[3].event, S46_BLOCKLOG_STOP);
    CHECK(!memcmp(r[1].sub.b, key(1).b, 16));
    CHECK_INT(r[1].ext_addr, f.ext_addr);
    CHECK(f.ext_port >= r[1].first && f.ext_port <= r[1].last);
    CHECK_INT(r[1].last - r[1].first, 511);
    CHECK_INT(r[2].first, r[1].first);
    CHECK(r[1].t_ms <= r[2].t_ms);
}

TEST(rotation_keeps_n_files)
{
    char path[128], p1[140], p2[140], p3[140];
    path_in(path, sizeof path, "rot.log");
    snprintf(p1, sizeof p1, "%s.1", path);
    snprintf(p2, sizeof p2, "%s.2", path);
    snprintf(p3, sizeof p3, "%s.3", path);
    unlink(path);
    unlink(p1);
    unlink(p2);
    unlink(p3);
    char err[160];
    s46_blocklog_conf lc = {.path = path, .max_bytes = 1000, .keep = 2};
    s46_blocklog *l = s46_blocklog_open(&lc, err, sizeof err);
    CHECK(l);
    enum { N = 100 };
    for (unsigned i = 0; i < N; i++) {
        s46_blocklog_rec r = {.event = S46_BLOCKLOG_ALLOC, .sub = key(i), .ext_addr = 0xc6336401,
                              .first = (uint16_t)(1024 + i), .last = (uint16_t)(1024 + i)};
        uint64_t seq;
        CHECK_INT(s46_blocklog_write(l, &r, &seq, err, sizeof err), 0);
        CHECK_INT(seq, i + 2); /* the start record is 1 */
    }
    s46_blocklog_stats st;
    s46_blocklog_stats_get(l, &st);
    CHECK(st.rotations >= 5);
    s46_blocklog_close(l);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && sb.st_size <= 1000);
    CHECK(stat(p1, &sb) == 0 && sb.st_size <= 1000);
    CHECK(stat(p2, &sb) == 0 && sb.st_size <= 1000);
    CHECK(stat(p3, &sb) != 0);
    /* the three files hold the newest records in order, none torn */
    static s46_blocklog_rec r[300];
    int bad = 0, n = 0, k;
    const char *files[] = {p2, p1, path};
    for (int f = 0; f < 3; f++) {
        CHECK((k = read_recs(files[f], r + n, 300 - n, &bad)) > 0);
        n += k;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(r[n - 1].event, S46_BLOCKLOG_STOP);
    unsigned last = r[n - 2].first;
    CHECK_INT(last, 1024 + N - 1);
    for (int i = 1; i < n - 1; i++)
        CHECK_INT(r[i].first, r[i - 1].first + 1);
}

TEST(syslog_rfc5424_over_unix_socket)
{
    char path[128], sock[128];
    path_in(path, sizeof path, "sys.log");
    path_in(sock, sizeof sock, "syslog.sock");
    unlink(sock);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, sock);
    CHECK(bind(s, (struct sockaddr *)&un, sizeof un) == 0);
    char spec[160], err[160];
    snprintf(spec, sizeof spec, "unix:%s", sock);
    s46_blocklog_conf lc = {.path = path, .syslog = spec, .app_name = "aftr-test"};
    s46_blocklog *l = s46_blocklog_open(&lc, err, sizeof err);
    CHECK(l);
    s46_blocklog_rec r = {.event = S46_BLOCKLOG_ALLOC, .sub = key(5), .ext_addr = 0xc6336409,
                          .first = 2048, .last = 2559};
    CHECK_INT(s46_blocklog_write(l, &r, NULL, err, sizeof err), 0);
    char msg[600];
    ssize_t n = recv(s, msg, sizeof msg - 1, MSG_DONTWAIT); /* the start record */
    CHECK(n > 0);
    n = recv(s, msg, sizeof msg - 1, MSG_DONTWAIT);
    CHECK(n > 0);
    msg[n] = '\0';
    CHECK(!strncmp(msg, "<134>1 20", 9));
    CHECK(strstr(msg, " aftr-test ") != NULL);
    CHECK(strstr(msg, "[s46block@32473 event=\"alloc\" subscriber=\"2001:db8::5\" "
                      "ipv4=\"198.51.100.9\" first=\"2048\" last=\"2559\"]") != NULL);
    s46_blocklog_close(l);
    close(s);
    /* a bad spec is refused */
    lc.syslog = "tcp:1.2.3.4:514";
    CHECK(s46_blocklog_open(&lc, err, sizeof err) == NULL);
}

/* A child allocates blocks for ever, flushing after each "packet" and then
 * reporting the subscriber on a pipe; killed with SIGKILL, every subscriber
 * it reported must have its alloc record in the file. */
TEST(kill_9_loses_no_flushed_block)
{
    char path[128];
    path_in(path, sizeof path, "kill.log");
    unlink(path);
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        char err[160];
        s46_blocklog_conf lc = {.path = path, .max_bytes = 1 << 20};
        s46_blocklog *l = s46_blocklog_open(&lc, err, sizeof err);
        if (!l)
            _exit(3);
        s46_blocklog_writer w = {l, 0};
        s46_pfx4 pool[] = {{0x64400000, 16}};
        s46_cgn_config c;
        s46_cgn_config_default(&c);
        c.pool = pool;
        c.npool = 1;
        c.max_subscribers = 200000;
        c.max_blocks = 200000;
        c.on_block = s46_blocklog_cgn_cb;
        c.on_block_arg = &w;
        s46_cgn *g = s46_cgn_new(&c, err, sizeof err);
        if (!g)
            _exit(4);
        for (uint32_t i = 0; i < 200000; i++) {
            s46_cgn_flow f = {.sub = key(i), .int_addr = 0xc0000002, .int_port = 1,
                              .rem_addr = 1, .rem_port = 2, .proto = S46_CGN_UDP};
            if (s46_cgn_outbound(g, &f, 0, 1) != S46_CGN_OK || !f.new_block ||
                s46_blocklog_writer_flush(&w, err, sizeof err) < 0)
                _exit(5);
            uint32_t msg[2] = {i, f.ext_addr};
            if (write(pfd[1], msg, sizeof msg) != sizeof msg)
                _exit(6);
        }
        _exit(0);
    }
    close(pfd[1]);
    static uint32_t reported[2000][2];
    int n = 0;
    while (n < 2000 && read(pfd[0], reported[n], sizeof reported[n]) == sizeof reported[n])
        n++;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(pfd[0]);
    CHECK_INT(n, 2000);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    static s46_blocklog_rec r[250000];
    int bad = 0, k = read_recs(path, r, 250000, &bad);
    CHECK(k >= 2001);
    CHECK_INT(bad, 0);
    CHECK_INT(r[0].event, S46_BLOCKLOG_START);
    CHECK(r[k - 1].event != S46_BLOCKLOG_STOP);
    for (int i = 0; i < n; i++) {
        s46_cgn_key want = key(reported[i][0]);
        CHECK_INT(r[i + 1].event, S46_BLOCKLOG_ALLOC);
        CHECK(!memcmp(r[i + 1].sub.b, want.b, 16));
        CHECK_INT(r[i + 1].ext_addr, reported[i][1]);
    }
}

TEST(cleanup)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(dir[0] && system(cmd) == 0);
}

T_MAIN(T_CASE(format_and_parse), T_CASE(records_from_the_cgn), T_CASE(rotation_keeps_n_files),
       T_CASE(syslog_rfc5424_over_unix_socket), T_CASE(kill_9_loses_no_flushed_block),
       T_CASE(cleanup))
