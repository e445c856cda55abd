/* Shell lines and %{ }% blocks of `synack drill`. Nothing is executed on the host: every
 * command is answered from the stack under test. sysctl maps kernel settings (Linux
 * net.ipv4.tcp_* and FreeBSD net.inet.tcp.* names) to synack_config_t fields; sockstat | grep
 * pipelines and tcpdrop use the stack's connection table; `assert tcpi_X == V` reads
 * synack_tcp_info. Whatever cannot be honoured makes the script UNSUPPORTED. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_int.h"

/* ---------------------------------------------------------------- sysctl */

typedef enum {
  SK_BOOL = 0,  /* bool field = v (0/1) */
  SK_NBOOL,     /* bool field = !v (0/1) */
  SK_U32,       /* uint32_t field = v */
  SK_U16,       /* uint16_t field = v */
  SK_S2MS,      /* value in seconds, uint32_t field in ms */
  SK_MS2S,      /* value in ms, uint32_t field in s (whole seconds only) */
  SK_ONLY,      /* no field: only `only` is accepted (what synack does anyway) */
  SK_ECN,       /* synack_ecn_mode_t field = v (0 off, 1 ask and answer, 2 answer only) */
  SK_NOOP,      /* no field: any number is accepted because it changes nothing in synack */
  SK_COOKIES,   /* tcp_syncookies = v >= 1, tcp_syncookies_always = v == 2 (Linux's 0, 1, 2) */
} sysctl_kind_t;

typedef struct {
  const char *name;
  sysctl_kind_t kind;
  size_t off;
  long only;
} sysctl_map_t;

#define F(x) offsetof(synack_config_t, x)
static const sysctl_map_t sysctls[] = {
  /* Linux */
  { "net.ipv4.tcp_sack", SK_BOOL, F(tcp_sack), 0 },
  { "net.ipv4.tcp_timestamps", SK_BOOL, F(tcp_timestamps), 0 },
  { "net.ipv4.tcp_window_scaling", SK_BOOL, F(tcp_window_scaling), 0 },
  { "net.ipv4.tcp_ecn", SK_ECN, F(tcp_ecn), 0 },
  { "net.ipv4.tcp_syncookies", SK_COOKIES, F(tcp_syncookies), 0 },
  { "net.ipv4.tcp_rfc1337", SK_BOOL, F(tcp_rfc1337), 0 },
  { "net.ipv4.tcp_keepalive_time", SK_U32, F(tcp_keepalive_idle_s), 0 },
  { "net.ipv4.tcp_keepalive_intvl", SK_U32, F(tcp_keepalive_intvl_s), 0 },
  { "net.ipv4.tcp_keepalive_probes", SK_U32, F(tcp_keepalive_probes), 0 },
  { "net.ipv4.tcp_tw_reuse", SK_BOOL, F(tcp_tw_reuse), 0 },
  { "net.ipv4.tcp_fin_timeout", SK_S2MS, F(tcp_fin_timeout_ms), 0 },
  { "net.ipv4.tcp_syn_retries", SK_U32, F(tcp_syn_retries), 0 },
  { "net.ipv4.tcp_synack_retries", SK_U32, F(tcp_synack_retries), 0 },
  { "net.ipv4.tcp_syn_linear_timeouts", SK_U32, F(tcp_syn_linear_timeouts), 0 },
  { "net.ipv4.tcp_retries2", SK_U32, F(tcp_retries2), 0 },
  { "net.ipv4.tcp_orphan_retries", SK_U32, F(tcp_orphan_retries), 0 },
  { "net.ipv4.tcp_challenge_ack_limit", SK_U32, F(tcp_challenge_ack_limit), 0 },
  { "net.ipv4.tcp_invalid_ratelimit", SK_U32, F(tcp_invalid_ratelimit_ms), 0 },
  { "net.ipv4.tcp_max_orphans", SK_U32, F(tcp_max_orphans), 0 },
  { "net.ipv4.tcp_abort_on_overflow", SK_BOOL, F(tcp_abort_on_overflow), 0 },
  { "net.ipv4.tcp_max_syn_backlog", SK_U32, F(tcp_syn_backlog), 0 },
  { "net.core.somaxconn", SK_U32, F(tcp_max_backlog), 0 },
  { "net.ipv4.tcp_slow_start_after_idle", SK_BOOL, F(tcp_idle_restart), 0 },
  { "net.ipv4.tcp_no_metrics_save", SK_ONLY, 0, 1 },
  /* The fewest segments of a TSO/GSO burst whose last segment carries PSH (cfg.tcp_psh_tso):
   * Linux's default of 2 puts PSH on every second segment of a slow flow once offloads are off,
   * as on the kernel target's TUN device; 1 leaves PSH at the end of each write. */
  { "net.ipv4.tcp_min_tso_segs", SK_U32, F(tcp_min_tso_segs), 0 },
  { "net.ipv4.tcp_fastopen", SK_U32, F(tcp_fastopen), 0 },
  /* FreeBSD */
  { "net.inet.tcp.sack.enable", SK_BOOL, F(tcp_sack), 0 },
  { "net.inet.tcp.ecn.enable", SK_ECN, F(tcp_ecn), 0 },
  { "net.inet.tcp.syncookies", SK_BOOL, F(tcp_syncookies), 0 },
  { "net.inet.tcp.syncookies_only", SK_BOOL, F(tcp_syncookies_always), 0 },
  { "net.inet.tcp.insecure_rst", SK_NBOOL, F(tcp_rfc5961_rst), 0 },
  { "net.inet.tcp.insecure_syn", SK_NBOOL, F(tcp_rfc5961_syn), 0 },
  { "net.inet.tcp.drop_synfin", SK_BOOL, F(tcp_drop_synfin), 0 },
  { "net.inet.tcp.rexmit_initial", SK_U32, F(tcp_rto_initial_ms), 0 },
  { "net.inet.tcp.rexmit_min", SK_U32, F(tcp_rto_min_ms), 0 },
  { "net.inet.tcp.rexmit_slop", SK_U32, F(tcp_rto_slop_ms), 0 },
  { "net.inet.tcp.rexmit_max", SK_U32, F(tcp_rto_max_ms), 0 },
  { "net.inet.tcp.keepidle", SK_MS2S, F(tcp_keepalive_idle_s), 0 },
  { "net.inet.tcp.keepintvl", SK_MS2S, F(tcp_keepalive_intvl_s), 0 },
  { "net.inet.tcp.keepcnt", SK_U32, F(tcp_keepalive_probes), 0 },
  { "net.inet.tcp.delacktime", SK_U32, F(tcp_delack_ms), 0 },
  { "net.inet.tcp.mssdflt", SK_U16, F(tcp_default_mss), 0 },
  { "net.inet.tcp.sendspace", SK_U32, F(tcp_sndbuf), 0 },
  { "net.inet.tcp.recvspace", SK_U32, F(tcp_rcvbuf), 0 },
  { "kern.ipc.maxsockbuf", SK_U32, F(tcp_max_buf), 0 },
  { "net.inet.tcp.initcwnd_segments", SK_U32, F(tcp_initial_cwnd_segs), 0 },
  { "net.inet.tcp.abc_l_var", SK_U32, F(tcp_abc_limit), 0 },
  { "net.inet.tcp.do_prr", SK_BOOL, F(tcp_prr), 0 },
  { "net.inet.tcp.msl", SK_U32, F(tcp_msl_ms), 0 },
  { "net.inet.tcp.finwait2_timeout", SK_U32, F(tcp_fin_timeout_ms), 0 },
  { "net.inet.tcp.syncache.rexmtlimit", SK_U32, F(tcp_synack_retries), 0 },
  { "kern.ipc.somaxconn", SK_U32, F(tcp_max_backlog), 0 },
  { "net.inet.tcp.fastopen.server_enable", SK_ONLY, 0, 0 },
  { "net.inet.tcp.fastopen.client_enable", SK_ONLY, 0, 0 },
  { "net.inet.tcp.blackhole", SK_ONLY, 0, 0 },
  /* FreeBSD's host cache keeps metrics (RTT, ssthresh, MTU) of past connections per host.
   * synack keeps none, so emptying or aging it changes nothing; turning it on cannot be
   * honoured (docs/drill.md). */
  { "net.inet.tcp.hostcache.purgenow", SK_NOOP, 0, 0 },
  { "net.inet.tcp.hostcache.purge", SK_NOOP, 0, 0 },
  { "net.inet.tcp.hostcache.expire", SK_NOOP, 0, 0 },
  { "net.inet.tcp.hostcache.prune", SK_NOOP, 0, 0 },
  { "net.inet.tcp.hostcache.enable", SK_ONLY, 0, 0 },
};
#undef F

