#include "config.h"

#include <curses.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bodysearch.h"
#include "browser.h"
#include "composeui.h"
#include "folderlist.h"
#include "keymap.h"
#include "mailbox.h"
#include "maildir.h"
#include "msg.h"
#include "oauth2.h"
#include "pager.h"
#include "path.h"
#include "pattern.h"
#include "queue.h"
#include "qview.h"
#include "recall.h"
#include "syncstatus.h"
#include "thread.h"
#include "ui.h"
#include "xalloc.h"

#define NONE SIZE_MAX
/* How often an idle index looks for new mail and queue changes. */
#define IDLE_MS 5000

struct browser {
	const struct cfg *cfg;
	const struct cfg_account *acct;
	char *root;              /* the account's Maildir root, NULL without one */
	char *name;              /* folder name in the status bar */
	struct mailbox *mb;
	size_t n;                /* messages in mb */
	unsigned char *del;      /* per message: marked for deletion */
	size_t nnew, ndel;
	size_t *view;            /* row -> message, after threads and limit */
	size_t nview;
	struct thread *thr;      /* built on the first T */
	int threaded;
	struct pattern *limit;
	char *limit_text;
	size_t cur, top;         /* rows */
	struct buf search;       /* the last search text */
	size_t search_from;      /* row where an incremental search started */
	struct queue *q;         /* NULL when the store cannot be opened */
	size_t qcount;
	char signin[64];         /* an account whose queued mail waits for spool auth, or "" */
	struct timespec stamp[2]; /* mtimes of new/ and cur/ at the last read */
	struct syncstatus sync;  /* the account's sync status record */
	const struct cfg_account *sync_of; /* the account sync was read for */
	int quit;
	struct acct_view *saved; /* accounts switched away from (A) */
	size_t nsaved;
};

/* What the index keeps of an account while another one is shown, so that
 * switching back finds its folder, marks, limit, threads and position. */
struct acct_view {
	const struct cfg_account *acct;
	char *root, *name;
	struct mailbox *mb;
	size_t n, nnew, ndel, nview, cur, top;
	unsigned char *del;
	size_t *view;
	struct thread *thr;
	int threaded;
	struct pattern *limit;
	char *limit_text;
	struct timespec stamp[2];
};

static size_t list_rows(void)
{
	return ui_rows() > 3 ? (size_t)ui_rows() - 3 : 1;
}

static const struct index_msg *msg_at_row(const struct browser *b, size_t row)
{
	return mailbox_at(b->mb, b->view[row]);
}

static int is_unread(const struct index_msg *m)
{
	return !strchr(m->flags, 'S');
}

/* ---- folder state ---------------------------------------------------- */

static void folder_stamp(const struct browser *b, struct timespec out[2])
{
	static const char *const sub[2] = { "new", "cur" };
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", mailbox_path(b->mb), sub[i]);

		memset(&out[i], 0, sizeof(out[i]));
		if (stat(p, &st) == 0)
			out[i] = st.st_mtim;
		free(p);
	}
}

static void count_queue(struct browser *b)
{
	struct queue_env **list;
	size_t n, i;
	struct err err = ERR_INIT;

	if (!b->q)
		return;
	if (queue_list(b->q, &list, &n, &err) == 0) {
		b->qcount = n;
		b->signin[0] = '\0';
		for (i = 0; i < n && !b->signin[0]; i++)
			if (queue_env_state(list[i]) != QUEUE_ST_FAILED)
				oauth2_signin_text(queue_env_error(list[i]), b->signin,
						   sizeof(b->signin));
		queue_list_free(list, n);
	}
}

/* The shown account's sync status record (spool/syncstatus.h), read
 * when the index idles and when another account is shown: `spool sync`
 * and `spool watch --all` write it. */
static void read_sync(struct browser *b)
{
	struct err err = ERR_INIT;

	b->sync_of = b->acct;
	if (!b->acct || syncstatus_read(cfg_account_name(b->acct), &b->sync, &err) < 0)
		memset(&b->sync, 0, sizeof(b->sync));
}

static void recount(struct browser *b)
{
	size_t i;

	b->nnew = b->ndel = 0;
	for (i = 0; i < b->n; i++) {
		if (is_unread(mailbox_at(b->mb, i)))
			b->nnew++;
		if (b->del[i])
			b->ndel++;
	}
}

static void fill_pmsg(const struct browser *b, size_t i, struct pattern_msg *pm)
{
	const struct index_msg *m = mailbox_at(b->mb, i);

	pm->from = m->from;
	pm->from_addr = m->from_addr;
	pm->to = m->to;
	pm->subject = m->subject;
	pm->flags = m->flags;
	pm->deleted = b->del[i];
	pm->date = m->date;
}

struct body_arg {
	struct browser *b;
	size_t msg;
	size_t done, total;       /* messages looked at, of how many */
	unsigned long long bytes; /* body bytes read before this message */
	struct timespec last;     /* the last look at the keyboard */
	int stopped;              /* a key stopped the search */
};

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* After each piece of a message: every 200 ms, progress on the message
 * line and a look for a key that stops the search. */
static int body_progress(void *arg, size_t bytes)
{
	struct body_arg *ba = arg;

	if (ms_since(&ba->last) < 200)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ba->last);
	ui_message("searching message bodies: %zu/%zu, %.1f MiB (any key stops)", ba->done,
		   ba->total, (double)(ba->bytes + bytes) / (1024 * 1024));
	ba->stopped = ui_interrupted();
	return ba->stopped;
}

