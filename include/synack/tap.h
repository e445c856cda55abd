/* The Linux TAP driver: a real Ethernet link between a synack stack and the host kernel.
 *
 * Three layers, usable apart:
 *   synack_tap_*      the device: /dev/net/tun opened with IFF_TAP | IFF_NO_PI, non-blocking.
 *                     With offload, IFF_VNET_HDR is set and TUNSETOFFLOAD is issued on every
 *                     open (the setting outlives the file descriptor), so frames carry a
 *                     virtio-net header: the kernel may hand over TCP super-frames of up to
 *                     64 KiB (GSO) with unfinished checksums, and synack may hand it TSO frames.
 *   synack_gso_*      pure functions on frames: finishing a partial checksum, splitting a TCP
 *                     super-frame into MSS-sized segments, coalescing consecutive segments of
 *                     one flow into a TSO frame.
 *   synack_impair_*   the simulator's impairments (sim.h: synack_sim_link_cfg_t and scripted
 *                     synack_sim_rule_t) applied on a real link on the wall clock, one instance
 *                     per direction, deterministic given its seed.
 *   synack_tap_loop_* an epoll event loop tying a stack, a TAP, impairments in both directions
 *                     and an optional pcap capture together.
 * Linux only: the library includes these files only when built for Linux.
 */
#ifndef SYNACK_TAP_H
#define SYNACK_TAP_H

#include "synack/sim.h"
#include "synack/stack.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- frames with offload metadata ---------- */

#define SYNACK_TAP_F_CSUM_VALID 0x1 /* checksums need no verification (virtio DATA_VALID) */
#define SYNACK_TAP_F_PARTIAL 0x2    /* the L4 checksum holds only the pseudo-header sum (NEEDS_CSUM) */

#define SYNACK_GSO_NONE 0
#define SYNACK_GSO_TCP4 1
#define SYNACK_GSO_TCP6 4

/* Offload state of one frame, as the virtio-net header describes it. */
typedef struct {
  unsigned flags;        /* SYNACK_TAP_F_* */
  uint8_t gso_type;      /* SYNACK_GSO_* */
  uint16_t gso_size;     /* payload bytes per segment for a super-frame */
  uint16_t hdr_len;      /* link + IP + TCP header bytes */
  uint16_t csum_start;   /* PARTIAL: checksum covers [csum_start, end) */
  uint16_t csum_offset;  /* PARTIAL: the field is at csum_start + csum_offset */
} synack_tap_meta_t;

/* Largest frame the driver reads or writes: a 64 KiB IP packet plus the Ethernet header. */
#define SYNACK_TAP_MAX_FRAME (65535u + 14u)

/* ---------- the device ---------- */

typedef struct synack_tap synack_tap_t;
typedef struct {
  const char *name; /* interface name; an existing (persistent) TAP is attached, else one is created */
  bool offload;     /* try IFF_VNET_HDR + checksum/TSO offload; plain frames when refused */
} synack_tap_cfg_t;

/* Opens the device. NULL on failure with *err = -errno (e.g. -SYNACK_EPERM when not root). */
SYNACK_API synack_tap_t *synack_tap_open(const synack_tap_cfg_t *cfg, int *err);
SYNACK_API void synack_tap_close(synack_tap_t *tap);
SYNACK_API int synack_tap_fd(const synack_tap_t *tap);
SYNACK_API const char *synack_tap_name(const synack_tap_t *tap);
/* True when frames carry the virtio-net header (the offload path is active). */
SYNACK_API bool synack_tap_offload(const synack_tap_t *tap);
/* The frames the kernel queues toward us before it drops (the device's txqueuelen, 1,000 for a
 * new TAP), or a negative error. */
SYNACK_API int synack_tap_queue_len(const synack_tap_t *tap);
/* Raises that queue to `frames` when it is shorter (never shrinks it; a persistent TAP keeps the
 * value after the process). A server with thousands of connections needs room for a request or
 * an ACK from each while it is busy: a full queue drops, and the peer's retransmission comes
 * after an RTO (docs/tap.md). Needs CAP_NET_ADMIN. Returns the new length or a negative error. */
SYNACK_API int synack_tap_grow_queue(synack_tap_t *tap, uint32_t frames);
/* Reads one frame into buf (cap >= SYNACK_TAP_MAX_FRAME for super-frames). Returns its length,
 * 0 when none is waiting, or a negative error. meta describes its offload state. */
SYNACK_API int synack_tap_read(synack_tap_t *tap, uint8_t *buf, size_t cap, synack_tap_meta_t *meta);
/* Writes one frame; meta may be NULL (complete frame, no offload). Returns 0, -SYNACK_EAGAIN when
 * the device cannot take it now, or another negative error. */
SYNACK_API int synack_tap_write(synack_tap_t *tap, const uint8_t *frame, size_t len, const synack_tap_meta_t *meta);

