#include "config.h"

#include <errno.h>
#include <signal.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "afile.h"
#include "batch.h"
#include "fetch.h"
#include "idxhint.h"
#include "imap.h"
#include "log.h"
#include "maildir.h"
#include "out.h"
#include "path.h"
#include "strv.h"
#include "sync.h"
#include "syncimap.h"
#include "syncstamp.h"
#include "syncstatus.h"
#include "syncstate.h"
#include "view.h"
#include "xalloc.h"

/* Downloads are committed (batch, then journal) every so many. */
#define SYNC_BATCH_MSGS 64
#define SYNC_BATCH_BYTES (4u * 1024 * 1024)
/* Uploads read ahead and journalled as pending at once: so many, or
 * until so many bytes are in memory. */
#define SYNC_APPEND_GROUP 64
#define SYNC_APPEND_BYTES (16u * 1024 * 1024)

/* ---- the merge, digests, tags ---- */

void sync_merge_flags(const char *base, const char *local, const char *remote, char out[8])
{
	static const char synced[] = "DFRST";
	size_t i, n = 0;

	for (i = 0; synced[i]; i++) {
		int c = synced[i];
		int b = strchr(base, c) != NULL, l = strchr(local, c) != NULL;
		int r = strchr(remote, c) != NULL;

		/* The side that differs from the base changed it; if both
		 * differ, both changed it the same way. */
		if (l != b ? l : r)
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

void sync_digest(const char *data, size_t len, char out[17], uint64_t *size_out)
{
	uint64_t h = 0xcbf29ce484222325ULL, size = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		h ^= (unsigned char)data[i];
		h *= 0x100000001b3ULL;
		size++;
	}
	snprintf(out, 17, "%016" PRIx64, h);
	*size_out = size;
}

char *sync_ident(const char *data, size_t len, uint64_t *size_out)
{
	size_t i, lf = 0;

	for (i = 0; i < len; i++)
		lf += data[i] == '\n' && (i == 0 || data[i - 1] != '\r');
	*size_out = (uint64_t)len + lf;
	return source_message_id(data, len);
}

void sync_rheads_free(struct sync_rhead *h, size_t n)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < n; i++)
		free(h[i].msgid);
	free(h);
}

void sync_rfolders_free(struct sync_rfolder *f, size_t n)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].role);
	}
	free(f);
}

static uint32_t folder_hash(const char *name)
{
	uint32_t h = 0x811c9dc5u;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x01000193u;
	}
	return h;
}

/* The UID in the ",R=UIDVALIDITY.UID.HASH" tag of key when it names this
 * numbering of this folder, else 0.  The folder's hash keeps a file moved
 * here from another folder (same UIDVALIDITY by chance) from passing for
 * this folder's message. */
static uint32_t tag_uid(const char *key, uint32_t uidvalidity, uint32_t fhash)
{
	const char *t = strstr(key, ",R=");
	unsigned long v, u, h;
	char *e;

	if (!t)
		return 0;
	t += 3;
	errno = 0;
	v = strtoul(t, &e, 10);
	if (errno || *e != '.' || v != uidvalidity)
		return 0;
	u = strtoul(e + 1, &e, 10);
	if (errno || *e != '.' || u == 0 || u > UINT32_MAX)
		return 0;
	h = strtoul(e + 1, &e, 16);
	if (errno || (*e && *e != ',') || h != fhash)
		return 0;
	return (uint32_t)u;
}

static void flags_diff(const char *from, const char *to, char add[8], char del[8])
{
	size_t a = 0, d = 0;
	const char *p;

	for (p = to; *p; p++)
		if (!strchr(from, *p))
			add[a++] = *p;
	for (p = from; *p; p++)
		if (!strchr(to, *p))
			del[d++] = *p;
	add[a] = del[d] = '\0';
}

/* ---- one account ---- */

struct acct {
	const struct cfg_account *a;
	const struct sync_opts *o;
	const struct sync_remote_ops *ops;
	struct sync_remote *r;
	char *root, *statedir, *aenc;
	long max_delete;  /* messages; with pct, percent of the folder */
	int max_pct;
	int sent_upload;
	const struct pair *sel;  /* the folder selected on the server */
	struct syncstamps *stamps;  /* NULL in a dry run */
	struct sync_stats st;
};

/* A folder pair: the server's name and the local one. */
struct pair {
	char *remote;
	char *local;
	const char *role;
};

/* A local message, by key. */
struct lmsg {
	struct maildir_entry e;
	int paired;  /* has a record, or got one this run */
};

struct folder {
	struct acct *ac;
	const struct pair *p;
	char *dir;
	uint32_t fhash;
	struct syncstate *ss;
	struct sync_rinfo info;
	struct sync_ritem *ri;   /* ascending uid */
	size_t nri;
	uint32_t *vanished;      /* ascending */
	size_t nvan;
	int delta;
	struct lmsg *lm;         /* ascending key */
	size_t nlm;
	/* The plan. */
	uint32_t *down;          /* uids to download */
	size_t ndown;
	size_t *up;              /* indexes into lm to upload */
	size_t nup;
	uint32_t *rm_remote;     /* uids to remove from the server */
	size_t nrm_remote;
	size_t *rm_local;        /* indexes into lm to unlink */
	size_t nrm_local;
	/* Candidates a download may turn out to be (digest, size, key):
	 * pending appends, or every local file after a UIDVALIDITY change. */
	struct syncstate_pend *cand;
	size_t ncand;
	int rematch;             /* new UIDVALIDITY: local files are candidates */
	size_t nflags_remote;    /* messages whose flags change on the server */
	int moved_in;            /* a message moved here after the plan */
	int ready;               /* read and planned */
	/* The stamp this sync earns if it completes (syncstamp.h): both
	 * sides as they were before they were read. */
	struct syncstamp stamp;
	int stampable;           /* the directories could vouch for it */
	int unsettled;           /* work left for the next run: no stamp */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_ritem(const void *a, const void *b)
{
	return cmp_u32(&((const struct sync_ritem *)a)->uid, &((const struct sync_ritem *)b)->uid);
}

static int cmp_lmsg(const void *a, const void *b)
{
	const struct lmsg *x = a, *y = b;
	int c = strcmp(x->e.key, y->e.key);

	/* The cur/ copy of a key listed twice (moved from new/ during the
	 * listing) first. */
	return c ? c : x->e.is_new - y->e.is_new;
}

static int cmp_key(const void *k, const void *b)
{
	return strcmp(k, ((const struct lmsg *)b)->e.key);
}

static struct lmsg *local_find(struct folder *f, const char *key)
{
	return f->nlm ? bsearch(key, f->lm, f->nlm, sizeof(*f->lm), cmp_key) : NULL;
}

static struct sync_ritem *remote_find(struct folder *f, uint32_t uid)
{
	struct sync_ritem k;

