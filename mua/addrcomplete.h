/*
 * addrcomplete: Tab in a prompt where addresses are typed.  The last entry
 * of the line (after the last comma outside quotes) is looked up in the
 * three sources of abook.h (aliases, the book learned from mail,
 * address_cmd); one match replaces it ("Name <addr>", an alias all its
 * addresses), several open a choice list above the prompt (Up/Down or
 * Tab to move, Enter to take, Esc to leave the line as it was).  Finding
 * and ranking addresses is abook.h's; reading the line is ui.h's.
 *
 * The learned book is loaded (and brought up to date) at the first Tab and
 * kept until addrcomplete_free().
 */
#ifndef SUREL_ADDRCOMPLETE_H
#define SUREL_ADDRCOMPLETE_H

#include "buf.h"
#include "cfg.h"

struct addrcomplete;

/* For the identity account (NULL: the default) of cfg (may be NULL: only
 * the queue is read); both borrowed until addrcomplete_free(). */
struct addrcomplete *addrcomplete_new(const struct cfg *cfg, const char *account);
void addrcomplete_free(struct addrcomplete *ac);

/* The complete callback of struct ui_prompt_ops; arg is a struct
 * addrcomplete. */
void addrcomplete_tab(void *arg, struct buf *line);

/* ui_prompt() with Tab completing addresses: 0 with the text in line, -1
 * when cancelled. */
int addrcomplete_prompt(struct addrcomplete *ac, const char *question, const char *initial,
			struct buf *line);

#endif
