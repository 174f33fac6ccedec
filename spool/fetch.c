#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "batch.h"
#include "buf.h"
#include "fetch.h"
#include "fetchstate.h"
#include "imap.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "path.h"
#include "pop3.h"
#include "source.h"
#include "xalloc.h"

#define TIMEOUT_DEFAULT 60
/* Header bytes read from a local file for its Message-ID. */
#define HEAD_MAX (64 * 1024)

struct progress {
	int on;
	const char *label;
	size_t done, total;
	size_t bytes, total_bytes;
	double start, last;
	int drawn;
};

struct run {
	const struct cfg_account *a;
	const struct fetch_opts *o;
	const struct source_ops *ops;
	struct source *src;
	struct source_conf conf;
	char *host;
	char *root;
	char *statedir;
	int keep;
	int pop3;
	struct fetch_stats stats;
	struct progress pg;
	/* POP3 UIDLs deleted this session, dropped from the state once QUIT
	 * committed the deletions. */
	char **deleted;
	size_t ndeleted;
	struct fetchstate *pop3_state;
	char *pop3_state_path;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- progress ---- */

static void progress_draw(struct progress *p, int force)
{
	double t = now(), el = t - p->start;

	if (!p->on || (!force && t - p->last < 0.1))
		return;
	p->last = t;
	fprintf(stderr, "\r\033[Kspool: %s: %zu/%zu messages, %.1f/%.1f MB, %.0f msg/s", p->label,
		p->done, p->total, (double)p->bytes / 1e6, (double)p->total_bytes / 1e6,
		el > 0 ? (double)p->done / el : 0.0);
	p->drawn = 1;
}

static void progress_end(struct progress *p)
{
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
}

/* ---- names ---- */

/* s with everything but [A-Za-z0-9_-] as %XX, so any folder name makes
 * one safe file name.  Caller frees. */
static char *enc(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-')
			buf_putc(&b, c);
		else
			buf_printf(&b, "%%%02X", c);
	}
	return buf_detach(&b, NULL);
}

static char *tag_of(const struct run *r, uint32_t uidvalidity, const struct source_item *it)
{
	char dig[17];

	if (!r->pop3)
		return xasprintf("%" PRIu32 ".%" PRIu32, uidvalidity, it->uid);
	source_digest(it->uidl, strlen(it->uidl), dig);
	return xasprintf("p%s", dig);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_str(char **sorted, size_t n, const char *s)
{
	return n && bsearch(&s, sorted, n, sizeof(*sorted), cmp_str) != NULL;
}

/* ---- settings ---- */

static int parse_url(struct run *r, struct err *err)
{
	const char *url = cfg_get(r->a, "fetch"), *host, *end, *colon = NULL;
	const char *name = cfg_account_name(r->a);
	size_t hl;
	int implicit;

	if (!url)
		return err_set(err, EX_CONFIG, "account '%s' has no 'fetch' server", name);
	if (strncmp(url, "imaps://", 8) == 0) {
		r->ops = &imap_source_ops;
		implicit = 1;
		r->conf.port = 993;
	} else if (strncmp(url, "imap://", 7) == 0) {
		r->ops = &imap_source_ops;
		implicit = 0;
		r->conf.port = 143;
	} else if (strncmp(url, "pop3s://", 8) == 0) {
		r->ops = &pop3_source_ops;
		implicit = 1;
		r->conf.port = 995;
	} else if (strncmp(url, "pop3://", 7) == 0) {
		r->ops = &pop3_source_ops;
		implicit = 0;
		r->conf.port = 110;
	} else {
		return err_set(err, EX_CONFIG, "account '%s': 'fetch' must be an imap://, imaps://, pop3:// or pop3s:// URL",
			       name);
	}
	r->pop3 = r->ops == &pop3_source_ops;
	host = strstr(url, "://") + 3;
	end = host + strcspn(host, "/");
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));

		if (!rb)
			return err_set(err, EX_CONFIG, "account '%s': bad server in '%s'", name, url);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		hl = (size_t)(rb - host - 1);
		host++;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		hl = (size_t)((colon ? colon : end) - host);
	}
	if (hl == 0 || hl > 253)
		return err_set(err, EX_CONFIG, "account '%s': bad server in '%s'", name, url);
	r->host = xstrndup(host, hl);
	r->conf.host = r->host;
	if (colon) {
		char *e;
		long p = strtol(colon + 1, &e, 10);

		if (e != end || p <= 0 || p > 65535)
			return err_set(err, EX_CONFIG, "account '%s': bad port in '%s'", name, url);
		r->conf.port = (unsigned)p;
	}
	if (implicit)
		r->conf.tls = SOURCE_TLS_IMPLICIT;
	else
		r->conf.tls = cfg_get_bool(r->a, "tls", 1) ? SOURCE_TLS_STARTTLS : SOURCE_TLS_OFF;
	if (implicit && !cfg_get_bool(r->a, "tls", 1))
		return err_set(err, EX_CONFIG, "account '%s': tls = off contradicts '%s'", name, url);
	return 0;
}

