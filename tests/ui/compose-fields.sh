#!/bin/sh
# The compose screen edits every header in place (mutt's t, c, b, s, f,
# r): the prompt starts from the field's value; From set to the second
# account's alias switches the identity; Tab completes file names at the
# attach prompt.  The queued message has every edited field.
. "$(dirname "$0")/lib.sh"

compose_setup "" "[account home]
name = Ana
address = ana@home.test
maildir = $T/Mail/home

[account work]
name = Ana Putri
address = ana@work.test
aliases = sales@shop.test
maildir = $T/Mail/work"
mkdir -p "$T/Mail/home/INBOX/new" "$T/Mail/home/INBOX/cur" "$T/Mail/home/INBOX/tmp"
editor_script <<'ED'
sed -i -e 's/^To:.*$/To: first@example.org/' -e 's/^Subject:.*$/Subject: draft/' "$1"
printf 'Body.\n' >> "$1"
ED
mkdir -p "$T/files"
printf 'quarterly numbers\n' > "$T/files/report-q3.txt"
printf 'other\n' > "$T/files/zeta.bin"

ui_start
wait_for 'surel: INBOX \[Msgs:0'
keys m
wait_for '^To:'
keys Enter
wait_for '^ +Subject: draft$' "compose screen"
keys t
wait_for '^To: first@example.org' "the To prompt starts from the field"
keys C-u 'Budi <budi@example.org>, cici@example.org' Enter
wait_for '^ +To: Budi <budi@example.org>, cici@example.org$' "To edited in place"
keys c 'carol@example.org' Enter
wait_for '^ +Cc: carol@example.org$' "Cc"
keys b 'hidden@example.org' Enter
wait_for '^ +Bcc: hidden@example.org$' "Bcc"
keys s C-u 'Laporan — final' Enter
wait_for '^ +Subject: Laporan — final$' "Subject"
keys r 'replies@example.org' Enter
wait_for '^ +Reply-To: replies@example.org$' "Reply-To"
keys c C-u 'not an address, x@y@z' Enter
wait_for 'bad address' "a bad address is refused"
grep -q '^ *Cc: carol@example.org$' "$T/screen" || fail "refused Cc changed the field: $(cat "$T/screen")"
keys f C-u 'Sales <sales@shop.test>' Enter
wait_for '^ +From: Sales <sales@shop.test>$' "From"
ok "t c b s r f edit the fields in place; a bad address is refused"

keys a
wait_for '^Attach file:'
keys "$T/files/rep" Tab
wait_for "^Attach file: $T/files/report-q3.txt" "Tab completes the file name"
keys Enter
wait_for 'text/plain +[0-9]+ +report-q3.txt' "the completed file attached"
ok "Tab completes file names at the attach prompt"

keys y
wait_for 'queued as '
"$SENDQ" list --json > "$T/list.json"
python3 - "$T/list.json" <<'PY' || fail "queue: $(cat "$T/list.json")"
import json, sys
q = json.load(open(sys.argv[1]))
assert len(q) == 1, q
assert q[0]["account"] == "work", q[0]
assert q[0]["sender"] == "sales@shop.test", q[0]
assert sorted(r["address"] for r in q[0]["recipients"]) == ["budi@example.org", "carol@example.org", "cici@example.org", "hidden@example.org"], q[0]
PY
"$SENDQ" show "$(python3 -c "import json; print(json.load(open('$T/list.json'))[0]['id'])")" > "$T/queued"
grep -q '^From: Sales <sales@shop.test>$' "$T/queued" || fail "From: $(cat "$T/queued")"
grep -q '^Reply-To: replies@example.org$' "$T/queued" || fail "Reply-To: $(cat "$T/queued")"
grep -q '^Cc: carol@example.org$' "$T/queued" || fail "Cc: $(cat "$T/queued")"
grep -q 'filename="report-q3.txt"' "$T/queued" || fail "attachment: $(cat "$T/queued")"
ok "the message goes out with the edited fields, through the From's account"
keys q
wait_for '^SUREL-EXIT 0'
