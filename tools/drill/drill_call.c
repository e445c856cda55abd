/* System calls of `synack drill`: each script call runs through synack's socket API
 * (include/synack/socket.h) with POSIX semantics emulated on top: fd labels, O_NONBLOCK,
 * blocking calls retried on virtual time, poll() revents, errno symbols (SYNACK_E* values equal
 * Linux's errno values, so names compare directly). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_int.h"

/* ---------------------------------------------------------------- symbols */

/* Linux values, so that numbers written in scripts mean what they mean there. */
#define D_O_RDWR 0x2
#define D_O_NONBLOCK 0x800
#define D_MSG_PEEK 0x2
#define D_MSG_DONTWAIT 0x40
#define D_MSG_MORE 0x8000
#define D_POLLIN 0x1
#define D_POLLPRI 0x2
#define D_POLLOUT 0x4
#define D_POLLERR 0x8
#define D_POLLHUP 0x10
#define D_POLLNVAL 0x20
#define D_POLLRDNORM 0x40
#define D_POLLWRNORM 0x100
#define D_POLLRDHUP 0x2000
#define D_SIOCINQ 0x541b
#define D_SIOCOUTQ 0x5411

typedef struct {
  const char *name;
  int64_t v;
} sym_t;

static const sym_t symbols[] = {
  { "AF_INET", 2 }, { "AF_INET6", 10 }, { "PF_INET", 2 }, { "PF_INET6", 10 }, { "AF_UNSPEC", 0 },
  { "SOCK_STREAM", 1 }, { "SOCK_DGRAM", 2 }, { "SOCK_NONBLOCK", D_O_NONBLOCK },
  { "IPPROTO_IP", 0 }, { "IPPROTO_TCP", 6 }, { "IPPROTO_UDP", 17 }, { "IPPROTO_IPV6", 41 },
  { "SOL_SOCKET", 1 }, { "SOL_TCP", 6 }, { "SOL_IP", 0 }, { "SOL_IPV6", 41 },
  { "O_RDONLY", 0 }, { "O_WRONLY", 1 }, { "O_RDWR", D_O_RDWR }, { "O_NONBLOCK", D_O_NONBLOCK },
  { "F_GETFL", 3 }, { "F_SETFL", 4 },
  { "SHUT_RD", 0 }, { "SHUT_WR", 1 }, { "SHUT_RDWR", 2 },
  { "MSG_PEEK", D_MSG_PEEK }, { "MSG_DONTWAIT", D_MSG_DONTWAIT }, { "MSG_MORE", D_MSG_MORE },
  { "MSG_NOSIGNAL", 0x4000 }, { "MSG_OOB", 0x1 }, { "MSG_WAITALL", 0x100 },
  { "POLLIN", D_POLLIN }, { "POLLPRI", D_POLLPRI }, { "POLLOUT", D_POLLOUT }, { "POLLERR", D_POLLERR },
  { "POLLHUP", D_POLLHUP }, { "POLLNVAL", D_POLLNVAL }, { "POLLRDNORM", D_POLLRDNORM },
  { "POLLWRNORM", D_POLLWRNORM }, { "POLLRDHUP", D_POLLRDHUP },
  { "SIOCINQ", D_SIOCINQ }, { "FIONREAD", D_SIOCINQ }, { "SIOCOUTQ", D_SIOCOUTQ }, { "TIOCOUTQ", D_SIOCOUTQ },
  { "SO_REUSEADDR", 2 }, { "SO_ERROR", 4 }, { "SO_SNDBUF", 7 }, { "SO_RCVBUF", 8 }, { "SO_KEEPALIVE", 9 },
  { "SO_LINGER", 13 }, { "SO_REUSEPORT", 15 },
  { "TCP_NODELAY", 1 }, { "TCP_MAXSEG", 2 }, { "TCP_KEEPIDLE", 4 }, { "TCP_KEEPINTVL", 5 },
  { "TCP_KEEPCNT", 6 }, { "TCP_INFO", 11 }, { "TCP_QUICKACK", 12 }, { "TCP_CONGESTION", 13 },
  { "TCP_USER_TIMEOUT", 18 }, { "TCP_NOOPT", 0x1008 },
  { "IP_TOS", 1 }, { "IP_TTL", 2 }, { "IPV6_UNICAST_HOPS", 16 }, { "IPV6_TCLASS", 67 },
  { "TCP_ESTABLISHED", 1 }, { "TCP_SYN_SENT", 2 }, { "TCP_SYN_RECV", 3 }, { "TCP_FIN_WAIT1", 4 },
  { "TCP_FIN_WAIT2", 5 }, { "TCP_TIME_WAIT", 6 }, { "TCP_CLOSE", 7 }, { "TCP_CLOSE_WAIT", 8 },
  { "TCP_LAST_ACK", 9 }, { "TCP_LISTEN", 10 }, { "TCP_CLOSING", 11 },
  /* FreeBSD scripts name the states TCPI_*: the same values, as tcpi_state is reported in
   * Linux numbering whatever the profile (drill_shell.c). */
  { "TCPI_ESTABLISHED", 1 }, { "TCPI_SYN_SENT", 2 }, { "TCPI_SYN_RECEIVED", 3 }, { "TCPI_FIN_WAIT_1", 4 },
  { "TCPI_FIN_WAIT_2", 5 }, { "TCPI_TIME_WAIT", 6 }, { "TCPI_CLOSED", 7 }, { "TCPI_CLOSE_WAIT", 8 },
  { "TCPI_LAST_ACK", 9 }, { "TCPI_LISTEN", 10 }, { "TCPI_CLOSING", 11 },
  { "TCPI_OPT_TIMESTAMPS", 1 }, { "TCPI_OPT_SACK", 2 }, { "TCPI_OPT_WSCALE", 4 }, { "TCPI_OPT_ECN", 8 },
  { "true", 1 }, { "false", 0 },
};

