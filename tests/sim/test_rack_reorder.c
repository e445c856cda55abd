/* RACK's reordering window (RFC 8985 §6.2, issue 13): 3 % of data segments held back 3 ms on a
 * 20 ms RTT path, no loss. The first late segment may be resent before reordering is known;
 * its D-SACK proves the reordering (RACK.reord, the window grows to min_RTT / 4 per step, here
 * 5 ms and more), after which no segment is resent: at most one fast retransmission in the
 * whole run, no timeout. With RACK off (RFC 6675's DupThresh) every held-back segment that
 * three later ones overtake is resent. */
#include <stdio.h>

#include "harness.h"
#include "transfer.h"

static void hook(synack_config_t *cfg, int which, void *user) {
  (void)which;
  cfg->tcp_rack = *(const bool *)user;
}

static ts_xfer_result_t run(bool rack) {
  ts_xfer_cfg_t x;
  memset(&x, 0, sizeof x);
  x.duration_us = SYNACK_SEC(5);
  x.seed = 3;
  x.ab.rate_bps = 50000000u;
  x.ab.queue_bytes = 250000u;
  x.ab.delay_us = SYNACK_MS(10);
  x.ba = x.ab;
  x.ab.reorder = 0.03;
  x.ab.reorder_delay_us = SYNACK_MS(3);
  x.hook = hook;
  x.user = &rack;
  ts_xfer_result_t r;
  if (ts_xfer_run(&x, &r) < 0) r.completed = false;
  printf("RACK %-3s %8.3f Mbit/s  retransmitted %" PRIu64 "  fast retransmits %" PRIu64 "  RTOs %" PRIu64 "\n",
         rack ? "on" : "off", r.goodput_mbps, r.retrans_segs, r.fast_retrans, r.rto_expired);
  return r;
}

static void no_spurious_retransmission_after_first_dsack(void) {
  ts_xfer_result_t on = run(true), off = run(false);
  CHECK(on.completed && on.data_ok);
  CHECK(off.completed && off.data_ok);
  /* Exact (seed 3): the one retransmission is the first late segment, before any D-SACK could
   * show reordering; after its D-SACK, none (issue 13: no spurious fast retransmit after the
   * first D-SACK). */
  CHECK_EQ_U(on.fast_retrans, 1);
  CHECK_EQ_U(on.retrans_segs, 1);
  CHECK_EQ_U(on.counters_a.events[SYNACK_CTR_TCP_DSACKS_IN], 1); /* its D-SACK */
  CHECK(on.counters_a.events[SYNACK_CTR_TCP_REORDER_SEEN] >= 1);
  CHECK_EQ_U(on.rto_expired, 0);
  CHECK(off.retrans_segs > 10 * (on.retrans_segs + 1)); /* what the adaptive window avoids */
}

TH_MAIN(TH_CASE(no_spurious_retransmission_after_first_dsack))
