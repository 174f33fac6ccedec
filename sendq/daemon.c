#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "xalloc.h"

/* Read and drop every pending event; returns how many bytes there were. */
static size_t drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

/* Wait for the flush lock (a cron flush may hold it for a while). */
static int lock(struct queue *q, volatile sig_atomic_t *stop, struct err *err)
{
	while (!*stop) {
		if (queue_lock_flush(q, err) == 0)
			return 1;
		if (err->errnum != EWOULDBLOCK)
			return -1;
		err_clear(err);
		poll(NULL, 0, 1000);
	}
	return 0;
}

static void pass(struct queue *q, const struct cfg *cfg, const struct flush_opts *o,
		 long *backoff, long *wait_out)
{
	struct flush_stats st;
	struct queue_recovery rec;
	struct err err = ERR_INIT;
	time_t now = time(NULL);

	if (queue_recover(q, QUEUE_STALE_AGE, &rec, &err) < 0 ||
	    flush_run(q, cfg, o, now, &st, &err) < 0) {
		*backoff = *backoff ? *backoff * 2 : 1;
		if (*backoff > DAEMON_MAX_BACKOFF)
			*backoff = DAEMON_MAX_BACKOFF;
		log_warnx("flush failed, next try in %lds: %s", *backoff, err.msg);
		*wait_out = *backoff;
		return;
	}
	*backoff = 0;
	if (st.messages)
		log_info("flush: %u message(s), %u sent, %u local, %u deferred, %u bounced, %u connection(s)",
			 st.messages, st.sent, st.local, st.deferred, st.bounced, st.connects);
	now = time(NULL);
	*wait_out = st.next_due == 0 ? DAEMON_MAX_SLEEP :
		    st.next_due <= now ? 0 : (long)(st.next_due - now);
	if (*wait_out > DAEMON_MAX_SLEEP)
		*wait_out = DAEMON_MAX_SLEEP;
}

int daemon_run(struct queue *q, const struct cfg *cfg, const struct flush_opts *o,
	       struct err *err)
{
	struct pollfd pfd;
	char *env_dir;
	long backoff = 0, wait = 0;
	int fd, rc, locked;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return err_sys(err, EX_OSERR, "cannot watch the queue");
	/* Every way into env/ is a rename (enqueue's commit, release,
	 * retry, our own envelope rewrites). */
	env_dir = xasprintf("%s/env", queue_dir(q));
	if (inotify_add_watch(fd, env_dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		rc = err_sys(err, EX_OSERR, "cannot watch '%s'", env_dir);
		free(env_dir);
		close(fd);
		return rc;
	}
	free(env_dir);
	locked = lock(q, o->stop, err);
	if (locked < 0) {
		close(fd);
		return -1;
	}
	log_info("relay agent started");
	while (!*o->stop) {
		pass(q, cfg, o, &backoff, &wait);
		/* Events from the pass's own rewrites are mixed with new mail;
		 * one more pass tells them apart cheaply, since a pass that
		 * finds nothing due writes nothing. */
		if (drain(fd) > 0 && backoff == 0)
			wait = 0;
		if (wait == 0 || *o->stop)
			continue;
		pfd.fd = fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)(wait * 1000));
		if (rc < 0 && errno != EINTR) {
			rc = err_sys(err, EX_OSERR, "cannot wait for the queue");
			close(fd);
			return rc;
		}
	}
	log_info("relay agent stopped");
	close(fd);
	return 0;
}
