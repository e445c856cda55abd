/* The scenario world: two stacks on the simulator, the applications on them, the recording of
 * the ladder, the queries scenarios assert with (see scenario.h). */
#include "scenario.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void app_tick(synack_scn_t *s, synack_time_t now);

/* ---------- recording ---------- */

static uint64_t frame_hash(const uint8_t *f, size_t len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ f[i]) * 1099511628211ull;
  return h ^ len;
}

/* The segment, when it belongs to the conversation between the two ends. */
static bool pair_tcp(const synack_scn_t *s, const uint8_t *f, size_t len, synack_dissect_t *d) {
  if (synack_dissect(f, len, true, d) != SYNACK_DROP_NONE || !d->has_tcp) return false;
  return (synack_ip_equal(&d->src, &s->ip[0]) && synack_ip_equal(&d->dst, &s->ip[1])) ||
         (synack_ip_equal(&d->src, &s->ip[1]) && synack_ip_equal(&d->dst, &s->ip[0]));
}

static void on_obs(void *user, const synack_sim_obs_t *o) {
  synack_scn_t *s = user;
  int dir = o->dir; /* 0: client → server */
  synack_dissect_t d;
  switch (o->kind) {
  case SYNACK_SIM_OBS_SENT: {
    if (!pair_tcp(s, o->frame, o->len, &d)) {
      s->other_segs[dir]++;
      return;
    }
    if (dir == 0 && (d.tcp.flags & SYNACK_TCP_FIN)) {
      size_t k = 0;
      while (k < s->nfins && s->fins[k].port != d.tcp.src_port) k++;
      if (k < sizeof s->fins / sizeof s->fins[0]) {
        s->fins[k].port = d.tcp.src_port;
        s->fins[k].fin_seq = d.tcp.seq + (uint32_t)d.tcp.payload_len;
        if (k == s->nfins) s->nfins++;
      }
    }
    unsigned how = 0;
    if (s->node[dir].cur_timer) how |= SYNACK_LSEG_TIMER | s->node[dir].cur_kind;
    if (s->injecting) how |= SYNACK_LSEG_INJECTED;
    s->cur_seg = s->lad.segments + s->lad.muted_segments + 1; /* for the fault rules that run next */
    long idx = synack_ladder_seg(&s->lad, o->now, dir, &d.tcp, how);
    if (s->keep_fn && !s->kept_len && o->len <= sizeof s->kept) {
      /* Judged on the segment itself, so that it works while the ladder is muted. */
      synack_lev_t e;
      memset(&e, 0, sizeof e);
      e.side = dir;
      e.flags = d.tcp.flags;
      e.seq = d.tcp.seq;
      e.rseq = d.tcp.seq - (s->lad.have_isn[dir] ? s->lad.isn[dir] : 0);
      e.len = (uint32_t)d.tcp.payload_len;
      e.conn = s->lad.conn;
      if (s->keep_fn(s, &e)) {
        memcpy(s->kept, o->frame, o->len);
        s->kept_len = o->len;
        s->kept_seq = d.tcp.seq;
        s->kept_rseq = e.rseq;
      }
    }
    if (idx < 0) return;
    if (s->nfly == sizeof s->fly / sizeof s->fly[0]) {
      memmove(&s->fly[0], &s->fly[1], (s->nfly - 1) * sizeof s->fly[0]);
      s->nfly--;
    }
    s->fly[s->nfly].idx = idx;
    s->fly[s->nfly].hash = frame_hash(o->frame, o->len);
    s->fly[s->nfly].dir = dir;
    s->fly[s->nfly].copy = false;
    s->nfly++;
    break;
  }
  case SYNACK_SIM_OBS_DROPPED:
  case SYNACK_SIM_OBS_DELIVERED: {
    uint64_t h = frame_hash(o->frame, o->len);
    for (size_t i = 0; i < s->nfly; i++) {
      if (s->fly[i].dir != dir || s->fly[i].hash != h) continue;
      long idx = s->fly[i].idx;
      bool copy = s->fly[i].copy;
      memmove(&s->fly[i], &s->fly[i + 1], (s->nfly - i - 1) * sizeof s->fly[0]);
      s->nfly--;
      if (copy) {
        if (o->kind == SYNACK_SIM_OBS_DELIVERED) s->delivering_copy = idx;
        break;
      }
      if (o->kind == SYNACK_SIM_OBS_DROPPED) {
        s->lad.ev[idx].lost = true;
        s->lad.lost++;
      } else {
        s->delivering_idx = idx; /* finished once the receiver processed it */
      }
      break;
    }
    break;
  }
  }
}

