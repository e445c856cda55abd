/* Listener: the SYN queue bound, SYN cookies (RFC 4987), a 100,000-SYN flood with and without
 * cookies, accept-queue overflow with and without abort-on-overflow. Issue 3, tests 8 and 9. */
#include "harness.h"
#include "tcpfix.h"

#define SYN_BACKLOG 16
#define ALL_SYN_OPTS (SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_WSCALE)

static void flood_cfg(synack_config_t *c) {
  c->tcp_syn_backlog = SYN_BACKLOG;
  c->ip4_prefix = 16; /* the spoofed sources are on-link */
}
static void flood_cfg_nocookies(synack_config_t *c) {
  flood_cfg(c);
  c->tcp_syncookies = false;
}

static uint64_t ctr(fx_t *fx, synack_counter_t c) { return synack_stack_counters(fx->st)->events[c]; }
static uint64_t drops(fx_t *fx, synack_drop_reason_t r) { return synack_stack_counters(fx->st)->drops[r]; }

typedef struct {
  size_t synacks, max_halfopen;
  size_t mem_max;
} flood_stats_t;

static uint64_t xs(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* n spoofed SYNs 10 us apart from random 198.18.a.b sources; output discarded (counted). */
static void flood(fx_t *fx, unsigned n, uint64_t seed, flood_stats_t *fs) {
  uint8_t pkt[256];
  uint64_t r = seed | 1;
  memset(fs, 0, sizeof *fs);
  fx->only_peer = true; /* later SYN-ACK retransmissions to spoofed sources are not the test's */
  for (unsigned i = 0; i < n; i++) {
    uint64_t v = xs(&r);
    synack_ip_t src = synack_ip4(198, 18, (uint8_t)(1 + v % 254), (uint8_t)(1 + (v >> 8) % 254));
    uint16_t sport = (uint16_t)(1024 + (v >> 16) % 60000);
    fx_seg_t seg = { .flags = FX_S, .seq = (uint32_t)(v >> 32), .abs = true,
                     .opt = { .has = SYNACK_TCPOPT_HAS_MSS, .mss = 1460 } };
    size_t len = fx_build(fx, &seg, &src, sport, pkt, sizeof pkt);
    fx->now += 10;
    if (synack_stack_next_deadline(fx->st) <= fx->now) synack_stack_handle_timers(fx->st, fx->now);
    synack_stack_input(fx->st, fx->now, pkt, len, 0);
    synack_frame_t f;
    while (synack_stack_poll_tx(fx->st, fx->now, &f)) fs->synacks++;
    if (i % 512 == 0 || i == n - 1) {
      size_t h = fx_count_kind(fx, SYNACK_CONN_HALFOPEN);
      if (h > fs->max_halfopen) fs->max_halfopen = h;
      size_t m = synack_stack_memory(fx->st);
      if (m > fs->mem_max) fs->mem_max = m;
    }
  }
}

/* Test 8 with cookies: half-open memory stays bounded, and a legitimate client connects. */
static void syn_flood_with_cookies(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, flood_cfg);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 128) >= 0);
  size_t mem0 = synack_stack_memory(fx->st);
  flood_stats_t fs;
  flood(fx, 100000, 42, &fs);
  CHECK(fs.max_halfopen <= SYN_BACKLOG);
  CHECK(fx_count_kind(fx, SYNACK_CONN_HALFOPEN) <= SYN_BACKLOG);
  CHECK(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT) >= 100000 - SYN_BACKLOG - 1000);
  CHECK(fs.synacks >= 99000); /* every SYN is answered (ring permitting) */
  /* memory: no growth per spoofed SYN beyond the bounded queue */
  CHECK(fs.mem_max <= mem0 + SYN_BACKLOG * 1024 + 65536);
  fprintf(stderr, "syn flood (cookies): max half-open %zu, memory %zu -> max %zu bytes, %zu SYN-ACKs\n",
          fs.max_halfopen, mem0, fs.mem_max, fs.synacks);

  /* The legitimate client, with every option. */
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7 };
  synack_time_t t = fx->now + SYNACK_MS(1);
  fx_inject(fx, t, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = t, .opt = { .has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_TS });
  fx->ts_on = true;
  uint64_t ok0 = ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_OK);
  fx_inject(fx, t + SYNACK_MS(20), FX_A, 1, 1);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_OK), ok0 + 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK(i.snd_mss <= 1460 && i.snd_mss >= 1200);
  /* RFC 4987 with timestamps: window scale and SACK permission survive in the cookie */
  CHECK_EQ_U(i.options & (SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE | SYNACK_TCPI_OPT_TIMESTAMPS),
             SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE | SYNACK_TCPI_OPT_TIMESTAMPS);
  CHECK_EQ_U(i.snd_wscale, 7);
  fx_inject(fx, fx->now + SYNACK_MS(5), FX_PA, 1, 1, .len = 100);
  uint8_t buf[256];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  fx_free(fx);
}

