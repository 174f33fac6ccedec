# Shared by the sync-*.sh tests: a private Dovecot with SPECIAL-USE folders
# (the Sent one named "Sent Messages"), Maildir++ names ('.' between levels),
# the account 't' of fetch-lib.sh syncing into $T/m, and the independent
# IMAP client and Maildir changer tests/tools/syncpeer.py.  Source it; set
# SYNC_NO_CONDSTORE=1 first to run against a server without CONDSTORE and
# QRESYNC (SYNC_IMAP_CAPS, when set, is then the whole capability list).
. "$(dirname "$0")/fetch-lib.sh"

DC_EXTRA='namespace inbox {
  inbox = yes
  separator = .
  mailbox "Sent Messages" {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
}'
if [ -n "${SYNC_NO_CONDSTORE:-}" ]; then
	DC_EXTRA="$DC_EXTRA
protocol imap {
  imap_capability = ${SYNC_IMAP_CAPS:-IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE CHILDREN UNSELECT UIDPLUS MOVE SPECIAL-USE}
}"
fi
dovecot_start
M="$T/m"
config "$M" "imap://127.0.0.1:$DC_IMAP" "tls_ca_file = $DATA/tls/ca.pem
${SYNC_CONF:-}"

peer() {
	python3 "$top_srcdir/tests/tools/syncpeer.py" "$DC_IMAP" "$DC_USER" "$DC_PASS" "$M" "$@"
}

# agree WHAT: both sides hold the same folders, messages and flags.
agree() {
	peer compare > "$T/cmp" 2>&1 || fail "$1: the sides differ: $(head -c 2000 "$T/cmp")"
}

# json_is WHAT FIELD=VALUE...: the account's counters in the --json
# report in $T/out (expect_exit's); else the test fails naming WHAT.
json_is() {
	what=$1
	shift
	python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))["accounts"][0]
for kv in sys.argv[2:]:
    k, v = kv.split("=")
    assert a[k] == int(v), (k, a)' "$T/out" "$@" || fail "$what: $(cat "$T/out")"
}

# move_one TO: the first message of INBOX/cur moved to the folder TO as
# surel moves (the same name); the next sync must move it on the server,
# neither push it again nor remove it there, and leave both sides agreeing.
move_one() {
	k=$(ls "$M/INBOX/cur" | head -n 1)
	mv "$M/INBOX/cur/$k" "$M/$1/cur/$k"
	expect_exit 0 "$SPOOL" sync --json
	json_is move moved=1 pushed=0 removed_remote=0
	agree "after a move"
}

# killed_sync SEED SECONDS: a sync killed -9 after a random time of up to
# SECONDS, drawn from SEED (a failing round can be run again).
killed_sync() {
	"$SPOOL" sync > /dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v s="$1" -v m="$2" 'BEGIN { srand(s); printf "%.2f", rand() * m }')"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
}

# start_watch: spool -vv watch --all in the background ($WPID), stderr in
# $T/watch.err.  stop_watch: SIGTERM, then it must end within 10 s, exit
# 0 and have said nothing of a sanitizer.
start_watch() {
	"$SPOOL" -vv watch --all 2> "$T/watch.err" &
	WPID=$!
}

stop_watch() {
	kill -TERM "$WPID"
	i=0
	while kill -0 "$WPID" 2> /dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$WPID" 2> /dev/null && fail "watch --all still running 10 s after SIGTERM"
	set +e
	wait "$WPID"
	rc=$?
	set -e
	WPID=
	[ "$rc" -eq 0 ] || fail "watch --all exited $rc after SIGTERM: $(cat "$T/watch.err")"
	! grep -q "runtime error\|Sanitizer" "$T/watch.err" || fail "sanitizer: $(cat "$T/watch.err")"
}
