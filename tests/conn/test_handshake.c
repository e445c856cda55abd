/* Opening a connection: three-way handshake both ways, lost / duplicated / delayed handshake
 * segments, simultaneous open, data on the SYN and on the third segment, old duplicates.
 * Issue 3, tests 1-4, 5 (simultaneous open) and 7 (old duplicate SYNs). */
#include "harness.h"
#include "tcpfix.h"

#define ALL_SYN_OPTS (SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_WSCALE)

static void active_open_family(int family, uint16_t mss) {
  fx_t *fx = fx_new(family, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, family);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  synack_endpoint_t rem, me;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  REQUIRE(synack_getsockname(fx->st, s, &me) == 0);
  fx->lport = me.port;
  fx_check(me.port >= fx->cfg.tcp_port_lo && me.port <= fx->cfg.tcp_port_hi);
  /* Default Linux layout; MSS = MTU - 40 (IPv4) / - 60 (IPv6); TSecr 0 on a SYN (RFC 7323 §3.2). */
  fx_expect(fx, FX_S, 0, 0, .t = 0, .layout = "mss,sackOK,TS,nop,wscale",
            .opt = { .has = ALL_SYN_OPTS, .mss = mss, .tsecr = 0, .check_tsecr = true });
  fx_check_state(fx, SYNACK_TCP_SYN_SENT);
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EALREADY);
  fx_check((fx_events(fx, s) & SYNACK_EV_CONNECTED) == 0);
  /* SYN-ACK 100 ms later, MSS only: the ACK carries no options. */
  fx_inject(fx, SYNACK_MS(100), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100), .layout = "");
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  uint32_t ev = fx_events(fx, s);
  fx_check(ev & SYNACK_EV_CONNECTED);
  fx_check(ev & SYNACK_EV_WRITABLE);
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EISCONN);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.iss, fx->isn);
  CHECK_EQ_U(i.irs, fx->peer_isn);
  CHECK_EQ_U(i.snd_nxt, fx->isn + 1);
  CHECK_EQ_U(i.rcv_nxt, fx->peer_isn + 1);
  CHECK_EQ_U(i.snd_una, fx->isn + 1);
  CHECK_EQ_U(i.options & SYNACK_TCPI_OPT_TIMESTAMPS, 0);
  CHECK_EQ_U(i.snd_mss, mss);
  fx_expect_none_until(fx, SYNACK_SEC(5));
  fx_free(fx);
}

static void active_open_v4(void) { active_open_family(SYNACK_AF_INET, 1460); }
static void active_open_v6(void) { active_open_family(SYNACK_AF_INET6, 1440); }

static void passive_open_family(int family) {
  fx_t *fx = fx_new(family, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 8);
  REQUIRE(l >= 0);
  fx_check_sock_state(fx, l, SYNACK_TCP_LISTEN);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0);
  /* Options answer what was offered: the peer sent MSS only. */
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10), .layout = "mss", .opt = { .has = SYNACK_TCPOPT_HAS_MSS });
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  synack_endpoint_t rem;
  fx_check_rc(synack_accept(fx->st, l, &rem), -SYNACK_EAGAIN);
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, 1);
  fx_expect_none(fx);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_check(fx_events(fx, l) & SYNACK_EV_READABLE);
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  fx_check(synack_ip_equal(&rem.ip, &fx->peer_ip));
  CHECK_EQ_U(rem.port, FX_PEER_PORT);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.iss, fx->isn);
  CHECK_EQ_U(i.rcv_nxt, fx->peer_isn + 1);
  CHECK_EQ_U(i.snd_nxt, fx->isn + 1);
  fx_check_rc(synack_accept(fx->st, l, &rem), -SYNACK_EAGAIN);
  fx_expect_none_until(fx, SYNACK_SEC(10));
  fx_free(fx);
}

static void passive_open_v4(void) { passive_open_family(SYNACK_AF_INET); }
static void passive_open_v6(void) { passive_open_family(SYNACK_AF_INET6); }

/* Peer offers everything: SYN-ACK answers with the Linux layout, TSecr echoes the peer's TSval,
 * and established segments carry nop,nop,TS. */
