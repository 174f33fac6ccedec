#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "buf.h"
#include "mda.h"
#include "suites.h"

/* mda_unwrap() of in gives want, and says whether it found an envelope. */
static void unwrap(const char *in, const char *want, int found)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, in);
	CU_ASSERT_EQUAL(mda_unwrap(&b), found);
	CU_ASSERT_EQUAL(b.len, strlen(want));
	CU_ASSERT(b.len == strlen(want) && memcmp(b.data ? b.data : "", want, b.len) == 0);
	buf_release(&b);
}

static void test_postfix(void)
{
	/* local(8) for a command: From_, then its own Return-Path and
	 * X-Original-To/Delivered-To, no empty line at the end. */
	unwrap("From ana@example.test  Sun Dec  6 10:38:12 2026\n"
	       "Return-Path: <ana@example.test>\n"
	       "X-Original-To: bob@example.test\n"
	       "Delivered-To: bob@example.test\n"
	       "Subject: hi\n\nbody\n",
	       "Return-Path: <ana@example.test>\n"
	       "X-Original-To: bob@example.test\n"
	       "Delivered-To: bob@example.test\n"
	       "Subject: hi\n\nbody\n",
	       1);
	/* A Return-Path: further down the header counts too, in any case. */
	unwrap("From a@b.test  Sun Dec  6 10:38:12 2026\nSubject: x\nreturn-path: <a@b.test>\n\nb\n",
	       "Subject: x\nreturn-path: <a@b.test>\n\nb\n", 1);
}

static void test_exim(void)
{
	/* The pipe transport's defaults: From_ before, one empty line after,
	 * no Return-Path (return_path_add is off). */
	unwrap("From ana@example.test Sun Dec 06 10:38:12 2026\n"
	       "Subject: hi\n\nbody\n\n",
	       "Return-Path: <ana@example.test>\nSubject: hi\n\nbody\n", 1);
	/* The null sender. */
	unwrap("From MAILER-DAEMON Sun Dec 06 10:38:12 2026\nSubject: bounce\n\nb\n\n",
	       "Return-Path: <>\nSubject: bounce\n\nb\n", 1);
	/* Only one empty line is Exim's; the message's own stay. */
	unwrap("From a@b.test Sun Dec 06 10:38:12 2026\nSubject: x\n\nb\n\n\n",
	       "Return-Path: <a@b.test>\nSubject: x\n\nb\n\n", 1);
	/* CRLF line ends stay CRLF. */
	unwrap("From a@b.test Sun Dec 06 10:38:12 2026\r\nSubject: x\r\n\r\nb\r\n\r\n",
	       "Return-Path: <a@b.test>\r\nSubject: x\r\n\r\nb\r\n", 1);
	/* A header-only message: the blank line ending the header is what
	 * Exim added. */
	unwrap("From a@b.test Sun Dec 06 10:38:12 2026\nSubject: x\n\n",
	       "Return-Path: <a@b.test>\nSubject: x\n", 1);
}

static void test_untouched(void)
{
	/* No envelope line: byte for byte, trailing empty lines and all. */
	unwrap("Subject: x\n\nbody\n\n", "Subject: x\n\nbody\n\n", 0);
	unwrap("From: a@b.test\n\nFrom here on\n\n", "From: a@b.test\n\nFrom here on\n\n", 0);
	unwrap(">From a@b.test Sun\nSubject: x\n\nb\n", ">From a@b.test Sun\nSubject: x\n\nb\n", 0);
	unwrap("From a@b.test with no line end", "From a@b.test with no line end", 0);
	unwrap("", "", 0);
}

static void test_odd_senders(void)
{
	/* A sender that cannot stand in a Return-Path: the envelope still
	 * goes, no header is made up. */
	unwrap("From  Sun Dec 06 10:38:12 2026\nSubject: x\n\nb\n", "Subject: x\n\nb\n", 1);
	unwrap("From <a@b.test> Sun\nSubject: x\n\nb\n", "Subject: x\n\nb\n", 1);
	unwrap("From a\x01@b.test Sun\nSubject: x\n\nb\n", "Subject: x\n\nb\n", 1);
	/* A sender alone on the line (no date) is still a sender. */
	unwrap("From a@b.test\nSubject: x\n\nb\n", "Return-Path: <a@b.test>\nSubject: x\n\nb\n", 1);
}

static void test_read(void)
{
	static const char msg[] = "From a@b.test Sun Dec 06 10:38:12 2026\nSubject: x\n\nb\n\n";
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT;
	int fd[2];

	CU_ASSERT_EQUAL_FATAL(pipe(fd), 0);
	CU_ASSERT_EQUAL(write(fd[1], msg + 10, sizeof(msg) - 11), (ssize_t)(sizeof(msg) - 11));
	close(fd[1]);
	/* What the caller read already comes first. */
	buf_append(&b, msg, 10);
	CU_ASSERT_EQUAL(mda_read(fd[0], &b, &err), 0);
	close(fd[0]);
	buf_putc(&b, '\0');
	CU_ASSERT_STRING_EQUAL(b.data, "Return-Path: <a@b.test>\nSubject: x\n\nb\n");
	buf_release(&b);
	/* A read error leaves the message to the MTA. */
	CU_ASSERT_EQUAL(mda_read(-1, &b, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	buf_release(&b);
}

void suite_mda(void)
{
	CU_pSuite s = CU_add_suite("mda", NULL, NULL);

	CU_add_test(s, "Postfix local(8) command delivery", test_postfix);
	CU_add_test(s, "Exim pipe transport", test_exim);
	CU_add_test(s, "no envelope: byte for byte", test_untouched);
	CU_add_test(s, "senders that make no Return-Path", test_odd_senders);
	CU_add_test(s, "reading from a descriptor", test_read);
}
