/*
 * syncstate: what `spool sync` knows about one folder pair (a server
 * folder and its Maildir): the folder's UIDVALIDITY, UIDNEXT and
 * HIGHESTMODSEQ at the last complete sync, and per message the server UID,
 * the local Maildir key and the flags both sides had when they last
 * agreed.  Appends to the server that may have happened are kept too
 * ("pending"), so that a run cut short between APPEND and its answer does
 * not upload the message a second time.
 *
 * Two files: the state (rewritten whole with afile_write, `key value`
 * lines) and a journal of the changes since (appended; every line stands
 * alone and says what is now true, so replaying it on the state it
 * started from gives the same result however often it is replayed).
 * syncstate_commit() is the journal's commit point (write + fdatasync);
 * syncstate_save() folds the journal into a new state and removes it.
 * Each state carries a generation, and the journal names the generation
 * it extends: a journal left over from before a save (a crash between the
 * rename and the unlink) is ignored.  The caller (spool/sync.c) decides
 * when to commit; what needs to be on disk before which server or Maildir
 * change is written down there.
 *
 * The state file:
 *
 *     version 1
 *     generation 7
 *     uidvalidity 1700000000
 *     uidnext 4713
 *     modseq 99812
 *     m 4711 FS 1700000000.M1P2Q3.host,R=1700000000.4711.0a1b2c3d
 *     a 4712 2211 0123456789abcdef 1700000001.M2P2Q3.host
 *
 * and the journal ("m" puts a record, "f" sets its flags, "-" drops it,
 * "a" is a pending append):
 *
 *     j 7
 *     m UID FLAGS KEY
 *     f UID FLAGS
 *     - UID
 *     a UIDNEXT SIZE DIGEST KEY
 *
 * FLAGS are Maildir letters among DFRST in ASCII order, "-" for none.  A
 * KEY runs to the end of its line (keys with a newline are never kept).
 */
#ifndef SUREL_SYNCSTATE_H
#define SUREL_SYNCSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SYNCSTATE_WUR __attribute__((warn_unused_result))

/* One message both sides have (or had when they last agreed).  key is
 * owned by the state; flags hold only the synced letters (DFRST). */
struct syncstate_rec {
	uint32_t uid;
	char flags[8];
	char *key;
};

/* An APPEND that may have reached the server: the UIDNEXT before it, and
 * the size and digest of the message with LF line ends (sync.c's
 * sync_digest()). */
struct syncstate_pend {
	char *key;
	uint32_t uidnext;
	uint64_t size;
	char digest[17];
};

struct syncstate;

/* Read state and journal at path and path + ".journal"; missing files are
 * an empty state.  A bad line is EX_DATAERR naming the file and line (a
 * last journal line without its newline was cut by a crash and is
 * dropped).  Free with syncstate_free(). */
int syncstate_open(const char *path, struct syncstate **out, struct err *err) SYNCSTATE_WUR;
void syncstate_free(struct syncstate *st);

uint32_t syncstate_uidvalidity(const struct syncstate *st);
uint32_t syncstate_uidnext(const struct syncstate *st);
uint64_t syncstate_modseq(const struct syncstate *st);
/* Kept in memory until syncstate_save(). */
void syncstate_set_folder(struct syncstate *st, uint32_t uidnext, uint64_t modseq);
/* A new UIDVALIDITY: every record and pending append is forgotten (they
 * name UIDs of another numbering); also only until syncstate_save(). */
void syncstate_reset(struct syncstate *st, uint32_t uidvalidity);

/* Records, in no particular order; i < syncstate_count().  Pointers stay
 * valid until the next syncstate_put() or syncstate_drop(). */
size_t syncstate_count(const struct syncstate *st);
struct syncstate_rec *syncstate_at(struct syncstate *st, size_t i);
struct syncstate_rec *syncstate_by_uid(struct syncstate *st, uint32_t uid);
struct syncstate_rec *syncstate_by_key(struct syncstate *st, const char *key);

/* Journalled changes (buffered until syncstate_commit()).  put records
 * uid <-> key with flags, replacing any record of uid or of key and any
 * pending append of key; key must not contain a newline. */
void syncstate_put(struct syncstate *st, uint32_t uid, const char *flags, const char *key);
void syncstate_set_flags(struct syncstate *st, struct syncstate_rec *r, const char *flags);
void syncstate_drop(struct syncstate *st, uint32_t uid);
void syncstate_pend(struct syncstate *st, const char *key, uint32_t uidnext, uint64_t size,
		    const char *digest);

size_t syncstate_pend_count(const struct syncstate *st);
const struct syncstate_pend *syncstate_pend_at(const struct syncstate *st, size_t i);
/* Forget every pending append (the caller settled them all). */
void syncstate_pend_clear(struct syncstate *st);

/* Write the buffered journal lines and fdatasync them: the commit point
 * of everything put, set or dropped since the last commit. */
int syncstate_commit(struct syncstate *st, struct err *err) SYNCSTATE_WUR;
/* Write the whole state as a new generation (afile_write) and remove the
 * journal; nothing when nothing changed since the state was read. */
int syncstate_save(struct syncstate *st, struct err *err) SYNCSTATE_WUR;

/* The synced letters of Maildir flags f (DFRST, ASCII order) into out. */
void syncstate_flags(const char *f, char out[8]);

#endif
