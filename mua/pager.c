#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "autocrypt.h"
#include "codec.h"
#include "cryptomsg.h"
#include "flowed.h"
#include "html.h"
#include "keymap.h"
#include "mailcap.h"
#include "msg.h"
#include "pager.h"
#include "path.h"
#include "trackview.h"
#include "ui.h"
#include "weed.h"
#include "xalloc.h"

/* A logical line of the message (before wrapping): sanitised UTF-8. */
struct line {
	char *text;
	size_t len;
	enum ui_color color;
	size_t label;      /* bytes at the start drawn as a header name */
	size_t prefix;     /* bytes at the start repeated on every row (quote marks) */
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
	int all_headers;   /* h: every header field, not the weeded ones */
	struct cryptomsg cm;   /* the OpenPGP layers; cm.data backs m when set */
	int crypto_opened;     /* cm was filled by cryptomsg_open() */
	int suspended;         /* curses was left for a passphrase prompt */
	struct err crypto_err; /* GnuPG could not be used */
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
	l->prefix = 0;
}

/* A header field as a line (weed.h chooses which). */
static void add_header(void *arg, const char *name, const char *v)
{
	struct pager *pg = arg;
	struct buf raw = BUF_INIT, clean = BUF_INIT;

	buf_printf(&raw, "%s: %s", name, v);
	codec_sanitize(raw.data, raw.len, 0, &clean);
	add_line(pg, clean.data, clean.len, UI_NORMAL, strlen(name) + 1);
	buf_release(&raw);
	buf_release(&clean);
}

/* Where a sent message is, or which one a delivery report is about
 * (trackview.h), as one more header line. */
