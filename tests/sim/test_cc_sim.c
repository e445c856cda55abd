/* Congestion control on the simulator:
 *   - the bottleneck's CE marking (sim_link.c): which frames get marked, checksums kept;
 *   - ECN end to end: a queue that marks instead of dropping, the sender backs off without
 *     a single retransmission;
 *   - CUBIC against NewReno after one loss on a long-RTT path (200 ms): CUBIC gets back to the
 *     window it had at the loss much sooner (RFC 9438 §1: K = cbrt(W_max (1-beta) / C) seconds
 *     instead of W_max/2 round trips).
 *   - HyStart++ (RFC 9406): fewer drops at the exit from slow start into a one- and a two-BDP
 *     queue than standard slow start.
 * The cwnd of the sender is sampled every 10 ms of virtual time through synack_tcp_info. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "tcp_cc.h"
#include "tcpfix.h"
#include "transfer.h"

/* ---------------------------------------------------------------- CE marking on a link */

typedef struct {
  uint8_t tos[16];
  bool csum_ok[16];
  int n;
} sink_t;

static void sink_input(void *ctx, synack_time_t now, const uint8_t *f, size_t len) {
  (void)now;
  sink_t *s = ctx;
  if (s->n >= 16 || len < 14) return;
  uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
  if (type == 0x0800) {
    synack_ip4_repr_t ip;
    s->csum_ok[s->n] = synack_ip4_parse(f + 14, len - 14, 0, &ip) == SYNACK_DROP_NONE;
    s->tos[s->n] = ip.tos;
  } else {
    synack_ip6_repr_t ip;
    s->csum_ok[s->n] = synack_ip6_parse(f + 14, len - 14, &ip) == SYNACK_DROP_NONE;
    s->tos[s->n] = ip.traffic_class;
  }
  s->n++;
}

static size_t frame(uint8_t *buf, bool v6, uint8_t tos) {
  memset(buf, 0, 1500);
  buf[0] = 0x02; buf[5] = 2; buf[6] = 0x02; buf[11] = 1;
  buf[12] = v6 ? 0x86 : 0x08;
  buf[13] = v6 ? 0xdd : 0x00;
  if (v6) {
    synack_ip6_repr_t ip;
    memset(&ip, 0, sizeof ip);
    synack_ip_parse("fd00::1", &ip.src);
    synack_ip_parse("fd00::2", &ip.dst);
    ip.traffic_class = tos;
    ip.hop_limit = 64;
    ip.proto = SYNACK_IPPROTO_UDP;
    synack_ip6_emit(&ip, 1500 - 14 - 40, buf + 14, 40);
  } else {
    synack_ip4_repr_t ip;
    memset(&ip, 0, sizeof ip);
    ip.src = synack_ip4(10, 0, 0, 1);
    ip.dst = synack_ip4(10, 0, 0, 2);
    ip.tos = tos;
    ip.ttl = 64;
    ip.proto = SYNACK_IPPROTO_UDP;
    synack_ip4_emit(&ip, 1500 - 14 - 20, buf + 14, 20);
  }
  return 1500;
}

