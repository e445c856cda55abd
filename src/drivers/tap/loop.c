/* The TAP event loop: epoll on the TAP (and any descriptors the application watches), the
 * monotonic clock handed to the stack, sleeps exactly until the next deadline (epoll_pwait2
 * takes a timespec, so a 200 µs timer is not rounded up to a millisecond).
 *
 * Per direction a frame goes through:
 *   in:  read (virtio header) → split a super-frame when impairments need real segments →
 *        capture → impairments → synack_stack_input (checksum trusted when the kernel says so)
 *   out: synack_stack_poll_tx → capture → impairments → coalesce into TSO frames → write
 * The capture therefore holds every frame as its sender emitted it, before the impairments,
 * like the simulator's capture: a frame the driver drops and its retransmission both appear. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "synack/config.h"
#include "synack/pcap.h"
#include "synack/random.h"
#include "synack/tap.h"
#include "writer.h"

#define MAX_WATCH 8
#define READ_BATCH 256       /* frames read per wakeup before the stack gets to answer */
#define WRITE_BATCH 4096     /* frames generated per iteration before input is looked at again */

struct synack_tap_loop {
  synack_tap_t *tap;
  int ep;
  synack_impair_t *imp[2];
  synack_pcap_t *pcap;
  synack_tap_loop_stats_t stats;
  bool coalesce;             /* build TSO frames (offload on and nothing corrupts outgoing frames) */
  bool split_in;             /* cut incoming super-frames into segments (impairments act on segments) */
  bool finish_in;            /* finish partial checksums in software (capture, corruption) */
  int watch[MAX_WATCH];
  int nwatch;
  synack_tap_loop_sleep_fn sleep_fn; /* called around the sleep (a lock to release), or NULL */
  void *sleep_user;
  /* context of the callbacks */
  synack_stack_t *st;
  synack_time_t now;
  synack_gso_coalescer_t co;
  synack_tap_writer_t *writer; /* cfg.writer_thread: frames go through it */
  /* Memory handed back after a load (maybe_trim). */
  size_t mem_last, mem_peak;
  synack_time_t mem_grew;
  uint8_t rbuf[SYNACK_TAP_MAX_FRAME + 256];
};

synack_time_t synack_tap_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (synack_time_t)ts.tv_sec * 1000000u + (synack_time_t)ts.tv_nsec / 1000u;
}

void synack_tap_loop_cfg_default(synack_tap_loop_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->offload = true;
  cfg->seed = 1;
}

static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static void update_modes(synack_tap_loop_t *l) {
  bool vnet = synack_tap_offload(l->tap);
  l->coalesce = vnet && !synack_impair_corrupts(l->imp[SYNACK_TAP_DIR_OUT]);
  l->split_in = synack_impair_active(l->imp[SYNACK_TAP_DIR_IN]);
  l->finish_in = l->pcap != NULL || synack_impair_corrupts(l->imp[SYNACK_TAP_DIR_IN]);
}

synack_tap_loop_t *synack_tap_loop_new(const synack_tap_loop_cfg_t *cfg, int *err) {
  synack_tap_loop_t *l = calloc(1, sizeof *l);
  if (!l) {
    *err = -SYNACK_ENOMEM;
    return NULL;
  }
  l->ep = -1;
  synack_tap_cfg_t tc = { .name = cfg->ifname, .offload = cfg->offload };
  l->tap = synack_tap_open(&tc, err);
  if (!l->tap) goto fail;
  *err = -SYNACK_ENOMEM;
  /* Each direction draws from its own generator so that one's traffic does not shift the other. */
  for (int d = 0; d < 2; d++) {
    l->imp[d] = synack_impair_new(&cfg->impair[d], mix64(cfg->seed ^ mix64((uint64_t)d + 1)));
    if (!l->imp[d]) goto fail;
  }
  if (cfg->pcap_path) {
    l->pcap = synack_pcap_open(cfg->pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 262144);
    if (!l->pcap) {
      *err = -SYNACK_EINVAL;
      goto fail;
    }
  }
  l->ep = epoll_create1(EPOLL_CLOEXEC);
  if (l->ep < 0) {
    *err = -errno;
    goto fail;
  }
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };
  if (epoll_ctl(l->ep, EPOLL_CTL_ADD, synack_tap_fd(l->tap), &ev) < 0) {
    *err = -errno;
    goto fail;
  }
  synack_gso_coalescer_init(&l->co);
  update_modes(l);
  /* 4 MiB: 64 super-frames, thousands of small frames; a full ring makes the loop wait. */
  if (cfg->writer_thread && !(l->writer = synack_tap_writer_new(l->tap, 4u << 20, err))) goto fail;
  *err = 0;
  return l;
