/* The device's XDP program: loaded from the object the build compiled (synack_xdp.bpf.c),
 * attached in skb or native mode through libxdp, told the stack's addresses through its array
 * map. The queues' sockets are entered in its XSKMAP (xsk.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "synack/xdp.h"
#include "xdp_priv.h"

#ifndef SYNACK_XDP_OBJ
#define SYNACK_XDP_OBJ "synack_xdp.bpf.o"
#endif

/* The layout of the program's synack_addrs value (synack_xdp.bpf.c). */
struct xdp_addrs {
  uint32_t has4, has6;
  uint8_t ip4[4];
  uint8_t ip6[16];
  uint8_t ip6ll[16];
};

enum xdp_attach_mode synack_xdp_libxdp_mode(synack_xdp_mode_t m) {
  switch (m) {
    case SYNACK_XDP_MODE_SKB: return XDP_MODE_SKB;
    case SYNACK_XDP_MODE_NATIVE: return XDP_MODE_NATIVE;
  }
  return XDP_MODE_SKB;
}

/* fe80::/64 with the modified EUI-64 of the MAC (RFC 4291 appendix A), as the stack derives it. */
static void eui64_link_local(const synack_mac_t *mac, uint8_t out[16]) {
  memset(out, 0, 16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = mac->b[0] ^ 0x02;
  out[9] = mac->b[1];
  out[10] = mac->b[2];
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac->b[3];
  out[14] = mac->b[4];
  out[15] = mac->b[5];
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap) {
  (void)level;
  (void)fmt;
  (void)ap;
  return 0;
}

static int quiet_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap) {
  (void)level;
  (void)fmt;
  (void)ap;
  return 0;
}

synack_xdp_prog_t *synack_xdp_prog_attach(const synack_xdp_prog_cfg_t *cfg, int *err) {
  if (!cfg->verbose) {
    libbpf_set_print(quiet_libbpf);
    libxdp_set_print(quiet_libxdp);
  }
  int ifindex = (int)if_nametoindex(cfg->ifname);
  if (!ifindex) {
    *err = -errno;
    return NULL;
  }
  synack_xdp_prog_t *p = calloc(1, sizeof *p);
  if (!p) {
    *err = -ENOMEM;
    return NULL;
  }
  p->ifindex = ifindex;
  p->mode = synack_xdp_libxdp_mode(cfg->mode);
  p->prog = xdp_program__open_file(cfg->obj_path ? cfg->obj_path : SYNACK_XDP_OBJ, "xdp", NULL);
  long perr = libxdp_get_error(p->prog);
  if (perr) {
    p->prog = NULL;
    *err = (int)(perr < 0 ? perr : -perr);
    free(p);
    return NULL;
  }
  int r = xdp_program__attach(p->prog, ifindex, p->mode, 0);
  if (r < 0) {
    xdp_program__close(p->prog);
    free(p);
    *err = r;
    return NULL;
  }
  struct bpf_object *obj = xdp_program__bpf_obj(p->prog);
  p->xsks_fd = bpf_object__find_map_fd_by_name(obj, "synack_xsks");
  int addrs_fd = bpf_object__find_map_fd_by_name(obj, "synack_addrs");
  struct xdp_addrs a;
  memset(&a, 0, sizeof a);
  if (cfg->ip4.family == SYNACK_AF_INET) {
    a.has4 = 1;
    memcpy(a.ip4, cfg->ip4.b, 4);
  }
  if (cfg->ip6.family == SYNACK_AF_INET6) {
    a.has6 = 1;
    memcpy(a.ip6, cfg->ip6.b, 16);
  }
  eui64_link_local(&cfg->mac, a.ip6ll);
  uint32_t zero = 0;
  if (p->xsks_fd < 0 || addrs_fd < 0 || bpf_map_update_elem(addrs_fd, &zero, &a, 0) < 0) {
    *err = p->xsks_fd < 0 || addrs_fd < 0 ? -ENOENT : -errno;
    synack_xdp_prog_detach(p);
    return NULL;
  }
  return p;
}

void synack_xdp_prog_detach(synack_xdp_prog_t *p) {
  if (!p) return;
  xdp_program__detach(p->prog, p->ifindex, p->mode, 0);
  xdp_program__close(p->prog);
  free(p);
}
