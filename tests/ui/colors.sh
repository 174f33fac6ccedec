#!/bin/sh
# Colours from the configuration: a bad colour stops surel with the
# file, line and key (exit 78); good ones reach the screen (checked in the
# SGR sequences tmux records for the status bar and the cursor line).
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
conf="$XDG_CONFIG_HOME/surel/config"
cat > "$conf" <<CFG
[general]
color_status = purple blue

[account demo]
address = demo@example.test
maildir = $T/Mail
CFG
deliver_demo "$T/Mail/INBOX"
expect_exit 78 "$SUREL" -e q
expect_one_line_error surel
grep -q "^surel: ~/.config/surel/config:2: 'color_status': unknown colour 'purple'" "$T/err" ||
	fail "bad colour message: $(cat "$T/err")"
ok "a bad colour is a configuration error naming file, line and key"

cat > "$conf" <<CFG
[general]
color_status = white blue bold
color_cursor = yellow red
color_new = green default underline

[account demo]
address = demo@example.test
maildir = $T/Mail
CFG
ui_start
wait_for 'INBOX \[Msgs:3'
tmux -S "$SOCK" capture-pane -p -e > "$T/sgr"
# The status bar (second line from the bottom): white (37) on blue (44), bold.
status=$(tail -n 2 "$T/sgr" | head -n 1)
printf '%s' "$status" | grep -q '37' && printf '%s' "$status" | grep -q '44' &&
	printf '%s' "$status" | grep -Eq '\[(1|[0-9;]*;1)[;m]' ||
	fail "status bar colours: $(printf '%s' "$status" | od -c | head -5)"
# The cursor is on the newest message (the last one): yellow (33) on red (41).
cursor=$(grep -a 'Cron' "$T/sgr" || true)
printf '%s' "$cursor" | grep -q '33' && printf '%s' "$cursor" | grep -q '41' ||
	fail "cursor colours: $(printf '%s' "$cursor" | od -c | head -5)"
# An unread message that is not selected: green (32) and underlined (4).
unread=$(grep -a 'Welcome to surel' "$T/sgr" | head -n 1)
printf '%s' "$unread" | grep -q '32' && printf '%s' "$unread" | grep -Eq '\[([0-9;]*;)?4[;m]' ||
	fail "unread colours: $(printf '%s' "$unread" | od -c | head -5)"
ok "configured colours reach the screen"
keys q
wait_for '^SUREL-EXIT 0'
