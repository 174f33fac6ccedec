#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <curl/curl.h>

#include "buf.h"
#include "cfg.h"
#include "relay.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static void test_crlf(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "", ".\r\n" },
		{ "a\n", "a\r\n.\r\n" },
		{ "a\nb", "a\r\nb\r\n.\r\n" },
		{ "a\r\nb\n", "a\r\nb\r\n.\r\n" },
		{ "\n\n", "\r\n\r\n.\r\n" },
		{ "a\rb\n", "a\rb\r\n.\r\n" },
		{ ".\n..\n", "..\r\n...\r\n.\r\n" },
		{ "a\n.\r\n.", "a\r\n..\r\n..\r\n.\r\n" },
		{ "x.\n .\n", "x.\r\n .\r\n.\r\n" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		relay_wire(v[i].in, strlen(v[i].in), &b);
		CU_ASSERT_STRING_EQUAL(b.data, v[i].want);
	}
	buf_release(&b);
}

static void test_7bit(void)
{
	static const char ascii[] = "Subject: x\n\nplain\n";
	static const char single[] =
		"Subject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
		"\ncaf\xc3\xa9\n";
	static const char multi[] =
		"Subject: x\nContent-Type: multipart/mixed;\n boundary=\"BB\"\n\npre\n--BB\n"
		"Content-Type: text/plain\n\nna\xc3\xafve\n--BB\nContent-Type: image/png\n"
		"Content-Transfer-Encoding: base64\n\niVBO\n--BB--\nepilogue\n";
	static const char nested[] =
		"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\n\n"
		"Subject: in\n\n\xff\n--o--\n";
	struct buf b = BUF_INIT;

	CU_ASSERT_EQUAL(relay_to_7bit(ascii, strlen(ascii), &b), 0);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(relay_to_7bit(single, strlen(single), &b), 1);
	CU_ASSERT_STRING_EQUAL(b.data, "Subject: x\nContent-Type: text/plain; charset=utf-8\n"
			       "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n");
	buf_reset(&b);
	CU_ASSERT_EQUAL(relay_to_7bit(multi, strlen(multi), &b), 1);
	CU_ASSERT_STRING_EQUAL(b.data,
			       "Subject: x\nContent-Type: multipart/mixed;\n boundary=\"BB\"\n\npre\n--BB\n"
			       "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
			       "na=C3=AFve\n--BB\nContent-Type: image/png\n"
			       "Content-Transfer-Encoding: base64\n\niVBO\n--BB--\nepilogue\n");
	buf_reset(&b);
	CU_ASSERT_EQUAL(relay_to_7bit(nested, strlen(nested), &b), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "Subject: in\nContent-Transfer-Encoding: quoted-printable\n\n=FF"));
	buf_release(&b);
}

/* One session of test_session(). */
static const char *const script_session[] = {
	"220 unit ESMTP\r\n",
	/* curl's EHLO */ "250-unit\r\n250 8BITMIME\r\n",
	/* ours: what counts (no 8BITMIME here) */ "250-unit\r\n250 SIZE 1000000\r\n",
	/* MAIL */ "250 2.1.0 ok\r\n",
	/* RCPT */ "250 2.1.5 ok\r\n",
	/* RCPT */ "550 5.1.1 no such user\r\n",
	/* RCPT */ "451 4.2.0 later\r\n",
	/* DATA */ "354 go\r\n",
	/* dot */ "250 2.0.0 queued as A\r\n",
	/* MAIL */ "250 2.1.0 ok\r\n",
	/* RCPT */ "250 2.1.5 ok\r\n",
	/* DATA */ "354 go\r\n",
	/* dot */ "554 5.6.0 refused\r\n",
	/* QUIT */ "221 bye\r\n",
};

/* A scripted SMTP server in a child process: one connection, the n
 * replies of script in order, everything it reads appended to log. */
static void serve(int lfd, const char *log, const char *const *script, size_t nscript)
{
	FILE *out = fopen(log, "w");
	char line[2048];
	size_t i, n;
	int fd = accept(lfd, NULL, NULL);
	FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
	int in_data = 0;

	if (!out || !in)
		_exit(1);
	for (i = 0; i < nscript; i++) {
		n = strlen(script[i]);
		if (write(fd, script[i], n) != (ssize_t)n)
			_exit(1);
		in_data = strncmp(script[i], "354", 3) == 0;
		while (fgets(line, sizeof(line), in)) {
			fputs(line, out);
			if (!in_data || strcmp(line, ".\r\n") == 0)
				break;
		}
	}
	fclose(out);
	_exit(0);
}

/* A scripted server (serve()) on a kernel-chosen loopback port, and a
 * relay for an account "t" that talks to it. */
struct scripted {
	char *log;
	struct cfg *cfg;
	struct relay *r;
	pid_t pid;
};

