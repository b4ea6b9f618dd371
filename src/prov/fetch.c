#include "prov/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/version.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;
static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Scheme, host and port of an absolute URL through libcurl's URL parser. */
static int url_parts(const char *url, char *scheme, size_t sn, char *host, size_t hn,
                     long *port)
{
    CURLU *u = curl_url();
    char *s = NULL, *h = NULL, *p = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        strlen(s) < sn && strlen(h) < hn) {
        snprintf(scheme, sn, "%s", s);
        /* an IPv6 literal comes back as "[addr]": keep the brackets off */
        size_t l = strlen(h);
        if (h[0] == '[' && l > 2)
            snprintf(host, hn, "%.*s", (int)(l - 2), h + 1);
        else
            snprintf(host, hn, "%s", h);
        *port = strtol(p, NULL, 10);
        rc = 0;
    }
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

bool s46_fetch_creds_allowed(const char *url, bool verify, const char *server_name)
{
    char scheme[16], host[256];
    long port;
    if (!server_name || !*server_name || !verify)
        return false;
    if (url_parts(url, scheme, sizeof scheme, host, sizeof host, &port) < 0)
        return false;
    return !strcasecmp(scheme, "https") && !strcasecmp(host, server_name);
}

struct sink {
    char *buf;
    size_t len, cap, max;
    bool too_big;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t add = sz * n;
    if (s->len + add > s->max) {
        s->too_big = true;
        return 0;
    }
    if (s->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + add + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            return 0;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, add);
    s->len += add;
    s->buf[s->len] = 0;
    return add;
}

