/* `synack serve`: a server on a TAP — echo, discard, or a small HTTP/1.1 file server.
 * SIGUSR1 prints the connection table; SIGINT/SIGTERM stop (with --table it is printed then).
 *
 * Idle timeout (--idle-timeout, default 60 s; the slowloris defence): a connection that made no
 * progress for that long is closed. Progress is a complete request read (HTTP; so a request
 * head trickled in byte by byte does not keep a connection: nginx's client_header_timeout),
 * any bytes read (echo, discard), or bytes of ours acknowledged by the peer (a slow but live
 * reader keeps its download). How it is closed depends on what is pending:
 *   - nothing (an idle keep-alive connection, all we sent acknowledged): FIN, a graceful close
 *     as nginx's keepalive_timeout; the peer reads EOF;
 *   - a partial request, or a response the peer does not take (zero window, vanished peer):
 *     RST (abort), which frees the connection's buffers at once instead of leaving an orphan
 *     that would keep probing a zero window (docs/security.md).
 * Both are counted (idle-closed, idle-reset in the SIGUSR1 dump). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_filecache.h"
#include "app_http.h"
#include "app_net.h"
#include "cli.h"

#define STAGE_CAP 65536
_Static_assert(APP_FILECACHE_MAX_FILE + 512 <= STAGE_CAP, "a cached file and its head fit the staging buffer");

typedef enum { SRV_ECHO, SRV_DISCARD, SRV_HTTP } srv_mode_t;

typedef struct {
  int sock;
  synack_endpoint_t peer;
  synack_time_t start;
  uint64_t bytes_in, bytes_out;
  /* HTTP: the request head being read (HTTP_MAX_REQUEST bytes, allocated while a request is
   * being read) */
  char *req;
  size_t req_len;
  /* the response (or echo) bytes staged for synack_send (STAGE_CAP bytes, allocated while a
   * response or echo is in progress). Both buffers are given back when empty (conn_trim): an idle
   * connection holds ~150 B here, not 72 KiB (100,000 idle connections, issue 14 §4). */
  uint8_t *stage;
  size_t st_pos, st_len;
  int fd;              /* file being sent, or -1 */
  uint64_t file_left;
  bool responding;     /* a response is in progress */
  bool close_after;    /* close when the response is queued */
  bool peer_eof;
  /* Idle timeout: when the connection last made progress, and the counts it is judged by. */
  synack_time_t progress_at;
  uint64_t nreq, seen_req, seen_in, seen_acked;
} conn_t;

typedef struct {
  app_net_t net;
  srv_mode_t mode;
  const char *root;
  app_filecache_t *files; /* --http: small files in memory (app_filecache.h); this stack's own */
  uint16_t port;
  bool rst;            /* abortive close (linger 0) after the first data */
  bool table_at_exit;
  synack_tcp_md5sig_t md5;    /* --md5-key PEER=KEY (RFC 2385): keylen 0 = none */
  synack_tcp_ao_key_t ao;     /* --ao-key PEER=KEY (RFC 5925): keylen 0 = none */
  uint32_t backlog;    /* --backlog; 0 until the stack exists = its tcp_max_backlog */
  int listeners[2];
  conn_t **conns;      /* by socket handle */
  size_t nconns_cap;
  uint64_t accepted, closed_conns, requests;
  synack_time_t idle_timeout; /* --idle-timeout (µs); 0 = none */
  synack_time_t next_sweep;
  uint64_t idle_closed, idle_reset;
  sig_atomic_t usr1_seen;  /* SIGUSR1s already answered */
  uint8_t scratch[65536];
} serve_t;

static conn_t *conn_get(serve_t *s, int sock) {
  return sock >= 0 && (size_t)sock < s->nconns_cap ? s->conns[sock] : NULL;
}

/* Allocates *buf (size bytes) unless it is there. False when memory is short. */
static bool conn_buf(void *buf, size_t size) {
  void **p = buf;
  if (!*p) *p = malloc(size);
  return *p != NULL;
}

/* Gives back the buffers that hold nothing (see conn_t). */
static void conn_trim(conn_t *c) {
  if (c->stage && c->st_pos == c->st_len && !c->file_left) {
    free(c->stage);
    c->stage = NULL;
    c->st_pos = c->st_len = 0;
  }
  if (c->req && !c->req_len) {
    free(c->req);
    c->req = NULL;
  }
}

