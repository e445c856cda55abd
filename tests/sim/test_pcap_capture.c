/* Writes a capture of a small, fully valid TCP exchange over the simulator, for the tshark and
 * tcpdump checks in t_pcap_tools.sh (which runs this program itself). Two generic nodes play a
 * scripted client and server: handshake, five data segments of which a sim rule drops the third,
 * the server's duplicate ACKs, a retransmission by the client 200 ms later, then the FIN
 * exchange. The capture is taken on the client's side of the link (what it sent, what it
 * received), so the dropped segment and its retransmission both appear.
 *
 * Output: $SYNACK_CAPTURE_OUT if set, else $SYNACK_BINARY_DIR/sim-capture.pcap, else
 * ./sim-capture.pcap. The program also reads the file back and checks records and times. */
#include "harness.h"
#include "synack/pcap.h"
#include "synack/sim.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08

#define CLIENT_ISS 1000u
#define SERVER_ISS 5000u
#define SEG_LEN 100u
#define NSEG 5u
#define START_US SYNACK_SEC(1)
#define ONE_WAY_US SYNACK_MS(10)
#define RTO_US SYNACK_MS(200)

static const uint8_t CLIENT_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t SERVER_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

/* ---- segment construction (Ethernet II / IPv4 / TCP, checksums computed here) ---- */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint32_t)p[n - 1] << 8;
  return s;
}
static uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, (uint16_t)(v >> 16));
  put16(p + 2, (uint16_t)v);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct {
  uint8_t data[128 + SEG_LEN];
  size_t len;
} seg_t;

typedef struct {
  const uint8_t *mac, *peer_mac;
  uint8_t ip_last, peer_ip_last;
  uint16_t port, peer_port;
  uint16_t ip_id;
} endpoint_t;

static void build(seg_t *s, endpoint_t *e, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *payload,
                  size_t plen) {
  uint8_t *f = s->data;
  memcpy(f, e->peer_mac, 6);
  memcpy(f + 6, e->mac, 6);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14;
  size_t tcplen = 20 + plen;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  put16(ip + 2, (uint16_t)(20 + tcplen));
  put16(ip + 4, e->ip_id++);
  put16(ip + 6, 0x4000); /* DF */
  ip[8] = 64;
  ip[9] = 6;
  ip[12] = 10, ip[15] = e->ip_last;
  ip[16] = 10, ip[19] = e->peer_ip_last;
  put16(ip + 10, fold(sum16(0, ip, 20)));
  uint8_t *t = ip + 20;
  memset(t, 0, 20);
  put16(t, e->port);
  put16(t + 2, e->peer_port);
  put32(t + 4, seq);
  put32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  put16(t + 14, 65535);
  if (plen) memcpy(t + 20, payload, plen);
  uint8_t pseudo[12];
  memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  put16(pseudo + 10, (uint16_t)tcplen);
  put16(t + 16, fold(sum16(sum16(0, pseudo, 12), t, tcplen)));
  s->len = 14 + 20 + tcplen;
}

/* ---- endpoints: a small outbox drained by the simulator through poll_tx ---- */

typedef struct {
  endpoint_t ep;
  seg_t out[16];
  size_t head, count;
  seg_t cur; /* the frame handed out last, valid until the next poll */
} node_t;

static seg_t *push(node_t *n) {
  if (n->count == 16) abort();
  seg_t *s = &n->out[(n->head + n->count) % 16];
  n->count++;
  return s;
}

static bool node_poll(void *ctx, synack_time_t now, synack_frame_t *f) {
  node_t *n = ctx;
  (void)now;
  if (!n->count) return false;
  n->cur = n->out[n->head];
  n->head = (n->head + 1) % 16;
  n->count--;
  f->data = n->cur.data;
  f->len = n->cur.len;
  return true;
}

typedef struct {
  uint32_t seq, ack, len;
  uint8_t flags;
} view_t;

static view_t view(const uint8_t *f, size_t len) {
  view_t v = {0};
  if (len < 54) return v;
  const uint8_t *t = f + 34;
  size_t tot = (size_t)(f[16] << 8 | f[17]);
  v.seq = get32(t + 4);
  v.ack = get32(t + 8);
  v.flags = t[13];
  v.len = (uint32_t)(tot - 40);
  return v;
}

static uint8_t payload[NSEG][SEG_LEN];

