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
	gpgme_ctx_t keys;          /* for signer lookups; made on first need */
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
	/* GPGME would otherwise run gpgconf three times and gpgsm once on
	 * start, only to find the gpg it then finds on its own: processes a
	 * reader waits for before the first signature is checked. */
	gpgme_set_global_flag("disable-gpgconf", "1");
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
		if (r <= 0 && !n)
			return -1;
		if (r <= 0 || c == '\n')
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
	buf_puts(&prompt, " (Enter alone cancels): ");
	/* Echo goes off before the prompt shows, so nothing typed in answer
	 * to it is echoed; what was typed is kept (no flush). */
	have_attr = tcgetattr(fd, &old) == 0;
	if (have_attr) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSANOW, &quiet);
	}
	rc = write(fd, prompt.data, prompt.len) == (ssize_t)prompt.len ? 0 : -1;
	buf_release(&prompt);
	if (rc == 0)
		rc = read_line_fd(fd, buf, len);
	if (rc == 0 && !*buf)
		rc = -1;
	if (have_attr)
		tcsetattr(fd, TCSADRAIN, &old);
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
	gpgme_release(c->keys);
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

/* The key with fingerprint fpr, listed on a context of our own kept for
 * that: gpgme_get_key() would make a new context each time, and GPGME asks
 * gpg for its version for every new one, a process more per signature. */
static gpgme_key_t find_key(struct crypto *c, const char *fpr)
{
	gpgme_key_t key = NULL;

	if (!c->keys) {
		if (gpgme_new(&c->keys))
			return NULL;
		gpgme_set_protocol(c->keys, GPGME_PROTOCOL_OpenPGP);
	}
	if (gpgme_op_keylist_start(c->keys, fpr, 0))
		return NULL;
	if (gpgme_op_keylist_next(c->keys, &key))
		key = NULL;
	gpgme_op_keylist_end(c->keys);
	return key;
}

/* The user id gpg named for each signature of the last operation (the
 * key's primary one, on its GOODSIG, EXPSIG, EXPKEYSIG, REVKEYSIG or
 * BADSIG status line), one slot per NEWSIG: when it carries the From
 * address, no key listing (a gpg process more) is needed. */
#define SIG_SLOTS 16
struct status_uids {
	char *uid[SIG_SLOTS];
	size_t n;
	int overflow;
};

