/*
 * Fuzz the IMAP/POP3 fetch state reader: fetchstate_load() of any file
 * either fails with EX_DATAERR or gives a state that saves and loads back
 * to the same thing.
 */
#include "config.h"

#include <string.h>

#include "err.h"
#include "fetchstate.h"

#include "fuzz.h"

#define MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct fetchstate *st, *st2;
	const char *path;

	if (size > MAX_INPUT)
		return 0;
	path = fuzz_tmpfile(data, size);
	if (fetchstate_load(path, &st, &err) < 0) {
		FUZZ_CHECK(err.code == EX_DATAERR);
		return 0;
	}
	(void)fetchstate_has_uidl(st, "x");
	(void)fetchstate_uidl_count(st);
	FUZZ_CHECK(fetchstate_save(st, path, &err) == 0);
	FUZZ_CHECK(fetchstate_load(path, &st2, &err) == 0);
	FUZZ_CHECK(fetchstate_uidvalidity(st2) == fetchstate_uidvalidity(st));
	/* last_uid is written only with a uidvalidity. */
	FUZZ_CHECK(!fetchstate_uidvalidity(st) ||
		   fetchstate_last_uid(st2) == fetchstate_last_uid(st));
	FUZZ_CHECK(fetchstate_uidl_count(st2) == fetchstate_uidl_count(st));
	fetchstate_free(st2);
	fetchstate_free(st);
	return 0;
}
