/*
 * crypto: the one door to GPGME, OpenPGP only.  It owns the library's
 * start (version check, locale), the context a program works with (the
 * engine home from $GNUPGHOME, armour, how a passphrase is asked for) and
 * the result types every caller shows: a signature's status, signer,
 * fingerprint and validity, judged against the From address.  The
 * operations here are the reading side's (verify, decrypt); a module that
 * writes (sign, encrypt, key lookup) works on the same context through
 * crypto_gpgme().  Which parts of a message are signed or encrypted is
 * cryptomsg.h's business; the terminal (leaving curses around a prompt)
 * is the caller's.
 *
 * Ownership: the caller keeps what it passes in; a struct crypto is freed
 * with crypto_free(), a struct crypto_sigs with crypto_sigs_release().
 * Decrypted text lands only in the caller's struct buf: nothing here
 * writes a file, and GPGME's own copies are wiped before they are freed.
 */
#ifndef SUREL_CRYPTO_H
#define SUREL_CRYPTO_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define CRYPTO_WUR __attribute__((warn_unused_result))

struct crypto;
struct gpgme_context;

/* How gpg-agent gets a passphrase. */
enum crypto_pinentry {
	/* gpg-agent runs its own pinentry (curses, tty, GUI): the default.  A
	 * terminal program leaves curses (endwin) before an operation that may
	 * prompt and comes back after it. */
	CRYPTO_PINENTRY_AGENT,
	/* GPGME asks us (pinentry-mode loopback; the agent needs
	 * allow-loopback-pinentry): the passphrase callback given to
	 * crypto_new(), or without one a line read from the descriptor named
	 * in $SUREL_PASSPHRASE_FD, else from /dev/tty with echo off (an
	 * empty line cancels). */
	CRYPTO_PINENTRY_LOOPBACK,
};

/*
 * A passphrase callback for CRYPTO_PINENTRY_LOOPBACK: write the passphrase
 * (no newline) into buf of size len, NUL-terminated, and return 0; return
 * -1 to cancel.  hint is GPGME's user id hint ("KEYID uid", may be NULL,
 * not sanitised); bad is non-zero when the previous try was wrong.
 */
typedef int (*crypto_passphrase_fn)(void *arg, const char *hint, int bad, char *buf,
				    size_t len);

/* What a signature is, in the words of the `spool show --json` contract. */
enum crypto_sig_status {
	CRYPTO_SIG_GOOD,         /* valid over the data, key neither expired nor revoked */
	CRYPTO_SIG_BAD,          /* the data or the signature was changed */
	CRYPTO_SIG_UNKNOWN_KEY,  /* the key is not in the keyring: nothing is known */
	CRYPTO_SIG_EXPIRED_KEY,  /* made by a key that has expired (or an expired signature) */
	CRYPTO_SIG_REVOKED_KEY,  /* made by a revoked key */
	CRYPTO_SIG_ERROR,        /* could not be checked (engine error, bad format) */
};

/* How far the keyring trusts that the key belongs to its user id (GPGME's
 * validity; "good" says nothing about this). */
enum crypto_validity {
	CRYPTO_VALIDITY_UNKNOWN,
	CRYPTO_VALIDITY_UNDEFINED,
	CRYPTO_VALIDITY_NEVER,
	CRYPTO_VALIDITY_MARGINAL,
	CRYPTO_VALIDITY_FULL,
	CRYPTO_VALIDITY_ULTIMATE,
};

struct crypto_sig {
	enum crypto_sig_status status;
	enum crypto_validity validity;
	char *fingerprint;       /* upper-case hex, or the key id GPGME gave; NULL when none */
	char *uid;               /* the signer's user id: the one carrying the From
				  * address, else the key's first; NULL when the key
				  * is unknown.  Raw UTF-8 from the key: sanitise
				  * before showing it */
	int valid_from_address;  /* a non-revoked user id of the key has the From address */
	time_t created;          /* signature time, 0 when unknown */
	char *detail;            /* for CRYPTO_SIG_ERROR: GPGME's reason; else NULL */
};

