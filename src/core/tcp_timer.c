/* TCP timers: dispatch by kind, delayed ACK, keepalive (RFC 1122 §4.2.3.6), the orphaned
 * FIN-WAIT-2 timeout, the SO_LINGER deadline of an orphan and 2*MSL for a TIME-WAIT socket
 * whose handle is still open.
 * An idle ESTABLISHED connection without keepalive has no timer armed. */
#include <string.h>
#include <stddef.h>

#include "tcp_internal.h"

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void synack_tcp_delack_arm(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  tcb->flags |= TF_ACK_DELAYED;
  if (st->cfg.tcp_delack_linux) {
    synack_tcp_lx_delack_arm(st, tcb, now); /* Linux's timeout rules (tcp_ackpolicy.c) */
    return;
  }
  if (!synack_timer_armed(&tcb->t_delack))
    synack_timer_set(&st->wheel, &tcb->t_delack, now + (synack_time_t)st->cfg.tcp_delack_ms * 1000u);
}

static bool keep_applies(const synack_tcb_t *tcb) {
  if (!(tcb->flags & TF_KEEPALIVE)) return false;
  switch (tcb->state) {
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
    return true;
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_TIME_WAIT:
    return false;
  }
  return false;
}

void synack_tcp_keep_update(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->state == SYNACK_TCP_TIME_WAIT) return; /* t_keep carries 2*MSL */
  if ((tcb->flags & TF_ORPHAN) && (tcb->state == SYNACK_TCP_FIN_WAIT_2 || tcb->linger_s > 0))
    return; /* t_keep carries the FIN-WAIT-2 timeout or the SO_LINGER deadline */
  if (keep_applies(tcb)) {
    if (!synack_timer_armed(&tcb->t_keep))
      synack_timer_set(&st->wheel, &tcb->t_keep, tcb->last_rcv + (synack_time_t)synack_tcp_keep_idle(st, tcb) * 1000000u);
  } else {
    synack_timer_cancel(&st->wheel, &tcb->t_keep);
  }
  (void)now;
}

void synack_tcp_cancel_timers(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_timer_cancel(&st->wheel, &tcb->t_rtx);
  synack_timer_cancel(&st->wheel, &tcb->t_delack);
  synack_timer_cancel(&st->wheel, &tcb->t_keep);
  synack_timer_cancel(&st->wheel, &tcb->t_pace);
}

synack_time_t synack_tcp_tcb_next_timer(const synack_tcb_t *tcb) {
  synack_time_t t = SYNACK_TIME_NEVER;
  if (synack_timer_armed(&tcb->t_rtx) && tcb->t_rtx.expiry < t) t = tcb->t_rtx.expiry;
  if (synack_timer_armed(&tcb->t_delack) && tcb->t_delack.expiry < t) t = tcb->t_delack.expiry;
  if (synack_timer_armed(&tcb->t_keep) && tcb->t_keep.expiry < t) t = tcb->t_keep.expiry;
  if (synack_timer_armed(&tcb->t_pace) && tcb->t_pace.expiry < t) t = tcb->t_pace.expiry;
  return t;
}

