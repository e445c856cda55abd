#!/usr/bin/env bash
# Issue 14 §2, "no wedge, ever": 10,000 connections from the kernel side are opened at once
# against `synack serve --http`, then
#   1. closed by the client while idle, and
#   2. each asked for a page with "Connection: close", so that the server closes first;
# each time with the socket table of the old default (1,024 slots, so most connections wait in
# the accept queue or are refused) and with the limits sized from memory. Afterwards a download
# must succeed at once and the table must drain to its listeners and TIME-WAIT entries.
# Before the fix, case 1 with 1,024 slots left 1,024 connections in CLOSE-WAIT in the accept
# queue for good: every new connection timed out.
set -u
. "$SYNACK_SOURCE_DIR/tests/net/netns.sh"
net_require curl python3 sha256sum
net_setup
ulimit -n 65536 2>/dev/null || ulimit -n 20000 2>/dev/null || true
# The kernel queues at most txqueuelen (1,000) frames towards the TAP; a burst of 10,000 SYNs
# would lose most of them there, before synack sees them. This test is about synack's tables.
ip -n "$NET_NS" link set "$TAP" txqueuelen 20000
N=${SYNACK_WEDGE_CONNS:-10000}

head -c 1000000 /dev/urandom >"$NET_TMP/file.bin"
want=$(sha256sum <"$NET_TMP/file.bin" | cut -d' ' -f1)
echo "<html>hi</html>" >"$NET_TMP/index.html"

# The latest table dump (SIGUSR1) shows no connection a peer or the application still has to
# move: with ALL, nothing but listeners and TIME-WAIT; otherwise orphans finishing their own
# close (FIN-WAIT-1/2, CLOSING, LAST-ACK: bounded by their timers) may remain, stranded ones
# (ESTABLISHED, CLOSE-WAIT, SYN-RECEIVED) may not.
drained() { # ALL|STRANDED
  kill -USR1 "$SERVE_PID"
  sleep 0.3
  local dump
  dump=$(awk '/^conn-table:/ { d = "" } { d = d $0 "\n" } END { printf "%s", d }' "$NET_TMP/serve.log")
  case "$1" in
    ALL) case "$(printf "$dump" | head -1)" in *" other 0") return 0 ;; esac; return 1 ;;
    *) printf "$dump" | grep -qE "^  (ESTABLISHED|CLOSE-WAIT|SYN-RECEIVED) " && return 1; return 0 ;;
  esac
}

run_case() {
  # make check runs the wedge itself (the small table); SYNACK_WEDGE_CASES=all adds the big one.
  case " ${SYNACK_WEDGE_CASES:-8080 8081} " in *" $1 "* | " all ") ;; *) return 0 ;; esac # PORT LIMITS MODE WITHIN (a port per case: the kernel's TIME-WAIT of one case stays apart)
  local port=$1 limits=$2 mode=$3 within=$4
  : >"$NET_TMP/serve.log"
  # shellcheck disable=SC2086
  net_serve "$port" --http "$NET_TMP" --quiet $limits
  grep "limits:" "$NET_TMP/serve.log"
  local t0 out
  t0=$(date +%s.%N)
  out=$(net_in python3 "$SYNACK_SOURCE_DIR/tests/net/peer.py" many "$SADDR4" "$port" "$N" 8 "$mode")
  echo "$mode ($limits): $N opened: $out ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
  # The next client must be served at once, whatever the previous ones left behind.
  t0=$(date +%s.%N)
  net_in curl -sS --max-time "$within" --retry 3 --retry-all-errors --retry-delay 0 -o "$NET_TMP/got.bin" "http://$SADDR4:$port/file.bin" ||
    { kill -USR1 "$SERVE_PID"; sleep 0.3; grep -A40 "conn-table:" "$NET_TMP/serve.log" | tail -40
      fail "download after $mode with '$limits' did not complete within $within s"; }
  echo "download after $mode: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
  [ "$(sha256sum <"$NET_TMP/got.bin" | cut -d' ' -f1)" = "$want" ] || fail "download after $mode: wrong SHA-256"
  # Bounded: what was queued or half-closed must leave the table. When the clients close first
  # everything goes; when the server closes first, orphans whose peer vanished may still be
  # finishing their close on their own timers, but no connection may be stranded.
  local ok=0 what=STRANDED
  [ "$mode" = idle ] && what=ALL
  for _ in $(seq 1 60); do drained "$what" && { ok=1; break; }; sleep 0.5; done
  grep "conn-table:" "$NET_TMP/serve.log" | tail -1
  [ "$ok" = 1 ] || { awk '/^conn-table:/ { d = "" } { d = d $0 "\n" } END { printf "%s", d }' "$NET_TMP/serve.log" |
                     grep -v "^  count\|^  drop" | head -40; fail "table did not drain after $mode ($limits)"; }
  grep -E "TCP_LISTEN_OVERFLOWS|accept queue full|connection table full" "$NET_TMP/serve.log" | tail -3
  net_stop "$SERVE_PID"
  echo "ok: $mode with '$limits'"
}

# The small table: the wedge itself. With the big table all 10,000 are taken at once, and the
# burst of their answers meets the kernel's own input limit (netdev_max_backlog, 1,000 frames,
# not per namespace): answers are lost on the kernel side and retransmitted for a while, so the
# next client is given the time of its own SYN retransmissions.
run_case 8080 "--max-conns 1024 --backlog 1024" idle 3
run_case 8081 "--max-conns 1024 --backlog 1024" request 60
run_case 8082 "" idle 30
run_case 8083 "" request 30
exit 0
