/* The integrity matrix (issue 4): 10 MB transfers between two stacks over the simulator under
 * loss, reordering, duplication, corruption, delay, jitter, bandwidth limits and combinations.
 * In every cell the SHA-256 of the bytes the server read must equal that of the bytes the client
 * sent, and every byte must sit at its offset.
 *
 * Every cell runs twice, with RACK-TLP (RFC 8985, cfg.tcp_rack) off and on, everything else at
 * the defaults.
 *
 * Goodput snapshot. Each run's goodput (virtual-time Mbit/s from the client's CONNECTED event
 * to the server reading the last byte), retransmission counts and the loss-recovery counters
 * (tail-loss probes, lost retransmissions, D-SACKs received, spurious-recovery undos) are
 * written as a Markdown table to $SYNACK_BINARY_DIR/goodput.md and compared with the checked-in
 * tests/sim/goodput.md. The simulation is deterministic, so any difference is a real change of
 * behaviour: every changed row is printed (old → new), but the test fails only when a row's
 * goodput fell by more than 10 % (or a run lost its integrity). SYNACK_UPDATE_SNAPSHOTS=1
 * rewrites the checked-in table (see tests/sim/README.md).
 *
 * SYNACK_INTEGRITY_CELLS=name,name runs only those cells (no snapshot update then);
 * SYNACK_INTEGRITY_BYTES overrides the 10 MB per cell, SYNACK_INTEGRITY_SEED the simulator's seed
 * (4): no snapshot comparison then. One seed is one sample of the random process; comparing two
 * variants (RACK off / on) needs several (docs/loss-recovery.md). SYNACK_INTEGRITY_PCAP=DIR
 * captures each run to DIR/<cell>-rack-<off|on>.pcap (for `synack tsg` and tcpdump). */
#include <stdio.h>

#include "harness.h"
#include "transfer.h"

#define MB (1000u * 1000u)
#define CELL_BYTES (10u * MB)
#define MAX_CELLS 64

/* The base link every cell starts from: 100 Mbit/s bottleneck with a 256 KiB drop-tail queue
 * (about one bandwidth-delay product) in each direction, 10 ms one-way delay (20 ms RTT). */
static void base_link(synack_sim_link_cfg_t *l) {
  memset(l, 0, sizeof *l);
  l->rate_bps = 100u * MB;
  l->queue_bytes = 256u * 1024u;
  l->delay_us = SYNACK_MS(10);
}

typedef struct {
  const char *name;
  const char *what;      /* human description for the table */
  /* Changes to the base link (both directions unless data_only / ack_only). */
  double loss, dup, reorder, corrupt;
  synack_time_t reorder_delay_us, jitter_us;
  int64_t delay_ms;      /* -1 = base */
  int64_t rate_mbps;     /* -1 = base, 0 = unlimited */
  uint32_t queue_bytes;  /* 0 = base */
  bool data_only, ack_only;
  uint32_t mtu;          /* stack MTU; 0 = 1500 */
  bool ipv6;             /* the connection runs over IPv6 */
} cell_t;

