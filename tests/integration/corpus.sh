#!/bin/sh
# spool show --json over the MIME corpus in tests/data/corpus, compared field
# by field with an independent implementation (Python's email package).
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 not installed"
python3 "$top_srcdir/tests/tools/compare.py" --spool "$SPOOL" "$DATA/corpus" || fail "corpus agreement below target"
ok "corpus agrees with the reference"
