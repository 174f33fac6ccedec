#!/bin/sh
# kill -9 of spool deliver at random moments while a message streams in
# from a slow pipe, 40 times, plus deliveries left to finish: every
# delivery that exited 0 is in new/ or cur/ exactly once and intact, no
# half-written file is visible (leftovers in tmp/ only), and a delivery
# after the carnage works.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed"

md="$T/Mail/INBOX"
mkdir -p "$T/msgs"
# 60 messages of 50 KB to 1.5 MB, each unique.
python3 - "$T/msgs" <<'P'
import os, random, sys
random.seed(11)
for i in range(60):
    size = random.randint(50_000, 1_500_000)
    line = b"message %d line of filler text to make the body long enough\n" % i
    body = line * (size // len(line))
    with open(os.path.join(sys.argv[1], "%d.eml" % i), "wb") as f:
        f.write(b"From: crash@example.test\nSubject: crash %d\nMessage-ID: <c%d@example.test>\n\n" % (i, i) + body)
P
# slowcat FILE: the file in 32 KB pieces, 5 ms apart (a slow MTA).
cat > "$T/slowcat" <<'P'
import sys, time
with open(sys.argv[1], "rb") as f:
    while True:
        b = f.read(32768)
        if not b:
            break
        sys.stdout.buffer.write(b)
        sys.stdout.buffer.flush()
        time.sleep(0.005)
P
: > "$T/ok.list"
awk 'BEGIN { srand(5); for (i = 0; i < 60; i++) printf "%d %.3f\n", i, rand() * 0.25 }' > "$T/plan"
killed=0
while read -r i d; do
	{ python3 "$T/slowcat" "$T/msgs/$i.eml" 2> /dev/null || true; } | "$SPOOL" deliver "$md" 2> /dev/null &
	pid=$!
	# Every third delivery runs to its end; the others are killed.
	if [ $((i % 3)) -ne 0 ]; then
		sleep "$d"
		# The pipeline's pid is the last command's: spool deliver.
		kill -9 "$pid" 2> /dev/null || true
	fi
	set +e
	wait "$pid" 2> /dev/null
	st=$?
	set -e
	[ "$st" -eq 0 ] && echo "$i" >> "$T/ok.list"
	[ "$st" -eq 137 ] && killed=$((killed + 1))
done < "$T/plan" 2> /dev/null
python3 - "$md" "$T/msgs" "$T/ok.list" <<'P' > "$T/verdict" || fail "invariant broken: $(cat "$T/verdict")"
import hashlib, os, sys
md, msgs, okl = sys.argv[1:4]
want = {}
for n in os.listdir(msgs):
    want[hashlib.sha256(open(os.path.join(msgs, n), "rb").read()).hexdigest()] = int(n.split(".")[0])
seen = {}
bad = []
for sub in ("new", "cur"):
    d = os.path.join(md, sub)
    for n in os.listdir(d) if os.path.isdir(d) else []:
        h = hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest()
        if h not in want:
            bad.append(sub + "/" + n)
        else:
            seen[want[h]] = seen.get(want[h], 0) + 1
ok = [int(x) for x in open(okl).read().split()]
missing = [i for i in ok if i not in seen]
dups = [i for i, c in seen.items() if c > 1]
tmp = len(os.listdir(os.path.join(md, "tmp"))) if os.path.isdir(os.path.join(md, "tmp")) else 0
print("%d exited 0, %d visible, %d tmp leftovers; partial %s missing %s duplicates %s"
      % (len(ok), sum(seen.values()), tmp, bad, missing, dups))
sys.exit(1 if bad or missing or dups else 0)
P
echo "# $killed kills: $(cat "$T/verdict")"
[ "$killed" -ge 20 ] || fail "only $killed deliveries were killed"
ok "kill -9 of spool deliver $killed times: $(cat "$T/verdict")"
printf 'Subject: after\n\nafter the crashes\n' | "$SPOOL" deliver "$md" || fail "deliver after the crashes failed"
"$SPOOL" ls "$md" > /dev/null || fail "spool ls fails on the crashed Maildir"
ok "deliver and ls work after the crashes"
