#!/usr/bin/env bash
# Attack 4b: the fragment-table fill. Fragments that never complete arrive from 65,534 spoofed
# sources (half a tail fragment at offset 65,520, half a first fragment, fresh identifications).
# Among them, every 100 ms, the attack tool sends a legitimate SYN from the kernel's address cut in
# two fragments; synack answers each one it reassembles with a SYN-ACK, which the tool counts.
# Asserts: reassembly keeps working for legitimate datagrams during the fill (issue 12 §2: evict
# the oldest context when full, charge memory by bytes held) and the stack's memory stays within
# the reassembly bound. Prints both figures.
set -u
. "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
attack_require
net_setup

SECS=${SYNACK_FRAGFILL_SECS:-6}
RATE=${SYNACK_FRAGFILL_RATE:-5000}
FRAG_MEM=262144          # cfg.frag_mem_bytes default
net_serve 8080 --echo --stats --quiet --gw "$KADDR4"
attack_stats base
mem0=$(stat_memory_live base)
# Without the fill first: the legitimate fragmented SYNs are all answered.
attack_tool fragfill --dport 8080 --src "$KADDR4" --rate 0 --secs 1.7 >"$NET_TMP/fill0.log" 2>&1 ||
  { cat "$NET_TMP/fill0.log"; fail "attack tool"; }
grep -q "sent \([1-9][0-9]*\), answered \1$" "$NET_TMP/fill0.log" ||
  { cat "$NET_TMP/fill0.log"; fail "fragmented SYNs not answered even without an attack"; }
attack_tool fragfill --dport 8080 --src "$KADDR4" --rate "$RATE" --secs "$SECS" >"$NET_TMP/fill.log" 2>&1 ||
  { cat "$NET_TMP/fill.log"; fail "attack tool"; }
attack_stats during
cat "$NET_TMP/fill.log"
sent=$(awk '/legitimate fragmented SYNs/ { print $7 }' "$NET_TMP/fill.log" | tr -d ,)
answered=$(awk '/legitimate fragmented SYNs/ { print $9 }' "$NET_TMP/fill.log")
mem=$(stat_memory_live during)
nomem=$(stat_drop during FRAG_NO_MEMORY)
echo "figure: during the fill $answered of $sent legitimate fragmented SYNs answered;" \
  "memory $mem0 B before, $mem B after (reassembly bound $FRAG_MEM B); $nomem fragments dropped for memory"
[ "$mem" -le $((mem0 + FRAG_MEM)) ] || fail "memory $mem B beyond the reassembly bound"
[ "${answered:-0}" -ge $((sent * 9 / 10)) ] || fail "the fill locked legitimate datagrams out of reassembly"
echo "ok: reassembly bounded and still available during the fill"
exit 0
