#!/bin/sh
# PGP on the compose screen: p cycles none, sign, encrypt, sign and
# encrypt, and the Security line names a recipient without a key before y
# (which then refuses and queues nothing); an encrypted draft is stored
# encrypted to the sender and resumed decrypted; a reply to an encrypted
# message quotes the decrypted text, is encrypted by default and goes out
# encrypted, and afterwards the body's marker is nowhere on disk in clear
# (home, XDG directories, the Maildir, the queue, TMPDIR); the editor's
# private directory (0700) is scrubbed and removed when surel gets SIGTERM
# or SIGHUP and when the editor fails;
# an encrypted message read in the pager teaches Autocrypt its sender's
# key, which pgp_encrypt = if-possible then uses, and the key gossip inside
# its encryption (but not outside).
. "$(dirname "$0")/lib.sh"
PGP_TRAP_EXTRA='tmux -S "$SOCK" kill-server 2> /dev/null || true; [ -s "$T/edpid" ] && kill "$(cat "$T/edpid")" 2> /dev/null || true;'
. "$(dirname "$0")/../integration/pgp-lib.sh"
. "$(dirname "$0")/../integration/pgpw-lib.sh"

A=$(pgp_home ana)
B=$(pgp_home bob)
fa=$(pgp_key "$A" "Ana <ana@example.test>" "")
fb=$(pgp_key "$B" "Bob <bob@example.test>" "")
pgp_export "$A" "$B" "$fa"
pgp_export "$B" "$A" "$fb"
export GNUPGHOME="$A" TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"

marker="PGPMARK-$$-reply"
pgp_entity "Rahasia $marker." "Subject: Gaji rahasia" "From: Bob <bob@example.test>" > "$T/e-enc"
pgp_encrypted "$B" "$fa" "$T/e-enc" "$fb" > "$T/b-enc"
rm -f "$T/e-enc"
{
	printf 'From: Bob <bob@example.test>\nTo: Ana <ana@example.test>\nSubject: ...\n'
	printf 'Date: Sun, 06 Dec 2026 10:00:00 +0000\nMessage-ID: <gaji@example.test>\nMIME-Version: 1.0\n'
	cat "$T/b-enc"
} | "$SPOOL" deliver "$T/Mail/INBOX"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 7200
editor = $T/editor

[account work]
name = Ana
address = ana@example.test
maildir = $T/Mail
pgp_key = $fa
autocrypt = yes
CFG
# The editor adds a line; in "hang" mode it also leaves a swap file
# beside it (as vi does), tells where it works and waits, so the test can
# kill surel under it.
cat > "$T/editor" <<ED
#!/bin/sh
printf 'Tambahan DRAFTMARK.\n' >> "\$1"
[ -e "$T/fail" ] && exit 3
if [ -e "$T/hang" ]; then
	printf 'swap %s\n' "\$(cat "\$1")" > "\$(dirname "\$1")/.draft.eml.swp"
	echo \$\$ > "$T/edpid"
	stat -c %a "\$(dirname "\$1")" > "$T/edmode"
	echo "\$1" > "$T/edpath.tmp" && mv "$T/edpath.tmp" "$T/edpath"
	exec sleep 60
fi
ED
chmod +x "$T/editor"
Q="$XDG_DATA_HOME/surel/queue"
nqueued() {
	if [ -d "$Q/env" ]; then ls -A "$Q/env" | wc -l; else echo 0; fi
}

ui_start
wait_for 'surel: INBOX \[Msgs:1' "the INBOX"
keys m
wait_for '^To:' "the To prompt"
keys "bob@example.test, carol@example.test" Enter
wait_for '^ +Security: none' "the Security line"
keys p
wait_for '^ +Security: sign$' "p: sign"
keys p
wait_for '^ +Security: encrypt -- no key for carol@example.test$' "p: encrypt, Carol named"
grep -q 'no key for bob' "$T/screen" && fail "Bob has a key but is named: $(cat "$T/screen")"
keys y
wait_for 'cannot encrypt: no usable key for carol@example.test' "y refused"
[ "$(nqueued)" -eq 0 ] || fail "y queued a message although a key is missing"
keys p
wait_for '^ +Security: sign, encrypt -- no key for carol' "p: sign, encrypt"
keys p
wait_for '^ +Security: none' "p: back to none"
keys p p
wait_for '^ +Security: encrypt -- no key for carol' "encrypt again"
ok "p cycles none, sign, encrypt, sign+encrypt; a missing key is named before y, which queues nothing"

