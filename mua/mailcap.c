#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "afile.h"
#include "mailcap.h"
#include "path.h"
#include "xalloc.h"

/* A mailcap file is small; anything larger is not one. */
#define MAILCAP_FILE_MAX (4u * 1024 * 1024)

struct mailcap {
	struct mailcap_entry *ents;
	size_t n, cap;
};

struct mailcap *mailcap_new(void)
{
	return xcalloc(1, sizeof(struct mailcap));
}

void mailcap_free(struct mailcap *mc)
{
	size_t i;

	if (!mc)
		return;
	for (i = 0; i < mc->n; i++) {
		free(mc->ents[i].type);
		free(mc->ents[i].command);
		free(mc->ents[i].test);
		free(mc->ents[i].nametemplate);
	}
	free(mc->ents);
	free(mc);
}

size_t mailcap_count(const struct mailcap *mc)
{
	return mc->n;
}

const struct mailcap_entry *mailcap_at(const struct mailcap *mc, size_t i)
{
	return i < mc->n ? &mc->ents[i] : NULL;
}

/* s without blanks at either end, as a new string. */
static char *trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xmemdup(s, len);
}

/* One logical line (continuations joined): split at unescaped ';'. */
static void add_line(struct mailcap *mc, const char *line, size_t len)
{
	struct mailcap_entry e;
	char *fields[64];
	size_t nf = 0, i, start = 0;

	for (i = 0; i <= len && nf < sizeof(fields) / sizeof(fields[0]); i++) {
		if (i < len && line[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (i == len || line[i] == ';') {
			fields[nf++] = trimmed(line + start, i - start);
			start = i + 1;
		}
	}
	memset(&e, 0, sizeof(e));
	if (nf < 2 || !*fields[0] || !*fields[1] || strchr(fields[0], ' '))
		goto drop;
	for (i = 0; fields[0][i]; i++)
		fields[0][i] = (char)tolower((unsigned char)fields[0][i]);
	e.type = strchr(fields[0], '/') ? xstrdup(fields[0]) : xasprintf("%s/*", fields[0]);
	e.command = xstrdup(fields[1]);
	for (i = 2; i < nf; i++) {
		char *f = fields[i], *eq = strchr(f, '=');
		size_t klen = eq ? (size_t)(eq - f) : strlen(f);

		while (klen > 0 && isspace((unsigned char)f[klen - 1]))
			klen--;
		if (klen == 13 && strncasecmp(f, "copiousoutput", 13) == 0)
			e.flags |= MAILCAP_COPIOUSOUTPUT;
		else if (klen == 13 && strncasecmp(f, "needsterminal", 13) == 0)
			e.flags |= MAILCAP_NEEDSTERMINAL;
		else if (eq && klen == 4 && strncasecmp(f, "test", 4) == 0 && !e.test)
			e.test = trimmed(eq + 1, strlen(eq + 1));
		else if (eq && klen == 12 && strncasecmp(f, "nametemplate", 12) == 0 && !e.nametemplate)
			e.nametemplate = trimmed(eq + 1, strlen(eq + 1));
		/* compose=, print=, description=, x-...: not ours. */
	}
	if (mc->n == mc->cap) {
		mc->cap = mc->cap ? mc->cap * 2 : 16;
		mc->ents = xreallocarray(mc->ents, mc->cap, sizeof(*mc->ents));
	}
	mc->ents[mc->n++] = e;
drop:
	for (i = 0; i < nf; i++)
		free(fields[i]);
}

void mailcap_add(struct mailcap *mc, const char *text, size_t len)
{
	struct buf line = BUF_INIT;
	size_t i = 0, end;

	while (i < len) {
		end = i;
		while (end < len && text[end] != '\n')
			end++;
		/* A line ending in a backslash continues on the next one. */
		if (end > i && text[end - 1] == '\\' && end < len) {
			buf_append(&line, text + i, end - i - 1);
			i = end + 1;
			continue;
		}
		buf_append(&line, text + i, end - i);
		i = end + 1;
		while (line.len && (line.data[line.len - 1] == '\r'))
			buf_truncate(&line, line.len - 1);
		{
			size_t k = strspn(line.data, " \t");

			if (line.data[k] && line.data[k] != '#' && !memchr(line.data, '\0', line.len))
				add_line(mc, line.data + k, line.len - k);
		}
		buf_reset(&line);
	}
	buf_release(&line);
}

int mailcap_add_file(struct mailcap *mc, const char *path, struct err *err)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_sys(err, EX_NOINPUT, "cannot open '%s'", path);
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(err, EX_IOERR, "cannot read '%s'", path);
			close(fd);
			buf_release(&b);
			return -1;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > MAILCAP_FILE_MAX) {
			close(fd);
			buf_release(&b);
			return err_set(err, EX_DATAERR, "'%s' is larger than %u MiB", path,
				       MAILCAP_FILE_MAX >> 20);
		}
		buf_append(&b, chunk, (size_t)r);
	}
	close(fd);
	mailcap_add(mc, b.data, b.len);
	buf_release(&b);
	return 0;
}

