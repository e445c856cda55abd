/* RFC 6528 ISNs and per-connection timestamp offsets (tcp_isn.c). */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"

static synack_stack_t *mk(bool fixed) {
  synack_config_t c;
  synack_config_default(&c);
  c.link = SYNACK_LINK_IP;
  c.ip4 = synack_ip4(10, 0, 0, 1);
  synack_config_deterministic(&c, 7);
  c.tcp_isn_fixed = fixed;
  return synack_stack_new(&c, 0);
}

static synack_tuple_t tuple(uint8_t last, uint16_t lport) {
  synack_tuple_t t;
  memset(&t, 0, sizeof t);
  t.family = SYNACK_AF_INET;
  t.laddr[0] = 10; t.laddr[3] = 1;
  t.raddr[0] = 10; t.raddr[3] = last;
  t.lport = lport;
  t.rport = 80;
  return t;
}

static void isn_advances_with_time(void) {
  synack_stack_t *st = mk(false);
  REQUIRE(st);
  synack_tuple_t t = tuple(2, 40000);
  synack_seq_t a = synack_tcp_isn(st, &t, 0);
  synack_seq_t b = synack_tcp_isn(st, &t, 4000);      /* 4 ms later: +1000 ticks of 4 us */
  synack_seq_t c = synack_tcp_isn(st, &t, SYNACK_SEC(1));
  CHECK_EQ_I(seq_diff(b, a), 1000);
  CHECK_EQ_I(seq_diff(c, a), 250000);
  synack_stack_free(st);
}

static void isn_tuples_unrelated(void) {
  synack_stack_t *st = mk(false);
  REQUIRE(st);
  synack_tuple_t t1 = tuple(2, 40000), t2 = tuple(2, 40001), t3 = tuple(3, 40000);
  uint32_t a = synack_tcp_isn(st, &t1, 1000).v, b = synack_tcp_isn(st, &t2, 1000).v, c = synack_tcp_isn(st, &t3, 1000).v;
  CHECK(a != b && a != c && b != c);
  /* neighbouring ports do not give neighbouring ISNs */
  CHECK((uint32_t)(a - b) > 1000000u && (uint32_t)(b - a) > 1000000u);
  /* another stack (another secret) gives other ISNs for the same tuple */
  synack_config_t cfg;
  synack_config_default(&cfg);
  cfg.link = SYNACK_LINK_IP;
  cfg.ip4 = synack_ip4(10, 0, 0, 1);
  synack_config_deterministic(&cfg, 8);
  synack_stack_t *st2 = synack_stack_new(&cfg, 0);
  REQUIRE(st2);
  CHECK(synack_tcp_isn(st2, &t1, 1000).v != a);
  synack_stack_free(st2);
  synack_stack_free(st);
}

static void isn_fixed_teaching_mode(void) {
  synack_stack_t *st = mk(true);
  REQUIRE(st);
  synack_tuple_t t1 = tuple(2, 40000), t2 = tuple(9, 1234);
  CHECK_EQ_U(synack_tcp_isn(st, &t1, 0).v, 0);
  CHECK_EQ_U(synack_tcp_isn(st, &t2, 400).v, 100);
  CHECK_EQ_U(synack_tcp_ts_offset(st, &t1), 0);
  synack_stack_free(st);
}

static void ts_offset_per_tuple(void) {
  synack_stack_t *st = mk(false);
  REQUIRE(st);
  synack_tuple_t t1 = tuple(2, 40000), t2 = tuple(2, 40001);
  CHECK(synack_tcp_ts_offset(st, &t1) != synack_tcp_ts_offset(st, &t2));
  CHECK_EQ_U(synack_tcp_ts_offset(st, &t1), synack_tcp_ts_offset(st, &t1));
  CHECK_EQ_U(synack_tcp_ts_now(5000, 10), 15);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(isn_advances_with_time), TH_CASE(isn_tuples_unrelated), TH_CASE(isn_fixed_teaching_mode),
        TH_CASE(ts_offset_per_tuple))
