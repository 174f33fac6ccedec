/*
 * enqueue: from caller input to a body and an envelope.  The input is
 * scanned once: the header block is split into fields by hand (we need
 * their exact bytes to drop Bcc and to refuse bare CR and NUL), and only the
 * address fields are handed to addr.h for parsing.  The -bs dialogue is
 * enqueue_smtp.c's.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "date.h"
#include "dsnparse.h"
#include "enqueue.h"
#include "events.h"
#include "msg.h"
#include "strv.h"
#include "xalloc.h"

int enqueue_read(int fd, int keep_dots, struct buf *out, struct err *err)
{
	size_t start = out->len, line = out->len;
	const char *nl;
	ssize_t r;

	for (;;) {
		if (out->len - start > ENQUEUE_MAX_SIZE)
			return err_set(err, EX_DATAERR, "message larger than %lu bytes",
				       ENQUEUE_MAX_SIZE);
		buf_grow(out, 65536);
		r = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(err, EX_IOERR, "cannot read the message");
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		out->data[out->len] = '\0';
		if (keep_dots)
			continue;
		/* Look at each complete line once; a "." line must end the
		 * read at once, because at a terminal the writer waits for us
		 * rather than closing stdin. */
		while ((nl = memchr(out->data + line, '\n', out->len - line)) != NULL) {
			size_t n = (size_t)(nl - (out->data + line));

			if (out->data[line] == '.' &&
			    (n == 1 || (n == 2 && out->data[line + 1] == '\r'))) {
				buf_truncate(out, line);
				return 0;
			}
			line = (size_t)(nl - out->data) + 1;
		}
	}
	if (!keep_dots && out->len - line == 1 && out->data[line] == '.')
		buf_truncate(out, line);
	return 0;
}

/* --- --at ---------------------------------------------------------------- */

