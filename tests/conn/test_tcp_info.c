/* tcp_info (tcp_info.c): the fields that carry Linux's tcpi_* meanings — ca_state through a
 * recovery and a timeout, probes (zero window, keepalive), the times since the last data sent,
 * data received and ACK received, advmss, notsent_bytes, min_rtt, data segments each way and
 * out-of-order arrivals; the sender's chronograph (busy, rwnd-limited, sndbuf-limited time),
 * segments delivered, RTO episodes and their time, the pacing rate. */
#include "harness.h"
#include "tcpfix.h"

static void counts_and_times(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.advmss, 1460);
  CHECK_EQ_U(ti.ca_state, 0);
  CHECK_EQ_U(ti.data_segs_in, 0);
  CHECK_EQ_U(ti.min_rtt_us, UINT32_MAX); /* no sample yet without RACK */
  fx_inject(fx, SYNACK_MS(10), FX_PA, 1, 1, .len = 100);
  fx_inject(fx, SYNACK_MS(20), FX_PA, 201, 1, .len = 100); /* out of order */
  fx_inject(fx, SYNACK_MS(30), FX_PA, 101, 1, .len = 100);
  fx_drain(fx);
  fx_inject(fx, SYNACK_MS(40), FX_A, 301, 1, .win = 2000);
  fx_check_rc(fx_send(fx, s, 5000, 0), 5000);
  fx_drain(fx);
  fx_advance(fx, SYNACK_MS(90));
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.data_segs_in, 3);
  CHECK_EQ_U(ti.rcv_ooopack, 1);
  CHECK_EQ_U(ti.data_segs_out, 1); /* the peer's 2000-byte window: one full segment (SWS) */
  CHECK_EQ_U(ti.notsent_bytes, 5000 - 1460);
  CHECK_EQ_U(ti.last_data_recv_ms, 60);
  CHECK_EQ_U(ti.last_ack_recv_ms, 50);
  CHECK_EQ_U(ti.last_data_sent_ms, 50);
  fx_free(fx);
}

/* ca_state: 1 with SACKed data before recovery, 3 in fast recovery, 4 after a timeout; probes counts unanswered zero-window probes. */
static void states_and_probes(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM;
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 5 * 1460, 0), 5 * 1460);
  fx_drain(fx);
  /* the first segment is lost: SACKs for the other four; after the first, the connection is
   * open with SACKed data: Linux's Disorder state */
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1, .nsack = 1, .sack = { { 1461, 1 + 2 * 1460 } });
  fx_drain(fx);
  CHECK_EQ_U(fx_info(fx, s).ca_state, 1);
  for (uint32_t k = 3; k <= 4; k++)
    fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1, .nsack = 1, .sack = { { 1461, 1 + k * 1460 } });
  fx_drain(fx);
  CHECK_EQ_U(fx_info(fx, s).ca_state, 3);
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, 1 + 5 * 1460);
  fx_drain(fx);
  CHECK_EQ_U(fx_info(fx, s).ca_state, 0);
  /* a timeout */
  fx_check_rc(fx_send(fx, s, 100, 5 * 1460), 100);
  fx_drain(fx);
  fx_advance(fx, SYNACK_SEC(5));
  fx_drain(fx);
  CHECK_EQ_U(fx_info(fx, s).ca_state, 4);
  CHECK(fx_info(fx, s).rtos >= 1);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 1 + 5 * 1460 + 100, .win = FX_WIN_ZERO);
  CHECK_EQ_U(fx_info(fx, s).ca_state, 0);
  /* zero window: probes, not answered */
  fx_check_rc(fx_send(fx, s, 100, 5 * 1460 + 100), 100);
  fx_advance(fx, fx->now + SYNACK_SEC(10));
  fx_drain(fx);
  CHECK(fx_info(fx, s).probes >= 2);
  fx_free(fx);
}

/* busy while data is queued or in flight; rwnd-limited while the peer's window holds the next
 * segment back; sndbuf-limited from a write that found the buffer full until an ACK frees room */
