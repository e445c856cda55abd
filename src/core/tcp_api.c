/* The socket API of socket.h, and the lifecycle of TCBs: creation, the one place where a
 * connection ends (synack_tcp_done), events to the application. */
#include <string.h>

#include "tcp_internal.h"

/* ---------- module init/fini ---------- */

int synack_tcp_init(synack_stack_t *st) {
  struct synack_tcp *tcp = synack_mem_alloc(st, sizeof *tcp);
  if (!tcp) return -SYNACK_ENOMEM;
  st->tcp = tcp;
  tcp->mem = sizeof *tcp;
  uint32_t n = st->cfg.max_sockets ? st->cfg.max_sockets : 1;
  tcp->socks = synack_mem_alloc(st, n * sizeof *tcp->socks);
  if (!tcp->socks) goto fail;
  tcp->nsocks = n;
  tcp->mem += n * sizeof *tcp->socks;
  if (synack_event_reserve(st, n) < 0) goto fail;
  if (synack_tcp_demux_init(st) < 0) goto fail;
  tcp->port_next = synack_random_u32(st);
  return 0;
fail:
  synack_tcp_fini(st);
  return -SYNACK_ENOMEM;
}

static void free_raw(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_tcp_port_unindex(st, tcb);
  synack_tcp_cancel_timers(st, tcb);
  synack_sndbuf_free(st, &tcb->sb);
  synack_tcp_eor_free(st, tcb);
  synack_rcvbuf_free(st, &tcb->rb);
  synack_rec_free(st, tcb); /* the SACK scoreboard's table (tcp_recovery.c) */
  synack_tcp_md5_free(st, &tcb->md5);
  synack_tcp_ao_free(st, &tcb->ao);
  synack_tcp_errq_free(st, tcb); /* MSG_ZEROCOPY / SO_TIMESTAMPING reports (tcp_errqueue.c) */
  synack_tcp_saved_syn_free(st, tcb);
  if (tcb->lst) {
    synack_mem_free(st, tcb->lst, sizeof *tcb->lst);
    st->tcp->mem -= sizeof *tcb->lst;
  }
  if (tcb->flags & TF_ORPHAN) st->tcp->norphans--;
  st->tcp->ntcb--;
  st->tcp->mem -= sizeof *tcb;
  synack_mem_free(st, tcb, sizeof *tcb);
}

void synack_tcp_fini(synack_stack_t *st) {
  struct synack_tcp *tcp = st->tcp;
  if (!tcp) return;
  synack_tcp_timewait_free_suspended(st);
  /* Everything in the hash first (connections, half-open and TIME-WAIT entries). */
  for (uint32_t b = 0; b < tcp->nbuckets; b++) {
    synack_tcp_node_t *n = tcp->buckets[b];
    tcp->buckets[b] = NULL;
    while (n) {
      synack_tcp_node_t *next = n->hnext;
      switch ((synack_node_kind_t)n->kind) {
      case SYNACK_NODE_TCB: {
        synack_tcb_t *tcb = (synack_tcb_t *)n;
        if (tcb->sock >= 0 && (uint32_t)tcb->sock < tcp->nsocks) tcp->socks[tcb->sock] = NULL;
        free_raw(st, tcb);
        break;
      }
      case SYNACK_NODE_HALFOPEN: {
        synack_halfopen_t *h = (synack_halfopen_t *)n;
        synack_timer_cancel(&st->wheel, &h->timer);
        size_t size = synack_tcp_halfopen_size(h); /* with the data held from its SYN */
        tcp->mem -= size;
        synack_mem_free(st, h, size);
        break;
      }
      case SYNACK_NODE_TIMEWAIT: {
        synack_timewait_t *tw = (synack_timewait_t *)n;
        synack_timer_cancel(&st->wheel, &tw->timer);
        synack_tcp_timewait_sig_free(st, tw);
        tcp->mem -= sizeof *tw;
        synack_mem_free(st, tw, sizeof *tw);
        break;
      }
      }
      n = next;
    }
  }
  for (uint32_t i = 0; tcp->socks && i < tcp->nsocks; i++) {
    if (tcp->socks[i]) free_raw(st, tcp->socks[i]);
    tcp->socks[i] = NULL;
  }
  if (tcp->socks) synack_mem_free(st, tcp->socks, tcp->nsocks * sizeof *tcp->socks);
  synack_tfo_fini(st);
  synack_tcp_demux_fini(st);
  synack_mem_free(st, tcp, sizeof *tcp);
  st->tcp = NULL;
}

size_t synack_tcp_memory(const synack_stack_t *st) { return st->tcp ? st->tcp->mem : 0; }

/* ---------- TCB lifecycle ---------- */

synack_tcb_t *synack_tcb_new(synack_stack_t *st, uint8_t family) {
  synack_tcb_t *tcb = synack_mem_alloc(st, sizeof *tcb);
  if (!tcb) return NULL;
  st->tcp->mem += sizeof *tcb;
  st->tcp->ntcb++;
  tcb->node.kind = SYNACK_NODE_TCB;
  tcb->node.t.family = family;
  tcb->sock = -1;
  tcb->state = SYNACK_TCP_CLOSED;
  tcb->sb.cap = st->cfg.tcp_sndbuf;
  tcb->rcvbuf_cap = st->cfg.tcp_rcvbuf;
  tcb->rb.cap = st->cfg.tcp_rcvbuf;
  tcb->keep_idle_s = tcb->keep_intvl_s = tcb->keep_cnt = 0; /* the stack's defaults (tcp_timer.c) */
  tcb->linger_s = -1;
  tcb->rcvlowat = 1;
  synack_timer_init(&tcb->t_rtx, SYNACK_TK_TCP_RTX);
  synack_timer_init(&tcb->t_delack, SYNACK_TK_TCP_DELACK);
  synack_timer_init(&tcb->t_keep, SYNACK_TK_TCP_KEEP);
  synack_timer_init(&tcb->t_pace, SYNACK_TK_TCP_PACE);
  tcb->pace_on = st->cfg.tcp_pacing;
  tcb->pace_max_rate = UINT32_MAX;
  synack_tcp_rto_init(st, tcb);
  tcb->snd_mss = synack_tcp_default_mss(st, family);
  synack_tcp_cc_init(st, tcb, st->now); /* cfg.tcp_cc; re-run when the MSS is known */
  return tcb;
}

void synack_tcb_free(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_tcp_pending_remove(st, tcb);
  synack_timer_cancel(&st->wheel, &tcb->t_pace); /* the only timer that may be left armed by output */
  if (tcb->flags & TF_HASHED) {
    synack_tcp_hash_remove(st, &tcb->node);
    tcb->flags &= ~(uint64_t)TF_HASHED;
  }
  if ((tcb->flags & TF_IN_AQ) && tcb->parent) {
    synack_listener_t *l = tcb->parent;
    synack_tcb_t *prev = NULL;
    for (synack_tcb_t *c = l->aq_head; c; prev = c, c = c->aq_next) {
      if (c != tcb) continue;
      if (prev) prev->aq_next = c->aq_next;
      else l->aq_head = c->aq_next;
      if (l->aq_tail == c) l->aq_tail = prev;
      l->aq_len--;
      break;
    }
  }
  free_raw(st, tcb);
}

void synack_tcb_setup_conn(synack_stack_t *st, synack_tcb_t *tcb) {
  tcb->rcv_wscale = synack_tcp_rcv_pick_wscale(st, tcb); /* tcp_rcvwnd.c */
  uint16_t route = synack_tcp_route_mss(st, &tcb->node.t);
  tcb->rcv_mss = tcb->user_mss && tcb->user_mss < route ? tcb->user_mss : route;
  if (!synack_rcvbuf_holds(&tcb->rb)) tcb->rb.cap = tcb->rcvbuf_cap; /* FreeBSD's rounding waits for the peer's MSS */
  /* With cfg.tcp_quickack_linux the count is set by the first data segment (tcp_ackpolicy.c). */
  tcb->quickack_left = st->cfg.tcp_quickack_start && !st->cfg.tcp_quickack_linux ? 8 : 0;
  tcb->ts_offset = synack_tcp_ts_offset(st, &tcb->node.t);
  synack_tcp_rto_init(st, tcb);
}

void synack_tcp_post(synack_stack_t *st, synack_tcb_t *tcb, uint32_t bits, int err) {
  if (tcb->sock >= 0) synack_event_post(st, tcb->sock, bits, err);
}

void synack_tcp_done(synack_stack_t *st, synack_tcb_t *tcb, int err, const char *reason) {
  if (tcb->state != SYNACK_TCP_CLOSED) synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSED, reason);
  synack_tcp_cancel_timers(st, tcb);
  synack_tcp_pending_remove(st, tcb);
  if (tcb->flags & TF_HASHED) {
    synack_tcp_hash_remove(st, &tcb->node);
    tcb->flags &= ~(uint64_t)TF_HASHED;
  }
  if (tcb->sock < 0) {
    synack_tcb_free(st, tcb); /* orphan or never-accepted child */
    return;
  }
  synack_sndbuf_free(st, &tcb->sb);
  synack_tcp_eor_free(st, tcb);
  synack_tcp_errq_purge(st, tcb);
  if (err) {
    tcb->so_error = err;
    synack_tcp_post(st, tcb, SYNACK_EV_ERROR | SYNACK_EV_READABLE | SYNACK_EV_WRITABLE | SYNACK_EV_CLOSED, err);
  } else {
    synack_tcp_post(st, tcb, SYNACK_EV_CLOSED | SYNACK_EV_READABLE, 0);
  }
}