#define BASE .delay_ms = -1, .rate_mbps = -1
static const cell_t cells[] = {
    {"base", "100 Mbit/s, 10 ms one-way, 256 KiB queue", BASE},
    {"loss-1", "1 % loss both ways", BASE, .loss = 0.01},
    {"loss-3", "3 % loss both ways", BASE, .loss = 0.03},
    {"loss-5", "5 % loss both ways", BASE, .loss = 0.05},
    {"loss-10", "10 % loss both ways", BASE, .loss = 0.10},
    {"loss-data-3", "3 % loss of data only", BASE, .loss = 0.03, .data_only = true},
    {"loss-ack-10", "10 % loss of ACKs only", BASE, .loss = 0.10, .ack_only = true},
    {"reorder-1", "1 % of data held back 2 ms", BASE, .reorder = 0.01, .reorder_delay_us = SYNACK_MS(2), .data_only = true},
    {"reorder-5", "5 % of data held back 2 ms", BASE, .reorder = 0.05, .reorder_delay_us = SYNACK_MS(2), .data_only = true},
    {"reorder-20", "20 % held back 1 ms, both ways", BASE, .reorder = 0.20, .reorder_delay_us = SYNACK_MS(1)},
    {"dup-1", "1 % duplicated both ways", BASE, .dup = 0.01},
    {"dup-10", "10 % duplicated both ways", BASE, .dup = 0.10},
    {"corrupt-1", "1 % one bit flipped both ways", BASE, .corrupt = 0.01},
    {"corrupt-5", "5 % one bit flipped both ways", BASE, .corrupt = 0.05},
    {"delay-0", "no propagation delay", .delay_ms = 0, .rate_mbps = -1},
    {"delay-1", "1 ms one-way", .delay_ms = 1, .rate_mbps = -1},
    {"delay-50", "50 ms one-way", .delay_ms = 50, .rate_mbps = -1},
    {"delay-100", "100 ms one-way", .delay_ms = 100, .rate_mbps = -1},
    {"delay-200", "200 ms one-way", .delay_ms = 200, .rate_mbps = -1},
    {"jitter-5", "jitter 0-5 ms (no reordering)", BASE, .jitter_us = SYNACK_MS(5)},
    {"rate-1", "1 Mbit/s", .delay_ms = -1, .rate_mbps = 1},
    {"rate-10", "10 Mbit/s", .delay_ms = -1, .rate_mbps = 10},
    {"rate-1000", "1 Gbit/s", .delay_ms = -1, .rate_mbps = 1000},
    {"rate-unlimited", "no bottleneck", .delay_ms = -1, .rate_mbps = 0},
    {"queue-16k", "10 Mbit/s with a 16 KiB queue", .delay_ms = -1, .rate_mbps = 10, .queue_bytes = 16384},
    {"mtu-9000", "jumbo frames (MTU 9000), 1 Gbit/s", .delay_ms = -1, .rate_mbps = 1000, .mtu = 9000},
    {"lossy-long", "1 % loss, 100 ms one-way", .loss = 0.01, .delay_ms = 100, .rate_mbps = -1},
    {"lossy-slow", "5 % loss, 10 Mbit/s", .loss = 0.05, .delay_ms = -1, .rate_mbps = 10},
    {"mix", "3 % loss, 5 % reorder, 1 % dup, 1 % corrupt, jitter 2 ms", BASE, .loss = 0.03, .reorder = 0.05,
     .reorder_delay_us = SYNACK_MS(2), .dup = 0.01, .corrupt = 0.01, .jitter_us = SYNACK_MS(2)},
    {"worst", "10 % loss, 10 % reorder, 5 % dup, 5 % corrupt, 50 ms", .loss = 0.10, .reorder = 0.10,
     .reorder_delay_us = SYNACK_MS(5), .dup = 0.05, .corrupt = 0.05, .delay_ms = 50, .rate_mbps = -1},
    {"ipv6", "IPv6, base link", BASE, .ipv6 = true},
    {"ipv6-mix", "IPv6, 3 % loss, 5 % reorder, 1 % dup, 1 % corrupt, jitter 2 ms", BASE, .loss = 0.03, .reorder = 0.05,
     .reorder_delay_us = SYNACK_MS(2), .dup = 0.01, .corrupt = 0.01, .jitter_us = SYNACK_MS(2), .ipv6 = true},
};
#define NCELLS (sizeof cells / sizeof cells[0])

static void apply(const cell_t *c, synack_sim_link_cfg_t *l, bool data_dir) {
  base_link(l);
  if (c->delay_ms >= 0) l->delay_us = SYNACK_MS(c->delay_ms);
  if (c->rate_mbps >= 0) l->rate_bps = (uint64_t)c->rate_mbps * MB;
  if (c->queue_bytes) l->queue_bytes = c->queue_bytes;
  l->jitter_us = c->jitter_us;
  if ((c->data_only && !data_dir) || (c->ack_only && data_dir)) return;
  l->loss = c->loss;
  l->dup = c->dup;
  l->reorder = c->reorder;
  l->reorder_delay_us = c->reorder_delay_us;
  l->corrupt = c->corrupt;
}

