/*
 * autocrypt: the peer state file, the Level 1 recommendation, and the
 * update rules that need no key (dates, missing or invalid headers,
 * delivery reports), and one header with a key gpg makes; the rest of
 * importing keys from real headers is the integration tests'
 * (tests/ui/pgp-compose.sh).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "autocrypt.h"
#include "cryptomsg.h"
#include "pgpmime.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

#define DAY (24L * 60 * 60)

static char root[4096];

/* A fresh $XDG_STATE_HOME for one test. */
static void setup(void)
{
	snprintf(root, sizeof(root), "%s", tutil_tmpdir());
	setenv("XDG_STATE_HOME", root, 1);
}

static char *state_file(const char *enc_name)
{
	return xasprintf("%s/surel/autocrypt/%s", root, enc_name);
}

static void write_state(const char *text)
{
	char *dir = xasprintf("%s/surel/autocrypt", root);
	char *f = state_file("acc");
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL_FATAL(afile_mkdirs(dir, &err), 0);
	CU_ASSERT_EQUAL_FATAL(tutil_write(f, text, strlen(text)), 0);
	free(dir);
	free(f);
}

static void test_recommend(void)
{
	struct autocrypt *ac;
	const char *fpr;

	setup();
	write_state("version 1\n"
		    "peer bob@x.test 1000 1000 FB mutual 0 -\n"
		    "peer carol@x.test 5000000 1000 FC nopreference 0 -\n"
		    "peer dan@x.test 1000 0 - nopreference 900 FD\n"
		    "peer broken line\n");
	ac = autocrypt_open("acc");
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "bob@x.test", 1, &fpr), AUTOCRYPT_ENCRYPT);
	CU_ASSERT_STRING_EQUAL(fpr, "FB");
	/* Addresses compare without case. */
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "Bob@X.test", 0, &fpr), AUTOCRYPT_AVAILABLE);
	/* Last seen 57 days after the key: stale. */
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "carol@x.test", 1, &fpr), AUTOCRYPT_DISCOURAGE);
	CU_ASSERT_STRING_EQUAL(fpr, "FC");
	/* A gossiped key alone. */
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "dan@x.test", 1, &fpr), AUTOCRYPT_DISCOURAGE);
	CU_ASSERT_STRING_EQUAL(fpr, "FD");
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "eve@x.test", 1, &fpr), AUTOCRYPT_DISABLE);
	CU_ASSERT_PTR_NULL(fpr);
	autocrypt_free(ac);
	tutil_rmtree();
}

/* A state file written and read back is the same state. */
static void test_roundtrip(void)
{
	static const char text[] = "version 1\n"
				   "peer bob@x.test 1000 900 FB mutual 0 -\n"
				   "peer dan@x.test 1000 0 - nopreference 900 FD\n";
	struct err err = ERR_INIT;
	struct autocrypt *ac;
	char *f, *data = NULL;
	size_t len = 0;

	setup();
	write_state(text);
	ac = autocrypt_open("acc");
	CU_ASSERT_EQUAL(autocrypt_save(ac, &err), 0);
	autocrypt_free(ac);
	f = state_file("acc");
	CU_ASSERT_EQUAL_FATAL(afile_read(f, 4096, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, strlen(text));
	CU_ASSERT(len == strlen(text) && memcmp(data, text, len) == 0);
	free(data);
	free(f);
	/* Another version, or no file, is an empty state. */
	write_state("version 2\npeer bob@x.test 1000 900 FB mutual 0 -\n");
	ac = autocrypt_open("acc");
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "bob@x.test", 1, NULL), AUTOCRYPT_DISABLE);
	autocrypt_free(ac);
	ac = autocrypt_open("nobody");
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "bob@x.test", 1, NULL), AUTOCRYPT_DISABLE);
	autocrypt_free(ac);
	tutil_rmtree();
}

static const char *const msg_plain =
	"From: Bob <bob@x.test>\nTo: a@x.test\nDate: Thu, 01 Jan 1970 02:00:00 +0000\n"
	"Subject: hi\n\nbody\n";

/* Level 1 2.3 without keys: mail without a header only moves last_seen
 * forward (and never for a peer the state does not know); an invalid
 * header counts as none; a report changes nothing. */