static void add_tracking(struct pager *pg)
{
	struct buf raw = BUF_INIT, clean = BUF_INIT;

	trackview_header(pg->m, &raw);
	if (raw.len) {
		codec_sanitize(raw.data, raw.len, 0, &clean);
		add_line(pg, clean.data, clean.len, UI_NORMAL, strcspn(clean.data, ":") + 1);
	}
	buf_release(&raw);
	buf_release(&clean);
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

static enum ui_color quote_color(int q)
{
	return q ? (enum ui_color)(UI_QUOTE1 + (q - 1) % 3) : UI_NORMAL;
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

static const char *part_param(void *arg, const char *name)
{
	return msg_part_param(arg, name);
}

/* The output of a copiousoutput mailcap entry for part p (0), or -1 when
 * there is none or it failed (the reason in err, empty when none). */
static int render_copious(struct pager *pg, const struct msg_part *p, struct buf *out,
			  struct err *err)
{
	const struct mailcap_entry *e;
	struct buf data = BUF_INIT;
	char *file = NULL;
	int rc = -1;

	msg_part_decode(p, &data);
	if (mailcap_tempfile(NULL, msg_part_type(p), data.data, data.len, &file, err) < 0)
		goto done;
	/* The test= commands may look at the file, so it exists first. */
	e = mailcap_find(mailcap_session(), msg_part_type(p), MAILCAP_COPIOUSOUTPUT, file,
			 part_param, (void *)p);
	if (!e)
		goto done;
	rc = mailcap_run(e, file, msg_part_type(p), part_param, (void *)p, out, NULL, err);
	if (rc > 0) {
		err_set(err, EX_SOFTWARE, "'%s' exited with status %d", e->command, rc);
		rc = -1;
	}
done:
	mailcap_tempfile_remove(file);
	free(file);
	buf_release(&data);
	return rc < 0 ? -1 : 0;
}

/* For a message without a text/plain part: its first text/html part that
 * is not an attachment, through a copiousoutput mailcap entry (w3m -dump,
 * lynx -dump) when there is one, else as stripped text (html.h); a note
 * line says which.  NULL when there is no such part. */
static char *html_text(struct pager *pg, size_t *len_out)
{
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT, note = BUF_INIT, utf8 = BUF_INIT;
	const struct msg_part *p = NULL;
	size_t i;

	for (i = 0; i < msg_part_count(pg->m) && !p; i++) {
		const struct msg_part *q = msg_part_at(pg->m, i);

		if (strcmp(msg_part_type(q), "text/html") == 0 && !msg_part_is_attachment(q))
			p = q;
	}
	if (!p)
		return NULL;
	if (render_copious(pg, p, &out, &err) == 0) {
		buf_puts(&note, "[-- text/html shown through mailcap --]");
	} else {
		buf_reset(&out);
		msg_part_text(p, &utf8);
		html_to_text(utf8.data, utf8.len, &out);
		buf_printf(&note, "[-- text/html shown as plain text%s%s --]", err.code ? ": " : "",
			   err.code ? err.msg : " (no copiousoutput entry in mailcap)");
	}
	add_text(pg, note.data, note.len, UI_HEADER);
	buf_release(&note);
	buf_release(&utf8);
	return buf_detach(&out, len_out);
}

/* Text (len bytes, UTF-8) as lines, sanitised, quote levels coloured. */
static void add_body(struct pager *pg, const char *text, size_t len)
{
	struct buf clean = BUF_INIT;
	size_t i, start;

	codec_sanitize(text, len, CODEC_KEEP_NEWLINES, &clean);
	for (start = 0, i = 0; i <= clean.len; i++) {
		if (i < clean.len && clean.data[i] != '\n')
			continue;
		if (i == clean.len && start == i)
			break;
		{
			int q = quote_level(clean.data + start, i - start);

			add_line(pg, clean.data + start, i - start, quote_color(q), 0);
		}
		start = i + 1;
	}
	buf_release(&clean);
}

/* A format=flowed paragraph as one line, its quote marks repeated when
 * it wraps so the reflowed text keeps its depth. */
static void add_paragraph(void *arg, int depth, const char *text, size_t len)
{
	struct pager *pg = arg;
	struct buf raw = BUF_INIT, clean = BUF_INIT;
	int i;

	for (i = 0; i < depth; i++)
		buf_putc(&raw, '>');
	if (depth > 0 && len > 0)
		buf_putc(&raw, ' ');
	buf_append(&raw, text, len);
	/* Tabs kept for add_line() to expand, as in other text. */
	codec_sanitize(raw.data, raw.len, CODEC_KEEP_NEWLINES, &clean);
	add_line(pg, clean.data, clean.len, quote_color(depth), 0);
	if (depth > 0)
		pg->lines[pg->nlines - 1].prefix = (size_t)depth + (len > 0);
	buf_release(&raw);
	buf_release(&clean);
}

static void add_note(struct pager *pg, const char *s, enum ui_color c)
{
	add_text(pg, s, strlen(s), c);
}

/* One line per signature, a warning unmistakable (error colour, capital
 * words); then what could not be opened.  Words from cryptomsg, which
 * never says more than GPGME. */
static void add_crypto_lines(struct pager *pg)
{
	const struct cryptomsg *cm = &pg->cm;
	struct buf b = BUF_INIT;
	size_t i;

	if (pg->crypto_err.code)
		add_text(pg, pg->crypto_err.msg, strlen(pg->crypto_err.msg), UI_ERROR);
	if (!pg->crypto_opened)
		return;
	if (cm->encrypted)
		add_note(pg, cm->decrypted ? "[-- Encrypted message, decrypted --]"
			 : "[-- Encrypted message, not decrypted --]",
			 cm->decrypted ? UI_HEADER : UI_ERROR);
	for (i = 0; i < cm->sigs.n; i++) {
		int warn;

		buf_reset(&b);
		buf_puts(&b, "[-- ");
		warn = cryptomsg_sig_line(&cm->sigs.v[i], &b);
		buf_puts(&b, " --]");
		add_line(pg, b.data, b.len, warn ? UI_ERROR : UI_HEADER, 0);
	}
	if (cm->partly_signed)
		add_note(pg, "[-- Only part of this message is signed or encrypted --]", UI_ERROR);
	if (cm->protected_headers)
		add_note(pg, "[-- Headers above are the ones protected inside the message --]",
			 UI_HEADER);
	if (cm->error.code) {
		buf_reset(&b);
		codec_sanitize(cm->error.msg, strlen(cm->error.msg), 0, &b);
		add_line(pg, b.data, b.len, UI_ERROR, 0);
	}
	buf_release(&b);
}

static void build_lines(struct pager *pg)
{
	size_t i, n, len;
	char *text;
	int delsp = 0;

	weed_fields(pg->m, pg->all_headers, add_header, pg);
	add_crypto_lines(pg);
	add_tracking(pg);
	add_line(pg, "", 0, UI_NORMAL, 0);
	text = msg_text_n(pg->m, &len);
	if (!text)
		text = html_text(pg, &len);
	if (text && msg_text_flowed(pg->m, &delsp)) {
		flowed_decode(text, len, delsp, add_paragraph, pg);
		free(text);
	} else if (text) {
		add_body(pg, text, len);
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
 * that fits when there is one; rows after the first leave room for the
 * line's prefix (draw() repeats it) unless it would take half the width. */
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
			size_t w = off > 0 && l->prefix < width / 2 ? width - l->prefix : width;
			size_t n = ui_fit(l->text + off, l->len - off, w, NULL), k;

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

/* The key bar, most used first: what does not fit is left out. */
static const struct keymap_bar pager_bar[] = {
	{ 'q', "Back" }, { 'J', "Next" }, { 'K', "Prev" }, { 'v', "Parts" }, { 'r', "Reply" },
	{ 'g', "Group" }, { 'f', "Fwd" }, { 'd', "Del" },
};

static void draw(void *arg)
{
	struct pager *pg = arg;
	size_t y, rows = body_rows();
	struct buf st = BUF_INIT, bar = BUF_INIT;

	if (pg->wrapped_for != ui_cols())
		wrap(pg, (size_t)ui_cols());
	if (pg->top >= pg->nrows)
		pg->top = pg->nrows ? pg->nrows - 1 : 0;
	erase();
	keymap_bar(KEYMAP_PAGER, pager_bar, sizeof(pager_bar) / sizeof(pager_bar[0]),
		   (size_t)ui_cols(), &bar);
	ui_help_bar(bar.data);
	buf_release(&bar);
	for (y = 0; y < rows && pg->top + y < pg->nrows; y++) {
		const struct row *r = &pg->rows[pg->top + y];
		const struct line *l = &pg->lines[r->line];
		size_t x = 0;

		if (r->off == 0 && l->label && r->len >= l->label) {
			x = ui_text((int)y + 1, 0, l->label, l->text, l->label, UI_HEADER, 0);
			ui_text((int)y + 1, (int)x, (size_t)ui_cols() - x, l->text + l->label,
				r->len - l->label, l->color, 0);
		} else {
			if (r->off > 0 && l->prefix < (size_t)ui_cols() / 2)
				x = ui_text((int)y + 1, 0, l->prefix, l->text, l->prefix, l->color, 0);
			ui_text((int)y + 1, (int)x, (size_t)ui_cols() - x, l->text + r->off, r->len,
				l->color, 0);
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

static void draw_parts(void *arg);

static void free_lines(struct pager *pg)
{
	size_t i;

	/* The text may have been decrypted: not left in freed memory. */
	for (i = 0; i < pg->nlines; i++) {
		explicit_bzero(pg->lines[i].text, pg->lines[i].len);
		free(pg->lines[i].text);
	}
	free(pg->lines);
	free(pg->rows);
	pg->lines = NULL;
	pg->rows = NULL;
	pg->nlines = pg->caplines = pg->nrows = pg->caprows = 0;
}

/* The scrolling keys of the pager and the part viewer; 1 when k was one. */
static int scroll_key(struct pager *pg, int k)
{
	size_t rows = body_rows();

	switch (k) {
	case 'j': case KEY_DOWN: case '\n':
		if (pg->top + rows < pg->nrows)
			pg->top++;
		return 1;
	case 'k': case KEY_UP:
		if (pg->top > 0)
			pg->top--;
		return 1;
	case ' ': case KEY_NPAGE:
		if (pg->top + rows < pg->nrows)
			pg->top += rows;
		return 1;
	case '-': case KEY_PPAGE:
		pg->top = pg->top > rows ? pg->top - rows : 0;
		return 1;
	case KEY_HOME: case '<':
		pg->top = 0;
		return 1;
	case KEY_END: case '>':
		pg->top = pg->nrows > rows ? pg->nrows - rows : 0;
		return 1;
	default:
		return 0;
	}
}

/* Show text (UTF-8, sanitised here) in a pager of its own until q. */
static void text_view(const char *title, const char *note, const char *text, size_t len,
		      struct parts *back)
{
	struct pager tv;
	int k;

	memset(&tv, 0, sizeof(tv));
	tv.title = title;
	if (note)
		add_text(&tv, note, strlen(note), UI_HEADER);
	add_body(&tv, text, len);
	ui_set_redraw(draw, &tv);
	for (;;) {
		draw(&tv);
		k = ui_getkey(-1);
		if (k == 'q' || k == 'i' || k == UI_KEY_ESC)
			break;
		scroll_key(&tv, k);
	}
	free_lines(&tv);
	ui_set_redraw(draw_parts, back);
}

static pager_compose_fn *compose_fn;
static void *compose_arg;

void pager_set_compose(pager_compose_fn *fn, void *arg)
{
	compose_fn = fn;
	compose_arg = arg;
}

/* An attached message in the pager; r, g, L and f answer it (through
 * the hook), the rest act on folder messages only. */
static void view_attached(const char *data, size_t len, const char *title)
{
	enum pager_action act = pager_show(data, len, title, NULL);
	int answer = act == PAGER_REPLY || act == PAGER_GROUP || act == PAGER_LIST ||
		     act == PAGER_FORWARD;

	if (answer && compose_fn)
		compose_fn(compose_arg, act, data, len);
	else if (answer)
		ui_error("an attached message cannot be answered here");
	else if (act != PAGER_BACK)
		ui_error("only replies and forward act on an attached message");
}

/* Enter in the part list: the part through the user's mailcap, its
 * output shown here for a copiousoutput entry, else with the terminal
 * handed to the command; a text part without an entry is shown as text. */
static void view_part(struct pager *pg, size_t i, struct parts *back)
{
	const struct msg_part *p = msg_part_at(pg->m, i);
	const char *type = msg_part_type(p);
	const struct mailcap_entry *e;
	struct err err = ERR_INIT;
	struct buf data = BUF_INIT, out = BUF_INIT, title = BUF_INIT, note = BUF_INIT;
	char *file = NULL;
	int rc;

	buf_printf(&title, "part %zu of %s: %s", i + 1, pg->title, type);
	msg_part_decode(p, &data);
	/* A forwarded message is a message: shown here, with its own parts,
	 * whatever the mailcap says. */
	if (strcmp(type, "message/rfc822") == 0) {
		view_attached(data.data, data.len, title.data);
		ui_set_redraw(draw_parts, back);
		goto done;
	}
	if (mailcap_tempfile(NULL, type, data.data, data.len, &file, &err) < 0) {
		ui_error("%s", err.msg);
		goto done;
	}
	e = mailcap_find(mailcap_session(), type, 0, file, part_param, (void *)p);
	if (!e && strncmp(type, "text/", 5) == 0) {
		buf_reset(&data);
		msg_part_text(p, &data);
		if (strcmp(type, "text/html") == 0) {
			html_to_text(data.data, data.len, &out);
			text_view(title.data, "[-- text/html shown as plain text (no mailcap entry) --]",
				  out.data, out.len, back);
		} else {
			text_view(title.data, NULL, data.data, data.len, back);
		}
		goto done;
	}
	if (!e) {
		ui_error("no mailcap entry for %s (s saves the part)", type);
		goto done;
	}
	if (e->flags & MAILCAP_COPIOUSOUTPUT) {
		ui_message("running %s", e->command);
		rc = mailcap_run(e, file, type, part_param, (void *)p, &out, NULL, &err);
		if (rc < 0) {
			ui_error("%s", err.msg);
			goto done;
		}
		buf_printf(&note, "[-- %s through mailcap: %s%s --]", type, e->command,
			   rc ? " (failed)" : "");
		text_view(title.data, note.data, out.data, out.len, back);
		goto done;
	}
	ui_suspend();
	rc = mailcap_run(e, file, type, part_param, (void *)p, NULL, &out, &err);
	ui_resume();
	if (rc < 0) {
		ui_error("%s", err.msg);
	} else if (rc > 0) {
		/* Its first line of standard error says why, made safe. */
		buf_reset(&note);
		codec_sanitize(out.data, strcspn(out.data, "\n"), 0, &note);
		ui_error("'%s' exited with status %d%s%s", e->command, rc, note.len ? ": " : "",
			 note.data);
	}
done:
	mailcap_tempfile_remove(file);
	free(file);
	buf_release(&data);
	buf_release(&out);
	buf_release(&title);
	buf_release(&note);
}

static void draw_parts(void *arg)
{
	struct parts *ps = arg;
	size_t n = msg_part_count(ps->pg->m), i, rows = body_rows(), top;
	struct buf b = BUF_INIT;

	top = ps->cur >= rows ? ps->cur - rows + 1 : 0;
	erase();
	ui_help_bar("q:Back  j/k:Move  Enter:View (mailcap)  s:Save");
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
		else if ((k == '\n' || k == 'm') && n > 0)
			view_part(pg, ps.cur, &ps);
	}
	ui_set_redraw(draw, pg);
}

/* h: the message again with every header field, or back to the weeded
 * ones, from its top. */
static void toggle_headers(struct pager *pg)
{
	free_lines(pg);
	pg->all_headers = !pg->all_headers;
	pg->wrapped_for = 0;
	pg->top = 0;
	build_lines(pg);
}

static void leave_curses(void *arg)
{
	struct pager *pg = arg;

	ui_suspend();
	pg->suspended = 1;
}

/* Check the signatures and decrypt (gpg-agent may ask for the passphrase,
 * curses left for that); pg->m becomes the unwrapped message. */
static void open_crypto(struct pager *pg, const char *data, size_t len)
{
	struct msg *shown;

	if (cryptomsg_kind(pg->m) == CRYPTOMSG_PLAIN)
		return;
	if (cryptomsg_open(data, len, CRYPTOMSG_DECRYPT, leave_curses, pg, &pg->cm,
			   &pg->crypto_err) == 0)
		pg->crypto_opened = 1;
	if (pg->suspended)
		ui_resume();
	if (pg->cm.data && (shown = msg_parse(pg->cm.data, pg->cm.len, 0))) {
		msg_free(pg->m);
		pg->m = shown;
	}
}

enum pager_action pager_show(const char *data, size_t len, const char *title,
			     const char *autocrypt_account)
{
	struct pager pg;
	enum pager_action act = PAGER_BACK;
	int k, done = 0;

	memset(&pg, 0, sizeof(pg));
	pg.title = title;
	pg.m = msg_parse(data, len, 0);
	if (pg.m)
		open_crypto(&pg, data, len);
	/* Autocrypt learns from what the user reads (Level 1 2.3). */
	if (autocrypt_account)
		autocrypt_learn_for(autocrypt_account, data, len, pg.cm.payload_head);
	if (!pg.m)
		add_text(&pg, "[this message is too large to show]", 35, UI_ERROR);
	else
		build_lines(&pg);
	ui_set_redraw(draw, &pg);
	while (!done) {
		draw(&pg);
		k = keymap_read(KEYMAP_PAGER, -1);
		switch (k) {
		case 'q': act = PAGER_BACK; done = 1; break;
		case 'J': act = PAGER_NEXT; done = 1; break;
		case 'K': act = PAGER_PREV; done = 1; break;
		case 'r': act = PAGER_REPLY; done = 1; break;
		case 'g': act = PAGER_GROUP; done = 1; break;
		case 'L': act = PAGER_LIST; done = 1; break;
		case 'f': act = PAGER_FORWARD; done = 1; break;
		case 'd': act = PAGER_DELETE; done = 1; break;
		case 'F': act = PAGER_FLAG; done = 1; break;
		case '|': act = PAGER_PIPE; done = 1; break;
		case 'C': act = PAGER_COPY; done = 1; break;
		case 's': act = PAGER_SAVE; done = 1; break;
		case KEYMAP_JUMP_ORIGINAL: act = PAGER_JUMP; done = 1; break;
		case 'v':
			if (pg.m)
				parts_view(&pg);
			break;
		case 'h':
			if (pg.m)
				toggle_headers(&pg);
			break;
		case '?':
			keymap_help(KEYMAP_PAGER);
			break;
		default:
			scroll_key(&pg, k);
			break;
		}
	}
	ui_set_redraw(NULL, NULL);
	free_lines(&pg);
	msg_free(pg.m);
	cryptomsg_release(&pg.cm);
	return act;
}
