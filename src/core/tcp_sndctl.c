/* Sending control and low-water marks, as Linux gives them to programs:
 *   - TCP_CORK: partial segments are held until the option is cleared, a full segment can be
 *     built, or the cork timer fires (the retransmission slot with nothing in flight: Linux's
 *     zero-window-probe timer, one RTO, 200 ms at the least);
 *   - MSG_EOR: the data of the call ends a record; no segment ever carries bytes from both sides
 *     of a record end (Linux marks the skb "eor" and never appends to it nor collapses it);
 *   - TCP_NOTSENT_LOWAT: the socket is writable only while fewer bytes wait unsent;
 *   - SO_RCVLOWAT: readable only when that many bytes are in order (or EOF / an error);
 *   - SO_SNDLOWAT: fixed at 1, as on Linux;
 *   - TCP_INQ: recvmsg says how many bytes are left to read.
 * docs/tcp-choices.md "Sending control" gives the choices. */
#include <string.h>

#include "tcp_internal.h"

static synack_seq_t data_end(const synack_tcb_t *tcb) { return seq_add(tcb->snd_buf_seq, tcb->sb.len); }

int synack_tcp_eor_mark(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_eor_t *e = &tcb->eor;
  synack_seq_t end = data_end(tcb);
  if (e->n && seq_eq(e->v[e->n - 1], end)) return 0; /* the record already ends here */
  if (e->n == e->cap) {
    /* Each mark ends at least one byte of the ring, so there are never more marks than the
     * send buffer has bytes: the table stays bounded by SO_SNDBUF. */
    uint32_t cap = e->cap ? e->cap * 2u : 8u;
    synack_seq_t *v = synack_mem_alloc(st, cap * sizeof *v);
    if (!v) return -SYNACK_ENOMEM;
    if (e->n) memcpy(v, e->v, e->n * sizeof *v);
    if (e->v) synack_mem_free(st, e->v, e->cap * sizeof *e->v);
    st->tcp->mem += (cap - e->cap) * sizeof *v;
    e->v = v;
    e->cap = cap;
  }
  e->v[e->n++] = end;
  return 0;
}

synack_seq_t synack_tcp_eor_limit(const synack_tcb_t *tcb, synack_seq_t seq, synack_seq_t end) {
  const synack_eor_t *e = &tcb->eor;
  for (uint32_t i = 0; i < e->n; i++)
    if (seq_gt(e->v[i], seq)) return seq_min(e->v[i], end);
  return end;
}

void synack_tcp_eor_prune(synack_stack_t *st, synack_tcb_t *tcb) {
  (void)st;
  synack_eor_t *e = &tcb->eor;
  uint32_t k = 0;
  while (k < e->n && seq_le(e->v[k], tcb->snd_buf_seq)) k++;
  if (k == 0) return;
  memmove(e->v, e->v + k, (e->n - k) * sizeof *e->v);
  e->n -= k;
}

void synack_tcp_eor_free(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_eor_t *e = &tcb->eor;
  if (e->v) {
    synack_mem_free(st, e->v, e->cap * sizeof *e->v);
    st->tcp->mem -= e->cap * sizeof *e->v;
  }
  e->v = NULL;
  e->n = e->cap = 0;
}

uint32_t synack_tcp_notsent(const synack_tcb_t *tcb) {
  /* SND.MAX, not SND.NXT: a go-back-N retransmission walks SND.NXT back over data that was
   * sent (Linux's snd_nxt never moves back either). */
  synack_seq_t sent = seq_max(tcb->snd_max, tcb->snd_buf_seq);
  int32_t n = seq_diff(data_end(tcb), sent);
  return n > 0 ? (uint32_t)n : 0;
}

bool synack_tcp_writable(const synack_tcb_t *tcb) {
  if (synack_sndbuf_room(&tcb->sb) == 0) return false;
  /* Linux tcp_poll and sk_stream_write_space: tcp_stream_memory_free(sk, wake = 1), writable
   * once the unsent bytes are under *half* the mark, so that the writer gets a useful amount
   * of room rather than a few bytes at a time (a write itself may go on up to the whole mark:
   * tcp_api.c). */
  return tcb->notsent_lowat == 0 || 2ull * synack_tcp_notsent(tcb) < tcb->notsent_lowat;
}

bool synack_tcp_rcv_lowat_met(const synack_tcb_t *tcb) {
  return synack_tcp_rcv_avail(tcb) >= (tcb->rcvlowat ? tcb->rcvlowat : 1u);
}

