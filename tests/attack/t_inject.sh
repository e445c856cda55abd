#!/usr/bin/env bash
# Attack 2: blind injection into a live download. curl downloads 20 MB from `synack serve` from a
# known port, paced to outlast the attack; an attacker who knows the 4-tuple but not the sequence
# numbers sends a RST, then a SYN, then a data segment (with a guessed acknowledgment) at every
# window position — sequence 0, 65535, 131070, ... through 2^32, so that every kind lands inside
# synack's receive window (at least 64 KiB) at least once. Asserts: the download completes intact;
# synack's answers stay within the rate limits: challenge ACKs (RFC 5961) at most
# tcp_challenge_ack_limit (10) per second, and every other ACK the RST and SYN sweeps elicit at
# most one per 500 ms (issue 12 §3). Out-of-window data is answered as Linux answers it
# (tcp_oow_rate_limited exempts data: a peer resending data we hold needs its D-SACK), so the data
# sweep must only not amplify: at most one ACK, smaller than the segment, per injected segment.
# Prints what was sent and what synack answered.
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require curl sha256sum
net_setup

CHALLENGE_LIMIT=10     # cfg.tcp_challenge_ack_limit: per second per connection
INVALID_PER_SEC=2      # one ACK per 500 ms for out-of-window and other invalid segments
CPORT=45678
download_file
net_serve 8080 --http "$NET_TMP" --stats --quiet
attack_stats base
download_start 500K --local-port "$CPORT"
download_running() {
  attack_stats probe
  grep -q "ESTABLISHED .*<> $KADDR4.$CPORT " "$NET_TMP/stats.probe"
}
net_wait 10 download_running || fail "the download did not start"

fails=
for kind in rst syn data; do
  attack_stats "pre-$kind"
  t0=$(date +%s%N)
  attack_tool inject --dport 8080 --src "$KADDR4" --sport "$CPORT" --kind "$kind" --step 65535 --rate 100000 \
    --secs 30 >"$NET_TMP/inject-$kind.log" 2>&1 || { cat "$NET_TMP/inject-$kind.log"; fail "inject $kind"; }
  t1=$(date +%s%N)
  attack_stats "post-$kind"
  cat "$NET_TMP/inject-$kind.log"
  secs=$(((t1 - t0 + 999999999) / 1000000000))
  challenges=$(($(stat_counter "post-$kind" TCP_CHALLENGE_ACKS) - $(stat_counter "pre-$kind" TCP_CHALLENGE_ACKS)))
  acks=$(awk '/pure ACKs/ { print $(NF - 2) }' "$NET_TMP/inject-$kind.log")
  limit=$(((CHALLENGE_LIMIT + INVALID_PER_SEC) * (secs + 1)))
  [ "$kind" = data ] && limit=$(awk '/window positions/ { print $3 }' "$NET_TMP/inject-$kind.log")
  echo "figure: inject $kind: $challenges challenge ACKs, $acks pure ACKs seen on the wire in ~${secs} s (limit $limit)"
  [ "$challenges" -le $((CHALLENGE_LIMIT * (secs + 1))) ] || fails="$fails $kind:challenge-acks=$challenges"
  [ "${acks:-0}" -le "$limit" ] || fails="$fails $kind:acks=$acks"
  # The figure only means something if the connection was live for the whole sweep.
  download_running || fail "the download ended before the $kind sweep did (paced to last ~40 s)"
done
download_check "the RST, SYN and data sweeps"
attack_stats after
resets=$(stat_counter after TCP_ESTAB_RESETS)
[ "$resets" = 0 ] || fail "$resets connections reset"
[ -z "$fails" ] || fail "answers beyond the rate limits:$fails"
echo "ok: answers within the rate limits"
exit 0
