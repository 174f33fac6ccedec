#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/CUnit.h>

#include "cfg.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Each test gets HOME = a fresh temp dir holding .config/surel/, so '~'
 * expansion and the "~/..." form of paths in messages are predictable. */
static char *old_home, *old_xdg;
static char *home, *cfg_file;

static int setup(void)
{
	const char *v;

	v = getenv("HOME");
	old_home = v ? xstrdup(v) : NULL;
	v = getenv("XDG_CONFIG_HOME");
	old_xdg = v ? xstrdup(v) : NULL;
	return 0;
}

static int teardown(void)
{
	if (old_home)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	if (old_xdg)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(old_home);
	free(old_xdg);
	old_home = old_xdg = NULL;
	return 0;
}

static void fresh_home(void)
{
	char *dir;

	free(home);
	free(cfg_file);
	home = xstrdup(tutil_tmpdir());
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	dir = xasprintf("%s/.config", home);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	free(dir);
	dir = xasprintf("%s/.config/surel", home);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	free(dir);
	cfg_file = xasprintf("%s/.config/surel/config", home);
}

static void done_home(void)
{
	tutil_rmtree();
	free(home);
	free(cfg_file);
	home = cfg_file = NULL;
}

/* Write text as the config file with mode and load it. */
static struct cfg *load_text(const char *text, mode_t mode, struct err *err)
{
	err_clear(err);
	CU_ASSERT_EQUAL_FATAL(tutil_write(cfg_file, text, strlen(text)), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(cfg_file, mode), 0);
	return cfg_load(cfg_file, err);
}

/* The example configuration of doc/DESIGN.md (section 8), character for
 * character: change both together. */
static const char sample[] =
	"[general]\n"
	"default_account = work\n"
	"send_delay = 10            # seconds a queued message waits before relay (undo window)\n"
	"\n"
	"[account home]\n"
	"address = ana@home.example\n"
	"keep = no\n"
	"\n"
	"[account work]\n"
	"name = Ana Putri\n"
	"address = ana@example.co.id\n"
	"maildir = ~/Mail/work      # folders are plain Maildirs below it: INBOX, Sent, Drafts, Trash\n"
	"smtp = smtp://smtp.example.co.id:587   # smtp:// = STARTTLS required; smtps:// = implicit TLS\n"
	"fetch = imaps://imap.example.co.id     # or pop3s://, imap://, pop3:// (STARTTLS required)\n"
	"user = ana\n"
	"password_cmd = pass show mail/work     # never a password on a command line or in a log\n"
	"fetch_folders = INBOX\n"
	"keep = yes                 # leave mail on the server (UID/UIDL state prevents duplicates)\n";

static void test_design_example(void)
{
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;
	char *want;

	fresh_home();
	cfg = load_text(sample, 0644, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg_path(cfg), cfg_file);
	CU_ASSERT_STRING_EQUAL(cfg_general(cfg, "default_account"), "work");
	CU_ASSERT_STRING_EQUAL(cfg_general(cfg, "send_delay"), "10");
	CU_ASSERT_EQUAL(cfg_general_int(cfg, "send_delay", -1), 10);
	CU_ASSERT_PTR_NULL(cfg_general(cfg, "editor"));
	CU_ASSERT_EQUAL(cfg_account_count(cfg), 2);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(cfg_account_at(cfg, 0)), "home");
	CU_ASSERT_PTR_NULL(cfg_account_at(cfg, 2));

	a = cfg_account_find(cfg, "work", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "work");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "name"), "Ana Putri");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "smtp"), "smtp://smtp.example.co.id:587");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "fetch"), "imaps://imap.example.co.id");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "password_cmd"), "pass show mail/work");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "fetch_folders"), "INBOX");
	CU_ASSERT_EQUAL(cfg_get_bool(a, "keep", 0), 1);
	want = xasprintf("%s/Mail/work", home);
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "maildir"), want);
	free(want);
	CU_ASSERT_PTR_NULL(cfg_get(a, "tls"));
	CU_ASSERT_PTR_NULL(cfg_get(a, "no_such_key"));

	/* An account without maildir gets ~/Mail/NAME. */
	a = cfg_account_find(cfg, "home", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(cfg_get_bool(a, "keep", 1), 0);
	want = xasprintf("%s/Mail/home", home);
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "maildir"), want);
	free(want);
	cfg_free(cfg);
	done_home();
}

