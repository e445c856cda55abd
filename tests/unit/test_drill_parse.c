/* The packet-script parser of `synack drill` (tools/drill/drill_parse.c): time forms, packet lines,
 * options, system calls, shell lines and code blocks, #ifdef and -D words, header options, and
 * syntax errors reported as file:line:col. */
#include "drill_int.h"
#include "harness.h"

static drill_script_t parse_ok(const char *text) {
  drill_script_t s;
  char err[512];
  int rc = drill_parse("t.pkt", text, NULL, 0, &s, err, sizeof err);
  if (rc != 0) fprintf(stderr, "unexpected parse error: %s\n", err);
  CHECK_EQ_I(rc, 0);
  return s;
}

static void parse_err(const char *text, const char *want) {
  drill_script_t s;
  char err[512];
  int rc = drill_parse("t.pkt", text, NULL, 0, &s, err, sizeof err);
  CHECK_EQ_I(rc, -1);
  CHECK_STR(err, want);
}

static void seconds(void) {
  int64_t us = -1;
  CHECK_EQ_U(drill_parse_seconds("0", &us), 1);
  CHECK_EQ_I(us, 0);
  CHECK_EQ_U(drill_parse_seconds("1.5", &us), 3);
  CHECK_EQ_I(us, 1500000);
  CHECK_EQ_U(drill_parse_seconds(".1", &us), 2);
  CHECK_EQ_I(us, 100000);
  CHECK_EQ_U(drill_parse_seconds("0.000001", &us), 8);
  CHECK_EQ_I(us, 1);
  /* "0...0.2": the number stops before the ellipsis */
  CHECK_EQ_U(drill_parse_seconds("0...0.2", &us), 1);
  CHECK_EQ_I(us, 0);
  CHECK_EQ_U(drill_parse_seconds("x", &us), 0);
}

