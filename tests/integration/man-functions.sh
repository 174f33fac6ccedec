#!/bin/sh
# surel(1) lists every function of the index, pager and compose screens with
# its default keys: the list there is what scripts/man-functions makes from
# surel's own tables (surel --list-functions), so a function added to
# mua/keymap.c without the page fails here.
. "$(dirname "$0")/lib.sh"

"$top_srcdir/scripts/man-functions" "$top_builddir/mua/surel" > "$T/want"
[ -s "$T/want" ] || fail "surel --list-functions printed nothing"
grep -q '^\.BR delete\\-message " (d)"$' "$T/want" || fail "no delete-message in the table: $(head "$T/want")"
sed -n '/^\.\\" BEGIN FUNCTIONS/,/^\.\\" END FUNCTIONS/p' "$top_srcdir/man/surel.1" | sed '1d;$d' > "$T/have"
diff -u "$T/have" "$T/want" > "$T/diff" ||
	fail "man/surel.1 is not in step with surel's functions (scripts/man-functions -u build/mua/surel): $(cat "$T/diff")"
ok "surel(1) lists every function with its default keys"
