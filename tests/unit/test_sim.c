/* The simulated network: every impairment does what its configuration says, the loop keeps its
 * phase order, the same seed replays the same run, the switch learns. Generic nodes only (the
 * stack is not needed): senders put numbered frames on links, recorders log what arrives. */
#include "harness.h"
#include "synack/sim.h"

/* ---- numbered frames and a recording node ---- */

#define FRAME_ETHERTYPE 0x88b5 /* IEEE local experimental: nobody parses it as IP */

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t MAC_C[6] = {0x02, 0, 0, 0, 0, 0x0c};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Ethernet header, then the frame number at offset 14, then a byte pattern derived from it. */
static size_t make_frame(uint8_t *buf, size_t len, const uint8_t *dst, const uint8_t *src, uint32_t id) {
  memcpy(buf, dst, 6);
  memcpy(buf + 6, src, 6);
  buf[12] = FRAME_ETHERTYPE >> 8;
  buf[13] = FRAME_ETHERTYPE & 0xff;
  put32(buf + 14, id);
  for (size_t i = 18; i < len; i++) buf[i] = (uint8_t)(id * 31u + i);
  return len;
}

static int send_id(synack_sim_t *sim, int link, int dir, uint32_t id, size_t len) {
  uint8_t buf[2048];
  return synack_sim_send(sim, link, dir, buf, make_frame(buf, len, MAC_B, MAC_A, id));
}

typedef struct {
  synack_time_t t;
  uint32_t id;
  size_t len;
  uint8_t bytes[96];
} rx_t;

typedef struct {
  rx_t *rx;
  size_t n, cap;
} recorder_t;

static void rec_input(void *ctx, synack_time_t now, const uint8_t *frame, size_t len) {
  recorder_t *r = ctx;
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->rx = realloc(r->rx, r->cap * sizeof *r->rx);
  }
  rx_t *x = &r->rx[r->n++];
  x->t = now;
  x->len = len;
  x->id = len >= 18 ? get32(frame + 14) : 0;
  memset(x->bytes, 0, sizeof x->bytes);
  memcpy(x->bytes, frame, len < sizeof x->bytes ? len : sizeof x->bytes);
}

static const synack_sim_node_ops_t rec_ops = {.input = rec_input};

/* Two recorders joined by one link; dir 0 goes a → b. */
typedef struct {
  synack_sim_t *sim;
  recorder_t a, b;
  int na, nb, link;
} pair_t;

static void pair_init(pair_t *p, uint64_t seed, const synack_sim_link_cfg_t *ab, const synack_sim_link_cfg_t *ba) {
  memset(p, 0, sizeof *p);
  p->sim = synack_sim_new(seed);
  p->na = synack_sim_add_node(p->sim, &rec_ops, &p->a);
  p->nb = synack_sim_add_node(p->sim, &rec_ops, &p->b);
  p->link = synack_sim_link(p->sim, p->na, p->nb, ab, ba);
}

static void pair_free(pair_t *p) {
  synack_sim_free(p->sim);
  free(p->a.rx);
  free(p->b.rx);
}

static void run_all(synack_sim_t *sim) {
  while (synack_sim_step(sim)) {
  }
}

/* Sends frames 1..n, one every interval_us, starting at the current time. */
typedef struct {
  int link, dir;
  uint32_t next, n;
  synack_time_t interval;
  size_t len;
} pacer_t;

static void pacer_tick(void *user, synack_sim_t *sim, synack_time_t now) {
  pacer_t *p = user;
  send_id(sim, p->link, p->dir, p->next, p->len);
  if (p->next++ < p->n) synack_sim_at(sim, now + p->interval, pacer_tick, p);
}

static void pace(synack_sim_t *sim, pacer_t *p) { synack_sim_at(sim, synack_sim_now(sim), pacer_tick, p); }

/* Counts observer events by kind and the reason of the last drop. */
typedef struct {
  unsigned sent, dropped, delivered;
  char last_why[16];
} obs_count_t;

static void count_obs(void *user, const synack_sim_obs_t *o) {
  obs_count_t *c = user;
  switch (o->kind) {
  case SYNACK_SIM_OBS_SENT:
    c->sent++;
    break;
  case SYNACK_SIM_OBS_DROPPED:
    c->dropped++;
    snprintf(c->last_why, sizeof c->last_why, "%s", o->why ? o->why : "");
    break;
  case SYNACK_SIM_OBS_DELIVERED:
    c->delivered++;
    break;
  }
}

