#!/bin/sh
# The event journal without servers: `spool deliver` without -A names the
# account whose maildir it stored into (null only for a path outside
# every maildir); a failing `spool watch` is a sync_error; `spool events
# --follow` goes on across a rotation of the journal; --since takes the
# documented forms and refuses others.
. "$(dirname "$0")/lib.sh"

command -v python3 > /dev/null || skip "python3 is needed"
J="$XDG_STATE_HOME/surel/events.jsonl"
follow_pid=""
trap 'kill "$follow_pid" 2> /dev/null || true; scratch_remove' EXIT INT TERM
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[general]
default_account = work
[account home]
address = me@home.test
maildir = $T/home-mail
[account work]
address = me@work.test
maildir = $T/work-mail/
CF
chmod 600 "$XDG_CONFIG_HOME/surel/config"

msg() {
	printf 'From: a@example.test\nSubject: %s\nMessage-ID: <%s@example.test>\n\nhi\n' "$1" "$1"
}

# account SUBJECT: the account of the arrival with that subject.
account() {
	python3 - "$J" "$1" <<'P'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "arrived" and o.get("subject") == sys.argv[2]:
        print(o["account"])
P
}

msg a1 | expect_exit 0 "$SPOOL" deliver
msg a2 | expect_exit 0 "$SPOOL" deliver Lists
msg a3 | expect_exit 0 "$SPOOL" deliver "$T/home-mail/.Lists"
msg a4 | expect_exit 0 "$SPOOL" -A home deliver
msg a5 | expect_exit 0 "$SPOOL" deliver "$T/elsewhere"
[ "$(account a1)" = work ] || fail "a1: $(account a1)"
[ "$(account a2)" = work ] || fail "a2: $(account a2)"
[ "$(account a3)" = home ] || fail "a3: $(account a3)"
[ "$(account a4)" = home ] || fail "a4: $(account a4)"
[ "$(account a5)" = None ] || fail "a5: $(account a5)"
ok "deliver without -A: the account whose maildir it is; null outside all"

expect_exit 78 "$SPOOL" -A home watch
grep '"type":"sync_error"' "$J" | grep '"account":"home"' | grep -q "no 'fetch' server" ||
	fail "watch's failure is not journaled: $(cat "$J")"
ok "a failing watch is a sync_error of its account"

"$SPOOL" events --follow > "$T/follow" &
follow_pid=$!
sleep 0.3
# Past the rotation size (4 MiB): the next line rotates the journal.
python3 -c "import sys; open(sys.argv[1], 'a').write(' ' * (4 * 1024 * 1024) + '\n')" "$J"
msg before | "$SPOOL" deliver
[ -s "$J.1" ] && ! [ -e "$J" ] || fail "the journal was not rotated"
msg after | "$SPOOL" deliver
i=0
while ! grep -q '"subject":"after"' "$T/follow"; do
	i=$((i + 1))
	[ $i -lt 30 ] || fail "--follow lost the rotated journal: $(tail -c 300 "$T/follow")"
	sleep 0.1
done
grep -q '"subject":"before"' "$T/follow" || fail "--follow missed the line before the rotation"
kill "$follow_pid"
wait "$follow_pid" 2> /dev/null || true
follow_pid=""
ok "--follow goes on across a rotation"

n_all=$("$SPOOL" events | grep -c '"type":"arrived"')
[ "$n_all" -eq 7 ] || fail "events: $n_all arrivals, expected 7"
for t in @0 2000-01-01 2000-01-01T10:00 "2000-01-01 10:00:00" 2000-01-01T10:00:00Z -10m -2h -1d -30s; do
	expect_exit 0 "$SPOOL" events --since "$t"
	[ "$(grep -c '"type":"arrived"' "$T/out")" -eq 7 ] || fail "--since $t"
done
expect_exit 0 "$SPOOL" events --since "@$(($(date +%s) + 100))"
[ ! -s "$T/out" ] || fail "--since the future printed lines"
for t in yesterday 10m -10x @ 2000-13-45 "2000-01-01T25:00"; do
	expect_exit 64 "$SPOOL" events --since "$t"
done
ok "--since: @EPOCH, dates, times, -N[smhd]; others refused"
