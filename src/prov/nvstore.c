#include "prov/nvstore.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/err.h"

#define MAGIC "s46-nvstore 1 "

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static void tmp_name(const char *path, char *out, size_t n)
{
    snprintf(out, n, "%s.tmp", path);
}

int s46_nvstore_save(const char *path, const json_t *doc, char *err, size_t errlen)
{
    char tmp[4096];
    if (strlen(path) + 5 >= sizeof tmp) {
        s46_seterr(err, errlen, "%s: path too long", path);
        return -1;
    }
    tmp_name(path, tmp, sizeof tmp);
    char *body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!body) {
        s46_seterr(err, errlen, "store: cannot serialise the configuration");
        return -1;
    }
    size_t n = strlen(body);
    if (n > S46_NVSTORE_MAX) {
        free(body);
        s46_seterr(err, errlen, "store: configuration too large (%zu bytes)", n);
        return -1;
    }
    char head[64];
    int hn = snprintf(head, sizeof head, MAGIC "%08lx %zu\n",
                      crc32(0, (const Bytef *)body, (uInt)n), n);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        s46_seterr(err, errlen, "%s: %s", tmp, strerror(errno));
        free(body);
        return -1;
    }
    int rc = write_all(fd, head, (size_t)hn) < 0 || write_all(fd, body, n) < 0 ||
                     write_all(fd, "\n", 1) < 0 || fsync(fd) < 0
                 ? -1
                 : 0;
    int e = errno;
    free(body);
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        s46_seterr(err, errlen, "%s: %s", path, strerror(e));
        return -1;
    }
    if (fsync_dir(path) < 0) {
        s46_seterr(err, errlen, "%s: fsync of the directory: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

json_t *s46_nvstore_load(const char *path, int *missing, char *err, size_t errlen)
{
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT;
        s46_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)S46_NVSTORE_MAX + 64) {
        close(fd);
        s46_seterr(err, errlen, "%s: not a regular file of a sane size", path);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        s46_seterr(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    json_t *doc = NULL;
    unsigned long crc;
    size_t n;
    int used = 0;
    char *nl = memchr(buf, '\n', got < 64 ? got : 64);
    if (!nl || strncmp(buf, MAGIC, strlen(MAGIC)) != 0 ||
        sscanf(buf + strlen(MAGIC), "%8lx %zu%n", &crc, &n, &used) != 2 ||
        buf + strlen(MAGIC) + used != nl) {
        s46_seterr(err, errlen, "%s: corrupt (bad header)", path);
        goto out;
    }
    const char *body = nl + 1;
    size_t avail = got - (size_t)(body - buf);
    if (n > S46_NVSTORE_MAX || avail < n || crc32(0, (const Bytef *)body, (uInt)n) != crc) {
        s46_seterr(err, errlen, "%s: corrupt (checksum or length mismatch)", path);
        goto out;
    }
    json_error_t je;
    doc = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
        s46_seterr(err, errlen, "%s: corrupt (not a JSON object)", path);
    }
out:
    free(buf);
    return doc;
}

int s46_nvstore_erase(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if (strlen(path) + 5 >= sizeof tmp) {
        s46_seterr(err, errlen, "%s: path too long", path);
        return -1;
    }
    tmp_name(path, tmp, sizeof tmp);
    unlink(tmp);
    if (unlink(path) < 0 && errno != ENOENT) {
        s46_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    fsync_dir(path);
    return 0;
}
