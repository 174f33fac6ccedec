#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "addr.h"
#include "buf.h"
#include "suites.h"

static void test_valid_syntax(void)
{
	static const char *const good[] = {
		"a@example.test", "first.last+tag@sub.example.test", "\"odd.\\\"q\"@example.test",
		"x@[192.0.2.1]", "x@[IPv6:2001:db8::1]", "us\xc3\xa9r@ex\xc3\xa4mple.test", "a@b",
		"o'brien@example.test",
	};
	static const char *const bad[] = {
		"", "@example.test", "a@", "a@@b", "a b@example.test", "a@exa mple.test",
		".a@example.test", "a.@example.test", "a..b@example.test", "a@.example.test",
		"a@example..test", "a@example.test.", "a@exa_mple.test", "a\n@example.test",
		"<a@example.test>", "a@example.test>", "\"a b\"@example.test", "a,b@example.test",
		"a@[1.2.3.4", "a(c)@example.test",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT(addr_valid(good[i], ADDR_SYNTAX));
		if (!addr_valid(good[i], ADDR_SYNTAX))
			fprintf(stderr, "\nrefused good '%s'\n", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT(!addr_valid(bad[i], ADDR_SYNTAX | ADDR_BARE));
		if (addr_valid(bad[i], ADDR_SYNTAX | ADDR_BARE))
			fprintf(stderr, "\naccepted bad '%s'\n", bad[i]);
	}
	CU_ASSERT(!addr_valid("a", ADDR_SYNTAX));
	CU_ASSERT(addr_valid("root", ADDR_SYNTAX | ADDR_BARE));
	CU_ASSERT(addr_valid("first.last", ADDR_SYNTAX | ADDR_BARE));
	CU_ASSERT(!addr_valid("\"root\"", ADDR_SYNTAX | ADDR_BARE));
	CU_ASSERT(addr_domain_valid("mail.example.test"));
	CU_ASSERT(!addr_domain_valid("exa_mple"));
}

/* Without ADDR_SYNTAX: only what a queue line and an SMTP command need. */
static void test_valid_envelope(void)
{
	CU_ASSERT(addr_valid("a@b", 0));
	CU_ASSERT(addr_valid("a..b@x", 0));
	CU_ASSERT(!addr_valid("", 0));
	CU_ASSERT(!addr_valid("root", 0));
	CU_ASSERT(!addr_valid("@x", 0));
	CU_ASSERT(!addr_valid("a@", 0));
	CU_ASSERT(!addr_valid("a b@x", 0));
	CU_ASSERT(!addr_valid("a@x>\r\nRSET", 0));
	CU_ASSERT(!addr_valid("<a@x>", 0));
	CU_ASSERT(!addr_valid("a\x7f@x", 0));
}

static void test_split(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "a@x, b@y", "a@x|b@y|" },
		{ "Ann <a@x>, \"Lee, Bo\" <b@y>", "a@x|b@y|" },
		{ "friends: a@x, b@y;, c@z", "a@x|b@y|c@z|" },
		{ "undisclosed-recipients:;", "" },
		{ "a@x (comment, with comma)", "a@x|" },
		{ "x@[IPv6:2001:db8::1]", "x@[IPv6:2001:db8::1]|" },
		{ "<>", "|" },
		{ "\"a,b\"@x", "\"a,b\"@x|" },
		{ " a@x\n\t, b@y ", "a@x|b@y|" },
		{ "", "" },
	};
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct addr_mbox *a = NULL;
		struct buf b = BUF_INIT;
		size_t n = 0;

		addr_split(v[i].in, &a, &n);
		for (j = 0; j < n; j++) {
			CU_ASSERT_PTR_NULL(a[j].name);
			buf_printf(&b, "%s|", a[j].addr);
		}
		CU_ASSERT_STRING_EQUAL(b.len ? b.data : "", v[i].want);
		if (strcmp(b.len ? b.data : "", v[i].want) != 0)
			fprintf(stderr, "\nsplit '%s': '%s'\n", v[i].in, b.len ? b.data : "");
		buf_release(&b);
		addr_list_free(a, n);
	}
}

