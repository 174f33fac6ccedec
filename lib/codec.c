#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "buf.h"
#include "codec.h"

#define REPLACEMENT "\xef\xbf\xbd"  /* U+FFFD in UTF-8 */

/*
 * Output in small batches: the decoders work byte by byte, and going
 * through buf_append() for every byte would dominate their cost.
 */
struct sink {
	struct buf *out;
	size_t n;
	char tmp[512];
};

static void sink_init(struct sink *s, struct buf *out)
{
	s->out = out;
	s->n = 0;
}

static void sink_flush(struct sink *s)
{
	if (s->n)
		buf_append(s->out, s->tmp, s->n);
	s->n = 0;
}

static void sink_putc(struct sink *s, unsigned char c)
{
	if (s->n == sizeof(s->tmp))
		sink_flush(s);
	s->tmp[s->n++] = (char)c;
}

static void sink_put(struct sink *s, const void *p, size_t n)
{
	if (n > sizeof(s->tmp) - s->n) {
		sink_flush(s);
		if (n >= sizeof(s->tmp)) {
			buf_append(s->out, p, n);
			return;
		}
	}
	memcpy(s->tmp + s->n, p, n);
	s->n += n;
}

/* Append a code point below U+10000 (all the single-byte tables need). */
static void sink_cp(struct sink *s, unsigned cp)
{
	unsigned char u[3];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	sink_put(s, u, n);
}

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* ---- UTF-8 ---- */

/*
 * Length of the well-formed UTF-8 sequence at p (n > 0 bytes there), or 0
 * when it is ill-formed; then *bad_out is the length of the maximal
 * ill-formed subpart (Unicode 15, 3.9 U+FFFD substitution), which is what
 * Python's errors='replace' replaces with one U+FFFD.  The byte ranges are
 * Table 3-7, which excludes overlongs, surrogates and > U+10FFFF.
 */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *bad_out)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		*bad_out = 1;
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*bad_out = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return need + 1;
}

/* The code point of a well-formed multi-byte sequence of n (2..4) bytes. */
static unsigned utf8_cp(const unsigned char *p, size_t n)
{
	unsigned cp;
	size_t i;

	cp = p[0] & (0x7F >> n);
	for (i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3F);
	return cp;
}

int codec_utf8_valid(const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, n, bad;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i, &bad);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

/* Copy UTF-8, replacing each maximal ill-formed subpart by U+FFFD. */
static void put_utf8(struct sink *s, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, start = 0, n, bad;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i, &bad);
		if (n) {
			i += n;
			continue;
		}
		sink_put(s, p + start, i - start);
		sink_put(s, REPLACEMENT, 3);
		i += bad;
		start = i;
	}
	sink_put(s, p + start, i - start);
}

/* ---- single-byte charsets we decode ourselves ---- */

/* windows-1252 0x80..0x9F; 0 marks the five undefined bytes (U+FFFD, as
 * Python's cp1252 with errors='replace'). */
static const unsigned short cp1252_c1[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static void put_single(struct sink *s, const char *in, size_t len, int cp1252)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		unsigned cp = p[i];

		if (cp < 0x80)
			continue;
		sink_put(s, p + start, i - start);
		start = i + 1;
		if (cp1252 && cp < 0xA0)
			cp = cp1252_c1[cp - 0x80] ? cp1252_c1[cp - 0x80] : 0xFFFD;
		sink_cp(s, cp);
	}
	sink_put(s, p + start, len - start);
}

/* No (usable) label: UTF-8 if the bytes say so, else the charset that
 * unlabelled Western mail is in practice. */
static void put_guess(struct sink *s, const char *in, size_t len)
{
	if (codec_utf8_valid(in, len))
		sink_put(s, in, len);
	else
		put_single(s, in, len, 1);
}

/* ---- charset names ---- */

enum cs_kind { CS_GUESS, CS_UTF8, CS_ASCII, CS_LATIN1, CS_CP1252, CS_ICONV };

struct cs_alias {
	const char *name;      /* lower case */
	enum cs_kind kind;
	const char *iconv;     /* CS_ICONV: the name iconv is asked for */
};

