/* The AF_XDP driver: a synack stack on one receive/transmit queue of a Linux network device,
 * frames exchanged through an XDP socket (XSK) and its shared memory (UMEM), no copy through
 * the kernel's socket layer.
 *
 * One synack_xdp_t is one queue: a UMEM of its own (frames for the fill, RX, TX and completion
 * rings) and one XSK bound to (device, queue). Share-nothing scale-out is N of them, one stack
 * and one thread per queue (docs/afxdp.md): nothing here is shared between queues except the
 * device's XDP program, which is set up once by synack_xdp_prog_attach before the queues open.
 *
 * Built only when libxdp and libbpf are found (CMake option SYNACK_XDP): the library
 * synack_xdp carries it, the core library stays free of dependencies. Linux only.
 */
#ifndef SYNACK_XDP_H
#define SYNACK_XDP_H

#include "synack/stack.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the XDP program runs: in the generic (skb) path of the kernel, which works on every
 * device and copies each frame out of an skb, or in the driver (native), before any skb exists
 * (veth and most 10G+ NICs). */
typedef enum {
  SYNACK_XDP_MODE_SKB = 0,
  SYNACK_XDP_MODE_NATIVE = 1,
} synack_xdp_mode_t;

/* ---------- the device's XDP program (one per device, shared by its queues) ---------- */

typedef struct synack_xdp_prog synack_xdp_prog_t;
typedef struct {
  const char *ifname;
  synack_xdp_mode_t mode;
  /* The addresses the program redirects frames for (ARP and neighbour discovery too); every
   * other frame goes on to the kernel. Unset (family 0) = no address of that family. */
  synack_ip_t ip4, ip6;
  synack_mac_t mac;     /* the stack's MAC: its EUI-64 link-local address is redirected too */
  /* libbpf's and libxdp's own messages (e.g. the verifier's log) on stderr; off, they are
   * silenced (process-wide: the libraries' print hooks are global) and errors are returned. */
  bool verbose;
  /* The compiled program (synack_xdp.bpf.o); NULL = the path the build recorded. */
  const char *obj_path;
} synack_xdp_prog_cfg_t;

/* Loads and attaches the program. NULL with *err = -errno on failure. */
SYNACK_API synack_xdp_prog_t *synack_xdp_prog_attach(const synack_xdp_prog_cfg_t *cfg, int *err);
/* Detaches and frees it (after every queue is closed). */
SYNACK_API void synack_xdp_prog_detach(synack_xdp_prog_t *prog);
/* The device's number of receive queues the stacks can bind to (combined channels). */
SYNACK_API int synack_xdp_queue_count(const char *ifname);

/* ---------- one queue: UMEM + XSK + its event loop ---------- */

typedef struct {
  const char *ifname;
  uint32_t queue;
  synack_xdp_mode_t mode;
  bool zerocopy;        /* bind with XDP_ZEROCOPY (the NIC driver must support it); else XDP_COPY */
  uint32_t frames;      /* UMEM frames (0 = 4096); half go to the fill ring */
  synack_xdp_prog_t *prog; /* the program whose XSKMAP receives this socket */
} synack_xdp_cfg_t;

typedef struct {
  uint64_t frames_in, frames_out, bytes_in, bytes_out;
  uint64_t tx_full;     /* frames dropped: no free UMEM frame or TX slot (TCP retransmits) */
  uint64_t too_big;     /* frames larger than a UMEM frame, dropped */
  uint64_t kicks;       /* sendto() wakeups of the kernel's transmit path */
  uint64_t neigh_shared; /* ARP replies / neighbour advertisements copied to another queue's stack */
  uint64_t wakeups;     /* loop iterations that slept */
  uint64_t rx_dropped, rx_ring_full, fill_ring_empty; /* the kernel's XDP_STATISTICS */
} synack_xdp_stats_t;

typedef struct synack_xdp synack_xdp_t;
/* Creates the UMEM and the socket, fills the fill ring. NULL with *err = -errno. */
SYNACK_API synack_xdp_t *synack_xdp_open(const synack_xdp_cfg_t *cfg, int *err);
/* Stacks on several queues of one device resolve addresses each on their own, but the kernel
 * (or the NIC's RSS) delivers an ARP reply or neighbour advertisement to whichever queue it
 * picks. After this call (before the loops run) each queue copies such answers to the others'
 * inboxes, which their loops feed to their stacks: the only frames that cross queues. Returns 0
 * or -ENOMEM. */
SYNACK_API int synack_xdp_share_neighbours(synack_xdp_t *const *queues, uint32_t n);
SYNACK_API void synack_xdp_close(synack_xdp_t *x);
SYNACK_API int synack_xdp_fd(const synack_xdp_t *x);
/* One iteration, as synack_tap_loop_run: sends what the stack has, sleeps (poll on the XSK) until
 * a frame arrives, the stack's next deadline or max_wait_us, hands the received frames to the
 * stack, runs its timers, sends again. Returns 0 or a negative error. */
SYNACK_API int synack_xdp_run(synack_xdp_t *x, synack_stack_t *stack, synack_time_t max_wait_us);
/* Sends what the stack has now, without sleeping. */
SYNACK_API void synack_xdp_flush(synack_xdp_t *x, synack_stack_t *stack);
/* Driver counters, the kernel's XSK statistics refreshed. */
SYNACK_API const synack_xdp_stats_t *synack_xdp_stats(synack_xdp_t *x);

#ifdef __cplusplus
}
#endif
#endif
