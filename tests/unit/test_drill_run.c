/* The engine of `synack drill` (tools/drill/drill_run.c, drill_pkt.c, drill_call.c, drill_shell.c)
 * driven in-process: tolerance edges, timestamp rules, relative time after blocking calls,
 * errno aliases, the sysctl table, and what makes a run FAIL or UNSUPPORTED. */
#include "drill.h"
#include "harness.h"

static char msg[4096];

static drill_status_t run_profile(const char *text, const char *profile) {
  drill_script_t s;
  char err[512];
  msg[0] = '\0';
  if (drill_parse("t.pkt", text, NULL, 0, &s, err, sizeof err) != 0) {
    snprintf(msg, sizeof msg, "%s", err);
    return (drill_status_t)-1;
  }
  drill_opts_t o;
  memset(&o, 0, sizeof o);
  o.profile = profile;
  drill_status_t st = drill_run(&s, &o, msg, sizeof msg);
  drill_script_free(&s);
  return st;
}

static drill_status_t run(const char *text) { return run_profile(text, "rfc"); }

#define LISTEN_HEAD                                          \
  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"            \
  "+0 bind(3, ..., ...) = 0\n"                               \
  "+0 listen(3, 1) = 0\n"                                    \
  "+0 < S 0:0(0) win 65535 <mss 1460>\n"                     \
  "+0 > S. 0:0(0) ack 1 <mss 1460>\n"                        \
  "0.1 < . 1:1(0) ack 1 win 65535\n"                         \
  "+0 accept(3, ..., ...) = 4\n"

/* The rfc profile acknowledges one small segment after its 200 ms delayed-ACK timer: data at
 * 0.1 s is acknowledged at 0.3 s. With a 4 ms tolerance (and no percentage), 0.296 and 0.304 are
 * the last expected times that still match. */
static void tolerance_edges(void) {
  const char *fmt = "--tolerance_usecs=4000\n--tolerance_percent=0\n" LISTEN_HEAD
                    "+0 < P. 1:11(10) ack 1 win 65535\n"
                    "%s > . 1:1(0) ack 11\n";
  char text[2048];
  snprintf(text, sizeof text, fmt, "0.296");
  CHECK_EQ_I(run(text), DRILL_PASS);
  snprintf(text, sizeof text, fmt, "0.304");
  CHECK_EQ_I(run(text), DRILL_PASS);
  snprintf(text, sizeof text, fmt, "0.2959");
  CHECK_EQ_I(run(text), DRILL_FAIL);
  CHECK(strstr(msg, "t.pkt:11: sent at 0.300000 s, expected 0.295900 s (tolerance 4000 us)") != NULL);
  snprintf(text, sizeof text, fmt, "0.3041");
  CHECK_EQ_I(run(text), DRILL_FAIL);
  CHECK(strstr(msg, "t.pkt:11: sent at 0.300000 s, expected 0.304100 s (tolerance 4000 us)") != NULL);
  /* the percentage of the gap since the previous event (0.1 s): 12.5 % of 0.18 s = 22.5 ms */
  snprintf(text, sizeof text, "%s", LISTEN_HEAD "+0 < P. 1:11(10) ack 1 win 65535\n0.28 > . 1:1(0) ack 11\n");
  CHECK_EQ_I(run(text), DRILL_PASS);
  snprintf(text, sizeof text, "%s", LISTEN_HEAD "+0 < P. 1:11(10) ack 1 win 65535\n0.27 > . 1:1(0) ack 11\n");
  CHECK_EQ_I(run(text), DRILL_FAIL);
  /* a window and '*' */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 < P. 1:11(10) ack 1 win 65535\n+.15~+.25 > . 1:1(0) ack 11\n"), DRILL_PASS);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 < P. 1:11(10) ack 1 win 65535\n+.25~+.3 > . 1:1(0) ack 11\n"), DRILL_FAIL);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 < P. 1:11(10) ack 1 win 65535\n* > . 1:1(0) ack 11\n+0 read(4, ..., 5) = 5\n"),
             DRILL_PASS);
}

