#include "config.h"

#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "codec.h"
#include "colorspec.h"
#include "log.h"
#include "ui.h"
#include "xalloc.h"

/* The palette: foreground, background (-1 = the terminal's default) and
 * attributes.  Without colours only the attributes are used, so every
 * entry that must stand out has one; with colours, A_REVERSE of a built-in
 * entry is left out (the colours show it).  ui_set_colors() replaces
 * entries from the configuration. */
struct pal {
	short fg, bg;
	attr_t attr;         /* without colours */
	attr_t cattr;        /* with colours */
};
static struct pal palette[UI_NCOLORS] = {
	[UI_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[UI_BAR] = { COLOR_BLACK, COLOR_CYAN, A_REVERSE, A_NORMAL },
	[UI_CURSOR] = { COLOR_BLACK, COLOR_WHITE, A_REVERSE, A_NORMAL },
	[UI_NEW] = { -1, -1, A_BOLD, A_BOLD },
	[UI_FLAGGED] = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[UI_DELETED] = { COLOR_MAGENTA, -1, A_DIM, A_DIM },
	[UI_TREE] = { COLOR_RED, -1, A_NORMAL, A_NORMAL },
	[UI_HEADER] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[UI_QUOTE1] = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[UI_QUOTE2] = { COLOR_YELLOW, -1, A_NORMAL, A_NORMAL },
	[UI_QUOTE3] = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[UI_ERROR] = { COLOR_RED, -1, A_BOLD, A_BOLD },
};

/* The configuration key of each palette entry (surel.conf(5)). */
static const char *const palette_keys[UI_NCOLORS] = {
	[UI_NORMAL] = "color_normal", [UI_BAR] = "color_status",
	[UI_CURSOR] = "color_cursor", [UI_NEW] = "color_new",
	[UI_FLAGGED] = "color_flagged", [UI_DELETED] = "color_deleted",
	[UI_TREE] = "color_tree", [UI_HEADER] = "color_header",
	[UI_QUOTE1] = "color_quote1", [UI_QUOTE2] = "color_quote2",
	[UI_QUOTE3] = "color_quote3", [UI_ERROR] = "color_error",
};

static SCREEN *screen;
static int colors;
static int *pushed;
static size_t npushed, pushpos, cappushed;
static ui_redraw_fn redraw_fn;
static void *redraw_arg;
/* Reused across calls: drawing happens for every visible row. */
static struct buf scratch = BUF_INIT;
/* The last message, shown again by every redraw until the next key. */
static struct buf msgline = BUF_INIT;
static enum ui_color msgcolor;
static wchar_t *wbuf;
static size_t wcap;

/* Warnings from the library (an unreadable message, a cache that cannot be
 * written) belong on the message line while the screen is up. */
static void log_to_screen(enum log_level level, const char *line)
{
	if (level <= LOG_LVL_WARN)
		ui_error("%s", line);
}

/* ^C must not end surel: a message being written lives in memory, and
 * deletion marks are applied only on the way out.  The handler does
 * nothing; the interrupted getch() returns ERR, read as no key.  Exec
 * resets it, so an editor or viewer gets ^C as usual. */
static void on_sigint(int sig)
{
	(void)sig;
}

int ui_start(struct err *err)
{
	struct sigaction sa;
	short i;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return err_set(err, EX_UNAVAILABLE, "cannot start the screen: not a terminal");
	setlocale(LC_ALL, "");
	/* newterm, unlike initscr, reports failure instead of exiting. */
	screen = newterm(NULL, stdout, stdin);
	if (!screen)
		return err_set(err, EX_UNAVAILABLE, "cannot start the screen: unknown terminal '%s'",
			       getenv("TERM") ? getenv("TERM") : "");
	set_term(screen);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors() && start_color() == OK) {
		use_default_colors();
		colors = 1;
		for (i = 1; i < UI_NCOLORS; i++)
			init_pair(i, palette[i].fg, palette[i].bg);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	log_set_sink(log_to_screen);
	return 0;
}

void ui_end(void)
{
	if (!screen)
		return;
	log_set_sink(NULL);
	endwin();
	delscreen(screen);
	screen = NULL;
	free(pushed);
	pushed = NULL;
	npushed = pushpos = cappushed = 0;
	buf_release(&scratch);
	buf_release(&msgline);
	free(wbuf);
	wbuf = NULL;
	wcap = 0;
}

void ui_suspend(void)
{
	endwin();
}

void ui_resume(void)
{
	refresh();
	clearok(curscr, TRUE);
}

int ui_rows(void)
{
	return LINES;
}

int ui_cols(void)
{
	return COLS;
}

static void push(int k)
{
	if (npushed == cappushed) {
		cappushed = cappushed ? cappushed * 2 : 32;
		pushed = xreallocarray(pushed, cappushed, sizeof(*pushed));
	}
	pushed[npushed++] = k;
}

void ui_push_front(const int *keys, size_t n)
{
	size_t left = npushed - pushpos;

	if (n == 0)
		return;
	if (pushpos > 0) {
		memmove(pushed, pushed + pushpos, left * sizeof(*pushed));
		pushpos = 0;
		npushed = left;
	}
	while (npushed + n > cappushed) {
		cappushed = cappushed ? cappushed * 2 : 32;
		pushed = xreallocarray(pushed, cappushed, sizeof(*pushed));
	}
	memmove(pushed + n, pushed, npushed * sizeof(*pushed));
	memcpy(pushed, keys, n * sizeof(*keys));
	npushed += n;
}

/* After a yes/no answer from a macro: its argument's end goes with it. */
static void drop_endarg(void)
{
	if (pushpos < npushed && pushed[pushpos] == UI_KEY_ENDARG && ++pushpos == npushed)
		npushed = pushpos = 0;
}

void ui_push_keys(const char *keys)
{
	static const struct {
		const char *name;
		int key;
	} names[] = {
		{ "<Enter>", '\n' }, { "<Esc>", UI_KEY_ESC }, { "<Tab>", '\t' },
		{ "<Space>", ' ' }, { "<Up>", KEY_UP }, { "<Down>", KEY_DOWN },
		{ "<PageUp>", KEY_PPAGE }, { "<PageDown>", KEY_NPAGE },
		{ "<Backspace>", KEY_BACKSPACE }, { "<lt>", '<' },
	};
	const char *p = keys;
	size_t i;

	while (*p) {
		if (*p == '<') {
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
				size_t n = strlen(names[i].name);

				if (strncasecmp(p, names[i].name, n) == 0) {
					push(names[i].key);
					p += n;
					break;
				}
			}
			if (i < sizeof(names) / sizeof(names[0]))
				continue;
		}
		push((unsigned char)*p++);
	}
}

