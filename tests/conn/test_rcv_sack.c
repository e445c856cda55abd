/* SACK blocks the receiver sends (RFC 2018 §4) and D-SACK (RFC 2883): the block holding the
 * newest arrival first, then the most recently reported ones; 4 blocks without timestamps,
 * 3 with; the duplicate reported first, followed by the block containing it. */
#include "harness.h"
#include "tcpfix.h"

#define MS SYNACK_MS

static fx_t *open_sack(bool ts, int *sock) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  if (!fx) return NULL;
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | (ts ? SYNACK_TCPOPT_HAS_TS : 0);
  *sock = fx_open_passive(fx);
  return fx;
}

/* A sequence of out-of-order arrivals; the blocks after each one. */
static void blocks_after_each_arrival(bool ts) {
  int s;
  fx_t *fx = open_sack(ts, &s);
  REQUIRE(fx);
  FX_REQUIRE_(s >= 0);
  const char *lay = ts ? "nop,nop,TS,nop,nop,sack" : "nop,nop,sack";
  fx_inject(fx, MS(100), FX_A, 201, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100), .layout = lay, .nsack = 1, .sack = { { 201, 301 } });
  fx_inject(fx, MS(101), FX_A, 401, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .layout = lay, .nsack = 2, .sack = { { 401, 501 }, { 201, 301 } });
  fx_inject(fx, MS(102), FX_A, 601, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 3, .sack = { { 601, 701 }, { 401, 501 }, { 201, 301 } });
  fx_inject(fx, MS(103), FX_A, 801, 1, .len = 100);
  if (ts) /* 40 - 12 bytes of option space: 3 blocks */
    fx_expect(fx, FX_A, 1, 1, .layout = lay, .nsack = 3, .sack = { { 801, 901 }, { 601, 701 }, { 401, 501 } });
  else
    fx_expect(fx, FX_A, 1, 1, .layout = lay, .nsack = 4, .sack = { { 801, 901 }, { 601, 701 }, { 401, 501 }, { 201, 301 } });
  fx_inject(fx, MS(104), FX_A, 1001, 1, .len = 100);
  if (ts)
    fx_expect(fx, FX_A, 1, 1, .nsack = 3, .sack = { { 1001, 1101 }, { 801, 901 }, { 601, 701 } });
  else
    fx_expect(fx, FX_A, 1, 1, .nsack = 4, .sack = { { 1001, 1101 }, { 801, 901 }, { 601, 701 }, { 401, 501 } });
  /* 301..401 joins the oldest two ranges: their union is the newest block. */
  fx_inject(fx, MS(105), FX_A, 301, 1, .len = 100);
  if (ts)
    fx_expect(fx, FX_A, 1, 1, .nsack = 3, .sack = { { 201, 501 }, { 1001, 1101 }, { 801, 901 } });
  else
    fx_expect(fx, FX_A, 1, 1, .nsack = 4, .sack = { { 201, 501 }, { 1001, 1101 }, { 801, 901 }, { 601, 701 } });
  /* 1..201 fills the first hole: ACK 501, the blocks above it remain, newest report first. */
  fx_inject(fx, MS(106), FX_A, 1, 1, .len = 200);
  fx_expect(fx, FX_A, 1, 501, .t = MS(106), .nsack = 3, .sack = { { 1001, 1101 }, { 801, 901 }, { 601, 701 } });
  /* 501..601 fills the next: ACK 701. */
  fx_inject(fx, MS(107), FX_A, 501, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 701, .t = MS(107), .nsack = 2, .sack = { { 1001, 1101 }, { 801, 901 } });
  /* Everything: no SACK option any more. */
  fx_inject(fx, MS(108), FX_A, 701, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 901, .t = MS(108), .nsack = 1, .sack = { { 1001, 1101 } });
  fx_inject(fx, MS(109), FX_A, 901, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1101, .t = MS(109), .layout = ts ? "nop,nop,TS" : "");
  uint8_t buf[1200];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 1100);
  for (uint32_t i = 0; i < 1100; i++)
    if (buf[i] != fx_pattern(i)) { CHECK_EQ_U(buf[i], fx_pattern(i)); break; }
  fx_free(fx);
}

static void sack_four_blocks_without_timestamps(void) { blocks_after_each_arrival(false); }
static void sack_three_blocks_with_timestamps(void) { blocks_after_each_arrival(true); }

static void no_sack_when_not_permitted(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL); /* the peer's SYN has no SACK-permitted */
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_A, 201, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100), .layout = "");
  fx_inject(fx, MS(110), FX_A, 1, 1, .len = 100); /* a duplicate after the gap fill too */
  fx_expect(fx, FX_A, 1, 101, .layout = "");
  fx_inject(fx, MS(120), FX_A, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = MS(120), .layout = "");
  fx_free(fx);

  /* Nor when we do not offer it (tcp_sack off) although the peer does. */
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_sack = false;
  fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM;
  s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_A, 201, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100), .layout = "");
  fx_free(fx);
}

