#define _GNU_SOURCE /* unshare, setns, accept4, ppoll */
/* The kernel target of `synack drill --target=kernel` (docs/drill.md "Targets"): the script's
 * system calls run on real sockets of the host's Linux kernel, the way packetdrill does it.
 *
 * Each run gets a network namespace of its own (unshare(CLONE_NEWNET): nothing is named, so
 * nothing is left behind when the process ends, whatever the reason) holding `lo` and a TUN
 * device `tun0` (IFF_TUN | IFF_NO_PI, offloads off, so the kernel hands over plain segments with
 * full checksums). The local address sits on tun0 and the peer's address is routed into it.
 * `<` packets (built by drill_pkt.c, checksums computed) are written into the TUN; what the
 * kernel sends is read from it and compared by the same engine. Time is the wall clock
 * (CLOCK_MONOTONIC): script time 0 is when the stack "starts" (the first event that needs it).
 *
 * Sockets are always non-blocking in the kernel: the engine emulates blocking calls by retrying
 * them (drill_call.c), exactly as on the synack target, and waits in ppoll() on the TUN and the
 * sockets of the calls it retries. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drill_int.h"

extern char **environ;

#define KTUN_NAME "tun0"
#define KTUN_MAX_PKT 65600
#define KSPIN_GUARD_US 1000 /* longest sleep while a retried call has no socket event to wait on */
#define KSLIP_US 500        /* waking later than this past a due time moves the script's clock */

_Static_assert(POLLIN == D_POLLIN && POLLOUT == D_POLLOUT && POLLERR == D_POLLERR && POLLHUP == D_POLLHUP &&
                   POLLRDNORM == D_POLLRDNORM && POLLWRNORM == D_POLLWRNORM && POLLRDHUP == D_POLLRDHUP,
               "the runner's poll bits are Linux's");

/* SIOCSIFADDR on an AF_INET6 socket takes this (the kernel's struct in6_ifreq, whose header
 * clashes with the C library's). */
struct k_in6_ifreq {
  struct in6_addr ifr6_addr;
  uint32_t ifr6_prefixlen;
  int ifr6_ifindex;
};

typedef struct {
  int tun;
  int cap;       /* packet socket on tun0: what the kernel sends, with its transmit time */
  int64_t real_minus_mono; /* CLOCK_REALTIME - CLOCK_MONOTONIC (us): the stamps are real time */
  int orig_ns;   /* the namespace to return to when the run ends */
  int64_t mono0; /* CLOCK_MONOTONIC (us) of script time 0 */
  unsigned slips;   /* times the script's clock moved (the runner woke late) */
  char sock_cc[16]; /* congestion control set on each socket (not allowed as the namespace's default) */
  /* MSG_ZEROCOPY: the kernel sends from the caller's pages until the send completes, so each
   * such buffer lives until the run ends (the sockets are closed first) */
  uint8_t **zc_bufs;
  size_t nzc;
  /* every socket of the run, edge-triggered: its events are the kernel's wakeups, which the
   * runner's edge-triggered epoll emulation waits for (drill_epoll.c) */
  int wake_ep;
  uint8_t pkt[KTUN_MAX_PKT];
} kern_t;

/* A lingering close() running in a thread of its own (k_close_linger_start). */
typedef struct {
  int fd, rc;
  atomic_int state;   /* 0 waiting, 1 returned, 2 abandoned by the run */
  atomic_int started; /* the thread is about to call close() (at t0, CLOCK_MONOTONIC us) */
  int64_t t0;
  int efd;            /* eventfd written when close() returned: the runner's ppoll wakes at once */
  pthread_t tid;
} klinger_t;

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void k_clock(drill_run_t *r) {
  const kern_t *k = r->kern;
  synack_time_t t = r->base + (synack_time_t)(mono_us() - k->mono0);
  if (t > r->now) r->now = t;
}

/* ---------------------------------------------------------------- the namespace */

/* 198.18.0.0/15 and fd00::/8 only (HELPERS.md): nothing else is ever configured. */
static bool allowed_addr(const synack_ip_t *ip) {
  if (ip->family == SYNACK_AF_INET) return ip->b[0] == 198 && (ip->b[1] & 0xfe) == 18;
  return ip->family == SYNACK_AF_INET6 && ip->b[0] == 0xfd;
}

static void to_sockaddr(const synack_ip_t *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (ip->family == SYNACK_AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, ip->b, 4);
    *len = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    memcpy(&s6->sin6_addr, ip->b, 16);
    *len = sizeof *s6;
  }
}

/* Writes a value into /proc/sys (of the namespace the process is in). Returns 0 or errno. */
static int write_proc_sys(const char *dotted, const char *value) {
  char path[256];
  int n = snprintf(path, sizeof path, "/proc/sys/%s", dotted);
  if (n < 0 || (size_t)n >= sizeof path) return ENAMETOOLONG;
  for (char *c = path + 10; *c; c++)
    if (*c == '.') *c = '/';
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t len = strlen(value);
  ssize_t w = write(fd, value, len);
  int e = w == (ssize_t)len ? 0 : (w < 0 ? errno : EIO);
  close(fd);
  return e;
}

static bool if_up(int ctl, const char *name, char *why, size_t cap) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (ioctl(ctl, SIOCGIFFLAGS, &ifr) != 0 || (ifr.ifr_flags |= IFF_UP, ioctl(ctl, SIOCSIFFLAGS, &ifr) != 0)) {
    snprintf(why, cap, "cannot bring %s up: %s", name, strerror(errno));
    return false;
  }
  return true;
}

/* lo and tun0 up, tun0 with the script's MTU (--mtu / --mss). ctl: an AF_INET socket. */
static bool links_up(const drill_run_t *r, int ctl, char *why, size_t cap) {
  if (!if_up(ctl, "lo", why, cap) || !if_up(ctl, KTUN_NAME, why, cap)) return false;
  if (!r->cfg.mtu) return true;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", KTUN_NAME);
  ifr.ifr_mtu = (int)r->cfg.mtu;
  if (ioctl(ctl, SIOCSIFMTU, &ifr) != 0) {
    snprintf(why, cap, "cannot set the MTU of %s to %u: %s", KTUN_NAME, r->cfg.mtu, strerror(errno));
    return false;
  }
  return true;
}

