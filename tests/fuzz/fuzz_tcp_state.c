/* State-machine fuzz target. The first input byte picks a starting point — each of the eleven
 * RFC 9293 states, plus a listener's half-open entry and a TIME-WAIT entry without a socket —
 * reached once through the tests/support connection fixture (every step of the way asserted)
 * and then restored from an arena snapshot for each input (fuzz_arena.h). The rest of the input
 * is a sequence of 6-byte steps: segments from the peer (any flags, sequence and acknowledgment
 * numbers around the edges the connection knows, payload, window, timestamps or not), ICMP
 * "too big", socket calls (send, recv, shutdown, close, abort, accept) and clock jumps.
 *
 * After every step: synack_tcp_check_invariants (sequence variables ordered, rings and
 * out-of-order ranges within bounds, the retransmission timer running while data is
 * unacknowledged, counts and queues consistent), the stack's memory accounting equal to the
 * bytes the arena handed out, and no event for the socket once it was seen CLOSED and its events
 * drained. At the end the stack is freed and every byte must have come back. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/synack.h>

#include "fuzz_arena.h"
#include "fuzz_flags.h"
#include "fuzz_replay.h"
#include "tcp_internal.h"
#include "tcpfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
  ST_LISTEN,
  ST_SYN_SENT,
  ST_HALF_OPEN,       /* listener + half-open entry (SYN-RECEIVED, no TCB) */
  ST_SYN_RECEIVED,    /* a TCB in SYN-RECEIVED: simultaneous open */
  ST_ESTABLISHED,     /* passive */
  ST_ESTABLISHED_ACT, /* active */
  ST_FIN_WAIT_1,
  ST_FIN_WAIT_2,
  ST_CLOSING,
  ST_TIME_WAIT,       /* the socket still open */
  ST_TIME_WAIT_ENTRY, /* closed: a TIME-WAIT entry */
  ST_CLOSE_WAIT,
  ST_LAST_ACK,
  ST_CLOSED,          /* reset by the peer, handle still open */
  ST__COUNT
};

typedef struct {
  bool ready, failed;
  fz_snap_t snap;
  fx_t fx;   /* the fixture as it was at the snapshot */
  int sock;  /* the connection's handle (or the listener's) */
} start_t;

static fz_arena_t arena;
static start_t starts[ST__COUNT];

static void fuzz_hook(synack_config_t *cfg) {
  fz_arena_use(&arena, cfg);
  cfg->max_sockets = 8;
  cfg->tx_ring_frames = 64;
  cfg->tcp_sndbuf = 8192;
  cfg->tcp_rcvbuf = 8192;
  cfg->tcp_syn_backlog = 4;
  cfg->tcp_ooo_max_ranges = 8;
  cfg->buf_cache_bytes = 0;
  cfg->neigh_entries = 4;
  cfg->frag_max_datagrams = 2;
}

