/* Connection rate: connections opened, one 64-byte request and one 64-byte reply exchanged,
 * and closed, per second — one after the other, both ends in one process on one core (CPU 0).
 *
 *   synack: a client and a server stack over the zero-delay memory link (bench/memlink.h);
 *   baseline, same run: the same loop over Linux kernel loopback sockets (blocking, one thread,
 *   pinned to CPU 0 with sched_setaffinity).
 *
 * Closing: in both, the client sets SO_LINGER 0 and closes first after reading the reply, so
 * the connection ends with a RST and neither side keeps a TIME-WAIT entry (no port
 * exhaustion: ephemeral ports are reused at once); the server then closes its socket.
 * Each loop runs for SYNACK_BENCH_SECONDS (default 1) of wall time; each figure is the best of
 * SYNACK_BENCH_REPS (default 3) rounds. The 16 KiB-buffer figure shows what the default
 * 256 KiB buffers cost: they are allocated (zeroed) on first use by every connection.
 *
 * Output: a table, then "connrate <v> conn/s baseline_kernel_loopback_pinned_cpu0 <v> conn/s ratio <r>".
 */
#include "memlink.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 8080
#define MSG 64

static uint64_t env_u64(const char *name, uint64_t def) {
  const char *e = getenv(name);
  return e && *e ? strtoull(e, NULL, 10) : def;
}

typedef struct {
  uint64_t conns;
  double secs;
  uint64_t tsc;
  bool ok;
} result_t;

static double rate(const result_t *r) { return r->secs > 0 ? (double)r->conns / r->secs : 0; }

static void drain_events(synack_stack_t *st) {
  synack_event_t ev;
  while (synack_stack_next_event(st, &ev)) {
  }
}

static result_t run_synack(double secs, uint32_t bufsize) {
  result_t res = {0};
  synack_config_t ca, cb;
  bl_config(&ca, 1, 1500);
  bl_config(&cb, 2, 1500);
  if (bufsize) {
    ca.tcp_sndbuf = ca.tcp_rcvbuf = bufsize;
    cb.tcp_sndbuf = cb.tcp_rcvbuf = bufsize;
  }
  synack_time_t now = bl_now_us();
  bl_link_t l = {.a = synack_stack_new(&ca, now), .b = synack_stack_new(&cb, now)};
  if (!l.a || !l.b) return res;
  int ls = synack_socket(l.b, SYNACK_AF_INET);
  synack_endpoint_t lep = {.port = PORT};
  if (synack_bind(l.b, ls, &lep) < 0 || synack_listen(l.b, ls, 128) < 0) goto out;
  synack_endpoint_t srv = {.ip = cb.ip4, .port = PORT};
  uint8_t req[MSG], rep[MSG], buf[MSG];
  memset(req, 'q', sizeof req);
  memset(rep, 'r', sizeof rep);
  uint64_t t0 = bl_now_ns(), c0 = bl_rdtsc(), end = t0 + (uint64_t)(secs * 1e9);
  res.ok = true;
  while (res.ok) {
    now = bl_now_us();
    int c = synack_socket(l.a, SYNACK_AF_INET);
    synack_setsockopt(l.a, c, SYNACK_SO_LINGER, 0);
    synack_setsockopt(l.a, c, SYNACK_TCP_NODELAY, 1);
    if (c < 0 || synack_connect(l.a, now, c, &srv) != -SYNACK_EINPROGRESS) { res.ok = false; break; }
    bl_pump(&l, now);
    synack_endpoint_t peer;
    int s = synack_accept(l.b, ls, &peer);
    if (s < 0 || synack_send(l.a, now, c, req, MSG, 0) != MSG) { res.ok = false; break; }
    synack_setsockopt(l.b, s, SYNACK_TCP_NODELAY, 1);
    bl_pump(&l, now);
    if (synack_recv(l.b, now, s, buf, MSG, 0) != MSG || synack_send(l.b, now, s, rep, MSG, 0) != MSG) {
      res.ok = false;
      break;
    }
    bl_pump(&l, now);
    if (synack_recv(l.a, now, c, buf, MSG, 0) != MSG || buf[0] != 'r') { res.ok = false; break; }
    synack_close(l.a, now, c);
    bl_pump(&l, now);
    synack_close(l.b, now, s);
    bl_pump(&l, now);
    drain_events(l.a);
    drain_events(l.b);
    bl_timers(&l, now);
    res.conns++;
    if ((res.conns & 255) == 0 && bl_now_ns() >= end) break;
  }
  res.tsc = bl_rdtsc() - c0;
  res.secs = (double)(bl_now_ns() - t0) / 1e9;
  if (!res.ok) fprintf(stderr, "synack loop failed after %" PRIu64 " connections\n", res.conns);
  /* Nothing may be left behind: only the listener remains. */
  if (synack_conn_table(l.a, NULL, 0) != 0 || synack_conn_table(l.b, NULL, 0) != 1) {
    fprintf(stderr, "synack: connection tables not empty (%zu client, %zu server)\n", synack_conn_table(l.a, NULL, 0),
            synack_conn_table(l.b, NULL, 0));
    res.ok = false;
  }
out:
  synack_stack_free(l.a);
  synack_stack_free(l.b);
  return res;
}