/* ---- hand-built Ethernet/IPv4/TCP frames with correct checksums ---- */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint32_t)p[n - 1] << 8;
  return s;
}
static uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static size_t make_tcp(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint8_t sip_last, uint8_t dip_last,
                       uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, size_t plen) {
  memcpy(f, dmac, 6);
  memcpy(f + 6, smac, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t *ip = f + 14;
  size_t tcplen = 20 + plen, tot = 20 + tcplen;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  ip[2] = (uint8_t)(tot >> 8);
  ip[3] = (uint8_t)tot;
  ip[6] = 0x40; /* DF */
  ip[8] = 64;
  ip[9] = 6;
  ip[12] = 10, ip[15] = sip_last;
  ip[16] = 10, ip[19] = dip_last;
  uint16_t c = fold(sum16(0, ip, 20));
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
  uint8_t *t = ip + 20;
  memset(t, 0, 20);
  t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
  t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
  put32(t + 4, seq);
  put32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  t[14] = 0xff, t[15] = 0xff;
  for (size_t i = 0; i < plen; i++) t[20 + i] = (uint8_t)('a' + i % 26);
  uint8_t pseudo[12];
  memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  pseudo[10] = (uint8_t)(tcplen >> 8);
  pseudo[11] = (uint8_t)tcplen;
  c = fold(sum16(sum16(0, pseudo, 12), t, tcplen));
  t[16] = (uint8_t)(c >> 8);
  t[17] = (uint8_t)c;
  return 14 + tot;
}

/* True when both the IPv4 header and the TCP checksum of an Ethernet/IPv4/TCP frame verify. */
static bool tcp_frame_ok(const uint8_t *f, size_t len) {
  if (len < 54 || f[12] != 0x08 || f[13] != 0 || f[14] != 0x45) return false;
  const uint8_t *ip = f + 14;
  size_t tot = (size_t)(ip[2] << 8 | ip[3]);
  if (tot < 40 || 14 + tot > len || ip[9] != 6) return false;
  if (fold(sum16(0, ip, 20)) != 0) return false;
  uint8_t pseudo[12];
  memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  pseudo[10] = (uint8_t)((tot - 20) >> 8);
  pseudo[11] = (uint8_t)(tot - 20);
  if ((ip[20 + 12] >> 4) != 5) return false;
  return fold(sum16(sum16(0, pseudo, 12), ip + 20, tot - 20)) == 0;
}

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08

/* ---- scripted rules ---- */

static void test_rule_drop_range(void) {
  pair_t p;
  pair_init(&p, 1, NULL, NULL);
  obs_count_t oc = {0};
  synack_sim_add_observer(p.sim, count_obs, &oc);
  synack_sim_rule_t r = {.payload = -1, .nth = 5, .count = 5, .action = SYNACK_SIM_DROP};
  REQUIRE(synack_sim_add_rule(p.sim, p.link, 0, &r) >= 0);
  pacer_t pc = {.link = p.link, .dir = 0, .next = 1, .n = 20, .interval = 10, .len = 60};
  pace(p.sim, &pc);
  run_all(p.sim);
  CHECK_EQ_U(p.b.n, 15);
  uint32_t want = 1;
  for (size_t i = 0; i < p.b.n; i++) {
    if (want == 5) want = 10;
    CHECK_EQ_U(p.b.rx[i].id, want);
    want++;
  }
  const synack_sim_dir_stats_t *st = synack_sim_stats(p.sim, p.link, 0);
  CHECK_EQ_U(st->sent, 20);
  CHECK_EQ_U(st->delivered, 15);
  CHECK_EQ_U(st->dropped_rule, 5);
  CHECK_EQ_U(st->lost, 0);
  CHECK_EQ_U(oc.sent, 20);
  CHECK_EQ_U(oc.dropped, 5);
  CHECK_EQ_U(oc.delivered, 15);
  CHECK_STR(oc.last_why, "rule");
  CHECK_EQ_U(p.a.n, 0);
  CHECK_EQ_U(synack_sim_stats(p.sim, p.link, 1)->sent, 0);
  pair_free(&p);
}

static void test_rule_drop_first_synack(void) {
  pair_t p;
  pair_init(&p, 2, NULL, NULL);
  /* b → a (dir 1) carries the server's segments. */
  synack_sim_rule_t r = {.tcp_only = true, .tcp_flags_mask = SYN | ACK, .tcp_flags_value = SYN | ACK, .payload = -1,
                         .nth = 1, .count = 1, .action = SYNACK_SIM_DROP};
  REQUIRE(synack_sim_add_rule(p.sim, p.link, 1, &r) >= 0);
  uint8_t f[256];
  size_t n;
  n = make_tcp(f, MAC_B, MAC_A, 1, 2, 40000, 80, 1000, 0, SYN, 0);
  CHECK(tcp_frame_ok(f, n));
  synack_sim_send(p.sim, p.link, 0, f, n);
  /* Server: a non-TCP frame and a plain ACK first (must not count), then SYN-ACK twice. */
  send_id(p.sim, p.link, 1, 77, 60);
  n = make_tcp(f, MAC_A, MAC_B, 2, 1, 80, 40000, 5000, 1001, ACK, 0);
  synack_sim_send(p.sim, p.link, 1, f, n);
  n = make_tcp(f, MAC_A, MAC_B, 2, 1, 80, 40000, 5000, 1001, SYN | ACK, 0);
  CHECK(tcp_frame_ok(f, n));
  synack_sim_send(p.sim, p.link, 1, f, n);
  synack_sim_send(p.sim, p.link, 1, f, n);
  run_all(p.sim);
  CHECK_EQ_U(p.b.n, 1); /* the SYN: rules of dir 1 do not touch dir 0 */
  CHECK_EQ_U(p.a.n, 3); /* non-TCP, ACK, second SYN-ACK */
  REQUIRE(p.a.n == 3);
  CHECK_EQ_U(p.a.rx[2].bytes[14 + 20 + 13], SYN | ACK);
  CHECK(tcp_frame_ok(p.a.rx[2].bytes, p.a.rx[2].len));
  CHECK_EQ_U(synack_sim_stats(p.sim, p.link, 1)->dropped_rule, 1);
  pair_free(&p);
}

static void test_rule_payload_and_custom(void) {
  pair_t p;
  pair_init(&p, 3, NULL, NULL);
  /* Drop the 3rd segment that carries data; pure ACKs in between do not count. */
  synack_sim_rule_t r = {.tcp_only = true, .payload = 1, .nth = 3, .count = 1, .action = SYNACK_SIM_DROP};
  REQUIRE(synack_sim_add_rule(p.sim, p.link, 0, &r) >= 0);
  /* Duplicate every pure ACK (payload 0, count 0 = all from nth). */
  synack_sim_rule_t d = {.tcp_only = true, .tcp_flags_mask = ACK, .tcp_flags_value = ACK, .payload = 0, .nth = 1,
                         .count = 0, .action = SYNACK_SIM_DUPLICATE};
  REQUIRE(synack_sim_add_rule(p.sim, p.link, 0, &d) >= 0);
  uint8_t f[256];
  uint32_t seq = 1;
  for (int i = 0; i < 5; i++) {
    size_t n = make_tcp(f, MAC_B, MAC_A, 1, 2, 1, 2, seq, 1, ACK | PSH, 100);
    synack_sim_send(p.sim, p.link, 0, f, n);
    seq += 100;
    n = make_tcp(f, MAC_B, MAC_A, 1, 2, 1, 2, seq, 1, ACK, 0);
    synack_sim_send(p.sim, p.link, 0, f, n);
  }
  run_all(p.sim);
  /* 5 data - 1 dropped + 5 ACKs x 2 */
  CHECK_EQ_U(p.b.n, 14);
  unsigned data = 0;
  for (size_t i = 0; i < p.b.n; i++) {
    if (p.b.rx[i].len > 54) {
      data++;
      CHECK(get32(p.b.rx[i].bytes + 14 + 20 + 4) != 201); /* the third data segment, seq 201 */
    }
  }
  CHECK_EQ_U(data, 4);
  const synack_sim_dir_stats_t *st = synack_sim_stats(p.sim, p.link, 0);
  CHECK_EQ_U(st->dropped_rule, 1);
  CHECK_EQ_U(st->duplicated, 5);
  pair_free(&p);
}

static bool match_id_7(void *user, const uint8_t *frame, size_t len) {
  (void)user;
  return len >= 18 && get32(frame + 14) == 7;
}

static void test_rule_delay_and_custom_match(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.delay_us = 100};
  pair_init(&p, 4, &c, NULL);
  synack_sim_rule_t r = {.payload = -1, .match = match_id_7, .nth = 1, .count = 1, .action = SYNACK_SIM_DELAY,
                         .delay_us = 1000};
  REQUIRE(synack_sim_add_rule(p.sim, p.link, 0, &r) >= 0);
  pacer_t pc = {.link = p.link, .dir = 0, .next = 1, .n = 20, .interval = 10, .len = 60};
  pace(p.sim, &pc);
  run_all(p.sim);
  REQUIRE(p.b.n == 20);
  /* Frame 7 (sent at 60) arrives at 60 + 100 + 1000, after all the others, which are on time. */
  CHECK_EQ_U(p.b.rx[19].id, 7);
  CHECK_EQ_U(p.b.rx[19].t, 1160);
  for (size_t i = 0; i < 19; i++) {
    uint32_t id = p.b.rx[i].id;
    CHECK(id != 7);
    CHECK_EQ_U(p.b.rx[i].t, (id - 1) * 10 + 100);
  }
  CHECK_EQ_U(synack_sim_stats(p.sim, p.link, 0)->delayed_rule, 1);
  pair_free(&p);
}

