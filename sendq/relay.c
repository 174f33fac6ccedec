#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "addr.h"
#include "buf.h"
#include "codec.h"
#include "log.h"
#include "oauth2.h"
#include "pwcmd.h"
#include "relay.h"
#include "tls.h"
#include "xalloc.h"

#define DEFAULT_TIMEOUT 120L
/* MIME nesting deeper than this is copied as it is by relay_to_7bit. */
#define MIME_MAX_DEPTH 16
/* The reply to the end of a message may take this many timeouts. */
#define DOT_WAIT_FACTOR 5
/* RCPT TO commands in one pipelined write at most. */
#define PIPE_GROUP 100
/* Seconds a server is given to answer QUIT. */
#define QUIT_WAIT 2
/* A server line longer than this ends the session (no reply is that long). */
#define LINE_MAX_BYTES (64 * 1024)
/* The lines of a reply to EHLO kept at most (a real one is under 1 KiB). */
#define EHLO_MAX_BYTES (64 * 1024)

/* The command whose reply comes next, as the protocol trace tells it. */
enum cmd { CMD_NONE, CMD_EHLO, CMD_STARTTLS, CMD_AUTH, CMD_MAIL, CMD_RCPT, CMD_DATA,
	   CMD_DOT, CMD_OTHER };

struct relay {
	CURL *curl;              /* NULL between sessions */
	curl_socket_t sock;      /* the session's socket once connected */
	int connected;
	char *url;
	char host[256];
	char *user;
	char *secret;            /* password or OAuth token; wiped on free */
	const char *pw_cmd;      /* borrowed from the account */
	const char *pw_plain;    /* likewise (the `password` key) */
	int xoauth2;             /* secret is a bearer token */
	struct oauth2 *oauth2;   /* auth = oauth2: tokens come from here */
	const char *login_opts;  /* CURLOPT_LOGIN_OPTIONS, or NULL */
	int ready;               /* credentials and pin are known */
	struct tls_policy *tls;
	char *pin;
	int use_ssl;             /* CURLUSESSL_* for smtp:// */
	long timeout;
	struct relay_stats stats;
	char errbuf[CURL_ERROR_SIZE];

	char *helo;              /* the name we give in EHLO */
	/* What the server announced in the reply to our own EHLO on the
	 * current connection (caps_parse()). */
	unsigned ext;            /* RELAY_EXT_* */
	unsigned long long size_max; /* SIZE's limit; 0: none given */
	struct buf ehlo;         /* lines of that reply, code cut off */
	int greeted;             /* the current connection's greeting was seen */
	/* libcurl's part of the session, for the log and the error text
	 * only: nothing is decided from it. */
	int curl_hide;           /* client lines carry credentials */
	char curl_reply[RELAY_REPLY_MAX + 1];
	int curl_code;
	int desync;              /* a reply came that no command asked for */
	int body_sent;           /* the message went out in this transaction */
	int saw_421;             /* the server said it is closing */

	/* Commands whose replies are still to come, oldest first (several
	 * with PIPELINING). */
	enum cmd *pend;
	size_t pend_head, pend_len, pend_cap;
	/* Server bytes read but not yet split into lines. */
	struct buf in;

	/* The transaction under way. */
	int hide_next;           /* the next client line answers a 334 */
	size_t rcpt_next;        /* RCPT TO commands sent so far */
	size_t nres;
	struct relay_rcpt *res;
	/* The recipients that go on the wire, as indexes into res, in the
	 * order of their RCPT TOs; the others were refused here. */
	size_t *map;
	size_t nmap, map_cap;
	int mail_sent;
	int mail_code, data_code, last_code;
	char mail_reply[RELAY_REPLY_MAX + 1];
	char data_reply[RELAY_REPLY_MAX + 1];
	char last_reply[RELAY_REPLY_MAX + 1];
	struct buf reply;        /* lines of the reply being read */

	/* The message as it goes on the wire. */
	struct buf wire;
	/* DSN requests for the next relay_send() (relay_set_dsn()). */
	char *dsn_envid, *dsn_ret, *dsn_notify;
	int dsn_on;
};

/* ---- body transformations ---------------------------------------------- */

void relay_wire(const char *body, size_t len, struct buf *out)
{
	const char *p = body, *end = body + len, *nl;

	buf_grow(out, len + len / 32 + 64);
	while (p < end) {
		/* RFC 5321 4.5.2: a line that starts with a dot gets another. */
		if (*p == '.')
			buf_putc(out, '.');
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			buf_append(out, p, (size_t)(end - p));
			buf_append(out, "\r\n", 2);
			break;
		}
		if (nl > p && nl[-1] == '\r') {
			buf_append(out, p, (size_t)(nl + 1 - p));
		} else {
			buf_append(out, p, (size_t)(nl - p));
			buf_append(out, "\r\n", 2);
		}
		p = nl + 1;
	}
	buf_append(out, ".\r\n", 3);
}

static int has_8bit(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

/* The end of the header block of the entity at p: the offset of the body,
 * and in *hdr_len_out the length of the header lines (without the empty
 * line).  An entity without an empty line is all header. */
static size_t header_end(const char *p, size_t len, size_t *hdr_len_out)
{
	const char *q;

	if (len > 0 && p[0] == '\n') {
		*hdr_len_out = 0;
		return 1;
	}
	q = p;
	while ((q = memchr(q, '\n', (size_t)(p + len - q))) != NULL) {
		if (q + 1 < p + len && q[1] == '\n') {
			*hdr_len_out = (size_t)(q + 1 - p);
			return (size_t)(q + 2 - p);
		}
		q++;
	}
	*hdr_len_out = len;
	return len;
}

/* The unfolded value of header name in the header block, or "" (into v). */
static void header_get(const char *h, size_t len, const char *name, struct buf *v)
{
	size_t nlen = strlen(name);
	const char *p = h, *end = h + len, *eol;

	buf_reset(v);
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			buf_append(v, p + nlen + 1, (size_t)(eol - p - (ptrdiff_t)nlen - 1));
			/* Continuation lines start with a blank. */
			while (eol < end && eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
				p = eol + 1;
				eol = memchr(p, '\n', (size_t)(end - p));
				if (!eol)
					eol = end;
				buf_append(v, p, (size_t)(eol - p));
			}
			return;
		}
		p = eol + 1;
	}
}