	k.uid = uid;
	return f->nri ? bsearch(&k, f->ri, f->nri, sizeof(*f->ri), cmp_ritem) : NULL;
}

static int vanished(const struct folder *f, uint32_t uid)
{
	return f->nvan && bsearch(&uid, f->vanished, f->nvan, sizeof(uid), cmp_u32) != NULL;
}

/* Read the local folder: its messages by key, each key once. */
static int local_list(struct folder *f, struct lmsg **out, size_t *n_out, struct err *err)
{
	struct maildir_entry *e;
	struct lmsg *lm;
	size_t n, i, k = 0;

	if (maildir_list(f->dir, 0, &e, &n, err) < 0)
		return -1;
	lm = xcalloc(n + 1, sizeof(*lm));
	for (i = 0; i < n; i++) {
		lm[i].e = e[i];
		memset(&e[i], 0, sizeof(e[i]));
	}
	free(e);
	qsort(lm, n, sizeof(*lm), cmp_lmsg);
	for (i = 0; i < n; i++) {
		if ((k && strcmp(lm[k - 1].e.key, lm[i].e.key) == 0) || strchr(lm[i].e.key, '\n')) {
			maildir_entry_release(&lm[i].e);
			continue;
		}
		lm[k++] = lm[i];
	}
	*out = lm;
	*n_out = k;
	return 0;
}

static void lmsgs_free(struct lmsg *lm, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		maildir_entry_release(&lm[i].e);
	free(lm);
}

/* The local side: one listing, and a second one when messages the state
 * knows seem gone, so that a file renamed by a mail reader while readdir
 * ran (which readdir may miss under either name) is not taken for one the
 * user removed: only a key missing from both listings is gone. */
static int local_read(struct folder *f, struct err *err)
{
	struct lmsg *again;
	size_t i, nagain, missing = 0;

	if (local_list(f, &f->lm, &f->nlm, err) < 0)
		return -1;
	for (i = 0; i < syncstate_count(f->ss); i++) {
		struct syncstate_rec *r = syncstate_at(f->ss, i);

		if (r->key && !local_find(f, r->key))
			missing++;
	}
	if (!missing)
		return 0;
	if (local_list(f, &again, &nagain, err) < 0)
		return -1;
	for (i = 0; i < nagain; i++) {
		if (local_find(f, again[i].e.key))
			continue;
		f->lm = xreallocarray(f->lm, f->nlm + 1, sizeof(*f->lm));
		f->lm[f->nlm++] = again[i];
		memset(&again[i].e, 0, sizeof(again[i].e));
	}
	lmsgs_free(again, nagain);
	qsort(f->lm, f->nlm, sizeof(*f->lm), cmp_lmsg);
	return 0;
}

static char *state_path(const struct acct *ac, const char *local)
{
	char *fenc = fetch_name_enc(local);
	char *p = xasprintf("%s/%s.%s.state", ac->statedir, ac->aenc, fenc);

	free(fenc);
	return p;
}

/* ---- planning ---- */

static void push_u32(uint32_t **v, size_t *n, uint32_t x)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

static void push_size(size_t **v, size_t *n, size_t x)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

/* What the server has of record r now: 1 with *ri set (flags), or 0 when
 * it is gone.  In a delta listing a message not mentioned is unchanged. */
static int remote_has(struct folder *f, const struct syncstate_rec *r, struct sync_ritem *ri)
{
	struct sync_ritem *it = remote_find(f, r->uid);

	if (it) {
		*ri = *it;
		return 1;
	}
	if (!f->delta || vanished(f, r->uid))
		return 0;
	ri->uid = r->uid;
	memcpy(ri->flags, r->flags, sizeof(ri->flags));
	return 1;
}

/* The changes of one message both sides had: flags to merge, or a
 * removal to carry over.  Flag changes are counted here and made by
 * apply_flags(). */
static void plan_record(struct folder *f, struct syncstate_rec *r)
{
	struct lmsg *l = local_find(f, r->key);
	struct sync_ritem ri;
	int rhas = remote_has(f, r, &ri);
	char lf[8], m[8];

	if (l)
		l->paired = 1;
	if (l && rhas) {
		syncstate_flags(l->e.flags, lf);
		sync_merge_flags(r->flags, lf, ri.flags, m);
		f->ac->st.flags_local += strcmp(m, lf) != 0;
		f->ac->st.flags_remote += strcmp(m, ri.flags) != 0;
		f->nflags_remote += strcmp(m, ri.flags) != 0;
		return;
	}
	if (!l && rhas) {
		/* Marked by an earlier run on a server without UIDPLUS:
		 * nothing more can be done there. */
		if (!f->info.uidplus && strchr(ri.flags, 'T'))
			return;
		if (strcmp(ri.flags, r->flags) != 0) {
			f->ac->st.conflicts++;
			log_info("folder '%s': UID %" PRIu32 " removed here, flags changed on the server: removed",
				 f->p->local, r->uid);
		}
		push_u32(&f->rm_remote, &f->nrm_remote, r->uid);
		return;
	}
	if (l && !rhas) {
		syncstate_flags(l->e.flags, lf);
		if (strcmp(lf, r->flags) != 0) {
			f->ac->st.conflicts++;
			log_info("folder '%s': '%s' removed on the server, flags changed here: removed",
				 f->p->local, r->key);
		}
		push_size(&f->rm_local, &f->nrm_local, (size_t)(l - f->lm));
	}
}

static int is_new_remote(struct folder *f, uint32_t uid)
{
	return !syncstate_by_uid(f->ss, uid);
}

/* The plan of the folder: records first, then what either side has that
 * the state does not know. */
static void plan(struct folder *f)
{
	size_t i;

	for (i = 0; i < syncstate_count(f->ss); i++) {
		struct syncstate_rec *r = syncstate_at(f->ss, i);

		if (r->key)
			plan_record(f, r);
	}
	for (i = 0; i < f->nlm; i++) {
		struct lmsg *l = &f->lm[i];
		uint32_t u;

		if (l->paired)
			continue;
		/* Stored by a run that died before journalling it. */
		u = tag_uid(l->e.key, f->info.uidvalidity, f->fhash);
		if (u && is_new_remote(f, u) && remote_find(f, u)) {
			struct sync_ritem *it = remote_find(f, u);

			log_debug("folder '%s': '%s' is UID %" PRIu32 ", stored before", f->p->local,
				  l->e.key, u);
			if (!f->ac->o->dry_run)
				syncstate_put(f->ss, u, it->flags, l->e.key);
			l->paired = 1;
			continue;
		}
		push_size(&f->up, &f->nup, i);
	}
	for (i = 0; i < f->nri; i++)
		if (is_new_remote(f, f->ri[i].uid))
			push_u32(&f->down, &f->ndown, f->ri[i].uid);
}

/* Whether the removals planned pass sync_max_delete. */
static int guard_ok(struct folder *f)
{
	size_t known = 0, i, limit;

	for (i = 0; i < syncstate_count(f->ss); i++)
		known += syncstate_at(f->ss, i)->key != NULL;
	limit = f->ac->max_pct ? known * (size_t)f->ac->max_delete / 100 : (size_t)f->ac->max_delete;
	if (f->ac->o->allow_delete || (f->nrm_remote <= limit && f->nrm_local <= limit))
		return 1;
	log_error("folder '%s': %zu removal(s) from the server and %zu here exceed sync_max_delete (%zu); folder left unchanged (--allow-delete lets them through)",
		  f->p->local, f->nrm_remote, f->nrm_local, limit);
	return 0;
}

/* ---- carrying out ---- */

/* Flags: each message's merge made on the side(s) that lag, then
 * journalled.  Server changes are grouped by what they add and remove,
 * so a thousand messages marked read are one command. */
struct flagop {
	char add[8], del[8];
	uint32_t *uids;
	size_t n;
};

static struct flagop *flagop_for(struct flagop **ops, size_t *nops, const char *add,
				 const char *del)
{
	size_t i;

	for (i = 0; i < *nops; i++)
		if (strcmp((*ops)[i].add, add) == 0 && strcmp((*ops)[i].del, del) == 0)
			return &(*ops)[i];
	*ops = xreallocarray(*ops, *nops + 1, sizeof(**ops));
	memset(&(*ops)[*nops], 0, sizeof(**ops));
	snprintf((*ops)[*nops].add, 8, "%s", add);
	snprintf((*ops)[*nops].del, 8, "%s", del);
	return &(*ops)[(*nops)++];
}

static int local_flags(struct folder *f, struct lmsg *l, const char *lf, const char *m,
		       struct err *err)
{
	char add[8], del[8];

	flags_diff(lf, m, add, del);
	if (maildir_change_flags(f->dir, &l->e, add, del, err) == 0)
		return 0;
	if (err->code != EX_NOINPUT)
		return -1;
	/* Removed meanwhile: the next run sees it gone. */
	err_clear(err);
	return 1;
}

static int apply_flags(struct folder *f, struct err *err)
{
	struct flagop *ops = NULL;
	uint32_t *done = NULL;
	size_t nops = 0, ndone = 0, i;
	int rc = 0;

	for (i = 0; i < syncstate_count(f->ss) && rc == 0; i++) {
		struct syncstate_rec *r = syncstate_at(f->ss, i);
		struct lmsg *l = r->key ? local_find(f, r->key) : NULL;
		struct sync_ritem ri;
		char lf[8], m[8], add[8], del[8];
		int lr = 0;

		if (!l || !remote_has(f, r, &ri))
			continue;
		syncstate_flags(l->e.flags, lf);
		sync_merge_flags(r->flags, lf, ri.flags, m);
		if (strcmp(m, lf) != 0)
			lr = local_flags(f, l, lf, m, err);
		if (lr < 0) {
			rc = -1;
			break;
		}
		if (strcmp(m, ri.flags) != 0) {
			struct flagop *op;

			flags_diff(ri.flags, m, add, del);
			op = flagop_for(&ops, &nops, add, del);
			push_u32(&op->uids, &op->n, r->uid);
		}
		if (lr == 0 && strcmp(m, r->flags) != 0) {
			push_u32(&done, &ndone, r->uid);
			/* The merge is recorded once both sides have it. */
			snprintf(r->flags, sizeof(r->flags), "%s", m);
		}
	}
	for (i = 0; i < nops; i++) {
		if (rc == 0) {
			qsort(ops[i].uids, ops[i].n, sizeof(uint32_t), cmp_u32);
			rc = f->ac->ops->store(f->ac->r, ops[i].uids, ops[i].n, ops[i].add, ops[i].del,
					       err);
		}
		free(ops[i].uids);
	}
	free(ops);
	for (i = 0; i < ndone && rc == 0; i++) {
		struct syncstate_rec *r = syncstate_by_uid(f->ss, done[i]);

		syncstate_set_flags(f->ss, r, r->flags);
	}
	free(done);
	return rc < 0 ? -1 : syncstate_commit(f->ss, err);
}

static int apply_removals(struct folder *f, struct err *err)
{
	size_t i;
	int expunged = 0;

	if (f->nrm_remote) {
		qsort(f->rm_remote, f->nrm_remote, sizeof(uint32_t), cmp_u32);
		if (f->ac->ops->expunge(f->ac->r, f->rm_remote, f->nrm_remote, &expunged, err) < 0)
			return -1;
		if (expunged) {
			for (i = 0; i < f->nrm_remote; i++)
				syncstate_drop(f->ss, f->rm_remote[i]);
			f->ac->st.removed_remote += f->nrm_remote;
		} else {
			/* The record stays (file gone, message marked): the
			 * next run marks it again, never uploads it. */
			log_warnx("folder '%s': the server has no UIDPLUS: %zu message(s) left marked \\Deleted, not expunged",
				  f->p->local, f->nrm_remote);
			f->ac->st.left_marked += f->nrm_remote;
		}
	}
	for (i = 0; i < f->nrm_local; i++) {
		struct lmsg *l = &f->lm[f->rm_local[i]];
		struct syncstate_rec *r = syncstate_by_key(f->ss, l->e.key);

		if (maildir_remove(f->dir, &l->e, err) < 0)
			return -1;
		if (r)
			syncstate_drop(f->ss, r->uid);
		f->ac->st.removed_local++;
	}
	return syncstate_commit(f->ss, err);
}

/* ---- downloads ---- */

struct stored {
	uint32_t uid;
	char flags[8];
	char *key;
};

struct down {
	struct folder *f;
	struct batch *b;
	struct stored *st;
	size_t n;
};

/* Commit the batch, then record what it stored: the order that makes a
 * crash in between leave tagged files, never records without files. */
static int down_commit(struct down *d, struct err *err)
{
	size_t i;
	int rc = 0;

	if (batch_count(d->b) && batch_commit(d->b, err) < 0)
		rc = -1;
	for (i = 0; i < d->n; i++) {
		if (rc == 0)
			syncstate_put(d->f->ss, d->st[i].uid, d->st[i].flags, d->st[i].key);
		free(d->st[i].key);
	}
	d->n = 0;
	return rc < 0 ? -1 : syncstate_commit(d->f->ss, err);
}

/* The candidate the downloaded message is a copy of, or NULL. */
static struct syncstate_pend *candidate(struct folder *f, const struct sync_rmsg *m)
{
	char digest[17];
	uint64_t size;
	size_t i;

