#include "config.h"

#include <string.h>

#include <CUnit/CUnit.h>

#include "colorspec.h"
#include "suites.h"

static void test_good(void)
{
	static const struct {
		const char *s;
		int fg, bg;
		unsigned attrs;
	} t[] = {
		{ "default default", COLORSPEC_DEFAULT, COLORSPEC_DEFAULT, 0 },
		{ "white blue", 7, 4, 0 },
		{ "  Cyan\tDEFAULT  ", 6, COLORSPEC_DEFAULT, 0 },
		{ "black red bold", 0, 1, COLORSPEC_BOLD },
		{ "green yellow bold underline reverse dim", 2, 3,
		  COLORSPEC_BOLD | COLORSPEC_UNDERLINE | COLORSPEC_REVERSE | COLORSPEC_DIM },
		{ "color0 color255 none", 0, 255, 0 },
		{ "color208 magenta", 208, 5, 0 },
	};
	struct colorspec cs;
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(colorspec_parse(t[i].s, &cs, &err), 0);
		CU_ASSERT_EQUAL(cs.fg, t[i].fg);
		CU_ASSERT_EQUAL(cs.bg, t[i].bg);
		CU_ASSERT_EQUAL(cs.attrs, t[i].attrs);
	}
}

static void test_bad(void)
{
	static const struct {
		const char *s;
		const char *want;
	} t[] = {
		{ "", "needs a foreground and a background colour" },
		{ "red", "needs a foreground and a background colour" },
		{ "purple blue", "unknown colour 'purple'" },
		{ "red color256", "unknown colour 'color256'" },
		{ "red color07", "unknown colour 'color07'" },
		{ "red color", "unknown colour 'color'" },
		{ "red colorx", "unknown colour 'colorx'" },
		{ "red -1", "unknown colour '-1'" },
		{ "red blue blink", "unknown attribute 'blink'" },
		{ "red blue bold,", "unknown attribute 'bold,'" },
	};
	struct colorspec cs;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err_clear(&err);
		CU_ASSERT_EQUAL(colorspec_parse(t[i].s, &cs, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, t[i].want));
	}
}

void suite_colorspec(void)
{
	CU_pSuite s = CU_add_suite("colorspec", NULL, NULL);

	CU_add_test(s, "colours and attributes", test_good);
	CU_add_test(s, "bad values name the word", test_bad);
}
