/* Shell arithmetic for `synack drill`: $((EXPR)) as Linux scripts write it in shell lines and
 * values ($((64*1024)), $((1<<20))). C's operators and precedence on 64-bit integers (shift
 * counts mod 64, wrap-around like the shell), numbers in decimal, 0x hex and 0 octal; no
 * variables (nothing would set them) and no assignment. A recursive descent over the
 * precedence levels; errors are messages, never a guess. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"

typedef struct {
  const char *s;
  size_t i, n;
  const char *err;
} arith_t;

static void ar_ws(arith_t *a) {
  while (a->i < a->n && isspace((unsigned char)a->s[a->i])) a->i++;
}

/* Consumes operator op when it is next (and not the start of a longer one in `longer`). */
static bool ar_op(arith_t *a, const char *op, const char *longer) {
  ar_ws(a);
  size_t k = strlen(op);
  if (a->i + k > a->n || memcmp(a->s + a->i, op, k) != 0) return false;
  if (longer && a->i + k < a->n && strchr(longer, a->s[a->i + k])) return false;
  a->i += k;
  return true;
}

static int64_t ar_expr(arith_t *a, int level);

static int64_t ar_unary(arith_t *a) {
  ar_ws(a);
  if (a->err) return 0;
  if (ar_op(a, "-", NULL)) return -ar_unary(a);
  if (ar_op(a, "+", NULL)) return ar_unary(a);
  if (ar_op(a, "~", NULL)) return ~ar_unary(a);
  if (ar_op(a, "!", "=")) return !ar_unary(a);
  if (ar_op(a, "(", NULL)) {
    int64_t v = ar_expr(a, 0);
    if (!ar_op(a, ")", NULL) && !a->err) a->err = "expected ')' in $(( ))";
    return v;
  }
  if (a->i < a->n && isdigit((unsigned char)a->s[a->i])) {
    /* shell numbers: 0x hex, leading 0 octal, else decimal */
    char *end;
    const char *st = a->s + a->i;
    unsigned long long x = strtoull(st, &end, 0);
    if ((size_t)(end - a->s) > a->n || (isalnum((unsigned char)*end) || *end == '_')) {
      a->err = "malformed number in $(( ))";
      return 0;
    }
    a->i = (size_t)(end - a->s);
    return (int64_t)x;
  }
  a->err = a->i < a->n && (isalpha((unsigned char)a->s[a->i]) || a->s[a->i] == '_') ? "shell variables in $(( )) are not supported"
                                                            : "expected a number in $(( ))";
  return 0;
}

/* Binary operators by precedence level, lowest first (as in C and the shell). */
static int64_t ar_expr(arith_t *a, int level) {
  static const char *const ops[][4] = {
    { "||", NULL }, { "&&", NULL }, { "|", NULL }, { "^", NULL }, { "&", NULL },
    { "==", "!=", NULL }, { "<=", ">=", "<", ">" }, { "<<", ">>", NULL }, { "+", "-", NULL },
    { "*", "/", "%", NULL },
  };
  const int nlevels = (int)(sizeof ops / sizeof ops[0]);
  if (level == nlevels) return ar_unary(a);
  int64_t v = ar_expr(a, level + 1);
  for (;;) {
    if (a->err) return 0;
    const char *op = NULL;
    for (int k = 0; k < 4 && ops[level][k] && !op; k++) {
      const char *o = ops[level][k];
      /* "|" must not take "||", "&" not "&&", "<" not "<<" or "<=" */
      const char *longer = strcmp(o, "|") == 0 ? "|" : strcmp(o, "&") == 0 ? "&"
                           : strcmp(o, "<") == 0 ? "<=" : strcmp(o, ">") == 0 ? ">=" : NULL;
      if (ar_op(a, o, longer)) op = o;
    }
    if (!op) return v;
    int64_t w = ar_expr(a, level + 1);
    if (a->err) return 0;
    if ((strcmp(op, "/") == 0 || strcmp(op, "%") == 0) && w == 0) {
      a->err = "division by zero in $(( ))";
      return 0;
    }
    uint64_t uv = (uint64_t)v, uw = (uint64_t)w;
    if (strcmp(op, "||") == 0) v = v || w;
    else if (strcmp(op, "&&") == 0) v = v && w;
    else if (strcmp(op, "|") == 0) v = v | w;
    else if (strcmp(op, "^") == 0) v = v ^ w;
    else if (strcmp(op, "&") == 0) v = v & w;
    else if (strcmp(op, "==") == 0) v = v == w;
    else if (strcmp(op, "!=") == 0) v = v != w;
    else if (strcmp(op, "<=") == 0) v = v <= w;
    else if (strcmp(op, ">=") == 0) v = v >= w;
    else if (strcmp(op, "<") == 0) v = v < w;
    else if (strcmp(op, ">") == 0) v = v > w;
    else if (strcmp(op, "<<") == 0) v = (int64_t)(uv << (uw & 63));
    else if (strcmp(op, ">>") == 0) v = v >> (uw & 63);
    else if (strcmp(op, "+") == 0) v = (int64_t)(uv + uw);
    else if (strcmp(op, "-") == 0) v = (int64_t)(uv - uw);
    else if (strcmp(op, "*") == 0) v = (int64_t)(uv * uw);
    else if (strcmp(op, "/") == 0) v = (v == INT64_MIN && w == -1) ? v : v / w;
    else v = (v == INT64_MIN && w == -1) ? 0 : v % w;
  }
}

int drill_arith(const char *s, size_t n, int64_t *v, char *why, size_t whycap) {
  arith_t a = { s, 0, n, NULL };
  int64_t x = ar_expr(&a, 0);
  ar_ws(&a);
  if (!a.err && a.i != n) a.err = "unexpected text in $(( ))";
  if (a.err) {
    snprintf(why, whycap, "%s", a.err);
    return -1;
  }
  *v = x;
  return 0;
}

size_t drill_arith_len(const char *s, size_t n) {
  if (n < 5 || memcmp(s, "$((", 3) != 0) return 0;
  int depth = 0;
  for (size_t k = 3; k + 1 < n; k++) {
    if (s[k] == '\n') return 0;
    if (s[k] == '(') depth++;
    if (s[k] == ')') {
      if (depth == 0) return s[k + 1] == ')' ? k + 2 : 0;
      depth--;
    }
  }
  return 0;
}
