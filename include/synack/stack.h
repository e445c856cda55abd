/* A stack instance and its sans-I/O driving interface.
 *
 * A driver (simulator, TAP loop, script runner, benchmark link) does, in a loop:
 *   synack_stack_input(stack, now, frame, len)      for every frame that arrived
 *   synack_stack_handle_timers(stack, now)          when now >= synack_stack_next_deadline(stack)
 *   while (synack_stack_poll_tx(stack, now, &f))    send f.data[0..f.len) (valid until the next call)
 * and the application reads events with synack_stack_next_event() and uses the socket API.
 * Nothing in the core blocks, reads a clock or calls back into application code (except the
 * optional trace hook, which must not call into the stack).
 */
#ifndef SYNACK_STACK_H
#define SYNACK_STACK_H

#include "synack/config.h"
#include "synack/counters.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_stack synack_stack_t;

/* Creates a stack; NULL on allocation failure or an invalid config. `now` starts its clock. */
SYNACK_API synack_stack_t *synack_stack_new(const synack_config_t *cfg, synack_time_t now);
/* Frees the stack and everything it owns (connections are dropped silently). */
SYNACK_API void synack_stack_free(synack_stack_t *stack);
SYNACK_API const synack_config_t *synack_stack_config(const synack_stack_t *stack);

/* Changes a running stack's configuration, as a sysctl write changes a kernel's: take
 * synack_stack_config(), change fields, pass it here. Returns 0, or -SYNACK_EINVAL (nothing
 * changed) when a value is out of range or a field fixed at creation differs.
 *
 * Fixed at creation (refused): link, mac, mtu, the addresses, prefixes, gateways and
 * ip6_link_local; tx_ring_frames, max_sockets, neigh_entries, frag_max_datagrams,
 * tcp_ooo_max_ranges; the secrets' source (insecure_deterministic, seed, random,
 * random_user, shared_secret); the allocator (a config naming none keeps the stack's).
 *
 * Existing connections follow at once (the stack reads these when it uses them): the RFC 5961
 * checks (tcp_rfc5961_*), tcp_rfc1337, tcp_drop_synfin, tcp_dsack, tcp_challenge_ack_limit,
 * tcp_delack_ms and the ACK-policy switches, tcp_rcvwnd, tcp_fin_ack_now, the RTO bounds and
 * slop (tcp_rto_min/max/slop_ms, from the next RTT sample or backoff), retry counts, MSL and
 * FIN-WAIT-2 times, tcp_syncookies and the listener switches, and the keepalive times of
 * connections without their own TCP_KEEP* options (their running timer is placed again).
 * tcp_sack, tcp_timestamps, tcp_window_scaling and tcp_ecn govern what our next SYN / SYN-ACK
 * offers; a connection keeps what its handshake negotiated, as on Linux and FreeBSD.
 *
 * New connections only: buffer sizes (tcp_sndbuf, tcp_rcvbuf, tcp_max_buf and the window scale
 * it implies; udp_rcvbuf for new UDP sockets), tcp_default_mss, tcp_cc, tcp_initial_cwnd_segs, the option layout. */
SYNACK_API int synack_stack_set_config(synack_stack_t *stack, const synack_config_t *cfg);

/* ---- Frames ---- */
/* Flags for input: the link (e.g. virtio-net "data valid") already verified checksums. */
#define SYNACK_RX_CSUM_VALID 0x1
/* Hands one received frame to the stack. The stack copies what it keeps; buf may be reused
 * after the call. Malformed frames are counted and dropped (see synack_stack_counters). */
SYNACK_API void synack_stack_input(synack_stack_t *stack, synack_time_t now, const uint8_t *buf, size_t len,
                                   unsigned flags);

