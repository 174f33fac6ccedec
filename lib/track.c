#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "dsnparse.h"
#include "events.h"
#include "log.h"
#include "msg.h"
#include "path.h"
#include "track.h"
#include "xalloc.h"

/* A record larger than this is not ours. */
#define TRACK_MAX (1024 * 1024)
/* Events kept per record (the oldest go first: a message deferred for
 * days must not grow its record without bound). */
#define TRACK_EVENTS_MAX 200

static const char *const state_names[] = { "queued", "deferred", "accepted",
					   "bounced", "delayed", "delivered" };

const char *track_state_name(enum track_state st)
{
	return state_names[st];
}

static enum track_state state_of(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum track_state)i;
	return TRACK_QUEUED;
}

char *track_dir(void)
{
	const char *env = getenv("SUREL_TRACK");

	if (env && env[0] == '/')
		return xstrdup(env);
	return path_xdg(PATH_XDG_STATE, "track");
}

/* Whether key can be a record's file name. */
static int name_ok(const char *key)
{
	size_t n = strlen(key);

	return n > 0 && n <= 200 && key[0] != '.' && !strchr(key, '/');
}

static char *rec_path(const char *dir, const char *id)
{
	return xasprintf("%s/%s.json", dir, id);
}

static json_t *read_rec(const char *path)
{
	struct err err = ERR_INIT;
	char *data;
	size_t len;
	json_t *j;

	if (afile_read(path, TRACK_MAX, &data, &len, &err) < 0)
		return NULL;
	j = json_loadb(data, len, 0, NULL);
	free(data);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* Replace the record of id: a temporary file renamed over it, so a reader
 * sees the old record or the new one.  Not fsync'd: a record is derived
 * from the queue and from mail, and the flush of a thousand messages
 * must not wait for the disk a thousand times more (track.h). */
static int write_rec(const char *dir, const char *id, json_t *rec, struct err *err)
{
	char *path = rec_path(dir, id), *text = json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *uniq = afile_unique_name(), *tmp = xasprintf("%s/.%s.tmp", dir, uniq);
	int fd = -1, rc = -1;

	if (!text) {
		err_set(err, EX_SOFTWARE, "cannot format the delivery record of '%s'", id);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot create '%s'", tmp);
		goto out;
	}
	if (afile_write_all(fd, text, strlen(text), err) < 0)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot write '%s'", tmp);
		unlink(tmp);
		goto out;
	}
	rc = -1;
	if (rename(tmp, path) < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename into '%s'", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(text);
	free(tmp);
	free(uniq);
	free(path);
	return rc;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The message's state from its recipients': a bounce outweighs a delay,
 * a delay a deferral, that one waiting; all delivered is delivered. */
static enum track_state sum_state(const json_t *rcpts)
{
	static const enum track_state order[] = { TRACK_BOUNCED, TRACK_DELAYED, TRACK_DEFERRED,
						  TRACK_QUEUED, TRACK_ACCEPTED };
	unsigned seen = 0;
	size_t i;
	json_t *r;

	json_array_foreach(rcpts, i, r)
		seen |= 1u << state_of(str_of(r, "state"));
	if (seen == 0)
		return TRACK_QUEUED;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (seen & (1u << order[i]))
			return order[i];
	return TRACK_DELIVERED;
}

static json_t *add_event(json_t *rec, time_t now, const char *type, const char *address,
			 const char *text)
{
	json_t *ev = json_object_get(rec, "events"), *e = json_object();

	json_object_set_new(e, "time", json_integer((json_int_t)now));
	json_object_set_new(e, "type", json_string(type));
	if (address)
		json_object_set_new(e, "address", json_string(address));
	if (text)
		json_object_set_new(e, "text", json_string(text));
	json_array_append_new(ev, e);
	while (json_array_size(ev) > TRACK_EVENTS_MAX)
		json_array_remove(ev, 0);
	return e;
}

/* A string as json, NULL as null; text that is not UTF-8 has its 8-bit
 * bytes replaced (server replies). */
static json_t *jstr(const char *s)
{
	json_t *j;
	char *c;
	size_t i;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	c = xstrdup(s);
	for (i = 0; c[i]; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	j = json_string(c);
	free(c);
	return j ? j : json_null();
}

static json_t *new_rec(const struct track_msg *m)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "id", json_string(m->id));
	json_object_set_new(rec, "message_id", jstr(m->message_id));
	json_object_set_new(rec, "state", json_string("queued"));
	json_object_set_new(rec, "recipients", json_array());
	json_object_set_new(rec, "events", json_array());
	json_object_set_new(rec, "envid", json_string(m->envid ? m->envid : m->id));
	json_object_set_new(rec, "account", m->account && m->account[0] ?
			    jstr(m->account) : json_null());
	json_object_set_new(rec, "sender", jstr(m->sender ? m->sender : ""));
	json_object_set_new(rec, "queued_at", json_integer((json_int_t)m->queued_at));
	return rec;
}

static json_t *find_rcpt(json_t *rec, const char *addr)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(rec, "recipients"), i, r)
		if (strcasecmp(str_of(r, "address"), addr) == 0)
			return r;
	return NULL;
}

