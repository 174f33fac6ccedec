#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "cfg.h"
#include "keymap.h"
#include "suites.h"
#include "tutil.h"
#include "ui.h"
#include "xalloc.h"

static int parse(const char *s, int *out, size_t *n)
{
	struct err err = ERR_INIT;

	return keymap_parse_keys(s, out, KEYMAP_SEQ_MAX, n, &err);
}

static void test_names(void)
{
	struct err err = ERR_INIT;
	int k[KEYMAP_SEQ_MAX];
	size_t n;

	CU_ASSERT_EQUAL(parse("gg", k, &n), 0);
	CU_ASSERT(n == 2 && k[0] == 'g' && k[1] == 'g');
	CU_ASSERT(parse("C-x", k, &n) == 0 && n == 1 && k[0] == 0x18);
	CU_ASSERT(parse("^X", k, &n) == 0 && n == 1 && k[0] == 0x18);
	CU_ASSERT(parse("M-x", k, &n) == 0 && n == 2 && k[0] == UI_KEY_ESC && k[1] == 'x');
	CU_ASSERT(parse("<Esc>f", k, &n) == 0 && n == 2 && k[0] == UI_KEY_ESC && k[1] == 'f');
	CU_ASSERT(parse("<F5>", k, &n) == 0 && n == 1 && k[0] == KEY_F(5));
	CU_ASSERT(parse("<f12>", k, &n) == 0 && n == 1 && k[0] == KEY_F(12));
	CU_ASSERT(parse("<Tab>", k, &n) == 0 && n == 1 && k[0] == '\t');
	CU_ASSERT(parse("<Enter>", k, &n) == 0 && n == 1 && k[0] == '\n');
	CU_ASSERT(parse("<Up><Down>", k, &n) == 0 && n == 2 && k[0] == KEY_UP && k[1] == KEY_DOWN);
	CU_ASSERT(parse("<lt>", k, &n) == 0 && n == 1 && k[0] == '<');
	CU_ASSERT(parse("<", k, &n) == 0 && n == 1 && k[0] == '<');
	CU_ASSERT(parse("=", k, &n) == 0 && n == 1 && k[0] == '=');
	CU_ASSERT(parse("M-<Tab>", k, &n) == 0 && n == 2 && k[1] == '\t');
	/* C and M alone are letters. */
	CU_ASSERT(parse("C", k, &n) == 0 && n == 1 && k[0] == 'C');
	CU_ASSERT(parse("M-", k, &n) == 0 && n == 2 && k[0] == 'M' && k[1] == '-');

	CU_ASSERT_EQUAL(keymap_parse_keys("x<Foo>", k, KEYMAP_SEQ_MAX, &n, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'<Foo>'"));
	CU_ASSERT_EQUAL(keymap_parse_keys("<F99>", k, KEYMAP_SEQ_MAX, &n, &err), -1);
	CU_ASSERT_EQUAL(keymap_parse_keys("C-1", k, KEYMAP_SEQ_MAX, &n, &err), -1);
	CU_ASSERT_EQUAL(keymap_parse_keys("", k, KEYMAP_SEQ_MAX, &n, &err), -1);
	CU_ASSERT_EQUAL(keymap_parse_keys("abcdefghi", k, KEYMAP_SEQ_MAX, &n, &err), -1);
}

static void name_is(const char *keys, const char *want)
{
	struct buf b = BUF_INIT;
	int k[KEYMAP_SEQ_MAX];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(parse(keys, k, &n), 0);
	keymap_key_name(k, n, &b);
	CU_ASSERT_STRING_EQUAL(b.data, want);
	buf_release(&b);
}

static void test_key_name(void)
{
	name_is("gg", "gg");
	name_is("^x", "C-x");
	name_is("<Esc>f", "M-f");
	name_is("<Esc>", "<Esc>");
	name_is("<return>", "<Enter>");
	name_is("<F5>", "<F5>");
	name_is("<", "<lt>");
	name_is("<Space>", "<Space>");
	name_is("<PageDown>", "<PageDown>");
}

/* Every default parses, codes are unique in a menu, and a function whose
 * first default is one key (or M-key) has that key's code. */
static void test_tables(void)
{
	size_t m, i, j, n, cnt;
	int k[KEYMAP_SEQ_MAX];

	for (m = 0; m < KEYMAP_NMENUS; m++) {
		const struct keymap_fn *f = keymap_functions((enum keymap_menu)m, &cnt);

		for (i = 0; i < cnt; i++) {
			char first[32];
			size_t len = strcspn(f[i].keys, " ");

			for (j = i + 1; j < cnt; j++) {
				CU_ASSERT(f[i].code != f[j].code);
				CU_ASSERT(strcmp(f[i].name, f[j].name) != 0);
			}
			if (len == 0)
				continue;
			CU_ASSERT_FATAL(len < sizeof(first));
			memcpy(first, f[i].keys, len);
			first[len] = '\0';
			CU_ASSERT_EQUAL_FATAL(parse(first, k, &n), 0);
			if (n == 1)
				CU_ASSERT_EQUAL(f[i].code, k[0]);
			if (n == 2 && k[0] == UI_KEY_ESC)
				CU_ASSERT_EQUAL(f[i].code, KEYMAP_META(k[1]));
		}
	}
}

static int match(enum keymap_menu m, const char *keys, int *code)
{
	int k[KEYMAP_SEQ_MAX];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(parse(keys, k, &n), 0);
	return keymap_match(m, k, n, code);
}

static void test_match(void)
{
	struct err err = ERR_INIT;
	int code = 0;

	keymap_reset();
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "d", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, 'd');
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "<Down>", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, 'j');
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "<Esc>", &code), KEYMAP_MATCH_PREFIX);
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "M-f", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, KEYMAP_FORWARD_ATTACH);
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "T", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, 'T');
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "Z", &code), KEYMAP_MATCH_NONE);
	CU_ASSERT_EQUAL(match(KEYMAP_PAGER, "<Esc>", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, 'q');

	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "x", "delete-message", &err), 0);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "gg", "first-entry", &err), 0);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "u", "noop", &err), 0);
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "x", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, 'd');
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "g", &code), KEYMAP_MATCH_FULL | KEYMAP_MATCH_PREFIX);
	CU_ASSERT_EQUAL(code, 'g');
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "gg", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, '=');
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "u", &code), KEYMAP_MATCH_NONE);
	/* Bindings are per menu. */
	CU_ASSERT_EQUAL(match(KEYMAP_PAGER, "x", &code), KEYMAP_MATCH_NONE);

	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "x", "frobnicate", &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown function 'frobnicate' for key 'x'"));
	/* A pager function is no index function. */
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "x", "view-attachments", &err), -1);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "<Nope>", "quit", &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'<Nope>'"));
	keymap_reset();
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "x", &code), KEYMAP_MATCH_NONE);
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "u", &code), KEYMAP_MATCH_FULL);
}

