/* Socket-buffer memory on live connections (tcp_buf.c, tcp_mem.c, tcp_rcvtune.c): memory held
 * follows the bytes held and returns to the connection's own size once they are gone;
 * receive-buffer autotuning grows the buffer and the window offered; under memory pressure the
 * window offered shrinks and at the hard limit new chunks are refused and counted. */
#include "harness.h"
#include "tcp_internal.h"
#include "tcpfix.h"

#define MS SYNACK_MS
#define CH SYNACK_CHUNK

static size_t held(fx_t *fx) { return synack_stack_memory(fx->st) - synack_stack_memory_cached(fx->st); }
static size_t table(uint32_t span) { return (size_t)((span + CH - 1) / CH + 1) * sizeof(uint8_t *); }
static uint64_t ctr(fx_t *fx, synack_counter_t c) { return synack_stack_counters(fx->st)->events[c]; }
static uint64_t drops(fx_t *fx, synack_drop_reason_t r) { return synack_stack_counters(fx->st)->drops[r]; }

/* ESTABLISHED passively with a 50 ms RTT measured on the handshake (the SYN-ACK's ACK), both
 * sides scaling windows (ours by 7, from tcp_max_buf 4 MiB). */
static int open_rtt(fx_t *fx) {
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  if (fx_syn_received_(fx, __FILE__, __LINE__) < 0) return -1;
  fx_inject(fx, fx->now + MS(50), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  if (s >= 0) (void)fx_events(fx, s);
  return s;
}

/* The stack-wide socket-buffer thresholds (Linux's tcp_mem, docs/memory.md), in bytes: set low
 * enough for one connection's buffers to cross them. */
static void mem_limits(synack_config_t *c, uint64_t low, uint64_t pressure, uint64_t high) {
  c->tcp_mem_low = low;
  c->tcp_mem_pressure = pressure;
  c->tcp_mem_high = high;
}

/* A fixture on configuration c with a connection opened by open_rtt (*s its handle); NULL, with
 * the fixture freed, when either step fails. */
static fx_t *open_cfg(const synack_config_t *c, int *s) {
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, c);
  if (!fx) return NULL;
  *s = open_rtt(fx);
  if (*s < 0) {
    fx_free(fx);
    return NULL;
  }
  return fx;
}

/* The peer acknowledges up to `upto` bytes, or everything sent so far if that is less;
 * returns the bytes acknowledged. */
static uint32_t ack_upto(fx_t *fx, int s, uint32_t upto) {
  fx_flush_output(fx);
  synack_tcp_info_t i = fx_info(fx, s);
  uint32_t sent = i.snd_nxt - i.iss - 1;
  if (sent < upto) upto = sent;
  fx_inject(fx, fx->now + MS(1), FX_A, 1, 1 + upto);
  return upto;
}

/* Sending 20,000 bytes takes 5 chunks and the send table; acknowledged bytes give their
 * chunks back, every byte acknowledged gives all back. Receiving 2,800 takes one chunk and the
 * receive table; reading them gives both back. The stack's buffer memory is then 0 and its
 * memory what it was before (plus the connection's transmit log, allocated at the first send). */
static void memory_follows_send_and_drain(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = open_rtt(fx);
  FX_REQUIRE_(s >= 0);
  size_t idle = held(fx);
  CHECK_EQ_U(fx->st->tcp->bufmem, 0);
  CHECK_EQ_I(fx_send(fx, s, 20000, 0), 20000);
  size_t stab = table(fx->cfg.tcp_sndbuf);
  CHECK_EQ_U(fx->st->tcp->bufmem, 5 * CH + stab);
  size_t other = held(fx) - idle - fx->st->tcp->bufmem; /* not buffers: the transmit log */
  CHECK(other < 1024);
  CHECK_EQ_U(ack_upto(fx, s, 8192), 8192); /* two chunks' worth acknowledged: two chunks back */
  CHECK_EQ_U(fx->st->tcp->bufmem, 3 * CH + stab);
  CHECK_EQ_U(held(fx) - idle, 3 * CH + stab + other);
  for (int i = 0; i < 6 && fx_info(fx, s).snd_una - fx_info(fx, s).iss < 20001; i++) {
    fx_advance(fx, fx->now + MS(1)); /* a Nagle-held tail goes out once all before it is acknowledged */
    (void)ack_upto(fx, s, 20000);
  }
  CHECK_EQ_U(fx_info(fx, s).snd_una - fx_info(fx, s).iss, 20001);
  CHECK_EQ_U(fx->st->tcp->bufmem, 0);
  CHECK_EQ_U(held(fx), idle + other);
  /* Receive side: the ring's table covers SO_RCVBUF plus the scaled window's slack. */
  fx_inject(fx, fx->now + MS(1), FX_PA, 1, 20001, .len = 1400);
  fx_inject(fx, fx->now + MS(1), FX_PA, 1401, 20001, .len = 1400);
  uint32_t span = fx->cfg.tcp_rcvbuf + fx->cfg.tcp_rcvbuf / 8;
  CHECK_EQ_U(fx->st->tcp->bufmem, CH + table(span));
  uint8_t buf[4000];
  CHECK_EQ_I(fx_recv(fx, s, buf, 1000), 1000);
  CHECK_EQ_U(fx->st->tcp->bufmem, CH + table(span)); /* bytes still held: the chunk stays */
  CHECK_EQ_I(fx_recv(fx, s, buf, sizeof buf), 1800);
  CHECK_EQ_U(fx->st->tcp->bufmem, 0);
  CHECK_EQ_U(held(fx), idle + other);
  fx_free(fx);
}

