/* The TAP's writer thread (writer.c): frames handed over in a ring, written by a thread of its
 * own. Internal to the TAP driver (loop.c). */
#ifndef SYNACK_TAP_WRITER_H
#define SYNACK_TAP_WRITER_H

#include "synack/tap.h"

typedef struct synack_tap_writer synack_tap_writer_t;

typedef struct {
  uint64_t frames, bytes, tso, errors; /* written, their bytes, TSO frames among them, refused */
  uint64_t full_waits;                 /* times the producer found the ring full and waited */
} synack_tap_writer_stats_t;

/* Starts the thread writing to tap through a ring of ring_bytes (a power of two). NULL with
 * *err = -errno on failure. */
synack_tap_writer_t *synack_tap_writer_new(synack_tap_t *tap, size_t ring_bytes, int *err);
/* Writes what is still queued, stops the thread, frees. */
void synack_tap_writer_free(synack_tap_writer_t *w);
/* Queues a copy of the frame (meta may be NULL); frames are written in the order queued. Waits
 * while the ring is full. One producer thread at a time. */
void synack_tap_writer_push(synack_tap_writer_t *w, const uint8_t *frame, size_t len, const synack_tap_meta_t *meta);
void synack_tap_writer_stats(const synack_tap_writer_t *w, synack_tap_writer_stats_t *out);

#endif
