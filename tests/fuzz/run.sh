#!/bin/sh
# Run the libFuzzer targets of a build configured with --enable-fuzzing
# (CC=clang).  Builds nothing: run it from the top of that build directory.
#
#   tests/fuzz/run.sh [SECONDS [TARGET...]]
#
# For each built target (all of them, or the TARGETs named: msg, codec, ...):
# first every kept crash input in tests/data/fuzz-crashes/TARGET/ is run
# once (regression), then the target fuzzes for SECONDS (default 20) on a
# temporary copy of its seeds (tests/fuzz/seeds/TARGET/; msg starts from
# tests/data/corpus), under ASan+UBSan with leak checking.  Prints the
# executions per target.  A crash, leak, timeout (10 s per input) or
# memory blow-up (2 GiB) fails the run, and the input that caused it is
# copied into tests/data/fuzz-crashes/TARGET/ of the source tree, to be
# fixed and kept as a regression case.  FUZZ_ARGS adds libFuzzer options
# (e.g. FUZZ_ARGS=-fork=2 for a campaign on two cores).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
[ $# -gt 0 ] && shift
all="msg codec cfg queue_env smtp_reply fetchstate index_cache mbox mutf7 mailto abook flowed dsnparse"
targets=${*:-$all}

if [ ! -x tests/fuzz/fuzz_msg ]; then
	echo "run.sh: no fuzz targets here: run from a build directory configured with --enable-fuzzing CC=clang (and built)" >&2
	exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/surel-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
passed=0
for t in $targets; do
	bin=tests/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "fuzz_$t: not built" >&2
		failed=$((failed + 1))
		continue
	fi
	crashes="$top/tests/data/fuzz-crashes/$t"
	ok=1

	# Regression: kept crash inputs, each run once.
	set --
	if [ -d "$crashes" ]; then
		for f in "$crashes"/*; do
			[ -f "$f" ] && set -- "$@" "$f"
		done
	fi
	if [ $# -gt 0 ]; then
		if "$bin" -rss_limit_mb=2048 -timeout=10 "$@" > "$tmp/$t.regress.log" 2>&1; then
			echo "fuzz_$t: $# kept crash inputs pass"
		else
			echo "fuzz_$t: a kept crash input fails again:"
			tail -n 40 "$tmp/$t.regress.log"
			ok=0
		fi
	fi

	# Fuzzing, on a copy of the seeds (libFuzzer adds to its corpus).
	mkdir -p "$tmp/$t/corpus" "$tmp/$t/out"
	if [ "$t" = msg ]; then
		seeds="$top/tests/data/corpus"
	else
		seeds="$top/tests/fuzz/seeds/$t"
	fi
	[ -d "$seeds" ] && cp -R "$seeds/." "$tmp/$t/corpus/"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$tmp/$t/out/" ${FUZZ_ARGS:-} \
		"$tmp/$t/corpus" > "$tmp/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log" | awk '{s+=$1} END {print s+0}')
	# -fork prints no final stats: its last status line has the count.
	[ "$execs" -gt 0 ] || execs=$(sed -n 's/^#\([0-9][0-9]*\)[:\t ].*/\1/p' "$tmp/$t.log" | tail -n 1)
	found=$(ls "$tmp/$t/out" 2>/dev/null)
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		echo "fuzz_$t: FAILED (exit $rc) after $execs executions:"
		grep -v '^#[0-9]' "$tmp/$t.log" | tail -n 60
		if [ -n "$found" ]; then
			mkdir -p "$crashes"
			for f in "$tmp/$t/out"/*; do
				cp "$f" "$crashes/" && echo "fuzz_$t: input kept as $crashes/$(basename "$f")"
			done
		fi
		ok=0
	else
		echo "fuzz_$t: $execs executions in $secs s, corpus $(ls "$tmp/$t/corpus" | wc -l) inputs"
	fi
	if [ $ok -eq 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