static void link_marks_ce(void) {
  synack_sim_t *sim = synack_sim_new(1);
  REQUIRE(sim);
  static const synack_sim_node_ops_t ops = {.input = sink_input};
  sink_t a = {0}, b = {0};
  int na = synack_sim_add_node(sim, &ops, &a), nb = synack_sim_add_node(sim, &ops, &b);
  /* 1 Mbit/s: a 1500-byte frame takes 12 ms; frames sent together queue up. */
  synack_sim_link_cfg_t c = {.rate_bps = 1000000, .queue_bytes = 100000, .ecn_mark_bytes = 3000};
  int l = synack_sim_link(sim, na, nb, &c, NULL);
  REQUIRE(l >= 0);
  const struct { bool v6; uint8_t tos, want; } fr[] = {
    { false, 0x02, 0x02 }, /* queue empty */
    { false, 0x02, 0x02 }, /* 1500 bytes queued: below the threshold */
    { false, 0x02, 0x03 }, /* 3000 bytes queued: ECT(0) -> CE */
    { false, 0x00, 0x00 }, /* not ECN-capable: left alone (and queued) */
    { false, 0xb9, 0xbb }, /* ECT(1) with DSCP 46 -> CE, DSCP kept */
    { false, 0x03, 0x03 }, /* already CE */
    { true, 0x02, 0x03 },  /* IPv6 traffic class */
  };
  uint8_t buf[1500];
  for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++)
    CHECK_EQ_I(synack_sim_send(sim, l, 0, buf, frame(buf, fr[i].v6, fr[i].tos)), 0);
  synack_sim_run_until(sim, SYNACK_SEC(1));
  REQUIRE(b.n == (int)(sizeof fr / sizeof fr[0]));
  for (int i = 0; i < b.n; i++) {
    CHECK_EQ_U(b.tos[i], fr[i].want);
    CHECK(b.csum_ok[i]);
  }
  const synack_sim_dir_stats_t *ds = synack_sim_stats(sim, l, 0);
  CHECK_EQ_U(ds->ce_marked, 3);
  CHECK_EQ_U(ds->dropped_queue, 0);
  /* Marking off: the same burst arrives unmarked. */
  c.ecn_mark_bytes = 0;
  CHECK_EQ_I(synack_sim_link_config(sim, l, 0, &c), 0);
  b.n = 0;
  for (int i = 0; i < 4; i++) synack_sim_send(sim, l, 0, buf, frame(buf, false, 0x02));
  synack_sim_run_until(sim, SYNACK_SEC(2));
  CHECK_EQ_I(b.n, 4);
  for (int i = 0; i < b.n; i++) CHECK_EQ_U(b.tos[i], 0x02);
  CHECK_EQ_U(ds->ce_marked, 3);
  synack_sim_free(sim);
}

/* ---------------------------------------------------------------- bulk flow with sampling */

typedef struct {
  fx_pair_t *p;
  int ls, cs, ss;
  synack_time_t end;
  uint8_t buf[65536];
  /* samples (every 10 ms): cwnd and ssthresh in segments */
  uint32_t n;
  uint32_t cwnd[4096], ssthresh[4096];
  uint64_t received;
} flow_t;

static void tick(void *user, synack_sim_t *sim, synack_time_t now) {
  flow_t *f = user;
  if (f->ss < 0) {
    synack_endpoint_t who;
    f->ss = synack_accept(f->p->b, f->ls, &who);
  }
  while (synack_send(f->p->a, now, f->cs, f->buf, sizeof f->buf, 0) > 0) {}
  if (f->ss >= 0) {
    int64_t r;
    while ((r = synack_recv(f->p->b, now, f->ss, f->buf, sizeof f->buf, 0)) > 0) f->received += (uint64_t)r;
  }
  synack_tcp_info_t ti;
  if (synack_tcp_info(f->p->a, f->cs, &ti) == 0 && f->n < 4096) {
    f->cwnd[f->n] = ti.snd_cwnd;
    f->ssthresh[f->n] = ti.snd_ssthresh;
    f->n++;
  }
  if (now + SYNACK_MS(10) <= f->end) synack_sim_at(sim, now + SYNACK_MS(10), tick, f);
}

static synack_cc_algo_t g_algo;
static bool g_ecn;
static void pair_hook(synack_config_t *c, int which) {
  (void)which;
  c->tcp_cc = g_algo;
  c->tcp_ecn = g_ecn ? SYNACK_ECN_MODE_ON : SYNACK_ECN_MODE_OFF;
  c->tcp_sndbuf = 2u << 20;
  c->tcp_rcvbuf = 2u << 20;
}