static void passive_open_all_options(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7 };
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "mss,sackOK,TS,nop,wscale",
            .opt = { .has = ALL_SYN_OPTS, .mss = 1460, .tsecr = fx->peer_ts_base + 1, .check_tsecr = true });
  fx->ts_on = true;
  fx_inject(fx, SYNACK_MS(2), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.options & (SYNACK_TCPI_OPT_TIMESTAMPS | SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE),
             SYNACK_TCPI_OPT_TIMESTAMPS | SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE);
  CHECK_EQ_U(i.snd_wscale, 7);
  CHECK(i.snd_mss == 1460 || i.snd_mss == 1460 - 12); /* with or without the TS option's 12 bytes */
  fx_check_rc(fx_send(fx, s, 10, 0), 10);
  fx_expect(fx, FX_PA, 1, 1, .len = 10, .layout = "nop,nop,TS",
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = fx->peer_ts_base + 2, .check_tsecr = true });
  fx_free(fx);
}

/* SYN lost every time: retransmitted at 1, 3, 7, 15, 31, 63 s (RTO 1 s doubling, 6 retries),
 * the attempt fails at 127 s with ETIMEDOUT. */
static void syn_lost_until_timeout(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  static const unsigned at[] = { 1, 3, 7, 15, 31, 63 };
  for (size_t k = 0; k < 6; k++) {
    fx_expect(fx, FX_S, 0, 0, .t = SYNACK_SEC(at[k]), .layout = "mss,sackOK,TS,nop,wscale");
    fx_check_state(fx, SYNACK_TCP_SYN_SENT);
  }
  fx_expect_none_until(fx, SYNACK_SEC(127) - 1);
  fx_check_state(fx, SYNACK_TCP_SYN_SENT);
  fx_expect_none_until(fx, SYNACK_SEC(127));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  uint32_t ev = fx_events(fx, s);
  fx_check(ev & SYNACK_EV_ERROR);
  CHECK_EQ_I(fx->everr[s], -SYNACK_ETIMEDOUT);
  fx_expect_none_until(fx, SYNACK_SEC(300));
  CHECK_EQ_U(synack_stack_next_deadline(fx->st), SYNACK_TIME_NEVER);
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_free(fx);
}

static void syn_retries_configurable(void) {
  synack_config_t cfg;
  fx_config(&cfg, SYNACK_AF_INET);
  cfg.tcp_syn_retries = 2;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &cfg);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_expect(fx, FX_S, 0, 0, .t = SYNACK_SEC(1));
  fx_expect(fx, FX_S, 0, 0, .t = SYNACK_SEC(3));
  fx_expect_none_until(fx, SYNACK_SEC(7));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_free(fx);
}

/* First SYN lost, the retransmission gets through. */
static void syn_lost_once(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_expect(fx, FX_S, 0, 0, .t = SYNACK_SEC(1));
  fx_inject(fx, SYNACK_MS(1050), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(1050));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_check(fx_events(fx, s) & SYNACK_EV_CONNECTED);
  fx_expect_none_until(fx, SYNACK_SEC(20));
  fx_free(fx);
}

/* Active side: the SYN-ACK is lost; the SYN is retransmitted at 1 s and the handshake completes. */
static void synack_lost_active_side(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  /* (the peer's SYN-ACK at 10 ms is lost) */
  fx_expect(fx, FX_S, 0, 0, .t = SYNACK_SEC(1));
  fx_inject(fx, SYNACK_MS(1010), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(1010));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Passive side: our SYN-ACK is lost; it is retransmitted after 1 s and the ACK completes the open. */
static void synack_lost_passive_side(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(1), .layout = "mss");
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  fx_inject(fx, SYNACK_MS(1020), FX_A, 1, 1);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  CHECK(synack_accept(fx->st, fx->listener, &rem) >= 0);
  fx_free(fx);
}

/* A retransmitted (duplicate) SYN reaching a half-open entry: the entry stays, and the answer
 * re-sends the SYN-ACK (Linux) or is the RFC 9293 §3.10.7.4 ACK <SEQ=SND.NXT><ACK=RCV.NXT>;
 * both acknowledge the SYN only. No second entry is created. */
