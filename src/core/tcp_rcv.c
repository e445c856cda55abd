/* Receiving segment text (RFC 9293 §3.10.7.4 seventh step), duplicates and D-SACK (RFC 2883),
 * the SACK option of outgoing segments (RFC 2018), and the timestamp checks of the receiver
 * (RFC 7323 §4.3 and §5: TS.Recent and PAWS).
 *
 * Every received byte is copied once, from the frame into its place in the receive ring.
 * In-order data with nothing held out of order takes a short path: trim, copy, advance RCV.NXT,
 * decide the ACK. Anything else goes through the range table (tcp_ooo.c): bytes already held
 * keep their first copy, a duplicate becomes a D-SACK block, the arrival becomes the first
 * SACK block. */
#include "tcp_internal.h"

static uint32_t now_s(synack_time_t now) { return (uint32_t)(now / 1000000u); }

void synack_tcp_ts_update(synack_tcb_t *tcb, const synack_seg_t *seg, synack_time_t now) {
  const synack_tcp_opts_t *o = &seg->r.opts;
  if (!(tcb->flags & TF_TS_OK) || !(o->present & SYNACK_TCPOPT_HAS_TS)) return;
  bool newer = (int32_t)(o->ts_val - tcb->ts_recent) >= 0;
  bool invalid = synack_tcp_ts_recent_expired(tcb->ts_recent_s, now);
  /* Not from a segment that acknowledges data never sent (as Linux, against timestamp
   * poisoning: a blind in-window segment with a huge TSval would make PAWS drop every later
   * segment of the real peer). */
  if ((seg->flags & SYNACK_TCP_ACK) && seq_gt(seg->ack, tcb->snd_max)) return;
  /* RFC 7323 §4.3 (2) / §5.3 R3: SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent. While
   * an ACK is delayed, Last.ACK.sent stays put, so the echo times the earliest unacknowledged
   * segment (§4.2). */
  if ((newer || invalid) && seq_le(seg->seq, tcb->last_ack_sent)) {
    tcb->ts_recent = o->ts_val;
    tcb->ts_recent_s = now_s(now);
  }
}

static void note_dsack(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t l, synack_seq_t r) {
  if (!(tcb->flags & TF_SACK_OK) || !st->cfg.tcp_dsack || !seq_lt(l, r)) return;
  synack_sackgen_dsack(&tcb->rb.sg, l, r);
  synack_count(st, SYNACK_CTR_TCP_DSACKS_SENT);
}

void synack_tcp_rcv_dup(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg) {
  if (seg->len == 0) return;
  synack_seq_t l = seg->seq;
  if (seg->flags & SYNACK_TCP_SYN) l = seq_add(l, 1); /* the text starts after a SYN */
  if (!seq_lt(l, tcb->rcv_nxt)) return;               /* beyond the window: not a duplicate */
  synack_seq_t r = seq_add(l, seg->len);
  if (seq_gt(r, tcb->rcv_nxt)) r = tcb->rcv_nxt;
  /* RFC 2883 §4: the first block of the ACK reports the duplicate. */
  note_dsack(st, tcb, l, r);
}

