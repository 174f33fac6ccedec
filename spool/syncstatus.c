#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "codec.h"
#include "fetch.h"
#include "log.h"
#include "path.h"
#include "syncstatus.h"
#include "xalloc.h"

char *syncstatus_path(const char *account)
{
	char *dir = path_xdg(PATH_XDG_STATE, "sync");
	char *enc = fetch_name_enc(account);
	char *name = xasprintf("%s.status", enc);
	char *p = path_join(dir, name);

	free(dir);
	free(enc);
	free(name);
	return p;
}

/* The reason made safe and one line, cut at a character boundary. */
static void set_reason(struct syncstatus *st, const char *text, size_t len)
{
	struct buf b = BUF_INIT;
	size_t n;

	codec_sanitize(text, len, 0, &b);
	n = b.len < sizeof(st->reason) ? b.len : sizeof(st->reason) - 1;
	while (n > 0 && n < b.len && ((unsigned char)b.data[n] & 0xC0) == 0x80)
		n--;
	if (n)
		memcpy(st->reason, b.data, n);
	st->reason[n] = '\0';
	buf_release(&b);
}

static void parse_line(struct syncstatus *st, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	size_t klen;
	long long v;

	if (!sp)
		return;
	klen = (size_t)(sp - line);
	if (klen == 6 && memcmp(line, "reason", 6) == 0) {
		set_reason(st, sp + 1, len - klen - 1);
		return;
	}
	v = strtoll(sp + 1, NULL, 10);
	if (klen == 7 && memcmp(line, "running", 7) == 0)
		st->running = v != 0;
	else if (klen == 3 && memcmp(line, "pid", 3) == 0)
		st->pid = (pid_t)v;
	else if (klen == 7 && memcmp(line, "started", 7) == 0)
		st->started = (time_t)v;
	else if (klen == 7 && memcmp(line, "success", 7) == 0)
		st->success = (time_t)v;
	else if (klen == 7 && memcmp(line, "failure", 7) == 0)
		st->failure = (time_t)v;
}

int syncstatus_read(const char *account, struct syncstatus *st, struct err *err)
{
	char *path = syncstatus_path(account), *data, *p, *end;
	size_t len;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = afile_read(path, 64 * 1024, &data, &len, err);
	free(path);
	if (rc < 0) {
		if (err->code != EX_NOINPUT)
			return -1;
		err_clear(err);
		return 0;
	}
	for (p = data; p < data + len; p = end + 1) {
		end = memchr(p, '\n', (size_t)(data + len - p));
		if (!end)
			end = data + len;
		parse_line(st, p, (size_t)(end - p));
	}
	free(data);
	/* A sync killed with -9 leaves running 1 behind; its pid tells. */
	if (st->running && (st->pid <= 0 || (kill(st->pid, 0) < 0 && errno == ESRCH)))
		st->running = 0;
	return 0;
}

/* Replace the record at path (in directory dir) by a rename that is not
 * fsync'd: the status line's news, which a sync must not wait on the disk
 * for twice; after a power loss an older record may come back. */
static int replace(const char *path, const char *dir, const struct buf *b, struct err *err)
{
	char *name = afile_unique_name(), *tmp = xasprintf("%s/.%s.tmp", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), rc = -1;

	free(name);
	if (fd < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot create '%s'", tmp);
		free(tmp);
		return -1;
	}
	if (afile_write_all(fd, b->data, b->len, err) == 0) {
		rc = close(fd);
		fd = -1;
		if (rc < 0)
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot write '%s'", tmp);
		else if ((rc = rename(tmp, path)) < 0)
			err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename into '%s'",
				path);
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static void write_record(const char *account, const struct syncstatus *st)
{
	struct err err = ERR_INIT;
	char *path = syncstatus_path(account), *dir = path_dirname(path);
	struct buf b = BUF_INIT;

	buf_printf(&b, "version 1\nrunning %d\npid %ld\nstarted %" PRIdMAX "\nsuccess %" PRIdMAX
		       "\nfailure %" PRIdMAX "\nreason %s\n",
		   st->running, (long)st->pid, (intmax_t)st->started, (intmax_t)st->success,
		   (intmax_t)st->failure, st->reason);
	if (afile_mkdirs(dir, &err) < 0 || replace(path, dir, &b, &err) < 0)
		log_warnx("sync status of account '%s' not written: %s", account, err.msg);
	buf_release(&b);
	free(dir);
	free(path);
}

static void load(const char *account, struct syncstatus *st)
{
	struct err err = ERR_INIT;

	if (syncstatus_read(account, st, &err) < 0) {
		log_debug("%s; starting a new sync status record", err.msg);
		memset(st, 0, sizeof(*st));
	}
}

void syncstatus_begin(const char *account)
{
	struct syncstatus st;

	load(account, &st);
	st.running = 1;
	st.pid = getpid();
	st.started = time(NULL);
	write_record(account, &st);
}

void syncstatus_end(const char *account, int ok, const char *reason)
{
	struct syncstatus st;

	load(account, &st);
	st.running = 0;
	st.pid = getpid();
	if (ok) {
		st.success = time(NULL);
	} else {
		st.failure = time(NULL);
		if (!reason || !*reason)
			reason = "unknown error";
		set_reason(&st, reason, strlen(reason));
	}
	write_record(account, &st);
}

/* "just now", "5 s ago"... "3 days ago". */
static void ago(time_t then, time_t now, char *out, size_t size)
{
	long d = now > then ? (long)(now - then) : 0;

	if (d < 10)
		snprintf(out, size, "just now");
	else if (d < 60)
		snprintf(out, size, "%ld s ago", d);
	else if (d < 3600)
		snprintf(out, size, "%ld min ago", d / 60);
	else if (d < 86400)
		snprintf(out, size, "%ld h ago", d / 3600);
	else
		snprintf(out, size, "%ld days ago", d / 86400);
}

void syncstatus_text(const struct syncstatus *st, time_t now, char *out, size_t size)
{
	char when[32];

	if (size == 0)
		return;
	out[0] = '\0';
	if (st->running) {
		snprintf(out, size, "syncing");
	} else if (st->failure && st->failure >= st->success) {
		ago(st->failure, now, when, sizeof(when));
		snprintf(out, size, "sync failed %s: %s", when, st->reason);
	} else if (st->success) {
		ago(st->success, now, when, sizeof(when));
		snprintf(out, size, "synced %s", when);
	}
}
