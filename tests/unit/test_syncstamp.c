/*
 * syncstamp: the stamps file round trip, what makes two server halves the
 * same (HIGHESTMODSEQ, else the listing digest, never neither), the digest
 * of a listing out of order, and the local half: young directories and a
 * journal vouch for nothing, a changed directory or state file shows.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "suites.h"
#include "syncstamp.h"
#include "tutil.h"
#include "xalloc.h"

static char *base, *dir, *state;

static struct syncstamp sample(uint64_t modseq, const char *digest)
{
	struct syncstamp st;

	memset(&st, 0, sizeof(st));
	st.l.cur_ns = 1700000000123456789LL;
	st.l.new_ns = 1700000001000000001LL;
	st.l.state_ino = 42;
	st.l.state_size = 1234;
	st.l.state_ns = 1700000002000000000LL;
	st.r.uidvalidity = 77;
	st.r.uidnext = 5001;
	st.r.exists = 5000;
	st.r.modseq = modseq;
	snprintf(st.r.digest, sizeof(st.r.digest), "%s", digest);
	return st;
}

static void test_file(void)
{
	struct err err = ERR_INIT;
	char *path = xasprintf("%s/a.stamps", base);
	struct syncstamps *s = syncstamps_load(path);
	struct syncstamp a = sample(9, ""), b = sample(0, "0123456789abcdef");
	const struct syncstamp *got;
	const char *remote = NULL, *folder = NULL;
	const char *other = "version 2\ns 1 2 3 4 5 6 7 8 9 - INBOX INBOX\n";

	CU_ASSERT_PTR_NULL(syncstamps_get(s, "INBOX", NULL));
	syncstamps_set(s, "INBOX", "INBOX", &a);
	syncstamps_set(s, "Projekte/日本語 x", "Projekte/日本語 x%\t", &b);
	syncstamps_set(s, "gone", "gone", &a);
	syncstamps_set(s, "gone", "gone", NULL);
	syncstamps_set(s, "bad\nname", "bad", &a);
	CU_ASSERT_EQUAL(syncstamps_save(s, &err), 0);
	syncstamps_free(s);

	s = syncstamps_load(path);
	CU_ASSERT_EQUAL(syncstamps_count(s), 2);
	got = syncstamps_at(s, 0, &folder, &remote);
	CU_ASSERT_PTR_NOT_NULL(folder);
	got = syncstamps_get(s, "INBOX", &remote);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(remote, "INBOX");
	CU_ASSERT(syncstamp_local_same(&got->l, &a.l));
	CU_ASSERT_EQUAL(got->r.modseq, 9);
	CU_ASSERT_STRING_EQUAL(got->r.digest, "");
	got = syncstamps_get(s, "Projekte/日本語 x", &remote);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(remote, "Projekte/日本語 x%\t");
	CU_ASSERT_STRING_EQUAL(got->r.digest, "0123456789abcdef");
	CU_ASSERT_EQUAL(got->r.uidnext, 5001);
	CU_ASSERT_PTR_NULL(syncstamps_get(s, "gone", NULL));
	CU_ASSERT_PTR_NULL(syncstamps_get(s, "bad\nname", NULL));
	syncstamps_free(s);

	/* Another version, or garbage: no stamps, no error. */
	CU_ASSERT_EQUAL(tutil_write(path, other, strlen(other)), 0);
	s = syncstamps_load(path);
	CU_ASSERT_PTR_NULL(syncstamps_get(s, "INBOX", NULL));
	syncstamps_free(s);
	free(path);
}

static void test_remote_same(void)
{
	struct syncstamp a = sample(9, "0123456789abcdef"), b = a;

	CU_ASSERT(syncstamp_remote_same(&a.r, &b.r));
	b.r.modseq = 10;
	CU_ASSERT(!syncstamp_remote_same(&a.r, &b.r));
	/* Without HIGHESTMODSEQ on one side the digests decide. */
	b.r.modseq = 0;
	CU_ASSERT(syncstamp_remote_same(&a.r, &b.r));
	b.r.digest[0] = '1';
	CU_ASSERT(!syncstamp_remote_same(&a.r, &b.r));
	a.r.modseq = 0;
	a.r.digest[0] = b.r.digest[0] = '\0';
	CU_ASSERT(!syncstamp_remote_same(&a.r, &b.r));
	b = a = sample(9, "");
	b.r.uidnext++;
	CU_ASSERT(!syncstamp_remote_same(&a.r, &b.r));
	b = a;
	b.r.exists--;
	CU_ASSERT(!syncstamp_remote_same(&a.r, &b.r));
	b = a;
	b.r.uidvalidity++;
	CU_ASSERT(!syncstamp_remote_same(&a.r, &b.r));
	a.r.uidvalidity = b.r.uidvalidity = 0;
	CU_ASSERT(!syncstamp_remote_same(&a.r, &b.r));
}

