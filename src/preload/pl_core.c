/* The stack of libsynack-preload.so: configured from the environment on the first AF_INET /
 * AF_INET6 socket, run by a background thread on its TAP loop, shared with the program's
 * threads under one mutex. */
#include "preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

pl_real_t pl_real;
pl_state_t pl = { .wake_fd = -1, .slot = -1, .wsock = -1 };
_Atomic(pl_sock_t *) pl_fds[PL_MAX_FDS];

static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static void resolve_real(void) {
#define PL_REAL_RESOLVE(ret, name, args) *(void **)&pl_real.name = dlsym(RTLD_NEXT, #name);
  PL_REAL_LIST(PL_REAL_RESOLVE)
#undef PL_REAL_RESOLVE
}
void pl_real_init(void) { pthread_once(&real_once, resolve_real); }

void pl_log(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  pl_real_init();
  ssize_t w = pl_real.write(2, buf, (size_t)n);
  (void)w;
}

int pl_fail(int64_t neg) {
  errno = (int)-neg;
  return -1;
}

synack_time_t pl_now(void) { return synack_tap_now(); }

pl_sock_t *pl_get(int fd) {
  if (fd < 0 || fd >= PL_MAX_FDS) return NULL;
  return atomic_load_explicit(&pl_fds[fd], memory_order_relaxed);
}

pl_sock_t *pl_lock_get(int fd) {
  if (!pl_maybe(fd)) return NULL;
  pl_lock();
  pl_sock_t *s = pl_get(fd);
  if (!s) pl_unlock();
  return s;
}

void pl_attach(int fd, pl_sock_t *s) {
  if (s->h >= 0 && (uint32_t)s->h < pl.nh) pl.byh[s->h] = s;
  atomic_store_explicit(&pl_fds[fd], s, memory_order_release);
}

void pl_detach_local(int fd) {
  atomic_store_explicit(&pl_fds[fd], NULL, memory_order_release);
  pl_epoll_forget(fd);
}

int pl_sock_release_last(pl_sock_t *s) {
  int r = 0;
  if (s->h >= 0 && !s->local) {
    r = s->type == SOCK_STREAM ? synack_close(pl.st, pl_now(), s->h) : synack_udp_close(pl.st, s->h);
    if ((uint32_t)s->h < pl.nh && pl.byh[s->h] == s) pl.byh[s->h] = NULL;
  }
  pl_sock_free(s);
  return r;
}

int pl_drop(pl_sock_t *s) {
  if (s->local) return pl_sock_release_last(s);
  /* Like the kernel's file references: other processes may still hold the socket after a fork. */
  if (s->refs[pl.slot]) s->refs[pl.slot]--;
  return pl_sock_held(s) ? 0 : pl_sock_release_last(s);
}

void pl_drain_fd(int fd) {
  uint64_t v;
  ssize_t r = pl_real.read(fd, &v, sizeof v);
  (void)r;
}

static void poke(int fd) {
  uint64_t one = 1;
  ssize_t r = pl_real.write(fd, &one, sizeof one);
  (void)r;
}

/* ---------- waiters ---------- */

void pl_waiter_add(pl_waiter_t *w) {
  pl_shm_ensure_relay(); /* a forked child: its waiters need the relay of cross-process wake-ups */
  if (pl_shm_loop_slot() < 0) pl_loop_takeover();
  if (!pl.waiters.next) pl.waiters.next = pl.waiters.prev = &pl.waiters;
  w->next = pl.waiters.next;
  w->prev = &pl.waiters;
  pl.waiters.next->prev = w;
  pl.waiters.next = w;
}

void pl_waiter_del(pl_waiter_t *w) {
  if (!w->next) return;
  w->prev->next = w->next;
  w->next->prev = w->prev;
  w->next = w->prev = NULL;
}

static pthread_key_t waiter_key;
static pthread_once_t waiter_once = PTHREAD_ONCE_INIT;
static void waiter_free(void *p) {
  pl_waiter_t *w = p;
  pl_real.close(w->efd);
  free(w);
}
static void waiter_key_make(void) { pthread_key_create(&waiter_key, waiter_free); }

pl_waiter_t *pl_thread_waiter_peek(void) {
  pthread_once(&waiter_once, waiter_key_make);
  return pthread_getspecific(waiter_key);
}

pl_waiter_t *pl_thread_waiter(void) {
  pthread_once(&waiter_once, waiter_key_make);
  pl_waiter_t *w = pthread_getspecific(waiter_key);
  if (w) return w;
  w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->efd < 0) {
    free(w);
    return NULL;
  }
  pthread_setspecific(waiter_key, w);
  return w;
}

