/* HTTP/1.1 (RFC 9112) for the CLI's small file server and client. Only what they need: GET and
 * HEAD, Content-Length framing, keep-alive, a bounded request head, safe path mapping. */
#define _GNU_SOURCE
#include "app_http.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Finds the end of the head: the blank line (CRLF CRLF, or bare LF LF as RFC 9112 §2.2 lets a
 * recipient accept). Returns the length including it, or 0. */
static size_t head_end(const char *buf, size_t len) {
  for (size_t i = 0; i + 1 < len; i++) {
    if (buf[i] != '\n') continue;
    if (buf[i + 1] == '\n') return i + 2;
    if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') return i + 3;
  }
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes the path part of a target (the query is dropped). */
static bool decode_target(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && s[i] != '?' && s[i] != '#'; i++) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= n) return false;
      int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
      if (h < 0 || l < 0) return false;
      c = (char)(h * 16 + l);
      i += 2;
    }
    if (c == 0 || o + 1 >= cap) return false;
    out[o++] = c;
  }
  out[o] = 0;
  return true;
}

/* The value of header `name` in the head lines, or NULL. */
static const char *find_header(const char *head, size_t len, const char *name, size_t *vlen) {
  size_t nl = strlen(name);
  const char *p = memchr(head, '\n', len);
  while (p && (size_t)(p - head) + 1 < len) {
    const char *line = p + 1;
    size_t rest = len - (size_t)(line - head);
    const char *eol = memchr(line, '\n', rest);
    size_t ll = eol ? (size_t)(eol - line) : rest;
    if (ll > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
      const char *v = line + nl + 1;
      size_t vl = ll - nl - 1;
      while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
      while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
      *vlen = vl;
      return v;
    }
    p = eol;
  }
  return NULL;
}

static bool has_token(const char *v, size_t vl, const char *tok) {
  size_t tl = strlen(tok);
  for (size_t i = 0; i + tl <= vl; i++)
    if (strncasecmp(v + i, tok, tl) == 0 && (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
        (i + tl == vl || v[i + tl] == ' ' || v[i + tl] == ','))
      return true;
  return false;
}

long http_parse_request(const char *buf, size_t len, http_req_t *req) {
  memset(req, 0, sizeof *req);
  size_t hl = head_end(buf, len < HTTP_MAX_REQUEST ? len : HTTP_MAX_REQUEST);
  if (!hl) return len >= HTTP_MAX_REQUEST ? -1 : 0;
  /* Request line: METHOD SP TARGET SP HTTP/1.x */
  const char *eol = memchr(buf, '\n', hl);
  size_t ll = (size_t)(eol - buf);
  if (ll && buf[ll - 1] == '\r') ll--;
  const char *sp1 = memchr(buf, ' ', ll);
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - buf)) : NULL;
  if (!sp1 || !sp2) {
    req->status = 400;
    return (long)hl;
  }
  size_t ml = (size_t)(sp1 - buf), tl = (size_t)(sp2 - sp1 - 1), vl = ll - (size_t)(sp2 + 1 - buf);
  const char *ver = sp2 + 1;
  bool v11;
  if (vl == 8 && memcmp(ver, "HTTP/1.1", 8) == 0) v11 = true;
  else if (vl == 8 && memcmp(ver, "HTTP/1.0", 8) == 0) v11 = false;
  else {
    req->status = 505;
    return (long)hl;
  }
  /* RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
  size_t cvl;
  const char *cv = find_header(buf, hl, "Connection", &cvl);
  req->keep_alive = v11 ? !(cv && has_token(cv, cvl, "close")) : (cv && has_token(cv, cvl, "keep-alive"));
  if (ml == 3 && memcmp(buf, "GET", 3) == 0) req->head = false;
  else if (ml == 4 && memcmp(buf, "HEAD", 4) == 0) req->head = true;
  else {
    req->status = 405;
    return (long)hl;
  }
  /* A request body would have to be read and skipped; GET and HEAD carry none here. */
  size_t bl;
  const char *b = find_header(buf, hl, "Content-Length", &bl);
  if ((b && !(bl == 1 && b[0] == '0')) || find_header(buf, hl, "Transfer-Encoding", &bl)) {
    req->status = 400;
    req->keep_alive = false;
    return (long)hl;
  }
  if (tl == 0 || sp1[1] != '/' || !decode_target(sp1 + 1, tl, req->target, sizeof req->target)) req->status = 400;
  return (long)hl;
}

