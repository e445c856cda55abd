/* Data on synack sockets: read/write, send/recv, their vectored forms, the fortified variants
 * glibc substitutes for them (_FORTIFY_SOURCE) and sendfile. A blocking socket waits for the
 * stack's events (pl_wait); a blocking send returns only when everything is queued. */
#include "preload.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define PL_SEND_FLAGS (MSG_OOB | MSG_MORE | MSG_EOR | MSG_FASTOPEN)
#define PL_RECV_FLAGS (MSG_OOB | MSG_PEEK)
#define PL_IOV_MAX 1024
#define PL_DGRAM_MAX 65536

static synack_time_t deadline_of(synack_time_t timeo) { return timeo ? pl_now() + timeo : SYNACK_TIME_NEVER; }

/* Internal to the library (no MSG_* flag of Linux has this bit): wait even on a non-blocking
 * socket (splice queues whole what it took out of a pipe). */
#define PL_MSG_BLOCK 0x10000000

static bool nonblocking(const pl_sock_t *s, int flags) {
  return !(flags & PL_MSG_BLOCK) && (s->nonblock || (flags & MSG_DONTWAIT));
}

/* Gathers iov into one buffer (datagrams are sent whole). */
static void *gather(const struct iovec *iov, int iovcnt, size_t *len) {
  size_t n = 0;
  for (int i = 0; i < iovcnt; i++) n += iov[i].iov_len;
  if (n > PL_DGRAM_MAX) n = PL_DGRAM_MAX + 1; /* the stack refuses it with EMSGSIZE */
  uint8_t *b = malloc(n ? n : 1);
  if (!b) return NULL;
  size_t off = 0;
  for (int i = 0; i < iovcnt && off < n; i++) {
    size_t k = iov[i].iov_len < n - off ? iov[i].iov_len : n - off;
    memcpy(b + off, iov[i].iov_base, k);
    off += k;
  }
  *len = n;
  return b;
}

/* Copies the iovecs into the stack's form; returns their total length. */
static size_t to_siov(const struct iovec *iov, int iovcnt, synack_iovec_t *v) {
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) {
    v[i].base = iov[i].iov_base;
    v[i].len = iov[i].iov_len;
    total += iov[i].iov_len;
  }
  return total;
}

/* Drops the first k bytes of v[*first..n) (what a partial call consumed). */
static void iov_advance(synack_iovec_t *v, size_t n, size_t *first, size_t k) {
  while (*first < n && k >= v[*first].len) k -= v[(*first)++].len;
  if (*first < n) {
    v[*first].base = (uint8_t *)v[*first].base + k;
    v[*first].len -= k;
  }
}

/* Lock held. Returns bytes queued or a negative errno. */
static ssize_t io_send(int fd, pl_sock_t *s, const struct iovec *iov, int iovcnt, int flags, const struct sockaddr *to,
                       socklen_t tolen) {
  if (iovcnt < 0 || iovcnt > PL_IOV_MAX) return -EINVAL;
  synack_endpoint_t dst;
  bool has_dst = to != NULL && tolen > 0;
  if (has_dst) {
    int r = pl_sa_to_ep(s, to, tolen, &dst);
    if (r < 0) return r;
  }
  synack_time_t deadline = deadline_of(s->sndtimeo);
  if (s->type == SOCK_DGRAM) {
    size_t len;
    void *b = gather(iov, iovcnt, &len);
    if (!b) return -ENOMEM;
    int64_t r;
    for (;;) {
      r = synack_udp_sendto(pl.st, pl_now(), s->h, b, len, 0, has_dst ? &dst : NULL);
      pl_after();
      if (r != -SYNACK_EAGAIN || nonblocking(s, flags)) break;
      int w = pl_wait(deadline);
      if (w < 0 || !(s = pl_get(fd))) {
        r = w < 0 ? w : -EBADF;
        break;
      }
    }
    free(b);
    return (ssize_t)r;
  }
  synack_iovec_t v[PL_IOV_MAX];
  size_t total = to_siov(iov, iovcnt, v);
  int sflags = flags & PL_SEND_FLAGS;
  if ((sflags & MSG_FASTOPEN) && has_dst && iovcnt <= 1) {
    /* Linux's sendto(MSG_FASTOPEN): connect and first write in one call (RFC 7413). */
    int64_t r = synack_sendto(pl.st, pl_now(), s->h, iovcnt ? v[0].base : NULL, iovcnt ? v[0].len : 0, sflags, &dst);
    pl_after();
    return (ssize_t)r;
  }
  sflags &= ~MSG_FASTOPEN;
  size_t sent = 0, first = 0;
  for (;;) {
    int64_t r = synack_sendmsg(pl.st, pl_now(), s->h, v + first, (size_t)iovcnt - first, sflags);
    pl_after();
    if (r > 0) {
      sent += (size_t)r;
      iov_advance(v, (size_t)iovcnt, &first, (size_t)r); /* skip what was queued */
    }
    if (sent == total && (total > 0 || r >= 0)) return (ssize_t)sent;
    if (r < 0 && r != -SYNACK_EAGAIN) return sent ? (ssize_t)sent : (ssize_t)r;
    if (nonblocking(s, flags)) return sent ? (ssize_t)sent : -EAGAIN;
    int w = pl_wait(deadline);
    if (w < 0) return sent ? (ssize_t)sent : w;
    if (!(s = pl_get(fd))) return sent ? (ssize_t)sent : -EBADF;
  }
}