/* How RACK-TLP is set for a run: the default configuration's choice, or forced off / on. */
typedef enum { RACK_DEFAULT, RACK_OFF, RACK_ON } rack_mode_t;
#define NVARIANTS 2 /* the table's rows per cell: RACK off, RACK on */
static const rack_mode_t variants[NVARIANTS] = {RACK_OFF, RACK_ON};

typedef struct {
  const cell_t *cell;
  rack_mode_t rack;
} run_t;

static void cell_hook(synack_config_t *cfg, int which, void *user) {
  (void)which;
  const run_t *r = user;
  if (r->cell->mtu) cfg->mtu = r->cell->mtu;
  if (r->rack != RACK_DEFAULT) cfg->tcp_rack = r->rack == RACK_ON;
}

typedef struct {
  const cell_t *cell;
  bool ran, ok[NVARIANTS];
  ts_xfer_result_t r[NVARIANTS];
} outcome_t;

#define CELL_SEED 4u

static uint64_t cell_seed(void) {
  const char *e = getenv("SYNACK_INTEGRITY_SEED");
  return e && *e ? strtoull(e, NULL, 10) : CELL_SEED;
}

static bool run_cell(const cell_t *c, rack_mode_t rack, uint64_t bytes, ts_xfer_result_t *r) {
  run_t run = {c, rack};
  ts_xfer_cfg_t x;
  memset(&x, 0, sizeof x);
  x.bytes = bytes;
  x.seed = cell_seed();
  apply(c, &x.ab, true);
  apply(c, &x.ba, false);
  x.hook = cell_hook;
  x.user = &run;
  x.ipv6 = c->ipv6;
  char pcap[512];
  const char *pdir = getenv("SYNACK_INTEGRITY_PCAP");
  if (pdir && *pdir) {
    snprintf(pcap, sizeof pcap, "%s/%s-rack-%s.pcap", pdir, c->name, rack == RACK_ON ? "on" : "off");
    x.pcap_path = pcap;
  }
  /* Virtual time is cheap (the cost is in segments, not seconds): a generous limit lets the
   * heavily impaired cells finish even with go-back-N recovery. */
  x.limit_us = SYNACK_SEC(24 * 3600);
  if (ts_xfer_run(&x, r) < 0) {
    fprintf(stderr, "%s: setup failed\n", c->name);
    return false;
  }
  bool ok = r->completed && r->sha_equal && r->data_ok && r->received == bytes && r->sent == bytes;
  if (!ok) {
    char hs[65], hr[65];
    ts_sha256_hex(r->sha_sent, hs);
    ts_sha256_hex(r->sha_rcvd, hr);
    fprintf(stderr,
            "%s (RACK %s): INTEGRITY FAILURE: %s; sent %" PRIu64 " received %" PRIu64 " of %" PRIu64 ", data %s (first bad offset %" PRIu64
            "), error %d, t=%.3f s\n  sha sent %s\n  sha rcvd %s\n",
            c->name, rack == RACK_ON ? "on" : rack == RACK_OFF ? "off" : "default", r->why ? r->why : "bytes differ", r->sent, r->received, bytes, r->data_ok ? "in order" : "DAMAGED",
            r->first_bad, r->error, (double)r->t_end / 1e6, hs, hr);
  }
  return ok;
}

/* Seconds of virtual time the transfer took (until the run stopped when it did not complete). */
static double elapsed_s(const ts_xfer_result_t *r) {
  synack_time_t end = r->t_last_byte ? r->t_last_byte : r->t_end;
  return end > r->t_established ? (double)(end - r->t_established) / 1e6 : 0.0;
}

/* ---- the snapshot table ---- */

