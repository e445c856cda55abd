/* The stack's IP layer: ARP and neighbour discovery, ICMP echo both families, UDP port
 * unreachable, fragment reassembly, drop counters, transmit ring back-pressure. Two stacks are
 * wired back to back by a tiny loop here (the simulator has its own tests). */
#include "harness.h"

#include <synack/synack.h>

#include "stack_internal.h"

typedef struct {
  synack_stack_t *a, *b;
  synack_time_t now;
  int frames_ab, frames_ba;
  uint8_t last_ab[2048];
  size_t last_ab_len;
} pair_t;

static synack_config_t cfg_for(int which) {
  synack_config_t c;
  synack_config_default(&c);
  c.mac.b[5] = (uint8_t)which;
  c.ip4 = synack_ip4(198, 18, 0, (uint8_t)which);
  synack_ip_parse(which == 1 ? "fd00::1" : "fd00::2", &c.ip6);
  c.name = which == 1 ? "a" : "b";
  synack_config_deterministic(&c, (uint64_t)which);
  return c;
}

static void pair_init(pair_t *p) {
  memset(p, 0, sizeof *p);
  synack_config_t ca = cfg_for(1), cb = cfg_for(2);
  p->a = synack_stack_new(&ca, 0);
  p->b = synack_stack_new(&cb, 0);
}

static void pair_free(pair_t *p) {
  synack_stack_free(p->a);
  synack_stack_free(p->b);
}

/* Moves frames both ways until both are quiet. */
static void pair_pump(pair_t *p) {
  for (int round = 0; round < 100; round++) {
    bool moved = false;
    synack_frame_t f;
    while (synack_stack_poll_tx(p->a, p->now, &f)) {
      p->frames_ab++;
      if (f.len <= sizeof p->last_ab) {
        memcpy(p->last_ab, f.data, f.len);
        p->last_ab_len = f.len;
      }
      synack_stack_input(p->b, p->now, f.data, f.len, 0);
      moved = true;
    }
    while (synack_stack_poll_tx(p->b, p->now, &f)) {
      p->frames_ba++;
      synack_stack_input(p->a, p->now, f.data, f.len, 0);
      moved = true;
    }
    if (!moved) return;
  }
}

static void ping_v4_resolves_arp_and_replies(void) {
  pair_t p;
  pair_init(&p);
  REQUIRE(p.a && p.b);
  synack_ip_t dst = synack_ip4(198, 18, 0, 2);
  p.now = 1000;
  CHECK_EQ_I(synack_stack_ping(p.a, p.now, &dst, 7, 1, 56), 0);
  pair_pump(&p);
  /* a: ARP request, then the parked echo request after the reply; b: ARP reply, echo reply. */
  CHECK_EQ_U(synack_stack_counters(p.a)->events[SYNACK_CTR_ARP_REQUESTS_OUT], 1);
  CHECK_EQ_U(synack_stack_counters(p.b)->events[SYNACK_CTR_ARP_REPLIES_OUT], 1);
  CHECK_EQ_U(synack_stack_counters(p.b)->events[SYNACK_CTR_ICMP_ECHO_REPLIES_OUT], 1);
  CHECK_EQ_I(p.frames_ab, 2);
  CHECK_EQ_I(p.frames_ba, 2);
  synack_event_t ev;
  REQUIRE(synack_stack_next_event(p.a, &ev));
  CHECK(ev.events & SYNACK_EV_ICMP_ECHO_REPLY);
  CHECK_EQ_U(ev.echo.ident, 7);
  CHECK_EQ_U(ev.echo.seqno, 1);
  CHECK_EQ_U(ev.echo.len, 56);
  CHECK_EQ_U(ev.echo.sent_at, 1000);
  CHECK(synack_ip_equal(&ev.echo.from, &dst));
  /* A second ping needs no resolution: exactly one frame each way. */
  CHECK_EQ_I(synack_stack_ping(p.a, p.now, &dst, 7, 2, 56), 0);
  pair_pump(&p);
  CHECK_EQ_I(p.frames_ab, 3);
  CHECK_EQ_I(p.frames_ba, 3);
  pair_free(&p);
}