/* Test 8 without cookies: the queue fills, further SYNs (the legitimate one too) are dropped. */
static void syn_flood_without_cookies(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, flood_cfg_nocookies);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 128) >= 0);
  size_t mem0 = synack_stack_memory(fx->st);
  flood_stats_t fs;
  flood(fx, 100000, 43, &fs);
  CHECK(fs.max_halfopen <= SYN_BACKLOG);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT), 0);
  CHECK(drops(fx, SYNACK_DROP_TCP_SYN_QUEUE_FULL) >= 100000 - 200);
  CHECK(fs.mem_max <= mem0 + SYN_BACKLOG * 1024 + 65536);
  fprintf(stderr, "syn flood (no cookies): max half-open %zu, memory %zu -> max %zu bytes, %zu SYN-ACKs\n",
          fs.max_halfopen, mem0, fs.mem_max, fs.synacks);
  synack_time_t t = fx->now + SYNACK_MS(1);
  uint64_t d0 = drops(fx, SYNACK_DROP_TCP_SYN_QUEUE_FULL);
  fx_inject(fx, t, FX_S, 0, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_SYN_QUEUE_FULL), d0 + 1);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* The SYN queue bound exactly: SYN_BACKLOG entries, then drop (no cookies) or cookie. */
static void syn_queue_bound(void) {
  for (int cookies = 0; cookies < 2; cookies++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, cookies ? flood_cfg : flood_cfg_nocookies);
    REQUIRE(fx);
    REQUIRE(fx_listen(fx, 128) >= 0);
    for (int k = 0; k < SYN_BACKLOG; k++) {
      fx->rport = (uint16_t)(41000 + k);
      fx_inject(fx, SYNACK_MS(1) + (synack_time_t)k, FX_S, 0, 0);
      fx_expect(fx, FX_SA, 0, 1);
    }
    CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), SYN_BACKLOG);
    fx->rport = 42000;
    uint64_t sent0 = ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT);
    fx_inject(fx, SYNACK_MS(2), FX_S, 0, 0);
    if (cookies) {
      fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(2));
      CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT), sent0 + 1);
      /* a cookie SYN-ACK keeps no state: it is never retransmitted */
      CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), SYN_BACKLOG);
      fx_advance(fx, SYNACK_MS(1500));
      fx_frame_t f;
      synack_dissect_t d;
      while (fx_pop_tcp(fx, &f, &d)) {
        CHECK(d.tcp.dst_port != 42000);
        free(f.buf);
      }
    } else {
      fx_expect_none(fx);
    }
    fx_free(fx);
  }
}

static void linux_syn_queue(synack_config_t *c) {
  REQUIRE(synack_config_preset(c, "linux") == 0);
  c->tcp_syn_backlog = 1000; /* far above the listen backlog below */
}
static void linux_syn_queue_nocookies(synack_config_t *c) {
  linux_syn_queue(c);
  c->tcp_syncookies = false;
}
static void linux_syn_queue_small(synack_config_t *c) {
  linux_syn_queue_nocookies(c);
  c->tcp_syn_backlog = 2; /* without cookies: dropped once tcp_syn_backlog - queued < tcp_syn_backlog / 4 */
}

