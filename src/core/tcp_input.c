/* Segment arrival, in the order of RFC 9293 §3.10.7: a segment for no connection (CLOSED),
 * for a listener (tcp_listen.c), for a SYN-SENT socket, and the ordered steps that every
 * synchronized state shares. Each step returns STEP_NEXT to go on, STEP_STOP when the segment
 * is consumed, STEP_GONE when the TCB was freed (nothing may touch it afterwards). */
#include <stddef.h>
#include <string.h>

#include "tcp_internal.h"

enum { STEP_GONE = -1, STEP_STOP = 0, STEP_NEXT = 1 };

static uint32_t now_s(synack_time_t now) { return (uint32_t)(now / 1000000u); }

/* ---------- shared helpers ---------- */

void synack_tcp_set_mss(synack_stack_t *st, synack_tcb_t *tcb) {
  uint16_t route = synack_tcp_route_mss(st, &tcb->node.t);
  uint32_t mss = tcb->peer_mss ? tcb->peer_mss : synack_tcp_default_mss(st, tcb->node.t.family);
  if (mss > route) mss = route;
  if (tcb->user_mss && mss > tcb->user_mss) mss = tcb->user_mss;
  /* RFC 6691: the MSS counts the fixed header only; options come out of it. */
  if (tcb->flags & TF_TS_OK) mss -= 12;
  mss -= synack_tcp_sig_optlen(tcb); /* RFC 2385 NOP, NOP, kind 19 (Linux); RFC 5925 kind 29 */
  if (mss < 64) mss = 64;
  tcb->snd_mss = (uint16_t)mss;
  synack_tcp_cc_init(st, tcb, st->now); /* RFC 6928 initial window (tcp_cc.c) */
}

void synack_tcp_apply_syn_opts(synack_stack_t *st, synack_tcb_t *tcb, const synack_tcp_opts_t *o) {
  /* RFC 7323 §2.2, §3.2 and RFC 2018 §2: an option is in use only when both SYNs carried it. */
  if ((tcb->flags & TF_TS_OK) && (o->present & SYNACK_TCPOPT_HAS_TS)) {
    tcb->ts_recent = o->ts_val;
    tcb->ts_recent_s = now_s(st->now);
  } else {
    tcb->flags &= ~(uint64_t)TF_TS_OK;
  }
  if ((tcb->flags & TF_WS_OK) && (o->present & SYNACK_TCPOPT_HAS_WSCALE)) {
    /* RFC 7323 §2.3: a shift above 14 is used as 14. */
    tcb->snd_wscale = o->wscale > 14 ? 14 : o->wscale;
  } else {
    tcb->flags &= ~(uint64_t)TF_WS_OK;
    tcb->snd_wscale = tcb->rcv_wscale = 0;
  }
  if (!(o->present & SYNACK_TCPOPT_HAS_SACK_PERM)) tcb->flags &= ~(uint64_t)TF_SACK_OK;
  tcb->peer_mss = (o->present & SYNACK_TCPOPT_HAS_MSS) ? o->mss : synack_tcp_default_mss(st, tcb->node.t.family);
  synack_tcp_set_mss(st, tcb);
  synack_tcp_rcvbuf_round(st, tcb);
}

void synack_tcp_rcvbuf_round(synack_stack_t *st, synack_tcb_t *tcb) {
  if (!st->cfg.tcp_rcvbuf_round_mss || synack_rcvbuf_holds(&tcb->rb)) return;
  /* FreeBSD tcp_mss(): once the peer's MSS is known, the receive buffer grows to a whole
   * number of segments of min(peer's MSS, ours), options not deducted, within the largest
   * buffer (SO_RCVBUF 65536 becomes 65700 with MSS 1460). */
  uint32_t mss = tcb->peer_mss ? tcb->peer_mss : synack_tcp_default_mss(st, tcb->node.t.family);
  if (tcb->rcv_mss && mss > tcb->rcv_mss) mss = tcb->rcv_mss;
  uint32_t cap = tcb->rcvbuf_cap;
  if (cap <= mss) return;
  uint64_t up = ((uint64_t)cap + mss - 1) / mss * mss;
  if (up > st->cfg.tcp_max_buf) up = st->cfg.tcp_max_buf;
  if (up > tcb->rb.cap) tcb->rb.cap = (uint32_t)up;
}

static bool fin_acked(const synack_tcb_t *tcb) {
  return (tcb->flags & TF_FIN_QUEUED) && seq_gt(tcb->snd_una, tcb->fin_seq);
}

/* ---------- CLOSED (RFC 9293 §3.10.7.1) ---------- */
static void input_closed(synack_stack_t *st, synack_seg_t *seg) {
  /* RFC 9293 §3.10.7.1: everything is discarded; anything but a RST is answered by a RST. */
  synack_drop(st, SYNACK_DROP_TCP_NO_SOCKET, NULL, 0);
  synack_tcp_reply_rst(st, seg);
}

/* ---------- SYN-SENT (RFC 9293 §3.10.7.3) ---------- */
static int step_data(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now);
static int step_fin(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now);

/* The text of a crossing SYN, held in the ring right after RCV.NXT (not committed: neither
 * readable nor acknowledged) as far as the buffer has room. */
static void hold_syn_text(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg) {
  uint32_t n = seg->len;
  uint32_t space = synack_rcvbuf_space(&tcb->rb);
  if (n > space) n = space;
  if (n > 0xffffu) n = 0xffffu;
  if (n == 0) return;
  if (!synack_rcvbuf_holds(&tcb->rb)) tcb->rb.slack = synack_tcp_rcv_slack(tcb); /* as tcp_rcv.c sizes the ring */
  if (synack_rcvbuf_reserve(st, &tcb->rb, 0, n) < 0) return;
  synack_rcvbuf_place(&tcb->rb, 0, seg->r.payload, n);
  tcb->syn_held = (uint16_t)n;
}

/* ESTABLISHED after a simultaneous open: the held SYN text becomes in-order data. */
static void deliver_syn_text(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  uint32_t n = tcb->syn_held;
  if (n == 0) return;
  tcb->syn_held = 0;
  synack_rcvbuf_commit(&tcb->rb, n);
  tcb->rcv_nxt = seq_add(tcb->rcv_nxt, n);
  tcb->bytes_received += n;
  synack_tcp_post(st, tcb, SYNACK_EV_READABLE, 0);
  synack_tcp_delack_arm(st, tcb, now);
}