/* Parse exactly `digits` decimal digits at *s. */
static int take_num(const char **s, int digits, int *out)
{
	int v = 0, i;

	for (i = 0; i < digits; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += digits;
	*out = v;
	return 0;
}

/* "HH:MM[:SS]" at s, to the end of the string. */
static int take_clock(const char *s, struct tm *tm)
{
	int h, m, sec = 0;

	if (take_num(&s, 2, &h) < 0 || *s++ != ':' || take_num(&s, 2, &m) < 0)
		return -1;
	if (*s == ':' && (s++, take_num(&s, 2, &sec) < 0))
		return -1;
	if (*s != '\0' || h > 23 || m > 59 || sec > 59)
		return -1;
	tm->tm_hour = h;
	tm->tm_min = m;
	tm->tm_sec = sec;
	return 0;
}

int enqueue_parse_at(const char *s, time_t now, time_t *out, struct err *err)
{
	struct tm tm, want;
	unsigned long long v = 0;
	const char *p;
	long unit;
	int y, mo, d;
	time_t t;

	if (s[0] == '@' || s[0] == '+') {
		for (p = s + 1; *p >= '0' && *p <= '9'; p++) {
			if (v > 1000000000000ULL)
				goto bad;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (p == s + 1)
			goto bad;
		if (s[0] == '@') {
			if (*p != '\0')
				goto bad;
			*out = (time_t)v;
			return 0;
		}
		switch (*p) {
		case 's': case '\0': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: goto bad;
		}
		if (*p != '\0' && p[1] != '\0')
			goto bad;
		*out = now + (time_t)(v * (unsigned long long)unit);
		return 0;
	}
	localtime_r(&now, &tm);
	tm.tm_isdst = -1;
	p = s;
	if (strlen(s) > 8 && s[4] == '-') {
		if (take_num(&p, 4, &y) < 0 || *p++ != '-' || take_num(&p, 2, &mo) < 0 ||
		    *p++ != '-' || take_num(&p, 2, &d) < 0 || (*p != ' ' && *p != 'T'))
			goto bad;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		if (take_clock(p + 1, &tm) < 0)
			goto bad;
		want = tm;
		t = mktime(&tm);
		/* mktime normalises 2025-02-30 to March; such a date is a
		 * typing error, not a wish. */
		if (t == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon)
			goto bad;
		*out = t;
		return 0;
	}
	if (take_clock(s, &tm) < 0)
		goto bad;
	t = mktime(&tm);
	if (t == (time_t)-1)
		goto bad;
	if (t <= now) {
		/* The next occurrence is tomorrow; going through the calendar
		 * keeps the wall-clock time across a DST change. */
		tm.tm_mday++;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	*out = t;
	return 0;

bad:
	return err_set(err, EX_USAGE,
		       "bad time '%.80s': use 'YYYY-MM-DD HH:MM', 'HH:MM', '+30m' or '@EPOCH'", s);
}

/* --- the message --------------------------------------------------------- */

enum field_kind { F_OTHER, F_FROM, F_TO, F_CC, F_BCC, F_DATE, F_MSGID, F_RTO, F_RCC, F_RBCC,
		  F_RESENT };

struct field {
	const char *start;   /* first byte of the name */
	const char *end;     /* after the last line end of the field */
	size_t name_len;
	enum field_kind kind;
};

struct head {
	struct field *f;
	size_t n, cap;
	const char *body;    /* first byte after the header block */
	int have_sep;        /* an empty line ended the header block */
	int have[F_RESENT + 1];
};

static enum field_kind field_kind(const char *name, size_t n)
{
	static const struct { const char *name; enum field_kind kind; } known[] = {
		{ "from", F_FROM }, { "to", F_TO }, { "cc", F_CC }, { "bcc", F_BCC },
		{ "date", F_DATE }, { "message-id", F_MSGID }, { "resent-to", F_RTO },
		{ "resent-cc", F_RCC }, { "resent-bcc", F_RBCC },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strlen(known[i].name) == n && strncasecmp(name, known[i].name, n) == 0)
			return known[i].kind;
	}
	if (n > 7 && strncasecmp(name, "resent-", 7) == 0)
		return F_RESENT;
	return F_OTHER;
}

/* The length of the field name when line starts a header field ("Name:",
 * RFC 5322 ftext, blanks before the colon allowed as obs-syntax), else 0. */
static size_t field_name_len(const char *p, size_t n)
{
	size_t i = 0, name;

	while (i < n && p[i] > ' ' && p[i] < 0x7f && p[i] != ':')
		i++;
	name = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return name > 0 && i < n && p[i] == ':' ? name : 0;
}

/* Split the header block of [p, end) into fields; refuse NUL and bare CR
 * in it (a header line with them means something different to every
 * reader that sees it, so it must not travel). */
static int scan_head(const char *p, const char *end, struct head *h, struct err *err)
{
	const char *nl, *next, *q;
	size_t n;

	h->body = end;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		next = nl ? nl + 1 : end;
		n = (size_t)((nl ? nl : end) - p);
		if (nl && n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 && nl) {
			h->body = next;
			h->have_sep = 1;
			return 0;
		}
		/* Checked before the line is judged: "X\rY: z" must not end
		 * the header block and carry what follows into the body. */
		for (q = p; q < p + n; q++) {
			if (*q == '\0')
				return err_set(err, EX_DATAERR, "message header contains a NUL byte");
			if (*q == '\r')
				return err_set(err, EX_DATAERR, "message header contains a bare CR");
		}
		if (p[0] == ' ' || p[0] == '\t') {
			if (h->n == 0)
				break;
		} else if (field_name_len(p, n) == 0) {
			break;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			h->f[h->n - 1].end = next;
		} else {
			if (h->n == h->cap) {
				h->cap = h->cap ? 2 * h->cap : 16;
				h->f = xreallocarray(h->f, h->cap, sizeof(*h->f));
			}
			h->f[h->n].start = p;
			h->f[h->n].end = next;
			h->f[h->n].name_len = field_name_len(p, n);
			h->f[h->n].kind = field_kind(p, h->f[h->n].name_len);
			h->have[h->f[h->n].kind] = 1;
			h->n++;
		}
		p = next;
	}
	/* A line that is no header field starts the body; the empty line
	 * that should have come first is added on output. */
	h->body = p;
	return 0;
}

/* Append [p, p+n) with every CRLF turned into LF. */
static void put_lf(struct buf *out, const char *p, size_t n)
{
	const char *end = p + n, *cr;

	while (p < end && (cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (cr + 1 < end && cr[1] == '\n') {
			buf_append(out, p, (size_t)(cr - p));
			p = cr + 1;
		} else {
			buf_append(out, p, (size_t)(cr - p) + 1);
			p = cr + 1;
		}
	}
	buf_append(out, p, (size_t)(end - p));
}

/* The value of field f (after the colon), line ends normalised, trailing
 * blanks and line end dropped. */
static void field_value(const struct field *f, struct buf *out)
{
	const char *v = memchr(f->start, ':', (size_t)(f->end - f->start)) + 1;
	size_t n = (size_t)(f->end - v);

	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r' || v[n - 1] == ' ' ||
			 v[n - 1] == '\t'))
		n--;
	put_lf(out, v, n);
}

