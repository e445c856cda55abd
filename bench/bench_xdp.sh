#!/usr/bin/env bash
# AF_XDP scale-out (issue 14 §4): requests/s of `synack serve --driver xdp` with 1 and 2 queues
# (one stack and one pinned thread per queue, native XDP on a 2-queue veth) under wrk from the
# kernel's side, and in the same run nginx on the kernel with 1 and 2 workers over a veth pair
# of its own (kernel TCP on both ends). Prints each rate, the 2-over-1 scaling of each (target
# >= 1.8x for synack) and synack over nginx. wrk runs on the same machine and competes for its
# cores: on a 2-core host the scaling measured is a lower bound (see docs/afxdp.md).
# Needs root, wrk, ethtool and a synack built with the AF_XDP driver; otherwise it skips.
# Each figure is the best of SYNACK_BENCH_RUNS wrk runs (default 3): on a shared machine the
# other load only ever lowers a rate.
# Usage: bash bench/bench_xdp.sh BUILD_DIR   (SYNACK_BENCH_SECS, SYNACK_BENCH_CONNS, SYNACK_BENCH_RUNS)
set -u
. "$(dirname "$0")/netns_lib.sh"
dir=${1:?usage: bench/bench_xdp.sh BUILD_DIR}
cli="$dir/synack"
SECS=${SYNACK_BENCH_SECS:-8}
CONNS=${SYNACK_BENCH_CONNS:-100}
RUNS=${SYNACK_BENCH_RUNS:-3}
bench_need_root bench_xdp notun "for namespaces and XDP"
bench_need_tools bench_xdp ip wrk ethtool
bench_need_cli bench_xdp "$dir"

NS="synack-bench-xdp-$$"
NS_N="synack-bench-xdpn-$$"
PIDS=()
TMP=$(mktemp -d /dev/shm/synack-bench-xdp.XXXXXX 2>/dev/null || mktemp -d)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ns in "$NS" "$NS_N"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 1024 /dev/zero | tr '\0' 'x' >"$TMP/index.html"

# The client's namespace: wrk; synack on xs0 (the other end of xk0); nginx behind vc1.
ip netns add "$NS"
ip netns add "$NS_N"
ip -n "$NS" link set lo up
ip -n "$NS_N" link set lo up
ip -n "$NS" link add xk0 numtxqueues 2 numrxqueues 2 type veth peer name xs0 numtxqueues 2 numrxqueues 2
ip netns exec "$NS" ethtool -K xk0 tx off tso off gso off gro off >/dev/null 2>&1
ip netns exec "$NS" sysctl -qw net.core.txrehash=0
ip -n "$NS" link set xk0 up
ip -n "$NS" link set xs0 up
ip -n "$NS" addr add 198.18.0.1/24 dev xk0
ip -n "$NS" link add vc1 numtxqueues 2 numrxqueues 2 type veth peer name vn1 numtxqueues 2 numrxqueues 2 netns "$NS_N"
ip -n "$NS" addr add 198.18.1.1/24 dev vc1
ip -n "$NS" link set vc1 up
ip -n "$NS_N" addr add 198.18.1.2/24 dev vn1
ip -n "$NS_N" link set vn1 up

rate() { # URL: wrk's requests/s, the best of RUNS runs
  for _ in $(seq 1 "$RUNS"); do
    ip netns exec "$NS" wrk -t2 -c"$CONNS" -d"${SECS}s" "$1" 2>&1 | tee -a "$TMP/wrk.log" |
      sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
  done | sort -g | tail -1
}

stop_last() {
  local pid=${PIDS[-1]}
  kill -INT "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset 'PIDS[-1]'
}

synack_rate() { # QUEUES
  # The kernel spreads its connections over as many transmit queues as xk0 has: as many as synack
  # serves (a frame on a queue without a socket would go to the kernel, which has no address on xs0).
  ip netns exec "$NS" ethtool -L xk0 rx "$1" tx "$1" >/dev/null 2>&1
  ip netns exec "$NS" ethtool -L xs0 rx "$1" tx "$1" >/dev/null 2>&1
  ip netns exec "$NS" "$cli" serve --driver xdp --dev xs0 --xdp-mode native --queues "$1" --addr 198.18.0.2/24 \
    --quiet --idle-timeout 0 8080 --http "$TMP" >"$TMP/serve.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "listening on port" "$TMP/serve.log" && break; sleep 0.1; done
  grep -q "listening on port" "$TMP/serve.log" || { cat "$TMP/serve.log" >&2; echo 0; stop_last; return; }
  ip netns exec "$NS" wrk -t1 -c4 -d1s "http://198.18.0.2:8080/index.html" >/dev/null 2>&1 # warm-up (ARP)
  rate "http://198.18.0.2:8080/index.html"
  stop_last
}

nginx_rate() { # WORKERS
  cat >"$TMP/nginx.conf" <<CONF
worker_processes $1;
worker_cpu_affinity auto;
daemon off;
user root;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  server { listen 198.18.1.2:8080 reuseport; root $TMP; }
}
CONF
  ip netns exec "$NS_N" nginx -c "$TMP/nginx.conf" >/dev/null 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do ip netns exec "$NS" wrk -t1 -c1 -d1s "http://198.18.1.2:8080/index.html" >/dev/null 2>&1 && break; sleep 0.1; done
  rate "http://198.18.1.2:8080/index.html"
  kill -QUIT "${PIDS[-1]}" 2>/dev/null
  stop_last
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

s1=$(synack_rate 1)
s2=$(synack_rate 2)
echo "synack AF_XDP (native, copy), wrk -t2 -c$CONNS ${SECS}s, 1 KB keep-alive GET, best of $RUNS:"
echo "  1 queue/core:  ${s1:-0} requests/s"
echo "  2 queues/cores: ${s2:-0} requests/s  scaling $(ratio "${s2:-0}" "${s1:-0}")x (target >= 1.8x)"
if command -v nginx >/dev/null; then
  n1=$(nginx_rate 1)
  n2=$(nginx_rate 2)
  echo "nginx on the kernel over a veth pair, same wrk:"
  echo "  1 worker:  ${n1:-0} requests/s"
  echo "  2 workers: ${n2:-0} requests/s  scaling $(ratio "${n2:-0}" "${n1:-0}")x"
  echo "synack / nginx: 1 core $(ratio "${s1:-0}" "${n1:-0}")x, 2 cores $(ratio "${s2:-0}" "${n2:-0}")x"
else
  echo "nginx: not installed (apt-get install nginx-light), no baseline"
fi
echo "cpus $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