static void ping_v6_resolves_nd_and_replies(void) {
  pair_t p;
  pair_init(&p);
  REQUIRE(p.a && p.b);
  synack_ip_t dst;
  synack_ip_parse("fd00::2", &dst);
  CHECK_EQ_I(synack_stack_ping(p.a, p.now, &dst, 9, 1, 32), 0);
  pair_pump(&p);
  CHECK_EQ_U(synack_stack_counters(p.a)->events[SYNACK_CTR_ND_SOLICITS_OUT], 1);
  CHECK_EQ_U(synack_stack_counters(p.b)->events[SYNACK_CTR_ND_ADVERTS_OUT], 1);
  CHECK_EQ_U(synack_stack_counters(p.b)->events[SYNACK_CTR_ICMP_ECHO_REPLIES_OUT], 1);
  synack_event_t ev;
  REQUIRE(synack_stack_next_event(p.a, &ev));
  CHECK(ev.events & SYNACK_EV_ICMP_ECHO_REPLY);
  CHECK_EQ_U(ev.echo.seqno, 1);
  pair_free(&p);
}

static void link_local_ping(void) {
  pair_t p;
  pair_init(&p);
  REQUIRE(p.a && p.b);
  /* b's link-local address comes from its MAC 02:00:5e:00:00:02 (EUI-64, U/L bit flipped). */
  synack_ip_t dst;
  synack_ip_parse("fe80::5eff:fe00:2", &dst);
  CHECK_EQ_I(synack_stack_ping(p.a, p.now, &dst, 1, 1, 8), 0);
  pair_pump(&p);
  synack_event_t ev;
  CHECK(synack_stack_next_event(p.a, &ev) && (ev.events & SYNACK_EV_ICMP_ECHO_REPLY));
  pair_free(&p);
}

static void neighbour_resolution_gives_up(void) {
  synack_config_t c = cfg_for(1);
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  synack_ip_t dst = synack_ip4(198, 18, 0, 99);
  CHECK_EQ_I(synack_stack_ping(st, 0, &dst, 1, 1, 8), 0);
  synack_frame_t f;
  int requests = 0;
  synack_time_t t = 0;
  while (t < SYNACK_SEC(10)) {
    while (synack_stack_poll_tx(st, t, &f)) requests++;
    synack_time_t d = synack_stack_next_deadline(st);
    if (d == SYNACK_TIME_NEVER) break;
    t = d;
    synack_stack_handle_timers(st, t);
  }
  /* Three requests one second apart, then the parked frame is dropped with its reason. */
  CHECK_EQ_I(requests, 3);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_TX_NEIGH_FAILED], 1);
  CHECK_EQ_U(synack_stack_next_deadline(st), SYNACK_TIME_NEVER);
  synack_stack_free(st);
}

/* Builds an Ethernet+IPv4+UDP frame from a to b. */
static size_t build_udp(uint8_t *buf, size_t cap, uint16_t dport, size_t payload) {
  synack_eth_repr_t eth = { .ethertype = SYNACK_ETHERTYPE_IPV4 };
  eth.src.b[5] = 1;
  eth.dst = (synack_mac_t){ { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 } };
  synack_ip4_repr_t ip = { .src = synack_ip4(198, 18, 0, 1), .dst = synack_ip4(198, 18, 0, 2), .ttl = 64,
                           .proto = SYNACK_IPPROTO_UDP };
  uint8_t data[512];
  memset(data, 'x', sizeof data);
  synack_udp_repr_t u = { .src_port = 5000, .dst_port = dport, .payload = data, .payload_len = payload };
  size_t n = synack_eth_emit(&eth, buf, cap);
  size_t ul = synack_udp_emit(&u, &ip.src, &ip.dst, buf + n + 20, cap - n - 20);
  synack_ip4_emit(&ip, ul, buf + n, 20);
  return n + 20 + ul;
}