static const struct cs_alias cs_aliases[] = {
	{ "utf-8", CS_UTF8, NULL },
	{ "utf8", CS_UTF8, NULL },
	{ "x-utf-8", CS_UTF8, NULL },
	{ "unicode-1-1-utf-8", CS_UTF8, NULL },
	/* Python's own aliases (encodings.aliases) */
	{ "utf_8", CS_UTF8, NULL },
	{ "u8", CS_UTF8, NULL },
	{ "utf", CS_UTF8, NULL },
	{ "cp65001", CS_UTF8, NULL },
	{ "utf8-ucs2", CS_UTF8, NULL },
	{ "utf8-ucs4", CS_UTF8, NULL },
	{ "us-ascii", CS_ASCII, NULL },
	{ "ascii", CS_ASCII, NULL },
	{ "us", CS_ASCII, NULL },
	{ "ansi_x3.4-1968", CS_ASCII, NULL },
	{ "ansi_x3.4-1986", CS_ASCII, NULL },
	{ "iso646-us", CS_ASCII, NULL },
	{ "iso_646.irv:1991", CS_ASCII, NULL },
	{ "iso-ir-6", CS_ASCII, NULL },
	{ "csascii", CS_ASCII, NULL },
	{ "cp367", CS_ASCII, NULL },
	{ "ibm367", CS_ASCII, NULL },
	{ "us_ascii", CS_ASCII, NULL },
	{ "646", CS_ASCII, NULL },
	{ "ansi_x3_4_1968", CS_ASCII, NULL },
	{ "iso-8859-1", CS_LATIN1, NULL },
	{ "iso8859-1", CS_LATIN1, NULL },
	{ "iso_8859-1", CS_LATIN1, NULL },
	{ "iso_8859-1:1987", CS_LATIN1, NULL },
	{ "iso88591", CS_LATIN1, NULL },
	{ "latin1", CS_LATIN1, NULL },
	{ "latin-1", CS_LATIN1, NULL },
	{ "l1", CS_LATIN1, NULL },
	{ "iso-ir-100", CS_LATIN1, NULL },
	{ "csisolatin1", CS_LATIN1, NULL },
	{ "cp819", CS_LATIN1, NULL },
	{ "ibm819", CS_LATIN1, NULL },
	{ "windows-1252", CS_CP1252, NULL },
	{ "cp1252", CS_CP1252, NULL },
	{ "x-cp1252", CS_CP1252, NULL },
	{ "cp-1252", CS_CP1252, NULL },
	{ "win-1252", CS_CP1252, NULL },
	{ "windows1252", CS_CP1252, NULL },
	{ "x-unknown", CS_GUESS, NULL },
	{ "unknown-8bit", CS_GUESS, NULL },
	{ "unknown", CS_GUESS, NULL },
	{ "x-user-defined", CS_GUESS, NULL },
	{ "default", CS_GUESS, NULL },
	/* Supersets, as mail readers use them: senders label the superset's
	 * extra characters with the subset's name. */
	{ "gb2312", CS_ICONV, "GB18030" },
	{ "csgb2312", CS_ICONV, "GB18030" },
	{ "euc-cn", CS_ICONV, "GB18030" },
	{ "x-euc-cn", CS_ICONV, "GB18030" },
	{ "gbk", CS_ICONV, "GB18030" },
	{ "x-gbk", CS_ICONV, "GB18030" },
	{ "cp936", CS_ICONV, "GB18030" },
	{ "ks_c_5601-1987", CS_ICONV, "CP949" },
	{ "ks_c_5601-1989", CS_ICONV, "CP949" },
	{ "ks_c_5601", CS_ICONV, "CP949" },
	{ "ksc5601", CS_ICONV, "CP949" },
	{ "euc-kr", CS_ICONV, "CP949" },
	{ "windows-949", CS_ICONV, "CP949" },
	/* Shift_JIS is read as CP932, which keeps 0x5C a backslash (glibc's
	 * SHIFT_JIS makes it YEN SIGN) and knows the NEC and IBM characters
	 * senders use under this name; put_iconv() then gives the six
	 * JIS X 0208 characters CP932 maps elsewhere (WAVE DASH...) the code
	 * points Python's shift_jis gives them.  "SJIS-PY" is that recipe. */
	{ "shift_jis", CS_ICONV, "SJIS-PY" },
	{ "shift-jis", CS_ICONV, "SJIS-PY" },
	{ "sjis", CS_ICONV, "SJIS-PY" },
	{ "x-sjis", CS_ICONV, "SJIS-PY" },
	{ "csshiftjis", CS_ICONV, "SJIS-PY" },
	{ "ms_kanji", CS_ICONV, "CP932" },
	{ "windows-31j", CS_ICONV, "CP932" },
	{ "x-euc-jp", CS_ICONV, "EUC-JP" },
	/* RFC 1556 "-i": implicit directionality, same bytes. */
	{ "iso-8859-8-i", CS_ICONV, "ISO-8859-8" },
	{ "iso-8859-8-e", CS_ICONV, "ISO-8859-8" },
	{ "iso-8859-6-i", CS_ICONV, "ISO-8859-6" },
	{ "iso-8859-6-e", CS_ICONV, "ISO-8859-6" },
	{ "x-mac-roman", CS_ICONV, "MACINTOSH" },
	{ "macroman", CS_ICONV, "MACINTOSH" },
	{ "mac", CS_ICONV, "MACINTOSH" },
	{ "x-mac", CS_ICONV, "MACINTOSH" },
	{ "unicode-1-1-utf-7", CS_ICONV, "UTF-7" },
};

/*
 * Classify a charset label.  For CS_ICONV, *name_out is the name for
 * iconv_open(), written to key (size keysz) when it is the label itself.
 * Labels with characters no charset name has (notably "/", which would
 * pass //TRANSLIT-style options to iconv) or absurd lengths are unknown.
 */
