#!/usr/bin/env bash
# `synack ladder` and `synack tsg` on captures: the scenario pcaps (Ethernet) and the same
# packets rewritten as raw-IP and Linux-cooked captures read back identically; connection
# choice by index and by 4-tuple; the SVGs are valid and render.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cli="$SYNACK_CLI"

"$cli" scenario run close-last-ack-lost --quiet --pcap "$tmp/c.pcap" > /dev/null
"$cli" ladder "$tmp/c.pcap" --no-color --svg "$tmp/c.svg" > "$tmp/c.txt"
grep -q "client: CLOSED -> SYN-SENT (sends SYN)" "$tmp/c.txt"
grep -q "server: LISTEN -> SYN-RECEIVED (rcv SYN)" "$tmp/c.txt"
grep -q "client: SYN-SENT -> ESTABLISHED (rcv SYN-ACK)" "$tmp/c.txt"
grep -q "server: SYN-RECEIVED -> ESTABLISHED (rcv ACK of SYN)" "$tmp/c.txt"
grep -q "client: ESTABLISHED -> FIN-WAIT-1 (sends FIN)" "$tmp/c.txt"
grep -q "server: ESTABLISHED -> CLOSE-WAIT (rcv FIN)" "$tmp/c.txt"
grep -q "server: CLOSE-WAIT -> LAST-ACK (sends FIN)" "$tmp/c.txt"
grep -q "client: FIN-WAIT-2 -> TIME-WAIT (rcv FIN)" "$tmp/c.txt"
grep -q "server: LAST-ACK -> CLOSED (rcv ACK of FIN)" "$tmp/c.txt"
# The server's FIN appears twice, the second marked as a retransmission.
[ "$(grep -c 'F. seq 1 ack 2' "$tmp/c.txt")" -eq 2 ]
grep 'F. seq 1 ack 2' "$tmp/c.txt" | tail -1 | grep -q retransmission
grep -q "^9 segments, 1 retransmitted" "$tmp/c.txt"

# The same packets as raw IP (linktype 101) and Linux cooked SLL (113) captures.
python3 - "$tmp/c.pcap" "$tmp" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
hdr, recs, off = data[:24], [], 24
while off < len(data):
    ts, us, cap, orig = struct.unpack('<IIII', data[off:off+16]); off += 16
    recs.append((ts, us, data[off:off+cap])); off += cap
def write(name, lt, fn):
    with open(f"{out}/{name}", 'wb') as f:
        f.write(hdr[:20] + struct.pack('<I', lt))
        for ts, us, fr in recs:
            b = fn(fr)
            f.write(struct.pack('<IIII', ts, us, len(b), len(b)) + b)
write('raw.pcap', 101, lambda fr: fr[14:])
write('sll.pcap', 113, lambda fr: struct.pack('>HHH8sH', 0, 1, 6, fr[6:12] + b'\0\0', struct.unpack('>H', fr[12:14])[0]) + fr[14:])
PY
for f in raw sll; do
  "$cli" ladder "$tmp/$f.pcap" --no-color > "$tmp/$f.txt"
  diff <(tail -n +2 "$tmp/c.txt" | grep -v '^SVG') <(tail -n +2 "$tmp/$f.txt") > /dev/null ||
    { echo "$f capture draws differently"; diff <(tail -n +2 "$tmp/c.txt") <(tail -n +2 "$tmp/$f.txt") | head; exit 1; }
done

