#!/bin/sh
# Delivery tracking against a real, private Postfix (postfix.sh), which
# offers DSN: ENVID, RET, NOTIFY and ORCPT reach it (its smtpd's debug log
# of the dialogue, and the DSN it makes); a recipient Postfix accepts and
# later bounces (an error: transport) gives Postfix's DSN, which `spool
# deliver` stores in INBOX and which marks the original's record bounced
# with Postfix's diagnostic, matched by a fresh process (records on disk);
# a report about an unknown message changes nothing; a recipient Postfix
# defers (450 at RCPT) past delay_warning gets exactly one delayed report;
# `sendq wait` exits 0, 65 and 75; `spool events --follow` shows an arrival
# within a second; the journal keeps whole lines when writers are killed
# with SIGKILL (TRACK_KILL_ROUNDS rounds, default 20; 500 for a soak).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix.sh"

SENDQ="$top_builddir/sendq/sendq"
M="$T/Mail"
J="$XDG_STATE_HOME/surel/events.jsonl"
postfix_require
trap 'kill "$follow_pid" 2> /dev/null || true; postfix_stop; scratch_remove' EXIT INT TERM
follow_pid=""

# Mail for bounce.test is taken, then relayed to a second smtpd of the
# same Postfix (under another name, so it is no loop) that refuses every
# recipient: a bounce from "the remote server", after the 250.
PORT2=$(postfix_free_port)
PF_MASTER_EXTRA="127.0.0.1:$PORT2 inet n - n - - smtpd -o myhostname=far.example.net -o smtpd_recipient_restrictions=reject -o smtpd_sender_restrictions= -o smtpd_relay_restrictions= -o smtpd_tls_security_level=none -o smtpd_sasl_auth_enable=no -o debug_peer_list="
PF_MAIN_EXTRA="transport_maps = inline:{ { bounce.test = smtp:[127.0.0.1]:$PORT2 } }
smtpd_recipient_restrictions = check_recipient_access inline:{ { later@example.test = 450 4.2.0 try again later } }, reject_unlisted_recipient, permit_sasl_authenticated, reject
debug_peer_list = 127.0.0.1"
postfix_relay_start ana@example.test "retry_schedule = 1s
delay_warning = 2s"

nfiles() {
	if [ -d "$1" ]; then ls "$1" | wc -l; else echo 0; fi
}

# queue MSGID RCPT: queue a message, print its queue id (sendq -t -v).
queue() {
	printf 'From: ana@example.test\nTo: %s\nSubject: tracked %s\nMessage-ID: <%s@example.test>\n\nhello\n' \
		"$2" "$1" "$1" | "$SENDQ" -t -v 2> /dev/null
}

# state ID [ADDRESS]: the record's state, or that recipient's.
state() {
	"$SENDQ" status --json "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if len(sys.argv) > 1:
    print([x for x in r["recipients"] if x["address"] == sys.argv[1]][0]["state"])
else:
    print(r["state"])' ${2:+"$2"}
}

# --- 1: accepted; sendq wait 0; the queue id Postfix gave in the reply ----
id_ok=$(queue t1 bob@example.test)
[ -n "$id_ok" ] || fail "sendq -t -v printed no queue id"
expect_exit 0 "$SENDQ" wait --timeout 20 "$id_ok"
[ "$(state "$id_ok")" = accepted ] || fail "state: $(state "$id_ok")"
"$SENDQ" status "$id_ok" | grep -q 'accepted.*250 2.0.0 Ok: queued as ' ||
	fail "no smarthost queue id in the record: $("$SENDQ" status "$id_ok")"
postfix_wait_log "MAIL FROM:<ana@example.test> SIZE=[0-9]* RET=HDRS ENVID=$id_ok" ||
	fail "no ENVID on MAIL FROM"
postfix_wait_log "RCPT TO:<bob@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@example.test" ||
	fail "no NOTIFY/ORCPT on RCPT TO"
ok "accepted: wait exits 0; RET, ENVID, NOTIFY, ORCPT on the wire; Postfix's queue id kept"

# A remote server's later "delayed" report: the record says delayed, but
# the smarthost's yes stands for `sendq wait`.
cat > "$T/delayed" <<EOF
From: MAILER-DAEMON@far.example
To: ana@example.test
Subject: Delayed Mail (still being retried)
Message-ID: <delayed-t1@far.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message is delayed.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; far.example
Original-Envelope-Id: $id_ok

Final-Recipient: rfc822; bob@example.test
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 421 try again later

--b--
EOF
"$SPOOL" deliver < "$T/delayed" || fail "spool deliver failed"
[ "$(state "$id_ok" bob@example.test)" = delayed ] || fail "after a remote delay: $(state "$id_ok" bob@example.test)"
expect_exit 0 "$SENDQ" wait --timeout 5 "$id_ok"
ok "a remote delay report marks the recipient delayed; wait still exits 0 (the smarthost accepted it)"

# The same for the message just queued: sendq -t --wait, surel -s --wait
# (whose nudge runs the sendq on $PATH), and sendq -t --json.
printf 'To: bob@example.test\nSubject: t1b\n\nhi\n' > "$T/t1b"
expect_exit 0 "$SENDQ" -t --wait --timeout 20 < "$T/t1b"
expect_exit 65 "$SENDQ" -t --wait --timeout 20 nosuch@example.test < "$T/t1b"
printf 'hello\n' | expect_exit 0 env PATH="$top_builddir/sendq:$PATH" \
	"$top_builddir/mua/surel" -s "t1c" --wait --timeout 20 bob@example.test
expect_exit 0 "$SENDQ" -t --json < "$T/t1b"
python3 -c 'import json, sys; assert json.load(sys.stdin)["id"]' < "$T/out" || fail "--json: $(cat "$T/out")"
ok "sendq -t --wait and surel -s --wait exit 0 and 65; sendq -t --json gives the id"

