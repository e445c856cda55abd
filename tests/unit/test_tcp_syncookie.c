/* SYN cookies (tcp_syncookie.c): encode/decode, binding to the 4-tuple and ISN, lifetime,
 * MSS table, options in the timestamp. */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"

/* linux: cfg.tcp_syncookie_linux */
static synack_stack_t *mk_cfg(bool linux) {
  synack_config_t c;
  synack_config_default(&c);
  c.link = SYNACK_LINK_IP;
  c.ip4 = synack_ip4(10, 0, 0, 1);
  c.tcp_syncookie_linux = linux;
  synack_config_deterministic(&c, 99);
  return synack_stack_new(&c, 0);
}

static synack_stack_t *mk(void) { return mk_cfg(false); }

static synack_tuple_t tuple(uint16_t rport) {
  synack_tuple_t t;
  memset(&t, 0, sizeof t);
  t.family = SYNACK_AF_INET;
  t.laddr[0] = 10; t.laddr[3] = 1;
  t.raddr[0] = 192; t.raddr[3] = 7;
  t.lport = 80;
  t.rport = rport;
  return t;
}

static void roundtrip(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  synack_tuple_t t = tuple(5555);
  synack_seq_t irs = seq_make(123456789);
  synack_time_t now = SYNACK_SEC(1000);
  static const uint16_t msses[] = { 536, 1220, 1460, 9000, 100 };
  for (size_t i = 0; i < sizeof msses / sizeof msses[0]; i++) {
    uint32_t c = synack_cookie_make(st, &t, irs, msses[i], now);
    uint16_t got = synack_cookie_check(st, &t, irs, c, now + SYNACK_SEC(3));
    CHECK(got != 0);
    CHECK(got <= (msses[i] < 216 ? 216 : msses[i]));
    CHECK_EQ_U(got, synack_cookie_mss(synack_cookie_mss_index(msses[i])));
  }
  synack_stack_free(st);
}

static void bound_to_tuple_and_isn(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  synack_tuple_t t = tuple(5555), u = tuple(5556);
  synack_time_t now = SYNACK_SEC(500);
  uint32_t c = synack_cookie_make(st, &t, seq_make(1), 1460, now);
  CHECK_EQ_U(synack_cookie_check(st, &u, seq_make(1), c, now), 0);
  CHECK_EQ_U(synack_cookie_check(st, &t, seq_make(2), c, now), 0);
  CHECK_EQ_U(synack_cookie_check(st, &t, seq_make(1), c ^ 1u, now), 0);
  CHECK_EQ_U(synack_cookie_check(st, &t, seq_make(1), c ^ (1u << 25), now), 0); /* the MSS bits are authenticated */
  synack_stack_free(st);
}

static void lifetime(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  synack_tuple_t t = tuple(1);
  synack_time_t now = SYNACK_SEC(64 * 10 + 5);
  uint32_t c = synack_cookie_make(st, &t, seq_make(77), 1460, now);
  CHECK(synack_cookie_check(st, &t, seq_make(77), c, now + SYNACK_SEC(60)) != 0);  /* next period */
  CHECK_EQ_U(synack_cookie_check(st, &t, seq_make(77), c, now + SYNACK_SEC(64 * 2)), 0); /* too old */
  CHECK_EQ_U(synack_cookie_check(st, &t, seq_make(77), c, now - SYNACK_SEC(64)), 0);     /* from the future */
  synack_stack_free(st);
}

static void mss_table(void) {
  CHECK_EQ_U(synack_cookie_mss(synack_cookie_mss_index(1460)), 1460);
  CHECK_EQ_U(synack_cookie_mss(synack_cookie_mss_index(1459)), 1452);
  CHECK_EQ_U(synack_cookie_mss(synack_cookie_mss_index(536)), 536);
  CHECK_EQ_U(synack_cookie_mss(synack_cookie_mss_index(10)), 216);
  CHECK_EQ_U(synack_cookie_mss(synack_cookie_mss_index(65535)), 8960);
}

static void options_in_timestamp(void) {
  bool ws, sack;
  uint8_t sh;
  uint32_t ts = synack_cookie_ts_encode(1000000, true, 7, true, -1);
  CHECK((int32_t)(ts - 1000000) <= 0);
  CHECK((int32_t)(1000000 - ts) < 64);
  synack_cookie_ts_decode(ts, &ws, &sh, &sack, NULL);
  CHECK(ws && sh == 7 && sack);
  ts = synack_cookie_ts_encode(1000031, false, 0, false, -1);
  synack_cookie_ts_decode(ts, &ws, &sh, &sack, NULL);
  CHECK(!ws && !sack);
  ts = synack_cookie_ts_encode(5, true, 14, false, -1);
  synack_cookie_ts_decode(ts, &ws, &sh, &sack, NULL);
  CHECK(ws && sh == 14 && !sack);
  /* The sixth bit (cfg.tcp_syncookie_linux): the SYN's ECN request. */
  bool ecn = false;
  ts = synack_cookie_ts_encode(1000063, true, 7, false, 1);
  CHECK((int32_t)(ts - 1000063) <= 0);
  synack_cookie_ts_decode(ts, &ws, &sh, &sack, &ecn);
  CHECK(ws && sh == 7 && !sack && ecn);
  ts = synack_cookie_ts_encode(1000063, false, 0, true, 0);
  synack_cookie_ts_decode(ts, &ws, &sh, &sack, &ecn);
  CHECK(!ws && sack && !ecn);
}

/* cfg.tcp_syncookie_linux: Linux's MSS tables, per family; an index beyond the table is no
 * cookie. */
static void linux_mss_tables(void) {
  synack_stack_t *st = mk_cfg(true);
  REQUIRE(st);
  CHECK_EQ_U(synack_cookie_encoded_mss(st, SYNACK_AF_INET, 1400), 1300);
  CHECK_EQ_U(synack_cookie_encoded_mss(st, SYNACK_AF_INET, 1000), 536);
  CHECK_EQ_U(synack_cookie_encoded_mss(st, SYNACK_AF_INET, 9000), 1460);
  CHECK_EQ_U(synack_cookie_encoded_mss(st, SYNACK_AF_INET6, 1430), 1420);
  CHECK_EQ_U(synack_cookie_encoded_mss(st, SYNACK_AF_INET6, 9000), 8940);
  synack_tuple_t t = tuple(5555);
  uint32_t c = synack_cookie_make(st, &t, seq_make(9), 1400, 0);
  CHECK_EQ_U(synack_cookie_check(st, &t, seq_make(9), c, 0), 1300);
  CHECK_EQ_U(synack_cookie_check(st, &t, seq_make(9), (c & ~(7u << 24)) | (5u << 24), 0), 0);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(roundtrip), TH_CASE(bound_to_tuple_and_isn), TH_CASE(lifetime), TH_CASE(mss_table),
        TH_CASE(options_in_timestamp), TH_CASE(linux_mss_tables))
