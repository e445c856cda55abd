/* `synack explore [--port N] [--dir D]`: serves the explorer's static folder (built by
 * `make web`) on 127.0.0.1 and prints the URL. The page does all the work in the browser (the
 * stack runs in WebAssembly); this server only hands out files: GET and HEAD of plain names
 * inside the folder, one request per connection, nothing else. Loopback only, on purpose: the
 * folder is nobody else's business. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"

static const char *mime(const char *name) {
  const char *dot = strrchr(name, '.');
  static const char *map[][2] = {{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
                                 {".css", "text/css; charset=utf-8"},    {".wasm", "application/wasm"},
                                 {".png", "image/png"},                  {".svg", "image/svg+xml"},
                                 {".pcap", "application/vnd.tcpdump.pcap"}, {".json", "application/json"}};
  for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
    if (strcmp(dot, map[i][0]) == 0) return map[i][1];
  return "application/octet-stream";
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static void reply(int fd, int code, const char *status, const char *type, const char *body, size_t len, bool head) {
  char h[512];
  int n = snprintf(h, sizeof h,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-cache\r\n"
                   "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
                   code, status, type, len);
  if (write_all(fd, h, (size_t)n) == 0 && !head && len) write_all(fd, body, len);
}

/* A name the folder may serve: letters, digits, '-', '_', '.', '/' and no "..". */
static bool safe_name(const char *p) {
  if (strstr(p, "..")) return false;
  for (; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
          *p == '.' || *p == '/'))
      return false;
  return true;
}

static void serve_one(int fd, const char *dir) {
  char req[4096];
  size_t n = 0;
  /* The request line is all that matters; read until the end of the headers or the buffer. */
  while (n < sizeof req - 1) {
    ssize_t r = read(fd, req + n, sizeof req - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    req[n] = 0;
    if (strstr(req, "\r\n\r\n")) break;
  }
  req[n] = 0;
  char method[8], path[1024];
  if (sscanf(req, "%7s %1023s", method, path) != 2) {
    reply(fd, 400, "Bad Request", "text/plain", "bad request\n", 12, false);
    return;
  }
  bool head = strcmp(method, "HEAD") == 0;
  if (!head && strcmp(method, "GET") != 0) {
    reply(fd, 405, "Method Not Allowed", "text/plain", "GET only\n", 9, false);
    return;
  }
  char *q = strpbrk(path, "?#");
  if (q) *q = 0;
  const char *name = strcmp(path, "/") == 0 ? "index.html" : path + 1;
  if (path[0] != '/' || !safe_name(name)) {
    reply(fd, 404, "Not Found", "text/plain", "not found\n", 10, head);
    return;
  }
  char full[PATH_MAX];
  int fl = snprintf(full, sizeof full, "%s/%s", dir, name);
  if (fl < 0 || (size_t)fl >= sizeof full) { /* a name that does not fit names no file we serve */
    reply(fd, 404, "Not Found", "text/plain", "not found\n", 10, head);
    return;
  }
  struct stat st;
  int ffd = open(full, O_RDONLY);
  if (ffd < 0 || fstat(ffd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024 * 1024) {
    if (ffd >= 0) close(ffd);
    reply(fd, 404, "Not Found", "text/plain", "not found\n", 10, head);
    return;
  }
  char *body = malloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (body && got < (size_t)st.st_size) {
    ssize_t r = read(ffd, body + got, (size_t)st.st_size - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(ffd);
  if (!body || got != (size_t)st.st_size) reply(fd, 500, "Internal Server Error", "text/plain", "read error\n", 11, head);
  else reply(fd, 200, "OK", mime(name), body, got, head);
  free(body);
}

/* The folder make web builds: next to the binary's build folder, then under the current one. */
static bool find_dir(char *out, size_t cap) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const char *cands[3] = {NULL, "build/web", "web"};
  char c0[PATH_MAX + 16];
  if (n > 0) {
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(c0, sizeof c0, "%s/../web", exe);
    cands[0] = c0;
  }
  for (int i = 0; i < 3; i++) {
    char idx[PATH_MAX + 32];
    if (!cands[i]) continue;
    snprintf(idx, sizeof idx, "%s/synack.wasm", cands[i]);
    if (access(idx, R_OK) == 0) {
      snprintf(out, cap, "%s", cands[i]);
      return true;
    }
  }
  return false;
}

int synack_cmd_explore(int argc, char **argv) {
  long port = 8642;
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
    else {
      fprintf(stderr, "usage: synack explore [--port N] [--dir FOLDER]\n"
                      "  serves the explorer (built by `make web` into build/web) on http://127.0.0.1:N/\n"
                      "  (port 0: any free port; the URL printed says which)\n");
      return 2;
    }
  }
  char found[PATH_MAX];
  if (!dir) {
    if (!find_dir(found, sizeof found)) {
      fprintf(stderr, "explore: no explorer folder found; build it with `make web` (or give --dir)\n");
      return 1;
    }
    dir = found;
  }
  char probe[PATH_MAX + 32];
  snprintf(probe, sizeof probe, "%s/index.html", dir);
  if (access(probe, R_OK) != 0) {
    fprintf(stderr, "explore: %s has no index.html; build it with `make web`\n", dir);
    return 1;
  }
  if (port < 0 || port > 65535) {
    fprintf(stderr, "explore: bad port %ld\n", port);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0 ||
      getsockname(ls, (struct sockaddr *)&a, &al) != 0) {
    fprintf(stderr, "explore: cannot listen on 127.0.0.1:%ld: %s\n", port, strerror(errno));
    if (ls >= 0) close(ls);
    return 1;
  }
  printf("synack explorer: open http://127.0.0.1:%u/ in a browser (serving %s; Ctrl-C stops)\n", ntohs(a.sin_port),
         dir);
  fflush(stdout);
  for (;;) {
    int c = accept(ls, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      fprintf(stderr, "explore: accept: %s\n", strerror(errno));
      close(ls);
      return 1;
    }
    /* A client that sends nothing must not hold the only thread for long. */
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    serve_one(c, dir);
    close(c);
  }
}
