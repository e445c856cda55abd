/* System calls of `synack drill`: each script call runs through the target's socket calls
 * (synack's socket API, or real kernel sockets: drill_int.h) with POSIX semantics emulated on top: fd labels, O_NONBLOCK,
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
#define D_O_ACCMODE 0x3
#define D_SOCK_CLOEXEC 0x80000
#define D_F_GETFD 1
#define D_F_SETFD 2
#define D_F_GETFL 3
#define D_F_SETFL 4
#define D_FD_CLOEXEC 1
#define D_MSG_PEEK 0x2
#define D_MSG_WAITALL 0x100
#define D_MSG_DONTWAIT 0x40
#define D_MSG_MORE 0x8000
#define D_MSG_NOSIGNAL 0x4000
#define D_MSG_FASTOPEN 0x20000000
#define D_SIOCINQ 0x541b
#define D_FIONBIO 0x5421
#define D_SIOCOUTQ 0x5411
#define D_SIOCOUTQNSD 0x894b
#define D_SIOCATMARK 0x8905
#define D_MSG_OOB 0x1
#define D_MSG_EOR 0x80
#define D_MSG_ZEROCOPY 0x4000000
#define D_MSG_ERRQUEUE 0x2000
#define D_TCP_CM_INQ 36

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
  { "F_GETFL", D_F_GETFL }, { "F_SETFL", D_F_SETFL }, { "F_GETFD", D_F_GETFD }, { "F_SETFD", D_F_SETFD },
  { "O_CREAT", 0100 }, { "O_EXCL", 0200 }, { "O_TRUNC", 01000 }, { "O_APPEND", 02000 },
  { "SEEK_SET", 0 }, { "SEEK_CUR", 1 }, { "SEEK_END", 2 },
  { "SPLICE_F_MOVE", 1 }, { "SPLICE_F_NONBLOCK", 2 }, { "SPLICE_F_MORE", 4 }, { "SPLICE_F_GIFT", 8 },
  { "FD_CLOEXEC", D_FD_CLOEXEC }, { "SOCK_CLOEXEC", D_SOCK_CLOEXEC }, { "O_CLOEXEC", D_SOCK_CLOEXEC },
  { "EPOLLIN", D_POLLIN }, { "EPOLLPRI", D_POLLPRI }, { "EPOLLOUT", D_POLLOUT }, { "EPOLLERR", D_POLLERR },
  { "EPOLLHUP", D_POLLHUP }, { "EPOLLRDNORM", D_POLLRDNORM }, { "EPOLLWRNORM", D_POLLWRNORM },
  { "EPOLLRDHUP", D_POLLRDHUP }, { "EPOLLONESHOT", DRILL_EPOLLONESHOT }, { "EPOLLET", DRILL_EPOLLET },
  { "EPOLLEXCLUSIVE", DRILL_EPOLLEXCLUSIVE }, { "EPOLLWAKEUP", DRILL_EPOLLWAKEUP },
  { "EPOLL_CTL_ADD", 1 }, { "EPOLL_CTL_DEL", 2 }, { "EPOLL_CTL_MOD", 3 }, { "EPOLL_CLOEXEC", D_SOCK_CLOEXEC },
  { "SHUT_RD", 0 }, { "SHUT_WR", 1 }, { "SHUT_RDWR", 2 },
  { "MSG_PEEK", D_MSG_PEEK }, { "MSG_DONTWAIT", D_MSG_DONTWAIT }, { "MSG_MORE", D_MSG_MORE },
  { "MSG_NOSIGNAL", D_MSG_NOSIGNAL }, { "MSG_OOB", D_MSG_OOB }, { "MSG_WAITALL", D_MSG_WAITALL },
  { "MSG_EOR", D_MSG_EOR }, { "MSG_TRUNC", 0x20 }, { "POLLWRBAND", D_POLLWRBAND }, { "EPOLLWRBAND", D_POLLWRBAND },
  { "MSG_FASTOPEN", D_MSG_FASTOPEN }, { "TCP_FASTOPEN", 23 }, { "TCP_FASTOPEN_CONNECT", 30 },
  { "TCP_FASTOPEN_NO_COOKIE", 34 }, { "TCPI_OPT_SYN_DATA", 32 },
  { "POLLIN", D_POLLIN }, { "POLLPRI", D_POLLPRI }, { "POLLOUT", D_POLLOUT }, { "POLLERR", D_POLLERR },
  { "POLLHUP", D_POLLHUP }, { "POLLNVAL", D_POLLNVAL }, { "POLLRDNORM", D_POLLRDNORM },
  { "POLLWRNORM", D_POLLWRNORM }, { "POLLRDHUP", D_POLLRDHUP },
  { "SIOCINQ", D_SIOCINQ }, { "FIONBIO", D_FIONBIO }, { "FIONREAD", D_SIOCINQ }, { "SIOCOUTQ", D_SIOCOUTQ }, { "TIOCOUTQ", D_SIOCOUTQ },
  { "SIOCOUTQNSD", D_SIOCOUTQNSD }, { "SIOCATMARK", D_SIOCATMARK }, { "SO_OOBINLINE", 10 },
  { "SO_RCVLOWAT", 18 }, { "SO_SNDLOWAT", 19 },
  { "TCP_CORK", 3 }, { "TCP_NOTSENT_LOWAT", 25 }, { "TCP_INQ", 36 }, { "TCP_CM_INQ", D_TCP_CM_INQ },
  { "SO_REUSEADDR", 2 }, { "SO_ERROR", 4 }, { "SO_SNDBUF", 7 }, { "SO_RCVBUF", 8 }, { "SO_KEEPALIVE", 9 },
  { "SO_LINGER", 13 }, { "SO_REUSEPORT", 15 }, { "SO_BROADCAST", 6 }, { "IPV6_V6ONLY", 26 },
  { "SO_MAX_PACING_RATE", 47 },
  /* the error queue: MSG_ZEROCOPY and SO_TIMESTAMPING (Linux's values) */
  { "SO_ZEROCOPY", 60 }, { "SO_TIMESTAMPING", 37 }, { "SCM_TIMESTAMPING", 37 }, { "MSG_ZEROCOPY", D_MSG_ZEROCOPY },
  { "MSG_ERRQUEUE", D_MSG_ERRQUEUE }, { "IP_RECVERR", 11 }, { "IPV6_RECVERR", 25 },
  { "SO_EE_ORIGIN_NONE", 0 }, { "SO_EE_ORIGIN_LOCAL", 1 }, { "SO_EE_ORIGIN_ICMP", 2 }, { "SO_EE_ORIGIN_ICMP6", 3 },
  { "SO_EE_ORIGIN_TIMESTAMPING", SYNACK_EE_ORIGIN_TIMESTAMPING }, { "SO_EE_ORIGIN_TXSTATUS", SYNACK_EE_ORIGIN_TIMESTAMPING },
  { "SO_EE_ORIGIN_ZEROCOPY", SYNACK_EE_ORIGIN_ZEROCOPY }, { "SO_EE_CODE_ZEROCOPY_COPIED", SYNACK_EE_CODE_ZEROCOPY_COPIED },
  { "SCM_TSTAMP_SND", SYNACK_SCM_TSTAMP_SND }, { "SCM_TSTAMP_SCHED", SYNACK_SCM_TSTAMP_SCHED },
  { "SCM_TSTAMP_ACK", SYNACK_SCM_TSTAMP_ACK },
  { "SOF_TIMESTAMPING_TX_HARDWARE", SYNACK_SOF_TIMESTAMPING_TX_HARDWARE },
  { "SOF_TIMESTAMPING_TX_SOFTWARE", SYNACK_SOF_TIMESTAMPING_TX_SOFTWARE },
  { "SOF_TIMESTAMPING_RX_HARDWARE", SYNACK_SOF_TIMESTAMPING_RX_HARDWARE },
  { "SOF_TIMESTAMPING_RX_SOFTWARE", SYNACK_SOF_TIMESTAMPING_RX_SOFTWARE },
  { "SOF_TIMESTAMPING_SOFTWARE", SYNACK_SOF_TIMESTAMPING_SOFTWARE },
  { "SOF_TIMESTAMPING_SYS_HARDWARE", SYNACK_SOF_TIMESTAMPING_SYS_HARDWARE },
  { "SOF_TIMESTAMPING_RAW_HARDWARE", SYNACK_SOF_TIMESTAMPING_RAW_HARDWARE },
  { "SOF_TIMESTAMPING_OPT_ID", SYNACK_SOF_TIMESTAMPING_OPT_ID },
  { "SOF_TIMESTAMPING_TX_SCHED", SYNACK_SOF_TIMESTAMPING_TX_SCHED },
  { "SOF_TIMESTAMPING_TX_ACK", SYNACK_SOF_TIMESTAMPING_TX_ACK },
  { "SOF_TIMESTAMPING_OPT_CMSG", SYNACK_SOF_TIMESTAMPING_OPT_CMSG },
  { "SOF_TIMESTAMPING_OPT_TSONLY", SYNACK_SOF_TIMESTAMPING_OPT_TSONLY },
  { "SOF_TIMESTAMPING_OPT_ID_TCP", SYNACK_SOF_TIMESTAMPING_OPT_ID_TCP },
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
  /* tcpi_ca_state (Linux's enum tcp_ca_state) */
  { "TCP_CA_Open", 0 }, { "TCP_CA_Disorder", 1 }, { "TCP_CA_CWR", 2 }, { "TCP_CA_Recovery", 3 }, { "TCP_CA_Loss", 4 },
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
  { "EHOSTDOWN", 112 }, { "ENETRESET", 102 }, { "EPROTO", 71 }, { "EEXIST", 17 }, { "ELOOP", 40 },
  { "ENOMSG", SYNACK_ENOMSG },
  { "EDOM", 33 },
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
  { "SO_MAX_PACING_RATE", 1, 47, SYNACK_SO_MAX_PACING_RATE },
  { "TCP_NODELAY", 6, 1, SYNACK_TCP_NODELAY }, { "TCP_MAXSEG", 6, 2, SYNACK_TCP_MAXSEG },
  { "TCP_KEEPIDLE", 6, 4, SYNACK_TCP_KEEPIDLE }, { "TCP_KEEPINTVL", 6, 5, SYNACK_TCP_KEEPINTVL },
  { "TCP_KEEPCNT", 6, 6, SYNACK_TCP_KEEPCNT }, { "TCP_USER_TIMEOUT", 6, 18, SYNACK_TCP_USER_TIMEOUT },
  { "TCP_NOOPT", 6, 0x1008, SYNACK_TCP_NOOPT }, { "TCP_QUICKACK", 6, 12, SYNACK_TCP_QUICKACK },
  { "TCP_FASTOPEN", 6, 23, SYNACK_TCP_FASTOPEN }, { "TCP_FASTOPEN_CONNECT", 6, 30, SYNACK_TCP_FASTOPEN_CONNECT },
  { "TCP_FASTOPEN_NO_COOKIE", 6, 34, SYNACK_TCP_FASTOPEN_NO_COOKIE },
  { "IP_TOS", 0, 1, SYNACK_IP_TOS }, { "IP_TTL", 0, 2, SYNACK_IP_TTL },
  { "IPV6_TCLASS", 41, 67, SYNACK_IP_TOS }, { "IPV6_UNICAST_HOPS", 41, 16, SYNACK_IP_TTL },
  { "TCP_CORK", 6, 3, SYNACK_TCP_CORK }, { "TCP_NOTSENT_LOWAT", 6, 25, SYNACK_TCP_NOTSENT_LOWAT },
  { "TCP_INQ", 6, 36, SYNACK_TCP_INQ }, { "SO_RCVLOWAT", 1, 18, SYNACK_SO_RCVLOWAT },
  { "SO_SNDLOWAT", 1, 19, SYNACK_SO_SNDLOWAT }, { "SO_OOBINLINE", 1, 10, SYNACK_SO_OOBINLINE },
  { "SO_REUSEPORT", 1, 15, SYNACK_SO_REUSEPORT }, { "SO_BROADCAST", 1, 6, SYNACK_SO_BROADCAST },
  { "IPV6_V6ONLY", 41, 26, SYNACK_IPV6_V6ONLY },
  { "SO_ZEROCOPY", 1, 60, SYNACK_SO_ZEROCOPY }, { "SO_TIMESTAMPING", 1, 37, SYNACK_SO_TIMESTAMPING },
  { "TCP_SAVE_SYN", 6, 27, SYNACK_TCP_SAVE_SYN }, { "TCP_SAVED_SYN", 6, 28, SYNACK_TCP_SAVED_SYN },
  { "TCP_DEFER_ACCEPT", 6, 9, SYNACK_TCP_DEFER_ACCEPT }, { "TCP_WINDOW_CLAMP", 6, 10, SYNACK_TCP_WINDOW_CLAMP },
  { "SO_RCVTIMEO", 1, 20, SYNACK_SO_RCVTIMEO }, { "SO_SNDTIMEO", 1, 21, SYNACK_SO_SNDTIMEO },
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