static const sym_t errnos[] = {
  { "EPERM", SYNACK_EPERM }, { "ENOENT", SYNACK_ENOENT }, { "EBADF", SYNACK_EBADF }, { "EAGAIN", SYNACK_EAGAIN },
  { "EWOULDBLOCK", SYNACK_EAGAIN }, { "ENOMEM", SYNACK_ENOMEM }, { "EFAULT", SYNACK_EFAULT },
  { "EBUSY", SYNACK_EBUSY }, { "EINVAL", SYNACK_EINVAL }, { "EMFILE", SYNACK_EMFILE }, { "ENOSPC", SYNACK_ENOSPC },
  { "EPIPE", SYNACK_EPIPE }, { "ENOPROTOOPT", SYNACK_ENOPROTOOPT }, { "EPROTONOSUPPORT", SYNACK_EPROTONOSUPPORT },
  { "EOPNOTSUPP", SYNACK_EOPNOTSUPP }, { "ENOTSUP", SYNACK_EOPNOTSUPP }, { "EAFNOSUPPORT", SYNACK_EAFNOSUPPORT },
  { "EADDRINUSE", SYNACK_EADDRINUSE }, { "EADDRNOTAVAIL", SYNACK_EADDRNOTAVAIL },
  { "ENETUNREACH", SYNACK_ENETUNREACH }, { "ECONNABORTED", SYNACK_ECONNABORTED },
  { "ECONNRESET", SYNACK_ECONNRESET }, { "ENOBUFS", SYNACK_ENOBUFS }, { "EISCONN", SYNACK_EISCONN },
  { "ENOTCONN", SYNACK_ENOTCONN }, { "ETIMEDOUT", SYNACK_ETIMEDOUT }, { "ECONNREFUSED", SYNACK_ECONNREFUSED },
  { "EHOSTUNREACH", SYNACK_EHOSTUNREACH }, { "EALREADY", SYNACK_EALREADY }, { "EINPROGRESS", SYNACK_EINPROGRESS },
  { "ENOTSOCK", 88 }, { "EMSGSIZE", 90 }, { "EDESTADDRREQ", 89 }, { "EINTR", 4 }, { "ENETDOWN", 100 },
  { "EHOSTDOWN", 112 }, { "ENETRESET", 102 }, { "EPROTO", 71 },
};

bool drill_symbol(const char *name, int64_t *v) {
  for (size_t k = 0; k < sizeof symbols / sizeof symbols[0]; k++)
    if (strcmp(symbols[k].name, name) == 0) {
      *v = symbols[k].v;
      return true;
    }
  int e = drill_errno_value(name);
  if (e) {
    *v = e;
    return true;
  }
  return false;
}

int drill_errno_value(const char *name) {
  for (size_t k = 0; k < sizeof errnos / sizeof errnos[0]; k++)
    if (strcmp(errnos[k].name, name) == 0) return (int)errnos[k].v;
  return 0;
}

