#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "codec.h"
#include "msg.h"
#include "pager.h"
#include "path.h"
#include "ui.h"
#include "xalloc.h"

/* A logical line of the message (before wrapping): sanitised UTF-8. */
struct line {
	char *text;
	size_t len;
	enum ui_color color;
	size_t label;      /* bytes at the start drawn as a header name */
};

/* A screen row: a piece of a logical line. */
struct row {
	size_t line, off, len;
};

struct pager {
	struct msg *m;
	struct line *lines;
	size_t nlines, caplines;
	struct row *rows;
	size_t nrows, caprows;
	int wrapped_for;   /* the width rows were made for */
	size_t top;
	const char *title;
};

static void add_line(struct pager *pg, const char *s, size_t len, enum ui_color c, size_t label)
{
	struct line *l;
	struct buf b = BUF_INIT;
	size_t i, col = 0;

	if (pg->nlines == pg->caplines) {
		pg->caplines = pg->caplines ? pg->caplines * 2 : 64;
		pg->lines = xreallocarray(pg->lines, pg->caplines, sizeof(*pg->lines));
	}
	/* Tabs to blanks at stops of eight (sanitising would make each one
	 * blank); columns counted in bytes, close enough for indentation. */
	for (i = 0; i < len; i++) {
		if (s[i] == '\t') {
			do
				buf_putc(&b, ' ');
			while (++col % 8);
		} else {
			buf_putc(&b, s[i]);
			col++;
		}
	}
	l = &pg->lines[pg->nlines++];
	l->len = b.len;
	l->text = buf_detach(&b, NULL);
	l->color = c;
	l->label = label;
}

static void add_header(struct pager *pg, const char *name)
{
	char *v = msg_header_decoded(pg->m, name);
	struct buf raw = BUF_INIT, clean = BUF_INIT;

	if (!v)
		return;
	buf_printf(&raw, "%s: %s", name, v);
	codec_sanitize(raw.data, raw.len, 0, &clean);
	add_line(pg, clean.data, clean.len, UI_NORMAL, strlen(name) + 1);
	buf_release(&raw);
	buf_release(&clean);
	free(v);
}

/* The quote level of a line: the '>' at its start, blanks between them
 * allowed. */
static int quote_level(const char *s, size_t len)
{
	size_t i;
	int q = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '>')
			q++;
		else if (s[i] != ' ')
			break;
	}
	return q;
}

static void human_size(size_t n, char *out, size_t outlen)
{
	if (n < 1024)
		snprintf(out, outlen, "%zu B", n);
	else if (n < 1024 * 1024)
		snprintf(out, outlen, "%.1f KiB", (double)n / 1024);
	else
		snprintf(out, outlen, "%.1f MiB", (double)n / (1024 * 1024));
}

static void add_text(struct pager *pg, const char *s, size_t len, enum ui_color c)
{
	struct buf b = BUF_INIT;

	codec_sanitize(s, len, 0, &b);
	add_line(pg, b.data, b.len, c, 0);
	buf_release(&b);
}

static void build_lines(struct pager *pg)
{
	static const char *const shown[] = { "From", "To", "Cc", "Date", "Subject" };
	struct buf clean = BUF_INIT;
	size_t i, n, len, start;
	char *text;

	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		add_header(pg, shown[i]);
	add_line(pg, "", 0, UI_NORMAL, 0);
	text = msg_text_n(pg->m, &len);
	if (text) {
		codec_sanitize(text, len, CODEC_KEEP_NEWLINES, &clean);
		for (start = 0, i = 0; i <= clean.len; i++) {
			if (i < clean.len && clean.data[i] != '\n')
				continue;
			if (i == clean.len && start == i)
				break;
			{
				int q = quote_level(clean.data + start, i - start);
				enum ui_color c = q ? (enum ui_color)(UI_QUOTE1 + (q - 1) % 3) : UI_NORMAL;

				add_line(pg, clean.data + start, i - start, c, 0);
			}
			start = i + 1;
		}
		free(text);
	} else {
		add_text(pg, "[no text part; press v for the parts]", 37, UI_ERROR);
	}
	n = msg_part_count(pg->m);
	if (n > 1 || !text) {
		add_line(pg, "", 0, UI_NORMAL, 0);
		for (i = 0; i < n; i++) {
			const struct msg_part *p = msg_part_at(pg->m, i);
			const char *fn = msg_part_filename(p);
			char size[32];
			struct buf b = BUF_INIT;

			human_size(msg_part_size(p), size, sizeof(size));
			buf_printf(&b, "[-- %zu: %s%s%s, %s --]", i + 1, msg_part_type(p), fn ? ", " : "",
				   fn ? fn : "", size);
			add_text(pg, b.data, b.len, UI_HEADER);
			buf_release(&b);
		}
	}
	buf_release(&clean);
}

