/* The stack instance as the core's modules see it, and the services the IP layer offers to
 * TCP (and other upper layers): transmit slots, routing, events, tracing, counters, memory,
 * randomness and timers. Not part of the public API. */
#ifndef SYNACK_STACK_INTERNAL_H
#define SYNACK_STACK_INTERNAL_H

#include "synack/config.h"
#include "synack/counters.h"
#include "synack/socket.h"
#include "synack/stack.h"
#include "synack/trace.h"
#include "synack/udp.h"
#include "synack/wire.h"

#include "rng.h"
#include "secret.h"
#include "timer.h"

struct synack_tcp;   /* TCP's per-stack state (tcp_*.c) */
struct synack_neigh; /* neighbour cache (neigh.c) */
struct synack_frag;  /* IP reassembly (frag.c) */
struct synack_udp;   /* UDP sockets (udp_sock.c) */

/* Timer kinds: the stack's dispatcher routes a fired timer to its owner by kind range. */
enum {
  SYNACK_TK_NEIGH = 1,        /* neighbour entry (retry / expiry) */
  SYNACK_TK_FRAG = 2,         /* reassembly timeout */
  SYNACK_TK_TCP_FIRST = 16,   /* 16..63 belong to TCP (tcp_timer.c names them) */
  SYNACK_TK_TCP_LAST = 63,
};

/* A transmit slot being filled. */
typedef struct {
  uint32_t slot;     /* ring index */
  uint8_t *frame;    /* start of the frame buffer */
  uint8_t *l4;       /* where the upper-layer header goes */
  size_t l4_cap;     /* room for the upper layer (header + payload) */
  uint8_t l3_off;    /* link header length (0 or 14) */
  uint8_t l3_len;    /* 20 or 40 */
} synack_tx_t;

typedef struct {
  int sock;
  uint32_t bits;
  int error;
  bool queued;
} synack_evq_entry_t;

#define SYNACK_BUFCACHE_CLASSES 4
typedef struct {
  size_t size;      /* ring size of this class (0 = unused) */
  void *head;       /* cached rings, linked through their first bytes */
  uint32_t count;
} synack_bufclass_t;

struct synack_stack {
  synack_config_t cfg;
  /* The TCP segment being processed (set around synack_tcp_input by synack_l4_input): its IP
   * header(s) and TCP header, for TCP_SAVE_SYN; NULL when not known (reassembled, ICMP). */
  const uint8_t *rx_l3, *rx_l4;
  synack_counters_t counters;
  synack_timer_wheel_t wheel;
  synack_rng_t rng;
  synack_time_t now;          /* time of the latest call that carried one */
  uint8_t keys[SYNACK_KEY__COUNT][SYNACK_KEY_LEN]; /* one per purpose, from the master secret (secret.h) */
  synack_ip_t ip6_ll;         /* link-local address (family 0 if none) */

  /* Transmit ring: tx_ring_frames slots of tx_slot_cap bytes. */
  uint8_t *tx_mem;
  uint32_t *tx_len;
  uint32_t tx_slot_cap;
  uint32_t tx_head, tx_count; /* frames [head, head+count) wait for the driver */
  bool tx_head_lent;          /* the head frame was handed out by poll_tx; release it next call */

  /* Stack-level events (ping replies), and per-socket events coalesced in a FIFO of handles. */
  int *evq;                   /* ring of socket handles with pending bits */
  uint32_t evq_cap, evq_head, evq_count;
  synack_evq_entry_t *ev;     /* per-socket pending bits, indexed by handle */
  synack_event_t echo_evq[16];
  uint32_t echo_head, echo_count;

  struct synack_neigh *neigh;
  struct synack_frag *frag;
  struct synack_tcp *tcp;
  struct synack_udp *udp;

  uint32_t ip4_frag_id;       /* next IPv4 Identification of a fragmented datagram (ip_frag_out.c) */
  bool ip4_frag_id_set;       /* ip4_frag_id has its random start */
  uint64_t icmp_tokens_at;    /* ICMP error rate limiter: second of the last refill */
  uint32_t icmp_tokens;
  size_t mem_bytes;           /* memory currently allocated through the stack's allocator */

  /* Freed socket rings kept for reuse (bufcache.c). */
  synack_bufclass_t bufcache[SYNACK_BUFCACHE_CLASSES];
  size_t bufcache_bytes;
};

/* ---- memory ---- */
void *synack_mem_alloc(synack_stack_t *st, size_t size);          /* zeroed, NULL on failure */
void synack_mem_free(synack_stack_t *st, void *p, size_t size);   /* size as allocated */
/* Socket byte rings (bufcache.c): NOT zeroed; freed rings are cached up to cfg.buf_cache_bytes. */
void *synack_ring_alloc(synack_stack_t *st, size_t size);
void synack_ring_free(synack_stack_t *st, void *p, size_t size);
void synack_ring_cache_flush(synack_stack_t *st);