/* Lock held. Returns bytes received (0 = end of stream) or a negative errno. */
static ssize_t io_recv(int fd, pl_sock_t *s, const struct iovec *iov, int iovcnt, int flags, struct sockaddr *from,
                       socklen_t *fromlen, int *msg_flags) {
  if (iovcnt < 0 || iovcnt > PL_IOV_MAX) return -EINVAL;
  if (msg_flags) *msg_flags = 0;
  synack_time_t deadline = deadline_of(s->rcvtimeo);
  int rflags = flags & PL_RECV_FLAGS;
  if (s->type == SOCK_DGRAM) {
    size_t cap = 0;
    for (int i = 0; i < iovcnt; i++) cap += iov[i].iov_len;
    bool direct = iovcnt == 1;
    uint8_t *b = direct ? iov[0].iov_base : malloc(cap < PL_DGRAM_MAX ? cap + 1 : PL_DGRAM_MAX);
    if (!b) return -ENOMEM;
    if (!direct && cap > PL_DGRAM_MAX) cap = PL_DGRAM_MAX;
    synack_endpoint_t src;
    int64_t r;
    for (;;) {
      /* Always ask for the real length: it tells MSG_TRUNC. */
      r = synack_udp_recvfrom(pl.st, pl_now(), s->h, b, cap, (flags & MSG_PEEK ? SYNACK_MSG_PEEK : 0) | SYNACK_MSG_TRUNC,
                              &src);
      if (r != -SYNACK_EAGAIN || nonblocking(s, flags)) break;
      int w = pl_wait(deadline);
      if (w < 0 || !(s = pl_get(fd))) {
        r = w < 0 ? w : -EBADF;
        break;
      }
    }
    if (r >= 0) {
      size_t got = (size_t)r < cap ? (size_t)r : cap;
      if ((size_t)r > cap && msg_flags) *msg_flags |= MSG_TRUNC;
      if (!direct) {
        size_t off = 0;
        for (int i = 0; i < iovcnt && off < got; i++) {
          size_t k = iov[i].iov_len < got - off ? iov[i].iov_len : got - off;
          memcpy(iov[i].iov_base, b + off, k);
          off += k;
        }
      }
      if (from && fromlen) pl_ep_to_sa(s, &src, from, fromlen);
      if (!(flags & MSG_TRUNC)) r = (int64_t)got;
    }
    if (!direct) free(b);
    return (ssize_t)r;
  }
  synack_iovec_t v[PL_IOV_MAX];
  size_t total = to_siov(iov, iovcnt, v);
  size_t got = 0, first = 0;
  for (;;) {
    synack_msghdr_t m = { .iov = v + first, .iovlen = (size_t)iovcnt - first };
    int64_t r = synack_recvmsg(pl.st, pl_now(), s->h, &m, rflags);
    pl_after(); /* reading may open the window: the update goes out now */
    if (r > 0) {
      got += (size_t)r;
      if (!(flags & MSG_WAITALL) || got == total || (flags & MSG_PEEK)) return (ssize_t)got;
      iov_advance(v, (size_t)iovcnt, &first, (size_t)r);
      continue;
    }
    if (r == 0 || total == 0) return (ssize_t)got;
    if (r != -SYNACK_EAGAIN) return got ? (ssize_t)got : (ssize_t)r;
    if (nonblocking(s, flags)) return got ? (ssize_t)got : -EAGAIN;
    int w = pl_wait(deadline);
    if (w < 0) return got ? (ssize_t)got : w;
    if (!(s = pl_get(fd))) return got ? (ssize_t)got : -EBADF;
  }
}

