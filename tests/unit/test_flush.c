/* The decisions of a flush pass (flush.h) over a fake relay: no server,
 * the outcome of every recipient scripted by its local part. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "afile.h"
#include "buf.h"
#include "cfg.h"
#include "flush.h"
#include "queue.h"
#include "suites.h"
#include "track.h"
#include "tutil.h"
#include "xalloc.h"

#define T0 ((time_t)1700000000)
#define MAX_SEEN 64

/* The fake smarthost: "bad..." is refused for good, "later..." for now
 * (taken once `relent` is set), "gone..." for now (for good once `flip`
 * is set), everyone else taken; with
 * `refuse_session` no session opens (as a refused TLS handshake or AUTH;
 * 2: for want of the user's OAuth2 sign-in). */
static struct fake {
	int refuse_session, flip, relent;
	unsigned sends, opens, closes;
	char seen[MAX_SEEN][64];     /* every recipient given to send, in order */
	size_t nseen;
	int dsn_set;                 /* DSN requests given: 1, none: -1 */
	char envid[128], notify[64], ret[16];
} fake;

static void fake_dsn(void *s, const struct relay_dsn *d)
{
	(void)s;
	fake.dsn_set = d ? 1 : -1;
	if (d) {
		snprintf(fake.envid, sizeof(fake.envid), "%s", d->envid ? d->envid : "");
		snprintf(fake.notify, sizeof(fake.notify), "%s", d->notify ? d->notify : "");
		snprintf(fake.ret, sizeof(fake.ret), "%s", d->ret ? d->ret : "");
	}
}

static void *fake_open(const struct cfg_account *a, long timeout, struct err *err)
{
	(void)a;
	(void)timeout;
	(void)err;
	fake.opens++;
	return &fake;
}

static int fake_send(void *s, const char *sender, const char *const *rcpts, size_t n,
		     const char *body, size_t len, struct relay_rcpt *res, int *session_failed_out,
		     struct err *err)
{
	size_t i;

	(void)s;
	(void)sender;
	(void)body;
	(void)len;
	fake.sends++;
	*session_failed_out = 0;
	for (i = 0; i < n; i++) {
		res[i].code = 0;
		res[i].reply[0] = '\0';
	}
	if (fake.refuse_session == 2) {
		*session_failed_out = 1;
		return err_set(err, EX_NOPERM, "t: sign-in needed: run spool auth -A t");
	}
	if (fake.refuse_session) {
		*session_failed_out = 1;
		return err_set(err, EX_NOPERM, "fake: 535 5.7.8 authentication failed");
	}
	for (i = 0; i < n; i++) {
		const char *a = rcpts[i];

		if (fake.nseen < MAX_SEEN)
			snprintf(fake.seen[fake.nseen++], sizeof(fake.seen[0]), "%s", a);
		if (strncmp(a, "bad", 3) == 0 || (fake.flip && strncmp(a, "gone", 4) == 0)) {
			res[i].code = 550;
			snprintf(res[i].reply, sizeof(res[i].reply), "550 5.1.1 <%s>: no such user", a);
		} else if ((!fake.relent && strncmp(a, "later", 5) == 0) || strncmp(a, "gone", 4) == 0) {
			res[i].code = 451;
			snprintf(res[i].reply, sizeof(res[i].reply), "451 4.2.0 <%s>: try later", a);
		} else {
			res[i].code = 250;
			snprintf(res[i].reply, sizeof(res[i].reply), "250 2.0.0 queued");
		}
	}
	return 0;
}

static const char *fake_host(const void *s)
{
	(void)s;
	return "fake:25";
}

static void fake_stats(const void *s, struct relay_stats *out)
{
	(void)s;
	out->connects = fake.opens;
	out->messages = fake.sends;
}

static void fake_close(void *s)
{
	(void)s;
	fake.closes++;
}

static const struct flush_relay_ops fake_ops = { fake_open, fake_send, fake_host, fake_stats,
						 fake_close, fake_dsn };

