/* IPv6 fixed header and extension-header chain (RFC 8200). */
#include "harness.h"
#include "synack/wire.h"

/* Linux SYN-ACK fd00:5ac::2 -> fd00:5ac::1, flow label 0x38018, hop limit 64, 40 bytes TCP. */
static const uint8_t hdr[40] = {
  0x60, 0x03, 0x80, 0x18, 0x00, 0x28, 0x06, 0x40, 0xfd, 0x00, 0x05, 0xac, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfd, 0x00, 0x05, 0xac, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

/* Copies the fixed header with next header nh, then the extension bytes, then `tail` payload
 * bytes; returns the packet length. */
static size_t build(uint8_t *b, uint8_t nh, const uint8_t *ext, size_t ext_len, size_t tail) {
  memcpy(b, hdr, 40);
  b[6] = nh;
  if (ext_len) memcpy(b + 40, ext, ext_len);
  memset(b + 40 + ext_len, 0xcc, tail);
  size_t plen = ext_len + tail;
  b[4] = (uint8_t)(plen >> 8);
  b[5] = (uint8_t)plen;
  return 40 + plen;
}

static void parse_fields(void) {
  uint8_t b[80];
  size_t n = build(b, SYNACK_IPPROTO_TCP, NULL, 0, 40);
  synack_ip6_repr_t r;
  REQUIRE(synack_ip6_parse(b, n, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.traffic_class, 0);
  CHECK_EQ_U(r.flow_label, 0x38018);
  CHECK_EQ_U(r.hop_limit, 64);
  CHECK_EQ_U(r.payload_len_field, 40);
  CHECK_EQ_U(r.proto, SYNACK_IPPROTO_TCP);
  CHECK(!r.has_frag);
  CHECK_EQ_U(r.routing_segments_left, 0);
  CHECK(r.payload == b + 40);
  CHECK(r.unfrag_end == b + 40);
  CHECK_EQ_U(r.payload_len, 40);
  synack_ip_t s, d;
  REQUIRE(synack_ip_parse("fd00:5ac::2", &s) == 0);
  REQUIRE(synack_ip_parse("fd00:5ac::1", &d) == 0);
  CHECK_MEM(&r.src, &s, sizeof s);
  CHECK_MEM(&r.dst, &d, sizeof d);
}

static void roundtrip(void) {
  uint8_t b[80];
  size_t n = build(b, SYNACK_IPPROTO_TCP, NULL, 0, 40);
  b[0] = 0x6b; /* traffic class 0xb8 */
  b[1] = 0x8f;
  synack_ip6_repr_t r;
  REQUIRE(synack_ip6_parse(b, n, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.traffic_class, 0xb8);
  CHECK_EQ_U(r.flow_label, 0xf8018);
  uint8_t out[40];
  CHECK_EQ_U(synack_ip6_emit(&r, r.payload_len, out, sizeof out), 40);
  CHECK_MEM(out, b, 40);
  CHECK_EQ_U(synack_ip6_emit(&r, r.payload_len, out, 39), 0);
  CHECK_EQ_U(synack_ip6_emit(&r, 65536, out, 40), 0);
}

static void truncated_and_lengths(void) {
  uint8_t b[80];
  size_t n = build(b, SYNACK_IPPROTO_TCP, NULL, 0, 40);
  synack_ip6_repr_t r;
  for (size_t i = 0; i < 40; i++) CHECK_EQ_U(synack_ip6_parse(b, i, &r), SYNACK_DROP_IP6_TRUNCATED);
  for (size_t i = 40; i < n; i++) CHECK_EQ_U(synack_ip6_parse(b, i, &r), SYNACK_DROP_IP6_PAYLOAD_GT_FRAME);
  /* Frame padding beyond the payload length is ignored. */
  n = build(b, SYNACK_IPPROTO_UDP, NULL, 0, 8);
  REQUIRE(synack_ip6_parse(b, n + 10, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.payload_len, 8);
  b[0] = 0x40;
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_BAD_VERSION);
}

static void hop_limit_zero(void) {
  uint8_t b[80];
  size_t n = build(b, SYNACK_IPPROTO_UDP, NULL, 0, 8);
  b[7] = 0;
  synack_ip6_repr_t r;
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_HOPLIMIT_ZERO);
  CHECK_EQ_U(r.proto, SYNACK_IPPROTO_UDP); /* filled in anyway */
  CHECK_EQ_U(r.payload_len, 8);
}

static void extension_chain(void) {
  /* Hop-by-hop (router alert + PadN), destination options (Pad1 x6), routing (type 4, segments
   * left 0, 16 bytes), fragment (offset 0, M, id 0x12345678), then 16 bytes of UDP data. */
  static const uint8_t ext[] = {
    SYNACK_IP6_NH_DSTOPTS, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,                 /* HBH */
    SYNACK_IP6_NH_ROUTING, 0, 0, 0, 0, 0, 0, 0,                                    /* DSTOPTS */
    SYNACK_IP6_NH_FRAGMENT, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,           /* routing */
    SYNACK_IPPROTO_UDP, 0, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78,                     /* fragment */
  };
  uint8_t b[200];
  size_t n = build(b, SYNACK_IP6_NH_HOPOPTS, ext, sizeof ext, 16);
  synack_ip6_repr_t r;
  REQUIRE(synack_ip6_parse(b, n, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.proto, SYNACK_IPPROTO_UDP);
  CHECK(r.has_frag);
  CHECK(r.frag_more);
  CHECK_EQ_U(r.frag_off, 0);
  CHECK_EQ_U(r.frag_id, 0x12345678);
  CHECK(r.unfrag_end == b + 40 + 32);
  CHECK(r.payload == b + 40 + 40);
  CHECK_EQ_U(r.payload_len, 16);

  /* A later fragment: offset 1232 = 154 * 8, last one. */
  static const uint8_t e2[] = { SYNACK_IPPROTO_TCP, 0, 0x04, 0xd0, 0, 0, 0, 9 }; /* 0x4d0 = 1232 */
  n = build(b, SYNACK_IP6_NH_FRAGMENT, e2, sizeof e2, 5);
  REQUIRE(synack_ip6_parse(b, n, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.frag_off, 1232);
  CHECK(!r.frag_more);
  CHECK_EQ_U(r.frag_id, 9);
  CHECK(r.unfrag_end == b + 40);
  CHECK_EQ_U(r.payload_len, 5);

  /* Routing header with segments left: recorded, the stack decides. */
  static const uint8_t rt[] = { SYNACK_IP6_NH_NONE, 0, 4, 3, 0, 0, 0, 0 };
  n = build(b, SYNACK_IP6_NH_ROUTING, rt, sizeof rt, 0);
  REQUIRE(synack_ip6_parse(b, n, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.routing_segments_left, 3);
  CHECK_EQ_U(r.proto, SYNACK_IP6_NH_NONE);
  CHECK_EQ_U(r.payload_len, 0);
}

static void extension_errors(void) {
  uint8_t b[400];
  synack_ip6_repr_t r;
  /* Hop-by-hop after a destination options header. */
  static const uint8_t hbh_late[] = { 0, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0 };
  size_t n = build(b, SYNACK_IP6_NH_DSTOPTS, hbh_late, sizeof hbh_late, 8);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_HBH_NOT_FIRST);
  /* Nine destination options headers: the chain bound is 8. */
  uint8_t chain[72];
  for (int i = 0; i < 9; i++) {
    uint8_t *h = chain + 8 * i;
    h[0] = i == 8 ? SYNACK_IPPROTO_UDP : SYNACK_IP6_NH_DSTOPTS;
    h[1] = 0;
    h[2] = 1; /* PadN, 4 bytes of padding */
    h[3] = 4;
    memset(h + 4, 0, 4);
  }
  n = build(b, SYNACK_IP6_NH_DSTOPTS, chain, 72, 8);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_TOO_MANY_EXTHDRS);
  n = build(b, SYNACK_IP6_NH_DSTOPTS, chain + 8, 64, 8); /* exactly 8 is fine */
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_NONE);
  /* Truncated extension headers at every length. */
  static const uint8_t dst16[] = { 17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  for (size_t cut = 0; cut < sizeof dst16; cut++) {
    n = build(b, SYNACK_IP6_NH_DSTOPTS, dst16, cut, 0);
    CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_BAD_EXTHDR);
  }
  n = build(b, SYNACK_IP6_NH_DSTOPTS, dst16, sizeof dst16, 0);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_NONE);
  /* An option TLV that crosses the end of its header. */
  static const uint8_t bad_tlv[] = { 17, 0, 1, 5, 0, 0, 0, 0 };
  n = build(b, SYNACK_IP6_NH_HOPOPTS, bad_tlv, sizeof bad_tlv, 8);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_BAD_EXTHDR);
  static const uint8_t half_tlv[] = { 17, 0, 0, 0, 0, 0, 0, 5 };
  n = build(b, SYNACK_IP6_NH_DSTOPTS, half_tlv, sizeof half_tlv, 8);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_BAD_EXTHDR);
  /* Truncated fragment header. */
  static const uint8_t frag[] = { 17, 0, 0, 0, 0, 0, 0, 1 };
  for (size_t cut = 0; cut < 8; cut++) {
    n = build(b, SYNACK_IP6_NH_FRAGMENT, frag, cut, 0);
    CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_IP6_BAD_EXTHDR);
  }
  /* Non-final fragment whose length is not a multiple of 8. */
  static const uint8_t more[] = { 17, 0, 0, 1, 0, 0, 0, 1 };
  n = build(b, SYNACK_IP6_NH_FRAGMENT, more, sizeof more, 12);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_FRAG_BAD_OFFSET);
  n = build(b, SYNACK_IP6_NH_FRAGMENT, more, sizeof more, 16);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_NONE);
  /* Offset 65528 with 16 bytes runs past 65535. */
  static const uint8_t far[] = { 17, 0, 0xff, 0xf8, 0, 0, 0, 1 };
  n = build(b, SYNACK_IP6_NH_FRAGMENT, far, sizeof far, 16);
  CHECK_EQ_U(synack_ip6_parse(b, n, &r), SYNACK_DROP_FRAG_BAD_OFFSET);
}

TH_MAIN(TH_CASE(parse_fields), TH_CASE(roundtrip), TH_CASE(truncated_and_lengths), TH_CASE(hop_limit_zero),
        TH_CASE(extension_chain), TH_CASE(extension_errors))
