/* The checks every synchronized connection makes before it looks at the ACK field: RFC 9293
 * §3.10.7.4 steps 1 (sequence acceptability, with PAWS, RFC 7323 §5), 2 (RST, with RFC 5961
 * §3.2's exact match) and 4 (SYN, RFC 5961 §4.2), and the rate limits of the ACKs they answer
 * with (RFC 5961 §7, Linux's tcp_invalid_ratelimit). Full TCBs (tcp_input.c), half-open entries
 * (tcp_listen.c) and TIME-WAIT entries (tcp_timewait.c) describe themselves in a
 * synack_tcp_view_t and act on the verdict with the answer their own form allows, so a rule
 * lives here once. */
#include "tcp_internal.h"

/* RFC 7323 §5.5: a TS.Recent not refreshed for 24 days is invalid. */
#define PAWS_IDLE_S (24u * 86400u)

/* How many ticks of the peer's timestamp clock a segment may lag TS.Recent and still pass PAWS
 * (a deliberate choice, docs/tcp-choices.md; Linux's TCP_PAWS_WINDOW). RFC 7323 §5.3 R1 drops
 * any SEG.TSval < TS.Recent. But TS.Recent moves whenever a segment fills the hole at RCV.NXT
 * (§4.3), and on a reordering path that segment is often a retransmission, sent after the
 * original segments still in flight above it: those arrive one tick older than TS.Recent, and
 * the strict rule drops them. A dropped new segment is a loss the sender must repair again; a
 * dropped late original below RCV.NXT gets an ACK, but the sender, never hearing that its
 * retransmission arrived as a spare, does not learn of the reordering (RFC 8985 §6.2 grows
 * the reordering window on D-SACKs). Traced: the kernel sending to synack through 3 %
 * reordering, 42 segments refused by PAWS per 5 MB and 3-5 times the kernel receiver's
 * retransmissions. One tick is far below any wrap of the sequence space PAWS guards against
 * (RFC 7323 §5.8: at least 1 ms per tick). */
#define PAWS_WINDOW 1

static uint32_t now_s(synack_time_t now) { return (uint32_t)(now / 1000000u); }

bool synack_tcp_seq_acceptable(synack_seq_t rcv_nxt, uint32_t wnd, synack_seq_t seq, uint32_t seg_len) {
  /* RFC 9293 §3.10.7.4 first step: the four cases of segment length and window. */
  synack_seq_t hi = seq_add(rcv_nxt, wnd);
  if (seg_len == 0) return wnd == 0 ? seq_eq(seq, rcv_nxt) : seq_in(seq, rcv_nxt, hi);
  if (wnd == 0) return false;
  return seq_in(seq, rcv_nxt, hi) || seq_in(seq_add(seq, seg_len - 1), rcv_nxt, hi);
}

/* cfg.tcp_seq_right_edge: Linux's judgement of the window's right side, given the RFC's verdict
 * `rfc_ok`. A SYN keeps the RFC's verdict (Linux answers one there with the same ACK, RFC 5961
 * §4.2's challenge). */
static bool right_edge_ok(const synack_tcp_view_t *v, const synack_seg_t *seg, bool rfc_ok) {
  synack_seq_t limit = seq_add(v->rcv_nxt, v->rcv_wnd);
  if (seq_gt(seg->seq, limit)) return rfc_ok;
  /* tcp_sequence's `!after(seq, rcv_nxt + window)`, tcp_in_window's `seq == e_win`: a segment
   * starting exactly at the edge passes the first check (its ACK field counts); the text or FIN
   * it carries lies beyond the window and is dropped later. */
  bool at_edge = seq_eq(seg->seq, limit);
  if (seg->seg_len == 0) return rfc_ok || at_edge;
  if (v->right_edge == SYNACK_EDGE_ZERO_LEN) return rfc_ok; /* request sockets: text never */
  /* tcp_sequence (6.18, as the kernel target showed): text reaching beyond the edge is acceptable only while nothing
   * waits in the receive queue (unread data, or a FIN not yet read); a FIN just beyond the edge
   * does not count. */
  uint32_t fin = (seg->flags & SYNACK_TCP_FIN) ? 1u : 0u;
  synack_seq_t end = seq_add(seg->seq, seg->seg_len - fin);
  if (!seq_gt(end, limit)) return rfc_ok || at_edge;
  return (rfc_ok || at_edge) && !v->rcvq_busy;
}