static bool parse_long(const char *v, long *out) {
  char *end;
  long x = strtol(v, &end, 0);
  if (end == v || *end != '\0') return false;
  *out = x;
  return true;
}

int drill_sysctl_apply(synack_config_t *cfg, const char *name, const char *value, char *why, size_t whycap) {
  long v = 0;
  bool num = parse_long(value, &v);
  /* specials first */
  if (strcmp(name, "net.inet.tcp.rfc1323") == 0) {
    /* FreeBSD: 0 none, 1 both, 2 window scaling only, 3 timestamps only */
    if (!num || v < 0 || v > 3) goto bad;
    cfg->tcp_window_scaling = v == 1 || v == 2;
    cfg->tcp_timestamps = v == 1 || v == 3;
    return 0;
  }
  if (strcmp(name, "net.ipv4.tcp_rmem") == 0 || strcmp(name, "net.ipv4.tcp_wmem") == 0) {
    long a, b, c;
    if (sscanf(value, "%ld %ld %ld", &a, &b, &c) != 3 || b <= 0 || c < b) goto bad;
    if (name[13] == 'r') {
      cfg->tcp_rcvbuf = (uint32_t)b;
      if ((uint32_t)c > cfg->tcp_max_buf) cfg->tcp_max_buf = (uint32_t)c;
    } else {
      cfg->tcp_sndbuf = (uint32_t)b;
      if (cfg->tcp_sndbuf_linux) cfg->tcp_sndbuf_linux = (uint32_t)b; /* what SO_SNDBUF reports first */
    }
    return 0;
  }
  if (strcmp(name, "net.core.rmem_max") == 0 || strcmp(name, "net.core.wmem_max") == 0) {
    if (!num || v <= 0) goto bad;
    if ((uint32_t)v > cfg->tcp_max_buf) cfg->tcp_max_buf = (uint32_t)v;
    return 0;
  }
  if (strcmp(name, "net.ipv4.tcp_congestion_control") == 0 || strcmp(name, "net.inet.tcp.cc.algorithm") == 0) {
    if (strcmp(value, "cubic") == 0) {
      cfg->tcp_cc = SYNACK_CC_CUBIC;
    } else if (strcmp(value, "reno") == 0 || strcmp(value, "newreno") == 0) {
      cfg->tcp_cc = SYNACK_CC_NEWRENO;
    } else {
      snprintf(why, whycap, "congestion control '%s' not available (cubic, newreno)", value);
      return -1;
    }
    return 0;
  }
  if (strcmp(name, "net.ipv4.tcp_recovery") == 0) {
    if (!num || v < 0) goto bad;
    if (v & ~1L) {
      snprintf(why, whycap, "net.ipv4.tcp_recovery=%ld: only bit 0 (RACK) is mapped", v);
      return -1;
    }
    cfg->tcp_rack = v & 1;
    return 0;
  }
  if (strcmp(name, "net.ipv4.tcp_frto") == 0) {
    /* Linux: 0 off; any other value on (the SACK-enhanced version when SACK is in use, RFC 5682
     * §3, as synack's F-RTO). */
    if (!num || v < 0) goto bad;
    cfg->tcp_frto = v != 0;
    return 0;
  }
  if (strcmp(name, "net.ipv4.tcp_fastopen_key") == 0) {
    /* Linux: four 32-bit hex words "w0-w1-w2-w3" (a ",backup" key after them is not mapped);
     * the key bytes are each word little-endian, the SipHash key of the cookie. */
    unsigned w[4];
    char tail;
    if (sscanf(value, "%x-%x-%x-%x%c", &w[0], &w[1], &w[2], &w[3], &tail) != 4) {
      snprintf(why, whycap, "sysctl %s=%s: one key of four hex words w0-w1-w2-w3 is mapped", name, value);
      return -1;
    }
    for (int k = 0; k < 16; k++) cfg->tcp_fastopen_key[k] = (uint8_t)(w[k / 4] >> (8 * (k % 4)));
    cfg->tcp_fastopen_key_set = true;
    return 0;
  }
  if (strcmp(name, "net.inet.tcp.functions_default") == 0) {
    if (strcmp(value, "freebsd") == 0) return 0;
    snprintf(why, whycap, "TCP stack '%s' not available (only the default 'freebsd' behaviour)", value);
    return -1;
  }
  for (size_t k = 0; k < sizeof sysctls / sizeof sysctls[0]; k++) {
    const sysctl_map_t *m = &sysctls[k];
    if (strcmp(m->name, name) != 0) continue;
    if (!num) goto bad;
    uint8_t *base = (uint8_t *)cfg;
    switch (m->kind) {
    case SK_BOOL:
    case SK_NBOOL: {
      if (v != 0 && v != 1) {
        snprintf(why, whycap, "sysctl %s=%s: only 0 and 1 are mapped", name, value);
        return -1;
      }
      bool b = m->kind == SK_BOOL ? v == 1 : v == 0;
      memcpy(base + m->off, &b, sizeof b);
      return 0;
    }
    case SK_U32: {
      if (v < 0 || v > 0x7fffffffL) goto bad;
      uint32_t x = (uint32_t)v;
      memcpy(base + m->off, &x, sizeof x);
      return 0;
    }
    case SK_U16: {
      if (v < 0 || v > 65535) goto bad;
      uint16_t x = (uint16_t)v;
      memcpy(base + m->off, &x, sizeof x);
      return 0;
    }
    case SK_S2MS: {
      if (v < 0 || v > 2000000L) goto bad;
      uint32_t x = (uint32_t)v * 1000u;
      memcpy(base + m->off, &x, sizeof x);
      return 0;
    }
    case SK_MS2S: {
      if (v < 0 || v % 1000) {
        snprintf(why, whycap, "sysctl %s=%s: synack keeps this in whole seconds", name, value);
        return -1;
      }
      uint32_t x = (uint32_t)(v / 1000);
      memcpy(base + m->off, &x, sizeof x);
      return 0;
    }
    case SK_COOKIES: {
      if (v < 0 || v > 2) {
        snprintf(why, whycap, "sysctl %s=%s: only 0, 1 and 2 are mapped", name, value);
        return -1;
      }
      bool on = v >= 1, always = v == 2;
      memcpy(base + m->off, &on, sizeof on);
      memcpy(base + offsetof(synack_config_t, tcp_syncookies_always), &always, sizeof always);
      return 0;
    }
    case SK_ECN: {
      if (v < SYNACK_ECN_MODE_OFF || v > SYNACK_ECN_MODE_PASSIVE) {
        snprintf(why, whycap, "sysctl %s=%s: only 0, 1 and 2 are mapped", name, value);
        return -1;
      }
      synack_ecn_mode_t x = (synack_ecn_mode_t)v;
      memcpy(base + m->off, &x, sizeof x);
      return 0;
    }
    case SK_NOOP:
      return 0;
    case SK_ONLY:
      if (v == m->only) return 0;
      snprintf(why, whycap, "sysctl %s=%s not honoured (synack behaves as %s=%ld)", name, value, name, m->only);
      return -1;
    }
  }
  snprintf(why, whycap, "sysctl %s not mapped to synack's configuration", name);
  return -2;
bad:
  snprintf(why, whycap, "sysctl %s=%s: bad value", name, value);
  return -1;
}

