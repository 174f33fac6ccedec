#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "imap.h"
#include "log.h"
#include "mutf7.h"
#include "source.h"
#include "syncimap.h"
#include "xalloc.h"

/* UIDs per command, as in imap.c: lines well under 8 KiB. */
#define SET_MAX 500
/* A VANISHED range longer than this is not expanded: a full listing is
 * cheaper. */
#define VANISHED_MAX 1000000u
/* peek(): folders per pipelined window, and what the replies to one
 * window may bring past the guard (they are read line by line, never held
 * whole). */
#define PEEK_WINDOW 16
#define PEEK_EXPECT ((size_t)128 * 1024 * 1024)
#define PEEK_LITERAL_MAX ((unsigned long)1024 * 1024)
/* With ESEARCH the listing is six searches (every UID, then those with
 * each synced flag); a folder claiming more messages is not peeked. */
#define PEEK_SETS 6
#define PEEK_MSGS_MAX 10000000u

struct sync_remote {
	struct source *src;
	mailimap *imap;
	char delim;      /* the server's hierarchy delimiter; 0: none seen */
	int qresync;     /* ENABLE QRESYNC succeeded */
	int condstore;
	int esearch;     /* RFC 4731: SEARCH RETURN (ALL) answers with ranges */
};

static void rclose(struct sync_remote *r)
{
	struct err e = ERR_INIT;

	if (!r)
		return;
	if (r->src) {
		if (imap_source_ops.close(r->src, &e) < 0)
			log_debug("%s", e.msg);
		imap_source_ops.free(r->src);
	}
	free(r);
}

static void enable_qresync(struct sync_remote *r)
{
	struct mailimap_capability_data *want, *got = NULL;
	clist *l;

	if (!mailimap_has_extension(r->imap, "QRESYNC") || !mailimap_has_enable(r->imap))
		return;
	l = clist_new();
	clist_append(l, mailimap_capability_new(MAILIMAP_CAPABILITY_NAME, NULL, xstrdup("QRESYNC")));
	want = mailimap_capability_data_new(l);
	if (mailimap_enable(r->imap, want, &got) == MAILIMAP_NO_ERROR)
		r->qresync = 1;
	mailimap_capability_data_free(want);
	if (got)
		mailimap_capability_data_free(got);
}

static int ropen(const struct source_conf *conf, struct sync_remote **out, struct err *err)
{
	struct sync_remote *r = xcalloc(1, sizeof(*r));

	if (imap_source_ops.open(conf, &r->src, err) < 0) {
		free(r);
		return -1;
	}
	r->imap = imap_session(r->src);
	r->condstore = mailimap_has_condstore(r->imap);
	r->esearch = mailimap_has_extension(r->imap, "ESEARCH");
	enable_qresync(r);
	log_debug("%s: CONDSTORE %s, QRESYNC %s, UIDPLUS %s", conf->host, r->condstore ? "yes" : "no",
		  r->qresync ? "yes" : "no", mailimap_has_uidplus(r->imap) ? "yes" : "no");
	*out = r;
	return 0;
}

/* The server's spelling of folder name (UTF-8, '/' between levels);
 * caller frees.  NULL for a name that is not UTF-8. */
static char *server_name(const struct sync_remote *r, const char *name, struct err *err)
{
	char *copy = xstrdup(name), *p, *m;

	if (r->delim && r->delim != '/')
		for (p = copy; *p; p++)
			if (*p == '/')
				*p = r->delim;
	m = mutf7_encode(copy);
	free(copy);
	if (!m)
		err_set(err, EX_DATAERR, "folder name '%s' is not valid UTF-8", name);
	return m;
}

/* What the LIST flags of mb say: whether it can be selected, and its
 * special use (RFC 6154), NULL when none. */
static const char *list_flags(const struct mailimap_mailbox_list *mb, int *noselect)
{
	static const char *const uses[] = { "Sent", "Drafts", "Trash", "Junk", "Archive" };
	const char *role = NULL;
	clistiter *it;
	size_t i;

	*noselect = 0;
	if (!mb->mb_flag)
		return NULL;
	if (mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
	    mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		*noselect = 1;
	for (it = clist_begin(mb->mb_flag->mbf_oflags); it; it = clist_next(it)) {
		struct mailimap_mbx_list_oflag *o = clist_content(it);
		const char *f;

		if (o->of_type != MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT || !o->of_flag_ext)
			continue;
		f = o->of_flag_ext[0] == '\\' ? o->of_flag_ext + 1 : o->of_flag_ext;
		if (strcasecmp(f, "NonExistent") == 0 || strcasecmp(f, "Noselect") == 0)
			*noselect = 1;
		for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
			if (strcasecmp(f, uses[i]) == 0 && !role)
				role = uses[i];
	}
	return role;
}

/* UTF-8 name of a listed folder with '/' between levels, or NULL (with a
 * warning) when it cannot be one. */
static char *local_name(struct sync_remote *r, const struct mailimap_mailbox_list *mb)
{
	char *name = mutf7_decode(mb->mb_name), *p;

	if (name && mb->mb_delimiter && mb->mb_delimiter != '/') {
		if (strchr(name, '/')) {
			free(name);
			name = NULL;
		} else {
			for (p = name; *p; p++)
				if (*p == mb->mb_delimiter)
					*p = '/';
		}
	}
	if (!name) {
		char shown[80];

		source_reply(mb->mb_name, shown, sizeof(shown));
		log_warnx("folder '%s' skipped: its name cannot be a local folder's", shown);
	}
	if (mb->mb_delimiter && !r->delim)
		r->delim = mb->mb_delimiter;
	return name;
}

static int rfolders(struct sync_remote *r, struct sync_rfolder **out, size_t *n_out,
		    struct err *err)
{
	struct sync_rfolder *f;
	clist *list = NULL;
	clistiter *it;
	size_t n = 0;
	int rv = mailimap_list(r->imap, "", "*", &list);

	if (rv != MAILIMAP_NO_ERROR)
		return imap_fail(r->src, rv, "LIST", err);
	f = xcalloc((size_t)clist_count(list) + 1, sizeof(*f));
	for (it = clist_begin(list); it; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);
		int noselect;
		const char *role = list_flags(mb, &noselect);
		char *name;

		if (noselect)
			continue;
		name = local_name(r, mb);
		if (!name)
			continue;
		f[n].name = name;
		f[n].role = role ? xstrdup(role) : NULL;
		n++;
	}
	mailimap_list_result_free(list);
	*out = f;
	*n_out = n;
	return 0;
}

