#!/bin/sh
# Sync benchmark: `spool sync` against mbsync (Sync All, Create Both) doing
# the same work on the same private Dovecot (imap://, plaintext, on
# 127.0.0.1), N messages spread over F folders.  Three cases, each run
# alternating between the two programs, medians over the rounds:
#   first    a fresh Maildir and no state: every message comes down;
#   nochange a second run with nothing changed on either side;
#   flags    K local flag changes (\Flagged added by renames, as a mail
#            reader makes them) pushed to the server.
# Before each timed run the destination is synced afresh (untimed) as the
# case needs; after a flags run the flags are taken back (untimed), so
# every round sees the same server.  Needs root (Dovecot switches to the
# mail user) and dovecot-imapd.  See bench/README.md.
#
#   bench/sync.sh                                # 10000 messages, 5 folders, 3 rounds
#   BENCH_N=50000 BENCH_F=10 bench/sync.sh       # the issue's nothing-changed case
#   BENCH_SMOKE=1 bench/sync.sh                  # 200 messages, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_opt N 200 10000
bench_opt F 2 5
bench_opt K 50 1000
bench_opt RUNS 1 3
SEED=${BENCH_SEED:-7}
TIMEOUT=${BENCH_TIMEOUT:-1200}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/surel-bench/sync}
CASES=${BENCH_CASES:-"first nochange flags"}

bench_builddir spool/spool
bench_prog SPOOL spool/spool
bench_time
echo "# sync: $(bench_host); load $(bench_load)"

DOVECOT_SH=$HERE/../tests/integration/dovecot.sh
# shellcheck disable=SC2034 # DATA: the certificates of dovecot.sh
DATA=$HERE/../tests/data
[ -r "$DOVECOT_SH" ] || { echo "# sync: skipped: $DOVECOT_SH missing (a source tree is needed)"; exit 0; }
mkdir -p "$WORK" || exit 1
chmod o+x "$WORK" "$(dirname "$WORK")" 2> /dev/null
bench_rundir
# shellcheck disable=SC2034 # T: the scratch directory of dovecot.sh
T=$RUN
skip() {
	echo "# sync: skipped: $*"
	rm -rf "$RUN"
	exit 0
}
fail() {
	echo "sync.sh: $*" >&2
	exit 1
}
# shellcheck source=../tests/integration/dovecot.sh
. "$DOVECOT_SH"
bench_cleanup() {
	dovecot_stop
	rm -rf "$RUN"
}
bench_home
command -v mbsync > /dev/null || skip "mbsync not installed (apt-get install isync)"

# The server: gen-maildir.py's mix, dealt round-robin into INBOX and F-1
# Maildir++ folders .f2 .. .fF, every message \Seen.  Generated once per
# N, F and seed; kept in $WORK.
SRV=$WORK/server-$N-$F
stamp="n=$N f=$F seed=$SEED gen=$(cksum < "$HERE/gen-maildir.py" | cut -d' ' -f1)"
if [ "$(cat "$SRV.stamp" 2> /dev/null)" != "$stamp" ]; then
	rm -rf "$SRV" "$SRV.stamp" "$SRV.tmp"
	echo "sync.sh: generating $N messages in $F folders in $SRV" >&2
	"$PY" "$HERE/gen-maildir.py" "$SRV.tmp" "$N" --seed "$SEED" &&
		"$PY" - "$SRV.tmp" "$F" <<'PY' || fail "generating the server failed"
import os, sys
d, f = sys.argv[1], int(sys.argv[2])
names = sorted(os.listdir(os.path.join(d, "new")) + os.listdir(os.path.join(d, "cur")))
for k in range(2, f + 1):
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(d, ".f%d" % k, sub), exist_ok=True)
for i, name in enumerate(names):
    src = os.path.join(d, "new", name)
    if not os.path.exists(src):
        src = os.path.join(d, "cur", name)
    k = i % f + 1
    dst = d if k == 1 else os.path.join(d, ".f%d" % k)
    os.rename(src, os.path.join(dst, "cur", name.split(":")[0] + ":2,S"))
PY
	chown -R mail:mail "$SRV.tmp" && mv "$SRV.tmp" "$SRV" && echo "$stamp" > "$SRV.stamp" || fail "cannot store $SRV"
fi
# shellcheck disable=SC2034 # read by dovecot.sh
DC_MAIL_LOCATION="maildir:$SRV"
DC_MAILDIR=$SRV
DC_PASS=benchpass
dovecot_start localhost

DEST=$RUN/dest
STATE=$RUN/state

# Fresh destination and state, the peer's configuration; echoes the
# command line.
prepare() {
	rm -rf "$DEST" "$STATE" "$HOME"
	mkdir -p "$DEST" "$STATE" "$HOME" "$XDG_CONFIG_HOME/surel"
	case $1 in
	ours)
		cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[account b]