typedef struct {
  node_t n;
  synack_sim_t *sim;
  uint32_t snd_una, snd_nxt;
  bool data_sent, retransmitted, fin_sent, done;
  unsigned dupacks;
} client_t;

typedef struct {
  node_t n;
  uint32_t rcv_nxt;
  uint32_t ooo_seq[NSEG], ooo_len[NSEG]; /* segments received above rcv_nxt */
  unsigned nooo;
  bool fin_sent;
} server_t;

static void client_rto(void *user, synack_sim_t *sim, synack_time_t now);

static void client_input(void *ctx, synack_time_t now, const uint8_t *frame, size_t len) {
  client_t *c = ctx;
  view_t v = view(frame, len);
  (void)now;
  if ((v.flags & (SYN | ACK)) == (SYN | ACK)) {
    /* handshake completes; send all five segments at once */
    build(push(&c->n), &c->n.ep, CLIENT_ISS + 1, SERVER_ISS + 1, ACK, NULL, 0);
    for (uint32_t i = 0; i < NSEG; i++)
      build(push(&c->n), &c->n.ep, CLIENT_ISS + 1 + i * SEG_LEN, SERVER_ISS + 1, ACK | PSH, payload[i], SEG_LEN);
    c->snd_una = CLIENT_ISS + 1;
    c->snd_nxt = CLIENT_ISS + 1 + NSEG * SEG_LEN;
    c->data_sent = true;
    synack_sim_at(c->sim, synack_sim_now(c->sim) + RTO_US, client_rto, c);
    return;
  }
  if (v.flags & FIN) {
    build(push(&c->n), &c->n.ep, c->snd_nxt, v.seq + 1, ACK, NULL, 0);
    c->done = true;
    return;
  }
  if (v.flags & ACK) {
    if (v.ack > c->snd_una) c->snd_una = v.ack;
    else if (v.ack == c->snd_una) c->dupacks++;
    if (c->data_sent && !c->fin_sent && c->snd_una == c->snd_nxt) {
      build(push(&c->n), &c->n.ep, c->snd_nxt, SERVER_ISS + 1, FIN | ACK, NULL, 0);
      c->snd_nxt++;
      c->fin_sent = true;
    }
  }
}

/* Retransmission timeout: resend the first unacknowledged segment once. */
static void client_rto(void *user, synack_sim_t *sim, synack_time_t now) {
  client_t *c = user;
  (void)sim, (void)now;
  if (c->retransmitted || c->snd_una == c->snd_nxt) return;
  uint32_t i = (c->snd_una - CLIENT_ISS - 1) / SEG_LEN;
  build(push(&c->n), &c->n.ep, c->snd_una, SERVER_ISS + 1, ACK | PSH, payload[i], SEG_LEN);
  c->retransmitted = true;
}

static void server_input(void *ctx, synack_time_t now, const uint8_t *frame, size_t len) {
  server_t *s = ctx;
  view_t v = view(frame, len);
  (void)now;
  if (v.flags & SYN) {
    s->rcv_nxt = v.seq + 1;
    build(push(&s->n), &s->n.ep, SERVER_ISS, s->rcv_nxt, SYN | ACK, NULL, 0);
    return;
  }
  if (v.len) {
    if (v.seq == s->rcv_nxt) {
      s->rcv_nxt += v.len;
      /* pull in what arrived out of order and now fits */
      for (bool moved = true; moved;) {
        moved = false;
        for (unsigned i = 0; i < s->nooo; i++) {
          if (s->ooo_seq[i] == s->rcv_nxt) {
            s->rcv_nxt += s->ooo_len[i];
            s->ooo_seq[i] = 0;
            moved = true;
          }
        }
      }
    } else if (v.seq > s->rcv_nxt && s->nooo < NSEG) {
      s->ooo_seq[s->nooo] = v.seq;
      s->ooo_len[s->nooo++] = v.len;
    }
    build(push(&s->n), &s->n.ep, SERVER_ISS + 1, s->rcv_nxt, ACK, NULL, 0);
    return;
  }
  if ((v.flags & FIN) && v.seq == s->rcv_nxt && !s->fin_sent) {
    s->rcv_nxt++;
    build(push(&s->n), &s->n.ep, SERVER_ISS + 1, s->rcv_nxt, FIN | ACK, NULL, 0);
    s->fin_sent = true;
  }
}

