/* Memory: what a connection costs when it does nothing.
 *
 *   1. bytes per idle ESTABLISHED connection, per end (synack_stack_memory() delta over 10,000
 *      connections; socket buffers are allocated on first use, so an idle connection has none);
 *   2. bytes per half-open (SYN-RECEIVED) entry: SYN-ACKs dropped, server delta / 10,000;
 *   3. bytes per TIME-WAIT entry: connections closed by the client, client delta / 10,000;
 *   5. connections that moved data: 1,000 connections each carry a 1,000-byte request and a
 *      20,000-byte response, then stay idle (memory per connection, per end, the bufcache's
 *      spare chunks excluded and reported apart); then each client sends 64 KiB that the
 *      server does not read (all the server holds per busy connection holding 64 KiB);
 *   4. 1,000,000 idle established connections in one stack pair over the memory link (client
 *      ports 1024-65535 towards 16 server ports): resident memory (VmRSS delta from
 *      /proc/self/status), synack_stack_memory, and CPU time per simulated second while 60 s of
 *      virtual time pass (idle connections should arm no timer: the cost should be ~0).
 * Baselines in the same run: the struct sizes the core declares (the floor of each figure),
 * and the targets (≤128 B per TIME-WAIT and half-open entry, ≤1 KiB per idle connection).
 * Everything runs on virtual time, so the figures do not depend on the machine's load except the
 * CPU-time ones. SYNACK_BENCH_CONNS changes the 1,000,000; SYNACK_BENCH_MEMORY_SECONDS (default
 * 300) bounds the wall time spent opening them (the figure then says how far it got).
 *
 * Output: a table, then "name value unit baseline_<what> value unit ratio r" lines. */
#include "memlink.h"

#include <malloc.h>
#include <stdlib.h>

#include "tcp_internal.h"

#define SMALL_N 10000u
#define BASE_PORT 10000

static uint64_t env_u64(const char *name, uint64_t def) {
  const char *e = getenv(name);
  return e && *e ? strtoull(e, NULL, 10) : def;
}

static long vmrss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

typedef struct {
  bl_link_t l;
  synack_config_t ca, cb;
  synack_time_t now;
  int lsock[64];
  unsigned nports;
  int *csocks, *ssocks;
  size_t nc, ns, cap;
} pair_t;

static bool pair_init(pair_t *p, uint32_t nconns, unsigned nports) {
  memset(p, 0, sizeof *p);
  bl_config(&p->ca, 1, 1500);
  bl_config(&p->cb, 2, 1500);
  for (int i = 0; i < 2; i++) {
    synack_config_t *c = i ? &p->cb : &p->ca;
    c->max_sockets = nconns + 128;
    c->max_timewait = nconns + 128;
    c->tcp_port_lo = 1024;
    c->tcp_port_hi = 65535;
    c->tcp_syn_backlog = nconns + 128;
    c->tcp_max_backlog = 65535;
    c->tcp_syncookies = false;
  }
  p->now = SYNACK_SEC(1);
  p->l.a = synack_stack_new(&p->ca, p->now);
  p->l.b = synack_stack_new(&p->cb, p->now);
  p->cap = nconns;
  p->csocks = malloc(sizeof(int) * nconns);
  p->ssocks = malloc(sizeof(int) * nconns);
  if (!p->l.a || !p->l.b || !p->csocks || !p->ssocks) return false;
  p->nports = nports;
  for (unsigned i = 0; i < nports; i++) {
    p->lsock[i] = synack_socket(p->l.b, SYNACK_AF_INET);
    synack_endpoint_t ep = {.port = (uint16_t)(BASE_PORT + i)};
    if (p->lsock[i] < 0 || synack_bind(p->l.b, p->lsock[i], &ep) < 0 || synack_listen(p->l.b, p->lsock[i], 65535) < 0)
      return false;
  }
  return true;
}

static void pair_free(pair_t *p) {
  if (p->l.a) synack_stack_free(p->l.a);
  if (p->l.b) synack_stack_free(p->l.b);
  free(p->csocks);
  free(p->ssocks);
}