/* Segments whose bytes the receive fast path placed but that are then dropped (an ACK of data
 * never sent; SYN+RST) or refused (a forged checksum) leave no chunk behind on an idle
 * connection. */
static void dropped_segments_leave_nothing(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = open_rtt(fx);
  FX_REQUIRE_(s >= 0);
  size_t idle = held(fx);
  /* RFC 9293 §3.10.7.4 fifth: an ACK of something not yet sent is answered and dropped. */
  fx_inject(fx, fx->now + MS(1), FX_PA, 1, 5000, .len = 1000);
  CHECK_EQ_U(fx_info(fx, s).rcv_nxt - fx_info(fx, s).irs, 1);
  CHECK_EQ_U(fx->st->tcp->bufmem, 0);
  fx_inject(fx, fx->now + MS(1), SYNACK_TCP_SYN | SYNACK_TCP_RST | SYNACK_TCP_ACK, 1, 1, .len = 1000);
  CHECK_EQ_U(fx->st->tcp->bufmem, 0);
  /* A corrupted checksum (the fast path verifies it while copying). */
  uint8_t pkt[2048];
  size_t n = fx_build(fx, &(fx_seg_t){ .flags = FX_PA, .seq = 1, .ack = 1, .len = 1000 }, &fx->peer_ip, fx->rport, pkt,
                      sizeof pkt);
  REQUIRE(n > 100);
  pkt[n - 1] ^= 0x55;
  uint64_t bad = drops(fx, SYNACK_DROP_TCP_BAD_CHECKSUM);
  fx_inject_raw(fx, fx->now + MS(1), pkt, n);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_BAD_CHECKSUM), bad + 1);
  CHECK_EQ_U(fx->st->tcp->bufmem, 0);
  fx_flush_output(fx);
  CHECK_EQ_U(held(fx), idle);
  fx_free(fx);
}

/* Feeds `total` bytes in 1,460-byte segments within one RTT, reading each as it arrives, then
 * lets one RTT pass. Returns the window field of the last ACK the stack sent. */
static void feed(fx_t *fx, int s, uint32_t *pseq, uint32_t total) {
  static uint8_t buf[1460];
  for (uint32_t done = 0; done < total; done += 1460) {
    uint32_t n = total - done < 1460 ? total - done : 1460;
    fx_inject(fx, fx->now, FX_PA, *pseq, 1, .len = n);
    *pseq += n;
    CHECK_EQ_I(fx_recv(fx, s, buf, sizeof buf), (int)n);
  }
}

static uint32_t last_window(fx_t *fx) {
  fx_drain(fx);
  uint32_t w = 0;
  fx_frame_t f;
  synack_dissect_t d;
  while (fx_pop_tcp(fx, &f, &d)) {
    w = d.tcp.window;
    free(f.buf);
  }
  return w;
}

/* Linux's tcp_rcv_space_adjust: reading 200,000 bytes in one RTT grows the 256 KiB buffer to
 * 2 * 200,000 + 16 segments, once the RTT has passed, and the window offered follows; a socket
 * whose SO_RCVBUF the application set keeps it. */