static void input_syn_sent(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  bool ack_ok = false;
  if (seg->flags & SYNACK_TCP_ACK) {
    /* RFC 9293 §3.10.7.3 first: an ACK outside (ISS, SND.NXT] is from an old incarnation:
     * answer with <SEQ=SEG.ACK><CTL=RST> (unless it is a RST) and keep waiting. */
    if (seq_le(seg->ack, tcb->iss) || seq_gt(seg->ack, tcb->snd_max)) {
      synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0);
      synack_ctl_opts_t o;
      if (!(seg->flags & SYNACK_TCP_RST))
        synack_tcp_send_ctl(st, &tcb->node.t, seg->ack, seq_make(0), SYNACK_TCP_RST, 0, synack_tcp_seg_ctl(&o, seg));
      /* cfg.tcp_synsent_badack_rtx_ms (Linux's tcp_rcv_synsent_state_process, also for a RST
       * with a bad ACK): the peer held an old connection, which our RST (or its own) has now
       * cleared, so the first SYN is sent again soon instead of after the full RTO. */
      if (st->cfg.tcp_synsent_badack_rtx_ms && tcb->retransmits == 0) {
        tcb->rec.rto_at = now + (synack_time_t)st->cfg.tcp_synsent_badack_rtx_ms * 1000u;
        synack_tcp_rtx_sync(st, tcb);
      }
      return;
    }
    ack_ok = true;
  }
  if (seg->flags & SYNACK_TCP_RST) {
    /* RFC 9293 §3.10.7.3 second (and RFC 5961 §3.2): a RST counts only with an acceptable ACK. */
    if (!ack_ok) { synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0); return; }
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_count(st, SYNACK_CTR_TCP_ATTEMPT_FAILS);
    synack_tcp_done(st, tcb, -SYNACK_ECONNREFUSED, "rcv RST (connection refused)");
    return;
  }
  if (!(seg->flags & SYNACK_TCP_SYN)) {
    /* RFC 9293 §3.10.7.3 fifth: neither SYN nor RST: drop. */
    synack_drop(st, SYNACK_DROP_TCP_OUT_OF_WINDOW, NULL, 0);
    return;
  }
  /* RFC 9293 §3.10.7.3 fourth: the SYN. */
  tcb->irs = seg->seq;
  tcb->rcv_nxt = tcb->last_ack_sent = seq_add(seg->seq, 1);
  /* The window of our SYN (unscaled, RFC 7323 §2.2) starts at the peer's first byte. */
  tcb->rcv_adv = seq_add(tcb->rcv_nxt, synack_tcp_rcv_window(st, tcb, true));
  if (!ack_ok && st->cfg.tcp_simopen_synack_opts) {
    /* Linux (tcp_send_synack on a SYN-SENT socket re-sends its SYN with ACK set): the SYN-ACK
     * of a simultaneous open carries every option our SYN offered, before negotiation drops
     * the ones the peer's SYN lacked. */
    tcb->syn_offer = (uint8_t)(SYN_OFFER_SET | ((tcb->flags & TF_TS_OK) ? SYN_OFFER_TS : 0u) |
                               ((tcb->flags & TF_SACK_OK) ? SYN_OFFER_SACK : 0u) |
                               ((tcb->flags & TF_WS_OK) ? SYN_OFFER_WS : 0u));
    tcb->syn_offer_ws = tcb->rcv_wscale;
  }
  synack_tcp_apply_syn_opts(st, tcb, &seg->r.opts);
  synack_tcp_ecn_syn_rcvd(st, tcb, seg->flags); /* RFC 3168 §6.1.1 */
  if (ack_ok) {
    tcb->snd_una = seg->ack;
    if (seq_lt(tcb->snd_nxt, tcb->snd_una)) tcb->snd_nxt = tcb->snd_una;
  }
  /* RFC 7323 §2.2: the window of a SYN is never scaled. */
  tcb->snd_wnd = seg->r.window;
  tcb->max_snd_wnd = tcb->snd_wnd;
  tcb->snd_wl1 = seg->seq;
  tcb->snd_wl2 = seg->ack;
  if (!seq_gt(tcb->snd_una, tcb->iss)) {
    /* Simultaneous open: SYN-RECEIVED, answer with SYN-ACK. Data on this SYN is not
     * acknowledged; it is dropped (the peer sends it again), or with cfg.tcp_simopen_keep_data
     * held until ESTABLISHED (RFC 9293 §3.10.7.3: "queue them for processing after the
     * ESTABLISHED state has been reached"; docs/tcp-choices.md). A FIN on it is ignored. */
    if (seg->len > 0 && st->cfg.tcp_simopen_keep_data) hold_syn_text(st, tcb, seg);
    synack_tcp_set_state(st, tcb, SYNACK_TCP_SYN_RECEIVED, "rcv SYN (simultaneous open)");
    tcb->snd_nxt = tcb->iss;
    synack_tcp_rtx_stop(st, tcb);
    synack_tcp_output(st, tcb, now);
    return;
  }
  synack_tfo_synack(st, tcb, seg); /* RFC 7413: cookie, and the data of our SYN acknowledged or not */
  /* Our SYN is acknowledged: ESTABLISHED. RFC 6298 §3 (Karn): sample the RTT only when the SYN
   * went out once, with timestamps too: a SYN that waited for neighbour resolution leaves
   * together with its retransmission, carrying the TSval of when it was built, and the echo
   * would time the wait. SRTT then comes from the first clean sample on data. RFC 7323 §4.1:
   * the echo is bounded as on the established path (more than 10 minutes old, or from the
   * future, is no measurement: the SYN, sent once, is timed instead). */
  if (tcb->retransmits == 0) {
    uint32_t ts_ms = synack_tcp_ts_now(now, tcb->ts_offset) - seg->r.opts.ts_ecr;
    /* The SYN's own send time in microseconds rather than the echo's 1 ms tick (a sub-ms path
     * read 1 us, and the probe timeout of the first flight followed); the linux profile keeps
     * the echo (linux-differences.md item 42). */
    if ((tcb->flags & TF_TS_OK) && seg->r.opts.ts_ecr && ts_ms < 600000u && st->cfg.tcp_recovery_linux)
      synack_tcp_rtt_sample(st, tcb, ts_ms * 1000u);
    else
      synack_tcp_rtt_sample(st, tcb, (uint32_t)(now - tcb->rtt_time));
  }
  tcb->flags &= ~(uint64_t)TF_RTT_TIMING;
  tcb->retransmits = tcb->backoff = 0;
  tcb->soft_error = 0;
  synack_tcp_rtx_stop(st, tcb);
  synack_tcp_set_state(st, tcb, SYNACK_TCP_ESTABLISHED, "rcv SYN-ACK");
  tcb->delivered++; /* tcp_info: our SYN was delivered */
  synack_count(st, SYNACK_CTR_TCP_ESTABLISHED);
  tcb->flags |= TF_CONNECTED | TF_ACK_NOW;
  synack_tcp_post(st, tcb, SYNACK_EV_CONNECTED | SYNACK_EV_WRITABLE, 0);
  synack_tcp_keep_update(st, tcb, now);
  if (st->cfg.tcp_synack_text_drop) {
    /* Linux (tcp_rcv_synsent_state_process, without Fast Open): text and FIN on a SYN-ACK are
     * discarded; the ACK covers the SYN only and the peer sends them again. */
    synack_tcp_output(st, tcb, now);
    return;
  }
  /* RFC 9293 §3.10.7.3: data or FIN on the SYN-ACK continue at the sixth step. */
  seg->seq = seq_add(seg->seq, 1);
  seg->flags &= (uint8_t)~SYNACK_TCP_SYN;
  seg->seg_len -= 1;
  if (step_data(st, tcb, seg, now) == STEP_GONE) return;
  if (step_fin(st, tcb, seg, now) == STEP_GONE) return;
  synack_tcp_output(st, tcb, now);
}

/* ---------- synchronized states (RFC 9293 §3.10.7.4) ---------- */

/* The TCB as tcp_check.c sees it. */
static synack_tcp_view_t tcb_view(const synack_stack_t *st, const synack_tcb_t *tcb) {
  synack_tcp_view_t v = {
    .rcv_nxt = tcb->rcv_nxt,
    .rcv_wnd = synack_tcp_rcv_wnd(st, tcb), /* the profile's acceptance window (tcp_rcvwnd.c) */
    .ts_ok = (tcb->flags & TF_TS_OK) != 0,
    .ts_recent = tcb->ts_recent,
    .ts_recent_s = tcb->ts_recent_s,
    .rst_ignored = tcb->state == SYNACK_TCP_TIME_WAIT && st->cfg.tcp_rfc1337,
    .rst_at_fin = st->cfg.tcp_rst_at_fin && (tcb->state == SYNACK_TCP_CLOSE_WAIT || tcb->state == SYNACK_TCP_CLOSING ||
                                             tcb->state == SYNACK_TCP_LAST_ACK),
    .rst_exact = st->cfg.tcp_tw_rst_exact && tcb->state == SYNACK_TCP_TIME_WAIT,
    /* Linux's TIME-WAIT judges segments by its own rules (tcp_timewait_state_process) */
    .end_at_rcv_nxt = st->cfg.tcp_seq_end_at_rcv_nxt && tcb->state != SYNACK_TCP_TIME_WAIT,
    .right_edge = st->cfg.tcp_seq_right_edge && tcb->state != SYNACK_TCP_TIME_WAIT ? SYNACK_EDGE_LINUX : SYNACK_EDGE_RFC,
    /* Linux's sk_receive_queue: in-order bytes not yet read, or the FIN before the read that
     * reaches it */
    .rcvq_busy = tcb->rb.len > 0 || (tcb->flags & (TF_RCVD_FIN | TF_EOF_READ)) == TF_RCVD_FIN,
  };
  return v;
}

