/*
 * sortspec: the names of the index's orders as the sort and sort_aux
 * configuration keys spell them (mutt's): date (or date-sent),
 * date-received, from, to, subject, size, threads, each with an optional
 * "reverse-" prefix.  Only names: lib/cfg.c validates with it, the MUA's
 * mua/sort.h sorts.
 */
#ifndef SUREL_SORTSPEC_H
#define SUREL_SORTSPEC_H

enum sortspec_key {
	SORTSPEC_DATE,       /* Date header */
	SORTSPEC_RECEIVED,   /* delivery time */
	SORTSPEC_FROM,
	SORTSPEC_TO,
	SORTSPEC_SUBJECT,    /* without reply and forward prefixes */
	SORTSPEC_SIZE,
	SORTSPEC_THREADS,    /* threads ordered by the auxiliary order */
	SORTSPEC_NKEYS,
};

struct sortspec {
	enum sortspec_key key;
	int reverse;
};

/* Parse one of the names above into *out: 0, or -1 for anything else. */
int sortspec_parse(const char *s, struct sortspec *out);
/* The name of key without a prefix ("date", "date-received", ...). */
const char *sortspec_name(enum sortspec_key key);

#endif
