#include "config.h"

#include <string.h>

#include <CUnit/CUnit.h>

#include "html.h"
#include "suites.h"

static void test_vectors(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "", "" },
		{ "plain", "plain\n" },
		{ "<html><head><title>T</title><style>p{}</style></head><body><p>Hello\n  <b>world</b></p><p>Two</p></body></html>",
		  "Hello world\n\nTwo\n" },
		{ "a<br>b<br/>c", "a\nb\nc\n" },
		{ "<ul><li>one</li><li>two</li></ul>", "* one\n* two\n" },
		{ "x<script>alert('<p>')</script>y", "xy\n" },
		{ "a<!-- <p>hidden</p> -->b", "ab\n" },
		{ "&lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42; &nbsp;x &euro;", "<tag> & \"q\" AB  x \xe2\x82\xac\n" },
		{ "AT&T &unknown; & &#;", "AT&T &unknown; & &#;\n" },
		{ "<pre>  a\n   b</pre>after", "  a\n   b\nafter\n" },
		{ "<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>", "1 2\n3\n" },
		{ "<h1>Title</h1>text", "Title\n\ntext\n" },
		{ "a < b and c > d", "a < b and c > d\n" },
		{ "unclosed <b", "unclosed <b\n" },
		{ "&#1114112; &#xD800;", "\xef\xbf\xbd \xef\xbf\xbd\n" },
	};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&out);
		html_to_text(t[i].in, strlen(t[i].in), &out);
		if (strcmp(out.data, t[i].want) != 0) {
			fprintf(stderr, "\ncase %zu: got [%s] want [%s]\n", i, out.data, t[i].want);
			CU_FAIL("html_to_text");
		}
	}
	/* Appends. */
	buf_reset(&out);
	buf_puts(&out, "x");
	html_to_text("<p>y</p>", 8, &out);
	CU_ASSERT_STRING_EQUAL(out.data, "xy\n");
	buf_release(&out);
}

void suite_html(void)
{
	CU_pSuite s = CU_add_suite("html", NULL, NULL);

	CU_add_test(s, "tags, entities, blocks, pre", test_vectors);
}
