#!/usr/bin/env bash
# `synack demo` (what `make run` runs) is the tour: four stories printed as ladders, each with
# an SVG and a pcap in the folder it names; tshark reads the captures without a malformed
# packet and sees the SACK-repaired loss as a retransmission.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/tour.txt"
(cd "$tmp" && "$SYNACK_CLI" demo --no-color > "$out")
for n in 1-normal-client-close 2-synack-lost 3-simultaneous-close 4-sack-one-loss; do
  [ -s "$tmp/synack-tour/$n.svg" ] && [ -s "$tmp/synack-tour/$n.pcap" ] || { echo "missing $n files"; exit 1; }
done
grep -q "tour written to synack-tour/" "$out"
[ "$(grep -c ' ok  ' "$out")" -eq 4 ]
grep -q "SYN-SENT" "$out"
grep -q "TIME-WAIT" "$out"
grep -q "CLOSING" "$out"
grep -q "  lost" "$out"
grep -q "sack 7241-" "$out"
if command -v tshark > /dev/null; then
  for p in "$tmp"/synack-tour/*.pcap; do
    # (TCP reassembly off: a capture at the sender holds both a lost segment and its
    # retransmission, which tshark's reassembly reports as overlapping data.)
    bad=$(tshark -o tcp.desegment_tcp_streams:FALSE -r "$p" -Y '_ws.malformed || _ws.expert.severity == error' 2> /dev/null | wc -l)
    [ "$bad" -eq 0 ] || { echo "tshark found $bad malformed packets in $p"; exit 1; }
  done
  rt=$(tshark -r "$tmp/synack-tour/4-sack-one-loss.pcap" -Y 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission' 2> /dev/null | wc -l)
  [ "$rt" -ge 1 ] || { echo "tshark saw no retransmission"; exit 1; }
else
  echo "tshark missing: capture check skipped"
fi
echo "demo: ok"
