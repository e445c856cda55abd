/* Socket life cycle on synack: socket, bind, listen, accept, connect, shutdown, close, the
 * names, dup, and synack descriptors passed by SCM_RIGHTS over kernel sockets. */
#include "preload.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---------- addresses ---------- */

int pl_sa_to_ep(const pl_sock_t *s, const struct sockaddr *sa, socklen_t len, synack_endpoint_t *ep) {
  memset(ep, 0, sizeof *ep);
  if (!sa || len < (socklen_t)sizeof(sa_family_t)) return -EINVAL;
  switch (sa->sa_family) {
    case AF_INET: {
      if (len < (socklen_t)sizeof(struct sockaddr_in)) return -EINVAL;
      /* An AF_INET6 socket takes only AF_INET6 addresses (v4-mapped for IPv4), as on Linux. */
      if (s->family != AF_INET) return -EAFNOSUPPORT;
      const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
      ep->ip.family = SYNACK_AF_INET;
      memcpy(ep->ip.b, &in->sin_addr, 4);
      ep->port = ntohs(in->sin_port);
      return 0;
    }
    case AF_INET6: {
      if (len < (socklen_t)sizeof(struct sockaddr_in6)) return -EINVAL;
      if (s->family != AF_INET6) return -EAFNOSUPPORT;
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
      ep->ip.family = SYNACK_AF_INET6;
      memcpy(ep->ip.b, &in6->sin6_addr, 16);
      ep->port = ntohs(in6->sin6_port);
      return 0;
    }
    case AF_UNSPEC:
      return 0; /* family 0: "no address" (UDP connect dissolves its association) */
    default:
      return -EAFNOSUPPORT;
  }
}

void pl_ep_to_sa(const pl_sock_t *s, const synack_endpoint_t *ep, struct sockaddr *sa, socklen_t *len) {
  if (!sa || !len) return;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t n;
  if (s->family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(ep->port);
    if (ep->ip.family == SYNACK_AF_INET) memcpy(&in->sin_addr, ep->ip.b, 4);
    n = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(ep->port);
    if (ep->ip.family == SYNACK_AF_INET) {
      /* RFC 4291 §2.5.5.2: IPv4 peers of an AF_INET6 socket appear v4-mapped. */
      in6->sin6_addr.s6_addr[10] = 0xff;
      in6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&in6->sin6_addr.s6_addr[12], ep->ip.b, 4);
    } else if (ep->ip.family == SYNACK_AF_INET6) {
      memcpy(&in6->sin6_addr, ep->ip.b, 16);
    }
    n = sizeof *in6;
  }
  memcpy(sa, &ss, *len < n ? *len : n);
  *len = n; /* the real size, as the kernel reports it even when it truncated */
}

/* ---------- creation ---------- */

static bool ours(int domain, int type, int protocol) {
  if (domain != AF_INET && domain != AF_INET6) return false;
  int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (t == SOCK_STREAM) return protocol == 0 || protocol == IPPROTO_TCP;
  if (t == SOCK_DGRAM) return protocol == 0 || protocol == IPPROTO_UDP;
  return false;
}

/* A socket for a new handle: the reserved descriptor, the table entry. */
static int new_sock(int h, int family, int type, int flags) {
  pl_sock_t *s = pl_sock_alloc(); /* shared: a forked child holds the same socket */
  int fd = eventfd(0, (flags & SOCK_CLOEXEC) ? EFD_CLOEXEC : 0);
  if (!s || fd < 0 || fd >= PL_MAX_FDS) {
    int e = !s ? ENOMEM : fd < 0 ? errno : EMFILE;
    if (fd >= 0) pl_real.close(fd);
    if (s) pl_sock_free(s);
    if (type == SOCK_STREAM) synack_close(pl.st, pl_now(), h);
    else synack_udp_close(pl.st, h);
    errno = e;
    return -1;
  }
  /* The placeholder's counter names the socket (pl_scm_adopt); the library never reads it. */
  uint64_t tag = pl_shm_tag(h);
  ssize_t w = pl_real.write(fd, &tag, sizeof tag);
  (void)w;
  s->fd = fd;
  s->h = h;
  s->family = family;
  s->type = type;
  s->nonblock = (flags & SOCK_NONBLOCK) != 0;
  pl_attach(fd, s);
  return fd;
}