/* An IPv4 connection of an AF_INET6 socket shows its addresses as ::ffff:a.b.c.d. */
static void present(const synack_tcb_t *tcb, synack_endpoint_t *e) {
  if (!(tcb->flags & TF_MAPPED) || e->ip.family != SYNACK_AF_INET) return;
  uint8_t v4[4];
  memcpy(v4, e->ip.b, 4);
  e->ip.family = SYNACK_AF_INET6;
  synack_addr_map4(v4, e->ip.b);
}

/* ---------- handles ---------- */

static synack_tcb_t *get(synack_stack_t *st, int sock) {
  if (!st || !st->tcp || sock < 0 || (uint32_t)sock >= st->tcp->nsocks) return NULL;
  return st->tcp->socks[sock];
}

static int alloc_handle(synack_stack_t *st, synack_tcb_t *tcb) {
  struct synack_tcp *tcp = st->tcp;
  for (uint32_t i = tcp->free_hint; i < tcp->nsocks; i++) {
    if (!tcp->socks[i] && !synack_udp_holds_handle(st, i)) { /* UDP shares the handle space */
      tcp->socks[i] = tcb;
      tcp->free_hint = i + 1;
      tcb->sock = (int)i;
      synack_tcp_port_index(st, tcb); /* an accepted connection holds its port from now on */
      return (int)i;
    }
  }
  return -SYNACK_EMFILE;
}

/* A handle is free again after accept() had to refuse for want of one: tell every listener
 * with connections waiting, since no new connection may ever come to wake it (its queue may
 * be full, so new SYNs are dropped) and the queued ones would stay there for good. */
static void wake_starved_listeners(synack_stack_t *st) {
  struct synack_tcp *tcp = st->tcp;
  tcp->accept_starved = false;
  for (size_t b = 0; b < sizeof tcp->lbuckets / sizeof tcp->lbuckets[0]; b++)
    for (synack_listener_t *l = tcp->lbuckets[b]; l; l = l->lnext)
      if (l->aq_len) synack_tcp_post(st, l->tcb, SYNACK_EV_READABLE, 0);
}

static void release_handle(synack_stack_t *st, synack_tcb_t *tcb) {
  int s = tcb->sock;
  if (s < 0) return;
  synack_tcp_port_unindex(st, tcb);
  st->tcp->socks[s] = NULL;
  if ((uint32_t)s < st->tcp->free_hint) st->tcp->free_hint = (uint32_t)s;
  synack_event_forget(st, s);
  tcb->sock = -1;
  if (st->tcp->accept_starved) wake_starved_listeners(st);
}

int synack_socket(synack_stack_t *st, int family) {
  if (!st || !st->tcp) return -SYNACK_EINVAL;
  if (family != SYNACK_AF_INET && family != SYNACK_AF_INET6) return -SYNACK_EAFNOSUPPORT;
  synack_tcb_t *tcb = synack_tcb_new(st, (uint8_t)family);
  if (!tcb) return -SYNACK_ENOMEM;
  int h = alloc_handle(st, tcb);
  if (h < 0) synack_tcb_free(st, tcb);
  return h;
}

static size_t addr_len(uint8_t family) { return family == SYNACK_AF_INET6 ? 16 : 4; }

int synack_bind(synack_stack_t *st, int sock, const synack_endpoint_t *local) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!local) return -SYNACK_EINVAL;
  if (tcb->state != SYNACK_TCP_CLOSED || (tcb->flags & TF_BOUND)) return -SYNACK_EINVAL;
  uint8_t fam = tcb->node.t.family;
  if (local->ip.family != 0 && local->ip.family != fam) return -SYNACK_EAFNOSUPPORT;
  uint8_t addr[16] = { 0 };
  if (local->ip.family != 0 && !synack_ip_is_unspecified(&local->ip)) {
    synack_ip_t as = local->ip;
    if (fam == SYNACK_AF_INET6 && synack_addr_is_v4mapped(as.b)) {
      /* RFC 3493 §3.7: an AF_INET6 socket bound to ::ffff:a.b.c.d serves IPv4 on a.b.c.d. */
      if (tcb->flags & TF_V6ONLY) return -SYNACK_EINVAL;
      as.family = SYNACK_AF_INET;
      memmove(as.b, as.b + 12, 4);
      memset(as.b + 4, 0, 12);
    }
    if (!synack_is_local_addr(st, &as)) return -SYNACK_EADDRNOTAVAIL;
    memcpy(addr, local->ip.b, addr_len(fam));
  }
  bool reuse = (tcb->flags & TF_REUSEADDR) != 0;
  uint16_t port = local->port;
  if (port == 0) {
    uint32_t lo = st->cfg.tcp_port_lo, hi = st->cfg.tcp_port_hi, num = hi >= lo ? hi - lo + 1 : 0;
    uint32_t start = num ? synack_random_u32(st) % num : 0;
    for (uint32_t i = 0; i < num && port == 0; i++) {
      uint16_t p = (uint16_t)(lo + (start + i) % num);
      if (!synack_tcp_port_conflict(st, tcb, fam, addr, p, false) && !synack_tcp_listener_lookup(st, fam, addr, p))
        port = p;
    }
    /* Like Linux: bind() reports a full range as EADDRINUSE; only connect() says EADDRNOTAVAIL. */
    if (port == 0) return -SYNACK_EADDRINUSE;
  } else if (synack_tcp_port_conflict(st, tcb, fam, addr, port, reuse)) {
    return -SYNACK_EADDRINUSE;
  }
  memcpy(tcb->node.t.laddr, addr, 16);
  tcb->node.t.lport = port;
  tcb->flags |= TF_BOUND;
  synack_tcp_port_index(st, tcb);
  return 0;
}

int synack_listen(synack_stack_t *st, int sock, int backlog) {
  synack_tcb_t *tcb = get(st, sock);
  /* POSIX: a datagram socket cannot listen or accept (EOPNOTSUPP), as both kernels answer */
  if (!tcb) return synack_udp_is_socket(st, sock) ? -SYNACK_EOPNOTSUPP : -SYNACK_EBADF;
  uint32_t bl = backlog < 1 ? 1u : (uint32_t)backlog;
  if (st->cfg.tcp_max_backlog && bl > st->cfg.tcp_max_backlog) bl = st->cfg.tcp_max_backlog;
  if (tcb->state == SYNACK_TCP_LISTEN) { tcb->lst->backlog = bl; return 0; }
  if (tcb->state != SYNACK_TCP_CLOSED || (tcb->flags & TF_CONNECTED) || tcb->node.t.rport) return -SYNACK_EINVAL;
  if (!(tcb->flags & TF_BOUND)) {
    synack_endpoint_t any;
    memset(&any, 0, sizeof any);
    int rc = synack_bind(st, sock, &any);
    if (rc < 0) return rc;
  }
  synack_listener_t *other = synack_tcp_listener_lookup(st, tcb->node.t.family, tcb->node.t.laddr, tcb->node.t.lport);
  if (other && memcmp(other->tcb->node.t.laddr, tcb->node.t.laddr, 16) == 0 &&
      !((tcb->flags & TF_REUSEPORT) && (other->tcb->flags & TF_REUSEPORT)))
    return -SYNACK_EADDRINUSE;
  synack_listener_t *l = synack_mem_alloc(st, sizeof *l);
  if (!l) return -SYNACK_ENOMEM;
  st->tcp->mem += sizeof *l;
  l->tcb = tcb;
  l->backlog = bl;
  tcb->lst = l;
  tcb->rcv_wscale = synack_tcp_pick_wscale(st);
  synack_tcp_listener_insert(st, l);
  synack_tcp_set_state(st, tcb, SYNACK_TCP_LISTEN, "listen() called");
  return 0;
}

int synack_accept(synack_stack_t *st, int sock, synack_endpoint_t *remote) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return synack_udp_is_socket(st, sock) ? -SYNACK_EOPNOTSUPP : -SYNACK_EBADF;
  if (tcb->state != SYNACK_TCP_LISTEN || !tcb->lst) return -SYNACK_EINVAL;
  synack_listener_t *l = tcb->lst;
  synack_tcb_t *c = l->aq_head;
  if (!c) return -SYNACK_EAGAIN;
  int h = alloc_handle(st, c);
  if (h < 0) {
    st->tcp->accept_starved = true;
    return h;
  }
  l->aq_head = c->aq_next;
  if (!l->aq_head) l->aq_tail = NULL;
  l->aq_len--;
  c->aq_next = NULL;
  c->parent = NULL;
  c->flags &= ~(uint64_t)TF_IN_AQ;
  c->flags |= TF_CONNECTED;
  if (remote) {
    synack_endpoint_t loc;
    synack_tuple_endpoints(&c->node.t, &loc, remote);
    present(c, remote);
  }
  uint32_t bits = 0;
  bool may_send = synack_tcp_state_can_send(c->state) || (c->tfo & SYNACK_TFOF_CHILD); /* RFC 7413 §4.2.2 */
  if (may_send && synack_tcp_writable(c)) bits |= SYNACK_EV_WRITABLE;
  if ((c->rb.len && synack_tcp_rcv_lowat_met(c)) || (c->flags & TF_RCVD_FIN)) bits |= SYNACK_EV_READABLE;
  if (c->flags & TF_RCVD_FIN) bits |= SYNACK_EV_PEER_CLOSED;
  if (bits) synack_event_post(st, h, bits, 0);
  if (l->aq_len) synack_tcp_post(st, tcb, SYNACK_EV_READABLE, 0);
  return h;
}

