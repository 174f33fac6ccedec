#!/bin/sh
# Address book benchmark: building the book learned from mail (every To,
# Cc and Bcc of a Sent folder of N messages) with no cache, answering a
# query with the cache (what the MUA's first Tab costs, then every Tab),
# and bringing the book up to date after 100 new replied-to messages.
# `spool -v addresses` reports the two in-process costs (book ready,
# query); the wall time is the whole command.  No peer: mutt, aerc and
# khard have no book learned from mail to compare with (notmuch address
# needs its own database, built by notmuch new).  See bench/README.md.
#
#   bench/abook.sh                        # 50000 messages, 5 rounds
#   BENCH_SIZES=10000 bench/abook.sh
#   BENCH_SMOKE=1 bench/abook.sh          # 300 messages, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_opt SIZES 300 50000
bench_knobs abook 5 1 600
QUERY=${BENCH_QUERY:-sap}
PEERS="build warm incr"

bench_builddir spool/spool
bench_prog SPOOL spool/spool
bench_time
bench_rundir home
bench_home

have() { return 0; }

# The account: the generated Maildir as its Sent folder (a symbolic link
# to a Maildir is a folder), an INBOX the incr runs add to.
setup() {
	rm -rf "$RUN/Mail" "$HOME/.cache/surel"
	mkdir -p "$RUN/Mail/INBOX/cur" "$RUN/Mail/INBOX/new" "$RUN/Mail/INBOX/tmp" "$XDG_CONFIG_HOME/surel"
	ln -s "$1" "$RUN/Mail/Sent"
	printf '[account bench]\naddress = ana@example.co.id\nmaildir = %s\n' "$RUN/Mail" \
		> "$XDG_CONFIG_HOME/surel/config"
	find "$1/cur" -type f | head -n 100 | sed 's|.*/||' > "$RUN/sample"
	seq=0
}

# incr: 100 messages the user replied to (flag R), new since the last run.
add_replied() {
	seq=$((seq + 1))
	i=0
	while read -r f; do
		i=$((i + 1))
		cp "$md/cur/$f" "$RUN/Mail/INBOX/cur/$seq.$i.bench:2,RS"
	done < "$RUN/sample"
}

run_one() {
	peer=$1 n=$2 round=$3
	case $peer in
	build) rm -rf "$HOME/.cache/surel" ;;
	incr) add_replied ;;
	esac
	bench_timed "exec '$SPOOL' -v addresses '$QUERY'" > /dev/null 2> "$RUN/err"
	status=ok
	[ "$ex" -eq 0 ] || status="exit-$ex"
	# "address book of A addresses ready in X ms; M matches in Y ms"
	# shellcheck disable=SC2046 # four numbers, split on purpose
	set -- $(sed -n 's/.* of \([0-9]*\) addresses ready in \([0-9.]*\) ms; \([0-9]*\) matches in \([0-9.]*\) ms$/\1 \2 \3 \4/p' "$RUN/err")
	[ $# -eq 4 ] || { status=no-timing; set -- 0 0 0 0; }
	bench_record "$round" "$peer on $n messages" "$n $peer $round $(( (t1 - t0) / 1000 )) $rss $status $1 $2 $3 $4"
}

echo "# address book: $(bench_host)"
echo "# commit $(bench_commit); sizes $SIZES; $RUNS rounds after $WARMUP warm-up;" \
	"query '$QUERY'; page cache warm; load $(bench_load)"
bench_avail

for n in $SIZES; do
	md=$(bench_maildir "$n") || exit 1
	setup "$md"
	# Each round's build leaves the cache its warm and incr runs use.
	bench_rounds "$n"
done

bench_report "$RAW" <<'PY'
import statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
extra = {}
for n, peer, rnd, us, rss, st, naddr, ready, nmatch, query in rows:
    add((int(n), peer), us, rss, st, 1e6)
    if st == "ok":
        e = extra.setdefault((int(n), peer), dict(ready=[], query=[], naddr=naddr, nmatch=nmatch))
        e["ready"].append(float(ready))
        e["query"].append(float(query))

print()
print("%-6s %7s %5s %9s %19s %9s %9s %9s %6s %5s" % ("run", "msgs", "runs", "median s", "[min-max]",
      "ready ms", "query ms", "peak MB", "addrs", "fail"))
for (n, peer), r in sorted(res.items(), key=lambda kv: kv[0][0]):
    t = r["t"]
    e = extra.get((n, peer))
    if not t or not e:
        print("%-6s %7d %5d %9s" % (peer, n, 0, "-"))
        continue
    rs = mrss((n, peer))
    print("%-6s %7d %5d %9.3f %19s %9.1f %9.2f %9s %6s %5d" % (peer, n, len(t), med((n, peer)),
          "[%.3f-%.3f]" % (min(t), max(t)), statistics.median(e["ready"]),
          statistics.median(e["query"]), "%.1f" % rs if rs is not None else "-", e["naddr"], r["bad"]))

print()
print("targets (issue 15): build under 1 s, a completion under 20 ms")
for n in sorted({n for n, _ in res}):
    b, w = med((n, "build")), extra.get((n, "warm"))
    if b is not None:
        print("  build, %d msgs, whole command: %.3f s" % (n, b))
    if w:
        q, rd = statistics.median(w["query"]), statistics.median(w["ready"])
        print("  %d msgs: one query %.2f ms (every Tab); book ready %.1f ms + query (the first Tab): %.1f ms"
              % (n, q, rd, rd + q))
sys.exit(1 if bad else 0)
PY
