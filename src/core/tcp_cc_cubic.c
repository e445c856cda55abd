/* CUBIC congestion control (RFC 9438) in integer arithmetic.
 *
 *   W_cubic(t) = C * (t - K)^3 + W_max      C = 0.4 segments/s^3          (§4.2, eq. 1)
 *   K = cbrt((W_max - cwnd_epoch) / C)                                   (§4.2, eq. 2)
 *   W_est += alpha * segments_acked / cwnd,  alpha = 3(1-beta)/(1+beta) = 9/17, 1 once
 *            W_est >= cwnd_prior                                          (§4.3)
 *   on congestion: ssthresh = cwnd = max(flight * beta, 2 MSS), beta = 0.7 (§4.6)
 *   fast convergence: W_max = cwnd * (1+beta)/2 when cwnd < the previous W_max (§4.7)
 *
 * Windows are kept in bytes (W_max, W_est, cwnd) and converted with the MSS; time t since the
 * start of the congestion-avoidance stage is taken in microseconds and evaluated in whole
 * milliseconds; K is an integer number of milliseconds from an exact integer cube root. The
 * cubic term C*(t-K)^3 is computed for |t - K| <= 120 s (beyond, the value is held: a target
 * is anyway bounded by 1.5 cwnd, §4.2). Slow start is NewReno's (with ABC) and HyStart++
 * (RFC 9406, tcp_cc_hystart.c; RFC 9438 §4.10 allows it) when cfg.tcp_hystart is set. On a spurious-loss undo (§4.9) cwnd, ssthresh, W_max and the running stage
 * (epoch, K, W_est) are restored. */
#include <string.h>

#include "tcp_cc.h"

enum {
  CUBIC_F_EPOCH = 1u << 8,     /* a congestion-avoidance stage is running (epoch valid) */
  CUBIC_F_AFTER_RTO = 1u << 9, /* the next stage starts with K = 0, W_max = cwnd (§4.8) */
  CUBIC_F_UNDO_EPOCH = 1u << 10, /* a stage was running at the last reduction (undo restores it) */
};

#define CUBIC_BETA_NUM 7u   /* beta_cubic = 0.7 */
#define CUBIC_BETA_DEN 10u
#define CUBIC_FC_NUM 17u    /* (1 + beta_cubic) / 2 = 0.85 */
#define CUBIC_FC_DEN 20u
#define CUBIC_LINUX_BETA 717u /* Linux's beta, in 1024ths (tcp_cubic.c) */
#define CUBIC_ALPHA_NUM 9u  /* alpha_cubic = 3 (1 - 0.7) / (1 + 0.7) = 9/17 */
#define CUBIC_ALPHA_DEN 17u
#define CUBIC_MAX_DT_MS 120000

typedef struct {
  synack_cc_common_t c;  /* first: the shared helpers use it (flags also carry CUBIC_F_*) */
  uint32_t w_max;        /* bytes */
  uint32_t k_ms;         /* K */
  uint32_t w_est;        /* bytes: the Reno-friendly estimate */
  uint32_t cwnd_prior;   /* bytes: cwnd before the last reduction */
  uint32_t inc_rem;      /* remainder of the cubic increase, < cwnd */
  uint32_t est_rem;      /* remainder of the W_est increase (< 17 cwnd, saturated) */
  uint32_t epoch_ms;     /* start of the current congestion-avoidance stage (ms clock, mod 2^32) */
  /* The stage before the last reduction, for an undo (§4.9). */
  uint32_t undo_w_max, undo_k_ms, undo_w_est, undo_epoch_ms;
} cubic_t;
_Static_assert(sizeof(cubic_t) <= SYNACK_CC_PRIV_BYTES, "CUBIC state must fit in cc_priv");

static cubic_t *cu(synack_tcb_t *tcb) { return (cubic_t *)tcb->cc_priv; }

/* K in milliseconds for a window drop of `delta` bytes: K^3 = delta / (C * MSS) seconds^3,
 * i.e. (ms)^3 = delta * 2.5e9 / MSS. delta < 2^32 keeps the product below 2^64. */
uint32_t synack_cc_cubic_k_ms(uint32_t delta, uint32_t mss) {
  return synack_cc_icbrt((uint64_t)delta * 2500000000u / (mss ? mss : 1));
}

