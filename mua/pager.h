/*
 * pager: one message on screen: the main headers, the decoded text with
 * quote levels coloured, long lines wrapped by display width, and the list
 * of attachments; `v` opens the part list, where Enter views a part
 * through the user's mailcap (mailcap.h) and `s` saves it.  A message with
 * only HTML shows it through a copiousoutput mailcap entry, else as
 * stripped text (html.h).  Text reaches the terminal only through
 * ui_text(), which sanitises it (command output too).
 * It neither changes flags nor composes; it tells the index screen what
 * the user asked for.
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
};

/* Show the len bytes of a raw message; title is shown in the status bar
 * (e.g. "INBOX 3/10").  Returns when the user leaves. */
enum pager_action pager_show(const char *data, size_t len, const char *title);

#endif
