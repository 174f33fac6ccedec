#!/bin/sh
# spool search against a brute-force scan (tests/tools/search-brute.py,
# which reads the mail with Python's email package): 100 random queries
# over the test corpus and generated mail in Latin with diacritics,
# Cyrillic, CJK and Indonesian; again after new, renamed and removed
# files; after kill -9 of `spool index` at random points
# (SEARCH_CRASH_ROUNDS, default 3; 50 for a soak); and over a corrupt
# index.  SEARCH_SEED picks other queries.
. "$(dirname "$0")/lib.sh"

command -v python3 > /dev/null 2>&1 || skip "python3 missing"
BRUTE="$top_srcdir/tests/tools/search-brute.py"
SEED=${SEARCH_SEED:-17}
ROUNDS=${SEARCH_CRASH_ROUNDS:-3}
export TZ=UTC
MD="$T/Mail"
mkdir -p "$XDG_CONFIG_HOME/surel"
printf '[account a]\naddress = a@example.test\nmaildir = %s\n' "$MD" > "$XDG_CONFIG_HOME/surel/config"
python3 "$BRUTE" gen "$MD" "$DATA/corpus" "$SEED" 300

export BRUTE_CACHE="$T/brute.cache"
check() {
	python3 "$BRUTE" check "$MD" "$SPOOL" "$1" "$2" > "$T/check" 2>&1 ||
		fail "$3: $(tail -n 5 "$T/check")"
	ok "$3: $(tail -n 1 "$T/check")"
}

"$SPOOL" index > "$T/out"
grep -q '^530 messages in 3 folders$' "$T/out" || fail "index: $(cat "$T/out")"
check "$SEED" 100 "first index"

# The contract of --json, newest first.
"$SPOOL" search --json --limit 3 'kasih' > "$T/j"
python3 - "$T/j" <<'PY' || fail "--json shape: $(cat "$T/j")"
import json, sys
v = json.load(open(sys.argv[1]))
assert len(v) == 3, v
for h in v:
    assert list(h) == ["folder", "key", "date_unix", "from", "subject", "snippet"], list(h)
    assert "kasih" in h["snippet"].lower(), h
assert [h["date_unix"] for h in v] == sorted((h["date_unix"] for h in v), reverse=True)
PY
ok "--json: the contract's fields, newest first, a snippet around the word"

# Kept current: new files, a flag change (a rename) and a removal.
for i in 1 2 3; do
	printf 'From: Late <late@example.test>\nSubject: late arrival %s\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n\nzebrafish nocturne\n' "$i" |
		"$SPOOL" deliver Archive
done
f=$(ls "$MD/cur" | grep ':2,S$' | head -n 1)
mv "$MD/cur/$f" "$MD/cur/${f%:2,S}:2,FS"
rm "$MD/cur/$(ls "$MD/cur" | grep ':2,$' | head -n 1)"
n=$("$SPOOL" search --limit 0 zebrafish | wc -l)
[ "$n" -eq 3 ] || fail "new messages: $n results"
"$SPOOL" search --limit 0 is:flagged | grep -q "${f%%:*}" || fail "flag change not seen"
check $((SEED + 1)) 40 "after new, renamed and removed files"

# Crash safety: kill -9 while indexing, then a refresh converges.
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	i=$((i + 1))
	"$SPOOL" index --rebuild > /dev/null 2>&1 &
	pid=$!
	sleep "$(python3 -c 'import random; print(random.uniform(0.005, 0.15))')"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
done
check $((SEED + 2)) 40 "after $ROUNDS kill -9 of the indexer"

# A corrupt index is rebuilt, not trusted.
db=$(ls "$XDG_CACHE_HOME"/surel/search/*.db)
printf 'not a database at all, not at all, not at all, not at all, not at all\n' > "$db"
rm -f "$db-wal" "$db-shm"
check $((SEED + 3)) 20 "corrupt index rebuilt"

expect_exit 64 "$SPOOL" search '(unclosed'
expect_one_line_error spool
expect_exit 64 "$SPOOL" search 'date:yesterday'
expect_exit 64 "$SPOOL" search
expect_exit 64 "$SPOOL" search --limit x word
ok "usage errors exit 64 with one line"