/* tun0 up with the local address and a host route to the peer (IPv4). */
static bool config_v4(drill_run_t *r, int ifindex, char *why, size_t cap) {
  (void)ifindex;
  int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctl < 0) {
    snprintf(why, cap, "socket: %s", strerror(errno));
    return false;
  }
  bool ok = links_up(r, ctl, why, cap);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", KTUN_NAME);
  struct sockaddr_in *sa = (struct sockaddr_in *)&ifr.ifr_addr;
  sa->sin_family = AF_INET;
  memcpy(&sa->sin_addr, r->lip.b, 4);
  if (ok && ioctl(ctl, SIOCSIFADDR, &ifr) != 0) {
    snprintf(why, cap, "cannot set the address of %s: %s", KTUN_NAME, strerror(errno));
    ok = false;
  }
  if (ok) {
    struct rtentry rt;
    memset(&rt, 0, sizeof rt);
    struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst, *mask = (struct sockaddr_in *)&rt.rt_genmask;
    dst->sin_family = AF_INET;
    memcpy(&dst->sin_addr, r->rip.b, 4);
    mask->sin_family = AF_INET;
    mask->sin_addr.s_addr = 0xffffffffu;
    rt.rt_flags = RTF_UP | RTF_HOST;
    rt.rt_dev = (char *)KTUN_NAME;
    if (ioctl(ctl, SIOCADDRT, &rt) != 0 && errno != EEXIST) {
      snprintf(why, cap, "cannot route the peer's address into %s: %s", KTUN_NAME, strerror(errno));
      ok = false;
    }
  }
  close(ctl);
  return ok;
}

/* The same for IPv6 (a NOARP device does no duplicate address detection). */
static bool config_v6(drill_run_t *r, int ifindex, char *why, size_t cap) {
  int ctl4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int ctl = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool ok = ctl4 >= 0 && ctl >= 0;
  if (!ok) snprintf(why, cap, "socket: %s", strerror(errno));
  ok = ok && links_up(r, ctl4, why, cap);
  if (ok) {
    struct k_in6_ifreq ifr6;
    memset(&ifr6, 0, sizeof ifr6);
    memcpy(&ifr6.ifr6_addr, r->lip.b, 16);
    ifr6.ifr6_prefixlen = 128;
    ifr6.ifr6_ifindex = ifindex;
    if (ioctl(ctl, SIOCSIFADDR, &ifr6) != 0) {
      snprintf(why, cap, "cannot set the address of %s: %s", KTUN_NAME, strerror(errno));
      ok = false;
    }
  }
  if (ok) {
    struct in6_rtmsg rt;
    memset(&rt, 0, sizeof rt);
    memcpy(&rt.rtmsg_dst, r->rip.b, 16);
    rt.rtmsg_dst_len = 128;
    rt.rtmsg_metric = 1;
    rt.rtmsg_flags = RTF_UP | RTF_HOST;
    rt.rtmsg_ifindex = ifindex;
    if (ioctl(ctl, SIOCADDRT, &rt) != 0 && errno != EEXIST) {
      snprintf(why, cap, "cannot route the peer's address into %s: %s", KTUN_NAME, strerror(errno));
      ok = false;
    }
  }
  if (ctl >= 0) close(ctl);
  if (ctl4 >= 0) close(ctl4);
  return ok;
}

/* A new namespace copies some TCP settings from the host's (congestion control, buffer sizes
 * on recent kernels). A run must not depend on the host: the settings the linux profile states
 * are written first (the script's own sysctls come after): the stock kernel's values, with the
 * maximum receive buffer (which fixes the window scale) and the congestion control of the
 * profile. */
static bool baseline(drill_run_t *r) {
  const synack_config_t *c = &r->cfg;
  char rmem[64], wmem[64];
  snprintf(rmem, sizeof rmem, "4096 131072 %u", c->tcp_max_buf);
  snprintf(wmem, sizeof wmem, "4096 16384 %u", 4u << 20);
  const struct {
    const char *name, *value;
  } set[] = {
    { "net.ipv4.tcp_rmem", rmem },
    { "net.ipv4.tcp_wmem", wmem },
    { "net.ipv4.tcp_congestion_control", c->tcp_cc == SYNACK_CC_CUBIC ? "cubic" : "reno" },
    { "net.ipv4.tcp_sack", c->tcp_sack ? "1" : "0" },
    { "net.ipv4.tcp_timestamps", c->tcp_timestamps ? "1" : "0" },
    { "net.ipv4.tcp_window_scaling", c->tcp_window_scaling ? "1" : "0" },
    /* synack_ecn_mode_t has Linux's values: 0 off, 1 ask and answer, 2 answer only */
    { "net.ipv4.tcp_ecn", c->tcp_ecn == SYNACK_ECN_MODE_ON ? "1" : c->tcp_ecn == SYNACK_ECN_MODE_PASSIVE ? "2" : "0" },
  };
  for (size_t j = 0; j < sizeof set / sizeof set[0]; j++) {
    int e = write_proc_sys(set[j].name, set[j].value);
    if (e == EPERM && j == 2) {
      /* the host's allowed list (global) lacks it: each socket gets it instead, which root may
       * always ask for */
      kern_t *k = r->kern;
      snprintf(k->sock_cc, sizeof k->sock_cc, "%s", set[j].value);
      continue;
    }
    if (e) {
      drill_fail(r, "cannot set %s=%s in the run's namespace: %s", set[j].name, set[j].value, strerror(e));
      return false;
    }
  }
  return true;
}

/* An IPv6 address is usable a moment after it is added (the kernel finishes setting it up in
 * the background): wait, bounded, until the local address can be bound. */
static bool addr_ready(drill_run_t *r) {
  struct sockaddr_storage ss;
  socklen_t len;
  to_sockaddr(&r->lip, 0, &ss, &len);
  for (int tries = 0; tries < 3000; tries++) {
    int s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (s < 0) break;
    int rc = bind(s, (struct sockaddr *)&ss, len);
    close(s);
    if (rc == 0) return true;
    struct timespec ms = { 0, 1000 * 1000 };
    nanosleep(&ms, NULL);
  }
  drill_fail(r, "the local address never became usable in the run's namespace");
  return false;
}

/* The segments are read from a packet socket on tun0, stamped by the kernel when tun0 sends
 * them: a runner that a loaded machine schedules late still sees when the kernel sent each one.
 * The TUN itself is drained too (its queue must not fill up). */