static enum cs_kind cs_classify(const char *label, char *key, size_t keysz,
				const char **name_out)
{
	size_t n, i, k;

	*name_out = NULL;
	if (!label)
		return CS_GUESS;
	n = strlen(label);
	while (n && (is_blank((unsigned char)label[n - 1]) || label[n - 1] == '"'))
		n--;
	i = 0;
	while (i < n && (is_blank((unsigned char)label[i]) || label[i] == '"'))
		i++;
	if (i == n || n - i >= keysz)
		return CS_GUESS;
	for (k = 0; i < n; i++, k++) {
		unsigned char c = (unsigned char)label[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
			return CS_GUESS;
		key[k] = (char)c;
	}
	key[k] = '\0';
	for (i = 0; i < sizeof(cs_aliases) / sizeof(cs_aliases[0]); i++) {
		if (strcmp(cs_aliases[i].name, key) == 0) {
			*name_out = cs_aliases[i].iconv;
			return cs_aliases[i].kind;
		}
	}
	/* Python normalises '-' and '_' alike ("iso8859_1", "windows_1252",
	 * "koi8_r"); iconv knows the hyphenated names. */
	if (strchr(key, '_')) {
		for (k = 0; key[k]; k++)
			if (key[k] == '_')
				key[k] = '-';
		for (i = 0; i < sizeof(cs_aliases) / sizeof(cs_aliases[0]); i++) {
			if (strcmp(cs_aliases[i].name, key) == 0) {
				*name_out = cs_aliases[i].iconv;
				return cs_aliases[i].kind;
			}
		}
	}
	*name_out = key;
	return CS_ICONV;
}

/*
 * iconv descriptors are costly to open (glibc loads a gconv module), and a
 * mailbox uses few charsets, so keep the last few, failures included so a
 * bogus label is not retried per message.  Single-threaded by contract.
 */
#define CD_CACHE 8
static struct {
	char name[48];
	iconv_t cd;
} cd_cache[CD_CACHE];
static unsigned cd_used, cd_next;

/* name is shorter than cd_cache[].name: cs_classify() bounds it. */
static iconv_t cd_get(const char *name)
{
	unsigned i;
	iconv_t cd;

	for (i = 0; i < cd_used; i++)
		if (strcmp(cd_cache[i].name, name) == 0)
			return cd_cache[i].cd;
	cd = iconv_open("UTF-8", name);
	if (cd_used < CD_CACHE) {
		i = cd_used++;
	} else {
		i = cd_next;
		cd_next = (cd_next + 1) % CD_CACHE;
		if (cd_cache[i].cd != (iconv_t)-1)
			iconv_close(cd_cache[i].cd);
	}
	memcpy(cd_cache[i].name, name, strlen(name) + 1);
	cd_cache[i].cd = cd;
	return cd;
}

/* Convert with iconv; an invalid byte becomes U+FFFD and conversion goes
 * on after it, an incomplete sequence at the end becomes one U+FFFD. */
/* CP932 output with the JIS X 0208 characters CP932 maps to other code
 * points given Python's shift_jis ones: FULLWIDTH TILDE -> WAVE DASH,
 * PARALLEL TO -> DOUBLE VERTICAL LINE, FULLWIDTH HYPHEN-MINUS -> MINUS
 * SIGN, FULLWIDTH CENT/POUND/NOT SIGN -> CENT/POUND/NOT SIGN. */
static void put_utf8_sjis(struct sink *s, const char *p, size_t n)
{
	static const struct { const char *from, *to; } map[] = {
		{ "\xef\xbd\x9e", "\xe3\x80\x9c" }, { "\xe2\x88\xa5", "\xe2\x80\x96" },
		{ "\xef\xbc\x8d", "\xe2\x88\x92" }, { "\xef\xbf\xa0", "\xc2\xa2" },
		{ "\xef\xbf\xa1", "\xc2\xa3" }, { "\xef\xbf\xa2", "\xc2\xac" },
	};
	struct buf b = BUF_INIT;
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (i + 2 < n && memcmp(p + i, map[k].from, 3) == 0)
				break;
		if (k < sizeof(map) / sizeof(map[0])) {
			buf_puts(&b, map[k].to);
			i += 2;
		} else {
			buf_putc(&b, p[i]);
		}
	}
	put_utf8(s, b.data, b.len);
	buf_release(&b);
}

static void put_iconv(struct sink *s, iconv_t cd, const char *in, size_t len, int iso2022,
		      int sjis)
{
	char *ip = (char *)in;
	size_t il = len;
	char obuf[1024];

	iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		char *op = obuf;
		size_t ol = sizeof(obuf);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		int e = errno;

		/* iconv writes whole characters, so each batch is complete
		 * UTF-8; checking it anyway keeps "always valid" independent
		 * of every gconv module being right. */
		if (sjis)
			put_utf8_sjis(s, obuf, (size_t)(op - obuf));
		else
			put_utf8(s, obuf, (size_t)(op - obuf));
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		sink_put(s, REPLACEMENT, 3);
		if (e != EILSEQ)
			break;
		/* ISO-2022: a printable byte is only invalid in a two-byte
		 * set, so the whole character goes (one U+FFFD, as Python);
		 * skipping one byte would read the rest out of step. */
		if (iso2022 && il >= 2 && ip[0] > 0x20 && ip[0] < 0x7f && ip[1] > 0x20 &&
		    ip[1] < 0x7f) {
			ip += 2;
			il -= 2;
			continue;
		}
		ip++;
		il--;
	}
	/* Flush, not just reset: windows-1255/1258 hold a base letter back
	 * in case a combining mark follows, and a reset would drop it. */
	{
		char *op = obuf;
		size_t ol = sizeof(obuf);

		if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1)
			put_utf8(s, obuf, (size_t)(op - obuf));
	}
	iconv(cd, NULL, NULL, NULL, NULL);
}

/* Python's ascii codec with errors='replace'. */
static void put_ascii_replace(struct sink *s, const char *in, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (!(in[i] & 0x80))
			continue;
		sink_put(s, in + start, i - start);
		sink_put(s, REPLACEMENT, 3);
		start = i + 1;
	}
	sink_put(s, in + start, len - start);
}

