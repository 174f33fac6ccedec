/* Delivery tracking in lib/: the event journal (events.h), the reader of
 * delivery reports (dsnparse.h) and the record store (track.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "afile.h"
#include "dsnparse.h"
#include "events.h"
#include "suites.h"
#include "track.h"
#include "tutil.h"
#include "xalloc.h"

/* A fresh directory for records and journal; returns it. */
static const char *fresh(void)
{
	const char *dir = tutil_tmpdir();
	char *p = xasprintf("%s/track", dir);

	setenv("SUREL_TRACK", p, 1);
	free(p);
	p = xasprintf("%s/events.jsonl", dir);
	setenv("SUREL_EVENTS", p, 1);
	free(p);
	return dir;
}

/* The journal's text (caller frees). */
static char *journal(void)
{
	struct err err = ERR_INIT;
	char *path = events_path(), *text = NULL;
	size_t len = 0;
	int rc = afile_read(path, 0, &text, &len, &err);

	free(path);
	return rc < 0 ? xstrdup("") : text;
}

static void test_events_line(void)
{
	char *big = xmalloc(3000), *j, *nl;
	json_t *o;

	fresh();
	events_log("arrived", "work", "folder", "INBOX", "subject", "a \"quoted\"\n\x01 caf\xc3\xa9 \xff",
		   "key", (const char *)NULL, (const char *)NULL);
	memset(big, 'x', 2999);
	big[2999] = '\0';
	events_log("sent", NULL, "a", big, "b", big, "c", big, "d", big, (const char *)NULL);
	j = journal();
	nl = strchr(j, '\n');
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	*nl = '\0';
	o = json_loads(j, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "type")), "arrived");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "account")), "work");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "subject")),
			       "a \"quoted\"\n\x01 caf\xc3\xa9 \xef\xbf\xbd");
	CU_ASSERT(json_is_null(json_object_get(o, "key")));
	CU_ASSERT(json_is_integer(json_object_get(o, "unix")));
	CU_ASSERT(json_is_string(json_object_get(o, "time")));
	json_decref(o);
	/* The long one: still one valid line, short enough for one write. */
	CU_ASSERT(strlen(nl + 1) <= EVENTS_LINE_MAX);
	CU_ASSERT(strchr(nl + 1, '\n') == nl + 1 + strlen(nl + 1) - 1);
	o = json_loads(nl + 1, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(o);
	CU_ASSERT(json_is_null(json_object_get(o, "account")));
	CU_ASSERT(strlen(json_string_value(json_object_get(o, "a"))) == EVENTS_VALUE_MAX);
	json_decref(o);
	free(j);
	free(big);
	tutil_rmtree();
}

/* Past EVENTS_ROTATE_SIZE the journal is renamed to .1 and a new one
 * started; both are read, the old one first. */
/* An events file at path of n bytes (blanks, then a newline), to bring it
 * near or past the size that rotates it. */
static void fill_events(const char *path, size_t n)
{
	char *big = xmalloc(n);

	memset(big, ' ', n);
	big[n - 1] = '\n';
	CU_ASSERT_FATAL(tutil_write(path, big, n) == 0);
	free(big);
}

static void test_events_rotate(void)
{
	char *path, *old;
	size_t n = EVENTS_ROTATE_SIZE + 1;
	struct stat st;

	fresh();
	path = events_path();
	old = xasprintf("%s.1", path);
	fill_events(path, n);
	events_log("sent", "a", (const char *)NULL);
	CU_ASSERT(stat(old, &st) == 0 && (size_t)st.st_size > n);
	CU_ASSERT(stat(path, &st) != 0);
	events_log("sent", "b", (const char *)NULL);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size > 0 && st.st_size < 4000);
	free(old);
	free(path);
	tutil_rmtree();
}

