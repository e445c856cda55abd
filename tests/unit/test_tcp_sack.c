/* The sender's SACK scoreboard (tcp_sack.c): merging, advancing, the bound, holes, RFC 6675
 * IsLost edge and SetPipe, and block validation with D-SACK detection. */
#include "harness.h"
#include "tcp_sack.h"

#define S(x) seq_make(x)
/* Most cases use an attached table of 16 ranges, as the stack attaches one on the first SACK. */
#define SYNACK_SACK_RANGES 16
#define BOARD(b)                                \
  synack_sackboard_t b = { 0 };                 \
  synack_sack_range_t b##_tab[SYNACK_SACK_RANGES]; \
  synack_sack_attach(&b, b##_tab, SYNACK_SACK_RANGES)

static void add_merges_and_sorts(void) {
  BOARD(b);
  synack_sack_reset(&b);
  CHECK_EQ_U(synack_sack_add(&b, S(3000), S(4000)), 1000);
  CHECK_EQ_U(synack_sack_add(&b, S(1000), S(2000)), 1000);
  CHECK_EQ_U(synack_sack_add(&b, S(5000), S(6000)), 1000);
  CHECK_EQ_U(b.n, 3);
  CHECK_EQ_U(b.ext[0].start.v, 1000);
  CHECK_EQ_U(b.ext[2].end.v, 6000);
  /* Duplicate: nothing new. */
  CHECK_EQ_U(synack_sack_add(&b, S(3000), S(4000)), 0);
  /* Adjacent on both sides: 2000..3000 joins the first two. */
  CHECK_EQ_U(synack_sack_add(&b, S(2000), S(3000)), 1000);
  CHECK_EQ_U(b.n, 2);
  CHECK_EQ_U(b.ext[0].start.v, 1000);
  CHECK_EQ_U(b.ext[0].end.v, 4000);
  /* Overlapping everything. */
  CHECK_EQ_U(synack_sack_add(&b, S(500), S(7000)), 6500 - 4000);
  CHECK_EQ_U(b.n, 1);
  CHECK_EQ_U(b.bytes, 6500);
  /* Empty or inverted ranges are ignored. */
  CHECK_EQ_U(synack_sack_add(&b, S(9000), S(9000)), 0);
  CHECK_EQ_U(synack_sack_add(&b, S(9000), S(8000)), 0);
  CHECK_EQ_U(b.n, 1);
}

static void add_wraps_sequence_space(void) {
  BOARD(b);
  synack_sack_reset(&b);
  CHECK_EQ_U(synack_sack_add(&b, S(0xfffffc00u), S(0x400u)), 0x800);
  CHECK_EQ_U(synack_sack_add(&b, S(0x400u), S(0x800u)), 0x400);
  CHECK_EQ_U(b.n, 1);
  CHECK_EQ_U(b.ext[0].start.v, 0xfffffc00u);
  CHECK_EQ_U(b.ext[0].end.v, 0x800u);
}

static void advance_trims(void) {
  BOARD(b);
  synack_sack_reset(&b);
  synack_sack_add(&b, S(1000), S(2000));
  synack_sack_add(&b, S(3000), S(4000));
  synack_sack_advance(&b, S(1500));
  CHECK_EQ_U(b.n, 2);
  CHECK_EQ_U(b.ext[0].start.v, 1500);
  CHECK_EQ_U(b.bytes, 1500);
  synack_sack_advance(&b, S(3000));
  CHECK_EQ_U(b.n, 1);
  CHECK_EQ_U(b.bytes, 1000);
  synack_sack_advance(&b, S(5000));
  CHECK_EQ_U(b.n, 0);
  CHECK_EQ_U(b.bytes, 0);
}

static void bound_forgets_the_highest(void) {
  BOARD(b);
  synack_sack_reset(&b);
  for (uint32_t i = 0; i < SYNACK_SACK_RANGES; i++) CHECK_EQ_U(synack_sack_add(&b, S(1000 + i * 200), S(1100 + i * 200)), 100);
  CHECK_EQ_U(b.n, SYNACK_SACK_RANGES);
  /* Above everything with a full table: ignored. */
  CHECK_EQ_U(synack_sack_add(&b, S(100000), S(100100)), 0);
  CHECK_EQ_U(b.n, SYNACK_SACK_RANGES);
  /* Below everything: kept, the highest range is dropped. */
  uint32_t top = b.ext[SYNACK_SACK_RANGES - 1].start.v;
  CHECK_EQ_U(synack_sack_add(&b, S(100), S(200)), 100);
  CHECK_EQ_U(b.n, SYNACK_SACK_RANGES);
  CHECK_EQ_U(b.ext[0].start.v, 100);
  CHECK(b.ext[SYNACK_SACK_RANGES - 1].start.v < top);
  CHECK_EQ_U(b.bytes, SYNACK_SACK_RANGES * 100u);
  /* Merging into an existing range needs no slot. */
  CHECK_EQ_U(synack_sack_add(&b, S(1100), S(1200)), 100);
  CHECK_EQ_U(b.n, SYNACK_SACK_RANGES - 1);
}

static void holes_and_bytes(void) {
  BOARD(b);
  synack_sack_reset(&b);
  synack_sack_add(&b, S(2000), S(3000));
  synack_sack_add(&b, S(4000), S(5000));
  synack_seq_t hs, he, e;
  CHECK(synack_sack_next_hole(&b, S(1000), S(6000), &hs, &he));
  CHECK_EQ_U(hs.v, 1000);
  CHECK_EQ_U(he.v, 2000);
  CHECK(synack_sack_next_hole(&b, S(2500), S(6000), &hs, &he));
  CHECK_EQ_U(hs.v, 3000);
  CHECK_EQ_U(he.v, 4000);
  CHECK(synack_sack_next_hole(&b, S(4000), S(6000), &hs, &he));
  CHECK_EQ_U(hs.v, 5000);
  CHECK_EQ_U(he.v, 6000);
  CHECK(!synack_sack_next_hole(&b, S(4000), S(5000), &hs, &he));
  CHECK(!synack_sack_next_hole(&b, S(1000), S(1000), &hs, &he));
  CHECK_EQ_U(synack_sack_bytes_in(&b, S(1000), S(6000)), 2000);
  CHECK_EQ_U(synack_sack_bytes_in(&b, S(2500), S(4500)), 1000);
  CHECK(synack_sack_covers(&b, S(2999), &e));
  CHECK_EQ_U(e.v, 3000);
  CHECK(!synack_sack_covers(&b, S(3000), &e));
  CHECK_EQ_U(synack_sack_high(&b, S(1000)).v, 5000);
}

/* The highest hole (the recovery probe's segment, tcp_rack.c): below SND.MAX when the top range
 * ends there, else from the top range to SND.MAX; none when everything is SACKed. */
static void last_hole(void) {
  BOARD(b);
  synack_seq_t hs, he;
  CHECK(synack_sack_last_hole(&b, S(1000), S(6000), &hs, &he)); /* nothing SACKed */
  CHECK_EQ_U(hs.v, 1000);
  CHECK_EQ_U(he.v, 6000);
  synack_sack_add(&b, S(2000), S(3000));
  CHECK(synack_sack_last_hole(&b, S(1000), S(6000), &hs, &he)); /* above the top range */
  CHECK_EQ_U(hs.v, 3000);
  CHECK_EQ_U(he.v, 6000);
  synack_sack_add(&b, S(4000), S(6000));
  CHECK(synack_sack_last_hole(&b, S(1000), S(6000), &hs, &he)); /* between the two ranges */
  CHECK_EQ_U(hs.v, 3000);
  CHECK_EQ_U(he.v, 4000);
  synack_sack_reset(&b);
  synack_sack_add(&b, S(2000), S(6000));
  CHECK(synack_sack_last_hole(&b, S(1000), S(6000), &hs, &he)); /* SND.UNA up to the only range */
  CHECK_EQ_U(hs.v, 1000);
  CHECK_EQ_U(he.v, 2000);
  CHECK(!synack_sack_last_hole(&b, S(6000), S(6000), &hs, &he)); /* nothing outstanding */
  /* Across the wrap of the sequence space. */
  synack_sack_reset(&b);
  synack_sack_add(&b, S(0xfffffc00u), S(0x100));
  CHECK(synack_sack_last_hole(&b, S(0xfffff000u), S(0x200), &hs, &he));
  CHECK_EQ_U(hs.v, 0x100);
  CHECK_EQ_U(he.v, 0x200);
}

static void lost_edge_rules(void) {
  const uint32_t mss = 1000;
  BOARD(b);
  synack_sack_reset(&b);
  /* una = 0, segments of 1000. One SACKed segment above: nothing lost. */
  synack_sack_add(&b, S(1000), S(2000));
  CHECK_EQ_U(synack_sack_lost_edge(&b, S(0), mss).v, 0);
  /* Two discontiguous segments: still 2 ranges, 2000 bytes (not more than 2*SMSS). */
  synack_sack_add(&b, S(3000), S(4000));
  CHECK_EQ_U(synack_sack_lost_edge(&b, S(0), mss).v, 0);
  /* Third discontiguous range: DupThresh sequences above hole 0: edge at the lowest range. */
  synack_sack_add(&b, S(5000), S(6000));
  CHECK_EQ_U(synack_sack_lost_edge(&b, S(0), mss).v, 1000);
  /* Bytes rule alone: one range of 2001 bytes above the hole. */
  synack_sack_reset(&b);
  synack_sack_add(&b, S(1000), S(3000));
  CHECK_EQ_U(synack_sack_lost_edge(&b, S(0), mss).v, 0);
  synack_sack_add(&b, S(3000), S(3001));
  CHECK_EQ_U(synack_sack_lost_edge(&b, S(0), mss).v, 1000);
}

static void pipe_accounting(void) {
  const uint32_t mss = 1000;
  BOARD(b);
  synack_sack_reset(&b);
  /* 10 segments outstanding (0..10000); 0 lost, 1..3 SACKed: 3 ranges? one range of 3000. */
  synack_sack_add(&b, S(1000), S(4000));
  synack_seq_t edge = synack_sack_lost_edge(&b, S(0), mss);
  CHECK_EQ_U(edge.v, 1000);
  /* Not lost, not SACKed: 4000..10000 = 6000. */
  CHECK_EQ_U(synack_sack_pipe(&b, S(0), S(10000), edge, S(0)), 6000);
  /* After retransmitting 0..1000 (HighRxt = 1000): +1000. */
  CHECK_EQ_U(synack_sack_pipe(&b, S(0), S(10000), edge, S(1000)), 7000);
  /* Nothing outstanding. */
  CHECK_EQ_U(synack_sack_pipe(&b, S(10000), S(10000), edge, S(10000)), 0);
  /* A lost edge forced to SND.MAX (after an RTO): only retransmitted bytes count. */
  CHECK_EQ_U(synack_sack_pipe(&b, S(0), S(10000), S(10000), S(0)), 0);
  CHECK_EQ_U(synack_sack_pipe(&b, S(0), S(10000), S(10000), S(6000)), 3000);
}

static void update_validates_and_detects_dsack(void) {
  BOARD(b);
  synack_sack_reset(&b);
  synack_sack_update_t u;
  synack_sack_block_t blk[4] = { { 2000, 3000 }, { 4000, 5000 } };
  synack_sack_update(&b, blk, 2, S(1000), S(10000), &u);
  CHECK_EQ_U(u.newly_sacked, 2000);
  CHECK(!u.dsack);
  CHECK_EQ_U(u.invalid, 0);
  /* Beyond SND.MAX, inverted, and entirely below the ACK (second block): ignored. */
  synack_sack_block_t bad[3] = { { 9000, 11000 }, { 6000, 5000 }, { 100, 200 } };
  synack_sack_update(&b, bad, 3, S(1000), S(10000), &u);
  CHECK_EQ_U(u.newly_sacked, 0);
  CHECK_EQ_U(u.invalid, 3);
  CHECK_EQ_U(b.bytes, 2000);
  /* D-SACK below the cumulative ACK (RFC 2883 §4.1.1): recorded, not added. */
  synack_sack_block_t d1[2] = { { 500, 1000 }, { 2000, 3000 } };
  synack_sack_update(&b, d1, 2, S(1000), S(10000), &u);
  CHECK(u.dsack);
  CHECK_EQ_U(u.dsack_start.v, 500);
  CHECK_EQ_U(u.dsack_end.v, 1000);
  CHECK_EQ_U(u.newly_sacked, 0);
  /* D-SACK inside the second block (RFC 2883 §4.1.2). */
  synack_sack_block_t d2[2] = { { 4000, 4500 }, { 4000, 6000 } };
  synack_sack_update(&b, d2, 2, S(1000), S(10000), &u);
  CHECK(u.dsack);
  CHECK_EQ_U(u.newly_sacked, 1000);
  CHECK_EQ_U(b.bytes, 3000);
  /* A late ACK (its ACK field 1000, SND.UNA already 5000): a first block between the two is old
   * news, not a duplicate (RFC 2883 §4 judges it against the segment's own ACK field). */
  synack_sack_block_t late[1] = { { 3000, 4000 } };
  synack_sack_parse(late, 1, S(1000), S(5000), S(10000), &u);
  CHECK(!u.dsack);
  CHECK_EQ_U(u.nblk, 0);
  synack_sack_block_t late_dup[1] = { { 500, 1000 } };
  synack_sack_parse(late_dup, 1, S(1000), S(5000), S(10000), &u);
  CHECK(u.dsack);
  /* A block straddling the ACK is trimmed to it. */
  synack_sack_block_t s1[1] = { { 800, 1500 } };
  synack_sack_update(&b, s1, 1, S(1000), S(10000), &u);
  CHECK(!u.dsack);
  CHECK_EQ_U(u.newly_sacked, 500);
  CHECK_EQ_U(b.ext[0].start.v, 1000);
}

/* Without a table the board holds SYNACK_SACK_INLINE ranges; attaching one keeps them. */
static void inline_ranges_then_attach(void) {
  synack_sackboard_t b = { 0 };
  for (uint32_t i = 0; i < SYNACK_SACK_INLINE; i++) CHECK_EQ_U(synack_sack_add(&b, S(1000 + i * 200), S(1100 + i * 200)), 100);
  CHECK_EQ_U(synack_sack_add(&b, S(5000), S(5100)), 0); /* full: the highest is not kept */
  CHECK_EQ_U(b.n, SYNACK_SACK_INLINE);
  synack_sack_range_t tab[8];
  synack_sack_attach(&b, tab, 8);
  CHECK_EQ_U(b.n, SYNACK_SACK_INLINE);
  CHECK_EQ_U(synack_sack_at(&b, 0)->start.v, 1000);
  CHECK_EQ_U(synack_sack_add(&b, S(5000), S(5100)), 100); /* room now */
  CHECK_EQ_U(b.n, SYNACK_SACK_INLINE + 1);
  CHECK_EQ_U(synack_sack_high(&b, S(0)).v, 5100);
  CHECK_EQ_U(b.bytes, (SYNACK_SACK_INLINE + 1) * 100u);
  CHECK(synack_sack_detach(&b) == tab);
  CHECK_EQ_U(b.n, 0);
  CHECK_EQ_U(b.bytes, 0);
  CHECK(b.ext == NULL);
}

TH_MAIN(TH_CASE(inline_ranges_then_attach), TH_CASE(add_merges_and_sorts), TH_CASE(add_wraps_sequence_space), TH_CASE(advance_trims),
        TH_CASE(bound_forgets_the_highest), TH_CASE(holes_and_bytes), TH_CASE(last_hole), TH_CASE(lost_edge_rules),
        TH_CASE(pipe_accounting), TH_CASE(update_validates_and_detects_dsack))
