#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "mbox.h"
#include "path.h"
#include "xalloc.h"

/* How long reading waits for a writer's lock before asking for a retry. */
#define LOCK_WAIT 30
#define LOCK_POLL_NS (100 * 1000 * 1000L)

struct mbox_msg {
	size_t start, end;  /* the message's bytes in data, escaped */
	const char *sender; /* NUL-terminated in place inside the separator line */
	time_t date;
};

struct mbox {
	char *data;
	size_t len;
	struct mbox_msg *msgs;
	size_t n;
};

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int is_from(const char *p, size_t n)
{
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

/* Whether the line [p, p+n) (with its newline) is empty. */
static int is_empty_line(const char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Read an unsigned number of at most 4 digits; NULL when there is none. */
static const char *number(const char *p, const char *end, int *v)
{
	int n = 0;

	*v = 0;
	while (p < end && n < 4 && *p >= '0' && *p <= '9') {
		*v = *v * 10 + (*p++ - '0');
		n++;
	}
	return n ? p : NULL;
}

/* The asctime date "Www Mmm dd hh:mm:ss yyyy" of a separator, read as UTC
 * by hand: strptime's %a and %b follow the locale, and the MUA runs with
 * the user's.  A zone token before the year is skipped. */
static int parse_date(const char *p, const char *end, time_t *out)
{
	struct tm tm;
	int mon, v;
	size_t i;

	memset(&tm, 0, sizeof(tm));
	p = skip_space(p, end);
	for (i = 0; i < 7; i++)
		if (end - p >= 3 && memcmp(p, wdays[i], 3) == 0)
			break;
	if (i == 7)
		return -1;
	p = skip_space(p + 3, end);
	for (mon = 0; mon < 12; mon++)
		if (end - p >= 3 && memcmp(p, months[mon], 3) == 0)
			break;
	if (mon == 12)
		return -1;
	tm.tm_mon = mon;
	p = skip_space(p + 3, end);
	if (!(p = number(p, end, &tm.tm_mday)))
		return -1;
	p = skip_space(p, end);
	if (!(p = number(p, end, &tm.tm_hour)) || p >= end || *p++ != ':' ||
	    !(p = number(p, end, &tm.tm_min)))
		return -1;
	if (p < end && *p == ':' && !(p = number(p + 1, end, &tm.tm_sec)))
		return -1;
	p = skip_space(p, end);
	if (p < end && (*p < '0' || *p > '9')) {
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		p = skip_space(p, end);
	}
	if (!number(p, end, &v) || v < 1970)
		return -1;
	tm.tm_year = v - 1900;
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Whether a "From " line has a sender and an asctime date after it, as
 * every mbox writer puts there: a body line "From the start ..." after
 * an empty line (unescaped in an mboxo or Content-Length file) has not,
 * and does not split the message (mutt's rule). */
static int separator_dated(const char *p, size_t n)
{
	const char *end = p + n, *q;

	if (n < 5)
		return 0;
	q = skip_space(p + 5, end);
	while (q < end && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
		q++;
	time_t t;

	return parse_date(q, end, &t) == 0;
}

/* Record the separator line [s, e) as the start of a new message. */
static void add_message(struct mbox *mb, size_t *cap, size_t s, size_t e)
{
	struct mbox_msg *m;
	char *p = mb->data + s + 5, *le = mb->data + e;
	char *tok;

	if (mb->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		mb->msgs = xreallocarray(mb->msgs, *cap, sizeof(*mb->msgs));
	}
	m = &mb->msgs[mb->n++];
	m->start = e;
	m->end = e;
	p = (char *)skip_space(p, le);
	tok = p;
	while (p < le && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
		p++;
	if (parse_date(p, le, &m->date) < 0)
		m->date = 0;
	/* The byte after the sender belongs to the separator line (a space or
	 * the line end), or is the NUL after the data: end the string there. */
	*p = '\0';
	m->sender = tok;
}

/* Split mb->data into messages by the rule in mbox.h; the data starts
 * with "From " (mbox_open checked). */
static void split(struct mbox *mb)
{
	const char *d = mb->data, *nl;
	size_t pos = 0, n, cap = 0, last_start = 0;
	int last_empty = 0;

	while (pos < mb->len) {
		nl = memchr(d + pos, '\n', mb->len - pos);
		n = nl ? (size_t)(nl - (d + pos)) + 1 : mb->len - pos;
		if ((pos == 0 || (last_empty && separator_dated(d + pos, n))) && is_from(d + pos, n)) {
			/* The empty line before a separator is mbox's, not the
			 * message's. */
			if (mb->n > 0)
				mb->msgs[mb->n - 1].end = last_start;
			add_message(mb, &cap, pos, pos + n);
			last_empty = 0;
		} else {
			last_empty = is_empty_line(d + pos, n);
			last_start = pos;
			mb->msgs[mb->n - 1].end = pos + n;
		}
		pos += n;
	}
	/* The last message loses its final blank line when there is one. */
	if (last_empty)
		mb->msgs[mb->n - 1].end = last_start;
}

/* Wait for an fcntl lock of type on all of fd, polling so a stuck holder
 * costs LOCK_WAIT seconds, not forever. */
static int fcntl_lock(int fd, short type, const char *path, struct err *err)
{
	const struct timespec poll = { 0, LOCK_POLL_NS };
	time_t deadline = time(NULL) + LOCK_WAIT;
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLK, &fl) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EACCES && errno != EAGAIN)
			return err_sys(err, afile_err_code(errno, EX_IOERR), "cannot lock '%s'",
				       path);
		if (time(NULL) >= deadline) {
			errno = EWOULDBLOCK;
			return err_sys(err, EX_TEMPFAIL, "cannot lock '%s'", path);
		}
		nanosleep(&poll, NULL);
	}
	return 0;
}

struct mbox *mbox_open(const char *path, struct err *err)
{
	struct buf b = BUF_INIT;
	struct mbox *mb;
	struct stat st;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", path);
		return NULL;
	}
	if (fcntl_lock(fd, F_RDLCK, path, err) < 0) {
		close(fd);
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		buf_grow(&b, (size_t)st.st_size + 1);
	for (;;) {
		if (b.cap - b.len < 2)
			buf_grow(&b, 65536);
		r = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read '%s'", path);
			close(fd);
			buf_release(&b);
			return NULL;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		b.data[b.len] = '\0';
	}
	close(fd);
	if (b.len > 0 && !is_from(b.data, b.len)) {
		buf_release(&b);
		err_set(err, EX_DATAERR, "cannot read '%s': not an mbox file", path);
		return NULL;
	}
	mb = xcalloc(1, sizeof(*mb));
	mb->data = buf_detach(&b, &mb->len);
	split(mb);
	return mb;
}

void mbox_free(struct mbox *mb)
{
	if (!mb)
		return;
	free(mb->data);
	free(mb->msgs);
	free(mb);
}

size_t mbox_count(const struct mbox *mb)
{
	return mb->n;
}

const char *mbox_sender(const struct mbox *mb, size_t i)
{
	return mb->msgs[i].sender;
}

time_t mbox_date(const struct mbox *mb, size_t i)
{
	return mb->msgs[i].date;
}

char *mbox_message(const struct mbox *mb, size_t i, size_t *len_out)
{
	const char *p = mb->data + mb->msgs[i].start, *end = mb->data + mb->msgs[i].end;
	const char *le, *q;
	char *out = xmalloc((size_t)(end - p) + 1);
	size_t o = 0;

	while (p < end) {
		le = memchr(p, '\n', (size_t)(end - p));
		le = le ? le + 1 : end;
		if (*p == '>') {
			for (q = p; q < le && *q == '>'; q++)
				;
			if (is_from(q, (size_t)(le - q)))
				p++;
		}
		memcpy(out + o, p, (size_t)(le - p));
		o += (size_t)(le - p);
		p = le;
	}
	out[o] = '\0';
	if (len_out)
		*len_out = o;
	return out;
}

int mbox_is(const char *path)
{
	struct stat st;
	char head[5];
	ssize_t r;
	int fd;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (st.st_size == 0)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	do
		r = pread(fd, head, sizeof(head), 0);
	while (r < 0 && errno == EINTR);
	close(fd);
	return r == (ssize_t)sizeof(head) && is_from(head, sizeof(head));
}

void mbox_format(struct buf *out, const char *data, size_t len, const char *sender,
		 time_t date)
{
	char when[64];
	struct tm tm;
	size_t i = 0, j;

	if (date == -1)
		date = time(NULL);
	if (!gmtime_r(&date, &tm) || !strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm))
		snprintf(when, sizeof(when), "Thu Jan  1 00:00:00 1970");
	buf_printf(out, "From %s %s\n", sender && *sender && !strpbrk(sender, " \t\r\n") ? sender :
		   "MAILER-DAEMON", when);
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - data) + 1 : len;

		for (j = i; j < end && data[j] == '>'; j++)
			;
		if (end - j >= 5 && memcmp(data + j, "From ", 5) == 0)
			buf_append(out, ">", 1);
		buf_append(out, data + i, end - i);
		i = end;
	}
	if (len == 0 || data[len - 1] != '\n')
		buf_append(out, "\n", 1);
	buf_append(out, "\n", 1);
}

