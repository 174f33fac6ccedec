/*
 * addr: reading and writing mail addresses.  The lenient reader follows
 * Python's email.headerregistry (the reference `spool show --json` is
 * checked against); the strict splitter and addr_valid() are for mail we
 * send, where a broken address must be refused rather than guessed at.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "addr.h"
#include "ascii.h"
#include "codec.h"
#include "xalloc.h"

/* A switch rather than strchr() over the specials: this runs for every
 * byte of every address field an index summarises. */
static int atom_char(int c)
{
	switch (c) {
	case '\0': case '(': case ')': case '<': case '>': case '@': case ',': case ':':
	case ';': case '.': case '\\': case '"': case '[': case ']': case ' ': case '\t':
	case '\r': case '\n':
		return 0;
	default:
		return 1;
	}
}

const char *addr_skip_cfws(const char *p, const char *e)
{
	for (;;) {
		while (p < e && (ascii_is_wsp((unsigned char)*p) || *p == '\r' || *p == '\n'))
			p++;
		if (p < e && *p == '(') {
			int depth = 0;

			while (p < e) {
				if (*p == '\\' && p + 1 < e) {
					p += 2;
					continue;
				}
				if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
				p++;
			}
			continue;
		}
		return p;
	}
}

/* ---- reading, as mail readers do ---- */

/*
 * An RFC 5322 address-list reader with the recovery of Python's
 * headerregistry: "Doe, John <j@x>" is two entries, text after an address
 * up to the next comma is ignored, an address without '@' keeps its local
 * part, a group contributes its members.  Display names: comments and runs
 * of blanks collapse to one space, quoted strings are unescaped, encoded
 * words decoded.  Unlike Python, blanks between two adjacent encoded words
 * in a display name are dropped, as RFC 2047 section 6.2 requires.
 */

enum tok {
	T_WS, T_COMMENT, T_QS, T_ATOM, T_DOT, T_LT, T_GT, T_AT, T_COMMA, T_COLON,
	T_SEMI, T_LIT, T_OTHER,
};

struct token {
	enum tok t;
	const char *s;    /* T_QS: the content between the quotes, escapes kept */
	size_t n;
};


static size_t tokenize(const char *v, struct token **out)
{
	const char *p = v;
	struct token *t = NULL;
	size_t n = 0, cap = 0;

	while (*p) {
		struct token k;
		const char *q = p;

		if (ascii_is_wsp((unsigned char)*p) || *p == '\r' || *p == '\n') {
			while (ascii_is_wsp((unsigned char)*q) || *q == '\r' || *q == '\n')
				q++;
			k.t = T_WS;
		} else if (*p == '(') {
			q = addr_skip_cfws(p, p + strlen(p));
			k.t = T_COMMENT;
		} else if (*p == '"') {
			for (q = p + 1; *q && *q != '"'; q++)
				if (*q == '\\' && q[1])
					q++;
			k.t = T_QS;
			k.s = p + 1;
			k.n = (size_t)(q - p - 1);
			if (*q)
				q++;
		} else if (*p == '[') {
			while (*q && *q != ']')
				q++;
			if (*q)
				q++;
			k.t = T_LIT;
		} else if (atom_char((unsigned char)*p) || *p == '\\') {
			/* a stray backslash stays in the word (obs-local-part) */
			while (atom_char((unsigned char)*q) || *q == '\\')
				q++;
			k.t = T_ATOM;
		} else {
			q = p + 1;
			switch (*p) {
			case '.': k.t = T_DOT; break;
			case '<': k.t = T_LT; break;
			case '>': k.t = T_GT; break;
			case '@': k.t = T_AT; break;
			case ',': k.t = T_COMMA; break;
			case ':': k.t = T_COLON; break;
			case ';': k.t = T_SEMI; break;
			default: k.t = T_OTHER; break;
			}
		}
		if (k.t != T_QS) {
			k.s = p;
			k.n = (size_t)(q - p);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			t = xreallocarray(t, cap, sizeof(*t));
		}
		t[n++] = k;
		p = q;
	}
	*out = t;
	return n;
}