static void conn_free(serve_t *s, conn_t *c) {
  if (c->fd >= 0) close(c->fd);
  free(c->req);
  free(c->stage);
  s->conns[c->sock] = NULL;
  s->closed_conns++;
  free(c);
}

static void conn_close(serve_t *s, conn_t *c, synack_time_t now) {
  if (c->bytes_out >= (1u << 20) && !s->net.o.quiet) {
    char p[64], what[96];
    synack_ip_format(&c->peer.ip, p, sizeof p);
    snprintf(what, sizeof what, "serve: %s.%u", p, c->peer.port);
    app_summary(&s->net, what, c->bytes_out, c->start, c->sock);
  }
  synack_close(s->net.st, now, c->sock);
  conn_free(s, c);
}

static void dump_table(serve_t *s, FILE *f) {
  size_t n = synack_conn_table(s->net.st, NULL, 0);
  synack_conn_entry_t *e = calloc(n ? n : 1, sizeof *e);
  if (!e) return;
  n = synack_conn_table(s->net.st, e, n);
  size_t listen = 0, tw = 0, other = 0, halfopen = 0;
  for (size_t i = 0; i < n; i++) {
    if (e[i].kind == SYNACK_CONN_HALFOPEN) halfopen++;
    if (e[i].state == SYNACK_TCP_LISTEN) listen++;
    else if (e[i].state == SYNACK_TCP_TIME_WAIT) tw++;
    else other++;
  }
  fprintf(f, "serve-stats: accepted %llu requests %llu idle-closed %llu idle-reset %llu\n",
          (unsigned long long)s->accepted, (unsigned long long)s->requests, (unsigned long long)s->idle_closed,
          (unsigned long long)s->idle_reset);
  fprintf(f, "conn-table: %zu entries: listen %zu time-wait %zu other %zu\n", n, listen, tw, other);
  fprintf(f, "conn-half-open: %zu\n", halfopen);
  for (size_t i = 0; i < n; i++) {
    /* The summary line counted them: a table of thousands (a SYN flood, idle connections) is not listed. */
    if ((e[i].state == SYNACK_TCP_TIME_WAIT || e[i].kind == SYNACK_CONN_HALFOPEN) && n > 64) continue;
    if (n > 256) break;
    char l[64], r[64];
    synack_ip_format(&e[i].local.ip, l, sizeof l);
    synack_ip_format(&e[i].remote.ip, r, sizeof r);
    /* expires-at: the entry's next timer on the stack's clock (µs), 0 for none. */
    fprintf(f, "  %-12s %s.%u <> %s.%u in %llu out %llu expires-at %llu\n", synack_tcp_state_name(e[i].state), l,
            e[i].local.port, r, e[i].remote.port, (unsigned long long)e[i].bytes_in,
            (unsigned long long)e[i].bytes_out,
            (unsigned long long)(e[i].expires == SYNACK_TIME_NEVER ? 0 : e[i].expires));
  }
  fflush(f);
  free(e);
}

/* ---------- HTTP ---------- */

static void stage(conn_t *c, const void *p, size_t n) {
  memcpy(c->stage + c->st_len, p, n);
  c->st_len += n;
}

