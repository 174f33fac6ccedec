#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "log.h"
#include "mutf7.h"
#include "pwcmd.h"
#include "tls.h"
#include "xalloc.h"

/* Commands carry UID sets; keep each line well under the 8 KiB some
 * servers accept, whatever the gaps between UIDs. */
#define SET_MAX_ITEMS 500
/* One UID FETCH of bodies asks for at most this much; libetpan holds the
 * whole reply in memory. */
#define CHUNK_MSGS 64
#define CHUNK_BYTES (4u * 1024 * 1024)

struct source {
	const struct source_conf *conf;
	mailimap *imap;
	struct tls_policy *tls;
	struct source_guard guard;
};

/* Every byte on the stream goes past the guard (source.h). */
static void guard_log(mailimap *imap, int type, const char *str, size_t size, void *ctx)
{
	struct source *s = ctx;

	source_guard_log(&s->guard, imap->imap_stream, type, str, size);
}

/* Fill err from libetpan's result r of the command what. */
static int fail(struct source *s, int r, const char *what, struct err *err)
{
	const char *atom = NULL;
	char code[64];
	enum source_failure kind;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		kind = SOURCE_FAIL_CONNECTION;
		break;
	case MAILIMAP_ERROR_LOGIN:
	case MAILIMAP_ERROR_SASL:
		kind = SOURCE_FAIL_LOGIN;
		break;
	case MAILIMAP_ERROR_MEMORY:
		kind = SOURCE_FAIL_MEMORY;
		break;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
		kind = SOURCE_FAIL_PARSE;
		break;
	default:
		kind = SOURCE_FAIL_REFUSED;
		break;
	}
	/* libetpan keeps an unknown response code's atom apart from the
	 * text. */
	if (s->imap && s->imap->imap_response_info)
		atom = s->imap->imap_response_info->rsp_atom;
	if (atom)
		snprintf(code, sizeof(code), "[%s]", atom);
	return source_fail(s->conf, &s->guard, kind, what, atom ? code : NULL,
			   s->imap ? s->imap->imap_response : NULL, err);
}

static int verify(struct source *s, struct err *err)
{
	return source_verify(s->tls, s->conf, s->imap->imap_stream, err);
}

static int capability(struct source *s, struct err *err)
{
	struct mailimap_capability_data *cap = NULL;
	int r = mailimap_capability(s->imap, &cap);

	if (r != MAILIMAP_NO_ERROR)
		return fail(s, r, "CAPABILITY", err);
	mailimap_capability_data_free(cap);
	return 0;
}

static int login(struct source *s, struct err *err)
{
	const struct source_conf *c = s->conf;
	enum source_auth how = c->auth;
	char *secret;
	int r;

	if (how == SOURCE_AUTH_AUTO)
		how = mailimap_has_extension(s->imap, "LOGINDISABLED") &&
				      mailimap_has_authentication(s->imap, "PLAIN")
			      ? SOURCE_AUTH_PLAIN
			      : SOURCE_AUTH_LOGIN;
	if (how == SOURCE_AUTH_LOGIN && mailimap_has_extension(s->imap, "LOGINDISABLED"))
		return err_set(err, EX_NOPERM, "%s: server refuses LOGIN (LOGINDISABLED)%s", c->host,
			       c->tls == SOURCE_TLS_OFF ? "; use TLS" : "");
	if (how == SOURCE_AUTH_XOAUTH2 && !mailimap_has_authentication(s->imap, "XOAUTH2"))
		return err_set(err, EX_NOPERM, "%s: server does not offer AUTH=XOAUTH2", c->host);
	if (how == SOURCE_AUTH_OAUTH2) {
		if (source_oauth2_login(c, s->imap->imap_stream, 1,
					mailimap_has_authentication(s->imap, "OAUTHBEARER"),
					mailimap_has_authentication(s->imap, "XOAUTH2"), &s->guard,
					err) < 0)
			return -1;
		/* The exchange went past libetpan, which must now take
		 * commands of the authenticated state. */
		s->imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		return 0;
	}
	if (how == SOURCE_AUTH_PLAIN && !mailimap_has_authentication(s->imap, "PLAIN"))
		return err_set(err, EX_NOPERM, "%s: server does not offer AUTH=PLAIN", c->host);
	if (!c->user)
		return err_set(err, EX_CONFIG, "%s: no user to log in as", c->host);
	if (source_secret(c, &secret, err) < 0)
		return -1;
	switch (how) {
	case SOURCE_AUTH_XOAUTH2:
		r = mailimap_oauth2_authenticate(s->imap, c->user, secret);
		break;
	case SOURCE_AUTH_PLAIN:
		r = mailimap_authenticate(s->imap, "PLAIN", c->host, NULL, NULL, c->user, c->user,
					  secret, NULL);
		break;
	default:
		r = mailimap_login(s->imap, c->user, secret);
		break;
	}
	pwcmd_free(secret);
	secret = NULL;
	if (r != MAILIMAP_NO_ERROR) {
		/* A NO to LOGIN/AUTHENTICATE is a refusal; anything else is
		 * the connection's fault. */
		if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_CONNECTION_REFUSED)
			return fail(s, r, "login", err);
		return fail(s, MAILIMAP_ERROR_LOGIN, "login", err);
	}
	log_debug("%s: logged in as '%s'", c->host, c->user);
	return 0;
}

