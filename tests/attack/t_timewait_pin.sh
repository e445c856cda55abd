#!/usr/bin/env bash
# Attack 4a: the TIME-WAIT FIN pin. synack serve closes first (Connection: close), so its side of
# the connection ends in TIME-WAIT for 2 MSL. A blind attacker who knows the 4-tuple sends a FIN at
# every window position, again and again: only the peer's retransmitted FIN (sequence RCV.NXT - 1)
# may restart the 2 MSL timer (issue 12 §3), so the entry's expiry must not move later, and the
# ACKs it sends in answer stay within the rate limit. Prints the expiry before and after.
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require curl
net_setup

CPORT=45680
ROUNDS=${SYNACK_TWPIN_ROUNDS:-3}
echo "small" >"$NET_TMP/index.html"
net_serve 8080 --http "$NET_TMP" --stats --quiet
net_in curl -sS --max-time 10 -H "Connection: close" --local-port "$CPORT" -o /dev/null \
  "http://$SADDR4:8080/index.html" || fail "curl"
tw_expiry() {
  attack_stats "$1"
  awk -v p="<> $KADDR4.$CPORT" '$1 == "TIME-WAIT" && index($0, p) { print $NF }' "$NET_TMP/stats.$1"
}
net_wait 5 test -n "$(tw_expiry probe)" || { cat "$NET_TMP/stats.probe"; fail "synack's side is not in TIME-WAIT"; }
e0=$(tw_expiry before)
acks=0
for r in $(seq 1 "$ROUNDS"); do
  attack_tool inject --dport 8080 --src "$KADDR4" --sport "$CPORT" --kind fin --step 65535 --rate 100000 \
    --secs 20 >"$NET_TMP/fin-$r.log" 2>&1 || { cat "$NET_TMP/fin-$r.log"; fail "inject fin"; }
  a=$(awk '/pure ACKs/ { print $(NF - 2) }' "$NET_TMP/fin-$r.log")
  acks=$((acks + ${a:-0}))
done
cat "$NET_TMP/fin-1.log"
e1=$(tw_expiry after)
[ -n "$e1" ] || fail "the TIME-WAIT entry vanished during the attack"
echo "figure: TIME-WAIT expiry at $e0 us before $ROUNDS sweeps of 65,538 FINs, at $e1 us after; $acks ACKs answered"
[ "$e1" -le "$e0" ] || fail "blind FINs restarted 2MSL: the expiry moved $(((e1 - e0) / 1000)) ms later"
[ "$acks" -le $((ROUNDS * 20)) ] || fail "$acks ACKs answered to blind FINs (one per 500 ms per round expected)"
echo "ok: TIME-WAIT not pinned by blind FINs"
exit 0
