/* Passive open: the LISTEN state (RFC 9293 §3.10.7.2), the bounded SYN queue of compact
 * half-open entries in SYN-RECEIVED, SYN-ACK retransmission (1, 2, 4, 8, 16 s; the entry is
 * dropped 63 s after the SYN with the default 5 retries), SYN cookies when the SYN queue is
 * full (RFC 4987), and the bounded accept queue. */
#include <string.h>

#include "tcp_internal.h"

_Static_assert(sizeof(synack_halfopen_t) <= 128, "half-open entries must stay small");

/* A repeated SYN arriving less than this after a SYN-ACK is not answered again: the two met
 * in flight (same-instant timer and SYN, or timer jitter of a few ms on either end). */
#define DUP_SYN_GUARD_US SYNACK_MS(5)

static uint16_t listener_mss(synack_stack_t *st, const synack_listener_t *l, const synack_tuple_t *t) {
  uint16_t mss = synack_tcp_route_mss(st, t);
  if (l->tcb->user_mss && l->tcb->user_mss < mss) mss = l->tcb->user_mss;
  return mss;
}

/* The window of our SYN-ACK (unscaled, RFC 7323 §2.2), also the edge a half-open entry
 * offers. cfg.tcp_rcvwnd LINUX: tcp_openreq_init_rwin(), the full space rounded down to a
 * multiple of our MSS less the timestamp option when the SYN-ACK carries one (tcp_rcvwnd.c). */
static uint16_t listener_window(synack_stack_t *st, const synack_listener_t *l, const synack_tuple_t *t, uint8_t opt) {
  uint32_t cap = l->tcb->rb.cap;
  if (st->cfg.tcp_rcvwnd == SYNACK_RCVWND_LINUX) {
    uint32_t mss = listener_mss(st, l, t);
    if ((opt & HO_TS) && mss > 12u) mss -= 12u;
    cap = synack_tcp_lx_initial_window(
        synack_tcp_rcv_clamped(l->tcb, synack_tcp_lx_full_space(cap, (l->tcb->flags & TF_RCVBUF_LOCK) != 0)), mss);
  } else {
    cap = synack_tcp_rcv_clamped(l->tcb, cap); /* TCP_WINDOW_CLAMP */
  }
  return (uint16_t)(cap > 65535 ? 65535 : cap);
}

/* RFC 2385: the listener's key for the peer of t (half-open entries and cookies have none of
 * their own: the listener's keys decide, as Linux's request sockets look them up). */
static const synack_md5_key_t *listener_key(const synack_listener_t *l, const synack_tuple_t *t) {
  if (!l->tcb->md5) return NULL;
  synack_ip_t local, peer;
  synack_tuple_ips(t, &local, &peer);
  return synack_tcp_md5_lookup(l->tcb->md5, &peer);
}

/* RFC 5925 §7.5.1: the SYN's KeyID and RNextKeyID, packed for send_synack (0: no TCP-AO). */
#define AO_IDS(keyid, rnext) (0x10000u | (uint32_t)(keyid) << 8 | (rnext))

/* RFC 5925: with ao_ids, the answer of a passive open is signed with the listener's key the
 * SYN's RNextKeyID asks for, naming the SYN's KeyID as ours; its context has both ISNs. */
static const synack_ao_tx_t *listener_ao(const synack_listener_t *l, const synack_tuple_t *t, uint32_t ao_ids,
                                         synack_seq_t iss, synack_seq_t irs, synack_ao_tx_t *tx) {
  if (!ao_ids || !l->tcb->ao) return NULL;
  uint8_t keyid = (uint8_t)(ao_ids >> 8), rnext = (uint8_t)ao_ids;
  return synack_tcp_ao_listen_tx(l->tcb->ao, t, rnext, keyid, iss.v, irs.v, tx) ? tx : NULL;
}

static uint32_t halfopen_ao_ids(const synack_halfopen_t *h) {
  synack_ip_t local, peer;
  synack_tuple_ips(&h->node.t, &local, &peer);
  return synack_tcp_ao_covers(h->lst->tcb->ao, &peer) ? AO_IDS(h->ao_keyid, h->ao_rnext) : 0;
}

static void send_synack(synack_stack_t *st, const synack_listener_t *l, const synack_tuple_t *t, synack_seq_t iss,
                        synack_seq_t irs, uint8_t opt, uint8_t peer_ws, uint32_t ts_recent, bool cookie,
                        bool ece, const synack_tfo_reply_t *fo, uint32_t ao_ids, synack_time_t now) {
  (void)peer_ws;
  synack_ctl_opts_t o;
  memset(&o, 0, sizeof o);
  synack_ao_tx_t ao;
  o.ao = listener_ao(l, t, ao_ids, iss, irs, &ao);
  if (fo && fo->cookie) {
    /* RFC 7413 §4.1.2: the cookie for the client (only on the first SYN-ACK, as Linux). */
    o.fo = true;
    o.fo_exp = fo->exp;
    o.fo_len = fo->len;
    memcpy(o.fo_cookie, fo->val, fo->len);
  }
  o.syn_opts = !(l->tcb->flags & TF_NOOPT); /* TCP_NOOPT: a SYN-ACK without any option */
  o.md5 = listener_key(l, t);
  o.mss = listener_mss(st, l, t);
  o.sack = (opt & HO_SACK) != 0;
  o.ws = (opt & HO_WS) != 0;
  o.wscale = synack_tcp_rcv_pick_wscale(st, l->tcb); /* tcp_rcvwnd.c */
  o.ts = (opt & HO_TS) != 0;
  o.ts_val = synack_tcp_ts_now(now, synack_tcp_ts_offset(st, t));
  o.ts_ecr = ts_recent;
  if (cookie && o.ts) o.ts_val = synack_cookie_ts_encode(o.ts_val, o.ws, peer_ws, o.sack, st->cfg.tcp_syncookie_linux ? ece : -1);
  /* RFC 3168 §6.1.1: an ECN-setup SYN-ACK carries ECE (not CWR). */
  uint8_t flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK | (ece ? SYNACK_TCP_ECE : 0);
  synack_tcp_send_ctl(st, t, iss, seq_add(irs, 1), flags, listener_window(st, l, t, opt), &o);
}