keys t C-u "bob@example.test" Enter
wait_for '^ +Security: encrypt$' "Bob alone: every key there"
keys s C-u "Rencana DRAFTSUBJ" Enter
wait_for '^ +Subject: Rencana DRAFTSUBJ'
keys P
wait_for 'postponed to the drafts folder'
d=$(ls "$T/Mail/Drafts/cur" "$T/Mail/Drafts/new" 2> /dev/null | grep -v ':$' | grep . | head -n 1)
f=$(ls "$T"/Mail/Drafts/*/"$d")
grep -q '^Content-Type: multipart/encrypted' "$f" || fail "the draft is not encrypted: $(cat "$f")"
grep -rq 'DRAFTMARK\|DRAFTSUBJ' "$HOME" "$TMPDIR" && fail "the draft's text is on disk in clear"
mkdir -p "$T/d"
pw_rfc3156 "$f" "$T/d" > /dev/null
GNUPGHOME="$B" gpg --batch --decrypt "$T/d/cipher" > /dev/null 2>&1 && fail "the draft is readable by Bob"
ok "P stores the encrypted message's draft encrypted to the sender only"

keys m
wait_for 'Recall postponed message\? \(y/n\)'
keys y
wait_for '^ +Subject: Rencana DRAFTSUBJ' "the draft resumed, decrypted"
grep -Eq '^ +Security: encrypt$' "$T/screen" || fail "the draft lost its choice: $(cat "$T/screen")"
keys q
wait_for 'Abort this message'
keys y
wait_for 'message aborted'
ok "the encrypted draft comes back decrypted with its choice"

# Read it first (the pager decrypts), then reply from the pager.
keys Enter
wait_for "Rahasia $marker" "the pager shows the decrypted text"
keys r
wait_for '^ +Subject: Re: Gaji rahasia' "reply: the protected Subject"
grep -Eq '^ +Security: encrypt$' "$T/screen" || fail "a reply to encrypted mail is not encrypted: $(cat "$T/screen")"
keys y
wait_for 'queued as ' "the reply queued"
m="$Q/msg/$(ls -t "$Q/msg" | head -n 1)"
grep -q '^Content-Type: multipart/encrypted' "$m" || fail "the reply went out in clear"
mkdir -p "$T/r"
pw_rfc3156 "$m" "$T/r" > /dev/null
GNUPGHOME="$B" gpg --batch --decrypt "$T/r/cipher" 2> /dev/null | grep -q "^> Rahasia $marker" ||
	fail "Bob's decryption lacks the quoted text"
# The protected Subject neither (the screen captures aside).
if grep -rl --exclude=screen --exclude=raw -e "$marker" -e 'Gaji rahasia' "$HOME" "$TMPDIR" "$T" > "$T/found" 2> /dev/null; then
	fail "the marker or the protected Subject is on disk in clear: $(cat "$T/found")"
fi
ok "reading and replying to encrypted mail: decrypted quote, encrypted by default and on the wire; no plaintext on disk"

: > "$T/hang"
keys m
wait_for 'Recall postponed message\? \(y/n\)|^To:'
screen | grep -q 'Recall' && keys n && wait_for '^To:'
keys "bob@example.test" Enter
i=0
while [ ! -s "$T/edpath" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$T/edpath" ] || fail "the editor never started"
p=$(cat "$T/edpath")
[ "$(cat "$T/edmode")" = 700 ] || fail "the editor's directory is mode $(cat "$T/edmode"), not 700"
case "$p" in "$TMPDIR"/surel-edit-*/*) ;; *) fail "the editor's file is not in a private directory under TMPDIR: $p" ;; esac
[ -s "$p" ] || fail "the editor's file is empty"
[ -s "$(dirname "$p")/.draft.eml.swp" ] || fail "the editor left no swap file"
kill -TERM "$(surel_pid)"
wait_for '^SUREL-EXIT 143$' "surel ends on SIGTERM"
[ -e "$p" ] && fail "the editor's file survived SIGTERM"
[ -e "$(dirname "$p")" ] && fail "the editor's directory survived SIGTERM"
kill "$(cat "$T/edpid")" 2> /dev/null || true
ok "SIGTERM while the editor runs: its 0700 directory and file are gone"

