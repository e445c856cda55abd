#!/usr/bin/env bash
# The simulator's pcap capture as real tools see it: tshark and tcpdump read the file, tshark
# finds no malformed packet, its TCP analysis flags exactly one retransmission (the segment the
# sim dropped), and the timestamps are the virtual times of the simulation.
set -u

for tool in tshark tcpdump; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not installed (tools/install-deps.sh installs it)"
    exit 77
  fi
done

bin_dir=${SYNACK_BINARY_DIR:?SYNACK_BINARY_DIR not set}
prog="$bin_dir/sim_test_pcap_capture"
if [ ! -x "$prog" ]; then
  echo "FAIL: $prog not built"
  exit 1
fi

# A private output file: CTest may run the capture program as its own test at the same time.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cap="$work/sim-capture.pcap"
if ! SYNACK_CAPTURE_OUT="$cap" "$prog" >"$work/prog.log" 2>&1; then
  cat "$work/prog.log"
  echo "FAIL: capture program failed"
  exit 1
fi

fail=0
check() { # description, expected, actual
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1"
    echo "  expected: $2"
    echo "  got:      $3"
    fail=1
  else
    echo "ok   $1"
  fi
}

# tshark keeps a profile under $HOME; point it at the scratch directory.
export HOME="$work"

if ! tshark -r "$cap" >"$work/tshark.txt" 2>"$work/tshark.err"; then
  cat "$work/tshark.err"
  echo "FAIL: tshark could not read the capture"
  exit 1
fi
check "tshark sees 17 frames" 17 "$(wc -l <"$work/tshark.txt" | tr -d ' ')"

if ! tcpdump -n -r "$cap" >"$work/tcpdump.txt" 2>"$work/tcpdump.err"; then
  cat "$work/tcpdump.err"
  echo "FAIL: tcpdump could not read the capture"
  exit 1
fi
check "tcpdump sees 17 frames" 17 "$(wc -l <"$work/tcpdump.txt" | tr -d ' ')"
check "tcpdump reports no bad checksum" 0 "$(tcpdump -n -vv -r "$cap" 2>/dev/null | grep -ci 'incorrect' || true)"

# tshark on the capture. A filter tshark rejects must fail the check rather than look like an
# empty match: this runs inside $(...), so it reports through its output, not a variable.
ts() {
  local out
  if ! out=$(tshark -r "$cap" "$@" 2>"$work/ts.err"); then
    cat "$work/ts.err" >&2
    printf 'TSHARK-FAILED(%s)' "$*"
    return
  fi
  printf '%s' "$out"
}

check "no malformed packets" "" "$(ts -Y '_ws.malformed')"
check "no expert errors" "" "$(ts -Y '_ws.expert.severity == error')"
check "IP and TCP checksums verify in all 17 frames" 17 "$(ts -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -Y 'tcp.checksum.status == 1 && ip.checksum.status == 1' | grep -c .)"

retrans=$(ts -Y 'tcp.analysis.retransmission' -T fields -e frame.number -e tcp.seq_raw)
check "exactly one retransmission" 1 "$(printf '%s\n' "$retrans" | grep -c .)"
check "the retransmission is the dropped third segment (seq 1201)" 1201 "$(printf '%s' "$retrans" | cut -f2)"
check "two duplicate ACKs" 2 "$(ts -Y 'tcp.analysis.duplicate_ack' | grep -c .)"

# Virtual times: the SYN at 1 s, the SYN-ACK after a 20 ms round trip, the last ACK at 1.26 s.
times=$(ts -T fields -e frame.time_epoch)
check "first frame at virtual 1.000000 s" "1.000000000" "$(printf '%s\n' "$times" | sed -n 1p)"
check "SYN-ACK at virtual 1.020000 s" "1.020000000" "$(printf '%s\n' "$times" | sed -n 2p)"
check "last frame at virtual 1.260000 s" "1.260000000" "$(printf '%s\n' "$times" | tail -n 1)"
check "tcpdump shows the same first time" "1.000000" \
  "$(tcpdump -n -tt -r "$cap" 2>/dev/null | head -n 1 | cut -d' ' -f1)"

if [ "$fail" -ne 0 ]; then
  echo "--- tshark summary"
  cat "$work/tshark.txt"
  exit 1
fi
echo "all pcap tool checks passed"
