#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "suites.h"
#include "view.h"

static const char mixed[] =
	"From: =?UTF-8?Q?Ana_Putri?= <ana@example.test>\r\n"
	"To: a@example.test, \"B, C\" <bc@example.test>\r\n"
	"Subject: =?UTF-8?B?U2VsYW1hdCDwn5iA?=\r\n"
	"Date: Tue, 24 Nov 2026 14:30:00 +0700\r\n"
	"Message-ID: <m1@example.test>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=XX\r\n"
	"\r\n"
	"--XX\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"hello\r\nworld\r\n"
	"--XX\r\n"
	"Content-Type: application/pdf; name=\"a.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"JVBERi0=\r\n"
	"--XX--\r\n";

static void test_json_contract(void)
{
	struct msg *m = msg_parse(mixed, sizeof(mixed) - 1, 0);
	json_t *o = view_json(m);
	const char *keys[] = { "message_id", "date_unix", "from", "to", "cc", "subject", "text", "parts" };
	void *it = json_object_iter(o);
	json_t *parts, *p;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++, it = json_object_iter_next(o, it)) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(it);
		CU_ASSERT_STRING_EQUAL(json_object_iter_key(it), keys[i]);
	}
	CU_ASSERT_PTR_NULL(it);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "message_id")), "m1@example.test");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "date_unix")), 1795505400);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "subject")), "Selamat \xF0\x9F\x98\x80");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "text")), "hello\nworld");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "to")), 2);
	p = json_array_get(json_object_get(o, "to"), 0);
	CU_ASSERT_TRUE(json_is_null(json_object_get(p, "name")));
	p = json_array_get(json_object_get(o, "to"), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "name")), "B, C");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "cc")), 0);
	parts = json_object_get(o, "parts");
	CU_ASSERT_EQUAL(json_array_size(parts), 2);
	p = json_array_get(parts, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "content_type")), "application/pdf");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "filename")), "a.pdf");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "size")), 5);
	json_decref(o);
	msg_free(m);
}

static void test_json_absent_values_are_null(void)
{
	static const char bare[] = "X-Nothing: here\n\n";
	struct msg *m = msg_parse(bare, sizeof(bare) - 1, 0);
	json_t *o = view_json(m);

	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "message_id")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "date_unix")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "subject")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "from")), 0);
	json_decref(o);
	msg_free(m);
}

static void test_text_view_is_sanitised(void)
{
	static const char evil[] =
		"From: \"\x1b]52;c;ZXZpbA==\x07Mallory\" <m@example.test>\n"
		"Subject: \x1b[2Jcleared\n"
		"\n"
		"line \x1b[31mred\x1b[0m \xc2\x9b" "c1\n";
	struct msg *m = msg_parse(evil, sizeof(evil) - 1, 0);
	struct buf out = BUF_INIT;

	view_text(m, &out);
	CU_ASSERT_PTR_NULL(memchr(out.data, 0x1b, out.len));
	CU_ASSERT_PTR_NULL(strstr(out.data, "\xc2\x9b"));
	CU_ASSERT_PTR_NULL(memchr(out.data, 0x07, out.len));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "cleared"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "red"));
	buf_release(&out);
	msg_free(m);
}

static void test_ls_line(void)
{
	struct buf out = BUF_INIT;

	view_ls_line("k1", "", -1, "A very long sender name that goes on and on", "Hi\x1b[1m", &out);
	CU_ASSERT_EQUAL(strncmp(out.data, "k1 ---------- --:-- -    A very long sender name ", 49), 0);
	CU_ASSERT_PTR_NULL(memchr(out.data, 0x1b, out.len));
	CU_ASSERT_PTR_NULL(strstr(out.data, "goes on"));
	buf_release(&out);
}

void suite_view(void)
{
	CU_pSuite s = CU_add_suite("view", NULL, NULL);

	CU_add_test(s, "json object follows the contract", test_json_contract);
	CU_add_test(s, "absent values are null", test_json_absent_values_are_null);
	CU_add_test(s, "text view is sanitised", test_text_view_is_sanitised);
	CU_add_test(s, "ls line", test_ls_line);
}