static void scripted_start(struct scripted *sc, const char *const *script, size_t n)
{
	const char *dir = tutil_tmpdir();
	char *cfgpath = xasprintf("%s/config", dir), *text;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct err err = ERR_INIT;
	int lfd;

	sc->log = xasprintf("%s/server.log", dir);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
	CU_ASSERT_FATAL(getsockname(lfd, (struct sockaddr *)&sa, &salen) == 0);
	text = xasprintf("[account t]\naddress = a@example.test\nsmtp = smtp://127.0.0.1:%u\ntls = off\n"
			 "helo = client.example.test\n",
			 ntohs(sa.sin_port));
	CU_ASSERT_FATAL(tutil_write(cfgpath, text, strlen(text)) == 0);
	free(text);
	sc->cfg = cfg_load(cfgpath, &err);
	free(cfgpath);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc->cfg);
	sc->pid = fork();
	CU_ASSERT_FATAL(sc->pid >= 0);
	if (sc->pid == 0)
		serve(lfd, sc->log, script, n);
	close(lfd);
	sc->r = relay_new(cfg_account_find(sc->cfg, "t", &err), 5, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc->r);
}

/* End the session and the server; what the server read (caller frees). */
static char *scripted_stop(struct scripted *sc)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;
	int status;

	relay_free(sc->r);
	waitpid(sc->pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f = fopen(sc->log, "rb");
	CU_ASSERT_PTR_NOT_NULL(f);
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	if (f)
		fclose(f);
	buf_putc(&b, '\0');
	cfg_free(sc->cfg);
	free(sc->log);
	tutil_rmtree();
	return buf_detach(&b, NULL);
}