static void imap_free(struct source *s)
{
	if (!s)
		return;
	if (s->imap)
		mailimap_free(s->imap);
	tls_policy_free(s->tls);
	free(s);
}

static int imap_open(const struct source_conf *c, struct source **out, struct err *err)
{
	struct source *s = xcalloc(1, sizeof(*s));
	int r;

	s->conf = c;
	if (c->tls != SOURCE_TLS_OFF) {
		s->tls = tls_policy_new(c->tls_ca_file, c->tls_fingerprint, err);
		if (!s->tls)
			goto fail;
	}
	s->imap = mailimap_new(0, NULL);
	if (!s->imap) {
		err_set(err, EX_OSERR, "out of memory");
		goto fail;
	}
	mailimap_set_timeout(s->imap, c->timeout);
	source_guard_init(&s->guard, c->timeout);
	mailimap_set_logger(s->imap, guard_log, s);
	if (c->tls == SOURCE_TLS_IMPLICIT)
		r = mailimap_ssl_connect_with_callback(s->imap, c->host, (uint16_t)c->port, source_sni,
						       (void *)c->host);
	else
		r = mailimap_socket_connect(s->imap, c->host, (uint16_t)c->port);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		fail(s, r == MAILIMAP_ERROR_PARSE ? r : MAILIMAP_ERROR_CONNECTION_REFUSED,
		     "connect", err);
		err_prefix(err, "port %u", c->port);
		goto fail;
	}
	source_stream_eof_is_error(s->imap->imap_stream);
	if (c->tls == SOURCE_TLS_IMPLICIT && verify(s, err) < 0)
		goto fail;
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED && c->tls != SOURCE_TLS_STARTTLS) {
		*out = s;
		return 0;
	}
	if (capability(s, err) < 0)
		goto fail;
	if (c->tls == SOURCE_TLS_STARTTLS) {
		if (!mailimap_has_extension(s->imap, "STARTTLS")) {
			err_set(err, EX_UNAVAILABLE,
				"%s: server offers no STARTTLS (use imaps://, or tls = off to allow plain text)",
				c->host);
			goto fail;
		}
		r = mailimap_socket_starttls_with_callback(s->imap, source_sni, (void *)c->host);
		if (r != MAILIMAP_NO_ERROR) {
			fail(s, r, "STARTTLS", err);
			goto fail;
		}
		source_stream_eof_is_error(s->imap->imap_stream);
		if (verify(s, err) < 0)
			goto fail;
		/* RFC 3501 6.2.1: capabilities from before TLS are void. */
		if (capability(s, err) < 0)
			goto fail;
	}
	if (login(s, err) < 0 || capability(s, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	imap_free(s);
	return -1;
}

static int has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

static int noselect(const struct mailimap_mailbox_list *mb)
{
	clistiter *it;

	if (!mb->mb_flag)
		return 0;
	if (mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
	    mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		return 1;
	for (it = clist_begin(mb->mb_flag->mbf_oflags); it; it = clist_next(it)) {
		struct mailimap_mbx_list_oflag *o = clist_content(it);

		if (o->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT && o->of_flag_ext &&
		    (strcasecmp(o->of_flag_ext, "NonExistent") == 0 ||
		     strcasecmp(o->of_flag_ext, "Noselect") == 0))
			return 1;
	}
	return 0;
}

/* The folder names the server lists, in UTF-8, that match any of pat. */
static int list_matching(struct source *s, const char *const *pat, size_t npat, char ***names_out,
			 size_t *n_out, struct err *err)
{
	char **names;
	size_t i, n = 0;
	clist *list = NULL;
	clistiter *it;
	int r;

	r = mailimap_list(s->imap, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR)
		return fail(s, r, "LIST", err);
	names = xcalloc((size_t)clist_count(list) + 1, sizeof(*names));
	for (it = clist_begin(list); it; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);
		char *name;

		if (noselect(mb))
			continue;
		name = mutf7_decode(mb->mb_name);
		if (!name) {
			char shown[80];

			source_reply(mb->mb_name, shown, sizeof(shown));
			log_warnx("%s: folder '%s' skipped: not a valid modified UTF-7 name",
				  s->conf->host, shown);
			continue;
		}
		for (i = 0; i < npat; i++)
			if (fnmatch(pat[i], name, 0) == 0 ||
			    (strcasecmp(name, "INBOX") == 0 && fnmatch(pat[i], "INBOX", 0) == 0))
				break;
		if (i < npat)
			names[n++] = name;
		else
			free(name);
	}
	mailimap_list_result_free(list);
	*names_out = names;
	*n_out = n;
	return 0;
}

static int imap_folders(struct source *s, const char *const *pat, size_t npat, char ***names_out,
			size_t *n_out, struct err *err)
{
	char **names;
	size_t i;
	int globs = 0;

	for (i = 0; i < npat; i++)
		globs |= has_glob(pat[i]);
	if (globs)
		return list_matching(s, pat, npat, names_out, n_out, err);
	/* Plain names need no LIST; SELECT will say if one is missing. */
	names = xcalloc(npat ? npat : 1, sizeof(*names));
	for (i = 0; i < npat; i++)
		names[i] = xstrdup(pat[i]);
	*names_out = names;
	*n_out = npat;
	return 0;
}

/* The server's spelling of the UTF-8 folder name (RFC 3501 5.1.3); caller
 * frees.  NULL, with err set, for a name that is not UTF-8. */
static char *server_name(struct source *s, const char *folder, struct err *err)
{
	char *m = mutf7_encode(folder);

	if (!m)
		err_set(err, EX_DATAERR, "%s: folder name '%s' is not valid UTF-8", s->conf->host,
			folder);
	return m;
}

static int imap_select(struct source *s, const char *folder, int writable, uint32_t *uidvalidity_out,
		       struct err *err)
{
	char *m = server_name(s, folder, err);
	int r;

	if (!m)
		return -1;
	r = writable ? mailimap_select(s->imap, m) : mailimap_examine(s->imap, m);
	free(m);
	if (r != MAILIMAP_NO_ERROR) {
		fail(s, r, writable ? "SELECT" : "EXAMINE", err);
		err_prefix(err, "folder '%s'", folder);
		return -1;
	}
	if (!s->imap->imap_selection_info || !s->imap->imap_selection_info->sel_uidvalidity)
		return err_set(err, EX_PROTOCOL, "%s: folder '%s' has no UIDVALIDITY", s->conf->host,
			       folder);
	*uidvalidity_out = s->imap->imap_selection_info->sel_uidvalidity;
	return 0;
}

/* A fetch type of UID plus what add() puts in. */
static struct mailimap_fetch_type *fetch_type(void)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	return ft;
}

