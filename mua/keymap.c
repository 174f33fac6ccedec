#include "config.h"

#include <ctype.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keymap.h"
#include "ui.h"
#include "xalloc.h"

/* ---- the functions ---------------------------------------------------- */

/* Defaults follow mutt where mutt has the function; T is mutt's
 * tag-pattern, so the thread view moved to I. */
static const struct keymap_fn index_fns[] = {
	{ "next-entry", 'j', "j <Down>", "move to the next message" },
	{ "previous-entry", 'k', "k <Up>", "move to the previous message" },
	{ "next-page", KEY_NPAGE, "<PageDown> <Space>", "move down a page" },
	{ "previous-page", KEY_PPAGE, "<PageUp> -", "move up a page" },
	{ "first-entry", '=', "= <Home>", "move to the first message" },
	{ "last-entry", '*', "* <End>", "move to the last message" },
	{ "display-message", '\n', "<Enter>", "open the message in the pager" },
	{ "quit", 'q', "q", "quit (asks to expunge marked messages)" },
	{ "delete-message", 'd', "d", "mark the message deleted" },
	{ "undelete-message", 'u', "u", "unmark the message" },
	{ "sync-mailbox", '$', "$", "expunge: marked messages go to trash_folder, else are deleted" },
	{ "flag-message", 'F', "F", "flag or unflag the message" },
	{ "save-message", 's', "s", "move to a folder (Tab completes); to an mbox or .eml file: save and mark deleted" },
	{ "change-folder", 'c', "c", "open another folder (Tab completes, ? lists the folders)" },
	{ "folder-list", 'y', "y", "folders with message and unread counts, every account's" },
	{ "account-list", 'A', "A", "accounts with their INBOX's counts: switch to one" },
	{ "search", '/', "/", "search by a pattern (a word: sender and subject)" },
	{ "search-next", 'n', "n", "the next match of the last search" },
	{ "limit", 'l', "l", "show only the messages matching a pattern (~f ~t ~c ~C ~L ~s ~b ~B ~d ~N ~F ~R ~D ~A ~p ~P ~l ~u ! | ())" },
	{ "toggle-threads", 'I', "I", "thread view on or off" },
	{ "mail", 'm', "m", "compose a new message (offers to recall a postponed one)" },
	{ "recall-message", 'R', "R", "recall a postponed message from the drafts folder" },
	{ "reply", 'r', "r", "reply to the sender" },
	{ "group-reply", 'g', "g", "reply to all recipients" },
	{ "forward-message", 'f', "f", "forward (inline, or attached: forward_attach)" },
	{ "forward-attachment", KEYMAP_FORWARD_ATTACH, "M-f", "forward as an attachment (message/rfc822)" },
	{ "view-queue", 'Q', "Q", "the outgoing queue" },
	{ "redraw-screen", UI_KEY_CTRL('l'), "C-l", "clear and redraw the screen" },
	{ "help", '?', "?", "list the keys bound in this menu" },
	/* tagging, sorting, pipe, save, threads */
	{ "tag-entry", 't', "t", "tag or untag the message" },
	{ "tag-pattern", 'T', "T", "tag the messages shown that match a pattern (. or ~A: all the limit shows)" },
	{ "untag-pattern", UI_KEY_CTRL('t'), "C-t", "untag the messages shown that match a pattern" },
	{ "tag-prefix", ';', ";", "apply the next function to the tagged messages (d u F N s C | f r g t)" },
	{ "copy-message", 'C', "C", "copy to a folder, or to an mbox or .eml file" },
	{ "pipe-message", '|', "|", "pipe to a shell command, raw (C-t at the prompt: decoded)" },
	{ "sort-mailbox", 'o', "o", "sort by date, received, from, to, subject, size or threads" },
	{ "sort-reverse", 'O', "O", "sort in reverse order" },
	{ "collapse-thread", KEYMAP_COLLAPSE_THREAD, "M-v", "fold or unfold the thread" },
	{ "collapse-all", KEYMAP_COLLAPSE_ALL, "M-V", "fold or unfold all threads" },
	{ "next-thread", UI_KEY_CTRL('n'), "C-n", "the first message of the next thread" },
	{ "previous-thread", UI_KEY_CTRL('p'), "C-p", "the first message of this or the previous thread" },
	{ "read-thread", UI_KEY_CTRL('r'), "C-r", "mark every message of the thread read" },
	/* mailing lists, patterns, read state, headers */
	{ "list-reply", 'L', "L", "reply to the mailing list (Mail-Followup-To, else List-Post)" },
	{ "search-body", KEYMAP_SEARCH_BODY, "M-/", "search the message bodies (/ with ~b)" },
	{ "toggle-new", 'N', "N", "mark the message unread, or read" },
	{ "next-unread", '\t', "<Tab>", "the next unread message; past the last, the next folder with unread mail" },
	{ "next-unread-mailbox", KEYMAP_NEXT_UNREAD_MAILBOX, "", "open the next folder with unread mail" },
	{ "read-limit", KEYMAP_READ_LIMIT, "", "mark every message the limit shows read (asks)" },
	/* delivery tracking */
	{ "jump-original", KEYMAP_JUMP_ORIGINAL, "%", "from a delivery report to the sent message it is about, and back" },
	/* the full-text index */
	{ "search-all", 'X', "X", "search every folder of the account through the full-text index (spool search queries)" },
};

