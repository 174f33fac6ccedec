/*
 * pager: one message on screen: the main headers, the decoded text with
 * quote levels coloured, long lines wrapped by display width, and the list
 * of attachments; `v` opens the part list, where Enter views a part
 * through the user's mailcap (mailcap.h) and `s` saves it.  A message with
 * only HTML shows it through a copiousoutput mailcap entry, else as
 * stripped text (html.h).  Text reaches the terminal only through
 * ui_text(), which sanitises it (command output too).
 * It neither changes flags nor composes; it tells the index screen what
 * the user asked for (for an attached message, the pager_set_compose()
 * hook).
 */
#ifndef SUREL_PAGER_H
#define SUREL_PAGER_H

#include <stddef.h>

/* What the user asked for when leaving the pager. */
enum pager_action {
	PAGER_BACK,      /* q: back to the index */
	PAGER_NEXT,      /* J: the next message */
	PAGER_PREV,      /* K: the previous message */
	PAGER_REPLY,     /* r */
	PAGER_GROUP,     /* g: reply to all */
	PAGER_LIST,      /* L: reply to the mailing list */
	PAGER_FORWARD,   /* f */
	PAGER_DELETE,    /* d: mark deleted and go on */
	PAGER_FLAG,      /* F */
	PAGER_PIPE,      /* |: pipe the message to a command */
	PAGER_COPY,      /* C: copy it to a folder or file */
	PAGER_SAVE,      /* s: move or save it */
	PAGER_JUMP,      /* %: jump-original (a report <-> its message) */
};

/* Show the len bytes of a raw message; title is shown in the status bar
 * (e.g. "INBOX 3/10").  autocrypt_account (NULL: none) is the account
 * whose Autocrypt state learns from the message once it is opened
 * (autocrypt_learn_for(), with the decrypted payload's header, so that
 * gossip inside the encryption counts).  Returns when the user leaves. */
enum pager_action pager_show(const char *data, size_t len, const char *title,
			     const char *autocrypt_account);

/* An attached message (message/rfc822 opened from the part list) is
 * answered through fn: r, g, L and f there call fn(arg, action, data,
 * len) with the attached message's bytes, and the part list comes back
 * afterwards.  The other actions (d, F, J, K, |, C, s) belong to the
 * folder's message: there they say so and go back.  Without fn (NULL,
 * the default) r, g, L and f say so too. */
typedef void pager_compose_fn(void *arg, enum pager_action act, const char *data, size_t len);
void pager_set_compose(pager_compose_fn *fn, void *arg);

#endif
