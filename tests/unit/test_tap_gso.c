/* The TAP driver's offload helpers (src/drivers/tap/gso.c): finishing partial checksums,
 * splitting TCP super-frames, coalescing segments into TSO frames — exact bytes checked. */
#include <synack/synack.h>
#include <synack/tap.h>

#include "harness.h"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 1 }, MAC_B[6] = { 0x02, 0, 0, 0, 0, 2 };

/* Ethernet / IPv4 or IPv6 / TCP with the timestamp option (NOP NOP TS: header 32 bytes) and
 * payload bytes (seq + i) & 0xff, full checksums. Returns the frame length. */
static size_t build(uint8_t *f, bool v6, uint32_t seq, uint8_t flags, size_t payload, uint16_t ip_id) {
  synack_ip_t src, dst;
  if (v6) {
    synack_ip_parse("fd00::1", &src);
    synack_ip_parse("fd00::2", &dst);
  } else {
    src = synack_ip4(198, 18, 0, 1);
    dst = synack_ip4(198, 18, 0, 2);
  }
  synack_eth_repr_t eth = { .ethertype = v6 ? SYNACK_ETHERTYPE_IPV6 : SYNACK_ETHERTYPE_IPV4 };
  memcpy(eth.dst.b, MAC_B, 6);
  memcpy(eth.src.b, MAC_A, 6);
  synack_eth_emit(&eth, f, 14);
  size_t l3 = v6 ? 40 : 20;
  synack_tcp_repr_t t;
  memset(&t, 0, sizeof t);
  t.src_port = 8080;
  t.dst_port = 40000;
  t.seq = seq;
  t.ack = 777;
  t.flags = flags;
  t.window = 501;
  t.opts.present = SYNACK_TCPOPT_HAS_TS;
  t.opts.ts_val = 1000;
  t.opts.ts_ecr = 2000;
  const uint8_t layout[] = { 1, 1, 8 };
  memcpy(t.opts.layout, layout, sizeof layout);
  t.opts.layout_len = sizeof layout;
  uint8_t *tcp = f + 14 + l3;
  size_t hl = synack_tcp_emit(&t, tcp, 60);
  for (size_t i = 0; i < payload; i++) tcp[hl + i] = (uint8_t)(seq + i);
  synack_tcp_fill_checksum(tcp, hl + payload, &src, &dst);
  if (v6) {
    synack_ip6_repr_t h;
    memset(&h, 0, sizeof h);
    h.src = src;
    h.dst = dst;
    h.hop_limit = 64;
    h.proto = SYNACK_IPPROTO_TCP;
    synack_ip6_emit(&h, hl + payload, f + 14, 40);
  } else {
    synack_ip4_repr_t h;
    memset(&h, 0, sizeof h);
    h.src = src;
    h.dst = dst;
    h.ttl = 64;
    h.proto = SYNACK_IPPROTO_TCP;
    h.id = ip_id;
    h.df = true;
    synack_ip4_emit(&h, hl + payload, f + 14, 20);
  }
  return 14 + l3 + hl + payload;
}

static uint8_t frame_buf[SYNACK_TAP_MAX_FRAME];

typedef struct {
  int n;
  uint8_t seg[8][2048];
  size_t len[8];
} segs_t;

static void collect(void *user, uint8_t *f, size_t len) {
  segs_t *s = user;
  if (s->n < 8 && len <= sizeof s->seg[0]) {
    memcpy(s->seg[s->n], f, len);
    s->len[s->n] = len;
  }
  s->n++;
}

static void test_split_ipv4_flags_seq_ids_checksums(void) {
  /* A 3000-byte super-frame cut at 1000: CWR only on the first, PSH and FIN only on the last. */
  size_t len = build(frame_buf, false, 5000, 0x80 | 0x10 | 0x08 | 0x01, 3000, 100);
  synack_tap_meta_t m = { .gso_type = SYNACK_GSO_TCP4, .gso_size = 1000, .hdr_len = 14 + 20 + 32 };
  static segs_t s;
  memset(&s, 0, sizeof s);
  CHECK_EQ_I(synack_gso_split(frame_buf, len, &m, collect, &s), 3);
  REQUIRE(s.n == 3);
  const uint8_t want_flags[3] = { 0x80 | 0x10, 0x10, 0x10 | 0x08 | 0x01 };
  for (int i = 0; i < 3; i++) {
    synack_dissect_t d;
    CHECK_EQ_U(s.len[i], 14 + 20 + 32 + 1000);
    CHECK_EQ_I(synack_dissect(s.seg[i], s.len[i], true, &d), SYNACK_DROP_NONE); /* every checksum right */
    CHECK_EQ_U(d.ip4.total_len, 20 + 32 + 1000);
    CHECK_EQ_U(d.ip4.id, 100 + i);
    CHECK_EQ_U(d.tcp.seq, 5000 + 1000 * i);
    CHECK_EQ_U(d.tcp.ack, 777);
    CHECK_EQ_U(d.tcp.flags, want_flags[i]);
    CHECK_EQ_U(d.tcp.opts.ts_val, 1000);
    CHECK_MEM(d.tcp.payload, frame_buf + 14 + 20 + 32 + 1000 * i, 1000);
  }
}

