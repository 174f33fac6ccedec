#!/usr/bin/env python3
"""Compare our JSON view of each message with the reference (refjson.py,
Python's email package), field by field.

usage: compare.py [-v] [--cmd 'COMMAND {}'] PATH...

COMMAND is run once per message file with {} replaced by the file's path
(default: "spool show --json {}") and must print the JSON object of
doc/DESIGN.md (section 4.2).  PATH is a message file or a directory of
them (*.eml).
Prints per-field agreement and the files that disagree; exits 1 when the
overall agreement is below 99% or any field is below 97%.

Normalisation: strings lose surrounding whitespace; text also loses
trailing newlines.  ALLOW below lists disagreements that are Python's
fault, with the reason; they count as agreement.
"""
import json
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refjson  # noqa: E402

FIELDS = ['message_id', 'date_unix', 'from', 'to', 'cc', 'subject', 'text', 'parts']

# (file name, field): why the reference is wrong there.
ALLOW = {
    ('rfc2047-name-multi.eml', 'from'):
        'Python keeps the blank between two adjacent encoded words in a '
        'display name; RFC 2047 section 6.2 says it is not displayed',
    ('cs-unknown.eml', 'text'):
        'get_content() raises LookupError on an unknown charset, so Python '
        'has no text at all; we read the bytes as UTF-8 with U+FFFD, which '
        'is what Python itself does for unknown charsets in headers',
    ('rfc2047-name-split-utf8.eml', 'from'):
        'Python decodes each encoded word alone, so a character split over '
        'two words becomes two U+FFFD and keeps the blank (RFC 2047 6.2)',
}


def norm(v, key=None):
    if isinstance(v, str):
        v = v.strip()
        if key == 'text':
            v = v.rstrip('\n')
        return v
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x, k) for k, x in v.items()}
    return v


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                if name.endswith('.eml'):
                    out.append(os.path.join(p, name))
        else:
            out.append(p)
    return out


def ours(cmd, path):
    argv = [a.replace('{}', path) for a in shlex.split(cmd)]
    if not any('{}' in a for a in shlex.split(cmd)):
        argv.append(path)
    r = subprocess.run(argv, capture_output=True, timeout=60)
    if r.returncode != 0:
        return None, 'exit %d: %s' % (r.returncode, r.stderr.decode(errors='replace').strip())
    try:
        return json.loads(r.stdout), None
    except ValueError as e:
        return None, 'bad JSON: %s' % e


def main(argv):
    verbose = False
    cmd = 'spool show --json {}'
    paths = []
    i = 1
    while i < len(argv):
        if argv[i] == '-v':
            verbose = True
        elif argv[i] == '--cmd' and i + 1 < len(argv):
            i += 1
            cmd = argv[i]
        else:
            paths.append(argv[i])
        i += 1
    files = files_of(paths)
    if not files:
        sys.stderr.write(__doc__)
        return 64
    agree = {f: 0 for f in FIELDS}
    bad = {f: [] for f in FIELDS}
    for path in files:
        with open(path, 'rb') as fh:
            raw = fh.read()
        ref = norm(refjson.reference(raw))
        got, err = ours(cmd, path)
        got = norm(got) if got is not None else {}
        base = os.path.basename(path)
        for f in FIELDS:
            if err is None and got.get(f) == ref[f]:
                agree[f] += 1
            elif (base, f) in ALLOW:
                agree[f] += 1
            else:
                bad[f].append((base, err or got.get(f), ref[f]))
    n = len(files)
    total = sum(agree.values()) / (n * len(FIELDS))
    worst = min(agree[f] / n for f in FIELDS)
    for f in FIELDS:
        print('%-11s %6.2f%%  (%d/%d)' % (f, 100.0 * agree[f] / n, agree[f], n))
    print('%-11s %6.2f%%' % ('overall', 100.0 * total))
    for f in FIELDS:
        for base, g, r in bad[f]:
            if verbose:
                print('DIFF %s %s\n  ours: %s\n  ref:  %s' % (
                    base, f, json.dumps(g, ensure_ascii=False)[:600],
                    json.dumps(r, ensure_ascii=False)[:600]))
            else:
                print('DIFF %s %s' % (base, f))
    return 0 if total >= 0.99 and worst >= 0.97 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