/* An acceptable RST (RFC 9293 §3.10.7.4 second step), by state. */
static int rst_accepted(synack_stack_t *st, synack_tcb_t *tcb) {
  switch (tcb->state) {
  case SYNACK_TCP_SYN_RECEIVED:
    /* Active open (simultaneous): connection refused (RFC 9293 §3.10.7.4 second; Linux's
     * tcp_reset says ECONNRESET, cfg.tcp_rst_errors_linux). Passive opens are half-open entries,
     * except fast open children (RFC 7413), already accepted: reset, as Linux reports it. */
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_count(st, SYNACK_CTR_TCP_ATTEMPT_FAILS);
    synack_tcp_done(st, tcb,
                    ((tcb->tfo & SYNACK_TFOF_CHILD) || st->cfg.tcp_rst_errors_linux) ? -SYNACK_ECONNRESET
                                                                                    : -SYNACK_ECONNREFUSED,
                    "rcv RST");
    return STEP_GONE;
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSE_WAIT: {
    /* Linux (cfg.tcp_rst_errors_linux) reports EPIPE in CLOSE-WAIT: the peer had finished. */
    int err = tcb->state == SYNACK_TCP_CLOSE_WAIT && st->cfg.tcp_rst_errors_linux ? -SYNACK_EPIPE : -SYNACK_ECONNRESET;
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_count(st, SYNACK_CTR_TCP_ESTAB_RESETS);
    synack_tcp_done(st, tcb, err, "rcv RST");
    return STEP_GONE;
  }
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
    /* RFC 9293 §3.10.7.4 second: "enter the CLOSED state, delete the TCB". A socket the
     * application still holds (after shutdown(SHUT_WR)) learns of the reset as Linux and
     * FreeBSD report it: ECONNRESET. */
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_tcp_done(st, tcb, -SYNACK_ECONNRESET, "rcv RST");
    return STEP_GONE;
  case SYNACK_TCP_TIME_WAIT: /* with RFC 1337 off (tcp_check.c drops it otherwise) */
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_tcp_done(st, tcb, 0, "rcv RST");
    return STEP_GONE;
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
    return STEP_STOP;
  }
  return STEP_STOP;
}

/* RFC 9293 §3.10.7.4 steps 1 (sequence number, with PAWS), 2 (RST) and 4 (SYN; the third,
 * security/compartment, has nothing to act on: synack sends and accepts no IP security
 * options), decided by tcp_check.c; the answers are this TCB's. */
static int step_checks(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  if (tcb->state == SYNACK_TCP_SYN_RECEIVED && (tcb->tfo & SYNACK_TFOF_CHILD) &&
      (seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_RST)) == SYNACK_TCP_SYN && seq_eq(seg->seq, tcb->irs)) {
    /* A fast open child meets the client's SYN again (our SYN-ACK was lost): the SYN-ACK goes
     * again, rate-limited like every answer to an old segment (as a half-open entry does). */
    if (synack_tcp_answer_allowed(st, SYNACK_CHECK_OOW, &tcb->oow_last_ms, seg, now)) {
      tcb->snd_nxt = tcb->iss;
      synack_tcp_output(st, tcb, now);
    }
    return STEP_STOP;
  }
  if (tcb->state == SYNACK_TCP_SYN_RECEIVED && (seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) ==
      (SYNACK_TCP_SYN | SYNACK_TCP_ACK) && seq_eq(seg->seq, tcb->irs) && seq_gt(seg->ack, tcb->iss) &&
      seq_le(seg->ack, tcb->snd_max)) {
    /* Simultaneous open (RFC 9293 §3.5 figure 8): the crossing SYN-ACK repeats the SYN we
     * already have; its new part is the ACK of our SYN. */
    seg->seq = seq_add(seg->seq, 1);
    seg->flags &= (uint8_t)~SYNACK_TCP_SYN;
    seg->seg_len -= 1;
    /* cfg.tcp_seq_end_at_rcv_nxt: Linux takes this SYN-ACK as a segment ending at RCV.NXT (its
     * SYN is old) and answers the old part with an immediate ACK once ESTABLISHED. */
    if (st->cfg.tcp_seq_end_at_rcv_nxt && seg->seg_len == 0) seg->old_text = true;
  }
  synack_tcp_view_t v = tcb_view(st, tcb);
  if (tcb->state == SYNACK_TCP_TIME_WAIT && synack_tcp_fin_again(&v, seg, now)) {
    /* RFC 9293 §3.10.7.4: the peer's FIN again (our last ACK was lost): ACK it, restart 2*MSL.
     * Only this FIN restarts the timer; any other segment is judged by step 1 below. */
    synack_timer_set(&st->wheel, &tcb->t_keep, now + 2u * (synack_time_t)st->cfg.tcp_msl_ms * 1000u);
    synack_tcp_send_ack(st, tcb, now);
    return STEP_STOP;
  }
  synack_check_t verdict = synack_tcp_check(st, &v, seg, now);
  switch (verdict) {
  case SYNACK_CHECK_PASS:
    /* RFC 7323 §4.3 / §5.3 R3: TS.Recent from a segment not newer than Last.ACK.sent. */
    synack_tcp_ts_update(tcb, seg, now);
    if (tcb->state == SYNACK_TCP_TIME_WAIT && !(seg->seg_len == 0 && seq_eq(seg->seq, tcb->rcv_nxt))) {
      /* One rule for TIME-WAIT, socket still open or not (the compact entry, tcp_timewait.c;
       * Linux and FreeBSD hand both to the same TIME-WAIT structure): after the peer's FIN
       * only a bare ACK at RCV.NXT can be valid; anything else gets an ACK of what we hold. */
      if (synack_tcp_answer_allowed(st, verdict, &tcb->oow_last_ms, seg, now)) synack_tcp_send_ack(st, tcb, now);
      return STEP_STOP;
    }
    return STEP_NEXT;
  case SYNACK_CHECK_DROP:
    return STEP_STOP;
  case SYNACK_CHECK_PAWS:
  case SYNACK_CHECK_OOW:
    /* In SYN-RECEIVED the answer is our SYN-ACK again (it carries the ACK), or with
     * cfg.tcp_synrcvd_plain_ack (Linux's tcp_send_dupack) a plain ACK. */
    if (verdict == SYNACK_CHECK_OOW && tcb->state == SYNACK_TCP_SYN_RECEIVED && seq_eq(tcb->snd_una, tcb->iss) &&
        !st->cfg.tcp_synrcvd_plain_ack)
      tcb->snd_nxt = tcb->iss;
    synack_tcp_rcv_dup(st, tcb, seg); /* RFC 2883 §4: old text comes back as a D-SACK */
    /* cfg.tcp_delack_linux (Linux's tcp_send_dupack): old text means the peer retransmits:
     * pingpong mode ends and quick ACKs start again */
    if (st->cfg.tcp_delack_linux && seg->len > 0 && seq_lt(seg->seq, tcb->rcv_nxt) &&
        synack_tcp_state_synchronized(tcb->state))
      synack_tcp_lx_enter_quickack(st, tcb);
    if (synack_tcp_answer_allowed(st, verdict, &tcb->oow_last_ms, seg, now)) synack_tcp_send_ack(st, tcb, now);
    return STEP_STOP;
  case SYNACK_CHECK_CHALLENGE:
    if (synack_tcp_answer_allowed(st, verdict, &tcb->oow_last_ms, seg, now)) synack_tcp_send_ack(st, tcb, now);
    return STEP_STOP;
  case SYNACK_CHECK_RST:
    return rst_accepted(st, tcb);
  case SYNACK_CHECK_SYN_RESET:
    /* RFC 793: a SYN in the window is an error: reset the connection. */
    synack_tcp_send_rst_tcb(st, tcb, now);
    synack_count(st, SYNACK_CTR_TCP_ESTAB_RESETS);
    synack_tcp_done(st, tcb, -SYNACK_ECONNRESET, "rcv SYN in window");
    return STEP_GONE;
  }
  return STEP_STOP;
}

/* Advances SND.UNA and updates the send window (RFC 9293 §3.10.7.4 fifth, ESTABLISHED); the
 * SACK scoreboard, duplicate ACKs and loss recovery follow in tcp_recovery.c. */