void synack_tcp_push_held(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  /* MSG_MORE is a one-call promise: it ends here. TCP_CORK stays set, but the data held so far
   * leaves (Linux: tcp_write_wakeup sends the corked skb from the probe timer). */
  tcb->flags &= ~(uint64_t)TF_MORE;
  tcb->flags |= TF_PUSH_HELD;
  synack_tcp_output(st, tcb, now);
  tcb->flags &= ~(uint64_t)TF_PUSH_HELD;
}

static void set_flag(synack_tcb_t *tcb, uint64_t f, int v) {
  if (v) tcb->flags |= f;
  else tcb->flags &= ~f;
}

int synack_tcp_sndctl_set(synack_stack_t *st, synack_tcb_t *tcb, synack_sockopt_t opt, int v) {
  switch (opt) {
  case SYNACK_TCP_CORK:
    set_flag(tcb, TF_CORK, v);
    /* Linux __tcp_sock_set_cork(false): the held data goes at once (with Nagle's rule, which
     * TCP_NODELAY turns off). */
    if (!v) synack_tcp_output(st, tcb, st->now);
    return 0;
  case SYNACK_TCP_NOTSENT_LOWAT:
    /* Any value, as Linux stores it (0: no mark); the writer hears at once if it may write. */
    tcb->notsent_lowat = (uint32_t)v;
    if (synack_tcp_state_can_send(tcb->state) && !(tcb->flags & TF_FIN_QUEUED) && synack_tcp_writable(tcb))
      synack_tcp_post(st, tcb, SYNACK_EV_WRITABLE, 0);
    return 0;
  case SYNACK_SO_SNDLOWAT:
    return -SYNACK_ENOPROTOOPT; /* Linux: SO_SNDLOWAT is fixed at 1 */
  case SYNACK_SO_RCVLOWAT: {
    /* Linux sock_setsockopt + tcp_set_rcvlowat: negative means INT_MAX, at most half the
     * receive buffer (more could never be offered in one window: the reader would wait for
     * ever), 0 means 1. Linux grows the buffer for a larger mark when SO_RCVBUF was not set;
     * synack's ring has a fixed size, so half of it is the bound in every case. */
    uint32_t cap = tcb->rb.cap / 2u, val = v < 0 ? UINT32_MAX : (uint32_t)v;
    if (val > cap) val = cap;
    tcb->rcvlowat = val ? val : 1u;
    if (tcb->rb.len && synack_tcp_rcv_lowat_met(tcb)) synack_tcp_post(st, tcb, SYNACK_EV_READABLE, 0);
    return 0;
  }
  case SYNACK_TCP_INQ:
    set_flag(tcb, TF_INQ, v);
    return 0;
  case SYNACK_SO_MAX_PACING_RATE:
  case SYNACK_TCP_MD5SIG:
  case SYNACK_SO_ZEROCOPY:
  case SYNACK_SO_TIMESTAMPING:
  case SYNACK_SO_REUSEPORT:
  case SYNACK_SO_BROADCAST:
  case SYNACK_IPV6_V6ONLY:
  case SYNACK_TCP_FASTOPEN:
  case SYNACK_TCP_FASTOPEN_CONNECT:
  case SYNACK_TCP_FASTOPEN_NO_COOKIE:
  case SYNACK_SO_REUSEADDR:
  case SYNACK_SO_RCVBUF:
  case SYNACK_SO_SNDBUF:
  case SYNACK_SO_KEEPALIVE:
  case SYNACK_SO_LINGER:
  case SYNACK_SO_ERROR:
  case SYNACK_TCP_NODELAY:
  case SYNACK_TCP_MAXSEG:
  case SYNACK_TCP_KEEPIDLE:
  case SYNACK_TCP_KEEPINTVL:
  case SYNACK_TCP_KEEPCNT:
  case SYNACK_TCP_USER_TIMEOUT:
  case SYNACK_TCP_NOOPT:
  case SYNACK_IP_TTL:
  case SYNACK_IP_TOS:
  case SYNACK_SO_INQ:
  case SYNACK_SO_OUTQ:
  case SYNACK_TCP_QUICKACK:
  case SYNACK_TCP_CONGESTION:
  case SYNACK_SO_NOTSENT:
  case SYNACK_SO_OOBINLINE:
  case SYNACK_SO_ATMARK:
  case SYNACK_SO_RCVTIMEO:
  case SYNACK_SO_SNDTIMEO:
  case SYNACK_TCP_DEFER_ACCEPT:
  case SYNACK_TCP_WINDOW_CLAMP:
  case SYNACK_TCP_SAVE_SYN:
  case SYNACK_TCP_SAVED_SYN:
    break;
  }
  return -SYNACK_ENOPROTOOPT;
}
