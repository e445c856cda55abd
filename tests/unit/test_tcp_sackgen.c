/* SACK block generation (tcp_sackgen.c): RFC 2018 §4 order, RFC 2883 D-SACK. */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"

static synack_seq_range_t g_r[16];
static synack_ooo_t q;
static synack_sackgen_t g;

static void reset(void) {
  memset(&q, 0, sizeof q);
  memset(g_r, 0, sizeof g_r);
  q.r = g_r;
  q.cap = 16;
  synack_sackgen_reset(&g);
}

/* A segment [s, e) arrives out of order. */
static void arrive(uint32_t s, uint32_t e) {
  synack_ooo_add(&q, seq_make(s), seq_make(e));
  synack_sackgen_arrival(&g, &q, seq_make(s));
}

/* Checks the blocks of the next ACK: pairs of edges, n blocks. */
static int blocks_eq(uint32_t rcv_nxt, uint8_t max, int n, const uint32_t *want) {
  synack_sack_block_t b[4];
  uint8_t k = synack_sackgen_blocks(&g, &q, seq_make(rcv_nxt), b, max);
  int ok = k == n;
  for (int i = 0; ok && i < n; i++) ok = b[i].left == want[2 * i] && b[i].right == want[2 * i + 1];
  if (!ok) {
    fprintf(stderr, "  blocks:");
    for (int i = 0; i < k; i++) fprintf(stderr, " %u-%u", b[i].left, b[i].right);
    fprintf(stderr, "\n  wanted:");
    for (int i = 0; i < n; i++) fprintf(stderr, " %u-%u", want[2 * i], want[2 * i + 1]);
    fprintf(stderr, "\n");
  }
  return ok;
}
#define BLOCKS(nxt, max, n, ...) CHECK(blocks_eq((nxt), (max), (n), (const uint32_t[]){ __VA_ARGS__ }))

static void most_recent_first(void) {
  reset();
  BLOCKS(100, 4, 0, 0);
  arrive(200, 300);
  BLOCKS(100, 4, 1, 200, 300);
  arrive(400, 500);
  BLOCKS(100, 4, 2, 400, 500, 200, 300);
  arrive(600, 700);
  BLOCKS(100, 4, 3, 600, 700, 400, 500, 200, 300);
  arrive(300, 350); /* extends the oldest block: it becomes the first */
  BLOCKS(100, 4, 3, 200, 350, 600, 700, 400, 500);
  arrive(800, 900);
  arrive(1000, 1100);
  /* Five ranges, four blocks: the four most recent. */
  BLOCKS(100, 4, 4, 1000, 1100, 800, 900, 200, 350, 600, 700);
  /* Three blocks with timestamps. */
  BLOCKS(100, 3, 3, 1000, 1100, 800, 900, 200, 350);
  arrive(500, 600); /* bridges 400-500 and 600-700 */
  BLOCKS(100, 4, 4, 400, 700, 1000, 1100, 800, 900, 200, 350);
}

static void cumulative_ack_removes_blocks(void) {
  reset();
  arrive(200, 300);
  arrive(400, 500);
  arrive(600, 700);
  /* The hole at 100 is filled up to 300: the first range is now in order. */
  CHECK_EQ_U(synack_ooo_take(&q, seq_make(200)), 100);
  BLOCKS(300, 4, 2, 600, 700, 400, 500);
  CHECK_EQ_U(g.nrecent, 2);
}

static void recency_fill_after_forgotten(void) {
  reset();
  /* Six ranges arrive lowest first; only four recent points are remembered. */
  for (uint32_t i = 0; i < 6; i++) arrive(200 + 200 * i, 300 + 200 * i);
  BLOCKS(100, 4, 4, 1200, 1300, 1000, 1100, 800, 900, 600, 700);
  /* Fill the first two holes: 200-300 and 400-500 become in order; the four recent ones remain. */
  synack_ooo_take(&q, seq_make(200));
  synack_ooo_take(&q, seq_make(400));
  BLOCKS(500, 4, 4, 1200, 1300, 1000, 1100, 800, 900, 600, 700);
  /* Recent points that leave: the lowest other range fills the room. */
  reset();
  for (uint32_t i = 0; i < 6; i++) arrive(1200 - 200 * i, 1300 - 200 * i); /* highest first */
  /* recent: 200, 400, ..., 1200 (newest first). */
  synack_ooo_take(&q, seq_make(200)); /* 200-300 in order */
  BLOCKS(300, 4, 4, 400, 500, 600, 700, 800, 900, 1000, 1100);
}

