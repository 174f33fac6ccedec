#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "flush.h"
#include "log.h"
#include "msg.h"
#include "out.h"
#include "status.h"
#include "track.h"
#include "xalloc.h"

/* The queued message whose Message-ID is key (with or without <>); its
 * id (caller frees) or NULL. */
static char *queued_by_message_id(struct queue *q, const char *key)
{
	struct err err = ERR_INIT;
	struct queue_env **list;
	size_t n, i, klen;
	char *found = NULL, *body;
	size_t len;

	while (*key == '<')
		key++;
	klen = strcspn(key, ">");
	if (klen == 0 || queue_list(q, &list, &n, &err) < 0)
		return NULL;
	for (i = 0; i < n && !found; i++) {
		const char *id = queue_env_id(list[i]);
		struct msg *m;
		const char *mid;

		if (!id || queue_read_body(q, id, &body, &len, &err) < 0) {
			err_clear(&err);
			continue;
		}
		m = msg_parse(body, len, MSG_HEADERS_ONLY);
		mid = m ? msg_message_id(m) : NULL;
		if (mid && strlen(mid) == klen && strncasecmp(mid, key, klen) == 0)
			found = xstrdup(id);
		msg_free(m);
		free(body);
	}
	queue_list_free(list, n);
	return found;
}

/* A record for a message that is queued but was never tried, named by
 * its queue id or Message-ID. */
static void snapshot(struct queue *q, const struct cfg *cfg, const char *key)
{
	struct err err = ERR_INIT;
	struct queue_env *e = queue_id_valid(key) ? queue_load(q, key, &err) : NULL;
	char *body = NULL, *id = NULL;
	size_t len = 0;

	if (!e) {
		id = queued_by_message_id(q, key);
		err_clear(&err);
		e = id ? queue_load(q, id, &err) : NULL;
	}
	if (e && queue_read_body(q, queue_env_id(e), &body, &len, &err) == 0)
		flush_track(cfg, e, body, len, NULL, NULL, time(NULL));
	free(body);
	free(id);
	queue_env_free(e);
}

/* The record for key, made first for a message that is queued but was
 * never tried; NULL (err set) when there is none. */
static json_t *record_of(struct queue *q, const struct cfg *cfg, const char *key,
			 struct err *err)
{
	json_t *j = track_load(key, err);

	if (!j) {
		snapshot(q, cfg, key);
		err_clear(err);
		j = track_load(key, err);
	}
	return j;
}

static const char *jtext(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void put_when(struct buf *b, const json_t *v)
{
	time_t t = (time_t)json_integer_value(v);
	struct tm tm;
	char s[32];

	localtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	buf_puts(b, s);
}

/* Server text is sanitised for the terminal. */
static void put_safe(struct buf *b, const char *s)
{
	codec_sanitize(s, strlen(s), 0, b);
}

/*   ID STATE
 *     message-id <ID>  queued TIME  from SENDER
 *     to ADDR STATE TIME: REPLY
 *     TIME EVENT [ADDR] [TEXT] */
static void rec_text(const json_t *rec, int full, struct buf *b)
{
	json_t *r;
	size_t i;

	put_safe(b, jtext(rec, "id"));
	buf_printf(b, " %s", jtext(rec, "state"));
	if (!full) {
		buf_puts(b, " <");
		put_safe(b, jtext(rec, "message_id"));
		buf_puts(b, ">\n");
		return;
	}
	buf_puts(b, "\n  message-id <");
	put_safe(b, jtext(rec, "message_id"));
	buf_puts(b, ">\n  queued ");
	put_when(b, json_object_get(rec, "queued_at"));
	buf_puts(b, " from ");
	put_safe(b, jtext(rec, "sender"));
	buf_putc(b, '\n');
	json_array_foreach(json_object_get(rec, "recipients"), i, r) {
		buf_puts(b, "  to ");
		put_safe(b, jtext(r, "address"));
		buf_printf(b, " %s ", jtext(r, "state"));
		put_when(b, json_object_get(r, "at"));
		if (jtext(r, "reply")[0]) {
			buf_puts(b, ": ");
			put_safe(b, jtext(r, "reply"));
		}
		buf_putc(b, '\n');
	}
	buf_puts(b, "  events:\n");
	json_array_foreach(json_object_get(rec, "events"), i, r) {
		buf_puts(b, "    ");
		put_when(b, json_object_get(r, "time"));
		buf_printf(b, " %s", jtext(r, "type"));
		if (jtext(r, "address")[0]) {
			buf_putc(b, ' ');
			put_safe(b, jtext(r, "address"));
		}
		if (jtext(r, "text")[0]) {
			buf_puts(b, ": ");
			put_safe(b, jtext(r, "text"));
		}
		buf_putc(b, '\n');
	}
}

static int put_json(json_t *j, struct err *err)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc;

	if (!s)
		return err_set(err, EX_SOFTWARE, "cannot format the record");
	rc = out_write(s, strlen(s), err);
	free(s);
	if (rc == 0)
		rc = out_write("\n", 1, err);
	return rc;
}

