#include "lib/blocklog.h"
#include "lib/addr.h"
#include "lib/err.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 160

struct s46_blocklog {
    pthread_mutex_t mu;
    char *path, *dir, *app;
    uint64_t max_bytes, size;
    unsigned keep;
    int fd;
    uint64_t seq, synced;
    int sfd;                     /* syslog socket, -1 none */
    struct sockaddr_storage sa;
    socklen_t salen;
    char host[64];
    s46_blocklog_stats st;
};

static const char *const event_names[] = {NULL, "alloc", "release", "start", "stop"};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fmt_time(int64_t t_ms, char out[32])
{
    time_t s = (time_t)(t_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(t_ms % 1000));
}

size_t s46_blocklog_format(const s46_blocklog_rec *r, char *buf, size_t n)
{
    char t[32], sub[S46_IP6_STRLEN], ext[S46_IP4_STRLEN];
    fmt_time(r->t_ms, t);
    int k;
    if (r->event == S46_BLOCKLOG_ALLOC || r->event == S46_BLOCKLOG_RELEASE) {
        s46_ip6 a;
        memcpy(a.b, r->sub.b, 16);
        k = snprintf(buf, n, "%s %s %s %s %u-%u\n", t, event_names[r->event],
                     s46_ip6_format(&a, sub), s46_ip4_format(r->ext_addr, ext), r->first,
                     r->last);
    } else {
        k = snprintf(buf, n, "%s %s - - -\n", t,
                     event_names[r->event == S46_BLOCKLOG_STOP ? 4 : 3]);
    }
    return k < 0 ? 0 : (size_t)k >= n ? n - 1 : (size_t)k;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static int parse_time(const char *s, int64_t *t_ms)
{
    int y, mo, d, h, mi, se, ms, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &se, &ms, &n) != 7 ||
        n != 24 || s[n] != '\0')
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970 ||
        ms < 0 || h < 0 || mi < 0 || se < 0)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = se};
    *t_ms = (int64_t)timegm(&tm) * 1000 + ms;
    return 0;
}

int s46_blocklog_parse(const char *line, s46_blocklog_rec *r)
{
    char buf[LINE_MAX_LEN], *f[6], *save = NULL;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\n')
        len--;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    int n = 0;
    for (char *p = strtok_r(buf, " ", &save); p && n < 6; p = strtok_r(NULL, " ", &save))
        f[n++] = p;
    if (n != 5)
        return -1;
    memset(r, 0, sizeof *r);
    if (parse_time(f[0], &r->t_ms) < 0)
        return -1;
    int ev = 0;
    for (int i = 1; i <= 4; i++)
        if (!strcmp(f[1], event_names[i]))
            ev = i;
    if (!ev)
        return -1;
    r->event = (s46_blocklog_event)ev;
    if (ev == S46_BLOCKLOG_START || ev == S46_BLOCKLOG_STOP)
        return strcmp(f[2], "-") || strcmp(f[3], "-") || strcmp(f[4], "-") ? -1 : 0;
    s46_ip6 a;
    unsigned first, last;
    int used = 0;
    if (s46_ip6_parse(f[2], &a) < 0 || s46_ip4_parse(f[3], &r->ext_addr) < 0 ||
        sscanf(f[4], "%5u-%5u%n", &first, &last, &used) != 2 || f[4][used] != '\0' ||
        first > last || last > 65535)
        return -1;
    memcpy(r->sub.b, a.b, 16);
    r->first = (uint16_t)first;
    r->last = (uint16_t)last;
    return 0;
}

static int open_file(s46_blocklog *l, char *err, size_t errlen)
{
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (l->fd < 0) {
        s46_seterr(err, errlen, "block log %s: %s", l->path, strerror(errno));
        return -1;
    }
    struct stat sb;
    l->size = fstat(l->fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    return 0;
}

static void sync_dir(const s46_blocklog *l)
{
    int d = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
        fsync(d);
        close(d);
    }
}

/* Under the mutex. */
static int do_sync(s46_blocklog *l, char *err, size_t errlen)
{
    if (l->synced >= l->seq)
        return 0;
    if (fdatasync(l->fd) < 0) {
        l->st.write_errors++;
        s46_seterr(err, errlen, "block log %s: fdatasync: %s", l->path, strerror(errno));
        return -1;
    }
    l->st.syncs++;
    l->synced = l->seq;
    return 0;
}

