/* The engine of `synack drill`: one stack on a bare-IP link and virtual time, driven event by
 * event through a parsed script. Inbound packets are injected with synack_stack_input, the
 * stack's output is collected with synack_stack_poll_tx (time-stamped with the virtual clock)
 * and matched against '>' lines in order; blocking calls wait while the timeline goes on. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_int.h"

#define DRILL_BASE SYNACK_SEC(1)                 /* stack time of script time 0 */
#define DRILL_ANY_HORIZON SYNACK_SEC(3 * 3600)   /* how long '*' waits at most */
#define DRILL_OUTQ_MAX (64u << 20)               /* bytes of unmatched output kept */
#define DRILL_STEP_MAX 2000000u                  /* timer wake-ups per wait (a stack bug guard) */

/* ---------------------------------------------------------------- messages */

static void vappend(drill_run_t *r, const char *prefix, const char *fmt, va_list ap) {
  if (r->msglen + 1 >= r->msgcap) return;
  int k = snprintf(r->msg + r->msglen, r->msgcap - r->msglen, "%s", prefix);
  if (k > 0) r->msglen = r->msglen + (size_t)k >= r->msgcap ? r->msgcap - 1 : r->msglen + (size_t)k;
  k = vsnprintf(r->msg + r->msglen, r->msgcap - r->msglen, fmt, ap);
  if (k > 0) r->msglen = r->msglen + (size_t)k >= r->msgcap ? r->msgcap - 1 : r->msglen + (size_t)k;
  if (r->msglen + 1 < r->msgcap) {
    r->msg[r->msglen++] = '\n';
    r->msg[r->msglen] = '\0';
  }
}

void drill_say(drill_run_t *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vappend(r, "", fmt, ap);
  va_end(ap);
}

static void prefix_of(const drill_run_t *r, char *buf, size_t cap, const char *what) {
  snprintf(buf, cap, "  %s:%d: %s", r->s->path, r->line, what);
}

void drill_fail(drill_run_t *r, const char *fmt, ...) {
  if (r->done) return;
  char pre[512];
  prefix_of(r, pre, sizeof pre, r->soft ? "warning: " : "");
  if (!r->soft) {
    r->status = DRILL_FAIL;
    r->done = true;
  }
  va_list ap;
  va_start(ap, fmt);
  vappend(r, pre, fmt, ap);
  va_end(ap);
}

void drill_unsupported(drill_run_t *r, const char *fmt, ...) {
  if (r->done) return;
  r->status = DRILL_UNSUPPORTED;
  r->done = true;
  char pre[512];
  snprintf(pre, sizeof pre, "%s:%d: ", r->s->path, r->line);
  va_list ap;
  va_start(ap, fmt);
  vappend(r, pre, fmt, ap);
  va_end(ap);
}

double drill_stime(const drill_run_t *r, synack_time_t t) { return ((double)(int64_t)(t - r->base)) / 1e6; }

drill_fd_t *drill_fd(drill_run_t *r, int label) {
  for (int k = 0; k < r->nfds; k++)
    if (r->fds[k].label == label) return &r->fds[k];
  return NULL;
}

