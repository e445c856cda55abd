/* What one input made the stack send, as a digest, for the fuzz targets that restore their
 * starting state from a snapshot (fuzz_arena.h): tests/fuzz/replay.c runs each input twice,
 * with other inputs in between, and the two digests must be equal — every input starts from the
 * same state whatever ran before it. Included once, by the target's only source file. */
#ifndef SYNACK_FUZZ_REPLAY_H
#define SYNACK_FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

/* The digest of the frames the stack sent during the last input, in order. */
uint64_t fuzz_output_digest(void);

static uint64_t fz_digest = 0;

static void fz_digest_reset(void) { fz_digest = UINT64_C(14695981039346656037); }

/* FNV-1a over the frame's length then its bytes, so that frame boundaries count too. */
static void fz_digest_frame(const uint8_t *p, size_t n) {
  uint64_t h = fz_digest;
  for (unsigned i = 0; i < 8; i++) h = (h ^ (uint8_t)((uint64_t)n >> (8 * i))) * UINT64_C(1099511628211);
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * UINT64_C(1099511628211);
  fz_digest = h;
}

uint64_t fuzz_output_digest(void) { return fz_digest; }

#endif
