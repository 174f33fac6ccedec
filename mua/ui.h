/*
 * ui: the terminal for every screen of surel: curses set-up and hand-over
 * (for $EDITOR), keys (with keys pushed by -e), the colour palette, and
 * drawing text by display width.  Every string drawn through ui_text() is
 * sanitised here (codec_sanitize), so nothing that came from a message can
 * reach the terminal as a control function, and laid out by wcwidth so
 * wide characters (CJK, emoji) never push a column.  Screens own their
 * layout and key handling (browser.h, pager.h, qview.h); this module knows
 * no message.
 *
 * Rows: 0 is the help bar, ui_rows()-2 the status bar, ui_rows()-1 the
 * message/prompt line; screens draw between them.
 */
#ifndef SUREL_UI_H
#define SUREL_UI_H

#include <stddef.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"

/* The palette: one entry per kind of text.  Colours are a small table in
 * ui.c, used when the terminal has colours; the color_* keys of the
 * configuration (surel.conf(5)) replace entries through ui_set_colors(). */
enum ui_color {
	UI_NORMAL,
	UI_BAR,       /* help and status bars */
	UI_CURSOR,    /* the selected line */
	UI_NEW,       /* unread message */
	UI_FLAGGED,
	UI_DELETED,   /* marked for deletion */
	UI_TREE,      /* thread tree */
	UI_HEADER,    /* header names in the pager */
	UI_QUOTE1,    /* quote levels, cycling */
	UI_QUOTE2,
	UI_QUOTE3,
	UI_ERROR,
	UI_NCOLORS,
};

/* Keys beyond curses' own: Ctrl-G cancels prompts, Esc too. */
#define UI_KEY_ESC 27
#define UI_KEY_CTRL(c) ((c) & 0x1f)
/* Pending input that is no key (keymap.h's macros): a function to run,
 * with its code, and the end of an argument typed into a prompt (ends the
 * prompt as Enter does; a yes/no question takes the key before it). */
#define UI_KEY_FN(code) (0x40000000 | (code))
#define UI_KEY_IS_FN(k) ((k) != ERR && ((k) & 0x40000000))
#define UI_KEY_FN_CODE(k) ((k) & ~0x40000000)
#define UI_KEY_ENDARG 0x20000000

/* Take the color_* keys of cfg's [general] section (validated at load;
 * cfg may be NULL) into the palette.  Call before ui_start(). */
void ui_set_colors(const struct cfg *cfg);
/* Set up the terminal (locale, curses, colours).  EX_UNAVAILABLE when
 * stdin or stdout is not a terminal or curses cannot start. */
int ui_start(struct err *err) __attribute__((warn_unused_result));
/* Restore the terminal; safe to call when ui_start was not. */
void ui_end(void);
/* Hand the terminal to another program (endwin) and take it back. */
void ui_suspend(void);
void ui_resume(void);

int ui_rows(void);
int ui_cols(void);

/* Queue keys to be read before the keyboard, in the syntax of -e: plain
 * characters, and <Enter> <Esc> <Tab> <Space> <Up> <Down> <PageUp>
 * <PageDown> <Backspace> <lt> (for '<').  An unknown <name> is taken
 * literally. */
void ui_push_keys(const char *keys);
/* Queue n keys (or UI_KEY_FN, UI_KEY_ENDARG) to be read before any key
 * queued already: a macro, or a key read ahead and given back. */
void ui_push_front(const int *keys, size_t n);
/* The next key (pushed keys first): a character (UTF-8 bytes one by one),
 * a KEY_* code, or KEY_RESIZE after the window changed size (the layout is
 * already updated; redraw).  timeout_ms < 0 waits; otherwise ERR after
 * that long without a key. */
int ui_getkey(int timeout_ms);
/* Whether the user typed a key, which is taken and dropped: long work
 * such as a body search stops on it.  Keys pushed with ui_push_keys()
 * do not count, so -e can run such work. */
int ui_interrupted(void);

/* Display width of the UTF-8 text s (len bytes) as ui_text draws it. */
size_t ui_width(const char *s, size_t len);
/* How many bytes of s (len bytes, sanitised already) fit in width columns
 * without splitting a character; *cols_out (may be NULL) gets their width. */
size_t ui_fit(const char *s, size_t len, size_t width, size_t *cols_out);

/* Draw len bytes of s at (y, x), sanitised, cut to width columns and
 * padded with blanks to exactly width, in colour c (attr extra curses
 * attributes, e.g. A_REVERSE).  Returns the columns the text took. */
size_t ui_text(int y, int x, size_t width, const char *s, size_t len, enum ui_color c,
	       unsigned long attr);
/* ui_text of a NUL-terminated string filling the rest of row y from x. */
void ui_line(int y, int x, const char *s, enum ui_color c);

/* The bars and the message line. */
void ui_help_bar(const char *text);
void ui_status_bar(const char *text);
void ui_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ui_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Show what is drawn (doupdate). */
void ui_flush(void);

/* Called when the window changes size during a prompt, so the screen
 * behind it is drawn again; set by the current screen (NULL = none). */
typedef void (*ui_redraw_fn)(void *arg);
void ui_set_redraw(ui_redraw_fn fn, void *arg);
/* Redraw through the current redraw function. */
void ui_redraw(void);

/* Prompt callbacks.  complete: replace line with its completion (Tab);
 * changed: the line changed (incremental search); key: sees each key
 * first and returns UI_KEY_PASS (edit as usual), UI_KEY_TAKEN (done with
 * it) or UI_KEY_ACCEPT (end the prompt as Enter would, with line as the
 * callback left it); any may be NULL. */
enum { UI_KEY_PASS, UI_KEY_TAKEN, UI_KEY_ACCEPT };
struct ui_prompt_ops {
	void (*complete)(void *arg, struct buf *line);
	void (*changed)(void *arg, const char *line);
	void *arg;
	int (*key)(void *arg, int k, struct buf *line);
};
/* Read a line on the message line after question, starting from initial
 * (may be NULL).  Enter accepts (0, the text in line), Esc or Ctrl-G
 * cancels (-1).  Backspace, Ctrl-U (kill line) and Ctrl-W (kill word)
 * edit; the text is UTF-8. */
int ui_prompt(const char *question, const char *initial, const struct ui_prompt_ops *ops,
	      struct buf *line);
/* Ask a yes/no question: 1 for 'y', 0 for anything else. */
int ui_confirm(const char *question);
/* Ask a yes/no question that can be called off: 1 for 'y', 0 for 'n', -1
 * for Esc or Ctrl-G; other keys ask again. */
int ui_confirm_cancel(const char *question);

/* A full-screen list of key help (title, then pairs of key and what it
 * does); returns on q or Esc. */
struct ui_keyhelp {
	const char *key;
	const char *what;
};
void ui_show_help(const char *title, const struct ui_keyhelp *keys, size_t n);

#endif
