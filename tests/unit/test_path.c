#include "config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "path.h"
#include "suites.h"
#include "xalloc.h"

/* The environment variables these tests change, restored after each. */
static const char *const saved_vars[] = {
	"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
};
static char *saved[sizeof(saved_vars) / sizeof(saved_vars[0])];

static int setup(void)
{
	size_t i;

	for (i = 0; i < sizeof(saved_vars) / sizeof(saved_vars[0]); i++) {
		const char *v = getenv(saved_vars[i]);

		saved[i] = v ? xstrdup(v) : NULL;
	}
	return 0;
}

static void restore_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(saved_vars) / sizeof(saved_vars[0]); i++) {
		if (saved[i])
			setenv(saved_vars[i], saved[i], 1);
		else
			unsetenv(saved_vars[i]);
	}
}

static int teardown(void)
{
	size_t i;

	restore_env();
	for (i = 0; i < sizeof(saved_vars) / sizeof(saved_vars[0]); i++) {
		free(saved[i]);
		saved[i] = NULL;
	}
	return 0;
}

static void check(char *got, const char *want)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void test_expand_home(void)
{
	setenv("HOME", "/home/ana", 1);
	check(path_expand("~"), "/home/ana");
	check(path_expand("~/"), "/home/ana");
	check(path_expand("~/Mail/work"), "/home/ana/Mail/work");
	check(path_expand("/abs/~/x"), "/abs/~/x");
	check(path_expand("rel/x"), "rel/x");
	check(path_expand(""), "");
	setenv("HOME", "/home/ana/", 1);
	check(path_expand("~/Mail"), "/home/ana/Mail");
	restore_env();
}

static void test_expand_no_home_var(void)
{
	const struct passwd *pw = getpwuid(getuid());

	if (!pw)
		return;
	unsetenv("HOME");
	check(path_expand("~"), pw->pw_dir);
	setenv("HOME", "", 1);
	check(path_expand("~"), pw->pw_dir);
	restore_env();
}

static void test_expand_user(void)
{
	const struct passwd *pw = getpwuid(getuid());
	char *in, *want;

	if (!pw)
		return;
	in = xasprintf("~%s/Mail", pw->pw_name);
	want = path_join(pw->pw_dir, "Mail");
	check(path_expand(in), want);
	free(in);
	in = xasprintf("~%s", pw->pw_name);
	check(path_expand(in), pw->pw_dir);
	free(in);
	free(want);
	check(path_expand("~no-such-user-surel/x"), "~no-such-user-surel/x");
}

static void test_xdg(void)
{
	static const struct {
		enum path_xdg kind;
		const char *var;
		const char *fallback;
	} t[] = {
		{ PATH_XDG_CONFIG, "XDG_CONFIG_HOME", "/home/ana/.config/surel" },
		{ PATH_XDG_DATA, "XDG_DATA_HOME", "/home/ana/.local/share/surel" },
		{ PATH_XDG_CACHE, "XDG_CACHE_HOME", "/home/ana/.cache/surel" },
		{ PATH_XDG_STATE, "XDG_STATE_HOME", "/home/ana/.local/state/surel" },
	};
	size_t i;

	setenv("HOME", "/home/ana", 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsetenv(t[i].var);
		check(path_xdg(t[i].kind, NULL), t[i].fallback);
		setenv(t[i].var, "", 1);
		check(path_xdg(t[i].kind, ""), t[i].fallback);
		/* Relative values are invalid per the spec and ignored. */
		setenv(t[i].var, "rel/dir", 1);
		check(path_xdg(t[i].kind, NULL), t[i].fallback);
		setenv(t[i].var, "/x/y/", 1);
		check(path_xdg(t[i].kind, NULL), "/x/y/surel");
		check(path_xdg(t[i].kind, "config"), "/x/y/surel/config");
		check(path_xdg(t[i].kind, "queue/tmp"), "/x/y/surel/queue/tmp");
	}
	restore_env();
}

static void test_join(void)
{
	static const char *const t[][3] = {
		{ "a", "b", "a/b" },
		{ "a/", "b", "a/b" },
		{ "a//", "b/c", "a/b/c" },
		{ "/", "b", "/b" },
		{ "//", "b", "/b" },
		{ "a", "/b", "/b" },
		{ "", "b", "b" },
		{ "a", "", "a" },
		{ "", "", "" },
		{ "/home/ana", "Mail/INBOX", "/home/ana/Mail/INBOX" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check(path_join(t[i][0], t[i][1]), t[i][2]);
}

static void test_dirname(void)
{
	static const char *const t[][2] = {
		{ "a/b", "a" },
		{ "a/b/", "a" },
		{ "a//b", "a" },
		{ "/a/b/c", "/a/b" },
		{ "/a", "/" },
		{ "//a", "/" },
		{ "/", "/" },
		{ "a", "." },
		{ "a/", "." },
		{ "", "." },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check(path_dirname(t[i][0]), t[i][1]);
}

void suite_path(void)
{
	CU_pSuite s = CU_add_suite("path", setup, teardown);

	CU_add_test(s, "expand ~ with HOME", test_expand_home);
	CU_add_test(s, "expand ~ without HOME", test_expand_no_home_var);
	CU_add_test(s, "expand ~user", test_expand_user);
	CU_add_test(s, "xdg base directories", test_xdg);
	CU_add_test(s, "join", test_join);
	CU_add_test(s, "dirname", test_dirname);
}
