#!/bin/sh
# spool show --json over the MIME corpus in tests/data/corpus, compared field
# by field with an independent implementation (Python's email package):
# at least 99% of all fields and 97% of each field must agree.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 not installed"
python3 "$top_srcdir/tests/tools/compare.py" --cmd "'$SPOOL' show --json {}" "$DATA/corpus" \
	|| fail "corpus agreement below target"
ok "corpus agrees with the reference"
