/* Internet checksum: the 64-bit fast path against the byte-wise reference on every length and
 * alignment, RFC 1624 incremental updates against recomputation, and known vectors. */
#include "harness.h"
#include "synack/wire.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

static uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)s;
}

/* RFC 1071 §3 example: the words 0001 f203 f4f5 f6f7 sum to ddf2 after folding. */
static void rfc1071_example(void) {
  static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
  CHECK_EQ_U(fold(synack_csum_add(0, b, sizeof b)), 0xddf2);
  CHECK_EQ_U(fold(synack_csum_add_reference(0, b, sizeof b)), 0xddf2);
  CHECK_EQ_U(synack_csum_finish(synack_csum_add(0, b, sizeof b)), 0x220d);
}

/* A real IPv4 header (checksum b861) verifies, and recomputing it gives the same value. */
static void ipv4_header_vector(void) {
  uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
  CHECK(synack_csum_ok(synack_csum_add(0, h, sizeof h)));
  h[10] = h[11] = 0;
  CHECK_EQ_U(synack_csum_finish(synack_csum_add(0, h, sizeof h)), 0xb861);
  CHECK(!synack_csum_ok(synack_csum_add(0, h, sizeof h)));
}

static void odd_lengths_pad_with_zero(void) {
  static const uint8_t b[] = { 0x12, 0x34, 0x56 };
  CHECK_EQ_U(fold(synack_csum_add(0, b, 3)), 0x1234 + 0x5600);
  CHECK_EQ_U(fold(synack_csum_add(0, b, 1)), 0x1200);
  CHECK_EQ_U(synack_csum_add(0, b, 0), 0);
  CHECK_EQ_U(synack_csum_add(77, b, 0), 77);
  CHECK(!synack_csum_ok(0));
  CHECK(synack_csum_ok(0xffff));
  CHECK(synack_csum_ok(0x1fffe)); /* folds to ffff */
}

/* Fast path equals the reference for every length 0..9000, at random alignments, with random
 * data, random starting sums, and the carry-heavy all-ones pattern. */
static void fast_equals_reference_every_length(void) {
  static uint8_t buf[9000 + 64];
  for (size_t len = 0; len <= 9000; len++) {
    size_t off = rnd() % 32;
    int pattern = (int)(len % 7);
    for (size_t i = 0; i < len; i++) buf[off + i] = pattern == 0 ? 0xff : pattern == 1 ? 0 : (uint8_t)rnd();
    uint32_t start = (len % 3 == 0) ? 0 : (len % 3 == 1) ? rnd() : 0xffffffffu;
    uint32_t f = synack_csum_add(start, buf + off, len);
    uint32_t r = synack_csum_add_reference(start, buf + off, len);
    if (fold(f) != fold(r)) {
      fprintf(stderr, "len %zu off %zu: %04x != %04x\n", len, off, fold(f), fold(r));
      CHECK(0);
      return;
    }
  }
  CHECK(1);
}

/* Splitting a buffer at even offsets does not change the sum (chained accumulation). */
static void chained_sums(void) {
  uint8_t b[1500];
  for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)rnd();
  uint32_t whole = synack_csum_add(0, b, sizeof b);
  for (size_t cut = 0; cut <= sizeof b; cut += 2) {
    uint32_t s = synack_csum_add(synack_csum_add(0, b, cut), b + cut, sizeof b - cut);
    CHECK_EQ_U(fold(s), fold(whole));
  }
}

/* synack_csum_copy copies exactly len bytes (guard bytes around dst untouched) and returns the
 * reference sum, for every length 0..2000 at every source and destination alignment 0..7. */
