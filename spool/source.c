#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "msg.h"
#include "pwcmd.h"
#include "source.h"
#include "xalloc.h"

void source_items_free(struct source_item *items, size_t n)
{
	size_t i;

	if (!items)
		return;
	for (i = 0; i < n; i++) {
		free(items[i].uidl);
		free(items[i].message_id);
	}
	free(items);
}

void source_names_free(char **names, size_t n)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int source_secret(const struct source_conf *conf, char **secret_out, struct err *err)
{
	if (conf->password_cmd) {
		if (pwcmd_run(conf->password_cmd, secret_out, err) < 0) {
			err_prefix(err, "password_cmd");
			return -1;
		}
		return 0;
	}
	if (conf->password) {
		*secret_out = xstrdup(conf->password);
		return 0;
	}
	return err_set(err, EX_CONFIG, "no password_cmd (or password) for user '%s'",
		       conf->user ? conf->user : "");
}

void source_reply(const char *text, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	size_t i, n;

	if (size == 0)
		return;
	out[0] = '\0';
	if (!text)
		return;
	codec_sanitize(text, strlen(text), 0, &b);
	n = b.len < size - 1 ? b.len : size - 1;
	/* Do not cut a UTF-8 sequence in two. */
	while (n > 0 && n < b.len && ((unsigned char)b.data[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, b.data, n);
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if (out[i] == '\r' || out[i] == '\n')
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	buf_release(&b);
}

int source_host_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

char *source_message_id(const char *data, size_t len)
{
	struct msg *m = msg_parse(data, len, MSG_HEADERS_ONLY);
	const char *id = m ? msg_message_id(m) : NULL;
	char *copy = id ? xstrdup(id) : NULL;

	msg_free(m);
	return copy;
}

void source_digest(const void *p, size_t n, char out[17])
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3u;
	}
	snprintf(out, 17, "%016" PRIx64, h);
}
