/*
 * pgpmime: PGP/MIME writing through GPGME.  Data travel between surel and
 * gpg in memory (gpgme_data over pipes), never through a file.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gpgme.h>

#include "crypto.h"
#include "msg.h"
#include "pgpmime.h"
#include "xalloc.h"

static int gpg_fail(struct err *err, int code, gpgme_error_t e, const char *what)
{
	return err_set(err, code, "%s: %s", what, gpgme_strerror(e));
}

/* A context of lib/crypto (passphrases as $SUREL_PINENTRY says: the
 * agent's pinentry, or loopback); *g gets its GPGME handle. */
static struct crypto *ctx_new(gpgme_ctx_t *g, struct err *err)
{
	struct crypto *c = crypto_new(crypto_pinentry_from_env(), NULL, NULL, err);

	*g = c ? (gpgme_ctx_t)crypto_gpgme(c) : NULL;
	return c;
}

/* Move what d holds onto out and release d. */
static void data_take(gpgme_data_t d, struct buf *out)
{
	size_t n = 0;
	char *p = gpgme_data_release_and_get_mem(d, &n);

	if (p) {
		buf_append(out, p, n);
		gpgme_free(p);
	}
}

enum key_use { KEY_SIGN, KEY_ENCRYPT };

/* Whether k can sign or encrypt, as use asks, and is not revoked,
 * expired, disabled or invalid. */
static int key_fits(gpgme_key_t k, enum key_use use)
{
	return (use == KEY_SIGN ? k->can_sign : k->can_encrypt) && !k->revoked &&
	       !k->expired && !k->disabled && !k->invalid;
}

/* Whether k has a user id (not revoked or invalid) for addr; with
 * min_valid, GnuPG must hold it at least marginally valid. */
static int key_has_addr(gpgme_key_t k, const char *addr, int min_valid)
{
	gpgme_user_id_t u;

	for (u = k->uids; u; u = u->next) {
		if (u->revoked || u->invalid || !u->email || strcasecmp(u->email, addr) != 0)
			continue;
		if (!min_valid || u->validity >= GPGME_VALIDITY_MARGINAL)
			return 1;
	}
	return 0;
}

/* The first key GnuPG lists for addr that fits use and has a user id for
 * addr: one of our secret keys to sign with, or a public key to encrypt
 * to, whose user id GnuPG must hold valid.  NULL when none does; the
 * caller unrefs it. */
static gpgme_key_t key_for_addr(gpgme_ctx_t ctx, const char *addr, enum key_use use)
{
	char *pat = xasprintf("<%s>", addr);
	gpgme_key_t k = NULL;
	gpgme_error_t e = gpgme_op_keylist_start(ctx, pat, use == KEY_SIGN);

	while (!e && !(e = gpgme_op_keylist_next(ctx, &k))) {
		if (key_fits(k, use) && key_has_addr(k, addr, use == KEY_ENCRYPT))
			break;
		gpgme_key_unref(k);
		k = NULL;
	}
	gpgme_op_keylist_end(ctx);
	free(pat);
	return k;
}

int pgpmime_signer(const char *fpr, const char *addr, char **fpr_out, struct err *err)
{
	gpgme_ctx_t ctx;
	struct crypto *cr = ctx_new(&ctx, err);
	gpgme_key_t k = NULL;

	*fpr_out = NULL;
	if (!cr)
		return -1;
	if (fpr) {
		if (gpgme_get_key(ctx, fpr, &k, 1) || !k) {
			crypto_free(cr);
			return err_set(err, EX_DATAERR, "no secret key '%s' (pgp_key)", fpr);
		}
	} else if (!(k = key_for_addr(ctx, addr, KEY_SIGN))) {
		crypto_free(cr);
		return err_set(err, EX_DATAERR, "no secret key of your own for '%s' (set pgp_key)",
			       addr);
	}
	if (!key_fits(k, KEY_SIGN)) {
		err_set(err, EX_DATAERR, "key '%s' cannot sign (revoked, expired or disabled)",
			k->fpr ? k->fpr : "?");
		gpgme_key_unref(k);
		crypto_free(cr);
		return -1;
	}
	*fpr_out = xstrdup(k->fpr);
	gpgme_key_unref(k);
	crypto_free(cr);
	return 0;
}

