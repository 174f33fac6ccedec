/*
 * The sync engine (spool/sync.c) against a fake server that lives in this
 * file (struct sync_remote_ops), with knobs for a connection that breaks
 * during a download or right after an APPEND reached the server, a server
 * without UIDPLUS, and a renumbered folder.  The assertions are on both
 * sides afterwards: the fake folders and the Maildir.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "cfg.h"
#include "err.h"
#include "maildir.h"
#include "source.h"
#include "suites.h"
#include "sync.h"
#include "tutil.h"
#include "xalloc.h"

#define MAX_MSGS 64

/* ---- the fake server ---- */

struct fmsg {
	uint32_t uid;
	char flags[8];
	char *data;  /* CRLF */
};

struct ffolder {
	char name[32];
	const char *role;
	uint32_t uidvalidity, uidnext;
	struct fmsg m[MAX_MSGS];
	size_t n;
};

static struct {
	struct ffolder f[4];
	size_t nf;
	struct ffolder *sel;
	int no_uidplus;
	size_t break_fetch_after;  /* fail after handing over this many (0: never) */
	int break_after_append;    /* the next APPEND arrives, its answer does not */
	size_t appends;
	size_t heads;              /* messages asked for by heads() */
} fk;

struct sync_remote {
	int unused;
};

static void fk_reset(void)
{
	size_t i, j;

	for (i = 0; i < fk.nf; i++)
		for (j = 0; j < fk.f[i].n; j++)
			free(fk.f[i].m[j].data);
	memset(&fk, 0, sizeof(fk));
}

static struct ffolder *fk_folder(const char *name, const char *role)
{
	struct ffolder *f = &fk.f[fk.nf++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->role = role;
	f->uidvalidity = 100 + (uint32_t)fk.nf;
	f->uidnext = 1;
	return f;
}

static struct fmsg *fk_add(struct ffolder *f, const char *text, const char *flags)
{
	struct fmsg *m = &f->m[f->n++];

	m->uid = f->uidnext++;
	snprintf(m->flags, sizeof(m->flags), "%s", flags);
	m->data = xasprintf("Subject: %s\r\n\r\nbody of %s\r\n", text, text);
	return m;
}

/* A message with a Message-ID, as moves are told by it. */
static struct fmsg *fk_add_id(struct ffolder *f, const char *text, const char *flags)
{
	struct fmsg *m = fk_add(f, text, flags);

	free(m->data);
	m->data = xasprintf("Message-ID: <%s@fake.test>\r\nSubject: %s\r\n\r\nbody of %s\r\n", text,
			    text, text);
	return m;
}

static struct ffolder *fk_find(const char *name)
{
	size_t i;

	for (i = 0; i < fk.nf; i++)
		if (strcmp(fk.f[i].name, name) == 0)
			return &fk.f[i];
	return NULL;
}

static struct fmsg *fk_msg(struct ffolder *f, uint32_t uid)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->m[i].uid == uid)
			return &f->m[i];
	return NULL;
}

static void fk_remove(struct ffolder *f, uint32_t uid)
{
	struct fmsg *m = fk_msg(f, uid);

	if (!m)
		return;
	free(m->data);
	*m = f->m[--f->n];
}

static int f_open(const struct source_conf *c, struct sync_remote **out, struct err *err)
{
	(void)c;
	(void)err;
	*out = xcalloc(1, sizeof(**out));
	fk.sel = NULL;
	return 0;
}

static int f_folders(struct sync_remote *r, struct sync_rfolder **out, size_t *n_out,
		     struct err *err)
{
	size_t i;

	(void)r;
	(void)err;
	*out = xcalloc(fk.nf + 1, sizeof(**out));
	for (i = 0; i < fk.nf; i++) {
		(*out)[i].name = xstrdup(fk.f[i].name);
		(*out)[i].role = fk.f[i].role ? xstrdup(fk.f[i].role) : NULL;
	}
	*n_out = fk.nf;
	return 0;
}

static int f_create(struct sync_remote *r, const char *name, struct err *err)
{
	(void)r;
	(void)err;
	fk_folder(name, NULL);
	return 0;
}

static int f_select(struct sync_remote *r, const char *name, struct sync_rinfo *info,
		    struct err *err)
{
	(void)r;
	fk.sel = fk_find(name);
	if (!fk.sel)
		return err_set(err, EX_PROTOCOL, "fake: no folder '%s'", name);
	memset(info, 0, sizeof(*info));
	info->uidvalidity = fk.sel->uidvalidity;
	info->uidnext = fk.sel->uidnext;
	info->exists = (uint32_t)fk.sel->n;
	info->uidplus = !fk.no_uidplus;
	return 0;
}

