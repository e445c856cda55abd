/* Calls Python cannot make, checked under libsynack-preload.so against the kernel peer of
 * tests/net/preload_api.py (TCP echo on 7000, UDP echo on 7001, "CONNECT host port" connects
 * back): sendmmsg/recvmmsg, epoll_pwait2, splice from a file through a pipe to a synack socket
 * and back, sendfile from an offset, accept4's flags. Built and run by tests/net/t_preload.sh.
 *
 * usage: preload_calls K4 S4      (the kernel's and synack's IPv4 addresses)
 * Prints "ok: ..." per check; the first failed one prints "FAIL: ..." and exits 1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *k4, *s4;

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL: ");
  vprintf(fmt, ap);
  printf(" (errno %s)\n", strerror(errno));
  va_end(ap);
  fflush(stdout);
  exit(1);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct sockaddr_in addr(const char *ip, int port) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

static int tcp_to(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = addr(ip, port);
  struct timeval tv = { 10, 0 };
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) fail("connect to %s:%d", ip, port);
  return s;
}

/* A file of n pseudo-random bytes (unlinked at once). */
static int random_file(size_t n, uint8_t **copy) {
  char path[] = "/tmp/preload_calls.XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) fail("mkstemp");
  unlink(path);
  uint8_t *b = malloc(n);
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b[i] = (uint8_t)x;
  }
  if (write(fd, b, n) != (ssize_t)n) fail("write the file");
  *copy = b;
  return fd;
}

static void read_exact(int s, uint8_t *b, size_t n, const char *what) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(s, b + got, n - got);
    if (r <= 0) fail("%s: read after %zu of %zu bytes returned %zd", what, got, n, r);
    got += (size_t)r;
  }
}

/* ---------- UDP: sendmmsg, recvmmsg ---------- */

static void check_mmsg(void) {
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = addr(k4, 7001);
  enum { N = 8 };
  char out[N][32], in[N][64];
  struct iovec ov[N], iv[N];
  struct mmsghdr om[N], im[N];
  struct sockaddr_in from[N];
  memset(om, 0, sizeof om);
  memset(im, 0, sizeof im);
  for (int i = 0; i < N; i++) {
    int len = snprintf(out[i], sizeof out[i], "datagram %d of %d", i, N);
    ov[i] = (struct iovec){ out[i], (size_t)len };
    om[i].msg_hdr = (struct msghdr){ .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &ov[i], .msg_iovlen = 1 };
    iv[i] = (struct iovec){ in[i], sizeof in[i] };
    im[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iv[i], .msg_iovlen = 1 };
  }
  /* One exchange first: the neighbour is resolved (a stack holds only a few datagrams while it
   * asks for the peer's MAC address, as Linux does), so none of the batch is dropped for that. */
  if (sendto(u, "warm-up", 7, 0, (struct sockaddr *)&to, sizeof to) != 7) fail("warm-up sendto");
  struct pollfd wp = { u, POLLIN, 0 };
  if (poll(&wp, 1, 5000) != 1 || recv(u, in[0], sizeof in[0], 0) != 7) fail("warm-up echo");
  /* Nothing there now: a non-blocking recvmmsg fails with EAGAIN. */
  errno = 0;
  if (recvmmsg(u, im, N, MSG_DONTWAIT, NULL) != -1 || errno != EAGAIN) fail("recvmmsg on an empty socket");
  int r = sendmmsg(u, om, N, 0);
  if (r != N) fail("sendmmsg returned %d, want %d", r, N);
  for (int i = 0; i < N; i++)
    if (om[i].msg_len != strlen(out[i])) fail("sendmmsg msg_len[%d] = %u", i, om[i].msg_len);
  int got = 0;
  double end = now_s() + 5;
  while (got < N && now_s() < end) {
    struct pollfd p = { u, POLLIN, 0 };
    if (poll(&p, 1, 1000) <= 0) continue;
    /* MSG_WAITFORONE: whatever is there after the first, without waiting for the rest. */
    struct timespec ts = { 2, 0 };
    r = recvmmsg(u, im + got, (unsigned)(N - got), MSG_WAITFORONE, &ts);
    if (r <= 0) fail("recvmmsg returned %d", r);
    got += r;
  }
  if (got != N) fail("recvmmsg: %d of %d datagrams", got, N);
  for (int i = 0; i < N; i++) {
    if (im[i].msg_len != strlen(out[i]) || memcmp(in[i], out[i], im[i].msg_len) != 0)
      fail("datagram %d: %u bytes '%.*s'", i, im[i].msg_len, (int)im[i].msg_len, in[i]);
    if (from[i].sin_port != htons(7001) || from[i].sin_addr.s_addr != to.sin_addr.s_addr) fail("source of datagram %d", i);
  }
  close(u);
  printf("ok: sendmmsg sent %d datagrams (msg_len each), recvmmsg(MSG_WAITFORONE) got them back in order with sources; EAGAIN when empty\n", N);
}

