#!/usr/bin/env bash
# Speed and agreement of shellsweep's YARA support against `yara` 4 on the same rules and
# the same tree (issue 15: "a scan with bundled + signature-base rules is faster than yara 4
# alone with signature-base"). Not run by CI: it needs `yara`/`yarac` 4, hyperfine and a
# YARA rule folder (signature-base is under the Detection Rule License: fetch it, never
# commit it). Results: BENCHMARKS.md, section "YARA rules against yara 4".
#
#   benches/yara_compare.sh SHELLSWEEP RULE_DIR TREE [TREE...]
#
#   SHELLSWEEP  a release build with the `yara` feature (target/release/shellsweep)
#   RULE_DIR    a folder of .yar/.yara files, e.g. signature-base's yara/ folder
#   TREE        folders to scan; several are also timed together (their union)
#
# Environment: RUNS (default 3) timed runs per command after one warm-up (WARMUP, default 1); THREADS (default
# 2) for both `yara -p` and `shellsweep -j`; WORK (default /tmp/yara-compare) for the
# compiled rules, hyperfine's JSON and the match lists.
#
# What is aligned, and what is not:
# - Both sides get Loki/THOR's externals (filename, filepath, extension, filetype, owner).
#   shellsweep sets them per file; yara 4 gets them defined empty with -d (as a plain
#   `yara` run would), so rules that test them can differ: the agreement lists name them.
# - Neither follows symbolic links inside the trees (yara -N; shellsweep's default).
# - yara has no size limit; shellsweep skips files over --max-filesize (default 100M), so
#   the script says how many files of the trees are larger.
# - shellsweep does not feed files it takes for web-server logs to YARA (they go to the
#   log rules); yara scans them. Such files are counted.
# - "with compile" rows include compiling the rules (yara-x takes longer than yara 4 to
#   compile); "compiled" rows load precompiled rules (yarac / `shellsweep rules compile`).
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
SSW=$(realpath "$1")
RULES=$(realpath "$2")
shift 2
TREES=("$@")
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/yara-compare}
mkdir -p "$WORK"
EXT=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)
mapfile -t RULE_FILES < <(find "$RULES" -maxdepth 1 -type f \( -name '*.yar' -o -name '*.yara' \) | sort)

echo "== compiling ${#RULE_FILES[@]} rule files"
/usr/bin/time -f "yarac: %e s wall, %M KB peak" yarac -w "${EXT[@]}" "${RULE_FILES[@]}" "$WORK/rules.yarc"
/usr/bin/time -f "shellsweep rules compile: %e s wall, %M KB peak" \
  "$SSW" rules compile --yara "$RULES" -o "$WORK/rules.sswyara" 2>&1 | grep -v '^shellsweep: YARA: ' || true
ls -l "$WORK/rules.yarc" "$WORK/rules.sswyara"
"$SSW" rules check --no-bundled-rules --yara "$RULES" 2>&1 | tail -1

bytes_of() { find "$@" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

bench() { # name, trees...
  local name=$1
  shift
  local bytes files big
  bytes=$(bytes_of "$@")
  files=$(find "$@" -type f | wc -l)
  big=$(find "$@" -type f -size +100M | wc -l)
  echo
  echo "== $name: $files files, $((bytes / 1000000)) MB, $big over 100M"
  local sw=("$SSW" scan -q "-j$THREADS" --format jsonl)
  hyperfine --runs "$RUNS" --warmup "${WARMUP:-1}" -i --export-json "$WORK/$name.json" \
    -n "yara 4 (compiled)" "yara -N -r -w -p $THREADS ${EXT[*]} -C $WORK/rules.yarc $* > /dev/null" \
    -n "shellsweep bundled + YARA (compiled)" "${sw[*]} -o /dev/null --yara-compiled $WORK/rules.sswyara $*" \
    -n "yara 4 (with compile)" "yara -N -r -w -p $THREADS ${EXT[*]} ${RULE_FILES[*]} $* > /dev/null" \
    -n "shellsweep bundled + YARA (with compile)" "${sw[*]} -o /dev/null --yara $RULES $*" \
    -n "shellsweep bundled only" "${sw[*]} -o /dev/null $*" >/dev/null
  python3 - "$WORK/$name.json" "$bytes" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))["results"]
mb = int(sys.argv[2]) / 1e6
print(f"| command | wall (mean ± sd) | user CPU | MB/s |")
print("|---|---|---|---|")
for r in data:
    print(f"| {r['command']} | {r['mean']:.2f} ± {r['stddev']:.2f} s | {r['user']:.2f} s | {mb / r['mean']:.0f} |")
EOF
  # Agreement of (file, rule) pairs: one more run of each, outside the timing.
  yara -N -r -w -p "$THREADS" "${EXT[@]}" -C "$WORK/rules.yarc" "$@" 2>/dev/null \
    | awk '{r=$1; $1=""; sub(/^ /, ""); print $0 "\t" r}' | sort -u > "$WORK/$name.yara.pairs"
  # Only YARA findings: those whose ruleset is a file of RULE_DIR.
  ls "$RULES" > "$WORK/rulefiles"
  "${sw[@]}" --yara-compiled "$WORK/rules.sswyara" "$@" 2>/dev/null \
    | python3 -c '
import json, sys
names = set(open(sys.argv[1]).read().split())
for line in sys.stdin:
    d = json.loads(line)
    rule = d.get("rule") or {}
    path = (d.get("file") or {}).get("path")
    if path and rule.get("ruleset") in names:
        print(path + "\t" + rule.get("name", ""))
' "$WORK/rulefiles" | sort -u > "$WORK/$name.ssw.pairs"
  local both only_yara only_ssw
  both=$(comm -12 "$WORK/$name.yara.pairs" "$WORK/$name.ssw.pairs" | wc -l)
  only_yara=$(comm -23 "$WORK/$name.yara.pairs" "$WORK/$name.ssw.pairs" | wc -l)
  only_ssw=$(comm -13 "$WORK/$name.yara.pairs" "$WORK/$name.ssw.pairs" | wc -l)
  echo "matching files: yara $(cut -f1 "$WORK/$name.yara.pairs" | sort -u | wc -l), shellsweep $(cut -f1 "$WORK/$name.ssw.pairs" | sort -u | wc -l)"
  echo "(file, rule) pairs: both $both, only yara $only_yara, only shellsweep $only_ssw (lists: $WORK/$name.*.pairs)"
}

i=0
for t in "${TREES[@]}"; do
  i=$((i + 1))
  bench "tree$i-$(basename "$t")" "$t"
done
if [ ${#TREES[@]} -gt 1 ]; then
  bench union "${TREES[@]}"
fi