/* RFC 2883 §4: a duplicate below RCV.NXT is the first (here only) block, reported once. */
static void dsack_below_rcv_nxt(void) {
  int s;
  fx_t *fx = open_sack(true, &s);
  REQUIRE(fx);
  FX_REQUIRE_(s >= 0);
  const synack_counters_t *ctr = synack_stack_counters(fx->st);
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = MS(140), .layout = "nop,nop,TS");
  /* The whole segment again (its ACK was lost). */
  fx_inject(fx, MS(300), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = MS(300), .layout = "nop,nop,TS,nop,nop,sack", .nsack = 1, .sack = { { 1, 101 } });
  CHECK_EQ_U(ctr->events[SYNACK_CTR_TCP_DSACKS_SENT], 1);
  /* Half old, half new: the old half is the D-SACK block; the new half is taken. */
  fx_inject(fx, MS(400), FX_PA, 51, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 151, .t = MS(400), .nsack = 1, .sack = { { 51, 101 } });
  /* The next ACK carries no block: a D-SACK is reported once. */
  fx_inject(fx, MS(500), FX_PA, 151, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 251, .t = MS(540), .layout = "nop,nop,TS");
  /* A duplicate while ranges are held: D-SACK first, then the SACK blocks. */
  fx_inject(fx, MS(600), FX_A, 451, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 251, .t = MS(600), .nsack = 1, .sack = { { 451, 551 } });
  fx_inject(fx, MS(610), FX_A, 201, 1, .len = 50);
  fx_expect(fx, FX_A, 1, 251, .t = MS(610), .nsack = 2, .sack = { { 201, 251 }, { 451, 551 } });
  CHECK_EQ_U(ctr->events[SYNACK_CTR_TCP_DSACKS_SENT], 3);
  fx_free(fx);
}

/* RFC 2883 §4: a duplicate of held out-of-order data: D-SACK block, then the block holding it,
 * then the other blocks. */
static void dsack_inside_ooo_range(void) {
  int s;
  fx_t *fx = open_sack(false, &s);
  REQUIRE(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_A, 201, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 1, .sack = { { 201, 301 } });
  fx_inject(fx, MS(101), FX_A, 401, 1, .len = 200);
  fx_expect(fx, FX_A, 1, 1, .nsack = 2, .sack = { { 401, 601 }, { 201, 301 } });
  fx_inject(fx, MS(102), FX_A, 801, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 3, .sack = { { 801, 901 }, { 401, 601 }, { 201, 301 } });
  /* 451..551 again. */
  fx_inject(fx, MS(103), FX_A, 451, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = MS(103), .nsack = 4,
            .sack = { { 451, 551 }, { 401, 601 }, { 801, 901 }, { 201, 301 } });
  /* An exact duplicate of a whole range: the block holding it repeats it. */
  fx_inject(fx, MS(104), FX_A, 201, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 4, .sack = { { 201, 301 }, { 201, 301 }, { 401, 601 }, { 801, 901 } });
  /* Partly new, partly held: the held part is the D-SACK block, the merged range follows. */
  fx_inject(fx, MS(105), FX_A, 551, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 4, .sack = { { 551, 601 }, { 401, 651 }, { 201, 301 }, { 801, 901 } });
  /* No duplicate: plain SACK again. */
  fx_inject(fx, MS(106), FX_A, 1001, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 4, .sack = { { 1001, 1101 }, { 401, 651 }, { 201, 301 }, { 801, 901 } });
  fx_free(fx);
}

static void dsack_off_by_config(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_dsack = false;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = MS(140), .layout = "");
  fx_inject(fx, MS(200), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = MS(200), .layout = "");
  fx_inject(fx, MS(300), FX_A, 301, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .nsack = 1, .sack = { { 301, 401 } });
  fx_inject(fx, MS(310), FX_A, 301, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .nsack = 1, .sack = { { 301, 401 } });
  fx_free(fx);
}

