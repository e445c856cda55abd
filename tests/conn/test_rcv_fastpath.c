/* The receive fast path (tcp_input.c input_fast_place): an in-order data segment on an
 * established connection is copied into the receive ring while its checksum is verified. A
 * corrupted segment must change nothing (no ACK, no data, no window, only the drop counter),
 * even though its bytes were already written into the ring's free space; the valid copy that
 * follows must deliver exactly the sent bytes, including when the ring wraps inside a segment
 * at an odd offset (the one's-complement sum of the wrapped piece is byte-swapped). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tcpfix.h"

/* Builds the peer's segment [seq, seq + len) (stream pattern, valid checksum) into pkt;
 * returns the frame length. */
static size_t build_data(fx_t *fx, uint32_t seq, size_t len, uint8_t *pkt, size_t cap) {
  return fx_build(fx, &(fx_seg_t){ .flags = FX_A, .seq = seq, .ack = 1, .len = len }, &fx->peer_ip, fx->rport, pkt,
                  cap);
}

static uint64_t bad_csum(fx_t *fx) {
  return synack_stack_counters(fx->st)->drops[SYNACK_DROP_TCP_BAD_CHECKSUM];
}

/* Reads everything readable and checks it is the stream pattern from *off on. */
static void read_and_check(fx_t *fx, int s, uint32_t *off, size_t keep) {
  uint8_t buf[8192];
  size_t avail = (size_t)(fx_info(fx, s).bytes_received - *off); /* in the ring, unread */
  size_t want = avail > keep ? avail - keep : 0;
  while (want > 0) {
    int64_t got = fx_recv(fx, s, buf, want < sizeof buf ? want : sizeof buf);
    REQUIRE(got > 0);
    for (int64_t i = 0; i < got; i++) {
      if (buf[i] != fx_pattern(*off + (uint32_t)i)) {
        fprintf(stderr, "stream byte %u: %02x != %02x\n", *off + (unsigned)i, buf[i], fx_pattern(*off + (uint32_t)i));
        CHECK(0);
        return;
      }
    }
    *off += (uint32_t)got;
    want -= (size_t)got;
  }
}

static void corrupted_in_order_segment_changes_nothing(int family) {
  fx_t *fx = fx_new(family, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  size_t l3 = family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  /* Establish the ring (allocated on the first data) with 100 bytes, ACKed by the timer. */
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = SYNACK_MS(140));
  synack_tcp_info_t before = fx_info(fx, s);
  uint8_t pkt[2048];
  /* Corrupt the last payload byte, then a header byte (the window field), then a byte in the
   * middle of the payload: each dropped as a bad checksum, no ACK, nothing readable. */
  for (int k = 0; k < 3; k++) {
    size_t n = build_data(fx, 101, 1000, pkt, sizeof pkt);
    REQUIRE(n > 0);
    size_t at = k == 0 ? n - 1 : k == 1 ? l3 + 14 : n - 500;
    pkt[at] ^= (uint8_t)(0x01 << k);
    fx_inject_raw(fx, SYNACK_MS(200 + k), pkt, n);
    CHECK_EQ_U(bad_csum(fx), (uint64_t)k + 1);
    fx_expect_none_until(fx, SYNACK_MS(300));
    synack_tcp_info_t now = fx_info(fx, s);
    CHECK_EQ_U(now.rcv_nxt, before.rcv_nxt);
    CHECK_EQ_U(now.rcv_wnd, before.rcv_wnd);
    CHECK_EQ_U(now.bytes_received, before.bytes_received);
  }
  /* The valid copy is accepted: its bytes (not the corrupted ones left in the free space) are
   * delivered, and the delayed ACK covers them. */
  fx_inject(fx, SYNACK_MS(400), FX_A, 101, 1, .len = 1000);
  fx_expect(fx, FX_A, 1, 1101, .t = SYNACK_MS(440));
  CHECK_EQ_U(bad_csum(fx), 3);
  uint32_t off = 0;
  read_and_check(fx, s, &off, 0);
  CHECK_EQ_U(off, 1100);
  fx_free(fx);
}

static void corrupted_segment_v4(void) { corrupted_in_order_segment_changes_nothing(SYNACK_AF_INET); }
static void corrupted_segment_v6(void) { corrupted_in_order_segment_changes_nothing(SYNACK_AF_INET6); }

/* A small receive ring, odd-length segments and a reader that always leaves one byte behind
 * (an emptied ring rewinds to its start): the end of the ring falls inside segments at odd and
 * even offsets. Before each valid segment a corrupted copy of it arrives (corrupted in the part
 * after the wrap when there is one); it is dropped, and every byte read is the sent one. */
static void ring_wrap_at_odd_and_even_offsets(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_rcvbuf = 4096;
  c.tcp_quickack_start = false;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  uint8_t pkt[2048];
  uint32_t seq = 1, off = 0;
  synack_time_t t = SYNACK_MS(100);
  uint64_t drops = 0;
  for (int i = 0; i < 120; i++) {
    size_t len = (size_t)(300 + (i * 37) % 101); /* odd and even lengths */
    size_t n = build_data(fx, seq, len, pkt, sizeof pkt);
    REQUIRE(n > 0);
    pkt[n - 1 - (size_t)(i % 5)] ^= 0x80;
    fx_inject_raw(fx, t, pkt, n);
    CHECK_EQ_U(bad_csum(fx), ++drops);
    CHECK_EQ_U(fx_info(fx, s).rcv_nxt, fx->peer_isn + seq);
    fx_inject(fx, t + 1, FX_A, seq, 1, .len = len);
    seq += (uint32_t)len;
    CHECK_EQ_U(fx_info(fx, s).rcv_nxt, fx->peer_isn + seq);
    read_and_check(fx, s, &off, 1);
    fx_flush_output(fx);
    t += SYNACK_MS(1);
  }
  CHECK_EQ_U(off + 1, seq - 1);
  read_and_check(fx, s, &off, 0);
  CHECK_EQ_U(off, seq - 1);
  fx_free(fx);
}

TH_MAIN(TH_CASE(corrupted_segment_v4), TH_CASE(corrupted_segment_v6), TH_CASE(ring_wrap_at_odd_and_even_offsets))
