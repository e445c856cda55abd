/* Congestion control (tcp_cc.c, tcp_cc_newreno.c, tcp_cc_cubic.c), driven directly on a TCB:
 * initial window, slow start with appropriate byte counting, congestion avoidance per RTT,
 * loss, RTO, idle restart, undo; CUBIC's K, W_cubic(t), Reno-friendly region, fast
 * convergence, timeout and undo; the integer cube root; the TCP_CONGESTION socket option;
 * HyStart++ (RFC 9406): exact cwnd sequences through slow start, CSS and its exits. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "tcp_cc.h"

#define MSS 1000u

typedef struct {
  synack_stack_t *st;
  synack_tcb_t *tcb;
  synack_time_t now;
} cc_fx_t;

static void cfg_for(synack_config_t *c, synack_cc_algo_t algo) {
  synack_config_default(c);
  c->link = SYNACK_LINK_IP;
  c->ip4 = synack_ip4(10, 0, 0, 1);
  c->tcp_cc = algo;
  synack_config_deterministic(c, 1);
}

/* An ESTABLISHED TCB with MSS 1000, SND.UNA = SND.MAX = 1000, cwnd = IW. */
static bool cc_open_cfg(cc_fx_t *f, const synack_config_t *c) {
  memset(f, 0, sizeof *f);
  f->st = synack_stack_new(c, 0);
  if (!f->st) return false;
  f->tcb = synack_tcb_new(f->st, SYNACK_AF_INET);
  if (!f->tcb) return false;
  synack_tcb_t *t = f->tcb;
  t->state = SYNACK_TCP_ESTABLISHED;
  t->snd_mss = MSS;
  t->snd_una = t->snd_nxt = t->snd_max = t->snd_buf_seq = seq_make(1000);
  synack_tcp_cc_init(f->st, t, 0);
  return true;
}

static bool cc_open(cc_fx_t *f, synack_cc_algo_t algo) {
  synack_config_t c;
  cfg_for(&c, algo);
  return cc_open_cfg(f, &c);
}

static void cc_close(cc_fx_t *f) {
  if (f->tcb) synack_tcb_free(f->st, f->tcb);
  if (f->st) synack_stack_free(f->st);
}

/* `bytes` more in flight. */
static void cc_send(cc_fx_t *f, uint32_t bytes) {
  f->tcb->snd_max = seq_add(f->tcb->snd_max, bytes);
  f->tcb->snd_nxt = f->tcb->snd_max;
}

/* A cumulative ACK of `bytes` outside recovery, at time now. */
static void cc_ack(cc_fx_t *f, uint32_t bytes) {
  synack_tcb_t *t = f->tcb;
  if (seq_gt(seq_add(t->snd_una, bytes), t->snd_max)) cc_send(f, bytes);
  t->snd_una = seq_add(t->snd_una, bytes);
  synack_tcp_cc_on_ack(f->st, t, bytes, 0, f->now);
}

/* One round trip in which the whole window is sent and acknowledged MSS by MSS. */
static void cc_round(cc_fx_t *f, synack_time_t rtt) {
  uint32_t w = f->tcb->cwnd_bytes;
  cc_send(f, w);
  for (uint32_t done = 0; done < w; done += MSS) cc_ack(f, w - done < MSS ? w - done : MSS);
  f->now += rtt;
}

/* ---------------------------------------------------------------- initial window */

static void initial_window(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  CHECK_EQ_U(t->cwnd_bytes, 10000);            /* RFC 6928: 10 * 1000 */
  CHECK_EQ_U(t->ssthresh_bytes, UINT32_MAX);
  t->snd_mss = 1460;
  CHECK_EQ_U(synack_cc_initial_window(f.st, t), 14600);
  t->snd_mss = 8960;                           /* jumbo: max(2*MSS, 14600) bounds it */
  CHECK_EQ_U(synack_cc_initial_window(f.st, t), 17920);
  t->snd_mss = 536;
  CHECK_EQ_U(synack_cc_initial_window(f.st, t), 5360);
  f.st->cfg.tcp_initial_cwnd_segs = 4;
  t->snd_mss = 1460;
  CHECK_EQ_U(synack_cc_initial_window(f.st, t), 5840);
  /* 0 selects RFC 3390: min(4*MSS, max(2*MSS, 4380)). */
  f.st->cfg.tcp_initial_cwnd_segs = 0;
  CHECK_EQ_U(synack_cc_initial_window(f.st, t), 4380);
  t->snd_mss = 536;
  CHECK_EQ_U(synack_cc_initial_window(f.st, t), 2144);
  t->snd_mss = 2500;
  CHECK_EQ_U(synack_cc_initial_window(f.st, t), 5000);
  /* RFC 5681 §3.1: a retransmitted SYN leaves one segment. */
  f.st->cfg.tcp_initial_cwnd_segs = 10;
  t->snd_mss = MSS;
  t->state = SYNACK_TCP_SYN_SENT;
  t->retransmits = 1;
  synack_tcp_cc_init(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, MSS);
  t->retransmits = 0;
  synack_tcp_cc_init(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 10000);
  cc_close(&f);
}

/* ---------------------------------------------------------------- NewReno */