/* Blocks ride on data segments too, as many as the segment size leaves room for. */
static void sack_on_data_segments(void) {
  int s;
  fx_t *fx = open_sack(true, &s);
  REQUIRE(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_A, 201, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 1, .sack = { { 201, 301 } });
  fx_inject(fx, MS(101), FX_A, 401, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 2, .sack = { { 401, 501 }, { 201, 301 } });
  /* A small write: both blocks fit. MSS 1460 - 12 (TS) = 1448 bytes of payload and options. */
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .layout = "nop,nop,TS,nop,nop,sack", .nsack = 2,
            .sack = { { 401, 501 }, { 201, 301 } });
  fx_inject(fx, MS(110), FX_A, 1, 101);
  fx_expect_none(fx);
  /* 1436 bytes leave 1448 - 1436 = 12 bytes: one block (nop, nop, kind, length, 8). */
  fx_check_rc(fx_send(fx, s, 1436, 100), 1436);
  fx_expect(fx, FX_PA, 101, 1, .len = 1436, .nsack = 1, .sack = { { 401, 501 } });
  fx_inject(fx, MS(120), FX_A, 1, 1537);
  /* 1428 bytes leave 20: two blocks. */
  fx_check_rc(fx_send(fx, s, 1428, 1536), 1428);
  fx_expect(fx, FX_PA, 1537, 1, .len = 1428, .nsack = 2, .sack = { { 401, 501 }, { 201, 301 } });
  fx_inject(fx, MS(130), FX_A, 1, 2965);
  /* A 1448-byte segment has no room: no SACK option. */
  fx_check_rc(fx_send(fx, s, 1448, 2964), 1448);
  fx_expect(fx, FX_PA, 2965, 1, .len = 1448, .layout = "nop,nop,TS");
  fx_free(fx);
}

/* The FreeBSD option layout also puts NOP,NOP before the timestamps and before the blocks. */
static void sack_layout_freebsd(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  REQUIRE(synack_config_preset(&c, "freebsd") == 0);
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS;
  int l = fx_listen(fx, 8);
  FX_REQUIRE_(l >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "mss,sackOK,TS");
  fx->ts_on = true;
  fx_inject(fx, MS(1), FX_A, 1, 1);
  fx_inject(fx, MS(100), FX_A, 201, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100), .layout = "nop,nop,TS,nop,nop,sack", .nsack = 1, .sack = { { 201, 301 } });
  fx_free(fx);
}

static void sack_ipv6(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET6, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_A, 1001, 1, .len = 1000);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100), .nsack = 1, .sack = { { 1001, 2001 } });
  fx_inject(fx, MS(101), FX_A, 3001, 1, .len = 1000);
  fx_expect(fx, FX_A, 1, 1, .nsack = 2, .sack = { { 3001, 4001 }, { 1001, 2001 } });
  fx_inject(fx, MS(102), FX_A, 1, 1, .len = 1000);
  fx_expect(fx, FX_A, 1, 2001, .t = MS(102), .nsack = 1, .sack = { { 3001, 4001 } });
  fx_inject(fx, MS(103), FX_A, 2001, 1, .len = 1000);
  fx_expect(fx, FX_A, 1, 4001, .t = MS(103), .layout = "nop,nop,TS");
  uint8_t buf[5000];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 4000);
  for (uint32_t i = 0; i < 4000; i++)
    if (buf[i] != fx_pattern(i)) { CHECK_EQ_U(buf[i], fx_pattern(i)); break; }
  fx_free(fx);
}

static void one_frame_ring(synack_config_t *c) { c->tx_ring_frames = 1; }

/* Coalesced ACKs (RFC 2018 §4): with a one-frame transmit ring, five out-of-order segments
 * arrive while the ACK for the first one still waits in the ring, so the others share the
 * ACKs that follow. The blocks of ranges not reported yet come before repetitions, and one
 * more ACK follows until every range has been reported: the block 401-501 would otherwise
 * reach the sender only with a later arrival (the three newest filled the one ACK), and a
 * RACK sender takes unreported data as lost (bench_throughput: 2.5 retransmissions per loss
 * at MTU 1500). */
static void coalesced_acks_report_every_range(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_frame_ring);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_advance(fx, MS(100));
  for (uint32_t i = 0; i < 5; i++) {
    uint8_t pkt[256];
    size_t n = fx_build(fx, &(fx_seg_t){ .flags = FX_A, .seq = 201 + 200 * i, .ack = 1, .len = 100 }, &fx->peer_ip,
                        fx->rport, pkt, sizeof pkt);
    REQUIRE(n > 0);
    synack_stack_input(fx->st, fx->now, pkt, n, 0); /* not drained: the ring stays full */
  }
  fx_expect(fx, FX_A, 1, 1, .nsack = 1, .sack = { { 201, 301 } });
  fx_expect(fx, FX_A, 1, 1, .nsack = 3, .sack = { { 1001, 1101 }, { 801, 901 }, { 601, 701 } });
  fx_expect(fx, FX_A, 1, 1, .nsack = 3, .sack = { { 1001, 1101 }, { 401, 501 }, { 801, 901 } });
  fx_expect_none(fx);
  fx_free(fx);
}

TH_MAIN(TH_CASE(sack_four_blocks_without_timestamps), TH_CASE(coalesced_acks_report_every_range), TH_CASE(sack_three_blocks_with_timestamps),
        TH_CASE(sack_layout_freebsd), TH_CASE(sack_ipv6),
        TH_CASE(no_sack_when_not_permitted), TH_CASE(dsack_below_rcv_nxt), TH_CASE(dsack_inside_ooo_range),
        TH_CASE(dsack_off_by_config), TH_CASE(sack_on_data_segments))
