/*
 * recall: the postponed messages of an account (its drafts_folder).
 * Whether there are any, a list to pick one from, resuming it on the
 * compose screen, and taking it out of Drafts once it is sent or postponed
 * anew; and, for undo send, taking back the replied flag of an original.
 * The compose screen is composeui's, reading a draft back is compose's.
 */
#ifndef SUREL_RECALL_H
#define SUREL_RECALL_H

#include <stddef.h>

#include "cfg.h"
#include "composeui.h"
#include "queue.h"

/* The number of messages in acct's drafts folder; 0 when it is missing or
 * acct is NULL. */
size_t recall_count(const struct cfg_account *acct);

/* Let the user pick a postponed message of acct (the only one without
 * asking, else from a list, newest selected; q picks none) and run the
 * compose screen on it (cfg and q as composeui_run's).  A message sent or
 * postponed again leaves Drafts; an aborted one stays.  When it was sent,
 * *in_reply_to_out gets the message id (without angle brackets) it
 * replies to, or NULL (caller frees), so the caller can mark the original
 * replied.  Errors are shown on the message line. */
enum composeui_result recall_run(const struct cfg *cfg, const struct cfg_account *acct,
				 struct queue *q, char **in_reply_to_out);

/* Undo send's other half: take the replied flag R off the message whose
 * Message-ID is message_id (without angle brackets) in the folders under
 * the Maildir root, skipping the folder skip_dir (may be NULL: the one on
 * screen, which the caller handles through its own index).  The first
 * folder holding it wins (INBOX first).  1 when found there, 0 when not
 * (an unreadable root or folder counts as not holding it); -1 when a flag
 * could not be changed (err filled). */
int recall_unreply(const char *root, const char *skip_dir, const char *message_id,
		   struct err *err) __attribute__((warn_unused_result));

#endif
