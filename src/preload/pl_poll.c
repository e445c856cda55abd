/* poll, ppoll, select and epoll over synack sockets mixed with kernel descriptors.
 *
 * Chosen design (docs/preload.md): readiness is emulated, not mirrored into the placeholder
 * descriptors. A call first asks the stack about its synack sockets; when none is ready it
 * sleeps in the kernel on its kernel descriptors plus an eventfd that the stack's events poke
 * (the thread's waiter for poll/select, one per epoll set), then looks again. An epoll set keeps
 * its kernel descriptors in the real epoll instance and its synack sockets in a shadow list;
 * EPOLLET is emulated with per-socket edge counters bumped by the stack's events, EPOLLONESHOT
 * by disarming the entry until EPOLL_CTL_MOD. */
#include "preload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

short pl_revents(pl_sock_t *s) {
  uint32_t ev = synack_poll(pl.st, s->h);
  short r = 0;
  if (ev & SYNACK_EV_READABLE) r |= POLLIN | POLLRDNORM;
  if (ev & SYNACK_EV_WRITABLE) r |= POLLOUT | POLLWRNORM;
  if (ev & SYNACK_EV_PEER_CLOSED) r |= POLLRDHUP;
  if (ev & SYNACK_EV_URGENT) r |= POLLPRI;
  if (ev & SYNACK_EV_ERROR) r |= POLLERR;
  /* Linux: POLLHUP when both directions are shut (peer's FIN and our SHUT_WR) or the
   * connection failed. */
  if (((ev & SYNACK_EV_PEER_CLOSED) && s->shut_wr) || ((ev & SYNACK_EV_ERROR) && s->type == SOCK_STREAM)) r |= POLLHUP;
  return r;
}

static synack_time_t deadline_ms(int timeout) {
  return timeout < 0 ? SYNACK_TIME_NEVER : pl_now() + SYNACK_MS((unsigned)timeout);
}

