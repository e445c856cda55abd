#!/usr/bin/env bash
# The whole scenario catalogue runs and tells its stories (each scenario asserts its key
# segments and end states in code and exits non-zero when the story did not happen), with
# IPv4 and IPv6, several seeds and every profile. Every SVG it writes is well-formed XML and
# renders to a non-empty PNG with a real renderer.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cli="$SYNACK_CLI"

# The catalogue: at least the stories issue 7 lists, one line each.
"$cli" scenario list > "$tmp/list.txt"
for n in normal-client-close normal-server-close syn-lost synack-lost ack-lost-data ack-lost-silent \
         synack-retries-exhausted simultaneous-open simultaneous-close three-segment-close \
         close-fin-lost close-ack-lost close-fin2-lost close-last-ack-lost why-time-wait why-time-wait-off \
         time-wait-old-duplicate time-wait-old-duplicate-off \
         isn-fixed isn-random blind-rst-rfc5961 blind-rst-rfc793 syn-flood-cookies syn-flood-no-cookies \
         port-exhaustion port-reuse keepalive-dead-peer sack-one-loss nosack-one-loss burst-loss rto-tail-loss; do
  grep -q "^  $n " "$tmp/list.txt" || { echo "catalogue lacks $n"; exit 1; }
done
total=$(grep -c '^  ' "$tmp/list.txt")

mkdir -p "$tmp/v4" "$tmp/v6"
"$cli" scenario run all --quiet --out-dir "$tmp/v4" > "$tmp/v4.txt" || { cat "$tmp/v4.txt"; exit 1; }
grep -q "^$total of $total scenarios told their story$" "$tmp/v4.txt"
"$cli" scenario run all --quiet --ipv6 --seed 3 --out-dir "$tmp/v6" > "$tmp/v6.txt" || { cat "$tmp/v6.txt"; exit 1; }
for p in freebsd rfc; do
  "$cli" scenario run all --quiet --profile "$p" --seed 5 > "$tmp/$p.txt" || { cat "$tmp/$p.txt"; exit 1; }
done
"$cli" scenario run nope > /dev/null 2>&1 && { echo "unknown scenario accepted"; exit 1; }
"$cli" scenario run syn-lost --profile nope > /dev/null 2>&1 && { echo "unknown profile accepted"; exit 1; }

# Every SVG is well-formed; every IPv4 one is rendered by librsvg to a non-empty PNG (the IPv6
# ones differ only in their addresses).
n=0
for svg in "$tmp"/v4/*.svg "$tmp"/v6/*.svg; do
  n=$((n + 1))
  if command -v xmllint > /dev/null; then xmllint --noout "$svg"; fi
done
if command -v rsvg-convert > /dev/null; then
  for svg in "$tmp"/v4/*.svg; do
    rsvg-convert "$svg" -o "$tmp/out.png"
    [ "$(stat -c %s "$tmp/out.png")" -gt 2000 ] || { echo "$svg renders to an empty PNG"; exit 1; }
  done
fi
[ "$n" -eq $((2 * total)) ] || { echo "expected $((2 * total)) SVGs, got $n"; exit 1; }
command -v xmllint > /dev/null || echo "xmllint missing: XML check skipped"
command -v rsvg-convert > /dev/null || echo "rsvg-convert missing: render check skipped"

# One terminal ladder in detail: the lost SYN-ACK, crossed out, and both timers.
"$cli" scenario run synack-lost --no-color > "$tmp/synack-lost.txt"
grep -q -- "X-- S. seq 0 ack 1 win 65535 <mss 1460,sackOK,TS,ws 7> .* SYN-RECEIVED   lost" "$tmp/synack-lost.txt"
grep -q "client: SYN retransmission timer fired, 1.000 s after the last try" "$tmp/synack-lost.txt"
# The client's second SYN reaches the server as its SYN-ACK timer comes due: exactly one
# SYN-ACK answers both (docs/tcp-choices.md, "SYN-ACK retransmission and a repeated SYN").
[ "$(grep -c -- "<-* S. seq 0 ack 1 .* SYN-RECEIVED   retransmission" "$tmp/synack-lost.txt")" -eq 1 ] ||
  { echo "synack-lost: expected exactly one retransmitted SYN-ACK"; exit 1; }
grep -q "client: SYN-SENT -> ESTABLISHED (rcv SYN-ACK)" "$tmp/synack-lost.txt"
grep -q ">> SYN-ACK lost" "$tmp/synack-lost.txt"
if grep -q $'\033' "$tmp/synack-lost.txt"; then echo "colour codes in plain output"; exit 1; fi
"$cli" scenario run synack-lost --color | grep -q $'\033\\[31m' || { echo "no colour with --color"; exit 1; }
echo "scenario: $total scenarios ok, $n SVGs valid"
