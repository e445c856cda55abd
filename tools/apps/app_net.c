/* Common plumbing of the real-network subcommands: options, stack on a TAP, trace lines,
 * progress and summary lines. */
#define _GNU_SOURCE
#include "app_net.h"

#include "synack/random.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVER_TX_RING 4096

volatile sig_atomic_t app_stop;
volatile sig_atomic_t app_usr1;

static void on_signal(int sig) {
  if (sig == SIGUSR1) app_usr1++; /* a count: every thread of a multi-queue server notices it */
  else app_stop = 1;
}

synack_time_t app_now(void) { return synack_tap_now(); }

const char *app_err(int err, char *buf, size_t cap) {
  const char *name = synack_errno_name(err);
  snprintf(buf, cap, "%s (%s)", synack_strerror(err), name ? name : "?");
  return buf;
}

void app_opts_init(app_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->prefix4 = 24;
  o->prefix6 = 64;
  o->offload = true;
  o->seed = 1;
  o->impair_dirs = 3;
  o->mtu = 1500;
  o->orphan_retries = o->max_orphans = -1;
  /* A locally administered unicast MAC ("SK" in the middle), distinct from the kernel's side. */
  const uint8_t mac[6] = { 0x02, 0x53, 0x4b, 0x00, 0x00, 0x01 };
  memcpy(o->mac.b, mac, 6);
}

void app_opts_usage(FILE *f) {
  fprintf(f,
          "link and stack:\n"
          "  --tap NAME            TAP interface to attach (created if missing)\n"
          "  --driver tap|xdp      the link: a TAP (default) or AF_XDP on an existing device (serve only)\n"
          "  --dev NAME            the device for --driver xdp (e.g. one end of a veth pair, a NIC)\n"
          "  --queues N            xdp: N stacks, one per device queue 0..N-1 and per thread (default 1)\n"
          "  --xdp-mode skb|native xdp: generic XDP (any device) or in the driver (veth, most NICs)\n"
          "  --zerocopy            xdp: bind with XDP_ZEROCOPY (default copy)\n"
          "  --xdp-obj PATH        xdp: the compiled XDP program (default: the one the build made)\n"
          "  --addr A/P            our IPv4 address and prefix (e.g. 198.18.0.2/24)\n"
          "  --addr6 A/P           our IPv6 address and prefix (e.g. fd00::2/64); fe80:: is always added\n"
          "  --gw IP               default gateway (IPv4 or IPv6; repeat for both)\n"
          "  --mac MAC             our MAC address (default 02:53:4b:00:00:01)\n"
          "  --mtu N               IP MTU (default 1500)\n"
          "  --sndbuf B --rcvbuf B default TCP buffer sizes in bytes\n"
          "  --pacing on|off       pace data segments from cwnd/SRTT (cfg.tcp_pacing; default off)\n"
          "  --max-conns N         socket table size (default: sized from memory, printed by serve)\n"
          "  --orphan-retries N    FIN retransmissions and zero-window probes of a closed socket before it\n"
          "                        is aborted (cfg.tcp_orphan_retries, default 8)\n"
          "  --max-orphans N       closed sockets still sending; beyond it close() resets (cfg.tcp_max_orphans)\n"
          "  --profile NAME        rfc | linux | freebsd (synack_config_preset)\n"
          "  --seed N              seeds the injected impairments (default 1); secrets always come from the OS\n"
          "  --no-offload          plain frames: no virtio-net header, no GSO/TSO, no checksum offload\n"
          "  --writer-thread       write to the TAP from a second thread (the kernel's input work for what we\n"
          "                        send runs there); helps connection-per-request loads, see docs/tap.md\n"
          "observation:\n"
          "  --pcap FILE           capture every frame the stack sends and receives\n"
          "  --trace               print frames, state changes and timers on stderr\n"
          "  --stats               print counters and driver statistics at exit\n"
          "  --quiet               no progress lines\n"
          "impairments (applied by the driver; probabilities as 0.03 or 3%%):\n"
          "  --loss P --dup P --reorder P --corrupt P\n"
          "  --delay MS --jitter MS --reorder-delay MS\n"
          "  --impair in|out|both  directions the random impairments apply to (default both)\n"
          "  --rule DIR:ACTION:FLAGS:NTH[:COUNT[:MS]]\n"
          "                        scripted fault on the NTH TCP segment of direction DIR (in|out)\n"
          "                        whose flags match FLAGS (letters S A F R P; after '!' must be clear,\n"
          "                        e.g. SA = SYN-ACK, S!A = bare SYN); ACTION drop|dup|delay|corrupt\n");
}

