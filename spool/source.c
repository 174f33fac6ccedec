#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "codec.h"
#include "log.h"
#include "msg.h"
#include "oauth2.h"
#include "pwcmd.h"
#include "source.h"
#include "tls.h"
#include "xalloc.h"

void source_items_free(struct source_item *items, size_t n)
{
	size_t i;

	if (!items)
		return;
	for (i = 0; i < n; i++) {
		free(items[i].uidl);
		free(items[i].message_id);
	}
	free(items);
}

int source_secret(const struct source_conf *conf, char **secret_out, struct err *err)
{
	if (conf->password_cmd) {
		if (pwcmd_run(conf->password_cmd, secret_out, err) < 0) {
			err_prefix(err, "password_cmd");
			return -1;
		}
		return 0;
	}
	if (conf->password) {
		*secret_out = xstrdup(conf->password);
		return 0;
	}
	return err_set(err, EX_CONFIG, "no password_cmd (or password) for user '%s'",
		       conf->user ? conf->user : "");
}

/* Send line (with CRLF added) on s; private marks a secret, which the
 * stream's logger then sees as private data. */
static int send_line(struct _mailstream *s, const char *line, int private)
{
	int rc = 0;

	if (private)
		mailstream_set_privacy(s, 0);
	if (mailstream_write(s, line, strlen(line)) < 0 || mailstream_write(s, "\r\n", 2) < 0 ||
	    mailstream_flush(s) < 0)
		rc = -1;
	if (private)
		mailstream_set_privacy(s, 1);
	return rc;
}

/* The server's error challenge (RFC 7628 3.2.2, base64 JSON): its status
 * is what the error line reports. */
static void sasl_challenge(const char *b64, char *why, size_t size)
{
	struct buf b = BUF_INIT;
	const char *st, *end;

	codec_b64_decode(b64, strlen(b64), 0, &b);
	buf_putc(&b, '\0');
	st = strstr(b.data, "\"status\"");
	if (st && (st = strchr(st + 8, '"')) != NULL && (end = strchr(st + 1, '"')) != NULL)
		snprintf(why, size, "%.*s", (int)(end - st - 1 < 60 ? end - st - 1 : 60), st + 1);
	log_debug("SASL error challenge: %s", b.data);
	buf_release(&b);
}

/* One AUTHENTICATE (IMAP) or AUTH (POP3) exchange, the initial response
 * sent after the server's first (empty) challenge, which every server
 * sends and which keeps a POP3 command within 255 bytes (RFC 5034 4).
 * 0: logged in; 1: refused (reply set); -1: the stream failed. */
static int sasl_exchange(struct _mailstream *s, int imap, const char *mech, const char *ir,
			 char *reply, size_t size)
{
	MMAPString *line = mmap_string_new("");
	char cmd[64];
	const char *l;
	int conts = 0, n, rc = -1;

	snprintf(cmd, sizeof(cmd), imap ? "SA1 AUTHENTICATE %s" : "AUTH %s", mech);
	if (!line || send_line(s, cmd, 0) < 0)
		goto out;
	/* Bounded: a server that keeps on challenging is given up on. */
	for (n = 0; n < 64; n++) {
		l = mailstream_read_line_remove_eol(s, line);
		if (!l)
			goto out;
		if (l[0] == '+' && (l[1] == ' ' || l[1] == '\0') && (imap || strncmp(l, "+OK", 3) != 0)) {
			if (conts++ == 0) {
				if (send_line(s, ir, 1) < 0)
					goto out;
				continue;
			}
			sasl_challenge(l[1] ? l + 2 : "", reply, size);
			/* The dummy response that ends a failed exchange. */
			if (send_line(s, strcmp(mech, "OAUTHBEARER") == 0 ? "AQ==" : "", 0) < 0)
				goto out;
			continue;
		}
		if (imap && strncmp(l, "* ", 2) == 0)
			continue;
		if (imap ? strncmp(l, "SA1 OK", 6) == 0 : strncmp(l, "+OK", 3) == 0) {
			rc = 0;
			goto out;
		}
		if (imap ? strncmp(l, "SA1 ", 4) == 0 : strncmp(l, "-ERR", 4) == 0) {
			if (!reply[0])
				source_reply(l + 4, reply, size);
			rc = 1;
			goto out;
		}
		goto out;
	}
out:
	if (line)
		mmap_string_free(line);
	return rc;
}