	if (!f->ncand)
		return NULL;
	sync_digest(m->data, m->len, digest, &size);
	for (i = 0; i < f->ncand; i++) {
		struct syncstate_pend *c = &f->cand[i];

		if (c->key && m->uid >= c->uidnext && c->size == size &&
		    strcmp(c->digest, digest) == 0)
			return c;
	}
	return NULL;
}

static int on_down(const struct sync_rmsg *m, void *ctx, struct err *err)
{
	struct down *d = ctx;
	struct folder *f = d->f;
	struct sync_ritem *it = remote_find(f, m->uid);
	struct syncstate_pend *c;
	const char *path, *base;
	char tag[48];

	if (!it || !is_new_remote(f, m->uid))
		return 0;
	c = candidate(f, m);
	if (c) {
		log_debug("folder '%s': UID %" PRIu32 " is '%s' already here", f->p->local, m->uid,
			  c->key);
		syncstate_put(f->ss, m->uid, it->flags, c->key);
		free(c->key);
		c->key = NULL;
		return 0;
	}
	snprintf(tag, sizeof(tag), "%" PRIu32 ".%" PRIu32 ".%08" PRIx32, f->info.uidvalidity, m->uid,
		 f->fhash);
	if (batch_add(d->b, m->data, m->len, 1, tag, it->flags, err) < 0)
		return -1;
	path = batch_last_path(d->b);
	base = strrchr(path, '/') + 1;
	d->st = xreallocarray(d->st, d->n + 1, sizeof(*d->st));
	d->st[d->n].uid = m->uid;
	memcpy(d->st[d->n].flags, it->flags, sizeof(it->flags));
	d->st[d->n].key = xstrndup(base, strcspn(base, ":"));
	d->n++;
	f->ac->st.pulled++;
	if (batch_count(d->b) >= SYNC_BATCH_MSGS || batch_bytes(d->b) >= SYNC_BATCH_BYTES)
		return down_commit(d, err);
	return 0;
}

static int download(struct folder *f, struct err *err)
{
	struct down d;
	int rc;

	if (!f->ndown)
		return 0;
	memset(&d, 0, sizeof(d));
	d.f = f;
	d.b = batch_new(f->dir);
	batch_sweep(f->dir, 36 * 3600);
	rc = f->ac->ops->fetch(f->ac->r, f->down, f->ndown, on_down, &d, err);
	/* What arrived before a failure is kept. */
	if (down_commit(&d, rc < 0 ? &(struct err)ERR_INIT : err) < 0 && rc == 0)
		rc = -1;
	free(d.st);
	batch_free(d.b);
	return rc;
}

/* ---- uploads ---- */

struct upmsg {
	size_t li;      /* index into lm */
	char *data;
	size_t len;
	time_t mtime;
	char flags[8];
};

/* Read local message l for upload; 1 when it is gone or unreadable
 * (skipped, with a warning for the latter: the next run tries again). */
static int up_read(struct folder *f, struct lmsg *l, struct upmsg *u, struct err *err)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		char *path = path_join(f->dir, l->e.path);
		struct maildir_entry e;
		struct stat sb;
		int rc = -1;

		if (stat(path, &sb) == 0)
			rc = afile_read_regular(path, AFILE_MSG_MAX, &u->data, &u->len, err);
		else
			err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot read '%s'", path);
		free(path);
		if (rc == 0) {
			u->mtime = sb.st_mtime;
			syncstate_flags(l->e.flags, u->flags);
			return 0;
		}
		if (err->errnum != ENOENT) {
			log_warnx("folder '%s': not uploaded: %s", f->p->local, err->msg);
			err_clear(err);
			f->unsettled = 1;
			return 1;
		}
		err_clear(err);
		/* Renamed by a mail reader since the listing: find it by key. */
		if (maildir_find(f->dir, l->e.key, &e, err) < 0) {
			err_clear(err);
			return 1;
		}
		maildir_entry_release(&l->e);
		l->e = e;
	}
	return 1;
}

/* Whether local message l goes to the server at all: sent_upload = no
 * leaves the Sent folder's new messages to the provider. */
static int uploads(const struct folder *f)
{
	return f->ac->sent_upload || !f->p->role || strcmp(f->p->role, "Sent") != 0;
}

/* Upload a group of the n messages at idx, as many as SYNC_APPEND_BYTES
 * allows (at least one; *used_out says how many): journalled as pending
 * first (one commit), then appended, each recorded as it is. */
static int upload_group(struct folder *f, const size_t *idx, size_t n, size_t *used_out,
			struct err *err)
{
	struct upmsg *u = xcalloc(n + 1, sizeof(*u));
	size_t i, nu = 0, bytes = 0;
	int rc = 0;

	for (i = 0; i < n && (i == 0 || bytes < SYNC_APPEND_BYTES); i++) {
		struct lmsg *l = &f->lm[idx[i]];
		char digest[17];
		uint64_t size;

		if (syncstate_by_key(f->ss, l->e.key))
			continue;
		u[nu].li = idx[i];
		rc = up_read(f, l, &u[nu], err);
		if (rc < 0)
			break;
		if (rc > 0) {
			rc = 0;
			continue;
		}
		sync_digest(u[nu].data, u[nu].len, digest, &size);
		syncstate_pend(f->ss, l->e.key, f->info.uidnext, size, digest);
		bytes += u[nu].len;
		nu++;
	}
	*used_out = i;
	if (rc == 0)
		rc = syncstate_commit(f->ss, err);
	for (i = 0; i < nu && rc == 0; i++) {
		struct lmsg *l = &f->lm[u[i].li];
		uint32_t uid = 0;

		rc = f->ac->ops->append(f->ac->r, f->p->remote, u[i].data, u[i].len, u[i].flags,
					u[i].mtime, &uid, err);
		if (rc < 0)
			break;
		/* Without APPENDUID the message stays pending: the next run
		 * finds it among the server's new messages by its digest.
		 * With it, the record is committed at once: a pending append
		 * that another client removes from the server before the next
		 * run cannot be told from one that never arrived, and is sent
		 * again, so the window stays one round trip wide. */
		if (uid) {
			syncstate_put(f->ss, uid, u[i].flags, l->e.key);
			rc = syncstate_commit(f->ss, err);
		}
		f->ac->st.pushed++;
	}
	for (i = 0; i < nu; i++)
		free(u[i].data);
	free(u);
	if (syncstate_commit(f->ss, rc < 0 ? &(struct err)ERR_INIT : err) < 0 && rc == 0)
		rc = -1;
	return rc;
}

