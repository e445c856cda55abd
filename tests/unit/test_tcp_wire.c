/* TCP header and options (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018, RFC 7413). */
#include "harness.h"
#include "synack/wire.h"

/* Linux SYN 198.18.0.1:34312 -> 198.18.0.2:5001: MSS 1460, SACK-permitted, TS, NOP, WS 10. */
static const uint8_t syn[] = {
  0x86, 0x08, 0x13, 0x89, 0x31, 0x6e, 0x5e, 0x25, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
  0xbc, 0x76, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x2e, 0x3a, 0xad, 0x0e,
  0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
/* Linux data segment, PSH|ACK, NOP NOP TS, "ping". */
static const uint8_t data_seg[] = {
  0x86, 0x08, 0x13, 0x89, 0x31, 0x6e, 0x5e, 0x26, 0xa7, 0xd5, 0xab, 0x21, 0x80, 0x18, 0x00, 0x3f,
  0x97, 0xdb, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x2e, 0x3a, 0xad, 0x0f, 0x28, 0x19, 0xf4, 0x1d,
  0x70, 0x69, 0x6e, 0x67,
};

static synack_ip_t src4, dst4;
static void addrs(void) {
  src4 = synack_ip4(198, 18, 0, 1);
  dst4 = synack_ip4(198, 18, 0, 2);
}

/* A segment with the given option bytes (padded by the caller) and a correct checksum. */
static size_t build(uint8_t *b, const uint8_t *opt, size_t olen, size_t payload) {
  memcpy(b, syn, 20);
  memcpy(b + 20, opt, olen);
  memset(b + 20 + olen, 'x', payload);
  b[12] = (uint8_t)(((20 + olen) / 4) << 4);
  synack_tcp_fill_checksum(b, 20 + olen + payload, &src4, &dst4);
  return 20 + olen + payload;
}

static void parse_syn(void) {
  addrs();
  synack_tcp_repr_t t;
  REQUIRE(synack_tcp_parse(syn, sizeof syn, &src4, &dst4, 0, &t) == SYNACK_DROP_NONE);
  CHECK_EQ_U(t.src_port, 34312);
  CHECK_EQ_U(t.dst_port, 5001);
  CHECK_EQ_U(t.seq, 0x316e5e25u);
  CHECK_EQ_U(t.ack, 0);
  CHECK_EQ_U(t.flags, SYNACK_TCP_SYN);
  CHECK_EQ_U(t.window, 64240);
  CHECK_EQ_U(t.checksum, 0xbc76);
  CHECK_EQ_U(t.urgent, 0);
  CHECK_EQ_U(t.header_len, 40);
  CHECK_EQ_U(t.payload_len, 0);
  CHECK(t.payload == syn + 40);
  CHECK_EQ_U(t.opts.present, SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS |
                                 SYNACK_TCPOPT_HAS_WSCALE);
  CHECK_EQ_U(t.opts.mss, 1460);
  CHECK_EQ_U(t.opts.wscale, 10);
  CHECK_EQ_U(t.opts.ts_val, 0x2e3aad0eu);
  CHECK_EQ_U(t.opts.ts_ecr, 0);
  static const uint8_t layout[] = { 2, 4, 8, 1, 3 };
  CHECK_EQ_U(t.opts.layout_len, 5);
  CHECK_MEM(t.opts.layout, layout, 5);
}

static void parse_data_and_roundtrip(void) {
  addrs();
  synack_tcp_repr_t t;
  REQUIRE(synack_tcp_parse(data_seg, sizeof data_seg, &src4, &dst4, 0, &t) == SYNACK_DROP_NONE);
  CHECK_EQ_U(t.flags, SYNACK_TCP_PSH | SYNACK_TCP_ACK);
  CHECK_EQ_U(t.ack, 0xa7d5ab21u);
  CHECK_EQ_U(t.window, 63);
  CHECK_EQ_U(t.payload_len, 4);
  CHECK_MEM(t.payload, "ping", 4);
  CHECK_EQ_U(t.opts.present, SYNACK_TCPOPT_HAS_TS);
  CHECK_EQ_U(t.opts.ts_ecr, 0x2819f41du);
  uint8_t out[64];
  size_t h = synack_tcp_emit(&t, out, sizeof out);
  CHECK_EQ_U(h, 32);
  CHECK_EQ_U(out[16], 0); /* checksum left zero */
  memcpy(out + h, t.payload, t.payload_len);
  synack_tcp_fill_checksum(out, h + 4, &src4, &dst4);
  CHECK_MEM(out, data_seg, sizeof data_seg);
  REQUIRE(synack_tcp_parse(syn, sizeof syn, &src4, &dst4, 0, &t) == SYNACK_DROP_NONE);
  CHECK_EQ_U(synack_tcp_emit(&t, out, sizeof out), 40);
  synack_tcp_fill_checksum(out, 40, &src4, &dst4);
  CHECK_MEM(out, syn, sizeof syn);
  CHECK_EQ_U(synack_tcp_emit(&t, out, 39), 0);
}

static void truncated_and_doff(void) {
  addrs();
  synack_tcp_repr_t t;
  for (size_t n = 0; n < 20; n++) CHECK_EQ_U(synack_tcp_parse(syn, n, &src4, &dst4, 0, &t), SYNACK_DROP_TCP_TRUNCATED);
  /* The header says 40 bytes: any shorter segment has its data offset beyond the end. */
  for (size_t n = 20; n < 40; n++) CHECK_EQ_U(synack_tcp_parse(syn, n, NULL, NULL, 0, &t), SYNACK_DROP_TCP_BAD_DOFF);
  uint8_t b[40];
  for (uint8_t doff = 0; doff < 5; doff++) {
    memcpy(b, syn, 40);
    b[12] = (uint8_t)(doff << 4);
    CHECK_EQ_U(synack_tcp_parse(b, 40, NULL, NULL, 0, &t), SYNACK_DROP_TCP_BAD_DOFF);
  }
  memcpy(b, syn, 40);
  b[12] = 0xb0; /* 44 bytes */
  CHECK_EQ_U(synack_tcp_parse(b, 40, NULL, NULL, 0, &t), SYNACK_DROP_TCP_BAD_DOFF);
  /* Reserved and NS bits are ignored. */
  b[12] = 0xaf;
  REQUIRE(synack_tcp_parse(b, 40, NULL, NULL, 0, &t) == SYNACK_DROP_NONE);
  CHECK_EQ_U(t.header_len, 40);
}

static void bad_checksum(void) {
  addrs();
  synack_tcp_repr_t t;
  uint8_t b[sizeof data_seg];
  for (size_t i = 0; i < sizeof b; i++) {
    memcpy(b, data_seg, sizeof b);
    b[i] ^= 0x01;
    synack_drop_reason_t why = synack_tcp_parse(b, sizeof b, &src4, &dst4, 0, &t);
    CHECK(why == SYNACK_DROP_TCP_BAD_CHECKSUM);
  }
  memcpy(b, data_seg, sizeof b);
  b[17] ^= 0xff;
  CHECK_EQ_U(synack_tcp_parse(b, sizeof b, &src4, &dst4, SYNACK_PARSE_NO_CSUM, &t), SYNACK_DROP_NONE);
  CHECK_EQ_U(synack_tcp_parse(b, sizeof b, NULL, NULL, 0, &t), SYNACK_DROP_NONE);
  synack_ip_t other = synack_ip4(198, 18, 0, 9);
  CHECK_EQ_U(synack_tcp_parse(data_seg, sizeof data_seg, &src4, &other, 0, &t), SYNACK_DROP_TCP_BAD_CHECKSUM);
}

static void option_malformations(void) {
  addrs();
  static const struct { uint8_t opt[12]; size_t len; synack_drop_reason_t why; } t[] = {
    { { 2, 0, 0, 0 }, 4, SYNACK_DROP_TCP_OPT_LEN_0 },
    { { 1, 1, 99, 0 }, 4, SYNACK_DROP_TCP_OPT_LEN_0 },          /* unknown kind, length 0 */
    { { 2, 1, 0, 0 }, 4, SYNACK_DROP_TCP_OPT_LEN_1 },
    { { 1, 1, 1, 99, 1, 0, 0, 0 }, 8, SYNACK_DROP_TCP_OPT_LEN_1 },
    { { 1, 1, 1, 2 }, 4, SYNACK_DROP_TCP_OPT_PAST_HDR },        /* kind without a length byte */
    { { 1, 1, 2, 4 }, 4, SYNACK_DROP_TCP_OPT_PAST_HDR },        /* MSS needs 2 more bytes */
    { { 8, 10, 0, 0, 0, 0, 0, 0 }, 8, SYNACK_DROP_TCP_OPT_PAST_HDR },
    { { 99, 9, 0, 0, 0, 0, 0, 0 }, 8, SYNACK_DROP_TCP_OPT_PAST_HDR },
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    uint8_t b[80];
    size_t n = build(b, t[i].opt, t[i].len, 3);
    synack_tcp_repr_t r;
    synack_drop_reason_t why = synack_tcp_parse(b, n, &src4, &dst4, 0, &r);
    if (why != t[i].why) fprintf(stderr, "case %zu: got %d want %d\n", i, (int)why, (int)t[i].why);
    CHECK_EQ_U(why, t[i].why);
    synack_tcp_opts_t o;
    CHECK_EQ_U(synack_tcp_opts_parse(t[i].opt, t[i].len, &o), t[i].why);
  }
  /* A known option with the wrong length is skipped (flagged, counted by the stack) and the
   * segment kept; an MSS option after a mangled one still counts. Issue 12 §4. */
  static const struct { uint8_t opt[12]; size_t len; } badlen[] = {
    { { 2, 3, 5, 1 }, 4 },         /* MSS length 3 */
    { { 2, 5, 5, 180, 0, 0, 0, 0 }, 8 },
    { { 3, 2, 1, 1 }, 4 },         /* WS length 2 */
    { { 3, 4, 7, 0 }, 4 },
    { { 4, 3, 0, 0 }, 4 },         /* SACK-permitted length 3 */
    { { 5, 2, 1, 1 }, 4 },         /* SACK with no block */
    { { 5, 9, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 }, 12 },
    { { 8, 8, 0, 0, 0, 0, 0, 0 }, 8 }, /* TS length 8 */
    { { 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12 },
    { { 34, 3, 0, 0 }, 4 },        /* fast open: 1-byte cookie */
    { { 34, 5, 0, 0, 0, 1, 1, 1 }, 8 },
  };
  for (size_t i = 0; i < sizeof badlen / sizeof badlen[0]; i++) {
    uint8_t b[80];
    size_t n = build(b, badlen[i].opt, badlen[i].len, 3);
    synack_tcp_repr_t r;
    CHECK_EQ_U(synack_tcp_parse(b, n, &src4, &dst4, 0, &r), SYNACK_DROP_NONE);
    CHECK(r.opts.present & SYNACK_TCPOPT_HAS_BAD_LEN);
    CHECK_EQ_U(r.opts.present & (SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE | SYNACK_TCPOPT_HAS_TS |
                                 SYNACK_TCPOPT_HAS_SACK | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_FASTOPEN), 0);
    CHECK_EQ_U(r.payload_len, 3);
  }
  static const uint8_t ws_bad_then_mss[8] = { 3, 4, 7, 0, 2, 4, 5, 180 };
  synack_tcp_opts_t wm;
  CHECK_EQ_U(synack_tcp_opts_parse(ws_bad_then_mss, sizeof ws_bad_then_mss, &wm), SYNACK_DROP_NONE);
  CHECK_EQ_U(wm.present & (SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE | SYNACK_TCPOPT_HAS_BAD_LEN),
             SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_BAD_LEN);
  CHECK_EQ_U(wm.mss, 1460);
  /* A SACK option of 5 blocks cannot fit in 40 bytes, and 42 bytes is rejected outright. */
  uint8_t big[42] = { 5, 42 };
  synack_tcp_opts_t o;
  CHECK_EQ_U(synack_tcp_opts_parse(big, 40, &o), SYNACK_DROP_TCP_OPT_PAST_HDR);
  CHECK_EQ_U(synack_tcp_opts_parse(big, 42, &o), SYNACK_DROP_TCP_BAD_DOFF);
}

/* Parse, check fields, re-emit with the parsed layout: byte-identical. */
static void check_roundtrip(const uint8_t *opt, size_t len, synack_tcp_opts_t *o) {
  REQUIRE(synack_tcp_opts_parse(opt, len, o) == SYNACK_DROP_NONE);
  uint8_t out[40];
  CHECK_EQ_I(synack_tcp_opts_len(o, o->layout, o->layout_len), (int)len);
  CHECK_EQ_I(synack_tcp_opts_emit(o, o->layout, o->layout_len, out, sizeof out), (int)len);
  CHECK_MEM(out, opt, len);
}

static void sack_blocks(void) {
  for (uint8_t n = 1; n <= 4; n++) {
    uint8_t opt[40] = { 1, 1, 5, (uint8_t)(2 + 8 * n) };
    for (uint8_t k = 0; k < n; k++) {
      uint8_t *p = opt + 4 + 8 * k;
      uint32_t l = 0xfffffff0u + 0x100u * k, r = l + 0x80u;
      for (int j = 0; j < 4; j++) {
        p[j] = (uint8_t)(l >> (24 - 8 * j));
        p[4 + j] = (uint8_t)(r >> (24 - 8 * j));
      }
    }
    size_t len = (size_t)(4 + 8 * n);
    synack_tcp_opts_t o;
    check_roundtrip(opt, len, &o);
    CHECK_EQ_U(o.present, SYNACK_TCPOPT_HAS_SACK);
    CHECK_EQ_U(o.sack_count, n);
    CHECK_EQ_U(o.sack[n - 1].left, 0xfffffff0u + 0x100u * (n - 1u));
    CHECK_EQ_U(o.sack[n - 1].right, 0xfffffff0u + 0x100u * (n - 1u) + 0x80u);
    CHECK_EQ_U(o.layout_len, 3);
  }
  /* 3 SACK blocks with NOP NOP TS: 40 bytes exactly (the RFC 2018 §3 limit with timestamps). */
  uint8_t opt[40] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 26 };
  synack_tcp_opts_t o;
  check_roundtrip(opt, 40, &o);
  CHECK_EQ_U(o.sack_count, 3);
  CHECK_EQ_U(o.ts_val, 1);
  CHECK_EQ_U(o.ts_ecr, 2);
}

static void fast_open_and_unknown(void) {
  synack_tcp_opts_t o;
  static const uint8_t req[] = { 34, 2, 1, 1 };
  check_roundtrip(req, sizeof req, &o);
  CHECK_EQ_U(o.present, SYNACK_TCPOPT_HAS_FASTOPEN);
  CHECK_EQ_U(o.fo_len, 0);
  static const uint8_t cookie[] = { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0 };
  check_roundtrip(cookie, sizeof cookie, &o);
  CHECK_EQ_U(o.fo_len, 8);
  CHECK_MEM(o.fo_cookie, cookie + 2, 8);
  static const uint8_t c16[20] = { 34, 18, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1, 1 };
  check_roundtrip(c16, sizeof c16, &o);
  CHECK_EQ_U(o.fo_len, 16);
  /* Unknown kinds are skipped by length and flagged; re-emitting drops them. */
  static const uint8_t unk[] = { 2, 4, 0x05, 0xb4, 254, 6, 0x12, 0x34, 0xaa, 0xbb, 30, 2 };
  REQUIRE(synack_tcp_opts_parse(unk, sizeof unk, &o) == SYNACK_DROP_NONE);
  CHECK_EQ_U(o.present, SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_UNKNOWN);
  CHECK_EQ_U(o.mss, 1460);
  CHECK_EQ_U(o.layout_len, 3);
  uint8_t out[40];
  CHECK_EQ_I(synack_tcp_opts_emit(&o, o.layout, o.layout_len, out, sizeof out), 4);
  CHECK_MEM(out, unk, 4);
}

/* RFC 7413 §4.1.1 note / RFC 6994: the experimental form, kind 254 with ExID 0xF989, is fast
 * open too (a request, a cookie); with a cookie of a wrong length it is a known option of bad
 * length (skipped, counted), no longer an unknown one. */
static void fast_open_experimental(void) {
  synack_tcp_opts_t o;
  static const uint8_t req[] = { 254, 4, 0xf9, 0x89 };
  check_roundtrip(req, sizeof req, &o);
  CHECK_EQ_U(o.present, SYNACK_TCPOPT_HAS_FASTOPEN | SYNACK_TCPOPT_HAS_FASTOPEN_EXP);
  CHECK_EQ_U(o.fo_len, 0);
  static const uint8_t cookie[] = { 254, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8 };
  check_roundtrip(cookie, sizeof cookie, &o);
  CHECK_EQ_U(o.fo_len, 8);
  CHECK_MEM(o.fo_cookie, cookie + 4, 8);
  static const uint8_t short_cookie[] = { 254, 6, 0xf9, 0x89, 0xaa, 0xbb, 1, 1 };
  REQUIRE(synack_tcp_opts_parse(short_cookie, sizeof short_cookie, &o) == SYNACK_DROP_NONE);
  CHECK_EQ_U(o.present, SYNACK_TCPOPT_HAS_UNKNOWN | SYNACK_TCPOPT_HAS_BAD_LEN);
}

static void eol_padding(void) {
  synack_tcp_opts_t o;
  /* MSS, WS, EOL, two padding bytes: EOL recorded once per byte. */
  static const uint8_t a[] = { 2, 4, 0x05, 0xb4, 3, 3, 7, 0 };
  check_roundtrip(a, sizeof a, &o);
  CHECK_EQ_U(o.layout_len, 3);
  CHECK_EQ_U(o.layout[2], SYNACK_TCPOPT_EOL);
  static const uint8_t b[] = { 4, 2, 0, 0, 0, 0, 0, 0 };
  check_roundtrip(b, sizeof b, &o);
  CHECK_EQ_U(o.layout_len, 7);
  static const uint8_t eol_first[] = { 0, 0, 0, 0 };
  check_roundtrip(eol_first, sizeof eol_first, &o);
  CHECK_EQ_U(o.present, 0);
  /* Anything after EOL is padding, not options. */
  static const uint8_t junk[] = { 0, 2, 4, 1 };
  REQUIRE(synack_tcp_opts_parse(junk, sizeof junk, &o) == SYNACK_DROP_NONE);
  CHECK_EQ_U(o.present, 0);
  CHECK_EQ_U(o.layout_len, 4);
  /* NOP-only option areas round-trip too. */
  static const uint8_t nops[] = { 1, 1, 1, 1 };
  check_roundtrip(nops, sizeof nops, &o);
}

static void emit_layouts(void) {
  synack_tcp_opts_t o;
  memset(&o, 0, sizeof o);
  o.present = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE;
  o.mss = 536;
  o.wscale = 14;
  static const uint8_t lay[] = { SYNACK_TCPOPT_MSS, SYNACK_TCPOPT_NOP, SYNACK_TCPOPT_WSCALE, SYNACK_TCPOPT_TS };
  uint8_t out[40];
  /* TS is in the layout but not present: skipped. Then EOL padding to 8. */
  CHECK_EQ_I(synack_tcp_opts_len(&o, lay, sizeof lay), 8);
  CHECK_EQ_I(synack_tcp_opts_emit(&o, lay, sizeof lay, out, sizeof out), 8);
  static const uint8_t want[] = { 2, 4, 0x02, 0x18, 1, 3, 3, 14 };
  CHECK_MEM(out, want, 8);
  CHECK_EQ_I(synack_tcp_opts_emit(&o, lay, sizeof lay, out, 7), -1);
  CHECK_EQ_I(synack_tcp_opts_len(&o, NULL, 0), 0);
  /* Too long: 4 SACK blocks + TS = 44 bytes. */
  o.present = SYNACK_TCPOPT_HAS_SACK | SYNACK_TCPOPT_HAS_TS;
  o.sack_count = 4;
  static const uint8_t lay2[] = { SYNACK_TCPOPT_TS, SYNACK_TCPOPT_SACK };
  CHECK_EQ_I(synack_tcp_opts_len(&o, lay2, 2), -1);
  CHECK_EQ_I(synack_tcp_opts_emit(&o, lay2, 2, out, sizeof out), -1);
  o.sack_count = 0; /* a present SACK with no blocks cannot be emitted */
  CHECK_EQ_I(synack_tcp_opts_len(&o, lay2, 2), -1);
  o.sack_count = 1;
  o.present |= SYNACK_TCPOPT_HAS_FASTOPEN;
  o.fo_len = 3;
  static const uint8_t lay3[] = { SYNACK_TCPOPT_FASTOPEN };
  CHECK_EQ_I(synack_tcp_opts_len(&o, lay3, 1), -1);
  /* A full header built from scratch. */
  synack_tcp_repr_t t;
  memset(&t, 0, sizeof t);
  t.src_port = 80;
  t.dst_port = 40000;
  t.seq = 0xfffffffeu;
  t.ack = 7;
  t.flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK;
  t.window = 65535;
  t.opts.present = SYNACK_TCPOPT_HAS_MSS;
  t.opts.mss = 1460;
  t.opts.layout[0] = SYNACK_TCPOPT_MSS;
  t.opts.layout_len = 1;
  uint8_t seg[60];
  REQUIRE(synack_tcp_emit(&t, seg, sizeof seg) == 24);
  static const uint8_t hdr[] = { 0, 80, 0x9c, 0x40, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 7, 0x60, 0x12, 0xff, 0xff,
                                 0, 0, 0, 0, 2, 4, 0x05, 0xb4 };
  CHECK_MEM(seg, hdr, 24);
  addrs();
  synack_tcp_fill_checksum(seg, 24, &src4, &dst4);
  synack_tcp_repr_t p;
  REQUIRE(synack_tcp_parse(seg, 24, &src4, &dst4, 0, &p) == SYNACK_DROP_NONE);
  CHECK_EQ_U(p.seq, 0xfffffffeu);
  CHECK_EQ_U(p.opts.mss, 1460);
}

static void ipv6_checksum(void) {
  synack_ip_t a, b;
  REQUIRE(synack_ip_parse("fd00:5ac::2", &a) == 0);
  REQUIRE(synack_ip_parse("fd00:5ac::1", &b) == 0);
  /* Linux IPv6 SYN-ACK: MSS 1440. */
  static const uint8_t sa[] = {
    0x13, 0x89, 0xa6, 0xea, 0xd8, 0x26, 0xf4, 0xa9, 0xb8, 0x5a, 0xdb, 0xa1, 0xa0, 0x12, 0xfb, 0x04,
    0x84, 0x95, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0, 0x04, 0x02, 0x08, 0x0a, 0x5a, 0xf5, 0x0f, 0xc5,
    0x27, 0xdb, 0x15, 0x34, 0x01, 0x03, 0x03, 0x0a,
  };
  synack_tcp_repr_t t;
  REQUIRE(synack_tcp_parse(sa, sizeof sa, &a, &b, 0, &t) == SYNACK_DROP_NONE);
  CHECK_EQ_U(t.opts.mss, 1440);
  CHECK_EQ_U(t.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
  CHECK_EQ_U(synack_tcp_parse(sa, sizeof sa, &b, &b, 0, &t), SYNACK_DROP_TCP_BAD_CHECKSUM);
}

/* The NOP,NOP,TS fast paths of parse and emit give exactly what the general code gives. */
static void ts_fast_paths(void) {
  static const uint8_t nnts[12] = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  synack_tcp_opts_t o;
  memset(&o, 0xa5, sizeof o); /* the fast path must not depend on a cleared struct */
  CHECK_EQ_U(synack_tcp_opts_parse(nnts, sizeof nnts, &o), SYNACK_DROP_NONE);
  CHECK_EQ_U(o.present, SYNACK_TCPOPT_HAS_TS);
  CHECK_EQ_U(o.ts_val, 0x11223344u);
  CHECK_EQ_U(o.ts_ecr, 0x55667788u);
  CHECK_EQ_U(o.mss, 0);
  CHECK_EQ_U(o.wscale, 0);
  CHECK_EQ_U(o.sack_count, 0);
  CHECK_EQ_U(o.fo_len, 0);
  static const uint8_t lay[] = {1, 1, 8};
  CHECK_EQ_U(o.layout_len, 3);
  CHECK_MEM(o.layout, lay, 3);
  /* Near misses take the general parser: a TS length of 9 is malformed, TS,NOP,NOP is another
   * layout. */
  uint8_t bad[12];
  memcpy(bad, nnts, sizeof bad);
  bad[3] = 9; /* skipped by its length, the walk then starts on the last TSecr byte: past the header */
  CHECK_EQ_U(synack_tcp_opts_parse(bad, sizeof bad, &o), SYNACK_DROP_TCP_OPT_PAST_HDR);
  static const uint8_t tsnn[12] = {8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1};
  CHECK_EQ_U(synack_tcp_opts_parse(tsnn, sizeof tsnn, &o), SYNACK_DROP_NONE);
  static const uint8_t lay2[] = {8, 1, 1};
  CHECK_EQ_U(o.layout_len, 3);
  CHECK_MEM(o.layout, lay2, 3);
  CHECK_EQ_U(o.ts_val, 1);
  CHECK_EQ_U(o.ts_ecr, 2);

  /* Emit: header + the same 12 option bytes as synack_tcp_opts_emit. */
  synack_tcp_repr_t r;
  memset(&r, 0, sizeof r);
  r.src_port = 1;
  r.dst_port = 2;
  r.seq = 3;
  r.ack = 4;
  r.flags = SYNACK_TCP_ACK;
  r.window = 5;
  CHECK_EQ_U(synack_tcp_opts_parse(nnts, sizeof nnts, &r.opts), SYNACK_DROP_NONE);
  uint8_t seg[60], gen[40];
  CHECK_EQ_U(synack_tcp_emit(&r, seg, sizeof seg), 32);
  CHECK_EQ_U(seg[12], 8u << 4);
  CHECK_MEM(seg + 20, nnts, 12);
  CHECK_EQ_U(synack_tcp_opts_emit(&r.opts, r.opts.layout, r.opts.layout_len, gen, sizeof gen), 12);
  CHECK_MEM(gen, nnts, 12);
  CHECK_EQ_U(synack_tcp_emit(&r, seg, 31), 0); /* no room */
  /* The layout without the timestamp value: two NOPs padded with EOL, as the general path. */
  r.opts.present = 0;
  CHECK_EQ_U(synack_tcp_emit(&r, seg, sizeof seg), 24);
  static const uint8_t pad[] = {1, 1, 0, 0};
  CHECK_MEM(seg + 20, pad, 4);
  /* No options at all. */
  r.opts.layout_len = 0;
  CHECK_EQ_U(synack_tcp_emit(&r, seg, sizeof seg), 20);
  CHECK_EQ_U(seg[12], 5u << 4);
  CHECK_EQ_U(synack_tcp_emit(&r, seg, 19), 0);
}

static void flags_strings(void) {
  char buf[16];
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_SYN, buf, sizeof buf), "S");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_SYN | SYNACK_TCP_ACK, buf, sizeof buf), "S.");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_FIN | SYNACK_TCP_ACK, buf, sizeof buf), "F.");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_PSH | SYNACK_TCP_ACK, buf, sizeof buf), "P.");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_RST, buf, sizeof buf), "R");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_RST | SYNACK_TCP_ACK, buf, sizeof buf), "R.");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_ACK, buf, sizeof buf), ".");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_SYN | SYNACK_TCP_ECE | SYNACK_TCP_CWR, buf, sizeof buf), "SEW");
  CHECK_STR(synack_tcp_flags_str(SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_ECE, buf, sizeof buf), "S.E");
  CHECK_STR(synack_tcp_flags_str(0xff, buf, 10), "FSRP.UEW");
  CHECK_STR(synack_tcp_flags_str(0, buf, sizeof buf), "none");
  CHECK_STR(synack_tcp_flags_str(0xff, buf, 3), "FS");
}

TH_MAIN(TH_CASE(parse_syn), TH_CASE(parse_data_and_roundtrip), TH_CASE(truncated_and_doff), TH_CASE(bad_checksum),
        TH_CASE(option_malformations), TH_CASE(sack_blocks), TH_CASE(fast_open_and_unknown), TH_CASE(fast_open_experimental), TH_CASE(eol_padding),
        TH_CASE(emit_layouts), TH_CASE(ipv6_checksum), TH_CASE(ts_fast_paths),
        TH_CASE(flags_strings))
