/*
 * colorspec: the value of a colour key of the configuration file
 * ("FG BG [bold|underline|reverse|dim]...", as in color_status = white
 * blue bold).  It parses and names; it draws nothing and knows no curses:
 * mua/ui.c maps a struct colorspec onto curses pairs, and lib/cfg.c calls
 * colorspec_parse() so a bad colour is a configuration error at load.
 */
#ifndef SUREL_COLORSPEC_H
#define SUREL_COLORSPEC_H

#include "err.h"

/* A colour number: COLORSPEC_DEFAULT is the terminal's own colour; 0-7 are
 * black, red, green, yellow, blue, magenta, cyan, white (curses' order);
 * higher numbers come from "colorN" (up to 255). */
#define COLORSPEC_DEFAULT (-1)
#define COLORSPEC_MAX 255

enum colorspec_attrs {
	COLORSPEC_BOLD = 1u << 0,
	COLORSPEC_UNDERLINE = 1u << 1,
	COLORSPEC_REVERSE = 1u << 2,
	COLORSPEC_DIM = 1u << 3,
};

struct colorspec {
	int fg, bg;          /* COLORSPEC_DEFAULT or 0..COLORSPEC_MAX */
	unsigned attrs;      /* enum colorspec_attrs */
};

/* Parse "FG BG [ATTR]..." (words separated by blanks, names without case):
 * each colour is black, red, green, yellow, blue, magenta, cyan, white,
 * default or colorN (N from 0 to 255); each ATTR is bold, underline,
 * reverse, dim or none.  EX_CONFIG naming the bad word otherwise. */
int colorspec_parse(const char *s, struct colorspec *out, struct err *err)
	__attribute__((warn_unused_result));

#endif