/* ---------- GSO / checksum helpers (pure, no I/O) ---------- */

/* Completes a PARTIAL frame's checksum in place; clears SYNACK_TAP_F_PARTIAL. Returns 0 or
 * -SYNACK_EINVAL when the offsets do not fit the frame. */
SYNACK_API int synack_gso_finish_csum(uint8_t *frame, size_t len, synack_tap_meta_t *meta);
/* Computes the full TCP checksum of an Ethernet/IPv4|IPv6/TCP frame whose TCP checksum field is
 * unset (a stack built with csum_offload_tx). Returns 0 or -SYNACK_EINVAL. */
SYNACK_API int synack_gso_tcp_csum(uint8_t *frame, size_t len);
/* Splits a TCP super-frame (gso_type TCP4/TCP6) into segments of at most gso_size payload bytes,
 * each a complete frame with correct IP length/ID and TCP sequence number, flags (FIN/PSH only on
 * the last, CWR only on the first) and full checksums. fn is called for each segment. Returns the
 * segment count or -SYNACK_EINVAL for a malformed super-frame. */
typedef void (*synack_gso_seg_fn)(void *user, uint8_t *frame, size_t len);
SYNACK_API int synack_gso_split(const uint8_t *frame, size_t len, const synack_tap_meta_t *meta, synack_gso_seg_fn fn,
                                void *user);

/* Builds TSO frames from consecutive full-sized segments of one TCP flow. */
typedef struct {
  uint8_t buf[SYNACK_TAP_MAX_FRAME];
  size_t len;          /* bytes in buf (0 = empty) */
  uint32_t segs;       /* segments merged */
  uint16_t hdr_len;    /* Ethernet + IP + TCP header length of the first segment */
  uint16_t l3_off, l4_off;
  uint16_t seg_payload;/* payload of the first segment: the gso_size */
  uint32_t next_seq;   /* sequence number the next mergeable segment must carry */
  bool closed;         /* the last segment was short or carried PSH: nothing more may follow */
} synack_gso_coalescer_t;
SYNACK_API void synack_gso_coalescer_init(synack_gso_coalescer_t *c);
/* Appends a complete frame when it continues the frame being built (same headers but for
 * length, ID, sequence and checksum, only ACK or ACK|PSH set, payload no larger than the first).
 * Returns false when it cannot: the caller flushes and starts again with this frame. */
SYNACK_API bool synack_gso_coalesce(synack_gso_coalescer_t *c, const uint8_t *frame, size_t len);
/* The frame built so far, with the metadata to write it (a plain frame when one segment; else a
 * TSO frame with PARTIAL checksum over the whole super-frame). Empties the coalescer. Returns
 * the frame length (0 when empty); *out points into c->buf until the next call. */
SYNACK_API size_t synack_gso_coalescer_take(synack_gso_coalescer_t *c, const uint8_t **out, synack_tap_meta_t *meta);

/* ---------- impairments on a real link ---------- */

/* Applies, in sim.h's order, scripted rules → MTU → loss → corruption → duplication →
 * delay + jitter → reordering to frames of one direction. rate_bps / queue_bytes are not
 * modelled on a real link (the link has its own rate). Frames wait in a bounded queue. */
typedef struct synack_impair synack_impair_t;
typedef struct {
  uint64_t in, passed, lost, dropped_rule, dropped_mtu, dropped_full;
  uint64_t duplicated, reordered, corrupted, delayed;
} synack_impair_stats_t;
SYNACK_API synack_impair_t *synack_impair_new(const synack_sim_link_cfg_t *cfg, uint64_t seed);
SYNACK_API void synack_impair_free(synack_impair_t *im);
SYNACK_API int synack_impair_add_rule(synack_impair_t *im, const synack_sim_rule_t *rule);
/* True when the configuration can change frames (so offloaded frames must be made plain). */
SYNACK_API bool synack_impair_active(const synack_impair_t *im);
SYNACK_API bool synack_impair_corrupts(const synack_impair_t *im);
/* Offers a frame at time now. Frames to deliver at once are passed to fn (possibly twice for a
 * duplicate, with the meta flags possibly cleared of CSUM_VALID after a corruption); delayed
 * ones are copied and queued. */
typedef void (*synack_impair_fn)(void *user, const uint8_t *frame, size_t len, unsigned flags);
SYNACK_API void synack_impair_push(synack_impair_t *im, synack_time_t now, const uint8_t *frame, size_t len,
                                   unsigned flags, synack_impair_fn fn, void *user);
/* Delivers the queued frames that are due at now; returns the count. */
SYNACK_API size_t synack_impair_release(synack_impair_t *im, synack_time_t now, synack_impair_fn fn, void *user);
SYNACK_API synack_time_t synack_impair_next_deadline(const synack_impair_t *im);
SYNACK_API const synack_impair_stats_t *synack_impair_stats(const synack_impair_t *im);

