/* Receive-path fuzz target: an ESTABLISHED connection (with SACK, timestamps and window
 * scaling) is fed segments whose position, length, flags and timestamp the fuzzer chooses,
 * interleaved with reads and clock jumps. Every copy of a byte carries the same stream value,
 * so whatever the reassembly does, what recv() returns must be the stream in order; a SACK
 * block must lie above the cumulative ACK or be a D-SACK. Any mismatch aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <synack/synack.h>

#include "fuzz_arena.h"
#include "fuzz_flags.h"
#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEER_ISN 4294960000u /* wraps during the run */
#define LPORT 8080
#define RPORT 40000

static uint8_t stream_byte(uint32_t off) { return (uint8_t)(off * 13u + (off >> 9)); }

typedef struct {
  synack_stack_t *st;
  synack_ip_t me, peer;
  uint32_t isn;      /* the stack's ISN (learned) */
  uint32_t last_ack; /* the stack's last ACK field, window */
  synack_time_t now;
} ctx_t;

static void send_seg(ctx_t *c, uint32_t seq, uint8_t flags, uint32_t len, bool ts, uint32_t tsval, bool syn_opts) {
  static uint8_t pkt[2048];
  synack_tcp_repr_t r;
  memset(&r, 0, sizeof r);
  r.src_port = RPORT;
  r.dst_port = LPORT;
  r.seq = seq;
  r.ack = c->isn + 1;
  r.flags = flags;
  r.window = 65535;
  uint8_t n = 0;
  if (syn_opts) {
    r.opts.present = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_WSCALE;
    r.opts.mss = 1460;
    r.opts.wscale = 2;
    r.opts.layout[n++] = SYNACK_TCPOPT_MSS;
    r.opts.layout[n++] = SYNACK_TCPOPT_SACK_PERM;
    r.opts.layout[n++] = SYNACK_TCPOPT_NOP;
    r.opts.layout[n++] = SYNACK_TCPOPT_WSCALE;
  }
  if (ts) {
    r.opts.present |= SYNACK_TCPOPT_HAS_TS;
    r.opts.ts_val = tsval;
    r.opts.ts_ecr = 0;
    r.opts.layout[n++] = SYNACK_TCPOPT_NOP;
    r.opts.layout[n++] = SYNACK_TCPOPT_NOP;
    r.opts.layout[n++] = SYNACK_TCPOPT_TS;
  }
  r.opts.layout_len = n;
  uint8_t *tcp = pkt + SYNACK_IP4_HDR_LEN;
  size_t hl = synack_tcp_emit(&r, tcp, sizeof pkt - SYNACK_IP4_HDR_LEN);
  if (hl == 0 || hl + len > sizeof pkt - SYNACK_IP4_HDR_LEN) return;
  uint32_t first = seq - (PEER_ISN + 1) + ((flags & SYNACK_TCP_SYN) ? 1u : 0u);
  for (uint32_t i = 0; i < len; i++) tcp[hl + i] = stream_byte(first + i);
  synack_tcp_fill_checksum(tcp, hl + len, &c->peer, &c->me);
  synack_ip4_repr_t ip;
  memset(&ip, 0, sizeof ip);
  ip.src = c->peer;
  ip.dst = c->me;
  ip.ttl = 64;
  ip.proto = SYNACK_IPPROTO_TCP;
  if (synack_ip4_emit(&ip, hl + len, pkt, SYNACK_IP4_HDR_LEN) == 0) return;
  synack_stack_input(c->st, c->now, pkt, SYNACK_IP4_HDR_LEN + hl + len, 0);
}

/* Drains output; learns the ISN from a SYN-ACK; checks the SACK blocks of every segment. */
static void drain(ctx_t *c) {
  synack_frame_t f;
  while (synack_stack_poll_tx(c->st, c->now, &f)) {
    fz_digest_frame(f.data, f.len);
    synack_dissect_t d;
    if (synack_dissect(f.data, f.len, false, &d) != SYNACK_DROP_NONE || !d.has_tcp) continue;
    if (d.tcp.flags & SYNACK_TCP_SYN) c->isn = d.tcp.seq;
    if (!(d.tcp.flags & SYNACK_TCP_ACK)) continue;
    c->last_ack = d.tcp.ack;
    if (d.tcp.opts.present & SYNACK_TCPOPT_HAS_SACK) {
      for (uint8_t k = 0; k < d.tcp.opts.sack_count; k++) {
        const synack_sack_block_t *b = &d.tcp.opts.sack[k];
        if ((int32_t)(b->right - b->left) <= 0) abort(); /* empty or inverted block */
        /* Blocks after the first lie above the cumulative ACK (RFC 2018); the first may be a
         * D-SACK below it (RFC 2883). */
        if (k > 0 && (int32_t)(b->left - d.tcp.ack) <= 0) abort();
      }
    }
  }
}

