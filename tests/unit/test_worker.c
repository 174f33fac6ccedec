#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "suites.h"
#include "worker.h"

#define N 200
#define LIMIT 4

/* A queue of numbers the worker moves to done[] in order. */
struct work {
	int items[N];
	size_t head, count;
	int cur;
	int blocked;              /* SIGTERM was blocked in the thread */
	int done[N];
	size_t ndone;
	size_t max_in_flight;     /* seen by the owner under the lock */
};

static void take(void *arg)
{
	struct work *k = arg;

	k->cur = k->items[k->head++];
	k->count--;
}

static void run(void *arg)
{
	struct work *k = arg;
	sigset_t mask;

	if (k->ndone == 0 && pthread_sigmask(SIG_SETMASK, NULL, &mask) == 0)
		k->blocked = sigismember(&mask, SIGTERM) == 1;
	if (k->cur % 50 == 0)
		usleep(1000);
	k->done[k->ndone++] = k->cur;
}

static void push(struct worker *w, struct work *k, int v, size_t limit)
{
	worker_lock(w);
	worker_wait_below(w, limit);
	k->items[k->head + k->count++] = v;
	worker_added(w, 1);
	worker_unlock(w);
}

static void test_order_drain(void)
{
	struct work k;
	struct worker *w;
	int i;

	memset(&k, 0, sizeof(k));
	w = worker_new(take, run, &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	for (i = 0; i < N / 2; i++)
		push(w, &k, i, LIMIT);
	worker_drain(w);
	/* Drained: everything handed over is done, in order. */
	CU_ASSERT_EQUAL(k.ndone, N / 2);
	/* Signals are the main thread's. */
	CU_ASSERT(k.blocked);
	for (i = 0; i < N / 2; i++)
		CU_ASSERT_EQUAL(k.done[i], i);
	for (; i < N; i++)
		push(w, &k, i, N);
	/* worker_free finishes what is handed over first. */
	worker_free(w);
	CU_ASSERT_EQUAL(k.ndone, N);
	CU_ASSERT_EQUAL(k.done[N - 1], N - 1);
	/* No thread is no work: every call takes NULL. */
	worker_lock(NULL);
	worker_wait_below(NULL, 1);
	worker_added(NULL, 1);
	worker_unlock(NULL);
	worker_drain(NULL);
	worker_free(NULL);
}

void suite_worker(void)
{
	CU_pSuite s = CU_add_suite("worker", NULL, NULL);

	CU_add_test(s, "items in order, drain, free finishes the rest", test_order_drain);
}
