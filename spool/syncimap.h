/*
 * syncimap: the IMAP server of `spool sync` (struct sync_remote_ops,
 * spool/sync.h) on libetpan.  Connecting, TLS and login are the fetch
 * source's (spool/imap.h); this module adds what two-way sync needs:
 * folders with their RFC 6154 special use and hierarchy delimiter
 * (mapped to '/', names in UTF-8), CREATE, SELECT with CONDSTORE, the
 * flag listing (one UID FETCH 1:* (FLAGS), or with QRESYNC only what
 * changed since a MODSEQ plus VANISHED), UID STORE of flags, removal by
 * UID STORE \Deleted and UID EXPUNGE (never a plain EXPUNGE), APPEND
 * with flags and internal date (the new UID from APPENDUID, else by a
 * search for the Message-ID), size and Message-ID of messages (to tell
 * one moved by another client), UID MOVE (RFC 6851; without it but with
 * UIDPLUS, UID COPY + UID EXPUNGE; new UIDs from COPYUID), and the peek
 * at many folders for the stamps (spool/syncstamp.h): STATUS, or EXAMINE
 * and the flags reduced to a digest (UID SEARCH RETURN (ALL) per flag
 * with ESEARCH, else UID FETCH 1:* (FLAGS)), written in windows and read
 * line by line.
 */
#ifndef SUREL_SYNCIMAP_H
#define SUREL_SYNCIMAP_H

#include "sync.h"

extern const struct sync_remote_ops syncimap_ops;

#endif