static void dup_syn_at_halfopen(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, SYNACK_MS(500), FX_S, 0, 0);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  fx_check(d.tcp.ack == fx->peer_isn + 1);
  fx_check((d.tcp.flags == FX_SA && d.tcp.seq == fx->isn) || (d.tcp.flags == FX_A && d.tcp.seq == fx->isn + 1));
  free(f.buf);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  fx_inject(fx, SYNACK_MS(600), FX_A, 1, 1);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_free(fx);
}

/* The SYN delayed past its retransmission: both copies arrive; one connection results. */
static void delayed_syn_after_retransmission(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, SYNACK_SEC(1), FX_S, 0, 0); /* the retransmission arrives first */
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(1));
  fx_inject(fx, SYNACK_MS(1200), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_inject(fx, SYNACK_MS(1300), FX_S, 0, 0); /* the original, delayed: a SYN in ESTABLISHED */
  /* RFC 5961 §4 challenge ACK (RFC 793 would also answer an old SYN with an ACK). */
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(1300));
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  CHECK(s >= 0);
  fx_check_rc(synack_accept(fx->st, fx->listener, &rem), -SYNACK_EAGAIN);
  fx_free(fx);
}

/* The SYN-ACK duplicated / delayed at an ESTABLISHED client: answered by an ACK, state unchanged. */
static void dup_synack_at_client(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(300), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(300));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_expect_none_until(fx, SYNACK_SEC(3));
  fx_free(fx);
}

/* The third segment duplicated: the copy is a pure duplicate ACK and gets no answer. */
static void dup_ack_at_server(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(50), FX_A, 1, 1);
  fx_expect_none_until(fx, SYNACK_SEC(2));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Test 3a: the third ACK lost, the client sends data: the data segment's ACK completes the open
 * and the data is delivered. */
static void third_ack_lost_client_sends_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, SYNACK_MS(200), FX_PA, 1, 1, .len = 100);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  uint8_t buf[200];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  for (int k = 0; k < 100; k++) CHECK_EQ_U(buf[k], fx_pattern((uint32_t)k));
  fx_expect(fx, FX_A, 1, 101, .t = SYNACK_MS(200), .within = SYNACK_MS(40));
  fx_expect_none_until(fx, SYNACK_SEC(5));
  fx_free(fx);
}

/* Test 3b: the third ACK lost and the client silent: the SYN-ACK is retransmitted at 1 s and
 * the client re-ACKs; seen from both sides. */
static void third_ack_lost_client_silent(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(1));
  fx_inject(fx, SYNACK_MS(1001), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);

  /* The client's view: ESTABLISHED, the server's retransmitted SYN-ACK is re-ACKed. */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_SEC(1), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_SEC(1));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Test 4: SYN-ACK retransmitted at 1, 3, 7, 15, 31 s; the half-open entry is dropped at 63 s
 * and the client's later data is answered with <SEQ=SEG.ACK><CTL=RST>. */
static void synack_retries_exhausted(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  static const unsigned at[] = { 1, 3, 7, 15, 31 };
  for (size_t k = 0; k < 5; k++) fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(at[k]));
  fx_expect_none_until(fx, SYNACK_SEC(63) - 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  fx_expect_none_until(fx, SYNACK_SEC(63));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_inject(fx, SYNACK_SEC(70), FX_PA, 1, 1, .len = 50);
  fx_expect(fx, FX_R, 1, 0, .t = SYNACK_SEC(70));
  fx_expect_none(fx);
  synack_endpoint_t rem;
  fx_check_rc(synack_accept(fx->st, fx->listener, &rem), -SYNACK_EAGAIN);
  fx_free(fx);
}

/* RFC 7323 §4.1: a passive open with timestamps takes its first RTT sample from the TSecr of
 * the ACK that completes the handshake: 100 ms here (SRTT = R, RTTVAR = R/2, RFC 6298 §2.2). */
/* Karn (RFC 6298 §3) on the active side, with timestamps: the SYN went out twice (the first
 * copy waited, as for ARP, and the SYN-ACK echoes its TSval of 0 s): no RTT sample from the
 * handshake (it would read the 1 s wait), SRTT from the first data ACKed 10 ms later. */