static int rcreate(struct sync_remote *r, const char *name, struct err *err)
{
	char *m = server_name(r, name, err);
	int rv;

	if (!m)
		return -1;
	rv = mailimap_create(r->imap, m);
	free(m);
	return rv == MAILIMAP_NO_ERROR ? 0 : imap_fail(r->src, rv, "CREATE", err);
}

static int rselect(struct sync_remote *r, const char *name, struct sync_rinfo *info,
		   struct err *err)
{
	struct mailimap_selection_info *si;
	char *m = server_name(r, name, err);
	uint64_t modseq = 0;
	int rv;

	if (!m)
		return -1;
	rv = r->condstore ? mailimap_select_condstore(r->imap, m, &modseq)
			  : mailimap_select(r->imap, m);
	free(m);
	if (rv != MAILIMAP_NO_ERROR)
		return imap_fail(r->src, rv, "SELECT", err);
	si = r->imap->imap_selection_info;
	if (!si || !si->sel_uidvalidity)
		return err_set(err, EX_PROTOCOL, "folder '%s' has no UIDVALIDITY", name);
	memset(info, 0, sizeof(*info));
	info->uidvalidity = si->sel_uidvalidity;
	info->uidnext = si->sel_uidnext;
	info->exists = si->sel_exists;
	info->modseq = modseq;
	info->uidplus = mailimap_has_uidplus(r->imap);
	info->qresync = r->qresync && modseq != 0;
	return 0;
}

/* UID and flags of one FETCH response; 0 when it has no UID. */
static uint32_t read_item(const struct mailimap_msg_att *ma, char flags[8], uint32_t *size_out)
{
	clistiter *it, *f;
	uint32_t uid = 0;

	flags[0] = '\0';
	for (it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC) {
			struct mailimap_msg_att_static *st = item->att_data.att_static;

			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				uid = st->att_data.att_uid;
			else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE && size_out)
				*size_out = st->att_data.att_rfc822_size;
			continue;
		}
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_DYNAMIC || !item->att_data.att_dyn->att_list)
			continue;
		for (f = clist_begin(item->att_data.att_dyn->att_list); f; f = clist_next(f)) {
			struct mailimap_flag_fetch *ff = clist_content(f);

			if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER || !ff->fl_flag)
				continue;
			switch (ff->fl_flag->fl_type) {
			case MAILIMAP_FLAG_SEEN: imap_flag_add(flags, 'S'); break;
			case MAILIMAP_FLAG_FLAGGED: imap_flag_add(flags, 'F'); break;
			case MAILIMAP_FLAG_ANSWERED: imap_flag_add(flags, 'R'); break;
			case MAILIMAP_FLAG_DRAFT: imap_flag_add(flags, 'D'); break;
			case MAILIMAP_FLAG_DELETED: imap_flag_add(flags, 'T'); break;
			default: break;
			}
		}
	}
	return uid;
}

static void items_from(clist *res, struct sync_ritem **items_out, size_t *n_out)
{
	struct sync_ritem *items = xcalloc((size_t)clist_count(res) + 1, sizeof(*items));
	clistiter *it;
	size_t n = 0;

	for (it = clist_begin(res); it; it = clist_next(it)) {
		items[n].uid = read_item(clist_content(it), items[n].flags, NULL);
		n += items[n].uid != 0;
	}
	*items_out = items;
	*n_out = n;
}

/* The UIDs of a VANISHED set; -1 when it is too big to list. */
static int vanished_uids(const struct mailimap_qresync_vanished *v, uint32_t **out, size_t *n_out)
{
	uint32_t *u = NULL;
	size_t n = 0;
	clistiter *it;

	for (it = clist_begin(v->qr_known_uids->set_list); it; it = clist_next(it)) {
		struct mailimap_set_item *si = clist_content(it);
		uint32_t a = si->set_first, b = si->set_last ? si->set_last : si->set_first, x;

		if (a > b) {
			x = a;
			a = b;
			b = x;
		}
		if (b - a >= VANISHED_MAX || n + (b - a) >= VANISHED_MAX) {
			free(u);
			return -1;
		}
		u = xreallocarray(u, n + (b - a) + 1, sizeof(*u));
		for (x = a;; x++) {
			u[n++] = x;
			if (x == b)
				break;
		}
	}
	*out = u;
	*n_out = n;
	return 0;
}

