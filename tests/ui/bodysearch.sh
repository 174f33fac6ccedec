#!/bin/sh
# ~b reads message files in pieces: a word past the first megabytes of a
# body is found, progress shows on the message line during a long search,
# and a key stops it (the index stays as it was).
. "$(dirname "$0")/lib.sh"

deliver_demo "$T/box"
{
	printf 'From: Big <big@example.test>\nSubject: big one\nMessage-ID: <big.1@example.test>\n\n'
	head -c 3000000 /dev/zero | tr '\0' 'x'
	printf '\nfindme-in-big\n'
} > "$T/big.eml"
"$SPOOL" deliver "$T/box" < "$T/big.eml"

ui_start -f "$T/box"
wait_for 'box \[Msgs:4'
keys l '~b FINDME-in-big' Enter
wait_for 'Msgs:4 New:4 Shown:1\]' "limit on a word 3 MB into a body"
screen | grep -q 'big one' || fail "wrong message shown: $(cat "$T/screen")"
ok "~b finds a word past the first megabytes of a body"
keys l C-u Enter
wait_for 'box \[Msgs:4 New:4\]'

# A sparse 8 GiB message: long enough to watch and stop.
f="$T/box/cur/1700000000.M1P1.slow:2,S"
printf 'From: Slow <slow@example.test>\nSubject: slow one\n\n' > "$f"
truncate -s 8G "$f"
# The idle index reloads the folder within five seconds.
wait_for 'box \[Msgs:5'
keys l '~b nowhere-to-be-found' Enter
wait_for 'searching message bodies: [0-9]+/5, [0-9.]+ MiB \(any key stops\)' "progress"
keys x
wait_for 'limit interrupted' "a key stops the search"
screen | grep -q 'Shown:' && fail "an interrupted limit changed the view: $(cat "$T/screen")"
ok "a long body search shows progress and stops on a key"
keys q
wait_for '^SUREL-EXIT 0'