static int cmp_item(const void *a, const void *b)
{
	const struct sync_ritem *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int f_list(struct sync_remote *r, uint64_t since, struct sync_ritem **items_out,
		  size_t *n_out, uint32_t **van_out, size_t *nv_out, int *delta_out, struct err *err)
{
	size_t i;

	(void)r;
	(void)since;
	(void)err;
	*items_out = xcalloc(fk.sel->n + 1, sizeof(**items_out));
	for (i = 0; i < fk.sel->n; i++) {
		(*items_out)[i].uid = fk.sel->m[i].uid;
		memcpy((*items_out)[i].flags, fk.sel->m[i].flags, 8);
	}
	qsort(*items_out, fk.sel->n, sizeof(**items_out), cmp_item);
	*n_out = fk.sel->n;
	*van_out = NULL;
	*nv_out = 0;
	*delta_out = 0;
	return 0;
}

static int f_fetch(struct sync_remote *r, const uint32_t *uids, size_t n, sync_rmsg_fn *fn,
		   void *ctx, struct err *err)
{
	size_t i;

	(void)r;
	for (i = 0; i < n; i++) {
		struct fmsg *m = fk_msg(fk.sel, uids[i]);
		struct sync_rmsg rm;

		if (fk.break_fetch_after && i == fk.break_fetch_after)
			return err_set(err, EX_TEMPFAIL, "fake: connection lost");
		if (!m)
			continue;
		rm.uid = m->uid;
		rm.data = m->data;
		rm.len = strlen(m->data);
		if (fn(&rm, ctx, err) < 0)
			return -1;
	}
	return 0;
}

static void flags_edit(char *flags, const char *add, const char *del)
{
	char out[8];
	const char *all = "DFRST";
	size_t n = 0;

	for (; *all; all++)
		if ((strchr(flags, *all) || strchr(add, *all)) && !strchr(del, *all))
			out[n++] = *all;
	out[n] = '\0';
	memcpy(flags, out, 8);
}

static int f_store(struct sync_remote *r, const uint32_t *uids, size_t n, const char *add,
		   const char *del, struct err *err)
{
	size_t i;

	(void)r;
	(void)err;
	for (i = 0; i < n; i++) {
		struct fmsg *m = fk_msg(fk.sel, uids[i]);

		if (m)
			flags_edit(m->flags, add, del);
	}
	return 0;
}

static int f_expunge(struct sync_remote *r, const uint32_t *uids, size_t n, int *expunged_out,
		     struct err *err)
{
	size_t i;

	if (f_store(r, uids, n, "T", "", err) < 0)
		return -1;
	*expunged_out = !fk.no_uidplus;
	for (i = 0; i < n && !fk.no_uidplus; i++)
		fk_remove(fk.sel, uids[i]);
	return 0;
}

static int f_append(struct sync_remote *r, const char *name, const char *data, size_t len,
		    const char *flags, time_t date, uint32_t *uid_out, struct err *err)
{
	struct ffolder *f = fk_find(name);
	struct fmsg *m;
	size_t i;
	char *crlf = xcalloc(2 * len + 1, 1), *p = crlf;

	(void)r;
	(void)date;
	for (i = 0; i < len; i++) {
		if (data[i] == '\n')
			*p++ = '\r';
		*p++ = data[i];
	}
	m = &f->m[f->n++];
	m->uid = f->uidnext++;
	m->data = crlf;
	snprintf(m->flags, sizeof(m->flags), "%s", flags);
	fk.appends++;
	*uid_out = fk.no_uidplus ? 0 : m->uid;
	if (fk.break_after_append) {
		fk.break_after_append = 0;
		return err_set(err, EX_TEMPFAIL, "fake: connection lost");
	}
	return 0;
}

static int f_heads(struct sync_remote *r, const uint32_t *uids, size_t n,
		   struct sync_rhead **out, size_t *n_out, struct err *err)
{
	size_t i, k = 0;

	(void)r;
	(void)err;
	*out = xcalloc(n + 1, sizeof(**out));
	for (i = 0; i < n; i++) {
		struct fmsg *m = fk_msg(fk.sel, uids[i]);
		char *id = m ? source_message_id(m->data, strlen(m->data)) : NULL;

		if (!id)
			continue;
		(*out)[k].uid = m->uid;
		(*out)[k].size = strlen(m->data);
		(*out)[k++].msgid = id;
	}
	fk.heads += n;
	*n_out = k;
	return 0;
}

/* As Dovecot: UIDs no longer there are no error, nothing moves. */
static int f_move(struct sync_remote *r, const uint32_t *uids, size_t n, const char *name,
		  uint32_t *newuids, int *moved_out, struct err *err)
{
	struct ffolder *to = fk_find(name);
	size_t i;

	(void)r;
	(void)err;
	*moved_out = 1;
	for (i = 0; i < n; i++) {
		struct fmsg *m = fk_msg(fk.sel, uids[i]), *t;

		newuids[i] = 0;
		if (!m)
			continue;
		t = &to->m[to->n++];
		t->uid = to->uidnext++;
		memcpy(t->flags, m->flags, 8);
		t->data = xstrdup(m->data);
		newuids[i] = t->uid;
		fk_remove(fk.sel, uids[i]);
	}
	return 0;
}

/* Another client moves message uid of from to to (new UID there). */
static struct fmsg *fk_move(struct ffolder *from, uint32_t uid, struct ffolder *to)
{
	struct fmsg *m = fk_msg(from, uid), *t = &to->m[to->n++];

	t->uid = to->uidnext++;
	memcpy(t->flags, m->flags, 8);
	t->data = m->data;
	*m = from->m[--from->n];
	return t;
}

static void f_close(struct sync_remote *r)
{
	free(r);
}

static const struct sync_remote_ops fake = {
	.open = f_open,
	.folders = f_folders,
	.create = f_create,
	.select = f_select,
	.list = f_list,
	.fetch = f_fetch,
	.store = f_store,
	.expunge = f_expunge,
	.append = f_append,
	.heads = f_heads,
	.move = f_move,
	.close = f_close,
};

/* ---- running sync ---- */

static const char *tdir;

static int run_sync(const char *extra, int allow_delete, struct sync_stats *st, struct err *err)
{
	struct sync_opts o;
	char *path = xasprintf("%s/config", tdir);
	char *text = xasprintf("[account t]\naddress = t@fake.test\nmaildir = %s/mail\n"
			       "fetch = imap://127.0.0.1:9\n%s",
			       tdir, extra ? extra : "");
	struct cfg *cfg;
	int busy = 0, rc;

	memset(&o, 0, sizeof(o));
	o.remote = &fake;
	o.allow_delete = allow_delete;
	CU_ASSERT_EQUAL_FATAL(tutil_write(path, text, strlen(text)), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0600), 0);
	cfg = cfg_load(path, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	rc = sync_account(cfg_account_at(cfg, 0), &o, st, &busy, err);
	CU_ASSERT_EQUAL(busy, 0);
	cfg_free(cfg);
	free(text);
	free(path);
	return rc;
}

static int sync_ok(void)
{
	struct sync_stats st;
	struct err err = ERR_INIT;
	int rc = run_sync(NULL, 0, &st, &err);

	if (rc < 0)
		fprintf(stderr, "sync: %s\n", err.msg);
	return rc;
}

static char *ldir(const char *folder)
{
	return xasprintf("%s/mail/%s", tdir, folder);
}

static struct maildir_entry *llist(const char *folder, size_t *n)
{
	struct err err = ERR_INIT;
	struct maildir_entry *e = NULL;
	char *d = ldir(folder);

	*n = 0;
	if (maildir_is(d))
		CU_ASSERT_EQUAL(maildir_list(d, 0, &e, n, &err), 0);
	free(d);
	return e;
}

/* How many messages the local folder holds. */
static size_t lcount(const char *folder)
{
	size_t n;
	struct maildir_entry *e = llist(folder, &n);

	maildir_entries_free(e, n);
	return n;
}

/* Deliver a local message with flags (NULL: into new/). */
static void ladd(const char *folder, const char *text, const char *flags)
{
	struct err err = ERR_INIT;
	char *d = ldir(folder), *data = xasprintf("Subject: %s\n\nbody of %s\n", text, text);

	if (!maildir_is(d))
		CU_ASSERT_EQUAL_FATAL(maildir_create(d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(maildir_deliver(d, data, strlen(data), flags, NULL, &err), 0);
	free(data);
	free(d);
}

/* The local message whose body names text, or -1. */
static long lfind(struct maildir_entry *e, size_t n, const char *folder, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct err err = ERR_INIT;
		char *d = ldir(folder), *p = xasprintf("%s/%s", d, e[i].path), *data = NULL;
		size_t len;
		int hit;

		CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
		hit = data && strstr(data, text) != NULL;
		free(data);
		free(p);
		free(d);
		if (hit)
			return (long)i;
	}
	return -1;
}

static struct fmsg *sfind(struct ffolder *f, const char *text)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strstr(f->m[i].data, text))
			return &f->m[i];
	return NULL;
}

