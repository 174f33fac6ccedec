/*
 * enqueue: from caller input to a body and an envelope.  The input is
 * scanned once: the header block is split into fields by hand (we need
 * their exact bytes to drop Bcc and to refuse bare CR and NUL), and only the
 * address fields are handed to msg.h for parsing.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "codec.h"
#include "enqueue.h"
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

int enqueue_check_arg(const char *s, const char *what, struct err *err)
{
	if (strpbrk(s, "\r\n"))
		return err_set(err, EX_DATAERR, "%s contains a line break", what);
	return 0;
}

/* RFC 5322 atext, plus 8-bit bytes for internationalised addresses
 * (RFC 6531); blanks and controls never. */
static int is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int local_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	if (s[0] == '"') {
		/* A quoted local part, but without blanks: the envelope file
		 * and the SMTP command line both split on them. */
		if (n < 3 || s[n - 1] != '"')
			return 0;
		for (i = 1; i < n - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c <= ' ' || c == 0x7f)
				return 0;
			if (c == '\\') {
				if (++i >= n - 1 || (unsigned char)s[i] <= ' ')
					return 0;
			} else if (c == '"') {
				return 0;
			}
		}
		return 1;
	}
	if (s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int domain_valid(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 255)
		return 0;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return 0;
		for (i = 1; i < n - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '\\')
				return 0;
		}
		return 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!(c >= 0x80 || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

int enqueue_addr_valid(const char *addr, int allow_bare)
{
	const char *at = strrchr(addr, '@');

	if (!at)
		return allow_bare && addr[0] != '"' && local_valid(addr, strlen(addr));
	return local_valid(addr, (size_t)(at - addr)) && domain_valid(at + 1, strlen(at + 1));
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

	if (!enqueue_addr_valid(addr, 1))
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

	if (pw && pw->pw_name && enqueue_addr_valid(pw->pw_name, 1))
		return pw->pw_name;
	u = getenv("LOGNAME");
	if (!u || !enqueue_addr_valid(u, 1))
		u = getenv("USER");
	return u && enqueue_addr_valid(u, 1) ? u : "nobody";
}

static void host_name(char *host, size_t n)
{
	if (gethostname(host, n - 1) < 0 || host[0] == '\0' || !domain_valid(host, strlen(host)))
		snprintf(host, n, "localhost");
	host[n - 1] = '\0';
}

/* The domain of "local@domain", or NULL. */
static const char *addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}

/* "Name" for a From field: as it is when it is a plain atom sequence,
 * quoted when it holds specials, RFC 2047-encoded when it holds 8-bit or
 * control bytes. */
static void put_display_name(struct buf *out, const char *name)
{
	const unsigned char *p;
	int plain = 1, special = 0;

	for (p = (const unsigned char *)name; *p; p++) {
		if (*p < ' ' || *p >= 0x7f)
			plain = 0;
		else if (strchr("()<>[]:;@\\,.\"", *p))
			special = 1;
	}
	if (!plain) {
		codec_rfc2047_encode(name, strlen(name), out);
		return;
	}
	if (!special) {
		buf_puts(out, name);
		return;
	}
	buf_putc(out, '"');
	for (p = (const unsigned char *)name; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *p);
	}
	buf_putc(out, '"');
}

/* A unique Message-ID: the time plus 64 random bits, at the sender's
 * domain. */
static void put_message_id(struct buf *out, time_t now, const char *domain)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = ((unsigned long long)getpid() << 32) ^ (unsigned long long)clock();
	buf_printf(out, "Message-ID: <%lld.%016llx@%s>\n", (long long)now, r, domain);
}

static void put_date(struct buf *out, time_t now)
{
	char date[64];
	struct tm tm;

	localtime_r(&now, &tm);
	/* sendq never calls setlocale, so %a and %b are the English names
	 * RFC 5322 wants. */
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(out, "Date: %s\n", date);
}

/* The addr-specs of an address list as a sender wrote it (a recipient
 * argument or a To/Cc/Bcc value): entries split at commas outside quotes,
 * angle brackets and comments; "Name <addr>" gives addr; comments are
 * dropped; group syntax ("friends: a@x, b@y;", "undisclosed-recipients:;")
 * gives its members.  Nothing is repaired: what is left of an entry is
 * validated as it stands by take_rcpt, so a broken address is refused
 * instead of being read leniently the way msg.h reads mail for display. */
