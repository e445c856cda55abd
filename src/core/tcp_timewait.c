/* TIME-WAIT (RFC 9293 §3.6.1, §3.10.7.4): once the socket is gone a connection in TIME-WAIT
 * becomes a compact entry that re-ACKs a retransmitted FIN (restarting 2*MSL), ignores RST
 * (RFC 1337, configurable), lets a new SYN start a new incarnation when it is provably newer
 * (RFC 6191: a newer timestamp, or without timestamps a higher sequence number), and otherwise
 * answers with an ACK (a rate-limited challenge ACK under RFC 5961). */
#include <string.h>

#include "tcp_internal.h"

_Static_assert(sizeof(synack_timewait_t) <= 128, "TIME-WAIT entries must stay small");

static uint32_t now_s(synack_time_t now) { return (uint32_t)(now / 1000000u); }

static synack_time_t two_msl(const synack_stack_t *st) { return 2u * (synack_time_t)st->cfg.tcp_msl_ms * 1000u; }

void synack_tcp_timewait_enter(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now, synack_time_t expires) {
  struct synack_tcp *tcp = st->tcp;
  if (tcb->flags & TF_HASHED) {
    synack_tcp_hash_remove(st, &tcb->node);
    tcb->flags &= ~(uint32_t)TF_HASHED;
  }
  if (tcp->ntimewait >= st->cfg.max_timewait) {
    /* Like Linux's "time wait bucket table overflow": the connection just ends. */
    synack_tcp_trace_state(st, -1, &tcb->node.t, SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED, "TIME-WAIT table full");
    return;
  }
  synack_timewait_t *tw = synack_mem_alloc(st, sizeof *tw);
  if (!tw) {
    synack_tcp_trace_state(st, -1, &tcb->node.t, SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED, "no memory for TIME-WAIT");
    return;
  }
  tcp->mem += sizeof *tw;
  tcp->ntimewait++;
  tw->node.t = tcb->node.t;
  tw->node.kind = SYNACK_NODE_TIMEWAIT;
  tw->snd_nxt = tcb->snd_max;
  tw->rcv_nxt = tcb->rcv_nxt;
  tw->ts_ok = (tcb->flags & TF_TS_OK) != 0;
  tw->ts_recent = tcb->ts_recent;
  tw->ts_recent_s = tcb->ts_recent_s;
  tw->ts_offset = tcb->ts_offset;
  tw->rcv_wnd = synack_tcp_rcv_window(st, tcb, false);
  tw->rcv_wscale = tcb->rcv_wscale;
  synack_timer_init(&tw->timer, SYNACK_TK_TCP_TIMEWAIT);
  synack_tcp_hash_insert(st, &tw->node);
  synack_timer_set(&st->wheel, &tw->timer, expires > now ? expires : now);
}

void synack_tcp_timewait_free(synack_stack_t *st, synack_timewait_t *tw, const char *reason) {
  synack_timer_cancel(&st->wheel, &tw->timer);
  synack_tcp_hash_remove(st, &tw->node);
  if (reason) synack_tcp_trace_state(st, -1, &tw->node.t, SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED, reason);
  st->tcp->ntimewait--;
  st->tcp->mem -= sizeof *tw;
  synack_mem_free(st, tw, sizeof *tw);
}

void synack_tcp_timewait_timer(synack_stack_t *st, synack_timewait_t *tw, synack_time_t now) {
  (void)now;
  synack_tcp_timewait_free(st, tw, "2MSL timer expired");
}

bool synack_tcp_timewait_reusable(const synack_stack_t *st, const synack_timewait_t *tw, synack_time_t now) {
  /* Linux tw_reuse: safe when timestamps are in use (PAWS rejects the old incarnation's
   * segments) and the last timestamp from the peer is at least a second old. */
  return st->cfg.tcp_tw_reuse && tw->ts_ok && now_s(now) - tw->ts_recent_s >= 1;
}

static void tw_ack(synack_stack_t *st, synack_timewait_t *tw, synack_time_t now) {
  synack_ctl_opts_t o;
  memset(&o, 0, sizeof o);
  o.ts = tw->ts_ok;
  o.ts_val = synack_tcp_ts_now(now, tw->ts_offset);
  o.ts_ecr = tw->ts_recent;
  synack_tcp_send_ctl(st, &tw->node.t, tw->snd_nxt, tw->rcv_nxt, SYNACK_TCP_ACK, tw->rcv_wnd, &o);
}

static void tw_challenge(synack_stack_t *st, synack_timewait_t *tw, synack_time_t now) {
  /* RFC 5961 §7: rate-limited like a connection's challenge ACKs. */
  uint32_t sec = now_s(now);
  if (tw->chal_sec != sec) { tw->chal_sec = sec; tw->chal_count = 0; }
  if (tw->chal_count >= st->cfg.tcp_challenge_ack_limit) {
    synack_drop(st, SYNACK_DROP_TCP_CHALLENGE_RATE, NULL, 0);
    return;
  }
  if (tw->chal_count < 255) tw->chal_count++;
  synack_count(st, SYNACK_CTR_TCP_CHALLENGE_ACKS);
  tw_ack(st, tw, now);
}

/* RFC 9293 §3.10.7.4 first check: SEG.SEQ inside the window we offered last, i.e.
 * RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND (only RCV.NXT itself when the window is zero). */