/* Everything of an active open up to SYN-SENT, without sending the SYN. */
static int open_active(synack_stack_t *st, synack_tcb_t *tcb, const synack_endpoint_t *remote, synack_time_t now);

int synack_connect(synack_stack_t *st, synack_time_t now, int sock, const synack_endpoint_t *remote) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  st->now = now;
  if (tcb->state == SYNACK_TCP_SYN_SENT && (tcb->tfo & SYNACK_TFOF_DEFER))
    return -SYNACK_EISCONN; /* TCP_FASTOPEN_CONNECT: connect() already succeeded (as Linux) */
  int rc = open_active(st, tcb, remote, now);
  if (rc == 1) return 0; /* the connection made (cfg.tcp_api_linux) */
  if (rc < 0) return rc;
  if ((tcb->tfo & SYNACK_TFOF_CONNECT) && (st->cfg.tcp_fastopen & SYNACK_TFO_CLIENT)) {
    if (synack_tfo_client_ready(st, tcb)) {
      /* TCP_FASTOPEN_CONNECT with a cookie: connect() succeeds at once and the SYN waits for
       * the first send() to carry its data (RFC 7413 §4.2.1; Linux's deferred connect). */
      tcb->tfo |= SYNACK_TFOF_DEFER | SYNACK_TFOF_WANT;
      tcb->flags |= TF_CONNECTED;
      synack_tcp_post(st, tcb, SYNACK_EV_WRITABLE, 0); /* write() now makes the SYN (as Linux's poll) */
      return 0;
    }
    tcb->tfo |= SYNACK_TFOF_WANT; /* no cookie yet: the SYN asks for one */
    tcb->tfo_fail = SYNACK_TFO_FAIL_COOKIE_UNAVAILABLE;
  }
  tcb->flags |= TF_CONNECTING;
  synack_tcp_output(st, tcb, now);
  return -SYNACK_EINPROGRESS;
}

static int sndbuf_write_iov(synack_stack_t *st, synack_tcb_t *tcb, const synack_iovec_t *iov, size_t iovlen,
                            uint32_t skip, uint32_t n);

/* RFC 7413 §4.2.1: the deferred SYN of TCP_FASTOPEN_CONNECT or MSG_FASTOPEN goes with at most
 * one SYN's worth of the data (the count returned); the rest is for later sends. */
static int64_t send_on_syn(synack_stack_t *st, synack_tcb_t *tcb, const synack_iovec_t *iov, size_t iovlen,
                           synack_time_t now) {
  uint32_t space = synack_tfo_syn_space(st, tcb);
  size_t len = 0;
  for (size_t i = 0; i < iovlen; i++) {
    if (iov[i].len && !iov[i].base) return -SYNACK_EFAULT;
    len += iov[i].len;
  }
  uint32_t want = len < space ? (uint32_t)len : space;
  int n = 0;
  if (want) {
    n = sndbuf_write_iov(st, tcb, iov, iovlen, 0, want);
    if (n < 0) return n;
  }
  tcb->tfo &= (uint8_t)~SYNACK_TFOF_DEFER;
  synack_tcp_output(st, tcb, now);
  return n;
}

int64_t synack_sendto(synack_stack_t *st, synack_time_t now, int sock, const void *buf, size_t len, int flags,
                      const synack_endpoint_t *remote) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!(flags & SYNACK_MSG_FASTOPEN)) return synack_send(st, now, sock, buf, len, flags);
  st->now = now;
  if (len && !buf && !st->cfg.tcp_api_linux) return -SYNACK_EFAULT;
  if (!(st->cfg.tcp_fastopen & SYNACK_TFO_CLIENT)) return -SYNACK_EOPNOTSUPP;
  if (len && !buf) {
    /* Linux's tcp_send_syn_data: the data cannot be read, so the SYN goes without it (a
     * regular SYN) and the call says EINPROGRESS, like a non-blocking connect */
    if (tcb->state != SYNACK_TCP_CLOSED) return synack_send(st, now, sock, buf, len, flags & ~SYNACK_MSG_FASTOPEN);
    int rc = open_active(st, tcb, remote, now);
    if (rc < 0) return rc;
    tcb->flags |= TF_CONNECTED | TF_CONNECTING;
    synack_tcp_output(st, tcb, now);
    return -SYNACK_EINPROGRESS;
  }
  synack_iovec_t one = { (void *)(uintptr_t)buf, len };
  if (tcb->state == SYNACK_TCP_SYN_SENT && (tcb->tfo & SYNACK_TFOF_DEFER))
    return send_on_syn(st, tcb, &one, 1, now);
  if (tcb->state != SYNACK_TCP_CLOSED) return synack_send(st, now, sock, buf, len, flags & ~SYNACK_MSG_FASTOPEN);
  int rc = open_active(st, tcb, remote, now);
  if (rc < 0) return rc;
  tcb->flags |= TF_CONNECTED | TF_CONNECTING; /* as after connect(): the socket is now connecting */
  tcb->tfo |= SYNACK_TFOF_WANT;
  if (synack_tfo_client_ready(st, tcb)) {
    int64_t n = send_on_syn(st, tcb, &one, 1, now);
    return n > 0 ? n : -SYNACK_EINPROGRESS;
  }
  /* No cookie yet: the SYN asks for one and nothing is queued (Linux returns EINPROGRESS). */
  tcb->tfo_fail = SYNACK_TFO_FAIL_COOKIE_UNAVAILABLE;
  synack_tcp_output(st, tcb, now);
  return -SYNACK_EINPROGRESS;
}

static int open_active(synack_stack_t *st, synack_tcb_t *tcb, const synack_endpoint_t *remote, synack_time_t now) {
  switch (tcb->state) {
  case SYNACK_TCP_SYN_SENT:
  case SYNACK_TCP_SYN_RECEIVED:
    return -SYNACK_EALREADY;
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    /* Linux's __inet_stream_connect: the call that finds the connection made (the socket was
     * still "connecting") succeeds; the ones after it say EISCONN */
    if ((tcb->flags & TF_CONNECTING) && st->cfg.tcp_api_linux) {
      tcb->flags &= ~(uint64_t)TF_CONNECTING;
      return 1;
    }
    return -SYNACK_EISCONN;
  case SYNACK_TCP_LISTEN:
    /* Linux: a listener is an unconnected socket in a state other than CLOSED: EISCONN */
    return st->cfg.tcp_api_linux ? -SYNACK_EISCONN : -SYNACK_EINVAL;
  case SYNACK_TCP_CLOSED:
    break;
  }
  tcb->flags &= ~(uint64_t)TF_CONNECTING;
  if (tcb->so_error) { /* the outcome of the previous attempt, reported once (SO_ERROR) */
    int e = tcb->so_error;
    tcb->so_error = 0;
    return e;
  }
  if (tcb->flags & TF_CONNECTED) return -SYNACK_EISCONN;
  if (tcb->node.t.rport) return -SYNACK_EINVAL; /* a failed attempt: use a new socket */
  if (!remote || remote->port == 0 || synack_ip_is_unspecified(&remote->ip)) return -SYNACK_EINVAL;
  uint8_t fam = tcb->node.t.family;
  if (remote->ip.family != fam) return -SYNACK_EAFNOSUPPORT;
  static const uint8_t zero[16];
  synack_tuple_t t = tcb->node.t;
  synack_ip_t rip = remote->ip;
  bool mapped = fam == SYNACK_AF_INET6 && synack_addr_is_v4mapped(rip.b);
  if (mapped) {
    /* RFC 3493 §3.7: an AF_INET6 socket reaches IPv4 peers through ::ffff:a.b.c.d; the
     * connection is IPv4 on the wire, from the socket's mapped address or our IPv4 one. */
    bool any = memcmp(t.laddr, zero, 16) == 0;
    if ((tcb->flags & TF_V6ONLY) || (!any && !synack_addr_is_v4mapped(t.laddr))) return -SYNACK_ENETUNREACH;
    rip.family = SYNACK_AF_INET;
    memmove(rip.b, rip.b + 12, 4);
    memset(rip.b + 4, 0, 12);
    t.family = SYNACK_AF_INET;
    if (!any) memmove(t.laddr, t.laddr + 12, 4);
    memset(t.laddr + 4, 0, 12);
  }
  memcpy(t.raddr, rip.b, 16);
  t.rport = remote->port;
  if (memcmp(t.laddr, zero, 16) == 0) {
    synack_ip_t src;
    if (!synack_route_src(st, &rip, &src)) return -SYNACK_ENETUNREACH;
    memcpy(t.laddr, src.b, 16);
  }
  bool reuse_tw = false;
  synack_seq_t tw_nxt = seq_make(0);
  if (tcb->flags & TF_BOUND && t.lport) {
    synack_tcp_node_t *n = synack_tcp_hash_lookup(st, &t);
    if (n) {
      if (n->kind != SYNACK_NODE_TIMEWAIT || !synack_tcp_timewait_reusable(st, (synack_timewait_t *)n, now))
        return -SYNACK_EADDRNOTAVAIL;
      reuse_tw = true;
      tw_nxt = ((synack_timewait_t *)n)->snd_nxt;
      synack_count(st, SYNACK_CTR_TCP_TW_REUSED);
      synack_tcp_timewait_free(st, (synack_timewait_t *)n, "reused by connect()");
    }
  } else {
    int rc = synack_tcp_port_pick(st, &t, now, &reuse_tw, &tw_nxt);
    if (rc < 0) return rc;
  }
  tcb->node.t = t;
  tcb->flags |= TF_BOUND | (mapped ? TF_MAPPED : 0u);
  if (mapped) tcb->snd_mss = synack_tcp_default_mss(st, SYNACK_AF_INET);
  synack_tcp_port_index(st, tcb);
  synack_tcp_ao_connect(st, tcb); /* RFC 5925: the keys for this peer, if any (tcp_ao.c) */
  if (!(tcb->flags & TF_NOOPT)) {
    /* With an MD5 signature (20 option bytes) the SYN offers no timestamps, as Linux's
     * tcp_syn_options: MSS, SACK-permitted and window scale fit beside it. */
    if (st->cfg.tcp_timestamps && !synack_tcp_md5_tcb_key(tcb)) tcb->flags |= TF_TS_OK;
    if (st->cfg.tcp_sack) tcb->flags |= TF_SACK_OK;
    if (st->cfg.tcp_window_scaling) tcb->flags |= TF_WS_OK;
  }
  synack_tcb_setup_conn(st, tcb);
  if (!(tcb->flags & TF_WS_OK)) tcb->rcv_wscale = 0;
  synack_seq_t iss = synack_tcp_isn(st, &t, now);
  /* Like Linux tw_reuse: start well above the old incarnation's last sequence number. */
  if (reuse_tw) iss = seq_add(tw_nxt, 65535u + 2u);
  tcb->iss = iss;
  tcb->snd_una = tcb->snd_nxt = tcb->snd_max = tcb->snd_sml = iss;
  tcb->pushed_seq = seq_add(iss, 1);
  tcb->snd_buf_seq = seq_add(iss, 1);
  tcb->snd_wl2 = iss;
  tcb->last_rcv = now;
  tcb->rtt_time = now;
  tcb->syn_at = now;
  tcb->peer_mss = 0;
  synack_tcp_set_mss(st, tcb);
  synack_tcp_hash_insert(st, &tcb->node);
  tcb->flags |= TF_HASHED;
  synack_count(st, SYNACK_CTR_TCP_ACTIVE_OPENS);
  synack_tcp_set_state(st, tcb, SYNACK_TCP_SYN_SENT, "connect() called");
  return 0;
}

