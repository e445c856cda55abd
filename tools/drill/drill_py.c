/* `%{ }%` blocks of `synack drill`: the small part of Python that packetdrill scripts write in
 * them, evaluated against the TCP_INFO snapshot of the block's socket (docs/drill.md "Code
 * blocks"). Statements, one per line or separated by ';':
 *   assert EXPR [, MESSAGE]   fails the run when EXPR is false (MESSAGE only labels it)
 *   NAME = EXPR               a variable, kept for the later blocks of the run
 *   print(...) / print ...    shown with --verbose only; nothing is checked
 *   pass, # comments
 * EXPR: integers, True/False, tcpi_* fields, variables, the runner's symbols (TCP_ESTABLISHED,
 * TCPI_OPT_SACK, TCP_CA_Loss...), ( ), unary - + ~ not, ** * / // % + - << >> & ^ |,
 * comparisons (chained as in Python: 1 <= x <= 3), and, or. Values are doubles (every tcpi_*
 * value is exact in one), so `/` divides as Python 3 does. Anything else is UNSUPPORTED,
 * never guessed. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_int.h"

typedef struct {
  drill_run_t *r;
  const synack_tcp_info_t *ti;
  const char *s;
  size_t i;
  bool bad;          /* reported UNSUPPORTED */
  char used[160];    /* "tcpi_x is 3, ..." for a failing assert's message */
} py_t;

/* Linux's congestion-avoidance states of tcpi_ca_state (include/uapi/linux/tcp.h). */
static const struct {
  const char *name;
  int v;
} ca_states[] = { { "TCP_CA_Open", 0 }, { "TCP_CA_Disorder", 1 }, { "TCP_CA_CWR", 2 },
                  { "TCP_CA_Recovery", 3 }, { "TCP_CA_Loss", 4 } };

static void py_unsupported(py_t *p, const char *what) {
  if (!p->bad) drill_unsupported(p->r, "%%{ }%% %s: '%s'", what, p->s);
  p->bad = true;
}

static void ws(py_t *p) {
  while (p->s[p->i] == ' ' || p->s[p->i] == '\t') p->i++;
}

/* Consumes op when it comes next and is not the start of a longer operator (`notnext`). */
static bool op(py_t *p, const char *o, const char *notnext) {
  ws(p);
  size_t k = strlen(o);
  if (strncmp(p->s + p->i, o, k) != 0) return false;
  if (notnext && p->s[p->i + k] && strchr(notnext, p->s[p->i + k])) return false;
  if (isalpha((unsigned char)o[0]) && (isalnum((unsigned char)p->s[p->i + k]) || p->s[p->i + k] == '_')) return false;
  p->i += k;
  return true;
}

static double expr(py_t *p);

static double name_value(py_t *p, const char *name) {
  if (strcmp(name, "True") == 0) return 1;
  if (strcmp(name, "False") == 0) return 0;
  for (int k = 0; k < p->r->npyvars; k++)
    if (strcmp(p->r->pyvars[k].name, name) == 0) return p->r->pyvars[k].v;
  int64_t v;
  if (strncmp(name, "tcpi_", 5) == 0) {
    if (!drill_tcpi_field(p->ti, name, &v)) {
      if (!p->bad) drill_unsupported(p->r, "TCP_INFO field %s not available", name);
      p->bad = true;
      return 0;
    }
    size_t l = strlen(p->used);
    if (!strstr(p->used, name) && l + strlen(name) + 32 < sizeof p->used)
      snprintf(p->used + l, sizeof p->used - l, "%s%s is %lld", l ? ", " : "", name, (long long)v);
    return (double)v;
  }
  for (size_t k = 0; k < sizeof ca_states / sizeof ca_states[0]; k++)
    if (strcmp(ca_states[k].name, name) == 0) return ca_states[k].v;
  if (drill_symbol(name, &v)) return (double)v;
  if (!p->bad) drill_unsupported(p->r, "%%{ }%%: unknown name %s", name);
  p->bad = true;
  return 0;
}

static double atom(py_t *p) {
  ws(p);
  const char *c = p->s + p->i;
  if (*c == '(') {
    p->i++;
    double v = expr(p);
    if (!op(p, ")", NULL)) py_unsupported(p, "expected ')'");
    return v;
  }
  if (isdigit((unsigned char)*c)) {
    char *end;
    double v = (c[0] == '0' && (c[1] == 'x' || c[1] == 'X')) ? (double)strtoull(c, &end, 16) : strtod(c, &end);
    if (isalpha((unsigned char)*end) || *end == '_') py_unsupported(p, "malformed number");
    p->i += (size_t)(end - c);
    return v;
  }
  if (isalpha((unsigned char)*c) || *c == '_') {
    size_t k = 0;
    char name[64];
    while ((isalnum((unsigned char)c[k]) || c[k] == '_') && k + 1 < sizeof name) {
      name[k] = c[k];
      k++;
    }
    name[k] = '\0';
    p->i += k;
    ws(p);
    if (p->s[p->i] == '(' || p->s[p->i] == '.' || p->s[p->i] == '[') {
      py_unsupported(p, "function calls, attributes and subscripts are not supported");
      return 0;
    }
    return name_value(p, name);
  }
  py_unsupported(p, "expected a value");
  return 0;
}