static bool open_capture(drill_run_t *r, int ifindex) {
  kern_t *k = r->kern;
  k->cap = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  int on = 1, big = 8 << 20;
  if (k->cap < 0 || bind(k->cap, (struct sockaddr *)&sll, sizeof sll) != 0 ||
      setsockopt(k->cap, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
    drill_fail(r, "cannot capture on %s: %s", KTUN_NAME, strerror(errno));
    return false;
  }
  setsockopt(k->cap, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct timespec rt, mt;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mt);
  k->real_minus_mono = ((int64_t)rt.tv_sec - mt.tv_sec) * 1000000 + (rt.tv_nsec - mt.tv_nsec) / 1000;
  return true;
}

static bool k_open(drill_run_t *r) {
  if (!allowed_addr(&r->lip) || !allowed_addr(&r->rip)) {
    drill_unsupported(r, "the kernel target uses only addresses in 198.18.0.0/15 and fd00::/8 "
                         "(--local_ip/--remote_ip)");
    return false;
  }
  kern_t *k = calloc(1, sizeof *k);
  if (!k) {
    drill_fail(r, "out of memory");
    return false;
  }
  k->tun = k->cap = -1;
  k->wake_ep = epoll_create1(EPOLL_CLOEXEC);
  r->kern = k;
  /* a script writing to a reset connection must see EPIPE, not kill the runner */
  signal(SIGPIPE, SIG_IGN);
  k->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (k->orig_ns < 0 || unshare(CLONE_NEWNET) != 0) {
    drill_fail(r, "cannot create a network namespace: %s (the kernel target needs root)", strerror(errno));
    if (k->orig_ns >= 0) close(k->orig_ns);
    k->orig_ns = -1;
    return false;
  }
  char why[256] = "";
  k->tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", KTUN_NAME);
  if (k->tun < 0 || ioctl(k->tun, TUNSETIFF, &ifr) != 0) {
    drill_fail(r, "cannot create the TUN device: %s", strerror(errno));
    return false;
  }
  /* No offloads: no TSO/GSO super-segments and no partial checksums come out of the TUN. */
  if (ioctl(k->tun, TUNSETOFFLOAD, 0UL) != 0) {
    drill_fail(r, "cannot turn the TUN's offloads off: %s", strerror(errno));
    return false;
  }
  int ifindex = (int)if_nametoindex(KTUN_NAME);
  if (r->family == SYNACK_AF_INET6) write_proc_sys("net.ipv6.conf." KTUN_NAME ".accept_dad", "0");
  bool ok = r->family == SYNACK_AF_INET6 ? config_v6(r, ifindex, why, sizeof why)
                                         : config_v4(r, ifindex, why, sizeof why);
  if (!ok) {
    drill_fail(r, "%s", why);
    return false;
  }
  if (!baseline(r) || !addr_ready(r) || !open_capture(r, ifindex)) return false;
  k->mono0 = mono_us();
  return true;
}

static bool k_start(drill_run_t *r) {
  kern_t *k = r->kern;
  /* drop what the namespace sent while being set up (IPv6 router solicitations...) */
  while (read(k->tun, k->pkt, sizeof k->pkt) > 0) {
  }
  while (recv(k->cap, k->pkt, sizeof k->pkt, 0) > 0) {
  }
  k->mono0 = mono_us();
  r->now = r->base;
  return true;
}

static void k_linger_abandon(drill_run_t *r);

static void k_close(drill_run_t *r) {
  kern_t *k = r->kern;
  if (!k) return;
  if (r->o->verbose && k->slips)
    printf("  (the runner woke late %u times: the script's clock moved with it each time)\n", k->slips);
  k_linger_abandon(r);
  for (int j = 0; j < r->nfds; j++)
    if (r->fds[j].sock >= 0) close(r->fds[j].sock);
  r->nfds = 0;
  if (k->tun >= 0) close(k->tun);
  if (k->wake_ep >= 0) close(k->wake_ep);
  for (size_t j = 0; j < k->nzc; j++) free(k->zc_bufs[j]);
  free(k->zc_bufs);
  k->zc_bufs = NULL;
  k->nzc = 0;
  if (k->cap >= 0) close(k->cap);
  if (k->orig_ns >= 0) {
    /* back to where the run started: the namespace, with tun0 and every socket left in it,
     * goes away with its last reference */
    if (setns(k->orig_ns, CLONE_NEWNET) != 0) perror("synack drill: setns back to the original namespace");
    close(k->orig_ns);
  }
  free(k);
  r->kern = NULL;
}

/* ---------------------------------------------------------------- packets and time */

/* The socket event a retried call waits for (0: none known; the wait is then short). */
static short wait_events(const drill_call_t *c) {
  const char *n = c->name;
  if (!strcmp(n, "read") || !strcmp(n, "recv") || !strcmp(n, "recvfrom") || !strcmp(n, "accept") ||
      !strcmp(n, "accept4"))
    return POLLIN;
  if (!strcmp(n, "write") || !strcmp(n, "send") || !strcmp(n, "sendto") || !strcmp(n, "connect") ||
      !strcmp(n, "sendfile"))
    return POLLOUT;
  return 0;
}

static bool k_advance(drill_run_t *r, synack_time_t limit, synack_time_t wake) {
  kern_t *k = r->kern;
  k_clock(r);
  if (r->now >= limit) return false;
  synack_time_t until = wake < limit ? wake : limit;
  struct pollfd p[1 + DRILL_MAX_PENDING];
  nfds_t n = 0;
  p[n++] = (struct pollfd){ .fd = k->cap, .events = POLLIN };
  bool guard = false;
  for (int j = 0; j < r->npending; j++) {
    const drill_call_t *c = &r->s->events[r->pending[j].ev].call;
    short ev = wait_events(c);
    int64_t label = -1;
    drill_fd_t *f = NULL;
    if (ev && c->nargs > 0 && c->args[0].kind == DRILL_ARG_INT) {
      label = c->args[0].num;
      f = drill_fd(r, (int)label);
    }
    if (f)
      p[n++] = (struct pollfd){ .fd = f->sock, .events = ev };
    else if (r->linger.on && r->linger.thread && strcmp(c->name, "close") == 0)
      p[n++] = (struct pollfd){ .fd = ((klinger_t *)r->linger.thread)->efd, .events = POLLIN }; /* its eventfd */
    else
      guard = true;
  }
  int64_t us = until > r->now ? (int64_t)(until - r->now) : 0;
  if (guard && us > KSPIN_GUARD_US) us = KSPIN_GUARD_US;
  struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
  int got = ppoll(p, n, &ts, NULL);
  synack_time_t before = r->now;
  k_clock(r);
  if (got == 0 && r->now > until + KSLIP_US && until > before) {
    /* The runner's own lateness (a loaded machine wakes it late) is not the kernel's: the
     * script's clock origin moves by the delay, so the event due at `until` happens at its
     * script time and later times count from it. A kernel timer running across the shift looks
     * that much early. */
    k->mono0 += (int64_t)(r->now - until);
    r->clock_slack_us += (int64_t)(r->now - until);
    r->now = until;
    k->slips++;
  }
  if (got > 0 && !(p[0].revents & POLLIN)) {
    /* a socket is ready: the engine retries its call; a call that still cannot finish must not
     * make this a busy loop */
    struct timespec pause = { 0, 100 * 1000 };
    nanosleep(&pause, NULL);
  }
  k_clock(r);
  return r->now < limit;
}

static void k_watch(const kern_t *k, int s) {
  if (s < 0 || k->wake_ep < 0) return;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET, .data.fd = s };
  (void)epoll_ctl(k->wake_ep, EPOLL_CTL_ADD, s, &ev);
}

static void k_collect(drill_run_t *r) {
  kern_t *k = r->kern;
  k_clock(r);
  struct epoll_event evs[64];
  int nw = k->wake_ep >= 0 ? epoll_wait(k->wake_ep, evs, 64, 0) : 0;
  for (int j = 0; j < nw; j++) drill_epoll_wakeup(r, evs[j].data.fd);
  while (read(k->tun, k->pkt, sizeof k->pkt) > 0) {
  }
  for (;;) {
    struct sockaddr_ll from;
    char ctl[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = { .iov_base = k->pkt, .iov_len = sizeof k->pkt };
    struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl, .msg_controllen = sizeof ctl };
    ssize_t n = recvmsg(k->cap, &mh, 0);
    if (n <= 0) break;
    if (from.sll_pkttype != PACKET_OUTGOING) continue; /* the peer's packets, written by us */
    synack_time_t t = r->now;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      int64_t mono = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - k->real_minus_mono;
      synack_time_t st = r->base + (synack_time_t)(mono - k->mono0);
      if (mono >= k->mono0 && st <= r->now) t = st;
    }
    drill_out_push_at(r, k->pkt, (size_t)n, t);
    if (r->done) break;
  }
}