/* Appends n bytes of the iovecs, starting skip bytes into them, to the send ring. */
static int sndbuf_write_iov(synack_stack_t *st, synack_tcb_t *tcb, const synack_iovec_t *iov, size_t iovlen,
                            uint32_t skip, uint32_t n) {
  uint32_t done = 0;
  for (size_t i = 0; i < iovlen && done < n; i++) {
    if (skip >= iov[i].len) {
      skip -= (uint32_t)iov[i].len;
      continue;
    }
    uint32_t part = (uint32_t)(iov[i].len - skip);
    if (part > n - done) part = n - done;
    int w = synack_sndbuf_write(st, &tcb->sb, (const uint8_t *)iov[i].base + skip, part);
    if (w < 0) return done ? (int)done : w;
    done += (uint32_t)w;
    skip = 0;
    if ((uint32_t)w < part) break;
  }
  return (int)done;
}

/* send() and sendmsg(): the iovecs are written in order as one call. */
static int64_t send_iov(synack_stack_t *st, synack_time_t now, int sock, const synack_iovec_t *iov, size_t iovlen,
                        int flags) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  st->now = now;
  if (tcb->so_error) {
    int e = tcb->so_error;
    tcb->so_error = 0;
    return e;
  }
  if (tcb->flags & TF_FIN_QUEUED) return -SYNACK_EPIPE; /* RFC 9293 §3.10.2: after CLOSE/SHUT_WR */
  switch (tcb->state) {
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_CLOSE_WAIT:
    break;
  case SYNACK_TCP_SYN_SENT:
    if (tcb->tfo & SYNACK_TFOF_DEFER) return send_on_syn(st, tcb, iov, iovlen, now); /* TCP_FASTOPEN_CONNECT */
    return -SYNACK_EAGAIN; /* not yet: CONNECTED/WRITABLE will tell */
  case SYNACK_TCP_SYN_RECEIVED:
    if (tcb->tfo & SYNACK_TFOF_CHILD) break; /* RFC 7413 §4.2.2: a fast open server may send */
    return -SYNACK_EAGAIN;
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
    /* POSIX: ENOTCONN for a socket that is not connected (FreeBSD's sosend); Linux's
     * sk_stream_wait_connect says EPIPE for every state but SYN-SENT/SYN-RECEIVED */
    if (st->cfg.tcp_api_linux || (tcb->flags & TF_CONNECTED)) return -SYNACK_EPIPE;
    return -SYNACK_ENOTCONN;
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    return -SYNACK_EPIPE;
  }
  size_t len = 0;
  for (size_t i = 0; i < iovlen; i++) {
    if (iov[i].len && !iov[i].base) return -SYNACK_EFAULT;
    len += iov[i].len;
  }
  if (len == 0) {
    /* A zero-length send without MSG_MORE ends an earlier MSG_MORE hold: the partial tail goes
     * now (what Linux's splice_eof does at the end of a sendfile()). */
    if (!(flags & SYNACK_MSG_MORE) && (tcb->flags & TF_MORE)) {
      tcb->flags &= ~(uint64_t)TF_MORE;
      synack_tcp_output(st, tcb, now);
    }
    return 0;
  }
  if (synack_sndbuf_room(&tcb->sb) == 0) {
    synack_tcp_chrono_nospace(tcb, now); /* tcp_info's sndbuf_limited */
    if (st->cfg.tcp_sndbuf_linux) tcb->flags |= TF_SNDBUF_NOSPACE; /* Linux's SOCK_NOSPACE */
    return -SYNACK_EAGAIN;
  }
  uint32_t want = len > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)len;
  uint32_t done = 0;
  synack_seq_t first = seq_add(tcb->snd_buf_seq, tcb->sb.len); /* where this call's bytes go */
  while (done < want) {
    uint32_t n = want - done;
    if (tcb->notsent_lowat) {
      /* TCP_NOTSENT_LOWAT, the way Linux takes a write one segment-sized skb at a time: the
       * unsent tail segment is filled up without a check, a new one is started only while
       * fewer than the mark's bytes wait unsent; the full ones go out as the call goes on. */
      uint32_t ns = synack_tcp_notsent(tcb), mss = tcb->snd_mss ? tcb->snd_mss : 536u;
      uint32_t room = ns % mss ? mss - ns % mss : 0;
      if (room == 0) {
        if (ns >= tcb->notsent_lowat) break;
        room = mss;
      }
      if (n > room) n = room;
    }
    int w = sndbuf_write_iov(st, tcb, iov, iovlen, done, n);
    if (w < 0) {
      if (done == 0) return w;
      break;
    }
    done += (uint32_t)w;
    if ((uint32_t)w < n) break; /* the ring is full */
    if (tcb->notsent_lowat && done < want) synack_tcp_output(st, tcb, now);
  }
  if (done < want && st->cfg.tcp_sndbuf_linux) tcb->flags |= TF_SNDBUF_NOSPACE; /* a short write */
  if (done == 0) return -SYNACK_EAGAIN;
  synack_tcp_chrono_start(tcb, SYNACK_CHRONO_BUSY, now);
  if (tcb->errq) synack_tcp_errq_sending(st, tcb, first, done, flags); /* MSG_ZEROCOPY, SO_TIMESTAMPING */
  if (done < want && synack_sndbuf_room(&tcb->sb) == 0) tcb->flags |= TF_NOSPACE; /* the rest was refused */
  /* MSG_EOR ends the record only when the whole call was queued: a short write leaves the
   * record open for the rest of it (Linux marks the last skb of a complete call). */
  /* MSG_OOB: the urgent data ends with what this call queued (Linux tcp_mark_urg). */
  if ((flags & SYNACK_MSG_OOB) && done > 0) synack_tcp_urg_send(tcb);
  if ((flags & SYNACK_MSG_EOR) && done == len) {
    int rc = synack_tcp_eor_mark(st, tcb);
    if (rc < 0) return rc;
  }
  if (flags & SYNACK_MSG_MORE) tcb->flags |= TF_MORE;
  else tcb->flags &= ~(uint64_t)TF_MORE;
  synack_tcp_output(st, tcb, now);
  return done;
}

int64_t synack_send(synack_stack_t *st, synack_time_t now, int sock, const void *buf, size_t len, int flags) {
  synack_iovec_t v = { (void *)(uintptr_t)buf, len };
  /* a NULL buffer is EFAULT once the socket may send (send_iov): a socket that cannot says
   * why first, as Linux's tcp_sendmsg does */
  return send_iov(st, now, sock, &v, 1, flags);
}

int64_t synack_sendmsg(synack_stack_t *st, synack_time_t now, int sock, const synack_iovec_t *iov, size_t iovlen,
                       int flags) {
  if (iovlen && !iov) return -SYNACK_EFAULT;
  return send_iov(st, now, sock, iov, iovlen, flags);
}