/* Builds starting point k on a fresh stack; returns the handle under test or -1. */
static int build(fx_t *fx, int k) {
  int s = -1;
  switch (k) {
    case ST_LISTEN: return fx_listen(fx, 4);
    case ST_SYN_SENT: return fx_syn_sent(fx);
    case ST_HALF_OPEN: return fx_syn_received(fx);
    case ST_SYN_RECEIVED:
      s = fx_syn_sent(fx);
      if (s < 0) return -1;
      /* The peer's SYN crosses ours (RFC 9293 §3.5 figure 7): we answer with a SYN-ACK. */
      if (!fx_inject_seg_(fx, __FILE__, __LINE__, fx->now, &(fx_seg_t){ .flags = FX_S, .seq = 0 })) return -1;
      fx->pseq = 1;
      fx_drain(fx);
      fx_flush_output(fx);
      return fx_sock_state(fx, s) == SYNACK_TCP_SYN_RECEIVED ? s : -1;
    case ST_ESTABLISHED_ACT: return fx_open_active(fx);
    case ST_CLOSED:
      s = fx_open_passive(fx);
      if (s < 0) return -1;
      if (!fx_inject_seg_(fx, __FILE__, __LINE__, fx->now, &(fx_seg_t){ .flags = FX_R, .seq = 1 })) return -1;
      fx_drain(fx);
      return fx_sock_state(fx, s) == SYNACK_TCP_CLOSED ? s : -1;
    default: break;
  }
  s = fx_open_passive(fx);
  if (s < 0) return -1;
  static const synack_tcp_state_t target[ST__COUNT] = {
    [ST_ESTABLISHED] = SYNACK_TCP_ESTABLISHED, [ST_FIN_WAIT_1] = SYNACK_TCP_FIN_WAIT_1,
    [ST_FIN_WAIT_2] = SYNACK_TCP_FIN_WAIT_2,   [ST_CLOSING] = SYNACK_TCP_CLOSING,
    [ST_TIME_WAIT] = SYNACK_TCP_TIME_WAIT,     [ST_TIME_WAIT_ENTRY] = SYNACK_TCP_TIME_WAIT,
    [ST_CLOSE_WAIT] = SYNACK_TCP_CLOSE_WAIT,   [ST_LAST_ACK] = SYNACK_TCP_LAST_ACK,
  };
  if (!fx_goto(fx, s, target[k])) return -1;
  if (k == ST_TIME_WAIT_ENTRY) {
    synack_close(fx->st, fx->now, s); /* the TCB gives way to a TIME-WAIT entry */
    fx_drain(fx);
    if (fx_count_kind(fx, SYNACK_CONN_TIMEWAIT) != 1) return -1;
    s = -1;
  }
  return s;
}

static void prepare(int k) {
  start_t *sp = &starts[k];
  sp->ready = true;
  synack_config_t cfg;
  fx_config(&cfg, SYNACK_AF_INET);
  fuzz_hook(&cfg);
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &cfg);
  if (!fx) abort();
  int s = build(fx, k);
  if (s < 0 && k != ST_TIME_WAIT_ENTRY) {
    fprintf(stderr, "fuzz_tcp_state: could not reach start %d\n", k);
    abort(); /* the fixture could not reach it: a regression, not a fuzz finding */
  }
  fx_drain(fx);
  fx_flush_output(fx);
  fx_events(fx, 0); /* pops every pending event into fx->ev */
  memset(fx->ev, 0, sizeof fx->ev);
  sp->sock = s;
  fz_snapshot(&arena, &sp->snap);
  sp->fx = *fx;
  sp->fx.q = NULL; /* the output queue is the live fixture's; restored copies start empty */
  sp->fx.qcap = sp->fx.qhead = sp->fx.qlen = 0;
  free(fx->q);
  free(fx); /* the stack stays in the arena: the snapshot holds it */
}

/* Hands the frames the stack sent to the replay digest and drops them. */
static void take_output(fx_t *fx) {
  for (size_t i = fx->qhead; i < fx->qlen; i++) fz_digest_frame(fx->q[i].buf, fx->q[i].len);
  fx_flush_output(fx);
}