/* ~b: read in pieces (bodysearch.h); -1 when the user stopped it. */
static int body_has(void *arg, const char *needle)
{
	struct body_arg *ba = arg;
	struct err err = ERR_INIT;
	struct stat st;
	char *data;
	size_t len;
	int fd, r;

	fd = mailbox_open_msg(ba->b->mb, ba->msg, &err);
	if (fd >= 0) {
		r = bodysearch_fd(fd, needle, body_progress, ba);
		if (fstat(fd, &st) == 0)
			ba->bytes += (unsigned long long)st.st_size;
		close(fd);
		/* A read error is no match; only a key stops the limit. */
		return r < 0 && !ba->stopped ? 0 : r;
	}
	if (mailbox_read(ba->b->mb, ba->msg, &data, &len, &err) < 0)
		return 0;
	r = bodysearch_mem(data, len, needle, body_progress, ba);
	ba->bytes += len;
	free(data);
	return r;
}

/* Recompute the rows.  keep is a message to keep the cursor on (NONE: the
 * last row, as a fresh folder opens on its newest message).  Returns -1
 * when the user interrupted a body search; the old view stays then. */
static int build_view(struct browser *b, size_t keep)
{
	size_t *view = xreallocarray(NULL, b->n ? b->n : 1, sizeof(*view));
	size_t nview = 0, r, i;
	int uses_body = b->limit && pattern_uses_body(b->limit);

	struct body_arg ba;

	memset(&ba, 0, sizeof(ba));
	ba.b = b;
	ba.total = b->n;
	clock_gettime(CLOCK_MONOTONIC, &ba.last);
	if (uses_body)
		ui_message("searching message bodies: 0/%zu (any key stops)", b->n);
	for (r = 0; r < b->n; r++) {
		i = b->threaded ? thread_msg_at(b->thr, r) : r;
		if (b->limit) {
			struct pattern_msg pm;
			int m;

			ba.msg = i;
			ba.done = r;
			/* Between messages as within them (body_progress). */
			if (uses_body && body_progress(&ba, 0)) {
				m = -1;
			} else {
				fill_pmsg(b, i, &pm);
				m = pattern_match(b->limit, &pm, body_has, &ba);
			}
			if (m < 0) {
				free(view);
				ui_error("limit interrupted");
				return -1;
			}
			if (m != 1)
				continue;
		}
		view[nview++] = i;
	}
	if (uses_body)
		ui_message("%s", "");
	free(b->view);
	b->view = view;
	b->nview = nview;
	b->cur = nview ? nview - 1 : 0;
	if (keep != NONE)
		for (r = 0; r < nview; r++)
			if (view[r] == keep) {
				b->cur = r;
				break;
			}
	b->top = b->cur >= list_rows() ? b->cur - list_rows() + 1 : 0;
	return 0;
}

static void build_threads(struct browser *b)
{
	struct thread_msg *tm = xreallocarray(NULL, b->n ? b->n : 1, sizeof(*tm));
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct index_msg *m = mailbox_at(b->mb, i);

		tm[i].message_id = m->message_id;
		tm[i].in_reply_to = m->in_reply_to;
		tm[i].references = m->references;
		tm[i].date = m->date;
	}
	thread_free(b->thr);
	b->thr = thread_build(tm, b->n);
	free(tm);
}

