/* recvmsg(fd, MSG, MSG_ERRQUEUE) in `synack drill` (docs/drill.md "The error queue"): one
 * report of the socket's error queue, as packetdrill writes it:
 *
 *   recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE,
 *               msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING,
 *                             cmsg_data={scm_sec=0,scm_nsec=0}},
 *                            {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR,
 *                             cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING,
 *                                        ee_type=0, ee_code=0, ee_info=SCM_TSTAMP_SND,
 *                                        ee_data=1999}}]}, MSG_ERRQUEUE) = 0
 *
 * The control messages the call returned are compared with the list, in order: the software
 * timestamp (when SOF_TIMESTAMPING_SOFTWARE asked for it) and the extended error. A written
 * scm_sec/scm_nsec other than 0 is the script time of the event, compared with the tolerance;
 * 0 is not compared (hardware stamps are 0 too). An empty queue answers -1 EAGAIN. */
#include <stdio.h>
#include <string.h>

#include "drill_int.h"

#define E_MSG_ERRQUEUE 0x2000
#define E_MSG_TRUNC 0x20

static const drill_arg_t *field(const drill_arg_t *s, const char *name) {
  for (int k = 0; s && s->kind == DRILL_ARG_STRUCT && k < s->n; k++)
    if (s->items[k].name && strcmp(s->items[k].name, name) == 0) return &s->items[k];
  return NULL;
}

/* packetdrill's CMSG_LEVEL_IP / CMSG_TYPE_RECVERR follow the script's IP version. */
static bool cmsg_num(drill_run_t *r, const drill_arg_t *a, int64_t *v) {
  bool v6 = r->family == SYNACK_AF_INET6 && !r->mapped;
  if (a->kind == DRILL_ARG_SYM && strcmp(a->text, "CMSG_LEVEL_IP") == 0) {
    *v = v6 ? 41 : 0;
    return true;
  }
  if (a->kind == DRILL_ARG_SYM && strcmp(a->text, "CMSG_TYPE_RECVERR") == 0) {
    *v = v6 ? 25 : 11;
    return true;
  }
  return drill_arg_int(r, a, v);
}

/* Compares one written member (absent or `...`: anything) with the value the call returned. */
static void check(drill_run_t *r, const drill_arg_t *data, const char *name, int64_t got) {
  const drill_arg_t *a = field(data, name);
  int64_t want;
  if (!a || a->kind == DRILL_ARG_ELLIPSIS || r->done) return;
  if (!drill_arg_int(r, a, &want)) return;
  if (want != got) drill_fail(r, "recvmsg(MSG_ERRQUEUE): %s = %lld, expected %lld", name, (long long)got, (long long)want);
}

static void check_time(drill_run_t *r, const drill_arg_t *data, const synack_sock_err_t *e) {
  const drill_arg_t *sa = field(data, "scm_sec"), *na = field(data, "scm_nsec");
  int64_t sec = 0, nsec = 0;
  if ((sa && sa->kind != DRILL_ARG_ELLIPSIS && !drill_arg_int(r, sa, &sec)) ||
      (na && na->kind != DRILL_ARG_ELLIPSIS && !drill_arg_int(r, na, &nsec)))
    return;
  int64_t want = sec * 1000000 + nsec / 1000;
  if (want == 0) return;
  int64_t got = (int64_t)(e->time - r->base);
  int64_t tol = r->tol_us > 0 ? r->tol_us : 4000;
  if (got < want - tol - r->clock_slack_us || got > want + tol)
    drill_fail(r, "recvmsg(MSG_ERRQUEUE): the timestamp is at %lld us, expected %lld us (tolerance %lld)",
               (long long)got, (long long)want, (long long)tol);
}

