#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "idxhint.h"
#include "mailbox.h"
#include "maildir.h"
#include "mbox.h"
#include "msg.h"
#include "search.h"
#include "summary.h"
#include "xalloc.h"

/* An mbox message or a search result: the summary plus the strings it
 * points at, which this entry owns. */
struct mentry {
	struct index_msg m;
	size_t pos;        /* message number in the mbox file, or of the result */
	char *strings[13]; /* key, from, from_addr, to, subject, the three ids,
			    * to_all, cc_all, list; a result's path and its
			    * folder's directory */
};

#define SLOT_PATH 11
#define SLOT_DIR 12

struct mailbox {
	char *path;
	struct index *ix;      /* Maildir */
	struct mbox *mb;       /* mbox */
	struct mentry *ents;   /* mbox summaries or search results, sorted by date */
	size_t n;
	char *root, *query;    /* search results */
	char *skip;            /* a folder left out of them, or NULL */
	const struct cfg_account *acct;  /* theirs, or NULL (borrowed) */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
};

static char *own(struct mentry *e, size_t slot, char *s)
{
	e->strings[slot] = s;
	return s;
}

/* Copy s (NULL stays NULL) into one of e's strings. */
static const char *own_dup(struct mentry *e, size_t slot, const char *s)
{
	return s ? own(e, slot, xstrdup(s)) : NULL;
}

static void summarize(struct mentry *e, const char *data, size_t len, struct buf *scratch)
{
	struct msg *m = msg_parse(data, len, MSG_HEADERS_ONLY);
	struct summary s;

	e->m.size = (off_t)len;
	e->m.date = -1;
	if (!m) {
		e->m.from = e->m.from_addr = e->m.to = e->m.subject = "";
		return;
	}
	summary_read(m, scratch, &s);
	e->m.date = s.date;
	e->m.from = own_dup(e, 1, s.from);
	e->m.from_addr = own_dup(e, 2, s.from_addr);
	e->m.to = own_dup(e, 3, s.to);
	e->m.subject = own_dup(e, 4, s.subject);
	e->m.message_id = own_dup(e, 5, s.message_id);
	e->m.in_reply_to = own_dup(e, 6, s.in_reply_to);
	e->m.references = own_dup(e, 7, s.references);
	e->m.to_all = own_dup(e, 8, s.to_all);
	e->m.cc_all = own_dup(e, 9, s.cc_all);
	e->m.list = own_dup(e, 10, s.list);
	msg_free(m);
}

