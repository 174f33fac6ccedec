#!/bin/sh
# spool ls through the folder index on a 2000-message Maildir: the second
# run prints the same and opens no message file (readdir and the cache are
# enough); after a flag change and one new message, only that one is read.
. "$(dirname "$0")/lib.sh"

MD="$T/box"
python3 - "$MD" <<'PY'
import os, sys
d = sys.argv[1]
for s in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(d, s))
for i in range(2000):
    subj = "=?UTF-8?Q?Caf=C3=A9_n=C2=B0?= %d" % i if i % 7 == 0 else "message %d" % i
    msg = ("Received: from x by y; Thu, 26 Nov 2026 10:00:00 +0000\n"
           "From: Sender %d <s%d@example.test>\nTo: ana@example.test\n"
           "Subject: %s\nDate: Thu, %d Nov 2026 %02d:%02d:00 +0000\n"
           "Message-ID: <%d@example.test>\n\nbody %d\n"
           % (i % 50, i % 50, subj, 1 + i % 28, i % 24, i % 60, i, i)).encode()
    name = "%d.M%dP1Q%d.idxtest" % (1700000000 + i, i, i)
    if i % 3:
        name += ",S=%d" % len(msg)
    sub, info = ("new", "") if i % 10 == 0 else ("cur", ":2," + ("S" if i % 4 else "FS"))
    with open(os.path.join(d, sub, name + info), "wb") as f:
        f.write(msg)
PY

"$SPOOL" ls "$MD" > "$T/ls1"
[ "$(wc -l < "$T/ls1")" -eq 2000 ] || fail "expected 2000 lines, got $(wc -l < "$T/ls1")"
[ -n "$(ls "$XDG_CACHE_HOME/surel/index/")" ] || fail "no cache written"
"$SPOOL" ls "$MD" > "$T/ls2"
cmp -s "$T/ls1" "$T/ls2" || fail "second run differs: $(diff "$T/ls1" "$T/ls2" | head -5)"
"$SPOOL" ls --json "$MD" > "$T/warm.json"
rm -rf "$XDG_CACHE_HOME/surel/index"
"$SPOOL" ls --json "$MD" > "$T/cold.json"
cmp -s "$T/warm.json" "$T/cold.json" || fail "ls --json differs between cold and warm"
ok "ls twice: same lines, same JSON cold and warm"

# Message files are opened relative to their directory, so count the
# names: every key carries ".idxtest", and the folder's path does not.
# LeakSanitizer cannot run under ptrace (sanitizer builds).
opens() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat -o "$T/trace" "$SPOOL" ls "$MD" > "$T/ls3" ||
		fail "spool ls under strace failed"
	grep -c '\.idxtest' "$T/trace" || true
}
if ! command -v strace > /dev/null 2>&1 || ! strace -qq -o /dev/null true 2> /dev/null; then
	echo "SKIP: strace missing or not permitted; open counts not checked"
	exit 0
fi
n=$(opens)
[ "$n" -eq 0 ] || fail "warm run opened $n message files"
cmp -s "$T/ls1" "$T/ls3" || fail "warm run under strace differs"
ok "warm run opens no message file"

# A flag change by another program (a rename) and one new message.
f=$(ls "$MD/cur" | grep ':2,S$' | head -n 1)
mv "$MD/cur/$f" "$MD/cur/${f%:2,S}:2,RS"
printf 'Subject: late arrival\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n\nx\n' \
	> "$MD/new/1800000000.M1P1Q1.idxtest"
n=$(opens)
[ "$n" -eq 1 ] || fail "expected to open only the new message, opened $n"
[ "$(wc -l < "$T/ls3")" -eq 2001 ] || fail "new message not listed"
tail -n 1 "$T/ls3" | grep -q 'late arrival' || fail "new message not last: $(tail -n 1 "$T/ls3")"
grep -q "^${f%%:*} .* RS " "$T/ls3" || fail "flag change not shown: $(grep "^${f%%:*} " "$T/ls3")"
ok "a flag change needs no read; a new message is read alone"

rm -rf "$XDG_CACHE_HOME/surel/index"
n=$(opens)
[ "$n" -eq 2001 ] || fail "cold run opened $n message files, expected 2001"
ok "cold run opens each message once"