int pgpmime_enc_key(const char *addr, const char *extra_fpr, char **fpr_out, struct err *err)
{
	gpgme_ctx_t ctx;
	struct crypto *cr = ctx_new(&ctx, err);
	gpgme_key_t k;

	*fpr_out = NULL;
	if (!cr)
		return -1;
	k = key_for_addr(ctx, addr, KEY_ENCRYPT);
	/* Autocrypt keys are trusted on first use (Autocrypt Level 1 2.1):
	 * GnuPG's web of trust has no say over them. */
	if (!k && extra_fpr && !gpgme_get_key(ctx, extra_fpr, &k, 0) && k &&
	    !key_fits(k, KEY_ENCRYPT)) {
		gpgme_key_unref(k);
		k = NULL;
	}
	if (k) {
		*fpr_out = xstrdup(k->fpr);
		gpgme_key_unref(k);
	}
	crypto_free(cr);
	return *fpr_out ? 1 : 0;
}

/* LF line ends to CRLF (RFC 3156 5: signatures are made over the
 * canonical form). */
static void to_crlf(const char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			buf_putc(out, '\r');
		buf_putc(out, p[i]);
	}
}

static void from_crlf(const char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			buf_putc(out, p[i]);
}

static int add_signer(gpgme_ctx_t ctx, const char *signer, struct err *err)
{
	gpgme_key_t k = NULL;
	gpgme_error_t e = gpgme_get_key(ctx, signer, &k, 1);

	if (e || !k)
		return err_set(err, EX_DATAERR, "no secret key '%s' to sign with", signer);
	e = gpgme_signers_add(ctx, k);
	gpgme_key_unref(k);
	return e ? gpg_fail(err, EX_UNAVAILABLE, e, "cannot sign") : 0;
}

/* RFC 3156 5: multipart/signed with the entity as it stands and the
 * detached signature over its canonical form. */
static int wrap_signed(gpgme_ctx_t ctx, const char *entity, size_t len, struct buf *out,
		       struct err *err)
{
	struct buf canon = BUF_INIT, pieces[2] = { BUF_INIT, BUF_INIT }, b = BUF_INIT;
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_sign_result_t r;
	gpgme_error_t e;
	const char *h;
	char micalg[32];
	size_t i;
	int rc = -1;

	to_crlf(entity, len, &canon);
	e = gpgme_data_new_from_mem(&in, canon.data, canon.len, 0);
	if (!e)
		e = gpgme_data_new(&sig);
	if (!e)
		e = gpgme_op_sign(ctx, in, sig, GPGME_SIG_MODE_DETACH);
	if (e) {
		gpg_fail(err, EX_UNAVAILABLE, e, "cannot sign the message");
		goto out;
	}
	r = gpgme_op_sign_result(ctx);
	if (!r || !r->signatures || r->invalid_signers) {
		err_set(err, EX_UNAVAILABLE, "cannot sign the message: gpg made no signature");
		goto out;
	}
	h = gpgme_hash_algo_name(r->signatures->hash_algo);
	snprintf(micalg, sizeof(micalg), "pgp-%s", h ? h : "sha256");
	for (i = 0; micalg[i]; i++)
		micalg[i] = (char)tolower((unsigned char)micalg[i]);
	data_take(sig, &pieces[1]);
	sig = NULL;
	buf_append(&pieces[0], entity, len);
	msg_new_boundary(&b, "=_surel_pgp_", pieces, 2);
	buf_printf(out, "Content-Type: multipart/signed; micalg=%s;\n"
			" protocol=\"application/pgp-signature\"; boundary=\"%s\"\n\n"
			"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n"
			"--%s\n", micalg, b.data, b.data);
	buf_append(out, entity, len);
	buf_printf(out, "\n--%s\n"
			"Content-Type: application/pgp-signature; name=\"signature.asc\"\n"
			"Content-Description: OpenPGP digital signature\n"
			"Content-Disposition: attachment; filename=\"signature.asc\"\n\n",
		   b.data);
	from_crlf(pieces[1].data, pieces[1].len, out);
	buf_printf(out, "\n--%s--\n", b.data);
	rc = 0;
out:
	gpgme_data_release(in);
	gpgme_data_release(sig);
	buf_wipe(&canon);
	buf_release(&pieces[0]);
	buf_release(&pieces[1]);
	buf_release(&b);
	return rc;
}

