#!/usr/bin/env bash
# What correlation (webshell requested, dropped after exploit, pivot) adds to a scan of a
# web root plus logs: runs with and without --no-correlation alternated, N pairs, and the
# median of each and of the per-pair ratios (alternating keeps a busy machine's drift out
# of the ratio). Usage: benches/correlation_overhead.sh BINARY PAIRS PATH...
set -euo pipefail
bin=$1 pairs=$2
shift 2
out=$(mktemp)
for _ in $(seq "$pairs"); do
    for mode in --no-correlation --pivot-hops=1; do
        s=$(date +%s%N)
        "$bin" scan -q -j2 --format jsonl -o /dev/null "$mode" "$@" || [ $? -eq 1 ]
        e=$(date +%s%N)
        printf '%s ' $(((e - s) / 1000000)) >>"$out"
    done
    echo >>"$out"
done
python3 - "$out" <<'PY'
import statistics as st, sys
pairs = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
off = [a for a, _ in pairs]
on = [b for _, b in pairs]
print(f"pairs {len(pairs)}: without {st.median(off)} ms, with {st.median(on)} ms (medians); "
      f"median pair ratio {st.median([b / a for a, b in pairs]):.3f}")
PY
"$bin" scan -j2 --format jsonl -o /dev/null "$@" 2>&1 | grep '^shellsweep: correlation' || true
rm -f "$out"
