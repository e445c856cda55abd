#!/usr/bin/env bash
# Interop 5: wrk from the Linux side, 10,000 requests over 100 concurrent keep-alive connections
# against `synack serve --http`: zero socket errors, only 2xx answers, and afterwards synack's
# connection table holds nothing but its listeners and TIME-WAIT entries. Also: serve raised the
# TAP's queue to two frames per table slot (a request and an ACK from every connection fit
# while it is busy: docs/tap.md), and every response came from its small-file cache, loaded once
# and checked again at most once a second (tools/apps/app_filecache.h). Run twice: the loop
# writing to the TAP itself, and with --writer-thread (src/drivers/tap/writer.c: the same
# frames, in order, written by a second thread, its figures in the driver line). The limits
# line shows the server's SYN queue and orphan bound.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require wrk curl tcpdump
net_setup

head -c 1024 /dev/urandom | base64 >"$NET_TMP/index.html"
# Each of the 2 threads stops after its 5,000th response: 10,000 in all. wrk's main thread sleeps
# for the whole -d, so once synack has answered them all, SIGINT makes wrk report at once.
cat >"$NET_TMP/count.lua" <<'LUA'
local done_count = 0
function response(status, headers, body)
  done_count = done_count + 1
  if done_count >= 5000 then wrk.thread:stop() end
end
LUA

one_run() {
  : >"$NET_TMP/serve.log"
  net_serve 8080 --http "$NET_TMP" --quiet --stats --max-conns 3000 "$@"
  local qlen
  qlen=$(ip -n "$NET_NS" -o link show "$TAP" | sed -n 's/.* qlen \([0-9]*\).*/\1/p')
  [ "$qlen" = 6000 ] || fail "the TAP's queue is '$qlen' frames, not 2 x --max-conns = 6000"
  grep -q "tap queue 6000 frames" "$NET_TMP/serve.log" || fail "serve did not print its TAP queue"
  # Server limits (docs/tap.md): the SYN queue as long as the accept queue (4,096 capped to the
  # table), orphans up to the table.
  grep -q "backlog 3000, syn-backlog 3000 then SYN cookies, max-orphans 3000," "$NET_TMP/serve.log" ||
    fail "serve's limits: $(grep limits: "$NET_TMP/serve.log")"
  net_bg "$NET_TMP/wrk.log" wrk -t2 -c100 -d120s --timeout 10s -s "$NET_TMP/count.lua" "http://$SADDR4:8080/index.html"
  WRK_PID=$NET_LAST_PID
  served=0
  for _ in $(seq 1 600); do
    sleep 0.2
    kill -0 "$WRK_PID" 2>/dev/null || break
    kill -USR1 "$SERVE_PID"
    served=$(grep "serve-stats:" "$NET_TMP/serve.log" | tail -1 | awk '{ print $5 }')
    [ "${served:-0}" -ge 10000 ] && break
  done
  sleep 0.3
  kill -INT "$WRK_PID" 2>/dev/null
  net_wait 10 sh -c "! kill -0 $WRK_PID 2>/dev/null" || fail "wrk did not stop"
  wait "$WRK_PID" 2>/dev/null
  cat "$NET_TMP/wrk.log"
  reqs=$(awk '/requests in/ { print $1 }' "$NET_TMP/wrk.log")
  [ -n "$reqs" ] && [ "$reqs" -ge 10000 ] || fail "wrk completed only '${reqs:-0}' requests"
  grep -q "Socket errors" "$NET_TMP/wrk.log" && fail "wrk reported socket errors"
  grep -q "Non-2xx" "$NET_TMP/wrk.log" && fail "wrk got non-2xx responses"
  echo "ok: $reqs requests, 0 errors"

  # The connection table, dumped on SIGUSR1: wait (bounded) until only listeners and TIME-WAIT remain.
  ok=0
  for _ in $(seq 1 50); do
    kill -USR1 "$SERVE_PID"
    sleep 0.2
    last=$(grep "conn-table:" "$NET_TMP/serve.log" | tail -1)
    case "$last" in *" other 0") ok=1; break ;; esac
  done
  echo "$last"
  [ "$ok" = 1 ] || { tail -30 "$NET_TMP/serve.log"; fail "connections left in synack's table: $last"; }
  echo "ok: connection table empty but for listeners and TIME-WAIT"
  grep "file-cache:" "$NET_TMP/serve.log" | tail -1
  read -r hits checks loads < <(grep "file-cache:" "$NET_TMP/serve.log" | tail -1 | awk '{ print $3, $5, $7 }')
  served=$(grep "serve-stats:" "$NET_TMP/serve.log" | tail -1 | awk '{ print $5 }')
  [ "$loads" = 1 ] || fail "index.html loaded $loads times, not once"
  [ $((hits + checks + loads)) = "$served" ] || fail "file cache: $hits + $checks + $loads != $served requests"
  [ "$hits" -ge $((served - 600)) ] || fail "only $hits of $served requests answered from memory"
  echo "ok: $hits of $served responses from the file cache, $checks checks, 1 load"
  net_stop "$SERVE_PID"
  # Every frame the stack emitted was written (the writer thread's figures are the driver's).
  local drv out
  drv=$(grep "driver:" "$NET_TMP/serve.log" | tail -1)
  echo "$drv"
  out=$(echo "$drv" | sed -n 's/.* out \([0-9]*\) .*/\1/p')
  [ "${out:-0}" -ge "$served" ] || fail "the driver wrote ${out:-0} frames for $served responses"
  echo "$drv" | grep -q "write errors 0 " || fail "write errors: $drv"
}

one_run
echo "== with --writer-thread"
one_run --writer-thread

# A request on a connection of its own, answered in one segment, costs serve three frames:
# SYN-ACK, the response carrying the FIN, the ACK of the client's FIN (docs/tap.md; before: a
# bare ACK or window update ahead of the response, and a bare FIN after it).
echo "== Connection: close, captured"
: >"$NET_TMP/serve.log"
net_serve 8080 --http "$NET_TMP" --quiet --pcap "$NET_TMP/close.pcap"
echo "one segment" >"$NET_TMP/small.txt"
net_in curl -sS -o /dev/null -H "Connection: close" "http://$SADDR4:8080/small.txt" || fail "curl failed"
sleep 0.5
net_stop "$SERVE_PID"
tcpdump -nr "$NET_TMP/close.pcap" "tcp and src host $SADDR4" 2>/dev/null | tee "$NET_TMP/close.txt"
flags=$(sed -n 's/.*Flags \[\([^]]*\)\].*/\1/p' "$NET_TMP/close.txt" | tr '\n' ' ')
[ "$flags" = "S. FP. . " ] || fail "serve's frames for one Connection: close request: '$flags', not 'S. FP. . '"
echo "ok: SYN-ACK, response+FIN, ACK"
exit 0
