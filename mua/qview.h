/*
 * qview: the outgoing queue on screen (Q in the index): each message with
 * its state, next attempt, recipients and last server reply, refreshed
 * every second.  d cancels a message (a queued one only while it is still
 * inside its send_delay window, so nothing already handed to the relay is
 * pulled back): it goes back to the drafts folder (compose_unsend), to be
 * recalled.  h holds or releases, r retries now.  Every change goes
 * through sendq/queue.h and compose.h; this module never touches queue
 * files.
 */
#ifndef SUREL_QVIEW_H
#define SUREL_QVIEW_H

#include "cfg.h"
#include "queue.h"

/* Called after a message was taken back out of the queue, with the
 * message id (without angle brackets) it replied to, or NULL, so the
 * caller can take back the replied flag the send set. */
typedef void (*qview_unsent_fn)(void *arg, const char *in_reply_to);

/* Run the screen until q; q and cfg (NULL without a configuration) are
 * borrowed.  unsent (may be NULL) is called with arg as above. */
void qview_show(struct queue *q, const struct cfg *cfg, qview_unsent_fn unsent, void *arg);

#endif
