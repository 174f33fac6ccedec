#include "config.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/carray.h>
#include <libetpan/mailstream.h>
#include <libetpan/mmapstring.h>

#include "ascii.h"
#include "buf.h"
#include "codec.h"
#include "tls.h"
#include "xalloc.h"

struct tls_policy {
	char *ca_file;                   /* NULL: the system trust store */
	int pinned;
	unsigned char pin[TLS_SHA256_LEN];
	gnutls_x509_trust_list_t trust;  /* NULL until first needed */
};

/* Where distributions keep the system's CA bundle as one PEM file, for
 * curl; GnuTLS finds its own system store without help. */
static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",  /* Debian, Ubuntu, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",    /* Fedora, RHEL */
	"/etc/ssl/ca-bundle.pem",              /* openSUSE */
	"/etc/ssl/cert.pem",                   /* Alpine, the BSDs */
};

/* err_set() with ": " and GnuTLS's reason for r appended, without the
 * final period GnuTLS ends its messages with. */
static int fail_gnutls(struct err *err, int code, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_gnutls(struct err *err, int code, int r, const char *fmt, ...)
{
	char what[sizeof(err->msg)];
	const char *why = gnutls_strerror(r);
	size_t n = strlen(why);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n > 0 && why[n - 1] == '.')
		n--;
	return err_set(err, code, "%s: %.*s", what, (int)n, why);
}

static int load_ca_file(struct tls_policy *p, struct err *err)
{
	int r;

	/* GnuTLS reports a missing file without errno; ask first so the
	 * message can say why. */
	if (access(p->ca_file, R_OK) < 0)
		return err_sys(err, EX_CONFIG, "cannot read tls_ca_file '%s'", p->ca_file);
	r = gnutls_x509_trust_list_init(&p->trust, 0);
	if (r < 0)
		return fail_gnutls(err, EX_OSERR, r, "cannot make a trust list");
	r = gnutls_x509_trust_list_add_trust_file(p->trust, p->ca_file, NULL,
						  GNUTLS_X509_FMT_PEM, 0, 0);
	if (r == 0)
		r = GNUTLS_E_NO_CERTIFICATE_FOUND;
	if (r < 0)
		return fail_gnutls(err, EX_CONFIG, r, "cannot load tls_ca_file '%s'", p->ca_file);
	return 0;
}

static int load_system_trust(struct tls_policy *p, struct err *err)
{
	gnutls_x509_trust_list_t tl;
	int r;

	r = gnutls_x509_trust_list_init(&tl, 0);
	if (r < 0)
		return fail_gnutls(err, EX_OSERR, r, "cannot make a trust list");
	r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r == 0)
		r = GNUTLS_E_NO_CERTIFICATE_FOUND;
	if (r < 0) {
		gnutls_x509_trust_list_deinit(tl, 1);
		return fail_gnutls(err, EX_OSFILE, r, "cannot load the system's trusted CAs "
				   "(install ca-certificates or set tls_ca_file)");
	}
	p->trust = tl;
	return 0;
}

struct tls_policy *tls_policy_new(const char *ca_file, const char *fingerprint, struct err *err)
{
	struct tls_policy *p = xcalloc(1, sizeof(*p));

	if (fingerprint) {
		if (tls_fingerprint_parse(fingerprint, p->pin, err) < 0)
			goto fail;
		p->pinned = 1;
	}
	if (ca_file) {
		p->ca_file = xstrdup(ca_file);
		if (load_ca_file(p, err) < 0)
			goto fail;
	}
	return p;
fail:
	tls_policy_free(p);
	return NULL;
}

void tls_policy_free(struct tls_policy *p)
{
	if (!p)
		return;
	if (p->trust)
		gnutls_x509_trust_list_deinit(p->trust, 1);
	free(p->ca_file);
	free(p);
}

int tls_policy_pinned(const struct tls_policy *p)
{
	return p->pinned;
}

static int sha256(const void *data, size_t len, unsigned char out[TLS_SHA256_LEN])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out);
}

static char *hex_colons(const unsigned char digest[TLS_SHA256_LEN])
{
	static const char digits[] = "0123456789abcdef";
	/* UNSAFE: three bytes per digest byte ("ab:"), the last colon
	 * becoming the NUL. */
	char *s = xmalloc(3 * TLS_SHA256_LEN);
	size_t i;

	for (i = 0; i < TLS_SHA256_LEN; i++) {
		s[3 * i] = digits[digest[i] >> 4];
		s[3 * i + 1] = digits[digest[i] & 0xf];
		s[3 * i + 2] = ':';
	}
	s[3 * TLS_SHA256_LEN - 1] = '\0';
	return s;
}

char *tls_fingerprint_hex(const unsigned char *der, size_t len)
{
	unsigned char digest[TLS_SHA256_LEN];

	if (sha256(der, len, digest) < 0)
		return NULL;
	return hex_colons(digest);
}

