#!/usr/bin/env bash
# `synack drill -j N` (tools/drill/drill_jobs.c): N script files at once in child processes.
# The output must be the sequential run's, line for line (file order kept, counts added up), a
# failing file still fails the run, a usage error is reported, and the synack target needs no
# root for it.
set -u
CLI=${SYNACK_CLI:?}
cd "${SYNACK_SOURCE_DIR:?}" || exit 1
D=tests/drill-selftest
fails=0
seq_out=$(mktemp); par_out=$(mktemp)
trap 'rm -f "$seq_out" "$par_out"' EXIT

"$CLI" drill $D/pass/*.pkt $D/fail/*.pkt $D/unsupported/*.pkt >"$seq_out" 2>&1
seq_rc=$?
"$CLI" drill -j 4 $D/pass/*.pkt $D/fail/*.pkt $D/unsupported/*.pkt >"$par_out" 2>&1
par_rc=$?
if ! cmp -s "$seq_out" "$par_out"; then
  echo "FAILED: -j 4 output differs from the sequential run"; diff "$seq_out" "$par_out" | head -20
  fails=$((fails + 1))
fi
[ "$seq_rc" = 1 ] && [ "$par_rc" = 1 ] || { echo "FAILED: exit $seq_rc / $par_rc, expected 1 / 1"; fails=$((fails + 1)); }
tail -1 "$par_out" | grep -qE '^[1-9][0-9]* passed, [1-9][0-9]* failed, [1-9][0-9]* skipped$' ||
  { echo "FAILED: summary: $(tail -1 "$par_out")"; fails=$((fails + 1)); }

"$CLI" drill -j 0 $D/pass/passive-open.pkt >"$par_out" 2>&1
[ $? = 2 ] && grep -qF -- "-j takes 1..256" "$par_out" || { echo "FAILED: -j 0 not refused"; cat "$par_out"; fails=$((fails + 1)); }
"$CLI" drill --target=nowhere $D/pass/passive-open.pkt >"$par_out" 2>&1
[ $? = 2 ] && grep -qF "unknown target 'nowhere'" "$par_out" || { echo "FAILED: --target=nowhere not refused"; cat "$par_out"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo "t_drill_jobs: all checks passed"
exit $((fails > 0))