/* ---------------------------------------------------------------- command lines */

#define MAX_TOK 32
#define MAX_LINES 256

typedef struct {
  int n;
  char *tok[MAX_TOK];
} argv_t;

typedef struct {
  int n;
  char *line[MAX_LINES];
} lines_t;

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

static void lines_free(lines_t *l) {
  for (int k = 0; k < l->n; k++) free(l->line[k]);
  l->n = 0;
}

static void lines_add(lines_t *l, const char *s) {
  if (l->n < MAX_LINES) {
    char *d = dup_str(s);
    if (d) l->line[l->n++] = d;
  }
}

/* Appends the value of the $((EXPR)) at s[*i] to buf; false with the reason in why. */
static bool expand_arith(const char *s, size_t len, size_t *i, char *buf, size_t *b, size_t cap, char *why,
                         size_t whycap) {
  size_t n = drill_arith_len(s + *i, len - *i);
  if (n == 0) {
    snprintf(why, whycap, "unterminated $((");
    return false;
  }
  char expr[256];
  if (n - 5 >= sizeof expr) {
    snprintf(why, whycap, "$(( )) expression too long");
    return false;
  }
  memcpy(expr, s + *i + 3, n - 5);
  expr[n - 5] = '\0';
  int64_t v;
  if (drill_arith(expr, n - 5, &v, why, whycap) != 0) return false;
  int k = snprintf(buf + *b, cap - *b, "%lld", (long long)v);
  if (k > 0) *b = *b + (size_t)k >= cap ? cap - 1 : *b + (size_t)k;
  *i += n;
  return true;
}

/* Splits one pipeline stage into words, honouring '...' and "..." quotes and expanding
 * $((EXPR)) (outside single quotes); any other expansion ($VAR, $(cmd), globs are left to no
 * shell) makes it fail with the reason in why. */
