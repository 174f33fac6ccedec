#!/bin/sh
# sendq enqueue and queue commands on the real binary: exit codes, the
# sendmail name, -bp, -bs, list --json, refusals that queue nothing, and a
# kill -9 loop that must never leave a half-written message visible.
. "$(dirname "$0")/lib.sh"

SENDQ="$top_builddir/sendq/sendq"
Q="$XDG_DATA_HOME/surel/queue"
command -v python3 > /dev/null || skip "python3 is needed to read the JSON output"

nfiles() {
	if [ -d "$1" ]; then ls -A "$1" | wc -l; else echo 0; fi
}

# list --json, reduced by a python expression over `q` (the parsed list).
jq_py() {
	"$SENDQ" list --json > "$T/list.json" || fail "sendq list --json failed"
	python3 -c "import json, sys; q = json.load(open('$T/list.json')); print($1)"
}

printf 'To: Bob <bob@example.test>\nCc: carol@example.test\nBcc: eve@example.test\nSubject: one\n\nhello\n' > "$T/m1.eml"

# No configuration at all: still queued, sender is the user at this host.
expect_exit 0 "$SENDQ" -t < "$T/m1.eml"
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] || fail "enqueue without -v is not silent"
[ "$(nfiles "$Q/env")" -eq 1 ] && [ "$(nfiles "$Q/msg")" -eq 1 ] || fail "expected one envelope and one body"
[ "$(nfiles "$Q/tmp")" -eq 0 ] || fail "tmp/ not empty after enqueue"
[ "$(jq_py 'len(q)')" = 1 ] || fail "list does not show one message"
[ "$(jq_py 'sorted(r["address"] for r in q[0]["recipients"])')" = "['bob@example.test', 'carol@example.test', 'eve@example.test']" ] ||
	fail "recipients wrong: $(cat "$T/list.json")"
[ "$(jq_py '(q[0]["state"], q[0]["account"], q[0]["recipients"][0]["status"])')" = "('queued', None, 'pending')" ] ||
	fail "state/account/status wrong: $(cat "$T/list.json")"
id=$(jq_py 'q[0]["id"]')
"$SENDQ" show "$id" > "$T/show"
grep -q '^Subject: one$' "$T/show" || fail "show lacks the message"
grep -q '^Message-ID: <' "$T/show" || fail "no Message-ID added"
grep -q '^Date: ' "$T/show" || fail "no Date added"
grep -qi '^bcc:' "$T/show" && fail "Bcc kept in the stored message"
ok "sendq -t without config queues, strips Bcc, adds Date and Message-ID"

# -v says the id; -bp lists like mailq.
expect_exit 0 sh -c "printf 'Subject: two\n\nx\n' | '$SENDQ' -v root"
grep -q '^sendq: queued as ' "$T/err" || fail "-v does not report the queue id: $(cat "$T/err")"
expect_exit 0 "$SENDQ" -bp
grep -q "^$id  queued" "$T/out" || fail "-bp does not list $id: $(cat "$T/out")"
grep -q 'to root@localhost  pending' "$T/out" || fail "bare local name not qualified: $(cat "$T/out")"
ok "-v reports the id, -bp lists, bare names go to localhost"

# The sendmail names: every operand is a recipient, "list" too.
mkdir -p "$T/bin"
ln -s "$SENDQ" "$T/bin/sendmail"
ln -s "$SENDQ" "$T/bin/surel-sendmail"
expect_exit 0 sh -c "printf 'Subject: three\n\nx\n' | '$T/bin/sendmail' -oi -oem -odi -B8BITMIME -N never -R hdrs -V envid -X /dev/null -Ffull -fme@example.test list"
[ "$(jq_py '[m for m in q if m["recipients"][0]["address"] == "list@localhost"][0]["sender"]')" = "me@example.test" ] ||
	fail "sendmail list did not queue mail for list@localhost: $(cat "$T/list.json")"
expect_exit 0 sh -c "printf 'Subject: four\n\nx\n' | '$T/bin/surel-sendmail' -t -i -- a@example.test"
expect_exit 64 sh -c "printf 'x\n' | '$T/bin/sendmail' -Z a@example.test"
expect_one_line_error sendmail
ok "sendmail names accept sendmail options and treat operands as recipients"