static void add_row(struct pager *pg, size_t line, size_t off, size_t len)
{
	if (pg->nrows == pg->caprows) {
		pg->caprows = pg->caprows ? pg->caprows * 2 : 128;
		pg->rows = xreallocarray(pg->rows, pg->caprows, sizeof(*pg->rows));
	}
	pg->rows[pg->nrows].line = line;
	pg->rows[pg->nrows].off = off;
	pg->rows[pg->nrows].len = len;
	pg->nrows++;
}

/* Split every line into rows of at most width columns, at the last blank
 * that fits when there is one. */
static void wrap(struct pager *pg, size_t width)
{
	size_t i;

	pg->nrows = 0;
	if (width == 0)
		width = 1;
	for (i = 0; i < pg->nlines; i++) {
		const struct line *l = &pg->lines[i];
		size_t off = 0;

		do {
			size_t n = ui_fit(l->text + off, l->len - off, width, NULL), k;

			if (n == 0 && off < l->len)
				n = 1; /* a character wider than the screen */
			if (off + n < l->len) {
				for (k = n; k > 0 && l->text[off + k - 1] != ' '; k--)
					;
				if (k > 0)
					n = k;
			}
			add_row(pg, i, off, n);
			off += n;
		} while (off < l->len);
	}
	pg->wrapped_for = (int)width;
}

static size_t body_rows(void)
{
	return ui_rows() > 3 ? (size_t)ui_rows() - 3 : 1;
}

static void draw(void *arg)
{
	struct pager *pg = arg;
	size_t y, rows = body_rows();
	struct buf st = BUF_INIT;

	if (pg->wrapped_for != ui_cols())
		wrap(pg, (size_t)ui_cols());
	if (pg->top >= pg->nrows)
		pg->top = pg->nrows ? pg->nrows - 1 : 0;
	erase();
	ui_help_bar("q:Back  j/k:Line  Space/-:Page  J/K:Next/Prev  v:Parts  r:Reply  g:Group  f:Fwd  d:Del  ?:Help");
	for (y = 0; y < rows && pg->top + y < pg->nrows; y++) {
		const struct row *r = &pg->rows[pg->top + y];
		const struct line *l = &pg->lines[r->line];
		size_t x = 0;

		if (r->off == 0 && l->label && r->len >= l->label) {
			x = ui_text((int)y + 1, 0, l->label, l->text, l->label, UI_HEADER, 0);
			ui_text((int)y + 1, (int)x, (size_t)ui_cols() - x, l->text + l->label,
				r->len - l->label, l->color, 0);
		} else {
			ui_text((int)y + 1, 0, (size_t)ui_cols(), l->text + r->off, r->len, l->color, 0);
		}
	}
	buf_printf(&st, "-- %s -- (%zu%%)", pg->title,
		   pg->nrows ? (pg->top + rows >= pg->nrows ? 100 : (pg->top + rows) * 100 / pg->nrows) : 100);
	ui_status_bar(st.data);
	buf_release(&st);
	ui_line(ui_rows() - 1, 0, "", UI_NORMAL);
	ui_flush();
}

static void save_part(struct pager *pg, size_t i)
{
	const struct msg_part *p = msg_part_at(pg->m, i);
	const char *fn = msg_part_filename(p);
	struct buf clean = BUF_INIT, path = BUF_INIT, data = BUF_INIT;
	struct err err = ERR_INIT;
	char *full;

	/* Only the last component of the sender's name, sanitised: a name
	 * like "../../.bashrc" must not choose where the file goes. */
	if (fn) {
		const char *slash = strrchr(fn, '/');

		codec_sanitize(slash ? slash + 1 : fn, strlen(slash ? slash + 1 : fn), 0, &clean);
	}
	if (clean.len == 0 || clean.data[0] == '.') {
		buf_reset(&clean);
		buf_printf(&clean, "part%zu", i + 1);
	}
	if (ui_prompt("Save to: ", clean.data, NULL, &path) < 0 || path.len == 0) {
		buf_release(&clean);
		buf_release(&path);
		return;
	}
	full = path_expand(path.data);
	msg_part_decode(p, &data);
	if (access(full, F_OK) == 0 && !ui_confirm("File exists; overwrite?")) {
		ui_message("not saved");
	} else if (afile_write(full, data.data, data.len, 0600, &err) < 0) {
		ui_error("%s", err.msg);
	} else {
		ui_message("saved %zu bytes to %s", data.len, full);
	}
	free(full);
	buf_release(&data);
	buf_release(&clean);
	buf_release(&path);
}

struct parts {
	struct pager *pg;
	size_t cur;
};