int pl_wait(synack_time_t deadline) {
  pl_waiter_t *w = pl_thread_waiter();
  if (!w) return -ENOMEM;
  synack_time_t now = pl_now();
  if (deadline != SYNACK_TIME_NEVER && now >= deadline) return -EAGAIN;
  int ms = -1;
  if (deadline != SYNACK_TIME_NEVER) ms = (int)((deadline - now + 999) / 1000);
  pl_waiter_add(w);
  pl_unlock();
  struct pollfd p = { .fd = w->efd, .events = POLLIN };
  int r = pl_real.poll(&p, 1, ms);
  int e = errno;
  pl_lock();
  pl_waiter_del(w);
  if (r > 0) pl_drain_fd(w->efd);
  if (r < 0) return e == EINTR ? -EINTR : -e;
  return 0;
}

/* ---------- events ---------- */

void pl_pump_events(void) {
  synack_event_t ev;
  bool any = false;
  while (synack_stack_next_event(pl.st, &ev)) {
    if (ev.sock < 0 || (uint32_t)ev.sock >= pl.nh) continue;
    pl_sock_t *s = pl.byh[ev.sock];
    if (!s) continue;
    if (ev.events & (SYNACK_EV_READABLE | SYNACK_EV_PEER_CLOSED | SYNACK_EV_ERROR | SYNACK_EV_URGENT)) s->rd_gen++;
    if (ev.events & (SYNACK_EV_WRITABLE | SYNACK_EV_CONNECTED | SYNACK_EV_ERROR)) s->wr_gen++;
    any = true;
  }
  if (!any) return;
  pl_poke_local();
  pl_shm_wake_others();
}

void pl_poke_local(void) {
  if (!pl.waiters.next) return;
  for (pl_waiter_t *w = pl.waiters.next; w != &pl.waiters; w = w->next) poke(w->efd);
}

void pl_after(void) {
  if (pl.forked) return; /* a detached child has no share in the stack */
  if (pl_shm_loop_slot() < 0) pl_loop_takeover(); /* the loop's process has exited */
  /* Any process of the family writes the frames it produced on the inherited TAP descriptor. */
  synack_tap_loop_flush(pl.loop, pl.st);
  pl_pump_events();
  synack_time_t until;
  if (pl_shm_sleeping(&until) && synack_stack_next_deadline(pl.st) < until) {
    pl_shm_set_sleep(true, 0); /* one wake-up is enough */
    poke(pl.wake_fd);
  }
}

/* ---------- the loop thread ---------- */

static void sleep_hook(void *user, bool sleeping, synack_time_t until) {
  (void)user;
  if (sleeping) {
    pl_shm_set_sleep(true, until);
    pl_unlock();
  } else {
    pl_lock();
    pl_shm_set_sleep(false, 0);
  }
}

static void *loop_main(void *arg);

/* The loop thread (lock held, or before any other thread uses the stack). 0 or -errno. */
static int loop_thread_start(void) {
  atomic_store(&pl.stopping, false);
  /* The loop thread takes no signals: they belong to the program's threads. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&pl.thread, NULL, loop_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return -rc;
}

void pl_loop_takeover(void) {
  if (pl.forked || pl.exiting || pl.slot < 0 || pl_shm_loop_slot() != -1) return;
  if (loop_thread_start() < 0) return; /* another process may do it */
  pl_shm_set_loop_slot(pl.slot);
  if (pl.debug) pl_log("synack-preload: pid %d takes over the loop", (int)getpid());
}

static void *loop_main(void *arg) {
  (void)arg;
  pl_lock();
  synack_time_t probe = pl_now() + SYNACK_SEC(1);
  while (!atomic_load(&pl.stopping)) {
    int r = synack_tap_loop_run(pl.loop, pl.st, SYNACK_SEC(1));
    if (r > 0) {
      pl_drain_fd(pl.wake_fd);
      /* Another process of the family drained events: wake this process's waiters. */
      if (pl_shm_drain_wake()) pl_poke_local();
    }
    pl_pump_events();
    if (pl_now() >= probe) {
      pl_shm_probe();
      probe = pl_now() + SYNACK_SEC(1);
    }
    if (r < 0) {
      /* The loop's own epoll failed: say so once, and do not spin on the error. */
      static bool told;
      if (!told) pl_log("synack-preload: event loop: %s", strerror(-r));
      told = true;
      pl_unlock();
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep(&ts, NULL);
      pl_lock();
    }
  }
  pl_unlock();
  return NULL;
}

/* ---------- configuration ---------- */

static unsigned long env_num(const char *name, unsigned long def, unsigned long lo, unsigned long hi) {
  const char *v = getenv(name);
  if (!v || !*v) return def;
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  if (*end || n < lo || n > hi) {
    pl_log("synack-preload: %s=%s out of range [%lu, %lu], using %lu", name, v, lo, hi, def);
    return def;
  }
  return n;
}