static void active_open_karn_retransmitted_syn(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7 };
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  uint32_t first_tsval = fx->last_tsval;
  fx_expect(fx, FX_S, 0, 0, .t = SYNACK_SEC(1));
  fx_inject(fx, ((synack_time_t)1000500u), FX_SA, 0, 1,
            .opt = { .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7, .tsval = 5, .tsecr = first_tsval });
  fx->ts_on = true;
  fx_expect(fx, FX_A, 1, 1, .t = ((synack_time_t)1000500u));
  CHECK_EQ_U(fx_sock_state(fx, s), SYNACK_TCP_ESTABLISHED);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.rtt_us, 0);
  CHECK_EQ_U(i.total_retrans, 1);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = ((synack_time_t)1000500u));
  fx_inject(fx, ((synack_time_t)1010500u), FX_A, 1, 101);
  i = fx_info(fx, s);
  CHECK_EQ_U(i.rtt_us, 10000);
  CHECK_EQ_U(i.rttvar_us, 5000);
  fx_free(fx);
}

/* A 300 us handshake with timestamps: the sample is the SYN's (SYN-ACK's) own send time in
 * microseconds, 300 us on both sides; the echoed TSval's 1 ms tick read 0 ms (1 us), and the
 * first flight's probe timeout (2 SRTT + 4 RTTVAR) was then a few microseconds. */
static void handshake_rtt_below_a_tick(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7 };
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, 300u, FX_SA, 0, 1, .opt = { .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7, .tsval = 5, .tsecr = fx->last_tsval });
  fx->ts_on = true;
  fx_expect(fx, FX_A, 1, 1, .t = 300u);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.rtt_us, 300);
  CHECK_EQ_U(i.rttvar_us, 150);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7 };
  REQUIRE(fx_syn_received(fx) >= 0);
  REQUIRE(fx->ts_on);
  fx_inject(fx, 300u, FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  i = fx_info(fx, s);
  CHECK_EQ_U(i.rtt_us, 300);
  CHECK_EQ_U(i.rttvar_us, 150);
  fx_free(fx);
}

static void passive_open_ts_rtt_sample(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7 };
  REQUIRE(fx_syn_received(fx) >= 0);
  REQUIRE(fx->ts_on);
  fx_inject(fx, SYNACK_MS(100), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.options & SYNACK_TCPI_OPT_TIMESTAMPS, SYNACK_TCPI_OPT_TIMESTAMPS);
  CHECK_EQ_U(i.rtt_us, 100000);
  CHECK_EQ_U(i.rttvar_us, 50000);
  fx_free(fx);

  /* After a retransmission, no sample even with timestamps (Karn, RFC 6298 §3): a SYN-ACK held
   * for neighbour resolution leaves with its retransmission and its TSval dates from when it
   * was built. SRTT comes from the first clean sample: 100 bytes ACKed 30 ms later. */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1460, .ws = 7 };
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(1), .opt = { .has = SYNACK_TCPOPT_HAS_TS });
  fx_inject(fx, SYNACK_MS(1050), FX_A, 1, 1);
  s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  i = fx_info(fx, s);
  CHECK_EQ_U(i.rtt_us, 0);
  CHECK_EQ_U(i.rttvar_us, 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = SYNACK_MS(1050));
  fx_inject(fx, SYNACK_MS(1080), FX_A, 1, 101);
  i = fx_info(fx, s);
  CHECK_EQ_U(i.rtt_us, 30000);
  CHECK_EQ_U(i.rttvar_us, 15000);
  fx_free(fx);

  /* Without timestamps the retransmitted SYN-ACK gives no sample (RFC 6298 §3, Karn). */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(1));
  fx_inject(fx, SYNACK_MS(1050), FX_A, 1, 1);
  s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).rtt_us, 0);
  fx_free(fx);
}

/* TCP_NOOPT, active side: the SYN carries no option at all (not even MSS), so neither window
 * scaling, SACK nor timestamps are in use. A peer that answers without options leaves the RFC
 * 9293 §3.7.1 default MSS: 536 for IPv4, 1220 for IPv6 (RFC 8200's 1280-byte minimum MTU). */
