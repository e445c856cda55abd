/* DNS query builder and response parser for `synack get --dns` (RFC 1035 §4.1, RFC 3596 for
 * AAAA). See app_dns.h: the response is hostile input. */
#include "app_dns.h"

#include <string.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

size_t dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype) {
  size_t nlen = strlen(name);
  if (nlen && name[nlen - 1] == '.') nlen--; /* the root label is implicit */
  /* RFC 1035 §2.3.4: 63 octets a label, 255 the name on the wire (length bytes included). */
  if (nlen == 0 || nlen + 2 > DNS_MAX_NAME || cap < 12 + nlen + 2 + 4) return 0;
  memset(buf, 0, 12);
  put16(buf, id);
  buf[2] = 0x01; /* RD: ask the server to recurse */
  put16(buf + 4, 1);
  size_t o = 12, start = 0;
  for (size_t i = 0; i <= nlen; i++) {
    if (i < nlen && name[i] != '.') continue;
    size_t l = i - start;
    if (l == 0 || l > 63) return 0;
    buf[o++] = (uint8_t)l;
    for (size_t k = start; k < i; k++) buf[o++] = (uint8_t)lower(name[k]);
    start = i + 1;
  }
  buf[o++] = 0;
  put16(buf + o, qtype);
  put16(buf + o + 2, DNS_CLASS_IN);
  return o + 4;
}

/* Reads the name at msg[*off] into out (lower case, dotted, no trailing dot; at least
 * DNS_MAX_NAME + 1 bytes), following compression pointers (RFC 1035 §4.1.4). *off moves past
 * the name where it is written. Each pointer must point before the previous one, so the walk
 * ends; labels may not contain '.' or NUL (they could not be compared as text). */
static bool read_name(const uint8_t *msg, size_t len, size_t *off, char *out) {
  size_t pos = *off, olen = 0, wire = 1, limit = len;
  bool jumped = false;
  for (;;) {
    if (pos >= len) return false;
    uint8_t l = msg[pos];
    if (l == 0) {
      if (!jumped) *off = pos + 1;
      break;
    }
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= len) return false;
      size_t ptr = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
      if (ptr >= pos || ptr >= limit) return false;
      if (!jumped) *off = pos + 2;
      jumped = true;
      limit = ptr;
      pos = ptr;
      continue;
    }
    if (l & 0xc0) return false; /* 0x40 and 0x80 label types are not in use (RFC 6891 §5) */
    if (pos + 1 + l > len) return false;
    wire += 1u + l;
    if (wire > DNS_MAX_NAME) return false;
    if (olen) out[olen++] = '.';
    for (size_t i = 0; i < l; i++) {
      char c = (char)msg[pos + 1 + i];
      if (c == '.' || c == 0) return false;
      out[olen++] = lower(c);
    }
    pos += 1u + l;
  }
  out[olen] = 0;
  return true;
}

static void norm_name(const char *in, char *out) {
  size_t n = strlen(in);
  if (n > DNS_MAX_NAME) n = DNS_MAX_NAME;
  if (n && in[n - 1] == '.') n--;
  for (size_t i = 0; i < n; i++) out[i] = lower(in[i]);
  out[n] = 0;
}

dns_result_t dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
                                synack_ip_t *out, size_t max, size_t *n) {
  *n = 0;
  if (len < 12) return DNS_MALFORMED;
  if (get16(msg) != id || !(msg[2] & 0x80) || ((msg[2] >> 3) & 0x0f) != 0) return DNS_NOT_OURS;
  if (get16(msg + 4) != 1) return DNS_NOT_OURS;
  char want[DNS_MAX_NAME + 1], got[DNS_MAX_NAME + 1];
  norm_name(name, want);
  size_t off = 12;
  if (!read_name(msg, len, &off, got)) return DNS_MALFORMED;
  if (off + 4 > len) return DNS_MALFORMED;
  /* RFC 5452 §9.1: the question must be ours too (with the id and the port it makes blind
   * spoofing harder). */
  if (strcmp(got, want) != 0 || get16(msg + off) != qtype || get16(msg + off + 2) != DNS_CLASS_IN) return DNS_NOT_OURS;
  off += 4;
  if (msg[2] & 0x02) return DNS_TRUNCATED;
  uint8_t rcode = msg[3] & 0x0f;
  if (rcode == 3) return DNS_NXDOMAIN;
  if (rcode != 0) return DNS_SERVER_FAIL;
  size_t alen = qtype == DNS_TYPE_AAAA ? 16 : 4;
  unsigned cnames = 0;
  uint16_t ancount = get16(msg + 6);
  size_t found = 0; /* handed out only when the whole answer section is well-formed */
  for (uint16_t i = 0; i < ancount; i++) {
    if (!read_name(msg, len, &off, got)) return DNS_MALFORMED;
    if (off + 10 > len) return DNS_MALFORMED;
    uint16_t type = get16(msg + off), klass = get16(msg + off + 2), rdlen = get16(msg + off + 8);
    size_t rd = off + 10;
    if (rd + rdlen > len) return DNS_MALFORMED;
    off = rd + rdlen;
    if (klass != DNS_CLASS_IN || strcmp(got, want) != 0) continue;
    if (type == DNS_TYPE_CNAME) {
      /* Follow the chain in the order the records come (servers put CNAMEs first). */
      size_t p = rd;
      char target[DNS_MAX_NAME + 1];
      if (++cnames > 16 || !read_name(msg, len, &p, target) || p > off) return DNS_MALFORMED;
      memcpy(want, target, sizeof want);
    } else if (type == qtype && rdlen == alen && found < max) {
      synack_ip_t *ip = &out[found++];
      memset(ip, 0, sizeof *ip);
      ip->family = qtype == DNS_TYPE_AAAA ? SYNACK_AF_INET6 : SYNACK_AF_INET;
      memcpy(ip->b, msg + rd, alen);
    }
  }
  *n = found;
  return found ? DNS_OK : DNS_NO_DATA;
}

const char *dns_result_name(dns_result_t r) {
  switch (r) {
  case DNS_OK: return "ok";
  case DNS_NO_DATA: return "no address of that type";
  case DNS_NXDOMAIN: return "no such name (NXDOMAIN)";
  case DNS_SERVER_FAIL: return "server failure";
  case DNS_TRUNCATED: return "truncated answer";
  case DNS_NOT_OURS: return "not an answer to our query";
  case DNS_MALFORMED: return "malformed answer";
  }
  return "?";
}