static int settings(struct run *r, struct err *err)
{
	const char *auth = cfg_get(r->a, "auth");

	if (parse_url(r, err) < 0)
		return -1;
	r->conf.user = cfg_get(r->a, "user");
	r->conf.password_cmd = cfg_get(r->a, "password_cmd");
	r->conf.password = cfg_get(r->a, "password");
	r->conf.tls_ca_file = cfg_get(r->a, "tls_ca_file");
	r->conf.tls_fingerprint = cfg_get(r->a, "tls_fingerprint");
	r->conf.move_to = cfg_get(r->a, "move_to");
	r->conf.timeout = TIMEOUT_DEFAULT;
	r->conf.auth = SOURCE_AUTH_AUTO;
	if (auth && strcmp(auth, "plain") == 0)
		r->conf.auth = SOURCE_AUTH_PLAIN;
	else if (auth && strcmp(auth, "login") == 0)
		r->conf.auth = SOURCE_AUTH_LOGIN;
	else if (auth && strcmp(auth, "xoauth2") == 0)
		r->conf.auth = SOURCE_AUTH_XOAUTH2;
	r->keep = cfg_get_bool(r->a, "keep", 1);
	if (r->conf.move_to && r->pop3)
		return err_set(err, EX_CONFIG, "account '%s': move_to needs an IMAP server",
			       cfg_account_name(r->a));
	r->root = xstrdup(cfg_get(r->a, "maildir"));
	r->statedir = path_join(r->root, ".surel-fetch");
	return 0;
}

/* The folder patterns: --folder, else fetch_folders (split on commas and
 * blanks), else INBOX. */
static char **patterns(const struct run *r, size_t *n_out)
{
	const char *ff = cfg_get(r->a, "fetch_folders");
	char **pat = NULL, *copy, *tok, *save = NULL;
	size_t n = 0;

	if (r->o->folder || !ff) {
		pat = xcalloc(1, sizeof(*pat));
		pat[0] = xstrdup(r->o->folder ? r->o->folder : "INBOX");
		*n_out = 1;
		return pat;
	}
	copy = xstrdup(ff);
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		pat = xreallocarray(pat, n + 1, sizeof(*pat));
		pat[n++] = xstrdup(tok);
	}
	free(copy);
	if (n == 0) {
		pat = xcalloc(1, sizeof(*pat));
		pat[n++] = xstrdup("INBOX");
	}
	*n_out = n;
	return pat;
}

/* ---- local duplicates after a UIDVALIDITY change ---- */

/* "MESSAGE-ID SIZE" keys of the local folder's messages, size in CRLF
 * terms as the server counts (RFC822.SIZE). */