static struct mailimap_fetch_type *flags_type(void)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
	return ft;
}

/* UID FETCH 1:* (FLAGS) (CHANGEDSINCE since VANISHED): 1 done, 0 when a
 * full listing is needed instead. */
static int list_delta(struct sync_remote *r, uint64_t since, struct sync_ritem **items_out,
		      size_t *n_out, uint32_t **van_out, size_t *nv_out, struct err *err)
{
	struct mailimap_set *set = mailimap_set_new_interval(1, 0);
	struct mailimap_fetch_type *ft = flags_type();
	struct mailimap_qresync_vanished *v = NULL;
	clist *res = NULL;
	int rv;

	rv = mailimap_uid_fetch_qresync(r->imap, set, ft, since, &res, &v);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (rv != MAILIMAP_NO_ERROR)
		return imap_fail(r->src, rv, "UID FETCH (CHANGEDSINCE)", err);
	items_from(res, items_out, n_out);
	mailimap_fetch_list_free(res);
	*van_out = NULL;
	*nv_out = 0;
	if (v) {
		rv = vanished_uids(v, van_out, nv_out);
		mailimap_qresync_vanished_free(v);
		if (rv < 0) {
			free(*items_out);
			*items_out = NULL;
			*n_out = 0;
			return 0;
		}
	}
	return 1;
}

static int rlist(struct sync_remote *r, uint64_t since, struct sync_ritem **items_out,
		 size_t *n_out, uint32_t **van_out, size_t *nv_out, int *delta_out,
		 struct err *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	uint32_t exists = r->imap->imap_selection_info ? r->imap->imap_selection_info->sel_exists : 0;
	clist *res = NULL;
	int rv;

	*items_out = NULL;
	*n_out = 0;
	*van_out = NULL;
	*nv_out = 0;
	*delta_out = 0;
	if (!exists) {
		*items_out = xcalloc(1, sizeof(**items_out));
		return 0;
	}
	if (since && r->qresync) {
		rv = list_delta(r, since, items_out, n_out, van_out, nv_out, err);
		if (rv != 0) {
			*delta_out = rv > 0;
			return rv < 0 ? -1 : 0;
		}
	}
	/* About 60 bytes a message: a big folder is no flood. */
	imap_expect(r->src, (size_t)exists * 80);
	set = mailimap_set_new_interval(1, 0);
	ft = flags_type();
	rv = mailimap_uid_fetch(r->imap, set, ft, &res);
	imap_expect(r->src, 0);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (rv != MAILIMAP_NO_ERROR)
		return imap_fail(r->src, rv, "UID FETCH", err);
	items_from(res, items_out, n_out);
	mailimap_fetch_list_free(res);
	return 0;
}

static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0;

	while (i < n) {
		uint32_t first = uids[i], last = first;

		for (i++; i < n && uids[i] == last + 1; i++)
			last = uids[i];
		mailimap_set_add_interval(set, first, last);
	}
	return set;
}

static size_t chunk(size_t n, size_t i)
{
	return n - i < SET_MAX ? n - i : SET_MAX;
}

struct fetch_ctx {
	sync_rmsg_fn *fn;
	void *ctx;
};

static int on_msg(const struct source_msg *m, void *arg, struct err *err)
{
	struct fetch_ctx *c = arg;
	struct sync_rmsg rm;

	rm.uid = m->item->uid;
	rm.data = m->data;
	rm.len = m->len;
	return c->fn(&rm, c->ctx, err);
}

/* The sizes of the messages to fetch (the fetch source cuts its chunks by
 * them), then the messages through the fetch source. */
static int rfetch(struct sync_remote *r, const uint32_t *uids, size_t n, sync_rmsg_fn *fn,
		  void *ctx, struct err *err)
{
	struct fetch_ctx c = { fn, ctx };
	size_t i, k;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i += k) {
		struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
		struct mailimap_set *set;
		struct source_item *items;
		clist *res = NULL;
		clistiter *it;
		size_t ni = 0;
		int rv;

		k = chunk(n, i);
		set = uid_set(uids + i, k);
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
		rv = mailimap_uid_fetch(r->imap, set, ft, &res);
		mailimap_set_free(set);
		mailimap_fetch_type_free(ft);
		if (rv != MAILIMAP_NO_ERROR)
			return imap_fail(r->src, rv, "UID FETCH", err);
		items = xcalloc((size_t)clist_count(res) + 1, sizeof(*items));
		for (it = clist_begin(res); it; it = clist_next(it)) {
			char flags[8];
			uint32_t size = 0, uid = read_item(clist_content(it), flags, &size);

			if (!uid)
				continue;
			items[ni].uid = uid;
			items[ni].size = size;
			ni++;
		}
		mailimap_fetch_list_free(res);
		rc = imap_source_ops.fetch(r->src, items, ni, on_msg, &c, err);
		source_items_free(items, ni);
	}
	return rc;
}

static struct mailimap_fetch_type *heads_type(void)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *names = clist_new();

	clist_append(names, xstrdup("Message-ID"));
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(
		mailimap_section_new_header_fields(mailimap_header_list_new(names))));
	return ft;
}