static void qs_content(const struct token *k, struct buf *out)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (k->s[i] == '\\' && i + 1 < k->n)
			i++;
		buf_putc(out, k->s[i]);
	}
}

struct alist {
	struct addr_mbox *v;
	size_t n, cap;
	const struct token *t;
	size_t nt;
};

static int is_cfws(const struct token *k)
{
	return k->t == T_WS || k->t == T_COMMENT;
}

static size_t skip_ws(const struct alist *a, size_t i)
{
	while (i < a->nt && is_cfws(&a->t[i]))
		i++;
	return i;
}

/* A phrase: words, dots (obs-phrase) and CFWS. */
static size_t phrase_end(const struct alist *a, size_t i)
{
	while (i < a->nt && (is_cfws(&a->t[i]) || a->t[i].t == T_ATOM ||
			     a->t[i].t == T_QS || a->t[i].t == T_DOT))
		i++;
	return i;
}

static char *display_name(const struct alist *a, size_t i, size_t e)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	int pend = 0;

	for (; i < e; i++) {
		const struct token *k = &a->t[i];

		if (is_cfws(k)) {
			pend = raw.len > 0;
			continue;
		}
		if (pend)
			buf_putc(&raw, ' ');
		pend = 0;
		if (k->t == T_QS)
			qs_content(k, &raw);
		else
			buf_append(&raw, k->s, k->n);
	}
	if (!raw.len) {
		buf_release(&raw);
		return NULL;
	}
	codec_header_decode(raw.data, raw.len, &out);
	buf_release(&raw);
	return buf_detach(&out, NULL);
}

/* addr-spec from token i: local part, '@', domain.  Returns the index
 * after it; *addr_out gets "local@domain" (or the local part alone), NULL
 * when there is no valid addr-spec. */
static size_t addr_spec(const struct alist *a, size_t i, char **addr_out)
{
	struct buf lp = BUF_INIT, dom = BUF_INIT, out = BUF_INIT, dec = BUF_INIT;
	int pend = 0, quote = 0, bad = 0;
	size_t j;

	i = skip_ws(a, i);
	for (; i < a->nt; i++) {
		const struct token *k = &a->t[i];

		if (is_cfws(k)) {
			pend = lp.len > 0;
			continue;
		}
		if (k->t != T_ATOM && k->t != T_QS && k->t != T_DOT)
			break;
		/* blanks around dots vanish, between words they stay one */
		if (pend && k->t != T_DOT && lp.len && lp.data[lp.len - 1] != '.')
			buf_putc(&lp, ' ');
		pend = 0;
		if (k->t == T_QS)
			qs_content(k, &lp);
		else
			buf_append(&lp, k->s, k->n);
	}
	if (i < a->nt && a->t[i].t == T_AT) {
		/* dot-atom or literal, blanks allowed around the dots; like
		 * Python, a dangling dot or a second '@' spoils the address */
		size_t w = skip_ws(a, i + 1);

		if (!lp.len)
			bad = 1;
		if (w < a->nt && a->t[w].t == T_LIT) {
			buf_append(&dom, a->t[w].s, a->t[w].n);
			i = w + 1;
		} else if (w < a->nt && a->t[w].t == T_ATOM && a->t[w].s[0] != '\\') {
			const char *bs = memchr(a->t[w].s, '\\', a->t[w].n);

			/* a backslash ends a domain word; the rest is junk */
			buf_append(&dom, a->t[w].s, bs ? (size_t)(bs - a->t[w].s) : a->t[w].n);
			i = w + 1;
			for (; !bs;) {
				w = skip_ws(a, i);
				if (w >= a->nt || a->t[w].t != T_DOT)
					break;
				w = skip_ws(a, w + 1);
				if (w >= a->nt || a->t[w].t != T_ATOM || a->t[w].s[0] == '\\') {
					bad = 1;
					break;
				}
				bs = memchr(a->t[w].s, '\\', a->t[w].n);
				buf_putc(&dom, '.');
				buf_append(&dom, a->t[w].s, bs ? (size_t)(bs - a->t[w].s) : a->t[w].n);
				i = w + 1;
			}
		} else {
			bad = 1;
		}
		w = skip_ws(a, i);
		if (w < a->nt && a->t[w].t == T_AT)
			bad = 1;
	} else if (!lp.len) {
		bad = 1;
	}
	if (memmem(lp.data, lp.len, "=?", 2)) {
		codec_header_decode(lp.data, lp.len, &dec);
		buf_reset(&lp);
		buf_append(&lp, dec.data, dec.len);
	}
	for (j = 0; j < lp.len; j++)
		if (strchr("()<>@,:;\\\"[] \t", lp.data[j]) && lp.data[j])
			quote = 1;
	if (quote) {
		buf_putc(&out, '"');
		for (j = 0; j < lp.len; j++) {
			if (lp.data[j] == '\\' || lp.data[j] == '"')
				buf_putc(&out, '\\');
			buf_putc(&out, lp.data[j]);
		}
		buf_putc(&out, '"');
	} else {
		buf_append(&out, lp.data, lp.len);
	}
	if (lp.len && dom.len) {
		buf_putc(&out, '@');
		buf_append(&out, dom.data, dom.len);
	}
	buf_release(&lp);
	buf_release(&dom);
	buf_release(&dec);
	if (bad) {
		buf_release(&out);
		*addr_out = NULL;
		return i;
	}
	{
		struct buf clean = BUF_INIT;

		codec_to_utf8("utf-8", out.data, out.len, &clean);
		buf_release(&out);
		*addr_out = buf_detach(&clean, NULL);
	}
	return i;
}

