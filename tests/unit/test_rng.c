/* Unit tests for the PRNG and SipHash-2-4. */
#include "harness.h"
#include "rng.h"

#include <math.h>

static void test_same_seed_same_stream(void) {
  synack_rng_t a, b;
  synack_rng_seed(&a, 42);
  synack_rng_seed(&b, 42);
  for (int i = 0; i < 1000; i++) CHECK_EQ_U(synack_rng_next(&a), synack_rng_next(&b));
  /* Re-seeding restarts the stream. */
  synack_rng_seed(&a, 42);
  synack_rng_t c;
  synack_rng_seed(&c, 42);
  CHECK_EQ_U(synack_rng_next(&a), synack_rng_next(&c));
}

static void test_different_seeds_differ(void) {
  /* Neighbouring seeds, including 0, must give unrelated streams: no equal outputs at the
   * same position over the first values. */
  uint64_t seeds[] = {0, 1, 2, 3, 0xffffffffffffffffu, 0x8000000000000000u};
  size_t n = sizeof seeds / sizeof seeds[0];
  uint64_t first[6][16];
  for (size_t s = 0; s < n; s++) {
    synack_rng_t r;
    synack_rng_seed(&r, seeds[s]);
    CHECK((r.s[0] | r.s[1] | r.s[2] | r.s[3]) != 0);
    for (int i = 0; i < 16; i++) first[s][i] = synack_rng_next(&r);
  }
  for (size_t a = 0; a < n; a++)
    for (size_t b = a + 1; b < n; b++)
      for (int i = 0; i < 16; i++) CHECK(first[a][i] != first[b][i]);
}

static void test_known_stream(void) {
  /* Seed 0 pinned so that a change to seeding shows (simulation replays depend on it): the
   * state is splitmix64's first four outputs from 0, recomputed outside C from its definition. */
  synack_rng_t r;
  synack_rng_seed(&r, 0);
  CHECK_EQ_U(r.s[0], 0xe220a8397b1dcdafu);
  CHECK_EQ_U(r.s[1], 0x6e789e6aa1b965f4u);
  CHECK_EQ_U(r.s[2], 0x06c45d188009454fu);
  CHECK_EQ_U(r.s[3], 0xf88bb8a8724c81ecu);
  /* First outputs, from a Python transcription of xoshiro256**'s definition. */
  CHECK_EQ_U(synack_rng_next(&r), 0x99ec5f36cb75f2b4u);
  CHECK_EQ_U(synack_rng_next(&r), 0xbf6e1f784956452au);
  CHECK_EQ_U(synack_rng_next(&r), 0x1a5f849d4933e6e0u);
}

static void test_below_bounds_and_distribution(void) {
  synack_rng_t r;
  synack_rng_seed(&r, 7);
  CHECK_EQ_U(synack_rng_below(&r, 0), 0);
  for (int i = 0; i < 100; i++) CHECK_EQ_U(synack_rng_below(&r, 1), 0);
  /* Chi-square over 10 buckets for a non-power-of-two bound, and over 16 for a power of two.
   * 9 and 15 degrees of freedom: 40 is far beyond the 0.1% tail of either. */
  const uint64_t bounds[] = {10, 16, 1000003};
  for (size_t k = 0; k < 3; k++) {
    uint64_t bound = bounds[k];
    unsigned buckets = bound < 16 ? (unsigned)bound : 16;
    unsigned counts[16] = {0};
    const unsigned n = 160000;
    for (unsigned i = 0; i < n; i++) {
      uint64_t v = synack_rng_below(&r, bound);
      REQUIRE(v < bound);
      counts[v * buckets / bound]++;
    }
    double expect = (double)n / buckets, chi = 0;
    for (unsigned b = 0; b < buckets; b++) chi += (counts[b] - expect) * (counts[b] - expect) / expect;
    CHECK(chi < 40.0);
  }
  /* A bound just above 2^63 rejects almost half the draws: still in range and terminating. */
  uint64_t big = 0x8000000000000001u;
  for (int i = 0; i < 1000; i++) CHECK(synack_rng_below(&r, big) < big);
  CHECK(synack_rng_below(&r, UINT64_MAX) < UINT64_MAX);
}

static void test_unit_range_and_mean(void) {
  synack_rng_t r;
  synack_rng_seed(&r, 99);
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; i++) {
    double u = synack_rng_unit(&r);
    REQUIRE(u >= 0.0 && u < 1.0);
    sum += u;
  }
  /* Standard deviation of the mean is 1/sqrt(12 n) ~ 0.0009. */
  CHECK(fabs(sum / n - 0.5) < 0.006);
}

static void test_fill(void) {
  synack_rng_t a, b;
  synack_rng_seed(&a, 5);
  synack_rng_seed(&b, 5);
  uint8_t buf[37];
  memset(buf, 0, sizeof buf);
  synack_rng_fill(&a, buf, sizeof buf);
  /* Bytes come little-endian from successive outputs; a partial last word is cut short. */
  for (size_t i = 0; i < sizeof buf; i += 8) {
    uint64_t x = synack_rng_next(&b);
    for (size_t j = i; j < i + 8 && j < sizeof buf; j++, x >>= 8) CHECK_EQ_U(buf[j], x & 0xff);
  }
  synack_rng_fill(&a, buf, 0); /* no-op */
  int nonzero = 0;
  for (size_t i = 0; i < sizeof buf; i++) nonzero += buf[i] != 0;
  CHECK(nonzero > 20);
}

