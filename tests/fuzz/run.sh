#!/usr/bin/env bash
# Runs every built fuzz target for a fixed time on a scratch copy of its seed corpus.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
# Target fuzz_NAME uses tests/fuzz/corpus/NAME/. One line per target; exit 1 on any crash.
set -u
build=${1:?usage: run.sh BUILD_DIR SECONDS}
secs=${2:?usage: run.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
found=0
for bin in $(find "$build" -maxdepth 2 -type f -name 'fuzz_*' -perm -u+x | sort); do
  found=$((found + 1))
  name=$(basename "$bin")
  short=${name#fuzz_}
  corpus="$work/$short"
  mkdir -p "$corpus" "$work/artifacts-$short"
  if [ -d "$here/corpus/$short" ]; then cp "$here/corpus/$short"/* "$corpus"/ 2>/dev/null || true; fi
  log="$work/$short.log"
  "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts-$short/" "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ $rc -eq 0 ]; then
    printf '%-14s ok    %s runs in %ss\n' "$name" "${runs:-?}" "$secs"
  else
    failed=1
    keep="$build/fuzz-artifacts"
    mkdir -p "$keep"
    cp "$work/artifacts-$short"/* "$keep"/ 2>/dev/null || true
    cp "$log" "$keep/$name.log"
    printf '%-14s CRASH exit %d; log and reproducer in %s\n' "$name" "$rc" "$keep"
    grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/    /'
  fi
done
if [ $found -eq 0 ]; then echo "no fuzz_* binaries in $build" >&2; exit 1; fi
exit $failed