/* Lines of the file at path that contain needle. */
static size_t lines_with(const char *path, const char *needle)
{
	struct err err = ERR_INIT;
	char *text = NULL, *p;
	size_t len, n = 0;

	if (afile_read(path, 0, &text, &len, &err) < 0)
		return 0;
	for (p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* Writers that pass the size together rotate once and lose no line: the
 * late ones' lines land in the renamed file, and none renames the fresh
 * one over it. */
static void test_events_rotate_concurrent(void)
{
	enum { WRITERS = 4, LINES = 150 };
	size_t n = EVENTS_ROTATE_SIZE - 2000, total;
	char *path, *old;
	struct stat st;
	pid_t pid[WRITERS];
	int i, k, status;

	fresh();
	path = events_path();
	old = xasprintf("%s.1", path);
	fill_events(path, n);
	for (i = 0; i < WRITERS; i++) {
		pid[i] = fork();
		CU_ASSERT_FATAL(pid[i] >= 0);
		if (pid[i] == 0) {
			for (k = 0; k < LINES; k++)
				events_log("rotation-test", "w", (const char *)NULL);
			_exit(0);
		}
	}
	for (i = 0; i < WRITERS; i++)
		CU_ASSERT(waitpid(pid[i], &status, 0) == pid[i] && WIFEXITED(status) &&
			  WEXITSTATUS(status) == 0);
	total = lines_with(old, "\"rotation-test\"") + lines_with(path, "\"rotation-test\"");
	CU_ASSERT_EQUAL(total, WRITERS * LINES);
	/* The first file (spaces) is the one kept, rotated once. */
	CU_ASSERT(stat(old, &st) == 0 && (size_t)st.st_size > n);
	free(old);
	free(path);
	tutil_rmtree();
}

static void test_events_since(void)
{
	struct err err = ERR_INIT;
	time_t t;

	CU_ASSERT(events_parse_since("@1700000000", 0, &t, &err) == 0 && t == 1700000000);
	CU_ASSERT(events_parse_since("-30m", 10000, &t, &err) == 0 && t == 10000 - 1800);
	CU_ASSERT(events_parse_since("-2d", 200000, &t, &err) == 0 && t == 200000 - 172800);
	CU_ASSERT(events_parse_since("2023-11-14T22:13:20Z", 0, &t, &err) == 0 && t == 1700000000);
	CU_ASSERT(events_parse_since("2023-11-14", 0, &t, &err) == 0 && t == 1699920000);
	CU_ASSERT(events_parse_since("yesterday", 0, &t, &err) < 0 && err.code == EX_USAGE);
	CU_ASSERT(events_parse_since("-5x", 0, &t, &err) < 0);
	CU_ASSERT(events_parse_since("@12abc", 0, &t, &err) < 0);
}

static const char postfix_dsn[] =
	"From: MAILER-DAEMON@mx.example.test (Mail Delivery System)\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status;\n"
	"\tboundary=\"B1\"\n\n"
	"--B1\nContent-Type: text/plain\n\nsorry\n\n"
	"--B1\nContent-Type: message/delivery-status\n\n"
	"Reporting-MTA: dns; mx.example.test\n"
	"Original-Envelope-Id: Q1.host\n\n"
	"Final-Recipient: rfc822; bob@example.org\n"
	"Original-Recipient: rfc822;Bob@example.org\n"
	"Action: failed\nStatus: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: Recipient address\n"
	"    rejected: User unknown\n\n"
	"Final-Recipient: rfc822; carol@example.org\n"
	"Action: delayed\nStatus: 4.4.1\n\n"
	"--B1\nContent-Type: text/rfc822-headers\n\n"
	"From: me@example.test\nMessage-ID: <orig1@example.test>\nSubject: hi\n\n"
	"--B1--\n";

static const char qmail_bounce[] =
	"From: MAILER-DAEMON@mx.example.org\n"
	"Subject: failure notice\n\n"
	"Hi. This is the qmail-send program at mx.example.org.\n"
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
	"<dave@example.org>:\n"
	"Sorry, no mailbox here by that name. (#5.1.1)\n\n"
	"--- Below this line is a copy of the message.\n\n"
	"Return-Path: <me@example.test>\n"
	"Message-ID: <orig2@example.test>\n"
	"Subject: hello\n\nbody\n";

/* Plain-text bounces written in the wording of each MTA. */
static const char exim_bounce[] =
	"From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
	"Subject: Mail delivery failed: returning message to sender\n"
	"Message-Id: <E1kXyZ-0004Ab-Qr@mx.example.org>\n\n"
	"This message was created automatically by mail delivery software.\n\n"
	"A message that you sent could not be delivered to one or more of its\n"
	"recipients. This is a permanent error. The following address(es) failed:\n\n"
	"  frank@example.org\n"
	"    host mx2.example.org [192.0.2.7]\n"
	"    SMTP error from remote mail server after RCPT TO:<frank@example.org>:\n"
	"    550 5.1.1 No such user\n"
	"  bogus line with spaces\n\n"
	"------ This is a copy of the message, including all the headers. ------\n"
	"------ The body of the message is 912345 characters long; only the first\n"
	"------ 106496 or so are included here.\n\n"
	"Return-path: <me@example.test>\n"
	"Message-ID: <orig4@example.test>\n"
	"Subject: report\n\nbody\n";

static const char sendmail_bounce[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\n"
	"Subject: Returned mail: User unknown\n\n"
	"The original message was received at Mon, 2 Mar 1998 10:00:00 GMT\n"
	"from localhost [127.0.0.1]\n\n"
	"   ----- The following addresses had permanent fatal errors -----\n"
	"<gina@example.org>\n"
	"    (reason: 550 5.1.1 <gina@example.org>... User unknown)\n\n"
	"   ----- Transcript of session follows -----\n"
	"... while talking to mx.example.org.:\n"
	">>> RCPT To:<gina@example.org>\n"
	"<<< 550 5.1.1 <gina@example.org>... User unknown\n\n"
	"   ----- Original message follows -----\n\n"
	"Received: from x by y; Mon, 2 Mar 1998 10:00:00 GMT\n"
	"Message-Id: <orig5@example.test>\n"
	"Subject: hi\n\nbody\n";

static const char sendmail_warning[] =
	"Subject: Warning: could not send message for past 4 hours\n\n"
	"    **********************************************\n"
	"    **      THIS IS A WARNING MESSAGE ONLY      **\n"
	"    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n"
	"    **********************************************\n\n"
	"   ----- The following addresses had transient non-fatal errors -----\n"
	"<hank@example.org>\n\n"
	"   ----- Transcript of session follows -----\n"
	"<hank@example.org>... Deferred: Connection timed out with mx.example.org.\n\n"
	"   ----- Message header follows -----\n\n"
	"Message-Id: <orig5@example.test>\n"
	"Subject: hi\n";

static const char exchange_bounce[] =
	"From: postmaster@corp.example.org\n"
	"Subject: Undeliverable: plans\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"XB\"\n\n"
	"--XB\n"
	"Content-Type: text/plain; charset=us-ascii\n\n"
	"Delivery has failed to these recipients or groups:\n\n"
	"ivan@corp.example.org\n"
	"The e-mail address you entered couldn't be found.\n\n"
	"Diagnostic information for administrators:\n\n"
	"Generating server: ex1.corp.example.org\n\n"
	"ivan@corp.example.org\n"
	"#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\n"
	"--XB\n"
	"Content-Type: message/rfc822\n\n"
	"From: me@example.test\n"
	"Message-ID: <orig6@example.test>\n"
	"Subject: plans\n\nbody\n"
	"--XB--\n";

static const char exchange55_bounce[] =
	"Subject: Undeliverable: plans\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"XB\"\n\n"
	"--XB\n"
	"Content-Type: text/plain\n\n"
	"Your message did not reach some or all of the intended recipients.\n\n"
	"      Subject:\tplans\n"
	"      Sent:\t3/4/2002 9:15 AM\n\n"
	"The following recipient(s) could not be reached:\n\n"
	"      judy@corp.example.org on 3/4/2002 9:15 AM\n"
	"            The e-mail account does not exist at the organization this message was sent to.\n"
	"            <ex55.corp.example.org #5.1.1>\n"
	"--XB\n"
	"Content-Type: message/rfc822\n\n"
	"Message-ID: <orig7@example.test>\n"
	"Subject: plans\n\nbody\n"
	"--XB--\n";

static const char lotus_bounce[] =
	"Subject: DELIVERY FAILURE: User kim not listed in Domino Directory\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"LB\"\n\n"
	"--LB\n"
	"Content-Type: text/plain\n\n"
	"Your message\n\n"
	"  Subject: plans\n\n"
	"was not delivered to:\n\n"
	"  kim@notes.example.org\n\n"
	"because:\n\n"
	"  User kim (kim@notes.example.org) not listed in Domino Directory\n\n"
	"--LB\n"
	"Content-Type: text/rfc822-headers\n\n"
	"Message-ID: <orig8@example.test>\n"
	"Subject: plans\n\n"
	"--LB--\n";

/* Parses text and checks it reports on one recipient, final, and on the
 * message msgid (NULL: not checked). The caller frees the report. */
static struct dsn_report *one_rcpt(const char *text, const char *msgid, const char *final)
{
	struct dsn_report *r = dsn_parse(text, strlen(text));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	if (msgid)
		CU_ASSERT_STRING_EQUAL(r->message_id, msgid);
	CU_ASSERT_EQUAL_FATAL(r->n, 1);
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].final, final);
	return r;
}

static void test_plain_bounces(void)
{
	struct dsn_report *r = one_rcpt(exim_bounce, "orig4@example.test", "frank@example.org");
	char *quoted, *noid;

	CU_ASSERT(r->plain);
	CU_ASSERT_EQUAL(r->rcpts[0].action, DSN_ACT_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->rcpts[0].diagnostic, "550 5.1.1 No such user"));
	dsn_report_free(r);

	r = one_rcpt(sendmail_bounce, "orig5@example.test", "gina@example.org");
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].diagnostic,
			       "(reason: 550 5.1.1 <gina@example.org>... User unknown)");
	dsn_report_free(r);

	r = one_rcpt(sendmail_warning, NULL, "hank@example.org");
	CU_ASSERT_EQUAL(r->rcpts[0].action, DSN_ACT_DELAYED);
	dsn_report_free(r);

	r = one_rcpt(exchange_bounce, "orig6@example.test", "ivan@corp.example.org");
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].diagnostic,
			       "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##");
	dsn_report_free(r);

	r = one_rcpt(exchange55_bounce, "orig7@example.test", "judy@corp.example.org");
	CU_ASSERT_PTR_NOT_NULL(strstr(r->rcpts[0].diagnostic, "#5.1.1"));
	dsn_report_free(r);

	r = one_rcpt(lotus_bounce, "orig8@example.test", "kim@notes.example.org");
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].diagnostic,
			       "because: User kim (kim@notes.example.org) not listed in Domino Directory");
	dsn_report_free(r);

	/* No guessing: without the returned Message-ID a bounce names no
	 * message; quoted in a reply it is no bounce. */
	noid = xstrdup(exim_bounce);
	strstr(noid, "Message-ID: <orig4")[0] = 'X';
	CU_ASSERT_PTR_NULL(dsn_parse(noid, strlen(noid)));
	free(noid);
	quoted = xasprintf("Subject: Re: bounce\n\nWhat is this?\n\n"
			   "> This message was created automatically by mail delivery software.\n"
			   "> The following address(es) failed:\n>\n>   frank@example.org\n"
			   "> ------ This is a copy of the message, including all the headers. ------\n"
			   "> Message-ID: <orig4@example.test>\n");
	CU_ASSERT_PTR_NULL(dsn_parse(quoted, strlen(quoted)));
	free(quoted);
}

