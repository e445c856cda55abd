/* Internal consistency checks of the TCP state (tcp_invariants.c), for the state-machine fuzzer
 * (tests/fuzz/fuzz_tcp_state.c) and tests: not part of the public API (declared in
 * tcp_internal.h, hidden in the shared library). Reads only; the first violation found is
 * described in `why`. Cost: a walk of every socket, hash node and queue. */
#include <stdio.h>

#include "tcp_internal.h"

#define FAIL(...)                                   \
  do {                                              \
    if (why && cap) snprintf(why, cap, __VA_ARGS__); \
    return false;                                   \
  } while (0)

/* States in which a segment we sent may be unacknowledged: the retransmission timer must run
 * while anything is (RFC 6298 §5.1), or a lost segment would never be repaired. */
static bool may_have_unacked(synack_tcp_state_t s) {
  switch (s) {
    case SYNACK_TCP_SYN_SENT:
    case SYNACK_TCP_SYN_RECEIVED:
    case SYNACK_TCP_ESTABLISHED:
    case SYNACK_TCP_FIN_WAIT_1:
    case SYNACK_TCP_CLOSE_WAIT:
    case SYNACK_TCP_CLOSING:
    case SYNACK_TCP_LAST_ACK: return true;
    case SYNACK_TCP_CLOSED:
    case SYNACK_TCP_LISTEN:
    case SYNACK_TCP_FIN_WAIT_2:
    case SYNACK_TCP_TIME_WAIT: return false;
  }
  return false;
}

static bool check_tcb(const synack_tcb_t *tcb, char *why, size_t cap) {
  if ((unsigned)tcb->state >= SYNACK_TCP_STATE_COUNT) FAIL("tcb %d: invalid state %d", tcb->sock, (int)tcb->state);
  if (tcb->state == SYNACK_TCP_LISTEN || tcb->state == SYNACK_TCP_CLOSED) {
    if (tcb->state == SYNACK_TCP_CLOSED &&
        (synack_timer_armed(&tcb->t_rtx) || synack_timer_armed(&tcb->t_delack) || synack_timer_armed(&tcb->t_keep) ||
         synack_timer_armed(&tcb->t_pace)))
      FAIL("tcb %d: CLOSED with a timer armed", tcb->sock);
    return true;
  }
  /* RFC 9293 §3.3.1: SND.UNA <= SND.NXT; snd_max is the highest sequence number ever sent. */
  if (!seq_le(tcb->iss, tcb->snd_una)) FAIL("tcb %d: ISS %u > SND.UNA %u", tcb->sock, tcb->iss.v, tcb->snd_una.v);
  if (!seq_le(tcb->snd_una, tcb->snd_nxt))
    FAIL("tcb %d: SND.UNA %u > SND.NXT %u", tcb->sock, tcb->snd_una.v, tcb->snd_nxt.v);
  if (!seq_le(tcb->snd_nxt, tcb->snd_max))
    FAIL("tcb %d: SND.NXT %u > SND.MAX %u", tcb->sock, tcb->snd_nxt.v, tcb->snd_max.v);
  /* Nothing beyond the send ring's bytes (plus SYN and FIN) can have been sent. */
  uint32_t span = (uint32_t)seq_diff(tcb->snd_max, tcb->iss);
  if ((uint64_t)span > (uint64_t)tcb->bytes_sent + 2u)
    FAIL("tcb %d: %u sequence numbers sent for %llu data bytes", tcb->sock, span, (unsigned long long)tcb->bytes_sent);
  if (tcb->sb.len > tcb->sb.cap) FAIL("tcb %d: send ring holds %u > cap %u", tcb->sock, tcb->sb.len, tcb->sb.cap);
  if (synack_chunks_check(&tcb->sb.q, tcb->sb.len) < 0) FAIL("tcb %d: send ring chunk table inconsistent", tcb->sock);
  if (tcb->sb.len == 0 && tcb->sb.q.c) FAIL("tcb %d: empty send ring keeps its chunks", tcb->sock);
  /* Unacknowledged data is still in the ring: [SND.UNA, SND.MAX) minus SYN/FIN fits in sb.len. */
  uint32_t inflight = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
  if (inflight > tcb->sb.len + 2u) FAIL("tcb %d: %u bytes in flight, ring holds %u", tcb->sock, inflight, tcb->sb.len);
  uint32_t ring = tcb->rb.cap + tcb->rb.slack;
  if (tcb->rb.len > ring) FAIL("tcb %d: receive ring holds %u > %u", tcb->sock, tcb->rb.len, ring);
  if (synack_chunks_check(&tcb->rb.q, tcb->rb.len) < 0) FAIL("tcb %d: receive ring chunk table inconsistent", tcb->sock);
  if (tcb->state != SYNACK_TCP_SYN_SENT) {
    /* The right edge we advertised never lies beyond what the ring can hold (RFC 9293 §3.8.6:
     * an offered window is a promise), and out-of-order data lies inside it. */
    synack_seq_t room_end = seq_add(tcb->rcv_nxt, ring - tcb->rb.len);
    if (seq_gt(tcb->rcv_adv, room_end))
      FAIL("tcb %d: advertised edge %u beyond the ring's room %u", tcb->sock, tcb->rcv_adv.v, room_end.v);
    const synack_ooo_t *q = &tcb->rb.ooo;
    if (q->n > q->cap) FAIL("tcb %d: %u out-of-order ranges > cap %u", tcb->sock, q->n, q->cap);
    uint32_t bytes = 0;
    for (uint16_t i = 0; i < q->n; i++) {
      const synack_seq_range_t *r = &q->r[i];
      if (!seq_lt(r->start, r->end)) FAIL("tcb %d: empty out-of-order range", tcb->sock);
      if (!seq_gt(r->start, tcb->rcv_nxt))
        FAIL("tcb %d (%s): out-of-order range [%u, %u) at or below RCV.NXT %u", tcb->sock,
             synack_tcp_state_name(tcb->state), r->start.v, r->end.v, tcb->rcv_nxt.v);
      if (seq_gt(r->end, room_end)) FAIL("tcb %d: out-of-order range beyond the ring", tcb->sock);
      if (i && !seq_gt(r->start, q->r[i - 1].end)) FAIL("tcb %d: out-of-order ranges unsorted or touching", tcb->sock);
      bytes += (uint32_t)seq_diff(r->end, r->start);
    }
    if (bytes != q->bytes) FAIL("tcb %d: out-of-order bytes %u, ranges cover %u", tcb->sock, q->bytes, bytes);
  }
  if (may_have_unacked(tcb->state) && seq_lt(tcb->snd_una, tcb->snd_max) && !synack_timer_armed(&tcb->t_rtx))
    FAIL("tcb %d (%s): %u bytes unacknowledged and no retransmission timer", tcb->sock,
         synack_tcp_state_name(tcb->state), inflight);
  /* Each timer carries its own kind: the expiry handler dispatches on it. */
  if (tcb->t_rtx.kind != SYNACK_TK_TCP_RTX || tcb->t_delack.kind != SYNACK_TK_TCP_DELACK ||
      tcb->t_keep.kind != SYNACK_TK_TCP_KEEP || tcb->t_pace.kind != SYNACK_TK_TCP_PACE)
    FAIL("tcb %d: a timer carries the wrong kind", tcb->sock);
  return true;
}