/* ---- tests ---- */

static void test_both_ways(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL), *sent = fk_folder("Gesendet", "Sent");
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	size_t n;
	long i;

	fk_add(in, "s1", "S");
	fk_add(in, "s2", "");
	fk_add(sent, "s3", "S");
	ladd("INBOX", "l1", NULL);
	ladd("INBOX", "l2", "FS");
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pulled, 3);
	CU_ASSERT_EQUAL(st.pushed, 2);
	CU_ASSERT_EQUAL(in->n, 4);
	CU_ASSERT_STRING_EQUAL(sfind(in, "l2")->flags, "FS");
	CU_ASSERT_STRING_EQUAL(sfind(in, "l1")->flags, "");
	e = llist("INBOX", &n);
	CU_ASSERT_EQUAL(n, 4);
	i = lfind(e, n, "INBOX", "s1");
	CU_ASSERT_FATAL(i >= 0);
	CU_ASSERT_STRING_EQUAL(e[i].flags, "S");
	maildir_entries_free(e, n);
	/* The special-use folder is the local Sent. */
	CU_ASSERT_EQUAL(lcount("Sent"), 1);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pulled + st.pushed + st.flags_local + st.flags_remote, 0);
	CU_ASSERT_EQUAL(fk.appends, 2);
}

static void test_flag_merge(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL);
	struct maildir_entry *e;
	struct err err = ERR_INIT;
	char *d = ldir("INBOX");
	size_t n;
	long a, b, c;

	fk_add(in, "a", "");
	fk_add(in, "b", "S");
	fk_add(in, "c", "");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	e = llist("INBOX", &n);
	a = lfind(e, n, "INBOX", "body of a");
	b = lfind(e, n, "INBOX", "body of b");
	c = lfind(e, n, "INBOX", "body of c");
	CU_ASSERT_FATAL(a >= 0 && b >= 0 && c >= 0);
	/* a: read here, flagged there; b: unread here; c: both replied. */
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e[a], "S", "", &err), 0);
	snprintf(sfind(in, "body of a")->flags, 8, "F");
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e[b], "", "S", &err), 0);
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e[c], "R", "", &err), 0);
	snprintf(sfind(in, "body of c")->flags, 8, "R");
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	CU_ASSERT_STRING_EQUAL(sfind(in, "body of a")->flags, "FS");
	CU_ASSERT_STRING_EQUAL(sfind(in, "body of b")->flags, "");
	CU_ASSERT_STRING_EQUAL(sfind(in, "body of c")->flags, "R");
	e = llist("INBOX", &n);
	CU_ASSERT_STRING_EQUAL(e[lfind(e, n, "INBOX", "body of a")].flags, "FS");
	CU_ASSERT_STRING_EQUAL(e[lfind(e, n, "INBOX", "body of c")].flags, "R");
	maildir_entries_free(e, n);
	free(d);
}