/* A Content-Type parameter, unquoted (into out); 0 when absent. */
static int ct_param(const char *ct, const char *name, struct buf *out)
{
	size_t nlen = strlen(name);
	const char *p = strchr(ct, ';'), *e;

	buf_reset(out);
	while (p) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			if (*p == '"') {
				e = strchr(++p, '"');
				buf_append(out, p, e ? (size_t)(e - p) : strlen(p));
			} else {
				e = p + strcspn(p, "; \t\r");
				buf_append(out, p, (size_t)(e - p));
			}
			return out->len > 0;
		}
		p = strchr(p, ';');
	}
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copy the header block without its Content-Transfer-Encoding fields
 * (continuation lines included). */
static void copy_headers_without_cte(const char *h, size_t len, struct buf *out)
{
	const char *p = h, *end = h + len, *eol;
	int skipping = 0;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol + 1 : end;
		if (*p == ' ' || *p == '\t') {
			if (!skipping)
				buf_append(out, p, (size_t)(eol - p));
		} else {
			skipping = (size_t)(eol - p) > 26 &&
				   strncasecmp(p, "Content-Transfer-Encoding:", 26) == 0;
			if (!skipping)
				buf_append(out, p, (size_t)(eol - p));
		}
		p = eol;
	}
}

/* Whether the line at p (up to eol) is the delimiter "--b" or "--b--",
 * trailing blanks allowed (RFC 2046 5.1.1).  *last_out: the close one. */
static int is_delim(const char *p, const char *eol, const char *b, size_t blen, int *last_out)
{
	const char *q;

	if ((size_t)(eol - p) < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, blen) != 0)
		return 0;
	q = p + 2 + blen;
	*last_out = 0;
	if (eol - q >= 2 && q[0] == '-' && q[1] == '-') {
		*last_out = 1;
		q += 2;
	}
	while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	return q == eol;
}

static int conv_entity(const char *p, size_t len, struct buf *out, int depth);

/* The body of a multipart entity: each part between delimiters converted,
 * delimiters, preamble and epilogue copied. */
static int conv_multipart(const char *p, size_t len, const char *b, struct buf *out, int depth)
{
	const char *end = p + len, *line = p, *eol, *part = NULL;
	size_t blen = strlen(b);
	int changed = 0, last = 0;

	while (line < end) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		if (is_delim(line, eol, b, blen, &last)) {
			/* The line end before a delimiter belongs to it. */
			if (part) {
				const char *pe = line > part && line[-1] == '\n' ? line - 1 : line;

				if (pe < part)
					pe = part;
				changed |= conv_entity(part, (size_t)(pe - part), out, depth + 1);
				buf_append(out, pe, (size_t)(line - pe));
			} else {
				buf_append(out, p, (size_t)(line - p));
			}
			buf_append(out, line, (size_t)(eol - line) + (eol < end));
			line = eol < end ? eol + 1 : end;
			part = line;
			if (last) {
				buf_append(out, line, (size_t)(end - line));
				return changed;
			}
			continue;
		}
		line = eol < end ? eol + 1 : end;
	}
	/* No closing delimiter: the last part runs to the end. */
	if (part)
		changed |= conv_entity(part, (size_t)(end - part), out, depth + 1);
	else
		buf_append(out, p, len);
	return changed;
}

/* Append the entity at p converted to 7 bits; returns whether it changed. */
static int conv_entity(const char *p, size_t len, struct buf *out, int depth)
{
	struct buf ct = BUF_INIT, cte = BUF_INIT, bnd = BUF_INIT;
	size_t hlen, boff = header_end(p, len, &hlen);
	const char *body = p + boff, *type;
	size_t blen = len - boff;
	int changed = 0;

	if (!has_8bit(body, blen) || depth > MIME_MAX_DEPTH) {
		buf_append(out, p, len);
		return 0;
	}
	header_get(p, hlen, "Content-Type", &ct);
	header_get(p, hlen, "Content-Transfer-Encoding", &cte);
	type = skip_ws(ct.data);
	if (strncasecmp(type, "multipart/", 10) == 0 && ct_param(type, "boundary", &bnd)) {
		buf_append(out, p, boff);
		changed = conv_multipart(body, blen, bnd.data, out, depth);
	} else if (strncasecmp(type, "message/rfc822", 14) == 0) {
		/* RFC 2046 5.2.1: no encoding other than 7bit/8bit/binary may
		 * wrap a message, so convert the message inside. */
		buf_append(out, p, boff);
		changed = conv_entity(body, blen, out, depth + 1);
	} else if (strncasecmp(skip_ws(cte.data), "base64", 6) == 0 ||
		   strncasecmp(skip_ws(cte.data), "quoted-printable", 16) == 0) {
		/* Already encoded: 8-bit bytes here are junk, not text. */
		buf_append(out, p, len);
	} else {
		copy_headers_without_cte(p, hlen, out);
		if (hlen > 0 && p[hlen - 1] != '\n')
			buf_putc(out, '\n');
		buf_puts(out, "Content-Transfer-Encoding: quoted-printable\n\n");
		codec_qp_encode(body, blen, out);
		changed = 1;
	}
	buf_release(&ct);
	buf_release(&cte);
	buf_release(&bnd);
	return changed;
}

int relay_to_7bit(const char *body, size_t len, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	int changed = conv_entity(body, len, &tmp, 0);

	if (changed)
		buf_append(out, tmp.data, tmp.len);
	buf_release(&tmp);
	return changed;
}

/* ---- the protocol trace --------------------------------------------------- */

static void set_reply(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n > RELAY_REPLY_MAX)
		n = RELAY_REPLY_MAX;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static enum cmd cmd_of(const char *s, size_t n)
{
	static const struct { const char *word; enum cmd cmd; } words[] = {
		{ "EHLO", CMD_EHLO }, { "HELO", CMD_EHLO }, { "STARTTLS", CMD_STARTTLS },
		{ "AUTH", CMD_AUTH }, { "MAIL", CMD_MAIL }, { "RCPT", CMD_RCPT },
		{ "DATA", CMD_DATA },
	};
	size_t i, wl;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		wl = strlen(words[i].word);
		if (n >= wl && strncasecmp(s, words[i].word, wl) == 0 &&
		    (n == wl || s[wl] == ' ' || s[wl] == '\r' || s[wl] == '\n'))
			return words[i].cmd;
	}
	return CMD_OTHER;
}

static void pend_push(struct relay *r, enum cmd c)
{
	if (r->pend_head > 0 && r->pend_head + r->pend_len == r->pend_cap) {
		memmove(r->pend, r->pend + r->pend_head, r->pend_len * sizeof(*r->pend));
		r->pend_head = 0;
	}
	if (r->pend_head + r->pend_len == r->pend_cap) {
		r->pend_cap = r->pend_cap ? 2 * r->pend_cap : 16;
		r->pend = xreallocarray(r->pend, r->pend_cap, sizeof(*r->pend));
	}
	r->pend[r->pend_head + r->pend_len++] = c;
}

