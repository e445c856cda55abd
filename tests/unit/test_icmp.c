/* ICMPv4 (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) with ND NS/NA (RFC 4861). */
#include "harness.h"
#include "synack/wire.h"

/* Linux captures (see tests/vectors/make-linux-pcap.sh). */
static const uint8_t echo4[] = { 0x08, 0x00, 0x63, 0xc5, 0x05, 0xac, 0x00, 0x01, 0x73, 0x79, 0x6e, 0x61, 0x63,
                                 0x6b, 0x2d, 0x65, 0x63, 0x68, 0x6f, 0x2d, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72 };
static const uint8_t reply4[] = { 0x00, 0x00, 0x6b, 0xc5, 0x05, 0xac, 0x00, 0x01, 0x73, 0x79, 0x6e, 0x61, 0x63,
                                  0x6b, 0x2d, 0x65, 0x63, 0x68, 0x6f, 0x2d, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72 };
static const uint8_t unreach4[] = {
  0x03, 0x03, 0x89, 0x43, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x21, 0x4f, 0x58, 0x40, 0x00, 0x40, 0x11,
  0x5f, 0x4c, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0xe1, 0xa3, 0x00, 0x09, 0x00, 0x0d, 0x4e, 0x2d,
  0x68, 0x65, 0x6c, 0x6c, 0x6f };
/* fd00:5ac::1 -> fd00:5ac::2 */
static const uint8_t echo6[] = { 0x80, 0x00, 0xe6, 0x13, 0x05, 0xac, 0x00, 0x01, 0x73, 0x79, 0x6e, 0x61, 0x63,
                                 0x6b, 0x2d, 0x65, 0x63, 0x68, 0x6f, 0x2d, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72 };
/* fd00:5ac::1 -> ff02::1:ff00:2, who has fd00:5ac::2, SLLA 02:00:00:5a:c0:01 */
static const uint8_t ns6[] = { 0x87, 0x00, 0xb1, 0xe4, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x05, 0xac, 0x00, 0x00,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x02, 0x00,
                               0x00, 0x5a, 0xc0, 0x01 };
/* fd00:5ac::2 -> fd00:5ac::1, solicited + override, TLLA 02:00:00:5a:c0:02 */
static const uint8_t na6[] = { 0x88, 0x00, 0x4b, 0x3b, 0x60, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x05, 0xac, 0x00, 0x00,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x01, 0x02, 0x00,
                               0x00, 0x5a, 0xc0, 0x02 };
/* fd00:5ac::2 -> fd00:5ac::1, port unreachable quoting the UDP datagram */
static const uint8_t unreach6[] = {
  0x01, 0x04, 0x85, 0x4f, 0x00, 0x00, 0x00, 0x00, 0x60, 0x07, 0x02, 0xa2, 0x00, 0x0d, 0x11, 0x40, 0xfd, 0x00,
  0x05, 0xac, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x05, 0xac,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x97, 0xd3, 0x00, 0x09, 0x00, 0x0d,
  0x1e, 0xc9, 0x68, 0x65, 0x6c, 0x6c, 0x6f };

static synack_ip_t a6, b6, snm6, mc6, unspec6;
static void addrs(void) {
  synack_ip_parse("fd00:5ac::1", &a6);
  synack_ip_parse("fd00:5ac::2", &b6);
  synack_ip_parse("ff02::1:ff00:2", &snm6);
  synack_ip_parse("ff02::1", &mc6);
  synack_ip_parse("::", &unspec6);
}

static void fix4(uint8_t *b, size_t n) {
  b[2] = b[3] = 0;
  uint16_t c = synack_csum_finish(synack_csum_add(0, b, n));
  b[2] = (uint8_t)(c >> 8);
  b[3] = (uint8_t)c;
}
static void fix6(uint8_t *b, size_t n, const synack_ip_t *s, const synack_ip_t *d) {
  b[2] = b[3] = 0;
  uint16_t c = synack_csum_finish(synack_csum_add(synack_csum_pseudo(s, d, 58, (uint32_t)n), b, n));
  b[2] = (uint8_t)(c >> 8);
  b[3] = (uint8_t)c;
}