/* One test's world: a configuration, a queue and the account's Maildir. */
struct world {
	char *dir;
	struct cfg *cfg;
	struct queue *q;
};

/* The runner's record and journal places, put back after each world. */
static char *saved_track, *saved_events;

static void world_open(struct world *w)
{
	struct err err = ERR_INIT;
	char *path, *text;

	memset(&fake, 0, sizeof(fake));
	w->dir = xstrdup(tutil_tmpdir());
	/* Each test's delivery records and journal of its own. */
	if (!saved_track) {
		saved_track = xstrdup(getenv("SUREL_TRACK") ? getenv("SUREL_TRACK") : "");
		saved_events = xstrdup(getenv("SUREL_EVENTS") ? getenv("SUREL_EVENTS") : "");
	}
	path = xasprintf("%s/track", w->dir);
	setenv("SUREL_TRACK", path, 1);
	free(path);
	path = xasprintf("%s/events.jsonl", w->dir);
	setenv("SUREL_EVENTS", path, 1);
	free(path);
	path = xasprintf("%s/config", w->dir);
	text = xasprintf("[general]\ndefault_account = t\nretry_schedule = 1m,5m,1h\nexpire = 1d\n"
			 "[account t]\naddress = me@example.test\nmaildir = %s/Mail\n"
			 "smtp = smtp://smarthost.invalid\nlocal_domains = here.test\n"
			 "[account o]\naddress = other@here.test\nmaildir = %s/Other\n",
			 w->dir, w->dir);
	CU_ASSERT_FATAL(tutil_write(path, text, strlen(text)) == 0);
	w->cfg = cfg_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->cfg);
	free(path);
	free(text);
	path = xasprintf("%s/queue", w->dir);
	w->q = queue_open(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->q);
	free(path);
}

static void world_close(struct world *w)
{
	setenv("SUREL_TRACK", saved_track, 1);
	setenv("SUREL_EVENTS", saved_events, 1);
	queue_close(w->q);
	cfg_free(w->cfg);
	free(w->dir);
	tutil_rmtree();
}

/* Queue a message from me@example.test to the NULL-ended rcpts, created
 * at t; returns its id (caller frees). */
static char *add(struct world *w, time_t t, const char *subject, const char *const *rcpts)
{
	struct queue_env *e = queue_env_new();
	struct err err = ERR_INIT;
	char *body = xasprintf("From: me@example.test\nSubject: %s\n\nhello\n", subject), *id = NULL;
	size_t i;

	CU_ASSERT(queue_env_set_sender(e, "me@example.test", &err) == 0);
	CU_ASSERT(queue_env_set_account(e, "t", &err) == 0);
	for (i = 0; rcpts[i]; i++)
		CU_ASSERT(queue_env_add_rcpt(e, rcpts[i], &err) == 0);
	queue_env_set_created(e, t);
	queue_env_set_next_attempt(e, t);
	CU_ASSERT(queue_add(w->q, body, strlen(body), e, &id, &err) == 0);
	queue_env_free(e);
	free(body);
	return id;
}

static void run(struct world *w, time_t now, struct flush_stats *st)
{
	struct flush_opts o;
	struct err err = ERR_INIT;

	memset(&o, 0, sizeof(o));
	o.relay = &fake_ops;
	CU_ASSERT(flush_run(w->q, w->cfg, &o, now, st, &err) == 0);
	queue_reap_wait(w->q);
}

/* Entries in a directory under the world ("queue/env", "Mail/INBOX/new"). */
static int count(const struct world *w, const char *sub)
{
	char *p = xasprintf("%s/%s", w->dir, sub);
	int n = tutil_count_entries(p);

	free(p);
	return n < 0 ? 0 : n;
}

/* The bounces in the INBOX, all of them concatenated. */
static char *bounces(const struct world *w)
{
	char *dir = xasprintf("%s/Mail/INBOX/new", w->dir), *p;
	struct buf b = BUF_INIT;
	struct dirent *de;
	DIR *d = opendir(dir);
	char chunk[4096];
	size_t n;
	FILE *f;

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		f = fopen(p, "rb");
		while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
		if (f)
			fclose(f);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	buf_putc(&b, '\0');
	return buf_detach(&b, NULL);
}