/* The command the next reply answers; CMD_NONE when none was sent. */
static enum cmd pend_pop(struct relay *r)
{
	if (r->pend_len == 0)
		return CMD_NONE;
	r->pend_len--;
	return r->pend[r->pend_head++];
}

/* The reply after 354 answers the message, ahead of anything pipelined. */
static void pend_push_front(struct relay *r, enum cmd c)
{
	if (r->pend_head == 0) {
		pend_push(r, c);
		memmove(r->pend + 1, r->pend, (r->pend_len - 1) * sizeof(*r->pend));
		r->pend[0] = c;
		return;
	}
	r->pend[--r->pend_head] = c;
	r->pend_len++;
}

static void pend_clear(struct relay *r)
{
	r->pend_head = r->pend_len = 0;
}

/* One client line went out. */
static void trace_out(struct relay *r, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	enum cmd c = cmd_of(s, n);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;

	/* Never log credentials: an AUTH command carries them (AUTH PLAIN
	 * with an initial response), and so does every line answering a 334
	 * challenge. */
	if (c == CMD_AUTH || r->hide_next) {
		log_debug("%s > AUTH (hidden)", r->host);
		if (r->hide_next)
			c = CMD_AUTH;
	} else if (log_get_level() >= LOG_LVL_DEBUG) {
		codec_sanitize(s, n, 0, &b);
		log_debug("%s > %s", r->host, b.data);
	}
	r->hide_next = 0;
	pend_push(r, c);
	if (c == CMD_EHLO) {
		r->ext = 0;
		r->size_max = 0;
		buf_reset(&r->ehlo);
	}
	if (c == CMD_MAIL)
		r->mail_sent = 1;
	buf_release(&b);
}

/* The extensions used here, from the lines of a 250 reply to EHLO (one
 * keyword with its parameters per line, the first line being the
 * server's name). */
static void caps_parse(struct relay *r)
{
	static const struct { const char *kw; unsigned bit; } ext[] = {
		{ "8BITMIME", RELAY_EXT_8BITMIME }, { "PIPELINING", RELAY_EXT_PIPELINING },
		{ "SMTPUTF8", RELAY_EXT_SMTPUTF8 }, { "SIZE", RELAY_EXT_SIZE },
		{ "DSN", RELAY_EXT_DSN },
	};
	const char *p = r->ehlo.data, *end = r->ehlo.data + r->ehlo.len, *nl;
	size_t i, k, n;

	/* The first line names the server. */
	nl = memchr(p, '\n', (size_t)(end - p));
	p = nl ? nl + 1 : end;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		n = (size_t)(nl - p);
		for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			k = strlen(ext[i].kw);
			if (n >= k && strncasecmp(p, ext[i].kw, k) == 0 && (n == k || p[k] == ' '))
				r->ext |= ext[i].bit;
		}
		/* RFC 1870: "SIZE 10240000", the largest message taken; 0 or
		 * none means no fixed limit. */
		if (n > 5 && strncasecmp(p, "SIZE ", 5) == 0 && isdigit((unsigned char)p[5]))
			r->size_max = strtoull(p + 5, NULL, 10);
	}
}

/* A complete reply: code and one line of text (r->reply). */
static void reply_done(struct relay *r, int code)
{
	const char *text = r->reply.data;
	enum cmd cmd = pend_pop(r);
	size_t i;

	set_reply(r->last_reply, text);
	r->last_code = code;
	if (code == 421)
		r->saw_421 = 1;
	switch (cmd) {
	case CMD_NONE:
		/* A greeting: a new connection, nothing known about it.  Any
		 * later reply without a command puts the pairing out of step. */
		if (r->greeted) {
			r->desync = 1;
			break;
		}
		r->greeted = 1;
		r->ext = 0;
		r->size_max = 0;
		break;
	case CMD_EHLO:
		if (code == 250)
			caps_parse(r);
		buf_reset(&r->ehlo);
		break;
	case CMD_AUTH:
		if (code == 334)
			r->hide_next = 1;
		break;
	case CMD_MAIL:
		r->mail_code = code;
		set_reply(r->mail_reply, text);
		break;
	case CMD_RCPT:
		i = r->rcpt_next++;
		if (i < r->nmap) {
			r->res[r->map[i]].code = code;
			set_reply(r->res[r->map[i]].reply, text);
		}
		break;
	case CMD_DATA:
		if (code == 354) {
			pend_push_front(r, CMD_DOT);
			return;
		}
		r->data_code = code;
		set_reply(r->data_reply, text);
		break;
	case CMD_DOT:
		r->data_code = code;
		set_reply(r->data_reply, text);
		break;
	default:
		break;
	}
}

/* One server line came in: "250-..." continues, "250 ..." ends a reply. */
static void trace_in_line(struct relay *r, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	int code, last;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	codec_sanitize(s, n, 0, &b);
	log_debug("%s < %s", r->host, b.data);
	if (n < 3 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2])) {
		buf_release(&b);
		return;
	}
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	last = n == 3 || s[3] != '-';
	/* An endless reply is cut off by the reply clock (read_replies());
	 * what is kept of it meanwhile is bounded. */
	if (r->pend_len > 0 && r->pend[r->pend_head] == CMD_EHLO && r->ehlo.len < EHLO_MAX_BYTES) {
		buf_append(&r->ehlo, n > 4 ? s + 4 : "", n > 4 ? n - 4 : 0);
		buf_putc(&r->ehlo, '\n');
	}
	/* Keep "CODE text text..." on one line, bounded. */
	if (r->reply.len == 0)
		buf_append(&r->reply, b.data, 3);
	if (b.len > 4 && r->reply.len < RELAY_REPLY_MAX) {
		buf_putc(&r->reply, ' ');
		buf_append(&r->reply, b.data + 4, b.len - 4);
	}
	buf_release(&b);
	if (last) {
		reply_done(r, code);
		buf_reset(&r->reply);
	}
}

/* One line of libcurl's part of the session (connect, greeting, EHLO,
 * STARTTLS, AUTH), as its debug trace shows it: logged, with credentials
 * hidden, and the last server line kept for the error text when the
 * session is refused.  Nothing else is taken from it; what the server
 * offers comes from our own EHLO (session_ehlo()). */