static int64_t as_int(py_t *p, double v) {
  if (v != floor(v) || fabs(v) > 9e15) py_unsupported(p, "a bitwise operation on a non-integer");
  return (int64_t)v;
}

static double power(py_t *p) {
  double b = atom(p);
  if (op(p, "**", NULL)) {
    /* right-associative, and binds tighter than a unary minus on its left */
    ws(p);
    double e;
    if (op(p, "-", NULL)) e = -power(p);
    else e = power(p);
    return pow(b, e);
  }
  return b;
}

static double unary(py_t *p) {
  if (op(p, "-", NULL)) return -unary(p);
  if (op(p, "+", NULL)) return unary(p);
  if (op(p, "~", NULL)) return (double)~as_int(p, unary(p));
  return power(p);
}

static double term(py_t *p) {
  double v = unary(p);
  for (;;) {
    if (op(p, "//", NULL)) {
      double d = unary(p);
      if (d == 0) py_unsupported(p, "division by zero");
      else v = floor(v / d);
    } else if (op(p, "*", "*")) {
      v *= unary(p);
    } else if (op(p, "/", NULL)) {
      double d = unary(p);
      if (d == 0) py_unsupported(p, "division by zero");
      else v /= d;
    } else if (op(p, "%", NULL)) {
      double d = unary(p);
      if (d == 0) py_unsupported(p, "division by zero");
      else v = v - floor(v / d) * d; /* Python's modulo takes the divisor's sign */
    } else {
      return v;
    }
  }
}

static double sum(py_t *p) {
  double v = term(p);
  for (;;) {
    if (op(p, "+", NULL)) v += term(p);
    else if (op(p, "-", NULL)) v -= term(p);
    else return v;
  }
}

static double shift(py_t *p) {
  double v = sum(p);
  for (;;) {
    if (op(p, "<<", NULL)) {
      int64_t s = as_int(p, sum(p));
      if (s < 0 || s > 62) py_unsupported(p, "a shift count out of 0..62");
      else v = (double)(int64_t)((uint64_t)as_int(p, v) << s);
    } else if (op(p, ">>", NULL)) {
      int64_t s = as_int(p, sum(p));
      if (s < 0 || s > 62) py_unsupported(p, "a shift count out of 0..62");
      else v = (double)(as_int(p, v) >> s);
    } else {
      return v;
    }
  }
}

static double band(py_t *p) {
  double v = shift(p);
  while (op(p, "&", NULL)) v = (double)(as_int(p, v) & as_int(p, shift(p)));
  return v;
}

static double bxor(py_t *p) {
  double v = band(p);
  while (op(p, "^", NULL)) v = (double)(as_int(p, v) ^ as_int(p, band(p)));
  return v;
}

static double bor(py_t *p) {
  double v = bxor(p);
  while (op(p, "|", NULL)) v = (double)(as_int(p, v) | as_int(p, bxor(p)));
  return v;
}

/* a < b <= c: every pair holds (Python's chained comparison) */
static double compare(py_t *p) {
  double left = bor(p);
  bool all = true, any = false;
  for (;;) {
    int kind;
    if (op(p, "==", NULL)) kind = 0;
    else if (op(p, "!=", NULL)) kind = 1;
    else if (op(p, "<=", NULL)) kind = 2;
    else if (op(p, ">=", NULL)) kind = 3;
    else if (op(p, "<", NULL)) kind = 4;
    else if (op(p, ">", NULL)) kind = 5;
    else break;
    double right = bor(p);
    bool ok = kind == 0 ? left == right : kind == 1 ? left != right : kind == 2 ? left <= right
            : kind == 3 ? left >= right : kind == 4 ? left < right : left > right;
    all = all && ok;
    any = true;
    left = right;
  }
  return any ? (all ? 1 : 0) : left;
}

static double lnot(py_t *p) {
  if (op(p, "not", NULL)) return lnot(p) == 0 ? 1 : 0;
  return compare(p);
}

static double land(py_t *p) {
  double v = lnot(p);
  while (op(p, "and", NULL)) {
    double w = lnot(p); /* evaluated anyway: a name it uses must exist */
    v = v != 0 ? w : v;
  }
  return v;
}

