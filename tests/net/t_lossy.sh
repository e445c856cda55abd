#!/usr/bin/env bash
# Interop 3 and 7: the downloads of tests 1 and 2 again with 3 % loss, 3 % reordering and 3 %
# duplication injected by synack's driver in both directions; SHA-256 must still match. The
# driver captures the run with curl (--pcap) and tshark must find no malformed packet in it.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require curl python3 sha256sum tshark capinfos
net_setup

SIZE=${SYNACK_LOSSY_BYTES:-20000000}
IMPAIR=(--loss 3% --reorder 3% --dup 3% --impair both --seed 42)
mkdir "$NET_TMP/www"
head -c "$SIZE" /dev/urandom >"$NET_TMP/www/big.bin"
want=$(sha256sum <"$NET_TMP/www/big.bin" | cut -d' ' -f1)

# curl from synack serve, impaired, captured.
net_serve 8080 --http "$NET_TMP/www" --stats --pcap "$NET_TMP/lossy.pcap" "${IMPAIR[@]}"
for url in "http://$SADDR4:8080/big.bin" "http://[$SADDR6]:8080/big.bin"; do
  start=$(date +%s%N)
  net_in curl -sS --max-time 150 -o "$NET_TMP/out.bin" "$url" || fail "curl $url under impairments"
  got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "SHA-256 mismatch (curl $url, lossy): $got != $want"
  echo "ok: curl $url lossy download in $((($(date +%s%N) - start) / 1000000)) ms, sha256 $got"
done
net_stop "$SERVE_PID"
cat "$NET_TMP/serve.log"
grep -Eq "impair out .* lost [1-9]" "$NET_TMP/serve.log" || fail "no loss was injected on output"
grep -Eq "impair in .* lost [1-9]" "$NET_TMP/serve.log" || fail "no loss was injected on input"

# synack get from the kernel's HTTP server, impaired.
net_bg "$NET_TMP/http.log" python3 -m http.server -d "$NET_TMP/www" -b :: 8000
net_wait 10 net_in python3 -c "import socket; socket.create_connection(('$KADDR4', 8000), 1)" || fail "http.server did not start"
for url in "http://$KADDR4:8000/big.bin" "http://[$KADDR6]:8000/big.bin"; do
  net_synack get --stats "${IMPAIR[@]}" "$url" -o "$NET_TMP/out2.bin" 2>"$NET_TMP/get.log" ||
    { cat "$NET_TMP/get.log"; fail "synack get $url under impairments"; }
  grep -v "^get: [0-9.]* [kMG]*B," "$NET_TMP/get.log"
  got=$(sha256sum <"$NET_TMP/out2.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "SHA-256 mismatch (synack get $url, lossy): $got != $want"
  grep -Eq "gso [1-9][0-9]* -> [1-9]" "$NET_TMP/get.log" || fail "super-frames were not split before the impairments"
  echo "ok: synack get $url lossy download, sha256 $got"
done

# Corruption both ways (not in the list, but the offload path must not hide it): the
# driver finishes partial checksums before flipping a bit, and stops building TSO frames so the
# stack's own checksums reach the kernel; both ends must catch every damaged segment.
head -c 5000000 /dev/urandom >"$NET_TMP/www/small.bin"
want_small=$(sha256sum <"$NET_TMP/www/small.bin" | cut -d' ' -f1)
net_in nstat -n >/dev/null 2>&1
net_serve 8081 --http "$NET_TMP/www" --stats --corrupt 2% --seed 5
net_in curl -sS --max-time 60 -o "$NET_TMP/out3.bin" "http://$SADDR4:8081/small.bin" || fail "curl under corruption"
net_stop "$SERVE_PID"
got=$(sha256sum <"$NET_TMP/out3.bin" | cut -d' ' -f1)
[ "$got" = "$want_small" ] || fail "SHA-256 mismatch under corruption"
grep -Eq "drop tcp: checksum mismatch +[1-9]" "$NET_TMP/serve.log" || { cat "$NET_TMP/serve.log"; fail "synack caught no corrupted segment"; }
kerr=$(net_in nstat -az TcpInCsumErrors 2>/dev/null | awk '/TcpInCsumErrors/ { print $2 }')
[ "${kerr:-0}" -gt 0 ] || fail "the kernel caught no corrupted segment (TcpInCsumErrors ${kerr:-?})"
echo "ok: 2 % corruption both ways: sha256 matches, synack and the kernel ($kerr) dropped damaged segments"

# Interop 7: tshark reads the capture of the impaired curl run; no malformed packet. One
# dissection pass: frames that are malformed or retransmissions, told apart by their protocols.
frames=$(capinfos -M -c "$NET_TMP/lossy.pcap" 2>/dev/null | awk '/Number of packets/ { print $NF }')
[ "${frames:-0}" -gt 1000 ] || fail "capture holds only ${frames:-0} frames"
tshark -r "$NET_TMP/lossy.pcap" -Y "_ws.malformed || tcp.analysis.retransmission" -T fields -e frame.protocols \
  >"$NET_TMP/tshark.out" 2>"$NET_TMP/tshark.err" || { cat "$NET_TMP/tshark.err"; fail "tshark could not read the capture"; }
bad=$(grep -c malformed "$NET_TMP/tshark.out")
retrans=$(grep -vc malformed "$NET_TMP/tshark.out")
[ "$bad" = 0 ] || fail "tshark found $bad malformed packets"
[ "$retrans" -gt 0 ] || fail "tshark flagged no retransmission in a lossy run"
echo "ok: tshark read $frames frames, 0 malformed, $retrans retransmissions flagged"
exit 0
