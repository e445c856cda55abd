/* Socket options whose value is not a plain int, and what they mean for the runner's blocking
 * calls: SO_RCVTIMEO / SO_SNDTIMEO ({tv_sec=S, tv_usec=U}). synack never blocks, so the runner
 * emulates blocking calls (drill_run.c); these options bound how long such a call waits, as
 * Linux's sock_rcvtimeo()/sock_sndtimeo() do (docs/drill.md "Blocking calls"). */
#include <string.h>

#include "drill_int.h"

#define D_EDOM 33

/* Linux's sock_set_timeout(): microseconds round up to the next jiffy (1 ms with HZ=1000,
 * which the runner assumes); a negative tv_sec means "no timeout"; tv_usec outside
 * [0, 1000000) is EDOM. */
static bool timeval_ms(drill_run_t *r, const char *n, const drill_arg_t *va, int *ms, int64_t *err) {
  int64_t sec = 0, usec = 0;
  if (va->kind != DRILL_ARG_STRUCT) {
    drill_unsupported(r, "%s: a timeout must be written {tv_sec=S, tv_usec=U}", n);
    return false;
  }
  for (int j = 0; j < va->n; j++) {
    const char *mn = va->items[j].name;
    if (!mn || (strcmp(mn, "tv_sec") != 0 && strcmp(mn, "tv_usec") != 0)) {
      drill_unsupported(r, "%s: unknown timeval member %s", n, mn ? mn : "(positional)");
      return false;
    }
    if (!drill_arg_int(r, &va->items[j], strcmp(mn, "tv_sec") == 0 ? &sec : &usec)) return false;
  }
  *err = 0;
  if (usec < 0 || usec >= 1000000) {
    *err = -D_EDOM;
    return true;
  }
  if (sec < 0) sec = usec = 0;
  int64_t v = sec * 1000 + (usec + 999) / 1000;
  *ms = v > INT32_MAX ? INT32_MAX : (int)v;
  return true;
}

bool drill_timeo_opt(drill_run_t *r, const char *n, drill_fd_t *f, synack_sockopt_t o, const drill_arg_t *va, bool set,
                     int64_t *ret) {
  if (set) {
    int ms = 0;
    int64_t err;
    if (!timeval_ms(r, n, va, &ms, &err)) return true;
    *ret = err ? err : r->tg->setsockopt(r, f->sock, o, ms);
    return true;
  }
  int ms = 0;
  *ret = r->tg->getsockopt(r, f->sock, o, &ms);
  if (*ret != 0 || va->kind == DRILL_ARG_ELLIPSIS) return true;
  if (va->kind != DRILL_ARG_STRUCT) {
    drill_unsupported(r, "%s: a timeout must be written {tv_sec=S, tv_usec=U}", n);
    return true;
  }
  for (int j = 0; j < va->n; j++) {
    const char *mn = va->items[j].name;
    int64_t want, got;
    if (!mn || (strcmp(mn, "tv_sec") != 0 && strcmp(mn, "tv_usec") != 0)) {
      drill_unsupported(r, "%s: unknown timeval member %s", n, mn ? mn : "(positional)");
      return true;
    }
    if (!drill_arg_int(r, &va->items[j], &want)) return true;
    got = strcmp(mn, "tv_sec") == 0 ? ms / 1000 : (int64_t)(ms % 1000) * 1000;
    if (got != want) {
      drill_fail(r, "%s %s %s=%lld, expected %lld", n, o == SYNACK_SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO", mn,
                 (long long)got, (long long)want);
      return true;
    }
  }
  return true;
}

bool drill_timeo_expired(drill_run_t *r, const drill_fd_t *f, drill_pending_t *pend, synack_sockopt_t o) {
  if (!pend) return false;
  if (pend->timeo_end == 0) {
    /* looked up once, when the call first would block: the value at that moment counts */
    int ms = 0;
    pend->timeo_end = r->tg->getsockopt(r, f->sock, o, &ms) == 0 && ms > 0
                          ? pend->start + (synack_time_t)ms * 1000u
                          : SYNACK_TIME_NEVER;
  }
  return r->now >= pend->timeo_end;
}

bool drill_saved_syn_opt(drill_run_t *r, const char *n, drill_fd_t *f, const drill_arg_t *va, const drill_arg_t *lenarg,
                         int64_t *ret) {
  if (va->kind != DRILL_ARG_ELLIPSIS) {
    drill_unsupported(r, "%s TCP_SAVED_SYN: the headers are not compared: write ... and their length [N]", n);
    return true;
  }
  int len = 0;
  *ret = r->tg->getsockopt(r, f->sock, SYNACK_TCP_SAVED_SYN, &len);
  if (*ret != 0 || lenarg->kind == DRILL_ARG_ELLIPSIS) return true;
  const drill_arg_t *inner = lenarg->kind == DRILL_ARG_ARRAY && lenarg->n == 1 ? &lenarg->items[0] : lenarg;
  int64_t want;
  if (!drill_arg_int(r, inner, &want)) return true;
  if (want != len) drill_fail(r, "%s TCP_SAVED_SYN: %d bytes of headers, expected %lld", n, len, (long long)want);
  return true;
}
