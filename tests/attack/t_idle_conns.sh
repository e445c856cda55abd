#!/usr/bin/env bash
# Attack 5: many idle connections from the kernel side (SYNACK_IDLE_CONNS, default 10,000 in
# make check; `make attack` runs 100,000). synack serve (--echo, socket table sized for them, no
# idle timeout) accepts them all; each connection exchanges one small request and its echo, then
# stays idle. The memory per idle connection that has moved data is measured twice and printed:
# the stack's own count and the process's RSS delta; both must stay within 4 KiB (issue 14 §4:
# buffers follow the data, so an idle connection holds its control block and hash entry only).
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require python3
net_setup

N=${SYNACK_IDLE_CONNS:-10000}
PER_CONN_MAX=${SYNACK_IDLE_BYTES_MAX:-4096}
# Sources: one kernel address per 25,000 connections (the client picks ports per 4-tuple with
# IP_BIND_ADDRESS_NO_PORT; one source address to one server port gives at most 51,000).
srcs=$KADDR4
for i in $(seq 1 $(((N - 1) / 25000))); do
  ip -n "$NET_NS" addr add "198.18.0.$((10 + i))/24" dev "$TAP"
  srcs="$srcs,198.18.0.$((10 + i))"
done
net_in sysctl -qw net.ipv4.ip_local_port_range="10000 60999"
# --idle-timeout 0: serve's default (60 s) would close them while the last ones connect.
net_serve 8080 --echo --stats --quiet --max-conns $((N + 64)) --idle-timeout 0
rss() { awk '$1 == "VmRSS:" { print $2 * 1024 }' "/proc/$SERVE_PID/status"; }
attack_stats base
mem0=$(stat_memory_live base)
rss0=$(rss)
# One client process per 15,000 connections: the descriptor limit (here a hard 20,000 that root
# in this container may not raise) bounds each.
PROCS=$(((N + 14999) / 15000))
for p in $(seq 1 "$PROCS"); do
  net_bg "$NET_TMP/idle.$p.log" python3 "$SYNACK_SOURCE_DIR/tests/attack/idle_conns.py" $(((N + PROCS - 1) / PROCS)) \
    "$SADDR4" 8080 "$srcs" "$NET_TMP/ready.$p"
done
all_ready() { [ "$(cat "$NET_TMP"/ready.* 2>/dev/null | wc -l)" = "$PROCS" ]; }
net_wait $((70 + N / 100)) all_ready || { cat "$NET_TMP"/idle.*.log; fail "the clients did not finish connecting"; }
cat "$NET_TMP"/ready.*
established=$(cat "$NET_TMP"/ready.* | awk '{ e += $2 } END { print e }')
# Let synack accept the last ones, then measure.
conns=0
for _ in $(seq 1 50); do
  attack_stats idle
  conns=$(stat_conns idle)
  [ "$conns" -ge "$established" ] && break
  sleep 0.2
done
mem=$(stat_memory_live idle)
rss1=$(rss)
per=$(((mem - mem0) / (conns > 0 ? conns : 1)))
rss_per=$(((rss1 - rss0) / (conns > 0 ? conns : 1)))
echo "figure: $conns idle connections (each echoed one request) in synack's table; stack memory" \
  "$mem0 B before, $mem B with them: $per B per connection (socket table and event queue sized" \
  "for $((N + 64)) included); RSS $((rss0 / 1024)) KiB before, $((rss1 / 1024)) KiB with them:" \
  "$rss_per B per connection"
[ "$established" -ge $((N * 99 / 100)) ] || fail "only $established of $N connections established"
[ "$conns" -ge "$established" ] || fail "synack holds $conns connections, the kernel $established"
[ "$per" -le "$PER_CONN_MAX" ] || fail "$per B per idle connection (bound $PER_CONN_MAX B)"
# RSS means something only without AddressSanitizer (its redzones and its quarantine of freed
# memory, 256 MiB by default, are in it): 11 KiB per connection under make check-gcc.
if grep -qa __asan_init "$SYNACK_CLI"; then
  echo "note: synack built with AddressSanitizer: the RSS figure is printed, not asserted"
else
  [ "$rss_per" -le "$PER_CONN_MAX" ] || fail "RSS grew $rss_per B per idle connection (bound $PER_CONN_MAX B)"
fi
echo "ok: $conns idle connections, $per B each in the stack, $rss_per B each in RSS"
exit 0