/* cfg.tcp_syn_queue_linux (Linux's tcp_conn_request): the SYN queue is full once it holds more
 * than the listen backlog (2: three entries), whatever tcp_syn_backlog says; the next SYN gets
 * a cookie, or is dropped without cookies. Without cookies also when fewer than a quarter of
 * tcp_syn_backlog places are left, counted as Linux does, signed (2: three entries, 2 - 3 < 0). */
static void syn_queue_linux_backlog(void) {
  void (*cfgs[])(synack_config_t *) = { linux_syn_queue, linux_syn_queue_nocookies, linux_syn_queue_small };
  for (size_t i = 0; i < 3; i++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, cfgs[i]);
    REQUIRE(fx);
    REQUIRE(fx_listen(fx, i == 2 ? 100 : 2) >= 0);
    for (int k = 0; k < 3; k++) {
      fx->rport = (uint16_t)(41000 + k);
      fx_inject(fx, SYNACK_MS(1) + (synack_time_t)k, FX_S, 0, 0);
      fx_expect(fx, FX_SA, 0, 1);
    }
    CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 3);
    fx->rport = 42000;
    uint64_t sent0 = ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT);
    fx_inject(fx, SYNACK_MS(2), FX_S, 0, 0);
    if (i == 0) {
      fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(2));
      CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT), sent0 + 1);
    } else {
      fx_expect_none(fx);
    }
    CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 3);
    fx_free(fx);
  }
}

/* An ACK that is not a valid cookie while cookies are in use: RST <SEQ=SEG.ACK>, no connection. */
static void forged_cookie_ack(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, flood_cfg);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 128) >= 0);
  flood_stats_t fs;
  flood(fx, 200, 5, &fs);
  uint64_t f0 = ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_FAILED);
  fx->isn = 0;
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 0x12345678, .abs = true);
  fx_expect(fx, FX_R, 0x12345678, 0, .abs = true);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_FAILED), f0 + 1);
  synack_endpoint_t rem;
  fx_check_rc(synack_accept(fx->st, fx->listener, &rem), -SYNACK_EAGAIN);
  fx_free(fx);
}

/* A cookie encodes the MSS (rounded down to a table value): a 536-byte client stays at <= 536. */
static void cookie_keeps_small_mss(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, flood_cfg);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 128) >= 0);
  flood_stats_t fs;
  flood(fx, 200, 6, &fs);
  fx->peer_syn = (fx_opt_t){ .has = SYNACK_TCPOPT_HAS_MSS, .mss = 536 };
  uint64_t sent0 = ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT), sent0 + 1);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK(i.snd_mss <= 536 && i.snd_mss > 0);
  fx_free(fx);
}

/* Completes handshakes from successive peer ports; returns how many reached the accept queue
 * before the first overflow (the overflowing client's port is left in fx->rport). */
static int fill_accept_queue(fx_t *fx, int max) {
  for (int k = 0; k < max; k++) {
    fx->rport = (uint16_t)(40000 + k);
    fx->peer_isn = 1000000u + 100000u * (uint32_t)k;
    uint64_t ov0 = ctr(fx, SYNACK_CTR_TCP_LISTEN_OVERFLOWS);
    fx_inject(fx, fx->now + SYNACK_MS(1), FX_S, 0, 0);
    if (!fx_expect_seg_(fx, __FILE__, __LINE__, &(fx_seg_t){ .flags = FX_SA, .seq = 0, .ack = 1 })) return -1;
    fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 1);
    if (ctr(fx, SYNACK_CTR_TCP_LISTEN_OVERFLOWS) > ov0) return k;
    fx_expect_none(fx);
  }
  return max;
}

/* Test 9: accept queue full, abort-on-overflow off: the final ACK is dropped silently; the
 * client's retransmission finds room once the application accepts. */