/* Streams from a to b for `dur` and samples the sender. */
static flow_t *run_flow(synack_cc_algo_t algo, bool ecn, const synack_sim_link_cfg_t *ab,
                        const synack_sim_link_cfg_t *ba, const synack_sim_rule_t *rule, synack_time_t dur) {
  flow_t *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  g_algo = algo;
  g_ecn = ecn;
  f->p = fx_pair_new(5, ab, ba, pair_hook);
  if (!f->p) { free(f); return NULL; }
  if (rule) synack_sim_add_rule(f->p->sim, f->p->link, 0, rule);
  f->ls = synack_socket(f->p->b, SYNACK_AF_INET);
  synack_endpoint_t ep = {.port = 80};
  synack_bind(f->p->b, f->ls, &ep);
  synack_listen(f->p->b, f->ls, 4);
  f->cs = synack_socket(f->p->a, SYNACK_AF_INET);
  f->ss = -1;
  synack_endpoint_t rem = {.ip = f->p->ipb, .port = 80};
  synack_connect(f->p->a, 0, f->cs, &rem);
  synack_sim_flush(f->p->sim);
  f->end = dur;
  synack_sim_at(f->p->sim, SYNACK_MS(10), tick, f);
  synack_sim_run_until(f->p->sim, dur);
  return f;
}

static void flow_free(flow_t *f) {
  if (!f) return;
  fx_pair_free(f->p);
  free(f);
}

/* ---------------------------------------------------------------- ECN end to end */

static void ecn_marking_instead_of_loss(void) {
  /* 10 Mbit/s, 20 ms RTT, a 100 kB queue that marks from 30 kB: with ECN the sender never
   * fills the queue, so nothing is dropped and nothing retransmitted. */
  synack_sim_link_cfg_t ab = {.rate_bps = 10000000, .delay_us = SYNACK_MS(10), .queue_bytes = 100000,
                              .ecn_mark_bytes = 30000};
  synack_sim_link_cfg_t ba = {.delay_us = SYNACK_MS(10)};
  flow_t *f = run_flow(SYNACK_CC_CUBIC, true, &ab, &ba, NULL, SYNACK_SEC(5));
  REQUIRE(f);
  const synack_sim_dir_stats_t *ds = synack_sim_stats(f->p->sim, f->p->link, 0);
  const uint64_t *ev = synack_stack_counters(f->p->a)->events;
  synack_tcp_info_t ti;
  REQUIRE(synack_tcp_info(f->p->a, f->cs, &ti) == 0);
  printf("ecn: ce_marked %" PRIu64 ", reductions %" PRIu64 ", queue drops %" PRIu64 ", retrans %" PRIu64
         ", received %" PRIu64 " bytes (%.2f Mbit/s)\n",
         ds->ce_marked, ev[SYNACK_CTR_TCP_ECN_REDUCTIONS], ds->dropped_queue, ev[SYNACK_CTR_TCP_RETRANS_SEGS],
         f->received, (double)f->received * 8 / 4.9 / 1e6);
  CHECK(ti.options & SYNACK_TCPI_OPT_ECN);
  CHECK(ds->ce_marked > 0);
  CHECK(ev[SYNACK_CTR_TCP_ECN_REDUCTIONS] > 0);
  CHECK_EQ_U(synack_stack_counters(f->p->b)->events[SYNACK_CTR_TCP_ECN_CE_IN], ds->ce_marked);
  CHECK_EQ_U(ds->dropped_queue, 0);
  CHECK_EQ_U(ev[SYNACK_CTR_TCP_RETRANS_SEGS], 0);
  /* The link stays busy: at least 80 % of 10 Mbit/s over the ~4.9 s after the handshake. */
  CHECK(f->received * 8 >= 8000000ull * 49 / 10);
  flow_free(f);
  /* Without ECN the same path overflows the queue and loses segments. */
  f = run_flow(SYNACK_CC_CUBIC, false, &ab, &ba, NULL, SYNACK_SEC(5));
  REQUIRE(f);
  ds = synack_sim_stats(f->p->sim, f->p->link, 0);
  CHECK_EQ_U(ds->ce_marked, 0);
  CHECK(ds->dropped_queue > 0);
  CHECK(synack_stack_counters(f->p->a)->events[SYNACK_CTR_TCP_RETRANS_SEGS] > 0);
  flow_free(f);
}