static int local_keys(const char *dir, char ***keys_out, size_t *n_out, struct err *err)
{
	struct maildir_entry *e;
	char **keys;
	size_t n, i, nk = 0;

	if (maildir_list(dir, 0, &e, &n, err) < 0)
		return -1;
	keys = xcalloc(n + 1, sizeof(*keys));
	for (i = 0; i < n; i++) {
		char *path = path_join(dir, e[i].path), *data, *id;
		size_t len, crlf_len, j;

		if (afile_read(path, 0, &data, &len, err) < 0) {
			/* Gone or unreadable: it cannot be a duplicate. */
			log_debug("%s", err->msg);
			err_clear(err);
			free(path);
			continue;
		}
		free(path);
		crlf_len = len;
		for (j = 0; j < len; j++)
			if (data[j] == '\n' && (j == 0 || data[j - 1] != '\r'))
				crlf_len++;
		id = source_message_id(data, len < HEAD_MAX ? len : HEAD_MAX);
		if (id)
			keys[nk++] = xasprintf("%s %zu", id, crlf_len);
		free(id);
		free(data);
	}
	maildir_entries_free(e, n);
	qsort(keys, nk, sizeof(*keys), cmp_str);
	*keys_out = keys;
	*n_out = nk;
	return 0;
}

/* Whether the Maildir dir holds any message: 1, 0, or -1 on error. */
static int has_mail(const char *dir, struct err *err)
{
	struct maildir_entry *e;
	size_t n;

	if (maildir_list(dir, 0, &e, &n, err) < 0)
		return -1;
	maildir_entries_free(e, n);
	return n > 0;
}

/* ---- one folder ---- */

struct folder_ctx {
	struct run *r;
	struct batch *b;
	uint32_t uidvalidity;
	struct fetchstate *st;
	const char *state_path;
	/* The messages in b, recorded in the state when b is committed. */
	const struct source_item *pending[FETCH_BATCH_MSGS];
	size_t npending;
};

/* Make the batch durable, then record it in the state: the commit point
 * (see fetch.h). */
static int commit(struct folder_ctx *fc, struct err *err)
{
	struct run *r = fc->r;
	size_t msgs = batch_count(fc->b), bytes = batch_bytes(fc->b), i;

	if (msgs == 0)
		return 0;
	fc->npending = 0;
	if (batch_commit(fc->b, err) < 0)
		return -1;
	for (i = 0; i < msgs; i++) {
		const struct source_item *it = fc->pending[i];

		if (r->pop3)
			fetchstate_add_uidl(fc->st, it->uidl);
		else if (it->uid > fetchstate_last_uid(fc->st))
			fetchstate_set_last_uid(fc->st, it->uid);
	}
	if (fetchstate_save(fc->st, fc->state_path, err) < 0)
		return -1;
	r->stats.messages += msgs;
	r->stats.bytes += bytes;
	return 0;
}

static int on_msg(const struct source_msg *m, void *arg, struct err *err)
{
	struct folder_ctx *fc = arg;
	char *tag = tag_of(fc->r, fc->uidvalidity, m->item);
	int rc;

	rc = batch_add(fc->b, m->data, m->len, 1, tag, m->flags, err);
	free(tag);
	if (rc < 0)
		return -1;
	fc->pending[fc->npending++] = m->item;
	fc->r->pg.done++;
	fc->r->pg.bytes += m->len;
	progress_draw(&fc->r->pg, 0);
	if (batch_count(fc->b) >= FETCH_BATCH_MSGS || batch_bytes(fc->b) >= FETCH_BATCH_BYTES)
		return commit(fc, err);
	return 0;
}

/* Split items into the ones to fetch (*todo) and the ones stored already
 * (recorded in st now). */
