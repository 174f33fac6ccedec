#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "buf.h"
#include "path.h"
#include "sortstate.h"
#include "xalloc.h"

#define MAGIC "surel-sort-order 1\n"
/* A state file beyond this is not ours. */
#define STATE_MAX (16UL * 1024 * 1024)

static char *state_file(const char *name)
{
	return path_xdg(PATH_XDG_STATE, name);
}

/* The folder's real path, so "INBOX" and "./INBOX" are one folder. */
static char *folder_id(const char *path)
{
	char *r = realpath(path, NULL);

	return r ? r : xstrdup(path);
}

/* The state file's contents after the magic line, or NULL. */
static char *read_lines(void)
{
	struct err err = ERR_INIT;
	char *file = state_file("sort-order"), *data = NULL;
	size_t len;

	if (afile_read(file, STATE_MAX, &data, &len, &err) < 0 ||
	    strncmp(data, MAGIC, strlen(MAGIC)) != 0 || memchr(data, '\0', len)) {
		free(data);
		data = NULL;
	}
	free(file);
	return data;
}

/* Parse one line "T SORT AUX PATH"; 0 when it is well formed. */
static int parse_line(char *line, struct sortstate *st, const char **path)
{
	char *f[3], *p = line;
	size_t i;

	for (i = 0; i < 3; i++) {
		f[i] = p;
		p = strchr(p, ' ');
		if (!p)
			return -1;
		*p++ = '\0';
	}
	if (strcmp(f[0], "0") != 0 && strcmp(f[0], "1") != 0)
		return -1;
	if (sortspec_parse(f[1], &st->sort) < 0 || st->sort.key == SORTSPEC_THREADS ||
	    sortspec_parse(f[2], &st->aux) < 0 || st->aux.key == SORTSPEC_THREADS)
		return -1;
	st->threads = f[0][0] == '1';
	*path = p;
	return 0;
}

static void put_line(struct buf *out, const struct sortstate *st, const char *path)
{
	buf_printf(out, "%d %s%s %s%s %s\n", st->threads ? 1 : 0, st->sort.reverse ? "reverse-" : "",
		   sortspec_name(st->sort.key), st->aux.reverse ? "reverse-" : "", sortspec_name(st->aux.key),
		   path);
}

int sortstate_get(const char *path, struct sortstate *out)
{
	char *data = read_lines(), *id, *line, *save = NULL;
	const char *p;
	struct sortstate st;
	int found = 0;

	if (!data)
		return 0;
	id = folder_id(path);
	for (line = strtok_r(data + strlen(MAGIC), "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		if (parse_line(line, &st, &p) == 0 && strcmp(p, id) == 0) {
			*out = st;
			found = 1;
		}
	}
	free(id);
	free(data);
	return found;
}

int sortstate_put(const char *path, const struct sortstate *st, struct err *err)
{
	char *file = state_file("sort-order"), *lockp = state_file("sort-order.lock");
	char *dir = state_file(NULL), *id = folder_id(path), *data = NULL, *line, *save = NULL;
	struct buf out = BUF_INIT;
	struct sortstate old;
	const char *p;
	int fd = -1, rc = -1;

	if (strchr(id, '\n')) {
		rc = 0;  /* such a folder's order is not remembered */
		goto done;
	}
	if (afile_mkdirs(dir, err) < 0 || (fd = afile_lock(lockp, 1, err)) < 0)
		goto done;
	data = read_lines();
	buf_puts(&out, MAGIC);
	for (line = data ? strtok_r(data + strlen(MAGIC), "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (parse_line(line, &old, &p) == 0 && strcmp(p, id) != 0)
			put_line(&out, &old, p);
	put_line(&out, st, id);
	rc = afile_write(file, out.data, out.len, 0, err);
done:
	afile_unlock(fd);
	buf_release(&out);
	free(data);
	free(id);
	free(dir);
	free(lockp);
	free(file);
	return rc;
}