fail:
  synack_tap_loop_free(l);
  return NULL;
}

void synack_tap_loop_free(synack_tap_loop_t *l) {
  if (!l) return;
  synack_tap_writer_free(l->writer); /* writes what is queued first */
  if (l->ep >= 0) close(l->ep);
  for (int d = 0; d < 2; d++) synack_impair_free(l->imp[d]);
  if (l->pcap) synack_pcap_close(l->pcap);
  synack_tap_close(l->tap);
  free(l);
}

synack_tap_t *synack_tap_loop_tap(synack_tap_loop_t *l) { return l->tap; }
const synack_tap_loop_stats_t *synack_tap_loop_stats(const synack_tap_loop_t *l) { return &l->stats; }
const synack_impair_stats_t *synack_tap_loop_impair_stats(const synack_tap_loop_t *l, int dir) {
  return dir == 0 || dir == 1 ? synack_impair_stats(l->imp[dir]) : NULL;
}

int synack_tap_loop_add_rule(synack_tap_loop_t *l, int dir, const synack_sim_rule_t *rule) {
  if (dir != 0 && dir != 1) return -SYNACK_EINVAL;
  int r = synack_impair_add_rule(l->imp[dir], rule);
  update_modes(l);
  return r;
}

void synack_tap_loop_tune_config(const synack_tap_loop_t *l, synack_config_t *cfg) {
  /* TCP checksums on output are left to the kernel when every TCP frame leaves as a partial-
   * checksum frame (the coalescer writes them so) and nobody reads the frames before: a capture
   * shows the stack's frames, so it wants them complete. */
  cfg->csum_offload_tx = l->coalesce && l->pcap == NULL;
  /* A stack on a real link faces real attackers: unless the embedder brought its own source,
   * its secrets come from the kernel, whatever seed the configuration carries. */
  if (!cfg->random) {
    cfg->random = synack_random_os;
    cfg->random_user = NULL;
  }
}

void synack_tap_loop_set_sleep_hook(synack_tap_loop_t *l, synack_tap_loop_sleep_fn fn, void *user) {
  l->sleep_fn = fn;
  l->sleep_user = user;
}

int synack_tap_loop_watch_fd(synack_tap_loop_t *l, int fd) {
  if (l->nwatch == MAX_WATCH) return -SYNACK_ENOSPC;
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)l->nwatch + 1 };
  if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
  l->watch[l->nwatch++] = fd;
  return 0;
}

int synack_tap_loop_unwatch_fd(synack_tap_loop_t *l, int fd) {
  for (int i = 0; i < l->nwatch; i++) {
    if (l->watch[i] != fd) continue;
    epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
    /* Keep the slots' epoll data in step: move the last watched fd into this slot. */
    int last = l->watch[--l->nwatch];
    if (i < l->nwatch) {
      l->watch[i] = last;
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i + 1 };
      epoll_ctl(l->ep, EPOLL_CTL_MOD, last, &ev);
    }
    return 0;
  }
  return -SYNACK_ENOENT;
}

/* ---------- output ---------- */

/* With a writer thread the output figures are its own; they are brought in after each
 * iteration. */
static void sync_writer_stats(synack_tap_loop_t *l) {
  if (!l->writer) return;
  synack_tap_writer_stats_t ws;
  synack_tap_writer_stats(l->writer, &ws);
  l->stats.frames_out = ws.frames;
  l->stats.bytes_out = ws.bytes;
  l->stats.tso_out = ws.tso;
  l->stats.write_errors = ws.errors;
  l->stats.writer_full_waits = ws.full_waits;
}

static void write_frame(synack_tap_loop_t *l, const uint8_t *f, size_t len, const synack_tap_meta_t *meta) {
  if (l->writer) {
    synack_tap_writer_push(l->writer, f, len, meta);
    return;
  }
  int r = synack_tap_write(l->tap, f, len, meta);
  if (r < 0) {
    l->stats.write_errors++;
    return;
  }
  l->stats.frames_out++;
  l->stats.bytes_out += len;
  if (meta && meta->gso_type != SYNACK_GSO_NONE) {
    l->stats.tso_out++;
  }
}

