/* Segment construction: SYN, SYN-ACK, data, FIN and ACK from a TCB; control segments without
 * one (half-open SYN-ACKs, TIME-WAIT ACKs, resets). Options follow the configured wire layout.
 * Payload bytes go from the send ring straight into the transmit slot (one copy). When the
 * transmit ring is full the TCB waits on the pending list until synack_tcp_flush. */
#include <string.h>

#include "tcp_internal.h"

uint16_t synack_tcp_default_mss(const synack_stack_t *st, uint8_t family) {
  /* RFC 9293 §3.7.1: without an MSS option assume 536 (IPv4) or 1220 (IPv6, RFC 8200 MTU 1280). */
  if (family == SYNACK_AF_INET6) return 1220;
  return st->cfg.tcp_default_mss ? st->cfg.tcp_default_mss : 536;
}

uint16_t synack_tcp_route_mss(synack_stack_t *st, const synack_tuple_t *t) {
  synack_ip_t l, r;
  synack_tuple_ips(t, &l, &r);
  uint32_t mtu = synack_route_mtu(st, &r);
  uint32_t hdr = (t->family == SYNACK_AF_INET6 ? 40u : 20u) + SYNACK_TCP_HDR_LEN;
  if (mtu < hdr + 64) return 64;
  uint32_t mss = mtu - hdr;
  return (uint16_t)(mss > 65535 ? 65535 : mss);
}

uint8_t synack_tcp_pick_wscale(const synack_stack_t *st) {
  /* RFC 7323 §2.3: the smallest shift that lets the largest buffer be advertised, at most 14. */
  if (!st->cfg.tcp_window_scaling) return 0;
  uint8_t s = 0;
  while (s < 14 && ((uint64_t)65535 << s) < st->cfg.tcp_max_buf) s++;
  return s;
}

/* synack_tcp_rcv_window: tcp_rcvwnd.c (receive side). */

/* Builds the option layout for a segment. */
static void build_opts(const synack_stack_t *st, synack_tcp_opts_t *o, const synack_ctl_opts_t *c) {
  /* Only the scalars: the arrays (sack, fo_cookie, layout) are read no further than their
   * counts (sack_count, fo_len, layout_len), and zeroing all 100-odd bytes per segment showed
   * in the profile. */
  o->present = 0;
  o->mss = 0;
  o->wscale = 0;
  o->sack_count = 0;
  o->ts_val = o->ts_ecr = 0;
  o->fo_len = 0;
  o->layout_len = 0;
  uint8_t *L = o->layout;
  uint8_t n = 0;
  if (!c) { o->layout_len = 0; return; }
  if (c->ao) {
    /* RFC 5925 §2.2: the TCP-AO option, first as Linux writes it (16 bytes: already 32-bit
     * aligned). Its MAC is filled in by emit(). */
    o->present |= SYNACK_TCPOPT_HAS_AO;
    o->ao_len = SYNACK_TCP_AO_OPTLEN;
    o->ao_keyid = c->ao->mkt->sndid;
    o->ao_rnext = c->ao->rnext;
    L[n++] = SYNACK_TCPOPT_AO;
  } else if (c->md5) {
    /* RFC 2385 §3.0: the signature option; first and 32-bit aligned by two NOPs, as Linux
     * writes it (tcp_options_write). Its digest is filled in by emit(). */
    o->present |= SYNACK_TCPOPT_HAS_MD5;
    L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_MD5;
  }
  if (c->ts) {
    o->present |= SYNACK_TCPOPT_HAS_TS;
    o->ts_val = c->ts_val;
    o->ts_ecr = c->ts_ecr;
  }
  if (!c->syn_opts) {
    if (c->ts) { L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_TS; }
    if (c->nsack) {
      /* RFC 2018 §3: SACK blocks after two NOPs (32-bit aligned), in both layouts. */
      o->present |= SYNACK_TCPOPT_HAS_SACK;
      o->sack_count = c->nsack;
      memcpy(o->sack, c->sack_blk, (size_t)c->nsack * sizeof o->sack[0]);
      L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_SACK;
    }
    o->layout_len = n;
    return;
  }
  o->present |= SYNACK_TCPOPT_HAS_MSS;
  o->mss = c->mss;
  if (c->sack) o->present |= SYNACK_TCPOPT_HAS_SACK_PERM;
  if (c->ws) { o->present |= SYNACK_TCPOPT_HAS_WSCALE; o->wscale = c->wscale; }
  L[n++] = SYNACK_TCPOPT_MSS;
  switch (st->cfg.tcp_opt_layout) {
  case SYNACK_OPT_LAYOUT_LINUX:
    if (c->ts && c->sack) { L[n++] = SYNACK_TCPOPT_SACK_PERM; L[n++] = SYNACK_TCPOPT_TS; }
    else if (c->ts) { L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_TS; }
    else if (c->sack) { L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_SACK_PERM; }
    if (c->ws) { L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_WSCALE; }
    break;
  case SYNACK_OPT_LAYOUT_FREEBSD:
    if (c->ws) { L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_WSCALE; }
    if (c->sack) L[n++] = SYNACK_TCPOPT_SACK_PERM;
    if (c->ts) L[n++] = SYNACK_TCPOPT_TS;
    break;
  }
  bool fo = c->fo;
  if (fo && (c->md5 || c->ao)) {
    /* With a signature the cookie goes only where it fits (Linux's tcp_syn_options and
     * tcp_synack_options check the room left): a SYN or SYN-ACK too long would not go out at
     * all. Without the option the SYN's data is sent again after the handshake. */
    o->layout_len = n;
    int used = synack_tcp_opts_len(o, L, n);
    uint32_t need = ((c->fo_exp ? 4u : 2u) + c->fo_len + 3u) & ~3u;
    fo = used >= 0 && (uint32_t)used + need <= SYNACK_TCP_MAX_OPT_LEN;
  }
  if (fo) {
    /* RFC 7413 §4.1.1: the fast open option last, padded with two NOPs to a 32-bit boundary
     * when its length leaves two bytes over (Linux's layout: "FO ...,nop,nop"). */
    o->present |= SYNACK_TCPOPT_HAS_FASTOPEN | (c->fo_exp ? SYNACK_TCPOPT_HAS_FASTOPEN_EXP : 0u);
    o->fo_len = c->fo_len;
    memcpy(o->fo_cookie, c->fo_cookie, c->fo_len);
    L[n++] = c->fo_exp ? SYNACK_TCPOPT_EXP : SYNACK_TCPOPT_FASTOPEN;
    if ((((c->fo_exp ? 4u : 2u) + c->fo_len) & 3u) == 2u) { L[n++] = SYNACK_TCPOPT_NOP; L[n++] = SYNACK_TCPOPT_NOP; }
  }
  o->layout_len = n;
}

