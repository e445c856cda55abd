# Network-namespace harness for the interop tests (source it; not a test itself).
#
#   . "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
#   net_require            # exit 77 (skipped) unless root with /dev/net/tun and iproute2
#   net_setup              # a fresh namespace with a TAP "sk0"; the kernel side is 198.18.0.1/24 and
#                          # fd00::1/64, synack takes 198.18.0.2 and fd00::2 on the same TAP
#   net_bg LOG cmd...      # runs cmd inside the namespace in the background (killed at exit)
#   net_in cmd...          # runs cmd inside the namespace
#   net_wait SECS cmd...   # polls cmd every 0.1 s until it succeeds, at most SECS seconds
#
# Everything is torn down by an EXIT trap, also when the test fails or is interrupted:
# background processes are stopped by their pid and the namespace (with its TAP) is deleted.
# Addresses come only from 198.18.0.0/15 (RFC 2544 benchmarking) and fd00::/8 (ULA).

KADDR4=198.18.0.1
SADDR4=198.18.0.2
KADDR6=fd00::1
SADDR6=fd00::2
TAP=sk0
SYNACK_CLI=${SYNACK_CLI:-synack}
NET_PIDS=()
NET_NS=
NET_TMP=

net_skip() {
  echo "SKIP: $*"
  exit 77
}

net_require() {
  [ "$(id -u)" = 0 ] || net_skip "interop tests need root (network namespaces and a TAP device)"
  [ -c /dev/net/tun ] || net_skip "/dev/net/tun is missing"
  command -v ip >/dev/null || net_skip "iproute2 (ip) is missing"
  [ -x "$SYNACK_CLI" ] || net_skip "synack CLI not found at '$SYNACK_CLI'"
  for tool in "$@"; do
    command -v "$tool" >/dev/null || net_skip "$tool is missing (tools/install-deps.sh installs it)"
  done
}

net_teardown() {
  local pid
  for pid in "${NET_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${NET_PIDS[@]}"; do
    # bounded wait, then force
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  NET_PIDS=()
  [ -n "$NET_NS" ] && ip netns del "$NET_NS" 2>/dev/null
  NET_NS=
  [ -n "$NET_TMP" ] && [ -z "${SYNACK_KEEP_TMP:-}" ] && rm -rf "$NET_TMP"
  return 0
}

# The namespace of a test (named after it and its pid), its scratch directory, the EXIT trap.
net_ns_new() {
  NET_NS="synack-$(basename "$0" .sh)-$$"
  trap 'rc=$?; net_teardown; exit $rc' EXIT
  trap 'exit 130' INT TERM
  NET_TMP=$(mktemp -d "${TMPDIR:-/tmp}/synack-net.XXXXXX")
  ip netns add "$NET_NS" || net_skip "cannot create a network namespace (container without CAP_SYS_ADMIN?)"
  ip -n "$NET_NS" link set lo up
}

net_setup() {
  net_ns_new
  # A persistent TAP owned by the namespace; synack attaches to it from inside.
  ip -n "$NET_NS" tuntap add dev "$TAP" mode tap || { echo "FAIL: cannot create $TAP"; exit 1; }
  ip -n "$NET_NS" link set "$TAP" up
  ip -n "$NET_NS" addr add "$KADDR4/24" dev "$TAP"
  # nodad: the address is usable at once (duplicate address detection would take ~1 s).
  ip -n "$NET_NS" addr add "$KADDR6/64" dev "$TAP" nodad
  ip netns exec "$NET_NS" sysctl -qw net.ipv6.conf.$TAP.accept_ra=0 2>/dev/null
  return 0
}

# After net_setup: a bridge br0 joining TAP sk0 and a second TAP sk1, the kernel's addresses
# moved from sk0 to the bridge, so that two synack stacks (one on each TAP, e.g. a preloaded
# program on sk0 and `synack serve --tap sk1 --addr $SADDR4B/24 --addr6 $SADDR6B/64` with a MAC
# of its own) reach each other and the kernel.
SADDR4B=198.18.0.3
SADDR6B=fd00::3
net_setup_bridge() {
  ip -n "$NET_NS" addr flush dev "$TAP"
  ip -n "$NET_NS" link add br0 type bridge mcast_snooping 0 stp_state 0
  ip -n "$NET_NS" link set "$TAP" master br0
  ip -n "$NET_NS" tuntap add dev sk1 mode tap
  ip -n "$NET_NS" link set sk1 master br0
  ip -n "$NET_NS" link set sk1 up
  ip -n "$NET_NS" link set br0 up
  ip -n "$NET_NS" addr add "$KADDR4/24" dev br0
  ip -n "$NET_NS" addr add "$KADDR6/64" dev br0 nodad
}

