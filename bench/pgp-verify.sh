#!/bin/sh
# Signature check benchmark: what checking a PGP/MIME signature adds to
# showing a message (the pager and `spool show` open it with the same
# lib/cryptomsg code), against gpg's own time for the same signature.
# Peers, in this order every round, on one throwaway keyring:
#   spool-plain   spool show of the message without its signature
#   spool-signed  spool show of the multipart/signed message
#   gpg-verify    gpg --verify of the detached signature and the signed part
# The report gives medians of the whole commands, and from spool -v the
# two costs the pager has (the same lib/cryptomsg call): starting GnuPG,
# once a session, and checking the signature, for every message.  Issue
# 14's target: the check adds no more than gpg's own time plus 20 ms.
# See bench/README.md.
#
#   bench/pgp-verify.sh                    # 30 rounds
#   BENCH_RUNS=100 bench/pgp-verify.sh
#   BENCH_SMOKE=1 bench/pgp-verify.sh      # one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_knobs pgp 30 3 60
PEERS=${BENCH_PEERS:-"spool-plain spool-signed gpg-verify"}

bench_builddir spool/spool
bench_prog SPOOL spool/spool
bench_time
bench_rundir home gnupg
bench_home
export GNUPGHOME="$RUN/gnupg"
chmod 700 "$GNUPGHOME"
bench_cleanup() {
	gpgconf --kill all > /dev/null 2>&1 || true
	rm -rf "$RUN"
}

have() {
	command -v gpg > /dev/null 2>&1
}

why_not() {
	echo "gpg is not installed"
}

bench_avail
[ -n "$avail" ] || exit 0

# A key, a text part, its detached signature over the CRLF form, and the
# two messages.
gpg --batch --quiet --passphrase '' --quick-gen-key 'Bench <bench@example.org>' future-default default never 2> /dev/null
printf 'Content-Type: text/plain; charset=utf-8\n\n' > "$RUN/part"
i=0
while [ $i -lt 60 ]; do
	echo "Line $i of a signed message of a few kilobytes, as mail usually is."
	i=$((i + 1))
done >> "$RUN/part"
awk 'BEGIN { ORS = "" } NR > 1 { print "\r\n" } { print }' "$RUN/part" > "$RUN/part.crlf"
gpg --batch --quiet --armor --detach-sign -o "$RUN/part.sig" "$RUN/part.crlf"
head='From: Bench <bench@example.org>\nTo: someone@example.org\nSubject: bench\nMIME-Version: 1.0\n'
{
	printf "$head"
	printf 'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="b"\n\n--b\n'
	cat "$RUN/part"
	printf -- '--b\nContent-Type: application/pgp-signature\n\n'
	cat "$RUN/part.sig"
	printf -- '--b--\n'
} > "$RUN/signed.eml"
{
	printf "$head"
	cat "$RUN/part"
} > "$RUN/plain.eml"
"$SPOOL" show "$RUN/signed.eml" | grep -q '^Signature: Good signature' ||
	{ echo "$ME: the signed message does not verify" >&2; exit 1; }

run_one() {
	peer=$1 round=$2
	case $peer in
	spool-plain) cmd="exec '$SPOOL' show --json '$RUN/plain.eml'" ;;
	spool-signed) cmd="exec '$SPOOL' -v show --json '$RUN/signed.eml'" ;;
	gpg-verify) cmd="exec gpg --batch --quiet --verify '$RUN/part.sig' '$RUN/part.crlf'" ;;
	esac
	bench_timed "$cmd" > /dev/null 2> "$RUN/err"
	status=ok
	[ "$ex" -eq 0 ] || status="exit-$ex"
	# "spool: gnupg started in X ms; 1 signatures checked in Y ms"
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(sed -n 's/.*gnupg started in \([0-9.]*\) ms; [0-9]* signatures checked in \([0-9.]*\) ms$/\1 \2/p' "$RUN/err")
	[ $# -eq 2 ] || set -- - -
	[ "$peer" != spool-signed ] || [ "$1" != - ] || status=no-timing
	bench_record "$round" "$peer" "$peer $round $(( (t1 - t0) / 1000 )) $rss $status $1 $2"
}

echo "# pgp-verify: $(bench_host)"
echo "# commit $(bench_commit); $RUNS rounds after $WARMUP warm-up; gpg $(gpg --version | sed -n '1s/.* //p');" \
	"load $(bench_load)"
bench_rounds

bench_report "$RAW" <<'PY'
start, check = [], []
for line in open(sys.argv[1]):
    f = line.split()
    if f:
        add(f[0], f[2], f[3], f[4], 1e3)
        if f[0] == "spool-signed" and f[4] == "ok":
            start.append(float(f[5]))
            check.append(float(f[6]))

print()
print("%-13s %5s %10s %19s %8s %5s" % ("peer", "runs", "median ms", "[min-max]", "peak MB", "fail"))
for k in order:
    t = res[k]["t"]
    if not t:
        print("%-13s %5d %10s" % (k, 0, "-"))
        continue
    rs = mrss(k)
    print("%-13s %5d %10.1f %19s %8s %5d" % (k, len(t), med(k), "[%.1f-%.1f]" % (min(t), max(t)),
          "%.1f" % rs if rs is not None else "-", res[k]["bad"]))
p, s, g = med("spool-plain"), med("spool-signed"), med("gpg-verify")
if None not in (p, s, g) and check:
    c, st = statistics.median(check), statistics.median(start)
    print()
    print("whole spool show: the signed message takes %.1f ms more than the plain one" % (s - p))
    print("in process (spool -v): starting GnuPG %.1f ms (once a session in the pager)," % st)
    print("  checking the signature %.1f ms (every signed message); gpg --verify %.1f ms" % (c, g))
    print("target (issue 14): check <= gpg + 20 ms = %.1f ms: %s" % (g + 20, "met" if c <= g + 20 else "NOT met"))
sys.exit(1 if bad else 0)
PY
