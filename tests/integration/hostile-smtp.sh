#!/bin/sh
# sendq flush against a hostile SMTP server (tests/peer/smtp-peer.py): an
# overlong greeting, EHLO or MAIL FROM reply line, endless 250-
# continuations (also to sendq's own EHLO), a drip of one byte a second
# (in curl's session part and in sendq's own transaction reader), invalid UTF-8 and terminal escapes in replies.  Each
# flush ends on its own within a bounded time, below RSS_MAX_KB, with the
# message still queued (deferred, the reply recorded in a form fit for a
# terminal and for JSON) and nothing delivered half.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile-lib.sh"

SENDQ="$top_builddir/sendq/sendq"
Q="$XDG_DATA_HOME/surel/queue"
export SENDQ_SMTP_TIMEOUT=3

config() {
	mkdir -p "$XDG_CONFIG_HOME/surel"
	cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[general]
default_account = t
[account t]
address = me@example.test
maildir = $T/Mail
smtp = smtp://127.0.0.1:$PORT
tls = off
CF
	chmod 600 "$XDG_CONFIG_HOME/surel/config"
}

# smtp_case MODE: one queued message, one flush against MODE.
smtp_case() {
	mode=$1
	rm -rf "$Q" "$T/Mail" "$T/spool"
	peer_start smtp-peer.py --mode "$mode" --spool "$T/spool" --max-time 40
	config
	printf 'From: me@example.test\nTo: a@example.test\nSubject: hostile %s\n\nbody\n' "$mode" |
		"$SENDQ" a@example.test || fail "enqueue failed"
	bounded 30 "$SENDQ" -v flush
	check_bounds "smtp $mode" "0 75" 20
	peer_stop
	[ -z "$(ls "$T/spool" 2> /dev/null)" ] || fail "$mode: the peer got a message: $(ls "$T/spool")"
	"$SENDQ" list --json > "$T/list.json" || fail "$mode: sendq list --json failed"
	python3 - "$T/list.json" <<'P' || fail "$mode: queue not as expected: $(cat "$T/list.json")"
import json, sys
q = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(q) == 1, q
st = [r["status"] for r in q[0]["recipients"]]
assert st == ["deferred"], st
for r in q[0]["recipients"]:
    reply = r.get("reply") or ""
    assert not any(ord(c) < 32 or ord(c) == 127 for c in reply), repr(reply)
    assert len(reply) < 2000, len(reply)
P
	id=$(python3 -c "import json; print(json.load(open('$T/list.json'))[0]['id'])")
	"$SENDQ" list > "$T/list.txt" 2>&1 || fail "$mode: sendq list failed"
	"$SENDQ" show "$id" > "$T/show.txt" 2>&1 || fail "$mode: sendq show failed"
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/list.txt" "$T/show.txt" "$T/list.json" &&
		fail "$mode: a control character from the server reached list/show: $(od -c "$T/show.txt" | head -20)"
	return 0
}

for mode in long-greet long-ehlo endless-ehlo endless-ehlo2 drip long-mail endless-mail drip-mail bad-utf8 escape \
	stall greet421; do
	smtp_case "$mode"
	ok "$mode: flush exit $rc after ${secs}s, ${rss_kb} kB, message deferred: $(head -c 300 "$T/err" | tr '\n' ' ')"
done
report_rss
