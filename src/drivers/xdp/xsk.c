/* One queue of the AF_XDP driver: a UMEM, its fill and completion rings, an XDP socket with its
 * RX and TX rings, and the event loop that ties them to a stack.
 *
 * UMEM frames have two owners in turn. Receive: the driver puts free frames on the fill ring,
 * the kernel writes a received frame into one and hands its address back on the RX ring; the
 * frame goes to synack_stack_input (which copies what it keeps) and straight back onto the fill
 * ring. Transmit: a frame from the driver's free list gets a copy of what synack_stack_poll_tx
 * produced and goes on the TX ring; the kernel returns it on the completion ring once sent,
 * and it goes back to the free list. The first half of the UMEM serves receive, the second
 * transmit, so neither direction can starve the other. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "synack/xdp.h"
#include "xdp_priv.h"

#define FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define RX_BATCH 64
#define TX_BATCH 64
#define WRITE_BATCH 4096 /* frames generated per pump before input is looked at again */

/* Neighbour answers for the other queues' stacks (synack_xdp_share_neighbours): a small bounded
 * queue of frames under a mutex, and an eventfd that wakes the owner. Only ARP replies and
 * neighbour advertisements pass here, a handful per minute, so a lock costs nothing. */
#define INBOX_FRAMES 32
#define INBOX_FRAME_CAP 256 /* ARP and NA frames are < 100 bytes; longer ones are not forwarded */
typedef struct {
  pthread_mutex_t mu;
  uint32_t head, count;
  uint16_t len[INBOX_FRAMES];
  uint8_t buf[INBOX_FRAMES][INBOX_FRAME_CAP];
  int efd;
} inbox_t;

struct synack_xdp {
  struct xsk_umem *umem;
  struct xsk_socket *xsk;
  struct xsk_ring_prod fill, tx;
  struct xsk_ring_cons comp, rx;
  void *area;
  size_t area_len;
  uint32_t nframes;
  uint64_t *free_tx; /* addresses of transmit frames not in the kernel's hands */
  uint32_t nfree_tx;
  uint32_t tx_outstanding; /* submitted, not yet completed */
  synack_xdp_stats_t stats;
  inbox_t inbox;
  synack_xdp_t **peers; /* the queues that receive this one's neighbour answers (NULL = none) */
  uint32_t npeers;
};

int synack_xdp_queue_count(const char *ifname) {
  char path[128];
  int n = 0;
  for (; n < 1024; n++) {
    snprintf(path, sizeof path, "/sys/class/net/%s/queues/rx-%d", ifname, n);
    if (access(path, F_OK) != 0) break;
  }
  return n;
}

static uint32_t fill_frames(synack_xdp_t *x, const uint64_t *addrs, uint32_t n) {
  uint32_t idx;
  uint32_t got = xsk_ring_prod__reserve(&x->fill, n, &idx);
  for (uint32_t i = 0; i < got; i++) *xsk_ring_prod__fill_addr(&x->fill, idx + i) = addrs[i];
  xsk_ring_prod__submit(&x->fill, got);
  return got;
}

