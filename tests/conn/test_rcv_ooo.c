/* Out-of-order reassembly (tcp_rcv.c, tcp_ooo.c): every overlap shape with the delivered bytes
 * checked one by one (the first copy of each byte wins), the window edges, a FIN beyond a gap,
 * and the bounds of the out-of-order queue (bytes and ranges) with their drop counters. */
#include "harness.h"
#include "tcp_internal.h"
#include "tcpfix.h"

#define MS SYNACK_MS

/* Three sources of bytes, told apart by their top bits; the low bits encode the position. */
static uint8_t src_byte(int src, uint32_t pos) { return (uint8_t)((src << 6) | (pos % 61u)); }

typedef struct { uint32_t s, e; } rng_t; /* relative sequence numbers [s, e) */

static void inject_src(fx_t *fx, synack_time_t t, int src, rng_t r, uint8_t flags) {
  static uint8_t buf[8192];
  for (uint32_t p = r.s; p < r.e; p++) buf[p - r.s] = src_byte(src, p);
  fx_inject(fx, t, flags, r.s, 1, .data = buf, .len = r.e - r.s);
}

static bool in(rng_t r, uint32_t p) { return p >= r.s && p < r.e; }

/* Ranges a (and a2 when a2.e) arrive first (source 2), then b (source 1), then the stream from
 * 1 to end is sent in order (source 0). Every byte must come from its first arrival. */
static void shape(const char *name, rng_t a, rng_t a2, rng_t b, uint32_t end, uint32_t ack_after_b) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  synack_time_t t = SYNACK_MS(100);
  inject_src(fx, t, 2, a, FX_A);
  fx_expect(fx, FX_A, 1, 1, .t = t); /* out of order: immediate duplicate ACK */
  if (a2.e) {
    inject_src(fx, t += SYNACK_MS(1), 2, a2, FX_A);
    fx_expect(fx, FX_A, 1, 1, .t = t);
  }
  inject_src(fx, t += SYNACK_MS(1), 1, b, FX_A);
  fx_expect(fx, FX_A, 1, ack_after_b, .t = t);
  inject_src(fx, t += SYNACK_MS(1), 0, (rng_t){ 1, end }, FX_PA);
  fx_expect(fx, FX_A, 1, end, .t = t);
  static uint8_t got[8192];
  int64_t n = fx_recv(fx, s, got, sizeof got);
  if (n != (int64_t)(end - 1)) {
    fprintf(stderr, "%s: received %" PRId64 " bytes, expected %u\n", name, n, end - 1);
    th_case_failed = 1;
  }
  for (uint32_t p = 1; p < end && (int64_t)(p - 1) < n; p++) {
    int src = in(a, p) || in(a2, p) ? 2 : in(b, p) ? 1 : 0;
    if (got[p - 1] != src_byte(src, p)) {
      fprintf(stderr, "%s: byte %u is 0x%02x, expected 0x%02x (source %d)\n", name, p, got[p - 1], src_byte(src, p), src);
      th_case_failed = 1;
      break;
    }
  }
  th_total_checks++;
  fx_free(fx);
}

static const rng_t NONE = { 0, 0 };

static void overlap_left(void) { shape("left", (rng_t){ 101, 201 }, NONE, (rng_t){ 51, 151 }, 301, 1); }
static void overlap_right(void) { shape("right", (rng_t){ 101, 201 }, NONE, (rng_t){ 151, 251 }, 301, 1); }
static void overlap_covering(void) { shape("covering", (rng_t){ 101, 201 }, NONE, (rng_t){ 51, 251 }, 301, 1); }
static void overlap_covered(void) { shape("covered", (rng_t){ 101, 201 }, NONE, (rng_t){ 121, 181 }, 301, 1); }
static void overlap_exact_dup(void) { shape("exact", (rng_t){ 101, 201 }, NONE, (rng_t){ 101, 201 }, 301, 1); }
static void adjacent_right(void) { shape("adjacent right", (rng_t){ 101, 201 }, NONE, (rng_t){ 201, 251 }, 301, 1); }
static void adjacent_left(void) { shape("adjacent left", (rng_t){ 101, 201 }, NONE, (rng_t){ 51, 101 }, 301, 1); }
static void bridging_two_ranges(void) {
  shape("bridging", (rng_t){ 101, 201 }, (rng_t){ 301, 401 }, (rng_t){ 151, 351 }, 501, 1);
}
/* The in-order segment itself overlaps held data: RCV.NXT jumps past the held range. */
static void in_order_over_held(void) {
  shape("in order over held", (rng_t){ 101, 201 }, NONE, (rng_t){ 1, 151 }, 301, 201);
}