static void noopt_active_family(int family, uint16_t default_mss) {
  fx_t *fx = fx_new(family, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, family);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NOOPT, 1), 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NODELAY, 1), 0);
  synack_endpoint_t rem, me;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  REQUIRE(synack_getsockname(fx->st, s, &me) == 0);
  fx->lport = me.port;
  fx_expect(fx, FX_S, 0, 0, .t = 0, .win = 65535, .layout = "");
  fx_inject(fx, SYNACK_MS(100), FX_SA, 0, 1, .noopt = true, .win = 8000);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100), .win = 65535, .layout = "");
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.options & (SYNACK_TCPI_OPT_TIMESTAMPS | SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE), 0);
  CHECK_EQ_U(i.snd_mss, default_mss);
  CHECK_EQ_U(i.snd_wscale, 0);
  CHECK_EQ_U(i.rcv_wscale, 0);
  fx_check_rc(fx_send(fx, s, default_mss + 100u, 0), default_mss + 100);
  fx_expect(fx, FX_A, 1, 1, .len = default_mss, .layout = "");
  fx_expect(fx, FX_PA, 1 + default_mss, 1, .len = 100, .layout = "");
  fx_expect_none(fx);
  fx_free(fx);

  /* The peer may still announce its MSS on the SYN-ACK: that one is honoured. */
  fx = fx_new(family, NULL);
  REQUIRE(fx);
  s = synack_socket(fx->st, family);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NOOPT, 1), 0);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  REQUIRE(synack_getsockname(fx->st, s, &me) == 0);
  fx->lport = me.port;
  fx_expect(fx, FX_S, 0, 0, .layout = "");
  fx_inject(fx, SYNACK_MS(100), FX_SA, 0, 1, .opt = { .has = ALL_SYN_OPTS, .mss = 1000, .ws = 7 });
  fx_expect(fx, FX_A, 1, 1, .layout = "");
  i = fx_info(fx, s);
  CHECK_EQ_U(i.snd_mss, 1000);
  CHECK_EQ_U(i.options & (SYNACK_TCPI_OPT_TIMESTAMPS | SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE), 0);
  fx_free(fx);
}

static void noopt_active_v4(void) { noopt_active_family(SYNACK_AF_INET, 536); }
static void noopt_active_v6(void) { noopt_active_family(SYNACK_AF_INET6, 1220); }

/* TCP_NOOPT on a listener: its SYN-ACK carries no option, whatever the SYN offered, and the
 * connection uses none. With a peer SYN without options the MSS is the default. */
static void noopt_passive_family(int family, uint16_t default_mss) {
  fx_t *fx = fx_new(family, NULL);
  REQUIRE(fx);
  fx->peer_syn = (fx_opt_t){ .has = ALL_SYN_OPTS, .mss = 1400, .ws = 7 };
  int l = fx_listen(fx, 8);
  REQUIRE(l >= 0);
  fx_check_rc(synack_setsockopt(fx->st, l, SYNACK_TCP_NOOPT, 1), 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10), .win = 65535, .layout = "");
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(1010), .layout = ""); /* the retransmission too */
  fx_inject(fx, SYNACK_MS(1020), FX_A, 1, 1, .nots = true);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.options & (SYNACK_TCPI_OPT_TIMESTAMPS | SYNACK_TCPI_OPT_SACK | SYNACK_TCPI_OPT_WSCALE), 0);
  CHECK_EQ_U(i.snd_mss, 1400); /* the peer's own announcement still counts */
  fx_check_rc(fx_send(fx, s, 10, 0), 10);
  fx_expect(fx, FX_PA, 1, 1, .len = 10, .win = 65535, .layout = "");
  fx_free(fx);

  fx = fx_new(family, NULL);
  REQUIRE(fx);
  l = fx_listen(fx, 8);
  REQUIRE(l >= 0);
  fx_check_rc(synack_setsockopt(fx->st, l, SYNACK_TCP_NOOPT, 1), 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0, .noopt = true);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10), .layout = "");
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, 1);
  s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, default_mss);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NODELAY, 1), 0);
  fx_check_rc(fx_send(fx, s, 2u * default_mss, 0), 2 * default_mss);
  fx_expect(fx, FX_A, 1, 1, .len = default_mss, .layout = "");
  fx_expect(fx, FX_A, 1 + default_mss, 1, .len = default_mss, .layout = "");
  fx_free(fx);
}

