#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "fetchstate.h"
#include "log.h"
#include "pop3.h"
#include "pwcmd.h"
#include "tls.h"
#include "xalloc.h"

/* Pipelined commands in flight at most (RFC 2449 PIPELINING). */
#define WINDOW 64

struct source {
	const struct source_conf *conf;
	mailpop3 *pop;
	struct tls_policy *tls;
	int pipelining;
	MMAPString *line;  /* our reader's line buffer */
	struct buf msg;    /* the message being read */
	struct source_guard guard;
};

/* Every byte on the stream goes past the guard (source.h). */
static void guard_log(mailpop3 *pop, int type, const char *str, size_t size, void *ctx)
{
	struct source *s = ctx;

	source_guard_log(&s->guard, pop->pop3_stream, type, str, size);
}

/* Fill err from libetpan's result r of the command what. */
static int fail(struct source *s, int r, const char *what, struct err *err)
{
	enum source_failure kind;

	switch (r) {
	case MAILPOP3_ERROR_STREAM:
	case MAILPOP3_ERROR_CONNECTION_REFUSED:
	case MAILPOP3_ERROR_SSL:
		kind = SOURCE_FAIL_CONNECTION;
		break;
	case MAILPOP3_ERROR_BAD_USER:
	case MAILPOP3_ERROR_BAD_PASSWORD:
	case MAILPOP3_ERROR_DENIED:
		kind = SOURCE_FAIL_LOGIN;
		break;
	case MAILPOP3_ERROR_MEMORY:
		kind = SOURCE_FAIL_MEMORY;
		break;
	default:
		kind = SOURCE_FAIL_REFUSED;
		break;
	}
	return source_fail(s->conf, &s->guard, kind, what, NULL,
			   s->pop ? s->pop->pop3_response : NULL, err);
}

static int verify(struct source *s, struct err *err)
{
	return source_verify(s->tls, s->conf, s->pop->pop3_stream, err);
}

/* The server's CAPA list (RFC 2449); NULL when it has no CAPA. */
static clist *capa(struct source *s)
{
	clist *caps = NULL;

	if (mailpop3_capa(s->pop, &caps) != MAILPOP3_NO_ERROR)
		return NULL;
	return caps;
}

static int has_capa(clist *caps, const char *name)
{
	clistiter *it;

	for (it = caps ? clist_begin(caps) : NULL; it; it = clist_next(it)) {
		struct mailpop3_capa *c = clist_content(it);

		if (c->cap_name && strcasecmp(c->cap_name, name) == 0)
			return 1;
	}
	return 0;
}

/* Whether the CAPA reply lists mech under SASL (RFC 2449 6.3). */
static int has_sasl(clist *caps, const char *mech)
{
	clistiter *it, *p;
	const char *m;

	for (it = caps ? clist_begin(caps) : NULL; it; it = clist_next(it)) {
		struct mailpop3_capa *c = clist_content(it);

		if (!c->cap_name || strcasecmp(c->cap_name, "SASL") != 0 || !c->cap_param)
			continue;
		for (p = clist_begin(c->cap_param); p; p = clist_next(p)) {
			m = clist_content(p);
			if (m && strcasecmp(m, mech) == 0)
				return 1;
		}
	}
	return 0;
}

/* libetpan's POP3_STATE_TRANSACTION, which its headers do not export: the
 * state its commands (LIST, RETR, ...) insist on. */
#define ETPAN_POP3_TRANSACTION 2

static int oauth2_login(struct source *s, struct err *err)
{
	clist *caps = capa(s);
	int bearer = has_sasl(caps, "OAUTHBEARER"), xoauth2 = has_sasl(caps, "XOAUTH2");

	if (caps)
		mailpop3_capa_resp_free(caps);
	if (source_oauth2_login(s->conf, s->pop->pop3_stream, 0, bearer, xoauth2, &s->guard,
				err) < 0)
		return -1;
	s->pop->pop3_state = ETPAN_POP3_TRANSACTION;
	return 0;
}

