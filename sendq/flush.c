#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "batch.h"
#include "bounce.h"
#include "buf.h"
#include "codec.h"
#include "flush.h"
#include "idxhint.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "oauth2.h"
#include "path.h"
#include "relay.h"
#include "track.h"
#include "worker.h"
#include "xalloc.h"

/* Messages finished between two durability points (see flush.h). */
#define FLUSH_SYNC_EVERY 64
/* Sent messages the finisher may be behind by: bounds what a kill -9
 * sends again (flush.h). */
#define FLUSH_BACKLOG 16
/* delay_warning's default, Postfix's delay_warning_time's. */
#define FLUSH_DELAY_WARNING (4L * 60 * 60)

/* relay.h behind flush_relay_ops. */
static void *ops_open(const struct cfg_account *a, long timeout, struct err *err)
{
	return relay_new(a, timeout, err);
}

static int ops_send(void *s, const char *sender, const char *const *rcpts, size_t n,
		    const char *body, size_t len, struct relay_rcpt *res, int *session_failed_out,
		    struct err *err)
{
	return relay_send(s, sender, rcpts, n, body, len, res, session_failed_out, err);
}

static const char *ops_host(const void *s)
{
	return relay_host(s);
}

static void ops_stats(const void *s, struct relay_stats *out)
{
	relay_get_stats(s, out);
}

static void ops_close(void *s)
{
	relay_free(s);
}

static void ops_dsn(void *s, const struct relay_dsn *d)
{
	relay_set_dsn(s, d);
}

static const struct flush_relay_ops relay_ops = { ops_open, ops_send, ops_host, ops_stats,
						  ops_close, ops_dsn };

/* What the pass keeps per account for SMTP. */
struct session {
	const struct cfg_account *acct;
	void *relay;                /* NULL until first needed */
	int failed;                 /* refused: defer the rest without trying */
	char why[256];
};

/* An account's Sent folder, used by whoever finishes sent messages. */
struct sentbox {
	const struct cfg_account *acct;
	struct batch *sent;         /* Sent copies since the last durability point */
	char *dir;                  /* NULL until first needed */
	char why[256];              /* why there is no Sent folder, "" when there is */
};

/* A message every recipient got, handed to the finisher; body is owned. */
struct sent_msg {
	struct queue_env *e;
	const struct cfg_account *acct;
	char *body;
	size_t len;
	int copy;
};

/* The finisher thread (flush.h, a worker.h worker): sent messages wait in
 * ring[] in order, under the worker's lock.  Only the finisher touches the
 * Sent boxes, the queue's removal list and `unsynced` while it runs; the
 * pass itself does so only once the ring is drained (finisher_drain()),
 * when the thread sleeps. */
struct finisher {
	struct worker *w;           /* NULL: not started, or (tried) work inline */
	int tried;
	struct sent_msg ring[FLUSH_BACKLOG];
	size_t head, count;
	struct sent_msg cur;        /* the message being finished */
};

struct run {
	struct queue *q;
	const struct cfg *cfg;
	const struct flush_opts *o;
	const struct flush_relay_ops *ops;
	time_t now;
	struct flush_stats *st;
	struct session *sessions;
	size_t nsessions;
	struct sentbox *boxes;
	size_t nboxes;
	size_t unsynced;            /* finished since the last durability point */
	struct finisher fin;
	long expire;
	long delay_warning;         /* 0: no delay warnings */
	char host[256];
};

/* A due message and its place in queue_list order (the tie-break that
 * keeps each account's mail oldest first). */
struct due {
	struct queue_env *e;
	const char *account;
	size_t order;
};

