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

/* cfg.tcp_sndbuf_linux: Linux's tcp_sndbuf_expand in its memory units, for the value SO_SNDBUF
 * reads back: per segment, the largest segment (the peer's MSS) plus Linux's header room and
 * shared info (taken as 512 bytes) rounded up to a power of two, plus the skb (256); twice
 * max(10, cwnd) segments, at most tcp_max_buf. As measured with drill --target=kernel: 2304 per
 * segment for MSS 1000 and 1460 (46080 at the start), 1280 for 500 (25600). */
static uint32_t lx_sndmem(const synack_stack_t *st, const synack_tcb_t *tcb, bool with_cwnd) {
  uint32_t mss = tcb->snd_mss ? tcb->snd_mss : 536u;
  if (tcb->flags & TF_TS_OK) mss += 12u; /* mss_clamp: the MSS before the options */
  uint32_t per = 1;
  while (per < mss + 512u) per <<= 1;
  per += 256u;
  uint32_t segs = with_cwnd && tcb->snd_mss ? tcb->cwnd_bytes / tcb->snd_mss : 0;
  if (segs < 10) segs = 10; /* TCP_INIT_CWND */
  uint64_t v = 2u * (uint64_t)segs * per;
  return v > st->cfg.tcp_max_buf ? st->cfg.tcp_max_buf : (uint32_t)v;
}

uint32_t synack_tcp_sndbuf_linux_report(const synack_stack_t *st, const synack_tcb_t *tcb) {
  if (tcb->lx_sndbuf) return tcb->lx_sndbuf;
  /* tcp_init_buffer_space at the handshake's end expands the default once, for the initial
   * window (cwnd is TCP_INIT_CWND then; later growth needs a full buffer: lx_sndbuf_expand) */
  bool opened = (synack_tcp_state_synchronized(tcb->state) && tcb->state != SYNACK_TCP_SYN_RECEIVED) ||
                (tcb->flags & TF_CONNECTED);
  uint32_t v = st->cfg.tcp_sndbuf_linux;
  if (opened && lx_sndmem(st, tcb, false) > v) v = lx_sndmem(st, tcb, false);
  return v;
}

/* Linux's tcp_new_space: after an ACK freed room, a socket whose writer found the buffer full
 * expands again to the current cwnd, unless memory is short or cwnd is all in flight. */
static void lx_sndbuf_expand(synack_stack_t *st, synack_tcb_t *tcb) {
  if (!(tcb->flags & TF_SNDBUF_NOSPACE)) return;
  uint32_t flight = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
  if (!st->tcp->mem_pressure && flight < tcb->cwnd_bytes) {
    uint32_t now = synack_tcp_sndbuf_linux_report(st, tcb), want = lx_sndmem(st, tcb, true);
    tcb->lx_sndbuf = want > now ? want : now;
  }
  if (synack_sndbuf_room(&tcb->sb) > 0) tcb->flags &= ~(uint64_t)TF_SNDBUF_NOSPACE;
}

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
  if (st->cfg.tcp_sndbuf_linux) lx_sndbuf_expand(st, tcb);
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