/* A plain ACK of what a half-open entry knows: the RFC 5961 challenge ACK, and with
 * cfg.tcp_synrcvd_plain_ack the answer to an unacceptable segment (counted and rate-limited by
 * the caller; Linux does the same). */
static void halfopen_ack(synack_stack_t *st, const synack_halfopen_t *h, synack_time_t now) {
  synack_ctl_opts_t o;
  memset(&o, 0, sizeof o);
  o.ts = (h->opt & HO_TS) != 0;
  o.ts_val = synack_tcp_ts_now(now, synack_tcp_ts_offset(st, &h->node.t));
  o.ts_ecr = h->ts_recent;
  o.md5 = listener_key(h->lst, &h->node.t);
  synack_ao_tx_t ao;
  o.ao = listener_ao(h->lst, &h->node.t, halfopen_ao_ids(h), h->iss, h->irs, &ao);
  synack_tcp_send_ctl(st, &h->node.t, seq_add(h->iss, 1), seq_add(h->irs, 1), SYNACK_TCP_ACK,
                      listener_window(st, h->lst, &h->node.t, h->opt), &o);
}

/* Options both sides agree on, from the peer's SYN and our configuration. */
static uint8_t negotiate(const synack_stack_t *st, const synack_listener_t *l, const synack_tcp_opts_t *o) {
  uint8_t opt = 0;
  if (l->tcb->flags & TF_NOOPT) return 0;
  if (st->cfg.tcp_timestamps && (o->present & SYNACK_TCPOPT_HAS_TS)) opt |= HO_TS;
  if (st->cfg.tcp_sack && (o->present & SYNACK_TCPOPT_HAS_SACK_PERM)) opt |= HO_SACK;
  if (st->cfg.tcp_window_scaling && (o->present & SYNACK_TCPOPT_HAS_WSCALE)) opt |= HO_WS;
  if (o->present & SYNACK_TCPOPT_HAS_MSS) opt |= HO_MSS;
  return opt;
}

static uint32_t held_len(const synack_halfopen_t *h) {
  return h->has_data ? (uint32_t)(h->syn_data[0] << 8 | h->syn_data[1]) : 0;
}

/* TCP_SAVE_SYN: the saved headers sit after the held data: a length byte, then the bytes. */
static const uint8_t *saved_at(const synack_halfopen_t *h) { return h->syn_data + (h->has_data ? 2u + held_len(h) : 0u); }

size_t synack_tcp_halfopen_size(const synack_halfopen_t *h) {
  return sizeof *h + (h->has_data ? 2u + held_len(h) : 0u) + (h->has_saved ? 1u + saved_at(h)[0] : 0u);
}

/* The length of the IP and TCP headers of the SYN being processed (Linux's
 * tcp_reqsk_record_syn: network header + TCP header with its options), 0 when the listener
 * does not save them, the packet is not at hand (a reassembled one) or they exceed 255 bytes. */
static uint32_t syn_hdrs_len(const synack_stack_t *st, const synack_listener_t *l) {
  if (!(l->tcb->flags & TF_SAVE_SYN) || !st->rx_l3 || !st->rx_l4) return 0;
  size_t n = (size_t)(st->rx_l4 - st->rx_l3) + 4u * (st->rx_l4[12] >> 4);
  return n <= 255 ? (uint32_t)n : 0;
}

/* Gives a new child the SYN's headers (copied: the entry or packet they come from goes). */
static void saved_syn_attach(synack_stack_t *st, synack_tcb_t *c, const uint8_t *hdrs, uint32_t n) {
  if (!c || !n) return;
  c->saved_syn = synack_mem_alloc(st, n);
  if (!c->saved_syn) return; /* no memory: nothing to read back, as if not saved */
  memcpy(c->saved_syn, hdrs, n);
  c->saved_syn_len = (uint8_t)n;
  st->tcp->mem += n;
}

void synack_tcp_saved_syn_free(synack_stack_t *st, synack_tcb_t *tcb) {
  if (!tcb->saved_syn) return;
  synack_mem_free(st, tcb->saved_syn, tcb->saved_syn_len);
  st->tcp->mem -= tcb->saved_syn_len;
  tcb->saved_syn = NULL;
  tcb->saved_syn_len = 0;
}


void synack_tcp_halfopen_free(synack_stack_t *st, synack_halfopen_t *h, synack_tcp_state_t to, const char *reason) {
  synack_timer_cancel(&st->wheel, &h->timer);
  synack_tcp_hash_remove(st, &h->node);
  synack_listener_t *l = h->lst;
  if (h->prev) h->prev->next = h->next;
  else l->sq_head = h->next;
  if (h->next) h->next->prev = h->prev;
  l->sq_len--;
  st->tcp->nhalfopen--;
  size_t size = synack_tcp_halfopen_size(h);
  if (reason) synack_tcp_trace_state(st, -1, &h->node.t, SYNACK_TCP_SYN_RECEIVED, to, reason);
  /* RFC 1122 §4.2.2.13 (2): a passive open that goes back to LISTEN (RST, SYN in window) proved
   * the SYN that reopened TIME-WAIT an old duplicate: the entry returns; otherwise (established,
   * given up) the old incarnation is over. */
  if (h->tw_reopen) synack_tcp_timewait_reopen_done(st, &h->node.t, to == SYNACK_TCP_LISTEN);
  synack_mem_free(st, h, size);
  st->tcp->mem -= size;
}

/* RFC 6298 §5.5 backoff of a half-open entry after `retries` retransmissions: 1, 2, 4, 8, 16, 32 s. */
static synack_time_t halfopen_backoff(const synack_stack_t *st, unsigned retries) {
  uint64_t d = (uint64_t)st->cfg.tcp_rto_initial_ms * 1000u << (retries < 20 ? retries : 20);
  uint64_t hi = (uint64_t)st->cfg.tcp_rto_max_ms * 1000u;
  if (hi && d > hi) d = hi;
  return d;
}

/* Every SYN-ACK arms the timer at its send time plus the backoff, so the timer tells when the
 * last one left (no extra field in the 128-byte entry). */
static synack_time_t halfopen_last_synack(const synack_stack_t *st, const synack_halfopen_t *h) {
  return h->timer.expiry - halfopen_backoff(st, h->retries);
}