bool synack_tcp_paws_old(const synack_tcp_view_t *v, const synack_seg_t *seg, synack_time_t now) {
  const synack_tcp_opts_t *o = &seg->r.opts;
  /* RFC 7323 §5.3 R1: only segments with a timestamp, and never a RST. */
  if (!v->ts_ok || !(o->present & SYNACK_TCPOPT_HAS_TS) || (seg->flags & SYNACK_TCP_RST)) return false;
  if ((int32_t)(o->ts_val - v->ts_recent) >= -PAWS_WINDOW) return false;
  /* RFC 7323 §5.5: an invalid TS.Recent lets the segment pass (its TSval then replaces it). */
  return now_s(now) - v->ts_recent_s < PAWS_IDLE_S;
}

bool synack_tcp_ts_recent_expired(uint32_t ts_recent_s, synack_time_t now) {
  return now_s(now) - ts_recent_s >= PAWS_IDLE_S;
}

bool synack_tcp_fin_again(const synack_tcp_view_t *v, const synack_seg_t *seg, synack_time_t now) {
  /* The FIN occupies RCV.NXT - 1 exactly (a retransmission may repeat data before it). */
  if ((seg->flags & (SYNACK_TCP_FIN | SYNACK_TCP_SYN | SYNACK_TCP_RST)) != SYNACK_TCP_FIN) return false;
  if (!seq_eq(seq_add(seg->seq, seg->len), seq_sub(v->rcv_nxt, 1))) return false;
  return !synack_tcp_paws_old(v, seg, now);
}

synack_check_t synack_tcp_check(synack_stack_t *st, const synack_tcp_view_t *v, const synack_seg_t *seg,
                                synack_time_t now) {
  bool rst = (seg->flags & SYNACK_TCP_RST) != 0;
  if (rst && v->rst_ignored) {
    /* RFC 1337 §3 (TIME-WAIT assassination, fix TWA1): every RST is ignored in TIME-WAIT. */
    synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0);
    return SYNACK_CHECK_DROP;
  }
  if (rst && v->rst_at_fin && seq_eq(seg->seq, seq_sub(v->rcv_nxt, 1))) {
    /* cfg.tcp_rst_at_fin (Linux's tcp_reset_check): after the peer's FIN, a RST at the FIN's
     * own sequence number (a peer that does not count its FIN) resets the connection; RFC 9293
     * §3.10.7.4 would drop it as left of the window. */
    return SYNACK_CHECK_RST;
  }
  if (rst && v->rst_exact && st->cfg.tcp_rfc5961_rst && !seq_eq(seg->seq, v->rcv_nxt)) {
    /* cfg.tcp_tw_rst_exact (Linux's tcp_timewait_state_process): in TIME-WAIT only a RST at
     * exactly RCV.NXT counts; any other is dropped unanswered. RFC 5961 §3.2 would send a
     * challenge ACK for one in the window; after the peer's FIN nothing can be resynchronised,
     * and a silent drop gives a blind attacker no answer to count. It replaces §3.2 only: with
     * RFC 5961 off, RFC 793's rule (a RST in the window resets) stays. */
    synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0);
    return SYNACK_CHECK_DROP;
  }
  if (synack_tcp_paws_old(v, seg, now)) {
    /* RFC 7323 §5.3 R1: older than TS.Recent: an old duplicate. ACK and drop. */
    synack_drop(st, SYNACK_DROP_TCP_PAWS, NULL, 0);
    return SYNACK_CHECK_PAWS;
  }
  /* cfg.tcp_seq_end_at_rcv_nxt (Linux's tcp_sequence tests the segment's end against RCV.NXT,
   * not its last octet): a segment of old text or FIN ending exactly at RCV.NXT is acceptable,
   * so its ACK field counts; step 7 then finds no new text (RFC 9293 §3.10.7.4 would reject
   * it at the first step and answer with an ACK). Not for a SYN or RST: Linux answers those
   * with the same ACK either way (RFC 5961 §4.2 challenge, or the first step's ACK). */
  bool end_ok = v->end_at_rcv_nxt && seg->seg_len > 0 && !(seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST)) &&
                seq_eq(seq_add(seg->seq, seg->seg_len), v->rcv_nxt);
  bool ok = end_ok || synack_tcp_seq_acceptable(v->rcv_nxt, v->rcv_wnd, seg->seq, seg->seg_len);
  if (v->right_edge != SYNACK_EDGE_RFC && !(seg->flags & SYNACK_TCP_SYN)) ok = right_edge_ok(v, seg, ok);
  if (!ok) {
    /* RFC 9293 §3.10.7.4 first: an unacceptable segment gets an ACK (a RST nothing). */
    synack_drop(st, rst ? SYNACK_DROP_TCP_RST_INVALID : SYNACK_DROP_TCP_OUT_OF_WINDOW, NULL, 0);
    return rst ? SYNACK_CHECK_DROP : SYNACK_CHECK_OOW;
  }
  if (rst) {
    if (st->cfg.tcp_rfc5961_rst && !seq_eq(seg->seq, v->rcv_nxt)) {
      /* RFC 5961 §3.2: in the window but not exactly at RCV.NXT: challenge ACK, drop. */
      synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0);
      return SYNACK_CHECK_CHALLENGE;
    }
    return SYNACK_CHECK_RST; /* RFC 9293 §3.10.7.4 second */
  }
  if (seg->flags & SYNACK_TCP_SYN) {
    /* RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK and is dropped;
     * without it, RFC 793: a SYN in the window is an error that resets the connection. */
    return st->cfg.tcp_rfc5961_syn ? SYNACK_CHECK_CHALLENGE : SYNACK_CHECK_SYN_RESET;
  }
  return SYNACK_CHECK_PASS;
}