/* A 4000-byte buffer without window scaling: the window is exactly 4000. */
static void small_buf(synack_config_t *c) { c->tcp_rcvbuf = 4000; }

static void beyond_the_window(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, small_buf);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  const synack_counters_t *ctr = synack_stack_counters(fx->st);
  uint64_t oow0 = ctr->drops[SYNACK_DROP_TCP_OUT_OF_WINDOW];
  /* Entirely beyond RCV.NXT + RCV.WND (4001): unacceptable, answered with an ACK. */
  inject_src(fx, SYNACK_MS(100), 2, (rng_t){ 4001, 4101 }, FX_A);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100), .win = 4000);
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_OUT_OF_WINDOW], oow0 + 1);
  /* Partly beyond: 3901..4001 is kept, 4001..4101 is trimmed (with the FIN after it). */
  inject_src(fx, SYNACK_MS(110), 1, (rng_t){ 3901, 4101 }, FX_FA);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(110), .win = 4000);
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_RCVBUF_FULL], 1);
  /* The gap, in three segments: each fills part of it and is acknowledged at once. */
  inject_src(fx, SYNACK_MS(120), 0, (rng_t){ 1, 1301 }, FX_A);
  fx_expect(fx, FX_A, 1, 1301, .t = SYNACK_MS(120), .win = 2700);
  inject_src(fx, SYNACK_MS(121), 0, (rng_t){ 1301, 2601 }, FX_A);
  fx_expect(fx, FX_A, 1, 2601, .t = SYNACK_MS(121), .win = 1400);
  inject_src(fx, SYNACK_MS(122), 0, (rng_t){ 2601, 3901 }, FX_PA);
  fx_expect(fx, FX_A, 1, 4001, .t = SYNACK_MS(122), .win = FX_WIN_ZERO);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED); /* the trimmed FIN was not taken */
  static uint8_t got[5000];
  fx_check_rc(fx_recv(fx, s, got, sizeof got), 4000);
  for (uint32_t p = 1; p < 4001; p++)
    if (got[p - 1] != src_byte(p >= 3901 ? 1 : 0, p)) { CHECK_EQ_U(got[p - 1], src_byte(p >= 3901 ? 1 : 0, p)); break; }
  /* The reader emptied the buffer: a window update opens it again. */
  fx_expect(fx, FX_A, 1, 4001, .win = 4000);
  fx_free(fx);
}

static void ooo_bytes_bound(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_ooo_max_bytes = 3000;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  const synack_counters_t *ctr = synack_stack_counters(fx->st);
  synack_time_t t = SYNACK_MS(100);
  for (uint32_t k = 0; k < 3; k++) {
    inject_src(fx, t += SYNACK_MS(1), 1, (rng_t){ 1001 + 2000 * k, 2001 + 2000 * k }, FX_A);
    fx_expect(fx, FX_A, 1, 1, .t = t);
  }
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_OOO_NO_MEMORY], 0);
  /* 3000 bytes held: a fourth range is over the bound: dropped (still a duplicate ACK). */
  inject_src(fx, t += SYNACK_MS(1), 1, (rng_t){ 7001, 8001 }, FX_FA);
  fx_expect(fx, FX_A, 1, 1, .t = t);
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_OOO_NO_MEMORY], 1);
  /* So is one byte more on a held range; a pure duplicate costs nothing and is not dropped. */
  inject_src(fx, t += SYNACK_MS(1), 1, (rng_t){ 1001, 2002 }, FX_A);
  fx_expect(fx, FX_A, 1, 1, .t = t);
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_OOO_NO_MEMORY], 2);
  inject_src(fx, t += SYNACK_MS(1), 1, (rng_t){ 1001, 2001 }, FX_A);
  fx_expect(fx, FX_A, 1, 1, .t = t);
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_OOO_NO_MEMORY], 2);
  /* Fill the holes: the stream ends at 7001; the dropped FIN is not there. */
  for (uint32_t k = 0; k < 4; k++) {
    inject_src(fx, t += SYNACK_MS(1), 0, (rng_t){ 1 + 2000 * k, 1001 + 2000 * k }, FX_A);
    /* The last one is plain in-order data (nothing held any more): delayed ACK. */
    fx_expect(fx, FX_A, 1, k < 3 ? 2001 + 2000 * k : 7001, .t = k < 3 ? t : t + SYNACK_MS(40));
  }
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  static uint8_t got[8000];
  fx_check_rc(fx_recv(fx, s, got, sizeof got), 7000);
  for (uint32_t p = 1; p < 7001; p++) {
    int src = ((p - 1) / 1000) % 2 ? 1 : 0;
    if (got[p - 1] != src_byte(src, p)) { CHECK_EQ_U(got[p - 1], src_byte(src, p)); break; }
  }
  fx_free(fx);
}