static int upload(struct folder *f, struct err *err)
{
	size_t i, k;

	if (!uploads(f)) {
		if (f->nup)
			log_debug("folder '%s': %zu new message(s) not uploaded (sent_upload = no)",
				  f->p->local, f->nup);
		return 0;
	}
	for (i = 0; i < f->nup; i += k) {
		k = f->nup - i < SYNC_APPEND_GROUP ? f->nup - i : SYNC_APPEND_GROUP;
		if (upload_group(f, f->up + i, k, &k, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- one folder ---- */

/* Candidates for the downloads: the pending appends of the state, and
 * with rematch every local file (a new UIDVALIDITY, or a first sync of a
 * folder both sides have: what is on both sides by content is paired,
 * not copied twice). */
static void candidates(struct folder *f)
{
	size_t i;

	for (i = 0; i < syncstate_pend_count(f->ss); i++) {
		const struct syncstate_pend *p = syncstate_pend_at(f->ss, i);

		f->cand = xreallocarray(f->cand, f->ncand + 1, sizeof(*f->cand));
		f->cand[f->ncand] = *p;
		f->cand[f->ncand++].key = xstrdup(p->key);
	}
	if (!f->rematch || !f->ndown)
		return;
	for (i = 0; i < f->nlm; i++) {
		struct upmsg u;
		struct err e = ERR_INIT;
		struct syncstate_pend *c;

		memset(&u, 0, sizeof(u));
		if (f->lm[i].paired || up_read(f, &f->lm[i], &u, &e) != 0)
			continue;
		f->cand = xreallocarray(f->cand, f->ncand + 1, sizeof(*f->cand));
		c = &f->cand[f->ncand++];
		sync_digest(u.data, u.len, c->digest, &c->size);
		c->uidnext = 0;
		c->key = xstrdup(f->lm[i].e.key);
		free(u.data);
	}
}

static void folder_release(struct folder *f)
{
	size_t i;

	for (i = 0; i < f->ncand; i++)
		free(f->cand[i].key);
	free(f->cand);
	syncstate_free(f->ss);
	free(f->ri);
	free(f->vanished);
	lmsgs_free(f->lm, f->nlm);
	free(f->down);
	free(f->up);
	free(f->rm_remote);
	free(f->rm_local);
	free(f->dir);
}

static size_t live_records(struct syncstate *ss)
{
	size_t i, n = 0;

	for (i = 0; i < syncstate_count(ss); i++)
		n += syncstate_at(ss, i)->key != NULL;
	return n;
}

/* The digest of a full listing, for the stamp: without CONDSTORE the
 * next run compares the server's listing with it. */
static void listing_digest(struct folder *f)
{
	struct syncstamp_digest d;
	size_t i;

	syncstamp_digest_init(&d);
	for (i = 0; i < f->nri; i++)
		syncstamp_digest_add(&d, f->ri[i].uid, f->ri[i].flags);
	syncstamp_digest_end(&d, f->stamp.r.digest);
}

/* The server side of the folder: select, then its messages; a delta that
 * does not add up to the folder's size is replaced by a full listing. */
static int remote_read(struct folder *f, struct err *err)
{
	struct acct *ac = f->ac;
	uint64_t since;
	size_t i, present = 0;

	if (ac->ops->select(ac->r, f->p->remote, &f->info, err) < 0)
		return -1;
	ac->sel = f->p;
	if (syncstate_uidvalidity(f->ss) != f->info.uidvalidity) {
		if (live_records(f->ss))
			log_warnx("folder '%s': the server renumbered it (UIDVALIDITY %" PRIu32 " -> %" PRIu32 "); matching messages by content",
				  f->p->local, syncstate_uidvalidity(f->ss), f->info.uidvalidity);
		syncstate_reset(f->ss, f->info.uidvalidity);
		/* The numbering is on disk before any record of it is. */
		if (!ac->o->dry_run && syncstate_save(f->ss, err) < 0)
			return -1;
	}
	if (!live_records(f->ss))
		f->rematch = 1;
	since = f->rematch ? 0 : syncstate_modseq(f->ss);
	for (;;) {
		/* With QRESYNC every change, an expunge too, raises
		 * HIGHESTMODSEQ: the same one as last time is nothing new,
		 * and no listing is needed (the count is checked below). */
		if (since && f->info.qresync && f->info.modseq == since) {
			f->ri = xcalloc(1, sizeof(*f->ri));
			f->delta = 1;
		} else if (ac->ops->list(ac->r, since, &f->ri, &f->nri, &f->vanished, &f->nvan,
					 &f->delta, err) < 0) {
			return -1;
		}
		qsort(f->ri, f->nri, sizeof(*f->ri), cmp_ritem);
		if (f->nvan)
			qsort(f->vanished, f->nvan, sizeof(uint32_t), cmp_u32);
		if (!f->delta) {
			listing_digest(f);
			return 0;
		}
		for (i = 0; i < syncstate_count(f->ss); i++) {
			struct syncstate_rec *r = syncstate_at(f->ss, i);
			struct sync_ritem ri;

			present += r->key && remote_has(f, r, &ri);
		}
		for (i = 0; i < f->nri; i++)
			present += is_new_remote(f, f->ri[i].uid);
		if (present == f->info.exists) {
			log_debug("folder '%s': %zu changed, %zu gone since MODSEQ %" PRIu64,
				  f->p->local, f->nri, f->nvan, since);
			return 0;
		}
		log_debug("folder '%s': changes since %" PRIu64 " do not add up (%zu, EXISTS %" PRIu32 "); listing all",
			  f->p->local, since, present, f->info.exists);
		free(f->ri);
		free(f->vanished);
		f->ri = NULL;
		f->vanished = NULL;
		f->nri = f->nvan = 0;
		since = 0;
	}
}

static void dry_report(struct folder *f)
{
	struct sync_stats *st = &f->ac->st;

	st->pulled += f->ndown;
	st->pushed += uploads(f) ? f->nup : 0;
	st->removed_local += f->nrm_local;
	st->removed_remote += f->nrm_remote;
	log_info("folder '%s': would get %zu, send %zu, remove %zu here and %zu on the server",
		 f->p->local, f->ndown, uploads(f) ? f->nup : 0, f->nrm_local, f->nrm_remote);
}

/* Pass one: both sides read and the folder planned. */
static int folder_prepare(struct folder *f, struct err *err)
{
	struct acct *ac = f->ac;

	/* Before the listing: a change while it runs shows next time. */
	f->stampable = syncstamp_dirs_now(f->dir, &f->stamp.l) == 0;
	if (!maildir_is(f->dir)) {
		/* A folder that vanished here is no removal of its messages:
		 * they are fetched again. */
		if (live_records(f->ss))
			log_warnx("folder '%s': the local folder is gone; its messages are fetched again",
				  f->p->local);
		syncstate_reset(f->ss, 0);
		if (!ac->o->dry_run && maildir_create(f->dir, err) < 0)
			return -1;
	}
	if (remote_read(f, err) < 0)
		return -1;
	if (maildir_is(f->dir) && local_read(f, err) < 0)
		return -1;
	plan(f);
	return 0;
}

static int needs_server(const struct folder *f)
{
	return f->ndown || f->nrm_remote || f->nflags_remote || f->moved_in ||
	       (f->nup && uploads(f));
}

/* Pass two: the plan carried out.  Other folders were selected since
 * pass one read this one, so it is selected again when the plan needs the
 * server; a renumbering in between ends the folder's run (the next run
 * matches its messages by content). */
static int folder_finish(struct folder *f, struct err *err)
{
	struct acct *ac = f->ac;
	struct sync_rinfo info;

	if (!guard_ok(f)) {
		ac->st.guarded++;
		f->unsettled = 1;
		return 0;
	}
	if (ac->o->dry_run) {
		dry_report(f);
		return 0;
	}
	if (needs_server(f) && ac->sel != f->p) {
		if (ac->ops->select(ac->r, f->p->remote, &info, err) < 0)
			return -1;
		ac->sel = f->p;
		if (info.uidvalidity != f->info.uidvalidity)
			return err_set(err, EX_TEMPFAIL, "the server renumbered the folder during the run");
	}
	candidates(f);
	if (apply_flags(f, err) < 0 || apply_removals(f, err) < 0 || download(f, err) < 0)
		return -1;
	/* Pending appends were matched by the downloads or are uploaded
	 * again now. */
	syncstate_pend_clear(f->ss);
	if (upload(f, err) < 0)
		return -1;
	syncstate_set_folder(f->ss, f->info.uidnext, f->info.modseq);
	return syncstate_save(f->ss, err);
}

/* Record (or forget) the stamp of folder f after its sync ended with rc:
 * only a sync that left nothing for the next run earns one. */
static void stamp(struct folder *f, int rc)
{
	char *state;

	if (!f->ac->stamps)
		return;
	state = state_path(f->ac, f->p->local);
	f->stamp.r.uidvalidity = f->info.uidvalidity;
	f->stamp.r.uidnext = f->info.uidnext;
	f->stamp.r.exists = f->info.exists;
	f->stamp.r.modseq = f->info.modseq;
	/* The digest is of the listing pass one read.  Flags this run set
	 * there (a flag change, a \Deleted mark) leave UIDNEXT and the count
	 * as they were, so another client taking them back would make the
	 * server match the stamp again while the state says they were
	 * pushed: such a digest vouches for nothing.  (HIGHESTMODSEQ only
	 * grows, and a removal or a new message moves UIDNEXT or the count
	 * for good.) */
	if (f->nflags_remote || f->nrm_remote)
		f->stamp.r.digest[0] = '\0';
	if (rc == 0 && f->stampable && !f->unsettled && syncstate_pend_count(f->ss) == 0 &&
	    syncstamp_state_now(state, &f->stamp.l) == 0)
		syncstamps_set(f->ac->stamps, f->p->local, f->p->remote, &f->stamp);
	else
		syncstamps_set(f->ac->stamps, f->p->local, f->p->remote, NULL);
	free(state);
}

/* Open and read folder pair p into f (released by folder_release()
 * whatever the outcome); f->ready when pass two may follow. */
static int folder_open(struct acct *ac, const struct pair *p, struct folder *f, struct err *err)
{
	char *path = state_path(ac, p->local);
	int rc;

	memset(f, 0, sizeof(*f));
	f->ac = ac;
	f->p = p;
	f->dir = maildir_folder_path(ac->root, p->local);
	f->fhash = folder_hash(p->local);
	rc = syncstate_open(path, &f->ss, err);
	free(path);
	if (rc == 0)
		rc = folder_prepare(f, err);
	if (rc < 0)
		err_prefix(err, "folder '%s'", p->local);
	f->ready = rc == 0;
	return rc;
}

/* ---- folders of the account ---- */

/* Split a list key (commas and blanks) into v; dflt when unset. */
/* The sync_folders and sync_exclude patterns (all folders by default). */
static void folder_filter(const struct cfg_account *a, struct strv *inc, struct strv *exc)
{
	const char *f = cfg_get(a, "sync_folders");

	strv_split(inc, f ? f : "*", ", \t");
	strv_split(exc, cfg_get(a, "sync_exclude"), ", \t");
}

static int matches(char *const *pat, size_t n, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(pat[i], a, 0) == 0 || (b && fnmatch(pat[i], b, 0) == 0))
			return 1;
	return 0;
}

struct pairs {
	struct pair *v;
	size_t n;
	struct strv inc, exc;
};

static int selected(const struct acct *ac, const struct pairs *ps, const char *remote,
		    const char *local)
{
	if (ac->o->nfolders)
		return matches(ac->o->folders, ac->o->nfolders, remote, local);
	return matches(ps->inc.v, ps->inc.n, remote, local) &&
	       !matches(ps->exc.v, ps->exc.n, remote, local);
}

static struct pair *pair_by_local(struct pairs *ps, const char *local)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].local, local) == 0)
			return &ps->v[i];
	return NULL;
}

static void pair_add(struct pairs *ps, const char *remote, const char *local, const char *role)
{
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	ps->v[ps->n].remote = xstrdup(remote);
	ps->v[ps->n].local = xstrdup(local);
	ps->v[ps->n].role = role;
	ps->n++;
}

static void pairs_release(struct pairs *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].remote);
		free(ps->v[i].local);
	}
	free(ps->v);
	strv_release(&ps->inc);
	strv_release(&ps->exc);
}

/* The local folder a special use maps to: the account's sent_folder,
 * drafts_folder, trash_folder, else the role's own name; NULL for a role
 * surel has no folder for. */
static const char *role_folder(const struct acct *ac, const char *role, const char **role_out)
{
	static const char *const roles[][2] = {
		{ "Sent", "sent_folder" }, { "Drafts", "drafts_folder" }, { "Trash", "trash_folder" },
		{ "Junk", NULL }, { "Archive", NULL },
	};
	size_t i;

	for (i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcasecmp(role, roles[i][0]) != 0)
			continue;
		*role_out = roles[i][0];
		if (roles[i][1] && cfg_get(ac->a, roles[i][1]))
			return cfg_get(ac->a, roles[i][1]);
		return roles[i][0];
	}
	return NULL;
}