static const struct keymap_fn pager_fns[] = {
	{ "exit", 'q', "q i <Esc>", "back to the index" },
	{ "next-line", 'j', "j <Down> <Enter>", "scroll down a line" },
	{ "previous-line", 'k', "k <Up>", "scroll up a line" },
	{ "next-page", ' ', "<Space> <PageDown>", "scroll down a page" },
	{ "previous-page", '-', "- <PageUp>", "scroll up a page" },
	{ "top", '<', "<lt> <Home>", "the top of the message" },
	{ "bottom", '>', "<gt> <End>", "the end of the message" },
	{ "next-entry", 'J', "J", "the next message" },
	{ "previous-entry", 'K', "K", "the previous message" },
	{ "view-attachments", 'v', "v", "list the parts (Enter views one through mailcap, s saves it)" },
	{ "reply", 'r', "r", "reply to the sender" },
	{ "group-reply", 'g', "g", "reply to all recipients" },
	{ "forward-message", 'f', "f", "forward the message" },
	{ "delete-message", 'd', "d", "mark the message deleted and show the next" },
	{ "flag-message", 'F', "F", "flag or unflag the message" },
	{ "help", '?', "?", "list the keys bound in this menu" },
	/* tagging, sorting, pipe, save, threads */
	{ "pipe-message", '|', "|", "pipe the message to a shell command (C-t at the prompt: decoded)" },
	{ "copy-message", 'C', "C", "copy the message to a folder, or to an mbox or .eml file" },
	{ "save-message", 's', "s", "move the message to a folder, or save it to a file and mark it deleted" },
	/* mailing lists, patterns, read state, headers */
	{ "list-reply", 'L', "L", "reply to the mailing list (Mail-Followup-To, else List-Post)" },
	{ "display-toggle-weed", 'h', "h", "every header field, or the ones headers_shown names" },
	/* delivery tracking */
	{ "jump-original", KEYMAP_JUMP_ORIGINAL, "%", "from a delivery report to the sent message it is about, and back" },
};

static const struct keymap_fn compose_fns[] = {
	{ "send-message", 'y', "y", "send: the message goes to the outgoing queue" },
	{ "edit-message", 'e', "e", "edit the message again" },
	{ "attach-file", 'a', "a", "attach a file (Tab completes file names)" },
	{ "detach-file", 'D', "D", "drop the selected attachment" },
	{ "next-entry", 'j', "j <Down>", "select the next attachment" },
	{ "previous-entry", 'k', "k <Up>", "select the previous attachment" },
	{ "edit-to", 't', "t", "edit To (Tab completes addresses)" },
	{ "edit-cc", 'c', "c", "edit Cc (Tab completes addresses)" },
	{ "edit-bcc", 'b', "b", "edit Bcc (Tab completes addresses)" },
	{ "edit-subject", 's', "s", "edit Subject" },
	{ "edit-reply-to", 'r', "r", "edit Reply-To" },
	{ "edit-from", 'f', "f", "edit From (one of your addresses switches the identity)" },
	{ "select-identity", 'i', "i", "pick the identity (account and address) to write from" },
	{ "pgp-cycle", 'p', "p", "PGP: none, sign, encrypt, sign and encrypt (the Security line)" },
	{ "postpone-message", 'P', "P", "postpone: save to the drafts folder" },
	{ "exit", 'q', "q", "abort the message (asks)" },
	{ "help", '?', "?", "list the keys bound in this menu" },
	/* tagging, sorting, pipe, save, threads */
	/* mailing lists, patterns, read state, headers */
};