static void drain(synack_stack_t *st) {
  synack_event_t ev;
  while (synack_stack_next_event(st, &ev)) {
  }
}

/* Opens up to n connections in batches; accepts them unless the link drops b→a. Stops at the
 * wall-clock deadline (0 = none). Returns the number opened (connect() accepted). */
static size_t open_conns(pair_t *p, size_t n, uint64_t deadline_ns) {
  /* Small batches: every SYN-ACK and ACK of a batch must fit the transmit ring (256 frames by
   * default), or the ones that do not are dropped (TX_RING_FULL) and retried a second later. */
  const size_t batch = 100;
  synack_endpoint_t srv = {.ip = p->cb.ip4};
  size_t opened = 0;
  while (opened < n) {
    size_t k = n - opened < batch ? n - opened : batch;
    for (size_t j = 0; j < k; j++) {
      int s = synack_socket(p->l.a, SYNACK_AF_INET);
      if (s < 0) return opened;
      srv.port = (uint16_t)(BASE_PORT + (opened % p->nports));
      int rc = synack_connect(p->l.a, p->now, s, &srv);
      if (rc != -SYNACK_EINPROGRESS) {
        fprintf(stderr, "connect #%zu: %s\n", opened, synack_strerror(rc));
        synack_close(p->l.a, p->now, s);
        return opened;
      }
      p->csocks[p->nc++] = s;
      opened++;
    }
    bl_pump(&p->l, p->now);
    if (!p->l.drop_ba) {
      for (unsigned i = 0; i < p->nports; i++) {
        synack_endpoint_t rem;
        int s;
        while (p->ns < p->cap && (s = synack_accept(p->l.b, p->lsock[i], &rem)) >= 0) p->ssocks[p->ns++] = s;
      }
    }
    drain(p->l.a);
    drain(p->l.b);
    p->now += SYNACK_MS(1);
    if (deadline_ns && bl_now_ns() > deadline_ns) break;
  }
  return opened;
}

typedef struct {
  double idle_client, idle_server, halfopen, timewait, slot;
  size_t n_idle, n_halfopen, n_timewait;
} small_t;

static void measure_small(small_t *m) {
  pair_t p;
  /* 1. idle established */
  if (pair_init(&p, SMALL_N, 1)) {
    size_t a0 = synack_stack_memory(p.l.a), b0 = synack_stack_memory(p.l.b);
    open_conns(&p, SMALL_N, 0);
    m->n_idle = p.ns;
    if (p.ns) {
      m->idle_client = (double)(synack_stack_memory(p.l.a) - a0) / (double)p.nc;
      m->idle_server = (double)(synack_stack_memory(p.l.b) - b0) / (double)p.ns;
    }
    /* 3. TIME-WAIT: the client closes, the server closes at EOF; the client keeps the entries. */
    for (size_t i = 0; i < p.nc; i++) synack_close(p.l.a, p.now, p.csocks[i]);
    bl_pump(&p.l, p.now);
    uint8_t buf[16];
    for (size_t i = 0; i < p.ns; i++) {
      synack_recv(p.l.b, p.now, p.ssocks[i], buf, sizeof buf, 0);
      synack_close(p.l.b, p.now, p.ssocks[i]);
    }
    bl_pump(&p.l, p.now);
    drain(p.l.a);
    drain(p.l.b);
    synack_conn_entry_t e;
    size_t tw = synack_conn_table(p.l.a, NULL, 0);
    if (tw && synack_conn_table(p.l.a, &e, 1) && e.kind == SYNACK_CONN_TIMEWAIT) {
      m->n_timewait = tw;
      m->timewait = (double)(synack_stack_memory(p.l.a) - a0) / (double)tw;
    }
  }
  pair_free(&p);
  /* 2. half-open: SYN-ACKs never reach the client. */
  if (pair_init(&p, SMALL_N, 1)) {
    p.l.drop_ba = true;
    size_t b0 = synack_stack_memory(p.l.b);
    open_conns(&p, SMALL_N, 0);
    size_t h = synack_conn_table(p.l.b, NULL, 0) - 1; /* minus the listener */
    m->n_halfopen = h;
    if (h) m->halfopen = (double)(synack_stack_memory(p.l.b) - b0) / (double)h;
  }
  pair_free(&p);
  /* Fixed cost of a socket-table slot (allocated up front for max_sockets). */
  synack_config_t c;
  bl_config(&c, 1, 1500);
  c.max_sockets = 1024;
  synack_stack_t *s1 = synack_stack_new(&c, 0);
  c.max_sockets = 1024 + 65536;
  synack_stack_t *s2 = synack_stack_new(&c, 0);
  if (s1 && s2) m->slot = (double)(synack_stack_memory(s2) - synack_stack_memory(s1)) / 65536.0;
  synack_stack_free(s1);
  synack_stack_free(s2);
}