/* ---- random impairments ---- */

static void test_random_loss_rate(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.loss = 0.1};
  pair_init(&p, 5, &c, NULL);
  obs_count_t oc = {0};
  synack_sim_add_observer(p.sim, count_obs, &oc);
  const unsigned n = 100000;
  for (unsigned i = 1; i <= n; i++) send_id(p.sim, p.link, 0, i, 60);
  run_all(p.sim);
  const synack_sim_dir_stats_t *st = synack_sim_stats(p.sim, p.link, 0);
  CHECK_EQ_U(st->sent, n);
  CHECK_EQ_U(st->lost + st->delivered, n);
  CHECK_EQ_U(p.b.n, st->delivered);
  CHECK_EQ_U(oc.dropped, st->lost);
  CHECK_STR(oc.last_why, "loss");
  /* Binomial: mean 10000, sd ~95; 5 sd either side. */
  CHECK(st->lost > 10000 - 475 && st->lost < 10000 + 475);
  pair_free(&p);
}

static void test_duplication(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.dup = 0.25};
  pair_init(&p, 6, &c, NULL);
  const unsigned n = 10000;
  for (unsigned i = 1; i <= n; i++) send_id(p.sim, p.link, 0, i, 60);
  run_all(p.sim);
  const synack_sim_dir_stats_t *st = synack_sim_stats(p.sim, p.link, 0);
  CHECK_EQ_U(st->delivered, n + st->duplicated);
  CHECK_EQ_U(p.b.n, n + st->duplicated);
  /* mean 2500, sd ~43 */
  CHECK(st->duplicated > 2500 - 220 && st->duplicated < 2500 + 220);
  unsigned *seen = calloc(n + 1, sizeof *seen);
  for (size_t i = 0; i < p.b.n; i++) seen[p.b.rx[i].id]++;
  unsigned twice = 0, once = 0;
  for (unsigned i = 1; i <= n; i++) {
    if (seen[i] == 2) twice++;
    else if (seen[i] == 1) once++;
  }
  CHECK_EQ_U(twice, st->duplicated);
  CHECK_EQ_U(once + twice, n);
  /* duplicates are byte-identical copies */
  for (size_t i = 1; i < p.b.n; i++)
    if (p.b.rx[i].id == p.b.rx[i - 1].id) CHECK_MEM(p.b.rx[i].bytes, p.b.rx[i - 1].bytes, 60);
  free(seen);
  pair_free(&p);
}

