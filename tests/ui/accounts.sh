#!/bin/sh
# Accounts inside surel: A lists the accounts with their INBOX's counts and
# switches; switching back finds the first account's deletion marks and
# cursor as they were; compose, drafts and the folder list follow the
# account; y lists every account's folders and opens another account's.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 7200
editor = $T/editor
default_account = home

[account home]
name = Ana
address = ana@home.test
maildir = $T/Mail/home

[account work]
name = Ana Putri
address = ana@work.test
maildir = $T/Mail/work
CFG
chmod 600 "$XDG_CONFIG_HOME/surel/config"
deliver_demo "$T/Mail/home/INBOX"
for i in 1 2; do
	printf 'From: Boss <boss@work.test>\nTo: ana@work.test\nDate: Mon, 30 Nov 2026 1%s:00:00 +0000\nSubject: work item %s\nMessage-ID: <w%s@work.test>\n\nwork\n' "$i" "$i" "$i" |
		"$SPOOL" deliver "$T/Mail/work/INBOX"
done
printf 'From: a@x.test\nSubject: archived one\n\nold\n' | "$SPOOL" deliver "$T/Mail/work/Archive"
cat > "$T/editor" <<'ED'
#!/bin/sh
printf 'x\n' >> "$1"
ED
chmod +x "$T/editor"

ui_start
wait_for 'surel: INBOX \[Msgs:3' "home's INBOX"
# Mark the newest for deletion (the cursor moves up to the middle one).
keys d
wait_for 'Del:1' "a deletion mark"
keys k
wait_for ' -- 2/3 -- home$' "cursor on the second message of home"

keys A
wait_for 'accounts: 2, 5 messages, 5 unread' "the account list"
grep -Eq '^N? *home +ana@home.test +3 +3' "$T/screen" || fail "home row: $(cat "$T/screen")"
grep -Eq 'work +ana@work.test +2 +2' "$T/screen" || fail "work row: $(cat "$T/screen")"
keys j Enter
wait_for 'surel: INBOX \[Msgs:2 New:2\].* -- 2/2 -- work$' "work's INBOX"
grep -q 'work item 2' "$T/screen" || fail "work's messages not shown: $(cat "$T/screen")"
ok "A lists the accounts with their INBOX counts and switches"

keys m
wait_for '^To:'
keys Enter
wait_for '^ +From: Ana Putri <ana@work.test>' "compose From the work account"
keys q
wait_for 'Abort this message'
keys y
wait_for 'message aborted'
ok "compose follows the account"

keys A
wait_for 'accounts: 2'
keys k Enter
wait_for 'surel: INBOX \[Msgs:3 New:3 Del:1\].* -- 2/3 -- home$' "home with its mark and cursor kept"
ok "switching back keeps the account's marks and position"

keys y
wait_for 'Account/Folder' "every account's folders"
grep -q 'work/Archive' "$T/screen" || fail "work's Archive not listed: $(cat "$T/screen")"
grep -q 'home/INBOX' "$T/screen" || fail "home's INBOX not listed: $(cat "$T/screen")"
keys '*' Enter
wait_for 'surel: Archive \[Msgs:1 .* -- work$' "another account's folder opened from y"
keys m
wait_for '^To:'
keys Enter
wait_for '^ +From: Ana Putri <ana@work.test>' "compose From the work account after y"
keys q
wait_for 'Abort this message'
keys y
wait_for 'message aborted'
ok "y lists every account's folders and opens another account's, switching to it"
keys A
wait_for 'accounts: 2'
keys k Enter
wait_for 'surel: INBOX \[Msgs:3 New:3 Del:1\].* -- 2/3 -- home$' "home still as it was"

# Undo send from another account: the replied flag goes off the original
# in home's INBOX though work is shown.
keys r
wait_for '^ +Subject: Re: ' "reply on home's message"
keys y
wait_for 'queued as '
ls "$T/Mail/home/INBOX/cur" | grep -q ':2,.*R' || fail "the original not marked replied"
keys A
wait_for 'accounts: 2'
keys j Enter
wait_for ' -- work$' "work shown"
keys Q
wait_for '^queued ' "queue view"
keys d
wait_for 'cancelled: back in the drafts folder'
keys q
ls "$T/Mail/home/INBOX/cur" | grep -q ':2,.*R' && fail "undo send from work left R on home's message: $(ls "$T/Mail/home/INBOX/cur")"
ok "undo send takes R off the original in another account's folder"
keys A
wait_for 'accounts: 2'
keys k Enter
wait_for ' -- home$' "home again"
keys q
wait_for 'Expunge 1 marked message'
keys n
wait_for '^SUREL-EXIT 0'
