/* The linux profile's sender and ACK policies (docs/linux-differences.md 32-39), each beside the
 * rfc profile's answer to the same events: Minshall's Nagle, PSH at the end of each TSO-sized
 * burst, slow start crediting every acknowledged segment, cwnd growth only while cwnd-limited,
 * quick-ACK counted from the window, the ACK sent by a read after a small segment, zero-window
 * probes as old ACKs restarted by each ACK, and socket buffer sizes read back doubled. The same
 * behaviours are pinned against the kernel by tests/scripts/{nagle,slow-start,delayed-ack}/. */
#include <stdlib.h>

#include "harness.h"
#include "tcpfix.h"

#define MS SYNACK_MS

static void linux_(synack_config_t *c) { REQUIRE(synack_config_preset(c, "linux") == 0); }
static void rfc(synack_config_t *c) { REQUIRE(synack_config_preset(c, "rfc") == 0); }

/* An established passive connection under the profile; NULL when the fixture fails. */
static fx_t *open_conn(void (*profile)(synack_config_t *), int *s) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  if (!fx) return NULL;
  *s = fx_open_passive(fx);
  if (*s < 0) {
    fx_free(fx);
    return NULL;
  }
  return fx;
}

/* write(2000) with MSS 1460: Linux sends the 540-byte tail at once behind the full segment (only
 * a small segment in flight holds the next one); RFC 9293 §3.7.4 holds it until the ACK. */
static void minshall(void (*profile)(synack_config_t *), bool linux) {
  int s;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  fx_check_rc(fx_send(fx, s, 2000, 0), 2000);
  fx_expect(fx, FX_A, 1, 1, .len = 1460, .t = 0, .psh_exact = true);
  if (linux) {
    fx_expect(fx, FX_PA, 1461, 1, .len = 540, .t = 0, .psh_exact = true);
  } else {
    fx_expect_none_until(fx, MS(99));
    fx_inject(fx, MS(100), FX_A, 1, 1461);
    fx_expect(fx, FX_PA, 1461, 1, .len = 540, .t = MS(100), .psh_exact = true);
  }
  fx_free(fx);
}
static void minshall_linux(void) { minshall(linux_, true); }
static void minshall_rfc(void) { minshall(rfc, false); }

/* A small segment in flight still holds the next small one under Minshall's rule. */
static void minshall_small_holds(void) {
  int s;
  fx_t *fx = open_conn(linux_, &s);
  REQUIRE(fx);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0);
  fx_check_rc(fx_send(fx, s, 100, 100), 100);
  fx_expect_none_until(fx, MS(49));
  fx_inject(fx, MS(50), FX_A, 1, 101);
  fx_expect(fx, FX_PA, 101, 1, .len = 100, .t = MS(50));
  fx_free(fx);
}

/* Ten full segments with a near-zero RTT: Linux sends them as two TSO packets of five (half of
 * cwnd), PSH on the fifth and the tenth; the rfc profile only on the last of the data. */
static void psh_bursts(void (*profile)(synack_config_t *), bool linux) {
  int s;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  fx_check_rc(fx_send(fx, s, 14600, 0), 14600);
  for (uint32_t i = 0; i < 10; i++) {
    bool psh = i == 9 || (linux && i == 4);
    fx_expect(fx, psh ? FX_PA : FX_A, 1 + i * 1460, 1, .len = 1460, .t = 0, .psh_exact = true);
  }
  fx_free(fx);
}
static void psh_bursts_linux(void) { psh_bursts(linux_, true); }
static void psh_bursts_rfc(void) { psh_bursts(rfc, false); }

/* One ACK for the whole initial window: Linux doubles cwnd (20); RFC 3465 credits 2 segments. */
static void stretch_ack(void (*profile)(synack_config_t *), uint32_t cwnd) {
  int s;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  REQUIRE(synack_setsockopt(fx->st, s, SYNACK_SO_SNDBUF, 200000) == 0);
  fx_check_rc(fx_send(fx, s, 60000, 0), 60000);
  fx_drain(fx);
  fx_inject(fx, MS(100), FX_A, 1, 14601);
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, cwnd);
  fx_free(fx);
}
static void stretch_ack_linux(void) { stretch_ack(linux_, 20); }
static void stretch_ack_rfc(void) { stretch_ack(rfc, 12); }

/* An application that keeps 4 segments in flight: Linux leaves cwnd at 10 (not cwnd-limited);
 * without the rule every ACK grows it. */
