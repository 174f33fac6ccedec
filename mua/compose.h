/*
 * compose: one outgoing message from first draft to the queue.  Builds the
 * draft the user edits (new, reply, reply-all, forward, a resumed draft),
 * runs the editor, parses the edited draft, keeps the attachment list,
 * builds the MIME message (7-bit clean: quoted-printable or base64 where
 * needed, RFC 2047 headers, RFC 2231 file names) and hands it to the queue
 * through sendq's enqueue_message().  It draws nothing: the compose screen
 * is the UI's, and only main() prints.  Storing and relaying are queue.h's
 * and sendq's jobs; reading folders is maildir.h's.
 *
 * Use from the UI (every call returns 0/-1 with err filled, unless said):
 *   c = compose_new(cfg, account, &err);        identity; 78 without one
 *   compose_start_reply(c, raw, len, 0, &err);  or _new, _forward, _draft
 *   compose_edit(c, &changed, &err);            after endwin(); loop on -1
 *   compose_attach_file(c, path, &err);         screen: a / D / list
 *   compose_send(c, q, 0, &id, &err);           y
 *   compose_postpone(c, NULL, &err);            P
 *   compose_mark_replied(dir, key, &err);       after a reply was sent
 *   compose_free(c);
 * (`surel -s` drives the same calls from sendcli.h.)
 *
 * The draft (what the editor shows) is UTF-8 text with LF line ends: header
 * lines From, To, Cc, Bcc, Subject and Reply-To (always present, possibly
 * empty; the user may add other "Name: value" lines, fold lines, or leave
 * fields empty), one empty line, then the body.  Fields that surel writes
 * itself (Date, Message-ID, MIME-Version, Content-*, User-Agent) are
 * ignored when the user adds them; In-Reply-To and References written in
 * the draft replace the ones a reply made.
 *
 * Ownership: the caller keeps what it passes in (bytes of an original are
 * copied where they are kept); `const char *` results are borrowed from the
 * compose and valid until its next change or compose_free(); `char *`
 * results are the caller's to free().
 */
#ifndef SUREL_COMPOSE_H
#define SUREL_COMPOSE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "queue.h"

#define COMPOSE_WUR __attribute__((warn_unused_result))

struct compose;

/* Who writes.  cfg is borrowed and must outlive the compose; account names
 * an account (NULL = the default one).  Without a configuration (cfg NULL)
 * the From address is $EMAIL ("addr" or "Name <addr>"); when that is unset
 * or unusable the error is EX_CONFIG, because no From address can be made
 * up that would reach the user.  An unknown account is EX_CONFIG. */
struct compose *compose_new(const struct cfg *cfg, const char *account,
			    struct err *err) COMPOSE_WUR;
void compose_free(struct compose *c);

/* The From value a new draft starts with ("Name <addr>" or "addr"). */
const char *compose_from(const struct compose *c);

/* --- starting a message: each replaces the draft and the attachments ---- */

/* A new message; to and subject may be NULL (line breaks in them become
 * spaces).  The account's signature file, when set and readable, is
 * appended after a "-- " line (here and in replies and forwards). */
void compose_start_new(struct compose *c, const char *to, const char *subject);

/* A new message with the fields of a mailto: URL, each may be NULL: To,
 * Cc, Bcc and Subject (line breaks become spaces), In-Reply-To (kept, and
 * made References too, when it is one "<message-id>"; dropped otherwise)
 * and the body text (sanitised, line breaks kept), before the signature. */
void compose_start_filled(struct compose *c, const char *to, const char *cc, const char *bcc,
			  const char *subject, const char *in_reply_to, const char *body);

enum compose_reply_flags {
	COMPOSE_REPLY_ALL = 1u << 0,   /* also the original To and Cc */
	COMPOSE_REPLY_LIST = 1u << 1,  /* to the mailing list (L) */
	COMPOSE_REPLY_FROM = 1u << 2,  /* to From although there is a Reply-To */
};
/* A reply to the message in orig (len bytes; raw, as stored).
 * - To: the original Reply-To (unless COMPOSE_REPLY_FROM), else its From;
 *   when the original is from one of the user's own addresses (any
 *   account's) and has no Reply-To, its To instead (a follow-up to one's
 *   own mail).
 * - COMPOSE_REPLY_ALL adds the original To to To and its Cc to Cc; the
 *   user's own addresses (every account's address and aliases) and duplicates (compared without case) are left
 *   out.  When the original has Mail-Followup-To, To is that instead
 *   (without the user's addresses) and Cc stays empty, as mutt does.
 * - COMPOSE_REPLY_LIST: To is Mail-Followup-To when the original has it,
 *   else the address of its List-Post (RFC 2369), else the addresses of
 *   its To and Cc that the configuration names as lists (cfg_list_kind);
 *   EX_DATAERR when there is none, or List-Post says NO, and the compose
 *   is left as it was.
 * - Subject: "Re: " plus the original subject with any leading "Re:",
 *   "RE:", "Aw:", "Sv:", "Antw:", "Re[2]:" ... prefixes removed.
 * - In-Reply-To: the original Message-ID; References: the original
 *   References (or its In-Reply-To when it has no References) plus that
 *   Message-ID, at most COMPOSE_REFS_MAX ids (the first and the newest are
 *   kept, the middle is dropped, as RFC 5322 3.6.4 allows).
 * - From: the identity the original was sent to (identity_of_msg: To,
 *   Cc, Delivered-To, X-Original-To against every account's address and
 *   aliases), which also chooses the signature and the sending account;
 *   else the compose's own.  The same holds for a forward.
 * - Body: "On DATE, NAME wrote:" and the original text (msg_text) with
 *   every line quoted: "> " before a line, ">" before an empty line or one
 *   that is already quoted (so "> a" becomes ">> a"); then the signature.
 * Text from the original is sanitised (no control characters in the
 * draft); header values lose their line breaks.  Fails only when the
 * original cannot be parsed at all (over 2 GiB). */
