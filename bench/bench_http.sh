#!/usr/bin/env bash
# HTTP requests per second and latency (issue 14 §4): wrk and ab from the kernel side against
# `synack serve --http` over a TAP, and in the same run against nginx on the kernel (one worker
# per core, sendfile on, access log off) over a veth pair between two namespaces. One small
# file (SYNACK_BENCH_HTTP_BYTES, default 1024 B); 100, 1,000 and 10,000 connections; keep-alive
# and a new connection per request (wrk with "Connection: close", ab without and with -k).
# Each run is bounded to SYNACK_BENCH_HTTP_SECONDS (default 10 s); synack's and nginx's runs of
# one cell follow each other, so that both see the same machine load. Prints a table with
# requests/s, p50/p99/p999 latency and the ratio synack/nginx, then one machine-readable line
# per cell. Targets: >= 1.5x nginx's requests/s and a p99 no worse.
# Needs root (namespaces), wrk, ab and nginx; otherwise it says so and skips.
# Usage: bash bench/bench_http.sh BUILD_DIR   (SYNACK_BENCH_HTTP_CONNS="100 1000 10000",
#        SYNACK_BENCH_HTTP_TOOLS="wrk wrk-close ab ab-k" to run a subset)
set -u
. "$(dirname "$0")/netns_lib.sh"
dir=${1:?usage: bench/bench_http.sh BUILD_DIR}
cli="$dir/synack"
SECS=${SYNACK_BENCH_HTTP_SECONDS:-10}
BYTES=${SYNACK_BENCH_HTTP_BYTES:-1024}
CONNS=${SYNACK_BENCH_HTTP_CONNS:-100 1000 10000}
TOOLS=${SYNACK_BENCH_HTTP_TOOLS:-wrk wrk-close ab-k ab}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
bench_need_root bench_http tun "to create namespaces, a TAP and a veth pair"
bench_need_tools bench_http ip wrk ab
[ -x "$NGINX" ] || { echo "bench_http: SKIPPED (nginx missing: tools/install-deps.sh)"; exit 0; }
bench_need_cli bench_http "$dir"

NS_T="synack-bh-tap-$$"
NS_A="synack-bh-va-$$"
NS_B="synack-bh-vb-$$"
PIDS=()
TMP=$(mktemp -d /dev/shm/synack-bench-http.XXXXXX 2>/dev/null || mktemp -d)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ns in "$NS_T" "$NS_A" "$NS_B"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMP/www"
head -c "$BYTES" /dev/urandom >"$TMP/www/f.bin"
# nginx's workers run unprivileged: they must be able to read the file.
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/www/f.bin"
# The clients need a descriptor per connection (10,000) and ports for connection-per-request runs.
ulimit -n "$(ulimit -Hn)"

# synack over a TAP: the kernel in NS_T is the client.
bench_tap_ns "$NS_T"
ip netns exec "$NS_T" "$cli" serve --tap sk0 --addr 198.18.0.2/24 --quiet --max-conns 16384 --backlog 4096 \
  8080 --http "$TMP/www" >"$TMP/serve.log" 2>&1 &
PIDS+=($!)

# nginx on the kernel in NS_B, the client in NS_A, over a veth pair.
bench_veth_ns "$NS_A" "$NS_B" "bha$$" "bhb$$"
for ns in "$NS_T" "$NS_A" "$NS_B"; do
  ip netns exec "$ns" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096 \
    net.ipv4.ip_local_port_range="10000 60999" net.ipv4.tcp_tw_reuse=1
done
cat >"$TMP/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile 20000;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
daemon on;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $TMP/nginx-tmp;
  proxy_temp_path $TMP/nginx-tmp;
  fastcgi_temp_path $TMP/nginx-tmp;
  uwsgi_temp_path $TMP/nginx-tmp;
  scgi_temp_path $TMP/nginx-tmp;
  server {
    listen 198.19.0.2:8080 backlog=4096 reuseport;
    root $TMP/www;
  }
}
EOF
mkdir -p "$TMP/nginx-tmp"
ip netns exec "$NS_B" "$NGINX" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" -g "" 2>"$TMP/nginx.out" ||
  { cat "$TMP/nginx.out"; echo "bench_http: nginx did not start" >&2; exit 1; }

