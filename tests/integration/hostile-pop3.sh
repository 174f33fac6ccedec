#!/bin/sh
# spool fetch against a hostile IMAP server (tests/peer/pop3-peer.py):
# overlong lines, endless untagged and continuation lines, a literal of
# 4 GiB, a close mid-literal, a one-byte-a-second drip, invalid UTF-8,
# absurd counts, escapes in server text.  Each run ends on its own with a
# clear one-line error (or success where the input is merely odd) within
# a bounded time, below RSS_MAX_KB of memory, and leaves nothing partial
# in the Maildir.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile-lib.sh"
fetch_setup pop3

fetch_case ok 0
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "ok: expected 3 messages, got $(visible "$M/INBOX")"
ok "a well-behaved peer: 3 messages (${rss_kb} kB)"

# Failures that must leave nothing: a temporary failure (75), or a
# protocol error (76) for a reply that cannot be parsed.
for mode in greet-long reply-long endless close-retr drip drip-greet; do
	fetch_case "$mode" "75 76"
	[ "$(visible "$M/INBOX")" -eq 0 ] || fail "$mode: a message was stored: $(find "$M" -type f)"
	[ -z "$(find "$M/INBOX/cur" "$M/INBOX/new" -type f -size 0 2> /dev/null)" ] || fail "$mode: an empty file"
	ok "$mode: exit $rc after ${secs}s, ${rss_kb} kB, nothing stored: $(cat "$T/err")"
done

# Invalid UTF-8 in the greeting, a UIDL and the body: the message is mail all
# the same and is stored byte for byte.
fetch_case bad-utf8 0 --count 1
[ "$(visible "$M/INBOX")" -eq 1 ] || fail "bad-utf8: expected 1 message"
f=$(find "$M/INBOX/cur" "$M/INBOX/new" -type f)
grep -q "$(printf 'invalid utf-8: \377\376 \300\200 \355\240\200 end')" "$f" ||
	fail "bad-utf8: the body is not byte for byte: $(od -c "$f" | tail -5)"
ok "invalid UTF-8: stored byte for byte (${rss_kb} kB)"

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
