/*
 * Fuzz the message model: msg_parse() of a whole message (and of its
 * header block alone), every accessor, and what is built on it (the
 * `spool show --json` object, the readable text, the index summary, the
 * OpenPGP structure the pager looks for).
 * Checks what msg.h promises: decoded strings are valid UTF-8, part sizes
 * match the decoded bodies, and the JSON object can always be serialised;
 * and that the summary's id lists are ids separated by single spaces.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <jansson.h>

#include "addr.h"
#include "buf.h"
#include "codec.h"
#include "cryptomsg.h"
#include "msg.h"
#include "summary.h"
#include "view.h"

#include "fuzz.h"

/* Bigger inputs teach nothing new and slow every other run down. */
#define MAX_INPUT (256 * 1024)

static const char *const headers[] = { "From", "To", "Cc", "Bcc", "Reply-To", "Sender" };

static void check_utf8(const char *s)
{
	if (s)
		FUZZ_CHECK(codec_utf8_valid(s, strlen(s)));
}

/* A list of ids: not empty, no blank but single spaces between ids. */
static void check_ids(const char *s)
{
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	FUZZ_CHECK(n > 0 && s[0] != ' ' && s[n - 1] != ' ');
	FUZZ_CHECK(!strstr(s, "  ") && !strpbrk(s, "\t\r\n"));
}

static void check_summary(const struct msg *m)
{
	struct buf scratch = BUF_INIT;
	struct summary s;

	summary_read(m, &scratch, &s);
	FUZZ_CHECK(s.from && s.from_addr && s.to && s.subject);
	check_utf8(s.from);
	check_utf8(s.to);
	check_utf8(s.subject);
	check_ids(s.in_reply_to);
	if (s.in_reply_to)
		FUZZ_CHECK(!strchr(s.in_reply_to, ' '));
	check_ids(s.references);
	buf_release(&scratch);
}

static void walk(const struct msg *m, int headers_only)
{
	struct addr_mbox *a;
	struct buf b = BUF_INIT;
	const char *name, *value;
	char *s;
	size_t i, n, len;
	time_t t;
	json_t *j;

	n = msg_header_count(m);
	for (i = 0; i < n; i++) {
		msg_header_at(m, i, &name, &value);
		FUZZ_CHECK(name && value);
		(void)msg_header(m, name);
	}
	s = msg_header_decoded(m, "Subject");
	check_utf8(s);
	free(s);
	s = msg_header_decoded(m, "X-Nonexistent-Header");
	FUZZ_CHECK(s == NULL || msg_header(m, "X-Nonexistent-Header"));
	free(s);
	check_utf8(msg_subject(m));
	(void)msg_message_id(m);
	(void)msg_date(m, &t);
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		size_t k;

		n = msg_addrs(m, headers[i], &a);
		for (k = 0; k < n; k++) {
			FUZZ_CHECK(a[k].addr != NULL);
			check_utf8(a[k].name);
		}
		addr_list_free(a, n);
		/* The strict reading sendq -t gives the same fields. */
		if (msg_header(m, headers[i])) {
			a = NULL;
			n = 0;
			addr_split(msg_header(m, headers[i]), &a, &n);
			for (k = 0; k < n; k++)
				FUZZ_CHECK(a[k].addr != NULL && a[k].name == NULL);
			addr_list_free(a, n);
		}
	}
	s = msg_text_n(m, &len);
	if (s) {
		FUZZ_CHECK(codec_utf8_valid(s, len));
		FUZZ_CHECK(s[len] == '\0');
	}
	free(s);
	s = msg_text(m);
	free(s);

	n = msg_part_count(m);
	for (i = 0; i < n; i++) {
		const struct msg_part *p = msg_part_at(m, i);
		const char *type = msg_part_type(p);

		FUZZ_CHECK(type != NULL);
		check_utf8(msg_part_param(p, "charset"));
		check_utf8(msg_part_param(p, "name"));
		check_utf8(msg_part_filename(p));
		(void)msg_part_is_attachment(p);
		buf_reset(&b);
		msg_part_decode(p, &b);
		if (strcmp(type, "message/rfc822") != 0 && !headers_only)
			FUZZ_CHECK(msg_part_size(p) == b.len);
		buf_reset(&b);
		msg_part_text(p, &b);
		FUZZ_CHECK(codec_utf8_valid(b.data, b.len));
	}

	j = view_json(m);
	FUZZ_CHECK(j != NULL);
	s = json_dumps(j, JSON_COMPACT);
	FUZZ_CHECK(s != NULL);
	free(s);
	json_decref(j);
	buf_reset(&b);
	view_text(m, &b);
	FUZZ_CHECK(codec_utf8_valid(b.data, b.len));
	check_summary(m);
	/* What the pager asks of every message before any GnuPG. */
	FUZZ_CHECK(cryptomsg_kind(m) <= CRYPTOMSG_INLINE_ENCRYPTED);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg *m;
	char *copy;

	if (size > MAX_INPUT)
		return 0;
	copy = fuzz_copy(data, size);
	m = msg_parse(copy, size, 0);
	FUZZ_CHECK(m != NULL);
	walk(m, 0);
	msg_free(m);
	m = msg_parse(copy, size, MSG_HEADERS_ONLY);
	FUZZ_CHECK(m != NULL);
	walk(m, 1);
	msg_free(m);
	free(copy);
	return 0;
}