static const struct {
	const char *name;
	const struct keymap_fn *fns;
	size_t n;
} menus[KEYMAP_NMENUS] = {
	[KEYMAP_INDEX] = { "index", index_fns, sizeof(index_fns) / sizeof(index_fns[0]) },
	[KEYMAP_PAGER] = { "pager", pager_fns, sizeof(pager_fns) / sizeof(pager_fns[0]) },
	[KEYMAP_COMPOSE] = { "compose", compose_fns, sizeof(compose_fns) / sizeof(compose_fns[0]) },
};

const struct keymap_fn *keymap_functions(enum keymap_menu menu, size_t *n)
{
	*n = menus[menu].n;
	return menus[menu].fns;
}

const char *keymap_menu_name(enum keymap_menu menu)
{
	return menus[menu].name;
}

static const struct keymap_fn *fn_by_name(enum keymap_menu menu, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < menus[menu].n; i++)
		if (strlen(menus[menu].fns[i].name) == len &&
		    strncmp(menus[menu].fns[i].name, name, len) == 0)
			return &menus[menu].fns[i];
	return NULL;
}

static const struct keymap_fn *fn_by_code(enum keymap_menu menu, int code)
{
	size_t i;

	for (i = 0; i < menus[menu].n; i++)
		if (menus[menu].fns[i].code == code)
			return &menus[menu].fns[i];
	return NULL;
}

/* ---- key names -------------------------------------------------------- */

static const struct {
	const char *name;
	int code;
} key_names[] = {
	{ "Enter", '\n' }, { "Return", '\n' }, { "Esc", UI_KEY_ESC }, { "Tab", '\t' },
	{ "BackTab", KEY_BTAB }, { "Space", ' ' }, { "Backspace", KEY_BACKSPACE },
	{ "Delete", KEY_DC }, { "Insert", KEY_IC }, { "Up", KEY_UP }, { "Down", KEY_DOWN },
	{ "Left", KEY_LEFT }, { "Right", KEY_RIGHT }, { "PageUp", KEY_PPAGE },
	{ "PageDown", KEY_NPAGE }, { "Home", KEY_HOME }, { "End", KEY_END },
	{ "lt", '<' }, { "gt", '>' }, { "Equals", '=' }, { "Hash", '#' }, { "Semicolon", ';' },
};

#define NKEY_NAMES (sizeof(key_names) / sizeof(key_names[0]))
#define FKEY_MAX 24

/* <Name> at s (s[0] == '<'); its code, or -1.  *len gets the bytes used. */
static int angle_name(const char *s, size_t *len)
{
	const char *close = strchr(s, '>');
	size_t n, i;
	char *end;
	long f;

	if (!close || close == s + 1)
		return -1;
	n = (size_t)(close - s - 1);
	*len = n + 2;
	for (i = 0; i < NKEY_NAMES; i++)
		if (strlen(key_names[i].name) == n && strncasecmp(s + 1, key_names[i].name, n) == 0)
			return key_names[i].code;
	if ((s[1] == 'F' || s[1] == 'f') && isdigit((unsigned char)s[2])) {
		f = strtol(s + 2, &end, 10);
		if (end == close && f >= 1 && f <= FKEY_MAX)
			return KEY_F(f);
	}
	return -1;
}

/* One key at *p (not a Meta one): its code, or -1 with err. */
static int one_key(const char **p, struct err *err)
{
	const char *s = *p;
	size_t len;
	int c;

	if (s[0] == '<' && strchr(s, '>')) {
		c = angle_name(s, &len);
		if (c < 0) {
			const char *close = strchr(s, '>');

			return err_set(err, EX_CONFIG, "unknown key name '%.*s'", (int)(close - s + 1), s);
		}
		*p = s + len;
		return c;
	}
	if ((s[0] == 'C' && s[1] == '-' && s[2]) || (s[0] == '^' && s[1])) {
		s += s[0] == '^' ? 1 : 2;
		c = toupper((unsigned char)*s);
		if (c < '@' || c > '_')
			return err_set(err, EX_CONFIG, "no control key '%.*s'", (int)(s + 1 - *p), *p);
		*p = s + 1;
		return c & 0x1f;
	}
	*p = s + 1;
	return (unsigned char)s[0];
}