/* Fills cfg from SYNACK_ADDR, SYNACK_ADDR6, SYNACK_GW, SYNACK_GW6, SYNACK_MAC, SYNACK_MTU,
 * SYNACK_MAX_SOCKETS, SYNACK_PROFILE. -EINVAL (and a message) on a bad value. */
static int config_from_env(synack_config_t *cfg) {
  synack_config_default(cfg);
  const char *profile = getenv("SYNACK_PROFILE");
  if (profile && *profile && synack_config_preset(cfg, profile) != 0) {
    pl_log("synack-preload: unknown SYNACK_PROFILE '%s' (rfc, linux, freebsd)", profile);
    return -EINVAL;
  }
  cfg->link = SYNACK_LINK_ETHERNET;
  /* Locally administered, distinct from the CLI's default so both can share a bridge. */
  const uint8_t mac[6] = { 0x02, 0x53, 0x4b, 0x00, 0x00, 0x50 };
  memcpy(cfg->mac.b, mac, 6);
  const char *v;
  if ((v = getenv("SYNACK_MAC")) && *v && synack_mac_parse(v, &cfg->mac) != 0) {
    pl_log("synack-preload: bad SYNACK_MAC '%s'", v);
    return -EINVAL;
  }
  if ((v = getenv("SYNACK_ADDR")) && *v && synack_ip_parse_prefix(v, SYNACK_AF_INET, &cfg->ip4, &cfg->ip4_prefix) != 0) {
    pl_log("synack-preload: bad SYNACK_ADDR '%s' (want a.b.c.d/prefix)", v);
    return -EINVAL;
  }
  if ((v = getenv("SYNACK_ADDR6")) && *v && synack_ip_parse_prefix(v, SYNACK_AF_INET6, &cfg->ip6, &cfg->ip6_prefix) != 0) {
    pl_log("synack-preload: bad SYNACK_ADDR6 '%s' (want an IPv6 address/prefix)", v);
    return -EINVAL;
  }
  static const char *const gws[] = { "SYNACK_GW", "SYNACK_GW6" };
  for (size_t i = 0; i < 2; i++) {
    if (!(v = getenv(gws[i])) || !*v) continue;
    synack_ip_t g;
    if (synack_ip_parse(v, &g) != 0) {
      pl_log("synack-preload: bad %s '%s'", gws[i], v);
      return -EINVAL;
    }
    if (g.family == SYNACK_AF_INET) cfg->ip4_gateway = g;
    else cfg->ip6_gateway = g;
  }
  if (!cfg->ip4.family && !cfg->ip6.family) {
    pl_log("synack-preload: SYNACK_TAP is set but neither SYNACK_ADDR nor SYNACK_ADDR6");
    return -EINVAL;
  }
  cfg->mtu = (uint32_t)env_num("SYNACK_MTU", 1500, 576, 65000);
  cfg->max_sockets = (uint32_t)env_num("SYNACK_MAX_SOCKETS", 4096, 16, 1u << 20);
  cfg->name = "preload";
  /* Secrets come from the kernel, always: this stack faces a real network. */
  cfg->random = synack_random_os;
  return 0;
}

/* ---------- start and stop ---------- */

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static int start_err;

static void stop_at_exit(void);