static int by_date(const void *a, const void *b)
{
	const struct mentry *x = a, *y = b;

	if (x->m.date != y->m.date)
		return x->m.date < y->m.date ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int open_mbox(struct mailbox *box, struct err *err)
{
	struct buf scratch = BUF_INIT;
	size_t i;

	box->mb = mbox_open(box->path, err);
	if (!box->mb)
		return -1;
	box->n = mbox_count(box->mb);
	box->ents = xcalloc(box->n ? box->n : 1, sizeof(*box->ents));
	for (i = 0; i < box->n; i++) {
		struct mentry *e = &box->ents[i];
		size_t len;
		char *data = mbox_message(box->mb, i, &len);

		e->pos = i;
		e->m.key = own(e, 0, xasprintf("%zu", i + 1));
		summarize(e, data, len, &scratch);
		/* Without a Date header, the separator line's date. */
		if (e->m.date == -1 && mbox_date(box->mb, i) != 0)
			e->m.date = mbox_date(box->mb, i);
		free(data);
	}
	buf_release(&scratch);
	qsort(box->ents, box->n, sizeof(*box->ents), by_date);
	return 0;
}

/* ---- search results ---- */

static void free_ents(struct mailbox *box)
{
	size_t i, j;

	for (i = 0; i < box->n && box->ents; i++)
		for (j = 0; j < sizeof(box->ents[i].strings) / sizeof(box->ents[i].strings[0]); j++)
			free(box->ents[i].strings[j]);
	free(box->ents);
	box->ents = NULL;
	box->n = 0;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct search_hit *x = a, *y = b;
	int c = strcmp(x->folder, y->folder);

	return c ? c : strcmp(x->key, y->key);
}

static int key_cmp(const void *key, const void *hit)
{
	return strcmp(key, ((const struct search_hit *)hit)->key);
}

/* An entry for the message m of the folder at dir. */
static void add_result(struct mailbox *box, const struct index_msg *m, const char *dir)
{
	struct mentry *e;

	box->ents = xreallocarray(box->ents, box->n + 1, sizeof(*box->ents));
	e = &box->ents[box->n];
	memset(e, 0, sizeof(*e));
	e->pos = box->n++;
	e->m = *m;
	e->m.key = own_dup(e, 0, m->key);
	e->m.from = own_dup(e, 1, m->from);
	e->m.from_addr = own_dup(e, 2, m->from_addr);
	e->m.to = own_dup(e, 3, m->to);
	e->m.subject = own_dup(e, 4, m->subject);
	e->m.message_id = own_dup(e, 5, m->message_id);
	e->m.in_reply_to = own_dup(e, 6, m->in_reply_to);
	e->m.references = own_dup(e, 7, m->references);
	e->m.to_all = own_dup(e, 8, m->to_all);
	e->m.cc_all = own_dup(e, 9, m->cc_all);
	e->m.list = own_dup(e, 10, m->list);
	e->m.path = own_dup(e, SLOT_PATH, m->path);
	own(e, SLOT_DIR, xstrdup(dir));
}

/* The hits of one folder (v[0..n), sorted by key) as entries, with the
 * summaries of the folder index (cached, so no file is read again). */
static void add_folder(struct mailbox *box, const struct search_hit *v, size_t n)
{
	struct err err = ERR_INIT;
	char *dir = maildir_folder_path(box->root, v[0].folder);
	struct index *ix = index_open(dir, 0, &err);
	size_t i;

	for (i = 0; ix && i < index_count(ix); i++) {
		const struct index_msg *m = index_at(ix, i);

		if (bsearch(m->key, v, n, sizeof(*v), key_cmp))
			add_result(box, m, dir);
	}
	index_free(ix);
	free(dir);
}

/* The refresh holds the background indexer's lock when it is free, as
 * spool search does (lib/idxhint.h), so that no indexer reads the same
 * mail meanwhile; an index found corrupt is gone (search.h) and asked
 * once more, built afresh. */
static int query_index(struct mailbox *box, struct search_hit **v, size_t *n, int *broken,
		       struct err *err)
{
	struct search *s = search_open(box->root, 0, err);
	int hold, rc;

	if (!s)
		return -1;
	hold = idxhint_hold(box->root);
	rc = search_refresh(s, box->progress, box->progress_arg, err);
	idxhint_release(box->acct, hold);
	if (rc == 0)
		rc = search_run(s, box->query, NULL, 0, 0, v, n, err);
	*broken = search_broken(s);
	search_close(s);
	return rc;
}

static int load_results(struct mailbox *box, struct err *err)
{
	struct search_hit *v = NULL;
	size_t n = 0, i, j;
	int broken = 0, rc;

	rc = query_index(box, &v, &n, &broken, err);
	if (rc < 0 && broken) {
		err_clear(err);
		rc = query_index(box, &v, &n, &broken, err);
	}
	if (rc < 0)
		return -1;
	free_ents(box);
	if (n)
		qsort(v, n, sizeof(*v), hit_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[j].folder, v[i].folder) == 0; j++)
			;
		if (!box->skip || strcmp(box->skip, v[i].folder) != 0)
			add_folder(box, v + i, j - i);
	}
	search_hits_free(v, n);
	if (box->n)
		qsort(box->ents, box->n, sizeof(*box->ents), by_date);
	return 0;
}

struct mailbox *mailbox_open_search(const struct cfg_account *acct, const char *root,
				    const char *query, const char *skip,
				    void (*progress)(void *arg, size_t done, size_t total),
				    void *arg, struct err *err)
{
	struct mailbox *box = xcalloc(1, sizeof(*box));

	box->path = xstrdup("");
	box->root = xstrdup(root);
	box->query = xstrdup(query);
	box->skip = skip ? xstrdup(skip) : NULL;
	box->acct = acct;
	box->progress = progress;
	box->progress_arg = arg;
	if (load_results(box, err) < 0) {
		mailbox_free(box);
		return NULL;
	}
	return box;
}

struct mailbox *mailbox_open(const char *path, struct err *err)
{
	struct mailbox *box = xcalloc(1, sizeof(*box));

	box->path = xstrdup(path);
	if (maildir_is(path)) {
		box->ix = index_open(path, 0, err);
		if (!box->ix)
			goto fail;
	} else if (mbox_is(path)) {
		if (open_mbox(box, err) < 0)
			goto fail;
	} else {
		err_set(err, EX_NOINPUT, "cannot open '%s': neither a Maildir nor an mbox", path);
		goto fail;
	}
	return box;
fail:
	mailbox_free(box);
	return NULL;
}

void mailbox_free(struct mailbox *box)
{
	if (!box)
		return;
	index_free(box->ix);
	mbox_free(box->mb);
	free_ents(box);
	free(box->path);
	free(box->root);
	free(box->query);
	free(box->skip);
	free(box);
}

const char *mailbox_path(const struct mailbox *box)
{
	return box->path;
}

int mailbox_readonly(const struct mailbox *box)
{
	return box->mb != NULL;
}

size_t mailbox_count(const struct mailbox *box)
{
	return box->ix ? index_count(box->ix) : box->n;
}

const struct index_msg *mailbox_at(const struct mailbox *box, size_t i)
{
	return box->ix ? index_at(box->ix, i) : &box->ents[i].m;
}