/* TCP_DEFER_ACCEPT, as Linux's syn_ack_recalc(): an entry whose bare ACK was dropped is kept
 * at least until the deferral's timeouts have passed, even beyond tcp_synack_retries. */
static bool halfopen_exhausted(const synack_stack_t *st, const synack_halfopen_t *h) {
  if (h->retries >= 15) return true;
  return h->retries >= st->cfg.tcp_synack_retries && (!h->defer_acked || h->retries >= h->lst->tcb->defer_accept);
}

/* One SYN-ACK retransmission, whether the timer or a repeated SYN asked for it: counted, and
 * the timer restarted with the next backoff (docs/tcp-choices.md, "SYN-ACK retransmission"). */
static void halfopen_retransmit(synack_stack_t *st, synack_halfopen_t *h, synack_time_t now) {
  h->retries++;
  synack_count(st, SYNACK_CTR_TCP_RETRANS_SEGS);
  send_synack(st, h->lst, &h->node.t, h->iss, h->irs, h->opt, h->snd_wscale, h->ts_recent, false, h->ecn, NULL,
              halfopen_ao_ids(h), now);
  synack_timer_set(&st->wheel, &h->timer, now + halfopen_backoff(st, h->retries));
}

/* TCP_DEFER_ACCEPT's seconds as Linux keeps them (secs_to_retrans): the number of SYN-ACK
 * timeouts (initial RTO, doubling, capped at the maximum) whose sum first reaches the time;
 * at most 15, what a half-open entry counts (about 18 minutes with Linux's timers). */
uint8_t synack_tcp_defer_retrans(const synack_stack_t *st, int secs) {
  if (secs <= 0) return 0;
  uint8_t n = 1;
  synack_time_t period = halfopen_backoff(st, 0);
  while ((synack_time_t)secs * 1000000u > period && n < 15) period += halfopen_backoff(st, n++);
  return n;
}

/* And back (retrans_to_secs): the time those timeouts take, in whole seconds. */
int synack_tcp_defer_secs(const synack_stack_t *st, uint8_t retrans) {
  synack_time_t period = 0;
  for (unsigned k = 0; k < retrans; k++) period += halfopen_backoff(st, k);
  return (int)(period / 1000000u);
}

void synack_tcp_halfopen_timer(synack_stack_t *st, synack_halfopen_t *h, synack_time_t now) {
  if (halfopen_exhausted(st, h)) {
    synack_tcp_halfopen_free(st, h, SYNACK_TCP_CLOSED, "SYN-ACK retries exhausted");
    return;
  }
  uint8_t defer = h->lst->tcb->defer_accept;
  if (h->defer_acked && h->retries + 1 < defer) {
    /* TCP_DEFER_ACCEPT (Linux's syn_ack_recalc): the peer has the SYN-ACK (its bare ACK came),
     * so nothing is resent while waiting for its data; at the deferral's last timeout the
     * SYN-ACK goes again, a last chance for data or an ACK to make the connection. */
    h->retries++;
    synack_timer_set(&st->wheel, &h->timer, now + halfopen_backoff(st, h->retries));
    return;
  }
  halfopen_retransmit(st, h, now);
}

/* Builds the ESTABLISHED child of a completed passive open and queues it for accept(). With
 * fastopen (RFC 7413 §4.2.2) the child of a SYN with a valid cookie stays in SYN-RECEIVED with
 * its SYN-ACK still to send (seg is the SYN), and is acceptable at once, as Linux does. */