/* A growing list of signatures (a message may carry several, at several
 * levels); zero-initialise, or CRYPTO_SIGS_INIT. */
struct crypto_sigs {
	struct crypto_sig *v;
	size_t n;
};

#define CRYPTO_SIGS_INIT { NULL, 0 }

void crypto_sigs_release(struct crypto_sigs *s);

/* "good", "bad", "unknown-key", "expired-key", "revoked-key", "error". */
const char *crypto_sig_status_name(enum crypto_sig_status s);
/* "unknown", "undefined", "never", "marginal", "full", "ultimate". */
const char *crypto_validity_name(enum crypto_validity v);

/*
 * Start GPGME once per process (later calls return at once): checks the
 * library version and that an OpenPGP engine exists, and passes the
 * locale on so pinentry speaks the user's language, and sets GPG_TTY to
 * the terminal on standard input when it is unset, so gpg-agent's pinentry
 * asks there.  EX_UNAVAILABLE when gpg is missing.
 */
int crypto_init(struct err *err) CRYPTO_WUR;

/* The mode chosen by the environment: CRYPTO_PINENTRY_LOOPBACK when
 * $SUREL_PINENTRY is "loopback" (tests, scripts), else the agent's. */
enum crypto_pinentry crypto_pinentry_from_env(void);

/*
 * A new OpenPGP context (crypto_init() is called first): ASCII armour on,
 * the home directory GnuPG itself would use ($GNUPGHOME, else ~/.gnupg),
 * passphrases as mode says.  cb (may be NULL) and cb_arg serve loopback
 * mode and are ignored otherwise.  NULL on error (EX_UNAVAILABLE, EX_OSERR).
 */
struct crypto *crypto_new(enum crypto_pinentry mode, crypto_passphrase_fn cb, void *cb_arg,
			  struct err *err);
void crypto_free(struct crypto *c);

/* The GPGME context inside c (a gpgme_ctx_t), for modules doing what this
 * one does not (sign, encrypt, list keys).  Borrowed until crypto_free();
 * leave armour, protocol and pinentry as they are. */
struct gpgme_context *crypto_gpgme(struct crypto *c);

/*
 * Check a detached signature (RFC 3156 section 5: sig over data exactly as
 * given, CRLF line ends are the caller's job).  Each signature is appended
 * to sigs, judged against from_addr (the From address, may be NULL: then
 * valid_from_address is 0).  Returns 0 when the check ran, whatever its
 * verdict; -1 only when it could not run at all (then nothing is added).
 */
int crypto_verify_detached(struct crypto *c, const char *data, size_t len, const char *sig,
			   size_t siglen, const char *from_addr, struct crypto_sigs *sigs,
			   struct err *err) CRYPTO_WUR;

/*
 * Check an inline signed text (a cleartext-signed "-----BEGIN PGP SIGNED
 * MESSAGE-----" block or an opaque signed message): the signed text is
 * appended to plain, the signatures to sigs as crypto_verify_detached()
 * does.  -1 when nothing could be read.
 */
int crypto_verify_inline(struct crypto *c, const char *data, size_t len, const char *from_addr,
			 struct buf *plain, struct crypto_sigs *sigs, struct err *err) CRYPTO_WUR;

/*
 * Decrypt an OpenPGP message (armoured or binary) and check any
 * signatures inside it: the plaintext is appended to plain (the caller
 * wipes it with explicit_bzero() before releasing it), signatures to sigs.
 * May make gpg-agent ask for a passphrase.  -1 with EX_DATAERR when no
 * secret key fits or the data is not a message, EX_NOPERM when the
 * passphrase was refused or the prompt cancelled; plain is then unchanged.
 */
int crypto_decrypt(struct crypto *c, const char *data, size_t len, const char *from_addr,
		   struct buf *plain, struct crypto_sigs *sigs, struct err *err) CRYPTO_WUR;

#endif
