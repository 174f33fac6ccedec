/*
 * identity: which of the user's addresses a message was sent to.  The
 * user's addresses are every account's address and aliases; telling one
 * (and the account it belongs to) is cfg_account_for_address()'s.  This
 * module reads a message's recipient fields to find the identity a reply
 * or forward is written from.  Building the From line and the draft is
 * compose's.
 */
#ifndef SUREL_IDENTITY_H
#define SUREL_IDENTITY_H

#include "cfg.h"
#include "msg.h"

/* The first of the user's addresses found in m's To, then Cc, then
 * Delivered-To, then X-Original-To fields (each field in the order
 * written, every occurrence): its account is returned and the address as
 * the message wrote it goes to *addr_out (the caller frees).  NULL, and
 * *addr_out NULL, when none is the user's or cfg is NULL. */
const struct cfg_account *identity_of_msg(const struct cfg *cfg, const struct msg *m,
					  char **addr_out);

/* One identity to write from: an account and one of its addresses. */
struct identity {
	const struct cfg_account *acct;  /* borrowed from the cfg */
	char *addr;                      /* owned by the array */
};

/* Every identity of cfg, for the user to pick from: each account's address,
 * then its aliases that are addresses (a "*@domain" pattern is not one),
 * accounts in file order.  Returns the count; *out (NULL when 0) is freed
 * with identity_list_free(). */
size_t identity_list(const struct cfg *cfg, struct identity **out);
void identity_list_free(struct identity *v, size_t n);

#endif