static size_t cur_msg(const struct browser *b)
{
	return b->nview ? b->view[b->cur] : NONE;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the folder again, keeping marks and the cursor by message key. */
static void reload(struct browser *b)
{
	struct err err = ERR_INIT;
	char **marked = NULL, *curkey = NULL;
	size_t nmarked = 0, i, keep = NONE;

	if (cur_msg(b) != NONE)
		curkey = xstrdup(mailbox_at(b->mb, cur_msg(b))->key);
	if (b->ndel)
		marked = xreallocarray(NULL, b->ndel, sizeof(*marked));
	for (i = 0; i < b->n; i++)
		if (b->del[i] && nmarked < b->ndel)
			marked[nmarked++] = xstrdup(mailbox_at(b->mb, i)->key);
	if (nmarked)
		qsort(marked, nmarked, sizeof(*marked), cmp_str);
	if (mailbox_refresh(b->mb, &err) < 0)
		ui_error("%s", err.msg);
	b->n = mailbox_count(b->mb);
	free(b->del);
	b->del = xcalloc(b->n ? b->n : 1, 1);
	for (i = 0; i < b->n; i++) {
		const char *key = mailbox_at(b->mb, i)->key;

		if (nmarked && bsearch(&key, marked, nmarked, sizeof(*marked), cmp_str))
			b->del[i] = 1;
		if (curkey && keep == NONE && strcmp(key, curkey) == 0)
			keep = i;
	}
	for (i = 0; i < nmarked; i++)
		free(marked[i]);
	free(marked);
	free(curkey);
	if (b->threaded)
		build_threads(b);
	else {
		thread_free(b->thr);
		b->thr = NULL;
	}
	recount(b);
	if (build_view(b, keep) < 0) {
		/* An interrupted limit on new contents: show everything. */
		pattern_free(b->limit);
		b->limit = NULL;
		free(b->limit_text);
		b->limit_text = NULL;
		build_view(b, keep);
	}
	folder_stamp(b, b->stamp);
}

/* Make mb the folder shown; takes ownership of mb and name. */
static void show_folder(struct browser *b, struct mailbox *mb, char *name)
{
	mailbox_free(b->mb);
	free(b->name);
	b->mb = mb;
	b->name = name;
	b->n = mailbox_count(mb);
	free(b->del);
	b->del = xcalloc(b->n ? b->n : 1, 1);
	pattern_free(b->limit);
	b->limit = NULL;
	free(b->limit_text);
	b->limit_text = NULL;
	thread_free(b->thr);
	b->thr = NULL;
	if (b->threaded)
		build_threads(b);
	recount(b);
	build_view(b, NONE);
	folder_stamp(b, b->stamp);
}

/* ---- drawing --------------------------------------------------------- */

static void short_size(off_t n, char *out, size_t len)
{
	if (n < 1000)
		snprintf(out, len, "%lld", (long long)n);
	else if (n < 10 * 1024)
		snprintf(out, len, "%.1fK", (double)n / 1024);
	else if (n < 1000 * 1024)
		snprintf(out, len, "%lldK", (long long)(n / 1024));
	else
		snprintf(out, len, "%.1fM", (double)n / (1024 * 1024));
}

enum {
	COL_FLAGS = 0,
	COL_DATE = 4,
	COL_FROM = 15,
	W_FROM = 20,
	COL_SIZE = 36,
	W_SIZE = 5,
	COL_SUBJ = 42,
};

static void draw_row(struct browser *b, int y, size_t row)
{
	const struct index_msg *m = msg_at_row(b, row);
	size_t i = b->view[row], x;
	int sel = row == b->cur, cols = ui_cols();
	enum ui_color c = UI_NORMAL;
	unsigned long attr = sel ? A_REVERSE : 0;
	char flags[5], date[32], size[32];
	struct tm tm;
	struct buf tree = BUF_INIT;

	if (sel)
		c = UI_CURSOR;
	else if (b->del[i])
		c = UI_DELETED;
	else if (strchr(m->flags, 'F'))
		c = UI_FLAGGED;
	else if (is_unread(m))
		c = UI_NEW;
	flags[0] = b->del[i] ? 'D' : is_unread(m) ? 'N' : ' ';
	flags[1] = strchr(m->flags, 'F') ? 'F' : ' ';
	flags[2] = strchr(m->flags, 'R') ? 'R' : ' ';
	flags[3] = ' ';
	flags[4] = '\0';
	if (m->date == -1 || !localtime_r(&m->date, &tm) || !strftime(date, sizeof(date), "%Y-%m-%d", &tm))
		snprintf(date, sizeof(date), "%-10s", "?");
	short_size(m->size, size, sizeof(size));
	/* Narrow screens drop columns from the right rather than wrap. */
	ui_text(y, COL_FLAGS, (size_t)(cols < 4 ? cols : 4), flags, 4, c, attr);
	if (cols <= COL_DATE)
		return;
	ui_text(y, COL_DATE, (size_t)(cols - COL_DATE < 11 ? cols - COL_DATE : 11), date, strlen(date), c, attr);
	if (cols <= COL_FROM)
		return;
	ui_text(y, COL_FROM, (size_t)(cols - COL_FROM < W_FROM + 1 ? cols - COL_FROM : W_FROM + 1),
		m->from, strlen(m->from), c, attr);
	if (cols <= COL_SIZE)
		return;
	{
		char rs[40];

		snprintf(rs, sizeof(rs), "%*s ", W_SIZE, size);
		ui_text(y, COL_SIZE, (size_t)(cols - COL_SIZE < W_SIZE + 1 ? cols - COL_SIZE : W_SIZE + 1),
			rs, strlen(rs), c, attr);
	}
	if (cols <= COL_SUBJ)
		return;
	x = COL_SUBJ;
	if (b->threaded) {
		thread_tree(b->thr, i, 12, &tree);
		if (tree.len)
			x += ui_text(y, (int)x, (size_t)cols - x, tree.data, tree.len,
				     sel ? UI_CURSOR : UI_TREE, attr);
		buf_release(&tree);
	}
	if (x < (size_t)cols)
		ui_text(y, (int)x, (size_t)cols - x, m->subject, strlen(m->subject), c, attr);
}

/* The key bar, most used first: what does not fit is left out. */
static const struct keymap_bar index_bar[] = {
	{ 'q', "Quit" }, { 'd', "Del" }, { 'u', "Undel" }, { 's', "Move" }, { 'r', "Reply" },
	{ 'm', "Mail" }, { 'c', "Folder" }, { '/', "Search" }, { 'l', "Limit" }, { 'F', "Flag" },
	{ 'I', "Threads" }, { 'Q', "Queue" },
};

static void draw(void *arg)
{
	struct browser *b = arg;
	size_t rows = list_rows(), y;
	struct buf st = BUF_INIT, bar = BUF_INIT;
	char sync[SYNCSTATUS_REASON_MAX + 64];

	if (b->cur < b->top)
		b->top = b->cur;
	if (b->cur >= b->top + rows)
		b->top = b->cur - rows + 1;
	/* A window grown back shows rows above, not empty lines below the
	 * last message; only lowers top, so the cursor stays visible. */
	if (b->top + rows > b->nview)
		b->top = b->nview > rows ? b->nview - rows : 0;
	erase();
	keymap_bar(KEYMAP_INDEX, index_bar, sizeof(index_bar) / sizeof(index_bar[0]),
		   (size_t)ui_cols(), &bar);
	ui_help_bar(bar.data);
	buf_release(&bar);
	for (y = 0; y < rows && b->top + y < b->nview; y++)
		draw_row(b, (int)y + 1, b->top + y);
	buf_printf(&st, "-- surel: %s [Msgs:%zu New:%zu", b->name, b->n, b->nnew);
	if (b->ndel)
		buf_printf(&st, " Del:%zu", b->ndel);
	if (b->limit_text)
		buf_printf(&st, " Shown:%zu", b->nview);
	buf_printf(&st, "]%s%s Queue:%zu", mailbox_readonly(b->mb) ? " (read-only)" : "",
		   b->threaded ? " (threads)" : "", b->qcount);
	if (b->signin[0])
		buf_printf(&st, " (sign-in needed: spool auth -A %s)", b->signin);
	if (b->limit_text)
		buf_printf(&st, " (limit: %s)", b->limit_text);
	buf_printf(&st, " -- %zu/%zu", b->nview ? b->cur + 1 : 0, b->nview);
	if (b->acct && cfg_account_count(b->cfg) > 1)
		buf_printf(&st, " -- %s", cfg_account_name(b->acct));
	if (b->sync_of != b->acct)
		read_sync(b);
	syncstatus_text(&b->sync, time(NULL), sync, sizeof(sync));
	if (sync[0])
		buf_printf(&st, " -- %s", sync);
	ui_status_bar(st.data);
	buf_release(&st);
	if (b->nview == 0)
		ui_line(1, 0, b->limit_text ? "No message matches the limit." : "The folder is empty.",
			UI_NORMAL);
	ui_flush();
}

/* ---- actions --------------------------------------------------------- */

/* flags with c added (kept in ASCII order) or removed. */
static void change_flag(const char *flags, char c, int on, char out[16])
{
	size_t i, o = 0;
	int put = !on;

	for (i = 0; flags[i] && o < 14; i++) {
		if (flags[i] == c)
			continue;
		if (!put && flags[i] > c) {
			out[o++] = c;
			put = 1;
		}
		out[o++] = flags[i];
	}
	if (!put)
		out[o++] = c;
	out[o] = '\0';
}

static int set_flag(struct browser *b, size_t i, char c, int on)
{
	struct err err = ERR_INIT;
	const struct index_msg *m = mailbox_at(b->mb, i);
	int was_unread = is_unread(m);
	char flags[16];

	change_flag(m->flags, c, on, flags);
	if (strcmp(flags, m->flags) == 0)
		return 0;
	if (mailbox_set_flags(b->mb, i, flags, &err) < 0) {
		ui_error("%s", err.msg);
		return -1;
	}
	m = mailbox_at(b->mb, i);
	if (was_unread && !is_unread(m))
		b->nnew--;
	else if (!was_unread && is_unread(m))
		b->nnew++;
	return 0;
}

static void mark(struct browser *b, int del)
{
	size_t i = cur_msg(b);

	if (i == NONE)
		return;
	if (del && mailbox_readonly(b->mb)) {
		ui_error("this mbox is read-only");
		return;
	}
	if (b->del[i] != del) {
		b->del[i] = (unsigned char)del;
		if (del)
			b->ndel++;
		else
			b->ndel--;
	}
	if (b->cur + 1 < b->nview)
		b->cur++;
}

/* A folder name typed by the user to its directory: a path when it looks
 * like one, else a folder of the account.  NULL (after saying why) for a
 * name that would leave the account's mail directory ("a/../../x"). */
static char *folder_dir(const struct browser *b, const char *name)
{
	/* Paths say so ("/", "~", "./", "../"); anything else, "lists/dev"
	 * too, is a folder of the account, existing or to be made, as the
	 * folder list and Tab name them. */
	if (name[0] == '/' || name[0] == '~' || strncmp(name, "./", 2) == 0 ||
	    strncmp(name, "../", 3) == 0 || !b->root)
		return path_expand(name);
	if (!maildir_name_ok(name)) {
		ui_error("'%s' is not a folder name (no empty, '.' or '..' parts)", name);
		return NULL;
	}
	return maildir_folder_path(b->root, name);
}

static void complete_folder(void *arg, struct buf *line)
{
	struct browser *b = arg;
	struct err err = ERR_INIT;
	char **names;
	size_t n, i, nmatch = 0, common = 0;
	const char *first = NULL;
	struct buf list = BUF_INIT;

	if (!b->root || maildir_folders(b->root, &names, &n, &err) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (strncmp(names[i], line->data, line->len) != 0)
			continue;
		if (!first) {
			first = names[i];
			common = strlen(first);
		} else {
			size_t k = 0;

			while (k < common && first[k] == names[i][k])
				k++;
			common = k;
		}
		nmatch++;
		buf_printf(&list, "%s%s", list.len ? "  " : "", names[i]);
	}
	if (first && common > line->len) {
		buf_reset(line);
		buf_append(line, first, common);
	} else if (nmatch > 1) {
		ui_status_bar(list.data);
	} else if (nmatch == 0) {
		ui_status_bar("no such folder");
	}
	buf_release(&list);
	maildir_names_free(names, n);
}

static char *ask_folder(struct browser *b, const char *question)
{
	struct ui_prompt_ops ops = { complete_folder, NULL, b, NULL };
	struct buf line = BUF_INIT;

	if (ui_prompt(question, NULL, &ops, &line) < 0 || line.len == 0) {
		buf_release(&line);
		return NULL;
	}
	return buf_detach(&line, NULL);
}

/* y, or ? at an empty folder prompt: the folder browser. */
static char *pick_folder(struct browser *b)
{
	char *name;

	if (!b->root) {
		ui_error("no account: the folder list needs a configured maildir");
		return NULL;
	}
	name = folderlist_pick(b->root, b->name);
	ui_set_redraw(draw, b);
	draw(b);
	return name;
}

static int folder_prompt_key(void *arg, int k, struct buf *line)
{
	char *name;

	if (k != '?' || line->len != 0)
		return UI_KEY_PASS;
	name = pick_folder(arg);
	if (!name)
		return UI_KEY_TAKEN;
	buf_reset(line);
	buf_puts(line, name);
	free(name);
	return UI_KEY_ACCEPT;
}

static void open_folder(struct browser *b, char *name);
static int settle_marks(struct browser *b);

static void change_folder(struct browser *b)
{
	struct ui_prompt_ops ops = { complete_folder, NULL, b, folder_prompt_key };
	struct buf line = BUF_INIT;

	if (ui_prompt("Open folder: ", NULL, &ops, &line) < 0 || line.len == 0) {
		buf_release(&line);
		return;
	}
	open_folder(b, buf_detach(&line, NULL));
}

/* Open the folder called name (a name or a path); takes ownership of name. */
static void open_folder(struct browser *b, char *name)
{
	struct err err = ERR_INIT;
	struct mailbox *mb;
	char *dir;

	if (!name)
		return;
	dir = folder_dir(b, name);
	if (!dir) {
		free(name);
		return;
	}
	mb = mailbox_open(dir, &err);
	free(dir);
	if (!mb) {
		ui_error("%s", err.msg);
		free(name);
		return;
	}
	/* Marks belong to the folder left: expunge them or not, as on q. */
	if (settle_marks(b) < 0) {
		mailbox_free(mb);
		free(name);
		return;
	}
	show_folder(b, mb, name);
}

/* ---- accounts --------------------------------------------------------- */

/* Move the folder state of b into v, or (to_b) back; the side left behind
 * holds no pointers afterwards. */
static void swap_view(struct browser *b, struct acct_view *v, int to_b)
{
	struct acct_view t;

	t.acct = b->acct;
	t.root = b->root;
	t.name = b->name;
	t.mb = b->mb;
	t.n = b->n;
	t.nnew = b->nnew;
	t.ndel = b->ndel;
	t.nview = b->nview;
	t.cur = b->cur;
	t.top = b->top;
	t.del = b->del;
	t.view = b->view;
	t.thr = b->thr;
	t.threaded = b->threaded;
	t.limit = b->limit;
	t.limit_text = b->limit_text;
	memcpy(t.stamp, b->stamp, sizeof(t.stamp));
	if (!to_b) {
		*v = t;
		return;
	}
	b->acct = v->acct;
	b->root = v->root;
	b->name = v->name;
	b->mb = v->mb;
	b->n = v->n;
	b->nnew = v->nnew;
	b->ndel = v->ndel;
	b->nview = v->nview;
	b->cur = v->cur;
	b->top = v->top;
	b->del = v->del;
	b->view = v->view;
	b->thr = v->thr;
	b->threaded = v->threaded;
	b->limit = v->limit;
	b->limit_text = v->limit_text;
	memcpy(b->stamp, v->stamp, sizeof(b->stamp));
	*v = t;
}

static void view_release(struct acct_view *v)
{
	mailbox_free(v->mb);
	thread_free(v->thr);
	pattern_free(v->limit);
	free(v->limit_text);
	free(v->view);
	free(v->del);
	free(v->name);
	free(v->root);
}

/* Show account a: where it was left (marks, limit, position; the folder
 * looked at again), else its INBOX.  The account shown so far is kept. */
static void switch_account(struct browser *b, const struct cfg_account *a)
{
	struct err err = ERR_INIT;
	struct mailbox *mb = NULL;
	char *dir;
	size_t i;

	if (!a || a == b->acct)
		return;
	for (i = 0; i < b->nsaved && b->saved[i].acct != a; i++)
		;
	if (i == b->nsaved) {
		dir = maildir_folder_path(cfg_get(a, "maildir"), "INBOX");
		mb = mailbox_open(dir, &err);
		free(dir);
		if (!mb) {
			ui_error("%s", err.msg);
			return;
		}
		b->saved = xreallocarray(b->saved, b->nsaved + 1, sizeof(*b->saved));
		b->nsaved++;
		swap_view(b, &b->saved[i], 0);
		b->acct = a;
		b->root = xstrdup(cfg_get(a, "maildir"));
		b->name = NULL;
		b->mb = NULL;
		b->del = NULL;
		b->view = NULL;
		b->thr = NULL;
		b->limit = NULL;
		b->limit_text = NULL;
		b->cur = b->top = 0;
		show_folder(b, mb, xstrdup("INBOX"));
	} else {
		swap_view(b, &b->saved[i], 1);
		reload(b);
	}
	ui_message("account %s", cfg_account_name(a));
}

/* y: the folder list; with several accounts, every account's folders, and
 * picking another account's folder switches to that account. */
static void folder_list(struct browser *b)
{
	const struct cfg_account *a = NULL;
	char *name;

	if (!b->cfg || cfg_account_count(b->cfg) < 2 || !b->acct) {
		open_folder(b, pick_folder(b));
		return;
	}
	name = folderlist_pick_all(b->cfg, b->acct, b->name, &a);
	ui_set_redraw(draw, b);
	if (!name)
		return;
	if (a != b->acct)
		switch_account(b, a);
	if (a == b->acct && strcmp(name, b->name) != 0)
		open_folder(b, name);
	else
		free(name);
}

/* A: the account list; Enter switches. */
static void pick_account(struct browser *b)
{
	if (!b->cfg || !b->acct) {
		ui_error("no accounts: surel runs without a configuration");
		return;
	}
	switch_account(b, folderlist_pick_account(b->cfg, b->acct));
	ui_set_redraw(draw, b);
}

/* The Maildir at dir, made when the user agrees. */
static int ensure_maildir(const char *dir)
{
	struct err err = ERR_INIT;
	struct buf q = BUF_INIT;
	int ok;

	if (maildir_is(dir))
		return 0;
	buf_printf(&q, "Create folder %s?", dir);
	ok = ui_confirm(q.data);
	buf_release(&q);
	if (!ok)
		return -1;
	if (maildir_create(dir, &err) < 0) {
		ui_error("%s", err.msg);
		return -1;
	}
	return 0;
}

static void move_msg(struct browser *b)
{
	struct err err = ERR_INIT;
	size_t i = cur_msg(b);
	char *name, *dir;

	if (i == NONE)
		return;
	if (mailbox_readonly(b->mb)) {
		ui_error("this mbox is read-only");
		return;
	}
	name = ask_folder(b, "Move to folder: ");
	if (!name)
		return;
	dir = folder_dir(b, name);
	if (dir && ensure_maildir(dir) == 0) {
		if (mailbox_remove(b->mb, i, dir, &err) < 0) {
			ui_error("%s", err.msg);
		} else {
			/* Keep the cursor near where the message was. */
			if (b->cur + 1 < b->nview)
				b->cur++;
			else if (b->cur > 0)
				b->cur--;
			reload(b);
			ui_message("moved to %s", name);
		}
	}
	free(dir);
	free(name);
}

/* The trash folder's directory, or NULL when none is configured or the
 * folder shown is the trash itself. */
static char *trash_dir(const struct browser *b)
{
	const char *t = b->acct ? cfg_get(b->acct, "trash_folder") : NULL;
	char *dir, *a, *c;

	/* Unset is the documented default, Trash; only an explicit empty
	 * value means that deleted mail is removed for good. */
	if (b->acct && !t)
		t = "Trash";
	if (!t || !*t || !b->root)
		return NULL;
	dir = maildir_folder_path(b->root, t);
	a = realpath(dir, NULL);
	c = realpath(mailbox_path(b->mb), NULL);
	if (a && c && strcmp(a, c) == 0) {
		free(dir);
		dir = NULL;
	}
	free(a);
	free(c);
	return dir;
}

/* Remove the marked messages; -1 when some could not be (and says so). */
static int expunge(struct browser *b)
{
	struct err err = ERR_INIT;
	char *trash;
	size_t i, done = 0, failed = 0;
	int to_trash;

	if (b->ndel == 0) {
		ui_message("no message is marked for deletion");
		return 0;
	}
	trash = trash_dir(b);
	if (trash && !maildir_is(trash) && maildir_create(trash, &err) < 0) {
		ui_error("%s", err.msg);
		free(trash);
		return -1;
	}
	to_trash = trash != NULL;
	for (i = 0; i < b->n; i++) {
		if (!b->del[i])
			continue;
		if (mailbox_remove(b->mb, i, trash, &err) < 0) {
			failed++;
		} else {
			/* Its mark went with it: reload keeps marks by key,
			 * and another file may have the same key. */
			b->del[i] = 0;
			done++;
		}
	}
	free(trash);
	reload(b);
	if (failed) {
		ui_error("%zu message%s not removed: %s", failed, failed == 1 ? "" : "s", err.msg);
		return -1;
	}
	ui_message("%zu message%s %s", done, done == 1 ? "" : "s",
		   to_trash ? "moved to the trash" : "deleted");
	return 0;
}

/* Before leaving the folder (quit, c): ask to expunge what is marked.  0
 * to go on, -1 to stay: Esc at the question, or an expunge that failed
 * (its error stays on the screen). */
static int settle_marks(struct browser *b)
{
	struct buf q = BUF_INIT;
	int ans;

	if (b->ndel == 0)
		return 0;
	buf_printf(&q, "Expunge %zu marked message%s?", b->ndel, b->ndel == 1 ? "" : "s");
	ans = ui_confirm_cancel(q.data);
	buf_release(&q);
	if (ans < 0)
		return -1;
	return ans == 1 ? expunge(b) : 0;
}

static int row_matches(const struct browser *b, size_t row, const char *s)
{
	const struct index_msg *m = msg_at_row(b, row);

	return pattern_contains(m->subject, strlen(m->subject), s) ||
	       pattern_contains(m->from, strlen(m->from), s) ||
	       pattern_contains(m->from_addr, strlen(m->from_addr), s);
}

/* The first row from start on (wrapping) that matches s, or NONE. */
static size_t find_row(const struct browser *b, size_t start, const char *s)
{
	size_t k, r;

	for (k = 0; k < b->nview; k++) {
		r = (start + k) % b->nview;
		if (row_matches(b, r, s))
			return r;
	}
	return NONE;
}

static void search_changed(void *arg, const char *line)
{
	struct browser *b = arg;
	size_t r = *line ? find_row(b, b->search_from, line) : NONE;

	b->cur = r != NONE ? r : b->search_from;
	draw(b);
}

static void search(struct browser *b)
{
	struct ui_prompt_ops ops = { NULL, search_changed, b, NULL };
	struct buf line = BUF_INIT;

	if (b->nview == 0)
		return;
	b->search_from = b->cur;
	if (ui_prompt("Search: ", NULL, &ops, &line) < 0 || line.len == 0) {
		b->cur = b->search_from;
		buf_release(&line);
		return;
	}
	buf_reset(&b->search);
	buf_append(&b->search, line.data, line.len);
	buf_release(&line);
	if (!row_matches(b, b->cur, b->search.data))
		ui_error("not found: %s", b->search.data);
}

static void search_next(struct browser *b)
{
	size_t r;

	if (b->search.len == 0) {
		ui_error("no search yet (use /)");
		return;
	}
	if (b->nview == 0)
		return;
	r = find_row(b, (b->cur + 1) % b->nview, b->search.data);
	if (r == NONE)
		ui_error("not found: %s", b->search.data);
	else {
		if (r <= b->cur)
			ui_message("search wrapped");
		b->cur = r;
	}
}

static void limit(struct browser *b)
{
	struct err err = ERR_INIT;
	struct buf line = BUF_INIT;
	struct pattern *p = NULL, *old;
	char *oldtext;

	if (ui_prompt("Limit to (empty or ~A for all): ", b->limit_text, NULL, &line) < 0) {
		buf_release(&line);
		return;
	}
	if (line.len && strcmp(line.data, "~A") != 0) {
		p = pattern_parse(line.data, time(NULL), &err);
		if (!p) {
			ui_error("%s", err.msg);
			buf_release(&line);
			return;
		}
	}
	old = b->limit;
	oldtext = b->limit_text;
	b->limit = p;
	b->limit_text = p ? buf_detach(&line, NULL) : NULL;
	if (build_view(b, cur_msg(b)) < 0) {
		pattern_free(b->limit);
		free(b->limit_text);
		b->limit = old;
		b->limit_text = oldtext;
	} else {
		pattern_free(old);
		free(oldtext);
	}
	buf_release(&line);
}

static void toggle_threads(struct browser *b)
{
	size_t keep = cur_msg(b);

	b->threaded = !b->threaded;
	if (b->threaded && !b->thr)
		build_threads(b);
	if (build_view(b, keep) < 0) {
		b->threaded = !b->threaded;
		build_view(b, keep);
	}
}

/* f: inline or as an attachment, as forward_attach says (yes, no, ask). */
static enum composeui_kind forward_kind(const struct browser *b)
{
	const char *v = b->cfg ? cfg_general(b->cfg, "forward_attach") : NULL;

	if (!v || strchr("nNfF0", v[0]) || strcasecmp(v, "off") == 0)
		return COMPOSEUI_FORWARD;
	if (strcasecmp(v, "ask") == 0)
		return ui_confirm("Forward as attachment?") ? COMPOSEUI_FORWARD_ATTACH : COMPOSEUI_FORWARD;
	return COMPOSEUI_FORWARD_ATTACH;
}

/* m, r, g, f: the compose screen; a sent reply marks its original
 * replied (through the folder, so the index and its cache follow). */
static void compose(struct browser *b, enum composeui_kind kind)
{
	struct err err = ERR_INIT;
	size_t i = cur_msg(b);
	char *data = NULL;
	size_t len = 0;
	enum composeui_result r;

	if (kind != COMPOSEUI_NEW) {
		if (i == NONE)
			return;
		if (mailbox_read(b->mb, i, &data, &len, &err) < 0) {
			ui_error("%s", err.msg);
			return;
		}
	}
	r = composeui_run(b->cfg, b->acct ? cfg_account_name(b->acct) : NULL, b->q, kind, data, len);
	ui_set_redraw(draw, b);
	free(data);
	if (r == COMPOSEUI_SENT && (kind == COMPOSEUI_REPLY || kind == COMPOSEUI_GROUP))
		set_flag(b, i, 'R', 1);
	count_queue(b);
}

/* Set or clear R on the message with message_id: in the folder on screen
 * when it is there (through its index); clear it also in the account's
 * other folders, then in the other accounts'. */
static void set_replied(struct browser *b, const char *message_id, int on)
{
	struct err err = ERR_INIT;
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		if (mailbox_at(b->mb, i)->message_id &&
		    strcmp(mailbox_at(b->mb, i)->message_id, message_id) == 0) {
			set_flag(b, i, 'R', on);
			return;
		}
	}
	if (on || !b->root)
		return;
	/* The account shown first, then the others: a reply is often
	 * written from another account than the original's folder. */
	rc = recall_unreply(b->root, mailbox_path(b->mb), message_id, &err);
	for (i = 0; rc == 0 && b->cfg && i < cfg_account_count(b->cfg); i++) {
		const char *root = cfg_get(cfg_account_at(b->cfg, i), "maildir");

		if (strcmp(root, b->root) != 0)
			rc = recall_unreply(root, NULL, message_id, &err);
	}
	if (rc < 0)
		ui_error("%s", err.msg);
}

