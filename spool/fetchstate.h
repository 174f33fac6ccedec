/*
 * fetchstate: what `spool fetch` has stored from one server folder, kept in
 * one small file per account folder and written atomically (afile_write).
 * IMAP keeps the folder's UIDVALIDITY and the highest UID stored; POP3 the
 * set of UIDLs stored.  The format is versioned `key value` lines:
 *
 *     version 1
 *     uidvalidity 1700000000
 *     last_uid 4711
 *     uidl 000000017a2b3c4d
 *
 * Where the file lives and when it is written is spool/fetch.c's business.
 */
#ifndef SUREL_FETCHSTATE_H
#define SUREL_FETCHSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define FETCHSTATE_WUR __attribute__((warn_unused_result))

/* Longest UIDL RFC 1939 allows. */
#define FETCHSTATE_UIDL_MAX 70

struct fetchstate;

/* An empty state (nothing stored yet). */
struct fetchstate *fetchstate_new(void);
/* Read path; a missing file is an empty state.  A file in another version
 * or with bad lines is EX_DATAERR naming the file and line. */
int fetchstate_load(const char *path, struct fetchstate **out, struct err *err) FETCHSTATE_WUR;
/* Replace path atomically with st. */
int fetchstate_save(struct fetchstate *st, const char *path, struct err *err) FETCHSTATE_WUR;
void fetchstate_free(struct fetchstate *st);

uint32_t fetchstate_uidvalidity(const struct fetchstate *st);
uint32_t fetchstate_last_uid(const struct fetchstate *st);
/* A new UIDVALIDITY forgets last_uid (it meant another numbering). */
void fetchstate_set_uidvalidity(struct fetchstate *st, uint32_t v);
void fetchstate_set_last_uid(struct fetchstate *st, uint32_t uid);

/* Whether uidl is in the set. */
int fetchstate_has_uidl(struct fetchstate *st, const char *uidl);
/* Add uidl (copied; no-op if present).  uidl must be 1 to
 * FETCHSTATE_UIDL_MAX printable ASCII characters without blanks. */
void fetchstate_add_uidl(struct fetchstate *st, const char *uidl);
/* Drop every UIDL not among the n in keep (the server's list: what it no
 * longer has can never come back). */
void fetchstate_retain_uidls(struct fetchstate *st, char *const *keep, size_t n);
/* Drop the n UIDLs in drop (deleted from the server). */
void fetchstate_drop_uidls(struct fetchstate *st, char *const *drop, size_t n);
size_t fetchstate_uidl_count(const struct fetchstate *st);
/* Whether the next pass compares Message-ID and size with local mail (a
 * new UIDVALIDITY whose first pass has not ended: kept in the file, so a
 * pass cut short does not fetch again what the old numbering stored). */
int fetchstate_compare(const struct fetchstate *st);
void fetchstate_set_compare(struct fetchstate *st, int on);
/* How many UIDLs do not start with prefix (the server's own, not the
 * stand-ins fetch makes for a server without UIDL). */
size_t fetchstate_uidl_count_other(const struct fetchstate *st, const char *prefix);

/* Whether s can be stored as a UIDL (see fetchstate_add_uidl). */
int fetchstate_uidl_valid(const char *s);

#endif
