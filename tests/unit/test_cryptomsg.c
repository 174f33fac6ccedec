#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "cryptomsg.h"
#include "suites.h"

static enum cryptomsg_kind kind_of(const char *raw)
{
	struct msg *m = msg_parse(raw, strlen(raw), 0);
	enum cryptomsg_kind k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	k = cryptomsg_kind(m);
	msg_free(m);
	return k;
}

#define SIGNED_HEAD "From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/signed; "
#define ENC_HEAD "From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; "
#define BODY "boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: x/y\n\nz\n--b--\n"

static void test_kind(void)
{
	static const struct {
		const char *raw;
		enum cryptomsg_kind want;
	} v[] = {
		{ "Subject: plain\n\nhello\n", CRYPTOMSG_PLAIN },
		{ SIGNED_HEAD "protocol=\"application/pgp-signature\"; micalg=pgp-sha256; " BODY,
		  CRYPTOMSG_SIGNED },
		/* Parameter and type names are case-insensitive. */
		{ "Content-Type: Multipart/Signed; PROTOCOL=\"Application/PGP-Signature\"; " BODY,
		  CRYPTOMSG_SIGNED },
		/* S/MIME is not ours. */
		{ SIGNED_HEAD "protocol=\"application/pkcs7-signature\"; " BODY, CRYPTOMSG_PLAIN },
		{ SIGNED_HEAD BODY, CRYPTOMSG_PLAIN },
		{ ENC_HEAD "protocol=\"application/pgp-encrypted\"; " BODY, CRYPTOMSG_ENCRYPTED },
		{ ENC_HEAD "protocol=\"application/pkcs7-mime\"; " BODY, CRYPTOMSG_PLAIN },
		{ "Subject: x\n\nSee below.\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n"
		  "-----BEGIN PGP SIGNATURE-----\n\nxx\n-----END PGP SIGNATURE-----\n",
		  CRYPTOMSG_INLINE_SIGNED },
		{ "Content-Type: text/plain; charset=us-ascii\n\n-----BEGIN PGP MESSAGE-----\r\n\r\nxx\r\n"
		  "-----END PGP MESSAGE-----\r\n", CRYPTOMSG_INLINE_ENCRYPTED },
		/* Armour in quoted-printable is found after decoding. */
		{ "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
		  "-----BEGIN PGP MESSAGE=\n-----\n\nxx\n-----END PGP MESSAGE-----\n",
		  CRYPTOMSG_INLINE_ENCRYPTED },
		/* Only at the start of a line, and only when the block ends. */
		{ "Subject: x\n\nquote: -----BEGIN PGP MESSAGE-----\nxx\n-----END PGP MESSAGE-----\n",
		  CRYPTOMSG_PLAIN },
		{ "Subject: x\n\n-----BEGIN PGP MESSAGE-----\nxx\n", CRYPTOMSG_PLAIN },
		/* A list's footer part after PGP/MIME. */
		{ "Content-Type: multipart/mixed; boundary=m\n\n--m\n"
		  "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; " BODY
		  "\n--m\nContent-Type: application/pgp-signature\n\nx\n--m--\n", CRYPTOMSG_SIGNED },
		{ "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nx\n"
		  "--m\nContent-Type: application/pdf\n\ny\n--m--\n", CRYPTOMSG_PLAIN },
		/* Not in an HTML body or a multipart: only a text/plain body. */
		{ "Content-Type: text/html\n\n-----BEGIN PGP MESSAGE-----\nxx\n-----END PGP MESSAGE-----\n",
		  CRYPTOMSG_PLAIN },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CU_ASSERT_EQUAL(kind_of(v[i].raw), v[i].want);
}

/* Without --decrypt an encrypted message is noted, never opened, and no
 * GnuPG is needed for that. */
static void test_open_without_decrypt(void)
{
	static const char raw[] = ENC_HEAD "protocol=\"application/pgp-encrypted\"; " BODY;
	static const char plain[] = "Subject: plain\n\nhello\n";
	struct cryptomsg cm;
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(cryptomsg_open(raw, strlen(raw), 0, NULL, NULL, &cm, &err), 0);
	CU_ASSERT_TRUE(cm.encrypted);
	CU_ASSERT_FALSE(cm.decrypted);
	CU_ASSERT_FALSE(cm.is_signed);
	CU_ASSERT_PTR_NULL(cm.data);
	CU_ASSERT_EQUAL(cm.sigs.n, 0);
	cryptomsg_release(&cm);
	CU_ASSERT_EQUAL(cryptomsg_open(plain, strlen(plain), CRYPTOMSG_DECRYPT, NULL, NULL, &cm, &err), 0);
	CU_ASSERT_FALSE(cm.encrypted || cm.is_signed);
	CU_ASSERT_PTR_NULL(cm.data);
	cryptomsg_release(&cm);
}

static char *line_with(enum crypto_sig_status st, enum crypto_validity v, const char *uid,
		       int from_ok, int *warn)
{
	struct crypto_sig s;
	struct buf b = BUF_INIT;

	memset(&s, 0, sizeof s);
	s.status = st;
	s.validity = v;
	s.fingerprint = (char *)"0123456789ABCDEF0123456789ABCDEF01234567";
	s.uid = (char *)uid;
	s.valid_from_address = from_ok;
	s.detail = st == CRYPTO_SIG_ERROR ? (char *)"General error" : NULL;
	*warn = cryptomsg_sig_line(&s, &b);
	return buf_detach(&b, NULL);
}

static char *line_of(enum crypto_sig_status st, const char *uid, int from_ok, int *warn)
{
	return line_with(st, CRYPTO_VALIDITY_MARGINAL, uid, from_ok, warn);
}

/* Ana's signature, her address in From, the key of validity v. */
static char *line_of_valid(enum crypto_sig_status st, enum crypto_validity v, int *warn)
{
	return line_with(st, v, "Ana <ana@example.org>", 1, warn);
}

static void test_sig_line(void)
{
	char *l;
	int warn;

	/* Good from a key the keyring does not fully vouch for: a warning. */
	l = line_of(CRYPTO_SIG_GOOD, "Ana <ana@example.org>", 1, &warn);
	CU_ASSERT_STRING_EQUAL(l, "Good signature from \"Ana <ana@example.org>\", key "
			       "0123456789ABCDEF0123456789ABCDEF01234567, validity marginal"
			       " -- the key is NOT certified as the signer's");
	CU_ASSERT_TRUE(warn);
	free(l);
	l = line_of_valid(CRYPTO_SIG_GOOD, CRYPTO_VALIDITY_UNKNOWN, &warn);
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "validity unknown -- the key is NOT certified"));
	CU_ASSERT_TRUE(warn);
	free(l);
	l = line_of_valid(CRYPTO_SIG_GOOD, CRYPTO_VALIDITY_FULL, &warn);
	CU_ASSERT_STRING_EQUAL(l, "Good signature from \"Ana <ana@example.org>\", key "
			       "0123456789ABCDEF0123456789ABCDEF01234567, validity full");
	CU_ASSERT_FALSE(warn);
	free(l);
	l = line_of_valid(CRYPTO_SIG_EXPIRED_KEY, CRYPTO_VALIDITY_FULL, &warn);
	CU_ASSERT_PTR_NULL(strstr(l, "NOT certified"));
	CU_ASSERT_TRUE(warn);
	free(l);
	l = line_of(CRYPTO_SIG_GOOD, "Ana <ana@example.org>", 0, &warn);
	CU_ASSERT_PTR_NOT_NULL(strstr(l, " -- NOT the From address"));
	CU_ASSERT_TRUE(warn);
	free(l);
	l = line_of(CRYPTO_SIG_BAD, NULL, 0, &warn);
	CU_ASSERT_EQUAL(strncmp(l, "*** BAD signature", 17), 0);
	CU_ASSERT_PTR_NULL(strstr(l, "Good"));
	CU_ASSERT_TRUE(warn);
	free(l);
	/* Nothing is known of an unknown key: no validity, no From verdict. */
	l = line_of(CRYPTO_SIG_UNKNOWN_KEY, NULL, 0, &warn);
	CU_ASSERT_STRING_EQUAL(l, "Signature by an unknown key, not checked, key "
			       "0123456789ABCDEF0123456789ABCDEF01234567");
	CU_ASSERT_TRUE(warn);
	free(l);
	l = line_of(CRYPTO_SIG_EXPIRED_KEY, "Old <o@example.org>", 1, &warn);
	CU_ASSERT_EQUAL(strncmp(l, "Signature by an EXPIRED key from", 32), 0);
	CU_ASSERT_TRUE(warn);
	free(l);
	l = line_of(CRYPTO_SIG_REVOKED_KEY, "Gone <g@example.org>", 1, &warn);
	CU_ASSERT_EQUAL(strncmp(l, "Signature by a REVOKED key from", 31), 0);
	free(l);
	l = line_of(CRYPTO_SIG_ERROR, NULL, 0, &warn);
	CU_ASSERT_PTR_NOT_NULL(strstr(l, ": General error"));
	free(l);
	/* A user id is text from a key: made inert. */
	l = line_of(CRYPTO_SIG_GOOD, "Evil \033]0;pwned\007 \033[31mx <e@example.org>", 1, &warn);
	CU_ASSERT_PTR_NULL(strchr(l, '\033'));
	CU_ASSERT_PTR_NULL(strchr(l, '\007'));
	free(l);
}

void suite_cryptomsg(void)
{
	CU_pSuite s = CU_add_suite("cryptomsg", NULL, NULL);

	CU_add_test(s, "structure of a message's body", test_kind);
	CU_add_test(s, "an encrypted message is not opened without asking", test_open_without_decrypt);
	CU_add_test(s, "status line wording", test_sig_line);
}
