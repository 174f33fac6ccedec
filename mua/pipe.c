#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "afile.h"
#include "msg.h"
#include "pipe.h"
#include "ui.h"
#include "xalloc.h"

void pipe_decode(const char *raw, size_t len, struct buf *out)
{
	static const char *const names[] = { "Date", "From", "To", "Cc", "Subject" };
	struct msg *m = msg_parse(raw, len, 0);
	size_t i, tlen = 0;
	char *v, *text;

	if (!m)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = msg_header_decoded(m, names[i]);
		if (v)
			buf_printf(out, "%s: %s\n", names[i], v);
		free(v);
	}
	buf_puts(out, "\n");
	text = msg_text_n(m, &tlen);
	if (text)
		buf_append(out, text, tlen);
	free(text);
	msg_free(m);
}

/* The input as a file with no name: a pipe would need a writer beside a
 * child that may never read. */
static int input_file(const char *data, size_t len, struct err *err)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/surel-pipe-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	int fd = mkstemp(path);

	if (fd < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot create '%s'", path);
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	if (afile_write_all(fd, data, len, err) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One key from the terminal while curses is away (a curses read would
 * repaint the screen over the output). */
static void wait_key(void)
{
	struct termios old, raw;
	char c;

	fputs("\n-- press a key to return to surel --", stdout);
	fflush(stdout);
	if (tcgetattr(STDIN_FILENO, &old) < 0)
		return;
	raw = old;
	raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	while (read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR)
		;
	tcsetattr(STDIN_FILENO, TCSANOW, &old);
}

int pipe_run(const char *cmd, const char *data, size_t len, int *status_out, struct err *err)
{
	int fd = input_file(data, len, err), st = 0;
	void (*oint)(int), (*oquit)(int);
	pid_t pid;

	if (fd < 0)
		return -1;
	ui_suspend();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		dup2(fd, STDIN_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd);
	if (pid < 0) {
		ui_resume();
		return err_sys(err, EX_OSERR, "cannot start '%s'", cmd);
	}
	/* Ctrl-C in the command is the command's, as with system(3). */
	oint = signal(SIGINT, SIG_IGN);
	oquit = signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	signal(SIGINT, oint);
	signal(SIGQUIT, oquit);
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		printf("\n-- exit status %d --", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("\n-- killed by signal %d --", WTERMSIG(st));
	wait_key();
	ui_resume();
	*status_out = st;
	return 0;
}