static void v4_echo(void) {
  synack_icmp_repr_t r;
  REQUIRE(synack_icmp4_parse(echo4, sizeof echo4, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, SYNACK_ICMP4_ECHO_REQUEST);
  CHECK_EQ_U(r.code, 0);
  CHECK_EQ_U(r.ident, 0x5ac);
  CHECK_EQ_U(r.seqno, 1);
  CHECK(r.data == echo4 + 8);
  CHECK_EQ_U(r.data_len, 18);
  uint8_t out[64];
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof echo4);
  CHECK_MEM(out, echo4, sizeof echo4);
  /* The kernel's reply is the request with type 0: build it from the parsed request. */
  r.type = SYNACK_ICMP4_ECHO_REPLY;
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof reply4);
  CHECK_MEM(out, reply4, sizeof reply4);
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof reply4 - 1), 0);
  /* In place: data already inside the output buffer. */
  memcpy(out, echo4, sizeof echo4);
  REQUIRE(synack_icmp4_parse(out, sizeof echo4, &r) == SYNACK_DROP_NONE);
  r.type = SYNACK_ICMP4_ECHO_REPLY;
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof reply4);
  CHECK_MEM(out, reply4, sizeof reply4);
}

static void v4_errors(void) {
  synack_icmp_repr_t r;
  REQUIRE(synack_icmp4_parse(unreach4, sizeof unreach4, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, SYNACK_ICMP4_DEST_UNREACH);
  CHECK_EQ_U(r.code, SYNACK_ICMP4_PORT_UNREACH);
  CHECK_EQ_U(r.mtu, 0);
  CHECK(r.data == unreach4 + 8);
  CHECK_EQ_U(r.data_len, 33);
  uint8_t out[128];
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof unreach4);
  CHECK_MEM(out, unreach4, sizeof unreach4);

  /* RFC 1191: fragmentation needed, next-hop MTU 1400 in the low 16 bits. */
  uint8_t fn[36];
  memcpy(fn, unreach4, 36);
  fn[1] = SYNACK_ICMP4_FRAG_NEEDED;
  fn[6] = 0x05;
  fn[7] = 0x78;
  fix4(fn, sizeof fn);
  REQUIRE(synack_icmp4_parse(fn, sizeof fn, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.mtu, 1400);
  CHECK_EQ_U(r.data_len, 28);
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof fn);
  CHECK_MEM(out, fn, sizeof fn);

  /* Time exceeded and parameter problem (pointer 9). */
  fn[0] = SYNACK_ICMP4_TIME_EXCEEDED;
  fn[1] = 0;
  fn[6] = fn[7] = 0;
  fix4(fn, sizeof fn);
  REQUIRE(synack_icmp4_parse(fn, sizeof fn, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, SYNACK_ICMP4_TIME_EXCEEDED);
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof fn);
  CHECK_MEM(out, fn, sizeof fn);
  fn[0] = SYNACK_ICMP4_PARAM_PROBLEM;
  fn[4] = 9;
  fix4(fn, sizeof fn);
  REQUIRE(synack_icmp4_parse(fn, sizeof fn, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.mtu, 9);
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof fn);
  CHECK_MEM(out, fn, sizeof fn);

  /* Quotes too short for IP header + 8 bytes, or not IPv4. */
  for (size_t n = 8; n < 36; n++) {
    uint8_t q[36];
    memcpy(q, unreach4, n);
    fix4(q, n);
    CHECK_EQ_U(synack_icmp4_parse(q, n, &r), SYNACK_DROP_ICMP_BAD_QUOTE);
  }
  uint8_t q[sizeof unreach4];
  memcpy(q, unreach4, sizeof q);
  q[8] = 0x65;
  fix4(q, sizeof q);
  CHECK_EQ_U(synack_icmp4_parse(q, sizeof q, &r), SYNACK_DROP_ICMP_BAD_QUOTE);
  q[8] = 0x44; /* IHL 4 */
  fix4(q, sizeof q);
  CHECK_EQ_U(synack_icmp4_parse(q, sizeof q, &r), SYNACK_DROP_ICMP_BAD_QUOTE);
}