/* A stream write to a connection shut for writing raises SIGPIPE unless MSG_NOSIGNAL. */
static ssize_t send_result(int type, ssize_t r, int flags) {
  if (r == -EPIPE && type == SOCK_STREAM && !(flags & MSG_NOSIGNAL)) raise(SIGPIPE);
  return r < 0 ? pl_fail(r) : r;
}

static ssize_t send_iov(int fd, pl_sock_t *s, const struct iovec *iov, int n, int flags, const struct sockaddr *to,
                        socklen_t tolen) {
  int type = s->type;
  ssize_t r = io_send(fd, s, iov, n, flags & ~PL_MSG_BLOCK, to, tolen);
  pl_unlock();
  return send_result(type, r, flags);
}

static ssize_t recv_iov(int fd, pl_sock_t *s, const struct iovec *iov, int n, int flags, struct sockaddr *from,
                        socklen_t *fromlen, int *msg_flags) {
  ssize_t r = io_recv(fd, s, iov, n, flags, from, fromlen, msg_flags);
  pl_unlock();
  return r < 0 ? pl_fail(r) : r;
}

ssize_t read(int fd, void *buf, size_t n) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.read(fd, buf, n);
  struct iovec v = { buf, n };
  return recv_iov(fd, s, &v, 1, 0, NULL, NULL, NULL);
}

ssize_t write(int fd, const void *buf, size_t n) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.write(fd, buf, n);
  struct iovec v = { (void *)(uintptr_t)buf, n };
  return send_iov(fd, s, &v, 1, 0, NULL, 0);
}

ssize_t readv(int fd, const struct iovec *iov, int n) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.readv(fd, iov, n);
  return recv_iov(fd, s, iov, n, 0, NULL, NULL, NULL);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.writev(fd, iov, n);
  return send_iov(fd, s, iov, n, 0, NULL, 0);
}

ssize_t send(int fd, const void *buf, size_t n, int flags) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.send(fd, buf, n, flags);
  struct iovec v = { (void *)(uintptr_t)buf, n };
  return send_iov(fd, s, &v, 1, flags, NULL, 0);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t tolen) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.sendto(fd, buf, n, flags, to, tolen);
  struct iovec v = { (void *)(uintptr_t)buf, n };
  return send_iov(fd, s, &v, 1, flags, to, tolen);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) { /* a kernel socket: synack descriptors passed by SCM_RIGHTS stay alive in flight */
    pl_scm_inflight(m, 1);
    ssize_t r = pl_real.sendmsg(fd, m, flags);
    if (r < 0) {
      int e = errno;
      pl_scm_inflight(m, -1);
      errno = e;
    }
    return r;
  }
  if (m->msg_controllen) { /* ancillary data (IP_PKTINFO, SCM_RIGHTS...) is not supported */
    pl_unlock();
    return pl_fail(-EOPNOTSUPP);
  }
  return send_iov(fd, s, m->msg_iov, (int)m->msg_iovlen, flags, m->msg_name, m->msg_namelen);
}

ssize_t recv(int fd, void *buf, size_t n, int flags) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.recv(fd, buf, n, flags);
  struct iovec v = { buf, n };
  return recv_iov(fd, s, &v, 1, flags, NULL, NULL, NULL);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *fromlen) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.recvfrom(fd, buf, n, flags, from, fromlen);
  struct iovec v = { buf, n };
  if (from && fromlen && s->type == SOCK_STREAM) *fromlen = 0; /* a stream reports no source */
  return recv_iov(fd, s, &v, 1, flags, from, fromlen, NULL);
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) {
    ssize_t r = pl_real.recvmsg(fd, m, flags);
    if (r >= 0) pl_scm_adopt(m); /* synack descriptors of this family, passed by SCM_RIGHTS */
    return r;
  }
  m->msg_controllen = 0; /* no ancillary data is produced */
  int mf = 0;
  socklen_t *nl = m->msg_name ? &m->msg_namelen : NULL;
  if (nl && s->type == SOCK_STREAM) *nl = 0;
  ssize_t r = recv_iov(fd, s, m->msg_iov, (int)m->msg_iovlen, flags, m->msg_name, nl, &mf);
  m->msg_flags = mf;
  return r;
}

