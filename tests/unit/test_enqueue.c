#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "buf.h"
#include "cfg.h"
#include "enqueue.h"
#include "queue.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static const char config_text[] =
	"[general]\n"
	"default_account = work\n"
	"send_delay = 10\n"
	"\n"
	"[account home]\n"
	"address = ana@home.test\n"
	"aliases = *@shop.test\n"
	"\n"
	"[account work]\n"
	"name = Ana Putri\n"
	"address = ana@example.co.id\n";

static struct cfg *load_config(void)
{
	struct err err = ERR_INIT;
	char *p = xasprintf("%s/config", tutil_tmpdir());
	struct cfg *cfg;

	CU_ASSERT_EQUAL(tutil_write(p, config_text, strlen(config_text)), 0);
	cfg = cfg_load(p, &err);
	if (!cfg)
		fprintf(stderr, "\ncfg: %s\n", err.msg);
	free(p);
	return cfg;
}

/* Feed text through a pipe to enqueue_read. */
static void check_read(const char *in, size_t len, int keep_dots, const char *want)
{
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	int fds[2];

	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL((size_t)write(fds[1], in, len), len);
	close(fds[1]);
	CU_ASSERT_EQUAL(enqueue_read(fds[0], keep_dots, &out, &err), 0);
	close(fds[0]);
	CU_ASSERT_EQUAL(out.len, strlen(want));
	CU_ASSERT_STRING_EQUAL(out.data, want);
	buf_release(&out);
}

static void test_read_dot_rule(void)
{
	static const char msg[] = "Subject: x\n\none\n.\ntwo\n";

	check_read(msg, strlen(msg), 0, "Subject: x\n\none\n");
	check_read(msg, strlen(msg), 1, msg);
	check_read("a\r\n.\r\nb\r\n", 9, 0, "a\r\n");
	check_read("a\n..\n. \n.x\nb\n", 13, 0, "a\n..\n. \n.x\nb\n");
	check_read(".\nall gone\n", 11, 0, "");
	check_read("a\n.", 3, 0, "a\n");
	check_read("a\n.", 3, 1, "a\n.");
}

