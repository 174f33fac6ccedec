/*
 * Fuzz the SMTP reply handling of the relay (relay_replay(): the protocol
 * trace parser and the pairing of each RCPT TO with its reply, as
 * relay_send() uses them).  Input: byte 0 gives the number of recipients
 * (low 3 bits) and whether the session ended normally (bit 3); the rest is the
 * trace, lines starting with '>' (client) or '<' (server).  Checks: every
 * recipient ends with a code in 0..999 and a one-line reply, and the call
 * succeeds exactly when every recipient has a code.
 */
#include "config.h"

#include <string.h>

#include "err.h"
#include "relay.h"

#include "fuzz.h"

#define MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_rcpt res[8];
	struct err err = ERR_INIT;
	size_t i, n, len;
	int rc, failed = -1, ok, all = 1;
	unsigned ext = 0;
	char *copy;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	n = data[0] & 7;
	ok = (data[0] >> 3) & 1;
	len = size - 1;
	copy = fuzz_copy(data + 1, len);
	memset(res, 0xa5, sizeof(res));
	rc = relay_replay(copy, len, res, n, ok, &failed, &ext, &err);
	FUZZ_CHECK((ext & ~(RELAY_EXT_8BITMIME | RELAY_EXT_PIPELINING | RELAY_EXT_SMTPUTF8 |
			    RELAY_EXT_SIZE | RELAY_EXT_DSN)) == 0);
	FUZZ_CHECK(failed == 0 || failed == 1);
	for (i = 0; i < n; i++) {
		size_t rl = strnlen(res[i].reply, sizeof(res[i].reply));

		FUZZ_CHECK(res[i].code >= 0 && res[i].code <= 999);
		FUZZ_CHECK(rl <= RELAY_REPLY_MAX);
		FUZZ_CHECK(!memchr(res[i].reply, '\n', rl) && !memchr(res[i].reply, '\r', rl));
		if (res[i].code == 0)
			all = 0;
	}
	FUZZ_CHECK((rc == 0) == all);
	if (rc < 0)
		FUZZ_CHECK(err.code != 0 && err.msg[0] != '\0');
	else
		FUZZ_CHECK(failed == 0);
	free(copy);
	return 0;
}