/* UID FETCH ft of set, the reply allowed expect bytes beyond the guard's
 * limits (source.h); frees set and ft.  *res_out is the caller's to free
 * with mailimap_fetch_list_free(). */
static int uid_fetch(struct source *s, struct mailimap_set *set, struct mailimap_fetch_type *ft,
		     size_t expect, clist **res_out, struct err *err)
{
	int r;

	*res_out = NULL;
	s->guard.expect = expect;
	r = mailimap_uid_fetch(s->imap, set, ft, res_out);
	s->guard.expect = 0;
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	return r == MAILIMAP_NO_ERROR ? 0 : fail(s, r, "UID FETCH", err);
}

static int cmp_item(const void *a, const void *b)
{
	const struct source_item *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* What one FETCH response says about a message. */
struct att {
	uint32_t uid;
	uint32_t size;
	int has_size;
	char flags[8];
	const char *body;
	size_t body_len;
};

void imap_flag_add(char flags[8], char c)
{
	size_t n = strlen(flags), i;

	if (strchr(flags, c) || n + 1 >= 8)
		return;
	/* Keep ASCII order, as the Maildir spec asks. */
	for (i = n; i > 0 && flags[i - 1] > c; i--)
		flags[i] = flags[i - 1];
	flags[i] = c;
	flags[n + 1] = '\0';
}

static void read_att(const struct mailimap_msg_att *ma, struct att *a)
{
	clistiter *it, *f;

	memset(a, 0, sizeof(*a));
	for (it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			if (!item->att_data.att_dyn->att_list)
				continue;
			for (f = clist_begin(item->att_data.att_dyn->att_list); f; f = clist_next(f)) {
				struct mailimap_flag_fetch *ff = clist_content(f);

				if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER || !ff->fl_flag)
					continue;
				switch (ff->fl_flag->fl_type) {
				case MAILIMAP_FLAG_SEEN: imap_flag_add(a->flags, 'S'); break;
				case MAILIMAP_FLAG_FLAGGED: imap_flag_add(a->flags, 'F'); break;
				case MAILIMAP_FLAG_ANSWERED: imap_flag_add(a->flags, 'R'); break;
				case MAILIMAP_FLAG_DRAFT: imap_flag_add(a->flags, 'D'); break;
				default: break;
				}
			}
		} else if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC) {
			struct mailimap_msg_att_static *st = item->att_data.att_static;

			switch (st->att_type) {
			case MAILIMAP_MSG_ATT_UID:
				a->uid = st->att_data.att_uid;
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				a->size = st->att_data.att_rfc822_size;
				a->has_size = 1;
				break;
			case MAILIMAP_MSG_ATT_BODY_SECTION:
				if (st->att_data.att_body_section) {
					a->body = st->att_data.att_body_section->sec_body_part;
					a->body_len = st->att_data.att_body_section->sec_length;
				}
				break;
			default:
				break;
			}
		}
	}
}