static void noopt_passive_v4(void) { noopt_passive_family(SYNACK_AF_INET, 536); }
static void noopt_passive_v6(void) { noopt_passive_family(SYNACK_AF_INET6, 1220); }

/* The client's retransmitted SYN arrives at the instant our SYN-ACK retransmission timer fires
 * (both ends wait 1 s): exactly one SYN-ACK answers both, and the schedule stays 1, 3, 7, 15,
 * 31 s with the entry dropped at 63 s even when the client's SYNs keep meeting the timer. Here
 * the timer runs first, then the SYN arrives (docs/tcp-choices.md, "SYN-ACK retransmission"). */
static void synack_timer_meets_dup_syn(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  uint32_t isn = fx->isn;
  const uint64_t *dropped = synack_stack_counters(fx->st)->drops;
  uint64_t dup0 = dropped[SYNACK_DROP_TCP_DUP_SYN];
  static const unsigned at[] = { 1, 3, 7, 15, 31 };
  for (size_t k = 0; k < 5; k++) {
    fx_inject(fx, SYNACK_SEC(at[k]), FX_S, 0, 0);
    fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(at[k]));
    fx_expect_none(fx); /* not a second, identical SYN-ACK */
    CHECK_EQ_U(fx->isn, isn);
    CHECK_EQ_U(dropped[SYNACK_DROP_TCP_DUP_SYN], dup0 + k + 1);
  }
  fx_expect_none_until(fx, SYNACK_SEC(63) - 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  fx_expect_none_until(fx, SYNACK_SEC(63));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_free(fx);
}

/* The same instant in the other order: the SYN is handled before the timer. The SYN-ACK that
 * answers it is the retransmission (the timer moves to 1 + 2 s), so again only one goes out. */
static void dup_syn_meets_synack_timer(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  uint64_t rtx0 = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_RETRANS_SEGS];
  fx_expect_none_until(fx, SYNACK_SEC(1) - 1);
  uint8_t pkt[256];
  size_t n = fx_build(fx, &(fx_seg_t){ .flags = FX_S, .seq = 0 }, &fx->peer_ip, fx->rport, pkt, sizeof pkt);
  REQUIRE(n > 0);
  fx->now = SYNACK_SEC(1);
  synack_stack_input(fx->st, fx->now, pkt, n, 0); /* the timer, due now too, has not run yet */
  fx_advance(fx, SYNACK_SEC(1));                 /* now it may */
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(1));
  fx_expect_none(fx);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_RETRANS_SEGS], rtx0 + 1);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(3));
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(7));
  fx_inject(fx, SYNACK_MS(7100), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* The guard is 5 ms: a repeated SYN 4 ms after a SYN-ACK is not answered, one 5 ms after is. */
static void dup_syn_guard_5ms(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, SYNACK_MS(4), FX_S, 0, 0);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(5), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(5));
  fx_expect_none(fx);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(2005));
  fx_free(fx);
}

/* A repeated SYN between two timer firings is answered at once and counts as the next
 * retransmission: the timer restarts from it with the next backoff, so later SYN-ACKs come
 * earlier than the plain schedule, never later, and the entry gives up within 63 s. */
static void dup_syn_restarts_synack_backoff(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, SYNACK_MS(500), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(500));
  static const unsigned at_ms[] = { 2500, 6500, 14500, 30500 };
  for (size_t k = 0; k < 4; k++) fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(at_ms[k]));
  fx_expect_none_until(fx, SYNACK_MS(62500) - 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  fx_expect_none_until(fx, SYNACK_MS(62500));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_free(fx);
}

/* After the last retransmission a repeated SYN does what the timer would do a moment later:
 * the entry ends and the SYN starts a new one (a new ISS, a fresh schedule). */
