/*
 * pgpmime: writing PGP/MIME (RFC 3156) through GPGME.  Wraps a finished
 * MIME entity into multipart/signed or multipart/encrypted (signed and
 * encrypted in one OpenPGP message, RFC 3156 6.2), finds the keys to
 * sign and encrypt with, decrypts surel's own drafts, and imports and
 * exports keys for Autocrypt (lib/autocrypt.h).  Which headers are
 * protected and how the message around the entity looks is the composer's
 * (mua/compose_mime.c); verifying and showing signed or encrypted mail is
 * the reader's (lib/crypto.h and the pager).
 *
 * Every call works on a lib/crypto.h context (the GnuPG home, and
 * passphrases through gpg-agent's pinentry or loopback as
 * crypto_pinentry_from_env() says): a caller on a curses screen leaves
 * curses first.  Plaintext never goes to a file: GPGME passes it to gpg
 * through pipes.
 *
 * The caller keeps what it passes in; `char *` results are the caller's to
 * free().  Every fallible call returns 0/-1 (or a count) and fills err:
 * EX_DATAERR for a key that is missing or unusable, EX_UNAVAILABLE when
 * GnuPG cannot be used or refuses (no agent, no pinentry, a cancelled or
 * wrong passphrase).
 */
#ifndef SUREL_PGPMIME_H
#define SUREL_PGPMIME_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define PGPMIME_WUR __attribute__((warn_unused_result))

enum pgpmime_flags {
	PGPMIME_SIGN = 1u << 0,
	PGPMIME_ENCRYPT = 1u << 1,
};

/* The signing key: fpr (a fingerprint, as cfg's pgp_key) when given, else
 * the first secret key with a user id for addr that can sign.  Its
 * fingerprint (uppercase hex) goes to *fpr_out.  EX_DATAERR naming the
 * key or address when there is none, or it is revoked, expired, disabled
 * or cannot sign. */
int pgpmime_signer(const char *fpr, const char *addr, char **fpr_out, struct err *err) PGPMIME_WUR;

/* A usable encryption key for addr: a key with a user id for addr (not
 * revoked) that can encrypt and is not revoked, expired, disabled or
 * invalid, and whose user id GnuPG holds at least marginally valid; or,
 * when extra_fpr is given (a key Autocrypt learned for addr), that key if
 * it can encrypt and is in the keyring.  1 with *fpr_out set, 0 when
 * there is none, -1 when GnuPG cannot be asked. */
int pgpmime_enc_key(const char *addr, const char *extra_fpr, char **fpr_out,
		    struct err *err) PGPMIME_WUR;

/* Wrap entity (len bytes: header lines, an empty line, the body; LF line
 * ends, 7-bit, no trailing blanks on lines when signing, as RFC 3156 5
 * asks) and append to out the new entity's Content-Type line, an empty
 * line and its body, LF line ends:
 * - PGPMIME_SIGN: multipart/signed; protocol="application/pgp-signature";
 *   micalg=pgp-<hash>, the entity byte for byte and a detached, armored
 *   signature over it in canonical form (CRLF line ends), by signer;
 * - PGPMIME_ENCRYPT (with or without SIGN): multipart/encrypted;
 *   protocol="application/pgp-encrypted", the entity encrypted (and signed
 *   by signer in the same OpenPGP message) to the nkeys fingerprints in
 *   keys, armored.  The keys are the caller's choice, so GnuPG's trust
 *   model is not asked again.
 * Errors: as above; out is left as it was. */
int pgpmime_wrap(const char *entity, size_t len, unsigned flags, const char *signer,
		 char *const *keys, size_t nkeys, struct buf *out, struct err *err) PGPMIME_WUR;

/* Whether msg (a whole message, len bytes) is PGP/MIME encrypted at its
 * top level (Content-Type multipart/encrypted). */
int pgpmime_is_encrypted(const char *msg, size_t len);

/* Decrypt the multipart/encrypted message msg and append the inner
 * entity (the plaintext MIME entity, its line ends made LF) to out.
 * EX_DATAERR when msg is not PGP/MIME encrypted or no secret key opens
 * it, EX_NOPERM when the passphrase was refused (crypto_decrypt()). */
int pgpmime_decrypt(const char *msg, size_t len, struct buf *out, struct err *err) PGPMIME_WUR;

/* The public key fpr, exported minimal (no signatures but the latest
 * self-signatures), binary, appended to out: Autocrypt's keydata. */
int pgpmime_export_min(const char *fpr, struct buf *out, struct err *err) PGPMIME_WUR;

/* Import len bytes of binary or armored key data into the keyring; the
 * fingerprint of the (first) key in it goes to *fpr_out.  EX_DATAERR when
 * the data hold no key. */
int pgpmime_import(const void *data, size_t len, char **fpr_out, struct err *err) PGPMIME_WUR;

#endif
