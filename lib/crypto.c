/* crypto: GPGME start-up, the OpenPGP context, verify and decrypt. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ascii.h"
#include "codec.h"
#include "crypto.h"
#include "xalloc.h"

struct crypto {
	gpgme_ctx_t ctx;
	crypto_passphrase_fn cb;
	void *cb_arg;
};

static int initialised;

void crypto_sigs_release(struct crypto_sigs *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].fingerprint);
		free(s->v[i].uid);
		free(s->v[i].detail);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

const char *crypto_sig_status_name(enum crypto_sig_status s)
{
	switch (s) {
	case CRYPTO_SIG_GOOD: return "good";
	case CRYPTO_SIG_BAD: return "bad";
	case CRYPTO_SIG_UNKNOWN_KEY: return "unknown-key";
	case CRYPTO_SIG_EXPIRED_KEY: return "expired-key";
	case CRYPTO_SIG_REVOKED_KEY: return "revoked-key";
	case CRYPTO_SIG_ERROR: break;
	}
	return "error";
}

const char *crypto_validity_name(enum crypto_validity v)
{
	switch (v) {
	case CRYPTO_VALIDITY_UNDEFINED: return "undefined";
	case CRYPTO_VALIDITY_NEVER: return "never";
	case CRYPTO_VALIDITY_MARGINAL: return "marginal";
	case CRYPTO_VALIDITY_FULL: return "full";
	case CRYPTO_VALIDITY_ULTIMATE: return "ultimate";
	case CRYPTO_VALIDITY_UNKNOWN: break;
	}
	return "unknown";
}

int crypto_init(struct err *err)
{
	const char *loc;
	gpgme_error_t e;

	if (initialised)
		return 0;
	if (!gpgme_check_version("1.13.0"))
		return err_set(err, EX_UNAVAILABLE, "gpgme is older than 1.13.0");
	/* pinentry shows its prompt in the user's language and charset. */
	if ((loc = setlocale(LC_CTYPE, NULL)))
		gpgme_set_locale(NULL, LC_CTYPE, loc);
#ifdef LC_MESSAGES
	if ((loc = setlocale(LC_MESSAGES, NULL)))
		gpgme_set_locale(NULL, LC_MESSAGES, loc);
#endif
	/* gpg-agent's pinentry needs the terminal to ask on (what GnuPG's
	 * manual has users export by hand). */
	if (!getenv("GPG_TTY") && isatty(STDIN_FILENO) && (loc = ttyname(STDIN_FILENO)))
		setenv("GPG_TTY", loc, 0);
	e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (e)
		return err_set(err, EX_UNAVAILABLE, "no usable gpg: %s", gpgme_strerror(e));
	initialised = 1;
	return 0;
}

enum crypto_pinentry crypto_pinentry_from_env(void)
{
	const char *v = getenv("SUREL_PINENTRY");

	return v && strcmp(v, "loopback") == 0 ? CRYPTO_PINENTRY_LOOPBACK : CRYPTO_PINENTRY_AGENT;
}

/* One line from fd, byte by byte so that a second prompt gets the next
 * line; the newline is dropped.  -1 on EOF before any byte. */
