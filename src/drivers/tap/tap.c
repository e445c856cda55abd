/* The TAP device: /dev/net/tun in IFF_TAP | IFF_NO_PI mode, non-blocking, optionally with the
 * virtio-net header (IFF_VNET_HDR) that carries checksum and segmentation offload state.
 *
 * The offload state set with TUNSETOFFLOAD belongs to the interface, not to the file
 * descriptor: it survives a close and a re-attach. A process that attaches without the header
 * but inherits offloads from an earlier user would receive frames whose checksums were never
 * finished. So every open sets the state explicitly, to "everything" on the offload path and to
 * "nothing" on the plain one. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "synack/tap.h"

struct synack_tap {
  int fd;
  bool vnet;
  char name[IFNAMSIZ];
};

/* The virtio-net header is little-endian on the wire of the tun device (TUNSETVNETLE defaults
 * to the host order, which is little-endian on every platform this targets); encode explicitly. */
static uint16_t le16_get(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static void le16_put(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

#define VNET_HDR_LEN 10 /* struct virtio_net_hdr without num_buffers */

static int attach(const synack_tap_cfg_t *cfg, bool vnet, synack_tap_t *t) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
  if (cfg->name) {
    size_t n = strlen(cfg->name);
    if (n >= IFNAMSIZ) {
      close(fd);
      return -EINVAL;
    }
    memcpy(ifr.ifr_name, cfg->name, n);
  }
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = -errno;
    close(fd);
    return e;
  }
  unsigned off = 0;
  if (vnet) {
    int sz = VNET_HDR_LEN;
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) goto fail;
    /* Partial checksums and TCP segmentation both ways; ECN-marked TSO too (CWR on the first). */
    off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
  }
  if (ioctl(fd, TUNSETOFFLOAD, off) < 0) goto fail;
  t->fd = fd;
  t->vnet = vnet;
  memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
  t->name[IFNAMSIZ - 1] = 0;
  return 0;
fail: {
  int e = -errno;
  close(fd);
  return e;
}
}

synack_tap_t *synack_tap_open(const synack_tap_cfg_t *cfg, int *err) {
  synack_tap_t *t = calloc(1, sizeof *t);
  int e = -ENOMEM;
  if (t) {
    e = cfg->offload ? attach(cfg, true, t) : -EINVAL;
    /* Fall back to plain frames when the kernel refuses the header or the offloads. */
    if (e < 0 && e != -EPERM && e != -EACCES && e != -ENOENT && e != -EBUSY) e = attach(cfg, false, t);
    if (e == 0) {
      if (err) *err = 0;
      return t;
    }
    free(t);
  }
  if (err) *err = e;
  return NULL;
}

void synack_tap_close(synack_tap_t *t) {
  if (!t) return;
  close(t->fd);
  free(t);
}

int synack_tap_fd(const synack_tap_t *t) { return t->fd; }
const char *synack_tap_name(const synack_tap_t *t) { return t->name; }
bool synack_tap_offload(const synack_tap_t *t) { return t->vnet; }

/* The queue is the device's txqueuelen: the kernel's transmit path toward us puts frames in a
 * ring of that many slots and drops (counted in the device's TX "dropped") when it is full; it
 * never waits. The TUN ioctls do not take it, an ordinary socket's interface ioctls do. */
static int txqlen_ioctl(const char *name, unsigned long req, int *qlen) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  ifr.ifr_qlen = *qlen;
  int r = ioctl(s, req, &ifr) < 0 ? -errno : 0;
  *qlen = ifr.ifr_qlen;
  close(s);
  return r;
}

int synack_tap_queue_len(const synack_tap_t *t) {
  int q = 0;
  int r = txqlen_ioctl(t->name, SIOCGIFTXQLEN, &q);
  return r < 0 ? r : q;
}

int synack_tap_grow_queue(synack_tap_t *t, uint32_t frames) {
  int cur = synack_tap_queue_len(t);
  if (cur < 0) return cur;
  if (frames > INT32_MAX) frames = INT32_MAX;
  if ((uint32_t)cur >= frames) return cur;
  int q = (int)frames;
  int r = txqlen_ioctl(t->name, SIOCSIFTXQLEN, &q);
  return r < 0 ? r : synack_tap_queue_len(t);
}

int synack_tap_read(synack_tap_t *t, uint8_t *buf, size_t cap, synack_tap_meta_t *meta) {
  memset(meta, 0, sizeof *meta);
  uint8_t h[VNET_HDR_LEN];
  struct iovec iov[2] = { { h, sizeof h }, { buf, cap } };
  ssize_t n = t->vnet ? readv(t->fd, iov, 2) : read(t->fd, buf, cap);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
  if (!t->vnet) return (int)n;
  if (n < (ssize_t)sizeof h) return -EIO;
  n -= (ssize_t)sizeof h;
  if (h[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    meta->flags |= SYNACK_TAP_F_PARTIAL;
    meta->csum_start = le16_get(h + 6);
    meta->csum_offset = le16_get(h + 8);
  }
  if (h[0] & VIRTIO_NET_HDR_F_DATA_VALID) meta->flags |= SYNACK_TAP_F_CSUM_VALID;
  uint8_t gt = (uint8_t)(h[1] & ~VIRTIO_NET_HDR_GSO_ECN);
  if (gt == VIRTIO_NET_HDR_GSO_TCPV4) meta->gso_type = SYNACK_GSO_TCP4;
  else if (gt == VIRTIO_NET_HDR_GSO_TCPV6) meta->gso_type = SYNACK_GSO_TCP6;
  else if (gt != VIRTIO_NET_HDR_GSO_NONE) return -EPROTO; /* UDP fragmentation offload was not enabled */
  meta->hdr_len = le16_get(h + 2);
  meta->gso_size = le16_get(h + 4);
  return (int)n;
}

int synack_tap_write(synack_tap_t *t, const uint8_t *frame, size_t len, const synack_tap_meta_t *meta) {
  ssize_t n;
  if (t->vnet) {
    uint8_t h[VNET_HDR_LEN];
    memset(h, 0, sizeof h);
    if (meta) {
      if (meta->flags & SYNACK_TAP_F_PARTIAL) {
        h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        le16_put(h + 6, meta->csum_start);
        le16_put(h + 8, meta->csum_offset);
      } else if (meta->flags & SYNACK_TAP_F_CSUM_VALID) {
        h[0] = VIRTIO_NET_HDR_F_DATA_VALID;
      }
      if (meta->gso_type == SYNACK_GSO_TCP4) h[1] = VIRTIO_NET_HDR_GSO_TCPV4;
      else if (meta->gso_type == SYNACK_GSO_TCP6) h[1] = VIRTIO_NET_HDR_GSO_TCPV6;
      le16_put(h + 2, meta->hdr_len);
      le16_put(h + 4, meta->gso_size);
    }
    struct iovec iov[2] = { { h, sizeof h }, { (void *)(uintptr_t)frame, len } };
    n = writev(t->fd, iov, 2);
  } else {
    if (meta && (meta->gso_type != SYNACK_GSO_NONE || (meta->flags & SYNACK_TAP_F_PARTIAL))) return -EINVAL;
    n = write(t->fd, frame, len);
  }
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? -EAGAIN : -errno;
  return 0;
}
