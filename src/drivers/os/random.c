/* synack_random_os: the kernel's CSPRNG (see include/synack/random.h). */
#define _GNU_SOURCE
#include "synack/random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

static int from_urandom(unsigned char *p, size_t len) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  close(fd);
  return 0;
}

void synack_random_os(void *user, void *buf, size_t len) {
  (void)user;
  unsigned char *p = buf;
#if defined(__linux__)
  while (len > 0) {
    /* Blocks only until the kernel's pool is first initialised (early boot), then never. */
    ssize_t n = getrandom(p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break; /* ENOSYS on an old kernel: try the device */
    p += n;
    len -= (size_t)n;
  }
#endif
  if (len > 0 && from_urandom(p, len) != 0) {
    /* Predictable secrets would silently undo RFC 6528, the SYN cookies and RFC 6056. */
    fputs("synack: no source of randomness (getrandom and /dev/urandom failed)\n", stderr);
    abort();
  }
}
