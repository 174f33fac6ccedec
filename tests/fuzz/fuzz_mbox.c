/*
 * Fuzz the mbox reader: the input is written to a private file and split
 * with mbox_open(); every message is unescaped, its separator line read,
 * and it is parsed as a message.  Checks: messages lie within the file and
 * unescaping only ever removes bytes.
 */
#include "config.h"

#include <string.h>

#include "err.h"
#include "mbox.h"
#include "msg.h"

#include "fuzz.h"

#define MAX_INPUT (128 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct mbox *mb;
	size_t i, n, len, total = 0;

	if (size > MAX_INPUT)
		return 0;
	mb = mbox_open(fuzz_tmpfile(data, size), &err);
	if (!mb) {
		FUZZ_CHECK(err.code == EX_DATAERR);
		return 0;
	}
	n = mbox_count(mb);
	FUZZ_CHECK(size == 0 || n >= 1);
	for (i = 0; i < n; i++) {
		char *m = mbox_message(mb, i, &len);
		struct msg *pm;

		FUZZ_CHECK(m[len] == '\0');
		total += len;
		FUZZ_CHECK(mbox_sender(mb, i) != NULL);
		(void)mbox_date(mb, i);
		pm = msg_parse(m, len, MSG_HEADERS_ONLY);
		(void)msg_subject(pm);
		msg_free(pm);
		free(m);
	}
	FUZZ_CHECK(total <= size);
	mbox_free(mb);
	return 0;
}
