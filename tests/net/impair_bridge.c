/* A two-port Ethernet bridge between two network namespaces through synack's impairments.
 *
 * The kernel-to-kernel reference of tests/net/t_impair_matrix.sh: the kernel sends, the kernel
 * receives, and every frame crosses the TAP driver's own impairment code (synack_impair_*, the
 * public API of tap.h) in each direction, as in the cells where synack is one end. Built by the
 * test script itself against the library under test.
 *
 *   impair_bridge NS_A TAP_A NS_B TAP_B SEED LOSS DUP REORDER STATS_FILE
 *
 * Both TAPs exist already (ip tuntap add) in their namespaces (/var/run/netns/NS). LOSS, DUP and
 * REORDER are probabilities in [0, 1] for both directions. Runs until SIGTERM or SIGINT (bounded
 * by the caller), then writes one line per direction to STATS_FILE:
 *   "a->b lost N full N dup N reordered N passed N". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "synack/sim.h"
#include "synack/tap.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int open_tap(const char *ns, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/var/run/netns/%s", ns);
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
    perror(path);
    exit(1);
  }
  close(nsfd);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
    perror(name);
    exit(1);
  }
  return fd;
}

static synack_time_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (synack_time_t)ts.tv_sec * 1000000u + (synack_time_t)ts.tv_nsec / 1000u;
}

/* The impairer hands a frame on: write it to the other port (a full TAP queue drops it, as a
 * link would). */
static void to_port(void *user, const uint8_t *frame, size_t len, unsigned flags) {
  (void)flags;
  if (write(*(int *)user, frame, len) < 0) {}
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: %s NS_A TAP_A NS_B TAP_B SEED LOSS DUP REORDER STATS_FILE\n", argv[0]);
    return 2;
  }
  int fd[2] = { open_tap(argv[1], argv[2]), open_tap(argv[3], argv[4]) };
  synack_sim_link_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.loss = atof(argv[6]);
  cfg.dup = atof(argv[7]);
  cfg.reorder = atof(argv[8]);
  uint64_t seed = strtoull(argv[5], NULL, 10);
  synack_impair_t *im[2] = { synack_impair_new(&cfg, seed), synack_impair_new(&cfg, seed + 1) };
  if (!im[0] || !im[1]) return 1;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  static uint8_t buf[65536 + 64];
  while (!stop) {
    synack_time_t now = now_us();
    for (int d = 0; d < 2; d++) synack_impair_release(im[d], now, to_port, &fd[1 - d]);
    synack_time_t due = synack_impair_next_deadline(im[0]);
    synack_time_t due1 = synack_impair_next_deadline(im[1]);
    if (due1 < due) due = due1;
    struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
    if (due != SYNACK_TIME_NEVER) ts.tv_nsec = due > now ? (long)((due - now) * 1000u) : 0;
    if (ts.tv_nsec > 100 * 1000 * 1000) ts.tv_nsec = 100 * 1000 * 1000;
    struct pollfd p[2] = { { .fd = fd[0], .events = POLLIN }, { .fd = fd[1], .events = POLLIN } };
    if (ppoll(p, 2, &ts, NULL) < 0 && errno != EINTR) break;
    for (int d = 0; d < 2; d++) {
      if (!(p[d].revents & POLLIN)) continue;
      for (int k = 0; k < 256; k++) {
        ssize_t n = read(fd[d], buf, sizeof buf);
        if (n <= 0) break;
        synack_impair_push(im[d], now_us(), buf, (size_t)n, 0, to_port, &fd[1 - d]);
      }
    }
  }
  FILE *out = fopen(argv[9], "w");
  for (int d = 0; d < 2 && out; d++) {
    const synack_impair_stats_t *s = synack_impair_stats(im[d]);
    fprintf(out, "%s lost %llu full %llu dup %llu reordered %llu passed %llu\n", d ? "b->a" : "a->b",
            (unsigned long long)s->lost, (unsigned long long)s->dropped_full, (unsigned long long)s->duplicated,
            (unsigned long long)s->reordered, (unsigned long long)s->passed);
  }
  if (out) fclose(out);
  synack_impair_free(im[0]);
  synack_impair_free(im[1]);
  close(fd[0]);
  close(fd[1]);
  return 0;
}