# A veth pair instead of the TAP, for the AF_XDP driver: the kernel's end VETH_K (198.18.0.1/24,
# fd00::1/64) and synack's end VETH_S (no address in the kernel; synack takes SADDR4/SADDR6 on
# it through XDP), each with $1 queues (default 1). Offloads are off on the kernel's end: no
# checksum information crosses AF_XDP, so the kernel must send complete checksums and no
# super-frames. net.core.txrehash=0: the kernel must not move a connection to another transmit
# queue (and so to another synack stack) when it retransmits.
VETH_K=xk0
VETH_S=xs0
net_setup_veth() {
  local q=${1:-1}
  net_ns_new
  ip -n "$NET_NS" link add "$VETH_K" numtxqueues "$q" numrxqueues "$q" type veth \
    peer name "$VETH_S" numtxqueues "$q" numrxqueues "$q" || { echo "FAIL: cannot create the veth pair"; exit 1; }
  ip netns exec "$NET_NS" ethtool -K "$VETH_K" tx off tso off gso off gro off >/dev/null 2>&1 ||
    { echo "FAIL: ethtool cannot switch offloads off"; exit 1; }
  ip netns exec "$NET_NS" ethtool -K "$VETH_S" gro off >/dev/null 2>&1
  ip netns exec "$NET_NS" sysctl -qw net.core.txrehash=0 2>/dev/null
  ip -n "$NET_NS" link set "$VETH_K" up
  ip -n "$NET_NS" link set "$VETH_S" up
  ip -n "$NET_NS" addr add "$KADDR4/24" dev "$VETH_K"
  ip -n "$NET_NS" addr add "$KADDR6/64" dev "$VETH_K" nodad
  ip netns exec "$NET_NS" sysctl -qw net.ipv6.conf.$VETH_K.accept_ra=0 2>/dev/null
  ip netns exec "$NET_NS" sysctl -qw net.ipv6.conf.$VETH_S.disable_ipv6=1 2>/dev/null
  return 0
}

net_in() {
  ip netns exec "$NET_NS" "$@"
}

# net_bg LOGFILE cmd... : background process inside the namespace; its pid in NET_LAST_PID.
net_bg() {
  local log=$1
  shift
  ip netns exec "$NET_NS" "$@" >"$log" 2>&1 &
  NET_LAST_PID=$!
  NET_PIDS+=("$NET_LAST_PID")
}

# Stops one background process started by net_bg (TERM, bounded wait, then KILL).
net_stop() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

net_wait() {
  local secs=$1
  shift
  local tries=$((secs * 10))
  for _ in $(seq 1 "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# Starts `synack serve` inside the namespace with the standard addresses and waits until it
# listens. Extra arguments go to serve (port, mode, impairments...). Log in $NET_TMP/serve.log.
net_serve() {
  net_bg "$NET_TMP/serve.log" "$SYNACK_CLI" serve --tap "$TAP" --addr "$SADDR4/24" --addr6 "$SADDR6/64" "$@"
  SERVE_PID=$NET_LAST_PID
  if ! net_wait 10 grep -q "listening on port" "$NET_TMP/serve.log"; then
    echo "FAIL: synack serve did not start"
    cat "$NET_TMP/serve.log"
    exit 1
  fi
}

# net_serve on the veth of net_setup_veth with the AF_XDP driver: extra arguments as net_serve's.
# Exits 77 when this synack was built without the driver.
net_serve_xdp() {
  net_bg "$NET_TMP/serve.log" "$SYNACK_CLI" serve --driver xdp --dev "$VETH_S" --addr "$SADDR4/24" \
    --addr6 "$SADDR6/64" "$@"
  SERVE_PID=$NET_LAST_PID
  if ! net_wait 10 grep -Eq "listening on port|no AF_XDP driver|cannot" "$NET_TMP/serve.log" ||
    ! grep -q "listening on port" "$NET_TMP/serve.log"; then
    grep -q "no AF_XDP driver" "$NET_TMP/serve.log" && net_skip "synack was built without the AF_XDP driver"
    echo "FAIL: synack serve --driver xdp did not start"
    cat "$NET_TMP/serve.log"
    exit 1
  fi
}

# Runs a synack client command (get/connect/ping) in the namespace with the standard addresses.
net_synack() {
  local cmd=$1
  shift
  ip netns exec "$NET_NS" timeout 120 "$SYNACK_CLI" "$cmd" --tap "$TAP" --addr "$SADDR4/24" --addr6 "$SADDR6/64" "$@"
}

fail() {
  echo "FAIL: $*"
  exit 1
}