int keymap_parse_keys(const char *s, int *out, size_t max, size_t *n, struct err *err)
{
	const char *p = s;
	int c;

	*n = 0;
	if (!*s)
		return err_set(err, EX_CONFIG, "no key");
	while (*p) {
		int meta = p[0] == 'M' && p[1] == '-' && p[2];

		if (meta)
			p += 2;
		if (*n + (size_t)meta + 1 > max)
			return err_set(err, EX_CONFIG, "key sequence '%s' longer than %zu keys", s, max);
		c = one_key(&p, err);
		if (c < 0)
			return -1;
		if (meta)
			out[(*n)++] = UI_KEY_ESC;
		out[(*n)++] = c;
	}
	return 0;
}

static void one_name(int k, struct buf *out)
{
	size_t i;

	for (i = 0; i < NKEY_NAMES; i++) {
		/* Printable characters stand for themselves, '<' excepted. */
		if (key_names[i].code == k && (k == ' ' || k == '<' || k > 0x7e || k < 0x20)) {
			buf_printf(out, "<%s>", key_names[i].name);
			return;
		}
	}
	if (k >= KEY_F(1) && k <= KEY_F(FKEY_MAX))
		buf_printf(out, "<F%d>", k - KEY_F0);
	else if (k >= 0 && k < 0x20)
		buf_printf(out, "C-%c", tolower(k | 0x40));
	else if (k >= 0x20 && k <= 0xff && k != 0x7f)
		buf_putc(out, k);
	else
		buf_printf(out, "<%#x>", (unsigned)k);
}

void keymap_key_name(const int *seq, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (seq[i] == UI_KEY_ESC && i + 1 < n && seq[i + 1] != UI_KEY_ESC) {
			buf_puts(out, "M-");
			continue;
		}
		one_name(seq[i], out);
	}
}

/* ---- bindings --------------------------------------------------------- */

struct binding {
	int seq[KEYMAP_SEQ_MAX];
	size_t n;
	int code;
};

struct macro {
	int *steps;          /* for ui_push_front: UI_KEY_FN(), bytes, UI_KEY_ENDARG */
	size_t n;
	char *text;          /* as written, for help */
};

static struct keymap_state {
	struct binding *b;
	size_t nb;
	struct macro *m;
	size_t nm;
} state[KEYMAP_NMENUS];
static int loaded;

static void menu_clear(struct keymap_state *st)
{
	size_t i;

	for (i = 0; i < st->nm; i++) {
		free(st->m[i].steps);
		free(st->m[i].text);
	}
	free(st->m);
	free(st->b);
	memset(st, 0, sizeof(*st));
}

static struct binding *find_binding(struct keymap_state *st, const int *seq, size_t n)
{
	size_t i;

	for (i = 0; i < st->nb; i++)
		if (st->b[i].n == n && memcmp(st->b[i].seq, seq, n * sizeof(*seq)) == 0)
			return &st->b[i];
	return NULL;
}

/* Bind seq to code (a function's code or a macro's); code KEYMAP_NOOP
 * removes the binding. */
static void set_binding(struct keymap_state *st, const int *seq, size_t n, int code)
{
	struct binding *b = find_binding(st, seq, n);

	if (code == KEYMAP_NOOP) {
		if (b)
			*b = st->b[--st->nb];
		return;
	}
	if (!b) {
		st->b = xreallocarray(st->b, st->nb + 1, sizeof(*st->b));
		b = &st->b[st->nb++];
		memcpy(b->seq, seq, n * sizeof(*seq));
		b->n = n;
	}
	b->code = code;
}

