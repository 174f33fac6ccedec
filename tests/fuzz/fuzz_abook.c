/*
 * Fuzz what the address book reads from outside: the input, after a first
 * byte that picks the reader, is an aliases file (mutt's alias lines) or
 * the output of an address_cmd (mutt's query format, or `notmuch address`
 * lines).  Every match must carry an address, an alias its nick, and a
 * query answer an address with '@'; a query that is a part of an address
 * found must find it again.
 */
#include "config.h"

#include <string.h>

#include "abook.h"
#include "xalloc.h"

#include "fuzz.h"

#define MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct abook_match *v = NULL, *w = NULL;
	const char *text = (const char *)data + 1;
	size_t n = 0, nw = 0, len, i;
	char *q;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	len = size - 1;
	if (data[0] & 1) {
		abook_cmd_parse(text, len, &v, &n);
		for (i = 0; i < n; i++) {
			FUZZ_CHECK(v[i].addr && strchr(v[i].addr, '@'));
			FUZZ_CHECK(v[i].source == ABOOK_COMMAND && !v[i].nick);
			FUZZ_CHECK(!v[i].name || v[i].name[0]);
		}
		abook_matches_free(v, n);
		return 0;
	}
	abook_aliases_find(text, len, "", &v, &n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].addr && v[i].addr[0]);
		FUZZ_CHECK(v[i].source == ABOOK_ALIAS && v[i].nick && v[i].nick[0]);
	}
	/* The first alias's first address, looked up by a piece of itself
	 * (a query holds no NUL, so one from a NUL-free address). */
	if (n > 0) {
		q = xstrndup(v[0].addr, 3);
		abook_aliases_find(text, len, q, &w, &nw);
		FUZZ_CHECK(nw > 0);
		abook_matches_free(w, nw);
		free(q);
	}
	abook_matches_free(v, n);
	return 0;
}