static void app_limited(void (*profile)(synack_config_t *), bool linux) {
  int s;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  uint32_t off = 0;
  for (int r = 1; r <= 3; r++) {
    fx_check_rc(fx_send(fx, s, 4 * 1460, off), 4 * 1460);
    off += 4 * 1460;
    fx_drain(fx);
    fx_inject(fx, MS(50 * (synack_time_t)r), FX_A, 1, 1 + off);
  }
  uint32_t cwnd = fx_info(fx, s).snd_cwnd;
  if (linux) CHECK_EQ_U(cwnd, 10);
  else fx_check(cwnd > 10);
  fx_free(fx);
}
static void app_limited_linux(void) { app_limited(linux_, true); }
static void app_limited_rfc(void) { app_limited(rfc, false); }

/* Sixteen 1000-byte segments 10 ms apart, each ACKed at once (Linux's quick-ACK count for a
 * 64 KiB window) and read. */
static void sixteen_quick_acks(fx_t *fx, int s, uint8_t *buf, size_t len) {
  for (uint32_t i = 0; i < 16; i++) {
    fx_inject(fx, MS(10) * (i + 1), FX_A, 1 + i * 1000, 1, .len = 1000);
    fx_expect(fx, FX_A, 1, 1001 + i * 1000, .t = MS(10) * (i + 1));
    fx_check_rc(fx_recv(fx, s, buf, len), 1000);
  }
}

/* Quick-ACK: with a 64 KiB window and 1000-byte segments Linux ACKs 16 segments at once, and
 * the 17th after the delayed-ACK timer. */
static void quickack_16(void) {
  int s;
  fx_t *fx = open_conn(linux_, &s);
  REQUIRE(fx);
  uint8_t buf[2000];
  sixteen_quick_acks(fx, s, buf, sizeof buf);
  fx_inject(fx, MS(170), FX_A, 16001, 1, .len = 1000);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 1000);
  fx_expect_none_until(fx, MS(209));
  fx_expect(fx, FX_A, 1, 17001, .t = MS(210));
  fx_free(fx);
}

/* After the quick ACKs, a small segment's delayed ACK goes when a read empties the queue. */
static void ack_on_read(void) {
  int s;
  fx_t *fx = open_conn(linux_, &s);
  REQUIRE(fx);
  uint8_t buf[2000];
  sixteen_quick_acks(fx, s, buf, sizeof buf);
  fx_inject(fx, MS(200), FX_PA, 16001, 1, .len = 100);
  fx_expect_none_until(fx, MS(209));
  fx_advance(fx, MS(210));
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  fx_expect(fx, FX_A, 1, 16101, .t = MS(210));
  fx_free(fx);
}

/* A zero window: Linux probes with <SEQ=SND.UNA-1> and no data, the rfc profile with one byte;
 * under linux an ACK keeping the window closed restarts the probe timer. */
static void probe0(void (*profile)(synack_config_t *), bool linux) {
  int s;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  fx_inject(fx, MS(10), FX_A, 1, 1, .win = FX_WIN_ZERO);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  synack_time_t R = fx_info(fx, s).rto_us;
  if (linux) fx_expect(fx, FX_A, 0, 1, .len = 0, .t = MS(10) + R);
  else fx_expect(fx, FX_A, 1, 1, .len = 1, .t = MS(10) + R);
  synack_time_t probe = MS(10) + R, ack = probe + R / 2;
  fx_inject(fx, ack, FX_A, 1, 1, .win = FX_WIN_ZERO);
  /* second probe 2R after the first (rfc) or 2R after the ACK (linux) */
  synack_time_t next = linux ? ack + 2 * R : probe + 2 * R;
  fx_expect_none_until(fx, next - 1);
  fx_expect(fx, FX_A, linux ? 0 : 1, 1, .len = linux ? 0 : 1, .t = next);
  fx_free(fx);
}
static void probe0_linux(void) { probe0(linux_, true); }
static void probe0_rfc(void) { probe0(rfc, false); }

/* SO_RCVBUF / SO_SNDBUF read back doubled under linux (at least 2304 / 4608), as set under rfc. */
static void sockbuf(void (*profile)(synack_config_t *), bool linux) {
  int s;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  int v = 0;
  REQUIRE(synack_setsockopt(fx->st, s, SYNACK_SO_SNDBUF, 1000) == 0);
  REQUIRE(synack_getsockopt(fx->st, s, SYNACK_SO_SNDBUF, &v) == 0);
  CHECK_EQ_U((uint32_t)v, linux ? 4608u : 1000u);
  REQUIRE(synack_setsockopt(fx->st, s, SYNACK_SO_RCVBUF, 10000) == 0);
  REQUIRE(synack_getsockopt(fx->st, s, SYNACK_SO_RCVBUF, &v) == 0);
  CHECK_EQ_U((uint32_t)v, linux ? 20000u : 10000u);
  fx_free(fx);
}
static void sockbuf_linux(void) { sockbuf(linux_, true); }
static void sockbuf_rfc(void) { sockbuf(rfc, false); }

