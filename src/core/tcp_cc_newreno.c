/* NewReno congestion control (RFC 5681, RFC 6582) with appropriate byte counting (RFC 3465):
 * slow start credits at most L = tcp_abc_limit segments per ACK, congestion avoidance adds one
 * MSS each time a full window of bytes has been acknowledged (about one MSS per RTT), a loss
 * halves the flight size, a timeout drops to one segment. The initial slow start runs HyStart++
 * (RFC 9406, tcp_cc_hystart.c) when cfg.tcp_hystart is set. */
#include <string.h>

#include "tcp_cc.h"

typedef struct {
  synack_cc_common_t c; /* first: the shared helpers use it */
  uint32_t ca_acked;    /* RFC 3465 §2.1 bytes_acked in congestion avoidance */
} newreno_t;
_Static_assert(sizeof(newreno_t) <= SYNACK_CC_PRIV_BYTES, "NewReno state must fit in cc_priv");

static newreno_t *nr(synack_tcb_t *tcb) { return (newreno_t *)tcb->cc_priv; }

static void newreno_init(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)now;
  memset(tcb->cc_priv, 0, sizeof tcb->cc_priv);
  /* RFC 5681 §3.1: IW per RFC 6928; ssthresh "arbitrarily high". */
  tcb->cwnd_bytes = synack_cc_initial_window(st, tcb);
  tcb->ssthresh_bytes = UINT32_MAX;
}

static void newreno_on_ack(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us,
                           synack_time_t now) {
  (void)now;
  if (acked == 0) return;
  if (tcb->cwnd_bytes < tcb->ssthresh_bytes) {
    acked = synack_cc_slow_start(st, tcb, acked, rtt_us);
    if (acked == 0) return;
  }
  /* RFC 3465 §2.1 / RFC 5681 §3.1: congestion avoidance counts acknowledged bytes; each time
   * they reach cwnd, cwnd grows by one SMSS: one segment per round trip. */
  newreno_t *s = nr(tcb);
  uint64_t total = (uint64_t)s->ca_acked + acked, cwnd = tcb->cwnd_bytes ? tcb->cwnd_bytes : 1;
  if (total >= cwnd) {
    /* A stretch ACK may cover several windows: one MSS for each (counted against the window
     * before this ACK, like a sequence of ordinary ACKs would almost exactly). */
    uint64_t n = total / cwnd;
    total -= n * cwnd;
    uint64_t inc = n * tcb->snd_mss;
    synack_cc_grow(tcb, inc > UINT32_MAX ? UINT32_MAX : (uint32_t)inc);
  }
  s->ca_acked = (uint32_t)total;
}

static void newreno_on_congestion(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)st;
  (void)now;
  synack_cc_note_reduction(tcb);
  /* RFC 5681 §3.2 step 2 (eq. 4): ssthresh = max(FlightSize / 2, 2*SMSS); RFC 6675 §5 and
   * RFC 3168 §6.1.2 (ECE): cwnd = ssthresh. */
  tcb->ssthresh_bytes = synack_cc_half_flight(tcb);
  tcb->cwnd_bytes = tcb->ssthresh_bytes;
  nr(tcb)->ca_acked = 0;
}

static void newreno_on_recovery_end(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)st;
  (void)now;
  synack_cc_recovery_exit(tcb);
  nr(tcb)->ca_acked = 0;
}

static void newreno_on_rto(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)st;
  (void)now;
  newreno_t *s = nr(tcb);
  if (tcb->retransmits <= 1) {
    /* RFC 5681 §3.1 eq. 4: only when the segment was not yet resent by the timer; later
     * backoffs keep ssthresh. */
    synack_cc_note_reduction(tcb);
    tcb->ssthresh_bytes = synack_cc_half_flight(tcb);
  }
  /* RFC 5681 §3.1: cwnd = LW = 1 full-sized segment, then slow start (L = 1, RFC 3465 §2.3). */
  tcb->cwnd_bytes = tcb->snd_mss;
  s->c.rto_high = tcb->snd_max;
  s->c.flags |= SYNACK_CC_F_RTO_SS;
  s->ca_acked = 0;
}

static void newreno_on_idle(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)now;
  synack_cc_restart_window(st, tcb);
  nr(tcb)->ca_acked = 0;
}

static void newreno_on_undo(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)st;
  (void)now;
  if (synack_cc_undo_common(tcb)) nr(tcb)->ca_acked = 0;
}

const synack_cc_ops_t synack_cc_newreno = {
  .name = "newreno",
  .algo = SYNACK_CC_NEWRENO,
  .init = newreno_init,
  .on_ack = newreno_on_ack,
  .on_congestion = newreno_on_congestion,
  .on_recovery_end = newreno_on_recovery_end,
  .on_rto = newreno_on_rto,
  .on_idle = newreno_on_idle,
  .on_undo = newreno_on_undo,
};
