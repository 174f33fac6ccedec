#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "mailcap.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static const char sample[] =
	"# a comment\n"
	"\n"
	"text/html; w3m -dump -T text/html -I %{charset} %s; copiousoutput; nametemplate=%s.html\n"
	"text/html; firefox %s; test=test -n \"$DISPLAY\"\n"
	"image/*; feh %s;\\\n"
	"   needsterminal\n"
	"application/pdf; echo a\\;b %s ; description=PDF; x-foo\n"
	"TEXT; less %s ; NeedsTerminal\n"
	"broken-line-without-command\n"
	"bad type; x %s\n"
	";only a command\n";

static void test_parse(void)
{
	struct mailcap *mc = mailcap_new();
	const struct mailcap_entry *e;

	mailcap_add(mc, sample, strlen(sample));
	CU_ASSERT_EQUAL_FATAL(mailcap_count(mc), 5);
	e = mailcap_at(mc, 0);
	CU_ASSERT_STRING_EQUAL(e->type, "text/html");
	CU_ASSERT_STRING_EQUAL(e->command, "w3m -dump -T text/html -I %{charset} %s");
	CU_ASSERT_EQUAL(e->flags, MAILCAP_COPIOUSOUTPUT);
	CU_ASSERT_STRING_EQUAL(e->nametemplate, "%s.html");
	CU_ASSERT_PTR_NULL(e->test);
	e = mailcap_at(mc, 1);
	CU_ASSERT_STRING_EQUAL(e->test, "test -n \"$DISPLAY\"");
	CU_ASSERT_EQUAL(e->flags, 0);
	e = mailcap_at(mc, 2);
	CU_ASSERT_STRING_EQUAL(e->type, "image/*");
	CU_ASSERT_STRING_EQUAL(e->command, "feh %s");
	CU_ASSERT_EQUAL(e->flags, MAILCAP_NEEDSTERMINAL);
	e = mailcap_at(mc, 3);
	CU_ASSERT_STRING_EQUAL(e->command, "echo a\\;b %s");
	CU_ASSERT_EQUAL(e->flags, 0);
	e = mailcap_at(mc, 4);
	CU_ASSERT_STRING_EQUAL(e->type, "text/*");
	CU_ASSERT_EQUAL(e->flags, MAILCAP_NEEDSTERMINAL);
	CU_ASSERT_PTR_NULL(mailcap_at(mc, 5));
	mailcap_free(mc);
	mailcap_free(NULL);
}

/* The same text fed a byte at a time through several adds is not one
 * file, but CRLF files and a missing final newline must work. */
static void test_parse_crlf(void)
{
	static const char t[] = "text/plain; cat %s; copiousoutput\r\nimage/png; x %s";
	struct mailcap *mc = mailcap_new();

	mailcap_add(mc, t, strlen(t));
	CU_ASSERT_EQUAL_FATAL(mailcap_count(mc), 2);
	CU_ASSERT_EQUAL(mailcap_at(mc, 0)->flags, MAILCAP_COPIOUSOUTPUT);
	CU_ASSERT_STRING_EQUAL(mailcap_at(mc, 1)->command, "x %s");
	mailcap_free(mc);
}

static const char *params(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "charset") == 0)
		return "utf-8";
	if (strcmp(name, "evil") == 0)
		return "x';touch /tmp/pwned;'$(id)`id`\"";
	return NULL;
}

static void test_expand(void)
{
	static const struct {
		const char *tmpl, *file, *type, *want;
		int has_file;
	} t[] = {
		{ "cat %s", "/tmp/a.html", "text/html", "cat /tmp/a.html", 1 },
		{ "cat '%s'", "/tmp/a.html", "text/html", "cat '/tmp/a.html'", 1 },
		{ "cat %s", "/tmp/a b", "text/html", "cat '/tmp/a b'", 1 },
		{ "cat %s", "/tmp/it's", "text/html", "cat '/tmp/it'\\''s'", 1 },
		{ "w3m -T %t -I %{charset}", "/f", "text/html", "w3m -T text/html -I utf-8", 0 },
		{ "x %{evil}", "/f", "text/html", "x xtouch/tmp/pwnedidid", 0 },
		{ "x '%{evil}'", "/f", "text/html", "x 'xtouch/tmp/pwnedidid'", 0 },
		{ "x %{missing} y", "/f", "a/b", "x '' y", 0 },
		{ "x %t", "/f", "text/h;tml $(id)", "x text/htmlid", 0 },
		{ "echo 100%% a\\;b \\%s", "/f", "a/b", "echo 100% a;b %s", 0 },
		{ "x %{unclosed", "/f", "a/b", "x %{unclosed", 0 },
	};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&out);
		CU_ASSERT_EQUAL(mailcap_expand(t[i].tmpl, t[i].file, t[i].type, params, NULL, &out),
				t[i].has_file);
		if (strcmp(out.data, t[i].want) != 0) {
			fprintf(stderr, "\ncase %zu: got [%s] want [%s]\n", i, out.data, t[i].want);
			CU_FAIL("expansion");
		}
	}
	buf_release(&out);
}

