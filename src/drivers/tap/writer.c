/* The TAP's writer thread.
 *
 * A write to a TAP does more than copy the frame: the kernel receives it inside the write call,
 * so its whole input path for the peer's sockets (IP, TCP, waking the client) runs on the
 * writing thread. Against a local client that is 30-45 % of a server's time (perf on
 * `synack serve` under wrk/ab: tun_get_user → netif_receive_skb → tcp_v4_rcv). Handing the
 * writes to a second thread lets that work run on another core while the stack goes on.
 *
 * Single producer (the loop's thread), single consumer (this thread), a byte ring of records
 * {header, frame} aligned to 8 bytes; a record never wraps (a SKIP header, or fewer bytes than a
 * header, sends the reader to the start). Positions only grow; the producer publishes `tail`
 * with release, the consumer `head`. The consumer sleeps on an eventfd when the ring is empty;
 * the producer writes to it only when the consumer said it sleeps (sequentially consistent
 * `sleeping` flag against `tail`: either the consumer sees the new tail before blocking or the
 * producer sees the flag and wakes it). A full ring makes the producer yield until there is
 * room (counted): it never drops, order is kept, and the pause is the back-pressure a blocking
 * write would have given. */
#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SKIP UINT32_MAX

typedef struct {
  uint32_t len;          /* frame bytes following the header, SKIP: go to the ring's start */
  uint32_t has_meta;
  synack_tap_meta_t meta;
} rec_t;

#define REC_HDR ((sizeof(rec_t) + 7u) & ~(size_t)7u)

struct synack_tap_writer {
  synack_tap_t *tap;
  uint8_t *ring;
  size_t cap;
  int efd;
  pthread_t thread;
  _Atomic uint64_t head, tail;
  atomic_int sleeping, stop;
  _Atomic uint64_t frames, bytes, tso, errors, full_waits;
};

static size_t rec_size(size_t len) { return (REC_HDR + len + 7u) & ~(size_t)7u; }

static void *writer_main(void *arg) {
  synack_tap_writer_t *w = arg;
  uint64_t head = atomic_load_explicit(&w->head, memory_order_relaxed);
  for (;;) {
    uint64_t tail = atomic_load_explicit(&w->tail, memory_order_acquire);
    if (head == tail) {
      if (atomic_load(&w->stop)) break;
      atomic_store(&w->sleeping, 1);
      if (atomic_load(&w->tail) != head || atomic_load(&w->stop)) {
        atomic_store(&w->sleeping, 0);
        continue;
      }
      uint64_t v;
      if (read(w->efd, &v, sizeof v) < 0 && errno != EINTR && errno != EAGAIN) break;
      atomic_store(&w->sleeping, 0);
      continue;
    }
    size_t off = (size_t)(head % w->cap);
    rec_t r;
    if (w->cap - off < REC_HDR) {
      head += w->cap - off;
    } else {
      memcpy(&r, w->ring + off, sizeof r);
      if (r.len == SKIP) {
        head += w->cap - off;
      } else {
        int e = synack_tap_write(w->tap, w->ring + off + REC_HDR, r.len, r.has_meta ? &r.meta : NULL);
        if (e < 0) {
          atomic_fetch_add_explicit(&w->errors, 1, memory_order_relaxed);
        } else {
          atomic_fetch_add_explicit(&w->frames, 1, memory_order_relaxed);
          atomic_fetch_add_explicit(&w->bytes, r.len, memory_order_relaxed);
          if (r.has_meta && r.meta.gso_type != SYNACK_GSO_NONE) atomic_fetch_add_explicit(&w->tso, 1, memory_order_relaxed);
        }
        head += rec_size(r.len);
      }
    }
    atomic_store_explicit(&w->head, head, memory_order_release);
  }
  return NULL;
}

synack_tap_writer_t *synack_tap_writer_new(synack_tap_t *tap, size_t ring_bytes, int *err) {
  synack_tap_writer_t *w = calloc(1, sizeof *w);
  if (!w) {
    *err = -ENOMEM;
    return NULL;
  }
  w->tap = tap;
  w->cap = ring_bytes;
  w->efd = eventfd(0, EFD_CLOEXEC);
  w->ring = malloc(ring_bytes);
  if (w->efd < 0 || !w->ring) {
    *err = w->efd < 0 ? -errno : -ENOMEM;
    goto fail;
  }
  int e = pthread_create(&w->thread, NULL, writer_main, w);
  if (e != 0) {
    *err = -e;
    goto fail;
  }
  *err = 0;
  return w;
fail:
  if (w->efd >= 0) close(w->efd);
  free(w->ring);
  free(w);
  return NULL;
}

/* One eventfd write per sleep: the first producer to see the flag takes it. */
static void wake(synack_tap_writer_t *w) {
  if (!atomic_load(&w->sleeping) || !atomic_exchange(&w->sleeping, 0)) return;
  uint64_t one = 1;
  if (write(w->efd, &one, sizeof one) < 0) { /* the counter cannot overflow at one per wake */ }
}

void synack_tap_writer_free(synack_tap_writer_t *w) {
  if (!w) return;
  atomic_store(&w->stop, 1);
  uint64_t one = 1;
  if (write(w->efd, &one, sizeof one) < 0) { /* the thread also sees `stop` before sleeping */ }
  pthread_join(w->thread, NULL);
  close(w->efd);
  free(w->ring);
  free(w);
}

void synack_tap_writer_push(synack_tap_writer_t *w, const uint8_t *frame, size_t len, const synack_tap_meta_t *meta) {
  size_t need = rec_size(len);
  if (need > w->cap / 2) { /* cannot happen with SYNACK_TAP_MAX_FRAME and the ring loop.c asks for */
    atomic_fetch_add_explicit(&w->errors, 1, memory_order_relaxed);
    return;
  }
  uint64_t tail = atomic_load_explicit(&w->tail, memory_order_relaxed);
  size_t off = (size_t)(tail % w->cap), to_end = w->cap - off;
  size_t total = need + (to_end < need ? to_end : 0);
  bool waited = false;
  while (w->cap - (size_t)(tail - atomic_load_explicit(&w->head, memory_order_acquire)) < total) {
    if (!waited) atomic_fetch_add_explicit(&w->full_waits, 1, memory_order_relaxed);
    waited = true;
    wake(w);
    sched_yield();
  }
  if (to_end < need) {
    if (to_end >= REC_HDR) {
      rec_t skip = { .len = SKIP };
      memcpy(w->ring + off, &skip, sizeof skip);
    }
    tail += to_end;
    off = 0;
  }
  rec_t r;
  memset(&r, 0, sizeof r);
  r.len = (uint32_t)len;
  if (meta) {
    r.has_meta = 1;
    r.meta = *meta;
  }
  memcpy(w->ring + off, &r, sizeof r);
  memcpy(w->ring + off + REC_HDR, frame, len);
  atomic_store(&w->tail, tail + need);
  wake(w);
}

void synack_tap_writer_stats(const synack_tap_writer_t *w, synack_tap_writer_stats_t *out) {
  synack_tap_writer_t *m = (synack_tap_writer_t *)(uintptr_t)w; /* atomics: loads only */
  out->frames = atomic_load_explicit(&m->frames, memory_order_relaxed);
  out->bytes = atomic_load_explicit(&m->bytes, memory_order_relaxed);
  out->tso = atomic_load_explicit(&m->tso, memory_order_relaxed);
  out->errors = atomic_load_explicit(&m->errors, memory_order_relaxed);
  out->full_waits = atomic_load_explicit(&m->full_waits, memory_order_relaxed);
}
