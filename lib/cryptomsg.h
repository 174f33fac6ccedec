/*
 * cryptomsg: reading a signed or encrypted message.  It finds the OpenPGP
 * structure of a message (RFC 3156 multipart/signed and
 * multipart/encrypted, nested either way, and inline PGP in a text/plain
 * body), has crypto.h verify and decrypt it, and hands back the message a
 * reader should see: the outer headers with the protected ones found
 * inside (header protection, Autocrypt's "memory hole") in front of them,
 * then the innermost entity.  It also words the one status line per
 * signature that every view shows.  Only the whole body is looked at, or
 * the first part of a multipart/mixed (a mailing list's footer added as a
 * part of its own): a signed part further down is shown as it stands.
 * Showing is the caller's (pager, spool show); the folder index, the
 * address book and body search never call this, so decrypted text stays in
 * the memory of the reader that asked for it.
 *
 * Ownership: the caller keeps what it passes in; a struct cryptomsg holds
 * its own copies and is cleared with cryptomsg_release(), which wipes the
 * plaintext before freeing it.
 */
#ifndef SUREL_CRYPTOMSG_H
#define SUREL_CRYPTOMSG_H

#include <stddef.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "msg.h"

/* What the body of a message is, seen without any cryptography. */
enum cryptomsg_kind {
	CRYPTOMSG_PLAIN,             /* nothing we read */
	CRYPTOMSG_SIGNED,            /* multipart/signed, protocol application/pgp-signature */
	CRYPTOMSG_ENCRYPTED,         /* multipart/encrypted, protocol application/pgp-encrypted */
	CRYPTOMSG_INLINE_SIGNED,     /* text/plain with "-----BEGIN PGP SIGNED MESSAGE-----" */
	CRYPTOMSG_INLINE_ENCRYPTED,  /* text/plain with "-----BEGIN PGP MESSAGE-----" */
};

/* The kind of m's body: its top Content-Type (a multipart/mixed counts by
 * a PGP/MIME signature or version part among its leaves), and for a
 * text/plain body whether an armour line starts one of its lines.  No
 * GPGME, no prompt: cheap enough to ask before deciding to leave curses;
 * PLAIN means cryptomsg_open() would find nothing. */
enum cryptomsg_kind cryptomsg_kind(const struct msg *m);

enum cryptomsg_flags {
	CRYPTOMSG_DECRYPT = 1u << 0,  /* decrypt what is encrypted (else only note it) */
};

/* Called once, right before the first operation that may ask for a
 * passphrase (a terminal program leaves curses there). */
typedef void (*cryptomsg_prompt_fn)(void *arg);

struct cryptomsg {
	int is_signed;             /* at least one signature was found (one that could
				    * not be checked at all is in sigs with status
				    * CRYPTO_SIG_ERROR) */
	int encrypted;             /* an encrypted layer was found */
	int decrypted;             /* ... and decrypted */
	int protected_headers;     /* inner headers took the place of outer ones */
	int inline_pgp;            /* the layer found was inline PGP */
	int partly_signed;         /* text or parts outside what was signed or
				    * encrypted are shown too (inline PGP with text
				    * around the block, a list footer part) */
	struct crypto_sigs sigs;   /* every signature, outermost first */
	struct err error;          /* why a layer could not be opened (code 0: none) */
	/* The message to show (NUL-terminated): the outer headers, protected
	 * ones first, then the innermost entity; NULL when there was nothing
	 * to unwrap (show the original).  Decrypted plaintext: never written
	 * to a file, wiped by cryptomsg_release(). */
	char *data;
	size_t len;
	/* The header section of the first payload decrypted (the lines of
	 * its top-level entity up to the empty line, as they came), NULL
	 * when nothing was: where Autocrypt-Gossip fields are read from
	 * (lib/autocrypt.h), since only there are they protected.  Wiped by
	 * cryptomsg_release() too. */
	char *payload_head;
};

/*
 * Open the message at data: verify each signature, decrypt each encrypted
 * layer when flags has CRYPTOMSG_DECRYPT (prompt, may be NULL, is called
 * before that), up to a few layers deep.  Always fills *out (release it
 * even on error).  A layer that cannot be opened (no secret key, refused
 * passphrase) stops the walk with out->error set and returns 0: what was
 * found so far stays.  -1 only when GnuPG cannot be used at all
 * (EX_UNAVAILABLE) for a message that needs it.
 */
int cryptomsg_open(const char *data, size_t len, unsigned flags, cryptomsg_prompt_fn prompt,
		   void *prompt_arg, struct cryptomsg *out, struct err *err) CRYPTO_WUR;
void cryptomsg_release(struct cryptomsg *cm);

/*
 * The status line of one signature, sanitised, no newline, appended to
 * out: "Good signature", "BAD signature", "Unknown key", "EXPIRED key",
 * "REVOKED key" or "Signature not checked", the signer's user id, key
 * fingerprint and validity, "-- the key is NOT certified as the
 * signer's" for a good signature from a key of less than full validity,
 * and "-- NOT the From address" when no user id of the key carries it.  A
 * good signature is never called verified.  Returns whether the line is a
 * warning (anything but good from a fully valid key matching From).
 */
int cryptomsg_sig_line(const struct crypto_sig *s, struct buf *out);

#endif
