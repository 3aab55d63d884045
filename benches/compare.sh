#!/usr/bin/env bash
# Whole-program comparison: shellsweep against yara, ripgrep and GNU grep on generated
# corpora. See BENCHMARKS.md for the method and how to read the table.
#
# usage: benches/compare.sh [--quick] [--runs N] [--jobs N] [--corpus DIR] [--out FILE]
#                           [--no-build]
#
#   --quick       ~5,000 files and ~200 MB of logs (under 3 minutes on 2 cores)
#   --runs N      timed runs per case (default 5; env RUNS)
#   --jobs N      threads for the multi-threaded cases of every tool (default 2; env JOBS)
#   --corpus DIR  where corpora are generated, once, and kept (default target/bench-corpus;
#                 env CORPUS)
#   --out FILE    also write the Markdown report to FILE
#   --no-build    use the existing binary instead of running `cargo build --release`
#
# Sizes can be overridden with env vars: WEB_FILES, LOG_MB (whole log set), LOG_PARTS
# (files in the log set), BIG_LOG_PARTS (parts concatenated into the single big log).
# The binary is ${CARGO_TARGET_DIR:-target}/release/shellsweep (env SHELLSWEEP overrides).
# Needs: python3 with PyYAML, yara 4.x, rg, GNU grep, GNU time (/usr/bin/time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=full
RUNS=${RUNS:-5}
JOBS=${JOBS:-2}
CORPUS=${CORPUS:-$ROOT/target/bench-corpus}
OUT=""
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) MODE=quick ;;
        --runs) RUNS=$2; shift ;;
        --jobs) JOBS=$2; shift ;;
        --corpus) CORPUS=$2; shift ;;
        --out) OUT=$2; shift ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$MODE" = quick ]; then
    WEB_FILES=${WEB_FILES:-5000}; LOG_MB=${LOG_MB:-200}; LOG_PARTS=${LOG_PARTS:-4}
    BIG_LOG_PARTS=${BIG_LOG_PARTS:-2}
else
    WEB_FILES=${WEB_FILES:-50000}; LOG_MB=${LOG_MB:-2048}; LOG_PARTS=${LOG_PARTS:-8}
    BIG_LOG_PARTS=${BIG_LOG_PARTS:-2}
fi
PART_MB=$((LOG_MB / LOG_PARTS))
IOC_PER_PART=$((10000 / LOG_PARTS))

for tool in python3 yara rg grep /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing" >&2; exit 2; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "compare.sh: python3 needs PyYAML (pip install pyyaml)" >&2; exit 2; }

log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------
# The binary

if [ -z "${SHELLSWEEP:-}" ]; then
    SHELLSWEEP=${CARGO_TARGET_DIR:-$ROOT/target}/release/shellsweep
    if [ "$BUILD" = 1 ]; then
        log "cargo build --release"
        (cd "$ROOT" && cargo build --release --locked --quiet)
    fi
fi
[ -x "$SHELLSWEEP" ] || { echo "compare.sh: no binary at $SHELLSWEEP" >&2; exit 2; }

# ---------------------------------------------------------------------------------------
# Corpora: generated once per size, into a temporary name that is renamed when complete.

mkdir -p "$CORPUS"
WEB=$CORPUS/webroot-$WEB_FILES
LOGS=$CORPUS/logs-${LOG_MB}mb-$LOG_PARTS
BIG=$CORPUS/biglog-${LOG_MB}mb-$LOG_PARTS-$BIG_LOG_PARTS
IOC=$LOGS-iocs
WORK=$CORPUS/work-$MODE
EMPTY=$CORPUS/empty
mkdir -p "$WORK" "$EMPTY"

if [ ! -d "$WEB" ]; then
    log "generating web root: $WEB_FILES files"
    rm -rf "$WEB.tmp"
    python3 "$ROOT/benches/gen_webroot.py" "$WEB.tmp" --files "$WEB_FILES" >&2
    mv "$WEB.tmp" "$WEB"