static void dup_syn_after_retries_exhausted(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  uint32_t isn = fx->isn;
  static const unsigned at[] = { 1, 3, 7, 15, 31 };
  for (size_t k = 0; k < 5; k++) fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(at[k]));
  fx_inject(fx, SYNACK_SEC(40), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(40));
  fx_check(fx->isn != isn);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(41));
  fx_inject(fx, SYNACK_MS(41010), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Test 5: simultaneous open, four segments: SYN out, SYN in, SYN-ACK out, SYN-ACK in. */
static void simultaneous_open(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0);
  /* RFC 9293 §3.10.7.3: SYN-SENT + SYN → SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10));
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_RECEIVED);
  fx_check((fx_events(fx, s) & SYNACK_EV_CONNECTED) == 0);
  fx_inject(fx, SYNACK_MS(20), FX_SA, 0, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_check(fx_events(fx, s) & SYNACK_EV_CONNECTED);
  fx_expect_none(fx);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.snd_nxt, fx->isn + 1);
  CHECK_EQ_U(i.rcv_nxt, fx->peer_isn + 1);
  /* the connection works */
  fx_check_rc(fx_send(fx, s, 5, 0), 5);
  fx_expect(fx, FX_PA, 1, 1, .len = 5, .t = SYNACK_MS(20));
  fx_free(fx);
}

/* Simultaneous open where our SYN-ACK is lost: it is retransmitted (a SYN-ACK, not a SYN). */
static void simultaneous_open_synack_lost(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10));
  fx_frame_t f;
  synack_dissect_t d;
  fx_advance(fx, SYNACK_SEC(4));
  bool saw = false;
  while (fx_pop_tcp(fx, &f, &d)) {
    fx_check(d.tcp.flags == FX_SA && d.tcp.seq == fx->isn && d.tcp.ack == fx->peer_isn + 1);
    saw = true;
    free(f.buf);
  }
  fx_check(saw);
  fx_inject(fx, SYNACK_SEC(4), FX_A, 1, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Data on a SYN (no fast open): not acknowledged by the SYN-ACK, not readable before the
 * handshake completes; held and delivered once it does (the chosen behaviour). */
static void data_on_syn_held(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0, .len = 10);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10));
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  fx_inject(fx, SYNACK_MS(20), FX_A, 11, 1);
  /* The held bytes are acknowledged only now. */
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  fx_expect(fx, FX_A, 1, 11, .t = SYNACK_MS(20), .within = SYNACK_MS(40));
  uint8_t buf[32];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 10);
  fx_free(fx);
}

/* The window offered with the SYN-ACK counts from the SYN: once the held SYN data sits in the
 * receive ring, the right edge stays where it was (irs + 1 + 4096), it does not move by the data
 * (found by fuzz_tcp_state: the edge moved 1460 bytes past what the ring could hold). */
static void small_rcvbuf(synack_config_t *c) { c->tcp_rcvbuf = 4096; }
static void data_on_syn_keeps_right_edge(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, small_rcvbuf);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0, .len = 1000);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10), .win = 4096);
  fx_inject(fx, SYNACK_MS(20), FX_A, 1001, 1);
  fx_advance(fx, SYNACK_MS(100));
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  CHECK_EQ_U(d.tcp.ack - fx->peer_isn, 1001);
  CHECK_EQ_U(d.tcp.window, 4096 - 1000); /* ack 1001 + 3096 = 4097: the edge of the SYN-ACK */
  free(f.buf);
  fx_free(fx);
}

/* Data on the third segment is accepted and delivered. */
static void data_on_third_segment(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, SYNACK_MS(30), FX_A, 1, 1, .len = 20);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  uint8_t buf[64];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 20);
  fx_expect(fx, FX_A, 1, 21, .t = SYNACK_MS(30), .within = SYNACK_MS(40));
  fx_free(fx);
}

/* Test 7 (SYN-SENT): an old SYN-ACK whose ACK does not cover our SYN gets <SEQ=SEG.ACK><CTL=RST>
 * (RFC 9293 §3.10.7.3); the socket keeps waiting and completes with the right SYN-ACK. */
static void old_dup_synack_at_syn_sent(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_SA, 777, 5000);
  fx_expect(fx, FX_R, 5000, 0, .t = SYNACK_MS(10));
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  /* An ACK at or below ISS is just as unacceptable. */
  fx_inject(fx, SYNACK_MS(15), FX_SA, 777, 0);
  fx_expect(fx, FX_R, 0, 0, .t = SYNACK_MS(15));
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  fx_inject(fx, SYNACK_MS(20), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(20));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Test 7 (listener), RFC 793 figure 9 from the server's side: an old SYN creates a half-open
 * entry; the client's RST (seq = our RCV.NXT) removes it; the new SYN opens normally. */
