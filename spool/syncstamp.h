/*
 * syncstamp: the stamps of `spool sync`, one small file per account that
 * says, for every folder pair synced in full, what both sides looked like
 * when that sync began: the mtimes of the Maildir's cur/ and new/, the
 * identity of the pair's state file, and the server folder's UIDVALIDITY,
 * UIDNEXT, message count, HIGHESTMODSEQ and a digest of its (UID, flags)
 * listing.  A folder whose stamp still holds on both sides has nothing to
 * sync: spool/sync.c then reads neither its state nor its Maildir, and
 * selects nothing on the server.
 *
 * The file, .surel-sync/ACCOUNT.stamps (rewritten whole by afile_write):
 *
 *     version 1
 *     s CUR_NS NEW_NS STATE_INO STATE_SIZE STATE_NS UIDVALIDITY UIDNEXT EXISTS MODSEQ DIGEST REMOTE FOLDER
 *
 * MODSEQ 0: the server had no CONDSTORE; DIGEST "-": no full listing was
 * read, or the sync changed flags on the server after reading it.
 * REMOTE is the server folder's name (as struct sync_rfolder has it) with
 * bytes up to the blank, '%' and DEL as %XX: the peek needs it before the
 * server's folders are listed.  FOLDER (the local name) runs to the end
 * of the line.  A stamp is a cache: a missing or unreadable file only
 * means every folder is synced in full.
 */
#ifndef SUREL_SYNCSTAMP_H
#define SUREL_SYNCSTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SYNCSTAMP_WUR __attribute__((warn_unused_result))

/* A directory modified this recently may change again within the same
 * mtime tick: its mtime proves nothing (git's racy index rule, as the
 * search index has it). */
#define SYNCSTAMP_RACY_SECONDS 2

/* The local half: Maildir and state file. */
struct syncstamp_local {
	int64_t cur_ns, new_ns;
	uint64_t state_ino;
	int64_t state_size, state_ns;  /* all three 0: no state file */
};

/* The server half, as SELECT or STATUS told it. */
struct syncstamp_remote {
	uint32_t uidvalidity, uidnext, exists;
	uint64_t modseq;   /* 0: unknown (no CONDSTORE) */
	char digest[17];   /* "": unknown */
};

struct syncstamp {
	struct syncstamp_local l;
	struct syncstamp_remote r;
};

/* The directories' half of folder dir now (cur/ and new/): 0, or -1
 * when they cannot vouch for anything (missing, or changed within
 * SYNCSTAMP_RACY_SECONDS). */
int syncstamp_dirs_now(const char *dir, struct syncstamp_local *out);
/* The state file's half (path state): 0, or -1 when a journal lies beside
 * it (a run was cut short) or it cannot be read. */
int syncstamp_state_now(const char *state, struct syncstamp_local *out);
int syncstamp_local_same(const struct syncstamp_local *a, const struct syncstamp_local *b);
/* Whether the server half b (now) shows the folder unchanged since a: the
 * same numbering, UIDNEXT and count, and the same HIGHESTMODSEQ (CONDSTORE)
 * or else the same listing digest; never when neither is known. */
int syncstamp_remote_same(const struct syncstamp_remote *a, const struct syncstamp_remote *b);

/* The digest of a listing: syncstamp_digest_add() for every message in
 * ascending UID order (flags: the synced Maildir letters, DFRST order),
 * then _end(). */
struct syncstamp_digest {
	uint64_t h;
	uint32_t last;
	int bad;  /* not ascending */
};
void syncstamp_digest_init(struct syncstamp_digest *d);
void syncstamp_digest_add(struct syncstamp_digest *d, uint32_t uid, const char *flags);
/* out gets 16 hex digits, or "" when the listing was not ascending. */
void syncstamp_digest_end(struct syncstamp_digest *d, char out[17]);

struct syncstamps;

/* Read the stamps at path (missing or bad: none, never an error).  Free
 * with syncstamps_free(). */
struct syncstamps *syncstamps_load(const char *path);
void syncstamps_free(struct syncstamps *s);
/* The stamp of folder, or NULL; with remote_out the server folder's name
 * it was made with. */
const struct syncstamp *syncstamps_get(const struct syncstamps *s, const char *folder,
				       const char **remote_out);
/* The stamps in no particular order, i < syncstamps_count() (valid until
 * the next syncstamps_set()). */
size_t syncstamps_count(const struct syncstamps *s);
const struct syncstamp *syncstamps_at(const struct syncstamps *s, size_t i, const char **folder_out,
				      const char **remote_out);
/* Set (st non-NULL) or forget (NULL) the stamp of folder, synced with the
 * server's folder remote. */
void syncstamps_set(struct syncstamps *s, const char *folder, const char *remote,
		    const struct syncstamp *st);
/* Write the file if anything changed since it was read. */
int syncstamps_save(struct syncstamps *s, struct err *err) SYNCSTAMP_WUR;

#endif