int codec_to_utf8_flags(const char *charset, const char *in, size_t len, unsigned flags,
			struct buf *out)
{
	struct sink s;
	char key[48];
	const char *name;
	int guessed = 0;
	size_t i;
	iconv_t cd;

	sink_init(&s, out);
	switch (cs_classify(charset, key, sizeof(key), &name)) {
	case CS_UTF8:
		put_utf8(&s, in, len);
		break;
	case CS_ASCII:
		for (i = 0; i < len && !(in[i] & 0x80); i++)
			;
		if (i == len) {
			sink_put(&s, in, len);
			break;
		}
		guessed = 1;
		if (flags & CODEC_NO_GUESS)
			put_ascii_replace(&s, in, len);
		else
			put_guess(&s, in, len);
		break;
	case CS_LATIN1:
		put_single(&s, in, len, 0);
		break;
	case CS_CP1252:
		put_single(&s, in, len, 1);
		break;
	case CS_ICONV:
		cd = cd_get(strcmp(name, "SJIS-PY") == 0 ? "CP932" : name);
		if (cd != (iconv_t)-1) {
			put_iconv(&s, cd, in, len,
				  strncmp(name, "iso-2022", 8) == 0 || strncmp(name, "ISO-2022", 8) == 0,
				  strcmp(name, "SJIS-PY") == 0);
			break;
		}
		/* fall through */
	case CS_GUESS:
		guessed = 1;
		if (flags & CODEC_NO_GUESS)
			put_utf8(&s, in, len);
		else
			put_guess(&s, in, len);
		break;
	}
	sink_flush(&s);
	return guessed;
}

int codec_to_utf8(const char *charset, const char *in, size_t len, struct buf *out)
{
	return codec_to_utf8_flags(charset, in, len, 0, out);
}

/* ---- quoted-printable ---- */

/* The states of binascii.a2b_qp's loop, so that it can stop at any byte. */
enum {
	QP_TEXT,    /* copying */
	QP_EQ,      /* after "=" */
	QP_HEX,     /* after "=" and one hex digit (in st->hex) */
	QP_SKIP,    /* after "=" CR: dropping bytes up to and including LF */
};

void codec_qp_init(struct codec_qp *st)
{
	st->state = QP_TEXT;
	st->hex = 0;
}

void codec_qp_feed(struct codec_qp *st, const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	const unsigned char *eq, *lf;
	struct sink s;
	size_t i = 0;

	sink_init(&s, out);
	while (i < len) {
		unsigned char c = p[i];

		switch (st->state) {
		case QP_TEXT:
			eq = memchr(p + i, '=', len - i);
			if (!eq) {
				sink_put(&s, p + i, len - i);
				i = len;
				break;
			}
			sink_put(&s, p + i, (size_t)(eq - (p + i)));
			i = (size_t)(eq - p) + 1;
			st->state = QP_EQ;
			break;
		case QP_EQ:
			st->state = QP_TEXT;
			if (c == '\n') {
				i++;                    /* soft line break */
			} else if (c == '\r') {
				st->state = QP_SKIP;
				i++;
			} else if (c == '=') {
				sink_putc(&s, '=');     /* "==": both used up */
				i++;
			} else if (ascii_hexval(c) >= 0) {
				st->hex = c;
				st->state = QP_HEX;
				i++;
			} else {
				sink_putc(&s, '=');     /* literal; c starts afresh */
			}
			break;
		case QP_HEX:
			st->state = QP_TEXT;
			if (ascii_hexval(c) >= 0) {
				sink_putc(&s, (unsigned char)(ascii_hexval(st->hex) << 4 |
							      ascii_hexval(c)));
				i++;
			} else {
				/* Literal "=X"; X is no "=", so c starts afresh. */
				sink_putc(&s, '=');
				sink_putc(&s, st->hex);
			}
			break;
		case QP_SKIP:
			lf = memchr(p + i, '\n', len - i);
			if (!lf) {
				i = len;
				break;
			}
			i = (size_t)(lf - p) + 1;
			st->state = QP_TEXT;
			break;
		}
	}
	sink_flush(&s);
}

void codec_qp_finish(struct codec_qp *st, struct buf *out)
{
	/* A final "=" (QP_EQ) or "=" CR ... (QP_SKIP) vanishes. */
	if (st->state == QP_HEX) {
		buf_putc(out, '=');
		buf_putc(out, (char)st->hex);
	}
	codec_qp_init(st);
}

void codec_qp_decode(const char *in, size_t len, struct buf *out)
{
	struct codec_qp st;

	codec_qp_init(&st);
	codec_qp_feed(&st, in, len, out);
	codec_qp_finish(&st, out);
}

/* Q as in RFC 2047 4.2: "_" is a space, "=XY" a byte, any other "="
 * literal (Python's decode_q). */
static void q_decode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	struct sink s;
	size_t i;

	sink_init(&s, out);
	for (i = 0; i < len; i++) {
		if (p[i] == '_') {
			sink_putc(&s, ' ');
		} else if (p[i] == '=' && i + 2 < len && ascii_hexval(p[i + 1]) >= 0 &&
			   ascii_hexval(p[i + 2]) >= 0) {
			sink_putc(&s, (unsigned char)(ascii_hexval(p[i + 1]) << 4 |
						      ascii_hexval(p[i + 2])));
			i += 2;
		} else {
			sink_putc(&s, p[i]);
		}
	}
	sink_flush(&s);
}

