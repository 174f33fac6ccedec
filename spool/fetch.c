#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "batch.h"
#include "buf.h"
#include "codec.h"
#include "fetch.h"
#include "fetchstate.h"
#include "idxhint.h"
#include "imap.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "oauth2.h"
#include "path.h"
#include "pop3.h"
#include "rules.h"
#include "source.h"
#include "strv.h"
#include "track.h"
#include "xalloc.h"

#define TIMEOUT_DEFAULT 60
/* Header bytes read from a local file for its Message-ID. */
#define HEAD_MAX (64 * 1024)

struct ledger;
static const struct ledger *ledger_for(const struct source_ops *ops);

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
	const struct ledger *lg;  /* by r->ops->naming */
	struct fetch_stats stats;
	struct progress pg;
	/* Messages removed this session that the source removes for good
	 * only when close() succeeds (SOURCE_NAMING_UIDL): their names, and
	 * the state to drop them from then. */
	char **removed;
	size_t nremoved;
	struct fetchstate *close_state;
	char *close_state_path;
	struct rules *rules;      /* filing rules, applied to INBOX */
	char *selected;           /* the server folder selected last */
	int lockfd;
	const volatile sig_atomic_t *stop;
};

/* A fetch session is one run with its lock held (see fetch.h). */
struct fetch_session {
	struct run r;
};

/* ---- progress ---- */

