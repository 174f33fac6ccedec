#!/bin/sh
# Folder open benchmark: `spool ls` and `surel` on a large Maildir, without
# the index cache (cold) and with it (warm), against mblaze (mlist | mscan)
# and mutt and neomutt (without and with their header cache) when
# installed.  Runs
# alternate between programs, each round in the same order; the table gives
# medians, min-max and peak RSS, then the ratios the performance targets
# are stated in.  See bench/README.md.
#
#   bench/folder-open.sh                      # 10000 and 100000 messages, 5 rounds
#   BENCH_SIZES=10000 BENCH_RUNS=9 bench/folder-open.sh
#   BENCH_SMOKE=1 bench/folder-open.sh        # 300 messages, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_opt SIZES 300 "10000 100000"
bench_knobs folder 5 1 600
PEERS=${BENCH_PEERS:-"spool-ls-cold spool-ls-warm mscan surel-cold surel-warm mutt-cold mutt-warm neomutt-cold neomutt-warm"}
bench_pty_knobs

# The programs: from the build directory we are run in, else from an
# in-tree build next to bench/.
bench_builddir spool/spool
SUREL=${SUREL:-$BENCH_BUILDDIR/mua/surel}
bench_prog SPOOL spool/spool
[ -x "$SUREL" ] && SUREL=$(bench_abs "$SUREL")

bench_time

bench_rundir home mblaze
bench_home
: > "$RUN/seq"

# Who is available: a peer whose program is missing is left out.
have() {
	case $1 in
	spool-ls-*) return 0 ;;
	surel-*) [ -x "$SUREL" ] && command -v script > /dev/null ;;
	mscan) command -v mlist > /dev/null && command -v mscan > /dev/null ;;
	mutt-* | neomutt-*) command -v "${1%-*}" > /dev/null && command -v script > /dev/null ;;
	esac
}

mutt_rc() {
	# -n skips the system Muttrc; mark_old=no and quit=yes keep mutt from
	# writing or asking anything; folder= keeps it from offering ~/Mail.
	printf '%s\n' "$1" 'set mark_old=no' 'set quit=yes' 'set beep=no' 'set mbox_type=Maildir' \
		"set folder=\"$RUN\"" "set spoolfile=\"$2\"" 'set record=""' 'set postponed=""'
}

# The command line (for sh -c) of one peer on Maildir md.
command_of() {
	md=$2
	case $1 in
	spool-ls-*) echo "exec '$SPOOL' ls '$md'" ;;
	mscan) echo "mlist '$md' | mscan" ;;
	surel-*) echo "exec $(bench_pty "'$SUREL' -f '$md' -e q")" ;;
	mutt-cold | neomutt-cold)
		mutt_rc 'set header_cache=""' "$md" > "$RUN/$1.rc"
		echo "exec $(bench_pty "${1%-*} -n -F '$RUN/$1.rc' -f '$md' -e 'push <quit>'")" ;;
	mutt-warm | neomutt-warm)
		mutt_rc "set header_cache=\"$RUN/hcache-${1%-*}/\"" "$md" > "$RUN/$1.rc"
		echo "exec $(bench_pty "${1%-*} -n -F '$RUN/$1.rc' -f '$md' -e 'push <quit>'")" ;;
	esac
}

# What must hold before a run: cold runs start without our cache.
prepare() {
	case $1 in
	spool-ls-cold | surel-cold) rm -rf "$RUN/home/.cache/surel" ;;
	esac
	rm -f "$RUN/typescript"
}

# Run one peer once: wall time in microseconds and peak RSS in KiB (of the
# largest process: getrusage(RUSAGE_CHILDREN) keeps the maximum).
run_one() {
	peer=$1 md=$2 n=$3 round=$4
	prepare "$peer"
	cmd=$(command_of "$peer" "$md")
	bench_timed "$cmd" MBLAZE="$RUN/mblaze" MAILSEQ="$RUN/seq" > /dev/null 2> "$RUN/err"
	status=ok
	if [ "$ex" -ne 0 ]; then
		status="exit-$ex"
	elif [ -f "$RUN/typescript" ] && ! bench_screen "Msgs:$n\b"; then
		# The status line of mutt and surel shows the count once the
		# index is drawn.
		status=no-index
	fi
	bench_record "$round" "$peer on $n messages" "$n $peer $round $(( (t1 - t0) / 1000 )) $rss $status"
}

echo "# folder open: $(bench_host)"
echo "# commit $(bench_commit);" \
	"sizes $SIZES; $RUNS rounds after $WARMUP warm-up; page cache warm"
command -v mutt > /dev/null && echo "# $(mutt -v | head -n 1)"
command -v neomutt > /dev/null && echo "# $(neomutt -v | head -n 1)"
command -v mscan > /dev/null && echo "# mblaze $(dpkg-query -W -f '${Version}' mblaze 2> /dev/null || echo '?')"
bench_avail

for n in $SIZES; do
	md=$(bench_maildir "$n") || exit 1
	# mutt's and neomutt's warm runs need their header cache written once.
	for m in mutt neomutt; do
		case " $avail " in
		*" $m-warm "*)
			rm -rf "$RUN/hcache-$m"
			mkdir -p "$RUN/hcache-$m"
			run_one "$m-warm" "$md" "$n" warmup ;;
		esac
	done
	# Cold runs come first and so prime the warm runs after them.
	bench_rounds "$md" "$n"
done

bench_report "$RAW" <<'PY'
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
for n, peer, rnd, us, rss, st in rows:
    add((int(n), peer), us, rss, st, 1e6)

print()
print("%-15s %7s %5s %9s %19s %10s %5s" % ("peer", "msgs", "runs", "median s", "[min-max]", "peak MB", "fail"))
for (n, peer), r in sorted(res.items(), key=lambda kv: kv[0][0]):
    t = r["t"]
    if t:
        rng = "[%.3f-%.3f]" % (min(t), max(t))
        rs = mrss((n, peer))
        print("%-15s %7d %5d %9.3f %19s %10s %5d" % (peer, n, len(t), med((n, peer)), rng,
              "%.1f" % rs if rs is not None else "-", r["bad"]))
    else:
        print("%-15s %7d %5d %9s %19s %10s %5d" % (peer, n, 0, "-", "-", "-", r["bad"]))

# The targets of the performance issue, as ratios from this run.
pairs = [
    ("spool-ls-warm", "mscan", "time", "<= 1"),
    ("spool-ls-cold", "mscan", "time", ""),
    ("surel-cold", "mutt-cold", "time", "<= 0.5"),
    ("surel-warm", "mutt-warm", "time", "<= 0.25"),
    ("surel-cold", "mutt-cold", "rss", "<= 0.5"),
    ("surel-warm", "mutt-warm", "rss", "<= 0.5"),
    ("surel-cold", "neomutt-cold", "time", ""),
    ("surel-warm", "neomutt-warm", "time", ""),
    ("spool-ls-cold", "mutt-cold", "time", ""),
    ("spool-ls-warm", "mutt-warm", "time", ""),
]
sizes = sorted({n for n, _ in res})
lines = []
for n in sizes:
    for a, b, what, target in pairs:
        f = med if what == "time" else mrss
        x, y = f((n, a)), f((n, b))
        if x is None or y is None or y == 0:
            continue
        lines.append("%-15s / %-10s %-5s %7d msgs: %6.2fx %s" % (a, b, what, n, x / y,
                     "(target %s)" % target if target else ""))
if lines:
    print()
    print("ratios (medians of this run)")
    print("\n".join(lines))
sys.exit(1 if bad else 0)
PY
