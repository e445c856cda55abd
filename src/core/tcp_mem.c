/* Stack-wide socket-buffer memory and its pressure states, as Linux's tcp_mem.
 *
 * Socket buffers take their memory in chunks (tcp_buf.c); the stack counts the bytes they hold
 * (chunks and chunk tables, not the bufcache's spare chunks) against three thresholds of the
 * configuration:
 *   - over tcp_mem_pressure the stack is under pressure until it falls under tcp_mem_low (the
 *     gap keeps it from flapping): autotuning stops growing buffers (tcp_rcvtune.c) and the
 *     windows offered shrink to 4 segments (tcp_rcvwnd.c), as Linux clamps rcv_ssthresh to
 *     4 * advmss in __tcp_select_window;
 *   - over tcp_mem_high a buffer that already holds a chunk gets no more: received data that
 *     would need one is dropped unacknowledged (TCP_MEM_LIMIT; the sender retransmits it) and
 *     send() queues less or returns EAGAIN. Data already acknowledged is never dropped. A buffer
 *     that holds nothing may always take one chunk, so no connection is wedged by the others,
 *     as Linux always grants tcp_rmem[0] / tcp_wmem[0]. */
#include "tcp_internal.h"

void synack_tcp_mem_add(synack_stack_t *st, int64_t delta) {
  struct synack_tcp *tcp = st->tcp;
  tcp->mem = (size_t)((int64_t)tcp->mem + delta);
  tcp->bufmem = (size_t)((int64_t)tcp->bufmem + delta);
  if (!tcp->mem_pressure && tcp->bufmem > st->cfg.tcp_mem_pressure) {
    tcp->mem_pressure = true;
    synack_count(st, SYNACK_CTR_TCP_MEM_PRESSURE);
  } else if (tcp->mem_pressure && tcp->bufmem < st->cfg.tcp_mem_low) {
    tcp->mem_pressure = false;
  }
}

bool synack_tcp_mem_admit(synack_stack_t *st, size_t bytes) {
  if (st->tcp->bufmem + bytes <= st->cfg.tcp_mem_high) return true;
  synack_count(st, SYNACK_CTR_TCP_MEM_REFUSED);
  return false;
}

bool synack_tcp_mem_under_pressure(const synack_stack_t *st) { return st->tcp->mem_pressure; }

/* The send buffer follows the congestion window (issue 14 §1), as Linux's tcp_sndbuf_expand:
 * a sender needs room for what is in flight (cwnd) and as much again queued behind it, so that
 * the window can keep growing without waiting for the application; the buffer therefore grows
 * to 2 * max(cwnd, 10 segments) — Linux counts TCP_INIT_CWND segments at least — bounded by
 * tcp_max_buf. It starts at tcp_sndbuf and never grows while the stack is under memory
 * pressure. Under pressure it shrinks instead, as Linux's sk_stream_moderate_sndbuf: to half
 * the bytes queued, at least two chunks, so the application is held back while the queue
 * drains (bytes already queued are never dropped). A socket whose SO_SNDBUF the application set
 * keeps it (Linux's SOCK_SNDBUF_LOCK). Memory follows the bytes held (tcp_buf.c) whatever the
 * size: a larger limit costs nothing until the application fills it. */
void synack_tcp_sndbuf_adjust(synack_stack_t *st, synack_tcb_t *tcb) {
  if (tcb->flags & TF_SNDBUF_LOCK) return;
  synack_sndbuf_t *b = &tcb->sb;
  if (st->tcp->mem_pressure) {
    uint32_t floor = 2u * SYNACK_CHUNK, want = b->len / 2 > floor ? b->len / 2 : floor;
    if (want < b->cap) b->cap = want;
    return;
  }
  uint32_t mss = tcb->snd_mss ? tcb->snd_mss : 536u;
  uint64_t segs_bytes = 10u * (uint64_t)mss;
  uint64_t want = 2u * (tcb->cwnd_bytes > segs_bytes ? tcb->cwnd_bytes : segs_bytes);
  if (want > st->cfg.tcp_max_buf) want = st->cfg.tcp_max_buf;
  if (want > b->cap) b->cap = (uint32_t)want;
}