static bool ep_is(const synack_endpoint_t *e, const synack_ip_t *ip) { return synack_ip_equal(&e->ip, ip); }

static void on_trace(void *user, const synack_trace_event_t *ev) {
  synack_scn_node_t *n = user;
  synack_scn_t *s = n->s;
  int side = n->side;
  if (ev->kind == SYNACK_TRACE_STATE) {
    bool listener = ev->remote.ip.family == 0 || synack_ip_is_unspecified(&ev->remote.ip);
    if (listener) {
      if (s->lad.muted) return;
      int c = s->lad.cur[side];
      if (c == SYNACK_TCP_CLOSED || c == SYNACK_TCP_LISTEN)
        synack_ladder_state(&s->lad, ev->now, side, ev->old_state, ev->new_state, ev->reason);
      else
        synack_ladder_note(&s->lad, ev->now, side, "%s: listener %s -> %s (%s)", side ? "server" : "client",
                           synack_tcp_state_name((synack_tcp_state_t)ev->old_state),
                           synack_tcp_state_name((synack_tcp_state_t)ev->new_state), ev->reason ? ev->reason : "");
      return;
    }
    if (!ep_is(&ev->remote, &s->ip[1 - side])) return;
    synack_ladder_state(&s->lad, ev->now, side, ev->old_state, ev->new_state, ev->reason);
  } else if (ev->kind == SYNACK_TRACE_TIMER) {
    /* RACK's timers share the retransmission slot; the ladder names them (tcp_timer.c). */
    n->timer_kind = 0;
    if (ev->reason && strcmp(ev->reason, "tail-loss-probe") == 0) n->timer_kind = SYNACK_LSEG_TLP;
    if (ev->reason && strcmp(ev->reason, "rack-reordering") == 0) n->timer_kind = SYNACK_LSEG_REO;
  } else if (ev->kind == SYNACK_TRACE_NOTE) {
    if (!s->lad.muted && ep_is(&ev->remote, &s->ip[1 - side]))
      synack_ladder_note(&s->lad, ev->now, side, "%s: %s", side ? "server" : "client", ev->reason);
  } else if (ev->kind == SYNACK_TRACE_FRAME_DROP) {
    /* Only drops of the pair's own segments, while the stack processes one (spoofed sources
     * are summarised by the scenario instead). */
    if (s->lad.muted || !s->in_pair_input || ev->drop < SYNACK_DROP_TCP_TRUNCATED || ev->drop > SYNACK_DROP_TCP_NO_MEMORY)
      return;
    synack_ladder_note(&s->lad, ev->now, side, "%s drops the segment: %s", side ? "server" : "client",
                       synack_drop_reason_desc(ev->drop));
  }
}

/* ---------- the node wrapper: tags what the stack sent while its timers ran ---------- */

static void q_drain(synack_scn_node_t *n, synack_time_t now, bool timer) {
  synack_frame_t f;
  while (synack_stack_poll_tx(n->stack, now, &f)) {
    size_t need = n->qlen + 3 + f.len;
    if (need > n->qcap) {
      size_t nc = n->qcap ? n->qcap * 2 : 65536;
      while (nc < need) nc *= 2;
      uint8_t *p = realloc(n->q, nc);
      if (!p) return;
      n->q = p;
      n->qcap = nc;
    }
    n->q[n->qlen] = timer ? (uint8_t)(0x80u | n->timer_kind) : 0;
    n->q[n->qlen + 1] = (uint8_t)(f.len >> 8);
    n->q[n->qlen + 2] = (uint8_t)f.len;
    memcpy(n->q + n->qlen + 3, f.data, f.len);
    n->qlen += 3 + f.len;
  }
}

static void node_input(void *ctx, synack_time_t now, const uint8_t *frame, size_t len) {
  synack_scn_node_t *n = ctx;
  synack_scn_t *s = n->s;
  long idx = s->delivering_idx, copy = s->delivering_copy;
  s->delivering_idx = s->delivering_copy = -1;
  s->in_pair_input = idx >= 0 || copy >= 0;
  if (copy >= 0 && !s->lad.muted)
    synack_ladder_note(&s->lad, now, n->side, "a second copy of segment %u arrives at the %s", s->lad.ev[copy].segno,
                       n->side ? "server" : "client");
  synack_stack_input(n->stack, now, frame, len, 0);
  s->in_pair_input = false;
  if (idx >= 0) synack_ladder_arrive(&s->lad, idx, now);
}

