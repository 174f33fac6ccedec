#!/bin/sh
# -f opens an mbox file read-only: its messages sorted by date, the pager
# works, deleting is refused, and the file is left as it was.
. "$(dirname "$0")/lib.sh"

mb="$T/old.mbox"
cat > "$mb" <<'MBOX'
From ana@example.test Mon Nov 23 10:00:00 2026
From: Ana <ana@example.test>
Subject: second by date
Date: Tue, 24 Nov 2026 10:00:00 +0000

>From the archive
second body

From budi@example.test Mon Nov 23 09:00:00 2026
From: Budi <budi@example.test>
Subject: first by date
Date: Mon, 23 Nov 2026 10:00:00 +0000

first body
MBOX
sum=$(cksum < "$mb")

ui_start -f "$mb"
wait_for 'Msgs:2 New:2\] \(read-only\)' "mbox index"
line 1 | grep -q 'first by date$' || fail "not sorted by date: $(cat "$T/screen")"
line 2 | grep -q 'second by date$' || fail "not sorted by date: $(cat "$T/screen")"
ok "an mbox opens read-only, sorted by date"

keys Enter
wait_for '^From the archive$' "mboxrd unescaped in the pager"
keys q d
wait_for 'this mbox is read-only' "delete refused"
keys q
wait_for '^SUREL-EXIT 0'
[ "$(cksum < "$mb")" = "$sum" ] || fail "the mbox file changed"
ok "the pager reads it; deleting is refused; the file is unchanged"