static void test_parse_list(void)
{
	struct addr_mbox *a = NULL;
	size_t n;

	n = addr_parse_list("\"Doe, J.\" <j@x.test>, =?utf-8?q?J=C3=B6rg?= <g@y.test>, bare", &a);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(a[0].name, "Doe, J.");
	CU_ASSERT_STRING_EQUAL(a[0].addr, "j@x.test");
	CU_ASSERT_STRING_EQUAL(a[1].name, "J\xc3\xb6rg");
	CU_ASSERT_PTR_NULL(a[2].name);
	CU_ASSERT_STRING_EQUAL(a[2].addr, "bare");
	addr_list_free(a, n);
	CU_ASSERT_EQUAL(addr_parse_list(NULL, &a), 0);
	CU_ASSERT_PTR_NULL(a);
	addr_list_free(NULL, 0);
}

static void test_write(void)
{
	static const struct { const char *name; unsigned flags; const char *want; } v[] = {
		{ "Ann Lee", 0, "Ann Lee <a@x>" },
		{ "Lee, Ann", 0, "\"Lee, Ann\" <a@x>" },
		{ "say \"hi\"\\", 0, "\"say \\\"hi\\\"\\\\\" <a@x>" },
		{ "J\xc3\xb6rg", 0, "=?UTF-8?Q?J=C3=B6rg?= <a@x>" },
		{ "P\xc3\xbctri, Ana", 0, "=?UTF-8?B?UMO8dHJpLCBBbmE=?= <a@x>" },
		{ "=?x?", 0, "=?UTF-8?Q?=3D=3Fx=3F?= <a@x>" },
		{ "P\xc3\xbctri, Ana", ADDR_UTF8, "\"P\xc3\xbctri, Ana\" <a@x>" },
		{ "J\xc3\xb6rg", ADDR_UTF8, "J\xc3\xb6rg <a@x>" },
		{ "", 0, "a@x" },
		{ NULL, 0, "a@x" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b = BUF_INIT;

		addr_put_mbox(&b, v[i].name, "a@x", v[i].flags);
		CU_ASSERT_STRING_EQUAL(b.data, v[i].want);
		if (strcmp(b.data, v[i].want) != 0)
			fprintf(stderr, "\nname '%s': '%s'\n", v[i].name ? v[i].name : "(null)", b.data);
		buf_release(&b);
	}
}

static void test_message_id(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	addr_put_message_id(&a, 1700000000, NULL, "example.test");
	addr_put_message_id(&b, 1700000000, NULL, "example.test");
	CU_ASSERT_EQUAL(a.len, strlen("<1700000000.0123456789abcdef@example.test>"));
	CU_ASSERT(strncmp(a.data, "<1700000000.", 12) == 0);
	CU_ASSERT_STRING_EQUAL(a.data + a.len - 14, "@example.test>");
	CU_ASSERT(strcmp(a.data, b.data) != 0);
	buf_reset(&a);
	addr_put_message_id(&a, 1700000000, "bounce.Q1", "host.example");
	CU_ASSERT_STRING_EQUAL(a.data, "<1700000000.bounce.Q1@host.example>");
	buf_release(&a);
	buf_release(&b);
}

static void test_check_arg(void)
{
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(addr_check_arg("Ann <a@x>", "recipient", &err), 0);
	CU_ASSERT_EQUAL(addr_check_arg("a@x\nBcc: e@v", "recipient", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "recipient"));
	CU_ASSERT_EQUAL(addr_check_arg("x\r", "subject", &err), -1);
	CU_ASSERT_STRING_EQUAL(addr_domain("a@b@c.test"), "c.test");
	CU_ASSERT_PTR_NULL(addr_domain("a@"));
	CU_ASSERT_PTR_NULL(addr_domain(NULL));
}

void suite_addr(void)
{
	CU_pSuite s = CU_add_suite("addr", NULL, NULL);

	CU_add_test(s, "address syntax", test_valid_syntax);
	CU_add_test(s, "envelope-safe addresses", test_valid_envelope);
	CU_add_test(s, "splitting a list as written", test_split);
	CU_add_test(s, "reading a list as received", test_parse_list);
	CU_add_test(s, "display names and mailboxes written", test_write);
	CU_add_test(s, "Message-IDs", test_message_id);
	CU_add_test(s, "arguments and domains", test_check_arg);
}