# --- 2: refused at RCPT: bounced, wait 65 ---------------------------------
id_no=$(queue t2 nosuch@example.test)
expect_exit 65 "$SENDQ" wait --timeout 20 "$id_no"
[ "$(state "$id_no" nosuch@example.test)" = bounced ] || fail "not bounced"
ok "refused by the smarthost: bounced, wait exits 65"

# --- 3: accepted, bounced later by Postfix: its DSN matched ---------------
n0=$(nfiles "$VM/ana/new")
id_later=$(queue t3 carl@bounce.test)
"$SENDQ" wait --timeout 20 "$id_later" || fail "wait: $("$SENDQ" status "$id_later")"
i=0
while [ "$(nfiles "$VM/ana/new")" -le "$n0" ]; do
	i=$((i + 1))
	[ $i -lt 150 ] || fail "no DSN from Postfix: $(tail -n 5 "$T/pf/maillog")"
	sleep 0.1
done
dsn=$(grep -l "Original-Envelope-Id: $id_later" "$VM"/ana/new/* | head -n 1)
[ -n "$dsn" ] || fail "Postfix's DSN does not carry our ENVID"
grep -q 'Original-Recipient: rfc822;carl@bounce.test' "$dsn" || fail "no ORCPT in the DSN"
# `spool events --follow` is running when the DSN arrives.
"$SPOOL" events --follow > "$T/follow" &
follow_pid=$!
sleep 0.3
"$SPOOL" deliver < "$dsn" || fail "spool deliver failed"
t_deliver=$(date +%s.%N)
i=0
while ! grep -q '"type":"arrived"' "$T/follow"; do
	i=$((i + 1))
	[ $i -lt 10 ] || fail "no arrival in spool events --follow after a second"
	sleep 0.1
done
t_seen=$(date +%s.%N)
kill "$follow_pid"
follow_pid=""
[ "$(nfiles "$M/INBOX/new")" -ge 1 ] || fail "the DSN is not in INBOX"
[ "$(state "$id_later" carl@bounce.test)" = bounced ] || fail "not marked bounced: $("$SENDQ" status "$id_later")"
"$SENDQ" status "<t3@example.test>" | grep -q 'bounced.*554 5.7.1 <carl@bounce.test>: Recipient address rejected: Access denied' ||
	fail "no Postfix diagnostic: $("$SENDQ" status "$id_later")"
expect_exit 65 "$SENDQ" wait --timeout 5 "$id_later"
grep '"type":"bounced"' "$J" | grep -q "$id_later" || fail "no bounced event in the journal"
# Without -A the arrival is the default account's, as is a failed watch.
grep '"type":"arrived"' "$T/follow" | grep -q '"account":"t"' || fail "arrival without its account: $(cat "$T/follow")"
expect_exit 78 "$SPOOL" watch
grep '"type":"sync_error"' "$J" | grep '"account":"t"' | grep -q "no 'fetch' server" ||
	fail "watch's failure is not in the journal"
ok "Postfix's later DSN: stored in INBOX, record bounced with its diagnostic, seen by --follow in $(python3 -c "print('%.2f' % ($t_seen - $t_deliver))") s"

# A report for an unknown message changes nothing and stays a message.
sed "s/$id_later/1700000000.M1P1Q1.unknown/; s/t3@example.test/unknown@example.test/" "$dsn" > "$T/unknown"
cp -r "$XDG_STATE_HOME/surel/track" "$T/track-before"
"$SPOOL" deliver < "$T/unknown" || fail "spool deliver failed"
diff -r "$T/track-before" "$XDG_STATE_HOME/surel/track" > /dev/null || fail "an unknown report changed a record"
[ "$(nfiles "$M/INBOX/new")" -ge 2 ] || fail "the unknown report is not in INBOX"
ok "a report about an unknown message changes nothing and is stored"

# --- 4: deferred past delay_warning: one delayed report; wait 75 ----------
id_def=$(queue t4 later@example.test)
expect_exit 75 "$SENDQ" wait --timeout 2 "$id_def"
[ "$(state "$id_def")" = deferred ] || [ "$(state "$id_def")" = delayed ] || fail "state: $(state "$id_def")"
sleep 2
expect_exit 0 "$SENDQ" flush
sleep 1
expect_exit 0 "$SENDQ" flush
expect_exit 75 "$SENDQ" wait --timeout 1 "$id_def"
n=$(grep -l 'Action: delayed' "$M"/INBOX/new/* 2> /dev/null | xargs grep -l "Original-Envelope-Id: $id_def" | wc -l)
[ "$n" -eq 1 ] || fail "$n delay reports, expected 1"
[ "$(state "$id_def")" = delayed ] || fail "state after the warning: $(state "$id_def")"
ok "deferred past delay_warning: exactly one delayed report; wait exits 75"

# --- 5: the journal after SIGKILLed writers --------------------------------
rounds=${TRACK_KILL_ROUNDS:-20}
r=0
while [ $r -lt "$rounds" ]; do
	"$SPOOL" deliver "$T/junk" < "$dsn" &
	p=$!
	"$SENDQ" status --json "$id_ok" > /dev/null &
	kill -9 "$p" 2> /dev/null || true
	wait "$p" 2> /dev/null || true
	r=$((r + 1))
done
wait
python3 - "$J" <<'P' || fail "a torn line in the journal"
import json, sys
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        assert line.endswith(b"\n"), line
        o = json.loads(line)
        assert "time" in o and "type" in o and "account" in o, o
        n += 1
assert n > 0
P
ok "journal: whole lines only after $rounds SIGKILLed writers"