static void test_default_account(void)
{
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;

	fresh_home();
	cfg = load_text(sample, 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_find(cfg, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "work");
	CU_ASSERT_PTR_NULL(cfg_account_find(cfg, "nope", &err));
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no account 'nope'"));
	cfg_free(cfg);

	/* Without default_account, the first account in the file. */
	cfg = load_text("[account b]\naddress = b@x.test\n[account a]\naddress = a@x.test\n",
			0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_find(cfg, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "b");
	cfg_free(cfg);

	/* No account at all loads, but has no default. */
	cfg = load_text("[general]\nsend_delay = 0\n", 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg_account_count(cfg), 0);
	CU_ASSERT_EQUAL(cfg_general_int(cfg, "send_delay", 5), 0);
	err_clear(&err);
	CU_ASSERT_PTR_NULL(cfg_account_find(cfg, NULL, &err));
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	cfg_free(cfg);

	/* An empty file is a valid, empty configuration. */
	cfg = load_text("", 0600, &err);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	cfg_free(cfg);
	done_home();
}

static void test_address_lookup(void)
{
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;

	fresh_home();
	cfg = load_text(sample, 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_for_address(cfg, "Ana@Example.CO.ID");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "work");
	a = cfg_account_for_address(cfg, "ana@home.example");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "home");
	CU_ASSERT_PTR_NULL(cfg_account_for_address(cfg, "ana@example"));
	CU_ASSERT_PTR_NULL(cfg_account_for_address(cfg, ""));
	cfg_free(cfg);
	done_home();
}

/* aliases: exact addresses and *@domain patterns make an address the
 * account's; an address wins over an alias, an alias over a pattern. */
static void test_aliases(void)
{
	static const char text[] =
		"[account home]\naddress = ana@home.example\n"
		"aliases = *@work.example\n"
		"[account work]\naddress = boss@work.example\n"
		"aliases = Ana.Putri@Work.Example,  sales@shop.example\n";
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;

	fresh_home();
	cfg = load_text(text, 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_for_address(cfg, "boss@WORK.example");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "work");
	a = cfg_account_for_address(cfg, "sales@shop.example");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "work");
	/* work's alias beats home's pattern, though home comes first. */
	a = cfg_account_for_address(cfg, "ana.putri@work.example");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "work");
	a = cfg_account_for_address(cfg, "anyone@work.example");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(a), "home");
	CU_ASSERT_PTR_NULL(cfg_account_for_address(cfg, "x@sub.work.example"));
	CU_ASSERT_PTR_NULL(cfg_account_for_address(cfg, "@work.example"));
	CU_ASSERT_PTR_NULL(cfg_account_for_address(cfg, "sales@shop.example.org"));
	CU_ASSERT_PTR_NULL(cfg_account_for_address(cfg, "ales@shop.example"));
	a = cfg_account_find(cfg, "work", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_TRUE(cfg_account_has_address(a, "Ana.Putri@work.example"));
	CU_ASSERT_TRUE(cfg_account_has_address(a, "boss@work.example"));
	CU_ASSERT_FALSE(cfg_account_has_address(a, "anyone@work.example"));
	cfg_free(cfg);
	done_home();
}