static void k_inject(drill_run_t *r, const uint8_t *pkt, size_t len) {
  kern_t *k = r->kern;
  ssize_t w = write(k->tun, pkt, len);
  if (w != (ssize_t)len) drill_fail(r, "writing the packet into the TUN failed: %s", w < 0 ? strerror(errno) : "short");
}

/* ---------------------------------------------------------------- sockets */

static int neg(int rc) { return rc < 0 ? -errno : rc; }

static int k_socket(drill_run_t *r, int family) {
  const kern_t *k = r->kern;
  int s = socket(family == SYNACK_AF_INET6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 IPPROTO_TCP);
  if (s < 0) return -errno;
  if (k->sock_cc[0] && setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, k->sock_cc, (socklen_t)strlen(k->sock_cc)) != 0) {
    drill_fail(r, "cannot set the congestion control %s on a socket: %s", k->sock_cc, strerror(errno));
  }
  k_watch(k, s);
  return s;
}

static int k_bind(drill_run_t *r, int s, const synack_endpoint_t *ep) {
  (void)r;
  struct sockaddr_storage ss;
  socklen_t len;
  to_sockaddr(&ep->ip, ep->port, &ss, &len);
  return neg(bind(s, (struct sockaddr *)&ss, len));
}

static int k_listen(drill_run_t *r, int s, int backlog) {
  (void)r;
  return neg(listen(s, backlog));
}

static int k_accept(drill_run_t *r, int s) {
  int c = neg(accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
  k_watch(r->kern, c);
  return c;
}

static int k_connect(drill_run_t *r, int s, const synack_endpoint_t *ep) {
  (void)r;
  struct sockaddr_storage ss;
  socklen_t len;
  to_sockaddr(&ep->ip, ep->port, &ss, &len);
  return neg(connect(s, (struct sockaddr *)&ss, len));
}

static int k_name(int s, synack_endpoint_t *ep, bool peer) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if ((peer ? getpeername(s, (struct sockaddr *)&ss, &len) : getsockname(s, (struct sockaddr *)&ss, &len)) != 0)
    return -errno;
  memset(ep, 0, sizeof *ep);
  if (ss.ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
    ep->ip.family = SYNACK_AF_INET;
    memcpy(ep->ip.b, &s4->sin_addr, 4);
    ep->port = ntohs(s4->sin_port);
  } else {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
    ep->ip.family = SYNACK_AF_INET6;
    memcpy(ep->ip.b, &s6->sin6_addr, 16);
    ep->port = ntohs(s6->sin6_port);
  }
  return 0;
}

static int k_getsockname(drill_run_t *r, int s, synack_endpoint_t *ep) {
  (void)r;
  return k_name(s, ep, false);
}

static int k_getpeername(drill_run_t *r, int s, synack_endpoint_t *ep) {
  (void)r;
  return k_name(s, ep, true);
}

static int k_close_sock(drill_run_t *r, int s) {
  (void)r;
  return neg(close(s));
}

/* A lingering close() blocks the calling thread in the kernel (even on a non-blocking socket)
 * while the runner must go on injecting the peer's segments: it runs in a thread of its own.
 * The run may end while that close() still waits: whichever of the two finishes last frees the
 * record. */

static void *klinger_main(void *arg) {
  klinger_t *lg = arg;
  lg->t0 = mono_us();
  atomic_store(&lg->started, 1);
  lg->rc = close(lg->fd) == 0 ? 0 : -errno;
  uint64_t one = 1;
  if (write(lg->efd, &one, sizeof one) < 0) { /* the runner's guard poll still sees state */ }
  int was = 0;
  if (!atomic_compare_exchange_strong(&lg->state, &was, 1)) {
    close(lg->efd);
    free(lg); /* abandoned */
  }
  return NULL;
}

static int k_close_linger_start(drill_run_t *r, int s, int secs) {
  (void)secs; /* the kernel keeps the time itself */
  klinger_t *lg = calloc(1, sizeof *lg);
  if (!lg) return -ENOMEM;
  lg->fd = s;
  atomic_init(&lg->state, 0);
  atomic_init(&lg->started, 0);
  lg->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (lg->efd < 0 || pthread_create(&lg->tid, NULL, klinger_main, lg) != 0) {
    if (lg->efd >= 0) close(lg->efd);
    free(lg);
    return neg(close(s));
  }
  pthread_detach(lg->tid);
  r->linger.on = true;
  r->linger.thread = lg;
  /* The close happens when the thread runs, which a loaded machine delays: wait (at most
   * 200 ms) until it starts, and count a delay as the runner's own lateness (the script's
   * clock moves with it, as in k_advance), so that the FIN is on time at the call's time. */
  int64_t asked = mono_us();
  while (!atomic_load(&lg->started) && mono_us() - asked < 200000) sched_yield();
  if (atomic_load(&lg->started) && lg->t0 - asked > KSLIP_US) {
    kern_t *k = r->kern;
    k->mono0 += lg->t0 - asked;
    k->slips++;
  }
  return 0;
}

static bool k_close_linger_done(drill_run_t *r, int *rc) {
  klinger_t *lg = r->linger.thread;
  *rc = 0;
  if (!r->linger.on || !lg) return true;
  if (atomic_load(&lg->state) != 1) return false;
  *rc = lg->rc;
  close(lg->efd);
  free(lg);
  r->linger.on = false;
  r->linger.thread = NULL;
  return true;
}

static void k_linger_abandon(drill_run_t *r) {
  klinger_t *lg = r->linger.thread;
  if (!r->linger.on || !lg) return;
  for (int j = 0; j < r->nfds; j++)
    if (r->fds[j].sock == lg->fd) r->fds[j].sock = -1; /* that close() is the thread's */
  int was = 0;
  if (!atomic_compare_exchange_strong(&lg->state, &was, 2)) {
    close(lg->efd);
    free(lg); /* it had returned */
  }
  r->linger.on = false;
  r->linger.thread = NULL;
}

static int k_shutdown(drill_run_t *r, int s, int how) {
  (void)r;
  return neg(shutdown(s, how));
}

static int64_t k_recv(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags) {
  (void)r;
  ssize_t n = recv(s, buf, len,
                   MSG_DONTWAIT | ((flags & SYNACK_MSG_PEEK) ? MSG_PEEK : 0) | ((flags & SYNACK_MSG_OOB) ? MSG_OOB : 0));
  return n < 0 ? -errno : n;
}