int socket(int domain, int type, int protocol) {
  pl_real_init();
  if (!ours(domain, type, protocol)) return pl_real.socket(domain, type, protocol);
  int err = pl_start();
  if (err == -ENOSYS) return pl_real.socket(domain, type, protocol); /* SYNACK_TAP unset: inert */
  if (err < 0) return pl_fail(err);
  if (pl.forked) return pl_fail(-ENETDOWN); /* a detached child: no share in the stack */
  int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  int fam = domain == AF_INET ? SYNACK_AF_INET : SYNACK_AF_INET6;
  pl_lock();
  int h = t == SOCK_STREAM ? synack_socket(pl.st, fam) : synack_udp_socket(pl.st, fam);
  int fd = h < 0 ? pl_fail(h) : new_sock(h, domain, t, type);
  pl_unlock();
  if (pl.debug) pl_log("synack-preload: socket(%s, %s) = %d", domain == AF_INET ? "inet" : "inet6",
                       t == SOCK_STREAM ? "stream" : "dgram", fd);
  return fd;
}

int bind(int fd, const struct sockaddr *sa, socklen_t len) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.bind(fd, sa, len);
  synack_endpoint_t ep;
  int r = pl_sa_to_ep(s, sa, len, &ep);
  if (r == 0) r = s->type == SOCK_STREAM ? synack_bind(pl.st, s->h, &ep) : synack_udp_bind(pl.st, s->h, &ep);
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}

int listen(int fd, int backlog) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.listen(fd, backlog);
  int r = -EOPNOTSUPP;
  if (s->type == SOCK_STREAM) {
    /* Linux takes any backlog, caps it at somaxconn (4096) and treats <= 0 as a queue of one. */
    r = synack_listen(pl.st, s->h, backlog < 1 ? 1 : backlog > 4096 ? 4096 : backlog);
    if (r == 0) s->listening = true;
  }
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}

static synack_time_t deadline_of(synack_time_t timeo) {
  return timeo ? pl_now() + timeo : SYNACK_TIME_NEVER;
}

int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.accept4(fd, sa, len, flags);
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
    pl_unlock();
    return pl_fail(-EINVAL);
  }
  if (s->type != SOCK_STREAM || !s->listening) {
    pl_unlock();
    return pl_fail(s->type != SOCK_STREAM ? -EOPNOTSUPP : -EINVAL);
  }
  synack_time_t deadline = deadline_of(s->rcvtimeo);
  int r;
  synack_endpoint_t remote;
  for (;;) {
    r = synack_accept(pl.st, s->h, &remote);
    if (r != -SYNACK_EAGAIN || s->nonblock) break;
    int w = pl_wait(deadline);
    if (w < 0) {
      r = w;
      break;
    }
    if (!(s = pl_get(fd)) || !s->listening) { /* closed by another thread meanwhile */
      r = -EBADF;
      break;
    }
  }
  int nfd = -1;
  if (r >= 0) {
    nfd = new_sock(r, s->family, SOCK_STREAM, flags);
    pl_sock_t *c = nfd >= 0 ? pl_get(nfd) : NULL;
    if (c) pl_ep_to_sa(c, &remote, sa, len);
    pl_after(); /* accepting may open the window of the queue: SYN-ACKs go out */
  }
  pl_unlock();
  if (r < 0) return pl_fail(r);
  return nfd;
}

int accept(int fd, struct sockaddr *sa, socklen_t *len) { return accept4(fd, sa, len, 0); }

