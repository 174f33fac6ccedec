#!/bin/sh
# sendq flush against the scripted SMTP peer (tests/peer/smtp-peer.py):
# connection reuse, per-recipient outcomes, bounces, every fault the peer
# can inject, TLS refusals, STARTTLS + AUTH, the 8BITMIME fallback, expiry,
# the flush lock and the daemon.  Each case ends in a documented state
# with nothing lost.
. "$(dirname "$0")/lib.sh"

SENDQ="$top_builddir/sendq/sendq"
Q="$XDG_DATA_HOME/surel/queue"
M="$T/Mail"
command -v python3 > /dev/null || skip "python3 is needed for the SMTP peer"
# A silent server is given this long; keeps the stall case short.
export SENDQ_SMTP_TIMEOUT=2
trap 'peer_stop; scratch_remove' EXIT INT TERM

nfiles() {
	if [ -d "$1" ]; then ls -A "$1" | wc -l; else echo 0; fi
}

# start_peer MODE [ARGS...]: a fresh SMTP peer with its own spool and log.
start_peer() {
	peer_stop
	rm -rf "$T/spool" "$T/peer.log"
	peer_start smtp-peer.py --mode "$@" --spool "$T/spool" --log "$T/peer.log" --max-time 60
}

# config [EXTRA LINES]: account t relaying to the peer (plain unless the
# extra lines say otherwise).
config() {
	mkdir -p "$XDG_CONFIG_HOME/surel"
	{
		printf '[general]\ndefault_account = t\nretry_schedule = 1m\n%s\n' "${GENERAL:-}"
		printf '[account t]\naddress = me@example.test\nmaildir = %s\n' "$M"
		printf 'local_domains = localhost\n'
		printf '%s\n' "${1:-smtp = smtp://127.0.0.1:$PORT
tls = off}"
	} > "$XDG_CONFIG_HOME/surel/config"
	chmod 600 "$XDG_CONFIG_HOME/surel/config"
}

clean_queue() {
	rm -rf "$Q" "$M"
}

# The queue as JSON reduced by a python expression over q.
jq_py() {
	"$SENDQ" list --json > "$T/list.json" || fail "sendq list --json failed"
	python3 -c "import json; q = json.load(open('$T/list.json')); print($1)"
}

send() {
	printf 'From: me@example.test\nTo: x@example.test\nSubject: %s\n\n%s\n' "$1" "${3:-hello}" |
		"$SENDQ" -- $2 || fail "enqueue failed"
}

connects() {
	{ cat "$T/peer.log" 2> /dev/null || true; } | grep -c '^connect$' || true
}

# --- 1: three messages, one connection, bodies and envelopes intact --------
clean_queue
start_peer ok
config
python3 -c "
import sys
sys.stdout.write('From: me@example.test\nTo: a@example.test\nSubject: dots\n\n.leading dot\n..two\n.\nend without newline')" > "$T/m1.eml"
"$SENDQ" -i a@example.test b@example.test < "$T/m1.eml"
send two c@example.test
send three 'd@example.test root@localhost'
expect_exit 0 "$SENDQ" -v flush
[ "$(nfiles "$Q/env")" -eq 0 ] && [ "$(nfiles "$Q/msg")" -eq 0 ] || fail "queue not empty: $(cat "$T/err")"
[ "$(connects)" -eq 1 ] || fail "expected one connection, got $(connects)"
[ "$(ls "$T"/spool/*.eml | wc -l)" -eq 3 ] || fail "peer did not get 3 messages"
grep -q '3 message(s) over 1 connection(s)' "$T/err" || fail "-v does not report reuse: $(cat "$T/err")"
# Byte-identical after CRLF -> LF (the stored body has LF; a final line end
# is added at enqueue).
python3 - "$T/spool/1.eml" "$T/m1.eml" <<'P' || fail "body of message 1 changed on the wire"
import sys
wire = open(sys.argv[1], 'rb').read()
assert b'\n' not in wire.replace(b'\r\n', b''), 'bare LF on the wire'
orig = open(sys.argv[2], 'rb').read() + b'\n'
body = wire.replace(b'\r\n', b'\n')
assert body.split(b'\n\n', 1)[1] == orig.split(b'\n\n', 1)[1], (body, orig)
P
grep -qx 'from me@example.test' "$T/spool/1.env" && grep -qx 'to a@example.test' "$T/spool/1.env" &&
	grep -qx 'to b@example.test' "$T/spool/1.env" || fail "envelope wrong: $(cat "$T/spool/1.env")"