static bool split_words(const char *s, size_t len, argv_t *a, char *why, size_t whycap) {
  a->n = 0;
  size_t i = 0;
  while (i < len) {
    while (i < len && isspace((unsigned char)s[i])) i++;
    if (i >= len) break;
    if (a->n == MAX_TOK) {
      snprintf(why, whycap, "more than %d words", MAX_TOK);
      return false;
    }
    char buf[512];
    size_t b = 0;
    char q = 0;
    while (i < len && (q || !isspace((unsigned char)s[i]))) {
      char c = s[i];
      if (q && c == q) {
        q = 0;
        i++;
      } else if (!q && (c == '\'' || c == '"')) {
        q = c;
        i++;
      } else if (c == '$' && q != '\'') {
        if (!expand_arith(s, len, &i, buf, &b, sizeof buf, why, whycap)) {
          if (strncmp(s + i, "$((", 3) != 0) snprintf(why, whycap, "shell expansion '%.*s' not supported",
                                                     (int)strcspn(s + i, " \t\"'"), s + i);
          return false;
        }
      } else if (c == '\\' && q != '\'' && i + 1 < len) {
        if (b + 1 < sizeof buf) buf[b++] = s[i + 1];
        i += 2;
      } else {
        if (b + 1 < sizeof buf) buf[b++] = c;
        i++;
      }
    }
    if (q) {
      snprintf(why, whycap, "unterminated %c quote", q);
      return false;
    }
    buf[b] = '\0';
    a->tok[a->n] = dup_str(buf);
    if (!a->tok[a->n]) {
      snprintf(why, whycap, "out of memory");
      return false;
    }
    a->n++;
  }
  return true;
}

static void argv_free(argv_t *a) {
  for (int k = 0; k < a->n; k++) free(a->tok[k]);
  a->n = 0;
}

static const char *bsd_state(synack_tcp_state_t s) {
  switch (s) {
  case SYNACK_TCP_CLOSED: return "CLOSED";
  case SYNACK_TCP_LISTEN: return "LISTEN";
  case SYNACK_TCP_SYN_SENT: return "SYN_SENT";
  case SYNACK_TCP_SYN_RECEIVED: return "SYN_RCVD";
  case SYNACK_TCP_ESTABLISHED: return "ESTABLISHED";
  case SYNACK_TCP_FIN_WAIT_1: return "FIN_WAIT_1";
  case SYNACK_TCP_FIN_WAIT_2: return "FIN_WAIT_2";
  case SYNACK_TCP_CLOSE_WAIT: return "CLOSE_WAIT";
  case SYNACK_TCP_CLOSING: return "CLOSING";
  case SYNACK_TCP_LAST_ACK: return "LAST_ACK";
  case SYNACK_TCP_TIME_WAIT: return "TIME_WAIT";
  }
  return "?";
}

#define MAX_CONN 4096

static size_t conn_table(drill_run_t *r, synack_conn_entry_t **out) {
  *out = calloc(MAX_CONN, sizeof **out);
  if (!*out) return 0;
  size_t n = synack_conn_table(r->st, *out, MAX_CONN);
  return n > MAX_CONN ? MAX_CONN : n;
}

/* Whether a sockstat -p list ("80,8080" or "1000-2000" items) names a port. */
static bool port_listed(const char *list, unsigned port) {
  const char *p = list;
  while (*p) {
    char *end;
    unsigned long lo = strtoul(p, &end, 10), hi = lo;
    if (end == p) return false;
    if (*end == '-') {
      p = end + 1;
      hi = strtoul(p, &end, 10);
    }
    if (port >= lo && port <= hi) return true;
    p = *end == ',' ? end + 1 : end;
    if (*end != ',' ) break;
  }
  return false;
}

/* sockstat (FreeBSD): one line per entry of the connection table, half-open entries of a
 * listener included (FreeBSD lists its syncache entries as SYN_RCVD too). -4 / -6 keep one
 * family (both or neither: all), -l listening sockets, -c connected ones (neither: all),
 * -P tcp the protocol, -p PORTS a local or foreign port, -s adds the state column; -n, -N, -q,
 * -w, -v change nothing that a script can see here. */
static bool cmd_sockstat(drill_run_t *r, const argv_t *a, lines_t *out) {
  const char *ports = NULL;
  bool v4 = false, v6 = false, only_listen = false, only_conn = false, state = false, header = true;
  for (int k = 1; k < a->n; k++) {
    const char *t = a->tok[k];
    if (strcmp(t, "-p") == 0 && k + 1 < a->n) {
      ports = a->tok[++k];
    } else if (strcmp(t, "-P") == 0 && k + 1 < a->n) {
      if (strcmp(a->tok[++k], "tcp") != 0) {
        drill_unsupported(r, "sockstat -P %s: synack's table holds TCP only", a->tok[k]);
        return false;
      }
    } else if (t[0] == '-' && t[1]) {
      for (const char *c = t + 1; *c; c++) {
        switch (*c) {
        case '4': v4 = true; break;
        case '6': v6 = true; break;
        case 'l': only_listen = true; break;
        case 'c': only_conn = true; break;
        case 's': state = true; break;
        case 'q': header = false; break;
        case 'n':
        case 'N':
        case 'w':
        case 'v': break;
        default: drill_unsupported(r, "sockstat option -%c not supported", *c); return false;
        }
      }
    } else {
      drill_unsupported(r, "sockstat argument %s not supported", t);
      return false;
    }
  }
  if (header)
    lines_add(out, state ? "USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS       STATE"
                         : "USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS");
  synack_conn_entry_t *e;
  size_t n = conn_table(r, &e);
  for (size_t k = 0; k < n; k++) {
    int fam = e[k].local.ip.family ? e[k].local.ip.family : e[k].remote.ip.family;
    if (!fam) fam = r->family == SYNACK_AF_INET6 ? SYNACK_AF_INET6 : SYNACK_AF_INET;
    bool is6 = fam == SYNACK_AF_INET6;
    if (v4 != v6 && is6 != v6) continue;
    if (ports && !port_listed(ports, e[k].local.port) && !port_listed(ports, e[k].remote.port)) continue;
    bool listen = e[k].state == SYNACK_TCP_LISTEN;
    if (only_listen != only_conn && listen != only_listen) continue;
    char l[48], f[48], line[256];
    synack_ip_format(&e[k].local.ip, l, sizeof l);
    synack_ip_format(&e[k].remote.ip, f, sizeof f);
    int len = snprintf(line, sizeof line, "root     synack     1     %-3d tcp%c   %s:%u %s:%u", e[k].sock, is6 ? '6' : '4',
                       l, e[k].local.port, listen ? "*" : f, listen ? 0 : e[k].remote.port);
    if (state && len > 0 && (size_t)len < sizeof line)
      snprintf(line + len, sizeof line - (size_t)len, " %s", bsd_state(e[k].state));
    lines_add(out, line);
  }
  free(e);
  return true;
}

