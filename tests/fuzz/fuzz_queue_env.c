/*
 * Fuzz the queue's envelope reader: queue_env_parse() of any bytes either
 * fails with EX_DATAERR or gives an envelope whose every accessor works,
 * and which formats to text that parses back to the same envelope.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "err.h"
#include "queue.h"
#include "queue_env.h"

#include "fuzz.h"

#define MAX_INPUT (64 * 1024)

static void walk(const struct queue_env *e)
{
	size_t i, n = queue_env_rcpt_count(e);

	(void)queue_env_id(e);
	(void)queue_state_name(queue_env_state(e));
	FUZZ_CHECK(queue_env_account(e) != NULL);
	FUZZ_CHECK(queue_env_sender(e) != NULL);
	(void)queue_env_created(e);
	(void)queue_env_next_attempt(e);
	(void)queue_env_attempts(e);
	(void)queue_env_size(e);
	(void)queue_env_error(e);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(queue_env_rcpt_addr(e, i) != NULL);
		(void)queue_rcpt_status_name(queue_env_rcpt_status(e, i));
		(void)queue_env_rcpt_reply(e, i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct queue_env *e, *e2;
	struct buf a = BUF_INIT, b = BUF_INIT;
	char *copy;

	if (size > MAX_INPUT)
		return 0;
	copy = fuzz_copy(data, size);
	e = queue_env_parse(copy, size, "/q/env/fuzzid", &err);
	if (!e) {
		FUZZ_CHECK(err.code == EX_DATAERR);
		free(copy);
		return 0;
	}
	walk(e);
	/* What the reader accepts, the writer writes back the same. */
	queue_env_format(e, &a);
	e2 = queue_env_parse(a.data, a.len, "/q/env/fuzzid", &err);
	if (!e2)
		fprintf(stderr, "reparse failed: %s\n", err.msg);
	FUZZ_CHECK(e2 != NULL);
	queue_env_format(e2, &b);
	FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	queue_env_free(e2);
	queue_env_free(e);
	buf_release(&a);
	buf_release(&b);
	free(copy);
	return 0;
}