static void autotune(bool locked) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = open_rtt(fx);
  FX_REQUIRE_(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).rtt_us, 50000);
  if (locked) CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_SO_RCVBUF, 262144), 0);
  uint32_t pseq = 1;
  feed(fx, s, &pseq, 1460); /* the first read starts the measurement */
  fx_advance(fx, fx->now + MS(60));
  feed(fx, s, &pseq, 200020);
  int v = 0;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_RCVBUF, &v), 0);
  CHECK_EQ_I(v, 262144); /* not yet: less than one RTT since the measurement began */
  fx_advance(fx, fx->now + MS(60));
  fx_flush_output(fx);
  feed(fx, s, &pseq, 1460); /* the read after the RTT: the measurement ends */
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_RCVBUF, &v), 0);
  uint32_t want = locked ? 262144u : 2u * 200020u + 16u * 1460u;
  CHECK_EQ_I(v, (int)want);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_RCVBUF_GROWN), locked ? 0u : 1u);
  /* The window update that the larger buffer allows (RFC 7323 shift 7). */
  uint32_t w = last_window(fx);
  CHECK_EQ_U(w, want >> 7);
  CHECK_EQ_U(fx_info(fx, s).rcv_wnd, locked ? 262144u : want & ~127u);
  fx_free(fx);
}

static void autotune_grows_with_reads(void) { autotune(false); }
static void autotune_not_with_so_rcvbuf(void) { autotune(true); }

/* Under pressure (the connection's own unacknowledged 100 KB keep the stack over
 * tcp_mem_pressure) the window offered shrinks as data arrives, to 4 segments, while the
 * application reads everything; without pressure it stays at the whole buffer. */
static void pressure(bool on) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  if (on) mem_limits(&c, 32 * 1024, 64 * 1024, 1024 * 1024);
  c.tcp_rcvbuf_auto = false;
  int s = -1;
  fx_t *fx = open_cfg(&c, &s);
  REQUIRE(fx);
  CHECK_EQ_I(fx_send(fx, s, 100000, 0), 100000); /* the peer acknowledges none of it */
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_MEM_PRESSURE), on ? 1u : 0u);
  fx_flush_output(fx);
  uint32_t pseq = 1;
  feed(fx, s, &pseq, 262144 - 2920);
  fx_advance(fx, fx->now + MS(100)); /* the delayed ACK */
  uint32_t w = last_window(fx);
  /* Under pressure: the edge offered at the start is held (never moved left), then placed
   * 4 segments (5,840 bytes, 45 units of 128 rounded down) beyond RCV.NXT. */
  if (on) CHECK_EQ_U(w, 4u * 1460u >> 7);
  else CHECK((w << 7) > 262144u - 2u * 1460u); /* all the free space, give or take the last segments */
  fx_free(fx);
}

static void pressure_shrinks_window(void) { pressure(true); }
static void no_pressure_full_window(void) { pressure(false); }

/* Past tcp_mem_high: send() queues what fits and then says EAGAIN (counted); received data
 * that would need a second chunk (the third 1,400-byte segment) is dropped unacknowledged (TCP_MEM_LIMIT) while the first
 * chunk of a buffer that holds none is still granted. */
static void hard_limit_refuses_and_counts(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  mem_limits(&c, 16 * 1024, 32 * 1024, 64 * 1024);
  int s = -1;
  fx_t *fx = open_cfg(&c, &s);
  REQUIRE(fx);
  /* 15 chunks fit beside the table (64 KiB minus its 520 bytes). */
  CHECK_EQ_I(fx_send(fx, s, 100000, 0), 15 * CH);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_MEM_REFUSED), 1);
  CHECK_EQ_I(fx_send(fx, s, 1, 0), -SYNACK_EAGAIN);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_MEM_REFUSED), 2);
  fx_flush_output(fx);
  /* The receive buffer holds nothing: its first chunk is granted. */
  fx_inject(fx, fx->now + MS(1), FX_PA, 1, 1, .len = 1400);
  fx_advance(fx, fx->now + MS(100));
  fx_flush_output(fx);
  fx_inject(fx, fx->now + MS(1), FX_PA, 1401, 1, .len = 1400);
  CHECK_EQ_U(fx_info(fx, s).rcv_nxt - fx_info(fx, s).irs, 2801);
  /* 2,800..4,200 needs a second chunk: dropped, not acknowledged, counted. */
  fx_inject(fx, fx->now + MS(1), FX_PA, 2801, 1, .len = 1400);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MEM_LIMIT), 1);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_MEM_REFUSED), 3);
  CHECK_EQ_U(fx_info(fx, s).rcv_nxt - fx_info(fx, s).irs, 2801);
  /* The peer acknowledges everything sent: memory is back under the limit; its retransmission
   * is taken. */
  uint32_t acked = ack_upto(fx, s, 15 * CH);
  CHECK(acked >= 10 * 1460);
  fx_inject(fx, fx->now + MS(1), FX_PA, 2801, 1 + acked, .len = 1400);
  CHECK_EQ_U(fx_info(fx, s).rcv_nxt - fx_info(fx, s).irs, 4201);
  fx_free(fx);
}