#define BUSY_N 1000u
#define BUSY_HELD 65536u

typedef struct {
  double after_client, after_server, held_server;
  long rss_start, rss_held, rss_drained, rss_trimmed; /* KiB */
  size_t cached_client, cached_server, n;
} busy_t;

static size_t held_mem(synack_stack_t *st) { return synack_stack_memory(st) - synack_stack_memory_cached(st); }

/* Moves frames and runs timers for `ms` milliseconds of virtual time. */
static void run_ms(pair_t *p, unsigned ms) {
  for (unsigned i = 0; i < ms; i++) {
    bl_pump(&p->l, p->now);
    p->now += SYNACK_MS(1);
    bl_timers(&p->l, p->now);
  }
  bl_pump(&p->l, p->now);
  drain(p->l.a);
  drain(p->l.b);
}

static size_t read_all(synack_stack_t *st, synack_time_t now, int s) {
  static uint8_t buf[65536];
  size_t got = 0;
  int64_t n;
  while ((n = synack_recv(st, now, s, buf, sizeof buf, 0)) > 0) got += (size_t)n;
  return got;
}

static void measure_busy(busy_t *m) {
  pair_t p;
  if (!pair_init(&p, BUSY_N, 1)) {
    pair_free(&p);
    return;
  }
  size_t a0 = held_mem(p.l.a), b0 = held_mem(p.l.b);
  m->rss_start = vmrss_kib();
  open_conns(&p, BUSY_N, 0);
  static uint8_t req[1000], resp[20000], bulk[BUSY_HELD];
  size_t n = p.nc < p.ns ? p.nc : p.ns;
  for (size_t i = 0; i < n; i++) synack_send(p.l.a, p.now, p.csocks[i], req, sizeof req, 0);
  run_ms(&p, 50);
  for (size_t i = 0; i < n; i++) {
    read_all(p.l.b, p.now, p.ssocks[i]);
    synack_send(p.l.b, p.now, p.ssocks[i], resp, sizeof resp, 0);
  }
  run_ms(&p, 200);
  for (size_t i = 0; i < n; i++) read_all(p.l.a, p.now, p.csocks[i]);
  run_ms(&p, 200); /* the last ACKs and window updates */
  m->n = n;
  if (n) {
    m->after_client = (double)(held_mem(p.l.a) - a0) / (double)n;
    m->after_server = (double)(held_mem(p.l.b) - b0) / (double)n;
    m->cached_client = synack_stack_memory_cached(p.l.a);
    m->cached_server = synack_stack_memory_cached(p.l.b);
  }
  for (size_t i = 0; i < n; i++) synack_send(p.l.a, p.now, p.csocks[i], bulk, sizeof bulk, 0);
  run_ms(&p, 500);
  if (n) m->held_server = (double)(held_mem(p.l.b) - b0) / (double)n;
  m->rss_held = vmrss_kib();
  /* The load ends: the servers read everything, the connections stay open and idle. */
  for (size_t i = 0; i < n; i++) read_all(p.l.b, p.now, p.ssocks[i]);
  run_ms(&p, 500);
  m->rss_drained = vmrss_kib();
  synack_stack_trim(p.l.a);
  synack_stack_trim(p.l.b);
  malloc_trim(0); /* what the TAP loop does once memory fell and stayed down (src/drivers/tap/loop.c) */
  m->rss_trimmed = vmrss_kib();
  pair_free(&p);
}