static void split_addrs(const char *list, struct strv *out)
{
	struct buf one = BUF_INIT, angle = BUF_INIT;
	const char *p = list;
	int quoted = 0, in_angle = 0, had_angle = 0, comment = 0, literal = 0;

	for (;; p++) {
		char c = *p;

		if (c == '\\' && (quoted || comment) && p[1]) {
			if (!comment)
				buf_append(in_angle ? &angle : &one, p, 2);
			p++;
			continue;
		}
		if (comment) {
			comment += c == '(' ? 1 : c == ')' ? -1 : 0;
			if (c)
				continue;
		}
		if (quoted && c && c != '"') {
			buf_putc(in_angle ? &angle : &one, c);
			continue;
		}
		/* A domain literal ("[IPv6:2001:db8::1]") holds colons. */
		if (literal && c && c != ']') {
			buf_putc(in_angle ? &angle : &one, c);
			continue;
		}
		if (c == '[' || c == ']')
			literal = c == '[';
		if (c == '"') {
			quoted = !quoted;
			buf_putc(in_angle ? &angle : &one, c);
		} else if (c == '(') {
			comment = 1;
		} else if (c == '<' && !in_angle) {
			in_angle = had_angle = 1;
			buf_reset(&angle);
		} else if (c == '>' && in_angle) {
			in_angle = 0;
		} else if (c == ':' && !in_angle) {
			/* A group's display name ends here; its members follow. */
			buf_reset(&one);
		} else if (c == ',' || c == ';' || c == '\0') {
			const char *a = had_angle ? angle.data : one.data;
			size_t n = had_angle ? angle.len : one.len;

			/* Folded fields keep their line breaks here. */
			while (n && memchr(" \t\r\n", *a, 4))
				a++, n--;
			while (n && memchr(" \t\r\n", a[n - 1], 4))
				n--;
			if (n || had_angle) {
				char *addr = xstrndup(a, n);

				strv_push(out, addr);
				free(addr);
			}
			buf_reset(&one);
			buf_reset(&angle);
			had_angle = in_angle = 0;
			if (!c)
				break;
		} else {
			buf_putc(in_angle ? &angle : &one, c);
		}
	}
	buf_release(&one);
	buf_release(&angle);
}

/* Every address of a recipient list, validated and added. */
static int take_rcpt_list(struct queue_env *env, const char *list, const char *domain,
			  struct err *err)
{
	struct strv addrs = STRV_INIT;
	size_t i;
	int rc = 0;

	split_addrs(list, &addrs);
	for (i = 0; i < addrs.n && rc == 0; i++)
		rc = take_rcpt(env, addrs.v[i], domain, err);
	strv_release(&addrs);
	return rc;
}

/* The addresses of the To/Cc/Bcc fields (when extract) into rcpts, as
 * split_addrs reads them, and the first From address into *from_out (NULL
 * when none; read leniently, it only picks the account). */
static int head_addrs(const struct head *h, int extract, struct strv *rcpts,
		      char **from_out, struct err *err)
{
	struct buf b = BUF_INIT;
	struct msg_addr *a = NULL;
	struct msg *m;
	size_t i, n;

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
		split_addrs(b.data, rcpts);
	}
	buf_reset(&b);
	buf_puts(&b, "From: ");
	for (i = 0; i < h->n; i++) {
		if (h->f[i].kind == F_FROM) {
			field_value(&h->f[i], &b);
			break;
		}
	}
	buf_puts(&b, "\n\n");
	m = msg_parse(b.data, b.len, MSG_HEADERS_ONLY);
	if (!m) {
		buf_release(&b);
		return err_set(err, EX_DATAERR, "cannot parse the message header");
	}
	n = msg_addrs(m, "From", &a);
	if (n > 0 && a[0].addr && a[0].addr[0])
		*from_out = xstrdup(a[0].addr);
	msg_addrs_free(a, n);
	msg_free(m);
	buf_release(&b);
	return 0;
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
		ok = local[0] && enqueue_addr_valid(local, 1);
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