static void copy_equals_reference_every_length_and_alignment(void) {
  static uint8_t ref[2000], src[2000 + 16], dst[2000 + 32];
  for (size_t len = 0; len <= 2000; len++) {
    int pattern = (int)(len % 5);
    for (size_t i = 0; i < len; i++) ref[i] = pattern == 0 ? 0xff : (uint8_t)rnd();
    uint32_t start = (len % 3 == 0) ? 0 : (len % 3 == 1) ? rnd() : 0xffffffffu;
    uint16_t want = fold(synack_csum_add_reference(start, ref, len));
    for (size_t sa = 0; sa < 8; sa++) {
      memcpy(src + sa, ref, len);
      for (size_t da = 0; da < 8; da++) {
        memset(dst, 0xa5, sizeof dst);
        uint16_t got = fold(synack_csum_copy(dst + 8 + da, src + sa, len, start));
        bool guards = true;
        for (size_t i = 0; i < 8 + da; i++) guards = guards && dst[i] == 0xa5;
        for (size_t i = 8 + da + len; i < sizeof dst; i++) guards = guards && dst[i] == 0xa5;
        if (got != want || memcmp(dst + 8 + da, ref, len) != 0 || !guards) {
          fprintf(stderr, "len %zu src+%zu dst+%zu: %04x != %04x\n", len, sa, da, got, want);
          CHECK(0);
          return;
        }
      }
    }
  }
  CHECK(1);
}

/* A buffer copied in two pieces (as from a wrapping ring) and summed with synack_csum_combine
 * equals the reference, including a second piece starting at an odd offset (byte-swapped):
 * every split point for lengths 0..300, and for lengths 301..2000 the first and last 17 split
 * points, both middles, and 8 random ones. */
static bool split_ok(const uint8_t *b, size_t len, size_t k, uint32_t start, uint16_t want) {
  static uint8_t out[2000];
  uint32_t s = synack_csum_copy(out, b, k, start);
  s = synack_csum_combine(s, synack_csum_copy(out + k, b + k, len - k, 0), k);
  if (fold(s) != want || memcmp(out, b, len) != 0) {
    fprintf(stderr, "len %zu split %zu: %04x != %04x\n", len, k, fold(s), want);
    return false;
  }
  return true;
}

static void split_copy_equals_reference(void) {
  static uint8_t b[2000 + 8];
  for (size_t len = 0; len <= 2000; len++) {
    size_t sa = len % 8; /* varying source alignment too */
    for (size_t i = 0; i < len; i++) b[sa + i] = (len % 4 == 0) ? 0xff : (uint8_t)rnd();
    uint32_t start = (len % 2) ? rnd() : 0;
    uint16_t want = fold(synack_csum_add_reference(start, b + sa, len));
    for (size_t k = 0; k <= len; k++) {
      bool pick = len <= 300 || k < 17 || k + 17 > len || k == len / 2 || k == len / 2 + 1;
      if (!pick) continue;
      if (!split_ok(b + sa, len, k, start, want)) { CHECK(0); return; }
    }
    for (int r = 0; r < 8 && len > 0; r++)
      if (!split_ok(b + sa, len, rnd() % (len + 1), start, want)) { CHECK(0); return; }
  }
  CHECK(1);
}

/* synack_csum_combine on known values: an even offset adds the block sum, an odd offset adds it
 * byte-swapped; zero blocks change nothing. */
static void combine_known_values(void) {
  CHECK_EQ_U(fold(synack_csum_combine(0x1000, 0x1234, 0)), 0x2234);
  CHECK_EQ_U(fold(synack_csum_combine(0x1000, 0x1234, 1)), 0x4412);
  CHECK_EQ_U(fold(synack_csum_combine(0x1000, 0x1234, 7)), 0x4412);
  CHECK_EQ_U(fold(synack_csum_combine(0xfffe, 0x0002, 2)), 0x0001);
  CHECK_EQ_U(fold(synack_csum_combine(0xabcd, 0, 3)), 0xabcd);
  /* Bytes 12 34 56: at offset 1 the stream is ?? 12 34 56, i.e. words xx12 3456. */
  static const uint8_t b[] = { 0x12, 0x34, 0x56 };
  CHECK_EQ_U(fold(synack_csum_combine(0, synack_csum_add(0, b, 3), 1)), 0x0012 + 0x3456);
}

