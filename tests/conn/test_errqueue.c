/* The error queue (tcp_errqueue.c): MSG_ZEROCOPY completions (ids, the shared record of sends
 * joining an unsent tail, coalescing of consecutive ranges, completion when the connection
 * ends) and SO_TIMESTAMPING reports (SCHED/SND at the first transmission of the last byte, ACK
 * at its acknowledgement, OPT_ID offsets, times, the packet length without OPT_TSONLY), the
 * options' errors and the poll bit / event. */
#include "harness.h"
#include "tcpfix.h"

static int64_t send_flags(fx_t *fx, int s, size_t len, int flags) {
  static uint8_t buf[8192];
  int64_t r = synack_send(fx->st, fx->now, s, buf, len, flags);
  fx_drain(fx);
  return r;
}

static bool pop(fx_t *fx, int s, synack_sock_err_t *e) { return synack_recv_err(fx->st, s, e) == 0; }

static void zerocopy_ids_and_ranges(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  synack_sock_err_t e;
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_ZEROCOPY, 2), -SYNACK_EINVAL);
  /* without SO_ZEROCOPY the flag is ignored: no id, no report */
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 101);
  fx_check_rc(synack_recv_err(fx->st, s, &e), -SYNACK_EAGAIN);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_ZEROCOPY, 1), 0);
  int v = 0;
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_SO_ZEROCOPY, &v), 0);
  CHECK_EQ_U(v, 1);
  (void)fx_events(fx, s);
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 0: 101..201 */
  fx_check_rc(send_flags(fx, s, 100, 0), 100);                   /* no id: 201..301 */
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 1: 301..401 */
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 2: 401..501 */
  CHECK((synack_poll(fx->st, s) & SYNACK_EV_ERRQUEUE) == 0);
  /* half of id 0's bytes: nothing; all of them: id 0 is complete */
  fx_inject(fx, SYNACK_MS(15), FX_A, 1, 151);
  CHECK((synack_poll(fx->st, s) & SYNACK_EV_ERRQUEUE) == 0);
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, 201);
  CHECK(synack_poll(fx->st, s) & SYNACK_EV_ERRQUEUE);
  CHECK(fx_events(fx, s) & SYNACK_EV_ERRQUEUE);
  fx_inject(fx, SYNACK_MS(30), FX_A, 1, 501);
  /* 0 was queued alone; 1 and 2 continue it: one report 0..2 */
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.origin, SYNACK_EE_ORIGIN_ZEROCOPY);
  CHECK_EQ_U(e.err, 0);
  CHECK_EQ_U(e.code, SYNACK_EE_CODE_ZEROCOPY_COPIED);
  CHECK_EQ_U(e.info, 0);
  CHECK_EQ_U(e.data, 2);
  CHECK(!e.has_time);
  fx_check_rc(synack_recv_err(fx->st, s, &e), -SYNACK_EAGAIN);
  CHECK((synack_poll(fx->st, s) & SYNACK_EV_ERRQUEUE) == 0);
  /* read in between: separate reports */
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 3 */
  fx_inject(fx, SYNACK_MS(40), FX_A, 1, 601);
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, 3);
  CHECK_EQ_U(e.data, 3);
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 4 */
  fx_inject(fx, SYNACK_MS(50), FX_A, 1, 701);
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, 4);
  CHECK_EQ_U(e.data, 4);
  fx_free(fx);
}

/* Sends that join the unsent tail of the previous zerocopy send (a zero window holds it) share
 * its record: nothing completes until all of it is acknowledged; a reset completes the rest. */
static void zerocopy_shared_record_and_reset(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_ZEROCOPY, 1), 0);
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1, .win = FX_WIN_ZERO);
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 0 */
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 1: joins id 0's record */
  fx_inject(fx, SYNACK_MS(2), FX_A, 1, 1, .win = 65535);
  fx_drain(fx);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 101);
  synack_sock_err_t e;
  fx_check_rc(synack_recv_err(fx->st, s, &e), -SYNACK_EAGAIN); /* id 0 waits for id 1's bytes */
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, 201);
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, 0);
  CHECK_EQ_U(e.data, 1);
  fx_check_rc(send_flags(fx, s, 100, SYNACK_MSG_ZEROCOPY), 100); /* id 2, never acknowledged */
  fx_inject(fx, SYNACK_MS(30), FX_RA, 1, 201);
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, 2);
  CHECK_EQ_U(e.data, 2);
  fx_free(fx);
}

