/* UDP (RFC 768) with IPv4 and IPv6 pseudo-header checksums. */
#include "harness.h"
#include "synack/wire.h"

/* Linux: 198.18.0.1:57763 -> 198.18.0.2:9, "hello". */
static const uint8_t udp4[] = { 0xe1, 0xa3, 0x00, 0x09, 0x00, 0x0d, 0x4e, 0x2d, 0x68, 0x65, 0x6c, 0x6c, 0x6f };
/* Linux: [fd00:5ac::1]:38867 -> [fd00:5ac::2]:9, "hello". */
static const uint8_t udp6[] = { 0x97, 0xd3, 0x00, 0x09, 0x00, 0x0d, 0x1e, 0xc9, 0x68, 0x65, 0x6c, 0x6c, 0x6f };

static synack_ip_t a4, b4, a6, b6;
static void addrs(void) {
  a4 = synack_ip4(198, 18, 0, 1);
  b4 = synack_ip4(198, 18, 0, 2);
  synack_ip_parse("fd00:5ac::1", &a6);
  synack_ip_parse("fd00:5ac::2", &b6);
}

static void parse_fields(void) {
  addrs();
  synack_udp_repr_t u;
  REQUIRE(synack_udp_parse(udp4, sizeof udp4, &a4, &b4, 0, &u) == SYNACK_DROP_NONE);
  CHECK_EQ_U(u.src_port, 57763);
  CHECK_EQ_U(u.dst_port, 9);
  CHECK_EQ_U(u.length, 13);
  CHECK(u.payload == udp4 + 8);
  CHECK_EQ_U(u.payload_len, 5);
  REQUIRE(synack_udp_parse(udp6, sizeof udp6, &a6, &b6, 0, &u) == SYNACK_DROP_NONE);
  CHECK_EQ_U(u.src_port, 38867);
  CHECK_MEM(u.payload, "hello", 5);
  /* Wrong pseudo-header (swapped addresses are fine: the sum commutes; another address not). */
  CHECK_EQ_U(synack_udp_parse(udp4, sizeof udp4, &b4, &a4, 0, &u), SYNACK_DROP_NONE);
  synack_ip_t other = synack_ip4(198, 18, 0, 3);
  CHECK_EQ_U(synack_udp_parse(udp4, sizeof udp4, &a4, &other, 0, &u), SYNACK_DROP_UDP_BAD_CHECKSUM);
  CHECK_EQ_U(synack_udp_parse(udp4, sizeof udp4, &a4, &other, SYNACK_PARSE_NO_CSUM, &u), SYNACK_DROP_NONE);
  CHECK_EQ_U(synack_udp_parse(udp4, sizeof udp4, NULL, NULL, 0, &u), SYNACK_DROP_NONE);
}

static void roundtrip(void) {
  addrs();
  synack_udp_repr_t u;
  uint8_t out[64];
  REQUIRE(synack_udp_parse(udp4, sizeof udp4, &a4, &b4, 0, &u) == SYNACK_DROP_NONE);
  CHECK_EQ_U(synack_udp_emit(&u, &a4, &b4, out, sizeof out), sizeof udp4);
  CHECK_MEM(out, udp4, sizeof udp4);
  CHECK_EQ_U(synack_udp_emit(&u, &a4, &b4, out, sizeof udp4 - 1), 0);
  REQUIRE(synack_udp_parse(udp6, sizeof udp6, &a6, &b6, 0, &u) == SYNACK_DROP_NONE);
  CHECK_EQ_U(synack_udp_emit(&u, &a6, &b6, out, sizeof out), sizeof udp6);
  CHECK_MEM(out, udp6, sizeof udp6);
}

static void malformed(void) {
  addrs();
  synack_udp_repr_t u;
  uint8_t b[sizeof udp4 + 4];
  for (size_t n = 0; n < 8; n++) CHECK_EQ_U(synack_udp_parse(udp4, n, &a4, &b4, 0, &u), SYNACK_DROP_UDP_TRUNCATED);
  for (size_t n = 8; n < sizeof udp4; n++)
    CHECK_EQ_U(synack_udp_parse(udp4, n, &a4, &b4, 0, &u), SYNACK_DROP_UDP_BAD_LENGTH);
  memcpy(b, udp4, sizeof udp4);
  b[5] = 7; /* length below the header */
  CHECK_EQ_U(synack_udp_parse(b, sizeof udp4, &a4, &b4, 0, &u), SYNACK_DROP_UDP_BAD_LENGTH);
  /* Bytes after the UDP length (IP-level padding) are ignored. */
  memcpy(b, udp4, sizeof udp4);
  memset(b + sizeof udp4, 0xee, 4);
  REQUIRE(synack_udp_parse(b, sizeof b, &a4, &b4, 0, &u) == SYNACK_DROP_NONE);
  CHECK_EQ_U(u.payload_len, 5);
  b[9] ^= 0x20;
  CHECK_EQ_U(synack_udp_parse(b, sizeof b, &a4, &b4, 0, &u), SYNACK_DROP_UDP_BAD_CHECKSUM);
}

static void zero_checksum_rules(void) {
  addrs();
  synack_udp_repr_t u;
  uint8_t b[sizeof udp4];
  memcpy(b, udp4, sizeof b);
  b[6] = b[7] = 0;
  /* RFC 768: allowed over IPv4. RFC 8200 §8.1: not over IPv6. */
  CHECK_EQ_U(synack_udp_parse(b, sizeof b, &a4, &b4, 0, &u), SYNACK_DROP_NONE);
  memcpy(b, udp6, sizeof b);
  b[6] = b[7] = 0;
  CHECK_EQ_U(synack_udp_parse(b, sizeof b, &a6, &b6, 0, &u), SYNACK_DROP_UDP_BAD_CHECKSUM);

  /* A datagram whose checksum computes to zero is sent as 0xffff and still verifies. */
  uint8_t pay[2] = { 0, 0 };
  synack_udp_repr_t r = { .src_port = 1000, .dst_port = 2000, .payload = pay, .payload_len = 2 };
  uint8_t out[16];
  REQUIRE(synack_udp_emit(&r, &a6, &b6, out, sizeof out) == 10);
  uint16_t c0 = (uint16_t)(out[6] << 8 | out[7]);
  pay[0] = (uint8_t)(c0 >> 8); /* adding ~sum makes the sum all ones: checksum 0 */
  pay[1] = (uint8_t)c0;
  REQUIRE(synack_udp_emit(&r, &a6, &b6, out, sizeof out) == 10);
  CHECK_EQ_U(out[6], 0xff);
  CHECK_EQ_U(out[7], 0xff);
  CHECK_EQ_U(synack_udp_parse(out, 10, &a6, &b6, 0, &u), SYNACK_DROP_NONE);
}

TH_MAIN(TH_CASE(parse_fields), TH_CASE(roundtrip), TH_CASE(malformed), TH_CASE(zero_checksum_rules))