static void flags(void) {
  uint8_t f = 0;
  CHECK(drill_parse_flags("S.", 2, &f));
  CHECK_EQ_U(f, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
  CHECK(drill_parse_flags("FP.", 3, &f));
  CHECK_EQ_U(f, SYNACK_TCP_FIN | SYNACK_TCP_PSH | SYNACK_TCP_ACK);
  CHECK(drill_parse_flags("SEW", 3, &f));
  CHECK_EQ_U(f, SYNACK_TCP_SYN | SYNACK_TCP_ECE | SYNACK_TCP_CWR);
  CHECK(drill_parse_flags("-", 1, &f));
  CHECK_EQ_U(f, 0);
  CHECK(!drill_parse_flags("SS", 2, &f));
  CHECK(!drill_parse_flags("X", 1, &f));
  char b[12];
  drill_flags_str(SYNACK_TCP_FIN | SYNACK_TCP_PSH | SYNACK_TCP_ACK, b, sizeof b);
  CHECK_STR(b, "FP.");
  drill_flags_str(0, b, sizeof b);
  CHECK_STR(b, "-");
  drill_flags_str(SYNACK_TCP_RST | SYNACK_TCP_ACK, b, sizeof b);
  CHECK_STR(b, "R.");
}

static void time_forms(void) {
  drill_script_t s = parse_ok("0 close(3) = 0\n"
                              "+.25 close(3) = 0\n"
                              "* > . 1:1(0) ack 1\n"
                              "1.5~2 > . 1:1(0) ack 1\n"
                              "+0.1~+0.3 > . 1:1(0) ack 1\n"
                              "2...2.5 read(4, ..., 10) = 10\n"
                              "+0...+1 accept(3, ..., ...) = 4\n");
  REQUIRE(s.nevents == 7);
  CHECK_EQ_I(s.events[0].t.kind, DRILL_T_ABS);
  CHECK_EQ_I(s.events[1].t.kind, DRILL_T_REL);
  CHECK_EQ_I(s.events[1].t.us, 250000);
  CHECK_EQ_I(s.events[2].t.kind, DRILL_T_ANY);
  CHECK(s.events[3].has_range);
  CHECK_EQ_I(s.events[3].t.us, 1500000);
  CHECK_EQ_I(s.events[3].t2.us, 2000000);
  CHECK(s.events[4].has_range);
  CHECK_EQ_I(s.events[4].t2.kind, DRILL_T_REL);
  CHECK_EQ_I(s.events[4].t2.us, 300000);
  CHECK(s.events[5].blocking);
  CHECK_EQ_I(s.events[5].end.kind, DRILL_T_ABS);
  CHECK_EQ_I(s.events[5].end.us, 2500000);
  CHECK(s.events[6].blocking);
  CHECK_EQ_I(s.events[6].end.kind, DRILL_T_REL);
  CHECK_EQ_I(s.events[6].end.us, 1000000);
  CHECK_EQ_I(s.events[6].line, 7);
  drill_script_free(&s);
  /* packetdrill: in `+T...E` E is relative too (to the previous event, like T), so it is kept
   * relative to the call's start: +0.1...0.3 returns 0.2 s after it starts. Blanks around '...'
   * and '~' are allowed. */
  s = parse_ok("1 close(3) = 0\n"
               "+0.1...0.3 accept(3, ..., ...) = 4\n"
               "+0 ... 0.5 read(4, ..., 10) = 10\n"
               "3 ...  4 read(4, ..., 10) = 10\n"
               "+0.1 ~ +0.3 > . 1:1(0) ack 1\n");
  REQUIRE(s.nevents == 5);
  CHECK(s.events[1].blocking);
  CHECK_EQ_I(s.events[1].t.kind, DRILL_T_REL);
  CHECK_EQ_I(s.events[1].t.us, 100000);
  CHECK_EQ_I(s.events[1].end.kind, DRILL_T_REL);
  CHECK_EQ_I(s.events[1].end.us, 200000);
  CHECK(s.events[2].blocking);
  CHECK_EQ_I(s.events[2].end.kind, DRILL_T_REL);
  CHECK_EQ_I(s.events[2].end.us, 500000);
  CHECK(s.events[3].blocking);
  CHECK_EQ_I(s.events[3].end.kind, DRILL_T_ABS);
  CHECK_EQ_I(s.events[3].end.us, 4000000);
  CHECK(s.events[4].has_range);
  CHECK_EQ_I(s.events[4].t2.us, 300000);
  drill_script_free(&s);
  parse_err("0 close(3) = 0\n+0.5...0.2 read(4, ..., 1) = 1\n",
            "t.pkt:2:1: a blocking call cannot return before it starts");
}

static void packet_line(void) {
  drill_script_t s = parse_ok("// a comment\n"
                              "0 < (ect0) SEW 100:100(0) win 29200 urg 5\n"
                              "   <mss 1460, sackOK, TS val 10 ecr 0, nop, wscale 7, eol>\n"
                              "/* block\n comment */ +0 > (tos 0x10,ttl 64) FP. 1:1001(1000) ack 101 <...>\n"
                              "+0 > R 5:5(0)\n"
                              "+0 < . ...(10) ack 7 win 100 <sack 1:2 3:4,FO 0a0b,nop,nop>\n"
                              "+0 < . 1:1(0)! ack 9 win 1\n");
  REQUIRE(s.nevents == 5);
  const drill_packet_t *p = &s.events[0].pkt;
  CHECK_EQ_I(p->dir, '<');
  CHECK(p->has_ecn && p->ecn == DRILL_ECN_ECT0);
  CHECK_EQ_U(p->flags, SYNACK_TCP_SYN | SYNACK_TCP_ECE | SYNACK_TCP_CWR);
  CHECK_EQ_U(p->start, 100);
  CHECK_EQ_U(p->end, 100);
  CHECK_EQ_U(p->len, 0);
  CHECK(!p->has_ack);
  CHECK(p->has_win && p->win == 29200);
  CHECK(p->has_urg && p->urg == 5);
  REQUIRE(p->opt_mode == DRILL_OPTS_LIST && p->nopts == 6);
  CHECK_EQ_I(p->opts[0].kind, DRILL_OPT_MSS);
  CHECK_EQ_U(p->opts[0].v1, 1460);
  CHECK_EQ_I(p->opts[1].kind, DRILL_OPT_SACKOK);
  CHECK_EQ_I(p->opts[2].kind, DRILL_OPT_TS);
  CHECK_EQ_U(p->opts[2].v1, 10);
  CHECK_EQ_U(p->opts[2].v2, 0);
  CHECK_EQ_I(p->opts[3].kind, DRILL_OPT_NOP);
  CHECK_EQ_I(p->opts[4].kind, DRILL_OPT_WSCALE);
  CHECK_EQ_U(p->opts[4].v1, 7);
  CHECK_EQ_I(p->opts[5].kind, DRILL_OPT_EOL);
  p = &s.events[1].pkt;
  CHECK_EQ_I(s.events[1].line, 5);
  CHECK_EQ_I(p->dir, '>');
  CHECK(p->has_tos && p->tos == 0x10 && p->has_ttl && p->ttl == 64);
  CHECK_EQ_U(p->flags, SYNACK_TCP_FIN | SYNACK_TCP_PSH | SYNACK_TCP_ACK);
  CHECK_EQ_U(p->len, 1000);
  CHECK(p->has_ack && p->ack == 101);
  CHECK(!p->has_win);
  CHECK_EQ_I(p->opt_mode, DRILL_OPTS_ANY);
  p = &s.events[2].pkt;
  CHECK_EQ_U(p->flags, SYNACK_TCP_RST);
  CHECK_EQ_I(p->opt_mode, DRILL_OPTS_NONE);
  p = &s.events[3].pkt;
  CHECK_EQ_I(p->seq_mode, DRILL_SEQ_ANY);
  CHECK_EQ_U(p->len, 10);
  REQUIRE(p->nopts == 4);
  CHECK_EQ_I(p->opts[0].kind, DRILL_OPT_SACK);
  CHECK_EQ_U(p->opts[0].nblocks, 2);
  CHECK_EQ_U(p->opts[0].blocks[1][0], 3);
  CHECK_EQ_U(p->opts[0].blocks[1][1], 4);
  CHECK_EQ_I(p->opts[1].kind, DRILL_OPT_FO);
  CHECK_EQ_U(p->opts[1].fo_len, 2);
  CHECK_EQ_U(p->opts[1].fo[1], 0x0b);
  CHECK_EQ_I(s.events[4].pkt.seq_mode, DRILL_SEQ_RAW);
  drill_script_free(&s);
}

/* Fast open options (RFC 7413): FO and the experimental FOEXP, each empty (a cookie request)
 * or with a cookie in hex. */
static void fast_open_options(void) {
  drill_script_t s = parse_ok("0 < S 0:0(0) win 1 <mss 1460,FOEXP>\n"
                              "+0 > S. 0:0(0) ack 1 <mss 1460,FOEXP 0011223344556677>\n"
                              "+0 < S 0:5(5) win 1 <FO,nop,nop>\n");
  REQUIRE(s.nevents == 3);
  const drill_packet_t *p = &s.events[0].pkt;
  REQUIRE(p->nopts == 2);
  CHECK_EQ_I(p->opts[1].kind, DRILL_OPT_FOEXP);
  CHECK_EQ_U(p->opts[1].fo_len, 0);
  p = &s.events[1].pkt;
  REQUIRE(p->nopts == 2);
  CHECK_EQ_I(p->opts[1].kind, DRILL_OPT_FOEXP);
  CHECK_EQ_U(p->opts[1].fo_len, 8);
  CHECK_EQ_U(p->opts[1].fo[7], 0x77);
  p = &s.events[2].pkt;
  REQUIRE(p->nopts == 3);
  CHECK_EQ_I(p->opts[0].kind, DRILL_OPT_FO);
  CHECK_EQ_U(p->opts[0].fo_len, 0);
  drill_script_free(&s);
}

static void icmp_line(void) {
  drill_script_t s = parse_ok("0 < icmp unreachable frag_needed mtu 1200 [1:1001(1000)]\n"
                              "+0 < icmp time_exceeded\n"
                              "+0 < icmp packet_too_big mtu 1280 5:6(1)\n");
  REQUIRE(s.nevents == 3);
  const drill_packet_t *p = &s.events[0].pkt;
  CHECK(p->icmp);
  CHECK_STR(p->icmp_type, "unreachable");
  CHECK_STR(p->icmp_code, "frag_needed");
  CHECK(p->has_mtu && p->mtu == 1200);
  CHECK(p->has_quote && p->start == 1 && p->len == 1000);
  CHECK_STR(s.events[1].pkt.icmp_type, "time_exceeded");
  CHECK_STR(s.events[1].pkt.icmp_code, "");
  CHECK(!s.events[1].pkt.has_quote);
  CHECK(s.events[2].pkt.has_mtu && s.events[2].pkt.mtu == 1280);
  CHECK(s.events[2].pkt.has_quote && s.events[2].pkt.start == 5);
  drill_script_free(&s);
}

/* packetdrill's UDP lines: 'udp (LEN)' with the flow's ports, synack's 'sport'/'dport'
 * extension, and an ICMP error quoting a datagram '[udp (LEN)]'. */
static void udp_line(void) {
  drill_script_t s = parse_ok("0 < udp (100)\n"
                              "+0 > (tos 0x10) udp (0) sport 5353 dport 53\n"
                              "+0 < icmp unreachable port_unreachable [udp (100)]\n"
                              "+0 < udp(7)dport 9\n");
  REQUIRE(s.nevents == 4);
  const drill_packet_t *p = &s.events[0].pkt;
  CHECK(p->udp && !p->icmp && p->dir == '<' && p->len == 100 && !p->has_sport && !p->has_dport);
  p = &s.events[1].pkt;
  CHECK(p->udp && p->dir == '>' && p->len == 0 && p->has_tos && p->tos == 0x10);
  CHECK(p->has_sport && p->sport == 5353 && p->has_dport && p->dport == 53);
  p = &s.events[2].pkt;
  CHECK(p->icmp && p->udp && p->has_quote && p->len == 100);
  CHECK_STR(p->icmp_code, "port_unreachable");
  p = &s.events[3].pkt;
  CHECK(p->udp && p->len == 7 && !p->has_sport && p->has_dport && p->dport == 9);
  drill_script_free(&s);
  parse_err("0 < udp 10\n", "t.pkt:1:9: expected '(' after 'udp'");
  parse_err("0 < udp (65528)\n", "t.pkt:1:10: UDP length 65528 does not fit a datagram");
  parse_err("0 < udp (1) sport 0\n", "t.pkt:1:19: port 0 out of range");
  parse_err("0 < icmp unreachable [udp (1) sport 5]\n", "t.pkt:1:31: expected ']' after the quoted range");
}

static void syscalls(void) {
  drill_script_t s = parse_ok("0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
                              "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                              "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
                              "+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, -1) = 1\n"
                              "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n"
                              "+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [0x4000], 4) = 0\n");
  REQUIRE(s.nevents == 6);
  const drill_call_t *c = &s.events[0].call;
  CHECK_STR(c->name, "setsockopt");
  REQUIRE(c->nargs == 5);
  CHECK_EQ_I(c->args[0].kind, DRILL_ARG_INT);
  CHECK_EQ_I(c->args[1].kind, DRILL_ARG_SYM);
  CHECK_STR(c->args[2].text, "SO_LINGER");
  REQUIRE(c->args[3].kind == DRILL_ARG_STRUCT && c->args[3].n == 2);
  CHECK_STR(c->args[3].items[0].name, "onoff");
  CHECK_EQ_I(c->args[3].items[0].num, 1);
  CHECK_STR(c->args[3].items[1].name, "linger");
  CHECK_EQ_I(c->result, 0);
  c = &s.events[1].call;
  REQUIRE(c->args[2].kind == DRILL_ARG_OR && c->args[2].n == 2);
  CHECK_STR(c->args[2].items[1].text, "O_NONBLOCK");
  c = &s.events[2].call;
  CHECK_EQ_I(c->args[1].kind, DRILL_ARG_ELLIPSIS);
  CHECK_EQ_I(c->result, -1);
  CHECK_STR(c->err, "EINPROGRESS");
  c = &s.events[3].call;
  REQUIRE(c->args[0].kind == DRILL_ARG_ARRAY && c->args[0].n == 1);
  const drill_arg_t *pfd = &c->args[0].items[0];
  REQUIRE(pfd->kind == DRILL_ARG_STRUCT && pfd->n == 3);
  CHECK_STR(pfd->items[2].name, "revents");
  CHECK_EQ_I(pfd->items[1].kind, DRILL_ARG_OR);
  CHECK_EQ_I(c->args[2].num, -1);
  c = &s.events[4].call;
  CHECK_STR(c->args[3].items[0].text, "ECONNRESET");
  CHECK_EQ_I(s.events[5].call.args[3].items[0].num, 0x4000);
  drill_script_free(&s);
  /* a symbolic result may join symbols with '|' */
  s = parse_ok("0 fcntl(3, F_GETFL) = O_RDWR | O_NONBLOCK (flags)\n");
  CHECK(s.events[0].call.result_is_sym);
  CHECK_STR(s.events[0].call.result_sym, "O_RDWR|O_NONBLOCK");
  drill_script_free(&s);
  /* packetdrill's short iovec {BASE, LEN} names its members; sockaddr values htons()/inet_addr() */
  s = parse_ok("0 writev(4, [{..., 100}, {NULL, 5}], 2) = 105\n"
               "+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"198.18.0.1\")}, 16) = 0\n");
  c = &s.events[0].call;
  REQUIRE(c->args[1].kind == DRILL_ARG_ARRAY && c->args[1].n == 2);
  CHECK_STR(c->args[1].items[0].items[0].name, "iov_base");
  CHECK_EQ_I(c->args[1].items[0].items[0].kind, DRILL_ARG_ELLIPSIS);
  CHECK_STR(c->args[1].items[0].items[1].name, "iov_len");
  CHECK_EQ_I(c->args[1].items[0].items[1].num, 100);
  CHECK_EQ_I(c->args[1].items[1].items[0].kind, DRILL_ARG_NULL);
  c = &s.events[1].call;
  REQUIRE(c->args[1].kind == DRILL_ARG_STRUCT && c->args[1].n == 3);
  CHECK_EQ_I(c->args[1].items[1].num, 0x901f); /* htons(8080) on a little-endian host */
  CHECK_EQ_I(c->args[1].items[2].kind, DRILL_ARG_STRING);
  CHECK_STR(c->args[1].items[2].text, "198.18.0.1");
  CHECK_STR(c->args[1].items[2].name, "sin_addr");
  drill_script_free(&s);
  parse_err("0 bind(3, {sin_port=frob(1)}, 16) = 0\n", "t.pkt:1:21: unknown function frob() in a value");
  parse_err("0 bind(3, {sin_port=htons(\"x\")}, 16) = 0\n", "t.pkt:1:21: htons() takes an integer");
}

static void shell_code_header(void) {
  drill_script_t s = parse_ok("--ip_version=ipv6\n--tolerance_usecs=10000 --strict_segments\n"
                              "`sysctl -w net.inet.tcp.sack.enable=0`\n"
                              "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                              "+0 `sockstat | grep -c LISTEN | grep 0`\n"
                              "+0 %{ assert tcpi_state == TCP_CLOSE }%\n"
                              "`sysctl -w net.inet.tcp.sack.enable=1`\n");
  REQUIRE(s.nhopts == 3);
  CHECK_STR(s.hopts[0].name, "ip_version");
  CHECK_STR(s.hopts[0].value, "ipv6");
  CHECK_STR(s.hopts[1].value, "10000");
  CHECK_STR(s.hopts[2].name, "strict_segments");
  CHECK(s.hopts[2].value == NULL);
  REQUIRE(s.nevents == 5);
  CHECK_EQ_I(s.events[0].kind, DRILL_EV_SHELL);
  CHECK_EQ_I(s.events[0].t.kind, DRILL_T_NONE);
  CHECK_STR(s.events[0].text, "sysctl -w net.inet.tcp.sack.enable=0");
  CHECK_EQ_I(s.events[2].kind, DRILL_EV_SHELL);
  CHECK_EQ_I(s.events[2].t.kind, DRILL_T_REL);
  CHECK_EQ_I(s.events[3].kind, DRILL_EV_CODE);
  CHECK_STR(s.events[3].text, " assert tcpi_state == TCP_CLOSE ");
  CHECK_EQ_I(s.events[4].t.kind, DRILL_T_NONE);
  drill_script_free(&s);
}

static void ifdef_and_defines(void) {
  const char *text = "#ifdef FreeBSD\n"
                     "0 > S. 0:0(0) ack 1 <mss MSS>\n"
                     "#endif\n"
                     "#ifndef FreeBSD\n"
                     "0 > S. 0:0(0) ack 2 <mss MSS>\n"
                     "#else\n"
                     "+0 close(3) = 0\n"
                     "#endif\n";
  drill_define_t d1[] = { { "FreeBSD", NULL }, { "MSS", "1380" } };
  drill_script_t s;
  char err[256];
  REQUIRE(drill_parse("t.pkt", text, d1, 2, &s, err, sizeof err) == 0);
  REQUIRE(s.nevents == 2);
  CHECK_EQ_U(s.events[0].pkt.ack, 1);
  CHECK_EQ_U(s.events[0].pkt.opts[0].v1, 1380);
  CHECK_EQ_I(s.events[0].line, 2);
  CHECK_EQ_I(s.events[1].kind, DRILL_EV_CALL);
  CHECK_EQ_I(s.events[1].line, 7);
  drill_script_free(&s);
  drill_define_t d2[] = { { "MSS", "536" } };
  REQUIRE(drill_parse("t.pkt", text, d2, 1, &s, err, sizeof err) == 0);
  REQUIRE(s.nevents == 1);
  CHECK_EQ_U(s.events[0].pkt.ack, 2);
  CHECK_EQ_U(s.events[0].pkt.opts[0].v1, 536);
  CHECK_EQ_I(s.events[0].line, 5);
  drill_script_free(&s);
  /* a nested #ifdef is an error */
  CHECK(drill_parse("t.pkt", "#ifdef A\n#ifdef B\n#endif\n#endif\n", NULL, 0, &s, err, sizeof err) == -1);
  CHECK_STR(err, "t.pkt:2:1: nested #ifdef is not supported");
  CHECK(drill_parse("t.pkt", "#ifdef A\n", NULL, 0, &s, err, sizeof err) == -1);
  CHECK_STR(err, "t.pkt:2:1: missing #endif");
}

static void unsupported_option(void) {
  drill_script_t s = parse_ok("0 < S 0:0(0) win 1 <md5 abcdef,mss 1000>\n");
  CHECK_STR(s.unsupported,
            "t.pkt:1: TCP option 'md5' with a written digest not supported (write md5 alone: the runner signs)");
  drill_script_free(&s);
  s = parse_ok("0 < S 0:0(0) win 1 <mptcp 1,mss 1000>\n");
  CHECK_STR(s.unsupported, "t.pkt:1: TCP option 'mptcp' not supported");
  drill_script_free(&s);
  /* RFC 2385: md5 alone is the signature option the runner computes */
  s = parse_ok("0 < S 0:0(0) win 1 <nop,nop,md5,mss 1000>\n");
  CHECK(s.unsupported == NULL || s.unsupported[0] == 0);
  REQUIRE(s.nevents == 1);
  CHECK_EQ_U(s.events[0].pkt.nopts, 4);
  CHECK_EQ_U(s.events[0].pkt.opts[2].kind, DRILL_OPT_MD5);
  drill_script_free(&s);
}

static void syntax_errors(void) {
  parse_err("0 < S 0:10(0) win 1\n", "t.pkt:1:7: END must be START + LEN (0 + 0 != 10)");
  parse_err("0 < S 0:0(0)\n", "t.pkt:1:5: 'win N' is required on injected segments");
  parse_err("0 < SX 0:0(0) win 1\n", "t.pkt:1:5: bad TCP flags (expected e.g. S, S., ., P., F., R, R., -)");
  parse_err("1 close(3) = 0\n0.5 close(4) = 0\n", "t.pkt:2:1: time goes backwards (0.500000 s after 1.000000 s)");
  parse_err("0 > . 1:1(0) ack 1 <mss>\n", "t.pkt:1:24: expected a number for mss");
  parse_err("0 close(3)\n", "t.pkt:2:1: expected '= RESULT' after close(...)");
  parse_err("* < . 1:1(0) win 1\n", "t.pkt:1:1: '*' and time windows are only allowed on '>' lines");
  parse_err("0 < . 1:1(0) win 1 <...>\n", "t.pkt:1:5: '<...>' is only allowed on '>' lines");
  parse_err("0 `sysctl -a\n", "t.pkt:1:3: unterminated back-quoted command");
  parse_err("0 ? foo\n", "t.pkt:1:3: expected a packet ('<' or '>'), a system call, a `command` or %{ }%");
  parse_err("0 > . 1:1(0) ack 1 win 70000\n", "t.pkt:1:20: win is the raw 16-bit field (0..65535)");
  parse_err("0 close(3) = 0\n`true`\n+0 close(3) = 0\n",
            "t.pkt:3:1: an untimed command may only come before the first or after the last event");
  parse_err("0...1 > . 1:1(0) ack 1\n", "t.pkt:1:1: 'T...E' is only allowed on system calls");
  parse_err("/* open", "t.pkt:1:1: unterminated comment");
  parse_err("0 < (ect01) . 1:1(0) win 1\n", "t.pkt:1:13: 'ect01' (either ECT codepoint) is only allowed on '>' lines");
  parse_err("0 > (flowlabel 0x100000) . 1:1(0)\n", "t.pkt:1:6: flowlabel out of range (20 bits)");
}

/* A backslash-newline inside a back-quoted command joins the lines, as in the shell. */
static void shell_continuation(void) {
  drill_script_t s = parse_ok("`../common/defaults.sh\n"
                              "./set_sysctls.py /proc/sys/net/ipv4/tcp_sack=0 \\\n"
                              "  /proc/sys/net/ipv4/tcp_timestamps=0`\n"
                              "0 close(3) = 0\n");
  REQUIRE(s.nevents == 2);
  CHECK_STR(s.events[0].text, "../common/defaults.sh\n./set_sysctls.py /proc/sys/net/ipv4/tcp_sack=0   "
                              "/proc/sys/net/ipv4/tcp_timestamps=0");
  CHECK_EQ_I(s.events[1].line, 4);
  drill_script_free(&s);
}

/* $((EXPR)) in values: shell arithmetic (C precedence, hex and octal numbers). */
static void arithmetic(void) {
  drill_script_t s = parse_ok("0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [$((64 * 1024))], 4) = 0\n"
                              "+0 write(4, ..., $((1 + 2 * 3 - (4 << 1)))) = $((0x10 | 010))\n");
  REQUIRE(s.nevents == 2);
  CHECK_EQ_I(s.events[0].call.args[3].items[0].kind, DRILL_ARG_INT);
  CHECK_EQ_I(s.events[0].call.args[3].items[0].num, 65536);
  CHECK_EQ_I(s.events[1].call.args[2].num, -1);
  CHECK_EQ_I(s.events[1].call.result, 24);
  drill_script_free(&s);
  parse_err("0 write(4, ..., $((2 +))) = 2\n", "t.pkt:1:17: expected a number in $(( ))");
  parse_err("0 write(4, ..., $((2) = 2\n", "t.pkt:1:17: unterminated $((");
}

/* packetdrill's sized struct members: msg_name(...)=..., msg_iov(1)=[{...}], msg_control(N)=[]. */
static void sized_members(void) {
  drill_script_t s = parse_ok("0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{iov_base=..., iov_len=10}, "
                              "{iov_base=..., iov_len=20}], msg_control(0)=[], msg_flags=0}, 0) = 30\n");
  REQUIRE(s.nevents == 1);
  const drill_arg_t *m = &s.events[0].call.args[1];
  REQUIRE(m->kind == DRILL_ARG_STRUCT && m->n == 4);
  CHECK_STR(m->items[0].name, "msg_name");
  CHECK(m->items[0].has_size && m->items[0].size == -1);
  CHECK_EQ_I(m->items[0].kind, DRILL_ARG_ELLIPSIS);
  CHECK_STR(m->items[1].name, "msg_iov");
  CHECK(m->items[1].has_size && m->items[1].size == 2);
  REQUIRE(m->items[1].kind == DRILL_ARG_ARRAY && m->items[1].n == 2);
  CHECK_EQ_I(m->items[1].items[1].items[1].num, 20);
  CHECK(m->items[2].has_size && m->items[2].size == 0 && m->items[2].n == 0);
  CHECK(!m->items[3].has_size);
  drill_script_free(&s);
  parse_err("0 sendmsg(4, {msg_iov(x)=[]}, 0) = 0\n", "t.pkt:1:23: expected a size or '...' in msg_iov(...)");
}

/* The expected-line renderer used in failure messages writes the line back in script syntax. */
static void render_expected(void) {
  static const char *lines[] = {
    "> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 1 ecr 7,nop,wscale 7>",
    "> (ect0,tos 0x02,ttl 64) FP. 1:1001(1000) ack 101 urg 3 <...>",
    "> (ect01,flowlabel 0x12345) . 1:1(0) ack 1",
    "< . ...(10) ack 7 win 100 <sack 1:2 3:4,FO 0a0b,nop,eol>",
    "> R 5:5(0)!",
    "< icmp unreachable frag_needed mtu 1200 [1:1001(1000)]",
    "< icmp unreachable port_unreachable [udp (10)]",
    "> (ttl 1) udp (512) sport 53 dport 5353",
    "< udp (0)",
    "> icmp unreachable port_unreachable [udp (7)]",
  };
  for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
    char text[256], out[256];
    snprintf(text, sizeof text, "0 %s\n", lines[k]);
    drill_script_t s = parse_ok(text);
    REQUIRE(s.nevents == 1);
    drill_pkt_render_expected(&s.events[0].pkt, out, sizeof out);
    CHECK_STR(out, lines[k]);
    drill_script_free(&s);
  }
}

TH_MAIN(TH_CASE(seconds), TH_CASE(flags), TH_CASE(time_forms), TH_CASE(packet_line), TH_CASE(fast_open_options), TH_CASE(icmp_line), TH_CASE(udp_line),
        TH_CASE(syscalls), TH_CASE(shell_code_header), TH_CASE(ifdef_and_defines), TH_CASE(unsupported_option),
        TH_CASE(syntax_errors), TH_CASE(render_expected), TH_CASE(shell_continuation), TH_CASE(arithmetic),
        TH_CASE(sized_members))