void synack_tcp_sack_opts(const synack_stack_t *st, synack_tcb_t *tcb, synack_ctl_opts_t *c, uint32_t payload) {
  c->nsack = 0;
  if (!(tcb->flags & TF_SACK_OK)) return;
  synack_rcvbuf_t *b = &tcb->rb;
  if (!b->sg.dsack && b->ooo.n == 0) return; /* RFC 2018 §4: nothing above RCV.NXT */
  /* With an MD5 signature (20 bytes) and timestamps no block fits; without timestamps two
   * (Linux tcp_established_options computes the same). TCP-AO (16 bytes) leaves room for one
   * beside timestamps. */
  uint8_t max = synack_sack_max_blocks((c->ts ? 12u : 0u) + synack_tcp_sig_optlen(tcb));
  if (max == 0) return;
  if (payload) {
    /* The SACK option comes out of the segment: the send MSS already has the timestamps
     * taken off (RFC 6691), the blocks must fit in what the payload leaves. */
    uint32_t room = tcb->snd_mss > payload ? tcb->snd_mss - payload : 0;
    uint32_t fit = room >= 12 ? (room - 4) / 8 : 0;
    if (fit < max) max = (uint8_t)fit;
  }
  c->nsack = synack_sackgen_blocks(&b->sg, &b->ooo, tcb->rcv_nxt, c->sack_blk, max);
  if (!st->cfg.tcp_sack_fin || !(tcb->flags & TF_OOO_FIN)) return;
  /* cfg.tcp_sack_fin (Linux: a queued segment's end includes its FIN): the block holding the
   * data just before an out-of-order FIN covers the FIN's sequence number too. RFC 2018 §3
   * speaks of "blocks of data"; the FIN occupies a sequence number of its own (RFC 9293 §3.4). */
  for (uint8_t i = 0; i < c->nsack; i++) {
    synack_seq_t l = seq_make(c->sack_blk[i].left), r = seq_make(c->sack_blk[i].right);
    if (seq_eq(r, tcb->ooo_fin_seq) && seq_lt(l, r)) c->sack_blk[i].right = seq_add(r, 1).v;
  }
}

bool synack_tcp_sack_unreported(const synack_tcb_t *tcb) {
  if (!(tcb->flags & TF_SACK_OK) || !tcb->rb.ooo.n) return false;
  /* With a signature and timestamps no block fits (synack_tcp_sack_opts): nothing can report
   * the ranges, and asking for another ACK would ask forever. */
  uint32_t other = ((tcb->flags & TF_TS_OK) ? 12u : 0u) + synack_tcp_sig_optlen(tcb);
  if ((tcb->md5 || tcb->ao) && synack_sack_max_blocks(other) == 0) return false;
  return synack_sackgen_unreported(&tcb->rb.sg, &tcb->rb.ooo, tcb->rcv_nxt);
}

static void strip_fin(synack_seg_t *seg) { seg->flags &= (uint8_t)~SYNACK_TCP_FIN; }

/* In-order bytes reached the application's side of the ring. */
static void deliver(synack_stack_t *st, synack_tcb_t *tcb) {
  if (!(tcb->flags & TF_SHUT_RD) || st->cfg.tcp_shut_rd_keeps_data) {
    synack_tcp_urg_delivered(st, tcb); /* the urgent byte may be in now (tcp_urg.c) */
    /* SO_RCVLOWAT: readable once enough has come (Linux tcp_data_ready). */
    if (synack_tcp_rcv_lowat_met(tcb)) synack_tcp_post(st, tcb, SYNACK_EV_READABLE, 0);
    return;
  }
  /* SHUT_RD: the data is acknowledged and discarded. */
  uint8_t sink[256];
  while (synack_rcvbuf_read(st, &tcb->rb, sink, sizeof sink, false) > 0) {}
}

/* Data at RCV.NXT while ranges are held: it may overlap them (their bytes stay) and fill the
 * first gap; RFC 5681 §4.2: ACK at once. */
static void queue_in_order(synack_stack_t *st, synack_tcb_t *tcb, const uint8_t *data, uint32_t n, bool dup_noted) {
  synack_rcvbuf_t *b = &tcb->rb;
  synack_seq_t seq = tcb->rcv_nxt;
  synack_ooo_probe_t pr;
  synack_ooo_probe(&b->ooo, seq, seq_add(seq, n), &pr);
  /* One D-SACK block per segment: its lowest duplicate run (the part below RCV.NXT if any). */
  if (pr.dup && !dup_noted) note_dsack(st, tcb, pr.dup_r.start, pr.dup_r.end);
  synack_rcvbuf_store(b, tcb->rcv_nxt, seq, data, n);
  synack_rcvbuf_commit(b, n);
  tcb->rcv_nxt = seq_add(tcb->rcv_nxt, n);
  uint32_t got = synack_ooo_take(&b->ooo, tcb->rcv_nxt);
  synack_rcvbuf_commit(b, got);
  tcb->rcv_nxt = seq_add(tcb->rcv_nxt, got);
  tcb->bytes_received += n + got;
  tcb->flags |= TF_ACK_NOW;
}