static void test_learn_without_keys(void)
{
	struct autocrypt *ac;
	const char *m;

	setup();
	write_state("version 1\npeer bob@x.test 1000 1000 FB mutual 0 -\n");
	ac = autocrypt_open("acc");
	/* 7200 (02:00) is newer than 1000. */
	CU_ASSERT_EQUAL(autocrypt_learn(ac, msg_plain, strlen(msg_plain), NULL, 100000), 1);
	CU_ASSERT_EQUAL(autocrypt_learn(ac, msg_plain, strlen(msg_plain), NULL, 100000), 0);
	/* A future date counts as now; now is 40 days after the key. */
	m = "From: bob@x.test\nDate: Fri, 01 Jan 2100 00:00:00 +0000\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 1000 + 40 * DAY), 1);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "bob@x.test", 1, NULL), AUTOCRYPT_DISCOURAGE);
	m = "From: carol@x.test\nDate: Thu, 01 Jan 1970 02:00:00 +0000\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 100000), 0);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "carol@x.test", 1, NULL), AUTOCRYPT_DISABLE);
	/* An unknown critical attribute makes the header invalid; without
	 * keydata it is no header either. */
	m = "From: carol@x.test\nDate: Thu, 01 Jan 1970 02:00:00 +0000\n"
	    "Autocrypt: addr=carol@x.test; color=blue; keydata=AAAA\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 100000), 0);
	m = "From: carol@x.test\nDate: Thu, 01 Jan 1970 02:00:00 +0000\n"
	    "Autocrypt: addr=carol@x.test; prefer-encrypt=mutual\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 100000), 0);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "carol@x.test", 1, NULL), AUTOCRYPT_DISABLE);
	/* No Date (or one that does not parse): nothing, not even last_seen. */
	m = "From: bob@x.test\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 1000 + 50 * DAY), 0);
	m = "From: bob@x.test\nDate: yesterday\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 1000 + 50 * DAY), 0);
	/* Two From addresses, and a delivery report: nothing. */
	m = "From: bob@x.test, carol@x.test\nDate: Fri, 01 Jan 2100 00:00:00 +0000\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 1000 + 50 * DAY), 0);
	m = "From: bob@x.test\nDate: Fri, 01 Jan 2100 00:00:00 +0000\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\nx\n";
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 1000 + 50 * DAY), 0);
	autocrypt_free(ac);
	tutil_rmtree();
}

/* A throwaway GNUPGHOME below root for one test (gpg_done() ends it). */
static char *gpg_home(void)
{
	char *home = xasprintf("%s/gnupg", root);

	CU_ASSERT_EQUAL_FATAL(mkdir(home, 0700), 0);
	setenv("GNUPGHOME", home, 1);
	return home;
}

static void gpg_done(char *home)
{
	if (system("gpgconf --kill all > /dev/null 2>&1") != 0)
		CU_FAIL("gpgconf --kill all");
	unsetenv("GNUPGHOME");
	free(home);
}

/* A key without passphrase for uid "NAME <addr>" (signing, and
 * encryption with a subkey) made by gpg; its fingerprint into fpr, ""
 * when gpg failed. */
static void gen_key(const char *uid, const char *addr, char fpr[128])
{
	char *cmd = xasprintf("gpg --batch --quiet --pinentry-mode loopback --passphrase '' "
			      "--quick-gen-key '%s' future-default default never > /dev/null 2>&1 && "
			      "gpg --batch --with-colons --list-keys %s 2> /dev/null | "
			      "awk -F: '$1 == \"fpr\" { print $10; exit }'", uid, addr);
	FILE *f = popen(cmd, "r");

	fpr[0] = '\0';
	if (f) {
		if (!fgets(fpr, 128, f))
			fpr[0] = '\0';
		pclose(f);
	}
	fpr[strcspn(fpr, "\n")] = '\0';
	free(cmd);
}

/* An Autocrypt header with a real key (made by gpg in a throwaway
 * GNUPGHOME) dated after the key the state knows but before mail
 * without a header that came later: the key is taken, last_seen stays. */
