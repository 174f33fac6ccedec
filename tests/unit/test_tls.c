#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "err.h"
#include "suites.h"
#include "tls.h"
#include "tutil.h"
#include "xalloc.h"

/* The certificates come from tests/tools/mk-test-certs.sh; see there. */
#define CA_FILE TEST_DATA_DIR "/tls/ca.pem"

/* tests/data/tls/NAME, whole. */
static unsigned char *data(const char *name, size_t *len_out)
{
	char *rel = xasprintf("tls/%s", name);
	char *d = tutil_read_data(rel, len_out);

	free(rel);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return (unsigned char *)d;
}

/* A one-line text file of tests/data/tls without its line end. */
static char *line(const char *name)
{
	char *s = (char *)data(name, NULL);

	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* CU_FAIL shows only its source text; these show the message too. */
static void unexpected(const struct err *err)
{
	fprintf(stderr, "\n    unexpected error %d: %s\n", err->code, err->msg);
	CU_FAIL("unexpected error");
}

static void expect_msg(const struct err *err, const char *want)
{
	CU_ASSERT_STRING_EQUAL(err->msg, want);
	if (strcmp(err->msg, want) != 0)
		fprintf(stderr, "\n    got  '%s'\n    want '%s'\n", err->msg, want);
}

static struct tls_policy *policy(const char *ca_file, const char *fingerprint)
{
	struct err err = ERR_INIT;
	struct tls_policy *p = tls_policy_new(ca_file, fingerprint, &err);

	if (!p)
		unexpected(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

/* Verify the chain made of the DER files in names (NULL-terminated, the
 * server's own first) for host; err_out gets the result. */
static int verify(struct tls_policy *p, const char *host, const char *const *names,
		  struct err *err_out)
{
	const unsigned char *der[4];
	size_t len[4], n, i;
	int r;

	for (n = 0; names[n]; n++)
		der[n] = data(names[n], &len[n]);
	err_clear(err_out);
	r = tls_verify_chain(p, host, der, len, n, err_out);
	for (i = 0; i < n; i++)
		free((void *)der[i]);
	return r;
}

static void accepts(struct tls_policy *p, const char *host, const char *const *names)
{
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(verify(p, host, names, &err), 0);
	if (err.code)
		unexpected(&err);
}

static void refuses(struct tls_policy *p, const char *host, const char *const *names,
		    const char *want)
{
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(verify(p, host, names, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_UNAVAILABLE);
	expect_msg(&err, want);
	/* Waiting does not mend a certificate: spool watch stops on these. */
	CU_ASSERT_FALSE(err_is_temp(&err));
}

static const char *const localhost[] = { "localhost.der", NULL };
static const char *const localhost_ca[] = { "localhost.der", "ca.der", NULL };
static const char *const wronghost[] = { "wronghost.der", NULL };
static const char *const selfsigned[] = { "selfsigned.der", NULL };
static const char *const expired[] = { "expired.der", NULL };
static const char *const notyet[] = { "notyet.der", NULL };
static const char *const clientonly[] = { "clientonly.der", NULL };

static void test_good_chain(void)
{
	struct tls_policy *p = policy(CA_FILE, NULL);

	CU_ASSERT_FALSE(tls_policy_pinned(p));
	accepts(p, "localhost", localhost);
	accepts(p, "localhost", localhost_ca);
	accepts(p, "LocalHost", localhost);
	/* IP addresses match the IP address entries. */
	accepts(p, "127.0.0.1", localhost);
	accepts(p, "::1", localhost);
	accepts(p, "wrong.example", wronghost);
	tls_policy_free(p);
}

static void test_wrong_host(void)
{
	struct tls_policy *p = policy(CA_FILE, NULL);

	refuses(p, "imap.example.org", localhost,
		"imap.example.org: certificate does not match host name");
	refuses(p, "127.0.0.2", localhost_ca, "127.0.0.2: certificate does not match host name");
	refuses(p, "localhost", wronghost, "localhost: certificate does not match host name");
	refuses(p, "sub.wrong.example", wronghost,
		"sub.wrong.example: certificate does not match host name");
	tls_policy_free(p);
}

static void test_untrusted(void)
{
	struct tls_policy *p = policy(NULL, NULL);
	struct err err = ERR_INIT;

	/* The system store does not know the test CA.  Without one at all
	 * (no ca-certificates) the error says so instead. */
	CU_ASSERT_EQUAL(verify(p, "localhost", localhost, &err), -1);
	if (err.code == EX_OSFILE) {
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "tls_ca_file"));
	} else {
		CU_ASSERT_EQUAL(err.code, EX_UNAVAILABLE);
		expect_msg(&err, "localhost: certificate is not trusted "
				       "(issuer 'CN=surel test CA,O=surel tests')");
		/* The trust store is loaded once; the second try uses it. */
		refuses(p, "localhost", localhost_ca, "localhost: certificate is not trusted "
			"(issuer 'CN=surel test CA,O=surel tests')");
	}
	tls_policy_free(p);
}

static void test_selfsigned(void)
{
	struct tls_policy *p = policy(CA_FILE, NULL);
	char *pin = line("selfsigned.sha256");
	char *other = line("localhost.sha256");
	char *want;

	refuses(p, "localhost", selfsigned,
		"localhost: certificate is not trusted (issuer 'CN=localhost,O=surel tests')");
	tls_policy_free(p);

	/* Pinned, it is accepted: neither trust nor the name matter then. */
	p = policy(NULL, pin);
	CU_ASSERT_TRUE(tls_policy_pinned(p));
	accepts(p, "localhost", selfsigned);
	accepts(p, "elsewhere.example", selfsigned);
	/* Another certificate, even a valid one, is not. */
	for (char *c = other; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	want = xasprintf("localhost: certificate fingerprint does not match the pinned one "
			 "(got SHA256:%s)", other);
	refuses(p, "localhost", localhost, want);
	tls_policy_free(p);

	/* The pin replaces the CA file rather than adding to it. */
	p = policy(CA_FILE, pin);
	refuses(p, "localhost", localhost_ca, want);
	tls_policy_free(p);
	free(want);
	free(pin);
	free(other);
}

static void test_dates(void)
{
	struct tls_policy *p = policy(CA_FILE, NULL);

	refuses(p, "localhost", expired, "localhost: certificate has expired");
	refuses(p, "localhost", notyet, "localhost: certificate is not valid yet");
	tls_policy_free(p);
}

static void test_purpose(void)
{
	struct tls_policy *p = policy(CA_FILE, NULL);

	refuses(p, "localhost", clientonly, "localhost: certificate is not meant for a TLS server");
	tls_policy_free(p);
}

static void test_bad_chain(void)
{
	struct tls_policy *p = policy(CA_FILE, NULL);
	static const unsigned char junk[] = "not a certificate";
	const unsigned char *der[2] = { junk, junk };
	size_t len[2] = { sizeof(junk) - 1, sizeof(junk) - 1 };
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(tls_verify_chain(p, "localhost", der, len, 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_UNAVAILABLE);
	expect_msg(&err, "localhost: server sent no certificate");
	err_clear(&err);
	CU_ASSERT_EQUAL(tls_verify_chain(p, "localhost", der, len, 2, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_UNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "localhost: cannot read certificate 1 from the server"));
	/* A bad second certificate after a good first one. */
	der[0] = data("localhost.der", &len[0]);
	err_clear(&err);
	CU_ASSERT_EQUAL(tls_verify_chain(p, "localhost", der, len, 2, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "localhost: cannot read certificate 2 from the server"));
	free((void *)der[0]);
	tls_policy_free(p);
}

static void test_fingerprint_hex(void)
{
	static const char *const names[] = {
		"ca", "localhost", "wronghost", "selfsigned", "expired", "notyet", "clientonly"
	};
	size_t i, len;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *file = xasprintf("%s.der", names[i]);
		unsigned char *der = data(file, &len);
		char *hex = tls_fingerprint_hex(der, len);
		char *want;

		free(file);
		file = xasprintf("%s.sha256", names[i]);
		want = line(file);
		/* openssl prints the same digits in upper case. */
		CU_ASSERT_PTR_NOT_NULL_FATAL(hex);
		CU_ASSERT_EQUAL(strlen(hex), 95);
		CU_ASSERT_EQUAL(strcasecmp(hex, want), 0);
		CU_ASSERT_EQUAL(strspn(hex, "0123456789abcdef:"), 95);
		free(want);
		free(file);
		free(hex);
		free(der);
	}
}

static void test_fingerprint_parse(void)
{
	static const char *const good[] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55",
		"SHA256:e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24:27:ae:41:e4:64:9b:93:4c:a4:95:99:1b:78:52:b8:55",
		"  sha256 E3B0 C442 98FC 1C14 9AFB F4C8 996F B924 27AE 41E4 649B 934C A495 991B 7852 B855 ",
	};
	static const char *const bad[] = {
		"",
		"sha256:",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
		"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;",
		"sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"e3-b0-c4-42-98-fc-1c-14-9a-fb-f4-c8-99-6f-b9-24-27-ae-41-e4-64-9b-93-4c-a4-95-99-1b-78-52-b8-55",
	};
	unsigned char want[TLS_SHA256_LEN], got[TLS_SHA256_LEN];
	struct err err = ERR_INIT;
	struct tls_policy *p;
	char *hex;
	size_t i;

	/* The SHA-256 of no bytes, as formatted by us. */
	hex = tls_fingerprint_hex((const unsigned char *)"", 0);
	CU_ASSERT_STRING_EQUAL(hex, "e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24:"
			       "27:ae:41:e4:64:9b:93:4c:a4:95:99:1b:78:52:b8:55");
	CU_ASSERT_EQUAL_FATAL(tls_fingerprint_parse(hex, want, &err), 0);
	CU_ASSERT_EQUAL(want[0], 0xe3);
	CU_ASSERT_EQUAL(want[31], 0x55);
	free(hex);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(got, 0, sizeof(got));
		CU_ASSERT_EQUAL(tls_fingerprint_parse(good[i], got, &err), 0);
		CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(got, 0xaa, sizeof(got));
		err_clear(&err);
		CU_ASSERT_EQUAL(tls_fingerprint_parse(bad[i], got, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "invalid tls_fingerprint"));
		/* out is left alone on failure. */
		CU_ASSERT_EQUAL(got[0], 0xaa);
		CU_ASSERT_EQUAL(got[31], 0xaa);
	}
	err_clear(&err);
	p = tls_policy_new(CA_FILE, "abc", &err);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	expect_msg(&err, "invalid tls_fingerprint 'abc': want the 64 hex digits "
			       "of a SHA-256 fingerprint");
}

static void test_ca_file(void)
{
	const char *dir = tutil_tmpdir();
	char *missing = xasprintf("%s/missing.pem", dir);
	char *empty = xasprintf("%s/empty.pem", dir);
	char *want;
	struct err err = ERR_INIT;
	struct tls_policy *p;

	p = tls_policy_new(missing, NULL, &err);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	want = xasprintf("cannot read tls_ca_file '%s': %s", missing, strerror(ENOENT));
	expect_msg(&err, want);
	free(want);

	CU_ASSERT_EQUAL_FATAL(tutil_write(empty, "no certificates here\n", 21), 0);
	err_clear(&err);
	p = tls_policy_new(empty, NULL, &err);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	want = xasprintf("cannot load tls_ca_file '%s': No certificate was found", empty);
	expect_msg(&err, want);
	free(want);

	/* A CA file that trusts another CA only. */
	p = policy(TEST_DATA_DIR "/tls/selfsigned.pem", NULL);
	refuses(p, "localhost", localhost_ca, "localhost: certificate is not trusted "
		"(issuer 'CN=surel test CA,O=surel tests')");
	accepts(p, "localhost", selfsigned);
	tls_policy_free(p);

	free(missing);
	free(empty);
	tutil_rmtree();
	tls_policy_free(NULL);
}

static void test_ca_bundle(void)
{
	struct tls_policy *p = policy(CA_FILE, NULL);
	const char *bundle;

	CU_ASSERT_STRING_EQUAL(tls_ca_bundle(p), CA_FILE);
	tls_policy_free(p);
	p = policy(NULL, NULL);
	bundle = tls_ca_bundle(p);
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		CU_ASSERT_STRING_EQUAL(bundle, "/etc/ssl/certs/ca-certificates.crt");
	if (bundle)
		CU_ASSERT_EQUAL(access(bundle, R_OK), 0);
	tls_policy_free(p);
}

static void test_curl_pins(void)
{
	char *fp = line("localhost.sha256");
	char *want = line("localhost.pin");
	struct tls_policy *p = policy(NULL, fp);
	struct err err = ERR_INIT;
	unsigned char *der, *pem, *other;
	size_t der_len, pem_len, other_len;
	char *pin;

	der = data("localhost.der", &der_len);
	pem = data("localhost.pem", &pem_len);
	other = data("wronghost.pem", &other_len);

	/* Our pin equals the one openssl computed when the files were made. */
	pin = tls_pubkey_pin(der, der_len, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pin);
	CU_ASSERT_STRING_EQUAL(pin, want);
	free(pin);
	pin = tls_pubkey_pin(pem, pem_len, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pin);
	CU_ASSERT_STRING_EQUAL(pin, want);
	free(pin);
	CU_ASSERT_PTR_NULL(tls_pubkey_pin((const unsigned char *)"junk", 4, &err));
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);

	/* The certificate pin, from DER or from PEM as CURLINFO_CERTINFO has it. */
	CU_ASSERT_EQUAL(tls_check_pin(p, "localhost", der, der_len, &err), 0);
	CU_ASSERT_EQUAL(tls_check_pin(p, "localhost", pem, pem_len, &err), 0);
	err_clear(&err);
	CU_ASSERT_EQUAL(tls_check_pin(p, "smtp.example.org", other, other_len, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_UNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "smtp.example.org: certificate fingerprint does not "
				      "match the pinned one (got SHA256:"));
	err_clear(&err);
	CU_ASSERT_EQUAL(tls_check_pin(p, "localhost", der, 10, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_UNAVAILABLE);

	tls_policy_free(p);
	free(der);
	free(pem);
	free(other);
	free(fp);
	free(want);
}

/* In a child process, be a TLS server on sv[1] with localhost's
 * certificate and the CA behind it, until the peer on sv[0] goes away. */
static pid_t tls_server(const int sv[2])
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	char byte;
	pid_t pid = fork();
	int r;

	if (pid != 0)
		return pid;
	close(sv[0]);
	alarm(20);
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_key_file(cred, TEST_DATA_DIR "/tls/localhost-chain.pem",
						 TEST_DATA_DIR "/tls/localhost.key",
						 GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_init(&s, GNUTLS_SERVER) < 0 || gnutls_set_default_priority(s) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		_exit(1);
	gnutls_transport_set_int(s, sv[1]);
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0)
		_exit(2);
	while (gnutls_record_recv(s, &byte, 1) > 0)
		continue;
	_exit(0);
}