static void slow_start_abc(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  cc_ack(&f, 1000);
  CHECK_EQ_U(t->cwnd_bytes, 11000);
  cc_ack(&f, 3000); /* a stretch ACK: RFC 3465 L = 2 segments */
  CHECK_EQ_U(t->cwnd_bytes, 13000);
  cc_ack(&f, 500);  /* byte counting: half a segment */
  CHECK_EQ_U(t->cwnd_bytes, 13500);
  cc_ack(&f, 0);
  CHECK_EQ_U(t->cwnd_bytes, 13500);
  /* A whole window acknowledged one MSS at a time doubles it. */
  uint32_t w = t->cwnd_bytes;
  for (int i = 0; i < 13; i++) cc_ack(&f, MSS);
  CHECK_EQ_U(t->cwnd_bytes, w + 13000);
  /* L = 1 */
  f.st->cfg.tcp_abc_limit = 1;
  w = t->cwnd_bytes;
  cc_ack(&f, 3000);
  CHECK_EQ_U(t->cwnd_bytes, w + 1000);
  /* Reaching ssthresh: the rest of the ACK counts for congestion avoidance. */
  f.st->cfg.tcp_abc_limit = 2;
  t->cwnd_bytes = 13500;
  t->ssthresh_bytes = 14000;
  cc_ack(&f, 2000);
  CHECK_EQ_U(t->cwnd_bytes, 14000);
  cc_ack(&f, 12000); /* 1500 + 12000 = 13500 < 14000: no growth yet */
  CHECK_EQ_U(t->cwnd_bytes, 14000);
  cc_ack(&f, 500);   /* 14000 acknowledged in congestion avoidance: + 1 MSS */
  CHECK_EQ_U(t->cwnd_bytes, 15000);
  cc_close(&f);
}

static void congestion_avoidance_per_rtt(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  t->cwnd_bytes = 20000;
  t->ssthresh_bytes = 10000;
  cc_send(&f, 20000);
  for (int i = 0; i < 19; i++) cc_ack(&f, MSS);
  CHECK_EQ_U(t->cwnd_bytes, 20000);
  cc_ack(&f, MSS); /* the 20th: a full window acknowledged */
  CHECK_EQ_U(t->cwnd_bytes, 21000);
  /* Then exactly one MSS per round trip, whatever the ACK size. */
  for (int r = 0; r < 10; r++) {
    uint32_t before = t->cwnd_bytes;
    cc_round(&f, SYNACK_MS(50));
    CHECK_EQ_U(t->cwnd_bytes, before + MSS);
  }
  CHECK_EQ_U(t->cwnd_bytes, 31000);
  uint32_t before = t->cwnd_bytes;
  cc_send(&f, before);
  cc_ack(&f, before); /* one stretch ACK of a whole window */
  CHECK_EQ_U(t->cwnd_bytes, before + MSS);
  CHECK_EQ_U(t->ssthresh_bytes, 10000);
  /* A stretch ACK of five small windows at once: five MSS, nothing left over. */
  t->cwnd_bytes = t->ssthresh_bytes = 2000;
  synack_tcp_cc_congestion(f.st, t, 0); /* resets the byte counter */
  t->cwnd_bytes = t->ssthresh_bytes = 2000;
  cc_ack(&f, 10500);
  CHECK_EQ_U(t->cwnd_bytes, 7000);
  cc_ack(&f, 6500); /* 500 left + 6500 = one window of 7000 */
  CHECK_EQ_U(t->cwnd_bytes, 8000);
  cc_close(&f);
}

static void newreno_loss(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  t->cwnd_bytes = 24000;
  cc_send(&f, 20000); /* FlightSize 20000, below cwnd */
  synack_tcp_cc_congestion(f.st, t, 0);
  CHECK_EQ_U(t->ssthresh_bytes, 10000); /* FlightSize / 2, not cwnd / 2 */
  CHECK_EQ_U(t->cwnd_bytes, 10000);
  /* NewReno recovery (no SACK) ends with 4000 in flight: min(ssthresh, FlightSize + MSS). */
  t->snd_una = seq_sub(t->snd_max, 4000);
  synack_tcp_cc_recovery_end(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 5000);
  t->snd_una = seq_sub(t->snd_max, 20000);
  synack_tcp_cc_recovery_end(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 10000);
  /* After SACK recovery (RFC 6675) cwnd is simply ssthresh. */
  t->flags |= TF_SACK_OK;
  t->snd_una = seq_sub(t->snd_max, 4000);
  synack_tcp_cc_recovery_end(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 10000);
  t->flags &= ~(uint64_t)TF_SACK_OK;
  /* A small flight: ssthresh is at least 2 MSS. */
  t->snd_una = seq_sub(t->snd_max, 3000);
  synack_tcp_cc_congestion(f.st, t, 0);
  CHECK_EQ_U(t->ssthresh_bytes, 2000);
  CHECK_EQ_U(t->cwnd_bytes, 2000);
  /* Congestion avoidance from there: one MSS after 2000 bytes. */
  cc_ack(&f, 1000);
  CHECK_EQ_U(t->cwnd_bytes, 2000);
  cc_ack(&f, 1000);
  CHECK_EQ_U(t->cwnd_bytes, 3000);
  cc_close(&f);
}

static void newreno_rto(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  t->cwnd_bytes = 30000;
  cc_send(&f, 30000);
  t->retransmits = 1;
  synack_tcp_cc_on_rto(f.st, t, 0);
  CHECK_EQ_U(t->ssthresh_bytes, 15000);
  CHECK_EQ_U(t->cwnd_bytes, MSS); /* RFC 5681 §3.1: the loss window */
  /* A second timeout of the same data keeps ssthresh (eq. 4 applies to the first only). */
  t->retransmits = 2;
  t->snd_una = seq_sub(t->snd_max, 6000);
  synack_tcp_cc_on_rto(f.st, t, 0);
  CHECK_EQ_U(t->ssthresh_bytes, 15000);
  CHECK_EQ_U(t->cwnd_bytes, MSS);
  /* RFC 3465 §2.3: L = 1 until the data outstanding at the timeout is acknowledged. */
  cc_ack(&f, 3000);
  CHECK_EQ_U(t->cwnd_bytes, 2000);
  cc_ack(&f, 3000); /* SND.UNA reaches the RTO's SND.MAX: still L = 1 */
  CHECK_EQ_U(t->cwnd_bytes, 3000);
  cc_ack(&f, 3000); /* past it: L = 2 again */
  CHECK_EQ_U(t->cwnd_bytes, 5000);
  cc_close(&f);
}

