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