static double expr(py_t *p) {
  double v = land(p);
  while (op(p, "or", NULL)) {
    double w = land(p);
    v = v != 0 ? v : w;
  }
  return v;
}

static void set_var(drill_run_t *r, const char *name, double v) {
  for (int k = 0; k < r->npyvars; k++)
    if (strcmp(r->pyvars[k].name, name) == 0) {
      r->pyvars[k].v = v;
      return;
    }
  if (r->npyvars == DRILL_MAX_PYVARS) {
    drill_unsupported(r, "%%{ }%%: more than %d variables", DRILL_MAX_PYVARS);
    return;
  }
  snprintf(r->pyvars[r->npyvars].name, sizeof r->pyvars[0].name, "%s", name);
  r->pyvars[r->npyvars++].v = v;
}

/* The end of the expression: a ',' outside parentheses (assert's message) or the end. */
static size_t expr_end(const char *s) {
  int depth = 0;
  for (size_t k = 0; s[k]; k++) {
    if (s[k] == '(') depth++;
    else if (s[k] == ')') depth--;
    else if (s[k] == ',' && depth == 0) return k;
    else if (s[k] == '"' || s[k] == '\'') return strlen(s); /* a message string: not ours to parse */
  }
  return strlen(s);
}

static void statement(drill_run_t *r, char *st, const synack_tcp_info_t *ti) {
  py_t p = { .r = r, .ti = ti, .s = st };
  if (strcmp(st, "pass") == 0) return;
  if (strncmp(st, "print", 5) == 0 && (st[5] == '(' || st[5] == ' ')) {
    if (r->o->verbose) printf("  %10s   %%{ %s }%%\n", "", st);
    return;
  }
  if (strncmp(st, "assert", 6) == 0 && (st[6] == ' ' || st[6] == '(')) {
    char cond[256];
    size_t e = expr_end(st + 6);
    snprintf(cond, sizeof cond, "%.*s", (int)e, st + 6);
    py_t q = { .r = r, .ti = ti, .s = cond };
    double v = expr(&q);
    ws(&q);
    if (!q.bad && q.s[q.i]) py_unsupported(&q, "statement not supported");
    if (q.bad) return;
    char *c = cond;
    while (*c == ' ') c++;
    size_t cl = strlen(c);
    while (cl && c[cl - 1] == ' ') c[--cl] = '\0';
    if (v == 0) drill_fail(r, "assert %s failed%s%s", c, q.used[0] ? ": " : "", q.used);
    return;
  }
  /* NAME = EXPR */
  size_t k = 0;
  while (isalnum((unsigned char)st[k]) || st[k] == '_') k++;
  size_t eq = k;
  while (st[eq] == ' ') eq++;
  if (k > 0 && k < sizeof r->pyvars[0].name && !isdigit((unsigned char)st[0]) && st[eq] == '=' && st[eq + 1] != '=' &&
      strncmp(st, "tcpi_", 5) != 0) {
    p.i = eq + 1;
    double v = expr(&p);
    ws(&p);
    if (!p.bad && p.s[p.i]) py_unsupported(&p, "statement not supported");
    if (p.bad) return;
    st[k] = '\0';
    set_var(r, st, v);
    return;
  }
  py_unsupported(&p, "statement not supported (assert, NAME = EXPR, print, pass)");
}

/* The end of a statement: ';' or the end of the line, outside quotes; a '#' outside quotes
 * starts a comment that runs to the end of the line (its ';' separates nothing). */
static const char *stmt_end(const char *s, const char **next) {
  char q = 0;
  const char *e = s;
  for (; *e && *e != '\n'; e++) {
    if (q) {
      if (*e == q) q = 0;
    } else if (*e == '"' || *e == '\'') {
      q = *e;
    } else if (*e == ';') {
      *next = e + 1;
      return e;
    } else if (*e == '#') {
      const char *c = e;
      while (*e && *e != '\n') e++;
      *next = *e ? e + 1 : e;
      return c;
    }
  }
  *next = *e ? e + 1 : e;
  return e;
}

void drill_py_block(drill_run_t *r, const char *code, const synack_tcp_info_t *ti) {
  const char *s = code;
  while (*s && !r->done) {
    const char *next;
    const char *e = stmt_end(s, &next);
    char st[256];
    size_t len = (size_t)(e - s);
    if (len >= sizeof st) len = sizeof st - 1;
    memcpy(st, s, len);
    st[len] = '\0';
    char *t = st;
    while (isspace((unsigned char)*t)) t++;
    size_t tl = strlen(t);
    while (tl && isspace((unsigned char)t[tl - 1])) t[--tl] = '\0';
    if (*t) statement(r, t, ti);
    s = next;
  }
}