static void ooo_ranges_bound(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_ooo_max_ranges = 4;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  const synack_counters_t *ctr = synack_stack_counters(fx->st);
  synack_time_t t = SYNACK_MS(100);
  for (uint32_t k = 0; k < 5; k++) {
    inject_src(fx, t += SYNACK_MS(1), 1, (rng_t){ 101 + 200 * k, 201 + 200 * k }, FX_A);
    fx_expect(fx, FX_A, 1, 1, .t = t);
  }
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_OOO_RANGES_FULL], 1); /* the fifth (901..1001) */
  CHECK_EQ_U(ctr->events[SYNACK_CTR_TCP_OOO_SEGS], 4);
  /* Growing a held range needs no new slot. */
  inject_src(fx, t += SYNACK_MS(1), 1, (rng_t){ 201, 251 }, FX_A);
  fx_expect(fx, FX_A, 1, 1, .t = t);
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_OOO_RANGES_FULL], 1);
  /* Fill everything up to 801; 901..1001 was dropped, so 801..901 leaves RCV.NXT at 901. */
  inject_src(fx, t += SYNACK_MS(1), 0, (rng_t){ 1, 901 }, FX_A);
  fx_expect(fx, FX_A, 1, 901, .t = t);
  static uint8_t got[1000];
  fx_check_rc(fx_recv(fx, s, got, sizeof got), 900);
  for (uint32_t p = 1; p < 901; p++) {
    bool held = (p >= 101 && p < 251) || (p >= 301 && p < 401) || (p >= 501 && p < 601) || (p >= 701 && p < 801);
    if (got[p - 1] != src_byte(held ? 1 : 0, p)) { CHECK_EQ_U(got[p - 1], src_byte(held ? 1 : 0, p)); break; }
  }
  fx_free(fx);
}

/* Wrapping sequence numbers: the peer's ISN just below 2^32. */
static void reassembly_across_wrap(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_isn = 0xffffff00u;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  inject_src(fx, SYNACK_MS(100), 2, (rng_t){ 301, 601 }, FX_A);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100));
  inject_src(fx, SYNACK_MS(101), 1, (rng_t){ 201, 401 }, FX_A);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(101));
  inject_src(fx, SYNACK_MS(102), 0, (rng_t){ 1, 601 }, FX_A);
  fx_expect(fx, FX_A, 1, 601, .t = SYNACK_MS(102));
  static uint8_t got[700];
  fx_check_rc(fx_recv(fx, s, got, sizeof got), 600);
  for (uint32_t p = 1; p < 601; p++) {
    int src = p >= 301 ? 2 : p >= 201 ? 1 : 0;
    if (got[p - 1] != src_byte(src, p)) { CHECK_EQ_U(got[p - 1], src_byte(src, p)); break; }
  }
  fx_free(fx);
}

/* ---- random overlaps against a model ---------------------------------------------------
 * Segments of random position and length (old, duplicate, overlapping, out of order, beyond
 * the window), each copy of a byte with its own value. A byte-level model says what must be
 * kept (the first copy inside the window), where RCV.NXT is, which D-SACK block and which SACK
 * blocks the one ACK each segment triggers must carry. Then the stream is completed and read. */
#define RMAX 200000u
static uint8_t m_val[RMAX];
static bool m_have[RMAX];

static uint64_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}
static uint8_t ver_byte(uint32_t ver, uint32_t p) { return (uint8_t)(ver * 131u + p * 7u + (p >> 8)); }