static int rotate(s46_blocklog *l, char *err, size_t errlen)
{
    if (do_sync(l, err, errlen) < 0)
        return -1;
    size_t n = strlen(l->path) + 16;
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) {
        free(a);
        free(b);
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    snprintf(a, n, "%s.%u", l->path, l->keep);
    unlink(a);
    for (unsigned i = l->keep; i > 1; i--) {
        snprintf(a, n, "%s.%u", l->path, i - 1);
        snprintf(b, n, "%s.%u", l->path, i);
        rename(a, b);
    }
    snprintf(b, n, "%s.1", l->path);
    int rc = rename(l->path, b);
    free(a);
    free(b);
    if (rc < 0) {
        l->st.write_errors++;
        s46_seterr(err, errlen, "block log %s: rotate: %s", l->path, strerror(errno));
        return -1;
    }
    close(l->fd);
    int r = open_file(l, err, errlen);
    sync_dir(l);
    l->st.rotations++;
    return r;
}

/* RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG, facility
 * local0 (16), severity informational (6). */
static void send_syslog(s46_blocklog *l, const s46_blocklog_rec *r)
{
    if (l->sfd < 0)
        return;
    char t[32], msg[512], sub[S46_IP6_STRLEN] = "-", ext[S46_IP4_STRLEN] = "-";
    fmt_time(r->t_ms, t);
    if (r->event == S46_BLOCKLOG_ALLOC || r->event == S46_BLOCKLOG_RELEASE) {
        s46_ip6 a;
        memcpy(a.b, r->sub.b, 16);
        s46_ip6_format(&a, sub);
        s46_ip4_format(r->ext_addr, ext);
    }
    int n = snprintf(msg, sizeof msg,
                     "<134>1 %s %s %s %ld BLOCK [s46block@32473 event=\"%s\" subscriber=\"%s\""
                     " ipv4=\"%s\" first=\"%u\" last=\"%u\"] %s %s %s %u-%u",
                     t, l->host, l->app, (long)getpid(), event_names[r->event], sub, ext,
                     r->first, r->last, event_names[r->event], sub, ext, r->first, r->last);
    if (n > 0 && sendto(l->sfd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1,
                        MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&l->sa, l->salen) >= 0)
        l->st.syslog_sent++;
    else
        l->st.syslog_errors++;
}

static int open_syslog(s46_blocklog *l, const char *spec, char *err, size_t errlen)
{
    if (!strncmp(spec, "unix:", 5)) {
        struct sockaddr_un *un = (struct sockaddr_un *)&l->sa;
        if (strlen(spec + 5) >= sizeof un->sun_path || !spec[5])
            goto bad;
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, spec + 5);
        l->salen = sizeof *un;
        l->sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    } else if (!strncmp(spec, "udp:", 4)) {
        char host[128], *port;
        const char *h = spec + 4;
        if (strlen(h) >= sizeof host)
            goto bad;
        strcpy(host, h);
        char *hp = host;
        if (*hp == '[') {
            char *e = strchr(hp, ']');
            if (!e || e[1] != ':')
                goto bad;
            *e = '\0';
            hp++;
            port = e + 2;
        } else {
            port = strrchr(hp, ':');
            if (!port)
                goto bad;
            *port++ = '\0';
        }
        struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                                 .ai_socktype = SOCK_DGRAM}, *ai;
        if (getaddrinfo(hp, port, &hints, &ai) != 0)
            goto bad;
        memcpy(&l->sa, ai->ai_addr, ai->ai_addrlen);
        l->salen = ai->ai_addrlen;
        l->sfd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        freeaddrinfo(ai);
    } else {
        goto bad;
    }
    if (l->sfd < 0) {
        s46_seterr(err, errlen, "block log syslog %s: %s", spec, strerror(errno));
        return -1;
    }
    return 0;
bad:
    s46_seterr(err, errlen, "block log syslog '%s': want unix:PATH or udp:ADDRESS:PORT", spec);
    return -1;
}