static void test_reorder(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.delay_us = 1000, .reorder = 0.1, .reorder_delay_us = 5000};
  pair_init(&p, 7, &c, NULL);
  pacer_t pc = {.link = p.link, .dir = 0, .next = 1, .n = 1000, .interval = 100, .len = 60};
  pace(p.sim, &pc);
  synack_sim_run_until(p.sim, 100000);
  /* A clean tail so that every held-back frame gets overtaken. */
  synack_sim_link_cfg_t clean = {.delay_us = 1000};
  synack_sim_link_config(p.sim, p.link, 0, &clean);
  pacer_t tail = {.link = p.link, .dir = 0, .next = 1001, .n = 1100, .interval = 100, .len = 60};
  pace(p.sim, &tail);
  run_all(p.sim);
  const synack_sim_dir_stats_t *st = synack_sim_stats(p.sim, p.link, 0);
  CHECK_EQ_U(p.b.n, 1100);
  CHECK(st->reordered > 50 && st->reordered < 150);
  uint32_t max = 0;
  unsigned late = 0;
  for (size_t i = 0; i < p.b.n; i++) {
    const rx_t *x = &p.b.rx[i];
    synack_time_t sent = (synack_time_t)(x->id - 1) * 100;
    if (x->id < max) {
      late++;
      CHECK_EQ_U(x->t - sent, 6000);
    } else {
      max = x->id;
      /* a frame that arrives in order either went straight through or was held back */
      CHECK(x->t - sent == 1000 || x->t - sent == 6000);
    }
  }
  CHECK_EQ_U(late, st->reordered);
  pair_free(&p);
}

static void test_constant_delay(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.delay_us = 2500};
  synack_sim_link_cfg_t c2 = {.delay_us = 7};
  pair_init(&p, 8, &c, &c2);
  static const synack_time_t at[] = {0, 100, 1000, 1001};
  for (size_t i = 0; i < 4; i++) {
    synack_sim_run_until(p.sim, at[i]);
    CHECK_EQ_U(synack_sim_now(p.sim), at[i]);
    send_id(p.sim, p.link, 0, (uint32_t)i + 1, 60);
    send_id(p.sim, p.link, 1, (uint32_t)i + 1, 60);
  }
  run_all(p.sim);
  REQUIRE(p.b.n == 4 && p.a.n == 4);
  for (size_t i = 0; i < 4; i++) {
    CHECK_EQ_U(p.b.rx[i].t, at[i] + 2500);
    CHECK_EQ_U(p.a.rx[i].t, at[i] + 7);
  }
  const synack_sim_dir_stats_t *st = synack_sim_stats(p.sim, p.link, 0);
  CHECK_EQ_U(st->total_delay_us, 4 * 2500);
  CHECK_EQ_U(st->max_delay_us, 2500);
  CHECK_EQ_U(st->bytes_delivered, 240);
  pair_free(&p);
}

static void test_jitter(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.delay_us = 1000, .jitter_us = 500};
  pair_init(&p, 9, &c, NULL);
  pacer_t pc = {.link = p.link, .dir = 0, .next = 1, .n = 10000, .interval = 50, .len = 60};
  pace(p.sim, &pc);
  run_all(p.sim);
  REQUIRE(p.b.n == 10000);
  synack_time_t lo = UINT64_MAX, hi = 0, prev = 0;
  for (size_t i = 0; i < p.b.n; i++) {
    const rx_t *x = &p.b.rx[i];
    CHECK_EQ_U(x->id, i + 1); /* jitter alone never reorders */
    synack_time_t lat = x->t - (synack_time_t)(x->id - 1) * 50;
    CHECK(lat >= 1000 && lat <= 1500);
    CHECK(x->t >= prev);
    prev = x->t;
    if (lat < lo) lo = lat;
    if (lat > hi) hi = lat;
  }
  CHECK(lo < 1050);
  CHECK(hi > 1450);
  CHECK(synack_sim_stats(p.sim, p.link, 0)->max_delay_us <= 1500);
  pair_free(&p);
}

