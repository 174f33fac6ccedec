/*
 * Fuzz the modified UTF-7 mailbox name codec (lib/mutf7.h) both ways: the
 * input as a server's name must decode to valid UTF-8 that encodes back to
 * the very input (one spelling per name), or be refused; the input as a
 * configured UTF-8 name must encode to printable ASCII that decodes back
 * to it, or be refused as not UTF-8.
 */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "mutf7.h"
#include "xalloc.h"

#include "fuzz.h"

#define MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *d, *e, *back;
	const char *p;

	if (size > MAX_INPUT || memchr(data, 0, size))
		return 0;
	in = xstrndup((const char *)data, size);
	d = mutf7_decode(in);
	if (d) {
		FUZZ_CHECK(codec_utf8_valid(d, strlen(d)));
		back = mutf7_encode(d);
		FUZZ_CHECK(back && strcmp(back, in) == 0);
		free(back);
	}
	e = mutf7_encode(in);
	FUZZ_CHECK(!e == !codec_utf8_valid(in, size));
	if (e) {
		for (p = e; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
		back = mutf7_decode(e);
		FUZZ_CHECK(back && strcmp(back, in) == 0);
		free(back);
	}
	free(e);
	free(d);
	free(in);
	return 0;
}