/* recv() and recvmsg(): the iovecs are filled in order as one call. */
static int64_t recv_iov(synack_stack_t *st, synack_time_t now, synack_tcb_t *tcb, const synack_iovec_t *iov,
                        size_t iovlen, int flags, int *msg_flags) {
  st->now = now;
  if (tcb->state == SYNACK_TCP_LISTEN) return -SYNACK_ENOTCONN;
  if (flags & SYNACK_MSG_OOB) /* the urgent byte (tcp_urg.c) */
    return synack_tcp_urg_recv(tcb, iovlen ? iov[0].base : NULL, iovlen ? iov[0].len : 0, flags, msg_flags);
  /* cfg.tcp_shut_rd_keeps_data (Linux): after shutdown(SHUT_RD) queued and arriving data is
   * still read; end of file comes when none is left. */
  if (tcb->rb.len > 0 && (!(tcb->flags & TF_SHUT_RD) || st->cfg.tcp_shut_rd_keeps_data)) {
    size_t len = 0;
    for (size_t i = 0; i < iovlen; i++) {
      if (iov[i].len && !iov[i].base) return -SYNACK_EFAULT;
      len += iov[i].len;
    }
    if (len == 0) return 0;
    bool peek = (flags & SYNACK_MSG_PEEK) != 0;
    /* Urgent data: skip the out-of-band byte at the mark, stop at the mark (tcp_urg.c). */
    uint32_t skip, limit;
    synack_tcp_urg_read_plan(tcb, &skip, &limit);
    if (skip && !peek) {
      uint8_t x;
      synack_rcvbuf_read(st, &tcb->rb, &x, skip, false);
      skip = 0;
    }
    uint32_t done = 0;
    for (size_t i = 0; i < iovlen && done < limit; i++) {
      uint32_t want = iov[i].len > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)iov[i].len;
      if (want > limit - done) want = limit - done;
      if (want == 0) continue;
      if (peek) {
        /* MSG_PEEK leaves the ring as it is: copy from the offset already peeked. */
        synack_rcvbuf_peek_at(&tcb->rb, skip + done, iov[i].base, want);
        done += want;
      } else {
        done += synack_rcvbuf_read(st, &tcb->rb, iov[i].base, want, false);
      }
    }
    if (!peek) {
      /* The read that empties the queue also takes the FIN after it (Linux's tcp_recvmsg). */
      if (tcb->rb.len == 0 && (tcb->flags & TF_RCVD_FIN)) tcb->flags |= TF_EOF_READ;
      tcb->bytes_read += done;
      synack_tcp_urg_consumed(tcb);
      synack_tcp_rcv_space_adjust(st, tcb, now);  /* tcp_rcvtune.c */
      synack_tcp_rcv_window_update(st, tcb, now); /* tcp_rcvwnd.c */
    }
    if (done > 0) return done;
    /* only the out-of-band byte was there: as if nothing were */
  }
  /* End of file read: the FIN has left the receive queue (cfg.tcp_seq_right_edge looks). */
  if ((tcb->flags & TF_RCVD_FIN) && !(flags & SYNACK_MSG_PEEK)) tcb->flags |= TF_EOF_READ;
  /* cfg.tcp_rst_errors_linux: the peer's FIN came first, so end of file comes first (Linux's
   * tcp_recvmsg looks at SOCK_DONE before sk_err); the error stays for SO_ERROR and send(). */
  if ((tcb->flags & TF_RCVD_FIN) && st->cfg.tcp_rst_errors_linux) return 0;
  if (tcb->so_error) { /* SO_ERROR semantics: reported once, then cleared */
    int e = tcb->so_error;
    tcb->so_error = 0;
    return e;
  }
  if ((tcb->flags & (TF_RCVD_FIN | TF_SHUT_RD))) return 0;
  switch (tcb->state) {
  case SYNACK_TCP_CLOSED:
    /* end of file once a connection, or an attempt (refused, timed out), has ended: both
     * directions are shut (Linux's tcp_done, FreeBSD's soisdisconnected); ENOTCONN only for
     * a socket that never tried */
    return ((tcb->flags & TF_CONNECTED) || tcb->node.t.rport) ? 0 : -SYNACK_ENOTCONN;
  case SYNACK_TCP_LISTEN:
    return -SYNACK_ENOTCONN;
  case SYNACK_TCP_SYN_SENT:
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
    return -SYNACK_EAGAIN;
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    return 0;
  }
  return -SYNACK_EAGAIN;
}

int64_t synack_recv(synack_stack_t *st, synack_time_t now, int sock, void *buf, size_t len, int flags) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (len && !buf && tcb->rb.len > 0 && !(tcb->flags & TF_SHUT_RD) && tcb->state != SYNACK_TCP_LISTEN)
    return -SYNACK_EFAULT;
  synack_iovec_t v = { buf, len };
  int msg_flags = 0;
  return recv_iov(st, now, tcb, &v, 1, flags, &msg_flags);
}

int64_t synack_recvmsg(synack_stack_t *st, synack_time_t now, int sock, synack_msghdr_t *msg, int flags) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!msg || (msg->iovlen && !msg->iov)) return -SYNACK_EFAULT;
  msg->flags = 0;
  msg->inq = -1;
  int64_t n = recv_iov(st, now, tcb, msg->iov, msg->iovlen, flags, &msg->flags);
  if (n >= 0 && (tcb->flags & TF_INQ)) {
    /* Linux tcp_inq_hint: what is left to read; after the peer's FIN, at least 1 so that the
     * reader comes back for the end of file. */
    msg->inq = (int)synack_tcp_inq(tcb);
    if (msg->inq == 0 && (tcb->flags & TF_RCVD_FIN)) msg->inq = 1;
  }
  return n;
}

/* Queues our FIN after the data already written (RFC 9293 §3.10.4 CLOSE). */
static void queue_fin(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now, const char *reason) {
  if (tcb->flags & TF_FIN_QUEUED) return;
  tcb->flags |= TF_FIN_QUEUED;
  tcb->flags &= ~(uint64_t)TF_MORE;
  tcb->fin_seq = seq_add(tcb->snd_buf_seq, tcb->sb.len);
  switch (tcb->state) {
  case SYNACK_TCP_ESTABLISHED:
    synack_tcp_set_state(st, tcb, SYNACK_TCP_FIN_WAIT_1, reason);
    break;
  case SYNACK_TCP_CLOSE_WAIT:
    synack_tcp_set_state(st, tcb, SYNACK_TCP_LAST_ACK, reason);
    break;
  case SYNACK_TCP_SYN_RECEIVED: /* FIN-WAIT-1 once our SYN is acknowledged */
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    break;
  }
  synack_tcp_output(st, tcb, now);
}

int synack_shutdown(synack_stack_t *st, synack_time_t now, int sock, int how) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  st->now = now;
  if (how != SYNACK_SHUT_RD && how != SYNACK_SHUT_WR && how != SYNACK_SHUT_RDWR) return -SYNACK_EINVAL;
  switch (tcb->state) {
  case SYNACK_TCP_CLOSED:
    return -SYNACK_ENOTCONN;
  case SYNACK_TCP_LISTEN:
    /* POSIX: ENOTCONN (FreeBSD). Linux's inet_shutdown: SHUT_WR changes nothing, shutting the
     * receive side stops listening (queued and half-open connections are reset, as by close())
     * and leaves a bound CLOSED socket that may listen again. */
    if (!st->cfg.tcp_api_linux) return -SYNACK_ENOTCONN;
    if (how != SYNACK_SHUT_WR) {
      synack_tcp_listener_close(st, tcb, now);
      synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSED, "shutdown() of a listener");
    }
    return 0;
  case SYNACK_TCP_SYN_SENT:
    /* SHUT_RD only stops reception (the handshake goes on; data that arrives is discarded).
     * Shutting down the sending side before anything was sent is RFC 9293 §3.10.4's CLOSE in
     * SYN-SENT: the connection is deleted. */
    /* Linux's inet_shutdown disconnects a SYN-SENT socket whatever `how` says, and its
     * tcp_disconnect leaves ECONNRESET for the next call (cfg.tcp_api_linux). */
    if (st->cfg.tcp_api_linux) {
      synack_tcp_done(st, tcb, -SYNACK_ECONNRESET, "shutdown() in SYN-SENT");
      return 0;
    }
    if (how == SYNACK_SHUT_RD) {
      tcb->flags |= TF_SHUT_RD;
      return 0;
    }
    synack_tcp_done(st, tcb, 0, "shutdown() in SYN-SENT");
    return 0;
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    break;
  }
  if (how == SYNACK_SHUT_RD || how == SYNACK_SHUT_RDWR) {
    tcb->flags |= TF_SHUT_RD;
    uint8_t sink[256];
    if (!st->cfg.tcp_shut_rd_keeps_data)
      while (synack_rcvbuf_read(st, &tcb->rb, sink, sizeof sink, false) > 0) {}
    synack_tcp_post(st, tcb, SYNACK_EV_READABLE, 0);
  }
  if (how == SYNACK_SHUT_WR || how == SYNACK_SHUT_RDWR) queue_fin(st, tcb, now, "shutdown(SHUT_WR) called");
  return 0;
}

static void free_socket(synack_stack_t *st, synack_tcb_t *tcb) {
  release_handle(st, tcb);
  synack_tcb_free(st, tcb);
}

