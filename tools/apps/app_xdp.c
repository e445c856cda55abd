/* The AF_XDP side of the real-network subcommands (see app_xdp.h). */
#define _GNU_SOURCE
#include "app_xdp.h"

#include "app_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef SYNACK_HAVE_XDP
#include <synack/random.h>
#include <synack/xdp.h>

struct app_xdp_group {
  synack_xdp_prog_t *prog;
  uint8_t secret[SYNACK_SHARED_SECRET_LEN];
};

bool app_xdp_available(void) { return true; }

app_xdp_group_t *app_xdp_group_new(const struct app_net *proto, const char *cmd) {
  const app_opts_t *o = &proto->o;
  app_xdp_group_t *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  synack_xdp_prog_cfg_t pc;
  memset(&pc, 0, sizeof pc);
  pc.ifname = o->dev;
  pc.mode = o->xdp_native ? SYNACK_XDP_MODE_NATIVE : SYNACK_XDP_MODE_SKB;
  pc.ip4 = o->addr4;
  pc.ip6 = o->addr6;
  pc.mac = o->mac;
  pc.obj_path = o->xdp_obj;
  pc.verbose = o->trace;
  int err = 0;
  g->prog = synack_xdp_prog_attach(&pc, &err);
  if (!g->prog) {
    fprintf(stderr, "synack %s: cannot attach the XDP program to '%s' (%s mode): %s%s\n", cmd, o->dev,
            o->xdp_native ? "native" : "skb", strerror(-err),
            err == -EPERM || err == -EACCES ? " (needs root or CAP_NET_ADMIN + CAP_BPF)" : "");
    free(g);
    return NULL;
  }
  /* One master secret for every queue's stack: a SYN cookie validates on whichever queue the
   * client's ACK lands (cfg.shared_secret); each stack's generator still draws from the OS. */
  synack_random_os(NULL, g->secret, sizeof g->secret);
  return g;
}

void app_xdp_group_free(app_xdp_group_t *g) {
  if (!g) return;
  synack_xdp_prog_detach(g->prog);
  memset(g->secret, 0, sizeof g->secret);
  free(g);
}

const uint8_t *app_xdp_group_secret(const app_xdp_group_t *g) { return g->secret; }

int app_xdp_open(struct app_net *a, app_xdp_group_t *g, const char *cmd) {
  synack_xdp_cfg_t xc;
  memset(&xc, 0, sizeof xc);
  xc.ifname = a->o.dev;
  xc.queue = a->queue;
  xc.mode = a->o.xdp_native ? SYNACK_XDP_MODE_NATIVE : SYNACK_XDP_MODE_SKB;
  xc.zerocopy = a->o.zerocopy;
  xc.prog = g->prog;
  int err = 0;
  a->xdp = synack_xdp_open(&xc, &err);
  if (!a->xdp) {
    fprintf(stderr, "synack %s: cannot open an XDP socket on %s queue %u (%s): %s\n", cmd, a->o.dev, a->queue,
            a->o.zerocopy ? "zero-copy" : "copy", strerror(-err));
    return -1;
  }
  return 0;
}

void app_xdp_close(struct app_net *a) {
  synack_xdp_close(a->xdp);
  a->xdp = NULL;
}

int app_xdp_run(struct app_net *a, synack_time_t max_wait_us) { return synack_xdp_run(a->xdp, a->st, max_wait_us); }

void app_xdp_print_stats(struct app_net *a, FILE *f) {
  const synack_xdp_stats_t *s = synack_xdp_stats(a->xdp);
  fprintf(f,
          "driver: xdp queue %u: frames in %llu out %llu tx-full %llu too-big %llu kicks %llu wakeups %llu "
          "neighbour-answers-shared %llu kernel: rx-dropped %llu rx-ring-full %llu fill-ring-empty %llu\n",
          a->queue, (unsigned long long)s->frames_in, (unsigned long long)s->frames_out,
          (unsigned long long)s->tx_full, (unsigned long long)s->too_big, (unsigned long long)s->kicks,
          (unsigned long long)s->wakeups, (unsigned long long)s->neigh_shared, (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_ring_full,
          (unsigned long long)s->fill_ring_empty);
}

int app_xdp_queue_count(const char *dev) { return synack_xdp_queue_count(dev); }

int app_xdp_share_neighbours(struct app_net *const *nets, uint32_t n) {
  synack_xdp_t **q = calloc(n, sizeof *q);
  if (!q) return -1;
  for (uint32_t i = 0; i < n; i++) q[i] = nets[i]->xdp;
  int r = synack_xdp_share_neighbours(q, n);
  free(q);
  return r < 0 ? -1 : 0;
}

#else

bool app_xdp_available(void) { return false; }
app_xdp_group_t *app_xdp_group_new(const struct app_net *proto, const char *cmd) {
  (void)proto;
  fprintf(stderr, "synack %s: this build has no AF_XDP driver (libxdp-dev, libbpf-dev and clang were not found)\n",
          cmd);
  return NULL;
}
void app_xdp_group_free(app_xdp_group_t *g) { (void)g; }
const uint8_t *app_xdp_group_secret(const app_xdp_group_t *g) {
  (void)g;
  return NULL;
}
int app_xdp_open(struct app_net *a, app_xdp_group_t *g, const char *cmd) {
  (void)a;
  (void)g;
  (void)cmd;
  return -1;
}
void app_xdp_close(struct app_net *a) { (void)a; }
int app_xdp_run(struct app_net *a, synack_time_t max_wait_us) {
  (void)a;
  (void)max_wait_us;
  return -SYNACK_EINVAL;
}
void app_xdp_print_stats(struct app_net *a, FILE *f) {
  (void)a;
  (void)f;
}
int app_xdp_queue_count(const char *dev) {
  (void)dev;
  return 0;
}
int app_xdp_share_neighbours(struct app_net *const *nets, uint32_t n) {
  (void)nets;
  (void)n;
  return -1;
}
#endif