static void random_run(uint64_t seed, int iters) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_ooo_max_ranges = 4096; /* no drops: the bounds have their own tests */
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  memset(m_have, 0, sizeof m_have);
  uint32_t nxt = 1, edge = 1 + 65535;
  synack_time_t t = MS(100);
  static uint8_t data[1500];
  int bad = 0;
  for (int it = 0; it < iters && !bad; it++) {
    if (edge + 2000 >= RMAX) break;
    uint32_t lo = nxt > 1500 ? nxt - 1500 : 1, seq;
    uint64_t kind = rnd(&seed) % 8;
    if (kind == 0) seq = nxt;                                                 /* in order */
    else if (kind == 1) seq = lo + (uint32_t)(rnd(&seed) % (nxt - lo + 1));  /* old or straddling */
    else seq = nxt + (uint32_t)(rnd(&seed) % (edge + 300 - nxt < 20000 ? edge + 300 - nxt : 20000));
    uint32_t len = 1 + (uint32_t)(rnd(&seed) % (rnd(&seed) % 4 ? 1400 : 40));
    uint32_t ver = (uint32_t)it + 1;
    for (uint32_t i = 0; i < len; i++) data[i] = ver_byte(ver, seq + i);
    fx_inject(fx, t, FX_A, seq, 1, .data = data, .len = len);
    /* The model. */
    uint32_t end = seq + len, dl = 0, dr = 0, first_new = 0;
    bool dsack = false, ooo_arrival = false;
    if (end <= nxt) { dsack = true; dl = seq; dr = end; }          /* all old: unacceptable */
    else if (seq < edge) {                                           /* acceptable */
      uint32_t tl = seq > nxt ? seq : nxt, tr = end < edge ? end : edge;
      if (seq < nxt) { dsack = true; dl = seq; dr = nxt; }
      else {
        for (uint32_t p = tl; p < tr; p++)
          if (m_have[p]) { dl = p; while (p < tr && m_have[p]) p++; dr = p; dsack = true; break; }
      }
      ooo_arrival = tl > nxt && tl < tr;
      first_new = tl;
      for (uint32_t p = tl; p < tr; p++)
        if (!m_have[p]) { m_have[p] = true; m_val[p] = data[p - seq]; }
      while (m_have[nxt]) nxt++;
    }
    t += MS(50);
    fx_advance(fx, t);
    /* Exactly one ACK. */
    fx_frame_t f;
    synack_dissect_t d;
    int n = 0;
    while (fx_pop_tcp(fx, &f, &d)) {
      n++;
      uint32_t ack = d.tcp.ack - fx->peer_isn;
      if (ack + d.tcp.window > edge) edge = ack + d.tcp.window;
      char why[160] = "";
      synack_sack_block_t blk[4];
      uint8_t nb = (d.tcp.opts.present & SYNACK_TCPOPT_HAS_SACK) ? d.tcp.opts.sack_count : 0;
      for (uint8_t k = 0; k < nb; k++) {
        blk[k].left = d.tcp.opts.sack[k].left - fx->peer_isn;
        blk[k].right = d.tcp.opts.sack[k].right - fx->peer_isn;
      }
      uint8_t k0 = 0;
      if (ack != nxt) snprintf(why, sizeof why, "ack %u, model %u", ack, nxt);
      else if (dsack && (nb == 0 || blk[0].left != dl || blk[0].right != dr))
        snprintf(why, sizeof why, "D-SACK %u:%u expected first", dl, dr);
      else {
        k0 = dsack ? 1 : 0;
        /* The held ranges above RCV.NXT, counted; every other block must be one of them. */
        uint32_t nranges = 0;
        for (uint32_t p = nxt; p < RMAX - 1; p++)
          if (m_have[p] && !m_have[p - 1]) nranges++;
        uint32_t want = nranges < (uint32_t)(4 - k0) ? nranges : (uint32_t)(4 - k0);
        if ((uint32_t)(nb - k0) != want) snprintf(why, sizeof why, "%u SACK blocks, model %u ranges", nb - k0, nranges);
        for (uint8_t k = k0; !why[0] && k < nb; k++) {
          uint32_t l = blk[k].left, r = blk[k].right;
          bool ok = l > nxt && l < r && r < RMAX && m_have[l] && !m_have[l - 1] && m_have[r - 1] && !m_have[r];
          for (uint32_t p = l; ok && p < r; p++) ok = m_have[p];
          for (uint8_t j = k0; ok && j < k; j++) ok = blk[j].left != l;
          if (!ok) snprintf(why, sizeof why, "block %u:%u is not a distinct held range", l, r);
        }
        if (!why[0] && ooo_arrival && first_new >= nxt &&
            (nb <= k0 || blk[k0].left > first_new || blk[k0].right <= first_new))
          snprintf(why, sizeof why, "first block does not hold the newest arrival at %u", first_new);
      }
      if (why[0]) {
        char got[512];
        fprintf(stderr, "seed %" PRIu64 " iteration %d (seg %u:%u): %s\n  %s\n", seed, it, seq, end, why,
                fx_format(fx, &f, got, sizeof got));
        bad = 1;
      }
      free(f.buf);
    }
    if (n != 1 && !bad) {
      fprintf(stderr, "seed %" PRIu64 " iteration %d: %d segments, expected one ACK\n", seed, it, n);
      bad = 1;
    }
  }
  /* Complete the stream up to the edge and read it all. */
  uint32_t p = nxt;
  while (!bad && p < edge) {
    uint32_t len = edge - p < 1400 ? edge - p : 1400;
    for (uint32_t i = 0; i < len; i++) data[i] = ver_byte(0, p + i);
    fx_inject(fx, t, FX_A, p, 1, .data = data, .len = len);
    for (uint32_t i = 0; i < len; i++)
      if (!m_have[p + i]) { m_have[p + i] = true; m_val[p + i] = data[i]; }
    p += len;
    t += MS(1);
  }
  while (m_have[nxt]) nxt++;
  static uint8_t got[RMAX];
  int64_t r = fx_recv(fx, s, got, sizeof got);
  if (!bad && r != (int64_t)(nxt - 1)) {
    fprintf(stderr, "seed %" PRIu64 ": read %" PRId64 " bytes, model %u\n", seed, r, nxt - 1);
    bad = 1;
  }
  for (uint32_t q = 1; !bad && q < nxt; q++)
    if (got[q - 1] != m_val[q]) {
      fprintf(stderr, "seed %" PRIu64 ": byte %u is 0x%02x, first copy 0x%02x\n", seed, q, got[q - 1], m_val[q]);
      bad = 1;
    }
  th_total_checks++;
  if (bad) th_case_failed = 1;
  fx_free(fx);
}

