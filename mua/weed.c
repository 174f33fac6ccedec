#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "buf.h"
#include "codec.h"
#include "weed.h"

/* The session's list: items NUL-separated, an empty item ends it; NULL
 * until set (then the default). */
static char *shown;

void weed_set(const char *spec)
{
	struct buf b = BUF_INIT;
	const char *p = spec ? spec : "";
	size_t n;

	for (;;) {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		buf_append(&b, p, n);
		buf_putc(&b, '\0');
		p += n;
	}
	free(shown);
	shown = NULL;
	if (b.len == 0) {
		buf_release(&b);
		return;
	}
	buf_putc(&b, '\0');
	shown = buf_detach(&b, NULL);
}

/* Whether the field name matches item ("Name", or "Name*" a prefix). */
static int item_matches(const char *item, const char *name)
{
	size_t n = strlen(item), i;

	if (n == 0 || item[n - 1] != '*')
		return ascii_ieq(name, strlen(name), item);
	for (i = 0; i + 1 < n; i++)
		if (!name[i] || ascii_lower((unsigned char)name[i]) != ascii_lower((unsigned char)item[i]))
			return 0;
	return 1;
}

static void show(const struct msg *m, size_t i, weed_field_fn fn, void *arg)
{
	struct buf v = BUF_INIT;
	const char *name, *raw;

	msg_header_at(m, i, &name, &raw);
	codec_header_decode(raw, strlen(raw), &v);
	fn(arg, name, v.data ? v.data : "");
	buf_release(&v);
}

void weed_fields(const struct msg *m, int all, weed_field_fn fn, void *arg)
{
	const char *item, *name, *raw;
	size_t i, n = msg_header_count(m);

	if (all) {
		for (i = 0; i < n; i++)
			show(m, i, fn, arg);
		return;
	}
	if (!shown)
		weed_set(WEED_DEFAULT);
	for (item = shown; *item; item += strlen(item) + 1)
		for (i = 0; i < n; i++) {
			msg_header_at(m, i, &name, &raw);
			if (item_matches(item, name))
				show(m, i, fn, arg);
		}
}