/* The server's folders, each with its local name: INBOX as INBOX, a
 * special-use folder as the local folder of its role (the first of a
 * role wins), else the same name. */
static void remote_pairs(struct acct *ac, struct pairs *ps, struct sync_rfolder *rf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *role = NULL, *local = role_folder(ac, rf[i].role, &role);

		if (strcasecmp(rf[i].name, "INBOX") == 0)
			local = "INBOX";
		if (!local || pair_by_local(ps, local)) {
			local = rf[i].name;
			role = NULL;
		}
		if (!selected(ac, ps, rf[i].name, local))
			continue;
		if (!maildir_name_ok(local) || pair_by_local(ps, local)) {
			log_warnx("folder '%s' skipped: not a name a local folder can have", local);
			continue;
		}
		pair_add(ps, rf[i].name, local, role);
	}
}

/* Local folders the server lacks are created there, unless they were
 * synced before: a folder removed on the server stays removed there, and
 * here. */
static int local_pairs(struct acct *ac, struct pairs *ps, struct err *err)
{
	char **names;
	size_t n, i;

	if (maildir_folders(ac->root, &names, &n, err) < 0) {
		if (err->code != EX_NOINPUT)
			return -1;
		err_clear(err);
		return 0;
	}
	for (i = 0; i < n; i++) {
		char *path;
		struct stat sb;
		int known;

		if (pair_by_local(ps, names[i]) || !selected(ac, ps, names[i], NULL) ||
		    !maildir_name_ok(names[i]))
			continue;
		path = state_path(ac, names[i]);
		known = stat(path, &sb) == 0;
		free(path);
		if (known) {
			log_warnx("folder '%s' is gone from the server; not synced (its local copy stays)",
				  names[i]);
			continue;
		}
		log_info("folder '%s': creating it on the server", names[i]);
		if (!ac->o->dry_run && ac->ops->create(ac->r, names[i], err) < 0) {
			err_prefix(err, "folder '%s'", names[i]);
			maildir_names_free(names, n);
			return -1;
		}
		pair_add(ps, names[i], names[i], NULL);
	}
	maildir_names_free(names, n);
	return 0;
}

static int folder_pairs(struct acct *ac, struct pairs *ps, struct err *err)
{
	struct sync_rfolder *rf;
	size_t n;

	folder_filter(ac->a, &ps->inc, &ps->exc);
	if (ac->ops->folders(ac->r, &rf, &n, err) < 0)
		return -1;
	remote_pairs(ac, ps, rf, n);
	sync_rfolders_free(rf, n);
	return local_pairs(ac, ps, err);
}

/* ---- moves between synced folders ---- */

/* A message the state of folder pair `from` knows whose file left that
 * folder, and the pair it is found in now, under the same key. */
struct move {
	size_t from, to;
	uint32_t uid;
	char flags[8];  /* last synced: the merge base in the new folder */
	char rflags[8]; /* the server's now (moves found after reading) */
	char *key;
	char *path;     /* of the file in `to` */
	uint32_t newuid; /* in `to`, once moved (0: the server did not say) */
	int skipped;    /* its file went before the move: not moved */
};

struct side {
	struct syncstate *ss;
	struct lmsg *lm;
	size_t nlm;
	char *dir;
};

static int cmp_move(const void *a, const void *b)
{
	const struct move *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return cmp_u32(&x->uid, &y->uid);
}

/* Every folder's state and listing, and what moved from one to another:
 * a key the state of one knows, gone from its folder (looked up once more
 * to rule out a rename under way) and found in another whose state does
 * not know it.  That is how surel's own moves look (maildir_move() keeps
 * the key); copies under a new name are uploaded as new messages. */
static int find_moves(struct acct *ac, struct pairs *ps, struct side *sd, struct move **mv_out,
		      size_t *nmv_out, struct err *err)
{
	struct folder f;
	size_t i, j, k, nmv = 0;
	struct move *mv = NULL;

	for (i = 0; i < ps->n; i++) {
		char *p = state_path(ac, ps->v[i].local);

		sd[i].dir = maildir_folder_path(ac->root, ps->v[i].local);
		if (syncstate_open(p, &sd[i].ss, err) < 0) {
			free(p);
			return -1;
		}
		free(p);
		memset(&f, 0, sizeof(f));
		f.dir = sd[i].dir;
		if (maildir_is(sd[i].dir) && local_list(&f, &sd[i].lm, &sd[i].nlm, err) < 0)
			return -1;
	}
	for (j = 0; j < ps->n; j++) {
		for (k = 0; k < sd[j].nlm; k++) {
			const char *key = sd[j].lm[k].e.key;
			struct maildir_entry e;

			if (syncstate_by_key(sd[j].ss, key))
				continue;
			for (i = 0; i < ps->n; i++) {
				struct syncstate_rec *r = i == j ? NULL : syncstate_by_key(sd[i].ss, key);
				struct folder g;

				if (!r)
					continue;
				memset(&g, 0, sizeof(g));
				g.lm = sd[i].lm;
				g.nlm = sd[i].nlm;
				if (local_find(&g, key) || !maildir_is(sd[i].dir))
					continue;
				if (maildir_find(sd[i].dir, key, &e, err) == 0) {
					maildir_entry_release(&e);
					continue;
				}
				err_clear(err);
				mv = xreallocarray(mv, nmv + 1, sizeof(*mv));
				memset(&mv[nmv], 0, sizeof(*mv));
				mv[nmv].from = i;
				mv[nmv].to = j;
				mv[nmv].uid = r->uid;
				memcpy(mv[nmv].flags, r->flags, sizeof(r->flags));
				mv[nmv].key = xstrdup(key);
				mv[nmv].path = path_join(sd[j].dir, sd[j].lm[k].e.path);
				nmv++;
				break;
			}
		}
	}
	if (nmv)
		qsort(mv, nmv, sizeof(*mv), cmp_move);
	*mv_out = mv;
	*nmv_out = nmv;
	return 0;
}

/* Move mv[0..n) (one source and destination) on the server: pending in
 * the destination's state first (so a move whose answer is lost is
 * paired by digest, not uploaded again), then UID MOVE, then the records
 * moved.  *done_out 0 when the server cannot move. */
static int move_group(struct acct *ac, struct pairs *ps, struct side *sd, struct move *mv,
		      size_t n, int *done_out, struct err *err)
{
	struct side *from = &sd[mv[0].from], *to = &sd[mv[0].to];
	uint32_t *uids = xcalloc(n + 1, sizeof(*uids)), *nu = xcalloc(n + 1, sizeof(*nu));
	size_t *idx = xcalloc(n + 1, sizeof(*idx));
	struct sync_rinfo info;
	size_t i, j, m = 0;
	int rc = -1;

	*done_out = 0;
	for (i = 0; i < n; i++) {
		char *data, digest[17];
		size_t len;
		uint64_t size;

		if (afile_read_regular(mv[i].path, AFILE_MSG_MAX, &data, &len, err) < 0) {
			if (err->errnum != ENOENT)
				goto out;
			/* Renamed or removed since the listing: the next run
			 * sees where it went. */
			err_clear(err);
			mv[i].skipped = 1;
			continue;
		}
		sync_digest(data, len, digest, &size);
		free(data);
		syncstate_pend(to->ss, mv[i].key, 0, size, digest);
		idx[m] = i;
		uids[m++] = mv[i].uid;
	}
	if (!m) {
		*done_out = 1;
		rc = 0;
		goto out;
	}
	if (syncstate_commit(to->ss, err) < 0 ||
	    ac->ops->select(ac->r, ps->v[mv[0].from].remote, &info, err) < 0)
		goto out;
	ac->sel = &ps->v[mv[0].from];
	if (ac->ops->move(ac->r, uids, m, ps->v[mv[0].to].remote, nu, done_out, err) < 0)
		goto out;
	for (j = 0; *done_out && j < m; j++) {
		struct move *v = &mv[idx[j]];

		v->newuid = nu[j];
		syncstate_drop(from->ss, v->uid);
		if (nu[j])
			syncstate_put(to->ss, nu[j], v->flags, v->key);
		log_info("folder '%s': '%s' moved to '%s'", ps->v[mv[0].from].local, v->key,
			 ps->v[mv[0].to].local);
	}
	if (*done_out)
		ac->st.moved += m;
	rc = syncstate_commit(from->ss, err) < 0 || syncstate_commit(to->ss, err) < 0 ? -1 : 0;
out:
	free(uids);
	free(nu);
	free(idx);
	return rc;
}

/* Moves among the folders whose Maildir changed since their stamp (quiet[i]
 * 0): a move changes the directories of both folders. */
static int moves(struct acct *ac, struct pairs *all, const char *quiet, struct err *err)
{
	struct pairs sub, *ps = &sub;
	struct side *sd;
	struct move *mv = NULL;
	size_t nmv = 0, i, k;
	int rc, done = 1;

	memset(&sub, 0, sizeof(sub));
	sub.v = xcalloc(all->n + 1, sizeof(*sub.v));
	for (i = 0; i < all->n; i++)
		if (!quiet[i])
			sub.v[sub.n++] = all->v[i];
	if (!ac->ops->move || ac->o->dry_run || ps->n < 2) {
		free(sub.v);
		return 0;
	}
	sd = xcalloc(ps->n, sizeof(*sd));
	rc = find_moves(ac, ps, sd, &mv, &nmv, err);
	for (i = 0; rc == 0 && done && i < nmv; i += k) {
		for (k = 1; i + k < nmv && mv[i + k].from == mv[i].from && mv[i + k].to == mv[i].to; k++)
			;
		rc = move_group(ac, ps, sd, mv + i, k, &done, err);
	}
	for (i = 0; i < nmv; i++) {
		free(mv[i].key);
		free(mv[i].path);
	}
	free(mv);
	for (i = 0; i < ps->n; i++) {
		syncstate_free(sd[i].ss);
		lmsgs_free(sd[i].lm, sd[i].nlm);
		free(sd[i].dir);
	}
	free(sd);
	free(sub.v);
	return rc;
}