/* RFC 1624: updating one 16-bit word incrementally gives the recomputed checksum. */
static void incremental_update_matches_recompute(void) {
  for (int iter = 0; iter < 20000; iter++) {
    uint8_t h[20];
    for (int i = 0; i < 20; i++) h[i] = (uint8_t)rnd();
    if (iter % 5 == 0) memset(h, 0xff, 20);
    h[10] = h[11] = 0;
    uint16_t c = synack_csum_finish(synack_csum_add(0, h, 20));
    size_t w = (rnd() % 9) * 2;
    if (w == 10) w = 8; /* not the checksum field itself */
    uint16_t old_word = (uint16_t)(h[w] << 8 | h[w + 1]);
    uint16_t new_word = iter % 7 == 0 ? 0 : (uint16_t)rnd();
    h[w] = (uint8_t)(new_word >> 8);
    h[w + 1] = (uint8_t)new_word;
    uint16_t want = synack_csum_finish(synack_csum_add(0, h, 20));
    CHECK_EQ_U(synack_csum_update16(c, old_word, new_word), want);
  }
  /* RFC 1624 §3 example: HC=0xdd2f, m=0x5555 -> m'=0x3285 gives 0x0000 with eqn. 3. */
  CHECK_EQ_U(synack_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

static void pseudo_headers(void) {
  synack_ip_t s4 = synack_ip4(192, 0, 2, 1), d4 = synack_ip4(198, 18, 0, 2);
  static const uint8_t ph4[] = { 192, 0, 2, 1, 198, 18, 0, 2, 0, 6, 0x05, 0xdc };
  CHECK_EQ_U(fold(synack_csum_pseudo(&s4, &d4, 6, 1500)), fold(synack_csum_add_reference(0, ph4, sizeof ph4)));
  synack_ip_t s6, d6;
  REQUIRE(synack_ip_parse("fd00::1", &s6) == 0);
  REQUIRE(synack_ip_parse("fd00:1:2::ffff", &d6) == 0);
  uint8_t ph6[40] = { 0 };
  memcpy(ph6, s6.b, 16);
  memcpy(ph6 + 16, d6.b, 16);
  ph6[33] = 0x01; /* length 0x00012345 */
  ph6[34] = 0x23;
  ph6[35] = 0x45;
  ph6[39] = 58;
  CHECK_EQ_U(fold(synack_csum_pseudo(&s6, &d6, 58, 0x12345)), fold(synack_csum_add_reference(0, ph6, 40)));
  /* Random addresses (carry-heavy all-ones too) and lengths, both families, against the
   * pseudo-header laid out byte by byte (RFC 9293 §3.1, RFC 8200 §8.1). */
  for (int k = 0; k < 2000; k++) {
    synack_ip_t a = s6, b = d6;
    for (int i = 0; i < 16; i++) {
      a.b[i] = k % 3 == 0 ? 0xff : (uint8_t)rnd();
      b.b[i] = k % 3 == 0 ? 0xff : (uint8_t)rnd();
    }
    uint32_t len = k % 3 == 0 ? 0xffffffffu : rnd();
    uint8_t proto = (uint8_t)rnd();
    uint8_t ph[40] = { 0 };
    memcpy(ph, a.b, 16);
    memcpy(ph + 16, b.b, 16);
    ph[32] = (uint8_t)(len >> 24);
    ph[33] = (uint8_t)(len >> 16);
    ph[34] = (uint8_t)(len >> 8);
    ph[35] = (uint8_t)len;
    ph[39] = proto;
    CHECK_EQ_U(fold(synack_csum_pseudo(&a, &b, proto, len)), fold(synack_csum_add_reference(0, ph, 40)));
    a.family = b.family = SYNACK_AF_INET;
    memcpy(ph + 4, b.b, 4);
    ph[8] = 0;
    ph[9] = proto;
    ph[10] = (uint8_t)(len >> 8); /* the IPv4 pseudo-header's TCP length is 16 bits */
    ph[11] = (uint8_t)len;
    CHECK_EQ_U(fold(synack_csum_pseudo(&a, &b, proto, len)), fold(synack_csum_add_reference(0, ph, 12)));
  }
}

TH_MAIN(TH_CASE(rfc1071_example), TH_CASE(ipv4_header_vector), TH_CASE(odd_lengths_pad_with_zero),
        TH_CASE(fast_equals_reference_every_length), TH_CASE(chained_sums),
        TH_CASE(incremental_update_matches_recompute), TH_CASE(pseudo_headers),
        TH_CASE(copy_equals_reference_every_length_and_alignment), TH_CASE(split_copy_equals_reference),
        TH_CASE(combine_known_values))