static void draw_parts(void *arg)
{
	struct parts *ps = arg;
	size_t n = msg_part_count(ps->pg->m), i, rows = body_rows(), top;
	struct buf b = BUF_INIT;

	top = ps->cur >= rows ? ps->cur - rows + 1 : 0;
	erase();
	ui_help_bar("q:Back  j/k:Move  s:Save");
	for (i = top; i < n && i - top < rows; i++) {
		const struct msg_part *p = msg_part_at(ps->pg->m, i);
		const char *fn = msg_part_filename(p);
		char size[32];

		human_size(msg_part_size(p), size, sizeof(size));
		buf_reset(&b);
		buf_printf(&b, "%3zu  %-28s %10s  %s", i + 1, msg_part_type(p), size, fn ? fn : "");
		ui_text((int)(i - top) + 1, 0, (size_t)ui_cols(), b.data, b.len,
			i == ps->cur ? UI_CURSOR : UI_NORMAL, i == ps->cur ? A_REVERSE : 0);
	}
	buf_reset(&b);
	buf_printf(&b, "-- parts of: %s -- %zu/%zu", ps->pg->title, ps->cur + 1, n);
	ui_status_bar(b.data);
	buf_release(&b);
	ui_flush();
}

static void parts_view(struct pager *pg)
{
	struct parts ps = { pg, 0 };
	size_t n = msg_part_count(pg->m);
	int k;

	ui_set_redraw(draw_parts, &ps);
	for (;;) {
		draw_parts(&ps);
		k = ui_getkey(-1);
		if (k == 'q' || k == UI_KEY_ESC || k == 'v')
			break;
		if ((k == 'j' || k == KEY_DOWN) && ps.cur + 1 < n)
			ps.cur++;
		else if ((k == 'k' || k == KEY_UP) && ps.cur > 0)
			ps.cur--;
		else if (k == 's' && n > 0)
			save_part(pg, ps.cur);
	}
	ui_set_redraw(draw, pg);
}

enum pager_action pager_show(const char *data, size_t len, const char *title)
{
	struct pager pg;
	enum pager_action act = PAGER_BACK;
	size_t i, rows;
	int k, done = 0;

	memset(&pg, 0, sizeof(pg));
	pg.title = title;
	pg.m = msg_parse(data, len, 0);
	if (!pg.m)
		add_text(&pg, "[this message is too large to show]", 35, UI_ERROR);
	else
		build_lines(&pg);
	ui_set_redraw(draw, &pg);
	while (!done) {
		draw(&pg);
		rows = body_rows();
		k = ui_getkey(-1);
		switch (k) {
		case 'q': case 'i': case UI_KEY_ESC: act = PAGER_BACK; done = 1; break;
		case 'J': act = PAGER_NEXT; done = 1; break;
		case 'K': act = PAGER_PREV; done = 1; break;
		case 'r': act = PAGER_REPLY; done = 1; break;
		case 'g': act = PAGER_GROUP; done = 1; break;
		case 'f': act = PAGER_FORWARD; done = 1; break;
		case 'd': act = PAGER_DELETE; done = 1; break;
		case 'F': act = PAGER_FLAG; done = 1; break;
		case 'j': case KEY_DOWN: case '\n':
			if (pg.top + rows < pg.nrows)
				pg.top++;
			break;
		case 'k': case KEY_UP:
			if (pg.top > 0)
				pg.top--;
			break;
		case ' ': case KEY_NPAGE:
			if (pg.top + rows < pg.nrows)
				pg.top += rows;
			break;
		case '-': case KEY_PPAGE:
			pg.top = pg.top > rows ? pg.top - rows : 0;
			break;
		case KEY_HOME: case '<':
			pg.top = 0;
			break;
		case KEY_END: case '>':
			pg.top = pg.nrows > rows ? pg.nrows - rows : 0;
			break;
		case 'v':
			if (pg.m)
				parts_view(&pg);
			break;
		case '?': {
			static const struct ui_keyhelp keys[] = {
				{ "q", "back to the index" },
				{ "j k Down Up", "scroll a line" },
				{ "Space PgDn", "next page" },
				{ "- PgUp", "previous page" },
				{ "< >", "top, bottom" },
				{ "J K", "next, previous message" },
				{ "v", "list the parts (s there saves one)" },
				{ "r g f", "reply, reply to all, forward" },
				{ "d F", "mark deleted, flag" },
			};
			ui_show_help("pager keys", keys, sizeof(keys) / sizeof(keys[0]));
			break;
		}
		default:
			break;
		}
	}
	ui_set_redraw(NULL, NULL);
	for (i = 0; i < pg.nlines; i++)
		free(pg.lines[i].text);
	free(pg.lines);
	free(pg.rows);
	msg_free(pg.m);
	return act;
}
