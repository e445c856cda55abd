#!/usr/bin/env bash
# nginx with its default process model on synack through libsynack-preload.so (docs/preload.md,
# "fork"): a master process that opens the listening sockets and forks its workers, sendfile on.
# For each configuration the kernel's curl downloads an 8 MB file over IPv4 and IPv6 (SHA-256
# checked), a range of it, then wrk loads a small page: no socket error, no non-2xx answer, the
# access log's worker pids are nginx's workers; the master stops gracefully on SIGQUIT (workers
# exit, the master exits, no alert in the error log). The configurations:
#   default-1, default-2  nginx's defaults (daemon on: the process that opens the sockets forks
#                         the master and exits, so the stack's loop moves to another process;
#                         master_process on; accept_mutex off; sendfile on) with 1 and 2 workers
#   accept-mutex          2 workers, accept_mutex on, daemon off (the master is the stack's creator)
#   reuseport             2 workers, `listen ... reuseport` (a listener per worker), daemon off
#   master-killed         the reuseport configuration again; SIGKILL to the master, which runs the
#                         stack's loop: the workers still serve (one of them takes the loop over)
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require curl sha256sum nginx
PRELOAD=${SYNACK_PRELOAD:-}
[ -n "$PRELOAD" ] && [ -f "$PRELOAD" ] || net_skip "libsynack-preload.so was not built (SYNACK_PRELOAD='$PRELOAD')"
net_setup

# The workers run as nginx's default user (nobody): they must reach the files.
chmod 755 "$NET_TMP"
mkdir -p "$NET_TMP/www"
head -c 8000000 /dev/urandom >"$NET_TMP/www/big.bin"
echo "hello from the page" >"$NET_TMP/www/index.html"
want=$(sha256sum <"$NET_TMP/www/big.bin" | cut -d' ' -f1)
want_range=$(tail -c +1000001 "$NET_TMP/www/big.bin" | head -c 3000000 | sha256sum | cut -d' ' -f1)

# A process that runs (not a zombie: a daemonized master is nobody's child here, and whoever
# adopts it may reap it late).
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }

run_nginx() { # NAME DAEMON WORKERS EVENTS_EXTRA LISTEN_EXTRA [WORKERS_THAT_MUST_SERVE]
  local name=$1 daemon=$2 workers=$3 events=$4 lextra=$5 busy=${6:-} dir="$NET_TMP/nginx-$1"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
daemon $daemon;
worker_processes $workers;
error_log $dir/error.log info;
pid $dir/nginx.pid;
events { worker_connections 512; $events }
http {
  log_format p '\$pid \$status \$body_bytes_sent';
  access_log $dir/access.log p;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  sendfile on;
  server { listen $SADDR4:8080 $lextra; listen [$SADDR6]:8080 $lextra; root $NET_TMP/www; }
}
CONF
  net_bg "$dir/out.log" env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" \
    SYNACK_ADDR6="$SADDR6/64" nginx -c "$dir/nginx.conf" -p "$dir"
  local master=$NET_LAST_PID
  net_wait 10 test -s "$dir/nginx.pid" || { cat "$dir/out.log" "$dir/error.log"; fail "$name: nginx did not start"; }
  if [ "$daemon" = on ]; then
    # The started process has forked the master and exited; the master is the teardown's too.
    master=$(cat "$dir/nginx.pid")
    NET_PIDS+=("$master")
    local i
    for i in $(seq 1 100); do alive "$NET_LAST_PID" || break; sleep 0.1; done
    alive "$NET_LAST_PID" && fail "$name: the daemonizing process did not exit"
  fi
  # Its workers: children of the master.
  local n
  net_wait 10 sh -c "[ \$(pgrep -c -P $master) -ge $workers ]" || fail "$name: $workers workers did not start"
  local wpids
  wpids=$(pgrep -P "$master" | sort | tr '\n' ' ')
  n=$(echo $wpids | wc -w)
  [ "$n" = "$workers" ] || fail "$name: $n worker processes, want $workers"
  local url got i
  for url in "http://$SADDR4:8080/big.bin" "http://[$SADDR6]:8080/big.bin"; do
    net_in curl -fsS --max-time 60 --retry 5 --retry-connrefused -o "$NET_TMP/out.bin" "$url" ||
      { cat "$dir/out.log" "$dir/error.log"; fail "$name: kernel curl $url"; }
    got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "$name: SHA-256 mismatch for $url: $got != $want"
    echo "ok: $name: kernel curl <- nginx on synack $url sha256 $got"
  done
  # A range: sendfile from an offset inside the file.
  net_in curl -fsS --max-time 60 -r 1000000-3999999 -o "$NET_TMP/out.bin" "http://$SADDR4:8080/big.bin" ||
    fail "$name: range request"
  got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
  [ "$got" = "$want_range" ] || fail "$name: SHA-256 mismatch for the range: $got != $want_range"
  echo "ok: $name: bytes 1000000-3999999 sha256 $got"
  if command -v wrk >/dev/null; then
    net_in timeout 30 wrk -t2 -c64 -d3s --timeout 5s "http://$SADDR4:8080/index.html" >"$dir/wrk.log" 2>&1 ||
      { cat "$dir/wrk.log"; fail "$name: wrk"; }
    local reqs
    reqs=$(awk '/requests in/ { print $1 }' "$dir/wrk.log")
    grep -E "Requests/sec" "$dir/wrk.log"
    [ -n "$reqs" ] && [ "$reqs" -ge 1000 ] || { cat "$dir/wrk.log"; fail "$name: wrk completed only '${reqs:-0}' requests"; }
    grep -q "Socket errors" "$dir/wrk.log" && { cat "$dir/wrk.log"; fail "$name: wrk reported socket errors"; }
    grep -q "Non-2xx" "$dir/wrk.log" && { cat "$dir/wrk.log"; fail "$name: wrk got non-2xx responses"; }
    echo "ok: $name: wrk: $reqs requests, 0 errors"
  else
    echo "note: wrk is missing, $name not loaded"
  fi
  # Which workers answered: every pid in the access log is one of the master's workers.
  local p served=""
  for p in $(awk '{ print $1 }' "$dir/access.log" | sort -u); do
    case " $wpids" in *" $p "*) served="$served $p" ;; *) fail "$name: pid $p in the access log is no worker ($wpids)" ;; esac
  done
  awk '$2 != 200 && $2 != 206 { bad = 1 } END { exit bad }' "$dir/access.log" || fail "$name: a status other than 200/206 logged"
  echo "ok: $name: requests served by worker(s)$served of$(printf ' %s' $wpids); per worker: $(awk '{ c[$1]++ } END { for (p in c) printf "%s=%d ", p, c[p] }' "$dir/access.log")"
  [ -n "$busy" ] && [ "$(echo $served | wc -w)" -lt "$busy" ] && fail "$name: only$served served, want $busy workers busy"
  # Graceful stop: SIGQUIT to the master; the workers and the master exit within 10 s.
  kill -QUIT "$master"
  for i in $(seq 1 100); do alive "$master" || break; sleep 0.1; done
  alive "$master" && fail "$name: the master did not exit on SIGQUIT"
  for p in $wpids; do alive "$p" && fail "$name: worker $p outlived the master"; done
  grep -E "\[(alert|crit|emerg)\]" "$dir/error.log" && fail "$name: nginx logged alerts"
  echo "ok: $name: stopped gracefully, no alert"
}

run_nginx default-1 on 1 "" ""
run_nginx default-2 on 2 "" ""
run_nginx accept-mutex off 2 "accept_mutex on; accept_mutex_delay 20ms;" ""
# reuseport: one listening socket per worker, the stack spreads the connections by their hash.
run_nginx reuseport off 2 "" "reuseport" 2

# The process running the stack's loop killed (SIGKILL, no atexit): nginx's workers go on serving
# without their master, so within a few seconds a worker finds the loop's process gone (its wake
# socket refuses), takes the loop over, and the kernel's curl downloads again.
dir="$NET_TMP/nginx-reuseport"
rm -f "$dir/nginx.pid" "$dir/access.log" "$dir/error.log"
net_bg "$dir/out.log" env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" \
  SYNACK_ADDR6="$SADDR6/64" nginx -c "$dir/nginx.conf" -p "$dir"
master=$NET_LAST_PID
net_wait 10 sh -c "[ \$(pgrep -c -P $master) -ge 2 ]" || fail "master-killed: the workers did not start"
wpids=$(pgrep -P "$master" | tr '\n' ' ')
for p in $wpids; do NET_PIDS+=("$p"); done
net_in curl -fsS --max-time 20 --retry 5 --retry-connrefused -o /dev/null "http://$SADDR4:8080/index.html" ||
  fail "master-killed: no answer before the kill"
kill -KILL "$master"
net_in curl -fsS --max-time 20 --retry 5 --retry-delay 1 -o "$NET_TMP/out.bin" "http://$SADDR4:8080/big.bin" ||
  fail "master-killed: the workers did not answer after their master was killed"
got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "master-killed: SHA-256 mismatch: $got != $want"
echo "ok: master-killed: the loop's process killed, a worker took the loop over: big.bin sha256 $got"
for p in $wpids; do kill -TERM "$p" 2>/dev/null; done
exit 0
