#!/bin/sh
# format=flowed (RFC 3676) end to end: with text_flowed = yes, surel -s
# queues flowed text (soft breaks within 78 columns, stuffing, trailing
# blanks of hard lines gone, the signature separator kept); that message,
# delivered, shows its original paragraphs in a wide pager and reflows
# (quote marks repeated) when the window narrows; a reply quotes the
# paragraphs rewrapped, not the ragged flowed lines; DelSp=yes text joins
# soft-broken lines without their blank.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed to read spool show --json"

Q="$XDG_DATA_HOME/surel/queue"
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 7200
editor = $T/editor
text_flowed = yes

[account demo]
name = Demo User
address = demo@example.test
maildir = $T/Mail
CFG
chmod 600 "$XDG_CONFIG_HOME/surel/config"
cat > "$T/editor" <<'ED'
#!/bin/sh
printf 'Thanks, noted.\n' >> "$1"
ED
chmod +x "$T/editor"

P1='Paragraf pertama yang panjang sekali — cukup panjang untuk dipecah menjadi beberapa baris ketika dikirim sebagai format=flowed, dengan kata Über und Straße di dalamnya, selesai.'
P3='Kutipan yang juga cukup panjang untuk dipecah menjadi dua baris atau lebih ketika dikirim, dengan tingkat kutipan satu.'
printf '%s\n\n> %s\n indented line\nFrom the start of a line\ntrailing blanks here   \n-- \nDemo User\n' \
	"$P1" "$P3" > "$T/body"

# The queued message, and its text as spool show --json decodes it.
"$SUREL" -s "Flowed" ana@example.test < "$T/body" || fail "surel -s failed"
id=$(ls "$Q/msg")
[ "$(echo "$id" | wc -l)" -eq 1 ] || fail "expected one queued message: $id"
grep -q '^Content-Type: text/plain; charset=utf-8; format=flowed$' "$Q/msg/$id" ||
	fail "no format=flowed: $(cat "$Q/msg/$id")"
"$SPOOL" show --json "$Q/msg/$id" > "$T/show.json" || fail "spool show --json failed"
python3 - "$T/show.json" <<'PY' || fail "queued text is not right flowed text: $(cat "$T/show.json")"
import json, sys
lines = json.load(open(sys.argv[1]))["text"].split("\n")
assert lines[-1] == "", lines
lines = lines[:-1]
assert all(len(l) <= 78 for l in lines), lines
soft = [l for l in lines if l.endswith(" ") and l != "-- "]
assert len(soft) >= 3, lines
assert "  indented line" in lines and " From the start of a line" in lines, lines
assert "trailing blanks here" in lines and "-- " in lines, lines
assert all(l.startswith("> ") for l in lines[lines.index("") + 1:lines.index("  indented line")]), lines
PY
ok "text_flowed = yes queues format=flowed text"

mkdir -p "$T/Mail"
"$SPOOL" deliver "$T/Mail/INBOX" < "$Q/msg/$id" || fail "spool deliver failed"

resize() {
	tmux -S "$SOCK" resize-window -x "$1" -y "$2"
}

ui_start
wait_for 'surel: INBOX \[Msgs:1' "the INBOX"
resize 220 40
keys Enter
wait_for '^Subject: Flowed' "the pager"
wait_for "^> $P3\$" "the quoted paragraph as one row at 220 columns"
for want in "$P1" ' indented line' 'From the start of a line' 'trailing blanks here' '--' 'Demo User'; do
	grep -Fxq -- "$want" "$T/screen" || fail "paragraph '$want' not one row at 220 columns: $(cat "$T/screen")"
done
ok "a wide pager shows the original paragraphs"

resize 60 40
# tmux crops the old contents first; a continuation row is surel's redraw.
wait_for '^> (dua|baris) ' "the narrow pager"
python3 - "$T/screen" "$P1" "$P3" <<'PY' || fail "not reflowed at 60 columns: $(cat "$T/screen")"
import sys
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
p1, p3 = sys.argv[2], sys.argv[3]
assert all(len(r) <= 60 for r in rows), rows
i = next(k for k, r in enumerate(rows) if r.startswith("Paragraf pertama"))
got = []
while rows[i]:
    got.append(rows[i].rstrip())
    i += 1
assert len(got) >= 3 and " ".join(got) == p1, got
i = next(k for k, r in enumerate(rows) if r.startswith("> Kutipan"))
got = []
while rows[i].startswith("> "):
    got.append(rows[i][2:].rstrip())
    i += 1
assert len(got) >= 2 and " ".join(got) == p3, got
assert rows[i] == " indented line", rows[i]
PY
ok "the pager reflows the paragraphs at 60 columns, quote marks repeated"

resize 120 40
keys r
wait_for '^ +Subject: Re: Flowed' "compose screen after the editor"
keys y
wait_for 'queued as ' "send"
rid=$(ls "$Q/msg" | grep -vx "$id")
[ "$(echo "$rid" | wc -l)" -eq 1 ] || fail "expected one new queued message: $(ls "$Q/msg")"
"$SPOOL" show --json "$Q/msg/$rid" > "$T/reply.json" || fail "spool show --json failed on the reply"
python3 - "$T/reply.json" "$P1" "$P3" <<'PY' || fail "reply quote wrong: $(cat "$T/reply.json")"
import json, sys
lines = json.load(open(sys.argv[1]))["text"].split("\n")
p1, p3 = sys.argv[2], sys.argv[3]
assert all(len(l) <= 76 for l in lines), lines
i = next(k for k, l in enumerate(lines) if l.startswith("> Paragraf"))
q1 = []
while lines[i].startswith("> "):
    q1.append(lines[i][2:])
    i += 1
q2 = [l[3:] for l in lines if l.startswith(">> ")]
assert len(q1) >= 3 and " ".join(q1) == p1, q1
assert ">  indented line" in lines and "> -- " in lines, lines
assert " ".join(q2) == p3, q2
assert "Thanks, noted." in lines, lines
PY
ok "a reply quotes the flowed paragraphs rewrapped"
keys q
wait_for '^SUREL-EXIT 0'

# DelSp=yes: the blank before a soft break is not part of the text, so a
# word split across lines joins without one.
ui_stop
cat > "$T/delsp.eml" <<'EML'
From: Ana Putri <ana@example.test>
To: demo@example.test
Subject: DelSp
Date: Tue, 24 Nov 2026 09:00:00 +0700
Message-ID: <delsp.1@example.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes
Content-Transfer-Encoding: 8bit

Satu kata dipe 
cah di sini, dan  
dua kata di sini.
>> deep quoted 
>> text
EML
"$SPOOL" deliver "$T/delsp" < "$T/delsp.eml" || fail "spool deliver failed"
ui_start -f "$T/delsp"
wait_for 'Msgs:1' "the DelSp folder"
keys Enter
wait_for '^Subject: DelSp' "the pager"
grep -Fxq 'Satu kata dipecah di sini, dan dua kata di sini.' "$T/screen" ||
	fail "DelSp paragraph wrong: $(cat "$T/screen")"
grep -Fxq '>> deep quotedtext' "$T/screen" || fail "DelSp quoted paragraph wrong: $(cat "$T/screen")"
ok "DelSp=yes joins soft-broken lines without their blank"
keys q
keys q
wait_for '^SUREL-EXIT 0'
