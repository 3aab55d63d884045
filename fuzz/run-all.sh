#!/usr/bin/env bash
# Kept for old notes: scripts/fuzz-all.sh runs every target and records the results.
#   fuzz/run-all.sh [SECONDS] [TARGET...]
exec "$(cd "$(dirname "$0")/.." && pwd)/scripts/fuzz-all.sh" "$@"