static void test_macro(void)
{
	struct err err = ERR_INIT;
	int code = 0;

	keymap_reset();
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "<F6>", "save-message \"Arch \\\"ive\\\"\" \"y\"",
				    &err), 0);
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "<F6>", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, KEYMAP_MACRO(0));
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "<F7>", "\"x\" save-message", &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "starts with a function"));
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "<F7>", "save-message \"x", &err), -1);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "<F7>", "limit \"~N\" nonesuch", &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown function 'nonesuch'"));
	keymap_reset();
}

/* keymap_read() on pending input only (no terminal): every read below
 * finds its keys queued. */
static void test_read(void)
{
	struct err err = ERR_INIT;
	const char *arg = "Archive";
	int keys[8], fn = UI_KEY_FN('q');
	size_t i;

	keymap_reset();
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "x", "delete-message", &err), 0);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "gg", "first-entry", &err), 0);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "<F6>", "save-message \"Archive\" limit", &err), 0);

	ui_push_keys("xgg");
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_INDEX, -1), 'd');
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_INDEX, -1), '=');
	/* g is bound and starts gg: gj is g, then j. */
	ui_push_keys("gj<Esc>f");
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_INDEX, -1), 'g');
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_INDEX, -1), 'j');
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_INDEX, -1), KEYMAP_FORWARD_ATTACH);

	/* A macro: its first function now, its argument for the prompt,
	 * then the next function. */
	keys[0] = KEY_F(6);
	ui_push_front(keys, 1);
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_INDEX, -1), 's');
	for (i = 0; arg[i]; i++)
		CU_ASSERT_EQUAL(ui_getkey(-1), arg[i]);
	CU_ASSERT_EQUAL(ui_getkey(-1), UI_KEY_ENDARG);
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_INDEX, -1), 'l');

	/* A function queued is not translated again; a stray argument end
	 * is skipped. */
	keys[0] = UI_KEY_ENDARG;
	keys[1] = fn;
	ui_push_front(keys, 2);
	CU_ASSERT_EQUAL(keymap_read(KEYMAP_PAGER, -1), 'q');
	keymap_reset();
}