static int plan(struct run *r, const char *dir, struct fetchstate *st, uint32_t uidvalidity,
		int validity_changed, struct source_item *items, size_t n, struct source_item ***todo_out,
		size_t *ntodo_out, struct err *err)
{
	struct source_item **todo = xcalloc(n + 1, sizeof(*todo));
	struct source_item **fresh = xcalloc(n + 1, sizeof(*fresh));
	char **tags = NULL, **keys = NULL;
	size_t ntags = 0, nkeys = 0, nfresh = 0, ntodo = 0, i;
	int dirty = 0;

	for (i = 0; i < n; i++) {
		if (r->pop3 ? !fetchstate_has_uidl(st, items[i].uidl)
			    : items[i].uid > fetchstate_last_uid(st))
			fresh[nfresh++] = &items[i];
	}
	if (nfresh && batch_tags(dir, &tags, &ntags, err) < 0)
		goto fail;
	if (ntags)
		qsort(tags, ntags, sizeof(*tags), cmp_str);
	if (nfresh && validity_changed) {
		struct source_item *copy = xcalloc(nfresh, sizeof(*copy));

		if (local_keys(dir, &keys, &nkeys, err) < 0) {
			free(copy);
			goto fail;
		}
		for (i = 0; i < nfresh; i++)
			copy[i] = *fresh[i];
		if (r->ops->ids(r->src, copy, nfresh, err) < 0) {
			for (i = 0; i < nfresh; i++)
				free(copy[i].message_id);
			free(copy);
			goto fail;
		}
		for (i = 0; i < nfresh; i++)
			fresh[i]->message_id = copy[i].message_id;
		free(copy);
	}
	for (i = 0; i < nfresh; i++) {
		struct source_item *it = fresh[i];
		char *tag = tag_of(r, uidvalidity, it);
		int local = has_str(tags, ntags, tag);

		free(tag);
		if (!local && it->message_id && nkeys) {
			char *key = xasprintf("%s %zu", it->message_id, it->size);

			local = has_str(keys, nkeys, key);
			free(key);
		}
		if (!local) {
			todo[ntodo++] = it;
			continue;
		}
		/* Stored already (a crash before the state write, or the same
		 * message under an old UIDVALIDITY): record it, skip it. */
		dirty = 1;
		if (r->pop3)
			fetchstate_add_uidl(st, it->uidl);
	}
	if (dirty)
		log_info("%s: %zu message(s) already stored locally", r->pg.label, nfresh - ntodo);
	batch_tags_free(tags, ntags);
	batch_tags_free(keys, nkeys);
	free(fresh);
	*todo_out = todo;
	*ntodo_out = ntodo;
	return 0;
fail:
	batch_tags_free(tags, ntags);
	batch_tags_free(keys, nkeys);
	free(fresh);
	free(todo);
	return -1;
}

/* Remove from the server what the state records as stored. */
static int remove_stored(struct run *r, struct fetchstate *st, const struct source_item *items,
			 size_t n, struct err *err)
{
	struct source_item *rm = xcalloc(n + 1, sizeof(*rm));
	size_t i, k = 0;
	int rc = 0;

	for (i = 0; i < n; i++)
		if (r->pop3 ? fetchstate_has_uidl(st, items[i].uidl)
			    : items[i].uid <= fetchstate_last_uid(st))
			rm[k++] = items[i];
	if (k)
		rc = r->ops->remove(r->src, rm, k, err);
	if (rc == 0) {
		r->stats.removed += k;
		if (r->pop3)
			for (i = 0; i < k; i++) {
				r->deleted = xreallocarray(r->deleted, r->ndeleted + 1,
							   sizeof(*r->deleted));
				r->deleted[r->ndeleted++] = xstrdup(rm[i].uidl);
			}
	}
	free(rm);
	return rc;
}

