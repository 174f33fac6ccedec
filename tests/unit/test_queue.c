#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "buf.h"
#include "queue.h"
#include "queue_env.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static const char body[] = "From: a@example.test\nSubject: hi\n\nhello\n";

static char *qpath(const char *dir, const char *sub, const char *id)
{
	return id ? xasprintf("%s/%s/%s", dir, sub, id) : xasprintf("%s/%s", dir, sub);
}

static int present(const char *dir, const char *sub, const char *id)
{
	char *p = qpath(dir, sub, id);
	struct stat st;
	int rc = stat(p, &st) == 0;

	free(p);
	return rc;
}

static int count(const char *dir, const char *sub)
{
	char *p = qpath(dir, sub, NULL);
	int n = tutil_count_entries(p);

	free(p);
	return n;
}

/* A queue in a fresh directory; *dir_out is its path (borrowed). */
static struct queue *fresh_queue(const char **dir_out)
{
	struct err err = ERR_INIT;
	struct queue *q;
	char *dir = xasprintf("%s/q/deeper", tutil_tmpdir());

	q = queue_open(dir, &err);
	free(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	*dir_out = queue_dir(q);
	return q;
}

/* Add a message for the given recipients; returns its id (caller frees). */
static char *add(struct queue *q, const char *r1, const char *r2)
{
	struct err err = ERR_INIT;
	struct queue_env *e = queue_env_new();
	char *id = NULL;

	CU_ASSERT_EQUAL(queue_env_set_sender(e, "a@example.test", &err), 0);
	CU_ASSERT_EQUAL(queue_env_set_account(e, "work", &err), 0);
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, r1, &err), 0);
	if (r2)
		CU_ASSERT_EQUAL(queue_env_add_rcpt(e, r2, &err), 0);
	CU_ASSERT_EQUAL(queue_add(q, body, strlen(body), e, &id, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(id);
	CU_ASSERT_STRING_EQUAL(queue_env_id(e), id);
	queue_env_free(e);
	return id;
}

static void test_env_round_trip(void)
{
	struct err err = ERR_INIT;
	struct queue_env *e = queue_env_new(), *f;
	struct buf b = BUF_INIT, b2 = BUF_INIT;

	CU_ASSERT_EQUAL(queue_env_set_sender(e, "ana@example.co.id", &err), 0);
	CU_ASSERT_EQUAL(queue_env_set_account(e, "work mail", &err), 0);
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, "b@example.test", &err), 0);
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, "c@example.test", &err), 0);
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, "d@example.test", &err), 0);
	queue_env_set_created(e, 1700000000);
	queue_env_set_next_attempt(e, 1700000300);
	queue_env_set_attempts(e, 3);
	queue_env_set_rcpt(e, 0, QUEUE_RCPT_SENT, "250 2.0.0 ok");
	queue_env_set_rcpt(e, 1, QUEUE_RCPT_DEFERRED, "451 4.7.1 try\r\nlater");
	queue_env_set_rcpt(e, 2, QUEUE_RCPT_BOUNCED, NULL);
	queue_env_set_error(e, "connection lost\n");
	CU_ASSERT_EQUAL(queue_env_set_dsn(e, "SUCCESS,FAILURE", "FULL", "env-1", &err), 0);
	CU_ASSERT_EQUAL(queue_env_set_dsn(e, "two words", NULL, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	queue_env_set_delay_warned(e);
	queue_env_format(e, &b);

	f = queue_env_parse(b.data, b.len, "/q/env/X", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(f), "ana@example.co.id");
	CU_ASSERT_STRING_EQUAL(queue_env_account(f), "work mail");
	CU_ASSERT_EQUAL(queue_env_created(f), 1700000000);
	CU_ASSERT_EQUAL(queue_env_next_attempt(f), 1700000300);
	CU_ASSERT_EQUAL(queue_env_attempts(f), 3);
	CU_ASSERT_EQUAL(queue_env_rcpt_count(f), 3);
	CU_ASSERT_STRING_EQUAL(queue_env_rcpt_addr(f, 1), "c@example.test");
	CU_ASSERT_EQUAL(queue_env_rcpt_status(f, 0), QUEUE_RCPT_SENT);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(f, 1), QUEUE_RCPT_DEFERRED);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(f, 2), QUEUE_RCPT_BOUNCED);
	CU_ASSERT_STRING_EQUAL(queue_env_rcpt_reply(f, 0), "250 2.0.0 ok");
	/* Replies and errors are kept on one line. */
	CU_ASSERT_STRING_EQUAL(queue_env_rcpt_reply(f, 1), "451 4.7.1 try  later");
	CU_ASSERT_PTR_NULL(queue_env_rcpt_reply(f, 2));
	CU_ASSERT_STRING_EQUAL(queue_env_error(f), "connection lost ");
	CU_ASSERT_STRING_EQUAL(queue_env_dsn_notify(f), "SUCCESS,FAILURE");
	CU_ASSERT_STRING_EQUAL(queue_env_dsn_ret(f), "FULL");
	CU_ASSERT_STRING_EQUAL(queue_env_envid(f), "env-1");
	CU_ASSERT(queue_env_envid_set(f));
	CU_ASSERT(queue_env_delay_warned(f));
	/* Formatting the parsed copy gives the same bytes. */
	queue_env_format(f, &b2);
	CU_ASSERT_EQUAL(b.len, b2.len);
	CU_ASSERT_STRING_EQUAL(b.data, b2.data);
	queue_env_free(f);
	buf_release(&b2);

	/* The null sender is written as <> and read back as "". */
	CU_ASSERT_EQUAL(queue_env_set_sender(e, "", &err), 0);
	buf_reset(&b);
	queue_env_format(e, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nsender <>\n"));
	f = queue_env_parse(b.data, b.len, "X", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(f), "");
	queue_env_free(f);
	buf_release(&b);
	queue_env_free(e);
}