int synack_close(synack_stack_t *st, synack_time_t now, int sock) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return synack_udp_is_socket(st, sock) ? synack_udp_close(st, sock) : -SYNACK_EBADF;
  st->now = now;
  switch (tcb->state) {
  case SYNACK_TCP_LISTEN:
    synack_tcp_listener_close(st, tcb, now);
    synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSED, "close() called");
    free_socket(st, tcb);
    return 0;
  case SYNACK_TCP_CLOSED:
    free_socket(st, tcb);
    return 0;
  case SYNACK_TCP_SYN_SENT:
    synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSED, "close() called");
    free_socket(st, tcb);
    return 0;
  case SYNACK_TCP_TIME_WAIT: {
    /* The socket goes; TIME-WAIT goes on as a compact entry for the remaining time. */
    synack_time_t exp = synack_timer_armed(&tcb->t_keep) ? tcb->t_keep.expiry : now;
    release_handle(st, tcb);
    synack_tcp_pending_remove(st, tcb);
    if (st->cfg.tcp_timewait) synack_tcp_timewait_enter(st, tcb, now, exp);
    synack_tcb_free(st, tcb);
    return 0;
  }
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
    break;
  }
  bool unread = tcb->rb.len > 0 && (!(tcb->flags & TF_SHUT_RD) || st->cfg.tcp_shut_rd_keeps_data);
  /* Linux tcp_max_orphans: each orphan pins its send buffer until the peer takes it, and a
   * peer that keeps its window at zero can make every closed socket one (FIN-WAIT-1 attack). */
  bool too_many = st->tcp->norphans >= st->cfg.tcp_max_orphans;
  if (unread || tcb->linger_s == 0 || too_many) {
    /* RFC 9293 §3.10.4 / RFC 1122 §4.2.2.13 (RFC 2525 §2.17): closing with data unread, or
     * SO_LINGER 0, aborts: RST instead of FIN, so the peer knows data was lost. */
    synack_tcp_send_rst_tcb(st, tcb, now);
    if (tcb->state == SYNACK_TCP_ESTABLISHED || tcb->state == SYNACK_TCP_CLOSE_WAIT)
      synack_count(st, SYNACK_CTR_TCP_ESTAB_RESETS);
    if (!unread && tcb->linger_s != 0) synack_count(st, SYNACK_CTR_TCP_ORPHANS_RESET);
    synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSED,
                         unread ? "close() with unread data"
                                : tcb->linger_s == 0 ? "close() with linger 0" : "close(): too many orphans");
    free_socket(st, tcb);
    return 0;
  }
  queue_fin(st, tcb, now, "close() called");
  /* cfg.tcp_api_linux: Linux's close() with SO_LINGER n > 0 waits up to n seconds for the FIN
   * to be acknowledged and then just returns; the connection goes on as any orphan, no RST
   * (inet_release, sk_stream_wait_close). The wait is the caller's (a blocking emulation such
   * as synack drill); here the time no longer matters. */
  if (st->cfg.tcp_api_linux && tcb->linger_s > 0) tcb->linger_s = -1;
  tcb->flags |= TF_ORPHAN;
  st->tcp->norphans++;
  release_handle(st, tcb);
  if (tcb->state == SYNACK_TCP_FIN_WAIT_2) /* Linux tcp_fin_timeout for orphans */
    synack_timer_set(&st->wheel, &tcb->t_keep, now + (synack_time_t)st->cfg.tcp_fin_timeout_ms * 1000u);
  else if (tcb->linger_s > 0)
    /* SO_LINGER with a positive time, in an event API that cannot block: close() returns at
     * once and the FIN has linger seconds to be acknowledged; otherwise a RST ends the
     * connection (tcp_timer.c). The keepalive timer slot carries the deadline. */
    synack_timer_set(&st->wheel, &tcb->t_keep, now + (synack_time_t)tcb->linger_s * 1000000u);
  return 0;
}

int synack_abort(synack_stack_t *st, synack_time_t now, int sock) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  st->now = now;
  if (tcb->state == SYNACK_TCP_LISTEN) synack_tcp_listener_close(st, tcb, now);
  else if (synack_tcp_state_synchronized(tcb->state) && tcb->state != SYNACK_TCP_TIME_WAIT)
    synack_tcp_send_rst_tcb(st, tcb, now); /* RFC 9293 §3.10.5 ABORT */
  if (tcb->state != SYNACK_TCP_CLOSED) synack_tcp_set_state(st, tcb, SYNACK_TCP_CLOSED, "abort() called");
  free_socket(st, tcb);
  return 0;
}

/* ---------- options ---------- */

int synack_setsockopt_md5sig(synack_stack_t *st, int sock, const synack_tcp_md5sig_t *sig) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!sig) return -SYNACK_EFAULT;
  /* RFC 5925 §2.2: never MD5 beside TCP-AO (tcp_ao.c refuses the reverse). */
  if (tcb->ao && sig->keylen) return -SYNACK_EKEYREJECTED;
  /* An AF_INET6 socket's family is in its tuple (bound or not). */
  return synack_tcp_md5_set(st, &tcb->md5, tcb->node.t.family, sig);
}

int synack_setsockopt_tcp_ao_add_key(synack_stack_t *st, int sock, const synack_tcp_ao_key_t *key) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!key) return -SYNACK_EFAULT;
  return synack_tcp_ao_add(st, tcb, key);
}

int synack_setsockopt_tcp_ao_del_key(synack_stack_t *st, int sock, const synack_tcp_ao_key_t *key) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!key) return -SYNACK_EFAULT;
  return synack_tcp_ao_del(st, tcb, key);
}

int synack_getsockopt_tcp_ao_info(synack_stack_t *st, int sock, synack_tcp_ao_info_t *out) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  const synack_ao_t *ao = tcb->ao;
  if (!ao) return -SYNACK_ENOENT;
  memset(out, 0, sizeof *out);
  out->set_current = ao->n > 0;
  out->set_rnext = ao->conn || ao->rnext_set;
  out->current_key = ao->cur_id;
  out->rnext = ao->rnext_id;
  out->peer_rnext = ao->peer_rnext;
  out->keys = ao->n;
  out->pkt_good = ao->good;
  out->pkt_bad = ao->bad;
  out->pkt_key_not_found = ao->key_not_found;
  out->pkt_ao_required = ao->required;
  return 0;
}

/* TCP_SAVED_SYN (Linux's do_tcp_getsockopt): the SYN's headers, given once. */
int synack_getsockopt_saved_syn(synack_stack_t *st, int sock, void *buf, size_t *len) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!len) return -SYNACK_EFAULT;
  if (!tcb->saved_syn) {
    *len = 0;
    return 0;
  }
  if (*len < tcb->saved_syn_len || !buf) {
    /* Linux: too small a buffer learns the size needed, and the headers stay */
    *len = tcb->saved_syn_len;
    return -SYNACK_EINVAL;
  }
  memcpy(buf, tcb->saved_syn, tcb->saved_syn_len);
  *len = tcb->saved_syn_len;
  synack_tcp_saved_syn_free(st, tcb); /* given once */
  return 0;
}

int synack_setsockopt_tcp_ao_info(synack_stack_t *st, int sock, const synack_tcp_ao_info_t *in) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!in) return -SYNACK_EFAULT;
  synack_ao_t *ao = tcb->ao;
  if (!ao) return -SYNACK_ENOENT;
  bool cur = !in->set_current, rnext = !in->set_rnext;
  for (uint32_t i = 0; i < ao->n; i++) {
    cur |= ao->k[i].sndid == in->current_key;
    rnext |= ao->k[i].rcvid == in->rnext;
  }
  /* Linux (TCP_AO_INFO): ENOENT for a KeyID no key has. */
  if (!cur || !rnext) return -SYNACK_ENOENT;
  if (in->set_current) {
    ao->cur_id = in->current_key;
    ao->cur_set = true;
  }
  if (in->set_rnext) {
    ao->rnext_id = in->rnext;
    ao->rnext_set = true;
  }
  return 0;
}

