#!/bin/sh
# Sorting and tagging benchmark: surel on a large Maildir (index cache
# warm), each scenario a whole run of `surel -f DIR -e KEYS` in a
# pseudo-terminal; the report subtracts the plain open-and-quit run, so
# what remains is the work of the keys (and the redraws they cause).
#
#   open      -e q                          open, draw, quit
#   sort1     -e 'osq'                      + the first sort by subject
#   sortback  -e 'os' + K x 'odos' + 'q'    + 2K more changes of order
#   tag       -e 'T~f wijaya<Enter>q'       + tag by pattern, whole folder
#
# Derived: "first sort" = sort1 - open; "sort switch" = (sortback - sort1)
# / 2K, one change of order (o and a letter) to an order made before;
# "tag pattern" = tag - open.  Targets (issue 16): a sort switch under
# 100 ms and a tag by pattern under 200 ms with 100000 messages.
#
#   bench/sort.sh                      # 100000 messages, 5 rounds
#   BENCH_SIZES=10000 BENCH_RUNS=9 bench/sort.sh
#   BENCH_SMOKE=1 bench/sort.sh        # 300 messages, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_opt SIZES 300 100000
bench_knobs sort 5 1 600
bench_opt SWITCHES 2 20
PEERS="open sort1 sortback tag"
bench_pty_knobs

bench_builddir mua/surel
bench_prog SUREL mua/surel
bench_time
bench_rundir
bench_home

have() {
	command -v script > /dev/null
}
why_not() {
	echo "script(1) (util-linux) is needed for a terminal"
}

keys_of() {
	case $1 in
	open) echo q ;;
	sort1) echo osq ;;
	sortback)
		k=os i=0
		while [ $i -lt "$SWITCHES" ]; do k="${k}odos"; i=$((i + 1)); done
		echo "${k}q" ;;
	tag) echo 'T~f wijaya<Enter>q' ;;
	esac
}

run_one() {
	peer=$1 md=$2 n=$3 round=$4
	# Every run starts from the folder's default order.
	rm -rf "$XDG_STATE_HOME/surel"
	rm -f "$RUN/typescript"
	cpu=
	[ -n "$TIME" ] && cpu="$TIME -f '%U %S' -o '$RUN/cpu'"
	cmd="exec $cpu $(bench_pty "'$SUREL' -f '$md' -e '$(keys_of "$peer")'")"
	bench_timed "$cmd" > /dev/null 2> "$RUN/err"
	status=ok
	if [ "$ex" -ne 0 ]; then
		status="exit-$ex"
	elif ! bench_screen "Msgs:$n\b"; then
		status=no-index
	elif [ "$peer" = tag ] && ! bench_screen "Tag:[0-9]"; then
		status=nothing-tagged
	fi
	# CPU time (user + system of surel and script, in microseconds): what
	# the keys cost, less disturbed than wall time on a busy machine.
	us=-1
	[ -s "$RUN/cpu" ] && us=$(tail -n 1 "$RUN/cpu" | awk '{ printf "%d", ($1 + $2) * 1000000 }')
	bench_record "$round" "$peer on $n messages" "$n $peer $round $(( (t1 - t0) / 1000 )) $rss $status $us"
}

echo "# sort and tag: $(bench_host)"
echo "# commit $(bench_commit); sizes $SIZES; $RUNS rounds after $WARMUP warm-up;" \
	"$SWITCHES back-and-forth switches; index cache warm"
bench_avail

for n in $SIZES; do
	md=$(bench_maildir "$n") || exit 1
	# The index cache, written once: every scenario reads it.
	run_one open "$md" "$n" warmup
	bench_rounds "$md" "$n"
done

bench_report "$RAW" "$SWITCHES" <<'PY'
switches = int(sys.argv[2])
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
cpu = {}
for n, peer, rnd, us, rss, st, cus in rows:
    add((int(n), peer), us, rss, st, 1e6)
    if st == "ok" and int(cus) >= 0:
        cpu.setdefault((int(n), peer), []).append(int(cus) / 1e6)

def mcpu(k):
    return statistics.median(cpu[k]) if k in cpu else None

print()
print("%-10s %7s %5s %9s %19s %10s %10s %5s" % ("scenario", "msgs", "runs", "median s", "[min-max]", "cpu s", "peak MB", "fail"))
for (n, peer), r in sorted(res.items(), key=lambda kv: kv[0][0]):
    t = r["t"]
    if t:
        rs = mrss((n, peer))
        c = mcpu((n, peer))
        print("%-10s %7d %5d %9.3f %19s %10s %10s %5d" % (peer, n, len(t), med((n, peer)),
              "[%.3f-%.3f]" % (min(t), max(t)), "%.3f" % c if c is not None else "-",
              "%.1f" % rs if rs is not None else "-", r["bad"]))

for what, f in (("wall", med), ("cpu", mcpu)):
    print()
    print("derived from %s time (medians of this run)" % what)
    for n in sorted({n for n, _ in res}):
        o, s1, sb, tg = (f((n, p)) for p in ("open", "sort1", "sortback", "tag"))
        if None not in (o, s1):
            print("first sort   %7d msgs: %7.1f ms" % (n, (s1 - o) * 1000))
        if None not in (s1, sb):
            print("sort switch  %7d msgs: %7.1f ms (target < 100 ms)" % (n, (sb - s1) * 1000 / (2 * switches)))
        if None not in (o, tg):
            print("tag pattern  %7d msgs: %7.1f ms (target < 200 ms)" % (n, (tg - o) * 1000))
sys.exit(1 if bad else 0)
PY
