/* Socket options, fcntl and ioctl on synack sockets. Options map onto synack_sockopt_t; what
 * has no meaning on synack fails with ENOPROTOOPT (an unknown ioctl with ENOTTY), as a kernel
 * without the feature would answer, so that programs fall back instead of crashing. */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

/* One option that maps onto an int-valued synack option. */
typedef struct {
  int level, name;
  synack_sockopt_t opt;
  uint8_t types; /* 1: TCP, 2: UDP */
} pl_optmap_t;

static const pl_optmap_t optmap[] = {
  { SOL_SOCKET, SO_REUSEADDR, SYNACK_SO_REUSEADDR, 3 },
  { SOL_SOCKET, SO_REUSEPORT, SYNACK_SO_REUSEPORT, 3 },
  { SOL_SOCKET, SO_KEEPALIVE, SYNACK_SO_KEEPALIVE, 1 },
  { SOL_SOCKET, SO_RCVBUF, SYNACK_SO_RCVBUF, 3 },
  { SOL_SOCKET, SO_SNDBUF, SYNACK_SO_SNDBUF, 1 },
  { SOL_SOCKET, SO_BROADCAST, SYNACK_SO_BROADCAST, 2 },
  { SOL_SOCKET, SO_OOBINLINE, SYNACK_SO_OOBINLINE, 1 },
  { SOL_SOCKET, SO_RCVLOWAT, SYNACK_SO_RCVLOWAT, 1 },
  { SOL_SOCKET, SO_SNDLOWAT, SYNACK_SO_SNDLOWAT, 1 },
  { SOL_SOCKET, SO_MAX_PACING_RATE, SYNACK_SO_MAX_PACING_RATE, 1 },
  { IPPROTO_TCP, TCP_NODELAY, SYNACK_TCP_NODELAY, 1 },
  { IPPROTO_TCP, TCP_MAXSEG, SYNACK_TCP_MAXSEG, 1 },
  { IPPROTO_TCP, TCP_KEEPIDLE, SYNACK_TCP_KEEPIDLE, 1 },
  { IPPROTO_TCP, TCP_KEEPINTVL, SYNACK_TCP_KEEPINTVL, 1 },
  { IPPROTO_TCP, TCP_KEEPCNT, SYNACK_TCP_KEEPCNT, 1 },
  { IPPROTO_TCP, TCP_USER_TIMEOUT, SYNACK_TCP_USER_TIMEOUT, 1 },
  { IPPROTO_TCP, TCP_QUICKACK, SYNACK_TCP_QUICKACK, 1 },
  { IPPROTO_TCP, TCP_CORK, SYNACK_TCP_CORK, 1 },
  { IPPROTO_TCP, TCP_NOTSENT_LOWAT, SYNACK_TCP_NOTSENT_LOWAT, 1 },
  { IPPROTO_TCP, TCP_FASTOPEN, SYNACK_TCP_FASTOPEN, 1 },
  { IPPROTO_TCP, TCP_FASTOPEN_CONNECT, SYNACK_TCP_FASTOPEN_CONNECT, 1 },
  { IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, SYNACK_TCP_FASTOPEN_NO_COOKIE, 1 },
  { IPPROTO_TCP, TCP_INQ, SYNACK_TCP_INQ, 1 },
  { IPPROTO_TCP, TCP_DEFER_ACCEPT, SYNACK_TCP_DEFER_ACCEPT, 1 },
  { IPPROTO_TCP, TCP_WINDOW_CLAMP, SYNACK_TCP_WINDOW_CLAMP, 1 },
  { IPPROTO_TCP, TCP_SAVE_SYN, SYNACK_TCP_SAVE_SYN, 1 },
  { IPPROTO_IP, IP_TTL, SYNACK_IP_TTL, 3 },
  { IPPROTO_IP, IP_TOS, SYNACK_IP_TOS, 3 },
  { IPPROTO_IPV6, IPV6_V6ONLY, SYNACK_IPV6_V6ONLY, 3 },
};