/* False when the response's buffer cannot be allocated. */
static bool http_start_response(serve_t *s, conn_t *c, synack_time_t now) {
  http_req_t req;
  long hl = http_parse_request(c->req, c->req_len, &req);
  if (hl == 0) return true;
  if (!conn_buf(&c->stage, STAGE_CAP)) return false;
  int status;
  uint64_t size = 0;
  const char *ctype = "text/plain";
  if (hl < 0) {
    status = 431;
    req.keep_alive = false;
    req.head = false;
    hl = (long)c->req_len;
  } else {
    status = req.status;
  }
  s->requests++;
  c->nreq++;
  const uint8_t *cached = NULL; /* the whole file, from the cache */
  size_t cached_len = 0;
  if (status == 0 && s->files && app_filecache_get(s->files, req.target, now, &cached, &cached_len, &ctype)) {
    status = 200;
    size = cached_len;
  } else if (status == 0) {
    status = http_open_target(s->root, req.target, &c->fd, &size, &ctype);
  }
  memmove(c->req, c->req + hl, c->req_len - (size_t)hl);
  c->req_len -= (size_t)hl;
  char head[512];
  char body[64];
  size_t body_len = 0;
  if (status != 200) {
    body_len = (size_t)snprintf(body, sizeof body, "%d\n", status);
    size = body_len;
    if (status != 404) req.keep_alive = false;
  }
  size_t n = http_format_head(head, sizeof head, status, size, ctype, req.keep_alive);
  c->st_pos = c->st_len = 0;
  stage(c, head, n);
  if (!req.head) {
    if (cached) stage(c, cached, cached_len); /* APP_FILECACHE_MAX_FILE + a head fit STAGE_CAP */
    else if (status == 200) c->file_left = size;
    else stage(c, body, body_len);
  }
  /* The head and the start of the file leave in one send: no small segment of its own. */
  if (c->file_left && c->fd >= 0) {
    size_t room = STAGE_CAP - c->st_len;
    size_t want = c->file_left < room ? (size_t)c->file_left : room;
    ssize_t r = read(c->fd, c->stage + c->st_len, want);
    if (r > 0) {
      c->st_len += (size_t)r;
      c->file_left -= (uint64_t)r;
    }
  }
  if (req.head && c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
  c->responding = true;
  c->close_after = !req.keep_alive;
  return true;
}

/* ---------- per connection ---------- */

/* Moves staged bytes (and file data) into the socket. True when everything staged is queued. */
static bool push_out(serve_t *s, conn_t *c, synack_time_t now) {
  for (;;) {
    if (c->st_pos == c->st_len && c->file_left && c->fd >= 0) {
      size_t want = c->file_left < STAGE_CAP ? (size_t)c->file_left : STAGE_CAP;
      ssize_t r = read(c->fd, c->stage, want);
      if (r <= 0) { /* the file shrank under us: the response cannot be completed */
        c->file_left = 0;
        c->close_after = true;
        break;
      }
      c->st_pos = 0;
      c->st_len = (size_t)r;
      c->file_left -= (uint64_t)r;
    }
    if (c->st_pos == c->st_len) break;
    /* The last bytes of a response the connection closes after: held (MSG_MORE) until the
     * close that follows at once queues the FIN, so they leave together in one segment (as
     * nginx's tcp_nopush), not as a segment and a bare FIN. */
    unsigned more = c->responding && c->close_after && !c->file_left ? SYNACK_MSG_MORE : 0;
    int64_t r = synack_send(s->net.st, now, c->sock, c->stage + c->st_pos, c->st_len - c->st_pos, more);
    if (r <= 0) return false;
    c->st_pos += (size_t)r;
    c->bytes_out += (uint64_t)r;
  }
  c->st_pos = c->st_len = 0;
  if (c->fd >= 0 && !c->file_left) {
    close(c->fd);
    c->fd = -1;
  }
  return true;
}

static void service_conn(serve_t *s, conn_t *c, uint32_t events, int error) {
  synack_time_t now = app_now();
  synack_stack_t *st = s->net.st;
  if (events & SYNACK_EV_ERROR) {
    if (!s->net.o.quiet) {
      char p[64], eb[96];
      synack_ip_format(&c->peer.ip, p, sizeof p);
      fprintf(stderr, "serve: %s.%u: %s\n", p, c->peer.port, app_err(error, eb, sizeof eb));
    }
    conn_close(s, c, now);
    return;
  }
  for (int rounds = 0; rounds < 64; rounds++) {
    if (!push_out(s, c, now)) return; /* wait for WRITABLE */
    if (c->responding) {
      c->responding = false;
      if (c->close_after) {
        conn_close(s, c, now);
        return;
      }
    }
    if (s->mode == SRV_HTTP && c->req_len) {
      if (!http_start_response(s, c, now)) goto oom;
      if (c->responding) continue;
    }
    /* Read more. */
    uint8_t *dst;
    size_t cap;
    if (s->mode == SRV_HTTP) {
      if (!conn_buf(&c->req, HTTP_MAX_REQUEST)) goto oom;
      dst = (uint8_t *)c->req + c->req_len;
      cap = HTTP_MAX_REQUEST - c->req_len;
    } else if (s->mode == SRV_ECHO) {
      if (!conn_buf(&c->stage, STAGE_CAP)) goto oom;
      dst = c->stage;
      cap = STAGE_CAP;
    } else {
      dst = s->scratch;
      cap = sizeof s->scratch;
    }
    if (cap == 0) { /* a full head buffer without a complete request */
      if (!http_start_response(s, c, now)) goto oom;
      continue;
    }
    int64_t r = synack_recv(st, now, c->sock, dst, cap, 0);
    if (r == -SYNACK_EAGAIN) return;
    if (r < 0) {
      conn_close(s, c, now);
      return;
    }
    if (r == 0) {
      /* The peer closed its side: finish what is in progress, then close ours. */
      c->peer_eof = true;
      conn_close(s, c, now);
      return;
    }
    c->bytes_in += (uint64_t)r;
    if (s->rst) {
      /* RFC 9293 §3.10.4 / RFC 1122 4.2.2.13: linger 0 turns close into an abort (RST). */
      synack_setsockopt(st, c->sock, SYNACK_SO_LINGER, 0);
      synack_close(st, now, c->sock);
      conn_free(s, c);
      return;
    }
    if (s->mode == SRV_HTTP) c->req_len += (size_t)r;
    else if (s->mode == SRV_ECHO) {
      c->st_pos = 0;
      c->st_len = (size_t)r;
    }
  }
  return;
oom: /* no memory for its buffer: reset it rather than leave it waiting */
  synack_abort(s->net.st, now, c->sock);
  conn_free(s, c);
}

static void service(serve_t *s, conn_t *c, uint32_t events, int error) {
  int sock = c->sock;
  service_conn(s, c, events, error);
  c = conn_get(s, sock); /* NULL when service_conn closed it */
  if (c) conn_trim(c);
}

/* The idle timeout (see the top of the file); looks at every connection once per sweep. */
static void idle_sweep(serve_t *s, synack_time_t now) {
  if (!s->idle_timeout || now < s->next_sweep) return;
  synack_time_t step = s->idle_timeout / 8;
  s->next_sweep = now + (step < SYNACK_MS(100) ? SYNACK_MS(100) : step > SYNACK_SEC(1) ? SYNACK_SEC(1) : step);
  for (size_t i = 0; i < s->nconns_cap; i++) {
    conn_t *c = s->conns[i];
    synack_tcp_info_t ti;
    if (!c || synack_tcp_info(s->net.st, c->sock, &ti) < 0) continue;
    bool progress = ti.bytes_acked != c->seen_acked || c->nreq != c->seen_req ||
                    (s->mode != SRV_HTTP && ti.bytes_received != c->seen_in);
    c->seen_acked = ti.bytes_acked;
    c->seen_req = c->nreq;
    c->seen_in = ti.bytes_received;
    if (progress) c->progress_at = now;
    if (now - c->progress_at < s->idle_timeout) continue;
    int outq = 0; /* our bytes not yet acknowledged */
    synack_getsockopt(s->net.st, c->sock, SYNACK_SO_OUTQ, &outq);
    bool pending = c->req_len || c->responding || c->st_pos != c->st_len || c->file_left || outq > 0;
    if (pending) {
      synack_abort(s->net.st, now, c->sock); /* RST: nothing is left behind to probe */
      conn_free(s, c);
      s->idle_reset++;
    } else {
      conn_close(s, c, now); /* FIN: the peer reads EOF */
      s->idle_closed++;
    }
  }
}

static void accept_all(serve_t *s, int lsock) {
  for (;;) {
    synack_endpoint_t peer;
    int c = synack_accept(s->net.st, lsock, &peer);
    if (c < 0) return;
    if ((size_t)c >= s->nconns_cap) {
      size_t ncap = s->nconns_cap ? s->nconns_cap * 2 : 256;
      while (ncap <= (size_t)c) ncap *= 2;
      conn_t **n = realloc(s->conns, ncap * sizeof *n);
      if (!n) {
        synack_abort(s->net.st, app_now(), c);
        continue;
      }
      memset(n + s->nconns_cap, 0, (ncap - s->nconns_cap) * sizeof *n);
      s->conns = n;
      s->nconns_cap = ncap;
    }
    conn_t *cn = calloc(1, sizeof *cn);
    if (!cn) {
      synack_abort(s->net.st, app_now(), c);
      continue;
    }
    cn->sock = c;
    cn->peer = peer;
    cn->fd = -1;
    cn->start = app_now();
    cn->progress_at = cn->start;
    s->conns[c] = cn;
    s->accepted++;
    /* Responses are queued whole, so Nagle would only hold back their last partial segment until
     * the client's (delayed) ACK. */
    if (s->mode == SRV_HTTP) synack_setsockopt(s->net.st, c, SYNACK_TCP_NODELAY, 1);
    service(s, cn, SYNACK_EV_READABLE, 0);
  }
}

static int listen_on(serve_t *s, int family) {
  synack_stack_t *st = s->net.st;
  int l = synack_socket(st, family);
  if (l < 0) return l;
  synack_setsockopt(st, l, SYNACK_SO_REUSEADDR, 1);
  /* HTTP: requests are small (HTTP_MAX_REQUEST). With the default 256 KiB buffer the window
   * offered in the SYN-ACK (65,535, unscaled) is far below what the buffer allows, and the read
   * of the first request opened it with a bare window update before the response: one frame more
   * per connection. A buffer the SYN-ACK's window covers has nothing to open. */
  if (s->mode == SRV_HTTP) synack_setsockopt(st, l, SYNACK_SO_RCVBUF, 32768);
  /* One listener per family on the same port: the IPv6 one must not also claim IPv4 (as a
   * server with two sockets sets IPV6_V6ONLY on Linux; without it the bind is EADDRINUSE). */
  if (family == SYNACK_AF_INET6) synack_setsockopt(st, l, SYNACK_IPV6_V6ONLY, 1);
  /* TCP MD5 signatures with the peer of --md5-key, on the listener of its family; connections
   * accepted from it inherit the key. */
  if (s->md5.keylen && s->md5.addr.family == family) {
    int r = synack_setsockopt_md5sig(st, l, &s->md5);
    if (r < 0) return r;
  }
  /* TCP-AO with the peer of --ao-key likewise (one key, KeyIDs 100 both ways). */
  if (s->ao.keylen && s->ao.addr.family == family) {
    int r = synack_setsockopt_tcp_ao_add_key(st, l, &s->ao);
    if (r < 0) return r;
  }
  synack_endpoint_t ep;
  memset(&ep, 0, sizeof ep);
  ep.ip.family = (uint8_t)family;
  ep.port = s->port;
  int r = synack_bind(st, l, &ep);
  if (r == 0) r = synack_listen(st, l, (int)s->backlog);
  return r < 0 ? r : l;
}

static void usage(void) {
  fprintf(stderr, "usage: synack serve --tap NAME --addr A/P [--addr6 A/P] [options] PORT (--echo | --discard | --http DIR)\n"
                  "       synack serve --driver xdp --dev NAME [--queues N] [--xdp-mode skb|native] --addr A/P ...\n"
                  "  --rst     abort each connection (linger 0 → RST) once it has sent data\n"
                  "  --table   print the connection table at exit (SIGUSR1 prints it any time, with the counters)\n"
                  "  --backlog N  accept-queue length (default: the stack's tcp_max_backlog, at most --max-conns)\n"
                  "  --idle-timeout S  close connections without progress for S seconds (default 60, 0 = never):\n"
                  "            FIN when nothing is pending, RST with a partial request or an unacknowledged response\n"
                  "  --md5-key PEER=KEY  TCP MD5 signatures (RFC 2385, Linux's TCP_MD5SIG) with that peer address:\n"
                  "            its connections must sign, everything sent to it is signed (key up to 80 bytes)\n"
                  "  --ao-key PEER=KEY  TCP-AO (RFC 5925, Linux's TCP_AO_ADD_KEY) with that peer address: SendID and\n"
                  "            RecvID 100, HMAC-SHA-1-96 (--ao-cmac: AES-128-CMAC-96), key up to 80 bytes\n");
  app_opts_usage(stderr);
}

/* The stack on its link, the limits printed, the listeners open. 0, or 1 after a message. */
static int serve_start(serve_t *s) {
  s->net.o.server = true;
  s->net.o.syn_backlog = s->backlog;
  s->net.o.request_response = s->mode == SRV_HTTP;
  if (app_net_start(&s->net, "serve") < 0) return 1;
  if (s->mode == SRV_HTTP && !(s->files = app_filecache_new(s->root))) return 1;
  const synack_config_t *cfg = synack_stack_config(s->net.st);
  if (!s->backlog) s->backlog = cfg->tcp_max_backlog;
  if (s->backlog > cfg->max_sockets) s->backlog = cfg->max_sockets;
  /* Printed even with --quiet: what the server will hold before it refuses (counted). With
   * several AF_XDP queues every stack has the same limits, printed once. */
  if (s->net.queue == 0)
    fprintf(stderr,
            "synack serve: limits: max-conns %u%s, backlog %u, syn-backlog %u%s, max-orphans %u, time-wait %u, "
            "idle-timeout %.1f s, tcp-mem %.0f/%.0f/%.0f MiB\n",
            cfg->max_sockets, s->net.o.max_conns ? "" : " (sized from memory)", s->backlog, cfg->tcp_syn_backlog,
            cfg->tcp_syncookies ? " then SYN cookies" : "", cfg->tcp_max_orphans, cfg->max_timewait,
            (double)s->idle_timeout / 1e6,
            (double)cfg->tcp_mem_low / 1048576.0, (double)cfg->tcp_mem_pressure / 1048576.0,
            (double)cfg->tcp_mem_high / 1048576.0);
  if (s->net.loop) {
    if (s->net.tap_queue >= 0) fprintf(stderr, "synack serve: tap queue %d frames\n", s->net.tap_queue);
    else fprintf(stderr, "synack serve: tap queue: cannot read or raise it (%s)\n", strerror(-s->net.tap_queue));
  }
  if (s->net.nqueues > 1)
    fprintf(stderr, "synack serve: queue %u: stack of its own, max-conns %u, ephemeral ports %u-%u\n", s->net.queue,
            cfg->max_sockets, cfg->tcp_port_lo, cfg->tcp_port_hi);

  s->listeners[0] = s->listeners[1] = -1;
  if (s->net.o.addr4.family) s->listeners[0] = listen_on(s, SYNACK_AF_INET);
  s->listeners[1] = listen_on(s, SYNACK_AF_INET6);
  if (s->listeners[0] < -1 || s->listeners[1] < 0) {
    fprintf(stderr, "synack serve: cannot listen on port %u\n", s->port);
    return 1;
  }
  return 0;
}

static void serve_loop(serve_t *s) {
  while (!app_stop) {
    if (app_net_run(&s->net, SYNACK_MS(200)) < 0) break;
    synack_event_t ev;
    while (synack_stack_next_event(s->net.st, &ev)) {
      if (ev.sock < 0) continue;
      if (ev.sock == s->listeners[0] || ev.sock == s->listeners[1]) {
        accept_all(s, ev.sock);
        continue;
      }
      conn_t *c = conn_get(s, ev.sock);
      if (c) service(s, c, ev.events, ev.error);
    }
    idle_sweep(s, app_now());
    if (app_usr1 != s->usr1_seen) {
      s->usr1_seen = app_usr1;
      flockfile(stdout); /* one queue's dump at a time (stdio's lock is recursive) */
      dump_table(s, stdout);
      if (s->files) {
        const app_filecache_stats_t *fs = app_filecache_stats(s->files);
        printf("file-cache: hits %llu checks %llu loads %llu\n", (unsigned long long)fs->hits,
               (unsigned long long)fs->checks, (unsigned long long)fs->loads);
      }
      app_print_stats(&s->net, stdout);
      printf("end-of-stats\n");
      fflush(stdout);
      funlockfile(stdout);
    }
  }
}

/* Frees the connections and the stack; the summary when asked. */
static void serve_end(serve_t *s) {
  if (s->net.st) {
    if (s->table_at_exit) dump_table(s, stdout);
    if (!s->net.o.quiet)
    {
      char who[32] = "";
      if (s->net.nqueues > 1) snprintf(who, sizeof who, "queue %u: ", s->net.queue);
      fprintf(stderr, "synack serve: %s%llu connections accepted, %llu requests\n", who,
              (unsigned long long)s->accepted, (unsigned long long)s->requests);
    }
  }
  for (size_t i = 0; i < s->nconns_cap; i++)
    if (s->conns[i]) conn_free(s, s->conns[i]);
  free(s->conns);
  s->conns = NULL;
  app_filecache_free(s->files);
  s->files = NULL;
  app_net_finish(&s->net);
}

static void say_listening(const serve_t *s) {
  /* Printed even with --quiet: scripts wait for this line. */
  fprintf(stderr, "synack serve: listening on port %u (%s)\n", s->port,
          s->mode == SRV_HTTP ? "http" : s->mode == SRV_ECHO ? "echo" : "discard");
}

/* TAP, or AF_XDP with one queue: one stack in this thread. */
static int serve_one(serve_t *s) {
  if (serve_start(s) != 0) {
    app_filecache_free(s->files);
    app_net_finish(&s->net);
    return 1;
  }
  say_listening(s);
  serve_loop(s);
  serve_end(s);
  return 0;
}

/* Share-nothing scale-out on AF_XDP (docs/afxdp.md): one stack per device queue, each in a
 * thread of its own pinned to a core, with its own socket table, timers, buffers and port
 * range. What they share was fixed before the threads started: the device's XDP program and
 * the master secret. Each listens on the port itself (the listeners are sharded: the queue a
 * SYN arrives on decides the stack, as SO_REUSEPORT's hash decides the socket). */
static void *serve_thread(void *arg) {
  serve_t *s = arg;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu > 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)(s->net.queue % (uint32_t)ncpu), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  serve_loop(s);
  return NULL;
}