static int ack_common(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  if (seq_gt(seg->ack, tcb->snd_max)) {
    /* Acknowledges something not yet sent: send an ACK, drop (RFC 9293 §3.10.7.4). */
    synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0);
    if (synack_tcp_answer_allowed(st, SYNACK_CHECK_OOW, &tcb->oow_last_ms, seg, now)) synack_tcp_send_ack(st, tcb, now);
    return STEP_STOP;
  }
  uint32_t prev_wnd = tcb->snd_wnd;
  uint32_t data = 0, acked = 0, rtt = 0;
  if (seq_gt(seg->ack, tcb->snd_una)) {
    acked = (uint32_t)seq_diff(seg->ack, tcb->snd_una);
    uint32_t a = acked;
    /* The transmit log's sample, read before SND.UNA and the log move; cfg.tcp_recovery_linux
     * keeps the timestamp's (that profile's arithmetic is pinned against the kernel). */
    uint32_t xl_rtt = st->cfg.tcp_recovery_linux ? 0 : synack_rack_rtt_sample(tcb, tcb->snd_una, seg->ack, now);
    uint32_t segs = 0;
    if (seq_eq(tcb->snd_una, tcb->iss)) {
      a--; /* the SYN */
      segs = 1;
    }
    data = a < tcb->sb.len ? a : tcb->sb.len;
    /* tcp_info's delivered (Linux tcp_count_delivered): segments, an MSS each; ECN-Echo on
     * the ACK counts them as delivered with a congestion mark too (RFC 3168 §6.1.2). */
    if (a && tcb->snd_mss) segs += (a + tcb->snd_mss - 1u) / tcb->snd_mss;
    tcb->delivered += segs;
    if ((seg->flags & SYNACK_TCP_ECE) && (tcb->ecn & SYNACK_ECN_OK)) tcb->delivered_ce += segs;
    synack_sndbuf_drop(st, &tcb->sb, data);
    tcb->snd_buf_seq = seq_add(tcb->snd_buf_seq, data);
    if (tcb->eor.n) synack_tcp_eor_prune(st, tcb);
    tcb->bytes_acked += data;
    tcb->snd_una = seg->ack;
    if (tcb->flags & TF_URG_MODE) synack_tcp_urg_acked(tcb);
    if (seq_lt(tcb->snd_nxt, tcb->snd_una)) tcb->snd_nxt = tcb->snd_una;
    const synack_tcp_opts_t *o = &seg->r.opts;
    if (xl_rtt) {
      /* RFC 6298 §3 from the send time of the data acknowledged, in microseconds, whenever none
       * of it was retransmitted (Karn; Linux prefers this sample to the timestamp's too). The
       * echoed timestamp ticks in milliseconds: on a path whose RTT is below one tick its
       * samples are 0 or 1 ms, SRTT wanders between them and RTTVAR is twice the RTT, which
       * made the probe timeout 2 ms where 0.2 would do (docs/loss-recovery.md). */
      rtt = xl_rtt;
      synack_tcp_rtt_sample(st, tcb, rtt);
      if (seq_gt(seg->ack, tcb->rtt_seq)) tcb->flags &= ~(uint64_t)TF_RTT_TIMING;
    } else if ((tcb->flags & TF_TS_OK) && (o->present & SYNACK_TCPOPT_HAS_TS) && o->ts_ecr) {
      /* RFC 7323 §4.1: the echoed timestamp times the segment that caused this ACK, even a
       * retransmitted one, so Karn's rule is not needed. */
      uint32_t ms = synack_tcp_ts_now(now, tcb->ts_offset) - o->ts_ecr;
      if (ms < 600000u) {
        rtt = ms ? ms * 1000u : 1u;
        synack_tcp_rtt_sample(st, tcb, ms * 1000u);
      }
    } else if ((tcb->flags & TF_RTT_TIMING) && seq_gt(seg->ack, tcb->rtt_seq)) {
      /* RFC 6298 §3 (Karn): rtt_seq was sent once (timing stops when it is retransmitted). */
      rtt = (uint32_t)(now - tcb->rtt_time);
      synack_tcp_rtt_sample(st, tcb, rtt);
      tcb->flags &= ~(uint64_t)TF_RTT_TIMING;
    }
    tcb->retransmits = 0;
    tcb->backoff = 0;
    if (tcb->rto_stamp) { /* an RTO recovery ends (tcp_info's total_rto_time) */
      tcb->total_rto_time_us += now - (tcb->rto_stamp - 1u);
      tcb->rto_stamp = 0;
    }
    if (seq_eq(tcb->snd_una, tcb->snd_max)) synack_tcp_chrono_stop(tcb, SYNACK_CHRONO_BUSY, now);
    if (data && (tcb->flags & TF_NOSPACE) && synack_tcp_writable(tcb)) {
      tcb->flags &= ~(uint64_t)TF_NOSPACE; /* room again: the writer is woken */
      synack_tcp_chrono_stop(tcb, SYNACK_CHRONO_SNDBUF_LIMITED, now);
    }
    if (tcb->errq) synack_tcp_errq_acked(st, tcb, now);
    /* RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it. */
    if (seq_eq(tcb->snd_una, tcb->snd_max)) synack_tcp_rtx_stop(st, tcb);
    else synack_tcp_rtx_arm(st, tcb, now);
    if (data && synack_tcp_writable(tcb) && synack_tcp_state_can_send(tcb->state))
      synack_tcp_post(st, tcb, SYNACK_EV_WRITABLE, 0);
  }
  /* RFC 9293 §3.10.7.4: update the window only from a segment not older than the last update.
   * cfg.tcp_wnd_update_linux (tcp_may_update_window): an ACK that advances SND.UNA or a newer
   * segment always updates; one with the same SEG.SEQ only to a larger window or to zero, so
   * a duplicate ACK announcing a smaller, nonzero window leaves it. */
  uint32_t nwin = (uint32_t)seg->r.window << tcb->snd_wscale;
  bool upd = st->cfg.tcp_wnd_update_linux
                 ? acked > 0 || seq_lt(tcb->snd_wl1, seg->seq) ||
                       (seq_eq(tcb->snd_wl1, seg->seq) && (nwin > tcb->snd_wnd || nwin == 0))
                 : seq_lt(tcb->snd_wl1, seg->seq) || (seq_eq(tcb->snd_wl1, seg->seq) && seq_le(tcb->snd_wl2, seg->ack));
  if (upd) {
    tcb->snd_wnd = (uint32_t)seg->r.window << tcb->snd_wscale;
    if (tcb->snd_wnd > tcb->max_snd_wnd) tcb->max_snd_wnd = tcb->snd_wnd;
    tcb->snd_wl1 = seg->seq;
    tcb->snd_wl2 = seg->ack;
  }
  if (tcb->rec.persist && tcb->snd_wnd > 0) synack_tcp_persist_stop(st, tcb, now);
  /* cfg.tcp_probe0_old_ack (Linux's tcp_ack_probe): an ACK that leaves the window closed
   * restarts the probe timer from now, with the current backoff. */
  else if (tcb->rec.persist && st->cfg.tcp_probe0_old_ack && seq_eq(tcb->snd_max, tcb->snd_una)) synack_tcp_rtx_arm(st, tcb, now);
  /* RFC 3168 §6.1.2: ECE reduces the window. cfg.tcp_ecn_linux (tcp_ack: tcp_fastretrans_alert
   * enters CWR before tcp_cong_control): the ACK carrying ECE does not grow the window first. */
  if (st->cfg.tcp_ecn_linux) synack_tcp_ecn_ack(st, tcb, seg, now);
  if (synack_tcp_state_synchronized(tcb->state) && tcb->state != SYNACK_TCP_SYN_RECEIVED)
    synack_rec_on_ack(st, tcb, seg, acked, prev_wnd, rtt, now);
  else if (acked)
    synack_tcp_cc_on_ack(st, tcb, data, rtt, now);
  if (acked) synack_tcp_sndbuf_adjust(st, tcb); /* after cwnd moved (tcp_mem.c) */
  if (!st->cfg.tcp_ecn_linux) synack_tcp_ecn_ack(st, tcb, seg, now);
  return STEP_NEXT;
}

