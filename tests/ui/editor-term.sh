#!/bin/sh
# SIGTERM to surel while the editor runs: the editor's whole process group
# (a wrapper script and what it started) gets it and is waited for, one
# that ignores it is killed after the grace time, the text it saved is kept
# as a draft that m recalls, the terminal's modes are put back, and surel
# ends as SIGTERM asks (143).
. "$(dirname "$0")/lib.sh"
# lib.sh's trap, and an editor a failing run left behind.
trap 'tmux -S "$SOCK" kill-server 2> /dev/null || true
for f in edpid sleeppid; do [ -s "$T/$f" ] && kill -KILL "$(cat "$T/$f")" 2> /dev/null; done || true
scratch_remove' EXIT INT TERM

compose_setup
deliver_demo "$T/Mail/INBOX"
# The editor saves a line, puts the terminal in raw mode (which it could
# not do from a background process group: SIGTTOU would stop it), and
# waits on a child of its own.  With $T/deaf it ignores SIGTERM; with
# $T/badto it leaves a half-typed To address.
editor_script <<ED
[ -e "$T/deaf" ] && trap '' TERM
[ -e "$T/badto" ] && sed -i 's/^To: .*/To: half@/' "\$1"
printf 'Half-written HALFMARK.\n' >> "\$1"
tty > "$T/tty"
stty -echo -icanon
sleep 60 &
echo \$! > "$T/sleeppid"
echo \$\$ > "$T/edpid.tmp" && mv "$T/edpid.tmp" "$T/edpid"
wait \$!
ED

# term_while_editing: reply to the selected message, SIGTERM surel once
# the editor is up, and check what must hold afterwards.
term_while_editing() {
	rm -f "$T/edpid" "$T/sleeppid" "$T/tty"
	ui_start
	wait_for 'surel: INBOX \[Msgs:3'
	keys r
	i=0
	while [ ! -s "$T/edpid" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/edpid" ] || fail "the editor never started: $(screen)"
	kill -TERM "$(surel_pid)"
	wait_for '^SUREL-EXIT [0-9]+$' "surel ends on SIGTERM"
	kill -0 "$(cat "$T/edpid")" 2> /dev/null && fail "the editor is still running"
	# Its child is reaped by init, maybe a moment later.
	i=0
	while kill -0 "$(cat "$T/sleeppid")" 2> /dev/null && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$(cat "$T/sleeppid")" 2> /dev/null && fail "the editor's child is still running"
	modes=$(stty -F "$(cat "$T/tty")" -a)
	# shellcheck disable=SC2086 # one mode a line
	printf '%s\n' $modes | grep -Eqx -- '-echo|-icanon' && fail "the terminal was left raw: $modes"
	grep -lq 'HALFMARK' "$T"/Mail/Drafts/cur/* 2> /dev/null || fail "no draft with the saved text"
	screen | grep -q '^SUREL-EXIT 143$' || fail "surel did not end as SIGTERM asks: $(cat "$T/screen")"
	ui_stop
}

term_while_editing
[ "$(ls "$T/Mail/Drafts/cur" | wc -l)" -eq 1 ] || fail "Drafts holds $(ls "$T/Mail/Drafts/cur" | wc -l) messages"
ok "SIGTERM while the editor runs: editor and its child gone, terminal sane, draft kept, exit 143"

ui_start
wait_for 'surel: INBOX'
keys m
wait_for 'Recall postponed message\? \(y/n\)' "m offers the draft"
keys y
wait_for '^ +Subject: Re: ' "the recalled draft"
keys q
wait_for 'Abort this message'
keys y
keys q
wait_for '^SUREL-EXIT 0'
ui_stop
ok "the draft kept on SIGTERM is recalled by m"

rm -f "$T"/Mail/Drafts/cur/*
: > "$T/deaf"
start=$(date +%s)
term_while_editing
[ $(($(date +%s) - start)) -ge 5 ] || fail "an editor ignoring SIGTERM was killed before the grace time"
ok "an editor that ignores SIGTERM is killed after the grace time; the draft is kept"

# A draft whose addresses do not parse is kept as the editor left it.
rm -f "$T"/Mail/Drafts/cur/* "$T/deaf"
: > "$T/badto"
term_while_editing
grep -lq '^To: half@$' "$T"/Mail/Drafts/cur/* || fail "the draft was not kept as written"
ok "SIGTERM with a half-typed address: the draft is kept as written"