static int serve_xdp(serve_t *proto) {
  app_opts_t *o = &proto->net.o;
  if (!o->dev) o->dev = o->tap;
  if (!o->dev) {
    fprintf(stderr, "synack serve: --driver xdp needs --dev NAME\n");
    return 2;
  }
  uint32_t n = o->queues ? o->queues : 1;
  int have = app_xdp_queue_count(o->dev);
  if (app_xdp_available() && have > 0 && n > (uint32_t)have) {
    fprintf(stderr, "synack serve: %s has %d receive queue%s, --queues %u asks for more\n", o->dev, have,
            have == 1 ? "" : "s", n);
    return 1;
  }
  if (have > 0 && n < (uint32_t)have)
    fprintf(stderr, "synack serve: note: %s has %d receive queues and synack serves %u: frames on the others go to "
                    "the kernel (set the channels with ethtool -L, or --queues %d)\n", o->dev, have, n, have);
  app_xdp_group_t *g = app_xdp_group_new(&proto->net, "serve");
  if (!g) return 1;
  serve_t **q = calloc(n, sizeof *q);
  pthread_t *th = calloc(n, sizeof *th);
  int rc = 0;
  uint32_t started = 0, running = 0;
  if (!q || !th) rc = 1;
  for (uint32_t i = 0; !rc && i < n; i++) {
    q[i] = malloc(sizeof *q[i]);
    if (!q[i]) {
      rc = 1;
      break;
    }
    memcpy(q[i], proto, sizeof *proto);
    q[i]->net.queue = i;
    q[i]->net.nqueues = n;
    q[i]->net.group = g;
    started = i + 1;
    rc = serve_start(q[i]);
  }
  if (!rc && n > 1) {
    app_net_t **nets = calloc(n, sizeof *nets);
    for (uint32_t i = 0; nets && i < n; i++) nets[i] = &q[i]->net;
    if (!nets || app_xdp_share_neighbours(nets, n) < 0) rc = 1;
    free(nets);
  }
  if (!rc) {
    fprintf(stderr, "synack serve: AF_XDP on %s: %u queue%s, %u thread%s pinned to cores, %s XDP, %s; listeners "
                    "sharded per queue, SYN cookies valid on any queue\n",
            o->dev, n, n == 1 ? "" : "s", n, n == 1 ? "" : "s", o->xdp_native ? "native" : "skb",
            o->zerocopy ? "zero-copy" : "copy");
    say_listening(proto);
    for (; running < n; running++)
      if (pthread_create(&th[running], NULL, serve_thread, q[running]) != 0) {
        app_stop = 1;
        rc = 1;
        break;
      }
    for (uint32_t i = 0; i < running; i++) pthread_join(th[i], NULL);
  }
  for (uint32_t i = 0; i < started; i++) {
    serve_end(q[i]);
    free(q[i]);
  }
  free(q);
  free(th);
  app_xdp_group_free(g);
  return rc;
}

