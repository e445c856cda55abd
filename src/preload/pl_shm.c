/* fork(): one stack shared by a process and its children (docs/preload.md, "fork").
 *
 * The choice: the stack, every synack socket and the lock live in one shared anonymous mapping
 * made before the first socket, so a forked child inherits them at the same addresses, exactly
 * as it inherits a kernel socket. Any process calls into the stack under the process-shared lock
 * and writes the frames it produced on the inherited TAP descriptor; the TAP loop (frames in,
 * timers) keeps running on the thread of the process that created the stack. A socket is
 * referenced by the processes holding a descriptor for it (one bit per process slot, the kernel's
 * file reference count): close() in one process drops that process's reference, and the stack
 * closes the connection when the last one goes.
 *
 * Wake-ups cross processes through one AF_UNIX datagram socket per process slot, bound to an
 * abstract name any process can reach without sharing a descriptor: whoever drains the stack's
 * events sends a byte to every other live slot, whose relay thread (the loop thread in the
 * creating process) then wakes the threads and epoll sets waiting in that process. A slot whose
 * socket is gone (the process exited or exec'd: the socket is close-on-exec) refuses the datagram;
 * it is then reaped and its references dropped. */
#include "preload.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <unistd.h>

#define PL_SHM_CLASSES 40
#define PL_SHM_HEAD 4096u

typedef struct pl_shm {
  pthread_mutex_t mu;
  bool sleeping;                /* the loop sleeps (without the lock) until sleep_until */
  synack_time_t sleep_until;
  pid_t root_pid;               /* names the wake sockets of this family of processes */
  int loop_slot;                /* the slot whose thread runs the TAP loop, -1 = none (handed over) */
  uint64_t slots;               /* bit i: process slot i is in use */
  pid_t pid[PL_SLOTS];
  size_t brk, size;             /* arena bytes handed out, arena size */
  void *free_list[PL_SHM_CLASSES];
} pl_shm_t;

static pl_shm_t *shm;
static pthread_mutex_t early_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *mu = &early_mu;

/* ---------- the lock ---------- */

void pl_lock(void) {
  /* Robust: a process that died holding the lock (killed in a call) hands it on; the stack's
   * state is whatever that call left, which beats every other process hanging forever. */
  if (pthread_mutex_lock(mu) == EOWNERDEAD) pthread_mutex_consistent(mu);
}
void pl_unlock(void) { pthread_mutex_unlock(mu); }

int pl_shm_loop_slot(void) { return shm ? shm->loop_slot : 0; }
void pl_shm_set_loop_slot(int slot) { shm->loop_slot = slot; }
bool pl_shm_others(void) { return (shm->slots & ~(UINT64_C(1) << pl.slot)) != 0; }

bool pl_shm_sleeping(synack_time_t *until) {
  *until = shm->sleep_until;
  return shm->sleeping;
}
void pl_shm_set_sleep(bool sleeping, synack_time_t until) {
  shm->sleeping = sleeping;
  shm->sleep_until = until;
}

/* ---------- the arena: the stack's allocator (lock held) ---------- */

static unsigned size_class(size_t n) {
  unsigned c = 4; /* 16 bytes: room for the free list's link */
  while (((size_t)1 << c) < n) c++;
  return c;
}

void *pl_shm_alloc(void *user, size_t n) {
  (void)user;
  unsigned c = size_class(n);
  if (c >= PL_SHM_CLASSES) return NULL;
  size_t sz = (size_t)1 << c;
  void *p = shm->free_list[c];
  if (p) {
    shm->free_list[c] = *(void **)p;
    memset(p, 0, sz);
    return p;
  }
  size_t align = sz < 4096 ? sz : 4096;
  size_t at = (shm->brk + align - 1) & ~(align - 1);
  if (at + sz > shm->size) return NULL;
  shm->brk = at + sz;
  return (uint8_t *)shm + at; /* never used yet: the mapping's pages are zero */
}