/* ECN with losses and reordering as well: the bytes still arrive intact (SHA-256), both
 * algorithms. */
static void ecn_hook(synack_config_t *cfg, int which, void *user) {
  (void)which;
  cfg->tcp_ecn = SYNACK_ECN_MODE_ON;
  cfg->tcp_cc = *(const synack_cc_algo_t *)user;
}

static void ecn_transfer_integrity(void) {
  const synack_cc_algo_t algos[2] = {SYNACK_CC_CUBIC, SYNACK_CC_NEWRENO};
  for (int k = 0; k < 2; k++) {
    ts_xfer_cfg_t x;
    memset(&x, 0, sizeof x);
    x.bytes = 2000000;
    x.seed = 11;
    x.ab = (synack_sim_link_cfg_t){.rate_bps = 20000000, .delay_us = SYNACK_MS(15), .queue_bytes = 80000,
                                   .ecn_mark_bytes = 20000, .loss = 0.005, .reorder = 0.01,
                                   .reorder_delay_us = SYNACK_MS(1)};
    x.ba = (synack_sim_link_cfg_t){.rate_bps = 20000000, .delay_us = SYNACK_MS(15), .loss = 0.005};
    x.hook = ecn_hook;
    x.user = (void *)&algos[k];
    ts_xfer_result_t r;
    REQUIRE(ts_xfer_run(&x, &r) == 0);
    printf("ecn %s: %.2f Mbit/s, %" PRIu64 " CE marks, %" PRIu64 " lost, %" PRIu64 " retransmitted\n",
           k ? "newreno" : "cubic", r.goodput_mbps, r.link_ab.ce_marked, r.link_ab.lost, r.retrans_segs);
    CHECK(r.completed);
    CHECK(r.sha_equal);
    CHECK(r.data_ok);
    CHECK(r.link_ab.ce_marked > 0);
  }
}

/* ---------------------------------------------------------------- CUBIC vs NewReno */

typedef struct {
  uint32_t red;       /* sample index of the reduction (first sample with a finite ssthresh) */
  uint32_t ssthresh;  /* ssthresh set by the reduction (segments) */
  uint32_t after;     /* cwnd right after the reduction */
} reduction_t;

static reduction_t find_reduction(const flow_t *f) {
  reduction_t r = {0, 0, 0};
  uint32_t i = 0;
  while (i < f->n && f->ssthresh[i] == SYNACK_INFINITE_SSTHRESH) i++;
  if (i < f->n) {
    r.red = i;
    r.ssthresh = f->ssthresh[i];
    r.after = f->cwnd[i];
  }
  return r;
}

/* Milliseconds from the reduction until cwnd >= w, or -1. */
static int32_t regain_ms(const flow_t *f, const reduction_t *r, uint32_t w) {
  for (uint32_t i = r->red; i < f->n; i++)
    if (f->cwnd[i] >= w) return (int32_t)((i - r->red) * 10);
  return -1;
}

