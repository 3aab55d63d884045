#!/usr/bin/env bash
# Lays out the detection development corpus from git snapshots of public repositories, so that
# scripts/measure-detection.sh can measure the bundled rules on code this project did not write.
# Nothing it writes is committed: the malicious sets are live webshells, the benign sets other
# people's applications.
#
#   scripts/dev-corpus.sh [MIRRORS] [OUT]
#
# MIRRORS (default $SHELLSWEEP_MIRRORS, else /work/.mirror) holds one folder per repository,
# named owner+name, containing either a clone or a bare git directory (`repo/` or `repo/.git`
# inside it works too). Get them with `git clone https://github.com/OWNER/NAME MIRRORS/OWNER+NAME`.
# OUT (default target/dev-corpus) receives:
#
#   malicious/<set>/...   webshells, one folder per public collection (split as the collection is)
#   benign/<set>/...      real applications (ASP.NET, JSP, WordPress plugins and themes)
#
# A repository that is missing is named and skipped; the script never downloads anything.
set -uo pipefail
cd "$(dirname "$0")/.."

MIRRORS="${1:-${SHELLSWEEP_MIRRORS:-/work/.mirror}}"
OUT="${2:-target/dev-corpus}"

# set name | repository | path inside it ("." for all) | kind
SETS=(
  "webshell_sample-test|for-just-we/webshell_sample|test/webshell|malicious"
  "webshell_sample-train|for-just-we/webshell_sample|train/webshell|malicious"
  "vickybravo|vickybravo/webshells|.|malicious"
  "threat-groups|0xAnalyst/WebShellsThreatGroups|.|malicious"
  "jsp-webshells|threedr3am/JSP-WebShells|.|malicious"
  "blogengine|BlogEngine/BlogEngine.NET|.|benign"
  "mojoportal|i7MEDIA/mojoportal|.|benign"
  "roller|apache/roller|.|benign"
  "struts|apache/struts|.|benign"
  "openmrs|openmrs/openmrs-core|.|benign"
  "jenkins|jenkinsci/jenkins|.|benign"
  "jpetstore|mybatis/jpetstore-6|.|benign"
  "wp-akismet|wp-plugins/akismet|.|benign"
  "wp-contact-form-7|wp-plugins/contact-form-7|.|benign"
  "wp-duplicator|wp-plugins/duplicator|.|benign"
  "wp-updraftplus|wp-plugins/updraftplus|.|benign"
  "wp-wordfence|wp-plugins/wordfence|.|benign"
  "wp-super-cache|wp-plugins/wp-super-cache|.|benign"
  "wp-twentytwentyfour|WordPress/twentytwentyfour|.|benign"
)

gitdir() {
  local base="$MIRRORS/${1/\//+}"
  for d in "$base/repo/.git" "$base/repo" "$base/.git" "$base"; do
    if git --git-dir="$d" rev-parse --verify -q HEAD >/dev/null 2>&1; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

mkdir -p "$OUT/malicious" "$OUT/benign"
missing=()
for entry in "${SETS[@]}"; do
  IFS='|' read -r name repo sub kind <<<"$entry"
  dest="$OUT/$kind/$name"
  if [ -d "$dest" ]; then
    continue
  fi
  if ! gd="$(gitdir "$repo")"; then
    missing+=("$repo")
    continue
  fi
  tmp="$dest.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  spec=(HEAD); [ "$sub" = "." ] || spec=(HEAD "$sub")
  if git --git-dir="$gd" archive --format=tar "${spec[@]}" 2>/dev/null | tar -x -C "$tmp" 2>/dev/null; then
    find "$tmp" \( -name .git -o -name .github -o -name .idea \) -prune -exec rm -rf {} +
    find "$tmp" -type f \( -iname 'README*' -o -iname 'LICENSE*' -o -iname '*.md' \) -delete
    mv "$tmp" "$dest"
    continue
  fi
  rm -rf "$tmp" && mkdir -p "$tmp"
  # Snapshots may lack their largest blobs, so then files are written one by one and the
  # absent ones counted rather than failing the whole set.
  absent=0
  while IFS= read -r -d '' line; do
    mode_type_oid="${line%%$'\t'*}"
    path="${line#*$'\t'}"
    oid="${mode_type_oid##* }"
    [ "${mode_type_oid#* }" != "${mode_type_oid}" ] || continue
    case "$mode_type_oid" in 120000*|160000*) continue ;; esac
    mkdir -p "$tmp/$(dirname "$path")"
    git --git-dir="$gd" cat-file blob "$oid" >"$tmp/$path" 2>/dev/null || { rm -f "$tmp/$path"; absent=$((absent + 1)); }
  done < <(if [ "$sub" = "." ]; then git --git-dir="$gd" ls-tree -r -z HEAD; else git --git-dir="$gd" ls-tree -r -z HEAD -- "$sub"; fi)
  [ "$absent" = 0 ] || echo "$name: $absent files absent from the snapshot, left out"
  # Repository chrome is neither a webshell nor application code.
  find "$tmp" \( -name .git -o -name .github -o -name .idea \) -prune -exec rm -rf {} +
  find "$tmp" -type f \( -iname 'README*' -o -iname 'LICENSE*' -o -iname '*.md' \) -delete
  mv "$tmp" "$dest"
done

for m in "${missing[@]}"; do echo "not included: $m (no snapshot under $MIRRORS)"; done
echo "files per set:"
for d in "$OUT"/malicious/*/ "$OUT"/benign/*/; do
  [ -d "$d" ] || continue
  printf '  %-10s %-28s %7d\n' "$(basename "$(dirname "$d")")" "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
echo "dev corpus ready in $OUT"