static void vlog(const drill_run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(const drill_run_t *r, const char *fmt, ...) {
  if (!r->o->verbose) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

/* ---------------------------------------------------------------- trace (verbose) */

static void on_trace(void *user, const synack_trace_event_t *ev) {
  const drill_run_t *r = user;
  if (!r->o->verbose) return;
  switch (ev->kind) {
  case SYNACK_TRACE_STATE:
    printf("  %10.6f   stack: %s%d %s -> %s (%s)\n", drill_stime(r, ev->now), ev->sock >= 0 ? "sock " : "entry ",
           ev->sock, synack_tcp_state_name((synack_tcp_state_t)ev->old_state),
           synack_tcp_state_name((synack_tcp_state_t)ev->new_state), ev->reason ? ev->reason : "");
    break;
  case SYNACK_TRACE_TIMER:
    printf("  %10.6f   stack: %s timer fired\n", drill_stime(r, ev->now), ev->reason ? ev->reason : "?");
    break;
  case SYNACK_TRACE_FRAME_DROP:
    printf("  %10.6f   stack: dropped a frame (%s)\n", drill_stime(r, ev->now), synack_drop_reason_name(ev->drop));
    break;
  case SYNACK_TRACE_NOTE:
    printf("  %10.6f   stack: %s\n", drill_stime(r, ev->now), ev->reason ? ev->reason : "");
    break;
  case SYNACK_TRACE_FRAME_IN:
  case SYNACK_TRACE_FRAME_OUT: break;
  }
}

/* ---------------------------------------------------------------- output queue */

static bool dissect_tcp(const uint8_t *buf, size_t len, synack_dissect_t *d) {
  return synack_dissect(buf, len, false, d) == SYNACK_DROP_NONE && d->has_tcp;
}

void drill_out_push(drill_run_t *r, const uint8_t *data, size_t len) { drill_out_push_at(r, data, len, r->now); }

void drill_out_push_at(drill_run_t *r, const uint8_t *data, size_t len, synack_time_t t) {
  if (r->done) return;
  if (r->outq_bytes + len > DRILL_OUTQ_MAX) {
    drill_fail(r, "more than %u bytes sent by the stack and not matched", DRILL_OUTQ_MAX);
    return;
  }
  if (r->nout == r->capout) {
    size_t nc = r->capout ? r->capout * 2 : 64;
    drill_out_t *nq = realloc(r->outq, nc * sizeof *nq);
    if (!nq) {
      drill_fail(r, "out of memory");
      return;
    }
    r->outq = nq;
    r->capout = nc;
  }
  drill_out_t *o = &r->outq[r->nout++];
  o->t = t;
  o->len = len;
  o->buf = malloc(len ? len : 1);
  if (!o->buf) {
    r->nout--;
    drill_fail(r, "out of memory");
    return;
  }
  memcpy(o->buf, data, len);
  r->outq_bytes += len;
  synack_dissect_t d;
  if (dissect_tcp(o->buf, o->len, &d)) {
    r->last_out_seq = d.tcp.seq;
    if (d.tcp.opts.present & SYNACK_TCPOPT_HAS_TS) {
      r->have_last_ts = true;
      r->last_ts_actual = d.tcp.opts.ts_val;
    }
    if (r->o->verbose) {
      char line[512];
      drill_pkt_render_actual(r, &d, d.tcp.flags, d.tcp.payload_len, line, sizeof line);
      printf("  %10.6f   %s\n", drill_stime(r, t), line);
    }
  } else if (r->o->verbose && drill_udp_dissect(o->buf, o->len, &d)) {
    char line[160];
    drill_udp_render_actual(&d, line, sizeof line);
    printf("  %10.6f   %s\n", drill_stime(r, t), line);
  } else {
    vlog(r, "  %10.6f   > (a %zu-byte non-TCP packet)\n", drill_stime(r, t), len);
  }
}

static void drain(drill_run_t *r) {
  if (r->live) r->tg->collect(r);
}

static void pop_out(drill_run_t *r, size_t n) {
  for (size_t k = 0; k < n && r->outhead < r->nout; k++) {
    r->outq_bytes -= r->outq[r->outhead].len;
    free(r->outq[r->outhead].buf);
    r->outhead++;
  }
  if (r->outhead == r->nout) {
    r->outhead = r->nout = 0;
  } else if (r->outhead > 256) {
    memmove(r->outq, r->outq + r->outhead, (r->nout - r->outhead) * sizeof *r->outq);
    r->nout -= r->outhead;
    r->outhead = 0;
  }
}

/* ---------------------------------------------------------------- time */

static int64_t tolerance(const drill_run_t *r, int64_t gap_us) {
  int64_t pct = gap_us > 0 ? gap_us * r->tol_permille / 1000 : 0;
  return pct > r->tol_us ? pct : r->tol_us;
}

static synack_time_t blocking_end(const drill_run_t *r, const drill_pending_t *p, int64_t *tol) {
  const drill_event_t *ev = &r->s->events[p->ev];
  int64_t start_us = (int64_t)(p->start - r->base);
  int64_t e = ev->end.kind == DRILL_T_ABS ? ev->end.us : start_us + ev->end.us;
  *tol = tolerance(r, e - start_us);
  return r->base + (synack_time_t)e;
}

static void service_pending(drill_run_t *r) {
  int saved = r->line;
  for (int k = 0; k < r->npending && !r->done;) {
    drill_pending_t *p = &r->pending[k];
    const drill_event_t *ev = &r->s->events[p->ev];
    r->line = ev->line;
    int64_t ret;
    r->soft = r->nonfatal_syscall;
    bool fin = drill_call_try(r, ev, p, true, &ret);
    r->soft = false;
    if (r->done) break;
    int64_t tol;
    synack_time_t end = blocking_end(r, p, &tol);
    if (fin) {
      vlog(r, "  %10.6f   %s() returned %lld (blocking call of line %d)\n", drill_stime(r, r->now), ev->call.name,
           (long long)ret, ev->line);
      if ((int64_t)(r->now - end) > tol || (int64_t)(end - r->now) > tol)
        drill_fail(r, "%s() returned at %.6f s, expected at %.6f s (tolerance %lld us)", ev->call.name,
                   drill_stime(r, r->now), drill_stime(r, end), (long long)tol);
      r->soft = r->nonfatal_syscall;
      drill_call_check(r, ev, ret);
      r->soft = false;
      r->pending[k] = r->pending[--r->npending];
      drain(r);
      continue;
    }
    if (r->now > end + (synack_time_t)tol) {
      drill_fail(r, "%s() still blocked at %.6f s, expected to return at %.6f s", ev->call.name,
                 drill_stime(r, r->now), drill_stime(r, end));
      break;
    }
    k++;
  }
  r->line = saved;
}

/* The next time a pending call must be looked at even without input (its limit, a poll
 * timeout); the target adds its own timers. */
static synack_time_t next_wake(const drill_run_t *r) {
  synack_time_t t = SYNACK_TIME_NEVER;
  for (int k = 0; k < r->npending; k++) {
    synack_time_t w = drill_call_wake(r, &r->pending[k]);
    if (w < t) t = w;
    int64_t tol;
    synack_time_t end = blocking_end(r, &r->pending[k], &tol) + (synack_time_t)tol + 1;
    if (end < t) t = end;
  }
  return t;
}

/* One step towards `limit`: fires what is due at the next wake time. Returns false when the
 * next wake is after limit (the clock is then moved to limit). */
static bool step(drill_run_t *r, synack_time_t limit) {
  bool more = r->tg->advance(r, limit, next_wake(r));
  drain(r);
  service_pending(r);
  return more;
}

static void advance_to(drill_run_t *r, synack_time_t target) {
  unsigned n = 0;
  while (!r->done && step(r, target)) {
    if (++n > DRILL_STEP_MAX) {
      drill_fail(r, "the stack's timers do not settle (more than %u wake-ups)", DRILL_STEP_MAX);
      return;
    }
  }
}

/* Waits until the stack has sent something not yet matched, or the clock reaches limit. */
static void wait_output(drill_run_t *r, synack_time_t limit) {
  unsigned n = 0;
  while (!r->done && r->outhead == r->nout && step(r, limit)) {
    if (++n > DRILL_STEP_MAX) {
      drill_fail(r, "the stack's timers do not settle (more than %u wake-ups)", DRILL_STEP_MAX);
      return;
    }
  }
}

/* ---------------------------------------------------------------- the peer's view */

/* The state the script's end is in, by RFC 9293 §3.3.2, from the segments it sends and gets:
 * shown by --verbose, and it tells which SYN fixes the peer's ISN. The script, not this state
 * machine, decides what the peer sends. */
static void peer_sent(drill_run_t *r, uint8_t flags, uint32_t seq, uint32_t len) {
  synack_tcp_state_t s = r->peer_state;
  if (flags & SYNACK_TCP_RST) {
    r->peer_state = SYNACK_TCP_CLOSED;
    return;
  }
  if (flags & SYNACK_TCP_FIN) r->peer_fin_end = seq + len + ((flags & SYNACK_TCP_SYN) ? 1u : 0u) + 1u;
  /* A SYN that opens a connection from the peer's point of view fixes the peer's ISN (which
   * numbers the payload pattern); a SYN inside a connection (RFC 5961 tests) does not. */
  bool opening = (flags & SYNACK_TCP_SYN) &&
                 (s == SYNACK_TCP_CLOSED || s == SYNACK_TCP_LISTEN || s == SYNACK_TCP_TIME_WAIT ||
                  s == SYNACK_TCP_SYN_SENT || (s == SYNACK_TCP_SYN_RECEIVED && (flags & SYNACK_TCP_ACK)));
  if (opening || ((flags & SYNACK_TCP_SYN) && !r->have_peer_isn)) {
    r->have_peer_isn = true;
    r->peer_isn = seq;
  }
  switch (s) {
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_TIME_WAIT:
    if ((flags & SYNACK_TCP_SYN) && !(flags & SYNACK_TCP_ACK)) r->peer_state = SYNACK_TCP_SYN_SENT;
    break;
  case SYNACK_TCP_ESTABLISHED:
    if (flags & SYNACK_TCP_FIN) r->peer_state = SYNACK_TCP_FIN_WAIT_1;
    break;
  case SYNACK_TCP_CLOSE_WAIT:
    if (flags & SYNACK_TCP_FIN) r->peer_state = SYNACK_TCP_LAST_ACK;
    break;
  case SYNACK_TCP_SYN_SENT:
  case SYNACK_TCP_SYN_RECEIVED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK: break;
  }
}

static void peer_got(drill_run_t *r, uint8_t flags, uint32_t ack) {
  bool fin_acked = (flags & SYNACK_TCP_ACK) && r->peer_fin_end && (int32_t)(ack - r->peer_fin_end) >= 0;
  if (flags & SYNACK_TCP_RST) {
    r->peer_state = SYNACK_TCP_CLOSED;
    return;
  }
  switch (r->peer_state) {
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_TIME_WAIT:
    if ((flags & SYNACK_TCP_SYN) && !(flags & SYNACK_TCP_ACK)) r->peer_state = SYNACK_TCP_SYN_RECEIVED;
    break;
  case SYNACK_TCP_SYN_SENT:
    if (flags & SYNACK_TCP_SYN)
      r->peer_state = (flags & SYNACK_TCP_ACK) ? SYNACK_TCP_ESTABLISHED : SYNACK_TCP_SYN_RECEIVED;
    break;
  case SYNACK_TCP_SYN_RECEIVED:
    if ((flags & SYNACK_TCP_ACK) && !(flags & SYNACK_TCP_SYN))
      r->peer_state = (flags & SYNACK_TCP_FIN) ? SYNACK_TCP_CLOSE_WAIT : SYNACK_TCP_ESTABLISHED;
    break;
  case SYNACK_TCP_ESTABLISHED:
    if (flags & SYNACK_TCP_FIN) r->peer_state = SYNACK_TCP_CLOSE_WAIT;
    break;
  case SYNACK_TCP_FIN_WAIT_1:
    if (flags & SYNACK_TCP_FIN)
      r->peer_state = fin_acked ? SYNACK_TCP_TIME_WAIT : SYNACK_TCP_CLOSING;
    else if (fin_acked)
      r->peer_state = SYNACK_TCP_FIN_WAIT_2;
    break;
  case SYNACK_TCP_FIN_WAIT_2:
    if (flags & SYNACK_TCP_FIN) r->peer_state = SYNACK_TCP_TIME_WAIT;
    break;
  case SYNACK_TCP_CLOSING:
    if (fin_acked) r->peer_state = SYNACK_TCP_TIME_WAIT;
    break;
  case SYNACK_TCP_LAST_ACK:
    if (fin_acked) r->peer_state = SYNACK_TCP_CLOSED;
    break;
  case SYNACK_TCP_CLOSE_WAIT: break;
  }
}

/* ---------------------------------------------------------------- events */

static void state_note(drill_run_t *r) {
  if (!r->o->verbose || !r->st) return;
  synack_conn_entry_t e[64];
  size_t n = synack_conn_table(r->st, e, 64);
  if (n > 64) n = 64;
  for (size_t k = 0; k < n; k++) {
    if (e[k].local.port != r->lport || (e[k].remote.port != r->rport && e[k].state != SYNACK_TCP_LISTEN)) continue;
    printf("  %10s   stack %s: %s\n", "", e[k].state == SYNACK_TCP_LISTEN ? "listener" : "flow",
           synack_tcp_state_name(e[k].state));
  }
  printf("  %10s   peer (script): %s%s\n", "", synack_tcp_state_name(r->peer_state),
         r->have_isn ? "" : ", stack's ISN not learned yet");
}

/* Builds and sends one '<' segment (or ICMP message). */
static bool inject_one(drill_run_t *r, const drill_packet_t *pk) {
  uint8_t buf[70000];
  char why[160] = "";
  size_t n = drill_pkt_build(r, pk, buf, sizeof buf, why, sizeof why);
  if (!n) {
    drill_unsupported(r, "cannot build the packet: %s", why);
    return false;
  }
  if (r->o->verbose) {
    char line[512];
    drill_pkt_render_expected(pk, line, sizeof line);
    printf("  %10.6f   %s\n", drill_stime(r, r->now), line);
  }
  r->tg->inject(r, buf, n);
  return true;
}

static void inject(drill_run_t *r, const drill_event_t *ev) {
  const drill_packet_t *pk = &ev->pkt;
  if (!pk->icmp && !pk->udp) peer_sent(r, pk->flags, pk->seq_mode == DRILL_SEQ_ANY ? r->peer_nxt : pk->start, pk->len);
  if (pk->icmp || pk->udp || !r->peer_mss || pk->len <= r->peer_mss) {
    if (!inject_one(r, pk)) return;
  } else {
    /* --mss=N: the peer sends data longer than N as consecutive segments of N bytes (the last
     * shorter), as a sender segmenting a large write (TSO/GSO) does: the same header and
     * options on each; CWR on the first only, PSH and FIN on the last only. */
    if (pk->flags & (SYNACK_TCP_SYN | SYNACK_TCP_URG)) {
      drill_unsupported(r, "a SYN or urgent segment longer than --mss=%u is not split", r->peer_mss);
      return;
    }
    drill_packet_t *piece = malloc(sizeof *piece);
    if (!piece) {
      drill_fail(r, "out of memory");
      return;
    }
    for (uint32_t off = 0; off < pk->len; off += r->peer_mss) {
      *piece = *pk;
      bool last = pk->len - off <= r->peer_mss;
      piece->len = last ? pk->len - off : r->peer_mss;
      piece->start = pk->start + off;
      piece->end = piece->start + piece->len;
      if (off > 0) piece->flags &= (uint8_t)~SYNACK_TCP_CWR;
      if (!last) piece->flags &= (uint8_t)~(SYNACK_TCP_PSH | SYNACK_TCP_FIN);
      if (!inject_one(r, piece)) break;
    }
    free(piece);
    if (r->done) return;
  }
  drain(r);
  service_pending(r);
  if (!pk->udp) state_note(r); /* the TCP states of the flow */
}

static bool wanted(const drill_packet_t *pk, const drill_out_t *o, synack_dissect_t *d) {
  if (pk->icmp) return drill_pkt_is_icmp_error(o->buf, o->len, d);
  return pk->udp ? drill_udp_dissect(o->buf, o->len, d) : dissect_tcp(o->buf, o->len, d);
}

static void expect_fail(drill_run_t *r, const char *exp, const char *act, synack_time_t t, const char *why) {
  drill_fail(r, "expected: %s", exp);
  drill_say(r, "  %s:%d: actual:   %s at %.6f s", r->s->path, r->line, act, drill_stime(r, t));
  drill_say(r, "  %s:%d: %s", r->s->path, r->line, why);
}

/* A '> udp' line against the oldest UDP datagram the stack sent (drill_udp.c), or a '> icmp'
 * line against its oldest ICMP error. */
static void expect_udp(drill_run_t *r, const drill_event_t *ev, const synack_dissect_t *d, const drill_out_t *o,
                       synack_time_t lo, synack_time_t hi, synack_time_t at, int64_t tol, const char *exp,
                       int64_t *actual_us) {
  char act[160], why[256] = "";
  bool icmp = ev->pkt.icmp;
  if (icmp) drill_pkt_render_icmp(d, act, sizeof act);
  else drill_udp_render_actual(d, act, sizeof act);
  if (o->t < lo || o->t > hi) {
    snprintf(why, sizeof why, "sent at %.6f s, expected %s%.6f s (tolerance %lld us)", drill_stime(r, o->t),
             ev->has_range ? "from " : "", drill_stime(r, at), (long long)tol);
    expect_fail(r, exp, act, o->t, why);
    return;
  }
  if (icmp ? !drill_pkt_compare_icmp(r, &ev->pkt, d, why, sizeof why) : !drill_udp_compare(r, &ev->pkt, d, why, sizeof why)) {
    expect_fail(r, exp, act, o->t, why);
    return;
  }
  *actual_us = (int64_t)(o->t - r->base);
  pop_out(r, 1);
}

static void expect(drill_run_t *r, const drill_event_t *ev, int64_t t_us, int64_t prev_us, int64_t *actual_us) {
  const drill_packet_t *pk = &ev->pkt;
  synack_time_t lo, hi, at;
  int64_t tol;
  if (ev->t.kind == DRILL_T_ANY) {
    lo = 0;
    at = r->now;
    tol = 0;
    hi = r->now + DRILL_ANY_HORIZON;
  } else {
    tol = tolerance(r, t_us - prev_us);
    int64_t t2 = t_us;
    if (ev->has_range) t2 = ev->t2.kind == DRILL_T_ABS ? ev->t2.us : prev_us + ev->t2.us;
    int64_t l = t_us - tol;
    lo = r->base + (synack_time_t)(l > -(int64_t)r->base ? l : -(int64_t)r->base);
    hi = r->base + (synack_time_t)(t2 + tol);
    at = r->base + (synack_time_t)t_us;
  }
  char exp[512];
  drill_pkt_render_expected(pk, exp, sizeof exp);
  wait_output(r, hi);
  if (r->done) return;
  /* a TCP line takes the next TCP segment, a UDP line the next whole UDP datagram: other
   * packets (ICMP, the other protocol) are not part of that line's timeline */
  synack_dissect_t d;
  while (r->outhead < r->nout && !wanted(pk, &r->outq[r->outhead], &d)) {
    pop_out(r, 1);
    if (r->outhead == r->nout) wait_output(r, hi);
  }
  if (r->outhead == r->nout) {
    /* Failing anyway: look a little further to tell "late" from "never". */
    wait_output(r, hi + r->tg->late_look);
    while (r->outhead < r->nout && !wanted(pk, &r->outq[r->outhead], &d)) {
      pop_out(r, 1);
      if (r->outhead == r->nout) wait_output(r, hi + r->tg->late_look);
    }
    if (r->outhead == r->nout || r->done) {
      drill_fail(r, "expected: %s", exp);
      drill_say(r, "  %s:%d: actual:   nothing sent by %.6f s (expected at %.6f s, tolerance %lld us)", r->s->path,
                r->line, drill_stime(r, hi), drill_stime(r, at), (long long)tol);
      return;
    }
  }
  const drill_out_t *o = &r->outq[r->outhead];
  if (pk->udp || pk->icmp) {
    expect_udp(r, ev, &d, o, lo, hi, at, tol, exp, actual_us);
    return;
  }
  uint8_t flags = d.tcp.flags;
  size_t paylen = d.tcp.payload_len;
  size_t used = 1;
  if (!r->strict_segments && pk->seq_mode != DRILL_SEQ_RAW && paylen > 0 && paylen < pk->len &&
      !(flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST))) {
    /* Aggregation: contiguous segments already sent, all but the last of the first's size. */
    size_t seg = paylen, last = paylen, total = paylen;
    uint32_t nxt = d.tcp.seq + (uint32_t)paylen;
    uint8_t fl = flags;
    size_t j = r->outhead + 1, cnt = 1;
    while (total < pk->len && j < r->nout && last == seg && !(fl & SYNACK_TCP_FIN)) {
      synack_dissect_t d2;
      if (!dissect_tcp(r->outq[j].buf, r->outq[j].len, &d2)) break;
      if (d2.tcp.seq != nxt || d2.tcp.payload_len == 0 || d2.tcp.payload_len > seg) break;
      if (total + d2.tcp.payload_len > pk->len) break;
      total += d2.tcp.payload_len;
      last = d2.tcp.payload_len;
      nxt += (uint32_t)d2.tcp.payload_len;
      fl |= d2.tcp.flags;
      j++;
      cnt++;
    }
    if (total == pk->len && cnt > 1) {
      flags = fl;
      paylen = total;
      used = cnt;
    }
  }
  char act[512];
  drill_pkt_render_actual(r, &d, flags, paylen, act, sizeof act);
  if (o->t < lo || o->t > hi) {
    drill_fail(r, "expected: %s", exp);
    drill_say(r, "  %s:%d: actual:   %s at %.6f s", r->s->path, r->line, act, drill_stime(r, o->t));
    drill_say(r, "  %s:%d: sent at %.6f s, expected %s%.6f s (tolerance %lld us)", r->s->path, r->line,
              drill_stime(r, o->t), ev->has_range ? "from " : "", drill_stime(r, at), (long long)tol);
    return;
  }
  char why[256] = "";
  if (!drill_pkt_compare(r, pk, &d, flags, paylen, tol, why, sizeof why)) {
    drill_fail(r, "expected: %s", exp);
    drill_say(r, "  %s:%d: actual:   %s at %.6f s", r->s->path, r->line, act, drill_stime(r, o->t));
    drill_say(r, "  %s:%d: %s", r->s->path, r->line, why);
    return;
  }
  if (r->have_isn && pk->seq_mode != DRILL_SEQ_RAW) {
    /* the payload must be the stream the application wrote, at its offset */
    for (size_t k = 0; k < used; k++) {
      synack_dissect_t dk;
      if (!dissect_tcp(r->outq[r->outhead + k].buf, r->outq[r->outhead + k].len, &dk)) continue;
      uint32_t off = dk.tcp.seq + ((dk.tcp.flags & SYNACK_TCP_SYN) ? 1u : 0u) - (r->isn_raw + 1u);
      for (size_t b = 0; b < dk.tcp.payload_len; b++) {
        if (r->nnocheck && drill_out_unchecked(r, off + (uint32_t)b)) continue; /* from a file or pipe */
        uint8_t want = drill_stream_byte(off + (uint32_t)b);
        if (dk.tcp.payload[b] != want) {
          drill_fail(r, "expected: %s", exp);
          drill_say(r, "  %s:%d: actual:   %s at %.6f s", r->s->path, r->line, act, drill_stime(r, o->t));
          drill_say(r, "  %s:%d: payload byte at stream offset %u is 0x%02x, the application wrote 0x%02x",
                    r->s->path, r->line, off + (uint32_t)b, dk.tcp.payload[b], want);
          return;
        }
      }
    }
  }
  if (used > 1) vlog(r, "  %10s   (%zu segments aggregated for line %d)\n", "", used, ev->line);
  *actual_us = (int64_t)(o->t - r->base);
  peer_got(r, flags, d.tcp.ack);
  pop_out(r, used);
  state_note(r);
}

static void run_call(drill_run_t *r, int idx, int64_t *actual_us) {
  const drill_event_t *ev = &r->s->events[idx];
  if (r->o->verbose) printf("  %10.6f   line %d: %s()%s\n", drill_stime(r, r->now), ev->line, ev->call.name,
                            ev->blocking ? " (blocking)" : "");
  drill_pending_t p;
  memset(&p, 0, sizeof p);
  p.ev = idx;
  p.start = r->now;
  int64_t ret;
  r->soft = r->nonfatal_syscall;
  bool fin = drill_call_try(r, ev, &p, ev->blocking, &ret);
  r->soft = false;
  if (r->done) return;
  *actual_us = (int64_t)(r->now - r->base);
  if (!fin) {
    if (r->npending == DRILL_MAX_PENDING) {
      drill_unsupported(r, "more than %d blocking calls at once", DRILL_MAX_PENDING);
      return;
    }
    r->pending[r->npending++] = p;
    drain(r);
    return;
  }
  if (ev->blocking) {
    int64_t tol;
    synack_time_t end = blocking_end(r, &p, &tol);
    if ((int64_t)(end - r->now) > tol)
      drill_fail(r, "%s() returned at once (%.6f s), expected to block until %.6f s", ev->call.name,
                 drill_stime(r, r->now), drill_stime(r, end));
  }
  vlog(r, "  %10s   = %lld\n", "", (long long)ret);
  r->soft = r->nonfatal_syscall;
  drill_call_check(r, ev, ret);
  r->soft = false;
  drain(r);
  service_pending(r);
}

/* ---------------------------------------------------------------- setup */

static bool apply_hopt(drill_run_t *r, drill_opts_t *lo, const drill_hopt_t *h) {
  const char *n = h->name, *v = h->value ? h->value : "";
  r->line = h->line;
#define NAME(x) (strcmp(n, x) == 0)
  if (NAME("ip_version")) {
    if (strcmp(v, "ipv4") == 0) {
      r->family = SYNACK_AF_INET;
    } else if (strcmp(v, "ipv6") == 0) {
      r->family = SYNACK_AF_INET6;
    } else if (strcmp(v, "ipv4-mapped-ipv6") == 0) {
      /* packetdrill's third mode: AF_INET6 sockets reaching IPv4 through ::ffff:a.b.c.d
       * addresses (RFC 4291 §2.5.5.2); IPv4 on the wire */
      r->family = SYNACK_AF_INET;
      r->mapped = true;
    } else {
      drill_unsupported(r, "--ip_version=%s not supported", v);
      return false;
    }
  } else if (NAME("tolerance_usecs")) {
    r->tol_us = strtoll(v, NULL, 10);
  } else if (NAME("tolerance_percent")) {
    r->tol_permille = (int64_t)(strtod(v, NULL) * 10.0 + 0.5);
  } else if (NAME("mtu")) {
    r->cfg.mtu = (uint32_t)strtoul(v, NULL, 10);
  } else if (NAME("mss")) {
    /* packetdrill: the segment size the test peer uses (injected data longer than this is
     * sent as several segments), not the stack's MTU */
    long m = strtol(v, NULL, 10);
    if (m <= 0 || m > 65535) {
      drill_unsupported(r, "--mss=%s out of range", v);
      return false;
    }
    r->peer_mss = (uint32_t)m;
  } else if (NAME("tcp_ts_tick_usecs")) {
    r->ts_tick_us = strtoll(v, NULL, 10);
  } else if (NAME("tcp_ts_ecr_scaled") || NAME("define") || NAME("D") || NAME("profile") || NAME("send_omit_free")) {
    /* ecr is never checked; defines and profiles are handled before the run; send_omit_free
     * (packetdrill: do not reuse send buffers, for zero-copy) is what this runner always does */
  } else if (NAME("gateway_ip") || NAME("netmask_ip")) {
    /* packetdrill's routing of its tun device (Linux's selftests pass them): the peer here is
     * on the stack's own link, so there is nothing to route; only the form is checked */
    synack_ip_t ip;
    if (synack_ip_parse(v, &ip) != 0) {
      drill_unsupported(r, "--%s=%s: not an address", n, v);
      return false;
    }
  } else if (NAME("strict_segments")) {
    r->strict_segments = true;
  } else if (NAME("strict_tail")) {
    r->strict_tail = true;
  } else if (NAME("non_fatal")) {
    if (strstr(v, "syscall")) r->nonfatal_syscall = true;
    if (strstr(v, "packet")) {
      drill_unsupported(r, "--non_fatal=packet not supported");
      return false;
    }
  } else if (NAME("local_ip") || NAME("remote_ip")) {
    synack_ip_t ip;
    if (synack_ip_parse(v, &ip) != 0) {
      drill_unsupported(r, "--%s=%s: not an address", n, v);
      return false;
    }
    if (NAME("local_ip"))
      r->lip = ip;
    else
      r->rip = ip;
  } else if (NAME("options")) {
    if (strcmp(v, "strict") != 0 && strcmp(v, "normalized") != 0) {
      drill_unsupported(r, "--options=%s (strict or normalized)", v);
      return false;
    }
    lo->options_normalized = strcmp(v, "normalized") == 0;
  } else if (NAME("window")) {
    if (strcmp(v, "strict") != 0 && strcmp(v, "ignore") != 0) {
      drill_unsupported(r, "--window=%s (strict or ignore)", v);
      return false;
    }
    lo->window_ignore = strcmp(v, "ignore") == 0;
  } else if (NAME("bind_port") || NAME("connect_port") || NAME("peer_port")) {
    long p = strtol(v, NULL, 10);
    if (p <= 0 || p > 65535) {
      drill_unsupported(r, "--%s=%s out of range", n, v);
      return false;
    }
    if (NAME("bind_port")) r->bind_port = (uint16_t)p;
    if (NAME("connect_port")) r->connect_port = (uint16_t)p;
    if (NAME("peer_port")) r->peer_port = (uint16_t)p;
  } else if (NAME("verbose")) {
    lo->verbose = true;
  } else {
    drill_unsupported(r, "header option --%s not supported", n);
    return false;
  }
#undef NAME
  return true;
}

static void cleanup(drill_run_t *r) {
  drill_files_cleanup(r);
  r->tg->close(r);
  r->live = false;
  for (size_t k = r->outhead; k < r->nout; k++) free(r->outq[k].buf);
  free(r->outq);
  r->outq = NULL;
}

drill_status_t drill_run(const drill_script_t *s, const drill_opts_t *o, char *msg, size_t msgcap) {
  drill_run_t *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(msg, msgcap, "out of memory\n");
    return DRILL_FAIL;
  }
  drill_opts_t lo = *o;
  r->s = s;
  r->o = &lo;
  r->msg = msg;
  r->msgcap = msgcap;
  if (msgcap) msg[0] = '\0';
  r->family = SYNACK_AF_INET;
  r->tol_us = 4000;
  r->tol_permille = 125;
  r->bind_port = r->connect_port = 8080;
  r->peer_port = 40000;
  r->base = r->now = DRILL_BASE;
  r->status = DRILL_PASS;
  r->last_conn_label = -1;
  r->linux_profile = strcmp(o->profile, "linux") == 0;
  r->tg = o->kernel ? &drill_target_kernel : &drill_target_synack;

  synack_config_default(&r->cfg);
  if (synack_config_preset(&r->cfg, o->profile) != 0) {
    drill_unsupported(r, "unknown profile '%s'", o->profile);
    goto out;
  }
  /* header options: drill.opts / command line before and after the script's own */
  bool lip_set = false, rip_set = false;
  for (int k = 0; k < o->npre && !r->done; k++) apply_hopt(r, &lo, &o->pre[k]);
  for (int k = 0; k < s->nhopts && !r->done; k++) apply_hopt(r, &lo, &s->hopts[k]);
  for (int k = 0; k < o->npost && !r->done; k++) apply_hopt(r, &lo, &o->post[k]);
  if (r->done) goto out;
  r->line = 0;
  if (s->unsupported[0]) {
    r->status = DRILL_UNSUPPORTED;
    r->done = true;
    drill_say(r, "%s", s->unsupported);
    goto out;
  }
  lip_set = r->lip.family != 0;
  rip_set = r->rip.family != 0;
  if (r->family == SYNACK_AF_INET6) {
    if (!lip_set) synack_ip_parse("fd00::1", &r->lip);
    if (!rip_set) synack_ip_parse("fd00::2", &r->rip);
  } else {
    if (!lip_set) r->lip = synack_ip4(198, 18, 0, 1);
    if (!rip_set) r->rip = synack_ip4(198, 18, 0, 2);
  }
  if (r->lip.family != (r->family == SYNACK_AF_INET6 ? SYNACK_AF_INET6 : SYNACK_AF_INET) ||
      r->rip.family != r->lip.family) {
    drill_unsupported(r, "--local_ip/--remote_ip do not match --ip_version");
    goto out;
  }
  r->cfg.link = SYNACK_LINK_IP;
  if (r->family == SYNACK_AF_INET6) {
    r->cfg.ip6 = r->lip;
    r->cfg.ip4 = synack_ip4(198, 18, 0, 1);
  } else {
    r->cfg.ip4 = r->lip;
    synack_ip_parse("fd00::1", &r->cfg.ip6);
  }
  r->cfg.ip4_prefix = 24;
  r->cfg.ip6_prefix = 64;
  r->cfg.ip6_link_local = false;
  synack_config_deterministic(&r->cfg, 0xd5111u);
  r->cfg.name = "stack";
  r->cfg.trace = on_trace;
  r->cfg.trace_user = r;
  r->lport = r->bind_port;
  r->rport = r->peer_port;
  if (!r->tg->open(r)) goto out;

  int first_timed = -1, last_timed = -1;
  for (int k = 0; k < s->nevents; k++)
    if (s->events[k].t.kind != DRILL_T_NONE) {
      if (first_timed < 0) first_timed = k;
      last_timed = k;
    }
  int64_t prev_us = 0;
  for (int k = 0; k < s->nevents && !r->done; k++) {
    const drill_event_t *ev = &s->events[k];
    r->line = ev->line;
    if (ev->t.kind == DRILL_T_NONE) {
      bool before = first_timed < 0 || k < first_timed;
      if (ev->kind == DRILL_EV_CODE) {
        if (before) {
          drill_unsupported(r, "a %%{ }%% block before the first event");
        } else {
          /* after the last event: evaluated once the timeline is over (below) */
        }
      } else if (before) {
        drill_shell(r, ev->text, 0);
      }
      continue;
    }
    int64_t t_us = ev->t.kind == DRILL_T_ABS ? ev->t.us : prev_us + (ev->t.kind == DRILL_T_REL ? ev->t.us : 0);
    if (!r->live && ev->kind == DRILL_EV_SHELL && !strstr(ev->text, "sockstat") && !strstr(ev->text, "tcpdrop")) {
      /* a command on the timeline before anything needs the stack (`0 sysctl ...`): it still
       * configures the stack, which is created at the first event that needs it */
      vlog(r, "  %10.6f   line %d: `%s` (before the stack exists)\n", (double)t_us / 1e6, ev->line, ev->text);
      drill_shell(r, ev->text, 0);
      prev_us = t_us;
      continue;
    }
    if (!r->live) {
      if (!r->tg->start(r)) break;
      r->live = true;
      const synack_config_t *c = &r->cfg;
      vlog(r, "  stack (profile %s): IPv%d, mtu %u, rcvbuf %u, sndbuf %u, max buffer %u, min RTO %u ms, "
              "delayed ACK %u ms, MSL %u ms, SACK %d, timestamps %d, window scaling %d, RFC 5961 %d/%d, "
              "RFC 1337 %d\n",
           r->o->profile, r->family == SYNACK_AF_INET6 ? 6 : 4, c->mtu, c->tcp_rcvbuf, c->tcp_sndbuf, c->tcp_max_buf,
           c->tcp_rto_min_ms, c->tcp_delack_ms, c->tcp_msl_ms, c->tcp_sack, c->tcp_timestamps, c->tcp_window_scaling,
           c->tcp_rfc5961_rst, c->tcp_rfc5961_syn, c->tcp_rfc1337);
    }
    synack_time_t at = r->base + (synack_time_t)t_us;
    int64_t actual = t_us;
    if (ev->kind == DRILL_EV_PACKET && ev->pkt.dir == '>') {
      expect(r, ev, t_us, prev_us, &actual);
    } else {
      advance_to(r, at);
      if (r->done) break;
      actual = (int64_t)(r->now - r->base);
      r->line = ev->line;
      switch (ev->kind) {
      case DRILL_EV_PACKET: inject(r, ev); break;
      case DRILL_EV_CALL: run_call(r, k, &actual); break;
      case DRILL_EV_SHELL:
        vlog(r, "  %10.6f   line %d: `%s`\n", drill_stime(r, r->now), ev->line, ev->text);
        drill_shell(r, ev->text, 1);
        drain(r);
        service_pending(r);
        break;
      case DRILL_EV_CODE:
        vlog(r, "  %10.6f   line %d: %%{ }%%\n", drill_stime(r, r->now), ev->line);
        drill_code(r, ev->text);
        break;
      }
    }
    prev_us = actual;
  }
  if (!r->done && r->npending) {
    r->line = s->events[r->pending[0].ev].line;
    /* let the clock run to the latest expected return */
    synack_time_t until = r->now;
    for (int k = 0; k < r->npending; k++) {
      int64_t tol;
      synack_time_t e = blocking_end(r, &r->pending[k], &tol) + (synack_time_t)tol + 1;
      if (e > until) until = e;
    }
    advance_to(r, until);
    if (!r->done && r->npending) drill_fail(r, "blocking %s() never returned", s->events[r->pending[0].ev].call.name);
  }
  if (!r->done && r->strict_tail && r->live) {
    /* --strict_tail: everything the stack sent by the last event must have been expected */
    drain(r);
    synack_dissect_t d;
    for (size_t k = r->outhead; k < r->nout && !r->done; k++) {
      if (!dissect_tcp(r->outq[k].buf, r->outq[k].len, &d)) continue;
      char act[512];
      drill_pkt_render_actual(r, &d, d.tcp.flags, d.tcp.payload_len, act, sizeof act);
      r->line = s->events[last_timed].line;
      drill_fail(r, "unexpected segment after the last '>' line (--strict_tail): %s at %.6f s", act,
                 drill_stime(r, r->outq[k].t));
    }
  }
  for (int k = last_timed + 1; k < s->nevents && !r->done && last_timed >= 0; k++) {
    const drill_event_t *ev = &s->events[k];
    r->line = ev->line;
    if (ev->kind == DRILL_EV_CODE)
      drill_code(r, ev->text);
    else
      drill_shell(r, ev->text, 2);
  }
out:
  cleanup(r);
  drill_status_t st = r->status;
  free(r);
  return st;
}
