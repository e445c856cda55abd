/* Why the sender is busy, timed as Linux's tcp_chrono does for tcp_info (tcpi_busy_time,
 * tcpi_rwnd_limited, tcpi_sndbuf_limited): while data is queued or in flight the connection
 * is busy; it is receive-window limited while the peer's window stops new data, and send-buffer
 * limited while it has sent everything queued, data is in flight, and the application was refused
 * room (Linux: "runs out of new data to send due to insufficient send buffer while still busy
 * delivering"), until an ACK makes room. One reason is timed at a time, the higher-ranked one
 * (sndbuf over rwnd over busy); busy time is the sum of all three. */
#include "tcp_internal.h"

static void chrono_set(synack_tcb_t *tcb, uint8_t type, synack_time_t now) {
  if (tcb->chrono_type != SYNACK_CHRONO_UNSPEC && now > tcb->chrono_start)
    tcb->chrono_us[tcb->chrono_type - 1u] += now - tcb->chrono_start;
  tcb->chrono_start = now;
  tcb->chrono_type = type;
}

void synack_tcp_chrono_start(synack_tcb_t *tcb, uint8_t type, synack_time_t now) {
  if (type > tcb->chrono_type) chrono_set(tcb, type, now);
}

void synack_tcp_chrono_stop(synack_tcb_t *tcb, uint8_t type, synack_time_t now) {
  /* Linux's tcp_rtx_and_write_queues_empty: nothing queued, nothing in flight */
  if (tcb->sb.len == 0 && seq_eq(tcb->snd_una, tcb->snd_max)) chrono_set(tcb, SYNACK_CHRONO_UNSPEC, now);
  else if (type == tcb->chrono_type) chrono_set(tcb, SYNACK_CHRONO_BUSY, now);
}

void synack_tcp_chrono_read(const synack_tcb_t *tcb, synack_time_t now, uint64_t *busy, uint64_t *rwnd, uint64_t *sndbuf) {
  uint64_t v[3];
  for (unsigned i = 0; i < 3; i++) v[i] = tcb->chrono_us[i];
  if (tcb->chrono_type != SYNACK_CHRONO_UNSPEC && now > tcb->chrono_start) v[tcb->chrono_type - 1u] += now - tcb->chrono_start;
  *busy = v[0] + v[1] + v[2];
  *rwnd = v[SYNACK_CHRONO_RWND_LIMITED - 1];
  *sndbuf = v[SYNACK_CHRONO_SNDBUF_LIMITED - 1];
}

void synack_tcp_chrono_sndbuf_check(synack_tcb_t *tcb, synack_time_t now) {
  if (!(tcb->flags & TF_NOSPACE)) return;
  bool all_sent = !seq_lt(tcb->snd_nxt, seq_add(tcb->snd_buf_seq, tcb->sb.len));
  if (all_sent && seq_gt(tcb->snd_max, tcb->snd_una)) synack_tcp_chrono_start(tcb, SYNACK_CHRONO_SNDBUF_LIMITED, now);
}

void synack_tcp_chrono_nospace(synack_tcb_t *tcb, synack_time_t now) {
  tcb->flags |= TF_NOSPACE;
  synack_tcp_chrono_sndbuf_check(tcb, now);
}
