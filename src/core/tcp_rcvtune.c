/* Receive-buffer autotuning (dynamic right-sizing, as Linux's tcp_rcv_space_adjust).
 *
 * A connection starts with cfg.tcp_rcvbuf and, unless the application fixed SO_RCVBUF, grows it
 * toward cfg.tcp_max_buf when the application keeps up: once per RTT the bytes it read in that
 * RTT are compared with the most read in one RTT so far, and when they grew the buffer becomes
 * twice that plus 16 segments (Linux: 2 * copied + 16 * advmss), so the window offers one RTT
 * of growth on top of the rate measured, enough for the sender's slow start to keep doubling.
 * Memory follows the data (tcp_buf.c): a large buffer costs nothing until bytes fill it.
 *
 * The RTT is the connection's smoothed RTT (from the handshake on a receiver that sends no
 * data). Buffers never shrink; under memory pressure (tcp_mem.c) they stop growing. The window
 * scale was fixed from tcp_max_buf at the handshake, so the larger window can be said. */
#include "tcp_internal.h"

void synack_tcp_rcv_space_adjust(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (!st->cfg.tcp_rcvbuf_auto || (tcb->flags & TF_RCVBUF_LOCK) || tcb->srtt_us == 0) return;
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  if (tcb->rcvq_time == 0) { /* the first measurement starts at the first read */
    tcb->rcvq_time = now;
    tcb->rcvq_copied = tcb->bytes_read;
    /* Linux's tcp_init_buffer_space: the initial window of TCP_INIT_CWND segments. */
    tcb->rcvq_space = 10u * mss;
    return;
  }
  if (now - tcb->rcvq_time < tcb->srtt_us) return;
  uint64_t copied = tcb->bytes_read - tcb->rcvq_copied;
  tcb->rcvq_copied = tcb->bytes_read;
  tcb->rcvq_time = now;
  if (copied <= tcb->rcvq_space) return;
  tcb->rcvq_space = copied > UINT32_MAX ? UINT32_MAX : (uint32_t)copied;
  if (synack_tcp_mem_under_pressure(st)) return;
  uint64_t want = 2 * copied + 16u * (uint64_t)mss;
  if (want > st->cfg.tcp_max_buf) want = st->cfg.tcp_max_buf;
  if (want > tcb->rb.cap) {
    tcb->rb.cap = (uint32_t)want;
    tcb->rcvbuf_cap = (uint32_t)want;
    tcb->rb.slack = synack_tcp_rcv_slack(tcb);
    synack_count(st, SYNACK_CTR_TCP_RCVBUF_GROWN);
  }
  /* cfg.tcp_rcvwnd LINUX offers less than the buffer holds: its window follows (tcp_rcvwnd.c). */
  synack_tcp_rcv_lx_autotuned(st, tcb, (uint32_t)want);
}
