/* Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982).
 * synack_seq_t is a one-field struct so that a plain `<` or `+` does not compile:
 * every comparison goes through seq_lt/le/gt/ge/between, every distance through seq_diff. */
#ifndef SYNACK_SEQ_H
#define SYNACK_SEQ_H

#include <stdbool.h>
#include <stdint.h>

typedef struct { uint32_t v; } synack_seq_t;

static inline synack_seq_t seq_make(uint32_t v) { synack_seq_t s = { v }; return s; }
static inline synack_seq_t seq_add(synack_seq_t s, uint32_t n) { return seq_make(s.v + n); }
static inline synack_seq_t seq_sub(synack_seq_t s, uint32_t n) { return seq_make(s.v - n); }
/* Signed distance a - b, valid when the two are less than 2^31 apart. */
static inline int32_t seq_diff(synack_seq_t a, synack_seq_t b) { return (int32_t)(a.v - b.v); }
static inline bool seq_eq(synack_seq_t a, synack_seq_t b) { return a.v == b.v; }
static inline bool seq_lt(synack_seq_t a, synack_seq_t b) { return seq_diff(a, b) < 0; }
static inline bool seq_le(synack_seq_t a, synack_seq_t b) { return seq_diff(a, b) <= 0; }
static inline bool seq_gt(synack_seq_t a, synack_seq_t b) { return seq_diff(a, b) > 0; }
static inline bool seq_ge(synack_seq_t a, synack_seq_t b) { return seq_diff(a, b) >= 0; }
/* lo <= s < hi, the half-open interval RFC 9293 uses for window tests. */
static inline bool seq_in(synack_seq_t s, synack_seq_t lo, synack_seq_t hi) {
  return (uint32_t)(s.v - lo.v) < (uint32_t)(hi.v - lo.v);
}
/* lo <= s <= hi. */
static inline bool seq_between(synack_seq_t s, synack_seq_t lo, synack_seq_t hi) {
  return (uint32_t)(s.v - lo.v) <= (uint32_t)(hi.v - lo.v);
}
static inline synack_seq_t seq_max(synack_seq_t a, synack_seq_t b) { return seq_gt(a, b) ? a : b; }
static inline synack_seq_t seq_min(synack_seq_t a, synack_seq_t b) { return seq_lt(a, b) ? a : b; }

#endif