static const pl_optmap_t *find_opt(const pl_sock_t *s, int level, int name) {
  uint8_t t = s->type == SOCK_STREAM ? 1 : 2;
  for (size_t i = 0; i < sizeof optmap / sizeof optmap[0]; i++)
    if (optmap[i].level == level && optmap[i].name == name && (optmap[i].types & t)) return &optmap[i];
  return NULL;
}

static int set_opt(pl_sock_t *s, synack_sockopt_t opt, int v) {
  return s->type == SOCK_STREAM ? synack_setsockopt(pl.st, s->h, opt, v) : synack_udp_setsockopt(pl.st, s->h, opt, v);
}

static int get_opt(pl_sock_t *s, synack_sockopt_t opt, int *v) {
  return s->type == SOCK_STREAM ? synack_getsockopt(pl.st, s->h, opt, v) : synack_udp_getsockopt(pl.st, s->h, opt, v);
}

static synack_time_t tv_us(const struct timeval *tv) {
  if (tv->tv_sec < 0 || tv->tv_usec < 0) return 0;
  return (synack_time_t)tv->tv_sec * 1000000u + (synack_time_t)tv->tv_usec;
}

static int set_locked(pl_sock_t *s, int level, int name, const void *val, socklen_t len) {
  if (!val && len) return -EFAULT;
  if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
    if (len < (socklen_t)sizeof(struct timeval)) return -EINVAL;
    struct timeval tv;
    memcpy(&tv, val, sizeof tv);
    if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -EDOM;
    *(name == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo) = tv_us(&tv);
    return 0;
  }
  if (level == SOL_SOCKET && name == SO_LINGER && s->type == SOCK_STREAM) {
    if (len < (socklen_t)sizeof(struct linger)) return -EINVAL;
    struct linger l;
    memcpy(&l, val, sizeof l);
    return set_opt(s, SYNACK_SO_LINGER, l.l_onoff ? (l.l_linger < 0 ? 0 : l.l_linger) : -1);
  }
  if (level == IPPROTO_TCP && name == TCP_CONGESTION && s->type == SOCK_STREAM) {
    char name_buf[16] = { 0 };
    memcpy(name_buf, val, len < sizeof name_buf - 1 ? len : sizeof name_buf - 1);
    if (strcmp(name_buf, "cubic") == 0) return set_opt(s, SYNACK_TCP_CONGESTION, SYNACK_CC_CUBIC);
    if (strcmp(name_buf, "reno") == 0 || strcmp(name_buf, "newreno") == 0)
      return set_opt(s, SYNACK_TCP_CONGESTION, SYNACK_CC_NEWRENO);
    return -ENOENT; /* Linux: no such congestion control module */
  }
  if (level == IPPROTO_TCP && s->type == SOCK_STREAM) {
    int r = pl_auth_set(s, name, val, len); /* TCP_MD5SIG, TCP-AO: pl_auth.c */
    if (r != 1) return r;
  }
  const pl_optmap_t *m = find_opt(s, level, name);
  if (!m) return -ENOPROTOOPT;
  int v = 0;
  if (len >= (socklen_t)sizeof(int)) memcpy(&v, val, sizeof v);
  else if (len == 1) v = *(const unsigned char *)val; /* Linux accepts a char for boolean options */
  else return -EINVAL;
  return set_opt(s, m->opt, v);
}

