#!/usr/bin/env bash
# Interop: TCP-AO (RFC 5925, RFC 5926) between synack and the Linux kernel's TCP_AO_ADD_KEY.
# Skipped on a kernel built without CONFIG_TCP_AO (setsockopt answers ENOPROTOOPT).
#   a. HMAC-SHA-1-96, the same master key and KeyIDs: the echo works (every segment both ways
#      is checked by the other side: a missing or wrong MAC would be dropped)
#   b. the kernel without a key: synack drops its SYNs (TCP_AO_REQUIRED): connect() times out
#   c. the kernel with another key: the same (bad MAC)
#   d. AES-128-CMAC-96 over IPv6
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require python3
net_setup
PEER="python3 $SYNACK_SOURCE_DIR/tests/net/peer.py"
KEY=tcp-ao-interop-secret

[ "$(net_in $PEER ao-probe)" = supported ] || net_skip "the kernel has no TCP-AO (CONFIG_TCP_AO)"

net_serve 7 --echo --ao-key "$KADDR4=$KEY"
out=$(PEER_AO_KEY=$KEY net_in $PEER echo "$SADDR4" 7 50000)
[ "$out" = "echo ok 50000" ] || fail "a: TCP-AO echo: $out"
echo "ok a: the kernel and synack sign and check each other's segments (50000 bytes echoed)"
out=$(PEER_TIMEOUT=3 net_in $PEER refused "$SADDR4" 7)
[ "$out" = timeout ] || fail "b: a kernel without the key: $out"
echo "ok b: SYNs without TCP-AO dropped by synack (connect() timed out)"
out=$(PEER_TIMEOUT=3 PEER_AO_KEY=wrong-secret net_in $PEER refused "$SADDR4" 7)
[ "$out" = timeout ] || fail "c: a kernel with another key: $out"
echo "ok c: SYNs with a wrong MAC dropped by synack"
net_stop "$SERVE_PID"

net_serve 7 --echo --ao-key "$KADDR6=$KEY" --ao-cmac
out=$(PEER_AO_KEY=$KEY PEER_AO_ALG="cmac(aes128)" net_in $PEER echo "$SADDR6" 7 50000)
[ "$out" = "echo ok 50000" ] || fail "d: AES-128-CMAC echo over IPv6: $out"
echo "ok d: AES-128-CMAC-96 over IPv6 (the IPv6 context and pseudo-header agree with Linux's)"