static bool match_pattern(const char *line, const char *pat, bool whole, bool word) {
  size_t pl = strlen(pat);
  bool anch_s = pl && pat[0] == '^';
  bool anch_e = pl && pat[pl - 1] == '$';
  const char *p = pat + (anch_s ? 1 : 0);
  size_t n = pl - (anch_s ? 1 : 0) - (anch_e ? 1 : 0);
  size_t ll = strlen(line);
  if (whole) return ll == n && memcmp(line, p, n) == 0;
  for (size_t i = 0; i + n <= ll; i++) {
    if (anch_s && i != 0) break;
    if (memcmp(line + i, p, n) != 0) continue;
    if (anch_e && i + n != ll) continue;
    if (word && ((i > 0 && (isalnum((unsigned char)line[i - 1]) || line[i - 1] == '_')) ||
                 (i + n < ll && (isalnum((unsigned char)line[i + n]) || line[i + n] == '_'))))
      continue;
    return true;
  }
  return false;
}

/* grep [-c] [-q] [-x] [-w] [-v] [-e] PATTERN: filters lines; returns its exit status. */
static int cmd_grep(drill_run_t *r, const argv_t *a, lines_t *io) {
  bool count = false, whole = false, word = false, inv = false;
  const char *pat = NULL;
  for (int k = 1; k < a->n; k++) {
    const char *t = a->tok[k];
    if (t[0] == '-' && t[1] && !pat) {
      for (const char *c = t + 1; *c; c++) {
        switch (*c) {
        case 'c': count = true; break;
        case 'q': break;
        case 'x': whole = true; break;
        case 'w': word = true; break;
        case 'v': inv = true; break;
        case 'E':
        case 'F':
        case 'e': break;
        default: drill_unsupported(r, "grep option -%c not supported", *c); return 2;
        }
      }
    } else if (!pat) {
      pat = t;
    } else {
      drill_unsupported(r, "grep with files not supported");
      return 2;
    }
  }
  if (!pat) {
    drill_unsupported(r, "grep without a pattern");
    return 2;
  }
  for (const char *c = pat; *c; c++)
    if (strchr("[]*+?.\\(){}|", *c)) {
      drill_unsupported(r, "grep pattern '%s': regular expressions not supported", pat);
      return 2;
    }
  lines_t kept = { 0, { 0 } };
  for (int k = 0; k < io->n; k++)
    if (match_pattern(io->line[k], pat, whole, word) != inv) lines_add(&kept, io->line[k]);
  int n = kept.n;
  lines_free(io);
  if (count) {
    char b[32];
    snprintf(b, sizeof b, "%d", n);
    lines_add(io, b);
    lines_free(&kept);
  } else {
    *io = kept;
  }
  return n > 0 ? 0 : 1;
}

static bool state_by_name(const char *s, synack_tcp_state_t *out) {
  for (int k = 0; k < SYNACK_TCP_STATE_COUNT; k++) {
    const char *n = bsd_state((synack_tcp_state_t)k);
    if (strcmp(n, s) == 0 || strcmp(synack_tcp_state_name((synack_tcp_state_t)k), s) == 0) {
      *out = (synack_tcp_state_t)k;
      return true;
    }
  }
  if (strcmp(s, "SYN_RECEIVED") == 0) {
    *out = SYNACK_TCP_SYN_RECEIVED;
    return true;
  }
  return false;
}

static int cmd_tcpdrop(drill_run_t *r, const argv_t *a) {
  bool all = false, list = false, has_state = false;
  synack_tcp_state_t want = SYNACK_TCP_CLOSED;
  for (int k = 1; k < a->n; k++) {
    const char *t = a->tok[k];
    if (strcmp(t, "-a") == 0) {
      all = true;
    } else if (strcmp(t, "-l") == 0) {
      list = true;
    } else if (strcmp(t, "-s") == 0 && k + 1 < a->n) {
      if (!state_by_name(a->tok[++k], &want)) {
        drill_unsupported(r, "tcpdrop: unknown state %s", a->tok[k]);
        return 2;
      }
      has_state = true;
    } else {
      drill_unsupported(r, "tcpdrop %s not supported (only -a, -l, -s STATE)", t);
      return 2;
    }
  }
  if (!all && !has_state) {
    drill_unsupported(r, "tcpdrop needs -a or -s STATE here");
    return 2;
  }
  if (list) return 0;
  synack_conn_entry_t *e;
  size_t n = conn_table(r, &e);
  for (size_t k = 0; k < n; k++) {
    if (e[k].state == SYNACK_TCP_LISTEN) continue; /* tcpdrop leaves listeners alone */
    if (has_state && e[k].state != want) continue;
    synack_conn_drop(r->st, r->now, &e[k]);
  }
  free(e);
  return 0;
}

/* One setting NAME=VALUE (NAME with '.' or '/' separators), from `sysctl` or `set_sysctls.py`:
 * returns 0, or 2 after reporting the script UNSUPPORTED. */