static void flush_coalesced(synack_tap_loop_t *l) {
  const uint8_t *f;
  synack_tap_meta_t meta;
  uint32_t segs = l->co.segs;
  size_t len = synack_gso_coalescer_take(&l->co, &f, &meta);
  if (!len) return;
  if (segs > 1) l->stats.tso_segs_out += segs;
  write_frame(l, f, len, &meta);
}

static void out_frame(void *user, const uint8_t *f, size_t len, unsigned flags) {
  synack_tap_loop_t *l = user;
  (void)flags;
  if (!l->coalesce) {
    write_frame(l, f, len, NULL);
    return;
  }
  if (synack_gso_coalesce(&l->co, f, len)) return;
  flush_coalesced(l);
  if (!synack_gso_coalesce(&l->co, f, len)) write_frame(l, f, len, NULL);
}

static void pump_out(synack_tap_loop_t *l, synack_stack_t *st) {
  synack_time_t now = l->now;
  synack_impair_t *im = l->imp[SYNACK_TAP_DIR_OUT];
  synack_impair_release(im, now, out_frame, l);
  synack_frame_t fr;
  for (int n = 0; n < WRITE_BATCH && synack_stack_poll_tx(st, now, &fr); n++) {
    if (l->pcap) synack_pcap_write(l->pcap, now, fr.data, fr.len);
    synack_impair_push(im, now, fr.data, fr.len, 0, out_frame, l);
  }
  synack_impair_release(im, now, out_frame, l);
  flush_coalesced(l);
}

void synack_tap_loop_flush(synack_tap_loop_t *l, synack_stack_t *st) {
  l->now = synack_tap_now();
  pump_out(l, st);
  sync_writer_stats(l);
}

/* ---------- input ---------- */

static void in_deliver(void *user, const uint8_t *f, size_t len, unsigned flags) {
  synack_tap_loop_t *l = user;
  synack_stack_input(l->st, l->now, f, len, (flags & SYNACK_TAP_F_CSUM_VALID) ? SYNACK_RX_CSUM_VALID : 0);
}

static void in_segment(void *user, uint8_t *f, size_t len) {
  synack_tap_loop_t *l = user;
  /* The split computed every checksum itself. */
  if (l->pcap) synack_pcap_write(l->pcap, l->now, f, len);
  synack_impair_push(l->imp[SYNACK_TAP_DIR_IN], l->now, f, len, SYNACK_TAP_F_CSUM_VALID, in_deliver, l);
}

static void in_frame(synack_tap_loop_t *l, uint8_t *f, size_t len, synack_tap_meta_t *meta) {
  l->stats.frames_in++;
  l->stats.bytes_in += len;
  if (meta->flags & SYNACK_TAP_F_PARTIAL) l->stats.csum_partial_in++;
  else if (meta->flags & SYNACK_TAP_F_CSUM_VALID) l->stats.csum_valid_in++;
  if (meta->gso_type != SYNACK_GSO_NONE) {
    l->stats.gso_in++;
    if (l->split_in) {
      int n = synack_gso_split(f, len, meta, in_segment, l);
      if (n > 0) l->stats.gso_segs_in += (uint64_t)n;
      else l->stats.read_errors++;
      return;
    }
    /* Whole: the stack takes a TCP segment larger than the MSS (bounded by its window). */
  }
  if ((meta->flags & SYNACK_TAP_F_PARTIAL) && l->finish_in && synack_gso_finish_csum(f, len, meta) < 0) {
    l->stats.read_errors++;
    return;
  }
  /* A partial checksum means the kernel produced the frame itself: its data cannot have been
   * damaged on a wire, so it is as trustworthy as one whose checksum was verified. */
  unsigned flags = (meta->flags & (SYNACK_TAP_F_PARTIAL | SYNACK_TAP_F_CSUM_VALID)) ? SYNACK_TAP_F_CSUM_VALID : 0;
  if (l->pcap) synack_pcap_write(l->pcap, l->now, f, len);
  synack_impair_push(l->imp[SYNACK_TAP_DIR_IN], l->now, f, len, flags, in_deliver, l);
}