static void test_bandwidth_serialization(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.rate_bps = 12000000, .queue_bytes = 15000, .delay_us = 500};
  pair_init(&p, 10, &c, NULL);
  obs_count_t oc = {0};
  synack_sim_add_observer(p.sim, count_obs, &oc);
  /* 20 back-to-back 1500-byte frames: 10 fit in the 15000-byte queue, the rest are dropped at
   * the tail; each frame takes 12000 bits / 12 Mbit/s = 1 ms on the wire. */
  for (uint32_t i = 1; i <= 20; i++) send_id(p.sim, p.link, 0, i, 1500);
  run_all(p.sim);
  const synack_sim_dir_stats_t *st = synack_sim_stats(p.sim, p.link, 0);
  CHECK_EQ_U(st->dropped_queue, 10);
  CHECK_STR(oc.last_why, "queue");
  REQUIRE(p.b.n == 10);
  for (size_t i = 0; i < 10; i++) {
    CHECK_EQ_U(p.b.rx[i].id, i + 1);
    CHECK_EQ_U(p.b.rx[i].t, (i + 1) * 1000 + 500);
  }
  /* Once drained, the link is idle again: a new frame sees an empty queue and no carry. */
  synack_time_t t0 = synack_sim_now(p.sim) + 3;
  synack_sim_run_until(p.sim, t0);
  send_id(p.sim, p.link, 0, 99, 1500);
  run_all(p.sim);
  REQUIRE(p.b.n == 11);
  CHECK_EQ_U(p.b.rx[10].t, t0 + 1000 + 500);
  pair_free(&p);

  /* Frames spaced exactly at the link rate never queue: a 1 ms pacer at 12 Mbit/s. */
  synack_sim_link_cfg_t c2 = {.rate_bps = 12000000, .queue_bytes = 1500};
  pair_init(&p, 11, &c2, NULL);
  pacer_t pc = {.link = p.link, .dir = 0, .next = 1, .n = 50, .interval = 1000, .len = 1500};
  pace(p.sim, &pc);
  run_all(p.sim);
  CHECK_EQ_U(p.b.n, 50);
  CHECK_EQ_U(synack_sim_stats(p.sim, p.link, 0)->dropped_queue, 0);
  pair_free(&p);

  /* A rate that does not divide evenly: 100-byte frames at 3 Mbit/s take 266.67 us; the carried
   * remainder keeps 3 back-to-back frames at exactly 800 us. */
  synack_sim_link_cfg_t c3 = {.rate_bps = 3000000};
  pair_init(&p, 12, &c3, NULL);
  for (uint32_t i = 1; i <= 3; i++) send_id(p.sim, p.link, 0, i, 100);
  run_all(p.sim);
  REQUIRE(p.b.n == 3);
  CHECK_EQ_U(p.b.rx[0].t, 266);
  CHECK_EQ_U(p.b.rx[1].t, 533);
  CHECK_EQ_U(p.b.rx[2].t, 800);
  pair_free(&p);
}

static unsigned bit_diff(const uint8_t *a, const uint8_t *b, size_t n, size_t *first) {
  unsigned bits = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t x = a[i] ^ b[i];
    if (x && first) *first = i;
    for (; x; x &= (uint8_t)(x - 1)) bits++;
  }
  return bits;
}

static void test_corruption(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.corrupt = 1.0};
  pair_init(&p, 13, &c, NULL);
  uint8_t f[256];
  size_t n = make_tcp(f, MAC_B, MAC_A, 1, 2, 1234, 80, 42, 7, ACK | PSH, 26);
  REQUIRE(n <= sizeof p.b.rx[0].bytes);
  REQUIRE(tcp_frame_ok(f, n));
  for (int i = 0; i < 500; i++) synack_sim_send(p.sim, p.link, 0, f, n);
  run_all(p.sim);
  REQUIRE(p.b.n == 500);
  unsigned caught = 0, distinct_offsets = 0;
  bool hit[128] = {0};
  for (size_t i = 0; i < p.b.n; i++) {
    size_t off = 0;
    CHECK_EQ_U(bit_diff(f, p.b.rx[i].bytes, n, &off), 1);
    CHECK(off >= 14); /* the Ethernet header is left alone */
    if (!hit[off]) distinct_offsets++;
    hit[off] = true;
    if (!tcp_frame_ok(p.b.rx[i].bytes, n)) caught++;
  }
  CHECK_EQ_U(caught, 500); /* every single-bit flip fails a checksum */
  CHECK(distinct_offsets > 40);
  CHECK_EQ_U(synack_sim_stats(p.sim, p.link, 0)->corrupted, 500);
  pair_free(&p);

  /* A CORRUPT rule hits exactly the frames it names. */
  pair_init(&p, 14, NULL, NULL);
  synack_sim_rule_t r = {.payload = -1, .nth = 2, .count = 1, .action = SYNACK_SIM_CORRUPT};
  synack_sim_add_rule(p.sim, p.link, 0, &r);
  for (int i = 0; i < 3; i++) synack_sim_send(p.sim, p.link, 0, f, n);
  run_all(p.sim);
  REQUIRE(p.b.n == 3);
  CHECK_EQ_U(bit_diff(f, p.b.rx[0].bytes, n, NULL), 0);
  CHECK_EQ_U(bit_diff(f, p.b.rx[1].bytes, n, NULL), 1);
  CHECK_EQ_U(bit_diff(f, p.b.rx[2].bytes, n, NULL), 0);
  pair_free(&p);
}