# Refusals: 65, one line, nothing queued.
before_env=$(nfiles "$Q/env")
before_msg=$(nfiles "$Q/msg")
expect_exit 65 sh -c "printf 'Subject: x\n\nx\n' | '$SENDQ'"
expect_one_line_error sendq
expect_exit 65 sh -c "printf 'Subject: a\rb\n\nx\n' | '$SENDQ' a@example.test"
expect_one_line_error sendq
expect_exit 65 sh -c "printf 'Subject: x\n\nx\n' | '$SENDQ' -f 'me@example.test
Bcc: victim@example.test' a@example.test"
expect_one_line_error sendq
expect_exit 65 sh -c "printf 'Subject: x\n\nx\n' | '$SENDQ' -F 'Name
Bcc: victim@example.test' a@example.test"
expect_exit 65 sh -c "printf 'Subject: x\n\nx\n' | '$SENDQ' 'not an address'"
python3 -c "import sys; sys.stdout.buffer.write(b'Subject: a\x00b\n\nx\n')" > "$T/nul.eml"
expect_exit 65 "$SENDQ" a@example.test < "$T/nul.eml"
[ "$(nfiles "$Q/env")" -eq "$before_env" ] && [ "$(nfiles "$Q/msg")" -eq "$before_msg" ] ||
	fail "a refused message left files in the queue"
[ "$(nfiles "$Q/tmp")" -eq 0 ] || fail "a refused message left files in tmp/"
ok "no recipient, bare CR, NUL, injection, bad address: 65 and nothing queued"

# The dot rule: without -i a lone "." ends the message.
printf 'Subject: dots\n\nbefore\n.\nafter\n' | "$SENDQ" -v a@example.test 2> "$T/err"
did=$(sed -n 's/^sendq: queued as //p' "$T/err")
"$SENDQ" show "$did" > "$T/show"
grep -q '^before$' "$T/show" && ! grep -q '^after$' "$T/show" || fail "the dot line did not end the message"
printf 'Subject: dots\n\nbefore\n.\nafter\n' | "$SENDQ" -v -i a@example.test 2> "$T/err"
did=$(sed -n 's/^sendq: queued as //p' "$T/err")
"$SENDQ" show "$did" > "$T/show"
grep -q '^after$' "$T/show" || fail "-i did not keep the text after the dot line"
ok "a lone dot ends input, except with -i"

# Admin commands and their exit codes.
expect_exit 0 "$SENDQ" hold "$id"
[ "$(jq_py "[m['state'] for m in q if m['id'] == '$id'][0]")" = held ] || fail "hold did not hold"
expect_exit 0 "$SENDQ" release "$id"
expect_exit 0 "$SENDQ" retry "$id"
expect_exit 0 "$SENDQ" retry
expect_exit 0 "$SENDQ" rm "$id"
expect_exit 66 "$SENDQ" rm "$id"
expect_one_line_error sendq
expect_exit 66 "$SENDQ" show nosuchid
expect_exit 66 "$SENDQ" hold ../../etc
expect_exit 64 "$SENDQ" show
expect_exit 64 "$SENDQ" list --bogus
# Without a configuration nothing can be relayed: the mail stays queued.
n_before=$(nfiles "$Q/env")
expect_exit 0 "$SENDQ" flush
expect_exit 0 "$SENDQ" -q
[ "$(nfiles "$Q/env")" -eq "$n_before" ] || fail "flush without a configuration dropped mail"
ok "hold, release, retry, rm; 64 and 66 where documented; flush keeps mail without a configuration"

# --at and send_delay.
expect_exit 0 sh -c "printf 'Subject: later\n\nx\n' | '$SENDQ' -v --at +2h a@example.test"
aid=$(sed -n 's/^sendq: queued as //p' "$T/err")
[ "$(jq_py "[m['next_attempt'] - m['created'] for m in q if m['id'] == '$aid'][0]")" = 7200 ] ||
	fail "--at +2h not recorded"
