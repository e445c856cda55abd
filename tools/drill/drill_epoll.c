/* epoll for `synack drill`: epoll_create, epoll_create1, epoll_ctl and epoll_wait emulated on
 * the socket API. An epoll instance is an fd label like a socket; its interest list holds the
 * registered sockets' labels with their events and epoll_data. Readiness is synack_poll's, in
 * Linux's bits (drill_poll_bits: the same bits poll() reports); the stack's events
 * (synack_stack_next_event, seen in drill_synack.c's collect) are the wakeups that edge-triggered
 * entries wait for. Semantics follow Linux's epoll(7):
 * - level-triggered: an entry is reported while (readiness & (events | EPOLLERR | EPOLLHUP)) != 0;
 * - EPOLLET: reported once per wakeup (a stack event on the socket, or the ADD/MOD itself),
 *   with the readiness at the time of epoll_wait; then not again until the next wakeup;
 * - EPOLLONESHOT: after one report the entry is disabled until EPOLL_CTL_MOD re-arms it;
 * - errors as Linux: EEXIST (ADD twice), ENOENT (MOD/DEL of an unregistered fd), EBADF
 *   (unknown fd), EINVAL (not an epoll fd, the epoll fd itself, maxevents <= 0, EPOLLEXCLUSIVE
 *   with MOD). Closing a socket removes it from every interest list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_int.h"

#define EP_CTL_ADD 1
#define EP_CTL_DEL 2
#define EP_CTL_MOD 3
#define EP_CLOEXEC 0x80000
#define EP_EEXIST 17 /* Linux's errno value, as every SYNACK_E* */
#define EP_ERR 0x8
#define EP_HUP 0x10
/* event bits a socket can report (EPOLLIN|PRI|OUT|ERR|HUP|RDNORM|RDBAND|WRNORM|WRBAND|MSG|RDHUP) */
#define EP_EVENT_BITS 0x27ffu
#define EP_FLAG_BITS (DRILL_EPOLLET | DRILL_EPOLLONESHOT | DRILL_EPOLLEXCLUSIVE | DRILL_EPOLLWAKEUP)

static drill_epoll_t *epoll_of(drill_run_t *r, drill_fd_t *f) { return f && f->epoll ? &r->epolls[f->epoll - 1] : NULL; }

static drill_epoll_reg_t *find_reg(drill_epoll_t *ep, int label) {
  for (int k = 0; k < ep->nregs; k++)
    if (ep->regs[k].label == label) return &ep->regs[k];
  return NULL;
}

void drill_epoll_wakeup(drill_run_t *r, int sock) {
  for (int k = 0; k < r->nfds; k++) {
    if (r->fds[k].epoll || r->fds[k].sock != sock) continue;
    for (int e = 0; e < DRILL_MAX_EPOLL; e++) {
      drill_epoll_reg_t *g = r->epolls[e].used ? find_reg(&r->epolls[e], r->fds[k].label) : NULL;
      if (g) g->edge = true;
    }
  }
}

/* The data member of an epoll_event written as a struct: fd=, u32=, u64= or ptr=. */
static bool event_struct(drill_run_t *r, const char *call, const drill_arg_t *s, int64_t *events, bool *has_events,
                         uint64_t *data, bool *has_data) {
  *has_events = *has_data = false;
  if (s->kind != DRILL_ARG_STRUCT) {
    drill_unsupported(r, "%s: an event must be written {events=..., fd=...} (or u32=, u64=)", call);
    return false;
  }
  for (int k = 0; k < s->n; k++) {
    const drill_arg_t *m = &s->items[k];
    if (m->kind == DRILL_ARG_ELLIPSIS) continue;
    int64_t v;
    if (strcmp(m->name, "events") == 0) {
      if (!drill_arg_int(r, m, &v)) return false;
      *events = v;
      *has_events = true;
    } else if (strcmp(m->name, "fd") == 0 || strcmp(m->name, "u32") == 0 || strcmp(m->name, "u64") == 0 ||
               strcmp(m->name, "ptr") == 0 || strcmp(m->name, "data") == 0) {
      if (!drill_arg_int(r, m, &v)) return false;
      *data = (uint64_t)v;
      *has_data = true;
    } else {
      drill_unsupported(r, "%s: unknown epoll_event member %s", call, m->name);
      return false;
    }
  }
  return true;
}

static int new_instance(drill_run_t *r, const drill_call_t *c, int64_t *ret) {
  for (int e = 0; e < DRILL_MAX_EPOLL; e++) {
    if (r->epolls[e].used) continue;
    int label = c->result >= 0 ? (int)c->result : 2000 + e;
    drill_fd_t *f = drill_fd_new(r, label, -1);
    if (!f) break;
    memset(&r->epolls[e], 0, sizeof r->epolls[e]);
    r->epolls[e].used = true;
    f->epoll = e + 1;
    *ret = label;
    return 0;
  }
  drill_unsupported(r, "%s: more than %d epoll instances or fds", c->name, DRILL_MAX_EPOLL);
  return -1;
}