int status_text(struct queue *q, const struct cfg *cfg, const char *key, struct buf *out,
		struct err *err)
{
	json_t *j = record_of(q, cfg, key, err);

	if (!j)
		return -1;
	rec_text(j, 1, out);
	json_decref(j);
	return 0;
}

int status_show(struct queue *q, const struct cfg *cfg, const char *key, int json,
		struct err *err)
{
	struct buf b = BUF_INIT;
	json_t *j, *r;
	size_t i;
	int rc = 0;

	if (key) {
		j = record_of(q, cfg, key, err);
		if (!j)
			return -1;
	} else {
		j = track_list();
	}
	if (json) {
		rc = put_json(j, err);
	} else if (key) {
		rec_text(j, 1, &b);
	} else {
		json_array_foreach(j, i, r)
			rec_text(r, 0, &b);
	}
	json_decref(j);
	if (rc == 0 && b.len)
		rc = out_write(b.data, b.len, err);
	buf_release(&b);
	return rc < 0 ? -1 : out_flush(err);
}

/* 1: every recipient accepted or delivered (or delayed by a remote
 * server after the smarthost accepted it: that is the smarthost's yes);
 * 65: one bounced; 0: waiting. */
static int settled(const json_t *rec)
{
	json_t *r;
	size_t i;
	int all = 1;

	json_array_foreach(json_object_get(rec, "recipients"), i, r) {
		const char *st = jtext(r, "state");

		if (strcmp(st, "bounced") == 0)
			return 65;
		if (strcmp(st, "accepted") != 0 && strcmp(st, "delivered") != 0 &&
		    !(strcmp(st, "delayed") == 0 && json_is_true(json_object_get(r, "relayed"))))
			all = 0;
	}
	return all && json_array_size(json_object_get(rec, "recipients")) > 0;
}

/* The state of id: 1, 65 or 0 as settled(); -1 when there is neither a
 * record nor a queued message. */
static int look(struct queue *q, const char *id, struct err *err)
{
	json_t *j = track_load(id, err);
	struct queue_env *e;
	int rc;

	if (j) {
		rc = settled(j);
		json_decref(j);
		return rc;
	}
	err_clear(err);
	e = queue_load(q, id, err);
	if (!e)
		return -1;
	queue_env_free(e);
	return 0;
}

int status_wait(struct queue *q, char **ids, size_t n, long timeout,
		volatile sig_atomic_t *stop, int (*run_flush)(void *arg), void *arg,
		enum status_wait *result_out, struct err *err)
{
	time_t end = timeout > 0 ? time(NULL) + timeout : 0;
	size_t i, done;
	int rc;

	for (;;) {
		for (i = 0, done = 0; i < n; i++) {
			rc = look(q, ids[i], err);
			if (rc < 0)
				return -1;
			if (rc == 65) {
				*result_out = STATUS_WAIT_BOUNCED;
				return 0;
			}
			done += rc == 1;
		}
		if (done == n) {
			*result_out = STATUS_WAIT_ACCEPTED;
			return 0;
		}
		if ((end && time(NULL) >= end) || (stop && *stop)) {
			*result_out = STATUS_WAIT_DEFERRED;
			return 0;
		}
		if (run_flush && run_flush(arg) < 0)
			log_warnx("wait: the flush failed");
		usleep(300 * 1000);
	}
}
