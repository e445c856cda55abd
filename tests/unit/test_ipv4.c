/* IPv4 header (RFC 791). */
#include "harness.h"
#include "synack/wire.h"

/* Linux: 198.18.0.1 -> 198.18.0.2, UDP, DF, id 0x4f58, TTL 64, 13 bytes of UDP ("hello"). */
static const uint8_t pkt[] = {
  0x45, 0x00, 0x00, 0x21, 0x4f, 0x58, 0x40, 0x00, 0x40, 0x11, 0x5f, 0x4c, 0xc6, 0x12, 0x00, 0x01,
  0xc6, 0x12, 0x00, 0x02, 0xe1, 0xa3, 0x00, 0x09, 0x00, 0x0d, 0x4e, 0x2d, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* Recomputes the header checksum after a test changed a field. */
static void fix_csum(uint8_t *h) {
  size_t ihl = (size_t)(h[0] & 15) * 4;
  h[10] = h[11] = 0;
  uint16_t c = synack_csum_finish(synack_csum_add(0, h, ihl));
  h[10] = (uint8_t)(c >> 8);
  h[11] = (uint8_t)c;
}

static void parse_fields(void) {
  synack_ip4_repr_t r;
  REQUIRE(synack_ip4_parse(pkt, sizeof pkt, 0, &r) == SYNACK_DROP_NONE);
  synack_ip_t s = synack_ip4(198, 18, 0, 1), d = synack_ip4(198, 18, 0, 2);
  CHECK_MEM(&r.src, &s, sizeof s);
  CHECK_MEM(&r.dst, &d, sizeof d);
  CHECK_EQ_U(r.tos, 0);
  CHECK_EQ_U(r.ttl, 64);
  CHECK_EQ_U(r.proto, SYNACK_IPPROTO_UDP);
  CHECK_EQ_U(r.id, 0x4f58);
  CHECK(r.df && !r.mf);
  CHECK_EQ_U(r.frag_off, 0);
  CHECK_EQ_U(r.header_len, 20);
  CHECK_EQ_U(r.total_len, 33);
  CHECK(r.payload == pkt + 20);
  CHECK_EQ_U(r.payload_len, 13);
}

static void roundtrip(void) {
  synack_ip4_repr_t r;
  REQUIRE(synack_ip4_parse(pkt, sizeof pkt, 0, &r) == SYNACK_DROP_NONE);
  uint8_t out[20];
  CHECK_EQ_U(synack_ip4_emit(&r, r.payload_len, out, sizeof out), 20);
  CHECK_MEM(out, pkt, 20);
  CHECK_EQ_U(synack_ip4_emit(&r, r.payload_len, out, 19), 0);
  CHECK_EQ_U(synack_ip4_emit(&r, 65516, out, sizeof out), 0); /* total length would overflow */
  /* A fragment with ECN bits and MF survives the round trip too. */
  r.tos = 0xb9;
  r.mf = true;
  r.df = false;
  r.frag_off = 1480;
  r.ttl = 1;
  uint8_t frag[20 + 16] = { 0 };
  REQUIRE(synack_ip4_emit(&r, 16, frag, sizeof frag) == 20);
  synack_ip4_repr_t q;
  REQUIRE(synack_ip4_parse(frag, sizeof frag, 0, &q) == SYNACK_DROP_NONE);
  CHECK_EQ_U(q.tos, 0xb9);
  CHECK(q.mf && !q.df);
  CHECK_EQ_U(q.frag_off, 1480);
  CHECK_EQ_U(q.payload_len, 16);
  uint8_t again[20];
  CHECK_EQ_U(synack_ip4_emit(&q, q.payload_len, again, sizeof again), 20);
  CHECK_MEM(again, frag, 20);
}

static void link_padding_is_trimmed(void) {
  uint8_t b[46] = { 0 };
  memcpy(b, pkt, sizeof pkt);
  synack_ip4_repr_t r;
  REQUIRE(synack_ip4_parse(b, sizeof b, 0, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.payload_len, 13);
}

static void truncated_at_every_length(void) {
  synack_ip4_repr_t r;
  for (size_t n = 0; n < 20; n++) CHECK_EQ_U(synack_ip4_parse(pkt, n, 0, &r), SYNACK_DROP_IP4_TRUNCATED);
  /* From 20 bytes on, the header is there but total length says 33. */
  for (size_t n = 20; n < sizeof pkt; n++) CHECK_EQ_U(synack_ip4_parse(pkt, n, 0, &r), SYNACK_DROP_IP4_TOTLEN_GT_FRAME);
}

static void malformed_headers(void) {
  uint8_t b[sizeof pkt];
  synack_ip4_repr_t r;
  memcpy(b, pkt, sizeof b);
  b[0] = 0x65; /* version 6 */
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_IP4_BAD_VERSION);
  for (uint8_t ihl = 0; ihl < 5; ihl++) {
    memcpy(b, pkt, sizeof b);
    b[0] = (uint8_t)(0x40 | ihl);
    CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_IP4_BAD_IHL);
  }
  memcpy(b, pkt, sizeof b);
  b[0] = 0x49; /* 36-byte header in a 33-byte packet */
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_IP4_BAD_IHL);
  memcpy(b, pkt, sizeof b);
  b[3] = 19; /* total length below the header */
  fix_csum(b);
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_IP4_TOTLEN_LT_IHL);
  memcpy(b, pkt, sizeof b);
  b[3] = 34; /* larger than the frame */
  fix_csum(b);
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_IP4_TOTLEN_GT_FRAME);
  memcpy(b, pkt, sizeof b);
  b[11] ^= 1;
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_IP4_BAD_CHECKSUM);
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, SYNACK_PARSE_NO_CSUM, &r), SYNACK_DROP_NONE);
  /* Every single-bit flip in the header is caught by the checksum or a structural check. */
  for (size_t bit = 0; bit < 160; bit++) {
    memcpy(b, pkt, sizeof b);
    b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK(synack_ip4_parse(b, sizeof b, 0, &r) != SYNACK_DROP_NONE);
  }
}