static struct queue_env *load(struct world *w, const char *id)
{
	struct err err = ERR_INIT;
	struct queue_env *e = queue_load(w->q, id, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	return e;
}

static size_t times_seen(const char *addr)
{
	size_t i, n = 0;

	for (i = 0; i < fake.nseen; i++)
		n += strcmp(fake.seen[i], addr) == 0;
	return n;
}

/* Every recipient taken: out of the queue, a Sent copy, no bounce; local
 * recipients never go to the relay. */
static void test_all_sent(void)
{
	static const char *const rcpts[] = { "a@example.test", "b@example.test", "root@here.test",
					     NULL };
	struct world w;
	struct flush_stats st;
	char *id;

	world_open(&w);
	id = add(&w, T0, "all sent", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(st.messages, 1);
	CU_ASSERT_EQUAL(st.sent, 2);
	CU_ASSERT_EQUAL(st.local, 1);
	CU_ASSERT_EQUAL(st.done, 1);
	CU_ASSERT_EQUAL(st.next_due, 0);
	CU_ASSERT_EQUAL(fake.sends, 1);
	CU_ASSERT_EQUAL(fake.nseen, 2);
	CU_ASSERT_EQUAL(times_seen("root@here.test"), 0);
	CU_ASSERT_EQUAL(count(&w, "queue/env"), 0);
	CU_ASSERT_EQUAL(count(&w, "queue/msg"), 0);
	CU_ASSERT_EQUAL(count(&w, "Mail/Sent/cur") + count(&w, "Mail/Sent/new"), 1);
	/* The local recipient's copy, and nothing else. */
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	CU_ASSERT_EQUAL(fake.closes, 1);
	free(id);
	world_close(&w);
}

/* Local mail to another of the user's accounts gets a Sent copy in the
 * sending account, as relayed mail does; local mail to anyone else (cron
 * to root) does not. */
static void test_local_sent_copy(void)
{
	static const char *const to_other[] = { "other@here.test", NULL };
	static const char *const to_root[] = { "root@here.test", NULL };
	struct world w;
	struct flush_stats st;
	char *id;

	world_open(&w);
	id = add(&w, T0, "to the other account", to_other);
	free(id);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(st.local, 1);
	CU_ASSERT_EQUAL(fake.sends, 0);
	CU_ASSERT_EQUAL(count(&w, "Other/INBOX/new"), 1);
	CU_ASSERT_EQUAL(count(&w, "Mail/Sent/cur") + count(&w, "Mail/Sent/new"), 1);
	id = add(&w, T0, "to root", to_root);
	free(id);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	CU_ASSERT_EQUAL(count(&w, "Mail/Sent/cur") + count(&w, "Mail/Sent/new"), 1);
	CU_ASSERT_EQUAL(count(&w, "queue/env"), 0);
	world_close(&w);
}

/* 4xx: deferred on the retry schedule (1m, 5m, 1h, then 1h again); not
 * tried before it is due; sent when the server takes it. */
static void test_deferred_schedule(void)
{
	static const char *const rcpts[] = { "later@example.test", NULL };
	static const long want[] = { 60, 300, 3600, 3600 };
	struct world w;
	struct flush_stats st;
	struct queue_env *e;
	time_t now = T0;
	char *id;
	size_t i;

	world_open(&w);
	id = add(&w, T0, "deferred", rcpts);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		run(&w, now, &st);
		CU_ASSERT_EQUAL(st.deferred, 1);
		CU_ASSERT_EQUAL(st.next_due, now + want[i]);
		e = load(&w, id);
		CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_QUEUED);
		CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 0), QUEUE_RCPT_DEFERRED);
		CU_ASSERT_STRING_EQUAL(queue_env_rcpt_reply(e, 0), "451 4.2.0 <later@example.test>: try later");
		CU_ASSERT_EQUAL(queue_env_attempts(e), i + 1);
		CU_ASSERT_EQUAL(queue_env_next_attempt(e), now + want[i]);
		queue_env_free(e);
		/* Not due yet: untouched. */
		run(&w, now + want[i] - 1, &st);
		CU_ASSERT_EQUAL(st.messages, 0);
		CU_ASSERT_EQUAL(st.next_due, now + want[i]);
		CU_ASSERT_EQUAL(fake.sends, i + 1);
		now += want[i];
	}
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 0);
	free(id);
	world_close(&w);
}