static void progress_draw(struct progress *p, int force)
{
	double t = source_now(), el = t - p->start;

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
	r->lg = ledger_for(r->ops);
	r->conf.user = cfg_get(r->a, "user");
	r->conf.password_cmd = cfg_get(r->a, "password_cmd");
	r->conf.password = cfg_get(r->a, "password");
	r->conf.tls_ca_file = cfg_get(r->a, "tls_ca_file");
	r->conf.tls_fingerprint = cfg_get(r->a, "tls_fingerprint");
	r->conf.move_to = cfg_get(r->a, "move_to");
	r->conf.timeout = TIMEOUT_DEFAULT;
	/* SPOOL_NET_TIMEOUT: seconds a silent or dripping server is given
	 * (tests use a few). */
	if (getenv("SPOOL_NET_TIMEOUT") && atol(getenv("SPOOL_NET_TIMEOUT")) > 0)
		r->conf.timeout = atol(getenv("SPOOL_NET_TIMEOUT"));
	r->conf.auth = SOURCE_AUTH_AUTO;
	if (auth && strcmp(auth, "plain") == 0)
		r->conf.auth = SOURCE_AUTH_PLAIN;
	else if (auth && strcmp(auth, "login") == 0)
		r->conf.auth = SOURCE_AUTH_LOGIN;
	else if (auth && strcmp(auth, "xoauth2") == 0)
		r->conf.auth = SOURCE_AUTH_XOAUTH2;
	else if (auth && strcmp(auth, "oauth2") == 0) {
		r->conf.auth = SOURCE_AUTH_OAUTH2;
		r->conf.oauth2 = oauth2_new(r->a, err);
		if (!r->conf.oauth2)
			return -1;
	}
	r->keep = cfg_get_bool(r->a, "keep", 1);
	if (r->conf.move_to && !r->ops->move_to)
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
	struct strv v = STRV_INIT;

	if (!r->o->folder)
		strv_split(&v, cfg_get(r->a, "fetch_folders"), ", \t");
	if (v.n == 0)
		strv_push(&v, r->o->folder ? r->o->folder : "INBOX");
	*n_out = v.n;
	return v.v;
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

		if (afile_read_regular(path, AFILE_MSG_MAX, &data, &len, err) < 0) {
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

/* Where the messages of one server folder go: dests[0] is the folder's
 * own Maildir; with filing rules, each rule folder used gets one more,
 * each with its own batch (a batch writes into one Maildir). */
struct dest {
	char *folder;   /* rule folder name; NULL for dests[0] */
	char *dir;
	struct batch *b;
};

struct folder_ctx {
	struct run *r;
	const char *folder;          /* the server folder's name */
	char *dir;                   /* its own Maildir */
	char **dirs;                 /* dir, then the rule folders' Maildirs */
	size_t ndirs;
	char *state_path;
	struct fetchstate *st;
	struct dest *dests;
	size_t ndests;
	int filing;                  /* rules apply to this folder */
	int changed;                 /* compare Message-ID and size with local mail */
	uint32_t uidvalidity;
	struct source_item *items;   /* what the server listed */
	size_t nitems;
	/* The messages in the batches, recorded in the state when they are
	 * committed. */
	const struct source_item *pending[FETCH_BATCH_MSGS];
	size_t npending;
	/* The messages asked for (in UID order), which of them the server
	 * sent, and the first one not sent yet. */
	struct source_item *want;
	unsigned char *got;
	size_t nwant, first_missing;
};

/* ---- what the state keeps, by the source's naming ---- */

/* One table per enum source_naming (source.h): the engine below asks
 * these instead of testing the protocol. */
struct ledger {
	/* The TAG of a stored message (fetch.h), sfx appended. */
	char *(*tag)(uint32_t uidvalidity, const struct source_item *it, const char *sfx);
	/* Whether the state records it as stored. */
	int (*stored)(struct fetchstate *st, const struct source_item *it);
	/* Record it as stored: committed by this batch. */
	void (*record)(struct folder_ctx *fc, const struct source_item *it);
	/* Record it as stored: found in the Maildir before fetching; NULL
	 * when settle() covers it. */
	void (*found)(struct fetchstate *st, const struct source_item *it);
	/* Check the state against the listing before anything is fetched,
	 * forget what the server no longer has; -1 (err set) stops. */
	int (*listed)(struct folder_ctx *fc, struct err *err);
	/* After the fetch, with everything listed stored but what the
	 * server did not send. */
	void (*settle)(struct folder_ctx *fc);
	/* The name to forget once close() committed its removal; NULL when
	 * remove() is final. */
	const char *(*removal)(const struct source_item *it);
};

static char *uid_tag(uint32_t uidvalidity, const struct source_item *it, const char *sfx)
{
	return xasprintf("%" PRIu32 ".%" PRIu32 "%s", uidvalidity, it->uid, sfx);
}

static int uid_stored(struct fetchstate *st, const struct source_item *it)
{
	return it->uid <= fetchstate_last_uid(st);
}

/* last_uid never passes a UID that was asked for and not sent (the server
 * left it out of its reply, or it is still to come). */
static void uid_record(struct folder_ctx *fc, const struct source_item *it)
{
	if (it->uid > fetchstate_last_uid(fc->st) &&
	    (fc->first_missing == fc->nwant || it->uid < fc->want[fc->first_missing].uid))
		fetchstate_set_last_uid(fc->st, it->uid);
}

/* Everything listed is stored now, fetched or found locally, except what
 * the server did not send although it listed it: the state stops below
 * the first such UID, so nothing from there on is removed from the server
 * or skipped next time (what is stored above it is found by its tag then,
 * not fetched twice). */
static void uid_settle(struct folder_ctx *fc)
{
	uint32_t upto;
	size_t missing = 0, i;

	if (!fc->nitems)
		return;
	upto = fc->items[fc->nitems - 1].uid;
	for (i = 0; i < fc->nwant; i++) {
		if (fc->got[i])
			continue;
		missing++;
		if (fc->want[i].uid <= upto)
			upto = fc->want[i].uid - 1;
	}
	if (missing)
		log_warnx("%s: the server listed %zu message(s) of '%s' but did not send them; "
			  "left on the server, tried again next time",
			  fc->r->conf.host, missing, fc->folder);
	if (upto > fetchstate_last_uid(fc->st))
		fetchstate_set_last_uid(fc->st, upto);
	/* The pass over the new numbering is done. */
	if (!missing)
		fetchstate_set_compare(fc->st, 0);
}

static char *uidl_tag(uint32_t uidvalidity, const struct source_item *it, const char *sfx)
{
	char dig[17];

	(void)uidvalidity;
	source_digest(it->uidl, strlen(it->uidl), dig);
	return xasprintf("p%s%s", dig, sfx);
}

static int uidl_stored(struct fetchstate *st, const struct source_item *it)
{
	return fetchstate_has_uidl(st, it->uidl);
}

static void uidl_found(struct fetchstate *st, const struct source_item *it)
{
	fetchstate_add_uidl(st, it->uidl);
}

static void uidl_record(struct folder_ctx *fc, const struct source_item *it)
{
	uidl_found(fc->st, it);
}

static int uidl_listed(struct folder_ctx *fc, struct err *err)
{
	char **present;
	size_t i, n = fc->nitems;

	/* A server that gave UIDLs before and none now (UIDL refused this
	 * once, or not for every message) would have everything fetched
	 * again under stand-in names: wait for it to come back. */
	if (n && fc->items[0].uidl && strncmp(fc->items[0].uidl, "mid-", 4) == 0 &&
	    fetchstate_uidl_count_other(fc->st, "mid-") > 0)
		return err_set(err, EX_TEMPFAIL, "%s: the server did not give a UIDL for every "
			       "message this time; not fetching, to fetch nothing twice",
			       fc->r->conf.host);
	/* A UIDL the server no longer lists can never come back.  An empty
	 * listing proves little (a maildrop briefly locked or being
	 * rewritten), so it forgets nothing. */
	if (n == 0)
		return 0;
	present = xcalloc(n, sizeof(*present));
	for (i = 0; i < n; i++)
		present[i] = fc->items[i].uidl;
	fetchstate_retain_uidls(fc->st, present, n);
	free(present);
	return 0;
}

static const char *uidl_removal(const struct source_item *it)
{
	return it->uidl;
}

static const struct ledger ledgers[] = {
	[SOURCE_NAMING_UID] = { uid_tag, uid_stored, uid_record, NULL, NULL, uid_settle, NULL },
	[SOURCE_NAMING_UIDL] = { uidl_tag, uidl_stored, uidl_record, uidl_found, uidl_listed,
				 NULL, uidl_removal },
};

static const struct ledger *ledger_for(const struct source_ops *ops)
{
	return &ledgers[ops->naming];
}

/* A message filed by a rule into a folder other than the server folder's
 * own carries TAG_FILED after its tag: another server folder fetched into
 * that same local folder may share the UIDVALIDITY, and its tags must not
 * pass for ours. */
#define TAG_FILED ".r"

static char *tag_of(const struct folder_ctx *fc, const struct source_item *it, int filed)
{
	return fc->r->lg->tag(fc->uidvalidity, it, filed ? TAG_FILED : "");
}

/* ---- batches ---- */

static void dests_free(struct folder_ctx *fc)
{
	size_t i;

	for (i = 0; i < fc->ndests; i++) {
		batch_free(fc->dests[i].b);
		free(fc->dests[i].folder);
		free(fc->dests[i].dir);
	}
	free(fc->dests);
	fc->dests = NULL;
	fc->ndests = 0;
}

/* The index in fc->dests of rule folder name, created on first use. */
static int dest_for(struct folder_ctx *fc, const char *name, size_t *idx_out, struct err *err)
{
	struct dest *d;
	char *dir;
	size_t i;

	for (i = 1; i < fc->ndests; i++) {
		if (strcmp(fc->dests[i].folder, name) == 0) {
			*idx_out = i;
			return 0;
		}
	}
	dir = maildir_folder_path(fc->r->root, name);
	if (strcmp(dir, fc->dests[0].dir) == 0) {
		/* A rule naming the folder the mail goes to anyway. */
		free(dir);
		*idx_out = 0;
		return 0;
	}
	if (!maildir_is(dir) && maildir_create(dir, err) < 0) {
		free(dir);
		err_prefix(err, "rule folder '%s'", name);
		return -1;
	}
	fc->dests = xreallocarray(fc->dests, fc->ndests + 1, sizeof(*fc->dests));
	d = &fc->dests[fc->ndests];
	d->folder = xstrdup(name);
	d->dir = dir;
	d->b = batch_new(dir);
	*idx_out = fc->ndests++;
	return 0;
}

static size_t pending_count(const struct folder_ctx *fc, size_t *bytes_out)
{
	size_t i, n = 0, bytes = 0;

	for (i = 0; i < fc->ndests; i++) {
		n += batch_count(fc->dests[i].b);
		bytes += batch_bytes(fc->dests[i].b);
	}
	if (bytes_out)
		*bytes_out = bytes;
	return n;
}

/* Make every batch durable, then record them in the state: the commit
 * point (see fetch.h).  When one batch fails after another was renamed,
 * the state is not written and the next fetch finds the renamed ones by
 * their tags. */
static int commit(struct folder_ctx *fc, struct err *err)
{
	struct run *r = fc->r;
	size_t bytes, msgs = pending_count(fc, &bytes), i;

	if (msgs == 0)
		return 0;
	fc->npending = 0;
	for (i = 0; i < fc->ndests; i++)
		if (batch_count(fc->dests[i].b) && batch_commit(fc->dests[i].b, err) < 0)
			return -1;
	while (fc->first_missing < fc->nwant && fc->got[fc->first_missing])
		fc->first_missing++;
	for (i = 0; i < msgs; i++)
		r->lg->record(fc, fc->pending[i]);
	if (fetchstate_save(fc->st, fc->state_path, err) < 0)
		return -1;
	/* The batch is durable: the search index may read it now. */
	idxhint_note(r->a);
	r->stats.messages += msgs;
	r->stats.bytes += bytes;
	return 0;
}

static int on_msg(const struct source_msg *m, void *arg, struct err *err)
{
	struct folder_ctx *fc = arg;
	struct run *r = fc->r;
	size_t d = 0, bytes;
	const char *to;
	char *tag;
	int rc;

	/* A second body for the same message (a server that repeats itself)
	 * is not a second message. */
	if (fc->got[m->item - fc->want])
		return 0;

	if (fc->filing && (to = rules_match_data(r->rules, m->data, m->len)) &&
	    dest_for(fc, to, &d, err) < 0)
		return -1;
	tag = tag_of(fc, m->item, d != 0);
	rc = batch_add(fc->dests[d].b, m->data, m->len, 1, tag, m->flags, err);
	free(tag);
	if (rc < 0)
		return -1;
	track_arrived(cfg_account_name(r->a), d ? fc->dests[d].folder : fc->folder, NULL, m->data,
		      m->len);
	fc->pending[fc->npending++] = m->item;
	fc->got[m->item - fc->want] = 1;
	r->pg.done++;
	r->pg.bytes += m->len;
	progress_draw(&r->pg, 0);
	if (pending_count(fc, &bytes) < FETCH_BATCH_MSGS && bytes < FETCH_BATCH_BYTES)
		return 0;
	if (commit(fc, err) < 0)
		return -1;
	/* A stop request ends the fetch here, between batches: what was
	 * fetched is committed, the rest was never started. */
	if (r->stop && *r->stop)
		return err_set(err, EX_TEMPFAIL, "interrupted");
	return 0;
}

/* ---- what is there already ---- */

/* dir and the Maildirs rules file into, each once (caller frees with
 * maildir_names_free). */
static char **folder_dirs(const struct run *r, const char *dir, int filing, size_t *n_out)
{
	size_t i, j, n = 0, nr = filing ? rules_count(r->rules) : 0;
	char **dirs = xcalloc(nr + 2, sizeof(*dirs));

	dirs[n++] = xstrdup(dir);
	for (i = 0; i < nr; i++) {
		char *d = maildir_folder_path(r->root, rules_folder_at(r->rules, i));

		for (j = 0; j < n && strcmp(dirs[j], d) != 0; j++)
			;
		if (j < n) {
			free(d);
			continue;
		}
		dirs[n++] = d;
	}
	*n_out = n;
	return dirs;
}

/* The tags (with local_keys, the Message-ID/size keys too) of the
 * Maildirs dirs[0..n), merged and sorted. */
static int scan_dirs(char **dirs, size_t n, int keys, char ***out, size_t *n_out, struct err *err)
{
	char **all = NULL;
	size_t nall = 0, i, j;

	for (i = 0; i < n; i++) {
		char **v = NULL;
		size_t nv = 0;

		if (keys ? local_keys(dirs[i], &v, &nv, err) : batch_tags(dirs[i], &v, &nv, err)) {
			if (keys && err->code == EX_NOINPUT) {
				/* A rule folder not made yet holds nothing. */
				err_clear(err);
				continue;
			}
			batch_tags_free(all, nall);
			return -1;
		}
		all = xreallocarray(all, nall + nv + 1, sizeof(*all));
		for (j = 0; j < nv; j++)
			all[nall++] = v[j];
		free(v);
	}
	if (nall)
		qsort(all, nall, sizeof(*all), cmp_str);
	*out = all;
	*n_out = nall;
	return 0;
}

/* Fill the Message-IDs of the n items fresh[] (ids() of the source). */
static int fresh_ids(struct run *r, struct source_item **fresh, size_t n, struct err *err)
{
	struct source_item *copy = xcalloc(n, sizeof(*copy));
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		copy[i] = *fresh[i];
	rc = r->ops->ids(r->src, copy, n, err);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			fresh[i]->message_id = copy[i].message_id;
		else
			free(copy[i].message_id);
	}
	free(copy);
	return rc;
}

/* What the local folders hold, for telling stored messages apart. */
struct local {
	char **tags, **rtags, **keys;  /* own tags, rule folders' tags, keys */
	size_t ntags, nrtags, nkeys;
};

static void local_release(struct local *l)
{
	batch_tags_free(l->tags, l->ntags);
	batch_tags_free(l->rtags, l->nrtags);
	batch_tags_free(l->keys, l->nkeys);
}

/* Whether it is stored already in the local folders: by its tag (a crash
 * before the state write), or by Message-ID and size (the same message
 * under an old UIDVALIDITY). */
static int local_has(const struct folder_ctx *fc, const struct local *l,
		     const struct source_item *it)
{
	char *s = tag_of(fc, it, 0);
	int found = has_str(l->tags, l->ntags, s);

	free(s);
	if (!found && l->nrtags) {
		s = tag_of(fc, it, 1);
		found = has_str(l->rtags, l->nrtags, s);
		free(s);
	}
	if (!found && it->message_id && l->nkeys) {
		s = xasprintf("%s %zu", it->message_id, it->size);
		found = has_str(l->keys, l->nkeys, s);
		free(s);
	}
	return found;
}

/* Split the listing into the messages to fetch (fc->want) and the ones
 * stored already (recorded in the state now).  fc->dirs[0] is the
 * folder's own Maildir, the rest are rule folders, whose messages carry
 * TAG_FILED. */
static int plan(struct folder_ctx *fc, struct err *err)
{
	struct run *r = fc->r;
	struct source_item **fresh = xcalloc(fc->nitems + 1, sizeof(*fresh));
	struct local l = { 0 };
	size_t nfresh = 0, i;
	int rc = -1;

	for (i = 0; i < fc->nitems; i++)
		if (!r->lg->stored(fc->st, &fc->items[i]))
			fresh[nfresh++] = &fc->items[i];
	if (nfresh && (scan_dirs(fc->dirs, 1, 0, &l.tags, &l.ntags, err) < 0 ||
		       scan_dirs(fc->dirs + 1, fc->ndirs - 1, 0, &l.rtags, &l.nrtags, err) < 0))
		goto out;
	if (nfresh && fc->changed &&
	    (scan_dirs(fc->dirs, fc->ndirs, 1, &l.keys, &l.nkeys, err) < 0 ||
	     fresh_ids(r, fresh, nfresh, err) < 0))
		goto out;
	fc->want = xcalloc(nfresh + 1, sizeof(*fc->want));
	fc->got = xcalloc(nfresh + 1, 1);
	for (i = 0; i < nfresh; i++) {
		if (!local_has(fc, &l, fresh[i])) {
			fc->want[fc->nwant++] = *fresh[i];
			continue;
		}
		if (r->lg->found)
			r->lg->found(fc->st, fresh[i]);
	}
	if (fc->nwant < nfresh)
		log_info("%s: %zu message(s) already stored locally", r->pg.label,
			 nfresh - fc->nwant);
	rc = 0;
out:
	local_release(&l);
	free(fresh);
	return rc;
}

/* Remove from the server what the state records as stored. */
static int remove_stored(struct folder_ctx *fc, struct err *err)
{
	struct run *r = fc->r;
	struct source_item *rm = xcalloc(fc->nitems + 1, sizeof(*rm));
	size_t i, k = 0;
	int rc = 0;

	for (i = 0; i < fc->nitems; i++)
		if (r->lg->stored(fc->st, &fc->items[i]))
			rm[k++] = fc->items[i];
	if (k)
		rc = r->ops->remove(r->src, rm, k, err);
	if (rc == 0) {
		r->stats.removed += k;
		for (i = 0; r->lg->removal && i < k; i++) {
			r->removed = xreallocarray(r->removed, r->nremoved + 1, sizeof(*r->removed));
			r->removed[r->nremoved++] = xstrdup(r->lg->removal(&rm[i]));
		}
	}
	free(rm);
	return rc;
}

/* ---- the steps of one folder ---- */

static void folder_init(struct folder_ctx *fc, struct run *r, const char *folder)
{
	char *aenc = enc(cfg_account_name(r->a)), *fenc = enc(folder);

	memset(fc, 0, sizeof(*fc));
	fc->r = r;
	fc->folder = folder;
	fc->dir = maildir_folder_path(r->root, folder);
	fc->state_path = xasprintf("%s/%s.%s.state", r->statedir, aenc, fenc);
	free(aenc);
	free(fenc);
	/* Rules file what arrives, which is what INBOX holds; other server
	 * folders are mirrored as they are. */
	fc->filing = rules_count(r->rules) > 0 && strcasecmp(folder, "INBOX") == 0;
	fc->dirs = folder_dirs(r, fc->dir, fc->filing, &fc->ndirs);
}

static void folder_release(struct folder_ctx *fc)
{
	dests_free(fc);
	maildir_names_free(fc->dirs, fc->ndirs);
	free(fc->want);
	free(fc->got);
	source_items_free(fc->items, fc->nitems);
	fetchstate_free(fc->st);
	free(fc->state_path);
	free(fc->dir);
}

/* Select the server folder, then make its Maildir (not for a folder the
 * server refuses) and read its state.  A new numbering, or a first fetch
 * into a folder that has mail already (another fetcher's, or ours with
 * the state lost), sets fc->changed: what is there by Message-ID and size
 * stays single.  A source without UIDVALIDITY reports 0, as its state
 * keeps. */
static int folder_open(struct folder_ctx *fc, struct err *err)
{
	struct run *r = fc->r;
	uint32_t old;
	size_t i;
	int has;

	free(r->selected);
	r->selected = NULL;
	if (r->ops->select(r->src, fc->folder, !r->keep, &fc->uidvalidity, err) < 0)
		return -1;
	r->selected = xstrdup(fc->folder);
	if (!maildir_is(fc->dir) && maildir_create(fc->dir, err) < 0)
		return -1;
	/* A killed fetch leaves its unfinished batch in tmp/; the Maildir
	 * spec lets tmp/ files older than 36 hours go. */
	for (i = 0; i < fc->ndirs; i++)
		batch_sweep(fc->dirs[i], 36 * 60 * 60);
	if (fetchstate_load(fc->state_path, &fc->st, err) < 0)
		return -1;
	old = fetchstate_uidvalidity(fc->st);
	if (old != fc->uidvalidity) {
		if (old != 0) {
			fc->changed = 1;
			log_warnx("%s: UIDVALIDITY of '%s' changed (%" PRIu32 " -> %" PRIu32
				  "); comparing Message-ID and size with local mail",
				  r->conf.host, fc->folder, old, fc->uidvalidity);
		}
		for (i = 0; i < fc->ndirs && !fc->changed; i++) {
			if (!maildir_is(fc->dirs[i]))
				continue;
			if ((has = has_mail(fc->dirs[i], err)) < 0)
				return -1;
			fc->changed = has;
		}
		fetchstate_set_uidvalidity(fc->st, fc->uidvalidity);
		if (fc->changed)
			fetchstate_set_compare(fc->st, 1);
	}
	if (fetchstate_compare(fc->st))
		fc->changed = 1;
	return 0;
}

/* Fetch fc->want into the Maildirs, committing batch by batch. */
static int folder_pull(struct folder_ctx *fc, struct err *err)
{
	struct run *r = fc->r;
	struct err e2 = ERR_INIT;
	size_t i;

	r->pg.done = 0;
	r->pg.bytes = 0;
	r->pg.total = fc->nwant;
	r->pg.total_bytes = 0;
	for (i = 0; i < fc->nwant; i++)
		r->pg.total_bytes += fc->want[i].size;
	fc->dests = xcalloc(1, sizeof(*fc->dests));
	fc->dests[0].dir = xstrdup(fc->dir);
	fc->dests[0].b = batch_new(fc->dir);
	fc->ndests = 1;
	if (!fc->nwant || r->ops->fetch(r->src, fc->want, fc->nwant, on_msg, fc, err) == 0)
		return commit(fc, err);
	/* Keep what arrived whole before the failure.  A second complaint
	 * about the same cause (a full or read-only disk) would only repeat
	 * the error. */
	if (commit(fc, &e2) < 0 && (!e2.errnum || e2.errnum != err->errnum))
		log_warnx("%s", e2.msg);
	return -1;
}

static int fetch_folder(struct run *r, const char *folder, struct err *err)
{
	struct folder_ctx fc;
	int rc = -1;

	folder_init(&fc, r, folder);
	r->pg.label = folder;
	if (folder_open(&fc, err) < 0)
		goto out;
	if (r->ops->items(r->src, r->keep ? fetchstate_last_uid(fc.st) : 0, &fc.items, &fc.nitems,
			  err) < 0)
		goto out;
	if ((r->lg->listed && r->lg->listed(&fc, err) < 0) || plan(&fc, err) < 0 ||
	    folder_pull(&fc, err) < 0)
		goto out;
	if (r->lg->settle)
		r->lg->settle(&fc);
	if (fetchstate_save(fc.st, fc.state_path, err) < 0)
		goto out;
	progress_draw(&r->pg, 1);
	if (!r->keep && remove_stored(&fc, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_prefix(err, "'%s'", folder);
	progress_end(&r->pg);
	if (r->lg->removal && rc == 0) {
		/* Kept for forgetting what close() removed. */
		fetchstate_free(r->close_state);
		free(r->close_state_path);
		r->close_state = fc.st;
		r->close_state_path = fc.state_path;
		fc.st = NULL;
		fc.state_path = NULL;
	}
	folder_release(&fc);
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

int fetch_server_init(const struct cfg_account *a, struct fetch_server *sv, struct err *err)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	memset(sv, 0, sizeof(*sv));
	r.a = a;
	r.lockfd = -1;
	if (settings(&r, err) < 0) {
		err_prefix(err, "account '%s'", cfg_account_name(a));
		oauth2_free(r.conf.oauth2);
		free(r.host);
		free(r.root);
		free(r.statedir);
		return -1;
	}
	sv->conf = r.conf;
	sv->ops = r.ops;
	sv->host = r.host;
	free(r.root);
	free(r.statedir);
	return 0;
}

void fetch_server_release(struct fetch_server *sv)
{
	if (!sv)
		return;
	oauth2_free(sv->conf.oauth2);
	sv->conf.oauth2 = NULL;
	free(sv->host);
	sv->host = NULL;
}

int fetch_lock(const struct cfg_account *a, int *fd_out, int *busy_out, struct err *err)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.statedir = path_join(cfg_get(a, "maildir"), ".surel-fetch");
	rc = afile_mkdirs(r.statedir, err) < 0 ? -1 : take_lock(&r, fd_out, busy_out, err);
	free(r.statedir);
	return rc;
}

char *fetch_name_enc(const char *s)
{
	return enc(s);
}

/* ---- sessions ---- */

static void run_release(struct run *r)
{
	if (r->src)
		r->ops->free(r->src);
	r->src = NULL;
	maildir_names_free(r->removed, r->nremoved);
	fetchstate_free(r->close_state);
	free(r->close_state_path);
	rules_free(r->rules);
	free(r->selected);
	if (r->lockfd >= 0)
		afile_unlock(r->lockfd);
	free(r->host);
	free(r->root);
	free(r->statedir);
	oauth2_free(r->conf.oauth2);
	r->conf.oauth2 = NULL;
}

int fetch_session_open(const struct cfg_account *a, const struct fetch_opts *o,
		       struct fetch_session **out, int *busy_out, struct err *err)
{
	struct fetch_session *fs = xcalloc(1, sizeof(*fs));
	struct run *r = &fs->r;
	int busy = 0;

	*out = NULL;
	*busy_out = 0;
	r->a = a;
	r->o = o;
	r->lockfd = -1;
	r->pg.on = o->progress;
	if (settings(r, err) < 0)
		goto fail;
	r->rules = cfg_rules(a, err);
	if (!r->rules || afile_mkdirs(r->statedir, err) < 0)
		goto fail;
	if (take_lock(r, &r->lockfd, &busy, err) < 0)
		goto fail;
	if (busy) {
		*busy_out = 1;
		run_release(r);
		free(fs);
		return 0;
	}
	*out = fs;
	return 0;
fail:
	err_prefix(err, "account '%s'", cfg_account_name(a));
	run_release(r);
	free(fs);
	return -1;
}

void fetch_session_set_stop(struct fetch_session *fs, const volatile sig_atomic_t *stop)
{
	fs->r.stop = stop;
}

void fetch_session_set_source(struct fetch_session *fs, const struct source_ops *ops)
{
	fs->r.ops = ops;
	fs->r.lg = ledger_for(ops);
}

int fetch_session_is_imap(const struct fetch_session *fs)
{
	return fs->r.ops->idle != NULL;
}

/* Forget the connection without logging out (it broke, or is being
 * replaced).  POP3 deletions are not committed then, and their UIDLs stay
 * in the state. */
static void drop(struct run *r)
{
	if (r->src)
		r->ops->free(r->src);
	r->src = NULL;
	free(r->selected);
	r->selected = NULL;
	maildir_names_free(r->removed, r->nremoved);
	r->removed = NULL;
	r->nremoved = 0;
	fetchstate_free(r->close_state);
	r->close_state = NULL;
	free(r->close_state_path);
	r->close_state_path = NULL;
}

int fetch_session_connect(struct fetch_session *fs, struct err *err)
{
	struct run *r = &fs->r;

	drop(r);
	/* libetpan writes to its sockets with write(): a server that hung up
	 * (or one the guard cut off) must give EPIPE, an error the session
	 * reports, not a SIGPIPE that kills us without a word. */
	signal(SIGPIPE, SIG_IGN);
	if (r->ops->open(&r->conf, &r->src, err) < 0) {
		r->src = NULL;
		err_prefix(err, "account '%s'", cfg_account_name(r->a));
		return -1;
	}
	return 0;
}

/* Whether a folder name a server listed can become a local path: no
 * absolute name, no empty, "." or ".." component, no control byte (a
 * hostile server must not make us write, or sweep tmp/, outside the
 * Maildir). */
static int folder_name_safe(const char *name)
{
	const char *p = name, *e;
	size_t n;

	if (!name[0] || name[0] == '/')
		return 0;
	for (;;) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int fetch_session_pull(struct fetch_session *fs, const char *folder, struct fetch_stats *stats_out,
		       struct err *err)
{
	struct run *r = &fs->r;
	char **pat = NULL, **folders = NULL;
	size_t npat = 0, nfolders = 0, i;
	double t0 = source_now();
	int rc = -1;

	memset(&r->stats, 0, sizeof(r->stats));
	r->pg.start = t0;
	if (folder) {
		folders = xcalloc(1, sizeof(*folders));
		/* INBOX is one name in any case (RFC 3501 5.1): one state file,
		 * one local folder. */
		folders[0] = xstrdup(strcasecmp(folder, "INBOX") == 0 ? "INBOX" : folder);
		nfolders = 1;
	} else {
		pat = patterns(r, &npat);
		if (r->ops->folders(r->src, (const char *const *)pat, npat, &folders, &nfolders,
				    err) < 0)
			goto out;
		if (nfolders == 0)
			log_warnx("account '%s': no server folder matches fetch_folders",
				  cfg_account_name(r->a));
	}
	for (i = 0; i < nfolders; i++) {
		if (r->stop && *r->stop) {
			rc = err_set(err, EX_TEMPFAIL, "interrupted");
			goto out;
		}
		if (!folder && !folder_name_safe(folders[i])) {
			struct buf b = BUF_INIT;

			codec_sanitize(folders[i], strlen(folders[i]), 0, &b);
			log_warnx("account '%s': server folder '%s' skipped: not a safe local name",
				  cfg_account_name(r->a), b.data);
			buf_release(&b);
			continue;
		}
		if (fetch_folder(r, folders[i], err) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		err_prefix(err, "account '%s'", cfg_account_name(r->a));
	maildir_names_free(pat, npat);
	maildir_names_free(folders, nfolders);
	r->stats.seconds = source_now() - t0;
	*stats_out = r->stats;
	return rc;
}

int fetch_session_idle(struct fetch_session *fs, const char *folder, int wakefd, long seconds,
		       enum source_event *ev_out, struct err *err)
{
	struct run *r = &fs->r;
	uint32_t uidvalidity;

	*ev_out = SOURCE_EV_UNSUPPORTED;
	if (!r->ops->idle)
		return 0;
	if (!r->selected || strcmp(r->selected, folder) != 0) {
		free(r->selected);
		r->selected = NULL;
		if (r->ops->select(r->src, folder, !r->keep, &uidvalidity, err) < 0)
			goto fail;
		r->selected = xstrdup(folder);
	}
	if (r->ops->idle(r->src, wakefd, seconds, ev_out, err) < 0)
		goto fail;
	return 0;
fail:
	err_prefix(err, "account '%s'", cfg_account_name(r->a));
	return -1;
}

int fetch_session_disconnect(struct fetch_session *fs, struct err *err)
{
	struct run *r = &fs->r;
	int rc;

	if (!r->src)
		return 0;
	rc = r->ops->close(r->src, err);
	if (rc == 0 && r->close_state && r->nremoved) {
		/* close() (POP3: QUIT) committed the removals: those
		 * messages are gone for good. */
		fetchstate_drop_uidls(r->close_state, r->removed, r->nremoved);
		rc = fetchstate_save(r->close_state, r->close_state_path, err);
	}
	if (rc < 0)
		err_prefix(err, "account '%s'", cfg_account_name(r->a));
	drop(r);
	return rc;
}

void fetch_session_free(struct fetch_session *fs)
{
	if (!fs)
		return;
	run_release(&fs->r);
	free(fs);
}

int fetch_account(const struct cfg_account *a, const struct fetch_opts *o, struct fetch_stats *stats_out,
		  int *busy_out, struct err *err)
{
	struct fetch_session *fs = NULL;
	int busy = 0, rc = -1;
	double t0 = source_now();

	memset(stats_out, 0, sizeof(*stats_out));
	if (fetch_session_open(a, o, &fs, &busy, err) < 0)
		goto out;
	if (busy) {
		rc = 0;
		goto out;
	}
	if (fetch_session_connect(fs, err) < 0)
		goto out;
	/* NULL: --folder (a glob too) or fetch_folders, listed on the server. */
	if (fetch_session_pull(fs, NULL, stats_out, err) < 0)
		goto out;
	rc = fetch_session_disconnect(fs, err);
out:
	fetch_session_free(fs);
	stats_out->seconds = source_now() - t0;
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