/* Set recipient r (of rec) to st with reply, recording the change. */
static void set_rcpt(json_t *rec, json_t *r, enum track_state st, const char *reply, time_t now)
{
	const char *addr = str_of(r, "address");
	const char *type = st == TRACK_ACCEPTED ? "sent" : track_state_name(st);

	json_object_set_new(r, "state", json_string(track_state_name(st)));
	json_object_set_new(r, "reply", jstr(reply));
	json_object_set_new(r, "at", json_integer((json_int_t)now));
	/* A remote report may later say "delayed": the smarthost's yes still
	 * stands for `sendq wait` (sendq/status.c). */
	if (st == TRACK_ACCEPTED)
		json_object_set_new(r, "relayed", json_true());
	add_event(rec, now, type, addr, reply);
	events_log(type, json_string_value(json_object_get(rec, "account")), "id",
		   str_of(rec, "id"), "message_id",
		   json_string_value(json_object_get(rec, "message_id")), "recipient", addr,
		   "reply", reply, (const char *)NULL);
}

/* Whether the queue's view st may replace what the record says now: what
 * a later report settled stays, except that a new attempt's deferral
 * does not wipe a delay already reported. */
static int queue_may_set(enum track_state now_st, enum track_state st)
{
	switch (now_st) {
	case TRACK_DELIVERED:
	case TRACK_BOUNCED:
		return 0;
	case TRACK_DELAYED:
		return st != TRACK_DEFERRED && st != TRACK_QUEUED;
	case TRACK_ACCEPTED:
		return st == TRACK_BOUNCED || st == TRACK_DELAYED;
	default:
		return 1;
	}
}

static void finish_rec(json_t *rec, time_t now)
{
	json_object_set_new(rec, "state",
			    json_string(track_state_name(sum_state(json_object_get(rec,
										   "recipients")))));
	json_object_set_new(rec, "updated", json_integer((json_int_t)now));
}

int track_note(const struct track_msg *m, const char *what, const char *note, time_t now,
	       struct err *err)
{
	char *dir = track_dir(), *lock = NULL, *path = NULL;
	json_t *rec = NULL, *r;
	int fd = -1, rc = -1;
	size_t i;

	if (!name_ok(m->id)) {
		err_set(err, EX_DATAERR, "bad queue id '%.80s'", m->id);
		goto out;
	}
	if (afile_mkdirs(dir, err) < 0)
		goto out;
	lock = path_join(dir, "lock");
	fd = afile_lock(lock, 1, err);
	if (fd < 0)
		goto out;
	path = rec_path(dir, m->id);
	rec = read_rec(path);
	if (!rec)
		rec = new_rec(m);
	if (m->message_id && json_is_null(json_object_get(rec, "message_id")))
		json_object_set_new(rec, "message_id", jstr(m->message_id));
	if (what)
		add_event(rec, now, what, NULL, note);
	for (i = 0; i < m->n; i++) {
		const struct track_rcpt *t = &m->rcpts[i];
		const char *old;

		r = find_rcpt(rec, t->address);
		if (!r) {
			r = json_object();
			json_object_set_new(r, "address", jstr(t->address));
			json_object_set_new(r, "state", json_string("queued"));
			json_object_set_new(r, "reply", json_null());
			json_object_set_new(r, "at", json_integer((json_int_t)now));
			json_array_append_new(json_object_get(rec, "recipients"), r);
		}
		old = json_string_value(json_object_get(r, "reply"));
		if (state_of(str_of(r, "state")) == t->state) {
			/* Another deferral with another reply: the reply only. */
			if (t->reply && (!old || strcmp(old, t->reply) != 0))
				json_object_set_new(r, "reply", jstr(t->reply));
			continue;
		}
		if (queue_may_set(state_of(str_of(r, "state")), t->state))
			set_rcpt(rec, r, t->state, t->reply, now);
	}
	finish_rec(rec, now);
	rc = write_rec(dir, m->id, rec, err);
out:
	if (fd >= 0)
		afile_unlock(fd);
	json_decref(rec);
	free(path);
	free(lock);
	free(dir);
	return rc;
}