/* Add "a@b" (already validated and qualified) unless present; addresses
 * differing only in case count as one. */
static int add_rcpt(struct queue_env *env, const char *addr, struct err *err)
{
	size_t i;

	for (i = 0; i < queue_env_rcpt_count(env); i++) {
		if (strcasecmp(queue_env_rcpt_addr(env, i), addr) == 0)
			return 0;
	}
	return queue_env_add_rcpt(env, addr, err);
}

/* Validate addr (bare local names allowed), qualify a bare one with domain,
 * and add it. */
static int take_rcpt(struct queue_env *env, const char *addr, const char *domain,
		     struct err *err)
{
	char *q;
	int rc;

	if (!addr_valid(addr, ADDR_SYNTAX | ADDR_BARE))
		return err_set(err, EX_DATAERR, "bad recipient address '%.200s'", addr);
	/* "sendmail root -oi": an option out of place, not a mailbox (Postfix
	 * refuses these too, allow_min_user = no). */
	if (addr[0] == '-')
		return err_set(err, EX_DATAERR, "bad recipient address '%.200s' (an option after "
			       "the recipients?)", addr);
	if (strchr(addr, '@'))
		return add_rcpt(env, addr, err);
	q = xasprintf("%s@%s", addr, domain);
	rc = add_rcpt(env, q, err);
	free(q);
	return rc;
}

/* Who the local user is, for a sender without configuration: the login
 * name of the real uid (as sendmail does), else LOGNAME/USER. */
static const char *user_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u;

	if (pw && pw->pw_name && addr_valid(pw->pw_name, ADDR_SYNTAX | ADDR_BARE))
		return pw->pw_name;
	u = getenv("LOGNAME");
	if (!u || !addr_valid(u, ADDR_SYNTAX | ADDR_BARE))
		u = getenv("USER");
	return u && addr_valid(u, ADDR_SYNTAX | ADDR_BARE) ? u : "nobody";
}

void enqueue_host_name(char *host, size_t n)
{
	if (gethostname(host, n - 1) < 0 || host[0] == '\0' || !addr_domain_valid(host))
		snprintf(host, n, "localhost");
	host[n - 1] = '\0';
}

/* Every address of a recipient list, validated and added. */
static int take_rcpt_list(struct queue_env *env, const char *list, const char *domain,
			  struct err *err)
{
	struct addr_mbox *v = NULL;
	size_t i, n = 0;
	int rc = 0;

	addr_split(list, &v, &n);
	for (i = 0; i < n && rc == 0; i++)
		rc = take_rcpt(env, v[i].addr, domain, err);
	addr_list_free(v, n);
	return rc;
}

/* The addresses of the To/Cc/Bcc fields (when extract) into rcpts, as
 * addr_split reads them, and the first From address into *from_out (NULL
 * when none; read leniently, it only picks the account). */
static void head_addrs(const struct head *h, int extract, struct strv *rcpts, char **from_out)
{
	struct buf b = BUF_INIT;
	struct addr_mbox *a = NULL;
	size_t i, j, n;

	int resent = h->have[F_RTO] || h->have[F_RCC] || h->have[F_RBCC] || h->have[F_RESENT];

	*from_out = NULL;
	/* A resent message (any Resent- field) goes to its Resent-To/Cc/Bcc
	 * only, as with sendmail and msmtp. */
	for (i = 0; extract && i < h->n; i++) {
		enum field_kind k = h->f[i].kind;

		if (resent ? k != F_RTO && k != F_RCC && k != F_RBCC :
			     k != F_TO && k != F_CC && k != F_BCC)
			continue;
		buf_reset(&b);
		field_value(&h->f[i], &b);
		n = 0;
		addr_split(b.data, &a, &n);
		for (j = 0; j < n; j++)
			strv_push(rcpts, a[j].addr);
		addr_list_free(a, n);
		a = NULL;
	}
	buf_reset(&b);
	for (i = 0; i < h->n; i++) {
		if (h->f[i].kind == F_FROM) {
			field_value(&h->f[i], &b);
			n = addr_parse_list(b.data, &a);
			if (n > 0 && a[0].addr[0])
				*from_out = xstrdup(a[0].addr);
			addr_list_free(a, n);
			break;
		}
	}
	buf_release(&b);
}

