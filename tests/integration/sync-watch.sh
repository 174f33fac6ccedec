#!/bin/sh
# spool watch --all against a real, private Dovecot: the first sync, a
# message appended on the server by imaplib reaching the Maildir through
# IDLE within seconds, a mail reader's flag rename (and one in a folder
# other than INBOX) reaching the server through inotify within seconds,
# the sync status record after success and after failures (the server
# stopped under a running watch, a refused password), and a clean exit
# on SIGTERM.  Every wait is bounded.  SYNC_NO_CONDSTORE=1 runs it against
# a server without CONDSTORE, QRESYNC and NOTIFY (IDLE on INBOX only).
. "$(dirname "$0")/sync-lib.sh"

WPID=
trap '[ -z "$WPID" ] || kill "$WPID" 2> /dev/null || true; dovecot_stop; scratch_remove' EXIT INT TERM
STATUS="$XDG_STATE_HOME/surel/sync/t.status"
# Only IDLE and inotify may bring changes here, never the periodic sync.
export SPOOL_POLL_SECONDS=600

# until_ok SECONDS CMD...: run CMD every 0.2 s until it succeeds.
until_ok() {
	n=$(($1 * 5))
	shift
	i=0
	while [ $i -lt $n ]; do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

status_is() {
	grep -qx "$1" "$STATUS" 2> /dev/null
}

more_than() {
	[ "$(local_count "$M/INBOX")" -gt "$1" ]
}

test_more() {
	[ "$(local_count "$1")" -gt "$2" ]
}

ms() {
	date +%s%3N
}

dc_put 3 ""
peer create Projekte
peer append Projekte 2
start_watch
until_ok 20 peer compare || fail "the first sync did not make the sides agree: $(cat "$T/watch.err")"
until_ok 5 status_is "running 0" || fail "status record: $(cat "$STATUS" 2> /dev/null)"
grep -q "^success [1-9]" "$STATUS" && grep -qx "failure 0" "$STATUS" ||
	fail "status record after a sync: $(cat "$STATUS")"
ok "first sync on start; the status record says when it succeeded"

n0=$(local_count "$M/INBOX")
t0=$(ms)
peer append INBOX 1 S
until_ok 10 more_than "$n0" ||
	fail "a message appended on the server did not arrive in 10 s: $(cat "$T/watch.err")"
ok "a message appended on the server arrived in $(($(ms) - t0)) ms"
until_ok 10 peer compare || fail "after the arrival: $(peer compare 2>&1 | head -5)"

# Dovecot offers NOTIFY: changes in any folder are reported, flags too.
# SYNC_NO_CONDSTORE=1 (a server without CONDSTORE, QRESYNC and NOTIFY:
# IDLE on INBOX only) skips to the local changes.
[ -z "${SYNC_NO_CONDSTORE:-}" ] || grep -q "waiting with IDLE on INBOX" "$T/watch.err" ||
	fail "without NOTIFY, not waiting with IDLE on INBOX: $(cat "$T/watch.err")"
[ -n "${SYNC_NO_CONDSTORE:-}" ] || {
n0=$(local_count "$M/Projekte")
t0=$(ms)
peer append Projekte 1
until_ok 10 test_more "$M/Projekte" "$n0" ||
	fail "a message appended to Projekte did not arrive in 10 s: $(cat "$T/watch.err")"
until_ok 10 peer compare || fail "after the arrival in Projekte: $(peer compare 2>&1 | head -5)"
ok "a message appended to another folder arrived in $(($(ms) - t0)) ms (NOTIFY)"

t0=$(ms)
python3 - "$DC_IMAP" "$DC_USER" "$DC_PASS" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m.select("Projekte")
m.store("1", "+FLAGS", "(\\Flagged)")
m.logout()
PY
until_ok 10 peer compare || fail "a flag set on the server did not arrive in 10 s: $(peer compare 2>&1 | head -5)"
find "$M/Projekte/cur" -name '*:2,*F*' | grep -q . || fail "no flagged message in Projekte"
ok "a flag set on the server arrived in $(($(ms) - t0)) ms (NOTIFY)"
}

f=$(find "$M/INBOX/new" -type f | head -n 1)
[ -n "$f" ] || fail "no new message in INBOX: $(ls -R "$M/INBOX")"
t0=$(ms)
mv "$f" "$M/INBOX/cur/$(basename "$f"):2,FS"
until_ok 10 peer compare || fail "a local flag rename did not reach the server in 10 s: $(peer compare 2>&1 | head -5); $(cat "$T/watch.err")"
ok "a local flag rename in INBOX reached the server in $(($(ms) - t0)) ms (inotify)"

f=$(find "$M/Projekte/cur" "$M/Projekte/new" -type f | head -n 1)
t0=$(ms)
mv "$f" "$M/Projekte/cur/$(basename "${f%%:2,*}"):2,RS"
until_ok 10 peer compare || fail "a rename in Projekte did not reach the server in 10 s: $(peer compare 2>&1 | head -5)"
ok "a change in another folder reached the server in $(($(ms) - t0)) ms"

dovecot_stop
f=$(find "$M/INBOX/cur" -type f -name '*:2,S' | head -n 1)
[ -n "$f" ] || fail "no seen message in INBOX: $(ls "$M/INBOX/cur")"
mv "$f" "${f%:2,S}:2,FS"
until_ok 15 grep -q "^failure [1-9]" "$STATUS" ||
	fail "no failure in the status record with the server down: $(cat "$STATUS"); $(cat "$T/watch.err")"
grep -q "^reason ..*" "$STATUS" || fail "failure without a reason: $(cat "$STATUS")"
kill -0 "$WPID" || fail "watch --all ended when the server went away: $(cat "$T/watch.err")"
ok "the server stopped: the status record has the failure and why ($(sed -n 's/^reason //p' "$STATUS")); watch goes on"
stop_watch
ok "SIGTERM ends watch --all with 0"

dovecot_start
config "$M" "imap://127.0.0.1:$DC_IMAP" "tls_ca_file = $DATA/tls/ca.pem"
expect_exit 0 "$SPOOL" sync
until_ok 1 peer compare || fail "after the server came back: $(peer compare 2>&1 | head -5)"
ok "a change made while the server was down is synced once it is back"
grep -q "^success [1-9]" "$STATUS" || fail "status: $(cat "$STATUS")"
PASS=wrong config "$M" "imap://127.0.0.1:$DC_IMAP" "tls_ca_file = $DATA/tls/ca.pem"
set +e
"$SPOOL" sync 2> "$T/err"
set -e
grep -qx "running 0" "$STATUS" && grep -q "^reason .*[Ll]ogin\|^reason .*[Aa]uthentication" "$STATUS" ||
	fail "a refused password is not in the status record: $(cat "$STATUS"); $(cat "$T/err")"
s=$(sed -n 's/^success //p' "$STATUS")
fl=$(sed -n 's/^failure //p' "$STATUS")
[ "$fl" -ge "$s" ] || fail "failure $fl older than success $s"
ok "a refused password: spool sync records the failure ($(sed -n 's/^reason //p' "$STATUS"))"
