/*
 * source: the interface every mail source of `spool fetch` implements, as a
 * const struct source_ops table (spool/imap.h, spool/pop3.h).  A source
 * speaks one protocol: connecting, verifying TLS (lib/tls.h) before any
 * credential is sent, authenticating, listing and fetching messages and
 * removing them.  It never writes local files or state: batching,
 * durability, state and progress are spool/fetch.c's.
 */
#ifndef SUREL_SOURCE_H
#define SUREL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SOURCE_WUR __attribute__((warn_unused_result))

struct source;

enum source_tls {
	SOURCE_TLS_IMPLICIT,  /* imaps://, pop3s:// */
	SOURCE_TLS_STARTTLS,  /* imap://, pop3:// (required) */
	SOURCE_TLS_OFF,       /* imap://, pop3:// with tls = off */
};

enum source_auth {
	SOURCE_AUTH_AUTO,     /* the best the server offers: LOGIN/PLAIN/USER */
	SOURCE_AUTH_PLAIN,    /* AUTHENTICATE PLAIN (IMAP) */
	SOURCE_AUTH_LOGIN,    /* LOGIN (IMAP) / USER+PASS (POP3) */
	SOURCE_AUTH_XOAUTH2,  /* SASL XOAUTH2; password_cmd prints the token */
	SOURCE_AUTH_OAUTH2,   /* SASL OAUTHBEARER or XOAUTH2; tokens from conf->oauth2 */
};

struct oauth2;

/* How to reach and log in to the server.  All strings are borrowed from
 * the caller for the source's lifetime. */
struct source_conf {
	const char *host;
	unsigned port;
	enum source_tls tls;
	enum source_auth auth;
	const char *user;
	const char *password_cmd;    /* run (pwcmd.h) only after TLS is verified */
	const char *password;        /* used when password_cmd is unset */
	const char *tls_ca_file;     /* NULL: the system trust store */
	const char *tls_fingerprint; /* NULL or 64 hex digits: SHA-256 pin */
	const char *move_to;         /* IMAP: folder removed messages go to */
	long timeout;                /* seconds per network operation */
	struct oauth2 *oauth2;       /* SOURCE_AUTH_OAUTH2: the account's tokens (lib/oauth2.h) */
};

/* One message on the server.  uid is the IMAP UID, or for POP3 the
 * message number of this session.  uidl is the POP3 UIDL (NULL for IMAP).
 * message_id is NULL until ops->ids() filled it (NULL again when the
 * message has none).  Strings are owned by the item list. */
struct source_item {
	uint32_t uid;
	size_t size;       /* the server's size: RFC822.SIZE, POP3 LIST */
	char *uidl;
	char *message_id;
};

void source_items_free(struct source_item *items, size_t n);

/* A guard on one connection against a server that drips or floods.  The
 * source feeds it every chunk of bytes its stream receives or sends (the
 * libetpan stream logger).  It shuts the socket down, so that the read in
 * progress fails, when fewer than SOURCE_GUARD_MIN_BYTES arrived in
 * timeout seconds (a per-read timeout alone never fires on a one byte a
 * second drip), or when the reply to one command grew past
 * SOURCE_GUARD_REPLY_MAX bytes or SOURCE_GUARD_REPLY_LINES lines, each plus
 * what the source said it expects (an endless
 * reply would otherwise grow in memory until the timeout; libetpan keeps
 * about six times the reply's size in parsed form, so 6 MiB of untagged
 * lines cost some 40 MiB, and 6 MiB still lists 100000 new messages).
 * why is then set, for the error message.  A value type: fields are the
 * API. */
#define SOURCE_GUARD_MIN_BYTES 1024
#define SOURCE_GUARD_REPLY_MAX ((size_t)6 * 1024 * 1024)
#define SOURCE_GUARD_REPLY_LINES ((size_t)100000)
struct source_guard {
	long timeout;         /* seconds; the window of the speed check */
	double window_start;  /* monotonic seconds */
	size_t window_bytes;  /* received in this window */
	size_t reply_bytes;   /* received since the last bytes were sent */
	size_t reply_lines;   /* line ends among them */
	size_t expect;        /* bytes the current command may bring on top */
	const char *why;      /* NULL, or why the connection was cut */
};

void source_guard_init(struct source_guard *g, long timeout);
/* Seconds on the monotonic clock: the guard's time, and fetch's and
 * watch's for progress, back-off and due times. */
double source_now(void);

struct _mailstream;
/* The stream logger's report (MAILSTREAM_LOG_TYPE_*) of size bytes at
 * data received or sent on stream (NULL before it exists): every byte of a
 * connection goes past the guard this way. */
void source_guard_log(struct source_guard *g, struct _mailstream *stream, int log_type,
		      const char *data, size_t size);