typedef struct {
  const uint8_t *data; /* valid until the next poll_tx / input / timer / API call on this stack */
  size_t len;
} synack_frame_t;
/* Takes the next frame to transmit, generating segments lazily. Returns false when none. */
SYNACK_API bool synack_stack_poll_tx(synack_stack_t *stack, synack_time_t now, synack_frame_t *out);
/* True when poll_tx would return a frame. */
SYNACK_API bool synack_stack_has_tx(const synack_stack_t *stack);

/* ---- Time ---- */
/* The earliest time at which the stack wants synack_stack_handle_timers() called
 * (possibly earlier than strictly needed, never later), or SYNACK_TIME_NEVER. */
SYNACK_API synack_time_t synack_stack_next_deadline(const synack_stack_t *stack);
SYNACK_API void synack_stack_handle_timers(synack_stack_t *stack, synack_time_t now);

/* ---- Events for the application (epoll-like, level-triggered readiness plus one-shot events) ---- */
#define SYNACK_EV_READABLE 0x01   /* data, EOF or a pending connection to accept */
#define SYNACK_EV_WRITABLE 0x02   /* send buffer has room */
#define SYNACK_EV_CONNECTED 0x04  /* active open completed */
#define SYNACK_EV_PEER_CLOSED 0x08 /* FIN received (EOF after the queued data) */
#define SYNACK_EV_ERROR 0x10      /* connection failed or reset; `error` holds the code */
#define SYNACK_EV_CLOSED 0x20     /* a socket the application closed is fully gone (handle reusable) */
#define SYNACK_EV_ICMP_ECHO_REPLY 0x40 /* for ping: sock = -1, see synack_event_t.echo */
#define SYNACK_EV_URGENT 0x80     /* the peer sent urgent data (a new urgent pointer, SIGURG; then its byte
                                     arrived): recv(MSG_OOB) takes it, SO_ATMARK tells where it is */
#define SYNACK_EV_ERRQUEUE 0x100 /* a report was queued on the socket's error queue (synack_recv_err;
                                     Linux's POLLERR for MSG_ZEROCOPY and SO_TIMESTAMPING) */
typedef struct {
  int sock;        /* socket handle, or -1 for stack-level events */
  uint32_t events; /* SYNACK_EV_* bits accumulated since the last report */
  int error;       /* negative error code with SYNACK_EV_ERROR */
  struct { synack_ip_t from; uint16_t ident, seqno; size_t len; synack_time_t sent_at; } echo;
} synack_event_t;
/* Pops the next pending event. Returns false when none. Events for one socket coalesce. */
SYNACK_API bool synack_stack_next_event(synack_stack_t *stack, synack_event_t *ev);

/* ---- Neighbours ---- */
/* Adds a permanent neighbour entry (IP → MAC), e.g. for a simulator that skips ARP. */
SYNACK_API int synack_stack_neigh_add(synack_stack_t *stack, const synack_ip_t *ip, const synack_mac_t *mac);

/* ---- ICMP echo (ping) ---- */
/* Sends an echo request with `len` payload bytes (the first 8 carry `now` for the RTT). */
SYNACK_API int synack_stack_ping(synack_stack_t *stack, synack_time_t now, const synack_ip_t *dst, uint16_t ident,
                                 uint16_t seqno, size_t len);

/* ---- Introspection ---- */
SYNACK_API const synack_counters_t *synack_stack_counters(const synack_stack_t *stack);
/* Bytes of memory the stack currently owns (pools, buffers, tables). */
SYNACK_API size_t synack_stack_memory(const synack_stack_t *stack);
/* The part of synack_stack_memory() held as freed socket rings cached for the next connection
 * (at most cfg.buf_cache_bytes). */
SYNACK_API size_t synack_stack_memory_cached(const synack_stack_t *stack);
/* Gives the cached buffer chunks back to the allocator (after a load: the embedder may then ask
 * its allocator to return free memory to the system, as the TAP loop does with malloc_trim).
 * Returns the bytes released. */
SYNACK_API size_t synack_stack_trim(synack_stack_t *stack);

#ifdef __cplusplus
}
#endif
#endif