int app_parse_ip(const char *s, synack_ip_t *out) {
  char buf[64];
  size_t n = strlen(s);
  if (n >= sizeof buf) return -1;
  if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
    memcpy(buf, s + 1, n - 2);
    buf[n - 2] = 0;
  } else {
    memcpy(buf, s, n + 1);
  }
  return synack_ip_parse(buf, out) == 0 ? 0 : -1;
}

static int parse_prob(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s) return -1;
  if (*end == '%') {
    v /= 100.0;
    end++;
  }
  if (*end || v < 0 || v > 1) return -1;
  *out = v;
  return 0;
}

static int parse_ms(const char *s, synack_time_t *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || v < 0 || v > 600000) return -1;
  *out = (synack_time_t)(v * 1000.0);
  return 0;
}

static int parse_flags(const char *s, uint8_t *mask, uint8_t *value) {
  bool clear = false;
  *mask = *value = 0;
  for (; *s; s++) {
    uint8_t bit;
    switch (*s) {
      case 'S': bit = 0x02; break;
      case 'A': bit = 0x10; break;
      case 'F': bit = 0x01; break;
      case 'R': bit = 0x04; break;
      case 'P': bit = 0x08; break;
      case '!': clear = true; continue;
      default: return -1;
    }
    *mask |= bit;
    if (!clear) *value |= bit;
  }
  return 0;
}

/* DIR:ACTION:FLAGS:NTH[:COUNT[:MS]] */
static int parse_rule(app_opts_t *o, const char *spec) {
  if (o->nrules == APP_MAX_RULES) return -1;
  char buf[128];
  snprintf(buf, sizeof buf, "%s", spec);
  char *f[6] = { 0 };
  int n = 0;
  for (char *p = strtok(buf, ":"); p && n < 6; p = strtok(NULL, ":")) f[n++] = p;
  if (n < 4) return -1;
  synack_sim_rule_t r;
  memset(&r, 0, sizeof r);
  r.tcp_only = true;
  r.payload = -1;
  int dir;
  if (strcmp(f[0], "in") == 0) dir = SYNACK_TAP_DIR_IN;
  else if (strcmp(f[0], "out") == 0) dir = SYNACK_TAP_DIR_OUT;
  else return -1;
  if (strcmp(f[1], "drop") == 0) r.action = SYNACK_SIM_DROP;
  else if (strcmp(f[1], "dup") == 0) r.action = SYNACK_SIM_DUPLICATE;
  else if (strcmp(f[1], "delay") == 0) r.action = SYNACK_SIM_DELAY;
  else if (strcmp(f[1], "corrupt") == 0) r.action = SYNACK_SIM_CORRUPT;
  else return -1;
  if (parse_flags(f[2], &r.tcp_flags_mask, &r.tcp_flags_value) < 0) return -1;
  char *end;
  unsigned long nth = strtoul(f[3], &end, 10);
  if (*end || nth == 0 || nth > 1000000) return -1;
  r.nth = (uint32_t)nth;
  r.count = 1;
  if (f[4]) {
    unsigned long c = strtoul(f[4], &end, 10);
    if (*end || c > 1000000) return -1;
    r.count = (uint32_t)c;
  }
  if (f[5] && parse_ms(f[5], &r.delay_us) < 0) return -1;
  o->rules[o->nrules] = r;
  o->rule_dir[o->nrules] = dir;
  o->nrules++;
  return 0;
}

