#!/bin/sh
# Tab in the To prompt of m and the compose screen's Cc prompt: a partial
# name completed from each of the three sources (aliases_file, the book
# learned from Sent, a scripted address_cmd), a choice list when several
# match (Esc keeps the text, Enter takes the selected one), completion of
# the entry after a comma, and the completed recipients reaching the queue.
. "$(dirname "$0")/lib.sh"

compose_setup "aliases_file = $T/aliases
address_cmd = $T/query '%s'"
cat > "$T/aliases" <<'AL'
alias bob Bob Smith <bob@example.org>
alias anna Anna Alias <anna@example.org>   # from mutt
AL
cat > "$T/query" <<'SH'
#!/bin/sh
echo "scripted directory"
printf 'carol@example.net\tCarol Q\nandreas@example.net\tAndreas Cmd\n' | grep -i -F -e "$1" || :
SH
chmod +x "$T/query"
editor_script <<'ED'
printf 'Hello.\n' >> "$1"
ED
for who in 'Anastasia <anastasia@example.org>' 'Bambang <bambang@example.org>'; do
	printf 'From: demo@example.test\nTo: %s\nMessage-ID: <%s>\n\nx\n' "$who" "$(echo "$who" | tr -dc a-z)@x" |
		"$SPOOL" deliver Sent
done
deliver_demo "$T/Mail/INBOX"

ui_start
wait_for 'surel: INBOX \[Msgs:3'
keys m
wait_for '^To:'
keys bob Tab
wait_for '^To: Bob Smith <bob@example.org>$' "alias completed"
keys C-u anas Tab
wait_for '^To: Anastasia <anastasia@example.org>$' "book address completed"
keys C-u caro Tab
wait_for '^To: Carol Q <carol@example.net>$' "address_cmd address completed"
ok "Tab completes from the aliases, the learned book and address_cmd"

keys C-u an Tab
wait_for '^ alias +anna = Anna Alias <anna@example.org>' "choice list"
wait_for '^ book +Anastasia <anastasia@example.org>'
wait_for '^ book +Bambang <bambang@example.org>'
wait_for '^ command +Andreas Cmd <andreas@example.net>'
keys Escape
wait_gone '^ book +Anastasia'
wait_for '^To: an$' "Esc in the list keeps the text"
keys Tab
wait_for '^ command +Andreas Cmd'
keys Down Down Down Enter
wait_for '^To: Andreas Cmd <andreas@example.net>$' "Enter takes the selected address"
ok "several matches: a choice list; Esc keeps the text, Enter takes one"

# The entry after the last comma is the one completed.
keys ', bo' Tab
wait_for '^To: Andreas Cmd <andreas@example.net>, Bob Smith <bob@example.org>$' "second entry"
keys Enter
wait_for '^ +To: Andreas Cmd <andreas@example.net>, Bob Smith <bob@example.org>' "compose screen"
# c on the compose screen: the Cc prompt completes too.
keys c anas Tab
wait_for '^Cc: Anastasia <anastasia@example.org>$' "Cc prompt completed"
keys Enter
wait_for '^ +Cc: Anastasia <anastasia@example.org>$' "Cc set"
ok "the compose screen's Cc prompt completes"
keys y
wait_for 'queued as '
"$SENDQ" list --json | python3 -c '
import json, sys
q = json.load(sys.stdin)
assert len(q) == 1, q
assert [r["address"] for r in q[0]["recipients"]] == ["andreas@example.net", "bob@example.org",
                                                     "anastasia@example.org"], q
' || fail "queued recipients: $("$SENDQ" list --json)"
ok "the completed recipients are queued"
keys q
wait_for '^SUREL-EXIT 0'
[ -f "$XDG_CACHE_HOME/surel/abook" ] || fail "the learned book was not cached"
ok "the learned book is cached"
