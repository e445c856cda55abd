#!/usr/bin/env bash
# FreeBSD's own packetdrill scripts (freebsd-net/tcp-testsuite, state-event-engine part), run
# unmodified under --profile=freebsd from ../shared next to the source tree (they are never
# copied into the repository). Fails on any FAIL, and on any UNSUPPORTED that is not listed
# below as a feature synack lacks (docs/conformance.md names each). Skipped (77) when the
# folder is absent. The scripts run on virtual time: the whole suite takes about a second.
set -u
CLI=${SYNACK_CLI:?}
root="${SYNACK_SOURCE_DIR:?}/../shared/conformance/freebsd-tcp-testsuite/state-event-engine"
if [ ! -d "$root" ]; then
  echo "FreeBSD conformance scripts not found at $root: skipped"
  exit 77
fi
# Scripts allowed to be UNSUPPORTED ("folder/file.pkt"), each for a missing feature named in
# docs/conformance.md. Empty: every script runs.
known_unsupported=()

cd "$root" || exit 1
mapfile -t scripts < <(find . -mindepth 2 -maxdepth 2 -name '*.pkt' -type f | sed 's|^\./||' | LC_ALL=C sort)
if [ "${#scripts[@]}" -eq 0 ]; then
  echo "no *.pkt under $root: skipped"
  exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$CLI" drill -q --profile=freebsd "${scripts[@]}" >"$out" 2>&1
rc=$?
cat "$out"
summary=$(tail -n 1 "$out")
if ! [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
  echo "no summary line from synack drill (exit status $rc)"
  exit 1
fi
failed=${BASH_REMATCH[2]}
status=0
if [ "$failed" -ne 0 ] || [ "$rc" -ne 0 ]; then
  echo "$failed FreeBSD script(s) FAIL under --profile=freebsd"
  status=1
fi
while read -r path; do
  ok=0
  for k in "${known_unsupported[@]}"; do
    [ "$k" = "$path" ] && ok=1
  done
  if [ "$ok" -eq 0 ]; then
    echo "UNSUPPORTED without a known missing feature: $path"
    status=1
  fi
done < <(sed -n 's/^UNSUPPORTED \([^ ]*\) \[freebsd\]:.*/\1/p' "$out")
echo "${#scripts[@]} FreeBSD scripts: $summary"
exit "$status"