/* Relative times after a blocking call count from its start; its return time is checked. */
static void blocking_relative_time(void) {
  const char *ok = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                   "+0 bind(3, ..., ...) = 0\n"
                   "+0 listen(3, 1) = 0\n"
                   "+.5...+.2 accept(3, ..., ...) = 4\n"
                   "+.1 < S 0:0(0) win 65535 <mss 1460>\n"
                   "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                   "+.1 < . 1:1(0) ack 1 win 65535\n";
  CHECK_EQ_I(run(ok), DRILL_PASS);
  const char *early = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                      "+0 bind(3, ..., ...) = 0\n"
                      "+0 listen(3, 1) = 0\n"
                      "+.5...+.9 accept(3, ..., ...) = 4\n"
                      "+.1 < S 0:0(0) win 65535 <mss 1460>\n"
                      "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                      "+.1 < . 1:1(0) ack 1 win 65535\n";
  CHECK_EQ_I(run(early), DRILL_FAIL);
  CHECK(strstr(msg, "t.pkt:4: accept() returned at 0.700000 s, expected at 1.400000 s") != NULL);
  const char *never = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                      "+0 bind(3, ..., ...) = 0\n"
                      "+0 listen(3, 1) = 0\n"
                      "+0...1 accept(3, ..., ...) = 4\n";
  CHECK_EQ_I(run(never), DRILL_FAIL);
  CHECK(strstr(msg, "t.pkt:4: accept() still blocked at 1.125001 s, expected to return at 1.000000 s") != NULL);
  /* without '...' a call that would block returns EAGAIN (EWOULDBLOCK is the same errno) */
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
                 "+0 accept(3, ..., ...) = -1 EWOULDBLOCK\n"),
             DRILL_PASS);
}

/* Outbound TS val against --tcp_ts_tick_usecs, inbound ecr substitution. */
static void timestamps(void) {
  const char *fmt = "--tcp_ts_tick_usecs=%s\n"
                    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                    "+0 bind(3, ..., ...) = 0\n"
                    "+0 listen(3, 1) = 0\n"
                    "+0 < S 0:0(0) win 65535 <mss 1460,TS val 5 ecr 0>\n"
                    "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,TS val 50 ecr 5>\n"
                    "+.9 < . 1:1(0) ack 1 win 65535 <nop,nop,TS val 6 ecr 50>\n"
                    "+0 accept(3, ..., ...) = 4\n"
                    "+0 write(4, ..., 10) = 10\n"
                    "+0 > P. 1:11(10) ack 1 <nop,nop,TS val %s ecr 6>\n";
  char text[2048];
  snprintf(text, sizeof text, fmt, "1000", "950");
  CHECK_EQ_I(run(text), DRILL_PASS);
  snprintf(text, sizeof text, fmt, "10000", "140");
  CHECK_EQ_I(run(text), DRILL_PASS);
  snprintf(text, sizeof text, fmt, "1000", "1050");
  CHECK_EQ_I(run(text), DRILL_FAIL);
  CHECK(strstr(msg, "TS val advanced 900000 us since the first, expected 1000000 us (tick 1000 us)") != NULL);
  /* ecr 50 is the SYN-ACK's TS val: the stack takes an RTT sample of 0.9 s from it */
  const char *rtt = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                    "+0 bind(3, ..., ...) = 0\n"
                    "+0 listen(3, 1) = 0\n"
                    "+0 < S 0:0(0) win 65535 <mss 1460,TS val 5 ecr 0>\n"
                    "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,TS val 50 ecr 5>\n"
                    "+.9 < . 1:1(0) ack 1 win 65535 <nop,nop,TS val 6 ecr 50>\n"
                    "+0 accept(3, ..., ...) = 4\n"
                    "+0 %{ assert tcpi_rtt >= 890000 ; assert tcpi_rtt <= 910000 }%\n";
  CHECK_EQ_I(run(rtt), DRILL_PASS);
}

