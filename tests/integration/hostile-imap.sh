#!/bin/sh
# spool fetch against a hostile IMAP server (tests/peer/imap-peer.py):
# overlong lines, endless untagged and continuation lines, a literal of
# 4 GiB, a close mid-literal, a one-byte-a-second drip, invalid UTF-8,
# absurd counts, escapes in server text.  Each run ends on its own with a
# clear one-line error (or success where the input is merely odd) within
# a bounded time, below RSS_MAX_KB of memory, and leaves nothing partial
# in the Maildir.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile-lib.sh"
fetch_setup imap

fetch_good
fetch_nothing_stored greet-long reply-long endless endless-cont literal-huge close-literal drip drip-greet
# Invalid UTF-8 in the greeting, FLAGS and the body.
fetch_bad_utf8

# EXISTS 4294967295, UIDNEXT 0, UID and RFC822.SIZE 4294967295: a clean
# run or a clean refusal, no huge allocation, no crash.
fetch_case counts "0 75 76"
ok "absurd counts: exit $rc, ${rss_kb} kB"

# Terminal escapes in the greeting (shown by -v) and in the LOGIN refusal.
fetch_case escape 77
grep -q 'no such user' "$T/err" || fail "escape: the refusal is not quoted: $(cat "$T/err")"
ok "escapes in server text are not passed to the terminal: $(cat "$T/err")"

fetch_after_drip
# A UID the server lists but never sends is neither lost nor removed: with
# keep = no it stays on the server (not in UID STORE / EXPUNGE), the
# state stops below it, and the next good run fetches it, once.
rm -rf "$M"
peer_start imap-peer.py --mode missing --max-time 40 --log "$T/peer.log"
config
echo 'keep = no' >> "$XDG_CONFIG_HOME/surel/config"
bounded 30 "$SPOOL" fetch
check_bounds "imap missing" 0 20
[ "$(visible "$M/INBOX")" -eq 2 ] || fail "missing: $(visible "$M/INBOX") stored, expected 2"
grep 'STORE' "$T/peer.log" > "$T/store" || true
grep -q "STORE 1 " "$T/store" || fail "missing: UID 1 not removed: $(cat "$T/store")"
grep -q 'STORE [^ ]*2' "$T/store" && fail "missing: UID 2 removed although never stored: $(cat "$T/store")"
peer_start imap-peer.py --mode ok --max-time 40
config
bounded 30 "$SPOOL" fetch
check_bounds "imap ok after missing" 0 20
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "after missing: $(visible "$M/INBOX") messages, expected 3"
ok "a listed UID the server does not send: kept on the server, fetched next time, no duplicate"

# Folder names from LIST that would leave the Maildir are skipped.
rm -rf "$M" "$T/escaped" "$T/escaped2"
peer_start imap-peer.py --mode hostile-list --max-time 40
config
echo 'fetch_folders = *' >> "$XDG_CONFIG_HOME/surel/config"
bounded 30 "$SPOOL" fetch
check_bounds "imap hostile-list" 0 20
[ ! -e "$T/escaped" ] && [ ! -e "$T/escaped2" ] && [ -z "$(find "$T" -maxdepth 1 -name '*escaped*')" ] ||
	fail "a server folder name escaped the Maildir: $(ls "$T")"
grep -q 'skipped: not a safe local name' "$T/err" || fail "no warning for the unsafe names: $(cat "$T/err")"
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "hostile-list: INBOX not fetched"
ok "folder names with .. from LIST are skipped with a warning; INBOX fetched"

# A folder of 105000 messages is listed (the guard scales with EXISTS);
# the peer sends no bodies here, so nothing is stored or removed.
fetch_case big-list 0 --count 105000
grep -q 'listed 105000 message(s)' "$T/err" || fail "big-list: not listed whole: $(cat "$T/err")"
ok "a 105000-message folder is listed in one go (${secs}s, ${rss_kb} kB)"

# A new UIDVALIDITY whose first pass is cut short after one batch: the
# state keeps comparing with local mail until a pass ends, and the
# next pass gets every message once.
rm -rf "$M"
peer_start imap-peer.py --mode ok --count 100 --max-time 40
config
bounded 30 "$SPOOL" fetch
check_bounds "imap 100" 0 20
peer_start imap-peer.py --mode drop2 --count 300 --uidvalidity 8 --max-time 40
config
set +e
timeout -s KILL 30 "$SPOOL" fetch > /dev/null 2> "$T/err"
rc=$?
set -e
[ "$rc" -eq 75 ] || [ "$rc" -eq 76 ] || fail "cut pass: exit $rc: $(cat "$T/err")"
grep -q '^compare 1$' "$M"/.surel-fetch/* || fail "no compare mark after a cut pass: $(cat "$M"/.surel-fetch/*)"
peer_start imap-peer.py --mode ok --count 300 --uidvalidity 8 --max-time 40
config
bounded 30 "$SPOOL" fetch
check_bounds "imap new uidvalidity, whole" 0 20
[ "$(visible "$M/INBOX")" -eq 300 ] || fail "uidvalidity: $(visible "$M/INBOX") messages, expected 300"
grep -q '^compare' "$M"/.surel-fetch/* && fail "the compare mark outlived a whole pass"
ok "a new UIDVALIDITY, its first pass cut short: compared until a pass ends, 300 messages, none twice"

# NO [UNAVAILABLE] at login is "try later" (75), not a refusal (77).
fetch_case unavailable 75
ok "NO [UNAVAILABLE] at login: exit 75: $(cat "$T/err")"

# Flags-only FETCH responses among the bodies, and one body twice: every
# message stored once.
fetch_case split 0
[ "$(visible "$M/INBOX")" -eq 3 ] || fail "split: $(visible "$M/INBOX") messages, expected 3"
ok "flags-only FETCH responses and a repeated body: 3 messages, once each"
# New mail reported between IDLE and its "+ idling" (a change that came
# just then) is new mail: spool watch fetches it at once, not only when
# IDLE is renewed a minute later.
rm -rf "$M"
peer_start imap-peer.py --mode idle-early --max-time 40 --log "$T/peer.log"
config
SPOOL_IDLE_SECONDS=60 "$SPOOL" -vv watch 2> "$T/watch.err" &
wpid=$!
i=0
while [ "$(visible "$M/INBOX")" -lt 4 ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
kill "$wpid" 2> /dev/null || true
wait "$wpid" 2> /dev/null || true
grep -q "IDLE" "$T/peer.log" || fail "idle-early: watch never sent IDLE: $(cat "$T/watch.err")"
[ "$(visible "$M/INBOX")" -eq 4 ] ||
	fail "idle-early: the message reported before '+ idling' was not fetched in 10 s: $(tail -5 "$T/watch.err")"
peer_stop
ok "new mail reported before IDLE's continuation is fetched at once"
report_rss
