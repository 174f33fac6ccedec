#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "buf.h"
#include "cfg.h"
#include "codec.h"
#include "err.h"
#include "oauth2.h"
#include "pwcmd.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* ---- PKCE, random strings, SASL ---- */

static void test_pkce_rfc7636(void)
{
	char c[44];

	/* RFC 7636 appendix B. */
	oauth2_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c);
	CU_ASSERT_STRING_EQUAL(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void test_random(void)
{
	char *a = oauth2_random(32), *b = oauth2_random(32);

	/* 43 unreserved characters: a valid PKCE verifier (RFC 7636 4.1). */
	CU_ASSERT_EQUAL(strlen(a), 43);
	CU_ASSERT_EQUAL(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
			43);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	free(a);
	free(b);
}

static void test_sasl(void)
{
	struct buf raw = BUF_INIT;
	char *s;

	s = oauth2_sasl(OAUTH2_XOAUTH2, "ana@example.org", "imap.example.org", 993, "tok");
	codec_b64_decode(s, strlen(s), 0, &raw);
	CU_ASSERT_EQUAL(raw.len, strlen("user=ana@example.org\001auth=Bearer tok\001\001"));
	CU_ASSERT(raw.len > 0 &&
		  memcmp(raw.data, "user=ana@example.org\001auth=Bearer tok\001\001", raw.len) == 0);
	CU_ASSERT_PTR_NULL(strchr(s, '\n'));
	pwcmd_free(s);
	buf_reset(&raw);
	/* RFC 7628 3.1: ',' and '=' of the authzid are escaped. */
	s = oauth2_sasl(OAUTH2_OAUTHBEARER, "a,b=c", "mx.example.org", 587, "tok");
	codec_b64_decode(s, strlen(s), 0, &raw);
	buf_putc(&raw, '\0');
	CU_ASSERT_STRING_EQUAL(raw.data,
			       "n,a=a=2Cb=3Dc,\001host=mx.example.org\001port=587\001auth=Bearer tok\001\001");
	pwcmd_free(s);
	buf_release(&raw);
}

/* ---- token responses ---- */

struct parse_case {
	long status;
	const char *body;
	int rc, code;
	const char *access, *refresh, *error;
	long long expires;  /* relative to now = 1000 */
};

static void test_parse(void)
{
	static const struct parse_case cases[] = {
		{ 200, "{\"access_token\":\"a1\",\"token_type\":\"Bearer\",\"expires_in\":3599,"
		       "\"refresh_token\":\"r1\"}", 0, 0, "a1", "r1", "", 4599 },
		/* Rotation is just a refresh_token in the reply; none keeps the old. */
		{ 200, "{\"access_token\":\"a2\",\"token_type\":\"bearer\",\"expires_in\":60}", 0, 0,
		  "a2", NULL, "", 1060 },
		{ 200, "{\"access_token\":\"a3\",\"expires_in\":\"120\"}", 0, 0, "a3", NULL, "", 1120 },
		{ 200, "{\"access_token\":\"a4\"}", 0, 0, "a4", NULL, "", 4600 },
		{ 400, "{\"error\":\"invalid_grant\",\"error_description\":\"revoked\"}", -1,
		  EX_NOPERM, NULL, NULL, "invalid_grant", 0 },
		{ 401, "{\"error\":\"invalid_client\"}", -1, EX_CONFIG, NULL, NULL, "invalid_client", 0 },
		{ 400, "{\"error\":\"authorization_pending\"}", -1, EX_PROTOCOL, NULL, NULL,
		  "authorization_pending", 0 },
		{ 400, "{\"error\":\"slow_down\"}", -1, EX_PROTOCOL, NULL, NULL, "slow_down", 0 },
		{ 503, "<html>busy</html>", -1, EX_TEMPFAIL, NULL, NULL, "", 0 },
		{ 500, "", -1, EX_TEMPFAIL, NULL, NULL, "", 0 },
		{ 200, "{\"token_type\":\"Bearer\"}", -1, EX_PROTOCOL, NULL, NULL, "", 0 },
		{ 200, "{\"access_token\":\"a b\"}", -1, EX_PROTOCOL, NULL, NULL, "", 0 },
		{ 200, "{\"access_token\":\"a5\",\"token_type\":\"mac\"}", -1, EX_PROTOCOL, NULL,
		  NULL, "", 0 },
		{ 200, "{\"access_token\":\"a6\",\"expires_in\":-5}", -1, EX_PROTOCOL, NULL, NULL, "",
		  0 },
		{ 200, "not json", -1, EX_PROTOCOL, NULL, NULL, "", 0 },
		{ 302, "", -1, EX_PROTOCOL, NULL, NULL, "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		struct oauth2_tokens t;
		struct err err = ERR_INIT;
		int rc = oauth2_parse_tokens(c->status, c->body, strlen(c->body), 1000, &t, &err);

		CU_ASSERT_EQUAL(rc, c->rc);
		CU_ASSERT_STRING_EQUAL(t.error, c->error);
		if (rc != c->rc || strcmp(t.error, c->error) != 0)
			fprintf(stderr, "case %zu: %d %s\n", i, rc, err.msg);
		if (c->rc == 0) {
			CU_ASSERT_STRING_EQUAL(t.access, c->access);
			CU_ASSERT_EQUAL(t.expires, c->expires);
			if (c->refresh) {
				CU_ASSERT_STRING_EQUAL(t.refresh, c->refresh);
			} else {
				CU_ASSERT_PTR_NULL(t.refresh);
			}
		} else {
			CU_ASSERT_EQUAL(err.code, c->code);
			CU_ASSERT_PTR_NULL(t.access);
		}
		oauth2_tokens_release(&t);
	}
}

/* ---- the store ---- */

static void test_store_roundtrip(void)
{
	const char *dir = tutil_tmpdir();
	char *path = xasprintf("%s/state/oauth2/acct", dir), *sdir = xasprintf("%s/state/oauth2", dir);
	struct oauth2_tokens t = { 0 }, back;
	struct err err = ERR_INIT;
	struct stat st;

	t.access = xstrdup("at-1");
	t.refresh = xstrdup("rt-1");
	t.expires = 1764000000;
	CU_ASSERT_EQUAL_FATAL(oauth2_store_write(path, &t, &err), 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(stat(sdir, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
	CU_ASSERT_EQUAL_FATAL(oauth2_store_read(path, &back, &err), 0);
	CU_ASSERT_STRING_EQUAL(back.access, "at-1");
	CU_ASSERT_STRING_EQUAL(back.refresh, "rt-1");
	CU_ASSERT_EQUAL(back.expires, 1764000000);
	oauth2_tokens_release(&back);
	/* A rewrite replaces the file whole and leaves no temporary file. */
	pwcmd_free(t.refresh);
	t.refresh = xstrdup("rt-2");
	CU_ASSERT_EQUAL(oauth2_store_write(path, &t, &err), 0);
	CU_ASSERT_EQUAL(tutil_count_entries(sdir), 1);
	CU_ASSERT_EQUAL_FATAL(oauth2_store_read(path, &back, &err), 0);
	CU_ASSERT_STRING_EQUAL(back.refresh, "rt-2");
	oauth2_tokens_release(&back);
	oauth2_tokens_release(&t);
	free(path);
	free(sdir);
	tutil_rmtree();
}

static void store_fails(const char *path, int code)
{
	struct oauth2_tokens t;
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(oauth2_store_read(path, &t, &err), -1);
	CU_ASSERT_EQUAL(err.code, code);
	CU_ASSERT_PTR_NULL(t.access);
	CU_ASSERT_PTR_NULL(t.refresh);
	/* The error names the file, never a token. */
	CU_ASSERT_PTR_NULL(strstr(err.msg, "secret"));
}

static void test_store_refused(void)
{
	const char *dir = tutil_tmpdir();
	char *path = xasprintf("%s/acct", dir);
	static const char good[] = "version 1\nexpires 5\naccess_token secret-a\nrefresh_token secret-r\n";

	store_fails(path, EX_NOINPUT);
	CU_ASSERT_EQUAL_FATAL(tutil_write(path, good, sizeof(good) - 1), 0);
	CU_ASSERT_EQUAL(chmod(path, 0640), 0);
	store_fails(path, EX_CONFIG);
	CU_ASSERT_EQUAL(chmod(path, 0604), 0);
	store_fails(path, EX_CONFIG);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	CU_ASSERT_EQUAL(tutil_write(path, "version 2\n", 10), 0);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	store_fails(path, EX_DATAERR);
	CU_ASSERT_EQUAL(tutil_write(path, "version 1\nrefresh_token secret a b\n", 35), 0);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	store_fails(path, EX_DATAERR);
	CU_ASSERT_EQUAL(tutil_write(path, "version 1\nexpires soon\n", 23), 0);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	store_fails(path, EX_DATAERR);
	free(path);
	tutil_rmtree();
}

/* ---- refresh, through a fake token endpoint ---- */

struct fake {
	int calls;
	char form[1024];
	long status;
	const char *body;
};

static int fake_post(void *ctx, const char *url, const char *form, long *status_out,
		     struct buf *body, struct err *err)
{
	struct fake *f = ctx;

	(void)url;
	(void)err;
	f->calls++;
	snprintf(f->form, sizeof(f->form), "%s", form);
	*status_out = f->status;
	buf_puts(body, f->body);
	return 0;
}

/* A configuration with account 'a' on auth = oauth2, its state below
 * the test's directory. */
static struct cfg *setup(struct oauth2 **o, struct fake *f)
{
	const char *dir = tutil_tmpdir();
	char *cfgpath = xasprintf("%s/config", dir), *state = xasprintf("%s/state", dir);
	char *text = xasprintf("[account a]\naddress = a@example.org\nuser = a@example.org\n"
			       "auth = oauth2\noauth2_client_id = cid\n"
			       "oauth2_token_url = https://auth.example.org/token\n");
	struct err err = ERR_INIT;
	struct cfg *cfg;

	setenv("XDG_STATE_HOME", state, 1);
	CU_ASSERT_EQUAL(tutil_write(cfgpath, text, strlen(text)), 0);
	cfg = cfg_load(cfgpath, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	*o = oauth2_new(cfg_account_at(cfg, 0), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*o);
	memset(f, 0, sizeof(*f));
	oauth2_set_post(*o, fake_post, f);
	free(cfgpath);
	free(state);
	free(text);
	return cfg;
}

static void put_store(const struct oauth2 *o, const char *access, long long expires,
		      const char *refresh)
{
	struct oauth2_tokens t = { 0 };
	struct err err = ERR_INIT;

	t.access = access ? xstrdup(access) : NULL;
	t.refresh = refresh ? xstrdup(refresh) : NULL;
	t.expires = expires;
	CU_ASSERT_EQUAL(oauth2_store_write(oauth2_store_path(o), &t, &err), 0);
	oauth2_tokens_release(&t);
}

static void teardown(struct cfg *cfg, struct oauth2 *o)
{
	oauth2_free(o);
	cfg_free(cfg);
	unsetenv("XDG_STATE_HOME");
	tutil_rmtree();
}

static void test_no_store(void)
{
	struct fake f;
	struct oauth2 *o;
	struct cfg *cfg = setup(&o, &f);
	struct err err = ERR_INIT;
	char *tok = NULL, name[16];

	CU_ASSERT_EQUAL(oauth2_token(o, NULL, &tok, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOPERM);
	CU_ASSERT(oauth2_is_signin(&err));
	CU_ASSERT_STRING_EQUAL(err.msg, "a: sign-in needed: run spool auth -A a");
	err_prefix(&err, "account 'a'");
	oauth2_signin_plain(&err);
	CU_ASSERT_STRING_EQUAL(err.msg, "a: sign-in needed: run spool auth -A a");
	CU_ASSERT_EQUAL(f.calls, 0);
	/* As the queue keeps it, for the MUA's status bar. */
	CU_ASSERT(oauth2_signin_text(err.msg, name, sizeof(name)));
	CU_ASSERT_STRING_EQUAL(name, "a");
	CU_ASSERT(!oauth2_signin_text("smtp.example.org: 535 5.7.8 bad token", name, sizeof(name)));
	CU_ASSERT(!oauth2_signin_text(NULL, name, sizeof(name)));
	teardown(cfg, o);
}

static void test_valid_kept(void)
{
	struct fake f;
	struct oauth2 *o;
	struct cfg *cfg = setup(&o, &f);
	struct err err = ERR_INIT;
	char *tok = NULL;

	put_store(o, "at-old", (long long)time(NULL) + 3600, "rt-old");
	CU_ASSERT_EQUAL(oauth2_token(o, NULL, &tok, &err), 0);
	CU_ASSERT_STRING_EQUAL(tok, "at-old");
	CU_ASSERT_EQUAL(f.calls, 0);
	pwcmd_free(tok);
	teardown(cfg, o);
}

static void test_refresh_rotates(void)
{
	struct fake f;
	struct oauth2 *o;
	struct cfg *cfg = setup(&o, &f);
	struct oauth2_tokens t;
	struct err err = ERR_INIT;
	char *tok = NULL;

	/* Within the margin counts as expired. */
	put_store(o, "at-old", (long long)time(NULL) + OAUTH2_MARGIN - 1, "rt-old");
	f.status = 200;
	f.body = "{\"access_token\":\"at-new\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
		 "\"refresh_token\":\"rt-new\"}";
	CU_ASSERT_EQUAL(oauth2_token(o, NULL, &tok, &err), 0);
	CU_ASSERT_STRING_EQUAL(tok, "at-new");
	CU_ASSERT_EQUAL(f.calls, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.form, "grant_type=refresh_token"));
	CU_ASSERT_PTR_NOT_NULL(strstr(f.form, "refresh_token=rt-old"));
	CU_ASSERT_PTR_NOT_NULL(strstr(f.form, "client_id=cid"));
	pwcmd_free(tok);
	CU_ASSERT_EQUAL_FATAL(oauth2_store_read(oauth2_store_path(o), &t, &err), 0);
	CU_ASSERT_STRING_EQUAL(t.access, "at-new");
	CU_ASSERT_STRING_EQUAL(t.refresh, "rt-new");
	oauth2_tokens_release(&t);
	/* A provider that does not rotate: the old refresh token stays. */
	put_store(o, "at-x", 0, "rt-keep");
	f.body = "{\"access_token\":\"at-2\",\"expires_in\":3600}";
	CU_ASSERT_EQUAL(oauth2_token(o, NULL, &tok, &err), 0);
	pwcmd_free(tok);
	CU_ASSERT_EQUAL_FATAL(oauth2_store_read(oauth2_store_path(o), &t, &err), 0);
	CU_ASSERT_STRING_EQUAL(t.access, "at-2");
	CU_ASSERT_STRING_EQUAL(t.refresh, "rt-keep");
	oauth2_tokens_release(&t);
	teardown(cfg, o);
}

static void test_rejected(void)
{
	struct fake f;
	struct oauth2 *o;
	struct cfg *cfg = setup(&o, &f);
	struct err err = ERR_INIT;
	char *tok = NULL;

	/* The server refused a token that has time left: a new one. */
	put_store(o, "at-old", (long long)time(NULL) + 3600, "rt-old");
	f.status = 200;
	f.body = "{\"access_token\":\"at-new\",\"expires_in\":3600}";
	CU_ASSERT_EQUAL(oauth2_token(o, "at-old", &tok, &err), 0);
	CU_ASSERT_STRING_EQUAL(tok, "at-new");
	CU_ASSERT_EQUAL(f.calls, 1);
	pwcmd_free(tok);
	/* Refused one that another process already replaced: no request. */
	CU_ASSERT_EQUAL(oauth2_token(o, "at-old", &tok, &err), 0);
	CU_ASSERT_STRING_EQUAL(tok, "at-new");
	CU_ASSERT_EQUAL(f.calls, 1);
	pwcmd_free(tok);
	teardown(cfg, o);
}

static void test_invalid_grant(void)
{
	struct fake f;
	struct oauth2 *o;
	struct cfg *cfg = setup(&o, &f);
	struct oauth2_tokens t;
	struct err err = ERR_INIT;
	char *tok = NULL;

	put_store(o, "at-old", 0, "rt-revoked");
	f.status = 400;
	f.body = "{\"error\":\"invalid_grant\",\"error_description\":\"revoked\"}";
	CU_ASSERT_EQUAL(oauth2_token(o, NULL, &tok, &err), -1);
	CU_ASSERT_PTR_NULL(tok);
	CU_ASSERT(oauth2_is_signin(&err));
	CU_ASSERT_STRING_EQUAL(err.msg, "a: sign-in needed: run spool auth -A a");
	/* The store is left as it was. */
	CU_ASSERT_EQUAL_FATAL(oauth2_store_read(oauth2_store_path(o), &t, &err), 0);
	CU_ASSERT_STRING_EQUAL(t.refresh, "rt-revoked");
	oauth2_tokens_release(&t);
	/* A 5xx is temporary, not a sign-in. */
	err_clear(&err);
	f.status = 503;
	f.body = "<html>down</html>";
	CU_ASSERT_EQUAL(oauth2_token(o, NULL, &tok, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT(!oauth2_is_signin(&err));
	/* No refresh token at all: sign-in, without a request. */
	put_store(o, "at-old", 0, NULL);
	f.calls = 0;
	CU_ASSERT_EQUAL(oauth2_token(o, NULL, &tok, &err), -1);
	CU_ASSERT(oauth2_is_signin(&err));
	CU_ASSERT_EQUAL(f.calls, 0);
	teardown(cfg, o);
}

/* Whether someone waits for a flock on the file with inode ino: a "->"
 * line of /proc/locks naming it (MAJOR:MINOR:INODE). */
static int flock_waiter(unsigned long ino)
{
	char line[256], want[32];
	FILE *fp = fopen("/proc/locks", "r");
	int found = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	snprintf(want, sizeof(want), ":%lu ", ino);
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, "->") && strstr(line, "FLOCK") && strstr(line, want))
			found = 1;
	fclose(fp);
	return found;
}

struct waiter {
	struct oauth2 *o;
	char *tok;
	int rc;
	struct err err;
};

static void *wait_token(void *arg)
{
	struct waiter *w = arg;

	w->rc = oauth2_token(w->o, NULL, &w->tok, &w->err);
	return NULL;
}

/* Another process refreshes while this one waits for the lock: what this
 * one read before waiting is stale, and the store is read again under the
 * lock, so no second refresh (which would present a refresh token already
 * rotated out) is sent. */
static void test_reread_under_lock(void)
{
	struct fake f;
	struct oauth2 *o;
	struct cfg *cfg = setup(&o, &f);
	struct waiter w = { 0 };
	struct err err = ERR_INIT;
	char *lockpath = xasprintf("%s.lock", oauth2_store_path(o));
	pthread_t th;
	struct stat st;
	int fd, i, found = 0;

	put_store(o, "at-old", 0, "rt-old");
	f.status = 400;
	f.body = "{\"error\":\"invalid_grant\"}";
	fd = afile_lock(lockpath, 1, &err);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(stat(lockpath, &st), 0);
	w.o = o;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, wait_token, &w), 0);
	/* Bounded: 10 s for the thread to block on the lock. */
	for (i = 0; i < 1000 && !found; i++) {
		found = flock_waiter((unsigned long)st.st_ino);
		if (!found)
			usleep(10000);
	}
	CU_ASSERT(found);
	put_store(o, "at-other", (long long)time(NULL) + 3600, "rt-other");
	afile_unlock(fd);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(w.rc, 0);
	if (w.tok) {
		CU_ASSERT_STRING_EQUAL(w.tok, "at-other");
	}
	CU_ASSERT_EQUAL(f.calls, 0);
	pwcmd_free(w.tok);
	free(lockpath);
	teardown(cfg, o);
}

static void test_config(void)
{
	const char *dir = tutil_tmpdir();
	char *path = xasprintf("%s/config", dir);
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "auth = oauth2\n", "no 'oauth2_client_id'" },
		{ "auth = oauth2\noauth2_client_id = x\n", "neither 'oauth2_provider' nor 'oauth2_token_url'" },
		{ "auth = oauth2\noauth2_client_id = x\noauth2_provider = custom\n", "nor 'oauth2_token_url'" },
		{ "oauth2_provider = yahoo\n", "must be google, microsoft or custom" },
		{ "oauth2_token_url = http://auth.example.org/token\n", "must be an https:// URL" },
		{ "oauth2_device_url = https://\n", "must be an https:// URL" },
		{ "auth = oauth2\noauth2_client_id = x\noauth2_provider = microsoft\n", NULL },
		{ "auth = oauth2\noauth2_client_id = x\noauth2_token_url = https://a.example/t\n", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf("[account a]\naddress = a@example.org\n%s", cases[i].text);
		struct err err = ERR_INIT;
		struct cfg *cfg;

		CU_ASSERT_EQUAL(tutil_write(path, text, strlen(text)), 0);
		cfg = cfg_load(path, &err);
		if (cases[i].want) {
			CU_ASSERT_PTR_NULL(cfg);
			CU_ASSERT_EQUAL(err.code, EX_CONFIG);
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].want));
			if (!strstr(err.msg, cases[i].want))
				fprintf(stderr, "case %zu: %s\n", i, err.msg);
		} else {
			CU_ASSERT_PTR_NOT_NULL(cfg);
		}
		cfg_free(cfg);
		free(text);
	}
	free(path);
	tutil_rmtree();
}