int app_opts_parse(app_opts_t *o, int argc, char **argv, int *i) {
  const char *opt = argv[*i];
  static const char *const flags_only[] = { "--trace", "--quiet", "--stats", "--no-offload", "--zerocopy",
                                            "--writer-thread" };
  for (size_t k = 0; k < sizeof flags_only / sizeof flags_only[0]; k++) {
    if (strcmp(opt, flags_only[k]) != 0) continue;
    if (k == 0) o->trace = true;
    else if (k == 1) o->quiet = true;
    else if (k == 2) o->stats = true;
    else if (k == 3) o->offload = false;
    else if (k == 4) o->zerocopy = true;
    else o->writer_thread = true;
    return 1;
  }
  static const char *const with_value[] = { "--tap", "--addr", "--addr6", "--gw", "--mac", "--mtu", "--pcap",
                                            "--profile", "--seed", "--loss", "--dup", "--reorder", "--corrupt",
                                            "--delay", "--jitter", "--reorder-delay", "--impair", "--rule",
                                            "--sndbuf", "--rcvbuf", "--max-conns", "--pacing", "--driver", "--dev",
                                            "--queues", "--xdp-mode", "--xdp-obj",
                                            "--orphan-retries", "--max-orphans" };
  size_t k = 0;
  for (; k < sizeof with_value / sizeof with_value[0]; k++)
    if (strcmp(opt, with_value[k]) == 0) break;
  if (k == sizeof with_value / sizeof with_value[0]) return 0;
  if (*i + 1 >= argc) {
    fprintf(stderr, "synack: %s needs a value\n", opt);
    return -1;
  }
  const char *v = argv[++*i];
  int bad = 0;
  char *end;
  switch (k) {
    case 0: o->tap = v; break;
    case 1: bad = synack_ip_parse_prefix(v, SYNACK_AF_INET, &o->addr4, &o->prefix4) != 0; break;
    case 2: bad = synack_ip_parse_prefix(v, SYNACK_AF_INET6, &o->addr6, &o->prefix6) != 0; break;
    case 3: {
      synack_ip_t g;
      bad = app_parse_ip(v, &g);
      if (!bad) {
        if (g.family == SYNACK_AF_INET) o->gw4 = g;
        else o->gw6 = g;
      }
      break;
    }
    case 4: bad = synack_mac_parse(v, &o->mac) != 0; break;
    case 5: {
      unsigned long m = strtoul(v, &end, 10);
      bad = *end || m < 576 || m > 65000;
      o->mtu = (uint32_t)m;
      break;
    }
    case 6: o->pcap = v; break;
    case 7: o->profile = v; break;
    case 8: o->seed = strtoull(v, &end, 0); bad = *end != 0; break;
    case 9: bad = parse_prob(v, &o->impair.loss); break;
    case 10: bad = parse_prob(v, &o->impair.dup); break;
    case 11: bad = parse_prob(v, &o->impair.reorder); break;
    case 12: bad = parse_prob(v, &o->impair.corrupt); break;
    case 13: bad = parse_ms(v, &o->impair.delay_us); break;
    case 14: bad = parse_ms(v, &o->impair.jitter_us); break;
    case 15: bad = parse_ms(v, &o->impair.reorder_delay_us); break;
    case 16:
      if (strcmp(v, "in") == 0) o->impair_dirs = 1;
      else if (strcmp(v, "out") == 0) o->impair_dirs = 2;
      else if (strcmp(v, "both") == 0) o->impair_dirs = 3;
      else bad = 1;
      break;
    case 17: bad = parse_rule(o, v); break;
    case 18:
    case 19: {
      unsigned long b = strtoul(v, &end, 10);
      bad = *end || b < 4096 || b > (64ul << 20);
      if (k == 18) o->sndbuf = (uint32_t)b;
      else o->rcvbuf = (uint32_t)b;
      break;
    }
    case 20: {
      unsigned long n = strtoul(v, &end, 10);
      bad = *end || n < 4 || n > (1ul << 22);
      o->max_conns = (uint32_t)n;
      break;
    }
    case 21:
      if (strcmp(v, "on") == 0) o->pacing = 1;
      else if (strcmp(v, "off") == 0) o->pacing = -1;
      else bad = 1;
      break;
    case 22:
      if (strcmp(v, "tap") == 0) o->xdp = false;
      else if (strcmp(v, "xdp") == 0) o->xdp = true;
      else bad = 1;
      break;
    case 23: o->dev = v; break;
    case 24: {
      unsigned long n = strtoul(v, &end, 10);
      bad = *end || n < 1 || n > 64;
      o->queues = (uint32_t)n;
      break;
    }
    case 25:
      if (strcmp(v, "skb") == 0) o->xdp_native = false;
      else if (strcmp(v, "native") == 0) o->xdp_native = true;
      else bad = 1;
      break;
    case 26: o->xdp_obj = v; break;
    case 27:
    case 28: {
      unsigned long n = strtoul(v, &end, 10);
      bad = *end || n > 1000000;
      if (k == 27) o->orphan_retries = (int32_t)n;
      else o->max_orphans = (int32_t)n;
      break;
    }
    default: return 0;
  }
  if (bad) {
    fprintf(stderr, "synack: bad value for %s: '%s'\n", opt, v);
    return -1;
  }
  return 1;
}