static void test_bools(void)
{
	static const struct {
		const char *text;
		int want;
	} t[] = {
		{ "yes", 1 }, { "Yes", 1 }, { "true", 1 }, { "TRUE", 1 }, { "on", 1 }, { "1", 1 },
		{ "no", 0 }, { "NO", 0 }, { "false", 0 }, { "off", 0 }, { "Off", 0 }, { "0", 0 },
	};
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;
	char *text;
	size_t i;

	fresh_home();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		text = xasprintf("[account a]\naddress = a@x.test\nkeep = %s\nsent_copy=%s\ntls = %s\n",
				 t[i].text, t[i].text, t[i].text);
		cfg = load_text(text, 0600, &err);
		free(text);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
		a = cfg_account_at(cfg, 0);
		CU_ASSERT_EQUAL(cfg_get_bool(a, "keep", !t[i].want), t[i].want);
		CU_ASSERT_EQUAL(cfg_get_bool(a, "sent_copy", !t[i].want), t[i].want);
		CU_ASSERT_EQUAL(cfg_get_bool(a, "tls", !t[i].want), t[i].want);
		cfg_free(cfg);
	}
	cfg = load_text("[account a]\naddress = a@x.test\n", 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_at(cfg, 0);
	CU_ASSERT_EQUAL(cfg_get_bool(a, "keep", 1), 1);
	CU_ASSERT_EQUAL(cfg_get_bool(a, "keep", 0), 0);
	/* A non-boolean value asked for as one gives the default. */
	CU_ASSERT_EQUAL(cfg_get_bool(a, "address", 1), 1);
	cfg_free(cfg);
	done_home();
}

/* The PGP keys: a fingerprint is stored as GPGME prints it (uppercase,
 * no blanks or colons); pgp_encrypt takes exactly its three words. */
static void test_pgp_keys(void)
{
	static const char *const bad[] = {
		"pgp_key = 1234", "pgp_key = ZZ61C8D96478E45B2B038086853B292B90754F33",
		"pgp_encrypt = yes", "pgp_encrypt = If-Possible", "pgp_sign = sometimes",
		"autocrypt = maybe",
	};
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;
	char *text;
	size_t i;

	fresh_home();
	cfg = load_text("[account a]\naddress = a@x.test\n"
			"pgp_key = aa61 c8d9 6478 e45b 2b03:8086 853b 292b 9075 4f33\n"
			"pgp_sign = yes\npgp_encrypt = if-possible\nautocrypt = yes\n", 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_at(cfg, 0);
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "pgp_key"), "AA61C8D96478E45B2B038086853B292B90754F33");
	CU_ASSERT_EQUAL(cfg_get_bool(a, "pgp_sign", 0), 1);
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "pgp_encrypt"), "if-possible");
	CU_ASSERT_EQUAL(cfg_get_bool(a, "autocrypt", 0), 1);
	cfg_free(cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = xasprintf("[account a]\naddress = a@x.test\n%s\n", bad[i]);
		cfg = load_text(text, 0600, &err);
		free(text);
		CU_ASSERT_PTR_NULL(cfg);
		CU_ASSERT_EQUAL(err.code, EX_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":3:"));
		cfg_free(cfg);
	}
	done_home();
}

static void test_numbers_and_durations(void)
{
	struct err err = ERR_INIT;
	struct cfg *cfg;

	fresh_home();
	cfg = load_text("[general]\nsend_delay = 0\nexpire = 5d\nretry_schedule = 30s, 5m,1h ,2w\n",
			0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg_general_int(cfg, "send_delay", 9), 0);
	CU_ASSERT_EQUAL(cfg_general_int(cfg, "editor", 9), 9);
	CU_ASSERT_EQUAL(cfg_general_duration(cfg, "expire", 1), 5 * 86400);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 0), 30);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 1), 30);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 2), 300);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 3), 3600);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 4), 14 * 86400);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 100), 14 * 86400);
	cfg_free(cfg);

	cfg = load_text("[general]\nexpire = 90\n", 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg_general_duration(cfg, "expire", 1), 90);
	CU_ASSERT_EQUAL(cfg_general_int(cfg, "send_delay", 4), 4);
	/* Unset: the defaults, 1m,5m,15m,1h,4h and 4h from then on. */
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 1), 60);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 3), 900);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 5), 4 * 3600);
	CU_ASSERT_EQUAL(cfg_retry_delay(cfg, 6), 4 * 3600);
	cfg_free(cfg);

	cfg = load_text("", 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg_general_duration(cfg, "expire", CFG_EXPIRE_DEFAULT), 432000);
	cfg_free(cfg);
	done_home();
}

