/* Per-stack PRNG (xoshiro256**, Blackman & Vigna) and SipHash-2-4 (Aumasson & Bernstein).
 *
 * The generator is for simulation replay and protocol choices that need to be unpredictable
 * only to the extent the seed is secret; anything keyed against off-path attackers (ISNs, port
 * choice, SYN cookies) goes through SipHash with a secret key drawn from here. */
#include "rng.h"

static uint64_t rotl64(uint64_t x, unsigned k) { return (x << k) | (x >> (64u - k)); }

/* splitmix64: a counter passed through a strong mixer. It turns any seed, even 0 or a small
 * integer, into well-spread state words, which xoshiro needs (it must not start all-zero and
 * mixes slowly out of low-entropy states). */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

void synack_rng_seed(synack_rng_t *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  /* Four consecutive splitmix outputs cannot all be zero (the mixer is a bijection of distinct
   * counter values), but the all-zero state is the generator's one fixed point: make sure. */
  if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 1;
}

uint64_t synack_rng_next(synack_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl64(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64(s[3], 45);
  return out;
}

uint64_t synack_rng_below(synack_rng_t *r, uint64_t bound) {
  if (bound == 0) return 0;
  if ((bound & (bound - 1)) == 0) return synack_rng_next(r) & (bound - 1);
  /* 2^64 mod bound values at the bottom of the range would be hit once more than the others
   * by a plain modulo; rejecting them leaves a whole number of copies of [0, bound). The
   * rejection probability is below 1/2, so the expected number of draws is under 2. */
  uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    uint64_t x = synack_rng_next(r);
    if (x >= threshold) return x % bound;
  }
}

double synack_rng_unit(synack_rng_t *r) {
  /* The top 53 bits fill a double's mantissa exactly: uniform on a 2^-53 grid in [0, 1). */
  return (double)(synack_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

void synack_rng_fill(synack_rng_t *r, void *buf, size_t len) {
  /* Bytes are taken little-endian from each word so that a seed gives the same bytes on
   * every host. */
  uint8_t *p = buf;
  while (len > 0) {
    uint64_t x = synack_rng_next(r);
    for (int i = 0; i < 8 && len > 0; i++, len--) {
      *p++ = (uint8_t)x;
      x >>= 8;
    }
  }
}

/* ---- SipHash-2-4 ---- */

static uint64_t load_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* One SipRound: two add-rotate-xor half rounds over the pairs (v0,v1) and (v2,v3), then the
 * pairs are crossed. */
static void sipround(uint64_t v[4]) {
  v[0] += v[1]; v[1] = rotl64(v[1], 13); v[1] ^= v[0]; v[0] = rotl64(v[0], 32);
  v[2] += v[3]; v[3] = rotl64(v[3], 16); v[3] ^= v[2];
  v[0] += v[3]; v[3] = rotl64(v[3], 21); v[3] ^= v[0];
  v[2] += v[1]; v[1] = rotl64(v[1], 17); v[1] ^= v[2]; v[2] = rotl64(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m) {
  v[3] ^= m;
  sipround(v);
  sipround(v); /* c = 2 compression rounds */
  v[0] ^= m;
}

uint64_t synack_siphash24(const uint8_t key[16], const void *data, size_t len) {
  const uint8_t *p = data;
  uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
  /* The initial constants spell "somepseudorandomlygeneratedbytes" in ASCII. */
  uint64_t v[4] = {k0 ^ 0x736f6d6570736575u, k1 ^ 0x646f72616e646f6du,
                   k0 ^ 0x6c7967656e657261u, k1 ^ 0x7465646279746573u};
  size_t whole = len & ~(size_t)7;
  for (size_t i = 0; i < whole; i += 8) sip_absorb(v, load_le64(p + i));
  /* Last word: the 0..7 remaining bytes little-endian, the length mod 256 in the top byte. */
  uint64_t last = (uint64_t)(len & 0xff) << 56;
  for (size_t i = 0; i < (len & 7); i++) last |= (uint64_t)p[whole + i] << (8 * i);
  sip_absorb(v, last);
  v[2] ^= 0xff;
  for (int i = 0; i < 4; i++) sipround(v); /* d = 4 finalization rounds */
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}