synack_xdp_t *synack_xdp_open(const synack_xdp_cfg_t *cfg, int *err) {
  synack_xdp_t *x = calloc(1, sizeof *x);
  if (!x) {
    *err = -ENOMEM;
    return NULL;
  }
  x->nframes = cfg->frames ? cfg->frames : 4096;
  if (x->nframes < 64 || (x->nframes & (x->nframes - 1))) {
    free(x);
    *err = -EINVAL;
    return NULL;
  }
  x->inbox.efd = -1;
  pthread_mutex_init(&x->inbox.mu, NULL);
  uint32_t half = x->nframes / 2;
  x->area_len = (size_t)x->nframes * FRAME_SIZE;
  x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  x->free_tx = calloc(half, sizeof *x->free_tx);
  if (x->area == MAP_FAILED || !x->free_tx) {
    if (x->area == MAP_FAILED) x->area = NULL;
    *err = -ENOMEM;
    goto fail;
  }
  struct xsk_umem_config uc = {
    .fill_size = half,
    .comp_size = half,
    .frame_size = FRAME_SIZE,
    .frame_headroom = 0,
    .flags = 0,
  };
  int r = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fill, &x->comp, &uc);
  if (r) {
    x->umem = NULL;
    *err = r < 0 ? r : -r;
    goto fail;
  }
  struct xsk_socket_config sc;
  memset(&sc, 0, sizeof sc);
  sc.rx_size = half;
  sc.tx_size = half;
  /* The program is the driver's own (prog.c), attached once per device: the socket only joins
   * its XSKMAP. */
  sc.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  sc.xdp_flags = 0;
  sc.bind_flags = (uint16_t)((cfg->zerocopy ? XDP_ZEROCOPY : XDP_COPY) | XDP_USE_NEED_WAKEUP);
  r = xsk_socket__create(&x->xsk, cfg->ifname, cfg->queue, x->umem, &x->rx, &x->tx, &sc);
  if (r) {
    x->xsk = NULL;
    *err = r < 0 ? r : -r;
    goto fail;
  }
  if (cfg->prog) {
    r = xsk_socket__update_xskmap(x->xsk, cfg->prog->xsks_fd);
    if (r) {
      *err = r < 0 ? r : -r;
      goto fail;
    }
  }
  /* Receive frames: [0, half) all on the fill ring; transmit frames: [half, nframes) free. */
  uint64_t addrs[256];
  for (uint32_t i = 0; i < half;) {
    uint32_t n = half - i < 256 ? half - i : 256;
    for (uint32_t k = 0; k < n; k++) addrs[k] = (uint64_t)(i + k) * FRAME_SIZE;
    if (fill_frames(x, addrs, n) != n) {
      *err = -ENOSPC;
      goto fail;
    }
    i += n;
  }
  for (uint32_t i = 0; i < half; i++) x->free_tx[i] = (uint64_t)(half + i) * FRAME_SIZE;
  x->nfree_tx = half;
  return x;
fail:
  synack_xdp_close(x);
  return NULL;
}

void synack_xdp_close(synack_xdp_t *x) {
  if (!x) return;
  if (x->xsk) xsk_socket__delete(x->xsk);
  if (x->umem) xsk_umem__delete(x->umem);
  if (x->area) munmap(x->area, x->area_len);
  if (x->inbox.efd >= 0) close(x->inbox.efd);
  pthread_mutex_destroy(&x->inbox.mu);
  free(x->peers);
  free(x->free_tx);
  free(x);
}

int synack_xdp_fd(const synack_xdp_t *x) { return xsk_socket__fd(x->xsk); }

static synack_time_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (synack_time_t)ts.tv_sec * 1000000u + (synack_time_t)ts.tv_nsec / 1000u;
}

/* ---------- transmit ---------- */

static void reap_completions(synack_xdp_t *x) {
  uint32_t idx;
  uint32_t n = xsk_ring_cons__peek(&x->comp, UINT32_MAX, &idx);
  for (uint32_t i = 0; i < n; i++) x->free_tx[x->nfree_tx++] = *xsk_ring_cons__comp_addr(&x->comp, idx + i);
  xsk_ring_cons__release(&x->comp, n);
  x->tx_outstanding -= n;
}

/* Copy mode transmits only from sendto(): the kernel's generic path walks the TX ring there, at
 * most a budget of frames per call (32 by default), and answers EAGAIN when it stopped at the
 * budget with frames left. Those would wait in the ring until the next kick — after the loop's
 * sleep, a stall of up to a timer's length — so the kick repeats until the ring is walked
 * (bounded: a device queue that stays full also answers EAGAIN). */