/* R, and m when Drafts holds messages: resume a postponed message. */
static void recall(struct browser *b)
{
	char *irt = NULL;

	recall_run(b->cfg, b->acct, b->q, &irt);
	ui_set_redraw(draw, b);
	if (irt)
		set_replied(b, irt, 1);
	free(irt);
	count_queue(b);
}

/* m: a new message, or a postponed one when the user wants it back. */
static void new_message(struct browser *b)
{
	if (recall_count(b->acct) > 0 && ui_confirm("Recall postponed message?"))
		recall(b);
	else
		compose(b, COMPOSEUI_NEW);
}

/* qview's undo send: the original is no longer replied to. */
static void unsent(void *arg, const char *in_reply_to)
{
	if (in_reply_to)
		set_replied(arg, in_reply_to, 0);
}

static void open_msg(struct browser *b)
{
	struct err err = ERR_INIT;
	enum pager_action act;
	char *data;
	size_t len, i;
	struct buf title = BUF_INIT;

	while ((i = cur_msg(b)) != NONE) {
		if (mailbox_read(b->mb, i, &data, &len, &err) < 0) {
			ui_error("%s", err.msg);
			break;
		}
		set_flag(b, i, 'S', 1);
		buf_reset(&title);
		buf_printf(&title, "%s %zu/%zu", b->name, b->cur + 1, b->nview);
		act = pager_show(data, len, title.data);
		free(data);
		ui_set_redraw(draw, b);
		if (act == PAGER_NEXT && b->cur + 1 < b->nview) {
			b->cur++;
			continue;
		}
		if (act == PAGER_PREV && b->cur > 0) {
			b->cur--;
			continue;
		}
		if (act == PAGER_DELETE) {
			mark(b, 1);
			continue;
		}
		if (act == PAGER_FLAG) {
			set_flag(b, i, 'F', !strchr(mailbox_at(b->mb, i)->flags, 'F'));
			continue;
		}
		if (act == PAGER_REPLY || act == PAGER_GROUP || act == PAGER_FORWARD)
			compose(b, act == PAGER_REPLY ? COMPOSEUI_REPLY :
				   act == PAGER_GROUP ? COMPOSEUI_GROUP : forward_kind(b));
		break;
	}
	buf_release(&title);
}