/* The connection every input starts from: built once, then restored from a snapshot of the
 * stack's arena (fuzz_arena.h), so that an input costs its own segments only. */
static fz_arena_t arena;
static fz_snap_t snap;
static ctx_t base;
static int base_sock;
static uint32_t base_ts;

static void setup(void) {
  synack_config_t cfg;
  synack_config_default(&cfg);
  fz_arena_use(&arena, &cfg);
  cfg.link = SYNACK_LINK_IP;
  cfg.ip4 = synack_ip4(198, 18, 0, 1);
  cfg.tcp_rcvbuf = 16384; /* small: the window closes and the bounds are reached */
  cfg.tcp_ooo_max_ranges = 6;
  cfg.tcp_quickack_start = false;
  /* Tables sized for one listener and one connection: every input restores and frees the whole
   * stack, and the default tables (1,024 sockets, 256 transmit slots of 1,500 bytes, 256
   * neighbours) cost more to copy and to walk at free than the input's segments to process.
   * Sixteen transmit slots hold the few ACKs one step sends (the target drains after each). */
  cfg.max_sockets = 4;
  cfg.tx_ring_frames = 16;
  cfg.neigh_entries = 4;
  cfg.frag_max_datagrams = 2;
  synack_config_deterministic(&cfg, 1); /* exact replay of a crashing input */
  ctx_t c;
  memset(&c, 0, sizeof c);
  c.me = cfg.ip4;
  c.peer = synack_ip4(198, 18, 0, 2);
  c.st = synack_stack_new(&cfg, 0);
  if (!c.st) abort();
  int l = synack_socket(c.st, SYNACK_AF_INET);
  synack_endpoint_t any = { .ip = { .family = SYNACK_AF_INET }, .port = LPORT };
  synack_bind(c.st, l, &any);
  synack_listen(c.st, l, 4);
  uint32_t ts = 1000;
  send_seg(&c, PEER_ISN, SYNACK_TCP_SYN, 0, true, ts, true);
  drain(&c);
  send_seg(&c, PEER_ISN + 1, SYNACK_TCP_ACK, 0, true, ts, false);
  drain(&c);
  base_sock = synack_accept(c.st, l, NULL);
  if (base_sock < 0) abort();
  base = c;
  base_ts = ts;
  fz_snapshot(&arena, &snap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!base.st) setup();
  fz_restore(&arena, &snap);
  fz_digest_reset();
  ctx_t c = base;
  int s = base_sock;
  uint32_t ts = base_ts;
  uint32_t got = 0; /* stream bytes read so far */
  static uint8_t buf[65536];
  size_t off = 0;
  while (off + 5 <= size) {
    const uint8_t *p = data + off;
    off += 5;
    uint8_t op = p[0];
    uint32_t a = (uint32_t)p[1] << 8 | p[2], b = (uint32_t)p[3] << 8 | p[4];
    switch (op % 8) {
      case 0: { /* read up to a bytes */
        int64_t r = synack_recv(c.st, c.now, s, buf, a % sizeof buf, 0);
        for (int64_t i = 0; i < r; i++)
          if (buf[i] != stream_byte(got + (uint32_t)i)) abort();
        if (r > 0) got += (uint32_t)r;
        break;
      }
      case 1: /* clock jump (delayed ACK, keepalive-free idle) */
        c.now += (synack_time_t)a * 1000u;
        synack_stack_handle_timers(c.st, c.now);
        break;
      default: { /* a data segment near RCV.NXT (as last acknowledged) */
        uint32_t seq = c.last_ack + a - 20000u; /* -20000 .. +45535 around the ACK */
        uint32_t len = b % 1460u;
        uint8_t flags = SYNACK_TCP_ACK;
        if (op & 0x10) flags |= SYNACK_TCP_PSH;
        if ((op & 0xe0) == 0xe0) flags |= SYNACK_TCP_FIN;
        if (op & 0x08) ts += (b >> 11);      /* the peer's clock advances */
        uint32_t tsv = (op & 0x40) && (op & 0x08) ? ts - 5000u : ts; /* sometimes an old one: PAWS */
        send_seg(&c, seq, flags, len, true, tsv, false);
        break;
      }
    }
    drain(&c);
  }
  /* Read the rest: still the stream. */
  for (;;) {
    int64_t r = synack_recv(c.st, c.now, s, buf, sizeof buf, 0);
    if (r <= 0) break;
    for (int64_t i = 0; i < r; i++)
      if (buf[i] != stream_byte(got + (uint32_t)i)) abort();
    got += (uint32_t)r;
  }
  synack_tcp_info_t info;
  if (synack_tcp_info(c.st, s, &info) == 0 && info.state == SYNACK_TCP_ESTABLISHED &&
      info.rcv_nxt - (PEER_ISN + 1) != got)
    abort(); /* everything acknowledged in order was delivered */
  synack_stack_free(c.st);
  fz_arena_check(&arena);
  return 0;
}
