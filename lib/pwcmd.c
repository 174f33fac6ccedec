#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "pwcmd.h"
#include "xalloc.h"

/* A password command prints a line, maybe a few lines of metadata (pass(1)
 * does); anything larger is a mistake, not a password. */
#define PWCMD_MAX_OUTPUT (64 * 1024)

/* Characters that mean the command needs a real shell: redirection,
 * pipelines, lists, expansions, globs, comments, backslash escapes and
 * assignments.  Sending a harmless command through the shell costs one
 * process, so this errs towards the shell; '~' is here because only the
 * shell expands it. */
static const char shell_chars[] = "|&;<>()$`\\*?[]{}#~=!\n";

/* Split cmd on blanks into a NULL-terminated argv (free with pwcmd_argv_free);
 * '...' and "..." quote, and quoted pieces join the word around them.  The
 * shell path handles everything else, so no escapes or expansions here. */
static int split_words(const char *cmd, char ***argv_out, struct err *err)
{
	struct buf w = BUF_INIT;
	char **argv = NULL;
	size_t n = 0;
	const char *p = cmd;
	char quote;
	int in_word;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		in_word = 1;
		while (in_word && *p) {
			if (*p == '\'' || *p == '"') {
				quote = *p++;
				while (*p && *p != quote)
					buf_putc(&w, *p++);
				if (!*p) {
					buf_release(&w);
					while (n > 0)
						free(argv[--n]);
					free(argv);
					return err_set(err, EX_CONFIG,
						       "unterminated %c quote in password_cmd", quote);
				}
				p++;
			} else if (*p == ' ' || *p == '\t') {
				in_word = 0;
			} else {
				buf_putc(&w, *p++);
			}
		}
		argv = xreallocarray(argv, n + 2, sizeof(*argv));
		argv[n++] = buf_detach(&w, NULL);
	}
	if (n == 0)
		return err_set(err, EX_CONFIG, "password_cmd is empty");
	argv[n] = NULL;
	*argv_out = argv;
	return 0;
}

void pwcmd_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int pwcmd_needs_shell(const char *cmd)
{
	return strpbrk(cmd, shell_chars) != NULL;
}

static int wait_child(pid_t pid, int *status_out, struct err *err)
{
	while (waitpid(pid, status_out, 0) < 0) {
		if (errno != EINTR)
			return err_sys(err, EX_OSERR, "cannot wait for password_cmd");
	}
	return 0;
}

/* fork and exec rather than posix_spawn: glibc's posix_spawn reports a
 * failed exec only when it can use CLONE_VFORK (not under valgrind, for
 * one), and a missing program must be told from a refused password
 * everywhere.  The child sends the errno of a failed exec through a
 * close-on-exec pipe; EOF there means the exec happened. */