int enqueue_prepare(const struct enqueue_opts *o, const struct cfg *cfg, const char *in,
		    size_t len, time_t now, struct buf *body_out, struct queue_env *env,
		    struct err *err)
{
	const struct cfg_account *acct = NULL;
	struct head h = { NULL, 0, 0, NULL, 0, { 0 } };
	struct strv hdr_rcpts = STRV_INIT;
	const char *p = in, *end = in + len, *domain, *addr, *name;
	char host[256], *sender = NULL, *from = NULL, *fallback = NULL, *qual;
	size_t i;
	long delay;
	int rc = -1;

	if (o->sender && enqueue_check_arg(o->sender, "sender (-f)", err) < 0)
		return -1;
	if (o->fullname && enqueue_check_arg(o->fullname, "full name (-F)", err) < 0)
		return -1;
	for (i = 0; i < o->nrcpts; i++) {
		if (enqueue_check_arg(o->rcpts[i], "recipient", err) < 0)
			return -1;
	}
	if (o->sender) {
		sender = strip_brackets(o->sender);
		if (sender[0] && !enqueue_addr_valid(sender, 1)) {
			err_set(err, EX_DATAERR, "bad sender address '%.200s'", sender);
			goto out;
		}
	}

	/* An mbox "From " line in front is a separator, not a header (sendmail
	 * and Postfix drop it too). */
	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', len);

		p = nl ? nl + 1 : end;
	}
	if (scan_head(p, end, &h, err) < 0)
		goto out;

	/* The account decides the sender and the domain of bare names, so it
	 * is chosen first: -A, else the From address, else -f, else the
	 * default. */
	if (o->account) {
		if (!cfg) {
			err_set(err, EX_CONFIG, "cannot use account '%s': no configuration file",
				o->account);
			goto out;
		}
		acct = cfg_account_find(cfg, o->account, err);
		if (!acct)
			goto out;
	}
	host_name(host, sizeof(host));
	if (head_addrs(&h, o->extract, &hdr_rcpts, &from, err) < 0)
		goto out;
	if (!acct && cfg && cfg_account_count(cfg) > 0) {
		if (from)
			acct = cfg_account_for_address(cfg, from);
		if (!acct && sender && strchr(sender, '@'))
			acct = cfg_account_for_address(cfg, sender);
		if (!acct && !(acct = cfg_account_find(cfg, NULL, err)))
			goto out;
	}
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
	if (!addr || !enqueue_addr_valid(addr, 0)) {
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
	    queue_env_set_account(env, acct ? cfg_account_name(acct) : "", err) < 0)
		goto out;

	for (i = 0; i < h.n; i++) {
		if (h.f[i].kind == F_BCC || h.f[i].kind == F_RBCC)
			continue;
		if ((h.f[i].kind == F_FROM || h.f[i].kind == F_TO || h.f[i].kind == F_CC) &&
		    qualify_field(&h.f[i], domain, body_out))
			continue;
		put_lf(body_out, h.f[i].start, (size_t)(h.f[i].end - h.f[i].start));
		if (h.f[i].end == end && end[-1] != '\n')
			buf_putc(body_out, '\n');
	}
	/* The From an absent header gets is who the envelope says sent it,
	 * as sendmail does; a null sender leaves the account's address. */
	if (!h.have[F_FROM]) {
		const char *fa = sender && sender[0] ? sender : addr;

		name = o->fullname ? o->fullname : acct ? cfg_get(acct, "name") : NULL;
		buf_puts(body_out, "From: ");
		if (name && name[0]) {
			put_display_name(body_out, name);
			buf_printf(body_out, " <%s>\n", fa);
		} else {
			buf_printf(body_out, "%s\n", fa);
		}
	}
	if (!h.have[F_DATE])
		put_date(body_out, now);
	if (!h.have[F_MSGID]) {
		const char *d = addr_domain(queue_env_sender(env));

		put_message_id(body_out, now, d ? d : addr_domain(from) ? addr_domain(from) : host);
	}
	buf_putc(body_out, '\n');
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
	buf_release(&body);
	queue_env_free(env);
	return rc;
}

/* --- sendmail -bs ---------------------------------------------------------- */

/* RFC 5321 4.5.3.1.6: a command line is at most 512 octets, a text line
 * 1000; a little slack for clients that count without CRLF. */
#define SMTP_LINE_MAX 2048

/* Read one line into b (without its line end).  Returns 1 for a line, 0 at
 * end of input; *too_long is set when the line was cut at max bytes. */
