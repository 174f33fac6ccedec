#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "codec.h"
#include "events.h"
#include "log.h"
#include "out.h"
#include "path.h"
#include "xalloc.h"

char *events_path(void)
{
	const char *env = getenv("SUREL_EVENTS");

	if (env && env[0] == '/')
		return xstrdup(env);
	return path_xdg(PATH_XDG_STATE, "events.jsonl");
}

/* The length of a valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t k, i;

	if (p[0] < 0x80)
		return 1;
	k = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	if (k == 0 || k > n)
		return 0;
	for (i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return codec_utf8_valid((const char *)p, k) ? k : 0;
}

/* s as a JSON string, valid UTF-8, at most max bytes of it. */
static void put_str(struct buf *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), used = 0, k;

	buf_putc(b, '"');
	while (n > 0 && used < max) {
		k = utf8_len(p, n);
		if (k == 0) {
			buf_puts(b, "\\ufffd");
			k = 1;
		} else if (*p == '"' || *p == '\\') {
			buf_printf(b, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\u%04x", *p);
		} else {
			if (used + k > max)
				break;
			buf_append(b, (const char *)p, k);
		}
		p += k;
		n -= k;
		used += k;
	}
	buf_putc(b, '"');
}

/* Rename a journal grown past EVENTS_ROTATE_SIZE, once: the lock and the
 * second look at the file keep two writers from rotating twice. */
static void rotate(const char *path, const struct stat *mine)
{
	struct err err = ERR_INIT;
	struct stat st;
	char *lock = xasprintf("%s.lock", path), *old = xasprintf("%s.1", path);
	int fd = afile_lock(lock, 0, &err);

	if (fd >= 0) {
		if (stat(path, &st) == 0 && st.st_ino == mine->st_ino &&
		    st.st_dev == mine->st_dev && st.st_size > EVENTS_ROTATE_SIZE &&
		    rename(path, old) < 0)
			log_warnx("cannot rotate the event journal '%s': %s", path, strerror(errno));
		afile_unlock(fd);
	}
	free(lock);
	free(old);
}

void events_log(const char *type, const char *account, ...)
{
	struct buf line = BUF_INIT, field = BUF_INIT;
	struct err err = ERR_INIT;
	struct stat st;
	char *path = events_path(), *dir, stamp[32];
	const char *k, *v;
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int fd;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&line, "{\"time\":\"%s\",\"unix\":%lld,\"type\":", stamp, (long long)now);
	put_str(&line, type, EVENTS_VALUE_MAX);
	buf_puts(&line, ",\"account\":");
	if (account && account[0])
		put_str(&line, account, EVENTS_VALUE_MAX);
	else
		buf_puts(&line, "null");
	va_start(ap, account);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		buf_reset(&field);
		buf_putc(&field, ',');
		put_str(&field, k, 64);
		buf_putc(&field, ':');
		if (v)
			put_str(&field, v, EVENTS_VALUE_MAX);
		else
			buf_puts(&field, "null");
		/* A field that would make the line too long for one atomic
		 * write is left out. */
		if (line.len + field.len + 2 <= EVENTS_LINE_MAX)
			buf_append(&line, field.data, field.len);
	}
	va_end(ap);
	buf_puts(&line, "}\n");
	dir = path_dirname(path);
	if (afile_mkdirs(dir, &err) < 0)
		goto out;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(&err, EX_CANTCREAT, "%s", strerror(errno));
		goto out;
	}
	/* One write: appended whole or not at all (see events.h). */
	if (write(fd, line.data, line.len) != (ssize_t)line.len)
		err_set(&err, EX_IOERR, "%s", strerror(errno));
	if (fstat(fd, &st) == 0 && st.st_size > EVENTS_ROTATE_SIZE)
		rotate(path, &st);
	close(fd);
out:
	if (err.msg[0])
		log_warnx("cannot write the event journal '%s': %s", path, err.msg);
	free(dir);
	free(path);
	buf_release(&line);
	buf_release(&field);
}

int events_parse_since(const char *s, time_t now, time_t *out, struct err *err)
{
	struct tm tm;
	char *end;
	long long n;
	const char *rest;

	if (s[0] == '@' || s[0] == '-') {
		errno = 0;
		n = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || n < 0)
			goto bad;
		if (s[0] == '@' && *end == '\0') {
			*out = (time_t)n;
			return 0;
		}
		if (s[0] == '@' || end[0] == '\0' || end[1] != '\0' || !strchr("smhd", end[0]))
			goto bad;
		*out = now - (time_t)(n * (end[0] == 's' ? 1 : end[0] == 'm' ? 60 :
					   end[0] == 'h' ? 3600 : 86400));
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%d", &tm);
	if (!rest)
		goto bad;
	if (*rest == 'T' || *rest == ' ') {
		const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);

		rest = r2 ? r2 : strptime(rest + 1, "%H:%M", &tm);
		if (!rest)
			goto bad;
	}
	if (*rest == 'Z')
		rest++;
	if (*rest != '\0')
		goto bad;
	*out = timegm(&tm);
	return 0;
bad:
	return err_set(err, EX_USAGE, "bad time '%s' (use @EPOCH, YYYY-MM-DD[THH:MM[:SS]] or -N[smhd])",
		       s);
}

/* The "unix" member of a journal line, -1 when it has none. */
static long long line_time(const char *p, size_t n)
{
	static const char key[] = "\"unix\":";
	const char *k = memmem(p, n, key, sizeof(key) - 1);

	if (!k)
		return -1;
	return strtoll(k + sizeof(key) - 1, NULL, 10);
}

/* Print the complete lines of fd from where it stands that are since or
 * later; a last line without its end stays in pend for the next call. */
static int print_new(int fd, time_t since, struct buf *pend, struct err *err)
{
	char chunk[8192];
	ssize_t got;
	size_t start, nl;

	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return err_set(err, EX_IOERR, "cannot read the event journal: %s",
				       strerror(errno));
		if (got == 0)
			break;
		buf_append(pend, chunk, (size_t)got);
	}
	start = 0;
	while (start < pend->len) {
		const char *p = pend->data + start, *e = memchr(p, '\n', pend->len - start);

		if (!e)
			break;
		nl = (size_t)(e - p) + 1;
		if (line_time(p, nl) >= (long long)since && out_write(p, nl, err) < 0)
			return -1;
		start += nl;
	}
	memmove(pend->data, pend->data + start, pend->len - start);
	pend->len -= start;
	return out_flush(err);
}

int events_print(time_t since, int follow, volatile sig_atomic_t *stop, struct err *err)
{
	struct buf pend = BUF_INIT;
	struct stat st, now;
	char *path = events_path(), *old = xasprintf("%s.1", path);
	int fd, rc = 0;

	fd = open(old, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		rc = print_new(fd, since, &pend, err);
		close(fd);
		pend.len = 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) < 0)
		st.st_ino = 0;
	while (rc == 0) {
		if (fd >= 0)
			rc = print_new(fd, since, &pend, err);
		if (rc < 0 || !follow || (stop && *stop))
			break;
		usleep(100 * 1000);
		/* Rotated or created since: read the rest of the old file,
		 * then go on with the new one. */
		if (stat(path, &now) == 0 && (fd < 0 || now.st_ino != st.st_ino)) {
			if (fd >= 0) {
				rc = print_new(fd, since, &pend, err);
				close(fd);
			}
			pend.len = 0;
			fd = open(path, O_RDONLY | O_CLOEXEC);
			st = now;
		}
	}
	if (fd >= 0)
		close(fd);
	buf_release(&pend);
	free(path);
	free(old);
	return rc;
}
