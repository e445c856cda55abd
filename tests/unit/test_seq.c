/* Sequence-number arithmetic modulo 2^32, across the wrap (RFC 9293 §3.4, RFC 1982). */
#include "harness.h"
#include "seq.h"

static void ordering_across_wrap(void) {
  synack_seq_t hi = seq_make(0xfffffff0u), lo = seq_make(0x10u);
  CHECK(seq_lt(hi, lo));
  CHECK(seq_gt(lo, hi));
  CHECK(seq_le(hi, lo) && !seq_ge(hi, lo));
  CHECK_EQ_I(seq_diff(lo, hi), 0x20);
  CHECK_EQ_I(seq_diff(hi, lo), -0x20);
  CHECK(seq_eq(seq_add(hi, 0x20), lo));
  CHECK(seq_eq(seq_sub(lo, 0x20), hi));
  CHECK(seq_eq(seq_max(hi, lo), lo));
  CHECK(seq_eq(seq_min(hi, lo), hi));
  CHECK(seq_le(hi, hi) && seq_ge(hi, hi) && !seq_lt(hi, hi));
}

static void every_offset_around_wrap(void) {
  for (uint32_t base = 0xffffff00u; base != 0x100u; base++) {
    synack_seq_t s = seq_make(base);
    for (uint32_t d = 1; d < 1000; d += 37) {
      CHECK(seq_lt(s, seq_add(s, d)));
      CHECK(seq_gt(s, seq_sub(s, d)));
      CHECK_EQ_I(seq_diff(seq_add(s, d), s), (int32_t)d);
    }
    /* 2^31 - 1 ahead is still "after". */
    CHECK(seq_lt(s, seq_add(s, 0x7fffffffu)));
  }
}

static void windows_across_wrap(void) {
  synack_seq_t lo = seq_make(0xffffff00u), hi = seq_make(0x100u); /* window of 0x200 */
  CHECK(seq_in(lo, lo, hi));
  CHECK(seq_in(seq_make(0xffffffffu), lo, hi));
  CHECK(seq_in(seq_make(0), lo, hi));
  CHECK(seq_in(seq_make(0xff), lo, hi));
  CHECK(!seq_in(hi, lo, hi)); /* half-open */
  CHECK(seq_between(hi, lo, hi));
  CHECK(!seq_in(seq_make(0xfffffeffu), lo, hi));
  CHECK(!seq_between(seq_make(0x101), lo, hi));
  /* An empty window contains nothing, a point interval contains its point. */
  CHECK(!seq_in(lo, lo, lo));
  CHECK(seq_between(lo, lo, lo));
}

TH_MAIN(TH_CASE(ordering_across_wrap), TH_CASE(every_offset_around_wrap), TH_CASE(windows_across_wrap))