static void idle_restart(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  t->cwnd_bytes = 50000;
  t->ssthresh_bytes = 40000;
  t->bytes_sent = 5000;
  t->last_send_us = SYNACK_SEC(10);
  t->sb.len = 100; /* data waiting at SND.NXT, nothing in flight */
  CHECK_EQ_U(synack_tcp_rto_current(f.st, t), SYNACK_SEC(1));
  synack_tcp_cc_idle_check(f.st, t, SYNACK_SEC(11)); /* idle exactly one RTO: not more */
  CHECK_EQ_U(t->cwnd_bytes, 50000);
  t->snd_max = seq_add(t->snd_una, 1000); /* something in flight: the ACK clock runs */
  synack_tcp_cc_idle_check(f.st, t, SYNACK_SEC(20));
  CHECK_EQ_U(t->cwnd_bytes, 50000);
  t->snd_max = t->snd_una;
  f.st->cfg.tcp_idle_restart = false;
  synack_tcp_cc_idle_check(f.st, t, SYNACK_SEC(20));
  CHECK_EQ_U(t->cwnd_bytes, 50000);
  f.st->cfg.tcp_idle_restart = true;
  synack_tcp_cc_idle_check(f.st, t, SYNACK_SEC(11) + 1);
  CHECK_EQ_U(t->cwnd_bytes, 10000); /* RFC 5681 §4.1: RW = min(IW, cwnd) */
  CHECK_EQ_U(t->ssthresh_bytes, 40000);
  CHECK_EQ_U(t->last_send_us, SYNACK_SEC(11) + 1);
  /* A window already below IW stays. */
  t->cwnd_bytes = 4000;
  synack_tcp_cc_idle_check(f.st, t, SYNACK_SEC(30));
  CHECK_EQ_U(t->cwnd_bytes, 4000);
  t->sb.len = 0;
  cc_close(&f);
  /* CUBIC restarts the same way. */
  REQUIRE(cc_open(&f, SYNACK_CC_CUBIC));
  f.tcb->cwnd_bytes = 50000;
  f.tcb->bytes_sent = 1;
  f.tcb->sb.len = 10;
  synack_tcp_cc_idle_check(f.st, f.tcb, SYNACK_SEC(2));
  CHECK_EQ_U(f.tcb->cwnd_bytes, 10000);
  f.tcb->sb.len = 0;
  cc_close(&f);
}

static void newreno_undo(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  t->cwnd_bytes = 20000;
  cc_send(&f, 20000);
  synack_tcp_cc_congestion(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 10000);
  synack_tcp_cc_undo(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 20000);
  CHECK_EQ_U(t->ssthresh_bytes, UINT32_MAX);
  t->cwnd_bytes = 12345;
  synack_tcp_cc_undo(f.st, t, 0); /* nothing left to undo */
  CHECK_EQ_U(t->cwnd_bytes, 12345);
  /* An RTO can be undone too (F-RTO). */
  t->retransmits = 1;
  t->cwnd_bytes = 20000;
  synack_tcp_cc_on_rto(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, MSS);
  synack_tcp_cc_undo(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 20000);
  CHECK_EQ_U(t->ssthresh_bytes, UINT32_MAX);
  cc_close(&f);
}

/* ---------------------------------------------------------------- HyStart++ (RFC 9406) */

/* One ACK of one MSS carrying RTT sample rtt_us (0 = none); then, as a sender with data would,
 * fill the window again (SND.MAX = SND.UNA + cwnd). */
static void hs_ack(cc_fx_t *f, uint32_t rtt_us) {
  synack_tcb_t *t = f->tcb;
  t->snd_una = seq_add(t->snd_una, MSS);
  synack_tcp_cc_on_ack(f->st, t, MSS, rtt_us, f->now);
  t->snd_max = t->snd_nxt = seq_add(t->snd_una, t->cwnd_bytes);
}

static uint8_t hs_phase(cc_fx_t *f) { return synack_cc_common(f->tcb)->hs.phase; }

/* ACKs number from..to (1-based, counted from the connection's first) with RTT rtt_us. */
static void hs_acks(cc_fx_t *f, int from, int to, uint32_t rtt_us) {
  for (int i = from; i <= to; i++) hs_ack(f, rtt_us);
}

/* The first round: ten ACKs at 10 ms. It ends with the tenth (SND.UNA reaches the 11000 that
 * was SND.MAX at the first ACK); the next round ends at 29000, SND.MAX before ACK 10's data. */
static void hs_first_round(cc_fx_t *f) {
  f->tcb->snd_max = f->tcb->snd_nxt = seq_add(f->tcb->snd_una, f->tcb->cwnd_bytes);
  hs_acks(f, 1, 10, 10000);
}

