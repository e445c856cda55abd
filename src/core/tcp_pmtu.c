/* Path MTU discovery on the sending side (RFC 1191 for IPv4, RFC 8201 for IPv6): a validated
 * "fragmentation needed" / "packet too big" (tcp_input.c checks the quoted sequence number per
 * RFC 5927 §4.1 first) lowers the connection's MSS, and the data in flight, which was too big
 * for the path and therefore lost, is sent again at once at the new size.
 *
 * Floors: IPv6 never goes below its minimum link MTU of 1280 (RFC 8201 §4). For IPv4 we do not
 * follow a report below cfg.tcp_min_pmtu, by default 576 bytes, the datagram size every host
 * must accept (RFC 791, RFC 1122 §3.3.3): RFC 1191 would allow 68, but honouring tiny values
 * lets a forged ICMP message make a connection send 28-byte segments (RFC 5927 §7 discusses
 * this attack); Linux's floor is 552 (the linux preset's). A report without an MTU (0, from an old router) is treated as
 * the next lower plateau of RFC 1191 §7 below the current packet size. */
#include "tcp_internal.h"

static const uint16_t plateaus[] = { 65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68 };

void synack_tcp_pmtu_update(synack_stack_t *st, synack_tcb_t *tcb, uint32_t mtu, synack_time_t now) {
  bool v6 = tcb->node.t.family == SYNACK_AF_INET6;
  uint32_t ip = v6 ? 40u : 20u;
  uint32_t opt = ((tcb->flags & TF_TS_OK) ? 12u : 0u) + synack_tcp_sig_optlen(tcb);
  uint32_t cur = tcb->snd_mss + opt + ip + SYNACK_TCP_HDR_LEN; /* our current packet size */
  if (mtu == 0 && !v6) {
    for (size_t i = 0; i < sizeof plateaus / sizeof plateaus[0]; i++)
      if (plateaus[i] < cur) { mtu = plateaus[i]; break; }
  }
  uint32_t floor = v6 ? 1280u : st->cfg.tcp_min_pmtu;
  if (mtu < floor) mtu = floor;
  if (mtu >= cur) return; /* not smaller than what we send: nothing to do (RFC 1191 §6.3) */
  uint32_t mss = mtu - ip - SYNACK_TCP_HDR_LEN - opt;
  tcb->snd_mss = (uint16_t)mss;
  synack_tcp_trace_note(st, tcb->sock, &tcb->node.t, "path MTU lowered");
  /* The segments in flight were larger than the path allows: they are lost. Send them again at
   * the new size now, without a congestion response (RFC 1191 §6.4: not a sign of congestion);
   * Karn: no RTT sample from them. */
  if (seq_gt(tcb->snd_max, tcb->snd_una) && synack_tcp_state_synchronized(tcb->state)) {
    tcb->flags &= ~(uint64_t)TF_RTT_TIMING;
    /* Go back N from SND.UNA (as after a timeout, SACKed data skipped, no new fast recovery
     * for this window of data). */
    if (tcb->rec.mode != SYNACK_REC_OPEN) synack_rec_on_rto(st, tcb, now);
    tcb->snd_nxt = tcb->snd_una;
    synack_tcp_output(st, tcb, now);
  }
}