static void curl_line(struct relay *r, int out, const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (out && (r->curl_hide || cmd_of(s, n) == CMD_AUTH)) {
		/* AUTH and every line after it until a reply that is not a
		 * challenge carry credentials. */
		r->curl_hide = 1;
		log_debug("%s > AUTH (hidden)", r->host);
		return;
	}
	codec_sanitize(s, n, 0, &b);
	log_debug("%s %c %s", r->host, out ? '>' : '<', b.data);
	if (!out && n >= 3 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2])) {
		r->curl_code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
		set_reply(r->curl_reply, b.data);
		if (r->curl_code != 334 && (n == 3 || s[3] != '-'))
			r->curl_hide = 0;
	}
	buf_release(&b);
}

static int trace_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct relay *r = arg;
	const char *p = data, *end = data + size, *nl;

	(void)h;
	if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT)
		return 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		curl_line(r, type == CURLINFO_HEADER_OUT, p, (size_t)(nl - p));
		p = nl;
	}
	return 0;
}

/* ---- settings ------------------------------------------------------------ */

/* The name for EHLO (RFC 5321 4.1.1.1: a fully qualified domain name;
 * smarthosts with reject_non_fqdn_helo_hostname refuse a short one): the
 * account's `helo`, else the host's canonical name when it has a dot, else
 * the domain of the account's address.  Caller frees. */
static char *helo_name(const struct cfg_account *a)
{
	const char *set = cfg_get(a, "helo"), *addr = cfg_get(a, "address"), *at;
	struct addrinfo hints, *ai = NULL;
	char host[256];
	char *name = NULL;

	if (set)
		return xstrdup(set);
	if (gethostname(host, sizeof(host) - 1) == 0) {
		host[sizeof(host) - 1] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai && ai->ai_canonname &&
		    strchr(ai->ai_canonname, '.') && !strpbrk(ai->ai_canonname, "/?#% \t"))
			name = xstrdup(ai->ai_canonname);
		if (ai)
			freeaddrinfo(ai);
		if (!name && strchr(host, '.') && !strpbrk(host, "/?#% \t"))
			name = xstrdup(host);
	}
	at = addr ? strrchr(addr, '@') : NULL;
	if (!name && at && at[1] && !strpbrk(at + 1, "/?#% \t"))
		name = xstrdup(at + 1);
	return name ? name : xstrdup("localhost.localdomain");
}

/* "host:port" from scheme://host[:port][/...]. */
static void url_host(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://"), *e;
	size_t n;

	p = p ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	n = (size_t)(e - p);
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

struct relay *relay_new(const struct cfg_account *a, long timeout, struct err *err)
{
	const char *smtp = cfg_get(a, "smtp"), *auth = cfg_get(a, "auth");
	struct relay *r;
	int implicit;

	if (!smtp)
		return err_set(err, EX_CONFIG, "account '%s' has no smtp server", cfg_account_name(a)),
		       NULL;
	implicit = strncasecmp(smtp, "smtps://", 8) == 0;
	r = xcalloc(1, sizeof(*r));
	r->reply = (struct buf)BUF_INIT;
	r->wire = (struct buf)BUF_INIT;
	r->in = (struct buf)BUF_INIT;
	r->timeout = timeout > 0 ? timeout : DEFAULT_TIMEOUT;
	r->ehlo = (struct buf)BUF_INIT;
	url_host(smtp, r->host, sizeof(r->host));
	r->helo = helo_name(a);
	/* curl says EHLO with the URL's path ("localhost" without one). */
	r->url = xasprintf("%.*s://%s/%s", (int)(strstr(smtp, "://") - smtp), smtp, r->host,
			   r->helo);
	r->tls = tls_policy_new(cfg_get(a, "tls_ca_file"), cfg_get(a, "tls_fingerprint"), err);
	if (!r->tls) {
		err_prefix(err, "account '%s'", cfg_account_name(a));
		relay_free(r);
		return NULL;
	}
	r->use_ssl = implicit || cfg_get_bool(a, "tls", 1) ? CURLUSESSL_ALL : CURLUSESSL_NONE;
	if (cfg_get(a, "user"))
		r->user = xstrdup(cfg_get(a, "user"));
	r->pw_cmd = cfg_get(a, "password_cmd");
	r->pw_plain = cfg_get(a, "password");
	r->xoauth2 = auth && strcmp(auth, "xoauth2") == 0;
	if (auth && strcmp(auth, "oauth2") == 0) {
		/* No AUTH= option: libcurl takes OAUTHBEARER when the server
		 * offers it, else XOAUTH2. */
		r->xoauth2 = 1;
		r->oauth2 = r->user ? oauth2_new(a, err) : NULL;
		if (!r->oauth2) {
			if (!r->user)
				err_set(err, EX_CONFIG, "account '%s': auth = oauth2 needs 'user'",
					cfg_account_name(a));
			relay_free(r);
			return NULL;
		}
		return r;
	}

	if (auth && strcmp(auth, "plain") == 0)
		r->login_opts = "AUTH=PLAIN";
	else if (auth && strcmp(auth, "login") == 0)
		r->login_opts = "AUTH=LOGIN";
	else if (r->xoauth2)
		r->login_opts = "AUTH=XOAUTH2";
	return r;
}

static void session_close(struct relay *r, int broken);

void relay_free(struct relay *r)
{
	if (!r)
		return;
	session_close(r, 0);
	pwcmd_free(r->secret);
	oauth2_free(r->oauth2);
	free(r->user);
	free(r->url);
	free(r->helo);
	buf_release(&r->ehlo);
	free(r->map);
	free(r->pin);
	tls_policy_free(r->tls);
	buf_release(&r->reply);
	buf_release(&r->wire);
	free(r->dsn_envid);
	free(r->dsn_ret);
	free(r->dsn_notify);
	buf_release(&r->in);
	free(r->pend);
	free(r);
}

const char *relay_host(const struct relay *r)
{
	return r->host;
}

void relay_get_stats(const struct relay *r, struct relay_stats *out)
{
	*out = r->stats;
}

/* The error class of a failed transfer. */
static int curl_class(CURLcode rc)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return EX_NOPERM;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return EX_CONFIG;
	default:
		return EX_TEMPFAIL;
	}
}

/*
 * With a pinned certificate curl cannot check the certificate itself (it
 * pins keys), so tls.h's recipe: one connection without credentials and
 * without verification that only fetches the certificate, the check, and
 * then the key pin for every real connection, which curl enforces during
 * the handshake, before AUTH.
 */
