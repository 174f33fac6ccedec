/*
 * Fuzz the reader of delivery reports (lib/dsnparse.h), which reads mail
 * from anyone: whatever the input, a report names at least one recipient,
 * every string of it is there (NUL-terminated, no line break in a
 * recipient's fields) and the action is one of the four.
 */
#include "config.h"

#include <string.h>

#include "dsnparse.h"

#include "fuzz.h"

#define MAX_INPUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsn_report *r;
	size_t i;

	if (size > MAX_INPUT)
		return 0;
	r = dsn_parse((const char *)data, size);
	if (!r)
		return 0;
	FUZZ_CHECK(r->n > 0);
	FUZZ_CHECK(r->reporter != NULL);
	for (i = 0; i < r->n; i++) {
		const struct dsn_rcpt *x = &r->rcpts[i];

		FUZZ_CHECK(x->final && x->original && x->status && x->diagnostic);
		FUZZ_CHECK(x->action >= DSN_ACT_OTHER && x->action <= DSN_ACT_DELIVERED);
		FUZZ_CHECK(!strchr(x->final, '\n') && !strchr(x->original, '\n'));
		FUZZ_CHECK(!strchr(x->diagnostic, '\n'));
	}
	dsn_report_free(r);
	return 0;
}