/* Queued frames first (records [timer][len hi][len lo][frame]), then the stack's own. */
static bool node_poll(void *ctx, synack_time_t now, synack_frame_t *out) {
  synack_scn_node_t *n = ctx;
  if (n->lent) {
    size_t l0 = ((size_t)n->q[n->qrd + 1] << 8) | n->q[n->qrd + 2];
    n->qrd += 3 + l0;
    n->lent = false;
  }
  if (n->qrd >= n->qlen) {
    n->qrd = n->qlen = 0;
    n->cur_timer = false;
    return synack_stack_poll_tx(n->stack, now, out);
  }
  size_t l0 = ((size_t)n->q[n->qrd + 1] << 8) | n->q[n->qrd + 2];
  n->cur_timer = n->q[n->qrd] != 0;
  n->cur_kind = (uint8_t)(n->q[n->qrd] & 0x7fu);
  out->data = n->q + n->qrd + 3;
  out->len = l0;
  n->lent = true;
  return true;
}

static synack_time_t node_deadline(void *ctx) { return synack_stack_next_deadline(((synack_scn_node_t *)ctx)->stack); }

static void node_timers(void *ctx, synack_time_t now) {
  synack_scn_node_t *n = ctx;
  /* Frames already waiting go first, untagged; then whatever the timers produce. */
  q_drain(n, now, false);
  n->timer_kind = 0;
  synack_stack_handle_timers(n->stack, now);
  q_drain(n, now, true);
}

static const synack_sim_node_ops_t node_ops = {
    .input = node_input, .poll_tx = node_poll, .next_deadline = node_deadline, .handle_timers = node_timers};

static bool cut_match(void *user, const uint8_t *f, size_t len) {
  (void)f;
  (void)len;
  return *(bool *)user;
}

/* ---------- world ---------- */

void synack_scn_config(synack_scn_t *s) {
  for (int i = 0; i < 2; i++) {
    synack_config_t *c = &s->cfg[i];
    synack_config_default(c);
    if (s->profile) synack_config_preset(c, s->profile);
    c->name = i ? "server" : "client";
    memset(&c->mac, 0, sizeof c->mac);
    c->mac.b[0] = 0x02;
    c->mac.b[5] = (uint8_t)(i + 1);
    c->ip4 = synack_ip4(198, 18, 0, (uint8_t)(i + 1));
    synack_ip_parse(i ? "fd00::2" : "fd00::1", &c->ip6);
    synack_config_deterministic(c, s->seed * 2 + (uint64_t)i + 1);
    c->trace = on_trace;
    c->trace_user = &s->node[i];
  }
  s->ip[0] = s->ipv6 ? s->cfg[0].ip6 : s->cfg[0].ip4;
  s->ip[1] = s->ipv6 ? s->cfg[1].ip6 : s->cfg[1].ip4;
  if (!s->delay_us && s->opts && s->opts->rtt_ms) s->delay_us = SYNACK_MS(s->opts->rtt_ms) / 2;
  if (!s->delay_us) s->delay_us = SYNACK_MS(10);
}

static void preset_neighbours(synack_scn_t *s, int side) {
  const synack_config_t *o = &s->cfg[1 - side];
  synack_stack_neigh_add(s->st[side], &o->ip4, &o->mac);
  synack_stack_neigh_add(s->st[side], &o->ip6, &o->mac);
}