static int smtp_getline(FILE *in, struct buf *b, size_t max, int *too_long)
{
	int c;

	buf_reset(b);
	*too_long = 0;
	while ((c = getc(in)) != EOF) {
		if (c == '\n')
			break;
		if (b->len < max)
			buf_putc(b, c);
		else
			*too_long = 1;
	}
	if (c == EOF && b->len == 0)
		return 0;
	if (b->len > 0 && b->data[b->len - 1] == '\r')
		buf_truncate(b, b->len - 1);
	return 1;
}

static int reply(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int reply(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputs("\r\n", out);
	return fflush(out) == EOF ? -1 : 0;
}

/* The path of "MAIL FROM:<path> params" / "RCPT TO:<path>": the text after
 * the colon up to the first blank, brackets removed.  NULL when malformed. */
static char *smtp_path(const char *arg)
{
	const char *s = arg, *e;

	while (*s == ' ')
		s++;
	if (*s != '<')
		return NULL;
	e = strchr(s, '>');
	if (!e || (e[1] != '\0' && e[1] != ' '))
		return NULL;
	/* A source route "<@a,@b:user@c>" (RFC 5321 appendix C) is ignored,
	 * as the RFC allows. */
	if (s[1] == '@' && memchr(s, ':', (size_t)(e - s)))
		s = memchr(s, ':', (size_t)(e - s));
	return xstrndup(s + 1, (size_t)(e - s - 1));
}

struct smtp_tx {
	char *sender;        /* NULL until MAIL */
	char **rcpts;
	size_t nrcpts, cap;
};

static void tx_reset(struct smtp_tx *t)
{
	while (t->nrcpts > 0)
		free(t->rcpts[--t->nrcpts]);
	free(t->sender);
	t->sender = NULL;
}

/* Read DATA up to the "." line, dot-unstuffed, lines joined with LF.
 * Returns 0, or -1 at end of input before the "." (the transaction is
 * abandoned).  *too_big is set when ENQUEUE_MAX_SIZE was passed. */
static int smtp_data(FILE *in, struct buf *msg, int *too_big)
{
	struct buf line = BUF_INIT;
	int cut, rc = -1;

	*too_big = 0;
	/* Text lines are not cut at SMTP_LINE_MAX: clients send longer ones
	 * (HTML, base64 without breaks), and servers take them; only the
	 * message size is bounded. */
	while (smtp_getline(in, &line, ENQUEUE_MAX_SIZE, &cut)) {
		if (line.len == 1 && line.data[0] == '.') {
			rc = 0;
			break;
		}
		if (cut || msg->len > ENQUEUE_MAX_SIZE) {
			*too_big = 1;
			continue;
		}
		/* RFC 5321 4.5.2: a leading dot was doubled by the client. */
		if (line.data[0] == '.')
			buf_append(msg, line.data + 1, line.len - 1);
		else
			buf_append(msg, line.data, line.len);
		buf_putc(msg, '\n');
	}
	buf_release(&line);
	return rc;
}

static int is_verb(const char *line, const char *verb)
{
	size_t n = strlen(verb);

	return strncasecmp(line, verb, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

int enqueue_smtp(struct queue *q, const struct enqueue_opts *o, const struct cfg *cfg,
		 FILE *in, FILE *out, struct err *err)
{
	struct smtp_tx t = { NULL, NULL, 0, 0 };
	struct buf line = BUF_INIT, msg = BUF_INIT;
	struct enqueue_opts mo;
	struct err e2 = ERR_INIT;
	char host[256], *path, *id;
	int cut, big, rc = 0;

	host_name(host, sizeof(host));
	if (reply(out, "220 %s ESMTP sendq ready", host) < 0)
		goto write_fail;
	while (smtp_getline(in, &line, SMTP_LINE_MAX, &cut)) {
		if (cut) {
			rc = reply(out, "500 5.5.2 line too long");
		} else if (is_verb(line.data, "HELO")) {
			tx_reset(&t);
			rc = reply(out, "250 %s", host);
		} else if (is_verb(line.data, "EHLO")) {
			tx_reset(&t);
			rc = reply(out, "250-%s\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
				   "250 SIZE %lu", host, ENQUEUE_MAX_SIZE);
		} else if (strncasecmp(line.data, "MAIL FROM:", 10) == 0) {
			if (t.sender) {
				rc = reply(out, "503 5.5.1 sender already given");
			} else if (!(path = smtp_path(line.data + 10))) {
				rc = reply(out, "501 5.5.4 syntax: MAIL FROM:<address>");
			} else if (path[0] && !enqueue_addr_valid(path, 0)) {
				free(path);
				rc = reply(out, "553 5.1.7 bad sender address");
			} else {
				t.sender = path;
				rc = reply(out, "250 2.1.0 ok");
			}
		} else if (strncasecmp(line.data, "RCPT TO:", 8) == 0) {
			if (!t.sender) {
				rc = reply(out, "503 5.5.1 MAIL first");
			} else if (!(path = smtp_path(line.data + 8))) {
				rc = reply(out, "501 5.5.4 syntax: RCPT TO:<address>");
			} else if (!enqueue_addr_valid(path, 1)) {
				free(path);
				rc = reply(out, "553 5.1.3 bad recipient address");
			} else {
				if (t.nrcpts == t.cap) {
					t.cap = t.cap ? 2 * t.cap : 8;
					t.rcpts = xreallocarray(t.rcpts, t.cap, sizeof(*t.rcpts));
				}
				t.rcpts[t.nrcpts++] = path;
				rc = reply(out, "250 2.1.5 ok");
			}
		} else if (is_verb(line.data, "DATA")) {
			if (!t.sender) {
				rc = reply(out, "503 5.5.1 MAIL first");
				goto next;
			}
			if (t.nrcpts == 0) {
				rc = reply(out, "554 5.5.1 no valid recipients");
				goto next;
			}
			if (reply(out, "354 end data with <CR><LF>.<CR><LF>") < 0)
				goto write_fail;
			buf_reset(&msg);
			if (smtp_data(in, &msg, &big) < 0) {
				/* The client is gone; nothing was queued, and the
				 * status says so (sendmail: 421 unexpected close). */
				err_set(err, EX_TEMPFAIL, "input ended in the middle of a message; "
					"nothing queued");
				tx_reset(&t);
				free(t.rcpts);
				buf_release(&line);
				buf_release(&msg);
				return -1;
			}
			if (big) {
				rc = reply(out, "552 5.3.4 message larger than %lu bytes",
					   ENQUEUE_MAX_SIZE);
				tx_reset(&t);
				goto next;
			}
			mo = *o;
			mo.extract = 0;
			mo.sender = t.sender;
			mo.rcpts = t.rcpts;
			mo.nrcpts = t.nrcpts;
			err_clear(&e2);
			id = NULL;
			if (enqueue_message(q, &mo, cfg, msg.data, msg.len, &id, &e2) == 0)
				rc = reply(out, "250 2.0.0 ok: queued as %s", id);
			else if (err_is_temp(&e2))
				rc = reply(out, "451 4.3.0 %s", e2.msg);
			else
				rc = reply(out, "554 5.6.0 %s", e2.msg);
			free(id);
			tx_reset(&t);
		} else if (is_verb(line.data, "RSET")) {
			tx_reset(&t);
			rc = reply(out, "250 2.0.0 ok");
		} else if (is_verb(line.data, "NOOP")) {
			rc = reply(out, "250 2.0.0 ok");
		} else if (is_verb(line.data, "VRFY")) {
			rc = reply(out, "252 2.1.5 cannot verify, but will accept the message");
		} else if (is_verb(line.data, "HELP")) {
			rc = reply(out, "214 2.0.0 HELO EHLO MAIL RCPT DATA RSET NOOP QUIT");
		} else if (is_verb(line.data, "QUIT")) {
			rc = reply(out, "221 2.0.0 bye");
			break;
		} else {
			rc = reply(out, "500 5.5.2 command not recognised");
		}
next:
		if (rc < 0)
			goto write_fail;
	}
	tx_reset(&t);
	free(t.rcpts);
	buf_release(&line);
	buf_release(&msg);
	return rc < 0 ? err_sys(err, EX_IOERR, "cannot write the SMTP reply") : 0;

write_fail:
	tx_reset(&t);
	free(t.rcpts);
	buf_release(&line);
	buf_release(&msg);
	return err_sys(err, EX_IOERR, "cannot write the SMTP reply");
}
