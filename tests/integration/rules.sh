#!/bin/sh
# Filing rules (ruleN = HEADER ~ REGEX -> FOLDER): spool deliver files by
# the header, an explicit folder bypasses the rules, a bad rule is a
# config error naming file, line and key; spool fetch files INBOX mail
# into the rule folders and a fetch after a lost state write stores
# nothing twice (the fetch part needs a private Dovecot: root).
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
CFG="$XDG_CONFIG_HOME/surel/config"
RULES='rule1 = List-Id ~ dev\.lists\.example -> Lists/dev
rule2 = From ~ @bank\.example -> Bank
rule10 = Subject ~ ^\[SPAM\] -> Junk'

cat > "$CFG" <<CFG
[account t]
address = t@example.test
maildir = $T/acct
$RULES
CFG

mail() {
	# mail FILE HEADERS...: a message with those header lines
	f=$1
	shift
	printf '%s\n' "$@" > "$f"
	printf '\nbody of %s\r\nwith CRLF and a NUL \0 byte\n' "$(basename "$f")" >> "$f"
}
count() {
	find "$1/cur" "$1/new" -type f 2> /dev/null | wc -l
}

mail "$T/list.eml" 'From: Bot <bot@lists.example>' 'List-Id: Developers <dev.lists.example>' \
	'Subject: [SPAM] but the list rule comes first'
mail "$T/bank.eml" 'From: Bank <NoReply@Bank.Example>' 'Subject: statement'
mail "$T/spam.eml" 'From: x@spam.example' 'Subject: =?UTF-8?Q?=5BSPAM=5D_caf=C3=A9?='
mail "$T/plain.eml" 'From: friend@example.org' 'Subject: hello' 'X-Note: from @bank.example'
for m in list bank spam plain; do
	"$SPOOL" deliver < "$T/$m.eml" || fail "deliver $m"
done
[ "$(count "$T/acct/Lists/dev")" -eq 1 ] || fail "List-Id rule did not file"
[ "$(count "$T/acct/Bank")" -eq 1 ] || fail "From rule did not file"
[ "$(count "$T/acct/Junk")" -eq 1 ] || fail "Subject rule (RFC 2047-decoded) did not file"
[ "$(count "$T/acct/INBOX")" -eq 1 ] || fail "unmatched mail not in INBOX"
cmp -s "$T/list.eml" "$T/acct/Lists/dev/new/"* || fail "Lists/dev copy differs"
cmp -s "$T/bank.eml" "$T/acct/Bank/new/"* || fail "Bank copy differs"
cmp -s "$T/spam.eml" "$T/acct/Junk/new/"* || fail "Junk copy differs"
cmp -s "$T/plain.eml" "$T/acct/INBOX/new/"* || fail "INBOX copy differs"
ok "deliver files by rule, first match wins, the rest to INBOX, byte for byte"

# A big message: the head read for the rules and the streamed rest join up.
python3 -c "
import sys
w = sys.stdout.buffer.write
w(b'From: Bank <x@bank.example>\n' + b''.join(b'X-Pad-%d: %s\n' % (i, b'p' * 70) for i in range(3000)))
w(b'\n' + b'line of the body\n' * 200000)" > "$T/big.eml"
"$SPOOL" deliver < "$T/big.eml"
[ "$(count "$T/acct/Bank")" -eq 2 ] || fail "big message not filed into Bank"
ls "$T/acct/Bank/new/" | while read -r f; do cmp -s "$T/big.eml" "$T/acct/Bank/new/$f" && echo same; done |
	grep -q same || fail "big message not stored byte for byte"
ok "a 3 MB message with a 200 KB header is filed and stored byte for byte"

"$SPOOL" deliver Archive < "$T/bank.eml"
"$SPOOL" deliver "$T/elsewhere" < "$T/list.eml"
[ "$(count "$T/acct/Archive")" -eq 1 ] || fail "explicit folder not used"
[ "$(count "$T/elsewhere")" -eq 1 ] || fail "explicit path not used"
[ "$(count "$T/acct/Bank")" -eq 2 ] && [ "$(count "$T/acct/Lists/dev")" -eq 1 ] ||
	fail "explicit folder went through the rules"
ok "an explicit folder or path bypasses the rules"

