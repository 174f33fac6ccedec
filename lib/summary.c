#include "config.h"

#include <string.h>

#include "ascii.h"
#include "summary.h"
#include "xalloc.h"

/* No string: the field stays NULL. */
#define NONE ((size_t)-1)

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Past the comment that starts at p ("(a (nested) \) one)"), or at the
 * end of the value when it is not closed. */
static const char *skip_comment(const char *p)
{
	size_t depth = 0;

	for (; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return p;
}

/* Past the quoted string that starts at p, or at the end of the value. */
static const char *skip_quoted(const char *p)
{
	for (p++; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return p;
}

/* p past a comment or quoted string that starts there, else p. */
static const char *skip_cq(const char *p)
{
	if (*p == '(')
		return skip_comment(p);
	if (*p == '"')
		return skip_quoted(p);
	return p;
}

/* Whether v has a '<' outside comments and quoted strings. */
static int has_bracket(const char *v)
{
	const char *q;

	while (*v) {
		q = skip_cq(v);
		if (q != v)
			v = q;
		else if (*v++ == '<')
			return 1;
	}
	return 0;
}

static int is_bare_sep(char c)
{
	return is_blank(c) || c == ',' || c == '(' || c == '"' || c == '\0';
}

/* Append the next bare id (a word with an '@') of *pp to out. */
static int next_bare(const char **pp, struct buf *out)
{
	const char *p = *pp, *start;

	while (*p) {
		start = skip_cq(p);
		if (start != p) {
			p = start;
			continue;
		}
		if (is_bare_sep(*p)) {
			p++;
			continue;
		}
		while (!is_bare_sep(*p))
			p++;
		if (memchr(start, '@', (size_t)(p - start))) {
			buf_append(out, start, (size_t)(p - start));
			*pp = p;
			return 1;
		}
	}
	*pp = p;
	return 0;
}

/* Append the next bracketed id of *pp to out, its blanks dropped; 0 when
 * there is none left.  A '<' inside an id starts it again ("<<a@b>>"). */
static int next_bracketed(const char **pp, struct buf *out)
{
	const char *p = *pp, *q;
	size_t start = out->len;

	while (*p) {
		q = skip_cq(p);
		if (q != p) {
			p = q;
			continue;
		}
		if (*p++ != '<')
			continue;
		for (; *p && *p != '>'; p++) {
			if (*p == '<')
				buf_truncate(out, start);
			else if (!is_blank(*p))
				buf_putc(out, *p);
		}
		if (!*p)
			break;
		p++;
		if (out->len > start) {
			*pp = p;
			return 1;
		}
	}
	buf_truncate(out, start);
	*pp = p;
	return 0;
}

static int next_id(const char **pp, int bare, struct buf *out)
{
	return bare ? next_bare(pp, out) : next_bracketed(pp, out);
}

/* The first id of v, NUL-terminated in out: its offset, or NONE. */
static size_t first_id(const char *v, struct buf *out)
{
	size_t off = out->len;

	if (!v || !next_id(&v, !has_bracket(v), out))
		return NONE;
	buf_putc(out, '\0');
	return off;
}

/* Whether the id at off is among the n at kept. */
static int kept_has(const struct buf *b, const size_t *kept, size_t n, size_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(b->data + kept[i], b->data + off) == 0)
			return 1;
	return 0;
}

/* The ids of v, each once, space-separated and NUL-terminated in out: its
 * offset, or NONE.  The ids are first laid out NUL-separated, then picked
 * from the end; past SUMMARY_REFS_MAX, the first (the thread's root) and
 * the newest stay. */
static size_t id_list(const char *v, struct buf *out)
{
	size_t kept[SUMMARY_REFS_MAX], nkept = 0, all = out->len, end, off, i;
	int bare;

	if (!v)
		return NONE;
	bare = !has_bracket(v);
	while (next_id(&v, bare, out))
		buf_putc(out, '\0');
	end = out->len;
	for (off = end; off > all && nkept < SUMMARY_REFS_MAX - 1;) {
		/* Back to the start of the id that ends at off - 1. */
		for (off--; off > all && out->data[off - 1] != '\0'; off--)
			;
		if (!kept_has(out, kept, nkept, off))
			kept[nkept++] = off;
	}
	if (off > all && !kept_has(out, kept, nkept, all))
		kept[nkept++] = all;
	if (nkept == 0)
		return NONE;
	/* No reallocation while copying from the buffer into itself. */
	buf_grow(out, end - all + 1);
	for (i = nkept; i-- > 0;) {
		buf_puts(out, out->data + kept[i]);
		buf_putc(out, i ? ' ' : '\0');
	}
	return end;
}

/* What read (first_id or id_list) finds in v, as a string of its own. */
static char *ids_alone(const char *v, size_t (*read)(const char *, struct buf *))
{
	struct buf b = BUF_INIT;
	size_t off = read(v, &b);
	char *s = off == NONE ? NULL : xstrdup(b.data + off);

	buf_release(&b);
	return s;
}

char *summary_first_id(const char *v)
{
	return ids_alone(v, first_id);
}

char *summary_id_list(const char *v)
{
	return ids_alone(v, id_list);
}

/* The mailboxes of header h: with name_off, offsets of the first one's
 * display name (else its address) and of its address (addr_off), "" when
 * there is none; with all_off, of every mailbox as lines "addr" or
 * "addr\tname" (NONE when there is none).  One parse serves both. */
static void read_addrs(const struct msg *m, const char *h, struct buf *out, size_t *name_off,
		       size_t *addr_off, size_t *all_off)
{
	struct addr_mbox *a = NULL;
	size_t n = msg_addrs(m, h, &a), i;
	const char *c;

	if (name_off) {
		*name_off = out->len;
		if (n)
			buf_puts(out, a[0].name && *a[0].name ? a[0].name : a[0].addr);
		buf_putc(out, '\0');
		*addr_off = out->len;
		if (n)
			buf_puts(out, a[0].addr);
		buf_putc(out, '\0');
	}
	if (all_off) {
		*all_off = n ? out->len : NONE;
		for (i = 0; i < n; i++) {
			if (i)
				buf_putc(out, '\n');
			buf_puts(out, a[i].addr);
			if (!a[i].name || !*a[i].name)
				continue;
			buf_putc(out, '\t');
			for (c = a[i].name; *c; c++)
				buf_putc(out, (unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c);
		}
		if (n)
			buf_putc(out, '\0');
	}
	if (n)
		addr_list_free(a, n);
}

int summary_list_post(const char *v, struct buf *out)
{
	const char *p, *e;

	if (!v)
		return 0;
	v += strspn(v, " \t\r\n");
	if (strlen(v) >= 2 && ascii_ieq(v, 2, "no") && (v[2] == '\0' || strchr(" \t\r\n(", v[2])))
		return -1;
	for (p = v; (p = strchr(p, '<')) != NULL; p++) {
		p += strspn(p + 1, " \t\r\n") + 1;
		if (strlen(p) < 7 || !ascii_ieq(p, 7, "mailto:"))
			continue;
		p += 7;
		for (e = p; *e && *e != '>' && *e != '?' && !is_blank(*e); e++)
			;
		if (e == p)
			continue;
		buf_append(out, p, (size_t)(e - p));
		return 1;
	}
	return 0;
}

/* The list of m: offset of List-Post's address, else of List-Id's id (what
 * stands in its <>, else the trimmed value), else NONE. */
static size_t list_of(const struct msg *m, struct buf *out)
{
	size_t off = out->len;
	const char *v = msg_header(m, "List-Id"), *lt, *gt;

	if (summary_list_post(msg_header(m, "List-Post"), out) == 1) {
		buf_putc(out, '\0');
		return off;
	}
	if (!v)
		return NONE;
	lt = strchr(v, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt && gt > lt + 1) {
		buf_append(out, lt + 1, (size_t)(gt - lt - 1));
	} else {
		v += strspn(v, " \t\r\n");
		for (gt = v + strlen(v); gt > v && is_blank(gt[-1]); gt--)
			;
		if (gt == v)
			return NONE;
		buf_append(out, v, (size_t)(gt - v));
	}
	buf_putc(out, '\0');
	return off;
}

static const char *at(const struct buf *b, size_t off)
{
	return off == NONE ? NULL : b->data + off;
}

void summary_read(const struct msg *m, struct buf *scratch, struct summary *out)
{
	size_t from, from_addr, to, to_addr, irt, refs, to_all, cc_all, list;
	const char *s;

	buf_reset(scratch);
	if (msg_date(m, &out->date) < 0)
		out->date = -1;
	s = msg_subject(m);
	out->subject = s ? s : "";
	out->message_id = msg_message_id(m);
	read_addrs(m, "From", scratch, &from, &from_addr, NULL);
	read_addrs(m, "To", scratch, &to, &to_addr, &to_all);
	read_addrs(m, "Cc", scratch, NULL, NULL, &cc_all);
	irt = first_id(msg_header(m, "In-Reply-To"), scratch);
	refs = id_list(msg_header(m, "References"), scratch);
	list = list_of(m, scratch);
	/* Pointers last: the buffer may have moved while it grew. */
	out->from = at(scratch, from);
	out->from_addr = at(scratch, from_addr);
	out->to = at(scratch, to);
	out->in_reply_to = at(scratch, irt);
	out->references = at(scratch, refs);
	out->to_all = at(scratch, to_all);
	out->cc_all = at(scratch, cc_all);
	out->list = at(scratch, list);
}
