/*
 * abook_internal: what the two files of abook (abook.c, the learned book;
 * abook_src.c, aliases, the query command and the merge) share: a 64-bit
 * hash and a set of hashes.  No other module includes it.
 */
#ifndef SUREL_ABOOK_INTERNAL_H
#define SUREL_ABOOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a over len bytes of s (ASCII case folded when lower); never 0. */
uint64_t abook_hash(const char *s, size_t len, int lower);

/* A set of hashes (open addressing; 0 marks a free slot).  Zeroed is
 * empty; abook_set_release() frees it. */
struct abook_set {
	uint64_t *slot;
	size_t cap, n;  /* cap is 0 or a power of two */
};

int abook_set_has(const struct abook_set *s, uint64_t h);
/* Add h (not 0); returns 1 when it was new. */
int abook_set_add(struct abook_set *s, uint64_t h);
void abook_set_release(struct abook_set *s);
/* Make room for n hashes in all (capped: a count read from a file). */
void abook_set_reserve(struct abook_set *s, size_t n);

#endif