/* RFC 9293 §3.10.7.4 fifth: the ACK field, with RFC 5961 §5.2's acceptable range. */
static int step_check_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  if (!(seg->flags & SYNACK_TCP_ACK)) {
    synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0);
    return STEP_STOP;
  }
  uint32_t back = tcb->max_snd_wnd;
  if (st->cfg.tcp_ack_check_acked) {
    /* cfg.tcp_ack_check_acked (Linux's tcp_ack(): "do not accept ACK for bytes we never
     * sent"): the range reaches back no further than what has been acknowledged, counting an
     * active open's SYN and our FIN (Linux's bytes_acked), not a passive open's SYN. */
    uint32_t acked = (uint32_t)seq_diff(tcb->snd_una, tcb->iss) - ((tcb->flags & TF_PASSIVE) ? 1u : 0u);
    if (acked < back) back = acked;
  }
  if (st->cfg.tcp_rfc5961_ack && tcb->state != SYNACK_TCP_SYN_RECEIVED &&
      !seq_between(seg->ack, seq_sub(tcb->snd_una, back), tcb->snd_max)) {
    /* RFC 5961 §5.2: outside [SND.UNA - MAX.SND.WND, SND.NXT]: challenge ACK, drop. */
    synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0);
    synack_tcp_challenge_ack(st, tcb, now);
    return STEP_STOP;
  }
  switch (tcb->state) {
  case SYNACK_TCP_SYN_RECEIVED:
    if (!(seq_lt(tcb->snd_una, seg->ack) && seq_le(seg->ack, tcb->snd_max))) {
      /* RFC 9293 §3.10.7.4: an unacceptable ACK in SYN-RECEIVED gets <SEQ=SEG.ACK><CTL=RST>. */
      synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0);
      synack_ctl_opts_t o;
      synack_tcp_send_ctl(st, &tcb->node.t, seg->ack, seq_make(0), SYNACK_TCP_RST, 0, synack_tcp_seg_ctl(&o, seg));
      return STEP_STOP;
    }
    tcb->snd_wl1 = seg->seq;
    tcb->snd_wl2 = seg->ack;
    tcb->snd_wnd = (uint32_t)seg->r.window << tcb->snd_wscale;
    tcb->max_snd_wnd = tcb->snd_wnd;
    synack_tcp_set_state(st, tcb, SYNACK_TCP_ESTABLISHED, "rcv ACK of SYN");
    synack_count(st, SYNACK_CTR_TCP_ESTABLISHED);
    tcb->flags |= TF_CONNECTED;
    synack_tcp_post(st, tcb, SYNACK_EV_CONNECTED | SYNACK_EV_WRITABLE, 0);
    synack_tcp_keep_update(st, tcb, now);
    deliver_syn_text(st, tcb, now);
    if (ack_common(st, tcb, seg, now) != STEP_NEXT) return STEP_STOP;
    if (tcb->flags & TF_FIN_QUEUED) synack_tcp_set_state(st, tcb, SYNACK_TCP_FIN_WAIT_1, "close() pending");
    return STEP_NEXT;
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_FIN_WAIT_2:
    return ack_common(st, tcb, seg, now);
  case SYNACK_TCP_FIN_WAIT_1:
    if (ack_common(st, tcb, seg, now) != STEP_NEXT) return STEP_STOP;
    if (fin_acked(tcb)) {
      /* RFC 9293 §3.10.7.4: our FIN is acknowledged: FIN-WAIT-2. */
      synack_tcp_set_state(st, tcb, SYNACK_TCP_FIN_WAIT_2, "rcv ACK of FIN");
      if (tcb->flags & TF_ORPHAN) /* Linux tcp_fin_timeout: an orphan does not wait forever */
        synack_timer_set(&st->wheel, &tcb->t_keep, now + (synack_time_t)st->cfg.tcp_fin_timeout_ms * 1000u);
    }
    return STEP_NEXT;
  case SYNACK_TCP_CLOSING:
    if (ack_common(st, tcb, seg, now) != STEP_NEXT) return STEP_STOP;
    if (fin_acked(tcb)) {
      synack_tcp_enter_timewait(st, tcb, now, "rcv ACK of FIN");
      return STEP_GONE; /* the rest of the segment does not matter; the TCB may be gone */
    }
    return seg->old_text ? STEP_NEXT : STEP_STOP; /* old text: its duplicate ACK follows */
  case SYNACK_TCP_LAST_ACK:
    if (ack_common(st, tcb, seg, now) != STEP_NEXT) return STEP_STOP;
    if (fin_acked(tcb)) {
      synack_tcp_done(st, tcb, 0, "rcv ACK of FIN");
      return STEP_GONE;
    }
    return seg->old_text ? STEP_NEXT : STEP_STOP; /* old text: its duplicate ACK follows */
  case SYNACK_TCP_TIME_WAIT:
    return STEP_NEXT; /* only a retransmitted FIN matters: eighth step */
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
    return STEP_STOP;
  }
  return STEP_STOP;
}

/* RFC 9293 §3.10.7.4 sixth: the URG bit, in the states that still receive text (tcp_urg.c). */
static int step_urg(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg) {
  if (!(seg->flags & SYNACK_TCP_URG)) return STEP_NEXT;
  switch (tcb->state) {
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
    if (!(tcb->flags & TF_SHUT_RD)) synack_tcp_urg_input(st, tcb, seg);
    break;
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
    break; /* "This should not occur, since a FIN has been received": ignore */
  }
  return STEP_NEXT;
}

/* RFC 9293 §3.10.7.4 seventh: segment text (queuing, SACK and the ACK decision: tcp_rcv.c). */
static int step_data(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  switch (tcb->state) {
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
    break;
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    /* The peer's FIN was received (or no handshake): ignore the text. */
    return STEP_NEXT;
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
    return STEP_NEXT;
  }
  return synack_tcp_rcv_data(st, tcb, seg, now) ? STEP_NEXT : STEP_GONE;
}

/* RFC 9293 §3.10.7.4 eighth: the FIN bit (a FIN beyond a gap waits until the gap fills). */
static int step_fin(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  bool fin = false;
  if ((seg->flags & SYNACK_TCP_FIN) && !(tcb->flags & TF_RCVD_FIN)) {
    synack_seq_t fseq = seq_add(seg->seq, seg->len);
    if (seq_eq(fseq, tcb->rcv_nxt)) fin = true;
    else if (seq_ge(seg->seq, seq_add(tcb->rcv_nxt, synack_tcp_rcv_wnd(st, tcb)))) {
      /* A segment starting beyond the window (only cfg.tcp_seq_right_edge lets a bare FIN at
       * the edge through the first check): not ours, as text there (tcp_rcv.c); Linux's
       * tcp_data_queue drops it as out of window with an immediate ACK. */
      synack_drop(st, SYNACK_DROP_TCP_RCVBUF_FULL, NULL, 0);
      tcb->flags |= TF_ACK_NOW;
    } else if (seq_gt(fseq, tcb->rcv_nxt)) {
      /* Beyond a gap: kept until the gap fills; RFC 5681 §4.2: ACK out-of-order at once. */
      tcb->flags |= TF_OOO_FIN | TF_ACK_NOW;
      tcb->ooo_fin_seq = fseq;
    }
  }
  if (!fin && (tcb->flags & TF_OOO_FIN) && seq_eq(tcb->ooo_fin_seq, tcb->rcv_nxt)) {
    fin = true;
    tcb->flags |= TF_ACK_NOW; /* RFC 5681 §4.2: this segment filled the gap before the FIN */
  }
  if (!fin) return STEP_NEXT;
  tcb->flags &= ~(uint64_t)TF_OOO_FIN;
  switch (tcb->state) {
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
    /* RFC 9293 §3.10.7.4 eighth: no FIN processing here (unreachable: not synchronized). */
    return STEP_STOP;
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
    return STEP_NEXT; /* the FIN was already processed */
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_TIME_WAIT:
    break;
  }
  /* The FIN ends the peer's stream: out-of-order data queued beyond it can never be delivered
   * and is discarded (as Linux does), or its range would start at RCV.NXT once the FIN counts. */
  synack_ooo_clear(&tcb->rb.ooo);
  tcb->rcv_nxt = seq_add(tcb->rcv_nxt, 1);
  tcb->flags |= TF_RCVD_FIN;
  synack_tcp_post(st, tcb, SYNACK_EV_PEER_CLOSED | SYNACK_EV_READABLE, 0);
  switch (tcb->state) {
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_ESTABLISHED:
    synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSE_WAIT, "rcv FIN");
    if (st->cfg.tcp_delack_linux) tcb->lx_pingpong = 1; /* Linux's tcp_fin() */
    /* The ACK of the FIN is delayed: a close() inside the delayed-ACK time then sends one
     * FIN-ACK segment (the three-segment close). cfg.tcp_fin_ack_now (FreeBSD's tcp_input:
     * no more data can come, so nothing is gained by waiting): at once. cfg.tcp_fin_ack_linux
     * (Linux's tcp_fin() and delayed-ACK timeout "ato", seen on the wire): the timeout is 0
     * until the first data arrives, so a FIN before any data is ACKed at once; after data it
     * waits the delayed-ACK time, quick-ACK mode or not (docs/linux-differences.md). */
    if (st->cfg.tcp_fin_ack_now || (st->cfg.tcp_fin_ack_linux && tcb->bytes_received == 0))
      tcb->flags |= TF_ACK_NOW;
    else if (!(tcb->flags & TF_ACK_NOW)) synack_tcp_delack_arm(st, tcb, now);
    return STEP_NEXT;
  case SYNACK_TCP_FIN_WAIT_1:
    if (fin_acked(tcb)) {
      tcb->flags |= TF_ACK_NOW;
      synack_tcp_enter_timewait(st, tcb, now, "rcv FIN (and ACK of our FIN)");
      return STEP_GONE;
    }
    synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSING, "rcv FIN (simultaneous close)");
    tcb->flags |= TF_ACK_NOW;
    return STEP_NEXT;
  case SYNACK_TCP_FIN_WAIT_2:
    tcb->flags |= TF_ACK_NOW;
    synack_tcp_enter_timewait(st, tcb, now, "rcv FIN");
    return STEP_GONE;
  case SYNACK_TCP_TIME_WAIT:
    synack_timer_set(&st->wheel, &tcb->t_keep, now + 2u * (synack_time_t)st->cfg.tcp_msl_ms * 1000u);
    tcb->flags |= TF_ACK_NOW;
    return STEP_NEXT;
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
    break;
  }
  return STEP_NEXT;
}

