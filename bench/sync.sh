#!/bin/sh
# Two-way sync benchmark: `spool sync` against mbsync (isync) doing the same
# work on the same private Dovecot on 127.0.0.1 (plain IMAP, no TLS), three
# scenarios, runs alternating between the two, medians:
#
#   first    first sync of A messages in 5 folders into an empty Maildir
#            (gen-maildir.py's mix, about 19 KB a message); local copy and
#            state removed before every run
#   nochange a sync with nothing changed over B messages in 10 folders
#            (small messages), twice: with Dovecot's CONDSTORE and QRESYNC
#            ("-qresync"), and with both removed from its capabilities by
#            imap_capability ("-plain")
#   flags    C local flag changes (\Flagged toggled by renames as a mail
#            reader makes them, spread over 5 folders) pushed to the server;
#            each peer has its own copy of the folders on the server, and the
#            server's flagged count is checked after every run
#
# Every peer syncs its own local copy; the copies of "nochange" and
# "flags" are made once, untimed.  Peak RSS by /usr/bin/time.  Needs root
# (Dovecot switches to the mail user) and dovecot-imapd.  See
# bench/README.md.
#
#   bench/sync.sh                            # A=10000 B=50000 C=1000, 3 rounds
#   BENCH_A=2000 BENCH_RUNS=5 bench/sync.sh
#   BENCH_SMOKE=1 bench/sync.sh              # tiny sizes, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_opt A 50 10000
bench_opt B 200 50000
bench_opt C 20 1000
bench_opt RUNS 1 3
bench_opt WARMUP 0 1
SEED=${BENCH_SEED:-7}
TIMEOUT=${BENCH_TIMEOUT:-1800}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/surel-bench/sync}
PEERS=${BENCH_PEERS:-"ours mbsync"}
CASES=${BENCH_CASES:-"first flags nochange"}

bench_builddir spool/spool
bench_prog SPOOL spool/spool
bench_time

echo "# sync: $(bench_host); load $(bench_load)"

# The private Dovecot of the integration tests, as in fetch.sh.
bench_dovecot

have() {
	case $1 in
	ours) return 0 ;;
	mbsync) command -v mbsync > /dev/null ;;
	esac
}
why_not() {
	echo "mbsync not installed (apt-get install isync)"
}

# The server's folders, Maildir++ below $SRV, every message \Seen in cur/:
# a1..a5 (first), b01..b10 (nochange), and for flags cu1..cu5 (ours) and
# cm1..cm5 (mbsync), the same messages in both.  Made once per sizes,
# seed and generator and kept in $WORK.
SRV=$WORK/server-$A-$B-$C
stamp="a=$A b=$B c=$C seed=$SEED layout=1 gen=$(cksum < "$HERE/gen-maildir.py" | cut -d' ' -f1)"
if [ "$(cat "$SRV.stamp" 2> /dev/null)" != "$stamp" ]; then
	rm -rf "$SRV" "$SRV.stamp" "$SRV.tmp" "$SRV.gen"
	echo "sync.sh: generating the server's folders in $SRV" >&2
	"$PY" "$HERE/gen-maildir.py" "$SRV.gen" "$A" --seed "$SEED" > /dev/null &&
		"$PY" - "$SRV.gen" "$SRV.tmp" "$B" "$C" <<'PY' || fail "generating the folders failed"
import os, sys
gen, dst, b, c = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def folder(name):
    d = os.path.join(dst, "." + name)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    return d

for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(dst, sub), exist_ok=True)
names = sorted(os.listdir(os.path.join(gen, "cur")) + os.listdir(os.path.join(gen, "new")))
for i, n in enumerate(names):
    src = os.path.join(gen, "cur" if os.path.exists(os.path.join(gen, "cur", n)) else "new", n)
    os.rename(src, os.path.join(folder("a%d" % (i % 5 + 1)), "cur", n.split(":")[0] + ":2,S"))

def small(d, i, tag):
    body = "".join("line %d of message %d of %s, some words to read\n" % (j, i, tag)
                   for j in range(i % 12 + 4))
    msg = ("From: Sender %d <s%d@example.test>\nTo: bench@example.test\n"
           "Subject: %s message %d\nMessage-ID: <%s.%d@bench.example.test>\n"
           "Date: Thu, 26 Nov 2026 10:00:00 +0000\n\n%s" % (i, i % 97, tag, i, tag, i, body))
    with open(os.path.join(d, "cur", "%d.M%dP1.bench:2,S" % (1700000000 + i, i)), "w") as f:
        f.write(msg)

for i in range(b):
    small(folder("b%02d" % (i % 10 + 1)), i, "b")
for i in range(c * 5):
    for who in ("cu", "cm"):
        small(folder("%s%d" % (who, i % 5 + 1)), i, "c")
