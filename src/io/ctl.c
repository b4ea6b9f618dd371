#include "io/ctl.h"
#include "lib/err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int mkparent(const char *path)
{
    char d[108];
    snprintf(d, sizeof d, "%s", path);
    char *s = strrchr(d, '/');
    if (!s || s == d)
        return 0;
    *s = '\0';
    if (mkdir(d, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

int s46_ctl_listen(s46_ctl *c, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    c->fd = -1;
    if (strlen(path) >= sizeof sa.sun_path) {
        s46_seterr(err, errlen, "control socket path too long");
        return -1;
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    strcpy(sa.sun_path, path);
    if (mkparent(path) < 0) {
        s46_seterr(err, errlen, "%s: cannot create its directory: %s", path, strerror(errno));
        return -1;
    }
    unlink(path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(c->fd, 16) < 0) {
        s46_seterr(err, errlen, "%s: %s", path, strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        return -1;
    }
    chmod(path, 0600);
    return 0;
}

void s46_ctl_serve(s46_ctl *c, s46_ctl_handler fn, void *arg)
{
    for (;;) {
        int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        char line[512];
        size_t n = 0;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        while (n < sizeof line - 1 && poll(&pf, 1, 200) == 1) {
            ssize_t r = read(fd, line + n, sizeof line - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            if (memchr(line, '\n', n))
                break;
        }
        line[n] = '\0';
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
            json_t *j = fn(line, arg);
            if (!j)
                j = json_pack("{s:s}", "error", "unknown command");
            char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
            if (s) {
                size_t len = strlen(s), off = 0;
                int fl = fcntl(fd, F_GETFL);
                fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
                struct timeval tv = {1, 0};
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
                while (off < len) {
                    ssize_t w = write(fd, s + off, len - off);
                    if (w <= 0)
                        break;
                    off += (size_t)w;
                }
                free(s);
            }
            json_decref(j);
        }
        close(fd);
    }
}

void s46_ctl_close(s46_ctl *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        unlink(c->path);
    }
    c->fd = -1;
}

char *s46_ctl_query(const char *path, const char *cmd, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        s46_seterr(err, errlen, "control socket path too long");
        return NULL;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        s46_seterr(err, errlen, "%s: %s (is the daemon running?)", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char line[512];
    snprintf(line, sizeof line, "%s\n", cmd);
    if (write(fd, line, strlen(line)) < 0) {
        s46_seterr(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            s46_seterr(err, errlen, "out of memory");
            close(fd);
            return NULL;
        }
        if (n + 1 >= cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            s46_seterr(err, errlen, "%s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return buf;
}