static void test_read_stops_at_dot(void)
{
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	int fds[2];

	/* At a terminal the writer keeps stdin open after the "." line:
	 * reading must end there, not wait for end of input. */
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(write(fds[1], "x\n.\n", 4), 4);
	CU_ASSERT_EQUAL(enqueue_read(fds[0], 0, &out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out.data, "x\n");
	close(fds[1]);
	close(fds[0]);
	buf_release(&out);
}

static void test_parse_at(void)
{
	struct err err = ERR_INIT;
	time_t now = 1700000000, t;
	struct tm tm;
	static const char *const bad[] = {
		"", "+", "+3x", "+3mm", "@", "@12a", "25:00", "12:60", "1:00", "12:00x",
		"2025-02-30 10:00", "2025-13-01 10:00", "2025-01-01", "2025-01-01 10", "tomorrow",
		"+99999999999999999999",
	};
	size_t i;

	CU_ASSERT_EQUAL(enqueue_parse_at("@1800000000", now, &t, &err), 0);
	CU_ASSERT_EQUAL(t, 1800000000);
	CU_ASSERT_EQUAL(enqueue_parse_at("+30m", now, &t, &err), 0);
	CU_ASSERT_EQUAL(t, now + 1800);
	CU_ASSERT_EQUAL(enqueue_parse_at("+2h", now, &t, &err), 0);
	CU_ASSERT_EQUAL(t, now + 7200);
	CU_ASSERT_EQUAL(enqueue_parse_at("+1d", now, &t, &err), 0);
	CU_ASSERT_EQUAL(t, now + 86400);
	CU_ASSERT_EQUAL(enqueue_parse_at("+45", now, &t, &err), 0);
	CU_ASSERT_EQUAL(t, now + 45);
	CU_ASSERT_EQUAL(enqueue_parse_at("+45s", now, &t, &err), 0);
	CU_ASSERT_EQUAL(t, now + 45);

	CU_ASSERT_EQUAL(enqueue_parse_at("2031-07-04 09:15", now, &t, &err), 0);
	localtime_r(&t, &tm);
	CU_ASSERT_EQUAL(tm.tm_year, 131);
	CU_ASSERT_EQUAL(tm.tm_mon, 6);
	CU_ASSERT_EQUAL(tm.tm_mday, 4);
	CU_ASSERT_EQUAL(tm.tm_hour, 9);
	CU_ASSERT_EQUAL(tm.tm_min, 15);
	CU_ASSERT_EQUAL(enqueue_parse_at("2031-07-04T09:15:30", now, &t, &err), 0);
	localtime_r(&t, &tm);
	CU_ASSERT_EQUAL(tm.tm_sec, 30);

	/* HH:MM is its next occurrence: within a day, later than now. */
	CU_ASSERT_EQUAL(enqueue_parse_at("06:30", now, &t, &err), 0);
	CU_ASSERT(t > now && t <= now + 86400 + 3600);
	localtime_r(&t, &tm);
	CU_ASSERT_EQUAL(tm.tm_hour, 6);
	CU_ASSERT_EQUAL(tm.tm_min, 30);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		CU_ASSERT_EQUAL(enqueue_parse_at(bad[i], now, &t, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_USAGE);
		if (err.code != EX_USAGE)
			fprintf(stderr, "\naccepted bad time '%s'\n", bad[i]);
	}
}

/* Run enqueue_prepare; returns its result, the message in *out and the
 * envelope in *env (both the caller's). */
static int prepare(const struct enqueue_opts *o, const struct cfg *cfg, const char *in,
		   struct buf *out, struct queue_env **env, struct err *err)
{
	*env = queue_env_new();
	return enqueue_prepare(o, cfg, in, strlen(in), 1700000000, out, *env, err);
}

static int has_rcpt(const struct queue_env *e, const char *addr)
{
	size_t i;

	for (i = 0; i < queue_env_rcpt_count(e); i++) {
		if (strcmp(queue_env_rcpt_addr(e, i), addr) == 0)
			return 1;
	}
	return 0;
}

static void test_extract_and_bcc(void)
{
	static const char in[] =
		"To: Bee <b@example.test>, c@example.test\r\n"
		"Cc: undisclosed-recipients:;\r\n"
		"Bcc: d@example.test,\r\n"
		"  e@example.test\r\n"
		"Subject: s\r\n"
		"\r\n"
		"body\r\n"
		"Bcc: this is body text\r\n";
	char *args[] = { "extra@example.test, c@example.test", "<f@example.test>" };
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct queue_env *e;

	o.extract = 1;
	o.rcpts = args;
	o.nrcpts = 2;
	CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), 0);
	CU_ASSERT_EQUAL(queue_env_rcpt_count(e), 6);
	CU_ASSERT(has_rcpt(e, "b@example.test"));
	CU_ASSERT(has_rcpt(e, "c@example.test"));
	CU_ASSERT(has_rcpt(e, "d@example.test"));
	CU_ASSERT(has_rcpt(e, "e@example.test"));
	CU_ASSERT(has_rcpt(e, "extra@example.test"));
	CU_ASSERT(has_rcpt(e, "f@example.test"));
	/* Bcc with its continuation line is gone; a "Bcc:" in the body stays;
	 * CRLF is LF. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(strstr(out.data, "\n\n"));
	CU_ASSERT_PTR_NULL(memmem(out.data, (size_t)(strstr(out.data, "\n\n") - out.data), "Bcc", 3));
	CU_ASSERT_PTR_NULL(strstr(out.data, "e@example.test"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "\n\nbody\nBcc: this is body text\n"));
	CU_ASSERT_PTR_NULL(strchr(out.data, '\r'));
	CU_ASSERT_EQUAL(strncmp(out.data, "To: Bee <b@example.test>, c@example.test\nCc: ", 45), 0);
	buf_release(&out);
	queue_env_free(e);

	/* Without -t the header's recipients are not used. */
	o.extract = 0;
	o.nrcpts = 0;
	err_clear(&err);
	CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_STRING_EQUAL(err.msg, "no recipients");
	buf_release(&out);
	queue_env_free(e);
}

