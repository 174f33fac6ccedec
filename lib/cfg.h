/*
 * cfg: the configuration file ($XDG_CONFIG_HOME/surel/config, INI syntax,
 * parsed with inih) and the accounts it defines.  Every key is checked when
 * the file is loaded: unknown keys, bad values and unsafe permissions are
 * errors naming the file, line and key.  Values are read-only afterwards.
 * Running password_cmd is pwcmd.h's job, not this module's.
 */
#ifndef SUREL_CFG_H
#define SUREL_CFG_H

#include <stddef.h>

#include "err.h"

struct cfg;
struct cfg_account;
struct rules;

/* The default file: $XDG_CONFIG_HOME/surel/config (caller frees). */
char *cfg_default_path(void);

/* Load path (NULL = cfg_default_path()).  A missing file fails with
 * err->code == EX_CONFIG and err->errnum == ENOENT, so callers that can work
 * without one can tell.  A file holding a `password` key that is readable by
 * group or others is refused.  Caller frees with cfg_free(). */
struct cfg *cfg_load(const char *path, struct err *err)
	__attribute__((warn_unused_result));
void cfg_free(struct cfg *cfg);

/* The file this was loaded from (borrowed). */
const char *cfg_path(const struct cfg *cfg);

/* The lines of the [keys MENU] sections (MENU: index, pager or compose),
 * in file order, as written (leading blanks, blank lines and comment
 * lines dropped): the MUA's key tables parse them (mua/keymap.h).  *menu
 * and the text are borrowed; *line is the line number.  cfg may be NULL
 * for the count (0). */
size_t cfg_keys_count(const struct cfg *cfg);
const char *cfg_keys_at(const struct cfg *cfg, size_t i, const char **menu, int *line);

/* A key of the [general] section, or NULL when unset (borrowed). */
const char *cfg_general(const struct cfg *cfg, const char *key);
/* An integer [general] key; dflt when unset (validated at load). */
long cfg_general_int(const struct cfg *cfg, const char *key, long dflt);
/* A duration [general] key ("90", "30m", "5d"; validated at load) in
 * seconds; dflt when unset. */
long cfg_general_duration(const struct cfg *cfg, const char *key, long dflt);

/* The default of retry_schedule, and of expire in seconds. */
#define CFG_RETRY_DEFAULT "1m,5m,15m,1h,4h"
#define CFG_EXPIRE_DEFAULT (5L * 24 * 60 * 60)
/* Seconds to wait before retry number attempt (1 = after the first failed
 * try) following retry_schedule, else CFG_RETRY_DEFAULT; past the end of
 * the list its last step repeats.  attempt 0 counts as 1. */
long cfg_retry_delay(const struct cfg *cfg, unsigned attempt);

size_t cfg_account_count(const struct cfg *cfg);
const struct cfg_account *cfg_account_at(const struct cfg *cfg, size_t i);

/* The account called name, or with name NULL the default one
 * (default_account, else the first in the file).  NULL with err set
 * (EX_CONFIG) when there is no such account. */
const struct cfg_account *cfg_account_find(const struct cfg *cfg, const char *name,
					   struct err *err);
/* The account whose address equals addr (case-insensitive), else the
 * first in the file whose aliases hold addr, else the first with a
 * "*@domain" alias for addr's domain; NULL when none.  This is how the queue routes a message by its
 * From address and how the MUA tells the user's own addresses. */
const struct cfg_account *cfg_account_for_address(const struct cfg *cfg, const char *addr);
/* Whether addr is account a's: its address or one of its aliases (as
 * above, case-insensitive). */
int cfg_account_has_address(const struct cfg_account *a, const char *addr);

/* Whether addr is a mailing list of the user's: 2 when [general] or any
 * account subscribes to it (the subscribe key), 1 when it is only known
 * (lists), else 0.  Both keys hold addresses and "*@domain" patterns, as
 * aliases does.  0 when cfg is NULL. */
int cfg_list_kind(const struct cfg *cfg, const char *addr);

/* The section's NAME in [account NAME] (borrowed). */
const char *cfg_account_name(const struct cfg_account *a);
/* The raw value of key, or NULL when unset (borrowed, valid until
 * cfg_free).  Path keys (maildir, tls_ca_file, ...) come back with '~'
 * already expanded; maildir is never NULL (unset, it is ~/Mail/NAME);
 * tls_fingerprint comes back as 64 lowercase hex digits without colons. */
const char *cfg_get(const struct cfg_account *a, const char *key);
/* A numbered key (key "rule" stands for rule1, rule2, ...): the value of
 * the i-th one present, counting from 0 in number order (rule2 before
 * rule10), or NULL past the last (borrowed). */
const char *cfg_get_nth(const struct cfg_account *a, const char *key, size_t i);
/* The account's filing rules (lib/rules.h) in number order (rule1 before
 * rule2 before rule10); an account without rules gives an empty list,
 * never NULL on success.  Caller frees with rules_free(). */
struct rules *cfg_rules(const struct cfg_account *a, struct err *err)
	__attribute__((warn_unused_result));
/* Boolean key (yes/no/true/false/on/off/1/0, validated at load). */
int cfg_get_bool(const struct cfg_account *a, const char *key, int dflt);
/* The same for a key of [general]; cfg may be NULL (dflt then). */
int cfg_general_bool(const struct cfg *cfg, const char *key, int dflt);
/* Duration key ("90", "30m", "5d"; validated at load) in seconds. */
long cfg_get_duration(const struct cfg_account *a, const char *key, long dflt);

#endif
