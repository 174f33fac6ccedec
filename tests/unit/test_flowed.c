#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "flowed.h"
#include "suites.h"

static void unflow_is(const char *in, int delsp, const char *want)
{
	struct buf out = BUF_INIT;

	flowed_unflow(in, strlen(in), delsp, &out);
	CU_ASSERT_EQUAL(out.len, strlen(want));
	CU_ASSERT_STRING_EQUAL(out.data, want);
	buf_release(&out);
}

static void encode_is(const char *in, size_t width, const char *want)
{
	struct buf out = BUF_INIT;

	flowed_encode(in, strlen(in), width, &out);
	CU_ASSERT_STRING_EQUAL(out.data, want);
	buf_release(&out);
}

static void test_rfc_examples(void)
{
	/* RFC 3676 4.5's example: the first two lines are one paragraph. */
	unflow_is("`Take some more tea,' the March Hare said to Alice, very\r\n"
		  "earnestly.\r\n\r\n`I've had nothing yet,' Alice replied in an offended \r\n"
		  "tone, `so I can't take more.'\r\n",
		  0,
		  "`Take some more tea,' the March Hare said to Alice, very\n"
		  "earnestly.\n\n`I've had nothing yet,' Alice replied in an offended "
		  "tone, `so I can't take more.'\n");
	/* Hard line, soft lines, hard line. */
	unflow_is("a\nb \nc \nd\n", 0, "a\nb c d\n");
	unflow_is("", 0, "");
	unflow_is("no newline at the end", 0, "no newline at the end\n");
}

static void test_delsp(void)
{
	unflow_is("Hel\xc3\xa4 \nlo  \nworld\n", 1, "Hel\xc3\xa4lo world\n");
	unflow_is("a \nb\n", 1, "ab\n");
	unflow_is("a  \nb\n", 1, "a b\n");
	unflow_is("a \nb\n", 0, "a b\n");
}

static void test_quotes(void)
{
	unflow_is(">> deep \n>> text\n> shallow \n> one\nplain\n", 0,
		  ">> deep text\n> shallow one\nplain\n");
	/* A depth change ends a paragraph even after a soft line. */
	unflow_is("> soft \n>> deeper\n", 0, "> soft\n>> deeper\n");
	unflow_is(">\n>>\n", 0, ">\n>>\n");
	/* ">" then a blank is quoting, the blank is stuffing. */
	unflow_is(">  two blanks\n", 0, ">  two blanks\n");
}

static void test_stuffing(void)
{
	unflow_is(" From me\n >not a quote\n  indented\n", 0,
		  "From me\n>not a quote\n indented\n");
	encode_is("From me\n indented\n", 78, " From me\n  indented\n");
	encode_is("> quoted\n>>deeper\n", 78, "> quoted\n>> deeper\n");
}

static void test_signature(void)
{
	unflow_is("text \n-- \nsig\n", 0, "text\n-- \nsig\n");
	unflow_is("> text \n> -- \n> sig\n", 0, "> text\n> -- \n> sig\n");
	encode_is("body   \n-- \nName  \n", 78, "body\n-- \nName\n");
}

static void test_wrapping(void)
{
	encode_is("one two three four five six seven eight nine ten eleven twelve", 30,
		  "one two three four five six \nseven eight nine ten eleven \ntwelve\n");
	encode_is("short\n\nlines\n", 78, "short\n\nlines\n");
	/* Trailing blanks the user left on a hard line go. */
	encode_is("hard   \n", 78, "hard\n");
	encode_is("> quoted text that is long enough to wrap around once", 30,
		  "> quoted text that is long \n> enough to wrap around once\n");
}

static void test_long_words(void)
{
	char word[201];
	struct buf in = BUF_INIT, out = BUF_INIT, back = BUF_INIT;

	memset(word, 'x', 200);
	word[200] = '\0';
	buf_printf(&in, "a %s b", word);
	flowed_encode(in.data, in.len, 78, &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "a \n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.data, " \nb\n"));
	flowed_unflow(out.data, out.len, 0, &back);
	buf_putc(&in, '\n');
	CU_ASSERT_STRING_EQUAL(back.data, in.data);
	buf_release(&in);
	buf_release(&out);
	buf_release(&back);
}

static size_t chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* Paragraphs wrapped and decoded come back whole, at several widths. */
static void test_round_trip(void)
{
	static const char *const text =
		"Ein \xc3\xbc" "berlanger Absatz mit Umlauten, der \xc3\xbc" "ber mehrere Zeilen geht, "
		"damit er umbrochen wird, und noch etwas mehr Text dazu.\n"
		"\n"
		"> Zitat, das ebenfalls lang genug ist, um auf mehrere Zeilen verteilt zu werden, ganz sicher.\n"
		">> tief -- gestrichelt -- und mit  zwei Blanks\n"
		" eingeruckt\n"
		"From the start\n"
		"-- \n"
		"Sig\n";
	size_t widths[] = { 30, 50, 78 }, i;

	for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		struct buf enc = BUF_INIT, back = BUF_INIT;
		const char *p, *nl;

		flowed_encode(text, strlen(text), widths[i], &enc);
		for (p = enc.data; (nl = strchr(p, '\n')); p = nl + 1)
			if (chars(p, (size_t)(nl - p)) > widths[i] && memchr(p, ' ', (size_t)(nl - p - 1)))
				CU_FAIL("line longer than the width with a break in it");
		flowed_unflow(enc.data, enc.len, 0, &back);
		CU_ASSERT_STRING_EQUAL(back.data, text);
		buf_release(&enc);
		buf_release(&back);
	}
}

static void test_wrap_plain(void)
{
	struct buf out = BUF_INIT;
	const char *t = "quoted text that is long enough to wrap around once";

	flowed_wrap_para(&out, 1, t, strlen(t), 30);
	CU_ASSERT_STRING_EQUAL(out.data, "> quoted text that is long\n> enough to wrap around once\n");
	buf_reset(&out);
	flowed_wrap_para(&out, 2, "", 0, 30);
	CU_ASSERT_STRING_EQUAL(out.data, ">>\n");
	buf_reset(&out);
	flowed_wrap_para(&out, 1, "-- ", 3, 30);
	CU_ASSERT_STRING_EQUAL(out.data, "> -- \n");
	buf_release(&out);
}

void suite_flowed(void)
{
	CU_pSuite s = CU_add_suite("flowed", NULL, NULL);

	CU_add_test(s, "RFC 3676 examples, empty input, CRLF", test_rfc_examples);
	CU_add_test(s, "DelSp", test_delsp);
	CU_add_test(s, "quote depth changes", test_quotes);
	CU_add_test(s, "space-stuffing", test_stuffing);
	CU_add_test(s, "signature separator", test_signature);
	CU_add_test(s, "soft breaks and trailing blanks", test_wrapping);
	CU_add_test(s, "very long words", test_long_words);
	CU_add_test(s, "encode then decode", test_round_trip);
	CU_add_test(s, "plain wrapping for quotes", test_wrap_plain);
}
