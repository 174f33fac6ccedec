#!/bin/sh
# Search benchmark: spool's full-text index (spool index, spool search)
# against notmuch on the same Maildir: building the index from nothing
# (spool index --rebuild vs notmuch new on an empty database), a one-word
# query (spool search --limit 100 WORD vs notmuch search --limit=100 WORD),
# the size of the index on disk, and 100 new messages indexed incrementally
# (spool index vs notmuch new).  Indexing runs once per size (it is
# minutes at 100000 messages); queries and increments alternate RUNS times.
# See bench/README.md.
#
#   bench/search.sh                        # 100000 messages
#   BENCH_SIZES=10000 BENCH_RUNS=9 bench/search.sh
#   BENCH_SMOKE=1 bench/search.sh          # 300 messages, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_opt SIZES 300 100000
bench_opt RUNS 1 9
bench_opt WORDS "budget" "budget migration laporan"
SEED=${BENCH_SEED:-7}
TIMEOUT=${BENCH_TIMEOUT:-3600}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/surel-bench/search}

bench_builddir spool/spool
bench_prog SPOOL spool/spool
bench_time
bench_rundir home
bench_home
HAVE_NOTMUCH=0
command -v notmuch > /dev/null && HAVE_NOTMUCH=1

# A Maildir of n messages, generated once per n, seed and generator, and
# copied so that the runs may add to it.  Replies carry their parent's
# References (--threads chain), as mail readers write them: with the
# generator's default of random recent References nearly every message
# ends in one thread, which notmuch merges message by message (its
# indexing then grows with the square of the count: 27 messages a second
# at 2000 messages).
maildir() {
	src=$WORK/maildir-$1
	stamp="n=$1 seed=$SEED threads=chain gen=$(cksum < "$HERE/gen-maildir.py" | cut -d' ' -f1)"
	if [ "$(cat "$src.stamp" 2> /dev/null)" != "$stamp" ]; then
		rm -rf "$src" "$src.stamp"
		echo "search.sh: generating $1 messages in $src" >&2
		"$PY" "$HERE/gen-maildir.py" "$src" "$1" --seed "$SEED" --threads chain > /dev/null || return 1
		echo "$stamp" > "$src.stamp"
	fi
	rm -rf "$RUN/mail"
	cp -r "$src" "$RUN/mail"
}

setup() {
	mkdir -p "$XDG_CONFIG_HOME/surel"
	printf '[account b]\naddress = b@example.test\nmaildir = %s\n' "$RUN/mail" \
		> "$XDG_CONFIG_HOME/surel/config"
	printf '[database]\npath=%s\nmail_root=%s\n[new]\ntags=\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=true\n' \
		"$RUN/notmuch-db" "$RUN/mail" > "$RUN/notmuch-config"
	export NOTMUCH_CONFIG="$RUN/notmuch-config"
	rm -rf "$RUN/notmuch-db" "$XDG_CACHE_HOME/surel/search"
	mkdir -p "$RUN/notmuch-db"
}

# Record one timed run: SIZE TASK PEER ROUND.
timed() {
	n=$1 task=$2 peer=$3 round=$4
	shift 4
	bench_timed "$*" > "$RUN/out" 2> "$RUN/err"
	st=ok
	[ "$ex" -eq 0 ] || { st="exit-$ex"; echo "search.sh: $peer $task: $(head -c 300 "$RUN/err")" >&2; }
	echo "$n $task $peer $round $(( (t1 - t0) / 1000 )) $rss $st $(wc -l < "$RUN/out") $cpu" >> "$RAW"
}

