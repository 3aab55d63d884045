#!/usr/bin/env bash
# Fuzzes every parser and loader (the cargo-fuzz targets in fuzz/) for SECS seconds each, one
# target after another on one core, and records the results. See docs/FUZZING.md.
#
#   scripts/fuzz-all.sh [SECS] [TARGET...]     # default 3600 s (one hour) per target, all targets
#
# Environment:
#   WORK=DIR            corpus growth, logs, crash artifacts, results (default /work/fuzz-work)
#   CARGO_TARGET_DIR    where the targets are built (default fuzz/target)
#   NICE=N              niceness of the build and the runs (default 19: a shared machine)
#   NO_BUILD=1          use the targets already built
#
# Each target starts from the committed seeds in fuzz/corpus/<target>/ (only read) plus what
# earlier runs grew in $WORK/corpus/<target>/. A crash or timeout input lands in
# $WORK/artifacts/<target>/; replay it with `cargo fuzz run TARGET FILE` in fuzz/, fix the
# bug, and save the input under fuzz/regressions/<target>/ (tests/fuzz_regressions.rs replays
# those on every `cargo test`). One line per target is appended to $WORK/results.tsv and the
# run's table is written to $WORK/results-<start time>.md, ready for docs/FUZZING.md.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-3600}
shift || true
WORK=${WORK:-/work/fuzz-work}
NICE=${NICE:-19}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/fuzz/target}
# cargo-fuzz asks for nightly (for -Zsanitizer); stable's own sanitizer runtimes do with this.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: installing it (cargo install cargo-fuzz)" >&2
    nice -n "$NICE" cargo install cargo-fuzz --locked || exit 2
fi
cd "$ROOT/fuzz" || exit 2
if [ -z "${NO_BUILD:-}" ]; then
    nice -n "$NICE" cargo fuzz build || exit 2
fi
TARGETS=${*:-$(cargo fuzz list)}
BIN=$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release
mkdir -p "$WORK"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
TABLE=$WORK/results-$STAMP.md
{
    echo "Run of $STAMP: $SECS s per target, $(rustc --version), $(cargo fuzz --version), nice $NICE"
    echo
    echo "| target | wall time | executions | coverage (edges) | features | corpus | crashes |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
} > "$TABLE"
status=0
for t in $TARGETS; do
    mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
    before=$(find "$WORK/artifacts/$t" -type f | wc -l)
    start=$(date +%s)
    # -timeout: an input that takes 30 s is reported (as a timeout artifact) like a crash.
    nice -n "$NICE" "$BIN/$t" "$WORK/corpus/$t" "$ROOT/fuzz/corpus/$t" \
        -max_total_time="$SECS" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$WORK/artifacts/$t/" > "$WORK/run-$t.log" 2>&1
    rc=$?
    wall=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/run-$t.log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$WORK/run-$t.log" | tail -1)
    cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+')
    ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+')
    corp=$(echo "$last" | grep -oE 'corp: [0-9]+' | grep -oE '[0-9]+')
    crashes=$(($(find "$WORK/artifacts/$t" -type f | wc -l) - before))
    [ "$rc" -ne 0 ] && status=1
    printf '%s\t%s\trc=%s\t%ss\t%s\t%s\t%s\t%s\t%s\n' "$STAMP" "$t" "$rc" "$wall" "${execs:-?}" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" | tee -a "$WORK/results.tsv"
    echo "| \`$t\` | ${wall}s | ${execs:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $crashes |" >> "$TABLE"
done
echo "results: $TABLE"
exit $status