/* What must come before a new message so that it starts a paragraph: the
 * file's last two bytes decide. */
static const char *separation(int fd, off_t size)
{
	char tail[2];
	ssize_t r;

	if (size == 0)
		return "";
	do
		r = pread(fd, tail, size >= 2 ? 2 : 1, size >= 2 ? size - 2 : 0);
	while (r < 0 && errno == EINTR);
	if (r < 1 || tail[r - 1] != '\n')
		return "\n\n";
	return r == 2 && tail[0] == '\n' ? "" : "\n";
}

int mbox_append(const char *path, const char *out, size_t out_len, struct err *err)
{
	struct stat st;
	const char *sep;
	char head[5];
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);

	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot open '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, EX_DATAERR, "'%s' is not a regular file", path);
	}
	if (fcntl_lock(fd, F_WRLCK, path, err) < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (st.st_size > 0 && (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
			       !is_from(head, sizeof(head)))) {
		err_set(err, EX_DATAERR, "'%s' is not an mbox", path);
		goto fail;
	}
	sep = separation(fd, st.st_size);
	if (afile_write_all(fd, sep, strlen(sep), err) < 0 ||
	    afile_write_all(fd, out, out_len, err) < 0 || fsync(fd) < 0) {
		if (!err->code)
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot write");
		if (ftruncate(fd, st.st_size) < 0)
			err_prefix(err, "'%s' (and cut back failed)", path);
		else
			err_prefix(err, "'%s'", path);
		goto fail;
	}
	close(fd);
	if (st.st_size == 0) {
		char *dir = path_dirname(path);
		int rc = afile_fsync_dir(dir, err);

		free(dir);
		return rc;
	}
	return 0;
fail:
	close(fd);
	return -1;
}