/* Make end of file on the stream s read as an error (-1).  libetpan 1.9.4
 * reads an IMAP literal, and mailstream_read_line() a line, in loops that
 * stop on -1 only: a server that hangs up in the middle of a literal or of
 * a line spins them forever at full CPU.  Call
 * after every connect and STARTTLS (each makes a new low-level stream);
 * calling it twice is harmless. */
void source_stream_eof_is_error(struct _mailstream *s);

/* Helpers the sources share. */
/* The secret to log in with: the output of conf->password_cmd, else a copy
 * of conf->password (EX_CONFIG when neither is set).  Free it with
 * pwcmd_free() as soon as it was sent. */
int source_secret(const struct source_conf *conf, char **secret_out, struct err *err) SOURCE_WUR;
/* Log in with SASL OAUTHBEARER (RFC 7628), else XOAUTH2, as the server
 * offers them (bearer, xoauth2: whether it does), with an access token of
 * conf->oauth2, on the stream s of an IMAP (imap 1) or POP3 session not
 * yet authenticated; g is the session's guard.  A refused token is
 * replaced by a fresh one and tried once more.  The server's error
 * challenge (RFC 7628 3.2.2) is read, answered and reported.  EX_NOPERM
 * when the server refuses both times or offers neither mechanism, and
 * oauth2_token()'s errors (the "sign-in needed" one among them). */
int source_oauth2_login(const struct source_conf *conf, struct _mailstream *s, int imap,
			int bearer, int xoauth2, const struct source_guard *g,
			struct err *err) SOURCE_WUR;
/* A server's reply text made fit for a one-line message: sanitised
 * (codec_sanitize), line ends dropped, cut to size - 1 bytes; "" for NULL. */
void source_reply(const char *text, char *out, size_t size);
/* Whether a server's refusal says it is temporary by its response code:
 * IMAP's [UNAVAILABLE], [INUSE], [EXPUNGEISSUED], [LIMIT] (RFC 5530) and
 * POP3's [IN-USE], [SYS/TEMP] (RFC 3206).  text may be NULL. */
int source_reply_temporary(const char *text);
/* The Message-ID (without angle brackets) of the header block at data,
 * or NULL when it has none; caller frees. */
char *source_message_id(const char *data, size_t len);
/* 16 lowercase hex digits (64-bit FNV-1a) of n bytes at p, NUL-terminated:
 * short stable names for things like UIDLs; not cryptographic. */
void source_digest(const void *p, size_t n, char out[17]);
/* Whether host is an IPv4 or IPv6 address literal (no SNI for those). */
int source_host_is_ip(const char *host);

struct mailstream_ssl_context;
struct tls_policy;
/* libetpan's TLS set-up callback: data is the host name, sent as SNI
 * unless it is an address literal (RFC 6066). */
void source_sni(struct mailstream_ssl_context *ctx, void *data);
/* Verify the certificate of the TLS stream s to conf->host by policy p
 * (lib/tls.h); before any credential is sent. */
int source_verify(struct tls_policy *p, const struct source_conf *conf, struct _mailstream *s,
		  struct err *err) SOURCE_WUR;

/* What a failed libetpan call of a source comes to, whatever the
 * protocol; each source maps its library's error codes onto these. */
enum source_failure {
	SOURCE_FAIL_CONNECTION,  /* refused, broken, TLS failed: EX_TEMPFAIL */
	SOURCE_FAIL_LOGIN,       /* credentials refused: EX_NOPERM */
	SOURCE_FAIL_MEMORY,      /* EX_OSERR */
	SOURCE_FAIL_PARSE,       /* a reply not understood: EX_PROTOCOL */
	SOURCE_FAIL_REFUSED,     /* the server said no: EX_PROTOCOL */
};

/* Fill err for the failure of command what on the connection to
 * conf->host, and return -1.  A cut by guard g comes first; then a
 * refusal the server calls temporary (source_reply_temporary() of code,
 * its response code such as "[INUSE]" or NULL, or of reply) is
 * EX_TEMPFAIL; else kind decides.  reply is the server's last reply text
 * (NULL: none); it is sanitised here. */
int source_fail(const struct source_conf *conf, const struct source_guard *g,
		enum source_failure kind, const char *what, const char *code, const char *reply,
		struct err *err);

/* A fetched message, valid during the callback only.  data holds the
 * server's bytes (CRLF line ends, POP3 dot-stuffing already undone);
 * flags are Maildir flags in ASCII order ("" for none). */
struct source_msg {
	const struct source_item *item;
	const char *data;
	size_t len;
	char flags[8];
};

/* Called for each message fetched; returning -1 (with err set) stops the
 * fetch, which then fails with that error. */
typedef int source_msg_fn(const struct source_msg *m, void *ctx, struct err *err);

/* What ended an idle() wait. */
enum source_event {
	SOURCE_EV_UNSUPPORTED,  /* the server cannot idle; nothing was sent */
	SOURCE_EV_NEW,          /* the server reported new mail (EXISTS, RECENT) */
	SOURCE_EV_WAKE,         /* wakefd became readable */
	SOURCE_EV_TIMEOUT,      /* the time ran out */
};