{ bench_http_up "$NS_T" http://198.18.0.2:8080/f.bin && bench_http_up "$NS_A" http://198.19.0.2:8080/f.bin; } || { cat "$TMP/serve.log" "$TMP/nginx-error.log"; echo "bench_http: a server did not answer" >&2; exit 1; }

# wrk reports p50/p99/p999 from its latency histogram (wrk --latency prints no p999).
cat >"$TMP/pct.lua" <<'LUA'
function done(summary, latency, requests)
  io.write(string.format("pct %d %d %d errors %d\n", latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.status + summary.errors.timeout))
end
LUA

# run NS URL TOOL CONNS -> "rps p50_us p99_us p999_us errors"
run() {
  local ns=$1 url=$2 tool=$3 c=$4 out=$TMP/out
  case "$tool" in
    wrk | wrk-close)
      local hdr=()
      [ "$tool" = wrk-close ] && hdr=(-H "Connection: close")
      timeout $((SECS + 30)) ip netns exec "$ns" wrk -t2 -c"$c" -d"${SECS}s" --timeout 5s "${hdr[@]}" \
        -s "$TMP/pct.lua" "$url" >"$out" 2>&1
      awk '/^Requests\/sec:/ { r = $2 } /^pct / { p50 = $2; p99 = $3; p999 = $4; e = $6 }
        END { printf "%.0f %d %d %d %d\n", r, p50, p99, p999, e }' "$out"
      ;;
    ab | ab-k)
      local k=()
      [ "$tool" = ab-k ] && k=(-k)
      # -t bounds the time, -n (large) keeps ab from stopping at its default 50,000 requests;
      # -g writes every request's time, from which the percentiles are computed (ab prints no p999).
      rm -f "$TMP/ab.tsv"
      timeout $((SECS + 30)) ip netns exec "$ns" ab -q -r -s 5 -t "$SECS" -n 100000000 -c "$c" "${k[@]}" \
        -g "$TMP/ab.tsv" "$url" >"$out" 2>&1
      local rps fails
      rps=$(awk '/^Requests per second:/ { print $4 }' "$out")
      [ -n "$rps" ] || { echo "bench_http: ab -c $c ${k[*]} on $ns reported no rate:" >&2; tail -3 "$out" >&2; }
      fails=$(awk '/^Failed requests:/ { f = $3 } /^Non-2xx responses:/ { n = $3 } END { print f + n }' "$out")
      if [ -s "$TMP/ab.tsv" ]; then
        # column 5: ttime (ms) of each request
        tail -n +2 "$TMP/ab.tsv" | cut -f5 | sort -n | awk -v r="${rps:-0}" -v f="$fails" '{ v[NR] = $1 }
          END { if (NR == 0) { print r + 0, 0, 0, 0, f; exit }
                i50 = int(NR * 0.50); i99 = int(NR * 0.99); i999 = int(NR * 0.999)
                if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; if (i999 < 1) i999 = 1
                printf "%.0f %d %d %d %d\n", r, v[i50] * 1000, v[i99] * 1000, v[i999] * 1000, f }'
      else
        echo "0 0 0 0 ${fails:-0}"
      fi
      ;;
  esac
}

fmt_us() { awk -v u="$1" 'BEGIN { if (u >= 10000) printf "%.0fms", u / 1000; else if (u >= 1000) printf "%.1fms", u / 1000; else printf "%dus", u }'; }

echo "HTTP GET of a $BYTES-byte file, ${SECS} s per run; synack serve over TAP vs nginx $($NGINX -v 2>&1 | sed 's/.*\///')" \
  "($(nproc) workers, sendfile) over veth; clients: wrk -t2 (--timeout 5s), ab -s 5"
printf "%-10s %6s | %9s %8s %8s %8s %5s | %9s %8s %8s %8s %5s | %6s %s\n" tool conns "synack r/s" p50 p99 p999 err \
  "nginx r/s" p50 p99 p999 err ratio "p99 s/n"
LINES=()
for c in $CONNS; do
  for tool in $TOOLS; do
    s=$(run "$NS_T" http://198.18.0.2:8080/f.bin "$tool" "$c")
    n=$(run "$NS_A" http://198.19.0.2:8080/f.bin "$tool" "$c")
    read -r sr s50 s99 s999 se <<<"$s"
    read -r nr n50 n99 n999 ne <<<"$n"
    ratio=$(awk -v a="$sr" -v b="$nr" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    pr=$(awk -v a="$s99" -v b="$n99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf "%-10s %6d | %9d %8s %8s %8s %5d | %9d %8s %8s %8s %5d | %5sx %s\n" "$tool" "$c" "$sr" "$(fmt_us "$s50")" \
      "$(fmt_us "$s99")" "$(fmt_us "$s999")" "$se" "$nr" "$(fmt_us "$n50")" "$(fmt_us "$n99")" "$(fmt_us "$n999")" \
      "$ne" "$ratio" "$pr"
    LINES+=("http_${tool//-/_}_c$c $sr req/s baseline_nginx $nr req/s ratio $ratio p50_us $s50 p99_us $s99 p999_us $s999 errors $se nginx_p50_us $n50 nginx_p99_us $n99 nginx_p999_us $n999 nginx_errors $ne")
  done
done
printf '%s\n' "${LINES[@]}"
kill -0 "${PIDS[0]}" 2>/dev/null || { echo "bench_http: synack serve died" >&2; tail "$TMP/serve.log" >&2; exit 1; }
exit 0