static void ttl_zero_is_reported_after_full_parse(void) {
  uint8_t b[sizeof pkt];
  memcpy(b, pkt, sizeof b);
  b[8] = 0;
  fix_csum(b);
  synack_ip4_repr_t r;
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_IP4_TTL_ZERO);
  CHECK_EQ_U(r.ttl, 0);
  CHECK_EQ_U(r.proto, SYNACK_IPPROTO_UDP);
  CHECK_EQ_U(r.payload_len, 13);
}

/* Builds a header with the given options (padded to 4 bytes by the caller). */
static size_t with_options(uint8_t *b, const uint8_t *opt, size_t olen) {
  memcpy(b, pkt, 20);
  memcpy(b + 20, opt, olen);
  memcpy(b + 20 + olen, pkt + 20, sizeof pkt - 20);
  b[0] = (uint8_t)(0x40 | (20 + olen) / 4);
  size_t total = sizeof pkt + olen;
  b[2] = (uint8_t)(total >> 8);
  b[3] = (uint8_t)total;
  fix_csum(b);
  return total;
}

static void options(void) {
  uint8_t b[100];
  synack_ip4_repr_t r;
  /* Record route (7), length 7, pointer 4, one empty slot; then EOL. */
  static const uint8_t rr[] = { 7, 7, 4, 0, 0, 0, 0, 0 };
  size_t n = with_options(b, rr, sizeof rr);
  REQUIRE(synack_ip4_parse(b, n, 0, &r) == SYNACK_DROP_NONE);
  CHECK_EQ_U(r.header_len, 28);
  CHECK(r.payload == b + 28);
  CHECK_EQ_U(r.payload_len, 13);
  static const uint8_t nops[] = { 1, 1, 1, 0 };
  n = with_options(b, nops, sizeof nops);
  CHECK_EQ_U(synack_ip4_parse(b, n, 0, &r), SYNACK_DROP_NONE);
  static const uint8_t len1[] = { 1, 1, 7, 1 };
  n = with_options(b, len1, sizeof len1);
  CHECK_EQ_U(synack_ip4_parse(b, n, 0, &r), SYNACK_DROP_IP4_BAD_OPTIONS);
  static const uint8_t len0[] = { 7, 0, 0, 0 };
  n = with_options(b, len0, sizeof len0);
  CHECK_EQ_U(synack_ip4_parse(b, n, 0, &r), SYNACK_DROP_IP4_BAD_OPTIONS);
  static const uint8_t past[] = { 1, 7, 4, 4 };
  n = with_options(b, past, sizeof past);
  CHECK_EQ_U(synack_ip4_parse(b, n, 0, &r), SYNACK_DROP_IP4_BAD_OPTIONS);
  static const uint8_t no_len[] = { 1, 1, 1, 7 };
  n = with_options(b, no_len, sizeof no_len);
  CHECK_EQ_U(synack_ip4_parse(b, n, 0, &r), SYNACK_DROP_IP4_BAD_OPTIONS);
}

static void fragments(void) {
  uint8_t b[20 + 16];
  memcpy(b, pkt, 20);
  memset(b + 20, 0xab, 16);
  b[3] = sizeof b;
  synack_ip4_repr_t r;
  /* MF, offset 185*8 = 1480, 16 bytes: fine. */
  b[6] = 0x20;
  b[7] = 185;
  fix_csum(b);
  REQUIRE(synack_ip4_parse(b, sizeof b, 0, &r) == SYNACK_DROP_NONE);
  CHECK(r.mf && !r.df);
  CHECK_EQ_U(r.frag_off, 1480);
  /* Not the last fragment, but 12 bytes: not a multiple of 8. */
  b[3] = 32;
  fix_csum(b);
  CHECK_EQ_U(synack_ip4_parse(b, 32, 0, &r), SYNACK_DROP_FRAG_BAD_OFFSET);
  /* Last fragment at the maximum offset: 65528 + 16 > 65535. */
  b[3] = sizeof b;
  b[6] = 0x1f;
  b[7] = 0xff;
  fix_csum(b);
  CHECK_EQ_U(synack_ip4_parse(b, sizeof b, 0, &r), SYNACK_DROP_FRAG_BAD_OFFSET);
  /* ... but 7 bytes there fit exactly (65528 + 7 = 65535). */
  b[3] = 27;
  fix_csum(b);
  CHECK_EQ_U(synack_ip4_parse(b, 27, 0, &r), SYNACK_DROP_NONE);
  CHECK_EQ_U(r.frag_off, 65528);
}

TH_MAIN(TH_CASE(parse_fields), TH_CASE(roundtrip), TH_CASE(link_padding_is_trimmed), TH_CASE(truncated_at_every_length),
        TH_CASE(malformed_headers), TH_CASE(ttl_zero_is_reported_after_full_parse), TH_CASE(options), TH_CASE(fragments))
