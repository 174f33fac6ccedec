#!/bin/sh
# sendq flush against a real, private Postfix (tests/integration/postfix.sh):
# STARTTLS with the test CA, SASL AUTH, delivery into a virtual Maildir.
# Bodies must arrive byte for byte, envelopes right, the queue empty, a Sent
# copy kept; an unknown user gives a bounce in the sender's INBOX; kill -9
# of flush in a loop loses nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix.sh"

SENDQ="$top_builddir/sendq/sendq"
Q="$XDG_DATA_HOME/surel/queue"
M="$T/Mail"
postfix_require
trap 'postfix_stop; scratch_remove' EXIT INT TERM
postfix_relay_start me@example.test

# Entries that are not dot files: a kill -9 during an envelope rewrite may
# leave afile's ".NAME.tmp" in env/, which is no message (the queue ignores
# it).
nfiles() {
	if [ -d "$1" ]; then ls "$1" | wc -l; else echo 0; fi
}

# Sessions Postfix logged so far (postfix_start waited for its probe's).
connects() {
	postfix_log_count 'smtpd\[[0-9]*\]: connect from'
}

# --- 1: bodies byte for byte, envelopes, one connection, Sent copies ---------
python3 - "$T/in" <<'P'
import os, sys
d = sys.argv[1]
os.makedirs(d)
bodies = [
    b"plain text\n",
    b".leading dot\n..two dots\n.\nlast line\n",
    b"Selamat pagi, caf\xc3\xa9 \xe2\x98\x95\n",
    b"".join(b"line %05d with some text to make it longer than a tiny message\n" % i
             for i in range(800)),
    b"trailing blanks   \n\ttab\n\n\nblank lines above\n" + b"x" * 990 + b"\n",
]
for i, b in enumerate(bodies):
    with open(os.path.join(d, "%d.eml" % i), "wb") as f:
        f.write(b"From: me@example.test\nTo: ana@example.test\nSubject: body %d\n"
                b"Content-Type: text/plain; charset=utf-8\n\n" % i + b)
