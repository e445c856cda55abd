# Shared by the namespace benchmarks (bench_tap.sh, bench_http.sh, bench_xdp.sh,
# bench_impair_matrix.sh); source it, not a benchmark.
#
#   bench_need_root NAME TUN WHY   # skip unless root (and /dev/net/tun when TUN is "tun")
#   bench_need_tools NAME TOOL...  # skip unless every TOOL is on the PATH
#   bench_need_cli NAME DIR        # fail unless DIR holds the synack CLI
#   bench_tap_ns NS              # namespace NS with a TAP "sk0", the kernel side 198.18.0.1/24
#   bench_veth_ns NS_A NS_B A B  # namespaces NS_A (198.19.0.1/24 on veth A) and NS_B
#                                # (198.19.0.2/24 on veth B), the two ends of one veth pair
#   bench_http_up NS URL         # true once curl in NS gets URL (at most 5 s, every 0.1 s)
# The caller deletes the namespaces (and with them the devices) on exit.
#
# A skip prints "NAME: SKIPPED (reason)" and exits 0: `make bench` runs on machines without root
# or the tools, and a benchmark that cannot run there is not a failed one.

bench_need_root() {
  local name=$1 tun=$2 why=$3
  if [ "$(id -u)" != 0 ] || { [ "$tun" = tun ] && [ ! -c /dev/net/tun ]; }; then
    if [ "$tun" = tun ]; then echo "$name: SKIPPED (needs root and /dev/net/tun $why)"
    else echo "$name: SKIPPED (needs root $why)"; fi
    exit 0
  fi
}

bench_need_tools() {
  local name=$1 t
  shift
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "$name: SKIPPED ($t missing: tools/install-deps.sh)"; exit 0; }
  done
}

bench_need_cli() {
  [ -x "$2/synack" ] || { echo "$1: no synack CLI in $2" >&2; exit 1; }
}

bench_tap_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip -n "$1" tuntap add dev sk0 mode tap
  ip -n "$1" link set sk0 up
  ip -n "$1" addr add 198.18.0.1/24 dev sk0
}

bench_veth_ns() {
  local a=$1 b=$2 ia=$3 ib=$4
  ip netns add "$a"
  ip netns add "$b"
  ip -n "$a" link set lo up
  ip -n "$b" link set lo up
  ip link add "$ia" netns "$a" type veth peer name "$ib" netns "$b"
  ip -n "$a" link set "$ia" up
  ip -n "$b" link set "$ib" up
  ip -n "$a" addr add 198.19.0.1/24 dev "$ia"
  ip -n "$b" addr add 198.19.0.2/24 dev "$ib"
}

bench_http_up() {
  local _
  for _ in $(seq 1 50); do
    ip netns exec "$1" curl -s -o /dev/null --max-time 2 "$2" && return 0
    sleep 0.1
  done
  return 1
}