/* The Message-ID of the header section in one FETCH response, or NULL. */
static char *head_msgid(const struct mailimap_msg_att *ma)
{
	clistiter *it;

	for (it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION && st->att_data.att_body_section &&
		    st->att_data.att_body_section->sec_body_part)
			return source_message_id(st->att_data.att_body_section->sec_body_part,
						 st->att_data.att_body_section->sec_length);
	}
	return NULL;
}

/* UID FETCH (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]):
 * some 150 bytes a message, one command per SET_MAX of them. */
static int rheads(struct sync_remote *r, const uint32_t *uids, size_t n,
		  struct sync_rhead **out, size_t *n_out, struct err *err)
{
	struct sync_rhead *h = xcalloc(n + 1, sizeof(*h));
	size_t i, k, nh = 0;

	for (i = 0; i < n; i += k) {
		struct mailimap_fetch_type *ft = heads_type();
		struct mailimap_set *set;
		clist *res = NULL;
		clistiter *it;
		int rv;

		k = chunk(n, i);
		set = uid_set(uids + i, k);
		imap_expect(r->src, k * 512);
		rv = mailimap_uid_fetch(r->imap, set, ft, &res);
		imap_expect(r->src, 0);
		mailimap_set_free(set);
		mailimap_fetch_type_free(ft);
		if (rv != MAILIMAP_NO_ERROR) {
			sync_rheads_free(h, nh);
			return imap_fail(r->src, rv, "UID FETCH (Message-ID)", err);
		}
		for (it = clist_begin(res); it && nh < n; it = clist_next(it)) {
			char flags[8];
			uint32_t size = 0, uid = read_item(clist_content(it), flags, &size);
			char *id = uid ? head_msgid(clist_content(it)) : NULL;

			if (!id)
				continue;
			h[nh].uid = uid;
			h[nh].size = size;
			h[nh].msgid = id;
			nh++;
		}
		mailimap_fetch_list_free(res);
	}
	*out = h;
	*n_out = nh;
	return 0;
}

static struct mailimap_flag_list *flag_list(const char *flags)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	const char *p;

	for (p = flags; *p; p++) {
		switch (*p) {
		case 'S': mailimap_flag_list_add(fl, mailimap_flag_new_seen()); break;
		case 'R': mailimap_flag_list_add(fl, mailimap_flag_new_answered()); break;
		case 'F': mailimap_flag_list_add(fl, mailimap_flag_new_flagged()); break;
		case 'D': mailimap_flag_list_add(fl, mailimap_flag_new_draft()); break;
		case 'T': mailimap_flag_list_add(fl, mailimap_flag_new_deleted()); break;
		default: break;
		}
	}
	return fl;
}

static int store_set(struct sync_remote *r, struct mailimap_set *set, const char *flags, int add,
		     struct err *err)
{
	struct mailimap_store_att_flags *sf;
	int rv;

	if (!*flags)
		return 0;
	sf = add ? mailimap_store_att_flags_new_add_flags_silent(flag_list(flags))
		 : mailimap_store_att_flags_new_remove_flags_silent(flag_list(flags));
	rv = mailimap_uid_store(r->imap, set, sf);
	mailimap_store_att_flags_free(sf);
	return rv == MAILIMAP_NO_ERROR ? 0 : imap_fail(r->src, rv, "UID STORE", err);
}

static int rstore(struct sync_remote *r, const uint32_t *uids, size_t n, const char *add,
		  const char *del, struct err *err)
{
	size_t i, k;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i += k) {
		struct mailimap_set *set;

		k = chunk(n, i);
		set = uid_set(uids + i, k);
		rc = store_set(r, set, add, 1, err);
		if (rc == 0)
			rc = store_set(r, set, del, 0, err);
		mailimap_set_free(set);
	}
	return rc;
}

static int rexpunge(struct sync_remote *r, const uint32_t *uids, size_t n, int *expunged_out,
		    struct err *err)
{
	int uidplus = mailimap_has_uidplus(r->imap);
	size_t i, k;
	int rc = 0;

	*expunged_out = uidplus;
	for (i = 0; i < n && rc == 0; i += k) {
		struct mailimap_set *set;
		int rv;

		k = chunk(n, i);
		set = uid_set(uids + i, k);
		rc = store_set(r, set, "T", 1, err);
		/* Only UID EXPUNGE: a plain EXPUNGE would also remove what
		 * other clients marked \Deleted. */
		if (rc == 0 && uidplus) {
			rv = mailimap_uid_expunge(r->imap, set);
			if (rv != MAILIMAP_NO_ERROR)
				rc = imap_fail(r->src, rv, "UID EXPUNGE", err);
		}
		mailimap_set_free(set);
	}
	return rc;
}

/* The UID of the message just appended without APPENDUID: the one
 * message at or above the folder's UIDNEXT of SELECT with its Message-ID,
 * else 0 (the caller then matches it by content later). */
static uint32_t appended_uid(struct sync_remote *r, const char *data, size_t len)
{
	struct mailimap_selection_info *si = r->imap->imap_selection_info;
	struct mailimap_search_key *key;
	char *id = source_message_id(data, len < 65536 ? len : 65536);
	clist *res = NULL;
	uint32_t uid = 0;
	int rv;

	if (!id || !si || !si->sel_uidnext) {
		free(id);
		return 0;
	}
	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_uid(
		mailimap_set_new_interval(si->sel_uidnext, 0)));
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_header(
		xstrdup("Message-ID"), id));
	rv = mailimap_uid_search(r->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (rv == MAILIMAP_NO_ERROR && clist_count(res) == 1)
		uid = *(uint32_t *)clist_content(clist_begin(res));
	if (res)
		mailimap_search_result_free(res);
	return uid;
}