/* Every record in dir whose member key equals value (case-insensitive
 * for Message-IDs' sake); the first one found, or NULL. */
static json_t *scan(const char *dir, const char *key, const char *value, char **id_out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	json_t *hit = NULL;

	if (!d)
		return NULL;
	while (!hit && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *path;
		json_t *j;

		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		path = path_join(dir, de->d_name);
		j = read_rec(path);
		free(path);
		if (j && strcasecmp(str_of(j, key), value) == 0) {
			hit = j;
			if (id_out)
				*id_out = xstrndup(de->d_name, n - 5);
		} else {
			json_decref(j);
		}
	}
	closedir(d);
	return hit;
}

/* key without angle brackets and blanks around it (a copy). */
static char *bare_id(const char *key)
{
	size_t n;
	char *k;

	while (*key == ' ' || *key == '<')
		key++;
	k = xstrdup(key);
	n = strlen(k);
	while (n > 0 && (k[n - 1] == '>' || k[n - 1] == ' '))
		k[--n] = '\0';
	return k;
}

/* The record for key (queue id, else Message-ID) and its id. */
static json_t *lookup(const char *dir, const char *key, char **id_out)
{
	json_t *j = NULL;
	char *path, *bare;

	if (name_ok(key)) {
		path = rec_path(dir, key);
		j = read_rec(path);
		free(path);
		if (j) {
			if (id_out)
				*id_out = xstrdup(key);
			return j;
		}
	}
	bare = bare_id(key);
	if (bare[0])
		j = scan(dir, "message_id", bare, id_out);
	free(bare);
	return j;
}

struct json_t *track_load(const char *key, struct err *err)
{
	char *dir = track_dir();
	json_t *j = lookup(dir, key, NULL);

	free(dir);
	if (!j)
		err_set(err, EX_NOINPUT, "no delivery record for '%.200s'", key);
	return j;
}

static int by_queued_at(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "queued_at"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "queued_at"));

	if (x != y)
		return x < y ? -1 : 1;
	return strcmp(str_of(*(json_t *const *)a, "id"), str_of(*(json_t *const *)b, "id"));
}

struct json_t *track_list(void)
{
	char *dir = track_dir();
	DIR *d = opendir(dir);
	struct dirent *de;
	json_t **v = NULL, *arr = json_array();
	size_t n = 0, i;

	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *path;
		json_t *j;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		path = path_join(dir, de->d_name);
		j = read_rec(path);
		free(path);
		if (!j)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = j;
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), by_queued_at);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	free(dir);
	return arr;
}

enum track_state track_record_state(const struct json_t *rec)
{
	return state_of(str_of(rec, "state"));
}

/* The record a report is about: by ENVID (ours is the queue id; one set
 * with sendq -V is found in the records), else the returned Message-ID. */
static json_t *report_rec(const char *dir, const struct dsn_report *rep, char **id_out)
{
	json_t *j = NULL;

	if (rep->envid && rep->envid[0]) {
		if (name_ok(rep->envid)) {
			char *path = rec_path(dir, rep->envid);

			j = read_rec(path);
			free(path);
			if (j)
				*id_out = xstrdup(rep->envid);
		}
		if (!j)
			j = scan(dir, "envid", rep->envid, id_out);
		/* Some MTAs give the ENVID back as it was on the wire. */
		if (!j && strchr(rep->envid, '+')) {
			char *plain = dsn_xtext_decode(rep->envid);

			if (plain)
				j = scan(dir, "envid", plain, id_out);
			free(plain);
		}
	}
	if (!j && rep->message_id && rep->message_id[0])
		j = scan(dir, "message_id", rep->message_id, id_out);
	return j;
}