static void keep_fire(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->state == SYNACK_TCP_TIME_WAIT) {
    synack_tcp_done(st, tcb, 0, "2MSL timer expired");
    return;
  }
  if (tcb->state == SYNACK_TCP_FIN_WAIT_2 && (tcb->flags & TF_ORPHAN)) {
    synack_tcp_done(st, tcb, 0, "FIN-WAIT-2 timeout");
    return;
  }
  if ((tcb->flags & TF_ORPHAN) && tcb->linger_s > 0) {
    /* SO_LINGER with a positive time (docs/tcp-choices.md): the FIN was not acknowledged within
     * it (we are still in SYN-RECEIVED, FIN-WAIT-1, CLOSING or LAST-ACK): abort with a RST. */
    synack_tcp_send_rst_tcb(st, tcb, now);
    synack_tcp_done(st, tcb, 0, "SO_LINGER time passed: RST");
    return;
  }
  if (!keep_applies(tcb)) return;
  synack_time_t idle = (synack_time_t)synack_tcp_keep_idle(st, tcb) * 1000000u;
  if (now - tcb->last_rcv < idle && tcb->keep_probes == 0) {
    synack_timer_set(&st->wheel, &tcb->t_keep, tcb->last_rcv + idle); /* heard from the peer since */
    return;
  }
  if (seq_gt(tcb->snd_max, tcb->snd_una)) {
    /* Data in flight: the retransmission timer watches the peer already. */
    synack_timer_set(&st->wheel, &tcb->t_keep, now + idle);
    return;
  }
  bool user_expired = tcb->user_timeout_ms && tcb->keep_probes > 0 &&
                      now - tcb->last_rcv >= (synack_time_t)tcb->user_timeout_ms * 1000u;
  if (tcb->keep_probes >= synack_tcp_keep_cnt(st, tcb) || user_expired) {
    /* RFC 1122 §4.2.3.6: no answer to the probes: the peer is dead. */
    synack_count(st, SYNACK_CTR_TCP_TIMEOUTS);
    /* cfg.tcp_timeout_linux (tcp_keepalive_timer): tell a peer that is alive after all. */
    if (st->cfg.tcp_timeout_linux) synack_tcp_send_rst_tcb(st, tcb, now);
    synack_tcp_done(st, tcb, -SYNACK_ETIMEDOUT, user_expired ? "user timeout" : "keepalive timeout");
    return;
  }
  synack_tcp_send_keepalive(st, tcb, now);
  tcb->keep_probes++;
  synack_timer_set(&st->wheel, &tcb->t_keep, now + (synack_time_t)synack_tcp_keep_intvl(st, tcb) * 1000000u);
}

/* Records that a TCP timer fired, with its name and the connection, before it acts: the trace
 * then explains the segments the timer sends (tools draw them as timer-driven). */
static void trace_timer(synack_stack_t *st, const synack_timer_t *t) {
  const synack_tcp_node_t *n = NULL;
  int sock = -1;
  const char *name = "tcp";
  switch (t->kind) {
  case SYNACK_TK_TCP_RTX: {
    const synack_tcb_t *tcb = CONTAINER(t, synack_tcb_t, t_rtx);
    n = &tcb->node, sock = tcb->sock;
    name = tcb->snd_wnd == 0 && tcb->state == SYNACK_TCP_ESTABLISHED ? "persist" : "retransmission";
    /* The slot also carries RACK's two timers (tcp_rack.c): name the one that is due. */
    if (tcb->rec.reo_at && tcb->rec.reo_at == t->expiry) name = "rack-reordering";
    else if (tcb->rec.tlp_at && tcb->rec.tlp_at == t->expiry) name = "tail-loss-probe";
    break;
  }
  case SYNACK_TK_TCP_DELACK: {
    const synack_tcb_t *tcb = CONTAINER(t, synack_tcb_t, t_delack);
    n = &tcb->node, sock = tcb->sock, name = "delayed-ack";
    break;
  }
  case SYNACK_TK_TCP_KEEP: {
    const synack_tcb_t *tcb = CONTAINER(t, synack_tcb_t, t_keep);
    n = &tcb->node, sock = tcb->sock, name = "keepalive";
    break;
  }
  case SYNACK_TK_TCP_PACE: {
    const synack_tcb_t *tcb = CONTAINER(t, synack_tcb_t, t_pace);
    n = &tcb->node, sock = tcb->sock, name = "pacing";
    break;
  }
  case SYNACK_TK_TCP_HALFOPEN:
    n = &CONTAINER(t, synack_halfopen_t, timer)->node, name = "syn-ack-retransmission";
    break;
  case SYNACK_TK_TCP_TIMEWAIT:
    n = &CONTAINER(t, synack_timewait_t, timer)->node, name = "time-wait";
    break;
  default:
    break;
  }
  synack_trace_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = SYNACK_TRACE_TIMER;
  ev.sock = sock;
  if (n) synack_tuple_endpoints(&n->t, &ev.local, &ev.remote);
  ev.reason = name;
  synack_trace_emit(st, &ev);
}

