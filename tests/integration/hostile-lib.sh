# Shared by the hostile-*.sh tests: a scripted fault peer from tests/peer/,
# and a bounded run of one client that records its exit status, its run
# time and its peak memory.  Source it after lib.sh.
#
#   peer_start SCRIPT ARGS...   (lib.sh) start tests/peer/SCRIPT on a free
#                               loopback port ($PORT); stopped by peer_stop
#                               / on exit
#   bounded LIMIT CMD...        run CMD with a hard limit of LIMIT seconds
#                               (SIGKILL then); sets $rc, $secs, $rss_kb and
#                               leaves stdout/stderr in $T/out, $T/err
#   check_bounds WHAT CODES MAXSECS
#                               rc is one of CODES (blank separated), the
#                               run took at most MAXSECS, peak RSS stayed
#                               below RSS_MAX_KB, stderr is one line without
#                               control characters
#
# For the spool fetch tests (hostile-imap.sh, hostile-pop3.sh):
#
#   fetch_setup PROTO           a silent or dripping server is given 3 s
#                               (SPOOL_NET_TIMEOUT); $M is the Maildir
#   config                      the account: fetch PROTO://127.0.0.1:$PORT
#                               into $M, user t, tls = off
#   fetch_case MODE CODES [ARGS]
#                               a fresh Maildir, one `spool fetch -v`
#                               against PROTO-peer.py --mode MODE [ARGS];
#                               check_bounds "PROTO MODE" CODES 20
#   fetch_good                  a well-behaved peer: its 3 messages
#   fetch_nothing_stored MODE...
#                               each MODE fails (75 or 76) leaving nothing
#                               in the Maildir, no empty file either
#   fetch_bad_utf8              invalid UTF-8 in the dialogue and the
#                               body: the message stored byte for byte
#   fetch_after_drip            a dripping server cut off, then a good
#                               one: every message fetched exactly once
command -v python3 > /dev/null || skip "python3 is needed for the peers"
[ -x /usr/bin/time ] || skip "/usr/bin/time is needed (package time)"
command -v timeout > /dev/null || skip "timeout (coreutils) is needed"
# The bound every hostile case must stay under: 64 MB of resident memory.
RSS_MAX_KB=65536
trap 'peer_stop; scratch_remove' EXIT INT TERM
# Peak RSS per case, reported at the end.
: > "$T/rss.txt"

bounded() {
	lim=$1
	shift
	t0=$(date +%s.%N)
	set +e
	timeout -s KILL "$lim" /usr/bin/time -f %M -o "$T/rss" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	set -e
	secs=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")
	rss_kb=$(tail -1 "$T/rss" 2> /dev/null || echo 0)
	case "$rss_kb" in *[!0-9]*|'') rss_kb=0 ;; esac
	# /usr/bin/time says "Command exited with non-zero status N" first.
	grep -v '^Command exited' "$T/err" > "$T/err.clean" || true
	mv "$T/err.clean" "$T/err"
}

check_bounds() {
	what=$1 codes=$2 maxs=$3
	printf '%-40s rc=%s %5ss %6s kB\n' "$what" "$rc" "$secs" "$rss_kb" >> "$T/rss.txt"
	[ "$rc" -ne 137 ] || fail "$what: the client did not give up; killed after the hard limit"
	ok_rc=0
	for c in $codes; do [ "$rc" -eq "$c" ] && ok_rc=1; done
	[ $ok_rc -eq 1 ] || fail "$what: exit $rc, expected one of $codes; stderr: $(head -c 600 "$T/err")"
	python3 -c "import sys; sys.exit(0 if float('$secs') <= $maxs else 1)" ||
		fail "$what: took ${secs}s, more than ${maxs}s"
	[ "$rss_kb" -gt 0 ] && [ "$rss_kb" -lt $RSS_MAX_KB ] ||
		fail "$what: peak RSS ${rss_kb} kB, bound $RSS_MAX_KB kB"
	if [ "$rc" -ne 0 ]; then
		[ "$(wc -l < "$T/err")" -eq 1 ] || fail "$what: expected one line on stderr: $(head -c 600 "$T/err")"
	fi
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/err" "$T/out" &&
		fail "$what: a control character from the peer reached the output: $(od -c "$T/err" | head)"
	return 0
}