static void quit(struct browser *b)
{
	if (settle_marks(b) == 0)
		b->quit = 1;
}

static void idle(struct browser *b)
{
	struct timespec now[2];

	count_queue(b);
	read_sync(b);
	if (mailbox_readonly(b->mb))
		return;
	folder_stamp(b, now);
	if (memcmp(now, b->stamp, sizeof(now)) != 0) {
		size_t before = b->n;

		reload(b);
		if (b->n > before)
			ui_message("new mail: %zu message%s", b->n - before, b->n - before == 1 ? "" : "s");
	}
}

static void key(struct browser *b, int k)
{
	size_t rows = list_rows();

	switch (k) {
	case 'j':
		if (b->cur + 1 < b->nview)
			b->cur++;
		break;
	case 'k':
		if (b->cur > 0)
			b->cur--;
		break;
	case KEY_NPAGE:
		if (b->nview)
			b->cur = b->cur + rows < b->nview ? b->cur + rows : b->nview - 1;
		break;
	case KEY_PPAGE:
		b->cur = b->cur > rows ? b->cur - rows : 0;
		break;
	case '=':
		b->cur = 0;
		break;
	case '*':
		b->cur = b->nview ? b->nview - 1 : 0;
		break;
	case '\n':
		open_msg(b);
		break;
	case 'q':
		quit(b);
		break;
	case 'd':
		mark(b, 1);
		break;
	case 'u':
		mark(b, 0);
		break;
	case 'F':
		if (cur_msg(b) != NONE)
			set_flag(b, cur_msg(b), 'F', !strchr(mailbox_at(b->mb, cur_msg(b))->flags, 'F'));
		break;
	case '$':
		expunge(b);
		break;
	case 's':
		move_msg(b);
		break;
	case 'c':
		change_folder(b);
		break;
	case 'y':
		folder_list(b);
		break;
	case 'A':
		pick_account(b);
		break;
	case '/':
		search(b);
		break;
	case 'n':
		search_next(b);
		break;
	case 'l':
		limit(b);
		break;
	case 'I':
		toggle_threads(b);
		break;
	case 'm':
		new_message(b);
		break;
	case 'R':
		recall(b);
		break;
	case 'r':
		compose(b, COMPOSEUI_REPLY);
		break;
	case 'g':
		compose(b, COMPOSEUI_GROUP);
		break;
	case 'f':
		if (cur_msg(b) != NONE)
			compose(b, forward_kind(b));
		break;
	case KEYMAP_FORWARD_ATTACH:
		/* Esc f (mutt's forward-message with mime_forward set): forward
		 * as an attachment whatever forward_attach says. */
		compose(b, COMPOSEUI_FORWARD_ATTACH);
		break;
	case 'Q':
		if (!b->q) {
			ui_error("the outgoing queue cannot be opened");
			break;
		}
		qview_show(b->q, b->cfg, unsent, b);
		ui_set_redraw(draw, b);
		count_queue(b);
		break;
	case '?':
		keymap_help(KEYMAP_INDEX);
		break;
	case UI_KEY_CTRL('l'):
		clearok(curscr, TRUE);
		break;
	case ERR:
		idle(b);
		break;
	default:
		break;
	}
}