static void test_dsnparse(void)
{
	struct dsn_report *r = dsn_parse(postfix_dsn, strlen(postfix_dsn));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->envid, "Q1.host");
	CU_ASSERT_STRING_EQUAL(r->message_id, "orig1@example.test");
	CU_ASSERT_STRING_EQUAL(r->reporter, "mx.example.test");
	CU_ASSERT_EQUAL_FATAL(r->n, 2);
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].final, "bob@example.org");
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].original, "Bob@example.org");
	CU_ASSERT_EQUAL(r->rcpts[0].action, DSN_ACT_FAILED);
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].status, "5.1.1");
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].diagnostic,
			       "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown");
	CU_ASSERT_EQUAL(r->rcpts[1].action, DSN_ACT_DELAYED);
	CU_ASSERT_STRING_EQUAL(r->rcpts[1].diagnostic, "");
	dsn_report_free(r);

	r = dsn_parse(qmail_bounce, strlen(qmail_bounce));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT(r->qmail);
	CU_ASSERT_PTR_NULL(r->envid);
	CU_ASSERT_STRING_EQUAL(r->message_id, "orig2@example.test");
	CU_ASSERT_EQUAL_FATAL(r->n, 1);
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].final, "dave@example.org");
	CU_ASSERT_EQUAL(r->rcpts[0].action, DSN_ACT_FAILED);
	CU_ASSERT_STRING_EQUAL(r->rcpts[0].diagnostic,
			       "Sorry, no mailbox here by that name. (#5.1.1)");
	dsn_report_free(r);

	/* Ordinary mail, and a report that names nobody, are no reports. */
	CU_ASSERT_PTR_NULL(dsn_parse("Subject: x\n\nHi. This is me.\n", 28));
	CU_ASSERT_PTR_NULL(dsn_parse("Content-Type: multipart/report; boundary=b\n\n--b\n"
				     "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n--b--\n",
				     105));
}

