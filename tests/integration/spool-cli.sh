#!/bin/sh
# The spool read commands against a configured account: folders, ls, show
# (text, --json, --raw), exit codes and one-line errors.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
default_account = demo

[account demo]
name = Demo User
address = demo@example.test
maildir = ~/Mail   # inline comment
local_domains = localhost example.test

[account other]
address = other@example.test
maildir = $T/other
CFG
for m in "$DATA"/demo/*.eml; do
	"$SPOOL" deliver < "$m"
done
printf 'Subject: sent one\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n\nx\n' | "$SPOOL" deliver Sent
printf 'Subject: other account\n\nx\n' | "$SPOOL" -A other deliver

"$SPOOL" folders > "$T/folders"
head -n 1 "$T/folders" | grep -q '^INBOX ' || fail "INBOX is not listed first: $(cat "$T/folders")"
grep -q '^Sent ' "$T/folders" || fail "Sent missing"
"$SPOOL" folders --json | python3 -c '
import json, sys
f = {x["name"]: x for x in json.load(sys.stdin)}
assert f["INBOX"]["total"] == 3, f
assert f["INBOX"]["new"] == 3, f
assert f["Sent"]["total"] == 1, f
' || fail "folders --json"
"$SPOOL" -A other folders | grep -q '^INBOX .* 1 ' || fail "-A other folders"
cat >> "$XDG_CONFIG_HOME/surel/config" <<CFG

[account fresh]
address = fresh@example.test
maildir = $T/not-yet
CFG
"$SPOOL" -A fresh folders > "$T/fresh" || fail "folders of a new account failed"
[ ! -s "$T/fresh" ] || fail "folders of a new account not empty: $(cat "$T/fresh")"
[ "$("$SPOOL" -A fresh folders --json | tr -d ' \n')" = "[]" ] || fail "folders --json of a new account"
[ ! -e "$T/not-yet" ] || fail "folders made the mail directory"
ok "folders and folders --json"

"$SPOOL" ls > "$T/ls"
[ "$(wc -l < "$T/ls")" -eq 3 ] || fail "ls: expected 3 lines: $(cat "$T/ls")"
sed -n 1p "$T/ls" | grep -q 'Welcome to surel' || fail "oldest first: $(cat "$T/ls")"
sed -n 2p "$T/ls" | grep -q 'Laporan mingguan' || fail "decoded subject: $(cat "$T/ls")"
sed -n 2p "$T/ls" | grep -q 'Ana Putri' || fail "decoded sender: $(cat "$T/ls")"
sed -n 3p "$T/ls" | grep -q 'Cron Daemon' || fail "newest last: $(cat "$T/ls")"
"$SPOOL" ls --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [r["subject"] for r in rows][0] == "Welcome to surel", rows
assert rows[1]["date_unix"] == 1795505400, rows[1]
assert rows[1]["message_id"] == "report.2@example.test", rows[1]
' || fail "ls --json"
ok "ls: one line per message, oldest first, decoded"

key=$(sed -n 2p "$T/ls" | cut -d' ' -f1)
"$SPOOL" show INBOX "$key" > "$T/show"
grep -q '^Subject: Laporan mingguan — weekly report$' "$T/show" || fail "show subject: $(cat "$T/show")"
grep -q 'Café meeting' "$T/show" || fail "show text not decoded to UTF-8: $(cat "$T/show")"
grep -q 'laporan minggu.csv' "$T/show" || fail "attachment not listed: $(cat "$T/show")"
"$SPOOL" show --json INBOX "$key" | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert list(o) == ["message_id", "date_unix", "from", "to", "cc", "subject", "text", "parts", "crypto"], list(o)
assert o["crypto"] == {"signed": False, "signatures": [], "encrypted": False, "decrypted": False}, o["crypto"]
assert o["from"] == [{"name": "Ana Putri", "addr": "ana@example.test"}], o["from"]
assert o["cc"] == [{"name": "Budi, S.", "addr": "budi@example.test"}], o["cc"]
assert o["text"].startswith("Hi, here is the weekly report. Caf\u00e9"), o["text"]
p = o["parts"]
assert [x["content_type"] for x in p] == ["text/plain", "text/html", "text/csv"], p
assert p[2]["filename"] == "laporan minggu.csv", p
assert p[2]["size"] == 22, p
' || fail "show --json"
path=$(ls "$HOME/Mail/INBOX/new/$key"*)
"$SPOOL" show --raw INBOX "$key" | cmp - "$path" || fail "--raw is not the file"
"$SPOOL" show --json "$path" | python3 -c 'import json,sys; assert json.load(sys.stdin)["subject"].startswith("Laporan")' \
	|| fail "show PATH"
ok "show, show --json, show --raw, show PATH"

expect_exit 64 "$SPOOL" frobnicate
expect_one_line_error spool
expect_exit 64 "$SPOOL" show
expect_exit 66 "$SPOOL" show INBOX no-such-key
expect_one_line_error spool
expect_exit 78 "$SPOOL" -A nobody ls
expect_one_line_error spool
ok "usage 64, missing message 66, unknown account 78"

printf '[account x]\naddress = x@example.test\nmaildir = /tmp\npasword = oops\n' > "$XDG_CONFIG_HOME/surel/config"
expect_exit 78 "$SPOOL" ls
expect_one_line_error spool
grep -q "config:4" "$T/err" || fail "config error without line number: $(cat "$T/err")"
grep -q "pasword" "$T/err" || fail "config error without key: $(cat "$T/err")"
ok "config error names file, line and key"

rm -f "$XDG_CONFIG_HOME/surel/config"
"$SPOOL" show --json "$path" > /dev/null || fail "show PATH needs no config"
expect_exit 78 "$SPOOL" ls
expect_one_line_error spool
ok "show PATH works without config; ls INBOX without one is a config error"

# Terminal safety: escape sequences from a message never reach stdout raw.
printf 'From: "\033]52;c;ZXZpbA==\007Evil" <e@example.test>\nSubject: \033[2J\033[31mred\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n\nbody \033[5m blink \233 c1\n' > "$T/esc.eml"
"$SPOOL" show "$T/esc.eml" > "$T/esc.out"
if LC_ALL=C grep -q "$(printf '\033')" "$T/esc.out"; then fail "ESC reached the output"; fi
if LC_ALL=C grep -q "$(printf '\233')" "$T/esc.out"; then fail "C1 CSI reached the output"; fi
grep -q "red" "$T/esc.out" || fail "text around escapes lost"
mkdir -p "$T/escmd"
"$SPOOL" deliver "$T/escmd" < "$T/esc.eml"
"$SPOOL" ls "$T/escmd" > "$T/esc.ls"
if LC_ALL=C grep -q "$(printf '\033')" "$T/esc.ls"; then fail "ESC reached ls output"; fi
ok "escape sequences from messages are inert"

# A file name that is not UTF-8 keeps its fields in --json (U+FFFD).
mkdir -p "$T/badname/cur" "$T/badname/new" "$T/badname/tmp"
printf 'Subject: odd name\n\nx\n' > "$T/badname/cur/123.M1P1.h$(printf '\377'):2,S"
"$SPOOL" ls --json "$T/badname" > "$T/badname.json"
python3 - "$T/badname.json" <<'P' || fail "ls --json lost a field: $(cat "$T/badname.json")"
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))[0]
assert m["key"] == "123.M1P1.h\ufffd" and m["path"].startswith("cur/123.M1P1.h\ufffd"), m
P
ok "a file name that is not UTF-8 keeps key and path in ls --json"

# A FIFO and a link to /dev/zero in a Maildir: ls lists without waiting or
# reading them, show refuses them at once.
mkdir -p "$T/odd/cur" "$T/odd/new" "$T/odd/tmp"
printf 'Subject: plain one\n\nx\n' > "$T/odd/cur/1.M1P1.h:2,S"
mkfifo "$T/odd/cur/2.M1P1.h:2,S"
ln -s /dev/zero "$T/odd/new/3.M1P1.h"
timeout 20 "$SPOOL" ls "$T/odd" > "$T/odd.ls" || fail "ls of a Maildir with a FIFO: $?"
grep -q 'plain one' "$T/odd.ls" || fail "ls lost the plain message: $(cat "$T/odd.ls")"
for p in "$T/odd/cur/2.M1P1.h:2,S" "$T/odd/new/3.M1P1.h"; do
	rc=0
	timeout 20 "$SPOOL" show "$p" > /dev/null 2> "$T/odd.err" || rc=$?
	[ $rc -eq 65 ] && grep -q 'not a regular file' "$T/odd.err" ||
		fail "show $p: status $rc, $(cat "$T/odd.err")"
done
ok "a FIFO or /dev/zero in a Maildir neither hangs nor is read"
