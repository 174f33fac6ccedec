/*
 * composeui: the compose screen.  Starts a message through compose.h (new,
 * reply, reply to all, forward, a resumed draft, a mailto: URL), hands the
 * terminal to the editor, then shows the headers and attachments with y
 * send, t c b s f r edit To, Cc, Bcc, Subject, From, Reply-To in place, i
 * pick the identity, a attach (Tab completes file names), D drop, e edit
 * again, p cycle PGP (none, sign, encrypt, both; a Security line names
 * recipients without a key), P postpone, q abort (asks).  Building, checking and queueing the
 * message are compose.h's; flags of the original are the caller's.
 */
#ifndef SUREL_COMPOSEUI_H
#define SUREL_COMPOSEUI_H

#include <stddef.h>

#include "cfg.h"
#include "mailto.h"
#include "queue.h"

enum composeui_kind {
	COMPOSEUI_NEW,
	COMPOSEUI_REPLY,
	COMPOSEUI_GROUP,     /* reply to all */
	COMPOSEUI_LIST,      /* reply to the mailing list (L) */
	COMPOSEUI_FORWARD,         /* the text inline */
	COMPOSEUI_FORWARD_ATTACH,  /* the message attached as message/rfc822 */
	COMPOSEUI_DRAFT,     /* orig is a postponed message: straight to the screen */
};

enum composeui_result {
	COMPOSEUI_SENT,      /* committed to the queue */
	COMPOSEUI_KEPT,      /* postponed to Drafts */
	COMPOSEUI_DROPPED,   /* aborted, or it could not start (error shown) */
};

/* Run the whole compose: orig (len bytes, borrowed) is the message replied
 * to, forwarded or resumed, NULL for a new one.  A reply (r, g without
 * Mail-Followup-To) to a message whose Reply-To names other addresses than
 * its From first asks "Reply to ADDRS? ([yes]/no)", as mutt's reply_to:
 * Enter or y follows Reply-To, n answers From, Esc drops the reply.  A resumed draft opens the
 * screen without running the editor first (e edits it).  cfg and account (NULL = default)
 * choose the identity; q (may be NULL: the default queue) receives it. */
enum composeui_result composeui_run(const struct cfg *cfg, const char *account,
				    struct queue *q, enum composeui_kind kind,
				    const char *orig, size_t len);

/* composeui_run() for the n messages origs[i] (lens[i] bytes each, borrowed;
 * mutt's tag-prefix with f, r and g): COMPOSEUI_FORWARD_ATTACH attaches
 * them all to one message; COMPOSEUI_REPLY and COMPOSEUI_GROUP answer
 * them all in one, their recipients joined (without repeats) and their
 * quoted texts one after the other, In-Reply-To the first's; the
 * reply_to question is asked for each message as for one (Esc at any
 * drops the reply).  Any other kind is a reply. */
enum composeui_result composeui_run_many(const struct cfg *cfg, const char *account,
					 struct queue *q, enum composeui_kind kind,
					 const char *const *origs, const size_t *lens, size_t n);

/* The same for a mailto: URL read by mailto_parse() (m borrowed): a new
 * message with its fields, through the editor to the screen; leaving the
 * editor without a change does not abort it. */
enum composeui_result composeui_run_mailto(const struct cfg *cfg, const char *account,
					   struct queue *q, const struct mailto *m);

#endif
