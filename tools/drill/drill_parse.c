/* Parser of the packet-script dialect (docs/drill.md): preprocessing (#ifdef, -D words), header
 * options, and the timeline of events. Pure text processing: no stack is involved, so
 * tests/unit/test_drill_parse.c exercises it directly. Errors are "path:line:col: message". */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"

typedef struct {
  const char *path;
  const char *s;
  size_t i, n;
  size_t lc_pos; /* cached position of lc_line/lc_col */
  int lc_line, lc_col;
  char *err;
  size_t errcap;
  bool failed;
  drill_script_t *out;
  int cap_events;
} parser_t;

static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz);
  if (!p) {
    fputs("drill: out of memory\n", stderr);
    exit(3);
  }
  return p;
}

static char *xstrndup(const char *s, size_t n) {
  char *p = xcalloc(n + 1, 1);
  memcpy(p, s, n);
  return p;
}

/* Line and column (1-based) of position pos; positions are visited mostly in order. */
static void where(parser_t *p, size_t pos, int *line, int *col) {
  if (pos < p->lc_pos) {
    p->lc_pos = 0;
    p->lc_line = 1;
    p->lc_col = 1;
  }
  for (; p->lc_pos < pos && p->lc_pos < p->n; p->lc_pos++) {
    if (p->s[p->lc_pos] == '\n') {
      p->lc_line++;
      p->lc_col = 1;
    } else {
      p->lc_col++;
    }
  }
  *line = p->lc_line;
  *col = p->lc_col;
}

static void fail_at(parser_t *p, size_t pos, const char *fmt, ...) {
  if (p->failed) return;
  p->failed = true;
  int line, col;
  where(p, pos, &line, &col);
  int k = snprintf(p->err, p->errcap, "%s:%d:%d: ", p->path, line, col);
  if (k < 0 || (size_t)k >= p->errcap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + k, p->errcap - (size_t)k, fmt, ap);
  va_end(ap);
}

static void unsupported_at(parser_t *p, size_t pos, const char *fmt, ...) {
  if (p->out->unsupported[0]) return;
  int line, col;
  where(p, pos, &line, &col);
  int k = snprintf(p->out->unsupported, sizeof p->out->unsupported, "%s:%d: ", p->path, line);
  if (k < 0 || (size_t)k >= sizeof p->out->unsupported) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->out->unsupported + k, sizeof p->out->unsupported - (size_t)k, fmt, ap);
  va_end(ap);
}

static char cur(const parser_t *p) { return p->i < p->n ? p->s[p->i] : '\0'; }
static char at(const parser_t *p, size_t k) { return p->i + k < p->n ? p->s[p->i + k] : '\0'; }

/* Skips whitespace and comments. */
static void skip_ws(parser_t *p) {
  while (p->i < p->n) {
    char c = p->s[p->i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      p->i++;
    } else if (c == '/' && at(p, 1) == '/') {
      while (p->i < p->n && p->s[p->i] != '\n') p->i++;
    } else if (c == '/' && at(p, 1) == '*') {
      size_t start = p->i;
      p->i += 2;
      while (p->i < p->n && !(p->s[p->i] == '*' && at(p, 1) == '/')) p->i++;
      if (p->i >= p->n) {
        fail_at(p, start, "unterminated comment");
        return;
      }
      p->i += 2;
    } else {
      break;
    }
  }
}

/* Skips blanks on the current line (not newlines, not comments). */
static void skip_blanks(parser_t *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t')) p->i++;
}

static bool is_ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool is_ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* True (and consumes it) when the next word is exactly w. */
static bool accept_word(parser_t *p, const char *w) {
  size_t n = strlen(w);
  if (p->i + n > p->n || memcmp(p->s + p->i, w, n) != 0) return false;
  if (p->i + n < p->n && is_ident_char(p->s[p->i + n])) return false;
  p->i += n;
  return true;
}

static bool read_ident(parser_t *p, const char **w, size_t *len) {
  if (!is_ident_start(cur(p))) return false;
  size_t st = p->i;
  while (p->i < p->n && (is_ident_char(p->s[p->i]) || (p->s[p->i] == '-' && is_ident_char(at(p, 1)) &&
                                                        !isdigit((unsigned char)at(p, 1)))))
    p->i++;
  *w = p->s + st;
  *len = p->i - st;
  return true;
}

/* Integer: decimal or 0x hex, optional leading '-'. */
static bool read_int(parser_t *p, int64_t *v) {
  size_t st = p->i;
  bool neg = false;
  if (cur(p) == '-') {
    neg = true;
    p->i++;
  }
  if (!isdigit((unsigned char)cur(p))) {
    p->i = st;
    return false;
  }
  uint64_t x = 0;
  if (cur(p) == '0' && (at(p, 1) == 'x' || at(p, 1) == 'X') && isxdigit((unsigned char)at(p, 2))) {
    p->i += 2;
    while (isxdigit((unsigned char)cur(p))) {
      char c = cur(p);
      x = x * 16 + (uint64_t)(isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10));
      if (x > 0xffffffffffffull) break;
      p->i++;
    }
  } else {
    while (isdigit((unsigned char)cur(p))) {
      x = x * 10 + (uint64_t)(cur(p) - '0');
      if (x > 0xffffffffffffull) break;
      p->i++;
    }
  }
  if (is_ident_char(cur(p))) {
    fail_at(p, st, "malformed number");
    return false;
  }
  *v = neg ? -(int64_t)x : (int64_t)x;
  return true;
}

static bool read_u32(parser_t *p, uint32_t *v, const char *what) {
  skip_ws(p);
  int64_t x;
  size_t st = p->i;
  if (!read_int(p, &x)) {
    fail_at(p, st, "expected a number for %s", what);
    return false;
  }
  if (x < 0 || x > 0xffffffffll) {
    fail_at(p, st, "%s out of range", what);
    return false;
  }
  *v = (uint32_t)x;
  return true;
}

size_t drill_parse_seconds(const char *s, int64_t *us) {
  size_t i = 0;
  int64_t whole = 0, frac = 0;
  bool any = false;
  while (isdigit((unsigned char)s[i])) {
    whole = whole * 10 + (s[i] - '0');
    if (whole > 100000000) return 0;
    i++;
    any = true;
  }
  if (s[i] == '.' && s[i + 1] != '.') {
    i++;
    int64_t scale = 100000;
    while (isdigit((unsigned char)s[i])) {
      frac += (s[i] - '0') * scale;
      scale /= 10;
      i++;
      any = true;
    }
  }
  if (!any) return 0;
  *us = whole * 1000000 + frac;
  return i;
}

