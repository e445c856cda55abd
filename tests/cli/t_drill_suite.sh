#!/usr/bin/env bash
# The packet-script suite: every *.pkt under tests/scripts/ (recursively, sorted), each under
# the profiles its header or drill.opts lists (docs/drill.md), in one `synack drill` run.
# The suite is synack's own, so a script the runner reports UNSUPPORTED fails this test too.
# Skipped (77) while the suite is empty.
set -u
CLI=${SYNACK_CLI:?}
cd "${SYNACK_SOURCE_DIR:?}" || exit 1
mapfile -t scripts < <(find tests/scripts -name '*.pkt' -type f 2>/dev/null | LC_ALL=C sort)
if [ "${#scripts[@]}" -eq 0 ]; then
  echo "no scripts under tests/scripts"
  exit 77
fi
echo "${#scripts[@]} scripts"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# -q: only failures, unsupported scripts and the summary line
"$CLI" drill -q "${scripts[@]}" >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" -eq 0 ] || exit "$rc"
skipped=$(tail -n 1 "$out" | sed -n 's/^[0-9]* passed, [0-9]* failed, \([0-9]*\) skipped$/\1/p')
if [ -z "$skipped" ]; then
  echo "no summary line from synack drill"
  exit 1
fi
if [ "$skipped" -ne 0 ]; then
  echo "$skipped run(s) UNSUPPORTED: every script of the suite must run"
  exit 1
fi