# SIGHUP (the terminal gone) while the editor runs, and an editor that
# fails: the private directory goes too.
ui_stop
rm -f "$T/edpath" "$T/edpid"
ui_start
wait_for 'surel: INBOX'
keys m
wait_for 'Recall postponed message\? \(y/n\)|^To:'
screen | grep -q 'Recall' && keys n && wait_for '^To:'
keys "bob@example.test" Enter
i=0
while [ ! -s "$T/edpath" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$T/edpath" ] || fail "the editor never started (SIGHUP)"
p=$(cat "$T/edpath")
kill -HUP "$(surel_pid)"
wait_for '^SUREL-EXIT [0-9]+$' "surel ends on SIGHUP"
[ -e "$(dirname "$p")" ] && fail "the editor's directory survived SIGHUP"
kill "$(cat "$T/edpid")" 2> /dev/null || true
rm -f "$T/hang"
: > "$T/fail"
ui_stop
ui_start
wait_for 'surel: INBOX'
keys m
wait_for 'Recall postponed message\? \(y/n\)|^To:'
screen | grep -q 'Recall' && keys n && wait_for '^To:'
keys "bob@example.test" Enter
wait_for 'failed: exit status 3' "the editor's failure shown"
ls -d "$TMPDIR"/surel-edit-* > /dev/null 2>&1 && fail "the editor's directory survived its failure"
rm -f "$T/fail"
ok "SIGHUP while the editor runs, and a failing editor: the private directory is gone"

# Autocrypt: Dan's key arrives in a header of a message encrypted to Ana
# (Cc Carol, Eli) whose encrypted payload gossips Bob's key for Carol;
# Bob's key for Eli is gossiped in the clear.  Reading it imports Dan's
# key and records the peer and Carol's gossip (not Eli's), and if-possible
# then encrypts.
D=$(pgp_home dan)
fd=$(pgp_key "$D" "Dan <dan@example.test>" "")
pgp_export "$A" "$D" "$fa"
GNUPGHOME="$D" gpg --batch --export --export-options export-minimal "$fd" > "$T/dan.key"
GNUPGHOME="$B" gpg --batch --export --export-options export-minimal "$fb" > "$T/bob.key"
# ac_field NAME ADDR KEYFILE: an Autocrypt header field, folded.
ac_field() {
	python3 - "$@" <<'PY'
import base64, sys, textwrap
name, addr, f = sys.argv[1:]
print('%s: addr=%s;%s keydata=' % (name, addr, ' prefer-encrypt=mutual;' if name == 'Autocrypt' else ''))
for line in textwrap.wrap(base64.b64encode(open(f, 'rb').read()).decode(), 72):
    print(' ' + line)
PY
}
pgp_entity "Halo Ana." "$(ac_field Autocrypt-Gossip carol@example.test "$T/bob.key")" > "$T/dan-inner"
{
	printf 'From: Dan <dan@example.test>\nTo: Ana <ana@example.test>\n'
	printf 'Cc: carol@example.test, eli@example.test\nSubject: halo dari Dan\n'
	printf 'Date: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <dan.1@example.test>\nMIME-Version: 1.0\n'
	ac_field Autocrypt dan@example.test "$T/dan.key"
	ac_field Autocrypt-Gossip eli@example.test "$T/bob.key"
	pgp_encrypted "$D" "$fa" "$T/dan-inner"
} > "$T/dan.eml"
"$SPOOL" deliver "$T/Mail/INBOX" < "$T/dan.eml"
GNUPGHOME="$A" gpg --batch --list-keys "$fd" > /dev/null 2>&1 && fail "Dan's key is in the keyring already"
ui_stop
ui_start
wait_for 'surel: INBOX \[Msgs:2' "the INBOX with Dan's message"
keys '*' Enter
wait_for 'Halo Ana\.' "Dan's message in the pager"
keys q
wait_for 'surel: INBOX'
keys q
wait_for '^SUREL-EXIT 0'
st="$XDG_STATE_HOME/surel/autocrypt/work"
grep -q "^peer dan@example.test [0-9]* [0-9]* $fd mutual " "$st" || fail "no Autocrypt state for Dan: $(cat "$st" 2> /dev/null)"
grep -q "^peer carol@example.test 0 0 - nopreference [1-9][0-9]* $fb$" "$st" ||
	fail "the gossip inside the encryption was not learned: $(cat "$st")"
grep -q "^peer eli@example.test" "$st" && fail "gossip in the clear was learned: $(cat "$st")"
GNUPGHOME="$A" gpg --batch --list-keys "$fd" > /dev/null 2>&1 || fail "Dan's key was not imported"
sed -i 's/^autocrypt = yes$/autocrypt = yes\npgp_encrypt = if-possible/' "$XDG_CONFIG_HOME/surel/config"
before=$(ls "$Q/msg" | wc -l)
printf 'Untuk Dan.\n' | "$SUREL" -s "Auto Dan" dan@example.test || fail "surel -s to Dan failed"
m="$Q/msg/$(ls -t "$Q/msg" | head -n 1)"
[ "$(ls "$Q/msg" | wc -l)" -gt "$before" ] || fail "nothing queued for Dan"
grep -q '^Content-Type: multipart/encrypted' "$m" || fail "if-possible did not use Dan's Autocrypt key"
mkdir -p "$T/dan"
pw_rfc3156 "$m" "$T/dan" > /dev/null
GNUPGHOME="$D" gpg --batch --decrypt "$T/dan/cipher" 2> /dev/null | grep -q 'Untuk Dan' ||
	fail "Dan cannot decrypt"
ok "Autocrypt: reading Dan's encrypted message records his key and the gossip inside (not outside); if-possible encrypts to him"
