#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "colorspec.h"

static const char *const names[] = { "black", "red", "green", "yellow",
				     "blue", "magenta", "cyan", "white" };

/* The next blank-separated word of *p: its start, length in *len_out. */
static const char *word(const char **p, size_t *len_out)
{
	const char *s = *p + strspn(*p, " \t"), *e = s + strcspn(s, " \t");

	*p = e;
	*len_out = (size_t)(e - s);
	return *len_out ? s : NULL;
}

static int is_word(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(w, name, n) == 0;
}

static int color(const char *w, size_t n, int *out)
{
	size_t i;
	int v = 0;

	if (is_word(w, n, "default")) {
		*out = COLORSPEC_DEFAULT;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (is_word(w, n, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	if (n < 6 || n > 8 || strncasecmp(w, "color", 5) != 0)
		return -1;
	for (i = 5; i < n; i++) {
		if (!isdigit((unsigned char)w[i]))
			return -1;
		v = v * 10 + (w[i] - '0');
	}
	if (v > COLORSPEC_MAX || (n - 5 > 1 && w[5] == '0'))
		return -1;
	*out = v;
	return 0;
}

int colorspec_parse(const char *s, struct colorspec *out, struct err *err)
{
	static const struct {
		const char *name;
		unsigned attr;
	} attrs[] = { { "bold", COLORSPEC_BOLD }, { "underline", COLORSPEC_UNDERLINE },
		      { "reverse", COLORSPEC_REVERSE }, { "dim", COLORSPEC_DIM }, { "none", 0 } };
	const char *p = s, *w;
	size_t n, i;
	int *slot[2];
	int k;

	out->fg = out->bg = COLORSPEC_DEFAULT;
	out->attrs = 0;
	slot[0] = &out->fg;
	slot[1] = &out->bg;
	for (k = 0; k < 2; k++) {
		w = word(&p, &n);
		if (!w)
			return err_set(err, EX_CONFIG, "needs a foreground and a background colour, as in 'white blue'");
		if (color(w, n, slot[k]) < 0)
			return err_set(err, EX_CONFIG, "unknown colour '%.*s' (use black, red, green, yellow, blue, magenta, cyan, white, default or colorN)",
				       (int)(n > 40 ? 40 : n), w);
	}
	while ((w = word(&p, &n)) != NULL) {
		for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
			if (is_word(w, n, attrs[i].name))
				break;
		if (i == sizeof(attrs) / sizeof(attrs[0]))
			return err_set(err, EX_CONFIG, "unknown attribute '%.*s' (use bold, underline, reverse, dim or none)",
				       (int)(n > 40 ? 40 : n), w);
		out->attrs |= attrs[i].attr;
	}
	return 0;
}
