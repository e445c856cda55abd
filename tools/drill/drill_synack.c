/* The synack target of `synack drill`: one stack on a bare-IP link and virtual time. Packets go
 * in with synack_stack_input and come out of synack_stack_poll_tx; the clock jumps from one
 * stack timer (or pending call's limit) to the next; calls use the socket API
 * (include/synack/socket.h). */
#include <stdio.h>
#include <string.h>

#include "drill_int.h"

static bool s_open(drill_run_t *r) {
  (void)r;
  return true;
}

static bool s_start(drill_run_t *r) {
  r->st = synack_stack_new(&r->cfg, r->base);
  if (!r->st) {
    drill_unsupported(r, "the configuration is not accepted by synack_stack_new");
    return false;
  }
  return true;
}

static void s_close(drill_run_t *r) {
  if (r->st) synack_stack_free(r->st);
  r->st = NULL;
}

static bool s_advance(drill_run_t *r, synack_time_t limit, synack_time_t wake) {
  synack_time_t next = synack_stack_next_deadline(r->st);
  if (wake < next) next = wake;
  if (next > limit) {
    if (limit > r->now) r->now = limit;
    return false;
  }
  if (next > r->now) r->now = next;
  if (synack_stack_next_deadline(r->st) <= r->now) synack_stack_handle_timers(r->st, r->now);
  return true;
}

static void s_collect(drill_run_t *r) {
  synack_frame_t f;
  while (!r->done && synack_stack_poll_tx(r->st, r->now, &f)) drill_out_push(r, f.data, f.len);
  /* the stack's events are the wakeups of edge-triggered epoll (drill_epoll.c) */
  synack_event_t ev;
  while (synack_stack_next_event(r->st, &ev))
    if (ev.sock >= 0) drill_epoll_wakeup(r, ev.sock);
}

static void s_inject(drill_run_t *r, const uint8_t *pkt, size_t len) { synack_stack_input(r->st, r->now, pkt, len, 0); }

static int s_socket(drill_run_t *r, int family) { return synack_socket(r->st, family); }
/* A handle is TCP's or UDP's (docs/udp.md): the calls any socket takes go to the right API. */
static bool is_udp(const drill_run_t *r, int s) { return synack_udp_is_socket(r->st, s); }
static int s_bind(drill_run_t *r, int s, const synack_endpoint_t *ep) {
  return is_udp(r, s) ? synack_udp_bind(r->st, s, ep) : synack_bind(r->st, s, ep);
}
static int s_listen(drill_run_t *r, int s, int backlog) { return synack_listen(r->st, s, backlog); }
static int s_accept(drill_run_t *r, int s) {
  synack_endpoint_t peer;
  return synack_accept(r->st, s, &peer);
}
static int s_connect(drill_run_t *r, int s, const synack_endpoint_t *ep) {
  return is_udp(r, s) ? synack_udp_connect(r->st, s, ep) : synack_connect(r->st, r->now, s, ep);
}
static int s_getsockname(drill_run_t *r, int s, synack_endpoint_t *ep) {
  return is_udp(r, s) ? synack_udp_getsockname(r->st, s, ep) : synack_getsockname(r->st, s, ep);
}
static int s_close_sock(drill_run_t *r, int s) { return synack_close(r->st, r->now, s); }
/* A lingering close(): synack_close never waits (the FIN goes, the connection lives on as an
 * orphan), so the runner follows that connection in the connection table until it leaves
 * FIN-WAIT-1 / CLOSING / LAST-ACK, is gone, or the linger time is up. */