/* Messages a folder listing is allowed to name beyond the guard's own
 * limits. */
#define LISTING_MAX 1000000u

static int imap_items(struct source *s, uint32_t after, struct source_item **items_out, size_t *n_out,
		      struct err *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct source_item *items = NULL;
	clist *res = NULL;
	clistiter *it;
	size_t n = 0;
	uint32_t exists;
	int sorted = 1;

	*items_out = NULL;
	*n_out = 0;
	if (!s->imap->imap_selection_info || !s->imap->imap_selection_info->sel_exists ||
	    after == UINT32_MAX)
		return 0;
	ft = fetch_type();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	/* after+1:* also matches the highest UID when it is <= after
	 * (RFC 3501 6.4.8), hence the filter below. */
	set = mailimap_set_new_interval(after + 1, 0);
	/* One line of about 50 bytes per message the folder holds: a
	 * folder of more than the guard's 100000 lines is a big folder, not
	 * a flood (counted up to a million messages). */
	exists = s->imap->imap_selection_info->sel_exists;
	if (uid_fetch(s, set, ft, (size_t)(exists < LISTING_MAX ? exists : LISTING_MAX) * 64, &res,
		      err) < 0)
		return -1;
	items = xcalloc((size_t)clist_count(res) + 1, sizeof(*items));
	for (it = clist_begin(res); it; it = clist_next(it)) {
		struct att a;

		read_att(clist_content(it), &a);
		if (a.uid <= after)
			continue;
		if (n && a.uid <= items[n - 1].uid)
			sorted = 0;
		items[n].uid = a.uid;
		items[n].size = a.size;
		n++;
	}
	mailimap_fetch_list_free(res);
	if (!sorted)
		qsort(items, n, sizeof(*items), cmp_item);
	*items_out = items;
	*n_out = n;
	return 0;
}

