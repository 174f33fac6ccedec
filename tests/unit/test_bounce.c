#include "config.h"

#include <string.h>

#include <CUnit/CUnit.h>

#include "bounce.h"
#include "buf.h"
#include "queue.h"
#include "queue_env.h"
#include "suites.h"

static void test_status(void)
{
	static const struct { const char *reply, *dflt, *want; } v[] = {
		{ "550 5.1.1 <a@b>: no such user", "5.0.0", "5.1.1" },
		{ "552-5.2.2 mailbox full", "5.0.0", "5.2.2" },
		{ "554 rejected", "5.0.0", "5.0.0" },
		{ "451 4.3.0 try later", "4.4.7", "4.3.0" },
		{ "451 try later", "4.4.7", "4.0.0" },
		{ "550 4.1.1 class mismatch", "5.0.0", "5.0.0" },
		{ "550 5.1234.1 too long", "5.0.0", "5.0.0" },
		{ "550 5.1.1.1 four parts", "5.0.0", "5.0.0" },
		{ "550 5.1.", "5.0.0", "5.0.0" },
		{ "250 2.0.0 ok", "5.0.0", "5.0.0" },
		{ "connection refused", "4.4.7", "4.4.7" },
		{ "", "5.0.0", "5.0.0" },
		{ NULL, "5.0.0", "5.0.0" },
		{ "55", "5.0.0", "5.0.0" },
	};
	char out[16];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bounce_status(v[i].reply, v[i].dflt, out);
		CU_ASSERT_STRING_EQUAL(out, v[i].want);
	}
}

static struct queue_env *env3(void)
{
	struct queue_env *e = queue_env_new();
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(queue_env_set_sender(e, "ana@example.test", &err), 0);
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, "ok@example.test", &err), 0);
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, "bad@example.test", &err), 0);
	CU_ASSERT_EQUAL(queue_env_add_rcpt(e, "gone@example.test", &err), 0);
	queue_env_set_created(e, 1700000000);
	queue_env_set_rcpt(e, 0, QUEUE_RCPT_SENT, "250 2.0.0 ok");
	queue_env_set_rcpt(e, 1, QUEUE_RCPT_BOUNCED, "550 5.1.1 <bad@example.test>: no such user");
	queue_env_set_rcpt(e, 2, QUEUE_RCPT_BOUNCED, "554 rejected \x1b[31m\xc3\xa9");
	return e;
}

static void test_report(void)
{
	static const char body[] = "From: ana@example.test\nSubject: hello\nX-Long: a\n b\n\nsecret body\n";
	struct queue_env *e = env3();
	struct buf b = BUF_INIT;
	const char *p;
	size_t i;

	bounce_make(e, body, strlen(body), "host.example", 1700000100, 0, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "From: Mail Delivery System <MAILER-DAEMON@host.example>\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nTo: <ana@example.test>\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nSubject: Undelivered Mail Returned to Sender\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nAuto-Submitted: auto-replied\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "Content-Type: multipart/report; report-type=delivery-status;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; host.example\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nArrival-Date: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nFinal-Recipient: rfc822; bad@example.test\nAction: failed\nStatus: 5.1.1\n"
					      "Diagnostic-Code: smtp; 550 5.1.1 <bad@example.test>: no such user\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nFinal-Recipient: rfc822; gone@example.test\nAction: failed\nStatus: 5.0.0\n"));
	/* Sent recipients are not reported; server text is 7-bit and has
	 * no escape sequences. */
	CU_ASSERT_PTR_NULL(strstr(b.data, "ok@example.test"));
	for (i = 0; i < b.len; i++)
		CU_ASSERT_FATAL((unsigned char)b.data[i] < 127 &&
				((unsigned char)b.data[i] >= 32 || b.data[i] == '\n' || b.data[i] == '\t'));
	/* The original headers, folded line included, and not the body. */
	p = strstr(b.data, "Content-Type: text/rfc822-headers\n\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(p, "\n\nFrom: ana@example.test\nSubject: hello\nX-Long: a\n b\n\n--"));
	CU_ASSERT_PTR_NULL(strstr(b.data, "secret body"));
	CU_ASSERT_EQUAL(b.data[b.len - 1], '\n');
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data + b.len - 60, "--\n"));
	buf_release(&b);

	/* Expired, with 4xx replies: 4.x.x kept, else 4.4.7. */
	queue_env_set_rcpt(e, 1, QUEUE_RCPT_BOUNCED, "451 4.3.0 later");
	queue_env_set_rcpt(e, 2, QUEUE_RCPT_BOUNCED, "connection refused");
	bounce_make(e, body, strlen(body), "h", 1700000100, 1, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "rfc822; bad@example.test\nAction: failed\nStatus: 4.3.0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "rfc822; gone@example.test\nAction: failed\nStatus: 4.4.7\n"));
	CU_ASSERT_PTR_NULL(strstr(b.data, "Diagnostic-Code: smtp; connection refused"));
	buf_release(&b);

	/* A body without a header/body separator is all header. */
	bounce_make(e, "Subject: x", 10, "h", 1700000100, 0, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "text/rfc822-headers\n\nSubject: x\n\n--"));
	buf_release(&b);
	queue_env_free(e);
}

/* A report made while a recipient still waits lists it as delayed, and a
 * recipient reported once is not reported again. */
static void test_early(void)
{
	static const char body[] = "Subject: s\n\nx\n";
	struct queue_env *e = env3(), *back;
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT;

	queue_env_set_rcpt(e, 2, QUEUE_RCPT_DEFERRED, "452 4.2.2 mailbox full");
	bounce_make(e, body, strlen(body), "h", 1700000100, 0, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "rfc822; bad@example.test\nAction: failed\nStatus: 5.1.1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "rfc822; gone@example.test\nAction: delayed\nStatus: 4.2.2\n"
					      "Diagnostic-Code: smtp; 452 4.2.2 mailbox full\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "still being tried"));
	CU_ASSERT_PTR_NULL(strstr(b.data, "ok@example.test"));
	buf_release(&b);

	/* Notified survives the envelope file; the final report is then
	 * about gone@ alone. */
	queue_env_set_rcpt_notified(e, 1);
	queue_env_set_rcpt(e, 2, QUEUE_RCPT_BOUNCED, "550 5.2.1 disabled");
	queue_env_format(e, &b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\nnotified bad@example.test\n"));
	back = queue_env_parse(b.data, b.len, "env", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	buf_release(&b);
	CU_ASSERT(queue_env_rcpt_notified(back, 1));
	CU_ASSERT(!queue_env_rcpt_notified(back, 2));
	bounce_make(back, body, strlen(body), "h", 1700000100, 0, &b);
	CU_ASSERT_PTR_NULL(strstr(b.data, "bad@example.test"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "rfc822; gone@example.test\nAction: failed\nStatus: 5.2.1\n"));
	CU_ASSERT_PTR_NULL(strstr(b.data, "Action: delayed"));
	buf_release(&b);
	/* A new status (a retry) clears the mark. */
	queue_env_set_rcpt(back, 1, QUEUE_RCPT_PENDING, NULL);
	queue_env_set_rcpt(back, 1, QUEUE_RCPT_BOUNCED, NULL);
	CU_ASSERT(!queue_env_rcpt_notified(back, 1));
	queue_env_free(back);
	queue_env_free(e);
}

void suite_bounce(void)
{
	CU_pSuite s = CU_add_suite("bounce", NULL, NULL);

	CU_add_test(s, "enhanced status codes", test_status);
	CU_add_test(s, "RFC 3464 report", test_report);
	CU_add_test(s, "early report: delayed and notified recipients", test_early);
}
