# Shared by the attack suite (source it after setting nothing; not a test itself).
#
#   . "$SYNACK_SOURCE_DIR/tests/attack/attack.sh"
#   attack_require TOOLS...   # net_require + the attack tool built next to the tests
#   attack_stats TAG          # SIGUSR1 to synack serve, waits (bounded) for the dump, keeps it in $NET_TMP/stats.TAG
#   stat_counter TAG NAME     # an event counter of that dump (0 when absent)
#   stat_drop TAG NAME        # a drop-reason counter of that dump (0 when absent)
#   stat_memory TAG           # bytes the stack held at that dump (stat_memory_live: minus the ring cache)
#   stat_halfopen TAG         # half-open entries in the table at that dump
#   attack_tool MODE ARGS...  # runs the tool inside the namespace against synack serve
#   download_file             # a 20 MB random file served from $NET_TMP, its SHA-256 in $WANT
#   download_start RATE [CURL OPTIONS...]  # curl fetches it in the background (paced), pid in $CURL_PID
#   download_check WHAT       # waits (bounded) for curl and checks the SHA-256
#
# The namespace, the TAP and synack's addresses are those of tests/net/netns.sh; synack's MAC is
# the CLI's default. Every wait is bounded.
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"

SYNACK_MAC=02:53:4b:00:00:01
ATTACK_TOOL=${SYNACK_BINARY_DIR:-.}/attack_tool
STATS_SEEN=0

attack_require() {
  net_require "$@"
  [ -x "$ATTACK_TOOL" ] || net_skip "attack tool not built at '$ATTACK_TOOL'"
}

attack_stats() {
  local tag=$1 before
  before=$(grep -c "^end-of-stats" "$NET_TMP/serve.log")
  kill -USR1 "$SERVE_PID" || fail "synack serve is gone"
  for _ in $(seq 1 100); do
    [ "$(grep -c "^end-of-stats" "$NET_TMP/serve.log")" -gt "$before" ] && break
    sleep 0.05
  done
  [ "$(grep -c "^end-of-stats" "$NET_TMP/serve.log")" -gt "$before" ] || fail "no statistics from synack serve"
  # The last dump: from its serve-stats line to its end-of-stats line.
  local from to
  to=$(grep -n "^end-of-stats" "$NET_TMP/serve.log" | tail -1 | cut -d: -f1)
  from=$(head -n "$to" "$NET_TMP/serve.log" | grep -n "^serve-stats:" | tail -1 | cut -d: -f1)
  sed -n "${from},${to}p" "$NET_TMP/serve.log" >"$NET_TMP/stats.$tag"
}

stat_counter() { awk -v n="$2" '$1 == "counter" && $2 == n { v = $3 } END { print v + 0 }' "$NET_TMP/stats.$1"; }
stat_drop() { awk -v n="$2" '$1 == "drop-reason" && $2 == n { v = $3 } END { print v + 0 }' "$NET_TMP/stats.$1"; }
stat_memory() { awk '$1 == "memory" { print $2 }' "$NET_TMP/stats.$1"; }
# Memory held for live state: stat_memory minus the freed rings cached for reuse (bounded apart, by
# cfg.buf_cache_bytes).
stat_memory_live() { awk '$1 == "memory" { print $2 - $4 }' "$NET_TMP/stats.$1"; }
# Full connections (neither listeners, TIME-WAIT nor half-open) in the table at that dump.
stat_conns() {
  local other half
  other=$(awk '$1 == "conn-table:" { print $9 }' "$NET_TMP/stats.$1")
  half=$(stat_halfopen "$1")
  echo $((${other:-0} - ${half:-0}))
}
stat_halfopen() { awk '$1 == "conn-half-open:" { print $2 }' "$NET_TMP/stats.$1"; }

attack_tool() {
  local mode=$1
  shift
  net_in "$ATTACK_TOOL" "$mode" --if "$TAP" --dmac "$SYNACK_MAC" --dst "$SADDR4" "$@"
}

download_file() {
  head -c 20000000 /dev/urandom >"$NET_TMP/big.bin"
  WANT=$(sha256sum <"$NET_TMP/big.bin" | cut -d' ' -f1)
}

download_start() {
  local rate=$1
  shift
  net_bg "$NET_TMP/curl.log" curl -sS --max-time 90 --limit-rate "$rate" "$@" -o "$NET_TMP/out.bin" \
    "http://$SADDR4:8080/big.bin"
  CURL_PID=$NET_LAST_PID
}

download_check() {
  local got
  for _ in $(seq 1 900); do kill -0 "$CURL_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$CURL_PID" || { cat "$NET_TMP/curl.log"; fail "the download did not survive $1"; }
  got=$(sha256sum <"$NET_TMP/out.bin" | cut -d' ' -f1)
  [ "$got" = "$WANT" ] || fail "SHA-256 mismatch after $1: $got != $WANT"
  echo "ok: 20 MB download intact through $1, sha256 $got"
}