/* A record for id with the recipients given, as flush makes it. */
static void note(const char *id, const char *mid, const char *a1, enum track_state s1,
		 const char *a2, enum track_state s2)
{
	struct track_rcpt r[2] = { { a1, s1, "250 2.0.0 Ok: queued as 4Xk9" },
				   { a2, s2, "250 2.0.0 Ok: queued as 4Xk9" } };
	struct track_msg m = { id, NULL, mid, "work", "me@example.test", 1700000000, r, a2 ? 2 : 1 };
	struct err err = ERR_INIT;

	CU_ASSERT(track_note(&m, "attempt", NULL, 1700000100, &err) == 0);
}

static char *rcpt_state(const char *key, const char *addr, char *msg_state)
{
	struct err err = ERR_INIT;
	json_t *rec = track_load(key, &err), *r;
	char *st = NULL;
	size_t i;

	if (!rec)
		return NULL;
	if (msg_state)
		strcpy(msg_state, json_string_value(json_object_get(rec, "state")));
	json_array_foreach(json_object_get(rec, "recipients"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "address")), addr) == 0)
			st = xasprintf("%s|%s", json_string_value(json_object_get(r, "state")),
				       json_string_value(json_object_get(r, "reply")));
	json_decref(rec);
	return st;
}

static void test_match(void)
{
	char *s, st[32], *rec_before, *rec_after, *path;
	size_t len;
	struct err err = ERR_INIT;

	fresh();
	note("Q1.host", "orig1@example.test", "bob@example.org", TRACK_ACCEPTED,
	     "carol@example.org", TRACK_ACCEPTED);
	s = rcpt_state("<orig1@example.test>", "bob@example.org", st);
	CU_ASSERT_STRING_EQUAL(s, "accepted|250 2.0.0 Ok: queued as 4Xk9");
	CU_ASSERT_STRING_EQUAL(st, "accepted");
	free(s);
	/* The report: by ENVID, through Original-Recipient's spelling. */
	CU_ASSERT_EQUAL(track_incoming(postfix_dsn, strlen(postfix_dsn), "work"), 1);
	s = rcpt_state("Q1.host", "bob@example.org", st);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "bounced|550 5.1.1 <bob@example.org>: Recipient address rejected"));
	CU_ASSERT_STRING_EQUAL(st, "bounced");
	free(s);
	s = rcpt_state("Q1.host", "carol@example.org", NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "delayed|4.4.1"));
	free(s);
	/* A late attempt's view does not undo what the report said. */
	note("Q1.host", NULL, "bob@example.org", TRACK_ACCEPTED, NULL, TRACK_QUEUED);
	s = rcpt_state("Q1.host", "bob@example.org", NULL);
	CU_ASSERT(strncmp(s, "bounced|", 8) == 0);
	free(s);

	/* By Message-ID when there is no ENVID (qmail); a recipient the
	 * record does not have changes nothing. */
	note("Q2.host", "orig2@example.test", "dave@example.org", TRACK_ACCEPTED, NULL, TRACK_QUEUED);
	CU_ASSERT_EQUAL(track_incoming(qmail_bounce, strlen(qmail_bounce), NULL), 1);
	s = rcpt_state("Q2.host", "dave@example.org", st);
	CU_ASSERT(strncmp(s, "bounced|Sorry, no mailbox", 25) == 0);
	free(s);
	note("Q3.host", "orig3@example.test", "erin@example.org", TRACK_ACCEPTED, NULL, TRACK_QUEUED);
	path = xasprintf("%s/Q3.host.json", getenv("SUREL_TRACK"));
	CU_ASSERT(afile_read(path, 0, &rec_before, &len, &err) == 0);
	{
		char *other = xstrdup(qmail_bounce), *p = strstr(other, "orig2");

		p[4] = '3';
		CU_ASSERT_EQUAL(track_incoming(other, strlen(other), NULL), 0);
		free(other);
	}
	/* A plain-text bounce: only a recipient of the record it names. */
	note("Q4.host", "orig4@example.test", "frank@example.org", TRACK_ACCEPTED, NULL,
	     TRACK_QUEUED);
	CU_ASSERT_EQUAL(track_incoming(exim_bounce, strlen(exim_bounce), NULL), 1);
	s = rcpt_state("Q4.host", "frank@example.org", st);
	CU_ASSERT(strncmp(s, "bounced|host mx2.example.org", 28) == 0);
	CU_ASSERT_STRING_EQUAL(st, "bounced");
	free(s);
	CU_ASSERT_EQUAL(track_incoming(exchange_bounce, strlen(exchange_bounce), NULL), 0);
	/* An ENVID a report gives back as xtext matches the one sent. */
	{
		struct track_rcpt rr = { "bob@example.org", TRACK_ACCEPTED, "250 ok" };
		struct track_msg mm = { "Q5.host", "my+env", NULL, "work", "me@example.test",
					1700000000, &rr, 1 };
		const char *at = strstr(postfix_dsn, "Q1.host");
		char *x = xasprintf("%.*smy+2Benv%s", (int)(at - postfix_dsn), postfix_dsn, at + 7);

		CU_ASSERT(track_note(&mm, "attempt", NULL, 1700000100, &err) == 0);
		strstr(x, "orig1")[4] = '0';
		CU_ASSERT_EQUAL(track_incoming(x, strlen(x), NULL), 1);
		s = rcpt_state("Q5.host", "bob@example.org", NULL);
		CU_ASSERT(strncmp(s, "bounced|", 8) == 0);
		free(s);
		free(x);
	}
	/* An Original-Recipient left in xtext, the final one forwarded. */
	{
		static const char fwd[] =
			"Message-ID: <r6@mx.example.org>\n"
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
			"--b\nContent-Type: message/delivery-status\n\n"
			"Reporting-MTA: dns; mx.example.org\nOriginal-Envelope-Id: Q6.host\n\n"
			"Final-Recipient: rfc822; kim@elsewhere.example\n"
			"Original-Recipient: rfc822;kim+2Blists@example.org\n"
			"Action: failed\nStatus: 5.1.1\n\n--b--\n";
		struct track_rcpt rr = { "kim+lists@example.org", TRACK_ACCEPTED, "250 ok" };
		struct track_msg mm = { "Q6.host", NULL, NULL, "work", "me@example.test",
					1700000000, &rr, 1 };

		CU_ASSERT(track_note(&mm, "attempt", NULL, 1700000100, &err) == 0);
		CU_ASSERT_EQUAL(track_incoming(fwd, strlen(fwd), NULL), 1);
		s = rcpt_state("Q6.host", "kim+lists@example.org", NULL);
		CU_ASSERT(strncmp(s, "bounced|5.1.1", 13) == 0);
		free(s);
	}
	/* Unknown message: nothing changes. */
	{
		char *unknown = xstrdup(postfix_dsn), *p = strstr(unknown, "Q1.host"), *q;

		p[1] = '9';
		q = strstr(unknown, "orig1");
		q[4] = '9';
		CU_ASSERT_EQUAL(track_incoming(unknown, strlen(unknown), NULL), 0);
		free(unknown);
	}
	CU_ASSERT(afile_read(path, 0, &rec_after, &len, &err) == 0);
	CU_ASSERT_STRING_EQUAL(rec_before, rec_after);
	CU_ASSERT_EQUAL(track_incoming("Subject: hi\n\nplain\n", 20, NULL), 0);
	free(rec_before);
	free(rec_after);
	free(path);
	tutil_rmtree();
}