static void input_synchronized(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  int rc;
  if (st->cfg.tcp_noack_drop && tcb->state != SYNACK_TCP_TIME_WAIT &&
      !(seg->flags & (SYNACK_TCP_ACK | SYNACK_TCP_SYN | SYNACK_TCP_RST))) {
    /* cfg.tcp_noack_drop (Linux's tcp_rcv_state_process and tcp_rcv_established): a segment
     * that carries neither ACK, SYN nor RST is discarded before the sequence-number check,
     * so no ACK answers it even outside the window. RFC 9293 §3.10.7.4 checks the sequence
     * number first (and answers an unacceptable segment) and drops it at the fifth step. */
    synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0);
    return;
  }
  /* cfg.tcp_seq_end_at_rcv_nxt: old text or FIN ending exactly at RCV.NXT passes step 1 for
   * its ACK field (tcp_check.c); it holds nothing new. */
  seg->old_text = st->cfg.tcp_seq_end_at_rcv_nxt && tcb->state != SYNACK_TCP_TIME_WAIT && seg->seg_len > 0 &&
                  !(seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST)) &&
                  seq_eq(seq_add(seg->seq, seg->seg_len), tcb->rcv_nxt);
  if ((rc = step_checks(st, tcb, seg, now)) != STEP_NEXT) return;
  synack_tcp_ecn_rcv(st, tcb, seg); /* RFC 3168 §6.1.3: CE and CWR of an acceptable segment */
  if ((rc = step_check_ack(st, tcb, seg, now)) == STEP_GONE) return;
  if (rc == STEP_STOP) { synack_tcp_output(st, tcb, now); return; }
  if (seg->old_text) {
    /* As Linux's tcp_data_queue treats a retransmission it holds already: an immediate
     * duplicate ACK (with its D-SACK, RFC 2883 §4), as RFC 9293 §3.10.7.4's first step would
     * have answered. Not when the ACK ended the connection's exchange (CLOSING -> TIME-WAIT:
     * Linux consumes the segment there). */
    if (tcb->state == SYNACK_TCP_TIME_WAIT) return;
    synack_tcp_rcv_dup(st, tcb, seg);
    tcb->flags |= TF_ACK_NOW;
    /* cfg.tcp_delack_linux: the peer retransmits: quick ACKs, pingpong mode ends (Linux's
     * tcp_data_queue, tcp_enter_quickack_mode) */
    if (st->cfg.tcp_delack_linux) synack_tcp_lx_enter_quickack(st, tcb);
    synack_tcp_output(st, tcb, now);
    return;
  }
  if ((rc = step_urg(st, tcb, seg)) != STEP_NEXT) return;
  if ((rc = step_data(st, tcb, seg, now)) == STEP_GONE) return;
  if ((rc = step_fin(st, tcb, seg, now)) == STEP_GONE) return;
  synack_tcp_output(st, tcb, now);
}

void synack_tcp_input_tcb(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  tcb->segs_in++;
  if (seg->len) {
    tcb->data_segs_in++;
    tcb->last_data_rcv = now;
  }
  tcb->last_rcv = now;
  tcb->keep_probes = 0;
  switch (tcb->state) {
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
    input_closed(st, seg);
    return;
  case SYNACK_TCP_SYN_SENT:
    input_syn_sent(st, tcb, seg, now);
    return;
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    input_synchronized(st, tcb, seg, now);
    return;
  }
}

/* ---------- receive fast path: copy while verifying the checksum ---------- */
/* For the bulk case (an established connection, the next in-order data segment, nothing held
 * out of order, room in the ring), the payload is copied into the receive ring's free space
 * while it is summed, instead of being summed here and copied later. The checksum is verified
 * before anything is changed: the bytes written lie beyond the committed length of the ring,
 * where nothing else is stored while no out-of-order data is held, so a corrupted segment
 * leaves them as uncommitted garbage. Only headers are parsed before the verdict, with no
 * effect. Returns 1 (seg->r parsed, payload placed, checksum verified), 0 (seg->r parsed, the
 * checksum still to be verified over the whole segment), -1 (bad checksum: dropped and counted)
 * or -2 (the header does not parse: the caller parses as usual, which reports the right reason). */
static int input_fast_place(synack_stack_t *st, const synack_ip_t *src, const synack_ip_t *dst, const uint8_t *buf,
                            size_t len, synack_seg_t *seg, synack_tcb_t **found) {
  synack_tcp_repr_t *r = &seg->r;
  if (synack_tcp_parse(buf, len, NULL, NULL, SYNACK_PARSE_NO_CSUM, r) != SYNACK_DROP_NONE) return -2;
  if (r->payload_len == 0 || r->src_port == 0 || r->dst_port == 0) return 0;
  if ((r->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST | SYNACK_TCP_FIN | SYNACK_TCP_URG | SYNACK_TCP_ACK)) != SYNACK_TCP_ACK)
    return 0;
  synack_tuple_t t;
  synack_tuple_rx(&t, src, dst, r->src_port, r->dst_port);
  synack_tcp_node_t *n = synack_tcp_hash_lookup(st, &t);
  if (!n || (synack_node_kind_t)n->kind != SYNACK_NODE_TCB) return 0;
  synack_tcb_t *tcb = (synack_tcb_t *)n;
  synack_rcvbuf_t *b = &tcb->rb;
  /* Signed connections (RFC 2385, RFC 5925) take the ordinary path: the signature is checked before any
   * byte is placed. */
  if (tcb->md5 || tcb->ao || (r->opts.present & (SYNACK_TCPOPT_HAS_MD5 | SYNACK_TCPOPT_HAS_AO))) return 0;
  if (tcb->state != SYNACK_TCP_ESTABLISHED || b->ooo.n != 0 || r->seq != tcb->rcv_nxt.v ||
      r->payload_len > synack_rcvbuf_room(b))
    return 0;
  /* At the memory limit the ordinary path decides (and counts) what is refused. */
  if (st->tcp->bufmem + SYNACK_CHUNK > st->cfg.tcp_mem_high) return 0;
  if (!synack_rcvbuf_holds(b)) b->slack = synack_tcp_rcv_slack(tcb); /* as tcp_rcv.c sizes the ring */
  if (synack_rcvbuf_reserve(st, b, 0, (uint32_t)r->payload_len) < 0) return 0; /* the ordinary path counts it */
  const uint8_t *at = synack_rcvbuf_tail(b);
  uint32_t psum = synack_rcvbuf_place_csum(b, r->payload, (uint32_t)r->payload_len);
  /* RFC 9293 §3.1: pseudo-header, header and data; the data's sum came from the copy. */
  uint32_t sum = synack_csum_add(synack_csum_pseudo(src, dst, SYNACK_IPPROTO_TCP, (uint32_t)len), buf, r->header_len);
  if (!synack_csum_ok(synack_csum_combine(sum, psum, r->header_len))) {
    synack_drop(st, SYNACK_DROP_TCP_BAD_CHECKSUM, NULL, 0);
    synack_rcvbuf_unreserve(st, b); /* a forged segment leaves no chunk behind */
    return -1;
  }
  seg->placed = true;
  seg->placed_gen = b->gen;
  seg->placed_at = at;
  *found = tcb; /* the caller's demultiplexing would find the same node */
  return 1;
}

/* A segment whose bytes the fast path placed was dropped before tcp_rcv.c committed them: the
 * chunks reserved for them hold nothing. `tcb` is the connection if it is certainly still there,
 * else NULL (after its input the connection may be gone: looked up again). */
