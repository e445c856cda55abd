/* An arena allocator with snapshots, for the fuzz targets that need a stack with a connection.
 *
 * Building a stack and a connection per input cost a few milliseconds under AddressSanitizer
 * (fresh pages for every calloc, the quarantine keeps freed memory) and, worse, ran the whole
 * handshake each time: libFuzzer then scores thousands of coverage features per input and spends
 * most of its time in its own bookkeeping. fuzz_tcp_rcv ran ~500 inputs a second on an idle
 * machine. Instead the stack takes its allocator from the config, so the target hands it this
 * arena, builds the connection once, and takes a snapshot: a copy of the arena's bytes. Every
 * input then starts from a restore (a memcpy: the stack's pointers all point into the arena,
 * which never moves), runs, and frees the stack.
 *
 * Detection is kept: chunks are separated by poisoned red zones and poisoned when freed (ASan's
 * manual poisoning), the poisoning is put back at each restore, and after synack_stack_free the
 * bytes still allocated must be zero — an exact leak check, since the stack passes each chunk's
 * size to free. Allocations beyond the arena fall back to calloc/free (never live in a snapshot).
 *
 * A restore copies the snapshot's live chunks only, not the arena's whole image: red zones and
 * freed chunks hold nothing the stack can read. Restoring the snapshot restored last needs no
 * full repoisoning either: since then, the input only freed chunks of the snapshot (unpoisoned
 * again as they are copied back) and allocated new ones past its end (poisoned again in one
 * call). Unpoisoning the whole arena, as a whole-image copy needs, made ASan drop the arena's
 * shadow pages, which then faulted back in at every input (docs/fuzzing.md). */
#ifndef SYNACK_FUZZ_ARENA_H
#define SYNACK_FUZZ_ARENA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/synack.h>

#include "poison.h"

#define FZ_ARENA_BYTES (16u << 20)
#define FZ_REDZONE 32u
#define FZ_MAX_CHUNKS 8192u

typedef struct {
  uint32_t off, size;
  bool live;
} fz_chunk_t;

typedef struct {
  uint8_t *base;
  size_t used;                   /* bump pointer */
  size_t live;                   /* bytes allocated and not yet freed (arena and fallback) */
  size_t fallback_live;          /* of which outside the arena */
  uint32_t nchunks;
  const void *restored;          /* the snapshot restored last (its poisoning is in place) */
  fz_chunk_t chunks[FZ_MAX_CHUNKS];
} fz_arena_t;

typedef struct {
  uint8_t *mem;
  size_t used, live;
  uint32_t nchunks;
  fz_chunk_t *chunks;
} fz_snap_t;

static void *fz_alloc(void *user, size_t n) {
  fz_arena_t *a = user;
  size_t need = ((n ? n : 1) + 15u) & ~(size_t)15u;
  a->live += n;
  if (!a->base || a->nchunks == FZ_MAX_CHUNKS || a->used + need + FZ_REDZONE > FZ_ARENA_BYTES) {
    void *p = calloc(1, n ? n : 1);
    if (p) a->fallback_live += n;
    else a->live -= n;
    return p;
  }
  uint8_t *p = a->base + a->used;
  a->chunks[a->nchunks++] = (fz_chunk_t){ .off = (uint32_t)a->used, .size = (uint32_t)n, .live = true };
  a->used += need + FZ_REDZONE;
  TH_UNPOISON(p, n);
  memset(p, 0, n);
  return p;
}

static bool fz_in_arena(const fz_arena_t *a, const void *p) {
  return a->base && (const uint8_t *)p >= a->base && (const uint8_t *)p < a->base + FZ_ARENA_BYTES;
}

