/* The HTTP/1.1 pieces of `synack serve --http` and `synack get`: request parsing with a bound,
 * mapping a target to a file under the served directory, response heads, URL parsing. */
#ifndef SYNACK_TOOLS_APP_HTTP_H
#define SYNACK_TOOLS_APP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_REQUEST 8192 /* request line + headers; larger requests get 431 */

typedef struct {
  bool head;          /* HEAD rather than GET */
  bool keep_alive;    /* the connection stays open after the response */
  int status;         /* 0 = fine so far; else the error status to answer with */
  char target[1024];  /* decoded path */
} http_req_t;

/* Parses one request from buf[0..len). Returns the bytes it spans (head only), 0 when the head
 * is not complete yet, or -1 when the head exceeds HTTP_MAX_REQUEST (answer 431 and close).
 * Semantic errors (bad method, version, target) leave req->status set. */
long http_parse_request(const char *buf, size_t len, http_req_t *req);
/* Opens the file a target names under root (no "..", regular files, directory → index.html).
 * Returns 200 with *fd and *size set, or 404 / 403 / 400. */
int http_open_target(const char *root, const char *target, int *fd, uint64_t *size, const char **ctype);
/* Writes a response head; returns its length. */
size_t http_format_head(char *buf, size_t cap, int status, uint64_t content_length, const char *ctype,
                        bool keep_alive);

typedef struct {
  char host[256];     /* address literal (IPv6 without brackets) or a DNS name (up to 253) */
  uint16_t port;
  char path[1024];
  char host_header[272];
} http_url_t;
/* http://HOST[:PORT]/PATH with HOST an IPv4 literal, [IPv6] or a host name. Returns 0 or -1. */
int http_parse_url(const char *url, http_url_t *out);

/* Parses a response head in buf[0..len): returns its length, 0 if incomplete, -1 if malformed.
 * *status, *content_length (-1 when absent), *chunked are set. */
long http_parse_response(const char *buf, size_t len, int *status, int64_t *content_length, bool *chunked);

#endif