static void hystart_rtt_thresh(void) {
  /* RFC 9406 §4.2: clamp(lastRoundMinRTT / 8, 4 ms, 16 ms). */
  CHECK_EQ_U(synack_hystart_rtt_thresh(1000), 4000);
  CHECK_EQ_U(synack_hystart_rtt_thresh(10000), 4000);
  CHECK_EQ_U(synack_hystart_rtt_thresh(32000), 4000);
  CHECK_EQ_U(synack_hystart_rtt_thresh(80000), 10000);
  CHECK_EQ_U(synack_hystart_rtt_thresh(128000), 16000);
  CHECK_EQ_U(synack_hystart_rtt_thresh(500000), 16000);
  /* The presets: on for the default and linux, off for rfc and freebsd. */
  synack_config_t c;
  synack_config_default(&c);
  CHECK(c.tcp_hystart);
  CHECK_EQ_I(synack_config_preset(&c, "rfc"), 0);
  CHECK(!c.tcp_hystart);
  CHECK_EQ_I(synack_config_preset(&c, "linux"), 0);
  CHECK(c.tcp_hystart);
  CHECK_EQ_I(synack_config_preset(&c, "freebsd"), 0);
  CHECK(!c.tcp_hystart);
}

/* The whole path: slow start, an RTT increase of 5 ms (>= the 4 ms threshold) exits to CSS at
 * the eighth sample of the round, CSS grows a quarter as fast for five rounds, then
 * ssthresh = cwnd and congestion avoidance. Exact cwnd after each landmark ACK. */
static void hystart_css_then_avoidance(synack_cc_algo_t algo) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, algo));
  synack_tcb_t *t = f.tcb;
  hs_first_round(&f);
  CHECK_EQ_U(t->cwnd_bytes, 20000); /* ten ACKs of standard slow start */
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_SS);
  CHECK_EQ_U(synack_cc_common(t)->hs.last_round_min_us, 10000);
  CHECK_EQ_U(seq_diff(synack_cc_common(t)->hs.window_end, seq_make(1000)), 28000);
  hs_acks(&f, 11, 17, 15000); /* seven samples: not enough to decide */
  CHECK_EQ_U(t->cwnd_bytes, 27000);
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_SS);
  hs_acks(&f, 18, 18, 15000); /* the eighth: 15 ms >= 10 ms + 4 ms */
  CHECK_EQ_U(t->cwnd_bytes, 28000); /* this ACK still grew by a whole segment */
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_CSS);
  CHECK_EQ_U(synack_cc_common(t)->hs.css_baseline_us, 15000);
  hs_acks(&f, 19, 19, 15000);
  CHECK_EQ_U(t->cwnd_bytes, 28250); /* CSS: MSS / CSS_GROWTH_DIVISOR */
  hs_acks(&f, 20, 28, 15000);       /* ACK 28 reaches 29000: CSS round 1 done */
  CHECK_EQ_U(t->cwnd_bytes, 30500);
  CHECK_EQ_U(synack_cc_common(t)->hs.css_rounds, 1);
  hs_acks(&f, 29, 58, 15000); /* round ends at 58250 (ACK 58) */
  CHECK_EQ_U(t->cwnd_bytes, 38000);
  CHECK_EQ_U(synack_cc_common(t)->hs.css_rounds, 2);
  hs_acks(&f, 59, 95, 15000); /* ... at 95750 */
  CHECK_EQ_U(t->cwnd_bytes, 47250);
  hs_acks(&f, 96, 141, 15000); /* ... at 142000 */
  CHECK_EQ_U(t->cwnd_bytes, 58750);
  CHECK_EQ_U(synack_cc_common(t)->hs.css_rounds, 4);
  hs_acks(&f, 142, 198, 15000); /* the fifth CSS round ends at 199500 */
  CHECK_EQ_U(t->cwnd_bytes, 73000);
  CHECK_EQ_U(t->ssthresh_bytes, UINT32_MAX);
  hs_acks(&f, 199, 199, 15000);
  CHECK_EQ_U(t->cwnd_bytes, 73250);
  CHECK_EQ_U(t->ssthresh_bytes, 73250); /* §4.2: CSS_ROUNDS done: ssthresh = cwnd */
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_DONE);
  if (algo == SYNACK_CC_NEWRENO) {
    hs_acks(&f, 200, 200, 15000); /* congestion avoidance: one MSS per window of bytes */
    CHECK_EQ_U(t->cwnd_bytes, 73250);
  }
  cc_close(&f);
}

static void hystart_css_newreno(void) { hystart_css_then_avoidance(SYNACK_CC_NEWRENO); }
static void hystart_css_cubic(void) { hystart_css_then_avoidance(SYNACK_CC_CUBIC); }

/* §4.2: in CSS, a round whose minimum RTT falls below the baseline resumes slow start. */
static void hystart_css_back_to_slow_start(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  hs_first_round(&f);
  hs_acks(&f, 11, 28, 15000); /* CSS from ACK 18, first CSS round ends with ACK 28 */
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_CSS);
  CHECK_EQ_U(t->cwnd_bytes, 30500);
  hs_acks(&f, 29, 35, 11000); /* 11 ms < 15 ms, but only seven samples */
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_CSS);
  CHECK_EQ_U(t->cwnd_bytes, 32250);
  hs_acks(&f, 36, 36, 11000); /* the eighth: back to slow start */
  CHECK_EQ_U(t->cwnd_bytes, 32500);
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_SS);
  CHECK_EQ_U(synack_cc_common(t)->hs.css_baseline_us, UINT32_MAX);
  hs_acks(&f, 37, 37, 11000);
  CHECK_EQ_U(t->cwnd_bytes, 33500); /* a whole segment again */
  CHECK_EQ_U(t->ssthresh_bytes, UINT32_MAX);
  cc_close(&f);
}

/* No decision on fewer than N_RTT_SAMPLE samples a round (an ACK without a sample, e.g. no
 * timestamps, counts for nothing), nor below the threshold; off when cfg.tcp_hystart is off. */
