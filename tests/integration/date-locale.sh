#!/bin/sh
# The Date fields that enqueue, bounces and compose write are the same under
# a German locale as under C.  The locale is built here, without root, into
# the scratch directory (LOCPATH), from the `locales` package's sources;
# the date unit suite then compares both (its locale test runs only when
# SUREL_TEST_LOCALE names a locale).
. "$(dirname "$0")/lib.sh"

UNIT="$top_builddir/tests/unit/unit"
command -v localedef > /dev/null || skip "localedef is needed to build de_DE.UTF-8 (package locales)"
[ -e /usr/share/i18n/locales/de_DE ] || skip "no de_DE locale source (package locales)"
[ -x "$UNIT" ] || fail "no unit test program at $UNIT"

mkdir -p "$T/locale"
# localedef warns about some glibc sources and may exit 1 although it wrote
# the locale; what counts is that setlocale takes it (checked by the test).
localedef -i de_DE -f UTF-8 "$T/locale/de_DE.UTF-8" > "$T/localedef.out" 2>&1 || true
[ -e "$T/locale/de_DE.UTF-8/LC_TIME" ] || fail "localedef did not build de_DE.UTF-8: $(cat "$T/localedef.out")"
# glibc's setlocale keeps its copy of LOCPATH for good; in a sanitizer
# build that is the one leak to forgive.
echo "leak:__argz_add_sep" > "$T/lsan.supp"
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp" \
LOCPATH="$T/locale" LC_ALL=C.UTF-8 SUREL_TEST_LOCALE=de_DE.UTF-8 "$UNIT" -s date > "$T/unit.out" 2>&1 ||
	fail "date suite under de_DE.UTF-8: $(cat "$T/unit.out")"
grep -q "tests *3 *3 *3 *0" "$T/unit.out" || fail "the locale test did not run: $(cat "$T/unit.out")"
ok "dates written under de_DE.UTF-8 are those written under C"
