/*
 * queue: the outgoing store.  Commit points: a new message is committed by
 * the rename of its envelope into env/ (the body is already fsync'd in msg/
 * by then); every state change is one rename of the envelope between env/,
 * hold/ and failed/, or one atomic rewrite in place.  State changes and the
 * recovery sweep hold the `lock` file so that a sweep never mistakes a
 * message in the middle of a move for an orphan.  queue_add takes no lock:
 * it only creates new names, and the sweep leaves young bodies alone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "afile.h"
#include "buf.h"
#include "path.h"
#include "queue.h"
#include "queue_env.h"
#include "worker.h"
#include "xalloc.h"

/* An envelope is a few hundred bytes per recipient; anything this large is
 * not one of ours. */
#define ENV_MAX (4 * 1024 * 1024)

enum sub { SUB_TMP, SUB_MSG, SUB_ENV, SUB_HOLD, SUB_FAILED, SUB_DONE, SUB_COUNT };

static const char *const sub_names[SUB_COUNT] = { "tmp", "msg", "env", "hold", "failed", "done" };

/* The background removal of finished messages (queue_sync()): a list of
 * ids whose done/ entry and body are to be unlinked, under the lock of a
 * worker.h thread that works through it while the flusher talks SMTP. */
struct reaper {
	struct worker *w;           /* NULL: not started, or (tried) work inline */
	int tried;
	char **ids;
	size_t n, cap;
	char *cur;                  /* the id being removed */
	char *done_dir, *msg_dir;   /* borrowed from struct queue */
};

struct queue {
	char *dir;
	char *sub[SUB_COUNT];
	char *lock_path;
	char *flush_lock_path;
	int flush_fd;
	/* queue_done_nosync(): ids whose envelope is unlinked and whose body
	 * waits for queue_sync(), and the state directories to fsync. */
	char **done;
	size_t ndone, done_cap;
	unsigned dirty;          /* 1u << enum sub */
	struct reaper reaper;
};

static void reaper_stop(struct reaper *rp);

struct rcpt {
	char *addr;
	enum queue_rcpt_status st;
	char *reply;
	int notified;   /* bounced, and the sender's bounce is stored */
};

struct queue_env {
	char *id;
	enum queue_state state;
	char *account;
	char *sender;
	time_t created;
	time_t next_attempt;
	unsigned attempts;
	size_t size;
	char *error;
	char *dsn_notify;         /* -N, NULL: the account's dsn_notify */
	char *dsn_ret;            /* -R, NULL: HDRS */
	char *envid;              /* -V, NULL: the id */
	int delay_warned;
	int delay_pending;        /* the warning may be stored: look first */
	struct rcpt *rcpt;
	size_t nrcpt;
	size_t rcpt_cap;
};

static const char *const state_names[] = { "queued", "held", "failed" };
static const char *const rcpt_names[] = { "pending", "sent", "bounced", "deferred" };

const char *queue_state_name(enum queue_state st)
{
	return state_names[st];
}

const char *queue_rcpt_status_name(enum queue_rcpt_status st)
{
	return rcpt_names[st];
}

int queue_id_valid(const char *id)
{
	const unsigned char *p;

	if (id[0] == '\0' || id[0] == '.' || strlen(id) > 200)
		return 0;
	for (p = (const unsigned char *)id; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '/')
			return 0;
	}
	return 1;
}

static enum sub state_sub(enum queue_state st)
{
	switch (st) {
	case QUEUE_ST_HELD:
		return SUB_HOLD;
	case QUEUE_ST_FAILED:
		return SUB_FAILED;
	default:
		return SUB_ENV;
	}
}

/* --- envelopes -------------------------------------------------------- */

struct queue_env *queue_env_new(void)
{
	struct queue_env *e = xcalloc(1, sizeof(*e));

	e->account = xstrdup("");
	e->sender = xstrdup("");
	return e;
}

void queue_env_free(struct queue_env *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nrcpt; i++) {
		free(e->rcpt[i].addr);
		free(e->rcpt[i].reply);
	}
	free(e->rcpt);
	free(e->id);
	free(e->account);
	free(e->sender);
	free(e->error);
	free(e->dsn_notify);
	free(e->dsn_ret);
	free(e->envid);
	free(e);
}

const char *queue_env_id(const struct queue_env *e) { return e->id; }
enum queue_state queue_env_state(const struct queue_env *e) { return e->state; }
const char *queue_env_account(const struct queue_env *e) { return e->account; }
const char *queue_env_sender(const struct queue_env *e) { return e->sender; }
time_t queue_env_created(const struct queue_env *e) { return e->created; }
time_t queue_env_next_attempt(const struct queue_env *e) { return e->next_attempt; }
unsigned queue_env_attempts(const struct queue_env *e) { return e->attempts; }
size_t queue_env_size(const struct queue_env *e) { return e->size; }
const char *queue_env_error(const struct queue_env *e) { return e->error; }
size_t queue_env_rcpt_count(const struct queue_env *e) { return e->nrcpt; }

