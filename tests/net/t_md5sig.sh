#!/usr/bin/env bash
# Interop: TCP MD5 signatures (RFC 2385) between synack and the Linux kernel's TCP_MD5SIG.
#   a. the kernel signs with the same key: the echo works (every segment both ways is checked
#      by the other side: an unsigned or wrongly signed one would be dropped)
#   b. the kernel without a key: synack drops its SYNs (no SYN-ACK): connect() times out
#   c. the kernel with another key: the same
#   d. IPv6: the echo works with the key of the IPv6 peer
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require python3
net_setup

cat >"$NET_TMP/md5peer.py" <<'PY'
import socket, struct, sys
TCP_MD5SIG = 14  # <netinet/tcp.h>
host, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
peer = sys.argv[4]  # the address synack uses: the key is for it
if fam == socket.AF_INET:
    sa = struct.pack('=H', fam) + struct.pack('!H', 0) + socket.inet_pton(fam, peer)
else:
    sa = struct.pack('=H', fam) + struct.pack('!HI', 0, 0) + socket.inet_pton(fam, peer) + struct.pack('=I', 0)
sa += b'\0' * (128 - len(sa))  # struct sockaddr_storage
s = socket.socket(fam, socket.SOCK_STREAM)
if key:
    s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, sa + struct.pack('=BBHI', 0, 0, len(key), 0) + key.ljust(80, b'\0'))
s.settimeout(3)
try:
    s.connect((host, port))
except (socket.timeout, OSError) as e:
    print('timeout' if isinstance(e, socket.timeout) else 'error %s' % e)
    sys.exit(0)
data = bytes(i % 251 for i in range(50000))
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
print('echo ok %d' % len(got) if got == data else 'echo mismatch %d' % len(got))
PY
PEER="python3 $NET_TMP/md5peer.py"

net_serve 7 --echo --md5-key "$KADDR4=bgp-session-secret"
out=$(net_in $PEER "$SADDR4" 7 bgp-session-secret "$SADDR4")
[ "$out" = "echo ok 50000" ] || fail "a: signed echo: $out"
echo "ok a: the kernel and synack sign and check each other's segments (50000 bytes echoed)"
out=$(net_in $PEER "$SADDR4" 7 "" "$SADDR4")
[ "$out" = timeout ] || fail "b: a kernel without the key connected: $out"
echo "ok b: unsigned SYNs dropped by synack (connect() timed out)"
out=$(net_in $PEER "$SADDR4" 7 wrong-secret "$SADDR4")
[ "$out" = timeout ] || fail "c: a kernel with another key connected: $out"
echo "ok c: wrongly signed SYNs dropped by synack"
net_stop "$SERVE_PID"

net_serve 7 --echo --md5-key "$KADDR6=bgp-session-secret"
out=$(net_in $PEER "$SADDR6" 7 bgp-session-secret "$SADDR6")
[ "$out" = "echo ok 50000" ] || fail "d: signed echo over IPv6: $out"
echo "ok d: IPv6 (the digest over the IPv6 pseudo-header agrees with Linux's)"