static void test_removals(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL);
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *d = ldir("INBOX");
	size_t n;
	long a;

	fk_add(in, "a", "");
	fk_add(in, "b", "");
	fk_add(in, "c", "");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	e = llist("INBOX", &n);
	a = lfind(e, n, "INBOX", "body of a");
	CU_ASSERT_EQUAL(maildir_remove(d, &e[a], &err), 0);
	maildir_entries_free(e, n);
	fk_remove(in, sfind(in, "body of b")->uid);
	/* c: removed here and flagged there: removed, a conflict. */
	e = llist("INBOX", &n);
	CU_ASSERT_EQUAL(maildir_remove(d, &e[lfind(e, n, "INBOX", "body of c")], &err), 0);
	maildir_entries_free(e, n);
	snprintf(sfind(in, "body of c")->flags, 8, "F");
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.removed_remote, 2);
	CU_ASSERT_EQUAL(st.removed_local, 1);
	CU_ASSERT_EQUAL(st.conflicts, 1);
	CU_ASSERT_EQUAL(in->n, 0);
	CU_ASSERT_EQUAL(lcount("INBOX"), 0);
	free(d);
}

static void test_no_uidplus(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL);
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *d = ldir("INBOX");
	size_t n;

	fk_add(in, "a", "");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	fk.no_uidplus = 1;
	e = llist("INBOX", &n);
	CU_ASSERT_EQUAL(maildir_remove(d, &e[0], &err), 0);
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.left_marked, 1);
	CU_ASSERT_EQUAL(in->n, 1);
	CU_ASSERT_STRING_EQUAL(in->m[0].flags, "T");
	/* Left marked, never uploaded again nor fetched back. */
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pulled + st.pushed, 0);
	CU_ASSERT_EQUAL(lcount("INBOX"), 0);
	free(d);
}