# Messages visible in a Maildir (cur/ and new/).
visible() {
	find "$1/cur" "$1/new" -type f 2> /dev/null | wc -l
}

report_rss() {
	echo "# case                                     exit  time  peak RSS"
	sed 's/^/# /' "$T/rss.txt"
}

fetch_setup() {
	fetch_proto=$1
	# A silent or dripping server is given this many seconds.
	export SPOOL_NET_TIMEOUT=3
	M="$T/Mail"
	mkdir -p "$XDG_CONFIG_HOME/surel"
}

config() {
	cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[account t]
address = t@example.test
maildir = $M
fetch = $fetch_proto://127.0.0.1:$PORT
tls = off
user = t
password_cmd = printf 'peer-pass'
CF
}

# fetch_case MODE CODES [ARGS]: a fresh Maildir, one fetch against MODE.
fetch_case() {
	mode=$1 codes=$2
	shift 2
	rm -rf "$M"
	peer_start "$fetch_proto-peer.py" --mode "$mode" --max-time 40 "$@"
	config
	bounded 30 "$SPOOL" fetch -v
	check_bounds "$fetch_proto $mode" "$codes" 20
	peer_stop
}

fetch_good() {
	fetch_case ok 0
	[ "$(visible "$M/INBOX")" -eq 3 ] || fail "ok: expected 3 messages, got $(visible "$M/INBOX")"
	ok "a well-behaved peer: 3 messages (${rss_kb} kB)"
}

# Failures that must leave nothing: a temporary failure (75), or a
# protocol error (76) for a reply that cannot be parsed.
fetch_nothing_stored() {
	for mode in "$@"; do
		fetch_case "$mode" "75 76"
		[ "$(visible "$M/INBOX")" -eq 0 ] || fail "$mode: a message was stored: $(find "$M" -type f)"
		[ -z "$(find "$M/INBOX/cur" "$M/INBOX/new" -type f -size 0 2> /dev/null)" ] || fail "$mode: an empty file"
		ok "$mode: exit $rc after ${secs}s, ${rss_kb} kB, nothing stored: $(cat "$T/err")"
	done
}

# The peer's bad-utf8 mode puts invalid UTF-8 in what it says and in the
# body: the message is mail all the same and is stored byte for byte.
fetch_bad_utf8() {
	fetch_case bad-utf8 0 --count 1
	[ "$(visible "$M/INBOX")" -eq 1 ] || fail "bad-utf8: expected 1 message"
	f=$(find "$M/INBOX/cur" "$M/INBOX/new" -type f)
	grep -q "$(printf 'invalid utf-8: \377\376 \300\200 \355\240\200 end')" "$f" ||
		fail "bad-utf8: the body is not byte for byte: $(od -c "$f" | tail -5)"
	ok "invalid UTF-8: stored byte for byte (${rss_kb} kB)"
}

# A bounded drip after a successful first fetch leaves the state as it was:
# the next good run fetches everything exactly once.
fetch_after_drip() {
	rm -rf "$M"
	peer_start "$fetch_proto-peer.py" --mode drip --max-time 40
	config
	bounded 30 "$SPOOL" fetch
	check_bounds "$fetch_proto drip, then ok" "75 76" 20
	peer_start "$fetch_proto-peer.py" --mode ok --max-time 40
	config
	bounded 30 "$SPOOL" fetch
	check_bounds "$fetch_proto ok after drip" 0 20
	[ "$(visible "$M/INBOX")" -eq 3 ] || fail "after the drip: $(visible "$M/INBOX") messages, expected 3"
	bounded 30 "$SPOOL" fetch
	[ "$(visible "$M/INBOX")" -eq 3 ] || fail "second fetch duplicated messages"
	ok "after a failed fetch a good one gets every message exactly once"
}