static void write_table(FILE *f, const outcome_t *o, size_t n) {
  fprintf(f, "# Integrity matrix: goodput per cell\n\n");
  fprintf(f, "Generated by `tests/sim/test_integrity.c`; do not edit by hand. Regenerate with\n"
             "`SYNACK_UPDATE_SNAPSHOTS=1 ctest -R sim/test_integrity` (see `tests/sim/README.md`).\n\n");
  fprintf(f, "Each cell moves 10 MB (10,000,000 bytes) from a client stack to a server stack over one\n"
             "simulated link and checks the SHA-256 of the received bytes against the sent ones. Base link:\n"
             "100 Mbit/s bottleneck with a 256 KiB drop-tail queue each way, 10 ms one-way delay, MTU 1500,\n"
             "default stack configuration (256 KiB buffers), IPv4 unless stated. Impairments apply to both\n"
             "directions unless stated. Every cell runs twice: RACK-TLP (RFC 8985, `tcp_rack`) off and on.\n"
             "Goodput is virtual-time Mbit/s from the client's CONNECTED event to the server reading the\n"
             "last byte; the other columns are the sender's counters: retransmitted segments, fast\n"
             "retransmits, retransmission timeouts, tail-loss probes, retransmissions found lost again\n"
             "(RACK's rule), D-SACK blocks received, recoveries undone as spurious. Seed 4.\n\n");
  fprintf(f, "| cell | impairments | RACK | goodput (Mbit/s) | retransmitted segments | fast retransmits | RTOs | TLP probes "
             "| lost retransmits | D-SACKs received | spurious undos | time (s) |\n");
  fprintf(f, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t i = 0; i < n; i++) {
    if (!o[i].ran) continue;
    for (int v = 0; v < NVARIANTS; v++) {
      const ts_xfer_result_t *r = &o[i].r[v];
      const uint64_t *ev = r->counters_a.events;
      fprintf(f,
              "| %s | %s | %s | %.3f | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
              " | %" PRIu64 " | %.3f |\n",
              o[i].cell->name, o[i].cell->what, variants[v] == RACK_ON ? "on" : "off", r->goodput_mbps, r->retrans_segs,
              r->fast_retrans, r->rto_expired, ev[SYNACK_CTR_TCP_TLP_PROBES], ev[SYNACK_CTR_TCP_LOST_RETRANS],
              ev[SYNACK_CTR_TCP_DSACKS_IN], ev[SYNACK_CTR_TCP_SPURIOUS_UNDO], elapsed_s(r));
    }
  }
}

typedef struct {
  char name[48];
  bool rack; /* the row of the run with RACK on */
  double goodput;
  uint64_t retrans;
} snap_row_t;

/* Reads the rows of a table written by write_table. Returns the row count (-1: no file). */
static int read_table(const char *path, snap_row_t *rows, int max) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[512];
  int n = 0;
  while (n < max && fgets(line, sizeof line, f)) {
    if (line[0] != '|' || strncmp(line, "| cell", 6) == 0 || strncmp(line, "|---", 4) == 0) continue;
    char *col[16];
    int nc = 0;
    for (char *p = line; *p && nc < 16; p++) {
      if (*p == '|') {
        *p = 0;
        col[nc++] = p + 1;
      }
    }
    if (nc < 6) continue;
    char rack[8];
    if (sscanf(col[0], " %47s", rows[n].name) != 1 || sscanf(col[2], " %7s", rack) != 1) continue;
    rows[n].rack = strcmp(rack, "on") == 0;
    rows[n].goodput = strtod(col[3], NULL);
    rows[n].retrans = strtoull(col[4], NULL, 10);
    n++;
  }
  fclose(f);
  return n;
}

static bool selected(const char *name) {
  const char *sel = getenv("SYNACK_INTEGRITY_CELLS");
  if (!sel || !*sel) return true;
  size_t len = strlen(name);
  for (const char *p = sel; *p;) {
    const char *e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == len && strncmp(p, name, l) == 0) return true;
    p += l + (e ? 1 : 0);
  }
  return false;
}

