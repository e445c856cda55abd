#!/usr/bin/env bash
# Prints the Linux part of docs/conformance.md: per folder of tests/scripts, the scripts that
# list the linux profile, how many pass on synack (--profile=linux, virtual time) and against the
# Linux kernel (--target=kernel, as root: real time, many at once), how many are UNSUPPORTED
# against the kernel and how many kernel-differences.txt lists. The scripts with a long timeline
# (kernel_select.py --long: keepalive hours...) are counted but run only with --long.
#   sudo SYNACK_CLI=build/check-gcc/synack bash tests/scripts/kernel_table.sh [--long]
set -u
CLI=${SYNACK_CLI:?set SYNACK_CLI to the synack binary}
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ python3 tests/scripts/kernel_select.py --all; python3 tests/scripts/kernel_select.py --long; } | LC_ALL=C sort >"$tmp/list"
python3 tests/scripts/kernel_select.py --all >"$tmp/short"
[ "${1:-}" = --long ] && cp "$tmp/list" "$tmp/short"
xargs -a "$tmp/list" "$CLI" drill --profile=linux >"$tmp/synack" 2>&1
xargs -a "$tmp/short" "$CLI" drill --target=kernel -j "${SYNACK_KERNEL_JOBS:-24}" --window=ignore \
  --tolerance_usecs=10000 >"$tmp/kernel" 2>&1
awk -v known=tests/scripts/kernel-differences.txt '
  function dir(p) { sub(/^tests\/scripts\//, "", p); sub(/\/.*/, "", p); return p }
  BEGIN { while ((getline l < known) > 0) if (l !~ /^#/ && l != "") { split(l, a, " "); k[dir(a[1])]++ } }
  FILENAME ~ /list$/ { n[dir($0)]++; next }
  FILENAME ~ /synack$/ && /^PASS / { s[dir($2)]++; next }
  FILENAME ~ /kernel$/ && /^PASS / { kp[dir($2)]++; next }
  FILENAME ~ /kernel$/ && /^UNSUPPORTED / { ku[dir($2)]++; next }
  END {
    print "| folder | linux scripts | synack pass | kernel pass | kernel unsupported | listed differences |"
    print "|---|---|---|---|---|---|"
    for (d in n) {
      printf "| %s | %d | %d | %d | %d | %d |\n", d, n[d], s[d], kp[d], ku[d], k[d] | "LC_ALL=C sort"
      tn += n[d]; ts += s[d]; tk += kp[d]; tu += ku[d]; tl += k[d]
    }
    close("LC_ALL=C sort")
    printf "| **all** | %d | %d | %d | %d | %d |\n", tn, ts, tk, tu, tl
  }' "$tmp/list" "$tmp/synack" "$tmp/kernel"