static void read_all(synack_tap_loop_t *l) {
  for (int n = 0; n < READ_BATCH; n++) {
    synack_tap_meta_t meta;
    int r = synack_tap_read(l->tap, l->rbuf, sizeof l->rbuf, &meta);
    if (r == 0) return;
    if (r < 0) {
      l->stats.read_errors++;
      if (r != -EPROTO && r != -EIO) return;
      continue;
    }
    in_frame(l, l->rbuf, (size_t)r, &meta);
    /* Every input may produce output (an ACK, a SYN-ACK, a FIN): drain the stack's transmit
     * ring often enough that a burst of input never overflows it and drops the answers. */
    if ((n & 31) == 31) pump_out(l, l->st);
  }
}

/* ---------- the iteration ---------- */

static synack_time_t min_t(synack_time_t a, synack_time_t b) { return a < b ? a : b; }

/* Memory goes back to the system after a load (issue 14 §1): socket buffers already return
 * their chunks to the stack as data leaves, but the stack keeps a cache of them and glibc keeps
 * freed heap pages. Once the stack holds TRIM_DROP less than its peak and has not grown for
 * TRIM_QUIET_US, the cache is released and malloc_trim(0) returns the free pages, so the
 * process's RSS falls back near its idle figure. A trim is at most once per quiet period and
 * costs nothing while memory keeps growing or stays flat. */
#define TRIM_DROP (4u << 20)
#define TRIM_QUIET_US 1000000u

static bool trim_due(const synack_tap_loop_t *l) { return l->mem_peak - l->mem_last >= TRIM_DROP; }

static void maybe_trim(synack_tap_loop_t *l, synack_stack_t *st) {
  size_t mem = synack_stack_memory(st);
  if (mem > l->mem_last) l->mem_grew = l->now;
  l->mem_last = mem;
  if (mem > l->mem_peak) l->mem_peak = mem;
  if (!trim_due(l) || l->now - l->mem_grew < TRIM_QUIET_US) return;
  synack_stack_trim(st);
  malloc_trim(0);
  l->stats.mem_trims++;
  l->mem_last = l->mem_peak = synack_stack_memory(st);
}

int synack_tap_loop_run(synack_tap_loop_t *l, synack_stack_t *st, synack_time_t max_wait_us) {
  l->st = st;
  l->now = synack_tap_now();
  pump_out(l, st);

  synack_time_t deadline = synack_stack_next_deadline(st);
  deadline = min_t(deadline, synack_impair_next_deadline(l->imp[0]));
  deadline = min_t(deadline, synack_impair_next_deadline(l->imp[1]));
  synack_time_t wait = max_wait_us;
  if (synack_stack_has_tx(st)) wait = 0;
  else if (deadline != SYNACK_TIME_NEVER) wait = deadline > l->now ? min_t(deadline - l->now, wait) : 0;
  if (trim_due(l)) wait = min_t(wait, TRIM_QUIET_US); /* wake up to give the memory back */

  struct epoll_event evs[MAX_WATCH + 1];
  struct timespec ts = { .tv_sec = (time_t)(wait / 1000000u), .tv_nsec = (long)(wait % 1000000u) * 1000 };
  if (l->sleep_fn) l->sleep_fn(l->sleep_user, true, l->now + wait);
  int n = epoll_pwait2(l->ep, evs, MAX_WATCH + 1, &ts, NULL);
  if (n < 0 && errno == ENOSYS) n = epoll_wait(l->ep, evs, MAX_WATCH + 1, (int)((wait + 999) / 1000));
  int sleep_errno = errno;
  if (l->sleep_fn) l->sleep_fn(l->sleep_user, false, 0);
  if (n < 0) {
    if (sleep_errno != EINTR) return -sleep_errno;
    n = 0;
  }
  l->stats.wakeups++;
  l->now = synack_tap_now();
  int ready = 0;
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u32 == 0) read_all(l);
    else ready++;
  }
  synack_impair_release(l->imp[SYNACK_TAP_DIR_IN], l->now, in_deliver, l);
  if (l->now >= synack_stack_next_deadline(st)) synack_stack_handle_timers(st, l->now);
  pump_out(l, st);
  maybe_trim(l, st);
  sync_writer_stats(l);
  return ready;
}
