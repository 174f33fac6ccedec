/*
 * mailcap: the user's mailcap files (RFC 1524): which command shows a
 * MIME type.  Parses ~/.mailcap then /etc/mailcap (or the files named by
 * $MAILCAPS), finds the entry for a type (type/subtype, type/\* or a bare
 * type) whose test= command succeeds, expands its command (%s %t %{param}
 * %%) and runs it with /bin/sh -c, either capturing its output
 * (copiousoutput) or with the terminal.  The part's bytes go to a private
 * temporary file made here (mode 0600, in a directory of its own, 0700);
 * the caller removes it with mailcap_tempfile_remove().  It draws nothing: handing the terminal over
 * (ui_suspend) and showing output are the pager's.
 *
 * Quoting: every value put into a command is a single shell word.  The
 * file name is ours (only [A-Za-z0-9._/+-]); %t and %{param} come from the
 * message, so they are cut down to those characters before use, which
 * keeps them one inert word whether or not the entry quotes them.
 *
 * Ownership: the caller keeps what it passes in; entries returned are
 * borrowed from the struct mailcap until mailcap_free().
 */
#ifndef SUREL_MAILCAP_H
#define SUREL_MAILCAP_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define MAILCAP_WUR __attribute__((warn_unused_result))

struct mailcap;

enum mailcap_flags {
	MAILCAP_COPIOUSOUTPUT = 1u << 0,  /* output is text to show inline */
	MAILCAP_NEEDSTERMINAL = 1u << 1,
};

/* One entry; fields are the API.  Strings are as written in the file
 * (backslash escapes still in place, expanded by mailcap_expand). */
struct mailcap_entry {
	char *type;           /* lowercased; "text" became "text/\*" */
	char *command;        /* the view command */
	char *test;           /* test=, or NULL */
	char *nametemplate;   /* nametemplate=, or NULL */
	unsigned flags;       /* enum mailcap_flags */
};

/* An empty set of entries. */
struct mailcap *mailcap_new(void);
void mailcap_free(struct mailcap *mc);
/* Add the entries of one file's text (len bytes): '#' comments, blank
 * lines, backslash-newline continuations, fields split at ';' not
 * preceded by a backslash.  Lines without a type and a command are
 * skipped. */
void mailcap_add(struct mailcap *mc, const char *text, size_t len);
/* mailcap_add() the file at path; a missing file is not an error (0). */
int mailcap_add_file(struct mailcap *mc, const char *path, struct err *err) MAILCAP_WUR;
/* The user's entries: the colon-separated files of $MAILCAPS, else
 * ~/.mailcap then /etc/mailcap; unreadable files are skipped. */
struct mailcap *mailcap_load(void);

/* mailcap_load() once per process: the first call reads the files, later
 * ones return the same set (the MUA's; not freed, it lives as long as the
 * session, and must not be passed to mailcap_free()). */
struct mailcap *mailcap_session(void);

size_t mailcap_count(const struct mailcap *mc);
const struct mailcap_entry *mailcap_at(const struct mailcap *mc, size_t i);

/* Parameter values for %{name}: NULL when absent. */
typedef const char *(*mailcap_param_fn)(void *arg, const char *name);

/* The first entry, in file order, for type (matched without case) that
 * has all the flags in need and whose test= command (expanded as the
 * view command, with file for %s) exits 0.  NULL when none. */
const struct mailcap_entry *mailcap_find(const struct mailcap *mc, const char *type,
					 unsigned need, const char *file,
					 mailcap_param_fn param, void *arg);

/* Append command tmpl expanded to out: %s the file (shell-quoted), %t the
 * type and %{name} a parameter (reduced to safe characters, see above),
 * %% a percent sign, a backslash takes the next character literally.
 * Returns 1 when tmpl holds %s, 0 when not (the file then goes to the
 * command's standard input, RFC 1524). */
int mailcap_expand(const char *tmpl, const char *file, const char *type,
		   mailcap_param_fn param, void *arg, struct buf *out);

/* Write len bytes to a new private file (mode 0600) in a directory of
 * its own (surel-part-XXXXXX, mode 0700) under $TMPDIR when its path is
 * plain, else /tmp, named after e's nametemplate (its suffix after %s,
 * e.g. ".html") or, without one, by type (".html" for text/html).
 * mailcap_tempfile_remove() removes file and directory; until then a
 * SIGTERM or SIGHUP removes them too before it takes its course (the part
 * may be decrypted text).  *path_out is the caller's, to free after
 * mailcap_tempfile_remove(). */
int mailcap_tempfile(const struct mailcap_entry *e, const char *type, const void *data,
		     size_t len, char **path_out, struct err *err) MAILCAP_WUR;
void mailcap_tempfile_remove(const char *path);

/* Most output kept of a copiousoutput command. */
#define MAILCAP_OUTPUT_MAX (16u * 1024 * 1024)
/* Longest a copiousoutput command may stay silent before it is killed. */
#define MAILCAP_TIMEOUT_MS 30000

/* Most of a command's standard error kept (errout of mailcap_run()). */
#define MAILCAP_STDERR_MAX 4096u

/* Run e's command for the file (expanded as above) with /bin/sh -c.  With
 * out, standard output is captured into out (at most MAILCAP_OUTPUT_MAX
 * bytes, the rest read and dropped) and the command is killed after
 * MAILCAP_TIMEOUT_MS without output; without out, it runs with the
 * terminal as it is (the caller handed it over).  With errout, standard
 * error is appended to it after the command ends (its first
 * MAILCAP_STDERR_MAX bytes; it goes to an unlinked temporary file, so it
 * never lands on the terminal); without, it goes to /dev/null with out,
 * else to the terminal.  Returns the command's exit status (0-255); -1 with
 * err set when it could not be run, was killed or timed out. */
int mailcap_run(const struct mailcap_entry *e, const char *file, const char *type,
		mailcap_param_fn param, void *arg, struct buf *out, struct buf *errout,
		struct err *err) MAILCAP_WUR;

#endif
