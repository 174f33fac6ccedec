# Shared by the UI tests: everything of tests/integration/lib.sh plus a
# tmux session running surel, waits that poll the screen with a bound, and
# screen captures.  Source it; tests skip (77) without tmux.
. "$(dirname "$0")/../integration/lib.sh"
command -v tmux > /dev/null || skip "tmux not installed"
SUREL="$top_builddir/mua/surel"
SENDQ="$top_builddir/sendq/sendq"
SOCK="$T/tmux.sock"
# Every command of an exit trap must succeed: under set -e a failing one
# would turn the test's status (a skip's 77, a pass's 0) into 1.
trap 'tmux -S "$SOCK" kill-server 2> /dev/null || true; scratch_remove' EXIT INT TERM

# ui_start ARGS...: run surel ARGS in a fresh 120x40 tmux session; when it
# exits the pane shows "SUREL-EXIT <status>" and stays.  surel's own PID
# goes to $T/surel.pid (the shell writes its PID, then execs surel), so a
# test signals this very process, never another test's surel.
ui_start() {
	: > "$T/args"
	rm -f "$T/surel.pid"
	[ $# -eq 0 ] || printf '%s\n' "$@" > "$T/args"
	cat > "$T/run" <<RUN
#!/bin/sh
cd "$T"
set --
while IFS= read -r a; do set -- "\$@" "\$a"; done < "$T/args"
sh -c 'echo \$\$ > "$T/surel.pid.tmp" && mv "$T/surel.pid.tmp" "$T/surel.pid" && exec env TERM=xterm LANG=C.UTF-8 "\$0" "\$@"' "$SUREL" "\$@"
echo "SUREL-EXIT \$?"
exec sleep 600
RUN
	chmod +x "$T/run"
	tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 "$T/run"
}

# surel_pid: the PID of the surel the last ui_start started (waits, bounded,
# for the file).
surel_pid() {
	wait_file "$T/surel.pid" "surel's PID file was never written"
	cat "$T/surel.pid"
}

# ui_stop: end the tmux session and wait (bounded) until its server is gone,
# so a following ui_start cannot reach the dying server ("server exited
# unexpectedly").
ui_stop() {
	tmux -S "$SOCK" kill-server 2> /dev/null || true
	i=0
	while [ $i -lt 50 ] && { [ -S "$SOCK" ] || tmux -S "$SOCK" has-session 2> /dev/null; }; do
		rm -f "$SOCK"
		sleep 0.1
		i=$((i + 1))
	done
}

# screen: the visible text now, in $T/screen (and on stdout).
screen() {
	tmux -S "$SOCK" capture-pane -p > "$T/screen" 2> /dev/null || true
	cat "$T/screen"
}

# wait_for REGEX [WHAT]: poll the screen until a line matches the extended
# regular expression.  The bound (30 s) only matters when the test fails:
# a loaded machine (make -j2 check beside a build) must not make it fail.
wait_for() {
	i=0
	while [ $i -lt 300 ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "${2:-screen never showed /$1/}: $(cat "$T/screen")"
}

# wait_gone REGEX: poll (as long as wait_for) until no line matches.
wait_gone() {
	i=0
	while [ $i -lt 300 ]; do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "screen still shows /$1/: $(cat "$T/screen")"
}

# keys K...: as tmux send-keys (names like Enter, Escape, Up work).
keys() {
	tmux -S "$SOCK" send-keys "$@"
}

# line N: row N (0-based) of the last capture.
line() {
	sed -n "$(($1 + 1))p" "$T/screen"
}

# deliver_demo DIR: the demo messages into the Maildir DIR.
deliver_demo() {
	for m in "$DATA"/demo/*.eml; do
		"$SPOOL" deliver "$1" < "$m"
	done
}

# demo_config [LINES]: the configuration is the demo account alone
# (demo@example.test, Maildir $T/Mail) with LINES after its keys (more of
# its keys, or further sections).
demo_config() {
	mkdir -p "$XDG_CONFIG_HOME/surel"
	printf '[account demo]\naddress = demo@example.test\nmaildir = %s\n%s' "$T/Mail" \
		"${1:+$1
}" > "$XDG_CONFIG_HOME/surel/config"
}

# count FOLDER: the messages in the account's Maildir folder $T/Mail/FOLDER.
count() {
	ls "$T/Mail/$1/cur" "$T/Mail/$1/new" 2> /dev/null | grep -c '^[0-9]'
}

# compose_setup [GENERAL [ACCOUNTS]]: what the tests that compose share:
# a skip without python3 (they read the JSON listings), a configuration
# whose send_delay leaves the flush to the test and whose editor is
# $T/editor, with the GENERAL lines added to [general] and the ACCOUNTS
# sections (default: the demo account on $T/Mail).
compose_setup() {
	command -v python3 > /dev/null || skip "python3 is needed to read the JSON listings"
	mkdir -p "$XDG_CONFIG_HOME/surel"
	{
		printf '[general]\nsend_delay = 7200\neditor = %s\n' "$T/editor"
		[ -z "${1:-}" ] || printf '%s\n' "$1"
		printf '\n%s\n' "${2:-[account demo]
name = Demo User
address = demo@example.test
maildir = $T/Mail}"
	} > "$XDG_CONFIG_HOME/surel/config"
	chmod 600 "$XDG_CONFIG_HOME/surel/config"
}

# editor_script: $T/editor made a shell script of the lines on stdin.
editor_script() {
	{ echo '#!/bin/sh'; cat; } > "$T/editor"
	chmod +x "$T/editor"
}
