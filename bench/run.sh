#!/usr/bin/env bash
# Runs every benchmark binary (bench_*) found in BUILD_DIR, one after the other, so that they
# do not disturb each other's timings. Exits non-zero if any benchmark failed.
# Usage: bash bench/run.sh BUILD_DIR
set -u
dir=${1:?usage: bench/run.sh BUILD_DIR}
status=0
found=0
for b in "$dir"/bench_*; do
  [ -f "$b" ] && [ -x "$b" ] || continue
  found=1
  echo "== $(basename "$b")"
  if ! "$b"; then
    echo "bench/run.sh: $(basename "$b") failed" >&2
    status=1
  fi
  echo
done
# Script benchmarks (they drive the CLI, e.g. over a TAP in a namespace): bench/bench_*.sh BUILD_DIR.
for sh in "$(dirname "$0")"/bench_*.sh; do
  [ -f "$sh" ] || continue
  found=1
  echo "== $(basename "$sh")"
  if ! bash "$sh" "$dir"; then
    echo "bench/run.sh: $(basename "$sh") failed" >&2
    status=1
  fi
  echo
done
if [ "$found" = 0 ]; then
  echo "bench/run.sh: no bench_* binaries in $dir" >&2
  exit 1
fi
exit $status