static int login(struct source *s, struct err *err)
{
	const struct source_conf *c = s->conf;
	char *secret;
	int r;

	if (c->auth == SOURCE_AUTH_OAUTH2)
		return oauth2_login(s, err);
	if (c->auth == SOURCE_AUTH_XOAUTH2)
		return err_set(err, EX_CONFIG, "%s: auth = xoauth2 is supported for IMAP only", c->host);
	if (!c->user)
		return err_set(err, EX_CONFIG, "%s: no user to log in as", c->host);
	if (source_secret(c, &secret, err) < 0)
		return -1;
	if (c->auth == SOURCE_AUTH_PLAIN) {
		r = mailpop3_auth(s->pop, "PLAIN", c->host, NULL, NULL, c->user, c->user, secret, NULL);
	} else {
		r = mailpop3_user(s->pop, c->user);
		if (r == MAILPOP3_NO_ERROR)
			r = mailpop3_pass(s->pop, secret);
		else if (r != MAILPOP3_ERROR_STREAM)
			r = MAILPOP3_ERROR_BAD_USER;
	}
	pwcmd_free(secret);
	secret = NULL;
	if (r != MAILPOP3_NO_ERROR)
		return fail(s, r == MAILPOP3_ERROR_STREAM ? r : MAILPOP3_ERROR_BAD_PASSWORD, "login",
			    err);
	log_debug("%s: logged in as '%s'", c->host, c->user);
	return 0;
}

static void pop3_free(struct source *s)
{
	if (!s)
		return;
	if (s->pop)
		mailpop3_free(s->pop);
	if (s->line)
		mmap_string_free(s->line);
	buf_release(&s->msg);
	tls_policy_free(s->tls);
	free(s);
}

static int pop3_open(const struct source_conf *c, struct source **out, struct err *err)
{
	struct source *s = xcalloc(1, sizeof(*s));
	clist *caps;
	int r;

	s->conf = c;
	buf_init(&s->msg);
	s->line = mmap_string_new("");
	if (c->tls != SOURCE_TLS_OFF) {
		s->tls = tls_policy_new(c->tls_ca_file, c->tls_fingerprint, err);
		if (!s->tls)
			goto fail;
	}
	s->pop = mailpop3_new(0, NULL);
	if (!s->pop || !s->line) {
		err_set(err, EX_OSERR, "out of memory");
		goto fail;
	}
	mailpop3_set_timeout(s->pop, c->timeout);
	source_guard_init(&s->guard, c->timeout);
	mailpop3_set_logger(s->pop, guard_log, s);
	if (c->tls == SOURCE_TLS_IMPLICIT)
		r = mailpop3_ssl_connect_with_callback(s->pop, c->host, (uint16_t)c->port, source_sni,
						       (void *)c->host);
	else
		r = mailpop3_socket_connect(s->pop, c->host, (uint16_t)c->port);
	if (r != MAILPOP3_NO_ERROR) {
		fail(s, MAILPOP3_ERROR_CONNECTION_REFUSED, "connect", err);
		err_prefix(err, "port %u", c->port);
		goto fail;
	}
	source_stream_eof_is_error(s->pop->pop3_stream);
	if (c->tls == SOURCE_TLS_IMPLICIT && verify(s, err) < 0)
		goto fail;
	if (c->tls == SOURCE_TLS_STARTTLS) {
		/* Some servers lack CAPA yet take STLS: try it either way. */
		r = mailpop3_socket_starttls_with_callback(s->pop, source_sni, (void *)c->host);
		if (r != MAILPOP3_NO_ERROR) {
			if (r == MAILPOP3_ERROR_STREAM || r == MAILPOP3_ERROR_SSL)
				fail(s, r, "STLS", err);
			else
				err_set(err, EX_UNAVAILABLE,
					"%s: server offers no STLS (use pop3s://, or tls = off to allow plain text)",
					c->host);
			goto fail;
		}
		source_stream_eof_is_error(s->pop->pop3_stream);
		if (verify(s, err) < 0)
			goto fail;
	}
	if (login(s, err) < 0)
		goto fail;
	caps = capa(s);
	s->pipelining = has_capa(caps, "PIPELINING");
	if (caps)
		mailpop3_capa_resp_free(caps);
	*out = s;
	return 0;
fail:
	pop3_free(s);
	return -1;
}

static int pop3_folders(struct source *s, const char *const *pat, size_t npat, char ***names_out,
			size_t *n_out, struct err *err)
{
	size_t i;

	(void)s;
	(void)err;
	*names_out = xcalloc(1, sizeof(**names_out));
	*n_out = 0;
	for (i = 0; i < npat; i++) {
		if (strcasecmp(pat[i], "INBOX") == 0 || fnmatch(pat[i], "INBOX", 0) == 0) {
			(*names_out)[0] = xstrdup("INBOX");
			*n_out = 1;
			break;
		}
	}
	return 0;
}

static int pop3_select(struct source *s, const char *folder, int writable, uint32_t *uidvalidity_out,
		       struct err *err)
{
	(void)writable;
	if (strcasecmp(folder, "INBOX") != 0)
		return err_set(err, EX_CONFIG, "%s: POP3 has no folder '%s', only INBOX", s->conf->host,
			       folder);
	*uidvalidity_out = 0;
	return 0;
}

