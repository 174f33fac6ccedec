#include "config.h"

#include <curses.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

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

struct flist {
	const char *root;
	char **names;
	size_t n, cur, top;
	size_t *total, *unread;
};

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
	buf_printf(&b, "  %-40s %8s %8s", "Folder", "Msgs", "Unread");
	ui_line(1, 0, b.data, UI_HEADER);
	for (i = 0; i < f->n; i++) {
		all += f->total[i];
		unread += f->unread[i];
	}
	for (i = f->top; i < f->n && i - f->top < rows; i++) {
		int sel = i == f->cur;

		buf_reset(&b);
		buf_printf(&b, "%c %-40s %8zu %8zu", f->unread[i] ? 'N' : ' ', f->names[i],
			   f->total[i], f->unread[i]);
		ui_text((int)(i - f->top) + 2, 0, (size_t)ui_cols(), b.data, b.len,
			sel ? UI_CURSOR : f->unread[i] ? UI_NEW : UI_NORMAL, sel ? A_REVERSE : 0);
	}
	buf_reset(&b);
	buf_printf(&b, "-- folders: %zu, %zu messages, %zu unread -- %zu/%zu", f->n, all, unread,
		   f->n ? f->cur + 1 : 0, f->n);
	ui_status_bar(b.data);
	buf_release(&b);
	ui_flush();
}

char *folderlist_pick(const char *root, const char *current)
{
	struct err err = ERR_INIT;
	struct flist f;
	char *picked = NULL;
	size_t i, rows;
	int k;

	memset(&f, 0, sizeof(f));
	f.root = root;
	if (maildir_folders(root, &f.names, &f.n, &err) < 0) {
		ui_error("%s", err.msg);
		return NULL;
	}
	if (f.n == 0) {
		ui_error("no folders under %s", root);
		maildir_names_free(f.names, f.n);
		return NULL;
	}
	f.total = xcalloc(f.n, sizeof(*f.total));
	f.unread = xcalloc(f.n, sizeof(*f.unread));
	for (i = 0; i < f.n; i++) {
		char *dir = maildir_folder_path(root, f.names[i]);

		folderlist_count(dir, &f.total[i], &f.unread[i]);
		free(dir);
		if (current && strcmp(f.names[i], current) == 0)
			f.cur = i;
	}
	ui_set_redraw(draw, &f);
	for (;;) {
		draw(&f);
		rows = ui_rows() > 4 ? (size_t)ui_rows() - 4 : 1;
		k = ui_getkey(-1);
		if (k == 'q' || k == UI_KEY_ESC || k == UI_KEY_CTRL('g'))
			break;
		if (k == '\n') {
			picked = xstrdup(f.names[f.cur]);
			break;
		}
		if ((k == 'j' || k == KEY_DOWN) && f.cur + 1 < f.n)
			f.cur++;
		else if ((k == 'k' || k == KEY_UP) && f.cur > 0)
			f.cur--;
		else if (k == KEY_NPAGE || k == ' ')
			f.cur = f.cur + rows < f.n ? f.cur + rows : f.n - 1;
		else if (k == KEY_PPAGE || k == '-')
			f.cur = f.cur > rows ? f.cur - rows : 0;
		else if (k == KEY_HOME || k == '=')
			f.cur = 0;
		else if (k == KEY_END || k == '*')
			f.cur = f.n - 1;
	}
	ui_set_redraw(NULL, NULL);
	free(f.total);
	free(f.unread);
	maildir_names_free(f.names, f.n);
	return picked;
}