struct mailcap *mailcap_load(void)
{
	struct mailcap *mc = mailcap_new();
	struct err err = ERR_INIT;
	const char *env = getenv("MAILCAPS");
	char *list, *p, *next, *path;

	list = env && *env ? xstrdup(env) : xstrdup("~/.mailcap:/etc/mailcap");
	for (p = list; p; p = next) {
		next = strchr(p, ':');
		if (next)
			*next++ = '\0';
		if (!*p)
			continue;
		path = path_expand(p);
		if (mailcap_add_file(mc, path, &err) < 0)
			err_clear(&err);
		free(path);
	}
	free(list);
	return mc;
}

struct mailcap *mailcap_session(void)
{
	static struct mailcap *mc;

	if (!mc)
		mc = mailcap_load();
	return mc;
}

/* Characters that need no quoting in a shell word. */
static int plain_char(int c)
{
	return isalnum(c) || strchr("._/+-", c) != NULL;
}

/* s as one shell word: as it is when plain, else in single quotes. */
static void shell_word(struct buf *out, const char *s)
{
	const char *p;

	for (p = s; *p && plain_char((unsigned char)*p); p++)
		;
	if (*s && !*p) {
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			buf_puts(out, "'\\''");
		else
			buf_putc(out, *p);
	}
	buf_putc(out, '\'');
}

/* A value from the message: only its plain characters. */
static void safe_word(struct buf *out, const char *s)
{
	struct buf b = BUF_INIT;

	for (; s && *s; s++)
		if (plain_char((unsigned char)*s))
			buf_putc(&b, *s);
	shell_word(out, b.data);
	buf_release(&b);
}

int mailcap_expand(const char *tmpl, const char *file, const char *type,
		   mailcap_param_fn param, void *arg, struct buf *out)
{
	const char *p = tmpl;
	int has_file = 0;

	while (*p) {
		if (*p == '\\' && p[1]) {
			buf_putc(out, p[1]);
			p += 2;
		} else if (*p == '%' && p[1] == 's') {
			shell_word(out, file);
			has_file = 1;
			p += 2;
		} else if (*p == '%' && p[1] == 't') {
			safe_word(out, type);
			p += 2;
		} else if (*p == '%' && p[1] == '%') {
			buf_putc(out, '%');
			p += 2;
		} else if (*p == '%' && p[1] == '{' && strchr(p + 2, '}')) {
			const char *close = strchr(p + 2, '}');
			char *name = xmemdup(p + 2, (size_t)(close - p - 2));

			safe_word(out, param ? param(arg, name) : NULL);
			free(name);
			p = close + 1;
		} else {
			buf_putc(out, *p++);
		}
	}
	return has_file;
}

static int type_matches(const char *pattern, const char *type)
{
	size_t n = strlen(pattern);

	if (n >= 2 && strcmp(pattern + n - 2, "/*") == 0)
		return strncasecmp(pattern, type, n - 1) == 0;
	return strcasecmp(pattern, type) == 0;
}

/* Fork /bin/sh -c cmd with stdin from in_fd (or /dev/null when -1) and
 * stdout to out_fd (or as it is when -1), stderr to err_fd, else to
 * /dev/null when quiet. */