static void test_learn_older_header(void)
{
	char fpr[128], *home;
	struct buf hdr = BUF_INIT;
	struct err err = ERR_INIT;
	struct autocrypt *ac;
	const char *got;
	char *m;

	setup();
	home = gpg_home();
	gen_key("Bob <bob@x.test>", "bob@x.test", fpr);
	if (fpr[0] && autocrypt_header("bob@x.test", fpr, 1, &hdr, &err) == 0) {
		/* Key at 1000, mail without a header 100 days later. */
		write_state("version 1\npeer bob@x.test 8641000 1000 FB mutual 0 -\n");
		ac = autocrypt_open("acc");
		m = xasprintf("From: bob@x.test\nDate: 11 Jan 1970 00:16:40 +0000\n"
			      "Autocrypt: %s\n\nx\n", hdr.data);
		CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 200 * DAY), 1);
		/* The new key, 90 days older than the last mail: stale. */
		CU_ASSERT_EQUAL(autocrypt_recommend(ac, "bob@x.test", 1, &got), AUTOCRYPT_DISCOURAGE);
		CU_ASSERT(got && strcmp(got, fpr) == 0);
		free(m);
		autocrypt_free(ac);
	} else {
		CU_FAIL("gpg could not make a key");
	}
	buf_release(&hdr);
	err_clear(&err);
	gpg_done(home);
	tutil_rmtree();
}

/* The message gossip_msg() builds: Bob writes to Ana and Carol, Cc Dave
 * and Frank. */
#define GOSSIP_HEAD "From: Bob <bob@x.test>\nTo: ana@x.test, Carol <carol@x.test>\n" \
		    "Cc: dave@x.test, frank@x.test\nSubject: ...\nMIME-Version: 1.0\n"

/* That message dated date, encrypted to Ana (fpr ana), its payload
 * headed by the Autocrypt-Gossip fields inner, and the fields outer in
 * its own header (caller frees); NULL when GnuPG failed. */
static char *gossip_msg(const char *date, const char *ana, const char *inner,
			const char *outer)
{
	char *entity = xasprintf("%sContent-Type: text/plain\n\nsecret\n", inner), *m = NULL;
	char *keys[1] = { (char *)ana };
	struct buf wrapped = BUF_INIT;
	struct err err = ERR_INIT;

	if (pgpmime_wrap(entity, strlen(entity), PGPMIME_ENCRYPT, NULL, keys, 1, &wrapped,
			 &err) == 0)
		m = xasprintf(GOSSIP_HEAD "Date: %s\n%s%s", date, outer, wrapped.data);
	else
		CU_FAIL(err.msg);
	buf_release(&wrapped);
	free(entity);
	return m;
}

/* "Autocrypt-Gossip: VALUE\n" for addr with the key fpr (caller frees). */
static char *gossip_field(const char *addr, const char *fpr)
{
	struct buf hdr = BUF_INIT;
	struct err err = ERR_INIT;
	char *f;

	if (autocrypt_header(addr, fpr, 0, &hdr, &err) < 0)
		CU_FAIL(err.msg);
	f = xasprintf("Autocrypt-Gossip: %s\n", hdr.data ? hdr.data : "");
	buf_release(&hdr);
	return f;
}

/* Learn from m as the pager does: decrypted, with the payload's header. */
static int learn_decrypted(struct autocrypt *ac, const char *m, time_t now)
{
	struct err err = ERR_INIT;
	struct cryptomsg cm;
	int rc;

	CU_ASSERT_EQUAL(cryptomsg_open(m, strlen(m), CRYPTOMSG_DECRYPT, NULL, NULL, &cm, &err), 0);
	CU_ASSERT(cm.decrypted);
	CU_ASSERT_PTR_NOT_NULL(cm.payload_head);
	rc = autocrypt_learn(ac, m, strlen(m), cm.payload_head, now);
	cryptomsg_release(&cm);
	return rc;
}

/* Gossip in a real encrypted message (keys made by gpg): read from the
 * decrypted payload's header only, for the To and Cc addresses only, into
 * the gossip key and timestamp only, and only from a message newer than
 * the last gossip. */