bool synack_tcp_check_invariants(const synack_stack_t *st, char *why, size_t cap) {
  const struct synack_tcp *tcp = st->tcp;
  if (!tcp) return true;
  uint32_t ntcb = 0, nhalf = 0, ntw = 0, nnodes = 0, armed = 0;
  /* Connections with a handle. */
  for (uint32_t i = 0; i < tcp->nsocks; i++) {
    const synack_tcb_t *tcb = tcp->socks[i];
    if (!tcb) continue;
    if (tcb->sock != (int)i) FAIL("socket slot %u holds tcb of handle %d", i, tcb->sock);
    if (!check_tcb(tcb, why, cap)) return false;
    if (!(tcb->flags & TF_HASHED)) ntcb++;
    if (tcb->lst) {
      const synack_listener_t *l = tcb->lst;
      uint32_t n = 0;
      for (const synack_halfopen_t *h = l->sq_head; h && n <= l->sq_len; h = h->next) n++;
      if (n != l->sq_len) FAIL("listener %d: SYN queue length %u, list holds %u", tcb->sock, l->sq_len, n);
      n = 0;
      for (const synack_tcb_t *c = l->aq_head; c && n <= l->aq_len; c = c->aq_next) n++;
      if (n != l->aq_len) FAIL("listener %d: accept queue length %u, list holds %u", tcb->sock, l->aq_len, n);
    }
  }
  /* Everything hashed: connections (with or without a handle), half-open and TIME-WAIT entries. */
  for (uint32_t b = 0; b < tcp->nbuckets; b++) {
    for (const synack_tcp_node_t *n = tcp->buckets[b]; n; n = n->hnext) {
      if (++nnodes > tcp->nnodes) FAIL("hash holds more than its %u nodes (a loop?)", tcp->nnodes);
      switch ((synack_node_kind_t)n->kind) {
        case SYNACK_NODE_TCB: {
          const synack_tcb_t *tcb = (const synack_tcb_t *)n;
          ntcb++;
          if (!(tcb->flags & TF_HASHED)) FAIL("hashed tcb without TF_HASHED");
          if (tcb->sock < 0 && !check_tcb(tcb, why, cap)) return false;
          armed += synack_timer_armed(&tcb->t_rtx) + synack_timer_armed(&tcb->t_delack) +
                   synack_timer_armed(&tcb->t_keep) + synack_timer_armed(&tcb->t_pace);
          break;
        }
        case SYNACK_NODE_HALFOPEN: {
          const synack_halfopen_t *h = (const synack_halfopen_t *)n;
          nhalf++;
          if (!synack_timer_armed(&h->timer)) FAIL("half-open entry without its SYN-ACK timer");
          armed++;
          break;
        }
        case SYNACK_NODE_TIMEWAIT: {
          const synack_timewait_t *tw = (const synack_timewait_t *)n;
          ntw++;
          if (!synack_timer_armed(&tw->timer)) FAIL("TIME-WAIT entry without its 2MSL timer");
          armed++;
          break;
        }
        default: FAIL("hash node of unknown kind %u", n->kind);
      }
    }
  }
  /* TIME-WAIT entries suspended by a reopening SYN (tcp_timewait.c): out of the hash, still
   * counted, their 2*MSL timer running until the new handshake decides. */
  uint32_t nsusp = 0;
  for (unsigned b = 0; b < SYNACK_TW_SUSP_BUCKETS; b++) {
    for (const synack_tcp_node_t *n = tcp->tw_suspended[b]; n; n = n->hnext) {
      const synack_timewait_t *tw = (const synack_timewait_t *)n;
      if (++nsusp > tcp->ntimewait) FAIL("more suspended TIME-WAIT entries than the count %u (a loop?)", tcp->ntimewait);
      if (n->kind != SYNACK_NODE_TIMEWAIT || !tw->suspended) FAIL("suspended list holds a node that is not a suspended TIME-WAIT entry");
      if (!synack_timer_armed(&tw->timer)) FAIL("suspended TIME-WAIT entry without its 2MSL timer");
      if ((synack_tcp_tuple_hash(st, SYNACK_KEY_DEMUX, &n->t, NULL, 0) & (SYNACK_TW_SUSP_BUCKETS - 1)) != b)
        FAIL("suspended TIME-WAIT entry in the wrong chain");
      ntw++;
      armed++;
    }
  }
  /* The bind index (tcp_port.c): doubly linked chains, every link's back pointer pointing at
   * the link that points to it; every TIME-WAIT entry in one chain (all are indexed). */
  uint32_t nidx_tw = 0;
  for (unsigned b = 0; b < SYNACK_PORT_BUCKETS; b++) {
    uint32_t len = 0;
    for (synack_tcb_t *const *pp = &tcp->pidx[b]; *pp; pp = &(*pp)->pnext) {
      if ((*pp)->pprev != pp) FAIL("bind index bucket %u: a TCB's back link is wrong", b);
      if (!((*pp)->flags & TF_PORT_INDEXED)) FAIL("bind index bucket %u: a TCB not flagged as indexed", b);
      if (++len > tcp->ntcb) FAIL("bind index bucket %u: more TCBs than exist (a loop?)", b);
    }
    for (synack_timewait_t *const *pp = &tcp->pidx_tw[b]; *pp; pp = &(*pp)->pnext) {
      if ((*pp)->pprev != pp) FAIL("bind index bucket %u: a TIME-WAIT entry's back link is wrong", b);
      if (++nidx_tw > tcp->ntimewait) FAIL("bind index: more TIME-WAIT entries than exist (a loop?)");
    }
  }
  if (nidx_tw != tcp->ntimewait) FAIL("bind index holds %u TIME-WAIT entries, count says %u", nidx_tw, tcp->ntimewait);
  if (nnodes != tcp->nnodes) FAIL("hash holds %u nodes, count says %u", nnodes, tcp->nnodes);
  if (ntcb != tcp->ntcb) FAIL("%u TCBs found, count says %u", ntcb, tcp->ntcb);
  if (nhalf != tcp->nhalfopen) FAIL("%u half-open entries found, count says %u", nhalf, tcp->nhalfopen);
  if (ntw != tcp->ntimewait) FAIL("%u TIME-WAIT entries found, count says %u", ntw, tcp->ntimewait);
  if (armed > st->wheel.count) FAIL("%u TCP timers armed, the wheel counts %zu", armed, st->wheel.count);
  return true;
}