/* Write the whole command buffer to the server in one go (no Nagle
 * stalls between pipelined commands). */
static int send_cmds(struct source *s, const struct buf *cmds, struct err *err)
{
	if (mailstream_write(s->pop->pop3_stream, cmds->data, cmds->len) != (ssize_t)cmds->len ||
	    mailstream_flush(s->pop->pop3_stream) < 0)
		return fail(s, MAILPOP3_ERROR_STREAM, "send", err);
	return 0;
}

/* Read one line (with its line end) into s->line. */
static int read_line(struct source *s, struct err *err)
{
	mmap_string_truncate(s->line, 0);
	if (!mailstream_read_line(s->pop->pop3_stream, s->line))
		return fail(s, MAILPOP3_ERROR_STREAM, "read", err);
	return 0;
}

/* Read a status line: 1 for +OK, 0 for -ERR (reply in pop3_response is
 * not updated: the text goes to err when it matters). */
static int read_status(struct source *s, struct err *err)
{
	if (read_line(s, err) < 0)
		return -1;
	if (strncmp(s->line->str, "+OK", 3) == 0)
		return 1;
	if (strncmp(s->line->str, "-ERR", 4) == 0)
		return 0;
	return err_set(err, EX_PROTOCOL, "%s: reply not understood", s->conf->host);
}

/* Read a multi-line body up to the "." line into s->msg, undoing the
 * dot-stuffing (RFC 1939 3). */
static int read_multiline(struct source *s, struct err *err)
{
	buf_reset(&s->msg);
	for (;;) {
		const char *l;
		size_t len;

		if (read_line(s, err) < 0)
			return -1;
		l = s->line->str;
		len = s->line->len;
		if (l[0] == '.') {
			if ((len == 3 && l[1] == '\r' && l[2] == '\n') || (len == 2 && l[1] == '\n'))
				return 0;
			l++;
			len--;
		}
		buf_append(&s->msg, l, len);
	}
}

static void reply_err(struct source *s, const char *what, unsigned n, struct err *err)
{
	char reply[160];

	source_reply(s->line->str, reply, sizeof(reply));
	err_set(err, EX_PROTOCOL, "%s: %s %u failed: %s", s->conf->host, what, n, reply);
}

static int cmp_twin(const void *a, const void *b)
{
	const struct source_item *const *x = a, *const *y = b;
	int c = strcmp((*x)->uidl, (*y)->uidl);

	return c ? c : (*x < *y ? -1 : *x > *y);
}

/* The same stand-in twice (a message delivered twice): the second and
 * later get "-2", "-3"... in maildrop order, which the server keeps. */
static void number_twins(struct source_item *items, size_t n)
{
	struct source_item **v = xcalloc(n + 1, sizeof(*v));
	size_t i, first = 0;
	char *u;

	for (i = 0; i < n; i++)
		v[i] = &items[i];
	qsort(v, n, sizeof(*v), cmp_twin);
	for (i = 1; i < n; i++) {
		/* v[first] keeps its name, so it stays the group's key. */
		if (strcmp(v[i]->uidl, v[first]->uidl) != 0) {
			first = i;
			continue;
		}
		u = xasprintf("%s-%zu", v[i]->uidl, i - first + 1);
		free(v[i]->uidl);
		v[i]->uidl = u;
	}
	free(v);
}

/* Fallback for servers without UIDL: TOP n 0 gives the header, and
 * Message-ID plus size names the message well enough. */
static int pseudo_uidls(struct source *s, struct source_item *items, size_t n, struct err *err)
{
	size_t i;

	log_info("%s: server has no UIDL; telling messages apart by Message-ID and size",
		 s->conf->host);
	for (i = 0; i < n; i++) {
		struct buf cmd = BUF_INIT, key = BUF_INIT;
		char *id;
		char dig[17];
		int ok;

		buf_printf(&cmd, "TOP %u 0\r\n", (unsigned)items[i].uid);
		ok = send_cmds(s, &cmd, err);
		buf_release(&cmd);
		if (ok < 0 || (ok = read_status(s, err)) < 0)
			return -1;
		if (!ok) {
			reply_err(s, "TOP", (unsigned)items[i].uid, err);
			return -1;
		}
		if (read_multiline(s, err) < 0)
			return -1;
		id = source_message_id(s->msg.data, s->msg.len);
		/* Without a Message-ID the whole header names the message. */
		if (id)
			buf_printf(&key, "%s %zu", id, items[i].size);
		else
			buf_printf(&key, "%zu ", items[i].size), buf_append(&key, s->msg.data, s->msg.len);
		source_digest(key.data, key.len, dig);
		items[i].uidl = xasprintf("mid-%s", dig);
		items[i].message_id = id;
		buf_release(&key);
	}
	number_twins(items, n);
	return 0;
}