expect_exit 64 sh -c "printf 'x\n' | '$SENDQ' --at tomorrow a@example.test"
mkdir -p "$XDG_CONFIG_HOME/surel"
printf '[general]\nsend_delay = 30\n\n[account w]\nname = Ana Putri\naddress = ana@example.test\n' > "$XDG_CONFIG_HOME/surel/config"
expect_exit 0 sh -c "printf 'Subject: delay\n\nx\n' | '$SENDQ' -v root"
did=$(sed -n 's/^sendq: queued as //p' "$T/err")
[ "$(jq_py "[(m['next_attempt'] - m['created'], m['account'], m['sender'], m['recipients'][0]['address']) for m in q if m['id'] == '$did'][0]")" = "(30, 'w', 'ana@example.test', 'root@example.test')" ] ||
	fail "send_delay/account not applied: $(cat "$T/list.json")"
"$SENDQ" show "$did" | grep -q '^From: Ana Putri <ana@example.test>$' || fail "From not filled from the account"
ok "--at and send_delay schedule; the account fills sender, From and domain"

# Configuration errors are 78.
expect_exit 78 sh -c "printf 'x\n' | '$SENDQ' -A nosuch a@example.test"
expect_one_line_error sendq
printf '[general]\nno_such_key = 1\n' > "$XDG_CONFIG_HOME/surel/config"
expect_exit 78 sh -c "printf 'x\n' | '$SENDQ' a@example.test"
expect_one_line_error sendq
rm "$XDG_CONFIG_HOME/surel/config"
ok "unknown account and a bad config file exit 78"

# -bs: an SMTP dialogue on stdin/stdout.
printf 'EHLO me\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: smtp\r\n\r\n..dot\r\n.\r\nQUIT\r\n' > "$T/smtp.in"
expect_exit 0 "$SENDQ" -bs < "$T/smtp.in"
grep -q '^250 2.0.0 ok: queued as ' "$T/out" || fail "-bs did not queue: $(cat "$T/out")"
sid=$(sed -n 's/^250 2.0.0 ok: queued as \(.*\)\r$/\1/p' "$T/out")
"$SENDQ" show "$sid" | grep -q '^\.dot$' || fail "-bs did not unstuff the dot"
ok "-bs queues a message from an SMTP dialogue"

# -bs: a text line longer than a command line is kept whole; input that
# ends inside DATA queues nothing and says so.
python3 -c "
import sys
sys.stdout.write('EHLO me\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n'
                 'Subject: long\r\n\r\n' + 'x' * 5000 + '\r\n.\r\nQUIT\r\n')" > "$T/long.in"
expect_exit 0 "$SENDQ" -bs < "$T/long.in"
lid=$(sed -n 's/^250 2.0.0 ok: queued as \(.*\)\r$/\1/p' "$T/out")
[ -n "$lid" ] || fail "-bs did not queue the long line: $(cat "$T/out")"
[ "$("$SENDQ" show "$lid" | awk 'length($0) == 5000' | wc -l)" -eq 1 ] || fail "-bs cut the 5000-byte line"
before=$(nfiles "$Q/env")
printf 'EHLO me\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: cut\r\n\r\nhalf' > "$T/cut.in"
expect_exit 75 "$SENDQ" -bs < "$T/cut.in"
expect_one_line_error sendq
[ "$(nfiles "$Q/env")" -eq "$before" ] || fail "a message cut off in DATA was queued"
ok "-bs keeps long text lines; input ending inside DATA exits 75 with nothing queued"

# -t on a resent message: Resent-To/Cc/Bcc only, both Bccs stripped.
printf 'To: orig@example.test\nBcc: old@example.test\nResent-To: new@example.test\nResent-Bcc: secret@example.test\nSubject: again\n\nx\n' |
	"$SENDQ" -v -t 2> "$T/rid" || fail "resent enqueue failed"
