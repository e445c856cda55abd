#!/usr/bin/env bash
# Interop 1: curl (the kernel's TCP) downloads 20 MB from `synack serve --http` over IPv4 and
# over IPv6; the SHA-256 must match. Also: HEAD, 404, 403, keep-alive (two requests, one connection),
# and the plain-frame fallback (--no-offload) on the same TAP the offload run left configured.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require curl sha256sum
net_setup

head -c 20000000 /dev/urandom >"$NET_TMP/big.bin"
echo "hello from synack" >"$NET_TMP/index.html"
want=$(sha256sum <"$NET_TMP/big.bin" | cut -d' ' -f1)
net_serve 8080 --http "$NET_TMP" --stats

for url in "http://$SADDR4:8080/big.bin" "http://[$SADDR6]:8080/big.bin"; do
  net_in curl -sS --max-time 60 -o "$NET_TMP/out.bin" "$url" || fail "curl $url"
  got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "SHA-256 mismatch for $url: $got != $want"
  echo "ok: $url sha256 $got"
done

# HEAD: the length of the file, no body.
head_out=$(net_in curl -sS --max-time 10 -I "http://$SADDR4:8080/big.bin" | tr -d '\r')
echo "$head_out" | grep -qx "HTTP/1.1 200 OK" || fail "HEAD status: $head_out"
echo "$head_out" | grep -qx "Content-Length: 20000000" || fail "HEAD length: $head_out"
# 404 for a missing file, 403 for an escape attempt.
code=$(net_in curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$SADDR4:8080/missing")
[ "$code" = 404 ] || fail "missing file gave $code"
code=$(net_in curl -s --max-time 10 --path-as-is -o /dev/null -w '%{http_code}' "http://$SADDR4:8080/../etc/passwd")
[ "$code" = 403 ] || fail "path escape gave $code"
# Keep-alive: curl reuses the connection for the second URL.
net_in curl -sv --max-time 10 -o /dev/null -o /dev/null "http://$SADDR4:8080/" "http://$SADDR4:8080/index.html" \
  2>"$NET_TMP/ka.log" || fail "keep-alive fetch"
grep -q "Re-using existing connection" "$NET_TMP/ka.log" || { cat "$NET_TMP/ka.log"; fail "connection not reused"; }
echo "ok: HEAD, 404, 403, keep-alive"

net_stop "$SERVE_PID"
cat "$NET_TMP/serve.log"
grep -q "write errors 0" "$NET_TMP/serve.log" || fail "driver write errors"
grep -Eq "tso [1-9][0-9]* <- [1-9]" "$NET_TMP/serve.log" || fail "no TSO frame was written on the offload path"

# The fallback: plain frames on the same TAP, which the previous run left with offloads on —
# the driver must switch them off (a stale setting would hand it unfinished checksums).
net_serve 8080 --http "$NET_TMP" --stats --no-offload
grep -q "plain frames" "$NET_TMP/serve.log" || fail "--no-offload did not select plain frames"
net_in curl -sS --max-time 60 -o "$NET_TMP/out.bin" "http://$SADDR4:8080/big.bin" || fail "curl (plain frames)"
got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "SHA-256 mismatch with plain frames"
net_stop "$SERVE_PID"
grep -Eq "gso 0 .*partial csum 0, data-valid 0\) out [0-9]+ \(tso 0 " "$NET_TMP/serve.log" ||
  { cat "$NET_TMP/serve.log"; fail "offload metadata seen on the plain path"; }
grep -q "drop tcp: bad checksum" "$NET_TMP/serve.log" && fail "unfinished checksums reached the stack"
echo "ok: plain-frame fallback, sha256 $got"
exit 0
