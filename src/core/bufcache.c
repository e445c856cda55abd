/* A bounded cache of the byte rings that closed connections leave behind.
 *
 * Every connection owns a send ring and a receive ring of SO_SNDBUF / SO_RCVBUF bytes (256 KiB
 * by default). Handing them back to the allocator at close and asking for fresh zeroed ones at
 * the next open costs far more than the connection itself: with libc, a 256 KiB calloc is an
 * mmap whose pages all fault in again (≈600k cycles per connection measured in
 * bench_connrate). A ring's bytes never need to be zero — only bytes the connection wrote are
 * ever read back — so a freed ring can serve the next connection as it is.
 *
 * Rings are kept per size class (most stacks use one or two sizes), linked through their own
 * first bytes, up to cfg.buf_cache_bytes in total; beyond that they go back to the allocator.
 * Cached rings stay counted in synack_stack_memory(): they are memory the stack holds. */
#include <string.h>

#include "stack_internal.h"

void *synack_ring_alloc(synack_stack_t *st, size_t size) {
  for (unsigned i = 0; i < SYNACK_BUFCACHE_CLASSES; i++) {
    synack_bufclass_t *c = &st->bufcache[i];
    if (c->size != size || !c->head) continue;
    void *p = c->head;
    memcpy(&c->head, p, sizeof c->head); /* the next link lives in the ring's first bytes */
    c->count--;
    st->bufcache_bytes -= size;
    return p;
  }
  return synack_mem_alloc(st, size);
}

void synack_ring_free(synack_stack_t *st, void *p, size_t size) {
  if (!p) return;
  if (size >= sizeof(void *) && st->bufcache_bytes + size <= st->cfg.buf_cache_bytes) {
    synack_bufclass_t *slot = NULL;
    for (unsigned i = 0; i < SYNACK_BUFCACHE_CLASSES; i++) {
      synack_bufclass_t *c = &st->bufcache[i];
      if (c->size == size) { slot = c; break; }
      if (!slot && c->count == 0) slot = c; /* an empty class can take a new size */
    }
    if (slot) {
      slot->size = size;
      memcpy(p, &slot->head, sizeof slot->head);
      slot->head = p;
      slot->count++;
      st->bufcache_bytes += size;
      return;
    }
  }
  synack_mem_free(st, p, size);
}

void synack_ring_cache_flush(synack_stack_t *st) {
  for (unsigned i = 0; i < SYNACK_BUFCACHE_CLASSES; i++) {
    synack_bufclass_t *c = &st->bufcache[i];
    while (c->head) {
      void *p = c->head;
      memcpy(&c->head, p, sizeof c->head);
      synack_mem_free(st, p, c->size);
    }
    c->count = 0;
  }
  st->bufcache_bytes = 0;
}
