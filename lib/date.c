/*
 * date: RFC 5322 dates.  The reader is a port of Python's
 * email._parseaddr._parsedate_tz() (the reference `spool show --json` is
 * checked against); the writer never asks the C library for names, so the
 * programs' locale cannot leak into a header.
 */
#include "config.h"

#include <string.h>

#include "ascii.h"
#include "date.h"

/* ---- reading ---- */

/*
 * A port of Python's email._parseaddr._parsedate_tz(), the leniency real
 * mail needs: optional weekday, "1 Jan" or "Jan 1", RFC 850 "01-Jan-99",
 * two-digit years, zone glued to the time, named zones, missing seconds,
 * '.' as time separator, trailing comments ignored.  A missing or "-0000"
 * zone is taken as UTC.
 */

static int py_int(const char *s, size_t n, long *out)
{
	long v = 0;
	int neg = 0;
	size_t i = 0;
	int digits = 0;

	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	for (; i < n; i++) {
		if (s[i] == '_' && digits && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > 100000000L)
			return -1;
		v = v * 10 + (s[i] - '0');
		digits++;
	}
	if (!digits)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

struct word {
	const char *s;
	size_t n;
};

static const char *const monthnames[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december",
};
static const char *const daynames[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int month_of(struct word w)
{
	size_t i;

	for (i = 0; i < sizeof(monthnames) / sizeof(monthnames[0]); i++)
		if (ascii_ieq(w.s, w.n, monthnames[i]))
			return (int)(i % 12) + 1;
	return 0;
}

static const struct {
	const char *name;
	int hhmm;
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "AST", -400 }, { "ADT", -300 }, { "EST", -500 }, { "EDT", -400 },
	{ "CST", -600 }, { "CDT", -500 }, { "MST", -700 }, { "MDT", -600 },
	{ "PST", -800 }, { "PDT", -700 },
};

static int days_in_month(long y, int mon)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mon == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[mon - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (works
 * for years before 1970 too, unlike some timegm implementations). */
static long long days_from_civil(long y, int mon, int d)
{
	long long era, yoe, doy, doe;

	y -= mon <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int date_parse(const char *v, time_t *out)
{
	struct word w[8];
	size_t nw = 0, k;
	const char *p = v;
	struct word dd, mm, yy, tm, tz, t;
	long year, day, hh, mi, ss = 0, off = 0;
	int mon, have_tz = 0;
	struct word tp[3];
	size_t ntp = 0;
	char sep;

	/* data.split(); only the first few words matter. */
	while (*p && nw < 8) {
		while (*p && ascii_is_pyspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		w[nw].s = p;
		while (*p && !ascii_is_pyspace((unsigned char)*p))
			p++;
		w[nw].n = (size_t)(p - w[nw].s);
		nw++;
	}
	while (*p && ascii_is_pyspace((unsigned char)*p))
		p++;
	if (!nw)
		return -1;
	{
		int isday = 0;

		for (k = 0; k < 7; k++)
			if (ascii_ieq(w[0].s, w[0].n, daynames[k]))
				isday = 1;
		if (w[0].s[w[0].n - 1] == ',' || isday) {
			memmove(w, w + 1, (nw - 1) * sizeof(*w));
			nw--;
		} else {
			for (k = w[0].n; k > 0; k--) {
				if (w[0].s[k - 1] == ',') {
					w[0].s += k;
					w[0].n -= k;
					break;
				}
			}
		}
	}
	/* Python counts all the words; more than we keep means "many". */
	if (nw == 3 && !*p) {
		const char *d1 = memchr(w[0].s, '-', w[0].n);
		const char *d2 = d1 ? memchr(d1 + 1, '-', w[0].n - (size_t)(d1 + 1 - w[0].s)) : NULL;

		if (d2 && !memchr(d2 + 1, '-', w[0].n - (size_t)(d2 + 1 - w[0].s))) {
			struct word a = { w[0].s, (size_t)(d1 - w[0].s) };
			struct word b = { d1 + 1, (size_t)(d2 - d1 - 1) };
			struct word c = { d2 + 1, w[0].n - (size_t)(d2 + 1 - w[0].s) };

			w[4] = w[2];
			w[3] = w[1];
			w[0] = a;
			w[1] = b;
			w[2] = c;
			nw = 5;
		}
	}
	if (nw == 4 && !*p) {
		struct word s = w[3];
		const char *q = memchr(s.s, '+', s.n);

		if (!q)
			q = memchr(s.s, '-', s.n);
		if (q && q > s.s) {
			w[3].n = (size_t)(q - s.s);
			w[4].s = q;
			w[4].n = s.n - w[3].n;
		} else {
			w[4].s = "";
			w[4].n = 0;
		}
		nw = 5;
	}
	if (nw < 5)
		return -1;
	dd = w[0];
	mm = w[1];
	yy = w[2];
	tm = w[3];
	tz = w[4];
	if (!dd.n || !mm.n || !yy.n)
		return -1;
	mon = month_of(mm);
	if (!mon) {
		t = dd;
		dd = mm;
		mm = t;
		mon = month_of(mm);
		if (!mon)
			return -1;
	}
	if (dd.n && dd.s[dd.n - 1] == ',')
		dd.n--;
	if (memchr(yy.s, ':', yy.n) && yy.s[0] != ':') {
		t = yy;
		yy = tm;
		tm = t;
	}
	if (yy.n && yy.s[yy.n - 1] == ',') {
		yy.n--;
		if (!yy.n)
			return -1;
	}
	if (!yy.n || !(yy.s[0] >= '0' && yy.s[0] <= '9')) {
		t = yy;
		yy = tz;
		tz = t;
	}
	if (tm.n && tm.s[tm.n - 1] == ',')
		tm.n--;
	sep = memchr(tm.s, ':', tm.n) ? ':' : '.';
	{
		const char *q = tm.s, *e = tm.s + tm.n;

		for (;;) {
			const char *c = memchr(q, sep, (size_t)(e - q));

			if (ntp == 3)
				return -1;
			tp[ntp].s = q;
			tp[ntp].n = c ? (size_t)(c - q) : (size_t)(e - q);
			ntp++;
			if (!c)
				break;
			q = c + 1;
		}
	}
	if (ntp < 2)
		return -1;
	if (py_int(yy.s, yy.n, &year) || py_int(dd.s, dd.n, &day) ||
	    py_int(tp[0].s, tp[0].n, &hh) || py_int(tp[1].s, tp[1].n, &mi) ||
	    (ntp == 3 && py_int(tp[2].s, tp[2].n, &ss)))
		return -1;
	if (year < 100)
		year += year > 68 ? 1900 : 2000;
	for (k = 0; k < sizeof(zones) / sizeof(zones[0]); k++) {
		if (ascii_ieq(tz.s, tz.n, zones[k].name)) {
			off = zones[k].hhmm;
			have_tz = 1;
		}
	}
	if (!have_tz && py_int(tz.s, tz.n, &off) == 0)
		have_tz = 1;
	if (have_tz && off) {
		long sign = off < 0 ? -1 : 1;
		long a = off < 0 ? -off : off;

		off = sign * ((a / 100) * 3600 + (a % 100) * 60);
	}
	/* datetime() range checks: anything out of range is an invalid date. */
	if (year < 1 || year > 9999 || day < 1 || day > days_in_month(year, mon) ||
	    hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59 ||
	    off <= -86400 || off >= 86400)
		return -1;
	*out = (time_t)(days_from_civil(year, mon, (int)day) * 86400LL + hh * 3600 + mi * 60 + ss - off);
	return 0;
}

/* ---- writing ---- */

void date_put(struct buf *out, time_t t)
{
	static const char wday[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	buf_printf(out, "%s, %02d %s %d %02d:%02d:%02d %c%02ld%02ld", wday[tm.tm_wday],
		   tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
		   (off < 0 ? -off : off) % 60);
}