/* ---- moves found once every folder is read ----
 *
 * Two kinds of move show only when both sides of several folders are
 * known, so they are looked for between pass one (read and plan every
 * folder) and pass two (carry the plans out), and only among what the
 * plans already hold:
 *   - a mail reader's move under a new name (mutt copies the file into
 *     the other folder and unlinks the old one): a record whose file is
 *     gone (rm_remote) and a new file elsewhere (up).  It is moved on the
 *     server as move_group() moves surel's own moves, which records it.
 *   - another client's move on the server: a record whose UID is gone
 *     (rm_local) and a new UID elsewhere (down).  The file is renamed
 *     into the other folder instead of a download and an unlink.  Order:
 *     the rename (maildir_move(), both directories fsync'd), then the
 *     record of the new UID in the destination's state (commit), then the
 *     old record dropped (commit).  Killed after the rename, the next run
 *     finds the key in the destination unknown to its state and known to
 *     the source's as surel's own move, whose UID MOVE of a UID already
 *     gone moves nothing and whose pending append pairs the new UID's
 *     download with the file: no copy, no loss.  Killed after the first
 *     commit, the old record names a message both sides lost.
 * A message is identified without its body by its size with CRLF line
 * ends and its Message-ID (the server's RFC822.SIZE and header, one
 * command per folder, asked only when both kinds of candidate exist).
 * Only a pair that no other candidate shares both is taken; an
 * ambiguous one stays an upload and a removal, which is right, only
 * slower.  A folder with pending appends takes no part as the side a
 * message arrived on: one of its new messages on the server may be one
 * of them.  In a folder matched by content (rematch) a move is paired
 * first: the file it brings or takes is no candidate of that matching. */

struct mcand {
	size_t fi;      /* folder */
	size_t pos;     /* a local file's place in the folder's listing */
	uint32_t uid;
	uint64_t size;
	char *msgid;
	int gone;       /* the side the message left */
	size_t peer;    /* after pair_moves(): the other side, or SIZE_MAX */
};

struct mcands {
	struct mcand *v;
	size_t n;
};

static void mcand_add(struct mcands *c, size_t fi, size_t pos, uint32_t uid, uint64_t size,
		      char *msgid, int gone)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n].fi = fi;
	c->v[c->n].pos = pos;
	c->v[c->n].uid = uid;
	c->v[c->n].size = size;
	c->v[c->n].msgid = msgid;
	c->v[c->n].gone = gone;
	c->v[c->n].peer = SIZE_MAX;
	c->n++;
}

static void mcands_release(struct mcands *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].msgid);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int cmp_mcand(const void *a, const void *b)
{
	const struct mcand *x = a, *y = b;
	int c;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	c = strcmp(x->msgid, y->msgid);
	return c ? c : y->gone - x->gone;
}

/* Sort c and pair each group of the same size and Message-ID that is one
 * message gone and one arrived in another folder. */
static void pair_moves(struct mcands *c)
{
	size_t i, j;

	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), cmp_mcand);
	for (i = 0; i < c->n; i = j) {
		for (j = i + 1; j < c->n && c->v[j].size == c->v[i].size &&
				strcmp(c->v[j].msgid, c->v[i].msgid) == 0;
		     j++)
			;
		if (j - i == 2 && c->v[i].gone && !c->v[i + 1].gone && c->v[i].fi != c->v[i + 1].fi) {
			c->v[i].peer = i + 1;
			c->v[i + 1].peer = i;
		}
	}
}

/* Whether folder f can take part, as the side a message left (gone) or
 * the one it arrived on. */
static int move_side(const struct folder *f, int gone, int local)
{
	if (!f->ready)
		return 0;
	if (local)
		return gone ? f->nrm_remote && f->info.uidplus
			    : f->nup && uploads(f) && !syncstate_pend_count(f->ss);
	return gone ? f->nrm_local != 0 : f->ndown && !syncstate_pend_count(f->ss);
}

/* Whether f may take part in a move at all; a folder that may not is
 * carried out at once, while it is selected (late_moves() needs the
 * others). */
static int may_move(const struct folder *f)
{
	return !f->ac->o->dry_run && (move_side(f, 1, 1) || move_side(f, 0, 1) ||
				      move_side(f, 1, 0) || move_side(f, 0, 0));
}

/* Whether some folder can lose a message to another one. */
static int moves_possible(const struct folder *fs, size_t n, int local)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; move_side(&fs[i], 1, local) && j < n; j++)
			if (j != i && move_side(&fs[j], 0, local))
				return 1;
	return 0;
}

/* Size and Message-ID of local message pos of f into c; nothing when it
 * has no Message-ID or cannot be read (it then stays in the plan). */
static void local_cand(struct folder *f, size_t fi, size_t pos, uint32_t uid, int gone,
		       struct mcands *c)
{
	char *path = path_join(f->dir, f->lm[pos].e.path), *data, *id;
	struct err e = ERR_INIT;
	uint64_t size;
	size_t len;

	if (afile_read_regular(path, AFILE_MSG_MAX, &data, &len, &e) == 0) {
		id = sync_ident(data, len, &size);
		if (id)
			mcand_add(c, fi, pos, uid, size, id, gone);
		free(data);
	}
	free(path);
}

/* The server's side of the candidates: size and Message-ID of the uids
 * (n, ascending) of folder fi. */
static int remote_cands(struct acct *ac, struct folder *f, size_t fi, const uint32_t *uids,
			size_t n, int gone, struct mcands *c, struct err *err)
{
	struct sync_rhead *h = NULL;
	struct sync_rinfo info;
	size_t nh = 0, i;

	if (ac->ops->select(ac->r, f->p->remote, &info, err) < 0)
		return -1;
	ac->sel = f->p;
	if (info.uidvalidity != f->info.uidvalidity)
		return 0;
	if (ac->ops->heads(ac->r, uids, n, &h, &nh, err) < 0)
		return -1;
	for (i = 0; i < nh; i++) {
		mcand_add(c, fi, 0, h[i].uid, h[i].size, h[i].msgid, gone);
		h[i].msgid = NULL;
	}
	sync_rheads_free(h, nh);
	return 0;
}

static void drop_u32(uint32_t *v, size_t *n, uint32_t x)
{
	size_t i, k = 0;

	for (i = 0; i < *n; i++)
		if (v[i] != x)
			v[k++] = v[i];
	*n = k;
}

static void drop_size(size_t *v, size_t *n, size_t x)
{
	size_t i, k = 0;

	for (i = 0; i < *n; i++)
		if (v[i] != x)
			v[k++] = v[i];
	*n = k;
}

/* The plans after move m from folder a to b: neither a removal on the
 * server nor an upload any more, and b's listing holds the new UID with
 * the flags it brought, for pass two's merge against the old base. */
static void moved_plan(struct folder *a, struct folder *b, const struct move *m)
{
	struct lmsg *l = local_find(b, m->key);
	size_t i;

	if (m->skipped)
		return;
	if (!m->newuid || !l) {
		log_warnx("folder '%s': the server did not say the new UID of '%s'; it is uploaded",
			  b->p->local, m->key);
		return;
	}
	/* The plan took a flag change there for a conflict with a removal. */
	a->ac->st.conflicts -= strcmp(m->rflags, m->flags) != 0;
	drop_u32(a->rm_remote, &a->nrm_remote, m->uid);
	drop_size(b->up, &b->nup, (size_t)(l - b->lm));
	l->paired = 1;
	b->ri = xreallocarray(b->ri, b->nri + 1, sizeof(*b->ri));
	for (i = b->nri; i > 0 && b->ri[i - 1].uid > m->newuid; i--)
		b->ri[i] = b->ri[i - 1];
	b->ri[i].uid = m->newuid;
	memcpy(b->ri[i].flags, m->rflags, sizeof(b->ri[i].flags));
	b->nri++;
	b->moved_in = 1;
}

/* Take entry e (moved into f) into f's listing, keeping the key order
 * and the plan's indexes into it. */