/* Emits one segment: header from r, n payload bytes from the send ring at offset off.
 * Returns 1 when queued, -1 when the transmit ring is full, 0 when it could not be built. */
static int emit(synack_stack_t *st, const synack_tuple_t *t, synack_tcp_repr_t *r, const synack_sndbuf_t *sb,
                uint32_t off, uint32_t n, uint8_t tos, uint8_t ttl, const synack_md5_key_t *md5,
                const synack_ao_tx_t *ao) {
  synack_ip_t src, dst;
  synack_tuple_ips(t, &src, &dst);
  if (synack_tx_room(st) == 0) return -1;
  synack_tx_t tx;
  if (!synack_tx_begin(st, &dst, &tx)) return synack_tx_room(st) == 0 ? -1 : 0;
  r->src_port = t->lport;
  r->dst_port = t->rport;
  size_t hl = synack_tcp_emit(r, tx.l4, tx.l4_cap);
  if (hl == 0 || hl + n > tx.l4_cap) {
    synack_tx_cancel(st, &tx);
    return 0;
  }
  if (st->cfg.csum_offload_tx) {
    if (n) synack_sndbuf_copy(sb, off, tx.l4 + hl, n);
    if (md5) synack_tcp_md5_sign(md5, &src, &dst, tx.l4, hl + n); /* RFC 2385 (tcp_md5sig.c) */
    if (ao) synack_tcp_ao_sign(ao, &src, &dst, tx.l4, hl + n); /* RFC 5925 (tcp_ao.c) */
  } else {
    /* RFC 9293 §3.1: pseudo-header + header + data. The payload is summed while it is copied
     * out of the send ring (one pass over it instead of two); the header (checksum field
     * still zero from synack_tcp_emit) is summed on its own. hl is a multiple of 4, so the
     * payload starts at an even offset, but combine handles either. */
    uint32_t psum = n ? synack_sndbuf_copy_csum(sb, off, tx.l4 + hl, n) : 0;
    /* RFC 2385: the digest covers the data, and the checksum covers the digest. */
    if (md5) synack_tcp_md5_sign(md5, &src, &dst, tx.l4, hl + n);
    if (ao) synack_tcp_ao_sign(ao, &src, &dst, tx.l4, hl + n); /* RFC 5925 §5.1: likewise */
    uint32_t sum = synack_csum_add(synack_csum_pseudo(&src, &dst, SYNACK_IPPROTO_TCP, (uint32_t)(hl + n)), tx.l4, hl);
    uint16_t c = synack_csum_finish(synack_csum_combine(sum, psum, hl));
    tx.l4[16] = (uint8_t)(c >> 8);
    tx.l4[17] = (uint8_t)c;
  }
  synack_tx_commit(st, &tx, &src, &dst, SYNACK_IPPROTO_TCP, tos, ttl, hl + n);
  synack_count(st, SYNACK_CTR_TCP_SEGS_OUT);
  if (r->flags & SYNACK_TCP_RST) synack_count(st, SYNACK_CTR_TCP_RST_OUT);
  return 1;
}

const synack_ctl_opts_t *synack_tcp_md5_ctl(synack_ctl_opts_t *c, const synack_md5_key_t *key) {
  if (!key) return NULL;
  memset(c, 0, sizeof *c);
  c->md5 = key;
  return c;
}

const synack_ctl_opts_t *synack_tcp_seg_ctl(synack_ctl_opts_t *c, const synack_seg_t *seg) {
  if (!seg->ao_ok) return synack_tcp_md5_ctl(c, seg->md5);
  memset(c, 0, sizeof *c);
  c->ao = &seg->ao;
  return c;
}

bool synack_tcp_send_ctl(synack_stack_t *st, const synack_tuple_t *t, synack_seq_t seq, synack_seq_t ack,
                         uint8_t flags, uint16_t win, const synack_ctl_opts_t *o) {
  synack_tcp_repr_t r;
  memset(&r, 0, sizeof r);
  r.seq = seq.v;
  r.ack = (flags & SYNACK_TCP_ACK) ? ack.v : 0;
  r.flags = flags;
  r.window = win;
  build_opts(st, &r.opts, o);
  int rc = emit(st, t, &r, NULL, 0, 0, 0, 0, o ? o->md5 : NULL, o ? o->ao : NULL);
  if (rc < 0) synack_drop(st, SYNACK_DROP_TX_RING_FULL, NULL, 0);
  return rc > 0;
}

