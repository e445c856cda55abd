#!/usr/bin/env bash
# TCP MD5 signatures and TCP-AO set by an unmodified program through setsockopt, under
# libsynack-preload.so (docs/preload.md), every byte of a 200 kB echo compared:
#   a. MD5, synack client -> kernel server keyed for synack (TCP_MD5SIG), IPv4 and IPv6; the
#      errno of removing an absent key (ENOENT) and of adding TCP-AO to an MD5 socket (EKEYREJECTED)
#   b. MD5 with TCP_MD5SIG_EXT and a /24 prefix
#   c. MD5, kernel client -> synack server whose listener is keyed for the kernel (the accepted
#      connection inherits the key)
#   d. MD5 with a wrong key: the kernel drops the SYN, connect() times out
#   e. TCP-AO (the kernel of this test may lack it, so synack <-> synack: `synack serve --ao-key`
#      on a second TAP), HMAC-SHA-1-96 and AES-128-CMAC-96: the echo, TCP_AO_INFO's current and
#      rnext KeyIDs and counters (segments accepted, none bad), EEXIST / ENOENT / EBUSY /
#      EKEYREJECTED of the calls that must fail; a wrong key times out
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require python3
PRELOAD=${SYNACK_PRELOAD:-}
[ -n "$PRELOAD" ] && [ -f "$PRELOAD" ] || net_skip "libsynack-preload.so was not built (SYNACK_PRELOAD='$PRELOAD')"
net_setup
net_setup_bridge
AUTH="python3 $SYNACK_SOURCE_DIR/tests/net/preload_auth.py"
KEY=preload-md5-secret

on_synack() {
  net_in timeout 60 env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" SYNACK_ADDR6="$SADDR6/64" "$@"
}

# a, b: the kernel's servers, keyed for synack's addresses.
net_bg "$NET_TMP/k4.log" $AUTH kserve 7100 "$SADDR4" "$KEY"
net_bg "$NET_TMP/k6.log" $AUTH kserve 7106 "$SADDR6" "$KEY"
net_wait 10 grep -q ready "$NET_TMP/k4.log" || fail "kernel MD5 server (IPv4) did not start"
net_wait 10 grep -q ready "$NET_TMP/k6.log" || fail "kernel MD5 server (IPv6) did not start"
out=$(on_synack $AUTH md5-echo "$KADDR4" 7100 "$KEY" 2>&1)
[ "$out" = "echo ok 200000" ] || fail "a: MD5 echo with the kernel over IPv4: $out"
echo "ok a: TCP_MD5SIG set through setsockopt: the kernel checks and signs (200000 bytes echoed), ENOENT, EKEYREJECTED"
out=$(on_synack $AUTH md5-echo "$KADDR6" 7106 "$KEY" 2>&1)
[ "$out" = "echo ok 200000" ] || fail "a: MD5 echo with the kernel over IPv6: $out"
echo "ok a: the same over IPv6"
out=$(on_synack $AUTH md5-echo "$KADDR4" 7100 "$KEY" 24 2>&1)
[ "$out" = "echo ok 200000" ] || fail "b: TCP_MD5SIG_EXT with a /24 prefix: $out"
echo "ok b: TCP_MD5SIG_EXT with a /24 prefix"
out=$(on_synack $AUTH connect "$KADDR4" 7100 md5 wrong-secret 2>&1)
[ "$out" = timeout ] || fail "d: a wrong MD5 key: $out"
echo "ok d: a wrong key: the kernel drops the SYN (connect() timed out)"

# c: synack's server, the kernel's client (peer.py signs with PEER_MD5_KEY).
net_bg "$NET_TMP/s.log" env LD_PRELOAD="$PRELOAD" SYNACK_TAP="$TAP" SYNACK_ADDR="$SADDR4/24" SYNACK_ADDR6="$SADDR6/64" \
  $AUTH md5-serve 7200 "$KADDR4" "$KEY"
SPID=$NET_LAST_PID
net_wait 10 grep -q ready "$NET_TMP/s.log" || { cat "$NET_TMP/s.log"; fail "MD5 server on synack did not start"; }
out=$(PEER_MD5_KEY=$KEY net_in python3 "$SYNACK_SOURCE_DIR/tests/net/peer.py" echo "$SADDR4" 7200 50000)
[ "$out" = "echo ok 50000" ] || { cat "$NET_TMP/s.log"; fail "c: kernel client -> synack MD5 listener: $out"; }
echo "ok c: a listener keyed through setsockopt: the kernel's signed connection accepted and echoed"
net_stop "$SPID"

# e: TCP-AO between the preloaded program on sk0 and `synack serve` on sk1.
for alg in "hmac(sha1)" "cmac(aes128)"; do
  extra=
  [ "$alg" = "cmac(aes128)" ] && extra=--ao-cmac
  net_bg "$NET_TMP/serve.log" "$SYNACK_CLI" serve --tap sk1 --mac 02:53:4b:00:00:03 --addr "$SADDR4B/24" \
    --addr6 "$SADDR6B/64" 7300 --echo --ao-key "$SADDR4=$KEY" $extra
  SERVE_PID=$NET_LAST_PID
  net_wait 10 grep -q "listening on port" "$NET_TMP/serve.log" || { cat "$NET_TMP/serve.log"; fail "synack serve did not start"; }
  out=$(on_synack $AUTH ao-echo "$SADDR4B" 7300 "$KEY" "$alg" 2>&1)
  case "$out" in "echo ok 200000 good "*) ;; *) fail "e: TCP-AO $alg: $out" ;; esac
  echo "ok e: TCP-AO $alg through setsockopt, synack <-> synack: 200000 bytes echoed, TCP_AO_INFO: ${out#echo ok 200000 }, EEXIST/ENOENT/EBUSY/EKEYREJECTED"
  out=$(on_synack $AUTH connect "$SADDR4B" 7300 ao wrong-secret 2>&1)
  [ "$out" = timeout ] || fail "e: a wrong TCP-AO key: $out"
  echo "ok e: a wrong TCP-AO key: the SYN dropped (connect() timed out)"
  net_stop "$SERVE_PID"
done
exit 0
