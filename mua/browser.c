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
#include "identity.h"
#include "idxhint.h"
#include "keymap.h"
#include "mailbox.h"
#include "maildir.h"
#include "mbox.h"
#include "msg.h"
#include "oauth2.h"
#include "pager.h"
#include "path.h"
#include "patenv.h"
#include "pattern.h"
#include "pipe.h"
#include "queue.h"
#include "qview.h"
#include "recall.h"
#include "save.h"
#include "sort.h"
#include "sortstate.h"
#include "syncstatus.h"
#include "thread.h"
#include "trackview.h"
#include "ui.h"
#include "unread.h"
#include "weed.h"
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
	unsigned char *tag;      /* per message: tagged (t, T; ; acts on them) */
	size_t ntag;
	int pipe_decode;         /* | gives the decoded text, not the raw bytes */
	struct identity *ids;    /* the user's addresses, for "To name" */
	size_t nids;
	size_t *view;            /* row -> message, after threads and limit */
	size_t nview;
	struct thread *thr;      /* built on the first T */
	int threaded;
	unsigned char *coll;     /* per thread's first message: collapsed */
	struct sort *srt;        /* collation keys and orders of mb */
	struct sortstate order;  /* the order chosen (o, O) */
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
	struct pattern_env penv; /* the user's addresses and lists (lists.h) */
	struct trackview *tv;    /* delivery states of sent mail (the mark column) */
};

/* What the index keeps of an account while another one is shown, so that
 * switching back finds its folder, marks, limit, threads and position. */
struct acct_view {
	const struct cfg_account *acct;
	char *root, *name;
	struct mailbox *mb;
	size_t n, nnew, ndel, nview, cur, top, ntag;
	unsigned char *del, *tag;
	size_t *view;
	struct thread *thr;
	int threaded;
	unsigned char *coll;
	struct sort *srt;
	struct sortstate order;
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

	trackview_refresh(&b->tv);
	b->nnew = b->ndel = b->ntag = 0;
	for (i = 0; i < b->n; i++) {
		if (is_unread(mailbox_at(b->mb, i)))
			b->nnew++;
		if (b->del[i])
			b->ndel++;
		if (b->tag[i])
			b->ntag++;
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
	pm->to_all = m->to_all;
	pm->cc_all = m->cc_all;
	pm->list = m->list;
	pm->env = &b->penv;
}

struct body_arg {
	struct browser *b;
	size_t msg;
	size_t done, total;       /* messages looked at, of how many */
	unsigned long long bytes; /* body bytes read before this message */
	struct timespec last;     /* the last look at the keyboard */
	int stopped;              /* a key stopped the search */
	struct bodysearch_index *bi; /* the account's search index, or NULL */
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
static int body_has(void *arg, const struct pattern_re *needle, unsigned flags)
{
	struct body_arg *ba = arg;
	struct err err = ERR_INIT;
	struct stat st;
	char *data;
	size_t len;
	int fd, r;

	if (ba->bi) {
		r = bodysearch_index_has(ba->bi, pattern_re_source(needle),
					 (flags & PATTERN_BODY_WHOLE) != 0,
					 mailbox_at(ba->b->mb, ba->msg)->key);
		if (r >= 0)
			return r;
	}
	fd = mailbox_open_msg(ba->b->mb, ba->msg, &err);
	if (fd >= 0) {
		r = bodysearch_fd(fd, needle, (flags & PATTERN_BODY_WHOLE) ? BODYSEARCH_WHOLE : 0,
				  body_progress, ba);
		if (fstat(fd, &st) == 0)
			ba->bytes += (unsigned long long)st.st_size;
		close(fd);
		/* A read error is no match; only a key stops the limit. */
		return r < 0 && !ba->stopped ? 0 : r;
	}
	if (mailbox_read(ba->b->mb, ba->msg, &data, &len, &err) < 0)
		return 0;
	r = bodysearch_mem(data, len, needle, (flags & PATTERN_BODY_WHOLE) ? BODYSEARCH_WHOLE : 0,
			   body_progress, ba);
	ba->bytes += len;
	free(data);
	return r;
}

/* The message at row r of the folder without threads, in the chosen order. */
static size_t sorted_at(struct browser *b, size_t r)
{
	const size_t *o = sort_order(b->srt, b->order.sort.key);

	return o[b->order.sort.reverse ? b->n - 1 - r : r];
}

/* Collation keys for the messages of mb, after each read of the folder. */
static void build_sort(struct browser *b)
{
	struct sort_msg *sm = xreallocarray(NULL, b->n ? b->n : 1, sizeof(*sm));
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct index_msg *m = mailbox_at(b->mb, i);

		sm[i].date = m->date;
		sm[i].received = sort_key_time(m->key);
		sm[i].size = m->size;
		sm[i].from = m->from;
		sm[i].to = m->to;
		sm[i].subject = m->subject;
	}
	sort_free(b->srt);
	b->srt = sort_new(sm, b->n);
	free(sm);
}

/* Recompute the rows.  keep is a message to keep the cursor on (NONE: the
 * last row, as a fresh folder opens on its newest message).  Returns -1
 * when the user interrupted a body search; the old view stays then. */
static int build_view(struct browser *b, size_t keep)
{
	size_t *view = xreallocarray(NULL, b->n ? b->n : 1, sizeof(*view));
	size_t nview = 0, r, i, root = NONE;
	int uses_body = b->limit && pattern_uses_body(b->limit);

	struct body_arg ba;

	memset(&ba, 0, sizeof(ba));
	ba.b = b;
	ba.total = b->n;
	clock_gettime(CLOCK_MONOTONIC, &ba.last);
	if (uses_body)
		ui_message("searching message bodies: 0/%zu (any key stops)", b->n);
	if (uses_body && !mailbox_readonly(b->mb))
		ba.bi = bodysearch_index_open(b->acct, b->root, mailbox_path(b->mb));
	for (r = 0; r < b->n; r++) {
		i = b->threaded ? thread_msg_at(b->thr, r) : sorted_at(b, r);
		if (b->threaded && thread_depth(b->thr, i) == 0)
			root = i;
		else if (b->threaded && root != NONE && b->coll[root])
			continue;
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
				bodysearch_index_free(ba.bi);
				ui_error("limit interrupted");
				return -1;
			}
			if (m != 1)
				continue;
		}
		view[nview++] = i;
	}
	bodysearch_index_free(ba.bi);
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
	const size_t *rank = sort_rank(b->srt, b->order.aux.key, b->order.aux.reverse);
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct index_msg *m = mailbox_at(b->mb, i);

		tm[i].message_id = m->message_id;
		tm[i].in_reply_to = m->in_reply_to;
		tm[i].references = m->references;
		/* thread.h orders threads and siblings by this number. */
		tm[i].date = (time_t)rank[i];
	}
	thread_free(b->thr);
	b->thr = thread_build(tm, b->n);
	free(tm);
	/* Message numbers changed: every thread opens again. */
	free(b->coll);
	b->coll = xcalloc(b->n ? b->n : 1, 1);
}