static void fz_free(void *user, void *ptr, size_t n) {
  fz_arena_t *a = user;
  if (!ptr) return;
  if (a->live < n) abort(); /* freed more than was allocated: a size mismatch */
  a->live -= n;
  if (!fz_in_arena(a, ptr)) {
    a->fallback_live -= n;
    free(ptr);
    return;
  }
  uint32_t off = (uint32_t)((uint8_t *)ptr - a->base);
  /* Chunks are allocated in address order: binary search. */
  uint32_t lo = 0, hi = a->nchunks;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (a->chunks[mid].off < off) lo = mid + 1;
    else hi = mid;
  }
  if (lo == a->nchunks || a->chunks[lo].off != off || !a->chunks[lo].live || a->chunks[lo].size != n)
    abort(); /* not a chunk, a double free, or the wrong size */
  a->chunks[lo].live = false;
  TH_POISON(ptr, n); /* a use after free is caught */
}

/* Rebuilds the poisoning of [0, upto) from the chunk table. */
static void fz_repoison(fz_arena_t *a, size_t upto) {
  TH_POISON(a->base, upto);
  for (uint32_t i = 0; i < a->nchunks; i++)
    if (a->chunks[i].live) TH_UNPOISON(a->base + a->chunks[i].off, a->chunks[i].size);
}

/* Points cfg at the arena (allocated on first use) and empties it. */
static void fz_arena_use(fz_arena_t *a, synack_config_t *cfg) {
  if (!a->base) {
    a->base = malloc(FZ_ARENA_BYTES);
    if (a->base) TH_POISON(a->base, FZ_ARENA_BYTES);
  } else {
    TH_POISON(a->base, a->used);
  }
  a->used = a->live = a->fallback_live = 0;
  a->nchunks = 0;
  a->restored = NULL;
  cfg->allocator.alloc = fz_alloc;
  cfg->allocator.free = fz_free;
  cfg->allocator.user = a;
}

/* Copies the arena's state. Everything live must be inside the arena. */
static void fz_snapshot(fz_arena_t *a, fz_snap_t *s) {
  if (a->fallback_live || !a->base) abort();
  s->mem = malloc(a->used ? a->used : 1);
  s->chunks = malloc(sizeof *s->chunks * (a->nchunks ? a->nchunks : 1));
  if (!s->mem || !s->chunks) abort();
  TH_UNPOISON(a->base, a->used);
  memcpy(s->mem, a->base, a->used);
  memcpy(s->chunks, a->chunks, sizeof *s->chunks * a->nchunks);
  s->used = a->used;
  s->live = a->live;
  s->nchunks = a->nchunks;
  fz_repoison(a, a->used);
  a->restored = s; /* the arena is the snapshot, poisoning included */
}

/* Puts the arena back as it was at the snapshot (the stack's pointer is valid again). */
static void fz_restore(fz_arena_t *a, const fz_snap_t *s) {
  size_t upto = a->used > s->used ? a->used : s->used;
  bool same = a->restored == s && a->used >= s->used;
  memcpy(a->chunks, s->chunks, sizeof *s->chunks * s->nchunks);
  a->nchunks = s->nchunks;
  if (same) TH_POISON(a->base + s->used, a->used - s->used); /* what the last input allocated */
  else fz_repoison(a, upto);                                  /* another snapshot's chunks were here */
  for (uint32_t i = 0; i < s->nchunks; i++) {
    const fz_chunk_t *c = &s->chunks[i];
    if (!c->live) continue;
    TH_UNPOISON(a->base + c->off, c->size);
    memcpy(a->base + c->off, s->mem + c->off, c->size);
  }
  a->used = s->used;
  a->live = s->live;
  a->fallback_live = 0;
  a->restored = s;
}

/* After synack_stack_free: everything the stack allocated came back, to the byte. */
static void fz_arena_check(const fz_arena_t *a) {
  if (a->live == 0 && a->fallback_live == 0) return;
  fprintf(stderr, "fuzz arena: %zu bytes never freed (%zu outside the arena); chunks still live:", a->live,
          a->fallback_live);
  for (uint32_t i = 0; i < a->nchunks; i++)
    if (a->chunks[i].live) fprintf(stderr, " %u@%u", a->chunks[i].size, a->chunks[i].off);
  fprintf(stderr, "\n");
  abort();
}

#endif
