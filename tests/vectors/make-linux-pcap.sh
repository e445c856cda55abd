#!/usr/bin/env bash
# Captures golden wire-format vectors from the Linux kernel into tests/vectors/linux-kernel.pcap.
# Two network namespaces joined by a veth pair; addresses only from 198.18.0.0/15 (RFC 2544
# benchmarking) and fd00::/8 (unique local), so nothing can leave the machine. Needs root,
# iproute2, ethtool, tcpdump and python3. The namespaces are deleted on exit, also on failure.
set -euo pipefail

out=${1:-$(cd "$(dirname "$0")" && pwd)/linux-kernel.pcap}
ns_a=synack-vec-$$
ns_b=synack-vec-$$-b
tmp=$(mktemp -d)
tcpdump_pid=

cleanup() {
  if [ -n "$tcpdump_pid" ]; then kill "$tcpdump_pid" 2>/dev/null || true; wait "$tcpdump_pid" 2>/dev/null || true; fi
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

A4=198.18.0.1 B4=198.18.0.2 A6=fd00:5ac::1 B6=fd00:5ac::2
ip netns add "$ns_a"
ip netns add "$ns_b"
for ns in "$ns_a" "$ns_b"; do
  # No router solicitations, no DAD: the capture holds only the traffic made below.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
  ip netns exec "$ns" ip link set lo up
done
ip link add veth-a netns "$ns_a" type veth peer name veth-b netns "$ns_b"
# veth offloads checksums (the capture would show partial sums); make the kernel compute them.
ip netns exec "$ns_a" ethtool -K veth-a tx off rx off >/dev/null
ip netns exec "$ns_b" ethtool -K veth-b tx off rx off >/dev/null
ip -n "$ns_a" link set veth-a address 02:00:00:5a:c0:01
ip -n "$ns_b" link set veth-b address 02:00:00:5a:c0:02
ip -n "$ns_a" addr add $A4/24 dev veth-a
ip -n "$ns_b" addr add $B4/24 dev veth-b
ip -n "$ns_a" addr add $A6/64 dev veth-a nodad
ip -n "$ns_b" addr add $B6/64 dev veth-b nodad
ip -n "$ns_a" link set veth-a up
ip -n "$ns_b" link set veth-b up
sleep 1

# Only our protocols, and no multicast listener reports (they are noise, not vectors).
ip netns exec "$ns_a" tcpdump -i veth-a -U -s 2048 -w "$tmp/cap.pcap" \
  'arp or (ip and (tcp or udp or icmp)) or (ip6 and (tcp or udp or (icmp6 and (ip6[40] == 128 or ip6[40] == 129 or ip6[40] == 135 or ip6[40] == 136 or ip6[40] == 1))))' \
  2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
for _ in $(seq 50); do grep -q listening "$tmp/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

# A TCP exchange per family: handshake with options, data each way, orderly close.
cat >"$tmp/server.py" <<'PY'
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
data = c.recv(100)
c.sendall(b"pong:" + data)
c.recv(100)
c.close()
PY
cat >"$tmp/client.py" <<'PY'
import socket, sys, time
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
c = socket.socket(fam, socket.SOCK_STREAM)
c.connect((sys.argv[1], int(sys.argv[2])))
c.sendall(b"ping")
c.recv(100)
time.sleep(0.05)
c.shutdown(socket.SHUT_WR)
c.recv(100)
c.close()
PY
for addr in $B4 $B6; do
  ip netns exec "$ns_b" python3 "$tmp/server.py" $addr 5001 >"$tmp/srv.out" &
  srv=$!
  for _ in $(seq 50); do grep -q ready "$tmp/srv.out" 2>/dev/null && break; sleep 0.1; done
  ip netns exec "$ns_a" timeout 10 python3 "$tmp/client.py" $addr 5001
  wait $srv
done

# One echo request per family from a raw socket (no ping binary needed); the kernel answers.
ip netns exec "$ns_a" python3 -c "
import socket, struct
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
data = b'synack-echo-vector'
h = struct.pack('!BBHHH', 8, 0, 0, 0x5ac, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(2)
s.sendto(h[:2] + struct.pack('!H', csum(h + data)) + h[4:] + data, ('$B4', 0)); s.recv(200)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); s6.settimeout(2)
s6.sendto(struct.pack('!BBHHH', 128, 0, 0, 0x5ac, 1) + data, ('$B6', 0))  # kernel fills the checksum
while s6.recv(200)[0] != 129: pass
"
# A datagram to a closed port: the answer is an ICMP port unreachable quoting it.
ip netns exec "$ns_a" python3 -c "
import socket
for fam, a in ((socket.AF_INET, '$B4'), (socket.AF_INET6, '$B6')):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.sendto(b'hello', (a, 9)); s.close()
"
sleep 0.5
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
cp "$tmp/cap.pcap" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
