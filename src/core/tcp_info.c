/* Introspection: the TCP_INFO-like snapshot of one socket, the connection table (sockets,
 * half-open and TIME-WAIT entries) and dropping an entry by hand (like tcpdrop). */
#include <string.h>

#include "tcp_internal.h"

int synack_tcp_info(synack_stack_t *st, int sock, synack_tcp_info_t *out) {
  if (!st || !st->tcp || sock < 0 || (uint32_t)sock >= st->tcp->nsocks || !st->tcp->socks[sock])
    return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  const synack_tcb_t *t = st->tcp->socks[sock];
  memset(out, 0, sizeof *out);
  out->state = t->state;
  if (t->flags & TF_TS_OK) out->options |= SYNACK_TCPI_OPT_TIMESTAMPS;
  if (t->flags & TF_SACK_OK) out->options |= SYNACK_TCPI_OPT_SACK;
  if (t->flags & TF_WS_OK) out->options |= SYNACK_TCPI_OPT_WSCALE;
  if (t->ecn & SYNACK_ECN_OK) out->options |= SYNACK_TCPI_OPT_ECN;
  if (t->tfo & SYNACK_TFOF_DATA_ACKED) out->options |= SYNACK_TCPI_OPT_SYN_DATA;
  out->fastopen_client_fail = t->tfo_fail;
  out->snd_wscale = t->snd_wscale;
  out->rcv_wscale = t->rcv_wscale;
  out->retransmits = t->retransmits;
  out->backoff = t->backoff;
  out->rto_us = synack_tcp_rto_current(st, t);
  /* cfg.tcp_delack_linux: Linux's current estimate (0 before data, as Linux's tcpi_ato) */
  out->ato_us = st->cfg.tcp_delack_linux ? t->lx_ato : st->cfg.tcp_delack_ms * 1000u;
  out->snd_mss = t->snd_mss;
  out->rcv_mss = t->rcv_mss;
  uint32_t flight = (uint32_t)seq_diff(t->snd_max, t->snd_una);
  out->unacked = t->snd_mss ? (flight + t->snd_mss - 1) / t->snd_mss : 0;
  /* Scoreboard (tcp_sack.c / tcp_recovery.c): SACKed, presumed lost, retransmitted and not
   * yet acknowledged, in segments like Linux's tcpi_sacked / tcpi_lost / tcpi_retrans. */
  synack_rec_info(t, &out->sacked, &out->lost, &out->retrans);
  out->rtt_us = t->srtt_us;
  out->rttvar_us = t->rttvar_us;
  out->snd_ssthresh = t->snd_mss && t->ssthresh_bytes != UINT32_MAX ? t->ssthresh_bytes / t->snd_mss : SYNACK_INFINITE_SSTHRESH;
  out->snd_cwnd = t->snd_mss ? t->cwnd_bytes / t->snd_mss : 0;
  out->total_retrans = t->total_retrans;
  out->bytes_acked = t->bytes_acked;
  out->bytes_received = t->bytes_received;
  out->bytes_sent = t->bytes_sent;
  out->bytes_retrans = t->bytes_retrans;
  out->segs_out = t->segs_out;
  out->segs_in = t->segs_in;
  out->rtos = t->rtos;
  out->tlp_probes = t->tlps;
  out->tlp_recoveries = t->tlp_recoveries;
  out->undos = t->undos;
  out->spurious_retrans = t->spurious_retrans;
  out->dsacks_in = t->rec.dsacks;
  out->reord_seen = t->rec.rack_reord ? 1u : 0u;
  out->reo_wnd_us = synack_rack_reo_wnd(st, t);
  out->iss = t->iss.v;
  out->irs = t->irs.v;
  out->snd_una = t->snd_una.v;
  out->snd_nxt = t->snd_nxt.v;
  out->snd_wnd = t->snd_wnd;
  out->rcv_nxt = t->rcv_nxt.v;
  int32_t w = seq_diff(t->rcv_adv, t->rcv_nxt);
  out->rcv_wnd = w > 0 ? (uint32_t)w : 0;
  out->ts_recent = t->ts_recent;
  /* Linux's tcpi_ca_state: Open, Disorder (open, but SACKed data or duplicate ACKs seen: Linux's
   * tcp_left_out), Recovery (fast recovery, SACK or NewReno), Loss (after an RTO). synack has no
   * CWR state (an ECN or probe reduction ends at once). */
  switch (t->rec.mode) {
  case SYNACK_REC_OPEN: out->ca_state = t->rec.sb.bytes || t->rec.dupacks ? 1 : 0; break;
  case SYNACK_REC_SACK:
  case SYNACK_REC_NEWRENO: out->ca_state = 3; break;
  case SYNACK_REC_RTO: out->ca_state = 4; break;
  }
  /* icsk_probes_out: zero-window probes, else keepalive probes not answered */
  out->probes = t->rec.persist ? t->rec.probes : t->keep_probes;
  synack_time_t now = st->now;
  out->last_data_sent_ms = t->last_send_us && now >= t->last_send_us ? (uint32_t)((now - t->last_send_us) / 1000u) : 0;
  out->last_data_recv_ms = t->last_data_rcv && now >= t->last_data_rcv ? (uint32_t)((now - t->last_data_rcv) / 1000u) : 0;
  out->last_ack_recv_ms = t->last_rcv && now >= t->last_rcv ? (uint32_t)((now - t->last_rcv) / 1000u) : 0;
  out->advmss = t->rcv_mss;
  out->notsent_bytes = synack_tcp_notsent(t);
  out->min_rtt_us = t->rec.rack_min_rtt_us ? t->rec.rack_min_rtt_us : UINT32_MAX; /* Linux: ~0U before a sample */
  out->data_segs_in = t->data_segs_in;
  out->data_segs_out = t->data_segs_out;
  out->rcv_ooopack = t->rcv_ooopack;
  out->pacing_rate = synack_tcp_pacing_rate_info(t);
  out->max_pacing_rate = t->pace_max_rate == UINT32_MAX ? UINT64_MAX : t->pace_max_rate;
  synack_tcp_chrono_read(t, now, &out->busy_time_us, &out->rwnd_limited_us, &out->sndbuf_limited_us);
  out->delivered = t->delivered;
  out->delivered_ce = t->delivered_ce;
  out->total_rto_recoveries = t->total_rto_recoveries;
  uint64_t rto_time = t->total_rto_time_us;
  if (t->rto_stamp && now >= t->rto_stamp - 1u) rto_time += now - (t->rto_stamp - 1u);
  out->total_rto_time_ms = (uint32_t)(rto_time / 1000u);
  out->rcv_space = t->rcvq_space;
  out->rcv_ssthresh = t->lx_full ? t->lx_ssthresh : 0;
  return 0;
}