static void test_tilde(void)
{
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;
	char *want;

	fresh_home();
	cfg = load_text("[general]\nlog_file = ~/log/surel.log\n"
			"[account a]\naddress = a@x.test\nmaildir = ~\n"
			"tls_ca_file = ~/ca.pem\nsignature = ~/.signature\n"
			"move_to = ~/not-a-path\n",
			0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_at(cfg, 0);
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "maildir"), home);
	want = xasprintf("%s/ca.pem", home);
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "tls_ca_file"), want);
	free(want);
	want = xasprintf("%s/.signature", home);
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "signature"), want);
	free(want);
	want = xasprintf("%s/log/surel.log", home);
	CU_ASSERT_STRING_EQUAL(cfg_general(cfg, "log_file"), want);
	free(want);
	/* Folder names are not paths. */
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "move_to"), "~/not-a-path");
	cfg_free(cfg);
	done_home();
}

static void test_syntax_details(void)
{
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	struct cfg *cfg;

	fresh_home();
	cfg = load_text("\xef\xbb\xbf# leading comment\r\n"
			"; another\r\n"
			"  [ account  a ]   # trailing comment\r\n"
			"\taddress=a@x.test\r\n"
			"move_to = Archive;2024 ; comment\r\n"
			"    name   =   Ana   Putri   ; inline\r\n"
			"  password_cmd = pass show a#b ;c\r\n"
			"user = ana # x # y\r\n"
			"fetch_folders = INBOX,Sent Items\r\n"
			"auth = xoauth2\r\n"
			"local_domains = localhost  example.test\r\n"
			"helo = mail-1.example.test\r\n"
			"tls_fingerprint = AB:cd:EF:01:23:45:67:89:AB:cd:EF:01:23:45:67:89:"
			"AB:cd:EF:01:23:45:67:89:AB:cd:EF:01:23:45:67:89\r\n"
			"[general]\n"
			"editor = vim -c 'set tw=72'\n",
			0600, &err);
	if (!cfg)
		fprintf(stderr, "\n%s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_find(cfg, "a", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* ';' or '#' starts a comment only after a blank. */
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "address"), "a@x.test");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "move_to"), "Archive;2024");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "name"), "Ana   Putri");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "password_cmd"), "pass show a#b");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "user"), "ana");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "fetch_folders"), "INBOX,Sent Items");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "auth"), "xoauth2");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "local_domains"), "localhost  example.test");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "helo"), "mail-1.example.test");
	CU_ASSERT_STRING_EQUAL(cfg_get(a, "tls_fingerprint"),
			       "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	CU_ASSERT_STRING_EQUAL(cfg_general(cfg, "editor"), "vim -c 'set tw=72'");
	cfg_free(cfg);
	done_home();
}

/* Each bad file and the start of the one-line error it must produce,
 * after "~/.config/surel/config:". */
