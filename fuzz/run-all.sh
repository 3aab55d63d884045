#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 630) of wall time, one after another, on one
# core. Logs, the growing corpus and any crash go under $WORK (default /work/fuzz-work);
# the committed seeds in fuzz/corpus/<target>/ are only read.
#   fuzz/run-all.sh [SECONDS] [TARGET...]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${1:-630}; shift || true
TARGETS=${*:-iis combined uls sniff ioc_plain rules_loader line_reader engine_scan}
WORK=${WORK:-/work/fuzz-work}
BIN=${BIN:-${CARGO_TARGET_DIR:-$HERE/target}/x86_64-unknown-linux-gnu/release}
mkdir -p "$WORK"
for t in $TARGETS; do
    b="$BIN/$t"
    # uls runs from a build without overflow checks (-O) while its known overflow is open;
    # see docs/FUZZING.md.
    if [ "$t" = uls ] && [ -n "${ULS_BIN:-}" ]; then b="$ULS_BIN"; fi
    mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
    start=$(date +%s)
    "$b" "$WORK/corpus/$t" "$HERE/corpus/$t" \
        -max_total_time="$SECS" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$WORK/artifacts/$t/" > "$WORK/run-$t.log" 2>&1
    rc=$?
    echo "$t rc=$rc wall=$(( $(date +%s) - start ))s $(grep -E '^stat::number_of_executed_units' "$WORK/run-$t.log") $(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$WORK/run-$t.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')" | tee -a "$WORK/summary.txt"
done