static void alist_add(struct alist *a, char *name, char *addr)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n].name = name;
	a->v[a->n].addr = addr;
	a->n++;
}

/* One mailbox at i; returns the index after it (junk not consumed).  When
 * the address in angle brackets is unusable, Python reads the whole thing
 * as an addr-spec instead ("Ann Lee <a@b.>" gives "Ann Lee" without a
 * domain); when nothing is usable the entry has the empty address. */
static size_t mailbox(struct alist *a, size_t i)
{
	size_t j = phrase_end(a, i), k = skip_ws(a, j);
	char *addr = NULL;

	if (k < a->nt && a->t[k].t == T_LT) {
		size_t r;

		k = skip_ws(a, k + 1);
		if (k < a->nt && a->t[k].t == T_GT) {
			alist_add(a, display_name(a, i, j), xstrdup(""));
			return k + 1;
		}
		/* obs-route "@a,@b:" before the address */
		if (k < a->nt && a->t[k].t == T_AT) {
			r = k;
			while (r < a->nt && a->t[r].t != T_COLON && a->t[r].t != T_GT)
				r++;
			if (r < a->nt && a->t[r].t == T_COLON)
				k = r + 1;
		}
		k = addr_spec(a, k, &addr);
		if (addr) {
			k = skip_ws(a, k);
			if (k < a->nt && a->t[k].t == T_GT)
				k++;
			alist_add(a, display_name(a, i, j), addr);
			return k;
		}
	}
	k = addr_spec(a, i, &addr);
	alist_add(a, NULL, addr ? addr : xstrdup(""));
	return k;
}

static size_t skip_junk(const struct alist *a, size_t i, int in_group)
{
	while (i < a->nt && a->t[i].t != T_COMMA && !(in_group && a->t[i].t == T_SEMI))
		i++;
	return i;
}

size_t addr_parse_list(const char *v, struct addr_mbox **out)
{
	struct alist a = { NULL, 0, 0, NULL, 0 };
	struct token *t;
	size_t i = 0;

	*out = NULL;
	if (!v)
		return 0;
	a.nt = tokenize(v, &t);
	a.t = t;
	while (i < a.nt) {
		size_t j;

		i = skip_ws(&a, i);
		if (i >= a.nt)
			break;
		if (a.t[i].t == T_COMMA) {
			i++;
			continue;
		}
		j = skip_ws(&a, phrase_end(&a, i));
		/* Python accepts a group with an empty display name. */
		if (j < a.nt && a.t[j].t == T_COLON) {
			/* group: display-name ":" [mailbox-list] ";" */
			i = j + 1;
			while (i < a.nt) {
				i = skip_ws(&a, i);
				if (i >= a.nt)
					break;
				if (a.t[i].t == T_SEMI) {
					i++;
					break;
				}
				if (a.t[i].t == T_COMMA) {
					i++;
					continue;
				}
				i = skip_junk(&a, mailbox(&a, i), 1);
			}
			i = skip_junk(&a, i, 0);
			continue;
		}
		i = skip_junk(&a, mailbox(&a, i), 0);
	}
	free(t);
	*out = a.v;
	return a.n;
}