static const struct {
	const char *text;
	const char *want;
} error_cases[] = {
	{ "[account work]\naddress = a@x.test\npasword = x\n",
	  "3: unknown key 'pasword' in [account work]" },
	{ "[account a]\naddress = a@x.test\nkeep = maybe\n",
	  "3: 'keep' must be yes or no, not 'maybe'" },
	{ "[account a]\naddress = a@x.test\n\n[account a]\naddress = b@x.test\n",
	  "4: duplicate section [account a] (first on line 1)" },
	{ "[general]\n[account a]\naddress = a@x.test\n[general]\n",
	  "4: duplicate section [general] (first on line 1)" },
	{ "# comment\nsend_delay = 1\n[general]\n",
	  "2: key 'send_delay' outside a section" },
	{ "[account a]\naddress = a@x.test\n[account b]\nname = B\n",
	  "3: [account b] has no 'address'" },
	{ "[account a]\n", "1: [account a] has no 'address'" },
	{ "[general]\ndefault_account = b\n[account a]\naddress = a@x.test\n",
	  "2: default_account 'b' names no [account b] section" },
	{ "[general]\n[acount a]\n", "2: unknown section [acount a]" },
	{ "[accounts]\n", "1: unknown section [accounts]" },
	{ "[account]\n", "1: section [account] needs a name" },
	{ "[account a/b]\n", "1: [account a/b] needs a name without blanks" },
	{ "[account a b]\n", "1: [account a b] needs a name without blanks" },
	{ "[general\n", "1: section header without ']'" },
	{ "[general] x\n", "1: text after the section header" },
	{ "[account a]\naddress = a@x.test\naddress = b@x.test\n",
	  "3: duplicate key 'address' in [account a] (first on line 2)" },
	{ "[general]\naddress = a@x.test\n",
	  "2: key 'address' belongs in [account NAME], not [general]" },
	{ "[account a]\naddress = a@x.test\nsend_delay = 1\n",
	  "3: key 'send_delay' belongs in [general], not [account a]" },
	{ "[account a]\naddress = a@x.test\nbad line\n",
	  "3: expected 'key = value', '[section]' or a comment" },
	{ "[account a]\naddress = a@x.test\nname =   # nothing\n",
	  "3: 'name' has no value" },
	{ "[account a]\naddress = ana\n",
	  "2: 'address' must be an address like user@example.org, not 'ana'" },
	{ "[account a]\naddress = a b@x.test\n", "2: 'address' must be an address" },
	{ "[account a]\naddress = @x.test\n", "2: 'address' must be an address" },
	{ "[account a]\naddress = a@\n", "2: 'address' must be an address" },
	{ "[account a]\naddress = a@x.test\nsmtp = http://x\n",
	  "3: 'smtp' must be an smtp:// or smtps:// URL, not 'http://x'" },
	{ "[account a]\naddress = a@x.test\nsmtp = smtp://\n", "3: 'smtp' must be" },
	{ "[account a]\naddress = a@x.test\nsmtp = smtps://u:p@host\n",
	  "3: 'smtp' must not hold a user name or password" },
	{ "[account a]\naddress = a@x.test\nfetch = smtp://x\n",
	  "3: 'fetch' must be an imap://, imaps://, pop3:// or pop3s:// URL" },
	{ "[account a]\naddress = a@x.test\ntls = maybe\n",
	  "3: 'tls' must be on or off, not 'maybe'" },
	{ "[account a]\naddress = a@x.test\nauth = cram-md5\n",
	  "3: 'auth' must be plain, login, xoauth2, oauth2 or auto, not 'cram-md5'" },
	{ "[account a]\naddress = a@x.test\ntls_fingerprint = abcd\n",
	  "3: 'tls_fingerprint' must be a SHA-256 fingerprint" },
	{ "[account a]\naddress = a@x.test\nlocal_domains = a,b\n",
	  "3: 'local_domains' must be domains separated by blanks" },
	{ "[account a]\naddress = a@x.test\naliases = b@x.test, c\n",
	  "3: 'aliases' must be addresses or *@domain patterns, not 'c'" },
	{ "[account a]\naddress = a@x.test\naliases = *x@x.test\n",
	  "3: 'aliases' must be addresses or *@domain patterns, not '*x@x.test'" },
	{ "[account a]\naddress = a@x.test\naliases = *@\n", "3: 'aliases' must be" },
	{ "[account a]\naddress = a@x.test\naliases = <b@x.test>\n", "3: 'aliases' must be" },
	{ "[general]\nlists = dev@l.test, news\n",
	  "2: 'lists' must be addresses or *@domain patterns, not 'news'" },
	{ "[account a]\naddress = a@x.test\nsubscribe = \n", "3: 'subscribe' has no value" },
	{ "[account a]\naddress = a@x.test\naliases = ,\n", "3: 'aliases' is empty" },
	{ "[account a]\naddress = a@x.test\nhelo = vm\n",
	  "3: 'helo' must be a fully qualified domain name or [address]" },
	{ "[account a]\naddress = a@x.test\nhelo = a..b\n",
	  "3: 'helo' must be a fully qualified domain name or [address]" },
	{ "[general]\nsend_delay = -1\n",
	  "2: 'send_delay' must be a whole number of seconds, not '-1'" },
	{ "[general]\nsend_delay = 10s\n", "2: 'send_delay' must be a whole number" },
	{ "[general]\nsend_delay = 99999999999999999999999\n",
	  "2: 'send_delay' must be a whole number" },
	{ "[general]\nexpire = 5 days\n", "2: 'expire' must be a duration" },
	{ "[general]\nexpire = 0\n", "2: 'expire' must be a duration" },
	{ "[general]\nretry_schedule = 1m,,5m\n", "2: 'retry_schedule' must be a list" },
	{ "[general]\nretry_schedule = 1m,5x\n", "2: 'retry_schedule' must be a list" },
	{ "[general]\nretry_schedule = 1m,\n", "2: 'retry_schedule' must be a list" },
	{ "[general]\ncolor_status = purple blue\n",
	  "2: 'color_status': unknown colour 'purple'" },
	{ "[general]\ncolor_quote1 = cyan\n",
	  "2: 'color_quote1': needs a foreground and a background colour" },
	{ "[general]\ncolor_new = default default blink\n",
	  "2: 'color_new': unknown attribute 'blink'" },
	{ "[general]\ncolour_new = red default\n", "2: unknown key 'colour_new'" },
	{ "[general]\nforward_attach = maybe\n",
	  "2: 'forward_attach' must be yes, no or ask, not 'maybe'" },
	{ "[general]\ntext_flowed = sometimes\n",
	  "2: 'text_flowed' must be yes or no, not 'sometimes'" },
	{ "[account a]\naddress = a@x.test\nsync_max_delete = 10 %\n",
	  "3: 'sync_max_delete' must be a number of messages or a percentage, not '10 %'" },
	{ "[account a]\naddress = a@x.test\nsync_max_delete = lots\n",
	  "3: 'sync_max_delete' must be a number of messages or a percentage" },
	{ "[account a]\naddress = a@x.test\nsent_upload = perhaps\n",
	  "3: 'sent_upload' must be yes or no" },
	{ "[account a]\ntext_flowed = yes\n",
	  "2: key 'text_flowed' belongs in [general], not [account a]" },
	/* The first error wins, whichever part of the parser saw it. */
	{ "[general]\nbad\nfoo = 1\n", "2: expected 'key = value'" },
	{ "[general]\nfoo = 1\nbad\n", "2: unknown key 'foo' in [general]" },
};

