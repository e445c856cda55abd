#!/usr/bin/env bash
# Unmodified nginx on synack (libsynack-preload.so, docs/preload.md) against the same nginx on the
# kernel, in the same run: the same configuration (nginx's defaults: daemon on, a master and one
# worker per core sharing the stack, accept_mutex off, sendfile on; access log off), synack's
# over a TAP in one namespace, the kernel's over a veth pair between two namespaces, the client
# (the kernel's wrk and curl) in the other namespace each time. Figures: wrk -t2 -c100 for
# SYNACK_BENCH_PRELOAD_SECONDS (default 10) on a 1,024-byte file, keep-alive, requests/s and
# errors; curl downloading a SYNACK_BENCH_PRELOAD_MB (default 100) MB file, best of 3, MB/s.
# Synack's and the kernel's runs of one figure follow each other, so that both see the same
# machine load. Prints a table, then one machine-readable line per figure.
# Needs root (namespaces), wrk, curl and nginx; otherwise it says so and skips.
# Usage: bash bench/bench_preload.sh BUILD_DIR
set -u
. "$(dirname "$0")/netns_lib.sh"
dir=${1:?usage: bench/bench_preload.sh BUILD_DIR}
SECS=${SYNACK_BENCH_PRELOAD_SECONDS:-10}
MB=${SYNACK_BENCH_PRELOAD_MB:-100}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PRELOAD="$dir/libsynack-preload.so"
bench_need_root bench_preload tun "to create namespaces, a TAP and a veth pair"
bench_need_tools bench_preload ip wrk curl
[ -x "$NGINX" ] || { echo "bench_preload: SKIPPED (nginx missing: tools/install-deps.sh)"; exit 0; }
[ -f "$PRELOAD" ] || { echo "bench_preload: no libsynack-preload.so in $dir" >&2; exit 1; }

NS_T="synack-bp-tap-$$"
NS_A="synack-bp-va-$$"
NS_B="synack-bp-vb-$$"
TMP=$(mktemp -d /dev/shm/synack-bench-preload.XXXXXX 2>/dev/null || mktemp -d)
stop_nginx() { # PIDFILE: SIGQUIT to the master, bounded wait, then SIGKILL
  local p
  [ -s "$1" ] || return 0
  p=$(cat "$1")
  kill -QUIT "$p" 2>/dev/null
  for _ in $(seq 1 50); do [ -r "/proc/$p/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$p/stat" || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  rm -f "$1"
}
cleanup() {
  stop_nginx "$TMP/s/nginx.pid"
  stop_nginx "$TMP/k/nginx.pid"
  for ns in "$NS_T" "$NS_A" "$NS_B"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMP/www"
head -c 1024 /dev/urandom >"$TMP/www/small.bin"
head -c $((MB * 1000000)) /dev/urandom >"$TMP/www/big.bin"
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/www/"*

bench_tap_ns "$NS_T"
bench_veth_ns "$NS_A" "$NS_B" "bpa$$" "bpb$$"
conf() { # DIR ADDR
  mkdir -p "$1"
  cat >"$1/nginx.conf" <<CONF
worker_processes auto;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $1; proxy_temp_path $1; fastcgi_temp_path $1; uwsgi_temp_path $1; scgi_temp_path $1;
  server { listen $2:8080; root $TMP/www; }
}
CONF
}
conf "$TMP/s" 198.18.0.2
conf "$TMP/k" 198.19.0.2
ip netns exec "$NS_T" env LD_PRELOAD="$PRELOAD" SYNACK_TAP=sk0 SYNACK_ADDR=198.18.0.2/24 \
  "$NGINX" -c "$TMP/s/nginx.conf" -e "$TMP/s/error.log" >"$TMP/s.out" 2>&1 ||
  { cat "$TMP/s.out"; echo "bench_preload: nginx on synack did not start" >&2; exit 1; }
ip netns exec "$NS_B" "$NGINX" -c "$TMP/k/nginx.conf" -e "$TMP/k/error.log" >"$TMP/k.out" 2>&1 ||
  { cat "$TMP/k.out"; echo "bench_preload: nginx on the kernel did not start" >&2; exit 1; }
{ bench_http_up "$NS_T" http://198.18.0.2:8080/small.bin && bench_http_up "$NS_A" http://198.19.0.2:8080/small.bin; } ||
  { cat "$TMP/s/error.log" "$TMP/k/error.log"; echo "bench_preload: a server did not answer" >&2; exit 1; }

wrk_run() { # NS URL -> "rps errors"
  timeout $((SECS + 30)) ip netns exec "$1" wrk -t2 -c100 -d"${SECS}s" --timeout 5s "$2" >"$TMP/wrk.out" 2>&1
  awk '/^Requests\/sec:/ { r = $2 } /Socket errors/ { e = $4 + $6 + $8 + $10 } /Non-2xx/ { e += $4 }
    END { printf "%.0f %d\n", r, e }' "$TMP/wrk.out"
}
curl_best() { # NS URL -> best MB/s of 3
  local best=0 r
  for _ in 1 2 3; do
    r=$(timeout 120 ip netns exec "$1" curl -sf -o /dev/null -w '%{speed_download}' "$2" || echo 0)
    best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
  done
  awk -v b="$best" 'BEGIN { printf "%.1f\n", b / 1e6 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

read -r s_rps s_err <<<"$(wrk_run "$NS_T" http://198.18.0.2:8080/small.bin)"
read -r k_rps k_err <<<"$(wrk_run "$NS_A" http://198.19.0.2:8080/small.bin)"
s_mb=$(curl_best "$NS_T" http://198.18.0.2:8080/big.bin)
k_mb=$(curl_best "$NS_A" http://198.19.0.2:8080/big.bin)
workers=$(nproc)
echo "nginx $($NGINX -v 2>&1 | sed 's/.*\///'), $workers workers (daemon on, sendfile on): on synack (LD_PRELOAD, TAP) vs on the kernel (veth)"
printf "%-28s %12s %12s %7s\n" figure synack kernel ratio
printf "%-28s %12s %12s %6sx\n" "wrk -c100 1 KiB req/s" "$s_rps" "$k_rps" "$(ratio "$s_rps" "$k_rps")"
printf "%-28s %12s %12s\n" "wrk errors" "$s_err" "$k_err"
printf "%-28s %12s %12s %6sx\n" "curl ${MB} MB download MB/s" "$s_mb" "$k_mb" "$(ratio "$s_mb" "$k_mb")"
echo "preload_nginx_wrk_c100 $s_rps req/s baseline_kernel_nginx $k_rps req/s ratio $(ratio "$s_rps" "$k_rps") errors $s_err kernel_errors $k_err"
echo "preload_nginx_download $s_mb MB/s baseline_kernel_nginx $k_mb MB/s ratio $(ratio "$s_mb" "$k_mb")"
exit 0