/* Apply rep to rec; the number of recipients changed. */
static size_t apply(json_t *rec, const struct dsn_report *rep, time_t now)
{
	size_t i, changed = 0;

	for (i = 0; i < rep->n; i++) {
		const struct dsn_rcpt *x = &rep->rcpts[i];
		json_t *r = x->original[0] ? find_rcpt(rec, x->original) : NULL;
		enum track_state cur, st;
		struct buf why = BUF_INIT;

		/* Original-Recipient as sent in ORCPT, still in xtext. */
		if (!r && strchr(x->original, '+')) {
			char *plain = dsn_xtext_decode(x->original);

			r = plain ? find_rcpt(rec, plain) : NULL;
			free(plain);
		}
		if (!r)
			r = find_rcpt(rec, x->final);
		if (!r)
			continue;
		cur = state_of(str_of(r, "state"));
		if (x->action == DSN_ACT_FAILED)
			st = TRACK_BOUNCED;
		else if (x->action == DSN_ACT_DELAYED)
			st = TRACK_DELAYED;
		else if (x->action == DSN_ACT_DELIVERED)
			st = TRACK_DELIVERED;
		else
			continue;
		/* A late "delayed" never undoes a final answer. */
		if (st == TRACK_DELAYED && (cur == TRACK_BOUNCED || cur == TRACK_DELIVERED))
			continue;
		if (x->diagnostic[0])
			buf_puts(&why, x->diagnostic);
		else if (x->status[0])
			buf_printf(&why, "%s", x->status);
		if (rep->reporter[0])
			buf_printf(&why, "%s(reported by %s)", why.len ? " " : "", rep->reporter);
		set_rcpt(rec, r, st, why.data ? why.data : "", now);
		buf_release(&why);
		changed++;
	}
	return changed;
}

int track_incoming(const char *data, size_t len, const char *account)
{
	struct dsn_report *rep = dsn_maybe(data, len) ? dsn_parse(data, len) : NULL;
	struct err err = ERR_INIT;
	char *dir, *lock, *id = NULL;
	json_t *rec;
	int fd, matched = 0;
	time_t now = time(NULL);

	(void)account;
	if (!rep)
		return 0;
	dir = track_dir();
	lock = path_join(dir, "lock");
	fd = access(dir, F_OK) == 0 ? afile_lock(lock, 1, &err) : -1;
	rec = fd >= 0 ? report_rec(dir, rep, &id) : NULL;
	if (rec && apply(rec, rep, now) > 0) {
		json_t *ev = add_event(rec, now, "report", NULL, rep->qmail ? "qmail-send bounce" :
				       rep->plain ? "plain-text bounce" :
				       "delivery status notification");

		/* The MUA jumps from the original to the report by it. */
		if (rep->own_id)
			json_object_set_new(ev, "message_id", jstr(rep->own_id));
		finish_rec(rec, now);
		if (write_rec(dir, id, rec, &err) < 0)
			log_warnx("cannot update the delivery record of '%s': %s", id, err.msg);
		else
			matched = 1;
	}
	if (fd >= 0)
		afile_unlock(fd);
	json_decref(rec);
	free(id);
	free(lock);
	free(dir);
	dsn_report_free(rep);
	return matched;
}

void track_prune(long days, time_t now)
{
	char *dir = track_dir();
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;

	while (d && (de = readdir(d)) != NULL) {
		char *path;

		if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
			continue;
		path = path_join(dir, de->d_name);
		if (stat(path, &st) == 0 && st.st_mtime < now - days * 86400L && unlink(path) < 0 &&
		    errno != ENOENT)
			log_warnx("cannot remove the old delivery record '%s': %s", path,
				  strerror(errno));
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

void track_arrived(const char *account, const char *folder, const char *key, const char *data,
		   size_t len)
{
	struct msg *m = msg_parse(data, len, MSG_HEADERS_ONLY);
	char *from = m ? msg_header_decoded(m, "From") : NULL;
	char *subject = m ? msg_header_decoded(m, "Subject") : NULL;
	const char *mid = m ? msg_message_id(m) : NULL;

	events_log("arrived", account, "folder", folder, "key", key, "from", from, "subject",
		   subject, "message_id", mid, (const char *)NULL);
	free(from);
	free(subject);
	msg_free(m);
	track_incoming(data, len, account);
}
