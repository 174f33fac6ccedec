#!/bin/sh
# The index of a demo-like Maildir opened with -f and no configuration:
# lines and status bar, moving, opening a message in the pager and coming
# back, the part list, incremental search, limit (and a bad pattern), and
# wide characters that keep the columns.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed to measure columns"

md="$T/INBOX"
deliver_demo "$md"
printf 'From: =?UTF-8?B?5bGx55Sw5aSq6YOO8J+YgA==?= <yamada@example.test>\nTo: demo@example.test\nDate: Wed, 25 Nov 2026 09:00:00 +0000\nSubject: =?UTF-8?B?5Lya6K2w44Gu5L2c5oiQIPCfk4U=?= meeting\nMessage-ID: <wide@example.test>\n\nwide body\n' |
	"$SPOOL" deliver "$md"

ui_start -f "$md"
wait_for '^-- surel: .*Msgs:4 New:4' "status bar with counts"
line 0 | grep -q '^q:Quit' || fail "no help bar: $(cat "$T/screen")"
grep -q 'Welcome to surel' "$T/screen" || fail "subject missing"
grep -q 'Ana Putri' "$T/screen" || fail "sender missing"
grep -Eq '^N +2026-11-2[0-9] ' "$T/screen" || fail "flags/date column missing"
ok "index lines and status bar"

# Every subject starts at the same display column, wide sender or not.
python3 - "$T/screen" <<'PY' || fail "columns broken by wide characters: $(cat "$T/screen")"
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
cols = set()
for l in open(sys.argv[1], encoding="utf-8"):
    for subj in ("Welcome to surel", "Laporan", "Cron <demo", "\u4f1a\u8b70"):
        i = l.find(subj)
        if i >= 0:
            cols.add(width(l[:i]))
sys.exit(0 if len(cols) == 1 and len(open(sys.argv[1]).read()) > 0 else 1)
PY
grep -q '山田太郎' "$T/screen" || fail "CJK sender not shown"
ok "wide characters keep the columns"

# The cursor starts on the newest message; go up to the report and open it.
keys k k
sleep 0.2
keys Enter
wait_for '^Subject: Laporan mingguan' "pager header"
grep -q '^From: Ana Putri <ana@example.test>' "$T/screen" || fail "pager lacks From"
grep -q 'Café meeting moved' "$T/screen" || fail "pager lacks the decoded text"
grep -q 'laporan minggu.csv' "$T/screen" || fail "pager lacks the attachment list"
ok "pager shows headers, text and attachments"

keys v
wait_for '^ +3 +text/csv' "part list"
keys j j s
wait_for '^Save to: laporan minggu.csv' "save prompt with the part's name"
keys Enter
wait_for 'saved 22 bytes' "save message"
[ "$(wc -c < "$T/laporan minggu.csv")" -eq 22 ] || fail "saved part has the wrong size"
keys q q
wait_for '^-- surel: .*New:3' "back in the index with the message seen"
ls "$md/cur" | grep -q ':2,S$' || fail "seen flag not stored in the Maildir"
ok "part list saves a part; the message is marked seen"

# Incremental search moves the cursor; n finds the next.
keys /
wait_for '^Search:' "search prompt"
keys c r o n
sleep 0.3
keys Enter
wait_for '^-- surel: .* -- 3/4$' "cursor on the cron message"
ok "incremental search"

keys l
wait_for '^Limit to' "limit prompt"
keys '~f ana | ~s welcome' Enter
wait_for 'Shown:2' "limit count"
grep -q 'Cron Daemon' "$T/screen" && fail "limit shows a message it should hide"
keys l C-u '~b "weekly report"' Enter
wait_for 'Shown:1' "body limit"
keys l C-u '~d 2026-11-24-2026-11-25 !~N' Enter
wait_for 'Shown:1' "date limit"
grep -q 'Laporan' "$T/screen" || fail "date limit shows the wrong message"
keys l C-u '~q nope' Enter
wait_for "unknown pattern '~q'" "pattern error message"
keys l C-u Enter
wait_gone 'Shown:'
ok "limit by pattern, errors shown, empty limit shows all"

keys q
wait_for '^SUREL-EXIT 0' "clean exit"
ok "q quits with status 0"