int source_oauth2_login(const struct source_conf *conf, struct _mailstream *s, int imap,
			int bearer, int xoauth2, const struct source_guard *g, struct err *err)
{
	const char *mech = bearer ? "OAUTHBEARER" : "XOAUTH2";
	char *token = NULL, *rejected = NULL, *ir;
	char reply[160];
	int attempt, rc = -1;

	if (!bearer && !xoauth2)
		return err_set(err, EX_NOPERM, "%s: server offers neither OAUTHBEARER nor XOAUTH2",
			       conf->host);
	if (!conf->user)
		return err_set(err, EX_CONFIG, "%s: no user to log in as", conf->host);
	for (attempt = 0; attempt < 2; attempt++) {
		if (oauth2_token(conf->oauth2, rejected, &token, err) < 0)
			break;
		ir = oauth2_sasl(bearer ? OAUTH2_OAUTHBEARER : OAUTH2_XOAUTH2, conf->user,
				 conf->host, conf->port, token);
		reply[0] = '\0';
		rc = sasl_exchange(s, imap, mech, ir, reply, sizeof(reply));
		pwcmd_free(ir);
		if (rc < 0) {
			source_fail(conf, g, SOURCE_FAIL_CONNECTION, mech, NULL, NULL, err);
			break;
		}
		if (rc == 0) {
			log_debug("%s: logged in as '%s' with %s", conf->host, conf->user, mech);
			break;
		}
		/* Refused: the token may have been revoked or expired early;
		 * one more try with a fresh one. */
		log_info("%s: %s refused (%s)%s", conf->host, mech, reply,
			 attempt == 0 ? "; refreshing the token" : "");
		pwcmd_free(rejected);
		rejected = token;
		token = NULL;
		rc = err_set(err, EX_NOPERM, "%s: %s login refused: %s", conf->host, mech, reply);
	}
	pwcmd_free(token);
	pwcmd_free(rejected);
	return rc < 0 ? -1 : 0;
}

int source_reply_temporary(const char *text)
{
	static const char *const codes[] = { "[UNAVAILABLE]", "[INUSE]", "[EXPUNGEISSUED]",
					     "[LIMIT]", "[IN-USE]", "[SYS/TEMP]" };
	size_t i;

	for (i = 0; text && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcasestr(text, codes[i]))
			return 1;
	return 0;
}

void source_reply(const char *text, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	size_t i, n;

	if (size == 0)
		return;
	out[0] = '\0';
	if (!text)
		return;
	codec_sanitize(text, strlen(text), 0, &b);
	n = b.len < size - 1 ? b.len : size - 1;
	/* Do not cut a UTF-8 sequence in two. */
	while (n > 0 && n < b.len && ((unsigned char)b.data[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, b.data, n);
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if (out[i] == '\r' || out[i] == '\n')
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	buf_release(&b);
}

int source_host_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

void source_sni(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	if (!source_host_is_ip(host))
		mailstream_ssl_set_server_name(ctx, (char *)host);
}

int source_verify(struct tls_policy *p, const struct source_conf *conf, struct _mailstream *s,
		  struct err *err)
{
	if (tls_verify_mailstream(p, conf->host, s, err) < 0)
		return -1;
	log_debug("%s: certificate verified", conf->host);
	return 0;
}

int source_fail(const struct source_conf *conf, const struct source_guard *g,
		enum source_failure kind, const char *what, const char *code, const char *reply,
		struct err *err)
{
	const char *host = conf->host;
	char text[160];

	if (g->why)
		return err_set(err, EX_TEMPFAIL, "%s: %s: %s, connection cut", host, what, g->why);
	source_reply(reply, text, sizeof(text));
	/* "Not now" is not "no": in use, unavailable, over a limit, busy. */
	if (kind != SOURCE_FAIL_CONNECTION && kind != SOURCE_FAIL_MEMORY &&
	    ((code && source_reply_temporary(code)) || source_reply_temporary(text)))
		return err_set(err, EX_TEMPFAIL, "%s: %s: %s%s%s", host, what, code ? code : "",
			       code && *text ? " " : "", text);
	switch (kind) {
	case SOURCE_FAIL_CONNECTION:
		return err_set(err, EX_TEMPFAIL, "%s: %s: connection failed or lost", host, what);
	case SOURCE_FAIL_LOGIN:
		return err_set(err, EX_NOPERM, "%s: login refused%s%s", host, *text ? ": " : "",
			       text);
	case SOURCE_FAIL_MEMORY:
		return err_set(err, EX_OSERR, "%s: %s: out of memory", host, what);
	case SOURCE_FAIL_PARSE:
		return err_set(err, EX_PROTOCOL, "%s: %s: reply not understood", host, what);
	default:
		return err_set(err, EX_PROTOCOL, "%s: %s failed%s%s", host, what, *text ? ": " : "",
			       text);
	}
}

char *source_message_id(const char *data, size_t len)
{
	return msg_message_id_of(data, len);
}

void source_digest(const void *p, size_t n, char out[17])
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3u;
	}
	snprintf(out, 17, "%016" PRIx64, h);
}