/* A refused session defers every message of that smarthost in the pass,
 * trying only the first. */
static void test_session_refused(void)
{
	static const char *const rcpts[] = { "a@example.test", NULL };
	struct world w;
	struct flush_stats st;
	struct queue_env *e;
	char *id1, *id2;

	world_open(&w);
	fake.refuse_session = 1;
	id1 = add(&w, T0, "one", rcpts);
	id2 = add(&w, T0 + 1, "two", rcpts);
	run(&w, T0 + 2, &st);
	CU_ASSERT_EQUAL(fake.sends, 1);
	CU_ASSERT_EQUAL(st.sessions_failed, 1);
	CU_ASSERT_EQUAL(st.deferred, 2);
	e = load(&w, id2);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 0), QUEUE_RCPT_DEFERRED);
	CU_ASSERT_PTR_NOT_NULL(strstr(queue_env_error(e), "535 5.7.8"));
	queue_env_free(e);
	CU_ASSERT_EQUAL(count(&w, "queue/env"), 2);
	free(id1);
	free(id2);
	world_close(&w);
}

/* 5xx for one, 2xx for the other: the message moves to failed/ with one
 * report naming only the bounced recipient. */
static void test_bounced(void)
{
	static const char *const rcpts[] = { "bad@example.test", "a@example.test", NULL };
	struct world w;
	struct flush_stats st;
	struct queue_env *e;
	char *id, *b;

	world_open(&w);
	id = add(&w, T0, "bounced", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(st.bounced, 1);
	CU_ASSERT_EQUAL(st.sent, 1);
	CU_ASSERT_EQUAL(st.done, 1);
	e = load(&w, id);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_FAILED);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 0), QUEUE_RCPT_BOUNCED);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 1), QUEUE_RCPT_SENT);
	queue_env_free(e);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	b = bounces(&w);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Final-Recipient: rfc822; bad@example.test\nAction: failed\n"
				      "Status: 5.1.1\n"));
	CU_ASSERT_PTR_NULL(strstr(b, "Final-Recipient: rfc822; a@example.test"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Subject: bounced"));
	free(b);
	free(id);
	world_close(&w);
}

/* One bounces while another is deferred: the sender hears at once (the
 * waiting one listed as delayed), the bounced one is marked notified and
 * neither tried nor reported again; when the other bounces later, the
 * second report names only it. */
static void test_early_bounce(void)
{
	static const char *const rcpts[] = { "bad@example.test", "gone@example.test", NULL };
	struct world w;
	struct flush_stats st;
	struct queue_env *e;
	char *id, *b;

	world_open(&w);
	id = add(&w, T0, "early", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(st.bounced, 1);
	CU_ASSERT_EQUAL(st.deferred, 1);
	CU_ASSERT_EQUAL(st.done, 0);
	e = load(&w, id);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_QUEUED);
	CU_ASSERT(queue_env_rcpt_notified(e, 0));
	CU_ASSERT(!queue_env_rcpt_notified(e, 1));
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 1), QUEUE_RCPT_DEFERRED);
	queue_env_free(e);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	b = bounces(&w);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Final-Recipient: rfc822; bad@example.test\nAction: failed\n"
				      "Status: 5.1.1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Final-Recipient: rfc822; gone@example.test\nAction: delayed\n"
				      "Status: 4.2.0\n"));
	free(b);

	/* The next try: the deferred one bounces too. */
	fake.flip = 1;
	run(&w, T0 + 60, &st);
	CU_ASSERT_EQUAL(st.messages, 1);
	CU_ASSERT_EQUAL(times_seen("bad@example.test"), 1);
	CU_ASSERT_EQUAL(times_seen("gone@example.test"), 2);
	e = load(&w, id);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_FAILED);
	queue_env_free(e);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 2);
	b = bounces(&w);
	/* bad@ in the first report only, gone@ failed in the second only. */
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Final-Recipient: rfc822; gone@example.test\nAction: failed\n"));
	CU_ASSERT_PTR_NULL(strstr(strstr(b, "Final-Recipient: rfc822; bad@example.test") + 1,
				  "Final-Recipient: rfc822; bad@example.test"));
	free(b);
	free(id);
	world_close(&w);
}