static int remaining_ms(synack_time_t deadline) {
  if (deadline == SYNACK_TIME_NEVER) return -1;
  synack_time_t now = pl_now();
  if (now >= deadline) return 0;
  synack_time_t ms = (deadline - now + 999) / 1000;
  return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* ---------- poll ---------- */

/* Synack entries' revents (lock held); returns how many are ready. */
static int synack_part(struct pollfd *fds, nfds_t n) {
  int ready = 0;
  for (nfds_t i = 0; i < n; i++) {
    if (!pl_maybe(fds[i].fd)) continue;
    pl_sock_t *s = pl_get(fds[i].fd);
    if (!s) {
      fds[i].revents = POLLNVAL;
      ready++;
      continue;
    }
    fds[i].revents = (short)(pl_revents(s) & (fds[i].events | POLLERR | POLLHUP));
    if (fds[i].revents) ready++;
  }
  return ready;
}

static int poll_impl(struct pollfd *fds, nfds_t n, int timeout, const sigset_t *mask) {
  size_t nsyn = 0;
  for (nfds_t i = 0; i < n; i++) nsyn += pl_maybe(fds[i].fd);
  if (!nsyn) {
    if (!mask) return pl_real.poll(fds, n, timeout);
    struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000 };
    return pl_real.ppoll(fds, n, timeout < 0 ? NULL : &ts, mask);
  }
  /* The kernel's part: the other descriptors and the waiter, at the end. */
  size_t nk = n - nsyn;
  struct pollfd *k = malloc((nk + 1) * sizeof *k);
  nfds_t *idx = malloc((nk + 1) * sizeof *idx);
  if (!k || !idx) {
    free(k);
    free(idx);
    return pl_fail(-ENOMEM);
  }
  size_t j = 0;
  for (nfds_t i = 0; i < n; i++) {
    if (pl_maybe(fds[i].fd)) continue;
    k[j] = fds[i];
    k[j].revents = 0;
    idx[j++] = i;
  }
  pl_waiter_t *w = pl_thread_waiter();
  synack_time_t deadline = deadline_ms(timeout);
  int result;
  for (;;) {
    pl_lock();
    int ready = synack_part(fds, n);
    bool sleep = ready == 0 && timeout != 0 && w;
    if (sleep) pl_waiter_add(w);
    pl_unlock();
    int ms = sleep ? remaining_ms(deadline) : 0;
    size_t nwait = nk;
    if (sleep) k[nk] = (struct pollfd){ .fd = w->efd, .events = POLLIN };
    if (sleep) nwait++;
    int r;
    if (mask) {
      struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
      r = pl_real.ppoll(k, nwait, ms < 0 ? NULL : &ts, mask);
    } else {
      r = pl_real.poll(k, nwait, ms);
    }
    int e = errno;
    bool woken = false;
    if (sleep) {
      pl_lock();
      pl_waiter_del(w);
      pl_unlock();
      if (r > 0 && k[nk].revents) {
        pl_drain_fd(w->efd);
        woken = true;
        r--;
      }
    }
    if (r < 0) {
      errno = e;
      result = -1;
      break;
    }
    for (size_t m = 0; m < nk; m++) fds[idx[m]].revents = k[m].revents;
    if (!sleep) {
      result = ready + r;
      break;
    }
    if (r > 0) { /* kernel descriptors are ready: report the synack ones ready by now too */
      pl_lock();
      result = r + synack_part(fds, n);
      pl_unlock();
      break;
    }
    if (!woken && remaining_ms(deadline) == 0) {
      result = 0;
      break;
    }
  }
  free(k);
  free(idx);
  return result;
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
  pl_real_init();
  return poll_impl(fds, n, timeout, NULL);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen) {
  if (fdslen / sizeof *fds < n) abort();
  return poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask) {
  pl_real_init();
  int timeout = -1;
  if (ts) {
    long long ms = (long long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
    timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
  }
  size_t nsyn = 0;
  for (nfds_t i = 0; i < n; i++) nsyn += pl_maybe(fds[i].fd);
  if (!nsyn) return pl_real.ppoll(fds, n, ts, mask); /* the kernel's own precision */
  return poll_impl(fds, n, timeout, mask);
}

/* ---------- select ---------- */

int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv) {
  pl_real_init();
  bool any = false;
  for (int fd = 0; fd < nfds && fd < FD_SETSIZE && !any; fd++)
    if (pl_maybe(fd) && ((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex)))) any = true;
  if (!any) return pl_real.select(nfds, rd, wr, ex, tv);
  if (nfds > FD_SETSIZE) nfds = FD_SETSIZE;
  struct pollfd *p = calloc((size_t)nfds, sizeof *p);
  if (!p) return pl_fail(-ENOMEM);
  nfds_t n = 0;
  for (int fd = 0; fd < nfds; fd++) {
    short ev = 0;
    if (rd && FD_ISSET(fd, rd)) ev |= POLLIN;
    if (wr && FD_ISSET(fd, wr)) ev |= POLLOUT;
    if (ex && FD_ISSET(fd, ex)) ev |= POLLPRI;
    if (ev) p[n++] = (struct pollfd){ .fd = fd, .events = ev };
  }
  int timeout = -1;
  if (tv) {
    long long ms = (long long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
    timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
  }
  int r = poll_impl(p, n, timeout, NULL);
  if (r < 0) {
    free(p);
    return -1;
  }
  if (rd) FD_ZERO(rd);
  if (wr) FD_ZERO(wr);
  if (ex) FD_ZERO(ex);
  int count = 0;
  for (nfds_t i = 0; i < n; i++) {
    short re = p[i].revents;
    if (re & POLLNVAL) {
      free(p);
      return pl_fail(-EBADF);
    }
    /* select reports errors and hang-ups as readable and writable, as Linux does. */
    if (rd && (p[i].events & POLLIN) && (re & (POLLIN | POLLERR | POLLHUP))) FD_SET(p[i].fd, rd), count++;
    if (wr && (p[i].events & POLLOUT) && (re & (POLLOUT | POLLERR))) FD_SET(p[i].fd, wr), count++;
    if (ex && (p[i].events & POLLPRI) && (re & POLLPRI)) FD_SET(p[i].fd, ex), count++;
  }
  free(p);
  return count;
}

/* ---------- epoll ---------- */

/* data.u64 of the waiter's eventfd inside the real epoll instance: not a canonical user-space
 * address, so it cannot collide with a pointer a program stores there. */
#define PL_EPOLL_MAGIC UINT64_C(0x53594e41434b4550)

typedef struct {
  int fd;
  uint32_t events;
  epoll_data_t data;
  uint32_t seen_rd, seen_wr;
  bool disarmed; /* EPOLLONESHOT fired */
} pl_ereg_t;

typedef struct pl_epoll {
  int epfd;
  pl_waiter_t w;
  pl_ereg_t *regs;
  size_t n, cap;
  struct pl_epoll *next;
} pl_epoll_t;

static pl_epoll_t *epolls;     /* every shadow set (lock held) */
static atomic_bool any_epolls; /* set once the first shadow exists: the lock-free fast path */

static pl_epoll_t *shadow_of(int epfd) {
  for (pl_epoll_t *e = epolls; e; e = e->next)
    if (e->epfd == epfd) return e;
  return NULL;
}