int connect(int fd, const struct sockaddr *sa, socklen_t len) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.connect(fd, sa, len);
  synack_endpoint_t ep;
  int r = pl_sa_to_ep(s, sa, len, &ep);
  if (r < 0) goto out;
  if (s->type == SOCK_DGRAM) {
    r = synack_udp_connect(pl.st, s->h, &ep);
    goto out;
  }
  r = synack_connect(pl.st, pl_now(), s->h, &ep);
  pl_after();
  if (r != -SYNACK_EINPROGRESS || s->nonblock) goto out;
  /* Blocking connect: wait for the handshake's outcome; the error comes from SO_ERROR. */
  synack_time_t deadline = deadline_of(s->sndtimeo);
  for (;;) {
    uint32_t ev = synack_poll(pl.st, s->h);
    if (ev & (SYNACK_EV_WRITABLE | SYNACK_EV_ERROR | SYNACK_EV_READABLE)) {
      int soerr = 0;
      synack_getsockopt(pl.st, s->h, SYNACK_SO_ERROR, &soerr);
      r = soerr;
      break;
    }
    int w = pl_wait(deadline);
    if (w < 0) {
      r = w == -EAGAIN ? -EINPROGRESS : w;
      break;
    }
    if (!(s = pl_get(fd))) {
      r = -EBADF;
      break;
    }
  }
out:
  pl_unlock();
  if (pl.debug) pl_log("synack-preload: connect(%d) = %d", fd, r);
  return r < 0 ? pl_fail(r) : 0;
}

/* ---------- ending ---------- */

int shutdown(int fd, int how) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.shutdown(fd, how);
  int r;
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
    r = -EINVAL;
  } else if (s->type == SOCK_DGRAM) {
    /* Not modelled for UDP: accepted on a connected socket, with no effect (docs/preload.md). */
    synack_endpoint_t peer;
    r = synack_udp_getpeername(pl.st, s->h, &peer) == 0 ? 0 : -ENOTCONN;
  } else {
    r = synack_shutdown(pl.st, pl_now(), s->h, how);
    if (r == 0 && how != SHUT_RD) s->shut_wr = true;
    pl_after();
  }
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}

int pl_sock_close_locked(int fd, pl_sock_t *s) {
  pl_detach_local(fd);
  int r = pl_drop(s);
  pl_real.close(fd);
  pl_after();
  return r;
}

int close(int fd) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) {
    pl_epoll_close(fd);
    return pl_real.close(fd);
  }
  int r = pl_sock_close_locked(fd, s);
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}

/* ---------- names ---------- */

static int name_of(int fd, struct sockaddr *sa, socklen_t *len, bool peer) {
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return peer ? pl_real.getpeername(fd, sa, len) : pl_real.getsockname(fd, sa, len);
  if (!len) {
    pl_unlock();
    return pl_fail(-EFAULT);
  }
  synack_endpoint_t ep;
  int r;
  if (s->type == SOCK_STREAM)
    r = peer ? synack_getpeername(pl.st, s->h, &ep) : synack_getsockname(pl.st, s->h, &ep);
  else
    r = peer ? synack_udp_getpeername(pl.st, s->h, &ep) : synack_udp_getsockname(pl.st, s->h, &ep);
  if (r == 0) pl_ep_to_sa(s, &ep, sa, len);
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}

int getsockname(int fd, struct sockaddr *sa, socklen_t *len) {
  pl_real_init();
  return name_of(fd, sa, len, false);
}

int getpeername(int fd, struct sockaddr *sa, socklen_t *len) {
  pl_real_init();
  return name_of(fd, sa, len, true);
}

/* ---------- dup ---------- */

/* A duplicate is another reference to the same socket, as with the kernel's files: the kernel
 * duplicates the placeholder (so the number is reserved and FD_CLOEXEC is per descriptor), the
 * table maps the new number to the socket, and close of either drops one reference. */
static int dup_adopt(int oldfd, int newfd) {
  if (newfd < 0) return newfd;
  pl_lock();
  pl_sock_t *s = pl_get(oldfd);
  if (s && newfd < PL_MAX_FDS && !s->local) {
    s->refs[pl.slot]++;
    pl_attach(newfd, s);
  } else if (s) {
    /* Beyond the table (or a dead copy): refuse rather than hand out a number that is no socket. */
    pl_unlock();
    pl_real.close(newfd);
    return pl_fail(-EMFILE);
  }
  pl_unlock();
  return newfd;
}

