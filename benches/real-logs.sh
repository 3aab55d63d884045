#!/usr/bin/env bash
# Real web traffic for the log benchmarks: the Apache access log of elastic/examples
# ("Common Data Formats/apache_logs/apache_logs": 10,000 combined-format lines of a real
# site, May 2015; Apache-2.0 like the rest of that repository). It stays outside this
# repository: this script copies it out of a local git snapshot.
#
# usage: benches/real-logs.sh OUT [--repeat N] [--mirror GITDIR]
#
#   OUT/single/access.log      the log as published
#   OUT/repeated/access.log    the log N times in a row (default 50, ~118 MB), for throughput:
#                              the content stays real, its variety does not grow
#   OUT/iocs-10k.txt, .pat     an IOC list for it: 20 client addresses that occur in the log
#                              plus 9,980 that do not (.pat: addresses only, for grep/rg -f)
#
# The snapshot is a git directory of https://github.com/elastic/examples (bare or with a
# work tree); default /work/.mirror/elastic+examples/repo, or env ELASTIC_EXAMPLES.
set -euo pipefail

OUT=""
REPEAT=50
MIRROR=${ELASTIC_EXAMPLES:-/work/.mirror/elastic+examples/repo}
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) REPEAT=$2; shift ;;
        --mirror) MIRROR=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) echo "real-logs.sh: unknown argument $1" >&2; exit 2 ;;
        *) OUT=$1 ;;
    esac
    shift
done
[ -n "$OUT" ] || { echo "usage: benches/real-logs.sh OUT [--repeat N] [--mirror GITDIR]" >&2; exit 2; }
SRC="Common Data Formats/apache_logs/apache_logs"

mkdir -p "$OUT/single" "$OUT/repeated"
git -C "$MIRROR" show "HEAD:$SRC" > "$OUT/single/access.log.tmp" || {
    echo "real-logs.sh: '$SRC' not found in $MIRROR (fetch github:elastic/examples)" >&2; exit 2; }
mv "$OUT/single/access.log.tmp" "$OUT/single/access.log"
for ((k = 0; k < REPEAT; k++)); do cat "$OUT/single/access.log"; done > "$OUT/repeated/access.log.tmp"
mv "$OUT/repeated/access.log.tmp" "$OUT/repeated/access.log"

python3 - "$OUT" <<'EOF'
import random, sys
out = sys.argv[1]
with open(out + "/single/access.log", encoding="latin-1") as f:
    seen = sorted({line.split(" ", 1)[0] for line in f if line.strip()})
rng = random.Random(18)
listed = rng.sample(seen, min(20, len(seen)))
have = set(seen) | set(listed)
while len(listed) < 10000:
    a = "%d.%d.%d.%d" % (rng.choice([5, 37, 89, 91, 176, 193]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
    if a not in have:
        have.add(a)
        listed.append(a)
with open(out + "/iocs-10k.txt", "w") as f:
    f.write("# 20 addresses seen in elastic/examples apache_logs, 9980 never seen\n" + "\n".join(listed) + "\n")
with open(out + "/iocs-10k.pat", "w") as f:
    f.write("\n".join(listed) + "\n")
EOF
echo "real-logs.sh: $(wc -l < "$OUT/single/access.log") lines in $OUT/single, x$REPEAT in $OUT/repeated ($(du -sh "$OUT/repeated" | cut -f1)); IOC list $OUT/iocs-10k.txt" >&2
