/*
 * keymap: the named functions of the index, pager and compose screens,
 * the keys bound to them (defaults, then the [keys MENU] sections of the
 * configuration), macros, and reading a key as the function it is bound
 * to.  The screens keep their switch statements: keymap_read() returns a
 * function's canonical code, which is its default key's code when it has
 * a single-key default ('d' for delete-message, KEY_DOWN ...),
 * KEYMAP_META(c) for an Esc-prefixed default, else a KEYMAP_FN() code.
 * So a screen's `case 'd':` runs delete-message whatever key the user
 * bound to it.  The tables (keymap.c) are also what `?` shows, what
 * surel(1) lists (surel --list-functions) and what the key bars are made
 * from.
 *
 * Key names (keymap_parse_keys): a character stands for itself; <Name>
 * for Enter, Esc, Tab, BackTab, Space, Backspace, Delete, Insert, Up,
 * Down, Left, Right, PageUp, PageDown, Home, End, F1 ... F12, and lt, gt,
 * Equals, Hash, Semicolon for those characters; C-x (or ^x) is Ctrl-x;
 * M-x is Esc then x.  Names in a row make a sequence: "gg", "<Esc>f".
 *
 * A binding's value (keymap_bind) is a function name of the menu, noop
 * (unbinds the key), or a macro: function names and "quoted" arguments
 * separated by blanks.  A macro's argument is typed into the next prompt
 * and ends it as Enter would ("\"" and "\\" inside quotes).
 */
#ifndef SUREL_KEYMAP_H
#define SUREL_KEYMAP_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"

enum keymap_menu { KEYMAP_INDEX, KEYMAP_PAGER, KEYMAP_COMPOSE, KEYMAP_NMENUS };

/* Canonical codes beyond curses' keys (KEY_MAX is 0777). */
#define KEYMAP_META(c) (0x1000 + (c))
#define KEYMAP_FN(n) (0x2000 + (n))
/* keymap_read(): the keys typed are bound to nothing (and the message
 * line says so). */
#define KEYMAP_UNBOUND (-2)
/* A macro's code as keymap_match() gives it. */
#define KEYMAP_MACRO(i) (0x100000 + (int)(i))
/* The longest key sequence. */
#define KEYMAP_SEQ_MAX 8

/* Codes of functions without a single-key default.  Each group has its
 * own range of KEYMAP_FN numbers (key bindings 0-99, then 100-199, 200-299 and 300-399 as below)
 * so additions made side by side do not collide. */
enum {
	KEYMAP_NOOP = KEYMAP_FN(0),
	/* key bindings: KEYMAP_FN(0) on */
	KEYMAP_FORWARD_ATTACH = KEYMAP_META('f'),
	/* tagging, sorting, pipe, save, threads: KEYMAP_FN(100) on */
	KEYMAP_COLLAPSE_THREAD = KEYMAP_META('v'),
	KEYMAP_COLLAPSE_ALL = KEYMAP_META('V'),
	/* mailing lists, patterns, read state, headers: KEYMAP_FN(200) on */
	KEYMAP_NEXT_UNREAD_MAILBOX = KEYMAP_FN(200),
	KEYMAP_READ_LIMIT = KEYMAP_FN(201),
	KEYMAP_SEARCH_BODY = KEYMAP_META('/'),
	/* delivery tracking: KEYMAP_FN(300) on */
	KEYMAP_JUMP_ORIGINAL = '%',
};

/* One named function of a menu: its canonical code, default keys (key
 * names separated by blanks, "" for none) and what it does. */
struct keymap_fn {
	const char *name;
	int code;
	const char *keys;
	const char *what;
};

/* The functions of menu, in the order help lists them. */
const struct keymap_fn *keymap_functions(enum keymap_menu menu, size_t *n);
/* "index", "pager", "compose". */
const char *keymap_menu_name(enum keymap_menu menu);

/* Parse key names into key codes (at most max); *n gets the count.
 * -1 with err naming the bad part for an unknown name or an empty text. */
int keymap_parse_keys(const char *s, int *out, size_t max, size_t *n, struct err *err);
/* The name of a key sequence as keymap_parse_keys reads it, appended to
 * out. */
void keymap_key_name(const int *seq, size_t n, struct buf *out);

/* Back to the defaults (drops bindings and macros). */
void keymap_reset(void);
/* Bind keys (key names) in menu to value (see above); -1 with err for an
 * unknown key name, function or a bad macro. */
int keymap_bind(enum keymap_menu menu, const char *keys, const char *value, struct err *err);
/* The [keys MENU] lines of cfg (may be NULL), after the defaults.  -1
 * with err "FILE:LINE: ..." (EX_CONFIG) at the first bad line. */
int keymap_load(const struct cfg *cfg, struct err *err);

/* The sequence matcher: what seq (n keys) means in menu.  KEYMAP_MATCH_
 * FULL sets *code (a function's code, or KEYMAP_MACRO(i) for a macro);
 * PREFIX: a longer binding starts with seq, and seq itself is bound too
 * when FULL is also set. */
enum { KEYMAP_MATCH_NONE = 0, KEYMAP_MATCH_FULL = 1, KEYMAP_MATCH_PREFIX = 2 };
int keymap_match(enum keymap_menu menu, const int *seq, size_t n, int *code);

/* Read keys (ui_getkey, timeout_ms as there for the first key) until they
 * make a binding of menu: its function's canonical code.  A macro's steps
 * go to the pending input (the first one is returned).  ERR on timeout,
 * KEY_RESIZE as it comes, KEYMAP_UNBOUND (after saying so) for keys bound
 * to nothing. */
int keymap_read(enum keymap_menu menu, int timeout_ms);

/* The keys now bound to the function with code (names, blank-separated)
 * appended to out; nothing when none is. */
void keymap_keys_of(enum keymap_menu menu, int code, struct buf *out);

/* The help bar of a screen: "KEY:Label" for each function code in codes
 * (with the key bound to it now), as many as fit in width columns with
 * the help entry always last. */
struct keymap_bar {
	int code;
	const char *label;
};
void keymap_bar(enum keymap_menu menu, const struct keymap_bar *items, size_t n, size_t width,
		struct buf *out);

/* ?: the bindings in force for menu, scrollable, until q. */
void keymap_help(enum keymap_menu menu);

/* Every function of every menu with its default keys, one per line:
 * "MENU FUNCTION KEYS", tab-separated (surel --list-functions). */
void keymap_list_functions(FILE *out);

#endif
