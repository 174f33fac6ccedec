/*
 * index_cache: the file format of spool/index.h's cache, one file per
 * folder under $XDG_CACHE_HOME/surel/index/, and its reading and writing.
 * What goes in it and when it is trusted is index.c's business; this
 * module reads and writes images of struct index_msg records:
 *
 *   header  magic "surelidx", u32 version, u32 path length, u64 record
 *           count (24 bytes)
 *   path    the folder's absolute path and a NUL (a hash collision or a
 *           copied cache shows here)
 *   records count times: i64 date, i64 size, then the strings key, from,
 *           from_addr, to, subject, message_id, in_reply_to, references,
 *           to_all, cc_all, list, each a u32 length (UINT32_MAX for NULL), the bytes and a NUL
 *   trailer u64 checksum of everything before it
 *
 * Binary rather than the house's `key value` lines because a 100000-message
 * folder is loaded whole at every open: one read() and the strings are used
 * in place (hence the NULs), with no parsing or copying per field.  Integers
 * are in host byte order: the cache never leaves the machine, and a file
 * from another byte order fails the version check.  Every length is checked
 * against the end of the file and the checksum catches bytes changed in the
 * middle; anything odd discards the whole file, which is only ever a copy.
 * Flags and paths are not stored: they come from the names readdir returns,
 * so a flag change (a rename) leaves the cache as it is.
 *
 * Ownership: records read point into the image the reader was given, which
 * the caller keeps until it drops them.
 */
#ifndef SUREL_INDEX_CACHE_H
#define SUREL_INDEX_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "index.h"

/* The strings of a record, in the file's order. */
#define INDEX_CACHE_NSTR 11

/* Pointers to the string fields of m, in the file's order, so that a
 * caller can walk them all. */
void index_cache_strs(struct index_msg *m, const char **f[INDEX_CACHE_NSTR]);

/* A 64-bit hash of p[0..n): the checksum that ends an image (over all
 * its other bytes; host byte order), and good for hash tables.  Eight
 * bytes per step; not cryptographic. */
uint64_t index_cache_hash(const char *p, size_t n);

/* The cache file of the folder whose absolute path is real (caller frees). */
char *index_cache_path(const char *real);

/* Reading an image: index_cache_start() checks the header, trailer and
 * path (count gets the number of records), then index_cache_next() gives
 * the records one by one (key, from, from_addr, to and subject never NULL)
 * and index_cache_done() says whether they ended where the trailer starts.
 * Each returns -1 when the image cannot be trusted. */
struct index_cache_in {
	const char *data;
	size_t len;     /* up to the trailer */
	size_t pos;
	uint64_t count;
};
int index_cache_start(struct index_cache_in *in, const char *real, const char *data,
		      size_t len);
int index_cache_next(struct index_cache_in *in, struct index_msg *m);
int index_cache_done(const struct index_cache_in *in);
/* The cache file at path read whole (*data_out, caller frees) and started
 * as index_cache_start() does; -1 when there is none to trust. */
int index_cache_load(struct index_cache_in *in, const char *path, const char *real,
		     char **data_out);

/* Writing: a temporary file in the cache directory, renamed over the old
 * one at commit (afile.h), so a reader sees the old cache or the new, and
 * of two writers the last one wins.  Bytes are streamed through a small
 * buffer, so a 40 MB cache is never held twice.  index_cache_put() exactly
 * count times, then index_cache_commit(), which frees o either way. */
struct index_cache_out;
struct index_cache_out *index_cache_create(const char *path, const char *real, uint64_t count,
					   struct err *err);
void index_cache_put(struct index_cache_out *o, const struct index_msg *m);
int index_cache_commit(struct index_cache_out *o, struct err *err);

/* For tests and the fuzzer.  Read len bytes (checksum included) as index_open() reads the cache file
 * of the folder whose absolute path is real: the number of messages in it,
 * or -1 when index_open() would discard it and rebuild the index.  Reads
 * only data; strings are never copied. */
long index_cache_check(const char *real, const char *data, size_t len);

#endif