const char *queue_env_rcpt_addr(const struct queue_env *e, size_t i)
{
	return e->rcpt[i].addr;
}

enum queue_rcpt_status queue_env_rcpt_status(const struct queue_env *e, size_t i)
{
	return e->rcpt[i].st;
}

const char *queue_env_rcpt_reply(const struct queue_env *e, size_t i)
{
	return e->rcpt[i].reply;
}

int queue_env_rcpt_notified(const struct queue_env *e, size_t i)
{
	return e->rcpt[i].st == QUEUE_RCPT_BOUNCED && e->rcpt[i].notified;
}

void queue_env_set_rcpt_notified(struct queue_env *e, size_t i)
{
	if (e->rcpt[i].st == QUEUE_RCPT_BOUNCED)
		e->rcpt[i].notified = 1;
}

/* A copy of s fit for one line of the file: controls become spaces. */
static char *one_line(const char *s)
{
	char *c = xstrdup(s), *p;

	for (p = c; *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	}
	return c;
}

int queue_env_set_sender(struct queue_env *e, const char *addr, struct err *err)
{
	if (addr[0] != '\0' && !addr_valid(addr, 0))
		return err_set(err, EX_DATAERR, "bad sender address '%s'", addr);
	free(e->sender);
	e->sender = xstrdup(addr);
	return 0;
}

int queue_env_add_rcpt(struct queue_env *e, const char *addr, struct err *err)
{
	if (!addr_valid(addr, 0))
		return err_set(err, EX_DATAERR, "bad recipient address '%s'", addr);
	if (e->nrcpt == e->rcpt_cap) {
		e->rcpt_cap = e->rcpt_cap ? 2 * e->rcpt_cap : 4;
		e->rcpt = xreallocarray(e->rcpt, e->rcpt_cap, sizeof(*e->rcpt));
	}
	memset(&e->rcpt[e->nrcpt], 0, sizeof(e->rcpt[e->nrcpt]));
	e->rcpt[e->nrcpt].addr = xstrdup(addr);
	e->rcpt[e->nrcpt].st = QUEUE_RCPT_PENDING;
	e->nrcpt++;
	return 0;
}

int queue_env_set_account(struct queue_env *e, const char *name, struct err *err)
{
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			return err_set(err, EX_DATAERR, "bad account name");
	}
	free(e->account);
	e->account = xstrdup(name);
	return 0;
}

void queue_env_set_created(struct queue_env *e, time_t t) { e->created = t; }
void queue_env_set_size(struct queue_env *e, size_t n) { e->size = n; }
void queue_env_set_next_attempt(struct queue_env *e, time_t t) { e->next_attempt = t; }
void queue_env_set_attempts(struct queue_env *e, unsigned n) { e->attempts = n; }

void queue_env_set_rcpt(struct queue_env *e, size_t i, enum queue_rcpt_status st,
			const char *reply)
{
	e->rcpt[i].st = st;
	if (st != QUEUE_RCPT_BOUNCED)
		e->rcpt[i].notified = 0;
	if (reply) {
		free(e->rcpt[i].reply);
		e->rcpt[i].reply = one_line(reply);
	}
}

void queue_env_set_error(struct queue_env *e, const char *text)
{
	free(e->error);
	e->error = text ? one_line(text) : NULL;
}

/* The DSN values are checked by the enqueue (-N, -R, -V) and by the
 * envelope reader: a word of printable ASCII. */
static int dsn_word_ok(const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] >= 0x7f)
			return 0;
	return 1;
}

int queue_env_set_dsn(struct queue_env *e, const char *notify, const char *ret,
		      const char *envid, struct err *err)
{
	const char *v[3] = { notify, ret, envid };
	char **dst[3] = { &e->dsn_notify, &e->dsn_ret, &e->envid }, *copy[3];
	size_t i;

	for (i = 0; i < 3; i++)
		if (v[i] && !dsn_word_ok(v[i]))
			return err_set(err, EX_DATAERR, "bad DSN value '%.80s'", v[i]);
	/* Copies first: a value may be one of e's own. */
	for (i = 0; i < 3; i++)
		copy[i] = v[i] ? xstrdup(v[i]) : NULL;
	for (i = 0; i < 3; i++) {
		free(*dst[i]);
		*dst[i] = copy[i];
	}
	return 0;
}

const char *queue_env_dsn_notify(const struct queue_env *e)
{
	return e->dsn_notify;
}

const char *queue_env_dsn_ret(const struct queue_env *e)
{
	return e->dsn_ret;
}

const char *queue_env_envid(const struct queue_env *e)
{
	return e->envid ? e->envid : e->id;
}

int queue_env_envid_set(const struct queue_env *e)
{
	return e->envid != NULL;
}

int queue_env_delay_warned(const struct queue_env *e)
{
	return e->delay_warned;
}

