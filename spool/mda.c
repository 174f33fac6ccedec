#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mda.h"

/* The longest sender kept from an envelope line (RFC 5321 4.5.3.1.3 path
 * limit). */
#define SENDER_MAX 256

/* Whether the header block of the len bytes at p has a Return-Path:
 * field. */
static int has_return_path(const char *p, size_t len)
{
	const char *end = p + len, *nl;

	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		if ((size_t)(end - p) >= 12 && strncasecmp(p, "Return-Path:", 12) == 0)
			return 1;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/* The sender of the envelope line "From SENDER DATE" at line (len bytes,
 * without its line end) as *sender_out, *n_out; 0, or -1 when it names no
 * sender that could stand in a Return-Path: field. */
static int envelope_sender(const char *line, size_t len, const char **sender_out, size_t *n_out)
{
	const char *s = line + 5, *end = line + len, *e;

	e = memchr(s, ' ', (size_t)(end - s));
	if (!e)
		e = end;
	if (e == s || (size_t)(e - s) > SENDER_MAX)
		return -1;
	for (*sender_out = s; s < e; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '<' || *s == '>')
			return -1;
	*n_out = (size_t)(e - *sender_out);
	return 0;
}

int mda_unwrap(struct buf *m)
{
	const char *nl, *sender;
	size_t line_len, eol_len, n;
	struct buf out = BUF_INIT;

	if (m->len < 5 || memcmp(m->data, "From ", 5) != 0)
		return 0;
	nl = memchr(m->data, '\n', m->len);
	if (!nl)
		return 0;
	line_len = (size_t)(nl - m->data);
	eol_len = line_len > 0 && nl[-1] == '\r' ? 2 : 1;
	line_len -= eol_len - 1;
	if (!has_return_path(nl + 1, m->len - (size_t)(nl + 1 - m->data)) &&
	    envelope_sender(m->data, line_len, &sender, &n) == 0) {
		/* mbox writers put MAILER-DAEMON for the null sender. */
		if (n == 13 && memcmp(sender, "MAILER-DAEMON", 13) == 0)
			n = 0;
		buf_puts(&out, "Return-Path: <");
		buf_append(&out, sender, n);
		buf_append(&out, eol_len == 2 ? ">\r\n" : ">\n", eol_len + 1);
	}
	buf_append(&out, nl + 1, m->len - (size_t)(nl + 1 - m->data));
	/* Exim's message_suffix: one empty line after the message. */
	if (out.len >= 2 * eol_len &&
	    memcmp(out.data + out.len - 2 * eol_len, eol_len == 2 ? "\r\n\r\n" : "\n\n",
		   2 * eol_len) == 0)
		buf_truncate(&out, out.len - eol_len);
	buf_release(m);
	*m = out;
	return 1;
}

int mda_read(int fd, struct buf *m, struct err *err)
{
	const size_t step = 64 * 1024;
	ssize_t r;

	for (;;) {
		buf_grow(m, step);
		r = read(fd, m->data + m->len, step);
		if (r > 0) {
			m->len += (size_t)r;
			m->data[m->len] = '\0';
		} else if (r == 0) {
			break;
		} else if (errno != EINTR) {
			return err_sys(err, EX_TEMPFAIL, "cannot read the message");
		}
	}
	mda_unwrap(m);
	return 0;
}
