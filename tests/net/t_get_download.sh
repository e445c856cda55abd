#!/usr/bin/env bash
# Interop 2: `synack get` downloads 20 MB from a Linux HTTP server (python3 -m http.server) in
# the namespace, over IPv4 and IPv6; the SHA-256 must match.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require python3 sha256sum
net_setup

mkdir "$NET_TMP/www"
head -c 20000000 /dev/urandom >"$NET_TMP/www/big.bin"
want=$(sha256sum <"$NET_TMP/www/big.bin" | cut -d' ' -f1)
net_bg "$NET_TMP/http.log" python3 -m http.server -d "$NET_TMP/www" -b :: 8000
net_wait 10 net_in python3 -c "import socket; socket.create_connection(('$KADDR4', 8000), 1)" || fail "http.server did not start"

for url in "http://$KADDR4:8000/big.bin" "http://[$KADDR6]:8000/big.bin"; do
  net_synack get --stats "$url" -o "$NET_TMP/out.bin" || fail "synack get $url"
  got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "SHA-256 mismatch for $url: $got != $want"
  echo "ok: $url sha256 $got"
done
# The presets put other options on the wire (FreeBSD's layout, RFC timers): the kernel takes them.
for profile in rfc linux freebsd; do
  net_synack get --quiet --profile "$profile" "http://$KADDR4:8000/big.bin" -o "$NET_TMP/out.bin" || fail "get --profile $profile"
  got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "SHA-256 mismatch with --profile $profile"
done
echo "ok: --profile rfc, linux, freebsd"
# A 404 is an error exit.
if net_synack get --quiet "http://$KADDR4:8000/missing" -o "$NET_TMP/x"; then fail "404 exited 0"; fi
echo "ok: 404 -> non-zero exit"
exit 0
