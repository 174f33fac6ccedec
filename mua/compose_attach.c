/*
 * compose_attach: the attachment list of a compose and the MIME type of a
 * file.  The bottom of the compose module: it calls nothing in the other
 * compose files (compose_draft.c and compose.c call it).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "afile.h"
#include "codec.h"
#include "compose_internal.h"
#include "enqueue.h"
#include "xalloc.h"

void compose_attach_data(struct compose *c, const char *name, const char *type,
			 const void *data, size_t len)
{
	struct compose_attach *a;
	size_t i;

	c->att = xreallocarray(c->att, c->natt + 1, sizeof(*c->att));
	a = &c->att[c->natt++];
	a->name = name ? xstrdup(name) : NULL;
	a->type = xstrdup(type ? type : compose_guess_type(name, data, len));
	for (i = 0; a->type[i]; i++)
		a->type[i] = (char)(a->type[i] >= 'A' && a->type[i] <= 'Z' ? a->type[i] + 32
									 : a->type[i]);
	a->data = xmemdup(data, len);
	a->len = len;
}

int compose_attach_file(struct compose *c, const char *path, struct err *err)
{
	const char *base = strrchr(path, '/');
	char *data = NULL;
	size_t len = 0;

	if (afile_read(path, ENQUEUE_MAX_SIZE, &data, &len, err) < 0) {
		err_prefix(err, "cannot attach '%s'", path);
		return -1;
	}
	base = base ? base + 1 : path;
	compose_attach_data(c, base[0] ? base : "attachment", NULL, data, len);
	free(data);
	return 0;
}

size_t compose_attach_count(const struct compose *c)
{
	return c->natt;
}

const char *compose_attach_name(const struct compose *c, size_t i)
{
	return c->att[i].name;
}

const char *compose_attach_type(const struct compose *c, size_t i)
{
	return c->att[i].type;
}

size_t compose_attach_size(const struct compose *c, size_t i)
{
	return c->att[i].len;
}

void compose_attach_drop(struct compose *c, size_t i)
{
	free(c->att[i].name);
	free(c->att[i].type);
	free(c->att[i].data);
	memmove(&c->att[i], &c->att[i + 1], (c->natt - i - 1) * sizeof(*c->att));
	c->natt--;
}

/* --- types ---------------------------------------------------------------- */

/* By file name extension: deterministic and dependency-free.  (libmagic
 * would also recognise files without an extension; unknown ones fall back
 * to a look at the bytes below.) */
static const struct {
	const char *ext;
	const char *type;
} ext_types[] = {
	{ "7z", "application/x-7z-compressed" }, { "asc", "application/pgp-signature" },
	{ "bz2", "application/x-bzip2" },        { "c", "text/x-c" },
	{ "css", "text/css" },                   { "csv", "text/csv" },
	{ "diff", "text/x-diff" },               { "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "eml", "message/rfc822" },             { "gif", "image/gif" },
	{ "gz", "application/gzip" },            { "h", "text/x-c" },
	{ "heic", "image/heic" },                { "htm", "text/html" },
	{ "html", "text/html" },                 { "ics", "text/calendar" },
	{ "jpeg", "image/jpeg" },                { "jpg", "image/jpeg" },
	{ "js", "text/javascript" },             { "json", "application/json" },
	{ "md", "text/markdown" },               { "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },                  { "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ogg", "audio/ogg" },                  { "patch", "text/x-diff" },
	{ "pdf", "application/pdf" },            { "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "py", "text/x-python" },               { "rtf", "application/rtf" },
	{ "sh", "text/x-shellscript" },          { "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },          { "tgz", "application/gzip" },
	{ "tif", "image/tiff" },                 { "tiff", "image/tiff" },
	{ "txt", "text/plain" },                 { "vcf", "text/vcard" },
	{ "wav", "audio/wav" },                  { "webm", "video/webm" },
	{ "webp", "image/webp" },                { "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "xml", "application/xml" },            { "xz", "application/x-xz" },
	{ "zip", "application/zip" },            { "zst", "application/zstd" },
};

const char *compose_guess_type(const char *name, const char *data, size_t len)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t i;

	if (dot && dot[1] && !strchr(dot, '/')) {
		for (i = 0; i < sizeof(ext_types) / sizeof(ext_types[0]); i++) {
			if (strcasecmp(dot + 1, ext_types[i].ext) == 0)
				return ext_types[i].type;
		}
	}
	/* Text is valid UTF-8 without control characters other than the
	 * ones text files hold (TAB, LF, FF, CR). */
	if (!codec_utf8_valid(data, len))
		return "application/octet-stream";
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];

		if ((ch < ' ' && !strchr("\t\n\f\r", ch)) || ch == 0x7f)
			return "application/octet-stream";
	}
	return "text/plain";
}