static int sndbuf_of(fx_t *fx, int s) {
  int v = 0;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_SNDBUF, &v), 0);
  return v;
}

/* Send-buffer sizing from cwnd (Linux's tcp_sndbuf_expand, tcp_mem.c): starting from a 16 KiB
 * tcp_sndbuf, each ACK sets the limit to 2 * max(cwnd, 10 segments) while that is larger, so
 * slow start finds room to queue behind what is in flight; tcp_max_buf bounds it. A socket
 * whose SO_SNDBUF the application set keeps it. Under memory pressure the limit falls to half
 * the bytes queued (at least two chunks; sk_stream_moderate_sndbuf) and send() is held back. */
enum { SB_GROWS, SB_LOCKED, SB_PRESSURE };
static void sndbuf_cwnd(int mode) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_sndbuf = 16384;
  c.tcp_max_buf = 64 * 1024;
  if (mode == SB_PRESSURE) mem_limits(&c, 8 * 1024, 12 * 1024, 1024 * 1024);
  int s = -1;
  fx_t *fx = open_cfg(&c, &s);
  REQUIRE(fx);
  if (mode == SB_LOCKED) CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_SO_SNDBUF, 16384), 0);
  CHECK_EQ_I(sndbuf_of(fx, s), 16384);
  CHECK_EQ_I(fx_send(fx, s, 100000, 0), 16384); /* the limit, whatever cwnd */
  if (mode == SB_PRESSURE) {
    CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_MEM_PRESSURE), 1);
    CHECK_EQ_U(ack_upto(fx, s, 1460), 1460);
    /* 14,924 bytes still queued: the limit becomes 7,462, so no room (counted as EAGAIN). */
    CHECK_EQ_I(sndbuf_of(fx, s), 2 * (int)CH);
    CHECK_EQ_I(fx_send(fx, s, 1, 0), -SYNACK_EAGAIN);
    fx_free(fx);
    return;
  }
  uint32_t total = 16384, mss = fx_info(fx, s).snd_mss;
  CHECK_EQ_U(mss, 1460);
  int last = 16384;
  for (int round = 0; round < 12; round++) {
    fx_advance(fx, fx->now + MS(50));
    (void)ack_upto(fx, s, total);
    synack_tcp_info_t i = fx_info(fx, s);
    int cap = sndbuf_of(fx, s);
    if (mode == SB_LOCKED) {
      CHECK_EQ_I(cap, 16384);
    } else {
      /* cwnd counted in whole segments by tcp_info; the limit follows the bytes. */
      uint32_t lo = 2 * (i.snd_cwnd > 10 ? i.snd_cwnd : 10) * mss, hi = lo + 2 * mss;
      if (lo > c.tcp_max_buf) lo = c.tcp_max_buf;
      if (hi > c.tcp_max_buf) hi = c.tcp_max_buf;
      CHECK((uint32_t)cap >= lo && (uint32_t)cap <= hi);
      CHECK(cap >= last); /* never shrinks without pressure */
    }
    last = cap;
    int64_t n = fx_send(fx, s, 100000, 0);
    CHECK(n >= 0);
    if (n > 0) total += (uint32_t)n;
  }
  /* Slow start doubled cwnd past 32 KiB: the limit reached tcp_max_buf and the application
   * queued up to it. */
  if (mode == SB_GROWS) CHECK_EQ_I(last, 64 * 1024);
  fx_free(fx);
}

static void sndbuf_follows_cwnd(void) { sndbuf_cwnd(SB_GROWS); }
static void sndbuf_kept_with_so_sndbuf(void) { sndbuf_cwnd(SB_LOCKED); }
static void sndbuf_shrinks_under_pressure(void) { sndbuf_cwnd(SB_PRESSURE); }

TH_MAIN(TH_CASE(sndbuf_follows_cwnd), TH_CASE(sndbuf_kept_with_so_sndbuf), TH_CASE(sndbuf_shrinks_under_pressure), TH_CASE(memory_follows_send_and_drain), TH_CASE(dropped_segments_leave_nothing), TH_CASE(autotune_grows_with_reads), TH_CASE(autotune_not_with_so_rcvbuf),
        TH_CASE(pressure_shrinks_window), TH_CASE(no_pressure_full_window), TH_CASE(hard_limit_refuses_and_counts))
