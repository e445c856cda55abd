/* `synack get URL`: an HTTP/1.1 GET over a synack connection on a TAP, the body to stdout or
 * a file, progress once a second and a summary line (bytes, rate, retransmissions). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_dns.h"
#include "app_http.h"
#include "app_net.h"
#include "cli.h"

static void usage(void) {
  fprintf(stderr, "usage: synack get --tap NAME --addr A/P [--addr6 A/P] [options] URL [-o FILE] [--timeout S]\n"
                  "         [--dns SERVER]\n"
                  "  URL: http://198.18.0.1:8000/file, http://[fd00::1]:8000/file or http://NAME:8000/file\n"
                  "  --dns SERVER  resolve NAME with a DNS server (IPv4 or IPv6 address, port 53) over UDP\n"
                  "                through the stack: A first when --addr is set, then AAAA\n");
  app_opts_usage(stderr);
}

/* Asks `server` for the addresses of `name` of type qtype over a UDP socket of the stack:
 * up to 3 tries, 1 s apart, each with a fresh random id; the socket is connected, so only the
 * server's datagrams are read and its port unreachable ends the wait (ECONNREFUSED). Returns
 * a dns_result_t, or -1 after a socket error or timeout (message printed). */
static int dns_ask(app_net_t *a, const synack_ip_t *server, const char *name, uint16_t qtype, synack_ip_t *out,
                   size_t *n) {
  char eb[96];
  synack_stack_t *st = a->st;
  int s = synack_udp_socket(st, server->family);
  synack_endpoint_t to = { .ip = *server, .port = 53 };
  int rc = s < 0 ? s : synack_udp_connect(st, s, &to);
  if (rc < 0) {
    fprintf(stderr, "synack get: DNS socket: %s\n", app_err(rc, eb, sizeof eb));
    if (s >= 0) synack_udp_close(st, s);
    return -1;
  }
  int result = -1;
  bool failed = false; /* an error was reported: no "no answer" message after it */
  for (int attempt = 0; attempt < 3 && result < 0 && !failed && !app_stop; attempt++) {
    uint16_t id;
    synack_random_os(NULL, &id, sizeof id);
    uint8_t q[512];
    size_t ql = dns_build_query(q, sizeof q, id, name, qtype);
    if (!ql) {
      fprintf(stderr, "synack get: '%s' is not a valid host name\n", name);
      failed = true;
      break;
    }
    int64_t w = synack_udp_sendto(st, app_now(), s, q, ql, 0, NULL);
    if (w < 0 && w != -SYNACK_EAGAIN) {
      fprintf(stderr, "synack get: DNS query: %s\n", app_err((int)w, eb, sizeof eb));
      failed = true;
      break;
    }
    synack_time_t until = app_now() + SYNACK_SEC(1);
    bool stop = false;
    while (!stop && !app_stop && app_now() < until) {
      if (app_net_run(a, SYNACK_MS(50)) < 0) {
        failed = true;
        break;
      }
      synack_event_t ev;
      while (synack_stack_next_event(st, &ev)) {}
      uint8_t r[1500];
      int64_t got;
      while ((got = synack_udp_recvfrom(st, app_now(), s, r, sizeof r, 0, NULL)) != -SYNACK_EAGAIN) {
        if (got < 0) {
          fprintf(stderr, "synack get: DNS server %s\n", app_err((int)got, eb, sizeof eb));
          failed = stop = true;
          break;
        }
        dns_result_t d = dns_parse_response(r, (size_t)got, id, name, qtype, out, 8, n);
        if (d == DNS_NOT_OURS || d == DNS_MALFORMED) continue; /* wait for the real answer */
        result = (int)d;
        stop = true;
        break;
      }
    }
  }
  if (result < 0 && !failed && !app_stop) fprintf(stderr, "synack get: no answer from the DNS server\n");
  synack_udp_close(st, s);
  return result;
}