P
c0=$(connects)
for f in "$T"/in/*.eml; do
	"$SENDQ" -i ana@example.test bob@example.test < "$f" || fail "enqueue failed"
done
expect_exit 0 "$SENDQ" -v flush
[ "$(nfiles "$Q/env")" -eq 0 ] && [ "$(nfiles "$Q/msg")" -eq 0 ] || fail "queue not empty: $(cat "$T/err")"
grep -q '5 message(s) over 1 connection(s)' "$T/err" || fail "no reuse reported: $(cat "$T/err")"
# The session's last line is logged after its first one.
postfix_wait_log 'disconnect from localhost.* starttls=1 auth=1 mail=5 ' ||
	fail "no STARTTLS + AUTH + 5 MAIL in one session in Postfix's log"
[ $(($(connects) - c0)) -eq 1 ] || fail "expected one connection to Postfix, got $(($(connects) - c0))"
postfix_wait_mail "$VM/ana" 5
postfix_wait_mail "$VM/bob" 5
python3 - "$T/in" "$VM/ana/new" "$VM/bob/new" <<'P' || fail "bodies differ"
import os, sys
want = {}
for n in os.listdir(sys.argv[1]):
    raw = open(os.path.join(sys.argv[1], n), "rb").read()
    h, b = raw.split(b"\n\n", 1)
    subj = [l for l in h.split(b"\n") if l.startswith(b"Subject: ")][0]
    want[subj] = b
for d in sys.argv[2:]:
    got = {}
    for n in os.listdir(d):
        raw = open(os.path.join(d, n), "rb").read()
        h, b = raw.split(b"\n\n", 1)
        assert b"Delivered-To: " in h and b"Return-Path: <me@example.test>" in h, h
        subj = [l for l in h.split(b"\n") if l.startswith(b"Subject: ")][0]
        got[subj] = b
    assert got == want, (d, [k for k in want if got.get(k) != want[k]])
P
grep -q 'sasl_method=PLAIN, sasl_username=ana@example.test' "$T/pf/maillog" ||
	grep -q 'sasl_username=ana@example.test' "$T/pf/maillog" || fail "no SASL login in Postfix's log"
[ "$(nfiles "$M/Sent/cur")" -eq 5 ] || fail "expected 5 Sent copies"
ok "5 messages over one STARTTLS+AUTH connection to Postfix, bodies byte for byte, Sent copies"

# --- 2: unknown user at Postfix: 550, bounce in the sender's INBOX -----------
printf 'From: me@example.test\nTo: ghost@example.test\nSubject: to a ghost\n\nboo\n' |
	"$SENDQ" ghost@example.test ana@example.test
expect_exit 0 "$SENDQ" flush
[ "$(nfiles "$Q/failed")" -eq 1 ] || fail "bounced message not in failed/"
b=$(ls "$M"/INBOX/new/*)
grep -q '^Content-Type: multipart/report; report-type=delivery-status' "$b" || fail "no report"
grep -q '^Final-Recipient: rfc822; ghost@example.test$' "$b" || fail "no Final-Recipient"
grep -q '^Status: 5.1.1$' "$b" || fail "no 5.1.1"
grep -q '^Diagnostic-Code: smtp; 550 5.1.1 <ghost@example.test>' "$b" || fail "no Diagnostic-Code"
postfix_wait_mail "$VM/ana" 6
ok "unknown user at Postfix: 550, multipart/report in the sender's INBOX, others delivered"
"$SENDQ" rm "$(ls "$Q/failed")" > /dev/null

# --- 3: kill -9 of flush mid-queue, 30 times, then a final flush -------------
N=60
i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	printf 'From: me@example.test\nTo: bob@example.test\nSubject: crash %d\n\nmessage %d\n' $i $i |
		"$SENDQ" bob@example.test || fail "enqueue failed"
done
before=$(nfiles "$VM/bob/new")
awk 'BEGIN { srand(7); for (i = 0; i < 30; i++) printf "%.3f\n", rand() * 0.15 }' > "$T/delays"
{ while read -r d; do
	"$SENDQ" flush &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
done < "$T/delays"; } 2> /dev/null
expect_exit 0 "$SENDQ" flush
[ "$(nfiles "$Q/env")" -eq 0 ] || fail "messages left queued after the final flush: $("$SENDQ" list | head -20)"
# What killed flushers left in done/ (relayed, not yet cleaned up) is gone
# after the final one, bodies included.
[ "$(nfiles "$Q/done")" -eq 0 ] && [ "$(nfiles "$Q/msg")" -eq 0 ] ||
	fail "done/ or msg/ not empty after the final flush: $(ls "$Q/done" "$Q/msg" | head)"
# Every message that left the queue has its Sent copy (the copy is placed
# before the message leaves the queue).
python3 - "$M/Sent/cur" $N <<'P' > "$T/sent" || fail "a Sent copy is missing: $(cat "$T/sent")"
import os, re, sys
seen = set()
for n in os.listdir(sys.argv[1]):
    m = re.search(rb"^Subject: crash (\d+)$", open(os.path.join(sys.argv[1], n), "rb").read(), re.M)
    if m:
        seen.add(int(m.group(1)))
missing = [i for i in range(1, int(sys.argv[2]) + 1) if i not in seen]
print("missing %s" % missing)
sys.exit(1 if missing else 0)
P
postfix_wait_mail "$VM/bob" $((before + N))
sleep 1
python3 - "$VM/bob/new" $N <<'P' > "$T/crash" || fail "a message was lost: $(cat "$T/crash")"
import os, re, sys
seen = {}
for n in os.listdir(sys.argv[1]):
    m = re.search(rb"^Subject: crash (\d+)$", open(os.path.join(sys.argv[1], n), "rb").read(), re.M)
    if m:
        seen[int(m.group(1))] = seen.get(int(m.group(1)), 0) + 1
missing = [i for i in range(1, int(sys.argv[2]) + 1) if i not in seen]
print("missing %s duplicates %d" % (missing, sum(c - 1 for c in seen.values())))
sys.exit(1 if missing else 0)
P
ok "kill -9 of flush 30 times mid-queue: all $N delivered ($(cat "$T/crash"))"
