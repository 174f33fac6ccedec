#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "worker.h"
#include "xalloc.h"

struct worker {
	pthread_mutex_t mu;
	pthread_cond_t work_cv;     /* an item arrived, or stop */
	pthread_cond_t done_cv;     /* an item was done */
	pthread_t thread;
	int stop, busy;
	size_t waiting;             /* items handed over and not taken yet */
	void (*take)(void *ctx);
	void (*run)(void *ctx);
	void *ctx;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->waiting == 0 && !w->stop)
			pthread_cond_wait(&w->work_cv, &w->mu);
		if (w->waiting == 0)
			break;
		w->waiting--;
		w->take(w->ctx);
		w->busy = 1;
		pthread_mutex_unlock(&w->mu);
		w->run(w->ctx);
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		pthread_cond_broadcast(&w->done_cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct worker *worker_new(void (*take)(void *ctx), void (*run)(void *ctx), void *ctx)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	sigset_t all, old;
	int rc;

	w->take = take;
	w->run = run;
	w->ctx = ctx;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work_cv, NULL);
	pthread_cond_init(&w->done_cv, NULL);
	/* The thread starts with every signal blocked, so that they reach
	 * the main thread (the daemon's SIGTERM must interrupt its poll()). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work_cv);
		pthread_cond_destroy(&w->done_cv);
		free(w);
		return NULL;
	}
	return w;
}

void worker_lock(struct worker *w)
{
	if (w)
		pthread_mutex_lock(&w->mu);
}

void worker_unlock(struct worker *w)
{
	if (w)
		pthread_mutex_unlock(&w->mu);
}

void worker_wait_below(struct worker *w, size_t limit)
{
	if (!w)
		return;
	while (w->waiting + (size_t)w->busy >= limit)
		pthread_cond_wait(&w->done_cv, &w->mu);
}

void worker_added(struct worker *w, size_t n)
{
	if (!w)
		return;
	w->waiting += n;
	pthread_cond_signal(&w->work_cv);
}

void worker_drain(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	worker_wait_below(w, 1);
	pthread_mutex_unlock(&w->mu);
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->work_cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work_cv);
	pthread_cond_destroy(&w->done_cv);
	free(w);
}