int synack_setsockopt(synack_stack_t *st, int sock, synack_sockopt_t opt, int v) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  switch (opt) {
  case SYNACK_TCP_MD5SIG:
    return -SYNACK_EINVAL; /* takes a struct: synack_setsockopt_md5sig */
  case SYNACK_TCP_CONGESTION:
    return synack_tcp_cc_select(st, tcb, v, st->now);
  case SYNACK_SO_MAX_PACING_RATE:
    return synack_tcp_pacing_set_max(tcb, v);
  case SYNACK_SO_ZEROCOPY:
    return synack_tcp_errq_set_zerocopy(st, tcb, v);
  case SYNACK_SO_TIMESTAMPING:
    return synack_tcp_errq_set_timestamping(st, tcb, v);
  case SYNACK_SO_REUSEADDR:
    if (v) tcb->flags |= TF_REUSEADDR; else tcb->flags &= ~(uint64_t)TF_REUSEADDR;
    return 0;
  case SYNACK_SO_RCVBUF:
    if (v <= 0) return -SYNACK_EINVAL;
    if (synack_rcvbuf_holds(&tcb->rb)) return -SYNACK_EINVAL;
    tcb->rcvbuf_cap = (uint32_t)v > st->cfg.tcp_max_buf ? st->cfg.tcp_max_buf : (uint32_t)v;
    if (tcb->rcvbuf_cap < 256) tcb->rcvbuf_cap = 256;
    tcb->rb.cap = tcb->rcvbuf_cap;
    tcb->flags |= TF_RCVBUF_LOCK; /* as Linux's SOCK_RCVBUF_LOCK: the application's size stays */
    return 0;
  case SYNACK_SO_SNDBUF:
    if (v <= 0) return -SYNACK_EINVAL;
    if (tcb->sb.q.c) return -SYNACK_EINVAL;
    tcb->sb.cap = (uint32_t)v > st->cfg.tcp_max_buf ? st->cfg.tcp_max_buf : (uint32_t)v;
    if (tcb->sb.cap < 256) tcb->sb.cap = 256;
    tcb->flags |= TF_SNDBUF_LOCK; /* as Linux's SOCK_SNDBUF_LOCK: not sized from cwnd (tcp_mem.c) */
    return 0;
  case SYNACK_SO_KEEPALIVE:
    if (v) tcb->flags |= TF_KEEPALIVE; else tcb->flags &= ~(uint64_t)TF_KEEPALIVE;
    synack_tcp_keep_update(st, tcb, st->now);
    return 0;
  case SYNACK_SO_LINGER:
    tcb->linger_s = v < 0 ? -1 : v;
    return 0;
  case SYNACK_TCP_WINDOW_CLAMP: return synack_tcp_rcv_clamp_set(st, tcb, v);
  case SYNACK_TCP_SAVE_SYN:
    /* Linux takes 0, 1 and 2 (2: the link header too, which synack does not keep) */
    if (v < 0 || v > 1) return v == 2 ? -SYNACK_EOPNOTSUPP : -SYNACK_EINVAL;
    if (v) tcb->flags |= TF_SAVE_SYN; else tcb->flags &= ~(uint64_t)TF_SAVE_SYN;
    return 0;
  case SYNACK_TCP_SAVED_SYN:
    return -SYNACK_ENOPROTOOPT; /* get only (Linux: not a setsockopt name) */
  case SYNACK_TCP_DEFER_ACCEPT:
    /* Linux: any socket keeps it (it matters once listening); a negative time is 0 */
    tcb->defer_accept = synack_tcp_defer_retrans(st, v);
    return 0;
  case SYNACK_SO_RCVTIMEO:
  case SYNACK_SO_SNDTIMEO:
    if (v < 0) return -SYNACK_EINVAL;
    if (opt == SYNACK_SO_RCVTIMEO) tcb->rcvtimeo_ms = (uint32_t)v; else tcb->sndtimeo_ms = (uint32_t)v;
    return 0;
  case SYNACK_SO_ERROR:
  case SYNACK_SO_INQ:
  case SYNACK_SO_OUTQ:
  case SYNACK_SO_NOTSENT:
  case SYNACK_SO_ATMARK:
    return -SYNACK_EINVAL; /* read-only */
  case SYNACK_SO_OOBINLINE:
    if (v) tcb->flags |= TF_OOBINLINE; else tcb->flags &= ~(uint64_t)TF_OOBINLINE;
    return 0;
  case SYNACK_TCP_CORK:
  case SYNACK_TCP_NOTSENT_LOWAT:
  case SYNACK_SO_SNDLOWAT:
  case SYNACK_SO_RCVLOWAT:
  case SYNACK_TCP_INQ:
    return synack_tcp_sndctl_set(st, tcb, opt, v);
  case SYNACK_TCP_NODELAY:
    if (v) tcb->flags |= TF_NODELAY; else tcb->flags &= ~(uint64_t)TF_NODELAY;
    if (v) synack_tcp_output(st, tcb, st->now);
    return 0;
  case SYNACK_TCP_MAXSEG:
    if (st->cfg.tcp_api_linux) {
      /* cfg.tcp_api_linux (do_tcp_setsockopt): 0 removes the limit, else TCP_MIN_MSS (88) up
       * to MAX_TCP_WINDOW (32767). */
      if (v != 0 && (v < 88 || v > 32767)) return -SYNACK_EINVAL;
    } else if (v < 64 || v > 65535) {
      return -SYNACK_EINVAL;
    }
    tcb->user_mss = (uint16_t)v;
    return 0;
  case SYNACK_TCP_KEEPIDLE:
  case SYNACK_TCP_KEEPINTVL:
  case SYNACK_TCP_KEEPCNT:
    if (v < 1) return -SYNACK_EINVAL;
    /* cfg.tcp_api_linux (do_tcp_setsockopt): MAX_TCP_KEEPIDLE / MAX_TCP_KEEPINTVL 32767 s,
     * MAX_TCP_KEEPCNT 127. */
    if (st->cfg.tcp_api_linux && v > (opt == SYNACK_TCP_KEEPCNT ? 127 : 32767)) return -SYNACK_EINVAL;
    if (opt == SYNACK_TCP_KEEPIDLE) tcb->keep_idle_s = (uint32_t)v;
    else if (opt == SYNACK_TCP_KEEPINTVL) tcb->keep_intvl_s = (uint32_t)v;
    else tcb->keep_cnt = (uint32_t)v;
    if (tcb->state != SYNACK_TCP_TIME_WAIT && !(tcb->state == SYNACK_TCP_FIN_WAIT_2 && (tcb->flags & TF_ORPHAN))) {
      synack_timer_cancel(&st->wheel, &tcb->t_keep);
      synack_tcp_keep_update(st, tcb, st->now);
    }
    return 0;
  case SYNACK_TCP_USER_TIMEOUT:
    if (v < 0) return -SYNACK_EINVAL;
    tcb->user_timeout_ms = (uint32_t)v;
    return 0;
  case SYNACK_TCP_NOOPT:
    if (v) tcb->flags |= TF_NOOPT; else tcb->flags &= ~(uint64_t)TF_NOOPT;
    return 0;
  case SYNACK_IP_TTL:
    if (v < 0 || v > 255) return -SYNACK_EINVAL;
    tcb->ttl = (uint8_t)v;
    return 0;
  case SYNACK_IP_TOS:
    if (v < 0 || v > 255) return -SYNACK_EINVAL;
    tcb->tos = (uint8_t)v;
    return 0;
  case SYNACK_SO_REUSEPORT:
    if (v) tcb->flags |= TF_REUSEPORT; else tcb->flags &= ~(uint64_t)TF_REUSEPORT;
    return 0;
  case SYNACK_IPV6_V6ONLY:
    if (tcb->node.t.family != SYNACK_AF_INET6) return -SYNACK_ENOPROTOOPT;
    if (tcb->flags & TF_BOUND) return -SYNACK_EINVAL; /* Linux: only before bind */
    if (v) tcb->flags |= TF_V6ONLY; else tcb->flags &= ~(uint64_t)TF_V6ONLY;
    return 0;
  case SYNACK_SO_BROADCAST:
    /* A socket-level option: Linux keeps it on any socket (sock_setsockopt sets SOCK_BROADCAST)
     * and reports it back, but TCP never sends to a broadcast address, so it changes nothing. */
    if (v) tcb->flags |= TF_BROADCAST; else tcb->flags &= ~(uint64_t)TF_BROADCAST;
    return 0;
  case SYNACK_TCP_QUICKACK:
    if (st->cfg.tcp_delack_linux) {
      synack_tcp_lx_set_quickack(st, tcb, v, st->now);
      return 0;
    }
    tcb->quickack_left = v ? 8 : 0;
    if (v && (tcb->flags & TF_ACK_DELAYED)) synack_tcp_send_ack(st, tcb, st->now);
    return 0;
  case SYNACK_TCP_FASTOPEN:
    /* Linux: on a socket that is or will be listening; the queue length it allows. */
    if (v < 0) return -SYNACK_EINVAL;
    if (tcb->state != SYNACK_TCP_CLOSED && tcb->state != SYNACK_TCP_LISTEN) return -SYNACK_EINVAL;
    tcb->tfo_qlen = (uint32_t)v;
    return 0;
  case SYNACK_TCP_FASTOPEN_CONNECT:
    if (!(st->cfg.tcp_fastopen & SYNACK_TFO_CLIENT)) return -SYNACK_EOPNOTSUPP;
    if (tcb->state != SYNACK_TCP_CLOSED) return -SYNACK_EINVAL;
    if (v) tcb->tfo |= SYNACK_TFOF_CONNECT; else tcb->tfo &= (uint8_t)~SYNACK_TFOF_CONNECT;
    return 0;
  case SYNACK_TCP_FASTOPEN_NO_COOKIE:
    if (v) tcb->tfo |= SYNACK_TFOF_NO_COOKIE; else tcb->tfo &= (uint8_t)~SYNACK_TFOF_NO_COOKIE;
    return 0;
  }
  return -SYNACK_ENOPROTOOPT;
}

/* cfg.tcp_sockbuf_double (Linux's sock_setsockopt): a buffer size the application set reads
 * back doubled, at least min (SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF): Linux reserves as much again
 * for its bookkeeping. The profile's buffer holds the value set, which is what Linux lets the
 * data use (its window space is half the doubled buffer). */
static int sockbuf_report(const synack_stack_t *st, uint32_t cap, bool set, uint32_t min) {
  if (!st->cfg.tcp_sockbuf_double || !set) return (int)cap;
  uint64_t v = 2u * (uint64_t)cap;
  if (v < min) v = min;
  return v > INT32_MAX ? INT32_MAX : (int)v;
}

