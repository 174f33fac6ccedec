/*
 * rules: filing on arrival.  An account's `rule1`, `rule2`, ... keys
 * (surel.conf(5)) each say "HEADER ~ REGEX -> FOLDER" (or "!~": no field
 * of that name matches); the first rule, in number order, that matches a
 * message's header block names the folder it is filed into.  This module
 * parses, validates and matches rules; it never touches a Maildir: where
 * the message goes is `spool deliver`'s and spool/fetch.c's business.
 * It knows nothing of the configuration file: lib/cfg.c calls
 * rules_check() so a bad rule is a config error at load, and builds an
 * account's list with cfg_rules().
 */
#ifndef SUREL_RULES_H
#define SUREL_RULES_H

#include <stddef.h>

#include "err.h"
#include "msg.h"

#define RULES_WUR __attribute__((warn_unused_result))

/* Longest header block rules look at (bytes); mail with a larger one is
 * matched on what fits. */
#define RULES_HEAD_MAX (256u * 1024)

struct rules;

/* Whether spec is a valid rule; on failure err (EX_CONFIG) says why, e.g.
 * "bad regular expression '(x': parenthesis not balanced". */
int rules_check(const char *spec, struct err *err) RULES_WUR;

/* An empty rule list. */
struct rules *rules_new(void);
void rules_free(struct rules *r);
/* Append the rule spec (copied and compiled); EX_CONFIG as rules_check(). */
int rules_add(struct rules *r, const char *spec, struct err *err) RULES_WUR;

size_t rules_count(const struct rules *r);
/* The target folder of rule i (borrowed, valid until rules_free()). */
const char *rules_folder_at(const struct rules *r, size_t i);

/* The folder of the first rule m matches, or NULL for none (borrowed from
 * r).  Header values are RFC 2047-decoded before matching; "~" matches
 * when any field of that name matches, "!~" when none does (an absent
 * header included). */
const char *rules_match(const struct rules *r, const struct msg *m);
/* rules_match() on the message (or its first bytes) at data: at most
 * RULES_HEAD_MAX bytes are parsed, headers only. */
const char *rules_match_data(const struct rules *r, const char *data, size_t len);

/* Whether the len bytes at data hold the end of a header block (an empty
 * line), so a reader knows it has read enough for rules_match_data(). */
int rules_head_complete(const char *data, size_t len);

#endif