static size_t cur_msg(const struct browser *b)
{
	return b->nview ? b->view[b->cur] : NONE;
}

/* A message's marks (deletion, tag) kept over a read of the folder. */
struct kept {
	char *key;
	unsigned char del, tag, is_new;
};

static int cmp_kept(const void *a, const void *b)
{
	return strcmp(((const struct kept *)a)->key, ((const struct kept *)b)->key);
}

/* The marks kept for m: by key, and for one of two files with the same
 * key (twin) by where it is too, so a mark never spreads to the other. */
static const struct kept *find_kept(const struct kept *v, size_t n, const struct index_msg *m)
{
	const struct kept *hit, *lo, *hi;
	struct kept probe;

	probe.key = (char *)m->key;
	hit = n ? bsearch(&probe, v, n, sizeof(*v), cmp_kept) : NULL;
	if (!hit || !m->twin)
		return hit;
	for (lo = hit; lo > v && strcmp(lo[-1].key, m->key) == 0; lo--)
		;
	for (hi = hit; hi + 1 < v + n && strcmp(hi[1].key, m->key) == 0; hi++)
		;
	for (; lo <= hi; lo++)
		if (lo->is_new == (m->is_new != 0))
			return lo;
	return NULL;
}

/* Read the folder again, keeping marks, tags and the cursor by message key. */
static void reload(struct browser *b)
{
	struct err err = ERR_INIT;
	struct kept *marked = NULL;
	const struct kept *hit;
	char *curkey = NULL;
	size_t nmarked = 0, i, keep = NONE;

	if (cur_msg(b) != NONE)
		curkey = xstrdup(mailbox_at(b->mb, cur_msg(b))->key);
	if (b->ndel + b->ntag)
		marked = xreallocarray(NULL, b->ndel + b->ntag, sizeof(*marked));
	for (i = 0; i < b->n; i++)
		if ((b->del[i] || b->tag[i]) && nmarked < b->ndel + b->ntag) {
			marked[nmarked].key = xstrdup(mailbox_at(b->mb, i)->key);
			marked[nmarked].del = b->del[i];
			marked[nmarked].is_new = mailbox_at(b->mb, i)->is_new != 0;
			marked[nmarked++].tag = b->tag[i];
		}
	if (nmarked)
		qsort(marked, nmarked, sizeof(*marked), cmp_kept);
	if (mailbox_refresh(b->mb, &err) < 0)
		ui_error("%s", err.msg);
	b->n = mailbox_count(b->mb);
	free(b->del);
	free(b->tag);
	b->del = xcalloc(b->n ? b->n : 1, 1);
	b->tag = xcalloc(b->n ? b->n : 1, 1);
	for (i = 0; i < b->n; i++) {
		const char *key = mailbox_at(b->mb, i)->key;

		hit = find_kept(marked, nmarked, mailbox_at(b->mb, i));
		if (hit) {
			b->del[i] = hit->del;
			b->tag[i] = hit->tag;
		}
		if (curkey && keep == NONE && strcmp(key, curkey) == 0)
			keep = i;
	}
	for (i = 0; i < nmarked; i++)
		free(marked[i].key);
	free(marked);
	free(curkey);
	build_sort(b);
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

/* The order of the folder shown: as it was left, else the configuration's
 * sort and sort_aux, else by date. */
static void load_order(struct browser *b)
{
	const char *s = b->cfg ? cfg_general(b->cfg, "sort") : NULL;
	const char *aux = b->cfg ? cfg_general(b->cfg, "sort_aux") : NULL;
	struct sortstate *o = &b->order;

	memset(o, 0, sizeof(*o));
	if (!sortstate_get(mailbox_path(b->mb), o)) {
		if (s && sortspec_parse(s, &o->sort) == 0 && o->sort.key == SORTSPEC_THREADS) {
			o->threads = 1;
			o->aux.reverse = o->sort.reverse;
			o->sort.key = SORTSPEC_DATE;
			o->sort.reverse = 0;
		}
		if (aux && sortspec_parse(aux, &o->aux) == 0 && o->threads && s && strncmp(s, "reverse-", 8) == 0)
			o->aux.reverse = !o->aux.reverse;
	}
	b->threaded = o->threads;
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
	free(b->tag);
	b->tag = xcalloc(b->n ? b->n : 1, 1);
	pattern_free(b->limit);
	b->limit = NULL;
	free(b->limit_text);
	b->limit_text = NULL;
	thread_free(b->thr);
	b->thr = NULL;
	build_sort(b);
	load_order(b);
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

/* The sender column: the sender, or for the user's own messages (a Sent
 * folder) the recipient as "To name", as mutt's %F shows it. */
static void sender_column(const struct browser *b, const struct index_msg *m, struct buf *out)
{
	size_t k;

	/* Exact addresses only: a "*@domain" alias would make every
	 * colleague's mail look like one's own. */
	for (k = 0; *m->to && k < b->nids; k++)
		if (strcasecmp(b->ids[k].addr, m->from_addr) == 0) {
			buf_printf(out, "To %s", m->to);
			return;
		}
	buf_puts(out, m->from);
}

/* The thread's first row: walking up from message i. */
static size_t thread_root(const struct browser *b, size_t i)
{
	size_t p;

	while ((p = thread_parent(b->thr, i)) != NONE)
		i = p;
	return i;
}

/* How many messages the thread starting with message root holds. */
static size_t thread_size(const struct browser *b, size_t root)
{
	size_t r = thread_row_of(b->thr, root) + 1, n = 1;

	while (r < b->n && thread_depth(b->thr, thread_msg_at(b->thr, r)) > 0) {
		r++;
		n++;
	}
	return n;
}

/* Whether message i's subject repeats its parent's (mutt's
 * hide_thread_subject): replies down a tree show only the tree. */
static int same_subject(const struct browser *b, size_t i)
{
	size_t p = thread_parent(b->thr, i);

	if (p == NONE)
		return 0;
	return strcasecmp(sort_subject_base(mailbox_at(b->mb, i)->subject),
			  sort_subject_base(mailbox_at(b->mb, p)->subject)) == 0;
}

static void draw_row(struct browser *b, int y, size_t row)
{
	const struct index_msg *m = msg_at_row(b, row);
	size_t i = b->view[row], x;
	int sel = row == b->cur, cols = ui_cols();
	enum ui_color c = UI_NORMAL;
	unsigned long attr = sel ? A_REVERSE : 0;
	char flags[5], date[32], size[32];
	struct tm tm;
	struct buf tree = BUF_INIT, who = BUF_INIT;

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
	flags[3] = b->tag[i] ? '*' : trackview_mark(b->tv, m->message_id);
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
	sender_column(b, m, &who);
	ui_text(y, COL_FROM, (size_t)(cols - COL_FROM < W_FROM + 1 ? cols - COL_FROM : W_FROM + 1),
		who.data, who.len, c, attr);
	buf_release(&who);
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
		if (b->coll[i] && thread_size(b, i) > 1)
			buf_printf(&tree, "[+%zu] ", thread_size(b, i) - 1);
		if (tree.len)
			x += ui_text(y, (int)x, (size_t)cols - x, tree.data, tree.len,
				     sel ? UI_CURSOR : UI_TREE, attr);
		buf_release(&tree);
		if (same_subject(b, i))
			return;
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
	if (b->ntag)
		buf_printf(&st, " Tag:%zu", b->ntag);
	if (b->limit_text)
		buf_printf(&st, " Shown:%zu", b->nview);
	buf_printf(&st, "]%s%s Queue:%zu", mailbox_readonly(b->mb) ? " (read-only)" : "",
		   b->threaded ? " (threads)" : "", b->qcount);
	if (!b->threaded && (b->order.sort.key != SORTSPEC_DATE || b->order.sort.reverse))
		buf_printf(&st, " (sort: %s%s)", b->order.sort.reverse ? "reverse-" : "",
			   sortspec_name(b->order.sort.key));
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
	t.ntag = b->ntag;
	t.tag = b->tag;
	t.nview = b->nview;
	t.cur = b->cur;
	t.top = b->top;
	t.del = b->del;
	t.view = b->view;
	t.thr = b->thr;
	t.threaded = b->threaded;
	t.coll = b->coll;
	t.srt = b->srt;
	t.order = b->order;
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
	b->ntag = v->ntag;
	b->tag = v->tag;
	b->nview = v->nview;
	b->cur = v->cur;
	b->top = v->top;
	b->del = v->del;
	b->view = v->view;
	b->thr = v->thr;
	b->threaded = v->threaded;
	b->coll = v->coll;
	b->srt = v->srt;
	b->order = v->order;
	b->limit = v->limit;
	b->limit_text = v->limit_text;
	memcpy(b->stamp, v->stamp, sizeof(b->stamp));
	*v = t;
}

static void view_release(struct acct_view *v)
{
	mailbox_free(v->mb);
	thread_free(v->thr);
	free(v->coll);
	sort_free(v->srt);
	pattern_free(v->limit);
	free(v->limit_text);
	free(v->view);
	free(v->del);
	free(v->tag);
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
		b->tag = NULL;
		b->view = NULL;
		b->thr = NULL;
		b->coll = NULL;
		b->srt = NULL;
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

/* Messages of the account were moved, copied or removed: its search
 * index follows in the background (lib/idxhint.h). */
static void note_index(const struct browser *b)
{
	if (b->acct && b->root)
		idxhint_note(b->acct);
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
	if (done)
		note_index(b);
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

/* Whether row matches p; -1 when a key stopped a body search. */
static int row_matches(struct browser *b, size_t row, const struct pattern *p,
		       struct body_arg *ba)
{
	struct pattern_msg pm;

	ba->msg = b->view[row];
	fill_pmsg(b, b->view[row], &pm);
	return pattern_match(p, &pm, body_has, ba);
}

/* The first row from start on (wrapping) that matches p, or NONE (also
 * when a key stopped a body search: *stopped says so). */
static size_t find_row(struct browser *b, size_t start, const struct pattern *p, int *stopped)
{
	struct body_arg ba;
	size_t k, r;
	int m;

	memset(&ba, 0, sizeof(ba));
	ba.b = b;
	ba.total = b->nview;
	clock_gettime(CLOCK_MONOTONIC, &ba.last);
	*stopped = 0;
	for (k = 0; k < b->nview; k++) {
		r = (start + k) % b->nview;
		ba.done = k;
		m = row_matches(b, r, p, &ba);
		if (m < 0) {
			*stopped = 1;
			return NONE;
		}
		if (m == 1)
			return r;
	}
	return NONE;
}

/* The search text as a pattern (a bare word is "~f word | ~s word", as
 * mutt's simple search); NULL with err filled when it does not parse. */
static struct pattern *search_pattern(const char *text, struct err *err)
{
	return pattern_parse(text, time(NULL), err);
}

/* As the user types: header terms only (a body search waits for Enter),
 * and a pattern not finished yet leaves the cursor where it was. */
static void search_changed(void *arg, const char *line)
{
	struct browser *b = arg;
	struct err err = ERR_INIT;
	struct pattern *p = *line ? search_pattern(line, &err) : NULL;
	size_t r = NONE;
	int stopped;

	if (p && !pattern_uses_body(p))
		r = find_row(b, b->search_from, p, &stopped);
	pattern_free(p);
	b->cur = r != NONE ? r : b->search_from;
	draw(b);
}

/* Search for b->search from row start; says why when nothing is found. */
static void search_from(struct browser *b, size_t start, int wrap_note)
{
	struct err err = ERR_INIT;
	struct pattern *p = search_pattern(b->search.data, &err);
	size_t r;
	int stopped;

	if (!p) {
		ui_error("%s", err.msg);
		return;
	}
	if (pattern_uses_body(p))
		ui_message("searching message bodies (any key stops)");
	r = find_row(b, start, p, &stopped);
	pattern_free(p);
	if (stopped) {
		ui_error("search interrupted");
	} else if (r == NONE) {
		ui_error("not found: %s", b->search.data);
	} else {
		if (wrap_note && r <= b->cur)
			ui_message("search wrapped");
		else
			ui_message("%s", "");
		b->cur = r;
	}
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
	b->cur = b->search_from;
	search_from(b, b->search_from, 0);
}

static void search_next(struct browser *b)
{
	if (b->search.len == 0) {
		ui_error("no search yet (use /)");
		return;
	}
	if (b->nview == 0)
		return;
	search_from(b, (b->cur + 1) % b->nview, 1);
}

/* M-/: search-body, "/" with ~b around what is typed. */
static void search_body(struct browser *b)
{
	struct buf line = BUF_INIT;
	const char *c;

	if (b->nview == 0)
		return;
	if (ui_prompt("Search bodies: ", NULL, NULL, &line) < 0 || line.len == 0) {
		buf_release(&line);
		return;
	}
	buf_reset(&b->search);
	if (!strchr(line.data, '\'')) {
		buf_printf(&b->search, "~b '%s'", line.data);
	} else {
		buf_puts(&b->search, "~b \"");
		for (c = line.data; *c; c++) {
			if (*c == '"' || *c == '\\')
				buf_putc(&b->search, '\\');
			buf_putc(&b->search, *c);
		}
		buf_putc(&b->search, '"');
	}
	buf_release(&line);
	search_from(b, b->cur, 0);
}

/* ---- read state ------------------------------------------------------- */

/* N: unread to read and back, then on to the next message as d does. */
static void toggle_new(struct browser *b)
{
	size_t i = cur_msg(b);

	if (i == NONE)
		return;
	if (set_flag(b, i, 'S', is_unread(mailbox_at(b->mb, i))) == 0 && b->cur + 1 < b->nview)
		b->cur++;
}

/* The first row from row on with an unread message not marked deleted. */
static size_t unread_row(const struct browser *b, size_t row)
{
	for (; row < b->nview; row++)
		if (is_unread(msg_at_row(b, row)) && !b->del[b->view[row]])
			return row;
	return NONE;
}

/* next-unread-mailbox: the next folder with unread mail, the cursor on
 * its first unread message; with ask, only when the user agrees. */
static void next_unread_mailbox(struct browser *b, int ask)
{
	struct buf q = BUF_INIT;
	size_t unread = 0, r;
	char *name, *want;

	if (!b->root) {
		ui_error("no account: other folders need a configured maildir");
		return;
	}
	name = unread_next_folder(b->root, b->name, &unread);
	if (!name) {
		ui_error(ask ? "no more unread messages" : "no other folder has unread mail");
		return;
	}
	buf_printf(&q, "No more unread messages here; open %s (%zu unread)?", name, unread);
	if (ask && !ui_confirm(q.data)) {
		buf_release(&q);
		free(name);
		return;
	}
	buf_release(&q);
	want = xstrdup(name);
	open_folder(b, name);
	if (strcmp(b->name, want) == 0 && (r = unread_row(b, 0)) != NONE)
		b->cur = r;
	free(want);
}

/* Tab: the next unread message, else the next folder with some. */
static void next_unread(struct browser *b)
{
	size_t r = unread_row(b, b->nview ? b->cur + 1 : 0);

	if (r != NONE)
		b->cur = r;
	else
		next_unread_mailbox(b, 1);
}

/* read-limit: every unread message the index shows marked read. */
static void read_limit(struct browser *b)
{
	struct buf q = BUF_INIT;
	size_t r, n = 0, done = 0;

	for (r = 0; r < b->nview; r++)
		n += is_unread(msg_at_row(b, r));
	if (n == 0) {
		ui_message("no unread message %s", b->limit_text ? "in the limit" : "in the folder");
		return;
	}
	buf_printf(&q, "Mark %zu unread message%s %sread?", n, n == 1 ? "" : "s",
		   b->limit_text ? "of the limit " : "");
	if (ui_confirm(q.data)) {
		for (r = 0; r < b->nview; r++)
			if (is_unread(msg_at_row(b, r)) && set_flag(b, b->view[r], 'S', 1) == 0)
				done++;
		ui_message("%zu message%s marked read", done, done == 1 ? "" : "s");
	}
	buf_release(&q);
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
	/* mutt's shorthands for every message: "all" and "." */
	if (line.len && strcmp(line.data, "~A") != 0 && strcasecmp(line.data, "all") != 0 &&
	    strcmp(line.data, ".") != 0) {
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

/* Indexing progress of search-all on the message line, ten times a
 * second.  The results' folder calls it again at each refresh, long
 * after search_all() returned: its state is here, not on a stack. */
static void index_progress(void *arg, size_t done, size_t total)
{
	static struct timespec last;

	if (done != total && ms_since(&last) < 100)
		return;
	clock_gettime(CLOCK_MONOTONIC, &last);
	ui_message("indexing: %zu of %zu messages", done, total);
}

/* X (search-all): the messages of every folder of the account that match
 * a query of the search index (spool(1)), as a folder of their own. */
static void search_all(struct browser *b)
{
	struct err err = ERR_INIT;
	struct buf line = BUF_INIT;
	const char *trash = b->acct ? cfg_get(b->acct, "trash_folder") : NULL;
	struct mailbox *mb;

	if (!b->root) {
		ui_error("no account: searching every folder needs a configured maildir");
		return;
	}
	if (ui_prompt("Search all folders: ", NULL, NULL, &line) < 0 || line.len == 0) {
		buf_release(&line);
		return;
	}
	/* The trash (unset is Trash, as for expunge) is left out: what is
	 * deleted from the results leaves them. */
	mb = mailbox_open_search(b->acct, b->root, line.data, trash ? trash : "Trash",
				 index_progress, NULL, &err);
	if (!mb) {
		ui_error("%s", err.msg);
		buf_release(&line);
		return;
	}
	if (settle_marks(b) < 0) {
		mailbox_free(mb);
		buf_release(&line);
		return;
	}
	show_folder(b, mb, xasprintf("search: %s", line.data));
	ui_message("%zu message%s found", b->n, b->n == 1 ? "" : "s");
	buf_release(&line);
}

/* Remember the folder's order for the next session. */
static void save_order(struct browser *b)
{
	struct err err = ERR_INIT;

	b->order.threads = b->threaded;
	if (sortstate_put(mailbox_path(b->mb), &b->order, &err) < 0)
		ui_error("order not kept for the next session: %s", err.msg);
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
	save_order(b);
}

/* o, O (mutt's sort-mailbox, sort-reverse): ask for an order. */
static void sort_mailbox(struct browser *b, int reverse)
{
	static const char letters[] = "drfosz";
	const char *p;
	size_t keep = cur_msg(b);
	struct sortstate old = b->order;
	int oldthr = b->threaded, k;

	ui_message("%sSort by (d)ate (r)eceived (f)rom t(o) (s)ubject si(z)e (t)hreads?",
		   reverse ? "Reverse-" : "");
	k = ui_getkey(-1);
	ui_message("%s", "");
	if (k == 't') {
		b->threaded = 1;
		b->order.aux.reverse = reverse;
		build_threads(b);
	} else if (k > 0 && k < 256 && (p = strchr(letters, k)) != NULL) {
		b->threaded = 0;
		b->order.sort.key = (enum sortspec_key)(p - letters);
		b->order.sort.reverse = reverse;
	} else {
		return;
	}
	if (build_view(b, keep) < 0) {
		b->order = old;
		b->threaded = oldthr;
		if (b->threaded)
			build_threads(b);
		build_view(b, keep);
		return;
	}
	save_order(b);
}

/* Esc v, Esc V (collapse-thread, collapse-all): fold the thread under the
 * cursor, or every thread, to its first message; again unfolds. */
static void collapse(struct browser *b, int all)
{
	size_t i = cur_msg(b), root, r, k;
	int fold;

	if (!b->threaded) {
		ui_error("threads are off (I shows them)");
		return;
	}
	if (i == NONE)
		return;
	root = thread_root(b, i);
	if (!all) {
		b->coll[root] = !b->coll[root];
	} else {
		/* Fold all unless all are folded already. */
		fold = 0;
		for (r = 0; r < b->n && !fold; r++) {
			k = thread_msg_at(b->thr, r);
			fold = thread_depth(b->thr, k) == 0 && !b->coll[k];
		}
		for (r = 0; r < b->n; r++) {
			k = thread_msg_at(b->thr, r);
			if (thread_depth(b->thr, k) == 0)
				b->coll[k] = (unsigned char)fold;
		}
	}
	build_view(b, b->coll[root] ? root : i);
}

/* Ctrl-N, Ctrl-P (next-thread, previous-thread): the first message of the
 * next or previous thread shown. */
static void next_thread(struct browser *b, int dir)
{
	size_t r = b->cur;

	if (!b->threaded) {
		ui_error("threads are off (I shows them)");
		return;
	}
	if (dir < 0) {
		/* From inside a thread, its own start first. */
		while (r > 0 && thread_depth(b->thr, b->view[r]) > 0)
			r--;
		if (r == b->cur && r > 0)
			r--;
		while (r > 0 && thread_depth(b->thr, b->view[r]) > 0)
			r--;
	} else {
		for (r++; r < b->nview && thread_depth(b->thr, b->view[r]) > 0; r++)
			;
		if (r >= b->nview) {
			ui_error("no next thread");
			return;
		}
	}
	b->cur = r;
}

/* Ctrl-R (read-thread): every message of the thread under the cursor read,
 * the ones a limit or a fold hides too. */
static void read_thread(struct browser *b)
{
	size_t i = cur_msg(b), r;

	if (!b->threaded) {
		ui_error("threads are off (I shows them)");
		return;
	}
	if (i == NONE)
		return;
	r = thread_row_of(b->thr, thread_root(b, i));
	do {
		if (set_flag(b, thread_msg_at(b->thr, r), 'S', 1) < 0)
			return;
		r++;
	} while (r < b->n && thread_depth(b->thr, thread_msg_at(b->thr, r)) > 0);
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
	if (r == COMPOSEUI_SENT &&
	    (kind == COMPOSEUI_REPLY || kind == COMPOSEUI_GROUP || kind == COMPOSEUI_LIST))
		set_flag(b, i, 'R', 1);
	count_queue(b);
}

/* r, g, L, f in an attached message (pager_set_compose): that message
 * answered; the folder's message is not marked replied. */
static void compose_attached(void *arg, enum pager_action act, const char *data, size_t len)
{
	struct browser *b = arg;

	(void)composeui_run(b->cfg, b->acct ? cfg_account_name(b->acct) : NULL, b->q,
			    act == PAGER_REPLY ? COMPOSEUI_REPLY :
			    act == PAGER_GROUP ? COMPOSEUI_GROUP :
			    act == PAGER_LIST ? COMPOSEUI_LIST : forward_kind(b), data, len);
	count_queue(b);
}

/* The functions of mailing lists, body search and read state: 1 when k
 * was one of them. */
static int lists_key(struct browser *b, int k)
{
	switch (k) {
	case 'L':
		compose(b, COMPOSEUI_LIST);
		return 1;
	case KEYMAP_SEARCH_BODY:
		search_body(b);
		return 1;
	case 'N':
		toggle_new(b);
		return 1;
	case '\t':
		next_unread(b);
		return 1;
	case KEYMAP_NEXT_UNREAD_MAILBOX:
		next_unread_mailbox(b, 0);
		return 1;
	case KEYMAP_READ_LIMIT:
		read_limit(b);
		return 1;
	default:
		return 0;
	}
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

static void pipe_msgs(struct browser *b, int tagged);
static void transfer(struct browser *b, int move, int tagged);
/* jump-original: from a delivery report to the message it is about (in
 * the Sent folder), from such a message to the last report (in INBOX). */
static void jump_original(struct browser *b)
{
	struct err err = ERR_INIT;
	size_t i = cur_msg(b), len, row;
	const char *sent = b->acct ? cfg_get(b->acct, "sent_folder") : NULL;
	struct msg *m;
	char *data, *mid;
	int to_sent = 0;

	if (i == NONE)
		return;
	if (mailbox_read(b->mb, i, &data, &len, &err) < 0) {
		ui_error("%s", err.msg);
		return;
	}
	m = msg_parse(data, len, 0);
	mid = m ? trackview_partner(m, &to_sent) : NULL;
	msg_free(m);
	free(data);
	if (!mid) {
		ui_error("neither a delivery report about a sent message nor a message with one");
		return;
	}
	open_folder(b, xstrdup(to_sent ? (sent ? sent : "Sent") : "INBOX"));
	for (row = 0; row < b->nview; row++) {
		const char *id = mailbox_at(b->mb, b->view[row])->message_id;

		if (id && strcmp(id, mid) == 0) {
			b->cur = row;
			break;
		}
	}
	if (row == b->nview)
		ui_error("<%s> is not in this folder", mid);
	free(mid);
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
		act = pager_show(data, len, title.data,
				 b->acct && cfg_get_bool(b->acct, "autocrypt", 0)
				 ? cfg_account_name(b->acct) : NULL);
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
		/* |, C: the message again afterwards; s: back to the index. */
		if (act == PAGER_PIPE || act == PAGER_COPY || act == PAGER_SAVE) {
			if (act == PAGER_PIPE)
				pipe_msgs(b, 0);
			else
				transfer(b, act == PAGER_SAVE, 0);
			if (act == PAGER_SAVE)
				break;
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
		if (act == PAGER_JUMP) {
			jump_original(b);
			continue;
		}
		if (act == PAGER_REPLY || act == PAGER_GROUP || act == PAGER_FORWARD ||
		    act == PAGER_LIST)
			compose(b, act == PAGER_REPLY ? COMPOSEUI_REPLY :
				   act == PAGER_GROUP ? COMPOSEUI_GROUP :
				   act == PAGER_LIST ? COMPOSEUI_LIST : forward_kind(b));
		break;
	}
	buf_release(&title);
}

/* ---- tags and bulk work (mutt's tag-entry, tag-pattern, tag-prefix) -- */

/* The messages a command acts on: every tagged one (those shown first, in
 * their order, then any a limit hides) after ;, else the one under the
 * cursor.  Caller frees; NULL with *n_out 0 when there is none. */
static size_t *targets(const struct browser *b, int tagged, size_t *n_out)
{
	size_t *v, n = 0, r, i;
	unsigned char *seen;

	*n_out = 0;
	if (!tagged) {
		if (cur_msg(b) == NONE)
			return NULL;
		v = xmalloc(sizeof(*v));
		v[0] = cur_msg(b);
		*n_out = 1;
		return v;
	}
	if (b->ntag == 0)
		return NULL;
	v = xreallocarray(NULL, b->ntag, sizeof(*v));
	seen = xcalloc(b->n ? b->n : 1, 1);
	for (r = 0; r < b->nview && n < b->ntag; r++)
		if (b->tag[b->view[r]]) {
			v[n++] = b->view[r];
			seen[b->view[r]] = 1;
		}
	for (i = 0; i < b->n && n < b->ntag; i++)
		if (b->tag[i] && !seen[i])
			v[n++] = i;
	free(seen);
	*n_out = n;
	return v;
}

static void set_tag(struct browser *b, size_t i, int on)
{
	if (b->tag[i] == on)
		return;
	b->tag[i] = (unsigned char)on;
	if (on)
		b->ntag++;
	else
		b->ntag--;
}

/* t: tag or untag the message under the cursor and go on to the next. */
static void tag_entry(struct browser *b)
{
	size_t i = cur_msg(b);

	if (i == NONE)
		return;
	set_tag(b, i, !b->tag[i]);
	if (b->cur + 1 < b->nview)
		b->cur++;
}

/* T, Ctrl-T: tag or untag every message shown that matches a pattern of
 * l's language; "." and "~A" take all the limit shows. */
static void tag_pattern(struct browser *b, int on)
{
	struct err err = ERR_INIT;
	struct buf line = BUF_INIT;
	struct pattern *p = NULL;
	struct body_arg ba;
	struct pattern_msg pm;
	size_t r, before = b->ntag;
	int m = 1;

	if (ui_prompt(on ? "Tag messages matching: " : "Untag messages matching: ", NULL, NULL,
		      &line) < 0 || line.len == 0) {
		buf_release(&line);
		return;
	}
	if (strcmp(line.data, ".") != 0 && strcmp(line.data, "~A") != 0 &&
	    !(p = pattern_parse(line.data, time(NULL), &err))) {
		ui_error("%s", err.msg);
		buf_release(&line);
		return;
	}
	buf_release(&line);
	memset(&ba, 0, sizeof(ba));
	ba.b = b;
	ba.total = b->nview;
	clock_gettime(CLOCK_MONOTONIC, &ba.last);
	for (r = 0; r < b->nview && m >= 0; r++) {
		if (p) {
			ba.msg = b->view[r];
			ba.done = r;
			fill_pmsg(b, b->view[r], &pm);
			m = pattern_match(p, &pm, body_has, &ba);
		}
		if (m == 1)
			set_tag(b, b->view[r], on);
	}
	pattern_free(p);
	if (m < 0)
		ui_error("tagging interrupted");
	else if (on)
		ui_message("%zu message%s tagged", b->ntag - before, b->ntag - before == 1 ? "" : "s");
	else
		ui_message("%zu message%s untagged", before - b->ntag, before - b->ntag == 1 ? "" : "s");
}

/* s, C (and with ;): move or copy to a folder, or save to an mbox or
 * .eml file (save.h); s marks what it saved to a file deleted, as mutt
 * does. */
static void transfer(struct browser *b, int move, int tagged)
{
	struct err err = ERR_INIT;
	size_t n, k, done = 0, *msgs = targets(b, tagged, &n);
	char *name = NULL, *dir = NULL, *data;
	enum save_kind kind;
	size_t len;

	if (!n)
		goto out;
	if (move && mailbox_readonly(b->mb)) {
		ui_error("this mbox is read-only (C copies)");
		goto out;
	}
	name = ask_folder(b, move ? "Move to folder: " : "Copy to folder: ");
	if (!name || !(dir = folder_dir(b, name)))
		goto out;
	kind = save_kind_of(dir);
	if (kind == SAVE_EML && n > 1) {
		ui_error("a .eml file holds one message: save %zu to a folder or an mbox", n);
		goto out;
	}
	if (kind == SAVE_MAILDIR && ensure_maildir(dir) < 0)
		goto out;
	for (k = 0; k < n; k++) {
		const struct index_msg *m = mailbox_at(b->mb, msgs[k]);

		if (move && kind == SAVE_MAILDIR) {
			if (mailbox_remove(b->mb, msgs[k], dir, &err) < 0)
				break;
		} else {
			if (mailbox_read(b->mb, msgs[k], &data, &len, &err) < 0)
				break;
			if (save_store(kind, dir, data, len, m->is_new ? NULL : m->flags, m->from_addr,
				       m->date, &err) < 0) {
				free(data);
				break;
			}
			free(data);
			if (move && !b->del[msgs[k]]) {
				b->del[msgs[k]] = 1;
				b->ndel++;
			}
		}
		done++;
	}
	if (kind == SAVE_MAILDIR && done)
		note_index(b);
	if (move && kind == SAVE_MAILDIR && done) {
		/* Keep the cursor near where the message was. */
		if (!tagged && b->cur + 1 < b->nview)
			b->cur++;
		else if (!tagged && b->cur > 0)
			b->cur--;
		reload(b);
	}
	if (done < n)
		ui_error("%zu of %zu done: %s", done, n, err.msg);
	else if (n == 1)
		ui_message("%s %s", move && kind == SAVE_MAILDIR ? "moved to" : move ? "saved to" :
			   "copied to", name);
	else
		ui_message("%zu messages %s %s", n, move && kind == SAVE_MAILDIR ? "moved to" :
			   move ? "saved to" : "copied to", name);
out:
	free(dir);
	free(name);
	free(msgs);
}

/* Ctrl-T in the pipe prompt: raw bytes or decoded text. */
static int pipe_prompt_key(void *arg, int k, struct buf *line)
{
	struct browser *b = arg;

	(void)line;
	if (k != UI_KEY_CTRL('t'))
		return UI_KEY_PASS;
	b->pipe_decode = !b->pipe_decode;
	ui_status_bar(b->pipe_decode ? "-- pipe: the decoded text (Ctrl-T: raw bytes)" :
				       "-- pipe: the raw message (Ctrl-T: decoded text)");
	return UI_KEY_TAKEN;
}

/* |: the message, or the tagged ones as one mbox, into a command. */
static void pipe_msgs(struct browser *b, int tagged)
{
	struct ui_prompt_ops ops = { NULL, NULL, b, pipe_prompt_key };
	struct err err = ERR_INIT;
	struct buf line = BUF_INIT, in = BUF_INIT, dec = BUF_INIT;
	size_t n, k, len, *msgs = targets(b, tagged, &n);
	char *data;
	int st;

	if (!n || ui_prompt(b->pipe_decode ? "Pipe decoded to: " : "Pipe to: ", NULL, &ops, &line) < 0 ||
	    line.len == 0)
		goto out;
	for (k = 0; k < n; k++) {
		const struct index_msg *m = mailbox_at(b->mb, msgs[k]);

		if (mailbox_read(b->mb, msgs[k], &data, &len, &err) < 0) {
			ui_error("%s", err.msg);
			goto out;
		}
		buf_reset(&dec);
		if (b->pipe_decode)
			pipe_decode(data, len, &dec);
		if (n == 1)
			buf_append(&in, b->pipe_decode ? dec.data : data, b->pipe_decode ? dec.len : len);
		else
			mbox_format(&in, b->pipe_decode ? dec.data : data, b->pipe_decode ? dec.len : len,
				    m->from_addr, m->date);
		free(data);
	}
	if (pipe_run(line.data, in.data ? in.data : "", in.len, &st, &err) < 0)
		ui_error("%s", err.msg);
	ui_set_redraw(draw, b);
out:
	buf_release(&dec);
	buf_release(&in);
	buf_release(&line);
	free(msgs);
}

/* ;F and ;N: flag (or mark read) all when some are not, else clear all. */
static void tagged_flag(struct browser *b, char c)
{
	size_t n, k, *msgs = targets(b, 1, &n);
	int all = 1;

	for (k = 0; k < n; k++)
		if (!strchr(mailbox_at(b->mb, msgs[k])->flags, c))
			all = 0;
	for (k = 0; k < n; k++)
		if (set_flag(b, msgs[k], c, !all) < 0)
			break;
	free(msgs);
}

/* ;d and ;u: mark or unmark every tagged message. */
static void tagged_mark(struct browser *b, int del)
{
	size_t n, k, *msgs = targets(b, 1, &n);

	if (del && mailbox_readonly(b->mb)) {
		ui_error("this mbox is read-only");
		n = 0;
	}
	for (k = 0; k < n; k++) {
		if (b->del[msgs[k]] == del)
			continue;
		b->del[msgs[k]] = (unsigned char)del;
		if (del)
			b->ndel++;
		else
			b->ndel--;
	}
	free(msgs);
}

/* ;f, ;r, ;g: one forward with every tagged message attached, one reply
 * to them all; a sent reply marks each of them replied. */
static void compose_tagged(struct browser *b, enum composeui_kind kind)
{
	struct err err = ERR_INIT;
	size_t n, k, got = 0, *msgs = targets(b, 1, &n);
	char **data = xreallocarray(NULL, n ? n : 1, sizeof(*data));
	size_t *lens = xreallocarray(NULL, n ? n : 1, sizeof(*lens));
	enum composeui_result r;

	for (k = 0; k < n; k++, got++)
		if (mailbox_read(b->mb, msgs[k], &data[k], &lens[k], &err) < 0) {
			ui_error("%s", err.msg);
			break;
		}
	if (got == n && n) {
		r = composeui_run_many(b->cfg, b->acct ? cfg_account_name(b->acct) : NULL, b->q, kind,
				       (const char *const *)data, lens, n);
		ui_set_redraw(draw, b);
		for (k = 0; r == COMPOSEUI_SENT && kind != COMPOSEUI_FORWARD_ATTACH && k < n; k++)
			set_flag(b, msgs[k], 'R', 1);
		count_queue(b);
	}
	for (k = 0; k < got; k++)
		free(data[k]);
	free(data);
	free(lens);
	free(msgs);
}

/* ;: the next command acts on every tagged message. */
static void tag_prefix(struct browser *b)
{
	/* What the hint names: the keys bound to these now. */
	static const int fns[] = { 'd', 'u', 'F', 'N', 's', 'C', '|', 'f', 'r', 'g', 't' };
	struct buf hint = BUF_INIT, key = BUF_INIT;
	size_t i;
	int k;

	if (b->ntag == 0) {
		ui_error("no tagged messages");
		return;
	}
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		buf_reset(&key);
		keymap_keys_of(KEYMAP_INDEX, fns[i], &key);
		if (key.len)
			buf_printf(&hint, " %.*s", (int)strcspn(key.data, " "), key.data);
	}
	ui_message("tagged (%zu):%s", b->ntag, hint.len ? hint.data : "");
	buf_release(&hint);
	buf_release(&key);
	k = keymap_read(KEYMAP_INDEX, -1);
	ui_message("%s", "");
	switch (k) {
	case 'd': case 'u':
		tagged_mark(b, k == 'd');
		break;
	case 'F':
		tagged_flag(b, 'F');
		break;
	case 'N':
		tagged_flag(b, 'S');
		break;
	case 's': case 'C':
		transfer(b, k == 's', 1);
		break;
	case '|':
		pipe_msgs(b, 1);
		break;
	case 'f':
		compose_tagged(b, COMPOSEUI_FORWARD_ATTACH);
		break;
	case 'r': case 'g':
		compose_tagged(b, k == 'g' ? COMPOSEUI_GROUP : COMPOSEUI_REPLY);
		break;
	case 't':
		memset(b->tag, 0, b->n ? b->n : 1);
		b->ntag = 0;
		break;
	case UI_KEY_ESC: case UI_KEY_CTRL('g'):
		break;
	default:
		ui_error("that key does not act on tagged messages");
		break;
	}
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
	trackview_refresh(&b->tv);
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

/* The functions of tagging, sorting, piping and threads. */
static void bulk_key(struct browser *b, int k)
{
	switch (k) {
	case 't':
		tag_entry(b);
		break;
	case 'T': case UI_KEY_CTRL('t'):
		tag_pattern(b, k == 'T');
		break;
	case ';':
		tag_prefix(b);
		break;
	case '|':
		pipe_msgs(b, 0);
		break;
	case 'o': case 'O':
		sort_mailbox(b, k == 'O');
		break;
	case KEYMAP_COLLAPSE_THREAD: case KEYMAP_COLLAPSE_ALL:
		collapse(b, k == KEYMAP_COLLAPSE_ALL);
		break;
	case UI_KEY_CTRL('n'): case UI_KEY_CTRL('p'):
		next_thread(b, k == UI_KEY_CTRL('n') ? 1 : -1);
		break;
	case UI_KEY_CTRL('r'):
		read_thread(b);
		break;
	default:
		break;
	}
}

static void key(struct browser *b, int k)
{
	size_t rows = list_rows();

	if (lists_key(b, k))
		return;

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
	case 's': case 'C':
		transfer(b, k == 's', 0);
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
	case 'X':
		search_all(b);
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
	case KEYMAP_JUMP_ORIGINAL:
		jump_original(b);
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
		bulk_key(b, k);
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
	weed_set(o->cfg ? cfg_general(o->cfg, "headers_shown") : NULL);
	if (ui_start(err) < 0) {
		mailbox_free(mb);
		return -1;
	}
	memset(&b, 0, sizeof(b));
	buf_init(&b.search);
	b.cfg = o->cfg;
	b.acct = o->account;
	patenv_init(&b.penv, o->cfg);
	b.root = o->account ? xstrdup(cfg_get(o->account, "maildir")) : NULL;
	b.q = queue_open(NULL, &qerr);
	b.nids = b.cfg ? identity_list(b.cfg, &b.ids) : 0;
	count_queue(&b);
	pager_set_compose(compose_attached, &b);
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
	pager_set_compose(NULL, NULL);
	ui_end();
	queue_close(b.q);
	trackview_free(b.tv);
	mailbox_free(b.mb);
	thread_free(b.thr);
	free(b.coll);
	sort_free(b.srt);
	pattern_free(b.limit);
	free(b.limit_text);
	while (b.nsaved > 0)
		view_release(&b.saved[--b.nsaved]);
	free(b.saved);
	free(b.view);
	free(b.del);
	free(b.tag);
	identity_list_free(b.ids, b.nids);
	free(b.name);
	free(b.root);
	buf_release(&b.search);
	return 0;
}
