#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "afile.h"
#include "buf.h"
#include "maildir.h"
#include "mbox.h"
#include "save.h"

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

enum save_kind save_kind_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? SAVE_MAILDIR : ends_with(path, ".eml") ? SAVE_EML : SAVE_MBOX;
	if (ends_with(path, ".eml"))
		return SAVE_EML;
	if (ends_with(path, ".mbox"))
		return SAVE_MBOX;
	return SAVE_MAILDIR;
}

int save_store(enum save_kind kind, const char *path, const char *data, size_t len,
	       const char *flags, const char *sender, time_t date, struct err *err)
{
	struct buf out = BUF_INIT;
	struct stat st;
	int rc;

	switch (kind) {
	case SAVE_MAILDIR:
		return maildir_deliver(path, data, len, flags, NULL, err);
	case SAVE_EML:
		/* afile_write() replaces; a file saved before is not lost. */
		if (lstat(path, &st) == 0 || errno != ENOENT)
			return err_set(err, EX_CANTCREAT, "'%s' exists already", path);
		return afile_write(path, data, len, 0600, err);
	case SAVE_MBOX:
	default:
		mbox_format(&out, data, len, sender, date);
		rc = mbox_append(path, out.data, out.len, err);
		buf_release(&out);
		return rc;
	}
}