static void test_mailstream(void)
{
	struct tls_policy *ca = policy(CA_FILE, NULL);
	struct tls_policy *sys = policy(NULL, NULL);
	struct err err = ERR_INIT;
	mailstream *ms;
	int sv[2], status;
	pid_t pid;

	/* A real handshake through libetpan, as the fetcher does it. */
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = tls_server(sv);
	CU_ASSERT_FATAL(pid > 0);
	close(sv[1]);
	ms = mailstream_ssl_open(sv[0]);
	CU_ASSERT_PTR_NOT_NULL(ms);
	if (ms) {
		CU_ASSERT_EQUAL(tls_verify_mailstream(ca, "localhost", ms, &err), 0);
		if (err.code)
			unexpected(&err);
		CU_ASSERT_EQUAL(tls_verify_mailstream(ca, "127.0.0.1", ms, &err), 0);
		CU_ASSERT_EQUAL(tls_verify_mailstream(ca, "imap.example.org", ms, &err), -1);
		expect_msg(&err, "imap.example.org: certificate does not match host name");
		err_clear(&err);
		CU_ASSERT_EQUAL(tls_verify_mailstream(sys, "localhost", ms, &err), -1);
		CU_ASSERT_TRUE(err.code == EX_UNAVAILABLE || err.code == EX_OSFILE);
		mailstream_close(ms);
	} else {
		close(sv[0]);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A plain stream has nothing to verify: the caller's mistake. */
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ms = mailstream_socket_open(sv[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	err_clear(&err);
	CU_ASSERT_EQUAL(tls_verify_mailstream(ca, "localhost", ms, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_SOFTWARE);
	expect_msg(&err, "localhost: no TLS session to verify");
	mailstream_close(ms);
	close(sv[1]);

	tls_policy_free(ca);
	tls_policy_free(sys);
}

void suite_tls(void)
{
	CU_pSuite s = CU_add_suite("tls", NULL, NULL);

	CU_add_test(s, "good chain", test_good_chain);
	CU_add_test(s, "wrong host", test_wrong_host);
	CU_add_test(s, "untrusted", test_untrusted);
	CU_add_test(s, "self-signed and pinning", test_selfsigned);
	CU_add_test(s, "validity dates", test_dates);
	CU_add_test(s, "key purpose", test_purpose);
	CU_add_test(s, "bad chain", test_bad_chain);
	CU_add_test(s, "fingerprint format", test_fingerprint_hex);
	CU_add_test(s, "fingerprint parse", test_fingerprint_parse);
	CU_add_test(s, "ca file", test_ca_file);
	CU_add_test(s, "ca bundle for curl", test_ca_bundle);
	CU_add_test(s, "curl pins", test_curl_pins);
	CU_add_test(s, "mailstream", test_mailstream);
}