static int write_locked(s46_blocklog *l, const s46_blocklog_rec *in, uint64_t *seq, char *err,
                        size_t errlen)
{
    s46_blocklog_rec r = *in;
    if (r.t_ms == 0)
        r.t_ms = now_ms();
    char line[LINE_MAX_LEN];
    size_t n = s46_blocklog_format(&r, line, sizeof line);
    if (l->size > 0 && l->size + n > l->max_bytes && rotate(l, err, errlen) < 0)
        return -1;
    ssize_t w = write(l->fd, line, n);
    if (w != (ssize_t)n) {
        l->st.write_errors++;
        s46_seterr(err, errlen, "block log %s: write: %s", l->path,
                   w < 0 ? strerror(errno) : "short write");
        if (w > 0) /* never leave half a line: the next one starts on its own */
            (void)!write(l->fd, "\n", 1);
        return -1;
    }
    l->size += n;
    l->st.records++;
    if (seq)
        *seq = ++l->seq;
    else
        ++l->seq;
    send_syslog(l, &r);
    return 0;
}

s46_blocklog *s46_blocklog_open(const s46_blocklog_conf *c, char *err, size_t errlen)
{
    s46_blocklog *l = calloc(1, sizeof *l);
    if (!l || !c->path || !*c->path) {
        s46_seterr(err, errlen, l ? "block log: no path" : "out of memory");
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    l->fd = l->sfd = -1;
    l->max_bytes = c->max_bytes ? c->max_bytes : 64ull << 20;
    l->keep = c->keep ? c->keep : 10;
    l->path = strdup(c->path);
    l->app = strdup(c->app_name ? c->app_name : "s46-aftr");
    l->dir = strdup(c->path);
    if (!l->path || !l->app || !l->dir) {
        s46_seterr(err, errlen, "out of memory");
        goto fail;
    }
    char *slash = strrchr(l->dir, '/');
    if (!slash)
        strcpy(l->dir, ".");
    else if (slash == l->dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    if (gethostname(l->host, sizeof l->host - 1) < 0 || !l->host[0])
        strcpy(l->host, "-");
    if (c->syslog && open_syslog(l, c->syslog, err, errlen) < 0)
        goto fail;
    if (open_file(l, err, errlen) < 0)
        goto fail;
    sync_dir(l);
    s46_blocklog_rec start = {.event = S46_BLOCKLOG_START};
    if (write_locked(l, &start, NULL, err, errlen) < 0 || do_sync(l, err, errlen) < 0)
        goto fail;
    return l;
fail:
    if (l->fd >= 0)
        close(l->fd);
    if (l->sfd >= 0)
        close(l->sfd);
    free(l->path);
    free(l->app);
    free(l->dir);
    pthread_mutex_destroy(&l->mu);
    free(l);
    return NULL;
}

void s46_blocklog_close(s46_blocklog *l)
{
    if (!l)
        return;
    s46_blocklog_rec stop = {.event = S46_BLOCKLOG_STOP};
    if (write_locked(l, &stop, NULL, NULL, 0) == 0)
        do_sync(l, NULL, 0);
    close(l->fd);
    if (l->sfd >= 0)
        close(l->sfd);
    free(l->path);
    free(l->app);
    free(l->dir);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

int s46_blocklog_write(s46_blocklog *l, const s46_blocklog_rec *r, uint64_t *seq, char *err,
                       size_t errlen)
{
    pthread_mutex_lock(&l->mu);
    int rc = write_locked(l, r, seq, err, errlen);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int s46_blocklog_sync(s46_blocklog *l, uint64_t seq, char *err, size_t errlen)
{
    pthread_mutex_lock(&l->mu);
    int rc = l->synced >= seq ? 0 : do_sync(l, err, errlen);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void s46_blocklog_stats_get(s46_blocklog *l, s46_blocklog_stats *s)
{
    pthread_mutex_lock(&l->mu);
    *s = l->st;
    pthread_mutex_unlock(&l->mu);
}

int s46_blocklog_cgn_cb(void *writer, const s46_cgn_block_event *ev)
{
    s46_blocklog_writer *w = writer;
    s46_blocklog_rec r = {.event = ev->kind == S46_CGN_BLOCK_ALLOC ? S46_BLOCKLOG_ALLOC
                                                                    : S46_BLOCKLOG_RELEASE,
                          .sub = ev->sub, .ext_addr = ev->ext_addr, .first = ev->port_first,
                          .last = ev->port_last};
    uint64_t seq;
    if (s46_blocklog_write(w->log, &r, &seq, NULL, 0) < 0)
        return -1;
    w->pending = seq;
    return 0;
}

int s46_blocklog_writer_flush(s46_blocklog_writer *w, char *err, size_t errlen)
{
    if (!w->pending)
        return 0;
    int rc = s46_blocklog_sync(w->log, w->pending, err, errlen);
    if (rc == 0)
        w->pending = 0;
    return rc;
}