static void cubic_regains_faster_than_newreno(void) {
  /* 200 ms RTT, no bandwidth limit; the 100th data segment is dropped once, in slow start
   * (SACK recovery repairs it; no timeout). */
  synack_sim_link_cfg_t ab = {.delay_us = SYNACK_MS(100)};
  synack_sim_link_cfg_t ba = {.delay_us = SYNACK_MS(100)};
  synack_sim_rule_t drop = {.tcp_only = true, .payload = 1, .nth = 100, .count = 1, .action = SYNACK_SIM_DROP};
  flow_t *cu = run_flow(SYNACK_CC_CUBIC, false, &ab, &ba, &drop, SYNACK_SEC(12));
  flow_t *nr = run_flow(SYNACK_CC_NEWRENO, false, &ab, &ba, &drop, SYNACK_SEC(12));
  REQUIRE(cu && nr);
  reduction_t rc = find_reduction(cu), rn = find_reduction(nr);
  REQUIRE(rc.ssthresh > 0 && rn.ssthresh > 0);
  /* The window at the loss (the flight when the loss was detected), from each reduction:
   * NewReno halves it, CUBIC keeps 0.7 of it. The two runs are identical up to the loss. */
  uint32_t w_nr = 2 * rn.ssthresh, w_cu = (rc.ssthresh * 10 + 6) / 7;
  CHECK(w_nr >= 60);
  CHECK(w_cu + 1 >= w_nr && w_cu <= w_nr + 1);
  CHECK_EQ_U(rc.red, rn.red);
  /* CUBIC's own W_max (the cwnd when the loss was detected; the flight may exceed it by the two
   * limited-transmit segments) and K for the stage that followed. */
  synack_tcb_t *ctcb = cu->p->a->tcp->socks[cu->cs];
  synack_cc_cubic_info_t ci;
  synack_cc_cubic_info(ctcb, &ci);
  uint32_t w = ci.w_max / ctcb->snd_mss;
  CHECK(w + 3 >= w_cu && w <= w_cu);
  /* The stage began at cwnd = ssthresh = 0.7 of the flight (recovery exit), so K is exact. */
  CHECK_EQ_U(ci.k_ms, synack_cc_cubic_k_ms(ci.w_max - ctcb->ssthresh_bytes, ctcb->snd_mss));
  int32_t t_cu = regain_ms(cu, &rc, w), t_nr = regain_ms(nr, &rn, w);
  double k_s = ci.k_ms / 1000.0;
  uint32_t cu_8s = cu->n > rc.red + 800 ? cu->cwnd[rc.red + 800] : 0;
  uint32_t nr_8s = nr->n > rn.red + 800 ? nr->cwnd[rn.red + 800] : 0;
  printf("loss at a window of %u segments (200 ms RTT); after it: cubic %u, newreno %u segments\n", w, rc.after,
         rn.after);
  printf("back at %u segments: cubic after %.2f s (K = %.2f s), newreno %s%.2f s; 8 s after the loss: cubic %u, "
         "newreno %u segments\n", w, t_cu / 1000.0, k_s, t_nr < 0 ? "not within the run, > " : "after ",
         (t_nr < 0 ? (double)(nr->n - rn.red) * 10 : t_nr) / 1000.0, cu_8s, nr_8s);
  CHECK_EQ_U(synack_stack_counters(cu->p->a)->events[SYNACK_CTR_TCP_RTO_EXPIRED], 0);
  CHECK_EQ_U(synack_stack_counters(nr->p->a)->events[SYNACK_CTR_TCP_RTO_EXPIRED], 0);
  CHECK(rc.after > rn.after);
  /* CUBIC is back at W_max about K seconds after the reduction (it aims one RTT ahead). */
  REQUIRE(t_cu >= 0);
  CHECK(t_cu >= (int32_t)(k_s * 1000) - 700 && t_cu <= (int32_t)(k_s * 1000) + 500);
  /* NewReno adds one segment per RTT: W/2 RTTs, more than twice as long. */
  CHECK(t_nr < 0 || t_nr > 2 * t_cu);
  CHECK(cu_8s > nr_8s + 20);
  flow_free(cu);
  flow_free(nr);
}

/* ---------------------------------------------------------------- HyStart++ on a shallow buffer */

/* RFC 9406's purpose: leave slow start before the queue overflows. A 100 Mbit/s path with a
 * 20 ms base RTT (BDP 250 kB), buffers far above BDP + queue, the first second of a bulk
 * transfer (slow start, its exit, the recovery from it). Standard slow start doubles into the
 * full queue; with HyStart++ the rising minimum RTT of a round (4 ms = 50 kB of standing queue)
 * moves the sender to CSS, which overshoots by a quarter of a window per round instead of a
 * whole one. The minimum RTT only rises once a standing queue survives a whole round, i.e. once
 * cwnd exceeds the BDP, so the gain grows with the queue: measured (drops at the bottleneck,
 * off -> on) with a one-BDP queue NewReno 331 -> 278, CUBIC 467 -> 375; with two BDPs NewReno
 * 496 -> 196, CUBIC 699 -> 201. Below one BDP the queue overflows in the round in which cwnd
 * passes the BDP, before any round could show a higher minimum: no difference (125 kB: 240
 * drops either way). */