static void random_overlaps_match_model(void) {
  for (uint64_t seed = 1; seed <= 6; seed++) random_run(seed * 0x9e3779b97f4a7c15ull, 400);
}

/* Data beyond the peer's FIN (the peer sends bytes past the end of its stream, out of order):
 * once the FIN is taken the out-of-order bytes are discarded — no SACK block for them on the ACK
 * of the FIN, and no range left at RCV.NXT (found by fuzz_tcp_state: the range [p+2, p+130)
 * survived the FIN at p+1 and then started at RCV.NXT). */
static void data_beyond_fin_discarded(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_A, 2, 1, .len = 128);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100), .layout = "nop,nop,sack", .nsack = 1, .sack = { { 2, 130 } });
  fx_inject(fx, MS(101), FX_FA, 1, 1);
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  fx_expect(fx, FX_A, 1, 2, .layout = "", .t = MS(101), .within = MS(50)); /* the delayed ACK of the FIN */
  char why[160] = "";
  fx_check(synack_tcp_check_invariants(fx->st, why, sizeof why));
  if (why[0]) fprintf(stderr, "invariant: %s\n", why);
  uint8_t buf[256];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 0); /* end of stream, none of the bytes beyond it */
  fx_free(fx);
}

TH_MAIN(TH_CASE(data_beyond_fin_discarded), TH_CASE(random_overlaps_match_model), TH_CASE(overlap_left), TH_CASE(overlap_right), TH_CASE(overlap_covering),
        TH_CASE(overlap_covered),
        TH_CASE(overlap_exact_dup), TH_CASE(adjacent_right), TH_CASE(adjacent_left), TH_CASE(bridging_two_ranges),
        TH_CASE(in_order_over_held), TH_CASE(beyond_the_window), TH_CASE(ooo_bytes_bound), TH_CASE(ooo_ranges_bound),
        TH_CASE(reassembly_across_wrap))