static int sysctl_set(drill_run_t *r, const char *t, int phase) {
  const char *eq = strchr(t, '=');
  char name[128];
  size_t nl = (size_t)(eq - t);
  if (nl >= sizeof name) nl = sizeof name - 1;
  memcpy(name, t, nl);
  name[nl] = '\0';
  /* Linux scripts also write names with '/' */
  for (char *c = name; *c; c++)
    if (*c == '/') *c = '.';
  const char *value = eq + 1;
  char why[256] = "";
  if (r->o->kernel) {
    /* the kernel target: written into the run's own namespace (which goes away at the end, so
     * restoring after the last event is moot) */
    if (phase == 2) return 0;
    return drill_kernel_sysctl(r, name, value) != 0 ? 2 : 0;
  }
  if (phase == 2) {
    /* restoring settings after the last event: nothing is left to configure, so a value the
     * stack could not take is moot; but a name the runner does not know is reported, never
     * passed over in silence */
    synack_config_t scratch = r->cfg;
    if (drill_sysctl_apply(&scratch, name, value, why, sizeof why) == -2) {
      drill_unsupported(r, "%s", why);
      return 2;
    }
    return 0;
  }
  if (phase == 0) {
    if (drill_sysctl_apply(&r->cfg, name, value, why, sizeof why) != 0) {
      drill_unsupported(r, "%s", why);
      return 2;
    }
    return 0;
  }
  /* on the timeline: the running stack takes the new value as a kernel would
   * (synack_stack_set_config says which settings reach existing connections) */
  synack_config_t c = *synack_stack_config(r->st);
  if (drill_sysctl_apply(&c, name, value, why, sizeof why) != 0) {
    drill_unsupported(r, "%s", why);
    return 2;
  }
  if (synack_stack_set_config(r->st, &c) != 0) {
    drill_unsupported(r, "sysctl %s=%s: refused by synack_stack_set_config", name, value);
    return 2;
  }
  r->cfg = c;
  return 0;
}

/* `tc qdisc add|replace|change dev DEV root QDISC` / `tc qdisc del dev DEV root`: the one
 * thing a qdisc changes for TCP is pacing. Linux's CUBIC and Reno pace their segments only
 * under the fq qdisc (fq paces what the socket asks for); without it (pfifo_fast, fq_codel,
 * the namespace's default) segments leave at once. So `fq` without parameters is
 * cfg.tcp_pacing on, the other plain qdiscs and `del` are off; anything else → UNSUPPORTED.
 * Before the stack exists it configures it; on the timeline it reaches the running stack. */
static int cmd_tc(drill_run_t *r, const argv_t *a, int phase) {
  const char *const *t = (const char *const *)a->tok;
  bool add = a->n >= 6 && strcmp(t[1], "qdisc") == 0 &&
             (strcmp(t[2], "add") == 0 || strcmp(t[2], "replace") == 0 || strcmp(t[2], "change") == 0) &&
             strcmp(t[3], "dev") == 0 && strcmp(t[5], "root") == 0 && a->n == 7;
  bool del = a->n == 6 && strcmp(t[1], "qdisc") == 0 && strcmp(t[2], "del") == 0 && strcmp(t[3], "dev") == 0 &&
             strcmp(t[5], "root") == 0;
  bool pacing;
  if (add && strcmp(t[6], "fq") == 0) {
    pacing = true;
  } else if ((add && (strcmp(t[6], "pfifo_fast") == 0 || strcmp(t[6], "fq_codel") == 0 ||
                      strcmp(t[6], "pfifo") == 0)) || del) {
    pacing = false;
  } else {
    drill_unsupported(r, "tc: only `tc qdisc add|replace|change dev DEV root fq|fq_codel|pfifo_fast|pfifo` and "
                         "`tc qdisc del dev DEV root` are emulated (a qdisc changes pacing only)");
    return 2;
  }
  if (phase == 2) return 0;
  if (phase == 0) {
    r->cfg.tcp_pacing = pacing;
    return 0;
  }
  synack_config_t c = *synack_stack_config(r->st);
  c.tcp_pacing = pacing;
  if (synack_stack_set_config(r->st, &c) != 0) {
    drill_unsupported(r, "tc: pacing %s refused by synack_stack_set_config", pacing ? "on" : "off");
    return 2;
  }
  r->cfg = c;
  return 0;
}

static int cmd_sysctl(drill_run_t *r, const argv_t *a, int phase, bool piped) {
  for (int k = 1; k < a->n; k++) {
    const char *t = a->tok[k];
    if (t[0] == '-') {
      if (strcmp(t, "-w") != 0 && strcmp(t, "-q") != 0 && strcmp(t, "-qw") != 0 && strcmp(t, "-wq") != 0) {
        drill_unsupported(r, "sysctl %s not supported", t);
        return 2;
      }
      continue;
    }
    if (!strchr(t, '=')) {
      /* reading a value changes nothing; but its output is not produced, so a pipeline that
       * would look at it cannot be answered */
      if (piped) {
        drill_unsupported(r, "reading sysctl %s into a pipeline is not supported", t);
        return 2;
      }
      continue;
    }
    if (sysctl_set(r, t, phase) != 0) return 2;
  }
  return 0;
}

/* Linux's selftests helper `set_sysctls.py /proc/sys/net/ipv4/tcp_X=V ...`: each argument is
 * the sysctl net.ipv4.tcp_X=V, mapped exactly as `sysctl -w` maps it. */
static int cmd_set_sysctls(drill_run_t *r, const argv_t *a, int phase) {
  for (int k = 1; k < a->n; k++) {
    const char *t = a->tok[k];
    const char *eq = strchr(t, '=');
    if (strncmp(t, "/proc/sys/", 10) != 0 || !eq) {
      drill_unsupported(r, "set_sysctls.py argument '%s' is not /proc/sys/NAME=VALUE", t);
      return 2;
    }
    if (sysctl_set(r, t + 10, phase) != 0) return 2;
  }
  return 0;
}

/* The position after the character at i, or after the whole quoted string or $(( )) that
 * starts there: separators inside them do not split commands. */
static size_t shell_skip(const char *s, size_t len, size_t i) {
  if (s[i] == '\'' || s[i] == '"') {
    size_t k = i + 1;
    while (k < len && s[k] != s[i]) k++;
    return k < len ? k + 1 : len;
  }
  size_t n = drill_arith_len(s + i, len - i);
  return n ? i + n : i + 1;
}

