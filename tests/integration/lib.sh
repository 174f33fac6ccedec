# Shared by the integration tests: paths to the built programs, a scratch
# directory removed on exit, and small assertions.  Source it; the
# automake harness sets top_builddir and top_srcdir.
set -eu
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
SPOOL="$top_builddir/spool/spool"
DATA="$top_srcdir/tests/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/surel-it.XXXXXX")
# The scratch directory goes last.  A detached child (a background search
# indexer, a queue run surel started) may still write into it for a
# moment, so a failed removal is tried once more a second later; either
# way it never changes the test's status (an exit trap runs under set -e).
scratch_remove() {
	rm -rf "$T" 2> /dev/null || { sleep 1 && rm -rf "$T"; } || true
}
trap 'scratch_remove' EXIT INT TERM
# A private home so no test reads or writes the user's files.
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_DATA_HOME="$T/home/.local/share" \
	XDG_CACHE_HOME="$T/home/.cache" XDG_STATE_HOME="$T/home/.local/state"
mkdir -p "$HOME"
ntest=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	ntest=$((ntest + 1))
	echo "ok $ntest - $*"
}

# expect_exit CODE CMD...: run CMD, check its exit status.
expect_exit() {
	want=$1
	shift
	set +e
	"$@" > "$T/out" 2> "$T/err"
	got=$?
	set -e
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(cat "$T/err")"
}

# One line on stderr, starting with the program's name.
expect_one_line_error() {
	[ "$(wc -l < "$T/err")" -eq 1 ] || fail "expected one line on stderr, got: $(cat "$T/err")"
	grep -q "^$1: " "$T/err" || fail "stderr does not start with '$1: ': $(cat "$T/err")"
}

# wait_file FILE WHY: until FILE exists and is not empty (a port or PID
# file a child writes when it is ready), at most 10 s; else the test
# fails with WHY.
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$2"
		sleep 0.1
	done
}

# search_hits QUERY: how many messages the search index, as it is (no
# refresh), answers QUERY with; $SPOOL and its configuration are the
# caller's.  search_wait QUERY N WHAT [SECONDS]: until that is N, at most
# SECONDS (30 by default; a background indexer at work, at nice 10 on a
# loaded machine); else the test fails naming WHAT.
search_hits() {
	"$SPOOL" search --no-refresh --limit 0 "$1" 2> /dev/null | wc -l
}

search_wait() {
	i=0
	while [ "$(search_hits "$1")" -ne "$2" ]; do
		i=$((i + 1))
		[ $i -lt $((${4:-30} * 10)) ] || fail "$3: $(search_hits "$1") of $2 found after ${4:-30} s"
		sleep 0.1
	done
}

# peer_start SCRIPT ARGS...: the scripted peer tests/peer/SCRIPT ARGS (the
# caller checks for python3) on a loopback port the kernel chose, $PORT
# once it listens; one at a time: a running one is stopped first.
# peer_stop stops it (call it from the test's EXIT trap too).
peer_pid=""
peer_start() {
	script=$1
	shift
	peer_stop
	rm -f "$T/port"
	python3 "$top_srcdir/tests/peer/$script" "$@" --port-file "$T/port" &
	peer_pid=$!
	wait_file "$T/port" "the peer $script did not start"
	PORT=$(cat "$T/port")
}

peer_stop() {
	if [ -n "$peer_pid" ]; then
		kill "$peer_pid" 2> /dev/null || true
		wait "$peer_pid" 2> /dev/null || true
		peer_pid=""
	fi
}

skip() {
	echo "SKIP: $*"
	exit 77
}