/* ---- base64 ---- */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void codec_b64_init(struct codec_b64 *st)
{
	st->bits = 0;
	st->nbits = 0;
	st->pads = 0;
}

void codec_b64_feed(struct codec_b64 *st, const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	struct sink s;
	size_t i;

	if (st->nbits < 0)
		return;
	sink_init(&s, out);
	for (i = 0; i < len; i++) {
		int v = b64val(p[i]);

		if (v < 0) {
			/* 4 or 2 pending bits: two or three characters into a
			 * group, where "=" is padding.  The data ends when the
			 * padding completes the group; like Python's
			 * a2b_base64, a lone "=" after two characters that
			 * more data follows is junk. */
			if (p[i] == '=' && (st->nbits == 4 || st->nbits == 2)) {
				if (st->nbits == 2 || ++st->pads == 2) {
					st->nbits = -1;
					break;
				}
			}
			continue;
		}
		st->pads = 0;
		/* Emit each byte as soon as its 8 bits are in, so a partial
		 * group at the end has already given what it determines. */
		st->bits = (st->bits << 6 | (unsigned)v) & 0xFFF;
		st->nbits += 6;
		if (st->nbits >= 8) {
			st->nbits -= 8;
			sink_putc(&s, (unsigned char)(st->bits >> st->nbits));
		}
	}
	sink_flush(&s);
}

void codec_b64_finish(struct codec_b64 *st, struct buf *out)
{
	(void)out;  /* every determined byte is already out */
	codec_b64_init(st);
}

void codec_b64_decode(const char *in, size_t len, unsigned flags, struct buf *out)
{
	struct codec_b64 st;
	size_t mark = out->len, i, start;

	codec_b64_init(&st);
	codec_b64_feed(&st, in, len, out);
	/* 6 pending bits: one character after the last full group, and no
	 * padding ended the data (that sets nbits to -1). */
	if ((flags & CODEC_B64_ODD_AS_TEXT) && st.nbits == 6) {
		buf_truncate(out, mark);
		for (i = start = 0; i < len; i++) {
			if (in[i] == '\r' || in[i] == '\n') {
				buf_append(out, in + start, i - start);
				start = i + 1;
			}
		}
		buf_append(out, in + start, len - start);
	}
	codec_b64_finish(&st, out);
}

/* ---- encoders ---- */

static const char hexdig[] = "0123456789ABCDEF";

static void sink_hex(struct sink *s, unsigned char c)
{
	char e[3] = { '=', hexdig[c >> 4], hexdig[c & 15] };

	sink_put(s, e, 3);
}

/* Length of the line end at p (CRLF or LF), 0 if none. */
static size_t eol_len(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

void codec_qp_encode(const char *in, size_t len, struct buf *out)
{
	const char *p = in, *end = in + len;
	struct sink s;
	size_t col = 0;

	sink_init(&s, out);
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		size_t n = eol_len(p, end), w, limit;
		int last, enc;

		if (n) {
			sink_putc(&s, '\n');
			col = 0;
			p += n;
			continue;
		}
		last = p + 1 == end || eol_len(p + 1, end);
		for (;;) {
			enc = c == '=' || c > 126 || (c < 32 && c != '\t') ||
			      (is_blank(c) && last) || (c == 'F' && col == 0);
			w = enc ? 3 : 1;
			/* Room for the soft break's "=" unless the line ends
			 * here anyway: 76 columns in all (RFC 2045 6.7 (5)). */
			limit = last ? 76 : 75;
			if (col + w <= limit)
				break;
			sink_put(&s, "=\n", 2);
			col = 0;
		}
		if (enc)
			sink_hex(&s, c);
		else
			sink_putc(&s, c);
		col += w;
		p++;
	}
	sink_flush(&s);
}

static const char b64dig[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of len bytes, no line breaks. */
static void b64_run(struct sink *s, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char e[4] = { b64dig[v >> 18], b64dig[v >> 12 & 63],
			      b64dig[v >> 6 & 63], b64dig[v & 63] };

		sink_put(s, e, 4);
	}
	if (i < len) {
		unsigned v = (unsigned)p[i] << 16 |
			     (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0);
		char e[4] = { b64dig[v >> 18], b64dig[v >> 12 & 63],
			      i + 1 < len ? b64dig[v >> 6 & 63] : '=', '=' };

		sink_put(s, e, 4);
	}
}

void codec_b64_encode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	struct sink s;
	size_t i, n;

	sink_init(&s, out);
	/* 57 bytes make one line of 76 characters. */
	for (i = 0; i < len; i += n) {
		n = len - i < 57 ? len - i : 57;
		b64_run(&s, p + i, n);
		sink_putc(&s, '\n');
	}
	sink_flush(&s);
}

/* Whether a header word (no blanks in it) must be encoded. */
static int word_needs_ew(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < 32 || p[i] > 126)
			return 1;
		if (p[i] == '=' && i + 1 < n && p[i + 1] == '?')
			return 1;
	}
	return 0;
}

/* RFC 2047 5 (3): what may stand for itself in a Q word anywhere. */
static int q_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	       c == '-' || c == '/';
}

static size_t q_len(unsigned char c)
{
	return q_safe(c) || c == ' ' ? 1 : 3;
}

