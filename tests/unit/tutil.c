#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tutil.h"
#include "xalloc.h"

static char tmpdir[4096];
static char *saved_name, *saved_value;

const char *tutil_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0])
		tutil_rmtree();
	snprintf(tmpdir, sizeof(tmpdir), "%s/surel-unit-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		abort();
	}
	return tmpdir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tutil_rmtree(void)
{
	if (!tmpdir[0])
		return;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

char *tutil_read_data(const char *rel, size_t *len_out)
{
	char path[4096];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, rel);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = xmalloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(data);
		return NULL;
	}
	data[n] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)n;
	return data;
}

int tutil_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int tutil_count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

void tutil_env_save(const char *name)
{
	const char *v = getenv(name);

	tutil_env_restore();
	saved_name = xstrdup(name);
	saved_value = v ? xstrdup(v) : NULL;
}

void tutil_env_restore(void)
{
	if (!saved_name)
		return;
	if (saved_value)
		setenv(saved_name, saved_value, 1);
	else
		unsetenv(saved_name);
	free(saved_name);
	free(saved_value);
	saved_name = saved_value = NULL;
}