static void test_mtu(void) {
  pair_t p;
  synack_sim_link_cfg_t c = {.mtu = 1000};
  pair_init(&p, 15, &c, NULL);
  obs_count_t oc = {0};
  synack_sim_add_observer(p.sim, count_obs, &oc);
  send_id(p.sim, p.link, 0, 1, 999);
  send_id(p.sim, p.link, 0, 2, 1000);
  send_id(p.sim, p.link, 0, 3, 1001);
  send_id(p.sim, p.link, 0, 4, 1514);
  send_id(p.sim, p.link, 1, 5, 1514); /* the other direction has no MTU */
  run_all(p.sim);
  REQUIRE(p.b.n == 2);
  CHECK_EQ_U(p.b.rx[0].id, 1);
  CHECK_EQ_U(p.b.rx[1].id, 2);
  CHECK_EQ_U(p.a.n, 1);
  CHECK_EQ_U(synack_sim_stats(p.sim, p.link, 0)->dropped_mtu, 2);
  CHECK_EQ_U(oc.dropped, 2);
  CHECK_STR(oc.last_why, "mtu");
  pair_free(&p);
}

/* ---- determinism ---- */

static uint64_t run_log(uint64_t seed, size_t *count) {
  pair_t p;
  synack_sim_link_cfg_t c = {.loss = 0.05, .dup = 0.05, .reorder = 0.05, .reorder_delay_us = 3000, .corrupt = 0.05,
                             .delay_us = 2000, .jitter_us = 700, .rate_bps = 160000000, .queue_bytes = 30000};
  pair_init(&p, seed, &c, &c);
  pacer_t a = {.link = p.link, .dir = 0, .next = 1, .n = 3000, .interval = 37, .len = 700};
  pacer_t b = {.link = p.link, .dir = 1, .next = 1, .n = 3000, .interval = 41, .len = 300};
  pace(p.sim, &a);
  pace(p.sim, &b);
  run_all(p.sim);
  /* FNV-1a over every (time, id, bytes) of both recorders */
  uint64_t h = 1469598103934665603ull;
  recorder_t *rs[2] = {&p.a, &p.b};
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; i < rs[k]->n; i++) {
      const rx_t *x = &rs[k]->rx[i];
      uint8_t rec[8 + 4 + 96];
      memcpy(rec, &x->t, 8);
      memcpy(rec + 8, &x->id, 4);
      memcpy(rec + 12, x->bytes, 96);
      for (size_t j = 0; j < sizeof rec; j++) h = (h ^ rec[j]) * 1099511628211ull;
    }
  }
  *count = p.a.n + p.b.n;
  pair_free(&p);
  return h;
}

static void test_same_seed_same_run(void) {
  size_t n1, n2, n3;
  uint64_t h1 = run_log(42, &n1);
  uint64_t h2 = run_log(42, &n2);
  uint64_t h3 = run_log(43, &n3);
  CHECK_EQ_U(h1, h2);
  CHECK_EQ_U(n1, n2);
  CHECK(h1 != h3);
  CHECK(n1 > 5000);
}

/* ---- the loop ---- */

typedef struct {
  int order[8];
  int n;
  synack_time_t when[8];
} trace_t;

typedef struct {
  trace_t *tr;
  int tag;
} tagged_t;

static void note(void *user, synack_sim_t *sim, synack_time_t now) {
  tagged_t *t = user;
  (void)sim;
  t->tr->when[t->tr->n] = now;
  t->tr->order[t->tr->n++] = t->tag;
}

static void test_callbacks_in_order(void) {
  synack_sim_t *sim = synack_sim_new(1);
  trace_t tr = {0};
  tagged_t tags[5];
  for (int i = 0; i < 5; i++) tags[i] = (tagged_t){&tr, i};
  synack_sim_at(sim, 300, note, &tags[0]);
  synack_sim_at(sim, 100, note, &tags[1]);
  synack_sim_at(sim, 300, note, &tags[2]);
  synack_sim_at(sim, 100, note, &tags[3]);
  synack_sim_at(sim, 200, note, &tags[4]);
  CHECK(synack_sim_step(sim));
  CHECK_EQ_U(synack_sim_now(sim), 100);
  CHECK_EQ_I(tr.n, 2);
  synack_sim_run_until(sim, 250);
  CHECK_EQ_U(synack_sim_now(sim), 250);
  CHECK_EQ_I(tr.n, 3);
  synack_sim_run_until(sim, 10000);
  CHECK_EQ_U(synack_sim_now(sim), 10000);
  static const int want[] = {1, 3, 4, 0, 2};
  static const synack_time_t want_t[] = {100, 100, 200, 300, 300};
  REQUIRE(tr.n == 5);
  for (int i = 0; i < 5; i++) {
    CHECK_EQ_I(tr.order[i], want[i]);
    CHECK_EQ_U(tr.when[i], want_t[i]);
  }
  CHECK(!synack_sim_step(sim));
  synack_sim_free(sim);
}

/* A node with a timer: at its deadline it queues a frame, which the loop drains at once; it
 * answers every frame it gets with one of its own (output triggered by input, same instant). */
typedef struct {
  synack_time_t deadline;
  synack_time_t fired_at;
  unsigned pending;
  uint8_t buf[64];
  uint32_t next_id;
  recorder_t rec;
  bool sticky; /* keeps reporting a deadline in the past */
  unsigned timer_calls;
} timed_t;

