#!/bin/sh
# Key bindings: [keys index], [keys pager] and [keys compose] rebind keys,
# unbind them (noop) and define a macro that saves to a named folder; ?
# lists what is in force and an unbound key says so, in the index, the
# pager and the compose screen, whose key bars keep ?:Help at 80 columns;
# a bad function or key name is refused at start with file and line.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
conf="$XDG_CONFIG_HOME/surel/config"
cat > "$conf" <<CFG
[account demo]
address = demo@example.test
maildir = $T/Mail
[keys index]
x = delete-message
gg = first-entry
u = noop
<F6> = save-message "Archive" "y"   # makes the folder when it is missing
[keys pager]
<F5> = exit
[keys compose]
<F7> = postpone-message
CFG
editor_script <<'ED'
printf 'Body.\n' >> "$1"
ED
export EDITOR="$T/editor"
deliver_demo "$T/Mail/INBOX"

ui_start
wait_for 'INBOX \[Msgs:3'
wait_for ' -- 3/3$'
keys x
wait_for 'Del:1'
ok "x bound to delete-message marks the message"

keys g g
wait_for ' -- 1/3$' "gg to the first message"
ok "the sequence gg works beside g"

keys u
wait_for 'Key is not bound\. Press \? for help\.'
screen | grep -q 'Del:1' || fail "u still undeletes"
keys Z
wait_for 'Key is not bound\. Press \? for help\.'
ok "an unbound key says so"

# The ; hint names the keys in force: u (undelete) is unbound here.
keys t
wait_for 'Tag:1'
keys '\;'
wait_for '^tagged \(1\): d F N s C \| f r g t$' "the ; hint without u"
keys t
wait_gone 'Tag:'
ok "the ; hint names the keys bound now"

keys '?'
wait_for 'keys of the index'
grep -Eq '^d x +delete-message +mark the message deleted' "$T/screen" ||
	fail "? does not list x: $(cat "$T/screen")"
grep -Eq '^gg +first-entry' "$T/screen" && fail "gg listed before the keys of first-entry"
grep -Eq '^= <Home> gg +first-entry' "$T/screen" || fail "gg not with first-entry: $(cat "$T/screen")"
# The macros come after the functions, on the next page.
keys Space
wait_for '^<F6> +macro +save-message "Archive" "y"' "? does not list the macro"
keys q
wait_for 'INBOX \[Msgs:3'
ok "? lists the bindings in force"

keys F6
wait_for 'moved to Archive'
wait_for 'INBOX \[Msgs:2'
[ "$(count Archive)" -eq 1 ] && [ "$(count INBOX)" -eq 2 ] || fail "the macro did not move the message"
screen | grep -q '^Move to folder' && fail "the prompt stayed"
ok "a macro saves to a named folder"

keys Enter
wait_for '^Date:'
keys F5
wait_for 'INBOX \[Msgs:2'
ok "[keys pager] binds <F5> to exit"

tmux -S "$SOCK" resize-window -x 80 -y 24
wait_for '\?:Help$'
[ "$(line 0 | wc -m)" -le 81 ] || fail "key bar wider than 80: $(line 0)"
line 0 | grep -q '^q:Quit  ' || fail "key bar lost its first entry: $(line 0)"
# bar_80 WHAT: the key bar of the screen shown fits and ends with ?:Help;
# an unbound key says so there, and ? lists that screen's keys.
bar_80() {
	wait_for '\?:Help$' "$1 key bar"
	[ "$(line 0 | wc -m)" -le 81 ] || fail "$1 key bar wider than 80: $(line 0)"
	keys Z
	wait_for 'Key is not bound\. Press \? for help\.' "unbound key in the $1"
	keys '?'
	wait_for "keys of the $1"
	keys q
	wait_gone "keys of the $1"
}
keys Enter
wait_for '^Date:'
bar_80 pager
keys q
wait_for 'INBOX \[Msgs:2'
keys m
wait_for '^To:'
keys postponed@example.test Enter
wait_for '^ +To: postponed@example.test' "compose screen"
bar_80 compose
keys F7
wait_for 'INBOX \[Msgs:2'
[ "$(count Drafts)" -eq 1 ] || fail "<F7> (postpone-message) left no draft"
ok "index, pager and compose: key bar in 80 columns with ?:Help, ? and unbound keys; [keys compose] binds <F7>"
keys q
wait_for 'Expunge 1 marked'
keys n
wait_for 'SUREL-EXIT 0'
ui_stop

cp "$conf" "$T/good"
printf '[keys pager]\nx = frobnicate\n' >> "$conf"
expect_exit 78 "$SUREL"
expect_one_line_error surel
grep -q "config:14: \[keys pager\] unknown function 'frobnicate' for key 'x'" "$T/err" ||
	fail "no file:line for a bad function: $(cat "$T/err")"
cp "$T/good" "$conf"
printf '[keys compose]\n<F99> = send-message\n' >> "$conf"
expect_exit 78 "$SUREL"
expect_one_line_error surel
grep -q "config:14: \[keys compose\] unknown key name '<F99>'" "$T/err" ||
	fail "no file:line for a bad key name: $(cat "$T/err")"
ok "a bad function or key name is refused at start with file:line"