/* An early bounce, then the deferred one is taken: to failed/ without a
 * second report, and with the Sent copy of what went out. */
static void test_early_bounce_then_sent(void)
{
	static const char *const rcpts[] = { "bad@example.test", "later@example.test", NULL };
	struct world w;
	struct flush_stats st;
	struct queue_env *e;
	char *id;

	world_open(&w);
	id = add(&w, T0, "early then sent", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	fake.relent = 1;
	run(&w, T0 + 59, &st);
	CU_ASSERT_EQUAL(st.messages, 0);
	run(&w, T0 + 60, &st);
	CU_ASSERT_EQUAL(st.messages, 1);
	CU_ASSERT_EQUAL(st.sent, 1);
	CU_ASSERT_EQUAL(st.done, 1);
	CU_ASSERT_EQUAL(times_seen("bad@example.test"), 1);
	CU_ASSERT_EQUAL(times_seen("later@example.test"), 2);
	e = load(&w, id);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_FAILED);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 1), QUEUE_RCPT_SENT);
	queue_env_free(e);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	CU_ASSERT_EQUAL(count(&w, "Mail/Sent/cur") + count(&w, "Mail/Sent/new"), 1);
	free(id);
	world_close(&w);
}

/* Older than expire: the waiting recipients bounce without a try, with
 * the expiry status; sent ones stay out of the report. */
static void test_expired(void)
{
	static const char *const rcpts[] = { "a@example.test", "later@example.test", NULL };
	static const char *const young[] = { "a@example.test", NULL };
	struct world w;
	struct flush_stats st;
	struct queue_env *e;
	static const char *const never[] = { "never@example.test", NULL };
	char *id, *id2, *id3, *b;

	world_open(&w);
	id = add(&w, T0, "expiring", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(st.sent, 1);
	CU_ASSERT_EQUAL(st.deferred, 1);
	/* A day later (expire = 1d) it is due and too old, and so is one
	 * that was never tried. */
	id2 = add(&w, T0 + 86400, "young", young);
	id3 = add(&w, T0, "never tried", never);
	fake.sends = 0;
	run(&w, T0 + 86400, &st);
	CU_ASSERT_EQUAL(st.messages, 3);
	CU_ASSERT_EQUAL(st.bounced, 2);
	CU_ASSERT_EQUAL(st.sent, 1);
	CU_ASSERT_EQUAL(fake.sends, 1);     /* only the young message */
	CU_ASSERT_EQUAL(times_seen("later@example.test"), 1);
	e = load(&w, id);
	CU_ASSERT_EQUAL(queue_env_state(e), QUEUE_ST_FAILED);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 0), QUEUE_RCPT_SENT);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 1), QUEUE_RCPT_BOUNCED);
	CU_ASSERT_PTR_NOT_NULL(strstr(queue_env_error(e), "expired"));
	queue_env_free(e);
	b = bounces(&w);
	/* The last transient status says more than 4.4.7 where there is one. */
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Final-Recipient: rfc822; later@example.test\nAction: failed\n"
				      "Status: 4.2.0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "Final-Recipient: rfc822; never@example.test\nAction: failed\n"
				      "Status: 4.4.7\n"));
	CU_ASSERT_EQUAL(times_seen("never@example.test"), 0);
	CU_ASSERT_PTR_NULL(strstr(b, "Final-Recipient: rfc822; a@example.test"));
	free(b);
	free(id);
	free(id2);
	free(id3);
	world_close(&w);
}

