#include "config.h"

#include "patenv.h"

static int is_me(void *arg, const char *addr)
{
	const struct cfg *cfg = arg;

	return cfg && cfg_account_for_address(cfg, addr) != NULL;
}

static int list_kind(void *arg, const char *addr)
{
	return cfg_list_kind(arg, addr);
}

void patenv_init(struct pattern_env *env, const struct cfg *cfg)
{
	env->is_me = is_me;
	env->list_kind = list_kind;
	env->arg = (void *)cfg;
}
