#!/bin/sh
# kill -9 of spool fetch at random points, over and over, then one last
# run: the local Maildir holds each server message exactly once, byte for
# byte (IMAP and POP3).
. "$(dirname "$0")/fetch-lib.sh"

dovecot_start
dc_put 2000 ""

# crash_loop ROOT URL: 8 fetches killed after 0-0.4 s, then a clean one.
crash_loop() {
	config "$1" "$2"
	i=0
	while [ $i -lt 8 ]; do
		"$SPOOL" fetch > /dev/null 2>&1 &
		pid=$!
		sleep "0.$(( ($(od -An -N2 -tu2 /dev/urandom) % 40) + 1 ))" 2> /dev/null || sleep 1
		kill -9 $pid 2> /dev/null || true
		wait $pid 2> /dev/null || true
		i=$((i + 1))
	done
	before=$(local_count "$1/INBOX" 2> /dev/null || echo 0)
	expect_exit 0 "$SPOOL" fetch
	echo "# $2: $before of 2000 stored when the last run started"
	[ "$(local_count "$1/INBOX")" -eq 2000 ] ||
		fail "$2: $(local_count "$1/INBOX") messages after the crashes, expected 2000"
	same_as_server "$1/INBOX"
}

crash_loop "$T/c1" "imap://127.0.0.1:$DC_IMAP"
ok "IMAP: every message exactly once after repeated kill -9"
crash_loop "$T/c2" "pop3://127.0.0.1:$DC_POP3"
ok "POP3: every message exactly once after repeated kill -9"
