#!/usr/bin/env bash
# Speed and agreement of shellsweep's YARA support against `yara` 4 on the same rules and
# the same tree (issue 15: "a scan with bundled + signature-base rules is faster than yara 4
# alone with signature-base"). Not run by CI: it needs `yara`/`yarac` 4, GNU time and a
# YARA rule folder (signature-base is under the Detection Rule License: fetch it, never
# commit it). Results: BENCHMARKS.md, section "YARA rules against yara 4".
#
#   benches/yara_compare.sh SHELLSWEEP RULE_DIR TREE [TREE...]
#
#   SHELLSWEEP  a release build with the `yara` feature (target/release/shellsweep)
#   RULE_DIR    a folder of .yar/.yara files, e.g. signature-base's yara/ folder
#   TREE        folders to scan; several are also timed together (their union)
#
# Environment: RUNS (default 3) runs of the two compiled-rules commands (the others run
# once; medians are reported); THREADS (default 2) for both `yara -p` and `shellsweep -j`;
# WORK (default /tmp/yara-compare) for the compiled rules, the outputs and the match lists.
#
# What is aligned, and what is not:
# - Both sides get Loki/THOR's externals (filename, filepath, extension, filetype, owner).
#   shellsweep sets them per file; yara 4 gets them defined empty with -d (as a plain
#   `yara` run would), so rules that test them can differ: the agreement lists name them.
# - Neither follows symbolic links inside the trees (yara -N; shellsweep's default).
# - yara has no size limit; shellsweep skips files over --max-filesize (default 100M), so
#   the script says how many files of the trees are larger.
# - shellsweep does not feed files it takes for web-server logs to YARA (they go to the
#   log rules); yara scans them: such pairs show up as "only yara".
# - "with compile" rows include compiling the rules (yara-x takes longer than yara 4 to
#   compile); "compiled" rows load precompiled rules (yarac / `shellsweep rules compile`).
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
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

# One timed run: name, output file, command...; appends "name wall user sys peakKB" to
# $WORK/times.
timed() {
  local name=$1 out=$2
  shift 2
  /usr/bin/time -o "$WORK/time.tmp" -f "%e %U %S %M" "$@" > "$out" 2>"$WORK/stderr.tmp" || true
  echo "$name $(tail -1 "$WORK/time.tmp")" | tee -a "$WORK/times"
}

bench() { # name, trees...
  local name=$1
  shift
  local bytes files big
  bytes=$(bytes_of "$@")
  files=$(find "$@" -type f | wc -l)
  big=$(find "$@" -type f -size +100M | wc -l)
  echo
  echo "== $name: $files files, $((bytes / 1000000)) MB, $big over 100M; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  : > "$WORK/times"
  local sw=("$SSW" scan -q "-j$THREADS" --format jsonl)
  local y=(yara -N -r -w -p "$THREADS" "${EXT[@]}")
  for run in $(seq "$RUNS"); do
    timed "yara4-compiled" "$WORK/$name.yara.out" "${y[@]}" -C "$WORK/rules.yarc" "$@"
    timed "shellsweep-compiled" "$WORK/$name.ssw.out" "${sw[@]}" --yara-compiled "$WORK/rules.sswyara" "$@"
    if [ "$run" = 1 ]; then
      timed "yara4-with-compile" /dev/null "${y[@]}" "${RULE_FILES[@]}" "$@"
      timed "shellsweep-with-compile" /dev/null "${sw[@]}" --yara "$RULES" "$@"
      timed "shellsweep-bundled-only" /dev/null "${sw[@]}" "$@"
    fi
  done
  python3 - "$WORK/times" "$bytes" <<'EOF'
import sys, statistics
mb = int(sys.argv[2]) / 1e6
runs = {}
for line in open(sys.argv[1]):
    name, wall, user, sys_, kb = line.split()
    runs.setdefault(name, []).append((float(wall), float(user), int(kb)))
print("| command | runs | wall (median) | user CPU (median) | MB/s (wall) | peak RSS |")
print("|---|---|---|---|---|---|")
for name, rs in runs.items():
    wall = statistics.median(r[0] for r in rs)
    user = statistics.median(r[1] for r in rs)
    print(f"| {name} | {len(rs)} | {wall:.1f} s | {user:.1f} s | {mb / wall:.1f} | {max(r[2] for r in rs) // 1024} MB |")
EOF
  # Agreement of (file, rule) pairs, from the last compiled runs' output.
  awk '{r=$1; $1=""; sub(/^ /, ""); print $0 "\t" r}' "$WORK/$name.yara.out" | sort -u > "$WORK/$name.yara.pairs"
  find "$RULES" -maxdepth 1 -type f -printf '%f\n' > "$WORK/rulefiles"
  python3 -c '
import json, sys
names = set(open(sys.argv[1]).read().split())
for line in open(sys.argv[2]):
    d = json.loads(line)
    rule = d.get("rule") or {}
    path = (d.get("file") or {}).get("path")
    if path and rule.get("ruleset") in names:
        print(path + "\t" + rule.get("name", ""))
' "$WORK/rulefiles" "$WORK/$name.ssw.out" | sort -u > "$WORK/$name.ssw.pairs"
  local both only_yara only_ssw
  both=$(comm -12 "$WORK/$name.yara.pairs" "$WORK/$name.ssw.pairs" | wc -l)
  only_yara=$(comm -23 "$WORK/$name.yara.pairs" "$WORK/$name.ssw.pairs" | wc -l)
  only_ssw=$(comm -13 "$WORK/$name.yara.pairs" "$WORK/$name.ssw.pairs" | wc -l)
  echo "files with a YARA match: yara $(cut -f1 "$WORK/$name.yara.pairs" | sort -u | wc -l), shellsweep $(cut -f1 "$WORK/$name.ssw.pairs" | sort -u | wc -l)"
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