/* A UID set for items[0..n) (ascending), ranges merged. */
static struct mailimap_set *uid_set(const struct source_item *items, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0;

	while (i < n) {
		uint32_t first = items[i].uid, last = first;

		for (i++; i < n && items[i].uid == last + 1; i++)
			last = items[i].uid;
		mailimap_set_add_interval(set, first, last);
	}
	return set;
}

/* Number of items, from i, that go into one command. */
static size_t chunk(size_t n, size_t i)
{
	return n - i < SET_MAX_ITEMS ? n - i : SET_MAX_ITEMS;
}

static struct source_item *find_item(const struct source_item *items, size_t n, uint32_t uid)
{
	struct source_item key = { 0 };

	key.uid = uid;
	return bsearch(&key, items, n, sizeof(*items), cmp_item);
}

static int imap_ids(struct source *s, struct source_item *items, size_t n, struct err *err)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		struct mailimap_fetch_type *ft = fetch_type();
		clist *hdrs = clist_new(), *res = NULL;
		clistiter *it;

		k = chunk(n, i);
		clist_append(hdrs, xstrdup("Message-ID"));
		mailimap_fetch_type_new_fetch_att_list_add(ft,
			mailimap_fetch_att_new_body_peek_section(
				mailimap_section_new_header_fields(mailimap_header_list_new(hdrs))));
		if (uid_fetch(s, uid_set(items + i, k), ft, 0, &res, err) < 0)
			return -1;
		for (it = clist_begin(res); it; it = clist_next(it)) {
			struct source_item *item;
			struct att a;

			read_att(clist_content(it), &a);
			item = find_item(items + i, k, a.uid);
			if (!item || !a.body)
				continue;
			free(item->message_id);
			item->message_id = source_message_id(a.body, a.body_len);
		}
		mailimap_fetch_list_free(res);
	}
	return 0;
}