static void hystart_needs_samples_and_threshold(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  hs_first_round(&f);
  for (int i = 11; i <= 28; i++) hs_ack(&f, i % 3 == 0 ? 30000 : 0); /* six samples in the round */
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_SS);
  CHECK_EQ_U(t->cwnd_bytes, 38000);
  cc_close(&f);
  /* 13.999 ms after a 10 ms round: below 10 + 4 ms. */
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  t = f.tcb;
  hs_first_round(&f);
  hs_acks(&f, 11, 28, 13999);
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_SS);
  CHECK_EQ_U(t->cwnd_bytes, 38000);
  cc_close(&f);
  /* Disabled: the same RTTs that exit in hystart_css_then_avoidance change nothing. */
  synack_config_t c;
  cfg_for(&c, SYNACK_CC_NEWRENO);
  c.tcp_hystart = false;
  REQUIRE(cc_open_cfg(&f, &c));
  t = f.tcb;
  hs_first_round(&f);
  hs_acks(&f, 11, 28, 15000);
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_IDLE);
  CHECK_EQ_U(t->cwnd_bytes, 38000);
  cc_close(&f);
}

/* §4.3: a loss during CSS ends HyStart++; the slow start after a later timeout is standard. */
static void hystart_ends_at_first_reduction(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  hs_first_round(&f);
  hs_acks(&f, 11, 20, 15000);
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_CSS);
  CHECK_EQ_U(t->cwnd_bytes, 28500);
  synack_tcp_cc_congestion(f.st, t, f.now); /* ssthresh = FlightSize / 2 = 28500 / 2 */
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_DONE);
  CHECK_EQ_U(t->ssthresh_bytes, 14250);
  t->retransmits = 1;
  synack_tcp_cc_on_rto(f.st, t, f.now);
  CHECK_EQ_U(t->cwnd_bytes, MSS);
  t->ssthresh_bytes = UINT32_MAX;
  t->retransmits = 0;
  t->snd_max = t->snd_nxt = seq_add(t->snd_una, MSS);
  hs_acks(&f, 1, 30, 40000); /* any RTT: whole segments (L = 1 until rto_high, then 1 per ACK) */
  CHECK_EQ_U(t->cwnd_bytes, 31000);
  CHECK_EQ_U(hs_phase(&f), SYNACK_HS_DONE);
  cc_close(&f);
}

/* ---------------------------------------------------------------- integer cube root */

static void integer_cube_root(void) {
  CHECK_EQ_U(synack_cc_icbrt(0), 0);
  CHECK_EQ_U(synack_cc_icbrt(1), 1);
  CHECK_EQ_U(synack_cc_icbrt(7), 1);
  CHECK_EQ_U(synack_cc_icbrt(8), 2);
  CHECK_EQ_U(synack_cc_icbrt(26), 2);
  CHECK_EQ_U(synack_cc_icbrt(27), 3);
  CHECK_EQ_U(synack_cc_icbrt(75000000000ull), 4217); /* 4217^3 = 74991286313 */
  CHECK_EQ_U(synack_cc_icbrt(UINT64_MAX), 2642245);  /* the largest cube below 2^64 */
  CHECK_EQ_U(synack_cc_icbrt(18446724184312856125ull), 2642245);     /* 2642245^3 */
  CHECK_EQ_U(synack_cc_icbrt(18446724184312856124ull), 2642244);
  /* Every cube and its neighbours over a range, then a pseudo-random sample. */
  int bad = 0;
  for (uint64_t r = 1; r <= 2642245; r += (r < 5000 ? 1 : 997)) {
    uint64_t c = r * r * r;
    if (synack_cc_icbrt(c) != r || synack_cc_icbrt(c - 1) != r - 1) bad++;
    if (r < 2642245 && synack_cc_icbrt(c + 1) != r) bad++;
  }
  CHECK_EQ_I(bad, 0);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    uint64_t v = x >> (i % 60);
    uint64_t r = synack_cc_icbrt(v);
    /* r^3 <= v < (r+1)^3, checked without overflow */
    bool ok = r * r * r <= v && (r + 1 > 2642245 || (r + 1) * (r + 1) * (r + 1) > v);
    if (!ok) bad++;
    /* and against the floating-point cube root (tests may use floating point) */
    double fr = cbrt((double)v);
    if (fabs(fr - (double)r) > 1.0) bad++;
  }
  CHECK_EQ_I(bad, 0);
}

/* ---------------------------------------------------------------- CUBIC */

static void cubic_k_and_curve(void) {
  /* W_max = 100 segments, cwnd_epoch = 70: K = cbrt(30 / 0.4) s = 4.2172 s. */
  CHECK_EQ_U(synack_cc_cubic_k_ms(30000, MSS), 4217);
  CHECK_EQ_U(synack_cc_cubic_k_ms(30 * 1460, 1460), 4217); /* scale-free in the MSS */
  CHECK_EQ_U(synack_cc_cubic_k_ms(0, MSS), 0);
  CHECK_EQ_U(synack_cc_cubic_k_ms(400, MSS), 1000);        /* 0.4 segment: K = 1 s exactly */
  CHECK_EQ_U(synack_cc_cubic_k_ms(3200, MSS), 2000);       /* 3.2 segments: K = 2 s */
  /* W_cubic(t) = 0.4 (t - K)^3 + W_max, in bytes, against exact values. */
  const struct { uint64_t t; uint32_t w; } pts[] = {
    { 0, 70004 }, { 1000, 86683 }, { 2000, 95642 }, { 4217, 100000 },
    { 5217, 100400 }, { 6217, 103200 }, { 10000, 177360 },
  };
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    uint32_t w = synack_cc_cubic_window(100000, 4217, MSS, pts[i].t);
    CHECK_EQ_U(w, pts[i].w);
    double d = ((double)pts[i].t - 4217.0) / 1000.0;
    double exact = 100000.0 + 0.4 * d * d * d * MSS;
    CHECK(fabs((double)w - exact) < 1.5);
  }
  /* Far from K the term is held at |t - K| = 120 s; never negative. */
  CHECK_EQ_U(synack_cc_cubic_window(100000, 0, MSS, 10000000), 100000u + 691200000u);
  CHECK_EQ_U(synack_cc_cubic_window(10000, 200000, MSS, 0), 0);
}

