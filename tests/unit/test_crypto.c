#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "crypto.h"
#include "suites.h"
#include "tutil.h"

static void test_status_names(void)
{
	CU_ASSERT_STRING_EQUAL(crypto_sig_status_name(CRYPTO_SIG_GOOD), "good");
	CU_ASSERT_STRING_EQUAL(crypto_sig_status_name(CRYPTO_SIG_BAD), "bad");
	CU_ASSERT_STRING_EQUAL(crypto_sig_status_name(CRYPTO_SIG_UNKNOWN_KEY), "unknown-key");
	CU_ASSERT_STRING_EQUAL(crypto_sig_status_name(CRYPTO_SIG_EXPIRED_KEY), "expired-key");
	CU_ASSERT_STRING_EQUAL(crypto_sig_status_name(CRYPTO_SIG_REVOKED_KEY), "revoked-key");
	CU_ASSERT_STRING_EQUAL(crypto_sig_status_name(CRYPTO_SIG_ERROR), "error");
	CU_ASSERT_STRING_EQUAL(crypto_validity_name(CRYPTO_VALIDITY_FULL), "full");
	CU_ASSERT_STRING_EQUAL(crypto_validity_name(CRYPTO_VALIDITY_UNKNOWN), "unknown");
}

static void test_pinentry_env(void)
{
	setenv("SUREL_PINENTRY", "loopback", 1);
	CU_ASSERT_EQUAL(crypto_pinentry_from_env(), CRYPTO_PINENTRY_LOOPBACK);
	setenv("SUREL_PINENTRY", "agent", 1);
	CU_ASSERT_EQUAL(crypto_pinentry_from_env(), CRYPTO_PINENTRY_AGENT);
	unsetenv("SUREL_PINENTRY");
	CU_ASSERT_EQUAL(crypto_pinentry_from_env(), CRYPTO_PINENTRY_AGENT);
}

/* Garbage is an error with a class, and leaves the outputs alone; an
 * empty keyring needs no agent for this. */
static void test_garbage(void)
{
	const char *old = getenv("GNUPGHOME");
	char *saved = old ? strdup(old) : NULL;
	struct err err = ERR_INIT;
	struct crypto_sigs sigs = CRYPTO_SIGS_INIT;
	struct buf plain = BUF_INIT;
	struct crypto *c;

	setenv("GNUPGHOME", tutil_tmpdir(), 1);
	c = crypto_new(CRYPTO_PINENTRY_LOOPBACK, NULL, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL(crypto_gpgme(c));
	CU_ASSERT_EQUAL(crypto_decrypt(c, "hello\n", 6, NULL, &plain, &sigs, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(plain.len, 0);
	CU_ASSERT_EQUAL(sigs.n, 0);
	err_clear(&err);
	CU_ASSERT_EQUAL(crypto_verify_inline(c, "hello\n", 6, NULL, &plain, &sigs, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(sigs.n, 0);
	crypto_free(c);
	crypto_sigs_release(&sigs);
	buf_release(&plain);
	if (saved)
		setenv("GNUPGHOME", saved, 1);
	else
		unsetenv("GNUPGHOME");
	free(saved);
	tutil_rmtree();
}

void suite_crypto(void)
{
	CU_pSuite s = CU_add_suite("crypto", NULL, NULL);

	CU_add_test(s, "status and validity names", test_status_names);
	CU_add_test(s, "pinentry mode from the environment", test_pinentry_env);
	CU_add_test(s, "garbage is a classed error", test_garbage);
}
