#include "prov/profile.h"
#include "lib/err.h"
#include "prov/hb46pp.h"

#include <stdlib.h>
#include <string.h>

static bool url_ok(const char *u)
{
    if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
        return false;
    if (strlen(u) > 2000)
        return false;
    for (const unsigned char *c = (const unsigned char *)u; *c; c++)
        if (*c <= ' ' || *c >= 0x7f || *c == '"' || *c == '\\')
            return false;
    return true;
}

/* Checks the s46_server object and fills the matching fields of out. */
static int server_opts(const json_t *srv, s46_profile *out, char *err, size_t errlen)
{
    if (!json_is_object(srv)) {
        s46_seterr(err, errlen, "s46_server: not an object");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)srv, k, v) {
        if (!strcmp(k, "redirect")) {
            if (!json_is_string(v) || !url_ok(json_string_value(v))) {
                s46_seterr(err, errlen, "s46_server.redirect: need an http(s) URL without "
                                        "spaces or quotes");
                return -1;
            }
            out->redirect = strdup(json_string_value(v));
        } else if (!strcmp(k, "ttl_jitter")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > S46_HB46PP_MAX_TTL) {
                s46_seterr(err, errlen, "s46_server.ttl_jitter: need an integer 0..%d",
                           S46_HB46PP_MAX_TTL);
                return -1;
            }
            out->ttl_jitter = (long)json_integer_value(v);
        } else if (!strcmp(k, "token_unit")) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 128) {
                s46_seterr(err, errlen, "s46_server.token_unit: need a prefix length 1..128");
                return -1;
            }
            out->token_unit = (unsigned)json_integer_value(v);
        } else if (!strcmp(k, "auth_required")) {
            if (!json_is_boolean(v)) {
                s46_seterr(err, errlen, "s46_server.auth_required: need true or false");
                return -1;
            }
            out->auth_required = json_is_true(v);
        } else if (!strcmp(k, "users")) {
            const char *u;
            json_t *h;
            if (!json_is_object(v)) {
                s46_seterr(err, errlen, "s46_server.users: not an object");
                return -1;
            }
            json_object_foreach(v, u, h) {
                if (!json_is_string(h) || strncmp(json_string_value(h), "$argon2id$", 10)) {
                    s46_seterr(err, errlen, "s46_server.users.%.40s: need an argon2id hash "
                                            "(s46-provd passwd)", u);
                    return -1;
                }
            }
            out->users = json_incref(v);
        } else {
            s46_seterr(err, errlen, "s46_server: unknown option '%.40s'", k);
            return -1;
        }
    }
    return 0;
}

int s46_profile_make(const char *prefix, const char *name, const json_t *tmpl,
                     const json_t *server, s46_profile *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (s46_pfx6_parse(prefix, &out->pfx, err, errlen) < 0)
        return -1;
    out->token_unit = 56;
    if (name && strlen(name) > 200) {
        s46_seterr(err, errlen, "profile name longer than 200 bytes");
        return -1;
    }
    if (server && server_opts(server, out, err, errlen) < 0)
        goto fail;
    if (!json_is_object(tmpl)) {
        s46_seterr(err, errlen, "the profile is not a JSON object");
        goto fail;
    }
    if (json_object_get(tmpl, "token") || json_object_get(tmpl, "auth")) {
        s46_seterr(err, errlen, "the template carries a per-CE 'token' or 'auth'");
        goto fail;
    }
    /* A redirect-only profile needs no template; anything given is checked. */
    if (!(out->redirect && json_object_size(tmpl) == 0)) {
        if (s46_hb46pp_validate(tmpl, 0, NULL, err, errlen) < 0)
            goto fail;
        out->tmpl = json_deep_copy(tmpl);
        if (!out->tmpl) {
            s46_seterr(err, errlen, "out of memory");
            goto fail;
        }
    }
    if (name && !(out->name = strdup(name))) {
        s46_seterr(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    s46_profile_free(out);
    return -1;
}

int s46_profile_split(const json_t *doc, unsigned flags, json_t **tmpl, json_t **server,
                      char *err, size_t errlen)
{
    *tmpl = *server = NULL;
    if (!json_is_object(doc)) {
        s46_seterr(err, errlen, "the profile is not a JSON object");
        return -1;
    }
    json_t *t = json_deep_copy(doc);
    if (!t) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    json_t *s = json_incref(json_object_get(t, "s46_server"));
    json_object_del(t, "s46_server");
    if (flags & S46_PROFILE_DROP_PER_CE) {
        json_object_del(t, "token");
        json_object_del(t, "auth");
    }
    s46_profile p;
    if (s46_profile_make("::/0", NULL, t, s, &p, err, errlen) < 0) {
        json_decref(t);
        json_decref(s);
        return -1;
    }
    s46_profile_free(&p);
    *tmpl = t;
    *server = s;
    return 0;
}

void s46_profile_free(s46_profile *p)
{
    free(p->name);
    free(p->redirect);
    json_decref(p->tmpl);
    json_decref(p->users);
    memset(p, 0, sizeof *p);
}