static void cubic_reduction_and_fast_convergence(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_CUBIC));
  synack_tcb_t *t = f.tcb;
  synack_cc_cubic_info_t ci;
  t->cwnd_bytes = 100000;
  cc_send(&f, 100000);
  synack_tcp_cc_congestion(f.st, t, 0);
  synack_cc_cubic_info(t, &ci);
  CHECK_EQ_U(ci.w_max, 100000);          /* first event: W_max = cwnd */
  CHECK_EQ_U(ci.cwnd_prior, 100000);
  CHECK_EQ_U(t->ssthresh_bytes, 70000);  /* beta_cubic = 0.7 of the flight */
  CHECK_EQ_U(t->cwnd_bytes, 70000);
  /* Another loss before the window got back to W_max: fast convergence (§4.7). */
  t->cwnd_bytes = 80000;
  t->snd_una = seq_sub(t->snd_max, 80000);
  synack_tcp_cc_congestion(f.st, t, 0);
  synack_cc_cubic_info(t, &ci);
  CHECK_EQ_U(ci.w_max, 68000);           /* 80000 * (1 + 0.7) / 2 */
  CHECK_EQ_U(t->ssthresh_bytes, 56000);
  CHECK_EQ_U(t->cwnd_bytes, 56000);
  /* A loss above the previous maximum: W_max = cwnd. */
  t->cwnd_bytes = 120000;
  t->snd_una = seq_sub(t->snd_max, 120000);
  synack_tcp_cc_congestion(f.st, t, 0);
  synack_cc_cubic_info(t, &ci);
  CHECK_EQ_U(ci.w_max, 120000);
  CHECK_EQ_U(t->cwnd_bytes, 84000);
  /* Floor: 2 MSS. */
  t->snd_una = seq_sub(t->snd_max, 2000);
  synack_tcp_cc_congestion(f.st, t, 0);
  CHECK_EQ_U(t->ssthresh_bytes, 2000);
  CHECK_EQ_U(t->cwnd_bytes, 2000);
  cc_close(&f);
}

static void cubic_epoch_and_increase(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_CUBIC));
  synack_tcb_t *t = f.tcb;
  synack_cc_cubic_info_t ci;
  t->srtt_us = 100000; /* 100 ms */
  t->cwnd_bytes = 100000;
  cc_send(&f, 100000);
  synack_tcp_cc_congestion(f.st, t, 0);
  synack_tcp_cc_recovery_end(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 70000);
  f.now = SYNACK_SEC(1);
  /* The first ACK in congestion avoidance starts the epoch: K from W_max - cwnd. */
  cc_ack(&f, MSS);
  synack_cc_cubic_info(t, &ci);
  CHECK(ci.in_epoch);
  CHECK_EQ_U(ci.epoch_ms, 1000);
  CHECK_EQ_U(ci.k_ms, 4217);
  /* target = W_cubic(0 + RTT) = W_cubic(100 ms); cwnd += (target - cwnd) * 1000 / cwnd. */
  uint32_t target = synack_cc_cubic_window(100000, 4217, MSS, 100);
  CHECK_EQ_U(target, 72088);
  CHECK_EQ_U(t->cwnd_bytes, 70029); /* 70000 + (72088 - 70000) * 1000 / 70000 */
  /* Concave region: one RTT at a time, the window approaches W_max and flattens out. */
  uint32_t prev_growth = UINT32_MAX, w_at_k = 0;
  for (int r = 0; r < 42; r++) {
    uint32_t before = t->cwnd_bytes;
    cc_round(&f, SYNACK_MS(100));
    uint32_t g = t->cwnd_bytes - before;
    if (r > 2 && r < 38) CHECK(g <= prev_growth + 20); /* growth slows down towards K */
    prev_growth = g;
    CHECK(t->cwnd_bytes <= 100000 + 1000);
  }
  w_at_k = t->cwnd_bytes; /* 4.3 s after the epoch, K = 4.217 s */
  CHECK(w_at_k >= 99000 && w_at_k <= 100500);
  /* Convex region: beyond W_max the growth accelerates. */
  uint32_t g1 = 0, g2 = 0;
  for (int r = 0; r < 20; r++) {
    uint32_t before = t->cwnd_bytes;
    cc_round(&f, SYNACK_MS(100));
    if (r == 5) g1 = t->cwnd_bytes - before;
    if (r == 19) g2 = t->cwnd_bytes - before;
  }
  CHECK(t->cwnd_bytes > 100000);
  CHECK(g2 > 2 * g1);
  /* Beyond K the window follows the curve, W_cubic(t) <= cwnd <= W_cubic(t + RTT), or the
   * Reno-friendly estimate once that is larger (here after ~57 RTTs: 30 segments at 9/17). */
  synack_cc_cubic_info(t, &ci);
  uint64_t t_ms = f.now / 1000 - ci.epoch_ms;
  uint32_t lo = synack_cc_cubic_window(100000, 4217, MSS, t_ms - 100);
  uint32_t hi = synack_cc_cubic_window(100000, 4217, MSS, t_ms);
  if (ci.w_est > hi) hi = ci.w_est;
  CHECK(t->cwnd_bytes >= lo && t->cwnd_bytes <= hi);
  CHECK_EQ_U(t->cwnd_bytes, hi > ci.w_est ? t->cwnd_bytes : ci.w_est);
  cc_close(&f);
}

