/*
 * autocrypt: Autocrypt Level 1 (https://autocrypt.org/level1.html) for one
 * account: the Autocrypt header of outgoing mail, the per-peer state
 * learned from incoming Autocrypt headers, and the recommendation that
 * drives pgp_encrypt = if-possible.  Keys go into the GnuPG keyring
 * (lib/pgpmime.h imports them); the state keeps their fingerprints.
 *
 * Implemented: the header (addr, prefer-encrypt=mutual, keydata; unknown
 * non-critical attributes ignored, critical ones make the header
 * invalid), the peer state (last_seen, autocrypt_timestamp, key,
 * prefer_encrypt; gossip_timestamp and gossip key from the
 * Autocrypt-Gossip headers of a decrypted payload, which never replace a
 * key the peer's own Autocrypt header gave), the
 * preliminary and final recommendation (disable, discourage, available,
 * encrypt; stale after 35 days).  Not implemented: sending
 * Autocrypt-Gossip, the Setup Message and multi-device key transfer,
 * "reset" on a mail without a header from a mailing list detection other
 * than the From/address match, and a key of its own made on demand (the
 * account's key is pgp_key or its secret key in the keyring).
 *
 * The state of account NAME is $XDG_STATE_HOME/surel/autocrypt/NAME (NAME
 * %-encoded to [A-Za-z0-9_-]), "version 1" then one line per peer:
 *   peer ADDR LAST_SEEN AC_TIMESTAMP FPR|- PREFER GOSSIP_TS FPR|-
 * written whole with afile_write() (atomic; the last writer wins, a lost
 * update is learned again from the next message).  A file that does not
 * read is started afresh: it is only learned state.
 *
 * Ownership: the caller keeps what it passes in; const results are
 * borrowed from the state until its next change or autocrypt_free().
 */
#ifndef SUREL_AUTOCRYPT_H
#define SUREL_AUTOCRYPT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define AUTOCRYPT_WUR __attribute__((warn_unused_result))

/* The Autocrypt header value for addr with key fpr (exported minimal),
 * prefer-encrypt=mutual when mutual, folded for a header field whose name
 * is "Autocrypt: ", appended to out. */
int autocrypt_header(const char *addr, const char *fpr, int mutual, struct buf *out,
		     struct err *err) AUTOCRYPT_WUR;

struct autocrypt;

/* The state of account (read now; missing or unreadable: empty). */
struct autocrypt *autocrypt_open(const char *account);
void autocrypt_free(struct autocrypt *ac);

/* Update the state from a message as received (len bytes), following
 * Level 1 2.3: its From address (one mailbox) and Date (not in the
 * future: then now; a message without a Date teaches nothing), its
 * Autocrypt header for that address (keydata imported into the keyring),
 * or its absence; a message older than what the state saw changes
 * nothing.  payload_head (NULL for none) is the header section of the
 * message's decrypted payload (cryptomsg.h's payload_head): its
 * Autocrypt-Gossip fields for addresses among the message's To and Cc set
 * those peers' gossip key and timestamp when the message is newer than
 * their last gossip; Autocrypt-Gossip in msg's own, unencrypted header is
 * ignored.  Returns 1 when the state changed, 0 when not. */
int autocrypt_learn(struct autocrypt *ac, const char *msg, size_t len, const char *payload_head,
		    time_t now);

/* Write the state (atomically).  Errors: the file's. */
int autocrypt_save(const struct autocrypt *ac, struct err *err) AUTOCRYPT_WUR;

enum autocrypt_rec {
	AUTOCRYPT_DISABLE,
	AUTOCRYPT_DISCOURAGE,
	AUTOCRYPT_AVAILABLE,
	AUTOCRYPT_ENCRYPT,
};
/* The recommendation for addr (Level 1 2.4) with own_mutual the account's
 * prefer-encrypt; *fpr_out (may be NULL) gets the key it would use
 * (borrowed), NULL for DISABLE. */
enum autocrypt_rec autocrypt_recommend(const struct autocrypt *ac, const char *addr,
				       int own_mutual, const char **fpr_out);

/* The one call a reader makes for each message it shows: learn from msg
 * (and payload_head, as autocrypt_learn() takes it) for account (its
 * state opened, updated and saved when it changed).  Best effort:
 * failures are ignored, since nothing the user asked for depends on them. */
void autocrypt_learn_for(const char *account, const char *msg, size_t len,
			 const char *payload_head);

#endif