int synack_cmd_serve(int argc, char **argv) {
  serve_t *s = calloc(1, sizeof *s);
  if (!s) return 1;
  app_opts_init(&s->net.o);
  s->idle_timeout = SYNACK_SEC(60);
  int mode = -1;
  long port = -1;
  for (int i = 1; i < argc; i++) {
    int r = app_opts_parse(&s->net.o, argc, argv, &i);
    if (r < 0) goto bad;
    if (r > 0) continue;
    if (strcmp(argv[i], "--echo") == 0) mode = SRV_ECHO;
    else if (strcmp(argv[i], "--discard") == 0) mode = SRV_DISCARD;
    else if (strcmp(argv[i], "--http") == 0 && i + 1 < argc) {
      mode = SRV_HTTP;
      s->root = argv[++i];
    } else if (strcmp(argv[i], "--rst") == 0) s->rst = true;
    else if (strcmp(argv[i], "--table") == 0) s->table_at_exit = true;
    else if (strcmp(argv[i], "--idle-timeout") == 0 && i + 1 < argc) {
      char *end;
      double t = strtod(argv[++i], &end);
      if (*end || !(t >= 0) || t > 86400 * 365) goto bad;
      s->idle_timeout = (synack_time_t)(t * 1e6);
    }
    else if (strcmp(argv[i], "--md5-key") == 0 && i + 1 < argc) {
      const char *arg = argv[++i], *eq = strchr(arg, '=');
      char peer[64];
      if (!eq || (size_t)(eq - arg) >= sizeof peer || strlen(eq + 1) == 0 ||
          strlen(eq + 1) > SYNACK_TCP_MD5SIG_MAXKEYLEN)
        goto bad;
      memcpy(peer, arg, (size_t)(eq - arg));
      peer[eq - arg] = 0;
      if (synack_ip_parse(peer, &s->md5.addr) != 0) goto bad;
      s->md5.keylen = (uint16_t)strlen(eq + 1);
      memcpy(s->md5.key, eq + 1, s->md5.keylen);
    }
    else if (strcmp(argv[i], "--ao-key") == 0 && i + 1 < argc) {
      const char *arg = argv[++i], *eq = strchr(arg, '=');
      char peer[64];
      if (!eq || (size_t)(eq - arg) >= sizeof peer || strlen(eq + 1) == 0 || strlen(eq + 1) > SYNACK_TCP_AO_MAXKEYLEN)
        goto bad;
      memcpy(peer, arg, (size_t)(eq - arg));
      peer[eq - arg] = 0;
      if (synack_ip_parse(peer, &s->ao.addr) != 0) goto bad;
      s->ao.prefixlen = s->ao.addr.family == SYNACK_AF_INET6 ? 128 : 32;
      s->ao.sndid = s->ao.rcvid = 100;
      if (!s->ao.alg) s->ao.alg = SYNACK_TCP_AO_ALG_HMAC_SHA1_96;
      s->ao.keylen = (uint8_t)strlen(eq + 1);
      memcpy(s->ao.key, eq + 1, s->ao.keylen);
    }
    else if (strcmp(argv[i], "--ao-cmac") == 0) s->ao.alg = SYNACK_TCP_AO_ALG_AES_128_CMAC_96;
    else if (strcmp(argv[i], "--backlog") == 0 && i + 1 < argc) {
      char *end;
      long b = strtol(argv[++i], &end, 10);
      if (*end || b < 1 || b > 1 << 20) goto bad;
      s->backlog = (uint32_t)b;
    }
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
      free(s);
      return 0;
    } else if (argv[i][0] != '-' && port < 0) {
      char *end;
      port = strtol(argv[i], &end, 10);
      if (*end || port < 1 || port > 65535) goto bad;
    } else {
      fprintf(stderr, "synack serve: unknown argument '%s'\n", argv[i]);
      goto bad;
    }
  }
  if (mode < 0 || port < 0) goto bad;
  s->mode = (srv_mode_t)mode;
  s->port = (uint16_t)port;
  int rc = s->net.o.xdp ? serve_xdp(s) : serve_one(s);
  free(s);
  return rc;
bad:
  usage();
  free(s);
  return 2;
}