/* Mail that waits for the user's OAuth2 sign-in is not bounced when it
 * grows older than expire; once signed in, it goes out. */
static void test_signin_never_expires(void)
{
	static const char *const rcpts[] = { "a@example.test", NULL };
	struct world w;
	struct flush_stats st;
	struct queue_env *e;
	char *id;

	world_open(&w);
	fake.refuse_session = 2;
	id = add(&w, T0, "waiting", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(st.deferred, 1);
	run(&w, T0 + 3 * 86400, &st);
	CU_ASSERT_EQUAL(st.bounced, 0);
	e = load(&w, id);
	CU_ASSERT_EQUAL(queue_env_rcpt_status(e, 0), QUEUE_RCPT_DEFERRED);
	CU_ASSERT_PTR_NOT_NULL(strstr(queue_env_error(e), "sign-in needed"));
	queue_env_free(e);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 0);
	fake.refuse_session = 0;
	run(&w, T0 + 4 * 86400, &st);
	CU_ASSERT_EQUAL(st.sent, 1);
	CU_ASSERT_EQUAL(st.bounced, 0);
	CU_ASSERT_EQUAL(count(&w, "queue/env"), 0);
	free(id);
	world_close(&w);
}

/* The state of id's record and of its recipient addr ("" for none). */
static void record_states(const char *id, const char *addr, char *msg_st, char *rcpt_st,
			  char *reply)
{
	struct err err = ERR_INIT;
	json_t *rec = track_load(id, &err), *r;
	size_t i;

	msg_st[0] = rcpt_st[0] = reply[0] = '\0';
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	strcpy(msg_st, json_string_value(json_object_get(rec, "state")));
	json_array_foreach(json_object_get(rec, "recipients"), i, r) {
		if (strcmp(json_string_value(json_object_get(r, "address")), addr) != 0)
			continue;
		strcpy(rcpt_st, json_string_value(json_object_get(r, "state")));
		if (json_string_value(json_object_get(r, "reply")))
			snprintf(reply, 128, "%s", json_string_value(json_object_get(r, "reply")));
	}
	json_decref(rec);
}

/* DSN requests go with every message (ENVID = the queue id by default);
 * the outcomes land in the delivery record and the journal. */
static void test_dsn_and_record(void)
{
	static const char *const rcpts[] = { "a@example.test", "bad@example.test", NULL };
	struct world w;
	struct flush_stats st;
	char msg_st[32], rcpt_st[32], reply[128], *id, *journal, *path;
	size_t len;
	struct err err = ERR_INIT;

	world_open(&w);
	id = add(&w, T0, "tracked", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(fake.dsn_set, 1);
	CU_ASSERT_STRING_EQUAL(fake.envid, id);
	CU_ASSERT_STRING_EQUAL(fake.notify, "FAILURE,DELAY");
	CU_ASSERT_STRING_EQUAL(fake.ret, "HDRS");
	record_states(id, "a@example.test", msg_st, rcpt_st, reply);
	CU_ASSERT_STRING_EQUAL(msg_st, "bounced");
	CU_ASSERT_STRING_EQUAL(rcpt_st, "accepted");
	CU_ASSERT_STRING_EQUAL(reply, "250 2.0.0 queued");
	record_states(id, "bad@example.test", msg_st, rcpt_st, reply);
	CU_ASSERT_STRING_EQUAL(rcpt_st, "bounced");
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "550 5.1.1"));
	path = xasprintf("%s/events.jsonl", w.dir);
	CU_ASSERT_FATAL(afile_read(path, 0, &journal, &len, &err) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(journal, "\"type\":\"sent\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(journal, "\"type\":\"bounced\""));
	free(journal);
	free(path);
	free(id);
	world_close(&w);
}

/* The envelope of id as a crash would leave it: key "from" replaced by
 * line "to" (both whole lines). */