void synack_tcp_pending_add(synack_stack_t *st, synack_tcb_t *tcb) {
  if (tcb->flags & TF_PENDING) return;
  tcb->flags |= TF_PENDING;
  tcb->pend_next = NULL;
  if (st->tcp->pend_tail) st->tcp->pend_tail->pend_next = tcb;
  else st->tcp->pend_head = tcb;
  st->tcp->pend_tail = tcb;
}

void synack_tcp_pending_remove(synack_stack_t *st, synack_tcb_t *tcb) {
  if (!(tcb->flags & TF_PENDING)) return;
  synack_tcb_t *prev = NULL;
  for (synack_tcb_t *c = st->tcp->pend_head; c; prev = c, c = c->pend_next) {
    if (c != tcb) continue;
    if (prev) prev->pend_next = c->pend_next;
    else st->tcp->pend_head = c->pend_next;
    if (st->tcp->pend_tail == c) st->tcp->pend_tail = prev;
    break;
  }
  tcb->flags &= ~(uint64_t)TF_PENDING;
  tcb->pend_next = NULL;
}

void synack_tcp_flush(synack_stack_t *st, synack_time_t now) {
  /* Serve the waiting TCBs in order; stop as soon as one finds the ring full again. */
  while (st->tcp->pend_head) {
    synack_tcb_t *tcb = st->tcp->pend_head;
    synack_tcp_pending_remove(st, tcb);
    synack_tcp_output(st, tcb, now);
    if (tcb->flags & TF_PENDING) break;
  }
}

bool synack_tcp_has_pending(const synack_stack_t *st) { return st->tcp && st->tcp->pend_head != NULL; }

static void tcb_opts(const synack_stack_t *st, const synack_tcb_t *tcb, synack_time_t now, bool syn,
                     synack_ctl_opts_t *c) {
  /* Scalars only: sack_blk is read no further than nsack. */
  c->syn_opts = c->sack = c->ws = false;
  c->fo = c->fo_exp = false;
  c->fo_len = 0;
  c->mss = 0;
  c->wscale = 0;
  c->nsack = 0;
  c->ts = (tcb->flags & TF_TS_OK) != 0;
  c->ts_val = synack_tcp_ts_now(now, tcb->ts_offset);
  c->ts_ecr = tcb->ts_recent;
  c->md5 = synack_tcp_md5_tcb_key(tcb); /* RFC 2385: every segment of a keyed connection */
  c->ao = NULL; /* TCP-AO: set by the caller, which knows the sequence number (tcp_ao.c) */
  if (syn) {
    /* TCP_NOOPT (FreeBSD's TF_NOOPT): no options at all, not even MSS; the peer then uses
     * the RFC 9293 §3.7.1 default of 536 (IPv4) / 1220 (IPv6). */
    c->syn_opts = !(tcb->flags & TF_NOOPT);
    c->mss = tcb->rcv_mss;
    c->sack = (tcb->flags & TF_SACK_OK) != 0;
    c->ws = (tcb->flags & TF_WS_OK) != 0;
    c->wscale = tcb->rcv_wscale;
    if (tcb->syn_offer && tcb->state == SYNACK_TCP_SYN_RECEIVED) {
      /* cfg.tcp_simopen_synack_opts (Linux): the crossing SYN-ACK repeats our SYN's offer, a
       * timestamp echoing 0 when the peer sent none (RFC 7323 §3.2 would leave it out). */
      c->ts = (tcb->syn_offer & SYN_OFFER_TS) != 0;
      c->sack = (tcb->syn_offer & SYN_OFFER_SACK) != 0;
      c->ws = (tcb->syn_offer & SYN_OFFER_WS) != 0;
      c->wscale = tcb->syn_offer_ws;
    }
  }
  (void)st;
}

/* What one segment would carry now. */
typedef struct {
  uint8_t flags;
  synack_seq_t seq;
  uint32_t off, len;
  bool syn, fin;
  bool fo; /* our first SYN: fast open option and data (tcp_fastopen.c) */
} plan_t;

/* cfg.tcp_psh_tso: how many segments Linux would put in one TSO/GSO packet now. Its
 * tcp_tso_autosize: about a millisecond of the pacing rate (cwnd x MSS / SRTT, twice that in
 * the first half of slow start: tcp_update_pacing_rate), plus 64 KiB >> (min RTT / 512 us),
 * within 64 KiB, at least cfg.tcp_min_tso_segs segments (Linux: 2); tcp_cwnd_test then sends at most half
 * of cwnd at once. Without an RTT sample the rate is unbounded, as Linux's is. */
static uint32_t tso_segs(const synack_tcb_t *tcb, uint32_t st_min_tso_segs) {
  uint64_t mss = tcb->snd_mss ? tcb->snd_mss : 536u;
  uint64_t gso_max = 65536u, bytes = gso_max;
  bool ss = tcb->ssthresh_bytes == UINT32_MAX || tcb->cwnd_bytes < tcb->ssthresh_bytes / 2;
  if (tcb->srtt_us) {
    uint64_t rate = (uint64_t)tcb->cwnd_bytes * (ss ? 200u : 120u) * 10000u / tcb->srtt_us;
    bytes = rate >> 10; /* sk_pacing_shift 10 */
    uint32_t min_rtt = tcb->rec.rack_min_rtt_us ? tcb->rec.rack_min_rtt_us : tcb->srtt_us;
    uint32_t r = min_rtt >> 9; /* tcp_tso_rtt_log 9 */
    if (r < 32) bytes += gso_max >> r;
    if (bytes > gso_max) bytes = gso_max;
  }
  uint64_t segs = bytes / mss, min_segs = st_min_tso_segs;
  if (segs < min_segs) segs = min_segs;
  uint64_t half = tcb->cwnd_bytes / mss / 2;
  if (half < 1) half = 1;
  return (uint32_t)(segs < half ? segs : half);
}