static void kick(synack_xdp_t *x) {
  if (!x->tx_outstanding || !xsk_ring_prod__needs_wakeup(&x->tx)) return;
  for (int i = 0; i < 256; i++) {
    x->stats.kicks++;
    if (sendto(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) return;
    if (errno != EAGAIN && errno != EBUSY) return;
  }
}

/* Copies up to TX_BATCH frames of the stack into free UMEM frames, then puts them on the TX
 * ring in one reservation (the ring takes whole batches; a frame's data is valid only until the
 * next poll, so it is copied at once). */
static uint32_t tx_batch(synack_xdp_t *x, synack_stack_t *st, synack_time_t now) {
  uint64_t addr[TX_BATCH];
  uint32_t len[TX_BATCH], n = 0;
  synack_frame_t fr;
  while (n < TX_BATCH && synack_stack_has_tx(st)) {
    if (!x->nfree_tx) {
      kick(x);
      reap_completions(x);
      if (!x->nfree_tx) break;
    }
    if (!synack_stack_poll_tx(st, now, &fr)) break;
    if (fr.len > FRAME_SIZE) {
      x->stats.too_big++;
      continue;
    }
    addr[n] = x->free_tx[--x->nfree_tx];
    memcpy(xsk_umem__get_data(x->area, addr[n]), fr.data, fr.len);
    len[n++] = (uint32_t)fr.len;
  }
  if (!n) return 0;
  uint32_t idx;
  uint32_t got = xsk_ring_prod__reserve(&x->tx, n, &idx);
  for (uint32_t i = 0; i < got; i++) {
    struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);
    d->addr = addr[i];
    d->len = len[i];
    x->stats.bytes_out += len[i];
  }
  xsk_ring_prod__submit(&x->tx, got);
  x->tx_outstanding += got;
  x->stats.frames_out += got;
  /* What the ring had no room for is lost to the link, as on a full NIC queue: TCP resends it. */
  for (uint32_t i = got; i < n; i++) {
    x->free_tx[x->nfree_tx++] = addr[i];
    x->stats.tx_full++;
  }
  return n;
}

static void pump_out(synack_xdp_t *x, synack_stack_t *st, synack_time_t now) {
  reap_completions(x);
  for (uint32_t total = 0; total < WRITE_BATCH;) {
    uint32_t n = tx_batch(x, st, now);
    if (!n) break;
    total += n;
  }
  kick(x);
}

void synack_xdp_flush(synack_xdp_t *x, synack_stack_t *st) { pump_out(x, st, now_us()); }

/* ---------- neighbour answers shared between queues ---------- */

/* An answer to address resolution: ARP reply (RFC 826 op 2), or an ICMPv6 neighbour
 * advertisement (RFC 4861 §4.4, type 136) directly after the IPv6 header. */
static bool is_neighbour_answer(const uint8_t *f, size_t len) {
  if (len < 14) return false;
  uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
  if (type == 0x0806) return len >= 22 && f[20] == 0 && f[21] == 2;
  if (type == 0x86dd) return len >= 14 + 40 + 1 && f[14 + 6] == 58 && f[14 + 40] == 136;
  return false;
}

int synack_xdp_share_neighbours(synack_xdp_t *const *queues, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    synack_xdp_t *x = queues[i];
    if (x->inbox.efd < 0) x->inbox.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    free(x->peers);
    x->peers = calloc(n, sizeof *x->peers);
    if (x->inbox.efd < 0 || !x->peers) return -ENOMEM;
    x->npeers = 0;
    for (uint32_t k = 0; k < n; k++)
      if (k != i) x->peers[x->npeers++] = queues[k];
  }
  return 0;
}

static void forward_to_peers(synack_xdp_t *x, const uint8_t *f, size_t len) {
  if (len > INBOX_FRAME_CAP) return;
  for (uint32_t i = 0; i < x->npeers; i++) {
    inbox_t *in = &x->peers[i]->inbox;
    pthread_mutex_lock(&in->mu);
    bool room = in->count < INBOX_FRAMES;
    if (room) {
      uint32_t slot = (in->head + in->count++) % INBOX_FRAMES;
      memcpy(in->buf[slot], f, len);
      in->len[slot] = (uint16_t)len;
    }
    pthread_mutex_unlock(&in->mu);
    if (room) {
      uint64_t one = 1;
      if (write(in->efd, &one, sizeof one) < 0) { /* the counter saturates only after 2^64 wakeups */
      }
      x->stats.neigh_shared++;
    }
  }
}