int tls_fingerprint_parse(const char *text, unsigned char out[TLS_SHA256_LEN], struct err *err)
{
	unsigned char digest[TLS_SHA256_LEN] = { 0 };
	const char *s = text + strspn(text, " \t");
	size_t ndigits = 0;
	int v;

	if (strncasecmp(s, "sha256", 6) == 0)
		s += 6;
	for (; *s; s++) {
		if (*s == ':' || *s == ' ' || *s == '\t')
			continue;
		v = ascii_hexval((unsigned char)*s);
		if (v < 0 || ndigits == 2 * TLS_SHA256_LEN)
			break;
		digest[ndigits / 2] |= (unsigned char)(ndigits % 2 ? v : v << 4);
		ndigits++;
	}
	if (*s || ndigits != 2 * TLS_SHA256_LEN)
		return err_set(err, EX_CONFIG,
			       "invalid tls_fingerprint '%.100s': want the 64 hex digits "
			       "of a SHA-256 fingerprint", text);
	memcpy(out, digest, sizeof(digest));
	return 0;
}

/* Read one certificate given as DER or as PEM (which starts with a
 * "-----BEGIN" line, possibly after blank lines). */
static int import_cert(const unsigned char *cert, size_t len, gnutls_x509_crt_t *crt_out)
{
	gnutls_datum_t d = { (unsigned char *)cert, (unsigned)len };
	size_t skip = 0;
	int r;

	*crt_out = NULL;
	if (len != d.size)
		return GNUTLS_E_INVALID_REQUEST;
	while (skip < len && (cert[skip] == ' ' || cert[skip] == '\t' || cert[skip] == '\r' ||
			      cert[skip] == '\n'))
		skip++;
	r = gnutls_x509_crt_init(crt_out);
	if (r < 0)
		return r;
	r = gnutls_x509_crt_import(*crt_out, &d,
				   len - skip >= 10 && memcmp(cert + skip, "-----BEGIN", 10) == 0 ?
				   GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	if (r < 0) {
		gnutls_x509_crt_deinit(*crt_out);
		*crt_out = NULL;
	}
	return r;
}

static int pin_matches(const struct tls_policy *p, const char *host,
		       const unsigned char digest[TLS_SHA256_LEN], struct err *err)
{
	char *got;

	if (memcmp(digest, p->pin, TLS_SHA256_LEN) == 0)
		return 0;
	got = hex_colons(digest);
	err_set(err, EX_UNAVAILABLE,
		"%s: certificate fingerprint does not match the pinned one (got SHA256:%s)",
		host, got);
	free(got);
	return -1;
}

/* The issuer DN named in a "not trusted" message: that of the last
 * certificate in the chain that the server's own one leads to, i.e. the
 * CA we would have needed.  Server text, so sanitized for the terminal. */
static void untrusted_issuer(gnutls_x509_crt_t *crts, size_t n, struct buf *out)
{
	gnutls_datum_t dn = { NULL, 0 };
	size_t top = 0;

	while (top + 1 < n && gnutls_x509_crt_check_issuer(crts[top], crts[top + 1]))
		top++;
	if (gnutls_x509_crt_get_issuer_dn3(crts[top], &dn, 0) < 0) {
		buf_puts(out, "unknown");
		return;
	}
	codec_sanitize((const char *)dn.data, dn.size, 0, out);
	gnutls_free(dn.data);
}

static int status_error(const char *host, unsigned status, gnutls_x509_crt_t *crts, size_t n,
			struct err *err)
{
	/* Bits that say nothing about who signed what; any other bit (issuer
	 * unknown, bad signature, signer not a CA, ...) means the chain does
	 * not lead to a CA we trust, which is reported before anything else. */
	const unsigned specific = GNUTLS_CERT_INVALID | GNUTLS_CERT_INSECURE_ALGORITHM |
		GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED | GNUTLS_CERT_PURPOSE_MISMATCH;
	struct buf issuer = BUF_INIT;

	if (!(status & ~specific)) {
		if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
			return err_set(err, EX_UNAVAILABLE, "%s: certificate uses an insecure algorithm",
				       host);
		if (status & GNUTLS_CERT_EXPIRED)
			return err_set(err, EX_UNAVAILABLE, "%s: certificate has expired", host);
		if (status & GNUTLS_CERT_NOT_ACTIVATED)
			return err_set(err, EX_UNAVAILABLE, "%s: certificate is not valid yet", host);
		if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
			return err_set(err, EX_UNAVAILABLE,
				       "%s: certificate is not meant for a TLS server", host);
	}
	untrusted_issuer(crts, n, &issuer);
	err_set(err, EX_UNAVAILABLE, "%s: certificate is not trusted (issuer '%.120s')", host,
		issuer.data);
	buf_release(&issuer);
	return -1;
}

static int verify_crts(struct tls_policy *p, const char *host, gnutls_x509_crt_t *crts, size_t n,
		       struct err *err)
{
	/* GnuTLS's own session verification asks for this key purpose too;
	 * a certificate without the extension passes. */
	gnutls_typed_vdata_st purpose = {
		GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0
	};
	unsigned status = 0;
	int r;

	if (!p->trust && load_system_trust(p, err) < 0)
		return -1;
	r = gnutls_x509_trust_list_verify_crt2(p->trust, crts, (unsigned)n, &purpose, 1, 0,
					       &status, NULL);
	if (r < 0)
		return fail_gnutls(err, EX_UNAVAILABLE, r, "%s: cannot verify the certificate chain",
				   host);
	if (status)
		return status_error(host, status, crts, n, err);
	/* Checked apart from the chain so the message can say which is
	 * wrong; a text IP address is matched against IP address entries. */
	if (!gnutls_x509_crt_check_hostname2(crts[0], host, 0))
		return err_set(err, EX_UNAVAILABLE, "%s: certificate does not match host name", host);
	return 0;
}

int tls_verify_chain(struct tls_policy *p, const char *host,
		     const unsigned char *const *der, const size_t *der_len, size_t n,
		     struct err *err)
{
	unsigned char digest[TLS_SHA256_LEN];
	gnutls_x509_crt_t *crts;
	size_t i;
	int r, ret = -1;

	if (n == 0)
		return err_set(err, EX_UNAVAILABLE, "%s: server sent no certificate", host);
	if (p->pinned) {
		if (sha256(der[0], der_len[0], digest) < 0)
			return err_set(err, EX_SOFTWARE, "%s: cannot compute SHA-256", host);
		return pin_matches(p, host, digest, err);
	}
	/* GnuTLS follows chains at most 16 deep; far longer ones are not
	 * worth parsing. */
	if (n > 64)
		return err_set(err, EX_UNAVAILABLE, "%s: server sent too many certificates (%zu)",
			       host, n);
	crts = xcalloc(n, sizeof(*crts));
	for (i = 0; i < n; i++) {
		r = import_cert(der[i], der_len[i], &crts[i]);
		if (r < 0) {
			fail_gnutls(err, EX_UNAVAILABLE, r,
				    "%s: cannot read certificate %zu from the server", host, i + 1);
			goto out;
		}
	}
	ret = verify_crts(p, host, crts, n, err);
out:
	for (i = 0; i < n && crts[i]; i++)
		gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	return ret;
}

int tls_verify_mailstream(struct tls_policy *p, const char *host, struct _mailstream *s,
			  struct err *err)
{
	carray *chain = mailstream_get_certificate_chain(s);
	const unsigned char **der;
	size_t *len, n, i;
	int ret;

	if (!chain)
		return err_set(err, EX_SOFTWARE, "%s: no TLS session to verify", host);
	n = carray_count(chain);
	der = xcalloc(n, sizeof(*der));
	len = xcalloc(n, sizeof(*len));
	for (i = 0; i < n; i++) {
		const MMAPString *m = carray_get(chain, (unsigned)i);

		der[i] = (const unsigned char *)m->str;
		len[i] = m->len;
	}
	ret = tls_verify_chain(p, host, der, len, n, err);
	free(der);
	free(len);
	mailstream_certificate_chain_free(chain);
	return ret;
}

const char *tls_ca_bundle(const struct tls_policy *p)
{
	size_t i;

	if (p->ca_file)
		return p->ca_file;
	for (i = 0; i < sizeof(system_bundles) / sizeof(system_bundles[0]); i++)
		if (access(system_bundles[i], R_OK) == 0)
			return system_bundles[i];
	return NULL;
}

int tls_check_pin(const struct tls_policy *p, const char *host,
		  const unsigned char *cert, size_t len, struct err *err)
{
	unsigned char digest[TLS_SHA256_LEN];
	size_t size = sizeof(digest);
	gnutls_x509_crt_t crt;
	int r;

	assert(p->pinned);
	r = import_cert(cert, len, &crt);
	if (r < 0)
		return fail_gnutls(err, EX_UNAVAILABLE, r, "%s: cannot read the server's certificate",
				   host);
	/* The fingerprint is that of the DER encoding, also for PEM input. */
	r = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &size);
	gnutls_x509_crt_deinit(crt);
	if (r < 0)
		return fail_gnutls(err, EX_UNAVAILABLE, r,
				   "%s: cannot fingerprint the server's certificate", host);
	return pin_matches(p, host, digest, err);
}

char *tls_pubkey_pin(const unsigned char *cert, size_t len, struct err *err)
{
	unsigned char id[TLS_SHA256_LEN];
	size_t size = sizeof(id);
	gnutls_datum_t raw = { id, 0 }, b64 = { NULL, 0 };
	gnutls_x509_crt_t crt;
	char *pin;
	int r;

	r = import_cert(cert, len, &crt);
	if (r < 0) {
		fail_gnutls(err, EX_DATAERR, r, "cannot read certificate");
		return NULL;
	}
	/* GnuTLS's SHA-256 key ID is the hash of the DER SubjectPublicKeyInfo,
	 * exactly what curl pins. */
	r = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, id, &size);
	gnutls_x509_crt_deinit(crt);
	if (r >= 0) {
		raw.size = (unsigned)size;
		r = gnutls_base64_encode2(&raw, &b64);
	}
	if (r < 0) {
		fail_gnutls(err, EX_DATAERR, r, "cannot compute the public key pin");
		return NULL;
	}
	pin = xasprintf("sha256//%.*s", (int)b64.size, (const char *)b64.data);
	gnutls_free(b64.data);
	return pin;
}