/* Resolves name to one address: A first when we have IPv4, then AAAA when we have IPv6. */
static int resolve(app_net_t *a, const synack_ip_t *server, const char *name, synack_ip_t *addr) {
  static const uint16_t types[] = { DNS_TYPE_A, DNS_TYPE_AAAA };
  dns_result_t last = DNS_NO_DATA;
  for (size_t i = 0; i < 2; i++) {
    if (types[i] == DNS_TYPE_A && !a->o.addr4.family) continue;
    if (types[i] == DNS_TYPE_AAAA && !a->o.addr6.family) continue;
    synack_ip_t got[8];
    size_t n = 0;
    int r = dns_ask(a, server, name, types[i], got, &n);
    if (r < 0) return -1;
    last = (dns_result_t)r;
    if (last == DNS_OK) {
      *addr = got[0];
      if (!a->o.quiet) {
        char ab[48];
        fprintf(stderr, "synack get: %s is %s\n", name, synack_ip_format(addr, ab, sizeof ab));
      }
      return 0;
    }
    if (last != DNS_NO_DATA) break;
  }
  fprintf(stderr, "synack get: cannot resolve '%s': %s\n", name, dns_result_name(last));
  return -1;
}

int synack_cmd_get(int argc, char **argv) {
  app_net_t a;
  char eb[96];
  memset(&a, 0, sizeof a);
  app_opts_init(&a.o);
  const char *url = NULL, *outpath = NULL, *dns = NULL;
  double timeout_s = 120;
  for (int i = 1; i < argc; i++) {
    int r = app_opts_parse(&a.o, argc, argv, &i);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) outpath = argv[++i];
    else if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc) dns = argv[++i];
    else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) timeout_s = atof(argv[++i]);
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    } else if (argv[i][0] != '-' && !url) url = argv[i];
    else {
      fprintf(stderr, "synack get: unknown argument '%s'\n", argv[i]);
      usage();
      return 2;
    }
  }
  http_url_t u;
  if (!url || http_parse_url(url, &u) < 0) {
    fprintf(stderr, "synack get: need a URL like http://198.18.0.1:8000/path\n");
    return 2;
  }
  synack_endpoint_t to;
  memset(&to, 0, sizeof to);
  bool need_dns = app_parse_ip(u.host, &to.ip) < 0;
  synack_ip_t dns_server;
  if (need_dns && (!dns || app_parse_ip(dns, &dns_server) < 0)) {
    fprintf(stderr, "synack get: '%s' is not an IP address: give a DNS server with --dns ADDRESS\n", u.host);
    return 2;
  }
  to.port = u.port;
  int out = 1;
  if (outpath) {
    out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
      perror(outpath);
      return 1;
    }
  }
  int rc = 1;
  if (app_net_start(&a, "get") < 0) goto done;
  synack_stack_t *st = a.st;
  if (need_dns && resolve(&a, &dns_server, u.host, &to.ip) < 0) goto done;
  synack_time_t t_start = app_now();
  int sock = synack_socket(st, to.ip.family);
  int r = sock < 0 ? sock : synack_connect(st, t_start, sock, &to);
  if (r != -SYNACK_EINPROGRESS) {
    fprintf(stderr, "synack get: connect: %s\n", app_err(r, eb, sizeof eb));
    goto done;
  }
  char req[1400];
  int reqlen = snprintf(req, sizeof req,
                        "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: synack/" SYNACK_VERSION
                        "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                        u.path, u.host_header);
  static char buf[1 << 16];
  static char head[1 << 16];
  size_t head_len = 0;
  bool sent = false, got_head = false, done_body = false;
  int status = 0;
  int64_t clen = -1, body = 0;
  bool chunked = false;
  app_progress_t prog = { 0 };
  synack_time_t t_conn = 0; /* when the connection was established (for --stats) */
  synack_time_t deadline = t_start + (synack_time_t)(timeout_s * 1e6);
  while (!app_stop && !done_body) {
    if (app_now() > deadline) {
      fprintf(stderr, "synack get: timed out after %.0f s\n", timeout_s);
      goto done;
    }
    if (app_net_run(&a, SYNACK_MS(200)) < 0) goto done;
    synack_event_t ev;
    while (synack_stack_next_event(st, &ev)) {
      if (ev.sock != sock) continue;
      if (ev.events & SYNACK_EV_ERROR) {
        fprintf(stderr, "synack get: %s\n", app_err(ev.error, eb, sizeof eb));
        goto done;
      }
      synack_time_t now = app_now();
      if (!t_conn && (ev.events & SYNACK_EV_CONNECTED)) t_conn = now;
      if (!sent && (ev.events & (SYNACK_EV_CONNECTED | SYNACK_EV_WRITABLE))) {
        if (synack_send(st, now, sock, req, (size_t)reqlen, 0) == reqlen) sent = true;
      }
      while (!done_body) {
        int64_t n = synack_recv(st, now, sock, buf, sizeof buf, 0);
        if (n == -SYNACK_EAGAIN) break;
        if (n < 0) {
          fprintf(stderr, "synack get: recv: %s\n", app_err((int)n, eb, sizeof eb));
          goto done;
        }
        if (n == 0) {
          if (!got_head || (clen >= 0 && body < clen)) {
            fprintf(stderr, "synack get: connection closed early (%lld body bytes)\n", (long long)body);
            goto done;
          }
          done_body = true;
          break;
        }
        const char *data = buf;
        size_t len = (size_t)n;
        if (!got_head) {
          size_t take = len < sizeof head - head_len ? len : sizeof head - head_len;
          memcpy(head + head_len, buf, take);
          long hl = http_parse_response(head, head_len + take, &status, &clen, &chunked);
          if (hl < 0 || (hl == 0 && head_len + take == sizeof head)) {
            fprintf(stderr, "synack get: malformed response\n");
            goto done;
          }
          if (hl == 0) {
            head_len += take;
            continue;
          }
          got_head = true;
          if (chunked) {
            fprintf(stderr, "synack get: chunked transfer coding is not supported\n");
            goto done;
          }
          size_t from_buf = (size_t)hl - head_len; /* bytes of this read that were head */
          data = buf + from_buf;
          len -= from_buf;
          if (!a.o.quiet) fprintf(stderr, "synack get: HTTP %d, %lld bytes\n", status, (long long)clen);
        }
        if (clen >= 0 && (int64_t)len > clen - body) len = (size_t)(clen - body);
        if (len && app_write_all(out, data, len) < 0) {
          perror("synack get: write");
          goto done;
        }
        body += (int64_t)len;
        app_progress(&prog, "get", (uint64_t)body, a.o.quiet);
        if (clen >= 0 && body >= clen) done_body = true;
      }
    }
  }
  if (!done_body) goto done;
  if (!a.o.quiet) app_summary(&a, "get", (uint64_t)body, t_start, sock);
  if (a.o.stats && t_conn) {
    /* The transfer alone, without address resolution and the handshake (which a lost ARP
     * request can stretch by a second): what curl's time_total - time_connect measures. */
    synack_time_t dt = app_now() - t_conn;
    fprintf(stderr, "get-stats: connected after %.3f ms, body %lld bytes in %.6f s after it, %.1f Mbit/s\n",
            (double)(t_conn - t_start) / 1e3, (long long)body, (double)dt / 1e6,
            dt ? (double)body * 8.0 / ((double)dt / 1e6) / 1e6 : 0.0);
  }
  synack_close(st, app_now(), sock);
  app_drain_closes(&a, SYNACK_SEC(3));
  rc = status >= 200 && status < 300 ? 0 : 1;
done:
  app_net_finish(&a);
  if (outpath) close(out);
  return rc;
}