static bool tw_in_window(const synack_timewait_t *tw, synack_seq_t seq) {
  uint32_t wnd = (uint32_t)tw->rcv_wnd << tw->rcv_wscale;
  if (wnd == 0) return seq_eq(seq, tw->rcv_nxt);
  return seq_in(seq, tw->rcv_nxt, seq_add(tw->rcv_nxt, wnd));
}

bool synack_tcp_timewait_input(synack_stack_t *st, synack_timewait_t *tw, synack_seg_t *seg, synack_time_t now) {
  const synack_tcp_opts_t *o = &seg->r.opts;
  bool seg_ts = (o->present & SYNACK_TCPOPT_HAS_TS) != 0;
  if (seg->flags & SYNACK_TCP_RST) {
    if (st->cfg.tcp_rfc1337) {
      /* RFC 1337 §3 (fix TWA1): ignore RST in TIME-WAIT. */
      synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0);
      return true;
    }
    if (!tw_in_window(tw, seg->seq)) { synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0); return true; }
    if (st->cfg.tcp_rfc5961_rst && !seq_eq(seg->seq, tw->rcv_nxt)) {
      /* RFC 5961 §3.2: in the window but not exactly at RCV.NXT: challenge ACK, drop. */
      synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0);
      tw_challenge(st, tw, now);
      return true;
    }
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_tcp_timewait_free(st, tw, "rcv RST");
    return true;
  }
  if (seg->flags & SYNACK_TCP_SYN) {
    if (!(seg->flags & SYNACK_TCP_ACK) && st->cfg.tcp_tw_recycle_syn) {
      /* RFC 6191 §2: with timestamps on both sides a SYN whose TSval is newer than TS.Recent
       * starts a new incarnation; otherwise (RFC 9293 §3.10.7.4 note, RFC 1122 §4.2.2.13) its
       * sequence number must be above RCV.NXT. */
      bool newer = (tw->ts_ok && seg_ts) ? (int32_t)(o->ts_val - tw->ts_recent) > 0 : seq_gt(seg->seq, tw->rcv_nxt);
      if (newer && synack_tcp_listener_lookup(st, seg->t.family, seg->t.laddr, seg->t.lport)) {
        synack_count(st, SYNACK_CTR_TCP_TW_RECYCLED);
        synack_tcp_timewait_free(st, tw, "rcv SYN (new incarnation, RFC 6191)");
        return false;
      }
    }
    /* RFC 5961 §4.2 (also for a SYN-ACK): challenge ACK. */
    if (st->cfg.tcp_rfc5961_syn) { tw_challenge(st, tw, now); return true; }
    /* RFC 793: a SYN in the window resets; an old one is answered by an ACK. */
    if (tw_in_window(tw, seg->seq)) {
      synack_tcp_send_ctl(st, &tw->node.t, tw->snd_nxt, tw->rcv_nxt, SYNACK_TCP_RST | SYNACK_TCP_ACK, 0, NULL);
      synack_tcp_timewait_free(st, tw, "rcv SYN in window");
    } else {
      tw_ack(st, tw, now);
    }
    return true;
  }
  if (tw->ts_ok && seg_ts && (int32_t)(o->ts_val - tw->ts_recent) < 0) {
    /* RFC 7323 §5.3: PAWS, an old duplicate: ACK and drop. */
    synack_drop(st, SYNACK_DROP_TCP_PAWS, NULL, 0);
    tw_ack(st, tw, now);
    return true;
  }
  if (seg->flags & SYNACK_TCP_FIN) {
    /* RFC 9293 §3.10.7.4 eighth: the peer's FIN again (our last ACK was lost): ACK it and
     * restart the 2*MSL timeout. */
    tw_ack(st, tw, now);
    synack_timer_set(&st->wheel, &tw->timer, now + two_msl(st));
    synack_tcp_trace_note(st, -1, &tw->node.t, "rcv FIN in TIME-WAIT: re-ACK, restart 2MSL");
    return true;
  }
  if (seg->seg_len == 0 && seq_eq(seg->seq, tw->rcv_nxt)) return true; /* a bare ACK: nothing to do */
  /* RFC 9293 §3.10.7.4 first: an unacceptable segment gets an ACK. */
  synack_drop(st, SYNACK_DROP_TCP_OUT_OF_WINDOW, NULL, 0);
  tw_ack(st, tw, now);
  return true;
}

void synack_tcp_enter_timewait(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now, const char *reason) {
  synack_tcp_set_state(st, tcb, SYNACK_TCP_TIME_WAIT, reason);
  synack_tcp_rtx_stop(st, tcb);
  /* A FIN that brought us here is ACKed at once (nothing can ride on the ACK); from CLOSING
   * the ACK of the peer's FIN went out already. */
  if (tcb->flags & TF_ACK_NOW) synack_tcp_output(st, tcb, now);
  synack_timer_cancel(&st->wheel, &tcb->t_delack);
  if (!st->cfg.tcp_timewait) {
    synack_tcp_done(st, tcb, 0, "TIME-WAIT skipped (teaching mode)");
    return;
  }
  synack_time_t expires = now + two_msl(st);
  if (tcb->flags & TF_ORPHAN) {
    synack_tcp_pending_remove(st, tcb);
    synack_tcp_timewait_enter(st, tcb, now, expires);
    synack_tcb_free(st, tcb);
    return;
  }
  synack_timer_set(&st->wheel, &tcb->t_keep, expires);
}
