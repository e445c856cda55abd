/* Urgent data: the urgent pointer sent and received (RFC 9293 §3.8.5, §3.10.7.4 sixth step;
 * RFC 6093), with the socket semantics programs expect from Linux (and BSD):
 *   - send(MSG_OOB): the data of the call ends the urgent data; SND.UP is the sequence number
 *     of the byte after it (RFC 9293 MUST-31, RFC 6093 §2); every segment that starts before
 *     SND.UP carries URG and the offset to it, until SND.UP is acknowledged;
 *   - on receipt, the pointer names the byte before it (RFC 6093): that one byte is taken out of
 *     the stream ("out of band") unless SO_OOBINLINE, and recv(MSG_OOB) returns it; a read stops
 *     at the mark (SIOCATMARK), so the application learns where the urgent data ends (MUST-32:
 *     SYNACK_EV_URGENT tells it asynchronously that urgent data came).
 * docs/tcp-choices.md "Urgent data" gives the choices. */
#include <string.h>

#include "tcp_internal.h"

/* The sequence number of the next byte the application reads. */
static synack_seq_t copied_seq(const synack_tcb_t *tcb) {
  uint32_t fin = (tcb->flags & TF_RCVD_FIN) ? 1u : 0u;
  return seq_sub(tcb->rcv_nxt, tcb->rb.len + fin);
}

/* Offset of the urgent byte in the receive ring, or -1 when it is not there. */
static int32_t mark_offset(const synack_tcb_t *tcb) {
  if (tcb->urg_state == SYNACK_URG_NONE || tcb->urg_state == SYNACK_URG_NOTYET) return -1;
  int32_t m = seq_diff(tcb->rcv_up, copied_seq(tcb));
  return m >= 0 && (uint32_t)m < tcb->rb.len ? m : -1;
}

void synack_tcp_urg_send(synack_tcb_t *tcb) {
  tcb->snd_up = seq_add(tcb->snd_buf_seq, tcb->sb.len);
  tcb->flags |= TF_URG_MODE;
}

void synack_tcp_urg_tx(const synack_tcb_t *tcb, synack_seq_t seq, uint8_t *flags, uint16_t *urgent) {
  if (!(tcb->flags & TF_URG_MODE) || !seq_lt(seq, tcb->snd_up)) return;
  /* RFC 9293 §3.8.5: the pointer is an offset from the segment's sequence number; a mark more
   * than 64 KiB ahead is announced with the largest offset (RFC 6093 §5, Linux: 0xFFFF) so that
   * the receiver enters urgent mode early, but only while the offset stays inside what has been
   * sent (a pointer beyond SND.NXT + 64 KiB would name a byte not yet there). */
  int32_t d = seq_diff(tcb->snd_up, seq);
  if (d < 0x10000) {
    *urgent = (uint16_t)d;
    *flags |= SYNACK_TCP_URG;
  } else if (seq_gt(seq_add(seq, 0xFFFF), tcb->snd_nxt)) {
    *urgent = 0xFFFF;
    *flags |= SYNACK_TCP_URG;
  }
}

void synack_tcp_urg_acked(synack_tcb_t *tcb) {
  if ((tcb->flags & TF_URG_MODE) && seq_ge(tcb->snd_una, tcb->snd_up)) tcb->flags &= ~(uint64_t)TF_URG_MODE;
}

void synack_tcp_urg_input(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg) {
  /* RFC 6093 §2 (and RFC 9293 MUST-31): the pointer points to the byte *after* the urgent data,
   * so the urgent byte is SEG.SEQ + pointer − 1 (a zero pointer, as Linux reads it: SEG.SEQ). */
  uint16_t up = seg->r.urgent;
  synack_seq_t ptr = seq_add(seg->seq, up ? up - 1u : 0u);
  synack_seq_t copied = copied_seq(tcb);
  if (seq_lt(ptr, copied)) return;        /* already read */
  if (seq_lt(ptr, tcb->rcv_nxt)) return;  /* an old pointer repeated (a retransmission) */
  if (tcb->urg_state != SYNACK_URG_NONE && !seq_gt(ptr, tcb->rcv_up)) return; /* known already */
  /* A new pointer while the previous out-of-band byte sits unread at the head of the stream:
   * that byte is dropped (Linux tcp_check_urg), otherwise it would come back as ordinary data. */
  if (tcb->urg_state != SYNACK_URG_NONE && !(tcb->flags & TF_OOBINLINE) && seq_eq(tcb->rcv_up, copied) &&
      tcb->rb.len > 0) {
    uint8_t x;
    synack_rcvbuf_read(st, &tcb->rb, &x, 1, false);
  }
  tcb->rcv_up = ptr;
  tcb->urg_state = SYNACK_URG_NOTYET;
  /* RFC 9293 MUST-32: tell the application at once (Linux's SIGURG). */
  synack_tcp_post(st, tcb, SYNACK_EV_URGENT, 0);
  synack_count(st, SYNACK_CTR_TCP_URG_IN);
}