static void unplace(synack_stack_t *st, const synack_seg_t *seg, synack_tcb_t *tcb) {
  if (!seg->placed || seg->placed_used) return;
  if (!tcb) {
    synack_tcp_node_t *n = synack_tcp_hash_lookup(st, &seg->t);
    if (!n || (synack_node_kind_t)n->kind != SYNACK_NODE_TCB) return;
    tcb = (synack_tcb_t *)n;
  }
  synack_rcvbuf_unreserve(st, &tcb->rb);
}

/* RFC 2385: the key of a socket's set that applies to the sender of seg. */
static const synack_md5_key_t *md5_key(const synack_md5_keys_t *keys, const synack_seg_t *seg) {
  if (!keys) return NULL;
  synack_ip_t local, peer;
  synack_tuple_ips(&seg->t, &local, &peer);
  return synack_tcp_md5_lookup(keys, &peer);
}

/* RFC 2385 / RFC 5925 §7.6: the segment's signature checked against the keys of what it is
 * for (MD5 keys or TCP-AO keys with the ISNs of the context: the peer's, ours), before it
 * changes any state. false: dropped and counted. */
static bool sig_accept(synack_stack_t *st, const synack_md5_keys_t *md5, synack_ao_t *ao, uint32_t isn_r,
                       uint32_t isn_l, synack_seg_t *seg) {
  bool has_md5 = seg->r.opts.present & SYNACK_TCPOPT_HAS_MD5;
  if (ao || (seg->r.opts.present & SYNACK_TCPOPT_HAS_AO)) {
    if (!synack_tcp_ao_accept(st, ao, isn_r, isn_l, seg)) return false;
    if (seg->ao_ok) return true;
    /* TCP-AO does not apply (no key of ao covers the peer, no option): MD5 decides. */
  }
  if (!has_md5 && !md5) return true;
  return synack_tcp_md5_accept(st, md5_key(md5, seg), seg);
}

/* ---------- entry point: parse and demultiplex ---------- */
void synack_tcp_input(synack_stack_t *st, synack_time_t now, const synack_ip_t *src, const synack_ip_t *dst,
                      uint8_t tos, const uint8_t *buf, size_t len, unsigned rx_flags) {
  synack_seg_t seg;
  /* Everything after the header representation is zeroed; seg.r itself is written in full by
   * synack_tcp_parse (which also clears its options) before anything reads it, so the 170-odd
   * bytes of it are not cleared twice per segment. */
  memset((char *)&seg + offsetof(synack_seg_t, seq), 0, sizeof seg - offsetof(synack_seg_t, seq));
  st->now = now;
  unsigned pf = ((rx_flags & SYNACK_RX_CSUM_VALID) || st->cfg.csum_offload_rx) ? SYNACK_PARSE_NO_CSUM : 0;
  synack_tcb_t *fast_tcb = NULL;
  int fast = pf ? -2 : input_fast_place(st, src, dst, buf, len, &seg, &fast_tcb);
  if (fast == -1) return;
  if (fast == 0) {
    /* Parsed, not placed: RFC 9293 §3.1, the checksum over the whole segment. */
    uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_TCP, (uint32_t)len);
    if (!synack_csum_ok(synack_csum_add(sum, buf, len))) {
      synack_drop(st, SYNACK_DROP_TCP_BAD_CHECKSUM, NULL, 0);
      return;
    }
  } else if (fast == -2) {
    synack_drop_reason_t why = synack_tcp_parse(buf, len, src, dst, pf, &seg.r);
    if (why != SYNACK_DROP_NONE) { synack_drop(st, why, NULL, 0); return; }
  }
  if (seg.r.src_port == 0 || seg.r.dst_port == 0) { synack_drop(st, SYNACK_DROP_TCP_BAD_ADDR, NULL, 0); return; }
  uint8_t f = seg.r.flags;
  if ((f & SYNACK_TCP_SYN) && (f & SYNACK_TCP_RST)) {
    synack_drop(st, SYNACK_DROP_TCP_BAD_FLAGS, NULL, 0);
    unplace(st, &seg, fast_tcb);
    return;
  }
  if ((f & SYNACK_TCP_SYN) && (f & SYNACK_TCP_FIN) && st->cfg.tcp_drop_synfin) {
    synack_drop(st, SYNACK_DROP_TCP_BAD_FLAGS, NULL, 0);
    unplace(st, &seg, fast_tcb);
    return;
  }
  synack_count(st, SYNACK_CTR_TCP_SEGS_IN);
  if (seg.r.opts.present & SYNACK_TCPOPT_HAS_BAD_LEN) synack_count(st, SYNACK_CTR_TCP_OPT_BAD_LEN_IGNORED);
  seg.flags = f;
  seg.seq = seq_make(seg.r.seq);
  seg.ack = seq_make(seg.r.ack);
  seg.len = (uint32_t)seg.r.payload_len;
  seg.seg_len = seg.len + ((f & SYNACK_TCP_SYN) ? 1u : 0u) + ((f & SYNACK_TCP_FIN) ? 1u : 0u);
  seg.tos = tos;
  synack_tuple_rx(&seg.t, src, dst, seg.r.src_port, seg.r.dst_port);

  if (fast_tcb) {
    synack_tcp_input_tcb(st, fast_tcb, &seg, now);
    unplace(st, &seg, NULL);
    return;
  }
  synack_tcp_node_t *n = synack_tcp_hash_lookup(st, &seg.t);
  /* RFC 2385 §2.0: the signature is checked (tcp_md5sig.c) with the key of whatever the segment
   * is for, before that changes any state; a missing, wrong or unexpected one drops it. */
  bool md5 = seg.r.opts.present & SYNACK_TCPOPT_HAS_MD5;
  bool ao = seg.r.opts.present & SYNACK_TCPOPT_HAS_AO;
  if (n) {
    switch ((synack_node_kind_t)n->kind) {
    case SYNACK_NODE_TCB: {
      synack_tcb_t *tcb = (synack_tcb_t *)n;
      /* RFC 5925 §5.2: the peer's ISN is known once SYN-SENT is left (a SYN-ACK carries it). */
      uint32_t isn_r = tcb->state == SYNACK_TCP_SYN_SENT ? seg.seq.v : tcb->irs.v;
      if ((md5 || ao || tcb->md5 || tcb->ao) && !sig_accept(st, tcb->md5, tcb->ao, isn_r, tcb->iss.v, &seg)) return;
      if (tcb->state == SYNACK_TCP_TIME_WAIT && st->cfg.tcp_tw_socket_handoff &&
          (f & (SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_RST)) == SYNACK_TCP_SYN) {
        /* cfg.tcp_tw_socket_handoff (Linux: tcp_time_wait moves every TIME-WAIT to its mini-socket,
         * the socket the application holds reads TCP_CLOSE): a SYN meets the compact entry's
         * rules, so a newer one reaches the listener (RFC 6191) even while the socket is held.
         * RFC 9293 §3.10.7.4 would answer it from the full TCB (RFC 5961 §4.2 challenge ACK). */
        synack_timewait_t *tw = synack_tcp_timewait_handoff(st, tcb, now);
        if (!tw || synack_tcp_timewait_input(st, tw, &seg, now)) return;
        break; /* on to the listener */
      }
      synack_tcp_input_tcb(st, tcb, &seg, now);
      return;
    }
    case SYNACK_NODE_HALFOPEN: {
      synack_halfopen_t *h = (synack_halfopen_t *)n;
      const synack_tcb_t *lt = h->lst->tcb;
      if ((md5 || ao || lt->md5 || lt->ao) && !sig_accept(st, lt->md5, lt->ao, h->irs.v, h->iss.v, &seg)) return;
      synack_tcp_halfopen_input(st, h, &seg, now);
      return;
    }
    case SYNACK_NODE_TIMEWAIT: {
      synack_timewait_t *tw = (synack_timewait_t *)n;
      if (tw->sig_ao || ao) {
        /* RFC 5925: the entry's copy of the connection's keys, ISNs and SNE. */
        synack_ao_t *tao = tw->sig_ao ? tw->ao : NULL;
        if (!synack_tcp_ao_accept(st, tao, tao ? tao->isn_r : 0, tao ? tao->isn_l : 0, &seg)) return;
      } else if ((md5 || tw->md5) && !synack_tcp_md5_accept(st, tw->md5, &seg)) {
        return;
      }
      if (synack_tcp_timewait_input(st, tw, &seg, now)) return;
      break; /* a new SYN reopened the 4-tuple: on to the listener */
    }
    }
  }
  synack_listener_t *l = synack_tcp_listener_select(st, &seg.t);
  if (l) {
    const synack_tcb_t *lt = l->tcb;
    /* A listener knows no ISN of ours but the one an ACK returns (a SYN cookie). */
    uint32_t isn_r = seq_sub(seg.seq, 1).v, isn_l = seq_sub(seg.ack, 1).v;
    if ((md5 || ao || lt->md5 || lt->ao) && !sig_accept(st, lt->md5, lt->ao, isn_r, isn_l, &seg)) {
      if (seg.tw_reopen) synack_tcp_timewait_settle(st, &seg.t, false); /* back to TIME-WAIT */
      return;
    }
    synack_tcp_listen_input(st, l, &seg, now);
    if (seg.tw_reopen) synack_tcp_timewait_settle(st, &seg.t, false); /* tcp_timewait.c */
    return;
  }
  if (md5 || ao) {
    /* No key can apply: Linux answers a signed segment for no socket only when a listener's
     * key verifies it, so nothing is sent. */
    synack_drop(st, ao ? SYNACK_DROP_TCP_AO_KEY_NOT_FOUND : SYNACK_DROP_TCP_MD5_UNEXPECTED, NULL, 0);
    return;
  }
  input_closed(st, &seg);
}