int compose_start_reply(struct compose *c, const char *orig, size_t len, unsigned flags,
			struct err *err) COMPOSE_WUR;
#define COMPOSE_REFS_MAX 20

/* The Reply-To of the message in orig formatted for a question ("Name
 * <addr>, ..."), when it names other addresses than From (mutt's
 * reply_to question); NULL when it has none or the same. Caller frees. */
char *compose_reply_to_differs(const char *orig, size_t len);

enum compose_fwd {
	COMPOSE_FWD_INLINE,  /* the original's main headers and text in the body */
	COMPOSE_FWD_ATTACH,  /* the original attached whole, as message/rfc822 */
};
/* A forward of the message in orig: empty To, Subject "Fwd: " plus the
 * original subject (an existing "Fwd:"/"Fw:" prefix is not doubled).
 * Inline, the body is an empty line for the user's words, then a
 * "---------- Forwarded message ----------" block with the original From,
 * Date, Subject, To and Cc and its text, then the signature; the
 * original's attachments (every leaf marked so, and every leaf that is not
 * text) become the forward's, in order.  Attached, the body holds only the
 * signature and the original (line ends made LF) is attachment 0. */
int compose_start_forward(struct compose *c, const char *orig, size_t len,
			  enum compose_fwd mode, struct err *err) COMPOSE_WUR;

/* Resume a message saved by compose_postpone() or compose_unsend() (or any
 * message): its headers (From, To, Cc, Bcc, Subject, Reply-To,
 * In-Reply-To, References, and the user's other fields: not the ones
 * surel writes itself, nor Received, Return-Path, Delivered-To,
 * X-Original-To) and text become the draft, every other leaf
 * part an attachment.  When its From is one of the user's addresses, that
 * is the identity (account, signature) from then on.  The UI removes the
 * Drafts copy once the message is sent (recall.h). */
int compose_start_draft(struct compose *c, const char *msg, size_t len,
			struct err *err) COMPOSE_WUR;

/* Write from addr (NULL: the account's address) of the account named
 * account instead: the draft's From line, the signature (replaced where
 * the old identity's is found unchanged; added when the old identity had
 * none; else, removed by the user, it stays removed),
 * the account that sends (its smarthost, see compose_send) and keeps the
 * draft.  addr must be the account's address or match one of its aliases
 * (EX_DATAERR); an unknown account or no configuration is EX_CONFIG; a
 * draft that did not parse is EX_DATAERR and is left as it is.  A reply
 * or forward starts from the identity the original was sent to
 * (identity.h) without this call. */
int compose_set_identity(struct compose *c, const char *account, const char *addr,
			 struct err *err) COMPOSE_WUR;

/* Set field name (From, To, Cc, Bcc, Subject or Reply-To, any case) of
 * the parsed draft to value (UTF-8; line breaks become spaces; "" empties
 * it), in place of its line or lines, as the compose screen's t, c, b, s,
 * f and r keys do.  Address fields must read as addresses (EX_DATAERR
 * naming the field, the draft unchanged); From must be one address, and
 * one of the user's makes its account the identity as
 * compose_set_identity() does.  Another name is EX_SOFTWARE; a draft that
 * did not parse is EX_DATAERR. */
int compose_set_field(struct compose *c, const char *name, const char *value,
		      struct err *err) COMPOSE_WUR;

/* --- the draft --------------------------------------------------------- */

/* The draft text as last set (for the editor or a preview). */
const char *compose_draft(const struct compose *c, size_t *len_out);