static void test_guard(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL);
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *d = ldir("INBOX");
	size_t n, i;

	for (i = 0; i < 6; i++)
		fk_add(in, "m", "");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	e = llist("INBOX", &n);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(maildir_remove(d, &e[i], &err), 0);
	maildir_entries_free(e, n);
	fk_add(in, "new one", "");
	CU_ASSERT_EQUAL(run_sync("sync_max_delete = 50%\n", 0, &st, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(st.guarded, 1);
	CU_ASSERT_EQUAL(in->n, 7);
	/* The folder is not changed at all, not even by the new message. */
	CU_ASSERT_EQUAL(lcount("INBOX"), 0);
	err_clear(&err);
	CU_ASSERT_EQUAL(run_sync("sync_max_delete = 50%\n", 1, &st, &err), 0);
	CU_ASSERT_EQUAL(in->n, 1);
	CU_ASSERT_EQUAL(lcount("INBOX"), 1);
	free(d);
}

/* A download cut short, then an APPEND whose answer is lost: the reruns
 * store nothing twice on either side. */
static void test_interrupted(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL);
	struct sync_stats st;
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < 10; i++)
		fk_add(in, "m", "");
	fk.break_fetch_after = 4;
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	fk.break_fetch_after = 0;
	CU_ASSERT_EQUAL(lcount("INBOX"), 4);
	ladd("INBOX", "local one", NULL);
	fk.break_after_append = 1;
	err_clear(&err);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), -1);
	CU_ASSERT_EQUAL(in->n, 11);
	err_clear(&err);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(in->n, 11);
	CU_ASSERT_EQUAL(fk.appends, 1);
	CU_ASSERT_EQUAL(lcount("INBOX"), 11);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pulled + st.pushed + st.removed_local + st.removed_remote, 0);
}

/* A renumbered folder, and a lost state: messages on both sides are
 * paired by content, none copied twice and none removed. */
static void test_renumbered(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL);
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *state = xasprintf("%s/mail/.surel-sync/t.INBOX.state", tdir);
	size_t i;

	for (i = 0; i < 5; i++)
		fk_add(in, i % 2 ? "odd" : "even", "S");
	ladd("INBOX", "here", NULL);
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	in->uidvalidity++;
	for (i = 0; i < in->n; i++)
		in->m[i].uid += 100;
	in->uidnext += 100;
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pulled + st.pushed + st.removed_local + st.removed_remote, 0);
	CU_ASSERT_EQUAL(unlink(state), 0);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pulled + st.pushed + st.removed_local + st.removed_remote, 0);
	CU_ASSERT_EQUAL(in->n, 6);
	CU_ASSERT_EQUAL(lcount("INBOX"), 6);
	free(state);
}

/* A message moved to another synced folder as surel moves (same key) is
 * moved on the server, not removed and uploaded again. */
static void test_move(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL), *ar = fk_folder("Archiv", "Archive");
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *src = ldir("INBOX"), *dst = ldir("Archive");
	size_t n;

	fk_add(in, "keep", "S");
	fk_add(in, "move me", "S");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	e = llist("INBOX", &n);
	CU_ASSERT_EQUAL(maildir_change_flags(src, &e[lfind(e, n, "INBOX", "move me")], "F", "", &err),
			0);
	CU_ASSERT_EQUAL(maildir_move(src, &e[lfind(e, n, "INBOX", "move me")], dst, &err), 0);
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.moved, 1);
	CU_ASSERT_EQUAL(st.pushed + st.pulled + st.removed_remote + st.removed_local, 0);
	CU_ASSERT_EQUAL(fk.appends, 0);
	CU_ASSERT_EQUAL(in->n, 1);
	CU_ASSERT_EQUAL_FATAL(ar->n, 1);
	CU_ASSERT_STRING_EQUAL(ar->m[0].flags, "FS");
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed + st.pulled + st.moved + st.flags_local + st.flags_remote, 0);
	free(src);
	free(dst);
}

/* The local message whose body names text in folder, read into *data. */
static struct maildir_entry *lget(const char *folder, const char *text, char **data,
				  size_t *len)
{
	struct maildir_entry *e, *out = NULL;
	struct err err = ERR_INIT;
	size_t n;
	long i;

	e = llist(folder, &n);
	i = lfind(e, n, folder, text);
	if (i >= 0) {
		char *d = ldir(folder), *p = xasprintf("%s/%s", d, e[i].path);

		out = xcalloc(1, sizeof(*out));
		*out = e[i];
		memset(&e[i], 0, sizeof(e[i]));
		CU_ASSERT_EQUAL(afile_read(p, 0, data, len, &err), 0);
		free(p);
		free(d);
	}
	maildir_entries_free(e, n);
	return out;
}

/* A move as mutt makes it: the message written into folder to under a
 * new name with flags, then the old file unlinked. */
