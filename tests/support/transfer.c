/* One measured bulk transfer over the simulator (see transfer.h). */
#include "transfer.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 65536
#define PORT 5001
#define MAXH 16

static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint8_t ts_xfer_byte(uint64_t off) { return (uint8_t)(mix(off >> 3) >> ((off & 7) * 8)); }

void ts_xfer_fill(uint64_t off, uint8_t *buf, size_t n) {
  size_t i = 0;
  while (i < n && ((off + i) & 7)) {
    buf[i] = ts_xfer_byte(off + i);
    i++;
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w = mix((off + i) >> 3);
    for (int k = 0; k < 8; k++) buf[i + (size_t)k] = (uint8_t)(w >> (8 * k));
  }
  for (; i < n; i++) buf[i] = ts_xfer_byte(off + i);
}

typedef struct {
  const ts_xfer_cfg_t *cfg;
  ts_xfer_result_t *res;
  synack_sim_t *sim;
  synack_stack_t *a, *b;
  int lsock, csock, ssock;
  bool c_connected, c_closed, s_eof;
  ts_sha256_t hs, hr;
  uint8_t *buf;   /* receive buffer */
  uint8_t *want;  /* the stream at the offsets being received */
  uint8_t *sbuf;  /* stream bytes generated but not yet accepted by synack_send */
  size_t soff, slen;
} run_t;

static void note_events(run_t *r, synack_stack_t *st, bool client) {
  synack_event_t ev;
  while (synack_stack_next_event(st, &ev)) {
    if ((ev.events & SYNACK_EV_ERROR) && !r->res->error) r->res->error = ev.error ? ev.error : -SYNACK_ECONNABORTED;
    if (client && ev.sock == r->csock && (ev.events & SYNACK_EV_CONNECTED) && !r->c_connected) {
      r->c_connected = true;
      r->res->t_established = synack_sim_now(r->sim);
    }
  }
}

static bool streaming(const run_t *r) { return r->cfg->duration_us != 0; }

static void client_send(run_t *r, synack_time_t now) {
  if (!r->c_connected || r->c_closed) return;
  for (;;) {
    if (r->soff == r->slen) {
      /* Generate the next chunk only once the previous one is fully accepted. */
      uint64_t left = streaming(r) ? CHUNK : r->cfg->bytes - r->res->sent;
      if (left == 0) break;
      r->slen = left < CHUNK ? (size_t)left : CHUNK;
      r->soff = 0;
      ts_xfer_fill(r->res->sent, r->sbuf, r->slen);
    }
    int64_t k = synack_send(r->a, now, r->csock, r->sbuf + r->soff, r->slen - r->soff, 0);
    if (k <= 0) break;
    ts_sha256_update(&r->hs, r->sbuf + r->soff, (size_t)k);
    r->soff += (size_t)k;
    r->res->sent += (uint64_t)k;
  }
  if (!streaming(r) && r->res->sent == r->cfg->bytes) {
    synack_close(r->a, now, r->csock);
    r->c_closed = true;
  }
}

static void server_recv(run_t *r, synack_time_t now) {
  if (r->ssock < 0) {
    synack_endpoint_t rem;
    int s = synack_accept(r->b, r->lsock, &rem);
    if (s < 0) return;
    r->ssock = s;
  }
  if (r->s_eof) return;
  for (;;) {
    int64_t k = synack_recv(r->b, now, r->ssock, r->buf, CHUNK, 0);
    if (k < 0) break;
    if (k == 0) {
      r->s_eof = true;
      synack_close(r->b, now, r->ssock);
      break;
    }
    ts_sha256_update(&r->hr, r->buf, (size_t)k);
    if (r->res->data_ok) {
      ts_xfer_fill(r->res->received, r->want, (size_t)k);
      if (memcmp(r->buf, r->want, (size_t)k) != 0) {
        int64_t i = 0;
        while (r->buf[i] == r->want[i]) i++;
        r->res->data_ok = false;
        r->res->first_bad = r->res->received + (uint64_t)i;
      }
    }
    r->res->received += (uint64_t)k;
    if (!streaming(r) && r->res->received >= r->cfg->bytes && !r->res->t_last_byte) r->res->t_last_byte = now;
  }
}