/* A From, To or Cc field made of bare local names only ("To: root",
 * "From: root (Cron Daemon)", as cron writes them) goes out with the
 * names qualified, as Postfix and nullmailer do for local submissions: a
 * header address without a domain is refused by many servers.  Anything
 * with an @, angle brackets, quotes or groups is left as it is (returns 0,
 * nothing written); else the field is written to out and 1 returned. */
static int qualify_field(const struct field *f, const char *domain, struct buf *out)
{
	struct buf v = BUF_INIT, res = BUF_INIT;
	const char *p, *e, *c;
	char *local;
	int ok = 1;

	field_value(f, &v);
	if (v.len == 0 || strpbrk(v.data, "@<>\":;\\[]\n")) {
		buf_release(&v);
		return 0;
	}
	buf_append(&res, f->start, f->name_len);
	buf_puts(&res, ":");
	for (p = v.data; ok && *p;) {
		e = p + strcspn(p, ",");
		/* One name, then maybe a comment. */
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		c = p;
		while (c < e && *c != ' ' && *c != '\t' && *c != '(')
			c++;
		local = xstrndup(p, (size_t)(c - p));
		ok = local[0] && addr_valid(local, ADDR_SYNTAX | ADDR_BARE);
		if (ok)
			buf_printf(&res, "%s%s@%s%.*s", p == v.data ? " " : " ", local, domain,
				   (int)(e - c), c);
		free(local);
		p = e;
		if (*p == ',') {
			buf_putc(&res, ',');
			p++;
		}
	}
	if (ok) {
		buf_putc(&res, '\n');
		buf_append(out, res.data, res.len);
	}
	buf_release(&v);
	buf_release(&res);
	return ok;
}

/* The address inside "<addr>", or addr itself; "" and "<>" are the null
 * sender.  Caller frees. */
static char *strip_brackets(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

/* The arguments cannot add header lines, and -f is an address: its copy
 * without brackets goes to *sender_out (NULL without -f; caller frees,
 * also after a failure). */
static int check_opts(const struct enqueue_opts *o, char **sender_out, struct err *err)
{
	size_t i;

	*sender_out = NULL;
	if (o->sender && addr_check_arg(o->sender, "sender (-f)", err) < 0)
		return -1;
	if (o->fullname && addr_check_arg(o->fullname, "full name (-F)", err) < 0)
		return -1;
	for (i = 0; i < o->nrcpts; i++) {
		if (addr_check_arg(o->rcpts[i], "recipient", err) < 0)
			return -1;
	}
	if (!o->sender)
		return 0;
	*sender_out = strip_brackets(o->sender);
	if ((*sender_out)[0] && !addr_valid(*sender_out, ADDR_SYNTAX | ADDR_BARE))
		return err_set(err, EX_DATAERR, "bad sender address '%.200s'", *sender_out);
	return 0;
}

/* The account decides the sender and the domain of bare names, so it is
 * chosen before either: -A, else the one of the From address, else of -f,
 * else the default.  *acct_out stays NULL without accounts. */
static int choose_account(const struct enqueue_opts *o, const struct cfg *cfg, const char *from,
			  const char *sender, const struct cfg_account **acct_out,
			  struct err *err)
{
	const struct cfg_account *acct = NULL;

	*acct_out = NULL;
	if (o->account) {
		if (!cfg)
			return err_set(err, EX_CONFIG,
				       "cannot use account '%s': no configuration file", o->account);
		acct = cfg_account_find(cfg, o->account, err);
		if (!acct)
			return -1;
	}
	if (!acct && cfg && cfg_account_count(cfg) > 0) {
		if (from)
			acct = cfg_account_for_address(cfg, from);
		if (!acct && sender && strchr(sender, '@'))
			acct = cfg_account_for_address(cfg, sender);
		if (!acct && !(acct = cfg_account_find(cfg, NULL, err)))
			return -1;
	}
	*acct_out = acct;
	return 0;
}

/* The header block to store: the input's fields without Bcc (bare local
 * names qualified with domain), then what it lacks of From (from_name
 * <from_addr>), Date and Message-ID (at id_domain), then the empty line. */
static void write_head(const struct head *h, const char *end, const char *domain, time_t now,
		       const char *from_name, const char *from_addr, const char *id_domain,
		       struct buf *out)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (h->f[i].kind == F_BCC || h->f[i].kind == F_RBCC)
			continue;
		if ((h->f[i].kind == F_FROM || h->f[i].kind == F_TO || h->f[i].kind == F_CC) &&
		    qualify_field(&h->f[i], domain, out))
			continue;
		put_lf(out, h->f[i].start, (size_t)(h->f[i].end - h->f[i].start));
		if (h->f[i].end == end && end[-1] != '\n')
			buf_putc(out, '\n');
	}
	if (!h->have[F_FROM]) {
		buf_puts(out, "From: ");
		addr_put_mbox(out, from_name, from_addr, 0);
		buf_putc(out, '\n');
	}
	if (!h->have[F_DATE]) {
		buf_puts(out, "Date: ");
		date_put(out, now);
		buf_putc(out, '\n');
	}
	if (!h->have[F_MSGID]) {
		buf_puts(out, "Message-ID: ");
		addr_put_message_id(out, now, NULL, id_domain);
		buf_putc(out, '\n');
	}
	buf_putc(out, '\n');
}