static synack_tcb_t *make_child(synack_stack_t *st, synack_listener_t *l, const synack_seg_t *seg, synack_seq_t iss,
                                synack_seq_t irs, uint8_t opt, uint8_t peer_ws, uint16_t peer_mss,
                                uint32_t ts_recent, bool fastopen, synack_time_t now) {
  if (st->tcp->ntcb >= 2u * st->cfg.max_sockets) {
    synack_drop(st, SYNACK_DROP_TCP_NO_MEMORY, NULL, 0);
    return NULL;
  }
  synack_tcb_t *lt = l->tcb;
  synack_tcb_t *c = synack_tcb_new(st, seg->t.family);
  if (!c) { synack_drop(st, SYNACK_DROP_TCP_NO_MEMORY, NULL, 0); return NULL; }
  c->node.t = seg->t;
  /* RFC 2385: the connection keeps the listener's key for its peer (Linux copies that key to
   * the child), RFC 5925 its TCP-AO keys for the peer; without memory for them the connection
   * could not sign: none is made. */
  if (!synack_tcp_md5_inherit(st, c, lt->md5) || !synack_tcp_ao_inherit(st, c, lt->ao, seg)) {
    synack_tcb_free(st, c);
    synack_drop(st, SYNACK_DROP_TCP_NO_MEMORY, NULL, 0);
    return NULL;
  }
  c->flags |= TF_BOUND | TF_PASSIVE |
              (lt->flags & (TF_KEEPALIVE | TF_NODELAY | TF_REUSEADDR | TF_CORK | TF_INQ | TF_OOBINLINE | TF_REUSEPORT |
                           TF_RCVBUF_LOCK | TF_SNDBUF_LOCK | TF_BROADCAST | TF_SAVE_SYN)); /* as Linux clones sk_userlocks */
  /* An IPv4 connection accepted by an AF_INET6 listener (RFC 3493 §3.7): IPv4 inside, shown to
   * the application as v4-mapped addresses. */
  if (lt->node.t.family == SYNACK_AF_INET6 && seg->t.family == SYNACK_AF_INET) c->flags |= TF_MAPPED;
  c->sb.cap = lt->sb.cap;
  c->rcvbuf_cap = lt->rcvbuf_cap;
  c->rb.cap = lt->rb.cap;
  c->user_mss = lt->user_mss;
  c->keep_idle_s = lt->keep_idle_s;
  c->keep_intvl_s = lt->keep_intvl_s;
  c->keep_cnt = lt->keep_cnt;
  c->user_timeout_ms = lt->user_timeout_ms;
  c->linger_s = lt->linger_s;
  c->rcvtimeo_ms = lt->rcvtimeo_ms; /* Linux's sk_clone copies the socket's timeouts */
  c->user_clamp = lt->user_clamp;   /* and the window clamp (req->rsk_window_clamp) */
  c->sndtimeo_ms = lt->sndtimeo_ms;
  c->notsent_lowat = lt->notsent_lowat; /* as Linux's accepted sockets (a clone of the listener) */
  c->rcvlowat = lt->rcvlowat;
  c->ttl = lt->ttl;
  c->tos = lt->tos;
  c->cc = lt->cc; /* SYNACK_TCP_CONGESTION set on the listener */
  c->pace_on = lt->pace_on; /* SYNACK_SO_MAX_PACING_RATE set on the listener */
  c->pace_max_rate = lt->pace_max_rate;
  synack_tcp_errq_inherit(st, c, lt); /* SO_ZEROCOPY, SO_TIMESTAMPING (Linux clones the flags) */
  c->segs_in = 1; /* the SYN (tcpi_segs_in counts it, as Linux's tcp_create_openreq_child) */
  synack_tcb_setup_conn(st, c);
  c->state = SYNACK_TCP_SYN_RECEIVED; /* traced by the transition below */
  c->iss = iss;
  c->snd_una = c->snd_nxt = c->snd_max = c->snd_buf_seq = c->snd_sml = c->pushed_seq = seq_add(iss, 1);
  if (fastopen) c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = iss; /* the SYN-ACK is still to go */
  c->irs = irs;
  c->rcv_nxt = c->last_ack_sent = seq_add(irs, 1);
  c->rcv_adv = seq_add(c->rcv_nxt, listener_window(st, l, &c->node.t, opt));
  if (opt & HO_TS) { c->flags |= TF_TS_OK; c->ts_recent = ts_recent; c->ts_recent_s = (uint32_t)(now / 1000000u); }
  if (opt & HO_SACK) c->flags |= TF_SACK_OK;
  if (opt & HO_WS) { c->flags |= TF_WS_OK; c->snd_wscale = peer_ws > 14 ? 14 : peer_ws; }
  else c->snd_wscale = c->rcv_wscale = 0;
  c->ts_offset = synack_tcp_ts_offset(st, &c->node.t);
  c->peer_mss = peer_mss;
  synack_tcp_set_mss(st, c);
  synack_tcp_rcvbuf_round(st, c);
  /* RFC 9293 §3.10.7.4 (SYN-RECEIVED, ACK acceptable): SND.WND from this segment; RFC 7323
   * §2.2: the window of a SYN is not scaled. */
  c->snd_wnd = fastopen ? seg->r.window : (uint32_t)seg->r.window << c->snd_wscale;
  c->max_snd_wnd = c->snd_wnd;
  c->snd_wl1 = seg->seq;
  c->snd_wl2 = seg->ack;
  c->last_rcv = now;
  synack_tcp_hash_insert(st, &c->node);
  c->flags |= TF_HASHED | TF_IN_AQ;
  c->parent = l;
  if (l->aq_tail) l->aq_tail->aq_next = c;
  else l->aq_head = c;
  l->aq_tail = c;
  l->aq_len++;
  if (fastopen) {
    synack_tcp_trace_state(st, -1, &c->node.t, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RECEIVED, "rcv SYN with fast open");
    c->tfo |= SYNACK_TFOF_CHILD;
    l->tfo_len++;
  } else {
    synack_tcp_set_state(st, c, SYNACK_TCP_ESTABLISHED, "rcv ACK of SYN-ACK");
    c->delivered = 1; /* tcp_info: the SYN-ACK was delivered (Linux counts it at this ACK too) */
    synack_count(st, SYNACK_CTR_TCP_ESTABLISHED);
    synack_tcp_keep_update(st, c, now);
  }
  synack_tcp_post(st, lt, SYNACK_EV_READABLE, 0);
  return c;
}

/* Whether a new SYN must be answered statelessly (a cookie) or, without cookies, dropped. */
static bool syn_queue_full(const synack_stack_t *st, const synack_listener_t *l) {
  if (st->cfg.tcp_syncookies && st->cfg.tcp_syncookies_always) return true;
  if (!st->cfg.tcp_syn_queue_linux) return l->sq_len >= st->cfg.tcp_syn_backlog;
  /* cfg.tcp_syn_queue_linux (Linux's tcp_conn_request): the queue is full when it holds more
   * than the listen backlog (inet_csk_reqsk_queue_is_full); without cookies the last quarter
   * of tcp_max_syn_backlog is kept for peers proven alive, which no peer is here. */
  if (l->sq_len > l->backlog) return true;
  int64_t left = (int64_t)st->cfg.tcp_syn_backlog - (int64_t)l->sq_len;
  return !st->cfg.tcp_syncookies && left < (int64_t)(st->cfg.tcp_syn_backlog >> 2);
}

static bool accept_queue_full(synack_stack_t *st, synack_listener_t *l, const synack_seg_t *seg) {
  if (l->aq_len < l->backlog) return false;
  synack_count(st, SYNACK_CTR_TCP_LISTEN_OVERFLOWS);
  synack_drop(st, SYNACK_DROP_TCP_ACCEPT_QUEUE_FULL, NULL, 0);
  /* Linux tcp_abort_on_overflow: refuse with RST instead of letting the client retry. */
  if (st->cfg.tcp_abort_on_overflow) {
    synack_ctl_opts_t o;
    synack_tcp_send_ctl(st, &seg->t, seg->ack, seq_make(0), SYNACK_TCP_RST, 0, synack_tcp_seg_ctl(&o, seg));
  }
  return true;
}