static void packet_fields(void) {
  CHECK_EQ_I(run(LISTEN_HEAD "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1 urg 3\n"), DRILL_FAIL);
  CHECK(strstr(msg, "urg 0, expected 3") != NULL);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1 <nop,nop,sackOK>\n"), DRILL_FAIL);
  CHECK(strstr(msg, "options present, expected none") == NULL);
  CHECK(strstr(msg, "option layout differs at position 1") != NULL);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1 win 65535 <...>\n"), DRILL_PASS);
  /* the RST of a closed port: no SYN seen, so numbers are literal */
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                 "+0 < . 1000:1000(0) ack 5000 win 100\n"
                 "+0 > R 5000:5000(0)\n"),
             DRILL_PASS);
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                 "+0 < S 1000:1000(0) win 100\n"
                 "+0 > R. 0:0(0) ack 1001\n"),
             DRILL_PASS);
  /* ...(LEN) continues the peer's sequence */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 < P. 1:11(10) ack 1 win 65535\n+0 < P. ...(10) ack 1 win 65535\n"
                             "+0 read(4, ..., 100) = 20\n"),
             DRILL_PASS);
}

/* Payload bytes follow a pattern indexed by stream offset in both directions: reads check what
 * the stack delivers, '>' lines check what it sends. */
static void payload_check(void) {
  CHECK_EQ_I(run(LISTEN_HEAD "+0 < P. 11:21(10) ack 1 win 65535\n"
                             "+0 > . 1:1(0) ack 1 <...>\n"
                             "+0 < P. 1:11(10) ack 1 win 65535\n"
                             "+0 > . 1:1(0) ack 21 <...>\n" /* RFC 5681: the hole is filled, ACK at once */
                             "+0 read(4, ..., 5) = 5\n"
                             "+0 read(4, ..., 100) = 15\n"
                             "+0 write(4, ..., 2920) = 2920\n"
                             "+0 > P. 1:2921(2920) ack 21\n"),
             DRILL_PASS);
  /* A RST the stack ignores (out of window, RFC 5961) followed by a SYN makes the script's peer
   * believe in a new connection with ISN 5000, so its data no longer matches the stream the
   * stack delivers: the read shows it. */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 < R 50000:50000(0) win 0\n"
                             "+0 < S 5000:5000(0) win 65535\n"
                             "+0 < P. 1:11(10) ack 1 win 65535\n"
                             "+0 read(4, ..., 100) = 10\n"),
             DRILL_FAIL);
  CHECK(strstr(msg, "t.pkt:11: read() data differs from what the peer sent at stream offset 0") != NULL);
}