/* cfg.drain: the server closes its listener; the simulator runs on (virtual time: TIME-WAIT's
 * 2 MSL costs nothing) until both tables are empty, then each stack's leftovers are measured. */
static void drain(run_t *r, synack_time_t limit, const int64_t mem0[2]) {
  synack_stack_t *sts[2] = { r->a, r->b };
  synack_close(r->b, synack_sim_now(r->sim), r->lsock);
  r->lsock = -1;
  if (r->ssock >= 0 && !r->s_eof) synack_close(r->b, synack_sim_now(r->sim), r->ssock);
  synack_sim_flush(r->sim);
  for (;;) {
    size_t left = synack_conn_table(r->a, NULL, 0) + synack_conn_table(r->b, NULL, 0);
    if (left == 0) {
      r->res->drained = true;
      break;
    }
    if (!synack_sim_step(r->sim) || synack_sim_now(r->sim) >= limit) break;
    note_events(r, r->a, true);
    note_events(r, r->b, false);
    synack_sim_flush(r->sim);
  }
  for (int w = 0; w < 2; w++) {
    r->res->conns_left[w] = synack_conn_table(sts[w], NULL, 0);
    r->res->timers_left[w] = synack_stack_next_deadline(sts[w]) != SYNACK_TIME_NEVER;
    r->res->mem_left[w] =
        (int64_t)synack_stack_memory(sts[w]) - (int64_t)synack_stack_memory_cached(sts[w]) - mem0[w];
  }
}

static void setup_config(synack_config_t *c, int w, const ts_xfer_cfg_t *cfg) {
  synack_config_default(c);
  c->link = SYNACK_LINK_ETHERNET;
  c->mac = (synack_mac_t){{0x02, 0, 0, 0, 0, (uint8_t)(w + 1)}};
  c->ip4 = synack_ip4(10, 0, 0, (uint8_t)(w + 1));
  c->ip4_prefix = 24;
  if (synack_ip_parse(w ? "fd00::2" : "fd00::1", &c->ip6) < 0) c->ip6.family = 0;
  c->ip6_prefix = 64;
  c->ip6_link_local = false;
  synack_config_deterministic(c, mix(cfg->seed * 2 + (uint64_t)w + 1));
  c->name = w ? "server" : "client";
  if (cfg->hook) cfg->hook(c, w, cfg->user);
}

