/* The HB46PP request (docs/hb46pp.md, C1-C11, and N4 for the 307 rules):
 * one GET over IPv6 only, through libcurl, with SNI; t=a (verify = false)
 * means no certificate check, t=b full verification against the system CA
 * store or ca_file. 307 answers are followed by hand, at most max_redirects
 * hops: Location resolved against the current URL, the parameters appended
 * again, a URL seen before is a loop, https->http under t=b and IPv4-literal
 * hosts are refused, and the user/pass rule (C10) is applied on every hop.
 * Host names are resolved through the caller's resolver (so the configured
 * DNS server is used for everything). Blocking; bounded by timeouts and a
 * maximum body size. */
#ifndef S46_PROV_FETCH_H
#define S46_PROV_FETCH_H
#include <stdbool.h>
#include <stddef.h>

#include "lib/addr.h"

typedef struct s46_fetch_req {
    const char *url;          /* from the TXT record, path used verbatim */
    bool verify;              /* t=b */
    const char *ca_file;      /* NULL: system CA store */
    const char *params;       /* "vendorid=..&product=..&version=..&capability=..[&token=..]" */
    const char *user, *pass;  /* NULL: none configured */
    const char *server_name;  /* C10: the user-entered server name, or NULL */
    const char *source;       /* source IPv6 address, or NULL for the kernel's choice */
    unsigned max_redirects;   /* 5 */
    unsigned timeout_s;       /* whole request */
    size_t max_body;          /* larger answers are an error */
    /* resolves host to an IPv6 address: 0 or -1 with err */
    int (*resolve)(const char *host, s46_ip6 *out, char *err, size_t errlen, void *arg);
    void *resolve_arg;
} s46_fetch_req;

typedef enum s46_fetch_status {
    S46_FETCH_OK = 0,        /* 200 with a body */
    S46_FETCH_TRANSPORT,     /* DNS, connect, TLS, timeout, size */
    S46_FETCH_HTTP_STATUS,   /* a status other than 200 and 307 */
    S46_FETCH_REDIRECT,      /* a redirect loop, too many hops, a refused target */
} s46_fetch_status;

typedef struct s46_fetch_res {
    s46_fetch_status status;
    long http_code;
    char *body;               /* malloc'd, NUL terminated (OK only) */
    size_t len;
    char final_url[1100];     /* the URL that answered (without the query) */
    unsigned hops;            /* redirects followed */
    bool sent_credentials;    /* user/pass went out on the final request */
    char err[256];
} s46_fetch_res;

/* Whether user/pass may be sent to url (C10, strictly: only with https,
 * t=b, and a server name equal to the URL's host; never without one). */
bool s46_fetch_creds_allowed(const char *url, bool verify, const char *server_name);

/* Fills res; returns res->status. s46_fetch_res_free releases the body. */
s46_fetch_status s46_fetch(const s46_fetch_req *req, s46_fetch_res *res);
void s46_fetch_res_free(s46_fetch_res *res);
#endif