static int fetch_pin(struct relay *r, struct err *err)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *s;
	CURL *h = curl_easy_init();
	CURLcode rc;
	int ret = -1;

	if (!h)
		return err_set(err, EX_OSERR, "cannot start libcurl");
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, r->timeout);
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, r->timeout);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
	r->errbuf[0] = '\0';
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		err_set(err, EX_TEMPFAIL, "%s: %s", r->host, r->errbuf[0] ? r->errbuf :
			curl_easy_strerror(rc));
		goto out;
	}
	r->stats.connects++;
	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
	    ci->num_of_certs < 1) {
		err_set(err, EX_UNAVAILABLE, "%s: server sent no certificate", r->host);
		goto out;
	}
	for (s = ci->certinfo[0]; s; s = s->next) {
		if (strncmp(s->data, "Cert:", 5) != 0)
			continue;
		if (tls_check_pin(r->tls, r->host, (const unsigned char *)s->data + 5,
				  strlen(s->data + 5), err) < 0)
			goto out;
		r->pin = tls_pubkey_pin((const unsigned char *)s->data + 5, strlen(s->data + 5), err);
		if (r->pin)
			ret = 0;
		goto out;
	}
	err_set(err, EX_UNAVAILABLE, "%s: server sent no certificate", r->host);
out:
	curl_easy_cleanup(h);
	return ret;
}

/* Before the first message: the pin, then the credentials. */
static int prepare(struct relay *r, struct err *err)
{
	if (tls_policy_pinned(r->tls)) {
		if (!r->pin && fetch_pin(r, err) < 0)
			return -1;
	}
	if (r->user && !r->oauth2) {
		if (r->pw_plain) {
			r->secret = xstrdup(r->pw_plain);
		} else if (r->pw_cmd) {
			if (pwcmd_run(r->pw_cmd, &r->secret, err) < 0) {
				err_prefix(err, "password for %s", r->host);
				return -1;
			}
		}
	}
	r->ready = 1;
	return 0;
}

/* Reset the reply bookkeeping for a transaction whose n recipients'
 * outcomes go to res. */
static void txn_begin(struct relay *r, struct relay_rcpt *res, size_t n)
{
	size_t i;

	r->hide_next = 0;
	r->rcpt_next = 0;
	r->res = res;
	r->nres = n;
	if (n > r->map_cap) {
		r->map_cap = n;
		r->map = xreallocarray(r->map, n, sizeof(*r->map));
	}
	for (i = 0; i < n; i++)
		r->map[i] = i;
	r->nmap = n;
	r->mail_sent = r->body_sent = 0;
	r->mail_code = r->data_code = r->last_code = 0;
	r->mail_reply[0] = r->data_reply[0] = r->last_reply[0] = '\0';
	buf_reset(&r->reply);
}

/* After the transaction (io: NULL, or why the session broke): pair each
 * recipient with the reply that decides it, as relay_send() documents. */
static int txn_end(struct relay *r, const struct err *io, struct relay_rcpt *res,
		   int *session_failed_out, struct err *err)
{
	size_t i, k;
	int unknown = 0;

	r->res = NULL;
	r->nres = 0;
	/* Only the recipients that went on the wire: the others have their
	 * outcome already (relay_send()). */
	for (k = 0; k < r->nmap; k++) {
		i = r->map[k];
		if (r->mail_code != 0 && (r->mail_code < 200 || r->mail_code >= 300)) {
			/* MAIL FROM refused decides for all: pipelined RCPTs
			 * then only get "503 need MAIL", which says nothing. */
			res[i].code = r->mail_code;
			set_reply(res[i].reply, r->mail_reply);
		} else if (res[i].code >= 200 && res[i].code < 300) {
			/* Accepted at RCPT: the transaction's end decides. */
			res[i].code = r->data_code;
			set_reply(res[i].reply, r->data_code ? r->data_reply : "");
		}
		if (res[i].code == 0)
			unknown = 1;
	}
	if (!unknown)
		return 0;
	*session_failed_out = !r->mail_sent;
	if (!io)
		return err_set(err, EX_TEMPFAIL, "%s: transaction ended without a reply", r->host);
	return err_set(err, io->code, "%s", io->msg);
}

/* ---- the wire ---------------------------------------------------------- */

/* Milliseconds on the monotonic clock. */
static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int timed_out(const struct relay *r, struct err *err)
{
	return err_set(err, EX_TEMPFAIL, "%s: no answer within %ld s", r->host, r->timeout);
}

/* Wait until the session's socket is ready for ev, at most until deadline. */
static int wait_sock(struct relay *r, short ev, long long deadline, struct err *err)
{
	struct pollfd pfd;
	long long now;
	int n;

	for (;;) {
		now = mono_ms();
		if (now >= deadline)
			return timed_out(r, err);
		pfd.fd = r->sock;
		pfd.events = ev;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return err_sys(err, EX_TEMPFAIL, "%s: poll", r->host);
	}
}

/* Send len bytes; limit_ms is how long the server may take no data at
 * all (the clock restarts whenever some goes out, so a large message on a
 * slow link is not cut off). */
static int send_all(struct relay *r, const char *p, size_t len, long long limit_ms,
		    struct err *err)
{
	long long deadline = mono_ms() + limit_ms;
	CURLcode rc;
	size_t n;