void queue_env_set_delay_warned(struct queue_env *e)
{
	e->delay_warned = 1;
	e->delay_pending = 0;
}

int queue_env_delay_pending(const struct queue_env *e)
{
	return e->delay_pending;
}

void queue_env_set_delay_pending(struct queue_env *e)
{
	e->delay_pending = !e->delay_warned;
}

/* --- the store ---------------------------------------------------------- */

struct queue *queue_open(const char *dir, struct err *err)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	int i, made = 0, created = 0;

	q->dir = dir ? xstrdup(dir) : path_xdg(PATH_XDG_DATA, "queue");
	q->flush_fd = -1;
	for (i = 0; i < SUB_COUNT; i++)
		q->sub[i] = path_join(q->dir, sub_names[i]);
	q->lock_path = path_join(q->dir, "lock");
	q->flush_lock_path = path_join(q->dir, "flush.lock");
	/* One mkdir per subdirectory is cheaper than checking first; only a
	 * missing parent sends us the long way round. */
	for (i = 0; i < SUB_COUNT; i++) {
		if (mkdir(q->sub[i], 0700) == 0) {
			created = 1;
			continue;
		}
		if (errno == EEXIST)
			continue;
		if (errno == ENOENT && !made) {
			made = 1;
			if (afile_mkdirs(q->dir, err) < 0)
				goto fail;
			i--;
			continue;
		}
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot create directory '%s'",
			q->sub[i]);
		goto fail;
	}
	/* A first enqueue must not lose its message with the directories. */
	if (created && afile_fsync_dir(q->dir, err) < 0)
		goto fail;
	return q;

fail:
	err_prefix(err, "cannot open queue");
	queue_close(q);
	return NULL;
}

void queue_close(struct queue *q)
{
	int i;

	if (!q)
		return;
	if (q->ndone > 0) {
		struct err err = ERR_INIT;

		if (queue_sync(q, &err) < 0)
			err_clear(&err);   /* documented: errors ignored here */
	}
	reaper_stop(&q->reaper);
	free(q->done);
	queue_unlock_flush(q);
	for (i = 0; i < SUB_COUNT; i++)
		free(q->sub[i]);
	free(q->lock_path);
	free(q->flush_lock_path);
	free(q->dir);
	free(q);
}

const char *queue_dir(const struct queue *q)
{
	return q->dir;
}

