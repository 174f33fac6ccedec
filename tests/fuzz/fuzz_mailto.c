/*
 * Fuzz the mailto: URL reader (mua/mailto.h), whose input comes from any
 * web page: a URL is refused with EX_USAGE or read into fields that are
 * valid UTF-8, header values without a control character (nothing can add
 * a header field), a body without CR or NUL, and at most one warning per
 * hfield.
 */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "mailto.h"
#include "xalloc.h"

#include "fuzz.h"

#define MAX_INPUT 8192

static void check_line(const char *s)
{
	const char *p;

	if (!s)
		return;
	FUZZ_CHECK(codec_utf8_valid(s, strlen(s)));
	for (p = s; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct mailto m;
	char *url;
	size_t amps = 0, i;

	if (size > MAX_INPUT || memchr(data, 0, size))
		return 0;
	/* Half the inputs get the scheme, so the fuzzer works past it. */
	url = size > 0 && data[0] & 1 ? xasprintf("mailto:%.*s", (int)size - 1, (const char *)data + 1)
				      : xstrndup((const char *)data, size);
	for (i = 0; url[i]; i++)
		amps += url[i] == '&';
	if (mailto_parse(url, &m, &err) == 0) {
		check_line(m.to);
		check_line(m.cc);
		check_line(m.bcc);
		check_line(m.subject);
		check_line(m.in_reply_to);
		if (m.body) {
			FUZZ_CHECK(codec_utf8_valid(m.body, strlen(m.body)));
			FUZZ_CHECK(!strchr(m.body, '\r'));
		}
		FUZZ_CHECK(m.warnings.n <= amps + 1);
		for (i = 0; i < m.warnings.n; i++)
			FUZZ_CHECK(codec_utf8_valid(m.warnings.v[i], strlen(m.warnings.v[i])));
	} else {
		FUZZ_CHECK(err.code == EX_USAGE);
	}
	mailto_release(&m);
	free(url);
	return 0;
}