/* ---------- epoll_pwait2 ---------- */

static void check_pwait2(void) {
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1234567890ull };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev) != 0) fail("epoll_ctl ADD");
  struct epoll_event out[4];
  struct timespec ts = { 0, 80 * 1000 * 1000 };
  double t0 = now_s();
  int r = epoll_pwait2(ep, out, 4, &ts, NULL);
  double waited = now_s() - t0;
  if (r != 0 || waited < 0.075 || waited > 2) fail("epoll_pwait2 on nothing: %d after %.3f s", r, waited);
  struct sockaddr_in to = addr(k4, 7001);
  if (sendto(u, "ping", 4, 0, (struct sockaddr *)&to, sizeof to) != 4) fail("sendto");
  ts = (struct timespec){ 5, 0 };
  r = epoll_pwait2(ep, out, 4, &ts, NULL);
  if (r != 1 || out[0].data.u64 != 0x1234567890ull || !(out[0].events & EPOLLIN)) fail("epoll_pwait2: %d", r);
  char b[8];
  if (recv(u, b, sizeof b, 0) != 4 || memcmp(b, "ping", 4) != 0) fail("the echo");
  /* A set of kernel descriptors only: the kernel's own epoll_pwait2. */
  int pfd[2];
  if (pipe(pfd) != 0) fail("pipe");
  int ep2 = epoll_create1(EPOLL_CLOEXEC);
  ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = pfd[0] };
  epoll_ctl(ep2, EPOLL_CTL_ADD, pfd[0], &ev);
  if (write(pfd[1], "x", 1) != 1) fail("pipe write");
  ts = (struct timespec){ 1, 0 };
  if (epoll_pwait2(ep2, out, 4, &ts, NULL) != 1 || out[0].data.fd != pfd[0]) fail("epoll_pwait2 on a pipe");
  close(pfd[0]);
  close(pfd[1]);
  close(ep2);
  close(ep);
  close(u);
  printf("ok: epoll_pwait2: 80 ms timeout honoured (%.3f s), a synack datagram reported with its data, a pipe-only set\n", waited);
}

/* ---------- splice and sendfile ---------- */

typedef struct {
  int file, sock;
  size_t n;
} feed_t;

/* file -> pipe (the kernel's splice) -> synack socket (the library's). */
static void *feed(void *arg) {
  feed_t *f = arg;
  int p[2];
  if (pipe(p) != 0) fail("pipe");
  loff_t off = 0;
  size_t sent = 0;
  while (sent < f->n) {
    ssize_t in = splice(f->file, &off, p[1], NULL, f->n - sent, SPLICE_F_MOVE);
    if (in <= 0) fail("splice file -> pipe: %zd", in);
    for (ssize_t left = in; left > 0;) {
      ssize_t r = splice(p[0], NULL, f->sock, NULL, (size_t)left, SPLICE_F_MORE);
      if (r <= 0) fail("splice pipe -> synack socket: %zd", r);
      left -= r;
      sent += (size_t)r;
    }
  }
  close(p[0]);
  close(p[1]);
  return NULL;
}