int browser_run(const struct browser_opts *o, struct err *err)
{
	struct browser b;
	struct err qerr = ERR_INIT;
	struct mailbox *mb;

	mb = mailbox_open(o->folder, err);
	if (!mb)
		return -1;
	ui_set_colors(o->cfg);
	if (ui_start(err) < 0) {
		mailbox_free(mb);
		return -1;
	}
	memset(&b, 0, sizeof(b));
	buf_init(&b.search);
	b.cfg = o->cfg;
	b.acct = o->account;
	b.root = o->account ? xstrdup(cfg_get(o->account, "maildir")) : NULL;
	b.q = queue_open(NULL, &qerr);
	count_queue(&b);
	show_folder(&b, mb, xstrdup(o->name));
	ui_set_redraw(draw, &b);
	draw(&b);
	if (o->keys)
		ui_push_keys(o->keys);
	while (!b.quit) {
		draw(&b);
		key(&b, keymap_read(KEYMAP_INDEX, IDLE_MS));
	}
	ui_set_redraw(NULL, NULL);
	ui_end();
	queue_close(b.q);
	mailbox_free(b.mb);
	thread_free(b.thr);
	pattern_free(b.limit);
	free(b.limit_text);
	while (b.nsaved > 0)
		view_release(&b.saved[--b.nsaved]);
	free(b.saved);
	free(b.view);
	free(b.del);
	free(b.name);
	free(b.root);
	buf_release(&b.search);
	return 0;
}
