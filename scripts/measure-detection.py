#!/usr/bin/env python3
"""Detection and false positives of the bundled rules on the development corpus.

    scripts/measure-detection.py [--corpus target/dev-corpus] [--bin target/release/shellsweep]
                                 [--benign-extra DIR]... [--list] [-- EXTRA SCAN ARGS]

Lay the corpus out first with scripts/dev-corpus.sh (and scripts/benign-corpus.sh for the
Debian packages, passed with --benign-extra target/benign-corpus/unpacked). For every
malicious set it prints, per language, how many script files get a finding at medium or above;
for every benign set, how many files do (the goal is zero) and, with --list, which files and
rules. A benchmark-style measurement: it asserts nothing and always exits 0 unless the scanner
itself fails.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

# Which extensions count as which language. Files of other types in a malicious set (images,
# HTML, style sheets of the kits the shells came in) are not webshells and are not counted.
LANGS = {
    "php": {"php", "php3", "php4", "php5", "php7", "phtml", "pht", "phps", "inc"},
    "jsp": {"jsp", "jspx", "jspf"},
    "asp": {"asp", "asa", "cer", "cdx"},
    "aspx": {"aspx", "ashx", "asmx", "ascx", "asax", "cshtml", "svc"},
}


def lang_of(path):
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    for lang, exts in LANGS.items():
        if ext in exts:
            return lang
    return None


def scan(binary, root, extra):
    """Runs one scan and returns {path: [(rule id, severity), ...]} for medium+ findings."""
    cmd = [binary, "scan", "--format", "jsonl", "--quiet", "--min-severity", "medium", *extra, root]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode not in (0, 1, 2):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    hits = collections.defaultdict(list)
    summary = None
    for line in proc.stdout.splitlines():
        doc = json.loads(line)
        if doc.get("event", {}).get("kind") != "alert":
            summary = doc
            continue
        path = doc.get("file", {}).get("path")
        if path:
            hits[path].append((doc["rule"]["id"], doc["event"]["severity_name"]))
    return hits, summary


def files_under(root):
    for dirpath, _, names in os.walk(root):
        for n in names:
            yield os.path.join(dirpath, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="target/dev-corpus")
    ap.add_argument("--bin", default="target/release/shellsweep")
    ap.add_argument("--benign-extra", action="append", default=[])
    ap.add_argument("--list", action="store_true", help="name every missed and every benign hit file")
    ap.add_argument("--only", help="measure only sets whose name contains this")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()

    sets = []
    for kind in ("malicious", "benign"):
        base = os.path.join(args.corpus, kind)
        if os.path.isdir(base):
            sets += [(kind, n, os.path.join(base, n)) for n in sorted(os.listdir(base))]
    for extra in args.benign_extra:
        sets.append(("benign", os.path.basename(os.path.normpath(extra)), extra))
    if args.only:
        sets = [s for s in sets if args.only in s[1]]
    if not sets:
        sys.exit(f"no corpus under {args.corpus}: run scripts/dev-corpus.sh first")

    print(f"{'kind':<10} {'set':<26} {'lang':<5} {'files':>6} {'medium+':>8} {'rate':>7}")
    for kind, name, root in sets:
        hits, _ = scan(args.bin, root, args.extra)
        per = collections.defaultdict(lambda: [0, 0])
        missed = []
        for path in files_under(root):
            lang = lang_of(path)
            if kind == "malicious" and lang is None:
                continue
            key = lang or "other"
            per[key][0] += 1
            if path in hits:
                per[key][1] += 1
            elif kind == "malicious":
                missed.append(path)
        total = [sum(v[0] for v in per.values()), sum(v[1] for v in per.values())]
        rows = sorted(per.items()) + ([("all", total)] if len(per) > 1 else [])
        for lang, (n, hit) in rows:
            rate = f"{100.0 * hit / n:6.1f}%" if kind == "malicious" and n else ""
            print(f"{kind:<10} {name:<26} {lang:<5} {n:>6} {hit:>8} {rate:>7}")
        if args.list:
            if kind == "malicious":
                for path in sorted(missed):
                    print(f"    missed {path}")
            else:
                for path in sorted(hits):
                    rules = ", ".join(sorted({f"{r} ({s})" for r, s in hits[path]}))
                    print(f"    hit {path}: {rules}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