static bool plan_data(synack_stack_t *st, synack_tcb_t *tcb, plan_t *p, synack_time_t now) {
  synack_seq_t data_end = seq_add(tcb->snd_buf_seq, tcb->sb.len);
  bool retrans = seq_lt(tcb->snd_nxt, tcb->snd_max);
  synack_seq_t limit = data_end; /* a go-back-N retransmission stops at the next SACKed range */
  if (retrans && tcb->rec.sb.n) {
    /* After an RTO, SND.NXT walks back over the old data: never resend what the peer SACKed. */
    synack_seq_t e;
    while (seq_lt(tcb->snd_nxt, tcb->snd_max) && synack_sack_covers(&tcb->rec.sb, tcb->snd_nxt, &e))
      tcb->snd_nxt = seq_min(e, tcb->snd_max);
    retrans = seq_lt(tcb->snd_nxt, tcb->snd_max);
    synack_seq_t hs, he;
    if (retrans && synack_sack_next_hole(&tcb->rec.sb, tcb->snd_nxt, tcb->snd_max, &hs, &he) && seq_lt(he, tcb->snd_max))
      limit = seq_min(limit, he);
  }
  /* MSG_EOR: a segment never runs past the end of a record (tcp_sndctl.c). */
  synack_seq_t rec = tcb->eor.n ? synack_tcp_eor_limit(tcb, tcb->snd_nxt, data_end) : data_end;
  limit = seq_min(limit, rec);
  int32_t avail = seq_diff(limit, tcb->snd_nxt);
  if (avail < 0) avail = 0;
  /* The peer's window (RFC 9293 §3.8.6) and the congestion state (cwnd, limited transmit,
   * RFC 6675 pipe: tcp_recovery.c). */
  int32_t rwnd = seq_diff(seq_add(tcb->snd_una, tcb->snd_wnd), tcb->snd_nxt);
  uint32_t usable = rwnd > 0 ? (uint32_t)rwnd : 0;
  uint32_t cwin = synack_rec_allowance(tcb);
  if (cwin < usable) usable = cwin;
  if ((tcb->flags & TF_WINPROBE) && usable == 0 && avail > 0) usable = 1; /* RFC 9293 §3.8.6.1 */
  uint32_t len = (uint32_t)avail;
  if (len > usable) len = usable;
  if (len > tcb->snd_mss) len = tcb->snd_mss;
  bool all = seq_eq(seq_add(tcb->snd_nxt, len), data_end);
  /* A record that ends before the data does is complete: like Linux's skb that is not the
   * last of the queue, it goes out at once (neither Nagle nor the cork holds it). */
  bool rec_end = !all && len > 0 && seq_eq(seq_add(tcb->snd_nxt, len), rec);
  bool fin = (tcb->flags & TF_FIN_QUEUED) && all && seq_eq(seq_add(tcb->snd_nxt, len), tcb->fin_seq);
  /* The SYN-ACK of a fast open child is no data in flight (Linux's child starts past it). */
  bool inflight = seq_gt(tcb->snd_max, tcb->snd_una) &&
                  !(tcb->state == SYNACK_TCP_SYN_RECEIVED && seq_eq(tcb->snd_max, seq_add(tcb->snd_una, 1)));
  bool corked = (tcb->flags & (TF_MORE | TF_CORK)) && !(tcb->flags & TF_PUSH_HELD);
  /* A tail loss probe sends new data whatever Nagle or the cork say (RFC 8985 §7.3 "if a
   * previously unsent segment exists"; Linux's tcp_send_loss_probe uses TCP_NAGLE_OFF). */
  bool push = (tcb->flags & TF_WINPROBE) || tcb->rec.tlp_force;
  /* Urgent data is never held back (Linux tcp_nagle_test: urgent mode pushes). */
  if (tcb->flags & TF_URG_MODE) push = true;
  if (len > 0 && len < tcb->snd_mss && all && !fin && !retrans) {
    /* RFC 9293 §3.7.4 (Nagle, RFC 896): hold a small segment while data is unacknowledged;
     * TCP_NODELAY turns it off; MSG_MORE and TCP_CORK hold even with nothing in flight, until
     * the cork timer (tcp_sndctl.c). */
    bool nagle = inflight;
    /* cfg.tcp_nagle_minshall (Linux's tcp_minshall_check): only an unacknowledged small
     * segment holds the next one, so the tail of a write leaves behind its full segments. */
    if (st->cfg.tcp_nagle_minshall) nagle = seq_gt(tcb->snd_sml, tcb->snd_una) && seq_le(tcb->snd_sml, tcb->snd_nxt);
    if ((corked || (nagle && !(tcb->flags & TF_NODELAY))) && !push) len = 0;
  } else if (len > 0 && len < tcb->snd_mss && !all && !rec_end && !retrans && inflight && !(tcb->flags & TF_WINPROBE) &&
             len < tcb->max_snd_wnd / 2) {
    /* RFC 9293 §3.8.6.2.1 (sender SWS avoidance): a window-limited segment smaller than both
     * an MSS and half the largest window the peer offered waits for more window. The override
     * timer of the RFC is the retransmission timer (data is in flight); with nothing in
     * flight the segment goes out at once. */
    len = 0;
  }
  /* Pacing (tcp_pacing.c): new data (or a FIN) waits for its departure time; an ACK owed still
   * goes (send_one sends it bare). Retransmissions (go-back-N after a timeout) and the tail loss
   * probe are not held: their timers chose the moment (RFC 6298 §5.4, RFC 8985 §7.3). */
  if ((len > 0 || fin) && !retrans && !tcb->rec.tlp_force && synack_tcp_pacing_hold(st, tcb, now)) {
    len = 0;
    fin = false;
  }
  p->seq = tcb->snd_nxt;
  p->off = (uint32_t)seq_diff(tcb->snd_nxt, tcb->snd_buf_seq);
  p->len = len;
  p->fin = fin;
  p->flags = SYNACK_TCP_ACK | (fin ? SYNACK_TCP_FIN : 0);
  /* cfg.tcp_psh_tso (Linux's tcp_push): a write with MSG_MORE does not mark its end for PSH
   * (tcp_mark_push only without it), so its last segment, when full, goes without PSH. */
  bool more_end = st->cfg.tcp_psh_tso && (tcb->flags & TF_MORE) && !rec_end && !fin;
  if (len > 0 && (all || rec_end) && !more_end) p->flags |= SYNACK_TCP_PSH;
  if (len > 0 && !retrans && st->cfg.tcp_psh_tso && !(tcb->flags & TF_WINPROBE)) {
    /* Linux sends new data in TSO/GSO packets of up to tso_segs() segments, cut where the
     * window, cwnd or data end; the last segment of a packet of two or more carries PSH. A
     * burst starts with each output pass (tcp_write_xmit) and when the previous one is done. */
    if (tcb->tso_left == 0) {
      uint32_t room = (uint32_t)avail < usable ? (uint32_t)avail : usable;
      uint32_t mss = tcb->snd_mss ? tcb->snd_mss : 536u;
      uint32_t n = (room + mss - 1) / mss, segs = tso_segs(tcb, st->cfg.tcp_min_tso_segs ? st->cfg.tcp_min_tso_segs : 1);
      if (n > segs) n = segs;
      /* In urgent mode tcp_write_xmit cuts every packet to one segment (no split point). */
      if (tcb->flags & TF_URG_MODE) n = 1;
      tcb->tso_size = tcb->tso_left = (uint16_t)(n ? n : 1);
    }
    if (tcb->tso_left == 1 && tcb->tso_size >= 2) p->flags |= SYNACK_TCP_PSH;
    tcb->tso_left--;
    /* forced_push: Linux marks PSH where more than half the peer's largest window was written
     * since the last PSH. It checks at the end of each buffer it fills, which is one segment
     * when half that window is under two segments (tcp_xmit_size_goal); only then is the
     * check made here, per segment. */
    synack_seq_t end = seq_add(tcb->snd_nxt, len);
    uint32_t half = tcb->max_snd_wnd / 2;
    if (half && half < 2u * tcb->snd_mss && seq_diff(end, tcb->pushed_seq) > (int32_t)half) p->flags |= SYNACK_TCP_PSH;
    if (all || rec_end || seq_diff(end, tcb->pushed_seq) > (int32_t)half) tcb->pushed_seq = end;
  }
  return len > 0 || fin;
}