/* Encode bytes [p, p+n) as encoded words of at most 75 characters,
 * splitting only between characters. */
static void ew_run(struct sink *s, const unsigned char *p, size_t n)
{
	/* 75 minus "=?UTF-8?Q?" and "?=" */
	const size_t room = 75 - 10 - 2;
	size_t i, qlen = 0, blen, start, used, clen, w, k, bad;
	int b;

	for (i = 0; i < n; i++)
		qlen += q_len(p[i]);
	blen = (n + 2) / 3 * 4;
	/* Python's bias: Q unless B is at least 5 characters shorter. */
	b = qlen >= blen + 5;
	start = 0;
	used = 0;
	i = 0;
	while (i < n) {
		clen = utf8_seq(p + i, n - i, &bad);
		if (!clen)
			clen = 1;
		if (b) {
			w = clen;
		} else {
			for (w = 0, k = 0; k < clen; k++)
				w += q_len(p[i + k]);
		}
		if (used && (b ? (i + clen - start + 2) / 3 * 4 : used + w) > room) {
			/* Close the word so far: [start, i). */
			if (b) {
				sink_put(s, "=?UTF-8?B?", 10);
				b64_run(s, p + start, i - start);
			}
			sink_put(s, "?= ", 3);
			start = i;
			used = 0;
		}
		if (!b) {
			if (!used)
				sink_put(s, "=?UTF-8?Q?", 10);
			for (k = 0; k < clen; k++) {
				unsigned char c = p[i + k];

				if (c == ' ')
					sink_putc(s, '_');
				else if (q_safe(c))
					sink_putc(s, c);
				else
					sink_hex(s, c);
			}
		}
		used += w;
		i += clen;
	}
	if (b) {
		sink_put(s, "=?UTF-8?B?", 10);
		b64_run(s, p + start, n - start);
	}
	sink_put(s, "?=", 2);
}

int codec_rfc2047_needed(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' || *p > '~')
			return 1;
	}
	return strstr(s, "=?") != NULL;
}

/* Bytes per "=?UTF-8?B?...?=" word: 39 bytes are 52 in base64, 64 with the
 * delimiters, so even ' filename="' plus one word stays within 78. */
#define EW_B_BYTES 39

void codec_rfc2047_encode_b(const char *utf8, size_t len, struct buf *out)
{
	size_t i = 0, n, k;
	struct buf b = BUF_INIT;

	while (i < len) {
		n = len - i < EW_B_BYTES ? len - i : EW_B_BYTES;
		/* Back off to a character start (a UTF-8 continuation byte is
		 * 10xxxxxx), unless that would leave nothing. */
		k = n;
		while (i + k < len && k > 0 && ((unsigned char)utf8[i + k] & 0xC0) == 0x80)
			k--;
		if (k > 0)
			n = k;
		buf_reset(&b);
		codec_b64_encode(utf8 + i, n, &b);
		while (b.len > 0 && b.data[b.len - 1] == '\n')
			b.len--;
		if (i > 0)
			buf_putc(out, ' ');
		buf_puts(out, "=?UTF-8?B?");
		buf_append(out, b.data, b.len);
		buf_puts(out, "?=");
		i += n;
	}
	buf_release(&b);
}

void codec_rfc2047_encode(const char *utf8, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)utf8, *end = p + len;
	const unsigned char *q, *run = NULL, *run_end = NULL;
	struct sink s;

	sink_init(&s, out);
	/*
	 * Walk blank-separated words.  A run of words that need encoding is
	 * encoded as a whole, blanks inside it included (a decoder drops the
	 * blanks between encoded words); other words and the blanks around
	 * them stay literal.
	 */
	while (p < end) {
		if (is_blank(*p)) {
			for (q = p; q < end && is_blank(*q); q++)
				;
			if (!run)
				sink_put(&s, p, (size_t)(q - p));
			p = q;
			continue;
		}
		for (q = p; q < end && !is_blank(*q); q++)
			;
		if (word_needs_ew(p, (size_t)(q - p))) {
			if (!run)
				run = p;
			run_end = q;
		} else {
			if (run) {
				ew_run(&s, run, (size_t)(run_end - run));
				sink_put(&s, run_end, (size_t)(p - run_end));
				run = NULL;
			}
			sink_put(&s, p, (size_t)(q - p));
		}
		p = q;
	}
	if (run) {
		ew_run(&s, run, (size_t)(run_end - run));
		sink_put(&s, run_end, (size_t)(end - run_end));
	}
	sink_flush(&s);
}

/* ---- RFC 2047 decoding ---- */

struct ew {
	const char *cs;      /* charset, without "*lang" */
	size_t cslen;
	int b;               /* B rather than Q */
	const char *text;
	size_t textlen;
	size_t total;        /* bytes from "=?" to "?=" inclusive */
};

static const char *find2(const char *p, const char *end, char a, char b)
{
	for (; end - p >= 2; p++)
		if (p[0] == a && p[1] == b)
			return p;
	return NULL;
}

/*
 * The searches below look ahead to the next "?=" or blank, which may be far
 * away; done afresh from each candidate they make a hostile header (many
 * "=?" and no "?=") quadratic.  A scan remembers its last answer: the first
 * match at or after `from` is also the first at or after any x up to it.
 */
