#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "fetch.h"
#include "log.h"
#include "watch.h"

/* Self-pipe: the signal handler writes a byte so that whatever poll() is
 * waiting (IDLE, back-off, polling interval) wakes at once. */
static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t n;

	(void)sig;
	stopping = 1;
	n = write(wake_pipe[1], "x", 1);
	(void)n;
	errno = saved;
}

static int signals_init(struct err *err)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	size_t i;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_sys(err, EX_OSERR, "pipe");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART keeps plain reads and writes going; poll() and connect()
	 * still return EINTR, which is what wakes a blocked network call. */
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return err_sys(err, EX_OSERR, "sigaction");
	/* A server that hangs up must be an error on write, not death. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return err_sys(err, EX_OSERR, "sigaction");
	return 0;
}

static void signals_release(void)
{
	if (wake_pipe[0] >= 0)
		close(wake_pipe[0]);
	if (wake_pipe[1] >= 0)
		close(wake_pipe[1]);
	wake_pipe[0] = wake_pipe[1] = -1;
}

/* Sleep seconds, or less when a signal asks to stop. */
static void nap(long seconds)
{
	struct pollfd p;
	long ms = seconds * 1000;

	while (!stopping && ms > 0) {
		int slice = ms > 60000 ? 60000 : (int)ms;

		p.fd = wake_pipe[0];
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, slice) == 0)
			ms -= slice;
	}
}

/* A positive number of seconds from the environment, else dflt. */
static long env_seconds(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end == '\0' && n > 0 ? n : dflt;
}

void watch_intervals(const struct cfg_account *a, long *idle_secs, long *poll_secs)
{
	*idle_secs = env_seconds("SPOOL_IDLE_SECONDS", WATCH_IDLE_SECONDS);
	*poll_secs = env_seconds("SPOOL_POLL_SECONDS",
				 cfg_get_duration(a, "poll_interval", WATCH_POLL_SECONDS));
}

static void report(const char *account, const struct fetch_stats *st)
{
	if (st->messages)
		log_info("account '%s': %zu message(s), %.1f MB in %.2f s", account, st->messages,
			 (double)st->bytes / 1e6, st->seconds);
}

int watch_run(const struct cfg *cfg, const char *account, struct err *err)
{
	static const struct fetch_opts o = { NULL, 0 };
	const struct cfg_account *a = cfg_account_find(cfg, account, err);
	struct fetch_session *fs = NULL;
	struct fetch_stats st;
	enum source_event ev = SOURCE_EV_TIMEOUT;
	long idle_secs, poll_secs, delay = 1;
	const char *name;
	int busy = 0, connected = 0, clean = 0, said_poll = 0, imap, rc = -1;

	if (!a)
		return -1;
	name = cfg_account_name(a);
	watch_intervals(a, &idle_secs, &poll_secs);
	if (signals_init(err) < 0)
		goto out;
	if (fetch_session_open(a, &o, &fs, &busy, err) < 0)
		goto out;
	if (busy) {
		rc = 0;
		goto out;
	}
	fetch_session_set_stop(fs, &stopping);
	imap = fetch_session_is_imap(fs);
	if (!imap)
		log_info("account '%s': POP3 cannot wait for mail; fetching every %ld s", name,
			 poll_secs);
	while (!stopping) {
		int step;

		clean = 0;
		if (!connected) {
			step = fetch_session_connect(fs, err);
			if (step == 0) {
				connected = 1;
				step = fetch_session_pull(fs, NULL, &st, err);
			}
			if (step == 0) {
				report(name, &st);
				delay = 1;
				if (!imap) {
					/* A POP3 session sees the maildrop as it was at
					 * login: QUIT, wait, log in again. */
					connected = 0;
					step = fetch_session_disconnect(fs, err);
					if (step == 0) {
						nap(poll_secs);
						continue;
					}
				}
			}
		} else {
			step = fetch_session_idle(fs, "INBOX", wake_pipe[0], idle_secs, &ev, err);
			if (step == 0) {
				switch (ev) {
				case SOURCE_EV_NEW:
					log_debug("account '%s': new mail announced", name);
					step = fetch_session_pull(fs, "INBOX", &st, err);
					break;
				case SOURCE_EV_UNSUPPORTED:
					if (!said_poll)
						log_info("account '%s': the server has no IDLE; fetching every %ld s",
							 name, poll_secs);
					said_poll = 1;
					/* A fetch selects the folders again, which
					 * shows what arrived. */
					nap(poll_secs);
					/* fall through */
				case SOURCE_EV_TIMEOUT:
					/* Every folder, not only INBOX, and IDLE anew
					 * before the server's 30-minute limit. */
					step = stopping ? 0 : fetch_session_pull(fs, NULL, &st, err);
					break;
				case SOURCE_EV_WAKE:
					clean = 1;
					break;
				}
				if (step == 0 && ev != SOURCE_EV_WAKE)
					report(name, &st);
			}
		}
		if (step == 0)
			continue;
		if (stopping) {
			/* Interrupted between batches or in a network call:
			 * whatever was fetched is committed. */
			err_clear(err);
			break;
		}
		/* For notifiers: the first failure of a streak, not every
		 * retry of the back-off. */
		if (delay == 1 && err_is_temp(err))
			events_log("sync_error", name, "error", err->msg, (const char *)NULL);
		if (!err_is_temp(err))
			goto out;
		log_warnx("%s; trying again in %ld s", err->msg, delay);
		err_clear(err);
		connected = 0;
		nap(delay);
		delay = delay * 2 > WATCH_BACKOFF_MAX ? WATCH_BACKOFF_MAX : delay * 2;
	}
	/* LOGOUT only from a known state (IDLE ended by DONE); a session cut
	 * short mid-command is just dropped. */
	if (connected && clean) {
		struct err e2 = ERR_INIT;

		if (fetch_session_disconnect(fs, &e2) < 0)
			log_debug("%s", e2.msg);
	}
	rc = 0;
out:
	if (rc < 0)
		events_log("sync_error", name, "error", err->msg, (const char *)NULL);
	fetch_session_free(fs);
	signals_release();
	return rc;
}