static void check(fx_t *fx, const char *after) {
  char why[256];
  if (!synack_tcp_check_invariants(fx->st, why, sizeof why)) {
    fprintf(stderr, "fuzz_tcp_state: invariant broken after %s: %s\n", after, why);
    abort();
  }
  if (synack_stack_memory(fx->st) != arena.live) {
    fprintf(stderr, "fuzz_tcp_state: stack accounts %zu bytes, allocator handed out %zu (after %s)\n",
            synack_stack_memory(fx->st), arena.live, after);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int k = data[0] % ST__COUNT;
  start_t *sp = &starts[k];
  if (!sp->ready) prepare(k);
  fz_restore(&arena, &sp->snap);
  fz_digest_reset();
  static fx_t fx;
  fx_frame_t *q = fx.q;
  size_t qcap = fx.qcap;
  fx = sp->fx;
  fx.q = q;
  fx.qcap = qcap;
  int s = sp->sock;
  int l = fx.listener;
  bool closed_seen = k == ST_CLOSED; /* CLOSED observed and its events drained */
  static uint8_t buf[16384];
  uint32_t stream_off = 0;
  for (size_t off = 1; off + 6 <= size; off += 6) {
    const uint8_t *p = data + off;
    uint8_t op = p[0];
    uint16_t a = (uint16_t)(p[1] << 8 | p[2]), b = (uint16_t)(p[3] << 8 | p[4]);
    uint8_t c = p[5];
    const char *what = "segment";
    switch (op >> 5) {
      case 0:
      case 1:
      case 2: { /* a segment from the peer around the edges it knows */
        fx_seg_t seg;
        memset(&seg, 0, sizeof seg);
        seg.flags = (uint8_t)((op & 0x1f) << 3 | (c & 0x07)); /* any combination of the 8 flags */
        int32_t ds = (int32_t)(int16_t)a, da = (int32_t)(int8_t)(b >> 8);
        seg.seq = fx.pseq + (uint32_t)(c & 0x20 ? ds * 64 : ds); /* wide or near */
        seg.ack = fx.sseq + (uint32_t)(c & 0x10 ? da * 1024 : da);
        seg.len = (c & 0x08) ? (size_t)(b & 0xff) * 8u : 0;
        seg.win = (b & 0x80) ? FX_WIN_ZERO : (uint32_t)(b & 0x7f) << 9;
        seg.nots = (op & 1) != 0;
        fx_inject_seg_(&fx, __FILE__, __LINE__, fx.now, &seg);
        break;
      }
      case 3: /* time passes: timers run */
        what = "time";
        fx_advance(&fx, fx.now + (synack_time_t)a * (c & 1 ? 1000000u : 1000u));
        break;
      case 4: /* the application */
        what = "api";
        if (s < 0) break;
        switch (c % 8) {
          case 0: {
            int64_t r = fx_send(&fx, s, a % 4000u, stream_off);
            if (r > 0) stream_off += (uint32_t)r;
            break;
          }
          case 1: fx_recv(&fx, s, buf, a % sizeof buf); break;
          case 2: synack_shutdown(fx.st, fx.now, s, SYNACK_SHUT_WR); break;
          case 3: synack_shutdown(fx.st, fx.now, s, SYNACK_SHUT_RD); break;
          case 4:
            synack_close(fx.st, fx.now, s);
            s = -1;
            break;
          case 5:
            synack_abort(fx.st, fx.now, s);
            s = -1;
            break;
          case 6:
            if (l >= 0) {
              int n = synack_accept(fx.st, l, NULL);
              if (n >= 0) synack_close(fx.st, fx.now, n);
            }
            break;
          case 7: synack_setsockopt(fx.st, s, SYNACK_TCP_NODELAY, a & 1); break;
        }
        break;
      case 5: /* ICMP too big quoting something near SND.UNA */
        what = "icmp";
        fx_inject_too_big(&fx, fx.now, 68u + a % 1500u, fx.sseq + (uint32_t)(int8_t)c);
        break;
      default: /* a window update or an ACK of everything sent, to move the connection along */
        what = "ack";
        fx_inject_seg_(&fx, __FILE__, __LINE__, fx.now,
                       &(fx_seg_t){ .flags = (uint8_t)(FX_A | (c & 1 ? SYNACK_TCP_FIN : 0)), .seq = fx.pseq,
                                    .ack = fx.sseq });
        break;
    }
    fx_drain(&fx);
    take_output(&fx);
    /* Events: the socket's bits, and none once it was CLOSED and drained. */
    if (s >= 0) {
      uint32_t ev = fx_events(&fx, s);
      if (closed_seen && ev) {
        fprintf(stderr, "fuzz_tcp_state: event 0x%x on socket %d after CLOSED\n", ev, s);
        abort();
      }
      if (fx_sock_state(&fx, s) == SYNACK_TCP_CLOSED) closed_seen = true;
    }
    check(&fx, what);
  }
  take_output(&fx);
  synack_stack_free(fx.st);
  fz_arena_check(&arena);
  return 0;
}
