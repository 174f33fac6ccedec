#!/bin/sh
# kill -9 of surel (in tmux) at random moments while it moves messages:
# in INBOX every message is marked (d) and expunged ($) to the trash
# folder; in Trash each is moved back with s INBOX.  After every kill each
# message is in exactly one of INBOX and Trash, intact, and the next surel
# opens the folder (its index cache survived).
. "$(dirname "$0")/../ui/lib.sh"

N=150
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account c]
address = c@example.test
maildir = $T/Mail
trash_folder = Trash
CFG
python3 - "$T/msgs" $N <<'P'
import os, sys
os.makedirs(sys.argv[1])
for i in range(int(sys.argv[2])):
    body = "".join("line %d of message %d\n" % (j, i) for j in range(20 + i * 5))
    with open(os.path.join(sys.argv[1], "%d.eml" % i), "w") as f:
        f.write("From: Crash <crash@example.test>\nTo: c@example.test\nSubject: crash %d\n"
                "Date: Thu, 26 Nov 2026 10:%02d:00 +0000\nMessage-ID: <m%d@example.test>\n\n%s"
                % (i, i % 60, i, body))
P
for f in "$T"/msgs/*.eml; do "$SPOOL" deliver "$T/Mail/INBOX" < "$f"; done
"$SPOOL" deliver "$T/Mail/Trash" < /dev/null > /dev/null 2>&1 || true
rm -f "$T"/Mail/Trash/new/* "$T"/Mail/Trash/cur/*

check() {
	python3 - "$T/Mail" "$T/msgs" <<'P'
import hashlib, os, sys
root, msgs = sys.argv[1:3]
want = {hashlib.sha256(open(os.path.join(msgs, n), "rb").read()).hexdigest(): n for n in os.listdir(msgs)}
seen, bad = {}, []
for folder in ("INBOX", "Trash"):
    for sub in ("new", "cur"):
        d = os.path.join(root, folder, sub)
        for n in os.listdir(d) if os.path.isdir(d) else []:
            h = hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest()
            if h in want:
                seen.setdefault(want[h], []).append(folder)
            else:
                bad.append("%s/%s/%s" % (folder, sub, n))
missing = sorted(set(want) - set(k for k in want if want[k] in seen))
dups = {k: v for k, v in seen.items() if len(v) > 1}
inbox = sum(1 for v in seen.values() if v == ["INBOX"])
print("INBOX %d Trash %d; changed %s missing %d duplicated %s" % (inbox, len(seen) - inbox, bad, len(missing), dups))
sys.exit(1 if bad or missing or dups else 0)
P
}

# run_killed FOLDER KEYS DELAY: surel on FOLDER with pushed KEYS, killed
# -9 after DELAY seconds (if still running).
run_killed() {
	cat > "$T/run" <<RUN
#!/bin/sh
cd "$T"
exec env TERM=xterm LANG=C.UTF-8 "$SUREL" -f "$1" -e "$2"
RUN
	chmod +x "$T/run"
	tmux -S "$SOCK" kill-server 2> /dev/null || true
	tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 "$T/run"
	pid=$(tmux -S "$SOCK" display-message -p '#{pane_pid}')
	sleep "$3"
	kill -9 "$pid" 2> /dev/null || true
	i=0
	# Dead once it is a zombie (tmux reaps it in its own time).
	while [ -r "/proc/$pid/stat" ] && ! grep -q ') Z ' "/proc/$pid/stat" 2> /dev/null && [ $i -lt 50 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	tmux -S "$SOCK" kill-server 2> /dev/null || true
}

dkeys=$(python3 -c "print('k' * $N + 'd' * $N + '\$')")
skeys=$(python3 -c "print('k' * $N + 'sINBOX<Enter>' * $N)")
awk 'BEGIN { srand(3); for (i = 0; i < 24; i++) printf "%.2f\n", 0.03 + rand() * 0.35 }' > "$T/delays"
n=0
while read -r d; do
	n=$((n + 1))
	if [ $((n % 2)) -eq 1 ]; then
		run_killed "$T/Mail/INBOX" "$dkeys" "$d"
	else
		run_killed "$T/Mail/Trash" "$skeys" "$d"
	fi
	check > "$T/verdict" || fail "after kill $n (${d}s): $(cat "$T/verdict")"
	echo "# kill $n after ${d}s: $(cat "$T/verdict")"
done < "$T/delays"
ok "kill -9 of surel moving and expunging, $n times: every message exactly once, intact"

# The folders still open and show every message.
ui_start -f "$T/Mail/INBOX"
wait_for 'INBOX \[Msgs:' "INBOX after the crashes"
keys q
wait_for '^SUREL-EXIT 0'
ok "surel opens the folder after the crashes"