/* ---------- trace ---------- */

static void trace_frame(FILE *f, const char *dir, const uint8_t *frame, size_t len) {
  synack_dissect_t d;
  synack_drop_reason_t why = synack_dissect(frame, len, true, &d);
  char s[64], t[64], fl[16];
  if (d.has_arp) {
    synack_ip_format(&d.arp.tpa, t, sizeof t);
    synack_ip_format(&d.arp.spa, s, sizeof s);
    fprintf(f, "%s ARP %s %s (from %s)\n", dir, d.arp.op == SYNACK_ARP_REQUEST ? "who-has" : "reply", 
            d.arp.op == SYNACK_ARP_REQUEST ? t : s, s);
    return;
  }
  if (!d.ip_version) {
    fprintf(f, "%s %zu bytes (%s)\n", dir, len, why != SYNACK_DROP_NONE ? synack_drop_reason_desc(why) : "non-IP");
    return;
  }
  synack_ip_format(&d.src, s, sizeof s);
  synack_ip_format(&d.dst, t, sizeof t);
  if (why != SYNACK_DROP_NONE && d.proto == SYNACK_IPPROTO_TCP && !d.is_fragment) {
    /* With checksum offload the TCP checksum is unfinished (ours on output, the kernel's partial
     * one on input): read the header without verifying it. */
    const uint8_t *l4 = d.ip_version == 4 ? d.ip4.payload : d.ip6.payload;
    size_t l4_len = d.ip_version == 4 ? d.ip4.payload_len : d.ip6.payload_len;
    if (l4 && synack_tcp_parse(l4, l4_len, NULL, NULL, 0, &d.tcp) == SYNACK_DROP_NONE) {
      d.has_tcp = true;
      why = SYNACK_DROP_NONE;
    }
  }
  if (d.has_tcp) {
    fprintf(f, "%s %s.%u > %s.%u: %s seq %u ack %u win %u len %zu%s\n", dir, s, d.tcp.src_port, t, d.tcp.dst_port,
            synack_tcp_flags_str(d.tcp.flags, fl, sizeof fl), d.tcp.seq, d.tcp.ack, d.tcp.window,
            d.tcp.payload_len, why != SYNACK_DROP_NONE ? " (bad)" : "");
  } else if (d.has_icmp) {
    fprintf(f, "%s %s > %s: ICMP type %u code %u\n", dir, s, t, d.icmp.type, d.icmp.code);
  } else if (d.has_udp) {
    fprintf(f, "%s %s.%u > %s.%u: UDP\n", dir, s, d.udp.src_port, t, d.udp.dst_port);
  } else {
    fprintf(f, "%s %s > %s: proto %u\n", dir, s, t, d.proto);
  }
}

static void on_trace(void *user, const synack_trace_event_t *ev) {
  app_net_t *a = user;
  FILE *f = stderr;
  double t = (double)(ev->now - a->t0) / 1e6;
  fprintf(f, "[%10.6f] ", t);
  switch (ev->kind) {
    case SYNACK_TRACE_FRAME_IN: trace_frame(f, "in ", ev->frame, ev->frame_len); break;
    case SYNACK_TRACE_FRAME_OUT: trace_frame(f, "out", ev->frame, ev->frame_len); break;
    case SYNACK_TRACE_FRAME_DROP: fprintf(f, "drop: %s\n", ev->reason ? ev->reason : "?"); break;
    case SYNACK_TRACE_STATE: {
      char l[64], r[64];
      synack_ip_format(&ev->local.ip, l, sizeof l);
      synack_ip_format(&ev->remote.ip, r, sizeof r);
      fprintf(f, "state %s.%u <> %s.%u: %s -> %s (%s)\n", l, ev->local.port, r, ev->remote.port,
              synack_tcp_state_name((synack_tcp_state_t)ev->old_state),
              synack_tcp_state_name((synack_tcp_state_t)ev->new_state), ev->reason ? ev->reason : "");
      break;
    }
    case SYNACK_TRACE_TIMER: fprintf(f, "timer %s (sock %d)\n", ev->reason ? ev->reason : "?", ev->sock); break;
    case SYNACK_TRACE_NOTE: fprintf(f, "note: %s\n", ev->reason ? ev->reason : ""); break;
  }
}