static void accept_overflow_drop(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 1) >= 0);
  int queued = fill_accept_queue(fx, 4);
  CHECK(queued >= 1 && queued <= 2);
  REQUIRE(queued >= 1 && queued < 4);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  /* data from the client that believes it is connected: dropped as well */
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_PA, 1, 1, .len = 20);
  fx_check(fx_state(fx) != SYNACK_TCP_ESTABLISHED);
  fx_flush_output(fx); /* the stack may re-send its SYN-ACK */
  synack_endpoint_t rem;
  CHECK(synack_accept(fx->st, fx->listener, &rem) >= 0);
  /* the client's next retransmission gets in */
  fx_inject(fx, fx->now + SYNACK_MS(200), FX_PA, 1, 1, .len = 20);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_expect(fx, FX_A, 1, 21, .t = fx->now, .within = SYNACK_MS(40));
  fx_free(fx);
}

/* Test 9 with abort-on-overflow: the overflowing final ACK gets <SEQ=SEG.ACK><CTL=RST>. */
static void abort_on_overflow(synack_config_t *c) { c->tcp_abort_on_overflow = true; }
static void accept_overflow_abort(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, abort_on_overflow);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 1) >= 0);
  int queued = fill_accept_queue(fx, 4);
  CHECK(queued >= 1 && queued <= 2);
  REQUIRE(queued >= 1 && queued < 4);
  fx_expect(fx, FX_R, 1, 0, .t = fx->now);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  synack_endpoint_t rem;
  int accepted = 0;
  while (synack_accept(fx->st, fx->listener, &rem) >= 0) accepted++;
  CHECK_EQ_I(accepted, queued);
  fx_free(fx);
}

/* listen()'s backlog is capped by tcp_max_backlog; a backlog of 0 still admits a connection. */
static void backlog_zero_admits_one(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 0) >= 0);
  CHECK(fill_accept_queue(fx, 1) == 1);
  synack_endpoint_t rem;
  CHECK(synack_accept(fx->st, fx->listener, &rem) >= 0);
  fx_free(fx);
}

/* Issue 14 §2 (the serve wedge): the socket table is full, so accept() says EMFILE while
 * connections wait in the queue; one of them has even been closed by its peer. When the
 * application closes a socket, the listener is told again (READABLE) and the queued
 * connections are accepted — the closed one too, reading EOF. Before the fix no event came,
 * the queue stayed full and every new connection was dropped for good. */
static void table_of_three(synack_config_t *c) { c->max_sockets = 3; }
static void accept_resumes_when_handles_free(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, table_of_three);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  REQUIRE(fill_accept_queue(fx, 3) == 3);
  /* the last queued client closes before it was ever accepted: CLOSE-WAIT in the queue */
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_FA, 1, 1);
  fx_expect(fx, FX_A, 1, 2, .t = fx->now, .within = SYNACK_MS(200));
  synack_endpoint_t rem;
  int a = synack_accept(fx->st, fx->listener, &rem), b = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(a >= 0 && b >= 0);
  CHECK_EQ_I(synack_accept(fx->st, fx->listener, &rem), -SYNACK_EMFILE);
  fx_events(fx, fx->listener); /* forget what was posted so far */
  CHECK_EQ_U(fx_events(fx, fx->listener), 0);
  CHECK_EQ_I(synack_close(fx->st, fx->now, a), 0);
  CHECK(fx_events(fx, fx->listener) & SYNACK_EV_READABLE);
  int c = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(c >= 0);
  CHECK_EQ_U(rem.port, fx->rport);
  CHECK_EQ_I(fx_sock_state(fx, c), SYNACK_TCP_CLOSE_WAIT);
  char buf[8];
  CHECK_EQ_I(synack_recv(fx->st, fx->now, c, buf, sizeof buf, 0), 0); /* EOF */
  /* no further wake-up while nothing is starved */
  CHECK_EQ_I(synack_close(fx->st, fx->now, b), 0);
  CHECK_EQ_U(fx_events(fx, fx->listener) & SYNACK_EV_READABLE, 0);
  fx_free(fx);
}