static gpgme_error_t status_cb(void *hook, const char *keyword, const char *args)
{
	static const char *const named[] = { "GOODSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "BADSIG" };
	struct status_uids *su = hook;
	const char *sp;
	struct buf b = BUF_INIT;
	size_t i;

	if (strcmp(keyword, "NEWSIG") == 0) {
		if (su->n < SIG_SLOTS)
			su->uid[su->n++] = NULL;
		else
			su->overflow = 1;
		return 0;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(keyword, named[i]) == 0)
			break;
	if (i == sizeof(named) / sizeof(named[0]) || !su->n || su->uid[su->n - 1] || !args ||
	    !(sp = strchr(args, ' ')))
		return 0;
	/* Status lines escape what is not printable as %XX. */
	codec_pct_decode(sp + 1, strlen(sp + 1), &b);
	su->uid[su->n - 1] = buf_detach(&b, NULL);
	return 0;
}

static void status_uids_release(struct status_uids *su)
{
	size_t i;

	for (i = 0; i < su->n; i++)
		free(su->uid[i]);
	su->n = 0;
}

static void status_start(struct crypto *c, struct status_uids *su)
{
	memset(su, 0, sizeof *su);
	gpgme_set_ctx_flag(c->ctx, "full-status", "1");
	gpgme_set_status_cb(c->ctx, status_cb, su);
}

/* Whether the user id uid is the address addr. */
static int uid_is(const char *uid, const char *addr)
{
	char *spec = uid && addr ? gpgme_addrspec_from_uid(uid) : NULL;
	int same = spec && ascii_ieq(spec, strlen(spec), addr);

	gpgme_free(spec);
	return same;
}

/* The signer's user id and whether one carries from_addr: the one gpg
 * named when it is From's, else from a listing of the key's user ids. */
static void fill_signer(struct crypto *c, struct crypto_sig *sig, const char *named,
			const char *from_addr)
{
	gpgme_key_t key;
	gpgme_user_id_t u;
	const char *pick = named;

	if (!sig->fingerprint || sig->status == CRYPTO_SIG_UNKNOWN_KEY)
		return;
	if (named && uid_is(named, from_addr)) {
		sig->uid = xstrdup(named);
		sig->valid_from_address = 1;
		return;
	}
	if (!(key = find_key(c, sig->fingerprint))) {
		if (named)
			sig->uid = xstrdup(named);
		return;
	}
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

static void collect_sigs(struct crypto *c, struct status_uids *su, const char *from_addr,
			 struct crypto_sigs *out)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(c->ctx);
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
	/* The slots name the signatures in GPGME's order only when there is
	 * one for each. */
	if (su->overflow || su->n != out->n - first)
		status_uids_release(su);
	for (i = first; i < out->n; i++)
		fill_signer(c, &out->v[i], su->n ? su->uid[i - first] : NULL, from_addr);
	status_uids_release(su);
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
	struct status_uids su;
	gpgme_error_t e;

	if (data_mem(&d, data, len, err) < 0)
		return -1;
	if (data_mem(&s, sig, siglen, err) < 0) {
		gpgme_data_release(d);
		return -1;
	}
	status_start(c, &su);
	e = gpgme_op_verify(c->ctx, s, d, NULL);
	gpgme_set_status_cb(c->ctx, NULL, NULL);
	gpgme_data_release(d);
	gpgme_data_release(s);
	if (e && (!gpgme_op_verify_result(c->ctx) || gpgme_err_code(e) == GPG_ERR_NO_DATA)) {
		status_uids_release(&su);
		return err_set(err, EX_DATAERR, "cannot check signature: %s", gpgme_strerror(e));
	}
	collect_sigs(c, &su, from_addr, sigs);
	return 0;
}

enum op { OP_VERIFY, OP_DECRYPT_VERIFY };

/* Run op over the len bytes at data, its output into a new *out and the
 * signers' status lines into *su; *e gets GPGME's answer.  -1 (err set,
 * nothing to release) when GPGME cannot hold the data. */
static int run_op(struct crypto *c, enum op op, const char *data, size_t len,
		  gpgme_data_t *out, struct status_uids *su, gpgme_error_t *e, struct err *err)
{
	gpgme_data_t d = NULL;

	if (data_mem(&d, data, len, err) < 0)
		return -1;
	if ((*e = gpgme_data_new(out))) {
		gpgme_data_release(d);
		return err_set(err, EX_OSERR, "gpgme data: %s", gpgme_strerror(*e));
	}
	status_start(c, su);
	*e = op == OP_VERIFY ? gpgme_op_verify(c->ctx, d, NULL, *out) :
			       gpgme_op_decrypt_verify(c->ctx, d, *out);
	gpgme_set_status_cb(c->ctx, NULL, NULL);
	gpgme_data_release(d);
	return 0;
}

int crypto_verify_inline(struct crypto *c, const char *data, size_t len, const char *from_addr,
			 struct buf *plain, struct crypto_sigs *sigs, struct err *err)
{
	gpgme_data_t out = NULL;
	struct status_uids su;
	gpgme_error_t e;

	if (run_op(c, OP_VERIFY, data, len, &out, &su, &e, err) < 0)
		return -1;
	if (e) {
		status_uids_release(&su);
		gpgme_data_release(out);
		return err_set(err, EX_DATAERR, "cannot check signature: %s", gpgme_strerror(e));
	}
	take_plain(out, plain);
	collect_sigs(c, &su, from_addr, sigs);
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
	gpgme_data_t out = NULL;
	gpgme_decrypt_result_t dr;
	struct status_uids su;
	gpgme_error_t e;

	if (run_op(c, OP_DECRYPT_VERIFY, data, len, &out, &su, &e, err) < 0)
		return -1;
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
		status_uids_release(&su);
		return decrypt_error(e, err);
	}
	take_plain(out, plain);
	collect_sigs(c, &su, from_addr, sigs);
	return 0;
}