	while (len > 0) {
		n = 0;
		rc = curl_easy_send(r->curl, p, len, &n);
		if (rc == CURLE_AGAIN) {
			if (wait_sock(r, POLLOUT, deadline, err) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return err_set(err, EX_TEMPFAIL, "%s: connection lost: %s", r->host,
				       curl_easy_strerror(rc));
		p += n;
		len -= n;
		deadline = mono_ms() + limit_ms;
	}
	return 0;
}

/* Whether the replies waited for are all in: every command answered, or
 * (dot) the DATA command answered with 354, so the message is due. */
static int replies_done(const struct relay *r, int dot)
{
	return r->pend_len == 0 || (dot && r->pend[r->pend_head] == CMD_DOT);
}

/* Read server lines into the reply bookkeeping until replies_done();
 * each reply may take limit_ms (the clock restarts when one is complete,
 * not for a continuation line, so a reply that never ends is bounded). */
static int read_replies(struct relay *r, int dot, long long limit_ms, struct err *err)
{
	long long deadline = mono_ms() + limit_ms;
	char chunk[16384];
	const char *nl;
	size_t n, used, before;
	CURLcode rc;

	for (;;) {
		used = 0;
		before = r->pend_len;
		while (!replies_done(r, dot) &&
		       (nl = memchr(r->in.data + used, '\n', r->in.len - used)) != NULL) {
			trace_in_line(r, r->in.data + used, (size_t)(nl + 1 - (r->in.data + used)));
			used = (size_t)(nl + 1 - r->in.data);
		}
		if (used > 0) {
			memmove(r->in.data, r->in.data + used, r->in.len - used);
			r->in.len -= used;
			r->in.data[r->in.len] = '\0';
		}
		if (replies_done(r, dot))
			return 0;
		if (r->in.len > LINE_MAX_BYTES)
			return err_set(err, EX_TEMPFAIL, "%s: reply line too long", r->host);
		if (r->pend_len != before)
			deadline = mono_ms() + limit_ms;
		else if (mono_ms() >= deadline)
			return timed_out(r, err);
		n = 0;
		rc = curl_easy_recv(r->curl, chunk, sizeof(chunk), &n);
		if (rc == CURLE_AGAIN) {
			if (wait_sock(r, POLLIN, deadline, err) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return err_set(err, EX_TEMPFAIL, "%s: connection lost: %s", r->host,
				       curl_easy_strerror(rc));
		if (n == 0)
			return err_set(err, EX_TEMPFAIL, "%s: connection closed by the server",
				       r->host);
		buf_append(&r->in, chunk, n);
	}
}

/* Send the command lines in cmd (each CRLF-ended; traced one by one) and
 * read replies until replies_done(dot).  cmd is emptied. */
static int exchange(struct relay *r, struct buf *cmd, int dot, struct err *err)
{
	const char *p = cmd->data, *end = cmd->data + cmd->len, *nl;
	int rc;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		trace_out(r, p, (size_t)(nl - p));
		p = nl;
	}
	rc = send_all(r, cmd->data, cmd->len, r->timeout * 1000LL, err);
	buf_reset(cmd);
	if (rc == 0)
		rc = read_replies(r, dot, r->timeout * 1000LL, err);
	return rc;
}

/* Whether a kept session is still usable: nothing may be waiting on it
 * between transactions, neither a reply nobody asked for nor the end of
 * the connection (a server that hung up while idle). */
static int session_in_step(struct relay *r)
{
	struct pollfd pfd;

	if (r->desync || r->saw_421 || r->in.len > 0)
		return 0;
	pfd.fd = r->sock;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 0;
}

/* ---- the session ---------------------------------------------------------- */

/* A handle for one session.  curl does the session part (CONNECT_ONLY:
 * connect, greeting, EHLO, STARTTLS, EHLO again, AUTH, then stop) with its
 * TLS verification and SASL; then ours over curl_easy_send/recv: an EHLO
 * whose reply tells the extensions (curl does not expose what its own
 * EHLO learned), and the mail transactions, pipelined (RFC 2920), which
 * curl cannot do. */
static CURL *new_handle(struct relay *r)
{
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long)r->use_ssl);
	/* Debian's libcurl rereads /etc/ssl/certs for every TLS connection
	 * when CAPATH is set (~20 ms each); the bundle file is enough. */
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	if (tls_ca_bundle(r->tls))
		curl_easy_setopt(h, CURLOPT_CAINFO, tls_ca_bundle(r->tls));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, r->timeout);
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, r->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	/* The trace of curl's part goes to the log and names the reply that
	 * refused a session (curl_line()); it needs VERBOSE. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, trace_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
	if (r->login_opts)
		curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, r->login_opts);
	/* AUTH PLAIN with its initial response (RFC 4954 4): one round trip
	 * less, and servers that never send an empty challenge (an Exim
	 * PLAIN authenticator without server_prompts) accept it. */
	curl_easy_setopt(h, CURLOPT_SASL_IR, 1L);
	if (r->pin) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, r->pin);
	}
	if (r->user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
		if (r->secret && r->xoauth2)
			curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, r->secret);
		else if (r->secret)
			curl_easy_setopt(h, CURLOPT_PASSWORD, r->secret);
	}
	return h;
}

/* End the session: QUIT when it is in step (curl does not say it on a
 * CONNECT_ONLY connection), else (lost, timed out, out of step) just
 * hang up. */
static void session_close(struct relay *r, int broken)
{
	static const char quit[] = "QUIT\r\n";
	struct err err = ERR_INIT;
	long long limit = (r->timeout < QUIT_WAIT ? r->timeout : QUIT_WAIT) * 1000LL;

	if (r->curl && r->connected && !broken && !r->desync) {
		/* A courtesy: a server that does not answer is not waited for. */
		trace_out(r, quit, sizeof(quit) - 1);
		if (send_all(r, quit, sizeof(quit) - 1, limit, &err) == 0)
			(void)read_replies(r, 0, limit, &err);
	}
	if (r->curl)
		curl_easy_cleanup(r->curl);
	r->curl = NULL;
	r->connected = 0;
	pend_clear(r);
	buf_reset(&r->in);
}

/* Our own EHLO on the session curl opened and secured: what the server
 * offers is taken from its reply (one more round trip per session;
 * curl's own EHLO is not exposed). */
static int session_ehlo(struct relay *r, struct err *err)
{
	struct buf cmd = BUF_INIT;
	int rc;

	buf_printf(&cmd, "EHLO %s\r\n", r->helo);
	rc = exchange(r, &cmd, 0, err);
	buf_release(&cmd);
	if (rc < 0)
		return -1;
	if (r->saw_421)
		return err_set(err, EX_TEMPFAIL, "%s: %s", r->host, r->last_reply);
	/* Refused: the session stands, without extensions. */
	return 0;
}