/* sendmail's -N (NEVER, or a list of SUCCESS, FAILURE, DELAY), -R (FULL
 * or HDRS) and -V (an ENVID) into the envelope, upper-cased. */
static int set_dsn(const struct enqueue_opts *o, struct queue_env *env, struct err *err)
{
	char *notify = o->dsn_notify ? xstrdup(o->dsn_notify) : NULL;
	char *ret = o->dsn_ret ? xstrdup(o->dsn_ret) : NULL, *envid = NULL, *p;
	size_t n;
	int rc = -1;

	for (p = notify; p && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	for (p = ret; p && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	if (notify && strcmp(notify, "NEVER") != 0) {
		for (p = notify;; p += n + 1) {
			n = strcspn(p, ",");
			if (!((n == 7 && strncmp(p, "SUCCESS", 7) == 0) ||
			      (n == 7 && strncmp(p, "FAILURE", 7) == 0) ||
			      (n == 5 && strncmp(p, "DELAY", 5) == 0))) {
				err_set(err, EX_USAGE,
					"bad -N value '%.80s' (NEVER, or SUCCESS,FAILURE,DELAY)",
					o->dsn_notify);
				goto out;
			}
			if (p[n] == '\0')
				break;
		}
	}
	if (ret && strcmp(ret, "FULL") != 0 && strcmp(ret, "HDRS") != 0) {
		err_set(err, EX_USAGE, "bad -R value '%.80s' (FULL or HDRS)", o->dsn_ret);
		goto out;
	}
	/* sendmail's -V takes the ENVID as it goes on the wire, xtext; the
	 * envelope keeps it decoded (the relay encodes it again, and
	 * reports such as Postfix's give it back decoded). */
	if (o->envid) {
		envid = dsn_xtext_decode(o->envid);
		for (p = envid; p && *p; p++)
			if (*p <= ' ' || *p >= 0x7f)
				break;
		if (!envid || *p || !envid[0] || strlen(envid) > 100) {
			err_set(err, EX_USAGE,
				"bad -V value '%.80s' (RFC 3461 xtext of at most 100 printable characters)",
				o->envid);
			goto out;
		}
	}
	rc = queue_env_set_dsn(env, notify, ret, envid, err);
out:
	free(envid);
	free(notify);
	free(ret);
	return rc;
}

int enqueue_prepare(const struct enqueue_opts *o, const struct cfg *cfg, const char *in,
		    size_t len, time_t now, struct buf *body_out, struct queue_env *env,
		    struct err *err)
{
	const struct cfg_account *acct = NULL;
	struct head h = { NULL, 0, 0, NULL, 0, { 0 } };
	struct strv hdr_rcpts = STRV_INIT;
	const char *p = in, *end = in + len, *domain, *addr, *name, *d;
	char host[256], *sender = NULL, *from = NULL, *fallback = NULL, *qual;
	size_t i;
	long delay;
	int rc = -1;

	if (check_opts(o, &sender, err) < 0)
		goto out;
	/* An mbox "From " line in front is a separator, not a header (sendmail
	 * and Postfix drop it too). */
	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', len);

		p = nl ? nl + 1 : end;
	}
	if (scan_head(p, end, &h, err) < 0)
		goto out;
	enqueue_host_name(host, sizeof(host));
	head_addrs(&h, o->extract, &hdr_rcpts, &from);
	if (choose_account(o, cfg, from, sender, &acct, err) < 0)
		goto out;
	domain = acct ? addr_domain(cfg_get(acct, "address")) : NULL;
	if (!domain)
		domain = "localhost";
	for (i = 0; i < hdr_rcpts.n; i++) {
		if (take_rcpt(env, hdr_rcpts.v[i], domain, err) < 0)
			goto out;
	}
	for (i = 0; i < o->nrcpts; i++) {
		if (take_rcpt_list(env, o->rcpts[i], domain, err) < 0)
			goto out;
	}
	if (queue_env_rcpt_count(env) == 0) {
		err_set(err, EX_DATAERR, "no recipients");
		goto out;
	}

	/* Envelope sender: -f, else the account's address, else the user at
	 * this host. */
	addr = acct ? cfg_get(acct, "address") : NULL;
	if (!addr || !addr_valid(addr, ADDR_SYNTAX)) {
		fallback = xasprintf("%s@%s", user_name(), host);
		addr = fallback;
	}
	/* A bare -f ("-f root" from cron) names a local user, not an address
	 * a smarthost takes from this account: the account's address goes,
	 * as with nullmailer's allmailfrom; without an account the name is
	 * qualified. */
	if (sender && sender[0] && !strchr(sender, '@')) {
		qual = acct && addr != fallback ? xstrdup(addr) : xasprintf("%s@%s", sender, domain);
		free(sender);
		sender = qual;
	}
	if (queue_env_set_sender(env, sender ? sender : addr, err) < 0 ||
	    queue_env_set_account(env, acct ? cfg_account_name(acct) : "", err) < 0 ||
	    set_dsn(o, env, err) < 0)
		goto out;

	/* The From an absent header gets is who the envelope says sent it,
	 * as sendmail does; a null sender leaves the account's address. */
	name = o->fullname ? o->fullname : acct ? cfg_get(acct, "name") : NULL;
	d = addr_domain(queue_env_sender(env));
	write_head(&h, end, domain, now, name, sender && sender[0] ? sender : addr,
		   d ? d : addr_domain(from) ? addr_domain(from) : host, body_out);
	if (h.body < end) {
		put_lf(body_out, h.body, (size_t)(end - h.body));
		if (end[-1] != '\n')
			buf_putc(body_out, '\n');
	}

	delay = cfg ? cfg_general_int(cfg, "send_delay", 0) : 0;
	if (delay < 0)
		delay = 0;
	queue_env_set_created(env, now);
	queue_env_set_next_attempt(env, o->at > now + delay ? o->at : now + delay);
	rc = 0;
out:
	strv_release(&hdr_rcpts);
	free(h.f);
	free(sender);
	free(from);
	free(fallback);
	return rc;
}

int enqueue_message(struct queue *q, const struct enqueue_opts *o, const struct cfg *cfg,
		    const char *in, size_t len, char **id_out, struct err *err)
{
	struct queue_env *env = queue_env_new();
	struct buf body = BUF_INIT;
	int rc;

	rc = enqueue_prepare(o, cfg, in, len, time(NULL), &body, env, err);
	if (rc == 0)
		rc = queue_add(q, body.data, body.len, env, id_out, err);
	if (rc == 0) {
		char *mid = msg_message_id_of(body.data, body.len);

		events_log("queued", queue_env_account(env), "id", queue_env_id(env), "message_id",
			   mid, "sender", queue_env_sender(env), (const char *)NULL);
		free(mid);
	}
	buf_release(&body);
	queue_env_free(env);
	return rc;
}
