/*
 * tls: verifying a server's certificate against an account's TLS settings
 * (tls_ca_file, tls_fingerprint), with GnuTLS.  It does not open, encrypt
 * or handshake connections: libetpan does that for IMAP/POP3 (and checks
 * nothing, so the fetcher calls tls_verify_mailstream() before it sends any
 * credential), libcurl does it for SMTP (tls_ca_bundle() and
 * tls_pubkey_pin() say what to tell curl).  The caller keeps ownership of
 * every argument; returned `char *` is the caller's to free().
 */
#ifndef SUREL_TLS_H
#define SUREL_TLS_H

#include <stddef.h>

#include "err.h"

/* libetpan's stream; its typedef is `mailstream`.  Declared here so that
 * users of this header need not include libetpan. */
struct _mailstream;

/* Bytes in a SHA-256 digest. */
#define TLS_SHA256_LEN 32

/*
 * Error classes.  A certificate that fails verification, or a server that
 * presents none or garbage, is EX_UNAVAILABLE, which err_is_temp() does not
 * call temporary: waiting does not mend a certificate, so `spool watch`
 * stops and says why.  The relay still keeps the mail queued, as on any
 * failed session (a certificate problem is no reason to bounce).  The
 * message is one line naming the host, e.g.
 *   "imap.example.org: certificate does not match host name"
 *   "imap.example.org: certificate is not trusted (issuer 'CN=Foo CA,O=Foo')"
 *   "imap.example.org: certificate has expired"
 *   "imap.example.org: certificate is not valid yet"
 *   "imap.example.org: certificate is not meant for a TLS server"
 *   "imap.example.org: certificate uses an insecure algorithm"
 *   "imap.example.org: certificate fingerprint does not match the pinned
 *    one (got SHA256:ab:cd:...)"
 * Bad settings (malformed tls_fingerprint, unreadable tls_ca_file) are
 * EX_CONFIG; a missing system trust store is EX_OSFILE.
 */

/* What to accept from a server: the certificates of one account.  Not for
 * use by two threads at once (it loads the system trust store lazily). */
struct tls_policy;

/*
 * Make a policy.  ca_file: a PEM file of trusted CAs used instead of the
 * system trust store (NULL: the system store, loaded on first use since
 * reading it takes milliseconds).  fingerprint: NULL, or the SHA-256 fingerprint
 * of the server's own certificate as tls_fingerprint_parse() reads it.
 * With a fingerprint the server's certificate is accepted if and only if
 * its fingerprint matches: trust, host name and dates are not checked, as
 * with msmtp's tls_fingerprint, since pinning is how a self-signed
 * certificate is used.  The CA file is read here, so errors in either
 * setting come out now (EX_CONFIG).  Free with tls_policy_free().
 */
struct tls_policy *tls_policy_new(const char *ca_file, const char *fingerprint,
				  struct err *err)
	__attribute__((warn_unused_result));
/* NULL is fine. */
void tls_policy_free(struct tls_policy *p);

/* Whether the policy pins a fingerprint. */
int tls_policy_pinned(const struct tls_policy *p);

/*
 * Verify a server certificate chain for host under p: der[i] (der_len[i]
 * bytes) is the i-th DER certificate as the server sent it, the server's
 * own first.  Without a pin the chain must lead to a trusted CA, every
 * certificate in it must be within its validity dates, the server's
 * certificate must be meant for a TLS server (extended key usage) and must
 * name host (a DNS name, or an IPv4/IPv6 address in text form without
 * brackets, matched against the IP address entries).  Returns 0 when
 * accepted, else -1 with err set (see the error classes above).
 */
int tls_verify_chain(struct tls_policy *p, const char *host,
		     const unsigned char *const *der, const size_t *der_len, size_t n,
		     struct err *err)
	__attribute__((warn_unused_result));

/* tls_verify_chain() on the chain of a libetpan stream that has finished
 * its TLS handshake (mailstream_get_certificate_chain()).  A stream that is
 * not TLS is an error (EX_SOFTWARE): verifying it is the caller's mistake. */
int tls_verify_mailstream(struct tls_policy *p, const char *host, struct _mailstream *s,
			  struct err *err)
	__attribute__((warn_unused_result));

/* The SHA-256 fingerprint of a DER certificate (of any bytes, really) as 32
 * lowercase hex pairs joined by colons, "ab:cd:...", the form users pin.
 * NULL only if GnuTLS cannot compute SHA-256. */
char *tls_fingerprint_hex(const unsigned char *der, size_t len);

/* Read a SHA-256 fingerprint into out: 64 hex digits in either case; any
 * colons and blanks, and a leading "SHA256" in any case, are ignored, so
 * "AB:CD:...", "abcd..." and "SHA256:ab:cd:..." (our own messages) all
 * work.  Anything else is EX_CONFIG. */
int tls_fingerprint_parse(const char *text, unsigned char out[TLS_SHA256_LEN],
			  struct err *err)
	__attribute__((warn_unused_result));

/*
 * For libcurl.  curl verifies chains and host names itself, but with
 * CURLOPT_CAPATH it rereads /etc/ssl/certs on every connection, and it
 * cannot pin a certificate, only a public key.
 *
 * tls_ca_bundle(): what CURLOPT_CAINFO should be (set CURLOPT_CAPATH to
 * NULL): the policy's CA file, else the system's bundle file, else NULL
 * (then leave curl's default).  Borrowed, valid until tls_policy_free().
 *
 * With a pinned policy, turn CURLOPT_SSL_VERIFYPEER and _VERIFYHOST off and
 * set CURLOPT_PINNEDPUBLICKEY to tls_pubkey_pin() of a certificate that
 * tls_check_pin() accepted (the one CURLINFO_CERTINFO reports for a first
 * connection made without user name or password, since it is unverified
 * until that check): curl then checks the key during the handshake, before
 * any credential goes out.
 */
const char *tls_ca_bundle(const struct tls_policy *p);

/* Check a server's certificate (DER, or PEM as CURLINFO_CERTINFO gives it)
 * against the pinned fingerprint of p, which must be pinned.  0 on a match;
 * -1 with EX_UNAVAILABLE on a mismatch or an unreadable certificate. */
int tls_check_pin(const struct tls_policy *p, const char *host,
		  const unsigned char *cert, size_t len, struct err *err)
	__attribute__((warn_unused_result));

/* curl's public-key pin of a certificate (DER or PEM): "sha256//" and the
 * base64 SHA-256 of its SubjectPublicKeyInfo.  NULL with EX_DATAERR when
 * the certificate cannot be read. */
char *tls_pubkey_pin(const unsigned char *cert, size_t len, struct err *err)
	__attribute__((warn_unused_result));

#endif
