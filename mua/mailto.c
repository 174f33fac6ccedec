#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "buf.h"
#include "codec.h"
#include "mailto.h"
#include "xalloc.h"

/* Longest part of a URL echoed in a message. */
#define SHOWN 60

int mailto_is(const char *s)
{
	return strncasecmp(s, "mailto:", 7) == 0;
}

/* The n bytes at s percent-decoded into out, which must then be UTF-8;
 * what names the part for an error. */
static int decode(const char *s, size_t n, const char *what, struct buf *out, struct err *err)
{
	size_t i;
	int hi, lo;

	buf_reset(out);
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			buf_putc(out, s[i]);
			continue;
		}
		hi = i + 2 < n ? ascii_hexval((unsigned char)s[i + 1]) : -1;
		lo = hi < 0 ? -1 : ascii_hexval((unsigned char)s[i + 2]);
		if (lo < 0)
			return err_set(err, EX_USAGE, "mailto: bad %%-escape in %s: '%.*s'", what,
				       (int)(n - i > SHOWN ? SHOWN : n - i), s + i);
		buf_putc(out, (char)(hi * 16 + lo));
		i += 2;
	}
	if (!codec_utf8_valid(out->data, out->len))
		return err_set(err, EX_USAGE, "mailto: %s is not UTF-8 once decoded", what);
	return 0;
}

/* A header value on one line: line breaks and other controls become
 * spaces, so nothing in the URL can add a header field. */
static char *one_line(const struct buf *v)
{
	char *s = xmemdup(v->data, v->len + 1);
	size_t i;

	for (i = 0; i < v->len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	return s;
}

/* The body with CRLF and lone CR made LF and NUL bytes dropped (the other
 * controls are compose's to sanitise). */
static char *lf_text(const struct buf *v)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < v->len; i++) {
		if (v->data[i] == '\0')
			continue;
		if (v->data[i] == '\r') {
			buf_putc(&b, '\n');
			if (i + 1 < v->len && v->data[i + 1] == '\n')
				i++;
		} else {
			buf_putc(&b, v->data[i]);
		}
	}
	return buf_detach(&b, NULL);
}

/* Append the address list in v to *list (", " between). */
static void add_list(char **list, const struct buf *v)
{
	char *s = one_line(v), *joined;

	if (!s[0]) {
		free(s);
		return;
	}
	if (!*list) {
		*list = s;
		return;
	}
	joined = xasprintf("%s, %s", *list, s);
	free(*list);
	free(s);
	*list = joined;
}

/* One hfield: name (decoded, any case) and its decoded value. */
static void take(struct mailto *m, const char *name, const struct buf *v)
{
	char **one = NULL;
	struct buf shown = BUF_INIT;

	if (strcasecmp(name, "to") == 0) {
		add_list(&m->to, v);
	} else if (strcasecmp(name, "cc") == 0) {
		add_list(&m->cc, v);
	} else if (strcasecmp(name, "bcc") == 0) {
		add_list(&m->bcc, v);
	} else if (strcasecmp(name, "subject") == 0) {
		one = &m->subject;
	} else if (strcasecmp(name, "in-reply-to") == 0) {
		one = &m->in_reply_to;
	} else if (strcasecmp(name, "body") == 0) {
		free(m->body);
		m->body = lf_text(v);
	} else if (strcasecmp(name, "attach") == 0 || strcasecmp(name, "attachment") == 0) {
		strv_push(&m->warnings, "mailto: attach= ignored: a link cannot attach files");
	} else {
		size_t n;

		codec_sanitize(name, strlen(name), 0, &shown);
		/* Cut at a character boundary: the warning stays UTF-8. */
		for (n = shown.len > SHOWN ? SHOWN : shown.len;
		     n < shown.len && ((unsigned char)shown.data[n] & 0xc0) == 0x80; n--)
			;
		strv_push_owned(&m->warnings,
				 xasprintf("mailto: header '%.*s' ignored", (int)n, shown.data));
	}
	if (one) {
		free(*one);
		*one = one_line(v);
	}
	buf_release(&shown);
}

int mailto_parse(const char *url, struct mailto *out, struct err *err)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	const char *p, *q, *amp, *eq;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!mailto_is(url))
		return err_set(err, EX_USAGE, "not a mailto: URL");
	p = url + 7;
	q = strchr(p, '?');
	if (!q)
		q = p + strlen(p);
	if (decode(p, (size_t)(q - p), "the address", &value, err) < 0)
		goto out;
	add_list(&out->to, &value);
	for (p = *q ? q + 1 : q; *p; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (!amp)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (!eq)
			eq = amp;
		if (decode(p, (size_t)(eq - p), "a header name", &name, err) < 0)
			goto out;
		if (decode(eq < amp ? eq + 1 : amp, (size_t)(amp - (eq < amp ? eq + 1 : amp)),
			   name.data, &value, err) < 0)
			goto out;
		take(out, name.data, &value);
	}
	rc = 0;
out:
	buf_release(&name);
	buf_release(&value);
	return rc;
}

void mailto_release(struct mailto *m)
{
	if (!m)
		return;
	free(m->to);
	free(m->cc);
	free(m->bcc);
	free(m->subject);
	free(m->in_reply_to);
	free(m->body);
	strv_release(&m->warnings);
	memset(m, 0, sizeof(*m));
}
