/*
 * patenv: what pattern.h's ~p, ~P, ~l and ~u need from the configuration:
 * the user's addresses (every account's address and aliases, as
 * cfg_account_for_address() tells them) and mailing lists (the lists and
 * subscribe keys, cfg_list_kind()).  Parsing and matching patterns is
 * pattern.h's.
 */
#ifndef SUREL_PATENV_H
#define SUREL_PATENV_H

#include "cfg.h"
#include "pattern.h"

/* Fill env for cfg (borrowed; it must outlive env's use).  With cfg NULL
 * the callbacks say no to every address. */
void patenv_init(struct pattern_env *env, const struct cfg *cfg);

#endif