int dup(int fd) {
  pl_real_init();
  if (!pl_maybe(fd)) return pl_real.dup(fd);
  return dup_adopt(fd, pl_real.dup(fd));
}

int pl_dupfd(int fd, int cmd, long arg, bool is64) {
  int n = is64 ? pl_real.fcntl64(fd, cmd, arg) : pl_real.fcntl(fd, cmd, arg);
  return dup_adopt(fd, n);
}

static int dup_onto(int oldfd, int newfd, int flags, bool three) {
  bool ours = pl_maybe(oldfd);
  if (oldfd != newfd) {
    pl_sock_t *t = pl_lock_get(newfd);
    if (t) {
      /* Keep the number reserved until the kernel reuses it: dup2 replaces it atomically. */
      pl_detach_local(newfd);
      int r = pl_drop(t);
      (void)r;
      pl_after();
      pl_unlock();
    }
  }
  int r = three ? pl_real.dup3(oldfd, newfd, flags) : pl_real.dup2(oldfd, newfd);
  if (!ours || oldfd == newfd) return r;
  return dup_adopt(oldfd, r);
}

int dup2(int oldfd, int newfd) {
  pl_real_init();
  return dup_onto(oldfd, newfd, 0, false);
}

int dup3(int oldfd, int newfd, int flags) {
  pl_real_init();
  return dup_onto(oldfd, newfd, flags, true);
}

/* ---------- SCM_RIGHTS ---------- */

/* Calls fn on every descriptor of the message's SCM_RIGHTS blocks. */
static void each_passed_fd(const struct msghdr *m, void (*fn)(int *fd, int arg), int arg) {
  if (!m || !m->msg_control || m->msg_controllen < sizeof(struct cmsghdr)) return;
  for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *fds = (int *)(void *)CMSG_DATA(c);
    for (size_t i = 0; i < n; i++) fn(&fds[i], arg);
  }
}

static void mark_inflight(int *fd, int delta) {
  pl_sock_t *s = pl_get(*fd);
  if (!s || s->local) return;
  if (delta > 0) s->inflight++;
  else if (s->inflight) s->inflight--;
}

void pl_scm_inflight(const struct msghdr *m, int delta) {
  bool any = false;
  if (m && m->msg_control && m->msg_controllen >= sizeof(struct cmsghdr))
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)m); c && !any; c = CMSG_NXTHDR((struct msghdr *)m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) any = true;
  if (!any || !pl.st) return;
  pl_lock();
  each_passed_fd(m, mark_inflight, delta);
  pl_unlock();
}

/* The eventfd counter of a received descriptor, from /proc (0 when it is no eventfd). */
static uint64_t eventfd_count(int fd) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return 0;
  ssize_t n = pl_real.read(f, buf, sizeof buf - 1);
  pl_real.close(f);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *p = strstr(buf, "eventfd-count:");
  return p ? strtoull(p + 14, NULL, 16) : 0;
}

static void adopt(int *fd, int arg) {
  (void)arg;
  if (*fd < 0 || *fd >= PL_MAX_FDS || pl_get(*fd)) return;
  uint64_t tag = eventfd_count(*fd);
  uint32_t low = (uint32_t)tag;
  if (!low || (tag >> 32) != (pl_shm_tag(0) >> 32) || low - 1 >= pl.nh) return;
  pl_sock_t *s = pl.byh[low - 1];
  if (!s || !s->inflight) return; /* a stale tag, or no socket sent by the family */
  s->inflight--;
  s->refs[pl.slot]++;
  pl_attach(*fd, s);
}

void pl_scm_adopt(struct msghdr *m) {
  if (!pl.st || pl.forked || !m || !m->msg_control || m->msg_controllen < sizeof(struct cmsghdr)) return;
  pl_lock();
  each_passed_fd(m, adopt, 0);
  pl_unlock();
}