fi
if [ ! -d "$LOGS" ]; then
    log "generating IIS logs: $LOG_PARTS x $PART_MB MB"
    rm -rf "$LOGS.tmp" "$IOC"
    mkdir -p "$LOGS.tmp/W3SVC1" "$IOC.tmp"
    for ((k = 0; k < LOG_PARTS; k++)); do
        python3 "$ROOT/benches/gen_iis.py" "$LOGS.tmp/W3SVC1/u_ex2507$((19 + k)).log" \
            --size-mb "$PART_MB" --seed $((7 + k)) \
            --iocs "$IOC.tmp/part$k.txt" --ioc-count "$IOC_PER_PART" >&2 &
        # Two generators at a time.
        if (( k % 2 == 1 )); then wait; fi
    done
    wait
    # The 10k list joins the addresses each part was generated with (so every part has
    # hits); 1k takes the first tenth of each; 100k adds 90,000 addresses that never occur.
    python3 - "$IOC.tmp" "$LOG_PARTS" <<'EOF'
import random, sys
d, parts = sys.argv[1], int(sys.argv[2])
lists = []
for k in range(parts):
    with open("%s/part%d.txt" % (d, k)) as f:
        lists.append([l.strip() for l in f if l.strip() and not l.startswith("#")])
ten = [ip for l in lists for ip in l]
one = [ip for l in lists for ip in l[: max(1, len(l) // 10)]]
rng = random.Random(100)
extra = set()
while len(extra) < 100000 - len(ten):
    extra.add("46.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)))
hundred = ten + sorted(extra)
for name, ips in (("1k", one), ("10k", ten), ("100k", hundred)):
    with open("%s/ioc-%s.txt" % (d, name), "w") as f:
        f.write("# benchmark IOC list: %d IPv4 addresses\n" % len(ips))
        f.write("\n".join(ips) + "\n")
    with open("%s/ioc-%s.pat" % (d, name), "w") as f:  # no comment line, for grep/rg
        f.write("\n".join(ips) + "\n")
EOF
    mv "$IOC.tmp" "$IOC"
    mv "$LOGS.tmp" "$LOGS"
fi
if [ ! -f "$BIG/u_ex_big.log" ]; then
    log "single big log: the first $BIG_LOG_PARTS parts of the log set, concatenated"
    rm -rf "$BIG"
    mkdir -p "$BIG.tmp"
    for ((k = 0; k < BIG_LOG_PARTS && k < LOG_PARTS; k++)); do
        cat "$LOGS/W3SVC1/u_ex2507$((19 + k)).log"
    done > "$BIG.tmp/u_ex_big.log"
    mv "$BIG.tmp" "$BIG"
fi

# Rule translations (cheap; redone every run so they follow the rules).
log "translating rules for yara and rg"
python3 "$ROOT/benches/yara_from_rules.py" yara "$WORK/rules.yar" --notes "$WORK/yara-notes.md" 2>/dev/null
yarac "$WORK/rules.yar" "$WORK/rules.yarc" 2>"$WORK/yarac.err" || {
    cat "$WORK/yarac.err" >&2; echo "compare.sh: generated YARA rules do not compile" >&2; exit 2; }
python3 "$ROOT/benches/yara_from_rules.py" route "$WEB" "$WORK/route" > "$WORK/route.tsv"
RG_CASE=$(python3 "$ROOT/benches/yara_from_rules.py" literals "$WORK/literals.txt" 2>/dev/null)
LIT_COUNT=$(wc -l < "$WORK/literals.txt")
YARA_ROUTED="for g in '$WORK'/route/g*.yar; do yara -w -p $JOBS \"\$g\" --scan-list \"\${g%.yar}.list\"; done"

bytes_of() { find "$@" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}'; }
WEB_BYTES=$(bytes_of "$WEB")
LOG_BYTES=$(bytes_of "$LOGS")
BIG_BYTES=$(bytes_of "$BIG")

# ---------------------------------------------------------------------------------------
# Cases: id|group|label|input|bytes|command. Commands write to stdout, which goes to a
# file even in timed runs: GNU grep stops at the first match when its output is /dev/null.
# The first case of each group is the group's reference.

SS="$SHELLSWEEP scan -q --format jsonl"
CASES=(
    "ss_web|web|shellsweep scan -j$JOBS (reference)|web root|$WEB_BYTES|$SS -j$JOBS '$WEB'"
    "ss_web1|web|shellsweep scan -j1|web root|$WEB_BYTES|$SS -j1 '$WEB'"
    "yara_all|web|yara -r -p $JOBS, all files, every rule|web root|$WEB_BYTES|yara -w -r -p $JOBS '$WORK/rules.yar' '$WEB'"
    "yara_routed|web|yara -p $JOBS, files routed to their rules (fair)|web root|$WEB_BYTES|$YARA_ROUTED"
    "rg_web|web|rg -F -c $RG_CASE -j$JOBS -f literals ($LIT_COUNT)|web root|$WEB_BYTES|rg -F -c $RG_CASE -a --no-ignore --hidden -j$JOBS -f '$WORK/literals.txt' '$WEB'"
    "ss_log10k|logs|shellsweep scan --ioc 10k -j$JOBS (reference)|log set|$LOG_BYTES|$SS -j$JOBS --ioc '$IOC/ioc-10k.txt' '$LOGS'"
    "ss_log100k|logs|shellsweep scan --ioc 100k -j$JOBS|log set|$LOG_BYTES|$SS -j$JOBS --ioc '$IOC/ioc-100k.txt' '$LOGS'"
    "ss_log1k|logs|shellsweep scan --ioc 1k -j$JOBS|log set|$LOG_BYTES|$SS -j$JOBS --ioc '$IOC/ioc-1k.txt' '$LOGS'"
    "grep_log|logs|LC_ALL=C grep -c -F -f 10k (1 thread)|log set|$LOG_BYTES|LC_ALL=C grep -r -c -F -f '$IOC/ioc-10k.pat' '$LOGS'"
    "rg_log|logs|rg -c -F -j$JOBS -f 10k|log set|$LOG_BYTES|rg -c -F -j$JOBS -f '$IOC/ioc-10k.pat' '$LOGS'"
    "ss_big|big|shellsweep scan --ioc 10k -j$JOBS (reference)|one big log|$BIG_BYTES|$SS -j$JOBS --ioc '$IOC/ioc-10k.txt' '$BIG'"
    "ss_big1|big|shellsweep scan --ioc 10k -j1|one big log|$BIG_BYTES|$SS -j1 --ioc '$IOC/ioc-10k.txt' '$BIG'"
    "ss_empty|compile|shellsweep scan of an empty folder (rule compile)|-|0|$SS '$EMPTY'"
    "ss_list|compile|shellsweep rules list|-|0|$SHELLSWEEP rules list"
)
field() { local IFS='|'; read -r -a parts <<< "$1"; printf '%s' "${parts[$2]}"; }
cmd_of() { printf '%s' "$1" | cut -d'|' -f6-; }

# ---------------------------------------------------------------------------------------
# Warm the page cache, then one untimed run per case whose output feeds the checks.

log "warming the page cache"
find "$WEB" "$LOGS" "$BIG" -type f -print0 | xargs -0 cat | wc -c > /dev/null

log "untimed first runs (outputs kept for the checks)"
for c in "${CASES[@]}"; do
    id=$(field "$c" 0)
    rc=0
    bash -c "$(cmd_of "$c")" > "$WORK/$id.out" 2> "$WORK/$id.err" || rc=$?
    if [ "$rc" -gt 1 ]; then
        echo "compare.sh: $id exited $rc:" >&2; tail -5 "$WORK/$id.err" >&2
    fi
done

# ---------------------------------------------------------------------------------------
# Timed runs: round-robin over the cases (the starting case rotates every round), wall
# time from date +%s%N; peak RSS (the largest process of the command) and CPU time (user +
# sys of all its processes) from GNU time.

declare -A TIMES RSS CPU FAIL
n=${#CASES[@]}
for ((r = 0; r < RUNS; r++)); do
    log "round $((r + 1))/$RUNS"
    for ((i = 0; i < n; i++)); do
        c=${CASES[$(((i + r) % n))]}
        id=$(field "$c" 0)
        rc=0
        t0=$(date +%s%N)
        /usr/bin/time -f '%M %U %S' -o "$WORK/$id.rss" bash -c "$(cmd_of "$c")" > "$WORK/$id.timed.out" 2> "$WORK/$id.err" || rc=$?
        t1=$(date +%s%N)
        if [ "$rc" -gt 1 ]; then FAIL[$id]="exit $rc"; fi
        TIMES[$id]="${TIMES[$id]:-} $(( (t1 - t0) / 1000 ))"
        read -r rss user sys < <(tail -1 "$WORK/$id.rss")
        RSS[$id]="${RSS[$id]:-} $rss"
        CPU[$id]="${CPU[$id]:-} $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%d", (u + s) * 1e6}')"
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
minmax() { tr ' ' '\n' | grep -v '^$' | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.3f–%.3f", lo / 1e6, hi / 1e6}'; }
maxval() { tr ' ' '\n' | grep -v '^$' | sort -n | tail -1; }

declare -A MED PEAK CPUMED
for c in "${CASES[@]}"; do
    id=$(field "$c" 0)
    MED[$id]=$(echo "${TIMES[$id]}" | median)
    PEAK[$id]=$(echo "${RSS[$id]}" | maxval)
    CPUMED[$id]=$(echo "${CPU[$id]}" | median)
done

# ---------------------------------------------------------------------------------------
# Report

REPORT=$WORK/report.md
ver() { "$@" 2>&1 | head -1; }
{
    echo "### Results ($MODE mode, $(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- shellsweep $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') ($("$SHELLSWEEP" --version 2>&1 | head -1)); $(ver yara --version | sed 's/^/yara /'); $(ver rg --version); $(ver grep --version); $(ver python3 --version)"
    echo "- web root: $WEB_FILES files, $(awk -v b="$WEB_BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}'); log set: $LOG_PARTS IIS W3C files, $(awk -v b="$LOG_BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}'); big log: $(awk -v b="$BIG_BYTES" 'BEGIN {printf "%.1f MB", b / 1e6}'); $RUNS timed runs per case after one untimed run, page cache warm"
    echo
    echo "| case | input | median s (min–max) | MB/s | time / reference | CPU s | peak RSS MB |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    declare -A REF
    for c in "${CASES[@]}"; do
        id=$(field "$c" 0); group=$(field "$c" 1); label=$(field "$c" 2)
        input=$(field "$c" 3); bytes=$(field "$c" 4)
        [ -n "${REF[$group]:-}" ] || REF[$group]=${MED[$id]}
        med=${MED[$id]}
        awk -v label="$label${FAIL[$id]:+ **(${FAIL[$id]})**}" -v input="$input" -v med="$med" \
            -v mm="$(echo "${TIMES[$id]}" | minmax)" -v bytes="$bytes" -v ref="${REF[$group]}" \
            -v rss="${PEAK[$id]}" -v cpu="${CPUMED[$id]}" 'BEGIN {
                s = med / 1e6
                mbs = bytes > 0 ? sprintf("%.0f", bytes / 1e6 / s) : "-"
                printf "| %s | %s | %.3f (%s) | %s | %.2f | %.2f | %.1f |\n", label, input, s, mm, mbs, med / ref, cpu / 1e6, rss / 1024
            }'
    done
    echo
    echo "\"time / reference\" divides by the first row of the same block (the shellsweep -j$JOBS"
    echo "row; for the compile rows, the empty-folder scan): 10.00 means shellsweep was 10x faster."
    echo "CPU s is the median user + sys time of all the command's processes (GNU time, 10 ms"
    echo "resolution): on a busy machine it is steadier than wall time."
    echo
    echo "#### Targets"
    echo
    echo "| target | measured | result |"
    echo "|---|---|---|"
    target() { # label, value, op, bar, unit
        awk -v l="$1" -v v="$2" -v op="$3" -v bar="$4" -v u="$5" 'BEGIN {
            ok = (op == ">=") ? v >= bar : v < bar
            printf "| %s | %.2f%s | %s |\n", l, v, u, ok ? "met" : "**missed**"
        }'
    }
    div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", a / b}'; }
    fastest_log=$(( ${MED[grep_log]%.*} < ${MED[rg_log]%.*} ? ${MED[grep_log]%.*} : ${MED[rg_log]%.*} ))
    target "web root: yara -r (all files) time / shellsweep time >= 10" "$(div "${MED[yara_all]}" "${MED[ss_web]}")" ">=" 10 "x"
    target "web root: yara routed (fair) time / shellsweep time >= 10" "$(div "${MED[yara_routed]}" "${MED[ss_web]}")" ">=" 10 "x"
    target "web root: rg -F literals time / shellsweep time >= 0.5" "$(div "${MED[rg_web]}" "${MED[ss_web]}")" ">=" 0.5 "x"
    target "logs, 10k IOCs + log rules: faster of grep/rg time / shellsweep time >= 1.0" "$(div "$fastest_log" "${MED[ss_log10k]}")" ">=" 1.0 "x"
    target "logs: 100k IOCs time / 1k IOCs time < 1.2" "$(div "${MED[ss_log100k]}" "${MED[ss_log1k]}")" "<" 1.2 "x"
    target "web root: -j1 time / -j2 time >= 1.6 (many files)" "$(div "${MED[ss_web1]}" "${MED[ss_web]}")" ">=" 1.6 "x"
    target "one big log: -j1 time / -j2 time >= 1.6 (split across threads)" "$(div "${MED[ss_big1]}" "${MED[ss_big]}")" ">=" 1.6 "x"
    target "peak RSS, log set with 100k IOCs < 100 MB" "$(awk -v k="${PEAK[ss_log100k]}" 'BEGIN {print k / 1024}')" "<" 100 " MB"
    target "rule compile (empty-folder scan, whole process) < 0.1 s" "$(awk -v m="${MED[ss_empty]}" 'BEGIN {print m / 1e6}')" "<" 0.1 " s"
    echo
    echo "#### Checks (from the untimed runs)"
    echo
    for v in yara_routed yara_all; do
        echo "- $(python3 "$ROOT/benches/yara_from_rules.py" agree "shellsweep vs $v" "$WORK/ss_web.out" "$WORK/$v.out" | head -1)"
    done
    echo "- files with at least one literal hit (rg): $(grep -c . "$WORK/rg_web.out" || true); files flagged by shellsweep: $(grep -o '"path":"[^"]*"' "$WORK/ss_web.out" | sort -u | wc -l)"
    echo "- log set, 10k list: shellsweep IOC findings $(grep -c '"id":"SSW-IOC-IP"' "$WORK/ss_log10k.out" || true), all findings $(grep -c '"kind":"alert"' "$WORK/ss_log10k.out" || true); grep matching lines $(awk -F: '{s += $NF} END {print s + 0}' "$WORK/grep_log.out"); rg matching lines $(awk -F: '{s += $NF} END {print s + 0}' "$WORK/rg_log.out")"
    echo "- yara translation: $(head -1 "$WORK/yara-notes.md"); routed groups: $(wc -l < "$WORK/route.tsv")"
} > "$REPORT"

cat "$REPORT"
if [ -n "$OUT" ]; then cp "$REPORT" "$OUT"; fi
