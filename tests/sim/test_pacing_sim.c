/* Pacing against a shallow bottleneck queue (issue 13: "bursts into a shallow queue are what
 * lose whole windows"): 100 Mbit/s, 20 ms RTT (BDP 250 kB), a drop-tail queue of 32 kB (an
 * eighth of the BDP), 5 s of bulk transfer with CUBIC, pacing off and on (tcp_pacing.c).
 * Measured (seed 7): off 77.1 Mbit/s, 38 queue drops; on 88.1 Mbit/s, 162 drops. Unpaced, the
 * bursts overflow the queue early, at a small window, and CUBIC then grows slowly from there;
 * paced, the window grows further before the queue overflows, so the flow runs faster and, once
 * at the bottleneck, loses more segments (all repaired without a timeout). The test asserts the
 * goodput gain, the data, and that neither run needed an RTO. */
#include <stdio.h>

#include "harness.h"
#include "transfer.h"

static void hook(synack_config_t *cfg, int which, void *user) {
  (void)which;
  cfg->tcp_pacing = *(const bool *)user;
  cfg->tcp_max_buf = 4u << 20;
  cfg->tcp_sndbuf = 2u << 20;
  cfg->tcp_rcvbuf = 2u << 20;
}

static ts_xfer_result_t run(bool pacing) {
  ts_xfer_cfg_t x;
  memset(&x, 0, sizeof x);
  x.duration_us = SYNACK_SEC(5);
  x.seed = 7;
  x.ab.rate_bps = 100000000u;
  x.ab.queue_bytes = 32768u;
  x.ab.delay_us = SYNACK_MS(10);
  x.ba = x.ab;
  x.ba.queue_bytes = 0;
  x.hook = hook;
  x.user = &pacing;
  ts_xfer_result_t r;
  if (ts_xfer_run(&x, &r) < 0) r.completed = false;
  printf("pacing_%s %8.3f Mbit/s  queue drops %" PRIu64 "  retransmitted %" PRIu64 "  RTOs %" PRIu64
         "  fast retransmits %" PRIu64 "\n",
         pacing ? "on " : "off", r.goodput_mbps, r.link_ab.dropped_queue, r.retrans_segs, r.rto_expired,
         r.fast_retrans);
  return r;
}

static void pacing_shallow_queue(void) {
  ts_xfer_result_t off = run(false), on = run(true);
  CHECK(off.completed && off.data_ok);
  CHECK(on.completed && on.data_ok);
  CHECK(off.link_ab.dropped_queue > 0);
  CHECK(on.goodput_mbps >= 1.1 * off.goodput_mbps);
  CHECK_EQ_U(off.rto_expired, 0);
  CHECK_EQ_U(on.rto_expired, 0);
}

TH_MAIN(TH_CASE(pacing_shallow_queue))
