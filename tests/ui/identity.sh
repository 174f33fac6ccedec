#!/bin/sh
# Identities: a reply to a message Cc'd to the second account's alias is
# written From that alias (whatever account's folder it sits in) and goes
# out through that account's smarthost; `i` on the compose screen picks
# another identity and the smarthost follows.  Two scripted SMTP peers
# (tests/peer/smtp-peer.py) stand for the two smarthosts.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed for the SMTP peers"
PEER="$top_srcdir/tests/peer/smtp-peer.py"
pids=""
trap 'for p in $pids; do kill "$p" 2> /dev/null; done; tmux -S "$SOCK" kill-server 2> /dev/null; scratch_remove' EXIT INT TERM

start_peer() {
	mkdir -p "$T/$1"
	python3 "$PEER" --mode ok --spool "$T/$1" --log "$T/$1.log" --port-file "$T/$1.port" \
		--max-time 120 &
	pids="$pids $!"
	wait_file "$T/$1.port" "the SMTP peer $1 did not start"
}
start_peer home-smtp
start_peer work-smtp

mkdir -p "$XDG_CONFIG_HOME/surel"
# send_delay over an hour: compose leaves the flush to the test.
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 7200
editor = $T/editor
default_account = home

[account home]
name = Ana
address = ana@home.test
maildir = $T/Mail/home
smtp = smtp://127.0.0.1:$(cat "$T/home-smtp.port")
tls = off

[account work]
name = Ana Putri
address = ana@work.test
aliases = sales@shop.test *@lists.work.test
maildir = $T/Mail/work
smtp = smtp://127.0.0.1:$(cat "$T/work-smtp.port")
tls = off
CFG
chmod 600 "$XDG_CONFIG_HOME/surel/config"
printf 'From: Bob <bob@x.test>\nTo: team@x.test\nCc: Sales <sales@shop.test>, ana@home.test\nDate: Mon, 30 Nov 2026 10:00:00 +0000\nSubject: order 42\nMessage-ID: <o42@x.test>\n\nplease confirm\n' |
	"$SPOOL" deliver "$T/Mail/home/INBOX"
cat > "$T/editor" <<'ED'
#!/bin/sh
printf 'Confirmed.\n' >> "$1"
ED
chmod +x "$T/editor"

# relay: make every queued message due and run one flush.
relay() {
	for id in $("$SENDQ" list --json | python3 -c 'import json, sys; print(" ".join(m["id"] for m in json.load(sys.stdin)))'); do
		"$SENDQ" retry "$id"
	done
	"$SENDQ" flush || fail "sendq flush failed"
}

ui_start
wait_for 'surel: INBOX \[Msgs:1' "the home account's INBOX"
keys g
wait_for '^ +From: Ana Putri <sales@shop.test>' "reply-all From the work alias"
grep -q '^ *To: Bob <bob@x.test>, team@x.test$' "$T/screen" || fail "reply-all To wrong: $(cat "$T/screen")"
grep -Eq '^ *Cc: *$' "$T/screen" || fail "own addresses left in Cc: $(cat "$T/screen")"
ok "reply-all to a message Cc'd to the alias is written From it, without the user's addresses"
keys y
wait_for 'queued as ' "send"
relay
ls "$T/work-smtp"/*.env > /dev/null 2>&1 || fail "the work smarthost received nothing: $(cat "$T/work-smtp.log")"
ls "$T/home-smtp"/*.env > /dev/null 2>&1 && fail "the home smarthost received the reply"
grep -q '^from sales@shop.test$' "$T"/work-smtp/*.env || fail "envelope sender not the alias: $(cat "$T"/work-smtp/*.env)"
grep -q '^From: Ana Putri <sales@shop.test>' "$T"/work-smtp/*.eml || fail "From not the alias"
grep -q '^to bob@x.test$' "$T"/work-smtp/*.env || fail "Bob is no recipient"
ok "the reply went out through the work account's smarthost with the alias as sender"

# i: pick the home identity; the reply goes through home's smarthost.
keys r
wait_for '^ +From: Ana Putri <sales@shop.test>' "reply From the alias"
keys i
wait_for 'identities: the account and address' "the identity list"
grep -Eq '^home +ana@home.test' "$T/screen" || fail "home identity not listed: $(cat "$T/screen")"
grep -Eq '^work +sales@shop.test' "$T/screen" || fail "alias not listed: $(cat "$T/screen")"
keys k k Enter
wait_for '^ +From: Ana <ana@home.test>' "From after picking home"
keys y
wait_for 'queued as ' "send the second reply"
relay
[ "$(ls "$T"/home-smtp/*.env 2> /dev/null | wc -l)" -eq 1 ] || fail "the home smarthost did not get the second reply"
grep -q '^from ana@home.test$' "$T"/home-smtp/*.env || fail "envelope sender not home's"
[ "$(ls "$T"/work-smtp/*.env | wc -l)" -eq 1 ] || fail "the work smarthost got the second reply too"
ok "i picks another identity and its smarthost sends"
keys q
wait_for '^SUREL-EXIT 0'
