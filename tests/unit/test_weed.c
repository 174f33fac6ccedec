#include "config.h"

#include <string.h>

#include <CUnit/CUnit.h>

#include "buf.h"
#include "msg.h"
#include "suites.h"
#include "weed.h"

static void put(void *arg, const char *name, const char *value)
{
	buf_printf(arg, "%s=%s|", name, value);
}

/* The fields weed_fields() gives for head, as "Name=value|...". */
static void check(const char *head, int all, const char *want)
{
	struct msg *m = msg_parse(head, strlen(head), MSG_HEADERS_ONLY);
	struct buf out = BUF_INIT;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	buf_puts(&out, "");
	weed_fields(m, all, put, &out);
	CU_ASSERT_STRING_EQUAL(out.data, want);
	msg_free(m);
	buf_release(&out);
}

static const char head[] =
	"Subject: =?UTF-8?Q?caf=C3=A9?=\nFrom: a@x\nX-Mailer: m\nReply-To: r@x\n"
	"Received: by x\nx-spam: yes\nDate: today\nTo: t@x\n\n";

static void test_default_and_all(void)
{
	weed_set(NULL);
	check(head, 0, "From=a@x|To=t@x|Reply-To=r@x|Date=today|Subject=caf\xc3\xa9|");
	check(head, 1, "Subject=caf\xc3\xa9|From=a@x|X-Mailer=m|Reply-To=r@x|Received=by x|"
		       "x-spam=yes|Date=today|To=t@x|");
	weed_set(" , ");
	check(head, 0, "From=a@x|To=t@x|Reply-To=r@x|Date=today|Subject=caf\xc3\xa9|");
}

static void test_headers_shown(void)
{
	weed_set("subject, x-* from");
	check(head, 0, "Subject=caf\xc3\xa9|X-Mailer=m|x-spam=yes|From=a@x|");
	weed_set("*");
	check(head, 0, "Subject=caf\xc3\xa9|From=a@x|X-Mailer=m|Reply-To=r@x|Received=by x|"
		       "x-spam=yes|Date=today|To=t@x|");
	weed_set("Nothing-Like-It");
	check(head, 0, "");
	weed_set(NULL);
}

void suite_weed(void)
{
	CU_pSuite s = CU_add_suite("weed", NULL, NULL);

	CU_add_test(s, "default list, every field", test_default_and_all);
	CU_add_test(s, "headers_shown: order, prefixes, any case", test_headers_shown);
}
