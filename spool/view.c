#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "view.h"

json_t *view_json_text(const char *s)
{
	struct buf b = BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	/* Not UTF-8 (a file name is any bytes): the field stays, with
	 * U+FFFD for what cannot be shown. */
	codec_sanitize(s, strlen(s), CODEC_KEEP_NEWLINES, &b);
	j = json_string(b.data);
	buf_release(&b);
	return j ? j : json_null();
}

static json_t *jstr(const char *s)
{
	return view_json_text(s);
}

static json_t *addrs_json(const struct msg *m, const char *header)
{
	struct addr_mbox *a;
	size_t n = msg_addrs(m, header, &a);
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", jstr(a[i].name && *a[i].name ? a[i].name : NULL));
		json_object_set_new(o, "addr", jstr(a[i].addr));
		json_array_append_new(arr, o);
	}
	addr_list_free(a, n);
	return arr;
}

static json_t *parts_json(const struct msg *m)
{
	json_t *parts = json_array();
	size_t i, n = msg_part_count(m);

	for (i = 0; i < n; i++) {
		const struct msg_part *p = msg_part_at(m, i);
		json_t *po = json_object();

		json_object_set_new(po, "content_type", jstr(msg_part_type(p)));
		json_object_set_new(po, "filename", jstr(msg_part_filename(p)));
		json_object_set_new(po, "size", json_integer((json_int_t)msg_part_size(p)));
		json_array_append_new(parts, po);
	}
	return parts;
}

json_t *view_json(const struct msg *m)
{
	json_t *o = json_object();
	time_t date;
	char *text;
	size_t tlen;

	json_object_set_new(o, "message_id", jstr(msg_message_id(m)));
	json_object_set_new(o, "date_unix",
			    msg_date(m, &date) == 0 ? json_integer((json_int_t)date) : json_null());
	json_object_set_new(o, "from", addrs_json(m, "From"));
	json_object_set_new(o, "to", addrs_json(m, "To"));
	json_object_set_new(o, "cc", addrs_json(m, "Cc"));
	json_object_set_new(o, "subject", jstr(msg_subject(m)));
	/* Bodies may hold NUL bytes; JSON can carry them as \u0000. */
	text = msg_text_n(m, &tlen);
	json_object_set_new(o, "text", text ? json_stringn(text, tlen) : json_null());
	free(text);
	json_object_set_new(o, "parts", parts_json(m));
	return o;
}

static json_t *sigs_json(const struct crypto_sigs *sigs)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < sigs->n; i++) {
		const struct crypto_sig *s = &sigs->v[i];
		json_t *so = json_object();

		json_object_set_new(so, "status", json_string(crypto_sig_status_name(s->status)));
		json_object_set_new(so, "fingerprint", jstr(s->fingerprint));
		json_object_set_new(so, "uid", jstr(s->uid));
		json_object_set_new(so, "valid_from_address", json_boolean(s->valid_from_address));
		json_array_append_new(arr, so);
	}
	return arr;
}

void view_json_crypto(json_t *o, const struct cryptomsg *cm, const struct msg *shown)
{
	json_t *c = json_object();
	char *text;
	size_t tlen;

	json_object_set_new(c, "signed", json_boolean(cm->is_signed));
	json_object_set_new(c, "signatures", sigs_json(&cm->sigs));
	json_object_set_new(c, "encrypted", json_boolean(cm->encrypted));
	json_object_set_new(c, "decrypted", json_boolean(cm->decrypted));
	json_object_set_new(o, "crypto", c);
	if (cm->encrypted && !cm->decrypted) {
		json_object_set_new(o, "text", json_null());
		return;
	}
	if (!shown)
		return;
	text = msg_text_n(shown, &tlen);
	json_object_set_new(o, "text", text ? json_stringn(text, tlen) : json_null());
	if (text)
		explicit_bzero(text, tlen);
	free(text);
	if (cm->decrypted)
		json_object_set_new(o, "parts", parts_json(shown));
}

static void put_clean(struct buf *out, const char *s, unsigned flags)
{
	if (s)
		codec_sanitize(s, strlen(s), flags, out);
}

static void put_addrs(const struct msg *m, const char *header, struct buf *out)
{
	struct addr_mbox *a;
	size_t n = msg_addrs(m, header, &a);
	size_t i;

	if (!n)
		return;
	buf_printf(out, "%s: ", header);
	for (i = 0; i < n; i++) {
		if (i)
			buf_puts(out, ", ");
		if (a[i].name && *a[i].name) {
			/* Quote a name that would otherwise read as several
			 * addresses ("Budi, S."), as a mail header would. */
			int quote = strpbrk(a[i].name, ",;:<>@\"") != NULL;

			if (quote)
				buf_putc(out, '"');
			put_clean(out, a[i].name, 0);
			buf_puts(out, quote ? "\" <" : " <");
			put_clean(out, a[i].addr, 0);
			buf_putc(out, '>');
		} else {
			put_clean(out, a[i].addr, 0);
		}
	}
	buf_putc(out, '\n');
	addr_list_free(a, n);
}

