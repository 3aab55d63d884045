#!/usr/bin/env bash
# Where a web root's time goes against rg, by file extension: each named extension's files
# (and then all the others) are linked into a tree of their own, and shellsweep and
# `rg -F -f LITERALS` search each tree alternately at one thread. Issue 18 found the whole
# gap to rg in one kind of file this way (PHP, whose canonical views cost as much as the
# rest of its scan); the whole-tree ratio alone cannot say that.
#
# usage: benches/by_extension.sh LITERALS TREE... [--ext "php js java"] [--runs N]
#
#   LITERALS   the rules' literals, one per line (benches/yara_from_rules.py literals OUT)
#   --ext      the extensions to split out (default "php js java cs"); the rest is "other"
#   --runs     alternating runs per tree (default 3); the medians of user CPU are printed
#
# Needs GNU time and rg; SHELLSWEEP names the binary (default target/release/shellsweep).
# The trees are hard links in a temporary folder next to the first TREE (copies when
# links fail), removed at the end.
set -euo pipefail

EXTS="php js java cs"
RUNS=3
LITS=""
TREES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --ext) EXTS=$2; shift ;;
        --runs) RUNS=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) echo "by_extension.sh: unknown argument $1" >&2; exit 2 ;;
        *) if [ -z "$LITS" ]; then LITS=$1; else TREES+=("$1"); fi ;;
    esac
    shift
done
[ -n "$LITS" ] && [ ${#TREES[@]} -gt 0 ] || {
    echo "usage: benches/by_extension.sh LITERALS TREE... [--ext LIST] [--runs N]" >&2; exit 2; }
SS=${SHELLSWEEP:-target/release/shellsweep}
[ -x "$SS" ] || { echo "by_extension.sh: no binary at $SS (cargo build --release)" >&2; exit 2; }

WORK=$(mktemp -d "$(dirname "${TREES[0]}")/by-extension.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Links (or copies) each group's files into $WORK/<group>/, their paths kept.
others=()
for e in $EXTS; do
    mkdir -p "$WORK/$e"
    find "${TREES[@]}" -type f -iname "*.$e" -print0 |
        xargs -0 -r cp --parents -l -t "$WORK/$e" 2>/dev/null ||
        find "${TREES[@]}" -type f -iname "*.$e" -print0 | xargs -0 -r cp --parents -t "$WORK/$e"
    others+=(-not -iname "*.$e")
done
mkdir -p "$WORK/other"
find "${TREES[@]}" -type f "${others[@]}" -print0 |
    xargs -0 -r cp --parents -l -t "$WORK/other" 2>/dev/null ||
    find "${TREES[@]}" -type f "${others[@]}" -print0 | xargs -0 -r cp --parents -t "$WORK/other"

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# User CPU seconds of a command; shellsweep exits 1 when it finds something.
user() { { /usr/bin/time -f %U "$@" 2>&1 >/dev/null || true; } | tail -n 1; }

printf '%-8s %8s %7s %12s %10s %8s\n' group MB files shellsweep rg "rg/ss"
for group in $EXTS other; do
    dir="$WORK/$group"
    [ -d "$dir" ] || continue
    mb=$(du -sm "$dir" | cut -f1)
    files=$(find "$dir" -type f | wc -l)
    ss_t=(); rg_t=()
    for ((k = 0; k < RUNS; k++)); do
        ss_t+=("$(user "$SS" scan -q --format jsonl -j1 "$dir")")
        rg_t+=("$(user rg -F -c -i -a --no-ignore --hidden -j1 -f "$LITS" "$dir")")
    done
    s=$(printf '%s\n' "${ss_t[@]}" | median)
    r=$(printf '%s\n' "${rg_t[@]}" | median)
    printf '%-8s %8s %7s %11ss %9ss %8.2f\n' "$group" "$mb" "$files" "$s" "$r" \
        "$(awk -v s="$s" -v r="$r" 'BEGIN {print (s > 0) ? r / s : 0}')"
done