char *queue_body_path(const struct queue *q, const char *id)
{
	return path_join(q->sub[SUB_MSG], id);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static char *sub_path(const struct queue *q, enum sub s, const char *id)
{
	return path_join(q->sub[s], id);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int queue_add(struct queue *q, const char *body, size_t len, struct queue_env *e,
	      char **id_out, struct err *err)
{
	struct afile_tmp t;
	struct buf env = BUF_INIT;
	char *body_path = NULL, *env_path = NULL;
	time_t now;

	if (e->nrcpt == 0)
		return err_set(err, EX_DATAERR, "cannot queue a message without recipients");
	if (afile_tmp_open(&t, q->sub[SUB_TMP], err) < 0)
		goto fail;
	/* The temporary name is unique in the store, so it becomes the id. */
	free(e->id);
	e->id = xstrdup(base_name(t.path));
	body_path = sub_path(q, SUB_MSG, e->id);
	if (afile_write_all(t.fd, body, len, err) < 0) {
		err_prefix(err, "'%s'", t.path);
		afile_tmp_abort(&t);
		goto fail;
	}
	/* Body first: an envelope must never be visible before its body. */
	if (afile_tmp_commit(&t, body_path, err) < 0) {
		afile_tmp_abort(&t);
		goto fail_body;
	}

	now = time(NULL);
	if (e->created == 0)
		e->created = now;
	if (e->next_attempt == 0)
		e->next_attempt = e->created;
	e->size = len;
	e->state = QUEUE_ST_QUEUED;
	queue_env_format(e, &env);
	env_path = sub_path(q, SUB_ENV, e->id);
	if (afile_tmp_open(&t, q->sub[SUB_TMP], err) < 0)
		goto fail_body;
	if (afile_write_all(t.fd, env.data, env.len, err) < 0) {
		err_prefix(err, "'%s'", t.path);
		afile_tmp_abort(&t);
		goto fail_body;
	}
	if (afile_tmp_commit(&t, env_path, err) < 0) {
		afile_tmp_abort(&t);
		/* A failed directory fsync leaves the envelope in place but not
		 * known durable; take it back so the caller's "not queued" is
		 * true and a retry by the caller sends no duplicate. */
		unlink(env_path);
		goto fail_body;
	}
	buf_release(&env);
	free(body_path);
	free(env_path);
	if (id_out)
		*id_out = xstrdup(e->id);
	return 0;

fail_body:
	unlink(body_path);
fail:
	err_prefix(err, "cannot queue message");
	buf_release(&env);
	free(body_path);
	free(env_path);
	free(e->id);
	e->id = NULL;
	return -1;
}

static int lock_store(struct queue *q, struct err *err)
{
	return afile_lock(q->lock_path, 1, err);
}

/* Read and parse one envelope file. */
static struct queue_env *read_env(const char *path, enum queue_state st, struct err *err)
{
	struct queue_env *e;
	char *data;
	size_t len;

	if (afile_read(path, ENV_MAX, &data, &len, err) < 0)
		return NULL;
	e = queue_env_parse(data, len, path, err);
	free(data);
	if (!e)
		return NULL;
	e->id = xstrdup(base_name(path));
	e->state = st;
	return e;
}

/* Where id's envelope lives now; -1 with EX_NOINPUT when nowhere. */
static int find_state(const struct queue *q, const char *id, enum queue_state *st_out,
		      struct err *err)
{
	static const enum queue_state order[] = { QUEUE_ST_QUEUED, QUEUE_ST_HELD, QUEUE_ST_FAILED };
	size_t i;
	char *p;

	if (!queue_id_valid(id))
		return err_set(err, EX_NOINPUT, "no message '%.200s' in the queue", id);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		p = sub_path(q, state_sub(order[i]), id);
		if (exists(p)) {
			free(p);
			*st_out = order[i];
			return 0;
		}
		free(p);
	}
	return err_set(err, EX_NOINPUT, "no message '%s' in the queue", id);
}

static struct queue_env *load_locked(struct queue *q, const char *id, struct err *err)
{
	enum queue_state st;
	struct queue_env *e;
	char *p;

	if (find_state(q, id, &st, err) < 0)
		return NULL;
	p = sub_path(q, state_sub(st), id);
	e = read_env(p, st, err);
	free(p);
	return e;
}

struct queue_env *queue_load(struct queue *q, const char *id, struct err *err)
{
	struct queue_env *e;
	int fd = lock_store(q, err);

	if (fd < 0)
		return NULL;
	e = load_locked(q, id, err);
	afile_unlock(fd);
	return e;
}

/* Rewrite e's envelope in its current directory. */
static int write_env(struct queue *q, const struct queue_env *e, struct err *err)
{
	struct buf b = BUF_INIT;
	char *p = sub_path(q, state_sub(e->state), e->id);
	int rc;

	queue_env_format(e, &b);
	rc = afile_write(p, b.data, b.len, 0, err);
	buf_release(&b);
	free(p);
	return rc;
}

/* Take the store lock for changing e's message, which must still be in
 * the state e was loaded in (an admin command may have moved or removed it
 * meanwhile).  Returns the lock fd, or -1 with err set. */
static int lock_in_state(struct queue *q, const struct queue_env *e, const char *what,
			 struct err *err)
{
	char *p;
	int fd;

	if (!e->id)
		return err_set(err, EX_SOFTWARE, "cannot %s an envelope that was never queued", what);
	fd = lock_store(q, err);
	if (fd < 0)
		return -1;
	p = sub_path(q, state_sub(e->state), e->id);
	if (!exists(p)) {
		err_set(err, EX_NOINPUT, "message '%s' is no longer %s", e->id,
			state_names[e->state]);
		afile_unlock(fd);
		fd = -1;
	}
	free(p);
	return fd;
}

int queue_save_envelope(struct queue *q, const struct queue_env *e, struct err *err)
{
	int fd = lock_in_state(q, e, "save", err), rc;

	if (fd < 0)
		return -1;
	rc = write_env(q, e, err);
	afile_unlock(fd);
	return rc;
}

int queue_read_body(struct queue *q, const char *id, char **data_out, size_t *len_out,
		    struct err *err)
{
	char *p;
	int rc;

	if (!queue_id_valid(id))
		return err_set(err, EX_NOINPUT, "no message '%.200s' in the queue", id);
	p = queue_body_path(q, id);
	rc = afile_read(p, 0, data_out, len_out, err);
	free(p);
	return rc;
}

/* Move id's envelope from one state directory to another: one rename, then
 * both directories fsync'd (the target first, so the entry is durable
 * somewhere before it is durably gone from the source). */
static int move_env(struct queue *q, const char *id, enum queue_state from,
		    enum queue_state to, struct err *err)
{
	char *src = sub_path(q, state_sub(from), id), *dst = sub_path(q, state_sub(to), id);
	int rc = 0;

	if (rename(src, dst) < 0)
		rc = err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename '%s' to '%s'",
			     src, dst);
	else if (afile_fsync_dir(q->sub[state_sub(to)], err) < 0 ||
		 afile_fsync_dir(q->sub[state_sub(from)], err) < 0)
		rc = -1;
	free(src);
	free(dst);
	return rc;
}

/* Take the store lock and find where id's envelope is (*st_out): the
 * lock's descriptor for afile_unlock(), or -1 (not locked) with err. */
static int lock_find(struct queue *q, const char *id, enum queue_state *st_out,
		     struct err *err)
{
	int fd = lock_store(q, err);