/* A counting allocator: what the stack still holds after synack_stack_free is a leak. */
static size_t live_bytes;
static void *count_alloc(void *user, size_t n) {
  (void)user;
  live_bytes += n;
  return calloc(1, n);
}
static void count_free(void *user, void *p, size_t n) {
  (void)user;
  live_bytes -= n;
  free(p);
}
static void counting_allocator(synack_config_t *c) {
  c->allocator.alloc = count_alloc;
  c->allocator.free = count_free;
}

/* A stack freed while a half-open entry holds the data that came on its SYN gives every byte
 * back (synack_tcp_fini once freed the entry but not its data; found by fuzz_tcp_state). */
static void free_with_syn_data_held(void) {
  live_bytes = 0;
  fx_t *fx = fx_new(SYNACK_AF_INET, counting_allocator);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 4) >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0, .len = 100);
  fx_expect(fx, FX_SA, 0, 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  fx_free(fx);
  CHECK_EQ_U(live_bytes, 0);
}

/* RFC 4987 §3.6 without timestamps: window scale and SACK-permitted have nowhere to come back
 * from (the TSecr carries them), so the cookie SYN-ACK offers the MSS alone, and the
 * connection made from the ACK has neither (offering them would let the peer scale windows
 * the connection does not unscale). */
static void cookie_without_timestamps_mss_only(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, flood_cfg);
  REQUIRE(fx);
  fx->cfg.tcp_syncookies_always = true;
  REQUIRE(synack_stack_set_config(fx->st, &fx->cfg) == 0);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS & ~(uint32_t)SYNACK_TCPOPT_HAS_TS, .mss = 1460, .ws = 7 };
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0, .nots = true);
  fx_expect(fx, FX_SA, 0, 1, .layout = "mss");
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SYNCOOKIES_SENT), 1);
  fx_inject(fx, SYNACK_MS(2), FX_A, 1, 1, .nots = true);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).options, 0);
  fx_free(fx);
}

/* TCP_DEFER_ACCEPT (as Linux's tcp_check_req / syn_ack_recalc): 5 s is kept as 3 SYN-ACK
 * timeouts and read back as 7 s; the bare final ACK is dropped and counted, nothing is resent
 * while the peer has the SYN-ACK, and the first data makes the connection, readable at once. */
static void defer_accept_waits_for_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 4), v = -1;
  REQUIRE(l >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_DEFER_ACCEPT, 5), 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, l, SYNACK_TCP_DEFER_ACCEPT, &v), 0);
  CHECK_EQ_I(v, 7);
  REQUIRE(fx_syn_received(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_MS(100), FX_A, 1, 1);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_DEFER_ACCEPT), 1);
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  synack_endpoint_t rem;
  CHECK_EQ_I(synack_accept(fx->st, l, &rem), -SYNACK_EAGAIN);
  /* the timeouts at 1 and 3 s pass without a SYN-ACK */
  fx_expect_none_until(fx, t0 + SYNACK_SEC(4));
  fx_inject(fx, t0 + SYNACK_SEC(4), FX_PA, 1, 1, .len = 100);
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  uint8_t b[200];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 100);
  fx_free(fx);
}

/* TCP_DEFER_ACCEPT: at the deferral's last timeout (7 s for 5 s) the SYN-ACK goes again, and a
 * bare ACK now makes the connection (the deferral is over). */
static void defer_accept_last_synack(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 4);
  REQUIRE(l >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_DEFER_ACCEPT, 5), 0);
  REQUIRE(fx_syn_received(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_MS(100), FX_A, 1, 1);
  fx_expect(fx, FX_SA, 0, 1, .t = t0 + SYNACK_SEC(7));
  fx_inject(fx, t0 + SYNACK_SEC(7) + SYNACK_MS(100), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_DEFER_ACCEPT), 1);
  fx_free(fx);
}

/* TCP_DEFER_ACCEPT outlives tcp_synack_retries (1 here): 2 s is 2 timeouts (read back 3 s);
 * the SYN-ACK goes again only at the last (3 s), the entry is dropped silently at the next
 * (7 s), and the peer's late data gets a RST. Without a bare ACK the entry would go at 3 s. */