static const char *content_type(const char *path) {
  const char *dot = strrchr(path, '.');
  if (!dot) return "application/octet-stream";
  if (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0) return "text/html";
  if (strcmp(dot, ".txt") == 0) return "text/plain";
  return "application/octet-stream";
}

int http_open_target(const char *root, const char *target, int *fd, uint64_t *size, const char **ctype) {
  /* No component may be "..": the server never leaves its directory. */
  for (const char *p = target; *p; p++)
    if (p[0] == '.' && p[1] == '.' && (p == target || p[-1] == '/') && (p[2] == 0 || p[2] == '/')) return 403;
  char path[4096];
  int n = snprintf(path, sizeof path, "%s%s", root, target);
  if (n < 0 || (size_t)n >= sizeof path - 16) return 400;
  struct stat sb;
  if (stat(path, &sb) != 0) return 404;
  if (S_ISDIR(sb.st_mode)) {
    strcat(path, path[n - 1] == '/' ? "index.html" : "/index.html");
    if (stat(path, &sb) != 0) return 404;
  }
  if (!S_ISREG(sb.st_mode)) return 403;
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return 403;
  *fd = f;
  *size = (uint64_t)sb.st_size;
  *ctype = content_type(path);
  return 200;
}

static const char *reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

size_t http_format_head(char *buf, size_t cap, int status, uint64_t clen, const char *ctype, bool keep_alive) {
  int n = snprintf(buf, cap,
                   "HTTP/1.1 %d %s\r\nServer: synack\r\nContent-Length: %llu\r\nContent-Type: %s\r\n%s"
                   "\r\n",
                   status, reason(status), (unsigned long long)clen, ctype,
                   status == 405 ? "Allow: GET, HEAD\r\nConnection: close\r\n"
                                 : (keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"));
  return n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
}

int http_parse_url(const char *url, http_url_t *out) {
  memset(out, 0, sizeof *out);
  if (strncmp(url, "http://", 7) != 0) return -1;
  const char *h = url + 7, *hend, *p;
  if (*h == '[') {
    hend = strchr(h, ']');
    if (!hend) return -1;
    if ((size_t)(hend - h - 1) >= sizeof out->host) return -1;
    memcpy(out->host, h + 1, (size_t)(hend - h - 1));
    p = hend + 1;
  } else {
    hend = h + strcspn(h, ":/");
    if ((size_t)(hend - h) >= sizeof out->host || hend == h) return -1;
    memcpy(out->host, h, (size_t)(hend - h));
    p = hend;
  }
  out->port = 80;
  if (*p == ':') {
    char *end;
    long port = strtol(p + 1, &end, 10);
    if (port < 1 || port > 65535) return -1;
    out->port = (uint16_t)port;
    p = end;
  }
  size_t hostpart = (size_t)(p - (url + 7));
  if (hostpart >= sizeof out->host_header) return -1;
  memcpy(out->host_header, url + 7, hostpart);
  if (*p == 0) p = "/";
  if (*p != '/' || strlen(p) >= sizeof out->path) return -1;
  strcpy(out->path, p);
  return 0;
}

long http_parse_response(const char *buf, size_t len, int *status, int64_t *content_length, bool *chunked) {
  size_t hl = head_end(buf, len < 65536 ? len : 65536);
  if (!hl) return len >= 65536 ? -1 : 0;
  if (hl < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ') return -1;
  *status = atoi(buf + 9);
  *content_length = -1;
  *chunked = false;
  size_t vl;
  const char *v = find_header(buf, hl, "Content-Length", &vl);
  if (v) {
    char tmp[32];
    if (vl == 0 || vl >= sizeof tmp) return -1;
    memcpy(tmp, v, vl);
    tmp[vl] = 0;
    char *end;
    long long n = strtoll(tmp, &end, 10);
    if (*end || n < 0) return -1;
    *content_length = n;
  }
  v = find_header(buf, hl, "Transfer-Encoding", &vl);
  if (v && has_token(v, vl, "chunked")) *chunked = true;
  return (long)hl;
}
