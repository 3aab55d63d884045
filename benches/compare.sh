#!/usr/bin/env bash
# Whole-program comparison: shellsweep against yara, ripgrep and GNU grep, on generated
# corpora or on real trees and log sets. See BENCHMARKS.md for the method and how to read
# the table.
#
# usage: benches/compare.sh [--quick] [--runs N] [--jobs N] [--corpus DIR] [--out FILE]
#                           [--no-build] [--cases LIST] [--webroot-dir DIR]...
#                           [--log-dir DIR]... [--iocs FILE] [--signature-base DIR]
#                           [--sigma DIR]... [--before BIN] [--no-translated-yara]
#
#   --quick       ~5,000 files and ~200 MB of logs (under 3 minutes on 2 cores)
#   --runs N      timed runs per case (default 5; env RUNS)
#   --jobs N      threads for the multi-threaded cases of every tool (default 2; env JOBS)
#   --corpus DIR  where corpora are generated, once, and kept (default target/bench-corpus;
#                 env CORPUS)
#   --out FILE    also write the Markdown report to FILE
#   --no-build    use the existing binary instead of running `cargo build --release`
#   --cases LIST  comma list of case groups to run: webroot, logs, biglog, startup, yara,
#                 loaded (default: all that apply)
#   --webroot-dir DIR  time this tree (repeatable) instead of the generated web root
#   --log-dir DIR      time this log set (repeatable) instead of the generated one; needs
#                 --iocs FILE, its 10k IOC list (the 1k and 100k lists are derived from it)
#   --signature-base DIR  Neo23x0 signature-base (or its yara/ folder): adds the case
#                 `yara` with it, and loads it into shellsweep for the `loaded` cases
#   --sigma DIR   SigmaHQ web rules (repeatable): loaded into shellsweep for the `loaded` cases
#   --before BIN  an older shellsweep: run once on every shellsweep case, untimed, and its
#                 findings compared with the new binary's; exit 1 when they differ
#   --no-translated-yara  leave out the two yara cases with the bundled rules translated
#                 (slow on large real trees; no issue 18 target uses them)
#
# Sizes can be overridden with env vars: WEB_FILES, LOG_MB (whole log set), LOG_PARTS
# (files in the log set), BIG_LOG_PARTS (parts or files concatenated into the single big log).
# The binary is ${CARGO_TARGET_DIR:-target}/release/shellsweep (env SHELLSWEEP overrides).
# Needs: python3 with PyYAML, yara 4.x (and yarac), rg, GNU grep, GNU time (/usr/bin/time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=full
RUNS=${RUNS:-5}
JOBS=${JOBS:-2}
CORPUS=${CORPUS:-$ROOT/target/bench-corpus}
OUT=""
BUILD=1
CASE_GROUPS=""
WEB_DIRS=()
LOG_DIRS=()
IOC_LIST=""
SIGBASE=""
SIGMA_DIRS=()
BEFORE=""
TRANSLATED=1
abspath() { (cd "$1" && pwd); }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) MODE=quick ;;
        --runs) RUNS=$2; shift ;;
        --jobs) JOBS=$2; shift ;;
        --corpus) CORPUS=$2; shift ;;
        --out) OUT=$2; shift ;;
        --no-build) BUILD=0 ;;
        --cases) CASE_GROUPS=$2; shift ;;
        --webroot-dir) WEB_DIRS+=("$(abspath "$2")"); shift ;;
        --log-dir) LOG_DIRS+=("$(abspath "$2")"); shift ;;
        --iocs) IOC_LIST=$(abspath "$(dirname "$2")")/$(basename "$2"); shift ;;
        --signature-base) SIGBASE=$(abspath "$2"); shift ;;
        --sigma) SIGMA_DIRS+=("$(abspath "$2")"); shift ;;
        --before) BEFORE=$2; shift ;;
        --no-translated-yara) TRANSLATED=0 ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
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
[ -d "$SIGBASE/yara" ] && SIGBASE=$SIGBASE/yara
if [ ${#LOG_DIRS[@]} -gt 0 ] && [ -z "$IOC_LIST" ]; then
    echo "compare.sh: --log-dir needs --iocs FILE (the 10k IOC list of that log set)" >&2; exit 2
fi
if [ -n "$IOC_LIST" ] && [ ${#LOG_DIRS[@]} -eq 0 ]; then
    echo "compare.sh: --iocs goes with --log-dir" >&2; exit 2
fi
[ -z "$IOC_LIST" ] || [ -f "$IOC_LIST" ] || { echo "compare.sh: no IOC list at $IOC_LIST" >&2; exit 2; }
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || { echo "compare.sh: no binary at $BEFORE" >&2; exit 2; }

# Case groups: all by default; yara needs --signature-base, loaded needs it or --sigma.
ALL_GROUPS="webroot logs biglog startup"
[ -n "$SIGBASE" ] && ALL_GROUPS+=" yara"
{ [ -n "$SIGBASE" ] || [ ${#SIGMA_DIRS[@]} -gt 0 ]; } && ALL_GROUPS+=" loaded"
if [ -z "$CASE_GROUPS" ]; then
    CASE_GROUPS=$ALL_GROUPS
else
    CASE_GROUPS=${CASE_GROUPS//,/ }
    for g in $CASE_GROUPS; do
        case " webroot logs biglog startup yara loaded " in
            *" $g "*) ;;
            *) echo "compare.sh: unknown case group $g (webroot, logs, biglog, startup, yara, loaded)" >&2; exit 2 ;;
        esac
        case " $ALL_GROUPS " in
            *" $g "*) ;;
            *) echo "compare.sh: case group $g needs --signature-base or --sigma" >&2; exit 2 ;;
        esac
    done
fi
want() { case " $CASE_GROUPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
NEED_WEB=0; NEED_LOGS=0
{ want webroot || want yara || want loaded; } && NEED_WEB=1
{ want logs || want biglog || want loaded; } && NEED_LOGS=1

for tool in python3 yara yarac rg grep /usr/bin/time; do
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
# Trees and log sets given with --webroot-dir / --log-dir are used as they are.

mkdir -p "$CORPUS"
CORPUS=$(abspath "$CORPUS")
WORK=$CORPUS/work-$MODE
EMPTY=$CORPUS/empty
mkdir -p "$WORK" "$EMPTY"
rm -f "$WORK"/*.out "$WORK"/*.before.out
NOTES=()

WEB_SOURCE=""
if [ "$NEED_WEB" = 1 ] && [ ${#WEB_DIRS[@]} -eq 0 ]; then
    WEB=$CORPUS/webroot-$WEB_FILES
    if [ ! -d "$WEB" ]; then
        log "generating web root: $WEB_FILES files"
        rm -rf "$WEB.tmp"
        python3 "$ROOT/benches/gen_webroot.py" "$WEB.tmp" --files "$WEB_FILES" >&2
        mv "$WEB.tmp" "$WEB"
    fi
    WEB_DIRS=("$WEB")
    WEB_SOURCE="generated ($WEB_FILES files)"
elif [ ${#WEB_DIRS[@]} -gt 0 ]; then
    WEB_SOURCE="${WEB_DIRS[*]} ($(find "${WEB_DIRS[@]}" -type f | wc -l) files)"
fi

LOG_SOURCE=""
BIG=""
if [ "$NEED_LOGS" = 1 ] && [ ${#LOG_DIRS[@]} -eq 0 ]; then
    LOGS=$CORPUS/logs-${LOG_MB}mb-$LOG_PARTS
    IOC=$LOGS-iocs
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
    LOG_DIRS=("$LOGS")
    IOC10=$IOC/ioc-10k.txt; PAT10=$IOC/ioc-10k.pat; IOC1=$IOC/ioc-1k.txt; IOC100=$IOC/ioc-100k.txt
    BIG=$CORPUS/biglog-${LOG_MB}mb-$LOG_PARTS-$BIG_LOG_PARTS
    BIG_SOURCES=()
    for ((k = 0; k < BIG_LOG_PARTS && k < LOG_PARTS; k++)); do BIG_SOURCES+=("$LOGS/W3SVC1/u_ex2507$((19 + k)).log"); done
    BIG_NAME=u_ex_big.log
    LOG_SOURCE="generated ($LOG_PARTS IIS W3C files, benches/gen_iis.py)"
elif [ ${#LOG_DIRS[@]} -gt 0 ]; then
    # The 1k and 100k lists are made from the given one as compare.sh makes its own: the
    # first tenth, and the list padded with addresses that never occur.
    IOC10=$IOC_LIST; PAT10=$WORK/ioc-10k.pat; IOC1=$WORK/ioc-1k.txt; IOC100=$WORK/ioc-100k.txt
    grep -v -e '^#' -e '^[[:space:]]*$' "$IOC_LIST" > "$PAT10" || true
    python3 "$ROOT/benches/gen_traffic.py" --derive-iocs "$IOC_LIST" --iocs-1k "$IOC1" --iocs-100k "$IOC100"
    mapfile -t BIG_SOURCES < <(find "${LOG_DIRS[@]}" -type f | LC_ALL=C sort | head -n "$BIG_LOG_PARTS")
    key=$(for f in "${BIG_SOURCES[@]}"; do printf '%s %s\n' "$f" "$(stat -c '%s %Y' "$f")"; done | md5sum | cut -c1-10)
    BIG=$CORPUS/biglog-$key
    BIG_NAME=$(basename "${BIG_SOURCES[0]}")
    LOG_SOURCE="${LOG_DIRS[*]} ($(find "${LOG_DIRS[@]}" -type f | wc -l) files), IOC list $IOC_LIST ($(wc -l < "$PAT10") addresses)"
fi
if want biglog || want loaded; then
    if [ -n "$BIG" ] && [ ! -f "$BIG/$BIG_NAME" ]; then
        log "single big log: ${#BIG_SOURCES[@]} files of the log set, concatenated"
        rm -rf "$BIG" "$BIG.tmp"
        mkdir -p "$BIG.tmp"
        cat "${BIG_SOURCES[@]}" > "$BIG.tmp/$BIG_NAME"
        mv "$BIG.tmp" "$BIG"
    fi
fi

# Rule translations (cheap; redone every run so they follow the rules).
WEB_Q=$(printf "'%s' " "${WEB_DIRS[@]}")
LOG_Q=$(printf "'%s' " "${LOG_DIRS[@]}")
if want webroot; then
    log "translating rules for yara and rg"
    if [ "$TRANSLATED" = 1 ]; then
        python3 "$ROOT/benches/yara_from_rules.py" yara "$WORK/rules.yar" --notes "$WORK/yara-notes.md" 2>/dev/null
        yarac "$WORK/rules.yar" "$WORK/rules.yarc" 2>"$WORK/yarac.err" || {
            cat "$WORK/yarac.err" >&2; echo "compare.sh: generated YARA rules do not compile" >&2; exit 2; }
        rm -rf "$WORK/route"
        : > "$WORK/route.tsv"
        for ((k = 0; k < ${#WEB_DIRS[@]}; k++)); do
            python3 "$ROOT/benches/yara_from_rules.py" route "${WEB_DIRS[$k]}" "$WORK/route/d$k" >> "$WORK/route.tsv"
        done
    fi
    RG_CASE=$(python3 "$ROOT/benches/yara_from_rules.py" literals "$WORK/literals-all.txt" 2>/dev/null)
    # rg refuses a pattern file with bytes that are not UTF-8 (hex patterns such as a UTF-16
    # byte-order mark), even with -F: those literals are left out, which only helps rg.
    LIT_DROPPED=$(python3 - "$WORK/literals-all.txt" "$WORK/literals.txt" <<'EOF'
import sys
kept, dropped = [], 0
with open(sys.argv[1], "rb") as f:
    for line in f.read().split(b"\n"):
        if not line:
            continue
        try:
            line.decode("utf-8")
            kept.append(line)
        except UnicodeDecodeError:
            dropped += 1
with open(sys.argv[2], "wb") as f:
    f.write(b"\n".join(kept) + b"\n")
print(dropped)
EOF
)
    LIT_COUNT=$(wc -l < "$WORK/literals.txt")
    [ "$LIT_DROPPED" = 0 ] || NOTES+=("rg literal set: $LIT_DROPPED literals that are not UTF-8 left out (rg cannot take them), $LIT_COUNT kept")
    YARA_ROUTED="for g in '$WORK'/route/d*/g*.yar; do yara -w -p $JOBS \"\$g\" --scan-list \"\${g%.yar}.list\"; done"
fi

# signature-base: yarac once for yara 4 (the externals Loki/THOR set are declared empty);
# `shellsweep rules compile` once for the loaded cases.
EXT="-d filename= -d filepath= -d extension= -d filetype= -d owner="
LOADED_ARGS=""
SB_RULES=""
if [ -n "$SIGBASE" ]; then
    shopt -s nullglob
    SB_FILES=("$SIGBASE"/*.yar "$SIGBASE"/*.yara)
    shopt -u nullglob
    [ ${#SB_FILES[@]} -gt 0 ] || { echo "compare.sh: no .yar/.yara files in $SIGBASE" >&2; exit 2; }
    SB_RULES="${#SB_FILES[@]} files"
    if want yara; then
        log "yarac: signature-base (${#SB_FILES[@]} files)"
        # shellcheck disable=SC2086
        yarac -w $EXT "${SB_FILES[@]}" "$WORK/sb.yarc" 2> "$WORK/sb-yarac.err" || {
            tail -5 "$WORK/sb-yarac.err" >&2; echo "compare.sh: signature-base does not compile with yarac" >&2; exit 2; }
    fi
    if want loaded; then
        log "shellsweep rules compile --yara signature-base"
        if "$SHELLSWEEP" rules compile --yara "$SIGBASE" -o "$WORK/sb.sswyara" > "$WORK/sb-compile.err" 2>&1; then
            LOADED_ARGS+=" --yara-compiled '$WORK/sb.sswyara'"
        else
            if grep -q 'without YARA support' "$WORK/sb-compile.err"; then
                NOTES+=("signature-base not loaded into shellsweep: this binary was built without the \`yara\` feature (the loaded rows have no YARA rules)")
            else
                NOTES+=("signature-base not loaded into shellsweep, \`rules compile --yara\` failed: $(grep -v '^\s*$' "$WORK/sb-compile.err" | tail -1 | cut -c1-200)")
            fi
        fi
    fi
fi
for d in "${SIGMA_DIRS[@]}"; do LOADED_ARGS+=" --sigma '$d'"; done
if want loaded && [ -z "$LOADED_ARGS" ]; then
    NOTES+=("no loaded cases: neither Sigma nor YARA rules could be loaded")
    CASE_GROUPS=${CASE_GROUPS//loaded/}
fi

bytes_of() { if [ $# -eq 0 ]; then echo 0; return; fi; find "$@" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}'; }
WEB_BYTES=$(bytes_of "${WEB_DIRS[@]}")
LOG_BYTES=$(bytes_of "${LOG_DIRS[@]}")
BIG_BYTES=0; [ -n "$BIG" ] && [ -d "$BIG" ] && BIG_BYTES=$(bytes_of "$BIG")

# ---------------------------------------------------------------------------------------
# Cases: id|group|label|input|bytes|command. Commands write to stdout, which goes to a
# file even in timed runs: GNU grep stops at the first match when its output is /dev/null.
# The first case of each group is the group's reference. Case ids starting with ss_ run
# shellsweep (and are the ones --before compares).

SS="$SHELLSWEEP scan -q --format jsonl"
SSL="$SS$LOADED_ARGS"
CASES=()
add() { CASES+=("$1"); }
if want webroot; then
    add "ss_web|web|shellsweep scan -j$JOBS (reference)|web root|$WEB_BYTES|$SS -j$JOBS $WEB_Q"
    add "ss_web1|web|shellsweep scan -j1|web root|$WEB_BYTES|$SS -j1 $WEB_Q"
    [ "$TRANSLATED" = 1 ] && add "yara_all|web|yara -r -p $JOBS, all files, every rule|web root|$WEB_BYTES|for d in $WEB_Q; do yara -w -r -p $JOBS '$WORK/rules.yar' \"\$d\"; done"
    [ "$TRANSLATED" = 1 ] && add "yara_routed|web|yara -p $JOBS, files routed to their rules (fair)|web root|$WEB_BYTES|$YARA_ROUTED"
    add "rg_web|web|rg -F -c $RG_CASE -j$JOBS -f literals ($LIT_COUNT)|web root|$WEB_BYTES|rg -F -c $RG_CASE -a --no-ignore --hidden -j$JOBS -f '$WORK/literals.txt' $WEB_Q"
fi
if want yara; then
    add "yara_sb|web|yara -N -r -p $JOBS -C signature-base ($SB_RULES)|web root|$WEB_BYTES|for d in $WEB_Q; do yara -N -r -w -p $JOBS $EXT -C '$WORK/sb.yarc' \"\$d\"; done"
fi
if want logs; then
    add "ss_log10k|logs|shellsweep scan --ioc 10k -j$JOBS (reference)|log set|$LOG_BYTES|$SS -j$JOBS --ioc '$IOC10' $LOG_Q"
    add "ss_log100k|logs|shellsweep scan --ioc 100k -j$JOBS|log set|$LOG_BYTES|$SS -j$JOBS --ioc '$IOC100' $LOG_Q"
    add "ss_log1k|logs|shellsweep scan --ioc 1k -j$JOBS|log set|$LOG_BYTES|$SS -j$JOBS --ioc '$IOC1' $LOG_Q"
    add "grep_log|logs|LC_ALL=C grep -c -F -f 10k (1 thread)|log set|$LOG_BYTES|LC_ALL=C grep -r -c -F -f '$PAT10' $LOG_Q"
    add "rg_log|logs|rg -c -F -j$JOBS -f 10k|log set|$LOG_BYTES|rg -c -F -j$JOBS -f '$PAT10' $LOG_Q"
fi
if want biglog; then
    add "ss_big|big|shellsweep scan --ioc 10k -j$JOBS (reference)|one big log|$BIG_BYTES|$SS -j$JOBS --ioc '$IOC10' '$BIG'"
    add "ss_big1|big|shellsweep scan --ioc 10k -j1|one big log|$BIG_BYTES|$SS -j1 --ioc '$IOC10' '$BIG'"
fi
if want startup; then
    add "ss_empty|compile|shellsweep scan of an empty folder (rule compile)|-|0|$SS '$EMPTY'"
    add "ss_list|compile|shellsweep rules list|-|0|$SHELLSWEEP rules list"
fi
if want loaded; then
    L="+ Sigma/YARA"
    add "ss_web_L|web|shellsweep $L scan -j$JOBS|web root|$WEB_BYTES|$SSL -j$JOBS $WEB_Q"
    add "ss_log10k_L|logs|shellsweep $L scan --ioc 10k -j$JOBS|log set|$LOG_BYTES|$SSL -j$JOBS --ioc '$IOC10' $LOG_Q"
    add "ss_log100k_L|logs|shellsweep $L scan --ioc 100k -j$JOBS|log set|$LOG_BYTES|$SSL -j$JOBS --ioc '$IOC100' $LOG_Q"
    add "ss_log1k_L|logs|shellsweep $L scan --ioc 1k -j$JOBS|log set|$LOG_BYTES|$SSL -j$JOBS --ioc '$IOC1' $LOG_Q"
    add "ss_big_L|big|shellsweep $L scan --ioc 10k -j$JOBS|one big log|$BIG_BYTES|$SSL -j$JOBS --ioc '$IOC10' '$BIG'"
    add "ss_big1_L|big|shellsweep $L scan --ioc 10k -j1|one big log|$BIG_BYTES|$SSL -j1 --ioc '$IOC10' '$BIG'"
    add "ss_empty_L|compile|shellsweep $L scan of an empty folder|-|0|$SSL '$EMPTY'"
fi
[ ${#CASES[@]} -gt 0 ] || { echo "compare.sh: no case to run" >&2; exit 2; }
field() { local IFS='|'; read -r -a parts <<< "$1"; printf '%s' "${parts[$2]}"; }
cmd_of() { printf '%s' "$1" | cut -d'|' -f6-; }

# ---------------------------------------------------------------------------------------
# Warm the page cache, then one untimed run per case whose output feeds the checks.

log "warming the page cache"
WARM=("${WEB_DIRS[@]}" "${LOG_DIRS[@]}")
{ want biglog || want loaded; } && [ -n "$BIG" ] && WARM+=("$BIG")
[ ${#WARM[@]} -eq 0 ] || find "${WARM[@]}" -type f -print0 | xargs -0 cat | wc -c > /dev/null

log "untimed first runs (outputs kept for the checks)"
for c in "${CASES[@]}"; do
    id=$(field "$c" 0)
    rc=0
    bash -c "$(cmd_of "$c")" > "$WORK/$id.out" 2> "$WORK/$id.err" || rc=$?
    if [ "$rc" -gt 1 ]; then
        echo "compare.sh: $id exited $rc:" >&2; tail -5 "$WORK/$id.err" >&2
    fi
done

# --before: the older binary once on every shellsweep case, same arguments, untimed.
if [ -n "$BEFORE" ]; then
    log "untimed runs of the --before binary"
    for c in "${CASES[@]}"; do
        id=$(field "$c" 0)
        case "$id" in ss_list) continue ;; ss_*) ;; *) continue ;; esac
        cmd=$(cmd_of "$c")
        rc=0
        bash -c "${cmd//"$SHELLSWEEP"/"$BEFORE"}" > "$WORK/$id.before.out" 2> "$WORK/$id.before.err" || rc=$?
        echo "$rc" > "$WORK/$id.before.rc"
    done
fi

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
# Findings before and after: sorted (rule.id, file.path or log.file.path, line, indicator)
# tuples of the JSON lines (shellsweep.log.line for log records, shellsweep.line for files;
# the indicator is threat.enrichments[].indicator.name).

cat > "$WORK/findings_diff.py" <<'EOF'
import collections, json, sys

def get(d, *path):
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d

def tuples(name):
    out = collections.Counter()
    with open(name, encoding="utf-8", errors="replace") as f:
        for raw in f:
            raw = raw.strip()
            if not raw:
                continue
            try:
                d = json.loads(raw)
            except ValueError:
                out[("<not JSON>", raw[:120], "", "")] += 1
                continue
            if not isinstance(get(d, "rule"), dict):
                continue  # the summary and other events
            path = get(d, "file", "path") or get(d, "log", "file", "path") or ""
            line = get(d, "shellsweep", "log", "line") or get(d, "shellsweep", "line") or ""
            ind = ",".join(sorted(str(get(e, "indicator", "name") or "") for e in (get(d, "threat", "enrichments") or [])))
            out[(str(get(d, "rule", "id")), path, str(line), ind)] += 1
    return out

before, after = tuples(sys.argv[1]), tuples(sys.argv[2])
if before == after:
    print("findings identical (%d)" % sum(after.values()))
    sys.exit(0)
gone, new = before - after, after - before
print("findings DIFFER: %d before, %d after; %d only before, %d only after" % (
    sum(before.values()), sum(after.values()), sum(gone.values()), sum(new.values())))
shown = 0
for label, diff in (("only before", gone), ("only after", new)):
    for t in sorted(diff):
        if shown == 20:
            break
        print("    - %s: %s" % (label, " | ".join(t)))
        shown += 1
sys.exit(1)
EOF

BEFORE_DIFF=0
BEFORE_LINES=()
if [ -n "$BEFORE" ]; then
    for c in "${CASES[@]}"; do
        id=$(field "$c" 0)
        [ -f "$WORK/$id.before.rc" ] || continue
        brc=$(cat "$WORK/$id.before.rc")
        if [ "$brc" -gt 1 ]; then
            BEFORE_LINES+=("$id: **not compared**, the --before binary exited $brc: $(grep -v '^\s*$' "$WORK/$id.before.err" | tail -1 | cut -c1-200)")
            BEFORE_DIFF=1
            continue
        fi
        res=$(python3 "$WORK/findings_diff.py" "$WORK/$id.before.out" "$WORK/$id.out") || BEFORE_DIFF=1
        BEFORE_LINES+=("$id: $res")
    done
fi

# ---------------------------------------------------------------------------------------
# Report

REPORT=$WORK/report.md
ver() { "$@" 2>&1 | head -1; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1e6}'; }
{
    echo "### Results ($MODE mode, $(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    # The binary timed may not be the checkout's build (SHELLSWEEP=...): it is named by its
    # path and digest, the checkout by its commit.
    echo "- shellsweep binary $SHELLSWEEP (sha256 $(sha256sum "$SHELLSWEEP" | cut -c1-12), $("$SHELLSWEEP" --version 2>&1 | head -1)); checkout $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')${BEFORE:+; --before $BEFORE (sha256 $(sha256sum "$BEFORE" | cut -c1-12))}; $(ver yara --version | sed 's/^/yara /'); $(ver rg --version); $(ver grep --version); $(ver python3 --version)"
    echo "- cases: ${CASE_GROUPS# }; $RUNS timed runs per case after one untimed run, page cache warm"
    [ -z "$WEB_SOURCE" ] || echo "- web root: $WEB_SOURCE, $(mb "$WEB_BYTES")"
    [ -z "$LOG_SOURCE" ] || echo "- log set: $LOG_SOURCE, $(mb "$LOG_BYTES")"
    { want biglog || want loaded; } && [ -n "$BIG" ] && echo "- big log: $(basename "$BIG")/$BIG_NAME, the first ${#BIG_SOURCES[@]} files of the log set concatenated, $(mb "$BIG_BYTES")"
    [ -z "$SIGBASE" ] || echo "- signature-base: $SIGBASE ($SB_RULES)"
    [ ${#SIGMA_DIRS[@]} -eq 0 ] || echo "- Sigma: ${SIGMA_DIRS[*]}"
    [ -z "$LOADED_ARGS" ] || ! want loaded || echo "- \"+ Sigma/YARA\" rows add:${LOADED_ARGS}"
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
    echo "row; for the compile rows, the empty-folder scan): 10.00 means shellsweep was 10x faster,"
    echo "0.50 that the row took half the time of shellsweep with the bundled rules."
    echo "CPU s is the median user + sys time of all the command's processes (GNU time, 10 ms"
    echo "resolution): on a busy machine it is steadier than wall time."
    echo
    # label, value (empty: not run), op, bar, unit
    target() {
        if [ -z "$2" ]; then printf '| %s | not run | - |\n' "$1"; return; fi
        awk -v l="$1" -v v="$2" -v op="$3" -v bar="$4" -v u="$5" 'BEGIN {
            ok = (op == ">=") ? v >= bar : (op == "<=") ? v <= bar : v < bar
            printf "| %s | %.2f%s | %s |\n", l, v, u, ok ? "met" : "**missed**"
        }'
    }
    # MED[a] / MED[b], empty when either did not run
    ratio() { [ -n "${MED[$1]:-}" ] && [ -n "${MED[$2]:-}" ] && awk -v a="${MED[$1]}" -v b="${MED[$2]}" 'BEGIN {printf "%.4f", a / b}' || true; }
    # the faster of grep and rg over MED[$1]
    vs_fastest_log() {
        [ -n "${MED[grep_log]:-}" ] && [ -n "${MED[rg_log]:-}" ] && [ -n "${MED[$1]:-}" ] &&
            awk -v g="${MED[grep_log]}" -v r="${MED[rg_log]}" -v s="${MED[$1]}" 'BEGIN {printf "%.4f", (g < r ? g : r) / s}' || true
    }
    secs() { [ -n "${MED[$1]:-}" ] && awk -v m="${MED[$1]}" 'BEGIN {print m / 1e6}' || true; }
    # the largest peak RSS of the given cases that ran, in MB
    peak_mb() {
        local best="" id
        for id in "$@"; do [ -n "${PEAK[$id]:-}" ] && { [ -z "$best" ] || [ "${PEAK[$id]}" -gt "$best" ]; } && best=${PEAK[$id]}; done
        [ -z "$best" ] || awk -v k="$best" 'BEGIN {print k / 1024}'
    }
    targets() { # suffix ("" bundled rules, _L loaded)
        local x=$1
        echo "| target | measured | result |"
        echo "|---|---|---|"
        target "logs, 10k IOCs, -j$JOBS: faster of grep/rg time / shellsweep time >= 1.0" "$(vs_fastest_log "ss_log10k$x")" ">=" 1.0 "x"
        target "web root: rg -F literals time / shellsweep time >= 0.5" "$(ratio rg_web "ss_web$x")" ">=" 0.5 "x"
        target "web root: yara + signature-base time / shellsweep time >= 20" "$(ratio yara_sb "ss_web$x")" ">=" 20 "x"
        target "one big log: -j1 time / -j$JOBS time >= 1.8" "$(ratio "ss_big1$x" "ss_big$x")" ">=" 1.8 "x"
        target "logs: 100k IOCs time / 1k IOCs time <= 1.10" "$(ratio "ss_log100k$x" "ss_log1k$x")" "<=" 1.10 "x"
        target "peak RSS, every shellsweep case < 100 MB" "$(peak_mb "ss_web$x" "ss_web1$x" "ss_log10k$x" "ss_log100k$x" "ss_log1k$x" "ss_big$x" "ss_big1$x" "ss_empty$x")" "<" 100 " MB"
        target "start-up (empty-folder scan, whole process) < 0.05 s" "$(secs "ss_empty$x")" "<" 0.05 " s"
    }
    echo "#### Targets (issue 18), bundled rules"
    echo
    targets ""
    if want loaded; then
        echo
        echo "#### Targets (issue 18), with Sigma and YARA loaded"
        echo
        targets _L
    fi
    echo
    echo "#### Checks (from the untimed runs)"
    echo
    if want webroot; then
        if [ "$TRANSLATED" = 1 ]; then
            for v in yara_routed yara_all; do
                echo "- $(python3 "$ROOT/benches/yara_from_rules.py" agree "shellsweep vs $v" "$WORK/ss_web.out" "$WORK/$v.out" 2>/dev/null | head -1)"
            done
            echo "- yara translation: $(head -1 "$WORK/yara-notes.md"); routed groups: $(wc -l < "$WORK/route.tsv")"
        fi
        echo "- files with at least one literal hit (rg): $(grep -c . "$WORK/rg_web.out" || true); files flagged by shellsweep: $(grep -o '"path":"[^"]*"' "$WORK/ss_web.out" | sort -u | wc -l)"
    fi
    if want yara; then
        echo "- yara + signature-base: $(cut -d' ' -f1 "$WORK/yara_sb.out" | sort -u | wc -l) rules matched, $(cut -d' ' -f2- "$WORK/yara_sb.out" | sort -u | wc -l) files"
    fi
    if want logs; then
        echo "- log set, 10k list: shellsweep IOC findings $(grep -c '"id":"SSW-IOC-IP"' "$WORK/ss_log10k.out" || true), all findings $(grep -c '"kind":"alert"' "$WORK/ss_log10k.out" || true); grep matching lines $(awk -F: '{s += $NF} END {print s + 0}' "$WORK/grep_log.out"); rg matching lines $(awk -F: '{s += $NF} END {print s + 0}' "$WORK/rg_log.out")"
    fi
    if want loaded; then
        echo "- with Sigma/YARA loaded: log set findings $(grep -c '"kind":"alert"' "$WORK/ss_log10k_L.out" || true) (Sigma $(grep -c '"ruleset":"sigma"' "$WORK/ss_log10k_L.out" || true)), web root findings $(grep -c '"kind":"alert"' "$WORK/ss_web_L.out" || true)"
    fi
    for note in "${NOTES[@]}"; do echo "- note: $note"; done
    if [ -n "$BEFORE" ]; then
        echo "- findings of $BEFORE (before) against $SHELLSWEEP (after), same arguments:"
        for l in "${BEFORE_LINES[@]}"; do echo "  - $l"; done
    fi
} > "$REPORT"

cat "$REPORT"
if [ -n "$OUT" ]; then cp "$REPORT" "$OUT"; fi
if [ "$BEFORE_DIFF" = 1 ]; then
    echo "compare.sh: findings differ between --before and the new binary (see Checks)" >&2
    exit 1
fi