/* Canonical name of an errno value (EWOULDBLOCK prints as EAGAIN). */
static const char *errno_name(int e) {
  const char *n = synack_errno_name(e);
  if (n) return n;
  for (size_t k = 0; k < sizeof errnos / sizeof errnos[0]; k++)
    if (errnos[k].v == e) return errnos[k].name;
  return "E?";
}

bool drill_arg_int(drill_run_t *r, const drill_arg_t *a, int64_t *v) {
  switch (a->kind) {
  case DRILL_ARG_INT: *v = a->num; return true;
  case DRILL_ARG_SYM:
    if (drill_symbol(a->text, v)) return true;
    drill_unsupported(r, "unknown symbol %s", a->text);
    return false;
  case DRILL_ARG_OR: {
    int64_t acc = 0;
    for (int k = 0; k < a->n; k++) {
      int64_t x;
      if (!drill_arg_int(r, &a->items[k], &x)) return false;
      acc |= x;
    }
    *v = acc;
    return true;
  }
  case DRILL_ARG_ARRAY:
    if (a->n == 1) return drill_arg_int(r, &a->items[0], v);
    break;
  case DRILL_ARG_NULL: *v = 0; return true;
  case DRILL_ARG_ELLIPSIS:
  case DRILL_ARG_STRUCT:
  case DRILL_ARG_STRING: break;
  }
  drill_unsupported(r, "an integer argument was expected");
  return false;
}

/* ---------------------------------------------------------------- socket options */

typedef struct {
  const char *name;
  int level, num;
  synack_sockopt_t opt;
} sockopt_map_t;

static const sockopt_map_t sockopts[] = {
  { "SO_REUSEADDR", 1, 2, SYNACK_SO_REUSEADDR }, { "SO_RCVBUF", 1, 8, SYNACK_SO_RCVBUF },
  { "SO_SNDBUF", 1, 7, SYNACK_SO_SNDBUF }, { "SO_KEEPALIVE", 1, 9, SYNACK_SO_KEEPALIVE },
  { "SO_LINGER", 1, 13, SYNACK_SO_LINGER }, { "SO_ERROR", 1, 4, SYNACK_SO_ERROR },
  { "TCP_NODELAY", 6, 1, SYNACK_TCP_NODELAY }, { "TCP_MAXSEG", 6, 2, SYNACK_TCP_MAXSEG },
  { "TCP_KEEPIDLE", 6, 4, SYNACK_TCP_KEEPIDLE }, { "TCP_KEEPINTVL", 6, 5, SYNACK_TCP_KEEPINTVL },
  { "TCP_KEEPCNT", 6, 6, SYNACK_TCP_KEEPCNT }, { "TCP_USER_TIMEOUT", 6, 18, SYNACK_TCP_USER_TIMEOUT },
  { "TCP_NOOPT", 6, 0x1008, SYNACK_TCP_NOOPT }, { "TCP_QUICKACK", 6, 12, SYNACK_TCP_QUICKACK },
  { "IP_TOS", 0, 1, SYNACK_IP_TOS }, { "IP_TTL", 0, 2, SYNACK_IP_TTL },
  { "IPV6_TCLASS", 41, 67, SYNACK_IP_TOS }, { "IPV6_UNICAST_HOPS", 41, 16, SYNACK_IP_TTL },
};

static const sockopt_map_t *find_sockopt(drill_run_t *r, const drill_arg_t *level, const drill_arg_t *name) {
  if (name->kind == DRILL_ARG_SYM) {
    for (size_t k = 0; k < sizeof sockopts / sizeof sockopts[0]; k++)
      if (strcmp(sockopts[k].name, name->text) == 0) return &sockopts[k];
    drill_unsupported(r, "socket option %s not supported", name->text);
    return NULL;
  }
  int64_t lv, nv;
  if (!drill_arg_int(r, level, &lv) || !drill_arg_int(r, name, &nv)) return NULL;
  for (size_t k = 0; k < sizeof sockopts / sizeof sockopts[0]; k++)
    if (sockopts[k].level == lv && sockopts[k].num == nv) return &sockopts[k];
  drill_unsupported(r, "socket option %lld/%lld not supported", (long long)lv, (long long)nv);
  return NULL;
}

/* ---------------------------------------------------------------- helpers */

static drill_fd_t *fd_arg(drill_run_t *r, const drill_call_t *c, int k) {
  int64_t label;
  if (c->nargs <= k || !drill_arg_int(r, &c->args[k], &label)) {
    if (!r->done) drill_unsupported(r, "%s: missing fd argument", c->name);
    return NULL;
  }
  return drill_fd(r, (int)label);
}