static void udp_closed_port_gets_port_unreachable(void) {
  pair_t p;
  pair_init(&p);
  REQUIRE(p.a && p.b);
  synack_mac_t amac = { { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
  synack_ip_t aip = synack_ip4(198, 18, 0, 1);
  CHECK_EQ_I(synack_stack_neigh_add(p.b, &aip, &amac), 0);
  uint8_t frame[600];
  size_t n = build_udp(frame, sizeof frame, 9, 100);
  synack_stack_input(p.b, 0, frame, n, 0);
  CHECK_EQ_U(synack_stack_counters(p.b)->drops[SYNACK_DROP_UDP_NO_SOCKET], 1);
  synack_frame_t f;
  REQUIRE(synack_stack_poll_tx(p.b, 0, &f));
  synack_dissect_t d;
  CHECK_EQ_I(synack_dissect(f.data, f.len, true, &d), SYNACK_DROP_NONE);
  CHECK(d.has_icmp);
  CHECK_EQ_U(d.icmp.type, SYNACK_ICMP4_DEST_UNREACH);
  CHECK_EQ_U(d.icmp.code, SYNACK_ICMP4_PORT_UNREACH);
  /* The quote starts with the offending IP header. */
  REQUIRE(d.icmp.data_len >= 28);
  CHECK_MEM(d.icmp.data, frame + 14, 28);
  CHECK(!synack_stack_poll_tx(p.b, 0, &f));
  pair_free(&p);
}

static void malformed_frames_are_counted(void) {
  synack_config_t c = cfg_for(2);
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  uint8_t frame[600];
  size_t n = build_udp(frame, sizeof frame, 9, 20);
  /* Truncated Ethernet. */
  synack_stack_input(st, 0, frame, 10, 0);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_ETH_TRUNCATED], 1);
  /* Bad IPv4 header checksum. */
  uint8_t bad[600];
  memcpy(bad, frame, n);
  bad[14 + 10] ^= 0x55;
  synack_stack_input(st, 0, bad, n, 0);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_IP4_BAD_CHECKSUM], 1);
  /* Total length larger than the frame. */
  synack_stack_input(st, 0, frame, n - 4, 0);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_IP4_TOTLEN_GT_FRAME], 1);
  /* Another host's MAC. */
  memcpy(bad, frame, n);
  bad[5] = 0x77;
  synack_stack_input(st, 0, bad, n, 0);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_ETH_NOT_FOR_US], 1);
  /* Bad UDP checksum. */
  memcpy(bad, frame, n);
  bad[n - 1] ^= 1;
  synack_stack_input(st, 0, bad, n, 0);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_UDP_BAD_CHECKSUM], 1);
  /* Unknown ethertype. */
  memcpy(bad, frame, n);
  bad[12] = 0x88;
  bad[13] = 0xcc;
  synack_stack_input(st, 0, bad, n, 0);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_ETH_UNKNOWN_TYPE], 1);
  synack_stack_free(st);
}

/* Sends an IPv4 UDP datagram to b split into fragments of frag_len bytes, in the given order. */
static void send_fragments(synack_stack_t *st, const int *order, int norder, int count, size_t frag_len, uint16_t id) {
  uint8_t dgram[1024];
  synack_ip_t src = synack_ip4(198, 18, 0, 1), dst = synack_ip4(198, 18, 0, 2);
  uint8_t data[1000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)i;
  synack_udp_repr_t u = { .src_port = 5000, .dst_port = 7, .payload = data, .payload_len = frag_len * (size_t)count - 8 };
  size_t ul = synack_udp_emit(&u, &src, &dst, dgram, sizeof dgram);
  for (int k = 0; k < norder; k++) {
    int i = order[k];
    uint8_t frame[1100];
    synack_eth_repr_t eth = { .ethertype = SYNACK_ETHERTYPE_IPV4 };
    eth.dst = (synack_mac_t){ { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 } };
    synack_ip4_repr_t ip = { .src = src, .dst = dst, .ttl = 64, .proto = SYNACK_IPPROTO_UDP, .id = id };
    ip.frag_off = (uint16_t)(i * frag_len);
    ip.mf = i != count - 1;
    size_t off = (size_t)i * frag_len, len = frag_len;
    if (off + len > ul) len = ul - off;
    synack_eth_emit(&eth, frame, sizeof frame);
    synack_ip4_emit(&ip, len, frame + 14, 20);
    memcpy(frame + 34, dgram + off, len);
    synack_stack_input(st, 0, frame, 34 + len, 0);
  }
}

static void fragments_reassemble_in_any_order(void) {
  synack_config_t c = cfg_for(2);
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  synack_mac_t amac = { { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
  synack_ip_t aip = synack_ip4(198, 18, 0, 1);
  synack_stack_neigh_add(st, &aip, &amac);
  const int orders[3][4] = { { 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 } };
  for (int k = 0; k < 3; k++) send_fragments(st, orders[k], 4, 4, 200, (uint16_t)(100 + k));
  /* Each datagram reached UDP whole (no socket: port unreachable, but no quote since the
   * original is gone), and nothing is left in reassembly. */
  CHECK_EQ_U(synack_stack_counters(st)->events[SYNACK_CTR_REASSEMBLED], 3);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_UDP_NO_SOCKET], 3);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_UDP_BAD_CHECKSUM], 0);
  CHECK_EQ_U(synack_stack_next_deadline(st), SYNACK_TIME_NEVER);
  synack_stack_free(st);
}

