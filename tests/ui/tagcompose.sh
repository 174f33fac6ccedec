#!/bin/sh
# ;g answers every tagged message in one reply (all their senders and
# recipients, every text quoted, each original marked replied); ;f
# forwards them as attachments of one message.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed to read sendq list --json"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 7200
editor = $T/editor

[account demo]
name = Demo User
address = demo@example.test
maildir = $T/Mail
CFG
chmod 600 "$XDG_CONFIG_HOME/surel/config"
deliver_demo "$T/Mail/INBOX"
cat > "$T/editor" <<'ED'
#!/bin/sh
printf 'All noted.\n' >> "$1"
ED
chmod +x "$T/editor"

ui_start
wait_for 'INBOX \[Msgs:3' "index"
keys T
wait_for '^Tag messages matching:'
keys '~f ana|~f surel' Enter
wait_for 'Tag:2'
keys '\;' g
wait_for '^ +Subject: Re: ' "compose screen"
grep -q 'To: .*ana@example.test' "$T/screen" && grep -q 'To: .*surel@example.test' "$T/screen" ||
	fail "not both senders in To: $(cat "$T/screen")"
grep -q 'Cc: .*budi@example.test' "$T/screen" || fail "Cc of the group reply: $(cat "$T/screen")"
keys y
wait_for 'Queue:1' "queued"
[ "$(ls "$T/Mail/INBOX/cur" | grep -c ':2,.*R')" -eq 2 ] || fail "both not marked replied: $(ls "$T/Mail/INBOX/cur")"
id=$("$SENDQ" list --json | python3 -c "import json, sys; q = json.load(sys.stdin); print(q[0]['id'])")
"$SENDQ" show "$id" > "$T/reply"
grep -q '^> Hi, here is the weekly report' "$T/reply" || fail "first text not quoted: $(cat "$T/reply")"
grep -q '^> Everything here lives in a Maildir' "$T/reply" || fail "second text not quoted: $(cat "$T/reply")"
[ "$(grep -c '^All noted.$' "$T/reply")" -eq 1 ] || fail "the editor's text: $(cat "$T/reply")"
ok ";g answers every tagged message in one reply"

keys '\;' f
wait_for '^Forward to:'
keys 'friend@example.test' Enter
wait_for 'message/rfc822' "compose screen with attachments"
keys y
wait_for 'Queue:2' "forward queued"
"$SENDQ" list --json | python3 -c "import json, sys; q = json.load(sys.stdin); print('\n'.join(x['id'] for x in q))" > "$T/ids"
for id in $(cat "$T/ids"); do "$SENDQ" show "$id"; done > "$T/all"
[ "$(grep -ci '^Content-Type: message/rfc822' "$T/all")" -eq 2 ] || fail "forward lacks the two messages: $(cat "$T/all")"
ok ";f forwards the tagged messages as attachments of one message"
keys q
wait_for '^SUREL-EXIT 0'