/* Builds and sends the segment of a plan; with move_nxt SND.NXT advances past it.
 * Returns 1 when sent, 0 when it could not be built (no route), -1 when the ring is full. */
static int transmit(synack_stack_t *st, synack_tcb_t *tcb, const plan_t *p, synack_time_t now, bool move_nxt) {
  /* The header fields one by one (options: build_opts) rather than a memset of the whole
   * representation per segment; ports are set by emit. */
  /* A full ring refuses the segment: before the options are built, since building the SACK
   * blocks counts them as reported and consumes a pending D-SACK (tcp_sackgen.c). */
  if (synack_tx_room(st) == 0) return -1;
  synack_tcp_repr_t r;
  r.checksum = 0;
  r.urgent = 0;
  r.header_len = 0;
  r.payload = NULL;
  r.payload_len = 0;
  synack_ctl_opts_t c;
  tcb_opts(st, tcb, now, p->syn, &c);
  if (p->syn && tcb->state == SYNACK_TCP_SYN_SENT) c.ts_ecr = 0;
  if (p->fo) {
    synack_tfo_syn_opts(st, tcb, &c);
    if (c.fo) tcb->tfo |= SYNACK_TFOF_SYN;
    if (p->len) tcb->tfo |= SYNACK_TFOF_SYN_DATA;
  }
  if (!p->syn) synack_tcp_sack_opts(st, tcb, &c, p->len); /* RFC 2018 / RFC 2883 (tcp_rcv.c) */
  synack_ao_tx_t ao;
  if (synack_tcp_ao_tcb_tx(tcb, p->seq, &ao)) c.ao = &ao; /* RFC 5925: every segment (tcp_ao.c) */
  build_opts(st, &r.opts, &c);
  r.seq = p->seq.v;
  r.ack = (p->flags & SYNACK_TCP_ACK) ? tcb->rcv_nxt.v : 0;
  r.flags = p->flags;
  r.window = synack_tcp_rcv_window(st, tcb, p->syn);
  if (tcb->flags & TF_URG_MODE) synack_tcp_urg_tx(tcb, p->seq, &r.flags, &r.urgent); /* tcp_urg.c */
  /* RFC 3168: ECN-setup SYN flags, ECE / CWR, ECT(0) on new data (tcp_ecn.c). */
  uint8_t tos = synack_tcp_ecn_tx(st, tcb, &r.flags, p->len, seq_lt(p->seq, tcb->snd_max));
  int rc = emit(st, &tcb->node.t, &r, &tcb->sb, p->off, p->len, tos, tcb->ttl, c.md5, c.ao);
  if (rc < 0) return -1;
  tcb->flags &= ~(uint64_t)TF_WINPROBE;
  if (rc == 0) return 0; /* no route: the retransmission timer tries again */
  if (p->len) tcb->last_send_us = now; /* RFC 5681 §4.1 idle detection */
  synack_tcp_pacing_sent(st, tcb, p->len, now);
  if (tcb->rec.mode == SYNACK_REC_SACK || (tcb->rec.mode == SYNACK_REC_NEWRENO && tcb->rec.prr))
    tcb->rec.prr_out += p->len; /* RFC 6937 prr_out */

  tcb->segs_out++;
  if (p->len) tcb->data_segs_out++;
  /* cfg.tcp_delack_linux: data sent soon after data arrived makes the connection interactive */
  if (p->len && st->cfg.tcp_delack_linux) synack_tcp_lx_data_sent(st, tcb, now);
  if (p->flags & SYNACK_TCP_ACK) {
    if (st->cfg.tcp_delack_linux)
      synack_tcp_lx_ack_sent(st, tcb, (tcb->flags & (TF_ACK_NOW | TF_ACK_DELAYED)) || tcb->rcv_unacked_segs);
    tcb->last_ack_sent = tcb->rcv_nxt;
    tcb->flags &= ~(uint64_t)(TF_ACK_NOW | TF_ACK_DELAYED);
    tcb->rcv_unacked_segs = tcb->rcv_unacked_bytes = 0;
    tcb->lx_pushed = 0;
    synack_timer_cancel(&st->wheel, &tcb->t_delack);
    /* RFC 2018 §4: more ranges changed since the last ACK than this one could report (ACKs
     * were coalesced while the transmit ring was full): another ACK follows with the rest, or
     * the sender would take the unreported data as lost. */
    if (synack_tcp_sack_unreported(tcb)) tcb->flags |= TF_ACK_NOW;
  }
  uint32_t space = p->len + (p->syn ? 1u : 0u) + (p->fin ? 1u : 0u);
  if (space == 0) return 1;
  synack_seq_t end = seq_add(p->seq, space);
  if (synack_tcp_state_synchronized(tcb->state) && !p->syn) {
    /* The transmit log (RACK's send times, F-RTO, undo): bounded by twice the send buffer in
     * segments, the send buffer as it is now. It grows with cwnd (tcp_mem.c): a bound taken once,
     * from the buffer of the first segment, was 64 entries for a 150-segment window at MTU 9000
     * (the integrity matrix's mtu-9000 cell), and the full log's coarse entries made RACK mark
     * retransmissions lost a few microseconds after sending them (docs/loss-recovery.md). */
    synack_xmitlog_t *xl = &tcb->rec.xl;
    uint32_t segs = 2u * (tcb->sb.cap / (tcb->snd_mss ? tcb->snd_mss : 536u));
    segs = segs < 64u ? 64u : segs > 16384u ? 16384u : segs;
    if (segs > xl->limit) xl->limit = segs;
    synack_xl_sent(st, xl, p->seq, end, now);
    tcb->rec.rack = st->cfg.tcp_rack && (tcb->flags & TF_SACK_OK);
  }
  if (seq_lt(p->seq, tcb->snd_max)) {
    uint32_t re = p->len;
    /* A retransmission inside a recovery episode (not a tail loss probe): for the undo. */
    if (tcb->rec.mode != SYNACK_REC_OPEN) synack_undo_note_rtx(tcb, p->seq, seq_min(end, tcb->snd_max), now);
    /* RFC 6298 §3 (Karn): a retransmitted segment gives no RTT sample. */
    if ((tcb->flags & TF_RTT_TIMING) && seq_ge(tcb->rtt_seq, p->seq) && seq_lt(tcb->rtt_seq, end))
      tcb->flags &= ~(uint64_t)TF_RTT_TIMING;
    synack_count(st, SYNACK_CTR_TCP_RETRANS_SEGS);
    tcb->bytes_retrans += re;
    tcb->total_retrans++;
  }
  if (seq_gt(end, tcb->snd_max)) {
    /* Linux's tcp_minshall_update: the end of the last small segment sent. */
    if (p->len && p->len < tcb->snd_mss) tcb->snd_sml = end;
    int32_t fresh = seq_diff(end, seq_max(p->seq, tcb->snd_max));
    if (p->len) tcb->bytes_sent += (uint32_t)fresh - (p->fin ? 1u : 0u) - (p->syn ? 1u : 0u);
    /* RFC 6298 §3 (Karn): time only segments sent once, one at a time. */
    if (!(tcb->flags & (TF_RTT_TIMING | TF_TS_OK)) && seq_ge(p->seq, tcb->snd_max)) {
      tcb->flags |= TF_RTT_TIMING;
      tcb->rtt_seq = p->seq;
      tcb->rtt_time = now;
    }
    if (tcb->errq && p->len) synack_tcp_errq_sent(st, tcb, seq_max(p->seq, tcb->snd_max), end, now); /* SO_TIMESTAMPING */
    tcb->snd_max = end;
    if (tcb->rec.tlp_force) tcb->rec.tlp_force--; /* the tail loss probe's segments (tcp_rack.c) */
    if (st->cfg.tcp_rack) synack_rack_arm_tlp(st, tcb, now); /* RFC 8985 §7.2 */
  }
  if (move_nxt) tcb->snd_nxt = end;
  if (!tcb->rec.rto_at) synack_tcp_rtx_arm(st, tcb, now);
  return 1;
}