static void drain_inbox(synack_xdp_t *x, synack_stack_t *st, synack_time_t now) {
  if (x->inbox.efd < 0) return;
  uint64_t v;
  if (read(x->inbox.efd, &v, sizeof v) < 0) { /* EAGAIN: nothing was posted */
  }
  uint8_t f[INBOX_FRAME_CAP];
  for (;;) {
    pthread_mutex_lock(&x->inbox.mu);
    size_t len = 0;
    if (x->inbox.count) {
      len = x->inbox.len[x->inbox.head];
      memcpy(f, x->inbox.buf[x->inbox.head], len);
      x->inbox.head = (x->inbox.head + 1) % INBOX_FRAMES;
      x->inbox.count--;
    }
    pthread_mutex_unlock(&x->inbox.mu);
    if (!len) return;
    synack_stack_input(st, now, f, len, 0);
  }
}

/* ---------- receive ---------- */

static uint32_t rx_batch(synack_xdp_t *x, synack_stack_t *st, synack_time_t now) {
  uint32_t idx;
  uint32_t n = xsk_ring_cons__peek(&x->rx, RX_BATCH, &idx);
  if (!n) {
    /* Zero-copy drivers may wait for a wakeup before they use the fill ring again. */
    if (xsk_ring_prod__needs_wakeup(&x->fill)) recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
    return 0;
  }
  uint64_t addrs[RX_BATCH];
  for (uint32_t i = 0; i < n; i++) {
    const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
    /* Without unaligned chunks the address may carry an offset into the frame; the frame's base
     * goes back to the fill ring. */
    addrs[i] = xsk_umem__extract_addr(d->addr);
    const uint8_t *f = xsk_umem__get_data(x->area, xsk_umem__add_offset_to_addr(d->addr));
    x->stats.frames_in++;
    x->stats.bytes_in += d->len;
    /* No checksum hint crosses AF_XDP: the stack verifies every frame. */
    synack_stack_input(st, now, f, d->len, 0);
    /* Address resolution is per stack, but the answer arrives on whichever queue the sender
     * picked: the other stacks get a copy (each asked, or will ask, the same question). */
    if (x->npeers && is_neighbour_answer(f, d->len)) forward_to_peers(x, f, d->len);
  }
  xsk_ring_cons__release(&x->rx, n);
  /* The fill ring has room for every receive frame, so this never comes up short. */
  fill_frames(x, addrs, n);
  return n;
}

int synack_xdp_run(synack_xdp_t *x, synack_stack_t *st, synack_time_t max_wait_us) {
  synack_time_t now = now_us();
  pump_out(x, st, now);
  synack_time_t wait = max_wait_us;
  synack_time_t deadline = synack_stack_next_deadline(st);
  if (synack_stack_has_tx(st)) wait = 0;
  else if (deadline != SYNACK_TIME_NEVER) wait = deadline > now ? (deadline - now < wait ? deadline - now : wait) : 0;
  if (wait) {
    struct pollfd pfd[2] = { { .fd = xsk_socket__fd(x->xsk), .events = POLLIN },
                             { .fd = x->inbox.efd, .events = POLLIN } };
    struct timespec ts = { .tv_sec = (time_t)(wait / 1000000u), .tv_nsec = (long)(wait % 1000000u) * 1000 };
    x->stats.wakeups++;
    if (ppoll(pfd, x->inbox.efd >= 0 ? 2 : 1, &ts, NULL) < 0 && errno != EINTR) return -errno;
    now = now_us();
  }
  drain_inbox(x, st, now);
  for (int rounds = 0; rounds < 16; rounds++) {
    if (rx_batch(x, st, now) < RX_BATCH) break;
    /* Every input may produce output: drain the stack's ring between batches. */
    pump_out(x, st, now);
  }
  if (now >= synack_stack_next_deadline(st)) synack_stack_handle_timers(st, now);
  pump_out(x, st, now);
  return 0;
}

const synack_xdp_stats_t *synack_xdp_stats(synack_xdp_t *x) {
  struct xdp_statistics ks;
  socklen_t len = sizeof ks;
  if (getsockopt(xsk_socket__fd(x->xsk), SOL_XDP, XDP_STATISTICS, &ks, &len) == 0) {
    x->stats.rx_dropped = ks.rx_dropped;
    x->stats.rx_ring_full = ks.rx_ring_full;
    x->stats.fill_ring_empty = ks.rx_fill_ring_empty_descs;
  }
  return &x->stats;
}