/* Replace the draft with text (the user's edit) and parse it.  Text that is
 * not valid UTF-8 is read as windows-1252; CRLF becomes LF.  A line in the
 * header block that is neither "Name: value" nor a continuation (starting
 * with a blank) is EX_DATAERR naming its line number: the text is kept
 * (compose_draft returns it) so the user can edit again, but sending and
 * postponing fail until a good draft is set. */
int compose_set_draft(struct compose *c, const char *text, size_t len,
		      struct err *err) COMPOSE_WUR;

/* Write the draft to a file in a private temporary directory (0700, under
 * $TMPDIR, else /tmp), run the editor on it, read it back and
 * compose_set_draft() it; whatever the directory holds then is
 * overwritten and removed with it.  The editor is the [general] editor
 * key, else $VISUAL, else $EDITOR, else "vi"; it is run as `sh -c 'EDITOR
 * "$1"'` in a process group of its own that gets the terminal (the UI
 * calls endwin() first; ^Z in the editor stops surel with it).
 * *changed_out (may be NULL) says whether the text differs from before,
 * so the UI can drop an unchanged new message.  An editor that cannot be
 * run or exits non-zero is EX_SOFTWARE with the draft unchanged; a parse
 * error is as for compose_set_draft().
 * SIGTERM or SIGHUP while it runs is handed on to the editor's process
 * group (SIGKILL 5 s later if it is still there); once it is gone, what it
 * saved becomes the draft (the draft from before when that does not
 * parse), the directory is scrubbed, and the result is EX_TEMPFAIL with
 * compose_edit_signal() naming the signal: the caller keeps the draft
 * (compose_postpone()) and ends the program. */
int compose_edit(struct compose *c, int *changed_out, struct err *err) COMPOSE_WUR;
/* The signal (SIGTERM or SIGHUP) that ended the last compose_edit(), else 0. */
int compose_edit_signal(void);

/* A field of the parsed draft, unfolded, as the user wrote it (UTF-8);
 * NULL when absent or empty.  For the compose screen. */
const char *compose_field(const struct compose *c, const char *name);

/* Check that the parsed draft can be sent: at least one recipient in To,
 * Cc or Bcc (an empty To with a Bcc is fine), every address valid
 * (local@domain; a bare name is completed with the From domain), a From
 * address.  EX_DATAERR naming the field and the address otherwise. */
int compose_check(const struct compose *c, struct err *err) COMPOSE_WUR;

/* --- attachments ------------------------------------------------------- */

/* Attach the file at path, read now (at most ENQUEUE_MAX_SIZE bytes).  Its
 * name is the last path component; its type comes from the file name
 * extension (a table of common types), else text/plain for UTF-8 text,
 * else application/octet-stream.  A missing file is EX_NOINPUT. */
int compose_attach_file(struct compose *c, const char *path, struct err *err) COMPOSE_WUR;
/* Attach len bytes at data (copied) named name with MIME type type (NULL =
 * guessed as above; "message/rfc822" attaches a message as is). */
void compose_attach_data(struct compose *c, const char *name, const char *type,
			 const void *data, size_t len);
size_t compose_attach_count(const struct compose *c);
/* Name (UTF-8; NULL for an attached message), type and size of attachment
 * i (< compose_attach_count). */
const char *compose_attach_name(const struct compose *c, size_t i);
const char *compose_attach_type(const struct compose *c, size_t i);
size_t compose_attach_size(const struct compose *c, size_t i);
/* Drop attachment i; the ones after it move down by one. */
void compose_attach_drop(struct compose *c, size_t i);

/* --- PGP/MIME ------------------------------------------------------------ */

enum compose_pgp_flags {
	COMPOSE_PGP_SIGN = 1u << 0,     /* multipart/signed (or signed inside) */
	COMPOSE_PGP_ENCRYPT = 1u << 1,  /* multipart/encrypted; every key needed */
	COMPOSE_PGP_AUTO = 1u << 2,     /* encrypt when every recipient has a key */
};
/* What the message will be: a compose starts with its account's pgp_sign
 * (SIGN) and pgp_encrypt (always: ENCRYPT, if-possible: AUTO); a reply to
 * an encrypted message, and a resumed draft that was to be encrypted,
 * start with ENCRYPT; a resumed draft keeps the choice it was saved with.
 * The defaults follow an identity change until compose_set_pgp(). */
unsigned compose_pgp(const struct compose *c);
void compose_set_pgp(struct compose *c, unsigned flags);

/* The recipients (To, Cc, Bcc) that have no usable encryption key
 * (pgpmime_enc_key(), or one Autocrypt learned and recommends), appended
 * to names_out as "a@x, b@y"; returns their number, -1 when GnuPG cannot
 * be asked or the draft did not parse (err filled). */
int compose_pgp_missing(const struct compose *c, struct buf *names_out, struct err *err) COMPOSE_WUR;

/* --- building and handing off ------------------------------------------ */

