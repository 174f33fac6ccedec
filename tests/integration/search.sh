#!/bin/sh
# spool search against a brute-force scan (tests/tools/search-brute.py,
# which reads the mail with Python's email package): 100 random queries
# over the test corpus and generated mail in Latin with diacritics,
# Cyrillic, CJK and Indonesian; again after new, renamed and removed
# files, after moves (not read again) and after the rebuild for removed
# messages; after kill -9 of `spool index` at random points
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

# Moves cost no reading: three files moved to another folder under their
# keys (as surel moves), two copied under new names and then deleted (as
# mutt moves); spool -v index says what it read.
"$SPOOL" index > /dev/null
for f in $(ls "$MD/cur" | grep '\.gen:' | head -n 3); do
	mv "$MD/cur/$f" "$MD/Archive/cur/$f"
done
i=0
for f in $(ls "$MD/Проекты/cur" | head -n 2); do
	i=$((i + 1))
	cp -p "$MD/Проекты/cur/$f" "$MD/cur/1800000000.M${i}P1.mutt:2,S"
	rm "$MD/Проекты/cur/$f"
done
"$SPOOL" -v index > /dev/null 2> "$T/err"
grep -q 'search index: 0 messages read, 5 moved' "$T/err" ||
	fail "moves were read again: $(cat "$T/err")"
check $((SEED + 4)) 40 "after 5 moves, none read again"

# Removed messages leave their terms in FTS5 (search.h): past 1000 of
# them and more than the living, the next refresh rebuilds and compacts.
python3 - "$MD/Bulk" <<'PY'
import os, sys
for s in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(sys.argv[1], s))
for i in range(1100):
    with open(os.path.join(sys.argv[1], "cur", "1700000000.B%d.bulk:2,S" % i), "w") as f:
        f.write("From: bulk@example.test\nSubject: bulk %d\n\nfiller%d quagga\n" % (i, i % 7))
PY
"$SPOOL" index > /dev/null
db=$(ls "$XDG_CACHE_HOME"/surel/search/*.db)
fts_bytes() {
	python3 -c 'import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
print(d.execute("SELECT sum(length(block)) FROM fts_data").fetchone()[0],
      d.execute("SELECT v FROM meta WHERE k = ?", ("dead",)).fetchone()[0])' "$db"
}
set -- $(fts_bytes)
full=$1 size=$(wc -c < "$db")
rm -r "$MD/Bulk"
"$SPOOL" -v index > /dev/null 2> "$T/err"
grep -q 'removed messages outweigh' "$T/err" || fail "no rebuild: $(cat "$T/err")"
set -- $(fts_bytes)
[ "$2" -eq 0 ] && [ "$1" -lt "$full" ] && [ "$(wc -c < "$db")" -lt "$size" ] ||
	fail "not rebuilt: $full -> $1 bytes of terms, $2 dead, file $size -> $(wc -c < "$db")"
[ "$("$SPOOL" search --limit 0 quagga | wc -l)" -eq 0 ] || fail "removed messages found"
check $((SEED + 5)) 40 "after 1100 removals, rebuilt ($full -> $1 bytes of terms)"

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

# Damage inside a valid file shows only when a query reads it (the open
# checks the header): that index is removed, built again and asked again.
want=$("$SPOOL" search --limit 0 'date:2000..' | wc -l)
total=$("$SPOOL" index | cut -d ' ' -f 1)
damage() {
	python3 - "$db" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    for off in range(32768, os.path.getsize(sys.argv[1]), 32768):
        f.seek(off)
        f.write(b"\x13\x37" * 2048)
PY
}
damage
got=$("$SPOOL" search --limit 0 'date:2000..' 2> "$T/err" | wc -l)
[ "$got" -eq "$want" ] || fail "damaged index: $got of $want messages: $(cat "$T/err")"
damage
"$SPOOL" index > "$T/out" 2> "$T/err" || fail "index of a damaged index: $(cat "$T/err")"
grep -q "^$total messages in" "$T/out" || fail "index of a damaged index: $(cat "$T/out")"
: > "$db"
got=$("$SPOOL" search --limit 0 'date:2000..' | wc -l)
[ "$got" -eq "$want" ] || fail "empty index: $got of $want messages"
ok "a damaged, then an empty index file: rebuilt, all $want messages found"

expect_exit 64 "$SPOOL" search '(unclosed'
expect_one_line_error spool
expect_exit 64 "$SPOOL" search 'date:yesterday'
for q in 'bogus:word' 'date:2026..2025' 'date:2025-02-29' 'a OR OR b' 'from:'; do
	expect_exit 64 "$SPOOL" search "$q"
	expect_one_line_error spool
done
expect_exit 64 "$SPOOL" search
expect_exit 64 "$SPOOL" search --limit x word
expect_exit 66 "$SPOOL" search --folder Nowhere word
expect_one_line_error spool
ok "usage errors exit 64 with one line"