static void test_session(void)
{
	const char *const rcpts[] = { "a@example.test", "bad@example.test", "later@example.test" };
	static const char body[] =
		"Subject: t\nContent-Type: text/plain; charset=utf-8\n\n.dot\ncaf\xc3\xa9\n";
	struct relay_rcpt res[3];
	struct relay_stats st;
	struct err err = ERR_INIT;
	struct scripted sc;
	char *wire;
	int failed = 0;

	scripted_start(&sc, script_session, sizeof(script_session) / sizeof(script_session[0]));
	/* Per-recipient outcomes from one transaction. */
	CU_ASSERT_EQUAL(relay_send(sc.r, "me@example.test", rcpts, 3, body, strlen(body), res,
				   &failed, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 250);
	CU_ASSERT_STRING_EQUAL(res[0].reply, "250 2.0.0 queued as A");
	CU_ASSERT_EQUAL(res[1].code, 550);
	CU_ASSERT_STRING_EQUAL(res[1].reply, "550 5.1.1 no such user");
	CU_ASSERT_EQUAL(res[2].code, 451);
	/* The end of DATA refused: the recipient gets that reply. */
	CU_ASSERT_EQUAL(relay_send(sc.r, "", rcpts, 1, "x\n", 2, res, &failed, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 554);
	/* CR or LF in an address never reaches the wire. */
	{
		const char *evil[] = { "a@example.test>\r\nRSET" };

		CU_ASSERT_EQUAL(relay_send(sc.r, "me@example.test", evil, 1, "x\n", 2, res, &failed,
					   &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	}
	relay_get_stats(sc.r, &st);
	CU_ASSERT_EQUAL(st.connects, 1);
	wire = scripted_stop(&sc);
	/* curl's EHLO and ours, both with the configured name. */
	CU_ASSERT_PTR_NOT_NULL(strstr(wire, "EHLO client.example.test\r\nEHLO client.example.test\r\n"));
	/* SIZE offered: the size goes with MAIL FROM. */
	CU_ASSERT_PTR_NOT_NULL(strstr(wire, "MAIL FROM:<me@example.test> SIZE=63\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(wire, "MAIL FROM:<> SIZE=2\r\n"));
	/* No 8BITMIME in the reply to our EHLO (curl's offered it, which
	 * does not count): quoted-printable, CRLF, the dot stuffed. */
	CU_ASSERT_PTR_NOT_NULL(strstr(wire, "Content-Transfer-Encoding: quoted-printable\r\n\r\n..dot\r\ncaf=C3=A9\r\n.\r\n"));
	CU_ASSERT_PTR_NULL(strstr(wire, "RSET"));
	free(wire);
}

/* What this server is known to refuse is refused here, not sent: a UTF-8
 * address without SMTPUTF8 (the other recipient goes), a message larger
 * than SIZE.  curl's EHLO reply offers both; only ours counts. */
static void test_held(void)
{
	static const char *const script[] = {
		"220 unit ESMTP\r\n",
		/* curl's EHLO */ "250-unit\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n",
		/* ours */ "250-unit\r\n250 SIZE 100\r\n",
		/* MAIL */ "250 2.1.0 ok\r\n",
		/* RCPT */ "250 2.1.5 ok\r\n",
		/* DATA */ "354 go\r\n",
		/* dot */ "250 2.0.0 queued as B\r\n",
		/* QUIT */ "221 bye\r\n",
	};
	const char *const rcpts[] = { "j\xc3\xb6rg@example.test", "a@example.test" };
	char big[200];
	struct relay_rcpt res[2];
	struct err err = ERR_INIT;
	struct scripted sc;
	char *wire;
	int failed = 0;

	scripted_start(&sc, script, sizeof(script) / sizeof(script[0]));
	CU_ASSERT_EQUAL(relay_send(sc.r, "me@example.test", rcpts, 2, "x\n", 2, res, &failed, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 553);
	CU_ASSERT_PTR_NOT_NULL(strstr(res[0].reply, "553 5.6.7 "));
	CU_ASSERT_EQUAL(res[1].code, 250);
	CU_ASSERT_STRING_EQUAL(res[1].reply, "250 2.0.0 queued as B");
	/* Too big for SIZE 100: nothing goes, every recipient 5.3.4. */
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(relay_send(sc.r, "me@example.test", rcpts + 1, 1, big, strlen(big), res,
				   &failed, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 552);
	CU_ASSERT_PTR_NOT_NULL(strstr(res[0].reply, "552 5.3.4 "));
	/* A UTF-8 sender: no recipient can go. */
	CU_ASSERT_EQUAL(relay_send(sc.r, "j\xc3\xb6rg@example.test", rcpts + 1, 1, "x\n", 2, res,
				   &failed, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 553);
	wire = scripted_stop(&sc);
	CU_ASSERT_PTR_NULL(strstr(wire, "j\xc3\xb6rg"));
	/* One transaction, with the ASCII recipient only; the held sends
	 * opened none. */
	CU_ASSERT_PTR_NOT_NULL(strstr(wire, "MAIL FROM:<me@example.test> SIZE=2\r\nRCPT TO:<a@example.test>\r\nDATA\r\n"));
	CU_ASSERT_PTR_NULL(strstr(strstr(wire, "MAIL FROM") + 1, "MAIL FROM"));
	free(wire);
}

/* The reply handling alone (relay_replay), including traces a broken or
 * hostile server makes. */
static void test_replay(void)
{
	static const char ok[] =
		"<220 hi\r\n>EHLO x\r\n<250-mx\r\n<250 8BITMIME\r\n"
		">MAIL FROM:<a@b>\r\n<250 ok\r\n"
		">RCPT TO:<c@d>\r\n<250 ok\r\n"
		">RCPT TO:<e@f>\r\n<550-5.1.1 no\r\n<550 5.1.1 such user\r\n"
		">RCPT TO:<g@h>\r\n<451 4.7.1 later\r\n"
		">DATA\r\n<354 go\r\n<250 2.0.0 queued\r\n";
	static const char mail_refused[] =
		"<220 hi\r\n>EHLO x\r\n<250 ok\r\n>MAIL FROM:<>\r\n<421 4.3.0 bye\r\n";
	static const char greeting_refused[] = "<554 5.3.2 go away\r\n";
	/* Pipelined (RFC 2920): the commands run ahead of their replies. */
	static const char pipelined[] =
		"<220 hi\r\n>EHLO x\r\n<250-mx\r\n<250 PIPELINING\r\n"
		">MAIL FROM:<a@b>\r\n>RCPT TO:<c@d>\r\n>RCPT TO:<e@f>\r\n>DATA\r\n"
		"<250 ok\r\n<550 5.1.1 no\r\n<250 ok\r\n<354 go\r\n<250 2.0.0 queued\r\n";
	static const char pipelined_mail_refused[] =
		">MAIL FROM:<a@b>\r\n>RCPT TO:<c@d>\r\n>RCPT TO:<e@f>\r\n>DATA\r\n"
		"<451 4.3.2 not now\r\n<503 5.5.1 need MAIL\r\n<503 5.5.1 need MAIL\r\n"
		"<503 5.5.1 need MAIL\r\n";
	static const char pipelined_data_refused[] =
		">MAIL FROM:<a@b>\r\n>RCPT TO:<c@d>\r\n>DATA\r\n"
		"<250 ok\r\n<250 ok\r\n<554 5.5.1 no thanks\r\n>RSET\r\n<250 ok\r\n";
	/* What our EHLO's reply offers; the first line is the server's name,
	 * a keyword must match whole, a refused EHLO offers nothing. */
	static const char ehlo_caps[] =
		"<220 hi\r\n>EHLO x\r\n<250-8BITMIME.example\r\n<250-SMTPUTF8X\r\n<250-size 5\r\n"
		"<250-DSNX\r\n<250 smtputf8\r\n";
	static const char ehlo_dsn[] = "<220 hi\r\n>EHLO x\r\n<250-mx\r\n<250 DSN\r\n";
	static const char ehlo_refused[] =
		"<220 hi\r\n>EHLO x\r\n<250-mx\r\n<250 PIPELINING\r\n>EHLO x\r\n<502 5.5.2 no\r\n";
	static const char junk[] = "<2\r\n<abc def\r\n>\r\n<\r\n<250-\r\n<250\r\nno prefix\r\n";
	struct relay_rcpt res[3];
	struct err err = ERR_INIT;
	unsigned ext = 0;
	int failed;

	CU_ASSERT_EQUAL(relay_replay(ok, strlen(ok), res, 3, 1, &failed, &ext, &err), 0);
	CU_ASSERT_EQUAL(ext, RELAY_EXT_8BITMIME);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(res[0].code, 250);
	CU_ASSERT_STRING_EQUAL(res[0].reply, "250 2.0.0 queued");
	CU_ASSERT_EQUAL(res[1].code, 550);
	CU_ASSERT_STRING_EQUAL(res[1].reply, "550 5.1.1 no 5.1.1 such user");
	CU_ASSERT_EQUAL(res[2].code, 451);

	CU_ASSERT_EQUAL(relay_replay(pipelined, strlen(pipelined), res, 2, 1, &failed, &ext, &err), 0);
	CU_ASSERT_EQUAL(ext, RELAY_EXT_PIPELINING);
	CU_ASSERT_EQUAL(res[0].code, 550);
	CU_ASSERT_EQUAL(res[1].code, 250);
	CU_ASSERT_STRING_EQUAL(res[1].reply, "250 2.0.0 queued");
	/* A temporary MAIL FROM refusal is not turned into a bounce by the
	 * 503s that follow it. */
	CU_ASSERT_EQUAL(relay_replay(pipelined_mail_refused, strlen(pipelined_mail_refused), res, 2, 1,
				     &failed, NULL, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 451);
	CU_ASSERT_EQUAL(res[1].code, 451);
	CU_ASSERT_STRING_EQUAL(res[1].reply, "451 4.3.2 not now");
	CU_ASSERT_EQUAL(relay_replay(pipelined_data_refused, strlen(pipelined_data_refused), res, 1, 1,
				     &failed, NULL, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 554);
	CU_ASSERT_STRING_EQUAL(res[0].reply, "554 5.5.1 no thanks");

	CU_ASSERT_EQUAL(relay_replay(mail_refused, strlen(mail_refused), res, 2, 1, &failed, NULL, &err), 0);
	CU_ASSERT_EQUAL(res[0].code, 421);
	CU_ASSERT_EQUAL(res[1].code, 421);

	CU_ASSERT_EQUAL(relay_replay(greeting_refused, strlen(greeting_refused), res, 1, 0, &failed,
				     NULL, &err), -1);
	CU_ASSERT_EQUAL(failed, 1);
	CU_ASSERT_EQUAL(res[0].code, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "554 5.3.2 go away"));

	CU_ASSERT_EQUAL(relay_replay(ehlo_caps, strlen(ehlo_caps), res, 0, 1, &failed, &ext, &err), 0);
	CU_ASSERT_EQUAL(ext, RELAY_EXT_SIZE | RELAY_EXT_SMTPUTF8);
	CU_ASSERT_EQUAL(relay_replay(ehlo_dsn, strlen(ehlo_dsn), res, 0, 1, &failed, &ext, &err), 0);
	CU_ASSERT_EQUAL(ext, RELAY_EXT_DSN);
	CU_ASSERT_EQUAL(relay_replay(ehlo_refused, strlen(ehlo_refused), res, 0, 1, &failed, &ext,
				     &err), 0);
	CU_ASSERT_EQUAL(ext, 0);

	err_clear(&err);
	CU_ASSERT_EQUAL(relay_replay(junk, strlen(junk), res, 1, 1, &failed, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT_EQUAL(res[0].code, 0);
	CU_ASSERT_EQUAL(relay_replay("", 0, res, 0, 1, &failed, NULL, &err), 0);
}

void suite_relay(void)
{
	CU_pSuite s = CU_add_suite("relay", NULL, NULL);

	CU_add_test(s, "wire form: CRLF, dot-stuffing, end", test_crlf);
	CU_add_test(s, "8-bit parts to quoted-printable", test_7bit);
	CU_add_test(s, "one session: per-recipient replies, reuse, 7-bit", test_session);
	CU_add_test(s, "refused here: UTF-8 without SMTPUTF8, over SIZE", test_held);
	CU_add_test(s, "reply handling replayed, broken traces", test_replay);
}
