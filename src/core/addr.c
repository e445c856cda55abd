/* Address helpers: construction, text parsing (RFC 4291 §2.2), canonical text (RFC 5952). */
#include <string.h>

#include "synack/types.h"

synack_ip_t synack_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  synack_ip_t ip;
  memset(&ip, 0, sizeof ip);
  ip.family = SYNACK_AF_INET;
  ip.b[0] = a;
  ip.b[1] = b;
  ip.b[2] = c;
  ip.b[3] = d;
  return ip;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Dotted quad in [s, e): exactly four decimal parts 0..255. A leading zero ("010") is refused,
 * as inet_pton does, because other parsers read it as octal. */
static int parse_quad(const char *s, const char *e, uint8_t out[4]) {
  int part = 0;
  while (part < 4) {
    if (s >= e || *s < '0' || *s > '9') return -1;
    unsigned v = 0;
    const char *start = s;
    while (s < e && *s >= '0' && *s <= '9') {
      if (s - start >= 3) return -1;
      v = v * 10 + (unsigned)(*s - '0');
      s++;
    }
    if (v > 255 || (s - start > 1 && *start == '0')) return -1;
    out[part++] = (uint8_t)v;
    if (part < 4) {
      if (s >= e || *s != '.') return -1;
      s++;
    }
  }
  return s == e ? 0 : -1;
}

/* RFC 4291 §2.2: eight groups of 1-4 hex digits; one "::" stands for one or more zero groups;
 * the last 32 bits may be written as a dotted quad (form 3). */
static int parse_v6(const char *s, uint8_t out[16]) {
  uint16_t head[8], tail[8];
  int nhead = 0, ntail = 0;
  bool gap = false;
  const char *p = s;
  const char *end = s + strlen(s);
  uint8_t v4[4];
  bool have_v4 = false;

  if (p[0] == ':') {
    if (p[1] != ':') return -1; /* a single leading colon */
    gap = true;
    p += 2;
  }
  while (p < end) {
    int total = nhead + ntail + (have_v4 ? 2 : 0);
    if (total >= 8) return -1;
    const char *q = p;
    while (q < end && *q != ':' && *q != '.') q++;
    if (q < end && *q == '.') {
      /* The dotted quad runs to the end of the string and fills two groups. */
      if (total + 2 > 8 || parse_quad(p, end, v4) != 0) return -1;
      have_v4 = true;
      p = end;
      break;
    }
    size_t n = (size_t)(q - p);
    if (n == 0 || n > 4) return -1;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
      int h = hexval(p[i]);
      if (h < 0) return -1;
      v = v << 4 | (unsigned)h;
    }
    if (gap) tail[ntail++] = (uint16_t)v;
    else head[nhead++] = (uint16_t)v;
    p = q;
    if (p == end) break;
    /* p points at ':' */
    if (p[1] == ':') {
      if (gap) return -1; /* only one "::" */
      gap = true;
      p += 2;
    } else {
      p++;
      if (p == end) return -1; /* trailing single colon */
    }
  }
  int groups = nhead + ntail + (have_v4 ? 2 : 0);
  if (gap ? groups > 7 : groups != 8) return -1;
  memset(out, 0, 16);
  for (int i = 0; i < nhead; i++) {
    out[2 * i] = (uint8_t)(head[i] >> 8);
    out[2 * i + 1] = (uint8_t)head[i];
  }
  int tail_start = 8 - ntail - (have_v4 ? 2 : 0);
  for (int i = 0; i < ntail; i++) {
    out[2 * (tail_start + i)] = (uint8_t)(tail[i] >> 8);
    out[2 * (tail_start + i) + 1] = (uint8_t)tail[i];
  }
  if (have_v4) memcpy(out + 12, v4, 4);
  return 0;
}

int synack_ip_parse(const char *text, synack_ip_t *out) {
  synack_ip_t ip;
  memset(&ip, 0, sizeof ip);
  if (!text || !out) return -SYNACK_EINVAL;
  if (strchr(text, ':')) {
    if (parse_v6(text, ip.b) != 0) return -SYNACK_EINVAL;
    ip.family = SYNACK_AF_INET6;
  } else {
    if (parse_quad(text, text + strlen(text), ip.b) != 0) return -SYNACK_EINVAL;
    ip.family = SYNACK_AF_INET;
  }
  *out = ip;
  return 0;
}