static void lmove_newname(const char *from, const char *text, const char *to,
			  const char *flags, int copies)
{
	struct err err = ERR_INIT;
	char *data = NULL, *src = ldir(from), *dst = ldir(to);
	size_t len = 0;
	struct maildir_entry *e = lget(from, text, &data, &len);
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	if (!maildir_is(dst))
		CU_ASSERT_EQUAL_FATAL(maildir_create(dst, &err), 0);
	for (i = 0; i < copies; i++)
		CU_ASSERT_EQUAL(maildir_deliver(dst, data, len, flags, NULL, &err), 0);
	CU_ASSERT_EQUAL(maildir_remove(src, e, &err), 0);
	maildir_entry_release(e);
	free(e);
	free(data);
	free(src);
	free(dst);
}

/* A mail reader's move under a new name is a move on the server, its
 * flags merged against the old base; copies that cannot be told apart,
 * or a message without a Message-ID, stay an upload and a removal. */
static void test_move_new_name(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL), *ar = fk_folder("Archiv", "Archive");
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	size_t n;

	fk_add_id(in, "mv", "S");
	fk_add_id(in, "twice", "");
	fk_add(in, "no id", "");
	fk_add_id(in, "stay", "");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	lmove_newname("INBOX", "body of mv", "Archive", "FS", 1);
	snprintf(sfind(in, "body of mv")->flags, 8, "RS");
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.moved, 1);
	CU_ASSERT_EQUAL(st.pushed + st.removed_remote + st.pulled + st.removed_local, 0);
	CU_ASSERT_EQUAL(st.conflicts, 0);
	CU_ASSERT_EQUAL(fk.appends, 0);
	CU_ASSERT_EQUAL(in->n, 3);
	CU_ASSERT_EQUAL_FATAL(ar->n, 1);
	CU_ASSERT_STRING_EQUAL(ar->m[0].flags, "FRS");
	e = llist("Archive", &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(e[0].flags, "FRS");
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed + st.pulled + st.moved + st.flags_local + st.flags_remote, 0);
	lmove_newname("INBOX", "body of twice", "Archive", "", 2);
	lmove_newname("INBOX", "body of no id", "Archive", "", 1);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.moved, 0);
	CU_ASSERT_EQUAL(st.pushed, 3);
	CU_ASSERT_EQUAL(st.removed_remote, 2);
	CU_ASSERT_EQUAL(in->n, 1);
	CU_ASSERT_EQUAL(ar->n, 4);
}

/* Another client's move on the server is a rename here: the same file
 * (inode), nothing downloaded, flags merged; two arrivals alike are
 * downloaded as before. */
static void test_server_move(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL), *ar = fk_folder("Archiv", "Archive");
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *data = NULL, *p, *d;
	struct stat a, b;
	size_t len;
	uint32_t u;

	fk_add_id(in, "mv", "S");
	fk_add_id(in, "copied", "");
	fk_add_id(in, "stay", "");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	CU_ASSERT_EQUAL(fk.heads, 0);
	e = lget("INBOX", "body of mv", &data, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	d = ldir("INBOX");
	p = xasprintf("%s/%s", d, e->path);
	CU_ASSERT_EQUAL(stat(p, &a), 0);
	CU_ASSERT_EQUAL(maildir_change_flags(d, e, "R", "", &err), 0);
	free(p);
	free(d);
	maildir_entry_release(e);
	free(e);
	free(data);
	snprintf(fk_move(in, sfind(in, "body of mv")->uid, ar)->flags, 8, "FS");
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.moved, 1);
	CU_ASSERT_EQUAL(st.pulled + st.pushed + st.removed_local + st.removed_remote, 0);
	CU_ASSERT_EQUAL(st.conflicts, 0);
	CU_ASSERT_STRING_EQUAL(ar->m[0].flags, "FRS");
	e = lget("Archive", "body of mv", &data, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->flags, "FRS");
	d = ldir("Archive");
	p = xasprintf("%s/%s", d, e->path);
	CU_ASSERT_EQUAL(stat(p, &b), 0);
	CU_ASSERT_EQUAL(a.st_ino, b.st_ino);
	free(p);
	free(d);
	maildir_entry_release(e);
	free(e);
	free(data);
	CU_ASSERT_EQUAL(lcount("INBOX"), 2);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed + st.pulled + st.moved + st.flags_local + st.flags_remote, 0);
	/* Moved and copied there: two alike, no move. */
	u = sfind(in, "body of copied")->uid;
	fk_add_id(ar, "copied", "");
	fk_move(in, u, ar);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.moved, 0);
	CU_ASSERT_EQUAL(st.pulled, 2);
	CU_ASSERT_EQUAL(st.removed_local, 1);
	CU_ASSERT_EQUAL(lcount("Archive"), 3);
}

/* Both sides moved the same message (or a run was killed after renaming
 * a message another client moved): one copy on each side. */