/* ---------- ICMP errors (RFC 1122 §4.2.3.9, RFC 5927, RFC 5461) ---------- */
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void synack_tcp_icmp_error(synack_stack_t *st, synack_time_t now, uint8_t family, uint8_t type, uint8_t code,
                           uint32_t mtu, const uint8_t *q, size_t len) {
  synack_tuple_t t;
  memset(&t, 0, sizeof t);
  const uint8_t *th;
  size_t hl;
  if (family == SYNACK_AF_INET) {
    if (len < 20) goto bad;
    hl = (size_t)(q[0] & 0x0f) * 4;
    if (hl < 20 || len < hl + 8 || q[9] != SYNACK_IPPROTO_TCP) goto bad;
    memcpy(t.laddr, q + 12, 4);
    memcpy(t.raddr, q + 16, 4);
  } else {
    hl = 40;
    if (len < hl + 8 || q[6] != SYNACK_IPPROTO_TCP) goto bad;
    memcpy(t.laddr, q + 8, 16);
    memcpy(t.raddr, q + 24, 16);
  }
  t.family = family;
  th = q + hl;
  t.lport = (uint16_t)(th[0] << 8 | th[1]);
  t.rport = (uint16_t)(th[2] << 8 | th[3]);
  synack_tcp_node_t *n = synack_tcp_hash_lookup(st, &t);
  if (!n || n->kind != SYNACK_NODE_TCB) return;
  synack_tcb_t *tcb = (synack_tcb_t *)n;
  synack_seq_t seq = seq_make(rd32(th + 4));
  /* RFC 5927 §4.1: act only when the quoted sequence number is one we have in flight. */
  if (!seq_between(seq, tcb->snd_una, tcb->snd_max) ||
      (seq_eq(tcb->snd_una, tcb->snd_max) && !seq_eq(seq, tcb->snd_una)))
    goto bad;
  if (tcb->ao && synack_tcp_state_synchronized(tcb->state) &&
      ((family == SYNACK_AF_INET && type == SYNACK_ICMP4_DEST_UNREACH &&
        (code == SYNACK_ICMP4_PROTO_UNREACH || code == SYNACK_ICMP4_PORT_UNREACH || code == SYNACK_ICMP4_FRAG_NEEDED)) ||
       (family == SYNACK_AF_INET6 && type == SYNACK_ICMP6_DEST_UNREACH &&
        (code == SYNACK_ICMP6_ADMIN_PROHIBITED || code == SYNACK_ICMP6_PORT_UNREACH)))) {
    /* RFC 5925 §7.8: a connection with TCP-AO MUST by default ignore these "hard" errors, which
     * nobody authenticates (Linux counts them as TCPAODroppedIcmps). */
    synack_drop(st, SYNACK_DROP_TCP_AO_ICMP_IGNORED, NULL, 0);
    return;
  }
  bool pmtu = (family == SYNACK_AF_INET && type == SYNACK_ICMP4_DEST_UNREACH && code == SYNACK_ICMP4_FRAG_NEEDED) ||
              (family == SYNACK_AF_INET6 && type == SYNACK_ICMP6_PACKET_TOO_BIG);
  if (pmtu) {
    synack_tcp_pmtu_update(st, tcb, mtu, now); /* tcp_pmtu.c */
    return;
  }
  bool unreach = (family == SYNACK_AF_INET && type == SYNACK_ICMP4_DEST_UNREACH) ||
                 (family == SYNACK_AF_INET6 && type == SYNACK_ICMP6_DEST_UNREACH);
  bool exceeded = (family == SYNACK_AF_INET && type == SYNACK_ICMP4_TIME_EXCEEDED) ||
                  (family == SYNACK_AF_INET6 && type == SYNACK_ICMP6_TIME_EXCEEDED);
  if (!unreach && !exceeded) return;
  /* RFC 1122 §4.2.3.9 and RFC 5461 §4: unreachables are soft errors: remembered and
   * reported if the connection later times out, never a reason to abort by themselves. */
  int err = -SYNACK_EHOSTUNREACH;
  if (family == SYNACK_AF_INET && unreach && code == SYNACK_ICMP4_NET_UNREACH) err = -SYNACK_ENETUNREACH;
  if (unreach && ((family == SYNACK_AF_INET && code == SYNACK_ICMP4_PORT_UNREACH) ||
                  (family == SYNACK_AF_INET6 && code == SYNACK_ICMP6_PORT_UNREACH)))
    err = -SYNACK_ECONNREFUSED;
  bool hard = false;
  if (unreach && family == SYNACK_AF_INET) {
    if (code == SYNACK_ICMP4_PORT_UNREACH || code == SYNACK_ICMP4_PROTO_UNREACH) {
      err = -SYNACK_ECONNREFUSED;
      hard = true;
    } else if (code == SYNACK_ICMP4_NET_ADMIN_PROHIBITED || code == SYNACK_ICMP4_HOST_ADMIN_PROHIBITED ||
               code == SYNACK_ICMP4_ADMIN_PROHIBITED) {
      hard = true;
    }
  } else if (unreach) {
    hard = code == SYNACK_ICMP6_PORT_UNREACH || code == SYNACK_ICMP6_ADMIN_PROHIBITED;
  }
  if (hard && tcb->state == SYNACK_TCP_SYN_SENT) {
    /* RFC 1122 §4.2.3.9: port and protocol unreachable (and, as Linux does, administratively
     * prohibited) are hard errors: an opening connection is aborted at once instead of retrying
     * its SYN for two minutes behind a REJECT rule. The quote was checked above (RFC 5927). */
    synack_count(st, SYNACK_CTR_TCP_ATTEMPT_FAILS);
    synack_tcp_done(st, tcb, err, err == -SYNACK_ECONNREFUSED ? "ICMP port/protocol unreachable in SYN-SENT"
                                                              : "ICMP administratively prohibited in SYN-SENT");
    return;
  }
  if (st->cfg.tcp_icmp_open_abort && (tcb->state == SYNACK_TCP_SYN_SENT ||
                                      (tcb->state == SYNACK_TCP_SYN_RECEIVED && !(tcb->tfo & SYNACK_TFOF_CHILD)))) {
    /* cfg.tcp_icmp_open_abort (Linux's tcp_v4_err/tcp_v6_err: SYN_SENT and SYN_RECV end with
     * tcp_done_with_error): a net or host unreachable or a time exceeded for our SYN ends the
     * attempt at once with its error. RFC 1122 §4.2.3.9 and RFC 5461 §4 call these soft errors
     * that SHOULD NOT abort (a route may come back before the SYN retries run out); Linux
     * chooses to tell the application now. A fast open child, already accepted, stays. */
    synack_count(st, SYNACK_CTR_TCP_ATTEMPT_FAILS);
    synack_tcp_done(st, tcb, err, "ICMP unreachable for an opening connection");
    return;
  }
  tcb->soft_error = err;
  return;
bad:
  synack_drop(st, SYNACK_DROP_ICMP_BAD_QUOTE, NULL, 0);
}
