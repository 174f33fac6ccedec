/*
 * sortstate: the order chosen for each folder (o, O, the thread toggle),
 * kept between sessions in $XDG_STATE_HOME/surel/sort-order.  The file is
 * versioned lines, "surel-sort-order 1" then one "THREADS SORT AUX PATH"
 * per folder (THREADS 0 or 1, SORT and AUX as the sort and sort_aux keys
 * spell them, PATH the folder's real path to the end of the line), replaced whole through
 * afile_write() under the lock file sort-order.lock, so two surels never
 * lose each other's lines and a crash leaves the old file or the new.
 * A missing, foreign or unreadable file is no memory at all.  What the
 * orders mean is sort.h's.
 */
#ifndef SUREL_SORTSTATE_H
#define SUREL_SORTSTATE_H

#include "err.h"
#include "sort.h"

/* A folder's order: sort without threads (never SORTSPEC_THREADS), aux for
 * threads and siblings when threaded. */
struct sortstate {
	struct sortspec sort, aux;
	int threads;
};

/* The order remembered for the folder at path: 1 with *out set, 0 when
 * there is none. */
int sortstate_get(const char *path, struct sortstate *out);
/* Remember the order for the folder at path (replacing what was there). */
int sortstate_put(const char *path, const struct sortstate *st, struct err *err)
	__attribute__((warn_unused_result));

#endif