static void local_insert(struct folder *f, struct maildir_entry *e)
{
	size_t lo = 0, hi = f->nlm, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(f->lm[mid].e.key, e->key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	f->lm = xreallocarray(f->lm, f->nlm + 1, sizeof(*f->lm));
	memmove(&f->lm[lo + 1], &f->lm[lo], (f->nlm - lo) * sizeof(*f->lm));
	f->lm[lo].e = *e;
	f->lm[lo].paired = 1;
	f->nlm++;
	for (i = 0; i < f->nup; i++)
		f->up[i] += f->up[i] >= lo;
	for (i = 0; i < f->nrm_local; i++)
		f->rm_local[i] += f->rm_local[i] >= lo;
}


/* A mail reader's moves under a new name, moved on the server. */
static int local_moves(struct acct *ac, struct pairs *ps, struct folder *fs, struct err *err)
{
	struct mcands c = { NULL, 0 };
	struct side *sd = xcalloc(ps->n + 1, sizeof(*sd));
	struct move *mv = NULL;
	size_t i, j, k, nmv = 0;
	int rc = 0, done = 1;

	for (i = 0; i < ps->n; i++)
		for (k = 0; move_side(&fs[i], 0, 1) && k < fs[i].nup; k++)
			local_cand(&fs[i], i, fs[i].up[k], 0, 0, &c);
	for (i = 0; c.n && rc == 0 && i < ps->n; i++) {
		if (!move_side(&fs[i], 1, 1))
			continue;
		qsort(fs[i].rm_remote, fs[i].nrm_remote, sizeof(uint32_t), cmp_u32);
		rc = remote_cands(ac, &fs[i], i, fs[i].rm_remote, fs[i].nrm_remote, 1, &c, err);
	}
	pair_moves(&c);
	for (i = 0; rc == 0 && i < c.n; i++) {
		struct mcand *g = &c.v[i], *a;
		struct syncstate_rec *r;
		struct sync_ritem ri;
		struct move *m;

		if (!g->gone || g->peer == SIZE_MAX)
			continue;
		a = &c.v[g->peer];
		r = syncstate_by_uid(fs[g->fi].ss, g->uid);
		if (!r || !r->key)
			continue;
		mv = xreallocarray(mv, nmv + 1, sizeof(*mv));
		m = &mv[nmv++];
		memset(m, 0, sizeof(*m));
		m->from = g->fi;
		m->to = a->fi;
		m->uid = g->uid;
		memcpy(m->flags, r->flags, sizeof(m->flags));
		if (!remote_has(&fs[g->fi], r, &ri))
			memcpy(ri.flags, r->flags, sizeof(ri.flags));
		memcpy(m->rflags, ri.flags, sizeof(m->rflags));
		m->key = xstrdup(fs[a->fi].lm[a->pos].e.key);
		m->path = path_join(fs[a->fi].dir, fs[a->fi].lm[a->pos].e.path);
	}
	mcands_release(&c);
	for (i = 0; i < ps->n; i++) {
		sd[i].ss = fs[i].ss;
		sd[i].dir = fs[i].dir;
	}
	if (nmv)
		qsort(mv, nmv, sizeof(*mv), cmp_move);
	for (i = 0; rc == 0 && done && i < nmv; i += k) {
		for (k = 1; i + k < nmv && mv[i + k].from == mv[i].from && mv[i + k].to == mv[i].to; k++)
			;
		rc = move_group(ac, ps, sd, mv + i, k, &done, err);
		for (j = i; rc == 0 && done && j < i + k; j++)
			moved_plan(&fs[mv[j].from], &fs[mv[j].to], &mv[j]);
	}
	for (i = 0; i < nmv; i++) {
		free(mv[i].key);
		free(mv[i].path);
	}
	free(mv);
	free(sd);
	return rc;
}

/* Carry out one move by another client: local message l of a (record r)
 * is uid in b.  0 also when it is no longer there to move. */
static int server_move(struct folder *a, struct lmsg *l, struct syncstate_rec *r,
		       struct folder *b, uint32_t uid, struct err *err)
{
	struct maildir_entry e;
	uint32_t old = r->uid;
	char base[8], lf[8];

	if (syncstate_by_key(b->ss, l->e.key) || local_find(b, l->e.key))
		return 0;
	memcpy(base, r->flags, sizeof(base));
	syncstate_flags(l->e.flags, lf);
	memset(&e, 0, sizeof(e));
	e.key = xstrdup(l->e.key);
	e.path = xstrdup(l->e.path);
	memcpy(e.flags, l->e.flags, sizeof(e.flags));
	e.is_new = l->e.is_new;
	e.size = l->e.size;
	if (maildir_move(a->dir, &e, b->dir, err) < 0) {
		maildir_entry_release(&e);
		if (err->code != EX_NOINPUT)
			return -1;
		/* Removed here meanwhile: the plan stays a removal. */
		err_clear(err);
		return 0;
	}
	syncstate_put(b->ss, uid, base, e.key);
	if (syncstate_commit(b->ss, err) < 0) {
		maildir_entry_release(&e);
		return -1;
	}
	syncstate_drop(a->ss, old);
	log_info("folder '%s': '%s' moved to '%s' on the server; moved here too", a->p->local,
		 e.key, b->p->local);
	/* The plan took a flag change here for a conflict with a removal. */
	a->ac->st.conflicts -= strcmp(lf, base) != 0;
	drop_size(a->rm_local, &a->nrm_local, (size_t)(l - a->lm));
	drop_u32(b->down, &b->ndown, uid);
	local_insert(b, &e);
	b->moved_in = 1;
	a->ac->st.moved++;
	return syncstate_commit(a->ss, err);
}

/* Other clients' moves on the server, made here by renames. */
static int remote_moves(struct acct *ac, struct folder *fs, size_t n, struct err *err)
{
	struct mcands c = { NULL, 0 };
	size_t i, k;
	int rc = 0;

	for (i = 0; i < n; i++) {
		for (k = 0; move_side(&fs[i], 1, 0) && k < fs[i].nrm_local; k++) {
			struct lmsg *l = &fs[i].lm[fs[i].rm_local[k]];
			struct syncstate_rec *r = syncstate_by_key(fs[i].ss, l->e.key);

			if (r)
				local_cand(&fs[i], i, fs[i].rm_local[k], r->uid, 1, &c);
		}
	}
	for (i = 0; c.n && rc == 0 && i < n; i++)
		if (move_side(&fs[i], 0, 0))
			rc = remote_cands(ac, &fs[i], i, fs[i].down, fs[i].ndown, 0, &c, err);
	pair_moves(&c);
	for (i = 0; rc == 0 && i < c.n; i++) {
		struct mcand *g = &c.v[i];
		struct folder *a = &fs[g->fi];
		struct syncstate_rec *r;
		struct lmsg *l;

		if (!g->gone || g->peer == SIZE_MAX)
			continue;
		/* By key: an earlier move into this folder shifted the
		 * listing. */
		r = syncstate_by_uid(a->ss, g->uid);
		l = r && r->key ? local_find(a, r->key) : NULL;
		if (l)
			rc = server_move(a, l, r, &fs[c.v[g->peer].fi], c.v[g->peer].uid, err);
	}
	mcands_release(&c);
	return rc;
}

/* Between pass one and two: moves either side made that the plans hold
 * as a removal and a new message. */
static int late_moves(struct acct *ac, struct pairs *ps, struct folder *fs, struct err *err)
{
	if (ac->o->dry_run || !ac->ops->heads || ps->n < 2)
		return 0;
	if (ac->ops->move && moves_possible(fs, ps->n, 1) && local_moves(ac, ps, fs, err) < 0)
		return -1;
	if (moves_possible(fs, ps->n, 0) && remote_moves(ac, fs, ps->n, err) < 0)
		return -1;
	return 0;
}

/* ---- folders with nothing to sync ---- */

/* What the stamps say, per stamp (index as syncstamps_at()): whether the
 * local half holds, and what the server says now. */
struct quiet {
	struct syncstamps *stamps;
	char *local;                  /* per stamp: Maildir and state as stamped */
	struct syncstamp_remote *now; /* per stamp: the peek (uidvalidity 0: none) */
	char *pair_local;             /* per pair: its stamp's local half holds */
	char *skip;                   /* per pair: and the server's: nothing to do */
};

/* Before the server's folders are listed (a LIST first makes a server
 * such as Dovecot slower to open each folder after it): the local half of
 * every stamp of a folder this run syncs by stat(), then one pipelined
 * peek at the server folders of those that hold. */
static int quiet_peek(struct acct *ac, struct quiet *q, struct err *err)
{
	char *path = xasprintf("%s/%s.stamps", ac->statedir, ac->aenc);
	struct pairs flt;
	char **names;
	size_t *idx, i, n = 0, ns;
	int rc = 0;

	q->stamps = syncstamps_load(path);
	free(path);
	ns = syncstamps_count(q->stamps);
	q->local = xcalloc(ns + 1, 1);
	q->now = xcalloc(ns + 1, sizeof(*q->now));
	names = xcalloc(ns + 1, sizeof(*names));
	idx = xcalloc(ns + 1, sizeof(*idx));
	memset(&flt, 0, sizeof(flt));
	folder_filter(ac->a, &flt.inc, &flt.exc);
	for (i = 0; i < ns; i++) {
		const char *local, *remote;
		const struct syncstamp *st = syncstamps_at(q->stamps, i, &local, &remote);
		char *dir, *state;
		struct syncstamp_local l;

		if (!selected(ac, &flt, remote, local))
			continue;
		dir = maildir_folder_path(ac->root, local);
		state = state_path(ac, local);
		q->local[i] = syncstamp_dirs_now(dir, &l) == 0 && syncstamp_state_now(state, &l) == 0 &&
			      syncstamp_local_same(&st->l, &l);
		free(dir);
		free(state);
		if (q->local[i]) {
			names[n] = (char *)remote;
			idx[n++] = i;
		}
	}
	if (n && ac->ops->peek) {
		struct syncstamp_remote *now = xcalloc(n, sizeof(*now));

		rc = ac->ops->peek(ac->r, names, n, now, err);
		for (i = 0; rc == 0 && i < n; i++)
			q->now[idx[i]] = now[i];
		free(now);
	}
	strv_release(&flt.inc);
	strv_release(&flt.exc);
	free(names);
	free(idx);
	return rc;
}

/* The folder pairs of this run that nothing happened to: a stamp made
 * with the same server folder, its local half holding, the server's too. */
static void quiet_match(struct quiet *q, const struct pairs *ps)
{
	size_t i, k, ns = syncstamps_count(q->stamps);

	q->pair_local = xcalloc(ps->n + 1, 1);
	q->skip = xcalloc(ps->n + 1, 1);
	for (k = 0; k < ns; k++) {
		const char *local, *remote;
		const struct syncstamp *st = syncstamps_at(q->stamps, k, &local, &remote);

		for (i = 0; q->local[k] && i < ps->n; i++) {
			if (strcmp(ps->v[i].local, local) != 0 || strcmp(ps->v[i].remote, remote) != 0)
				continue;
			q->pair_local[i] = 1;
			q->skip[i] = syncstamp_remote_same(&st->r, &q->now[k]);
		}
	}
}

static void quiet_release(struct quiet *q)
{
	syncstamps_free(q->stamps);
	free(q->local);
	free(q->now);
	free(q->pair_local);
	free(q->skip);
}

/* ---- the account ---- */

/* sync_max_delete: a number of messages, or a percentage of the
 * folder's synced messages ("10%"); validated by lib/cfg.c. */
static void max_delete(struct acct *ac)
{
	const char *v = cfg_get(ac->a, "sync_max_delete");
	char *e;

	ac->max_delete = SYNC_MAX_DELETE_DEFAULT;
	ac->max_pct = 0;
	if (!v)
		return;
	ac->max_delete = strtol(v, &e, 10);
	ac->max_pct = *e == '%';
}

/* Keep the first error in err and log the others; 1 when the run ends
 * (a broken connection), 0 when the other folders go on. */
static int folder_failed(struct err *err, int *rc, const struct err *e)
{
	if (*rc < 0)
		log_error("%s", err->msg);
	*err = *e;
	*rc = -1;
	return e->code == EX_TEMPFAIL;
}

/* Finish folder f (pass two) and release it: 1 when the run ends. */
static int folder_done(struct folder *f, struct err *err, int *rc)
{
	struct err e = ERR_INIT;
	int stop = 0;

	if (folder_finish(f, &e) == 0) {
		f->ac->st.folders++;
		stamp(f, 0);
	} else {
		stamp(f, -1);
		err_prefix(&e, "folder '%s'", f->p->local);
		stop = folder_failed(err, rc, &e);
	}
	folder_release(f);
	memset(f, 0, sizeof(*f));
	return stop;
}

/* Pass one reads and plans every folder, then moves are looked for
 * across them (late_moves()), then pass two carries the plans out.  A
 * folder that can take part in no move (nothing changed, or flags only)
 * is carried out in pass one, with no second SELECT and its listing
 * freed before the next folder is read. */
static int account_run(struct acct *ac, struct err *err)
{
	struct folder *fs;
	struct pairs ps;
	struct quiet q;
	struct err se = ERR_INIT;
	size_t i;
	int rc = 0, stop = 0;

	memset(&ps, 0, sizeof(ps));
	memset(&q, 0, sizeof(q));
	if (quiet_peek(ac, &q, err) < 0 || folder_pairs(ac, &ps, err) < 0) {
		quiet_release(&q);
		pairs_release(&ps);
		return -1;
	}
	if (!ps.n)
		log_warnx("account '%s': no folder matches sync_folders", cfg_account_name(ac->a));
	quiet_match(&q, &ps);
	if (moves(ac, &ps, q.pair_local, err) < 0) {
		quiet_release(&q);
		pairs_release(&ps);
		return -1;
	}
	ac->stamps = ac->o->dry_run ? NULL : q.stamps;
	fs = xcalloc(ps.n + 1, sizeof(*fs));
	for (i = 0; i < ps.n && !stop; i++) {
		struct err e = ERR_INIT;

		if (q.skip[i]) {
			log_debug("folder '%s': unchanged on both sides since its last sync",
				  ps.v[i].local);
			ac->st.folders++;
			continue;
		}
		/* A folder's own trouble does not stop the others. */
		if (folder_open(ac, &ps.v[i], &fs[i], &e) < 0) {
			stamp(&fs[i], -1);
			stop = folder_failed(err, &rc, &e);
		} else if (!may_move(&fs[i])) {
			stop = folder_done(&fs[i], err, &rc);
		}
	}
	if (!stop) {
		struct err e = ERR_INIT;

		if (late_moves(ac, &ps, fs, &e) < 0)
			stop = folder_failed(err, &rc, &e);
	}
	for (i = 0; i < ps.n && !stop; i++)
		if (fs[i].ready)
			stop = folder_done(&fs[i], err, &rc);
	for (i = 0; i < ps.n; i++)
		folder_release(&fs[i]);
	free(fs);
	/* A cache: failing to write it costs the next run time, nothing else. */
	if (ac->stamps && syncstamps_save(ac->stamps, &se) < 0)
		log_warnx("%s", se.msg);
	ac->stamps = NULL;
	quiet_release(&q);
	pairs_release(&ps);
	if (rc == 0 && ac->st.guarded)
		return err_set(err, EX_DATAERR, "%zu folder(s) held back by sync_max_delete",
			       ac->st.guarded);
	return rc;
}

int sync_account(const struct cfg_account *a, const struct sync_opts *o,
		 struct sync_stats *stats_out, int *busy_out, struct err *err)
{
	struct fetch_server sv;
	struct acct ac;
	struct timespec t0, t1;
	int lockfd = -1, busy = 0, status = 0, rc = -1;

	memset(stats_out, 0, sizeof(*stats_out));
	*busy_out = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fetch_server_init(a, &sv, err) < 0)
		return -1;
	memset(&ac, 0, sizeof(ac));
	ac.a = a;
	ac.o = o;
	ac.ops = o->remote ? o->remote : &syncimap_ops;
	if (!o->remote && sv.ops != &imap_source_ops) {
		err_set(err, EX_CONFIG, "account '%s': sync needs an imap:// or imaps:// server",
			cfg_account_name(a));
		goto out;
	}
	ac.root = xstrdup(cfg_get(a, "maildir"));
	ac.statedir = path_join(ac.root, ".surel-sync");
	ac.aenc = fetch_name_enc(cfg_account_name(a));
	ac.sent_upload = cfg_get_bool(a, "sent_upload", 1);
	max_delete(&ac);
	if (fetch_lock(a, &lockfd, &busy, err) < 0)
		goto out;
	if (busy) {
		*busy_out = 1;
		rc = 0;
		goto out;
	}
	/* spool/syncstatus.h: the record surel's status line shows. */
	status = !o->dry_run && !o->remote;
	if (status)
		syncstatus_begin(cfg_account_name(a));
	if (afile_mkdirs(ac.statedir, err) < 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	if (ac.ops->open(&sv.conf, &ac.r, err) < 0) {
		ac.r = NULL;
		goto out;
	}
	rc = account_run(&ac, err);
	/* Also after a run cut short: what it stored is durable.  What it
	 * sent or changed on the server another program wrote here. */
	if (!o->dry_run && (ac.st.pulled || ac.st.pushed || ac.st.flags_local ||
			    ac.st.flags_remote || ac.st.removed_local || ac.st.removed_remote))
		idxhint_note(a);
out:
	if (ac.r)
		ac.ops->close(ac.r);
	if (status)
		syncstatus_end(cfg_account_name(a), rc == 0, err->msg);
	if (lockfd >= 0)
		afile_unlock(lockfd);
	if (rc < 0)
		err_prefix(err, "account '%s'", cfg_account_name(a));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ac.st.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	*stats_out = ac.st;
	free(ac.root);
	free(ac.statedir);
	free(ac.aenc);
	fetch_server_release(&sv);
	return rc;
}

/* ---- the command ---- */

static json_t *stats_json(const char *account, const struct sync_stats *s, int dry,
			  const char *error)
{
	json_t *o = json_object();

	json_object_set_new(o, "account", view_json_text(account));
	json_object_set_new(o, "dry_run", json_boolean(dry));
	json_object_set_new(o, "folders", json_integer((json_int_t)s->folders));
	json_object_set_new(o, "pulled", json_integer((json_int_t)s->pulled));
	json_object_set_new(o, "pushed", json_integer((json_int_t)s->pushed));
	json_object_set_new(o, "flags_local", json_integer((json_int_t)s->flags_local));
	json_object_set_new(o, "flags_remote", json_integer((json_int_t)s->flags_remote));
	json_object_set_new(o, "removed_local", json_integer((json_int_t)s->removed_local));
	json_object_set_new(o, "removed_remote", json_integer((json_int_t)s->removed_remote));
	json_object_set_new(o, "moved", json_integer((json_int_t)s->moved));
	json_object_set_new(o, "conflicts", json_integer((json_int_t)s->conflicts));
	json_object_set_new(o, "guarded", json_integer((json_int_t)s->guarded));
	json_object_set_new(o, "left_marked", json_integer((json_int_t)s->left_marked));
	json_object_set_new(o, "seconds", json_real(s->seconds));
	json_object_set_new(o, "error", error ? view_json_text(error) : json_null());
	return o;
}

static int run_one(const struct cfg_account *a, const struct sync_opts *o, json_t *arr,
		   struct err *err)
{
	struct sync_stats s;
	int busy = 0, rc = sync_account(a, o, &s, &busy, err);

	if (arr)
		json_array_append_new(arr, stats_json(cfg_account_name(a), &s, o->dry_run,
						      rc < 0 ? err->msg : NULL));
	if (busy)
		return 0;
	log_info("account '%s'%s: %zu folder(s), %zu in, %zu out, flags %zu here and %zu there, removed %zu here and %zu there, %zu moved, %zu conflict(s) in %.2f s",
		 cfg_account_name(a), o->dry_run ? " (dry run)" : "", s.folders, s.pulled, s.pushed,
		 s.flags_local, s.flags_remote, s.removed_local, s.removed_remote, s.moved,
		 s.conflicts, s.seconds);
	return rc;
}

int sync_run(const struct cfg *cfg, const char *account, int all, int json,
	     const struct sync_opts *o, struct err *err)
{
	json_t *arr = json ? json_array() : NULL;
	size_t i, n = 0;
	int rc = 0;

	if (!all) {
		const struct cfg_account *a = cfg_account_find(cfg, account, err);

		rc = a ? run_one(a, o, arr, err) : -1;
		n = 1;
	}
	for (i = 0; all && i < cfg_account_count(cfg); i++) {
		const struct cfg_account *a = cfg_account_at(cfg, i);
		const char *url = cfg_get(a, "fetch");
		struct err e = ERR_INIT;

		if (!url || strncmp(url, "imap", 4) != 0)
			continue;
		n++;
		if (run_one(a, o, arr, &e) == 0)
			continue;
		if (rc < 0)
			log_error("%s", err->msg);
		*err = e;
		rc = -1;
	}
	if (all && n == 0) {
		json_decref(arr);
		return err_set(err, EX_CONFIG, "%s: no account has an IMAP 'fetch' server",
			       cfg_path(cfg));
	}
	if (arr) {
		json_t *top = json_object();
		char *text;

		json_object_set_new(top, "accounts", arr);
		text = json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(top);
		if (text && rc == 0 &&
		    (out_write(text, strlen(text), err) < 0 || out_write("\n", 1, err) < 0 ||
		     out_flush(err) < 0))
			rc = -1;
		free(text);
	}
	return rc;
}
