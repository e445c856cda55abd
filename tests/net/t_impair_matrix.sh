#!/usr/bin/env bash
# Issue 13, measurement: the same file sent by synack and by the kernel through the same
# impairments, in one network namespace, cell by cell.
#
#   synack as sender: `synack serve --http` to curl (kernel TCP receives);
#   kernel as sender: tests/net/kernel_http.py (http.server, CUBIC) to `synack get` (synack receives).
# In both cases synack's TAP driver applies the cell's impairments (--loss/--reorder/--dup) in
# both directions, so the data and the ACKs of both senders cross the same random processes
# (same seed per cell). This kernel has no netem; the driver is the only impairment.
#   kernel to kernel (the reference for synack as a receiver): the same http.server to curl in a
#   second namespace, across tests/net/impair_bridge.c, a two-port bridge that runs every frame
#   through the driver's own impairment code (synack_impair_*) in both directions. Built here
#   with cc against the library under test; without cc or the library the columns read "-".
#
# Per cell and family it prints: goodput of each sender (bytes / time from the connection's
# establishment to the last byte, so a lost ARP request or SYN does not count), retransmitted
# segments (synack: TCP_RETRANS_SEGS; kernel: Tcp RetransSegs of the namespace), data segments
# the driver dropped in the data direction ("lost"), RTOs (synack: TCP_RTO_EXPIRED; kernel:
# TcpExt TCPTimeouts), tail-loss probes, undos, and the goodput ratio synack/kernel; for the
# kernel sending to synack also the segments synack's receiver refused by PAWS (RFC 7323 §5.3), a
# loss the driver does not count; and the kernel-to-kernel reference's retransmitted and lost
# segments, to read the kernel's "rtx" against (a receiver that ACKs as the kernel does should
# see about the same).
# SHA-256 is checked for every transfer: a mismatch FAILS the test. The ratios are reported,
# not asserted: the machine is shared and noisy.
#
# Modes: short by default (`make check`: three cells, 2 MB, well under a minute);
#   --full or SYNACK_IMPAIR_MATRIX=full: every cell (loss 0.1/1/3 %, reordering 1/3 %,
#   duplication 3 %, the three together) over IPv4 and IPv6, 20 MB (bench/bench_impair_matrix.sh).
# SYNACK_MATRIX_BYTES overrides the file size, SYNACK_MATRIX_CELLS=loss-1,mix the cells,
# SYNACK_MATRIX_OUT=FILE also writes the Markdown table there, SYNACK_MATRIX_PACING=on|off runs
# synack with `--pacing on|off` (the configuration's default otherwise). The kernel sends with
# CUBIC, synack's default algorithm (tests/net/kernel_http.py sets TCP_CONGESTION);
# SYNACK_MATRIX_KERNEL_CC=NAME picks another, =host keeps the namespace's default.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require curl python3 sha256sum awk

mode=short
if [ "${1:-}" = --full ] || [ "${SYNACK_IMPAIR_MATRIX:-}" = full ]; then mode=full; fi

# name|impairments (the driver's flags)
ALL_CELLS=(
  "loss-0.1|--loss 0.1%"
  "loss-1|--loss 1%"
  "loss-3|--loss 3%"
  "reorder-1|--reorder 1%"
  "reorder-3|--reorder 3%"
  "dup-3|--dup 3%"
  "mix|--loss 3% --reorder 3% --dup 3%"
)
if [ "$mode" = full ]; then
  BYTES=${SYNACK_MATRIX_BYTES:-20000000}
  RUNS=()
  for c in "${ALL_CELLS[@]}"; do RUNS+=("${c%%|*}/4" "${c%%|*}/6"); done
else
  BYTES=${SYNACK_MATRIX_BYTES:-2000000}
  RUNS=("loss-1/4" "reorder-3/6" "mix/4")
fi
if [ -n "${SYNACK_MATRIX_CELLS:-}" ]; then
  sel=()
  for r in "${RUNS[@]}"; do
    case ",$SYNACK_MATRIX_CELLS," in *",${r%/*},"*) sel+=("$r") ;; esac
  done
  RUNS=("${sel[@]}")
fi
[ "${#RUNS[@]}" -gt 0 ] || fail "no cell selected"

net_setup
mkdir "$NET_TMP/www"
head -c "$BYTES" /dev/urandom >"$NET_TMP/www/f.bin"
echo >"$NET_TMP/www/up"
want=$(sha256sum <"$NET_TMP/www/f.bin" | cut -d' ' -f1)