/* Data above RCV.NXT: keep what is new (bounded), report it (RFC 2018) and ACK at once
 * (RFC 5681 §4.2: a duplicate ACK for the sender's fast retransmit). */
static void queue_out_of_order(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_seq_t seq,
                               const uint8_t *data, uint32_t n) {
  synack_rcvbuf_t *b = &tcb->rb;
  synack_seq_t end = seq_add(seq, n);
  tcb->flags |= TF_ACK_NOW;
  synack_ooo_probe_t pr;
  synack_ooo_probe(&b->ooo, seq, end, &pr);
  if (pr.dup) note_dsack(st, tcb, pr.dup_r.start, pr.dup_r.end);
  if (pr.fresh == 0) {
    /* All held already: RFC 2883 §4, the block holding it follows the D-SACK block. */
    synack_sackgen_arrival(&b->sg, &b->ooo, pr.dup_r.start);
    return;
  }
  uint32_t bound = st->cfg.tcp_ooo_max_bytes ? st->cfg.tcp_ooo_max_bytes : b->cap;
  if (b->ooo.bytes + pr.fresh > bound) {
    synack_drop(st, SYNACK_DROP_TCP_OOO_NO_MEMORY, NULL, 0);
    strip_fin(seg);
    return;
  }
  if (pr.needs_slot) {
    if (synack_rcvbuf_ooo_reserve(st, b, st->cfg.tcp_ooo_max_ranges) < 0) {
      synack_drop(st, SYNACK_DROP_TCP_NO_MEMORY, NULL, 0);
      strip_fin(seg);
      return;
    }
    if (b->ooo.n >= b->ooo.cap) {
      synack_drop(st, SYNACK_DROP_TCP_OOO_RANGES_FULL, NULL, 0);
      strip_fin(seg);
      return;
    }
  }
  synack_rcvbuf_store(b, tcb->rcv_nxt, seq, data, n);
  (void)synack_ooo_add(&b->ooo, seq, end); /* cannot fail: a slot was checked above */
  synack_sackgen_arrival(&b->sg, &b->ooo, seq);
  synack_count(st, SYNACK_CTR_TCP_OOO_SEGS);
  tcb->rcv_ooopack++;
}