static void test_split_ipv6_short_tail(void) {
  size_t len = build(frame_buf, true, 0xfffffc00u, 0x10, 2000, 0); /* the sequence space wraps */
  synack_tap_meta_t m = { .gso_type = SYNACK_GSO_TCP6, .gso_size = 1440 };
  static segs_t s;
  memset(&s, 0, sizeof s);
  CHECK_EQ_I(synack_gso_split(frame_buf, len, &m, collect, &s), 2);
  REQUIRE(s.n == 2);
  synack_dissect_t d;
  CHECK_EQ_I(synack_dissect(s.seg[0], s.len[0], true, &d), SYNACK_DROP_NONE);
  CHECK_EQ_U(d.ip6.payload_len_field, 32 + 1440);
  CHECK_EQ_U(d.tcp.seq, 0xfffffc00u);
  CHECK_EQ_I(synack_dissect(s.seg[1], s.len[1], true, &d), SYNACK_DROP_NONE);
  CHECK_EQ_U(d.ip6.payload_len_field, 32 + 560);
  CHECK_EQ_U(d.tcp.seq, 0xfffffc00u + 1440u);
  CHECK_MEM(d.tcp.payload, frame_buf + 14 + 40 + 32 + 1440, 560);
}

static void test_split_rejects_malformed(void) {
  size_t len = build(frame_buf, false, 1, 0x10, 100, 1);
  static segs_t s;
  synack_tap_meta_t m = { .gso_type = SYNACK_GSO_TCP6, .gso_size = 50 }; /* wrong family */
  CHECK_EQ_I(synack_gso_split(frame_buf, len, &m, collect, &s), -SYNACK_EINVAL);
  m.gso_type = SYNACK_GSO_TCP4;
  m.gso_size = 0;
  CHECK_EQ_I(synack_gso_split(frame_buf, len, &m, collect, &s), -SYNACK_EINVAL);
  m.gso_size = 50;
  CHECK_EQ_I(synack_gso_split(frame_buf, 30, &m, collect, &s), -SYNACK_EINVAL); /* truncated */
}

static void test_finish_partial_checksum(void) {
  size_t len = build(frame_buf, false, 42, 0x18, 333, 7);
  uint8_t good[2];
  memcpy(good, frame_buf + 14 + 20 + 16, 2);
  /* What the kernel hands over with NEEDS_CSUM: the folded pseudo-header sum in the field. */
  synack_ip_t src = synack_ip4(198, 18, 0, 1), dst = synack_ip4(198, 18, 0, 2);
  uint16_t pseudo = (uint16_t)~synack_csum_finish(synack_csum_pseudo(&src, &dst, 6, 32 + 333));
  frame_buf[14 + 20 + 16] = (uint8_t)(pseudo >> 8);
  frame_buf[14 + 20 + 17] = (uint8_t)pseudo;
  synack_tap_meta_t m = { .flags = SYNACK_TAP_F_PARTIAL, .csum_start = 34, .csum_offset = 16 };
  CHECK_EQ_I(synack_gso_finish_csum(frame_buf, len, &m), 0);
  CHECK_MEM(frame_buf + 14 + 20 + 16, good, 2);
  CHECK_EQ_U(m.flags, SYNACK_TAP_F_CSUM_VALID);
  synack_tap_meta_t bad = { .flags = SYNACK_TAP_F_PARTIAL, .csum_start = (uint16_t)len, .csum_offset = 16 };
  CHECK_EQ_I(synack_gso_finish_csum(frame_buf, len, &bad), -SYNACK_EINVAL);
}

static void test_tcp_csum_fills_an_empty_field(void) {
  size_t len = build(frame_buf, true, 9, 0x10, 10, 0);
  uint8_t good[2];
  memcpy(good, frame_buf + 14 + 40 + 16, 2);
  frame_buf[14 + 40 + 16] = frame_buf[14 + 40 + 17] = 0; /* as a stack with csum_offload_tx leaves it */
  CHECK_EQ_I(synack_gso_tcp_csum(frame_buf, len), 0);
  CHECK_MEM(frame_buf + 14 + 40 + 16, good, 2);
}