static void env_edit(const struct world *w, const char *id, const char *from, const char *to)
{
	struct err err = ERR_INIT;
	char *path = xasprintf("%s/queue/env/%s", w->dir, id), *text = NULL, *at, *edited;
	size_t len;

	CU_ASSERT_FATAL(afile_read(path, 0, &text, &len, &err) == 0);
	at = strstr(text, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	edited = xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	CU_ASSERT(afile_write(path, edited, strlen(edited), 0600, &err) == 0);
	free(edited);
	free(text);
	free(path);
}

/* A crash between the steps of the delay warning neither repeats nor
 * loses it: killed after the report was stored (the envelope still says
 * pending), and killed before (pending, nothing stored). */
static void test_delay_warning_crash(void)
{
	static const char *const rcpts[] = { "later@example.test", NULL };
	struct world w;
	struct flush_stats st;
	char *id, *id2;

	world_open(&w);
	id = add(&w, T0, "slow", rcpts);
	run(&w, T0 + 5 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	env_edit(&w, id, "delay_warned 1\n", "delay_pending 1\n");
	run(&w, T0 + 6 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	run(&w, T0 + 7 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);

	id2 = add(&w, T0, "slower", rcpts);
	env_edit(&w, id2, "created ", "delay_pending 1\ncreated ");
	run(&w, T0 + 8 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 2);
	run(&w, T0 + 9 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 2);
	free(id);
	free(id2);
	world_close(&w);
}

/* A message deferred past delay_warning (4h by default) gets one delay
 * report in the sender's INBOX, never a second. */
static void test_delay_warning(void)
{
	static const char *const rcpts[] = { "later@example.test", NULL };
	struct world w;
	struct flush_stats st;
	char msg_st[32], rcpt_st[32], reply[128], *id, *all;

	world_open(&w);
	id = add(&w, T0, "slow", rcpts);
	run(&w, T0, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 0);
	run(&w, T0 + 3 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 0);
	run(&w, T0 + 5 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	run(&w, T0 + 7 * 3600, &st);
	CU_ASSERT_EQUAL(count(&w, "Mail/INBOX/new"), 1);
	all = bounces(&w);
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "Action: delayed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(all, "Subject: Delayed Mail"));
	CU_ASSERT_PTR_NULL(strstr(all, "Action: failed"));
	record_states(id, "later@example.test", msg_st, rcpt_st, reply);
	CU_ASSERT_STRING_EQUAL(msg_st, "delayed");
	/* Then it goes through: accepted. */
	fake.relent = 1;
	run(&w, T0 + 9 * 3600, &st);
	record_states(id, "later@example.test", msg_st, rcpt_st, reply);
	CU_ASSERT_STRING_EQUAL(rcpt_st, "accepted");
	CU_ASSERT_STRING_EQUAL(msg_st, "accepted");
	free(all);
	free(id);
	world_close(&w);
}

void suite_flush(void)
{
	CU_pSuite s = CU_add_suite("flush", NULL, NULL);

	CU_add_test(s, "all sent: out of the queue, Sent copy, local not relayed", test_all_sent);
	CU_add_test(s, "local mail to another account: Sent copy", test_local_sent_copy);
	CU_add_test(s, "deferred: retry schedule, not tried before due", test_deferred_schedule);
	CU_add_test(s, "refused session: the rest deferred untried", test_session_refused);
	CU_add_test(s, "bounced: failed/, one report of the bounced only", test_bounced);
	CU_add_test(s, "early bounce: delayed listed, notified, never twice", test_early_bounce);
	CU_add_test(s, "early bounce, then sent: failed/, no second report", test_early_bounce_then_sent);
	CU_add_test(s, "expired: waiting recipients bounce untried", test_expired);
	CU_add_test(s, "waiting for sign-in: never expires", test_signin_never_expires);
	CU_add_test(s, "DSN requests; outcomes in the record and journal", test_dsn_and_record);
	CU_add_test(s, "delay warning: once, Action: delayed", test_delay_warning);
	CU_add_test(s, "delay warning: once across a crash at either step", test_delay_warning_crash);
}
