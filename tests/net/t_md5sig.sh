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
PEER="python3 $SYNACK_SOURCE_DIR/tests/net/peer.py"
KEY=bgp-session-secret

net_serve 7 --echo --md5-key "$KADDR4=$KEY"
out=$(PEER_MD5_KEY=$KEY net_in $PEER echo "$SADDR4" 7 50000)
[ "$out" = "echo ok 50000" ] || fail "a: signed echo: $out"
echo "ok a: the kernel and synack sign and check each other's segments (50000 bytes echoed)"
out=$(PEER_TIMEOUT=3 net_in $PEER refused "$SADDR4" 7)
[ "$out" = timeout ] || fail "b: a kernel without the key: $out"
echo "ok b: unsigned SYNs dropped by synack (connect() timed out)"
out=$(PEER_TIMEOUT=3 PEER_MD5_KEY=wrong-secret net_in $PEER refused "$SADDR4" 7)
[ "$out" = timeout ] || fail "c: a kernel with another key: $out"
echo "ok c: wrongly signed SYNs dropped by synack"
net_stop "$SERVE_PID"

net_serve 7 --echo --md5-key "$KADDR6=$KEY"
out=$(PEER_MD5_KEY=$KEY net_in $PEER echo "$SADDR6" 7 50000)
[ "$out" = "echo ok 50000" ] || fail "d: signed echo over IPv6: $out"
echo "ok d: IPv6 (the digest over the IPv6 pseudo-header agrees with Linux's)"