/* ---------- start / finish ---------- */

/* The link of a stack on AF_XDP: queue a->queue of the group's device (app_xdp.c). */
static int open_xdp(app_net_t *a, const char *cmd) {
  if (strcmp(cmd, "serve") != 0) {
    fprintf(stderr, "synack %s: --driver xdp is available for serve only\n", cmd);
    return -1;
  }
  if (!a->group) {
    fprintf(stderr, "synack %s: no XDP program attached\n", cmd);
    return -1;
  }
  return app_xdp_open(a, a->group, cmd);
}

/* Several stacks on one device (one per AF_XDP queue) share the address: each gets a disjoint
 * slice of the ephemeral range for its active opens and a share of the socket table; their
 * secrets are one, so a SYN cookie validates on any of them. */
static void share_among_queues(const app_net_t *a, synack_config_t *cfg) {
  if (a->group) cfg->shared_secret = app_xdp_group_secret(a->group);
  if (a->nqueues < 2) return;
  uint32_t lo = cfg->tcp_port_lo, span = (uint32_t)cfg->tcp_port_hi - lo + 1, slice = span / a->nqueues;
  cfg->tcp_port_lo = (uint16_t)(lo + a->queue * slice);
  cfg->tcp_port_hi = (uint16_t)(lo + (a->queue + 1) * slice - 1);
  if (!a->o.max_conns) cfg->max_sockets = cfg->max_sockets / a->nqueues < 1024 ? 1024 : cfg->max_sockets / a->nqueues;
}

