# shellcheck shell=sh
# Shared by the bench/*.sh scripts (POSIX sh): options, the programs under
# test, the timed run, the rounds and the report.  Source it after setting
# HERE (the bench/ directory); it sets PY and ME (the script's name).
# run-all does not run it.
#
#   bench_opt VAR SMOKE FULL   VAR=$BENCH_VAR, else SMOKE with BENCH_SMOKE=1,
#                              else FULL
#   bench_builddir PROG        BENCH_BUILDDIR, else . when ./PROG is there,
#                              else the tree above bench/
#   bench_prog VAR PROG        VAR (from the environment), else
#                              $BENCH_BUILDDIR/PROG: must be executable
#                              (exit 1 otherwise); made absolute
#   bench_abs FILE             FILE as an absolute path
#   bench_time                 TIME=/usr/bin/time, or empty (with a warning)
#   bench_rundir [DIR...]      RUN=$WORK/run.PID (and DIRs below it), RAW, an
#                              empty $RAW; on exit bench_cleanup (the
#                              default removes $RUN: redefine it after)
#   bench_home                 export HOME and XDG_* below $RUN/home
#   bench_timed [-T] CMD [NAME=VALUE...]
#                              run sh -c CMD under timeout and /usr/bin/time
#                              (-T: time outside timeout), with the
#                              caller's redirections and NAME=VALUE in its
#                              environment; sets ex, t0, t1 (ns), rss (KiB
#                              of peak RSS) and cpu (ms of user + system
#                              time), both -1 when not measured
#   bench_dovecot              the private Dovecot of the integration tests
#                              (tests/integration/dovecot.sh) made ready to
#                              start: DATA, bench_rundir, T=$RUN, skip() and
#                              fail(), bench_cleanup stopping it, bench_home;
#                              without a source tree (tests/ missing) a
#                              "# NAME: skipped" line and exit 0.  Needs
#                              WORK; then set DC_* and run dovecot_start
#   bench_host                 date, host, cores and CPU model, for the
#                              first "# NAME: ..." line
#   bench_load                 the load averages
#   bench_commit               the commit of the tree bench/ is in
#   bench_avail                avail: the peers of $PEERS that have(); for
#                              the others a "# PEER: ..." line (why_not()
#                              when the script defines it)
#   bench_rounds [ARG...]      WARMUP + RUNS rounds: run_one PEER ARG... ROUND
#                              for every available peer, ROUND "warmup"
#                              in the warm-up rounds
#   bench_report [ARG...]      run the Python script on stdin with ARG...,
#                              after a prelude with statistics, sys and:
#                              res, order, bad; add(key, us, rss, st,
#                              scale, **extra) records a run (the time in
#                              seconds/scale units, RSS in MB, a failure);
#                              med(key), mrss(key) (None when unknown)

PY=${PYTHON:-python3}
ME=$(basename "$0")

bench_opt() {
	eval "_bench_v=\${BENCH_$1:-}"
	if [ -z "$_bench_v" ]; then
		if [ "${BENCH_SMOKE:-0}" = 1 ]; then _bench_v=$2; else _bench_v=$3; fi
	fi
	eval "$1=\$_bench_v"
}

bench_builddir() {
	if [ -z "${BENCH_BUILDDIR:-}" ]; then
		if [ -x "./$1" ]; then BENCH_BUILDDIR=.; else BENCH_BUILDDIR=$HERE/..; fi
	fi
}

bench_abs() {
	echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}

bench_prog() {
	eval "_bench_p=\${$1:-\$BENCH_BUILDDIR/$2}"
	[ -x "$_bench_p" ] || { echo "$ME: no ${2##*/} at '$_bench_p' (build first, or set $1)" >&2; exit 1; }
	eval "$1=\$(bench_abs \"\$_bench_p\")"
}

bench_time() {
	TIME=/usr/bin/time
	[ -x "$TIME" ] || { echo "$ME: no /usr/bin/time (apt-get install time): peak RSS not measured" >&2; TIME=; }
}

bench_cleanup() {
	rm -rf "$RUN"
}

