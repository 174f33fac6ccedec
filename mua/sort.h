/*
 * sort: the orders of the index screen (mutt's $sort and $sort_aux): date
 * sent, date received, sender, recipient, subject, size, each reversible,
 * and "threads", which thread.h builds with one of the others ordering
 * threads and siblings.  Collation keys (case-folded strings, subjects
 * without "Re:"/"Fwd:", a 64-bit prefix of each) are computed the first
 * time an order needs them; an order is a radix sort on the 64-bit keys
 * (ties of string prefixes sorted again by the whole key) and is kept once
 * made, so changing the order back and forth costs no sorting.  It reads no file: the caller passes the
 * fields; drawing and the key to change the order are browser.c's, the
 * per-folder memory of the choice is sortstate.h's, the names sortspec.h's.
 *
 * Ownership: sort_new() copies the numbers and borrows the strings, which
 * must stay valid until sort_free() (the browser makes a new sort after
 * each read of the folder); returned arrays are borrowed until
 * sort_free().
 */
#ifndef SUREL_SORT_H
#define SUREL_SORT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "sortspec.h"

/* What sorting needs of one message (the strings borrowed, see above). */
struct sort_msg {
	time_t date;         /* -1 when unknown: sorts first */
	time_t received;     /* -1 when unknown: the date stands in */
	off_t size;
	const char *from;    /* as shown in the index */
	const char *to;
	const char *subject;
};

struct sort;

/* Collation keys for n messages, given in the folder's order (which breaks
 * every tie, so orders are stable).  Caller frees with sort_free(). */
struct sort *sort_new(const struct sort_msg *msgs, size_t n);
void sort_free(struct sort *s);

/* The n message indexes in ascending order of key (not SORTSPEC_THREADS);
 * borrowed until sort_free().  The first call per key sorts, later ones
 * return the same array. */
const size_t *sort_order(struct sort *s, enum sortspec_key key);
/* Per message, its position in sort_order(s, key) (reverse: counted from
 * the end); what thread.h is given to order threads and siblings.
 * Borrowed until sort_free() or the next call. */
const size_t *sort_rank(struct sort *s, enum sortspec_key key, int reverse);
/* Compare messages a and b by key as sort_order() does: <0, 0 (only when
 * a == b), >0.  Ties: the date, then the folder's order. */
int sort_compare(struct sort *s, enum sortspec_key key, size_t a, size_t b);

/* The received time in a Maildir key ("1700000000.M1P2.host"), or -1. */
time_t sort_key_time(const char *key);
/* s without leading "Re:", "Fwd:", "Fw:", "Aw:", "Re[2]:" prefixes and
 * blanks, compared case-insensitively (a pointer into s). */
const char *sort_subject_base(const char *s);

#endif