/* A write with MSG_MORE marks no PSH at its end under the linux profile (Linux's tcp_push marks
 * only without it): full segments that end it go without PSH, the partial tail is held; a
 * zero-length send without MSG_MORE then pushes the tail, with PSH (what sendfile() does at the
 * end of a file). The rfc profile sets PSH on the segment that empties the buffer. */
static void more_then_flush(void (*profile)(synack_config_t *), bool linux) {
  int s;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  uint8_t b[1960];
  for (uint32_t i = 0; i < sizeof b; i++) b[i] = fx_pattern(i);
  fx_check_rc(synack_send(fx->st, fx->now, s, b, 1460, SYNACK_MSG_MORE), 1460);
  fx_drain(fx);
  fx_expect(fx, linux ? FX_A : FX_PA, 1, 1, .len = 1460, .t = 0, .psh_exact = true);
  fx_inject(fx, MS(100), FX_A, 1, 1461);
  fx_check_rc(synack_send(fx->st, fx->now, s, b + 1460, 500, SYNACK_MSG_MORE), 500);
  fx_drain(fx);
  fx_expect_none(fx);
  fx_check_rc(synack_send(fx->st, fx->now, s, NULL, 0, 0), 0);
  fx_drain(fx);
  fx_expect(fx, FX_PA, 1461, 1, .len = 500, .t = MS(100), .psh_exact = true);
  fx_free(fx);
}
static void more_then_flush_linux(void) { more_then_flush(linux_, true); }
static void more_then_flush_rfc(void) { more_then_flush(rfc, false); }

/* SO_SNDBUF not set by the application: the linux profile reports Linux's sk_sndbuf (16384 on a
 * fresh socket, 2 x 10 x 2304 once established with MSS 1460, 2 x cwnd x 2304 after a write
 * found the buffer full and an ACK made room: tcp_sndbuf_expand); the rfc profile the capacity. */
static void sndbuf_default(void (*profile)(synack_config_t *), bool linux) {
  int s, v = 0;
  fx_t *fx = open_conn(profile, &s);
  REQUIRE(fx);
  int fresh = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(fresh >= 0);
  REQUIRE(synack_getsockopt(fx->st, fresh, SYNACK_SO_SNDBUF, &v) == 0);
  CHECK_EQ_U((uint32_t)v, linux ? 16384u : 262144u);
  REQUIRE(synack_getsockopt(fx->st, s, SYNACK_SO_SNDBUF, &v) == 0);
  CHECK_EQ_U((uint32_t)v, linux ? 46080u : 262144u);
  /* fill the buffer: a short write */
  size_t big = 300000;
  int64_t put = fx_send(fx, s, big, 0);
  CHECK(put > 0 && put < (int64_t)big);
  REQUIRE(synack_getsockopt(fx->st, s, SYNACK_SO_SNDBUF, &v) == 0);
  CHECK_EQ_U((uint32_t)v, linux ? 46080u : 262144u);
  fx_drain(fx);
  for (fx_frame_t f; fx_pop(fx, &f);) free(f.buf); /* the initial window's segments */
  fx_inject(fx, MS(100), FX_A, 1, 1 + 10 * 1460); /* the initial window: cwnd 20 */
  REQUIRE(synack_getsockopt(fx->st, s, SYNACK_SO_SNDBUF, &v) == 0);
  if (linux) CHECK_EQ_U((uint32_t)v, 2u * 20u * 2304u);
  else CHECK((uint32_t)v >= 262144u);
  fx_free(fx);
}
static void sndbuf_default_linux(void) { sndbuf_default(linux_, true); }
static void sndbuf_default_rfc(void) { sndbuf_default(rfc, false); }

TH_MAIN(TH_CASE(minshall_linux), TH_CASE(minshall_rfc), TH_CASE(minshall_small_holds), TH_CASE(psh_bursts_linux),
        TH_CASE(psh_bursts_rfc), TH_CASE(stretch_ack_linux), TH_CASE(stretch_ack_rfc), TH_CASE(app_limited_linux),
        TH_CASE(app_limited_rfc), TH_CASE(quickack_16), TH_CASE(ack_on_read), TH_CASE(probe0_linux), TH_CASE(probe0_rfc),
        TH_CASE(sockbuf_linux), TH_CASE(sockbuf_rfc), TH_CASE(more_then_flush_linux), TH_CASE(more_then_flush_rfc),
        TH_CASE(sndbuf_default_linux), TH_CASE(sndbuf_default_rfc))