static void cookie_ack(synack_stack_t *st, synack_listener_t *l, synack_seg_t *seg, synack_time_t now) {
  synack_seq_t irs = seq_sub(seg->seq, 1);
  uint32_t cookie = seg->ack.v - 1;
  uint16_t mss = synack_cookie_check(st, &seg->t, irs, cookie, now);
  if (mss == 0) {
    synack_count(st, SYNACK_CTR_TCP_SYNCOOKIES_FAILED);
    synack_drop(st, SYNACK_DROP_TCP_BAD_COOKIE, NULL, 0);
    synack_tcp_reply_rst(st, seg);
    return;
  }
  synack_count(st, SYNACK_CTR_TCP_SYNCOOKIES_OK);
  if (accept_queue_full(st, l, seg)) return;
  uint8_t opt = HO_MSS, ws = 0;
  uint32_t tsr = 0;
  bool ecn = false;
  if ((seg->r.opts.present & SYNACK_TCPOPT_HAS_TS) && st->cfg.tcp_timestamps) {
    /* RFC 4987 §3.1 (and Linux): window scale and SACK came back in the echoed timestamp. */
    bool has_ws, sack;
    synack_cookie_ts_decode(seg->r.opts.ts_ecr, &has_ws, &ws, &sack, st->cfg.tcp_syncookie_linux ? &ecn : NULL);
    opt |= HO_TS;
    if (has_ws && st->cfg.tcp_window_scaling) opt |= HO_WS;
    if (sack && st->cfg.tcp_sack) opt |= HO_SACK;
    tsr = seg->r.opts.ts_val;
  }
  synack_tcb_t *c = make_child(st, l, seg, seq_make(cookie), irs, opt, ws, mss, tsr, false, now);
  if (!c) return;
  if (ecn && st->cfg.tcp_ecn != SYNACK_ECN_MODE_OFF) c->ecn |= SYNACK_ECN_OK; /* RFC 3168 §6.1.1 */
  synack_count(st, SYNACK_CTR_TCP_PASSIVE_OPENS);
  if (seg->len > 0 || (seg->flags & SYNACK_TCP_FIN)) synack_tcp_input_tcb(st, c, seg, now);
  else c->segs_in++; /* the ACK itself (input_tcb counts the others) */
}

/* RFC 7413 §4.2.2: a SYN with a valid cookie (or none needed): the connection is created in
 * SYN-RECEIVED with the SYN's data readable, queued for accept() at once, and its SYN-ACK
 * acknowledges the data. A FIN on such a SYN is not taken (the client sends it again). False
 * when no connection could be made: the caller falls back to an ordinary handshake. */
static bool fastopen_child(synack_stack_t *st, synack_listener_t *l, const synack_seg_t *seg, uint8_t opt,
                           uint16_t peer_mss, synack_time_t now) {
  if (l->aq_len >= l->backlog) return false; /* no room to queue it: an ordinary handshake */
  const synack_tcp_opts_t *o = &seg->r.opts;
  synack_seq_t iss = synack_tcp_isn(st, &seg->t, now);
  if (seg->tw_reopen && !seq_gt(iss, seg->tw_snd_nxt)) iss = seq_add(seg->tw_snd_nxt, 65537u); /* RFC 1122 §4.2.2.13 */
  synack_tcb_t *c = make_child(st, l, seg, iss, seg->seq, opt, o->wscale, peer_mss, (opt & HO_TS) ? o->ts_val : 0,
                               true, now);
  if (!c) return false;
  saved_syn_attach(st, c, st->rx_l3, syn_hdrs_len(st, l)); /* TCP_SAVE_SYN */
  synack_count(st, SYNACK_CTR_TCP_PASSIVE_OPENS);
  synack_count(st, SYNACK_CTR_TCP_FASTOPEN_PASSIVE);
  uint32_t n = seg->len;
  if (n > synack_rcvbuf_space(&c->rb)) n = synack_rcvbuf_space(&c->rb);
  if (n) {
    if (!synack_rcvbuf_holds(&c->rb)) c->rb.slack = synack_tcp_rcv_slack(c); /* as tcp_rcv.c sizes the ring */
    if (synack_rcvbuf_reserve(st, &c->rb, 0, n) == 0) {
      synack_rcvbuf_place(&c->rb, 0, seg->r.payload, n);
      synack_rcvbuf_commit(&c->rb, n);
      c->rcv_nxt = seq_add(c->rcv_nxt, n);
      c->last_ack_sent = c->rcv_nxt;
      c->bytes_received += n;
    }
  }
  /* The SYN-ACK offers its window from the new RCV.NXT: that is the edge promised. */
  uint32_t space = synack_rcvbuf_space(&c->rb);
  synack_seq_t edge = seq_add(c->rcv_nxt, space > 65535 ? 65535 : space);
  if (seq_gt(edge, c->rcv_adv)) c->rcv_adv = edge;
  synack_tcp_output(st, c, now); /* the SYN-ACK, acknowledging SYN and data */
  return true;
}