/* ---------- the event loop ---------- */

#define SYNACK_TAP_DIR_IN 0  /* kernel → synack */
#define SYNACK_TAP_DIR_OUT 1 /* synack → kernel */

typedef struct {
  const char *ifname;
  bool offload;                        /* default true in synack_tap_loop_cfg_default */
  synack_sim_link_cfg_t impair[2];     /* per SYNACK_TAP_DIR_* */
  uint64_t seed;                       /* seeds the two impairment generators */
  const char *pcap_path;               /* NULL = no capture */
  /* Write frames from a thread of its own (src/drivers/tap/writer.c): the kernel's input
   * processing of every frame we write runs in the writing thread, so a server moves it to
   * another core. Frames keep their order; default false. */
  bool writer_thread;
} synack_tap_loop_cfg_t;

typedef struct {
  uint64_t frames_in, frames_out, bytes_in, bytes_out;
  uint64_t gso_in, gso_segs_in;        /* super-frames read, and segments they held */
  uint64_t tso_out, tso_segs_out;      /* TSO frames written, and segments merged into them */
  uint64_t csum_partial_in, csum_valid_in;
  uint64_t write_errors, read_errors;
  uint64_t wakeups;
  uint64_t mem_trims;                  /* memory handed back to the system after a load */
  uint64_t writer_full_waits;          /* writer thread: times its ring was full and the loop waited */
} synack_tap_loop_stats_t;

typedef struct synack_tap_loop synack_tap_loop_t;
SYNACK_API void synack_tap_loop_cfg_default(synack_tap_loop_cfg_t *cfg);
/* Opens the TAP and the capture. NULL with *err set on failure. */
SYNACK_API synack_tap_loop_t *synack_tap_loop_new(const synack_tap_loop_cfg_t *cfg, int *err);
SYNACK_API void synack_tap_loop_free(synack_tap_loop_t *loop);
SYNACK_API synack_tap_t *synack_tap_loop_tap(synack_tap_loop_t *loop);
SYNACK_API int synack_tap_loop_add_rule(synack_tap_loop_t *loop, int dir, const synack_sim_rule_t *rule);
/* Adjusts a stack configuration to the link: checksum offload on transmit when the TAP takes
 * partial checksums and nothing corrupts outgoing frames, and secrets from the kernel
 * (cfg->random = synack_random_os) unless cfg->random is already set. Call before
 * synack_stack_new. */
SYNACK_API void synack_tap_loop_tune_config(const synack_tap_loop_t *loop, synack_config_t *cfg);
/* Called by synack_tap_loop_run just before it sleeps (sleeping = true, `until` = the time it
 * will wake at the latest) and just after (sleeping = false). An embedder that shares the stack
 * between threads releases its lock in the first call and takes it again in the second, so that
 * other threads use the stack (and synack_tap_loop_flush) while the loop waits; it wakes the loop
 * through a watched fd when a call moved the stack's deadline before `until` (src/preload). */
typedef void (*synack_tap_loop_sleep_fn)(void *user, bool sleeping, synack_time_t until);
SYNACK_API void synack_tap_loop_set_sleep_hook(synack_tap_loop_t *loop, synack_tap_loop_sleep_fn fn, void *user);
/* Also wakes the loop when fd is readable (stdin for a netcat-like tool). */
SYNACK_API int synack_tap_loop_watch_fd(synack_tap_loop_t *loop, int fd);
/* Stops watching fd (level-triggered readiness would wake the loop until the fd is read). */
SYNACK_API int synack_tap_loop_unwatch_fd(synack_tap_loop_t *loop, int fd);
/* One iteration: writes what the stack has to send, sleeps until a frame arrives, a watched fd
 * is readable, the stack's or an impairment's next deadline, or max_wait_us passes; reads the
 * frames, runs timers, writes again. Returns the number of watched fds found readable (>= 0)
 * or a negative error. */
SYNACK_API int synack_tap_loop_run(synack_tap_loop_t *loop, synack_stack_t *stack, synack_time_t max_wait_us);
/* Writes what the stack has to send now (after application calls), without sleeping. */
SYNACK_API void synack_tap_loop_flush(synack_tap_loop_t *loop, synack_stack_t *stack);
SYNACK_API const synack_tap_loop_stats_t *synack_tap_loop_stats(const synack_tap_loop_t *loop);
SYNACK_API const synack_impair_stats_t *synack_tap_loop_impair_stats(const synack_tap_loop_t *loop, int dir);
/* The monotonic clock in microseconds (the time base the loop hands the stack). */
SYNACK_API synack_time_t synack_tap_now(void);

#ifdef __cplusplus
}
#endif
#endif
