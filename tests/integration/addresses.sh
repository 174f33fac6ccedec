#!/bin/sh
# spool addresses: the three sources merged in order (aliases_file, the
# book learned from Sent, the queue and replied-to mail, a scripted
# address_cmd), the JSON shape, mutt's query format, the query passed to
# the command as data, an account's own keys, the cache rebuilt when
# damaged and updated when a folder changes.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed to read the JSON"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
aliases_file = $T/aliases
address_cmd = $T/query %s

[account demo]
address = demo@example.test
aliases = demo.alias@example.test, *@self.example
maildir = $T/Mail

[account other]
address = other@example.test
maildir = $T/other
address_cmd = $T/query-other
CFG
cat > "$T/aliases" <<'AL'
# mutt aliases
alias ana Ana Alias <ana.alias@example.org>
alias team ana, "Budi S." <budi@example.org>   # two people
AL
# The scripted address_cmd: a first line of free text, then the lines of
# mutt's query format; it records its argument so the test can look.
cat > "$T/query" <<SH
#!/bin/sh
printf '%s\n' "\$@" > "$T/query-args"
echo "searching the directory"
printf 'anak@example.net\tAnak Command\tfrom ldap\nbudi@example.org\tBudi Again\n' |
	grep -i -F -e "\$1" || :
SH
cat > "$T/query-other" <<'SH'
#!/bin/sh
echo "other"
printf 'other-cmd@example.net\tOther\n'
SH
chmod +x "$T/query" "$T/query-other"

# The user wrote to Anastasia twice and to Bambang once (Sent), has one
# message to Anita in the queue, and replied to Andi (flag R).
sent() {
	printf 'From: demo@example.test\nTo: %s\nDate: %s\nMessage-ID: <%s@x>\n\nx\n' "$1" "$2" "$3" |
		"$SPOOL" deliver Sent
}
sent 'Anastasia <anastasia@example.org>, demo@example.test, demo.alias@example.test, me@self.example' 'Mon, 30 Nov 2026 10:00:00 +0000' s1
sent 'anastasia@example.org' 'Tue, 1 Dec 2026 10:00:00 +0000' s2
sent 'Bambang <bambang@example.org>' 'Tue, 1 Dec 2026 11:00:00 +0000' s3
mkdir -p "$XDG_DATA_HOME/surel/queue/msg"
printf 'To: Anita <anita@example.org>\nMessage-ID: <q1@x>\n\nx\n' > "$XDG_DATA_HOME/surel/queue/msg/1764000000.q1"
printf 'From: Andi <andi@example.org>\nTo: demo@example.test\nMessage-ID: <r1@x>\n\nx\n' |
	"$SPOOL" deliver INBOX
printf 'From: Anton <anton@example.org>\nTo: demo@example.test\nMessage-ID: <r2@x>\n\nx\n' |
	"$SPOOL" deliver INBOX
f=$(cd "$T/Mail/INBOX/new" && grep -l 'andi@' ./*)
mv "$T/Mail/INBOX/new/$f" "$T/Mail/INBOX/cur/$f:2,RS"

"$SPOOL" addresses --json an > "$T/out.json"
python3 - "$T/out.json" <<'PY' || fail "addresses --json an: $(cat "$T/out.json")"
import json, sys
got = json.load(open(sys.argv[1]))
for o in got:
    assert list(o) == ["address", "name", "source", "alias"], o
want = [
    ("ana.alias@example.org", "Ana Alias", "alias", "ana"),
    ("ana.alias@example.org", "Ana Alias", "alias", "team"),
    ("budi@example.org", "Budi S.", "alias", "team"),
    ("anastasia@example.org", "Anastasia", "book", None),
    ("andi@example.org", "Andi", "book", None),
    ("bambang@example.org", "Bambang", "book", None),
    ("anita@example.org", "Anita", "book", None),
    ("anak@example.net", "Anak Command", "command", None),
]
assert [(o["address"], o["name"], o["source"], o["alias"]) for o in got] == want, got
PY
[ "$(cat "$T/query-args")" = an ] || fail "address_cmd got: $(cat "$T/query-args")"
ok "three sources in order, each address once, JSON members"

"$SPOOL" addresses bamb > "$T/out"
printf '1 match\nbambang@example.org\tBambang\tbook\n' | cmp -s - "$T/out" ||
	fail "plain output: $(cat "$T/out")"
"$SPOOL" addresses '' > "$T/out"
grep -q '^anton@' "$T/out" && fail "a message not replied to was learned: $(cat "$T/out")"
grep -Eq '^(demo|demo.alias)@|@self.example' "$T/out" && fail "the user's own address was learned: $(cat "$T/out")"
[ "$(head -n 1 "$T/out")" = "7 matches" ] || fail "'' lists: $(cat "$T/out")"
ok "mutt query format; own addresses (address, aliases) and unreplied senders left out"

# The query is one argument, whatever it holds.
"$SPOOL" addresses "x'; touch $T/pwned; \$(touch $T/pwned)" > /dev/null
[ -e "$T/pwned" ] && fail "the query was run as shell text"
[ "$(cat "$T/query-args")" = "x'; touch $T/pwned; \$(touch $T/pwned)" ] ||
	fail "address_cmd got: $(cat "$T/query-args")"
ok "the query reaches address_cmd as one argument"

"$SPOOL" -A other addresses --json other > "$T/out.json"
python3 -c '
import json, sys
got = json.load(open(sys.argv[1]))
assert [o["address"] for o in got] == ["other-cmd@example.net"], got
' "$T/out.json" || fail "-A other: $(cat "$T/out.json")"
ok "an account's own address_cmd replaces [general]'s"

# Updated incrementally: a new Sent message is found; a damaged cache is
# rebuilt with the same result.
sent 'Baskara <baskara@example.org>' 'Wed, 2 Dec 2026 10:00:00 +0000' s4
"$SPOOL" addresses bas | grep -q '^baskara@example.org	Baskara	book$' ||
	fail "new Sent message not learned: $("$SPOOL" addresses bas)"
cache="$XDG_CACHE_HOME/surel/abook"
[ -f "$cache" ] || fail "no cache file"
"$SPOOL" addresses '' > "$T/before"
printf 'garbage\n' > "$cache"
"$SPOOL" addresses '' > "$T/after" 2> "$T/err"
cmp -s "$T/before" "$T/after" || fail "rebuilt book differs: $(diff "$T/before" "$T/after")"
grep -q 'rebuilding' "$T/err" || fail "no word about the rebuilt cache: $(cat "$T/err")"
ok "incremental update, damaged cache rebuilt"

# Errors: a missing address_cmd is a configuration error, after the
# other sources' output; no query is a usage error.
sed -i "s|^address_cmd = .*query %s|address_cmd = $T/missing-query|" "$XDG_CONFIG_HOME/surel/config"
expect_exit 78 "$SPOOL" addresses ana
expect_one_line_error spool
grep -q '^ana.alias@example.org' "$T/out" || fail "aliases not printed before the error: $(cat "$T/out")"
expect_exit 64 "$SPOOL" addresses
expect_one_line_error spool
ok "exit codes"