rid=$(sed -n 's/.*queued as \([^ ]*\).*/\1/p' "$T/rid")
"$SENDQ" list --json > "$T/list.json"
python3 - "$T/list.json" "$rid" <<'P' || fail "resent recipients wrong: $(cat "$T/list.json")"
import json, sys
m = [x for x in json.load(open(sys.argv[1])) if x["id"] == sys.argv[2]][0]
assert sorted(r["address"] for r in m["recipients"]) == ["new@example.test", "secret@example.test"], m
P
"$SENDQ" show "$rid" | grep -qi '^\(resent-\)\?bcc:' && fail "a Bcc or Resent-Bcc field was kept"
# A bare CR or NUL in a field name does not end the header and smuggle
# the rest into the body; an option among the recipients is no address;
# an IPv6 literal is one.
before=$(nfiles "$Q/env")
printf 'X\rY: z\nBcc: s@example.test\nTo: a@example.test\n\nx\n' > "$T/crname.eml"
expect_exit 65 "$SENDQ" -t < "$T/crname.eml"
printf 'X\000Y: z\nTo: a@example.test\n\nx\n' > "$T/nulname.eml"
expect_exit 65 "$SENDQ" -t < "$T/nulname.eml"
printf 'Subject: opt\n\nx\n' > "$T/opt.eml"
expect_exit 65 "$SENDQ" root -oi < "$T/opt.eml"
expect_one_line_error sendq
[ "$(nfiles "$Q/env")" -eq "$before" ] || fail "a refused message was queued"
expect_exit 0 "$SENDQ" 'u@[IPv6:2001:db8::1]' < "$T/opt.eml"
# Installed as mailq, it lists.
ln -s "$SENDQ" "$T/mailq"
expect_exit 0 "$T/mailq"
grep -q "u@\[IPv6:2001:db8::1\]" "$T/out" || fail "mailq does not list: $(head -5 "$T/out")"
# cron's header: bare names get the domain, display names and comments
# stay; fields with real addresses are left alone.
printf 'From: root (Cron Daemon)\nTo: root, admin\nCc: Bob <bob@example.test>\nSubject: cron\n\nout\n' |
	"$SENDQ" -v -t 2> "$T/cid" || fail "cron-style enqueue failed"
cid=$(sed -n 's/.*queued as \([^ ]*\).*/\1/p' "$T/cid")
"$SENDQ" show "$cid" > "$T/cron"
grep -q '^From: root@localhost (Cron Daemon)$' "$T/cron" || fail "From not qualified: $(cat "$T/cron")"
grep -q '^To: root@localhost, admin@localhost$' "$T/cron" || fail "To not qualified: $(cat "$T/cron")"
grep -q '^Cc: Bob <bob@example.test>$' "$T/cron" || fail "Cc changed: $(cat "$T/cron")"
ok "resent -t, CR/NUL in a field name, options as recipients, IPv6 literals, mailq, bare header names"

# kill -9 at random moments: a message reported queued is whole; no
# envelope without its body, and every envelope parses.
python3 -c "
import sys
sys.stdout.write('To: k@example.test\nSubject: kill\n\n')
for i in range(2000): sys.stdout.write('line %d of a bigger message to widen the window\n' % i)" > "$T/big.eml"
# Kill moments spread over one enqueue's run time (slower under sanitizers).
t0=$(date +%s%N)
"$SENDQ" -t < "$T/big.eml"
t1=$(date +%s%N)
awk -v ns=$((t1 - t0)) 'BEGIN { srand(42); for (i = 0; i < 50; i++) printf "%.4f\n", rand() * ns * 1.2e-9 }' > "$T/delays"
: > "$T/reported"
i=0
# The group's stderr hides the shell's "Killed" notices.
{ while read -r d; do
	i=$((i + 1))
	"$SENDQ" -v -t < "$T/big.eml" 2> "$T/kerr.$i" &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2> /dev/null || true
	if wait "$pid"; then
		sed -n 's/^sendq: queued as //p' "$T/kerr.$i" >> "$T/reported"
	fi
done < "$T/delays"; } 2> /dev/null
size=$(wc -c < "$T/big.eml")
while read -r kid; do
	[ -f "$Q/env/$kid" ] || fail "message $kid reported queued but has no envelope"
	[ -f "$Q/msg/$kid" ] || fail "message $kid reported queued but has no body"
	[ "$(wc -c < "$Q/msg/$kid")" -ge "$size" ] || fail "body of $kid is short"
done < "$T/reported"
for f in "$Q"/env/*; do
	kid=$(basename "$f")
	[ -f "$Q/msg/$kid" ] || fail "envelope $kid has no body"
done
[ "$(jq_py 'sum(1 for m in q if m["error"])')" = 0 ] || fail "a half-written envelope is visible: $(cat "$T/list.json")"
[ "$(jq_py 'sum(1 for m in q if m["state"] != "queued")')" = 0 ] || fail "some message was moved to failed/"
ok "kill -9 during enqueue: $(wc -l < "$T/reported") of 50 reported queued, all intact"