void pl_shm_free(void *user, void *p, size_t n) {
  (void)user;
  if (!p) return;
  unsigned c = size_class(n);
  *(void **)p = shm->free_list[c];
  shm->free_list[c] = p;
}

int pl_shm_init(size_t bytes) {
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return -errno;
  shm = m;
  shm->size = bytes;
  shm->brk = PL_SHM_HEAD;
  shm->root_pid = getpid();
  shm->slots = 1; /* slot 0: this process */
  shm->pid[0] = getpid();
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  int r = pthread_mutex_init(&shm->mu, &a);
  pthread_mutexattr_destroy(&a);
  if (r != 0) return -r;
  mu = &shm->mu;
  pl.slot = 0;
  return 0;
}

uint64_t pl_shm_tag(int h) {
  uint32_t family = 0x5a000000u | ((uint32_t)shm->root_pid & 0xffffffu);
  return ((uint64_t)family << 32) | (uint32_t)(h + 1);
}

bool pl_sock_held(const pl_sock_t *s) {
  if (s->inflight) return true;
  for (int i = 0; i < PL_SLOTS; i++)
    if (s->refs[i]) return true;
  return false;
}

pl_sock_t *pl_sock_alloc(void) {
  pl_sock_t *s = pl_shm_alloc(NULL, sizeof *s);
  if (s) s->refs[pl.slot] = 1;
  return s;
}

void pl_sock_free(pl_sock_t *s) {
  if (s->local) free(s);
  else pl_shm_free(NULL, s, sizeof *s);
}

/* ---------- wake sockets ---------- */

static socklen_t wake_name(int slot, struct sockaddr_un *a) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  /* Abstract (sun_path[0] = 0): no file, reachable by any process of the namespace. */
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "synack-preload/%d/%d", (int)shm->root_pid, slot);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* A datagram socket bound to slot's name (close-on-exec: an exec'd process has left the family). */
static int wake_open(int slot) {
  int fd = pl_real.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un a;
  socklen_t len = wake_name(slot, &a);
  if (pl_real.bind(fd, (struct sockaddr *)&a, len) < 0) {
    pl_real.close(fd);
    return -1;
  }
  return fd;
}

int pl_shm_wake_open_root(void) {
  pl.wsock = wake_open(0);
  return pl.wsock;
}

bool pl_shm_drain_wake(void) {
  char b[16];
  bool any = false;
  for (int i = 0; i < 1024 && pl_real.recv(pl.wsock, b, sizeof b, MSG_DONTWAIT) >= 0; i++) any = true;
  return any;
}

/* Drops slot's references (lock held): the process is gone, so are its descriptors. */
static void reap(int slot) {
  uint64_t bit = UINT64_C(1) << slot;
  for (uint32_t h = 0; h < pl.nh; h++) {
    pl_sock_t *s = pl.byh[h];
    if (!s || !s->refs[slot]) continue;
    s->refs[slot] = 0;
    if (!pl_sock_held(s)) pl_sock_release_last(s);
  }
  shm->slots &= ~bit;
  shm->pid[slot] = 0;
  /* A process killed while it ran the loop: the next one to look takes it over. */
  if (shm->loop_slot == slot) shm->loop_slot = -1;
  if (pl.debug) pl_log("synack-preload: process slot %d left, references dropped", slot);
}

/* Sends slot a wake-up byte; reaps it when its name refuses (lock held). */
static void wake_slot(int i) {
  struct sockaddr_un a;
  socklen_t len = wake_name(i, &a);
  char one = 1;
  if (pl_real.sendto(pl.wsock, &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a, len) < 0 &&
      (errno == ECONNREFUSED || errno == ENOENT))
    reap(i);
  /* EAGAIN: its queue is full, so a wake-up is pending already. */
}

void pl_shm_wake_others(void) {
  if (pl.wsock < 0) return;
  uint64_t others = shm->slots & ~(UINT64_C(1) << pl.slot);
  for (int i = 0; others && i < PL_SLOTS; i++) {
    if (!(others & (UINT64_C(1) << i))) continue;
    others &= ~(UINT64_C(1) << i);
    wake_slot(i);
  }
}