static void test_env_setters_refuse(void)
{
	struct err err = ERR_INIT;
	struct queue_env *e = queue_env_new();
	static const char *const bad[] = {
		"", "nodomain", "@example.test", "a@", "a b@example.test", "a@example.test\n",
		"<a@example.test>", "a\r@x.test",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		CU_ASSERT_EQUAL(queue_env_add_rcpt(e, bad[i], &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	}
	CU_ASSERT_EQUAL(queue_env_set_sender(e, "a b@x.test", &err), -1);
	CU_ASSERT_EQUAL(queue_env_set_account(e, "a\nb", &err), -1);
	CU_ASSERT_EQUAL(queue_env_rcpt_count(e), 0);
	queue_env_free(e);
}

static void test_env_parse_errors(void)
{
	static const struct {
		const char *text;
		const char *want;   /* in the error message */
	} cases[] = {
		{ "sender a@b.test\nrcpt pending c@d.test\n", "no version line" },
		{ "version 2\nrcpt pending c@d.test\n", "line 1: unsupported version 2" },
		{ "version x\n", "line 1: bad version value 'x'" },
		{ "version 1\nattempts many\nrcpt pending c@d.test\n", "line 2: bad attempts value 'many'" },
		{ "version 1\ncreated -5\nrcpt pending c@d.test\n", "line 2: bad created value" },
		{ "version 1\nnext_attempt 99999999999999999999999\nrcpt pending c@d.test\n",
		  "line 2: bad next_attempt value" },
		{ "version 1\nrcpt lost c@d.test\n", "line 2: bad rcpt value 'lost c@d.test'" },
		{ "version 1\nrcpt pending\n", "line 2: bad rcpt value" },
		{ "version 1\nrcpt pending c d@e.test\n", "line 2: bad rcpt value" },
		{ "version 1\nsender x y\nrcpt pending c@d.test\n", "line 2: bad sender value" },
		{ "version 1\nreply c@d.test 250 ok\nrcpt pending c@d.test\n",
		  "line 2: reply for 'c@d.test', which is no recipient" },
		{ "version 1\nrcpt pending c@d.test", "line 2: truncated" },
		{ "version 1\n", "no recipients" },
		{ "version 1\nid OTHER\nrcpt pending c@d.test\n", "line 2: id 'OTHER' does not match" },
		{ "version 1\nrcpt pending c@d.test\n\0\n", "NUL" },
	};
	struct err err = ERR_INIT;
	struct queue_env *e;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_clear(&err);
		len = strlen(cases[i].text);
		if (strcmp(cases[i].want, "NUL") == 0)
			len += 2;
		e = queue_env_parse(cases[i].text, len, "/q/env/ID", &err);
		CU_ASSERT_PTR_NULL(e);
		queue_env_free(e);
		CU_ASSERT_EQUAL(err.code, EX_DATAERR);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].want));
		if (!strstr(err.msg, cases[i].want))
			fprintf(stderr, "\ncase %zu: got '%s'\n", i, err.msg);
		/* Every message names the file. */
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'/q/env/ID'"));
	}
}

