#!/usr/bin/env bash
# Choices on top of a story (`scenario run NAME --lose K --delay K --dup K --sack off ...`, what
# the explorer in the browser clicks): the chosen segment is the K-th arrow of the ladder, its
# fate is the one chosen, nothing before it changes, the same choices replay the same ladder,
# the switches reach the stacks, and every story survives faults on its first segments (run
# under the sanitizers by make check). Also: captures in pcapng read like classic pcap.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cli="$SYNACK_CLI"
fail() { echo "FAIL: $*"; exit 1; }

# 1. Lose segment 3 of syn-lost (the SYN-ACK answering the retransmitted SYN): the story's own
#    checks fail (exit 1), the ladder says what was chosen and draws it lost, and the first two
#    segments are exactly as without the choice.
"$cli" scenario run syn-lost --no-color > "$tmp/plain.txt" || fail "syn-lost failed on its own"
if "$cli" scenario run syn-lost --no-color --lose 3 > "$tmp/lose3.txt"; then fail "losing segment 3 left the story intact"; fi
grep -q '>> you chose: segment 3 is lost' "$tmp/lose3.txt" || fail "no explanation of the choice"
seg3=$(grep -E -- '(<-|->|X-)' "$tmp/lose3.txt" | grep -E 'S\. seq 0 ack 1' | head -1)
echo "$seg3" | grep -q 'lost' || fail "segment 3 (the SYN-ACK) is not drawn lost: $seg3"
# The SYN-ACK is sent again by the server's timer (within the 10 s the story runs on).
grep -E 'S\. seq 0 ack 1.*retransmission' "$tmp/lose3.txt" > /dev/null || fail "the lost SYN-ACK is not retransmitted"
diff <(grep -E -- '-->|X ' "$tmp/plain.txt" | head -2) <(grep -E -- '-->|X ' "$tmp/lose3.txt" | head -2) \
  || fail "segments before the chosen one changed"

# 2. The same choices replay the same story, byte for byte (deterministic).
"$cli" scenario run sack-one-loss --no-color --lose 12 --dup 20 --delay 25 --sack off > "$tmp/a.txt" || true
"$cli" scenario run sack-one-loss --no-color --lose 12 --dup 20 --delay 25 --sack off > "$tmp/b.txt" || true
cmp -s "$tmp/a.txt" "$tmp/b.txt" || fail "the same choices gave two different stories"
grep -q 'a second copy of segment 20 arrives' "$tmp/a.txt" || fail "the duplicated segment's second copy is not noted"
grep -q 'segment 25 is held up in the network for 300 ms' "$tmp/a.txt" || fail "the delay is not explained"
grep -q 'sack ' "$tmp/a.txt" && fail "--sack off still shows SACK blocks"

# 3. Switches reach both stacks: SACK off breaks sack-one-loss's "SACK blocks" check, RFC 5961
#    off turns blind-rst-rfc5961 into the RFC 793 story, clock ISNs make isn-random predictable.
"$cli" scenario run sack-one-loss --sack off > "$tmp/s.txt" && fail "sack-one-loss holds with SACK off"
grep -q 'carry SACK blocks' "$tmp/s.txt" || fail "the failing check is not the SACK one"
"$cli" scenario run blind-rst-rfc5961 --rfc5961 off > "$tmp/r.txt" && fail "blind-rst-rfc5961 holds without RFC 5961"
"$cli" scenario run nosack-one-loss --rtt 80 --quiet > /dev/null || fail "a longer RTT broke nosack-one-loss"
"$cli" scenario run normal-client-close --no-color --rtt 80 | grep -q '40 ms each way' || fail "--rtt 80 is not 40 ms each way"
"$cli" scenario run sack-one-loss --loss 200 > /dev/null 2>&1 && fail "a loss rate over 100 % was accepted"
"$cli" scenario run sack-one-loss --lose x > /dev/null 2>&1 && fail "a malformed segment number was accepted"

# 4. Every story survives faults on its early segments and random loss (no crash, no sanitizer
#    report: exit 0 or 1 only).
for n in $("$cli" scenario list | awk '/^  /{print $1}'); do
  for c in "--lose 1" "--dup 2" "--delay 3" "--lose 2 --lose 4" "--loss 10 --seed 7"; do
    rc=0
    # shellcheck disable=SC2086
    "$cli" scenario run "$n" --quiet $c > "$tmp/out.txt" 2>&1 || rc=$?
    [ $rc -le 1 ] || { cat "$tmp/out.txt"; fail "$n $c: exit $rc"; }
  done
done

# 5. pcapng: the same connections, segments and ladder as the classic pcap it came from.
if command -v editcap > /dev/null; then
  vec="$SYNACK_SOURCE_DIR/tests/vectors/linux-kernel.pcap"
  editcap -F pcapng "$vec" "$tmp/k.pcapng"
  "$cli" ladder "$vec" --list > "$tmp/l1.txt"
  "$cli" ladder "$tmp/k.pcapng" --list > "$tmp/l2.txt"
  diff <(tail -n +2 "$tmp/l1.txt") <(tail -n +2 "$tmp/l2.txt") || fail "pcapng lists other connections"
  diff <("$cli" ladder "$vec" --no-color --conn 2 | tail -n +2) <("$cli" ladder "$tmp/k.pcapng" --no-color --conn 2 | tail -n +2) \
    || fail "the pcapng ladder differs"
  # nanosecond resolution (if_tsresol 9) gives the same microsecond times
  editcap -F pcapng --set-TSresolution 9 "$vec" "$tmp/ns.pcapng" 2>/dev/null && {
    diff <("$cli" ladder "$vec" --no-color | tail -n +2) <("$cli" ladder "$tmp/ns.pcapng" --no-color | tail -n +2) \
      || fail "the nanosecond pcapng ladder differs"
  }
  head -c 100 "$tmp/k.pcapng" > "$tmp/trunc.pcapng"
  "$cli" ladder "$tmp/trunc.pcapng" > /dev/null 2>&1 && fail "a truncated pcapng was accepted"
else
  echo "editcap missing: pcapng part skipped"
fi
echo "scenario choices: ok"