int main(void) {
  uint64_t want = env_u64("SYNACK_BENCH_CONNS", 1000000);
  uint64_t budget_s = env_u64("SYNACK_BENCH_MEMORY_SECONDS", 300);
  bl_pin_cpu0();
  small_t m = {0};
  measure_small(&m);
  printf("memory: synack_stack_memory() deltas over %u connections (virtual time, memory link)\n\n", SMALL_N);
  printf("%-40s %10s %12s %10s %8s\n", "figure", "bytes", "struct size", "target", "count");
  printf("%-40s %10.1f %12zu %10s %8zu\n", "idle established connection, client", m.idle_client, sizeof(synack_tcb_t),
         "1024", m.n_idle);
  printf("%-40s %10.1f %12zu %10s %8zu\n", "idle established connection, server", m.idle_server, sizeof(synack_tcb_t),
         "1024", m.n_idle);
  printf("%-40s %10.1f %12zu %10s %8zu\n", "half-open (SYN-RECEIVED) entry", m.halfopen, sizeof(synack_halfopen_t), "128",
         m.n_halfopen);
  printf("%-40s %10.1f %12zu %10s %8zu\n", "TIME-WAIT entry", m.timewait, sizeof(synack_timewait_t), "128", m.n_timewait);
  printf("%-40s %10.1f %12s %10s\n", "socket-table slot (per max_sockets)", m.slot, "-", "-");
  printf("(deltas include the connection hash growing with the entries; the socket-table slots are allocated up front)\n\n");

  busy_t bz = {0};
  measure_busy(&bz);
  printf("%zu connections after a 1,000-byte request and a 20,000-byte response, idle again:\n", bz.n);
  printf("%-40s %10.1f %12s %10s (bufcache holds %zu B)\n", "per connection, client", bz.after_client, "-", "4096",
         bz.cached_client);
  printf("%-40s %10.1f %12s %10s (bufcache holds %zu B)\n", "per connection, server", bz.after_server, "-", "4096",
         bz.cached_server);
  printf("%-40s %10.1f %12u\n", "busy: server conn. holding 64 KiB unread", bz.held_server, BUSY_HELD);
  printf("VmRSS: %ld KiB before, %ld KiB holding, %ld KiB drained (connections open, idle), %ld KiB after trim\n\n",
         bz.rss_start, bz.rss_held, bz.rss_drained, bz.rss_trimmed);

  /* 4. one million */
  long rss0 = vmrss_kib();
  pair_t p;
  uint64_t t0 = bl_now_ns(), c0 = bl_cpu_ns();
  size_t opened = 0;
  double cpu_per_sim_s = 0, wall_open = 0;
  uint64_t wakeups = 0;
  long rss1 = rss0;
  size_t mem_a = 0, mem_b = 0;
  unsigned nports = (unsigned)((want + 63999) / 64000);
  if (nports < 1) nports = 1;
  if (nports > 64) nports = 64;
  if (pair_init(&p, (uint32_t)want, nports)) {
    opened = open_conns(&p, want, t0 + budget_s * 1000000000ull);
    wall_open = (double)(bl_now_ns() - t0) / 1e9;
    rss1 = vmrss_kib();
    mem_a = synack_stack_memory(p.l.a);
    mem_b = synack_stack_memory(p.l.b);
    /* 60 s of virtual time with every connection idle. */
    synack_time_t end = p.now + SYNACK_SEC(60);
    uint64_t cpu0 = bl_cpu_ns();
    for (;;) {
      synack_time_t da = synack_stack_next_deadline(p.l.a), db = synack_stack_next_deadline(p.l.b);
      synack_time_t d = da < db ? da : db;
      if (d == SYNACK_TIME_NEVER || d > end) break;
      if (d > p.now) p.now = d;
      bl_timers(&p.l, p.now);
      bl_pump(&p.l, p.now);
      wakeups++;
    }
    cpu_per_sim_s = (double)(bl_cpu_ns() - cpu0) / 1e9 / 60.0;
  }
  double cpu_open = (double)(bl_cpu_ns() - c0) / 1e9;
  printf("%zu of %" PRIu64 " idle established connections opened (%zu accepted) in %.1f s wall (%.1f s CPU), %u server ports\n",
         opened, want, p.ns, wall_open, cpu_open, nports);
  double rss_per = p.ns ? (double)(rss1 - rss0) * 1024.0 / (double)p.ns : 0;
  printf("resident memory delta %.1f MiB (VmRSS), %.0f bytes per connection pair\n", (double)(rss1 - rss0) / 1024.0,
         rss_per);
  printf("synack_stack_memory: client %.1f MiB, server %.1f MiB (%.0f + %.0f bytes per connection)\n",
         (double)mem_a / 1048576.0, (double)mem_b / 1048576.0, p.nc ? (double)mem_a / (double)p.nc : 0,
         p.ns ? (double)mem_b / (double)p.ns : 0);
  printf("idle: %.6f CPU seconds per simulated second (%" PRIu64 " timer wake-ups in 60 simulated s)\n\n", cpu_per_sim_s,
         wakeups);

  printf("memory_idle_conn_client %.1f bytes baseline_sizeof_tcb %zu bytes ratio %.3f target 1024 bytes\n", m.idle_client,
         sizeof(synack_tcb_t), m.idle_client / (double)sizeof(synack_tcb_t));
  printf("memory_idle_conn_server %.1f bytes baseline_sizeof_tcb %zu bytes ratio %.3f target 1024 bytes\n", m.idle_server,
         sizeof(synack_tcb_t), m.idle_server / (double)sizeof(synack_tcb_t));
  printf("memory_halfopen_entry %.1f bytes baseline_sizeof_halfopen %zu bytes ratio %.3f target 128 bytes\n", m.halfopen,
         sizeof(synack_halfopen_t), m.halfopen / (double)sizeof(synack_halfopen_t));
  printf("memory_timewait_entry %.1f bytes baseline_sizeof_timewait %zu bytes ratio %.3f target 128 bytes\n", m.timewait,
         sizeof(synack_timewait_t), m.timewait / (double)sizeof(synack_timewait_t));
  printf("memory_socket_slot %.1f bytes\n", m.slot);
  printf("memory_after_data_conn_client %.1f bytes target 4096 bytes\n", bz.after_client);
  printf("memory_after_data_conn_server %.1f bytes target 4096 bytes\n", bz.after_server);
  printf("memory_rss_after_load_kib %ld KiB baseline_rss_before_load %ld KiB ratio %.3f\n", bz.rss_trimmed, bz.rss_start,
         bz.rss_start > 0 ? (double)bz.rss_trimmed / (double)bz.rss_start : 0);
  printf("memory_busy_conn_64k_held %.1f bytes baseline_bytes_held %u bytes ratio %.3f\n", bz.held_server, BUSY_HELD,
         bz.held_server / (double)BUSY_HELD);
  printf("memory_1m_conns_opened %zu conns target %" PRIu64 " conns ratio %.3f\n", p.ns, want,
         want ? (double)p.ns / (double)want : 0);
  printf("memory_1m_rss_per_conn_pair %.0f bytes baseline_stack_memory_per_pair %.0f bytes ratio %.3f\n", rss_per,
         p.ns ? (double)(mem_a + mem_b) / (double)p.ns : 0,
         (p.ns && mem_a + mem_b) ? rss_per / ((double)(mem_a + mem_b) / (double)p.ns) : 0);
  printf("memory_1m_idle_cpu %.6f cpu_s/sim_s\n", cpu_per_sim_s);
  printf("memory_1m_open_rate %.0f conn/s\n", wall_open > 0 ? (double)p.ns / wall_open : 0);
  pair_free(&p);
  return 0;
}
