#include "config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "path.h"
#include "xalloc.h"

/* $HOME when set and non-empty (it is what the user expects '~' to mean,
 * e.g. under sudo -H or in tests), else the password database; NULL when
 * neither knows. */
static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	const struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	if (pw && pw->pw_dir && *pw->pw_dir)
		return pw->pw_dir;
	return NULL;
}

char *path_expand(const char *p)
{
	const char *rest, *home = NULL;
	const struct passwd *pw;
	char *user;

	if (p[0] != '~')
		return xstrdup(p);
	rest = p + 1 + strcspn(p + 1, "/");
	if (rest == p + 1) {
		home = home_dir();
	} else {
		user = xstrndup(p + 1, (size_t)(rest - p - 1));
		pw = getpwnam(user);
		free(user);
		if (pw && pw->pw_dir && *pw->pw_dir)
			home = pw->pw_dir;
	}
	/* An unknown user or no home at all: leave the name alone, as the
	 * shell does, rather than guess a directory. */
	if (!home)
		return xstrdup(p);
	if (*rest == '\0')
		return xstrdup(home);
	return path_join(home, rest + 1);
}

char *path_xdg(enum path_xdg kind, const char *sub)
{
	static const struct {
		const char *var;
		const char *fallback; /* below the home directory */
	} base[] = {
		[PATH_XDG_CONFIG] = { "XDG_CONFIG_HOME", ".config" },
		[PATH_XDG_DATA] = { "XDG_DATA_HOME", ".local/share" },
		[PATH_XDG_CACHE] = { "XDG_CACHE_HOME", ".cache" },
		[PATH_XDG_STATE] = { "XDG_STATE_HOME", ".local/state" },
	};
	const char *v = getenv(base[kind].var);
	const char *home;
	char *dir, *top, *out;

	/* The XDG spec says a relative value is invalid and must be ignored. */
	if (v && v[0] == '/') {
		dir = xstrdup(v);
	} else {
		/* With no home directory at all, "/" keeps the result absolute
		 * so nothing lands in whatever the current directory is. */
		home = home_dir();
		dir = path_join(home ? home : "/", base[kind].fallback);
	}
	top = path_join(dir, "surel");
	free(dir);
	if (!sub || !*sub)
		return top;
	out = path_join(top, sub);
	free(top);
	return out;
}

char *path_join(const char *a, const char *b)
{
	struct buf out = BUF_INIT;
	size_t alen = strlen(a);

	if (b[0] == '/' || alen == 0)
		return xstrdup(b);
	if (b[0] == '\0')
		return xstrdup(a);
	while (alen > 0 && a[alen - 1] == '/')
		alen--;
	buf_append(&out, a, alen);
	buf_putc(&out, '/');
	buf_puts(&out, b);
	return buf_detach(&out, NULL);
}

char *path_dirname(const char *p)
{
	size_t n = strlen(p);

	/* Trailing slashes do not make a component: "a/b/" is in "a". */
	while (n > 1 && p[n - 1] == '/')
		n--;
	while (n > 0 && p[n - 1] != '/')
		n--;
	if (n == 0)
		return xstrdup(".");
	while (n > 1 && p[n - 1] == '/')
		n--;
	return xstrndup(p, n);
}