static pid_t spawn(const char *cmd, int in_fd, int out_fd, int err_fd, int quiet)
{
	pid_t pid = fork();
	int null;

	if (pid != 0)
		return pid;
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (in_fd >= 0)
		dup2(in_fd, STDIN_FILENO);
	else if (null >= 0 && out_fd >= 0)
		dup2(null, STDIN_FILENO);
	if (out_fd >= 0)
		dup2(out_fd, STDOUT_FILENO);
	if (err_fd >= 0)
		dup2(err_fd, STDERR_FILENO);
	else if (quiet && null >= 0)
		dup2(null, STDERR_FILENO);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static int wait_child(pid_t pid, int *status_out)
{
	while (waitpid(pid, status_out, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* Run test, expanded: whether it exits 0. */
static int test_passes(const char *test, const char *file, const char *type,
		       mailcap_param_fn param, void *arg)
{
	struct buf cmd = BUF_INIT;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), st = 0, ok = 0;
	pid_t pid;

	mailcap_expand(test, file ? file : "/dev/null", type, param, arg, &cmd);
	pid = spawn(cmd.data, null, null, -1, 1);
	if (pid > 0 && wait_child(pid, &st) == 0)
		ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (null >= 0)
		close(null);
	buf_release(&cmd);
	return ok;
}

const struct mailcap_entry *mailcap_find(const struct mailcap *mc, const char *type,
					 unsigned need, const char *file,
					 mailcap_param_fn param, void *arg)
{
	size_t i;

	for (i = 0; i < mc->n; i++) {
		const struct mailcap_entry *e = &mc->ents[i];

		if ((e->flags & need) != need || !type_matches(e->type, type))
			continue;
		if (e->test && !test_passes(e->test, file, type, param, arg))
			continue;
		return e;
	}
	return NULL;
}

/* The directory for temporary files: $TMPDIR when absolute and plain. */
static const char *temp_dir(void)
{
	const char *t = getenv("TMPDIR"), *p;

	if (!t || t[0] != '/')
		return "/tmp";
	for (p = t; *p; p++)
		if (!plain_char((unsigned char)*p))
			return "/tmp";
	return t;
}

/* The temporary files alive now (a part can be decrypted text), so that a
 * SIGTERM or SIGHUP while a viewer has one open still removes it; the
 * handlers are ours only while one lives, and hand the signal on to the
 * ones they replaced. */
#define LIVE_MAX 4
static char live_file[LIVE_MAX][PATH_MAX];
static volatile sig_atomic_t nlive;
static struct sigaction old_term, old_hup;

static void remove_live(int sig)
{
	sig_atomic_t i;
	char *slash;

	for (i = 0; i < nlive; i++) {
		unlink(live_file[i]);
		if ((slash = strrchr(live_file[i], '/'))) {
			*slash = '\0';
			rmdir(live_file[i]);
		}
	}
	nlive = 0;
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	raise(sig);
}

static void live_add(const char *path)
{
	struct sigaction sa;
	sigset_t block, old;

	if (strlen(path) >= PATH_MAX || nlive >= LIVE_MAX)
		return;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	memcpy(live_file[nlive], path, strlen(path) + 1);
	if (nlive++ == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = remove_live;
		sigfillset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, &old_term);
		sigaction(SIGHUP, &sa, &old_hup);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void live_drop(const char *path)
{
	sigset_t block, old;
	sig_atomic_t i;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < nlive; i++) {
		if (strcmp(live_file[i], path) != 0)
			continue;
		memmove(live_file[i], live_file[nlive - 1], sizeof live_file[i]);
		if (--nlive == 0) {
			sigaction(SIGTERM, &old_term, NULL);
			sigaction(SIGHUP, &old_hup, NULL);
		}
		break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int mailcap_tempfile(const struct mailcap_entry *e, const char *type, const void *data,
		     size_t len, char **path_out, struct err *err)
{
	struct buf suffix = BUF_INIT;
	const char *s = e && e->nametemplate ? strstr(e->nametemplate, "%s") : NULL;
	char *dir, *path;
	int fd;

	if (s) {
		for (s += 2; *s && suffix.len < 16; s++)
			if (plain_char((unsigned char)*s) && *s != '/')
				buf_putc(&suffix, *s);
	} else if (type && strcasecmp(type, "text/html") == 0) {
		buf_puts(&suffix, ".html");
	}
	/* A directory of its own (mkdtemp: mode 0700), so no other user can
	 * even see the name of a file that may hold decrypted text. */
	dir = xasprintf("%s/surel-part-XXXXXX", temp_dir());
	if (!mkdtemp(dir)) {
		err_sys(err, EX_CANTCREAT, "cannot make a temporary directory in '%s'", temp_dir());
		free(dir);
		buf_release(&suffix);
		return -1;
	}
	path = xasprintf("%s/part%s", dir, suffix.data);
	buf_release(&suffix);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_sys(err, EX_CANTCREAT, "cannot make a temporary file in '%s'", dir);
		rmdir(dir);
		free(dir);
		free(path);
		return -1;
	}
	free(dir);
	live_add(path);
	/* The message names the file, whichever of the two failed. */
	if (afile_write_all(fd, data, len, err) < 0 || close(fd) < 0) {
		err_sys(err, EX_IOERR, "cannot write '%s'", path);
		mailcap_tempfile_remove(path);
		free(path);
		return -1;
	}
	*path_out = path;
	return 0;
}

void mailcap_tempfile_remove(const char *path)
{
	char *dir, *slash;

	if (!path)
		return;
	unlink(path);
	live_drop(path);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		rmdir(dir);
	}
	free(dir);
}

/* Read the child's output into out until EOF; -1 after a silence of
 * MAILCAP_TIMEOUT_MS. */
static int capture(int fd, struct buf *out)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char chunk[16384];
	ssize_t r;
	int pr;

	for (;;) {
		pr = poll(&pfd, 1, MAILCAP_TIMEOUT_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		if (out->len < MAILCAP_OUTPUT_MAX)
			buf_append(out, chunk,
				   out->len + (size_t)r > MAILCAP_OUTPUT_MAX ? MAILCAP_OUTPUT_MAX - out->len
									     : (size_t)r);
	}
}

/* An unlinked temporary file for a command's standard error, or -1.  A
 * file, not a pipe: a viewer that leaves a process behind holding it
 * cannot keep surel waiting for the end of its output. */
static int stderr_file(void)
{
	char *path = xasprintf("%s/surel-err-XXXXXX", temp_dir());
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* Append at most MAILCAP_STDERR_MAX bytes of the file open as fd to out. */
static void read_stderr(int fd, struct buf *out)
{
	char chunk[MAILCAP_STDERR_MAX];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(chunk)) {
		r = pread(fd, chunk + got, sizeof(chunk) - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf_append(out, chunk, got);
}

int mailcap_run(const struct mailcap_entry *e, const char *file, const char *type,
		mailcap_param_fn param, void *arg, struct buf *out, struct buf *errout,
		struct err *err)
{
	struct buf cmd = BUF_INIT;
	int has_file, in_fd = -1, pipefd[2] = { -1, -1 }, st = 0, timed_out = 0;
	int err_fd = errout ? stderr_file() : -1;
	pid_t pid;

	has_file = mailcap_expand(e->command, file, type, param, arg, &cmd);
	if (!has_file) {
		in_fd = open(file, O_RDONLY | O_CLOEXEC);
		if (in_fd < 0) {
			buf_release(&cmd);
			return err_sys(err, EX_NOINPUT, "cannot open '%s'", file);
		}
	}
	if (out && pipe2(pipefd, O_CLOEXEC) < 0) {
		err_sys(err, EX_OSERR, "cannot make a pipe");
		goto fail;
	}
	pid = spawn(cmd.data, in_fd, out ? pipefd[1] : -1, err_fd, out != NULL);
	if (pid < 0) {
		err_sys(err, EX_OSERR, "cannot run '%s'", cmd.data);
		goto fail;
	}
	if (out) {
		close(pipefd[1]);
		pipefd[1] = -1;
		if (capture(pipefd[0], out) < 0) {
			kill(pid, SIGKILL);
			timed_out = 1;
		}
		close(pipefd[0]);
		pipefd[0] = -1;
	}
	if (in_fd >= 0)
		close(in_fd);
	in_fd = -1;
	if (wait_child(pid, &st) < 0) {
		err_sys(err, EX_OSERR, "cannot wait for '%s'", cmd.data);
		goto fail;
	}
	if (timed_out) {
		err_set(err, EX_TEMPFAIL, "'%s' gave no output for %d s and was stopped", cmd.data,
			MAILCAP_TIMEOUT_MS / 1000);
		goto fail;
	}
	if (!WIFEXITED(st)) {
		err_set(err, EX_SOFTWARE, "'%s' was killed by signal %d", cmd.data,
			WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		goto fail;
	}
	if (err_fd >= 0) {
		read_stderr(err_fd, errout);
		close(err_fd);
	}
	buf_release(&cmd);
	return WEXITSTATUS(st);
fail:
	if (err_fd >= 0)
		close(err_fd);
	if (in_fd >= 0)
		close(in_fd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	buf_release(&cmd);
	return -1;
}