/* The largest message size believed from LIST (1 TiB): anything above it
 * is a broken or hostile server, and sums of sizes must not overflow. */
#define SIZE_SANE ((unsigned long long)1 << 40)

static int cmp_uid(const void *a, const void *b)
{
	const struct source_item *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Send one command and read its multi-line answer into s->msg: 1, or 0
 * for -ERR. */
static int multiline_cmd(struct source *s, const char *cmd, struct err *err)
{
	struct buf b = BUF_INIT;
	int ok;

	buf_printf(&b, "%s\r\n", cmd);
	ok = send_cmds(s, &b, err);
	buf_release(&b);
	if (ok < 0 || (ok = read_status(s, err)) <= 0)
		return ok;
	return read_multiline(s, err) < 0 ? -1 : 1;
}

/* "N REST" at *p (up to the line end): N into *n_out, REST's start into
 * *rest_out, *p past the line.  0, or -1 for a line that is not one. */
static int listing_line(const char **p, const char *end, uint32_t *n_out, const char **rest_out,
			size_t *rest_len_out)
{
	const char *l = *p, *nl = memchr(l, '\n', (size_t)(end - l));
	const char *e = nl ? nl : end;
	unsigned long long n = 0;

	*p = nl ? nl + 1 : end;
	if (e > l && e[-1] == '\r')
		e--;
	if (l == e || *l < '1' || *l > '9')
		return -1;
	for (; l < e && *l >= '0' && *l <= '9'; l++) {
		n = n * 10 + (unsigned)(*l - '0');
		if (n > UINT32_MAX)
			return -1;
	}
	if (l == e || *l != ' ')
		return -1;
	while (l < e && *l == ' ')
		l++;
	*n_out = (uint32_t)n;
	*rest_out = l;
	*rest_len_out = (size_t)(e - l);
	return 0;
}

/* LIST and UIDL (RFC 1939 5, 7), read here rather than by libetpan's
 * mailpop3_list(): that sizes an array by the highest message number the
 * server names, and "4294967295" makes it loop forever. */
static int pop3_items(struct source *s, uint32_t after, struct source_item **items_out, size_t *n_out,
		      struct err *err)
{
	struct source_item *items = NULL;
	size_t n = 0, cap = 0, i;
	const char *p, *end, *rest;
	size_t rest_len;
	uint32_t num;
	int r, uidl = 1;

	(void)after;
	*items_out = NULL;
	*n_out = 0;
	r = multiline_cmd(s, "LIST", err);
	if (r < 0)
		return -1;
	if (r == 0) {
		reply_err(s, "LIST", 0, err);
		return -1;
	}
	for (p = s->msg.data, end = p + s->msg.len; p < end;) {
		unsigned long long size = 0;

		if (listing_line(&p, end, &num, &rest, &rest_len) < 0)
			goto bad_list;
		for (i = 0; i < rest_len && rest[i] >= '0' && rest[i] <= '9'; i++) {
			size = size * 10 + (unsigned)(rest[i] - '0');
			if (size > SIZE_SANE)
				goto bad_list;
		}
		if (i == 0)
			goto bad_list;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			items = xreallocarray(items, cap + 1, sizeof(*items));
		}
		memset(&items[n], 0, sizeof(items[n]));
		items[n].uid = num;
		items[n].size = (size_t)size;
		n++;
	}
	qsort(items, n, sizeof(*items), cmp_uid);
	for (i = 1; i < n; i++)
		if (items[i].uid == items[i - 1].uid)
			goto bad_list;
	if (n) {
		r = multiline_cmd(s, "UIDL", err);
		if (r < 0)
			goto fail;
		uidl = r;
	}
	for (p = s->msg.data, end = p + s->msg.len; uidl && n && p < end;) {
		struct source_item key = { 0 }, *it;
		char *u;

		if (listing_line(&p, end, &num, &rest, &rest_len) < 0) {
			err_set(err, EX_PROTOCOL, "%s: UIDL reply not understood", s->conf->host);
			goto fail;
		}
		key.uid = num;
		it = bsearch(&key, items, n, sizeof(*items), cmp_uid);
		if (!it || it->uidl)
			continue;
		u = xstrndup(rest, rest_len);
		if (fetchstate_uidl_valid(u)) {
			it->uidl = u;
		} else {
			/* RFC 1939 allows 70 printable characters; keep a
			 * stable stand-in for anything else. */
			char dig[17];

			source_digest(rest, rest_len, dig);
			it->uidl = xasprintf("bad-%s", dig);
			free(u);
		}
	}
	for (i = 0; uidl && i < n; i++)
		if (!items[i].uidl)
			uidl = 0;
	if (!uidl) {
		for (i = 0; i < n; i++) {
			free(items[i].uidl);
			items[i].uidl = NULL;
		}
		if (pseudo_uidls(s, items, n, err) < 0)
			goto fail;
	}
	*items_out = items ? items : xcalloc(1, sizeof(*items));
	*n_out = n;
	return 0;
bad_list:
	err_set(err, EX_PROTOCOL, "%s: LIST reply not understood", s->conf->host);
fail:
	source_items_free(items, n);
	return -1;
}

