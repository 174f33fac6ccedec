#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "fetch.h"
#include "idxhint.h"
#include "imap.h"
#include "log.h"
#include "maildir.h"
#include "path.h"
#include "strv.h"
#include "sync.h"
#include "watch.h"
#include "watchall.h"
#include "xalloc.h"

/* Written once by the main thread when a signal asks to stop; every
 * account's epoll set holds the read end, so whatever it waits on wakes. */
static int stop_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stopping;
/* One sync or connect at a time in the process: the engine and the
 * sources were written for one thread (spool/source.c wraps stream
 * drivers in a shared table), and one at a time is also kinder to a
 * small machine.  Waiting in IDLE needs no lock. */
static pthread_mutex_t net_lock = PTHREAD_MUTEX_INITIALIZER;

#define LOCAL_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)

struct wdir {
	int wd;
	char *folder;  /* NULL: the account's root */
};

struct watcher {
	const struct cfg_account *a;
	const char *name;
	char *root;
	int ep, ino;
	struct wdir *wd;
	size_t nwd;
	struct strv inc, exc;
	struct strv dirty;   /* local folders changed since their last sync */
	int dirty_all;       /* a sync of every folder is due */
	double due;          /* when the pending sync may start */
	double first_change; /* of the local changes not yet synced; 0: none */
	double next_poll, retry_at;
	long poll_secs, idle_secs, delay, idle_delay;
	struct fetch_server sv;
	struct source *src;  /* the IDLE connection, NULL when down */
	int notify;          /* src has NOTIFY set: every folder reports */
	int no_idle;         /* the server cannot IDLE: poll only */
	double reconnect_at;
	pthread_t th;
	int started;
	volatile int done;
};

/* ---- local folders ---- */