void synack_tcp_timer(synack_stack_t *st, synack_timer_t *t, synack_time_t now) {
  if (synack_tracing(st)) trace_timer(st, t);
  switch (t->kind) {
  case SYNACK_TK_TCP_RTX:
    synack_tcp_rto_fire(st, CONTAINER(t, synack_tcb_t, t_rtx), now);
    break;
  case SYNACK_TK_TCP_DELACK: {
    synack_tcb_t *tcb = CONTAINER(t, synack_tcb_t, t_delack);
    if (tcb->flags & TF_ACK_DELAYED) {
      synack_count(st, SYNACK_CTR_TCP_DELAYED_ACKS);
      if (st->cfg.tcp_delack_linux) synack_tcp_lx_delack_fired(st, tcb);
      synack_tcp_send_ack(st, tcb, now);
    }
    break;
  }
  case SYNACK_TK_TCP_KEEP:
    keep_fire(st, CONTAINER(t, synack_tcb_t, t_keep), now);
    break;
  case SYNACK_TK_TCP_PACE:
    /* The departure time of the segment that waited (tcp_pacing.c). */
    synack_tcp_output(st, CONTAINER(t, synack_tcb_t, t_pace), now);
    break;
  case SYNACK_TK_TCP_HALFOPEN:
    synack_tcp_halfopen_timer(st, CONTAINER(t, synack_halfopen_t, timer), now);
    break;
  case SYNACK_TK_TCP_TIMEWAIT:
    synack_tcp_timewait_timer(st, CONTAINER(t, synack_timewait_t, timer), now);
    break;
  default:
    break;
  }
}

/* A connection that follows the stack's keepalive defaults gets a changed default at once, as
 * Linux (keepalive_time_when) and FreeBSD (TP_KEEPIDLE) read the sysctl whenever they arm the
 * timer: the running timer is placed again from the time of the last segment received. */
static void keep_rearm(synack_stack_t *st, synack_tcb_t *tcb, const synack_config_t *old) {
  bool idle = !tcb->keep_idle_s && old->tcp_keepalive_idle_s != st->cfg.tcp_keepalive_idle_s;
  bool intvl = !tcb->keep_intvl_s && old->tcp_keepalive_intvl_s != st->cfg.tcp_keepalive_intvl_s;
  if (!idle && !intvl) return;
  if (tcb->state == SYNACK_TCP_TIME_WAIT || (tcb->state == SYNACK_TCP_FIN_WAIT_2 && (tcb->flags & TF_ORPHAN)))
    return; /* t_keep carries 2 MSL or the FIN-WAIT-2 timeout */
  if (!keep_applies(tcb) || !synack_timer_armed(&tcb->t_keep)) return;
  synack_timer_cancel(&st->wheel, &tcb->t_keep);
  synack_tcp_keep_update(st, tcb, st->now);
}

void synack_tcp_config_changed(synack_stack_t *st, const synack_config_t *old) {
  struct synack_tcp *tcp = st->tcp;
  if (!tcp) return;
  for (uint32_t i = 0; i < tcp->nsocks; i++) {
    synack_tcb_t *t = tcp->socks[i];
    if (t && !(t->flags & TF_HASHED)) keep_rearm(st, t, old);
  }
  for (uint32_t b = 0; b < tcp->nbuckets; b++)
    for (synack_tcp_node_t *nd = tcp->buckets[b]; nd; nd = nd->hnext)
      if (nd->kind == SYNACK_NODE_TCB) keep_rearm(st, (synack_tcb_t *)nd, old);
}