int synack_scn_start(synack_scn_t *s) {
  const char *pcap_path = s->pcap_path;
  s->delivering_idx = s->delivering_copy = -1;
  s->lsock = -1;
  synack_scn_apply_config(s);
  s->rxslot[0] = s->rxslot[1] = -1;
  s->sim = synack_sim_new(s->seed);
  if (!s->sim) return -1;
  int ids[2];
  for (int i = 0; i < 2; i++) {
    s->st[i] = synack_stack_new(&s->cfg[i], 0);
    if (!s->st[i]) return -1;
    s->node[i].s = s;
    s->node[i].side = i;
    s->node[i].stack = s->st[i];
    ids[i] = synack_sim_add_node(s->sim, &node_ops, &s->node[i]);
  }
  for (int i = 0; i < 2; i++) preset_neighbours(s, i);
  synack_sim_link_cfg_t lc = {.delay_us = s->delay_us};
  s->link = synack_sim_link(s->sim, ids[0], ids[1], &lc, &lc);
  for (int d = 0; d < 2; d++) {
    synack_sim_rule_t cut = {.payload = -1, .match = cut_match, .user = &s->cut[d], .nth = 1, .count = 0,
                             .action = SYNACK_SIM_DROP};
    synack_sim_add_rule(s->sim, s->link, d, &cut);
  }
  synack_scn_apply_network(s);
  if (s->pcap_stream) {
    s->pcap = synack_pcap_open_stream(s->pcap_stream, SYNACK_PCAP_LINKTYPE_ETHERNET, 65535);
    if (!s->pcap) return -1;
    synack_pcap_attach_sim(s->pcap, s->sim, s->link, -1, false);
  } else if (pcap_path) {
    s->pcap = synack_pcap_open(pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 65535);
    if (!s->pcap) {
      fprintf(stderr, "scenario: cannot write %s\n", pcap_path);
      return -1;
    }
    synack_pcap_attach_sim(s->pcap, s->sim, s->link, -1, false);
  }
  synack_sim_add_observer(s->sim, on_obs, s);
  synack_ladder_set_state(&s->lad, 0, SYNACK_TCP_CLOSED);
  synack_ladder_set_state(&s->lad, 1, SYNACK_TCP_CLOSED);
  return 0;
}

void synack_scn_stop(synack_scn_t *s) {
  if (s->sim) synack_sim_free(s->sim);
  if (s->pcap) synack_pcap_close(s->pcap);
  for (int i = 0; i < 2; i++) {
    if (s->st[i]) synack_stack_free(s->st[i]);
    free(s->node[i].q);
    free(s->rxbuf[i]);
  }
  s->sim = NULL;
  s->pcap = NULL;
}

void synack_scn_reboot(synack_scn_t *s, int side, uint64_t new_seed) {
  synack_stack_free(s->st[side]);
  synack_config_deterministic(&s->cfg[side], new_seed);
  s->st[side] = synack_stack_new(&s->cfg[side], synack_sim_now(s->sim));
  s->node[side].stack = s->st[side];
  s->node[side].qlen = s->node[side].qrd = 0;
  s->node[side].lent = false;
  preset_neighbours(s, side);
  for (int i = 0; i < SCN_MAX_CONNS; i++)
    if (s->conn[side][i].used && !s->conn[side][i].closed) s->conn[side][i].closed = true;
  if (side == 1) s->lsock = -1;
  synack_ladder_set_state(&s->lad, side, SYNACK_TCP_CLOSED);
}

/* ---------- applications ---------- */

uint8_t synack_scn_pattern(int side, int gen, size_t i) {
  return (uint8_t)("abcdefghijklmnopqrstuvwxyz0123456789"[(i + 11u * (unsigned)side + 7u * (unsigned)gen) % 36]);
}

bool synack_scn_rx_intact(const synack_scn_t *s, int side, int gen, size_t n) {
  if (s->rxkeep[side] < n || !s->rxbuf[side]) return false;
  for (size_t i = 0; i < n; i++)
    if (s->rxbuf[side][i] != synack_scn_pattern(1 - side, gen, i)) return false;
  return true;
}

static int new_slot(synack_scn_t *s, int side, int sock) {
  for (int i = 0; i < SCN_MAX_CONNS; i++) {
    synack_scn_conn_t *c = &s->conn[side][i];
    if (!c->used) {
      memset(c, 0, sizeof *c);
      c->used = true;
      c->sock = sock;
      return i;
    }
  }
  /* Recycle the oldest closed slot (long stories with many short connections). */
  for (int i = 0; i < SCN_MAX_CONNS; i++) {
    synack_scn_conn_t *c = &s->conn[side][i];
    if (c->closed) {
      memset(c, 0, sizeof *c);
      c->used = true;
      c->sock = sock;
      return i;
    }
  }
  return -1;
}

static int find_slot(synack_scn_t *s, int side, int sock) {
  for (int i = SCN_MAX_CONNS; i-- > 0;)
    if (s->conn[side][i].used && !s->conn[side][i].closed && s->conn[side][i].sock == sock) return i;
  return -1;
}