static int any_match(const struct strv *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (fnmatch(v->v[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Whether the local folder name is synced, by sync_folders (default *)
 * and sync_exclude as spool sync reads them. */
static int synced(const struct watcher *w, const char *name)
{
	return (!w->inc.n || any_match(&w->inc, name)) && !any_match(&w->exc, name);
}

static void add_watch(struct watcher *w, const char *path, const char *folder, uint32_t mask)
{
	size_t i;
	int wd = inotify_add_watch(w->ino, path, mask);

	if (wd < 0) {
		log_debug("account '%s': cannot watch %s: %s", w->name, path, strerror(errno));
		return;
	}
	for (i = 0; i < w->nwd; i++)
		if (w->wd[i].wd == wd)
			return;
	w->wd = xreallocarray(w->wd, w->nwd + 1, sizeof(*w->wd));
	w->wd[w->nwd].wd = wd;
	w->wd[w->nwd].folder = folder ? xstrdup(folder) : NULL;
	w->nwd++;
}

/* Watch cur/ and new/ of every synced folder, and the root for new
 * folders; watches already there stay (inotify gives the same number). */
static void rescan(struct watcher *w)
{
	struct err err = ERR_INIT;
	char **names;
	size_t n, i;

	add_watch(w, w->root, NULL, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	if (maildir_folders(w->root, &names, &n, &err) < 0) {
		log_debug("account '%s': %s", w->name, err.msg);
		return;
	}
	for (i = 0; i < n; i++) {
		char *dir, *sub;

		if (!synced(w, names[i]))
			continue;
		dir = maildir_folder_path(w->root, names[i]);
		sub = path_join(dir, "cur");
		add_watch(w, sub, names[i], LOCAL_EVENTS);
		free(sub);
		sub = path_join(dir, "new");
		add_watch(w, sub, names[i], LOCAL_EVENTS);
		free(sub);
		free(dir);
	}
	maildir_names_free(names, n);
}

static void mark(struct watcher *w, const char *folder, double t)
{
	size_t i;

	if (!w->first_change)
		w->first_change = t;
	/* Quiet for a second, but never later than the bound after the
	 * first change: a folder written to all the time still syncs. */
	w->due = t + 1 < w->first_change + WATCHALL_DEBOUNCE_MAX ? t + 1 :
		 w->first_change + WATCHALL_DEBOUNCE_MAX;
	if (!folder) {
		w->dirty_all = 1;
		return;
	}
	for (i = 0; i < w->dirty.n; i++)
		if (strcmp(w->dirty.v[i], folder) == 0)
			return;
	strv_push(&w->dirty, folder);
}

static const struct wdir *wdir_find(const struct watcher *w, int wd)
{
	size_t i;

	for (i = 0; i < w->nwd; i++)
		if (w->wd[i].wd == wd)
			return &w->wd[i];
	return NULL;
}

static void read_events(struct watcher *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	double t = source_now();
	ssize_t n;

	while ((n = read(w->ino, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			const struct wdir *d = wdir_find(w, ev->wd);

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				mark(w, NULL, t);
			else if (d && d->folder)
				mark(w, d->folder, t);
			else if (d && (ev->mask & IN_ISDIR))
				mark(w, NULL, t);  /* a new folder, perhaps */
		}
	}
}

/* Handle what woke the epoll set, without waiting. */
static void drain(struct watcher *w, int ms)
{
	struct epoll_event ev[4];
	int n, i;

	n = epoll_wait(w->ep, ev, 4, ms);
	for (i = 0; i < n; i++)
		if (ev[i].data.fd == w->ino)
			read_events(w);
}

/* ---- syncing ---- */

/* name as an fnmatch pattern that matches only itself. */
static char *glob_quote(const char *name)
{
	struct buf b = BUF_INIT;
	char *s;

	for (; *name; name++) {
		if (strchr("*?[]\\", *name))
			buf_putc(&b, '\\');
		buf_putc(&b, *name);
	}
	s = xstrndup(b.data ? b.data : "", b.len);
	buf_release(&b);
	return s;
}

static void sync_pending(struct watcher *w)
{
	struct strv pats = STRV_INIT, folders = w->dirty;
	struct sync_opts o;
	struct sync_stats st;
	struct err err = ERR_INIT;
	int all = w->dirty_all, busy = 0, rc;
	size_t i;

	memset(&w->dirty, 0, sizeof(w->dirty));
	w->dirty_all = 0;
	w->first_change = 0;
	memset(&o, 0, sizeof(o));
	for (i = 0; !all && i < folders.n; i++) {
		char *q = glob_quote(folders.v[i]);

		strv_push(&pats, q);
		free(q);
	}
	o.folders = pats.v;
	o.nfolders = pats.n;
	pthread_mutex_lock(&net_lock);
	rc = sync_account(w->a, &o, &st, &busy, &err);
	pthread_mutex_unlock(&net_lock);
	strv_release(&pats);
	/* What another program changed in these folders (a sync's own
	 * changes it notes itself). */
	if (folders.n)
		idxhint_note(w->a);
	if (rc == 0 && !busy) {
		log_info("account '%s': %s synced: %zu in, %zu out, flags %zu here and %zu there, removed %zu here and %zu there in %.2f s",
			 w->name, all ? "every folder" : "changed folders", st.pulled, st.pushed,
			 st.flags_local, st.flags_remote, st.removed_local, st.removed_remote,
			 st.seconds);
		w->delay = 1;
		if (all)
			rescan(w);
		strv_release(&folders);
		return;
	}
	/* Not done: what was pending stays pending. */
	w->dirty_all = all;
	for (i = 0; i < folders.n; i++)
		mark(w, folders.v[i], source_now());
	strv_release(&folders);
	if (busy) {
		log_debug("account '%s': busy with another sync; trying again in %d s", w->name,
			  WATCHALL_BUSY_RETRY);
		w->retry_at = source_now() + WATCHALL_BUSY_RETRY;
	} else {
		log_warnx("%s; trying again in %ld s", err.msg, w->delay);
		w->retry_at = source_now() + (double)w->delay;
		w->delay = w->delay * 2 > WATCH_BACKOFF_MAX ? WATCH_BACKOFF_MAX : w->delay * 2;
	}
	w->due = w->retry_at;
}

/* ---- the IDLE connection ---- */

static void idle_close(struct watcher *w, int logout)
{
	struct err err = ERR_INIT;

	if (!w->src)
		return;
	if (logout && w->sv.ops->close(w->src, &err) < 0)
		log_debug("%s", err.msg);
	w->sv.ops->free(w->src);
	w->src = NULL;
}

static void idle_failed(struct watcher *w, struct err *err)
{
	log_warnx("account '%s': waiting for new mail: %s; again in %ld s", w->name, err->msg,
		  w->idle_delay);
	idle_close(w, 0);
	w->reconnect_at = source_now() + (double)w->idle_delay;
	w->idle_delay = w->idle_delay * 2 > WATCH_BACKOFF_MAX ? WATCH_BACKOFF_MAX :
							      w->idle_delay * 2;
}

/* Ask for a "* STATUS" whenever a message arrives, goes or changes its
 * flags in any of the account's folders (NOTIFY, RFC 5465); with
 * CONDSTORE enabled first, flag changes are reported too (as
 * HIGHESTMODSEQ).  The selected folder would report in its own way
 * (EXISTS, FETCH, EXPUNGE, of which IDLE only heeds EXISTS), so INBOX,
 * selected by the caller because libetpan's IDLE needs a selection, is
 * left again with UNSELECT (RFC 3691), never CLOSE, which would expunge.
 * Whether the server took it all; else INBOX stays selected. */
static int notify_set(struct watcher *w)
{
	struct mailimap *im = imap_session(w->src);

	if (!mailimap_has_extension(im, "NOTIFY") || !mailimap_has_extension(im, "UNSELECT"))
		return 0;
	if (mailimap_has_condstore(im) && mailimap_has_enable(im) &&
	    mailimap_custom_command(im, "ENABLE CONDSTORE") != MAILIMAP_NO_ERROR)
		log_debug("account '%s': ENABLE CONDSTORE refused", w->name);
	if (mailimap_custom_command(im, "NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))") !=
	    MAILIMAP_NO_ERROR) {
		log_debug("account '%s': NOTIFY refused; IDLE on INBOX", w->name);
		return 0;
	}
	if (mailimap_custom_command(im, "UNSELECT") != MAILIMAP_NO_ERROR) {
		log_debug("account '%s': UNSELECT refused; IDLE on INBOX", w->name);
		return 0;
	}
	return 1;
}

static void idle_connect(struct watcher *w)
{
	struct err err = ERR_INIT;
	uint32_t uidvalidity;
	int rc;

	if (!w->sv.ops->idle) {
		w->no_idle = 1;
		return;
	}
	pthread_mutex_lock(&net_lock);
	rc = w->sv.ops->open(&w->sv.conf, &w->src, &err);
	if (rc < 0) {
		w->src = NULL;
	} else {
		rc = w->sv.ops->select(w->src, "INBOX", 0, &uidvalidity, &err);
		if (rc == 0)
			w->notify = notify_set(w);
	}
	pthread_mutex_unlock(&net_lock);
	if (rc < 0) {
		idle_failed(w, &err);
		return;
	}
	log_debug("account '%s': waiting with %s", w->name, w->notify ? "NOTIFY" : "IDLE on INBOX");
	/* What changed before the reports were asked for (while the
	 * connection was down, or during SELECT and NOTIFY SET, whose
	 * untagged replies libetpan drops) was reported to nobody: a sync
	 * of every folder follows. */
	w->dirty_all = 1;
}

/* Whether the server sent something not read yet. */
static int unread(struct mailimap *im)
{
	struct pollfd p;

	if (im->imap_stream->read_buffer_len > 0)
		return 1;
	p.fd = mailstream_low_get_fd(mailstream_get_low(im->imap_stream));
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) > 0;
}

/* Read off what the server reported while no IDLE ran (during a sync),
 * so that it is synced without waiting for IDLE (whose start would take
 * it too, source.h).  1 when there was something (a change to sync), 0,
 * or -1 when the connection failed (err set). */
static int take_reports(struct watcher *w, struct err *err)
{
	struct mailimap *im = imap_session(w->src);
	int n = 0;

	while (n < 1000 && unread(im)) {
		if (!mailimap_read_line(im))
			return err_set(err, EX_TEMPFAIL, "%s: connection lost", w->sv.conf.host);
		n++;
	}
	return n > 0;
}

/* Wait until t_end at most for the server, local changes or the stop. */
static void wait_for(struct watcher *w, double t_end)
{
	double left = t_end - source_now();
	enum source_event ev;
	struct err err = ERR_INIT;
	long secs;
	int waiting;

	if (left <= 0)
		return;
	waiting = w->src ? take_reports(w, &err) : 0;
	if (waiting < 0) {
		idle_failed(w, &err);
		return;
	}
	if (waiting) {
		mark(w, w->notify ? NULL : "INBOX", source_now());
		return;
	}
	/* A sync a few seconds away (local changes being collected, a
	 * short back-off) is not worth an IDLE round trip. */
	if (!w->src || ((w->dirty_all || w->dirty.n) && w->due - source_now() <= WATCHALL_DEBOUNCE_MAX)) {
		drain(w, left > 60 ? 60000 : (int)(left * 1000) + 1);
		return;
	}
	secs = (long)left + 1;
	if (secs > w->idle_secs)
		secs = w->idle_secs;
	if (w->sv.ops->idle(w->src, w->ep, secs, &ev, &err) < 0) {
		idle_failed(w, &err);
		return;
	}
	w->idle_delay = 1;
	switch (ev) {
	case SOURCE_EV_NEW:
		/* NOTIFY names the folder, but a sync of every folder costs
		 * little more with QRESYNC, and a second of quiet gathers the
		 * reports of one change in several folders (a move). */
		log_debug("account '%s': %s", w->name,
			  w->notify ? "a change reported" : "new mail announced");
		if (w->notify) {
			mark(w, NULL, source_now());
		} else {
			mark(w, "INBOX", source_now());
			w->due = source_now();
		}
		break;
	case SOURCE_EV_WAKE:
		drain(w, 0);
		break;
	case SOURCE_EV_UNSUPPORTED:
		log_info("account '%s': the server has no IDLE; syncing every %ld s", w->name,
			 w->poll_secs);
		w->no_idle = 1;
		idle_close(w, 1);
		break;
	case SOURCE_EV_TIMEOUT:
		break;
	}
}

static double min2(double a, double b)
{
	return a < b ? a : b;
}

static void *account_main(void *arg)
{
	struct watcher *w = arg;

	w->dirty_all = 1;
	w->due = 0;
	w->next_poll = source_now() + (double)w->poll_secs;
	while (!stopping) {
		double t = source_now(), t_end;
		int pending = w->dirty_all || w->dirty.n;

		/* Connected first: a sync tells nothing of changes made
		 * after it and before the server was asked to report them. */
		if (!w->src && !w->no_idle && t >= w->reconnect_at) {
			idle_connect(w);
			continue;
		}
		if (pending && t >= w->due && t >= w->retry_at) {
			sync_pending(w);
			continue;
		}
		if (t >= w->next_poll) {
			mark(w, NULL, t);
			w->due = t;
			w->next_poll = t + (double)w->poll_secs;
			continue;
		}
		t_end = w->next_poll;
		if (pending)
			t_end = min2(t_end, w->due > w->retry_at ? w->due : w->retry_at);
		if (!w->src && !w->no_idle)
			t_end = min2(t_end, w->reconnect_at);
		wait_for(w, t_end);
	}
	idle_close(w, 1);
	w->done = 1;
	return NULL;
}

/* ---- the process ---- */

static void watcher_free(struct watcher *w)
{
	size_t i;

	idle_close(w, 0);
	for (i = 0; i < w->nwd; i++)
		free(w->wd[i].folder);
	free(w->wd);
	if (w->ino >= 0)
		close(w->ino);
	if (w->ep >= 0)
		close(w->ep);
	strv_release(&w->inc);
	strv_release(&w->exc);
	strv_release(&w->dirty);
	fetch_server_release(&w->sv);
	free(w->root);
}

static int epoll_add(int ep, int fd, struct err *err)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return err_sys(err, EX_OSERR, "epoll_ctl");
	return 0;
}

static int watcher_init(struct watcher *w, const struct cfg_account *a, struct err *err)
{
	memset(w, 0, sizeof(*w));
	w->ep = w->ino = -1;
	w->a = a;
	w->name = cfg_account_name(a);
	w->delay = w->idle_delay = 1;
	watch_intervals(a, &w->idle_secs, &w->poll_secs);
	if (fetch_server_init(a, &w->sv, err) < 0)
		return -1;
	w->root = xstrdup(cfg_get(a, "maildir"));
	strv_split(&w->inc, cfg_get(a, "sync_folders"), ", \t");
	strv_split(&w->exc, cfg_get(a, "sync_exclude"), ", \t");
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		return err_sys(err, EX_OSERR, "epoll_create1");
	w->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->ino < 0)
		return err_sys(err, EX_OSERR, "inotify_init1");
	if (epoll_add(w->ep, w->ino, err) < 0 || epoll_add(w->ep, stop_pipe[0], err) < 0)
		return -1;
	rescan(w);
	return 0;
}

/* The accounts spool sync --all syncs. */
static int is_imap(const struct cfg_account *a)
{
	const char *url = cfg_get(a, "fetch");

	return url && strncmp(url, "imap", 4) == 0;
}

/* Wait for the account threads, WATCHALL_STOP_GRACE seconds at most. */
static void join_all(struct watcher *w, size_t n)
{
	double end = source_now() + WATCHALL_STOP_GRACE;
	size_t i, left;

	do {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		for (i = left = 0; i < n; i++)
			left += w[i].started && !w[i].done;
		if (!left)
			break;
		nanosleep(&ts, NULL);
	} while (source_now() < end);
	if (left) {
		/* A sync still running is cut with the process: sync.h's
		 * commit points make that safe, as kill -9 is. */
		log_warnx("%zu sync(s) still running; leaving them", left);
		_exit(0);
	}
	for (i = 0; i < n; i++)
		if (w[i].started)
			pthread_join(w[i].th, NULL);
}

static int start_all(const struct cfg *cfg, struct watcher *w, size_t *n_out, struct err *err)
{
	size_t i, n = 0;

	for (i = 0; i < cfg_account_count(cfg); i++) {
		const struct cfg_account *a = cfg_account_at(cfg, i);

		if (!is_imap(a))
			continue;
		if (watcher_init(&w[n], a, err) < 0) {
			err_prefix(err, "account '%s'", cfg_account_name(a));
			watcher_free(&w[n]);
			return -1;
		}
		n++;
		*n_out = n;
	}
	if (!n)
		return err_set(err, EX_CONFIG, "%s: no account has an IMAP 'fetch' server",
			       cfg_path(cfg));
	for (i = 0; i < n; i++) {
		if (pthread_create(&w[i].th, NULL, account_main, &w[i]) != 0)
			return err_set(err, EX_OSERR, "cannot start a thread");
		w[i].started = 1;
	}
	return 0;
}

int watchall_run(const struct cfg *cfg, struct err *err)
{
	struct watcher *w = xcalloc(cfg_account_count(cfg) + 1, sizeof(*w));
	sigset_t set;
	size_t n = 0, i;
	int sig, rc;

	if (pipe2(stop_pipe, O_CLOEXEC) < 0) {
		free(w);
		return err_sys(err, EX_OSERR, "pipe");
	}
	signal(SIGPIPE, SIG_IGN);
	/* The threads inherit the mask: only sigwait() below sees these. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rc = start_all(cfg, w, &n, err);
	if (rc == 0) {
		log_info("watching %zu account(s)", n);
		while (sigwait(&set, &sig) != 0)
			continue;
		log_info("signal %d: stopping", sig);
	}
	stopping = 1;
	if (write(stop_pipe[1], "x", 1) < 0)
		log_debug("stop pipe: %s", strerror(errno));
	join_all(w, n);
	for (i = 0; i < n; i++)
		watcher_free(&w[i]);
	free(w);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = stop_pipe[1] = -1;
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return rc;
}