static void unsupported(void) {
  CHECK_EQ_I(run("--wire_client=x\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:1: header option --wire_client not supported\n");
  /* packetdrill's tun routing options: no effect here, but they must be addresses */
  CHECK_EQ_I(run("--gateway_ip=192.168.0.1\n--netmask_ip=255.255.0.0\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"),
             DRILL_PASS);
  CHECK_EQ_I(run("--gateway_ip=gw\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:1: --gateway_ip=gw: not an address\n");
  /* UDP sockets run (drill_udp.c); other socket types and what UDP has not are UNSUPPORTED */
  CHECK_EQ_I(run("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"), DRILL_PASS);
  CHECK_EQ_I(run("0 socket(..., 3, 0) = 3\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:1: socket: only SOCK_STREAM and SOCK_DGRAM are supported\n");
  CHECK_EQ_I(run("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 listen(3, 1) = -1 EOPNOTSUPP\n"), DRILL_PASS);
  CHECK_EQ_I(run("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 shutdown(3, SHUT_RD) = 0\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: shutdown() on a UDP socket not supported\n");
  CHECK_EQ_I(run("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 sendto(3, ..., 1, MSG_MORE, ..., ...) = 1\n"),
             DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: sendto on a UDP socket: flags 0x8000 not supported\n");
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_INFO, [1], [4]) = 0\n"),
             DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: getsockopt TCP_INFO: the value must be written {tcpi_FIELD=VALUE, ...} or ...\n");
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                 "+0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=TCP_CLOSE, tcpi_fackets=0}, [104]) = 0\n"),
             DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: TCP_INFO field tcpi_fackets not available\n");
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_INFO, ..., [104]) = 0\n"
                 "+0 setsockopt(3, SOL_TCP, TCP_INFO, [1], 4) = -1 ENOPROTOOPT\n"),
             DRILL_PASS);
  /* TCP_CONGESTION by Linux's names */
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                 "+0 getsockopt(3, SOL_TCP, TCP_CONGESTION, \"reno\", [16]) = 0\n"
                 "+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, \"cubic\", 5) = 0\n"
                 "+0 getsockopt(3, SOL_TCP, TCP_CONGESTION, \"cubic\", [16]) = 0\n"),
             DRILL_PASS);
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                 "+0 getsockopt(3, SOL_TCP, TCP_CONGESTION, \"cubic\", [16]) = 0\n"),
             DRILL_FAIL);
  CHECK(strstr(msg, "getsockopt TCP_CONGESTION = \"reno\", expected \"cubic\"") != NULL);
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                 "+0 setsockopt(3, SOL_TCP, TCP_CONGESTION, \"bbr\", 3) = 0\n"),
             DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: setsockopt TCP_CONGESTION \"bbr\": synack has reno and cubic\n");
  /* getsockopt TCP_INFO compares the written fields */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, tcpi_snd_mss=1460, "
                             "tcpi_unacked=0, tcpi_rto=...}, [104]) = 0\n"),
             DRILL_PASS);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_SYN_RECV}, [104]) = 0\n"), DRILL_FAIL);
  CHECK(strstr(msg, "t.pkt:8: getsockopt TCP_INFO tcpi_state = 1, expected 3") != NULL);
  /* a value synack_stack_set_config refuses on the timeline */
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sysctl -w net.inet.tcp.rexmit_min=0`\n"),
             DRILL_UNSUPPORTED);
  CHECK(strstr(msg, "sysctl net.inet.tcp.rexmit_min=0: refused by synack_stack_set_config") != NULL);
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ print(tcpi_rto) }%\n"), DRILL_PASS);
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ import os }%\n"), DRILL_UNSUPPORTED);
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_rto > 0 and nosuchname }%\n"),
             DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: %{ }%: unknown name nosuchname\n");
  CHECK_EQ_I(run("`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"), DRILL_UNSUPPORTED);
  CHECK_EQ_I(run_profile("`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "linux"),
             DRILL_PASS);
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sockstat | grep -c 'ESTAB.*' | grep 1`\n"),
             DRILL_UNSUPPORTED);
  /* what the runner cannot honour in a call is UNSUPPORTED, never ignored or failed */
#define SOCK3 "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
  CHECK_EQ_I(run(SOCK3 "+0 poll([{fd=3, events=POLLIN, revents=0, extra=1}], 1, 0) = 0\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: poll: unknown pollfd member extra\n");
  CHECK_EQ_I(run(SOCK3 "+0 fcntl(3, F_SETFL, O_RDWR|0x400) = 0\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: fcntl F_SETFL 0x402: only O_NONBLOCK is emulated\n");
  CHECK_EQ_I(run(SOCK3 "+0 fcntl(3, F_SETFD, FD_CLOEXEC) = 0\n+0 fcntl(3, F_GETFD) = 1\n"), DRILL_PASS);
  /* SO_MAX_PACING_RATE (SOL_SOCKET 47): Linux's ~0U "no cap" reads back as -1 through an int */
  CHECK_EQ_I(run(SOCK3 "+0 getsockopt(3, SOL_SOCKET, SO_MAX_PACING_RATE, [-1], [4]) = 0\n"
                       "+0 setsockopt(3, SOL_SOCKET, SO_MAX_PACING_RATE, [1000000], 4) = 0\n"
                       "+0 getsockopt(3, SOL_SOCKET, SO_MAX_PACING_RATE, [1000000], [4]) = 0\n"),
             DRILL_PASS);
  CHECK_EQ_I(run(SOCK3 "+0 getsockopt(3, SOL_SOCKET, SO_MAX_PACING_RATE, [5], [4]) = 0\n"), DRILL_FAIL);
  CHECK_EQ_I(run(SOCK3 "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0, x=2}, 8) = 0\n"),
             DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: setsockopt SO_LINGER: unknown member x\n");
  CHECK_EQ_I(run(SOCK3 "+0 tee(3, 4, 10, 0) = 10\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: system call tee() not supported\n");
  CHECK_EQ_I(run(SOCK3 "+0 epoll_create1(0) = 5\n+0 read(5, ..., 10) = -1 EINVAL\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:3: read() on an epoll fd not emulated\n");
  CHECK_EQ_I(run(SOCK3 "+0 epoll_create1(0) = 5\n"
                       "+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLWAKEUP, fd=3}) = 0\n"),
             DRILL_UNSUPPORTED);
  CHECK_EQ_I(run(SOCK3 "+0 epoll_create(0) = -1 EINVAL\n+0 epoll_create1(0x1) = -1 EINVAL\n"
                       "+0 epoll_ctl(9, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = -1 EBADF\n"
                       "+0 epoll_create1(EPOLL_CLOEXEC) = 5\n+0 fcntl(5, F_GETFD) = 1\n"
                       "+0 epoll_ctl(5, EPOLL_CTL_MOD, 3, {events=EPOLLIN, fd=3}) = -1 ENOENT\n"
                       "+0 epoll_ctl(5, EPOLL_CTL_ADD, 5, {events=EPOLLIN, fd=5}) = -1 EINVAL\n"
                       "+0 close(3) = 0\n+0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = -1 EBADF\n"),
             DRILL_PASS);
  CHECK_EQ_I(run(SOCK3 "+0 accept4(3, ..., ..., 0x1) = -1 EINVAL\n"), DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: accept4: flags 0x1 not supported\n");
  CHECK_EQ_I(run(SOCK3 "+0 recvmsg(3, {msg_iov(2)=[{iov_base=..., iov_len=1}], msg_flags=0}, 0) = 1\n"),
             DRILL_UNSUPPORTED);
  CHECK_STR(msg, "t.pkt:2: recvmsg: msg_iov(2) lists 1 elements\n");
  CHECK_EQ_I(run(SOCK3 "+0 sendmsg(3, {msg_name(...)=[1], msg_iov(1)=[{iov_base=..., iov_len=1}]}, 0) = 1\n"),
             DRILL_UNSUPPORTED);
#undef SOCK3
  CHECK_EQ_I(run(LISTEN_HEAD "+0 `sockstat -P udp | grep -c x | grep 0`\n"), DRILL_UNSUPPORTED);
  CHECK(strstr(msg, "sockstat -P udp: synack's table holds TCP only") != NULL);
}

/* A sysctl on the timeline changes the running stack (synack_stack_set_config): the RFC 5961
 * RST check is a switch FreeBSD reads per segment, so the established connection follows it. */
static void sysctl_on_timeline(void) {
  /* RFC 5961 on: a RST inside the window but not at RCV.NXT gets a challenge ACK */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 < R 100:100(0) win 0\n+0 > . 1:1(0) ack 1\n"
                             "+0 read(4, ..., 10) = -1 EAGAIN\n"),
             DRILL_PASS);
  /* insecure_rst=1 on the timeline: the same RST now resets the existing connection */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 `sysctl -w net.inet.tcp.insecure_rst=1`\n+0 < R 100:100(0) win 0\n"
                             "+0 read(4, ..., 10) = -1 ECONNRESET\n"),
             DRILL_PASS);
  /* SACK off on the timeline: the next SYN-ACK does not offer it (a new connection) */
  CHECK_EQ_I(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
                 "+0 listen(3, 1) = 0\n+0 `sysctl -w net.inet.tcp.sack.enable=0`\n"
                 "+0 < S 0:0(0) win 65535 <mss 1460,sackOK>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n"),
             DRILL_PASS);
}

static void shell_helpers(void) {
  CHECK_EQ_I(run(LISTEN_HEAD "+0 `sockstat -4 -p 8080 -s | grep -c ESTABLISHED | grep 1`\n"
                             "+0 `sockstat -4 -s -p 80,8000-8100 | grep -c ESTABLISHED | grep 1`\n"
                             "+0 `sockstat -4 -s -p 80,9000 | grep -c ESTABLISHED | grep 0`\n"
                             "+0 `sockstat -l -s | grep -c LISTEN | grep -x 1`\n"
                             "+0 `sockstat -c -s | grep -c LISTEN | grep -x 0`\n"
                             "+0 `sockstat -s | grep ESTABLISHED | wc -l | grep 1`\n"
                             "+0 `sockstat -6 -s | grep -c ESTABLISHED | grep 0`\n"
                             "+0 `sockstat -46 -N -P tcp -s | grep -c ESTABLISHED | grep 1`\n"),
             DRILL_PASS);
  /* FreeBSD's sockstat shows the state only with -s */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 `sockstat -4 -P tcp | grep -c ESTABLISHED | grep -x 0`\n"), DRILL_PASS);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 `sockstat -s | grep -c ESTABLISHED | grep 2`\n"), DRILL_FAIL);
  CHECK(strstr(msg, "shell command `sockstat -s | grep -c ESTABLISHED | grep 2` failed (exit status 1)") != NULL);
  /* tcpdrop drops the connection: RST on the wire, ECONNABORTED for the application */
  CHECK_EQ_I(run(LISTEN_HEAD "+0 `tcpdrop -s ESTABLISHED`\n+0 > R. 1:1(0) ack 1\n"
                             "+0 read(4, ..., 10) = -1 ECONNABORTED\n"
                             "+0 `sockstat -s | grep -c LISTEN | grep 1`\n"),
             DRILL_PASS);
  /* after the last event a failing check still fails the run */
  CHECK_EQ_I(run(LISTEN_HEAD "`sockstat -s | grep -c TIME_WAIT | grep 1`\n"), DRILL_FAIL);
}

static void sysctl_table(void) {
  synack_config_t c;
  synack_config_default(&c);
  char why[256];
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.rfc1323", "2", why, sizeof why), 0);
  CHECK(c.tcp_window_scaling && !c.tcp_timestamps);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.rfc1323", "3", why, sizeof why), 0);
  CHECK(!c.tcp_window_scaling && c.tcp_timestamps);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.insecure_rst", "1", why, sizeof why), 0);
  CHECK(!c.tcp_rfc5961_rst);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.keepidle", "5000", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_keepalive_idle_s, 5);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.keepidle", "1500", why, sizeof why), -1);
  CHECK_STR(why, "sysctl net.inet.tcp.keepidle=1500: synack keeps this in whole seconds");
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_fin_timeout", "7", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_fin_timeout_ms, 7000);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_rmem", "4096 87380 6291456", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_rcvbuf, 87380);
  CHECK_EQ_U(c.tcp_max_buf, 6291456);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.mssdflt", "1000", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_default_mss, 1000);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.cc.algorithm", "newreno", why, sizeof why), 0);
  CHECK_EQ_I(c.tcp_cc, SYNACK_CC_NEWRENO);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_congestion_control", "bbr", why, sizeof why), -1);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_ecn", "2", why, sizeof why), 0);
  CHECK_EQ_I(c.tcp_ecn, SYNACK_ECN_MODE_PASSIVE);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.ecn.enable", "1", why, sizeof why), 0);
  CHECK_EQ_I(c.tcp_ecn, SYNACK_ECN_MODE_ON);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.ecn.enable", "3", why, sizeof why), -1);
  CHECK_STR(why, "sysctl net.inet.tcp.ecn.enable=3: only 0, 1 and 2 are mapped");
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.rexmit_slop", "200", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_rto_slop_ms, 200);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.abc_l_var", "3", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_abc_limit, 3);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.do_prr", "0", why, sizeof why), 0);
  CHECK(!c.tcp_prr);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.rexmit_max", "64000", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_rto_max_ms, 64000);
  /* no host cache: emptying it is a no-op, turning it on is not honoured */
  synack_config_t before = c;
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.hostcache.purgenow", "1", why, sizeof why), 0);
  CHECK(memcmp(&before, &c, sizeof c) == 0);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.hostcache.enable", "1", why, sizeof why), -1);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.delacktime", "100", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_delack_ms, 100);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.inet.tcp.sack.enable", "x", why, sizeof why), -1);
  CHECK_STR(why, "sysctl net.inet.tcp.sack.enable=x: bad value");
  /* Linux's F-RTO switch: 0 off, 1 and 2 on */
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_frto", "0", why, sizeof why), 0);
  CHECK(!c.tcp_frto);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_frto", "2", why, sizeof why), 0);
  CHECK(c.tcp_frto);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_frto", "-1", why, sizeof why), -1);
  /* the fewest segments of a PSH burst (cfg.tcp_psh_tso): Linux's default 2, or 1 */
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_min_tso_segs", "1", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_min_tso_segs, 1);
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_min_tso_segs", "2", why, sizeof why), 0);
  CHECK_EQ_U(c.tcp_min_tso_segs, 2);
  /* an unknown name is -2 (a value the stack cannot take is -1) */
  CHECK_EQ_I(drill_sysctl_apply(&c, "net.ipv4.tcp_early_retrans", "3", why, sizeof why), -2);
  CHECK_STR(why, "sysctl net.ipv4.tcp_early_retrans not mapped to synack's configuration");
}

/* Files and pipes (drill_file.c), on the synack target: splice() keeps what the pipe gave and the
 * socket did not take (SO_SNDBUF 2000) and sends it first next time; sendfile() at an offset; the
 * payload check skips file bytes but still checks the runner's own writes after them; paths
 * outside /tmp/ are refused. */
static void files_and_pipes(void) {
  CHECK_EQ_I(run(LISTEN_HEAD "+0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [2000], 4) = 0\n"
                             "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                             "+0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n"
                             "+0 pipe([5, 6]) = 0\n"
                             "+0 write(6, ..., 5000) = 5000\n"
                             "+0 splice(5, NULL, 4, NULL, 5000, SPLICE_F_NONBLOCK) = 2000\n"
                             "+0 > . 1:1461(1460) ack 1\n"
                             "+0 > P. 1461:2001(540) ack 1\n"
                             "+0 splice(5, NULL, 4, NULL, 5000, SPLICE_F_NONBLOCK) = -1 EAGAIN\n"
                             "+.1 < . 1:1(0) ack 2001 win 65535\n"
                             "+0 splice(5, NULL, 4, NULL, 2500, SPLICE_F_NONBLOCK) = 2000\n"
                             "+0 > . 2001:3461(1460) ack 1\n"
                             "+0 > P. 3461:4001(540) ack 1\n"
                             "+.1 < . 1:1(0) ack 4001 win 65535\n"
                             "+0 splice(5, NULL, 4, NULL, 5000, SPLICE_F_NONBLOCK) = 1000\n"
                             "+0 > P. 4001:5001(1000) ack 1\n"
                             "+0 splice(5, NULL, 4, NULL, 5000, SPLICE_F_NONBLOCK) = -1 EAGAIN\n"
                             "+.1 < . 1:1(0) ack 5001 win 65535\n"
                             "+0 open(\"/tmp/f\", O_RDWR|O_CREAT, 0600) = 7\n"
                             "+0 write(7, ..., 300) = 300\n"
                             "+0 sendfile(4, 7, [100], 500) = 200\n"
                             "+0 > P. 5001:5201(200) ack 1\n"
                             "+0 lseek(7, 0, SEEK_CUR) = 300\n"
                             "+0 write(4, ..., 10) = 10\n"
                             "+0 > P. 5201:5211(10) ack 1\n"
                             "+0 close(7) = 0\n"
                             "+0 close(5) = 0\n"
                             "+0 bind(6, ..., ...) = -1 ENOTSOCK\n"),
             DRILL_PASS);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 open(\"/etc/passwd\", O_RDONLY) = 5\n"), DRILL_UNSUPPORTED);
  CHECK(strstr(msg, "directly under /tmp/") != NULL);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 open(\"/tmp/../etc/x\", O_RDWR|O_CREAT, 0600) = 5\n"), DRILL_UNSUPPORTED);
  CHECK_EQ_I(run(LISTEN_HEAD "+0 open(\"/dev/zero\", O_RDWR) = 5\n"), DRILL_UNSUPPORTED);
}

TH_MAIN(TH_CASE(tolerance_edges), TH_CASE(blocking_relative_time), TH_CASE(timestamps), TH_CASE(packet_fields),
        TH_CASE(payload_check), TH_CASE(unsupported), TH_CASE(sysctl_on_timeline), TH_CASE(shell_helpers), TH_CASE(sysctl_table),
        TH_CASE(files_and_pipes))