static void test_prune(void)
{
	struct utimbuf old = { 1000, 1000 };
	struct err err = ERR_INIT;
	json_t *j;
	char *path;

	fresh();
	note("Q1.host", "a@x", "bob@example.org", TRACK_ACCEPTED, NULL, TRACK_QUEUED);
	note("Q2.host", "b@x", "bob@example.org", TRACK_ACCEPTED, NULL, TRACK_QUEUED);
	path = xasprintf("%s/Q1.host.json", getenv("SUREL_TRACK"));
	CU_ASSERT(utime(path, &old) == 0);
	track_prune(30, time(NULL));
	j = track_load("Q1.host", &err);
	CU_ASSERT_PTR_NULL(j);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	j = track_load("Q2.host", &err);
	CU_ASSERT_PTR_NOT_NULL(j);
	json_decref(j);
	free(path);
	tutil_rmtree();
}

void suite_track(void)
{
	CU_pSuite s = CU_add_suite("track", NULL, NULL);

	CU_add_test(s, "journal: one valid JSON line per event, bounded", test_events_line);
	CU_add_test(s, "journal: --since values", test_events_since);
	CU_add_test(s, "journal: rotated by size", test_events_rotate);
	CU_add_test(s, "journal: concurrent writers rotate once, lose nothing",
		    test_events_rotate_concurrent);
	CU_add_test(s, "reports: RFC 3464 and qmail-send", test_dsnparse);
	CU_add_test(s, "reports: Exim, Sendmail, Exchange plain-text bounces", test_plain_bounces);
	CU_add_test(s, "records: reports matched by ENVID or Message-ID, else nothing", test_match);
	CU_add_test(s, "records: pruned after track_days", test_prune);
}
