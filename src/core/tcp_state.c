/* TCP states: names, per-state properties and the legal transitions of RFC 9293's diagram
 * (§3.3.2, Figure 5), plus the one function that changes a TCB's state. */
#include <string.h>

#include "tcp_internal.h"

#define B(s) (1u << (s))

typedef struct {
  const char *name;
  bool synchronized; /* RFC 9293 §3.5: a state past the handshake's SYN exchange */
  bool can_send;     /* the application may still queue data */
  bool can_recv;     /* the peer may still send us data (its FIN not yet processed) */
  uint32_t next;     /* bit set of legal successor states */
} state_props_t;

/* Transitions beyond the textbook diagram are listed with their reason:
 * - any state → CLOSED: RST received, abort(), timeout (RFC 9293 §3.10.7.4, §3.10.4);
 * - SYN-RECEIVED → LISTEN: a RST on a passive open returns to LISTEN (§3.10.7.4 second step);
 * - FIN-WAIT-1 → TIME-WAIT: a FIN that also acknowledges our FIN (§3.10.7.4 eighth step). */
static const state_props_t props[SYNACK_TCP_STATE_COUNT] = {
  [SYNACK_TCP_CLOSED] = { "CLOSED", false, false, false,
      B(SYNACK_TCP_LISTEN) | B(SYNACK_TCP_SYN_SENT) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_LISTEN] = { "LISTEN", false, false, false,
      B(SYNACK_TCP_SYN_RECEIVED) | B(SYNACK_TCP_SYN_SENT) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_SYN_SENT] = { "SYN-SENT", false, true, true,
      B(SYNACK_TCP_SYN_RECEIVED) | B(SYNACK_TCP_ESTABLISHED) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_SYN_RECEIVED] = { "SYN-RECEIVED", true, true, true,
      B(SYNACK_TCP_ESTABLISHED) | B(SYNACK_TCP_FIN_WAIT_1) | B(SYNACK_TCP_LISTEN) | B(SYNACK_TCP_CLOSED) |
      B(SYNACK_TCP_CLOSE_WAIT) },
  [SYNACK_TCP_ESTABLISHED] = { "ESTABLISHED", true, true, true,
      B(SYNACK_TCP_FIN_WAIT_1) | B(SYNACK_TCP_CLOSE_WAIT) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_FIN_WAIT_1] = { "FIN-WAIT-1", true, false, true,
      B(SYNACK_TCP_FIN_WAIT_2) | B(SYNACK_TCP_CLOSING) | B(SYNACK_TCP_TIME_WAIT) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_FIN_WAIT_2] = { "FIN-WAIT-2", true, false, true, B(SYNACK_TCP_TIME_WAIT) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_CLOSE_WAIT] = { "CLOSE-WAIT", true, true, false, B(SYNACK_TCP_LAST_ACK) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_CLOSING] = { "CLOSING", true, false, false, B(SYNACK_TCP_TIME_WAIT) | B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_LAST_ACK] = { "LAST-ACK", true, false, false, B(SYNACK_TCP_CLOSED) },
  [SYNACK_TCP_TIME_WAIT] = { "TIME-WAIT", true, false, false, B(SYNACK_TCP_CLOSED) },
};

const char *synack_tcp_state_name(synack_tcp_state_t s) {
  if ((unsigned)s >= SYNACK_TCP_STATE_COUNT) return "?";
  return props[s].name;
}

bool synack_tcp_state_synchronized(synack_tcp_state_t s) {
  return (unsigned)s < SYNACK_TCP_STATE_COUNT && props[s].synchronized;
}
bool synack_tcp_state_can_send(synack_tcp_state_t s) {
  return (unsigned)s < SYNACK_TCP_STATE_COUNT && props[s].can_send;
}
bool synack_tcp_state_can_recv(synack_tcp_state_t s) {
  return (unsigned)s < SYNACK_TCP_STATE_COUNT && props[s].can_recv;
}
bool synack_tcp_transition_legal(synack_tcp_state_t from, synack_tcp_state_t to) {
  if ((unsigned)from >= SYNACK_TCP_STATE_COUNT || (unsigned)to >= SYNACK_TCP_STATE_COUNT) return false;
  return (props[from].next & B(to)) != 0;
}

void synack_tuple_ips(const synack_tuple_t *t, synack_ip_t *local, synack_ip_t *remote) {
  memset(local, 0, sizeof *local);
  memset(remote, 0, sizeof *remote);
  local->family = remote->family = t->family;
  size_t n = t->family == SYNACK_AF_INET6 ? 16 : 4;
  memcpy(local->b, t->laddr, n);
  memcpy(remote->b, t->raddr, n);
}

void synack_tuple_endpoints(const synack_tuple_t *t, synack_endpoint_t *local, synack_endpoint_t *remote) {
  synack_tuple_ips(t, &local->ip, &remote->ip);
  if (t->family == 0) { local->ip.family = 0; remote->ip.family = 0; }
  local->port = t->lport;
  remote->port = t->rport;
}

void synack_tcp_trace_state(synack_stack_t *st, int sock, const synack_tuple_t *t, synack_tcp_state_t from,
                            synack_tcp_state_t to, const char *reason) {
  if (!synack_tracing(st)) return;
  synack_trace_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = SYNACK_TRACE_STATE;
  ev.sock = sock;
  synack_tuple_endpoints(t, &ev.local, &ev.remote);
  ev.old_state = (int)from;
  ev.new_state = (int)to;
  ev.reason = reason;
  synack_trace_emit(st, &ev);
}

void synack_tcp_trace_note(synack_stack_t *st, int sock, const synack_tuple_t *t, const char *what) {
  if (!synack_tracing(st)) return;
  synack_trace_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = SYNACK_TRACE_NOTE;
  ev.sock = sock;
  synack_tuple_endpoints(t, &ev.local, &ev.remote);
  ev.reason = what;
  synack_trace_emit(st, &ev);
}

void synack_tcp_set_state(synack_stack_t *st, synack_tcb_t *tcb, synack_tcp_state_t to, const char *reason) {
  synack_tcp_state_t from = tcb->state;
  if (from == to) return;
  if (!synack_tcp_transition_legal(from, to)) {
    /* A bug in the caller, not a peer's doing: make it loud in traces, but keep going. */
    synack_tcp_trace_note(st, tcb->sock, &tcb->node.t, "ILLEGAL TRANSITION");
  }
  tcb->state = to;
  /* RFC 7413 §5.1: a fast open child counts in its listener's queue while in SYN-RECEIVED. */
  if (from == SYNACK_TCP_SYN_RECEIVED) synack_tfo_child_done(st, tcb);
  synack_tcp_trace_state(st, tcb->sock, &tcb->node.t, from, to, reason);
}