	if (fd >= 0 && find_state(q, id, st_out, err) < 0) {
		afile_unlock(fd);
		return -1;
	}
	return fd;
}

int queue_remove(struct queue *q, const char *id, struct err *err)
{
	enum queue_state st;
	char *p;
	int fd, rc = -1;

	fd = lock_find(q, id, &st, err);
	if (fd < 0)
		return -1;
	p = sub_path(q, state_sub(st), id);
	if (unlink(p) < 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot remove '%s'", p);
		free(p);
		goto out;
	}
	free(p);
	if (afile_fsync_dir(q->sub[state_sub(st)], err) < 0)
		goto out;
	/* The envelope is gone, so the message is gone; a body left behind
	 * by a failure here is an orphan the next sweep removes. */
	p = queue_body_path(q, id);
	if (unlink(p) == 0 || errno == ENOENT)
		rc = afile_fsync_dir(q->sub[SUB_MSG], err);
	else
		rc = err_sys(err, afile_err_code(errno, EX_IOERR), "cannot remove '%s'", p);
	free(p);
out:
	afile_unlock(fd);
	return rc;
}

int queue_done_nosync(struct queue *q, const char *id, struct err *err)
{
	static const enum queue_state order[] = { QUEUE_ST_QUEUED, QUEUE_ST_HELD, QUEUE_ST_FAILED };
	char *dst, *src;
	size_t i;

	if (!queue_id_valid(id))
		return err_set(err, EX_NOINPUT, "no message '%.200s' in the queue", id);
	/* A rename, not an unlink: freeing the envelope's inode costs several
	 * times as much, and is left to the reaper.  No store lock: one
	 * rename leaves no state in between for a sweep or an admin command
	 * to trip over. */
	dst = sub_path(q, SUB_DONE, id);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum sub s = state_sub(order[i]);

		src = sub_path(q, s, id);
		if (rename(src, dst) == 0) {
			free(src);
			free(dst);
			q->dirty |= 1u << s | 1u << SUB_DONE;
			if (q->ndone == q->done_cap) {
				q->done_cap = q->done_cap ? 2 * q->done_cap : 64;
				q->done = xreallocarray(q->done, q->done_cap, sizeof(*q->done));
			}
			q->done[q->ndone++] = xstrdup(id);
			return 0;
		}
		if (errno != ENOENT) {
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot rename '%s' to '%s'", src,
				dst);
			free(src);
			free(dst);
			return -1;
		}
		free(src);
	}
	free(dst);
	return err_set(err, EX_NOINPUT, "no message '%s' in the queue", id);
}

size_t queue_pending(const struct queue *q)
{
	return q->ndone;
}

/* Unlink msg/ID, then done/ID: the record goes last, so whatever a killed
 * process leaves behind is found through done/ by queue_recover().
 * Neither needs an fsync: what comes back after a crash is removed by
 * queue_recover() too. */
static void reap_one(const char *done_dir, const char *msg_dir, const char *id)
{
	char *p = path_join(msg_dir, id);

	(void)unlink(p);
	free(p);
	p = path_join(done_dir, id);
	(void)unlink(p);
	free(p);
}

static void reaper_take(void *arg)
{
	struct reaper *rp = arg;

	rp->cur = rp->ids[--rp->n];
}

static void reaper_run(void *arg)
{
	struct reaper *rp = arg;

	reap_one(rp->done_dir, rp->msg_dir, rp->cur);
	free(rp->cur);
	rp->cur = NULL;
}

/* Hand ids[0..n) (taken over) to the reaper; without a thread (it could
 * not be started) do the work here. */
static void reaper_add(struct queue *q, char **ids, size_t n)
{
	struct reaper *rp = &q->reaper;
	size_t i;

	if (!rp->tried) {
		rp->tried = 1;
		rp->done_dir = q->sub[SUB_DONE];
		rp->msg_dir = q->sub[SUB_MSG];
		rp->w = worker_new(reaper_take, reaper_run, rp);
	}
	if (!rp->w) {
		for (i = 0; i < n; i++) {
			reap_one(q->sub[SUB_DONE], q->sub[SUB_MSG], ids[i]);
			free(ids[i]);
		}
		return;
	}
	worker_lock(rp->w);
	if (rp->n + n > rp->cap) {
		rp->cap = rp->n + n + 64;
		rp->ids = xreallocarray(rp->ids, rp->cap, sizeof(*rp->ids));
	}
	for (i = 0; i < n; i++)
		rp->ids[rp->n++] = ids[i];
	worker_added(rp->w, n);
	worker_unlock(rp->w);
}

/* Finish the reaper's work and end its thread. */
static void reaper_stop(struct reaper *rp)
{
	worker_free(rp->w);
	free(rp->ids);
	memset(rp, 0, sizeof(*rp));
}

void queue_reap_wait(struct queue *q)
{
	worker_drain(q->reaper.w);
}