static void load_defaults(void)
{
	struct err err = ERR_INIT;
	int seq[KEYMAP_SEQ_MAX];
	size_t m, i, n;

	for (m = 0; m < KEYMAP_NMENUS; m++) {
		for (i = 0; i < menus[m].n; i++) {
			const char *p = menus[m].fns[i].keys;
			char one[32];

			/* The defaults are tested to parse (test_keymap.c). */
			while (*p) {
				size_t len = strcspn(p, " ");

				if (len < sizeof(one)) {
					memcpy(one, p, len);
					one[len] = '\0';
					if (keymap_parse_keys(one, seq, KEYMAP_SEQ_MAX, &n, &err) == 0)
						set_binding(&state[m], seq, n, menus[m].fns[i].code);
				}
				p += len;
				p += strspn(p, " ");
			}
		}
	}
	loaded = 1;
}

static void ensure_loaded(void)
{
	if (!loaded)
		load_defaults();
}

void keymap_reset(void)
{
	size_t m;

	for (m = 0; m < KEYMAP_NMENUS; m++)
		menu_clear(&state[m]);
	load_defaults();
}

/* The next token of a macro at *p: a function name (*quoted 0) or the
 * text of a "quoted" argument (*quoted 1) in tok.  0 at the end. */
static int macro_token(const char **p, struct buf *tok, int *quoted, struct err *err)
{
	const char *s = *p + strspn(*p, " \t");

	buf_reset(tok);
	if (!*s)
		return 0;
	*quoted = *s == '"';
	if (!*quoted) {
		size_t len = strcspn(s, " \t\"");

		buf_append(tok, s, len);
		*p = s + len;
		return 1;
	}
	for (s++; *s && *s != '"'; s++) {
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		buf_putc(tok, *s);
	}
	if (*s != '"')
		return err_set(err, EX_CONFIG, "macro argument without its closing '\"'");
	*p = s + 1;
	return 1;
}

static void push_step(struct macro *mc, int k)
{
	mc->steps = xreallocarray(mc->steps, mc->n + 1, sizeof(*mc->steps));
	mc->steps[mc->n++] = k;
}

static int parse_macro(enum keymap_menu menu, const char *value, struct macro *mc,
		       struct err *err)
{
	struct buf tok = BUF_INIT;
	const char *p = value;
	const struct keymap_fn *f;
	int quoted, r;
	size_t i;

	memset(mc, 0, sizeof(*mc));
	while ((r = macro_token(&p, &tok, &quoted, err)) > 0) {
		if (quoted) {
			if (mc->n == 0) {
				r = err_set(err, EX_CONFIG, "a macro starts with a function, not \"%s\"",
					    tok.data);
				break;
			}
			for (i = 0; i < tok.len; i++)
				push_step(mc, (unsigned char)tok.data[i]);
			push_step(mc, UI_KEY_ENDARG);
			continue;
		}
		f = fn_by_name(menu, tok.data, tok.len);
		if (!f || f->code == KEYMAP_NOOP) {
			r = err_set(err, EX_CONFIG, "unknown function '%s'", tok.data);
			break;
		}
		push_step(mc, UI_KEY_FN(f->code));
	}
	buf_release(&tok);
	if (r < 0) {
		free(mc->steps);
		mc->steps = NULL;
		return -1;
	}
	mc->text = xstrdup(value);
	return 0;
}

int keymap_bind(enum keymap_menu menu, const char *keys, const char *value, struct err *err)
{
	struct keymap_state *st = &state[menu];
	const struct keymap_fn *f;
	int seq[KEYMAP_SEQ_MAX];
	struct macro mc;
	size_t n;

	ensure_loaded();
	if (keymap_parse_keys(keys, seq, KEYMAP_SEQ_MAX, &n, err) < 0)
		return -1;
	if (strcmp(value, "noop") == 0) {
		set_binding(st, seq, n, KEYMAP_NOOP);
		return 0;
	}
	f = fn_by_name(menu, value, strlen(value));
	if (f) {
		set_binding(st, seq, n, f->code);
		return 0;
	}
	if (!strpbrk(value, " \t\""))
		return err_set(err, EX_CONFIG, "unknown function '%s' for key '%s'", value, keys);
	if (parse_macro(menu, value, &mc, err) < 0) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		return err_set(err, EX_CONFIG, "%s in the macro for key '%s'", why, keys);
	}
	st->m = xreallocarray(st->m, st->nm + 1, sizeof(*st->m));
	st->m[st->nm] = mc;
	set_binding(st, seq, n, KEYMAP_MACRO(st->nm));
	st->nm++;
	return 0;
}