impair_of() { # CELL -> its driver flags
  local c
  for c in "${ALL_CELLS[@]}"; do
    [ "${c%%|*}" = "$1" ] && { echo "${c#*|}"; return 0; }
  done
  return 1
}

# The kernel's TCP counters of the namespace (IPv4 and IPv6 count together in Tcp/TcpExt):
# "retrans rtos tlp undo".
kernel_counters() {
  net_in cat /proc/net/snmp /proc/net/netstat | awk '
    { p = $1
      if (!(p in seen)) { seen[p] = 1; for (i = 2; i <= NF; i++) name[p, i] = $i }
      else for (i = 2; i <= NF; i++) v[p name[p, i]] = $i }
    END { print v["Tcp:RetransSegs"] + 0, v["TcpExt:TCPTimeouts"] + 0, v["TcpExt:TCPLossProbes"] + 0,
                v["TcpExt:TCPDSACKUndo"] + v["TcpExt:TCPFullUndo"] + v["TcpExt:TCPPartialUndo"] + v["TcpExt:TCPLossUndo"] + v["TcpExt:TCPSpuriousRTOs"] }'
}

# From a synack --stats log: the value of one event counter (0 when it never fired).
event_of() { awk -v n="$2" '$1 == "counter" && $2 == n { v = $3 } END { print v + 0 }' "$1"; }
# Segments the driver dropped in one direction (random loss + queue full).
lost_of() {
  awk -v d="$2" '$1 == "impair" && $2 == d {
      for (i = 3; i < NF; i++) { if ($i == "lost") l = $(i + 1); if ($i == "full") f = $(i + 1) } }
    END { print l + f }' "$1"
}

# The kernel sender's congestion control: CUBIC (synack's default) unless
# SYNACK_MATRIX_KERNEL_CC names another ("host": the namespace's default, BBR on some hosts).
kcc=${SYNACK_MATRIX_KERNEL_CC:-cubic}
[ "$kcc" = host ] && kcc=
net_bg "$NET_TMP/http.log" python3 "$SYNACK_SOURCE_DIR/tests/net/kernel_http.py" "$NET_TMP/www" 8000 "$kcc"
net_wait 10 net_in python3 -c "import socket; socket.create_connection(('$KADDR4', 8000), 1)" ||
  { cat "$NET_TMP/http.log"; fail "the kernel's HTTP server did not start"; }
kcc_used=$(awk '$1 == "cc" { print $2 }' "$NET_TMP/http.log")

# The kernel-to-kernel reference: namespace $NS2 behind the bridge (198.18.1.0/24, fd00:1::/64).
NS2=
ORACLE=0
libdir=$(cd "$(dirname "$SYNACK_CLI")" && pwd)
# A sanitizer build's library needs its runtimes in the program too.
san=()
[ -e "$libdir/libsynack.so" ] && ldd "$libdir/libsynack.so" | grep -q libasan && san=(-fsanitize=address,undefined)
if command -v "${CC:-cc}" >/dev/null && [ -e "$libdir/libsynack.so" ] &&
  "${CC:-cc}" -std=c11 -O2 "${san[@]}" -I"$SYNACK_SOURCE_DIR/include" -o "$NET_TMP/impair_bridge" \
    "$SYNACK_SOURCE_DIR/tests/net/impair_bridge.c" -L"$libdir" -lsynack -Wl,-rpath,"$libdir" &&
  { "$NET_TMP/impair_bridge" >/dev/null 2>&1; [ $? = 2 ]; }; then
  NS2="$NET_NS-r"
  trap 'rc=$?; ip netns del "$NS2" 2>/dev/null; net_teardown; exit $rc' EXIT
  ip netns add "$NS2" || fail "cannot create $NS2"
  ip -n "$NS2" link set lo up
  ip -n "$NET_NS" tuntap add dev kb0 mode tap && ip -n "$NS2" tuntap add dev kr0 mode tap || fail "bridge TAPs"
  ip -n "$NET_NS" link set kb0 up
  ip -n "$NET_NS" addr add 198.18.1.1/24 dev kb0
  ip -n "$NET_NS" addr add fd00:1::1/64 dev kb0 nodad
  ip -n "$NS2" link set kr0 up
  ip -n "$NS2" addr add 198.18.1.2/24 dev kr0
  ip -n "$NS2" addr add fd00:1::2/64 dev kr0 nodad
  ip netns exec "$NS2" sysctl -qw net.ipv6.conf.kr0.accept_ra=0 2>/dev/null
  ORACLE=1