static int session_connect(struct relay *r, struct err *err)
{
	curl_socket_t sock = CURL_SOCKET_BAD;
	long nconn = 0;
	CURLcode rc;

	r->curl = new_handle(r);
	if (!r->curl)
		return err_set(err, EX_OSERR, "cannot start libcurl");
	r->greeted = r->desync = r->saw_421 = 0;
	r->ext = 0;
	r->size_max = 0;
	r->errbuf[0] = '\0';
	r->curl_reply[0] = '\0';
	r->curl_code = r->curl_hide = 0;
	pend_clear(r);
	buf_reset(&r->in);
	rc = curl_easy_perform(r->curl);
	if (curl_easy_getinfo(r->curl, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK && nconn > 0)
		r->stats.connects += (unsigned)nconn;
	if (rc == CURLE_OK &&
	    curl_easy_getinfo(r->curl, CURLINFO_ACTIVESOCKET, &sock) == CURLE_OK &&
	    sock != CURL_SOCKET_BAD) {
		r->sock = sock;
		r->connected = 1;
		/* curl took the greeting: any reply nobody asked for from now
		 * on puts the session out of step. */
		r->greeted = 1;
		if (session_ehlo(r, err) == 0)
			return 0;
		session_close(r, 1);
		return -1;
	}
	/* The last reply says why when there was one (421 greeting, 535
	 * AUTH); else curl's own words (refused, TLS). */
	if (rc != CURLE_OK && r->curl_code >= 400)
		err_set(err, curl_class(rc), "%s: %s", r->host, r->curl_reply);
	else
		err_set(err, rc == CURLE_OK ? EX_TEMPFAIL : curl_class(rc), "%s: %s", r->host,
			r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
	session_close(r, 1);
	return -1;
}

/* A valid access token into r->secret; rejected says the server refused
 * the one held now. */
static int bearer(struct relay *r, int rejected, struct err *err)
{
	char *token;

	if (oauth2_token(r->oauth2, rejected ? r->secret : NULL, &token, err) < 0)
		return -1;
	pwcmd_free(r->secret);
	r->secret = token;
	return 0;
}

/* A session, with a token fetched for each (so a long-running daemon
 * never offers one that expired), and one more try with a fresh token
 * when the server refused it (revoked, or expired early). */
static int session_open(struct relay *r, struct err *err)
{
	if (!r->oauth2)
		return session_connect(r, err);
	if (bearer(r, 0, err) < 0)
		return -1;
	if (session_connect(r, err) == 0)
		return 0;
	if (err->code != EX_NOPERM)
		return -1;
	log_info("%s; trying a fresh token", err->msg);
	err_clear(err);
	if (bearer(r, 1, err) < 0)
		return -1;
	return session_connect(r, err);
}

/* ---- the transaction ---------------------------------------------------- */

static int has_non_ascii(const char *s)
{
	return has_8bit(s, strlen(s));
}

/* Whether some recipient was taken at RCPT TO. */
static int any_accepted(const struct relay *r)
{
	size_t k;

	for (k = 0; k < r->nmap; k++)
		if (r->res[r->map[k]].code >= 200 && r->res[r->map[k]].code < 300)
			return 1;
	return 0;
}

/* Refuse here, for good, what this server is known to refuse, and take
 * those recipients off the wire; the others go.  RFC 6531: a non-ASCII
 * address may go only to a server that offers SMTPUTF8 (others answer
 * "501 syntax error", or worse, mangle it): 5.6.7 for such a recipient,
 * for all with a non-ASCII sender.  RFC 1870: a message larger than the
 * SIZE the server announced: 5.3.4 for all. */
static void hold_local(struct relay *r, const char *sender, const char *const *rcpts, size_t n,
		       size_t len)
{
	int utf8 = !(r->ext & RELAY_EXT_SMTPUTF8), bad_sender = utf8 && has_non_ascii(sender);
	int too_big = r->size_max > 0 && len > r->size_max;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (too_big) {
			r->res[i].code = 552;
			snprintf(r->res[i].reply, sizeof(r->res[i].reply),
				 "552 5.3.4 not sent: %zu bytes, and %s takes %llu at most", len,
				 r->host, r->size_max);
		} else if (bad_sender || (utf8 && has_non_ascii(rcpts[i]))) {
			r->res[i].code = 553;
			snprintf(r->res[i].reply, sizeof(r->res[i].reply),
				 "553 5.6.7 not sent: %s does not offer SMTPUTF8 (RFC 6531), which the "
				 "non-ASCII %s address needs", r->host,
				 bad_sender ? "sender" : "recipient");
		} else {
			r->map[k++] = i;
		}
	}
	r->nmap = k;
}

/* s as RFC 3461 xtext: '+', '=', blanks, controls and 8-bit bytes as +XX. */
static void put_xtext(struct buf *b, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '+' || *p == '=')
			buf_printf(b, "+%02X", *p);
		else
			buf_putc(b, *p);
	}
}

void relay_set_dsn(struct relay *r, const struct relay_dsn *d)
{
	free(r->dsn_envid);
	free(r->dsn_ret);
	free(r->dsn_notify);
	r->dsn_envid = d && d->envid ? xstrdup(d->envid) : NULL;
	r->dsn_ret = d && d->ret ? xstrdup(d->ret) : NULL;
	r->dsn_notify = d && d->notify ? xstrdup(d->notify) : NULL;
	r->dsn_on = d != NULL;
}

/* MAIL FROM, the RCPT TOs and DATA, in one write when the server pipelines,
 * one at a time else; then the message, or an RSET when a transaction was
 * opened but is not going anywhere (all recipients refused, DATA refused),
 * so the next one starts clean.  -1: the session broke. */
