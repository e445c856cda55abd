#!/usr/bin/env bash
# Prints the conformance tables of docs/conformance.md: for each suite of scripts, per folder,
# how many runs pass, fail and are UNSUPPORTED (the drill summary's "skipped"). One function
# per suite (suite_NAME), called from the list at the end; a suite whose scripts are absent
# prints a line saying so. `make conformance` builds the release binary and runs this.
#
#   tools/conformance-table.sh [PATH/TO/synack]     (default: build/release/synack)
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
CLI=${1:-$src/build/release/synack}
case $CLI in /*) ;; *) CLI=$PWD/$CLI ;; esac # the suites cd to their scripts
SHARED=${SYNACK_SHARED_DIR:-$src/../shared}
if [ ! -x "$CLI" ]; then
  echo "no synack binary at $CLI (run make first)" >&2
  exit 2
fi

T_PASS=0 T_FAIL=0 T_SKIP=0

# table_row LABEL -- DRILL ARGS...: runs one `synack drill -q` and prints one table row.
table_row() {
  local label=$1
  shift 2
  local last
  last=$("$CLI" drill -q "$@" 2>&1 | tail -n 1)
  if ! [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    echo "| $label | (no summary: $last) | | | |"
    return
  fi
  local p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
  T_PASS=$((T_PASS + p)) T_FAIL=$((T_FAIL + f)) T_SKIP=$((T_SKIP + s))
  echo "| $label | $((p + f + s)) | $p | $f | $s |"
}

table_head() {
  echo "| folder | runs | pass | fail | unsupported |"
  echo "|---|---:|---:|---:|---:|"
  T_PASS=0 T_FAIL=0 T_SKIP=0
}

table_total() {
  echo "| **total** | $((T_PASS + T_FAIL + T_SKIP)) | $T_PASS | $T_FAIL | $T_SKIP |"
}

# FreeBSD's tcp-testsuite (state-event-engine), unmodified, under --profile=freebsd, each
# folder run from the suite's root.
suite_freebsd() {
  local root=$SHARED/conformance/freebsd-tcp-testsuite/state-event-engine
  echo "### FreeBSD tcp-testsuite, state-event-engine (synack, --profile=freebsd)"
  echo
  if [ ! -d "$root" ]; then
    echo "(scripts not found at $root)"
    echo
    return
  fi
  cd "$root" || return
  table_head
  local d
  for d in */; do
    d=${d%/}
    local files=("$d"/*.pkt)
    [ -e "${files[0]}" ] || continue
    table_row "$d" -- --profile=freebsd "${files[@]}"
  done
  table_total
  echo
}

# Each suite in a subshell: it may cd, and its totals are its own.
for suite in suite_freebsd; do
  ("$suite")
done