/* Per connection: at most one answer to invalid segments per tcp_invalid_ratelimit_ms (Linux's
 * tcp_invalid_ratelimit). A segment that carries data or a FIN is exempt, as in Linux: it is
 * not part of an ACK loop (two stacks answering each other's pure ACKs), and its sender needs
 * the duplicate ACK or D-SACK. *last_ms holds the time of the last answer plus one (0 = never). */
static bool oow_allowed(const synack_stack_t *st, const uint32_t *last_ms, const synack_seg_t *seg, synack_time_t now) {
  /* Linux's tcp_oow_rate_limited: a segment carrying data (not a SYN) is no part of an ACK
   * loop, and a peer retransmitting data we already hold needs its duplicate ACK (D-SACK).
   * A bare FIN is limited: the one FIN that needs an answer, the peer's retransmitted FIN in
   * TIME-WAIT, is recognised and answered before this check (synack_tcp_fin_again), and
   * a blind attacker must not get one ACK per forged FIN. */
  if (seg && seg->len > 0 && !(seg->flags & SYNACK_TCP_SYN)) return true;
  uint32_t ms = (uint32_t)(now / 1000u) + 1u;
  return !*last_ms || ms - *last_ms >= st->cfg.tcp_invalid_ratelimit_ms;
}

/* An answer goes out: the connection's period starts now. */
static void oow_sent(uint32_t *last_ms, synack_time_t now) { *last_ms = (uint32_t)(now / 1000u) + 1u; }

/* Per stack (RFC 5961 §7): at most about tcp_challenge_ack_limit challenge ACKs a second. The
 * budget of each second is drawn at random in [limit/2, limit + limit/2) (as Linux does), so an
 * attacker cannot count the ACKs the stack still has to infer that a guess hit the window
 * (CVE-2016-5696). */
static bool stack_challenge_allowed(synack_stack_t *st, synack_time_t now) {
  struct synack_tcp *tcp = st->tcp;
  uint32_t limit = st->cfg.tcp_challenge_ack_limit;
  if (limit == 0) return true;
  uint32_t sec = now_s(now) + 1u;
  if (tcp->chal_sec != sec) {
    uint32_t half = (limit + 1u) / 2u;
    tcp->chal_sec = sec;
    tcp->chal_left = half + synack_random_u32(st) % limit;
  }
  if (tcp->chal_left == 0) return false;
  tcp->chal_left--;
  return true;
}

bool synack_tcp_answer_allowed(synack_stack_t *st, synack_check_t verdict, uint32_t *last_ms, const synack_seg_t *seg,
                               synack_time_t now) {
  if (verdict == SYNACK_CHECK_CHALLENGE) {
    if (!oow_allowed(st, last_ms, NULL, now) || !stack_challenge_allowed(st, now)) {
      synack_drop(st, SYNACK_DROP_TCP_CHALLENGE_RATE, NULL, 0);
      return false;
    }
    oow_sent(last_ms, now);
    synack_count(st, SYNACK_CTR_TCP_CHALLENGE_ACKS);
    return true;
  }
  if (!oow_allowed(st, last_ms, seg, now)) {
    synack_count(st, SYNACK_CTR_TCP_INVALID_ACKS_SKIPPED);
    return false;
  }
  if (!seg || seg->len == 0 || (seg->flags & SYNACK_TCP_SYN)) oow_sent(last_ms, now);
  return true;
}