synack_scn_conn_t *synack_scn_conn(synack_scn_t *s, int side, int slot) {
  if (slot < 0 || slot >= SCN_MAX_CONNS || !s->conn[side][slot].used) return NULL;
  return &s->conn[side][slot];
}

synack_scn_conn_t *synack_scn_last(synack_scn_t *s, int side) {
  synack_scn_conn_t *best = NULL;
  for (int i = 0; i < SCN_MAX_CONNS; i++)
    if (s->conn[side][i].used) best = &s->conn[side][i];
  return best;
}

int synack_scn_listen(synack_scn_t *s, uint16_t port) {
  synack_stack_t *st = s->st[1];
  int fd = synack_socket(st, s->ipv6 ? SYNACK_AF_INET6 : SYNACK_AF_INET);
  synack_endpoint_t any;
  memset(&any, 0, sizeof any);
  any.ip.family = s->ipv6 ? SYNACK_AF_INET6 : SYNACK_AF_INET;
  any.port = port;
  int r = synack_bind(st, fd, &any);
  if (r == 0) r = synack_listen(st, fd, 128);
  s->lsock = fd;
  s->lport = port;
  return r;
}

static void push_tx(synack_scn_t *s, int side, int slot, synack_time_t now) {
  synack_scn_conn_t *c = &s->conn[side][slot];
  uint8_t buf[16384];
  while (!c->closed && c->tx_queued < c->tx_want) {
    size_t n = c->tx_want - c->tx_queued;
    if (n > sizeof buf) n = sizeof buf;
    for (size_t i = 0; i < n; i++) buf[i] = synack_scn_pattern(side, s->gen[side], c->tx_queued + i);
    int64_t r = synack_send(s->st[side], now, c->sock, buf, n, 0);
    if (r <= 0) break;
    c->tx_queued += (size_t)r;
  }
  if (!c->closed && c->close_after_send && c->tx_queued >= c->tx_want) {
    c->close_after_send = false;
    synack_scn_close(s, side, slot);
  }
}

int synack_scn_connect(synack_scn_t *s, int side, uint16_t port, uint16_t local_port, int *err) {
  synack_time_t now = synack_sim_now(s->sim);
  synack_stack_t *st = s->st[side];
  int fd = synack_socket(st, s->ipv6 ? SYNACK_AF_INET6 : SYNACK_AF_INET);
  if (fd < 0) {
    if (err) *err = fd;
    return -1;
  }
  if (local_port) {
    synack_endpoint_t me = {.ip = s->ip[side], .port = local_port};
    synack_setsockopt(st, fd, SYNACK_SO_REUSEADDR, 1);
    int r = synack_bind(st, fd, &me);
    if (r < 0) {
      if (err) *err = r;
      synack_close(st, now, fd);
      return -1;
    }
  }
  if (s->tfo_connect) synack_setsockopt(st, fd, SYNACK_TCP_FASTOPEN_CONNECT, 1);
  synack_endpoint_t to = {.ip = s->ip[1 - side], .port = port};
  if (!s->lad.muted) synack_ladder_note(&s->lad, now, side, "%s: connect() to port %u", side ? "server" : "client", port);
  int r = synack_connect(st, now, fd, &to);
  if (r != -SYNACK_EINPROGRESS && r != 0) {
    if (err) *err = r;
    synack_close(st, now, fd);
    return -1;
  }
  if (err) *err = 0;
  return new_slot(s, side, fd);
}

void synack_scn_send(synack_scn_t *s, int side, int slot, size_t bytes) {
  synack_scn_conn_t *c = synack_scn_conn(s, side, slot);
  if (!c) return;
  c->tx_want += bytes;
  push_tx(s, side, slot, synack_sim_now(s->sim));
}

void synack_scn_close(synack_scn_t *s, int side, int slot) {
  synack_scn_conn_t *c = synack_scn_conn(s, side, slot);
  if (!c || c->closed) return;
  if (!s->lad.muted) synack_ladder_note(&s->lad, synack_sim_now(s->sim), side, "%s: close()", side ? "server" : "client");
  synack_close(s->st[side], synack_sim_now(s->sim), c->sock);
  c->closed = true;
}