/* W_cubic(t) in bytes, t in milliseconds since the epoch. */
uint32_t synack_cc_cubic_window(uint32_t w_max, uint32_t k_ms, uint32_t mss, uint64_t t_ms) {
  int64_t d = (int64_t)(t_ms > (uint64_t)INT32_MAX ? INT32_MAX : t_ms) - (int64_t)k_ms;
  if (d > CUBIC_MAX_DT_MS) d = CUBIC_MAX_DT_MS;
  if (d < -CUBIC_MAX_DT_MS) d = -CUBIC_MAX_DT_MS;
  /* C * d^3 segments with d in ms: 0.4 * d^3 / 1e9 = (d^3 / 1000) * 2 / 5e6; |d^3| <= 1.728e15. */
  int64_t cube = d * d * d;
  int64_t off = (cube / 1000) * (int64_t)mss * 2 / 5000000;
  int64_t w = (int64_t)w_max + off;
  if (w < 0) return 0;
  return w > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

static uint32_t w_cubic(const cubic_t *s, uint32_t mss, uint64_t t_ms) {
  return synack_cc_cubic_window(s->w_max, s->k_ms, mss, t_ms);
}

void synack_cc_cubic_info(const synack_tcb_t *tcb, synack_cc_cubic_info_t *out) {
  const cubic_t *s = (const cubic_t *)tcb->cc_priv;
  out->w_max = s->w_max;
  out->k_ms = s->k_ms;
  out->w_est = s->w_est;
  out->cwnd_prior = s->cwnd_prior;
  out->in_epoch = (s->c.flags & CUBIC_F_EPOCH) != 0;
  out->epoch_ms = s->epoch_ms;
}

static void cubic_init(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)now;
  memset(tcb->cc_priv, 0, sizeof tcb->cc_priv);
  tcb->cwnd_bytes = synack_cc_initial_window(st, tcb);
  tcb->ssthresh_bytes = UINT32_MAX;
}

/* §4.2: a congestion-avoidance stage begins: cwnd_epoch = cwnd, K from W_max. */
static void begin_epoch(synack_tcb_t *tcb, cubic_t *s, synack_time_t now) {
  uint32_t cwnd = tcb->cwnd_bytes;
  s->epoch_ms = (uint32_t)(now / 1000u);
  s->c.flags |= CUBIC_F_EPOCH;
  s->inc_rem = 0;
  s->est_rem = 0;
  if (s->c.flags & CUBIC_F_AFTER_RTO) {
    /* §4.8: the first stage after a timeout: K = 0 and W_max = cwnd at its beginning. */
    s->c.flags &= ~(uint32_t)CUBIC_F_AFTER_RTO;
    s->w_max = cwnd;
    s->k_ms = 0;
  } else if (s->w_max > cwnd) {
    s->k_ms = synack_cc_cubic_k_ms(s->w_max - cwnd, tcb->snd_mss);
  } else {
    /* Already at or above the last maximum: the curve starts at its inflection point. */
    s->w_max = cwnd;
    s->k_ms = 0;
  }
  s->w_est = cwnd; /* §4.3: W_est = cwnd_epoch */
}

static void cubic_on_ack(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us,
                         synack_time_t now) {
  if (acked == 0) return;
  if (tcb->cwnd_bytes < tcb->ssthresh_bytes) {
    acked = synack_cc_slow_start(st, tcb, acked, rtt_us); /* §4.10: standard slow start */
    if (acked == 0) return;
  }
  cubic_t *s = cu(tcb);
  uint32_t mss = tcb->snd_mss, cwnd = tcb->cwnd_bytes;
  if (!(s->c.flags & CUBIC_F_EPOCH)) begin_epoch(tcb, s, now);
  /* t since the stage began, in microseconds at millisecond resolution (a u32 ms clock: a
   * stage would have to last 49 days to wrap). */
  synack_time_t t = (synack_time_t)((uint32_t)(now / 1000u) - s->epoch_ms) * 1000u;
  /* §4.2: target = W_cubic(t + RTT), bounded to [cwnd, 1.5 cwnd]; cwnd grows by
   * (target - cwnd) / cwnd per segment acknowledged. */
  uint32_t target = w_cubic(s, mss, (t + tcb->srtt_us) / 1000u);
  uint64_t hi = (uint64_t)cwnd + cwnd / 2;
  if (target < cwnd) target = cwnd;
  if (target > hi) target = (uint32_t)(hi > UINT32_MAX ? UINT32_MAX : hi);
  uint64_t num = (uint64_t)(target - cwnd) * acked + s->inc_rem;
  uint64_t inc = num / cwnd;
  s->inc_rem = (uint32_t)(num % cwnd);
  /* §4.3: the Reno-friendly estimate, alpha = 9/17 until W_est reaches cwnd_prior, then 1. */
  uint64_t an = CUBIC_ALPHA_NUM, ad = CUBIC_ALPHA_DEN;
  if (s->w_est >= s->cwnd_prior) an = ad = 1;
  uint64_t e = s->est_rem + an * acked * mss, den = ad * cwnd;
  uint64_t w_est = s->w_est + e / den;
  uint64_t rem = e % den;
  s->est_rem = rem > UINT32_MAX ? UINT32_MAX : (uint32_t)rem;
  s->w_est = w_est > UINT32_MAX ? UINT32_MAX : (uint32_t)w_est;
  uint64_t next = (uint64_t)cwnd + inc;
  /* §4.3: below W_est the flow is in the Reno-friendly region: cwnd = W_est. */
  if (w_cubic(s, mss, t / 1000u) < s->w_est && s->w_est > next) next = s->w_est;
  tcb->cwnd_bytes = next > UINT32_MAX ? UINT32_MAX : (uint32_t)next;
}

