#!/usr/bin/env bash
# Attack 5: many idle connections from the kernel side (SYNACK_IDLE_CONNS, default 3,000 in
# make check; `make attack` runs 100,000). synack serve (--discard, socket table sized for them)
# accepts them all; the memory the stack holds per idle connection is measured and printed, and
# must stay under a TCB's bound (rings are allocated on first use, so an idle connection holds
# its control block and its hash entry only).
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require python3
net_setup

N=${SYNACK_IDLE_CONNS:-3000}
PER_CONN_MAX=${SYNACK_IDLE_BYTES_MAX:-4096}
# Sources: one kernel address per 25,000 connections, the widest ephemeral range.
srcs=$KADDR4
for i in $(seq 1 $(((N - 1) / 25000))); do
  ip -n "$NET_NS" addr add "198.18.0.$((10 + i))/24" dev "$TAP"
  srcs="$srcs,198.18.0.$((10 + i))"
done
net_in sysctl -qw net.ipv4.ip_local_port_range="10000 60999"
net_serve 8080 --discard --stats --quiet --max-conns $((N + 64))
attack_stats base
mem0=$(stat_memory_live base)
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
per=$(((mem - mem0) / (conns > 0 ? conns : 1)))
echo "figure: $conns idle connections in synack's table; memory $mem0 B before, $mem B with them:" \
  "$per B per connection (socket table and event queue sized for $((N + 64)) included)"
[ "$established" -ge $((N * 99 / 100)) ] || fail "only $established of $N connections established"
[ "$conns" -ge "$established" ] || fail "synack holds $conns connections, the kernel $established"
[ "$per" -le "$PER_CONN_MAX" ] || fail "$per B per idle connection (bound $PER_CONN_MAX B)"
echo "ok: $N idle connections, $per B each"
exit 0