/* ---------- the relay thread of a child ---------- */

static bool relay_started;

static void *relay_main(void *arg) {
  (void)arg;
  for (;;) {
    struct pollfd p = { .fd = pl.wsock, .events = POLLIN };
    int r = pl_real.poll(&p, 1, 1000);
    if (r == 0) {
      /* Once a second: is the process running the loop still there (killed: reap it, and the
       * loop starts here)? */
      pl_lock();
      int owner = shm->loop_slot;
      if (owner >= 0 && owner != pl.slot) wake_slot(owner);
      pl_loop_takeover();
      pl_unlock();
      continue;
    }
    if (r < 0 || !pl_shm_drain_wake()) continue;
    pl_lock();
    pl_loop_takeover(); /* the loop's process has exited: run it here */
    pl_poke_local();
    pl_unlock();
  }
  return NULL;
}

void pl_shm_ensure_relay(void) {
  if (pl.slot <= 0 || relay_started || pl.wsock < 0) return;
  relay_started = true;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  if (pthread_create(&t, NULL, relay_main, NULL) == 0) pthread_detach(t);
  else relay_started = false;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---------- fork ---------- */

static int child_slot = -1, child_wsock = -1;

/* In the parent, lock held across the fork: the future child gets a slot, its wake socket (made
 * here, so that the name exists from the start: a child that never runs a synack call is not
 * mistaken for a dead one) and a reference on every socket this process holds. */
static void fork_prepare(void) {
  pl_lock();
  child_slot = -1;
  if (pl.forked) return; /* a detached process has no share in the stack to pass on */
  for (int i = 1; i < PL_SLOTS; i++)
    if (!(shm->slots & (UINT64_C(1) << i))) {
      child_slot = i;
      break;
    }
  if (child_slot < 0) return;
  child_wsock = wake_open(child_slot);
  if (child_wsock < 0) {
    child_slot = -1;
    return;
  }
  shm->slots |= UINT64_C(1) << child_slot;
  shm->pid[child_slot] = 0;
  for (int fd = 0; fd < PL_MAX_FDS; fd++) {
    pl_sock_t *s = pl_get(fd);
    if (s && !s->local) s->refs[child_slot]++; /* one per inherited descriptor */
  }
}

/* The parent's copy of the child's wake socket goes; if fork failed, it was the only one and the
 * slot is reaped at the next wake-up. */
static void fork_parent(void) {
  if (child_wsock >= 0) pl_real.close(child_wsock);
  child_wsock = -1;
  pl_unlock();
}

/* Process-private state only: the lock is the parent's to release. */
static void fork_child(void) {
  pl.waiters.next = pl.waiters.prev = NULL;
  relay_started = false;
  pl_waiter_t *w = pl_thread_waiter_peek();
  if (w) { /* the inherited eventfd is the parent thread's: this thread needs its own */
    pl_real.close(w->efd);
    w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  pl_epoll_after_fork();
  if (pl.wsock >= 0) pl_real.close(pl.wsock);
  pl.wsock = -1;
  if (child_slot < 0 || pl.forked) {
    /* No slot (more than PL_SLOTS - 1 processes): detached, every inherited socket is dead. */
    pl.forked = true;
    for (int fd = 0; fd < PL_MAX_FDS; fd++) {
      pl_sock_t *s = pl_get(fd);
      if (!s || s->local) continue;
      pl_sock_t *d = calloc(1, sizeof *d);
      if (d) {
        *d = *s;
        d->h = -1;
        d->local = true;
      }
      atomic_store(&pl_fds[fd], d);
    }
    return;
  }
  pl.slot = child_slot;
  pl.wsock = child_wsock;
  shm->pid[child_slot] = getpid();
}

void pl_shm_atfork(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

/* Every second, the loop thread looks for processes that left without a word (killed, exec'd). */
void pl_shm_probe(void) { pl_shm_wake_others(); }