static void test_both_moved(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL), *ar = fk_folder("Archiv", "Archive");
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *src = ldir("INBOX"), *dst = ldir("Archive");
	size_t n;

	fk_add_id(in, "mv", "S");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	CU_ASSERT_EQUAL_FATAL(maildir_create(dst, &err), 0);
	e = llist("INBOX", &n);
	CU_ASSERT_EQUAL(maildir_move(src, &e[0], dst, &err), 0);
	maildir_entries_free(e, n);
	fk_move(in, in->m[0].uid, ar);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed + st.removed_local + st.removed_remote, 0);
	CU_ASSERT_EQUAL(in->n, 0);
	CU_ASSERT_EQUAL(ar->n, 1);
	CU_ASSERT_EQUAL(lcount("Archive"), 1);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed + st.pulled + st.moved + st.flags_local + st.flags_remote, 0);
	free(src);
	free(dst);
}

/* A message moved on one side and removed on the other before a sync
 * is kept in the folder it was moved to, on both sides: moved here as
 * surel moves (a) and as mutt does (b), removed on the server; moved on
 * the server, removed here (c). */
static void test_moved_removed(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL), *ar = fk_folder("Archiv", "Archive");
	struct maildir_entry *e;
	struct sync_stats st;
	struct err err = ERR_INIT;
	char *src = ldir("INBOX"), *dst = ldir("Archive"), *data = NULL;
	const char *t[] = { "body of a", "body of b", "body of c" };
	size_t n, len, i;

	fk_add_id(in, "a", "S");
	fk_add_id(in, "b", "S");
	fk_add_id(in, "c", "S");
	fk_add_id(in, "stay", "");
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	CU_ASSERT_EQUAL_FATAL(maildir_create(dst, &err), 0);
	e = llist("INBOX", &n);
	CU_ASSERT_EQUAL(maildir_move(src, &e[lfind(e, n, "INBOX", "body of a")], dst, &err), 0);
	maildir_entries_free(e, n);
	fk_remove(in, sfind(in, "body of a")->uid);
	lmove_newname("INBOX", "body of b", "Archive", "S", 1);
	fk_remove(in, sfind(in, "body of b")->uid);
	fk_move(in, sfind(in, "body of c")->uid, ar);
	e = lget("INBOX", "body of c", &data, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(maildir_remove(src, e, &err), 0);
	maildir_entry_release(e);
	free(e);
	free(data);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(in->n, 1);
	CU_ASSERT_EQUAL(ar->n, 3);
	e = llist("Archive", &n);
	CU_ASSERT_EQUAL(n, 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_PTR_NOT_NULL(sfind(ar, t[i]));
		CU_ASSERT(lfind(e, n, "Archive", t[i]) >= 0);
	}
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(lcount("INBOX"), 1);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed + st.pulled + st.moved + st.removed_local + st.removed_remote, 0);
	CU_ASSERT_EQUAL(ar->n, 3);
	free(src);
	free(dst);
}

/* Moves on either side are no removals for the mass-deletion guard. */
static void test_moves_guard(void)
{
	struct ffolder *in = fk_folder("INBOX", NULL), *ar = fk_folder("Archiv", "Archive");
	struct sync_stats st;
	struct err err = ERR_INIT;
	char name[16];
	size_t i;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "m%zu", i);
		fk_add_id(in, name, "");
	}
	CU_ASSERT_EQUAL_FATAL(sync_ok(), 0);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "body of m%zu", i);
		fk_move(in, sfind(in, name)->uid, ar);
	}
	for (i = 3; i < 6; i++) {
		snprintf(name, sizeof(name), "body of m%zu", i);
		lmove_newname("INBOX", name, "Archive", "S", 1);
	}
	CU_ASSERT_EQUAL(run_sync("sync_max_delete = 2\n", 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.guarded, 0);
	CU_ASSERT_EQUAL(st.moved, 6);
	CU_ASSERT_EQUAL(st.pulled + st.pushed + st.removed_local + st.removed_remote, 0);
	CU_ASSERT_EQUAL(in->n, 0);
	CU_ASSERT_EQUAL(ar->n, 6);
}

static void test_ident(void)
{
	const char *m = "Message-ID: <a@b.test>\nSubject: s\r\n\nbody\n";
	uint64_t size;
	char *id = sync_ident(m, strlen(m), &size);

	CU_ASSERT_STRING_EQUAL(id, "a@b.test");
	CU_ASSERT_EQUAL(size, strlen(m) + 3);
	free(id);
	CU_ASSERT_PTR_NULL(sync_ident("Subject: x\n\nbody\n", 17, &size));
	CU_ASSERT_EQUAL(size, 20);
}

/* sent_upload = no: the provider files sent mail itself; new local Sent
 * messages stay local, flags still sync. */