/* The Maildir directory message i of a Maildir or search result is in. */
static const char *msg_dir(const struct mailbox *box, size_t i)
{
	return box->query ? box->ents[i].strings[SLOT_DIR] : box->path;
}

int mailbox_open_msg(struct mailbox *box, size_t i, struct err *err)
{
	const struct index_msg *m;
	struct maildir_entry e;
	const char *dir;
	char *p;
	int fd;

	if (box->mb)
		return err_set(err, EX_UNAVAILABLE, "an mbox message has no file of its own");
	m = mailbox_at(box, i);
	dir = msg_dir(box, i);
	p = xasprintf("%s/%s", dir, m->path);
	fd = afile_open_regular_at(AT_FDCWD, p, err);
	free(p);
	if (fd >= 0 || err->errnum != ENOENT)
		return fd;
	err_clear(err);
	/* Renamed by another program since the folder was read. */
	if (maildir_find(dir, m->key, &e, err) < 0)
		return -1;
	p = xasprintf("%s/%s", dir, e.path);
	maildir_entry_release(&e);
	fd = afile_open_regular_at(AT_FDCWD, p, err);
	free(p);
	return fd;
}

int mailbox_read(struct mailbox *box, size_t i, char **data_out, size_t *len_out,
		 struct err *err)
{
	const struct index_msg *m;
	struct maildir_entry e;
	const char *dir;
	char *p;
	int rc;

	if (box->mb) {
		*data_out = mbox_message(box->mb, box->ents[i].pos, len_out);
		return 0;
	}
	m = mailbox_at(box, i);
	dir = msg_dir(box, i);
	p = xasprintf("%s/%s", dir, m->path);
	rc = afile_read_regular(p, AFILE_MSG_MAX, data_out, len_out, err);
	free(p);
	if (rc == 0 || err->code != EX_NOINPUT)
		return rc;
	/* Renamed by another program since the folder was read: find it by
	 * its key. */
	err_clear(err);
	if (maildir_find(dir, m->key, &e, err) < 0)
		return -1;
	p = xasprintf("%s/%s", dir, e.path);
	maildir_entry_release(&e);
	rc = afile_read_regular(p, AFILE_MSG_MAX, data_out, len_out, err);
	free(p);
	return rc;
}

/* A maildir_entry (caller releases) for the file of m. */
static void entry_of(const struct index_msg *m, struct maildir_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(m->key);
	e->path = xstrdup(m->path);
	memcpy(e->flags, m->flags, sizeof(e->flags));
	e->is_new = m->is_new;
	e->size = m->size;
}

static int result_set_flags(struct mailbox *box, size_t i, const char *flags, struct err *err)
{
	struct mentry *r = &box->ents[i];
	struct maildir_entry e;

	entry_of(&r->m, &e);
	if (maildir_set_flags(r->strings[SLOT_DIR], &e, flags, err) < 0) {
		maildir_entry_release(&e);
		return -1;
	}
	free(r->strings[SLOT_PATH]);
	r->m.path = own(r, SLOT_PATH, xstrdup(e.path));
	/* A twin of other bytes took a fresh key (maildir.h). */
	if (strcmp(r->m.key, e.key) != 0) {
		free(r->strings[0]);
		r->m.key = own(r, 0, xstrdup(e.key));
	}
	memcpy(r->m.flags, e.flags, sizeof(r->m.flags));
	r->m.is_new = e.is_new;
	maildir_entry_release(&e);
	return 0;
}

int mailbox_set_flags(struct mailbox *box, size_t i, const char *flags, struct err *err)
{
	struct index_msg *m;
	size_t n = strlen(flags);

	if (box->ix)
		return index_set_flags(box->ix, i, flags, err);
	if (box->query)
		return result_set_flags(box, i, flags, err);
	m = &box->ents[i].m;
	if (n >= sizeof(m->flags))
		return err_set(err, EX_DATAERR, "too many flags '%s'", flags);
	memcpy(m->flags, flags, n + 1);
	return 0;
}

int mailbox_remove(struct mailbox *box, size_t i, const char *dst, struct err *err)
{
	const struct index_msg *m;
	struct maildir_entry e;
	int rc;

	if (box->mb)
		return err_set(err, EX_NOPERM, "'%s' is an mbox, which surel only reads", box->path);
	/* The exact file shown, not the first with its key: another file
	 * with the same key in new/ and cur/ is another message. */
	m = mailbox_at(box, i);
	entry_of(m, &e);
	rc = dst ? maildir_move(msg_dir(box, i), &e, dst, err) : maildir_remove(msg_dir(box, i), &e, err);
	maildir_entry_release(&e);
	return rc;
}

int mailbox_refresh(struct mailbox *box, struct err *err)
{
	if (box->query)
		return load_results(box, err);
	return box->ix ? index_refresh(box->ix, err) : 0;
}
