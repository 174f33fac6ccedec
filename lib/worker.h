/*
 * worker: one background thread that works through items its owner hands
 * it, in the owner's order: the flush finisher (sendq/flush.c) and the
 * queue reaper (sendq/queue.c).  This module owns the thread, its lock and
 * its two conditions, and counts the items waiting; the owner keeps the
 * items themselves (a ring, a stack) and touches them only with the lock
 * held (worker_lock()) or from its callbacks.
 *
 * Callbacks: take(ctx) runs with the lock held when an item is due and
 * moves the next one out of the owner's store into a place of its own;
 * run(ctx) then does the work without the lock.  One item is in run() at
 * a time.
 *
 * The thread runs with every signal blocked: signals go to the main
 * thread.  A thread that cannot be started is no error: worker_new() returns NULL
 * and the owner does the work inline (every function accepts NULL as
 * "no thread").  Ownership: the owner frees with worker_free(), which
 * finishes what is handed over first.
 */
#ifndef SUREL_WORKER_H
#define SUREL_WORKER_H

#include <stddef.h>

struct worker;

/* Start the thread; NULL when it cannot be started (nothing to free). */
struct worker *worker_new(void (*take)(void *ctx), void (*run)(void *ctx), void *ctx);

/* The lock over the owner's store of items. */
void worker_lock(struct worker *w);
void worker_unlock(struct worker *w);

/* With the lock held: wait while the thread has limit or more items
 * waiting or in hand (limit 1: until it is idle). */
void worker_wait_below(struct worker *w, size_t limit);
/* With the lock held: n items were put in the owner's store; wake the
 * thread. */
void worker_added(struct worker *w, size_t n);

/* Without the lock: wait until every item handed over is done. */
void worker_drain(struct worker *w);

/* Finish every item handed over, end the thread and free. */
void worker_free(struct worker *w);

#endif