static void fill_tcb(const synack_tcb_t *t, synack_conn_entry_t *e) {
  memset(e, 0, sizeof *e);
  e->kind = SYNACK_CONN_SOCKET;
  e->sock = t->sock;
  e->state = t->state;
  synack_tuple_endpoints(&t->node.t, &e->local, &e->remote);
  e->local.ip.family = t->node.t.family;
  if (t->node.t.rport == 0) memset(&e->remote, 0, sizeof e->remote);
  else e->remote.ip.family = t->node.t.family;
  e->bytes_in = t->bytes_received;
  e->bytes_out = t->bytes_sent;
  e->retransmits = t->retransmits;
  e->expires = synack_tcp_tcb_next_timer(t);
}

static void fill_node(const synack_tcp_node_t *n, synack_conn_entry_t *e) {
  switch ((synack_node_kind_t)n->kind) {
  case SYNACK_NODE_TCB:
    fill_tcb((const synack_tcb_t *)n, e);
    return;
  case SYNACK_NODE_HALFOPEN: {
    const synack_halfopen_t *h = (const synack_halfopen_t *)n;
    memset(e, 0, sizeof *e);
    e->kind = SYNACK_CONN_HALFOPEN;
    e->sock = -1;
    e->state = SYNACK_TCP_SYN_RECEIVED;
    synack_tuple_endpoints(&n->t, &e->local, &e->remote);
    e->retransmits = h->retries;
    e->expires = synack_timer_armed(&h->timer) ? h->timer.expiry : SYNACK_TIME_NEVER;
    return;
  }
  case SYNACK_NODE_TIMEWAIT: {
    const synack_timewait_t *tw = (const synack_timewait_t *)n;
    memset(e, 0, sizeof *e);
    e->kind = SYNACK_CONN_TIMEWAIT;
    e->sock = -1;
    e->state = SYNACK_TCP_TIME_WAIT;
    synack_tuple_endpoints(&n->t, &e->local, &e->remote);
    e->expires = synack_timer_armed(&tw->timer) ? tw->timer.expiry : SYNACK_TIME_NEVER;
    return;
  }
  }
}

