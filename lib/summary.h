/*
 * summary: what a message list shows and threads by, read from a parsed
 * message: date, first sender and recipient, subject and the ids of
 * Message-ID, In-Reply-To and References.  One reading for every store, so
 * a thread threads the same in a Maildir (spool/index.h, which caches it)
 * and in an mbox (mua/mailbox.h).  Parsing the message is msg.h's job.
 *
 * Ids of In-Reply-To and References are read leniently, as mail has them:
 * an id is what stands between '<' and '>' outside comments and quoted
 * strings, with blanks inside it (a folded id) dropped; a '<' without its
 * '>' ends the list.  A value without any '<' is taken as blank- or
 * comma-separated bare ids, each word that holds an '@'.  References keeps
 * each id once, where it last appears (so the parent stays last); past
 * SUMMARY_REFS_MAX ids, the first (the thread's root) and the newest stay.
 *
 * Recipients are kept whole for the MUA's patterns (~t, ~c, ~C, ~L, ~p, ~l):
 * each mailbox of To and of Cc as a line "addr" or "addr<TAB>name", the
 * lines joined by LF, control characters in names made blanks.  The list a
 * message came through is the address of List-Post's first mailto: URI
 * (RFC 2369), else List-Id's id (RFC 2919).
 *
 * Ownership: the strings of a struct summary are borrowed from the msg and
 * from the scratch buffer given to summary_read(); they stay valid until
 * msg_free() or the next change of that buffer.
 */
#ifndef SUREL_SUMMARY_H
#define SUREL_SUMMARY_H

#include <time.h>

#include "buf.h"
#include "msg.h"

/* References longer than this lose their oldest ids but the root. */
#define SUMMARY_REFS_MAX 128

struct summary {
	time_t date;              /* Date header, -1 when absent or unreadable */
	const char *from;         /* display name of the first From, else its address, else "" */
	const char *from_addr;    /* address of the first From, "" if none */
	const char *to;           /* first To: display name else address, "" if none */
	const char *subject;      /* decoded UTF-8, "" when absent */
	const char *message_id;   /* without <>, NULL when absent */
	const char *in_reply_to;  /* the first id of In-Reply-To, or NULL */
	const char *references;   /* ids of References, oldest first, space-separated, or NULL */
	const char *to_all;       /* every To mailbox, lines "addr[TAB name]", or NULL */
	const char *cc_all;       /* every Cc mailbox, the same, or NULL */
	const char *list;         /* List-Post address, else List-Id, else NULL */
};

/* Summarise m into *out, using scratch (its contents are replaced) for
 * the strings that are not m's own. */
void summary_read(const struct msg *m, struct buf *scratch, struct summary *out);

/* The ids of an In-Reply-To or References value v (NULL allowed), read as
 * summary_read() reads them, without their <>: the first one, or all of
 * them space-separated as References is kept.  NULL when v has none.
 * Caller frees. */
char *summary_first_id(const char *v);
char *summary_id_list(const char *v);

/* The address of the first mailto: URI of a List-Post value (RFC 2369
 * 3.4: "<mailto:list@host?subject=x>", several URIs comma-separated),
 * appended to out without its parameters: 1.  0 when there is none, -1
 * when the value is "NO" (posting is not allowed). */
int summary_list_post(const char *value, struct buf *out);

#endif
