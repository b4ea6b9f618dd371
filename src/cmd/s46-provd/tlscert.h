/* The server's TLS certificate chain and key, replaceable while it serves:
 * every handshake asks provd_cert_retrieve for the current pair, and
 * provd_cert_load (at start, then on SIGHUP) reads the PEM files again and
 * swaps a new pair in when they changed. A pair is checked before use: the
 * chain parses, the key parses, and the key signs what the certificate's
 * public key verifies. A replaced pair stays allocated until
 * provd_cert_free_all (sessions may still refer to it), so memory grows by
 * one pair per actual change of the files, not per reload. */
#ifndef S46_PROVD_TLSCERT_H
#define S46_PROVD_TLSCERT_H
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

/* 1 when a new pair was installed, 0 when the files are unchanged, -1 with
 * err when they do not make a usable pair (the current pair stays). */
int provd_cert_load(const char *certfile, const char *keyfile, char *err, size_t errlen);
/* The current certificate's expiry (unix time) and its subject, for show. */
int64_t provd_cert_expires(void);
const char *provd_cert_subject(void);
/* A gnutls_certificate_retrieve_function2. */
int provd_cert_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
                        const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                        gnutls_pcert_st **pcert, unsigned int *pcert_length,
                        gnutls_privkey_t *pkey);
void provd_cert_free_all(void);
#endif