/* getsockopt(fd, SOL_TCP, TCP_INFO, {tcpi_X=V, ...}, LEN): each written field is compared with
 * synack_tcp_info's (the fields %{ }% blocks know); an unknown field is UNSUPPORTED. */
static bool is_tcp_info(drill_run_t *r, const drill_arg_t *level, const drill_arg_t *name) {
  if (name->kind == DRILL_ARG_SYM) return strcmp(name->text, "TCP_INFO") == 0;
  int64_t lv, nv;
  return level->kind != DRILL_ARG_SYM && name->kind == DRILL_ARG_INT && drill_arg_int(r, level, &lv) &&
         drill_arg_int(r, name, &nv) && lv == 6 && nv == 11;
}

static bool tcp_info_opt(drill_run_t *r, const char *n, drill_fd_t *f, const drill_arg_t *va, bool set, int64_t *ret) {
  if (set) {
    *ret = -SYNACK_ENOPROTOOPT; /* TCP_INFO is read-only */
    return true;
  }
  synack_tcp_info_t ti;
  if (r->tg->tcp_info(r, f->sock, &ti) != 0) {
    drill_unsupported(r, "%s TCP_INFO: no TCP information for fd %d", n, f->label);
    return true;
  }
  r->last_conn_label = f->label;
  *ret = 0;
  if (va->kind == DRILL_ARG_ELLIPSIS) return true;
  if (va->kind != DRILL_ARG_STRUCT) {
    drill_unsupported(r, "%s TCP_INFO: the value must be written {tcpi_FIELD=VALUE, ...} or ...", n);
    return true;
  }
  for (int k = 0; k < va->n && !r->done; k++) {
    const drill_arg_t *m = &va->items[k];
    int64_t got, want;
    if (!drill_tcpi_field(&ti, m->name, &got)) {
      drill_unsupported(r, "TCP_INFO field %s not available", m->name);
      return true;
    }
    if (m->kind == DRILL_ARG_ELLIPSIS) continue;
    if (!drill_arg_int(r, m, &want)) return true;
    if (got != want) drill_fail(r, "%s TCP_INFO %s = %lld, expected %lld", n, m->name, (long long)got, (long long)want);
  }
  return true;
}

/* setsockopt/getsockopt(fd, SOL_TCP, TCP_CONGESTION, "NAME", LEN): Linux's names of the two
 * algorithms synack has ("reno" is NewReno there, "cubic"); another name is UNSUPPORTED. */
static bool tcp_congestion_opt(drill_run_t *r, const char *n, drill_fd_t *f, const drill_arg_t *va, bool set,
                               int64_t *ret) {
  static const struct { const char *name; int algo; } algos[] = {
    { "reno", SYNACK_CC_NEWRENO }, { "cubic", SYNACK_CC_CUBIC },
  };
  if (set) {
    if (va->kind != DRILL_ARG_STRING) {
      drill_unsupported(r, "%s TCP_CONGESTION: the value must be a \"name\"", n);
      return true;
    }
    for (size_t k = 0; k < sizeof algos / sizeof algos[0]; k++)
      if (strcmp(algos[k].name, va->text) == 0) {
        *ret = r->tg->setsockopt(r, f->sock, SYNACK_TCP_CONGESTION, algos[k].algo);
        return true;
      }
    drill_unsupported(r, "%s TCP_CONGESTION \"%s\": synack has reno and cubic", n, va->text);
    return true;
  }
  int v = -1;
  *ret = r->tg->getsockopt(r, f->sock, SYNACK_TCP_CONGESTION, &v);
  if (*ret != 0 || va->kind == DRILL_ARG_ELLIPSIS) return true;
  const char *got = "?";
  for (size_t k = 0; k < sizeof algos / sizeof algos[0]; k++)
    if (algos[k].algo == v) got = algos[k].name;
  if (va->kind != DRILL_ARG_STRING) {
    drill_unsupported(r, "%s TCP_CONGESTION: the value must be a \"name\" or ...", n);
    return true;
  }
  if (strcmp(got, va->text) != 0) drill_fail(r, "%s TCP_CONGESTION = \"%s\", expected \"%s\"", n, got, va->text);
  return true;
}

/* SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN: read-only facts of the socket, which the
 * runner knows (the type, family and protocol it created; whether it listens: its state) on
 * both targets. setsockopt of them is ENOPROTOOPT, as Linux. False: not one of them. */
static bool socket_fact_opt(drill_run_t *r, const char *n, drill_fd_t *f, const drill_arg_t *level,
                            const drill_arg_t *name, const drill_arg_t *va, bool set, int64_t *ret) {
  static const struct { const char *name; int num; } facts[] = {
    { "SO_TYPE", 3 }, { "SO_ACCEPTCONN", 30 }, { "SO_PROTOCOL", 38 }, { "SO_DOMAIN", 39 },
  };
  int64_t lv, nv = -1;
  if (name->kind == DRILL_ARG_SYM) {
    for (size_t k = 0; k < sizeof facts / sizeof facts[0]; k++)
      if (strcmp(facts[k].name, name->text) == 0) nv = facts[k].num;
    if (nv < 0) return false;
  } else if (level->kind == DRILL_ARG_SYM || !drill_arg_int(r, level, &lv) || lv != 1 || !drill_arg_int(r, name, &nv)) {
    return false;
  }
  int64_t v;
  synack_tcp_info_t ti;
  switch (nv) {
  case 3: v = f->udp ? 2 : 1; break;
  case 30: v = !f->udp && r->tg->tcp_info(r, f->sock, &ti) == 0 && ti.state == SYNACK_TCP_LISTEN; break;
  case 38: v = f->udp ? 17 : 6; break;
  case 39: v = drill_sock_family(r) == SYNACK_AF_INET6 ? 10 : 2; break;
  default: return false;
  }
  if (set) {
    *ret = -SYNACK_ENOPROTOOPT;
    return true;
  }
  *ret = 0;
  const drill_arg_t *inner = va->kind == DRILL_ARG_ARRAY && va->n == 1 ? &va->items[0] : va;
  int64_t want;
  if (inner->kind == DRILL_ARG_ELLIPSIS || !drill_arg_int(r, inner, &want)) return true;
  if (want != v) drill_fail(r, "%s %s = %lld, expected %lld", n, name->kind == DRILL_ARG_SYM ? name->text : "option",
                            (long long)v, (long long)want);
  return true;
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

drill_fd_t *drill_fd_new(drill_run_t *r, int label, int sock) {
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

void drill_fd_closed(drill_run_t *r, drill_fd_t *f) {
  if (f->epoll) {
    r->epolls[f->epoll - 1].used = false;
  } else {
    /* closing the last reference removes the file from every epoll interest list */
    for (int e = 0; e < DRILL_MAX_EPOLL; e++) {
      drill_epoll_t *ep = &r->epolls[e];
      for (int k = 0; ep->used && k < ep->nregs;)
        if (ep->regs[k].label == f->label)
          ep->regs[k] = ep->regs[--ep->nregs];
        else
          k++;
    }
  }
  int k = (int)(f - r->fds);
  r->fds[k] = r->fds[--r->nfds];
}

/* Calls that take a socket fd first (others are dispatched before the fd is looked up). */
static bool known_fd_call(const char *n) {
  static const char *const names[] = {
    "bind", "listen", "accept", "accept4", "connect", "close", "shutdown", "read", "recv", "recvfrom",
    "recvmsg", "write", "send", "sendto", "sendmsg", "fcntl", "setsockopt", "getsockopt", "ioctl",
    "writev", "readv", "getsockname", "getpeername",
  };
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (strcmp(names[k], n) == 0) return true;
  return false;
}

/* The address of bind/connect: `...` (the runner's), or packetdrill's written sockaddr
 * {sa_family=AF_INET, sin_port=htons(N), sin_addr=inet_addr("A")} (sin6_* for IPv6). The
 * address itself is the script's configured local / remote one (packetdrill's scripts name
 * them; the runner has its own), so it is not compared; the port must be the runner's (the
 * bind or connect port), else the script is UNSUPPORTED rather than run on another port. */
static bool sockaddr_ok(drill_run_t *r, const char *n, const drill_arg_t *a, uint16_t port) {
  if (a->kind == DRILL_ARG_ELLIPSIS) return true;
  if (a->kind != DRILL_ARG_STRUCT) {
    drill_unsupported(r, "%s: the address must be ... or {sa_family=..., sin_port=htons(N), ...}", n);
    return false;
  }
  static const char *const known[] = { "sa_family", "sin_family", "sin6_family", "sin_port", "sin6_port",
                                       "sin_addr", "sin6_addr", "sin6_flowinfo", "sin6_scope_id" };
  for (int k = 0; k < a->n; k++) {
    const drill_arg_t *m = &a->items[k];
    bool ok = false;
    for (size_t j = 0; j < sizeof known / sizeof known[0]; j++) ok = ok || strcmp(known[j], m->name) == 0;
    if (!ok) {
      drill_unsupported(r, "%s: unknown sockaddr member %s", n, m->name[0] ? m->name : "(positional)");
      return false;
    }
    if (strcmp(m->name, "sin_port") == 0 || strcmp(m->name, "sin6_port") == 0) {
      int64_t v;
      if (!drill_arg_int(r, m, &v)) return false;
      /* htons() was applied at parse time (little-endian host, as packetdrill's) */
      uint16_t p = (uint16_t)(((uint64_t)v >> 8 & 0xff) | ((uint64_t)v & 0xff) << 8);
      if (p != port) {
        drill_unsupported(r, "%s: port %u in the sockaddr; the runner uses %u (--bind_port, --connect_port)", n, p,
                          port);
        return false;
      }
    }
  }
  return true;
}

/* Calls whose second argument is the data buffer. */
static bool is_buffer_call(const char *n) {
  static const char *const names[] = { "read", "recv", "recvfrom", "write", "send", "sendto" };
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (strcmp(names[k], n) == 0) return true;
  return false;
}

static bool nargs_ok(drill_run_t *r, const drill_call_t *c, int lo, int hi) {
  if (c->nargs < lo || c->nargs > hi) {
    drill_fail(r, "%s() takes %d..%d arguments, got %d", c->name, lo, hi, c->nargs);
    return false;
  }
  return true;
}

uint32_t drill_poll_bits(drill_run_t *r, drill_fd_t *f) {
  if (f->epoll) {
    drill_unsupported(r, "polling an epoll fd is not emulated");
    return 0;
  }
  return r->tg->poll_bits(r, f); /* Linux bits from the target (drill_synack.c, drill_kernel.c) */
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
  if (r->tg->getsockname(r, sock, &ep) == 0 && ep.port) r->lport = ep.port;
  r->rport = r->connect_port;
}

#define BUF_MAX (16u << 20)

/* SO_RCVLOWAT: a blocking read waits until min(len, mark) bytes are there (or EOF / an error,
 * which make poll() readable); a non-blocking one returns what there is (Linux tcp_recvmsg). */
static bool lowat_wait(drill_run_t *r, drill_fd_t *f, int64_t len) {
  int lowat = 1, inq = 0;
  if (r->tg->getsockopt(r, f->sock, SYNACK_SO_RCVLOWAT, &lowat) != 0 || lowat <= 1) return false;
  if (r->tg->poll_bits(r, f) & (D_POLLIN | D_POLLERR | D_POLLHUP | D_POLLRDHUP)) return false;
  if (r->tg->getsockopt(r, f->sock, SYNACK_SO_INQ, &inq) != 0) return false;
  return inq > 0 && inq < (len < lowat ? len : lowat);
}

/* What recvmsg asked to see besides the data: the TCP_CM_INQ control message. */
typedef struct drill_msgctl {
  bool want_inq;     /* msg_control lists {cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, ...} */
  bool check_inq;    /* ... with a cmsg_data value to compare */
  int64_t inq;
  int msg_flags;     /* out: the flags the call returned (MSG_OOB) */
} drill_msgctl_t;

/* read/recv/recvfrom/recvmsg: len bytes with flags (Linux values); ctl (recvmsg only) the
 * control messages to compare. */
static bool do_recv(drill_run_t *r, const char *n, drill_fd_t *f, drill_pending_t *pend, int64_t len, int64_t flags,
                    bool may_block, int64_t *ret, drill_msgctl_t *ctl, bool nullbuf) {
  if (len < 0 || len > BUF_MAX) {
    drill_unsupported(r, "%s: length %lld out of range", n, (long long)len);
    return true;
  }
  if (flags & ~(int64_t)(D_MSG_PEEK | D_MSG_DONTWAIT | D_MSG_OOB | D_MSG_WAITALL)) {
    drill_unsupported(r, "%s: flags 0x%llx not supported", n, (unsigned long long)flags);
    return true;
  }
  if ((flags & D_MSG_WAITALL) && (flags & (D_MSG_PEEK | D_MSG_OOB))) {
    drill_unsupported(r, "%s: MSG_WAITALL with MSG_PEEK or MSG_OOB not emulated", n);
    return true;
  }
  bool oob = (flags & D_MSG_OOB) != 0;
  r->last_conn_label = f->label;
  /* MSG_WAITALL on a blocking call: Linux's tcp_recvmsg reads what comes until len bytes are
   * in (or end of file, an error); each piece is taken as it arrives, which frees the window */
  bool waitall = (flags & D_MSG_WAITALL) && may_block && !(flags & D_MSG_DONTWAIT) && pend;
  int64_t done = waitall ? pend->done : 0;
  if (waitall) len -= done;
  /* SO_RCVTIMEO (Linux's sock_rcvtimeo): past it the call takes what there is, or EAGAIN */
  bool expired = may_block && drill_timeo_expired(r, f, pend, SYNACK_SO_RCVTIMEO);
  if (!oob && !waitall && !expired && may_block && !(flags & D_MSG_DONTWAIT) && lowat_wait(r, f, len)) return false;
  uint8_t *buf = malloc((size_t)len + 1);
  if (!buf) return true;
  int sflags = ((flags & D_MSG_PEEK) ? SYNACK_MSG_PEEK : 0) | (oob ? SYNACK_MSG_OOB : 0);
  int msg_flags = 0, inq = -1;
  uint8_t *to = nullbuf ? NULL : buf;
  int64_t got = ctl ? r->tg->recvmsg(r, f->sock, to, (size_t)len, sflags, &msg_flags, &inq)
                    : r->tg->recv(r, f->sock, to, (size_t)len, sflags);
  /* the bytes must be the peer's stream, in order, without the out-of-band byte (unless
   * SO_OOBINLINE); recv(MSG_OOB) returns that byte */
  uint32_t off = f->rd_off;
  for (int64_t k = 0; k < got; k++) {
    if (oob) off = r->urg_off;
    else if (r->urg_skip && off == r->urg_skip_off) off++;
    if (!oob && r->urg_pending && !f->oobinline && off == r->urg_off) off++;
    uint8_t want = drill_stream_byte(off);
    if (buf[k] != want) {
      drill_fail(r, "%s() data differs from what the peer sent at stream offset %u (0x%02x, expected 0x%02x)", n, off,
                 buf[k], want);
      break;
    }
    off++;
  }
  if (got > 0 && !(flags & D_MSG_PEEK) && !oob) {
    f->rd_off = off;
    if (r->urg_pending && (int32_t)(off - r->urg_off) > 0) r->urg_pending = false;
    if (r->urg_skip && (int32_t)(off - r->urg_skip_off) > 0) r->urg_skip = false;
  }
  free(buf);
  if (waitall) {
    if (got > 0) done += got;
    if (((got > 0 && got < len) || got == -SYNACK_EAGAIN) && !expired) {
      pend->done = done;
      return false;
    }
    got = done > 0 ? done : got; /* all of it; or what came before the end of file / error */
  }
  if (got == -SYNACK_EAGAIN && may_block && !(flags & D_MSG_DONTWAIT) && !expired) return false;
  *ret = got;
  if (ctl) ctl->msg_flags = (msg_flags & SYNACK_MSG_OOB) ? D_MSG_OOB : 0;
  if (ctl && got >= 0 && !r->done) {
    if (ctl->want_inq && inq < 0)
      drill_fail(r, "%s: no TCP_CM_INQ control message (is TCP_INQ set?)", n);
    else if (!ctl->want_inq && inq >= 0)
      drill_fail(r, "%s: a TCP_CM_INQ control message (%d) the script does not list", n, inq);
    else if (ctl->check_inq && inq != ctl->inq)
      drill_fail(r, "%s: TCP_CM_INQ = %d, expected %lld", n, inq, (long long)ctl->inq);
  }
  return true;
}

/* write/send/sendto/sendmsg: len bytes of the stream pattern with flags (Linux values). */
static bool do_send(drill_run_t *r, const char *n, drill_fd_t *f, drill_pending_t *pend, int64_t len, int64_t flags,
                    bool may_block, int64_t *ret, bool nullbuf) {
  if (len < 0 || len > BUF_MAX) {
    drill_unsupported(r, "%s: length %lld out of range", n, (long long)len);
    return true;
  }
  if (flags & ~(int64_t)(D_MSG_DONTWAIT | D_MSG_MORE | D_MSG_NOSIGNAL | D_MSG_FASTOPEN | D_MSG_EOR | D_MSG_OOB |
                         D_MSG_ZEROCOPY)) {
    drill_unsupported(r, "%s: flags 0x%llx not supported", n, (unsigned long long)flags);
    return true;
  }
  r->last_conn_label = f->label;
  if ((flags & D_MSG_FASTOPEN) && (flags & D_MSG_ZEROCOPY)) {
    drill_unsupported(r, "%s: MSG_FASTOPEN with MSG_ZEROCOPY not supported (data on the SYN takes no zerocopy id)", n);
    return true;
  }
  if (flags & D_MSG_FASTOPEN) {
    /* RFC 7413: connect and the first write in one call, to the script's peer; never blocks
     * (as on a non-blocking socket: -EINPROGRESS when no data could go on the SYN). */
    uint8_t *fb = calloc((size_t)len + 1, 1);
    if (!fb) return true;
    for (int64_t k = 0; k < len; k++) fb[k] = drill_stream_byte(f->wr_off + (uint32_t)k);
    synack_endpoint_t ep = { .ip = drill_sock_ip(r, r->rip), .port = r->connect_port };
    int64_t put = r->tg->sendto_fastopen(r, f->sock, nullbuf ? NULL : fb, (size_t)len, &ep);
    free(fb);
    learn_flow(r, f->sock);
    if (put > 0) f->wr_off += (uint32_t)put;
    *ret = put;
    return true;
  }
  int64_t done = pend ? pend->done : 0;
  size_t want = (size_t)(len - done);
  uint8_t *buf = calloc(want + 1, 1);
  if (!buf) return true;
  for (size_t k = 0; k < want; k++) buf[k] = drill_stream_byte(f->wr_off + (uint32_t)k);
  int64_t put = r->tg->send(r, f->sock, nullbuf ? NULL : buf, want,
                            ((flags & D_MSG_MORE) ? SYNACK_MSG_MORE : 0) | ((flags & D_MSG_EOR) ? SYNACK_MSG_EOR : 0) |
                                ((flags & D_MSG_OOB) ? SYNACK_MSG_OOB : 0) |
                                ((flags & D_MSG_ZEROCOPY) ? SYNACK_MSG_ZEROCOPY : 0));
  if (put > 0) f->wr_off += (uint32_t)put;
  free(buf);
  bool block_ok = may_block && !(flags & D_MSG_DONTWAIT);
  if (put >= 0) done += put;
  /* SO_SNDTIMEO (sk_stream_wait_memory): past it the call returns what it queued, or EAGAIN */
  if (block_ok && pend && done < len && (put >= 0 || put == -SYNACK_EAGAIN) &&
      !drill_timeo_expired(r, f, pend, SYNACK_SO_SNDTIMEO)) {
    pend->done = done;
    return false;
  }
  *ret = done > 0 ? done : put;
  return true;
}

/* The name of a struct member's value for messages ("IP_TOS", or the number). */
static void arg_text(const drill_arg_t *a, char *buf, size_t cap) {
  if (a && a->kind == DRILL_ARG_SYM)
    snprintf(buf, cap, "%s", a->text);
  else if (a && a->kind == DRILL_ARG_INT)
    snprintf(buf, cap, "%lld", (long long)a->num);
  else
    snprintf(buf, cap, "?");
}

static const drill_arg_t *member(const drill_arg_t *s, const char *name) {
  for (int k = 0; k < s->n; k++)
    if (s->items[k].name && strcmp(s->items[k].name, name) == 0) return &s->items[k];
  return NULL;
}

/* setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, {tcpm_key="TEXT", tcpm_keylen=N}, LEN) (RFC 2385): the
 * key for the script's peer address on both targets (a tcpm_addr member is not read: scripts do
 * not know the addresses); keylen 0 removes it. The runner signs inbound `md5` options and checks
 * outbound ones with it. */
static bool tcp_md5sig_opt(drill_run_t *r, const char *n, drill_fd_t *f, const drill_arg_t *va, bool set, int64_t *ret) {
  if (!set) {
    *ret = -SYNACK_ENOPROTOOPT; /* Linux has no getsockopt for it */
    return true;
  }
  const drill_arg_t *key = va->kind == DRILL_ARG_STRUCT ? member(va, "tcpm_key") : NULL;
  const drill_arg_t *len = va->kind == DRILL_ARG_STRUCT ? member(va, "tcpm_keylen") : NULL;
  int64_t kl = 0;
  if (!len || !drill_arg_int(r, len, &kl)) {
    if (!r->done) drill_unsupported(r, "%s TCP_MD5SIG: write {tcpm_key=\"...\", tcpm_keylen=N}", n);
    return true;
  }
  synack_tcp_md5sig_t m;
  memset(&m, 0, sizeof m);
  m.addr = drill_sock_ip(r, r->rip);
  if (kl < 0 || kl > SYNACK_TCP_MD5SIG_MAXKEYLEN) {
    m.keylen = SYNACK_TCP_MD5SIG_MAXKEYLEN + 1; /* refused by the target (EINVAL) */
  } else {
    m.keylen = (uint16_t)kl;
    if (kl && (!key || key->kind != DRILL_ARG_STRING || strlen(key->text) < (size_t)kl)) {
      drill_unsupported(r, "%s TCP_MD5SIG: tcpm_key must be a string of at least tcpm_keylen bytes", n);
      return true;
    }
    if (kl) memcpy(m.key, key->text, (size_t)kl);
  }
  *ret = r->tg->md5sig(r, f->sock, &m);
  if (*ret == 0) {
    memcpy(r->md5_key, m.key, sizeof r->md5_key);
    r->md5_keylen = m.keylen;
  }
  return true;
}

/* packetdrill's struct msghdr: {msg_name(...)=..., msg_iov(N)=[{iov_base=..., iov_len=L}, ...],
 * msg_control(N)=[cmsg...], msg_flags=F}. The length is the sum of the iov_len. Of the control
 * messages only recvmsg's {cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=N} exists
 * (ctl non-NULL); any other makes the call UNSUPPORTED (naming it). */
static bool cmsg_inq(drill_run_t *r, const drill_arg_t *cm, drill_msgctl_t *ctl) {
  if (!ctl || cm->kind != DRILL_ARG_STRUCT) return false;
  const drill_arg_t *lv = member(cm, "cmsg_level"), *ty = member(cm, "cmsg_type"), *da = member(cm, "cmsg_data");
  int64_t l, t;
  if (!lv || !ty || lv->kind != DRILL_ARG_SYM || ty->kind != DRILL_ARG_SYM) return false;
  if (!drill_symbol(lv->text, &l) || !drill_symbol(ty->text, &t) || l != 6 || t != D_TCP_CM_INQ) return false;
  for (int q = 0; q < cm->n; q++)
    if (strcmp(cm->items[q].name, "cmsg_level") != 0 && strcmp(cm->items[q].name, "cmsg_type") != 0 &&
        strcmp(cm->items[q].name, "cmsg_data") != 0 && strcmp(cm->items[q].name, "cmsg_len") != 0)
      return false;
  ctl->want_inq = true;
  ctl->check_inq = da && da->kind != DRILL_ARG_ELLIPSIS;
  if (ctl->check_inq && !drill_arg_int(r, da, &ctl->inq)) return false;
  return true;
}

/* An iovec array [{iov_base=..., iov_len=L}, ...] (or packetdrill's short {..., L}): the sum of
 * the lengths; *nullbuf when a base with a length is NULL (the call gets a bad address and
 * answers EFAULT, as Linux: docs/drill.md). False once reported UNSUPPORTED. */
static bool iov_list_len(drill_run_t *r, const char *n, const drill_arg_t *arr, int64_t *len, bool *nullbuf) {
  bool good = false;
  for (int j = 0; j < arr->n; j++) {
    const drill_arg_t *iov = &arr->items[j];
    const drill_arg_t *l = iov->kind == DRILL_ARG_STRUCT ? member(iov, "iov_len") : NULL;
    const drill_arg_t *b = iov->kind == DRILL_ARG_STRUCT ? member(iov, "iov_base") : NULL;
    for (int q = 0; iov->kind == DRILL_ARG_STRUCT && q < iov->n; q++)
      if (strcmp(iov->items[q].name, "iov_base") != 0 && strcmp(iov->items[q].name, "iov_len") != 0) {
        drill_unsupported(r, "%s: unknown iovec member %s", n, iov->items[q].name);
        return false;
      }
    int64_t x;
    if (!l) {
      drill_unsupported(r, "%s: each iovec needs iov_len", n);
      return false;
    }
    if (!drill_arg_int(r, l, &x)) return false;
    if (b && b->kind != DRILL_ARG_ELLIPSIS && b->kind != DRILL_ARG_NULL && b->kind != DRILL_ARG_INT) {
      drill_unsupported(r, "%s: iov_base must be ..., NULL or an address", n);
      return false;
    }
    if (b && b->kind != DRILL_ARG_ELLIPSIS && x) *nullbuf = true;
    else if (x) good = true;
    *len += x;
  }
  if (good && *nullbuf) {
    /* the call would move the good part and stop at the bad one: one buffer cannot say that */
    drill_unsupported(r, "%s: a bad address in some of the iovecs only is not emulated", n);
    return false;
  }
  return true;
}

bool drill_msghdr_arg(drill_run_t *r, const char *n, const drill_arg_t *m, int64_t *len, int64_t *msg_flags,
                      bool *has_msg_flags, bool *named, drill_msgctl_t *ctl, bool *nullbuf) {
  *len = 0;
  *nullbuf = false;
  *msg_flags = 0;
  *has_msg_flags = false;
  *named = true;
  if (ctl) memset(ctl, 0, sizeof *ctl);
  if (m->kind != DRILL_ARG_STRUCT) {
    drill_unsupported(r, "%s: the message must be written {msg_name(...)=..., msg_iov(N)=[...], ...}", n);
    return false;
  }
  bool has_iov = false;
  for (int k = 0; k < m->n; k++) {
    const drill_arg_t *it = &m->items[k];
    if (strcmp(it->name, "msg_name") == 0 || strcmp(it->name, "msg_namelen") == 0) {
      /* the runner supplies the address, as for connect */
      if (it->kind != DRILL_ARG_ELLIPSIS && it->kind != DRILL_ARG_NULL) {
        drill_unsupported(r, "%s: %s other than ... or NULL not supported", n, it->name);
        return false;
      }
      if (strcmp(it->name, "msg_name") == 0) *named = it->kind == DRILL_ARG_ELLIPSIS;
    } else if (strcmp(it->name, "msg_iov") == 0) {
      has_iov = true;
      if (it->kind != DRILL_ARG_ARRAY) {
        drill_unsupported(r, "%s: msg_iov must be an array [{iov_base=..., iov_len=N}, ...]", n);
        return false;
      }
      if (it->has_size && it->size >= 0 && it->size != it->n) {
        drill_unsupported(r, "%s: msg_iov(%lld) lists %d elements", n, (long long)it->size, it->n);
        return false;
      }
      if (!iov_list_len(r, n, it, len, nullbuf)) return false;
    } else if (strcmp(it->name, "msg_iovlen") == 0) {
      /* redundant with msg_iov(N) */
    } else if (strcmp(it->name, "msg_control") == 0 || strcmp(it->name, "msg_controllen") == 0) {
      if (it->kind == DRILL_ARG_NULL || it->kind == DRILL_ARG_ELLIPSIS || (it->kind == DRILL_ARG_INT && it->num == 0) ||
          (it->kind == DRILL_ARG_ARRAY && it->n == 0))
        continue;
      if (it->kind == DRILL_ARG_ARRAY && it->n == 1 && cmsg_inq(r, &it->items[0], ctl)) continue;
      if (r->done) return false;
      char names[160] = "";
      size_t k2 = 0;
      for (int j = 0; it->kind == DRILL_ARG_ARRAY && j < it->n; j++) {
        const drill_arg_t *cm = &it->items[j];
        char lv[48], ty[48];
        arg_text(cm->kind == DRILL_ARG_STRUCT ? member(cm, "cmsg_level") : NULL, lv, sizeof lv);
        arg_text(cm->kind == DRILL_ARG_STRUCT ? member(cm, "cmsg_type") : NULL, ty, sizeof ty);
        int w = snprintf(names + k2, sizeof names - k2, "%s%s/%s", j ? ", " : "", lv, ty);
        if (w > 0) k2 = k2 + (size_t)w >= sizeof names ? sizeof names - 1 : k2 + (size_t)w;
      }
      drill_unsupported(r, "%s: control messages (%s) not supported (only recvmsg's SOL_TCP/TCP_CM_INQ)", n,
                        names[0] ? names : it->name);
      return false;
    } else if (strcmp(it->name, "msg_flags") == 0) {
      if (it->kind != DRILL_ARG_ELLIPSIS) {
        if (!drill_arg_int(r, it, msg_flags)) return false;
        *has_msg_flags = true;
      }
    } else {
      drill_unsupported(r, "%s: unknown msghdr member %s", n, it->name);
      return false;
    }
  }
  if (!has_iov) {
    drill_unsupported(r, "%s: msg_iov missing", n);
    return false;
  }
  return true;
}

/* ---------------------------------------------------------------- calls */

void drill_event_names(uint32_t bits, bool epoll, char *buf, size_t cap) {
  static const struct { uint32_t bit; const char *name; } names[] = {
    { D_POLLIN, "POLLIN" }, { D_POLLPRI, "POLLPRI" }, { D_POLLOUT, "POLLOUT" }, { D_POLLERR, "POLLERR" },
    { D_POLLHUP, "POLLHUP" }, { D_POLLNVAL, "POLLNVAL" }, { D_POLLRDNORM, "POLLRDNORM" },
    { D_POLLWRNORM, "POLLWRNORM" }, { D_POLLWRBAND, "POLLWRBAND" }, { D_POLLRDHUP, "POLLRDHUP" },
  };
  size_t k = 0;
  buf[0] = '\0';
  for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) {
    if (!(bits & names[j].bit)) continue;
    int n = snprintf(buf + k, cap - k, "%s%s%s", k ? "|" : "", epoll ? "E" : "", names[j].name);
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
      const char *mn = s->items[j].name;
      if (strcmp(mn, "fd") == 0) {
        if (!drill_arg_int(r, &s->items[j], &fdl)) return true;
      } else if (strcmp(mn, "events") == 0) {
        if (!drill_arg_int(r, &s->items[j], &events)) return true;
      } else if (strcmp(mn, "revents") == 0) {
        if (s->items[j].kind == DRILL_ARG_ELLIPSIS) continue;
        if (!drill_arg_int(r, &s->items[j], &want[k])) return true;
        has_want[k] = true;
      } else {
        drill_unsupported(r, "poll: unknown pollfd member %s", mn);
        return true;
      }
    }
    drill_fd_t *f = drill_fd(r, (int)fdl);
    /* poll() reports the events asked for, plus POLLERR and POLLHUP always */
    got[k] = f ? (drill_poll_bits(r, f) & ((uint32_t)events | D_POLLERR | D_POLLHUP)) : D_POLLNVAL;
    if (got[k]) count++;
  }
  if (count == 0 && blocking) {
    if (timeout < 0 || r->now < pend->start + (synack_time_t)timeout * 1000u) return false;
  }
  for (int k = 0; k < arr->n && !r->done; k++) {
    if (!has_want[k] || (int64_t)got[k] == want[k]) continue;
    char g[160], w[160];
    drill_event_names(got[k], false, g, sizeof g);
    drill_event_names((uint32_t)want[k], false, w, sizeof w);
    drill_fail(r, "poll: revents of entry %d = %s, expected %s", k + 1, g, w);
  }
  *ret = count;
  return true;
}

