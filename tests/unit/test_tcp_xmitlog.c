/* The transmit log (tcp_xmitlog.c): appending bursts, retransmissions splitting and marking
 * entries, trimming at SND.UNA, the send order with ties, the bound, and sequence numbers that
 * start in the upper half of the space (the bug where a log starting above 2^31 never began). */
#include "harness.h"
#include "tcp_internal.h"

#define S(x) seq_make(x)

static synack_stack_t *new_stack(void) {
  synack_config_t c;
  synack_config_default(&c);
  synack_config_deterministic(&c, 1);
  return synack_stack_new(&c, 0);
}

static void check_ent(const synack_xmitlog_t *l, uint32_t k, uint32_t start, uint32_t end, synack_time_t t,
                      uint32_t flags) {
  CHECK_EQ_U(synack_xl_start_of(l, k).v, start);
  CHECK_EQ_U(synack_xl_at(l, k)->end.v, end);
  CHECK_EQ_U(synack_xl_at(l, k)->t, t);
  CHECK_EQ_U(synack_xl_at(l, k)->flags, flags);
}

static void run(uint32_t base) {
  synack_stack_t *st = new_stack();
  REQUIRE(st);
  synack_xmitlog_t l = { 0 };
  /* A burst at t=10: one entry; more at t=20: a second. */
  for (uint32_t i = 0; i < 4; i++) synack_xl_sent(st, &l, S(base + i * 100), S(base + (i + 1) * 100), 10);
  CHECK_EQ_U(l.n, 1);
  check_ent(&l, 0, base, base + 400, 10, 0);
  synack_xl_sent(st, &l, S(base + 400), S(base + 500), 20);
  CHECK_EQ_U(l.n, 2);
  /* Retransmitting 100..200 at t=30 splits the first entry in three. */
  synack_xl_sent(st, &l, S(base + 100), S(base + 200), 30);
  CHECK_EQ_U(l.n, 4);
  check_ent(&l, 0, base, base + 100, 10, 0);
  check_ent(&l, 1, base + 100, base + 200, 30, SYNACK_XL_RTX);
  check_ent(&l, 2, base + 200, base + 400, 10, 0);
  CHECK_EQ_U(synack_xl_find(&l, S(base + 150)), 1);
  CHECK_EQ_U(synack_xl_find(&l, S(base + 500)), l.n); /* beyond the end */
  /* The retransmission was sent after the original burst, even at the same time. */
  const synack_xl_ent_t *o = synack_xl_at(&l, 0), *r = synack_xl_at(&l, 1);
  CHECK(synack_xl_after(r->t, r->ord, r->end, o->t, o->ord, o->end));
  CHECK(!synack_xl_after(o->t, o->ord, o->end, r->t, r->ord, r->end));
  /* A second retransmission at t=30 next to it joins its entry. */
  synack_xl_sent(st, &l, S(base + 200), S(base + 300), 30);
  check_ent(&l, 1, base + 100, base + 300, 30, SYNACK_XL_RTX);
  check_ent(&l, 2, base + 300, base + 400, 10, 0);
  /* Trimming at SND.UNA. */
  synack_xl_ack(&l, S(base + 250));
  CHECK_EQ_U(l.start.v, base + 250);
  check_ent(&l, 0, base + 250, base + 300, 30, SYNACK_XL_RTX);
  synack_xl_ack(&l, S(base + 500));
  CHECK_EQ_U(l.n, 0);
  /* Nothing in flight: the next data restarts the log wherever it is. */
  synack_xl_sent(st, &l, S(base + 500), S(base + 600), 40);
  CHECK_EQ_U(l.n, 1);
  check_ent(&l, 0, base + 500, base + 600, 40, 0);
  synack_xl_free(st, &l);
  CHECK(l.e == NULL);
  synack_stack_free(st);
}

static void log_low_and_high_sequence_space(void) {
  run(1000);
  run(0x90000000u);  /* ISN in the upper half: the log must start there */
  run(0xffffff00u);  /* wrapping inside the log */
}

static void bounded_table(void) {
  synack_stack_t *st = new_stack();
  REQUIRE(st);
  synack_xmitlog_t l = { 0 };
  l.limit = 64;
  for (uint32_t i = 0; i < 200; i++) synack_xl_sent(st, &l, S(i * 10), S(i * 10 + 10), i);
  CHECK_EQ_U(l.n, 64);
  CHECK_EQ_U(l.cap, 64);
  /* Full: the last entry took the newer data and the newer time, and says its time is only
   * that of its latest part (RACK takes no sample from it); the others stay exact. */
  CHECK_EQ_U(synack_xl_end(&l).v, 2000);
  CHECK_EQ_U(synack_xl_at(&l, 63)->t, 199);
  CHECK_EQ_U(synack_xl_at(&l, 63)->flags, SYNACK_XL_COARSE);
  CHECK_EQ_U(synack_xl_at(&l, 62)->flags, 0);
  /* A retransmission that cannot split marks the whole entry, coarse as well: 10..15 and
   * 17..20 were not resent. */
  synack_xl_sent(st, &l, S(15), S(17), 500);
  CHECK_EQ_U(l.n, 64);
  CHECK_EQ_U(synack_xl_at(&l, 1)->t, 500);
  CHECK_EQ_U(synack_xl_at(&l, 1)->flags, SYNACK_XL_RTX | SYNACK_XL_COARSE);
  /* One that covers a whole entry needs no split and stays exact. */
  synack_xl_sent(st, &l, S(20), S(30), 600);
  CHECK_EQ_U(synack_xl_at(&l, 2)->t, 600);
  CHECK_EQ_U(synack_xl_at(&l, 2)->flags, SYNACK_XL_RTX);
  synack_xl_free(st, &l);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(log_low_and_high_sequence_space), TH_CASE(bounded_table))