static int read_line_fd(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n ? 0 : -1;
		if (c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int ask_tty(const char *hint, int bad, char *buf, size_t len)
{
	struct termios old, quiet;
	struct buf prompt = BUF_INIT;
	int fd, rc, have_attr;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (bad)
		buf_puts(&prompt, "Bad passphrase, try again.\n");
	buf_puts(&prompt, "Passphrase for ");
	codec_sanitize(hint ? hint : "the secret key", strlen(hint ? hint : "the secret key"), 0,
		       &prompt);
	buf_puts(&prompt, ": ");
	rc = write(fd, prompt.data, prompt.len) == (ssize_t)prompt.len ? 0 : -1;
	buf_release(&prompt);
	have_attr = tcgetattr(fd, &old) == 0;
	if (have_attr) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (rc == 0)
		rc = read_line_fd(fd, buf, len);
	if (have_attr)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		rc = -1;
	close(fd);
	return rc;
}

static int default_passphrase(const char *hint, int bad, char *buf, size_t len)
{
	const char *v = getenv("SUREL_PASSPHRASE_FD");
	char *end;
	long fd;

	if (v && *v) {
		errno = 0;
		fd = strtol(v, &end, 10);
		if (errno || *end || fd < 0 || fd > 1024)
			return -1;
		return read_line_fd((int)fd, buf, len);
	}
	return ask_tty(hint, bad, buf, len);
}

static gpgme_error_t passphrase_cb(void *hook, const char *uid_hint, const char *info,
				   int prev_was_bad, int fd)
{
	struct crypto *c = hook;
	char pass[512];
	size_t n;
	int rc;

	(void)info;
	if (c->cb)
		rc = c->cb(c->cb_arg, uid_hint, prev_was_bad, pass, sizeof pass);
	else
		rc = default_passphrase(uid_hint, prev_was_bad, pass, sizeof pass);
	if (rc < 0) {
		explicit_bzero(pass, sizeof pass);
		return gpgme_error(GPG_ERR_CANCELED);
	}
	pass[sizeof pass - 1] = '\0';
	n = strlen(pass);
	rc = gpgme_io_writen(fd, pass, n) || gpgme_io_writen(fd, "\n", 1) ? -1 : 0;
	explicit_bzero(pass, sizeof pass);
	return rc ? gpgme_error(GPG_ERR_CANCELED) : 0;
}

struct crypto *crypto_new(enum crypto_pinentry mode, crypto_passphrase_fn cb, void *cb_arg,
			  struct err *err)
{
	struct crypto *c;
	gpgme_error_t e;
	const char *home = getenv("GNUPGHOME");

	if (crypto_init(err) < 0)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->cb = cb;
	c->cb_arg = cb_arg;
	if ((e = gpgme_new(&c->ctx))) {
		err_set(err, EX_OSERR, "cannot start gpgme: %s", gpgme_strerror(e));
		free(c);
		return NULL;
	}
	e = gpgme_set_protocol(c->ctx, GPGME_PROTOCOL_OpenPGP);
	if (!e && home && *home)
		e = gpgme_ctx_set_engine_info(c->ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
	if (!e && mode == CRYPTO_PINENTRY_LOOPBACK) {
		e = gpgme_set_pinentry_mode(c->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
		gpgme_set_passphrase_cb(c->ctx, passphrase_cb, c);
	}
	if (e) {
		err_set(err, EX_UNAVAILABLE, "cannot set up gpg: %s", gpgme_strerror(e));
		crypto_free(c);
		return NULL;
	}
	gpgme_set_armor(c->ctx, 1);
	return c;
}

void crypto_free(struct crypto *c)
{
	if (!c)
		return;
	gpgme_release(c->ctx);
	free(c);
}

struct gpgme_context *crypto_gpgme(struct crypto *c)
{
	return c->ctx;
}

static enum crypto_sig_status sig_status(const struct _gpgme_signature *s)
{
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
			return CRYPTO_SIG_REVOKED_KEY;
		if (s->summary & (GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED))
			return CRYPTO_SIG_EXPIRED_KEY;
		return CRYPTO_SIG_GOOD;
	case GPG_ERR_BAD_SIGNATURE:
		return CRYPTO_SIG_BAD;
	case GPG_ERR_NO_PUBKEY:
		return CRYPTO_SIG_UNKNOWN_KEY;
	case GPG_ERR_KEY_EXPIRED:
	case GPG_ERR_SIG_EXPIRED:
		return CRYPTO_SIG_EXPIRED_KEY;
	case GPG_ERR_CERT_REVOKED:
		return CRYPTO_SIG_REVOKED_KEY;
	default:
		return CRYPTO_SIG_ERROR;
	}
}

static enum crypto_validity validity_of(gpgme_validity_t v)
{
	switch (v) {
	case GPGME_VALIDITY_UNDEFINED: return CRYPTO_VALIDITY_UNDEFINED;
	case GPGME_VALIDITY_NEVER: return CRYPTO_VALIDITY_NEVER;
	case GPGME_VALIDITY_MARGINAL: return CRYPTO_VALIDITY_MARGINAL;
	case GPGME_VALIDITY_FULL: return CRYPTO_VALIDITY_FULL;
	case GPGME_VALIDITY_ULTIMATE: return CRYPTO_VALIDITY_ULTIMATE;
	default: return CRYPTO_VALIDITY_UNKNOWN;
	}
}

/* The signer's user id and whether one carries from_addr: looked up after
 * the verify result was copied, since a key listing on the context ends
 * that result's life. */
static void fill_signer(gpgme_ctx_t ctx, struct crypto_sig *sig, const char *from_addr)
{
	gpgme_key_t key = NULL;
	gpgme_user_id_t u;
	const char *pick = NULL;

	if (!sig->fingerprint || sig->status == CRYPTO_SIG_UNKNOWN_KEY)
		return;
	if (gpgme_get_key(ctx, sig->fingerprint, &key, 0) || !key)
		return;
	for (u = key->uids; u; u = u->next) {
		if (!pick && u->uid)
			pick = u->uid;
		if (from_addr && !u->revoked && !u->invalid && u->email &&
		    ascii_ieq(u->email, strlen(u->email), from_addr)) {
			sig->valid_from_address = 1;
			pick = u->uid;
			break;
		}
	}
	if (pick)
		sig->uid = xstrdup(pick);
	gpgme_key_unref(key);
}

static void collect_sigs(gpgme_ctx_t ctx, const char *from_addr, struct crypto_sigs *out)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	gpgme_signature_t s;
	size_t first = out->n, i;

	for (s = vr ? vr->signatures : NULL; s; s = s->next) {
		struct crypto_sig *d;

		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		d = &out->v[out->n++];
		memset(d, 0, sizeof *d);
		d->status = sig_status(s);
		d->validity = validity_of(s->validity);
		d->fingerprint = s->fpr && *s->fpr ? xstrdup(s->fpr) : NULL;
		d->created = (time_t)s->timestamp;
		if (d->status == CRYPTO_SIG_ERROR)
			d->detail = xstrdup(gpgme_strerror(s->status));
	}
	for (i = first; i < out->n; i++)
		fill_signer(ctx, &out->v[i], from_addr);
}

static int data_mem(gpgme_data_t *d, const char *p, size_t n, struct err *err)
{
	gpgme_error_t e = gpgme_data_new_from_mem(d, p, n, 0);

	if (e)
		return err_set(err, EX_OSERR, "gpgme data: %s", gpgme_strerror(e));
	return 0;
}

/* Move GPGME's output into plain and wipe GPGME's copy. */
static void take_plain(gpgme_data_t out, struct buf *plain)
{
	size_t n = 0;
	char *mem = gpgme_data_release_and_get_mem(out, &n);

	if (!mem)
		return;
	buf_grow(plain, n);
	buf_append(plain, mem, n);
	explicit_bzero(mem, n);
	gpgme_free(mem);
}

int crypto_verify_detached(struct crypto *c, const char *data, size_t len, const char *sig,
			   size_t siglen, const char *from_addr, struct crypto_sigs *sigs,
			   struct err *err)
{
	gpgme_data_t d = NULL, s = NULL;
	gpgme_error_t e;

	if (data_mem(&d, data, len, err) < 0)
		return -1;
	if (data_mem(&s, sig, siglen, err) < 0) {
		gpgme_data_release(d);
		return -1;
	}
	e = gpgme_op_verify(c->ctx, s, d, NULL);
	gpgme_data_release(d);
	gpgme_data_release(s);
	if (e && !gpgme_op_verify_result(c->ctx))
		return err_set(err, EX_DATAERR, "cannot check signature: %s", gpgme_strerror(e));
	if (e && gpgme_err_code(e) == GPG_ERR_NO_DATA)
		return err_set(err, EX_DATAERR, "cannot check signature: %s", gpgme_strerror(e));
	collect_sigs(c->ctx, from_addr, sigs);
	return 0;
}

int crypto_verify_inline(struct crypto *c, const char *data, size_t len, const char *from_addr,
			 struct buf *plain, struct crypto_sigs *sigs, struct err *err)
{
	gpgme_data_t d = NULL, out = NULL;
	gpgme_error_t e;

	if (data_mem(&d, data, len, err) < 0)
		return -1;
	if ((e = gpgme_data_new(&out))) {
		gpgme_data_release(d);
		return err_set(err, EX_OSERR, "gpgme data: %s", gpgme_strerror(e));
	}
	e = gpgme_op_verify(c->ctx, d, NULL, out);
	gpgme_data_release(d);
	if (e) {
		gpgme_data_release(out);
		return err_set(err, EX_DATAERR, "cannot check signature: %s", gpgme_strerror(e));
	}
	take_plain(out, plain);
	collect_sigs(c->ctx, from_addr, sigs);
	return 0;
}

static int decrypt_error(gpgme_error_t e, struct err *err)
{
	switch (gpgme_err_code(e)) {
	case GPG_ERR_BAD_PASSPHRASE:
	case GPG_ERR_CANCELED:
	case GPG_ERR_FULLY_CANCELED:
	case GPG_ERR_NO_PIN:
		return err_set(err, EX_NOPERM, "cannot decrypt: %s", gpgme_strerror(e));
	default:
		return err_set(err, EX_DATAERR, "cannot decrypt: %s", gpgme_strerror(e));
	}
}

int crypto_decrypt(struct crypto *c, const char *data, size_t len, const char *from_addr,
		   struct buf *plain, struct crypto_sigs *sigs, struct err *err)
{
	gpgme_data_t d = NULL, out = NULL;
	gpgme_decrypt_result_t dr;
	gpgme_error_t e;

	if (data_mem(&d, data, len, err) < 0)
		return -1;
	if ((e = gpgme_data_new(&out))) {
		gpgme_data_release(d);
		return err_set(err, EX_OSERR, "gpgme data: %s", gpgme_strerror(e));
	}
	e = gpgme_op_decrypt_verify(c->ctx, d, out);
	gpgme_data_release(d);
	dr = gpgme_op_decrypt_result(c->ctx);
	if (!e && dr && dr->unsupported_algorithm)
		e = gpgme_error(GPG_ERR_UNSUPPORTED_ALGORITHM);
	if (e) {
		size_t n = 0;
		char *mem = gpgme_data_release_and_get_mem(out, &n);

		if (mem) {
			explicit_bzero(mem, n);
			gpgme_free(mem);
		}
		return decrypt_error(e, err);
	}
	take_plain(out, plain);
	collect_sigs(c->ctx, from_addr, sigs);
	return 0;
}