void synack_tcp_urg_delivered(synack_stack_t *st, synack_tcb_t *tcb) {
  if (tcb->urg_state != SYNACK_URG_NOTYET) return;
  int32_t m = seq_diff(tcb->rcv_up, copied_seq(tcb));
  if (m < 0 || (uint32_t)m >= tcb->rb.len) return;
  tcb->urg_state = SYNACK_URG_VALID;
  synack_tcp_post(st, tcb, SYNACK_EV_URGENT, 0); /* recv(MSG_OOB) has a byte to return now */
}

uint32_t synack_tcp_rcv_avail(const synack_tcb_t *tcb) {
  /* Linux tcp_poll: at the mark, the out-of-band byte alone does not make the socket readable. */
  if (!(tcb->flags & TF_OOBINLINE) && mark_offset(tcb) == 0) return tcb->rb.len - 1u;
  return tcb->rb.len;
}

void synack_tcp_urg_read_plan(const synack_tcb_t *tcb, uint32_t *skip, uint32_t *limit) {
  *skip = 0;
  *limit = tcb->rb.len;
  int32_t m = mark_offset(tcb);
  if (m < 0) return;
  if (m > 0) {
    *limit = (uint32_t)m; /* a read stops at the mark: the application sees where it is */
  } else if (!(tcb->flags & TF_OOBINLINE)) {
    *skip = 1; /* the out-of-band byte is not part of the stream */
    *limit = tcb->rb.len - 1u;
  }
}

void synack_tcp_urg_consumed(synack_tcb_t *tcb) {
  if (tcb->urg_state == SYNACK_URG_NONE || tcb->urg_state == SYNACK_URG_NOTYET) return;
  if (seq_gt(copied_seq(tcb), tcb->rcv_up)) tcb->urg_state = SYNACK_URG_NONE;
}

int64_t synack_tcp_urg_recv(synack_tcb_t *tcb, void *buf, size_t len, int flags, int *msg_flags) {
  /* Linux tcp_recv_urg, including its errnos: EINVAL when there is no out-of-band byte to take
   * (inline, none, or taken already); EAGAIN while it is announced but not here yet (this call
   * never waits, on any socket). */
  if ((tcb->flags & TF_OOBINLINE) || tcb->urg_state == SYNACK_URG_NONE || tcb->urg_state == SYNACK_URG_READ)
    return -SYNACK_EINVAL;
  if (tcb->urg_state == SYNACK_URG_VALID) {
    int32_t m = mark_offset(tcb);
    if (m < 0) return -SYNACK_EINVAL;
    *msg_flags |= SYNACK_MSG_OOB;
    if (len == 0) return 0;
    if (!buf) return -SYNACK_EFAULT;
    synack_rcvbuf_peek_at(&tcb->rb, (uint32_t)m, buf, 1);
    if (!(flags & SYNACK_MSG_PEEK)) tcb->urg_state = SYNACK_URG_READ;
    return 1;
  }
  if (tcb->state == SYNACK_TCP_CLOSED || (tcb->flags & (TF_RCVD_FIN | TF_SHUT_RD))) return 0;
  return -SYNACK_EAGAIN;
}

bool synack_tcp_urg_atmark(const synack_tcb_t *tcb) {
  return tcb->urg_state != SYNACK_URG_NONE && seq_eq(tcb->rcv_up, copied_seq(tcb));
}

uint32_t synack_tcp_inq(const synack_tcb_t *tcb) {
  /* Linux tcp_inq: with an out-of-band byte pending in the stream, the bytes before it. */
  if (!(tcb->flags & TF_OOBINLINE) && tcb->urg_state != SYNACK_URG_NONE) {
    int32_t m = seq_diff(tcb->rcv_up, copied_seq(tcb));
    if (m >= 0 && (uint32_t)m < tcb->rb.len) return (uint32_t)m;
  }
  return tcb->rb.len;
}
