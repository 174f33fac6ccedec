#!/bin/sh
# surel -s on the real binary: the message lands in the queue (checked with
# sendq list --json and by parsing the queued body with spool show --json),
# attachments come back byte for byte, the exit codes 64/65/66/78 hold and
# nothing is queued then, and the relay nudge delivers local mail.
. "$(dirname "$0")/lib.sh"

SUREL="$top_builddir/mua/surel"
SENDQ="$top_builddir/sendq/sendq"
Q="$XDG_DATA_HOME/surel/queue"
command -v python3 > /dev/null || skip "python3 is needed to read the JSON output"

nqueued() {
	if [ -d "$Q/env" ]; then ls -A "$Q/env" | wc -l; else echo 0; fi
}

# The newest queued message: by creation second, then by the microseconds
# in its ID (SECONDS.MusecPpidQn.host), since two sends share a second.
NEWEST="newest = lambda e: (e['created'], int(e['id'].split('.')[1][1:].split('P')[0]))"

# py EXPR: print a python expression over e (the newest entry of sendq
# list --json) and m (spool show --json of its queued body).
py() {
	"$SENDQ" list --json > "$T/list.json" || fail "sendq list --json failed"
	id=$(python3 -c "import json; $NEWEST; q = json.load(open('$T/list.json')); print(max(q, key=newest)['id'] if q else '')")
	if [ -n "$id" ]; then
		"$SPOOL" show --json "$Q/msg/$id" > "$T/show.json" || fail "spool show --json failed on the queued body"
	else
		echo null > "$T/show.json"
	fi
	python3 -c "
import json
q = json.load(open('$T/list.json'))
$NEWEST
e = max(q, key=newest) if q else None
m = json.load(open('$T/show.json'))
print(($1))"
}

mkdir -p "$XDG_CONFIG_HOME/surel"
# A long send_delay keeps the relay out of the way until the last test.
cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[general]
send_delay = 3600

[account work]
name = Ana Pütri
address = ana@example.test
maildir = $T/Mail/work
EOF

# Plain text to two recipients and a Bcc.
printf 'Halo Bob,\n\nrapat jam 10.\n' > "$T/body"
expect_exit 0 "$SUREL" -s "Rapat besok" -c carol@example.test -b eve@example.test \
	bob@example.test < "$T/body"
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] || fail "surel -s is not silent: $(cat "$T/err")"
[ "$(nqueued)" -eq 1 ] || fail "expected one queued message"
[ "$(py 'e["sender"], e["account"], sorted(r["address"] for r in e["recipients"])')" = \
	"('ana@example.test', 'work', ['bob@example.test', 'carol@example.test', 'eve@example.test'])" ] ||
	fail "envelope wrong: $(cat "$T/list.json")"
[ "$(py 'm["subject"], m["text"], [a["addr"] for a in m["to"]], [a["addr"] for a in m["cc"]]')" = \
	"('Rapat besok', 'Halo Bob,\\n\\nrapat jam 10.\\n', ['bob@example.test'], ['carol@example.test'])" ] ||
	fail "queued message wrong: $(cat "$T/show.json")"
[ "$(py 'm["from"]')" = "[{'name': 'Ana Pütri', 'addr': 'ana@example.test'}]" ] ||
	fail "From wrong: $(cat "$T/show.json")"
id=$(py 'e["id"]')
grep -qi '^bcc:' "$Q/msg/$id" && fail "Bcc kept in the queued message"
grep -q '^Content-Transfer-Encoding: 7bit$' "$Q/msg/$id" || fail "ASCII text not sent as 7bit"
grep -q '^User-Agent: surel/' "$Q/msg/$id" || fail "no User-Agent"
grep -q '^Message-ID: <.*@example.test>$' "$Q/msg/$id" || fail "no Message-ID at the From domain"
ok "surel -s queues a MIME message: envelope, From with name, Cc, Bcc stripped"

# UTF-8 subject and text, two attachments (one with a non-ASCII name),
# options after the address, a list in one argument.
printf 'Selamat pagi \342\200\224 lampiran terlampir.\n' > "$T/body"
head -c 3000 /dev/urandom > "$T/data.bin"
mkdir -p "$T/files"
printf 'baris satu\r\nbaris dua\r\n' > "$T/files/catatan rapat é.txt"
expect_exit 0 "$SUREL" -s "Laporan Q3 — final" "dave@example.test, Fay <fay@example.test>" \
	-a "$T/data.bin" -a "$T/files/catatan rapat é.txt" < "$T/body"
[ "$(py 'm["subject"], m["text"]')" = "('Laporan Q3 — final', 'Selamat pagi — lampiran terlampir.\\n')" ] ||
	fail "UTF-8 subject or text wrong: $(cat "$T/show.json")"