/* ---------- fortified variants (glibc's _FORTIFY_SOURCE) ---------- */

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *from,
                       socklen_t *fromlen);

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen) {
  if (n > buflen) abort(); /* what glibc's __chk_fail does: a buffer overflow was about to happen */
  return read(fd, buf, n);
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags) {
  if (n > buflen) abort();
  return recv(fd, buf, n, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *from,
                       socklen_t *fromlen) {
  if (n > buflen) abort();
  return recvfrom(fd, buf, n, flags, from, fromlen);
}

/* ---------- sendfile ---------- */

/* The file is read in chunks (no lock held) and sent; the offset advances by what was sent. */
static ssize_t sendfile_synack(int out, int in, off64_t *offset, size_t count) {
  off64_t pos = offset ? *offset : lseek64(in, 0, SEEK_CUR);
  if (pos < 0) return -1;
  size_t done = 0;
  uint8_t *buf = malloc(65536);
  if (!buf) return pl_fail(-ENOMEM);
  ssize_t err = 0;
  while (done < count) {
    size_t want = count - done < 65536 ? count - done : 65536;
    ssize_t n = pread64(in, buf, want, pos);
    if (n <= 0) {
      if (n < 0) err = -errno;
      break;
    }
    pl_sock_t *s = pl_lock_get(out);
    if (!s) {
      err = -EBADF;
      break;
    }
    struct iovec v = { buf, (size_t)n };
    int type = s->type;
    ssize_t r = io_send(out, s, &v, 1, MSG_NOSIGNAL, NULL, 0);
    pl_unlock();
    if (r < 0) {
      if (r == -EPIPE && type == SOCK_STREAM) raise(SIGPIPE);
      err = r;
      break;
    }
    done += (size_t)r;
    pos += r;
    if (r < n) break; /* non-blocking socket full */
  }
  free(buf);
  if (offset) *offset = pos;
  else lseek64(in, pos, SEEK_SET);
  if (done) return (ssize_t)done;
  return err < 0 ? pl_fail(err) : 0;
}

ssize_t sendfile(int out, int in, off_t *offset, size_t count) {
  pl_real_init();
  if (!pl_maybe(out)) return pl_real.sendfile(out, in, offset, count);
  off64_t o = offset ? *offset : 0;
  ssize_t r = sendfile_synack(out, in, offset ? &o : NULL, count);
  if (offset) *offset = (off_t)o;
  return r;
}

ssize_t sendfile64(int out, int in, off64_t *offset, size_t count) {
  pl_real_init();
  if (!pl_maybe(out)) return pl_real.sendfile64(out, in, offset, count);
  return sendfile_synack(out, in, offset, count);
}

/* ---------- splice ---------- */

/* splice(2) with a synack socket at one end (the other end must be a pipe, as Linux requires
 * of one side). Emulated through a bounce buffer of at most 64 KiB per call:
 *   pipe -> socket: only what the socket can queue now is taken out of the pipe (its free send
 *                   space), so nothing read from the pipe is lost when the socket is full;
 *   socket -> pipe: the bytes are peeked, written to the pipe, and only what the pipe took is
 *                   consumed from the socket. */
#define PL_SPLICE_CHUNK 65536

static ssize_t splice_to_sock(int in, loff_t *off_in, int out, size_t len, unsigned flags) {
  if (off_in) return pl_fail(-ESPIPE);
  pl_sock_t *s = pl_lock_get(out);
  if (!s) return pl_fail(-EBADF);
  if (s->type != SOCK_STREAM) {
    pl_unlock();
    return pl_fail(-EINVAL);
  }
  bool nb = s->nonblock || (flags & SPLICE_F_NONBLOCK);
  int sndbuf = 0, outq = 0;
  synack_getsockopt(pl.st, s->h, SYNACK_SO_SNDBUF, &sndbuf);
  synack_getsockopt(pl.st, s->h, SYNACK_SO_OUTQ, &outq);
  pl_unlock();
  size_t room = sndbuf > outq ? (size_t)(sndbuf - outq) : 0;
  size_t want = len < PL_SPLICE_CHUNK ? len : PL_SPLICE_CHUNK;
  if (nb && room == 0) return pl_fail(-EAGAIN);
  if (nb && want > room) want = room;
  uint8_t *buf = malloc(want ? want : 1);
  if (!buf) return pl_fail(-ENOMEM);
  ssize_t n = pl_real.read(in, buf, want);
  if (n <= 0) {
    int e = errno;
    free(buf);
    if (n < 0) errno = e;
    return n;
  }
  /* What came out of the pipe is queued whole: blocking until it fits, as a blocking send. */
  size_t done = 0;
  ssize_t r = 0;
  while (done < (size_t)n) {
    pl_sock_t *t = pl_lock_get(out);
    if (!t) {
      r = -EBADF;
      break;
    }
    struct iovec v = { buf + done, (size_t)n - done };
    r = io_send(out, t, &v, 1, MSG_NOSIGNAL | PL_MSG_BLOCK, NULL, 0);
    pl_unlock();
    if (r < 0) break;
    done += (size_t)r;
  }
  free(buf);
  if (done) return (ssize_t)done;
  if (r == -EPIPE && !(flags & SPLICE_F_MORE)) raise(SIGPIPE);
  return pl_fail(r);
}

static ssize_t splice_from_sock(int in, int out, loff_t *off_out, size_t len, unsigned flags) {
  if (off_out) return pl_fail(-ESPIPE);
  size_t want = len < PL_SPLICE_CHUNK ? len : PL_SPLICE_CHUNK;
  uint8_t *buf = malloc(want ? want : 1);
  if (!buf) return pl_fail(-ENOMEM);
  pl_sock_t *s = pl_lock_get(in);
  if (!s) {
    free(buf);
    return pl_fail(-EBADF);
  }
  struct iovec v = { buf, want };
  ssize_t n = io_recv(in, s, &v, 1, MSG_PEEK | ((flags & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0), NULL, NULL, NULL);
  pl_unlock();
  if (n <= 0) {
    free(buf);
    return n < 0 ? pl_fail(n) : 0;
  }
  ssize_t w = pl_real.write(out, buf, (size_t)n);
  int e = errno;
  if (w > 0 && (s = pl_lock_get(in))) { /* consume what the pipe took */
    struct iovec c = { buf, (size_t)w };
    io_recv(in, s, &c, 1, MSG_DONTWAIT, NULL, NULL, NULL);
    pl_unlock();
  }
  free(buf);
  if (w < 0) errno = e;
  return w;
}

ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len, unsigned flags) {
  pl_real_init();
  bool to = pl_maybe(out), from = pl_maybe(in);
  if (!to && !from) return pl_real.splice(in, off_in, out, off_out, len, flags);
  /* Linux wants a pipe at one end, and takes no offset for it. */
  struct stat st;
  if (to && from) return pl_fail(-EINVAL);
  if (fstat(to ? in : out, &st) != 0) return -1;
  if (!S_ISFIFO(st.st_mode)) return pl_fail(-EINVAL);
  if (len == 0) return 0;
  return to ? splice_to_sock(in, off_in, out, len, flags) : splice_from_sock(in, out, off_out, len, flags);
}

/* ---------- sendmmsg / recvmmsg ---------- */

/* As Linux: the messages one by one; an error after the first message ends the batch with the
 * count so far (the error is for the next call to see), an error on the first is returned. */
int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags) {
  pl_real_init();
  if (!pl_maybe(fd)) return pl_real.sendmmsg(fd, v, n, flags);
  if (n > PL_IOV_MAX) n = PL_IOV_MAX; /* UIO_MAXIOV, as Linux caps vlen */
  unsigned i;
  for (i = 0; i < n; i++) {
    ssize_t r = sendmsg(fd, &v[i].msg_hdr, flags);
    if (r < 0) return i ? (int)i : -1;
    v[i].msg_len = (unsigned)r;
  }
  return (int)i;
}

