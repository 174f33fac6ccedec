#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "msg.h"
#include "search_text.h"
#include "summary.h"

#define PGP_MESSAGE "-----BEGIN PGP MESSAGE-----"

void search_doc_init(struct search_doc *d)
{
	buf_init(&d->subject);
	buf_init(&d->from);
	buf_init(&d->to);
	buf_init(&d->body);
	buf_init(&d->name);
	buf_init(&d->msgid);
	buf_init(&d->thread);
	d->attach = 0;
	d->date = -1;
	d->text_at = 0;
}

void search_doc_release(struct search_doc *d)
{
	if (!d)
		return;
	buf_release(&d->subject);
	buf_release(&d->from);
	buf_release(&d->to);
	buf_release(&d->body);
	buf_release(&d->name);
	buf_release(&d->msgid);
	buf_release(&d->thread);
}

static void put_addrs(const struct msg *m, const char *header, struct buf *out)
{
	struct addr_mbox *v;
	size_t n = msg_addrs(m, header, &v), i;

	for (i = 0; i < n; i++) {
		if (v[i].name) {
			buf_puts(out, v[i].name);
			buf_putc(out, ' ');
		}
		if (v[i].addr) {
			buf_puts(out, v[i].addr);
			buf_putc(out, '\n');
		}
	}
	addr_list_free(v, n);
}

static int has_pgp_message(const struct buf *t)
{
	size_t l = strlen(PGP_MESSAGE);

	return t->len >= l && memmem(t->data, t->len, PGP_MESSAGE, l) != NULL;
}

static void read_parts(const struct msg *m, struct search_doc *d, struct buf *tmp, int depth)
{
	size_t n = msg_part_count(m), i;

	for (i = 0; i < n; i++) {
		const struct msg_part *p = msg_part_at(m, i);
		const char *type = msg_part_type(p), *fn = msg_part_filename(p);

		if (fn || msg_part_is_attachment(p))
			d->attach = 1;
		if (fn) {
			buf_puts(&d->body, fn);
			buf_putc(&d->body, '\n');
		}
		if (strncmp(type, "text/", 5) == 0) {
			buf_reset(tmp);
			msg_part_text(p, tmp);
			if (has_pgp_message(tmp))
				continue;
			if (strcmp(type, "text/html") == 0)
				html_to_text(tmp->data ? tmp->data : "", tmp->len, &d->body);
			else
				buf_append(&d->body, tmp->data, tmp->len);
			buf_putc(&d->body, '\n');
		} else if (strcmp(type, "message/rfc822") == 0 && depth < SEARCH_TEXT_DEPTH) {
			struct buf raw = BUF_INIT;
			struct msg *inner;

			msg_part_decode(p, &raw);
			inner = msg_parse(raw.data ? raw.data : "", raw.len, 0);
			if (inner)
				read_parts(inner, d, tmp, depth + 1);
			msg_free(inner);
			buf_release(&raw);
		}
	}
}

void search_text_read(const char *data, size_t len, struct search_doc *d)
{
	struct buf tmp = BUF_INIT;
	struct summary s;
	struct msg *m;

	buf_reset(&d->subject);
	buf_reset(&d->from);
	buf_reset(&d->to);
	buf_reset(&d->body);
	buf_reset(&d->name);
	buf_reset(&d->msgid);
	buf_reset(&d->thread);
	d->attach = 0;
	d->date = -1;
	d->text_at = 0;
	m = msg_parse(data, len, 0);
	if (!m)
		return;
	summary_read(m, &tmp, &s);
	d->date = s.date;
	buf_puts(&d->name, s.from);
	buf_puts(&d->msgid, s.message_id ? s.message_id : "");
	if (s.references)
		buf_append(&d->thread, s.references, strcspn(s.references, " "));
	else
		buf_puts(&d->thread, s.in_reply_to ? s.in_reply_to : s.message_id ? s.message_id : "");
	buf_puts(&d->subject, s.subject);
	if (s.message_id) {
		buf_puts(&d->body, s.message_id);
		buf_putc(&d->body, '\n');
	}
	if (s.references) {
		buf_puts(&d->body, s.references);
		buf_putc(&d->body, '\n');
	}
	if (s.in_reply_to) {
		buf_puts(&d->body, s.in_reply_to);
		buf_putc(&d->body, '\n');
	}
	d->text_at = d->body.len;
	put_addrs(m, "From", &d->from);
	put_addrs(m, "To", &d->to);
	put_addrs(m, "Cc", &d->to);
	read_parts(m, d, &tmp, 0);
	buf_release(&tmp);
	msg_free(m);
}

/* ---- CJK ---- */

int search_text_is_cjk(unsigned long c)
{
	return (c >= 0x3040 && c <= 0x30ff) ||     /* hiragana, katakana */
	       (c >= 0x31f0 && c <= 0x31ff) ||     /* katakana extensions */
	       (c >= 0x3400 && c <= 0x4dbf) ||     /* Han extension A */
	       (c >= 0x4e00 && c <= 0x9fff) ||     /* Han */
	       (c >= 0xac00 && c <= 0xd7af) ||     /* Hangul syllables */
	       (c >= 0xf900 && c <= 0xfaff) ||     /* Han compatibility */
	       (c >= 0x20000 && c <= 0x2ffff);     /* Han extensions B.. */
}