bench_rundir() {
	RUN=$WORK/run.$$
	RAW=$RUN/raw
	mkdir -p "$RUN" || exit 1
	for _bench_d in "$@"; do
		mkdir -p "$RUN/$_bench_d" || exit 1
	done
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	: > "$RAW"
}

bench_home() {
	export HOME="$RUN/home" XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share"
	export XDG_CACHE_HOME="$RUN/home/.cache" XDG_STATE_HOME="$RUN/home/.local/state"
}

# shellcheck disable=SC2034 # ex, t0, t1, rss, cpu: for the caller
bench_timed() {
	_bench_outer=0
	[ "$1" = -T ] && { _bench_outer=1; shift; }
	_bench_cmd=$1
	shift
	[ $# -gt 0 ] && set -- env "$@"
	if [ -z "$TIME" ]; then
		set -- "$@" timeout "$TIMEOUT" sh -c "$_bench_cmd"
	elif [ $_bench_outer = 1 ]; then
		set -- "$@" "$TIME" -f '%M %U %S' -o "$RUN/rss" timeout "$TIMEOUT" sh -c "$_bench_cmd"
	else
		set -- "$@" timeout "$TIMEOUT" "$TIME" -f '%M %U %S' -o "$RUN/rss" sh -c "$_bench_cmd"
	fi
	t0=$(date +%s%N)
	"$@"
	ex=$?
	t1=$(date +%s%N)
	rss=-1 cpu=-1
	if [ -n "$TIME" ]; then
		rss=$(tail -n 1 "$RUN/rss" | cut -d' ' -f1)
		cpu=$(tail -n 1 "$RUN/rss" | awk '{ printf "%d", ($2 + $3) * 1000 }')
	fi
}

# shellcheck disable=SC2034 # DATA, T: read by dovecot.sh
bench_dovecot() {
	_bench_name=${ME%.sh}
	_bench_dovecot_sh=$HERE/../tests/integration/dovecot.sh
	DATA=$HERE/../tests/data
	[ -r "$_bench_dovecot_sh" ] && [ -r "$DATA/tls/ca.pem" ] || {
		echo "# $_bench_name: skipped: $_bench_dovecot_sh or $DATA/tls missing (a source tree is needed)"
		exit 0
	}
	mkdir -p "$WORK" || exit 1
	chmod o+x "$WORK" "$(dirname "$WORK")" 2> /dev/null
	bench_rundir
	T=$RUN
	skip() {
		echo "# $_bench_name: skipped: $*"
		rm -rf "$RUN"
		exit 0
	}
	fail() {
		echo "$ME: $*" >&2
		exit 1
	}
	# shellcheck source=../tests/integration/dovecot.sh
	. "$_bench_dovecot_sh"
	bench_cleanup() {
		dovecot_stop
		rm -rf "$RUN"
	}
	bench_home
	mkdir -p "$HOME"
}

bench_host() {
	echo "$(date -u +%Y-%m-%dT%H:%MZ) $(uname -n) $(nproc) cores," \
		"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2> /dev/null | head -n 1)"
}

bench_load() {
	cut -d' ' -f1-3 /proc/loadavg
}

bench_commit() {
	git -C "$HERE" rev-parse --short HEAD 2> /dev/null || echo unknown
}

bench_avail() {
	avail=
	for _bench_p in $PEERS; do
		if have "$_bench_p"; then
			avail="$avail $_bench_p"
		elif command -v why_not > /dev/null; then
			echo "# $_bench_p: skipped: $(why_not "$_bench_p")"
		else
			echo "# $_bench_p: not installed, skipped"
		fi
	done
}

bench_rounds() {
	_bench_r=0
	while [ "$_bench_r" -lt $((WARMUP + RUNS)) ]; do
		_bench_r=$((_bench_r + 1))
		_bench_round=$((_bench_r - WARMUP))
		[ "$_bench_r" -le "$WARMUP" ] && _bench_round=warmup
		for _bench_p in $avail; do
			run_one "$_bench_p" "$@" "$_bench_round"
		done
	done
}

bench_report() {
	{
		cat <<'PY'
import statistics, sys

res, order, bad = {}, [], 0

def add(key, us, rss, st, scale, **extra):
    global bad
    if key not in res:
        order.append(key)
    r = res.setdefault(key, dict(extra, t=[], rss=[], bad=0))
    if st != "ok":
        r["bad"] += 1
        bad += 1
        return
    r["t"].append(int(us) / scale)
    r["rss"].append(int(rss) / 1024)

def med(k):
    r = res.get(k)
    return statistics.median(r["t"]) if r and r["t"] else None

def mrss(k):
    r = res.get(k)
    return statistics.median(r["rss"]) if r and r["rss"] and min(r["rss"]) >= 0 else None

PY
		cat
	} | "$PY" - "$@"
}

# More shared pieces (kept below the functions above so that the two
# halves can change independently):
#
#   bench_knobs NAME RUNS WARMUP TIMEOUT
#                              the knobs of every script: RUNS and WARMUP
#                              (bench_opt; smoke: 1 and 0), SEED
#                              (BENCH_SEED, 7), TIMEOUT (BENCH_TIMEOUT,
#                              seconds) and WORK (BENCH_WORK, else
#                              $TMPDIR/surel-bench/NAME)
#   bench_maildir N            print the directory of gen-maildir.py's
#                              Maildir of N messages with $SEED,
#                              $WORK/maildir-N, generated only when N, the
#                              seed or the generator changed (the stamp file
#                              beside it says which); 1 after a message
#                              when generating fails
#   bench_pty_knobs            ROWS, COLS (BENCH_ROWS, BENCH_COLS: 50, 160)
#                              and TERM (BENCH_TERM: xterm), exported
#   bench_pty CMD              print a command line (for sh -c) that runs
#                              CMD with script(1) in a ROWS x COLS
#                              pseudo-terminal, the screen written to
#                              $RUN/typescript
#   bench_screen RE            the typescript holds RE (grep -a)
#   bench_record ROUND LABEL LINE
#                              end of a run: when $status is not ok a line
#                              "ME: LABEL: STATUS: " and the start of
#                              $RUN/err on stderr; LINE appended to $RAW
#                              unless ROUND is warmup

# shellcheck disable=SC2034 # RUNS, WARMUP, SEED, TIMEOUT: for the caller
bench_knobs() {
	bench_opt RUNS 1 "$2"
	bench_opt WARMUP 0 "$3"
	SEED=${BENCH_SEED:-7}
	TIMEOUT=${BENCH_TIMEOUT:-$4}
	WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/surel-bench/$1}
}