static void cubic_reno_friendly(void) {
  /* A small window and a short RTT: Reno's AIMD (with alpha = 9/17) beats the cubic curve
   * until K, so cwnd follows W_est (§4.3). */
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_CUBIC));
  synack_tcb_t *t = f.tcb;
  synack_cc_cubic_info_t ci;
  t->srtt_us = 1000; /* 1 ms */
  t->cwnd_bytes = 20000;
  cc_send(&f, 20000);
  synack_tcp_cc_congestion(f.st, t, 0);
  synack_tcp_cc_recovery_end(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 14000);
  cc_ack(&f, MSS);
  synack_cc_cubic_info(t, &ci);
  CHECK_EQ_U(ci.k_ms, synack_cc_cubic_k_ms(6000, MSS)); /* cbrt(6 / 0.4) s = 2.466 s */
  CHECK_EQ_U(ci.k_ms, 2466);
  /* 10 RTTs (10 ms): the cubic curve barely moves; W_est grows 9/17 MSS per RTT. */
  for (int r = 0; r < 10; r++) cc_round(&f, SYNACK_MS(1));
  synack_cc_cubic_info(t, &ci);
  uint32_t wc = synack_cc_cubic_window(ci.w_max, ci.k_ms, MSS, f.now / 1000 - ci.epoch_ms);
  CHECK(wc < ci.w_est);
  CHECK_EQ_U(t->cwnd_bytes, ci.w_est);
  CHECK(ci.w_est >= 14000 + 10 * 529 - 600 && ci.w_est <= 14000 + 10 * 530 + 600);
  /* Growth per RTT is alpha = 9/17 segment until W_est reaches cwnd_prior (20000)... */
  uint32_t before = t->cwnd_bytes;
  cc_round(&f, SYNACK_MS(1));
  CHECK(t->cwnd_bytes - before >= 480 && t->cwnd_bytes - before <= 540);
  while (t->cwnd_bytes < 20000) cc_round(&f, SYNACK_MS(1));
  /* ...then one segment per RTT, like Reno. */
  cc_round(&f, SYNACK_MS(1));
  before = t->cwnd_bytes;
  cc_round(&f, SYNACK_MS(1));
  CHECK(t->cwnd_bytes - before >= 950 && t->cwnd_bytes - before <= 1000);
  synack_cc_cubic_info(t, &ci);
  CHECK_EQ_U(t->cwnd_bytes, ci.w_est);
  cc_close(&f);
}

static void cubic_rto_and_undo(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_CUBIC));
  synack_tcb_t *t = f.tcb;
  synack_cc_cubic_info_t ci;
  t->srtt_us = 50000;
  t->cwnd_bytes = 100000;
  cc_send(&f, 100000);
  t->retransmits = 1;
  synack_tcp_cc_on_rto(f.st, t, 0);
  CHECK_EQ_U(t->ssthresh_bytes, 70000); /* §4.8: beta_cubic */
  CHECK_EQ_U(t->cwnd_bytes, MSS);
  /* Undo (spurious timeout): everything back. */
  synack_tcp_cc_undo(f.st, t, 0);
  CHECK_EQ_U(t->cwnd_bytes, 100000);
  CHECK_EQ_U(t->ssthresh_bytes, UINT32_MAX);
  synack_cc_cubic_info(t, &ci);
  CHECK_EQ_U(ci.w_max, 0);
  /* A real timeout: slow start to ssthresh, then the first stage has K = 0, W_max = cwnd. */
  t->retransmits = 1;
  synack_tcp_cc_on_rto(f.st, t, 0);
  t->retransmits = 0;
  t->snd_una = t->snd_max;
  f.now = SYNACK_SEC(5);
  while (t->cwnd_bytes < t->ssthresh_bytes) cc_ack(&f, MSS);
  CHECK_EQ_U(t->cwnd_bytes, 70000);
  cc_ack(&f, MSS);
  synack_cc_cubic_info(t, &ci);
  CHECK(ci.in_epoch);
  CHECK_EQ_U(ci.k_ms, 0);
  CHECK_EQ_U(ci.w_max, 70000);
  CHECK_EQ_U(ci.w_est, 70007); /* 70000 + 9/17 * 1000 * 1000 / 70000 from this ACK */
  cc_close(&f);
}