# Crossing FINs (simultaneous close) are not mistaken for a FIN answered by a FIN.
"$cli" scenario run simultaneous-close --quiet --pcap "$tmp/sc.pcap" > /dev/null
"$cli" ladder "$tmp/sc.pcap" --no-color > "$tmp/sc.txt"
grep -q "client: ESTABLISHED -> FIN-WAIT-1 (sends FIN)" "$tmp/sc.txt"
grep -q "server: ESTABLISHED -> FIN-WAIT-1 (sends FIN)" "$tmp/sc.txt"
grep -q "client: FIN-WAIT-1 -> CLOSING (rcv FIN)" "$tmp/sc.txt"
grep -q "client: CLOSING -> TIME-WAIT (rcv ACK of FIN)" "$tmp/sc.txt"
if grep -q "CLOSE-WAIT" "$tmp/sc.txt"; then echo "simultaneous close drawn as a passive close"; exit 1; fi
# --absolute shows the raw sequence numbers tcpdump -S shows.
isn=$(tcpdump -S -nr "$tmp/sc.pcap" 2> /dev/null | head -1 | sed -n 's/.*seq \([0-9]*\),.*/\1/p')
if [ -n "$isn" ]; then "$cli" ladder "$tmp/sc.pcap" --absolute --no-color | grep -q "S seq $isn win"; fi

# A refused connection: nobody listened, the server side never leaves CLOSED.
"$cli" scenario run connect-refused --quiet --pcap "$tmp/cr.pcap" > /dev/null
"$cli" ladder "$tmp/cr.pcap" --no-color > "$tmp/cr.txt"
grep -q "SYN-SENT      -* S seq 0 win 65535 .*-> CLOSED$" "$tmp/cr.txt"
grep -q "client: SYN-SENT -> CLOSED (rcv RST)" "$tmp/cr.txt"
if grep -q "server:" "$tmp/cr.txt"; then echo "refused connection drawn with server states"; exit 1; fi

# Several connections: listed, chosen by index or by tuple.
"$cli" scenario run port-exhaustion --quiet --pcap "$tmp/p.pcap" > /dev/null
"$cli" ladder "$tmp/p.pcap" --list > "$tmp/list.txt"
grep -q "^8 TCP connections" "$tmp/list.txt"
t3=$(awk '$1 == "3" && $3 == "->" {print $2 "-" $4}' "$tmp/list.txt")
"$cli" ladder "$tmp/p.pcap" --conn 3 --no-color > "$tmp/c3.txt"
"$cli" ladder "$tmp/p.pcap" --tuple "$t3" --no-color > "$tmp/t3.txt"
cmp "$tmp/c3.txt" "$tmp/t3.txt"
"$cli" ladder "$tmp/p.pcap" --conn 9 > /dev/null 2>&1 && { echo "--conn 9 of 8 accepted"; exit 1; }

# IPv6 tuple syntax.
"$cli" scenario run syn-lost --ipv6 --quiet --pcap "$tmp/v6.pcap" > /dev/null
t6=$("$cli" ladder "$tmp/v6.pcap" --list | awk '$1 == "1" && $3 == "->" {print $2 "-" $4}')
"$cli" ladder "$tmp/v6.pcap" --tuple "$t6" --no-color | grep -q "S seq 0 win 65535"

# Time-sequence graph of the SACK recovery: one retransmission, SACK blocks drawn.
"$cli" scenario run sack-one-loss --quiet --pcap "$tmp/s.pcap" > /dev/null
"$cli" tsg "$tmp/s.pcap" --svg "$tmp/tsg.svg" > "$tmp/tsg.txt"
grep -q "198.18.0.1:[0-9]* -> 198.18.0.2:80: 30000 bytes of data in [0-9]* segments ([1-9][0-9]* retransmitted)" "$tmp/tsg.txt"
grep -q 'stroke="#8e44ad"' "$tmp/tsg.svg"      # SACK blocks
grep -q '>R</text>' "$tmp/tsg.svg"              # a retransmission marked
"$cli" tsg "$tmp/s.pcap" --svg "$tmp/tsg1.svg" --dir 1 > /dev/null
for svg in "$tmp/c.svg" "$tmp/tsg.svg" "$tmp/tsg1.svg"; do
  if command -v xmllint > /dev/null; then xmllint --noout "$svg"; fi
  if command -v rsvg-convert > /dev/null; then
    rsvg-convert "$svg" -o "$tmp/o.png"
    [ "$(stat -c %s "$tmp/o.png")" -gt 2000 ]
  fi
done
"$cli" ladder /nonexistent.pcap > /dev/null 2>&1 && { echo "missing file accepted"; exit 1; }
echo "ladder: ok"