static void test_env_unknown_keys(void)
{
	static const char text[] =
		"# a comment\n"
		"version 1\n"
		"id ID\n"
		"colour blue\n"
		"priority\n"
		"\n"
		"rcpt pending c@d.test\n"
		"future_thing 1 2 3\n";
	struct err err = ERR_INIT;
	struct queue_env *e = queue_env_parse(text, strlen(text), "dir/ID", &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(queue_env_rcpt_count(e), 1);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "");
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "");
	queue_env_free(e);
}

static void test_add_and_load(void)
{
	struct err err = ERR_INIT;
	struct queue *q;
	struct queue_env *e;
	const char *dir;
	char *id, *data, *p;
	size_t len;
	time_t before = time(NULL);

	q = fresh_queue(&dir);
	id = add(q, "b@example.test", "c@example.test");
	CU_ASSERT(queue_id_valid(id));
	CU_ASSERT(present(dir, "msg", id));
	CU_ASSERT(present(dir, "env", id));
	CU_ASSERT_EQUAL(count(dir, "tmp"), 0);

	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(queue_env_id(e), id);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_QUEUED);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "a@example.test");
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "work");
	CU_ASSERT_EQUAL(queue_env_size(e), strlen(body));
	CU_ASSERT(queue_env_created(e) >= before);
	CU_ASSERT_EQUAL(queue_env_next_attempt(e), queue_env_created(e));
	CU_ASSERT_EQUAL(queue_env_rcpt_count(e), 2);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 1), QUEUE_RCPT_PENDING);

	/* The relay records a status; the rewrite is atomic and visible. */
	queue_env_set_rcpt(e, 0, QUEUE_RCPT_SENT, "250 ok");
	queue_env_set_attempts(e, 1);
	CU_ASSERT_EQUAL(queue_save_envelope(q, e, &err), 0);
	queue_env_free(e);
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 0), QUEUE_RCPT_SENT);
	CU_ASSERT_EQUAL(queue_env_attempts(e), 1);
	CU_ASSERT_EQUAL(count(dir, "env"), 1);

	CU_ASSERT_EQUAL(queue_read_body(q, id, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, strlen(body));
	CU_ASSERT_EQUAL(memcmp(data, body, len), 0);
	free(data);
	p = queue_body_path(q, id);
	CU_ASSERT_PTR_NOT_NULL(strstr(p, "/msg/"));
	free(p);

	/* Removed meanwhile: the relay's save must not bring it back. */
	CU_ASSERT_EQUAL(queue_remove(q, id, &err), 0);
	CU_ASSERT_EQUAL(queue_save_envelope(q, e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT(!present(dir, "env", id));
	CU_ASSERT(!present(dir, "msg", id));
	queue_env_free(e);

	err_clear(&err);
	CU_ASSERT_PTR_NULL(queue_load(q, id, &err));
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT_EQUAL(queue_remove(q, id, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	err_clear(&err);
	CU_ASSERT_PTR_NULL(queue_load(q, "../../etc/passwd", &err));
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	free(id);
	queue_close(q);
}

static void test_add_refuses(void)
{
	struct err err = ERR_INIT;
	struct queue *q;
	struct queue_env *e = queue_env_new();
	const char *dir;
	char *envdir;

	q = fresh_queue(&dir);
	CU_ASSERT_EQUAL(queue_add(q, body, strlen(body), e, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(count(dir, "msg"), 0);

	/* The envelope cannot be committed: the body goes too. */
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, "b@example.test", &err), 0);
	envdir = qpath(dir, "env", NULL);
	CU_ASSERT_EQUAL(rmdir(envdir), 0);
	CU_ASSERT_EQUAL(tutil_write(envdir, "x", 1), 0);
	err_clear(&err);
	CU_ASSERT_EQUAL(queue_add(q, body, strlen(body), e, NULL, &err), -1);
	CU_ASSERT_NOT_EQUAL(err.code, 0);
	CU_ASSERT_PTR_NULL(queue_env_id(e));
	CU_ASSERT_EQUAL(count(dir, "msg"), 0);
	CU_ASSERT_EQUAL(count(dir, "tmp"), 0);
	free(envdir);
	queue_env_free(e);
	queue_close(q);
}

static void test_hold_release(void)
{
	struct err err = ERR_INIT;
	struct queue *q;
	struct queue_env *e;
	const char *dir;
	char *id;

	q = fresh_queue(&dir);
	id = add(q, "b@example.test", NULL);
	CU_ASSERT_EQUAL(queue_hold(q, id, &err), 0);
	CU_ASSERT(present(dir, "hold", id));
	CU_ASSERT(!present(dir, "env", id));
	CU_ASSERT_EQUAL(queue_hold(q, id, &err), 0);
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_HELD);
	queue_env_free(e);
	CU_ASSERT_EQUAL(queue_release(q, id, &err), 0);
	CU_ASSERT(present(dir, "env", id));
	CU_ASSERT(!present(dir, "hold", id));
	CU_ASSERT_EQUAL(queue_release(q, id, &err), 0);
	CU_ASSERT_EQUAL(queue_hold(q, "nosuchid", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	/* A held message is removed from hold/ and its body with it. */
	CU_ASSERT_EQUAL(queue_hold(q, id, &err), 0);
	CU_ASSERT_EQUAL(queue_remove(q, id, &err), 0);
	CU_ASSERT_EQUAL(count(dir, "hold"), 0);
	CU_ASSERT_EQUAL(count(dir, "msg"), 0);
	free(id);
	queue_close(q);
}

static void test_fail_and_retry(void)
{
	struct err err = ERR_INIT;
	struct queue *q;
	struct queue_env *e, **list;
	const char *dir;
	char *id, *id2;
	size_t n;
	time_t now;

	q = fresh_queue(&dir);
	id = add(q, "b@example.test", "c@example.test");
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	queue_env_set_rcpt(e, 0, QUEUE_RCPT_SENT, "250 ok");
	queue_env_set_rcpt(e, 1, QUEUE_RCPT_BOUNCED, "550 5.1.1 no such user");
	queue_env_set_attempts(e, 4);
	CU_ASSERT_EQUAL(queue_fail(q, e, "expired", &err), 0);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_FAILED);
	queue_env_free(e);
	CU_ASSERT(present(dir, "failed", id));
	CU_ASSERT(!present(dir, "env", id));
	CU_ASSERT(present(dir, "msg", id));

	CU_ASSERT_EQUAL(queue_hold(q, id, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(queue_release(q, id, &err), -1);

	CU_ASSERT_EQUAL(queue_retry(q, id, &err), 0);
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_QUEUED);
	CU_ASSERT_EQUAL(queue_env_attempts(e), 0);
	CU_ASSERT_PTR_NULL(queue_env_error(e));
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 0), QUEUE_RCPT_SENT);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 1), QUEUE_RCPT_PENDING);
	CU_ASSERT(!present(dir, "failed", id));

	/* A deferred message becomes due now. */
	now = time(NULL);
	queue_env_set_next_attempt(e, now + 3600);
	CU_ASSERT_EQUAL(queue_save_envelope(q, e, &err), 0);
	queue_env_free(e);
	id2 = add(q, "d@example.test", NULL);
	CU_ASSERT_EQUAL(queue_hold(q, id2, &err), 0);
	CU_ASSERT_EQUAL(queue_retry(q, NULL, &err), 0);
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT(queue_env_next_attempt(e) <= time(NULL));
	queue_env_free(e);
	/* retry without an id leaves held messages alone; with one it
	 * releases. */
	CU_ASSERT(present(dir, "hold", id2));
	CU_ASSERT_EQUAL(queue_retry(q, id2, &err), 0);
	CU_ASSERT(present(dir, "env", id2));

	CU_ASSERT_EQUAL(queue_list(q, &list, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	queue_list_free(list, n);
	free(id);
	free(id2);
	queue_close(q);
}

static void test_list(void)
{
	struct err err = ERR_INIT;
	struct queue *q;
	struct queue_env **list, *e;
	const char *dir;
	char *ids[3], *p;
	size_t n, i;

	q = fresh_queue(&dir);
	CU_ASSERT_EQUAL(queue_list(q, &list, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	queue_list_free(list, n);
	for (i = 0; i < 3; i++)
		ids[i] = add(q, "b@example.test", NULL);
	/* Make the order by creation time differ from the order of ids. */
	e = queue_load(q, ids[0], &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	queue_env_set_created(e, queue_env_created(e) + 100);
	CU_ASSERT_EQUAL(queue_save_envelope(q, e, &err), 0);
	queue_env_free(e);
	CU_ASSERT_EQUAL(queue_hold(q, ids[1], &err), 0);
	/* A file that is no envelope is listed with its error. */
	p = qpath(dir, "env", "BROKEN");
	CU_ASSERT_EQUAL(tutil_write(p, "garbage\n", 8), 0);
	free(p);
	p = qpath(dir, "msg", "BROKEN");
	CU_ASSERT_EQUAL(tutil_write(p, "x\n", 2), 0);
	free(p);
	/* Dot files (afile_write's temporaries) are not messages. */
	p = qpath(dir, "env", ".x.tmp");
	CU_ASSERT_EQUAL(tutil_write(p, "x", 1), 0);
	free(p);

	CU_ASSERT_EQUAL(queue_list(q, &list, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_STRING_EQUAL(queue_env_id(list[0]), "BROKEN");
	CU_ASSERT_PTR_NOT_NULL(strstr(queue_env_error(list[0]), "no version line"));
	CU_ASSERT_STRING_EQUAL(queue_env_id(list[1]), ids[1]);
	CU_ASSERT_EQUAL(queue_env_state(list[1]), QUEUE_ST_HELD);
	CU_ASSERT_STRING_EQUAL(queue_env_id(list[2]), ids[2]);
	CU_ASSERT_STRING_EQUAL(queue_env_id(list[3]), ids[0]);
	queue_list_free(list, n);
	for (i = 0; i < 3; i++)
		free(ids[i]);
	queue_close(q);
}

static void test_recover(void)
{
	struct err err = ERR_INIT;
	struct queue_recovery r;
	struct queue *q;
	struct queue_env *e;
	const char *dir;
	char *id, *gone, *p;

	q = fresh_queue(&dir);
	id = add(q, "b@example.test", NULL);
	gone = add(q, "c@example.test", NULL);
	p = qpath(dir, "tmp", "12345.M1P1Q1.host");
	CU_ASSERT_EQUAL(tutil_write(p, "half", 4), 0);
	free(p);
	p = qpath(dir, "msg", "ORPHAN");
	CU_ASSERT_EQUAL(tutil_write(p, "Subject: lost\n\n", 15), 0);
	free(p);
	/* What a killed envelope rewrite leaves beside the envelope. */
	p = qpath(dir, "env", ".123.M1P1Q1.host.tmp");
	CU_ASSERT_EQUAL(tutil_write(p, "version 1\n", 10), 0);
	free(p);
	/* A body gone from under its envelope. */
	p = qpath(dir, "msg", gone);
	CU_ASSERT_EQUAL(unlink(p), 0);
	free(p);

	/* Young leftovers may belong to an enqueue in progress. */
	CU_ASSERT_EQUAL(queue_recover(q, QUEUE_STALE_AGE, &r, &err), 0);
	CU_ASSERT_EQUAL(r.tmp_removed, 0);
	CU_ASSERT_EQUAL(r.orphans_removed, 0);
	CU_ASSERT_EQUAL(r.broken, 1);
	CU_ASSERT(present(dir, "msg", "ORPHAN"));
	CU_ASSERT_EQUAL(count(dir, "tmp"), 1);
	CU_ASSERT(present(dir, "failed", gone));
	e = queue_load(q, gone, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(queue_env_error(e), "body is missing"));
	queue_env_free(e);

	CU_ASSERT(present(dir, "env", ".123.M1P1Q1.host.tmp"));
	CU_ASSERT_EQUAL(queue_recover(q, 0, &r, &err), 0);
	CU_ASSERT_EQUAL(r.tmp_removed, 2);
	CU_ASSERT(!present(dir, "env", ".123.M1P1Q1.host.tmp"));
	CU_ASSERT(present(dir, "env", id));
	CU_ASSERT_EQUAL(r.orphans_removed, 1);
	CU_ASSERT_EQUAL(r.broken, 0);
	CU_ASSERT(!present(dir, "msg", "ORPHAN"));
	CU_ASSERT_EQUAL(count(dir, "tmp"), 0);
	/* A real message is never an orphan, however old; nor is the body of
	 * a held one. */
	CU_ASSERT(present(dir, "msg", id));
	CU_ASSERT_EQUAL(queue_hold(q, id, &err), 0);
	CU_ASSERT_EQUAL(queue_recover(q, 0, &r, &err), 0);
	CU_ASSERT(present(dir, "msg", id));
	CU_ASSERT(present(dir, "hold", id));
	/* Nor the body of a failed one, among many queued ones. */
	{
		char *many[40], *failed = add(q, "d@example.test", NULL);
		size_t i;

		for (i = 0; i < 40; i++)
			many[i] = add(q, "e@example.test", NULL);
		e = queue_load(q, failed, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_EQUAL(queue_fail(q, e, "test", &err), 0);
		queue_env_free(e);
		CU_ASSERT_EQUAL(queue_recover(q, 0, &r, &err), 0);
		CU_ASSERT_EQUAL(r.orphans_removed, 0);
		CU_ASSERT_EQUAL(r.broken, 0);
		CU_ASSERT(present(dir, "msg", failed));
		for (i = 0; i < 40; i++) {
			CU_ASSERT(present(dir, "msg", many[i]) && present(dir, "env", many[i]));
			free(many[i]);
		}
		free(failed);
	}
	free(id);
	free(gone);
	queue_close(q);
}

/* queue_done_nosync: out of the queue at once (into done/), body and
 * record removed after queue_sync; held messages too; unknown ids refused. */
static void test_done_sync(void)
{
	struct err err = ERR_INIT;
	struct queue_env **list, *e;
	struct queue *q;
	const char *dir;
	char *a, *b;
	size_t n;

	q = fresh_queue(&dir);
	a = add(q, "b@example.test", NULL);
	b = add(q, "c@example.test", NULL);
	CU_ASSERT_EQUAL(queue_pending(q), 0);
	CU_ASSERT_EQUAL(queue_done_nosync(q, a, &err), 0);
	CU_ASSERT_EQUAL(queue_pending(q), 1);
	CU_ASSERT(!present(dir, "env", a));
	CU_ASSERT(present(dir, "done", a));
	CU_ASSERT(present(dir, "msg", a));
	/* Gone for everyone else already. */
	e = queue_load(q, a, &err);
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	err_clear(&err);
	CU_ASSERT_EQUAL(queue_list(q, &list, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	queue_list_free(list, n);
	CU_ASSERT_EQUAL(queue_done_nosync(q, a, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	err_clear(&err);
	CU_ASSERT_EQUAL(queue_done_nosync(q, "../x", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	err_clear(&err);
	/* Held by an admin while it was being sent: still taken out. */
	CU_ASSERT_EQUAL(queue_hold(q, b, &err), 0);
	CU_ASSERT_EQUAL(queue_done_nosync(q, b, &err), 0);
	CU_ASSERT(!present(dir, "hold", b));
	CU_ASSERT_EQUAL(queue_sync(q, &err), 0);
	CU_ASSERT_EQUAL(queue_pending(q), 0);
	queue_reap_wait(q);
	CU_ASSERT_EQUAL(count(dir, "done"), 0);
	CU_ASSERT_EQUAL(count(dir, "msg"), 0);
	CU_ASSERT_EQUAL(count(dir, "env"), 0);
	/* Nothing pending: a no-op. */
	CU_ASSERT_EQUAL(queue_sync(q, &err), 0);
	free(a);
	free(b);
	/* queue_close syncs what is pending. */
	a = add(q, "d@example.test", NULL);
	CU_ASSERT_EQUAL(queue_done_nosync(q, a, &err), 0);
	b = xstrdup(dir);   /* dir is the queue's */
	queue_close(q);
	CU_ASSERT(!present(b, "done", a) && !present(b, "msg", a));
	free(a);
	free(b);
}

/* What a killed flusher left in done/ is removed by the next flusher's
 * recovery, not by a sweep that does not hold the flush lock. */
static void test_recover_done(void)
{
	struct err err = ERR_INIT;
	struct queue_recovery r;
	struct queue *q;
	const char *dir;
	char *id, *p;

	q = fresh_queue(&dir);
	id = add(q, "b@example.test", NULL);
	p = qpath(dir, "env", id);
	{
		char *d = qpath(dir, "done", id);

		CU_ASSERT_EQUAL(rename(p, d), 0);
		free(d);
	}
	free(p);
	CU_ASSERT_EQUAL(queue_recover(q, QUEUE_STALE_AGE, &r, &err), 0);
	CU_ASSERT_EQUAL(r.done_removed, 0);
	CU_ASSERT(present(dir, "done", id));
	CU_ASSERT_EQUAL(queue_lock_flush(q, &err), 0);
	CU_ASSERT_EQUAL(queue_recover(q, QUEUE_STALE_AGE, &r, &err), 0);
	CU_ASSERT_EQUAL(r.done_removed, 1);
	CU_ASSERT_EQUAL(r.broken, 0);
	CU_ASSERT(!present(dir, "done", id));
	CU_ASSERT(!present(dir, "msg", id));
	free(id);
	queue_close(q);
}

static void test_flush_lock(void)
{
	struct err err = ERR_INIT;
	struct queue *q, *q2;
	const char *dir;

	q = fresh_queue(&dir);
	q2 = queue_open(dir, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q2);
	CU_ASSERT_EQUAL(queue_lock_flush(q, &err), 0);
	CU_ASSERT_EQUAL(queue_lock_flush(q2, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT_EQUAL(err.errnum, EWOULDBLOCK);
	queue_unlock_flush(q);
	err_clear(&err);
	CU_ASSERT_EQUAL(queue_lock_flush(q2, &err), 0);
	/* Closing drops it. */
	queue_close(q2);
	CU_ASSERT_EQUAL(queue_lock_flush(q, &err), 0);
	queue_close(q);
}

static void test_open_fails(void)
{
	struct err err = ERR_INIT;
	char *file = xasprintf("%s/file", tutil_tmpdir()), *under;

	CU_ASSERT_EQUAL(tutil_write(file, "x", 1), 0);
	under = xasprintf("%s/queue", file);
	CU_ASSERT_PTR_NULL(queue_open(under, &err));
	CU_ASSERT_EQUAL(err.code, EX_CANTCREAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot open queue"));
	free(under);
	free(file);
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_queue(void)
{
	CU_pSuite s = CU_add_suite("queue", NULL, cleanup);

	CU_add_test(s, "envelope round trip", test_env_round_trip);
	CU_add_test(s, "envelope setters refuse bad values", test_env_setters_refuse);
	CU_add_test(s, "envelope parse errors name file and line", test_env_parse_errors);
	CU_add_test(s, "envelope unknown keys ignored", test_env_unknown_keys);
	CU_add_test(s, "add, load, save, remove", test_add_and_load);
	CU_add_test(s, "add refuses and leaves nothing", test_add_refuses);
	CU_add_test(s, "hold and release", test_hold_release);
	CU_add_test(s, "fail and retry", test_fail_and_retry);
	CU_add_test(s, "list", test_list);
	CU_add_test(s, "recovery sweep", test_recover);
	CU_add_test(s, "flush lock", test_flush_lock);
	CU_add_test(s, "done without sync, then sync", test_done_sync);
	CU_add_test(s, "recovery of done/", test_recover_done);
	CU_add_test(s, "open fails cleanly", test_open_fails);
}