int app_net_start(app_net_t *a, const char *cmd) {
  app_opts_t *o = &a->o;
  if (o->xdp && !o->dev) o->dev = o->tap;
  if (o->xdp && !o->dev) {
    fprintf(stderr, "synack %s: --driver xdp needs --dev NAME\n", cmd);
    return -1;
  }
  if (!o->xdp && !o->tap) {
    fprintf(stderr, "synack %s: --tap NAME is required\n", cmd);
    return -1;
  }
  if (!o->addr4.family && !o->addr6.family) {
    fprintf(stderr, "synack %s: give --addr and/or --addr6\n", cmd);
    return -1;
  }
  if (o->xdp && open_xdp(a, cmd) < 0) return -1;
  synack_tap_loop_cfg_t lc;
  synack_tap_loop_cfg_default(&lc);
  lc.ifname = o->tap;
  lc.offload = o->offload;
  lc.seed = o->seed;
  lc.pcap_path = o->pcap;
  lc.writer_thread = o->writer_thread;
  if (o->impair_dirs & 1) lc.impair[SYNACK_TAP_DIR_IN] = o->impair;
  if (o->impair_dirs & 2) lc.impair[SYNACK_TAP_DIR_OUT] = o->impair;
  int err;
  a->loop = o->xdp ? NULL : synack_tap_loop_new(&lc, &err);
  if (!o->xdp && !a->loop) {
    fprintf(stderr, "synack %s: cannot open TAP '%s'%s: %s%s\n", cmd, o->tap, o->pcap ? " or the capture" : "",
            strerror(-err), err == -EPERM || err == -EACCES ? " (needs root or CAP_NET_ADMIN)" : "");
    return -1;
  }
  if (o->xdp && (o->pcap || o->nrules || o->impair.loss > 0 || o->impair.dup > 0 || o->impair.reorder > 0 ||
                 o->impair.corrupt > 0 || o->impair.delay_us || o->impair.jitter_us)) {
    fprintf(stderr, "synack %s: impairments and --pcap are TAP features (not with --driver xdp)\n", cmd);
    return -1;
  }
  for (int i = 0; i < o->nrules && a->loop; i++) synack_tap_loop_add_rule(a->loop, o->rule_dir[i], &o->rules[i]);

  synack_config_t cfg;
  synack_config_default(&cfg);
  if (o->profile && synack_config_preset(&cfg, o->profile) != 0) {
    fprintf(stderr, "synack %s: unknown profile '%s' (rfc, linux, freebsd)\n", cmd, o->profile);
    return -1;
  }
  cfg.link = SYNACK_LINK_ETHERNET;
  cfg.mac = o->mac;
  cfg.mtu = o->mtu;
  cfg.ip4 = o->addr4;
  cfg.ip4_prefix = o->prefix4;
  cfg.ip4_gateway = o->gw4;
  cfg.ip6 = o->addr6;
  cfg.ip6_prefix = o->prefix6;
  cfg.ip6_gateway = o->gw6;
  /* A stack on a real network: secrets from the kernel, never from --seed (issue: a known seed
   * gives away every ISN, SYN cookie and ephemeral port). --seed drives the impairments only. */
  cfg.random = synack_random_os;
  cfg.name = "synack";
  cfg.max_sockets = o->max_conns ? o->max_conns : app_default_max_conns();
  app_default_tcp_mem(&cfg);
  if (o->sndbuf) cfg.tcp_sndbuf = o->sndbuf;
  if (o->rcvbuf) cfg.tcp_rcvbuf = o->rcvbuf;
  if (o->pacing) cfg.tcp_pacing = o->pacing > 0;
  if (o->orphan_retries >= 0) cfg.tcp_orphan_retries = (uint32_t)o->orphan_retries;
  if (o->max_orphans >= 0) cfg.tcp_max_orphans = (uint32_t)o->max_orphans;
  else if (o->server) cfg.tcp_max_orphans = cfg.max_sockets;
  if (o->server) {
    /* Frames a burst of events produces before the loop writes them: every connection served
     * in one pass can queue a response, a FIN or a RST at once. A full ring drops what does not
     * fit (TX_RING_FULL; 737 frames in one ab -c1000 run with 256 slots). */
    if (cfg.tx_ring_frames < SERVER_TX_RING) cfg.tx_ring_frames = SERVER_TX_RING;
    /* A request is answered at once: its ACK rides on the response. Quick ACKs at the start of
     * every connection (for a peer's slow start) cost a bare ACK per request when each request
     * has a connection of its own. Profiles keep their own choice. */
    if (o->request_response && !o->profile) cfg.tcp_quickack_start = false;
    uint32_t b = o->syn_backlog ? o->syn_backlog : cfg.tcp_max_backlog;
    cfg.tcp_syn_backlog = b < cfg.max_sockets ? b : cfg.max_sockets;
  }
  if (cfg.tcp_sndbuf > cfg.tcp_max_buf) cfg.tcp_max_buf = cfg.tcp_sndbuf;
  if (cfg.tcp_rcvbuf > cfg.tcp_max_buf) cfg.tcp_max_buf = cfg.tcp_rcvbuf;
  if (o->trace) {
    cfg.trace = on_trace;
    cfg.trace_user = a;
  }
  if (a->loop) synack_tap_loop_tune_config(a->loop, &cfg);
  share_among_queues(a, &cfg);
  a->t0 = app_now();
  a->st = synack_stack_new(&cfg, a->t0);
  if (!a->st) {
    const char *why = synack_config_problem(&cfg);
    fprintf(stderr, "synack %s: cannot create the stack: %s\n", cmd, why ? why : "out of memory");
    return -1;
  }
  if (a->loop) {
    /* Room in the TAP for two frames (a request and an ACK) per connection the table holds:
     * beyond its queue the kernel drops what it sends us, and a dropped request costs its
     * client an RTO (wrk -c1000 lost 4,862 frames with the default 1,000: docs/bench.md). */
    /* At most 8,192: a queue is also a delay, and under a SYN flood every legitimate frame waits
     * behind all of it (32,768 frames at the ~19,000 frames/s a flood leaves made each wait
     * ~1.7 s, and tests/attack/t_synflood.sh's short connections time out). */
    uint64_t q = (uint64_t)cfg.max_sockets * 2;
    a->tap_queue = synack_tap_grow_queue(synack_tap_loop_tap(a->loop), (uint32_t)(q > 8192 ? 8192 : q));
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (!o->quiet && o->xdp) {
    fprintf(stderr, "synack %s: on %s queue %u (AF_XDP, %s XDP, %s)\n", cmd, o->dev, a->queue,
            o->xdp_native ? "native" : "skb", o->zerocopy ? "zero-copy" : "copy");
  } else if (!o->quiet) {
    const synack_tap_t *t = synack_tap_loop_tap(a->loop);
    fprintf(stderr, "synack %s: on %s (%s)\n", cmd, synack_tap_name(t),
            synack_tap_offload(t) ? "virtio-net header: checksum offload, GSO in, TSO out" : "plain frames");
  }
  return 0;
}

int app_net_run(app_net_t *a, synack_time_t max_wait_us) {
  if (a->xdp) return app_xdp_run(a, max_wait_us);
  return synack_tap_loop_run(a->loop, a->st, max_wait_us);
}

static void print_impair(FILE *f, const char *dir, const synack_impair_stats_t *s) {
  if (!s->in) return;
  fprintf(f,
          "  impair %-3s in %llu passed %llu lost %llu rule-dropped %llu dup %llu reordered %llu corrupted %llu "
          "delayed %llu full %llu\n",
          dir, (unsigned long long)s->in, (unsigned long long)s->passed, (unsigned long long)s->lost,
          (unsigned long long)s->dropped_rule, (unsigned long long)s->duplicated, (unsigned long long)s->reordered,
          (unsigned long long)s->corrupted, (unsigned long long)s->delayed, (unsigned long long)s->dropped_full);
}

/* Socket-buffer memory of the stack (tcp_mem, docs/memory.md) sized from physical memory as
 * Linux sizes its tcp_mem: about 1/16, 1/12 and 1/8 of it (the library's fixed defaults stand
 * when the size cannot be read). */
void app_default_tcp_mem(synack_config_t *cfg) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return;
  uint64_t ram = (uint64_t)pages * (uint64_t)page;
  cfg->tcp_mem_low = ram / 16;
  cfg->tcp_mem_pressure = ram / 12;
  cfg->tcp_mem_high = ram / 8;
}