static drill_fd_t *new_fd(drill_run_t *r, int label, int sock) {
  drill_fd_t *f = drill_fd(r, label);
  if (!f) {
    if (r->nfds == DRILL_MAX_FDS) return NULL;
    f = &r->fds[r->nfds++];
  }
  memset(f, 0, sizeof *f);
  f->label = label;
  f->sock = sock;
  return f;
}

static void drop_fd(drill_run_t *r, drill_fd_t *f) {
  int k = (int)(f - r->fds);
  r->fds[k] = r->fds[--r->nfds];
}

static bool nargs_ok(drill_run_t *r, const drill_call_t *c, int lo, int hi) {
  if (c->nargs < lo || c->nargs > hi) {
    drill_fail(r, "%s() takes %d..%d arguments, got %d", c->name, lo, hi, c->nargs);
    return false;
  }
  return true;
}

/* Linux-like poll bits of a socket (before masking with events). */
static uint32_t poll_bits(drill_run_t *r, drill_fd_t *f) {
  uint32_t ev = synack_poll(r->st, f->sock);
  uint32_t m = 0;
  if (ev & SYNACK_EV_READABLE) m |= D_POLLIN | D_POLLRDNORM;
  if (ev & SYNACK_EV_WRITABLE) m |= D_POLLOUT | D_POLLWRNORM;
  if (ev & SYNACK_EV_PEER_CLOSED) m |= D_POLLIN | D_POLLRDNORM | D_POLLRDHUP;
  if (ev & SYNACK_EV_ERROR) m |= D_POLLERR;
  if (f->listener) return m;
  synack_tcp_info_t ti;
  bool closed = synack_tcp_info(r->st, f->sock, &ti) == 0 && ti.state == SYNACK_TCP_CLOSED;
  if (closed && f->connected) m |= D_POLLIN | D_POLLRDNORM | D_POLLRDHUP | D_POLLHUP | D_POLLOUT | D_POLLWRNORM;
  if (f->shut_wr) m |= D_POLLOUT | D_POLLWRNORM;
  if (f->shut_wr && (ev & SYNACK_EV_PEER_CLOSED)) m |= D_POLLHUP;
  return m;
}

static bool is_connected_state(synack_tcp_state_t s) {
  switch (s) {
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT: return true;
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_SYN_SENT:
  case SYNACK_TCP_SYN_RECEIVED: return false;
  }
  return false;
}

static void learn_flow(drill_run_t *r, int sock) {
  synack_endpoint_t ep;
  if (synack_getsockname(r->st, sock, &ep) == 0 && ep.port) r->lport = ep.port;
  r->rport = r->connect_port;
}

#define BUF_MAX (16u << 20)

/* ---------------------------------------------------------------- calls */

static void poll_names(uint32_t bits, char *buf, size_t cap) {
  static const struct { uint32_t bit; const char *name; } names[] = {
    { D_POLLIN, "POLLIN" }, { D_POLLPRI, "POLLPRI" }, { D_POLLOUT, "POLLOUT" }, { D_POLLERR, "POLLERR" },
    { D_POLLHUP, "POLLHUP" }, { D_POLLNVAL, "POLLNVAL" }, { D_POLLRDNORM, "POLLRDNORM" },
    { D_POLLWRNORM, "POLLWRNORM" }, { D_POLLRDHUP, "POLLRDHUP" },
  };
  size_t k = 0;
  buf[0] = '\0';
  for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) {
    if (!(bits & names[j].bit)) continue;
    int n = snprintf(buf + k, cap - k, "%s%s", k ? "|" : "", names[j].name);
    if (n < 0 || (size_t)n >= cap - k) break;
    k += (size_t)n;
  }
  if (k == 0) snprintf(buf, cap, "0");
}

