#!/usr/bin/env bash
# Unmodified programs on synack through libsynack-preload.so (docs/preload.md), against the kernel
# and against `synack serve`, every file SHA-256 checked:
#   1. the socket API as Python sees it (tests/net/preload_api.py): errno values, poll/select/epoll
#      mixing kernel and synack descriptors, EPOLLET, UDP, IPv6, listen/accept
#   2. curl on synack downloads from python's http.server on the kernel, IPv4 and IPv6
#   3. curl on synack downloads from `synack serve --http` (a second TAP on a bridge), IPv4 and IPv6
#   4. python3 -m http.server on synack, bound to :: (dual stack), serves the kernel's curl over
#      IPv4 (v4-mapped) and IPv6
#   5. nginx on synack (epoll, edge-triggered, sendfile) serves the kernel's curl, then wrk:
#      thousands of requests with no socket error and no non-2xx answer
# The preloaded programs use TAP sk0 (198.18.0.2, fd00::2); `synack serve` uses sk1 (198.18.0.3,
# fd00::3); the kernel is 198.18.0.1 / fd00::1 on the bridge joining them. Only one process can
# attach a TAP, so the preloaded programs take turns.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require curl python3 sha256sum
PRELOAD=${SYNACK_PRELOAD:-}
[ -n "$PRELOAD" ] && [ -f "$PRELOAD" ] || net_skip "libsynack-preload.so was not built (SYNACK_PRELOAD='$PRELOAD')"
net_setup

# The bridge: the kernel's addresses move from sk0 to br0; sk0 and sk1 become its ports.
net_setup_bridge

# on_synack CMD...: runs CMD in the namespace with the library preloaded on sk0.
on_synack() {
  net_in env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" SYNACK_ADDR6="$SADDR6/64" "$@"
}