void addr_list_free(struct addr_mbox *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].addr);
	}
	free(v);
}


/* ---- splitting, as a sender wrote it ---- */

static void mbox_push(struct addr_mbox **v, size_t *n, const char *a, size_t len)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].name = NULL;
	(*v)[*n].addr = xstrndup(a, len);
	(*n)++;
}

void addr_split(const char *list, struct addr_mbox **v, size_t *n)
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
			size_t len = had_angle ? angle.len : one.len;

			/* Folded fields keep their line breaks here. */
			while (len && memchr(" \t\r\n", *a, 4))
				a++, len--;
			while (len && memchr(" \t\r\n", a[len - 1], 4))
				len--;
			if (len || had_angle)
				mbox_push(v, n, a ? a : "", len);
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

/* ---- envelope checks ---- */

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

int addr_domain_valid(const char *s)
{
	return domain_valid(s, strlen(s));
}

/* An address must survive a round trip through one "key value" line of
 * the queue and be usable in MAIL FROM / RCPT TO as it stands. */
static int envelope_safe(const char *a)
{
	const unsigned char *p;
	const char *at = strrchr(a, '@');

	if (!at || at == a || at[1] == '\0')
		return 0;
	for (p = (const unsigned char *)a; *p; p++) {
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
	}
	return 1;
}

int addr_valid(const char *addr, unsigned flags)
{
	const char *at = strrchr(addr, '@');

	if (!(flags & ADDR_SYNTAX))
		return envelope_safe(addr);
	if (!at)
		return (flags & ADDR_BARE) && addr[0] != '"' && local_valid(addr, strlen(addr));
	return local_valid(addr, (size_t)(at - addr)) && domain_valid(at + 1, strlen(at + 1));
}

const char *addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}

int addr_check_arg(const char *s, const char *what, struct err *err)
{
	if (strpbrk(s, "\r\n"))
		return err_set(err, EX_DATAERR, "%s contains a line break", what);
	return 0;
}

/* ---- writing ---- */

static const char specials[] = "()<>[]:;@\\,.\"";

void addr_put_quoted(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

void addr_put_name(struct buf *out, const char *name, unsigned flags)
{
	int ew = !(flags & ADDR_UTF8) && codec_rfc2047_needed(name);
	int special = strpbrk(name, specials) != NULL;

	if (!ew && !special) {
		buf_puts(out, name);
	} else if (!ew) {
		addr_put_quoted(out, name);
	} else if (!special) {
		codec_rfc2047_encode(name, strlen(name), out);
	} else {
		/* codec_rfc2047_encode leaves plain words readable, and a
		 * comma in one ("Pütri, Ana") would split the mailbox. */
		codec_rfc2047_encode_b(name, strlen(name), out);
	}
}

void addr_put_mbox(struct buf *out, const char *name, const char *addr, unsigned flags)
{
	if (name && name[0]) {
		addr_put_name(out, name, flags);
		buf_printf(out, " <%s>", addr);
	} else {
		buf_puts(out, addr);
	}
}

void addr_put_message_id(struct buf *out, time_t now, const char *unique, const char *domain)
{
	unsigned long long r = 0;

	if (unique) {
		buf_printf(out, "<%lld.%s@%s>", (long long)now, unique, domain);
		return;
	}
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = ((unsigned long long)getpid() << 32) ^ (unsigned long long)clock() ^
		    (unsigned long long)time(NULL);
	buf_printf(out, "<%lld.%016llx@%s>", (long long)now, r, domain);
}