static int rappend(struct sync_remote *r, const char *name, const char *data, size_t len,
		   const char *flags, time_t date, uint32_t *uid_out, struct err *err)
{
	struct mailimap_flag_list *fl = flag_list(flags);
	struct mailimap_date_time *dt;
	struct buf b = BUF_INIT;
	uint32_t uidvalidity = 0;
	char *m = server_name(r, name, err);
	struct tm tm;
	size_t i;
	int rv;

	*uid_out = 0;
	if (!m) {
		mailimap_flag_list_free(fl);
		return -1;
	}
	buf_grow(&b, len + len / 32 + 2);
	for (i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			buf_putc(&b, '\r');
		buf_putc(&b, data[i]);
	}
	gmtime_r(&date, &tm);
	dt = mailimap_date_time_new(tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
				    tm.tm_sec, 0);
	if (mailimap_has_uidplus(r->imap))
		rv = mailimap_uidplus_append(r->imap, m, fl, dt, b.data ? b.data : "", b.len,
					     &uidvalidity, uid_out);
	else
		rv = mailimap_append(r->imap, m, fl, dt, b.data ? b.data : "", b.len);
	if (rv == MAILIMAP_NO_ERROR && !*uid_out)
		*uid_out = appended_uid(r, data, len);
	mailimap_date_time_free(dt);
	mailimap_flag_list_free(fl);
	buf_release(&b);
	free(m);
	if (rv != MAILIMAP_NO_ERROR)
		return imap_fail(r->src, rv, "APPEND", err);
	return 0;
}

/* The UIDs of a set, in order; NULL when it is absurdly big. */
static uint32_t *set_uids(const struct mailimap_set *set, size_t *n_out)
{
	uint32_t *u = NULL;
	size_t n = 0;
	clistiter *it;

	for (it = clist_begin(set->set_list); it; it = clist_next(it)) {
		struct mailimap_set_item *si = clist_content(it);
		uint32_t a = si->set_first, b = si->set_last ? si->set_last : a, x;

		if (b < a || b - a > SET_MAX * 4u) {
			free(u);
			return NULL;
		}
		u = xreallocarray(u, n + (b - a) + 1, sizeof(*u));
		for (x = a;; x++) {
			u[n++] = x;
			if (x == b)
				break;
		}
	}
	*n_out = n;
	return u;
}

/* Fill newuids for uids from COPYUID's source and destination sets
 * (RFC 4315: in corresponding order). */
static void copyuid(const struct mailimap_set *src, const struct mailimap_set *dst,
		    const uint32_t *uids, size_t n, uint32_t *newuids)
{
	size_t ns = 0, nd = 0, i, j;
	uint32_t *s = src ? set_uids(src, &ns) : NULL, *d = dst ? set_uids(dst, &nd) : NULL;

	for (i = 0; s && d && i < ns && i < nd; i++)
		for (j = 0; j < n; j++)
			if (uids[j] == s[i])
				newuids[j] = d[i];
	free(s);
	free(d);
}

static int rmove(struct sync_remote *r, const uint32_t *uids, size_t n, const char *name,
		 uint32_t *newuids, int *moved_out, struct err *err)
{
	char *m;
	size_t i, k;
	int rc = 0;

	int move = mailimap_has_extension(r->imap, "MOVE"), uidplus = mailimap_has_uidplus(r->imap);

	*moved_out = 0;
	memset(newuids, 0, n * sizeof(*newuids));
	if (!move && !uidplus)
		return 0;
	m = server_name(r, name, err);
	if (!m)
		return -1;
	for (i = 0; i < n && rc == 0; i += k) {
		struct mailimap_set *set, *src = NULL, *dst = NULL;
		uint32_t uidvalidity = 0;
		int rv;

		k = chunk(n, i);
		set = uid_set(uids + i, k);
		if (move && uidplus)
			rv = mailimap_uidplus_uid_move(r->imap, set, m, &uidvalidity, &src, &dst);
		else if (move)
			rv = mailimap_uid_move(r->imap, set, m);
		else
			rv = mailimap_uidplus_uid_copy(r->imap, set, m, &uidvalidity, &src, &dst);
		if (rv == MAILIMAP_NO_ERROR)
			copyuid(src, dst, uids + i, k, newuids + i);
		else
			rc = imap_fail(r->src, rv, move ? "UID MOVE" : "UID COPY", err);
		/* Without MOVE the copies are in place before the originals
		 * go, by UID EXPUNGE only (a crash in between leaves the
		 * original, which the next run removes as moved away). */
		if (rc == 0 && !move) {
			rc = store_set(r, set, "T", 1, err);
			if (rc == 0 && (rv = mailimap_uid_expunge(r->imap, set)) != MAILIMAP_NO_ERROR)
				rc = imap_fail(r->src, rv, "UID EXPUNGE", err);
		}
		if (src)
			mailimap_set_free(src);
		if (dst)
			mailimap_set_free(dst);
		mailimap_set_free(set);
	}
	free(m);
	*moved_out = rc == 0;
	return rc;
}

/* ---- peek: many folders in one pipelined exchange ----
 *
 * libetpan reads one command's reply at a time, so the commands of a
 * window are written here by hand and their replies read line by line;
 * only what the stamps compare is kept (for a listing, its digest). */