/* SipHash-2-4 with key 00 01 .. 0f over messages 00 01 .. (n-1) for n = 0..64, as 64-bit
 * values (the reference prints the little-endian bytes of these). Entries 0..63 are the
 * reference test table; this copy was produced by OpenSSL's independent SIPHASH MAC, and
 * entry 15 is the worked example in appendix A of the paper. */
static const uint64_t sip_vectors[65] = {
  0x726fdb47dd0e0e31u, 0x74f839c593dc67fdu, 0x0d6c8009d9a94f5au, 0x85676696d7fb7e2du,
  0xcf2794e0277187b7u, 0x18765564cd99a68du, 0xcbc9466e58fee3ceu, 0xab0200f58b01d137u,
  0x93f5f5799a932462u, 0x9e0082df0ba9e4b0u, 0x7a5dbbc594ddb9f3u, 0xf4b32f46226bada7u,
  0x751e8fbc860ee5fbu, 0x14ea5627c0843d90u, 0xf723ca908e7af2eeu, 0xa129ca6149be45e5u,
  0x3f2acc7f57c29bdbu, 0x699ae9f52cbe4794u, 0x4bc1b3f0968dd39cu, 0xbb6dc91da77961bdu,
  0xbed65cf21aa2ee98u, 0xd0f2cbb02e3b67c7u, 0x93536795e3a33e88u, 0xa80c038ccd5ccec8u,
  0xb8ad50c6f649af94u, 0xbce192de8a85b8eau, 0x17d835b85bbb15f3u, 0x2f2e6163076bcfadu,
  0xde4daaaca71dc9a5u, 0xa6a2506687956571u, 0xad87a3535c49ef28u, 0x32d892fad841c342u,
  0x7127512f72f27cceu, 0xa7f32346f95978e3u, 0x12e0b01abb051238u, 0x15e034d40fa197aeu,
  0x314dffbe0815a3b4u, 0x027990f029623981u, 0xcadcd4e59ef40c4du, 0x9abfd8766a33735cu,
  0x0e3ea96b5304a7d0u, 0xad0c42d6fc585992u, 0x187306c89bc215a9u, 0xd4a60abcf3792b95u,
  0xf935451de4f21df2u, 0xa9538f0419755787u, 0xdb9acddff56ca510u, 0xd06c98cd5c0975ebu,
  0xe612a3cb9ecba951u, 0xc766e62cfcadaf96u, 0xee64435a9752fe72u, 0xa192d576b245165au,
  0x0a8787bf8ecb74b2u, 0x81b3e73d20b49b6fu, 0x7fa8220ba3b2eceau, 0x245731c13ca42499u,
  0xb78dbfaf3a8d83bdu, 0xea1ad565322a1a0bu, 0x60e61c23a3795013u, 0x6606d7e446282b93u,
  0x6ca4ecb15c5f91e1u, 0x9f626da15c9625f3u, 0xe51b38608ef25f57u, 0x958a324ceb064572u,
  0xacd2c40b8502cad8u,
};

static void test_siphash_paper_vector(void) {
  uint8_t key[16], msg[15];
  for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
  for (int i = 0; i < 15; i++) msg[i] = (uint8_t)i;
  CHECK_EQ_U(synack_siphash24(key, msg, sizeof msg), 0xa129ca6149be45e5u);
}

static void test_siphash_vector_table(void) {
  uint8_t key[16], msg[64];
  for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
  for (int i = 0; i < 64; i++) msg[i] = (uint8_t)i;
  for (size_t n = 0; n <= 64; n++) CHECK_EQ_U(synack_siphash24(key, msg, n), sip_vectors[n]);
  /* Unaligned input must not matter. */
  uint8_t shifted[65];
  memcpy(shifted + 1, msg, 64);
  for (size_t n = 0; n <= 64; n++) CHECK_EQ_U(synack_siphash24(key, shifted + 1, n), sip_vectors[n]);
}

static void test_siphash_key_sensitivity(void) {
  uint8_t key[16] = {0}, msg[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  uint64_t base = synack_siphash24(key, msg, sizeof msg);
  for (int bit = 0; bit < 128; bit++) {
    key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK(synack_siphash24(key, msg, sizeof msg) != base);
    key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  /* Length is part of the input: a trailing zero byte changes the hash. */
  uint8_t z[2] = {0, 0};
  CHECK(synack_siphash24(key, z, 1) != synack_siphash24(key, z, 2));
}

TH_MAIN(TH_CASE(test_same_seed_same_stream), TH_CASE(test_different_seeds_differ),
        TH_CASE(test_known_stream), TH_CASE(test_below_bounds_and_distribution),
        TH_CASE(test_unit_range_and_mean), TH_CASE(test_fill), TH_CASE(test_siphash_paper_vector),
        TH_CASE(test_siphash_vector_table), TH_CASE(test_siphash_key_sensitivity))