static int s_close_linger_start(drill_run_t *r, int s, int secs) {
  if (synack_getsockname(r->st, s, &r->linger.local) != 0 || synack_getpeername(r->st, s, &r->linger.remote) != 0)
    return synack_close(r->st, r->now, s); /* not connected: nothing to wait for */
  int rc = synack_close(r->st, r->now, s);
  if (rc < 0) return rc;
  r->linger.on = true;
  r->linger.until = r->now + (synack_time_t)secs * 1000000u;
  return 0;
}
static bool same_endpoint(const synack_endpoint_t *a, const synack_endpoint_t *b) {
  size_t n = a->ip.family == SYNACK_AF_INET6 ? 16 : 4;
  return a->port == b->port && a->ip.family == b->ip.family && memcmp(a->ip.b, b->ip.b, n) == 0;
}
static bool s_close_linger_done(drill_run_t *r, int *rc) {
  *rc = 0;
  if (!r->linger.on) return true;
  bool closing = false;
  synack_conn_entry_t e[64];
  size_t n = synack_conn_table(r->st, e, sizeof e / sizeof e[0]);
  for (size_t k = 0; k < n && k < sizeof e / sizeof e[0]; k++)
    if (e[k].kind == SYNACK_CONN_SOCKET && same_endpoint(&e[k].local, &r->linger.local) &&
        same_endpoint(&e[k].remote, &r->linger.remote))
      closing = e[k].state == SYNACK_TCP_FIN_WAIT_1 || e[k].state == SYNACK_TCP_CLOSING ||
                e[k].state == SYNACK_TCP_LAST_ACK;
  if (closing && r->now < r->linger.until) return false;
  r->linger.on = false;
  return true;
}
static int s_shutdown(drill_run_t *r, int s, int how) { return synack_shutdown(r->st, r->now, s, how); }
static int s_getpeername(drill_run_t *r, int s, synack_endpoint_t *ep) {
  return is_udp(r, s) ? synack_udp_getpeername(r->st, s, ep) : synack_getpeername(r->st, s, ep);
}
static int64_t s_recv(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags) {
  return synack_recv(r->st, r->now, s, buf, len, flags);
}
static int64_t s_send(drill_run_t *r, int s, const uint8_t *buf, size_t len, int flags) {
  return synack_send(r->st, r->now, s, buf, len, flags);
}
static int64_t s_sendto_fastopen(drill_run_t *r, int s, const uint8_t *buf, size_t len, const synack_endpoint_t *ep) {
  return synack_sendto(r->st, r->now, s, buf, len, SYNACK_MSG_FASTOPEN, ep);
}
static int64_t s_recvmsg(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags, int *msg_flags, int *inq) {
  synack_iovec_t v = { buf, len };
  synack_msghdr_t m = { .iov = &v, .iovlen = 1 };
  int64_t n = synack_recvmsg(r->st, r->now, s, &m, flags);
  *msg_flags = m.flags;
  *inq = m.inq;
  return n;
}
static int s_setsockopt(drill_run_t *r, int s, synack_sockopt_t o, int v) {
  return is_udp(r, s) ? synack_udp_setsockopt(r->st, s, o, v) : synack_setsockopt(r->st, s, o, v);
}
static int s_getsockopt(drill_run_t *r, int s, synack_sockopt_t o, int *v) {
  if (o == SYNACK_TCP_SAVED_SYN && !is_udp(r, s)) {
    /* read the headers, as the kernel target's getsockopt does (given once): their length */
    uint8_t hdrs[256];
    size_t len = sizeof hdrs;
    int rc = synack_getsockopt_saved_syn(r->st, s, hdrs, &len);
    *v = (int)len;
    return rc;
  }
  return is_udp(r, s) ? synack_udp_getsockopt(r->st, s, o, v) : synack_getsockopt(r->st, s, o, v);
}
static int s_udp_socket(drill_run_t *r, int family) { return synack_udp_socket(r->st, family); }
static int64_t s_udp_sendto(drill_run_t *r, int s, const uint8_t *buf, size_t len, const synack_endpoint_t *to) {
  return synack_udp_sendto(r->st, r->now, s, buf, len, 0, to);
}
static int64_t s_udp_recvfrom(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags, bool *trunc) {
  /* the datagram's real length tells whether it was cut (Linux's MSG_TRUNC in msg_flags) */
  synack_endpoint_t from;
  int64_t n = synack_udp_recvfrom(r->st, r->now, s, buf, len, flags | SYNACK_MSG_TRUNC, &from);
  *trunc = n > (int64_t)len;
  if (n > (int64_t)len && !(flags & SYNACK_MSG_TRUNC)) n = (int64_t)len;
  return n;
}
static int s_md5sig(drill_run_t *r, int s, const synack_tcp_md5sig_t *m) { return synack_setsockopt_md5sig(r->st, s, m); }
static int64_t s_recv_err(drill_run_t *r, int s, size_t len, synack_sock_err_t *e, int *msg_flags) {
  int rc = synack_recv_err(r->st, s, e);
  if (rc < 0) return rc;
  /* the packet copy Linux attaches: as many bytes as fit, MSG_TRUNC when cut (MSG_ERRQUEUE) */
  *msg_flags = 0x2000 | (e->pkt_len > len ? 0x20 : 0);
  return e->pkt_len < len ? (int64_t)e->pkt_len : (int64_t)len;
}
static int s_tcp_info(drill_run_t *r, int s, synack_tcp_info_t *ti) { return synack_tcp_info(r->st, s, ti); }