/* Returns 1 when a segment went out, 0 when nothing is to send, -1 when the ring is full. */
static int send_one(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  plan_t p;
  memset(&p, 0, sizeof p);
  bool want = false;
  switch (tcb->state) {
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
    return 0;
  case SYNACK_TCP_SYN_SENT:
    if (!seq_eq(tcb->snd_nxt, tcb->iss)) return 0;
    p.syn = true; p.seq = tcb->iss; p.flags = SYNACK_TCP_SYN; want = true;
    if ((tcb->tfo & SYNACK_TFOF_WANT) && tcb->retransmits == 0) {
      /* RFC 7413 §4.2.1: the first SYN carries the cookie and the data queued; a
       * retransmitted SYN carries neither (as Linux: the data goes after the handshake). */
      p.fo = true;
      uint32_t space = synack_tfo_syn_space(st, tcb);
      p.len = tcb->sb.len < space ? tcb->sb.len : space;
      p.off = 0;
    }
    break;
  case SYNACK_TCP_SYN_RECEIVED:
    if (seq_eq(tcb->snd_nxt, tcb->iss)) {
      p.syn = true; p.seq = tcb->iss; p.flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK; want = true;
    } else if (tcb->tfo & SYNACK_TFOF_CHILD) {
      /* RFC 7413 §4.2.2: a fast open server may send data before the handshake completes. */
      want = plan_data(st, tcb, &p, now);
    }
    /* RFC 9293 §3.10.4 lets CLOSE in SYN-RECEIVED send a FIN at once; we wait for the ACK of
     * our SYN (then FIN-WAIT-1 sends it), so a crossing SYN-ACK still matches SND.NXT. */
    break;
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_FIN_WAIT_2:
    want = plan_data(st, tcb, &p, now);
    break;
  case SYNACK_TCP_TIME_WAIT:
    break;
  }
  if (!want) {
    if (!(tcb->flags & TF_ACK_NOW) || tcb->state == SYNACK_TCP_SYN_SENT) return 0;
    p.seq = tcb->snd_nxt;
    p.flags = SYNACK_TCP_ACK;
    p.len = 0;
  }

  return transmit(st, tcb, &p, now, true);
}

