#!/usr/bin/env bash
# `synack drill` on its own scripts (tests/drill-selftest): scripts that must pass, scripts
# that must fail with a precise message (mismatch, timing, syntax error...), scripts that must
# be reported UNSUPPORTED, the comparison switches, -D/--define and --verbose.
set -u
CLI=${SYNACK_CLI:?}
DIR=${SYNACK_SOURCE_DIR:?}/tests/drill-selftest
cd "$DIR/../.." || exit 1
D=tests/drill-selftest
fails=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

. "$SYNACK_SOURCE_DIR/tests/cli/drill_lib.sh" # run, has
# last2 A B: the output's last two lines are exactly A and B
last2() {
  local got
  got=$(tail -n 2 "$out")
  if [ "$got" != "$1"$'\n'"$2" ]; then
    echo "FAILED: last lines are:"; echo "$got"; echo "expected:"; echo "$1"; echo "$2"; fails=$((fails + 1))
  fi
}

# 1. every passing script, each under its own profiles (active-open-close runs twice;
# reuseport-v6only.pkt is issue 16's SO_REUSEPORT / IPV6_V6ONLY)
run 0 $D/pass/*.pkt
last2 "0 errors" "24 passed, 0 failed, 0 skipped"
has "PASS $D/pass/active-open-close.pkt [freebsd]"
has "PASS $D/pass/active-open-close.pkt [rfc]"
has "PASS $D/pass/profiles.pkt [linux]"

# 1b. the linux profile's window (cfg.tcp_rcvwnd LINUX) on the scripts that pin Linux's window
# down against the kernel (t_drill_kernel.sh runs them there): the same script passes on both
run 0 $D/kernel/window-*.pkt
last2 "0 errors" "4 passed, 0 failed, 0 skipped"

# 2. mismatches: expected line, actual segment in script syntax, virtual time, the difference
run 1 $D/fail/ack-mismatch.pkt
has "FAIL $D/fail/ack-mismatch.pkt [rfc]"
has "$D/fail/ack-mismatch.pkt:6: expected: > S. 0:0(0) ack 1002 <mss 1460>"
has "$D/fail/ack-mismatch.pkt:6: actual:   > S. 0:0(0) ack 1001 win 65535 <mss 1460> at 0.000000 s"
has "$D/fail/ack-mismatch.pkt:6: ack 1001, expected 1002"
has "0 passed, 1 failed, 0 skipped"

run 1 $D/fail/late.pkt
has "$D/fail/late.pkt:6: sent at 0.000000 s, expected 0.100000 s (tolerance 12500 us)"

run 1 $D/fail/nothing-sent.pkt
has "$D/fail/nothing-sent.pkt:6: actual:   nothing sent by 1.125000 s (expected at 1.000000 s, tolerance 125000 us)"

run 1 $D/fail/strict-segments.pkt
has "$D/fail/strict-segments.pkt:12: actual:   > . 1:1001(1000) ack 1 win 65535 at 0.100000 s"
has "flags ., expected P."

run 1 $D/fail/errno.pkt
has "$D/fail/errno.pkt:9: read() = -1 EAGAIN, expected -1 ENOTCONN"

# UDP lines (drill_udp.c): the datagram in script syntax and the first difference
run 1 $D/fail/udp-port.pkt
has "$D/fail/udp-port.pkt:6: actual:   > udp (10) sport 8080 dport 40000 at 0.000000 s"
has "$D/fail/udp-port.pkt:6: ports 8080 > 40000, expected 8080 > 9999"
run 1 $D/fail/udp-length.pkt
has "$D/fail/udp-length.pkt:6: UDP payload length 10, expected 11"
run 1 $D/fail/icmp-out.pkt
has "$D/fail/icmp-out.pkt:4: actual:   > icmp type 3 code 3 (38 bytes quoted) at 0.000000 s"
has "$D/fail/icmp-out.pkt:4: ICMP type 3 code 3, expected type 3 code 1"
# the error queue (drill_errq.c): a member of the extended error compared
run 1 $D/fail/errqueue.pkt
has "$D/fail/errqueue.pkt:14: recvmsg(MSG_ERRQUEUE): ee_data = 0, expected 1"

# %{ }% (drill_py.c): the condition and the tcpi_* values it read
run 1 $D/fail/assert.pkt
has "$D/fail/assert.pkt:10: assert 1 <= tcpi_snd_cwnd < 10 or tcpi_state != TCP_ESTABLISHED failed: tcpi_snd_cwnd is 10, tcpi_state is 1"

run 1 $D/fail/poll-revents.pkt
has "$D/fail/poll-revents.pkt:10: poll: revents of entry 1 = POLLIN|POLLOUT, expected POLLOUT"

run 1 $D/fail/epoll-events.pkt
has "$D/fail/epoll-events.pkt:10: epoll_wait: no returned event matches {events=EPOLLIN, data=3}; returned: {events=EPOLLOUT, data=3}"

run 1 $D/fail/strict-tail.pkt
has "$D/fail/strict-tail.pkt:6: unexpected segment after the last '>' line (--strict_tail): > S. 0:0(0) ack 1 win 65535 <mss 1460> at 0.000000 s"

# SO_LINGER with a time: close() waits for the FIN's ACK (Linux, also non-blocking sockets);
# a line that expects it to return at once fails as a call that blocked
run 1 $D/fail/linger-close-blocks.pkt
has "$D/fail/linger-close-blocks.pkt:12: close() still blocked at 0.104001 s, expected to return at 0.100000 s"

# --non_fatal=syscall turns a call's mismatch into a warning
run 0 --non_fatal=syscall $D/fail/errno.pkt
has "$D/fail/errno.pkt:9: warning: read() = -1 EAGAIN, expected -1 ENOTCONN"
has "1 passed, 0 failed, 0 skipped"

# 3. a syntax error is its own outcome, ERROR (file:line:col: message): counted on the line
# before the summary, which stays the last line in its historic form; the exit status is 1
run 1 $D/error/syntax.pkt $D/pass/passive-open.pkt
has "ERROR $D/error/syntax.pkt [rfc]"
has "$D/error/syntax.pkt:5:11: END must be START + LEN (0 + 0 != 10)"
last2 "1 error" "1 passed, 0 failed, 0 skipped"
run 1 $D/does-not-exist.pkt
has "ERROR $D/does-not-exist.pkt"
last2 "1 error" "0 passed, 0 failed, 0 skipped"

# 4. comparison switches
run 1 $D/fail/option-order.pkt
has "option layout differs at position 2"
run 0 --options=normalized $D/fail/option-order.pkt
has "1 passed, 0 failed, 0 skipped"
run 1 $D/fail/window.pkt
has "win 65535, expected 1234"
run 0 --window=ignore $D/fail/window.pkt
has "1 passed, 0 failed, 0 skipped"
# --profile on the command line overrides the script's list
run 0 --profile=freebsd $D/pass/active-open-close.pkt
has "1 passed, 0 failed, 0 skipped"

# 5. what cannot be honoured is UNSUPPORTED (not a failure, not a pass), with the reason
run 0 $D/unsupported/*.pkt
has "UNSUPPORTED $D/unsupported/sysctl.pkt [rfc]: $D/unsupported/sysctl.pkt:2: sysctl net.inet.tcp.nolocaltimewait not mapped"
has "UNSUPPORTED $D/unsupported/shell.pkt [rfc]: $D/unsupported/shell.pkt:4: tc: only \`tc qdisc add|replace|change dev DEV root fq|fq_codel|pfifo_fast|pfifo\` and \`tc qdisc del dev DEV root\` are emulated (a qdisc changes pacing only)"
has "UNSUPPORTED $D/unsupported/set-sysctls.pkt [linux]: $D/unsupported/set-sysctls.pkt:4: sysctl net.ipv4.tcp_no_such_knob not mapped"
has "UNSUPPORTED $D/unsupported/sysctl-restore.pkt [rfc]: $D/unsupported/sysctl-restore.pkt:4: sysctl net.inet.tcp.no_such_knob not mapped"
has "UNSUPPORTED $D/unsupported/shell-variable.pkt [rfc]: $D/unsupported/shell-variable.pkt:2: cannot run the command \`sysctl -q net.ipv4.tcp_rmem=\"\$RMEM\"\`: shell expansion '\$RMEM' not supported"
has "UNSUPPORTED $D/unsupported/sysctl-read-piped.pkt [rfc]: $D/unsupported/sysctl-read-piped.pkt:3: reading sysctl net.ipv4.tcp_sack into a pipeline is not supported"
has "UNSUPPORTED $D/unsupported/cmsg.pkt [rfc]: $D/unsupported/cmsg.pkt:3: sendmsg: control messages (SOL_IP/IP_TOS) not supported"
has "UNSUPPORTED $D/unsupported/syscall.pkt [rfc]: $D/unsupported/syscall.pkt:4: system call vmsplice() not supported"
has "UNSUPPORTED $D/unsupported/sockaddr-port.pkt [rfc]: $D/unsupported/sockaddr-port.pkt:4: bind: port 9999 in the sockaddr; the runner uses 8080 (--bind_port, --connect_port)"
has "UNSUPPORTED $D/unsupported/python.pkt [rfc]: $D/unsupported/python.pkt:4: %{ }% statement not supported (assert, NAME = EXPR, print, pass): 'import os'"
last2 "0 errors" "0 passed, 0 failed, 10 skipped"

# 6. -D and --define (word substitution and #ifdef)
run 0 -D OUR_MSS=1460 -DFAST $D/define/mss.pkt
run 0 -D OUR_MSS=1460 $D/define/mss.pkt
run 1 -D OUR_MSS=1000 $D/define/mss.pkt
has "mss 1460, expected 1000"

# 7. --verbose shows the timeline with the stack's state changes
run 0 -v $D/pass/passive-open.pkt
has "stack: entry -1 SYN-RECEIVED -> ESTABLISHED"
has "< S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>"
has "peer (script): SYN-SENT"
has "peer (script): ESTABLISHED"

# 8. drill.opts: the parent directory's, then the script's own directory's, then the header
tmp=$(mktemp -d)
mkdir -p "$tmp/suite/sub"
printf -- '--profile=freebsd,rfc // both\n--tolerance_usecs=5000\n' >"$tmp/suite/drill.opts"
cp $D/pass/passive-open.pkt "$tmp/suite/sub/a.pkt"
grep -v -- '--tolerance_usecs' $D/pass/passive-open.pkt >"$tmp/suite/sub/b.pkt"
run 0 "$tmp/suite/sub/a.pkt" "$tmp/suite/sub/b.pkt"
has "PASS $tmp/suite/sub/a.pkt [freebsd]"
has "PASS $tmp/suite/sub/b.pkt [rfc]"
has "4 passed, 0 failed, 0 skipped"
printf -- '--profile=linux\n' >"$tmp/suite/sub/drill.opts"
run 0 "$tmp/suite/sub/b.pkt"
has "PASS $tmp/suite/sub/b.pkt [linux]"
has "1 passed, 0 failed, 0 skipped"
printf -- '--bogus_option\n' >"$tmp/suite/sub/drill.opts"
run 0 "$tmp/suite/sub/b.pkt"
has "header option --bogus_option not supported"
rm -rf "$tmp"

# 9. usage errors
run 2
run 2 --profile=solaris $D/pass/passive-open.pkt

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all drill CLI checks passed"