static void timed_input(void *ctx, synack_time_t now, const uint8_t *frame, size_t len) {
  timed_t *t = ctx;
  rec_input(&t->rec, now, frame, len);
  t->pending++;
}
static bool timed_poll(void *ctx, synack_time_t now, synack_frame_t *out) {
  timed_t *t = ctx;
  (void)now;
  if (!t->pending) return false;
  t->pending--;
  out->data = t->buf;
  out->len = make_frame(t->buf, 60, MAC_A, MAC_B, t->next_id++);
  return true;
}
static synack_time_t timed_deadline(void *ctx) {
  timed_t *t = ctx;
  return t->deadline;
}
static void timed_timers(void *ctx, synack_time_t now) {
  timed_t *t = ctx;
  t->timer_calls++;
  if (now >= t->deadline) {
    t->fired_at = now;
    t->pending++;
    if (!t->sticky) t->deadline = SYNACK_TIME_NEVER;
  }
}
static const synack_sim_node_ops_t timed_ops = {
    .input = timed_input, .poll_tx = timed_poll, .next_deadline = timed_deadline, .handle_timers = timed_timers};

static void test_node_timers_and_output(void) {
  synack_sim_t *sim = synack_sim_new(1);
  timed_t t = {.deadline = 500, .next_id = 1};
  recorder_t r = {0};
  int a = synack_sim_add_node(sim, &timed_ops, &t);
  int b = synack_sim_add_node(sim, &rec_ops, &r);
  synack_sim_link_cfg_t c = {.delay_us = 0};
  int l = synack_sim_link(sim, a, b, &c, &c);
  REQUIRE(l >= 0);
  run_all(sim);
  CHECK_EQ_U(t.fired_at, 500);
  REQUIRE(r.n == 1);
  CHECK_EQ_U(r.rx[0].t, 500); /* zero delay: delivered at the same instant */
  /* b → a: the timed node answers at the same instant through poll_tx. */
  send_id(sim, l, 1, 9, 60);
  run_all(sim);
  CHECK_EQ_U(t.rec.n, 1);
  REQUIRE(r.n == 2);
  CHECK_EQ_U(r.rx[1].t, 500);
  CHECK_EQ_U(r.rx[1].id, 2);
  /* flush drains output queued outside the loop without moving the clock */
  t.pending = 1;
  synack_sim_flush(sim);
  CHECK_EQ_U(synack_sim_now(sim), 500);
  run_all(sim);
  CHECK_EQ_U(r.n, 3);
  synack_sim_free(sim);
  free(r.rx);
  free(t.rec.rx);

  /* A deadline stuck in the past does not pin the clock: the loop moves on. */
  sim = synack_sim_new(1);
  timed_t s = {.deadline = 10, .sticky = true, .next_id = 1};
  recorder_t r2 = {0};
  a = synack_sim_add_node(sim, &timed_ops, &s);
  b = synack_sim_add_node(sim, &rec_ops, &r2);
  synack_sim_link(sim, a, b, NULL, NULL);
  synack_sim_run_until(sim, 100);
  CHECK_EQ_U(synack_sim_now(sim), 100);
  CHECK(s.timer_calls >= 1 && s.timer_calls <= 100);
  synack_sim_free(sim);
  free(r2.rx);
  free(s.rec.rx);
}

/* ---- the switch ---- */

static size_t count_id(const recorder_t *r, uint32_t id) {
  size_t n = 0;
  for (size_t i = 0; i < r->n; i++) n += r->rx[i].id == id;
  return n;
}

static void test_switch_learning(void) {
  synack_sim_t *sim = synack_sim_new(1);
  recorder_t ra = {0}, rb = {0}, rc = {0};
  int sw = synack_sim_add_switch(sim);
  int a = synack_sim_add_node(sim, &rec_ops, &ra);
  int b = synack_sim_add_node(sim, &rec_ops, &rb);
  int c = synack_sim_add_node(sim, &rec_ops, &rc);
  synack_sim_link_cfg_t d = {.delay_us = 10};
  /* dir 0 of each link goes host → switch */
  int la = synack_sim_link(sim, a, sw, &d, &d);
  int lb = synack_sim_link(sim, b, sw, &d, &d);
  int lc = synack_sim_link(sim, c, sw, &d, &d);
  REQUIRE(la >= 0 && lb >= 0 && lc >= 0);
  uint8_t f[64];
  /* 1. A → B, B unknown: flooded to B and C, not back to A. */
  synack_sim_send(sim, la, 0, f, make_frame(f, 60, MAC_B, MAC_A, 1));
  run_all(sim);
  CHECK_EQ_U(count_id(&rb, 1), 1);
  CHECK_EQ_U(count_id(&rc, 1), 1);
  CHECK_EQ_U(count_id(&ra, 1), 0);
  CHECK_EQ_U(rb.rx[0].t, 20);
  /* 2. B → A: A was learned, so only A gets it (and B is learned now). */
  synack_sim_send(sim, lb, 0, f, make_frame(f, 60, MAC_A, MAC_B, 2));
  run_all(sim);
  CHECK_EQ_U(count_id(&ra, 2), 1);
  CHECK_EQ_U(count_id(&rc, 2), 0);
  /* 3. A → B again: unicast to B's port only. */
  synack_sim_send(sim, la, 0, f, make_frame(f, 60, MAC_B, MAC_A, 3));
  run_all(sim);
  CHECK_EQ_U(count_id(&rb, 3), 1);
  CHECK_EQ_U(count_id(&rc, 3), 0);
  /* 4. Broadcast from C reaches A and B. */
  synack_sim_send(sim, lc, 0, f, make_frame(f, 60, MAC_BCAST, MAC_C, 4));
  run_all(sim);
  CHECK_EQ_U(count_id(&ra, 4), 1);
  CHECK_EQ_U(count_id(&rb, 4), 1);
  CHECK_EQ_U(count_id(&rc, 4), 0);
  /* 5. A frame for a station behind the port it came from is filtered. */
  synack_sim_send(sim, la, 0, f, make_frame(f, 60, MAC_A, MAC_C, 5));
  run_all(sim);
  CHECK_EQ_U(count_id(&ra, 5), 0);
  CHECK_EQ_U(count_id(&rb, 5) + count_id(&rc, 5), 0);
  /* The switch's output shows in the per-link stats: B's link carried 1, 3 and 4 to B. */
  CHECK_EQ_U(synack_sim_stats(sim, lb, 1)->delivered, 3);
  CHECK_EQ_U(synack_sim_stats(sim, lc, 1)->delivered, 1);
  synack_sim_free(sim);
  free(ra.rx);
  free(rb.rx);
  free(rc.rx);
}