else
  echo "note: no kernel-to-kernel reference (no compiler, or $libdir/libsynack.so missing or unusable)"
fi
# Segments the kernel's receiver in namespace $1 refused by PAWS (TcpExt PAWSEstab).
paws_estab() {
  ip netns exec "$1" cat /proc/net/netstat | awk '
    $1 == "TcpExt:" { if (!n++) { for (i = 2; i <= NF; i++) if ($i == "PAWSEstab") k = i } else print $k + 0 }'
}
# A cell's impairment flags as the bridge's probabilities: "loss dup reorder".
bridge_probs() {
  awk '{ l = d = r = 0
         for (i = 1; i < NF; i++) { v = $(i + 1); sub("%", "", v)
           if ($i == "--loss") l = v / 100; if ($i == "--dup") d = v / 100; if ($i == "--reorder") r = v / 100 }
         print l, d, r }' <<<"$1"
}

ROWS=()
port=8100
seed=40
for run in "${RUNS[@]}"; do
  cell=${run%/*}
  fam=${run#*/}
  read -r -a imp <<<"$(impair_of "$cell")" || fail "unknown cell $cell"
  port=$((port + 1))
  seed=$((seed + 1))
  IMPAIR=("${imp[@]}" --impair both --seed "$seed")
  [ -n "${SYNACK_MATRIX_PACING:-}" ] && IMPAIR+=(--pacing "$SYNACK_MATRIX_PACING")
  if [ "$fam" = 6 ]; then s_url="http://[$SADDR6]:$port/f.bin" k_url="http://[$KADDR6]:8000/f.bin"
  else s_url="http://$SADDR4:$port/f.bin" k_url="http://$KADDR4:8000/f.bin"; fi

  # synack sends.
  net_serve "$port" --http "$NET_TMP/www" --stats --quiet "${IMPAIR[@]}"
  cw=$(net_in curl -sS --max-time 300 -o "$NET_TMP/s.bin" -w '%{size_download} %{time_connect} %{time_total}' "$s_url") ||
    { cat "$NET_TMP/serve.log"; fail "$cell/IPv$fam: curl from synack serve"; }
  net_stop "$SERVE_PID"
  got=$(sha256sum <"$NET_TMP/s.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "$cell/IPv$fam: SHA-256 mismatch, synack sender: $got != $want"
  s_mbps=$(awk -v w="$cw" 'BEGIN { split(w, a, " "); d = a[3] - a[2]; printf "%.1f", (d > 0 ? a[1] * 8 / d / 1e6 : 0) }')
  slog=$NET_TMP/serve.log
  s_rtx=$(event_of "$slog" TCP_RETRANS_SEGS)
  s_rto=$(event_of "$slog" TCP_RTO_EXPIRED)
  s_tlp=$(event_of "$slog" TCP_TLP_PROBES)
  s_undo=$(event_of "$slog" TCP_SPURIOUS_UNDO)
  s_lost=$(lost_of "$slog" out)
  grep -q "^  impair out" "$slog" || { cat "$slog"; fail "$cell/IPv$fam: no impairment statistics from synack serve"; }

  # The kernel sends.
  read -r k0_rtx k0_rto k0_tlp k0_undo <<<"$(kernel_counters)"
  net_synack get --stats "${IMPAIR[@]}" "$k_url" -o "$NET_TMP/k.bin" 2>"$NET_TMP/get.log" ||
    { cat "$NET_TMP/get.log"; fail "$cell/IPv$fam: synack get from the kernel"; }
  read -r k1_rtx k1_rto k1_tlp k1_undo <<<"$(kernel_counters)"
  got=$(sha256sum <"$NET_TMP/k.bin" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "$cell/IPv$fam: SHA-256 mismatch, kernel sender: $got != $want"
  k_mbps=$(awk '/^get-stats:/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbit/s") v = $i } END { printf "%.1f", v }' "$NET_TMP/get.log")
  k_lost=$(lost_of "$NET_TMP/get.log" in)
  k_paws=$(awk '$1 == "drop-reason" && $2 == "TCP_PAWS" { v = $3 } END { print v + 0 }' "$NET_TMP/get.log")

  # The kernel sends to the kernel through the bridge (same cell, same seed).
  o_rtx=- o_lost=- o_mbps=- o_paws=-
  if [ "$ORACLE" = 1 ]; then
    read -r p_loss p_dup p_reo <<<"$(bridge_probs "${imp[*]}")"
    net_bg "$NET_TMP/bridge.log" "$NET_TMP/impair_bridge" "$NET_NS" kb0 "$NS2" kr0 "$seed" "$p_loss" "$p_dup" "$p_reo" "$NET_TMP/bridge.stats"
    bpid=$NET_LAST_PID
    if [ "$fam" = 6 ]; then o_url="http://[fd00:1::1]:8000/f.bin"; else o_url="http://198.18.1.1:8000/f.bin"; fi
    # The path is up (neighbours resolved) once a one-byte file comes through; the big file is
    # not used for this (http.server ignores ranges: the probe's leftovers would be counted).
    net_wait 10 ip netns exec "$NS2" curl -s --max-time 2 -o /dev/null "${o_url%/f.bin}/up" || fail "$cell/IPv$fam: no path through the bridge"
    read -r o0_rtx _ <<<"$(kernel_counters)"
    o0_paws=$(paws_estab "$NS2")
    ow=$(ip netns exec "$NS2" curl -sS --max-time 300 -o "$NET_TMP/o.bin" -w '%{size_download} %{time_connect} %{time_total}' "$o_url") ||
      fail "$cell/IPv$fam: curl through the bridge"
    read -r o1_rtx _ <<<"$(kernel_counters)"
    o1_paws=$(paws_estab "$NS2")
    net_stop "$bpid"
    got=$(sha256sum <"$NET_TMP/o.bin" | cut -d' ' -f1)
    [ "$got" = "$want" ] || fail "$cell/IPv$fam: SHA-256 mismatch, kernel to kernel: $got != $want"
    o_rtx=$((o1_rtx - o0_rtx))
    o_paws=$((o1_paws - o0_paws))
    o_lost=$(awk '$1 == "a->b" { print $3 + $5 }' "$NET_TMP/bridge.stats")
    o_mbps=$(awk -v w="$ow" 'BEGIN { split(w, a, " "); d = a[3] - a[2]; printf "%.1f", (d > 0 ? a[1] * 8 / d / 1e6 : 0) }')
  fi

  # Every lost data segment must have been sent again: a sender with losses and no counted
  # retransmission means the counters were not read (a changed --stats or /proc format).
  [ "$s_lost" -gt 0 ] && [ "$s_rtx" -eq 0 ] && { cat "$slog"; fail "$cell/IPv$fam: synack lost $s_lost segments, counted no retransmission"; }
  [ "$k_lost" -gt 0 ] && [ "$((k1_rtx - k0_rtx))" -eq 0 ] && fail "$cell/IPv$fam: the kernel lost $k_lost segments, counted no retransmission"

  ratio=$(awk -v s="$s_mbps" -v k="$k_mbps" 'BEGIN { if (k > 0) printf "%.2f", s / k; else print "-" }')
  row=$(printf "| %s | IPv%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" "$cell" "$fam" \
    "$s_mbps" "$s_rtx" "$s_lost" "$s_rto" "$s_tlp" "$s_undo" \
    "$k_mbps" "$((k1_rtx - k0_rtx))" "$k_lost" "$((k1_rto - k0_rto))" "$((k1_tlp - k0_tlp))" "$k_paws" \
    "$o_mbps" "$o_rtx" "$o_lost" "$o_paws" "$ratio")
  ROWS+=("$row")
  echo "ok: $cell IPv$fam: sha256 matches for both senders; $row"
done

{
  echo
  echo "impairment matrix ($mode): $BYTES bytes per transfer, synack's TAP driver impairing both directions, synack pacing ${SYNACK_MATRIX_PACING:-default}"
  echo "goodput = bytes / time after the connection is established; lost = data segments the driver dropped"
  echo "kernel: the kernel sends to synack, congestion control $kcc_used (synack PAWS = segments synack's receiver refused by PAWS);"
  echo "k->k: the kernel sends to the kernel through the same impairments (the receiver-side reference; k->k PAWS = TcpExt PAWSEstab of its receiver)"
  echo
  echo "| cell | family | synack Mbit/s | synack rtx | synack lost | synack RTOs | synack TLPs | synack undos | kernel Mbit/s | kernel rtx | kernel lost | kernel RTOs | kernel TLPs | synack PAWS | k->k Mbit/s | k->k rtx | k->k lost | k->k PAWS | synack/kernel |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$NET_TMP/table.md"
[ -n "${SYNACK_MATRIX_OUT:-}" ] && cp "$NET_TMP/table.md" "$SYNACK_MATRIX_OUT"
exit 0
