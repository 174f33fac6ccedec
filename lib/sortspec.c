#include "config.h"

#include <string.h>

#include "sortspec.h"

static const char *const names[SORTSPEC_NKEYS] = {
	"date", "date-received", "from", "to", "subject", "size", "threads",
};

int sortspec_parse(const char *s, struct sortspec *out)
{
	size_t k;

	out->reverse = 0;
	if (strncmp(s, "reverse-", 8) == 0) {
		out->reverse = 1;
		s += 8;
	}
	if (strcmp(s, "date-sent") == 0)
		s = "date";
	for (k = 0; k < SORTSPEC_NKEYS; k++)
		if (strcmp(s, names[k]) == 0) {
			out->key = (enum sortspec_key)k;
			return 0;
		}
	return -1;
}

const char *sortspec_name(enum sortspec_key key)
{
	return key < SORTSPEC_NKEYS ? names[key] : "?";
}
