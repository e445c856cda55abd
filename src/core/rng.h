/* Per-stack pseudo-random generator and keyed hash. No globals: each stack owns one state,
 * seeded by the embedder (or replaced through synack_config_t.rng). */
#ifndef SYNACK_RNG_H
#define SYNACK_RNG_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro256** state; seeded through splitmix64 so that any 64-bit seed gives a good state. */
typedef struct { uint64_t s[4]; } synack_rng_t;

void synack_rng_seed(synack_rng_t *r, uint64_t seed);
uint64_t synack_rng_next(synack_rng_t *r);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t synack_rng_below(synack_rng_t *r, uint64_t bound);
/* Uniform double in [0, 1). */
double synack_rng_unit(synack_rng_t *r);
void synack_rng_fill(synack_rng_t *r, void *buf, size_t len);

/* SipHash-2-4 (Aumasson & Bernstein) with a 128-bit key: the keyed hash for RFC 6528 ISNs,
 * RFC 6056 port selection and SYN cookies. */
uint64_t synack_siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