static int put_int(void *val, socklen_t *len, int v) {
  if (!val || !len) return -EFAULT;
  if (*len < (socklen_t)sizeof(int)) {
    if (*len == 0) return -EINVAL;
    *(unsigned char *)val = (unsigned char)v;
    *len = 1;
    return 0;
  }
  memcpy(val, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

static int put_bytes(void *val, socklen_t *len, const void *p, size_t n) {
  if (!val || !len) return -EFAULT;
  size_t k = (size_t)*len < n ? (size_t)*len : n;
  memcpy(val, p, k);
  *len = (socklen_t)k;
  return 0;
}

static int tcp_info_of(pl_sock_t *s, void *val, socklen_t *len) {
  synack_tcp_info_t i;
  int r = synack_tcp_info(pl.st, s->h, &i);
  if (r < 0) return r;
  struct tcp_info t;
  memset(&t, 0, sizeof t);
  /* synack's states are numbered in RFC order; Linux's TCP_* states differ. */
  static const uint8_t linux_state[SYNACK_TCP_STATE_COUNT] = { 7, 10, 2, 3, 1, 4, 5, 8, 11, 9, 6 };
  t.tcpi_state = linux_state[i.state < SYNACK_TCP_STATE_COUNT ? i.state : 0];
  t.tcpi_ca_state = i.ca_state;
  t.tcpi_retransmits = (uint8_t)i.retransmits;
  t.tcpi_probes = (uint8_t)i.probes;
  t.tcpi_backoff = (uint8_t)i.backoff;
  if (i.options & SYNACK_TCPI_OPT_TIMESTAMPS) t.tcpi_options |= TCPI_OPT_TIMESTAMPS;
  if (i.options & SYNACK_TCPI_OPT_SACK) t.tcpi_options |= TCPI_OPT_SACK;
  if (i.options & SYNACK_TCPI_OPT_WSCALE) t.tcpi_options |= TCPI_OPT_WSCALE;
  if (i.options & SYNACK_TCPI_OPT_ECN) t.tcpi_options |= TCPI_OPT_ECN;
  if (i.options & SYNACK_TCPI_OPT_SYN_DATA) t.tcpi_options |= TCPI_OPT_SYN_DATA;
  t.tcpi_snd_wscale = i.snd_wscale & 15;
  t.tcpi_rcv_wscale = i.rcv_wscale & 15;
  t.tcpi_rto = i.rto_us;
  t.tcpi_ato = i.ato_us;
  t.tcpi_snd_mss = i.snd_mss;
  t.tcpi_rcv_mss = i.rcv_mss;
  t.tcpi_unacked = i.unacked;
  t.tcpi_sacked = i.sacked;
  t.tcpi_lost = i.lost;
  t.tcpi_retrans = i.retrans;
  t.tcpi_last_data_sent = i.last_data_sent_ms;
  t.tcpi_last_data_recv = i.last_data_recv_ms;
  t.tcpi_last_ack_recv = i.last_ack_recv_ms;
  t.tcpi_rtt = i.rtt_us;
  t.tcpi_rttvar = i.rttvar_us;
  t.tcpi_snd_ssthresh = i.snd_ssthresh;
  t.tcpi_snd_cwnd = i.snd_cwnd;
  t.tcpi_advmss = i.advmss;
  t.tcpi_total_retrans = i.total_retrans;
  return put_bytes(val, len, &t, sizeof t);
}

static int get_locked(pl_sock_t *s, int level, int name, void *val, socklen_t *len) {
  if (!len) return -EFAULT;
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_TYPE: return put_int(val, len, s->type);
      case SO_DOMAIN: return put_int(val, len, s->family);
      case SO_PROTOCOL: return put_int(val, len, s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
      case SO_ACCEPTCONN: return put_int(val, len, s->listening);
      case SO_ERROR: {
        int e = 0;
        int r = get_opt(s, SYNACK_SO_ERROR, &e);
        if (r < 0) return r;
        return put_int(val, len, -e);
      }
      case SO_RCVTIMEO:
      case SO_SNDTIMEO: {
        synack_time_t us = name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
        struct timeval tv = { .tv_sec = (time_t)(us / 1000000u), .tv_usec = (suseconds_t)(us % 1000000u) };
        return put_bytes(val, len, &tv, sizeof tv);
      }
      case SO_LINGER: {
        if (s->type != SOCK_STREAM) break;
        int v = -1;
        int r = get_opt(s, SYNACK_SO_LINGER, &v);
        if (r < 0) return r;
        struct linger l = { .l_onoff = v >= 0, .l_linger = v >= 0 ? v : 0 };
        return put_bytes(val, len, &l, sizeof l);
      }
      default: break;
    }
  }
  if (level == IPPROTO_TCP && s->type == SOCK_STREAM && name == TCP_INFO) return tcp_info_of(s, val, len);
  if (level == IPPROTO_TCP && s->type == SOCK_STREAM && name == TCP_CONGESTION) {
    int v = 0;
    int r = get_opt(s, SYNACK_TCP_CONGESTION, &v);
    if (r < 0) return r;
    char name_buf[16] = { 0 };
    strcpy(name_buf, v == SYNACK_CC_CUBIC ? "cubic" : "reno");
    return put_bytes(val, len, name_buf, sizeof name_buf);
  }
  if (level == IPPROTO_TCP && s->type == SOCK_STREAM) {
    int r = pl_auth_get(s, name, val, len);
    if (r != 1) return r;
  }
  const pl_optmap_t *m = find_opt(s, level, name);
  if (!m) return -ENOPROTOOPT;
  int v = 0;
  int r = get_opt(s, m->opt, &v);
  if (r < 0) return r;
  return put_int(val, len, v);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.setsockopt(fd, level, name, val, len);
  int r = set_locked(s, level, name, val, len);
  pl_after(); /* TCP_NODELAY, uncorking, TCP_QUICKACK may send at once */
  pl_unlock();
  if (pl.debug && r < 0) pl_log("synack-preload: setsockopt(%d, %d, %d) refused: %d", fd, level, name, r);
  return r < 0 ? pl_fail(r) : 0;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.getsockopt(fd, level, name, val, len);
  int r = get_locked(s, level, name, val, len);
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}

/* ---------- fcntl ---------- */

/* F_GETFL / F_SETFL keep O_NONBLOCK on the synack socket; everything else (F_GETFD,
 * F_SETFD's FD_CLOEXEC...) applies to the reserved descriptor; F_DUPFD(_CLOEXEC) duplicates it
 * as dup does (pl_sock.c). */
static int fcntl_common(int fd, int cmd, long arg, bool is64) {
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return is64 ? pl_real.fcntl64(fd, cmd, arg) : pl_real.fcntl(fd, cmd, arg);
  int r;
  switch (cmd) {
    case F_GETFL: r = O_RDWR | (s->nonblock ? O_NONBLOCK : 0); break;
    case F_SETFL: s->nonblock = (arg & O_NONBLOCK) != 0; r = 0; break;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: r = 2; break;
    default: r = 1; break;
  }
  pl_unlock();
  if (r == 2) return pl_dupfd(fd, cmd, arg, is64);
  if (r == 1) return is64 ? pl_real.fcntl64(fd, cmd, arg) : pl_real.fcntl(fd, cmd, arg);
  return r < 0 ? pl_fail(r) : r;
}

int fcntl(int fd, int cmd, ...) {
  pl_real_init();
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long); /* every command's argument fits a long (int or pointer) */
  va_end(ap);
  return fcntl_common(fd, cmd, arg, false);
}

int fcntl64(int fd, int cmd, ...) {
  pl_real_init();
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return fcntl_common(fd, cmd, arg, pl_real.fcntl64 != NULL);
}

/* ---------- ioctl ---------- */

int ioctl(int fd, unsigned long req, ...) {
  pl_real_init();
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.ioctl(fd, req, arg);
  int r, v = 0;
  switch (req) {
    case FIONBIO:
      if (!arg) {
        r = -EFAULT;
        break;
      }
      memcpy(&v, arg, sizeof v);
      s->nonblock = v != 0;
      r = 0;
      break;
    case FIONREAD: /* = SIOCINQ */
    case SIOCOUTQ:
    case SIOCOUTQNSD:
    case SIOCATMARK: {
      synack_sockopt_t o = req == FIONREAD ? SYNACK_SO_INQ : req == SIOCOUTQ ? SYNACK_SO_OUTQ
                           : req == SIOCOUTQNSD ? SYNACK_SO_NOTSENT : SYNACK_SO_ATMARK;
      if (!arg) {
        r = -EFAULT;
        break;
      }
      r = get_opt(s, o, &v);
      if (r == 0) memcpy(arg, &v, sizeof v);
      break;
    }
    default: r = -ENOTTY; break;
  }
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}
