/*
 * compose: the session around one message: who writes it, the editor, and
 * the hand-off to the queue, the Drafts folder and the relay.  Draft text
 * is compose_draft.c's, the MIME message compose_mime.c's, the attachment
 * list compose_attach.c's.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "afile.h"
#include "compose_internal.h"
#include "enqueue.h"
#include "idxhint.h"
#include "maildir.h"
#include "msg.h"
#include "path.h"
#include "proc.h"
#include "queue.h"
#include "summary.h"
#include "xalloc.h"

/* A send_delay this long or longer is left to `sendq daemon` or cron:
 * a process sleeping for hours to flush once is not a nudge. */
#define NUDGE_MAX_DELAY 3600

static void own_add(struct compose *c, const char *addr)
{
	c->own = xreallocarray(c->own, c->nown + 1, sizeof(*c->own));
	c->own[c->nown++] = xstrdup(addr);
}

/* From and address out of $EMAIL, when there is no configuration. */
static int identity_from_env(struct compose *c, struct err *err)
{
	const char *e = getenv("EMAIL");
	struct addr_mbox *v = NULL;
	struct buf b = BUF_INIT;
	size_t n = 0;
	int rc = -1;

	if (!e || !e[0])
		return err_set(err, EX_CONFIG,
			       "no From address: no configuration file and $EMAIL is not set");
	if (compose_parse_mboxes(e, "$EMAIL", NULL, &v, &n, err) < 0 || n != 1 ||
	    !strchr(v[0].addr, '@') || !addr_valid(v[0].addr, ADDR_SYNTAX)) {
		err_clear(err);
		err_set(err, EX_CONFIG, "no From address: $EMAIL is not one address");
		goto out;
	}
	compose_put_mbox_draft(&b, v[0].name, v[0].addr);
	c->from = buf_detach(&b, NULL);
	c->addr = xstrdup(v[0].addr);
	own_add(c, c->addr);
	rc = 0;
out:
	addr_list_free(v, n);
	return rc;
}

struct compose *compose_new(const struct cfg *cfg, const char *account, struct err *err)
{
	struct compose *c = xcalloc(1, sizeof(*c));
	struct buf b = BUF_INIT;
	size_t i;

	buf_init(&c->draft);
	c->cfg = cfg;
	if (!cfg) {
		if (identity_from_env(c, err) < 0) {
			compose_free(c);
			return NULL;
		}
		return c;
	}
	c->acct = cfg_account_find(cfg, account, err);
	if (!c->acct) {
		compose_free(c);
		return NULL;
	}
	/* cfg refuses an account without an address at load time. */
	c->addr = xstrdup(cfg_get(c->acct, "address"));
	compose_put_mbox_draft(&b, cfg_get(c->acct, "name"), c->addr);
	c->from = buf_detach(&b, NULL);
	for (i = 0; i < cfg_account_count(cfg); i++)
		own_add(c, cfg_get(cfg_account_at(cfg, i), "address"));
	compose_pgp_defaults(c);
	return c;
}

const char *compose_from(const struct compose *c)
{
	return c->from;
}

void compose_free(struct compose *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nhdr; i++) {
		free(c->hdr[i].name);
		free(c->hdr[i].value);
	}
	free(c->hdr);
	free(c->body);
	buf_release(&c->draft);
	while (c->natt > 0)
		compose_attach_drop(c, c->natt - 1);
	free(c->att);
	for (i = 0; i < c->nown; i++)
		free(c->own[i]);
	free(c->own);
	free(c->in_reply_to);
	free(c->references);
	free(c->from);
	free(c->addr);
	free(c);
}

/* --- the editor ---------------------------------------------------------- */

static const char *editor_of(const struct cfg *cfg)
{
	const char *e = cfg ? cfg_general(cfg, "editor") : NULL;

	if (!e || !e[0])
		e = getenv("VISUAL");
	if (!e || !e[0])
		e = getenv("EDITOR");
	return e && e[0] ? e : "vi";
}

