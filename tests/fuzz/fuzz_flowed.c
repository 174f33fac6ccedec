/*
 * Fuzz the format=flowed codec (lib/flowed.h): decoding valid UTF-8 gives
 * valid UTF-8, and the paragraphs decoded, encoded again at some width and
 * decoded once more are the same paragraphs (depths and texts).
 * Input: byte 0 picks DelSp (bit 0) and the width (the rest), the rest is
 * the flowed text.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "codec.h"
#include "flowed.h"

#include "fuzz.h"

#define MAX_INPUT (64 * 1024)

/* The paragraphs as "DEPTH LEN:TEXT" records, and whether one of them ends
 * in CR: a line ending in CR reads as a CRLF line, so such a text cannot
 * come back (the decoder keeps a lone CR only inside a line). */
struct paras {
	struct buf rec;
	int cr_end;
};

static void collect(void *arg, int depth, const char *text, size_t len)
{
	struct paras *p = arg;

	buf_printf(&p->rec, "%d %zu:", depth, len);
	buf_append(&p->rec, text, len);
	if (len > 0 && text[len - 1] == '\r')
		p->cr_end = 1;
}

struct encoding {
	struct buf out;
	size_t width;
};

static void encode(void *arg, int depth, const char *text, size_t len)
{
	struct encoding *e = arg;

	flowed_encode_para(&e->out, depth, text, len, e->width);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct paras first = { BUF_INIT, 0 }, again = { BUF_INIT, 0 };
	struct encoding enc = { BUF_INIT, 0 };
	struct buf plain = BUF_INIT;
	const char *in = (const char *)data + 1;
	size_t len;
	int delsp;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	len = size - 1;
	delsp = data[0] & 1;
	enc.width = 20 + (size_t)(data[0] >> 1);

	flowed_unflow(in, len, delsp, &plain);
	if (codec_utf8_valid(in, len))
		FUZZ_CHECK(codec_utf8_valid(plain.data, plain.len));

	flowed_decode(in, len, delsp, collect, &first);
	flowed_decode(in, len, delsp, encode, &enc);
	if (!first.cr_end) {
		flowed_decode(enc.out.data, enc.out.len, 0, collect, &again);
		FUZZ_CHECK(first.rec.len == again.rec.len);
		FUZZ_CHECK(memcmp(first.rec.data, again.rec.data, first.rec.len) == 0);
	}
	buf_release(&first.rec);
	buf_release(&again.rec);
	buf_release(&plain);
	buf_release(&enc.out);
	return 0;
}