int queue_sync(struct queue *q, struct err *err)
{
	/* done/ first: the record is durable before the envelope is durably
	 * gone from its state directory (as move_env does). */
	static const enum sub order[] = { SUB_DONE, SUB_ENV, SUB_HOLD, SUB_FAILED };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]) && rc == 0; i++)
		if (q->dirty & (1u << order[i]))
			rc = afile_fsync_dir(q->sub[order[i]], err);
	q->dirty = 0;
	if (rc < 0) {
		/* Not known durable: the files stay until a recovery sweep
		 * (which fsyncs first) removes them. */
		for (i = 0; i < q->ndone; i++)
			free(q->done[i]);
		q->ndone = 0;
		return rc;
	}
	if (q->ndone == 0)
		return 0;
	/* The rest is cleaning up after messages that are out of the queue
	 * for good; it need not be durable (queue_recover() removes what
	 * comes back), so it runs in the background. */
	reaper_add(q, q->done, q->ndone);   /* takes the strings, not the array */
	free(q->done);
	q->done = NULL;
	q->ndone = q->done_cap = 0;
	return rc;
}

/* The common part of hold and release: move id from `from` to `to`; a
 * message already in `to` is left alone, a failed one is refused. */
static int change_state(struct queue *q, const char *id, enum queue_state from,
			enum queue_state to, struct err *err)
{
	enum queue_state st;
	int fd, rc = -1;

	fd = lock_find(q, id, &st, err);
	if (fd < 0)
		return -1;
	if (st == to)
		rc = 0;
	else if (st == from)
		rc = move_env(q, id, from, to, err);
	else
		err_set(err, EX_DATAERR, "message '%s' has failed; use retry to queue it again", id);
	afile_unlock(fd);
	return rc;
}

int queue_hold(struct queue *q, const char *id, struct err *err)
{
	return change_state(q, id, QUEUE_ST_QUEUED, QUEUE_ST_HELD, err);
}

int queue_release(struct queue *q, const char *id, struct err *err)
{
	return change_state(q, id, QUEUE_ST_HELD, QUEUE_ST_QUEUED, err);
}

/* Retry one message, the store lock held.  held_too: release held ones. */
static int retry_locked(struct queue *q, const char *id, int held_too, time_t now,
			struct err *err)
{
	struct queue_env *e = load_locked(q, id, err);
	size_t i;
	int rc = 0;

	if (!e)
		return -1;
	if (e->state == QUEUE_ST_HELD && !held_too)
		goto out;
	if (e->state == QUEUE_ST_FAILED) {
		e->attempts = 0;
		queue_env_set_error(e, NULL);
		for (i = 0; i < e->nrcpt; i++) {
			if (e->rcpt[i].st == QUEUE_RCPT_BOUNCED || e->rcpt[i].st == QUEUE_RCPT_DEFERRED)
				queue_env_set_rcpt(e, i, QUEUE_RCPT_PENDING, NULL);
		}
	}
	if (e->next_attempt > now || e->state == QUEUE_ST_FAILED) {
		e->next_attempt = now;
		/* Rewritten where it is, then moved with one rename: a crash in
		 * between leaves a failed message with a reset counter, which a
		 * second retry finishes. */
		rc = write_env(q, e, err);
	}
	if (rc == 0 && e->state != QUEUE_ST_QUEUED)
		rc = move_env(q, id, e->state, QUEUE_ST_QUEUED, err);
out:
	queue_env_free(e);
	return rc;
}

/* The ids of one state directory (dot files and foreign names skipped). */
static int scan_dir(const char *dir, char ***ids_out, size_t *n_out, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **ids = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open directory '%s'",
			       dir);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!queue_id_valid(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = xstrdup(de->d_name);
	}
	if (errno != 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read directory '%s'", dir);
		closedir(d);
		while (n > 0)
			free(ids[--n]);
		free(ids);
		return -1;
	}
	closedir(d);
	*ids_out = ids;
	*n_out = n;
	return 0;
}

static void free_ids(char **ids, size_t n)
{
	while (n > 0)
		free(ids[--n]);
	free(ids);
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* scan_dir(), sorted for has_id(). */
static int scan_sorted(const char *dir, char ***ids_out, size_t *n_out, struct err *err)
{
	if (scan_dir(dir, ids_out, n_out, err) < 0)
		return -1;
	if (*n_out > 1)
		qsort(*ids_out, *n_out, sizeof(**ids_out), id_cmp);
	return 0;
}

/* The ids with an envelope in any state, sorted. */
static int scan_states(const struct queue *q, char ***ids_out, size_t *n_out, struct err *err)
{
	char **all = NULL, **ids;
	size_t n = 0, k, m;

	for (k = SUB_ENV; k <= SUB_FAILED; k++) {
		if (scan_dir(q->sub[k], &ids, &m, err) < 0) {
			free_ids(all, n);
			return -1;
		}
		if (m > 0) {
			all = xreallocarray(all, n + m, sizeof(*all));
			memcpy(all + n, ids, m * sizeof(*ids));
			n += m;
		}
		free(ids);
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), id_cmp);
	*ids_out = all;
	*n_out = n;
	return 0;
}