bool drill_call_try(drill_run_t *r, const drill_event_t *ev, drill_pending_t *pend, bool blocking, int64_t *ret) {
  const drill_call_t *c = &ev->call;
  const char *n = c->name;
  *ret = 0;
  if (strcmp(n, "socket") == 0) {
    if (!nargs_ok(r, c, 3, 3)) return true;
    int64_t type = 1, domain = 0;
    if (c->args[1].kind != DRILL_ARG_ELLIPSIS && !drill_arg_int(r, &c->args[1], &type)) return true;
    if (c->args[0].kind != DRILL_ARG_ELLIPSIS && !drill_arg_int(r, &c->args[0], &domain)) return true;
    if (c->args[0].kind != DRILL_ARG_ELLIPSIS && domain != (drill_sock_family(r) == SYNACK_AF_INET6 ? 10 : 2)) {
      drill_unsupported(r, "socket: the domain does not match --ip_version (write ... to follow it)");
      return true;
    }
    int64_t kind = type & ~(int64_t)(D_O_NONBLOCK | D_SOCK_CLOEXEC);
    if (kind != 1 && kind != 2) {
      drill_unsupported(r, "socket: only SOCK_STREAM and SOCK_DGRAM are supported");
      return true;
    }
    int s = kind == 2 ? r->tg->udp_socket(r, drill_sock_family(r)) : r->tg->socket(r, drill_sock_family(r));
    *ret = s;
    if (s >= 0) {
      int label = c->result >= 0 ? (int)c->result : 1000 + s;
      drill_fd_t *f = drill_fd_new(r, label, s);
      if (!f) {
        drill_unsupported(r, "too many sockets");
        return true;
      }
      f->nonblock = (type & D_O_NONBLOCK) != 0;
      f->cloexec = (type & D_SOCK_CLOEXEC) != 0;
      f->udp = kind == 2;
      *ret = label;
    }
    return true;
  }
  if (strcmp(n, "poll") == 0) return do_poll(r, ev, pend, blocking, ret);
  if (strncmp(n, "epoll_", 6) == 0) return drill_epoll_call(r, ev, pend, blocking, ret);
  bool file_done;
  if (drill_file_call(r, ev, pend, blocking, ret, &file_done)) return file_done;
  /* every other call takes an fd first; a call the runner does not emulate is UNSUPPORTED
   * before its fd is looked at (else it would "fail" with EBADF) */
  if (!known_fd_call(n)) {
    drill_unsupported(r, "system call %s() not supported", n);
    return true;
  }
  drill_fd_t *f = fd_arg(r, c, 0);
  if (r->done) return true;
  if (!f) {
    *ret = -SYNACK_EBADF;
    return true;
  }
  if (f->epoll && strcmp(n, "close") != 0 && strcmp(n, "fcntl") != 0) {
    /* an epoll fd is no socket: the socket calls answer ENOTSOCK, as Linux's sockfd_lookup;
     * read/write and ioctl of it are not emulated */
    static const char *const sockcalls[] = { "bind", "listen", "accept", "accept4", "connect", "shutdown",
                                             "recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg",
                                             "setsockopt", "getsockopt", "getsockname", "getpeername" };
    for (size_t k = 0; k < sizeof sockcalls / sizeof sockcalls[0]; k++)
      if (strcmp(sockcalls[k], n) == 0) {
        *ret = -88; /* ENOTSOCK */
        return true;
      }
    drill_unsupported(r, "%s() on an epoll fd not emulated", n);
    return true;
  }
  bool may_block = blocking && !f->nonblock;
  bool finished;
  /* The buffer of read/write/recv/send...: `...` (the runner's), or NULL or a number (an
   * address the script wrote: packetdrill passes it on, Linux's scripts write it to get
   * EFAULT; it is passed on as NULL, so the call answers EFAULT where Linux would); anything
   * else would be a silent no-op. */
  bool nullbuf = false;
  if (is_buffer_call(n) && c->nargs >= 2 && c->args[1].kind != DRILL_ARG_ELLIPSIS) {
    if ((c->args[1].kind != DRILL_ARG_NULL && c->args[1].kind != DRILL_ARG_INT) || f->udp) {
      drill_unsupported(r, "%s: the buffer must be ...%s", n, f->udp ? "" : ", NULL or an address");
      return true;
    }
    nullbuf = true;
  }
  if (f->udp && drill_udp_socket_call(r, ev, f, pend, may_block, ret, &finished)) return finished;
  if (strcmp(n, "bind") == 0) {
    if (!nargs_ok(r, c, 3, 3) || !sockaddr_ok(r, n, &c->args[1], r->bind_port)) return true;
    synack_endpoint_t ep = { .ip = drill_sock_ip(r, r->lip), .port = r->bind_port };
    *ret = r->tg->bind(r, f->sock, &ep);
    if (*ret == 0) r->lport = r->bind_port;
  } else if (strcmp(n, "listen") == 0) {
    if (!nargs_ok(r, c, 2, 2)) return true;
    int64_t backlog;
    if (!drill_arg_int(r, &c->args[1], &backlog)) return true;
    *ret = r->tg->listen(r, f->sock, (int)backlog);
    if (*ret == 0) f->listener = true;
  } else if (strcmp(n, "accept") == 0 || strcmp(n, "accept4") == 0) {
    if (!nargs_ok(r, c, 3, strcmp(n, "accept4") == 0 ? 4 : 3)) return true;
    int64_t aflags = 0;
    if (c->nargs == 4 && !drill_arg_int(r, &c->args[3], &aflags)) return true;
    if (aflags & ~(int64_t)(D_O_NONBLOCK | D_SOCK_CLOEXEC)) {
      drill_unsupported(r, "accept4: flags 0x%llx not supported", (unsigned long long)aflags);
      return true;
    }
    int s = r->tg->accept(r, f->sock);
    if (s == -SYNACK_EAGAIN && may_block && !drill_timeo_expired(r, f, pend, SYNACK_SO_RCVTIMEO)) return false;
    *ret = s;
    if (s >= 0) {
      int label = c->result >= 0 ? (int)c->result : 1000 + s;
      drill_fd_t *nf = drill_fd_new(r, label, s);
      if (!nf) {
        drill_unsupported(r, "too many sockets");
        return true;
      }
      nf->connected = true;
      nf->nonblock = (aflags & D_O_NONBLOCK) != 0;
      nf->cloexec = (aflags & D_SOCK_CLOEXEC) != 0;
      r->last_conn_label = label;
      *ret = label;
    }
  } else if (strcmp(n, "connect") == 0) {
    if (!nargs_ok(r, c, 3, 3) || !sockaddr_ok(r, n, &c->args[1], r->connect_port)) return true;
    r->last_conn_label = f->label;
    if (pend && pend->done == 1) {
      /* a blocking connect in progress: done when synchronized or failed */
      synack_tcp_info_t ti;
      int e = 0;
      r->tg->getsockopt(r, f->sock, SYNACK_SO_ERROR, &e);
      if (e) {
        *ret = e < 0 ? e : -e;
        return true;
      }
      if (r->tg->tcp_info(r, f->sock, &ti) == 0 && is_connected_state(ti.state)) {
        /* the blocking call ends here: one more connect() sees the connection made, as the
         * kernel's own blocking connect does (else a later connect() would still report it) */
        synack_endpoint_t ep = { .ip = drill_sock_ip(r, r->rip), .port = r->connect_port };
        int rc = r->tg->connect(r, f->sock, &ep);
        *ret = rc == -SYNACK_EISCONN ? 0 : rc;
        return true;
      }
      if (r->tg->tcp_info(r, f->sock, &ti) == 0 && ti.state == SYNACK_TCP_CLOSED) {
        *ret = -SYNACK_ECONNREFUSED;
        return true;
      }
      /* SO_SNDTIMEO: Linux's __inet_stream_connect gives up waiting with EINPROGRESS (the
       * handshake goes on) */
      if (drill_timeo_expired(r, f, pend, SYNACK_SO_SNDTIMEO)) {
        *ret = -SYNACK_EINPROGRESS;
        return true;
      }
      return false;
    }
    synack_endpoint_t ep = { .ip = drill_sock_ip(r, r->rip), .port = r->connect_port };
    int rc = r->tg->connect(r, f->sock, &ep);
    /* the flow switches to a connection this call started, not on a refused call (EISCONN on
     * an accepted socket must leave the script's packets on that connection) */
    if (rc == 0 || rc == -SYNACK_EINPROGRESS) learn_flow(r, f->sock);
    if (rc == 0 || rc == -SYNACK_EINPROGRESS || rc == -SYNACK_EISCONN) f->connected = true;
    if (rc == -SYNACK_EINPROGRESS && may_block && pend) {
      pend->done = 1;
      (void)drill_timeo_expired(r, f, pend, SYNACK_SO_SNDTIMEO); /* learns the deadline */
      return false;
    }
    *ret = rc;
  } else if (strcmp(n, "close") == 0) {
    if (!nargs_ok(r, c, 1, 1)) return true;
    int lg = -1, rc;
    if (pend && pend->done == 1) {
      /* a lingering close() in progress: its fd stays in the table until the call returns */
      if (!r->tg->close_linger_done(r, &rc)) return false;
      *ret = rc;
      drill_fd_closed(r, f);
      return true;
    }
    if (!f->epoll && !f->udp && pend && r->tg->getsockopt(r, f->sock, SYNACK_SO_LINGER, &lg) == 0 && lg > 0) {
      /* SO_LINGER with a time: Linux's close() sends the FIN, then waits until it is
       * acknowledged (the state leaves FIN-WAIT-1, CLOSING, LAST-ACK) or the time is up, and
       * returns 0 either way — also on a non-blocking socket (inet_release passes the linger
       * time whatever O_NONBLOCK says). A script line without ... then fails as a call that
       * blocked. */
      if (r->linger.on) {
        drill_unsupported(r, "two lingering close() calls at once");
        return true;
      }
      rc = r->tg->close_linger_start(r, f->sock, lg);
      if (rc < 0) {
        *ret = rc;
        drill_fd_closed(r, f);
        return true;
      }
      pend->done = 1;
      pend->timeo_end = pend->start + (synack_time_t)lg * 1000000u; /* the engine looks again then */
      if (!r->tg->close_linger_done(r, &rc)) return false;
      *ret = rc;
      drill_fd_closed(r, f);
      return true;
    }
    *ret = f->epoll ? 0 : r->tg->close_sock(r, f->sock);
    drill_fd_closed(r, f);
  } else if (strcmp(n, "shutdown") == 0) {
    if (!nargs_ok(r, c, 2, 2)) return true;
    int64_t how;
    if (!drill_arg_int(r, &c->args[1], &how)) return true;
    *ret = r->tg->shutdown(r, f->sock, (int)how);
    if (*ret == 0 && how != SYNACK_SHUT_RD) f->shut_wr = true;
    r->last_conn_label = f->label;
  } else if (strcmp(n, "read") == 0 || strcmp(n, "recv") == 0 || strcmp(n, "recvfrom") == 0) {
    bool is_read = strcmp(n, "read") == 0;
    if (!nargs_ok(r, c, is_read ? 3 : 4, is_read ? 3 : 6)) return true;
    int64_t len, flags = 0;
    if (!drill_arg_int(r, &c->args[2], &len)) return true;
    if (!is_read && !drill_arg_int(r, &c->args[3], &flags)) return true;
    return do_recv(r, n, f, pend, len, flags, may_block, ret, NULL, nullbuf);
  } else if (strcmp(n, "write") == 0 || strcmp(n, "send") == 0 || strcmp(n, "sendto") == 0) {
    bool is_write = strcmp(n, "write") == 0;
    if (!nargs_ok(r, c, is_write ? 3 : 4, is_write ? 3 : 6)) return true;
    int64_t len, flags = 0;
    if (!drill_arg_int(r, &c->args[2], &len)) return true;
    if (!is_write && !drill_arg_int(r, &c->args[3], &flags)) return true;
    return do_send(r, n, f, pend, len, flags, may_block, ret, nullbuf);
  } else if (strcmp(n, "getsockname") == 0 || strcmp(n, "getpeername") == 0) {
    /* the address is the runner's (scripts write ... for it); the result is compared */
    if (!nargs_ok(r, c, 3, 3)) return true;
    if (c->args[1].kind != DRILL_ARG_ELLIPSIS || c->args[2].kind != DRILL_ARG_ELLIPSIS) {
      drill_unsupported(r, "%s: the address and its length must be written ...", n);
      return true;
    }
    synack_endpoint_t ep;
    *ret = n[3] == 's' ? r->tg->getsockname(r, f->sock, &ep) : r->tg->getpeername(r, f->sock, &ep);
  } else if (strcmp(n, "writev") == 0 || strcmp(n, "readv") == 0) {
    /* writev(fd, [{..., L}, ...], N) / readv: one write or read of the summed lengths */
    if (!nargs_ok(r, c, 3, 3)) return true;
    int64_t len = 0, cnt;
    if (c->args[1].kind != DRILL_ARG_ARRAY) {
      drill_unsupported(r, "%s: the vector must be an array [{iov_base=..., iov_len=N}, ...]", n);
      return true;
    }
    if (!iov_list_len(r, n, &c->args[1], &len, &nullbuf) || !drill_arg_int(r, &c->args[2], &cnt)) return true;
    if (cnt != c->args[1].n) {
      drill_unsupported(r, "%s: the count %lld differs from the %d elements listed", n, (long long)cnt, c->args[1].n);
      return true;
    }
    if (f->udp) {
      drill_unsupported(r, "%s() on a UDP socket not supported", n);
      return true;
    }
    if (n[0] == 'w') return do_send(r, n, f, pend, len, 0, may_block, ret, nullbuf);
    return do_recv(r, n, f, pend, len, 0, may_block, ret, NULL, nullbuf);
  } else if (strcmp(n, "sendmsg") == 0 || strcmp(n, "recvmsg") == 0) {
    if (!nargs_ok(r, c, 3, 3)) return true;
    bool is_send = n[0] == 's';
    int64_t len, flags, msg_flags;
    bool has_msg_flags, named;
    drill_msgctl_t ctl;
    if (!is_send && drill_arg_int(r, &c->args[2], &flags) && (flags & D_MSG_ERRQUEUE))
      return drill_recv_errqueue(r, f, &c->args[1], flags, ret);
    if (r->done) return true;
    if (!drill_msghdr_arg(r, n, &c->args[1], &len, &msg_flags, &has_msg_flags, &named, is_send ? NULL : &ctl,
                          &nullbuf))
      return true;
    if (!drill_arg_int(r, &c->args[2], &flags)) return true;
    if (is_send) return do_send(r, n, f, pend, len, flags, may_block, ret, nullbuf);
    bool fin = do_recv(r, n, f, pend, len, flags, may_block, ret, &ctl, nullbuf);
    /* a TCP socket never returns MSG_TRUNC, MSG_EOR or MSG_CTRUNC (no control data is asked
     * for: msghdr_arg refused any), so the flags coming back are 0 */
    if (fin && *ret >= 0 && has_msg_flags && msg_flags != ctl.msg_flags && !r->done)
      drill_fail(r, "recvmsg: msg_flags = 0x%x, expected 0x%llx", ctl.msg_flags, (unsigned long long)msg_flags);
    return fin;
  } else if (strcmp(n, "fcntl") == 0) {
    if (!nargs_ok(r, c, 2, 3)) return true;
    int64_t cmd;
    if (!drill_arg_int(r, &c->args[1], &cmd)) return true;
    int64_t arg = 0;
    if (c->nargs == 3 && !drill_arg_int(r, &c->args[2], &arg)) return true;
    if (cmd == D_F_GETFL) {
      *ret = D_O_RDWR | (f->nonblock ? D_O_NONBLOCK : 0);
    } else if (cmd == D_F_SETFL && c->nargs == 3) {
      /* F_SETFL ignores the access mode and creation bits (as Linux does); of the status
       * flags only O_NONBLOCK means something for a socket here */
      if (arg & ~(int64_t)(D_O_NONBLOCK | D_O_ACCMODE)) {
        drill_unsupported(r, "fcntl F_SETFL 0x%llx: only O_NONBLOCK is emulated", (unsigned long long)arg);
        return true;
      }
      f->nonblock = (arg & D_O_NONBLOCK) != 0;
      *ret = 0;
    } else if (cmd == D_F_GETFD) {
      *ret = f->cloexec ? D_FD_CLOEXEC : 0;
    } else if (cmd == D_F_SETFD && c->nargs == 3) {
      if (arg & ~(int64_t)D_FD_CLOEXEC) {
        drill_unsupported(r, "fcntl F_SETFD 0x%llx: only FD_CLOEXEC exists", (unsigned long long)arg);
        return true;
      }
      f->cloexec = arg != 0;
      *ret = 0;
    } else {
      drill_unsupported(r, "fcntl command %lld not supported (F_GETFL, F_SETFL, F_GETFD, F_SETFD)", (long long)cmd);
    }
  } else if (strcmp(n, "setsockopt") == 0 || strcmp(n, "getsockopt") == 0) {
    bool set = n[0] == 's';
    if (!nargs_ok(r, c, 5, 5)) return true;
    if (is_tcp_info(r, &c->args[1], &c->args[2])) return tcp_info_opt(r, n, f, &c->args[3], set, ret);
    if (c->args[2].kind == DRILL_ARG_SYM && strcmp(c->args[2].text, "TCP_CONGESTION") == 0)
      return tcp_congestion_opt(r, n, f, &c->args[3], set, ret);
    if (c->args[2].kind == DRILL_ARG_SYM && strcmp(c->args[2].text, "TCP_MD5SIG") == 0)
      return tcp_md5sig_opt(r, n, f, &c->args[3], set, ret);
    if (socket_fact_opt(r, n, f, &c->args[1], &c->args[2], &c->args[3], set, ret)) return true;
    const sockopt_map_t *m = find_sockopt(r, &c->args[1], &c->args[2]);
    if (!m) return true;
    const drill_arg_t *va = &c->args[3];
    if (m->opt == SYNACK_SO_RCVTIMEO || m->opt == SYNACK_SO_SNDTIMEO) return drill_timeo_opt(r, n, f, m->opt, va, set, ret);
    if (m->opt == SYNACK_TCP_SAVED_SYN && !set) return drill_saved_syn_opt(r, n, f, va, &c->args[4], ret);
    if (set) {
      int64_t v;
      if (m->opt == SYNACK_SO_LINGER && va->kind == DRILL_ARG_STRUCT) {
        int64_t onoff = 0, linger = 0;
        for (int j = 0; j < va->n; j++) {
          const char *mn = va->items[j].name;
          if (strcmp(mn, "onoff") != 0 && strcmp(mn, "linger") != 0) {
            drill_unsupported(r, "setsockopt SO_LINGER: unknown member %s", mn);
            return true;
          }
          if (!drill_arg_int(r, &va->items[j], strcmp(mn, "onoff") == 0 ? &onoff : &linger)) return true;
        }
        v = onoff ? linger : -1;
      } else if (m->opt == SYNACK_SO_ERROR) {
        *ret = -SYNACK_ENOPROTOOPT;
        return true;
      } else if (!drill_arg_int(r, va, &v)) {
        return true;
      }
      *ret = r->tg->setsockopt(r, f->sock, m->opt, (int)v);
      if (*ret == 0 && m->opt == SYNACK_SO_OOBINLINE) f->oobinline = v != 0;
    } else {
      int v = 0;
      *ret = r->tg->getsockopt(r, f->sock, m->opt, &v);
      if (*ret == 0 && va->kind != DRILL_ARG_ELLIPSIS) {
        if (m->opt == SYNACK_SO_LINGER && va->kind == DRILL_ARG_STRUCT) {
          for (int j = 0; j < va->n; j++) {
            int64_t want;
            if (strcmp(va->items[j].name, "onoff") != 0 && strcmp(va->items[j].name, "linger") != 0) {
              drill_unsupported(r, "getsockopt SO_LINGER: unknown member %s", va->items[j].name);
              return true;
            }
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
    if (req == D_FIONBIO) {
      /* ioctl(fd, FIONBIO, [v]): O_NONBLOCK on or off, as fcntl(F_SETFL) (the runner's flag) */
      int64_t v;
      if (!drill_arg_int(r, &c->args[2], &v)) return true;
      f->nonblock = v != 0;
      *ret = 0;
      return true;
    }
    if (req == D_SIOCINQ) {
      o = SYNACK_SO_INQ;
    } else if (req == D_SIOCOUTQ) {
      o = SYNACK_SO_OUTQ;
    } else if (req == D_SIOCOUTQNSD) {
      o = SYNACK_SO_NOTSENT;
    } else if (req == D_SIOCATMARK) {
      o = SYNACK_SO_ATMARK;
    } else {
      drill_unsupported(r, "ioctl request 0x%llx not supported", (unsigned long long)req);
      return true;
    }
    int v = 0;
    *ret = r->tg->getsockopt(r, f->sock, o, &v);
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
  /* the timeout (ms) of poll(fds, n, T) and epoll_wait(epfd, events, max, T) */
  int at = strcmp(c->name, "poll") == 0 ? 2 : strcmp(c->name, "epoll_wait") == 0 ? 3 : -1;
  if (pend->timeo_end) return pend->timeo_end; /* SO_RCVTIMEO / SO_SNDTIMEO of a blocking call */
  if (at < 0 || c->nargs != at + 1 || c->args[at].kind != DRILL_ARG_INT || c->args[at].num < 0)
    return SYNACK_TIME_NEVER;
  return pend->start + (synack_time_t)c->args[at].num * 1000u;
}

void drill_call_check(drill_run_t *r, const drill_event_t *ev, int64_t ret) {
  const drill_call_t *c = &ev->call;
  if (r->done) return;
  if (c->result_is_sym) {
    /* SYM or SYM|SYM...: the OR of the symbols' values */
    int64_t v = 0;
    for (const char *t = c->result_sym; *t;) {
      size_t l = strcspn(t, "|");
      char name[64];
      int64_t x;
      snprintf(name, sizeof name, "%.*s", (int)l, t);
      if (!drill_symbol(name, &x)) {
        drill_unsupported(r, "unknown result symbol %s", name);
        return;
      }
      v |= x;
      t += l + (t[l] == '|');
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