/* name as an IMAP quoted string on b; -1 when it cannot be one. */
static int put_quoted(struct buf *b, const char *name)
{
	const char *p;

	buf_putc(b, '"');
	for (p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c >= 0x7f)
			return -1;
		if (c == '"' || c == '\\')
			buf_putc(b, '\\');
		buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
	return 0;
}

/* The next reply line without its CRLF, literals left out (nothing kept
 * here is inside one); NULL when the connection broke. */
static char *peek_line(struct sync_remote *r, MMAPString *buf)
{
	mailstream *s = r->imap->imap_stream;
	char *l = mailstream_read_line(s, buf);

	for (;;) {
		char *open, *e, skip[4096];
		unsigned long lit;

		if (!l || buf->len < 2 || buf->str[buf->len - 1] != '\n')
			return NULL;
		buf->len -= buf->str[buf->len - 2] == '\r' ? 2 : 1;
		buf->str[buf->len] = '\0';
		if (buf->len < 3 || buf->str[buf->len - 1] != '}' ||
		    !(open = strrchr(buf->str, '{')))
			return buf->str;
		errno = 0;
		lit = strtoul(open + 1, &e, 10);
		if (errno || (*e != '}' && *e != '+') || lit > PEEK_LITERAL_MAX)
			return NULL;
		buf->len = (size_t)(open - buf->str);
		buf->str[buf->len] = '\0';
		while (lit) {
			ssize_t got = mailstream_read(s, skip, lit < sizeof(skip) ? lit : sizeof(skip));

			if (got <= 0)
				return NULL;
			lit -= (unsigned long)got;
		}
		l = mailstream_read_line_append(s, buf);
	}
}

/* Where attribute name starts in the list at list, or NULL. */
static const char *att(const char *list, const char *name)
{
	const char *p = list;

	while ((p = strstr(p, name)) && p != list && p[-1] != ' ' && p[-1] != '(')
		p++;
	return p;
}

static uint64_t att_num(const char *list, const char *name)
{
	const char *p = att(list, name);

	return p ? strtoull(p + strlen(name), NULL, 10) : 0;
}

/* "* STATUS name (MESSAGES m UIDNEXT u ...)" into o. */
static void peek_status(const char *line, struct syncstamp_remote *o)
{
	const char *p = strrchr(line, '(');

	if (!p)
		return;
	o->exists = (uint32_t)att_num(p, "MESSAGES ");
	o->uidnext = (uint32_t)att_num(p, "UIDNEXT ");
	o->uidvalidity = (uint32_t)att_num(p, "UIDVALIDITY ");
	o->modseq = att_num(p, "HIGHESTMODSEQ ");
}

/* One "* N FETCH (UID u FLAGS (...))" into the digest; 0 when the line is
 * no such answer (then the listing proves nothing). */
static int peek_fetch(const char *line, struct syncstamp_digest *d)
{
	static const struct {
		const char *name;
		char c;
	} fl[] = { { "\\Seen", 'S' }, { "\\Answered", 'R' }, { "\\Flagged", 'F' },
		   { "\\Deleted", 'T' }, { "\\Draft", 'D' } };
	const char *p = strstr(line, " FETCH ("), *f;
	char flags[8] = "";
	uint32_t uid;
	size_t i, n;

	if (!p || !(uid = (uint32_t)att_num(p + 8, "UID ")) || !(f = att(p + 8, "FLAGS (")))
		return 0;
	for (f += 7; *f && *f != ')'; f += n) {
		n = strcspn(f, " )");
		for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
			if (n == strlen(fl[i].name) && strncasecmp(f, fl[i].name, n) == 0)
				imap_flag_add(flags, fl[i].c);
		if (f[n] == ' ')
			n++;
	}
	if (*f != ')')
		return 0;
	syncstamp_digest_add(d, uid, flags);
	return 1;
}

struct range {
	uint32_t a, b;
};

struct peek_one {
	struct syncstamp_remote *o;
	struct syncstamp_digest d;
	char *m;       /* the server's spelling of the name; NULL: not sent */
	int selected;  /* EXAMINE answered: what follows is the listing */
	int done;      /* its last command answered */
	int bad;       /* something else happened meanwhile */
	/* With ESEARCH: every UID, then the UIDs with \Seen, \Answered,
	 * \Flagged, \Deleted, \Draft; and how many searches answered. */
	struct range *set[PEEK_SETS];
	size_t nset[PEEK_SETS];
	int answers;
};

static const char *const search_keys[PEEK_SETS] = { "ALL", "SEEN", "ANSWERED", "FLAGGED",
						      "DELETED", "DRAFT" };
static const char search_flags[PEEK_SETS] = { 0, 'S', 'R', 'F', 'T', 'D' };

static int cmp_range(const void *x, const void *y)
{
	const struct range *a = x, *b = y;

	return a->a < b->a ? -1 : a->a > b->a;
}

/* "* ESEARCH (TAG "qI.J") UID ALL 1:3,7" into set J of folder I; the
 * answer of a search that found nothing has no ALL. */