typedef struct {
  synack_cc_algo_t algo;
  bool hystart;
} hs_case_t;

static void hs_hook(synack_config_t *cfg, int which, void *user) {
  (void)which;
  const hs_case_t *c = user;
  cfg->tcp_cc = c->algo;
  cfg->tcp_hystart = c->hystart;
  /* Buffers far above BDP + queue, so that the window, not the buffer, meets the queue. */
  cfg->tcp_sndbuf = cfg->tcp_rcvbuf = 4u << 20;
  if (cfg->tcp_max_buf < (4u << 20)) cfg->tcp_max_buf = 4u << 20;
}

static ts_xfer_result_t hs_run(synack_cc_algo_t algo, bool hystart, uint32_t queue_bytes) {
  hs_case_t c = {algo, hystart};
  ts_xfer_cfg_t x;
  memset(&x, 0, sizeof x);
  x.duration_us = SYNACK_SEC(1);
  x.seed = 9;
  for (int d = 0; d < 2; d++) {
    synack_sim_link_cfg_t *l = d ? &x.ba : &x.ab;
    l->rate_bps = 100000000u;
    l->delay_us = SYNACK_MS(10);
    l->queue_bytes = queue_bytes;
  }
  x.hook = hs_hook;
  x.user = &c;
  ts_xfer_result_t r;
  memset(&r, 0, sizeof r);
  if (ts_xfer_run(&x, &r) < 0) r.completed = false;
  return r;
}

static void hystart_fewer_losses_on_shallow_buffer(void) {
  static const uint32_t queues[] = {250000, 500000}; /* one and two BDPs */
  for (int q = 0; q < 2; q++) {
    for (int a = 0; a < 2; a++) {
      synack_cc_algo_t algo = a ? SYNACK_CC_CUBIC : SYNACK_CC_NEWRENO;
      const char *name = a ? "cubic" : "newreno";
      ts_xfer_result_t off = hs_run(algo, false, queues[q]), on = hs_run(algo, true, queues[q]);
      printf("%-7s %u kB queue, HyStart++ off: %4" PRIu64 " queue drops, %4" PRIu64 " retransmitted, %.1f Mbit/s\n"
             "%-7s %u kB queue, HyStart++ on:  %4" PRIu64 " queue drops, %4" PRIu64 " retransmitted, %.1f Mbit/s\n",
             name, queues[q] / 1000, off.link_ab.dropped_queue, off.retrans_segs, off.goodput_mbps, name,
             queues[q] / 1000, on.link_ab.dropped_queue, on.retrans_segs, on.goodput_mbps);
      REQUIRE(off.completed && on.completed && off.data_ok && on.data_ok);
      CHECK(off.link_ab.dropped_queue > 0); /* the overshoot happens without HyStart++ */
      CHECK(on.link_ab.dropped_queue < off.link_ab.dropped_queue);
      CHECK(on.retrans_segs < off.retrans_segs);
      /* Two BDPs: at least half the drops are gone, and the goodput does not suffer. */
      if (q == 1) {
        CHECK(on.link_ab.dropped_queue * 2 < off.link_ab.dropped_queue);
        CHECK(on.goodput_mbps >= off.goodput_mbps);
      }
    }
  }
}

TH_MAIN(TH_CASE(link_marks_ce), TH_CASE(ecn_marking_instead_of_loss), TH_CASE(ecn_transfer_integrity), TH_CASE(cubic_regains_faster_than_newreno),
        TH_CASE(hystart_fewer_losses_on_shallow_buffer))
