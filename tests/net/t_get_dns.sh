#!/usr/bin/env bash
# Interop: `synack get --dns` resolves a host name over UDP through the stack, asking a DNS
# responder of the kernel (tests/net/dns_responder.py) in the namespace, over IPv4 and IPv6,
# then downloads from the kernel's HTTP server; NXDOMAIN and a server without a responder
# (ICMP port unreachable -> ECONNREFUSED on the connected UDP socket) fail cleanly.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require python3 sha256sum
net_setup

mkdir "$NET_TMP/www"
head -c 300000 /dev/urandom >"$NET_TMP/www/f.bin"
want=$(sha256sum <"$NET_TMP/www/f.bin" | cut -d' ' -f1)
net_bg "$NET_TMP/http.log" python3 -m http.server -d "$NET_TMP/www" -b :: 8000
net_wait 10 net_in python3 -c "import socket; socket.create_connection(('$KADDR4', 8000), 1)" || fail "http.server did not start"
net_bg "$NET_TMP/dns.log" python3 "$SYNACK_SOURCE_DIR/tests/net/dns_responder.py" "$KADDR4" "$KADDR6" -- \
  "web.synack.test=$KADDR4" "web.synack.test=$KADDR6" "v6.synack.test=$KADDR6"
net_wait 10 grep -q ready "$NET_TMP/dns.log" || fail "DNS responder did not start"

# IPv4 server, A record.
net_synack get --dns "$KADDR4" "http://web.synack.test:8000/f.bin" -o "$NET_TMP/out.bin" 2>"$NET_TMP/get.err" ||
  { cat "$NET_TMP/get.err"; fail "get by name (DNS over IPv4)"; }
grep -q "web.synack.test is $KADDR4" "$NET_TMP/get.err" || { cat "$NET_TMP/get.err"; fail "resolution not reported"; }
[ "$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)" = "$want" ] || fail "SHA-256 mismatch (IPv4)"
grep -q "query web.synack.test 1 from $SADDR4:" "$NET_TMP/dns.log" || fail "the responder saw no A query from synack"
echo "ok: A over IPv4, download checked"

# IPv6 server, a name with only an AAAA record: A gives no data, AAAA follows.
net_synack get --dns "$KADDR6" "http://v6.synack.test:8000/f.bin" -o "$NET_TMP/out.bin" 2>"$NET_TMP/get.err" ||
  { cat "$NET_TMP/get.err"; fail "get by name (DNS over IPv6)"; }
grep -q "v6.synack.test is $KADDR6" "$NET_TMP/get.err" || { cat "$NET_TMP/get.err"; fail "AAAA not used"; }
[ "$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)" = "$want" ] || fail "SHA-256 mismatch (IPv6)"
grep -q "query v6.synack.test 28 from $SADDR6:" "$NET_TMP/dns.log" || fail "the responder saw no AAAA query from synack"
echo "ok: AAAA over IPv6, download checked"

# NXDOMAIN: a clean failure.
if net_synack get --dns "$KADDR4" "http://nothing.synack.test:8000/f.bin" -o "$NET_TMP/x" 2>"$NET_TMP/get.err"; then
  fail "NXDOMAIN exited 0"
fi
grep -q "NXDOMAIN" "$NET_TMP/get.err" || { cat "$NET_TMP/get.err"; fail "NXDOMAIN not reported"; }
echo "ok: NXDOMAIN -> non-zero exit"

# The two A queries from 198.18.0.2 (web, nothing) came from different source ports (a random
# port per query socket, RFC 5452 §9.2).
ports=$(grep -o "from $SADDR4:[0-9]*" "$NET_TMP/dns.log" | sort -u | wc -l)
[ "$ports" -ge 2 ] || fail "the A queries from $SADDR4 all used one source port"

# No responder on the address (198.18.0.1 answers with ICMP port unreachable once the responder
# is gone): the connected socket reports ECONNREFUSED and the query gives up at once, instead of
# retrying until "no answer from the DNS server".
net_stop "$NET_LAST_PID"
if net_synack get --dns "$KADDR4" "http://web.synack.test:8000/f.bin" -o "$NET_TMP/x" 2>"$NET_TMP/get.err"; then
  fail "no DNS server exited 0"
fi
grep -q "DNS server connection refused (ECONNREFUSED)" "$NET_TMP/get.err" ||
  { cat "$NET_TMP/get.err"; fail "port unreachable not reported as ECONNREFUSED"; }
if grep -q "no answer from the DNS server" "$NET_TMP/get.err"; then fail "waited for the retries"; fi
echo "ok: port unreachable -> ECONNREFUSED"
exit 0