bool drill_recv_errqueue(drill_run_t *r, drill_fd_t *f, const drill_arg_t *msg, int64_t flags, int64_t *ret) {
  if (flags & ~(int64_t)(E_MSG_ERRQUEUE | 0x40 /* MSG_DONTWAIT */)) {
    drill_unsupported(r, "recvmsg(MSG_ERRQUEUE): flags 0x%llx not supported", (unsigned long long)flags);
    return true;
  }
  if (f->udp) {
    drill_unsupported(r, "recvmsg(MSG_ERRQUEUE) on a UDP socket not supported");
    return true;
  }
  if (msg->kind != DRILL_ARG_STRUCT) {
    drill_unsupported(r, "recvmsg: the message must be written {msg_name(...)=..., msg_iov(N)=[...], ...}");
    return true;
  }
  int64_t len = 0, want_flags = 0;
  bool has_flags = false;
  const drill_arg_t *ctl = NULL;
  for (int k = 0; k < msg->n; k++) {
    const drill_arg_t *it = &msg->items[k];
    if (strcmp(it->name, "msg_iov") == 0 && it->kind == DRILL_ARG_ARRAY) {
      for (int j = 0; j < it->n; j++) {
        const drill_arg_t *l = field(&it->items[j], "iov_len");
        int64_t x = 0;
        if (!l || !drill_arg_int(r, l, &x)) {
          if (!r->done) drill_unsupported(r, "recvmsg(MSG_ERRQUEUE): each iovec needs iov_len");
          return true;
        }
        len += x;
      }
    } else if (strcmp(it->name, "msg_flags") == 0 && it->kind != DRILL_ARG_ELLIPSIS) {
      if (!drill_arg_int(r, it, &want_flags)) return true;
      has_flags = true;
    } else if (strcmp(it->name, "msg_control") == 0) {
      ctl = it;
    } else if (strcmp(it->name, "msg_name") != 0 && strcmp(it->name, "msg_namelen") != 0 &&
               strcmp(it->name, "msg_iovlen") != 0 && strcmp(it->name, "msg_controllen") != 0 &&
               strcmp(it->name, "msg_iov") != 0) {
      drill_unsupported(r, "recvmsg: unknown msghdr member %s", it->name);
      return true;
    }
  }
  if (len < 0 || len > 65536) {
    drill_unsupported(r, "recvmsg(MSG_ERRQUEUE): length %lld out of range", (long long)len);
    return true;
  }
  r->last_conn_label = f->label;
  synack_sock_err_t e;
  int mflags = 0;
  int64_t got = r->tg->recv_err(r, f->sock, (size_t)len, &e, &mflags);
  *ret = got;
  if (got < 0) return true;
  if (has_flags && want_flags != mflags && !r->done)
    drill_fail(r, "recvmsg(MSG_ERRQUEUE): msg_flags = 0x%x, expected 0x%llx", mflags, (unsigned long long)want_flags);
  if (!ctl || ctl->kind == DRILL_ARG_ELLIPSIS || r->done) return true;
  if (ctl->kind != DRILL_ARG_ARRAY) {
    drill_unsupported(r, "recvmsg(MSG_ERRQUEUE): msg_control must be a list [{cmsg_level=..., ...}, ...]");
    return true;
  }
  /* what the call returned, in the kernel's order: the timestamp, then the error */
  int have = (e.has_time ? 1 : 0) + 1;
  if (ctl->n != have) {
    drill_fail(r, "recvmsg(MSG_ERRQUEUE): %d control messages returned (%s), %d expected", have,
               e.has_time ? "SCM_TIMESTAMPING and RECVERR" : "RECVERR", ctl->n);
    return true;
  }
  for (int j = 0; j < ctl->n && !r->done; j++) {
    const drill_arg_t *cm = &ctl->items[j];
    const drill_arg_t *lv = field(cm, "cmsg_level"), *ty = field(cm, "cmsg_type"), *da = field(cm, "cmsg_data");
    int64_t l, t;
    if (!lv || !ty || !cmsg_num(r, lv, &l) || !cmsg_num(r, ty, &t)) {
      if (!r->done) drill_unsupported(r, "recvmsg(MSG_ERRQUEUE): each control message needs cmsg_level and cmsg_type");
      return true;
    }
    bool ts = j == 0 && e.has_time;
    bool v6 = r->family == SYNACK_AF_INET6 && !r->mapped;
    if (ts ? !(l == 1 && t == 37) : !(l == (v6 ? 41 : 0) && t == (v6 ? 25 : 11))) {
      if (l == 1 && t == 37) drill_fail(r, "recvmsg(MSG_ERRQUEUE): no SCM_TIMESTAMPING was returned (SOF_TIMESTAMPING_SOFTWARE?)");
      else drill_fail(r, "recvmsg(MSG_ERRQUEUE): control message %d is %s, not %lld/%lld", j + 1,
                      ts ? "SOL_SOCKET/SCM_TIMESTAMPING" : "the RECVERR", (long long)l, (long long)t);
      return true;
    }
    if (!da || da->kind == DRILL_ARG_ELLIPSIS) continue;
    if (da->kind != DRILL_ARG_STRUCT) {
      drill_unsupported(r, "recvmsg(MSG_ERRQUEUE): cmsg_data must be {scm_sec=..., scm_nsec=...} or {ee_errno=..., ...}");
      return true;
    }
    if (ts) {
      check_time(r, da, &e);
      continue;
    }
    check(r, da, "ee_errno", e.err);
    check(r, da, "ee_origin", e.origin);
    check(r, da, "ee_type", 0);
    check(r, da, "ee_code", e.code);
    check(r, da, "ee_info", e.info);
    check(r, da, "ee_data", e.data);
  }
  return true;
}