size_t synack_conn_table(synack_stack_t *st, synack_conn_entry_t *out, size_t max) {
  if (!st || !st->tcp) return 0;
  struct synack_tcp *tcp = st->tcp;
  size_t n = 0;
  /* Sockets without a 4-tuple in the hash: listeners, unconnected and finished sockets. */
  for (uint32_t i = 0; i < tcp->nsocks; i++) {
    const synack_tcb_t *t = tcp->socks[i];
    if (!t || (t->flags & TF_HASHED)) continue;
    if (n < max) fill_tcb(t, &out[n]);
    n++;
  }
  for (uint32_t b = 0; b < tcp->nbuckets; b++)
    for (const synack_tcp_node_t *nd = tcp->buckets[b]; nd; nd = nd->hnext) {
      if (n < max) fill_node(nd, &out[n]);
      n++;
    }
  return n;
}

int synack_conn_drop(synack_stack_t *st, synack_time_t now, const synack_conn_entry_t *e) {
  if (!st || !st->tcp || !e) return -SYNACK_EINVAL;
  st->now = now;
  synack_tuple_t t;
  memset(&t, 0, sizeof t);
  t.family = e->local.ip.family ? e->local.ip.family : e->remote.ip.family;
  memcpy(t.laddr, e->local.ip.b, 16);
  memcpy(t.raddr, e->remote.ip.b, 16);
  t.lport = e->local.port;
  t.rport = e->remote.port;
  synack_tcp_node_t *n = synack_tcp_hash_lookup(st, &t);
  if (!n) return -SYNACK_ENOENT;
  switch ((synack_node_kind_t)n->kind) {
  case SYNACK_NODE_TCB: {
    synack_tcb_t *tcb = (synack_tcb_t *)n;
    if (synack_tcp_state_synchronized(tcb->state) && tcb->state != SYNACK_TCP_TIME_WAIT)
      synack_tcp_send_rst_tcb(st, tcb, now);
    synack_tcp_done(st, tcb, -SYNACK_ECONNABORTED, "dropped by synack_conn_drop()");
    return 0;
  }
  case SYNACK_NODE_HALFOPEN: {
    synack_halfopen_t *h = (synack_halfopen_t *)n;
    synack_ip_t local, peer;
    synack_tuple_ips(&h->node.t, &local, &peer);
    synack_ctl_opts_t o; /* RFC 2385: signed with the listener's key for the peer */
    const synack_ctl_opts_t *c = synack_tcp_md5_ctl(&o, synack_tcp_md5_lookup(h->lst->tcb->md5, &peer));
    synack_ao_tx_t ao; /* RFC 5925: with the listener's TCP-AO key the SYN asked for */
    if (synack_tcp_ao_covers(h->lst->tcb->ao, &peer) &&
        synack_tcp_ao_listen_tx(h->lst->tcb->ao, &h->node.t, h->ao_rnext, h->ao_keyid, h->iss.v, h->irs.v, &ao)) {
      memset(&o, 0, sizeof o);
      o.ao = &ao;
      c = &o;
    }
    synack_tcp_send_ctl(st, &h->node.t, seq_add(h->iss, 1), seq_add(h->irs, 1), SYNACK_TCP_RST | SYNACK_TCP_ACK, 0, c);
    synack_tcp_halfopen_free(st, h, SYNACK_TCP_CLOSED, "dropped by synack_conn_drop()");
    return 0;
  }
  case SYNACK_NODE_TIMEWAIT:
    synack_tcp_timewait_free(st, (synack_timewait_t *)n, "dropped by synack_conn_drop()");
    return 0;
  }
  return -SYNACK_EINVAL;
}