static void put_size(struct buf *out, size_t n)
{
	if (n < 1024)
		buf_printf(out, "%zu B", n);
	else if (n < 1024 * 1024)
		buf_printf(out, "%.1f KiB", n / 1024.0);
	else
		buf_printf(out, "%.1f MiB", n / (1024.0 * 1024.0));
}

static void crypto_lines(const struct cryptomsg *cm, struct buf *out)
{
	size_t i;

	if (cm->encrypted)
		buf_puts(out, cm->decrypted ? "Encrypted: decrypted\n"
			 : "Encrypted: not decrypted (spool show --decrypt shows the text)\n");
	for (i = 0; i < cm->sigs.n; i++) {
		buf_puts(out, "Signature: ");
		cryptomsg_sig_line(&cm->sigs.v[i], out);
		buf_putc(out, '\n');
	}
	if (cm->partly_signed)
		buf_puts(out, "Signature: only part of the message is signed or encrypted\n");
	if (cm->error.code) {
		buf_puts(out, "Crypto error: ");
		codec_sanitize(cm->error.msg, strlen(cm->error.msg), 0, out);
		buf_putc(out, '\n');
	}
}

void view_text(const struct msg *m, struct buf *out)
{
	view_text_crypto(m, NULL, out);
}

void view_text_crypto(const struct msg *m, const struct cryptomsg *cm, struct buf *out)
{
	const char *date = msg_header(m, "Date");
	const char *subject = msg_subject(m);
	char *text = NULL;
	size_t i, n;

	put_addrs(m, "From", out);
	put_addrs(m, "To", out);
	put_addrs(m, "Cc", out);
	if (date) {
		buf_puts(out, "Date: ");
		put_clean(out, date, 0);
		buf_putc(out, '\n');
	}
	buf_puts(out, "Subject: ");
	put_clean(out, subject, 0);
	buf_putc(out, '\n');
	if (cm)
		crypto_lines(cm, out);
	buf_putc(out, '\n');
	if (!(cm && cm->encrypted && !cm->decrypted))
		text = msg_text(m);
	if (text) {
		put_clean(out, text, CODEC_KEEP_NEWLINES);
		if (out->len && out->data[out->len - 1] != '\n')
			buf_putc(out, '\n');
		explicit_bzero(text, strlen(text));
		free(text);
	} else if (cm && cm->encrypted && !cm->decrypted) {
		buf_puts(out, "[encrypted: spool show --decrypt shows the text]\n");
	} else {
		buf_puts(out, "[no text part]\n");
	}
	n = msg_part_count(m);
	if (n < 2 && !(n == 1 && !text))
		return;
	buf_puts(out, "\nParts:\n");
	for (i = 0; i < n; i++) {
		const struct msg_part *p = msg_part_at(m, i);
		const char *fn = msg_part_filename(p);

		buf_printf(out, "%3zu ", i + 1);
		put_clean(out, msg_part_type(p), 0);
		if (fn) {
			buf_puts(out, "  ");
			put_clean(out, fn, 0);
		}
		buf_puts(out, "  ");
		put_size(out, msg_part_size(p));
		buf_putc(out, '\n');
	}
}

/* Append at most `width` display columns of s (already sanitised UTF-8),
 * counting each code point as one column; padded with spaces. */
static void put_cols(struct buf *out, const char *s, size_t width, int pad)
{
	size_t cols = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p && cols < width) {
		size_t l = 1;

		while ((p[l] & 0xC0) == 0x80)
			l++;
		buf_append(out, p, l);
		p += l;
		cols++;
	}
	while (pad && cols++ < width)
		buf_putc(out, ' ');
}

void view_ls_line(const char *key, const char *flags, time_t date, const char *from,
		  const char *subject, struct buf *out)
{
	struct buf clean = BUF_INIT;
	char when[32];
	struct tm tm;

	/* The key is part of a file name, which any program may have
	 * chosen: sanitised like the rest of the line. */
	codec_sanitize(key, strlen(key), 0, out);
	buf_putc(out, ' ');
	if (date >= 0 && localtime_r(&date, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		buf_puts(out, when);
	else
		buf_puts(out, "---------- --:--");
	/* A placeholder keeps the columns countable by awk when no flag is set. */
	buf_printf(out, " %-4s ", *flags ? flags : "-");
	codec_sanitize(from, strlen(from), 0, &clean);
	put_cols(out, clean.data, 24, 1);
	buf_putc(out, ' ');
	buf_reset(&clean);
	codec_sanitize(subject, strlen(subject), 0, &clean);
	put_cols(out, clean.data, 200, 0);
	buf_release(&clean);
}