grep -q 'root@localhost' "$T/spool/3.env" && fail "a local recipient went over SMTP"
[ "$(nfiles "$M/Sent/cur")" -eq 3 ] || fail "expected 3 Sent copies"
ls "$M/Sent/cur" | grep -q ':2,S$' || fail "Sent copy not flagged seen"
[ "$(nfiles "$M/INBOX/new")" -eq 1 ] || fail "local recipient not delivered"
grep -q '^Delivered-To: root@localhost$' "$M"/INBOX/new/* || fail "no Delivered-To on local delivery"
ok "one connection for three messages; bodies, envelopes, Sent copies and local delivery"

# --- 2: 421 at the greeting: deferred, and the rest is not tried --------------
clean_queue
start_peer greet421
config
send one a@example.test
send two b@example.test
expect_exit 0 "$SENDQ" flush
[ "$(jq_py 'sorted(set(r["status"] for m in q for r in m["recipients"]))')" = "['deferred']" ] ||
	fail "not deferred: $(cat "$T/list.json")"
jq_py 'q[0]["recipients"][0]["reply"]' | grep -q '421' || fail "421 not recorded: $(cat "$T/list.json")"
[ "$(jq_py 'q[0]["attempts"]')" = 1 ] || fail "attempts not counted"
[ "$(connects)" -eq 1 ] || fail "a refused session was retried within one flush"
ok "421 at greeting: deferred with the reply, one connection for the whole flush"

# --- 3: 451 on RCPT: deferred, then delivered once the server recovers ------
clean_queue
start_peer rcpt451
config
send one a@example.test
expect_exit 0 "$SENDQ" flush
jq_py 'q[0]["recipients"][0]["reply"]' | grep -q '^451 4.3.0' || fail "451 not recorded: $(cat "$T/list.json")"
[ "$(jq_py 'q[0]["recipients"][0]["status"]')" = deferred ] || fail "451 not deferred"
expect_exit 0 "$SENDQ" flush
[ "$(jq_py 'q[0]["attempts"]')" = 1 ] || fail "a deferred message was retried before its time"
start_peer ok
config
expect_exit 0 "$SENDQ" retry
expect_exit 0 "$SENDQ" flush
[ "$(nfiles "$Q/env")" -eq 0 ] && [ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] || fail "not delivered after recovery"
ok "4xx on RCPT: deferred with backoff, delivered after retry"

# --- 4: 550 for one of three recipients: the rest delivered, one bounce -------
clean_queue
start_peer rcpt550
config
send partly 'a@example.test bad@example.test c@example.test'
expect_exit 0 "$SENDQ" flush
[ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] || fail "message not sent to the good recipients"
[ "$(grep -c '^to ' "$T/spool/1.env")" -eq 2 ] || fail "wrong recipients at the peer"
[ "$(jq_py 'q[0]["state"]')" = failed ] || fail "partly bounced message not in failed/"
[ "$(jq_py '[r["status"] for r in q[0]["recipients"]]')" = "['sent', 'bounced', 'sent']" ] ||
	fail "statuses wrong: $(cat "$T/list.json")"
b=$(ls "$M"/INBOX/new/*)
grep -q '^Content-Type: multipart/report; report-type=delivery-status' "$b" || fail "bounce is not a report"
grep -q '^Final-Recipient: rfc822; bad@example.test$' "$b" || fail "no Final-Recipient"
grep -q '^Status: 5.1.1$' "$b" || fail "no Status 5.1.1"
grep -q '^Diagnostic-Code: smtp; 550 5.1.1' "$b" || fail "no Diagnostic-Code"
grep -q '^Subject: partly$' "$b" || fail "original headers missing"
grep -q '^Auto-Submitted: auto-replied$' "$b" || fail "no Auto-Submitted"
grep -q '^To: <me@example.test>$' "$b" || fail "bounce not addressed to the sender"
[ "$(nfiles "$M/Sent/cur")" -eq 1 ] || fail "no Sent copy of a partly delivered message"
# retry resends only to the bounced recipient.
expect_exit 0 "$SENDQ" retry
expect_exit 0 "$SENDQ" flush
[ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] || fail "retry resent to recipients that had it"
ok "5xx on one of three RCPTs: two delivered, one RFC 3464 bounce, original in failed/"

# --- 4b: 550 for one, 451 for another: the sender is told now, once ----------
clean_queue
start_peer rcptmix
config
send mixed 'a@example.test bad@example.test later@example.test'
expect_exit 0 "$SENDQ" flush
[ "$(jq_py '[r["status"] for r in q[0]["recipients"]]')" = "['sent', 'bounced', 'deferred']" ] ||
	fail "statuses wrong: $(cat "$T/list.json")"
[ "$(jq_py 'q[0]["state"]')" = queued ] || fail "message with a deferred recipient not queued"
[ "$(nfiles "$M/INBOX/new")" -eq 1 ] || fail "no bounce while a recipient waits"
b=$(ls "$M"/INBOX/new/*)
grep -q '^Final-Recipient: rfc822; bad@example.test$' "$b" || fail "bounced recipient not reported"
awk '/^Final-Recipient: rfc822; bad@/ { getline; print; exit }' "$b" | grep -q '^Action: failed$' ||
	fail "bounced recipient not failed in the report"
awk '/^Final-Recipient: rfc822; later@/ { getline; print; getline; print; exit }' "$b" > "$T/delayed"
grep -q '^Action: delayed$' "$T/delayed" && grep -q '^Status: 4.2.2$' "$T/delayed" ||
	fail "waiting recipient not delayed 4.2.2 in the report: $(cat "$b")"
grep -q "<a@example.test>" "$b" && fail "a delivered recipient is in the report: $(cat "$b")"
# The waiting one gets it later; nobody is reported twice.
start_peer ok
config
expect_exit 0 "$SENDQ" retry
expect_exit 0 "$SENDQ" flush
[ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] && [ "$(grep -c '^to ' "$T/spool/1.env")" -eq 1 ] &&
	grep -q '^to later@example.test' "$T/spool/1.env" || fail "the waiting recipient did not get it alone"
[ "$(jq_py 'q[0]["state"]')" = failed ] || fail "partly bounced message not in failed/ once done"
[ "$(jq_py '[r["status"] for r in q[0]["recipients"]]')" = "['sent', 'bounced', 'sent']" ] ||
	fail "final statuses wrong: $(cat "$T/list.json")"
[ "$(nfiles "$M/INBOX/new")" -eq 1 ] || fail "the bounced recipient was reported twice"
ok "5xx and 4xx among three RCPTs: bounce at once (failed + delayed), one report in all"

# --- 4c: PIPELINING or not: the same outcomes, one write per group or not ---
for pl in pipelining no-pipelining; do
	clean_queue
	if [ $pl = pipelining ]; then start_peer rcptmix; else start_peer rcptmix --no-pipelining; fi
	config
	send "$pl" 'a@example.test bad@example.test later@example.test'
	"$SENDQ" flush -v -v 2> "$T/trace" || fail "flush failed: $(cat "$T/trace")"
	[ "$(jq_py '[r["status"] for r in q[0]["recipients"]]')" = "['sent', 'bounced', 'deferred']" ] ||
		fail "$pl: statuses wrong: $(cat "$T/list.json")"
	[ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] && [ "$(grep -c '^to ' "$T/spool/1.env")" -eq 1 ] ||
		fail "$pl: not delivered to the one good recipient"
	# Pipelined: DATA goes out before the reply to MAIL FROM comes back.
	awk '/ > DATA/ { d = NR } / < 250 2.1.0/ && !m { m = NR } END { exit !(d && m && (d < m) == ("'$pl'" == "pipelining")) }' \
		"$T/trace" || fail "$pl: wrong command order: $(grep ' [<>] ' "$T/trace" | head -20)"
	grep -q ' > QUIT' "$T/trace" || fail "$pl: no QUIT at the end"
done
ok "PIPELINING used when offered (MAIL..DATA in one go), one by one when not; same outcomes"

# --- 4d: MAIL FROM refused for now: deferred, not bounced by the 503s after it
clean_queue
start_peer mail451
config
send mail451 'a@example.test b@example.test'
expect_exit 0 "$SENDQ" flush
[ "$(jq_py '[r["status"] for r in q[0]["recipients"]]')" = "['deferred', 'deferred']" ] ||
	fail "statuses wrong: $(cat "$T/list.json")"
jq_py 'q[0]["recipients"][1]["reply"]' | grep -q '^451 4.3.2' || fail "MAIL reply not recorded: $(cat "$T/list.json")"
[ "$(nfiles "$M/INBOX/new")" -eq 0 ] || fail "a temporary MAIL FROM refusal made a bounce"
ok "451 to a pipelined MAIL FROM: every recipient deferred with that reply, no bounce"

# --- 4e: a server out of step in the transaction -----------------------------
# 250 to DATA: nothing was sent, so nothing may count as sent.
clean_queue
start_peer data250
config
send data250 a@example.test
expect_exit 0 "$SENDQ" flush
[ "$(jq_py 'q[0]["recipients"][0]["status"]')" = deferred ] || fail "250 to DATA not deferred: $(cat "$T/list.json")"
[ -z "$(ls "$T/spool" 2> /dev/null)" ] || fail "the peer stored something"
# A reply too many, and a server that hangs up after each message: every
# message still goes exactly once, in this one flush.
for mode in extra-reply close-after; do
	clean_queue
	start_peer $mode
	config
	for i in 1 2 3; do send "$mode $i" a@example.test "body $i"; done
	expect_exit 0 "$SENDQ" flush
	[ "$(nfiles "$Q/env")" -eq 0 ] || fail "$mode: messages left queued: $("$SENDQ" list)"
	[ "$(ls "$T"/spool/*.eml | wc -l)" -eq 3 ] || fail "$mode: $(ls "$T"/spool/*.eml | wc -l) of 3 delivered"
	for i in 1 2 3; do
		[ "$(grep -l "^body $i" "$T"/spool/*.eml | wc -l)" -eq 1 ] || fail "$mode: message $i not there exactly once"
	done
	[ "$(connects)" -eq 3 ] || fail "$mode: expected a new session per message, got $(connects)"
done
# A server that takes longer than the timeout to accept the message.
clean_queue
start_peer slow-dot
config
send slow-dot a@example.test
expect_exit 0 "$SENDQ" flush
[ "$(nfiles "$Q/env")" -eq 0 ] && [ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] ||
	fail "slow reply to the dot not waited for: $("$SENDQ" list)"
ok "250 to DATA deferred; an extra reply or a hang-up between messages costs a new session, not a try; the end of a message gets 5x the timeout"

# --- 5: null sender: never bounced ----------------------------------------
clean_queue
start_peer rcpt550
config
printf 'Subject: bounce of a bounce\n\nx\n' | "$SENDQ" -f '<>' bad@example.test
expect_exit 0 "$SENDQ" flush
[ "$(jq_py 'q[0]["state"]')" = failed ] || fail "null-sender message not failed"
[ "$(nfiles "$M/INBOX/new")" -eq 0 ] || fail "a null-sender message was bounced"
ok "null sender: moved to failed/ without a bounce"

# --- 6: connection dropped mid-DATA: deferred, delivered once later ---------
clean_queue
start_peer drop-data
config
send dropped a@example.test "$(seq 1 50)"
expect_exit 0 "$SENDQ" flush
[ "$(jq_py 'q[0]["recipients"][0]["status"]')" = deferred ] || fail "drop in DATA not deferred"
[ "$(nfiles "$T/spool")" -eq 0 ] || fail "peer stored a partial message"
start_peer ok
expect_exit 0 "$SENDQ" retry
config
expect_exit 0 "$SENDQ" flush
[ "$(nfiles "$Q/env")" -eq 0 ] && [ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] || fail "not delivered once"
ok "connection dropped mid-DATA: deferred, then delivered exactly once"

# --- 7: dropped after the final dot: SMTP cannot know; sent again -----------
clean_queue
start_peer drop-dot
config
send twice a@example.test
expect_exit 0 "$SENDQ" flush
[ "$(jq_py 'q[0]["recipients"][0]["status"]')" = deferred ] || fail "drop after dot not deferred"
[ "$(ls "$T"/spool/*.eml | wc -l)" -eq 1 ] || fail "peer did not keep the message"
ok "dropped after the final dot: deferred (the documented duplicate window)"

# --- 8: a stalling server: bounded by the timeout -------------------------
clean_queue
start_peer stall
config
send stalled a@example.test
t0=$(date +%s)
expect_exit 0 "$SENDQ" flush
t1=$(date +%s)
[ $((t1 - t0)) -le 10 ] || fail "stalled flush took $((t1 - t0)) s"
[ "$(jq_py 'q[0]["recipients"][0]["status"]')" = deferred ] || fail "stall not deferred"
ok "stalling server: deferred after the timeout ($((t1 - t0)) s)"

# --- 9: TLS refusals: wrong host, self-signed without the CA ---------------
for c in wronghost selfsigned; do
	clean_queue
	start_peer ok --tls "$DATA/tls/$c.pem" "$DATA/tls/$c.key"
	if [ $c = wronghost ]; then ca="tls_ca_file = $DATA/tls/ca.pem"; else ca=""; fi
	config "smtp = smtp://localhost:$PORT
$ca"
	send tls a@example.test
	expect_exit 0 "$SENDQ" flush
	[ "$(jq_py 'q[0]["recipients"][0]["status"]')" = deferred ] || fail "$c: not deferred"
	grep -q '^MAIL' "$T/peer.log" && fail "$c: MAIL sent over an unverified connection"
	[ "$(nfiles "$T/spool")" -eq 0 ] || fail "$c: message sent"
done
ok "TLS certificate for the wrong host, self-signed without CA: refused, kept queued"

# --- 10: STARTTLS + AUTH, with the trace free of credentials ----------------
clean_queue
start_peer ok --tls "$DATA/tls/localhost-chain.pem" "$DATA/tls/localhost.key" --require-tls \
	--auth 'ana:s3cret pass'
config "smtp = smtp://localhost:$PORT
tls_ca_file = $DATA/tls/ca.pem
user = ana
password_cmd = printf 's3cret pass'
auth = plain"
send one a@example.test
send two b@example.test
expect_exit 0 "$SENDQ" -v -v flush
[ "$(nfiles "$Q/env")" -eq 0 ] || fail "not sent over STARTTLS+AUTH: $(cat "$T/err")"
[ "$(connects)" -eq 1 ] || fail "STARTTLS+AUTH connection not reused"
secret=$(printf 'ana\0ana\0s3cret pass' | base64)
secret2=$(printf '\0ana\0s3cret pass' | base64)
if grep -q -e 's3cret' -e "$secret" -e "$secret2" "$T/err"; then
	fail "credentials in the trace"
fi
grep -q 'AUTH (hidden)' "$T/err" || fail "AUTH not redacted in the trace"
ok "STARTTLS + AUTH PLAIN: verified, one connection, no credentials in the trace"

# --- 11: 8-bit body, server without 8BITMIME: quoted-printable -------------
clean_queue
start_peer ok --no-8bitmime
config
printf 'From: me@example.test\nTo: a@example.test\nSubject: 8bit\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nSelamat pagi, caf\303\251\n' |
	"$SENDQ" a@example.test
expect_exit 0 "$SENDQ" flush
grep -q '^Content-Transfer-Encoding: quoted-printable' "$T/spool/1.eml" || fail "not re-encoded"
grep -q 'caf=C3=A9' "$T/spool/1.eml" || fail "QP body wrong: $(cat "$T/spool/1.eml")"
LC_ALL=C grep -q "$(printf '\303')" "$T/spool/1.eml" && fail "8-bit bytes sent to a 7-bit server"
ok "8-bit text to a server without 8BITMIME goes as quoted-printable"

# --- 12: expiry bounces what is left ----------------------------------------
clean_queue
start_peer greet421
GENERAL="expire = 1" config
send late a@example.test
sleep 2
expect_exit 0 "$SENDQ" flush
[ "$(jq_py 'q[0]["state"]')" = failed ] || fail "expired message not failed: $(cat "$T/list.json")"
grep -q '^Status: 4.4.7$' "$M"/INBOX/new/* || fail "expiry bounce lacks 4.4.7"
ok "expired message: bounced (4.4.7) and moved to failed/"

# --- 13: one flusher at a time ----------------------------------------------
clean_queue
start_peer stall
config
send held a@example.test
"$SENDQ" flush &
fpid=$!
# Once the first flusher talks to the peer it holds the queue's lock.
i=0
while [ "$(connects)" -lt 1 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the first flusher never connected"
	sleep 0.1
done
expect_exit 0 "$SENDQ" -v flush
grep -q 'another flush is running' "$T/err" || fail "second flusher did not say so: $(cat "$T/err")"
wait $fpid
ok "a second flush exits 0 at once while one runs"

# --- 14: the daemon relays new mail at once and stops cleanly ---------------
clean_queue
start_peer ok
config
"$SENDQ" -v daemon 2> "$T/daemon.log" &
dpid=$!
sleep 0.5
send live a@example.test
i=0
while [ "$(nfiles "$T/spool")" -lt 2 ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "daemon did not relay within 5 s: $(cat "$T/daemon.log")"
	sleep 0.1
done
kill -TERM $dpid
wait $dpid || fail "daemon did not exit 0 on SIGTERM"
[ "$(nfiles "$Q/env")" -eq 0 ] || fail "daemon left mail queued"
ok "daemon: relays a new message within a second, exits 0 on SIGTERM"

# --- 15: more messages than one durability point: Sent copies, empty queue --
clean_queue
start_peer ok
config
n=150
i=0
while [ $i -lt $n ]; do
	i=$((i + 1))
	printf 'From: me@example.test\nTo: a@example.test\nSubject: many %d\n\nbody %d\n' $i $i |
		"$SENDQ" -t || fail "enqueue $i failed"
done
expect_exit 0 "$SENDQ" flush
[ "$(nfiles "$T/spool")" -eq $((2 * n)) ] || fail "peer got $(nfiles "$T/spool") files, not $((2 * n))"
[ "$(nfiles "$M/Sent/cur")" -eq $n ] || fail "expected $n Sent copies, found $(nfiles "$M/Sent/cur")"
for d in env msg done tmp; do
	[ "$(nfiles "$Q/$d")" -eq 0 ] || fail "queue $d/ not empty after the flush: $(ls "$Q/$d" | head -3)"
done
[ "$(nfiles "$M/Sent/tmp")" -eq 0 ] || fail "files left in Sent/tmp"
# Each Sent copy is the message as queued (a hard link to the body, or a copy).
grep -l '^Subject: many 150$' "$M"/Sent/cur/* > /dev/null || fail "Sent copy of the last message missing"
ok "$n messages in one flush: $n Sent copies, env/, msg/ and done/ empty"

peer_stop