static void fragments_time_out_and_overlaps_are_refused(void) {
  synack_config_t c = cfg_for(2);
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  const int part[2] = { 0, 1 };
  send_fragments(st, part, 2, 4, 200, 1); /* 2 of 4 fragments: never completes... */
  CHECK(synack_stack_next_deadline(st) <= SYNACK_MS(c.frag_timeout_ms));
  synack_stack_handle_timers(st, SYNACK_MS(c.frag_timeout_ms));
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_FRAG_TIMEOUT], 1);
  /* Overlap: bytes [208, 416) overlap the [200, 400) already held for the same datagram. */
  const int one[1] = { 1 };
  send_fragments(st, one, 1, 4, 200, 2);
  send_fragments(st, one, 1, 4, 208, 2);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_FRAG_OVERLAP], 1);
  synack_stack_free(st);
}

static void tx_ring_bounds_output(void) {
  synack_config_t c = cfg_for(1);
  c.tx_ring_frames = 4;
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  synack_mac_t bmac = { { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 } };
  synack_ip_t bip = synack_ip4(198, 18, 0, 2);
  synack_stack_neigh_add(st, &bip, &bmac);
  for (int i = 0; i < 4; i++) CHECK_EQ_I(synack_stack_ping(st, 0, &bip, 1, (uint16_t)i, 8), 0);
  CHECK_EQ_I(synack_stack_ping(st, 0, &bip, 1, 5, 8), -SYNACK_ENOBUFS);
  synack_frame_t f;
  int n = 0;
  while (synack_stack_poll_tx(st, 0, &f)) n++;
  CHECK_EQ_I(n, 4);
  CHECK_EQ_I(synack_stack_ping(st, 0, &bip, 1, 6, 8), 0);
  synack_stack_free(st);
}

static int trace_count[6];
static void count_trace(void *user, const synack_trace_event_t *ev) {
  (void)user;
  trace_count[ev->kind]++;
}

static void trace_hook_sees_frames_and_drops(void) {
  synack_config_t c = cfg_for(1);
  c.trace = count_trace;
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  memset(trace_count, 0, sizeof trace_count);
  synack_ip_t bip = synack_ip4(198, 18, 0, 2);
  synack_stack_ping(st, 0, &bip, 1, 1, 8);
  synack_frame_t f;
  while (synack_stack_poll_tx(st, 0, &f)) {}
  uint8_t junk[5] = { 0 };
  synack_stack_input(st, 0, junk, sizeof junk, 0);
  CHECK_EQ_I(trace_count[SYNACK_TRACE_FRAME_OUT], 1); /* the ARP request */
  CHECK_EQ_I(trace_count[SYNACK_TRACE_FRAME_IN], 1);
  CHECK_EQ_I(trace_count[SYNACK_TRACE_FRAME_DROP], 1);
  synack_stack_free(st);
}

static void config_presets(void) {
  synack_config_t c;
  synack_config_default(&c);
  CHECK_EQ_U(c.tcp_rto_initial_ms, 1000);
  CHECK_EQ_U(c.tcp_msl_ms, 30000);
  CHECK_EQ_I(synack_config_preset(&c, "freebsd"), 0);
  CHECK_EQ_I(c.tcp_opt_layout, SYNACK_OPT_LAYOUT_FREEBSD);
  CHECK_EQ_U(c.tcp_max_buf, 2u * 1024 * 1024);
  CHECK_EQ_I(synack_config_preset(&c, "rfc"), 0);
  CHECK_EQ_U(c.tcp_rto_min_ms, 1000);
  CHECK_EQ_I(synack_config_preset(&c, "nope"), -SYNACK_EINVAL);
  CHECK_STR(synack_errno_name(-SYNACK_ECONNRESET), "ECONNRESET");
  CHECK_STR(synack_drop_reason_name(SYNACK_DROP_TCP_BAD_CHECKSUM), "TCP_BAD_CHECKSUM");
}

TH_MAIN(TH_CASE(ping_v4_resolves_arp_and_replies), TH_CASE(ping_v6_resolves_nd_and_replies), TH_CASE(link_local_ping),
        TH_CASE(neighbour_resolution_gives_up), TH_CASE(udp_closed_port_gets_port_unreachable),
        TH_CASE(malformed_frames_are_counted), TH_CASE(fragments_reassemble_in_any_order),
        TH_CASE(fragments_time_out_and_overlaps_are_refused), TH_CASE(tx_ring_bounds_output),
        TH_CASE(trace_hook_sees_frames_and_drops), TH_CASE(config_presets))