uint32_t app_default_max_conns(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 1024;
  uint64_t n = (uint64_t)pages * (uint64_t)page / (512u * 1024u);
  return n < 1024 ? 1024 : n > 65536 ? 65536 : (uint32_t)n;
}

/* Driver statistics, every nonzero drop and event counter, and the memory the stack holds: what
 * --stats prints at exit and what `serve` prints on SIGUSR1 (the attack suite reads it mid-run). */
void app_print_stats(app_net_t *a, FILE *f) {
  if (a->xdp) app_xdp_print_stats(a, f);
  if (a->loop) {
    const synack_tap_loop_stats_t *s = synack_tap_loop_stats(a->loop);
    fprintf(f,
            "driver: frames in %llu (gso %llu -> %llu segs, partial csum %llu, data-valid %llu) out %llu "
            "(tso %llu <- %llu segs) write errors %llu read errors %llu wakeups %llu writer-full %llu\n",
            (unsigned long long)s->frames_in, (unsigned long long)s->gso_in, (unsigned long long)s->gso_segs_in,
            (unsigned long long)s->csum_partial_in, (unsigned long long)s->csum_valid_in,
            (unsigned long long)s->frames_out, (unsigned long long)s->tso_out, (unsigned long long)s->tso_segs_out,
            (unsigned long long)s->write_errors, (unsigned long long)s->read_errors,
            (unsigned long long)s->wakeups, (unsigned long long)s->writer_full_waits);
    print_impair(f, "in", synack_tap_loop_impair_stats(a->loop, SYNACK_TAP_DIR_IN));
    print_impair(f, "out", synack_tap_loop_impair_stats(a->loop, SYNACK_TAP_DIR_OUT));
  }
  if (!a->st) return;
  const synack_counters_t *c = synack_stack_counters(a->st);
  for (int i = 0; i < SYNACK_DROP__COUNT; i++)
    if (c->drops[i])
      fprintf(f, "  drop %-32s %llu\n", synack_drop_reason_desc((synack_drop_reason_t)i),
              (unsigned long long)c->drops[i]);
  /* Machine-readable: "counter NAME VALUE", "drop-reason NAME VALUE", "memory BYTES cached BYTES". */
  for (int i = 0; i < SYNACK_DROP__COUNT; i++)
    if (c->drops[i])
      fprintf(f, "  drop-reason %s %llu\n", synack_drop_reason_name((synack_drop_reason_t)i),
              (unsigned long long)c->drops[i]);
  for (int i = 0; i < SYNACK_CTR__COUNT; i++)
    if (c->events[i])
      fprintf(f, "  counter %s %llu\n", synack_counter_name((synack_counter_t)i), (unsigned long long)c->events[i]);
  fprintf(f, "  memory %zu cached %zu\n", synack_stack_memory(a->st), synack_stack_memory_cached(a->st));
  fflush(f);
}

