#!/usr/bin/env bash
# Differential testing (docs/linux-differences.md): every script of tests/scripts that lists the
# linux profile also runs against the Linux kernel (`synack drill --target=kernel`, each script
# in a namespace of its own, many at once) and must pass there, except the ones
# kernel-differences.txt lists with the difference, and the ones whose timeline is too long for
# real time (kernel_select.py --long; `t_kernel.sh --long` runs them).
#
# Runs once per `make check`: in the gcc build only (CC from CMake), or wherever
# SYNACK_KERNEL_DIFF=1; SYNACK_KERNEL_DIFF=0 skips it. Skipped (77) without root, a TUN device,
# network namespaces or python3. SYNACK_KERNEL_JOBS (default 24) scripts at once.
#
# Real time on a shared machine: `>` lines get 10 ms of tolerance, and a script that fails is
# run twice more with fewer at once and 20 ms; it fails the test only if it fails all three times.
# Windows are compared: the linux profile chooses them as Linux does (cfg.tcp_rcvwnd LINUX,
# docs/linux-differences.md "Window"); scripts where Linux's memory accounting makes them
# differ are listed like any other difference.
#
#   t_kernel.sh --update   rewrites kernel-differences.txt from what fails now (all three times)
#   t_kernel.sh --long     runs the long-timeline scripts too (make conformance)
set -u
CLI=${SYNACK_CLI:?}
SRC=${SYNACK_SOURCE_DIR:?}
mode=${1:-}
want=${SYNACK_KERNEL_DIFF:-}
if [ -z "$want" ]; then
  case "$(basename "${CC:-gcc}")" in *gcc*) want=1 ;; *) want=0 ;; esac
fi
if [ "$want" != 1 ]; then
  echo "SKIP: the kernel differential run happens once per make check (the gcc build; SYNACK_KERNEL_DIFF=1 forces it)"
  exit 77
fi
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null; then
  echo "SKIP: running scripts against the Linux kernel needs root, /dev/net/tun and network namespaces"
  exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
cd "$SRC" || exit 1
KNOWN=tests/scripts/kernel-differences.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$mode" = --update ]; then
  python3 tests/scripts/kernel_select.py --all >"$tmp/list" || exit 1
elif [ "$mode" = --long ]; then
  { python3 tests/scripts/kernel_select.py; python3 tests/scripts/kernel_select.py --long; } >"$tmp/list" || exit 1
else
  python3 tests/scripts/kernel_select.py >"$tmp/list" || exit 1
fi
echo "running $(wc -l <"$tmp/list") scripts against the kernel" \
  "($(grep -vc '^#' "$KNOWN") listed in $KNOWN as known differences)"

# run LIST JOBS TOLERANCE OUT: the scripts of LIST; failing paths in OUT.fail
run() {
  xargs -a "$1" "$CLI" drill --target=kernel -j "$2" -q --tolerance_usecs="$3" >"$4" 2>&1
  awk '/^FAIL / { print $2 }' "$4" >"$4.fail"
}
run "$tmp/list" "${SYNACK_KERNEL_JOBS:-24}" 10000 "$tmp/first"
# a failure counts when the script fails three times (the later runs with fewer at once)
: >"$tmp/retry"; : >"$tmp/retry.fail"
if [ -s "$tmp/first.fail" ]; then
  echo "$(wc -l <"$tmp/first.fail") failed; running them again, fewer at once"
  run "$tmp/first.fail" 8 20000 "$tmp/retry"
fi
: >"$tmp/second"; : >"$tmp/second.fail"
if [ -s "$tmp/retry.fail" ]; then
  echo "$(wc -l <"$tmp/retry.fail") failed again; a last run, four at once"
  run "$tmp/retry.fail" 4 20000 "$tmp/second"
fi
# sums over the summaries (xargs may split the list over several runs)
total() {
  awk '/^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { p += $1; f += $3; s += $5 }
       END { printf "%d passed, %d failed, %d skipped", p, f, s }' "$1"
}
echo "first run: $(total "$tmp/first"); again: $(total "$tmp/retry"); last: $(total "$tmp/second")"

if [ "$mode" = --update ]; then
  {
    sed -n '/^#/p' "$KNOWN"
    # PATH  the first difference the kernel showed
    awk '/^FAIL / { path = $2; getline; while ($0 ~ /^  / && ($0 ~ /expected: / || $0 ~ /actual:   >/)) { last = $0; if (!getline) break }
                    d = ($0 ~ /^  /) ? $0 : last; sub(/^  [^ ]*:[0-9]+: /, "", d); sub(/^  [^ ]*: /, "", d)
                    printf "%s  %s\n", path, d }' "$tmp/second" | LC_ALL=C sort
  } >"$tmp/known"
  mv "$tmp/known" "$KNOWN"
  echo "rewrote $KNOWN: $(grep -vc '^#' "$KNOWN") scripts"
  exit 0
fi
if [ -s "$tmp/second.fail" ]; then
  echo "scripts that fail against the kernel and are not listed in $KNOWN:"
  cat "$tmp/second"
  exit 1
fi
echo "every selected script passes against the kernel"
exit 0
