/*
 * Fuzz the decoders of codec.h and check their promises:
 * - quoted-printable and base64 decode the same whole, split at a point
 *   the fuzzer picks, and a byte at a time, and the whole-buffer
 *   conveniences agree with the streams;
 * - RFC 2047 and charset conversion (a charset picked from a list) give
 *   valid UTF-8, and RFC 2231 percent decoding never grows the text;
 * - codec_sanitize leaves no ESC, C0, DEL, C1 or bidi control;
 * - the encoders round-trip through the decoders.
 * Input: byte 0 picks the charset and flags, bytes 1-2 the split point,
 * the rest is the text.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "codec.h"

#include "fuzz.h"

#define MAX_INPUT (64 * 1024)
/* Byte-at-a-time feeding costs a call per byte; only for small inputs. */
#define MAX_TRICKLE 4096

static const char *const charsets[] = {
	NULL, "", "utf-8", "UTF8", "us-ascii", "iso-8859-1", "latin1", "windows-1252",
	"iso-8859-15", "koi8-r", "iso-2022-jp", "shift_jis", "euc-jp", "gb2312", "gbk",
	"big5", "ks_c_5601-1987", "euc-kr", "utf-16", "utf-16le", "utf-7", "x-unknown",
	"unknown-8bit", "iso-8859-8-i", "x-mac-roman", "no-such-charset", "utf-8*en",
};

static void equal(const struct buf *a, const struct buf *b)
{
	FUZZ_CHECK(a->len == b->len);
	FUZZ_CHECK(memcmp(a->data, b->data, a->len) == 0);
}

static void check_qp(const char *in, size_t len, size_t split)
{
	struct codec_qp st;
	struct buf whole = BUF_INIT, part = BUF_INIT;
	size_t i;

	codec_qp_init(&st);
	codec_qp_feed(&st, in, len, &whole);
	codec_qp_finish(&st, &whole);

	codec_qp_init(&st);
	codec_qp_feed(&st, in, split, &part);
	codec_qp_feed(&st, in + split, len - split, &part);
	codec_qp_finish(&st, &part);
	equal(&whole, &part);

	if (len <= MAX_TRICKLE) {
		buf_reset(&part);
		codec_qp_init(&st);
		for (i = 0; i < len; i++)
			codec_qp_feed(&st, in + i, 1, &part);
		codec_qp_finish(&st, &part);
		equal(&whole, &part);
	}
	buf_reset(&part);
	codec_qp_decode(in, len, &part);
	equal(&whole, &part);
	FUZZ_CHECK(whole.len <= len);
	buf_release(&whole);
	buf_release(&part);
}

static void check_b64(const char *in, size_t len, size_t split)
{
	struct codec_b64 st;
	struct buf whole = BUF_INIT, part = BUF_INIT;
	size_t i;

	codec_b64_init(&st);
	codec_b64_feed(&st, in, len, &whole);
	codec_b64_finish(&st, &whole);

	codec_b64_init(&st);
	codec_b64_feed(&st, in, split, &part);
	codec_b64_feed(&st, in + split, len - split, &part);
	codec_b64_finish(&st, &part);
	equal(&whole, &part);

	if (len <= MAX_TRICKLE) {
		buf_reset(&part);
		codec_b64_init(&st);
		for (i = 0; i < len; i++)
			codec_b64_feed(&st, in + i, 1, &part);
		codec_b64_finish(&st, &part);
		equal(&whole, &part);
	}
	buf_reset(&part);
	codec_b64_decode(in, len, 0, &part);
	equal(&whole, &part);
	FUZZ_CHECK(whole.len <= len / 4 * 3 + 2);
	buf_reset(&part);
	codec_b64_decode(in, len, CODEC_B64_ODD_AS_TEXT, &part);
	FUZZ_CHECK(part.len <= len);
	buf_release(&whole);
	buf_release(&part);
}

static void check_valid(const struct buf *b)
{
	FUZZ_CHECK(codec_utf8_valid(b->data, b->len));
}

/* No ESC, C0 (LF and TAB only when kept), DEL, C1 or bidi control. */
static void check_sanitized(const struct buf *b, int keep_nl)
{
	const unsigned char *p = (const unsigned char *)b->data;
	size_t i;

	check_valid(b);
	for (i = 0; i < b->len; i++) {
		if (p[i] < 0x20)
			FUZZ_CHECK(keep_nl && (p[i] == '\n' || p[i] == '\t'));
		FUZZ_CHECK(p[i] != 0x7f);
		/* C1: U+0080..U+009F is C2 80..C2 9F. */
		if (p[i] == 0xc2 && i + 1 < b->len)
			FUZZ_CHECK(p[i + 1] < 0x80 || p[i + 1] > 0x9f);
		/* U+202A..U+202E: E2 80 AA..AE; U+2066..U+2069: E2 81 A6..A9. */
		if (p[i] == 0xe2 && i + 2 < b->len) {
			FUZZ_CHECK(!(p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae));
			FUZZ_CHECK(!(p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9));
		}
	}
}

static void check_text(const char *in, size_t len, unsigned sel)
{
	const char *cs = charsets[sel % (sizeof(charsets) / sizeof(charsets[0]))];
	struct buf out = BUF_INIT, back = BUF_INIT;

	codec_to_utf8(cs, in, len, &out);
	check_valid(&out);
	buf_reset(&out);
	codec_to_utf8_flags(cs, in, len, CODEC_NO_GUESS, &out);
	check_valid(&out);

	buf_reset(&out);
	codec_rfc2047_decode(in, len, &out);
	check_valid(&out);

	buf_reset(&out);
	codec_pct_decode(in, len, &out);
	FUZZ_CHECK(out.len <= len);

	buf_reset(&out);
	codec_sanitize(in, len, 0, &out);
	check_sanitized(&out, 0);
	buf_reset(&out);
	codec_sanitize(in, len, CODEC_KEEP_NEWLINES, &out);
	check_sanitized(&out, 1);

	/* Encoders: the body encodings give the bytes back (QP turns line
	 * ends into LF, so only for input without CR or LF). */
	buf_reset(&out);
	codec_b64_encode(in, len, &out);
	codec_b64_decode(out.data, out.len, 0, &back);
	equal(&back, &(struct buf){ (char *)in, len, 0, 0, 0 });
	if (!memchr(in, '\r', len) && !memchr(in, '\n', len)) {
		buf_reset(&out);
		buf_reset(&back);
		codec_qp_encode(in, len, &out);
		codec_qp_decode(out.data, out.len, &back);
		equal(&back, &(struct buf){ (char *)in, len, 0, 0, 0 });
	}
	/* RFC 2047: valid UTF-8 comes back exactly, and the encoded form
	 * has no line break. */
	buf_reset(&out);
	codec_rfc2047_encode(in, len, &out);
	FUZZ_CHECK(!memchr(out.data, '\r', out.len) && !memchr(out.data, '\n', out.len));
	if (codec_utf8_valid(in, len)) {
		buf_reset(&back);
		codec_rfc2047_decode(out.data, out.len, &back);
		equal(&back, &(struct buf){ (char *)in, len, 0, 0, 0 });
	}
	buf_release(&out);
	buf_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	size_t len, split;
	unsigned sel;
	char *copy;

	if (size < 3 || size > MAX_INPUT)
		return 0;
	sel = data[0];
	len = size - 3;
	split = ((size_t)data[1] << 8 | data[2]);
	split = len ? split % (len + 1) : 0;
	copy = fuzz_copy(data + 3, len);
	in = copy;
	check_qp(in, len, split);
	check_b64(in, len, split);
	check_text(in, len, sel);
	free(copy);
	return 0;
}