static int due_cmp(const void *a, const void *b)
{
	const struct due *x = a, *y = b;
	int c = strcmp(x->account, y->account);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void note_due(struct run *r, time_t t)
{
	if (r->st->next_due == 0 || t < r->st->next_due)
		r->st->next_due = t;
}

/* Server and error text for a log line: one line, terminal-safe. */
static void log_rcpt(const char *id, const char *addr, const char *via, const char *what,
		     const char *reply)
{
	struct buf b = BUF_INIT;

	/* Not shown: skip the sanitising and the formatting. */
	if (log_get_level() < LOG_LVL_INFO)
		return;
	if (reply && reply[0])
		codec_sanitize(reply, strlen(reply), 0, &b);
	log_info("%s: to=<%s> via %s: %s%s%s", id, addr, via, what, b.len ? ": " : "", b.data);
	buf_release(&b);
}

/* ---- where mail goes locally ------------------------------------------- */

static int in_local_domains(const struct cfg_account *a, const char *addr)
{
	const char *list = cfg_get(a, "local_domains"), *dom = strrchr(addr, '@'), *p;
	size_t dlen, n;

	if (!list || !dom)
		return 0;
	dom++;
	dlen = strlen(dom);
	for (p = list; *p;) {
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n == dlen && n > 0 && strncasecmp(p, dom, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* Deliver data into folder of account a, creating the folder if needed. */
static int store(const struct cfg_account *a, const char *folder, const char *data, size_t len,
		 const char *flags, struct err *err)
{
	char *dir = maildir_folder_path(cfg_get(a, "maildir"), folder);
	int rc = 0;

	if (!maildir_is(dir))
		rc = maildir_create(dir, err);
	if (rc == 0)
		rc = maildir_deliver(dir, data, len, flags, NULL, err);
	if (rc == 0)
		idxhint_note(a);
	free(dir);
	return rc;
}

/* The account whose INBOX gets mail for addr: the one with that address,
 * else the default one. */
static const struct cfg_account *inbox_owner(const struct run *r, const char *addr)
{
	const struct cfg_account *a = cfg_account_for_address(r->cfg, addr);
	struct err err = ERR_INIT;

	return a ? a : cfg_account_find(r->cfg, NULL, &err);
}

/* Local delivery of one recipient, with the envelope in Return-Path and
 * Delivered-To (RFC 5321 4.4; Delivered-To as qmail and Postfix add it,
 * so loops can be seen). */
static int deliver_local(struct run *r, const struct queue_env *e, const char *addr,
			 const char *body, size_t len, struct err *err)
{
	const struct cfg_account *a = inbox_owner(r, addr);
	struct buf m = BUF_INIT;
	int rc;

	if (!a)
		return err_set(err, EX_CONFIG, "no account to deliver '%s' to", addr);
	buf_printf(&m, "Return-Path: <%s>\nDelivered-To: %s\n", queue_env_sender(e), addr);
	buf_append(&m, body, len);
	rc = store(a, "INBOX", m.data, m.len, NULL, err);
	buf_release(&m);
	return rc;
}

/* ---- smarthost sessions ---------------------------------------------- */

static struct session *session_for(struct run *r, const struct cfg_account *a)
{
	struct session *s;
	size_t i;

	for (i = 0; i < r->nsessions; i++)
		if (r->sessions[i].acct == a)
			return &r->sessions[i];
	r->sessions = xreallocarray(r->sessions, r->nsessions + 1, sizeof(*r->sessions));
	s = &r->sessions[r->nsessions++];
	memset(s, 0, sizeof(*s));
	s->acct = a;
	return s;
}

static void session_fail(struct run *r, struct session *s, const char *why)
{
	s->failed = 1;
	snprintf(s->why, sizeof(s->why), "%s", why);
	r->st->sessions_failed++;
}

/* The DSN requests of e for the session (flush.h): -N, else the
 * account's dsn_notify, else the general one, else FAILURE,DELAY; a
 * dsn_notify of never (not -N NEVER, which asks for it) sends none. */
static void set_dsn(struct run *r, struct session *s, const struct queue_env *e,
		    const struct cfg_account *a)
{
	const char *conf = cfg_get(a, "dsn_notify");
	struct relay_dsn d;
	char *notify, *p;

	if (!conf)
		conf = cfg_general(r->cfg, "dsn_notify");
	if (!queue_env_dsn_notify(e) && conf && strcasecmp(conf, "never") == 0) {
		r->ops->dsn(s->relay, NULL);
		return;
	}
	notify = xstrdup(queue_env_dsn_notify(e) ? queue_env_dsn_notify(e) :
			 conf ? conf : "FAILURE,DELAY");
	for (p = notify; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	d.envid = queue_env_envid(e);
	d.ret = queue_env_dsn_ret(e) ? queue_env_dsn_ret(e) : "HDRS";
	d.notify = notify;
	r->ops->dsn(s->relay, &d);
	free(notify);
}

/* Relay the remote recipients idx[0..n) of e. */
static void relay_rcpts(struct run *r, struct queue_env *e, const struct cfg_account *a,
			const size_t *idx, size_t n, const char *body, size_t len)
{
	struct session *s = session_for(r, a);
	struct relay_rcpt *res;
	struct err err = ERR_INIT;
	const char **addrs;
	const char *id = queue_env_id(e), *via;
	int rc, session_failed = 0;
	size_t i;

	if (!s->relay && !s->failed) {
		s->relay = r->ops->open(a, r->o->timeout, &err);
		if (!s->relay)
			session_fail(r, s, err.msg);
	}
	via = s->relay ? r->ops->host(s->relay) : cfg_account_name(a);
	if (s->failed) {
		/* One refused session (host down, bad certificate, AUTH
		 * refused) says enough about this pass: no more timeouts. */
		for (i = 0; i < n; i++) {
			queue_env_set_rcpt(e, idx[i], QUEUE_RCPT_DEFERRED, s->why);
			log_rcpt(id, queue_env_rcpt_addr(e, idx[i]), via, "deferred", s->why);
			r->st->deferred++;
		}
		queue_env_set_error(e, s->why);
		return;
	}
	addrs = xcalloc(n, sizeof(*addrs));
	res = xcalloc(n, sizeof(*res));
	for (i = 0; i < n; i++)
		addrs[i] = queue_env_rcpt_addr(e, idx[i]);
	if (r->ops->dsn)
		set_dsn(r, s, e, a);
	rc = r->ops->send(s->relay, queue_env_sender(e), addrs, n, body, len, res, &session_failed,
			  &err);
	if (rc < 0 && session_failed)
		session_fail(r, s, err.msg);
	queue_env_set_error(e, rc < 0 ? err.msg : NULL);
	for (i = 0; i < n; i++) {
		const char *reply = res[i].code ? res[i].reply : err.msg;

		if (res[i].code >= 200 && res[i].code < 300) {
			queue_env_set_rcpt(e, idx[i], QUEUE_RCPT_SENT, reply);
			log_rcpt(id, addrs[i], via, "sent", reply);
			r->st->sent++;
		} else if (res[i].code >= 500) {
			queue_env_set_rcpt(e, idx[i], QUEUE_RCPT_BOUNCED, reply);
			log_rcpt(id, addrs[i], via, "bounced", reply);
			r->st->bounced++;
		} else {
			queue_env_set_rcpt(e, idx[i], QUEUE_RCPT_DEFERRED, reply);
			log_rcpt(id, addrs[i], via, "deferred", reply);
			r->st->deferred++;
		}
	}
	free(addrs);
	free(res);
}

/* ---- finishing a message ----------------------------------------------- */

/* Keep e queued for another try later. */
static void reschedule(struct run *r, struct queue_env *e)
{
	struct err err = ERR_INIT;
	unsigned n = queue_env_attempts(e) + 1;
	time_t next = r->now + (time_t)cfg_retry_delay(r->cfg, n);

	queue_env_set_attempts(e, n);
	queue_env_set_next_attempt(e, next);
	note_due(r, next);
	if (queue_save_envelope(r->q, e, &err) < 0)
		log_warnx("%s: cannot record the attempt: %s", queue_env_id(e), err.msg);
}

/* The account whose INBOX gets the sender's bounce: the message's own,
 * else the one with the sender's address, else the default. */
static const struct cfg_account *bounce_owner(const struct run *r, const struct queue_env *e,
					      const struct cfg_account *msg_acct)
{
	if (queue_env_account(e)[0] && msg_acct)
		return msg_acct;
	return inbox_owner(r, queue_env_sender(e));
}

/* The durability point (flush.h): the Sent copies of every account, then
 * the removals from the queue, which unlinks the bodies last. */
static void sync_point(struct run *r)
{
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < r->nboxes; i++) {
		struct sentbox *s = &r->boxes[i];

		if (!s->sent || batch_count(s->sent) == 0)
			continue;
		if (batch_commit(s->sent, &err) < 0)
			log_warnx("Sent copies of '%s' may not be on disk: %s",
				  cfg_account_name(s->acct), err.msg);
		else
			idxhint_note(s->acct);
		err_clear(&err);
	}
	if (queue_pending(r->q) > 0 && queue_sync(r->q, &err) < 0)
		log_warnx("sent messages may come back into the queue after a crash: %s", err.msg);
	r->unsynced = 0;
}

static struct sentbox *sentbox_for(struct run *r, const struct cfg_account *a)
{
	struct sentbox *s;
	size_t i;

	for (i = 0; i < r->nboxes; i++)
		if (r->boxes[i].acct == a)
			return &r->boxes[i];
	r->boxes = xreallocarray(r->boxes, r->nboxes + 1, sizeof(*r->boxes));
	s = &r->boxes[r->nboxes++];
	memset(s, 0, sizeof(*s));
	s->acct = a;
	return s;
}

/* Place the Sent copy of id (body, len) in a's Sent folder: a hard link
 * to the queued body, which was fsync'd when it was queued, else a copy;
 * durable at the next sync_point(). */
static int sent_copy(struct run *r, const struct cfg_account *a, const char *id,
		     const char *body, size_t len, struct err *err)
{
	struct sentbox *s = sentbox_for(r, a);
	char *src;
	int rc;

	if (!s->dir && !s->why[0]) {
		const char *folder = cfg_get(a, "sent_folder");
		char *dir = maildir_folder_path(cfg_get(a, "maildir"), folder ? folder : "Sent");

		if (!maildir_is(dir) && maildir_create(dir, err) < 0) {
			snprintf(s->why, sizeof(s->why), "%s", err->msg);
			free(dir);
		} else {
			s->dir = dir;
			s->sent = batch_new(dir);
		}
	}
	if (!s->dir)
		return err_set(err, EX_CANTCREAT, "%s", s->why);
	src = queue_body_path(r->q, id);
	rc = batch_link(s->sent, src, body, len, NULL, "S", err);
	free(src);
	return rc;
}

/* A message whose recipients all got it (sent or delivered locally):
 * Sent copy, then out of the queue, neither waiting for the disk (see
 * flush.h for why that loses nothing).  Frees m->body. */
static void finish_sent(struct run *r, struct sent_msg *m)
{
	struct err err = ERR_INIT;
	const char *id = queue_env_id(m->e);

	if (m->copy && sent_copy(r, m->acct, id, m->body, m->len, &err) < 0) {
		log_warnx("%s: sent, but no copy in the Sent folder: %s", id, err.msg);
		err_clear(&err);
	}
	free(m->body);
	m->body = NULL;
	if (queue_done_nosync(r->q, id, &err) < 0) {
		log_warnx("%s: delivered, but cannot remove it from the queue: %s", id, err.msg);
		return;
	}
	r->st->done++;
	if (++r->unsynced >= FLUSH_SYNC_EVERY)
		sync_point(r);
}

/* ---- the finisher thread ------------------------------------------------ */

static void finisher_take(void *arg)
{
	struct finisher *f = &((struct run *)arg)->fin;

	f->cur = f->ring[f->head];
	f->head = (f->head + 1) % FLUSH_BACKLOG;
	f->count--;
}

static void finisher_run(void *arg)
{
	struct run *r = arg;

	finish_sent(r, &r->fin.cur);
}

/* Hand m (taken over) to the finisher, waiting while it is FLUSH_BACKLOG
 * messages behind; without a thread (it could not start), finish here. */
static void finisher_push(struct run *r, struct sent_msg *m)
{
	struct finisher *f = &r->fin;

	if (!f->tried) {
		f->tried = 1;
		f->w = worker_new(finisher_take, finisher_run, r);
	}
	if (!f->w) {
		finish_sent(r, m);
		return;
	}
	worker_lock(f->w);
	/* The one being finished counts: FLUSH_BACKLOG in all. */
	worker_wait_below(f->w, FLUSH_BACKLOG);
	f->ring[(f->head + f->count) % FLUSH_BACKLOG] = *m;
	f->count++;
	worker_added(f->w, 1);
	worker_unlock(f->w);
}

/* Wait until the finisher has finished every message handed to it. */
static void finisher_drain(struct run *r)
{
	worker_drain(r->fin.w);
}

/* Finish what is handed over and end the thread. */
static void finisher_stop(struct run *r)
{
	worker_free(r->fin.w);
	r->fin.w = NULL;
	r->fin.tried = 0;
}

/* Make the report on e's bounced recipients that were not reported yet
 * (bounce.h) and store it in the owner's INBOX; *owner_out names it. */
static int store_bounce(struct run *r, struct queue_env *e, const struct cfg_account *a,
			const char *body, size_t len, int expired,
			const struct cfg_account **owner_out, struct err *err)
{
	const struct cfg_account *owner = bounce_owner(r, e, a);
	struct buf b = BUF_INIT;
	int rc;

	if (!owner)
		return err_set(err, EX_CONFIG, "no account to deliver the bounce to");
	bounce_make(e, body, len, r->host, r->now, expired, &b);
	rc = store(owner, "INBOX", b.data, b.len, NULL, err);
	buf_release(&b);
	*owner_out = owner;
	return rc;
}

/* Some recipients bounced while others wait for another try: the sender
 * hears of it now, not when the last one is done (days later, maybe), as
 * with Postfix; the report lists the waiting ones as delayed, and the
 * bounced ones are marked notified so that no report names them again.
 * The outcomes are durable first, so a crash repeats at most the report. */
static void report_early(struct run *r, struct queue_env *e, const struct cfg_account *a,
			 const char *body, size_t len)
{
	struct err err = ERR_INIT;
	const struct cfg_account *owner = NULL;
	const char *id = queue_env_id(e);
	size_t i, n = queue_env_rcpt_count(e), fresh = 0;

	/* Null sender: nobody to tell; finish() says so in the end. */
	if (queue_env_sender(e)[0] == '\0')
		return;
	for (i = 0; i < n; i++)
		if (queue_env_rcpt_status(e, i) == QUEUE_RCPT_BOUNCED && !queue_env_rcpt_notified(e, i))
			fresh++;
	if (fresh == 0)
		return;
	finisher_drain(r);
	sync_point(r);
	if (queue_save_envelope(r->q, e, &err) < 0) {
		log_warnx("%s: cannot record the outcome: %s", id, err.msg);
		return;
	}
	if (store_bounce(r, e, a, body, len, 0, &owner, &err) < 0) {
		/* Tried again with the next attempt, or made when it is done. */
		log_warnx("%s: cannot store the bounce: %s", id, err.msg);
		return;
	}
	for (i = 0; i < n; i++)
		queue_env_set_rcpt_notified(e, i);
	log_info("%s: bounce for %zu recipient(s) stored in the INBOX of '%s'; the others wait",
		 id, fresh, cfg_account_name(owner));
}

/* The rest of finish() when some recipients bounced: each step is
 * durable before the next, so a crash repeats at worst a Sent copy or a
 * bounce, never a delivery (the window between a server's 250 and the
 * first durable write remains: SMTP cannot close it, sendq(1) documents
 * it). */
static void finish_bounced(struct run *r, struct queue_env *e, const struct cfg_account *a,
			   const char *body, size_t len, int expired, size_t bounced, size_t fresh,
			   int copy)
{
	struct err err = ERR_INIT;
	const struct cfg_account *owner = NULL;
	const char *id = queue_env_id(e);
	char *why;
	int rc;

	/* The rare path, one durable step after another; what is pending
	 * goes first so that the order on disk stays the order of events. */
	finisher_drain(r);
	sync_point(r);
	/* Outcomes first, durably: a crash during the Sent copy or the
	 * bounce must not send the message to its recipients again. */
	if (queue_save_envelope(r->q, e, &err) < 0) {
		log_warnx("%s: cannot record the outcome: %s", id, err.msg);
		return;
	}
	/* The copy is of what went out to the world or to another account;
	 * local mail (cron to root) does not belong in Sent. */
	if (copy) {
		const char *folder = cfg_get(a, "sent_folder");

		if (store(a, folder ? folder : "Sent", body, len, "S", &err) < 0)
			log_warnx("%s: sent, but no copy in the Sent folder: %s", id, err.msg);
		err_clear(&err);
	}
	if (queue_env_sender(e)[0] == '\0') {
		/* A bounce of a bounce would be a loop (RFC 5321 4.5.5). */
		log_info("%s: undeliverable, null sender: no bounce", id);
		why = xstrdup("undeliverable; the sender is null, so no bounce was made");
	} else if (fresh == 0) {
		/* Every bounced recipient was in an earlier report. */
		why = xasprintf("%zu recipient(s) bounced", bounced);
	} else {
		rc = store_bounce(r, e, a, body, len, expired, &owner, &err);
		if (rc < 0) {
			/* Kept queued: a report nobody can read is as bad as
			 * losing the message. */
			log_warnx("%s: cannot store the bounce: %s", id, err.msg);
			why = xasprintf("cannot store the bounce: %s", err.msg);
			queue_env_set_error(e, why);
			free(why);
			reschedule(r, e);
			return;
		}
		log_info("%s: bounce for %zu recipient(s) stored in the INBOX of '%s'", id, fresh,
			 cfg_account_name(owner));
		why = xasprintf(expired ? "expired; %zu recipient(s) bounced" :
				"%zu recipient(s) bounced", bounced);
	}
	if (queue_fail(r->q, e, why, &err) < 0)
		log_warnx("%s: cannot move it to failed/: %s", id, err.msg);
	else
		r->st->done++;
	free(why);
}

/* A message with no recipient left to try: Sent copy, bounce, and out of
 * env/; the finisher does it when nothing bounced.  Takes body. */
static void finish(struct run *r, struct queue_env *e, const struct cfg_account *a,
		   char *body, size_t len, int expired)
{
	size_t i, n = queue_env_rcpt_count(e), bounced = 0, fresh = 0, relayed = 0;
	int copy;

	for (i = 0; i < n; i++) {
		const char *addr = queue_env_rcpt_addr(e, i);
		const struct cfg_account *to;

		if (queue_env_rcpt_status(e, i) == QUEUE_RCPT_BOUNCED) {
			bounced++;
			fresh += !queue_env_rcpt_notified(e, i);
		} else if (!in_local_domains(a, addr)) {
			relayed++;
		} else if ((to = cfg_account_for_address(r->cfg, addr)) != NULL && to != a) {
			/* Mail to another of the user's accounts is mail the
			 * user wrote, and is kept as a relayed one is. */
			relayed++;
		}
	}
	copy = relayed > 0 && cfg_get_bool(a, "sent_copy", 1);
	if (bounced == 0) {
		struct sent_msg m = { e, a, body, len, copy };

		finisher_push(r, &m);
		return;
	}
	finish_bounced(r, e, a, body, len, expired, bounced, fresh, copy);
	free(body);
}

/* ---- tracking ---------------------------------------------------------- */

void flush_track(const struct cfg *cfg, const struct queue_env *e, const char *body,
		 size_t len, const char *what, const char *note, time_t now)
{
	struct err e2 = ERR_INIT;
	const char *name = queue_env_account(e);
	const struct cfg_account *a = cfg ? cfg_account_find(cfg, name[0] ? name : NULL, &e2) :
				      NULL;

	size_t i, n = queue_env_rcpt_count(e);
	struct track_rcpt *t = xcalloc(n ? n : 1, sizeof(*t));
	struct msg *m = msg_parse(body, len, MSG_HEADERS_ONLY);
	struct err err = ERR_INIT;
	struct track_msg tm;

	for (i = 0; i < n; i++) {
		t[i].address = queue_env_rcpt_addr(e, i);
		t[i].reply = queue_env_rcpt_reply(e, i);
		switch (queue_env_rcpt_status(e, i)) {
		case QUEUE_RCPT_PENDING: t[i].state = TRACK_QUEUED; break;
		case QUEUE_RCPT_BOUNCED: t[i].state = TRACK_BOUNCED; break;
		case QUEUE_RCPT_DEFERRED:
			t[i].state = queue_env_delay_warned(e) ? TRACK_DELAYED : TRACK_DEFERRED;
			break;
		case QUEUE_RCPT_SENT:
			/* Local delivery is the end of the road. */
			t[i].state = a && in_local_domains(a, t[i].address) ? TRACK_DELIVERED :
				     TRACK_ACCEPTED;
			break;
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.id = queue_env_id(e);
	tm.envid = queue_env_envid(e);
	tm.message_id = m ? msg_message_id(m) : NULL;
	tm.account = queue_env_account(e);
	tm.sender = queue_env_sender(e);
	tm.queued_at = queue_env_created(e);
	tm.rcpts = t;
	tm.n = n;
	if (track_note(&tm, what, note, now, &err) < 0)
		log_warnx("%s: cannot update the delivery record: %s", tm.id, err.msg);
	msg_free(m);
	free(t);
}

/* Whether a file in Maildir folder dir's new/ or cur/ has needle in its
 * first 8 KiB (the header of a report we wrote). */
static int folder_has(const char *dir, const char *needle)
{
	static const char *const subs[] = { "new", "cur" };
	char head[8192];
	int found = 0;
	size_t k;

	for (k = 0; k < 2 && !found; k++) {
		char *sub = path_join(dir, subs[k]);
		DIR *d = opendir(sub);
		struct dirent *de;

		while (d && !found && (de = readdir(d)) != NULL) {
			char *p;
			ssize_t got;
			int fd;

			if (de->d_name[0] == '.')
				continue;
			p = path_join(sub, de->d_name);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			got = fd >= 0 ? read(fd, head, sizeof(head)) : -1;
			found = got > 0 && memmem(head, (size_t)got, needle, strlen(needle)) != NULL;
			if (fd >= 0)
				close(fd);
			free(p);
		}
		if (d)
			closedir(d);
		free(sub);
	}
	return found;
}

/* The one delay warning (flush.h) for e, deferred since it was queued
 * delay_warning ago.  Exactly once across crashes: the envelope says
 * "pending" durably before the report is stored, and "warned" after; a
 * run that finds "pending" looks for the report (its Message-ID is made
 * of the queue id) before storing it again. */
static void warn_delay(struct run *r, struct queue_env *e, const struct cfg_account *a,
		       const char *body, size_t len)
{
	const struct cfg_account *owner = bounce_owner(r, e, a);
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT;
	size_t i, n = queue_env_rcpt_count(e), deferred = 0;

	if (r->delay_warning <= 0 || queue_env_delay_warned(e) || !queue_env_sender(e)[0] ||
	    r->now - queue_env_created(e) < r->delay_warning)
		return;
	for (i = 0; i < n; i++)
		deferred += queue_env_rcpt_status(e, i) == QUEUE_RCPT_DEFERRED;
	if (deferred == 0 || !owner)
		return;
	if (queue_env_delay_pending(e)) {
		char *dir = maildir_folder_path(cfg_get(owner, "maildir"), "INBOX");
		char *needle = xasprintf(".delay.%s@", queue_env_id(e));
		int there = folder_has(dir, needle);

		free(dir);
		free(needle);
		if (there) {
			queue_env_set_delay_warned(e);
			return;
		}
	} else {
		queue_env_set_delay_pending(e);
		if (queue_save_envelope(r->q, e, &err) < 0) {
			log_warnx("%s: cannot record the delay warning: %s", queue_env_id(e), err.msg);
			return;
		}
	}
	bounce_make_delay(e, body, len, r->host, r->now, &b);
	if (store(owner, "INBOX", b.data, b.len, NULL, &err) < 0) {
		log_warnx("%s: cannot store the delay warning: %s", queue_env_id(e), err.msg);
	} else {
		queue_env_set_delay_warned(e);
		log_info("%s: delay warning stored in the INBOX of '%s'", queue_env_id(e),
			 cfg_account_name(owner));
	}
	buf_release(&b);
}

/* ---- one message ---------------------------------------------------- */

/* Whether the message's last attempt failed only for want of the user's
 * OAuth2 sign-in.  Such mail is never given up on as expired: the user
 * is told to sign in (sendq list, the queue view), and nothing is bounced
 * for it; expiry counts again once an attempt fails for another reason. */
static int waits_for_signin(const struct queue_env *e)
{
	char name[64];
	const char *why = queue_env_error(e);

	return why && oauth2_signin_text(why, name, sizeof(name));
}

static void do_message(struct run *r, struct queue_env *e)
{
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	const char *id = queue_env_id(e), *name = queue_env_account(e);
	size_t i, n = queue_env_rcpt_count(e), nremote = 0, open = 0;
	size_t *remote;
	char *body = NULL;
	size_t len;
	int expired;

	r->st->messages++;
	a = cfg_account_find(r->cfg, name[0] ? name : NULL, &err);
	if (!a) {
		/* A configuration problem, not the message's: keep it. */
		log_warnx("%s: not relayed: %s", id, err.msg);
		queue_env_set_error(e, err.msg);
		reschedule(r, e);
		return;
	}
	if (queue_read_body(r->q, id, &body, &len, &err) < 0) {
		log_warnx("%s: %s", id, err.msg);
		if (err.code != EX_NOINPUT) {
			queue_env_set_error(e, err.msg);
			reschedule(r, e);
		}
		return;
	}
	expired = r->now >= queue_env_created(e) + r->expire && !waits_for_signin(e);
	remote = xcalloc(n ? n : 1, sizeof(*remote));
	for (i = 0; i < n; i++) {
		enum queue_rcpt_status st = queue_env_rcpt_status(e, i);
		const char *addr = queue_env_rcpt_addr(e, i);

		if (st != QUEUE_RCPT_PENDING && st != QUEUE_RCPT_DEFERRED)
			continue;
		if (expired) {
			queue_env_set_rcpt(e, i, QUEUE_RCPT_BOUNCED, NULL);
			log_rcpt(id, addr, "queue", "bounced", "delivery time expired");
			r->st->bounced++;
		} else if (in_local_domains(a, addr)) {
			err_clear(&err);
			if (deliver_local(r, e, addr, body, len, &err) < 0) {
				queue_env_set_rcpt(e, i, QUEUE_RCPT_DEFERRED, err.msg);
				log_rcpt(id, addr, "local", "deferred", err.msg);
				r->st->deferred++;
			} else {
				queue_env_set_rcpt(e, i, QUEUE_RCPT_SENT, "delivered locally");
				log_rcpt(id, addr, "local", "delivered", NULL);
				r->st->local++;
			}
		} else {
			remote[nremote++] = i;
		}
	}
	if (nremote > 0)
		relay_rcpts(r, e, a, remote, nremote, body, len);
	free(remote);
	for (i = 0; i < n; i++) {
		enum queue_rcpt_status st = queue_env_rcpt_status(e, i);

		if (st == QUEUE_RCPT_PENDING || st == QUEUE_RCPT_DEFERRED)
			open++;
	}
	/* Mail waiting for a sign-in is the user's to act on, not news. */
	if (open > 0 && !waits_for_signin(e))
		warn_delay(r, e, a, body, len);
	flush_track(r->cfg, e, body, len, expired ? "expired" : "attempt", queue_env_error(e),
		    r->now);
	if (open > 0) {
		report_early(r, e, a, body, len);
		reschedule(r, e);
		free(body);
	} else {
		finish(r, e, a, body, len, expired);
	}
}

int flush_run(struct queue *q, const struct cfg *cfg, const struct flush_opts *o,
	      time_t now, struct flush_stats *st, struct err *err)
{
	struct queue_env **list;
	struct due *due;
	struct relay_stats rs;
	struct run r;
	size_t n, i, ndue = 0;

	memset(st, 0, sizeof(*st));
	memset(&r, 0, sizeof(r));
	r.q = q;
	r.cfg = cfg;
	r.o = o;
	r.ops = o->relay ? o->relay : &relay_ops;
	r.now = now;
	r.st = st;
	r.expire = cfg ? cfg_general_duration(cfg, "expire", CFG_EXPIRE_DEFAULT) :
			 CFG_EXPIRE_DEFAULT;
	r.delay_warning = cfg ? cfg_general_duration(cfg, "delay_warning", FLUSH_DELAY_WARNING) :
			  FLUSH_DELAY_WARNING;
	if (cfg)
		track_prune(cfg_general_int(cfg, "track_days", TRACK_DAYS_DEFAULT), now);
	if (gethostname(r.host, sizeof(r.host) - 1) < 0 || r.host[0] == '\0')
		snprintf(r.host, sizeof(r.host), "localhost");

	if (queue_list(q, &list, &n, err) < 0)
		return -1;
	due = xcalloc(n ? n : 1, sizeof(*due));
	for (i = 0; i < n; i++) {
		struct queue_env *e = list[i];
		const char *acct = queue_env_account(e);

		/* Unreadable envelopes are listed without an id check of
		 * their own; queue_recover and 'sendq show' deal with them. */
		if (queue_env_state(e) != QUEUE_ST_QUEUED || queue_env_rcpt_count(e) == 0)
			continue;
		if (o->account && strcmp(o->account, acct) != 0) {
			/* -A NAME also takes the mail of no account when
			 * NAME is the default account. */
			struct err e2 = ERR_INIT;
			const struct cfg_account *d = cfg ? cfg_account_find(cfg, NULL, &e2) : NULL;

			if (acct[0] || !d || strcmp(cfg_account_name(d), o->account) != 0)
				continue;
		}
		if (queue_env_next_attempt(e) > now) {
			note_due(&r, queue_env_next_attempt(e));
			continue;
		}
		due[ndue].e = e;
		due[ndue].account = acct;
		due[ndue].order = i;
		ndue++;
	}
	if (ndue > 1)
		qsort(due, ndue, sizeof(*due), due_cmp);
	/* Without a configuration file there is nowhere to relay to; such
	 * mail waits (enqueue.h), and one line says so. */
	if (!cfg && ndue > 0)
		log_warnx("%zu message(s) not relayed: no configuration file", ndue);
	for (i = 0; cfg && i < ndue; i++) {
		if (o->stop && *o->stop)
			break;
		do_message(&r, due[i].e);
	}
	finisher_stop(&r);
	sync_point(&r);
	for (i = 0; i < r.nsessions; i++) {
		if (r.sessions[i].relay) {
			r.ops->stats(r.sessions[i].relay, &rs);
			st->connects += rs.connects;
			log_info("%s: %u message(s) over %u connection(s)",
				 r.ops->host(r.sessions[i].relay), rs.messages, rs.connects);
			r.ops->close(r.sessions[i].relay);
		}
	}
	for (i = 0; i < r.nboxes; i++) {
		batch_free(r.boxes[i].sent);
		free(r.boxes[i].dir);
	}
	free(r.sessions);
	free(r.boxes);
	free(due);
	queue_list_free(list, n);
	return 0;
}
