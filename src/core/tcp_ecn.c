/* Explicit Congestion Notification for TCP (RFC 3168 §6.1).
 *
 * Negotiation: with cfg.tcp_ecn ON our SYN is an ECN-setup SYN (ECE|CWR); with ON or PASSIVE a
 * listener answers an ECN-setup SYN with an ECN-setup SYN-ACK (ECE without CWR). ECN is in use when both
 * happened. A SYN answered with a SYN cookie gets a plain SYN-ACK (the cookie does not carry the
 * ECN bit), so such connections never use ECN, and both ends agree on it; with
 * cfg.tcp_syncookie_linux and timestamps the bit rides in the TSval (tcp_syncookie.c).
 *
 * Sender: new data segments are ECT(0); SYNs, pure ACKs, retransmissions and window probes are
 * not ECT (§6.1.1, §6.1.4-6.1.6). An ACK with ECE reduces the window like a loss (the
 * algorithm's on_congestion) at most once per window of data, and the next new data segment
 * carries CWR (§6.1.2). Receiver: a CE-marked segment makes every ACK carry ECE until a segment
 * with CWR arrives (§6.1.3); the first CE of such a period is acknowledged at once so that the
 * sender learns of it without the delayed-ACK wait. The ECN bits of a user's IP_TOS are
 * ignored: TCP owns them. */
#include "tcp_cc.h"

uint8_t synack_tcp_ecn_tx(synack_stack_t *st, synack_tcb_t *tcb, uint8_t *flags, uint32_t len, bool retrans) {
  uint8_t tos = (uint8_t)(tcb->tos & ~SYNACK_IP_ECN_MASK);
  if (*flags & SYNACK_TCP_SYN) {
    if (!(*flags & SYNACK_TCP_ACK)) {
      /* RFC 3168 §6.1.1: an ECN-setup SYN. Retransmitted SYNs keep it (a middlebox that drops
       * ECN-setup SYNs costs the timeouts; a silent fallback could disagree with the peer). */
      if (retrans && st->cfg.tcp_ecn_linux) {
        /* cfg.tcp_ecn_linux (Linux's tcp_ecn_clear_syn with tcp_ecn_fallback=1): the
         * retransmitted SYN asks no more, in case ECN-setup SYNs are what gets dropped, but an
         * ECN-setup SYN-ACK answering the first one still turns ECN on. The SYN's timeout is a
         * loss (tcp_enter_loss queues CWR), so the first data then carries CWR (§6.1.2). */
        if (tcb->ecn & SYNACK_ECN_SYN_SENT) tcb->ecn |= SYNACK_ECN_CWR;
      } else if (st->cfg.tcp_ecn == SYNACK_ECN_MODE_ON) {
        *flags |= SYNACK_TCP_ECE | SYNACK_TCP_CWR;
        tcb->ecn |= SYNACK_ECN_SYN_SENT;
      }
    } else if (tcb->ecn & SYNACK_ECN_OK) {
      *flags |= SYNACK_TCP_ECE; /* simultaneous open: both SYNs were ECN-setup */
    }
    return tos; /* §6.1.1: SYN and SYN-ACK are never ECT */
  }
  if (!(tcb->ecn & SYNACK_ECN_OK)) return tos;
  if ((tcb->ecn & SYNACK_ECN_ECE) && (*flags & SYNACK_TCP_ACK)) *flags |= SYNACK_TCP_ECE;
  if (len > 0 && !retrans && !(tcb->flags & TF_WINPROBE)) {
    if (tcb->ecn & SYNACK_ECN_CWR) {
      /* §6.1.2: CWR on the first new data segment after the reduction. */
      *flags |= SYNACK_TCP_CWR;
      tcb->ecn &= (uint8_t)~SYNACK_ECN_CWR;
    }
    tos |= SYNACK_IP_ECN_ECT0;
  }
  return tos;
}