static void start(void) {
  pl_real_init();
  const char *tap = getenv("SYNACK_TAP");
  pl.debug = getenv("SYNACK_DEBUG") && *getenv("SYNACK_DEBUG") && strcmp(getenv("SYNACK_DEBUG"), "0") != 0;
  if (!tap || !*tap) {
    start_err = -ENOSYS;
    return;
  }
  synack_config_t cfg;
  if ((start_err = config_from_env(&cfg)) < 0) return;
  synack_tap_loop_cfg_t lc;
  synack_tap_loop_cfg_default(&lc);
  lc.ifname = tap;
  const char *off = getenv("SYNACK_OFFLOAD");
  lc.offload = !(off && strcmp(off, "0") == 0);
  const char *pcap = getenv("SYNACK_PCAP");
  lc.pcap_path = pcap && *pcap ? pcap : NULL;
  int err;
  pl.loop = synack_tap_loop_new(&lc, &err);
  if (!pl.loop) {
    pl_log("synack-preload: cannot open TAP '%s'%s: %s", tap, lc.pcap_path ? " or the capture" : "", strerror(-err));
    start_err = err < 0 ? err : -ENODEV;
    return;
  }
  synack_tap_loop_tune_config(pl.loop, &cfg);
  /* The stack lives in a shared mapping, so that forked children share it (pl_shm.c). */
  size_t shm_mb = env_num("SYNACK_SHM_MB", 2048, 64, 1u << 20);
  int e = pl_shm_init(shm_mb << 20);
  if (e < 0) {
    pl_log("synack-preload: cannot map %zu MiB of shared memory: %s", shm_mb, strerror(-e));
    start_err = e;
    return;
  }
  cfg.allocator.alloc = pl_shm_alloc;
  cfg.allocator.free = pl_shm_free;
  pl.st = synack_stack_new(&cfg, pl_now());
  if (!pl.st) {
    const char *why = synack_config_problem(&cfg);
    pl_log("synack-preload: cannot create the stack: %s", why ? why : "out of memory");
    start_err = -ENOMEM;
    return;
  }
  pl.nh = cfg.max_sockets;
  pl.byh = pl_shm_alloc(NULL, pl.nh * sizeof *pl.byh);
  pl.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!pl.byh || pl.wake_fd < 0 || synack_tap_loop_watch_fd(pl.loop, pl.wake_fd) < 0 || pl_shm_wake_open_root() < 0 ||
      synack_tap_loop_watch_fd(pl.loop, pl.wsock) < 0) {
    start_err = -ENOMEM;
    return;
  }
  synack_tap_loop_set_sleep_hook(pl.loop, sleep_hook, NULL);
  int rc = loop_thread_start();
  if (rc < 0) {
    start_err = rc;
    return;
  }
  atexit(stop_at_exit);
  pl_shm_atfork();
  if (pl.debug) {
    const synack_tap_t *t = synack_tap_loop_tap(pl.loop);
    pl_log("synack-preload: stack on %s (%s), pid %d", synack_tap_name(t),
           synack_tap_offload(t) ? "offload" : "plain frames", (int)getpid());
  }
}

int pl_start(void) {
  pthread_once(&start_once, start);
  return start_err;
}

/* At exit: a connection the program closed may still hold data the peer has not acknowledged
 * (a kernel socket would outlive the process and deliver it). Give such connections up to
 * SYNACK_EXIT_LINGER_MS (default 2000) to finish, then stop the loop. */
static void stop_at_exit(void) {
  if (pl.forked) return;
  pl_lock();
  pl.exiting = true;
  pl_shm_probe(); /* reap the processes that have gone: they hold nothing any more */
  bool owner = pl_shm_loop_slot() == pl.slot;
  if (!owner || pl_shm_others()) {
    /* Other processes share the stack: this one's descriptors go as a process's do at exit. */
    for (int fd = 0; fd < PL_MAX_FDS; fd++) {
      pl_sock_t *s = pl_get(fd);
      if (s) pl_sock_close_locked(fd, s);
    }
    if (!owner) {
      pl_unlock();
      return;
    }
    /* The loop runs here: stop it and hand it over (nginx's `daemon on`: the process that
     * opened the sockets forks the master and exits). The first process of the family that
     * wakes or calls into the stack starts it again on a thread of its own. */
    atomic_store(&pl.stopping, true);
    poke(pl.wake_fd);
    pl_unlock();
    pthread_join(pl.thread, NULL);
    pl_lock();
    pl_shm_set_loop_slot(-1);
    pl_shm_wake_others();
    pl_unlock();
    if (pl.debug) pl_log("synack-preload: pid %d exits: the loop is handed over", (int)getpid());
    return;
  }
  pl_unlock();
  synack_time_t end = pl_now() + SYNACK_MS(env_num("SYNACK_EXIT_LINGER_MS", 2000, 0, 600000));
  pl_lock();
  for (;;) {
    synack_conn_entry_t e[64];
    size_t n = synack_conn_table(pl.st, e, 64), busy = 0;
    for (size_t i = 0; i < n && i < 64; i++)
      if (e[i].kind == SYNACK_CONN_SOCKET && e[i].sock < 0 && e[i].state != SYNACK_TCP_TIME_WAIT) busy++;
    synack_time_t now = pl_now();
    if (!busy || now >= end) break;
    /* Orphans report no events: look again every 20 ms. */
    pl_wait(now + SYNACK_MS(20) < end ? now + SYNACK_MS(20) : end);
  }
  atomic_store(&pl.stopping, true);
  poke(pl.wake_fd);
  pl_unlock();
  pthread_join(pl.thread, NULL);
  if (pl.debug) {
    const synack_tap_loop_stats_t *s = synack_tap_loop_stats(pl.loop);
    pl_log("synack-preload: exit: frames in %llu out %llu, write errors %llu", (unsigned long long)s->frames_in,
           (unsigned long long)s->frames_out, (unsigned long long)s->write_errors);
  }
  /* The stack and the TAP are left to the process's end: another atexit handler or a thread
   * still running may call into the library after this one. */
}