void app_net_finish(app_net_t *a) {
  if (a->o.stats) app_print_stats(a, stderr);
  if (a->st) synack_stack_free(a->st);
  if (a->loop) synack_tap_loop_free(a->loop);
  if (a->xdp) app_xdp_close(a);
  a->st = NULL;
  a->loop = NULL;
}

/* ---------- progress ---------- */

static void human(char *buf, size_t cap, double bytes) {
  if (bytes >= 1e9) snprintf(buf, cap, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1e6) snprintf(buf, cap, "%.2f MB", bytes / 1e6);
  else if (bytes >= 1e3) snprintf(buf, cap, "%.1f kB", bytes / 1e3);
  else snprintf(buf, cap, "%.0f B", bytes);
}

void app_progress(app_progress_t *p, const char *what, uint64_t bytes, bool quiet) {
  synack_time_t now = app_now();
  if (!p->start) {
    p->start = p->last = now;
    return;
  }
  if (quiet || now - p->last < 1000000u) return;
  char b[32];
  human(b, sizeof b, (double)bytes);
  double rate = (double)(bytes - p->last_bytes) * 8.0 / ((double)(now - p->last) / 1e6) / 1e6;
  fprintf(stderr, "%s: %s, %.1f Mbit/s\n", what, b, rate);
  p->last = now;
  p->last_bytes = bytes;
  p->shown = true;
}

void app_summary(app_net_t *a, const char *what, uint64_t bytes, synack_time_t start, int sock) {
  synack_time_t dt = app_now() - start;
  double secs = dt ? (double)dt / 1e6 : 1e-6;
  char b[32];
  human(b, sizeof b, (double)bytes);
  synack_tcp_info_t ti;
  memset(&ti, 0, sizeof ti);
  bool have = sock >= 0 && synack_tcp_info(a->st, sock, &ti) == 0;
  if (have) {
    /* Segments and bytes retransmitted, and what caused them (issue 13); an RTT only when a
     * sample was taken (Karn: none from a handshake whose SYN was retransmitted). */
    char rtt[32];
    if (ti.rtt_us) snprintf(rtt, sizeof rtt, "%.2f ms", ti.rtt_us / 1000.0);
    else snprintf(rtt, sizeof rtt, "not measured");
    fprintf(stderr,
            "%s: %llu bytes (%s) in %.3f s, %.1f Mbit/s, retransmitted %u segments (%llu bytes): %u timeouts, "
            "%u tail loss probes, %u spurious (%u undone), rtt %s\n",
            what, (unsigned long long)bytes, b, secs, (double)bytes * 8.0 / secs / 1e6, ti.total_retrans,
            (unsigned long long)ti.bytes_retrans, ti.rtos, ti.tlp_probes, ti.spurious_retrans, ti.undos, rtt);
  } else
    fprintf(stderr, "%s: %llu bytes (%s) in %.3f s, %.1f Mbit/s\n", what, (unsigned long long)bytes, b, secs,
            (double)bytes * 8.0 / secs / 1e6);
}

/* Lets the stack finish the close (FIN exchange, final ACK) before the process goes away:
 * runs until only TIME-WAIT entries and listeners remain, at most max_us. */
void app_drain_closes(app_net_t *a, synack_time_t max_us) {
  synack_time_t end = app_now() + max_us;
  while (!app_stop && app_now() < end) {
    synack_conn_entry_t e[64];
    size_t n = synack_conn_table(a->st, e, 64), busy = 0;
    for (size_t i = 0; i < n && i < 64; i++)
      if (e[i].state != SYNACK_TCP_TIME_WAIT && e[i].state != SYNACK_TCP_LISTEN) busy++;
    if (!busy) break;
    if (app_net_run(a, SYNACK_MS(50)) < 0) break;
    synack_event_t ev;
    while (synack_stack_next_event(a->st, &ev)) {
    }
  }
}

int app_write_all(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    b += w;
    n -= (size_t)w;
  }
  return 0;
}