static void digest_of(const uint32_t *uids, const char *const *flags, size_t n, char out[17])
{
	struct syncstamp_digest d;
	size_t i;

	syncstamp_digest_init(&d);
	for (i = 0; i < n; i++)
		syncstamp_digest_add(&d, uids[i], flags[i]);
	syncstamp_digest_end(&d, out);
}

static void test_digest(void)
{
	static const uint32_t u[] = { 1, 2, 3 }, back[] = { 1, 3, 2 };
	static const char *const f[] = { "S", "", "FS" }, *const g[] = { "S", "F", "S" };
	char a[17], b[17];

	digest_of(u, f, 3, a);
	digest_of(u, f, 3, b);
	CU_ASSERT_EQUAL(strlen(a), 16);
	CU_ASSERT_STRING_EQUAL(a, b);
	/* A flag moved from one message to the next changes it. */
	digest_of(u, g, 3, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	digest_of(u, f, 2, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	digest_of(back, f, 3, b);
	CU_ASSERT_STRING_EQUAL(b, "");
}

static void set_mtime(const char *sub, time_t t)
{
	char *p = xasprintf("%s/%s", dir, sub);
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, p, ts, 0), 0);
	free(p);
}

static void test_local(void)
{
	struct syncstamp_local a, b;
	char *p, *j = xasprintf("%s.journal", state);
	time_t old = time(NULL) - 60;

	memset(&a, 0, sizeof(a));
	/* Just made: too young to vouch for anything. */
	CU_ASSERT_EQUAL(syncstamp_dirs_now(dir, &a), -1);
	set_mtime("cur", old);
	set_mtime("new", old);
	CU_ASSERT_EQUAL(syncstamp_dirs_now(dir, &a), 0);
	CU_ASSERT_EQUAL(syncstamp_state_now(state, &a), 0);
	CU_ASSERT_EQUAL(a.state_ino, 0);
	CU_ASSERT_EQUAL(tutil_write(state, "version 1\n", 10), 0);
	CU_ASSERT_EQUAL(syncstamp_state_now(state, &a), 0);
	CU_ASSERT_NOT_EQUAL(a.state_ino, 0);
	b = a;
	CU_ASSERT(syncstamp_local_same(&a, &b));
	/* A journal: a run was cut short. */
	CU_ASSERT_EQUAL(tutil_write(j, "j 1\n", 4), 0);
	CU_ASSERT_EQUAL(syncstamp_state_now(state, &b), -1);
	unlink(j);
	CU_ASSERT_EQUAL(tutil_write(state, "version 1\ngeneration 2\n", strlen("version 1\ngeneration 2\n")), 0);
	CU_ASSERT_EQUAL(syncstamp_state_now(state, &b), 0);
	CU_ASSERT(!syncstamp_local_same(&a, &b));
	/* A file renamed in cur/, seen at least 2 s later. */
	b = a;
	p = xasprintf("%s/cur/x", dir);
	CU_ASSERT_EQUAL(tutil_write(p, "x", 1), 0);
	set_mtime("cur", old + 1);
	CU_ASSERT_EQUAL(syncstamp_dirs_now(dir, &b), 0);
	CU_ASSERT(!syncstamp_local_same(&a, &b));
	free(p);
	free(j);
}

static void setup(void)
{
	const char *subs[] = { "cur", "new", "tmp" };
	size_t i;

	base = xstrdup(tutil_tmpdir());
	dir = xasprintf("%s/F", base);
	mkdir(dir, 0700);
	for (i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", dir, subs[i]);

		mkdir(p, 0700);
		free(p);
	}
	state = xasprintf("%s/t.F.state", base);
}

static void teardown(void)
{
	free(base);
	free(dir);
	free(state);
	base = dir = state = NULL;
	tutil_rmtree();
}

void suite_syncstamp(void)
{
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("syncstamp", NULL, NULL, setup, teardown);

	CU_add_test(s, "the stamps file: round trip, forgetting, bad input", test_file);
	CU_add_test(s, "server halves: HIGHESTMODSEQ, else the digest, never neither", test_remote_same);
	CU_add_test(s, "the listing digest", test_digest);
	CU_add_test(s, "local halves: young directories, journal, changes", test_local);
}