/* A token endpoint that answers from a script, one reply per request,
 * and keeps the forms it was sent. */
struct script {
	int n;
	const long *status;
	const char *const *body;
	char form[4][512];
};

static int script_post(void *ctx, const char *url, const char *form, long *status_out,
		       struct buf *body, struct err *err)
{
	struct script *sc = ctx;

	(void)url;
	if (sc->n >= 4)
		return err_set(err, EX_SOFTWARE, "more requests than the script has");
	snprintf(sc->form[sc->n], sizeof(sc->form[sc->n]), "%s", form);
	*status_out = sc->status[sc->n];
	buf_puts(body, sc->body[sc->n]);
	sc->n++;
	return 0;
}

/* The device grant with a confidential client: the secret goes to the
 * device endpoint too (RFC 8628 3.1), authorization_pending means poll
 * again, and the tokens end up in the store. */
static void test_device(void)
{
	static const long status[] = { 200, 400, 200 };
	static const char *const body[] = {
		"{\"device_code\":\"dc-1\",\"user_code\":\"ABCD-EFGH\","
		"\"verification_uri\":\"https://auth.example.org/verify\",\"expires_in\":600,"
		"\"interval\":1}",
		"{\"error\":\"authorization_pending\"}",
		"{\"access_token\":\"at-d\",\"expires_in\":3600,\"refresh_token\":\"rt-d\"}",
	};
	const char *dir = tutil_tmpdir();
	char *cfgpath = xasprintf("%s/config", dir), *state = xasprintf("%s/state", dir);
	char *text = xasprintf("[account a]\naddress = a@example.org\nauth = oauth2\n"
			       "oauth2_client_id = cid\noauth2_client_secret_cmd = printf s3cret\n"
			       "oauth2_token_url = https://auth.example.org/token\n"
			       "oauth2_device_url = https://auth.example.org/device\n"
			       "oauth2_scope = mail offline\n");
	struct script sc = { 0, status, body, { "" } };
	struct oauth2_tokens t;
	struct err err = ERR_INIT;
	struct oauth2 *o;
	struct cfg *cfg;
	char out[512] = "";
	FILE *fp;

	setenv("XDG_STATE_HOME", state, 1);
	CU_ASSERT_EQUAL(tutil_write(cfgpath, text, strlen(text)), 0);
	cfg = cfg_load(cfgpath, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	o = oauth2_new(cfg_account_at(cfg, 0), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(oauth2_has_device(o));
	oauth2_set_post(o, script_post, &sc);
	fp = fmemopen(out, sizeof(out) - 1, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(oauth2_signin_device(o, fp, &err), 0);
	fclose(fp);
	CU_ASSERT_EQUAL(sc.n, 3);
	CU_ASSERT_STRING_EQUAL(sc.form[0], "client_id=cid&client_secret=s3cret&scope=mail%20offline");
	CU_ASSERT_PTR_NOT_NULL(strstr(sc.form[1], "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sc.form[1], "device_code=dc-1"));
	CU_ASSERT_STRING_EQUAL(sc.form[1], sc.form[2]);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "https://auth.example.org/verify"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ABCD-EFGH"));
	/* Neither the device code nor a token is shown. */
	CU_ASSERT_PTR_NULL(strstr(out, "dc-1"));
	CU_ASSERT_PTR_NULL(strstr(out, "at-d"));
	CU_ASSERT_EQUAL_FATAL(oauth2_store_read(oauth2_store_path(o), &t, &err), 0);
	CU_ASSERT_STRING_EQUAL(t.access, "at-d");
	CU_ASSERT_STRING_EQUAL(t.refresh, "rt-d");
	oauth2_tokens_release(&t);
	oauth2_free(o);
	cfg_free(cfg);
	unsetenv("XDG_STATE_HOME");
	free(cfgpath);
	free(state);
	free(text);
	tutil_rmtree();
}

void suite_oauth2(void)
{
	CU_pSuite s = CU_add_suite("oauth2", NULL, NULL);

	CU_add_test(s, "PKCE S256 (RFC 7636 appendix B)", test_pkce_rfc7636);
	CU_add_test(s, "random verifier and state", test_random);
	CU_add_test(s, "SASL XOAUTH2 and OAUTHBEARER", test_sasl);
	CU_add_test(s, "token responses", test_parse);
	CU_add_test(s, "store write and read", test_store_roundtrip);
	CU_add_test(s, "store refused", test_store_refused);
	CU_add_test(s, "no store: sign-in needed", test_no_store);
	CU_add_test(s, "valid token kept", test_valid_kept);
	CU_add_test(s, "refresh and rotation", test_refresh_rotates);
	CU_add_test(s, "refused token replaced", test_rejected);
	CU_add_test(s, "invalid_grant and 5xx", test_invalid_grant);
	CU_add_test(s, "store read again under the lock", test_reread_under_lock);
	CU_add_test(s, "configuration keys", test_config);
	CU_add_test(s, "device grant", test_device);
}