/* "KEY = VALUE" (blanks optional): the key is the text before the first
 * '=' that follows a blank, else before the first '=' past its first
 * character (so "= = first-entry" and "x=quit" both work); a '#' or ';'
 * after a blank, outside quotes, starts a comment. */
static int split_line(const char *line, char **key, char **value)
{
	const char *eq = NULL, *p;
	size_t kl, vl;
	int inq = 0;

	for (p = line + 1; *p && !eq; p++) {
		if (*p == ' ' || *p == '\t') {
			const char *q = p + strspn(p, " \t");

			if (*q == '=')
				eq = q;
			break;
		}
	}
	if (!eq)
		eq = strchr(line + 1, '=');
	if (!eq)
		return -1;
	kl = (size_t)(eq - line);
	while (kl > 0 && (line[kl - 1] == ' ' || line[kl - 1] == '\t'))
		kl--;
	p = eq + 1 + strspn(eq + 1, " \t");
	for (vl = 0; p[vl]; vl++) {
		if (p[vl] == '"' && (vl == 0 || p[vl - 1] != '\\'))
			inq = !inq;
		if (!inq && (p[vl] == '#' || p[vl] == ';') && vl > 0 &&
		    (p[vl - 1] == ' ' || p[vl - 1] == '\t'))
			break;
	}
	while (vl > 0 && (p[vl - 1] == ' ' || p[vl - 1] == '\t'))
		vl--;
	if (kl == 0 || vl == 0)
		return -1;
	*key = xmemdup(line, kl);
	*value = xmemdup(p, vl);
	return 0;
}

int keymap_load(const struct cfg *cfg, struct err *err)
{
	size_t i, m;

	keymap_reset();
	for (i = 0; i < cfg_keys_count(cfg); i++) {
		const char *menu, *text;
		char *key = NULL, *value = NULL;
		char why[sizeof(err->msg)];
		int line, rc;

		text = cfg_keys_at(cfg, i, &menu, &line);
		for (m = 0; m < KEYMAP_NMENUS && strcmp(menus[m].name, menu) != 0; m++)
			;
		if (m == KEYMAP_NMENUS || split_line(text, &key, &value) < 0) {
			rc = err_set(err, EX_CONFIG, "expected 'KEY = FUNCTION' or 'KEY = MACRO'");
		} else {
			rc = keymap_bind((enum keymap_menu)m, key, value, err);
		}
		free(key);
		free(value);
		if (rc < 0) {
			snprintf(why, sizeof(why), "%s", err->msg);
			return err_set(err, EX_CONFIG, "%s:%d: [keys %s] %s", cfg_path(cfg), line, menu,
				       why);
		}
	}
	return 0;
}

/* ---- reading keys ----------------------------------------------------- */

int keymap_match(enum keymap_menu menu, const int *seq, size_t n, int *code)
{
	struct keymap_state *st = &state[menu];
	int r = KEYMAP_MATCH_NONE;
	size_t i;

	ensure_loaded();
	for (i = 0; i < st->nb; i++) {
		const struct binding *b = &st->b[i];

		if (b->n < n || memcmp(b->seq, seq, n * sizeof(*seq)) != 0)
			continue;
		if (b->n == n) {
			r |= KEYMAP_MATCH_FULL;
			*code = b->code;
		} else {
			r |= KEYMAP_MATCH_PREFIX;
		}
	}
	return r;
}

static void say_unbound(enum keymap_menu menu)
{
	struct buf help = BUF_INIT;

	keymap_keys_of(menu, '?', &help);
	if (help.len) {
		help.data[strcspn(help.data, " ")] = '\0';
		ui_error("Key is not bound. Press %s for help.", help.data);
	} else {
		ui_error("Key is not bound.");
	}
	buf_release(&help);
}

/* What a complete binding gives: a function's code, or a macro's first
 * step with the rest queued. */
static int run_binding(enum keymap_menu menu, int code)
{
	const struct macro *mc;

	if (code < KEYMAP_MACRO(0))
		return code;
	mc = &state[menu].m[code - KEYMAP_MACRO(0)];
	ui_push_front(mc->steps + 1, mc->n - 1);
	return UI_KEY_FN_CODE(mc->steps[0]);
}

