#!/bin/sh
# Mailing lists (issue 16, item 5) and the pager's headers (item 7): L
# answers List-Post, g and L follow Mail-Followup-To, r asks when Reply-To
# is not From, the pager shows Reply-To and h toggles every header field,
# ~l and ~u limit to list mail.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 7200
editor = $T/editor
subscribe = dev@lists.example.test

[account demo]
name = Demo User
address = demo@example.test
maildir = $T/Mail
lists = announce@lists.example.test
CFG
chmod 600 "$XDG_CONFIG_HOME/surel/config"
cat > "$T/editor" <<'ED'
#!/bin/sh
printf 'A reply.\n' >> "$1"
ED
chmod +x "$T/editor"

put() {
	printf '%b' "$1" | "$SPOOL" deliver "$T/Mail/INBOX"
}
# Oldest first: the index opens on the last row (d, the rewritten list).
put 'From: Ann <ann@example.test>\nTo: announce@lists.example.test\nSubject: a announce\nDate: Mon, 02 Nov 2026 10:00:00 +0000\nMessage-ID: <a@x>\n\nnews\n'
put 'From: Bob <bob@example.test>\nTo: Demo <demo@example.test>\nSubject: b private\nDate: Mon, 02 Nov 2026 11:00:00 +0000\nMessage-ID: <b@x>\n\nhello\n'
put 'From: Cy <cy@example.test>\nTo: dev@lists.example.test\nCc: demo@example.test\nMail-Followup-To: dev@lists.example.test, cy@example.test\nList-Post: <mailto:dev@lists.example.test>\nList-Id: Dev <dev.lists.example.test>\nSubject: c followup\nDate: Mon, 02 Nov 2026 12:00:00 +0000\nMessage-ID: <c@x>\n\ntext\n'
put 'From: Dee <dee@example.test>\nReply-To: Dev list <dev@lists.example.test>\nTo: dev@lists.example.test\nList-Post: <mailto:dev@lists.example.test?subject=list>\nX-Mailer: TestMailer 1.0\nSubject: d rewritten\nDate: Mon, 02 Nov 2026 13:00:00 +0000\nMessage-ID: <d@x>\n\nbody of d\n'

# abort: leave the compose screen without sending.
abort() {
	keys q
	wait_for 'Abort this message\?'
	keys y
	wait_for 'message aborted'
}

ui_start
wait_for 'surel: INBOX \[Msgs:4' "the account's INBOX"
keys r
wait_for 'Reply to Dev list <dev@lists.example.test>\? \(\[yes\]/no\)' "r asks on Reply-To"
keys Enter
wait_for '^ +To: Dev list <dev@lists.example.test>' "Enter follows Reply-To"
abort
keys r
wait_for 'Reply to Dev list'
keys n
wait_for '^ +To: Dee <dee@example.test>' "n answers From"
abort
keys r
wait_for 'Reply to Dev list'
keys Escape
wait_for '^-- surel: INBOX' "Esc drops the reply"
screen | grep -q 'Subject: Re:' && fail "Esc still composed: $(cat "$T/screen")"
ok "r asks when Reply-To is not From: Enter/y Reply-To, n From, Esc nothing"

keys L
wait_for '^ +To: dev@lists.example.test$' "L goes to List-Post"
abort
keys k
sleep 0.2
keys L
wait_for '^ +To: dev@lists.example.test, cy@example.test$' "L follows Mail-Followup-To"
abort
keys g
wait_for '^ +To: dev@lists.example.test, cy@example.test$' "g follows Mail-Followup-To"
grep -Eq '^ +Cc: *$' "$T/screen" || fail "g with Mail-Followup-To has a Cc: $(cat "$T/screen")"
abort
keys k
sleep 0.2
keys L
wait_for 'no mailing list' "L on a private message says so"
ok "L answers List-Post, g and L follow Mail-Followup-To"

# The pager: Reply-To among the fields, h for all of them and back.
keys '*' Enter
wait_for '^Reply-To: Dev list <dev@lists.example.test>' "the pager shows Reply-To"
screen | grep -q '^X-Mailer:' && fail "X-Mailer shown before h: $(cat "$T/screen")"
keys h
wait_for '^X-Mailer: TestMailer 1.0' "h shows every field"
grep -q '^List-Post: <mailto:dev@lists.example.test?subject=list>' "$T/screen" ||
	fail "List-Post not shown with h: $(cat "$T/screen")"
keys h
wait_gone '^X-Mailer:'
grep -q '^Reply-To: Dev list' "$T/screen" || fail "h back lost Reply-To: $(cat "$T/screen")"
ok "the pager shows Reply-To; h toggles every header field"
keys L
wait_for '^ +To: dev@lists.example.test$' "L in the pager"
abort
wait_for '^-- surel: INBOX'

keys l '~l' Enter
wait_for 'Shown:3\]' "~l: to a known list or with List-Id/List-Post"
screen | grep -q 'b private' && fail "~l shows a private message: $(cat "$T/screen")"
keys l C-u '~u' Enter
wait_for 'Shown:2\]' "~u: to a subscribed list"
screen | grep -q 'a announce' && fail "~u shows an unsubscribed list: $(cat "$T/screen")"
keys l C-u '~l !~u' Enter
wait_for 'Shown:1\]'
grep -q 'a announce' "$T/screen" || fail "~l !~u: $(cat "$T/screen")"
ok "~l and ~u limit to list mail"
keys q
wait_for '^SUREL-EXIT 0'