/* Runs one pipeline; returns its exit status (2 = unsupported / already reported). */
static int run_pipeline(drill_run_t *r, const char *s, size_t len, int phase) {
  lines_t io = { 0, { 0 } };
  int status = 0;
  size_t i = 0;
  int stage = 0;
  while (i <= len && !r->done) {
    size_t j = i;
    while (j < len && s[j] != '|') j = shell_skip(s, len, j);
    argv_t a;
    char why[160] = "";
    if (!split_words(s + i, j - i, &a, why, sizeof why)) {
      drill_unsupported(r, "cannot run the command `%.*s`: %s", (int)len, s, why);
      argv_free(&a);
      break;
    }
    if (a.n == 0) {
      argv_free(&a);
      if (stage > 0 || j < len) drill_unsupported(r, "empty pipeline stage in `%.*s`", (int)len, s);
      break;
    }
    const char *cmd = a.tok[0];
    const char *slash = strrchr(cmd, '/');
    const char *base = slash ? slash + 1 : cmd;
    int nargs = a.n - 1; /* the command's arguments */
    if ((strcmp(base, "bash") == 0 || strcmp(base, "sh") == 0) && a.n >= 2 && a.tok[1][0] != '-') {
      /* `sh SCRIPT`: judge the script by its name */
      nargs = a.n - 2;
      cmd = a.tok[1];
      slash = strrchr(cmd, '/');
      base = slash ? slash + 1 : cmd;
    }
    for (int k = 0; k < a.n; k++)
      if (strchr(a.tok[k], '>') || strchr(a.tok[k], '<')) {
        drill_unsupported(r, "redirections are not supported: `%.*s`", (int)len, s);
        argv_free(&a);
        lines_free(&io);
        return 2;
      }
    bool needs_stack = strcmp(base, "sockstat") == 0 || strcmp(base, "tcpdrop") == 0;
    if (needs_stack && r->o->kernel) {
      drill_unsupported(r, "`%s` (a FreeBSD tool) is not answered against the Linux kernel", base);
      argv_free(&a);
      lines_free(&io);
      return 2;
    }
    if (needs_stack && !r->live) {
      if (phase == 2) {
        status = 0; /* after the run: nothing left to look at */
      } else {
        drill_unsupported(r, "%s before the first event", base);
      }
      argv_free(&a);
      lines_free(&io);
      return 2;
    }
    bool piped = j < len;
    if (strcmp(base, "sysctl") == 0 && stage == 0) {
      status = cmd_sysctl(r, &a, phase, piped);
    } else if (strcmp(base, "set_sysctls.py") == 0 && stage == 0) {
      status = cmd_set_sysctls(r, &a, phase);
    } else if (strcmp(base, "sockstat") == 0 && stage == 0) {
      status = cmd_sockstat(r, &a, &io) ? 0 : 2;
    } else if (strcmp(base, "tcpdrop") == 0 && stage == 0) {
      status = cmd_tcpdrop(r, &a);
    } else if (strcmp(base, "grep") == 0 && stage > 0) {
      status = cmd_grep(r, &a, &io);
    } else if (strcmp(base, "wc") == 0 && stage > 0 && a.n == 2 && strcmp(a.tok[1], "-l") == 0) {
      char b[32];
      snprintf(b, sizeof b, "%d", io.n);
      lines_free(&io);
      lines_add(&io, b);
      status = 0;
    } else if (r->o->kernel && drill_kernel_command(base) && stage == 0 && j >= len) {
      status = drill_kernel_exec(r, a.tok, a.n);
    } else if (strcmp(base, "tc") == 0 && stage == 0 && j >= len) {
      status = cmd_tc(r, &a, phase);
    } else if ((strcmp(base, "true") == 0 || strcmp(base, ":") == 0) && stage == 0) {
      status = 0;
    } else if (strcmp(base, "echo") == 0 && stage == 0) {
      /* its words, as one line, for a later stage */
      char line[512];
      size_t k2 = 0;
      line[0] = '\0';
      for (int w = 1; w < a.n && a.tok[w][0] == '-' && strspn(a.tok[w] + 1, "neE") == strlen(a.tok[w] + 1); w++) {
        drill_unsupported(r, "echo %s not supported", a.tok[w]);
        break;
      }
      for (int w = 1; w < a.n && !r->done; w++) {
        int m = snprintf(line + k2, sizeof line - k2, "%s%s", w > 1 ? " " : "", a.tok[w]);
        if (m > 0) k2 = k2 + (size_t)m >= sizeof line ? sizeof line - 1 : k2 + (size_t)m;
      }
      lines_add(&io, line);
      status = r->done ? 2 : 0;
    } else if (strstr(base, "defaults") && stage == 0) {
      if (nargs > 0) {
        drill_unsupported(r, "`%s` with arguments not supported", cmd);
        status = 2;
      } else if (!r->linux_profile) {
        drill_unsupported(r, "`%s` sets Linux defaults: run the script with --profile=linux", cmd);
        status = 2;
      } else {
        status = 0; /* the linux profile already holds the kernel's defaults */
      }
    } else {
      drill_unsupported(r, "shell command `%s` not supported", cmd);
      status = 2;
    }
    argv_free(&a);
    stage++;
    i = j + 1;
    if (j >= len) break;
  }
  if (r->o->verbose && !r->done)
    for (int k = 0; k < io.n; k++) printf("  %10s   | %s\n", "", io.line[k]);
  lines_free(&io);
  return status;
}

void drill_shell(drill_run_t *r, const char *cmd, int phase) {
  /* commands separated by ';', '&&' or newlines */
  const char *s = cmd;
  while (*s && !r->done) {
    const char *e = s;
    while (*e && *e != ';' && *e != '\n' && !(e[0] == '&' && e[1] == '&') && !(e[0] == '|' && e[1] == '|'))
      e = cmd + shell_skip(cmd, strlen(cmd), (size_t)(e - cmd));
    bool and_next = e[0] == '&';
    bool or_next = e[0] == '|';
    size_t len = (size_t)(e - s);
    const char *t = s;
    while (len && isspace((unsigned char)*t)) {
      t++;
      len--;
    }
    while (len && isspace((unsigned char)t[len - 1])) len--;
    if (or_next) {
      drill_unsupported(r, "'||' in shell commands not supported");
      return;
    }
    if (len) {
      int st = run_pipeline(r, t, len, phase);
      if (r->done) return;
      if (st != 0) {
        drill_fail(r, "shell command `%.*s` failed (exit status %d)", (int)len, t, st);
        return;
      }
    }
    (void)and_next;
    s = *e ? e + (e[0] == '&' ? 2 : 1) : e;
  }
}

