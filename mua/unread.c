#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "folderlist.h"
#include "maildir.h"
#include "unread.h"
#include "xalloc.h"

char *unread_next_folder(const char *root, const char *current, size_t *unread_out)
{
	struct err err = ERR_INIT;
	char **names, *found = NULL, *dir;
	size_t n, i, k, start = 0, total, unread;

	if (maildir_folders(root, &names, &n, &err) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (current && strcmp(names[i], current) == 0) {
			start = i + 1;
			break;
		}
	for (k = 0; k < n && !found; k++) {
		i = (start + k) % n;
		if (current && strcmp(names[i], current) == 0)
			continue;
		dir = maildir_folder_path(root, names[i]);
		folderlist_count(dir, &total, &unread);
		free(dir);
		if (unread > 0) {
			found = xstrdup(names[i]);
			*unread_out = unread;
		}
	}
	maildir_names_free(names, n);
	return found;
}