static pl_epoll_t *shadow_make(int epfd) {
  pl_epoll_t *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->epfd = epfd;
  e->w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = PL_EPOLL_MAGIC };
  if (e->w.efd < 0 || pl_real.epoll_ctl(epfd, EPOLL_CTL_ADD, e->w.efd, &ev) < 0) {
    if (e->w.efd >= 0) pl_real.close(e->w.efd);
    free(e);
    return NULL;
  }
  pl_waiter_add(&e->w); /* every stack event pokes the set */
  e->next = epolls;
  epolls = e;
  atomic_store(&any_epolls, true);
  return e;
}

static void shadow_free(pl_epoll_t *e) {
  for (pl_epoll_t **p = &epolls; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      break;
    }
  pl_waiter_del(&e->w);
  pl_real.close(e->w.efd);
  free(e->regs);
  free(e);
}

static pl_ereg_t *reg_find(pl_epoll_t *e, int fd) {
  for (size_t i = 0; i < e->n; i++)
    if (e->regs[i].fd == fd) return &e->regs[i];
  return NULL;
}

void pl_epoll_forget(int fd) {
  /* A closed descriptor leaves every epoll set, as the kernel removes a closed file. */
  for (pl_epoll_t *e = epolls; e; e = e->next) {
    pl_ereg_t *r = reg_find(e, fd);
    if (r) *r = e->regs[--e->n];
  }
}

void pl_epoll_after_fork(void) {
  /* The kernel's epoll instance is shared with the parent, its shadow (the synack entries and the
   * wake-up eventfd the parent's waiters are poked through) is the parent's: the child starts
   * with none (docs/preload.md). */
  while (epolls) {
    pl_epoll_t *e = epolls;
    epolls = e->next;
    pl_real.close(e->w.efd);
    free(e->regs);
    free(e);
  }
}

int pl_epoll_close(int fd) {
  if (!atomic_load_explicit(&any_epolls, memory_order_relaxed)) return 0;
  pl_lock();
  pl_epoll_t *e = shadow_of(fd);
  if (e) shadow_free(e);
  pl_unlock();
  return 0;
}

static void arm(pl_ereg_t *r, const pl_sock_t *s) {
  /* Linux reports a descriptor that is ready when it is added or modified, edge-triggered too. */
  r->seen_rd = s->rd_gen - 1;
  r->seen_wr = s->wr_gen - 1;
  r->disarmed = false;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
  pl_real_init();
  pl_sock_t *s = pl_lock_get(fd);
  if (!s) return pl_real.epoll_ctl(epfd, op, fd, ev);
  int r = 0;
  pl_epoll_t *e = shadow_of(epfd);
  if (!e && op == EPOLL_CTL_ADD) {
    /* Check that epfd is an epoll instance: the kernel refuses to add a descriptor to itself. */
    e = shadow_make(epfd);
    if (!e) r = errno == EINVAL ? -EINVAL : -EBADF;
  }
  pl_ereg_t *reg = e ? reg_find(e, fd) : NULL;
  if (r == 0) {
    switch (op) {
      case EPOLL_CTL_ADD:
        if (reg) {
          r = -EEXIST;
          break;
        }
        if (!ev) {
          r = -EFAULT;
          break;
        }
        if (e->n == e->cap) {
          size_t cap = e->cap ? e->cap * 2 : 16;
          pl_ereg_t *nr = realloc(e->regs, cap * sizeof *nr);
          if (!nr) {
            r = -ENOMEM;
            break;
          }
          e->regs = nr;
          e->cap = cap;
        }
        reg = &e->regs[e->n++];
        reg->fd = fd;
        reg->events = ev->events;
        reg->data = ev->data;
        arm(reg, s);
        break;
      case EPOLL_CTL_MOD:
        if (!reg) {
          r = -ENOENT;
          break;
        }
        if (!ev) {
          r = -EFAULT;
          break;
        }
        reg->events = ev->events;
        reg->data = ev->data;
        arm(reg, s);
        break;
      case EPOLL_CTL_DEL:
        if (!reg) {
          r = -ENOENT;
          break;
        }
        *reg = e->regs[--e->n];
        break;
      default: r = -EINVAL; break;
    }
  }
  pl_unlock();
  return r < 0 ? pl_fail(r) : 0;
}