static bool xfer(int fd, void *b, bool wr) {
  size_t done = 0;
  while (done < MSG) {
    ssize_t k = wr ? write(fd, (uint8_t *)b + done, MSG - done) : read(fd, (uint8_t *)b + done, MSG - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    done += (size_t)k;
  }
  return true;
}

static result_t run_kernel(double secs) {
  result_t res = {0};
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0 ||
      getsockname(ls, (struct sockaddr *)&a, &al) < 0) {
    perror("kernel baseline: listen");
    return res;
  }
  uint8_t req[MSG], rep[MSG], buf[MSG];
  memset(req, 'q', sizeof req);
  memset(rep, 'r', sizeof rep);
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  uint64_t t0 = bl_now_ns(), c0 = bl_rdtsc(), end = t0 + (uint64_t)(secs * 1e9);
  res.ok = true;
  for (;;) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) { res.ok = false; break; }
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); close(c); res.ok = false; break; }
    int s = accept(ls, NULL, NULL);
    if (s < 0) { close(c); res.ok = false; break; }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bool ok = xfer(c, req, true) && xfer(s, buf, false) && xfer(s, rep, true) && xfer(c, buf, false) && buf[0] == 'r';
    close(c);
    close(s);
    if (!ok) { res.ok = false; break; }
    res.conns++;
    if ((res.conns & 255) == 0 && bl_now_ns() >= end) break;
  }
  res.tsc = bl_rdtsc() - c0;
  res.secs = (double)(bl_now_ns() - t0) / 1e9;
  close(ls);
  return res;
}

static void row(const char *name, const result_t *r, const result_t *k) {
  printf("%-44s %12.0f %12.0f %10.3f%s\n", name, rate(r), r->conns ? (double)r->tsc / (double)r->conns : 0,
         rate(k) > 0 ? rate(r) / rate(k) : 0, r->ok ? "" : "  FAILED");
}

static void figure(const char *name, const result_t *r, const result_t *k) {
  printf("%s %.0f conn/s baseline_kernel_loopback_pinned_cpu0 %.0f conn/s ratio %.4f\n", name, rate(r), rate(k),
         rate(k) > 0 ? rate(r) / rate(k) : 0);
  double cr = r->conns ? (double)r->tsc / (double)r->conns : 0, ck = k->conns ? (double)k->tsc / (double)k->conns : 0;
  printf("%s_cycles_per_conn %.0f cycles baseline_kernel_loopback_pinned_cpu0 %.0f cycles ratio %.4f\n", name, cr, ck,
         ck > 0 ? cr / ck : 0);
}

int main(void) {
  double secs = (double)env_u64("SYNACK_BENCH_SECONDS", 1);
  int pinned = bl_pin_cpu0() == 0;
  printf("connrate: open, 64-byte request, 64-byte reply, close; sequential, one process, %s; %.0f s per loop, "
         "best of %u\n",
         pinned ? "pinned to CPU 0 (sched_setaffinity)" : "PINNING FAILED", secs, (unsigned)env_u64("SYNACK_BENCH_REPS", 3));
  printf("close: client SO_LINGER 0 (RST, no TIME-WAIT on either side, ports reused at once), then the server "
         "closes; TCP_NODELAY on every socket (kernel and synack); cycles = TSC reference cycles (rdtsc)\n\n");
  unsigned reps = (unsigned)env_u64("SYNACK_BENCH_REPS", 3);
  result_t k = {0}, s = {0}, s16 = {0};
  /* Best of `reps` rounds, the three loops interleaved within each round (shared, noisy machine). */
  for (unsigned i = 0; i < (reps ? reps : 1); i++) {
    result_t r = run_kernel(secs);
    if (rate(&r) > rate(&k)) k = r;
    r = run_synack(secs, 0);
    if (rate(&r) > rate(&s)) s = r;
    r = run_synack(secs, 16384);
    if (rate(&r) > rate(&s16)) s16 = r;
  }
  printf("%-44s %12s %12s %10s\n", "loop", "conn/s", "cycles/conn", "vs kernel");
  row("kernel loopback, pinned CPU 0", &k, &k);
  row("synack, default buffers (256 KiB)", &s, &k);
  row("synack, 16 KiB buffers", &s16, &k);
  printf("target: >= 5x the pinned kernel (now %.2fx with default buffers)\n\n", rate(&k) > 0 ? rate(&s) / rate(&k) : 0);
  printf("kernel_connrate_loopback_pinned_cpu0 %.0f conn/s\n", rate(&k));
  figure("connrate", &s, &k);
  figure("connrate_buf16k", &s16, &k);
  return k.ok && s.ok && s16.ok ? 0 : 1;
}