address = $DC_USER@example.test
maildir = $DEST
fetch = imap://127.0.0.1:$DC_IMAP
user = $DC_USER
password_cmd = printf '%s' '$DC_PASS'
tls = off
sync_max_delete = 100%
EOF
		chmod 600 "$XDG_CONFIG_HOME/surel/config"
		echo "exec '$SPOOL' sync"
		;;
	mbsync)
		cat > "$STATE/mbsyncrc" <<EOF
IMAPAccount far
Host 127.0.0.1
Port $DC_IMAP
User $DC_USER
Pass $DC_PASS
SSLType None

IMAPStore far
Account far

MaildirStore near
Path $DEST/
Inbox $DEST/INBOX
SubFolders Verbatim

Channel bench
Far :far:
Near :near:
Patterns *
Sync All
Create Both
SyncState *
EOF
		chmod 600 "$STATE/mbsyncrc"
		echo "exec mbsync -q -c '$STATE/mbsyncrc' bench"
		;;
	esac
}

# Add (on = 1) or take back \Flagged, as renames, on the first K messages
# below $DEST.
flag_local() {
	"$PY" - "$DEST" "$K" "$1" <<'PY'
import os, sys
root, k, on = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
files = []
for dp, dns, fns in os.walk(root):
    dns.sort()
    if os.path.basename(dp) in ("cur", "new"):
        files += [os.path.join(dp, f) for f in sorted(fns) if not f.startswith(".")]
files.sort()
for p in files[:k]:
    d, name = os.path.split(p)
    base, _, fl = name.partition(":2,")
    fl = set(fl) | {"F"} if on else set(fl) - {"F"}
    os.rename(p, os.path.join(os.path.dirname(d), "cur", base + ":2," + "".join(sorted(fl))))
PY
}

arrived() {
	find "$DEST" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l
}

# One timed run: "CASE PEER ROUND MICROSECONDS RSS_KB STATUS".
run_one() {
	peer=$1 case=$2 round=$3
	cmd=$(prepare "$peer")
	if [ "$case" != first ]; then
		sh -c "$cmd" > "$RUN/out" 2>&1 || fail "$peer: untimed sync failed: $(head -c 300 "$RUN/out")"
	fi
	[ "$case" = flags ] && flag_local 1
	sync
	bench_timed "$cmd" > "$RUN/out" 2> "$RUN/err"
	status=ok
	[ "$ex" -eq 0 ] || status=exit-$ex
	[ "$(arrived)" -eq "$N" ] || status=got-$(arrived)-of-$N
	[ "$status" = ok ] || echo "sync.sh: $peer $case: $status: $(cat "$RUN/err" "$RUN/out" | head -c 300)" >&2
	if [ "$case" = flags ]; then
		flag_local 0
		sh -c "$cmd" > /dev/null 2>&1 || fail "$peer: taking the flags back failed"
	fi
	echo "$case $peer $round $(((t1 - t0) / 1000)) $rss $status" >> "$RAW"
}

echo "# commit $(bench_commit); N=$N in $F folders, K=$K; $RUNS rounds; $(dovecot --version | cut -d' ' -f1) on 127.0.0.1"
echo "# $(mbsync -v 2>&1 | head -n 1)"
r=0
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	for c in $CASES; do
		for p in ours mbsync; do
			run_one "$p" "$c" "$r"
		done
	done
done
rm -rf "$DEST" "$STATE"
echo "# after the runs: load $(bench_load)"

bench_report "$RAW" "$N" "$K" <<'PY'
n, k = int(sys.argv[2]), int(sys.argv[3])
for line in open(sys.argv[1]):
    case, peer, rnd, us, rss, st = line.split()
    add((case, peer), us, rss, st, 1e6)

print()
print("%-9s %-7s %5s %9s %17s %9s %8s %5s" % ("case", "peer", "runs", "median s", "[min-max]",
      "per s", "peak MB", "fail"))
for key in order:
    r = res[key]
    if not r["t"]:
        print("%-9s %-7s %5d %9s" % (key[0], key[1], 0, "-"))
        continue
    rs = mrss(key)
    per = (n if key[0] != "flags" else k) / med(key)
    print("%-9s %-7s %5d %9.3f %17s %9.0f %8s %5d" % (key[0], key[1], len(r["t"]), med(key),
          "[%.3f-%.3f]" % (min(r["t"]), max(r["t"])), per,
          "%.1f" % rs if rs is not None else "-", r["bad"]))
print()
print("ratios of medians, ours / mbsync (below 1 = ours faster or smaller)")
for case in ("first", "nochange", "flags"):
    o, m = med((case, "ours")), med((case, "mbsync"))
    if o and m:
        line = "%-9s time %6.2fx (rate %.2fx)" % (case, o / m, m / o)
        if mrss((case, "ours")) and mrss((case, "mbsync")):
            line += "   peak RSS %5.2fx" % (mrss((case, "ours")) / mrss((case, "mbsync")))
        print(line)
sys.exit(1 if bad else 0)
PY