static bool do_poll(drill_run_t *r, const drill_event_t *ev, const drill_pending_t *pend, bool blocking,
                    int64_t *ret) {
  const drill_call_t *c = &ev->call;
  if (!nargs_ok(r, c, 3, 3)) return true;
  const drill_arg_t *arr = &c->args[0];
  if (arr->kind != DRILL_ARG_ARRAY) {
    drill_unsupported(r, "poll: the first argument must be [{fd=..., events=..., revents=...}]");
    return true;
  }
  int64_t timeout;
  if (!drill_arg_int(r, &c->args[2], &timeout)) return true;
  int count = 0;
  uint32_t got[64];
  int64_t want[64];
  bool has_want[64];
  if (arr->n > 64) {
    drill_unsupported(r, "poll: more than 64 entries");
    return true;
  }
  for (int k = 0; k < arr->n; k++) {
    const drill_arg_t *s = &arr->items[k];
    if (s->kind != DRILL_ARG_STRUCT) {
      drill_unsupported(r, "poll: pollfd entries must be {fd=..., events=...}");
      return true;
    }
    int64_t fdl = -1, events = 0;
    has_want[k] = false;
    for (int j = 0; j < s->n; j++) {
      if (strcmp(s->items[j].name, "fd") == 0 && !drill_arg_int(r, &s->items[j], &fdl)) return true;
      if (strcmp(s->items[j].name, "events") == 0 && !drill_arg_int(r, &s->items[j], &events)) return true;
      if (strcmp(s->items[j].name, "revents") == 0 && s->items[j].kind != DRILL_ARG_ELLIPSIS) {
        if (!drill_arg_int(r, &s->items[j], &want[k])) return true;
        has_want[k] = true;
      }
    }
    drill_fd_t *f = drill_fd(r, (int)fdl);
    /* poll() reports the events asked for, plus POLLERR and POLLHUP always */
    got[k] = f ? (poll_bits(r, f) & ((uint32_t)events | D_POLLERR | D_POLLHUP)) : D_POLLNVAL;
    if (got[k]) count++;
  }
  if (count == 0 && blocking) {
    if (timeout < 0 || r->now < pend->start + (synack_time_t)timeout * 1000u) return false;
  }
  for (int k = 0; k < arr->n && !r->done; k++) {
    if (!has_want[k] || (int64_t)got[k] == want[k]) continue;
    char g[160], w[160];
    poll_names(got[k], g, sizeof g);
    poll_names((uint32_t)want[k], w, sizeof w);
    drill_fail(r, "poll: revents of entry %d = %s, expected %s", k + 1, g, w);
  }
  *ret = count;
  return true;
}