static void test_gossip_encrypted(void)
{
	char ana[128], carol[128], dave[128], *home, *m, *in_c, *in_d, *in_e, *out_f, *in, *st;
	const char *got;
	struct err err = ERR_INIT;
	struct autocrypt *ac;
	size_t len = 0;

	setup();
	home = gpg_home();
	gen_key("Ana <ana@x.test>", "ana@x.test", ana);
	gen_key("Carol <carol@x.test>", "carol@x.test", carol);
	gen_key("Dave <dave@x.test>", "dave@x.test", dave);
	CU_ASSERT_FATAL(ana[0] && carol[0] && dave[0]);
	/* Carol's own header gave her key FC before. */
	write_state("version 1\npeer carol@x.test 1000 1000 FC mutual 0 -\n");
	ac = autocrypt_open("acc");
	in_c = gossip_field("carol@x.test", carol);
	in_d = gossip_field("dave@x.test", dave);
	/* Eve is no recipient; Frank's field is outside the encryption. */
	in_e = gossip_field("eve@x.test", dave);
	out_f = gossip_field("frank@x.test", dave);
	in = xasprintf("%s%s%s", in_c, in_d, in_e);
	m = gossip_msg("Thu, 01 Jan 1970 02:00:00 +0000", ana, in, out_f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* A reader that did not decrypt learns no gossip. */
	CU_ASSERT_EQUAL(autocrypt_learn(ac, m, strlen(m), NULL, 100000), 0);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "dave@x.test", 1, NULL), AUTOCRYPT_DISABLE);
	CU_ASSERT_EQUAL(learn_decrypted(ac, m, 100000), 1);
	/* Carol's own key stays the one used; her gossip is kept beside. */
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "carol@x.test", 1, &got), AUTOCRYPT_ENCRYPT);
	CU_ASSERT(got && strcmp(got, "FC") == 0);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "dave@x.test", 1, &got), AUTOCRYPT_DISCOURAGE);
	CU_ASSERT(got && strcmp(got, dave) == 0);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "eve@x.test", 1, NULL), AUTOCRYPT_DISABLE);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "frank@x.test", 1, NULL), AUTOCRYPT_DISABLE);
	CU_ASSERT_EQUAL(autocrypt_save(ac, &err), 0);
	free(m);
	free(in);
	/* An older message gossiping another key for Dave changes nothing. */
	in = gossip_field("dave@x.test", carol);
	m = gossip_msg("Thu, 01 Jan 1970 01:00:00 +0000", ana, in, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(learn_decrypted(ac, m, 100000), 0);
	CU_ASSERT_EQUAL(autocrypt_recommend(ac, "dave@x.test", 1, &got), AUTOCRYPT_DISCOURAGE);
	CU_ASSERT(got && strcmp(got, dave) == 0);
	autocrypt_free(ac);
	free(m);
	free(in);
	st = state_file("acc");
	CU_ASSERT_EQUAL(afile_read(st, 65536, &m, &len, &err), 0);
	in = xasprintf("peer carol@x.test 1000 1000 FC mutual 7200 %s\n", carol);
	CU_ASSERT_PTR_NOT_NULL(m && strstr(m, in));
	free(in);
	free(st);
	free(m);
	free(in_c);
	free(in_d);
	free(in_e);
	free(out_f);
	gpg_done(home);
	tutil_rmtree();
}

/* The account name becomes a file name of safe characters only. */
static void test_account_name(void)
{
	struct err err = ERR_INIT;
	struct autocrypt *ac;
	char *f;

	setup();
	ac = autocrypt_open("../a b");
	CU_ASSERT_EQUAL(autocrypt_save(ac, &err), 0);
	autocrypt_free(ac);
	f = state_file("%2E%2E%2Fa%20b");
	CU_ASSERT_EQUAL(access(f, F_OK), 0);
	free(f);
	tutil_rmtree();
}

/* Later suites find their own XDG directories. */
static int suite_done(void)
{
	unsetenv("XDG_STATE_HOME");
	return 0;
}

void suite_autocrypt(void)
{
	CU_pSuite s = CU_add_suite("autocrypt", NULL, suite_done);

	CU_add_test(s, "recommendation", test_recommend);
	CU_add_test(s, "state file round trip", test_roundtrip);
	CU_add_test(s, "learning without keys", test_learn_without_keys);
	CU_add_test(s, "a key older than mail without a header", test_learn_older_header);
	CU_add_test(s, "gossip inside an encrypted message", test_gossip_encrypted);
	CU_add_test(s, "account name as file name", test_account_name);
}
