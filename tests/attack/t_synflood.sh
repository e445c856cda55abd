#!/usr/bin/env bash
# Attack 1: a SYN flood of >= 100,000 spoofed SYNs per second from 65,534 source addresses
# (198.19.0.0/16, behind the kernel as gateway) against `synack serve`, while curl downloads a
# 20 MB file and opens short connections. Asserts: the download completes with the right SHA-256;
# every short connection is served (nothing legitimate refused); SYN cookies were sent and
# validated; the half-open entries never exceed the SYN backlog and the memory held stays under
# its bound. Prints the offered rate, the rate synack processed, and the memory figures.
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require curl sha256sum
net_setup

SECS=${SYNACK_FLOOD_SECS:-8}
RATE=${SYNACK_FLOOD_RATE:-150000}
HALFOPEN_BYTES=512     # bound per half-open entry (128-byte entry + allocator rounding + SYN data slot)
download_file
echo "small" >"$NET_TMP/index.html"
net_serve 8080 --http "$NET_TMP" --stats --quiet --gw "$KADDR4"
# The SYN queue of the listener: serve makes it as long as its accept queue (4,096 by default, as
# Linux's listen backlog bounds its request queue), printed on its limits line.
BACKLOG=$(sed -n 's/.* syn-backlog \([0-9]*\).*/\1/p' "$NET_TMP/serve.log" | head -1)
[ -n "$BACKLOG" ] || fail "serve printed no syn-backlog"
net_wait 10 net_in ping -c 1 -W 1 "$SADDR4" || fail "synack does not answer ping"
attack_stats base
mem0=$(stat_memory_live base)

net_bg "$NET_TMP/flood.log" "$ATTACK_TOOL" syn --if "$TAP" --dmac "$SYNACK_MAC" --dst "$SADDR4" --dport 8080 \
  --rate "$RATE" --secs "$SECS"
FLOOD_PID=$NET_LAST_PID
sleep 1
# The download, paced so that it lasts through the flood.
download_start 4M
max_half=0
max_mem=0
over=
short_ok=0
short_fail=0
t_end=$((SECONDS + SECS - 1))
i=0
while [ $SECONDS -lt $t_end ] && [ $i -lt 200 ]; do
  i=$((i + 1))
  if net_in curl -sS --max-time 5 -o /dev/null "http://$SADDR4:8080/index.html" 2>>"$NET_TMP/short.err"; then
    short_ok=$((short_ok + 1))
  else
    short_fail=$((short_fail + 1))
  fi
  attack_stats during
  h=$(stat_halfopen during)
  m=$(stat_memory_live during)
  c=$(stat_conns during)
  [ "${h:-0}" -gt $max_half ] && max_half=$h
  [ "${m:-0}" -gt $max_mem ] && max_mem=$m
  # Memory: the idle server, plus each full connection's rings (send and receive buffers, 256 KiB
  # each by default, and its control block), plus the SYN queue at its bound.
  bound=$((mem0 + c * (2 * 262144 + 65536) + BACKLOG * HALFOPEN_BYTES))
  [ "${m:-0}" -le $bound ] || over="$over $m>$bound($c conns)"
done
wait "$FLOOD_PID"
flood_rc=$?
cat "$NET_TMP/flood.log"
[ $flood_rc = 0 ] || fail "the flooder failed"
download_check "the flood"

attack_stats after
sent=$(awk '/^syn flood: offered/ { print $4 }' "$NET_TMP/flood.log")
rate=$(awk '/^syn flood: offered/ { print $9 }' "$NET_TMP/flood.log")
took=$(awk '/^syn flood: offered/ { print $14 }' "$NET_TMP/flood.log")
cookies=$(stat_counter after TCP_SYNCOOKIES_SENT)
cookies_ok=$(stat_counter after TCP_SYNCOOKIES_OK)
segs_in=$(stat_counter after TCP_SEGS_IN)
refused=$(stat_drop after TCP_SYN_QUEUE_FULL)
overflow=$(stat_counter after TCP_LISTEN_OVERFLOWS)
echo "figure: flood offered $sent SYNs at $rate SYN/s for ${SECS} s, the TAP queue took $took;" \
  "synack received $segs_in TCP segments ($((segs_in / SECS))/s)," \
  "sent $cookies SYN cookies, validated $cookies_ok"
echo "figure: half-open entries at most $max_half (SYN backlog $BACKLOG); memory (rings cache excluded) $mem0 B before, at most $max_mem B during"
echo "figure: short connections during the flood: $short_ok served, $short_fail failed"
[ "${rate:-0}" -ge 100000 ] || fail "the flooder reached only ${rate:-0} SYN/s (< 100,000)"
[ "$cookies" -gt 0 ] || fail "no SYN cookie was sent"
[ "$max_half" -le $BACKLOG ] || fail "half-open entries ($max_half) beyond the SYN backlog ($BACKLOG)"
[ -z "$over" ] || fail "memory under the flood beyond its bound:$over"
[ "$short_ok" -gt 0 ] && [ "$short_fail" = 0 ] || { cat "$NET_TMP/short.err"; fail "$short_fail legitimate connections failed"; }
[ "$refused" = 0 ] || fail "$refused SYNs dropped for a full SYN queue (cookies should answer them)"
[ "$overflow" = 0 ] || fail "$overflow final ACKs found the accept queue full"
echo "ok: cookies used, half-open bounded, nothing legitimate refused"
exit 0