static void keep_rx(synack_scn_t *s, int side, int slot, const uint8_t *buf, size_t n) {
  /* Keeps what the most recent receiving connection got. */
  if (slot != s->rxslot[side]) {
    s->rxslot[side] = slot;
    s->rxkeep[side] = 0;
  }
  if (!s->rxbuf[side]) s->rxbuf[side] = malloc(SCN_RX_KEEP);
  if (!s->rxbuf[side]) return;
  for (size_t i = 0; i < n && s->rxkeep[side] < SCN_RX_KEEP; i++) s->rxbuf[side][s->rxkeep[side]++] = buf[i];
}

static void app_events(synack_scn_t *s, int side) {
  synack_stack_t *st = s->st[side];
  synack_time_t now = synack_sim_now(s->sim);
  synack_event_t ev;
  while (synack_stack_next_event(st, &ev)) {
    if (side == 1 && ev.sock == s->lsock && s->lsock >= 0) {
      if (ev.events & SYNACK_EV_READABLE) {
        synack_endpoint_t peer;
        int fd;
        while ((fd = synack_accept(st, s->lsock, &peer)) >= 0) {
          int slot = new_slot(s, side, fd);
          if (slot < 0) {
            synack_close(st, now, fd);
            continue;
          }
          s->conn[side][slot].connected = true;
          s->conn[side][slot].connected_at = now;
          if (!s->lad.muted) synack_ladder_note(&s->lad, now, 1, "server: accept() returns the connection");
        }
      }
      continue;
    }
    int slot = find_slot(s, side, ev.sock);
    if (slot < 0) continue;
    synack_scn_conn_t *c = &s->conn[side][slot];
    if ((ev.events & SYNACK_EV_CONNECTED) && !c->connected) {
      c->connected = true;
      c->connected_at = now;
    }
    if ((ev.events & SYNACK_EV_ERROR) && !c->err) {
      c->err = ev.error ? ev.error : -SYNACK_ECONNRESET;
      c->err_at = now;
      if (!s->lad.muted)
        synack_ladder_note(&s->lad, now, side, "%s: the application gets %s", side ? "server" : "client",
                           synack_strerror(c->err));
    }
    if (ev.events & (SYNACK_EV_READABLE | SYNACK_EV_PEER_CLOSED)) {
      uint8_t buf[16384];
      for (;;) {
        int64_t r = synack_recv(st, now, c->sock, buf, sizeof buf, 0);
        if (r > 0) {
          if (c->rx == 0 && side == 1 && s->server_reply) {
            c->tx_want += s->server_reply;
          }
          keep_rx(s, side, slot, buf, (size_t)r);
          c->rx += (size_t)r;
          continue;
        }
        if (r == 0 && !c->eof) {
          c->eof = true;
          c->eof_at = now;
          if (s->close_on_eof[side]) {
            synack_time_t delay = s->close_delay_us[side];
            if (delay == 0) {
              if (!s->lad.muted)
                synack_ladder_note(&s->lad, now, side, "%s: read %zu bytes, then EOF", side ? "server" : "client",
                                   c->rx);
              synack_scn_close(s, side, slot);
            } else {
              if (!s->lad.muted)
                synack_ladder_note(&s->lad, now, side, "%s: read %zu bytes, then EOF; closes %.0f ms later",
                                   side ? "server" : "client", c->rx, (double)delay / 1000.0);
              c->close_at = now + delay;
              synack_scn_at(s, c->close_at, app_tick);
            }
          }
        } else if (r < 0 && r != -SYNACK_EAGAIN && !c->err) {
          c->err = (int)r;
          c->err_at = now;
        }
        break;
      }
    }
    if (ev.events & (SYNACK_EV_WRITABLE | SYNACK_EV_CONNECTED)) push_tx(s, side, slot, now);
  }
  /* Replies the server owes and delayed closes. */
  for (int i = 0; i < SCN_MAX_CONNS; i++) {
    synack_scn_conn_t *c = &s->conn[side][i];
    if (!c->used || c->closed) continue;
    if (c->tx_queued < c->tx_want) push_tx(s, side, i, now);
    if (c->close_at && now >= c->close_at) {
      c->close_at = 0;
      synack_scn_close(s, side, i);
    }
  }
}

static void apps(synack_scn_t *s) {
  app_events(s, 0);
  app_events(s, 1);
  /* What the applications just wrote leaves now, not at the next event. */
  if (s->sim) synack_sim_flush(s->sim);
}

