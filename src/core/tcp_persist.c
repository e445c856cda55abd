/* The persist timer (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17): when the peer's window is zero
 * and data waits, probe it with one byte beyond the window, backing off exponentially (the
 * retransmission timer's RTO doubled per probe, capped at tcp_rto_max_ms). The connection is
 * never given up while the peer keeps answering the probes; a peer that stops answering is
 * given the same number of tries as a retransmission (tcp_retries2) before ETIMEDOUT. An
 * orphan (closed socket) is aborted after tcp_orphan_retries probes whether answered or not.
 * The persist timer shares the TCB's retransmission timer slot: they are never needed together
 * (a probe is the only data in flight). */
#include "tcp_internal.h"

void synack_tcp_persist_fire(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if ((tcb->flags & TF_ORPHAN) && r->probes >= st->cfg.tcp_orphan_retries) {
    /* As Linux (tcp_probe_timer): an orphan gets tcp_orphan_retries probes, answered or not.
     * Nobody will read its peer's answer, and a peer holding the window at zero would otherwise
     * pin the connection and its send buffer for ever. The RST tells a live peer to let go. */
    synack_count(st, SYNACK_CTR_TCP_ORPHAN_PROBES_ABORT);
    synack_tcp_send_rst_tcb(st, tcb, now);
    synack_tcp_done(st, tcb, -SYNACK_ETIMEDOUT, "orphan: zero-window probes exhausted");
    return;
  }
  if (r->probes == 0) r->probe_start = now;
  if (st->cfg.tcp_timeout_linux && tcb->user_timeout_ms &&
      now - r->probe_start >= (synack_time_t)tcb->user_timeout_ms * 1000u) {
    /* cfg.tcp_timeout_linux (tcp_probe_timer): probing ends when the user timeout has passed
     * since its first probe, however the peer answered (RFC 5482 bounds the time data waits). */
    synack_count(st, SYNACK_CTR_TCP_TIMEOUTS);
    synack_tcp_done(st, tcb, tcb->soft_error ? tcb->soft_error : -SYNACK_ETIMEDOUT, "user timeout (zero window)");
    return;
  }
  bool answered = r->probes == 0 || tcb->last_rcv >= r->probe_sent;
  if (answered) {
    tcb->retransmits = 0; /* RFC 1122 §4.2.2.17: the peer is alive: keep probing forever */
  } else {
    if (tcb->retransmits == 0) tcb->rtx_start = now;
    bool user_expired = tcb->user_timeout_ms &&
                        now - tcb->rtx_start >= (synack_time_t)tcb->user_timeout_ms * 1000u;
    if (tcb->retransmits >= synack_tcp_retry_limit(st, tcb) || user_expired) {
      int err = tcb->soft_error ? tcb->soft_error : -SYNACK_ETIMEDOUT;
      synack_count(st, SYNACK_CTR_TCP_TIMEOUTS);
      synack_tcp_done(st, tcb, err, user_expired ? "user timeout (zero window)" : "zero-window probes unanswered");
      return;
    }
    tcb->retransmits++;
  }
  r->persist = true;
  r->probes++;
  /* Exponential backoff; rto_current caps it at the maximum RTO. */
  if (tcb->backoff < 31) tcb->backoff++;
  if (st->cfg.tcp_probe0_old_ack) {
    /* Linux's tcp_write_wakeup with a zero window: tcp_xmit_probe_skb, an ACK from SND.UNA - 1
     * without data, which the peer answers with its window (RFC 9293 §3.8.6.1 lets the probe
     * be any segment that elicits an ACK: RFC 1122 §4.2.2.17). */
    synack_tcp_send_old_ack(st, tcb, now);
    r->probe_sent = now;
    synack_tcp_rtx_arm(st, tcb, now);
    return;
  }
  /* The probe is the first byte not yet acknowledged (sent again when an earlier probe is
   * still outstanding). */
  tcb->snd_nxt = tcb->snd_una;
  tcb->flags |= TF_WINPROBE;
  tcb->flags &= ~(uint64_t)TF_MORE;
  synack_tcp_output(st, tcb, now);
  tcb->flags &= ~(uint64_t)TF_WINPROBE;
  r->probe_sent = now;
  synack_tcp_rtx_arm(st, tcb, now);
}

void synack_tcp_persist_stop(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  r->persist = false;
  r->probes = 0;
  tcb->backoff = 0;
  tcb->retransmits = 0;
  /* A probe byte the peer did not take (it answered with SND.UNA) was dropped for lack of
   * window: send from SND.UNA again now that the window is open. */
  if (seq_gt(tcb->snd_max, tcb->snd_una)) {
    tcb->snd_nxt = tcb->snd_una;
    synack_tcp_rtx_arm(st, tcb, now);
  } else {
    synack_tcp_rtx_stop(st, tcb);
  }
}
