#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "err.h"
#include "log.h"
#include "suites.h"

/* Run err_report(err) with stderr on a pipe: what it printed goes to out
 * (NUL-terminated), its return value is returned. */
static int report(const struct err *err, char *out, size_t size)
{
	int fds[2], saved, rc;
	ssize_t n;
	size_t len = 0;

	out[0] = '\0';
	if (pipe(fds) < 0)
		return -1;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	rc = err_report(err);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	while (len + 1 < size && (n = read(fds[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	return rc;
}

static void test_report_line_and_code(void)
{
	struct err err = ERR_INIT;
	char out[512];

	log_set_prog("unitprog");
	err_set(&err, EX_NOINPUT, "no message '%s'", "42");
	CU_ASSERT_EQUAL(report(&err, out, sizeof(out)), EX_NOINPUT);
	CU_ASSERT_STRING_EQUAL(out, "unitprog: no message '42'\n");
	/* UTF-8 text is not control text: it stays as it is. */
	err_set(&err, EX_DATAERR, "bad address 'j\xc3\xb6rg@example.org'");
	CU_ASSERT_EQUAL(report(&err, out, sizeof(out)), EX_DATAERR);
	CU_ASSERT_STRING_EQUAL(out, "unitprog: bad address 'j\xc3\xb6rg@example.org'\n");
	log_set_prog("surel");
}

static void test_report_sanitises(void)
{
	static const char want[] = "unitprog: host: LOGIN failed: \xef\xbf\xbd[2J unitprog: ok";
	struct err err = ERR_INIT;
	char out[512];
	size_t i, len;

	log_set_prog("unitprog");
	/* What a hostile server reply could carry: an escape sequence, a
	 * line break that would forge a second line, a bell, DEL, a C1 CSI,
	 * a bidi override and a byte that is not UTF-8. */
	err_set(&err, EX_PROTOCOL, "host: LOGIN failed: \033[2J\r\nunitprog: ok\a\x7f"
		"\xc2\x9b\xe2\x80\xae\xff");
	CU_ASSERT_EQUAL(report(&err, out, sizeof(out)), EX_PROTOCOL);
	len = strlen(out);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(out[len - 1], '\n');
	CU_ASSERT_PTR_NULL(memchr(out, '\n', len - 1));
	for (i = 0; i + 1 < len; i++) {
		unsigned char c = (unsigned char)out[i];

		CU_ASSERT(c >= 0x20 && c != 0x7f);
		/* No C1 control (U+0080..U+009F is C2 80..C2 9F in UTF-8). */
		if (c == 0xc2)
			CU_ASSERT((unsigned char)out[i + 1] < 0x80 || (unsigned char)out[i + 1] > 0x9f);
	}
	CU_ASSERT_PTR_NULL(strstr(out, "\xe2\x80\xae"));
	CU_ASSERT_PTR_NULL(strstr(out, "\xff"));
	/* The escape loses its introducer; the rest stays readable. */
	CU_ASSERT_EQUAL(strncmp(out, want, strlen(want)), 0);
	log_set_prog("surel");
}

static void test_report_without_class(void)
{
	struct err err = ERR_INIT;
	char out[512];

	log_set_prog("unitprog");
	/* A failure that set no detail is a bug, and still one line. */
	CU_ASSERT_EQUAL(report(&err, out, sizeof(out)), EX_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(out, "unitprog: internal error (no detail given)\n");
	err_set(&err, 0, "half set");
	CU_ASSERT_EQUAL(report(&err, out, sizeof(out)), EX_SOFTWARE);
	log_set_prog("surel");
}

static int temp(int code)
{
	struct err err = ERR_INIT;

	err_set(&err, code, "x");
	return err_is_temp(&err);
}

static void test_temporary_rule(void)
{
	static const int never[] = {
		EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOUSER, EX_NOHOST, EX_UNAVAILABLE,
		EX_SOFTWARE, EX_OSFILE, EX_CANTCREAT, EX_IOERR, EX_NOPERM, EX_CONFIG,
	};
	size_t i;

	CU_ASSERT_TRUE(temp(EX_TEMPFAIL));
	CU_ASSERT_TRUE(temp(EX_OSERR));
	CU_ASSERT_TRUE(temp(EX_PROTOCOL));
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		CU_ASSERT_FALSE(temp(never[i]));
	CU_ASSERT_FALSE(err_is_temp(NULL));
}

/* afile sorts errno values into temporary (EX_TEMPFAIL) and the caller's
 * permanent class; err_is_temp() must read them the same way. */
static void test_temporary_agrees_with_afile(void)
{
	static const int waiting_helps[] = { ENOSPC, EDQUOT, EIO, EROFS, EAGAIN, EMFILE };
	static const int waiting_does_not[] = { EFBIG, EINVAL, EXDEV, EISDIR };
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(waiting_helps) / sizeof(waiting_helps[0]); i++) {
		err_set(&err, afile_err_code(waiting_helps[i], EX_IOERR), "x");
		CU_ASSERT_TRUE(err_is_temp(&err));
	}
	for (i = 0; i < sizeof(waiting_does_not) / sizeof(waiting_does_not[0]); i++) {
		err_set(&err, afile_err_code(waiting_does_not[i], EX_IOERR), "x");
		CU_ASSERT_FALSE(err_is_temp(&err));
		err_set(&err, afile_err_code(waiting_does_not[i], EX_CANTCREAT), "x");
		CU_ASSERT_FALSE(err_is_temp(&err));
	}
	err_set(&err, afile_err_code(EACCES, EX_IOERR), "x");
	CU_ASSERT_FALSE(err_is_temp(&err));
}

void suite_err(void)
{
	CU_pSuite s = CU_add_suite("err", NULL, NULL);

	CU_add_test(s, "report: one line, program name, the code", test_report_line_and_code);
	CU_add_test(s, "report: control characters made inert", test_report_sanitises);
	CU_add_test(s, "report: no class is EX_SOFTWARE", test_report_without_class);
	CU_add_test(s, "temporary: which classes", test_temporary_rule);
	CU_add_test(s, "temporary: agrees with afile", test_temporary_agrees_with_afile);
}