bool synack_tcp_rcv_data(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now) {
  if (seg->len == 0) return true;
  const uint8_t *data = seg->r.payload;
  uint32_t n = seg->len;
  synack_seq_t seq = seg->seq;
  int32_t skip = seq_diff(tcb->rcv_nxt, seq);
  if (skip > 0) {
    /* RFC 9293 §3.10.7.4: only the new part of a segment that straddles RCV.NXT is
     * processed; the old part is a duplicate (RFC 2883 §4) and is acknowledged at once. */
    synack_seq_t dup_end = (uint32_t)skip >= n ? seq_add(seq, n) : tcb->rcv_nxt;
    note_dsack(st, tcb, seq, dup_end);
    tcb->flags |= TF_ACK_NOW;
    if ((uint32_t)skip >= n) {
      /* Linux's tcp_data_queue: a retransmission of data already received ends pingpong
       * mode and restarts quick ACKs (the peer is recovering a loss) */
      if (st->cfg.tcp_delack_linux) synack_tcp_lx_enter_quickack(st, tcb);
      return true;
    }
    data += skip;
    n -= (uint32_t)skip;
    seq = tcb->rcv_nxt;
  }
  if (tcb->flags & TF_ORPHAN) {
    /* RFC 9293 §3.10.4 / RFC 1122 §4.2.2.13: nobody will read this: reset the connection.
     * cfg.tcp_orphan_rst_reply (Linux, tcp_rcv_state_process returning to tcp_v4_send_reset):
     * the RST answers the segment, <SEQ=SEG.ACK><CTL=RST> without an ACK. */
    if (st->cfg.tcp_orphan_rst_reply) synack_tcp_reply_rst(st, seg);
    else synack_tcp_send_rst_tcb(st, tcb, now);
    synack_tcp_done(st, tcb, 0, "data after close()");
    return false;
  }
  /* RFC 9293 §3.10.7.4: text beyond the window we offered is not ours (and neither is a FIN
   * after it). The ring always holds the offered window (see tcp_rcvwnd.c). */
  if (!synack_rcvbuf_holds(&tcb->rb)) tcb->rb.slack = synack_tcp_rcv_slack(tcb);
  uint32_t wnd = synack_tcp_rcv_wnd(st, tcb);
  uint32_t room = synack_rcvbuf_room(&tcb->rb);
  if (wnd > room) wnd = room;
  uint32_t off = (uint32_t)seq_diff(seq, tcb->rcv_nxt);
  if (off >= wnd) {
    synack_drop(st, SYNACK_DROP_TCP_RCVBUF_FULL, NULL, 0);
    strip_fin(seg);
    tcb->flags |= TF_ACK_NOW;
    if (st->cfg.tcp_delack_linux) synack_tcp_lx_enter_quickack(st, tcb); /* tcp_data_queue: out_of_window */
    return true;
  }
  uint32_t keep = wnd - off;
  /* cfg.tcp_seq_right_edge (Linux's tcp_data_queue): a segment that passed the first check
   * (tcp_check.c: starting in the window, nothing waiting to be read) is queued whole, the part
   * beyond the edge included, as far as the buffer holds it. */
  if (st->cfg.tcp_seq_right_edge && n > keep && room - off >= n) keep = n;
  if (n > keep) {
    synack_drop(st, SYNACK_DROP_TCP_RCVBUF_FULL, NULL, 0); /* the part beyond the window */
    n = keep;
    strip_fin(seg);
    tcb->flags |= TF_ACK_NOW;
  }
  if (synack_rcvbuf_reserve(st, &tcb->rb, off, n) < 0) {
    synack_drop(st, SYNACK_DROP_TCP_MEM_LIMIT, NULL, 0);
    strip_fin(seg);
    return true;
  }
  if (off == 0 && tcb->rb.ooo.n == 0) {
    /* The common case: next in order, nothing held beyond it. The input fast path may have
     * put the bytes in place already; that holds only if the ring still ends where they were
     * written (a read from a callback can rewind an emptied ring), else they are copied. */
    synack_rcvbuf_t *b = &tcb->rb;
    bool in_place = seg->placed && skip == 0 && b->gen == seg->placed_gen && synack_rcvbuf_tail(b) == seg->placed_at;
    if (!in_place) synack_rcvbuf_place(b, 0, data, n);
    seg->placed_used = true;
    synack_rcvbuf_commit(&tcb->rb, n);
    tcb->rcv_nxt = seq_add(tcb->rcv_nxt, n);
    tcb->bytes_received += n;
    synack_tcp_rcv_grow(st, tcb, n); /* cfg.tcp_rcvwnd LINUX: rcv_ssthresh (tcp_rcvwnd.c) */
    synack_tcp_ack_policy(st, tcb, n, seg->flags, now);
    deliver(st, tcb);
    return true;
  }
  if (off == 0) {
    queue_in_order(st, tcb, data, n, skip > 0);
    deliver(st, tcb);
    return true;
  }
  queue_out_of_order(st, tcb, seg, seq, data, n);
  /* Refused (bounds): the chunks reserved for it hold nothing now. */
  if (tcb->rb.ooo.n == 0) synack_rcvbuf_unreserve(st, &tcb->rb);
  return true;
}
