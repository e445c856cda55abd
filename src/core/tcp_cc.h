/* Congestion control as an interface: one ops table per algorithm, one file each
 * (tcp_cc_newreno.c, tcp_cc_cubic.c), shared helpers and the dispatchers TCP calls in tcp_cc.c.
 * The loss-recovery code (RFC 6675 / RFC 6582) decides *when* the window reacts; the algorithm
 * decides *by how much*.
 *
 * Units: bytes for cwnd/ssthresh (tcb->cwnd_bytes, tcb->ssthresh_bytes), microseconds for time.
 * Algorithms keep their private state in tcb->cc_priv (SYNACK_CC_PRIV_BYTES, checked with a
 * _Static_assert in each algorithm's file); that state begins with a synack_cc_common_t which
 * the shared helpers (slow start, undo, ECN's once-per-window rule) use. No floating point:
 * the core must build for targets without an FPU and give identical results on every compiler.
 */
#ifndef SYNACK_TCP_CC_H
#define SYNACK_TCP_CC_H

#include "tcp_internal.h"

typedef struct synack_cc_ops {
  const char *name;
  synack_cc_algo_t algo;
  /* Connection established: cwnd = initial window (RFC 6928), ssthresh = "infinite".
   * Resets the private state. */
  void (*init)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* A cumulative ACK advanced SND.UNA by `acked` bytes outside recovery. rtt_us is the
   * sample it produced, or 0. Grows cwnd (slow start with ABC, congestion avoidance). */
  void (*on_ack)(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us, synack_time_t now);
  /* Loss detected by duplicate ACKs / SACK (entering fast recovery) or an ECN echo:
   * sets ssthresh and the cwnd to use during recovery (cwnd = ssthresh; NewReno's artificial
   * inflation by DupAcks is the recovery code's business). */
  void (*on_congestion)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* Fast recovery ended (RFC 6675 §5: SND.UNA passed RecoveryPoint). */
  void (*on_recovery_end)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* Retransmission timeout, called after tcb->retransmits was incremented: on the first
   * timeout (retransmits == 1) ssthresh from the flight size; always cwnd = 1 MSS
   * (RFC 5681 §3.1 eq. 4 and the loss window). */
  void (*on_rto)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* The sender was idle for more than an RTO (RFC 5681 §4.1 restart window). */
  void (*on_idle)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* The last congestion reaction was spurious (F-RTO / D-SACK undo); may restore state. Optional. */
  void (*on_undo)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
} synack_cc_ops_t;

extern const synack_cc_ops_t synack_cc_newreno;
extern const synack_cc_ops_t synack_cc_cubic;

/* Ops for an algorithm id (unknown ids fall back to NewReno). */
const synack_cc_ops_t *synack_cc_ops(synack_cc_algo_t algo);

/* Bytes in flight as RFC 5681 defines FlightSize (SND.MAX - SND.UNA). */
static inline uint32_t synack_cc_flight(const synack_tcb_t *tcb) {
  return (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
}

/* ---------- HyStart++ (RFC 9406, tcp_cc_hystart.c) ---------- */
typedef enum {
  SYNACK_HS_IDLE = 0, /* not started (cc_priv is zeroed at init): the first slow-start ACK starts it */
  SYNACK_HS_SS,       /* standard slow start, watching each round's minimum RTT */
  SYNACK_HS_CSS,      /* Conservative Slow Start after an RTT increase */
  SYNACK_HS_DONE,     /* off for this connection: CSS finished, a reduction happened, or disabled */
} synack_hystart_phase_t;
typedef struct {
  synack_seq_t window_end;    /* the round ends when SND.UNA reaches it */
  uint32_t last_round_min_us; /* lastRoundMinRTT (UINT32_MAX = infinity) */
  uint32_t cur_round_min_us;  /* currentRoundMinRTT */
  uint32_t css_baseline_us;   /* cssBaselineMinRtt */
  uint8_t samples;            /* rttSampleCount (saturating) */
  uint8_t css_rounds;         /* rounds completed in CSS */
  uint8_t phase;              /* synack_hystart_phase_t */
} synack_hystart_t;
/* RttThresh for a previous round's minimum RTT (RFC 9406 §4.2): clamp(last / 8, 4 ms, 16 ms). */
uint32_t synack_hystart_rtt_thresh(uint32_t last_round_min_us);
/* One slow-start ACK that would grow cwnd by `inc` bytes (already min(N, L*SMSS)) with RTT
 * sample rtt_us (0 = none): tracks the round's RTT, moves between slow start and CSS and
 * returns the increase to apply (inc, or inc / 4 in CSS). Starts HyStart++ on the first call
 * when cfg.tcp_hystart is set. */
uint32_t synack_hystart_on_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_hystart_t *h, uint32_t inc,
                               uint32_t rtt_us);
