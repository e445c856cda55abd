#!/usr/bin/env bash
# Attack 3: malformed frames at line rate during a download. The attack tool cycles through bad
# IPv4 and TCP checksums, IHL below 5, a total length past the frame, data offsets 0-4 and past
# the segment, option lengths 0, 1 and overrunning, overlapping and 8-byte fragments, IPv6
# extension chains (too long, truncated, hop-by-hop not first, routing with segments left), and
# spoofed ICMP errors about the live connection quoting a wrong and the right sequence number,
# including "fragmentation needed" with MTU 68. Asserts: synack survives, the download completes
# with the right SHA-256, every kind is counted under its drop reason (or counter: the tiny
# fragments reassemble into a RST to a closed port, the right-sequence errors are soft errors), and
# no connection is reset by the spoofed errors.
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require curl sha256sum
net_setup

SECS=${SYNACK_MALFORMED_SECS:-6}
CPORT=45679
download_file
net_serve 8080 --http "$NET_TMP" --stats --quiet
attack_stats base
download_start 3M --local-port "$CPORT"
sleep 0.5
attack_tool malformed --dport 8080 --src "$KADDR4" --sport "$CPORT" --dst6 "$SADDR6" --src6 "$KADDR6" \
  --rate 100000 --secs "$SECS" >"$NET_TMP/malformed.log" 2>&1 || { cat "$NET_TMP/malformed.log"; fail "attack tool"; }
cat "$NET_TMP/malformed.log"
kill -0 "$SERVE_PID" 2>/dev/null || { tail -30 "$NET_TMP/serve.log"; fail "synack serve died"; }
attack_stats after
grep -q "seq learned: yes" "$NET_TMP/malformed.log" || fail "the tool never saw the live connection"
missing=
while read -r _ name _ sent _ expect; do
  [ "$sent" -gt 0 ] || { missing="$missing $name(not-sent)"; continue; }
  case "$expect" in
    REASSEMBLED | ICMP_ERRORS_IN) got=$(stat_counter after "$expect") ;;
    *) got=$(stat_drop after "$expect") ;;
  esac
  echo "figure: $name: sent $sent, synack counted $got under $expect"
  [ "$got" -gt 0 ] || missing="$missing $name"
done < <(grep "^kind " "$NET_TMP/malformed.log")
download_check "the malformed frames"
[ -z "$missing" ] || fail "kinds not counted under their drop reason:$missing"
resets=$(stat_counter after TCP_ESTAB_RESETS)
[ "$resets" = 0 ] || fail "$resets connections reset by the spoofed errors"
echo "ok: every malformed kind counted under its reason"
exit 0