static int imap_fetch(struct source *s, const struct source_item *items, size_t n, source_msg_fn *fn,
		      void *ctx, struct err *err)
{
	size_t i, k, bytes;

	for (i = 0; i < n; i += k) {
		struct mailimap_fetch_type *ft = fetch_type();
		clist *res = NULL;
		clistiter *it;
		int rc = 0;

		for (k = 0, bytes = 0; i + k < n && k < CHUNK_MSGS; k++) {
			if (k && bytes + items[i + k].size > CHUNK_BYTES)
				break;
			bytes += items[i + k].size;
		}
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
			mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
		/* The bodies may make the reply longer than the guard's
		 * default; add the sizes the server announced (and a bit per
		 * message for the FETCH framing). */
		if (uid_fetch(s, uid_set(items + i, k), ft, bytes + k * 256, &res, err) < 0)
			return -1;
		/* Servers answer in sequence order, which is UID order; a UID
		 * that is missing was expunged meanwhile and is simply gone. */
		for (it = clist_begin(res); it && rc == 0; it = clist_next(it)) {
			struct source_msg m;
			struct att a;

			read_att(clist_content(it), &a);
			m.item = find_item(items + i, k, a.uid);
			if (!m.item)
				continue;
			/* Flags only (another client changed them meanwhile):
			 * the body comes in a response of its own, or the
			 * message counts as not sent (fetch.h). */
			if (!a.body)
				continue;
			m.data = a.body;
			m.len = a.body_len;
			memcpy(m.flags, a.flags, sizeof(m.flags));
			rc = fn(&m, ctx, err);
		}
		mailimap_fetch_list_free(res);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int delete_expunge(struct source *s, struct mailimap_set *set, struct err *err)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sf;
	int r;

	mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(s->imap, set, sf);
	mailimap_store_att_flags_free(sf);
	if (r != MAILIMAP_NO_ERROR)
		return fail(s, r, "UID STORE", err);
	/* Plain EXPUNGE also removes what others marked \Deleted; UIDPLUS
	 * lets us touch only our own messages. */
	if (mailimap_has_uidplus(s->imap))
		r = mailimap_uid_expunge(s->imap, set);
	else
		r = mailimap_expunge(s->imap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(s, r, "EXPUNGE", err);
	return 0;
}

static int imap_remove(struct source *s, const struct source_item *items, size_t n, struct err *err)
{
	const char *to = s->conf->move_to;
	char *mto = NULL;
	size_t i, k;
	int rc = 0;

	if (to && !(mto = server_name(s, to, err)))
		return -1;
	for (i = 0; i < n && rc == 0; i += k) {
		struct mailimap_set *set;
		int r = MAILIMAP_NO_ERROR;

		k = chunk(n, i);
		set = uid_set(items + i, k);
		if (to && mailimap_has_extension(s->imap, "MOVE")) {
			r = mailimap_uid_move(s->imap, set, mto);
			rc = r == MAILIMAP_NO_ERROR ? 0 : fail(s, r, "UID MOVE", err);
		} else {
			if (to)
				r = mailimap_uid_copy(s->imap, set, mto);
			rc = r == MAILIMAP_NO_ERROR ? delete_expunge(s, set, err)
						    : fail(s, r, "UID COPY", err);
		}
		mailimap_set_free(set);
	}
	free(mto);
	if (rc < 0 && to)
		err_prefix(err, "moving to '%s'", to);
	return rc;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether an untagged line received during IDLE announces new mail:
 * "* N EXISTS" or "* N RECENT" (RFC 3501 7.3.1, 7.3.2), or a change in
 * another folder, "* STATUS", which a server sends only to a client that
 * asked with NOTIFY (RFC 5465; spool/watchall.c). */
static int announces_mail(const char *line)
{
	const char *p = line;

	if (p[0] != '*' || p[1] != ' ')
		return 0;
	p += 2;
	if (strncasecmp(p, "STATUS ", 7) == 0)
		return 1;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return strncasecmp(p, " EXISTS", 7) == 0 || strncasecmp(p, " RECENT", 7) == 0;
}

/* The tag of IDLE, sent by hand (idle_line()). */
#define IDLE_TAG "SW1"

/* Read one line of the IDLE exchange: 1 for the tagged reply to IDLE
 * (OK, else err set and -1), 2 for the continuation, 0 for an untagged
 * one (*news set when it announces mail), -1 when the stream failed or
 * the server said BYE. */
static int idle_line(struct source *s, int *news, struct err *err)
{
	char *line = mailimap_read_line(s->imap);
	char reply[160];

	if (!line)
		return fail(s, MAILIMAP_ERROR_STREAM, "IDLE", err);
	if (strncasecmp(line, "* BYE", 5) == 0) {
		source_reply(line + 5, reply, sizeof(reply));
		return err_set(err, EX_TEMPFAIL, "%s: server closed the connection%s%s",
			       s->conf->host, *reply ? ": " : "", reply);
	}
	if (line[0] == '+')
		return 2;
	if (strncmp(line, IDLE_TAG " ", sizeof(IDLE_TAG)) == 0) {
		if (strncasecmp(line + sizeof(IDLE_TAG), "OK", 2) == 0)
			return 1;
		source_reply(line + sizeof(IDLE_TAG), reply, sizeof(reply));
		return err_set(err, EX_TEMPFAIL, "%s: IDLE: %s", s->conf->host, reply);
	}
	if (announces_mail(line)) {
		*news = 1;
	} else if (log_get_level() >= LOG_LVL_DEBUG) {
		source_reply(line, reply, sizeof(reply));
		log_debug("%s: during IDLE: %s", s->conf->host, reply);
	}
	return 0;
}

/* Send IDLE_TAG's line cmd and read up to what ends its part of the
 * exchange (want: 2 the continuation, 1 the tagged OK), taking note of
 * every untagged reply on the way.  By hand, because libetpan's
 * mailimap_idle() and mailimap_idle_done() read and drop what comes
 * before the continuation and the tagged reply, and a change report
 * (NOTIFY's "* STATUS", an EXISTS) lands there whenever the change
 * happens as IDLE or DONE is on its way. */
static int idle_step(struct source *s, const char *cmd, int want, int *news, struct err *err)
{
	struct _mailstream *st = s->imap->imap_stream;
	int n, r;

	if (mailstream_write(st, cmd, strlen(cmd)) < 0 || mailstream_flush(st) < 0)
		return fail(s, MAILIMAP_ERROR_STREAM, "IDLE", err);
	/* Bounded: a server that never answers is cut by the guard. */
	for (n = 0; n < 100000; n++) {
		r = idle_line(s, news, err);
		if (r < 0)
			return -1;
		if (r == want)
			return 0;
		if (r)
			return err_set(err, EX_TEMPFAIL, "%s: IDLE: unexpected reply", s->conf->host);
	}
	return err_set(err, EX_TEMPFAIL, "%s: IDLE: no end to the replies", s->conf->host);
}

static int imap_idle(struct source *s, int wakefd, long seconds, enum source_event *ev_out,
		     struct err *err)
{
	long deadline = now_ms() + seconds * 1000;
	int fd, r, news = 0;

	*ev_out = SOURCE_EV_UNSUPPORTED;
	if (!mailimap_has_idle(s->imap))
		return 0;
	source_guard_init(&s->guard, s->conf->timeout);
	if (idle_step(s, IDLE_TAG " IDLE\r\n", 2, &news, err) < 0)
		return -1;
	fd = mailstream_low_get_fd(mailstream_get_low(s->imap->imap_stream));
	*ev_out = SOURCE_EV_TIMEOUT;
	while (!news) {
		struct pollfd p[2];
		long left = deadline - now_ms();
		int n;

		/* What the stream buffered already (the reply that came with
		 * the continuation) would never wake poll(). */
		if (s->imap->imap_stream->read_buffer_len == 0) {
			if (left <= 0)
				break;
			p[0].fd = fd;
			p[0].events = POLLIN;
			p[0].revents = 0;
			p[1].fd = wakefd;
			p[1].events = POLLIN;
			p[1].revents = 0;
			n = poll(p, wakefd >= 0 ? 2 : 1, left > 60000 ? 60000 : (int)left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return err_sys(err, EX_OSERR, "poll");
			if (wakefd >= 0 && (p[1].revents & POLLIN)) {
				*ev_out = SOURCE_EV_WAKE;
				break;
			}
			if (n == 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		/* A quiet IDLE is no slow server: the guard's window starts
		 * with the line that is here now. */
		source_guard_init(&s->guard, s->conf->timeout);
		r = idle_line(s, &news, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			/* The server ended IDLE itself: no DONE to send. */
			if (news)
				*ev_out = SOURCE_EV_NEW;
			return 0;
		}
	}
	/* DONE, then what comes up to the tagged OK: a report there (one
	 * that crossed the DONE) is no less new mail. */
	source_guard_init(&s->guard, s->conf->timeout);
	if (idle_step(s, "DONE\r\n", 1, &news, err) < 0)
		return -1;
	if (news)
		*ev_out = SOURCE_EV_NEW;
	return 0;
}

static int imap_close(struct source *s, struct err *err)
{
	(void)err;
	/* Nothing is pending on the server side, and servers often drop
	 * the connection right after BYE: a failed LOGOUT changes nothing. */
	if (mailimap_logout(s->imap) != MAILIMAP_NO_ERROR)
		log_debug("%s: LOGOUT failed", s->conf->host);
	return 0;
}

struct mailimap *imap_session(struct source *s)
{
	return s->imap;
}

int imap_fail(struct source *s, int r, const char *what, struct err *err)
{
	return fail(s, r, what, err);
}

void imap_expect(struct source *s, size_t expect)
{
	s->guard.expect = expect;
}

const struct source_ops imap_source_ops = {
	.name = "imap",
	.naming = SOURCE_NAMING_UID,
	.move_to = 1,
	.open = imap_open,
	.folders = imap_folders,
	.select = imap_select,
	.items = imap_items,
	.ids = imap_ids,
	.fetch = imap_fetch,
	.remove = imap_remove,
	.idle = imap_idle,
	.close = imap_close,
	.free = imap_free,
};