static void test_find(void)
{
	static const char t[] =
		"text/html; never %s; test=false; copiousoutput\n"
		"text/html; lynx %s\n"
		"text/html; lynx -dump %s; copiousoutput; test=test -f %s\n"
		"Image/*; viewer %s\n"
		"application/pdf; pdf %s; test=exit 3\n";
	struct mailcap *mc = mailcap_new();
	const struct mailcap_entry *e;

	mailcap_add(mc, t, strlen(t));
	e = mailcap_find(mc, "TEXT/HTML", 0, "/etc/passwd", NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->command, "lynx %s");
	e = mailcap_find(mc, "text/html", MAILCAP_COPIOUSOUTPUT, "/etc/passwd", NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->command, "lynx -dump %s");
	/* The test looks at the file: a missing one fails it. */
	CU_ASSERT_PTR_NULL(mailcap_find(mc, "text/html", MAILCAP_COPIOUSOUTPUT,
					"/nonexistent/x", NULL, NULL));
	e = mailcap_find(mc, "image/png", 0, "/f", NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->command, "viewer %s");
	CU_ASSERT_PTR_NULL(mailcap_find(mc, "imagex/png", 0, "/f", NULL, NULL));
	CU_ASSERT_PTR_NULL(mailcap_find(mc, "application/pdf", 0, "/f", NULL, NULL));
	CU_ASSERT_PTR_NULL(mailcap_find(mc, "text/plain", 0, "/f", NULL, NULL));
	mailcap_free(mc);
}

static void test_files(void)
{
	const char *dir = tutil_tmpdir();
	char *a = xasprintf("%s/one", dir), *b = xasprintf("%s/two", dir);
	char *list = xasprintf("%s:%s/missing:%s", a, dir, b);
	char *old = getenv("MAILCAPS") ? xstrdup(getenv("MAILCAPS")) : NULL;
	struct mailcap *mc;
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL_FATAL(tutil_write(a, "text/html; one %s\n", 18), 0);
	CU_ASSERT_EQUAL_FATAL(tutil_write(b, "text/html; two %s\nimage/png; png %s\n", 36), 0);
	setenv("MAILCAPS", list, 1);
	mc = mailcap_load();
	CU_ASSERT_EQUAL(mailcap_count(mc), 3);
	CU_ASSERT_STRING_EQUAL(mailcap_find(mc, "text/html", 0, "/f", NULL, NULL)->command, "one %s");
	mailcap_free(mc);
	mc = mailcap_new();
	CU_ASSERT_EQUAL(mailcap_add_file(mc, "/nonexistent/mailcap", &err), 0);
	CU_ASSERT_EQUAL(mailcap_count(mc), 0);
	mailcap_free(mc);
	if (old)
		setenv("MAILCAPS", old, 1);
	else
		unsetenv("MAILCAPS");
	free(old);
	free(a);
	free(b);
	free(list);
	tutil_rmtree();
}