static int64_t k_send(drill_run_t *r, int s, const uint8_t *buf, size_t len, int flags) {
  kern_t *k = r->kern;
  if ((flags & SYNACK_MSG_ZEROCOPY) && buf && len) {
    uint8_t **nb = realloc(k->zc_bufs, (k->nzc + 1) * sizeof *nb);
    uint8_t *copy = malloc(len);
    if (!nb || !copy) {
      free(copy);
      if (nb) k->zc_bufs = nb;
      return -ENOMEM;
    }
    memcpy(copy, buf, len);
    k->zc_bufs = nb;
    k->zc_bufs[k->nzc++] = copy;
    buf = copy;
  }
  int kf = MSG_DONTWAIT | MSG_NOSIGNAL | ((flags & SYNACK_MSG_MORE) ? MSG_MORE : 0) |
           ((flags & SYNACK_MSG_EOR) ? MSG_EOR : 0) | ((flags & SYNACK_MSG_OOB) ? MSG_OOB : 0) |
           ((flags & SYNACK_MSG_ZEROCOPY) ? 0x4000000 /* MSG_ZEROCOPY */ : 0);
  ssize_t n = send(s, buf, len, kf);
  return n < 0 ? -errno : n;
}

/* recvmsg(MSG_ERRQUEUE): the software timestamp (SCM_TIMESTAMPING's first stamp, real time,
 * brought to the run's clock) and the IP_RECVERR / IPV6_RECVERR extended error. */
static int64_t k_recv_err(drill_run_t *r, int s, size_t len, synack_sock_err_t *e, int *msg_flags) {
  const kern_t *k = r->kern;
  unsigned char data[65536];
  struct iovec v = { .iov_base = data, .iov_len = len < sizeof data ? len : sizeof data };
  union {
    char b[512];
    struct cmsghdr align;
  } ctl;
  struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
  memset(e, 0, sizeof *e);
  ssize_t n = recvmsg(s, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
  if (n < 0) return -errno;
  *msg_flags = mh.msg_flags;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == 37 /* SCM_TIMESTAMPING */) {
      struct timespec ts[3];
      memcpy(ts, CMSG_DATA(c), sizeof ts);
      int64_t mono = (int64_t)ts[0].tv_sec * 1000000 + ts[0].tv_nsec / 1000 - k->real_minus_mono;
      e->has_time = true;
      e->time = mono >= k->mono0 ? r->base + (synack_time_t)(mono - k->mono0) : r->base;
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == 11) || (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == 25)) {
      struct {
        uint32_t ee_errno;
        uint8_t ee_origin, ee_type, ee_code, ee_pad;
        uint32_t ee_info, ee_data;
      } ee;
      memcpy(&ee, CMSG_DATA(c), sizeof ee);
      e->err = (int)ee.ee_errno;
      e->origin = ee.ee_origin;
      e->code = ee.ee_code;
      e->info = ee.ee_info;
      e->data = ee.ee_data;
    }
  }
  return n;
}

/* The real sendfile() and splice() (drill_file.c); the socket is non-blocking, and so is
 * every pipe end the runner opened. */
static int64_t k_send_from_fd(drill_run_t *r, int s, drill_fd_t *src, int64_t *off, size_t len, int flags) {
  (void)r;
  ssize_t n;
  if (src->pipe_end) {
    n = splice(src->os - 1, NULL, s, NULL, len,
               SPLICE_F_NONBLOCK | ((flags & SYNACK_MSG_MORE) ? SPLICE_F_MORE : 0));
  } else {
    off_t o = off ? (off_t)*off : 0;
    n = sendfile(s, src->os - 1, off ? &o : NULL, len);
    if (n > 0 && off) *off = o;
  }
  return n < 0 ? -errno : n;
}

static int64_t k_recv_to_pipe(drill_run_t *r, int s, drill_fd_t *dst, size_t len) {
  (void)r;
  ssize_t n = splice(s, NULL, dst->os - 1, NULL, len, SPLICE_F_NONBLOCK);
  return n < 0 ? -errno : n;
}

static int64_t k_sendto_fastopen(drill_run_t *r, int s, const uint8_t *buf, size_t len, const synack_endpoint_t *ep) {
  (void)r;
  struct sockaddr_storage ss;
  socklen_t sl;
  to_sockaddr(&ep->ip, ep->port, &ss, &sl);
  ssize_t n = sendto(s, buf, len, MSG_FASTOPEN | MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
  return n < 0 ? -errno : n;
}

#ifndef TCP_CM_INQ
#define TCP_CM_INQ 36
#endif

static int64_t k_recvmsg(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags, int *msg_flags, int *inq) {
  (void)r;
  struct iovec v = { .iov_base = buf, .iov_len = len };
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
  ssize_t n = recvmsg(s, &mh,
                      MSG_DONTWAIT | ((flags & SYNACK_MSG_PEEK) ? MSG_PEEK : 0) | ((flags & SYNACK_MSG_OOB) ? MSG_OOB : 0));
  if (n < 0) return -errno;
  *msg_flags = (mh.msg_flags & MSG_OOB) ? SYNACK_MSG_OOB : 0;
  *inq = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ) memcpy(inq, CMSG_DATA(c), sizeof *inq);
  return n;
}

