#!/usr/bin/env bash
# `synack demo` (what `make run` runs) completes, draws the ladder with both ends' states, and
# writes a capture that tshark reads without a malformed packet.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/demo.txt"
"$SYNACK_CLI" demo --pcap "$tmp/demo.pcap" > "$out"
grep -q "SYN-SENT" "$out"
grep -q "ESTABLISHED" "$out"
grep -q "TIME-WAIT" "$out"
grep -q "(lost)" "$out"
grep -q "echo reply" "$out"
grep -q "server received 11680 of 11680 bytes; 0 connections left" "$out"
if command -v tshark >/dev/null; then
  n=$(tshark -r "$tmp/demo.pcap" 2>/dev/null | wc -l)
  [ "$n" -gt 10 ]
  bad=$(tshark -r "$tmp/demo.pcap" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
  [ "$bad" -eq 0 ] || { echo "tshark found $bad malformed packets"; exit 1; }
  # The lost data segment shows up as a retransmission in tshark's own TCP analysis.
  rt=$(tshark -r "$tmp/demo.pcap" -Y 'tcp.analysis.retransmission' 2>/dev/null | wc -l)
  [ "$rt" -ge 1 ] || { echo "tshark saw no retransmission"; exit 1; }
else
  echo "tshark missing: capture check skipped"
fi
echo "demo: ok"
