#!/usr/bin/env bash
# `synack drill --target=kernel` (docs/drill.md "Targets"): the runner's own scripts against the
# host's Linux kernel, each in a network namespace and TUN device of its own. Needs root, a TUN
# device and network namespaces: skipped (77) otherwise. Checks that the scripts written for
# Linux pass (tests/drill-selftest/kernel/ and the portable ones of pass/), that a mismatch is
# reported with the actual segment, that what the kernel cannot do is UNSUPPORTED, that several
# scripts run at once (-j), and that a non-root user gets a one-line error.
set -u
CLI=${SYNACK_CLI:?}
DIR=${SYNACK_SOURCE_DIR:?}/tests/drill-selftest
cd "$DIR/../.." || exit 1
D=tests/drill-selftest
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null; then
  echo "SKIP: --target=kernel needs root, /dev/net/tun and network namespaces"
  exit 77
fi
fails=0
tun_before=$(ip -o link show 2>/dev/null | grep -c ': tun0')
out=$(mktemp)
bad=$(mktemp -d)
trap 'rm -rf "$out" "$bad"' EXIT

. "$SYNACK_SOURCE_DIR/tests/cli/drill_lib.sh" # run, has

# 1. scripts written for Linux pass against it; several at once, each in its own namespace.
#    The wall clock on a loaded machine: a wider tolerance than the scripts' own.
run 0 --target=kernel -j 4 --tolerance_usecs=15000 $D/kernel/*.pkt $D/pass/passive-open.pkt $D/pass/profiles.pkt \
  $D/pass/linux-no-timestamps.pkt $D/pass/blocking-aggregation.pkt $D/pass/reuseport-v6only.pkt \
  $D/pass/linux-syscalls.pkt $D/pass/code-blocks.pkt $D/pass/ipv4-mapped.pkt
has "20 passed, 0 failed, 0 skipped"
has "PASS $D/kernel/syn-ack-window.pkt [kernel]"
has "PASS $D/kernel/window-unscaled.pkt [kernel]"

# 2. a mismatch shows the kernel's segment
cat >"$bad/window.pkt" <<'PKT'
0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0
+0    < S 0:0(0) win 65535 <mss 1460>
+0    > S. 0:0(0) ack 1 win 65535 <mss 1460>
PKT
run 1 --target=kernel "$bad/window.pkt"
has "FAIL $bad/window.pkt [kernel]"
has "actual:   > S. 0:0(0) ack 1 win 64240 <mss 1460>"
has "win 64240, expected 65535"

# 3. what only a FreeBSD kernel or the synack target can answer is UNSUPPORTED
run 0 --target=kernel $D/pass/active-open-close.pkt $D/unsupported/sysctl.pkt
has "UNSUPPORTED $D/pass/active-open-close.pkt [kernel]: $D/pass/active-open-close.pkt:11: \`sockstat\` (a FreeBSD tool) is not answered against the Linux kernel"
has "0 passed, 0 failed, 2 skipped"

# 4. addresses outside 198.18.0.0/15 and fd00::/8 are never configured
printf -- '--local_ip=10.0.0.1\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n' >"$bad/addr.pkt"
run 0 --target=kernel "$bad/addr.pkt"
has "the kernel target uses only addresses in 198.18.0.0/15 and fd00::/8"

# 5. nothing is left behind in the host's namespace (the runs' namespaces are anonymous)
if [ "$(ip -o link show 2>/dev/null | grep -c ': tun0')" != "$tun_before" ]; then
  echo "FAILED: a tun0 device appeared in the host's namespace"; fails=$((fails + 1))
fi

# 6. not root: one line, exit 2
if command -v setpriv >/dev/null 2>&1; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "$CLI" drill --target=kernel $D/kernel/shell-ip.pkt >"$out" 2>&1
  rc=$?
  [ "$rc" = 2 ] || { echo "FAILED: as a user: exit $rc, expected 2"; fails=$((fails + 1)); }
  has "synack drill: --target=kernel needs root"
  [ "$(wc -l <"$out")" = 1 ] || { echo "FAILED: the non-root error is not one line"; cat "$out"; fails=$((fails + 1)); }
fi

[ "$fails" = 0 ] && echo "t_drill_kernel: all checks passed"
exit $((fails > 0))
