/*
 * Fuzz the index cache reader (spool/index_cache.c) through
 * index_cache_check().  The input is a cache image without its checksum;
 * the target appends the right one, so the fuzzer gets past it to the
 * header and records (a wrong checksum is a separate, trivial case, run
 * too).  Checks: a valid-looking image is accepted or discarded, never
 * read out of bounds.
 */
#include "config.h"

#include <string.h>

#include "index_cache.h"

#include "fuzz.h"

#define MAX_INPUT (64 * 1024)
/* The folder the seeds were made for (tests/fuzz/seeds/index_cache). */
#define FOLDER "/fuzz/Mail/INBOX"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t sum;
	char *img;
	long n;

	if (size > MAX_INPUT)
		return 0;
	img = malloc(size + 8);
	if (size)
		memcpy(img, data, size);
	sum = index_cache_hash(img, size);
	memcpy(img + size, &sum, 8);
	n = index_cache_check(FOLDER, img, size + 8);
	FUZZ_CHECK(n >= -1);
	if (n >= 0) {
		/* Any other checksum discards it. */
		img[size] ^= 1;
		FUZZ_CHECK(index_cache_check(FOLDER, img, size + 8) == -1);
	}
	free(img);
	return 0;
}