/* ---- counters and tracing ---- */
static inline void synack_count(synack_stack_t *st, synack_counter_t c) { st->counters.events[c]++; }
static inline void synack_count_add(synack_stack_t *st, synack_counter_t c, uint64_t n) { st->counters.events[c] += n; }
/* Counts a dropped frame and traces it. frame may be NULL. */
void synack_drop(synack_stack_t *st, synack_drop_reason_t r, const uint8_t *frame, size_t len);
static inline bool synack_tracing(const synack_stack_t *st) { return st->cfg.trace != NULL; }
/* Emits a trace event (fills now and stack_name). Call only when synack_tracing(). */
void synack_trace_emit(synack_stack_t *st, synack_trace_event_t *ev);

/* ---- randomness ---- */
void synack_random_bytes(synack_stack_t *st, void *buf, size_t len);
uint32_t synack_random_u32(synack_stack_t *st);

/* ---- events ---- */
/* Adds event bits for a socket (coalesced until the application pops them). */
void synack_event_post(synack_stack_t *st, int sock, uint32_t bits, int error);
/* Forgets pending events of a socket whose handle is being released. */
void synack_event_forget(synack_stack_t *st, int sock);
/* Called by TCP when its socket table grows, so the per-socket event array can follow. */
int synack_event_reserve(synack_stack_t *st, uint32_t max_sock);

/* An ICMP echo reply arrived (for the ping application). */
void synack_stack_post_echo_reply(synack_stack_t *st, const synack_ip_t *from, uint16_t ident, uint16_t seqno,
                                  size_t len, synack_time_t sent_at);

/* ---- addresses and routing ---- */
bool synack_is_local_addr(const synack_stack_t *st, const synack_ip_t *ip);
/* Source address for a destination (RFC 6724 lite: link-local for link-local destinations). */
bool synack_route_src(const synack_stack_t *st, const synack_ip_t *dst, synack_ip_t *src);
/* IP MTU towards dst (the link MTU; path MTU per destination is TCP's business). */
uint32_t synack_route_mtu(const synack_stack_t *st, const synack_ip_t *dst);

/* ---- transmit ---- */
/* Reserves a ring slot for an IP packet to dst and returns where the upper-layer header starts
 * (tx->l4) and how much room it has (tx->l4_cap, bounded by the MTU). Returns false when the
 * ring is full: the caller keeps its data and retries when synack_tcp_flush is called. */
bool synack_tx_begin(synack_stack_t *st, const synack_ip_t *dst, synack_tx_t *tx);
/* Writes the IP header (and link header after neighbour resolution) and queues the frame.
 * l4_len bytes at tx->l4 are the upper-layer packet (with its checksum already filled).
 * tos carries DSCP/ECN; ttl 0 = the configured default. May divert the frame to the
 * neighbour queue (copy) while resolution runs. */
void synack_tx_commit(synack_stack_t *st, synack_tx_t *tx, const synack_ip_t *src, const synack_ip_t *dst,
                      uint8_t proto, uint8_t tos, uint8_t ttl, size_t l4_len);
/* The fragment fields of one IP fragment (ip_frag_out.c). */
#define SYNACK_IP6_FRAG_HDR_LEN 8u
typedef struct {
  uint32_t id;   /* Identification (16 bits used over IPv4) */
  uint16_t off;  /* offset of the fragment's data in the datagram, bytes (a multiple of 8) */
  bool more;     /* MF / M: more fragments follow */
} synack_frag_out_t;
/* Writes the IP header at l3 for l4_len bytes of protocol proto (ttl 0: the default): an
 * atomic datagram with DF when frag is NULL, else a fragment (IPv6: with its fragment header,
 * l4_len counting the data after it). */
void synack_tx_ip_header(synack_stack_t *st, uint8_t *l3, const synack_ip_t *src, const synack_ip_t *dst,
                         uint8_t proto, uint8_t tos, uint8_t ttl, size_t l4_len, const synack_frag_out_t *frag);
/* Queues a slot whose IP packet (l3_total bytes from the IP header on) the caller wrote
 * itself: adds the link header (or parks the frame while the neighbour is resolved). */
void synack_tx_queue(synack_stack_t *st, synack_tx_t *tx, const synack_ip_t *dst, size_t l3_total);
/* Sends an upper-layer packet (hdr then data, checksum already in hdr) too big for the link
 * MTU as IP fragments (ip_frag_out.c). All fragments or none: -SYNACK_EAGAIN when the ring has
 * no room for all of them. Returns the number of fragments. */
int synack_tx_fragmented(synack_stack_t *st, const synack_ip_t *src, const synack_ip_t *dst, uint8_t proto,
                         uint8_t tos, uint8_t ttl, const uint8_t *hdr, size_t hdr_len, const uint8_t *data,
                         size_t data_len);