/* The code point at s[0..n) and its length in bytes; an invalid or cut
 * sequence is one byte standing for itself (never CJK). */
static size_t next_cp(const unsigned char *s, size_t n, unsigned long *c)
{
	size_t len, i;

	if (s[0] < 0xc0 || s[0] >= 0xf8) {
		*c = s[0] < 0x80 ? s[0] : 0xfffd;
		return 1;
	}
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (len > n) {
		*c = 0xfffd;
		return 1;
	}
	*c = s[0] & (0x3f >> (len - 1));
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*c = 0xfffd;
			return 1;
		}
		*c = (*c << 6) | (s[i] & 0x3f);
	}
	return len;
}

/* The end of the CJK run starting at s[0..n), and the number of
 * characters in it (0 when s does not start with CJK). */
static size_t cjk_run(const char *s, size_t n, size_t *chars)
{
	size_t off = 0, l;
	unsigned long c;

	*chars = 0;
	while (off < n) {
		l = next_cp((const unsigned char *)s + off, n - off, &c);
		if (!search_text_is_cjk(c))
			break;
		off += l;
		(*chars)++;
	}
	return off;
}

/* Append the bigrams of the CJK run s[0..n) of k characters, each set off
 * by a blank, then (last) its final character alone. */
static void put_bigrams(const char *s, size_t n, size_t k, int last, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t off = 0, a, b;
	unsigned long c;

	if (k == 1) {
		buf_putc(out, ' ');
		buf_append(out, s, n);
		buf_putc(out, ' ');
		return;
	}
	while (off < n) {
		a = next_cp(u + off, n - off, &c);
		if (off + a >= n)
			break;
		b = next_cp(u + off + a, n - off - a, &c);
		buf_putc(out, ' ');
		buf_append(out, s + off, a + b);
		off += a;
	}
	if (last) {
		buf_putc(out, ' ');
		buf_append(out, s + off, n - off);
	}
	buf_putc(out, ' ');
}

void search_text_segment(const char *s, size_t n, struct buf *out)
{
	size_t off = 0, plain = 0, run, k, l;
	unsigned long c;

	while (off < n) {
		/* Every segmented script starts with a lead byte of 0xe3 or
		 * more: the rest is copied without decoding. */
		if ((unsigned char)s[off] < 0xe3) {
			off++;
			continue;
		}
		run = cjk_run(s + off, n - off, &k);
		if (run == 0) {
			l = next_cp((const unsigned char *)s + off, n - off, &c);
			off += l;
			continue;
		}
		buf_append(out, s + plain, off - plain);
		put_bigrams(s + off, run, k, 1, out);
		off += run;
		plain = off;
	}
	buf_append(out, s + plain, n - plain);
}

/* ---- queries ---- */

/* Append s[0..n) as an FTS5 string: double quotes doubled. */
static void put_string(const char *s, size_t n, struct buf *out)
{
	size_t i;

	buf_putc(out, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, s[i]);
	}
	buf_putc(out, '"');
}

/* Whether s[0..n) has a byte that can be part of a token: an ASCII letter
 * or digit, or any non-ASCII byte (unicode61 decides the rest). */
static int has_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x80 || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))
			return 1;
	}
	return 0;
}

/* One piece of a query: s[0..n) as a string, " + " before it unless it is
 * the first, '*' after it when star. */
static void put_piece(const char *s, size_t n, int star, int *first, struct buf *out)
{
	if (!*first)
		buf_puts(out, " + ");
	*first = 0;
	put_string(s, n, out);
	if (star)
		buf_puts(out, " *");
}

int search_text_query(const char *s, int prefix, struct buf *out)
{
	size_t n = strlen(s), off = 0, plain = 0, run, k, l;
	size_t start = out->len;
	int first = 1;
	unsigned long c;
	struct buf seg = BUF_INIT;

	while (off < n) {
		run = cjk_run(s + off, n - off, &k);
		if (run == 0) {
			l = next_cp((const unsigned char *)s + off, n - off, &c);
			off += l;
			continue;
		}
		if (has_token(s + plain, off - plain))
			put_piece(s + plain, off - plain, 0, &first, out);
		buf_reset(&seg);
		if (k == 1) {
			/* One character: any token that starts with it (a
			 * bigram, or the last character of a run). */
			put_piece(s + off, run, 1, &first, out);
		} else {
			put_bigrams(s + off, run, k, 0, &seg);
			put_piece(seg.data, seg.len, 0, &first, out);
		}
		off += run;
		plain = off;
	}
	if (has_token(s + plain, n - plain))
		put_piece(s + plain, n - plain, prefix, &first, out);
	else if (prefix && !first && out->data[out->len - 1] == '"')
		buf_puts(out, " *");
	buf_release(&seg);
	if (first) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}