static void epoll_ctl(drill_run_t *r, const drill_call_t *c, int64_t *ret) {
  int64_t epl, op, fdl;
  if (c->nargs != 4) {
    drill_fail(r, "epoll_ctl() takes 4 arguments, got %d", c->nargs);
    return;
  }
  if (!drill_arg_int(r, &c->args[0], &epl) || !drill_arg_int(r, &c->args[1], &op) ||
      !drill_arg_int(r, &c->args[2], &fdl))
    return;
  int64_t events = 0;
  uint64_t data = (uint64_t)fdl;
  bool has_events = false, has_data = false;
  const drill_arg_t *ea = &c->args[3];
  if (op != EP_CTL_DEL && ea->kind != DRILL_ARG_NULL) {
    if (ea->kind == DRILL_ARG_ARRAY && ea->n == 1) ea = &ea->items[0];
    if (!event_struct(r, "epoll_ctl", ea, &events, &has_events, &data, &has_data)) return;
    if (!has_data) data = (uint64_t)fdl; /* without a data member, report the fd (as scripts read it) */
  }
  if (events & ~(int64_t)(EP_EVENT_BITS | EP_FLAG_BITS)) {
    drill_unsupported(r, "epoll_ctl: events 0x%llx not supported", (unsigned long long)events);
    return;
  }
  if (events & DRILL_EPOLLWAKEUP) {
    drill_unsupported(r, "epoll_ctl: EPOLLWAKEUP (system suspend) not emulated");
    return;
  }
  drill_fd_t *epf = drill_fd(r, (int)epl), *f = drill_fd(r, (int)fdl);
  drill_epoll_t *ep = epoll_of(r, epf);
  if (!epf || !f) {
    *ret = -SYNACK_EBADF;
    return;
  }
  if (!ep || epf == f) {
    *ret = -SYNACK_EINVAL;
    return;
  }
  if (f->epoll) {
    drill_unsupported(r, "epoll_ctl: an epoll fd inside an epoll instance is not emulated");
    return;
  }
  drill_epoll_reg_t *g = find_reg(ep, (int)fdl);
  switch (op) {
  case EP_CTL_ADD:
    if (g) {
      *ret = -EP_EEXIST;
      return;
    }
    if (op != EP_CTL_DEL && ea->kind == DRILL_ARG_NULL) {
      *ret = -SYNACK_EFAULT;
      return;
    }
    if (ep->nregs == (int)(sizeof ep->regs / sizeof ep->regs[0])) {
      drill_unsupported(r, "epoll_ctl: interest list full");
      return;
    }
    g = &ep->regs[ep->nregs++];
    break;
  case EP_CTL_MOD:
    if (!g) {
      *ret = -SYNACK_ENOENT;
      return;
    }
    if ((events | g->events) & DRILL_EPOLLEXCLUSIVE) {
      *ret = -SYNACK_EINVAL; /* Linux: EPOLLEXCLUSIVE cannot be modified */
      return;
    }
    break;
  case EP_CTL_DEL:
    if (!g) {
      *ret = -SYNACK_ENOENT;
      return;
    }
    *g = ep->regs[--ep->nregs];
    *ret = 0;
    return;
  default: *ret = -SYNACK_EINVAL; return;
  }
  g->label = (int)fdl;
  g->events = (uint32_t)events;
  g->data = data;
  g->disabled = false;
  /* ADD and MOD look at the file at once: a ready file is reported even when edge-triggered */
  g->edge = true;
  *ret = 0;
}

typedef struct {
  uint32_t events;
  uint64_t data;
} ready_t;