static int fetch_folder(struct run *r, const char *folder, struct err *err)
{
	struct folder_ctx fc;
	struct fetchstate *st = NULL;
	struct source_item *items = NULL, **todo = NULL, *want = NULL;
	size_t n = 0, ntodo = 0, i;
	char *dir, *fenc, *aenc, *state_path;
	uint32_t old;
	int changed = 0, rc = -1;

	memset(&fc, 0, sizeof(fc));
	fc.r = r;
	dir = maildir_folder_path(r->root, folder);
	aenc = enc(cfg_account_name(r->a));
	fenc = enc(folder);
	state_path = xasprintf("%s/%s.%s.state", r->statedir, aenc, fenc);
	free(aenc);
	free(fenc);
	r->pg.label = folder;
	if (!maildir_is(dir) && maildir_create(dir, err) < 0)
		goto out;
	/* A killed fetch leaves its unfinished batch in tmp/; the Maildir
	 * spec lets tmp/ files older than 36 hours go. */
	batch_sweep(dir, 36 * 60 * 60);
	if (fetchstate_load(state_path, &st, err) < 0)
		goto out;
	if (r->ops->select(r->src, folder, !r->keep, &fc.uidvalidity, err) < 0)
		goto out;
	old = fetchstate_uidvalidity(st);
	if (!r->pop3 && old != fc.uidvalidity) {
		/* A new numbering, or a first fetch into a folder that has
		 * mail already (another fetcher's, or ours with the state
		 * lost): what is there by Message-ID and size stays single. */
		if (old != 0) {
			changed = 1;
			log_warnx("%s: UIDVALIDITY of '%s' changed (%" PRIu32 " -> %" PRIu32
				  "); comparing Message-ID and size with local mail",
				  r->conf.host, folder, old, fc.uidvalidity);
		} else if ((changed = has_mail(dir, err)) < 0) {
			goto out;
		}
		fetchstate_set_uidvalidity(st, fc.uidvalidity);
	}
	if (r->ops->items(r->src, r->keep ? fetchstate_last_uid(st) : 0, &items, &n, err) < 0)
		goto out;
	if (r->pop3) {
		char **present = xcalloc(n + 1, sizeof(*present));

		/* A UIDL the server no longer lists can never come back. */
		for (i = 0; i < n; i++)
			present[i] = items[i].uidl;
		fetchstate_retain_uidls(st, present, n);
		free(present);
	}
	if (plan(r, dir, st, fc.uidvalidity, changed, items, n, &todo, &ntodo, err) < 0)
		goto out;
	r->pg.done = 0;
	r->pg.bytes = 0;
	r->pg.total = ntodo;
	r->pg.total_bytes = 0;
	for (i = 0; i < ntodo; i++)
		r->pg.total_bytes += todo[i]->size;
	fc.b = batch_new(dir);
	fc.st = st;
	fc.state_path = state_path;
	want = xcalloc(ntodo + 1, sizeof(*want));
	for (i = 0; i < ntodo; i++)
		want[i] = *todo[i];
	rc = ntodo ? r->ops->fetch(r->src, want, ntodo, on_msg, &fc, err) : 0;
	if (rc < 0) {
		/* Keep what arrived whole before the failure. */
		struct err e2 = ERR_INIT;

		if (commit(&fc, &e2) < 0)
			log_warnx("%s", e2.msg);
		goto out;
	}
	rc = -1;
	if (commit(&fc, err) < 0)
		goto out;
	/* Everything listed is stored now, fetched or found locally. */
	if (!r->pop3 && n && items[n - 1].uid > fetchstate_last_uid(st))
		fetchstate_set_last_uid(st, items[n - 1].uid);
	if (fetchstate_save(st, state_path, err) < 0)
		goto out;
	progress_draw(&r->pg, 1);
	if (!r->keep && remove_stored(r, st, items, n, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_prefix(err, "'%s'", folder);
	progress_end(&r->pg);
	if (r->pop3 && rc == 0) {
		/* Kept for the prune after QUIT. */
		r->pop3_state = st;
		r->pop3_state_path = state_path;
		st = NULL;
		state_path = NULL;
	}
	batch_free(fc.b);
	free(want);
	source_items_free(items, n);
	free(todo);
	fetchstate_free(st);
	free(state_path);
	free(dir);
	return rc;
}

static int take_lock(struct run *r, int *fd_out, int *busy_out, struct err *err)
{
	char *aenc = enc(cfg_account_name(r->a));
	char *path = xasprintf("%s/%s.lock", r->statedir, aenc);
	int fd;

	free(aenc);
	*busy_out = 0;
	fd = afile_lock(path, 0, err);
	if (fd < 0 && err->code == EX_TEMPFAIL && err->errnum == EWOULDBLOCK) {
		log_info("account '%s': another fetch is running", cfg_account_name(r->a));
		err_clear(err);
		*busy_out = 1;
	}
	free(path);
	*fd_out = fd;
	return fd < 0 && !*busy_out ? -1 : 0;
}

int fetch_account(const struct cfg_account *a, const struct fetch_opts *o, struct fetch_stats *stats_out,
		  int *busy_out, struct err *err)
{
	struct run r;
	char **pat = NULL, **folders = NULL;
	size_t npat = 0, nfolders = 0, i;
	int lockfd = -1, busy = 0, rc = -1;
	double t0 = now();

	memset(&r, 0, sizeof(r));
	memset(stats_out, 0, sizeof(*stats_out));
	r.a = a;
	r.o = o;
	r.pg.on = o->progress;
	r.pg.start = t0;
	if (settings(&r, err) < 0)
		goto out;
	if (afile_mkdirs(r.statedir, err) < 0)
		goto out;
	if (take_lock(&r, &lockfd, &busy, err) < 0)
		goto out;
	if (busy) {
		rc = 0;
		goto out;
	}
	if (r.ops->open(&r.conf, &r.src, err) < 0)
		goto out;
	pat = patterns(&r, &npat);
	if (r.ops->folders(r.src, (const char *const *)pat, npat, &folders, &nfolders, err) < 0)
		goto out;
	if (nfolders == 0)
		log_warnx("account '%s': no server folder matches fetch_folders", cfg_account_name(a));
	for (i = 0; i < nfolders; i++)
		if (fetch_folder(&r, folders[i], err) < 0)
			goto out;
	rc = r.ops->close(r.src, err);
	if (rc == 0 && r.pop3_state && r.ndeleted) {
		/* QUIT committed the DELEs: those UIDLs are gone for good. */
		fetchstate_drop_uidls(r.pop3_state, r.deleted, r.ndeleted);
		rc = fetchstate_save(r.pop3_state, r.pop3_state_path, err);
	}
out:
	if (rc < 0)
		err_prefix(err, "account '%s'", cfg_account_name(a));
	if (r.src)
		r.ops->free(r.src);
	source_names_free(pat, npat);
	source_names_free(folders, nfolders);
	source_names_free(r.deleted, r.ndeleted);
	fetchstate_free(r.pop3_state);
	free(r.pop3_state_path);
	if (lockfd >= 0)
		afile_unlock(lockfd);
	free(r.host);
	free(r.root);
	free(r.statedir);
	r.stats.seconds = now() - t0;
	*stats_out = r.stats;
	if (busy_out)
		*busy_out = busy;
	return rc;
}

static int run_one(const struct cfg_account *a, const struct fetch_opts *o, struct err *err)
{
	struct fetch_stats st;
	int busy = 0;

	if (fetch_account(a, o, &st, &busy, err) < 0)
		return -1;
	if (busy)
		return 0;
	if (st.removed)
		log_info("account '%s': %zu message(s), %.1f MB in %.2f s (%.0f msg/s), %zu removed from the server",
			 cfg_account_name(a), st.messages, (double)st.bytes / 1e6, st.seconds,
			 st.seconds > 0 ? (double)st.messages / st.seconds : 0.0, st.removed);
	else
		log_info("account '%s': %zu message(s), %.1f MB in %.2f s (%.0f msg/s)",
			 cfg_account_name(a), st.messages, (double)st.bytes / 1e6, st.seconds,
			 st.seconds > 0 ? (double)st.messages / st.seconds : 0.0);
	return 0;
}

int fetch_run(const struct cfg *cfg, const char *account, int all, const struct fetch_opts *o,
	      struct err *err)
{
	const struct cfg_account *a;
	size_t i, n = 0;
	int rc = 0;

	if (!all) {
		a = cfg_account_find(cfg, account, err);
		return a ? run_one(a, o, err) : -1;
	}
	for (i = 0; i < cfg_account_count(cfg); i++) {
		struct err e = ERR_INIT;

		a = cfg_account_at(cfg, i);
		if (!cfg_get(a, "fetch"))
			continue;
		n++;
		if (run_one(a, o, &e) == 0)
			continue;
		if (rc < 0)
			log_error("%s", err->msg);
		*err = e;
		rc = -1;
	}
	if (n == 0)
		return err_set(err, EX_CONFIG, "%s: no account has a 'fetch' server", cfg_path(cfg));
	return rc;
}