static void v4_malformed_and_unknown(void) {
  synack_icmp_repr_t r;
  for (size_t n = 0; n < 8; n++) CHECK_EQ_U(synack_icmp4_parse(echo4, n, &r), SYNACK_DROP_ICMP_TRUNCATED);
  uint8_t b[sizeof echo4];
  for (size_t i = 0; i < sizeof b; i++) {
    memcpy(b, echo4, sizeof b);
    b[i] ^= 0x40;
    CHECK_EQ_U(synack_icmp4_parse(b, sizeof b, &r), SYNACK_DROP_ICMP_BAD_CHECKSUM);
  }
  /* Timestamp request (13): parsed generically, everything after byte 4 is data. */
  uint8_t ts[20] = { 13, 0, 0, 0, 0x12, 0x34, 0, 1 };
  fix4(ts, sizeof ts);
  REQUIRE(synack_icmp4_parse(ts, sizeof ts, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, 13);
  CHECK(r.data == ts + 4);
  CHECK_EQ_U(r.data_len, 16);
  uint8_t out[32];
  CHECK_EQ_U(synack_icmp4_emit(&r, out, sizeof out), sizeof ts);
  CHECK_MEM(out, ts, sizeof ts);
}

static void v6_echo_and_errors(void) {
  addrs();
  synack_icmp_repr_t r;
  REQUIRE(synack_icmp6_parse(echo6, sizeof echo6, &a6, &b6, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, SYNACK_ICMP6_ECHO_REQUEST);
  CHECK_EQ_U(r.ident, 0x5ac);
  CHECK_EQ_U(r.seqno, 1);
  CHECK_EQ_U(r.data_len, 18);
  uint8_t out[128];
  CHECK_EQ_U(synack_icmp6_emit(&r, &a6, &b6, out, sizeof out), sizeof echo6);
  CHECK_MEM(out, echo6, sizeof echo6);
  /* The pseudo-header matters: another destination fails the checksum. */
  CHECK_EQ_U(synack_icmp6_parse(echo6, sizeof echo6, &a6, &mc6, &r), SYNACK_DROP_ICMP_BAD_CHECKSUM);
  for (size_t n = 0; n < 8; n++) CHECK_EQ_U(synack_icmp6_parse(echo6, n, &a6, &b6, &r), SYNACK_DROP_ICMP_TRUNCATED);

  REQUIRE(synack_icmp6_parse(unreach6, sizeof unreach6, &b6, &a6, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, SYNACK_ICMP6_DEST_UNREACH);
  CHECK_EQ_U(r.code, SYNACK_ICMP6_PORT_UNREACH);
  CHECK_EQ_U(r.data_len, 53);
  CHECK_EQ_U(synack_icmp6_emit(&r, &b6, &a6, out, sizeof out), sizeof unreach6);
  CHECK_MEM(out, unreach6, sizeof unreach6);

  /* Packet too big with MTU 1280, time exceeded; quotes shorter than an IPv6 header refused. */
  uint8_t p[sizeof unreach6];
  memcpy(p, unreach6, sizeof p);
  p[0] = SYNACK_ICMP6_PACKET_TOO_BIG;
  p[1] = 0;
  p[6] = 0x05;
  p[7] = 0x00;
  fix6(p, sizeof p, &b6, &a6);
  REQUIRE(synack_icmp6_parse(p, sizeof p, &b6, &a6, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.mtu, 1280);
  CHECK_EQ_U(synack_icmp6_emit(&r, &b6, &a6, out, sizeof out), sizeof p);
  CHECK_MEM(out, p, sizeof p);
  p[0] = SYNACK_ICMP6_PARAM_PROBLEM;
  p[7] = 6; /* pointer: next header field */
  p[6] = 0;
  fix6(p, sizeof p, &b6, &a6);
  REQUIRE(synack_icmp6_parse(p, sizeof p, &b6, &a6, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.mtu, 6);
  p[0] = SYNACK_ICMP6_TIME_EXCEEDED;
  fix6(p, 47, &b6, &a6);
  CHECK_EQ_U(synack_icmp6_parse(p, 47, &b6, &a6, &r), SYNACK_DROP_ICMP_BAD_QUOTE);
  fix6(p, 48, &b6, &a6);
  CHECK_EQ_U(synack_icmp6_parse(p, 48, &b6, &a6, &r), SYNACK_DROP_NONE);
  p[8] = 0x45;
  fix6(p, 48, &b6, &a6);
  CHECK_EQ_U(synack_icmp6_parse(p, 48, &b6, &a6, &r), SYNACK_DROP_ICMP_BAD_QUOTE);
}

static void v6_neighbour_discovery(void) {
  addrs();
  synack_icmp_repr_t r;
  REQUIRE(synack_icmp6_parse(ns6, sizeof ns6, &a6, &snm6, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, SYNACK_ICMP6_NS);
  CHECK_MEM(&r.target, &b6, sizeof b6);
  CHECK(r.has_lladdr);
  static const uint8_t mac_a[6] = { 2, 0, 0, 0x5a, 0xc0, 1 }, mac_b[6] = { 2, 0, 0, 0x5a, 0xc0, 2 };
  CHECK_MEM(r.lladdr.b, mac_a, 6);
  uint8_t out[64];
  CHECK_EQ_U(synack_icmp6_emit(&r, &a6, &snm6, out, sizeof out), sizeof ns6);
  CHECK_MEM(out, ns6, sizeof ns6);

  REQUIRE(synack_icmp6_parse(na6, sizeof na6, &b6, &a6, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, SYNACK_ICMP6_NA);
  CHECK(!r.na_router && r.na_solicited && r.na_override);
  CHECK_MEM(&r.target, &b6, sizeof b6);
  CHECK(r.has_lladdr);
  CHECK_MEM(r.lladdr.b, mac_b, 6);
  CHECK_EQ_U(synack_icmp6_emit(&r, &b6, &a6, out, sizeof out), sizeof na6);
  CHECK_MEM(out, na6, sizeof na6);
  CHECK_EQ_U(synack_icmp6_emit(&r, &b6, &a6, out, 31), 0);

  /* Without the option; with an unknown option (nonce, type 14) before it. */
  uint8_t b[48];
  memcpy(b, na6, 24);
  fix6(b, 24, &b6, &a6);
  REQUIRE(synack_icmp6_parse(b, 24, &b6, &a6, &r) == SYNACK_DROP_NONE);
  CHECK(!r.has_lladdr);
  CHECK_EQ_U(synack_icmp6_emit(&r, &b6, &a6, out, sizeof out), 24);
  CHECK_MEM(out, b, 24);
  memcpy(b, ns6, 24);
  static const uint8_t nonce[8] = { 14, 1, 1, 2, 3, 4, 5, 6 };
  memcpy(b + 24, nonce, 8);
  memcpy(b + 32, ns6 + 24, 8);
  fix6(b, 40, &a6, &snm6);
  REQUIRE(synack_icmp6_parse(b, 40, &a6, &snm6, &r) == SYNACK_DROP_NONE);
  CHECK(r.has_lladdr);
  CHECK_MEM(r.lladdr.b, mac_a, 6);
  CHECK_EQ_U(r.data_len, 16);
}

static void v6_nd_invalid(void) {
  addrs();
  synack_icmp_repr_t r;
  uint8_t b[48];
  /* Code must be 0. */
  memcpy(b, ns6, sizeof ns6);
  b[1] = 1;
  fix6(b, sizeof ns6, &a6, &snm6);
  CHECK_EQ_U(synack_icmp6_parse(b, sizeof ns6, &a6, &snm6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  /* Shorter than 24 bytes. */
  for (size_t n = 8; n < 24; n++) {
    memcpy(b, ns6, n);
    fix6(b, n, &a6, &snm6);
    CHECK_EQ_U(synack_icmp6_parse(b, n, &a6, &snm6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  }
  /* Option length 0, option running past the end, a lone option byte. */
  memcpy(b, ns6, sizeof ns6);
  b[25] = 0;
  fix6(b, sizeof ns6, &a6, &snm6);
  CHECK_EQ_U(synack_icmp6_parse(b, sizeof ns6, &a6, &snm6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  b[25] = 2;
  fix6(b, sizeof ns6, &a6, &snm6);
  CHECK_EQ_U(synack_icmp6_parse(b, sizeof ns6, &a6, &snm6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  memcpy(b, ns6, sizeof ns6);
  b[32] = 1;
  fix6(b, 33, &a6, &snm6);
  CHECK_EQ_U(synack_icmp6_parse(b, 33, &a6, &snm6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  /* Multicast target. */
  memcpy(b, ns6, sizeof ns6);
  b[8] = 0xff;
  fix6(b, sizeof ns6, &a6, &snm6);
  CHECK_EQ_U(synack_icmp6_parse(b, sizeof ns6, &a6, &snm6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  /* DAD solicitation (source ::) with a source link-layer address; without one it is fine. */
  memcpy(b, ns6, sizeof ns6);
  fix6(b, sizeof ns6, &unspec6, &snm6);
  CHECK_EQ_U(synack_icmp6_parse(b, sizeof ns6, &unspec6, &snm6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  fix6(b, 24, &unspec6, &snm6);
  CHECK_EQ_U(synack_icmp6_parse(b, 24, &unspec6, &snm6, &r), SYNACK_DROP_NONE);
  /* Solicited advertisement to a multicast address. */
  memcpy(b, na6, sizeof na6);
  fix6(b, sizeof na6, &b6, &mc6);
  CHECK_EQ_U(synack_icmp6_parse(b, sizeof na6, &b6, &mc6, &r), SYNACK_DROP_ICMP6_BAD_ND);
  b[4] = 0x20; /* unsolicited, override: fine */
  fix6(b, sizeof na6, &b6, &mc6);
  CHECK_EQ_U(synack_icmp6_parse(b, sizeof na6, &b6, &mc6, &r), SYNACK_DROP_NONE);
  CHECK(r.na_override && !r.na_solicited);
}

static void v6_unknown_type(void) {
  addrs();
  /* Router solicitation (133): generic parse, data after the first 4 bytes. */
  uint8_t rs[8] = { 133, 0, 0, 0, 0, 0, 0, 0 };
  fix6(rs, sizeof rs, &a6, &mc6);
  synack_icmp_repr_t r;
  REQUIRE(synack_icmp6_parse(rs, sizeof rs, &a6, &mc6, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.type, 133);
  CHECK_EQ_U(r.data_len, 4);
  uint8_t out[16];
  CHECK_EQ_U(synack_icmp6_emit(&r, &a6, &mc6, out, sizeof out), 8);
  CHECK_MEM(out, rs, 8);
}

TH_MAIN(TH_CASE(v4_echo), TH_CASE(v4_errors), TH_CASE(v4_malformed_and_unknown), TH_CASE(v6_echo_and_errors),
        TH_CASE(v6_neighbour_discovery), TH_CASE(v6_nd_invalid), TH_CASE(v6_unknown_type))