/* §4.6 multiplicative decrease with §4.7 fast convergence. */
static void reduce(synack_tcb_t *tcb, cubic_t *s, bool linux_rule) {
  uint32_t cwnd = tcb->cwnd_bytes;
  synack_cc_note_reduction(tcb);
  s->undo_w_max = s->w_max;
  s->undo_k_ms = s->k_ms;
  s->undo_w_est = s->w_est;
  s->undo_epoch_ms = s->epoch_ms;
  if (s->c.flags & CUBIC_F_EPOCH) s->c.flags |= CUBIC_F_UNDO_EPOCH;
  else s->c.flags &= ~(uint32_t)CUBIC_F_UNDO_EPOCH;
  if (cwnd < s->w_max) s->w_max = (uint32_t)((uint64_t)cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN);
  else s->w_max = cwnd;
  s->cwnd_prior = cwnd;
  uint64_t ss = (uint64_t)synack_cc_flight(tcb) * CUBIC_BETA_NUM / CUBIC_BETA_DEN;
  if (linux_rule && tcb->snd_mss) {
    /* cfg.tcp_recovery_linux: Linux's bictcp_recalc_ssthresh, from cwnd in whole segments with
     * beta = 717/1024 (RFC 9438 §4.6 takes FlightSize; Linux validates cwnd instead, so an
     * application-limited cwnd does not grow there). */
    ss = (uint64_t)(cwnd / tcb->snd_mss) * CUBIC_LINUX_BETA / 1024u * tcb->snd_mss;
  }
  if (ss < 2u * tcb->snd_mss) ss = 2u * tcb->snd_mss;
  tcb->ssthresh_bytes = (uint32_t)ss;
  s->c.flags &= ~(uint32_t)CUBIC_F_EPOCH;
}

static void cubic_on_congestion(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)now;
  cubic_t *s = cu(tcb);
  reduce(tcb, s, st->cfg.tcp_recovery_linux);
  tcb->cwnd_bytes = tcb->ssthresh_bytes;
  s->c.flags &= ~(uint32_t)CUBIC_F_AFTER_RTO;
}

static void cubic_on_recovery_end(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)st;
  (void)now;
  synack_cc_recovery_exit(tcb);
  cu(tcb)->c.flags &= ~(uint32_t)CUBIC_F_EPOCH; /* the congestion-avoidance stage starts now */
}

static void cubic_on_rto(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)now;
  cubic_t *s = cu(tcb);
  /* §4.8: ssthresh with beta_cubic on the first timeout, cwnd = 1 MSS (RFC 5681 §3.1). */
  if (tcb->retransmits <= 1) reduce(tcb, s, st->cfg.tcp_recovery_linux);
  tcb->cwnd_bytes = tcb->snd_mss;
  s->c.rto_high = tcb->snd_max;
  s->c.flags |= SYNACK_CC_F_RTO_SS | CUBIC_F_AFTER_RTO;
  s->c.flags &= ~(uint32_t)CUBIC_F_EPOCH;
}

static void cubic_on_idle(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)now;
  synack_cc_restart_window(st, tcb);
  /* The curve is a function of time since the stage began; idle time must not count. */
  cu(tcb)->c.flags &= ~(uint32_t)CUBIC_F_EPOCH;
}

static void cubic_on_undo(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)st;
  (void)now;
  cubic_t *s = cu(tcb);
  if (!synack_cc_undo_common(tcb)) return;
  /* §4.9: back to the state before the spurious reduction, the congestion-avoidance stage
   * included (its epoch, K and W_est), as if the reduction had not happened. */
  s->w_max = s->undo_w_max;
  s->k_ms = s->undo_k_ms;
  s->w_est = s->undo_w_est;
  s->epoch_ms = s->undo_epoch_ms;
  s->inc_rem = s->est_rem = 0;
  s->c.flags &= ~(uint32_t)(CUBIC_F_EPOCH | CUBIC_F_AFTER_RTO);
  if (s->c.flags & CUBIC_F_UNDO_EPOCH) s->c.flags |= CUBIC_F_EPOCH;
}

const synack_cc_ops_t synack_cc_cubic = {
  .name = "cubic",
  .algo = SYNACK_CC_CUBIC,
  .init = cubic_init,
  .on_ack = cubic_on_ack,
  .on_congestion = cubic_on_congestion,
  .on_recovery_end = cubic_on_recovery_end,
  .on_rto = cubic_on_rto,
  .on_idle = cubic_on_idle,
  .on_undo = cubic_on_undo,
};