/* synack's option names back to the kernel's level and number. */
static bool kopt(const drill_run_t *r, synack_sockopt_t o, int *level, int *name) {
  bool v6 = r->family == SYNACK_AF_INET6;
  switch (o) {
  case SYNACK_SO_REUSEADDR: *level = SOL_SOCKET, *name = SO_REUSEADDR; return true;
  case SYNACK_SO_RCVBUF: *level = SOL_SOCKET, *name = SO_RCVBUF; return true;
  case SYNACK_SO_SNDBUF: *level = SOL_SOCKET, *name = SO_SNDBUF; return true;
  case SYNACK_SO_KEEPALIVE: *level = SOL_SOCKET, *name = SO_KEEPALIVE; return true;
  case SYNACK_SO_LINGER: *level = SOL_SOCKET, *name = SO_LINGER; return true;
  case SYNACK_SO_ERROR: *level = SOL_SOCKET, *name = SO_ERROR; return true;
  case SYNACK_TCP_NODELAY: *level = IPPROTO_TCP, *name = TCP_NODELAY; return true;
  case SYNACK_TCP_MAXSEG: *level = IPPROTO_TCP, *name = TCP_MAXSEG; return true;
  case SYNACK_TCP_KEEPIDLE: *level = IPPROTO_TCP, *name = TCP_KEEPIDLE; return true;
  case SYNACK_TCP_KEEPINTVL: *level = IPPROTO_TCP, *name = TCP_KEEPINTVL; return true;
  case SYNACK_TCP_KEEPCNT: *level = IPPROTO_TCP, *name = TCP_KEEPCNT; return true;
  case SYNACK_TCP_USER_TIMEOUT: *level = IPPROTO_TCP, *name = TCP_USER_TIMEOUT; return true;
  case SYNACK_TCP_NOOPT: *level = IPPROTO_TCP, *name = 0x1008; return true; /* Linux answers ENOPROTOOPT */
  case SYNACK_TCP_QUICKACK: *level = IPPROTO_TCP, *name = TCP_QUICKACK; return true;
  case SYNACK_TCP_FASTOPEN: *level = IPPROTO_TCP, *name = 23; return true;
  case SYNACK_TCP_FASTOPEN_CONNECT: *level = IPPROTO_TCP, *name = 30; return true;
  case SYNACK_TCP_FASTOPEN_NO_COOKIE: *level = IPPROTO_TCP, *name = 34; return true;
  case SYNACK_SO_MAX_PACING_RATE: *level = SOL_SOCKET, *name = SO_MAX_PACING_RATE; return true;
  case SYNACK_IP_TTL: *level = v6 ? IPPROTO_IPV6 : IPPROTO_IP, *name = v6 ? IPV6_UNICAST_HOPS : IP_TTL; return true;
  case SYNACK_IP_TOS: *level = v6 ? IPPROTO_IPV6 : IPPROTO_IP, *name = v6 ? IPV6_TCLASS : IP_TOS; return true;
  case SYNACK_TCP_CORK: *level = IPPROTO_TCP, *name = TCP_CORK; return true;
  case SYNACK_TCP_NOTSENT_LOWAT: *level = IPPROTO_TCP, *name = 25; return true;
  case SYNACK_TCP_INQ: *level = IPPROTO_TCP, *name = 36; return true;
  case SYNACK_SO_SNDLOWAT: *level = SOL_SOCKET, *name = SO_SNDLOWAT; return true;
  case SYNACK_SO_RCVLOWAT: *level = SOL_SOCKET, *name = SO_RCVLOWAT; return true;
  case SYNACK_SO_REUSEPORT: *level = SOL_SOCKET, *name = SO_REUSEPORT; return true;
  case SYNACK_SO_BROADCAST: *level = SOL_SOCKET, *name = SO_BROADCAST; return true;
  case SYNACK_IPV6_V6ONLY: *level = IPPROTO_IPV6, *name = IPV6_V6ONLY; return true;
  case SYNACK_TCP_MD5SIG: *level = IPPROTO_TCP, *name = 14; return true; /* TCP_MD5SIG (a struct) */
  case SYNACK_SO_ZEROCOPY: *level = SOL_SOCKET, *name = 60; return true;      /* SO_ZEROCOPY */
  case SYNACK_SO_TIMESTAMPING: *level = SOL_SOCKET, *name = 37; return true;  /* SO_TIMESTAMPING_OLD */
  case SYNACK_SO_RCVTIMEO: *level = SOL_SOCKET, *name = SO_RCVTIMEO; return true; /* a struct timeval */
  case SYNACK_SO_SNDTIMEO: *level = SOL_SOCKET, *name = SO_SNDTIMEO; return true;
  case SYNACK_TCP_DEFER_ACCEPT: *level = IPPROTO_TCP, *name = TCP_DEFER_ACCEPT; return true;
  case SYNACK_TCP_WINDOW_CLAMP: *level = IPPROTO_TCP, *name = TCP_WINDOW_CLAMP; return true;
  case SYNACK_TCP_SAVE_SYN: *level = IPPROTO_TCP, *name = TCP_SAVE_SYN; return true;
  case SYNACK_TCP_SAVED_SYN: *level = IPPROTO_TCP, *name = TCP_SAVED_SYN; return true; /* the bytes: their length */
  case SYNACK_SO_INQ:
  case SYNACK_SO_OUTQ:
  case SYNACK_SO_OOBINLINE: *level = SOL_SOCKET, *name = SO_OOBINLINE; return true;
  case SYNACK_SO_NOTSENT:
  case SYNACK_SO_ATMARK:
  case SYNACK_TCP_CONGESTION: return false;
  }
  return false;
}

static int k_setsockopt(drill_run_t *r, int s, synack_sockopt_t o, int v) {
  if (o == SYNACK_TCP_CONGESTION) {
    /* the algorithm by Linux's name: synack's two are reno (NewReno) and cubic */
    const char *cc = v == SYNACK_CC_NEWRENO ? "reno" : v == SYNACK_CC_CUBIC ? "cubic" : NULL;
    if (!cc) return -EINVAL;
    return neg(setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)));
  }
  int level, name;
  if (!kopt(r, o, &level, &name)) return -ENOPROTOOPT;
  if (o == SYNACK_SO_LINGER) {
    struct linger l = { .l_onoff = v >= 0, .l_linger = v >= 0 ? v : 0 };
    return neg(setsockopt(s, level, name, &l, sizeof l));
  }
  if (o == SYNACK_SO_RCVTIMEO || o == SYNACK_SO_SNDTIMEO) {
    struct timeval tv = { .tv_sec = v / 1000, .tv_usec = (v % 1000) * 1000 };
    return neg(setsockopt(s, level, name, &tv, sizeof tv));
  }
  return neg(setsockopt(s, level, name, &v, sizeof v));
}

/* Linux's struct tcp_md5sig (glibc's <netinet/tcp.h>): the peer as a sockaddr, the key. */
static int k_md5sig(drill_run_t *r, int s, const synack_tcp_md5sig_t *m) {
  (void)r;
  struct tcp_md5sig k;
  memset(&k, 0, sizeof k);
  if (m->addr.family == SYNACK_AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&k.tcpm_addr;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, m->addr.b, 16);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&k.tcpm_addr;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, m->addr.b, 4);
  }
  int name = TCP_MD5SIG;
  if (m->flags & SYNACK_TCP_MD5SIG_FLAG_PREFIX) {
    name = TCP_MD5SIG_EXT;
    k.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    k.tcpm_prefixlen = m->prefixlen;
  }
  k.tcpm_keylen = m->keylen;
  memcpy(k.tcpm_key, m->key, m->keylen < sizeof k.tcpm_key ? m->keylen : sizeof k.tcpm_key);
  return neg(setsockopt(s, IPPROTO_TCP, name, &k, sizeof k));
}

static int k_getsockopt(drill_run_t *r, int s, synack_sockopt_t o, int *v) {
  if (o == SYNACK_SO_INQ || o == SYNACK_SO_OUTQ) return neg(ioctl(s, o == SYNACK_SO_INQ ? SIOCINQ : SIOCOUTQ, v));
  if (o == SYNACK_SO_NOTSENT) return neg(ioctl(s, 0x894B /* SIOCOUTQNSD */, v));
  if (o == SYNACK_SO_ATMARK) return neg(ioctl(s, SIOCATMARK, v));
  if (o == SYNACK_TCP_CONGESTION) {
    char cc[16] = "";
    socklen_t len = sizeof cc - 1;
    if (getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, cc, &len) != 0) return -errno;
    *v = strcmp(cc, "reno") == 0 ? SYNACK_CC_NEWRENO : strcmp(cc, "cubic") == 0 ? SYNACK_CC_CUBIC : -1;
    return 0;
  }
  int level, name;
  if (!kopt(r, o, &level, &name)) return -ENOPROTOOPT;
  if (o == SYNACK_SO_LINGER) {
    struct linger l;
    socklen_t len = sizeof l;
    if (getsockopt(s, level, name, &l, &len) != 0) return -errno;
    *v = l.l_onoff ? l.l_linger : -1;
    return 0;
  }
  if (o == SYNACK_TCP_SAVED_SYN) {
    uint8_t hdrs[512];
    socklen_t len = sizeof hdrs;
    if (getsockopt(s, level, name, hdrs, &len) != 0) return -errno;
    *v = (int)len;
    return 0;
  }
  if (o == SYNACK_SO_RCVTIMEO || o == SYNACK_SO_SNDTIMEO) {
    struct timeval tv;
    socklen_t len = sizeof tv;
    if (getsockopt(s, level, name, &tv, &len) != 0) return -errno;
    int64_t ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    *v = ms > INT32_MAX ? INT32_MAX : (int)ms;
    return 0;
  }
  socklen_t len = sizeof *v;
  return neg(getsockopt(s, level, name, v, &len));
}