[ "$(py '[(p["content_type"], p["filename"], p["size"]) for p in m["parts"]]')" = \
	"[('text/plain', None, 37), ('application/octet-stream', 'data.bin', 3000), ('text/plain', 'catatan rapat é.txt', 23)]" ] ||
	fail "parts wrong: $(cat "$T/show.json")"
[ "$(py 'sorted(r["address"] for r in e["recipients"])')" = "['dave@example.test', 'fay@example.test']" ] ||
	fail "list argument not split: $(cat "$T/list.json")"
id=$(py 'e["id"]')
LC_ALL=C grep -q '[^ -~]' "$Q/msg/$id" && fail "queued message is not 7-bit clean"
# The attachment bytes, decoded by Python's email package.
python3 - "$Q/msg/$id" "$T/data.bin" "$T/files/catatan rapat é.txt" <<'EOF' || fail "attachment bytes differ"
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
parts = list(m.iter_attachments())
assert [p.get_filename() for p in parts] == ['data.bin', 'catatan rapat é.txt'], parts
for p, path in zip(parts, sys.argv[2:]):
    assert p.get_payload(decode=True) == open(path, 'rb').read(), path
assert not m.defects
EOF
ok "UTF-8 subject and text, binary and non-ASCII-named attachments round trip"

n=$(nqueued)
# Exit codes; nothing queued on any of them.
expect_exit 65 "$SUREL" -s x 'a@b@c' < "$T/body"
expect_one_line_error surel
expect_exit 65 "$SUREL" -s x -c 'two words' bob@example.test < "$T/body"
expect_one_line_error surel
expect_exit 65 "$SUREL" -s "$(printf 'x\nBcc: eve@example.test')" bob@example.test < "$T/body"
expect_one_line_error surel
expect_exit 66 "$SUREL" -s x -a "$T/nosuch.pdf" bob@example.test < "$T/body"
expect_one_line_error surel
grep -q "nosuch.pdf" "$T/err" || fail "missing attachment not named: $(cat "$T/err")"
expect_exit 64 "$SUREL" -s x < "$T/body"
expect_one_line_error surel
expect_exit 64 "$SUREL" -s x -Z bob@example.test < "$T/body"
expect_one_line_error surel
expect_exit 78 "$SUREL" -A nosuch -s x bob@example.test < "$T/body"
expect_one_line_error surel
[ "$(nqueued)" -eq "$n" ] || fail "a refused message was queued"
ok "bad address 65, missing attachment 66, usage 64, unknown account 78; nothing queued"

# No configuration: $EMAIL says who sends, else 78.
mv "$XDG_CONFIG_HOME/surel/config" "$T/config.saved"
expect_exit 78 env -u EMAIL "$SUREL" -s x bob@example.test < "$T/body"
expect_one_line_error surel
grep -q 'EMAIL' "$T/err" || fail "no-config error does not mention \$EMAIL: $(cat "$T/err")"
[ "$(nqueued)" -eq "$n" ] || fail "queued without a From address"
expect_exit 0 env EMAIL='Ana Lima <ana@lima.test>' "$SUREL" -s "no config" bob@example.test < "$T/body"
[ "$(py 'e["sender"], e["account"], m["from"]')" = \
	"('ana@lima.test', None, [{'name': 'Ana Lima', 'addr': 'ana@lima.test'}])" ] ||
	fail "\$EMAIL sender wrong: $(cat "$T/list.json")"
printf '[general\n' > "$XDG_CONFIG_HOME/surel/config"
expect_exit 78 env EMAIL=ana@lima.test "$SUREL" -s x bob@example.test < "$T/body"
expect_one_line_error surel
ok "without a config \$EMAIL is the sender; no \$EMAIL or a broken config is 78"

# The nudge: with no send_delay, surel starts the sendq found on $PATH,
# which delivers local mail into the INBOX.
cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[account work]
address = ana@example.test
maildir = $T/Mail/work
local_domains = example.test
EOF
rm -rf "$Q"
expect_exit 0 env PATH="$top_builddir/sendq:$PATH" "$SUREL" -s "to myself" ana@example.test < "$T/body"
i=0
while [ "$(ls -A "$T/Mail/work/INBOX/new" 2> /dev/null | wc -l)" -eq 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
f=$(ls "$T/Mail/work/INBOX/new" 2> /dev/null | head -n 1)
[ -n "$f" ] || fail "the nudged flush did not deliver the message"
grep -q '^Subject: to myself$' "$T/Mail/work/INBOX/new/$f" || fail "delivered message wrong"
ok "the relay is nudged after sending"