/* -N, -R and -V: checked, upper-cased and kept in the envelope. */
static void test_dsn_options(void)
{
	static const char in[] = "To: b@example.test\n\nhi\n";
	static const char *const bad_n[] = { "sometimes", "failure,", "", "failure,,delay" };
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct queue_env *e;
	size_t i;

	o.extract = 1;
	o.dsn_notify = "success,Delay";
	o.dsn_ret = "full";
	o.envid = "my-env.1";
	CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_dsn_notify(e), "SUCCESS,DELAY");
	CU_ASSERT_STRING_EQUAL(queue_env_dsn_ret(e), "FULL");
	CU_ASSERT_STRING_EQUAL(queue_env_envid(e), "my-env.1");
	buf_release(&out);
	queue_env_free(e);
	o.dsn_notify = "never";
	o.dsn_ret = NULL;
	o.envid = NULL;
	CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_dsn_notify(e), "NEVER");
	CU_ASSERT_PTR_NULL(queue_env_dsn_ret(e));
	CU_ASSERT(!queue_env_envid_set(e));
	buf_release(&out);
	queue_env_free(e);
	for (i = 0; i < sizeof(bad_n) / sizeof(bad_n[0]); i++) {
		o.dsn_notify = bad_n[i];
		err_clear(&err);
		CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_USAGE);
		buf_release(&out);
		queue_env_free(e);
	}
	o.dsn_notify = NULL;
	o.dsn_ret = "most";
	CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_USAGE);
	buf_release(&out);
	queue_env_free(e);
	o.dsn_ret = NULL;
	{
		static const char *const bad_v[] = { "two words", "a=b", "a+2", "a+2b", "+0A", "",
						     "caf\xc3\xa9" };

		for (i = 0; i < sizeof(bad_v) / sizeof(bad_v[0]); i++) {
			o.envid = bad_v[i];
			err_clear(&err);
			CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), -1);
			CU_ASSERT_EQUAL(err.code, EX_USAGE);
			buf_release(&out);
			queue_env_free(e);
		}
	}
	/* -V is xtext, kept decoded. */
	o.envid = "a+2Bb+3Dc";
	CU_ASSERT_EQUAL(prepare(&o, NULL, in, &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_envid(e), "a+b=c");
	buf_release(&out);
	queue_env_free(e);
}

