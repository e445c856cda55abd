/* Ring cache (bufcache.c): freed socket rings serve the next connection, within a byte bound. */
#include "harness.h"
#include "stack_internal.h"

static synack_stack_t *mk(uint32_t cache_bytes) {
  synack_config_t c;
  synack_config_default(&c);
  c.link = SYNACK_LINK_IP;
  c.ip4 = synack_ip4(198, 18, 0, 1);
  c.buf_cache_bytes = cache_bytes;
  synack_config_deterministic(&c, 1);
  return synack_stack_new(&c, 0);
}

static void freed_ring_is_reused(void) {
  synack_stack_t *st = mk(1 << 20);
  REQUIRE(st);
  size_t m0 = synack_stack_memory(st);
  void *a = synack_ring_alloc(st, 4096);
  REQUIRE(a);
  CHECK_EQ_U(synack_stack_memory(st), m0 + 4096);
  synack_ring_free(st, a, 4096);
  /* Cached, still owned by the stack and reported as such. */
  CHECK_EQ_U(synack_stack_memory(st), m0 + 4096);
  CHECK_EQ_U(synack_stack_memory_cached(st), 4096);
  void *b = synack_ring_alloc(st, 4096);
  CHECK(b == a);
  CHECK_EQ_U(synack_stack_memory_cached(st), 0);
  /* A different size is not served from the 4096 class. */
  synack_ring_free(st, b, 4096);
  void *c = synack_ring_alloc(st, 8192);
  REQUIRE(c);
  CHECK(c != a);
  CHECK_EQ_U(synack_stack_memory_cached(st), 4096);
  synack_ring_free(st, c, 8192);
  CHECK_EQ_U(synack_stack_memory_cached(st), 4096 + 8192);
  synack_stack_free(st); /* cached rings go back to the allocator (ASan checks for leaks) */
}

static void bound_is_honoured(void) {
  synack_stack_t *st = mk(10000);
  REQUIRE(st);
  size_t m0 = synack_stack_memory(st);
  void *r[3];
  for (int i = 0; i < 3; i++) r[i] = synack_ring_alloc(st, 4096);
  for (int i = 0; i < 3; i++) synack_ring_free(st, r[i], 4096);
  /* Two fit under 10000 bytes; the third went back to the allocator. */
  CHECK_EQ_U(synack_stack_memory_cached(st), 8192);
  CHECK_EQ_U(synack_stack_memory(st), m0 + 8192);
  synack_stack_free(st);
}

static void zero_bound_disables_the_cache(void) {
  synack_stack_t *st = mk(0);
  REQUIRE(st);
  size_t m0 = synack_stack_memory(st);
  void *a = synack_ring_alloc(st, 4096);
  synack_ring_free(st, a, 4096);
  CHECK_EQ_U(synack_stack_memory_cached(st), 0);
  CHECK_EQ_U(synack_stack_memory(st), m0);
  synack_stack_free(st);
}

static void size_classes_are_bounded(void) {
  synack_stack_t *st = mk(1 << 20);
  REQUIRE(st);
  /* More distinct sizes than classes: the extra sizes are freed, not cached. */
  void *r[SYNACK_BUFCACHE_CLASSES + 2];
  for (unsigned i = 0; i < SYNACK_BUFCACHE_CLASSES + 2; i++) r[i] = synack_ring_alloc(st, 1024u * (i + 1));
  size_t cached = 0;
  for (unsigned i = 0; i < SYNACK_BUFCACHE_CLASSES + 2; i++) {
    synack_ring_free(st, r[i], 1024u * (i + 1));
    if (i < SYNACK_BUFCACHE_CLASSES) cached += 1024u * (i + 1);
  }
  CHECK_EQ_U(synack_stack_memory_cached(st), cached);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(freed_ring_is_reused), TH_CASE(bound_is_honoured), TH_CASE(zero_bound_disables_the_cache),
        TH_CASE(size_classes_are_bounded))
