# Shared by the namespace benchmarks (bench_tap.sh, bench_http.sh); source it, not a benchmark.
#
#   bench_tap_ns NS              # namespace NS with a TAP "sk0", the kernel side 198.18.0.1/24
#   bench_veth_ns NS_A NS_B A B  # namespaces NS_A (198.19.0.1/24 on veth A) and NS_B
#                                # (198.19.0.2/24 on veth B), the two ends of one veth pair
# The caller deletes the namespaces (and with them the devices) on exit.

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