/* Gives the slot back unused. */
void synack_tx_cancel(synack_stack_t *st, synack_tx_t *tx);
/* Free ring slots. */
uint32_t synack_tx_room(const synack_stack_t *st);
/* Queues a complete frame (already with link header) — used by the neighbour cache. */
bool synack_tx_raw(synack_stack_t *st, const uint8_t *frame, size_t len);

/* ---- ICMP errors we send (rate-limited, RFC 1812 §4.3.2.8 style token bucket) ---- */
/* Sends an ICMP/ICMPv6 destination unreachable quoting the offending IP packet. */
void synack_icmp_send_unreach(synack_stack_t *st, uint8_t family, uint8_t code, const uint8_t *ip_pkt, size_t len);

/* ---- ephemeral ports (port_search.c) ---- */
typedef bool (*synack_port_usable_fn)(synack_stack_t *st, uint16_t port, void *ctx);
/* Tries the ports of [tcp_port_lo, tcp_port_hi] from offset `start` (modulo the range size) in
 * turn; returns the first usable one (and in *tries how many were passed over), or
 * -SYNACK_EADDRNOTAVAIL. */
int synack_port_search(synack_stack_t *st, uint32_t start, synack_port_usable_fn usable, void *ctx, uint32_t *tries);
/* RFC 4291 §2.5.5.2 IPv4-mapped addresses (::ffff:a.b.c.d). */
bool synack_addr_is_v4mapped(const uint8_t *a16);
void synack_addr_map4(const uint8_t *v4, uint8_t *out16);
/* Whether two local bindings (family, address — zero = any — and IPV6_V6ONLY) can receive the
 * same traffic: an AF_INET6 wildcard without V6ONLY also covers every IPv4 address, an
 * AF_INET6 socket bound to ::ffff:a.b.c.d covers that IPv4 address only. */
bool synack_local_overlap(uint8_t fa, const uint8_t *a, bool a_v6only, uint8_t fb, const uint8_t *b, bool b_v6only);

/* ---- the UDP module's entry points (udp_sock.c) ---- */
int synack_udp_init(synack_stack_t *st);
void synack_udp_fini(synack_stack_t *st);
/* A checked datagram for one of our addresses (or a broadcast one with SYNACK_RX_L3_MULTICAST
 * in flags): queued on the socket(s) it is for. False when no socket takes it. */
bool synack_udp_deliver(synack_stack_t *st, const synack_ip_t *src, const synack_ip_t *dst, const synack_udp_repr_t *u,
                        unsigned flags);
/* An ICMP error quoting one of our UDP datagrams (quoted[0..len) starts at the IP header). */
void synack_udp_icmp_error(synack_stack_t *st, uint8_t family, uint8_t type, uint8_t code, const uint8_t *quoted,
                           size_t len);
/* The transmit ring has room again: sockets that met a full ring become writable. */
void synack_udp_tx_room(synack_stack_t *st);
/* Whether handle i belongs to a UDP socket (the TCP and UDP tables share one handle space). */
bool synack_udp_holds_handle(const synack_stack_t *st, uint32_t i);

/* ---- the TCP module's entry points (tcp_*.c implements them) ---- */
int synack_tcp_init(synack_stack_t *st);
void synack_tcp_fini(synack_stack_t *st);
/* One TCP segment for one of our addresses. seg[0..len) is the whole TCP segment (header and
 * payload), already length-checked by IP. rx_flags: SYNACK_RX_CSUM_VALID. tos: the IP TOS /
 * traffic class byte (ECN bits). */
void synack_tcp_input(synack_stack_t *st, synack_time_t now, const synack_ip_t *src, const synack_ip_t *dst,
                      uint8_t tos, const uint8_t *seg, size_t len, unsigned rx_flags);
/* An ICMP error (type/code in the family's numbering, mtu for frag-needed / packet-too-big)
 * quoting one of our packets: quoted[0..len) starts at the quoted IP header. */
void synack_tcp_icmp_error(synack_stack_t *st, synack_time_t now, uint8_t family, uint8_t type, uint8_t code,
                           uint32_t mtu, const uint8_t *quoted, size_t len);
/* A timer whose kind is in the TCP range fired. */
void synack_tcp_timer(synack_stack_t *st, synack_timer_t *t, synack_time_t now);
/* The transmit ring has room again: send what connections have pending. */
void synack_tcp_flush(synack_stack_t *st, synack_time_t now);
/* True when TCP has output waiting for ring room. */
bool synack_tcp_has_pending(const synack_stack_t *st);
/* Memory TCP owns (for synack_stack_memory). */
size_t synack_tcp_memory(const synack_stack_t *st);

#endif
