#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "identity.h"
#include "xalloc.h"

/* The user's first address among the values of every field called name. */
static const struct cfg_account *match_field(const struct cfg *cfg, const struct msg *m,
					     const char *name, char **addr_out)
{
	const struct cfg_account *a = NULL;
	const char *fname, *value;
	struct addr_mbox *v;
	size_t i, j, n;

	for (i = 0; !a && i < msg_header_count(m); i++) {
		msg_header_at(m, i, &fname, &value);
		if (strcasecmp(fname, name) != 0)
			continue;
		n = addr_parse_list(value, &v);
		for (j = 0; !a && j < n; j++) {
			if (v[j].addr[0] && (a = cfg_account_for_address(cfg, v[j].addr)) != NULL)
				*addr_out = xstrdup(v[j].addr);
		}
		addr_list_free(v, n);
	}
	return a;
}

const struct cfg_account *identity_of_msg(const struct cfg *cfg, const struct msg *m,
					  char **addr_out)
{
	/* The visible recipients first: a message Cc'd to the work address
	 * and forwarded by the server to the home one is answered as
	 * work.  Delivered-To and X-Original-To catch Bcc and lists. */
	static const char *const fields[] = { "To", "Cc", "Delivered-To", "X-Original-To" };
	const struct cfg_account *a = NULL;
	size_t i;

	*addr_out = NULL;
	for (i = 0; cfg && !a && i < sizeof(fields) / sizeof(fields[0]); i++)
		a = match_field(cfg, m, fields[i], addr_out);
	return a;
}

static void list_add(struct identity **v, size_t *n, const struct cfg_account *a,
		     const char *addr, size_t len)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].acct = a;
	(*v)[*n].addr = xstrndup(addr, len);
	(*n)++;
}

size_t identity_list(const struct cfg *cfg, struct identity **out)
{
	const struct cfg_account *a;
	const char *p, *s;
	size_t i, n = 0, len;

	*out = NULL;
	for (i = 0; cfg && i < cfg_account_count(cfg); i++) {
		a = cfg_account_at(cfg, i);
		s = cfg_get(a, "address");
		list_add(out, &n, a, s, strlen(s));
		/* cfg validated the list: items between blanks and commas. */
		for (p = cfg_get(a, "aliases"); p && *p; p = s + len) {
			s = p + strspn(p, " \t,");
			len = strcspn(s, " \t,");
			if (len && s[0] != '*')
				list_add(out, &n, a, s, len);
		}
	}
	return n;
}

void identity_list_free(struct identity *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].addr);
	free(v);
}