/* RFC 9293 §3.10.7.2: a segment for a listener with no matching connection. */
void synack_tcp_listen_input(synack_stack_t *st, synack_listener_t *l, synack_seg_t *seg, synack_time_t now) {
  if (seg->flags & SYNACK_TCP_RST) { /* first: an incoming RST is ignored */
    synack_drop(st, SYNACK_DROP_TCP_RST_INVALID, NULL, 0);
    return;
  }
  if (seg->flags & SYNACK_TCP_ACK) {
    /* second: an ACK for a listener is bad unless it returns one of our SYN cookies. */
    if (!(seg->flags & SYNACK_TCP_SYN) && st->cfg.tcp_syncookies && now < l->cookie_until) {
      cookie_ack(st, l, seg, now);
      return;
    }
    synack_drop(st, SYNACK_DROP_TCP_NO_SOCKET, NULL, 0);
    /* cfg.tcp_listen_drop_synack (FreeBSD's tcp_input): a SYN-ACK is dropped without the
     * RST of RFC 9293, which would otherwise reset a connection that a crossed SYN-ACK from
     * an earlier incarnation of this port belongs to. */
    if ((seg->flags & SYNACK_TCP_SYN) && st->cfg.tcp_listen_drop_synack) return;
    synack_tcp_reply_rst(st, seg);
    return;
  }
  if (!(seg->flags & SYNACK_TCP_SYN)) { /* fourth: anything else is dropped */
    synack_drop(st, SYNACK_DROP_TCP_NO_SOCKET, NULL, 0);
    return;
  }
  /* third: a SYN. */
  if ((seg->flags & SYNACK_TCP_FIN) && st->cfg.tcp_listen_drop_synfin) {
    /* cfg.tcp_listen_drop_synfin (Linux's tcp_rcv_state_process, LISTEN: a SYN with FIN is
     * discarded): no SYN-ACK. RFC 9293 §3.10.7.2 does not single SYN+FIN out; no real open
     * sends one, and port scanners do. A TIME-WAIT entry that handed this SYN over ends, as
     * Linux's does once a listener takes its SYN (tcp_timewait.c). */
    synack_drop(st, SYNACK_DROP_TCP_BAD_FLAGS, NULL, 0);
    if (seg->tw_reopen) synack_tcp_timewait_end_suspended(st, &seg->t, "SYN+FIN dropped by the listener");
    return;
  }
  const synack_tcp_opts_t *o = &seg->r.opts;
  uint8_t opt = negotiate(st, l, o);
  uint16_t peer_mss = (o->present & SYNACK_TCPOPT_HAS_MSS) ? o->mss : synack_tcp_default_mss(st, seg->t.family);
  if (syn_queue_full(st, l)) {
    if (!st->cfg.tcp_syncookies) {
      synack_drop(st, SYNACK_DROP_TCP_SYN_QUEUE_FULL, NULL, 0);
      return;
    }
    /* RFC 4987 §3.6: the SYN queue is full: answer statelessly with a cookie as ISN. */
    uint32_t cookie = synack_cookie_make(st, &seg->t, seg->seq, peer_mss, now);
    uint32_t ao_ids = seg->ao_ok ? AO_IDS(seg->r.opts.ao_keyid, seg->r.opts.ao_rnext) : 0;
    /* Window scale and SACK-permitted come back only in the TSecr: without timestamps the
     * connection will not have them, so the SYN-ACK must not offer them (a peer told of a
     * window scale would scale windows nobody unscales; Linux's tcp_clear_options). */
    if (!(opt & HO_TS)) opt &= (uint8_t)~(HO_WS | HO_SACK);
    /* cfg.tcp_syncookie_linux: with timestamps the cookie keeps the SYN's ECN request too. */
    bool ece = st->cfg.tcp_syncookie_linux && (opt & HO_TS) && synack_tcp_ecn_syn_accept(st, seg);
    send_synack(st, l, &seg->t, seq_make(cookie), seg->seq, opt, o->wscale > 14 ? 14 : o->wscale, o->ts_val, true,
                ece, NULL, ao_ids, now);
    synack_count(st, SYNACK_CTR_TCP_SYNCOOKIES_SENT);
    if (seg->tw_reopen) synack_tcp_timewait_settle(st, &seg->t, true);
    l->cookie_until = now + SYNACK_SEC(128); /* cookies stay valid for two 64 s periods */
    return;
  }
  /* Linux (tcp_synack_options): with a signature the SYN-ACK has no room for timestamps beside
   * SACK-permitted, so a connection that gets SACK goes without timestamps. A cookie SYN-ACK
   * (above) keeps them: they carry the cookie's options. */
  if (seg->md5 && (opt & HO_SACK)) opt &= (uint8_t)~HO_TS;
  synack_tfo_reply_t fo;
  synack_tfo_listen_syn(st, l, seg, &fo);
  if (fo.child && fastopen_child(st, l, seg, opt, peer_mss, now)) return;
  /* Data on the SYN is held, neither acknowledged nor readable until the handshake completes
   * (docs/tcp-choices.md). Bounded: at most one MSS per half-open entry. A SYN taking part in
   * fast open without a valid cookie keeps nothing (RFC 7413 §4.2.2, as Linux). */
  /* cfg.tcp_syn_data_drop (Linux's tcp_conn_request without fast open): nothing is held; the
   * client sends the bytes again after the handshake, as it would after our SYN-ACK's ACK. */
  uint32_t held = (fo.drop_data || st->cfg.tcp_syn_data_drop) ? 0 : seg->len;
  if (held > listener_mss(st, l, &seg->t)) held = listener_mss(st, l, &seg->t);
  if (held > l->tcb->rb.cap) held = l->tcb->rb.cap;
  uint32_t save = syn_hdrs_len(st, l); /* TCP_SAVE_SYN */
  size_t size = sizeof(synack_halfopen_t) + (held ? 2u + held : 0u) + (save ? 1u + save : 0u);
  synack_halfopen_t *h = synack_mem_alloc(st, size);
  if (!h) { synack_drop(st, SYNACK_DROP_TCP_NO_MEMORY, NULL, 0); return; }
  st->tcp->mem += size;
  h->has_data = 0;
  h->has_saved = 0;
  if (held) {
    h->has_data = 1;
    h->syn_data[0] = (uint8_t)(held >> 8);
    h->syn_data[1] = (uint8_t)held;
    memcpy(h->syn_data + 2, seg->r.payload, held);
  }
  if (save) {
    uint8_t *at = h->syn_data + (held ? 2u + held : 0u);
    at[0] = (uint8_t)save;
    memcpy(at + 1, st->rx_l3, save);
    h->has_saved = 1;
  }
  st->tcp->nhalfopen++;
  h->node.t = seg->t;
  h->node.kind = SYNACK_NODE_HALFOPEN;
  h->lst = l;
  h->irs = seg->seq;
  h->iss = synack_tcp_isn(st, &seg->t, now);
  if (seg->tw_reopen && !seq_gt(h->iss, seg->tw_snd_nxt)) {
    /* RFC 1122 §4.2.2.13: a SYN reopening TIME-WAIT gets an ISS above the old incarnation's
     * highest sequence number; the old SND.NXT + 65537, as Linux and tw_reuse do. */
    h->iss = seq_add(seg->tw_snd_nxt, 65537u);
  }
  h->opt = opt;
  h->defer_acked = 0;
  h->peer_mss = peer_mss;
  h->snd_wscale = o->wscale > 14 ? 14 : o->wscale;
  h->ts_recent = (opt & HO_TS) ? o->ts_val : 0;
  h->ecn = synack_tcp_ecn_syn_accept(st, seg);
  h->ao_keyid = o->ao_keyid; /* RFC 5925 §7.5.1 (meaningful when the SYN was verified: seg->ao_ok) */
  h->ao_rnext = o->ao_rnext;
  h->next = l->sq_head;
  h->prev = NULL;
  if (l->sq_head) l->sq_head->prev = h;
  l->sq_head = h;
  l->sq_len++;
  synack_tcp_hash_insert(st, &h->node);
  synack_timer_init(&h->timer, SYNACK_TK_TCP_HALFOPEN);
  synack_tcp_trace_state(st, -1, &h->node.t, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RECEIVED, "rcv SYN");
  /* Data on the SYN is neither acknowledged nor kept (docs/tcp-choices.md): the SYN-ACK
   * acknowledges the SYN only, so the client sends the data again after the handshake. */
  send_synack(st, l, &h->node.t, h->iss, h->irs, h->opt, h->snd_wscale, h->ts_recent, false, h->ecn, &fo,
              halfopen_ao_ids(h), now);
  synack_timer_set(&st->wheel, &h->timer, now + (synack_time_t)st->cfg.tcp_rto_initial_ms * 1000u);
}