bench_maildir() {
	_bench_dir=$WORK/maildir-$1
	_bench_stamp="n=$1 seed=$SEED gen=$(cksum < "$HERE/gen-maildir.py" | cut -d' ' -f1)"
	if [ "$(cat "$_bench_dir.stamp" 2> /dev/null)" != "$_bench_stamp" ]; then
		rm -rf "$_bench_dir" "$_bench_dir.stamp"
		echo "$ME: generating $1 messages in $_bench_dir" >&2
		"$PY" "$HERE/gen-maildir.py" "$_bench_dir" "$1" --seed "$SEED" > /dev/null ||
			{ echo "$ME: generating $1 messages failed" >&2; return 1; }
		echo "$_bench_stamp" > "$_bench_dir.stamp"
	fi
	echo "$_bench_dir"
}

bench_pty_knobs() {
	ROWS=${BENCH_ROWS:-50}
	COLS=${BENCH_COLS:-160}
	export TERM="${BENCH_TERM:-xterm}"
}

bench_pty() {
	echo "script -qefc \"stty rows $ROWS cols $COLS 2> /dev/null; exec $1\" '$RUN/typescript'"
}

bench_screen() {
	tr -d '\000' < "$RUN/typescript" | grep -aq "$1"
}

# shellcheck disable=SC2154 # status: the caller's verdict on the run
bench_record() {
	[ "$status" = ok ] || echo "$ME: $2: $status: $(head -c 300 "$RUN/err" 2> /dev/null)" >&2
	[ "$1" = warmup ] && return 0
	echo "$3" >> "$RAW"
}