static void test_coalesce_then_split_round_trip(void) {
  /* Three full segments and a short one with PSH coalesce into one TSO frame; the kernel's cut
   * (our split) gives back the very same four frames. */
  static uint8_t orig[4][2048];
  size_t olen[4];
  static synack_gso_coalescer_t c;
  synack_gso_coalescer_init(&c);
  for (int i = 0; i < 4; i++) {
    olen[i] = build(orig[i], false, 1000 + 1448u * (uint32_t)i, i == 3 ? 0x18 : 0x10, i == 3 ? 500 : 1448,
                    (uint16_t)(50 + i));
    CHECK(synack_gso_coalesce(&c, orig[i], olen[i]));
  }
  /* Closed by the short segment: nothing more may join. */
  static uint8_t next[2048];
  size_t nlen = build(next, false, 1000 + 1448 * 3 + 500, 0x10, 1448, 54);
  CHECK(!synack_gso_coalesce(&c, next, nlen));
  const uint8_t *out;
  synack_tap_meta_t m;
  size_t len = synack_gso_coalescer_take(&c, &out, &m);
  CHECK_EQ_U(len, 14 + 20 + 32 + 3 * 1448 + 500);
  CHECK_EQ_U(m.gso_type, SYNACK_GSO_TCP4);
  CHECK_EQ_U(m.gso_size, 1448);
  CHECK_EQ_U(m.hdr_len, 66);
  CHECK_EQ_U(m.flags, SYNACK_TAP_F_PARTIAL);
  CHECK_EQ_U(m.csum_start, 34);
  CHECK_EQ_U(m.csum_offset, 16);
  CHECK_EQ_U((out[16] << 8) | out[17], 20 + 32 + 3 * 1448 + 500); /* IPv4 total length */
  CHECK_EQ_U(out[14 + 20 + 13], 0x18);                           /* PSH on the super-frame */
  memcpy(frame_buf, out, len);
  static segs_t s;
  memset(&s, 0, sizeof s);
  CHECK_EQ_I(synack_gso_split(frame_buf, len, &m, collect, &s), 4);
  for (int i = 0; i < 4 && i < s.n; i++) {
    CHECK_EQ_U(s.len[i], olen[i]);
    CHECK_MEM(s.seg[i], orig[i], olen[i]);
  }
  CHECK_EQ_U(synack_gso_coalescer_take(&c, &out, &m), 0); /* emptied */
}

static void test_coalesce_refuses_what_does_not_continue(void) {
  static uint8_t a[2048], b[2048];
  static synack_gso_coalescer_t c;
  synack_gso_coalescer_init(&c);
  size_t la = build(a, false, 100, 0x10, 1000, 1);
  CHECK(synack_gso_coalesce(&c, a, la));
  size_t lb = build(b, false, 100 + 1001, 0x10, 1000, 2); /* a gap of one byte */
  CHECK(!synack_gso_coalesce(&c, b, lb));
  lb = build(b, false, 100 + 1000, 0x10, 1001, 2); /* larger than the first segment */
  CHECK(!synack_gso_coalesce(&c, b, lb));
  lb = build(b, false, 100 + 1000, 0x11, 1000, 2); /* FIN must travel alone */
  CHECK(!synack_gso_coalesce(&c, b, lb));
  lb = build(b, true, 100 + 1000, 0x10, 1000, 2); /* another flow (IPv6) */
  CHECK(!synack_gso_coalesce(&c, b, lb));
  lb = build(b, false, 100 + 1000, 0x10, 1000, 2);
  b[14 + 20 + 14] ^= 1; /* another window */
  CHECK(!synack_gso_coalesce(&c, b, lb));
  b[14 + 20 + 14] ^= 1;
  CHECK(synack_gso_coalesce(&c, b, lb));
  CHECK_EQ_U(c.segs, 2);
  /* A one-segment take is a plain frame with a partial checksum, no GSO. */
  synack_gso_coalescer_init(&c);
  CHECK(synack_gso_coalesce(&c, a, la));
  const uint8_t *out;
  synack_tap_meta_t m;
  CHECK_EQ_U(synack_gso_coalescer_take(&c, &out, &m), la);
  CHECK_EQ_U(m.gso_type, SYNACK_GSO_NONE);
  CHECK_EQ_U(m.flags, SYNACK_TAP_F_PARTIAL);
}

static void test_coalesce_passes_other_protocols_alone(void) {
  uint8_t arp[42];
  memset(arp, 0, sizeof arp);
  memset(arp, 0xff, 6);
  arp[12] = 0x08;
  arp[13] = 0x06;
  static synack_gso_coalescer_t c;
  synack_gso_coalescer_init(&c);
  CHECK(synack_gso_coalesce(&c, arp, sizeof arp));
  CHECK(!synack_gso_coalesce(&c, arp, sizeof arp));
  const uint8_t *out;
  synack_tap_meta_t m;
  CHECK_EQ_U(synack_gso_coalescer_take(&c, &out, &m), sizeof arp);
  CHECK_EQ_U(m.flags, 0);
  CHECK_MEM(out, arp, sizeof arp);
}

TH_MAIN(TH_CASE(test_split_ipv4_flags_seq_ids_checksums), TH_CASE(test_split_ipv6_short_tail),
        TH_CASE(test_split_rejects_malformed), TH_CASE(test_finish_partial_checksum),
        TH_CASE(test_tcp_csum_fills_an_empty_field), TH_CASE(test_coalesce_then_split_round_trip),
        TH_CASE(test_coalesce_refuses_what_does_not_continue), TH_CASE(test_coalesce_passes_other_protocols_alone))