static void test_tempfile_and_run(void)
{
	const char *dir = tutil_tmpdir();
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	char *file = NULL, *pwned = xasprintf("%s/pwned", dir), *evil;
	struct mailcap *mc = mailcap_new();
	const struct mailcap_entry *e;
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct stat st;
	char *t;

	setenv("TMPDIR", dir, 1);
	t = xasprintf("text/html; cat %%s; copiousoutput; nametemplate=%%s.html\n"
		      "text/plain; tr a-z A-Z; copiousoutput\n"
		      "text/x-fail; exit 4; copiousoutput\n"
		      "text/x-evil; echo %%{evil} %%t; copiousoutput\n"
		      "text/x-evil2; echo '%%{evil}'; copiousoutput\n"
		      "image/x-broken; echo cannot display >&2\\; echo second >&2\\; exit 3\n"
		      "image/x-spew; yes spewing | head -c 100000 >&2\n");
	mailcap_add(mc, t, strlen(t));
	free(t);

	e = mailcap_find(mc, "text/html", MAILCAP_COPIOUSOUTPUT, NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL_FATAL(mailcap_tempfile(e, "text/html", "<p>hi</p>", 9, &file, &err), 0);
	CU_ASSERT_EQUAL(strncmp(file, dir, strlen(dir)), 0);
	CU_ASSERT_STRING_EQUAL(file + strlen(file) - 5, ".html");
	CU_ASSERT_EQUAL_FATAL(stat(file, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	/* In a directory of its own that only we can enter. */
	t = xstrdup(file);
	*strrchr(t, '/') = '\0';
	CU_ASSERT_NOT_EQUAL(strcmp(t, dir), 0);
	CU_ASSERT_EQUAL_FATAL(stat(t, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
	CU_ASSERT_EQUAL(mailcap_run(e, file, "text/html", NULL, NULL, &out, NULL, &err), 0);
	CU_ASSERT_STRING_EQUAL(out.data, "<p>hi</p>");

	/* Without %s the file is the command's standard input. */
	buf_reset(&out);
	e = mailcap_find(mc, "text/plain", 0, file, NULL, NULL);
	CU_ASSERT_EQUAL(mailcap_run(e, file, "text/plain", NULL, NULL, &out, NULL, &err), 0);
	CU_ASSERT_STRING_EQUAL(out.data, "<P>HI</P>");

	e = mailcap_find(mc, "text/x-fail", 0, file, NULL, NULL);
	CU_ASSERT_EQUAL(mailcap_run(e, file, "text/x-fail", NULL, NULL, &out, NULL, &err), 4);

	/* Values from the message never reach the shell as syntax. */
	evil = xasprintf("x';touch %s;'$(touch %s)`touch %s`", pwned, pwned, pwned);
	buf_reset(&out);
	e = mailcap_find(mc, "text/x-evil", 0, file, NULL, NULL);
	CU_ASSERT_EQUAL(mailcap_run(e, file, "text/x-evil;$(touch /tmp/x)", params, NULL, &out, NULL,
				    &err), 0);
	e = mailcap_find(mc, "text/x-evil2", 0, file, NULL, NULL);
	CU_ASSERT_EQUAL(mailcap_run(e, file, "text/x-evil2", params, NULL, &out, NULL, &err), 0);
	CU_ASSERT_EQUAL(access(pwned, F_OK), -1);
	CU_ASSERT_PTR_NULL(strchr(out.data, '\''));
	free(evil);

	/* A failing viewer's standard error comes back, bounded. */
	buf_reset(&out);
	e = mailcap_find(mc, "image/x-broken", 0, file, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(mailcap_run(e, file, "image/x-broken", NULL, NULL, NULL, &out, &err), 3);
	CU_ASSERT_STRING_EQUAL(out.data, "cannot display\nsecond\n");
	buf_reset(&out);
	e = mailcap_find(mc, "image/x-spew", 0, file, NULL, NULL);
	CU_ASSERT_EQUAL(mailcap_run(e, file, "image/x-spew", NULL, NULL, NULL, &out, &err), 0);
	CU_ASSERT_EQUAL(out.len, MAILCAP_STDERR_MAX);

	mailcap_tempfile_remove(file);
	CU_ASSERT_EQUAL(access(file, F_OK), -1);
	CU_ASSERT_EQUAL(access(t, F_OK), -1);
	free(t);
	free(file);
	file = NULL;
	/* No nametemplate: text/html still gets .html, others nothing. */
	CU_ASSERT_EQUAL_FATAL(mailcap_tempfile(NULL, "image/png", "x", 1, &file, &err), 0);
	CU_ASSERT_PTR_NULL(strchr(file + strlen(dir), '.'));
	mailcap_tempfile_remove(file);
	free(file);

	buf_release(&out);
	mailcap_free(mc);
	free(pwned);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	tutil_rmtree();
}

/* Ended by SIGTERM while a viewer would have the file open, a process
 * leaves neither the file nor its directory behind. */
static void test_tempfile_sigterm(void)
{
	const char *dir = tutil_tmpdir();
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	char path[4096];
	ssize_t n;
	int fds[2], status = 0;
	pid_t pid;

	setenv("TMPDIR", dir, 1);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid = fork();
	CU_ASSERT_NOT_EQUAL_FATAL(pid, -1);
	if (pid == 0) {
		struct err err = ERR_INIT;
		char *file = NULL;

		close(fds[0]);
		alarm(10);
		if (mailcap_tempfile(NULL, "text/plain", "secret", 6, &file, &err) < 0 ||
		    write(fds[1], file, strlen(file)) < 0)
			_exit(1);
		close(fds[1]);
		for (;;)
			pause();
	}
	close(fds[1]);
	n = read(fds[0], path, sizeof(path) - 1);
	close(fds[0]);
	CU_ASSERT_FATAL(n > 0);
	path[n] = '\0';
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	kill(pid, SIGTERM);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	*strrchr(path, '/') = '\0';
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	tutil_rmtree();
}

void suite_mailcap(void)
{
	CU_pSuite s = CU_add_suite("mailcap", NULL, NULL);

	CU_add_test(s, "parse entries, flags, continuations", test_parse);
	CU_add_test(s, "CRLF and no final newline", test_parse_crlf);
	CU_add_test(s, "expand %s %t %{} %% with quoting", test_expand);
	CU_add_test(s, "find by type, flags and test=", test_find);
	CU_add_test(s, "MAILCAPS files in order", test_files);
	CU_add_test(s, "private temp file, run, no injection", test_tempfile_and_run);
	CU_add_test(s, "temp file removed on SIGTERM", test_tempfile_sigterm);
}