struct scan {
	const char *end;
	const char *qe_from, *qe;   /* first "?=" at/after qe_from (NULL: none) */
	const char *bl_from, *bl;   /* first blank at/after bl_from (or end) */
};

static const char *next_qe(struct scan *sc, const char *x)
{
	if (!sc->qe_from || x < sc->qe_from || (sc->qe && x > sc->qe)) {
		sc->qe_from = x;
		sc->qe = find2(x, sc->end, '?', '=');
	}
	return sc->qe;
}

static const char *next_blank(struct scan *sc, const char *x)
{
	if (!sc->bl_from || x < sc->bl_from || x > sc->bl) {
		sc->bl_from = x;
		for (sc->bl = x; sc->bl < sc->end && !is_blank((unsigned char)*sc->bl); sc->bl++)
			;
	}
	return sc->bl;
}

/* Whether [p, end) has fewer than, exactly, or more than two "?" (0, 2 or
 * 3 for "more"), stopping early so the cost stays near the third "?". */
static size_t count_q(const char *p, const char *end)
{
	size_t n = 0;

	for (; p < end && n < 3; p++)
		n += *p == '?';
	return n;
}

/*
 * Parse an encoded word at p (which starts with "=?") the way Python's
 * get_encoded_word() does: it ends at the first "?=", except that a "?="
 * right after the encoding letter followed by two hex digits is a Q text
 * starting with "=XY"; between "=?" and "?=" there must be exactly two "?".
 * The word may contain blanks.  Returns 1 and fills ew, or 0.
 */
static int ew_parse(struct scan *sc, const char *p, struct ew *ew)
{
	const char *s = p + 2, *q, *q1, *q2, *star;

	q = next_qe(sc, s);
	if (!q)
		return 0;
	if (count_q(s, q) < 2 && sc->end - q >= 4 && ascii_hexval((unsigned char)q[2]) >= 0 &&
	    ascii_hexval((unsigned char)q[3]) >= 0) {
		q = next_qe(sc, q + 2);
		if (!q)
			return 0;
	}
	if (count_q(s, q) != 2)
		return 0;
	q1 = memchr(s, '?', (size_t)(q - s));
	q2 = memchr(q1 + 1, '?', (size_t)(q - q1 - 1));
	if (q2 != q1 + 2)
		return 0;
	switch (q1[1]) {
	case 'b': case 'B':
		ew->b = 1;
		break;
	case 'q': case 'Q':
		ew->b = 0;
		break;
	default:
		return 0;
	}
	star = memchr(s, '*', (size_t)(q1 - s));
	ew->cs = s;
	ew->cslen = (size_t)((star ? star : q1) - s);
	ew->text = q2 + 1;
	ew->textlen = (size_t)(q - q2 - 1);
	ew->total = (size_t)(q + 2 - p);
	return 1;
}

/*
 * Python splits a blank-free token [p, end) before its first "=?" when the
 * token matches =\?[^?]*\?[qQbB]\?.*?\?= anywhere; returns that split point
 * or NULL.
 */
static const char *ew_in_token(struct scan *sc, const char *p, const char *end)
{
	const char *first = find2(p, end, '=', '?'), *i, *j, *qe;

	for (i = first; i; i = find2(i + 1, end, '=', '?')) {
		for (j = i + 2; j < end && *j != '?'; j++)
			;
		if (end - j < 3 || j[2] != '?' ||
		    (j[1] != 'q' && j[1] != 'Q' && j[1] != 'b' && j[1] != 'B'))
			continue;
		qe = next_qe(sc, j + 3);
		if (qe && qe + 2 <= end)
			return first;
	}
	return NULL;
}

struct dec2047 {
	struct buf *out;
	struct buf lit;      /* literal text not yet converted */
	struct buf ew;       /* decoded bytes of adjacent encoded words */
	struct buf ws;       /* blanks after an encoded word */
	char cs[48];         /* charset of ew ("" when unusable) */
	int have_ew;
};

static void dec_flush_lit(struct dec2047 *d)
{
	if (d->lit.len)
		codec_to_utf8(NULL, d->lit.data, d->lit.len, d->out);
	buf_reset(&d->lit);
}

/* Convert the pending encoded words; blanks after them become literal. */
static void dec_flush_ew(struct dec2047 *d)
{
	if (!d->have_ew)
		return;
	/* An encoded word names its charset; when that name is unknown, or
	 * is us-ascii over 8-bit bytes, Python's header parser reads the
	 * bytes as UTF-8 (U+FFFD where they are not), and so does this,
	 * rather than guess. */
	if (strcasecmp(d->cs, "us-ascii") == 0 || strcasecmp(d->cs, "ascii") == 0)
		codec_to_utf8_flags("utf-8", d->ew.data, d->ew.len, CODEC_NO_GUESS, d->out);
	else
		codec_to_utf8_flags(d->cs, d->ew.data, d->ew.len, CODEC_NO_GUESS, d->out);
	buf_reset(&d->ew);
	buf_append(&d->lit, d->ws.data, d->ws.len);
	buf_reset(&d->ws);
	d->have_ew = 0;
}

static int same_cs(const char *a, const struct ew *ew)
{
	return strlen(a) == ew->cslen && strncasecmp(a, ew->cs, ew->cslen) == 0;
}

