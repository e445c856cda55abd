/* What the real-network subcommands (serve, get, connect, ping) share: the common options,
 * bringing up a stack on a TAP through the event loop, tracing, progress and summaries. */
#ifndef SYNACK_TOOLS_APP_NET_H
#define SYNACK_TOOLS_APP_NET_H

#include <signal.h>
#include <stdio.h>

#include <synack/synack.h>
#include <synack/tap.h>

#include "app_xdp.h"

#define APP_MAX_RULES 8

typedef struct {
  const char *tap;
  /* --driver xdp (serve): AF_XDP on an existing device, one stack per queue */
  bool xdp;
  const char *dev;                    /* --dev: the device (also --tap's value when --dev is missing) */
  uint32_t queues;                    /* --queues: stacks/threads/queues; 0 = 1 */
  bool xdp_native;                    /* --xdp-mode native (default skb) */
  bool zerocopy;                      /* --zerocopy: bind with XDP_ZEROCOPY (NIC driver support needed) */
  const char *xdp_obj;                /* --xdp-obj: the compiled XDP program (default: the build's) */
  synack_ip_t addr4, addr6, gw4, gw6;
  uint8_t prefix4, prefix6;
  synack_mac_t mac;
  bool mac_set;
  uint32_t mtu;
  uint32_t sndbuf, rcvbuf;             /* 0 = the stack's defaults */
  uint32_t max_conns;                  /* --max-conns: socket table size; 0 = sized from memory */
  int pacing;                          /* --pacing: 1 on, -1 off, 0 the configuration's default */
  int32_t orphan_retries, max_orphans; /* --orphan-retries, --max-orphans; -1 = the stack's default */
  /* A server for many connections (serve): unless given, tcp_max_orphans follows the table (an
   * orphan holds a slot of it; tcp_mem bounds their memory), the transmit ring holds
   * SERVER_TX_RING frames, and each listener's SYN queue is as long as its accept queue,
   * `syn_backlog` (Linux: the listen backlog bounds the request queue, then SYN cookies). */
  bool server;
  bool writer_thread;                  /* --writer-thread: TAP writes from a second thread */
  uint32_t syn_backlog;                /* server: 0 = tcp_max_backlog */
  bool request_response;               /* server: each request answered at once (serve --http) */
  const char *pcap;
  bool trace;
  bool quiet;
  bool stats;                         /* print counters and driver statistics at exit */
  bool offload;                       /* --no-offload clears it */
  const char *profile;
  uint64_t seed;
  synack_sim_link_cfg_t impair;       /* --loss, --reorder, ... */
  int impair_dirs;                    /* bit 0: in, bit 1: out (default both) */
  synack_sim_rule_t rules[APP_MAX_RULES];
  int rule_dir[APP_MAX_RULES];
  int nrules;
} app_opts_t;

typedef struct app_net {
  app_opts_t o;
  synack_tap_loop_t *loop;
  int tap_queue;           /* the TAP's queue toward us (frames), or a negative error */
  /* AF_XDP: this stack's queue, how many there are, the device's program and shared secret */
  struct synack_xdp *xdp;
  uint32_t queue, nqueues;
  app_xdp_group_t *group;
  synack_stack_t *st;
  synack_time_t t0;
} app_net_t;

/* Set by SIGINT / SIGTERM (stop); app_usr1 counts SIGUSR1 (an application-defined dump). */
extern volatile sig_atomic_t app_stop;
extern volatile sig_atomic_t app_usr1;

void app_opts_init(app_opts_t *o);
/* Consumes a common option at argv[*i] (advancing *i past its value). Returns 1 when consumed,
 * 0 when the option is not a common one, -1 on a bad value (message printed). */
int app_opts_parse(app_opts_t *o, int argc, char **argv, int *i);
/* The help text of the common options. */
void app_opts_usage(FILE *f);
/* Opens the TAP, creates the stack, installs the signal handlers. Returns 0 or prints why. */
int app_net_start(app_net_t *a, const char *cmd);
/* The socket-table size used when --max-conns is not given: physical memory / 512 KiB (what
 * one connection moving data in both directions can hold in its two default rings), within
 * 1,024..65,536. */
uint32_t app_default_max_conns(void);
void app_default_tcp_mem(synack_config_t *cfg);
/* Driver statistics, drop and event counters, memory held (machine-readable lines included). */
void app_print_stats(app_net_t *a, FILE *f);
/* Prints the statistics asked for and frees everything. */
void app_net_finish(app_net_t *a);
/* One loop iteration (max_wait_us of sleep at most). */
int app_net_run(app_net_t *a, synack_time_t max_wait_us);
synack_time_t app_now(void);
/* "connection refused (ECONNREFUSED)" for an error code; a static buffer per call site is not
 * needed: the text lives in buf. */
const char *app_err(int err, char *buf, size_t cap);
/* Lets the stack finish closes (FIN exchange, last ACK) before the process exits: runs until only
 * TIME-WAIT entries and listeners remain, at most max_us. */
void app_drain_closes(app_net_t *a, synack_time_t max_us);

/* Writes all n bytes to fd (retrying short writes and EINTR); -1 on error. */
int app_write_all(int fd, const void *p, size_t n);
/* Parses "198.18.0.1" / "fd00::1" (also "[fd00::1]"). */
int app_parse_ip(const char *s, synack_ip_t *out);
/* Progress line on stderr at most once a second, and the closing summary line. */
typedef struct {
  synack_time_t start, last;
  uint64_t last_bytes;
  bool shown;
} app_progress_t;
void app_progress(app_progress_t *p, const char *what, uint64_t bytes, bool quiet);
void app_summary(app_net_t *a, const char *what, uint64_t bytes, synack_time_t start, int sock);

#endif