static void check_splice(void) {
  const size_t n = 3u << 20;
  uint8_t *want;
  int file = random_file(n, &want);
  int s = tcp_to(k4, 7000);
  feed_t f = { file, s, n };
  pthread_t t;
  pthread_create(&t, NULL, feed, &f);
  /* synack socket -> pipe (the library's splice) -> a file (the kernel's). */
  char path[] = "/tmp/preload_calls_out.XXXXXX";
  int outf = mkstemp(path);
  unlink(path);
  int p[2];
  if (outf < 0 || pipe(p) != 0) fail("output file / pipe");
  size_t got = 0;
  while (got < n) {
    ssize_t r = splice(s, NULL, p[1], NULL, n - got, 0);
    if (r <= 0) fail("splice synack socket -> pipe after %zu bytes: %zd", got, r);
    for (ssize_t left = r; left > 0;) {
      ssize_t w = splice(p[0], NULL, outf, NULL, (size_t)left, 0);
      if (w <= 0) fail("splice pipe -> file");
      left -= w;
    }
    got += (size_t)r;
  }
  pthread_join(t, NULL);
  uint8_t *back = malloc(n);
  if (pread(outf, back, n, 0) != (ssize_t)n || memcmp(back, want, n) != 0) fail("spliced bytes differ");
  /* Splice between a synack socket and a file (no pipe): EINVAL, as Linux. */
  errno = 0;
  loff_t o = 0;
  if (splice(s, NULL, outf, &o, 10, 0) != -1 || errno != EINVAL) fail("splice synack socket -> file");
  printf("ok: splice file -> pipe -> synack socket -> echo -> synack socket -> pipe -> file: %zu bytes identical\n", n);

  /* sendfile from an offset: the bytes [1 MiB + 7, +1 MiB) echo back, the offset advances. */
  off_t off = (1 << 20) + 7;
  ssize_t r = sendfile(s, file, &off, 1 << 20);
  if (r <= 0) fail("sendfile");
  size_t total = (size_t)r;
  while (total < (1u << 20)) {
    r = sendfile(s, file, &off, (1u << 20) - total);
    if (r <= 0) fail("sendfile (more)");
    total += (size_t)r;
  }
  if (off != (off_t)((1 << 20) + 7 + (1 << 20))) fail("sendfile offset %lld", (long long)off);
  read_exact(s, back, 1u << 20, "sendfile echo");
  if (memcmp(back, want + (1 << 20) + 7, 1u << 20) != 0) fail("sendfile bytes differ");
  if (lseek(file, 0, SEEK_CUR) != (off_t)n) fail("sendfile with an offset moved the file position");
  printf("ok: sendfile from offset 1 MiB + 7: 1 MiB echoed identical, *offset advanced, the file position untouched\n");
  close(s);
  close(outf);
  close(p[0]);
  close(p[1]);
  close(file);
  free(back);
  free(want);
}

/* ---------- accept4's flags ---------- */

static void check_accept4(void) {
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = addr(s4, 7301);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4) != 0) fail("bind/listen");
  if (!(fcntl(ls, F_GETFD) & FD_CLOEXEC)) fail("socket(SOCK_CLOEXEC) without FD_CLOEXEC");
  errno = 0;
  if (accept4(ls, NULL, NULL, 0x40000000) != -1 || errno != EINVAL) fail("accept4 with an unknown flag");
  int c = tcp_to(k4, 7000);
  char req[64];
  int len = snprintf(req, sizeof req, "CONNECT %s 7301", s4);
  if (write(c, req, (size_t)len) != len) fail("CONNECT request");
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  int fd = -1;
  double end = now_s() + 10;
  struct pollfd p = { ls, POLLIN, 0 };
  while (fd < 0 && now_s() < end) {
    poll(&p, 1, 1000);
    fd = accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
  }
  if (fd < 0) fail("accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)");
  if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) fail("accepted socket without FD_CLOEXEC");
  if (!(fcntl(fd, F_GETFL) & O_NONBLOCK)) fail("accepted socket without O_NONBLOCK");
  char b[32];
  errno = 0;
  ssize_t r = -1;
  while (now_s() < end) {
    r = read(fd, b, sizeof b);
    if (r >= 0 || errno != EAGAIN) break;
    struct pollfd q = { fd, POLLIN, 0 };
    poll(&q, 1, 1000);
  }
  if (r != 17 || memcmp(b, "hello-from-kernel", 17) != 0) fail("data on the accepted socket: %zd", r);
  close(fd);
  close(c);
  close(ls);
  printf("ok: accept4(SOCK_NONBLOCK | SOCK_CLOEXEC): both flags on the new socket, EINVAL for an unknown flag\n");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: preload_calls K4 S4\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  k4 = argv[1];
  s4 = argv[2];
  check_mmsg();
  check_pwait2();
  check_splice();
  check_accept4();
  printf("all calls checked\n");
  return 0;
}