static uint32_t k_poll_bits(drill_run_t *r, const drill_fd_t *f) {
  (void)r;
  struct pollfd p = { .fd = f->sock,
                      .events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM | POLLWRBAND | POLLRDHUP };
  if (poll(&p, 1, 0) < 0) return D_POLLNVAL;
  return (uint16_t)p.revents;
}

static synack_tcp_state_t from_linux_state(uint8_t s) {
  switch (s) {
  case 1: return SYNACK_TCP_ESTABLISHED;
  case 2: return SYNACK_TCP_SYN_SENT;
  case 3: return SYNACK_TCP_SYN_RECEIVED;
  case 4: return SYNACK_TCP_FIN_WAIT_1;
  case 5: return SYNACK_TCP_FIN_WAIT_2;
  case 6: return SYNACK_TCP_TIME_WAIT;
  case 8: return SYNACK_TCP_CLOSE_WAIT;
  case 9: return SYNACK_TCP_LAST_ACK;
  case 10: return SYNACK_TCP_LISTEN;
  case 11: return SYNACK_TCP_CLOSING;
  default: return SYNACK_TCP_CLOSED;
  }
}

static int k_tcp_info(drill_run_t *r, int s, synack_tcp_info_t *ti) {
  (void)r;
  /* The fields past tcpi_snd_wnd (Linux 5.4 and later) are read by their offsets: the build
   * host's header may end before them. */
  union {
    struct tcp_info k;
    unsigned char b[512];
  } u;
  socklen_t len = sizeof u;
  memset(&u, 0, sizeof u);
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &u, &len) != 0) return -errno;
  const struct tcp_info k = u.k;
  size_t past = offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof k.tcpi_snd_wnd;
  uint32_t rcv_wnd, total_rto_time;
  uint16_t total_rto, total_rto_rec;
  memcpy(&rcv_wnd, u.b + past, 4);
  memcpy(&total_rto, u.b + past + 8, 2);
  memcpy(&total_rto_rec, u.b + past + 10, 2);
  memcpy(&total_rto_time, u.b + past + 12, 4);
  memset(ti, 0, sizeof *ti);
  ti->state = from_linux_state(k.tcpi_state);
  ti->options = k.tcpi_options;
  ti->snd_wscale = k.tcpi_snd_wscale;
  ti->rcv_wscale = k.tcpi_rcv_wscale;
  ti->retransmits = k.tcpi_retransmits;
  ti->backoff = k.tcpi_backoff;
  ti->rto_us = k.tcpi_rto;
  ti->ato_us = k.tcpi_ato;
  ti->snd_mss = k.tcpi_snd_mss;
  ti->rcv_mss = k.tcpi_rcv_mss;
  ti->unacked = k.tcpi_unacked;
  ti->sacked = k.tcpi_sacked;
  ti->lost = k.tcpi_lost;
  ti->retrans = k.tcpi_retrans;
  ti->rtt_us = k.tcpi_rtt;
  ti->rttvar_us = k.tcpi_rttvar;
  ti->snd_ssthresh = k.tcpi_snd_ssthresh;
  ti->snd_cwnd = k.tcpi_snd_cwnd;
  ti->total_retrans = k.tcpi_total_retrans;
  ti->bytes_acked = k.tcpi_bytes_acked;
  ti->bytes_received = k.tcpi_bytes_received;
  ti->segs_out = k.tcpi_segs_out;
  ti->segs_in = k.tcpi_segs_in;
  ti->fastopen_client_fail = k.tcpi_fastopen_client_fail;
  ti->ca_state = k.tcpi_ca_state;
  ti->probes = k.tcpi_probes;
  ti->last_data_sent_ms = k.tcpi_last_data_sent;
  ti->last_data_recv_ms = k.tcpi_last_data_recv;
  ti->last_ack_recv_ms = k.tcpi_last_ack_recv;
  ti->advmss = k.tcpi_advmss;
  ti->notsent_bytes = k.tcpi_notsent_bytes;
  ti->min_rtt_us = k.tcpi_min_rtt;
  ti->data_segs_in = k.tcpi_data_segs_in;
  ti->data_segs_out = k.tcpi_data_segs_out;
  ti->bytes_retrans = k.tcpi_bytes_retrans;
  ti->bytes_sent = k.tcpi_bytes_sent - k.tcpi_bytes_retrans; /* synack's bytes_sent: new data only */
  ti->dsacks_in = k.tcpi_dsack_dups;
  ti->reord_seen = k.tcpi_reord_seen;
  ti->rcv_ooopack = k.tcpi_rcv_ooopack;
  ti->snd_wnd = k.tcpi_snd_wnd;
  ti->rcv_wnd = rcv_wnd;
  ti->pacing_rate = k.tcpi_pacing_rate;
  ti->max_pacing_rate = k.tcpi_max_pacing_rate;
  ti->busy_time_us = k.tcpi_busy_time;
  ti->rwnd_limited_us = k.tcpi_rwnd_limited;
  ti->sndbuf_limited_us = k.tcpi_sndbuf_limited;
  ti->delivered = k.tcpi_delivered;
  ti->delivered_ce = k.tcpi_delivered_ce;
  ti->rtos = total_rto;
  ti->total_rto_recoveries = total_rto_rec;
  ti->total_rto_time_ms = total_rto_time;
  ti->rcv_space = k.tcpi_rcv_space;
  ti->rcv_ssthresh = k.tcpi_rcv_ssthresh;
  return 0;
}

/* UDP sockets (drill_udp.c): the other calls are the same system calls as for TCP. */
static int k_udp_socket(drill_run_t *r, int family) {
  int s = socket(family == SYNACK_AF_INET6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 IPPROTO_UDP);
  k_watch(r->kern, s);
  return s < 0 ? -errno : s;
}

static int64_t k_udp_sendto(drill_run_t *r, int s, const uint8_t *buf, size_t len, const synack_endpoint_t *to) {
  (void)r;
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  if (to) to_sockaddr(&to->ip, to->port, &ss, &sl);
  ssize_t n = sendto(s, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, to ? (struct sockaddr *)&ss : NULL, sl);
  return n < 0 ? -errno : n;
}