int synack_ip_parse_prefix(const char *text, int family, synack_ip_t *ip, uint8_t *prefix) {
  if (!text || !ip || !prefix) return -SYNACK_EINVAL;
  char buf[64];
  const char *slash = strchr(text, '/');
  size_t n = slash ? (size_t)(slash - text) : strlen(text);
  if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
    text++;
    n -= 2;
  }
  if (n >= sizeof buf) return -SYNACK_EINVAL;
  memcpy(buf, text, n);
  buf[n] = '\0';
  unsigned p = 0;
  if (slash) {
    const char *d = slash + 1;
    if (!*d || strlen(d) > 3) return -SYNACK_EINVAL;
    for (; *d; d++) {
      if (*d < '0' || *d > '9') return -SYNACK_EINVAL;
      p = p * 10 + (unsigned)(*d - '0');
    }
    if (p < 1 || p > (family == SYNACK_AF_INET ? 32u : 128u)) return -SYNACK_EINVAL;
  }
  synack_ip_t a;
  if (synack_ip_parse(buf, &a) != 0 || a.family != family) return -SYNACK_EINVAL;
  *ip = a;
  if (slash) *prefix = (uint8_t)p;
  return 0;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int synack_mac_parse(const char *text, synack_mac_t *out) {
  if (!text || !out) return -SYNACK_EINVAL;
  synack_mac_t m;
  for (int i = 0; i < 6; i++) {
    int hi = hex_digit(*text);
    if (hi < 0) return -SYNACK_EINVAL;
    text++;
    int lo = hex_digit(*text);
    if (lo >= 0) text++;
    m.b[i] = (uint8_t)(lo >= 0 ? hi * 16 + lo : hi);
    if (i < 5 && *text++ != ':') return -SYNACK_EINVAL;
  }
  /* The I/G bit: a group address cannot be an interface's own. */
  if (*text || (m.b[0] & 1)) return -SYNACK_EINVAL;
  *out = m;
  return 0;
}

/* Appends to buf within cap, always NUL-terminated. */
static void put_str(char *buf, size_t cap, size_t *pos, const char *s) {
  while (*s) {
    if (*pos + 1 < cap) buf[*pos] = *s;
    (*pos)++;
    s++;
  }
  if (cap) buf[*pos < cap ? *pos : cap - 1] = '\0';
}

static void put_dec(char *buf, size_t cap, size_t *pos, unsigned v) {
  char tmp[4];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  char s[4];
  for (int i = 0; i < n; i++) s[i] = tmp[n - 1 - i];
  s[n] = '\0';
  put_str(buf, cap, pos, s);
}

static void put_quad(char *buf, size_t cap, size_t *pos, const uint8_t *b) {
  for (int i = 0; i < 4; i++) {
    if (i) put_str(buf, cap, pos, ".");
    put_dec(buf, cap, pos, b[i]);
  }
}

char *synack_ip_format(const synack_ip_t *ip, char *buf, size_t cap) {
  size_t pos = 0;
  if (!buf || cap == 0) return buf;
  buf[0] = '\0';
  if (ip->family == SYNACK_AF_INET) {
    put_quad(buf, cap, &pos, ip->b);
    return buf;
  }
  if (ip->family != SYNACK_AF_INET6) {
    put_str(buf, cap, &pos, "unspecified");
    return buf;
  }
  uint16_t g[8];
  for (int i = 0; i < 8; i++) g[i] = (uint16_t)(ip->b[2 * i] << 8 | ip->b[2 * i + 1]);
  /* RFC 5952 §5: an IPv4-mapped address is written with its last 32 bits as a dotted quad. */
  bool mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
  int ngroups = mapped ? 6 : 8;
  /* RFC 5952 §4.2: "::" replaces the longest run of two or more zero groups, the first one
   * when runs tie; a lone zero group is written "0". */
  int best = -1, best_len = 0;
  for (int i = 0; i < ngroups;) {
    if (g[i] != 0) { i++; continue; }
    int j = i;
    while (j < ngroups && g[j] == 0) j++;
    if (j - i > best_len) { best = i; best_len = j - i; }
    i = j;
  }
  if (best_len < 2) best = -1;
  static const char hex[] = "0123456789abcdef"; /* RFC 5952 §4.3: lowercase */
  for (int i = 0; i < ngroups; i++) {
    if (i == best) {
      put_str(buf, cap, &pos, "::");
      i += best_len - 1;
      continue;
    }
    if (i > 0 && i != best + best_len) put_str(buf, cap, &pos, ":");
    /* RFC 5952 §4.1: leading zeros suppressed. */
    char s[5];
    int n = 0;
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned d = (unsigned)(g[i] >> shift) & 0xf;
      if (d || started || shift == 0) { s[n++] = hex[d]; started = true; }
    }
    s[n] = '\0';
    put_str(buf, cap, &pos, s);
  }
  if (mapped) {
    /* After "::ffff" a colon separates the quad. */
    put_str(buf, cap, &pos, ":");
    put_quad(buf, cap, &pos, ip->b + 12);
  }
  return buf;
}

static size_t addr_len(uint8_t family) {
  return family == SYNACK_AF_INET ? 4 : family == SYNACK_AF_INET6 ? 16 : 0;
}

bool synack_ip_equal(const synack_ip_t *a, const synack_ip_t *b) {
  return a->family == b->family && memcmp(a->b, b->b, addr_len(a->family)) == 0;
}

bool synack_ip_is_unspecified(const synack_ip_t *a) {
  size_t n = addr_len(a->family);
  for (size_t i = 0; i < n; i++)
    if (a->b[i]) return false;
  return true;
}