static void one_synack_retry(synack_config_t *c) { c->tcp_synack_retries = 1; }
static void defer_accept_outlives_retries(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_synack_retry);
  REQUIRE(fx);
  int l = fx_listen(fx, 4), v = -1;
  REQUIRE(l >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_DEFER_ACCEPT, 2), 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, l, SYNACK_TCP_DEFER_ACCEPT, &v), 0);
  CHECK_EQ_I(v, 3);
  REQUIRE(fx_syn_received(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_MS(100), FX_A, 1, 1);
  fx_expect(fx, FX_SA, 0, 1, .t = t0 + SYNACK_SEC(3));
  fx_expect_none_until(fx, t0 + SYNACK_MS(7100));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_inject(fx, t0 + SYNACK_MS(7500), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_R, 1, 0, .t = t0 + SYNACK_MS(7500));
  fx_free(fx);
}

/* TCP_SAVE_SYN / TCP_SAVED_SYN (Linux's semantics): the accepted socket gives the SYN's IPv4
 * and TCP headers as received, once; too small a buffer learns the length and keeps them; a
 * listener without the option saves nothing; 2 (link header) is not supported, 3 is invalid. */
static void saved_syn(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 4), v = -1;
  REQUIRE(l >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_SAVE_SYN, 3), -SYNACK_EINVAL);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_SAVE_SYN, 2), -SYNACK_EOPNOTSUPP);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_SAVE_SYN, 1), 0);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, fx->now, FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_TCP_SAVE_SYN, &v), 0);
  CHECK_EQ_I(v, 1);
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_TCP_SAVED_SYN, &v), 0);
  REQUIRE(v >= 40);
  uint8_t b[256];
  size_t len = 10;
  CHECK_EQ_I(synack_getsockopt_saved_syn(fx->st, s, b, &len), -SYNACK_EINVAL);
  CHECK_EQ_U(len, (size_t)v);
  len = sizeof b;
  CHECK_EQ_I(synack_getsockopt_saved_syn(fx->st, s, b, &len), 0);
  CHECK_EQ_U(len, (size_t)v);
  /* an IPv4 header of 20 bytes, then the TCP header of the SYN: to our port, flags SYN only,
   * its data offset covering the rest (the MSS option the fixture's SYN carries) */
  CHECK_EQ_U(b[0], 0x45);
  CHECK_EQ_U(b[9], SYNACK_IPPROTO_TCP);
  CHECK_EQ_U((unsigned)(b[22] << 8 | b[23]), fx->lport);
  CHECK_EQ_U(b[33], SYNACK_TCP_SYN);
  CHECK_EQ_U(20u + 4u * (b[32] >> 4), len);
  len = sizeof b;
  CHECK_EQ_I(synack_getsockopt_saved_syn(fx->st, s, b, &len), 0); /* given once */
  CHECK_EQ_U(len, 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_TCP_SAVED_SYN, &v), 0);
  CHECK_EQ_I(v, 0);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx); /* no TCP_SAVE_SYN */
  REQUIRE(s >= 0);
  len = sizeof b;
  CHECK_EQ_I(synack_getsockopt_saved_syn(fx->st, s, b, &len), 0);
  CHECK_EQ_U(len, 0);
  fx_free(fx);
}

TH_MAIN(TH_CASE(saved_syn), TH_CASE(defer_accept_waits_for_data), TH_CASE(defer_accept_last_synack), TH_CASE(defer_accept_outlives_retries),
        TH_CASE(accept_resumes_when_handles_free), TH_CASE(free_with_syn_data_held), TH_CASE(syn_flood_with_cookies), TH_CASE(syn_flood_without_cookies), TH_CASE(syn_queue_bound), TH_CASE(syn_queue_linux_backlog),
        TH_CASE(forged_cookie_ack), TH_CASE(cookie_keeps_small_mss), TH_CASE(accept_overflow_drop),
        TH_CASE(accept_overflow_abort), TH_CASE(backlog_zero_admits_one), TH_CASE(cookie_without_timestamps_mss_only))