/* base (no query) + "?" + params [+ "&user=..&pass=.."] */
static char *with_query(const char *base, const char *params, const char *user,
                        const char *pass)
{
    CURLU *u = curl_url();
    char *out = NULL, *tmp = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
        goto done;
    if (params && *params && curl_url_set(u, CURLUPART_QUERY, params, CURLU_APPENDQUERY) != CURLUE_OK)
        goto done;
    if (user && pass) {
        size_t n = strlen(user) + strlen(pass) + 16;
        tmp = malloc(n);
        if (!tmp)
            goto done;
        snprintf(tmp, n, "user=%s", user);
        if (curl_url_set(u, CURLUPART_QUERY, tmp, CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
            goto done;
        snprintf(tmp, n, "pass=%s", pass);
        if (curl_url_set(u, CURLUPART_QUERY, tmp, CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK)
            goto done;
    }
    char *s = NULL;
    if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
        out = strdup(s);
        curl_free(s);
    }
done:
    free(tmp);
    curl_url_cleanup(u);
    return out;
}

/* The URL without its query and fragment, for loop detection and logs. */
static int strip_query(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *s = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK && strlen(s) < n) {
        snprintf(out, n, "%s", s);
        rc = 0;
    }
    curl_free(s);
    curl_url_cleanup(u);
    return rc;
}

static void fail(s46_fetch_res *r, s46_fetch_status st, const char *fmt, const char *a)
{
    r->status = st;
    snprintf(r->err, sizeof r->err, fmt, a);
}

s46_fetch_status s46_fetch(const s46_fetch_req *req, s46_fetch_res *res)
{
    memset(res, 0, sizeof *res);
    pthread_once(&once, global_init);
    if (global_rc != CURLE_OK) {
        fail(res, S46_FETCH_TRANSPORT, "libcurl: %s", curl_easy_strerror(global_rc));
        return res->status;
    }
    enum { MAXSEEN = 16 };
    char seen[MAXSEEN][sizeof res->final_url];
    unsigned nseen = 0;
    char cur[sizeof res->final_url];
    if (strip_query(req->url, cur, sizeof cur) < 0) {
        fail(res, S46_FETCH_TRANSPORT, "bad URL %.200s", req->url);
        return res->status;
    }
    unsigned maxr = req->max_redirects < MAXSEEN - 1 ? req->max_redirects : MAXSEEN - 1;
    for (;;) {
        char scheme[16], host[256];
        long port;
        if (url_parts(cur, scheme, sizeof scheme, host, sizeof host, &port) < 0) {
            fail(res, S46_FETCH_TRANSPORT, "bad URL %.200s", cur);
            return res->status;
        }
        /* a refused target is the redirect's fault after a 307, else the URL's */
        s46_fetch_status refused = res->hops ? S46_FETCH_REDIRECT : S46_FETCH_TRANSPORT;
        struct in_addr v4;
        if (inet_pton(AF_INET, host, &v4) == 1) {
            fail(res, refused,
                 "IPv4-literal host %.100s refused (HB46PP runs over IPv6)", host);
            return res->status;
        }
        bool https = !strcasecmp(scheme, "https");
        if (!https && strcasecmp(scheme, "http")) {
            fail(res, refused, "scheme %s refused", scheme);
            return res->status;
        }
        if (!https && req->verify) {
            fail(res, refused, "%.200s: plain http refused under t=b", cur);
            return res->status;
        }
        snprintf(seen[nseen++], sizeof seen[0], "%s", cur);
        s46_ip6 addr;
        char e[200];
        if (req->resolve(host, &addr, e, sizeof e, req->resolve_arg) < 0) {
            fail(res, S46_FETCH_TRANSPORT, "%.200s", e);
            return res->status;
        }
        bool creds = req->user && req->pass && s46_fetch_creds_allowed(cur, req->verify, req->server_name);
        char *url = with_query(cur, req->params, creds ? req->user : NULL, creds ? req->pass : NULL);
        char a6[S46_IP6_STRLEN], resolve_line[400], iface[80];
        snprintf(resolve_line, sizeof resolve_line, "%s:%ld:[%s]", host, port, s46_ip6_format(&addr, a6));
        struct curl_slist *rl = curl_slist_append(NULL, resolve_line);
        CURL *c = curl_easy_init();
        struct sink sink = {.max = req->max_body ? req->max_body : (1u << 20)};
        if (!url || !rl || !c) {
            free(url);
            curl_slist_free_all(rl);
            if (c)
                curl_easy_cleanup(c);
            fail(res, S46_FETCH_TRANSPORT, "%s", "out of memory");
            return res->status;
        }
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_RESOLVE, rl);
        curl_easy_setopt(c, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V6);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(req->timeout_s ? req->timeout_s : 10));
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(req->timeout_s ? req->timeout_s : 10));
        curl_easy_setopt(c, CURLOPT_USERAGENT, "s46-ce/" S46_VERSION);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req->verify ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req->verify ? 2L : 0L);
        if (req->verify && req->ca_file)
            curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
        if (req->source) {
            snprintf(iface, sizeof iface, "host!%s", req->source);
            curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
        }
        CURLcode cr = curl_easy_perform(c);
        long code = 0;
        char *redir = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &redir);
        char next[sizeof cur] = "";
        int next_ok = redir ? strip_query(redir, next, sizeof next) : -1;
        curl_easy_cleanup(c);
        curl_slist_free_all(rl);
        free(url);
        res->http_code = code;
        res->sent_credentials = creds;
        snprintf(res->final_url, sizeof res->final_url, "%s", cur);
        if (cr != CURLE_OK) {
            free(sink.buf);
            fail(res, S46_FETCH_TRANSPORT, "%s",
                 sink.too_big ? "answer too large" : curl_easy_strerror(cr));
            return res->status;
        }
        if (code == 200) {
            res->status = S46_FETCH_OK;
            res->body = sink.buf ? sink.buf : strdup("");
            res->len = sink.len;
            return res->status;
        }
        free(sink.buf);
        if (code != 307) {
            res->status = S46_FETCH_HTTP_STATUS;
            snprintf(res->err, sizeof res->err, "HTTP status %ld from %.200s", code, cur);
            return res->status;
        }
        if (next_ok < 0) {
            fail(res, S46_FETCH_REDIRECT, "307 from %.200s without a usable Location", cur);
            return res->status;
        }
        for (unsigned i = 0; i < nseen; i++)
            if (!strcmp(seen[i], next)) {
                fail(res, S46_FETCH_REDIRECT, "redirect loop at %.200s", next);
                return res->status;
            }
        if (res->hops >= maxr) {
            fail(res, S46_FETCH_REDIRECT, "more than %s redirects", maxr == 5 ? "5" : "the allowed");
            return res->status;
        }
        res->hops++;
        snprintf(cur, sizeof cur, "%s", next);
    }
}

void s46_fetch_res_free(s46_fetch_res *res)
{
    free(res->body);
    res->body = NULL;
}