static void chrono_and_delivered(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.delivered, 1); /* the SYN-ACK */
  CHECK_EQ_U(ti.busy_time_us, 0);
  CHECK_EQ_U(ti.max_pacing_rate, UINT64_MAX);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NODELAY, 1), 0);
  fx->now = SYNACK_MS(100);
  fx_inject(fx, SYNACK_MS(100), FX_A, 1, 1, .win = 2000);
  fx_check_rc(fx_send(fx, s, 3000, 0), 3000); /* 1460 go, the rest waits for the window */
  fx_inject(fx, SYNACK_MS(150), FX_A, 1, 1461, .win = 2000);
  fx_inject(fx, SYNACK_MS(200), FX_A, 1, 3001, .win = 65535);
  fx_advance(fx, SYNACK_MS(300));
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.busy_time_us, SYNACK_MS(100));
  CHECK_EQ_U(ti.rwnd_limited_us, SYNACK_MS(50)); /* until the first ACK opened the window */
  CHECK_EQ_U(ti.sndbuf_limited_us, 0);
  CHECK_EQ_U(ti.delivered, 1 + 3); /* 1460 + 1460 + 80 */
  CHECK(ti.pacing_rate > 0 && ti.pacing_rate != UINT64_MAX);
  /* a full send buffer whose data is all sent (4096 bytes < cwnd): sndbuf-limited until an ACK
   * frees room; with unsent data queued the sender is not yet out of data (cwnd holds it) */
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_SNDBUF, 4096), 0);
  int64_t put = 0, r;
  while ((r = synack_send(fx->st, fx->now, s, (const uint8_t[1024]){ 0 }, 1024, 0)) > 0) put += r;
  fx_check_rc(r, -SYNACK_EAGAIN);
  fx_drain(fx);
  fx_advance(fx, SYNACK_MS(310));
  ti = fx_info(fx, s);
  CHECK(put > 0);
  CHECK_EQ_U(ti.notsent_bytes, 0);
  CHECK_EQ_U(ti.sndbuf_limited_us, SYNACK_MS(10));
  fx_inject(fx, SYNACK_MS(320), FX_A, 1, ti.snd_nxt - fx->isn); /* all of it */
  fx_advance(fx, SYNACK_MS(400));
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.sndbuf_limited_us, SYNACK_MS(20));
  CHECK_EQ_U(ti.busy_time_us, SYNACK_MS(100) + SYNACK_MS(20));
  fx_free(fx);
}

/* a write refused while cwnd still holds queued data back is not sndbuf-limited (Linux: 0 then) */
static void sndbuf_full_with_unsent_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  int64_t r;
  while ((r = synack_send(fx->st, fx->now, s, (const uint8_t[1024]){ 0 }, 1024, 0)) > 0) {}
  fx_check_rc(r, -SYNACK_EAGAIN);
  fx_drain(fx);
  fx_advance(fx, SYNACK_MS(100));
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK(ti.notsent_bytes > 0);
  CHECK_EQ_U(ti.sndbuf_limited_us, 0);
  CHECK_EQ_U(ti.busy_time_us, SYNACK_MS(100));
  fx_free(fx);
}

/* an RTO begins an episode, timed until the ACK that ends it */
static void rto_episodes(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_advance(fx, SYNACK_SEC(3)); /* the first timeout, then the second (backed off) */
  synack_tcp_info_t ti = fx_info(fx, s);
  FX_REQUIRE_(ti.rtos >= 2);
  CHECK_EQ_U(ti.total_rto_recoveries, 1);
  synack_time_t first = 0;
  /* the episode began at the first timeout: its time so far counts */
  CHECK(ti.total_rto_time_ms > 0 && ti.total_rto_time_ms < 3000);
  first = SYNACK_SEC(3) - (synack_time_t)ti.total_rto_time_ms * 1000u;
  fx_inject(fx, SYNACK_SEC(4), FX_A, 1, 101);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.total_rto_time_ms, (SYNACK_SEC(4) - first) / 1000u);
  fx_advance(fx, SYNACK_SEC(5));
  CHECK_EQ_U(fx_info(fx, s).total_rto_time_ms, ti.total_rto_time_ms); /* over: no longer grows */
  fx_free(fx);
}

TH_MAIN(TH_CASE(counts_and_times), TH_CASE(states_and_probes), TH_CASE(chrono_and_delivered), TH_CASE(sndbuf_full_with_unsent_data),
        TH_CASE(rto_episodes))