/* The editor's file lives in a directory of its own (mode 0700), so no
 * one else can see even its name, and an editor's swap or backup files
 * land beside it where they are removed with it.  What the directory
 * held is overwritten before it is unlinked: the draft of an encrypted
 * message must not stay readable in freed blocks of a tmpfs or a
 * journal-less file system.
 *
 * The editor runs in a process group of its own, given the terminal, so
 * that a SIGTERM or SIGHUP to surel can be handed on to all of it (an
 * editor started by a wrapper script too) and is never left running on
 * the terminal.  The handler only notes the signal and forwards it; the
 * editor is then waited for (SIGKILL after EDIT_GRACE tenths of a second),
 * what it saved is read back, the directory is scrubbed, and the caller
 * keeps the draft (compose_edit_signal()). */
static char edit_dir[4096], edit_file[4096 + 16];
static volatile sig_atomic_t edit_sig, edit_pgid;
static struct sigaction edit_old_term, edit_old_hup;

#define EDIT_GRACE 50

/* Overwrite the regular file name (in the directory dfd) with zeros and
 * unlink it. */
static void scrub_at(int dfd, const char *name)
{
	static const char zeros[4096];
	struct stat st;
	off_t done = 0;
	ssize_t w;
	int fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			while (done < st.st_size) {
				w = write(fd, zeros, st.st_size - done < (off_t)sizeof(zeros)
							 ? (size_t)(st.st_size - done) : sizeof(zeros));
				if (w <= 0)
					break;
				done += w;
			}
			fdatasync(fd);
		}
		close(fd);
	}
	unlinkat(dfd, name, 0);
}

/* Scrub every file in the editor's directory (its file, and the swap,
 * backup or emergency files an editor leaves beside it) and remove the
 * directory.  Removing entries while reading may hide others, so the
 * directory is read again until a pass removes nothing. */
static void edit_dir_remove(void)
{
	int dfd = open(edit_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	int pass, removed = 1;

	if (!d && dfd >= 0)
		close(dfd);
	for (pass = 0; d && removed && pass < 8; pass++) {
		removed = 0;
		rewinddir(d);
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			scrub_at(dirfd(d), de->d_name);
			removed = 1;
		}
	}
	if (d)
		closedir(d);
	rmdir(edit_dir);
}

/* Becoming a subreaper first makes what the signal orphans (an editor
 * under a wrapper whose shell dies at once) our children, so that
 * wait_editor() can wait for all of the group (prctl is a bare system
 * call). */
static void edit_on_signal(int sig)
{
	if (!edit_sig)
		edit_sig = sig;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (edit_pgid > 0)
		kill(-(pid_t)edit_pgid, sig);
}

/* No SA_RESTART: the signal must end the wait for the editor. */
static void edit_signals(int on)
{
	struct sigaction sa;

	if (on) {
		edit_sig = 0;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = edit_on_signal;
		sigfillset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, &edit_old_term);
		sigaction(SIGHUP, &sa, &edit_old_hup);
	} else {
		sigaction(SIGTERM, &edit_old_term, NULL);
		sigaction(SIGHUP, &edit_old_hup, NULL);
	}
}

int compose_edit_signal(void)
{
	return edit_sig;
}

/* Make pgid the terminal's foreground process group.  SIGTTOU is blocked
 * meanwhile: a process of a background group that asks is stopped
 * otherwise. */
static void give_terminal(pid_t pgid)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGTTOU);
	sigprocmask(SIG_BLOCK, &block, &old);
	tcsetpgrp(STDIN_FILENO, pgid);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The editor stopped (^Z): take the terminal back and stop as well, so
 * the shell sees the job stop; when continued, hand it back and let the
 * editor go on. */
static void stop_with(pid_t pid)
{
	give_terminal(getpgrp());
	raise(SIGSTOP);
	give_terminal(pid);
	kill(-pid, SIGCONT);
}