static void test_errors(void)
{
	struct err err;
	struct cfg *cfg;
	size_t i;
	char want[512];

	fresh_home();
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		cfg = load_text(error_cases[i].text, 0600, &err);
		CU_ASSERT_PTR_NULL(cfg);
		cfg_free(cfg);
		CU_ASSERT_EQUAL(err.code, EX_CONFIG);
		snprintf(want, sizeof(want), "~/.config/surel/config:%s", error_cases[i].want);
		if (strncmp(err.msg, want, strlen(want)) != 0) {
			fprintf(stderr, "\ncase %zu: got '%s'\n  want prefix '%s'\n", i, err.msg, want);
			CU_FAIL("wrong error message");
		}
		CU_ASSERT_PTR_NULL(strchr(err.msg, '\n'));
	}
	done_home();
}

static void test_long_line(void)
{
	struct err err = ERR_INIT;
	struct cfg *cfg;
	char *text, *pad;

	fresh_home();
	pad = xmalloc(4001);
	memset(pad, 'x', 4000);
	pad[4000] = '\0';
	text = xasprintf("[account a]\naddress = a@x.test\nname = %s\n", pad);
	cfg = load_text(text, 0600, &err);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "config:3: line longer than"));
	free(text);
	free(pad);

	/* NUL bytes would silently cut a value short. */
	CU_ASSERT_EQUAL_FATAL(tutil_write(cfg_file, "[general]\neditor = v\0i\n", 23), 0);
	cfg = cfg_load(cfg_file, &err);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "config:2: NUL byte"));
	done_home();
}