static void cubic_undo_restores_stage(void) {
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_CUBIC));
  synack_tcb_t *t = f.tcb;
  synack_cc_cubic_info_t a, b;
  t->srtt_us = 100000;
  t->cwnd_bytes = 100000;
  cc_send(&f, 100000);
  synack_tcp_cc_congestion(f.st, t, 0);
  synack_tcp_cc_recovery_end(f.st, t, 0);
  t->snd_una = t->snd_max;
  f.now = SYNACK_SEC(1);
  for (int r = 0; r < 10; r++) cc_round(&f, SYNACK_MS(100));
  synack_cc_cubic_info(t, &a);
  uint32_t cwnd = t->cwnd_bytes, ssthresh = t->ssthresh_bytes;
  REQUIRE(a.in_epoch);
  /* A spurious fast retransmit: reduction, then the D-SACKs prove it spurious. */
  cc_send(&f, cwnd);
  synack_tcp_cc_congestion(f.st, t, f.now);
  synack_cc_cubic_info(t, &b);
  CHECK(!b.in_epoch);
  CHECK(t->cwnd_bytes < cwnd);
  synack_tcp_cc_recovery_end(f.st, t, f.now);
  synack_tcp_cc_undo(f.st, t, f.now);
  synack_cc_cubic_info(t, &b);
  CHECK_EQ_U(t->cwnd_bytes, cwnd);
  CHECK_EQ_U(t->ssthresh_bytes, ssthresh);
  CHECK(b.in_epoch);
  CHECK_EQ_U(b.epoch_ms, a.epoch_ms);
  CHECK_EQ_U(b.k_ms, a.k_ms);
  CHECK_EQ_U(b.w_max, a.w_max);
  CHECK_EQ_U(b.w_est, a.w_est);
  /* The stage goes on along the same curve: the next ACK aims at W_cubic(t + RTT). */
  t->snd_una = t->snd_max;
  cc_ack(&f, MSS);
  uint32_t target = synack_cc_cubic_window(a.w_max, a.k_ms, MSS, (f.now + t->srtt_us) / 1000 - a.epoch_ms);
  CHECK(t->cwnd_bytes >= cwnd && t->cwnd_bytes <= target && target > cwnd);
  cc_close(&f);
}

/* ---------------------------------------------------------------- socket option */

static void congestion_sockopt(void) {
  synack_config_t c;
  cfg_for(&c, SYNACK_CC_CUBIC);
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  int s = synack_socket(st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  int v = -1;
  CHECK_EQ_I(synack_getsockopt(st, s, SYNACK_TCP_CONGESTION, &v), 0);
  CHECK_EQ_I(v, SYNACK_CC_CUBIC);
  CHECK_EQ_I(synack_setsockopt(st, s, SYNACK_TCP_CONGESTION, SYNACK_CC_NEWRENO), 0);
  CHECK_EQ_I(synack_getsockopt(st, s, SYNACK_TCP_CONGESTION, &v), 0);
  CHECK_EQ_I(v, SYNACK_CC_NEWRENO);
  CHECK_EQ_I(synack_setsockopt(st, s, SYNACK_TCP_CONGESTION, 2), -SYNACK_EINVAL);
  CHECK_EQ_I(synack_setsockopt(st, s, SYNACK_TCP_CONGESTION, -1), -SYNACK_EINVAL);
  CHECK_EQ_I(synack_getsockopt(st, s, SYNACK_TCP_CONGESTION, &v), 0);
  CHECK_EQ_I(v, SYNACK_CC_NEWRENO);
  CHECK_EQ_I(synack_close(st, 0, s), 0);
  synack_stack_free(st);
  /* NewReno from the config. */
  cfg_for(&c, SYNACK_CC_NEWRENO);
  st = synack_stack_new(&c, 0);
  REQUIRE(st);
  s = synack_socket(st, SYNACK_AF_INET);
  CHECK_EQ_I(synack_getsockopt(st, s, SYNACK_TCP_CONGESTION, &v), 0);
  CHECK_EQ_I(v, SYNACK_CC_NEWRENO);
  synack_stack_free(st);
}

static void switch_on_live_connection(void) {
  /* Switching keeps cwnd and ssthresh; the new algorithm's state starts fresh. */
  cc_fx_t f;
  REQUIRE(cc_open(&f, SYNACK_CC_NEWRENO));
  synack_tcb_t *t = f.tcb;
  t->cwnd_bytes = 33000;
  t->ssthresh_bytes = 20000;
  CHECK_EQ_I(synack_tcp_cc_select(f.st, t, SYNACK_CC_CUBIC, 0), 0);
  CHECK(t->cc == &synack_cc_cubic);
  CHECK_EQ_U(t->cwnd_bytes, 33000);
  CHECK_EQ_U(t->ssthresh_bytes, 20000);
  CHECK_EQ_I(synack_tcp_cc_algo(t), SYNACK_CC_CUBIC);
  CHECK_STR(t->cc->name, "cubic");
  CHECK_STR(synack_cc_ops(SYNACK_CC_NEWRENO)->name, "newreno");
  /* Before the handshake the choice is recorded and init runs later with the MSS. */
  t->state = SYNACK_TCP_CLOSED;
  CHECK_EQ_I(synack_tcp_cc_select(f.st, t, SYNACK_CC_NEWRENO, 0), 0);
  CHECK_EQ_U(t->cwnd_bytes, 33000);
  CHECK(t->cc == &synack_cc_newreno);
  cc_close(&f);
}

TH_MAIN(TH_CASE(initial_window), TH_CASE(slow_start_abc), TH_CASE(congestion_avoidance_per_rtt),
        TH_CASE(newreno_loss), TH_CASE(newreno_rto), TH_CASE(idle_restart), TH_CASE(newreno_undo),
        TH_CASE(integer_cube_root), TH_CASE(cubic_k_and_curve), TH_CASE(cubic_reduction_and_fast_convergence),
        TH_CASE(cubic_epoch_and_increase), TH_CASE(cubic_reno_friendly), TH_CASE(cubic_rto_and_undo), TH_CASE(cubic_undo_restores_stage),
        TH_CASE(congestion_sockopt), TH_CASE(switch_on_live_connection), TH_CASE(hystart_rtt_thresh),
        TH_CASE(hystart_css_newreno), TH_CASE(hystart_css_cubic), TH_CASE(hystart_css_back_to_slow_start),
        TH_CASE(hystart_needs_samples_and_threshold), TH_CASE(hystart_ends_at_first_reduction))