/* ---------------------------------------------------------------- %{ }% */

bool drill_tcpi_field(const synack_tcp_info_t *ti, const char *name, int64_t *v) {
  static const int linux_state[SYNACK_TCP_STATE_COUNT] = {
    [SYNACK_TCP_CLOSED] = 7,     [SYNACK_TCP_LISTEN] = 10,    [SYNACK_TCP_SYN_SENT] = 2,
    [SYNACK_TCP_SYN_RECEIVED] = 3, [SYNACK_TCP_ESTABLISHED] = 1, [SYNACK_TCP_FIN_WAIT_1] = 4,
    [SYNACK_TCP_FIN_WAIT_2] = 5, [SYNACK_TCP_CLOSE_WAIT] = 8, [SYNACK_TCP_CLOSING] = 11,
    [SYNACK_TCP_LAST_ACK] = 9,   [SYNACK_TCP_TIME_WAIT] = 6,
  };
#define FIELD(n, expr)           \
  if (strcmp(name, n) == 0) {    \
    *v = (int64_t)(expr);        \
    return true;                 \
  }
  FIELD("tcpi_state", (unsigned)ti->state < SYNACK_TCP_STATE_COUNT ? linux_state[ti->state] : -1)
  FIELD("tcpi_options", ti->options)
  FIELD("tcpi_snd_wscale", ti->snd_wscale)
  FIELD("tcpi_rcv_wscale", ti->rcv_wscale)
  FIELD("tcpi_retransmits", ti->retransmits)
  FIELD("tcpi_backoff", ti->backoff)
  FIELD("tcpi_rto", ti->rto_us)
  FIELD("tcpi_ato", ti->ato_us)
  FIELD("tcpi_snd_mss", ti->snd_mss)
  FIELD("tcpi_rcv_mss", ti->rcv_mss)
  FIELD("tcpi_unacked", ti->unacked)
  FIELD("tcpi_sacked", ti->sacked)
  FIELD("tcpi_lost", ti->lost)
  FIELD("tcpi_retrans", ti->retrans)
  FIELD("tcpi_rtt", ti->rtt_us)
  FIELD("tcpi_rttvar", ti->rttvar_us)
  FIELD("tcpi_snd_ssthresh", ti->snd_ssthresh)
  FIELD("tcpi_snd_cwnd", ti->snd_cwnd)
  FIELD("tcpi_total_retrans", ti->total_retrans)
  FIELD("tcpi_bytes_acked", ti->bytes_acked)
  FIELD("tcpi_bytes_received", ti->bytes_received)
  FIELD("tcpi_segs_out", ti->segs_out)
  FIELD("tcpi_segs_in", ti->segs_in)
  FIELD("tcpi_fastopen_client_fail", ti->fastopen_client_fail)
  FIELD("tcpi_ca_state", ti->ca_state)
  FIELD("tcpi_probes", ti->probes)
  FIELD("tcpi_last_data_sent", ti->last_data_sent_ms)
  FIELD("tcpi_last_data_recv", ti->last_data_recv_ms)
  FIELD("tcpi_last_ack_recv", ti->last_ack_recv_ms)
  FIELD("tcpi_advmss", ti->advmss)
  FIELD("tcpi_notsent_bytes", ti->notsent_bytes)
  FIELD("tcpi_min_rtt", ti->min_rtt_us)
  FIELD("tcpi_data_segs_in", ti->data_segs_in)
  FIELD("tcpi_data_segs_out", ti->data_segs_out)
  FIELD("tcpi_bytes_sent", ti->bytes_sent + ti->bytes_retrans) /* Linux counts retransmissions too */
  FIELD("tcpi_bytes_retrans", ti->bytes_retrans)
  FIELD("tcpi_dsack_dups", ti->dsacks_in)
  FIELD("tcpi_reord_seen", ti->reord_seen)
  FIELD("tcpi_rcv_ooopack", ti->rcv_ooopack)
  FIELD("tcpi_snd_wnd", ti->snd_wnd)
  FIELD("tcpi_rcv_wnd", ti->rcv_wnd)
  FIELD("tcpi_pacing_rate", ti->pacing_rate)
  FIELD("tcpi_max_pacing_rate", ti->max_pacing_rate)
  FIELD("tcpi_busy_time", ti->busy_time_us)
  FIELD("tcpi_rwnd_limited", ti->rwnd_limited_us)
  FIELD("tcpi_sndbuf_limited", ti->sndbuf_limited_us)
  FIELD("tcpi_delivered", ti->delivered)
  FIELD("tcpi_delivered_ce", ti->delivered_ce)
  FIELD("tcpi_total_rto", ti->rtos)
  FIELD("tcpi_total_rto_recoveries", ti->total_rto_recoveries)
  FIELD("tcpi_total_rto_time", ti->total_rto_time_ms)
  FIELD("tcpi_rcv_space", ti->rcv_space)
  FIELD("tcpi_rcv_ssthresh", ti->rcv_ssthresh)
#undef FIELD
  return false;
}

void drill_code(drill_run_t *r, const char *code) {
  if (!r->live) {
    drill_unsupported(r, "%%{ }%% block before the stack exists");
    return;
  }
  drill_fd_t *f = r->last_conn_label >= 0 ? drill_fd(r, r->last_conn_label) : NULL;
  if (!f) {
    for (int k = r->nfds - 1; k >= 0 && !f; k--)
      if (!r->fds[k].listener) f = &r->fds[k];
  }
  synack_tcp_info_t ti;
  if (!f || r->tg->tcp_info(r, f->sock, &ti) != 0) {
    drill_unsupported(r, "no open connection socket for TCP_INFO");
    return;
  }
  drill_py_block(r, code, &ti);
}