int pwcmd_spawn(char *const argv[], int out_fd, unsigned flags, const char *key,
		pid_t *pid_out, struct err *err)
{
	int quiet = (flags & PWCMD_SPAWN_QUIET) != 0;
	struct sigaction sa;
	sigset_t none;
	int st[2], child_errno = 0, fd, status;
	ssize_t r;
	pid_t pid;

	if (pipe2(st, O_CLOEXEC) < 0)
		return err_sys(err, EX_OSERR, "cannot run %s: pipe", key);
	pid = fork();
	if (pid < 0) {
		close(st[0]);
		close(st[1]);
		return err_sys(err, EX_OSERR, "cannot run %s: fork", key);
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec.  Default
		 * SIGPIPE and an empty mask whatever ours are, so a daemon's
		 * ignored or blocked signals do not leak into the command. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGPIPE, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (flags & PWCMD_SPAWN_PGRP)
			setpgid(0, 0);
		/* With our stdio closed the pipe may sit on fd 0 or 1, where
		 * the dup2 calls below would clobber it or keep it
		 * close-on-exec; move it out of the way first. */
		if (out_fd <= STDOUT_FILENO)
			out_fd = fcntl(out_fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		fd = open("/dev/null", quiet ? O_RDWR : O_RDONLY);
		if (out_fd >= 0 && fd >= 0 &&
		    (!quiet || fd == STDERR_FILENO || dup2(fd, STDERR_FILENO) >= 0) &&
		    (fd == STDIN_FILENO || (dup2(fd, STDIN_FILENO) >= 0 && close(fd) == 0)) &&
		    dup2(out_fd, STDOUT_FILENO) >= 0)
			execvp(argv[0], argv);
		child_errno = errno;
		if (write(st[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(126);
		_exit(127);
	}
	close(st[1]);
	do
		r = read(st[0], &child_errno, sizeof(child_errno));
	while (r < 0 && errno == EINTR);
	close(st[0]);
	if (r == 0) {
		*pid_out = pid;
		return 0;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	errno = r == (ssize_t)sizeof(child_errno) ? child_errno : EIO;
	return err_sys(err, EX_CONFIG, "cannot run %s '%s'", key, argv[0]);
}

/* Read fd to EOF into out (size PWCMD_MAX_OUTPUT); *len_out gets the byte
 * count.  Fails when the output does not fit. */
static int read_all(int fd, char *out, size_t *len_out, struct err *err)
{
	size_t len = 0;
	ssize_t r;

	for (;;) {
		if (len == PWCMD_MAX_OUTPUT)
			return err_set(err, EX_CONFIG, "password_cmd printed more than %d KiB",
				       PWCMD_MAX_OUTPUT / 1024);
		r = read(fd, out + len, PWCMD_MAX_OUTPUT - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(err, EX_IOERR, "cannot read the output of password_cmd");
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*len_out = len;
	return 0;
}

/* The exit status as an error, naming only the program: the rest of the
 * command line may be something the user would rather not see in a log. */
static int check_status(int status, const char *what, int via_shell, struct err *err)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* 126 and 127 are how a shell says it could not run the command. */
	if (via_shell && WIFEXITED(status) &&
	    (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127))
		return err_set(err, EX_CONFIG,
			       "password_cmd: the shell could not run it (exit status %d)",
			       WEXITSTATUS(status));
	if (WIFEXITED(status))
		return err_set(err, EX_NOPERM, "password_cmd %s failed with exit status %d",
			       what, WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return err_set(err, EX_NOPERM, "password_cmd %s was killed by signal %d",
			       what, WTERMSIG(status));
	return err_set(err, EX_NOPERM, "password_cmd %s failed", what);
}

/* The first line of out[0..len) as a new string, or an error when it is
 * empty or holds a NUL (the secret would be cut short silently). */
static int first_line(const char *out, size_t len, const char *what, char **line_out,
		      struct err *err)
{
	const char *nl = memchr(out, '\n', len);
	size_t n = nl ? (size_t)(nl - out) : len;

	if (n > 0 && out[n - 1] == '\r')
		n--;
	if (n == 0)
		return err_set(err, EX_CONFIG, "password_cmd %s printed no password", what);
	if (memchr(out, '\0', n))
		return err_set(err, EX_CONFIG, "password_cmd %s printed a NUL byte", what);
	*line_out = xmemdup(out, n);
	return 0;
}

int pwcmd_run(const char *cmd, char **secret_out, struct err *err)
{
	static char sh_path[] = "/bin/sh", sh_c[] = "-c";
	char *sh_argv[] = { sh_path, sh_c, NULL, NULL };
	char **argv = NULL, **run;
	char what[64];
	char *out = NULL;
	size_t len = 0;
	int fds[2] = { -1, -1 };
	int via_shell = pwcmd_needs_shell(cmd);
	int status, rc = -1;
	pid_t pid = -1;

	if (via_shell) {
		/* posix_spawn takes char *const[]; sh does not write to it. */
		sh_argv[2] = (char *)cmd;
		run = sh_argv;
		snprintf(what, sizeof(what), "(run by /bin/sh)");
	} else {
		if (split_words(cmd, &argv, err) < 0)
			return -1;
		run = argv;
		/* A cut name in an error message is harmless. */
		(void)snprintf(what, sizeof(what), "'%s'", argv[0]);
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err_sys(err, EX_OSERR, "cannot run password_cmd: pipe");
		goto out;
	}
	if (pwcmd_spawn(run, fds[1], 0, "password_cmd", &pid, err) < 0)
		goto out;
	close(fds[1]);
	fds[1] = -1;

	/* A fixed buffer, not a growing one: realloc would leave copies of
	 * the secret in freed memory that explicit_bzero never reaches. */
	out = xmalloc(PWCMD_MAX_OUTPUT);
	if (read_all(fds[0], out, &len, err) < 0) {
		/* Do not wait forever on a child that keeps writing. */
		kill(pid, SIGTERM);
		(void)wait_child(pid, &status, NULL);
		goto out;
	}
	if (wait_child(pid, &status, err) < 0)
		goto out;
	if (check_status(status, what, via_shell, err) < 0)
		goto out;
	if (first_line(out, len, what, secret_out, err) < 0)
		goto out;
	rc = 0;
out:
	if (out) {
		explicit_bzero(out, PWCMD_MAX_OUTPUT);
		free(out);
	}
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	pwcmd_argv_free(argv);
	return rc;
}

void pwcmd_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
