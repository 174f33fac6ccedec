#!/bin/sh
# spool fetch against a hostile POP3 server (tests/peer/pop3-peer.py):
# overlong lines, an endless multi-line reply, a close mid-RETR, a
# one-byte-a-second drip, invalid UTF-8, absurd counts, a 10000-character
# UIDL, escapes in server text, UIDL refused or missing, [IN-USE].  Each
# run ends on its own with a clear one-line error (or success where the
# input is merely odd) within a bounded time, below RSS_MAX_KB of memory,
# and leaves nothing partial in the Maildir.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile-lib.sh"
fetch_setup pop3

fetch_good
fetch_nothing_stored greet-long reply-long endless close-retr drip drip-greet
# Invalid UTF-8 in the greeting, a UIDL and the body.
fetch_bad_utf8

# STAT 4294967295 messages of 99999999999999999999 octets, LIST of
# message 4294967295 with that size: a clean run or a clean refusal, no
# huge allocation, no crash.
fetch_case counts "0 75 76"
ok "absurd counts: exit $rc, ${rss_kb} kB"

# A UIDL of 10000 characters: stored under a stand-in, fetched once.
fetch_case uidl-long 0
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "uidl-long: expected 3 messages"
peer_start pop3-peer.py --mode uidl-long --max-time 40
config
bounded 30 "$SPOOL" fetch
check_bounds "pop3 uidl-long again" 0 20
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "uidl-long: the second fetch duplicated"
peer_stop
ok "a 10000-character UIDL: fetched once, not twice (${rss_kb} kB)"

# Terminal escapes in the greeting (shown by -v) and in the PASS refusal.
fetch_case escape 77
grep -q 'no such user' "$T/err" || fail "escape: the refusal is not quoted: $(cat "$T/err")"
ok "escapes in server text are not passed to the terminal: $(cat "$T/err")"

fetch_after_drip

# UIDL refused once, after runs that had it: a temporary failure, not a
# second copy of the whole maildrop under stand-in names.
peer_start pop3-peer.py --mode no-uidl --max-time 40
config
bounded 30 "$SPOOL" fetch
check_bounds "pop3 no-uidl after uidl" 75 20
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "no-uidl: $(visible "$M/INBOX") messages, expected still 3"
ok "UIDL refused this time: exit 75, nothing fetched twice: $(cat "$T/err")"

# A server without UIDL and the same message twice: both fetched, once.
fetch_case twins 0
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "twins: $(visible "$M/INBOX") messages, expected 3"
peer_start pop3-peer.py --mode twins --max-time 40
config
bounded 30 "$SPOOL" fetch
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "twins: a second fetch changed the count to $(visible "$M/INBOX")"
peer_stop
ok "no UIDL, two identical messages: both fetched, none twice"

# A mailbox in use (RFC 3206 [IN-USE]): try later (75), not a refused login.
fetch_case in-use 75
ok "-ERR [IN-USE] at login: exit 75: $(cat "$T/err")"
report_rss