int ui_getkey(int timeout_ms)
{
	int k;

	if (pushpos < npushed) {
		k = pushed[pushpos++];
		if (pushpos == npushed)
			npushed = pushpos = 0;
		buf_reset(&msgline);
		return k;
	}
	timeout(timeout_ms);
	k = getch();
	if (k != ERR && k != KEY_RESIZE)
		buf_reset(&msgline);
	/* Enter arrives as CR in nonl() mode. */
	if (k == '\r' || k == KEY_ENTER)
		k = '\n';
	return k;
}

int ui_interrupted(void)
{
	int k;

	timeout(0);
	k = getch();
	return k != ERR && k != KEY_RESIZE;
}

/* Decode one UTF-8 character of s (len > 0); returns its byte length.
 * Bad bytes come back one at a time as U+FFFD. */
static size_t next_char(const char *s, size_t len, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;
	unsigned c;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len < n)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		goto bad;
	*cp = c;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

/* Columns a character takes on screen, -1 for one that is not drawn at
 * all.  Zero-width format characters (joiners, variation selectors, tags)
 * are dropped: terminals disagree on how they change the width of their
 * neighbours, and a disagreement would shift every column after them. */
static int cell_width(unsigned *cp)
{
	unsigned c = *cp;
	int w;

	if ((c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff ||
	    (c >= 0xe0000 && c <= 0xe007f) || (c >= 0x1f3fb && c <= 0x1f3ff))
		return -1;
	if (c < 0x20 || c == 0x7f) {
		*cp = '?';
		return 1;
	}
	w = wcwidth((wchar_t)c);
	if (w < 0) {
		*cp = '?';
		return 1;
	}
	return w;
}

size_t ui_fit(const char *s, size_t len, size_t width, size_t *cols_out)
{
	size_t pos = 0, cols = 0, n;
	unsigned cp;
	int w;

	while (pos < len) {
		n = next_char(s + pos, len - pos, &cp);
		w = cell_width(&cp);
		if (w > 0 && cols + (size_t)w > width)
			break;
		if (w > 0)
			cols += (size_t)w;
		pos += n;
	}
	if (cols_out)
		*cols_out = cols;
	return pos;
}

size_t ui_width(const char *s, size_t len)
{
	size_t cols;

	ui_fit(s, len, (size_t)-1, &cols);
	return cols;
}

static attr_t attr_of(enum ui_color c)
{
	if (colors)
		return COLOR_PAIR(c) | palette[c].cattr;
	return palette[c].attr;
}

void ui_set_colors(const struct cfg *cfg)
{
	struct colorspec cs;
	struct err err = ERR_INIT;
	attr_t a;
	int i;

	for (i = 0; i < UI_NCOLORS && cfg; i++) {
		const char *v = cfg_general(cfg, palette_keys[i]);

		/* Checked when the file was loaded. */
		if (!v || colorspec_parse(v, &cs, &err) < 0)
			continue;
		a = A_NORMAL;
		if (cs.attrs & COLORSPEC_BOLD)
			a |= A_BOLD;
		if (cs.attrs & COLORSPEC_UNDERLINE)
			a |= A_UNDERLINE;
		if (cs.attrs & COLORSPEC_REVERSE)
			a |= A_REVERSE;
		if (cs.attrs & COLORSPEC_DIM)
			a |= A_DIM;
		palette[i].fg = (short)cs.fg;
		palette[i].bg = (short)cs.bg;
		palette[i].cattr = a;
		/* A colour alone says nothing to a terminal without colours. */
		if (a != A_NORMAL)
			palette[i].attr = a;
	}
}

size_t ui_text(int y, int x, size_t width, const char *s, size_t len, enum ui_color c,
	       unsigned long attr)
{
	size_t pos = 0, cols = 0, nw = 0, n;
	unsigned cp;
	int w;

	if (width == 0)
		return 0;
	buf_reset(&scratch);
	codec_sanitize(s, len, 0, &scratch);
	if (wcap < scratch.len + 1) {
		wcap = scratch.len + 1;
		wbuf = xreallocarray(wbuf, wcap, sizeof(*wbuf));
	}
	while (pos < scratch.len) {
		n = next_char(scratch.data + pos, scratch.len - pos, &cp);
		pos += n;
		w = cell_width(&cp);
		if (w < 0 || (w == 0 && nw == 0))
			continue;
		if (cols + (size_t)w > width)
			break;
		wbuf[nw++] = (wchar_t)cp;
		cols += (size_t)w;
	}
	/* Callers mark the selected line with A_REVERSE for terminals without
	 * colours; with colours the palette's UI_CURSOR says how it looks. */
	if (colors)
		attr &= ~(unsigned long)A_REVERSE;
	attrset(attr_of(c) | (attr_t)attr);
	move(y, x);
	if (nw > 0)
		addnwstr(wbuf, (int)nw);
	for (n = cols; n < width; n++)
		addch(' ');
	attrset(A_NORMAL);
	return cols;
}

void ui_line(int y, int x, const char *s, enum ui_color c)
{
	if (x < COLS)
		ui_text(y, x, (size_t)(COLS - x), s, strlen(s), c, 0);
}

void ui_help_bar(const char *text)
{
	ui_line(0, 0, text, UI_BAR);
}

void ui_status_bar(const char *text)
{
	if (LINES >= 2)
		ui_line(LINES - 2, 0, text, UI_BAR);
}

static void message_line(enum ui_color c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void message_line(enum ui_color c, const char *fmt, va_list ap)
{
	buf_reset(&msgline);
	buf_vprintf(&msgline, fmt, ap);
	msgcolor = c;
	ui_line(LINES - 1, 0, msgline.data, c);
	refresh();
}

void ui_message(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message_line(UI_NORMAL, fmt, ap);
	va_end(ap);
}

void ui_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message_line(UI_ERROR, fmt, ap);
	va_end(ap);
	beep();
}

void ui_flush(void)
{
	if (msgline.len)
		ui_line(LINES - 1, 0, msgline.data, msgcolor);
	refresh();
}

void ui_set_redraw(ui_redraw_fn fn, void *arg)
{
	redraw_fn = fn;
	redraw_arg = arg;
}

void ui_redraw(void)
{
	if (redraw_fn)
		redraw_fn(redraw_arg);
}

/* Draw the prompt line; the tail of the text is shown when it is too long. */
static void draw_prompt(const char *question, const struct buf *line)
{
	size_t qw = ui_width(question, strlen(question)), avail, start = 0, tw;
	int y = LINES - 1;

	ui_text(y, 0, (size_t)COLS, question, strlen(question), UI_NORMAL, 0);
	avail = (size_t)COLS > qw + 1 ? (size_t)COLS - qw - 1 : 0;
	while (start < line->len && ui_width(line->data + start, line->len - start) > avail) {
		unsigned cp;

		start += next_char(line->data + start, line->len - start, &cp);
	}
	tw = ui_text(y, (int)qw, avail + 1, line->data + start, line->len - start, UI_NORMAL, 0);
	move(y, (int)(qw + tw));
	refresh();
}

/* Drop the last UTF-8 character of line. */
static void rub_char(struct buf *line)
{
	size_t n = line->len;

	while (n > 0 && ((unsigned char)line->data[n - 1] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		n--;
	buf_truncate(line, n);
}

int ui_prompt(const char *question, const char *initial, const struct ui_prompt_ops *ops,
	      struct buf *line)
{
	int k, rc = -1;

	buf_reset(line);
	if (initial)
		buf_puts(line, initial);
	curs_set(1);
	for (;;) {
		draw_prompt(question, line);
		k = ui_getkey(-1);
		if (ops && ops->key && k != KEY_RESIZE) {
			int r = ops->key(ops->arg, k, line);

			if (r == UI_KEY_ACCEPT) {
				rc = 0;
				break;
			}
			if (r == UI_KEY_TAKEN)
				continue;
		}
		if (k == '\n' || k == UI_KEY_ENDARG) {
			rc = 0;
			break;
		}
		if (k == UI_KEY_ESC || k == UI_KEY_CTRL('g'))
			break;
		if (k == KEY_RESIZE) {
			ui_redraw();
			continue;
		}
		if (k == KEY_BACKSPACE || k == 127 || k == UI_KEY_CTRL('h')) {
			rub_char(line);
		} else if (k == UI_KEY_CTRL('u')) {
			buf_reset(line);
		} else if (k == UI_KEY_CTRL('w')) {
			while (line->len > 0 && line->data[line->len - 1] == ' ')
				buf_truncate(line, line->len - 1);
			while (line->len > 0 && line->data[line->len - 1] != ' ')
				buf_truncate(line, line->len - 1);
		} else if (k == '\t') {
			if (ops && ops->complete)
				ops->complete(ops->arg, line);
			continue;
		} else if (k >= 0x20 && k <= 0xff && k != 127) {
			buf_putc(line, k);
			/* Report only whole characters. */
			if (k >= 0x80 && ((unsigned char)k & 0xc0) != 0x80)
				continue;
			if (k >= 0x80 && !codec_utf8_valid(line->data, line->len))
				continue;
		} else {
			continue;
		}
		if (ops && ops->changed)
			ops->changed(ops->arg, line->data);
	}
	curs_set(0);
	ui_line(LINES - 1, 0, "", UI_NORMAL);
	return rc;
}

int ui_confirm(const char *question)
{
	int k;

	for (;;) {
		ui_message("%s (y/n) ", question);
		k = ui_getkey(-1);
		if (k == KEY_RESIZE) {
			ui_redraw();
			continue;
		}
		break;
	}
	drop_endarg();
	ui_line(LINES - 1, 0, "", UI_NORMAL);
	return k == 'y' || k == 'Y';
}

int ui_confirm_cancel(const char *question)
{
	int k;

	for (;;) {
		ui_message("%s (y/n/Esc) ", question);
		k = ui_getkey(-1);
		if (k == KEY_RESIZE)
			ui_redraw();
		else if (k == 'y' || k == 'Y' || k == 'n' || k == 'N' || k == UI_KEY_ESC ||
			 k == UI_KEY_CTRL('g'))
			break;
	}
	drop_endarg();
	ui_line(LINES - 1, 0, "", UI_NORMAL);
	if (k == UI_KEY_ESC || k == UI_KEY_CTRL('g'))
		return -1;
	return k == 'y' || k == 'Y';
}

void ui_show_help(const char *title, const struct ui_keyhelp *keys, size_t n)
{
	size_t top = 0, i, kw = 12;
	int k, y, rows;

	/* The key column as wide as its widest entry, within reason. */
	for (i = 0; i < n; i++)
		if (ui_width(keys[i].key, strlen(keys[i].key)) > kw)
			kw = ui_width(keys[i].key, strlen(keys[i].key));
	if (kw > 24)
		kw = 24;

	for (;;) {
		struct buf b = BUF_INIT;

		erase();
		rows = LINES - 3 > 0 ? LINES - 3 : 0;
		ui_help_bar("q:Back  j/k:Scroll  Space/-:Page");
		for (y = 0, i = top; y < rows && i < n; y++, i++) {
			buf_reset(&b);
			buf_printf(&b, "%-*s %s", (int)kw, keys[i].key, keys[i].what);
			ui_line(y + 1, 0, b.data, UI_NORMAL);
		}
		buf_release(&b);
		ui_status_bar(title);
		refresh();
		k = ui_getkey(-1);
		if (k == 'q' || k == UI_KEY_ESC || k == '?' || k == '\n')
			return;
		if ((k == 'j' || k == KEY_DOWN) && top + (size_t)rows < n)
			top++;
		if ((k == 'k' || k == KEY_UP) && top > 0)
			top--;
		if ((k == ' ' || k == KEY_NPAGE) && top + (size_t)rows < n)
			top = top + 2 * (size_t)rows < n ? top + (size_t)rows : n - (size_t)rows;
		if ((k == '-' || k == KEY_PPAGE))
			top = top > (size_t)rows ? top - (size_t)rows : 0;
	}
}