int synack_tcp_send_at(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t seq, uint32_t max, synack_time_t now) {
  if (!seq_lt(seq, tcb->snd_max) || seq_lt(seq, tcb->snd_una) || max == 0) return 0;
  synack_seq_t data_end = seq_add(tcb->snd_buf_seq, tcb->sb.len);
  plan_t p;
  memset(&p, 0, sizeof p);
  synack_seq_t stop = seq_min(data_end, tcb->snd_max);
  if (tcb->eor.n) stop = synack_tcp_eor_limit(tcb, seq, stop); /* MSG_EOR: within one record */
  int32_t avail = seq_diff(stop, seq);
  uint32_t len = avail > 0 ? (uint32_t)avail : 0;
  if (len > max) len = max;
  if (len > tcb->snd_mss) len = tcb->snd_mss;
  /* The FIN was sent when SND.MAX is past it: it rides on the segment that reaches it. */
  bool fin = (tcb->flags & TF_FIN_QUEUED) && seq_gt(tcb->snd_max, tcb->fin_seq) &&
             seq_eq(seq_add(seq, len), tcb->fin_seq) && len < max;
  if (len == 0 && !fin) return 0;
  p.seq = seq;
  p.off = (uint32_t)seq_diff(seq, tcb->snd_buf_seq);
  p.len = len;
  p.fin = fin;
  p.flags = SYNACK_TCP_ACK | (fin ? SYNACK_TCP_FIN : 0);
  if (len > 0 && (seq_eq(seq_add(seq, len), data_end) || (tcb->eor.n && seq_eq(seq_add(seq, len), stop))))
    p.flags |= SYNACK_TCP_PSH;
  int rc = transmit(st, tcb, &p, now, false);
  if (rc <= 0) return rc;
  return (int)(len + (fin ? 1u : 0u));
}