/* How long to wait for the next key of a sequence: a little when what was
 * typed is bound by itself (the longer binding loses then), else as long
 * as the user takes, as mutt does. */
#define SEQ_WAIT_MS 1000

int keymap_read(enum keymap_menu menu, int timeout_ms)
{
	int seq[KEYMAP_SEQ_MAX], code = 0, full = 0, k, m;
	size_t n = 0, full_len = 0;

	ensure_loaded();
	for (;;) {
		k = ui_getkey(n == 0 ? timeout_ms : full_len ? SEQ_WAIT_MS : -1);
		if (n == 0 && (k == ERR || k == KEY_RESIZE))
			return k;
		if (k == UI_KEY_ENDARG)
			continue;
		if (n == 0 && UI_KEY_IS_FN(k))
			return UI_KEY_FN_CODE(k);
		if (k == ERR || k == KEY_RESIZE || UI_KEY_IS_FN(k)) {
			/* The sequence stops here; the key is read again. */
			if (k != ERR)
				ui_push_front(&k, 1);
			if (full_len)
				break;
			return KEYMAP_UNBOUND;
		}
		if (k == 0x7f)
			k = KEY_BACKSPACE;
		seq[n++] = k;
		m = keymap_match(menu, seq, n, &code);
		if (m == KEYMAP_MATCH_FULL)
			return run_binding(menu, code);
		if (m & KEYMAP_MATCH_FULL) {
			full = code;
			full_len = n;
		}
		if ((m & KEYMAP_MATCH_PREFIX) && n < KEYMAP_SEQ_MAX)
			continue;
		if (full_len) {
			ui_push_front(seq + full_len, n - full_len);
			break;
		}
		say_unbound(menu);
		return KEYMAP_UNBOUND;
	}
	return run_binding(menu, full);
}

/* ---- what is bound ---------------------------------------------------- */

/* Bindings in a stable order: shorter sequences first, then by code. */
static int cmp_binding(const void *a, const void *b)
{
	const struct binding *x = a, *y = b;
	size_t i;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	for (i = 0; i < x->n; i++)
		if (x->seq[i] != y->seq[i])
			return x->seq[i] < y->seq[i] ? -1 : 1;
	return 0;
}

static void sort_bindings(struct keymap_state *st)
{
	qsort(st->b, st->nb, sizeof(*st->b), cmp_binding);
}

/* Whether the blank-separated list holds word. */
static int has_word(const char *list, const char *word, size_t len)
{
	while (*list) {
		size_t n = strcspn(list, " ");

		if (n == len && memcmp(list, word, n) == 0)
			return 1;
		list += n;
		list += strspn(list, " ");
	}
	return 0;
}

static void add_word(struct buf *out, size_t start, const char *w, size_t len)
{
	if (out->len > start)
		buf_putc(out, ' ');
	buf_append(out, w, len);
}

/* The default keys of f, as keymap_key_name() writes them, into out. */
static void default_names(const struct keymap_fn *f, struct buf *out)
{
	struct err err = ERR_INIT;
	int seq[KEYMAP_SEQ_MAX];
	const char *p = f->keys;
	char one[32];
	size_t n;

	while (*p) {
		size_t len = strcspn(p, " ");

		if (len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (keymap_parse_keys(one, seq, KEYMAP_SEQ_MAX, &n, &err) == 0) {
				if (out->len)
					buf_putc(out, ' ');
				keymap_key_name(seq, n, out);
			}
		}
		p += len;
		p += strspn(p, " ");
	}
}

void keymap_keys_of(enum keymap_menu menu, int code, struct buf *out)
{
	struct keymap_state *st = &state[menu];
	const struct keymap_fn *f = fn_by_code(menu, code);
	struct buf dflt = BUF_INIT, bound = BUF_INIT, name = BUF_INIT;
	size_t i, start = out->len;
	const char *p;

	ensure_loaded();
	sort_bindings(st);
	for (i = 0; i < st->nb; i++) {
		if (st->b[i].code != code)
			continue;
		buf_reset(&name);
		keymap_key_name(st->b[i].seq, st->b[i].n, &name);
		add_word(&bound, 0, name.data, name.len);
	}
	if (f)
		default_names(f, &dflt);
	/* The defaults still in force in the table's order ('j' before
	 * <Down>), then the other keys. */
	for (p = dflt.data ? dflt.data : ""; *p; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");

		if (bound.len && has_word(bound.data, p, len))
			add_word(out, start, p, len);
		p += len;
	}
	for (p = bound.data ? bound.data : ""; *p; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");

		if (!dflt.len || !has_word(dflt.data, p, len))
			add_word(out, start, p, len);
		p += len;
	}
	buf_release(&dflt);
	buf_release(&bound);
	buf_release(&name);
}