static void test_password_permissions(void)
{
	static const char text[] = "[account a]\naddress = a@x.test\npassword = s3cr3t-value\n";
	struct err err = ERR_INIT;
	struct cfg *cfg;

	fresh_home();
	cfg = load_text(text, 0644, &err);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "config:3: 'password' refused"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "readable by group or others"));
	CU_ASSERT_PTR_NULL(strstr(err.msg, "s3cr3t"));

	cfg = load_text(text, 0640, &err);
	CU_ASSERT_PTR_NULL(cfg);
	cfg = load_text(text, 0604, &err);
	CU_ASSERT_PTR_NULL(cfg);

	cfg = load_text(text, 0600, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg_get(cfg_account_at(cfg, 0), "password"), "s3cr3t-value");
	cfg_free(cfg);
	cfg = load_text(text, 0400, &err);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	cfg_free(cfg);

	/* A readable file without a password is fine. */
	cfg = load_text("[account a]\naddress = a@x.test\npassword_cmd = pass a\n", 0644, &err);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	cfg_free(cfg);

	/* Both ways to get the password is one too many; no secret in the
	 * message either way. */
	cfg = load_text("[account a]\naddress = a@x.test\npassword = s3cr3t\npassword_cmd = x\n",
			0600, &err);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "config:4: [account a] sets both"));
	cfg = load_text("[general]\npassword = s3cr3t\n", 0600, &err);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NULL(strstr(err.msg, "s3cr3t"));
	done_home();
}

static void test_missing_file(void)
{
	struct err err = ERR_INIT;
	struct cfg *cfg;
	char *path, *want;

	fresh_home();
	cfg = cfg_load(cfg_file, &err);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'~/.config/surel/config'"));

	/* A directory is not a configuration file. */
	path = xasprintf("%s/.config", home);
	err_clear(&err);
	CU_ASSERT_PTR_NULL(cfg_load(path, &err));
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_NOT_EQUAL(err.errnum, ENOENT);
	free(path);

	/* NULL means the default path, which follows XDG_CONFIG_HOME. */
	want = xasprintf("%s/.config/surel/config", home);
	path = cfg_default_path();
	CU_ASSERT_STRING_EQUAL(path, want);
	free(path);
	CU_ASSERT_EQUAL_FATAL(tutil_write(want, "[account d]\naddress = d@x.test\n", 31), 0);
	cfg = cfg_load(NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg_path(cfg), want);
	cfg_free(cfg);
	free(want);
	setenv("XDG_CONFIG_HOME", "/nonexistent-surel", 1);
	path = cfg_default_path();
	CU_ASSERT_STRING_EQUAL(path, "/nonexistent-surel/surel/config");
	free(path);
	err_clear(&err);
	CU_ASSERT_PTR_NULL(cfg_load(NULL, &err));
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	done_home();
}

void suite_cfg(void)
{
	CU_pSuite s = CU_add_suite("cfg", setup, teardown);

	CU_add_test(s, "doc/DESIGN.md example", test_design_example);
	CU_add_test(s, "default account", test_default_account);
	CU_add_test(s, "account by address", test_address_lookup);
	CU_add_test(s, "aliases and *@domain", test_aliases);
	CU_add_test(s, "booleans", test_bools);
	CU_add_test(s, "numbers and durations", test_numbers_and_durations);
	CU_add_test(s, "~ in path keys", test_tilde);
	CU_add_test(s, "comments, blanks, CRLF, BOM", test_syntax_details);
	CU_add_test(s, "one-line errors with file and line", test_errors);
	CU_add_test(s, "long line and NUL", test_long_line);
	CU_add_test(s, "password needs a private file", test_password_permissions);
	CU_add_test(s, "missing file and default path", test_missing_file);
	CU_add_test(s, "pgp_key, pgp_sign, pgp_encrypt, autocrypt", test_pgp_keys);
}