static void dsack_below_rcv_nxt(void) {
  reset();
  synack_sackgen_dsack(&g, seq_make(50), seq_make(80));
  BLOCKS(100, 4, 1, 50, 80);
  BLOCKS(100, 4, 0, 0); /* reported once */
  arrive(200, 300);
  synack_sackgen_dsack(&g, seq_make(60), seq_make(100));
  BLOCKS(100, 3, 2, 60, 100, 200, 300);
}

static void dsack_inside_held_range(void) {
  reset();
  arrive(200, 300);
  arrive(400, 500);
  arrive(600, 700);
  /* 420-480 arrives again: D-SACK, then its block, then the others by recency. */
  synack_sackgen_dsack(&g, seq_make(420), seq_make(480));
  synack_sackgen_arrival(&g, &q, seq_make(420));
  BLOCKS(100, 4, 4, 420, 480, 400, 500, 600, 700, 200, 300);
  /* An exact duplicate of a whole range: the second block repeats it (RFC 2883 §4 / §5). */
  synack_sackgen_dsack(&g, seq_make(600), seq_make(700));
  synack_sackgen_arrival(&g, &q, seq_make(600));
  BLOCKS(100, 3, 3, 600, 700, 600, 700, 400, 500);
  BLOCKS(100, 3, 3, 600, 700, 400, 500, 200, 300);
  /* No room: the D-SACK block is kept for the next segment. */
  synack_sackgen_dsack(&g, seq_make(50), seq_make(60));
  BLOCKS(100, 0, 0, 0);
  BLOCKS(100, 1, 1, 50, 60);
}

static void max_blocks_from_option_space(void) {
  CHECK_EQ_U(synack_sack_max_blocks(0), 4);  /* 40 bytes: nop,nop + 2 + 4*8 = 36 */
  CHECK_EQ_U(synack_sack_max_blocks(12), 3); /* nop,nop,TS: 28 left: nop,nop + 2 + 3*8 = 28 */
  CHECK_EQ_U(synack_sack_max_blocks(20), 2);
  CHECK_EQ_U(synack_sack_max_blocks(28), 1);
  CHECK_EQ_U(synack_sack_max_blocks(30), 0);
}

static void wraps(void) {
  reset();
  uint32_t b = 0xffffff00u;
  arrive(b + 0x80, b + 0x180); /* straddles 2^32 */
  arrive(b + 0x200, b + 0x280);
  BLOCKS(b, 4, 2, b + 0x200, b + 0x280, b + 0x80, b + 0x180);
}

/* Arrivals between two ACKs (coalesced ACKs): the ranges not reported yet come right after the
 * newest one, before repetitions, until each has been in an ACK; synack_sackgen_unreported
 * says when another ACK is needed for that. */
static void coalesced_arrivals_reported_first(void) {
  reset();
  arrive(200, 300);
  BLOCKS(100, 3, 1, 200, 300);
  CHECK(!synack_sackgen_unreported(&g, &q, seq_make(100)));
  for (uint32_t i = 1; i < 5; i++) arrive(200 + 200 * i, 300 + 200 * i);
  CHECK(synack_sackgen_unreported(&g, &q, seq_make(100)));
  BLOCKS(100, 3, 3, 1000, 1100, 800, 900, 600, 700);
  CHECK(synack_sackgen_unreported(&g, &q, seq_make(100))); /* 400-500 */
  BLOCKS(100, 3, 3, 1000, 1100, 400, 500, 800, 900);
  CHECK(!synack_sackgen_unreported(&g, &q, seq_make(100)));
  /* Then RFC 2018's order: the newest, then the most recent others. */
  BLOCKS(100, 3, 3, 1000, 1100, 800, 900, 600, 700);
  /* A range that grows has changed: reported again before repetitions. */
  arrive(1100, 1150);
  arrive(300, 350);
  BLOCKS(100, 3, 3, 200, 350, 1000, 1150, 800, 900);
  CHECK(!synack_sackgen_unreported(&g, &q, seq_make(100)));
  /* A range that became in order needs no report. */
  arrive(1400, 1500);
  CHECK_EQ_U(synack_ooo_take(&q, seq_make(100)), 0);
  CHECK(synack_sackgen_unreported(&g, &q, seq_make(100)));
  CHECK(!synack_sackgen_unreported(&g, &q, seq_make(1500)));
}

TH_MAIN(TH_CASE(most_recent_first), TH_CASE(cumulative_ack_removes_blocks), TH_CASE(recency_fill_after_forgotten),
        TH_CASE(dsack_below_rcv_nxt), TH_CASE(dsack_inside_held_range), TH_CASE(max_blocks_from_option_space),
        TH_CASE(wraps), TH_CASE(coalesced_arrivals_reported_first))
