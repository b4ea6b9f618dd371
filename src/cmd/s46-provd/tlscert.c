#include "tlscert.h"
#include "lib/err.h"

#include <gnutls/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 8

typedef struct pair {
    gnutls_pcert_st chain[MAX_CHAIN];
    unsigned n;
    gnutls_privkey_t key;
    gnutls_datum_t cert_pem, key_pem; /* what was loaded, to notice changes */
    int64_t expires;
    char subject[256];
    struct pair *older;
} pair;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pair *current; /* head of the list of every pair loaded */

static void pair_free(pair *p)
{
    for (unsigned i = 0; i < p->n; i++)
        gnutls_pcert_deinit(&p->chain[i]);
    if (p->key)
        gnutls_privkey_deinit(p->key);
    gnutls_free(p->cert_pem.data);
    gnutls_free(p->key_pem.data);
    free(p);
}

static bool same(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
    return a->size == b->size && !memcmp(a->data, b->data, a->size);
}

/* The key signs, the certificate's public key verifies. */
static int key_matches(pair *p, char *err, size_t errlen)
{
    static const unsigned char probe[] = "s46-provd key check";
    gnutls_datum_t data = {(unsigned char *)probe, sizeof probe}, sig = {NULL, 0};
    gnutls_digest_algorithm_t dig = GNUTLS_DIG_SHA256; /* EdDSA keys want their own */
    int pk = gnutls_privkey_get_pk_algorithm(p->key, NULL);
    int r = gnutls_pubkey_get_preferred_hash_algorithm(p->chain[0].pubkey, &dig, NULL);
    if (r >= 0)
        r = gnutls_privkey_sign_data(p->key, dig, 0, &data, &sig);
    if (r >= 0)
        r = gnutls_pubkey_verify_data2(p->chain[0].pubkey,
                                       gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, dig), 0,
                                       &data, &sig);
    gnutls_free(sig.data);
    if (r < 0) {
        s46_seterr(err, errlen, "the key does not belong to the certificate (%s)",
                   gnutls_strerror(r));
        return -1;
    }
    return 0;
}

static void describe(pair *p)
{
    gnutls_x509_crt_t crt;
    p->expires = 0;
    snprintf(p->subject, sizeof p->subject, "?");
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, &p->chain[0].cert, GNUTLS_X509_FMT_DER) >= 0) {
        p->expires = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
        gnutls_datum_t dn = {NULL, 0};
        if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
            snprintf(p->subject, sizeof p->subject, "%.*s", (int)dn.size, (const char *)dn.data);
            gnutls_free(dn.data);
        }
    }
    gnutls_x509_crt_deinit(crt);
}

int provd_cert_load(const char *certfile, const char *keyfile, char *err, size_t errlen)
{
    pair *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    int r = gnutls_load_file(certfile, &p->cert_pem);
    if (r < 0) {
        s46_seterr(err, errlen, "%s: %s", certfile, gnutls_strerror(r));
        goto fail;
    }
    if ((r = gnutls_load_file(keyfile, &p->key_pem)) < 0) {
        s46_seterr(err, errlen, "%s: %s", keyfile, gnutls_strerror(r));
        goto fail;
    }
    pthread_mutex_lock(&mu);
    bool unchanged = current && same(&current->cert_pem, &p->cert_pem) &&
                     same(&current->key_pem, &p->key_pem);
    pthread_mutex_unlock(&mu);
    if (unchanged) {
        pair_free(p);
        return 0;
    }
    p->n = MAX_CHAIN;
    r = gnutls_pcert_list_import_x509_raw(p->chain, &p->n, &p->cert_pem, GNUTLS_X509_FMT_PEM, 0);
    if (r < 0 || p->n == 0) {
        if (r < 0)
            p->n = 0; /* nothing imported for pair_free to release */
        s46_seterr(err, errlen, "%s: no usable PEM certificate chain (%s)", certfile,
                   r < 0 ? gnutls_strerror(r) : "empty");
        goto fail;
    }
    if ((r = gnutls_privkey_init(&p->key)) < 0 ||
        (r = gnutls_privkey_import_x509_raw(p->key, &p->key_pem, GNUTLS_X509_FMT_PEM, NULL, 0)) <
            0) {
        s46_seterr(err, errlen, "%s: not a usable PEM private key (%s)", keyfile,
                   gnutls_strerror(r));
        goto fail;
    }
    if (key_matches(p, err, errlen) < 0)
        goto fail;
    describe(p);
    pthread_mutex_lock(&mu);
    p->older = current;
    current = p;
    pthread_mutex_unlock(&mu);
    return 1;
fail:
    pair_free(p);
    return -1;
}

int64_t provd_cert_expires(void)
{
    pthread_mutex_lock(&mu);
    int64_t e = current ? current->expires : 0;
    pthread_mutex_unlock(&mu);
    return e;
}

const char *provd_cert_subject(void)
{
    pthread_mutex_lock(&mu);
    const char *s = current ? current->subject : "";
    pthread_mutex_unlock(&mu);
    return s; /* pairs live until provd_cert_free_all */
}

int provd_cert_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
                        const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                        gnutls_pcert_st **pcert, unsigned int *pcert_length,
                        gnutls_privkey_t *pkey)
{
    (void)s, (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    pthread_mutex_lock(&mu);
    pair *p = current;
    pthread_mutex_unlock(&mu);
    if (!p)
        return -1;
    *pcert = p->chain;
    *pcert_length = p->n;
    *pkey = p->key;
    return 0;
}

void provd_cert_free_all(void)
{
    pthread_mutex_lock(&mu);
    pair *p = current;
    current = NULL;
    pthread_mutex_unlock(&mu);
    while (p) {
        pair *o = p->older;
        pair_free(p);
        p = o;
    }
}