/* The keys named by fingerprint, NULL-terminated; NULL with err set when
 * one is missing. */
static gpgme_key_t *get_keys(gpgme_ctx_t ctx, char *const *fprs, size_t n, struct err *err)
{
	gpgme_key_t *v = xcalloc(n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++) {
		if (gpgme_get_key(ctx, fprs[i], &v[i], 0) || !v[i]) {
			err_set(err, EX_DATAERR, "no public key '%s' to encrypt to", fprs[i]);
			while (i-- > 0)
				gpgme_key_unref(v[i]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/* RFC 3156 4 (and 6.2 with SIGN): multipart/encrypted around the entity
 * encrypted, and signed in the same OpenPGP message, to keys. */
static int wrap_encrypted(gpgme_ctx_t ctx, const char *entity, size_t len, int sign,
			  char *const *keys, size_t nkeys, struct buf *out, struct err *err)
{
	struct buf canon = BUF_INIT, armor = BUF_INIT, b = BUF_INIT;
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_key_t *kv;
	gpgme_encrypt_result_t r;
	gpgme_error_t e;
	size_t i;
	int rc = -1;

	if (!(kv = get_keys(ctx, keys, nkeys, err)))
		return -1;
	to_crlf(entity, len, &canon);
	e = gpgme_data_new_from_mem(&in, canon.data, canon.len, 0);
	if (!e)
		e = gpgme_data_new(&cipher);
	/* The keys were chosen by the caller (pgpmime_enc_key, Autocrypt). */
	if (!e)
		e = sign ? gpgme_op_encrypt_sign(ctx, kv, GPGME_ENCRYPT_ALWAYS_TRUST, in, cipher)
			 : gpgme_op_encrypt(ctx, kv, GPGME_ENCRYPT_ALWAYS_TRUST, in, cipher);
	r = e ? NULL : gpgme_op_encrypt_result(ctx);
	if (e || (r && r->invalid_recipients)) {
		if (!e)
			err_set(err, EX_DATAERR, "cannot encrypt to key '%s'",
				r->invalid_recipients->fpr ? r->invalid_recipients->fpr : "?");
		else
			gpg_fail(err, EX_UNAVAILABLE, e, "cannot encrypt the message");
		goto out;
	}
	data_take(cipher, &armor);
	cipher = NULL;
	msg_new_boundary(&b, "=_surel_pgp_", &armor, 1);
	buf_printf(out, "Content-Type: multipart/encrypted;\n"
			" protocol=\"application/pgp-encrypted\"; boundary=\"%s\"\n\n"
			"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
			"--%s\n"
			"Content-Type: application/pgp-encrypted\n"
			"Content-Description: PGP/MIME version identification\n\n"
			"Version: 1\n\n"
			"--%s\n"
			"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
			"Content-Description: OpenPGP encrypted message\n"
			"Content-Disposition: inline; filename=\"encrypted.asc\"\n\n",
		   b.data, b.data, b.data);
	from_crlf(armor.data, armor.len, out);
	buf_printf(out, "\n--%s--\n", b.data);
	rc = 0;
out:
	for (i = 0; i < nkeys; i++)
		gpgme_key_unref(kv[i]);
	free(kv);
	gpgme_data_release(in);
	gpgme_data_release(cipher);
	buf_wipe(&canon);
	buf_release(&armor);
	buf_release(&b);
	return rc;
}

int pgpmime_wrap(const char *entity, size_t len, unsigned flags, const char *signer,
		 char *const *keys, size_t nkeys, struct buf *out, struct err *err)
{
	struct crypto *cr;
	gpgme_ctx_t ctx;
	int rc;

	if (!(flags & (PGPMIME_SIGN | PGPMIME_ENCRYPT)))
		return err_set(err, EX_SOFTWARE, "pgpmime_wrap: nothing to do");
	if ((flags & PGPMIME_ENCRYPT) && nkeys == 0)
		return err_set(err, EX_DATAERR, "cannot encrypt: no key to encrypt to");
	if ((flags & PGPMIME_SIGN) && !signer)
		return err_set(err, EX_DATAERR, "cannot sign: no key to sign with");
	if (!(cr = ctx_new(&ctx, err)))
		return -1;
	rc = 0;
	if (flags & PGPMIME_SIGN)
		rc = add_signer(ctx, signer, err);
	if (rc == 0)
		rc = flags & PGPMIME_ENCRYPT
		     ? wrap_encrypted(ctx, entity, len, flags & PGPMIME_SIGN, keys, nkeys, out, err)
		     : wrap_signed(ctx, entity, len, out, err);
	crypto_free(cr);
	return rc;
}

int pgpmime_is_encrypted(const char *msg, size_t len)
{
	struct msg *m = msg_parse(msg, len, MSG_HEADERS_ONLY);
	const char *ct = m ? msg_header(m, "Content-Type") : NULL;
	int r = ct && strncasecmp(ct, "multipart/encrypted", 19) == 0;

	msg_free(m);
	return r;
}

int pgpmime_decrypt(const char *msg, size_t len, struct buf *out, struct err *err)
{
	struct crypto_sigs sigs = CRYPTO_SIGS_INIT;
	struct buf cipher = BUF_INIT, plain = BUF_INIT;
	const struct msg_part *p = NULL;
	struct crypto *cr = NULL;
	gpgme_ctx_t ctx;
	struct msg *m;
	size_t i;
	int rc = -1;

	if (!pgpmime_is_encrypted(msg, len))
		return err_set(err, EX_DATAERR, "not a PGP/MIME encrypted message");
	if (!(m = msg_parse(msg, len, 0)))
		return err_set(err, EX_DATAERR, "cannot parse the encrypted message");
	for (i = 0; i < msg_part_count(m) && !p; i++)
		if (strcmp(msg_part_type(msg_part_at(m, i)), "application/octet-stream") == 0)
			p = msg_part_at(m, i);
	if (!p) {
		err_set(err, EX_DATAERR, "encrypted message without its encrypted part");
		goto out;
	}
	msg_part_decode(p, &cipher);
	if (!(cr = ctx_new(&ctx, err)) ||
	    crypto_decrypt(cr, cipher.data, cipher.len, NULL, &plain, &sigs, err) < 0)
		goto out;
	from_crlf(plain.data, plain.len, out);
	rc = 0;
out:
	if (plain.data)
		explicit_bzero(plain.data, plain.len);
	buf_release(&plain);
	buf_release(&cipher);
	crypto_sigs_release(&sigs);
	crypto_free(cr);
	msg_free(m);
	return rc;
}

int pgpmime_export_min(const char *fpr, struct buf *out, struct err *err)
{
	gpgme_ctx_t ctx;
	struct crypto *cr = ctx_new(&ctx, err);
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	size_t before = out->len;

	if (!cr)
		return -1;
	/* Autocrypt wants the binary key; the context is ours alone and
	 * freed right after. */
	gpgme_set_armor(ctx, 0);
	e = gpgme_data_new(&d);
	if (!e)
		e = gpgme_op_export(ctx, fpr, GPGME_EXPORT_MODE_MINIMAL, d);
	crypto_free(cr);
	if (e) {
		gpgme_data_release(d);
		return gpg_fail(err, EX_UNAVAILABLE, e, "cannot export the key");
	}
	data_take(d, out);
	if (out->len == before)
		return err_set(err, EX_DATAERR, "no public key '%s' to export", fpr);
	return 0;
}

int pgpmime_import(const void *data, size_t len, char **fpr_out, struct err *err)
{
	gpgme_ctx_t ctx;
	struct crypto *cr = ctx_new(&ctx, err);
	gpgme_data_t d = NULL;
	gpgme_import_result_t r;
	gpgme_error_t e;
	int rc = -1;

	*fpr_out = NULL;
	if (!cr)
		return -1;
	e = gpgme_data_new_from_mem(&d, data, len, 0);
	if (!e)
		e = gpgme_op_import(ctx, d);
	if (e) {
		gpg_fail(err, EX_DATAERR, e, "cannot import the key");
		goto out;
	}
	r = gpgme_op_import_result(ctx);
	if (!r || !r->imports || !r->imports->fpr || r->imports->result) {
		err_set(err, EX_DATAERR, "cannot import the key: no usable key in the data");
		goto out;
	}
	*fpr_out = xstrdup(r->imports->fpr);
	rc = 0;
out:
	gpgme_data_release(d);
	crypto_free(cr);
	return rc;
}