static int pop3_ids(struct source *s, struct source_item *items, size_t n, struct err *err)
{
	(void)s;
	(void)items;
	(void)n;
	(void)err;
	/* POP3 state is a UIDL set; a changed UIDVALIDITY cannot happen. */
	return 0;
}

/* Send "VERB n" for items[i..i+k) as one write. */
static int send_batch(struct source *s, const char *verb, const struct source_item *items, size_t k,
		      struct err *err)
{
	struct buf cmds = BUF_INIT;
	size_t j;
	int rc;

	for (j = 0; j < k; j++)
		buf_printf(&cmds, "%s %u\r\n", verb, (unsigned)items[j].uid);
	rc = send_cmds(s, &cmds, err);
	buf_release(&cmds);
	return rc;
}

static int pop3_fetch(struct source *s, const struct source_item *items, size_t n, source_msg_fn *fn,
		      void *ctx, struct err *err)
{
	size_t window = s->pipelining ? WINDOW : 1, sent = 0, got;

	for (got = 0; got < n; got++) {
		struct source_msg m;
		int ok;

		/* Top the window up when half of it has been read, so the
		 * server never runs dry while we write and fsync. */
		if (sent < n && sent - got <= window / 2) {
			size_t k = n - sent < window - (sent - got) ? n - sent : window - (sent - got);

			size_t j;

			/* Replies to the RETRs still in flight may all come
			 * before the next command: the guard allows their
			 * announced sizes (and a bit for the framing). */
			s->guard.expect = 0;
			for (j = got; j < sent + k; j++)
				s->guard.expect += items[j].size + 256;
			if (send_batch(s, "RETR", items + sent, k, err) < 0)
				return -1;
			sent += k;
		}
		ok = read_status(s, err);
		if (ok < 0)
			return -1;
		if (!ok) {
			/* The remaining replies are still on their way: the
			 * session cannot go on. */
			reply_err(s, "RETR", (unsigned)items[got].uid, err);
			return -1;
		}
		if (read_multiline(s, err) < 0)
			return -1;
		memset(&m, 0, sizeof(m));
		m.item = &items[got];
		m.data = s->msg.data;
		m.len = s->msg.len;
		if (fn(&m, ctx, err) < 0)
			return -1;
	}
	return 0;
}

static int pop3_remove(struct source *s, const struct source_item *items, size_t n, struct err *err)
{
	size_t i, j, k;

	for (i = 0; i < n; i += k) {
		k = s->pipelining ? (n - i < WINDOW ? n - i : WINDOW) : 1;
		if (send_batch(s, "DELE", items + i, k, err) < 0)
			return -1;
		for (j = 0; j < k; j++) {
			int ok = read_status(s, err);

			if (ok < 0)
				return -1;
			if (!ok) {
				reply_err(s, "DELE", (unsigned)items[i + j].uid, err);
				return -1;
			}
		}
	}
	return 0;
}

static int pop3_close(struct source *s, struct err *err)
{
	int r = mailpop3_quit(s->pop);

	/* QUIT is the commit point of every DELE (RFC 1939 6). */
	if (r != MAILPOP3_NO_ERROR)
		return fail(s, r == MAILPOP3_ERROR_STREAM ? r : MAILPOP3_ERROR_QUIT_FAILED, "QUIT", err);
	return 0;
}

const struct source_ops pop3_source_ops = {
	.name = "pop3",
	.naming = SOURCE_NAMING_UIDL,
	.move_to = 0,
	.open = pop3_open,
	.folders = pop3_folders,
	.select = pop3_select,
	.items = pop3_items,
	.ids = pop3_ids,
	.fetch = pop3_fetch,
	.remove = pop3_remove,
	.close = pop3_close,
	.free = pop3_free,
};