static void old_dup_syn_at_listener(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  uint32_t old_isn = fx->isn;
  fx_inject(fx, SYNACK_MS(10), FX_R, 1, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_check_sock_state(fx, fx->listener, SYNACK_TCP_LISTEN);
  fx->peer_isn += 90000; /* the client's real SYN */
  fx_inject(fx, SYNACK_MS(20), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(20));
  fx_check(fx->isn != old_isn);
  fx_inject(fx, SYNACK_MS(30), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* No listener: a SYN gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; an ACK gets <SEQ=SEG.ACK><CTL=RST>;
 * a RST gets nothing (RFC 9293 §3.10.7.1). */
static void closed_port_resets(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->isn = 0;
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0);
  fx_expect(fx, FX_RA, 0, 1, .t = SYNACK_MS(1));
  fx_inject(fx, SYNACK_MS(2), FX_S, 0, 0, .len = 5); /* SYN with data: ack covers SYN + data */
  fx_expect(fx, FX_RA, 0, 6, .t = SYNACK_MS(2));
  fx_inject(fx, SYNACK_MS(3), FX_A, 1, 4242);
  fx_expect(fx, FX_R, 4242, 0, .t = SYNACK_MS(3));
  fx_inject(fx, SYNACK_MS(4), FX_PA, 1, 4242, .len = 30);
  fx_expect(fx, FX_R, 4242, 0, .t = SYNACK_MS(4));
  fx_inject(fx, SYNACK_MS(5), FX_F, 1, 0); /* no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
  fx_expect(fx, FX_RA, 0, 2, .t = SYNACK_MS(5));
  fx_inject(fx, SYNACK_MS(6), FX_R, 1, 0);
  fx_inject(fx, SYNACK_MS(7), FX_RA, 1, 1);
  fx_expect_none(fx);
  fx_free(fx);
}

static void closed_port_resets_v6(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET6, NULL);
  REQUIRE(fx);
  fx->isn = 0;
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0);
  fx_expect(fx, FX_RA, 0, 1, .t = SYNACK_MS(1));
  fx_inject(fx, SYNACK_MS(3), FX_A, 1, 4242);
  fx_expect(fx, FX_R, 4242, 0, .t = SYNACK_MS(3));
  fx_free(fx);
}

TH_MAIN(TH_CASE(active_open_v4), TH_CASE(handshake_rtt_below_a_tick), TH_CASE(active_open_v6), TH_CASE(passive_open_v4), TH_CASE(passive_open_v6),
        TH_CASE(passive_open_all_options), TH_CASE(syn_lost_until_timeout), TH_CASE(syn_retries_configurable),
        TH_CASE(syn_lost_once), TH_CASE(synack_lost_active_side), TH_CASE(synack_lost_passive_side),
        TH_CASE(dup_syn_at_halfopen), TH_CASE(delayed_syn_after_retransmission), TH_CASE(dup_synack_at_client),
        TH_CASE(dup_ack_at_server), TH_CASE(third_ack_lost_client_sends_data), TH_CASE(third_ack_lost_client_silent),
        TH_CASE(synack_retries_exhausted), TH_CASE(simultaneous_open), TH_CASE(simultaneous_open_synack_lost),
        TH_CASE(data_on_syn_held), TH_CASE(data_on_syn_keeps_right_edge), TH_CASE(data_on_third_segment), TH_CASE(old_dup_synack_at_syn_sent),
        TH_CASE(old_dup_syn_at_listener), TH_CASE(closed_port_resets), TH_CASE(closed_port_resets_v6),
        TH_CASE(synack_timer_meets_dup_syn), TH_CASE(dup_syn_meets_synack_timer), TH_CASE(dup_syn_restarts_synack_backoff),
        TH_CASE(dup_syn_guard_5ms),
        TH_CASE(dup_syn_after_retries_exhausted), TH_CASE(passive_open_ts_rtt_sample), TH_CASE(active_open_karn_retransmitted_syn), TH_CASE(noopt_active_v4),
        TH_CASE(noopt_active_v6), TH_CASE(noopt_passive_v4), TH_CASE(noopt_passive_v6))