static void integrity_matrix(void) {
  static outcome_t o[MAX_CELLS];
  setvbuf(stdout, NULL, _IOLBF, 0); /* keep the table and stderr's failure lines in order */
  const char *eb = getenv("SYNACK_INTEGRITY_BYTES");
  uint64_t bytes = eb ? strtoull(eb, NULL, 10) : CELL_BYTES;
  const char *sel = getenv("SYNACK_INTEGRITY_CELLS");
  bool subset = sel && *sel;
  size_t failures = 0, ran = 0;
  for (size_t i = 0; i < NCELLS; i++) {
    o[i].cell = &cells[i];
    if (!selected(cells[i].name)) continue;
    o[i].ran = true;
    for (int v = 0; v < NVARIANTS; v++) {
      ts_xfer_result_t *r = &o[i].r[v];
      ran++;
      o[i].ok[v] = run_cell(&cells[i], variants[v], bytes, r);
      th_total_checks++;
      if (!o[i].ok[v]) {
        th_case_failed = 1;
        failures++;
      }
      printf("%-15s rack %-3s %s  %9.3f Mbit/s  rtx %6" PRIu64 "  fr %5" PRIu64 "  rto %5" PRIu64 "  tlp %4" PRIu64
             "  undo %4" PRIu64 "  %9.3f s virtual  %6" PRIu64 " steps\n",
             cells[i].name, variants[v] == RACK_ON ? "on" : "off", o[i].ok[v] ? "sha ok  " : "SHA FAIL", r->goodput_mbps,
             r->retrans_segs, r->fast_retrans, r->rto_expired, r->counters_a.events[SYNACK_CTR_TCP_TLP_PROBES],
             r->counters_a.events[SYNACK_CTR_TCP_SPURIOUS_UNDO], elapsed_s(r), r->steps);
    }
  }
  printf("integrity: %zu runs, %zu failed\n", ran, failures);

  /* Regenerated table in the build directory. */
  const char *bin = getenv("SYNACK_BINARY_DIR");
  char out_path[1024];
  snprintf(out_path, sizeof out_path, "%s/goodput.md", bin ? bin : ".");
  FILE *f = fopen(out_path, "w");
  if (f) {
    write_table(f, o, NCELLS);
    fclose(f);
    printf("table written to %s\n", out_path);
  }
  if (bytes != CELL_BYTES || cell_seed() != CELL_SEED) {
    printf("snapshot: not compared (SYNACK_INTEGRITY_BYTES or _SEED changes the cells)\n");
    return;
  }
  const char *src = getenv("SYNACK_SOURCE_DIR");
  if (!src) {
    printf("snapshot: SYNACK_SOURCE_DIR unset, checked-in table not compared\n");
    return;
  }
  char snap_path[1024];
  snprintf(snap_path, sizeof snap_path, "%s/tests/sim/goodput.md", src);
  static snap_row_t rows[MAX_CELLS * NVARIANTS];
  int nrows = read_table(snap_path, rows, MAX_CELLS * NVARIANTS);
  const char *upd = getenv("SYNACK_UPDATE_SNAPSHOTS");
  if (upd && strcmp(upd, "1") == 0) {
    if (subset) {
      fprintf(stderr, "snapshot: not updated from a subset of cells (unset SYNACK_INTEGRITY_CELLS)\n");
      th_case_failed = 1;
      return;
    }
    FILE *s = fopen(snap_path, "w");
    REQUIRE(s != NULL);
    write_table(s, o, NCELLS);
    fclose(s);
    printf("snapshot: %s rewritten\n", snap_path);
    return;
  }
  if (nrows < 0) {
    fprintf(stderr, "snapshot: %s missing; run with SYNACK_UPDATE_SNAPSHOTS=1 to create it\n", snap_path);
    th_case_failed = 1;
    return;
  }
  size_t changed = 0, worse = 0;
  printf("snapshot: comparing with %s\n", snap_path);
  for (size_t i = 0; i < NCELLS; i++) {
    if (!o[i].ran) continue;
    for (int v = 0; v < NVARIANTS; v++) {
      const ts_xfer_result_t *r = &o[i].r[v];
      bool rack = variants[v] == RACK_ON;
      const snap_row_t *old = NULL;
      for (int k = 0; k < nrows; k++)
        if (strcmp(rows[k].name, cells[i].name) == 0 && rows[k].rack == rack) old = &rows[k];
      /* Compare at the precision the table keeps. */
      char now_s[32];
      snprintf(now_s, sizeof now_s, "%.3f", r->goodput_mbps);
      double now_g = strtod(now_s, NULL);
      if (!old) {
        printf("  %-15s RACK %-3s new row: %.3f Mbit/s, %" PRIu64 " retransmitted\n", cells[i].name, rack ? "on" : "off",
               now_g, r->retrans_segs);
        changed++;
        continue;
      }
      if (old->goodput == now_g && old->retrans == r->retrans_segs) continue;
      changed++;
      double pct = old->goodput > 0 ? (now_g - old->goodput) * 100.0 / old->goodput : 0.0;
      bool bad = now_g < old->goodput * 0.9;
      if (bad) worse++;
      printf("  %-15s RACK %-3s goodput %.3f -> %.3f Mbit/s (%+.1f %%), retransmitted %" PRIu64 " -> %" PRIu64 "%s\n",
             cells[i].name, rack ? "on" : "off", old->goodput, now_g, pct, old->retrans, r->retrans_segs,
             bad ? "   <-- more than 10 % slower" : "");
    }
  }
  for (int k = 0; k < nrows; k++) {
    bool found = false;
    for (size_t i = 0; i < NCELLS; i++)
      if (strcmp(rows[k].name, cells[i].name) == 0) found = true;
    if (!found) {
      printf("  %-15s RACK %-3s removed from the matrix\n", rows[k].name, rows[k].rack ? "on" : "off");
      changed++;
    }
  }
  printf("snapshot: %zu rows changed, %zu more than 10 %% slower%s\n", changed, worse,
         changed ? " (SYNACK_UPDATE_SNAPSHOTS=1 records the new numbers)" : "");
  th_total_checks++;
  if (worse) th_case_failed = 1;
}