enum compose_build_flags {
	COMPOSE_KEEP_BCC = 1u << 0,  /* write the Bcc field (drafts keep it) */
};
/* Build the MIME message of the parsed draft into out (appended; LF line
 * ends, 7-bit clean except an attached 8-bit message/rfc822): Date,
 * From, To, Cc, [Bcc], Subject, Reply-To, In-Reply-To, References,
 * Message-ID (<unique@domain of From>), the user's extra fields,
 * User-Agent, MIME-Version; header lines folded at 78 columns where
 * spaces allow.  The text is text/plain; charset=utf-8, 7bit when it is
 * ASCII with lines of at most 998 bytes, quoted-printable otherwise; with
 * attachments the message is multipart/mixed with the text first.  Does
 * not require recipients (drafts need none); compose_send() checks them.
 * EX_DATAERR when the draft did not parse or the result is over
 * ENQUEUE_MAX_SIZE.
 * With compose_pgp() SIGN or ENCRYPT (AUTO: when every recipient has a
 * key, and the sender too) the entity is wrapped by lib/pgpmime.h; it carries the
 * header fields (protected headers, Content-Type parameter
 * protected-headers="v1") and the outer message repeats them, but an
 * encrypted one shows Subject "..." and none of the user's extra fields
 * outside.  Encryption is to every recipient's key and the sender's own
 * (pgp_key, else the secret key of the From address); a recipient without
 * a key is EX_DATAERR naming them.  With COMPOSE_KEEP_BCC (a draft) the
 * message is never signed, is encrypted to the sender's key alone when it
 * is to be encrypted, and keeps the choice in an X-Surel-PGP field inside.
 * An account with autocrypt = yes adds its Autocrypt header (not to
 * drafts; lib/autocrypt.h). */
int compose_build(const struct compose *c, time_t now, unsigned flags, struct buf *out,
		  struct err *err) COMPOSE_WUR;

enum compose_send_flags {
	COMPOSE_NO_FLUSH = 1u << 0,  /* do not start sendq flush */
};
/* compose_check(), compose_build() without Bcc, then enqueue_message()
 * into q (NULL = the default queue, opened and closed here) through the
 * account the From address belongs to (its address or an alias: that
 * account's smarthost), else the compose's account; envelope sender = the
 * From address when it is that account's, else the account's address
 * (else $EMAIL); recipients = To + Cc + Bcc.
 * Returns once the message is committed to disk; *id_out (may be NULL)
 * gets the queue id.  Then, unless COMPOSE_NO_FLUSH, the relay is nudged
 * (best effort, never an error): a detached `sendq flush` is started once
 * the message is due, i.e. after the [general] send_delay; a send_delay
 * of an hour or more is left to `sendq daemon` or a cron'd `sendq flush`.  The
 * sendq that is run is the one next to the running program, else the
 * first on $PATH. */
int compose_send(struct compose *c, struct queue *q, unsigned flags, char **id_out,
		 struct err *err) COMPOSE_WUR;

/* Save the message (with Bcc) to the account's drafts_folder (default
 * Drafts, created when missing) with Maildir flags "DS".  *path_out (may
 * be NULL) gets the stored file's path.  EX_CONFIG without an account. */
int compose_postpone(struct compose *c, char **path_out, struct err *err) COMPOSE_WUR;

/* The last resort when compose_postpone() fails (a half-typed address, a
 * draft that does not build): the draft text exactly as it was last set,
 * unchecked, into the drafts folder of c's account, flags "DS".  m/R
 * recall it like any draft.  EX_CONFIG without an account. */
int compose_postpone_raw(struct compose *c, struct err *err) COMPOSE_WUR;

/* The Maildir of acct's drafts_folder (default Drafts); caller frees. */
char *compose_drafts_dir(const struct cfg_account *acct);

/* Undo send: put the queued message id (in any state) back into the
 * drafts_folder of the account that was to send it (the envelope's, else
 * the one of its From address, else the default) with flags "DS", its
 * Bcc recipients (the envelope's recipients in neither To nor Cc) in a Bcc
 * field, then remove it from q.  The draft is stored first: when the
 * removal fails (EX_NOINPUT: a flusher took the message meanwhile) the
 * draft is removed again and nothing changed.  *path_out (may be NULL)
 * gets the draft's path; *in_reply_to_out (may be NULL) the message id
 * (without angle brackets) the message replied to, or NULL, so the caller
 * can take back the replied flag the send set.  EX_CONFIG without a
 * configuration. */
int compose_unsend(const struct cfg *cfg, struct queue *q, const char *id, char **path_out,
		   char **in_reply_to_out, struct err *err) COMPOSE_WUR;

/* Add the Maildir flag R (replied) to the message with key in the Maildir
 * folder_dir, keeping its other flags. */
int compose_mark_replied(const char *folder_dir, const char *key, struct err *err) COMPOSE_WUR;

#endif