int synack_getsockopt(synack_stack_t *st, int sock, synack_sockopt_t opt, int *v) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!v) return -SYNACK_EFAULT;
  /* cfg.tcp_api_linux (tcp_ioctl): a listener has no queues to measure: SIOCINQ, SIOCOUTQ and
   * SIOCOUTQNSD are EINVAL there. */
  if (st->cfg.tcp_api_linux && tcb->state == SYNACK_TCP_LISTEN &&
      (opt == SYNACK_SO_INQ || opt == SYNACK_SO_OUTQ || opt == SYNACK_SO_NOTSENT))
    return -SYNACK_EINVAL;
  switch (opt) {
  case SYNACK_TCP_MD5SIG: *v = tcb->md5 ? (int)tcb->md5->n : 0; return 0;
  case SYNACK_TCP_CONGESTION: *v = synack_tcp_cc_algo(tcb); return 0;
  case SYNACK_SO_MAX_PACING_RATE: *v = synack_tcp_pacing_get_max(tcb); return 0;
  case SYNACK_SO_ZEROCOPY: *v = synack_tcp_errq_get_zerocopy(tcb); return 0;
  case SYNACK_SO_TIMESTAMPING: *v = synack_tcp_errq_get_timestamping(tcb); return 0;
  case SYNACK_SO_REUSEADDR: *v = (tcb->flags & TF_REUSEADDR) != 0; return 0;
  case SYNACK_SO_RCVBUF: *v = sockbuf_report(st, tcb->rb.cap, (tcb->flags & TF_RCVBUF_LOCK) != 0, 2304u); return 0;
  case SYNACK_SO_SNDBUF:
    if (st->cfg.tcp_sndbuf_linux && !(tcb->flags & TF_SNDBUF_LOCK)) {
      *v = (int)synack_tcp_sndbuf_linux_report(st, tcb); /* Linux's sk_sndbuf (tcp_mem.c) */
      return 0;
    }
    *v = sockbuf_report(st, tcb->sb.cap, (tcb->flags & TF_SNDBUF_LOCK) != 0, 4608u);
    return 0;
  case SYNACK_SO_KEEPALIVE: *v = (tcb->flags & TF_KEEPALIVE) != 0; return 0;
  case SYNACK_SO_LINGER: *v = tcb->linger_s; return 0;
  case SYNACK_SO_RCVTIMEO: *v = (int)tcb->rcvtimeo_ms; return 0;
  case SYNACK_TCP_WINDOW_CLAMP: *v = synack_tcp_rcv_clamp_get(st, tcb); return 0;
  case SYNACK_TCP_SAVE_SYN: *v = (tcb->flags & TF_SAVE_SYN) != 0; return 0;
  case SYNACK_TCP_SAVED_SYN: *v = tcb->saved_syn_len; return 0;
  case SYNACK_TCP_DEFER_ACCEPT: *v = synack_tcp_defer_secs(st, tcb->defer_accept); return 0;
  case SYNACK_SO_SNDTIMEO: *v = (int)tcb->sndtimeo_ms; return 0;
  case SYNACK_SO_ERROR:
    *v = tcb->so_error ? tcb->so_error : 0;
    tcb->so_error = 0; /* reading clears it */
    return 0;
  case SYNACK_TCP_NODELAY: *v = (tcb->flags & TF_NODELAY) != 0; return 0;
  case SYNACK_TCP_MAXSEG:
    *v = tcb->user_mss ? tcb->user_mss : tcb->snd_mss;
    if (synack_tcp_state_synchronized(tcb->state)) *v = tcb->snd_mss;
    return 0;
  case SYNACK_TCP_KEEPIDLE: *v = (int)synack_tcp_keep_idle(st, tcb); return 0;
  case SYNACK_TCP_KEEPINTVL: *v = (int)synack_tcp_keep_intvl(st, tcb); return 0;
  case SYNACK_TCP_KEEPCNT: *v = (int)synack_tcp_keep_cnt(st, tcb); return 0;
  case SYNACK_TCP_USER_TIMEOUT: *v = (int)tcb->user_timeout_ms; return 0;
  case SYNACK_TCP_NOOPT: *v = (tcb->flags & TF_NOOPT) != 0; return 0;
  case SYNACK_IP_TTL: *v = tcb->ttl ? tcb->ttl : st->cfg.ttl; return 0;
  case SYNACK_IP_TOS: *v = tcb->tos; return 0;
  case SYNACK_SO_INQ: *v = (int)synack_tcp_inq(tcb); return 0;
  case SYNACK_SO_OUTQ: *v = (int)tcb->sb.len; return 0;
  case SYNACK_TCP_QUICKACK:
    /* cfg.tcp_delack_linux: Linux reports "not in pingpong mode" */
    *v = st->cfg.tcp_delack_linux ? !tcb->lx_pingpong : tcb->quickack_left > 0;
    return 0;
  case SYNACK_TCP_FASTOPEN: *v = (int)tcb->tfo_qlen; return 0;
  case SYNACK_TCP_FASTOPEN_CONNECT: *v = (tcb->tfo & SYNACK_TFOF_CONNECT) != 0; return 0;
  case SYNACK_TCP_FASTOPEN_NO_COOKIE: *v = (tcb->tfo & SYNACK_TFOF_NO_COOKIE) != 0; return 0;
  case SYNACK_TCP_CORK: *v = (tcb->flags & TF_CORK) != 0; return 0;
  case SYNACK_TCP_NOTSENT_LOWAT: *v = (int)tcb->notsent_lowat; return 0;
  case SYNACK_SO_SNDLOWAT: *v = 1; return 0;
  case SYNACK_SO_RCVLOWAT: *v = (int)tcb->rcvlowat; return 0;
  case SYNACK_TCP_INQ: *v = (tcb->flags & TF_INQ) != 0; return 0;
  case SYNACK_SO_NOTSENT: *v = (int)synack_tcp_notsent(tcb); return 0;
  case SYNACK_SO_OOBINLINE: *v = (tcb->flags & TF_OOBINLINE) != 0; return 0;
  case SYNACK_SO_ATMARK: *v = synack_tcp_urg_atmark(tcb); return 0;
  case SYNACK_SO_REUSEPORT: *v = (tcb->flags & TF_REUSEPORT) != 0; return 0;
  case SYNACK_IPV6_V6ONLY:
    if (tcb->node.t.family != SYNACK_AF_INET6) return -SYNACK_ENOPROTOOPT;
    *v = (tcb->flags & TF_V6ONLY) != 0;
    return 0;
  case SYNACK_SO_BROADCAST: *v = (tcb->flags & TF_BROADCAST) != 0; return 0;
  }
  return -SYNACK_ENOPROTOOPT;
}

int synack_getsockname(synack_stack_t *st, int sock, synack_endpoint_t *out) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  synack_endpoint_t r;
  synack_tuple_endpoints(&tcb->node.t, out, &r);
  out->ip.family = tcb->node.t.family;
  present(tcb, out);
  return 0;
}

int synack_getpeername(synack_stack_t *st, int sock, synack_endpoint_t *out) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  /* Not connected: no peer yet (SYN-SENT: the handshake is still going on), or no more (a reset
   * or timed-out connection is CLOSED): Linux's inet_getname and FreeBSD's getpeername both
   * answer ENOTCONN there. */
  if (tcb->state == SYNACK_TCP_LISTEN || tcb->state == SYNACK_TCP_SYN_SENT || tcb->state == SYNACK_TCP_CLOSED ||
      tcb->node.t.rport == 0)
    return -SYNACK_ENOTCONN;
  synack_endpoint_t l;
  synack_tuple_endpoints(&tcb->node.t, &l, out);
  present(tcb, out);
  return 0;
}

uint32_t synack_poll(synack_stack_t *st, int sock) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return synack_udp_is_socket(st, sock) ? synack_udp_poll(st, sock) : SYNACK_EV_ERROR;
  uint32_t ev = 0;
  if (tcb->state == SYNACK_TCP_LISTEN) return (tcb->lst && tcb->lst->aq_len) ? SYNACK_EV_READABLE : 0;
  if ((synack_tcp_rcv_avail(tcb) && synack_tcp_rcv_lowat_met(tcb)) || (tcb->flags & (TF_RCVD_FIN | TF_SHUT_RD)) ||
      tcb->so_error ||
      (tcb->state == SYNACK_TCP_CLOSED && (tcb->flags & TF_CONNECTED)))
    ev |= SYNACK_EV_READABLE;
  /* Writable also: a fast open child before its handshake completes, and a deferred
   * TCP_FASTOPEN_CONNECT socket, whose first write makes the SYN (RFC 7413; Linux's tcp_poll). */
  bool may_send = tcb->state == SYNACK_TCP_ESTABLISHED || tcb->state == SYNACK_TCP_CLOSE_WAIT ||
                  (tcb->state == SYNACK_TCP_SYN_RECEIVED && (tcb->tfo & SYNACK_TFOF_CHILD)) ||
                  (tcb->state == SYNACK_TCP_SYN_SENT && (tcb->tfo & SYNACK_TFOF_DEFER));
  if (may_send && !(tcb->flags & TF_FIN_QUEUED) && synack_tcp_writable(tcb)) ev |= SYNACK_EV_WRITABLE;
  if (tcb->flags & TF_RCVD_FIN) ev |= SYNACK_EV_PEER_CLOSED;
  if (tcb->so_error) ev |= SYNACK_EV_ERROR | SYNACK_EV_WRITABLE;
  if (synack_tcp_errq_pending(tcb)) ev |= SYNACK_EV_ERRQUEUE; /* Linux's tcp_poll: POLLERR */
  if (tcb->urg_state == SYNACK_URG_VALID) ev |= SYNACK_EV_URGENT; /* POLLPRI */
  return ev;
}

int synack_recv_err(synack_stack_t *st, int sock, synack_sock_err_t *out) {
  synack_tcb_t *tcb = get(st, sock);
  if (!tcb) return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  return synack_tcp_errq_pop(tcb, out);
}