PY
	rm -rf "$SRV.gen"
	chown -R mail:mail "$SRV.tmp" && mv "$SRV.tmp" "$SRV" && echo "$stamp" > "$SRV.stamp" ||
		fail "cannot store $SRV"
fi
# shellcheck disable=SC2034 # read by dovecot.sh
DC_MAIL_LOCATION="maildir:$SRV"
# shellcheck disable=SC2034 # read by dovecot.sh
DC_MAILDIR=$SRV
DC_PASS=benchpass

# server CAPS: (re)start Dovecot, with all its capabilities (full) or
# without CONDSTORE and QRESYNC (plain).
server() {
	dovecot_stop
	DC_EXTRA=
	# shellcheck disable=SC2034 # read by dovecot.sh
	[ "$1" = plain ] && DC_EXTRA="protocol imap {
  imap_capability = $PLAIN_CAPS
}"
	dovecot_start localhost
	[ "$1" = full ] || return 0
	# What this Dovecot offers after login, less CONDSTORE and QRESYNC.
	PLAIN_CAPS=$("$PY" - "$DC_IMAP" "$DC_USER" "$DC_PASS" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
typ, data = m.capability()
m.logout()
print(" ".join(c for c in data[0].decode().split() if c.upper() not in ("CONDSTORE", "QRESYNC")))
PY
) || fail "cannot read the server's capabilities"
}

# config PEER ROOT PATTERN: the peer's configuration for folders PATTERN
# synced into ROOT; echoes the command line for sh -c.
config() {
	case $1 in
	ours)
		mkdir -p "$XDG_CONFIG_HOME/surel"
		cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[general]
default_account = b
[account b]
address = $DC_USER@example.test
maildir = $2
fetch = imap://127.0.0.1:$DC_IMAP
user = $DC_USER
password_cmd = printf '%s' '$DC_PASS'
tls = off
sync_folders = $3
sync_max_delete = 100%
EOF
		chmod 600 "$XDG_CONFIG_HOME/surel/config"
		echo "exec '$SPOOL' sync"
		;;
	mbsync)
		mkdir -p "$2"
		# Defaults otherwise (FSync yes); both directions, folders
		# created where missing, nothing expunged.
		cat > "$RUN/mbsyncrc" <<EOF
IMAPAccount far
Host 127.0.0.1
Port $DC_IMAP
User $DC_USER
Pass $DC_PASS
SSLType None

IMAPStore far
Account far

MaildirStore near
Path $2/
Inbox $2/INBOX
SubFolders Verbatim

Channel bench
Far :far:
Near :near:
Patterns $3
Sync All
Create Both
SyncState *
EOF
		chmod 600 "$RUN/mbsyncrc"
		echo "exec mbsync -q -c '$RUN/mbsyncrc' bench"
		;;
	esac
}

# Messages below ROOT's Maildirs.
count() {
	find "$1" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l
}

# untimed PEER ROOT PATTERN: one sync that must succeed (set-up).
untimed() {
	cmd=$(config "$1" "$2" "$3")
	sh -c "$cmd" > "$RUN/out" 2> "$RUN/err" || fail "$1: set-up sync of $3 failed: $(head -c 300 "$RUN/err")"
}

# timed SCENARIO PEER ROUND ROOT PATTERN WANT: one timed sync; WANT is the
# number of local messages it must leave.  Appends to $RAW.
timed() {
	cmd=$(config "$2" "$4" "$5")
	sync
	bench_timed "$cmd" > "$RUN/out" 2> "$RUN/err"
	status=ok
	got=$(count "$4")
	if [ "$ex" -ne 0 ]; then
		status=exit-$ex
	elif [ "$got" -ne "$6" ]; then
		status=got-$got-of-$6
	elif [ -n "${7:-}" ] && [ "$(flagged "$7")" -ne "$8" ]; then
		status=server-flagged-$(flagged "$7")-not-$8
	fi
	[ "$status" = ok ] || echo "sync.sh: $1 $2: $status: $(cat "$RUN/err" "$RUN/out" | head -c 300)" >&2
	[ "$3" = warmup ] && return 0
	echo "$1 $2 $3 $(((t1 - t0) / 1000)) $rss $status" >> "$RAW"
}

# flagged PREFIX: messages \Flagged in the server folders PREFIX1..5.
flagged() {
	"$PY" - "$DC_IMAP" "$DC_USER" "$DC_PASS" "$1" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
n = 0
for i in range(1, 6):
    m.select(sys.argv[4] + str(i), readonly=True)
    typ, data = m.search(None, "FLAGGED")
    n += len(data[0].split())
m.logout()
print(n)
PY
}