static int transact(struct relay *r, const char *sender, const char *const *rcpts,
		    const char *body, size_t len, struct err *err)
{
	struct buf cmd = BUF_INIT, seven = BUF_INIT;
	int eight = has_8bit(body, len), utf8 = has_non_ascii(sender);
	int pipe = (r->ext & RELAY_EXT_PIPELINING) != 0;
	int rc = -1, dsn;
	size_t i, n = r->nmap;

	for (i = 0; i < n; i++)
		utf8 |= has_non_ascii(rcpts[r->map[i]]);
	buf_printf(&cmd, "MAIL FROM:<%s>", sender);
	/* RFC 1870: the size lets the server refuse a message too large
	 * before it is sent (LF line ends: a little less than on the wire). */
	if (r->ext & RELAY_EXT_SIZE)
		buf_printf(&cmd, " SIZE=%zu", len);
	buf_printf(&cmd, "%s%s", eight && (r->ext & RELAY_EXT_8BITMIME) ? " BODY=8BITMIME" : "",
		   utf8 && (r->ext & RELAY_EXT_SMTPUTF8) ? " SMTPUTF8" : "");
	dsn = r->dsn_on && (r->ext & RELAY_EXT_DSN);
	if (dsn) {
		if (r->dsn_ret)
			buf_printf(&cmd, " RET=%s", r->dsn_ret);
		if (r->dsn_envid) {
			buf_puts(&cmd, " ENVID=");
			put_xtext(&cmd, r->dsn_envid);
		}
	}
	buf_puts(&cmd, "\r\n");
	if (!pipe) {
		if (exchange(r, &cmd, 0, err) < 0)
			goto out;
		if (r->mail_code < 200 || r->mail_code >= 300) {
			rc = 0;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		buf_printf(&cmd, "RCPT TO:<%s>", rcpts[r->map[i]]);
		if (dsn) {
			if (r->dsn_notify)
				buf_printf(&cmd, " NOTIFY=%s", r->dsn_notify);
			/* An address that is not ASCII would need RFC 6533's
			 * utf-8 type; the report then names the recipient as
			 * the server saw it, which is the same address. */
			if (!has_non_ascii(rcpts[r->map[i]])) {
				buf_puts(&cmd, " ORCPT=rfc822;");
				put_xtext(&cmd, rcpts[r->map[i]]);
			}
		}
		buf_puts(&cmd, "\r\n");
		/* Pipelined groups stay small enough for the socket buffers
		 * (RFC 2920 3.1: the client reads nothing while it writes). */
		if ((!pipe || (i + 1) % PIPE_GROUP == 0) && exchange(r, &cmd, 0, err) < 0)
			goto out;
	}
	if (!pipe && !any_accepted(r)) {
		buf_puts(&cmd, "RSET\r\n");
		rc = exchange(r, &cmd, 0, err);
		goto out;
	}
	buf_puts(&cmd, "DATA\r\n");
	if (exchange(r, &cmd, 1, err) < 0)
		goto out;
	if (r->pend_len == 0 && r->data_code < 400) {
		/* Only 354 lets the message go; "250" to DATA would have it
		 * counted as sent without a byte of it on the wire. */
		err_set(err, EX_TEMPFAIL, "%s: DATA answered with '%s'", r->host, r->data_reply);
		r->data_code = 0;
		goto out;
	}
	if (r->pend_len == 0) {
		/* DATA refused; MAIL FROM may still stand. */
		rc = 0;
		if (r->mail_code >= 200 && r->mail_code < 300) {
			buf_puts(&cmd, "RSET\r\n");
			rc = exchange(r, &cmd, 0, err);
		}
		goto out;
	}
	buf_reset(&r->wire);
	if (r->mail_code < 200 || r->mail_code >= 300 || !any_accepted(r)) {
		/* 354 with nothing to deliver (RFC 2920 3.1): an empty
		 * message, which the server turns down. */
		buf_puts(&r->wire, ".\r\n");
	} else if (eight && !(r->ext & RELAY_EXT_8BITMIME) && relay_to_7bit(body, len, &seven)) {
		relay_wire(seven.data, seven.len, &r->wire);
	} else {
		relay_wire(body, len, &r->wire);
	}
	log_debug("%s > (message, %zu bytes)", r->host, r->wire.len);
	r->body_sent = 1;
	/* RFC 5321 4.5.3.2 gives the end of the message twice the time of
	 * a command and more (10 minutes to 5); servers filter it then. */
	if (send_all(r, r->wire.data, r->wire.len, r->timeout * 1000LL, err) < 0 ||
	    read_replies(r, 0, r->timeout * 1000LL * DOT_WAIT_FACTOR, err) < 0)
		goto out;
	rc = 0;
out:
	buf_release(&cmd);
	buf_release(&seven);
	/* The wire copy of a large message is not worth keeping around. */
	if (r->wire.cap > 1024 * 1024)
		buf_release(&r->wire);
	return rc;
}

int relay_send(struct relay *r, const char *sender, const char *const *rcpts, size_t n,
	       const char *body, size_t len, struct relay_rcpt *res, int *session_failed_out,
	       struct err *err)
{
	struct err io = ERR_INIT;
	size_t i;
	int rc, reused;

	*session_failed_out = 0;
	for (i = 0; i < n; i++) {
		res[i].code = 0;
		res[i].reply[0] = '\0';
	}
	/* The queue never stores such addresses; they would end up on the
	 * wire as they are, so make sure. */
	if (sender[0] && !addr_valid(sender, 0))
		return err_set(err, EX_DATAERR, "bad sender address '%.200s'", sender);
	for (i = 0; i < n; i++)
		if (!addr_valid(rcpts[i], 0))
			return err_set(err, EX_DATAERR, "bad recipient address '%.200s'", rcpts[i]);
	if (!r->ready && prepare(r, err) < 0) {
		*session_failed_out = 1;
		return -1;
	}
	txn_begin(r, res, n);
	r->stats.messages++;
	/* A kept session the server closed while idle, or with anything
	 * unasked on it, is replaced before it costs this message a try. */
	if (r->connected && !session_in_step(r))
		session_close(r, 1);
	reused = r->connected;
	if (!r->connected && session_open(r, &io) < 0)
		return txn_end(r, &io, res, session_failed_out, err);
	hold_local(r, sender, rcpts, n, len);
	rc = r->nmap > 0 ? transact(r, sender, rcpts, body, len, &io) : 0;
	if (rc < 0 && reused && !r->body_sent) {
		/* A kept session that broke before the message went out (a
		 * hang-up or a late stray reply the check above could not
		 * see yet) has delivered nothing: once more on a new one. */
		session_close(r, 1);
		for (i = 0; i < n; i++) {
			res[i].code = 0;
			res[i].reply[0] = '\0';
		}
		txn_begin(r, res, n);
		err_clear(&io);
		if (session_open(r, &io) < 0)
			return txn_end(r, &io, res, session_failed_out, err);
		hold_local(r, sender, rcpts, n, len);
		rc = r->nmap > 0 ? transact(r, sender, rcpts, body, len, &io) : 0;
	}
	/* Out of step with the server (lost, timed out, a reply missing or
	 * one too many): the next message gets a new session.  So does one
	 * after 421. */
	if (rc < 0 || r->desync || r->saw_421)
		session_close(r, 1);
	return txn_end(r, rc < 0 ? &io : NULL, res, session_failed_out, err);
}

int relay_replay(const char *trace, size_t len, struct relay_rcpt *res, size_t n, int ok,
		 int *session_failed_out, unsigned *ext_out, struct err *err)
{
	struct relay r;
	struct err io = ERR_INIT;
	const char *p = trace, *end = trace + len, *nl;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "replay");
	buf_init(&r.reply);
	buf_init(&r.ehlo);
	*session_failed_out = 0;
	for (i = 0; i < n; i++) {
		res[i].code = 0;
		res[i].reply[0] = '\0';
	}
	txn_begin(&r, res, n);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		if (*p == '>')
			trace_out(&r, p + 1, (size_t)(nl - p - 1));
		else if (*p == '<')
			trace_in_line(&r, p + 1, (size_t)(nl - p - 1));
		p = nl;
	}
	/* What relay_send() reports: a failed session names the last reply
	 * before MAIL FROM, as session_open() does. */
	if (!ok)
		err_set(&io, EX_TEMPFAIL, "replay: %s",
			!r.mail_sent && r.last_code >= 400 ? r.last_reply : "connection lost");
	rc = txn_end(&r, ok ? NULL : &io, res, session_failed_out, err);
	if (ext_out)
		*ext_out = r.ext;
	buf_release(&r.reply);
	buf_release(&r.ehlo);
	free(r.pend);
	free(r.map);
	return rc;
}