bool drill_call_try(drill_run_t *r, const drill_event_t *ev, drill_pending_t *pend, bool blocking, int64_t *ret) {
  const drill_call_t *c = &ev->call;
  const char *n = c->name;
  synack_stack_t *st = r->st;
  *ret = 0;
  if (strcmp(n, "socket") == 0) {
    if (!nargs_ok(r, c, 3, 3)) return true;
    int64_t type = 1, domain = 0;
    if (c->args[1].kind != DRILL_ARG_ELLIPSIS && !drill_arg_int(r, &c->args[1], &type)) return true;
    if (c->args[0].kind != DRILL_ARG_ELLIPSIS && !drill_arg_int(r, &c->args[0], &domain)) return true;
    if (c->args[0].kind != DRILL_ARG_ELLIPSIS && domain != (r->family == SYNACK_AF_INET6 ? 10 : 2)) {
      drill_unsupported(r, "socket: the domain does not match --ip_version (write ... to follow it)");
      return true;
    }
    if ((type & 0xf) != 1) {
      drill_unsupported(r, "socket: only SOCK_STREAM is supported");
      return true;
    }
    int s = synack_socket(st, r->family);
    *ret = s;
    if (s >= 0) {
      int label = c->result >= 0 ? (int)c->result : 1000 + s;
      drill_fd_t *f = new_fd(r, label, s);
      if (!f) {
        drill_unsupported(r, "too many sockets");
        return true;
      }
      f->nonblock = (type & D_O_NONBLOCK) != 0;
      *ret = label;
    }
    return true;
  }
  if (strcmp(n, "poll") == 0) return do_poll(r, ev, pend, blocking, ret);
  /* every other call takes an fd first */
  drill_fd_t *f = fd_arg(r, c, 0);
  if (r->done) return true;
  if (!f) {
    *ret = -SYNACK_EBADF;
    return true;
  }
  bool may_block = blocking && !f->nonblock;
  if (strcmp(n, "bind") == 0) {
    if (!nargs_ok(r, c, 3, 3)) return true;
    synack_endpoint_t ep = { .ip = r->lip, .port = r->bind_port };
    *ret = synack_bind(st, f->sock, &ep);
    if (*ret == 0) r->lport = r->bind_port;
  } else if (strcmp(n, "listen") == 0) {
    if (!nargs_ok(r, c, 2, 2)) return true;
    int64_t backlog;
    if (!drill_arg_int(r, &c->args[1], &backlog)) return true;
    *ret = synack_listen(st, f->sock, (int)backlog);
    if (*ret == 0) f->listener = true;
  } else if (strcmp(n, "accept") == 0 || strcmp(n, "accept4") == 0) {
    if (!nargs_ok(r, c, 3, 4)) return true;
    synack_endpoint_t peer;
    int s = synack_accept(st, f->sock, &peer);
    if (s == -SYNACK_EAGAIN && may_block) return false;
    *ret = s;
    if (s >= 0) {
      int label = c->result >= 0 ? (int)c->result : 1000 + s;
      drill_fd_t *nf = new_fd(r, label, s);
      if (!nf) {
        drill_unsupported(r, "too many sockets");
        return true;
      }
      nf->connected = true;
      r->last_conn_label = label;
      *ret = label;
    }
  } else if (strcmp(n, "connect") == 0) {
    if (!nargs_ok(r, c, 3, 3)) return true;
    r->last_conn_label = f->label;
    if (pend && pend->done == 1) {
      /* a blocking connect in progress: done when synchronized or failed */
      synack_tcp_info_t ti;
      int e = 0;
      synack_getsockopt(st, f->sock, SYNACK_SO_ERROR, &e);
      if (e) {
        *ret = e < 0 ? e : -e;
        return true;
      }
      if (synack_tcp_info(st, f->sock, &ti) == 0 && is_connected_state(ti.state)) {
        f->connected = true;
        *ret = 0;
        return true;
      }
      if (synack_tcp_info(st, f->sock, &ti) == 0 && ti.state == SYNACK_TCP_CLOSED) {
        *ret = -SYNACK_ECONNREFUSED;
        return true;
      }
      return false;
    }
    synack_endpoint_t ep = { .ip = r->rip, .port = r->connect_port };
    int rc = synack_connect(st, r->now, f->sock, &ep);
    learn_flow(r, f->sock);
    if (rc == -SYNACK_EINPROGRESS && may_block && pend) {
      pend->done = 1;
      return false;
    }
    if (rc == -SYNACK_EISCONN) f->connected = true;
    *ret = rc;
  } else if (strcmp(n, "close") == 0) {
    if (!nargs_ok(r, c, 1, 1)) return true;
    if (may_block) {
      /* close() blocks only with SO_LINGER > 0: synack_close never waits */
      drill_unsupported(r, "a blocking close() (SO_LINGER with a timeout) is not emulated");
      return true;
    }
    *ret = synack_close(st, r->now, f->sock);
    drop_fd(r, f);
  } else if (strcmp(n, "shutdown") == 0) {
    if (!nargs_ok(r, c, 2, 2)) return true;
    int64_t how;
    if (!drill_arg_int(r, &c->args[1], &how)) return true;
    *ret = synack_shutdown(st, r->now, f->sock, (int)how);
    if (*ret == 0 && how != SYNACK_SHUT_RD) f->shut_wr = true;
    r->last_conn_label = f->label;
  } else if (strcmp(n, "read") == 0 || strcmp(n, "recv") == 0 || strcmp(n, "recvfrom") == 0) {
    bool is_read = strcmp(n, "read") == 0;
    if (!nargs_ok(r, c, is_read ? 3 : 4, is_read ? 3 : 6)) return true;
    int64_t len, flags = 0;
    if (!drill_arg_int(r, &c->args[2], &len)) return true;
    if (!is_read && !drill_arg_int(r, &c->args[3], &flags)) return true;
    if (len < 0 || len > BUF_MAX) {
      drill_unsupported(r, "%s: length %lld out of range", n, (long long)len);
      return true;
    }
    if (flags & ~(int64_t)(D_MSG_PEEK | D_MSG_DONTWAIT)) {
      drill_unsupported(r, "%s: flags 0x%llx not supported", n, (unsigned long long)flags);
      return true;
    }
    r->last_conn_label = f->label;
    uint8_t *buf = malloc((size_t)len + 1);
    if (!buf) return true;
    int64_t got = synack_recv(st, r->now, f->sock, buf, (size_t)len, (flags & D_MSG_PEEK) ? SYNACK_MSG_PEEK : 0);
    for (int64_t k = 0; k < got; k++) {
      /* the bytes must be the peer's stream, in order */
      uint8_t want = drill_stream_byte(f->rd_off + (uint32_t)k);
      if (buf[k] != want) {
        drill_fail(r, "%s() data differs from what the peer sent at stream offset %u (0x%02x, expected 0x%02x)", n,
                   f->rd_off + (uint32_t)k, buf[k], want);
        break;
      }
    }
    if (got > 0 && !(flags & D_MSG_PEEK)) f->rd_off += (uint32_t)got;
    free(buf);
    if (got == -SYNACK_EAGAIN && may_block && !(flags & D_MSG_DONTWAIT)) return false;
    *ret = got;
  } else if (strcmp(n, "write") == 0 || strcmp(n, "send") == 0 || strcmp(n, "sendto") == 0) {
    bool is_write = strcmp(n, "write") == 0;
    if (!nargs_ok(r, c, is_write ? 3 : 4, is_write ? 3 : 6)) return true;
    int64_t len, flags = 0;
    if (!drill_arg_int(r, &c->args[2], &len)) return true;
    if (!is_write && !drill_arg_int(r, &c->args[3], &flags)) return true;
    if (len < 0 || len > BUF_MAX) {
      drill_unsupported(r, "%s: length %lld out of range", n, (long long)len);
      return true;
    }
    if (flags & ~(int64_t)(D_MSG_DONTWAIT | D_MSG_MORE | 0x4000)) {
      drill_unsupported(r, "%s: flags 0x%llx not supported", n, (unsigned long long)flags);
      return true;
    }
    r->last_conn_label = f->label;
    int64_t done = pend ? pend->done : 0;
    size_t want = (size_t)(len - done);
    uint8_t *buf = calloc(want + 1, 1);
    if (!buf) return true;
    for (size_t k = 0; k < want; k++) buf[k] = drill_stream_byte(f->wr_off + (uint32_t)k);
    int64_t put = synack_send(st, r->now, f->sock, buf, want, (flags & D_MSG_MORE) ? SYNACK_MSG_MORE : 0);
    if (put > 0) f->wr_off += (uint32_t)put;
    free(buf);
    bool block_ok = may_block && !(flags & D_MSG_DONTWAIT);
    if (put >= 0) done += put;
    if (block_ok && pend && done < len && (put >= 0 || put == -SYNACK_EAGAIN)) {
      pend->done = done;
      return false;
    }
    *ret = done > 0 ? done : put;
  } else if (strcmp(n, "fcntl") == 0) {
    if (!nargs_ok(r, c, 2, 3)) return true;
    int64_t cmd;
    if (!drill_arg_int(r, &c->args[1], &cmd)) return true;
    if (cmd == 3) {
      *ret = D_O_RDWR | (f->nonblock ? D_O_NONBLOCK : 0);
    } else if (cmd == 4 && c->nargs == 3) {
      int64_t fl;
      if (!drill_arg_int(r, &c->args[2], &fl)) return true;
      f->nonblock = (fl & D_O_NONBLOCK) != 0;
      *ret = 0;
    } else {
      drill_unsupported(r, "fcntl: only F_GETFL and F_SETFL are supported");
    }
  } else if (strcmp(n, "setsockopt") == 0 || strcmp(n, "getsockopt") == 0) {
    bool set = n[0] == 's';
    if (!nargs_ok(r, c, 5, 5)) return true;
    const sockopt_map_t *m = find_sockopt(r, &c->args[1], &c->args[2]);
    if (!m) return true;
    const drill_arg_t *va = &c->args[3];
    if (set) {
      int64_t v;
      if (m->opt == SYNACK_SO_LINGER && va->kind == DRILL_ARG_STRUCT) {
        int64_t onoff = 0, linger = 0;
        for (int j = 0; j < va->n; j++) {
          if (strcmp(va->items[j].name, "onoff") == 0 && !drill_arg_int(r, &va->items[j], &onoff)) return true;
          if (strcmp(va->items[j].name, "linger") == 0 && !drill_arg_int(r, &va->items[j], &linger)) return true;
        }
        v = onoff ? linger : -1;
      } else if (m->opt == SYNACK_SO_ERROR) {
        *ret = -SYNACK_ENOPROTOOPT;
        return true;
      } else if (!drill_arg_int(r, va, &v)) {
        return true;
      }
      *ret = synack_setsockopt(st, f->sock, m->opt, (int)v);
    } else {
      int v = 0;
      *ret = synack_getsockopt(st, f->sock, m->opt, &v);
      if (*ret == 0 && va->kind != DRILL_ARG_ELLIPSIS) {
        if (m->opt == SYNACK_SO_LINGER && va->kind == DRILL_ARG_STRUCT) {
          for (int j = 0; j < va->n; j++) {
            int64_t want;
            if (!drill_arg_int(r, &va->items[j], &want)) return true;
            int64_t got = strcmp(va->items[j].name, "onoff") == 0 ? (v >= 0) : (v >= 0 ? v : 0);
            if (got != want) drill_fail(r, "getsockopt SO_LINGER %s=%lld, expected %lld", va->items[j].name,
                                        (long long)got, (long long)want);
          }
        } else {
          const drill_arg_t *inner = va->kind == DRILL_ARG_ARRAY && va->n == 1 ? &va->items[0] : va;
          if (m->opt == SYNACK_SO_ERROR) {
            int e = v < 0 ? -v : v;
            int want = 0;
            if (inner->kind == DRILL_ARG_SYM) {
              want = drill_errno_value(inner->text);
              if (!want) {
                drill_unsupported(r, "unknown errno %s", inner->text);
                return true;
              }
            } else {
              int64_t w;
              if (!drill_arg_int(r, inner, &w)) return true;
              want = (int)w;
            }
            if (e != want)
              drill_fail(r, "getsockopt SO_ERROR = %s, expected %s", e ? errno_name(e) : "0",
                         want ? errno_name(want) : "0");
          } else {
            int64_t want;
            if (!drill_arg_int(r, inner, &want)) return true;
            if (want != v) drill_fail(r, "getsockopt %s = %d, expected %lld", m->name, v, (long long)want);
          }
        }
      }
    }
  } else if (strcmp(n, "ioctl") == 0) {
    if (!nargs_ok(r, c, 3, 3)) return true;
    int64_t req;
    if (!drill_arg_int(r, &c->args[1], &req)) return true;
    synack_sockopt_t o;
    if (req == D_SIOCINQ) {
      o = SYNACK_SO_INQ;
    } else if (req == D_SIOCOUTQ) {
      o = SYNACK_SO_OUTQ;
    } else {
      drill_unsupported(r, "ioctl request 0x%llx not supported", (unsigned long long)req);
      return true;
    }
    int v = 0;
    *ret = synack_getsockopt(st, f->sock, o, &v);
    if (*ret == 0 && c->args[2].kind != DRILL_ARG_ELLIPSIS) {
      int64_t want;
      if (!drill_arg_int(r, &c->args[2], &want)) return true;
      if (want != v) drill_fail(r, "ioctl value %d, expected %lld", v, (long long)want);
    }
  } else {
    drill_unsupported(r, "system call %s() not supported", n);
  }
  return true;
}