/* After the increase: when this ACK ended the round, starts the next one; after CSS_ROUNDS CSS
 * rounds sets ssthresh = cwnd (congestion avoidance) and stops HyStart++. */
void synack_hystart_round_end(synack_stack_t *st, synack_tcb_t *tcb, synack_hystart_t *h);

/* ---------- state every algorithm keeps first in cc_priv ---------- */
enum {
  SYNACK_CC_F_RTO_SS = 1,  /* slow start after an RTO: ABC uses L = 1 until SND.UNA passes rto_high */
  SYNACK_CC_F_UNDO = 2,    /* undo_* hold the state before the last reduction */
  SYNACK_CC_F_REDUCED = 4, /* cwr_high is valid */
};
typedef struct {
  synack_seq_t rto_high;   /* SND.MAX at the last RTO */
  synack_seq_t cwr_high;   /* SND.MAX at the last window reduction (RFC 3168 §6.1.2) */
  uint32_t undo_cwnd, undo_ssthresh;
  uint32_t flags;          /* SYNACK_CC_F_* */
  synack_hystart_t hs;     /* RFC 9406, the initial slow start only */
} synack_cc_common_t;

static inline synack_cc_common_t *synack_cc_common(synack_tcb_t *tcb) { return (synack_cc_common_t *)tcb->cc_priv; }

/* ---------- shared helpers (tcp_cc.c) ---------- */
/* RFC 6928 §2 initial window, min(N*MSS, max(2*MSS, N*1460)) with N = tcp_initial_cwnd_segs;
 * N = 0 selects RFC 3390's min(4*MSS, max(2*MSS, 4380)). One segment when our SYN or SYN-ACK
 * had to be retransmitted (RFC 5681 §3.1). */
uint32_t synack_cc_initial_window(const synack_stack_t *st, const synack_tcb_t *tcb);
/* max(FlightSize / 2, 2*MSS): RFC 5681 §3.1 eq. 4. */
uint32_t synack_cc_half_flight(const synack_tcb_t *tcb);
/* Slow start with appropriate byte counting (RFC 3465 §2.2, L = tcp_abc_limit, 1 after an RTO)
 * and HyStart++ (RFC 9406, cfg.tcp_hystart; rtt_us is the ACK's RTT sample or 0): grows cwnd up
 * to ssthresh and returns the acked bytes left over for congestion avoidance. */
uint32_t synack_cc_slow_start(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us);
/* Saves cwnd/ssthresh for an undo and marks the window as reduced at SND.MAX; ends HyStart++. */
void synack_cc_note_reduction(synack_tcb_t *tcb);
/* End of fast recovery: cwnd = ssthresh after RFC 6675 (SACK) recovery; after RFC 6582
 * NewReno recovery (no SACK) §3.2 step 3 option 1: min(ssthresh, max(FlightSize, MSS) + MSS). */
void synack_cc_recovery_exit(synack_tcb_t *tcb);
/* Restores cwnd/ssthresh saved by the last reduction (once); true when something was restored. */
bool synack_cc_undo_common(synack_tcb_t *tcb);
/* Restart window (RFC 5681 §4.1): cwnd = min(IW, cwnd). */
void synack_cc_restart_window(const synack_stack_t *st, synack_tcb_t *tcb);
/* Saturating cwnd increase. */
static inline void synack_cc_grow(synack_tcb_t *tcb, uint32_t n) {
  tcb->cwnd_bytes = tcb->cwnd_bytes > UINT32_MAX - n ? UINT32_MAX : tcb->cwnd_bytes + n;
}
/* Integer cube root: the largest r with r^3 <= x. */
uint32_t synack_cc_icbrt(uint64_t x);

/* CUBIC's curve and state, for tests and traces (tcp_cc_cubic.c). K in ms for a window drop of
 * delta bytes; W_cubic(t) in bytes for t ms after the epoch. */
uint32_t synack_cc_cubic_k_ms(uint32_t delta, uint32_t mss);
uint32_t synack_cc_cubic_window(uint32_t w_max, uint32_t k_ms, uint32_t mss, uint64_t t_ms);
typedef struct {
  uint32_t w_max, k_ms, w_est, cwnd_prior;
  bool in_epoch;
  uint32_t epoch_ms; /* start of the stage on a millisecond clock (now / 1000, mod 2^32) */
} synack_cc_cubic_info_t;
void synack_cc_cubic_info(const synack_tcb_t *tcb, synack_cc_cubic_info_t *out);

/* The entry points the rest of TCP calls are declared in tcp_internal.h ("tcp_cc.c"). */

#endif
