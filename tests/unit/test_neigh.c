/* src/core/neigh.c against a peer that fills the cache (issue 12 §2): a cap on entries being
 * resolved, the default gateway's entry never replaced, RFC 4861 §7.2.5's Override flag, and
 * the keyed hash (lookups of many entries); expiry to STALE and the unicast PROBE (RFC 4861
 * §7.3.2-3) instead of deleting an entry in use. */
#include "harness.h"
#include "neigh.h"

static synack_stack_t *new_stack(uint32_t entries, uint32_t max_incomplete) {
  synack_config_t c;
  synack_config_default(&c);
  c.ip4 = synack_ip4(198, 18, 0, 1);
  c.ip4_gateway = synack_ip4(198, 18, 0, 254);
  c.neigh_entries = entries;
  c.neigh_max_incomplete = max_incomplete;
  synack_config_deterministic(&c, 12); /* tests replay exactly (docs/security.md §1) */
  return synack_stack_new(&c, 0);
}

static synack_mac_t mac_of(uint8_t x) { return (synack_mac_t){ { 0x02, 0, 0, 0, 0, x } }; }

static uint64_t ctr(const synack_stack_t *st, synack_counter_t c) { return synack_stack_counters(st)->events[c]; }

/* At most neigh_max_incomplete addresses resolve at once; the rest are refused and counted, and
 * a learned entry is still reachable. Before: INCOMPLETE entries took every free slot. */
static void incomplete_entries_capped(void) {
  synack_stack_t *st = new_stack(16, 4);
  REQUIRE(st);
  synack_ip_t known = synack_ip4(198, 18, 0, 200);
  synack_mac_t m = mac_of(200);
  synack_neigh_learn(st, &known, &m, true, false);
  uint8_t frame[64] = { 0 };
  for (uint8_t i = 0; i < 10; i++) {
    synack_ip_t ip = synack_ip4(198, 18, 0, (uint8_t)(10 + i));
    synack_neigh_park(st, &ip, frame, sizeof frame);
  }
  CHECK_EQ_U(ctr(st, SYNACK_CTR_NEIGH_INCOMPLETE_FULL), 6);
  CHECK_EQ_U(synack_stack_counters(st)->events[SYNACK_CTR_ARP_REQUESTS_OUT], 4);
  synack_mac_t out;
  CHECK(synack_neigh_lookup(st, &known, &out));
  /* once one resolves, another address may start */
  synack_ip_t first = synack_ip4(198, 18, 0, 10);
  m = mac_of(10);
  synack_neigh_learn(st, &first, &m, false, false);
  synack_ip_t next = synack_ip4(198, 18, 0, 50);
  synack_neigh_park(st, &next, frame, sizeof frame);
  CHECK_EQ_U(ctr(st, SYNACK_CTR_NEIGH_INCOMPLETE_FULL), 6);
  synack_stack_free(st);
}

/* A full table replaces the learned entry expiring first, but never the gateway's. */
static void gateway_entry_kept(void) {
  synack_stack_t *st = new_stack(4, 4);
  REQUIRE(st);
  synack_ip_t gw = synack_ip4(198, 18, 0, 254);
  synack_mac_t m = mac_of(254);
  synack_neigh_learn(st, &gw, &m, true, false); /* learned first: expires first */
  for (uint8_t i = 1; i <= 6; i++) {
    synack_ip_t ip = synack_ip4(198, 18, 0, i);
    synack_mac_t mi = mac_of(i);
    synack_neigh_learn(st, &ip, &mi, true, false);
  }
  synack_mac_t out;
  CHECK(synack_neigh_lookup(st, &gw, &out));
  CHECK_MEM(out.b, m.b, 6);
  synack_ip_t last = synack_ip4(198, 18, 0, 6);
  CHECK(synack_neigh_lookup(st, &last, &out));
  synack_stack_free(st);
}

/* RFC 4861 §7.2.5: an NA without Override does not change a learned address; with it, it does. */
static void na_override_flag(void) {
  synack_stack_t *st = new_stack(16, 4);
  REQUIRE(st);
  synack_ip_t ip = synack_ip4(198, 18, 0, 7);
  synack_mac_t a = mac_of(0xa), b = mac_of(0xb), out;
  synack_neigh_learn(st, &ip, &a, true, false);
  synack_neigh_advert(st, &ip, &b, false);
  CHECK(synack_neigh_lookup(st, &ip, &out));
  CHECK_MEM(out.b, a.b, 6);
  synack_neigh_advert(st, &ip, &b, true);
  CHECK(synack_neigh_lookup(st, &ip, &out));
  CHECK_MEM(out.b, b.b, 6);
  /* an advertisement for an unknown address creates nothing */
  synack_ip_t other = synack_ip4(198, 18, 0, 8);
  synack_neigh_advert(st, &other, &b, true);
  CHECK(!synack_neigh_lookup(st, &other, &out));
  synack_stack_free(st);
}

/* Every learned entry is found (hash chains), and a cleared one is gone. */
static void hashed_lookups(void) {
  synack_stack_t *st = new_stack(256, 64);
  REQUIRE(st);
  for (uint32_t i = 0; i < 200; i++) {
    synack_ip_t ip = synack_ip4(198, 18, (uint8_t)(i / 250), (uint8_t)(i % 250 + 1));
    synack_mac_t m = mac_of((uint8_t)i);
    synack_neigh_learn(st, &ip, &m, true, false);
  }
  for (uint32_t i = 0; i < 200; i++) {
    synack_ip_t ip = synack_ip4(198, 18, (uint8_t)(i / 250), (uint8_t)(i % 250 + 1));
    synack_mac_t out;
    CHECK(synack_neigh_lookup(st, &ip, &out));
    CHECK_EQ_U(out.b[5], (uint8_t)i);
  }
  synack_ip_t absent = synack_ip4(198, 19, 0, 1);
  synack_mac_t out;
  CHECK(!synack_neigh_lookup(st, &absent, &out));
  synack_stack_free(st);
}