synack_time_t drill_call_wake(const drill_run_t *r, const drill_pending_t *pend) {
  const drill_call_t *c = &r->s->events[pend->ev].call;
  if (strcmp(c->name, "poll") != 0 || c->nargs != 3 || c->args[2].kind != DRILL_ARG_INT || c->args[2].num < 0)
    return SYNACK_TIME_NEVER;
  return pend->start + (synack_time_t)c->args[2].num * 1000u;
}

void drill_call_check(drill_run_t *r, const drill_event_t *ev, int64_t ret) {
  const drill_call_t *c = &ev->call;
  if (r->done) return;
  if (c->result_is_sym) {
    int64_t v;
    if (!drill_symbol(c->result_sym, &v)) {
      drill_unsupported(r, "unknown result symbol %s", c->result_sym);
      return;
    }
    if (v != ret) drill_fail(r, "%s() returned %lld, expected %s", c->name, (long long)ret, c->result_sym);
    return;
  }
  bool any_fd = (strcmp(c->name, "socket") == 0 || strcmp(c->name, "accept") == 0 || strcmp(c->name, "accept4") == 0);
  if (ret < 0) {
    const char *got = errno_name((int)-ret);
    if (c->result != -1) {
      drill_fail(r, "%s() = -1 %s, expected %lld", c->name, got, (long long)c->result);
      return;
    }
    if (c->err) {
      int want = drill_errno_value(c->err);
      if (!want) {
        drill_unsupported(r, "unknown errno %s", c->err);
        return;
      }
      if (want != (int)-ret) drill_fail(r, "%s() = -1 %s, expected -1 %s", c->name, got, c->err);
    }
    return;
  }
  if (any_fd && c->result >= 0) return;
  if (ret != c->result) {
    if (c->result == -1)
      drill_fail(r, "%s() = %lld, expected -1 %s", c->name, (long long)ret, c->err ? c->err : "");
    else
      drill_fail(r, "%s() = %lld, expected %lld", c->name, (long long)ret, (long long)c->result);
  }
}