# 100 new messages in new/, named apart from every earlier round's.
add_new() {
	"$PY" "$HERE/gen-maildir.py" "$RUN/more" 100 --seed "$((SEED + 1000 + $1))" --threads chain > /dev/null
	for f in "$RUN"/more/cur/* "$RUN"/more/new/*; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		mv "$f" "$RUN/mail/new/r$1.${b%%:*}"
	done
	rm -rf "$RUN/more"
}

echo "# search: $(bench_host)"
echo "# commit $(bench_commit); sizes $SIZES; $RUNS rounds; words: $WORDS; page cache warm"
if [ "$HAVE_NOTMUCH" = 1 ]; then
	echo "# $(notmuch --version)"
else
	echo "# notmuch: not installed, skipped"
fi
echo "# sqlite $(sqlite3 --version 2> /dev/null | cut -d' ' -f1 || echo '?')"

for n in $SIZES; do
	maildir "$n" || { echo "search.sh: generating $n messages failed" >&2; exit 1; }
	setup
	echo "# $n messages: load $(bench_load) before indexing"
	timed "$n" index spool 1 "'$SPOOL' index --rebuild"
	[ "$HAVE_NOTMUCH" = 1 ] && echo "# $n messages: load $(bench_load) before notmuch new" &&
		timed "$n" index notmuch 1 "notmuch new --quiet"
	db=$(ls "$XDG_CACHE_HOME"/surel/search/*.db)
	echo "$n size spool 1 $(du -sk "$db" | cut -f1) -1 ok 0 -1" >> "$RAW"
	[ "$HAVE_NOTMUCH" = 1 ] && echo "$n size notmuch 1 $(du -sk "$RUN/notmuch-db" | cut -f1) -1 ok 0 -1" >> "$RAW"
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		r=$((r + 1))
		for w in $WORDS; do
			timed "$n" "query:$w" spool "$r" "'$SPOOL' search --limit 100 '$w'"
			[ "$HAVE_NOTMUCH" = 1 ] && timed "$n" "query:$w" notmuch "$r" "notmuch search --limit=100 '$w'"
		done
		add_new "$r"
		timed "$n" incr100 spool "$r" "'$SPOOL' index"
		[ "$HAVE_NOTMUCH" = 1 ] && timed "$n" incr100 notmuch "$r" "notmuch new --quiet"
	done
	echo "# $n messages: load $(bench_load) after the rounds"
done

bench_report "$RAW" <<'PY'
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
lines = {}
cpu = {}
for n, task, peer, rnd, v, rss, st, nout, ms in rows:
    if task == "size":
        res[(int(n), task, peer)] = dict(t=[int(v) / 1024], rss=[], bad=0)
        continue
    add((int(n), task, peer), v, rss, st, 1e6)
    lines[(int(n), task, peer)] = int(nout)
    if st == "ok" and int(ms) >= 0:
        cpu.setdefault((int(n), task, peer), []).append(int(ms) / 1000)

print()
print("%-7s %-22s %-8s %5s %10s %19s %9s %9s %5s" % ("msgs", "task", "peer", "runs", "median",
      "[min-max]", "CPU s", "peak MB", "fail"))
for (n, task, peer), r in sorted(res.items()):
    t = r["t"]
    unit = "MB" if task == "size" else "s"
    if not t:
        print("%-7d %-22s %-8s %5d %10s" % (n, task, peer, 0, "-"))
        continue
    rs = mrss((n, task, peer))
    c = cpu.get((n, task, peer))
    print("%-7d %-22s %-8s %5d %8.3f %s %19s %9s %9s %5d" % (
        n, task, peer, len(t), statistics.median(t), unit,
        "[%.3f-%.3f]" % (min(t), max(t)), "%.3f" % statistics.median(c) if c else "-",
        "%.1f" % rs if rs is not None else "-", r["bad"]))
print("(median wall time; CPU s: median user + system time)")

print()
print("ratios spool / notmuch (medians of this run; targets of the search issue)")
targets = {"index": "<= 1, aim 0.33", "size": "<= 1", "incr100": "spool < 0.5 s"}
for (n, task, peer) in sorted(res):
    if peer != "spool":
        continue
    a = statistics.median(res[(n, task, peer)]["t"]) if res[(n, task, peer)]["t"] else None
    b = res.get((n, task, "notmuch"))
    b = statistics.median(b["t"]) if b and b["t"] else None
    if a is None or not b:
        continue
    tgt = targets.get(task, "<= 1, aim 10 ms" if task.startswith("query") else "")
    print("%-7d %-22s %6.2fx  (%s)" % (n, task, a / b, tgt))
sys.exit(1 if bad else 0)
PY
