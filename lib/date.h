/*
 * date: the Date header.  date_parse() reads what real mail carries;
 * date_put() writes the one form surel sends, the same in every locale.
 */
#ifndef SUREL_DATE_H
#define SUREL_DATE_H

#include <time.h>

#include "buf.h"

/* Parse an RFC 5322 date (or the obsolete and broken forms Python's
 * email.utils.parsedate_tz() accepts: optional weekday, "1 Jan" or
 * "Jan 1", RFC 850 "01-Jan-99", two-digit years, named zones, missing
 * seconds; a missing or "-0000" zone is UTC) into seconds since the epoch.
 * Returns 0, or -1 when it cannot be understood. */
int date_parse(const char *v, time_t *out);

/* Append t in the local time zone as "Thu, 06 Dec 2026 10:24:42 +0100"
 * (RFC 5322 3.3): English day and month names from a table, the numeric
 * zone from the zone offset, whatever LC_TIME says. */
void date_put(struct buf *out, time_t t);

#endif