/* The synack entries ready now (lock held), at most max. */
static int collect(pl_epoll_t *e, struct epoll_event *out, int max) {
  int n = 0;
  for (size_t i = 0; i < e->n && n < max; i++) {
    pl_ereg_t *r = &e->regs[i];
    if (r->disarmed) continue;
    pl_sock_t *s = pl_get(r->fd);
    if (!s) continue;
    uint32_t want = r->events | EPOLLERR | EPOLLHUP;
    uint32_t rev = (uint32_t)(uint16_t)pl_revents(s) & want;
    if (r->events & EPOLLET) {
      /* Only what changed since the last report: a new event of the stack since then. */
      uint32_t rd_bits = EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLPRI | EPOLLERR | EPOLLHUP;
      if (s->rd_gen == r->seen_rd) rev &= ~rd_bits;
      if (s->wr_gen == r->seen_wr) rev &= ~(uint32_t)(EPOLLOUT | EPOLLWRNORM);
    }
    if (!rev) continue;
    r->seen_rd = s->rd_gen;
    r->seen_wr = s->wr_gen;
    if (r->events & EPOLLONESHOT) r->disarmed = true;
    out[n].events = rev;
    out[n].data = r->data;
    n++;
  }
  return n;
}

/* Removes the waiter's entry from what the kernel returned. */
static int strip_magic(pl_epoll_t *e, struct epoll_event *ev, int n, bool *woken) {
  int j = 0;
  for (int i = 0; i < n; i++) {
    if (ev[i].data.u64 == PL_EPOLL_MAGIC) {
      pl_drain_fd(e->w.efd);
      *woken = true;
      continue;
    }
    ev[j++] = ev[i];
  }
  return j;
}

static int real_wait(int epfd, struct epoll_event *out, int max, int timeout, const sigset_t *mask, bool pwait,
                     const struct timespec *ts2) {
  if (ts2) return pl_real.epoll_pwait2(epfd, out, max, timeout < 0 ? NULL : ts2, mask);
  return pwait ? pl_real.epoll_pwait(epfd, out, max, timeout, mask) : pl_real.epoll_wait(epfd, out, max, timeout);
}

/* ts2: epoll_pwait2's own timeout, handed to the kernel when no synack socket is involved. */
static int epoll_impl(int epfd, struct epoll_event *out, int max, int timeout, const sigset_t *mask, bool pwait,
                      const struct timespec *ts2) {
  if (!atomic_load_explicit(&any_epolls, memory_order_relaxed)) goto real;
  pl_lock();
  pl_epoll_t *e = shadow_of(epfd);
  pl_unlock();
  if (!e) goto real;
  if (max <= 0) return pl_fail(-EINVAL);
  synack_time_t deadline = deadline_ms(timeout);
  for (;;) {
    pl_lock();
    e = shadow_of(epfd);
    int n = e ? collect(e, out, max) : 0;
    pl_unlock();
    if (!e) return pl_fail(-EBADF);
    /* The kernel's descriptors are looked at on every call, so synack sockets never starve them. */
    int ms = n ? 0 : remaining_ms(deadline);
    int r = pwait ? pl_real.epoll_pwait(epfd, out + n, max - n, ms, mask) : pl_real.epoll_wait(epfd, out + n, max - n, ms);
    if (r < 0) {
      if (n) return n;
      return -1;
    }
    bool woken = false;
    r = strip_magic(e, out + n, r, &woken);
    if (n + r > 0) return n + r;
    if (!woken && remaining_ms(deadline) == 0) return 0;
  }
real:
  return real_wait(epfd, out, max, timeout, mask, pwait, ts2);
}

int epoll_wait(int epfd, struct epoll_event *out, int max, int timeout) {
  pl_real_init();
  return epoll_impl(epfd, out, max, timeout, NULL, false, NULL);
}

int epoll_pwait(int epfd, struct epoll_event *out, int max, int timeout, const sigset_t *mask) {
  pl_real_init();
  return epoll_impl(epfd, out, max, timeout, mask, true, NULL);
}

int epoll_pwait2(int epfd, struct epoll_event *out, int max, const struct timespec *ts, const sigset_t *mask) {
  pl_real_init();
  if (!pl_real.epoll_pwait2) return pl_fail(-ENOSYS); /* a C library without it */
  int timeout = -1;
  if (ts) {
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) return pl_fail(-EINVAL);
    /* Whole milliseconds, rounded up: with synack sockets in the set the wait is emulated. */
    long long ms = (long long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
    timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
  }
  static const struct timespec forever;
  return epoll_impl(epfd, out, max, timeout, mask, true, ts ? ts : &forever);
}

/* Epoll instances are the kernel's own; these two only make sure pl_real is resolved early. */
int epoll_create(int size) {
  pl_real_init();
  return pl_real.epoll_create(size);
}

int epoll_create1(int flags) {
  pl_real_init();
  return pl_real.epoll_create1(flags);
}