/* The frames the stack has queued: how many, and whether every one is an ARP request sent to
 * `dst` (the Ethernet destination). */
static int arp_requests_to(synack_stack_t *st, synack_time_t now, const uint8_t *dst) {
  synack_frame_t f;
  int n = 0;
  while (synack_stack_poll_tx(st, now, &f)) {
    CHECK_EQ_U(f.len, 42);
    CHECK_MEM(f.data, dst, 6);
    CHECK_EQ_U(f.data[12], 0x08);
    CHECK_EQ_U(f.data[13], 0x06);
    CHECK_EQ_U(f.data[21], 1); /* ARP operation: request */
    n++;
  }
  return n;
}

/* Learns ip at time 0 and runs the timers just past its lifetime; returns that time. */
static synack_time_t learn_and_expire(synack_stack_t *st, const synack_ip_t *ip, const synack_mac_t *m) {
  synack_neigh_learn(st, ip, m, true, false);
  synack_time_t t = (synack_time_t)st->cfg.neigh_timeout_ms * 1000u + 1;
  synack_stack_handle_timers(st, t);
  return t;
}

/* RFC 4861 §7.3.2-3: an entry that outlives neigh_timeout_ms goes STALE and traffic keeps using
 * it; the first use sends a unicast probe, an answer makes it REACHABLE again. Before, expiry
 * deleted the entry: the next frames parked behind a fresh broadcast resolution (4 at most, the
 * rest dropped), once a minute for every busy neighbour. */
static void expiry_keeps_stale_entry(void) {
  synack_stack_t *st = new_stack(16, 4);
  REQUIRE(st);
  synack_ip_t peer = synack_ip4(198, 18, 0, 9);
  synack_mac_t m = mac_of(9), out;
  synack_time_t t = learn_and_expire(st, &peer, &m);
  CHECK_EQ_I(arp_requests_to(st, t, m.b), 0); /* expiry alone sends nothing */
  CHECK(synack_neigh_lookup(st, &peer, &out)); /* STALE: still resolves */
  CHECK_MEM(out.b, m.b, 6);
  CHECK(synack_stack_next_deadline(st) <= t); /* the probe is due at once */
  synack_stack_handle_timers(st, t);
  CHECK_EQ_I(arp_requests_to(st, t, m.b), 1); /* unicast, to the MAC we know */
  CHECK(synack_neigh_lookup(st, &peer, &out)); /* PROBE: still resolves, no second probe */
  CHECK_EQ_I(arp_requests_to(st, t, m.b), 0);
  synack_neigh_learn(st, &peer, &m, false, false); /* the reply */
  t += 1000000;
  synack_stack_handle_timers(st, t);
  CHECK_EQ_I(arp_requests_to(st, t, m.b), 0); /* REACHABLE again: no retry */
  CHECK(synack_neigh_lookup(st, &peer, &out));
  CHECK_EQ_U(ctr(st, SYNACK_CTR_ARP_REQUESTS_OUT), 1);
  synack_stack_free(st);
}

/* A probed neighbour that never answers: 3 unicast probes neigh_retry_ms apart (RFC 4861
 * MAX_UNICAST_SOLICIT), then the entry is deleted and the next frame resolves from scratch. */
static void unanswered_probe_deletes(void) {
  synack_stack_t *st = new_stack(16, 4);
  REQUIRE(st);
  synack_ip_t peer = synack_ip4(198, 18, 0, 9);
  synack_mac_t m = mac_of(9), out;
  synack_time_t t = learn_and_expire(st, &peer, &m);
  CHECK(synack_neigh_lookup(st, &peer, &out));
  int probes = 0;
  for (int i = 0; i < 3; i++) {
    synack_stack_handle_timers(st, t);
    probes += arp_requests_to(st, t, m.b);
    CHECK(synack_neigh_lookup(st, &peer, &out));
    t += (synack_time_t)st->cfg.neigh_retry_ms * 1000u;
  }
  CHECK_EQ_I(probes, 3);
  synack_stack_handle_timers(st, t);
  CHECK(!synack_neigh_lookup(st, &peer, &out));
  synack_stack_free(st);
}

/* A full table gives a STALE entry's slot before a REACHABLE one's, even one expiring sooner. */
static void stale_entry_replaced_first(void) {
  synack_stack_t *st = new_stack(2, 2);
  REQUIRE(st);
  synack_ip_t a = synack_ip4(198, 18, 0, 1), b = synack_ip4(198, 18, 0, 2), c = synack_ip4(198, 18, 0, 3);
  synack_mac_t ma = mac_of(1), mb = mac_of(2), mc = mac_of(3), out;
  learn_and_expire(st, &a, &ma); /* a: STALE */
  synack_neigh_learn(st, &b, &mb, true, false);
  synack_neigh_learn(st, &c, &mc, true, false); /* table full: a's slot */
  CHECK(!synack_neigh_lookup(st, &a, &out));
  CHECK(synack_neigh_lookup(st, &b, &out));
  CHECK(synack_neigh_lookup(st, &c, &out));
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(incomplete_entries_capped), TH_CASE(expiry_keeps_stale_entry), TH_CASE(unanswered_probe_deletes),
        TH_CASE(stale_entry_replaced_first), TH_CASE(gateway_entry_kept), TH_CASE(na_override_flag),
        TH_CASE(hashed_lookups))