/* Whether id is in sorted ids[0..n). */
static int has_id(char *const *ids, size_t n, const char *id)
{
	return n > 0 && bsearch(&id, ids, n, sizeof(*ids), id_cmp) != NULL;
}

int queue_retry(struct queue *q, const char *id, struct err *err)
{
	static const enum sub subs[] = { SUB_FAILED, SUB_ENV };
	time_t now = time(NULL);
	char **ids;
	size_t n, i, k;
	int fd, rc = 0;

	fd = lock_store(q, err);
	if (fd < 0)
		return -1;
	if (id) {
		rc = retry_locked(q, id, 1, now, err);
		afile_unlock(fd);
		return rc;
	}
	for (k = 0; k < sizeof(subs) / sizeof(subs[0]) && rc == 0; k++) {
		if (scan_dir(q->sub[subs[k]], &ids, &n, err) < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < n && rc == 0; i++) {
			rc = retry_locked(q, ids[i], 0, now, err);
			if (rc < 0)
				err_prefix(err, "cannot retry '%s'", ids[i]);
		}
		free_ids(ids, n);
	}
	afile_unlock(fd);
	return rc;
}

static int fail_locked(struct queue *q, struct queue_env *e, const char *why,
		       struct err *err)
{
	if (why)
		queue_env_set_error(e, why);
	if (e->state == QUEUE_ST_FAILED)
		return write_env(q, e, err);
	if (write_env(q, e, err) < 0 || move_env(q, e->id, e->state, QUEUE_ST_FAILED, err) < 0)
		return -1;
	e->state = QUEUE_ST_FAILED;
	return 0;
}

int queue_fail(struct queue *q, struct queue_env *e, const char *why, struct err *err)
{
	int fd = lock_in_state(q, e, "fail", err), rc;

	if (fd < 0)
		return -1;
	rc = fail_locked(q, e, why, err);
	afile_unlock(fd);
	return rc;
}

static int env_cmp(const void *a, const void *b)
{
	const struct queue_env *x = *(const struct queue_env *const *)a;
	const struct queue_env *y = *(const struct queue_env *const *)b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

int queue_list(struct queue *q, struct queue_env ***list_out, size_t *n_out, struct err *err)
{
	static const enum queue_state states[] = { QUEUE_ST_QUEUED, QUEUE_ST_HELD, QUEUE_ST_FAILED };
	struct queue_env **list = NULL, *e;
	struct err perr = ERR_INIT;
	size_t n = 0, cap = 0, nids, i, k;
	char **ids, *p;
	int fd;

	fd = lock_store(q, err);
	if (fd < 0)
		return -1;
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
		if (scan_dir(q->sub[state_sub(states[k])], &ids, &nids, err) < 0) {
			afile_unlock(fd);
			queue_list_free(list, n);
			return -1;
		}
		for (i = 0; i < nids; i++) {
			p = sub_path(q, state_sub(states[k]), ids[i]);
			err_clear(&perr);
			e = read_env(p, states[k], &perr);
			if (!e) {
				/* Listed with the reason, so a bad file is seen
				 * and can be removed, never silently skipped. */
				e = queue_env_new();
				e->id = xstrdup(ids[i]);
				e->state = states[k];
				queue_env_set_error(e, perr.msg);
			}
			free(p);
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				list = xreallocarray(list, cap, sizeof(*list));
			}
			list[n++] = e;
		}
		free_ids(ids, nids);
	}
	afile_unlock(fd);
	if (n > 1)
		qsort(list, n, sizeof(*list), env_cmp);
	*list_out = list;
	*n_out = n;
	return 0;
}

void queue_list_free(struct queue_env **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		queue_env_free(list[i]);
	free(list);
}

/* Whether path's modification time is at least max_age seconds ago. */
static int is_stale(const char *path, long max_age, time_t now)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return 0;
	return now - st.st_mtime >= max_age;
}

/* Remove stale entries of dir: all of them in tmp/ (dot files included:
 * nothing else writes there); elsewhere only the ".NAME.tmp" files an
 * envelope rewrite (afile_write) leaves when it is killed. */
static int sweep_dir(const char *dir, int only_tmp, long max_age, time_t now,
		     unsigned *count, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t len;
	char *p;

	if (!d)
		return err_sys(err, afile_err_code(errno, EX_IOERR), "cannot open directory '%s'",
			       dir);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		len = strlen(de->d_name);
		if (only_tmp && (de->d_name[0] != '.' || len < 5 ||
				 strcmp(de->d_name + len - 4, ".tmp") != 0))
			continue;
		p = path_join(dir, de->d_name);
		if (is_stale(p, max_age, now) && unlink(p) == 0)
			(*count)++;
		free(p);
	}
	closedir(d);
	return 0;
}