static void tramp(void *user, synack_sim_t *sim, synack_time_t now) {
  (void)sim;
  struct { synack_scn_t *s; synack_scn_fn fn; } *c = user;
  if (c->fn) c->fn(c->s, now);
  apps(c->s);
}

void synack_scn_at(synack_scn_t *s, synack_time_t t, synack_scn_fn fn) {
  if (s->ncalls == SCN_MAX_CALLS) {
    synack_scn_expect(s, false, "the story schedules more than %d calls", SCN_MAX_CALLS);
    return;
  }
  s->calls[s->ncalls].s = s;
  s->calls[s->ncalls].fn = fn;
  synack_sim_at(s->sim, t, tramp, &s->calls[s->ncalls]);
  s->ncalls++;
}

static void app_tick(synack_scn_t *s, synack_time_t now) {
  (void)s;
  (void)now;
}

void synack_scn_mute(synack_scn_t *s, synack_time_t now) {
  (void)now;
  /* With faults chosen the whole story is drawn: what a fault causes may happen in a stretch the
   * story would not draw (segment numbers do not move: muted segments are numbered too). */
  if (s->opts && s->opts->nfault) return;
  s->lad.muted = true;
}

void synack_scn_unmute(synack_scn_t *s, synack_time_t now) {
  (void)now;
  s->lad.muted = false;
}

static void noop(void *user, synack_sim_t *sim, synack_time_t now) {
  (void)user;
  (void)sim;
  (void)now;
}

void synack_scn_run_until(synack_scn_t *s, synack_time_t t) {
  synack_sim_flush(s->sim); /* what API calls made outside the loop queued goes out now */
  apps(s);
  if (synack_sim_now(s->sim) >= t) return;
  synack_sim_at(s->sim, t, noop, NULL); /* the clock stops exactly at t */
  while (synack_sim_now(s->sim) < t) {
    if (!synack_sim_step(s->sim)) break;
    apps(s);
  }
}

/* ---------- forging frames (attackers, old duplicates) ---------- */

size_t synack_scn_forge(synack_scn_t *s, int from_side, const synack_ip_t *src, const synack_ip_t *dst,
                        const synack_tcp_repr_t *tcp, const uint8_t *payload, size_t plen, uint8_t *buf,
                        size_t cap) {
  synack_eth_repr_t eth;
  memset(&eth, 0, sizeof eth);
  eth.src = s->cfg[from_side].mac;
  eth.dst = s->cfg[1 - from_side].mac;
  bool v6 = src->family == SYNACK_AF_INET6;
  eth.ethertype = v6 ? SYNACK_ETHERTYPE_IPV6 : SYNACK_ETHERTYPE_IPV4;
  size_t off = synack_eth_emit(&eth, buf, cap);
  if (!off) return 0;
  size_t iphl = v6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  uint8_t *l4 = buf + off + iphl;
  if (off + iphl >= cap) return 0;
  synack_tcp_repr_t t = *tcp;
  if (t.opts.layout_len == 0 && t.opts.present) {
    /* A layout for the options present, in the usual order. */
    uint8_t *L = t.opts.layout;
    uint8_t k = 0;
    if (t.opts.present & SYNACK_TCPOPT_HAS_MSS) L[k++] = SYNACK_TCPOPT_MSS;
    if (t.opts.present & SYNACK_TCPOPT_HAS_TS) { L[k++] = SYNACK_TCPOPT_NOP; L[k++] = SYNACK_TCPOPT_NOP; L[k++] = SYNACK_TCPOPT_TS; }
    t.opts.layout_len = k;
  }
  size_t hl = synack_tcp_emit(&t, l4, cap - off - iphl);
  if (!hl || off + iphl + hl + plen > cap) return 0;
  if (plen) memcpy(l4 + hl, payload, plen);
  synack_tcp_fill_checksum(l4, hl + plen, src, dst);
  if (v6) {
    synack_ip6_repr_t ip;
    memset(&ip, 0, sizeof ip);
    ip.src = *src;
    ip.dst = *dst;
    ip.hop_limit = 64;
    ip.proto = SYNACK_IPPROTO_TCP;
    synack_ip6_emit(&ip, hl + plen, buf + off, iphl);
  } else {
    synack_ip4_repr_t ip;
    memset(&ip, 0, sizeof ip);
    ip.src = *src;
    ip.dst = *dst;
    ip.ttl = 64;
    ip.proto = SYNACK_IPPROTO_TCP;
    ip.df = true;
    synack_ip4_emit(&ip, hl + plen, buf + off, iphl);
  }
  return off + iphl + hl + plen;
}

