/* The out-of-order range table (tcp_ooo.c) and the first-copy-wins store of the receive ring
 * (synack_rcvbuf_store, tcp_buf.c). */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"
#include "tcpfix.h"

#define CAP 8
static synack_seq_range_t g_r[CAP];

static synack_ooo_t table(void) {
  synack_ooo_t q;
  memset(&q, 0, sizeof q);
  memset(g_r, 0, sizeof g_r);
  q.r = g_r;
  q.cap = CAP;
  return q;
}

static synack_seq_t S(uint32_t base, uint32_t off) { return seq_add(seq_make(base), off); }

#define CHECK_RANGE(q, i, b, s, e) \
  do { CHECK_EQ_U((q).r[i].start.v, S(b, s).v); CHECK_EQ_U((q).r[i].end.v, S(b, e).v); } while (0)

static void merge_and_take_across_wrap(void) {
  const uint32_t B = 0xfffffff0u; /* sequence numbers wrap inside the test */
  synack_ooo_t q = table();
  CHECK(synack_ooo_add(&q, S(B, 20), S(B, 30)));
  CHECK(synack_ooo_add(&q, S(B, 40), S(B, 50)));
  CHECK(synack_ooo_add(&q, S(B, 25), S(B, 42))); /* bridges both */
  CHECK_EQ_U(q.n, 1);
  CHECK_RANGE(q, 0, B, 20, 50);
  CHECK_EQ_U(q.bytes, 30);
  CHECK(synack_ooo_add(&q, S(B, 10), S(B, 15)));
  CHECK_EQ_U(q.n, 2);
  CHECK_EQ_U(synack_ooo_take(&q, S(B, 5)), 0);   /* gap before 10 */
  CHECK_EQ_U(synack_ooo_take(&q, S(B, 10)), 5);  /* 10..15 */
  CHECK_EQ_U(q.n, 1);
  CHECK_EQ_U(synack_ooo_take(&q, S(B, 22)), 28); /* overlap: 22..50 */
  CHECK_EQ_U(q.n, 0);
  CHECK_EQ_U(q.bytes, 0);
}

static void every_shape(void) {
  /* One range [100, 200), then each shape of a new range against it. */
  struct { uint32_t s, e; uint32_t n; uint32_t rs0, re0; uint32_t fresh; bool dup; uint32_t ds, de; bool slot; } t[] = {
    { 50, 120, 1, 50, 200, 50, true, 100, 120, false },   /* left overlap */
    { 150, 260, 1, 100, 260, 60, true, 150, 200, false }, /* right overlap */
    { 50, 260, 1, 50, 260, 110, true, 100, 200, false },  /* covering */
    { 120, 180, 1, 100, 200, 0, true, 120, 180, false },  /* covered */
    { 100, 200, 1, 100, 200, 0, true, 100, 200, false },  /* exact duplicate */
    { 200, 230, 1, 100, 230, 30, false, 0, 0, false },    /* adjacent on the right */
    { 70, 100, 1, 70, 200, 30, false, 0, 0, false },      /* adjacent on the left */
    { 300, 310, 2, 100, 200, 10, false, 0, 0, true },     /* disjoint */
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    synack_ooo_t q = table();
    REQUIRE(synack_ooo_add(&q, S(0, 100), S(0, 200)));
    synack_ooo_probe_t p;
    synack_ooo_probe(&q, S(0, t[i].s), S(0, t[i].e), &p);
    CHECK_EQ_U(p.fresh, t[i].fresh);
    CHECK_EQ_U(p.dup, t[i].dup);
    if (t[i].dup) { CHECK_EQ_U(p.dup_r.start.v, t[i].ds); CHECK_EQ_U(p.dup_r.end.v, t[i].de); }
    CHECK_EQ_U(p.needs_slot, t[i].slot);
    CHECK(synack_ooo_add(&q, S(0, t[i].s), S(0, t[i].e)));
    CHECK_EQ_U(q.n, t[i].n);
    CHECK_RANGE(q, 0, 0, t[i].rs0, t[i].re0);
    uint32_t total = 0;
    for (uint16_t k = 0; k < q.n; k++) total += (uint32_t)seq_diff(q.r[k].end, q.r[k].start);
    CHECK_EQ_U(q.bytes, total);
  }
}

static void bridging_probe(void) {
  synack_ooo_t q = table();
  REQUIRE(synack_ooo_add(&q, S(0, 100), S(0, 200)));
  REQUIRE(synack_ooo_add(&q, S(0, 300), S(0, 400)));
  synack_ooo_probe_t p;
  synack_ooo_probe(&q, S(0, 150), S(0, 350), &p); /* covers the gap and part of both */
  CHECK_EQ_U(p.fresh, 100);
  CHECK(p.dup);
  CHECK_EQ_U(p.dup_r.start.v, 150); /* the first held run */
  CHECK_EQ_U(p.dup_r.end.v, 200);
  CHECK(!p.needs_slot);
  CHECK(synack_ooo_add(&q, S(0, 150), S(0, 350)));
  CHECK_EQ_U(q.n, 1);
  CHECK_RANGE(q, 0, 0, 100, 400);
  CHECK_EQ_U(synack_ooo_find(&q, S(0, 399)), 0);
  CHECK_EQ_I(synack_ooo_find(&q, S(0, 400)), -1);
  CHECK_EQ_I(synack_ooo_find(&q, S(0, 99)), -1);
}