static void test_added_fields(void)
{
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct queue_env *e;
	char *args[] = { "root" };
	const char *sender;

	o.rcpts = args;
	o.nrcpts = 1;
	CU_ASSERT_EQUAL(prepare(&o, NULL, "Subject: hi\n\nbody", &out, &e, &err), 0);
	/* No config: the bare name goes to localhost, the sender is the
	 * user at this host, account none. */
	CU_ASSERT(has_rcpt(e, "root@localhost"));
	sender = queue_env_sender(e);
	CU_ASSERT_PTR_NOT_NULL(strchr(sender, '@'));
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "");
	CU_ASSERT_EQUAL(queue_env_created(e), 1700000000);
	CU_ASSERT_EQUAL(queue_env_next_attempt(e), 1700000000);
	CU_ASSERT_EQUAL(strncmp(out.data, "Subject: hi\nFrom: ", 18), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, sender));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "\nDate: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "\nMessage-ID: <1700000000."));
	/* The missing final line end is added. */
	CU_ASSERT_EQUAL(strcmp(out.data + out.len - 6, "\nbody\n"), 0);
	buf_release(&out);
	queue_env_free(e);

	/* Present fields are kept and not doubled. */
	CU_ASSERT_EQUAL(prepare(&o, NULL,
				"From: x@example.test\ndate: Mon, 1 Jan 2024 00:00:00 +0000\n"
				"Message-Id: <m@x>\n\nb\n", &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(out.data, "From: x@example.test\ndate: Mon, 1 Jan 2024 00:00:00 +0000\n"
			       "Message-Id: <m@x>\n\nb\n");
	buf_release(&out);
	queue_env_free(e);

	/* An mbox separator in front is dropped; a first line that is no
	 * header starts the body after an added empty line. */
	CU_ASSERT_EQUAL(prepare(&o, NULL, "From someone Mon Jan  1 00:00:00 2024\n"
				"From: x@example.test\nDate: d\nMessage-ID: <m@x>\nno header here\n",
				&out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(out.data, "From: x@example.test\nDate: d\nMessage-ID: <m@x>\n\n"
			       "no header here\n");
	buf_release(&out);
	queue_env_free(e);

	/* -f and -F: the envelope sender and the From field. */
	o.sender = "bob";
	o.fullname = "Bob \"the\" Builder, Jr.";
	CU_ASSERT_EQUAL(prepare(&o, NULL, "Subject: x\n\n", &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "bob@localhost");
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data,
				      "From: \"Bob \\\"the\\\" Builder, Jr.\" <bob@localhost>\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "Message-ID: <1700000000."));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "@localhost>\n"));
	buf_release(&out);
	queue_env_free(e);

	o.sender = "<>";
	o.fullname = NULL;
	CU_ASSERT_EQUAL(prepare(&o, NULL, "Subject: x\n\n", &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "");
	buf_release(&out);
	queue_env_free(e);
}

static void test_refusals(void)
{
	static const struct {
		const char *sender, *fullname, *rcpt, *in;
		const char *want;
	} cases[] = {
		{ "a@example.test\nBcc: x@evil.test", NULL, "b@example.test", "S: x\n\n", "line break" },
		{ NULL, "Name\r\nBcc: x@evil.test", "b@example.test", "S: x\n\n", "line break" },
		{ NULL, NULL, "b@example.test\nBcc: x@evil.test", "S: x\n\n", "line break" },
		{ NULL, NULL, "b@example.test", "Subject: a\rb\n\n", "bare CR" },
		{ NULL, NULL, "b@example.test", "Subject: x\nX: y\r", "bare CR" },
		{ NULL, NULL, "not an address", "S: x\n\n", "bad recipient" },
		{ NULL, NULL, "b@exa mple.test", "S: x\n\n", "bad recipient" },
		{ NULL, NULL, "b@", "S: x\n\n", "bad recipient" },
		{ "bad sender@x.test", NULL, "b@example.test", "S: x\n\n", "bad sender" },
		{ NULL, NULL, NULL, "To: b@example.test\n\n", "no recipients" },
	};
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct queue_env *e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct enqueue_opts o = { 0 };
		char *args[1];

		args[0] = (char *)cases[i].rcpt;
		o.sender = cases[i].sender;
		o.fullname = cases[i].fullname;
		o.rcpts = args;
		o.nrcpts = cases[i].rcpt ? 1 : 0;
		err_clear(&err);
		CU_ASSERT_EQUAL(prepare(&o, NULL, cases[i].in, &out, &e, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_DATAERR);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].want));
		if (!strstr(err.msg, cases[i].want))
			fprintf(stderr, "\ncase %zu: '%s'\n", i, err.msg);
		buf_release(&out);
		queue_env_free(e);
	}
}

/* -t reads To/Cc/Bcc strictly: a broken address is refused (65), never
 * dropped or guessed at; the usual forms all work. */
static void test_extract_strict(void)
{
	static const char *bad[] = {
		"To: broken@\n\n",
		"To: ok@example.test, \"x\" <a@>\n\n",
		"Cc: two words@example.test\n\n",
		"To: a@b@c.test\n\n",
	};
	static const char good[] =
		"To: \"Doe, Jane\" <jane@example.test> (work), friends: f1@example.test,\n"
		" f2@example.test;, undisclosed-recipients:;\n"
		"Cc: <c@example.test>, root (the admin)\n"
		"Subject: s\n\nbody\n";
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct queue_env *e;
	size_t i;

	o.extract = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		CU_ASSERT_EQUAL(prepare(&o, NULL, bad[i], &out, &e, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_DATAERR);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bad recipient"));
		buf_release(&out);
		queue_env_free(e);
	}
	err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(prepare(&o, NULL, good, &out, &e, &err), 0);
	CU_ASSERT_EQUAL(queue_env_rcpt_count(e), 5);
	CU_ASSERT_TRUE(has_rcpt(e, "jane@example.test"));
	CU_ASSERT_TRUE(has_rcpt(e, "f1@example.test"));
	CU_ASSERT_TRUE(has_rcpt(e, "f2@example.test"));
	CU_ASSERT_TRUE(has_rcpt(e, "c@example.test"));
	CU_ASSERT_TRUE(has_rcpt(e, "root@localhost"));
	buf_release(&out);
	queue_env_free(e);
}

static void test_nul(void)
{
	static const char hdr_nul[] = "Subject: a\0b\n\nbody\n";
	static const char body_nul[] = "Subject: ab\n\nbo\0dy\r\n";
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct queue_env *e = queue_env_new();
	char *args[] = { "b@example.test" };

	o.rcpts = args;
	o.nrcpts = 1;
	CU_ASSERT_EQUAL(enqueue_prepare(&o, NULL, hdr_nul, sizeof(hdr_nul) - 1, 1, &out, e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "NUL"));
	queue_env_free(e);
	buf_release(&out);
	/* In the body the bytes are kept as they are. */
	e = queue_env_new();
	CU_ASSERT_EQUAL(enqueue_prepare(&o, NULL, body_nul, sizeof(body_nul) - 1, 1, &out, e, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(memmem(out.data, out.len, "\n\nbo\0dy\n", 8));
	queue_env_free(e);
	buf_release(&out);
}

static void test_accounts(void)
{
	struct cfg *cfg = load_config();
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct queue_env *e;
	char *args[] = { "root" };

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	o.rcpts = args;
	o.nrcpts = 1;
	/* The default account: its address, name and domain; send_delay. */
	CU_ASSERT_EQUAL(prepare(&o, cfg, "Subject: x\n\n", &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "work");
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "ana@example.co.id");
	CU_ASSERT(has_rcpt(e, "root@example.co.id"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "From: Ana Putri <ana@example.co.id>\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "@example.co.id>\n"));
	CU_ASSERT_EQUAL(queue_env_next_attempt(e), 1700000010);
	buf_release(&out);
	queue_env_free(e);

	/* By the From address. */
	CU_ASSERT_EQUAL(prepare(&o, cfg, "From: Ana <ANA@home.test>\n\n", &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "home");
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "ana@home.test");
	CU_ASSERT(has_rcpt(e, "root@home.test"));
	buf_release(&out);
	queue_env_free(e);

	/* By an alias of the From address: that account's smarthost. */
	CU_ASSERT_EQUAL(prepare(&o, cfg, "From: Sales <sales@Shop.test>\n\n", &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "home");
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "ana@home.test");
	buf_release(&out);
	queue_env_free(e);

	/* By -A, with --at later than the send delay; -F names the From. */
	o.account = "home";
	o.at = 1700005000;
	o.fullname = "Ana Pütri";
	CU_ASSERT_EQUAL(prepare(&o, cfg, "Subject: x\n\n", &out, &e, &err), 0);
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "home");
	CU_ASSERT_EQUAL(queue_env_next_attempt(e), 1700005000);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "From: Ana =?UTF-8?"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "?= <ana@home.test>\n"));
	buf_release(&out);
	queue_env_free(e);

	o.account = "nosuch";
	err_clear(&err);
	CU_ASSERT_EQUAL(prepare(&o, cfg, "Subject: x\n\n", &out, &e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	buf_release(&out);
	queue_env_free(e);
	/* -A without any configuration. */
	o.account = "work";
	err_clear(&err);
	CU_ASSERT_EQUAL(prepare(&o, NULL, "Subject: x\n\n", &out, &e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	buf_release(&out);
	queue_env_free(e);
	cfg_free(cfg);
}

static void test_message_into_queue(void)
{
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct queue *q;
	struct queue_env *e;
	char *args[] = { "b@example.test" }, *dir, *id = NULL, *data;
	const char *base = tutil_tmpdir();
	size_t len;
	static const char in[] = "Subject: q\n\nline\n";

	dir = xasprintf("%s/queue", base);
	q = queue_open(dir, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	o.rcpts = args;
	o.nrcpts = 1;
	CU_ASSERT_EQUAL(enqueue_message(q, &o, NULL, in, strlen(in), &id, &err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(queue_env_rcpt_count(e), 1);
	CU_ASSERT_EQUAL(queue_read_body(q, id, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(queue_env_size(e), len);
	CU_ASSERT_EQUAL(strncmp(data, "Subject: q\n", 11), 0);
	free(data);
	queue_env_free(e);
	free(id);
	/* A refusal queues nothing. */
	o.nrcpts = 0;
	CU_ASSERT_EQUAL(enqueue_message(q, &o, NULL, in, strlen(in), &id, &err), -1);
	free(dir);
	dir = xasprintf("%s/queue/msg", base);
	CU_ASSERT_EQUAL(tutil_count_entries(dir), 1);
	free(dir);
	queue_close(q);
}

static void test_smtp(void)
{
	static const char session[] =
		"EHLO client.test\r\n"
		"DATA\r\n"
		"RCPT TO:<b@example.test>\r\n"
		"MAIL FROM:<a@example.test> BODY=8BITMIME\r\n"
		"MAIL FROM:<a@example.test>\r\n"
		"RCPT TO:<bad address@example.test>\r\n"
		"RCPT TO:<b@example.test>\r\n"
		"RCPT TO:<root>\r\n"
		"DATA\r\n"
		"Subject: smtp\r\n"
		"\r\n"
		"..leading dot\r\n"
		"last\r\n"
		".\r\n"
		"MAIL FROM:<>\r\n"
		"RCPT TO:<c@example.test>\r\n"
		"RSET\r\n"
		"DATA\r\n"
		"NOOP\r\n"
		"WHAT\r\n"
		"QUIT\r\n";
	struct enqueue_opts o = { 0 };
	struct err err = ERR_INIT;
	struct queue *q;
	struct queue_env **list;
	char *dir, *outbuf = NULL, *data;
	size_t outlen = 0, n, len;
	FILE *in, *out;

	dir = xasprintf("%s/queue", tutil_tmpdir());
	q = queue_open(dir, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	in = fmemopen((void *)session, strlen(session), "r");
	out = open_memstream(&outbuf, &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(enqueue_smtp(q, &o, NULL, in, out, &err), 0);
	fclose(in);
	fclose(out);
	CU_ASSERT_EQUAL(strncmp(outbuf, "220 ", 4), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(outbuf, "\r\n250-8BITMIME\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outbuf, "\r\n503 5.5.1 MAIL first\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outbuf, "\r\n503 5.5.1 sender already given\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outbuf, "\r\n553 5.1.3 bad recipient address\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(outbuf, "\r\n354 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(outbuf, "\r\n250 2.0.0 ok: queued as "));
	CU_ASSERT_PTR_NOT_NULL(strstr(outbuf, "\r\n500 5.5.2 command not recognised\r\n"));
	CU_ASSERT_EQUAL(strcmp(outbuf + outlen - 15, "221 2.0.0 bye\r\n"), 0);

	CU_ASSERT_EQUAL(queue_list(q, &list, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(list[0]), "a@example.test");
	CU_ASSERT_EQUAL(queue_env_rcpt_count(list[0]), 2);
	CU_ASSERT(has_rcpt(list[0], "root@localhost"));
	CU_ASSERT_EQUAL(queue_read_body(q, queue_env_id(list[0]), &data, &len, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(data, "\n\n.leading dot\nlast\n"));
	CU_ASSERT_EQUAL(strcmp(data + len - 5, "last\n"), 0);
	free(data);
	queue_list_free(list, n);
	free(outbuf);
	free(dir);
	queue_close(q);
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_enqueue(void)
{
	CU_pSuite s = CU_add_suite("enqueue", NULL, cleanup);

	CU_add_test(s, "read: the dot rule with and without -i", test_read_dot_rule);
	CU_add_test(s, "read: stops at the dot line", test_read_stops_at_dot);
	CU_add_test(s, "--at times", test_parse_at);
	CU_add_test(s, "-N, -R, -V into the envelope", test_dsn_options);
	CU_add_test(s, "-t recipients and Bcc removal", test_extract_and_bcc);
	CU_add_test(s, "From, Date and Message-ID added", test_added_fields);
	CU_add_test(s, "injection and bad input refused", test_refusals);
	CU_add_test(s, "-t reads addresses strictly", test_extract_strict);
	CU_add_test(s, "NUL in header refused, in body kept", test_nul);
	CU_add_test(s, "account choice and send_delay", test_accounts);
	CU_add_test(s, "message into the queue", test_message_into_queue);
	CU_add_test(s, "SMTP dialogue (-bs)", test_smtp);
}
