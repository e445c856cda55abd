/* src/core/frag.c: reassembly bounded against a peer that fills it (issue 12 §2): memory is
 * charged by the bytes held, the oldest context is evicted when the table is full or the memory
 * bound would be passed, contexts are found by a keyed hash. */
#include "frag.h"
#include "harness.h"

static synack_stack_t *new_stack(uint32_t max_datagrams, uint32_t mem) {
  synack_config_t c;
  synack_config_default(&c);
  c.link = SYNACK_LINK_IP;
  c.ip4 = synack_ip4(198, 18, 0, 1);
  c.frag_max_datagrams = max_datagrams;
  c.frag_mem_bytes = mem;
  synack_config_deterministic(&c, 12); /* tests replay exactly (docs/security.md §1) */
  return synack_stack_new(&c, 0);
}

static synack_frag_in_t frag(uint32_t id, uint16_t off, const uint8_t *data, size_t len, bool more) {
  synack_frag_in_t in;
  memset(&in, 0, sizeof in);
  in.family = SYNACK_AF_INET;
  in.src = synack_ip4(198, 18, 0, 2);
  in.dst = synack_ip4(198, 18, 0, 1);
  in.id = id;
  in.proto = SYNACK_IPPROTO_UDP;
  in.offset = off;
  in.more = more;
  in.data = data;
  in.len = len;
  return in;
}

static uint64_t evicted(const synack_stack_t *st) { return synack_stack_counters(st)->events[SYNACK_CTR_FRAG_EVICTED]; }

/* An 8-byte fragment at offset 65,520 costs 8 bytes plus its 16-byte header (before: a
 * 64 KiB buffer). */
static void charged_by_bytes_held(void) {
  synack_stack_t *st = new_stack(64, 256 * 1024);
  REQUIRE(st);
  size_t base = synack_frag_memory(st);
  uint8_t d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  const uint8_t *out;
  size_t out_len;
  synack_frag_in_t in = frag(1, 65520, d, 8, false);
  CHECK(!synack_frag_add(st, 0, &in, &out, &out_len));
  CHECK_EQ_U(synack_frag_held(st), 8 + 16);
  CHECK_EQ_U(synack_frag_memory(st) - base, 8 + 16);
  /* 64 such contexts hold 512 bytes, far below the 256 KiB bound: nothing is refused. */
  for (uint32_t id = 2; id <= 64; id++) {
    in = frag(id, 65520, d, 8, false);
    CHECK(!synack_frag_add(st, 0, &in, &out, &out_len));
  }
  CHECK_EQ_U(synack_frag_held(st), 64 * (8 + 16));
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_FRAG_NO_MEMORY], 0);
  synack_stack_free(st);
}

/* Table full: the oldest datagram gives way to a new one (before: the new one was dropped, so
 * two fragments a second kept reassembly full for everyone). The newer one still completes. */
static void oldest_evicted_when_full(void) {
  synack_stack_t *st = new_stack(2, 256 * 1024);
  REQUIRE(st);
  uint8_t d[16];
  for (int i = 0; i < 16; i++) d[i] = (uint8_t)i;
  const uint8_t *out;
  size_t out_len;
  synack_frag_in_t in = frag(1, 0, d, 8, true); /* the attacker's, never completed */
  CHECK(!synack_frag_add(st, SYNACK_MS(0), &in, &out, &out_len));
  in = frag(2, 0, d, 8, true);
  CHECK(!synack_frag_add(st, SYNACK_MS(1), &in, &out, &out_len));
  in = frag(3, 0, d, 8, true);
  CHECK(!synack_frag_add(st, SYNACK_MS(2), &in, &out, &out_len));
  CHECK_EQ_U(evicted(st), 1);
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_FRAG_NO_MEMORY], 0);
  in = frag(3, 8, d + 8, 8, false);
  CHECK(synack_frag_add(st, SYNACK_MS(3), &in, &out, &out_len));
  CHECK_EQ_U(out_len, 16);
  CHECK_MEM(out, d, 16);
  /* id 2 survived: it completes too */
  in = frag(2, 8, d + 8, 8, false);
  CHECK(synack_frag_add(st, SYNACK_MS(4), &in, &out, &out_len));
  CHECK_EQ_U(out_len, 16);
  synack_stack_free(st);
}

/* Memory bound: the oldest contexts are evicted to make room. */
static void memory_bound_evicts_oldest(void) {
  synack_stack_t *st = new_stack(64, 4096);
  REQUIRE(st);
  static uint8_t d[2000];
  const uint8_t *out;
  size_t out_len;
  synack_frag_in_t in = frag(1, 0, d, 2000, true);
  CHECK(!synack_frag_add(st, SYNACK_MS(0), &in, &out, &out_len));
  in = frag(2, 0, d, 2000, true);
  CHECK(!synack_frag_add(st, SYNACK_MS(1), &in, &out, &out_len));
  CHECK_EQ_U(synack_frag_held(st), 4000 + 2 * 16);
  in = frag(3, 0, d, 1000, true);
  CHECK(!synack_frag_add(st, SYNACK_MS(2), &in, &out, &out_len));
  CHECK_EQ_U(evicted(st), 1);
  CHECK_EQ_U(synack_frag_held(st), 3000 + 2 * 16);
  /* a fragment larger than the whole bound cannot be held at all */
  static uint8_t big[4104];
  in = frag(4, 0, big, 4104, true);
  CHECK(!synack_frag_add(st, SYNACK_MS(3), &in, &out, &out_len));
  CHECK_EQ_U(synack_stack_counters(st)->drops[SYNACK_DROP_FRAG_NO_MEMORY], 1);
  CHECK(synack_frag_held(st) <= 4096);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(charged_by_bytes_held), TH_CASE(oldest_evicted_when_full), TH_CASE(memory_bound_evicts_oldest))