/* How a source names a message from one session to the next: what
 * spool/fetch.c keeps in its state (spool/fetchstate.h) and tags stored
 * messages with. */
enum source_naming {
	/* item->uid, for as long as the folder's UIDVALIDITY (select())
	 * stays; items(after) lists only the uids above after (IMAP). */
	SOURCE_NAMING_UID,
	/* item->uidl; uid is this session's message number, items() lists
	 * every message, and what remove() removed is gone only once close()
	 * succeeded (POP3). */
	SOURCE_NAMING_UIDL,
};

/* Every member returns 0 or -1 with err set: EX_TEMPFAIL when the server
 * is unreachable or the connection broke, EX_NOPERM when it refused the
 * login, EX_PROTOCOL for a reply that makes no sense, and what lib/tls.h
 * says for a certificate that does not verify. */
struct source_ops {
	const char *name;  /* "imap", "pop3" */
	enum source_naming naming;
	int move_to;       /* whether remove() can honour conf->move_to */
	/* Connect, make TLS (verified) as conf says, log in.  *out is the
	 * caller's to end with close() and then free(). */
	int (*open)(const struct source_conf *conf, struct source **out,
		    struct err *err) SOURCE_WUR;
	/* Folder names, here and in select() and conf->move_to, are UTF-8
	 * (IMAP's modified UTF-7 is the source's business).  The server's
	 * folder names matching any of patterns (fnmatch(3) globs), in
	 * server order; free with maildir_names_free()
	 * (lib/maildir.h).  POP3 has one folder, "INBOX". */
	int (*folders)(struct source *s, const char *const *patterns, size_t npat,
		       char ***names_out, size_t *n_out, struct err *err) SOURCE_WUR;
	/* Open folder: read-only unless writable (messages are to be
	 * removed).  *uidvalidity_out is the IMAP UIDVALIDITY, 0 for POP3. */
	int (*select)(struct source *s, const char *folder, int writable,
		      uint32_t *uidvalidity_out, struct err *err) SOURCE_WUR;
	/* The messages of the selected folder with uid > after, ascending
	 * (POP3: all, with their UIDLs; a server without UIDL gets a digest
	 * of Message-ID and size in their place, with a warning).  Free with
	 * source_items_free(). */
	int (*items)(struct source *s, uint32_t after, struct source_item **items_out,
		     size_t *n_out, struct err *err) SOURCE_WUR;
	/* Fill message_id of the n items (one command, headers only). */
	int (*ids)(struct source *s, struct source_item *items, size_t n,
		   struct err *err) SOURCE_WUR;
	/* Fetch the n items (ascending uid), calling fn once per message in
	 * order, with as few round trips as the protocol allows while holding
	 * only a few MiB at a time: IMAP asks for a chunk of messages per
	 * command, POP3 keeps a window of pipelined RETRs in flight, so the
	 * server keeps sending while fn makes a batch durable.  Server flags
	 * are not changed (BODY.PEEK).  m->item points into items. */
	int (*fetch)(struct source *s, const struct source_item *items, size_t n,
		     source_msg_fn *fn, void *ctx, struct err *err) SOURCE_WUR;
	/* Remove the n items from the server folder (IMAP: \Deleted and
	 * expunge, or MOVE to conf->move_to; POP3: DELE, committed by
	 * close()). */
	int (*remove)(struct source *s, const struct source_item *items, size_t n,
		      struct err *err) SOURCE_WUR;
	/* Wait on the selected folder (IMAP IDLE, RFC 2177) until the server
	 * reports new messages, wakefd (-1: none) becomes readable, or
	 * seconds pass, and say which in *ev_out.  Other untagged replies
	 * (flags, EXPUNGE, "still here") keep it waiting.  A report of new
	 * mail that comes before the server confirms IDLE, or after DONE
	 * with the end of the wait, is SOURCE_EV_NEW too, whatever else
	 * ended the wait.  IDLE is ended
	 * (DONE and its tagged reply) before it returns, so the session takes
	 * commands again; a server without IDLE gets SOURCE_EV_UNSUPPORTED
	 * and nothing is sent.  A server that closes the connection (BYE) is
	 * EX_TEMPFAIL.  NULL for protocols without a way to wait (POP3). */
	int (*idle)(struct source *s, int wakefd, long seconds, enum source_event *ev_out,
		    struct err *err) SOURCE_WUR;
	/* Log out (POP3: QUIT, which commits DELE).  The session is unusable
	 * afterwards, whatever the result. */
	int (*close)(struct source *s, struct err *err) SOURCE_WUR;
	/* Free the session (drops the connection if still open); NULL is fine. */
	void (*free)(struct source *s);
};

#endif