void synack_tcp_ecn_syn_rcvd(synack_stack_t *st, synack_tcb_t *tcb, uint8_t flags) {
  (void)st;
  if (!(tcb->ecn & SYNACK_ECN_SYN_SENT)) return;
  uint8_t e = flags & (SYNACK_TCP_ECE | SYNACK_TCP_CWR);
  /* §6.1.1: an ECN-setup SYN-ACK has ECE and not CWR (a SYN-ACK with both is not ECN-setup);
   * a crossing SYN (simultaneous open) is ECN-setup with both. */
  if ((flags & SYNACK_TCP_ACK) ? e == SYNACK_TCP_ECE : e == (SYNACK_TCP_ECE | SYNACK_TCP_CWR))
    tcb->ecn |= SYNACK_ECN_OK;
}

bool synack_tcp_ecn_syn_accept(const synack_stack_t *st, const synack_seg_t *seg) {
  /* cfg.tcp_ecn_linux (tcp_ecn_create_request): §6.1.1 forbids an ECT SYN, so an ECT-marked
   * one shows a path that rewrites the ECN field, where ECN cannot work: answer without it. */
  if (st->cfg.tcp_ecn_linux && (seg->tos & SYNACK_IP_ECN_MASK) != 0) return false;
  return st->cfg.tcp_ecn != SYNACK_ECN_MODE_OFF &&
         (seg->flags & (SYNACK_TCP_ECE | SYNACK_TCP_CWR)) == (SYNACK_TCP_ECE | SYNACK_TCP_CWR);
}

void synack_tcp_ecn_rcv(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg) {
  if (!(tcb->ecn & SYNACK_ECN_OK)) return;
  /* §6.1.3: CWR ends the echo; a CE on the same segment starts it again. */
  if (seg->flags & SYNACK_TCP_CWR) tcb->ecn &= (uint8_t)~SYNACK_ECN_ECE;
  if ((seg->tos & SYNACK_IP_ECN_MASK) == SYNACK_IP_ECN_CE) {
    synack_count(st, SYNACK_CTR_TCP_ECN_CE_IN);
    if (!(tcb->ecn & SYNACK_ECN_ECE)) tcb->flags |= TF_ACK_NOW;
    tcb->ecn |= SYNACK_ECN_ECE;
  }
}

void synack_tcp_ecn_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, synack_time_t now) {
  if (!(tcb->ecn & SYNACK_ECN_OK) || !tcb->cc || (seg->flags & SYNACK_TCP_SYN)) return;
  /* §6.1.2: react at most once per window of data: ignore ECE until an ACK covers data sent
   * after the last reduction (whether that reduction was for ECE or a loss). The mark is
   * dropped as soon as an ACK passes it, so that sequence wrap-around cannot revive it. */
  synack_cc_common_t *c = synack_cc_common(tcb);
  if ((c->flags & SYNACK_CC_F_REDUCED) && seq_gt(seg->ack, c->cwr_high))
    c->flags &= ~(uint32_t)SYNACK_CC_F_REDUCED;
  if (!(seg->flags & SYNACK_TCP_ECE) || (c->flags & SYNACK_CC_F_REDUCED)) return;
  synack_count(st, SYNACK_CTR_TCP_ECN_REDUCTIONS);
  synack_tcp_trace_note(st, tcb->sock, &tcb->node.t, "ECN-Echo: congestion window reduced (RFC 3168)");
  synack_tcp_cc_congestion(st, tcb, now);
  /* Not a spurious-loss candidate: an ECN reduction is never undone. */
  c->flags &= ~(uint32_t)SYNACK_CC_F_UNDO;
  tcb->ecn |= SYNACK_ECN_CWR;
}

bool synack_tcp_ecn_in_cwr(const synack_stack_t *st, synack_tcb_t *tcb) {
  if (!st->cfg.tcp_ecn_linux || !(tcb->ecn & SYNACK_ECN_OK) || !tcb->cc) return false;
  const synack_cc_common_t *c = synack_cc_common(tcb);
  return (c->flags & SYNACK_CC_F_REDUCED) && !seq_gt(tcb->snd_una, c->cwr_high);
}