static void output(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

void synack_tcp_output(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (!tcb->notsent_lowat) {
    output(st, tcb, now);
    return;
  }
  /* TCP_NOTSENT_LOWAT: sending is what brings the unsent bytes under the mark; the
   * application hears of it then (Linux wakes the writer from the ACK that let the data go). */
  bool blocked = !synack_tcp_writable(tcb);
  output(st, tcb, now);
  if (blocked && synack_tcp_writable(tcb) && synack_tcp_state_can_send(tcb->state) && !(tcb->flags & TF_FIN_QUEUED))
    synack_tcp_post(st, tcb, SYNACK_EV_WRITABLE, 0);
}

static void output(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->flags & TF_PENDING) return; /* synack_tcp_flush will come back to it */
  synack_tcp_cc_idle_check(st, tcb, now); /* RFC 5681 §4.1 restart window */
  bool rec = tcb->rec.mode != SYNACK_REC_OPEN && synack_tcp_state_synchronized(tcb->state);
  /* Loss recovery first (tcp_recovery.c): the first unacknowledged segment, lost holes. */
  if (rec && synack_rec_output_pre(st, tcb, now) < 0) { synack_tcp_pending_add(st, tcb); return; }
  tcb->tso_left = 0; /* cfg.tcp_psh_tso: each pass starts a burst */
  synack_seq_t max_before = tcb->snd_max;
  for (int guard = 0; guard < 1 << 16; guard++) {
    int rc = send_one(st, tcb, now);
    if (rc == 0) break;
    if (rc < 0) { synack_tcp_pending_add(st, tcb); return; }
  }
  if (st->cfg.tcp_cwnd_limited) synack_tcp_cwnd_validate(tcb, seq_gt(tcb->snd_max, max_before));
  /* tcp_info's rwnd_limited (Linux's tcp_write_xmit): unsent data the peer's window stops */
  synack_seq_t unsent_end = seq_add(tcb->snd_buf_seq, tcb->sb.len);
  uint32_t next = seq_lt(tcb->snd_nxt, unsent_end) ? (uint32_t)seq_diff(unsent_end, tcb->snd_nxt) : 0;
  if (next > tcb->snd_mss) next = tcb->snd_mss;
  /* the next segment does not fit the window (tcp_snd_wnd_test), though cwnd would let it go */
  if (synack_tcp_state_synchronized(tcb->state) && next &&
      seq_gt(seq_add(tcb->snd_nxt, next), seq_add(tcb->snd_una, tcb->snd_wnd)) && synack_rec_allowance(tcb) > 0)
    synack_tcp_chrono_start(tcb, SYNACK_CHRONO_RWND_LIMITED, now);
  else if (tcb->chrono_type == SYNACK_CHRONO_RWND_LIMITED)
    synack_tcp_chrono_stop(tcb, SYNACK_CHRONO_RWND_LIMITED, now);
  synack_tcp_chrono_sndbuf_check(tcb, now); /* sent all there is while the writer waits for room */
  if (rec && synack_rec_output_post(st, tcb, now) < 0) { synack_tcp_pending_add(st, tcb); return; }
  /* Zero window with data waiting and nothing in flight: arm the persist probe. */
  if (!synack_timer_armed(&tcb->t_rtx) && !synack_timer_armed(&tcb->t_pace) && synack_tcp_state_synchronized(tcb->state) &&
      seq_lt(tcb->snd_nxt, seq_add(tcb->snd_buf_seq, tcb->sb.len)))
    synack_tcp_rtx_arm(st, tcb, now);
}

void synack_tcp_send_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  tcb->flags |= TF_ACK_NOW;
  synack_tcp_output(st, tcb, now);
}

void synack_tcp_challenge_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  /* RFC 5961 §7: per connection and per stack bounds (tcp_check.c). */
  if (synack_tcp_answer_allowed(st, SYNACK_CHECK_CHALLENGE, &tcb->oow_last_ms, NULL, now)) synack_tcp_send_ack(st, tcb, now);
}

void synack_tcp_send_old_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_ctl_opts_t c;
  tcb_opts(st, tcb, now, false, &c);
  synack_ao_tx_t ao;
  if (synack_tcp_ao_tcb_tx(tcb, seq_sub(tcb->snd_una, 1), &ao)) c.ao = &ao;
  synack_tcp_send_ctl(st, &tcb->node.t, seq_sub(tcb->snd_una, 1), tcb->rcv_nxt, SYNACK_TCP_ACK,
                      synack_tcp_rcv_window(st, tcb, false), &c);
}

void synack_tcp_send_keepalive(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_tcp_send_old_ack(st, tcb, now);
  synack_count(st, SYNACK_CTR_TCP_KEEPALIVE_PROBES);
}

void synack_tcp_send_rst_tcb(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  bool sync = synack_tcp_state_synchronized(tcb->state);
  /* RFC 7323 §3.2: once timestamps are in use every segment carries them, a RST included (a
   * peer doing PAWS checks on RSTs, or a middlebox, may otherwise discard it). Before the
   * handshake TF_TS_OK is only our offer. */
  synack_ctl_opts_t c;
  tcb_opts(st, tcb, now, false, &c);
  c.ts = c.ts && sync;
  /* RFC 9293 §3.10.4 (ABORT): <SEQ=SND.NXT><CTL=RST>; we also acknowledge what we received.
   * Like Linux (tcp_acceptable_seq), never beyond the peer's window: after window probes into a
   * zero window SND.NXT lies past its right edge and the peer would drop the RST. */
  synack_seq_t seq = tcb->snd_max, edge = seq_add(tcb->snd_una, tcb->snd_wnd);
  if (sync && seq_gt(seq, edge)) seq = edge;
  synack_ao_tx_t ao;
  if (synack_tcp_ao_tcb_tx(tcb, seq, &ao)) c.ao = &ao;
  synack_tcp_send_ctl(st, &tcb->node.t, seq, tcb->rcv_nxt,
                      (uint8_t)(SYNACK_TCP_RST | (sync ? SYNACK_TCP_ACK : 0)), 0, &c);
}

void synack_tcp_reply_rst(synack_stack_t *st, const synack_seg_t *seg) {
  /* RFC 9293 §3.10.7.1: never answer a RST with a RST. If the offending segment has an ACK,
   * the reset takes its sequence number from SEG.ACK; otherwise SEQ is zero and the reset
   * acknowledges SEG.SEQ + SEG.LEN. */
  if (seg->flags & SYNACK_TCP_RST) return;
  /* RFC 2385, RFC 5925: a segment that was verified with a key is answered signed with it. */
  synack_ctl_opts_t c;
  const synack_ctl_opts_t *o = synack_tcp_seg_ctl(&c, seg);
  if (seg->flags & SYNACK_TCP_ACK)
    synack_tcp_send_ctl(st, &seg->t, seg->ack, seq_make(0), SYNACK_TCP_RST, 0, o);
  else
    synack_tcp_send_ctl(st, &seg->t, seq_make(0), seq_add(seg->seq, seg->seg_len),
                        SYNACK_TCP_RST | SYNACK_TCP_ACK, 0, o);
}