static void peek_esearch(const char *l, struct peek_one *w, size_t n)
{
	const char *t = strstr(l, "(TAG \"q"), *p;
	unsigned long k, j;
	struct peek_one *f;
	char *e;

	if (!t || (k = strtoul(t + 7, &e, 10)) >= n || *e != '.' ||
	    (j = strtoul(e + 1, &e, 10)) >= PEEK_SETS || *e != '"' || !w[k].m)
		return;
	f = &w[k];
	free(f->set[j]);
	f->set[j] = NULL;
	f->nset[j] = 0;
	p = att(e, "ALL ");
	for (p = p ? p + 4 : NULL; p && *p >= '0' && *p <= '9';) {
		struct range r;

		r.a = r.b = (uint32_t)strtoul(p, &e, 10);
		if (*e == ':')
			r.b = (uint32_t)strtoul(e + 1, &e, 10);
		if (r.b < r.a) {
			uint32_t x = r.a;

			r.a = r.b;
			r.b = x;
		}
		f->set[j] = xreallocarray(f->set[j], f->nset[j] + 1, sizeof(r));
		f->set[j][f->nset[j]++] = r;
		p = *e == ',' ? e + 1 : NULL;
	}
	for (j = 0; j < PEEK_SETS; j++)
		if (f->nset[j])
			qsort(f->set[j], f->nset[j], sizeof(struct range), cmp_range);
}

/* The listing's digest from the six UID sets, as syncstamp_digest over
 * (UID, flags) in UID order. */
static void esearch_digest(struct peek_one *p)
{
	size_t at[PEEK_SETS] = { 0 }, i, j;
	uint64_t count = 0;
	uint32_t uid;

	for (i = 0; i < p->nset[0]; i++) {
		if (i && p->set[0][i].a <= p->set[0][i - 1].b)
			p->bad = 1;
		count += (uint64_t)(p->set[0][i].b - p->set[0][i].a) + 1;
	}
	if (p->bad || count != p->o->exists || count > PEEK_MSGS_MAX) {
		p->bad = 1;
		return;
	}
	for (i = 0; i < p->nset[0]; i++) {
		for (uid = p->set[0][i].a;; uid++) {
			char flags[8] = "";

			for (j = 1; j < PEEK_SETS; j++) {
				while (at[j] < p->nset[j] && p->set[j][at[j]].b < uid)
					at[j]++;
				if (at[j] < p->nset[j] && p->set[j][at[j]].a <= uid)
					imap_flag_add(flags, search_flags[j]);
			}
			syncstamp_digest_add(&p->d, uid, flags);
			if (uid == p->set[0][i].b)
				break;
		}
	}
	syncstamp_digest_end(&p->d, p->o->digest);
}

/* The folder a "* STATUS NAME (...)" line is about (a server may answer
 * pipelined STATUS commands in any order), or NULL when its name is none
 * of the window's (a literal, which peek_line() leaves out). */
static struct peek_one *status_of(const char *l, struct peek_one *w, size_t n)
{
	char name[1024];
	const char *p = l + 9;
	size_t k = 0, i;

	if (*p == '"') {
		for (p++; *p && *p != '"' && k + 1 < sizeof(name); p++)
			name[k++] = *p == '\\' && p[1] ? *++p : *p;
	} else {
		while (*p && *p != ' ' && k + 1 < sizeof(name))
			name[k++] = *p++;
	}
	name[k] = '\0';
	for (i = 0; i < n; i++)
		if (w[i].m && (strcmp(w[i].m, name) == 0 ||
			       (strcasecmp(name, "INBOX") == 0 && strcasecmp(w[i].m, "INBOX") == 0)))
			return &w[i];
	return NULL;
}

/* An untagged line; p is the first folder still waiting for an answer
 * (without CONDSTORE the server answers in order: EXAMINE changes what
 * the next command is about). */
static void peek_untagged(const char *l, struct peek_one *w, size_t n, struct peek_one *p)
{
	if (strncasecmp(l, "* STATUS ", 9) == 0) {
		struct peek_one *s = status_of(l, w, n);

		peek_status(l, (s ? s : p)->o);
	} else if (strncasecmp(l, "* ESEARCH ", 10) == 0) {
		peek_esearch(l, w, n);
	} else if (strncasecmp(l, "* OK [UIDVALIDITY ", 18) == 0) {
		p->o->uidvalidity = (uint32_t)strtoul(l + 18, NULL, 10);
	} else if (strncasecmp(l, "* OK [UIDNEXT ", 14) == 0) {
		p->o->uidnext = (uint32_t)strtoul(l + 14, NULL, 10);
	} else if (strstr(l, " FETCH (")) {
		p->bad |= !p->selected || !peek_fetch(l, &p->d);
	} else if (strstr(l, " EXISTS") && !p->selected) {
		p->o->exists = (uint32_t)strtoul(l + 2, NULL, 10);
	} else if (strstr(l, " EXISTS") || strstr(l, " EXPUNGE") || strstr(l, " VANISHED")) {
		p->bad = 1;
	}
}

/* The first folder of the window still waiting for an answer, or n. */
static size_t pending(const struct peek_one *w, size_t n)
{
	size_t i = 0;

	while (i < n && (!w[i].m || w[i].done))
		i++;
	return i;
}

/* The tagged answer (text e) to command kind of folder p: 'p' STATUS or
 * EXAMINE, 'q' the listing. */
static void peek_tagged(const struct sync_remote *r, struct peek_one *p, char kind, const char *e)
{
	int ok = strncasecmp(e, "OK", 2) == 0;

	if (kind == 'p') {
		p->bad |= !ok;
		p->selected = 1;
		p->done = r->condstore;
		return;
	}
	if (r->esearch) {
		p->bad |= !ok;
		if (++p->answers < PEEK_SETS)
			return;
		if (!p->bad)
			esearch_digest(p);
		p->done = 1;
		return;
	}
	/* An empty folder may refuse "1:*". */
	if (ok || !p->o->exists)
		syncstamp_digest_end(&p->d, p->o->digest);
	else
		p->bad = 1;
	p->done = 1;
}

