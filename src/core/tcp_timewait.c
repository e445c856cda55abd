/* TIME-WAIT (RFC 9293 §3.6.1, §3.10.7.4): once the socket is gone a connection in TIME-WAIT
 * becomes a compact entry that re-ACKs a retransmitted FIN (restarting 2*MSL), ignores RST
 * (RFC 1337, configurable), lets a new SYN start a new incarnation when it is provably newer
 * (RFC 6191: a newer timestamp, or without timestamps a higher sequence number), and otherwise
 * applies the checks every connection shares (tcp_check.c), answering with rate-limited ACKs. */
#include <string.h>

#include "tcp_internal.h"

/* 136 B on x86-64 since the O(1) bind-index unlink (pprev) and the MD5 key pointer. */
_Static_assert(sizeof(synack_timewait_t) <= 136, "TIME-WAIT entries must stay small");

static uint32_t now_s(synack_time_t now) { return (uint32_t)(now / 1000000u); }

static synack_time_t two_msl(const synack_stack_t *st) { return 2u * (synack_time_t)st->cfg.tcp_msl_ms * 1000u; }

void synack_tcp_timewait_enter(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now, synack_time_t expires) {
  struct synack_tcp *tcp = st->tcp;
  if (tcb->flags & TF_HASHED) {
    synack_tcp_hash_remove(st, &tcb->node);
    tcb->flags &= ~(uint64_t)TF_HASHED;
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
  tw->rcv_wnd = synack_tcp_rcv_window_tw(st, tcb); /* tcp_rcvwnd.c */
  tw->rcv_wscale = tcb->rcv_wscale;
  /* RFC 2385: the entry answers signed, and checks what it receives, with the connection's key
   * (a copy: the socket and its keys go away). */
  const synack_md5_key_t *key = synack_tcp_md5_tcb_key(tcb);
  bool keyed = key || tcb->ao, kept;
  tw->md5 = NULL;
  tw->sig_ao = 0;
  if (tcb->ao) {
    /* RFC 5925: likewise with a copy of the connection's TCP-AO keys, ISNs and SNE. */
    tw->ao = synack_tcp_ao_dup(st, tcb->ao);
    kept = tw->ao != NULL;
    tw->sig_ao = kept;
    if (kept) {
      tw->ao->isn_l = tcb->iss.v;
      tw->ao->isn_r = tcb->irs.v;
    }
  } else {
    tw->md5 = key ? synack_tcp_md5_key_dup(st, key) : NULL;
    kept = tw->md5 != NULL;
  }
  if (keyed && !kept) { /* unsigned answers would be dropped by the peer anyway: no entry */
    tcp->mem -= sizeof *tw;
    tcp->ntimewait--;
    synack_mem_free(st, tw, sizeof *tw);
    synack_tcp_trace_state(st, -1, &tcb->node.t, SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED, "no memory for TIME-WAIT");
    return;
  }
  synack_timer_init(&tw->timer, SYNACK_TK_TCP_TIMEWAIT);
  synack_tcp_hash_insert(st, &tw->node);
  synack_tcp_port_tw_add(st, tw);
  synack_timer_set(&st->wheel, &tw->timer, expires > now ? expires : now);
}

/* The link that points at the suspended entry of t (or at the list's end: *p == NULL). */
static synack_tcp_node_t **suspended_head(synack_stack_t *st, const synack_tuple_t *t) {
  uint64_t h = synack_tcp_tuple_hash(st, SYNACK_KEY_DEMUX, t, NULL, 0);
  return &st->tcp->tw_suspended[h & (SYNACK_TW_SUSP_BUCKETS - 1)];
}

static synack_tcp_node_t **suspended_link(synack_stack_t *st, const synack_tuple_t *t) {
  synack_tcp_node_t **p = suspended_head(st, t);
  while (*p && !synack_tuple_equal(&(*p)->t, t)) p = &(*p)->hnext;
  return p;
}

void synack_tcp_timewait_free(synack_stack_t *st, synack_timewait_t *tw, const char *reason) {
  synack_timer_cancel(&st->wheel, &tw->timer);
  if (tw->suspended) {
    synack_tcp_node_t **p = suspended_link(st, &tw->node.t);
    if (*p == &tw->node) *p = tw->node.hnext;
  } else {
    synack_tcp_hash_remove(st, &tw->node);
  }
  synack_tcp_port_tw_remove(st, tw);
  if (reason) synack_tcp_trace_state(st, -1, &tw->node.t, SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED, reason);
  st->tcp->ntimewait--;
  st->tcp->mem -= sizeof *tw;
  synack_tcp_timewait_sig_free(st, tw);
  synack_mem_free(st, tw, sizeof *tw);
}

void synack_tcp_timewait_sig_free(synack_stack_t *st, synack_timewait_t *tw) {
  if (tw->sig_ao) synack_tcp_ao_free(st, &tw->ao);
  else synack_tcp_md5_key_free(st, tw->md5);
  tw->md5 = NULL;
  tw->sig_ao = 0;
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

/* An ACK or a RST from the entry; with timestamps in use both carry them (RFC 7323 §3.2). */
static void tw_send(synack_stack_t *st, synack_timewait_t *tw, uint8_t flags, uint16_t win, synack_time_t now) {
  synack_ctl_opts_t o;
  memset(&o, 0, sizeof o);
  o.ts = tw->ts_ok;
  o.ts_val = synack_tcp_ts_now(now, tw->ts_offset);
  o.ts_ecr = tw->ts_recent;
  synack_ao_tx_t ao;
  if (tw->sig_ao) {
    if (synack_tcp_ao_conn_tx(tw->ao, tw->ao->isn_l, tw->ao->isn_r, tw->snd_nxt, &ao)) o.ao = &ao;
  } else {
    o.md5 = tw->md5;
  }
  synack_tcp_send_ctl(st, &tw->node.t, tw->snd_nxt, tw->rcv_nxt, flags, win, &o);
}

static void tw_ack(synack_stack_t *st, synack_timewait_t *tw, synack_time_t now) {
  tw_send(st, tw, SYNACK_TCP_ACK, tw->rcv_wnd, now);
}

static synack_tcp_view_t tw_view(const synack_stack_t *st, const synack_timewait_t *tw) {
  synack_tcp_view_t v = {
    .rcv_nxt = tw->rcv_nxt,
    .rcv_wnd = (uint32_t)tw->rcv_wnd << tw->rcv_wscale, /* the window we offered last */
    .ts_ok = tw->ts_ok != 0,
    .ts_recent = tw->ts_recent,
    .ts_recent_s = tw->ts_recent_s,
    .rst_ignored = st->cfg.tcp_rfc1337,
    .rst_at_fin = false,
    .rst_exact = st->cfg.tcp_tw_rst_exact,
    .end_at_rcv_nxt = false,
  };
  return v;
}

bool synack_tcp_timewait_input(synack_stack_t *st, synack_timewait_t *tw, synack_seg_t *seg, synack_time_t now) {
  const synack_tcp_opts_t *o = &seg->r.opts;
  bool seg_ts = (o->present & SYNACK_TCPOPT_HAS_TS) != 0;
  if ((seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == SYNACK_TCP_SYN && st->cfg.tcp_tw_recycle_syn) {
    /* RFC 6191 §2: with timestamps on both sides a SYN whose TSval is newer than TS.Recent
     * starts a new incarnation; otherwise (RFC 9293 §3.10.7.4 note, RFC 1122 §4.2.2.13) its
     * sequence number must be above RCV.NXT. */
    bool newer = (tw->ts_ok && seg_ts) ? (int32_t)(o->ts_val - tw->ts_recent) > 0 : seq_gt(seg->seq, tw->rcv_nxt);
    if (newer && synack_tcp_listener_select(st, &seg->t)) {
      synack_count(st, SYNACK_CTR_TCP_TW_RECYCLED);
      /* RFC 1122 §4.2.2.13: the new incarnation's ISS must lie above every sequence number
       * the old one used (tcp_listen.c reads this). */
      seg->tw_reopen = true;
      seg->tw_snd_nxt = tw->snd_nxt;
      /* RFC 1122 §4.2.2.13 (2): the entry must come back if the SYN proves an old duplicate,
       * so it leaves the hash (the new handshake takes the 4-tuple) but lives on, its 2*MSL
       * timer running, until the handshake decides (synack_tcp_timewait_settle). */
      synack_tcp_hash_remove(st, &tw->node);
      tw->suspended = 1;
      synack_tcp_node_t **head = suspended_head(st, &tw->node.t);
      tw->node.hnext = *head;
      *head = &tw->node;
      synack_tcp_trace_note(st, -1, &tw->node.t, "rcv SYN (new incarnation, RFC 6191): TIME-WAIT suspended");
      return false;
    }
  }
  synack_tcp_view_t v = tw_view(st, tw);
  if (synack_tcp_fin_again(&v, seg, now)) {
    /* RFC 9293 §3.10.7.4: the peer's FIN again (our last ACK was lost): ACK it and restart the
     * 2*MSL timeout. Only this FIN does: any other segment is judged by step 1, so a blind
     * attacker cannot keep the entry alive. */
    tw_ack(st, tw, now);
    synack_timer_set(&st->wheel, &tw->timer, now + two_msl(st));
    synack_tcp_trace_note(st, -1, &tw->node.t, "rcv FIN in TIME-WAIT: re-ACK, restart 2MSL");
    return true;
  }
  synack_check_t verdict = synack_tcp_check(st, &v, seg, now);
  switch (verdict) {
  case SYNACK_CHECK_DROP:
    return true;
  case SYNACK_CHECK_PASS:
    /* A bare ACK at RCV.NXT needs nothing. Anything else after the peer's FIN cannot be valid
     * (RFC 9293 §3.10.7.4 seventh step ignores text); like Linux, the entry answers with an
     * ACK of what it holds (rate-limited like the others). */
    if (seg->seg_len == 0 && seq_eq(seg->seq, tw->rcv_nxt)) return true;
    /* fall through */
  case SYNACK_CHECK_PAWS:
  case SYNACK_CHECK_OOW:
  case SYNACK_CHECK_CHALLENGE:
    if (synack_tcp_answer_allowed(st, verdict, &tw->oow_last_ms, seg, now)) tw_ack(st, tw, now);
    return true;
  case SYNACK_CHECK_RST:
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_tcp_timewait_free(st, tw, "rcv RST");
    return true;
  case SYNACK_CHECK_SYN_RESET:
    /* RFC 793: a SYN in the window resets. */
    tw_send(st, tw, SYNACK_TCP_RST | SYNACK_TCP_ACK, 0, now);
    synack_tcp_timewait_free(st, tw, "rcv SYN in window");
    return true;
  }
  return true;
}

static void resume(synack_stack_t *st, synack_tcp_node_t **p, const char *why) {
  synack_timewait_t *tw = (synack_timewait_t *)*p;
  *p = tw->node.hnext;
  tw->suspended = 0;
  synack_tcp_hash_insert(st, &tw->node);
  synack_tcp_trace_note(st, -1, &tw->node.t, why);
}

void synack_tcp_timewait_end_suspended(synack_stack_t *st, const synack_tuple_t *t, const char *why) {
  synack_tcp_node_t **p = suspended_link(st, t);
  if (*p) synack_tcp_timewait_free(st, (synack_timewait_t *)*p, why);
}

void synack_tcp_timewait_settle(synack_stack_t *st, const synack_tuple_t *t, bool cookie) {
  synack_tcp_node_t **p = suspended_link(st, t);
  if (!*p) return;
  if (cookie) { /* the cookie's final ACK needs the 4-tuple free: the old incarnation ends */
    synack_tcp_timewait_end_suspended(st, t, "SYN answered with a cookie (new incarnation, RFC 6191)");
    return;
  }
  synack_tcp_node_t *n = synack_tcp_hash_lookup(st, t);
  if (n && (synack_node_kind_t)n->kind == SYNACK_NODE_HALFOPEN) {
    ((synack_halfopen_t *)n)->tw_reopen = 1;
    return;
  }
  resume(st, p, "SYN not taken: back to TIME-WAIT");
}

void synack_tcp_timewait_reopen_done(synack_stack_t *st, const synack_tuple_t *t, bool old) {
  synack_tcp_node_t **p = suspended_link(st, t);
  if (!*p) return; /* its 2*MSL ran out meanwhile */
  if (old) resume(st, p, "the reopening SYN was old (RFC 1122 §4.2.2.13): back to TIME-WAIT");
  else synack_tcp_timewait_free(st, (synack_timewait_t *)*p, "new incarnation (RFC 6191)");
}

void synack_tcp_timewait_free_suspended(synack_stack_t *st) {
  for (unsigned b = 0; b < SYNACK_TW_SUSP_BUCKETS; b++)
    while (st->tcp->tw_suspended[b]) synack_tcp_timewait_free(st, (synack_timewait_t *)st->tcp->tw_suspended[b], NULL);
}

synack_timewait_t *synack_tcp_timewait_handoff(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_time_t expires = synack_timer_armed(&tcb->t_keep) ? tcb->t_keep.expiry : now + two_msl(st);
  synack_tcp_timewait_enter(st, tcb, now, expires);
  synack_tcp_done(st, tcb, 0, "TIME-WAIT handed to a compact entry (Linux: the held socket is closed)");
  synack_tcp_node_t *n = synack_tcp_hash_lookup(st, &tcb->node.t);
  return n && (synack_node_kind_t)n->kind == SYNACK_NODE_TIMEWAIT ? (synack_timewait_t *)n : NULL;
}

void synack_tcp_enter_timewait(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now, const char *reason) {
  synack_tcp_set_state(st, tcb, SYNACK_TCP_TIME_WAIT, reason);
  synack_tcp_rtx_stop(st, tcb);
  /* A FIN that brought us here is ACKed at once (nothing can ride on the ACK); from CLOSING
   * the ACK of the peer's FIN went out already. */
  if (tcb->flags & TF_ACK_NOW) synack_tcp_output(st, tcb, now);
  synack_timer_cancel(&st->wheel, &tcb->t_delack);
  synack_timer_cancel(&st->wheel, &tcb->t_pace); /* nothing more to send */
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