/* A segment for a passive open in SYN-RECEIVED (RFC 9293 §3.10.7.4 for that state). */
void synack_tcp_halfopen_input(synack_stack_t *st, synack_halfopen_t *h, synack_seg_t *seg, synack_time_t now) {
  synack_listener_t *l = h->lst;
  synack_seq_t rcv_nxt = seq_add(h->irs, 1);
  uint32_t wnd = listener_window(st, l, &h->node.t, h->opt);
  if ((seg->flags & SYNACK_TCP_SYN) && !(seg->flags & SYNACK_TCP_ACK) && seq_eq(seg->seq, h->irs)) {
    /* The client's SYN again (our SYN-ACK was lost, or the SYN duplicated). The answer counts as
     * the next retransmission, so the timer's schedule (1, 3, 7, 15, 31 s, dropped at 63 s) is
     * an upper bound and at most 1 + tcp_synack_retries SYN-ACKs go out. */
    if (now - halfopen_last_synack(st, h) < DUP_SYN_GUARD_US) {
      /* A SYN-ACK left at this moment (the timer fired just before): it answers this SYN. */
      synack_drop(st, SYNACK_DROP_TCP_DUP_SYN, NULL, 0);
      return;
    }
    if (st->cfg.tcp_dup_syn_rearm) {
      /* cfg.tcp_dup_syn_rearm (Linux's tcp_check_req, inet_rtx_syn_ack): the SYN-ACK again,
       * outside the timer's schedule: the timer restarts from now with the timeout it had
       * (not doubled) and the answer does not count toward tcp_synack_retries. */
      synack_count(st, SYNACK_CTR_TCP_RETRANS_SEGS);
      send_synack(st, l, &h->node.t, h->iss, h->irs, h->opt, h->snd_wscale, h->ts_recent, false, h->ecn, NULL,
                  halfopen_ao_ids(h), now);
      synack_timer_set(&st->wheel, &h->timer, now + halfopen_backoff(st, h->retries));
      return;
    }
    if (halfopen_exhausted(st, h)) {
      /* What the timer would do next: give the entry up; the SYN then starts a new one. */
      synack_tcp_halfopen_free(st, h, SYNACK_TCP_CLOSED, "SYN-ACK retries exhausted");
      synack_tcp_listen_input(st, l, seg, now);
      return;
    }
    halfopen_retransmit(st, h, now);
    return;
  }
  /* RFC 9293 §3.10.7.4 steps 1, 2 and 4 (tcp_check.c). TS.Recent is from this handshake, never
   * 24 days old. */
  synack_tcp_view_t v = {
    .rcv_nxt = rcv_nxt,
    .rcv_wnd = wnd,
    .ts_ok = (h->opt & HO_TS) != 0,
    .ts_recent = h->ts_recent,
    .ts_recent_s = (uint32_t)(now / 1000000u),
    .rst_ignored = false,
    .rst_at_fin = false,
    .rst_exact = false,
    .end_at_rcv_nxt = false,
    /* Linux's tcp_check_req judges a request socket with tcp_in_window */
    .right_edge = st->cfg.tcp_seq_right_edge ? SYNACK_EDGE_ZERO_LEN : SYNACK_EDGE_RFC,
    .rcvq_busy = false,
  };
  synack_check_t verdict = synack_tcp_check(st, &v, seg, now);
  if ((verdict == SYNACK_CHECK_CHALLENGE || verdict == SYNACK_CHECK_SYN_RESET) && (seg->flags & SYNACK_TCP_SYN) &&
      st->cfg.tcp_synrcvd_syn_rst) {
    /* cfg.tcp_synrcvd_syn_rst (Linux's tcp_check_req), as RFC 793 §3.9 fourth check: a SYN in the
     * window is an error: send a reset (<SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
     * <CTL=RST,ACK> without ACK) and return the passive open to LISTEN. */
    synack_count(st, SYNACK_CTR_TCP_ATTEMPT_FAILS);
    synack_tcp_reply_rst(st, seg);
    synack_tcp_halfopen_free(st, h, SYNACK_TCP_LISTEN, "rcv SYN in window");
    return;
  }
  switch (verdict) {
  case SYNACK_CHECK_PASS:
    break;
  case SYNACK_CHECK_DROP:
    return;
  case SYNACK_CHECK_PAWS:
  case SYNACK_CHECK_OOW:
    /* Unacceptable: answer (our SYN-ACK is the ACK here; with cfg.tcp_synrcvd_plain_ack a plain
     * ACK, as Linux's tcp_check_req), rate-limited, drop. */
    if (!synack_tcp_answer_allowed(st, verdict, &h->oow_last_ms, seg, now)) return;
    if (st->cfg.tcp_synrcvd_plain_ack) halfopen_ack(st, h, now);
    else send_synack(st, l, &h->node.t, h->iss, h->irs, h->opt, h->snd_wscale, h->ts_recent, false, h->ecn, NULL,
                     halfopen_ao_ids(h), now);
    return;
  case SYNACK_CHECK_CHALLENGE:
    if (synack_tcp_answer_allowed(st, verdict, &h->oow_last_ms, seg, now)) halfopen_ack(st, h, now);
    return;
  case SYNACK_CHECK_RST:
    /* RFC 9293 §3.10.7.4 second: a passive open returns to LISTEN. */
    synack_count(st, SYNACK_CTR_TCP_RST_IN);
    synack_count(st, SYNACK_CTR_TCP_ATTEMPT_FAILS);
    synack_tcp_halfopen_free(st, h, SYNACK_TCP_LISTEN, "rcv RST");
    return;
  case SYNACK_CHECK_SYN_RESET:
    /* RFC 9293 §3.10.7.4 fourth: a passive open goes back to LISTEN. */
    synack_tcp_halfopen_free(st, h, SYNACK_TCP_LISTEN, "rcv SYN in window");
    return;
  }
  if (!(seg->flags & SYNACK_TCP_ACK)) { synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0); return; }
  if (!seq_eq(seg->ack, seq_add(h->iss, 1))) {
    /* RFC 9293 §3.10.7.4 fifth (SYN-RECEIVED): unacceptable ACK → <SEQ=SEG.ACK><CTL=RST>. */
    synack_drop(st, SYNACK_DROP_TCP_ACK_UNACCEPTABLE, NULL, 0);
    synack_tcp_reply_rst(st, seg);
    return;
  }
  if (h->retries < l->tcb->defer_accept && seg->len == 0 && !(seg->flags & SYNACK_TCP_FIN)) {
    /* TCP_DEFER_ACCEPT (Linux's tcp_check_req): while the deferral lasts, a bare ACK makes no
     * connection; the server only wants one when there is something to read. */
    h->defer_acked = 1;
    synack_drop(st, SYNACK_DROP_TCP_DEFER_ACCEPT, NULL, 0);
    return;
  }
  if (accept_queue_full(st, l, seg)) {
    if (st->cfg.tcp_abort_on_overflow) synack_tcp_halfopen_free(st, h, SYNACK_TCP_CLOSED, "accept queue full");
    return;
  }
  synack_seq_t iss = h->iss, irs = h->irs;
  uint8_t opt = h->opt, ws = h->snd_wscale, retries = h->retries;
  bool ecn = h->ecn;
  uint16_t mss = h->peer_mss;
  uint32_t tsr = h->ts_recent;
  /* With no retransmission the timer still holds the SYN-ACK's time plus the initial RTO. */
  synack_time_t synack_at = halfopen_last_synack(st, h);
  /* The held SYN data moves out before the entry is freed (it lives in the same allocation). */
  uint32_t n = held_len(h);
  uint8_t *held = n ? synack_mem_alloc(st, n) : NULL;
  if (!held) n = 0; /* no memory: the data is not acknowledged, the client sends it again */
  if (n) memcpy(held, h->syn_data + 2, n);
  uint8_t saved[256];
  uint32_t nsaved = h->has_saved ? saved_at(h)[0] : 0u;
  if (nsaved) memcpy(saved, saved_at(h) + 1, nsaved);
  if ((opt & HO_TS) && (seg->r.opts.present & SYNACK_TCPOPT_HAS_TS)) tsr = seg->r.opts.ts_val;
  synack_tcp_halfopen_free(st, h, SYNACK_TCP_SYN_RECEIVED, NULL);
  synack_tcb_t *c = make_child(st, l, seg, iss, irs, opt, ws, mss, tsr, false, now);
  saved_syn_attach(st, c, saved, nsaved); /* TCP_SAVE_SYN */
  if (n) {
    if (c && synack_rcvbuf_reserve(st, &c->rb, 0, n) == 0) {
      /* The held SYN data is in order right after the SYN: deliver it and ACK it now. */
      synack_rcvbuf_place(&c->rb, 0, held, n);
      synack_rcvbuf_commit(&c->rb, n);
      /* The right edge offered with the SYN-ACK stays: the bytes now fill part of that window. */
      c->rcv_nxt = seq_add(c->rcv_nxt, n);
      c->bytes_received += n;
      synack_tcp_delack_arm(st, c, now);
    }
    synack_mem_free(st, held, n);
  }
  if (!c) return;
  synack_count(st, SYNACK_CTR_TCP_PASSIVE_OPENS);
  if (ecn) c->ecn |= SYNACK_ECN_OK;
  if (retries) synack_tcp_cc_syn_lost(c); /* RFC 5681 §3.1: SYN-ACK lost: IW = 1 segment */
  /* RFC 6298 §3 (Karn): the handshake gives an RTT sample when the SYN-ACK went once. */
  /* With timestamps too, outside the linux profile: the SYN-ACK's send time is microseconds,
   * the echo's tick 1 ms (a sub-ms path read 1 us; linux-differences.md item 42). */
  bool ts_sample = (c->flags & TF_TS_OK) && st->cfg.tcp_recovery_linux;
  if (retries == 0 && !ts_sample && now >= synack_at)
    synack_tcp_rtt_sample(st, c, (uint32_t)(now - synack_at));
  /* RFC 7323 §4.1: with timestamps the echoed TSval of our SYN-ACK gives the sample, but only
   * when it went once (Karn, as on the active side): a SYN-ACK held for neighbour resolution
   * leaves with its retransmission, and its TSval dates from when it was built. */
  if (retries == 0 && ts_sample && (seg->r.opts.present & SYNACK_TCPOPT_HAS_TS) && seg->r.opts.ts_ecr) {
    uint32_t ms = synack_tcp_ts_now(now, c->ts_offset) - seg->r.opts.ts_ecr;
    if (ms < 600000u) synack_tcp_rtt_sample(st, c, ms * 1000u);
  }
  /* The ACK may carry data or a FIN (third ACK lost, client already sending). */
  if (seg->len > 0 || (seg->flags & SYNACK_TCP_FIN)) synack_tcp_input_tcb(st, c, seg, now);
  else c->segs_in++; /* the ACK itself (input_tcb counts the others) */
}

void synack_tcp_listener_close(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_listener_t *l = tcb->lst;
  if (!l) return;
  /* Children never accepted are reset: their peers would otherwise wait forever. */
  while (l->aq_head) {
    synack_tcb_t *c = l->aq_head;
    l->aq_head = c->aq_next;
    c->aq_next = NULL;
    c->flags &= ~(uint64_t)TF_IN_AQ;
    c->parent = NULL;
    l->aq_len--;
    if (synack_tcp_state_synchronized(c->state) && c->state != SYNACK_TCP_TIME_WAIT)
      synack_tcp_send_rst_tcb(st, c, now);
    c->flags |= TF_ORPHAN;
    st->tcp->norphans++; /* freed at once by synack_tcp_done, which counts it down */
    synack_tcp_done(st, c, 0, "listener closed");
  }
  l->aq_tail = NULL;
  while (l->sq_head) synack_tcp_halfopen_free(st, l->sq_head, SYNACK_TCP_CLOSED, "listener closed");
  synack_tcp_listener_remove(st, l);
  synack_mem_free(st, l, sizeof *l);
  st->tcp->mem -= sizeof *l;
  tcb->lst = NULL;
}
