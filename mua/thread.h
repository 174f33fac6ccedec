/*
 * thread: conversation threads for the index screen, after Jamie Zawinski's
 * algorithm (Message-ID, References, In-Reply-To), and the tree drawn in
 * front of each subject.  It only orders messages; it reads no file and
 * parses no header (spool/index.h supplies the ids).  Threads are built
 * from references alone: messages are not grouped by subject.
 *
 * Ownership: thread_build() copies nothing it keeps; the strings passed in
 * are only read during the call.
 */
#ifndef SUREL_THREAD_H
#define SUREL_THREAD_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

struct thread;

/* What threading needs of one message. */
struct thread_msg {
	const char *message_id;   /* without <>, NULL when absent */
	const char *in_reply_to;  /* without <>, NULL when absent */
	const char *references;   /* ids without <>, blank-separated, or NULL */
	time_t date;              /* orders siblings and threads */
};

/* Thread the n messages of msgs.  Every message appears exactly once in the
 * result, whatever the ids say: a duplicate Message-ID gets a place of its
 * own, references that would close a cycle are ignored, and a parent that
 * is not in the folder is left out (its replies are joined under the
 * earliest of them, so they stay one thread).  Threads are ordered by the
 * date of their first message, siblings by date, ties by input order.
 * Runs in O(n log n) plus the length of the reference lists.  Caller frees
 * with thread_free(). */
struct thread *thread_build(const struct thread_msg *msgs, size_t n);
void thread_free(struct thread *t);

/* The number of rows (the n given to thread_build). */
size_t thread_count(const struct thread *t);
/* The message (an index into msgs) shown at row, 0 <= row < count. */
size_t thread_msg_at(const struct thread *t, size_t row);
/* The row at which message msg is shown. */
size_t thread_row_of(const struct thread *t, size_t msg);
/* How deep message msg sits: 0 for the first message of a thread. */
size_t thread_depth(const struct thread *t, size_t msg);

/* The message message msg replies to, or SIZE_MAX for the first message
 * of a thread. */
size_t thread_parent(const struct thread *t, size_t msg);

/* Append the tree drawn before message msg's subject (UTF-8 box-drawing
 * characters, two columns per level plus an arrow): nothing for the first
 * message of a thread.  At most max_levels levels are drawn; deeper
 * messages show only the levels nearest to them. */
void thread_tree(const struct thread *t, size_t msg, size_t max_levels, struct buf *out);

#endif