/* Linux-like poll bits of a socket (before masking with events), from synack's readiness. */
static uint32_t s_poll_bits(drill_run_t *r, const drill_fd_t *f) {
  uint32_t ev = synack_poll(r->st, f->sock);
  uint32_t m = 0;
  if (f->udp) {
    /* Linux's datagram poll: readable with a datagram (or an error) queued, writable with
     * room (POLLWRBAND too), POLLERR with a pending error */
    if (ev & SYNACK_EV_READABLE) m |= D_POLLIN | D_POLLRDNORM;
    if (ev & SYNACK_EV_WRITABLE) m |= D_POLLOUT | D_POLLWRNORM | D_POLLWRBAND;
    if (ev & SYNACK_EV_ERROR) m |= D_POLLERR;
    return m;
  }
  if (ev & SYNACK_EV_READABLE) m |= D_POLLIN | D_POLLRDNORM;
  if (ev & SYNACK_EV_WRITABLE) m |= D_POLLOUT | D_POLLWRNORM;
  if (ev & SYNACK_EV_PEER_CLOSED) m |= D_POLLIN | D_POLLRDNORM | D_POLLRDHUP;
  if (ev & SYNACK_EV_ERROR) m |= D_POLLERR;
  if (ev & SYNACK_EV_URGENT) m |= D_POLLPRI;
  if (ev & SYNACK_EV_ERRQUEUE) m |= D_POLLERR; /* Linux's tcp_poll: a report on the error queue */
  if (f->listener) return m;
  synack_tcp_info_t ti;
  bool closed = synack_tcp_info(r->st, f->sock, &ti) == 0 && ti.state == SYNACK_TCP_CLOSED;
  /* Linux's tcp_poll: a CLOSED socket is POLLHUP and writable (a write answers at once); one
   * whose connection (or attempt) ended also has both directions shut: readable, RDHUP. */
  if (closed) m |= D_POLLHUP | D_POLLOUT | D_POLLWRNORM;
  if (closed && f->connected) m |= D_POLLIN | D_POLLRDNORM | D_POLLRDHUP;
  if (f->shut_wr) m |= D_POLLOUT | D_POLLWRNORM;
  if (f->shut_wr && (ev & SYNACK_EV_PEER_CLOSED)) m |= D_POLLHUP;
  return m;
}

const drill_target_t drill_target_synack = {
  .late_look = SYNACK_SEC(10),
  .name = "synack",
  .open = s_open,
  .start = s_start,
  .close = s_close,
  .advance = s_advance,
  .collect = s_collect,
  .inject = s_inject,
  .socket = s_socket,
  .bind = s_bind,
  .listen = s_listen,
  .accept = s_accept,
  .connect = s_connect,
  .getsockname = s_getsockname,
  .getpeername = s_getpeername,
  .close_sock = s_close_sock,
  .close_linger_start = s_close_linger_start,
  .close_linger_done = s_close_linger_done,
  .shutdown = s_shutdown,
  .recv = s_recv,
  .send = s_send,
  .sendto_fastopen = s_sendto_fastopen,
  .recvmsg = s_recvmsg,
  .recv_err = s_recv_err,
  .setsockopt = s_setsockopt,
  .md5sig = s_md5sig,
  .getsockopt = s_getsockopt,
  .poll_bits = s_poll_bits,
  .tcp_info = s_tcp_info,
  .udp_socket = s_udp_socket,
  .udp_sendto = s_udp_sendto,
  .udp_recvfrom = s_udp_recvfrom,
  .send_from_fd = drill_copy_to_socket, /* a copy through the send call (drill_file.c) */
  .recv_to_pipe = drill_copy_from_socket,
};