cat > "$CFG" <<CFG
[account t]
address = t@example.test
maildir = $T/acct
rule1 = From ~ ok -> Ok
rule2 = Subject ~ ([unclosed -> Junk
CFG
expect_exit 78 "$SPOOL" folders
expect_one_line_error spool
grep -q "config:5: 'rule2': bad regular expression" "$T/err" || fail "bad regex error: $(cat "$T/err")"
expect_exit 75 "$SPOOL" deliver < "$T/plain.eml"
grep -q "config:5: 'rule2'" "$T/err" || fail "deliver bad-rule error: $(cat "$T/err")"
ok "a bad regex is a config error naming file:line:key (78; deliver keeps mail queued with 75)"

for bad in 'rule1 = Subject ~ x -> ../up' 'rule1 = Subject x -> F' 'rule01 = Subject ~ x -> F'; do
	printf '[account t]\naddress = t@example.test\n%s\n' "$bad" > "$CFG"
	expect_exit 78 "$SPOOL" folders
	grep -q "config:3: " "$T/err" || fail "'$bad': $(cat "$T/err")"
done
ok "bad folders, syntax and key numbers are config errors"

# --- spool fetch with rules -------------------------------------------------
command -v dovecot > /dev/null 2>&1 && [ -x /usr/lib/dovecot/imap-login ] &&
	[ "$(id -u)" -eq 0 ] && id mail > /dev/null 2>&1 || {
	echo "# fetch part skipped: needs dovecot and root"
	exit 0
}
. "$(dirname "$0")/dovecot.sh"
dovecot_start

# srv NAME HEADERS...: a message in the server's INBOX.
srv() {
	n=$1
	shift
	f="$DC_MAILDIR/new/1700000000.M${n}P1.srv"
	printf '%s\n' "$@" "Message-ID: <$n@srv.example>" "" "server message $n" > "$f"
}
srv 1 'From: bot@lists.example' 'List-Id: <dev.lists.example>' 'Subject: one'
srv 2 'From: Bank <a@bank.example>' 'Subject: two'
srv 3 'From: friend@example.org' 'Subject: three'
srv 4 'From: s@spam.example' 'Subject: [SPAM] four'
srv 5 'From: friend@example.org' 'Subject: five'
chown -R mail:mail "$DC_MAILDIR"

fcfg() {
	cat > "$CFG" <<CFG
[account t]
address = $DC_USER@example.test
maildir = $T/f
fetch = imaps://127.0.0.1:$DC_IMAPS
user = $DC_USER
password_cmd = printf '%s' '$DC_PASS'
tls_ca_file = $DATA/tls/ca.pem
$RULES
CFG
}
fcfg
expect_exit 0 "$SPOOL" -v fetch
grep -q " 5 message(s)" "$T/err" || fail "fetch: $(cat "$T/err")"
[ "$(count "$T/f/Lists/dev")" -eq 1 ] && [ "$(count "$T/f/Bank")" -eq 1 ] &&
	[ "$(count "$T/f/Junk")" -eq 1 ] && [ "$(count "$T/f/INBOX")" -eq 2 ] ||
	fail "fetch did not file by rule: $(find "$T/f" -type f | grep -v surel-fetch)"
grep -rq "server message 2" "$T/f/Bank" || fail "wrong message in Bank"
ok "fetch files INBOX mail into the rule folders"

expect_exit 0 "$SPOOL" -v fetch
grep -q " 0 message(s)" "$T/err" || fail "second fetch: $(cat "$T/err")"
# A crash after the batches were renamed but before the state write.
sed -i 's/^last_uid .*/last_uid 0/' "$T/f/.surel-fetch/t.INBOX.state"
expect_exit 0 "$SPOOL" -v fetch
grep -q " 0 message(s)" "$T/err" || fail "fetch after a lost state write: $(cat "$T/err")"
grep -q "5 message(s) already stored" "$T/err" || fail "recovery not reported: $(cat "$T/err")"
[ "$(find "$T/f" -path '*/.surel-fetch' -prune -o -type f -print | wc -l)" -eq 5 ] ||
	fail "duplicates: $(find "$T/f" -type f)"
ok "a re-fetch, also after a lost state write, stores nothing twice"