mkdir -p "$NET_TMP/www"
head -c 8000000 /dev/urandom >"$NET_TMP/www/big.bin"
echo "hello from the page" >"$NET_TMP/www/index.html"
want=$(sha256sum <"$NET_TMP/www/big.bin" | cut -d' ' -f1)
check_sum() { # FILE WHAT
  local got
  got=$(sha256sum <"$1" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "SHA-256 mismatch for $2: $got != $want"
  echo "ok: $2 sha256 $got"
  rm -f "$1"
}

# 1. The API checks against a kernel peer.
net_bg "$NET_TMP/peer.log" python3 "$SYNACK_SOURCE_DIR/tests/net/preload_api.py" peer
net_wait 10 grep -q "peer ready" "$NET_TMP/peer.log" || fail "the kernel peer did not start"
net_in timeout 120 env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" SYNACK_ADDR6="$SADDR6/64" \
  python3 "$SYNACK_SOURCE_DIR/tests/net/preload_api.py" check "$KADDR4" "$KADDR6" "$SADDR4" ||
  { cat "$NET_TMP/peer.log"; fail "API checks"; }
# The calls Python cannot make (sendmmsg/recvmmsg, epoll_pwait2, splice, sendfile, accept4's
# flags), from C. Built without sanitizers: the sanitizer runtimes must come first in a process,
# before the preloaded library.
"${CC:-cc}" -std=gnu11 -O1 -Wall -Wextra -Werror -pthread -o "$NET_TMP/preload_calls" \
  "$SYNACK_SOURCE_DIR/tests/net/preload_calls.c" || fail "cannot build preload_calls.c"
on_synack timeout 120 "$NET_TMP/preload_calls" "$KADDR4" "$SADDR4" > "$NET_TMP/calls.log" 2>&1
rc=$?
cat "$NET_TMP/calls.log"
[ $rc = 0 ] && grep -q "all calls checked" "$NET_TMP/calls.log" || { cat "$NET_TMP/peer.log"; fail "preload_calls (exit $rc)"; }

# 2. curl on synack, python's http.server on the kernel.
net_bg "$NET_TMP/kpy.log" python3 -m http.server --bind :: 8000 --directory "$NET_TMP/www"
net_wait 10 grep -q "Serving HTTP" "$NET_TMP/kpy.log" || fail "python http.server (kernel) did not start"
for url in "http://$KADDR4:8000/big.bin" "http://[$KADDR6]:8000/big.bin"; do
  net_in timeout 90 env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" SYNACK_ADDR6="$SADDR6/64" \
    curl -sS --max-time 60 -o "$NET_TMP/out.bin" "$url" || fail "curl on synack: $url"
  check_sum "$NET_TMP/out.bin" "curl on synack <- kernel $url"
done
# The server saw synack's addresses, not the kernel's own.
grep -Eq "^(::ffff:)?$SADDR4 " "$NET_TMP/kpy.log" || { cat "$NET_TMP/kpy.log"; fail "no request from $SADDR4 in the server log"; }
grep -q "^$SADDR6 " "$NET_TMP/kpy.log" || { cat "$NET_TMP/kpy.log"; fail "no request from $SADDR6 in the server log"; }

# 3. curl on synack, `synack serve` on sk1.
net_bg "$NET_TMP/serve.log" "$SYNACK_CLI" serve --tap sk1 --mac 02:53:4b:00:00:02 --addr "$SADDR4B/24" \
  --addr6 "$SADDR6B/64" 8080 --http "$NET_TMP/www"
net_wait 10 grep -q "listening on port" "$NET_TMP/serve.log" || { cat "$NET_TMP/serve.log"; fail "synack serve did not start"; }
for url in "http://$SADDR4B:8080/big.bin" "http://[$SADDR6B]:8080/big.bin"; do
  net_in timeout 90 env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" SYNACK_ADDR6="$SADDR6/64" \
    curl -sS --max-time 60 -o "$NET_TMP/out.bin" "$url" || fail "curl on synack: $url"
  check_sum "$NET_TMP/out.bin" "curl on synack <- synack serve $url"
done

# 4. python's http.server on synack, dual stack, the kernel's curl.
net_bg "$NET_TMP/spy.log" env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" SYNACK_ADDR6="$SADDR6/64" \
  python3 -m http.server --bind :: 8001 --directory "$NET_TMP/www"
SPY_PID=$NET_LAST_PID
net_wait 10 grep -q "Serving HTTP" "$NET_TMP/spy.log" || { cat "$NET_TMP/spy.log"; fail "python http.server on synack did not start"; }
for url in "http://$SADDR4:8001/big.bin" "http://[$SADDR6]:8001/big.bin"; do
  net_in curl -sS --max-time 60 --retry 3 --retry-connrefused -o "$NET_TMP/out.bin" "$url" || fail "kernel curl: $url"
  check_sum "$NET_TMP/out.bin" "kernel curl <- python on synack $url"
done
# The v4 request arrived on the IPv6 listener as a v4-mapped address.
grep -q "^::ffff:$KADDR4 " "$NET_TMP/spy.log" || { cat "$NET_TMP/spy.log"; fail "no v4-mapped client in the log"; }
net_stop "$SPY_PID"

# 5. nginx on synack in one process (master_process off: the path without fork; t_preload_nginx.sh
# runs nginx's default master and workers), epoll, sendfile.
if command -v nginx >/dev/null; then
  mkdir -p "$NET_TMP/nginx"
  cat >"$NET_TMP/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $NET_TMP/nginx/error.log info;
pid $NET_TMP/nginx/nginx.pid;
events { use epoll; worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $NET_TMP/nginx/body;
  proxy_temp_path $NET_TMP/nginx/proxy;
  fastcgi_temp_path $NET_TMP/nginx/fastcgi;
  uwsgi_temp_path $NET_TMP/nginx/uwsgi;
  scgi_temp_path $NET_TMP/nginx/scgi;
  sendfile on;
  tcp_nopush on;
  server { listen $SADDR4:8080; listen [$SADDR6]:8080; root $NET_TMP/www; }
}
CONF
  net_bg "$NET_TMP/nginx.log" env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" \
    SYNACK_ADDR6="$SADDR6/64" nginx -c "$NET_TMP/nginx/nginx.conf" -p "$NET_TMP/nginx"
  NGINX_PID=$NET_LAST_PID
  for url in "http://$SADDR4:8080/big.bin" "http://[$SADDR6]:8080/big.bin"; do
    net_in curl -sS --max-time 60 --retry 5 --retry-connrefused -o "$NET_TMP/out.bin" "$url" ||
      { cat "$NET_TMP/nginx.log" "$NET_TMP/nginx/error.log"; fail "kernel curl: $url"; }
    check_sum "$NET_TMP/out.bin" "kernel curl <- nginx on synack $url"
  done
  if command -v wrk >/dev/null; then
    net_in timeout 30 wrk -t2 -c64 -d4s --timeout 5s "http://$SADDR4:8080/index.html" >"$NET_TMP/wrk.log" 2>&1 ||
      { cat "$NET_TMP/wrk.log"; fail "wrk"; }
    cat "$NET_TMP/wrk.log"
    reqs=$(awk '/requests in/ { print $1 }' "$NET_TMP/wrk.log")
    [ -n "$reqs" ] && [ "$reqs" -ge 2000 ] || fail "wrk completed only '${reqs:-0}' requests against nginx on synack"
    grep -q "Socket errors" "$NET_TMP/wrk.log" && fail "wrk reported socket errors"
    grep -q "Non-2xx" "$NET_TMP/wrk.log" && fail "wrk got non-2xx responses"
    echo "ok: wrk: $reqs requests against nginx on synack, 0 errors"
  else
    echo "note: wrk is missing, nginx load not measured"
  fi
  kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx on synack died"
  net_stop "$NGINX_PID"
  grep -E "\[(alert|crit|emerg)\]" "$NET_TMP/nginx/error.log" && fail "nginx logged alerts"
else
  echo "note: nginx is missing (tools/install-deps.sh installs it), step 5 skipped"
fi
exit 0