static void timestamps(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 4);
  FX_REQUIRE_(l >= 0);
  /* OPT_ID needs a connection (its origin is SND.UNA) */
  fx_check_rc(synack_setsockopt(fx->st, l, SYNACK_SO_TIMESTAMPING, SYNACK_SOF_TIMESTAMPING_OPT_ID), -SYNACK_EINVAL);
  fx_check_rc(synack_setsockopt(fx->st, l, SYNACK_SO_TIMESTAMPING, 0x40000), -SYNACK_EINVAL);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NODELAY, 1), 0); /* the tails go out at once */
  fx_check_rc(send_flags(fx, s, 500, 0), 500); /* before OPT_ID: offsets count from SND.UNA = 1 */
  int f = SYNACK_SOF_TIMESTAMPING_TX_SCHED | SYNACK_SOF_TIMESTAMPING_TX_SOFTWARE | SYNACK_SOF_TIMESTAMPING_TX_ACK |
          SYNACK_SOF_TIMESTAMPING_SOFTWARE | SYNACK_SOF_TIMESTAMPING_OPT_ID | SYNACK_SOF_TIMESTAMPING_OPT_TSONLY;
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_TIMESTAMPING, f), 0);
  int v = 0;
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_SO_TIMESTAMPING, &v), 0);
  CHECK_EQ_U(v, f);
  fx_inject(fx, SYNACK_MS(5), FX_A, 1, 501);
  fx->now = SYNACK_MS(10);
  fx_check_rc(send_flags(fx, s, 3000, 0), 3000); /* bytes 501..3500: the last in the 3rd segment */
  synack_sock_err_t e;
  const uint32_t types[2] = { SYNACK_SCM_TSTAMP_SCHED, SYNACK_SCM_TSTAMP_SND };
  for (int k = 0; k < 2; k++) {
    FX_REQUIRE_(pop(fx, s, &e));
    CHECK_EQ_U(e.err, SYNACK_ENOMSG);
    CHECK_EQ_U(e.origin, SYNACK_EE_ORIGIN_TIMESTAMPING);
    CHECK_EQ_U(e.info, types[k]);
    CHECK_EQ_U(e.data, 3499);
    CHECK(e.has_time);
    CHECK_EQ_U(e.time, SYNACK_MS(10));
    CHECK_EQ_U(e.pkt_len, 0); /* OPT_TSONLY */
  }
  fx_check_rc(synack_recv_err(fx->st, s, &e), -SYNACK_EAGAIN);
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, 1 + 500 + 2920); /* not the last byte yet */
  fx_check_rc(synack_recv_err(fx->st, s, &e), -SYNACK_EAGAIN);
  fx_inject(fx, SYNACK_MS(30), FX_A, 1, 3501);
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, SYNACK_SCM_TSTAMP_ACK);
  CHECK_EQ_U(e.data, 3499);
  CHECK_EQ_U(e.time, SYNACK_MS(30));
  /* without OPT_TSONLY and SOFTWARE: the packet's length, no time */
  f = SYNACK_SOF_TIMESTAMPING_TX_SCHED | SYNACK_SOF_TIMESTAMPING_TX_SOFTWARE | SYNACK_SOF_TIMESTAMPING_TX_ACK |
      SYNACK_SOF_TIMESTAMPING_OPT_ID;
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_TIMESTAMPING, f), 0);
  fx_check_rc(send_flags(fx, s, 2000, 0), 2000); /* 1460 + 540 */
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, SYNACK_SCM_TSTAMP_SCHED);
  CHECK_EQ_U(e.data, 5499);
  CHECK(!e.has_time);
  CHECK_EQ_U(e.pkt_len, 20 + 20 + 2000);
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, SYNACK_SCM_TSTAMP_SND);
  CHECK_EQ_U(e.pkt_len, 20 + 20 + 540);
  fx_inject(fx, SYNACK_MS(40), FX_A, 1, 5501);
  FX_REQUIRE_(pop(fx, s, &e));
  CHECK_EQ_U(e.info, SYNACK_SCM_TSTAMP_ACK);
  CHECK_EQ_U(e.pkt_len, 2000);
  fx_free(fx);
}

TH_MAIN(TH_CASE(zerocopy_ids_and_ranges), TH_CASE(zerocopy_shared_record_and_reset), TH_CASE(timestamps))