bool drill_parse_flags(const char *s, size_t n, uint8_t *flags) {
  uint8_t f = 0;
  if (n == 0) return false;
  if (n == 1 && s[0] == '-') {
    *flags = 0;
    return true;
  }
  for (size_t k = 0; k < n; k++) {
    uint8_t b;
    switch (s[k]) {
    case 'S': b = SYNACK_TCP_SYN; break;
    case 'F': b = SYNACK_TCP_FIN; break;
    case 'R': b = SYNACK_TCP_RST; break;
    case 'P': b = SYNACK_TCP_PSH; break;
    case '.': b = SYNACK_TCP_ACK; break;
    case 'U': b = SYNACK_TCP_URG; break;
    case 'E': b = SYNACK_TCP_ECE; break;
    case 'W': b = SYNACK_TCP_CWR; break;
    default: return false;
    }
    if (f & b) return false;
    f |= b;
  }
  *flags = f;
  return true;
}

void drill_flags_str(uint8_t flags, char *buf, size_t cap) {
  static const struct { uint8_t bit; char c; } order[] = {
    { SYNACK_TCP_SYN, 'S' }, { SYNACK_TCP_FIN, 'F' }, { SYNACK_TCP_RST, 'R' }, { SYNACK_TCP_PSH, 'P' },
    { SYNACK_TCP_URG, 'U' }, { SYNACK_TCP_ECE, 'E' }, { SYNACK_TCP_CWR, 'W' }, { SYNACK_TCP_ACK, '.' },
  };
  size_t k = 0;
  if (cap == 0) return;
  for (size_t j = 0; j < sizeof order / sizeof order[0] && k + 1 < cap; j++)
    if (flags & order[j].bit) buf[k++] = order[j].c;
  if (k == 0 && cap > 1) buf[k++] = '-';
  buf[k] = '\0';
}

/* ---------------------------------------------------------------- time */

static bool read_time(parser_t *p, drill_time_t *t, bool allow_any) {
  size_t st = p->i;
  if (cur(p) == '*') {
    if (!allow_any) {
      fail_at(p, st, "'*' is not allowed here");
      return false;
    }
    p->i++;
    t->kind = DRILL_T_ANY;
    t->us = 0;
    return true;
  }
  t->kind = DRILL_T_ABS;
  if (cur(p) == '+') {
    t->kind = DRILL_T_REL;
    p->i++;
  }
  size_t used = drill_parse_seconds(p->s + p->i, &t->us);
  if (used == 0) {
    fail_at(p, st, "expected a time");
    return false;
  }
  p->i += used;
  return true;
}

/* ---------------------------------------------------------------- packets */

static bool parse_ipinfo(parser_t *p, drill_packet_t *pk) {
  char close = cur(p) == '(' ? ')' : ']';
  p->i++;
  for (;;) {
    skip_ws(p);
    size_t st = p->i;
    if (cur(p) == close) {
      p->i++;
      return true;
    }
    if (cur(p) == ',') {
      p->i++;
      continue;
    }
    if (accept_word(p, "ect0")) {
      pk->has_ecn = true;
      pk->ecn = DRILL_ECN_ECT0;
    } else if (accept_word(p, "ect1")) {
      pk->has_ecn = true;
      pk->ecn = DRILL_ECN_ECT1;
    } else if (accept_word(p, "ect01")) {
      pk->has_ecn = true;
      pk->ecn = DRILL_ECN_ECT01;
    } else if (accept_word(p, "flowlabel")) {
      uint32_t v;
      if (!read_u32(p, &v, "flowlabel")) return false;
      if (v > 0xfffff) {
        fail_at(p, st, "flowlabel out of range (20 bits)");
        return false;
      }
      pk->has_flowlabel = true;
      pk->flowlabel = v;
    } else if (accept_word(p, "ce")) {
      pk->has_ecn = true;
      pk->ecn = DRILL_ECN_CE;
    } else if (accept_word(p, "noecn") || accept_word(p, "not_ect") || accept_word(p, "no_ecn")) {
      pk->has_ecn = true;
      pk->ecn = DRILL_ECN_NOT;
    } else if (accept_word(p, "tos")) {
      uint32_t v;
      if (!read_u32(p, &v, "tos")) return false;
      if (v > 255) {
        fail_at(p, st, "tos out of range");
        return false;
      }
      pk->has_tos = true;
      pk->tos = (uint8_t)v;
    } else if (accept_word(p, "ttl") || accept_word(p, "hlim")) {
      uint32_t v;
      if (!read_u32(p, &v, "ttl")) return false;
      if (v > 255) {
        fail_at(p, st, "ttl out of range");
        return false;
      }
      pk->has_ttl = true;
      pk->ttl = (uint8_t)v;
    } else {
      fail_at(p, st, "unknown IP info (expected ect0, ect1, ect01, ce, noecn, tos N, ttl N, flowlabel N)");
      return false;
    }
  }
}