static void table_full(void) {
  synack_ooo_t q = table();
  for (uint32_t i = 0; i < CAP; i++) CHECK(synack_ooo_add(&q, S(0, 100 * i + 10), S(0, 100 * i + 20)));
  CHECK(!synack_ooo_add(&q, S(0, 5000), S(0, 5010))); /* a new hole: refused, nothing changed */
  CHECK_EQ_U(q.n, CAP);
  CHECK_EQ_U(q.bytes, CAP * 10);
  CHECK(synack_ooo_add(&q, S(0, 15), S(0, 30)));      /* extends one: fine */
  CHECK_EQ_U(q.n, CAP);
  CHECK(synack_ooo_add(&q, S(0, 20), S(0, 115)));     /* merges two */
  CHECK_EQ_U(q.n, CAP - 1);
  synack_ooo_t none;
  memset(&none, 0, sizeof none);
  CHECK(!synack_ooo_add(&none, S(0, 1), S(0, 2)));    /* no storage yet */
}

typedef struct { uint32_t off[8], len[8]; int n; } gaps_t;
static void collect(void *ctx, uint32_t off, uint32_t len) {
  gaps_t *g = ctx;
  g->off[g->n] = off;
  g->len[g->n] = len;
  g->n++;
}

static void gaps(void) {
  synack_ooo_t q = table();
  REQUIRE(synack_ooo_add(&q, S(7, 100), S(7, 200)));
  REQUIRE(synack_ooo_add(&q, S(7, 300), S(7, 400)));
  gaps_t g = { { 0 }, { 0 }, 0 };
  synack_ooo_each_gap(&q, S(7, 50), S(7, 450), collect, &g);
  CHECK_EQ_I(g.n, 3);
  CHECK_EQ_U(g.off[0], 0); CHECK_EQ_U(g.len[0], 50);    /* 50..100 */
  CHECK_EQ_U(g.off[1], 150); CHECK_EQ_U(g.len[1], 100); /* 200..300 */
  CHECK_EQ_U(g.off[2], 350); CHECK_EQ_U(g.len[2], 50);  /* 400..450 */
  memset(&g, 0, sizeof g);
  synack_ooo_each_gap(&q, S(7, 120), S(7, 180), collect, &g); /* inside a range: nothing */
  CHECK_EQ_I(g.n, 0);
}

/* The receive ring keeps the first copy of every byte, whatever overlaps later; the stored
 * bytes straddle a chunk boundary (tcp_buf.c). */
static void store_first_copy_wins(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET); /* the fixture's stack: bare IP, deterministic */
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  enum { LEAD = SYNACK_CHUNK - 12 }; /* in-order bytes before: the stores cross into chunk 2 */
  static uint8_t lead[LEAD], sink[LEAD];
  memset(lead, '.', sizeof lead);
  synack_rcvbuf_t b;
  memset(&b, 0, sizeof b);
  b.cap = 2 * SYNACK_CHUNK;
  b.ooo = table();
  REQUIRE(synack_rcvbuf_reserve(st, &b, 0, LEAD) == 0);
  synack_rcvbuf_place(&b, 0, lead, LEAD);
  synack_rcvbuf_commit(&b, LEAD);
  synack_seq_t nxt = seq_make(1000);
  REQUIRE(synack_rcvbuf_reserve(st, &b, 0, 25) == 0);
  /* [1010, 1020) "AAAAAAAAAA" held first. */
  synack_rcvbuf_store(&b, nxt, S(1000, 10), (const uint8_t *)"AAAAAAAAAA", 10);
  REQUIRE(synack_ooo_add(&b.ooo, S(1000, 10), S(1000, 20)));
  /* A later copy [1005, 1025) with different bytes: only 1005..1010 and 1020..1025 land. */
  synack_rcvbuf_store(&b, nxt, S(1000, 5), (const uint8_t *)"bbbbbBBBBBBBBBBccccc", 20);
  REQUIRE(synack_ooo_add(&b.ooo, S(1000, 5), S(1000, 25)));
  /* The in-order part [1000, 1008) overlapping the held range at 1005..1008. */
  synack_rcvbuf_store(&b, nxt, S(1000, 0), (const uint8_t *)"xxxxxyyy", 8);
  synack_rcvbuf_commit(&b, 8);
  nxt = S(1000, 8);
  uint32_t got = synack_ooo_take(&b.ooo, nxt);
  CHECK_EQ_U(got, 17);
  synack_rcvbuf_commit(&b, got);
  CHECK_EQ_U(synack_rcvbuf_read(st, &b, sink, LEAD, false), LEAD);
  uint8_t out[32];
  CHECK_EQ_U(synack_rcvbuf_read(st, &b, out, sizeof out, false), 25);
  CHECK_MEM(out, "xxxxxbbbbbAAAAAAAAAAccccc", 25);
  CHECK(!synack_rcvbuf_holds(&b)); /* drained: no chunk, no table */
  b.ooo.r = NULL;                  /* the range table is the test's own */
  synack_rcvbuf_free(st, &b);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(merge_and_take_across_wrap), TH_CASE(every_shape), TH_CASE(bridging_probe), TH_CASE(table_full),
        TH_CASE(gaps), TH_CASE(store_first_copy_wins))
