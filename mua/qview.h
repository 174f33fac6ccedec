/*
 * qview: the outgoing queue on screen (Q in the index): each message with
 * its state, next attempt, recipients and last server reply, refreshed
 * every second.  d cancels a message (a queued one only while it is still
 * inside its send_delay window, so nothing already handed to the relay is
 * pulled back), h holds or releases, r retries now.  Every change goes
 * through sendq/queue.h; this module never touches queue files.
 */
#ifndef SUREL_QVIEW_H
#define SUREL_QVIEW_H

#include "queue.h"

/* Run the screen until q; q is borrowed.  send_delay is the [general]
 * send_delay in seconds (0 when none). */
void qview_show(struct queue *q, long send_delay);

#endif