static void test_api_errors(void) {
  synack_sim_t *sim = synack_sim_new(1);
  recorder_t r = {0};
  int a = synack_sim_add_node(sim, &rec_ops, &r);
  CHECK(synack_sim_link(sim, a, a, NULL, NULL) < 0);
  CHECK(synack_sim_link(sim, a, 5, NULL, NULL) < 0);
  CHECK(synack_sim_stats(sim, 0, 0) == NULL);
  CHECK(synack_sim_send(sim, 0, 0, (const uint8_t *)"x", 1) < 0);
  synack_sim_node_ops_t bad = {0};
  CHECK(synack_sim_add_node(sim, &bad, NULL) < 0);
  int b = synack_sim_add_node(sim, &rec_ops, &r);
  int l = synack_sim_link(sim, a, b, NULL, NULL);
  CHECK(l >= 0);
  CHECK(synack_sim_stats(sim, l, 2) == NULL);
  CHECK(synack_sim_add_rule(sim, l, -1, &(synack_sim_rule_t){.payload = -1}) < 0);
  CHECK(!synack_sim_step(sim));
  /* Frames still in flight at free time are released (LSan checks). */
  synack_sim_link_cfg_t c = {.delay_us = 1000};
  synack_sim_link_config(sim, l, 0, &c);
  send_id(sim, l, 0, 1, 100);
  send_id(sim, l, 0, 2, 100);
  synack_sim_free(sim);
  free(r.rx);
}

/* ---- stack nodes ---- */

/* Two stacks behind the learning switch: ARP resolves through the flood, the echo request and
 * reply then go unicast; the reply's RTT is the path's two round trips... one for ARP, one for
 * the echo itself (4 link hops each way at 100 us). A stack accepts exactly one link. */
static void test_stack_nodes_ping(void) {
  synack_sim_t *sim = synack_sim_new(3);
  synack_config_t ca, cb;
  synack_config_default(&ca);
  synack_config_default(&cb);
  memcpy(ca.mac.b, MAC_A, 6);
  memcpy(cb.mac.b, MAC_B, 6);
  ca.ip4 = synack_ip4(198, 18, 0, 1);
  cb.ip4 = synack_ip4(198, 18, 0, 2);
  synack_config_deterministic(&ca, 1);
  synack_config_deterministic(&cb, 2);
  synack_stack_t *sa = synack_stack_new(&ca, 0), *sb = synack_stack_new(&cb, 0);
  REQUIRE(sa && sb);
  int na = synack_sim_add_stack(sim, sa), nb = synack_sim_add_stack(sim, sb), sw = synack_sim_add_switch(sim);
  synack_sim_link_cfg_t d = {.delay_us = 100};
  CHECK(synack_sim_link(sim, na, sw, &d, &d) >= 0);
  CHECK(synack_sim_link(sim, nb, sw, &d, &d) >= 0);
  CHECK(synack_sim_link(sim, na, nb, NULL, NULL) < 0); /* one interface per stack */
  synack_ip_t dst = synack_ip4(198, 18, 0, 2);
  CHECK_EQ_I(synack_stack_ping(sa, synack_sim_now(sim), &dst, 7, 1, 32), 0);
  synack_sim_flush(sim);
  synack_sim_run_until(sim, SYNACK_MS(50));
  synack_event_t ev;
  bool got = false;
  while (synack_stack_next_event(sa, &ev))
    if (ev.events & SYNACK_EV_ICMP_ECHO_REPLY) {
      got = true;
      CHECK_EQ_U(ev.echo.seqno, 1);
      CHECK_EQ_U(ev.echo.ident, 7);
    }
  CHECK(got);
  synack_sim_free(sim);
  synack_stack_free(sa);
  synack_stack_free(sb);
}


TH_MAIN(TH_CASE(test_rule_drop_range), TH_CASE(test_rule_drop_first_synack), TH_CASE(test_rule_payload_and_custom),
        TH_CASE(test_rule_delay_and_custom_match), TH_CASE(test_random_loss_rate), TH_CASE(test_duplication),
        TH_CASE(test_reorder), TH_CASE(test_constant_delay), TH_CASE(test_jitter),
        TH_CASE(test_bandwidth_serialization), TH_CASE(test_corruption), TH_CASE(test_mtu),
        TH_CASE(test_same_seed_same_run), TH_CASE(test_callbacks_in_order), TH_CASE(test_node_timers_and_output),
        TH_CASE(test_switch_learning), TH_CASE(test_api_errors), TH_CASE(test_stack_nodes_ping))
