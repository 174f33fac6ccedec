#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "abook.h"
#include "addr.h"
#include "addrcomplete.h"
#include "ui.h"
#include "xalloc.h"

/* At most this many rows of choices are shown at once; more scroll. */
#define LIST_ROWS 10

struct addrcomplete {
	const struct cfg *cfg;
	const char *account;
	struct abook *book;   /* NULL until the first Tab */
};

/* One thing to choose: a match, or every address of one alias. */
struct choice {
	size_t first, n;      /* matches[first .. first+n) */
	char *text;           /* what goes into the line */
};

struct addrcomplete *addrcomplete_new(const struct cfg *cfg, const char *account)
{
	struct addrcomplete *ac = xcalloc(1, sizeof(*ac));

	ac->cfg = cfg;
	ac->account = account;
	return ac;
}

void addrcomplete_free(struct addrcomplete *ac)
{
	if (!ac)
		return;
	abook_free(ac->book);
	free(ac);
}

/* Where the entry being typed starts: after the last comma outside
 * double quotes and angle brackets, blanks skipped. */
static size_t entry_start(const struct buf *line)
{
	size_t i, start = 0;
	int dq = 0, angle = 0;

	for (i = 0; i < line->len; i++) {
		char c = line->data[i];

		if (c == '\\' && dq && i + 1 < line->len)
			i++;
		else if (c == '"')
			dq = !dq;
		else if (!dq && c == '<')
			angle = 1;
		else if (!dq && c == '>')
			angle = 0;
		else if (!dq && !angle && c == ',')
			start = i + 1;
	}
	while (start < line->len && (line->data[start] == ' ' || line->data[start] == '\t'))
		start++;
	return start;
}

/* Matches grouped: consecutive alias matches of one nick are one choice. */
static size_t make_choices(const struct abook_match *m, size_t n, struct choice **out)
{
	struct choice *c = xcalloc(n + 1, sizeof(*c));
	size_t nc = 0, i = 0, j;

	while (i < n) {
		struct buf t = BUF_INIT;

		j = i + 1;
		if (m[i].nick)
			while (j < n && m[j].nick && strcmp(m[j].nick, m[i].nick) == 0)
				j++;
		c[nc].first = i;
		c[nc].n = j - i;
		for (; i < j; i++) {
			if (t.len)
				buf_puts(&t, ", ");
			addr_put_mbox(&t, m[i].name, m[i].addr, ADDR_UTF8);
		}
		c[nc++].text = buf_detach(&t, NULL);
	}
	*out = c;
	return nc;
}

static void draw_list(const struct abook_match *m, const struct choice *c, size_t nc,
		      size_t top, size_t cur, int rows)
{
	struct buf b = BUF_INIT;
	int y0 = ui_rows() - 2 - rows, y;
	size_t i;

	for (y = 0, i = top; y < rows; y++, i++) {
		const struct abook_match *first = &m[c[i].first];

		buf_reset(&b);
		if (first->source == ABOOK_ALIAS)
			buf_printf(&b, " %-7s %s = %s", "alias", first->nick, c[i].text);
		else
			buf_printf(&b, " %-7s %s", abook_source_name(first->source), c[i].text);
		ui_text(y0 + y, 0, (size_t)ui_cols(), b.data, b.len, i == cur ? UI_CURSOR : UI_NORMAL,
			i == cur ? A_REVERSE : 0);
	}
	buf_release(&b);
	ui_status_bar("-- addresses: Up/Down or Tab to move, Enter takes one, Esc keeps what was typed");
	ui_flush();
}

/* The choice list: the index of the one taken, or -1. */
static long pick(const struct abook_match *m, const struct choice *c, size_t nc)
{
	size_t cur = 0, top = 0;
	int rows, k;

	for (;;) {
		rows = (int)(nc < LIST_ROWS ? nc : LIST_ROWS);
		if (rows > ui_rows() - 3)
			rows = ui_rows() - 3 > 0 ? ui_rows() - 3 : 1;
		if (cur < top)
			top = cur;
		if (cur >= top + (size_t)rows)
			top = cur - (size_t)rows + 1;
		draw_list(m, c, nc, top, cur, rows);
		k = ui_getkey(-1);
		if (k == '\n' || k == KEY_ENTER)
			return (long)cur;
		if (k == UI_KEY_ESC || k == UI_KEY_CTRL('g'))
			return -1;
		if (k == KEY_RESIZE)
			ui_redraw();
		else if ((k == KEY_DOWN || k == '\t') && cur + 1 < nc)
			cur++;
		else if (k == '\t')
			cur = 0;
		else if (k == KEY_UP && cur > 0)
			cur--;
	}
}

void addrcomplete_tab(void *arg, struct buf *line)
{
	struct addrcomplete *ac = arg;
	struct err err = ERR_INIT;
	struct abook_match *m;
	struct choice *c;
	size_t start = entry_start(line), n, nc, i;
	char *query;
	long k = 0;

	if (start == line->len) {
		ui_error("type a part of a name or address, then Tab");
		return;
	}
	if (!ac->book)
		ac->book = abook_open(ac->cfg, NULL, NULL);
	query = xmemdup(line->data + start, line->len - start);
	if (abook_query(ac->cfg, ac->account, ac->book, query, ABOOK_QUIET, &m, &n, &err) < 0)
		ui_error("%s", err.msg);
	if (n == 0) {
		if (!err.code)
			ui_error("no address matches '%s'", query);
		free(query);
		abook_matches_free(m, n);
		return;
	}
	nc = make_choices(m, n, &c);
	if (nc > 1) {
		k = pick(m, c, nc);
		ui_redraw();
	}
	if (k >= 0) {
		buf_truncate(line, start);
		buf_puts(line, c[k].text);
	}
	for (i = 0; i < nc; i++)
		free(c[i].text);
	free(c);
	free(query);
	abook_matches_free(m, n);
}

int addrcomplete_prompt(struct addrcomplete *ac, const char *question, const char *initial,
			struct buf *line)
{
	struct ui_prompt_ops ops = { addrcomplete_tab, NULL, ac, NULL };

	return ui_prompt(question, initial, &ops, line);
}