# toggle ROOT N: \Flagged on or off, by renaming, on N messages spread over
# the folders below ROOT; prints how many are flagged now.
toggle() {
	"$PY" - "$1" "$2" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
dirs = sorted(os.path.join(root, d, "cur") for d in os.listdir(root)
              if not d.startswith(".") and os.path.isdir(os.path.join(root, d, "cur")))
files = [(d, f) for d in dirs for f in sorted(os.listdir(d)) if ":2," in f]
files = files[::max(1, len(files) // n)][:n]
now = 0
for d, f in files:
    base, fl = f.split(":2,", 1)
    fl = "".join(sorted(fl.replace("F", "") if "F" in fl else fl + "F"))
    os.rename(os.path.join(d, f), os.path.join(d, base + ":2," + fl))
print(sum(1 for d in dirs for f in os.listdir(d) if "F" in f.split(":2,", 1)[-1]))
PY
}

run_first() {
	rm -rf "$RUN/first" "$XDG_STATE_HOME"
	timed first "$1" "$2" "$RUN/first" 'a*' "$A"
	rm -rf "$RUN/first"
}

run_nochange() {
	timed "nochange-$CAPS" "$1" "$2" "$RUN/b-$1" 'b*' "$B"
}

run_flags() {
	pre=cu
	[ "$1" = mbsync ] && pre=cm
	nflag=$(toggle "$RUN/c-$1" "$C")
	timed flags "$1" "$2" "$RUN/c-$1" "$pre*" $((C * 5)) "$pre" "$nflag"
}

echo "# commit $(bench_commit); A=$A B=$B C=$C; $RUNS rounds after $WARMUP warm-up;" \
	"$(dovecot --version | cut -d' ' -f1) on 127.0.0.1"
command -v mbsync > /dev/null && echo "# $(mbsync -v 2>&1 | head -n 1)"
bench_avail

# want CASE: whether BENCH_CASES names it.
want() {
	case " $CASES " in *" $1 "*) return 0 ;; esac
	return 1
}

server full
if want first; then
	run_one() {
		run_first "$1" "$2"
	}
	bench_rounds
fi
if want flags || want nochange; then
	echo "sync.sh: setting up the copies for nochange and flags" >&2
	for p in $avail; do
		pre=cu
		[ "$p" = mbsync ] && pre=cm
		! want nochange || untimed "$p" "$RUN/b-$p" 'b*'
		! want flags || untimed "$p" "$RUN/c-$p" "$pre*"
	done
fi
if want flags; then
	run_one() {
		run_flags "$1" "$2"
	}
	bench_rounds
fi
if want nochange; then
	CAPS=qresync
	run_one() {
		run_nochange "$1" "$2"
	}
	bench_rounds
	server plain
	CAPS=plain
	bench_rounds
fi
echo "# after the runs: load $(bench_load)"

bench_report "$RAW" "$A" "$B" "$C" <<'PY'
for line in open(sys.argv[1]):
    sc, peer, rnd, us, rss, st = line.split()
    add((sc, peer), us, rss, st, 1e6)
n = {"first": int(sys.argv[2]), "nochange-qresync": int(sys.argv[3]),
     "nochange-plain": int(sys.argv[3]), "flags": int(sys.argv[4])}

print()
print("%-17s %-7s %6s %5s %9s %17s %9s %8s %5s" % ("scenario", "peer", "msgs", "runs",
      "median s", "[min-max]", "per s", "peak MB", "fail"))
for k in order:
    r = res[k]
    if not r["t"]:
        print("%-17s %-7s %6d %5d %9s %17s %9s %8s %5d" % (k[0], k[1], n[k[0]], 0, "-", "-", "-",
              "-", r["bad"]))
        continue
    rs = mrss(k)
    print("%-17s %-7s %6d %5d %9.3f %17s %9.0f %8s %5d" % (k[0], k[1], n[k[0]], len(r["t"]),
          med(k), "[%.3f-%.3f]" % (min(r["t"]), max(r["t"])), n[k[0]] / med(k),
          "%.1f" % rs if rs is not None else "-", r["bad"]))

def ratio(sc):
    a, b = med((sc, "ours")), med((sc, "mbsync"))
    return (a, b) if a and b else (None, None)

out = []
a, b = ratio("first")
if a:
    out.append("first sync: rate ours/mbsync %.2fx (target >= 1.25)" % (b / a))
for caps, aim in (("qresync", "target <= 0.5, aim 0.1"), ("plain", "target <= 0.5")):
    a, b = ratio("nochange-" + caps)
    if a:
        out.append("nothing changed, %s: time ours/mbsync %.2fx (%s)" % (caps, a / b, aim))
a, b = ratio("flags")
if a:
    out.append("flag changes pushed: speed ours/mbsync %.2fx (target >= 1.5)" % (b / a))
for sc in ("first", "nochange-qresync", "nochange-plain", "flags"):
    x, y = mrss((sc, "ours")), mrss((sc, "mbsync"))
    if x and y:
        out.append("%s: peak RSS ours/mbsync %.2fx" % (sc, x / y))
if out:
    print()
    print("ratios of medians (this run)")
    print("\n".join(out))
sys.exit(1 if bad else 0)
PY