static void client_open(void *user, synack_sim_t *sim, synack_time_t now) {
  client_t *c = user;
  (void)sim, (void)now;
  build(push(&c->n), &c->n.ep, CLIENT_ISS, 0, SYN, NULL, 0);
}

static const char *out_path(char *buf, size_t cap) {
  const char *p = getenv("SYNACK_CAPTURE_OUT");
  if (p && *p) return p;
  const char *dir = getenv("SYNACK_BINARY_DIR");
  snprintf(buf, cap, "%s/sim-capture.pcap", dir && *dir ? dir : ".");
  return buf;
}

static void test_capture_tcp_exchange(void) {
  for (uint32_t i = 0; i < NSEG; i++)
    for (uint32_t j = 0; j < SEG_LEN; j++) payload[i][j] = (uint8_t)('A' + (i * 7 + j) % 26);
  char buf[1024];
  const char *path = out_path(buf, sizeof buf);

  synack_sim_t *sim = synack_sim_new(2024);
  client_t c = {.n.ep = {CLIENT_MAC, SERVER_MAC, 1, 2, 40000, 80, 1}, .sim = sim};
  server_t s = {.n.ep = {SERVER_MAC, CLIENT_MAC, 2, 1, 80, 40000, 1}};
  const synack_sim_node_ops_t cops = {.input = client_input, .poll_tx = node_poll};
  const synack_sim_node_ops_t sops = {.input = server_input, .poll_tx = node_poll};
  int nc = synack_sim_add_node(sim, &cops, &c);
  int ns = synack_sim_add_node(sim, &sops, &s);
  synack_sim_link_cfg_t cfg = {.delay_us = ONE_WAY_US};
  int link = synack_sim_link(sim, nc, ns, &cfg, &cfg);
  REQUIRE(link >= 0);
  /* The third segment that carries data, client → server, is lost. */
  synack_sim_rule_t r = {.tcp_only = true, .payload = 1, .nth = 3, .count = 1, .action = SYNACK_SIM_DROP};
  REQUIRE(synack_sim_add_rule(sim, link, 0, &r) >= 0);

  synack_pcap_t *p = synack_pcap_open(path, SYNACK_PCAP_LINKTYPE_ETHERNET, 0);
  REQUIRE(p);
  /* The client's interface: frames it sent (dir 0) and frames it received (dir 1). */
  CHECK_EQ_I(synack_pcap_attach_sim(p, sim, link, 0, false), 0);
  CHECK_EQ_I(synack_pcap_attach_sim(p, sim, link, 1, true), 0);
  synack_sim_at(sim, START_US, client_open, &c);
  synack_sim_run_until(sim, SYNACK_SEC(5));
  CHECK(c.done);
  CHECK(c.retransmitted);
  CHECK_EQ_U(c.dupacks, 2);
  CHECK_EQ_U(synack_sim_stats(sim, link, 0)->dropped_rule, 1);
  CHECK_EQ_I(synack_pcap_flush(p), 0);
  synack_sim_free(sim);
  synack_pcap_close(p);

  /* Read it back: 10 frames sent by the client, 7 received; times are the virtual ones. */
  synack_pcap_reader_t *rd = synack_pcap_reader_open(path);
  REQUIRE(rd);
  synack_pcap_record_t rec;
  unsigned n = 0;
  synack_time_t prev = 0;
  static const synack_time_t first_times[] = {START_US, START_US + 2 * ONE_WAY_US, START_US + 2 * ONE_WAY_US};
  while (synack_pcap_read(rd, &rec) == 1) {
    if (n < 3) CHECK_EQ_U(rec.ts_us, first_times[n]);
    CHECK(rec.ts_us >= prev);
    CHECK_EQ_U(rec.caplen, rec.origlen);
    prev = rec.ts_us;
    n++;
  }
  CHECK_EQ_U(n, 17);
  /* the last frame is the client's final ACK: FIN sent at 1 + 0.2 + 0.02 + 0.02, answer 20 ms later */
  CHECK_EQ_U(prev, START_US + RTO_US + 6 * ONE_WAY_US);
  synack_pcap_reader_close(rd);
  printf("wrote %s (%u frames)\n", path, n);
}

TH_MAIN(TH_CASE(test_capture_tcp_exchange))