/* Wait for the editor (process group pid) to end, its status in *status.
 * tty: it has the terminal, and job control is ours to pass on.  Once
 * SIGTERM or SIGHUP arrived, the editor's whole group gets it (again: it
 * may have come before the group existed) and SIGCONT, and after the
 * grace time SIGKILL; then every process of the group is waited for,
 * since the editor under a wrapper may still be saving its files or
 * resetting the terminal. */
static int wait_editor(pid_t pid, int tty, int *status)
{
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	int ticks = -1, flags, st;
	pid_t r, who = pid;

	for (;;) {
		if (edit_sig && ticks < 0) {
			prctl(PR_SET_CHILD_SUBREAPER, 1);
			kill(-pid, edit_sig);
			kill(-pid, SIGCONT);
			ticks = 0;
		}
		flags = (tty && who == pid ? WUNTRACED : 0) |
			(ticks >= 0 && ticks <= EDIT_GRACE ? WNOHANG : 0);
		r = waitpid(who, who == pid ? status : &st, flags);
		if (r < 0 && errno == ECHILD && who != pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == pid && !WIFSTOPPED(*status) && !edit_sig)
			return 0;
		if (r == pid && !WIFSTOPPED(*status))
			who = -pid;
		else if (r == pid && edit_sig)
			kill(-pid, SIGCONT);
		else if (r == pid)
			stop_with(pid);
		else if (r == 0 && ++ticks <= EDIT_GRACE)
			nanosleep(&tick, NULL);
		else if (r == 0)
			kill(-pid, SIGKILL);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	return 0;
}

/* Run `sh -c 'EDITOR "$1"' sh path` and wait, as system(3) does: the
 * parent ignores SIGINT and SIGQUIT meanwhile, so a ^C meant for the
 * editor does not kill the program holding the message (the terminal
 * sends it to the editor's group alone when surel can hand the terminal
 * over).  An editor killed by a signal may leave the terminal raw: its
 * modes from before are put back. */
static int run_editor(const char *editor, const char *path, struct err *err)
{
	struct sigaction ign, old_int, old_quit;
	sigset_t block, old_mask;
	struct termios modes;
	char *cmd = xasprintf("%s \"$1\"", editor);
	int tty = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	int status = 0, rc = -1;
	pid_t pid;

	if (tty && tcgetattr(STDIN_FILENO, &modes) < 0)
		tty = 0;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	/* Until the child has its group and our handler knows it. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		if (tty)
			give_terminal(getpid());
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		execl("/bin/sh", "sh", "-c", cmd, "sh", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		/* Both sides: whichever runs first. */
		setpgid(pid, pid);
		if (tty)
			give_terminal(pid);
		edit_pgid = pid;
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (pid < 0) {
		err_sys(err, EX_OSERR, "cannot start the editor '%s'", editor);
		goto out;
	}
	if (wait_editor(pid, tty, &status) < 0) {
		err_sys(err, EX_OSERR, "cannot wait for the editor '%s'", editor);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		err_set(err, EX_SOFTWARE, "editor '%s' failed: exit status %d", editor,
			WEXITSTATUS(status));
	else
		err_set(err, EX_SOFTWARE, "editor '%s' failed: killed by signal %d", editor,
			WTERMSIG(status));
out:
	edit_pgid = 0;
	if (tty) {
		give_terminal(getpgrp());
		if (pid > 0 && WIFSIGNALED(status))
			tcsetattr(STDIN_FILENO, TCSADRAIN, &modes);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	free(cmd);
	return rc;
}

/* After SIGTERM or SIGHUP: what the editor saved so far becomes the draft
 * (the text before the edit when that does not parse), so the caller can
 * keep it.  Always -1, err saying why. */
static int edit_ended(struct compose *c, const char *data, size_t len, int *changed_out,
		      struct err *err)
{
	struct buf prev = BUF_INIT;
	struct err perr = ERR_INIT;

	if (data) {
		if (changed_out)
			*changed_out = len != c->draft.len || memcmp(data, c->draft.data, len) != 0;
		buf_append(&prev, c->draft.data, c->draft.len);
		if (compose_set_draft(c, data, len, &perr) < 0 &&
		    compose_set_draft(c, prev.data, prev.len, &perr) < 0)
			err_clear(&perr);
		explicit_bzero(prev.data, prev.len);
		buf_release(&prev);
	}
	err_clear(err);
	return err_set(err, EX_TEMPFAIL, "editing ended by signal %d", (int)edit_sig);
}

int compose_edit(struct compose *c, int *changed_out, struct err *err)
{
	const char *tmp = getenv("TMPDIR");
	char *data = NULL;
	size_t len = 0;
	int fd, rc = -1, n;

	if (changed_out)
		*changed_out = 0;
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	n = snprintf(edit_dir, sizeof(edit_dir), "%s/surel-edit-XXXXXX", tmp);
	if (n < 0 || (size_t)n >= sizeof(edit_dir))
		return err_set(err, EX_CANTCREAT, "cannot create a draft file in '%s': name too long",
			       tmp);
	if (!mkdtemp(edit_dir))
		return err_sys(err, afile_err_code(errno, 1), "cannot create a draft directory in '%s'",
			       tmp);
	/* UNSAFE: edit_file has 16 bytes more than edit_dir for "/draft.eml". */
	snprintf(edit_file, sizeof(edit_file), "%s/draft.eml", edit_dir);
	edit_signals(1);
	/* The .eml suffix lets editors pick their mail mode. */
	fd = open(edit_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_sys(err, afile_err_code(errno, 1), "cannot create '%s'", edit_file);
		goto out;
	}
	if (afile_write_all(fd, c->draft.data, c->draft.len, err) < 0) {
		err_prefix(err, "%s", edit_file);
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		err_sys(err, afile_err_code(errno, 1), "cannot write '%s'", edit_file);
		goto out;
	}
	if (run_editor(editor_of(c->cfg), edit_file, err) < 0 && !edit_sig)
		goto out;
	if (afile_read(edit_file, ENQUEUE_MAX_SIZE, &data, &len, err) < 0 && !edit_sig)
		goto out;
	if (edit_sig) {
		rc = edit_ended(c, data, len, changed_out, err);
		goto out;
	}
	if (changed_out)
		*changed_out = len != c->draft.len || memcmp(data, c->draft.data, len) != 0;
	rc = compose_set_draft(c, data, len, err);
out:
	edit_dir_remove();
	edit_signals(0);
	if (data)
		explicit_bzero(data, len);
	free(data);
	return rc;
}

/* --- hand-off ------------------------------------------------------------ */

/* The account that sends: the one the From address belongs to (its address
 * or an alias), else the compose's own (NULL without a configuration). */
static const struct cfg_account *send_account(const struct compose *c,
					      const struct compose_addrs *a)
{
	const struct cfg_account *acct = NULL;

	if (c->cfg)
		acct = cfg_account_for_address(c->cfg, a->v[COMPOSE_FROM][0].addr);
	return acct ? acct : c->acct;
}

/* Start `sendq flush` after delay seconds, detached, so the UI neither
 * waits for it nor collects a zombie.  A failure only means the mail
 * waits for the daemon or the next flush, so nothing is reported. */
static void nudge_flush(long delay)
{
	struct proc_detach o = { .keep_fd = -1 };
	struct err err = ERR_INIT;
	char *prog = proc_find("sendq", 1, NULL);
	char *argv[] = { (char *)"sendq", (char *)"flush", NULL };

	if (delay >= NUDGE_MAX_DELAY || !prog) {
		free(prog);
		return;
	}
	/* One second past the due time: next_attempt is now + delay.  The
	 * UI's descriptors (a folder's lock among them) are not handed on,
	 * so they are not held for the length of the wait. */
	o.delay = delay > 0 ? (unsigned)delay + 1 : 0;
	(void)proc_detach(prog, argv, &o, &err);
	free(prog);
}

int compose_send(struct compose *c, struct queue *q, unsigned flags, char **id_out,
		 struct err *err)
{
	struct enqueue_opts o;
	struct compose_addrs a;
	const struct cfg_account *acct;
	struct queue *own_q = NULL;
	struct buf msg = BUF_INIT;
	char **rcpts = NULL;
	size_t n = 0, i, k;
	int rc = -1;

	if (id_out)
		*id_out = NULL;
	if (compose_check(c, err) < 0 || compose_addrs_parse(c, &a, err) < 0)
		return -1;
	for (k = COMPOSE_TO; k <= COMPOSE_BCC; k++) {
		for (i = 0; i < a.n[k]; i++) {
			rcpts = xreallocarray(rcpts, n + 1, sizeof(*rcpts));
			rcpts[n++] = a.v[k][i].addr;
		}
	}
	if (compose_build(c, time(NULL), 0, &msg, err) < 0)
		goto out;
	acct = send_account(c, &a);
	memset(&o, 0, sizeof(o));
	o.keep_dots = 1;
	/* An alias sends with itself as envelope sender, so a bounce comes
	 * back to the address the user wrote from. */
	o.sender = !acct ? c->addr
		 : cfg_account_has_address(acct, a.v[COMPOSE_FROM][0].addr) ? a.v[COMPOSE_FROM][0].addr
		 : cfg_get(acct, "address");
	o.account = acct ? cfg_account_name(acct) : NULL;
	o.rcpts = rcpts;
	o.nrcpts = n;
	if (!q && !(q = own_q = queue_open(NULL, err)))
		goto out;
	if (enqueue_message(q, &o, c->cfg, msg.data, msg.len, id_out, err) < 0)
		goto out;
	if (!(flags & COMPOSE_NO_FLUSH))
		nudge_flush(c->cfg ? cfg_general_int(c->cfg, "send_delay", 0) : 0);
	rc = 0;
out:
	queue_close(own_q);
	free(rcpts);
	buf_release(&msg);
	compose_addrs_release(&a);
	return rc;
}

char *compose_drafts_dir(const struct cfg_account *acct)
{
	const char *folder = cfg_get(acct, "drafts_folder");

	return maildir_folder_path(cfg_get(acct, "maildir"), folder ? folder : "Drafts");
}

int compose_postpone(struct compose *c, char **path_out, struct err *err)
{
	struct compose_addrs a;
	const struct cfg_account *acct;
	struct buf msg = BUF_INIT;
	char *dir = NULL;
	int rc = -1;

	if (path_out)
		*path_out = NULL;
	if (compose_addrs_parse(c, &a, err) < 0)
		return -1;
	acct = send_account(c, &a);
	if (!acct) {
		err_set(err, EX_CONFIG, "cannot postpone: no account to keep drafts in");
		goto out;
	}
	if (compose_build(c, time(NULL), COMPOSE_KEEP_BCC, &msg, err) < 0)
		goto out;
	dir = compose_drafts_dir(acct);
	if (!maildir_is(dir) && maildir_create(dir, err) < 0)
		goto out;
	rc = maildir_deliver(dir, msg.data, msg.len, "DS", path_out, err);
	if (rc == 0)
		idxhint_note(acct);
out:
	free(dir);
	buf_release(&msg);
	compose_addrs_release(&a);
	return rc;
}

int compose_postpone_raw(struct compose *c, struct err *err)
{
	char *dir;
	int rc = -1;

	if (!c->acct)
		return err_set(err, EX_CONFIG, "cannot postpone: no account to keep drafts in");
	dir = compose_drafts_dir(c->acct);
	if ((maildir_is(dir) || maildir_create(dir, err) == 0) &&
	    maildir_deliver(dir, c->draft.data ? c->draft.data : "", c->draft.len, "DS", NULL,
			    err) == 0) {
		idxhint_note(c->acct);
		rc = 0;
	}
	free(dir);
	return rc;
}

/* --- undo send ------------------------------------------------------------ */

/* The account that was to send a queued message: the envelope's, else the
 * From address's, else the default. */
static const struct cfg_account *unsend_account(const struct cfg *cfg, const struct queue_env *e,
					       const struct msg *m, struct err *err)
{
	const struct cfg_account *a = NULL;
	struct addr_mbox *from = NULL;
	size_t n;

	if (queue_env_account(e)[0])
		a = cfg_account_find(cfg, queue_env_account(e), err);
	if (!a) {
		err_clear(err);
		n = msg_addrs(m, "From", &from);
		if (n > 0 && from[0].addr[0])
			a = cfg_account_for_address(cfg, from[0].addr);
		addr_list_free(from, n);
	}
	return a ? a : cfg_account_find(cfg, NULL, err);
}

/* body with a Bcc field naming the envelope's recipients that are in none
 * of its To and Cc (the queue keeps Bcc only in the envelope), in out. */
static void put_with_bcc(const struct queue_env *e, const struct msg *m, const char *body,
			 size_t len, struct buf *out)
{
	static const char *const fields[] = { "To", "Cc" };
	struct addr_mbox *v;
	size_t i, k, j, n;
	int seen, any = 0;

	for (i = 0; i < queue_env_rcpt_count(e); i++) {
		const char *r = queue_env_rcpt_addr(e, i);

		for (k = 0, seen = 0; k < 2 && !seen; k++) {
			n = msg_addrs(m, fields[k], &v);
			for (j = 0; j < n && !seen; j++)
				seen = strcasecmp(v[j].addr, r) == 0;
			addr_list_free(v, n);
		}
		if (seen)
			continue;
		buf_puts(out, any ? ", " : "Bcc: ");
		buf_puts(out, r);
		any = 1;
	}
	if (any)
		buf_putc(out, '\n');
	buf_append(out, body, len);
}

int compose_unsend(const struct cfg *cfg, struct queue *q, const char *id, char **path_out,
		   char **in_reply_to_out, struct err *err)
{
	const struct cfg_account *acct;
	struct queue_env *e;
	struct msg *m = NULL;
	struct buf draft = BUF_INIT;
	char *body = NULL, *dir = NULL, *path = NULL;
	size_t len = 0;
	int rc = -1;

	if (path_out)
		*path_out = NULL;
	if (in_reply_to_out)
		*in_reply_to_out = NULL;
	if (!cfg)
		return err_set(err, EX_CONFIG, "cannot keep the message: no account to keep drafts in");
	if (!(e = queue_load(q, id, err)))
		return -1;
	if (queue_read_body(q, id, &body, &len, err) < 0)
		goto out;
	if (!(m = msg_parse(body, len, 0))) {
		err_set(err, EX_DATAERR, "cannot parse queued message '%s'", id);
		goto out;
	}
	if (!(acct = unsend_account(cfg, e, m, err)))
		goto out;
	put_with_bcc(e, m, body, len, &draft);
	dir = compose_drafts_dir(acct);
	if (!maildir_is(dir) && maildir_create(dir, err) < 0)
		goto out;
	if (maildir_deliver(dir, draft.data, draft.len, "DS", &path, err) < 0)
		goto out;
	/* The draft is safe before the message leaves the queue; if the
	 * relay took it meanwhile, there is nothing to undo. */
	if (queue_remove(q, id, err) < 0) {
		unlink(path);
		goto out;
	}
	idxhint_note(acct);
	if (in_reply_to_out)
		*in_reply_to_out = summary_first_id(msg_header(m, "In-Reply-To"));
	if (path_out) {
		*path_out = path;
		path = NULL;
	}
	rc = 0;
out:
	free(path);
	free(dir);
	free(body);
	buf_release(&draft);
	msg_free(m);
	queue_env_free(e);
	return rc;
}

int compose_mark_replied(const char *folder_dir, const char *key, struct err *err)
{
	struct maildir_entry e;
	int rc;

	memset(&e, 0, sizeof(e));
	if (maildir_find(folder_dir, key, &e, err) < 0)
		return -1;
	rc = maildir_change_flags(folder_dir, &e, "R", "", err);
	maildir_entry_release(&e);
	return rc;
}