/* Same seed, same run: two runs of one cell give identical results (what makes an exact
 * snapshot meaningful). */
static void deterministic_replay(void) {
  ts_xfer_result_t r1, r2;
  const cell_t *c = NULL; /* "mix": every impairment at once */
  for (size_t i = 0; i < NCELLS; i++)
    if (strcmp(cells[i].name, "mix") == 0) c = &cells[i];
  REQUIRE(c != NULL);
  REQUIRE(run_cell(c, RACK_DEFAULT, 2u * MB, &r1));
  REQUIRE(run_cell(c, RACK_DEFAULT, 2u * MB, &r2));
  CHECK_EQ_U(r1.t_last_byte, r2.t_last_byte);
  CHECK_EQ_U(r1.retrans_segs, r2.retrans_segs);
  CHECK_EQ_U(r1.steps, r2.steps);
  CHECK_EQ_U(r1.link_ab.lost, r2.link_ab.lost);
  CHECK_EQ_U(r1.link_ab.corrupted, r2.link_ab.corrupted);
  CHECK_MEM(r1.sha_rcvd, r2.sha_rcvd, TS_SHA256_LEN);
  /* The impairments really happened. */
  CHECK(r1.link_ab.lost > 0);
  CHECK(r1.link_ab.reordered > 0);
  CHECK(r1.link_ab.duplicated > 0);
  CHECK(r1.link_ab.corrupted > 0);
  CHECK(r1.rx_bad_csum > 0);
}

static void no_csum_rx(synack_config_t *cfg, int which, void *user) {
  (void)user;
  if (which == 1) cfg->csum_offload_rx = true;
}

/* The check is not vacuous: with the server trusting checksums (csum_offload_rx), bit flips on
 * the data path reach the application and the digests differ. */
static void detects_damage(void) {
  ts_xfer_cfg_t x;
  memset(&x, 0, sizeof x);
  x.bytes = 1u * MB;
  x.seed = 4;
  base_link(&x.ab);
  base_link(&x.ba);
  x.ab.corrupt = 0.05;
  x.hook = no_csum_rx;
  x.limit_us = SYNACK_SEC(600);
  ts_xfer_result_t r;
  REQUIRE(ts_xfer_run(&x, &r) == 0);
  CHECK(r.link_ab.corrupted > 0);
  CHECK(!(r.completed && r.sha_equal && r.data_ok));
  if (r.completed) CHECK(!r.sha_equal);
  CHECK_EQ_U(r.rx_bad_csum, 0); /* the server checked nothing: no IP header flip was caught either */
}

TH_MAIN(TH_CASE(integrity_matrix), TH_CASE(deterministic_replay), TH_CASE(detects_damage))