/* Move an envelope whose body is gone to failed/, saying so. */
static int fail_broken(struct queue *q, const char *id, enum queue_state st, struct err *err)
{
	static const char why[] = "the message body is missing from the queue; it cannot be sent";
	struct queue_env *e;
	struct err perr = ERR_INIT;
	char *p = sub_path(q, state_sub(st), id);
	int rc;

	e = read_env(p, st, &perr);
	free(p);
	/* An envelope that cannot even be parsed moves as it is; list shows
	 * its parse error. */
	if (!e)
		return move_env(q, id, st, QUEUE_ST_FAILED, err);
	rc = fail_locked(q, e, why, err);
	queue_env_free(e);
	return rc;
}

int queue_recover(struct queue *q, long max_age, struct queue_recovery *rec,
		  struct err *err)
{
	static const enum queue_state live[] = { QUEUE_ST_QUEUED, QUEUE_ST_HELD };
	struct queue_recovery r = { 0, 0, 0, 0 };
	time_t now = time(NULL);
	char **ids, **bodies = NULL, *p;
	size_t n, i, k, nbodies = 0;
	int fd, rc = 0, any;

	fd = lock_store(q, err);
	if (fd < 0)
		return -1;
	if (sweep_dir(q->sub[SUB_TMP], 0, max_age, now, &r.tmp_removed, err) < 0) {
		rc = -1;
		goto out;
	}
	for (k = SUB_ENV; k <= SUB_FAILED && rc == 0; k++)
		rc = sweep_dir(q->sub[k], 1, max_age, now, &r.tmp_removed, err);
	if (rc < 0)
		goto out;
	/* The listings are compared in memory (a stat per message would cost
	 * more than the flush of a small queue); what looks wrong in them is
	 * checked again on disk before anything is done about it. */
	if (scan_sorted(q->sub[SUB_MSG], &bodies, &nbodies, err) < 0) {
		rc = -1;
		goto out;
	}
	/* Envelopes without a body. */
	for (k = 0; k < sizeof(live) / sizeof(live[0]) && rc == 0; k++) {
		if (scan_dir(q->sub[state_sub(live[k])], &ids, &n, err) < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < n && rc == 0; i++) {
			if (has_id(bodies, nbodies, ids[i]))
				continue;
			p = queue_body_path(q, ids[i]);
			if (!exists(p)) {
				rc = fail_broken(q, ids[i], live[k], err);
				r.broken++;
			}
			free(p);
		}
		free_ids(ids, n);
	}
	if (rc < 0)
		goto out;
	/* Bodies without an envelope: a crash between the two commits of
	 * queue_add, or between the two unlinks of queue_remove.  The
	 * envelopes are listed after the bodies, so a message queued in
	 * between is seen with both. */
	if (scan_states(q, &ids, &n, err) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < nbodies; i++) {
		if (has_id(ids, n, bodies[i]))
			continue;
		any = 0;
		for (k = SUB_ENV; k <= SUB_FAILED && !any; k++) {
			p = sub_path(q, (enum sub)k, bodies[i]);
			any = exists(p);
			free(p);
		}
		p = queue_body_path(q, bodies[i]);
		if (!any && is_stale(p, max_age, now) && unlink(p) == 0)
			r.orphans_removed++;
		free(p);
	}
	free_ids(ids, n);
	if (r.orphans_removed > 0)
		rc = afile_fsync_dir(q->sub[SUB_MSG], err);
	/* Messages a flusher finished (queue_done_nosync) but did not get
	 * to remove: only when this process holds the flush lock, so no
	 * other flusher is still between its rename and its sync; the
	 * directories are fsync'd first so that the removal never gets
	 * ahead of the record on disk. */
	if (rc == 0 && q->flush_fd >= 0) {
		if (scan_dir(q->sub[SUB_DONE], &ids, &n, err) < 0) {
			rc = -1;
			goto out;
		}
		if (n > 0 && (afile_fsync_dir(q->sub[SUB_DONE], err) < 0 ||
			      afile_fsync_dir(q->sub[SUB_ENV], err) < 0))
			rc = -1;
		for (i = 0; i < n && rc == 0; i++) {
			reap_one(q->sub[SUB_DONE], q->sub[SUB_MSG], ids[i]);
			r.done_removed++;
		}
		free_ids(ids, n);
	}
out:
	free_ids(bodies, nbodies);
	afile_unlock(fd);
	if (rec)
		*rec = r;
	if (rc < 0)
		err_prefix(err, "queue recovery");
	return rc;
}

int queue_lock_flush(struct queue *q, struct err *err)
{
	int fd;

	if (q->flush_fd >= 0)
		return 0;
	fd = afile_lock(q->flush_lock_path, 0, err);
	if (fd < 0)
		return -1;
	q->flush_fd = fd;
	return 0;
}

void queue_unlock_flush(struct queue *q)
{
	afile_unlock(q->flush_fd);
	q->flush_fd = -1;
}
