#!/usr/bin/env bash
# Attack 4c: zero-window orphans (the FIN-WAIT-1 attack). Clients request a 200 kB file with
# "Connection: close" and never read, advertising window 0; synack serve queues the response,
# closes, and is left with orphans probing a zero window that the kernel answers for ever. The
# bound (issue 12 §2): an orphan is aborted after tcp_orphan_retries (8) probes, answered or not,
# so every orphan is gone within the probe schedule (RTO doubling from 200 ms: about 102 s), and
# their number never exceeds tcp_max_orphans. The wait does not fit make check's budget: the test
# runs under `make attack` (SYNACK_ATTACK_LONG=1) and is skipped otherwise.
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
[ -n "${SYNACK_ATTACK_LONG:-}" ] || net_skip "the orphan bound takes ~2 minutes to observe: make attack runs it"
attack_require python3
net_setup

N=${SYNACK_ORPHANS:-50}
LIMIT_S=${SYNACK_ORPHAN_LIMIT_S:-150}
head -c 200000 /dev/urandom >"$NET_TMP/resp.bin"
net_serve 8080 --http "$NET_TMP" --stats --quiet
net_bg "$NET_TMP/zw.log" python3 "$SYNACK_SOURCE_DIR/tests/attack/zero_window.py" "$N" "$SADDR4" 8080 /resp.bin \
  "$NET_TMP/ready"
ZW_PID=$NET_LAST_PID
net_wait 60 test -s "$NET_TMP/ready" || { cat "$NET_TMP/zw.log"; fail "the clients did not connect"; }
orphans() {
  attack_stats o
  grep -c "^  FIN-WAIT-1 " "$NET_TMP/stats.o"
}
sleep 2
peak=$(orphans)
echo "figure: $peak orphans probing a zero window after the responses were queued"
[ "$peak" -gt 0 ] || fail "no orphan formed (the attack did not take)"
t0=$SECONDS
left=$peak
while [ $((SECONDS - t0)) -lt "$LIMIT_S" ]; do
  left=$(orphans)
  [ "$left" = 0 ] && break
  sleep 2
done
echo "figure: $left orphans left after $((SECONDS - t0)) s (bound: $LIMIT_S s)"
net_stop "$ZW_PID"
[ "$left" = 0 ] || fail "$left zero-window orphans still held after $LIMIT_S s: probed for ever"
echo "ok: every zero-window orphan aborted"
exit 0