static void test_keys_of(void)
{
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT;

	keymap_reset();
	keymap_keys_of(KEYMAP_INDEX, 'j', &b);
	CU_ASSERT_STRING_EQUAL(b.data, "j <Down>");
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "x", "next-entry", &err), 0);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "j", "noop", &err), 0);
	buf_reset(&b);
	keymap_keys_of(KEYMAP_INDEX, 'j', &b);
	CU_ASSERT_STRING_EQUAL(b.data, "<Down> x");
	buf_release(&b);
	keymap_reset();
}

static void test_bar(void)
{
	static const struct keymap_bar items[] = {
		{ 'q', "Quit" }, { 'd', "Del" }, { 'I', "Threads" }, { 'u', "Undel" },
	};
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT;

	keymap_reset();
	keymap_bar(KEYMAP_INDEX, items, 4, 80, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "q:Quit  d:Del  I:Threads  u:Undel  ?:Help");
	buf_reset(&b);
	/* Too narrow for Threads: later items that fit still come, help last. */
	keymap_bar(KEYMAP_INDEX, items, 4, 30, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "q:Quit  d:Del  u:Undel  ?:Help");
	buf_reset(&b);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "<F1>", "help", &err), 0);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "?", "noop", &err), 0);
	CU_ASSERT_EQUAL(keymap_bind(KEYMAP_INDEX, "d", "noop", &err), 0);
	keymap_bar(KEYMAP_INDEX, items, 4, 80, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "q:Quit  I:Threads  u:Undel  <F1>:Help");
	buf_release(&b);
	keymap_reset();
}

static char *write_cfg(const char *text)
{
	char *path = xasprintf("%s/config", tutil_tmpdir());

	CU_ASSERT_EQUAL(tutil_write(path, text, strlen(text)), 0);
	return path;
}

static void test_load(void)
{
	struct err err = ERR_INIT;
	struct cfg *cfg;
	char *path;
	int code = 0;

	path = write_cfg("[general]\n"
			 "[keys index]\n"
			 "# a comment\n"
			 "x = delete-message   # and another\n"
			 "= = last-entry\n"
			 "; = tag-nothing-yet\n");
	cfg = cfg_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg_keys_count(cfg), 3);
	CU_ASSERT_EQUAL(keymap_load(cfg, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "config:6: [keys index] unknown function 'tag-nothing-yet' for key ';'"));
	cfg_free(cfg);
	tutil_rmtree();
	free(path);

	path = write_cfg("[keys pager]\n"
			 "x=exit\n"
			 "[keys index]\n"
			 "<F6> = save-message \"Archive\" ; saves\n"
			 "[general]\n");
	cfg = cfg_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(keymap_load(cfg, &err), 0);
	CU_ASSERT_EQUAL(match(KEYMAP_PAGER, "x", &code), KEYMAP_MATCH_FULL);
	CU_ASSERT_EQUAL(code, 'q');
	CU_ASSERT_EQUAL(match(KEYMAP_INDEX, "<F6>", &code), KEYMAP_MATCH_FULL);
	cfg_free(cfg);
	tutil_rmtree();
	free(path);

	path = write_cfg("[keys index]\nd = quit\n<F77> = quit\n");
	cfg = cfg_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(keymap_load(cfg, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "config:3: [keys index] unknown key name '<F77>'"));
	cfg_free(cfg);
	tutil_rmtree();
	free(path);

	path = write_cfg("[keys viewer]\n");
	CU_ASSERT_PTR_NULL(cfg_load(path, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "config:1: unknown section [keys viewer]"));
	tutil_rmtree();
	free(path);
	keymap_reset();
}

void suite_keymap(void)
{
	CU_pSuite s = CU_add_suite("keymap", NULL, NULL);

	CU_add_test(s, "key names parse", test_names);
	CU_add_test(s, "key names are written back", test_key_name);
	CU_add_test(s, "the function tables are consistent", test_tables);
	CU_add_test(s, "the sequence matcher", test_match);
	CU_add_test(s, "macros", test_macro);
	CU_add_test(s, "reading keys as functions", test_read);
	CU_add_test(s, "keys bound to a function", test_keys_of);
	CU_add_test(s, "the key bar keeps help", test_bar);
	CU_add_test(s, "[keys MENU] sections, errors with file and line", test_load);
}
