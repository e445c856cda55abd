#!/usr/bin/env bash
# TAP throughput: a kernel client (curl) downloads a file from `synack serve --http` over a TAP,
# and, in the same run, from a kernel HTTP server (python, sendfile) over a veth pair — kernel
# TCP on both ends. Prints both rates and their ratio (target: synack >= 0.5x the kernel).
# Needs root (network namespaces); otherwise it says so and skips.
# Usage: bash bench/bench_tap.sh BUILD_DIR   (SYNACK_BENCH_MB, SYNACK_BENCH_RUNS to adjust)
set -u
. "$(dirname "$0")/netns_lib.sh"
dir=${1:?usage: bench/bench_tap.sh BUILD_DIR}
cli="$dir/synack"
MB=${SYNACK_BENCH_MB:-200}
RUNS=${SYNACK_BENCH_RUNS:-3}
bench_need_root bench_tap tun "to create namespaces, a TAP and a veth pair"
bench_need_tools bench_tap ip curl python3
bench_need_cli bench_tap "$dir"

NS_T="synack-bench-tap-$$"
NS_A="synack-bench-va-$$"
NS_B="synack-bench-vb-$$"
PIDS=()
TMP=$(mktemp -d /dev/shm/synack-bench.XXXXXX 2>/dev/null || mktemp -d)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ns in "$NS_T" "$NS_A" "$NS_B"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c $((MB * 1000000)) /dev/zero >"$TMP/file.bin"

# synack over a TAP.
bench_tap_ns "$NS_T"
ip netns exec "$NS_T" "$cli" serve --tap sk0 --addr 198.18.0.2/24 --quiet 8080 --http "$TMP" >"$TMP/serve.log" 2>&1 &
PIDS+=($!)

# Kernel to kernel over a veth pair.
bench_veth_ns "$NS_A" "$NS_B" "vb$$" "vp$$"
cat >"$TMP/sendfile_server.py" <<'PY'
import socket, sys, os
path = sys.argv[1]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("198.19.0.2", 8080)); ls.listen(8)
size = os.path.getsize(path)
while True:
    c, _ = ls.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d: break
        req += d
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % size)
    with open(path, "rb") as f:
        c.sendfile(f)
    c.close()
PY
ip netns exec "$NS_B" python3 "$TMP/sendfile_server.py" "$TMP/file.bin" >"$TMP/py.log" 2>&1 &
PIDS+=($!)

ready() { ip netns exec "$1" curl -s -o /dev/null --max-time 2 "$2"; }
for _ in $(seq 1 50); do ready "$NS_T" http://198.18.0.2:8080/nothing-here && break; sleep 0.1; done
for _ in $(seq 1 50); do ready "$NS_A" http://198.19.0.2:8080/ && break; sleep 0.1; done

best() { # NS URL: best of RUNS downloads, in bytes per second
  local b=0 s
  for _ in $(seq 1 "$RUNS"); do
    s=$(ip netns exec "$1" curl -s -o /dev/null --max-time 120 -w '%{speed_download}' "$2") || s=0
    s=${s%.*}
    [ "$s" -gt "$b" ] && b=$s
  done
  echo "$b"
}
tap=$(best "$NS_T" http://198.18.0.2:8080/file.bin)
veth=$(best "$NS_A" http://198.19.0.2:8080/)
awk -v t="$tap" -v v="$veth" -v mb="$MB" -v runs="$RUNS" 'BEGIN {
  printf "download of %d MB by curl (kernel TCP), best of %d runs\n", mb, runs
  printf "  from synack serve over TAP    %9.1f Mbit/s\n", t * 8 / 1e6
  printf "  from the kernel over veth     %9.1f Mbit/s  (baseline, same run)\n", v * 8 / 1e6
  if (v > 0) printf "  ratio synack/kernel           %9.2fx  (target >= 0.5x)\n", t / v
  if (v > 0) printf "tap_http_download %.1f Mbit/s baseline_kernel_veth %.1f Mbit/s ratio %.2f\n", t * 8 / 1e6, v * 8 / 1e6, t / v
}'
[ "$tap" -gt 0 ] && [ "$veth" -gt 0 ]
