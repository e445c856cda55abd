#!/usr/bin/env bash
# Interop 4: connection lifecycles against the Linux kernel.
#   a. Linux closes first          b. synack closes first       c. both close at once
#   d. kernel → closed synack port: ECONNREFUSED (IPv4, IPv6)
#   e. synack → closed Linux port: ECONNREFUSED (IPv4, IPv6)
#   f. synack's linger-0 close: the kernel's recv fails with ECONNRESET
#   g. the driver drops synack's first SYN-ACK: the kernel's SYN retransmission completes it
#   h. the driver drops synack's first SYN: synack's own retransmission completes it
# States are checked on both sides: synack's trace and the kernel's `ss`.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require python3 ss
net_setup
PEER="python3 $SYNACK_SOURCE_DIR/tests/net/peer.py"

expect_log() { # FILE PATTERN WHAT
  grep -Eq -- "$2" "$1" || { echo "--- $1"; tail -40 "$1"; fail "$3 (no '$2')"; }
}
kernel_tw() { # number of kernel TIME-WAIT sockets towards synack port $1
  net_in ss -Htan state time-wait "( dport = :$1 )" | wc -l
}

# ---- a, d: echo server --------------------------------------------------------------------
net_serve 7 --echo --trace
out=$(net_in $PEER echo "$SADDR4" 7 100000)
[ "$out" = "echo ok 100000" ] || fail "a: echo: $out"
net_wait 5 grep -q "LAST-ACK -> CLOSED" "$NET_TMP/serve.log" || fail "a: synack never left LAST-ACK"
expect_log "$NET_TMP/serve.log" "ESTABLISHED -> CLOSE-WAIT" "a: synack did not see the kernel's FIN first"
[ "$(kernel_tw 7)" -ge 1 ] || fail "a: the kernel (which closed first) holds no TIME-WAIT"
echo "ok a: Linux closes first (synack CLOSE-WAIT -> LAST-ACK -> CLOSED, kernel TIME-WAIT)"
for host in "$SADDR4" "$SADDR6"; do
  out=$(net_in $PEER refused "$host" 9)
  [ "$out" = ECONNREFUSED ] || fail "d: kernel to closed synack port $host: $out"
done
echo "ok d: kernel -> closed synack port: ECONNREFUSED (IPv4, IPv6)"
net_stop "$SERVE_PID"

# ---- b: synack closes first (HTTP with Connection: close) ----------------------------------
echo "synack closes first" >"$NET_TMP/index.html"
net_serve 80 --http "$NET_TMP" --trace
out=$(net_in $PEER fetch-close "$SADDR4" 80 /index.html)
[ "$out" = "eof-first 20 HTTP/1.1 200 OK" ] || fail "b: $out"
net_wait 5 grep -q "TIME-WAIT" "$NET_TMP/serve.log" || fail "b: synack did not reach TIME-WAIT"
expect_log "$NET_TMP/serve.log" "ESTABLISHED -> FIN-WAIT-1" "b: synack did not close first"
[ "$(kernel_tw 80)" = 0 ] || fail "b: the kernel holds TIME-WAIT although synack closed first"
echo "ok b: synack closes first (FIN-WAIT-1 ... TIME-WAIT on synack, none on the kernel)"
net_stop "$SERVE_PID"

# ---- f: linger 0 -> RST -> ECONNRESET -------------------------------------------------------
net_serve 7 --echo --rst --trace
out=$(net_in $PEER reset "$SADDR4" 7)
[ "$out" = ECONNRESET ] || fail "f: kernel saw '$out' instead of ECONNRESET"
expect_log "$NET_TMP/serve.log" "out .* R" "f: no RST in synack's trace"
echo "ok f: linger-0 close -> kernel ECONNRESET"
net_stop "$SERVE_PID"

# ---- g: first SYN-ACK dropped ----------------------------------------------------------------
net_serve 7 --echo --stats --rule out:drop:SA:1
out=$(net_in $PEER handshake "$SADDR4" 7)
secs=${out#connected }
[ "${out%% *}" = connected ] || fail "g: $out"
awk -v s="$secs" 'BEGIN { exit !(s >= 0.8 && s < 10) }' || fail "g: handshake took $secs s (expected the kernel's ~1 s SYN retransmission)"
net_stop "$SERVE_PID"
expect_log "$NET_TMP/serve.log" "impair out .* rule-dropped 1 " "g: the SYN-ACK was not dropped"
echo "ok g: first SYN-ACK dropped, kernel SYN retransmission completed the handshake in $secs s"

# ---- e, h, c: synack as the client ---------------------------------------------------------
for host in "$KADDR4" "$KADDR6"; do
  if net_synack connect "$host" 9 </dev/null 2>"$NET_TMP/e.log"; then fail "e: connect to closed port succeeded"; fi
  expect_log "$NET_TMP/e.log" ECONNREFUSED "e: synack -> closed Linux port $host"
done
echo "ok e: synack -> closed Linux port: ECONNREFUSED (IPv4, IPv6)"

net_bg "$NET_TMP/peer-h.log" $PEER serve-echo 5000
PEER_PID=$NET_LAST_PID
net_wait 10 grep -q listening "$NET_TMP/peer-h.log" || fail "h: peer server did not start"
t0=$(date +%s%N)
out=$(printf 'through a dropped SYN\n' | net_synack connect --stats --rule 'out:drop:S!A:1' "$KADDR4" 5000 2>"$NET_TMP/h.log")
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$out" = "through a dropped SYN" ] || { cat "$NET_TMP/h.log"; fail "h: echoed '$out'"; }
expect_log "$NET_TMP/h.log" "impair out .* rule-dropped 1 " "h: the SYN was not dropped"
[ "$ms" -ge 900 ] || fail "h: finished in $ms ms, before synack's SYN retransmission could have happened"
net_wait 5 grep -q "served 22" "$NET_TMP/peer-h.log" || fail "h: peer: $(cat "$NET_TMP/peer-h.log")"
echo "ok h: first SYN dropped, synack's retransmission completed the connection ($ms ms)"

# c: both close at once. The kernel closes right after accept; synack half-closes at once too,
# but the driver holds its FIN for 300 ms, so each FIN leaves before the other arrives.
net_bg "$NET_TMP/peer-c.log" $PEER serve-close 5001 0
net_wait 10 grep -q listening "$NET_TMP/peer-c.log" || fail "c: peer server did not start"
net_synack connect --trace --rule 'out:delay:F:1:1:300' "$KADDR4" 5001 </dev/null >/dev/null 2>"$NET_TMP/c.log" ||
  { tail -30 "$NET_TMP/c.log"; fail "c: connect"; }
expect_log "$NET_TMP/c.log" "FIN-WAIT-1 -> CLOSING" "c: synack did not see a simultaneous close"
expect_log "$NET_TMP/c.log" "CLOSING -> TIME-WAIT" "c: synack did not go from CLOSING to TIME-WAIT"
net_wait 3 sh -c "ip netns exec $NET_NS ss -Htan state time-wait '( sport = :5001 )' | grep -q ." ||
  fail "c: the kernel did not reach TIME-WAIT"
echo "ok c: simultaneous close (synack FIN-WAIT-1 -> CLOSING -> TIME-WAIT, kernel TIME-WAIT)"
exit 0
