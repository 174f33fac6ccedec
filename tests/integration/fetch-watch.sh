#!/bin/sh
# spool watch against a real, private Dovecot: the fetch on start, IMAP
# IDLE bringing new mail within seconds, IDLE renewed, the account lock, a
# reconnect after the server drops the connection, a clean exit on SIGTERM
# (also in the middle of a fetch) and no duplicates with spool fetch;
# POP3 watch fetches at its interval; a certificate that does not verify
# ends watch with 69.
. "$(dirname "$0")/fetch-lib.sh"

# Dovecot notices Maildir changes by inotify, and at least every second.
DC_EXTRA='mailbox_idle_check_interval = 1 secs'
dovecot_start
WPID=
trap '[ -z "$WPID" ] || kill "$WPID" 2> /dev/null || true; dovecot_stop; scratch_remove' EXIT INT TERM

# wait_count DIR N SECONDS: until DIR holds N messages, polling every 0.1 s.
wait_count() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		[ -d "$1/cur" ] && [ "$(local_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_watch: spool -v watch in the background, stderr in $T/watch.err.
start_watch() {
	"$SPOOL" -v watch 2> "$T/watch.err" &
	WPID=$!
}

# await_watch SECONDS WHAT: watch must end within SECONDS (after WHAT);
# its exit status goes to rc.
await_watch() {
	i=0
	while kill -0 "$WPID" 2> /dev/null && [ $i -lt $(($1 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$WPID" 2> /dev/null && fail "watch still running $1 s after $2: $(cat "$T/watch.err")"
	set +e
	wait "$WPID"
	rc=$?
	set -e
	WPID=
}

# stop_watch SECONDS: SIGTERM, then it must be gone within SECONDS and
# have exited 0.
stop_watch() {
	kill -TERM "$WPID"
	await_watch "$1" SIGTERM
	[ "$rc" -eq 0 ] || fail "watch exited $rc after SIGTERM: $(cat "$T/watch.err")"
	! grep -q "runtime error\|Sanitizer" "$T/watch.err" || fail "sanitizer: $(cat "$T/watch.err")"
}

ms() {
	date +%s%3N
}

dc_put 3
config "$T/m" "imaps://127.0.0.1:$DC_IMAPS"
# IDLE is renewed every 3 s here, so the test sees renewals work.
export SPOOL_IDLE_SECONDS=3
start_watch
wait_count "$T/m/INBOX" 3 10 || fail "watch did not fetch on start: $(cat "$T/watch.err")"
ok "watch fetches what is new when it starts"

t0=$(ms)
dc_put 1
wait_count "$T/m/INBOX" 4 5 || fail "new mail not fetched within 5 s: $(cat "$T/watch.err")"
t1=$(ms)
echo "# IDLE latency: $((t1 - t0)) ms"
ok "a message appended during the watch is fetched within 5 seconds"

sleep 4
t0=$(ms)
dc_put 1
wait_count "$T/m/INBOX" 5 5 || fail "second message not fetched: $(cat "$T/watch.err")"
t1=$(ms)
echo "# IDLE latency after a renewal: $((t1 - t0)) ms"
ok "a second message too, after IDLE was renewed"

expect_exit 0 "$SPOOL" -v fetch
grep -q "another fetch is running" "$T/err" || fail "fetch during watch: $(cat "$T/err")"
ok "spool fetch exits 0 at once while watch holds the lock"

doveadm -c "$DC_CONF" kick "$DC_USER" > /dev/null 2>&1 || fail "doveadm kick failed"
# The new message goes in once watch has seen the drop, so that it is
# fetched after a reconnect, not by the old connection.
i=0
while ! grep -q "trying again in" "$T/watch.err"; do
	i=$((i + 1))
	[ $i -lt 150 ] || fail "reconnect not logged: $(cat "$T/watch.err")"
	sleep 0.1
done
dc_put 1
wait_count "$T/m/INBOX" 6 15 || fail "no fetch after the connection was dropped: $(cat "$T/watch.err")"
ok "after the server drops the connection, watch reconnects and fetches"

stop_watch 5
ok "SIGTERM ends watch with exit 0"

expect_exit 0 "$SPOOL" -v fetch
grep -q " 0 message(s)" "$T/err" || fail "spool fetch after watch fetched: $(cat "$T/err")"
same_as_server "$T/m/INBOX"
ok "spool fetch afterwards fetches nothing: each message once, byte for byte"

# SIGTERM in the middle of a big fetch: exit 0, and what it stored plus a
# later spool fetch is every message exactly once.
dc_put 2000
start_watch
wait_count "$T/m/INBOX" 300 20 || fail "big fetch did not start: $(cat "$T/watch.err")"
stop_watch 10
n=$(local_count "$T/m/INBOX")
echo "# stopped after $n of 2006 messages"
expect_exit 0 "$SPOOL" fetch
same_as_server "$T/m/INBOX"
ok "SIGTERM during a fetch exits 0 with no message lost or doubled"

# POP3: a fetch at every interval.
config "$T/p" "pop3s://127.0.0.1:$DC_POP3S"
export SPOOL_POLL_SECONDS=1
start_watch
wait_count "$T/p/INBOX" 2006 30 || fail "POP3 watch first fetch: $(cat "$T/watch.err")"
dc_put 1
wait_count "$T/p/INBOX" 2007 5 || fail "POP3 watch did not fetch again: $(cat "$T/watch.err")"
grep -q "POP3 cannot wait" "$T/watch.err" || fail "POP3 polling not said: $(cat "$T/watch.err")"
stop_watch 5
same_as_server "$T/p/INBOX"
ok "POP3 watch fetches every poll interval"

# An IMAP server without IDLE: fetched every poll interval instead.
dovecot_stop
DC_EXTRA='mailbox_idle_check_interval = 1 secs
imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE UIDPLUS MOVE'
dovecot_start
config "$T/n" "imaps://127.0.0.1:$DC_IMAPS"
start_watch
wait_count "$T/n/INBOX" 2007 30 || fail "no-IDLE watch first fetch: $(cat "$T/watch.err")"
dc_put 1
wait_count "$T/n/INBOX" 2008 5 || fail "no-IDLE watch did not poll: $(cat "$T/watch.err")"
grep -q "the server has no IDLE" "$T/watch.err" || fail "polling not said: $(cat "$T/watch.err")"
stop_watch 5
same_as_server "$T/n/INBOX"
ok "an IMAP server without IDLE is polled every poll interval"

# A certificate that does not verify: waiting does not mend it, so watch
# ends at once with 69 and one line saying why, rather than retrying.
dovecot_stop
DC_EXTRA=
dovecot_start wronghost
config "$T/c" "imaps://127.0.0.1:$DC_IMAPS"
"$SPOOL" watch 2> "$T/watch.err" &
WPID=$!
await_watch 10 "a refused certificate"
[ "$rc" -eq 69 ] || fail "watch exited $rc on a refused certificate, expected 69: $(cat "$T/watch.err")"
[ "$(wc -l < "$T/watch.err")" -eq 1 ] && grep -q "^spool: .*does not match host name" "$T/watch.err" ||
	fail "expected one line naming the certificate problem: $(cat "$T/watch.err")"
ok "a certificate that does not verify ends watch with 69 and one line"