double source_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void source_guard_init(struct source_guard *g, long timeout)
{
	memset(g, 0, sizeof(*g));
	g->timeout = timeout > 0 ? timeout : 60;
	g->window_start = source_now();
}

/* size bytes at data were received (received != 0) or sent on the socket
 * fd; data is NULL when they were sent. */
static void guard_feed(struct source_guard *g, int fd, int received, const char *data, size_t size)
{
	double t = source_now();
	const char *p, *end;

	if (!received) {
		/* A new command: its reply starts now, and so does a fresh
		 * window (the server may think before it answers). */
		g->reply_bytes = 0;
		g->reply_lines = 0;
		g->window_bytes = 0;
		g->window_start = t;
		return;
	}
	g->reply_bytes += size;
	g->window_bytes += size;
	for (p = data, end = data ? data + size : NULL; p && (p = memchr(p, '\n', (size_t)(end - p)));
	     p++)
		g->reply_lines++;
	/* Lines cost libetpan a parsed structure each (a few hundred bytes)
	 * unless they are inside a literal, which expect allows for. */
	if (!g->why && (g->reply_bytes > SOURCE_GUARD_REPLY_MAX + g->expect ||
			g->reply_lines > SOURCE_GUARD_REPLY_LINES + g->expect))
		g->why = "reply too long";
	if (!g->why && t - g->window_start >= (double)g->timeout) {
		if (g->window_bytes < SOURCE_GUARD_MIN_BYTES)
			g->why = "server too slow";
		g->window_start = t;
		g->window_bytes = 0;
	}
	/* Both directions: the read in progress sees end of file and fails;
	 * nothing more is sent on this connection. */
	if (g->why && fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

void source_guard_log(struct source_guard *g, struct _mailstream *stream, int log_type,
		      const char *data, size_t size)
{
	int fd = stream ? mailstream_low_get_fd(mailstream_get_low(stream)) : -1;

	if (log_type == MAILSTREAM_LOG_TYPE_DATA_RECEIVED)
		guard_feed(g, fd, 1, data, size);
	else if (log_type == MAILSTREAM_LOG_TYPE_DATA_SENT ||
		 log_type == MAILSTREAM_LOG_TYPE_DATA_SENT_PRIVATE)
		guard_feed(g, fd, 0, NULL, size);
}

/* The drivers wrapped so far (socket, TLS): copies whose read turns 0
 * into -1. */
static struct {
	mailstream_low_driver *orig;
	mailstream_low_driver copy;
} wraps[4];
static size_t nwraps;

static ssize_t eof_read(mailstream_low *low, void *buf, size_t count)
{
	size_t i;

	for (i = 0; i < nwraps; i++) {
		if (low->driver == &wraps[i].copy) {
			ssize_t r = wraps[i].orig->mailstream_read(low, buf, count);

			return r == 0 ? -1 : r;
		}
	}
	return -1;
}

void source_stream_eof_is_error(struct _mailstream *s)
{
	mailstream_low *low = s ? mailstream_get_low(s) : NULL;
	size_t i;

	if (!low || !low->driver)
		return;
	for (i = 0; i < nwraps; i++) {
		if (low->driver == &wraps[i].copy)
			return;
		if (low->driver == wraps[i].orig) {
			low->driver = &wraps[i].copy;
			return;
		}
	}
	if (nwraps == sizeof(wraps) / sizeof(wraps[0]))
		return;
	wraps[nwraps].orig = low->driver;
	wraps[nwraps].copy = *low->driver;
	wraps[nwraps].copy.mailstream_read = eof_read;
	low->driver = &wraps[nwraps].copy;
	nwraps++;
}