static int64_t k_udp_recvfrom(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags, bool *trunc) {
  (void)r;
  struct iovec v = { .iov_base = buf, .iov_len = len };
  struct sockaddr_storage from;
  struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &v, .msg_iovlen = 1 };
  int kf = MSG_DONTWAIT | ((flags & SYNACK_MSG_PEEK) ? MSG_PEEK : 0) | ((flags & SYNACK_MSG_TRUNC) ? MSG_TRUNC : 0);
  ssize_t n = recvmsg(s, &mh, kf);
  if (n < 0) return -errno;
  *trunc = (mh.msg_flags & MSG_TRUNC) != 0;
  return n;
}

/* ---------------------------------------------------------------- shell hooks */

/* FreeBSD names in scripts that run on both kernels: the ones Linux has a per-namespace
 * equivalent for are translated; the ones that only select what Linux always does are accepted
 * with that value; anything else is UNSUPPORTED. scale: the FreeBSD value is divided by it. */
typedef struct {
  const char *bsd, *linux_name;
  long scale;          /* 1000: FreeBSD ms -> Linux s */
  const char *fixed;   /* no Linux name: the only value Linux behaves like */
} bsd_map_t;

static const bsd_map_t bsd_map[] = {
  { "net.inet.tcp.sack.enable", "net.ipv4.tcp_sack", 1, NULL },
  { "net.inet.tcp.syncookies", "net.ipv4.tcp_syncookies", 1, NULL },
  { "net.inet.tcp.keepidle", "net.ipv4.tcp_keepalive_time", 1000, NULL },
  { "net.inet.tcp.keepintvl", "net.ipv4.tcp_keepalive_intvl", 1000, NULL },
  { "net.inet.tcp.keepcnt", "net.ipv4.tcp_keepalive_probes", 1, NULL },
  { "net.inet.tcp.finwait2_timeout", "net.ipv4.tcp_fin_timeout", 1000, NULL },
  /* Linux always applies RFC 5961's RST and SYN checks */
  { "net.inet.tcp.insecure_rst", NULL, 1, "0" },
  { "net.inet.tcp.insecure_syn", NULL, 1, "0" },
  { "net.inet.tcp.blackhole", NULL, 1, "0" },
  { "net.inet.tcp.fastopen.server_enable", NULL, 1, "0" },
  { "net.inet.tcp.fastopen.client_enable", NULL, 1, "0" },
};

static int bsd_sysctl(drill_run_t *r, const char *name, const char *value) {
  for (size_t j = 0; j < sizeof bsd_map / sizeof bsd_map[0]; j++) {
    const bsd_map_t *m = &bsd_map[j];
    if (strcmp(m->bsd, name) != 0) continue;
    if (m->fixed) {
      if (strcmp(value, m->fixed) == 0) return 0;
      break;
    }
    char *end;
    long v = strtol(value, &end, 10);
    if (*end || v < 0 || v % m->scale != 0) break;
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v / m->scale);
    return drill_kernel_sysctl(r, m->linux_name, buf);
  }
  if (strcmp(name, "net.inet.tcp.rfc1323") == 0 && value[0] >= '0' && value[0] <= '3' && !value[1]) {
    /* 0 none, 1 both, 2 window scaling only, 3 timestamps only */
    int v = value[0] - '0';
    if (drill_kernel_sysctl(r, "net.ipv4.tcp_window_scaling", (v == 1 || v == 2) ? "1" : "0") != 0) return -1;
    return drill_kernel_sysctl(r, "net.ipv4.tcp_timestamps", (v == 1 || v == 3) ? "1" : "0");
  }
  drill_unsupported(r, "sysctl %s=%s has no equivalent in the Linux kernel", name, value);
  return -1;
}

int drill_kernel_sysctl(drill_run_t *r, const char *name, const char *value) {
  if (strncmp(name, "net.inet.", 9) == 0) return bsd_sysctl(r, name, value);
  /* Only settings that live in the run's namespace: net.ipv4.*, net.ipv6.* and the per-namespace
   * net.core.somaxconn. A namespace shows only its own net.* entries, so a name that is not per
   * namespace is not found. */
  bool ok = strncmp(name, "net.ipv4.", 9) == 0 || strncmp(name, "net.ipv6.", 9) == 0 ||
            strcmp(name, "net.core.somaxconn") == 0;
  if (!ok || strstr(name, "..")) {
    drill_unsupported(r, "sysctl %s: only per-namespace net.ipv4.* / net.ipv6.* settings are applied "
                         "against the kernel", name);
    return -1;
  }
  int e = write_proc_sys(name, value);
  if (e == 0 && strcmp(name, "net.ipv4.tcp_congestion_control") == 0) {
    kern_t *k = r->kern;
    k->sock_cc[0] = '\0'; /* the script's choice is the namespace's default now */
  }
  if (e == ENOENT) {
    drill_unsupported(r, "sysctl %s: not a per-namespace setting of this kernel", name);
    return -1;
  }
  if (e) {
    drill_fail(r, "sysctl %s=%s: %s", name, value, strerror(e));
    return -1;
  }
  return 0;
}

bool drill_kernel_command(const char *base) {
  /* tools that act on the run's own namespace only */
  return strcmp(base, "ip") == 0 || strcmp(base, "tc") == 0 || strcmp(base, "ethtool") == 0;
}

int drill_kernel_exec(drill_run_t *r, char **argv, int argc) {
  if (argc < 1) return 0;
  char *args[40];
  int n = argc < 39 ? argc : 39;
  for (int j = 0; j < n; j++) args[j] = argv[j];
  args[n] = NULL;
  pid_t pid;
  fflush(stdout);
  /* its output is shown with --verbose only (like the output of pipelines) */
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!r->o->verbose) posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  int e = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e) {
    drill_unsupported(r, "`%s` cannot be run here: %s", args[0], strerror(e));
    return 2;
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

const drill_target_t drill_target_kernel = {
  .late_look = SYNACK_SEC(1),
  .name = "kernel",
  .open = k_open,
  .start = k_start,
  .close = k_close,
  .advance = k_advance,
  .collect = k_collect,
  .inject = k_inject,
  .socket = k_socket,
  .bind = k_bind,
  .listen = k_listen,
  .accept = k_accept,
  .connect = k_connect,
  .getsockname = k_getsockname,
  .getpeername = k_getpeername,
  .close_sock = k_close_sock,
  .close_linger_start = k_close_linger_start,
  .close_linger_done = k_close_linger_done,
  .shutdown = k_shutdown,
  .recv = k_recv,
  .send = k_send,
  .sendto_fastopen = k_sendto_fastopen,
  .recvmsg = k_recvmsg,
  .recv_err = k_recv_err,
  .setsockopt = k_setsockopt,
  .md5sig = k_md5sig,
  .getsockopt = k_getsockopt,
  .poll_bits = k_poll_bits,
  .tcp_info = k_tcp_info,
  .udp_socket = k_udp_socket,
  .udp_sendto = k_udp_sendto,
  .udp_recvfrom = k_udp_recvfrom,
  .send_from_fd = k_send_from_fd,
  .recv_to_pipe = k_recv_to_pipe,
};