int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout) {
  pl_real_init();
  if (!pl_maybe(fd)) return pl_real.recvmmsg(fd, v, n, flags, timeout);
  if (n > PL_IOV_MAX) n = PL_IOV_MAX;
  synack_time_t end = SYNACK_TIME_NEVER;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L) return pl_fail(-EINVAL);
    end = pl_now() + (synack_time_t)timeout->tv_sec * 1000000u + (synack_time_t)timeout->tv_nsec / 1000u;
  }
  int f = flags & ~MSG_WAITFORONE;
  unsigned i;
  for (i = 0; i < n; i++) {
    /* MSG_WAITFORONE: after the first message, take only what is there. */
    ssize_t r = recvmsg(fd, &v[i].msg_hdr, (i && (flags & MSG_WAITFORONE)) ? f | MSG_DONTWAIT : f);
    if (r < 0) {
      if (i && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
      return i ? (int)i : -1;
    }
    v[i].msg_len = (unsigned)r;
    /* Linux looks at the timeout only after each message. */
    if (timeout && pl_now() >= end) {
      i++;
      break;
    }
  }
  if (timeout) {
    synack_time_t now = pl_now(), left = now < end ? end - now : 0;
    timeout->tv_sec = (time_t)(left / 1000000u);
    timeout->tv_nsec = (long)(left % 1000000u) * 1000;
  }
  return (int)i;
}
