/* Shared between the AF_XDP driver's files (not installed). */
#ifndef SYNACK_XDP_PRIV_H
#define SYNACK_XDP_PRIV_H

#include <xdp/libxdp.h>

#include "synack/xdp.h"

struct synack_xdp_prog {
  struct xdp_program *prog;
  int ifindex;
  enum xdp_attach_mode mode;
  int xsks_fd; /* the XSKMAP: queue index → socket */
};

enum xdp_attach_mode synack_xdp_libxdp_mode(synack_xdp_mode_t m);

#endif
