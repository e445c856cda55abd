#!/usr/bin/env bash
# Interop 6: ping both ways, IPv4 and IPv6 — the kernel pings synack (ARP / neighbour discovery
# then echo replies from the core) and `synack ping` pings the kernel. Also the rest of the host
# stack against the kernel: UDP to a closed port answered by ICMP port unreachable (the kernel's
# connected UDP socket reports ECONNREFUSED), and routing through a default gateway.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require ping
net_setup

net_serve 7 --discard --quiet
for host in "$SADDR4" "$SADDR6"; do
  out=$(net_in ping -c 3 -i 0.2 -W 2 "$host") || { echo "$out"; fail "kernel -> synack ping $host"; }
  echo "$out" | grep -q "3 received" || { echo "$out"; fail "kernel -> synack $host: replies missing"; }
  echo "ok: kernel pings synack at $host"
done
# Link-local: synack also answers on its fe80:: address (modified EUI-64 of 02:53:4b:00:00:01).
out=$(net_in ping -c 2 -i 0.2 -W 2 "fe80::53:4bff:fe00:1%$TAP") || { echo "$out"; fail "link-local ping"; }
echo "ok: kernel pings synack's link-local address"
for host in "$SADDR4" "$SADDR6"; do
  out=$(net_in python3 -c "
import socket
s = socket.socket(socket.AF_INET6 if ':' in '$host' else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3); s.connect(('$host', 9999)); s.send(b'x')
try:
    s.recv(100); print('reply')
except ConnectionRefusedError: print('ECONNREFUSED')
except socket.timeout: print('timeout')")
  [ "$out" = ECONNREFUSED ] || fail "UDP to a closed synack port ($host): $out"
done
echo "ok: UDP to a closed port -> ICMP port unreachable -> kernel ECONNREFUSED (IPv4, IPv6)"
net_stop "$SERVE_PID"

for host in "$KADDR4" "$KADDR6"; do
  out=$(net_synack ping --quiet -c 3 -i 200 "$host") || { echo "$out"; fail "synack -> kernel ping $host"; }
  echo "$out"
  echo "$out" | grep -q "3 packets transmitted, 3 received" || fail "synack -> kernel $host: replies missing"
  echo "ok: synack pings the kernel at $host"
done

# Off-link destinations through the gateway: the kernel owns 198.18.5.1 and fd00:5::1 on lo and
# is synack's gateway; synack must resolve the gateway, never the destination.
net_in ip addr add 198.18.5.1/32 dev lo
net_in ip addr add fd00:5::1/128 dev lo
out=$(net_synack ping --trace -c 2 -i 200 --gw "$KADDR4" 198.18.5.1 2>"$NET_TMP/gw4.log") ||
  { echo "$out"; cat "$NET_TMP/gw4.log"; fail "ping via the IPv4 gateway"; }
grep -q "ARP who-has $KADDR4 " "$NET_TMP/gw4.log" || fail "synack did not resolve the gateway"
grep -q "who-has 198.18.5.1" "$NET_TMP/gw4.log" && fail "synack resolved an off-link address"
out=$(net_synack ping --trace -c 2 -i 200 --gw "$KADDR6" fd00:5::1 2>"$NET_TMP/gw6.log") ||
  { echo "$out"; cat "$NET_TMP/gw6.log"; fail "ping via the IPv6 gateway"; }
grep -q "ICMP type 135" "$NET_TMP/gw6.log" || fail "no neighbour solicitation for the IPv6 gateway"
echo "ok: ping through the default gateway (IPv4, IPv6)"
exit 0