int ts_xfer_run(const ts_xfer_cfg_t *cfg, ts_xfer_result_t *res) {
  memset(res, 0, sizeof *res);
  res->data_ok = true;
  run_t r;
  memset(&r, 0, sizeof r);
  r.cfg = cfg;
  r.res = res;
  r.ssock = -1;
  r.csock = -1;
  ts_sha256_init(&r.hs);
  ts_sha256_init(&r.hr);
  synack_config_t ca, cb;
  setup_config(&ca, 0, cfg);
  setup_config(&cb, 1, cfg);
  r.buf = malloc(CHUNK);
  r.want = malloc(CHUNK);
  r.sbuf = malloc(CHUNK);
  r.sim = synack_sim_new(cfg->seed);
  synack_pcap_t *pcap = NULL;
  r.a = synack_stack_new(&ca, 0);
  r.b = synack_stack_new(&cb, 0);
  int rc = -SYNACK_ENOMEM;
  if (!r.buf || !r.want || !r.sbuf || !r.sim || !r.a || !r.b) goto out;
  int na = synack_sim_add_stack(r.sim, r.a), nb = synack_sim_add_stack(r.sim, r.b);
  int link = synack_sim_link(r.sim, na, nb, &cfg->ab, &cfg->ba);
  rc = -SYNACK_EINVAL;
  if (na < 0 || nb < 0 || link < 0) goto out;
  if (cfg->pcap_path) {
    pcap = synack_pcap_open(cfg->pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 0);
    if (!pcap || synack_pcap_attach_sim(pcap, r.sim, link, -1, false) < 0) goto out;
  }
  int64_t mem0[2] = { (int64_t)synack_stack_memory(r.a), (int64_t)synack_stack_memory(r.b) };
  synack_stack_neigh_add(r.a, &cb.ip4, &cb.mac);
  synack_stack_neigh_add(r.b, &ca.ip4, &ca.mac);
  synack_stack_neigh_add(r.a, &cb.ip6, &cb.mac);
  synack_stack_neigh_add(r.b, &ca.ip6, &ca.mac);
  int fam = cfg->ipv6 ? SYNACK_AF_INET6 : SYNACK_AF_INET;
  r.lsock = synack_socket(r.b, fam);
  synack_endpoint_t lep = {.port = PORT};
  if (r.lsock < 0 || synack_bind(r.b, r.lsock, &lep) < 0 || synack_listen(r.b, r.lsock, 8) < 0) goto out;
  r.csock = synack_socket(r.a, fam);
  synack_endpoint_t rem = {.ip = cfg->ipv6 ? cb.ip6 : cb.ip4, .port = PORT};
  if (r.csock < 0 || synack_connect(r.a, 0, r.csock, &rem) != -SYNACK_EINPROGRESS) goto out;
  rc = 0;
  synack_sim_flush(r.sim);

  synack_time_t limit = cfg->limit_us ? cfg->limit_us : SYNACK_SEC(3600);
  while (synack_sim_step(r.sim)) {
    res->steps++;
    synack_time_t now = synack_sim_now(r.sim);
    note_events(&r, r.a, true);
    note_events(&r, r.b, false);
    client_send(&r, now);
    server_recv(&r, now);
    synack_sim_flush(r.sim);
    if (res->error) { res->why = "error event"; break; }
    if (!streaming(&r) && r.s_eof) break;
    if (streaming(&r) && r.c_connected && now >= res->t_established + cfg->duration_us) {
      res->t_last_byte = now;
      break;
    }
    if (now >= limit) { res->why = "virtual time limit reached"; break; }
  }
  res->t_end = synack_sim_now(r.sim);
  if (!res->why) {
    if (streaming(&r)) {
      if (!r.c_connected) res->why = "never connected";
    } else if (!r.s_eof) {
      res->why = "simulation ran dry before EOF";
    } else if (res->received != cfg->bytes) {
      res->why = "EOF before every byte arrived";
    }
  }
  res->completed = res->why == NULL;
  ts_sha256_final(&r.hs, res->sha_sent);
  ts_sha256_final(&r.hr, res->sha_rcvd);
  res->sha_equal = memcmp(res->sha_sent, res->sha_rcvd, TS_SHA256_LEN) == 0;
  if (res->t_last_byte > res->t_established)
    res->goodput_mbps = (double)res->received * 8.0 / (double)(res->t_last_byte - res->t_established);
  {
    const synack_counters_t *c = synack_stack_counters(r.a);
    const synack_counters_t *s = synack_stack_counters(r.b);
    res->retrans_segs = c->events[SYNACK_CTR_TCP_RETRANS_SEGS];
    res->fast_retrans = c->events[SYNACK_CTR_TCP_FAST_RETRANS];
    res->rto_expired = c->events[SYNACK_CTR_TCP_RTO_EXPIRED];
    res->data_segs_out = c->events[SYNACK_CTR_TCP_SEGS_OUT];
    res->counters_a = *c;
    res->rx_bad_csum = c->drops[SYNACK_DROP_TCP_BAD_CHECKSUM] + s->drops[SYNACK_DROP_TCP_BAD_CHECKSUM] +
                       c->drops[SYNACK_DROP_IP4_BAD_CHECKSUM] + s->drops[SYNACK_DROP_IP4_BAD_CHECKSUM];
    synack_tcp_info_t ti;
    if (synack_tcp_info(r.a, r.csock, &ti) == 0) {
      res->cwnd_segs = ti.snd_cwnd;
      res->ssthresh_segs = ti.snd_ssthresh;
    }
    res->link_ab = *synack_sim_stats(r.sim, link, 0);
    res->link_ba = *synack_sim_stats(r.sim, link, 1);
  }
  if (cfg->drain && res->completed) drain(&r, limit, mem0);
out:
  if (r.sim) synack_sim_free(r.sim);
  if (pcap) synack_pcap_close(pcap); /* after the simulator: its observer writes to it */
  if (r.a) synack_stack_free(r.a);
  if (r.b) synack_stack_free(r.b);
  free(r.buf);
  free(r.want);
  free(r.sbuf);
  return rc;
}