static void dec_ew(struct dec2047 *d, const struct ew *ew)
{
	if (!d->have_ew || !same_cs(d->cs, ew)) {
		/* Blanks between two encoded words are dropped even when
		 * the charsets differ (RFC 2047 6.2). */
		buf_reset(&d->ws);
		dec_flush_ew(d);
		dec_flush_lit(d);
		if (ew->cslen < sizeof(d->cs)) {
			memcpy(d->cs, ew->cs, ew->cslen);
			d->cs[ew->cslen] = '\0';
		} else {
			d->cs[0] = '\0';
		}
		d->have_ew = 1;
	}
	buf_reset(&d->ws);
	if (ew->b)
		codec_b64_decode(ew->text, ew->textlen, CODEC_B64_ODD_AS_TEXT, &d->ew);
	else
		q_decode(ew->text, ew->textlen, &d->ew);
}

void codec_rfc2047_decode(const char *in, size_t len, struct buf *out)
{
	struct dec2047 d = { out, BUF_INIT, BUF_INIT, BUF_INIT, "", 0 };
	struct buf v = BUF_INIT;
	struct scan sc = { NULL, NULL, NULL, NULL, NULL };
	const char *p, *q, *end;
	size_t i, n;

	/* Unfold: a line end before a blank goes, any other becomes a space. */
	for (i = 0; i < len; i++) {
		if (in[i] != '\r' && in[i] != '\n') {
			buf_putc(&v, in[i]);
			continue;
		}
		n = in[i] == '\r' && i + 1 < len && in[i + 1] == '\n' ? 2 : 1;
		if (i + n >= len || !is_blank((unsigned char)in[i + n]))
			buf_putc(&v, ' ');
		i += n - 1;
	}
	p = v.data;
	end = v.data + v.len;
	sc.end = end;
	while (p < end) {
		struct ew ew;
		int valid = 1;

		if (is_blank((unsigned char)*p)) {
			for (q = p; q < end && is_blank((unsigned char)*q); q++)
				;
			buf_append(d.have_ew ? &d.ws : &d.lit, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (end - p >= 2 && p[0] == '=' && p[1] == '?') {
			if (ew_parse(&sc, p, &ew)) {
				dec_ew(&d, &ew);
				p += ew.total;
				continue;
			}
			valid = 0;
		}
		q = next_blank(&sc, p);
		/* Split before an encoded word inside the token, as Python
		 * does; never after a malformed one, nor at p itself. */
		if (valid) {
			const char *split = ew_in_token(&sc, p, q);

			if (split && split > p)
				q = split;
		}
		dec_flush_ew(&d);
		buf_append(&d.lit, p, (size_t)(q - p));
		p = q;
	}
	dec_flush_ew(&d);
	dec_flush_lit(&d);
	buf_release(&d.lit);
	buf_release(&d.ew);
	buf_release(&d.ws);
	buf_release(&v);
}

/* ---- RFC 2231 ---- */

void codec_pct_decode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	struct sink s;
	size_t i, start = 0;

	sink_init(&s, out);
	for (i = 0; i + 2 < len; i++) {
		if (p[i] != '%' || ascii_hexval(p[i + 1]) < 0 || ascii_hexval(p[i + 2]) < 0)
			continue;
		sink_put(&s, p + start, i - start);
		sink_putc(&s, (unsigned char)(ascii_hexval(p[i + 1]) << 4 |
					      ascii_hexval(p[i + 2])));
		i += 2;
		start = i + 1;
	}
	sink_put(&s, p + start, len - start);
	sink_flush(&s);
}

void codec_header_decode(const char *in, size_t len, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	size_t i;

	for (i = 0; i < len && !(in[i] & 0x80); i++)
		;
	if (i < len) {
		codec_to_utf8("utf-8", in, len, &tmp);
		in = tmp.data;
		len = tmp.len;
	}
	codec_rfc2047_decode(in, len, out);
	buf_release(&tmp);
}

/* ---- sanitising ---- */

static int is_bidi_control(unsigned cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

void codec_sanitize(const char *in, size_t len, unsigned flags, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	int keep = (flags & CODEC_KEEP_NEWLINES) != 0;
	struct sink s;
	size_t i = 0, start, n, bad;

	sink_init(&s, out);
	while (i < len) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x7F) {
			for (start = i; i < len && p[i] >= 0x20 && p[i] < 0x7F; i++)
				;
			sink_put(&s, p + start, i - start);
			continue;
		}
		if (c == '\n' || c == '\t') {
			sink_putc(&s, keep ? c : ' ');
			i++;
			continue;
		}
		if (c == '\r') {
			if (i + 1 < len && p[i + 1] == '\n') {
				sink_putc(&s, keep ? '\n' : ' ');
				i += 2;
			} else {
				if (keep)
					sink_put(&s, REPLACEMENT, 3);
				else
					sink_putc(&s, ' ');
				i++;
			}
			continue;
		}
		if (c < 0x80) {
			/* C0 controls, ESC among them, and DEL */
			sink_put(&s, REPLACEMENT, 3);
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i, &bad);
		if (!n) {
			sink_put(&s, REPLACEMENT, 3);
			i += bad;
			continue;
		}
		{
			unsigned cp = utf8_cp(p + i, n);

			if (cp >= 0x80 && cp <= 0x9F)
				sink_put(&s, REPLACEMENT, 3);
			else if (!is_bidi_control(cp))
				sink_put(&s, p + i, n);
		}
		i += n;
	}
	sink_flush(&s);
}