static int hexval(char c) {
  if (isdigit((unsigned char)c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool parse_options(parser_t *p, drill_packet_t *pk) {
  p->i++; /* '<' */
  skip_ws(p);
  if (cur(p) == '.' && at(p, 1) == '.' && at(p, 2) == '.') {
    p->i += 3;
    skip_ws(p);
    if (cur(p) != '>') {
      fail_at(p, p->i, "expected '>' after '<...'");
      return false;
    }
    p->i++;
    pk->opt_mode = DRILL_OPTS_ANY;
    return true;
  }
  pk->opt_mode = DRILL_OPTS_LIST;
  for (;;) {
    skip_ws(p);
    if (cur(p) == '>') {
      p->i++;
      return true;
    }
    size_t st = p->i;
    if (pk->nopts >= DRILL_MAX_OPTS) {
      fail_at(p, st, "too many options");
      return false;
    }
    drill_opt_t *o = &pk->opts[pk->nopts];
    memset(o, 0, sizeof *o);
    const char *w;
    size_t wl;
    if (!read_ident(p, &w, &wl)) {
      fail_at(p, st, "expected a TCP option");
      return false;
    }
#define IS(lit) (wl == sizeof(lit) - 1 && memcmp(w, lit, wl) == 0)
    if (IS("nop")) {
      o->kind = DRILL_OPT_NOP;
    } else if (IS("eol")) {
      o->kind = DRILL_OPT_EOL;
    } else if (IS("mss")) {
      o->kind = DRILL_OPT_MSS;
      if (!read_u32(p, &o->v1, "mss")) return false;
      if (o->v1 > 65535) {
        fail_at(p, st, "mss out of range");
        return false;
      }
    } else if (IS("wscale")) {
      o->kind = DRILL_OPT_WSCALE;
      if (!read_u32(p, &o->v1, "wscale")) return false;
      if (o->v1 > 255) {
        fail_at(p, st, "wscale out of range");
        return false;
      }
    } else if (IS("sackOK")) {
      o->kind = DRILL_OPT_SACKOK;
    } else if (IS("sack")) {
      o->kind = DRILL_OPT_SACK;
      for (;;) {
        skip_ws(p);
        if (!isdigit((unsigned char)cur(p))) break;
        if (o->nblocks >= 4) {
          fail_at(p, p->i, "at most 4 SACK blocks");
          return false;
        }
        if (!read_u32(p, &o->blocks[o->nblocks][0], "SACK left edge")) return false;
        if (cur(p) != ':') {
          fail_at(p, p->i, "expected ':' in a SACK block");
          return false;
        }
        p->i++;
        if (!read_u32(p, &o->blocks[o->nblocks][1], "SACK right edge")) return false;
        o->nblocks++;
      }
      if (o->nblocks == 0) {
        fail_at(p, st, "sack needs at least one block L:R");
        return false;
      }
    } else if (IS("TS")) {
      o->kind = DRILL_OPT_TS;
      skip_ws(p);
      if (!accept_word(p, "val")) {
        fail_at(p, p->i, "expected 'val' after TS");
        return false;
      }
      if (!read_u32(p, &o->v1, "TS val")) return false;
      skip_ws(p);
      if (!accept_word(p, "ecr")) {
        fail_at(p, p->i, "expected 'ecr' after TS val");
        return false;
      }
      if (!read_u32(p, &o->v2, "TS ecr")) return false;
    } else if (IS("FO") || IS("FOEXP")) {
      o->kind = IS("FO") ? DRILL_OPT_FO : DRILL_OPT_FOEXP;
      skip_ws(p);
      size_t hs = p->i;
      while (hexval(cur(p)) >= 0) p->i++;
      size_t hl = p->i - hs;
      if (hl % 2 || hl / 2 > sizeof o->fo) {
        fail_at(p, hs, "fast-open cookie must be 0..16 bytes of hex");
        return false;
      }
      for (size_t k = 0; k < hl / 2; k++)
        o->fo[k] = (uint8_t)(hexval(p->s[hs + 2 * k]) * 16 + hexval(p->s[hs + 2 * k + 1]));
      o->fo_len = (uint8_t)(hl / 2);
    } else if (IS("md5")) {
      /* RFC 2385: the runner signs (checks) it with the script's TCP_MD5SIG key. */
      o->kind = DRILL_OPT_MD5;
      skip_ws(p);
      if (cur(p) != ',' && cur(p) != '>') {
        unsupported_at(p, st, "TCP option 'md5' with a written digest not supported (write md5 alone: the runner signs)");
        while (p->i < p->n && cur(p) != ',' && cur(p) != '>') p->i++;
      }
    } else {
      /* Other kinds (exp-fo, mptcp...): the runner cannot build or compare them. */
      unsupported_at(p, st, "TCP option '%.*s' not supported", (int)wl, w);
      o->kind = DRILL_OPT_NOP;
      /* skip its arguments up to ',' or '>' */
      while (p->i < p->n && cur(p) != ',' && cur(p) != '>') p->i++;
    }
#undef IS
    pk->nopts++;
    skip_ws(p);
    if (cur(p) == ',') {
      p->i++;
    } else if (cur(p) != '>') {
      fail_at(p, p->i, "expected ',' or '>' in the option list");
      return false;
    }
  }
}

/* S:E(L), with optional trailing '!' when allow_raw. */
static bool parse_range(parser_t *p, drill_packet_t *pk, bool allow_raw) {
  size_t st = p->i;
  if (cur(p) == '.' && at(p, 1) == '.' && at(p, 2) == '.') {
    p->i += 3;
    pk->seq_mode = DRILL_SEQ_ANY;
    if (cur(p) != '(') {
      fail_at(p, p->i, "expected '(' after '...'");
      return false;
    }
    p->i++;
    if (!read_u32(p, &pk->len, "length")) return false;
    if (cur(p) != ')') {
      fail_at(p, p->i, "expected ')'");
      return false;
    }
    p->i++;
    return true;
  }
  if (!read_u32(p, &pk->start, "start sequence")) return false;
  if (cur(p) != ':') {
    fail_at(p, p->i, "expected ':' in START:END(LEN)");
    return false;
  }
  p->i++;
  if (!read_u32(p, &pk->end, "end sequence")) return false;
  if (cur(p) != '(') {
    fail_at(p, p->i, "expected '(' in START:END(LEN)");
    return false;
  }
  p->i++;
  if (!read_u32(p, &pk->len, "length")) return false;
  if (cur(p) != ')') {
    fail_at(p, p->i, "expected ')' in START:END(LEN)");
    return false;
  }
  p->i++;
  if ((uint32_t)(pk->start + pk->len) != pk->end) {
    fail_at(p, st, "END must be START + LEN (%u + %u != %u)", pk->start, pk->len, pk->end);
    return false;
  }
  if (pk->len > 65535) {
    fail_at(p, st, "length %u is larger than an IP packet", pk->len);
    return false;
  }
  if (allow_raw && cur(p) == '!') {
    p->i++;
    pk->seq_mode = DRILL_SEQ_RAW;
  }
  return true;
}

/* 'udp (LEN)' (packetdrill's UDP line: the ports are the flow's) and synack's extension
 * 'sport N' / 'dport N' after it (a datagram of another port of the peer, or to another port of
 * the stack). The same form without the extension is quoted by an ICMP error: '[udp (LEN)]'. */
static bool parse_udp(parser_t *p, drill_packet_t *pk, bool ports) {
  pk->udp = true;
  skip_ws(p);
  if (cur(p) != '(') {
    fail_at(p, p->i, "expected '(' after 'udp'");
    return false;
  }
  p->i++;
  size_t st = p->i;
  if (!read_u32(p, &pk->len, "length")) return false;
  skip_ws(p);
  if (cur(p) != ')') {
    fail_at(p, p->i, "expected ')' after the UDP length");
    return false;
  }
  p->i++;
  /* RFC 768: the length field is 16 bits, header included; IPv6 jumbograms are not written */
  if (pk->len > 65535 - 8) {
    fail_at(p, st, "UDP length %u does not fit a datagram", pk->len);
    return false;
  }
  for (;;) {
    skip_ws(p);
    if (p->failed) return false;
    bool sp = ports && !pk->has_sport && accept_word(p, "sport");
    bool dp = !sp && ports && !pk->has_dport && accept_word(p, "dport");
    if (!sp && !dp) break;
    uint32_t v;
    skip_ws(p);
    size_t vst = p->i;
    if (!read_u32(p, &v, sp ? "sport" : "dport")) return false;
    if (v == 0 || v > 65535) {
      fail_at(p, vst, "port %u out of range", v);
      return false;
    }
    if (sp) {
      pk->has_sport = true;
      pk->sport = (uint16_t)v;
    } else {
      pk->has_dport = true;
      pk->dport = (uint16_t)v;
    }
  }
  return true;
}

static bool parse_icmp(parser_t *p, drill_packet_t *pk) {
  pk->icmp = true;
  skip_ws(p);
  const char *w;
  size_t wl;
  size_t st = p->i;
  if (!read_ident(p, &w, &wl) || wl >= sizeof pk->icmp_type) {
    fail_at(p, st, "expected an ICMP type");
    return false;
  }
  memcpy(pk->icmp_type, w, wl);
  skip_ws(p);
  st = p->i;
  if (is_ident_start(cur(p)) && !accept_word(p, "mtu")) {
    if (!read_ident(p, &w, &wl) || wl >= sizeof pk->icmp_code) {
      fail_at(p, st, "bad ICMP code");
      return false;
    }
    memcpy(pk->icmp_code, w, wl);
    skip_ws(p);
    st = p->i;
    if (accept_word(p, "mtu")) {
      pk->has_mtu = true;
      if (!read_u32(p, &pk->mtu, "mtu")) return false;
    }
  } else if (p->i != st) {
    pk->has_mtu = true;
    if (!read_u32(p, &pk->mtu, "mtu")) return false;
  }
  skip_ws(p);
  if (cur(p) == '[') {
    p->i++;
    skip_ws(p);
    if (accept_word(p, "udp")) {
      /* the quoted datagram is UDP (the flow's ports): '[udp (LEN)]' */
      if (!parse_udp(p, pk, false)) return false;
    } else if (!parse_range(p, pk, false)) {
      return false;
    }
    skip_ws(p);
    if (cur(p) != ']') {
      fail_at(p, p->i, "expected ']' after the quoted range");
      return false;
    }
    p->i++;
    pk->has_quote = true;
  } else if (isdigit((unsigned char)cur(p))) {
    /* a bare quoted range S:E(L) (an event time never has ':') */
    size_t k = p->i;
    while (k < p->n && isdigit((unsigned char)p->s[k])) k++;
    if (k < p->n && p->s[k] == ':') {
      if (!parse_range(p, pk, false)) return false;
      pk->has_quote = true;
    }
  }
  return true;
}

static bool parse_packet(parser_t *p, drill_event_t *ev) {
  drill_packet_t *pk = &ev->pkt;
  pk->dir = cur(p);
  p->i++;
  skip_ws(p);
  if (cur(p) == '(' || cur(p) == '[') {
    if (!parse_ipinfo(p, pk)) return false;
    skip_ws(p);
  }
  if (accept_word(p, "icmp")) return parse_icmp(p, pk);
  if (accept_word(p, "udp")) return parse_udp(p, pk, true);
  size_t st = p->i;
  while (p->i < p->n && strchr("SFRPUEW.-", p->s[p->i]) && p->s[p->i] != '\0') p->i++;
  if (!drill_parse_flags(p->s + st, p->i - st, &pk->flags)) {
    fail_at(p, st, "bad TCP flags (expected e.g. S, S., ., P., F., R, R., -)");
    return false;
  }
  if (p->i < p->n && !isspace((unsigned char)cur(p))) {
    fail_at(p, st, "bad TCP flags (expected e.g. S, S., ., P., F., R, R., -)");
    return false;
  }
  skip_ws(p);
  if (!parse_range(p, pk, true)) return false;
  for (;;) {
    skip_ws(p);
    if (p->failed) return false;
    size_t kst = p->i;
    if (accept_word(p, "ack")) {
      if (pk->has_ack) {
        fail_at(p, kst, "duplicate 'ack'");
        return false;
      }
      pk->has_ack = true;
      if (!read_u32(p, &pk->ack, "ack")) return false;
    } else if (accept_word(p, "win")) {
      pk->has_win = true;
      if (!read_u32(p, &pk->win, "win")) return false;
      if (pk->win > 65535) {
        fail_at(p, kst, "win is the raw 16-bit field (0..65535)");
        return false;
      }
    } else if (accept_word(p, "urg")) {
      pk->has_urg = true;
      if (!read_u32(p, &pk->urg, "urg")) return false;
      if (pk->urg > 65535) {
        fail_at(p, kst, "urg out of range");
        return false;
      }
    } else if (cur(p) == '<') {
      if (pk->opt_mode != DRILL_OPTS_NONE) {
        fail_at(p, kst, "duplicate option list");
        return false;
      }
      if (!parse_options(p, pk)) return false;
    } else {
      break;
    }
  }
  if (pk->dir == '<' && !pk->has_win) {
    fail_at(p, st, "'win N' is required on injected segments");
    return false;
  }
  if (pk->dir == '<' && pk->has_ecn && pk->ecn == DRILL_ECN_ECT01) {
    fail_at(p, st, "'ect01' (either ECT codepoint) is only allowed on '>' lines");
    return false;
  }
  if (pk->dir == '<' && pk->opt_mode == DRILL_OPTS_ANY) {
    fail_at(p, st, "'<...>' is only allowed on '>' lines");
    return false;
  }
  return true;
}

/* ---------------------------------------------------------------- system calls */

static bool parse_expr(parser_t *p, drill_arg_t *a);

/* Whether a struct member written `name=` or `name(SIZE)=` comes next (else a positional one). */
static bool named_member_next(parser_t *p) {
  size_t st = p->i;
  const char *w;
  size_t wl;
  bool named = false;
  if (read_ident(p, &w, &wl)) {
    skip_ws(p);
    named = cur(p) == '=' || cur(p) == '(';
  }
  p->i = st;
  return named;
}

/* {BASE, LEN} with both members positional is packetdrill's short iovec: name them. */
static void name_positional_iovec(drill_arg_t *a) {
  if (a->n != 2 || a->items[0].name[0] || a->items[1].name[0]) return;
  free(a->items[0].name);
  free(a->items[1].name);
  a->items[0].name = xstrndup("iov_base", 8);
  a->items[1].name = xstrndup("iov_len", 7);
}

static bool parse_list(parser_t *p, drill_arg_t *a, char close, bool named) {
  int cap = 4;
  a->items = xcalloc((size_t)cap, sizeof *a->items);
  p->i++;
  for (;;) {
    skip_ws(p);
    if (cur(p) == close) {
      p->i++;
      if (named) name_positional_iovec(a);
      return true;
    }
    if (a->n >= 64) {
      fail_at(p, p->i, "too many elements");
      return false;
    }
    if (a->n == cap) {
      cap *= 2;
      drill_arg_t *ni = xcalloc((size_t)cap, sizeof *ni);
      memcpy(ni, a->items, (size_t)a->n * sizeof *ni);
      free(a->items);
      a->items = ni;
    }
    drill_arg_t *it = &a->items[a->n++];
    if (named && !named_member_next(p)) {
      /* packetdrill's positional iovec {..., LEN}: the members are iov_base and iov_len
       * (named below, once the list is complete); any other positional member keeps an
       * empty name, which every consumer reports as an unknown member */
      it->name = xstrndup("", 0);
    } else if (named) {
      const char *w;
      size_t wl;
      size_t st = p->i;
      if (!read_ident(p, &w, &wl)) {
        fail_at(p, st, "expected a field name");
        return false;
      }
      it->name = xstrndup(w, wl);
      skip_ws(p);
      if (cur(p) == '(') {
        /* packetdrill's sized members: msg_name(...)=..., msg_iov(1)=[...], msg_control(32)=[...] */
        p->i++;
        skip_ws(p);
        it->has_size = true;
        if (cur(p) == '.' && at(p, 1) == '.' && at(p, 2) == '.') {
          p->i += 3;
          it->size = -1;
        } else if (!read_int(p, &it->size)) {
          fail_at(p, p->i, "expected a size or '...' in %s(...)", it->name);
          return false;
        }
        skip_ws(p);
        if (cur(p) != ')') {
          fail_at(p, p->i, "expected ')' after %s(...", it->name);
          return false;
        }
        p->i++;
        skip_ws(p);
      }
      if (cur(p) != '=') {
        fail_at(p, p->i, "expected '=' after the field name");
        return false;
      }
      p->i++;
    }
    if (!parse_expr(p, it)) return false;
    skip_ws(p);
    if (cur(p) == ',') {
      p->i++;
    } else if (cur(p) != close) {
      fail_at(p, p->i, "expected ',' or '%c'", close);
      return false;
    }
  }
}

static bool parse_expr(parser_t *p, drill_arg_t *a);
static void free_arg(drill_arg_t *a);

/* The value functions of packetdrill's sockaddr members: htons(N) / ntohs(N) and htonl(N) /
 * ntohl(N) (byte-swapped as on a little-endian host, which is what packetdrill computes),
 * inet_addr("A") and inet6_addr("A") (kept as the text of the address: the runner uses its own
 * addresses, see drill_call.c). Any other function is a syntax error. */
static bool parse_value_call(parser_t *p, drill_arg_t *a, const char *w, size_t wl, size_t st) {
  static const char *const fns[] = { "htons", "ntohs", "htonl", "ntohl", "inet_addr", "inet6_addr" };
  int fn = -1;
  for (int k = 0; k < 6; k++)
    if (strlen(fns[k]) == wl && memcmp(fns[k], w, wl) == 0) fn = k;
  if (fn < 0) {
    fail_at(p, st, "unknown function %.*s() in a value", (int)wl, w);
    return false;
  }
  p->i++; /* ( */
  drill_arg_t in;
  memset(&in, 0, sizeof in);
  if (!parse_expr(p, &in)) return false;
  skip_ws(p);
  if (cur(p) != ')') {
    free_arg(&in);
    fail_at(p, p->i, "expected ')' after the argument of %.*s()", (int)wl, w);
    return false;
  }
  p->i++;
  bool want_text = fn >= 4;
  if (want_text != (in.kind == DRILL_ARG_STRING) || (!want_text && in.kind != DRILL_ARG_INT)) {
    free_arg(&in);
    fail_at(p, st, want_text ? "%.*s() takes a \"string\"" : "%.*s() takes an integer", (int)wl, w);
    return false;
  }
  if (want_text) {
    *a = in;
    return true;
  }
  uint64_t x = (uint64_t)in.num;
  a->kind = DRILL_ARG_INT;
  a->num = fn < 2 ? (int64_t)(uint16_t)((x >> 8 & 0xff) | (x & 0xff) << 8)
                  : (int64_t)(uint32_t)((x >> 24 & 0xff) | (x >> 8 & 0xff00) | (x & 0xff00) << 8 | (x & 0xff) << 24);
  return true;
}

static bool parse_term(parser_t *p, drill_arg_t *a) {
  size_t st = p->i;
  int64_t v;
  if (cur(p) == '$' && at(p, 1) == '(' && at(p, 2) == '(') {
    /* $((EXPR)): shell arithmetic, as Linux scripts write values such as $((64*1024)) */
    size_t len = drill_arith_len(p->s + p->i, p->n - p->i);
    char why[128];
    if (len == 0) {
      fail_at(p, st, "unterminated $((");
      return false;
    }
    if (drill_arith(p->s + p->i + 3, len - 5, &v, why, sizeof why) != 0) {
      fail_at(p, st, "%s", why);
      return false;
    }
    p->i += len;
    a->kind = DRILL_ARG_INT;
    a->num = v;
    return true;
  }
  if (read_int(p, &v)) {
    a->kind = DRILL_ARG_INT;
    a->num = v;
    return true;
  }
  if (p->failed) return false;
  const char *w;
  size_t wl;
  if (read_ident(p, &w, &wl)) {
    skip_ws(p);
    if (cur(p) == '(') return parse_value_call(p, a, w, wl, st);
    a->kind = DRILL_ARG_SYM;
    a->text = xstrndup(w, wl);
    return true;
  }
  fail_at(p, st, "expected an argument");
  return false;
}

static bool parse_expr(parser_t *p, drill_arg_t *a) {
  skip_ws(p);
  size_t st = p->i;
  if (cur(p) == '.' && at(p, 1) == '.' && at(p, 2) == '.') {
    p->i += 3;
    a->kind = DRILL_ARG_ELLIPSIS;
    return true;
  }
  if (cur(p) == '[') {
    a->kind = DRILL_ARG_ARRAY;
    return parse_list(p, a, ']', false);
  }
  if (cur(p) == '{') {
    a->kind = DRILL_ARG_STRUCT;
    return parse_list(p, a, '}', true);
  }
  if (cur(p) == '"') {
    p->i++;
    size_t s0 = p->i;
    while (p->i < p->n && cur(p) != '"' && cur(p) != '\n') p->i++;
    if (cur(p) != '"') {
      fail_at(p, st, "unterminated string");
      return false;
    }
    a->kind = DRILL_ARG_STRING;
    a->text = xstrndup(p->s + s0, p->i - s0);
    p->i++;
    return true;
  }
  drill_arg_t first;
  memset(&first, 0, sizeof first);
  if (!parse_term(p, &first)) return false;
  skip_ws(p);
  if (cur(p) != '|') {
    first.name = a->name; /* keep the member name set by parse_list */
    *a = first;
    if (a->kind == DRILL_ARG_SYM && strcmp(a->text, "NULL") == 0) {
      free(a->text);
      a->text = NULL;
      a->kind = DRILL_ARG_NULL;
    }
    return true;
  }
  a->kind = DRILL_ARG_OR;
  a->items = xcalloc(16, sizeof *a->items);
  a->items[a->n++] = first;
  while (cur(p) == '|') {
    p->i++;
    skip_ws(p);
    if (a->n >= 16) {
      fail_at(p, p->i, "too many terms");
      return false;
    }
    if (!parse_term(p, &a->items[a->n])) return false;
    a->n++;
    skip_ws(p);
  }
  return true;
}

static bool parse_call(parser_t *p, drill_event_t *ev) {
  const char *w;
  size_t wl;
  size_t st = p->i;
  if (!read_ident(p, &w, &wl)) {
    fail_at(p, st, "expected a system call");
    return false;
  }
  drill_call_t *c = &ev->call;
  c->name = xstrndup(w, wl);
  skip_ws(p);
  if (cur(p) != '(') {
    fail_at(p, p->i, "expected '(' after %s", c->name);
    return false;
  }
  drill_arg_t list;
  memset(&list, 0, sizeof list);
  bool ok = parse_list(p, &list, ')', false);
  c->args = list.items;
  c->nargs = list.n;
  if (!ok) return false;
  skip_ws(p);
  if (cur(p) != '=') {
    fail_at(p, p->i, "expected '= RESULT' after %s(...)", c->name);
    return false;
  }
  p->i++;
  skip_ws(p);
  st = p->i;
  int64_t v;
  if (cur(p) == '$') {
    drill_arg_t t;
    memset(&t, 0, sizeof t);
    if (!parse_term(p, &t)) return false;
    c->result = t.num;
  } else if (read_int(p, &v)) {
    c->result = v;
  } else if (!p->failed && read_ident(p, &w, &wl)) {
    /* a symbol, or symbols joined by '|' (= O_RDWR|O_NONBLOCK), kept as written */
    size_t s0 = st, e0 = p->i;
    for (;;) {
      size_t save = p->i;
      skip_ws(p);
      if (cur(p) != '|') {
        p->i = save;
        break;
      }
      p->i++;
      skip_ws(p);
      if (!read_ident(p, &w, &wl)) {
        fail_at(p, p->i, "expected a symbol after '|' in the result");
        return false;
      }
      e0 = p->i;
    }
    c->result_is_sym = true;
    c->result_sym = xstrndup(p->s + s0, e0 - s0);
    /* drop blanks so that the result reads A|B */
    size_t o = 0;
    for (size_t k = 0; c->result_sym[k]; k++)
      if (!isspace((unsigned char)c->result_sym[k])) c->result_sym[o++] = c->result_sym[k];
    c->result_sym[o] = '\0';
  } else {
    fail_at(p, st, "expected the result of %s", c->name);
    return false;
  }
  skip_ws(p);
  if (is_ident_start(cur(p))) {
    read_ident(p, &w, &wl);
    c->err = xstrndup(w, wl);
    skip_ws(p);
  }
  if (cur(p) == '(') {
    int depth = 0;
    st = p->i;
    do {
      if (cur(p) == '(') depth++;
      if (cur(p) == ')') depth--;
      p->i++;
    } while (p->i < p->n && depth > 0);
    if (depth > 0) {
      fail_at(p, st, "unterminated '(' note");
      return false;
    }
  }
  return true;
}

/* ---------------------------------------------------------------- events */

static drill_event_t *new_event(parser_t *p) {
  drill_script_t *s = p->out;
  if (s->nevents == p->cap_events) {
    int nc = p->cap_events ? p->cap_events * 2 : 64;
    drill_event_t *ne = xcalloc((size_t)nc, sizeof *ne);
    if (s->events) memcpy(ne, s->events, (size_t)s->nevents * sizeof *ne);
    free(s->events);
    s->events = ne;
    p->cap_events = nc;
  }
  drill_event_t *ev = &s->events[s->nevents++];
  memset(ev, 0, sizeof *ev);
  int line, col;
  where(p, p->i, &line, &col);
  ev->line = line;
  ev->col = col;
  return ev;
}

static bool parse_quoted(parser_t *p, drill_event_t *ev) {
  size_t st = p->i;
  if (cur(p) == '`') {
    p->i++;
    size_t s0 = p->i;
    while (p->i < p->n && cur(p) != '`') p->i++;
    if (cur(p) != '`') {
      fail_at(p, st, "unterminated back-quoted command");
      return false;
    }
    ev->kind = DRILL_EV_SHELL;
    /* as the shell does, a backslash before a newline joins the lines (it and the newline go) */
    ev->text = xstrndup(p->s + s0, p->i - s0);
    size_t o = 0;
    for (size_t k = 0; ev->text[k]; k++) {
      if (ev->text[k] == '\\' && ev->text[k + 1] == '\n') {
        k++;
        continue;
      }
      if (ev->text[k] == '\\' && ev->text[k + 1] == '\r' && ev->text[k + 2] == '\n') {
        k += 2;
        continue;
      }
      ev->text[o++] = ev->text[k];
    }
    ev->text[o] = '\0';
    p->i++;
    return true;
  }
  /* %{ ... }% */
  p->i += 2;
  size_t s0 = p->i;
  while (p->i < p->n && !(cur(p) == '}' && at(p, 1) == '%')) p->i++;
  if (p->i >= p->n) {
    fail_at(p, st, "unterminated %%{ block");
    return false;
  }
  ev->kind = DRILL_EV_CODE;
  ev->text = xstrndup(p->s + s0, p->i - s0);
  p->i += 2;
  return true;
}

static void add_hopt(parser_t *p, const char *s, size_t n, int line) {
  drill_script_t *sc = p->out;
  drill_hopt_t *nh = xcalloc((size_t)sc->nhopts + 1, sizeof *nh);
  if (sc->hopts) memcpy(nh, sc->hopts, (size_t)sc->nhopts * sizeof *nh);
  free(sc->hopts);
  sc->hopts = nh;
  drill_hopt_t *h = &sc->hopts[sc->nhopts++];
  const char *eq = memchr(s, '=', n);
  if (eq) {
    h->name = xstrndup(s, (size_t)(eq - s));
    h->value = xstrndup(eq + 1, n - (size_t)(eq - s) - 1);
  } else {
    h->name = xstrndup(s, n);
  }
  h->line = line;
}

static bool parse_events(parser_t *p) {
  bool seen_timed = false;
  int64_t cur_us = 0;     /* script time of the previous event (its start) */
  for (;;) {
    skip_ws(p);
    if (p->failed) return false;
    if (p->i >= p->n) return true;
    char c = cur(p);
    if (!seen_timed && c == '-' && at(p, 1) == '-') {
      size_t st = p->i;
      while (p->i < p->n && !isspace((unsigned char)cur(p))) p->i++;
      int line, col;
      where(p, st, &line, &col);
      add_hopt(p, p->s + st + 2, p->i - st - 2, line);
      continue;
    }
    if (c == '`' || (c == '%' && at(p, 1) == '{')) {
      /* untimed: before the first event or after the last */
      drill_event_t *ev = new_event(p);
      ev->t.kind = DRILL_T_NONE;
      if (!parse_quoted(p, ev)) return false;
      continue;
    }
    /* a timed event */
    if (seen_timed && p->out->nevents > 0 && p->out->events[p->out->nevents - 1].t.kind == DRILL_T_NONE) {
      fail_at(p, p->i, "an untimed command may only come before the first or after the last event");
      return false;
    }
    drill_event_t *ev = new_event(p);
    size_t tpos = p->i;
    if (!read_time(p, &ev->t, true)) return false;
    /* packetdrill allows blanks around '~' and '...' ("0.1 ~ 0.2", "+0 ... 0.3") */
    size_t after_t = p->i;
    skip_blanks(p);
    if (cur(p) == '~') {
      p->i++;
      skip_blanks(p);
      ev->has_range = true;
      if (!read_time(p, &ev->t2, false)) return false;
      if (ev->t.kind == DRILL_T_ANY) {
        fail_at(p, tpos, "'*' cannot start a range");
        return false;
      }
    } else if (cur(p) == '.' && at(p, 1) == '.' && at(p, 2) == '.') {
      p->i += 3;
      skip_blanks(p);
      ev->blocking = true;
      if (!read_time(p, &ev->end, false)) return false;
      if (ev->t.kind == DRILL_T_ANY) {
        fail_at(p, tpos, "'*' cannot start a blocking call");
        return false;
      }
      if (ev->t.kind == DRILL_T_REL && ev->end.kind == DRILL_T_ABS) {
        /* packetdrill: in `+T...E` the end E is relative to the same origin as the start (the
         * previous event), so it moves with the start. Stored relative to the call's start. */
        if (ev->end.us < ev->t.us) {
          fail_at(p, tpos, "a blocking call cannot return before it starts");
          return false;
        }
        ev->end.kind = DRILL_T_REL;
        ev->end.us -= ev->t.us;
      }
    } else {
      p->i = after_t;
    }
    int64_t t_us = ev->t.kind == DRILL_T_ABS ? ev->t.us : cur_us + (ev->t.kind == DRILL_T_REL ? ev->t.us : 0);
    if (ev->t.kind == DRILL_T_ABS && ev->t.us < cur_us) {
      fail_at(p, tpos, "time goes backwards (%.6f s after %.6f s)", (double)ev->t.us / 1e6, (double)cur_us / 1e6);
      return false;
    }
    if (ev->has_range) {
      int64_t t2 = ev->t2.kind == DRILL_T_ABS ? ev->t2.us : cur_us + ev->t2.us;
      if (t2 < t_us) {
        fail_at(p, tpos, "the end of a time window is before its start");
        return false;
      }
    }
    if (ev->blocking) {
      int64_t e = ev->end.kind == DRILL_T_ABS ? ev->end.us : t_us + ev->end.us;
      if (e < t_us) {
        fail_at(p, tpos, "a blocking call cannot return before it starts");
        return false;
      }
    }
    cur_us = t_us;
    seen_timed = true;
    skip_ws(p);
    c = cur(p);
    bool ok;
    if (c == '<' || c == '>') {
      ev->kind = DRILL_EV_PACKET;
      ok = parse_packet(p, ev);
      if (ok && ev->pkt.dir == '<' && (ev->t.kind == DRILL_T_ANY || ev->has_range)) {
        fail_at(p, tpos, "'*' and time windows are only allowed on '>' lines");
        ok = false;
      }
    } else if (c == '`' || (c == '%' && at(p, 1) == '{')) {
      ok = parse_quoted(p, ev);
    } else if (is_ident_start(c)) {
      ev->kind = DRILL_EV_CALL;
      ok = parse_call(p, ev);
    } else {
      fail_at(p, p->i, "expected a packet ('<' or '>'), a system call, a `command` or %%{ }%%");
      ok = false;
    }
    if (!ok) return false;
    if (ev->kind != DRILL_EV_PACKET && (ev->t.kind == DRILL_T_ANY || ev->has_range)) {
      fail_at(p, tpos, "'*' and time windows are only allowed on '>' lines");
      return false;
    }
    if (ev->blocking && ev->kind != DRILL_EV_CALL) {
      fail_at(p, tpos, "'T...E' is only allowed on system calls");
      return false;
    }
  }
}

/* ---------------------------------------------------------------- preprocessing */

static bool defined_name(const drill_define_t *defs, int ndefs, const char *w, size_t wl) {
  for (int k = 0; k < ndefs; k++)
    if (strlen(defs[k].name) == wl && memcmp(defs[k].name, w, wl) == 0) return true;
  return false;
}

/* #ifdef/#ifndef/#else/#endif (no nesting): disabled lines become empty, keeping line numbers. */
static char *preprocess_ifdef(const char *path, const char *text, const drill_define_t *defs, int ndefs, char *err,
                              size_t errcap) {
  size_t n = strlen(text);
  char *o = xcalloc(n + 1, 1);
  size_t oi = 0;
  int line = 1;
  int depth = 0;
  bool active = true;
  const char *s = text;
  while (*s) {
    const char *eol = strchr(s, '\n');
    size_t len = eol ? (size_t)(eol - s) : strlen(s);
    const char *q = s;
    while (q < s + len && (*q == ' ' || *q == '\t')) q++;
    bool directive = false;
    if (*q == '#') {
      const char *d = q + 1;
      while (d < s + len && (*d == ' ' || *d == '\t')) d++;
      const char *dw = d;
      while (d < s + len && isalpha((unsigned char)*d)) d++;
      size_t dl = (size_t)(d - dw);
      while (d < s + len && (*d == ' ' || *d == '\t')) d++;
      const char *nw = d;
      while (d < s + len && is_ident_char(*d)) d++;
      size_t nl = (size_t)(d - nw);
      if ((dl == 5 && memcmp(dw, "ifdef", 5) == 0) || (dl == 6 && memcmp(dw, "ifndef", 6) == 0)) {
        if (depth > 0) {
          snprintf(err, errcap, "%s:%d:%d: nested #ifdef is not supported", path, line, (int)(q - s) + 1);
          free(o);
          return NULL;
        }
        if (nl == 0) {
          snprintf(err, errcap, "%s:%d:%d: #%.*s needs a name", path, line, (int)(q - s) + 1, (int)dl, dw);
          free(o);
          return NULL;
        }
        depth = 1;
        bool def = defined_name(defs, ndefs, nw, nl);
        active = dl == 5 ? def : !def;
        directive = true;
      } else if (dl == 4 && memcmp(dw, "else", 4) == 0) {
        if (depth == 0) {
          snprintf(err, errcap, "%s:%d:%d: #else without #ifdef", path, line, (int)(q - s) + 1);
          free(o);
          return NULL;
        }
        active = !active;
        directive = true;
      } else if (dl == 5 && memcmp(dw, "endif", 5) == 0) {
        if (depth == 0) {
          snprintf(err, errcap, "%s:%d:%d: #endif without #ifdef", path, line, (int)(q - s) + 1);
          free(o);
          return NULL;
        }
        depth = 0;
        active = true;
        directive = true;
      }
    }
    if (!directive && active) {
      memcpy(o + oi, s, len);
      oi += len;
    }
    if (!eol) break;
    o[oi++] = '\n';
    s = eol + 1;
    line++;
  }
  if (depth) {
    snprintf(err, errcap, "%s:%d:1: missing #endif", path, line);
    free(o);
    return NULL;
  }
  o[oi] = '\0';
  return o;
}

/* -D NAME=VAL: whole-word substitution outside comments. */
static char *substitute(const char *text, const drill_define_t *defs, int ndefs) {
  size_t cap = strlen(text) + 1, oi = 0;
  char *o = xcalloc(cap, 1);
  const char *s = text;
  while (*s) {
    const char *add = s;
    size_t addn = 1;
    size_t adv = 1;
    if (s[0] == '/' && s[1] == '/') {
      const char *e = strchr(s, '\n');
      addn = adv = e ? (size_t)(e - s) : strlen(s);
    } else if (is_ident_start(*s) && (s == text || !is_ident_char(s[-1]))) {
      size_t wl = 0;
      while (is_ident_char(s[wl])) wl++;
      addn = adv = wl;
      for (int k = 0; k < ndefs; k++) {
        if (defs[k].value && strlen(defs[k].name) == wl && memcmp(defs[k].name, s, wl) == 0) {
          add = defs[k].value;
          addn = strlen(add);
          break;
        }
      }
    }
    if (oi + addn + 1 > cap) {
      cap = (oi + addn + 1) * 2;
      char *no = xcalloc(cap, 1);
      memcpy(no, o, oi);
      free(o);
      o = no;
    }
    memcpy(o + oi, add, addn);
    oi += addn;
    s += adv;
  }
  o[oi] = '\0';
  return o;
}

int drill_parse(const char *path, const char *text, const drill_define_t *defs, int ndefs, drill_script_t *out,
                char *err, size_t errcap) {
  memset(out, 0, sizeof *out);
  out->path = path;
  if (errcap) err[0] = '\0';
  char *pre = preprocess_ifdef(path, text, defs, ndefs, err, errcap);
  if (!pre) return -1;
  char *sub = substitute(pre, defs, ndefs);
  free(pre);
  parser_t p;
  memset(&p, 0, sizeof p);
  p.path = path;
  p.s = sub;
  p.n = strlen(sub);
  p.lc_line = 1;
  p.lc_col = 1;
  p.err = err;
  p.errcap = errcap;
  p.out = out;
  bool ok = parse_events(&p);
  free(sub);
  if (!ok || p.failed) {
    if (!p.failed) snprintf(err, errcap, "%s: parse error", path);
    drill_script_free(out);
    return -1;
  }
  return 0;
}

static void free_arg(drill_arg_t *a) {
  for (int k = 0; k < a->n; k++) free_arg(&a->items[k]);
  free(a->items);
  free(a->text);
  free(a->name);
}

void drill_script_free(drill_script_t *s) {
  for (int k = 0; k < s->nevents; k++) {
    drill_event_t *ev = &s->events[k];
    free(ev->text);
    free(ev->call.name);
    for (int j = 0; j < ev->call.nargs; j++) free_arg(&ev->call.args[j]);
    free(ev->call.args);
    free(ev->call.result_sym);
    free(ev->call.err);
  }
  free(s->events);
  for (int k = 0; k < s->nhopts; k++) {
    free(s->hopts[k].name);
    free(s->hopts[k].value);
  }
  free(s->hopts);
  const char *path = s->path;
  memset(s, 0, sizeof *s);
  s->path = path;
}