static bool epoll_wait(drill_run_t *r, const drill_event_t *ev, const drill_pending_t *pend, bool blocking,
                       int64_t *ret) {
  const drill_call_t *c = &ev->call;
  int64_t epl, maxev, timeout;
  if (c->nargs != 4) {
    drill_fail(r, "epoll_wait() takes 4 arguments, got %d", c->nargs);
    return true;
  }
  if (!drill_arg_int(r, &c->args[0], &epl) || !drill_arg_int(r, &c->args[2], &maxev) ||
      !drill_arg_int(r, &c->args[3], &timeout))
    return true;
  drill_fd_t *epf = drill_fd(r, (int)epl);
  drill_epoll_t *ep = epoll_of(r, epf);
  if (!epf) {
    *ret = -SYNACK_EBADF;
    return true;
  }
  if (!ep || maxev <= 0) {
    *ret = -SYNACK_EINVAL;
    return true;
  }
  /* what is ready now, without consuming edges yet */
  ready_t got[64];
  int idx[64];
  int n = 0;
  for (int k = 0; k < ep->nregs && n < maxev && n < 64; k++) {
    drill_epoll_reg_t *g = &ep->regs[k];
    drill_fd_t *f = drill_fd(r, g->label);
    if (!f || g->disabled) continue;
    if ((g->events & DRILL_EPOLLET) && !g->edge) continue;
    uint32_t bits = drill_poll_bits(r, f) & ((g->events & EP_EVENT_BITS) | EP_ERR | EP_HUP);
    if (r->done) return true;
    if (!bits) {
      g->edge = false; /* a wakeup for events not asked for is dropped (Linux's wakeup key test) */
      continue;
    }
    got[n].events = bits;
    got[n].data = g->data;
    idx[n++] = k;
  }
  if (n == 0 && blocking) {
    if (timeout < 0 || r->now < pend->start + (synack_time_t)timeout * 1000u) return false;
  }
  for (int k = 0; k < n; k++) {
    drill_epoll_reg_t *g = &ep->regs[idx[k]];
    g->edge = false;
    if (g->events & DRILL_EPOLLONESHOT) g->disabled = true;
  }
  *ret = n;
  /* the events written: {events=..., fd=...} or [{...}, ...] (or ...): each must match one
   * returned entry (same data, same events); the order of several is not compared */
  const drill_arg_t *ea = &c->args[1];
  if (ea->kind == DRILL_ARG_ELLIPSIS || ea->kind == DRILL_ARG_NULL) return true;
  const drill_arg_t *list = ea->kind == DRILL_ARG_ARRAY ? ea->items : ea;
  int nw = ea->kind == DRILL_ARG_ARRAY ? ea->n : 1;
  bool used[64] = { false };
  for (int w = 0; w < nw && w < n && !r->done; w++) {
    int64_t wev = 0;
    uint64_t wdata = 0;
    bool he, hd;
    if (!event_struct(r, "epoll_wait", &list[w], &wev, &he, &wdata, &hd)) return true;
    int hit = -1;
    for (int k = 0; k < n && hit < 0; k++)
      if (!used[k] && (!hd || got[k].data == wdata) && (!he || got[k].events == (uint32_t)wev)) hit = k;
    if (hit >= 0) {
      used[hit] = true;
      continue;
    }
    char gs[256] = "", ws[128];
    size_t gl = 0;
    for (int k = 0; k < n; k++) {
      char e[128];
      drill_event_names(got[k].events, true, e, sizeof e);
      int m = snprintf(gs + gl, sizeof gs - gl, "%s{events=%s, data=%llu}", k ? ", " : "", e,
                       (unsigned long long)got[k].data);
      if (m > 0) gl = gl + (size_t)m >= sizeof gs ? sizeof gs - 1 : gl + (size_t)m;
    }
    drill_event_names((uint32_t)wev, true, ws, sizeof ws);
    drill_fail(r, "epoll_wait: no returned event matches {events=%s, data=%llu}; returned: %s", he ? ws : "...",
               (unsigned long long)wdata, n ? gs : "none");
  }
  return true;
}

bool drill_epoll_call(drill_run_t *r, const drill_event_t *ev, drill_pending_t *pend, bool blocking, int64_t *ret) {
  const drill_call_t *c = &ev->call;
  *ret = 0;
  if (strcmp(c->name, "epoll_create") == 0 || strcmp(c->name, "epoll_create1") == 0) {
    int64_t arg;
    if (c->nargs != 1) {
      drill_fail(r, "%s() takes 1 argument, got %d", c->name, c->nargs);
      return true;
    }
    if (!drill_arg_int(r, &c->args[0], &arg)) return true;
    bool one = c->name[12] == '1';
    /* epoll_create(size): size > 0 (otherwise unused); epoll_create1(flags): EPOLL_CLOEXEC only */
    if ((!one && arg <= 0) || (one && (arg & ~(int64_t)EP_CLOEXEC))) {
      *ret = -SYNACK_EINVAL;
      return true;
    }
    if (new_instance(r, c, ret) == 0 && one && (arg & EP_CLOEXEC)) drill_fd(r, (int)*ret)->cloexec = true;
    return true;
  }
  if (strcmp(c->name, "epoll_ctl") == 0) {
    epoll_ctl(r, c, ret);
    return true;
  }
  if (strcmp(c->name, "epoll_wait") == 0) return epoll_wait(r, ev, pend, blocking, ret);
  drill_unsupported(r, "system call %s() not supported", c->name);
  return true;
}
