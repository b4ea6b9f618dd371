/* The HB46PP discovery record (docs/hb46pp.md, D1-D2): the text of
 * the single TXT record of `4over6.info`, "v=v6mig-1 url=URL t=a|b".
 * Parsed strictly: exactly the keys v, url and t, each once, separated by
 * spaces; v is "v6mig-1"; url is an absolute http:// or https:// URL with a
 * host (a name, or an IPv6 literal in brackets), an optional port, no
 * user information, no spaces or control characters; t is "a" (no check)
 * or "b" (verify); an http URL requires t=a. Pure function. */
#ifndef S46_PROV_TXT_H
#define S46_PROV_TXT_H
#include <stdbool.h>
#include <stddef.h>

#define S46_TXT_URL_MAX 1024

typedef struct s46_txt {
    char url[S46_TXT_URL_MAX + 1];
    bool verify;  /* t=b */
    bool https;
} s46_txt;

/* 0 and *out filled, or -1 with err saying what is wrong. */
int s46_txt_parse(const char *text, size_t len, s46_txt *out, char *err, size_t errlen);
#endif
