#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/CUnit.h>

#include "err.h"
#include "pwcmd.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Run cmd expecting success with secret want. */
static void ok(const char *cmd, const char *want)
{
	struct err err = ERR_INIT;
	char *secret = NULL;

	CU_ASSERT_EQUAL(pwcmd_run(cmd, &secret, &err), 0);
	if (!secret) {
		CU_FAIL(err.msg);
		return;
	}
	CU_ASSERT_STRING_EQUAL(secret, want);
	pwcmd_free(secret);
}

/* Run cmd expecting failure with class code; the message comes back so a
 * test can look at it. */
static void fails(const char *cmd, int code, struct err *err)
{
	char *secret = NULL;

	err_clear(err);
	CU_ASSERT_EQUAL(pwcmd_run(cmd, &secret, err), -1);
	CU_ASSERT_PTR_NULL(secret);
	CU_ASSERT_EQUAL(err->code, code);
	CU_ASSERT_NOT_EQUAL(err->msg[0], '\0');
	pwcmd_free(secret);
}

static void test_plain(void)
{
	ok("printf secret", "secret");
	ok("  printf\tsecret  ", "secret");
	ok("echo hunter2", "hunter2");
}

static void test_quotes(void)
{
	const char *dir = tutil_tmpdir();
	char *script = xasprintf("%s/args", dir);
	char *cmd;
	static const char body[] = "#!/bin/sh\nprintf '%s:%s|%s|%s\\n' \"$#\" \"$1\" \"$2\" \"$3\"\n";

	CU_ASSERT_EQUAL_FATAL(tutil_write(script, body, sizeof(body) - 1), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(script, 0700), 0);
	cmd = xasprintf("%s 'a b' \"c\"'d'e ''", script);
	ok(cmd, "3:a b|cde|");
	free(cmd);
	/* Quotes keep blanks and characters that are special elsewhere. */
	cmd = xasprintf("%s \"two  words\" 'x\"y'", script);
	ok(cmd, "2:two  words|x\"y|");
	free(cmd);
	free(script);
	tutil_rmtree();
	ok("printf \"%s\" 'a b'", "a b");
}

static void test_shell(void)
{
	ok("echo x | tr x y", "y");
	ok("printf 'first\\r\\nsecond\\n'", "first");
	ok("x=sec; echo \"${x}ret\"", "secret");
	ok("echo ~ >/dev/null && echo tilde", "tilde");
}

static void test_first_line(void)
{
	ok("printf 'line1\\nline2\\nline3\\n'", "line1");
	ok("printf 'crlf\\r\\n'", "crlf");
	ok("printf 'no newline'", "no newline");
}

static void test_exit_status(void)
{
	struct err err;

	fails("false", EX_NOPERM, &err);
	fails("false not-in-message", EX_NOPERM, &err);
	/* Only the program name may appear in a message, never arguments. */
	CU_ASSERT_PTR_NULL(strstr(err.msg, "not-in-message"));
	fails("echo out; exit 3", EX_NOPERM, &err);
	CU_ASSERT_PTR_NULL(strstr(err.msg, "out"));
	fails("kill -9 $$", EX_NOPERM, &err);
}

static void test_missing(void)
{
	struct err err;

	fails("no-such-program-surel arg", EX_CONFIG, &err);
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	fails("/nonexistent/dir/prog", EX_CONFIG, &err);
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	fails("/dev/null", EX_CONFIG, &err);
	CU_ASSERT_EQUAL(err.errnum, EACCES);
	/* Through the shell: exit status 127 means "not found". */
	fails("no-such-program-surel 2>/dev/null", EX_CONFIG, &err);
}

static void test_empty(void)
{
	struct err err;

	fails("true", EX_CONFIG, &err);
	fails("echo", EX_CONFIG, &err);
	fails("printf ''", EX_CONFIG, &err);
	/* stdin is /dev/null, so this ends at once instead of hanging. */
	fails("cat", EX_CONFIG, &err);
	fails("printf 'a\\0b'", EX_CONFIG, &err);
}

static void test_bad_command(void)
{
	struct err err;

	fails("", EX_CONFIG, &err);
	fails(" \t ", EX_CONFIG, &err);
	fails("printf 'open", EX_CONFIG, &err);
	fails("printf \"open", EX_CONFIG, &err);
}

static void test_too_much_output(void)
{
	struct err err;

	/* yes(1) never stops; it must be cut off, not waited for. */
	fails("yes", EX_CONFIG, &err);
	fails("head -c 70000 /dev/zero | tr '\\0' x", EX_CONFIG, &err);
}

/* No assertion: a free function must accept NULL; a mistake here is a
 * crash, or an error ASan/UBSan report (scripts/test runs the unit tests
 * under them). */
static void test_free_null(void)
{
	pwcmd_free(NULL);
}

void suite_pwcmd(void)
{
	CU_pSuite s = CU_add_suite("pwcmd", NULL, NULL);

	CU_add_test(s, "plain command", test_plain);
	CU_add_test(s, "quoted arguments", test_quotes);
	CU_add_test(s, "shell syntax", test_shell);
	CU_add_test(s, "first line only", test_first_line);
	CU_add_test(s, "non-zero exit", test_exit_status);
	CU_add_test(s, "missing program", test_missing);
	CU_add_test(s, "empty output", test_empty);
	CU_add_test(s, "bad command line", test_bad_command);
	CU_add_test(s, "too much output", test_too_much_output);
	CU_add_test(s, "free NULL", test_free_null);
}
