#!/usr/bin/env bash
# The ladder of a capture made by the Linux kernel talking to itself: two network namespaces
# joined by a veth pair (198.18.7.0/24, fd00:7::/64 only), a tiny server and client in Python,
# tcpdump on the client's side (Ethernet) and on "any" (Linux cooked capture). `synack ladder`
# must show the handshake and the close with the right states. Needs root; exits 77 otherwise.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
for t in ip tcpdump python3; do command -v "$t" > /dev/null || { echo "$t missing: skipped"; exit 77; }; done
cli="$SYNACK_CLI"
tmp=$(mktemp -d)
A="synack-lad-a-$$" B="synack-lad-b-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  ip netns del "$A" 2> /dev/null || true
  ip netns del "$B" 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$A" || { echo "cannot create a network namespace: skipped"; exit 77; }
ip netns add "$B"
ip link add vla type veth peer name vlb netns "$B" 2> /dev/null || ip -n "$A" link add vla type veth peer name vlb netns "$B"
ip link set vla netns "$A" 2> /dev/null || true
ip -n "$A" link set lo up
ip -n "$B" link set lo up
ip -n "$A" addr add 198.18.7.1/24 dev vla
ip -n "$B" addr add 198.18.7.2/24 dev vlb
ip -n "$A" addr add fd00:7::1/64 dev vla nodad
ip -n "$B" addr add fd00:7::2/64 dev vlb nodad
ip -n "$A" link set vla up
ip -n "$B" link set vlb up
# Wait until the pair carries traffic both ways (carrier up, neighbours resolved).
for _ in $(seq 50); do ip netns exec "$A" ping -c 1 -W 1 198.18.7.2 > /dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 50); do ip netns exec "$A" ping -c 1 -W 1 fd00:7::2 > /dev/null 2>&1 && break; sleep 0.1; done

cat > "$tmp/server.py" << 'PY'
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 8080)); s.listen(1)
open(sys.argv[2], 'w').close()               # ready
c, _ = s.accept()
c.recv(100)
c.sendall(b'world\n')
c.close()                                    # the server closes first
PY
cat > "$tmp/client.py" << 'PY'
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
c = socket.create_connection((sys.argv[1], 8080))
c.sendall(b'hello\n')
while c.recv(100): pass                       # read to EOF, then close
c.close()
PY

run() { # $1 server address, $2 capture interface, $3 output pcap
  rm -f "$tmp/ready" "$tmp/tcpdump.err"
  # No capture filter: on some kernels the compiled IPv6 port filter matches nothing; the
  # ladder picks the TCP connection out of whatever else (ARP, ND) is captured.
  ip netns exec "$A" tcpdump -i "$2" --immediate-mode -U -w "$3" 2> "$tmp/tcpdump.err" &
  local tpid=$!
  pids+=("$tpid")
  for _ in $(seq 50); do grep -q listening "$tmp/tcpdump.err" 2> /dev/null && break; sleep 0.1; done
  sleep 0.2
  ip netns exec "$B" python3 "$tmp/server.py" "$1" "$tmp/ready" &
  local spid=$!
  pids+=("$spid")
  for _ in $(seq 50); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
  ip netns exec "$A" python3 "$tmp/client.py" "$1"
  wait "$spid"
  sleep 1 # let tcpdump read the last packets before it is stopped
  kill "$tpid"
  wait "$tpid" 2> /dev/null || true
}

check() { # $1 ladder text; returns 1 at the first missing line (set -e does not apply inside `if`)
  local f=$1
  grep -q "client: CLOSED -> SYN-SENT (sends SYN)" "$f" || return 1
  grep -q "S seq 0 win [0-9]* <mss [0-9]*,sackOK,TS,ws [0-9]*>" "$f" || return 1
  grep -q "server: LISTEN -> SYN-RECEIVED (rcv SYN)" "$f" || return 1
  grep -q "S. seq 0 ack 1 win" "$f" || return 1
  grep -q "client: SYN-SENT -> ESTABLISHED (rcv SYN-ACK)" "$f" || return 1
  grep -q "server: SYN-RECEIVED -> ESTABLISHED (rcv ACK of SYN)" "$f" || return 1
  grep -q "P. seq 1 ack 1 len 6" "$f" || return 1
  grep -q "server: ESTABLISHED -> FIN-WAIT-1 (sends FIN)" "$f" || return 1
  grep -q "client: ESTABLISHED -> CLOSE-WAIT (rcv FIN)" "$f" || return 1
  grep -q "client: CLOSE-WAIT -> LAST-ACK (sends FIN)" "$f" || return 1
  grep -Eq "server: (FIN-WAIT-2|CLOSING) -> TIME-WAIT \(rcv FIN\)" "$f" || return 1
  grep -q "client: LAST-ACK -> CLOSED (rcv ACK of FIN)" "$f" || return 1
  grep -q ", 0 retransmitted" "$f" || return 1
}

# One capture case: run the exchange, draw the ladder, check it. A capture on a busy 2-core
# machine can miss a frame (tcpdump is stopped by a signal); that is the capture's fault, not
# the ladder's, so a case gets up to three attempts and prints everything when the last fails.
attempt() { # $1 address, $2 interface, $3 name, extra ladder args...
  local addr=$1 ifc=$2 name=$3
  shift 3
  for try in 1 2 3; do
    run "$addr" "$ifc" "$tmp/$name.pcap"
    if "$cli" ladder "$tmp/$name.pcap" --no-color "$@" > "$tmp/$name.txt" && (check "$tmp/$name.txt"); then
      return 0
    fi
    echo "attempt $try of $name failed" >&2
  done
  cat "$tmp/$name.txt" "$tmp/tcpdump.err"
  tcpdump -nr "$tmp/$name.pcap"
  exit 1
}

attempt 198.18.7.2 vla eth4 --svg "$tmp/eth4.svg"
cat "$tmp/eth4.txt"
attempt fd00:7::2 vla eth6
grep -q "client \[fd00:7::1\]:[0-9]* <-> server \[fd00:7::2\]:8080" "$tmp/eth6.txt"
attempt 198.18.7.2 any any4
if command -v xmllint > /dev/null; then xmllint --noout "$tmp/eth4.svg"; fi
echo "ladder of a Linux capture: ok (link types $(python3 -c "import struct,sys;print(*[struct.unpack('<I',open(f,'rb').read()[20:24])[0] for f in sys.argv[1:]])" "$tmp/eth4.pcap" "$tmp/eth6.pcap" "$tmp/any4.pcap"))"
