/* Congestion control as an interface: one ops table per algorithm, one file each
 * (tcp_cc_newreno.c, tcp_cc_cubic.c). The loss-recovery code (RFC 6675 / RFC 6582) decides
 * *when* the window reacts; the algorithm decides *by how much*.
 *
 * Units: bytes for cwnd/ssthresh (tcb->cwnd_bytes, tcb->ssthresh_bytes), microseconds for time.
 * Algorithms keep their private state in tcb->cc_priv (SYNACK_CC_PRIV_BYTES, checked with a
 * _Static_assert in each algorithm's file). No floating point: the core must build for
 * targets without an FPU and give identical results on every compiler.
 */
#ifndef SYNACK_TCP_CC_H
#define SYNACK_TCP_CC_H

#include "tcp_internal.h"

typedef struct synack_cc_ops {
  const char *name;
  /* Connection established: cwnd = initial window (RFC 6928), ssthresh = "infinite". */
  void (*init)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* A cumulative ACK advanced SND.UNA by `acked` bytes outside recovery. rtt_us is the
   * sample it produced, or 0. Grows cwnd (slow start with ABC, congestion avoidance). */
  void (*on_ack)(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us, synack_time_t now);
  /* Loss detected by duplicate ACKs / SACK (entering fast recovery) or an ECN echo:
   * sets ssthresh and the cwnd to use during recovery. */
  void (*on_congestion)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* Fast recovery ended (RFC 6675 §5: SND.UNA passed RecoveryPoint). */
  void (*on_recovery_end)(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
  /* Retransmission timeout: ssthresh from the flight size, cwnd = 1 MSS (RFC 5681 §3.1). */
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

/* Bytes in flight as RFC 5681 defines FlightSize (SND.NXT - SND.UNA). */
static inline uint32_t synack_cc_flight(const synack_tcb_t *tcb) {
  return (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
}

#endif
