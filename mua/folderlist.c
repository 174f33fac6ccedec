#include "config.h"

#include <curses.h>
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "folderlist.h"
#include "maildir.h"
#include "ui.h"
#include "xalloc.h"

void folderlist_count(const char *dir, size_t *total_out, size_t *unread_out)
{
	static const char *const sub[2] = { "new", "cur" };
	size_t total = 0, unread = 0;
	struct dirent *de;
	DIR *d;
	int i;

	for (i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", dir, sub[i]);

		d = opendir(p);
		free(p);
		if (!d)
			continue;
		while ((de = readdir(d)) != NULL) {
			const char *info;

			if (de->d_name[0] == '.')
				continue;
			total++;
			/* Maildir: new/ is unseen; in cur/ the flags follow ":2,". */
			info = strstr(de->d_name, ":2,");
			if (i == 0 || !info || !strchr(info + 3, 'S'))
				unread++;
		}
		closedir(d);
	}
	*total_out = total;
	*unread_out = unread;
}

/* One row: what is shown, the folder's name and its account (NULL in the
 * one-account list), and its counts. */
struct frow {
	char *label;
	char *folder;
	const struct cfg_account *acct;
	size_t total, unread;
};

struct flist {
	const char *title;     /* the first column's heading */
	struct frow *rows;
	size_t n, cur, top;
};

static void add_row(struct flist *f, const char *label, const char *folder,
		    const struct cfg_account *acct, const char *dir)
{
	struct frow *r;

	f->rows = xreallocarray(f->rows, f->n + 1, sizeof(*f->rows));
	r = &f->rows[f->n++];
	r->label = xstrdup(label);
	r->folder = xstrdup(folder);
	r->acct = acct;
	folderlist_count(dir, &r->total, &r->unread);
}

static void free_rows(struct flist *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->rows[i].label);
		free(f->rows[i].folder);
	}
	free(f->rows);
}

static void draw(void *arg)
{
	struct flist *f = arg;
	size_t rows = ui_rows() > 4 ? (size_t)ui_rows() - 4 : 1, i, all = 0, unread = 0;
	struct buf b = BUF_INIT;

	if (f->cur < f->top)
		f->top = f->cur;
	if (f->cur >= f->top + rows)
		f->top = f->cur - rows + 1;
	erase();
	ui_help_bar("q:Back  j/k:Move  Enter:Open");
	buf_printf(&b, "  %-40s %8s %8s", f->title, "Msgs", "Unread");
	ui_line(1, 0, b.data, UI_HEADER);
	for (i = 0; i < f->n; i++) {
		all += f->rows[i].total;
		unread += f->rows[i].unread;
	}
	for (i = f->top; i < f->n && i - f->top < rows; i++) {
		const struct frow *r = &f->rows[i];
		int sel = i == f->cur;

		buf_reset(&b);
		buf_printf(&b, "%c %-40s %8zu %8zu", r->unread ? 'N' : ' ', r->label, r->total,
			   r->unread);
		ui_text((int)(i - f->top) + 2, 0, (size_t)ui_cols(), b.data, b.len,
			sel ? UI_CURSOR : r->unread ? UI_NEW : UI_NORMAL, sel ? A_REVERSE : 0);
	}
	buf_reset(&b);
	buf_printf(&b, "-- %s: %zu, %zu messages, %zu unread -- %zu/%zu",
		   strcmp(f->title, "Account") == 0 ? "accounts" : "folders", f->n, all, unread,
		   f->n ? f->cur + 1 : 0, f->n);
	ui_status_bar(b.data);
	buf_release(&b);
	ui_flush();
}