static void test_sent_upload(void)
{
	struct ffolder *sent = fk_folder("Gesendet", "Sent");
	struct sync_stats st;
	struct err err = ERR_INIT;

	fk_add(sent, "old", "");
	CU_ASSERT_EQUAL(run_sync("sent_upload = no\n", 0, &st, &err), 0);
	ladd("Sent", "copy by sendq", "S");
	snprintf(sent->m[0].flags, 8, "S");
	CU_ASSERT_EQUAL(run_sync("sent_upload = no\n", 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed, 0);
	CU_ASSERT_EQUAL(st.flags_local, 1);
	CU_ASSERT_EQUAL(sent->n, 1);
	CU_ASSERT_EQUAL(fk.appends, 0);
	CU_ASSERT_EQUAL(run_sync(NULL, 0, &st, &err), 0);
	CU_ASSERT_EQUAL(st.pushed, 1);
	CU_ASSERT_EQUAL(sent->n, 2);
}

static void test_merge_digest(void)
{
	char out[8], d1[17], d2[17];
	uint64_t s1, s2;

	sync_merge_flags("S", "S", "FS", out);
	CU_ASSERT_STRING_EQUAL(out, "FS");
	sync_merge_flags("S", "", "FS", out);
	CU_ASSERT_STRING_EQUAL(out, "F");
	sync_merge_flags("", "R", "R", out);
	CU_ASSERT_STRING_EQUAL(out, "R");
	sync_merge_flags("FS", "F", "S", out);
	CU_ASSERT_STRING_EQUAL(out, "");
	sync_merge_flags("", "T", "D", out);
	CU_ASSERT_STRING_EQUAL(out, "DT");
	sync_digest("a\r\nb\r\n", 6, d1, &s1);
	sync_digest("a\nb\n", 4, d2, &s2);
	CU_ASSERT_STRING_EQUAL(d1, d2);
	CU_ASSERT_EQUAL(s1, 4);
	CU_ASSERT_EQUAL(s2, 4);
	sync_digest("a\rb\n", 4, d2, &s2);
	CU_ASSERT_STRING_NOT_EQUAL(d1, d2);
}

static void setup(void)
{
	fk_reset();
	tdir = tutil_tmpdir();
}

static void teardown(void)
{
	fk_reset();
	tutil_rmtree();
}

/* sync_folders and sync_exclude: lists of patterns, split at commas and
 * blanks. */
static void test_filter(void)
{
	struct sync_stats st;
	struct err err = ERR_INIT;

	fk_add(fk_folder("INBOX", NULL), "i", "");
	fk_add(fk_folder("Archive", NULL), "a", "");
	fk_add(fk_folder("Junk", NULL), "j", "");
	CU_ASSERT_EQUAL(run_sync("sync_exclude = Junk,  Arch*\n", 0, &st, &err), 0);
	CU_ASSERT_EQUAL(lcount("INBOX"), 1);
	CU_ASSERT_EQUAL(lcount("Archive"), 0);
	CU_ASSERT_EQUAL(lcount("Junk"), 0);
	CU_ASSERT_EQUAL(run_sync("sync_folders = INBOX Junk\n", 0, &st, &err), 0);
	CU_ASSERT_EQUAL(lcount("Archive"), 0);
	CU_ASSERT_EQUAL(lcount("Junk"), 1);
}

void suite_sync(void)
{
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("sync", NULL, NULL, setup, teardown);

	CU_add_test(s, "three-way flag merge; digests", test_merge_digest);
	CU_add_test(s, "new messages both ways, special use", test_both_ways);
	CU_add_test(s, "flags merged per letter", test_flag_merge);
	CU_add_test(s, "removals both ways, a conflict", test_removals);
	CU_add_test(s, "no UIDPLUS: left marked, not back", test_no_uidplus);
	CU_add_test(s, "the mass-deletion guard", test_guard);
	CU_add_test(s, "interrupted download and APPEND", test_interrupted);
	CU_add_test(s, "renumbered folder, lost state", test_renumbered);
	CU_add_test(s, "a move between synced folders", test_move);
	CU_add_test(s, "sent_upload = no", test_sent_upload);
	CU_add_test(s, "size with CRLF and Message-ID", test_ident);
	CU_add_test(s, "a move under a new name; ambiguous copies", test_move_new_name);
	CU_add_test(s, "a move on the server; ambiguous arrivals", test_server_move);
	CU_add_test(s, "the same move on both sides", test_both_moved);
	CU_add_test(s, "moves pass the mass-deletion guard", test_moves_guard);
	CU_add_test(s, "moved on one side, removed on the other: kept", test_moved_removed);
	CU_add_test(s, "sync_folders and sync_exclude", test_filter);
}