void synack_scn_inject(synack_scn_t *s, int side, const uint8_t *frame, size_t len) {
  s->injecting = true;
  synack_sim_send(s->sim, s->link, side, frame, len);
  s->injecting = false;
}

bool synack_scn_state_seen(const synack_scn_t *s, int side, int state) {
  for (size_t i = 0; i < s->lad.n; i++)
    if (s->lad.ev[i].kind == SYNACK_LEV_STATE && s->lad.ev[i].side == side && s->lad.ev[i].new_state == state)
      return true;
  return false;
}

bool synack_scn_entry(synack_scn_t *s, int side, synack_conn_entry_t *out) {
  synack_conn_entry_t tab[64];
  size_t n = synack_conn_table(s->st[side], tab, 64);
  if (n > 64) n = 64;
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    if (tab[i].state == SYNACK_TCP_LISTEN) continue;
    if (!synack_ip_equal(&tab[i].remote.ip, &s->ip[1 - side])) continue;
    *out = tab[i];
    found = true; /* the last one: the most recent connection */
  }
  return found;
}

int synack_scn_state(synack_scn_t *s, int side) {
  synack_conn_entry_t e;
  return synack_scn_entry(s, side, &e) ? (int)e.state : SYNACK_TCP_CLOSED;
}

/* ---------- queries ---------- */

static bool matches(const synack_lev_t *e, synack_scn_match_t m) {
  if (e->kind != SYNACK_LEV_SEG) return false;
  if (m.side >= 0 && e->side != m.side) return false;
  if ((e->flags & m.mask) != m.value) return false;
  if (m.data >= 0 && (e->len > 0) != (m.data == 1)) return false;
  if (m.lost >= 0 && e->lost != (m.lost == 1)) return false;
  if (m.retrans >= 0 && e->retrans != (m.retrans == 1)) return false;
  if (m.timer >= 0 && e->by_timer != (m.timer == 1)) return false;
  return true;
}

size_t synack_scn_count(const synack_scn_t *s, synack_scn_match_t m) {
  size_t n = 0;
  for (size_t i = 0; i < s->lad.n; i++) n += matches(&s->lad.ev[i], m);
  return n;
}

const synack_lev_t *synack_scn_next(const synack_scn_t *s, const synack_lev_t *e, synack_scn_match_t m) {
  for (size_t i = e ? (size_t)(e - s->lad.ev) + 1 : 0; i < s->lad.n; i++)
    if (matches(&s->lad.ev[i], m)) return &s->lad.ev[i];
  return NULL;
}

void synack_scn_drop(synack_scn_t *s, int side, uint8_t mask, uint8_t value, int payload, uint32_t nth,
                     uint32_t count) {
  synack_sim_rule_t r = {.tcp_only = true, .tcp_flags_mask = mask, .tcp_flags_value = value, .payload = payload,
                         .nth = nth, .count = count, .action = SYNACK_SIM_DROP};
  synack_sim_add_rule(s->sim, s->link, side, &r);
}

int synack_scn_world(synack_scn_t *s) {
  if (synack_scn_start(s) != 0) return -1;
  return synack_scn_listen(s, 80);
}

const synack_lev_t *synack_scn_nth(const synack_scn_t *s, synack_scn_match_t m, size_t nth) {
  for (size_t i = 0; i < s->lad.n; i++)
    if (matches(&s->lad.ev[i], m) && --nth == 0) return &s->lad.ev[i];
  return NULL;
}

void synack_scn_expect(synack_scn_t *s, bool ok, const char *fmt, ...) {
  if (s->record_checks) {
    struct synack_scn_check *c = realloc(s->checks, (s->nchecks + 1) * sizeof *c);
    if (c) {
      s->checks = c;
      c += s->nchecks++;
      c->ok = ok;
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(c->text, sizeof c->text, fmt, ap);
      va_end(ap);
    }
  }
  if (ok) return;
  if (s->nfail < SCN_MAX_FAILS) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->fail[s->nfail], sizeof s->fail[0], fmt, ap);
    va_end(ap);
  }
  s->nfail++;
}