/* Read the replies to the commands of window w[0..n): tag "pI" (STATUS
 * or EXAMINE) and, without CONDSTORE, "qI" (the listing) of folder I. */
static int peek_read(struct sync_remote *r, struct peek_one *w, size_t n, MMAPString *buf,
		     struct err *err)
{
	size_t cur;
	char *l, *e;

	while ((cur = pending(w, n)) < n) {
		unsigned long k;

		if (!(l = peek_line(r, buf)) || strncasecmp(l, "* BYE", 5) == 0)
			return imap_fail(r->src, MAILIMAP_ERROR_STREAM, "STATUS", err);
		if (l[0] == '*') {
			peek_untagged(l, w, n, &w[cur]);
			continue;
		}
		k = strtoul(l + 1, &e, 10);
		/* "qI.J": which of folder I's searches is answered does not
		 * matter, only how many. */
		if (l[0] == 'q' && r->esearch && *e == '.')
			strtoul(e + 1, &e, 10);
		if ((l[0] == 'p' || (l[0] == 'q' && !r->condstore)) && k < n && w[k].m &&
		    !w[k].done && *e == ' ')
			peek_tagged(r, &w[k], l[0], e + 1);
	}
	return 0;
}

/* One window: its commands written at once, then their replies read. */
static int peek_window(struct sync_remote *r, char *const *names, struct peek_one *w, size_t n,
		       MMAPString *buf, struct err *err)
{
	struct buf b = BUF_INIT;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < n; i++) {
		char *m = server_name(r, names[i], err);
		size_t mark = b.len;

		err_clear(err);
		buf_printf(&b, "p%zu %s ", i, r->condstore ? "STATUS" : "EXAMINE");
		if (!m || put_quoted(&b, m) < 0) {
			b.len = mark;
			free(m);
			continue;
		}
		w[i].m = m;
		if (r->condstore) {
			buf_printf(&b, " (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)\r\n");
			continue;
		}
		buf_printf(&b, "\r\n");
		for (j = 0; r->esearch && j < PEEK_SETS; j++)
			buf_printf(&b, "q%zu.%zu UID SEARCH RETURN (ALL) %s\r\n", i, j, search_keys[j]);
		if (!r->esearch)
			buf_printf(&b, "q%zu UID FETCH 1:* (FLAGS)\r\n", i);
	}
	imap_expect(r->src, PEEK_EXPECT);
	if (b.len && (mailstream_write(r->imap->imap_stream, b.data, b.len) != (ssize_t)b.len ||
		      mailstream_flush(r->imap->imap_stream) < 0))
		rc = imap_fail(r->src, MAILIMAP_ERROR_STREAM, "STATUS", err);
	else if (b.len)
		rc = peek_read(r, w, n, buf, err);
	imap_expect(r->src, 0);
	buf_release(&b);
	return rc;
}

/* The hierarchy delimiter before the folders are listed (the peek comes
 * first): LIST "" "" names only the delimiter.  Unknown, names with '/'
 * go out as they are and the server says NO. */
static void learn_delim(struct sync_remote *r)
{
	clist *list = NULL;

	if (mailimap_list(r->imap, "", "", &list) != MAILIMAP_NO_ERROR)
		return;
	if (clist_begin(list)) {
		struct mailimap_mailbox_list *mb = clist_content(clist_begin(list));

		r->delim = mb->mb_delimiter;
	}
	mailimap_list_result_free(list);
}

static int rpeek(struct sync_remote *r, char *const *names, size_t n, struct syncstamp_remote *out,
		 struct err *err)
{
	MMAPString *buf = mmap_string_new("");
	struct peek_one *w = xcalloc(PEEK_WINDOW, sizeof(*w));
	size_t i, k, j;
	int rc = 0;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n && !r->delim; i++)
		if (strchr(names[i], '/'))
			learn_delim(r);
	for (i = 0; i < n && rc == 0; i += k) {
		k = n - i < PEEK_WINDOW ? n - i : PEEK_WINDOW;
		memset(w, 0, PEEK_WINDOW * sizeof(*w));
		for (j = 0; j < k; j++) {
			w[j].o = &out[i + j];
			syncstamp_digest_init(&w[j].d);
		}
		rc = peek_window(r, names + i, w, k, buf, err);
		for (j = 0; j < k; j++) {
			size_t s;

			if (!w[j].m || w[j].bad || (!r->condstore && !out[i + j].digest[0]))
				memset(&out[i + j], 0, sizeof(out[i + j]));
			free(w[j].m);
			for (s = 0; s < PEEK_SETS; s++)
				free(w[j].set[s]);
		}
	}
	free(w);
	mmap_string_free(buf);
	return rc;
}

const struct sync_remote_ops syncimap_ops = {
	.open = ropen,
	.folders = rfolders,
	.create = rcreate,
	.select = rselect,
	.list = rlist,
	.fetch = rfetch,
	.store = rstore,
	.expunge = rexpunge,
	.append = rappend,
	.heads = rheads,
	.move = rmove,
	.peek = rpeek,
	.close = rclose,
};
