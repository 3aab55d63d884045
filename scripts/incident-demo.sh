#!/usr/bin/env bash
# Stages the fixture incident (fixtures/incident/) as a responder's copy would be and runs
# the one scan that answers the four questions. Usage: scripts/incident-demo.sh [SHELLSWEEP]
# (default: cargo run --release). Leaves everything in a temporary folder it names.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
    ssw=("$1")
else
    cargo build --release --locked -q
    ssw=(target/release/shellsweep)
fi
work=$(mktemp -d -t shellsweep-incident.XXXXXX)
cp -R fixtures/incident/. "$work/"
layouts="$work/webroot/Program Files/Common Files/microsoft shared/Web Server Extensions/16/TEMPLATE/LAYOUTS"
# The known-good baseline: the web root before the drop.
mv "$layouts/spinstall0.aspx" "$work/spinstall0.aspx.aside"
"${ssw[@]}" baseline create "$work/webroot" -o "$work/known-good.jsonl"
mv "$work/spinstall0.aspx.aside" "$layouts/spinstall0.aspx"
# The webshell keeps the time it was written; the second day's log is rotated.
touch -m -d "2025-07-19T10:02:15Z" "$layouts/spinstall0.aspx"
gzip "$work/logs/W3SVC1/u_ex250720.log"
echo "== staged in $work"
set +e
"${ssw[@]}" scan --baseline "$work/known-good.jsonl" \
    --timeline "$work/timeline.csv" --format jsonl -o "$work/findings.jsonl" \
    "$work/webroot" "$work/logs"
code=$?
set -e
echo "== exit code $code (1: found something)"
echo "== findings and events: $work/findings.jsonl"
echo "== timeline: $work/timeline.csv"
"${ssw[@]}" scan -q --baseline "$work/known-good.jsonl" --min-severity high \
    "$work/webroot" "$work/logs" || true