/* Run the list until Enter (the row picked) or q/Esc (SIZE_MAX). */
static size_t run(struct flist *f)
{
	size_t rows, picked = SIZE_MAX;
	int k;

	ui_set_redraw(draw, f);
	for (;;) {
		draw(f);
		rows = ui_rows() > 4 ? (size_t)ui_rows() - 4 : 1;
		k = ui_getkey(-1);
		if (k == 'q' || k == UI_KEY_ESC || k == UI_KEY_CTRL('g'))
			break;
		if (k == '\n') {
			picked = f->cur;
			break;
		}
		if ((k == 'j' || k == KEY_DOWN) && f->cur + 1 < f->n)
			f->cur++;
		else if ((k == 'k' || k == KEY_UP) && f->cur > 0)
			f->cur--;
		else if (k == KEY_NPAGE || k == ' ')
			f->cur = f->cur + rows < f->n ? f->cur + rows : f->n - 1;
		else if (k == KEY_PPAGE || k == '-')
			f->cur = f->cur > rows ? f->cur - rows : 0;
		else if (k == KEY_HOME || k == '=')
			f->cur = 0;
		else if (k == KEY_END || k == '*')
			f->cur = f->n - 1;
	}
	ui_set_redraw(NULL, NULL);
	return picked;
}

/* The folders of root as rows; a label is "PREFIX/NAME" when prefix is
 * set.  -1 (shown) when root cannot be listed. */
static int add_folders(struct flist *f, const char *root, const struct cfg_account *acct,
		       const char *prefix, const char *current, int is_current)
{
	struct err err = ERR_INIT;
	char **names, *dir, *label;
	size_t n, i;

	if (maildir_folders(root, &names, &n, &err) < 0) {
		ui_error("%s", err.msg);
		return -1;
	}
	for (i = 0; i < n; i++) {
		dir = maildir_folder_path(root, names[i]);
		label = prefix ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
		if (is_current && current && strcmp(names[i], current) == 0)
			f->cur = f->n;
		add_row(f, label, names[i], acct, dir);
		free(label);
		free(dir);
	}
	maildir_names_free(names, n);
	return 0;
}

char *folderlist_pick(const char *root, const char *current)
{
	struct flist f;
	char *picked = NULL;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.title = "Folder";
	if (add_folders(&f, root, NULL, NULL, current, 1) < 0)
		return NULL;
	if (f.n == 0)
		ui_error("no folders under %s", root);
	else if ((i = run(&f)) != SIZE_MAX)
		picked = xstrdup(f.rows[i].folder);
	free_rows(&f);
	return picked;
}

char *folderlist_pick_all(const struct cfg *cfg, const struct cfg_account *acct,
			  const char *current, const struct cfg_account **acct_out)
{
	const struct cfg_account *a;
	struct flist f;
	char *picked = NULL;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.title = "Account/Folder";
	*acct_out = NULL;
	for (i = 0; i < cfg_account_count(cfg); i++) {
		a = cfg_account_at(cfg, i);
		/* An account whose Maildir is not there yet has no folders. */
		if (access(cfg_get(a, "maildir"), F_OK) != 0)
			continue;
		add_folders(&f, cfg_get(a, "maildir"), a, cfg_account_name(a), current, a == acct);
	}
	if (f.n == 0)
		ui_error("no folders in any account");
	else if ((i = run(&f)) != SIZE_MAX) {
		picked = xstrdup(f.rows[i].folder);
		*acct_out = f.rows[i].acct;
	}
	free_rows(&f);
	return picked;
}

const struct cfg_account *folderlist_pick_account(const struct cfg *cfg,
						  const struct cfg_account *current)
{
	const struct cfg_account *a, *picked = NULL;
	struct flist f;
	char *dir, *label;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.title = "Account";
	for (i = 0; i < cfg_account_count(cfg); i++) {
		a = cfg_account_at(cfg, i);
		dir = maildir_folder_path(cfg_get(a, "maildir"), "INBOX");
		label = xasprintf("%-12s %s", cfg_account_name(a), cfg_get(a, "address"));
		if (a == current)
			f.cur = f.n;
		add_row(&f, label, "INBOX", a, dir);
		free(label);
		free(dir);
	}
	if (f.n && (i = run(&f)) != SIZE_MAX)
		picked = f.rows[i].acct;
	free_rows(&f);
	return picked;
}
