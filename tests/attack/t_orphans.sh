#!/usr/bin/env bash
# Attack 4c: zero-window orphans (the FIN-WAIT-1 attack). Clients request a 200 kB file with
# "Connection: close" and never read, advertising window 0; synack serve queues the response,
# closes, and is left with orphans probing a zero window that the kernel answers for ever. The
# bound (issue 12 §2): an orphan is aborted after tcp_orphan_retries probes, answered or not,
# and no more than tcp_max_orphans closed sockets are held at once (a close beyond it resets).
#
# Fast enough for make check: serve runs with --orphan-retries 3 (the default 8 takes the probe
# schedule, RTO doubling from 200 ms, about 102 s: `make attack` runs that with
# SYNACK_ATTACK_LONG=1) and --max-orphans 20 against 50 clients. Asserted: on the wire (serve's
# capture, read by tshark) every orphan sends exactly tcp_orphan_retries probes and then a RST;
# in the counters, orphans formed ≤ tcp_max_orphans, the others reset at close
# (TCP_ORPHANS_RESET), every formed one aborted (TCP_ORPHAN_PROBES_ABORT); the table empties.
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require python3 tshark
net_setup

N=${SYNACK_ORPHANS:-50}
if [ -n "${SYNACK_ATTACK_LONG:-}" ]; then
  RETRIES=8 MAX_ORPHANS=256 LIMIT_S=150
else
  RETRIES=3 MAX_ORPHANS=20 LIMIT_S=40
fi
head -c 200000 /dev/urandom >"$NET_TMP/resp.bin"
# --idle-timeout 0: the bound under test is the stack's, not serve's idle timeout (which would
# reset a connection whose response is not acknowledged after 60 s).
net_serve 8080 --http "$NET_TMP" --stats --quiet --idle-timeout 0 --pcap "$NET_TMP/orphans.pcap" \
  --orphan-retries "$RETRIES" --max-orphans "$MAX_ORPHANS"
attack_stats base
net_bg "$NET_TMP/zw.log" python3 "$SYNACK_SOURCE_DIR/tests/attack/zero_window.py" "$N" "$SADDR4" 8080 /resp.bin \
  "$NET_TMP/ready"
ZW_PID=$NET_LAST_PID
net_wait 60 test -s "$NET_TMP/ready" || { cat "$NET_TMP/zw.log"; fail "the clients did not connect"; }
orphans() {
  attack_stats o
  grep -c "^  FIN-WAIT-1 " "$NET_TMP/stats.o"
}
t0=$SECONDS
peak=0
left=1
while [ $((SECONDS - t0)) -lt "$LIMIT_S" ]; do
  left=$(orphans)
  [ "$left" -gt "$peak" ] && peak=$left
  formed=$(($(stat_counter o TCP_ORPHANS_RESET) + $(stat_counter o TCP_ORPHAN_PROBES_ABORT) + left))
  [ "$left" = 0 ] && [ "$formed" -ge "$N" ] && break
  sleep 0.3
done
secs=$((SECONDS - t0))
attack_stats end
reset=$(stat_counter end TCP_ORPHANS_RESET)
aborted=$(stat_counter end TCP_ORPHAN_PROBES_ABORT)
echo "figure: $N zero-window clients; at most $peak orphans seen at once (tcp_max_orphans $MAX_ORPHANS);" \
  "$reset reset at close beyond the limit, $aborted aborted after $RETRIES probes; $left left after $secs s"
net_stop "$ZW_PID"
[ "$left" = 0 ] || fail "$left zero-window orphans still held after $LIMIT_S s: probed for ever"
[ "$peak" -le "$MAX_ORPHANS" ] || fail "$peak orphans at once, above tcp_max_orphans $MAX_ORPHANS"
[ "$aborted" -gt 0 ] || fail "no orphan was aborted by its probes (the attack did not take)"
[ "$aborted" -le "$MAX_ORPHANS" ] || fail "$aborted orphans aborted: more formed than tcp_max_orphans allows"
[ $((reset + aborted)) = "$N" ] || fail "$reset reset + $aborted aborted != $N connections closed by serve"
[ "$N" -le "$MAX_ORPHANS" ] || [ "$reset" -gt 0 ] || fail "no close() was reset beyond tcp_max_orphans"

# On the wire: the probes are one-byte segments at SND.UNA, all at the same sequence number while
# the kernel holds its window at zero; count them per connection, and the RST that follows.
kill -TERM "$SERVE_PID" 2>/dev/null
net_wait 10 sh -c "! kill -0 $SERVE_PID" || true
tshark -r "$NET_TMP/orphans.pcap" -Y "ip.src == $SADDR4 && tcp.len == 1" -T fields -e tcp.dstport -e tcp.seq_raw \
  2>/dev/null | sort | uniq -c | awk '{ if ($1 > m[$2]) m[$2] = $1 } END { for (p in m) print p, m[p] }' \
  | sort >"$NET_TMP/probes"
tshark -r "$NET_TMP/orphans.pcap" -Y "ip.src == $SADDR4 && tcp.flags.reset == 1" -T fields -e tcp.dstport \
  2>/dev/null | sort -u >"$NET_TMP/rsts"
probed=$(wc -l <"$NET_TMP/probes")
exact=$(awk -v r="$RETRIES" '$2 == r' "$NET_TMP/probes" | wc -l)
rst_after=$(cut -d' ' -f1 "$NET_TMP/probes" | sort | comm -12 - "$NET_TMP/rsts" | wc -l)
echo "figure: on the wire $probed connections probed; $exact of them exactly $RETRIES times; $rst_after ended by a RST"
[ "$probed" = "$aborted" ] || { cat "$NET_TMP/probes"; fail "$probed connections probed on the wire, $aborted aborted"; }
[ "$exact" = "$probed" ] || { cat "$NET_TMP/probes"; fail "an orphan was not probed exactly $RETRIES times"; }
[ "$rst_after" = "$probed" ] || fail "only $rst_after of $probed probed orphans ended with a RST"
echo "ok: every zero-window orphan aborted after $RETRIES probes; at most $peak of $MAX_ORPHANS orphans at once"
exit 0