void keymap_bar(enum keymap_menu menu, const struct keymap_bar *items, size_t n, size_t width,
		struct buf *out)
{
	struct buf help = BUF_INIT, key = BUF_INIT, item = BUF_INIT;
	size_t i;

	keymap_keys_of(menu, '?', &key);
	if (key.len)
		buf_printf(&help, "%.*s:Help", (int)strcspn(key.data, " "), key.data);
	for (i = 0; i < n; i++) {
		buf_reset(&key);
		keymap_keys_of(menu, items[i].code, &key);
		if (!key.len)
			continue;
		buf_reset(&item);
		buf_printf(&item, "%.*s:%s", (int)strcspn(key.data, " "), key.data, items[i].label);
		/* Display width: key names are ASCII except a UTF-8 key. */
		if (ui_width(out->data ? out->data : "", out->len) + (out->len ? 2 : 0) +
			    ui_width(item.data, item.len) + (help.len ? 2 + help.len : 0) > width)
			continue;
		if (out->len)
			buf_puts(out, "  ");
		buf_append(out, item.data, item.len);
	}
	if (help.len) {
		if (out->len)
			buf_puts(out, "  ");
		buf_append(out, help.data, help.len);
	}
	buf_release(&help);
	buf_release(&key);
	buf_release(&item);
}

static void help_row(struct ui_keyhelp **rows, size_t *n, const char *key, const char *what)
{
	*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
	(*rows)[*n].key = xstrdup(key);
	(*rows)[*n].what = xstrdup(what);
	(*n)++;
}

void keymap_help(enum keymap_menu menu)
{
	struct keymap_state *st = &state[menu];
	struct ui_keyhelp *rows = NULL;
	struct buf key = BUF_INIT, what = BUF_INIT, title = BUF_INIT;
	size_t i, n = 0, pass;

	ensure_loaded();
	/* Bound functions, then macros, then what no key reaches. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < menus[menu].n; i++) {
			const struct keymap_fn *f = &menus[menu].fns[i];

			buf_reset(&key);
			keymap_keys_of(menu, f->code, &key);
			if ((key.len > 0) != (pass == 0))
				continue;
			buf_reset(&what);
			buf_printf(&what, "%-20s %s", f->name, f->what);
			help_row(&rows, &n, key.len ? key.data : "(unbound)", what.data);
		}
		for (i = 0; pass == 0 && i < st->nm; i++) {
			buf_reset(&key);
			keymap_keys_of(menu, KEYMAP_MACRO(i), &key);
			if (!key.len)
				continue;
			buf_reset(&what);
			buf_printf(&what, "%-20s %s", "macro", st->m[i].text);
			help_row(&rows, &n, key.data, what.data);
		}
	}
	buf_printf(&title, "-- keys of the %s (%s) --", menus[menu].name,
		   "q or Esc goes back, j/k scroll");
	ui_show_help(title.data, rows, n);
	for (i = 0; i < n; i++) {
		free((char *)rows[i].key);
		free((char *)rows[i].what);
	}
	free(rows);
	buf_release(&key);
	buf_release(&what);
	buf_release(&title);
}

void keymap_list_functions(FILE *out)
{
	struct buf names = BUF_INIT;
	size_t m, i;

	for (m = 0; m < KEYMAP_NMENUS; m++) {
		for (i = 0; i < menus[m].n; i++) {
			buf_reset(&names);
			default_names(&menus[m].fns[i], &names);
			fprintf(out, "%s\t%s\t%s\t%s\n", menus[m].name, menus[m].fns[i].name,
				names.len ? names.data : "", menus[m].fns[i].what);
		}
	}
	buf_release(&names);
}
