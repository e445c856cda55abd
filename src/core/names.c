/* Names for codes: errors, drop reasons, counters, trace kinds. */
#include "synack/counters.h"
#include "synack/trace.h"
#include "synack/types.h"

typedef struct { int code; const char *name; const char *text; } err_name_t;

static const err_name_t err_names[] = {
  { SYNACK_EPERM, "EPERM", "operation not permitted" },
  { SYNACK_ENOENT, "ENOENT", "no such entry" },
  { SYNACK_EBADF, "EBADF", "bad socket handle" },
  { SYNACK_EAGAIN, "EAGAIN", "resource temporarily unavailable" },
  { SYNACK_ENOMEM, "ENOMEM", "out of memory" },
  { SYNACK_EACCES, "EACCES", "permission denied" },
  { SYNACK_EFAULT, "EFAULT", "bad address" },
  { SYNACK_EBUSY, "EBUSY", "busy" },
  { SYNACK_EINVAL, "EINVAL", "invalid argument" },
  { SYNACK_EMFILE, "EMFILE", "too many sockets" },
  { SYNACK_ENOSPC, "ENOSPC", "no space left" },
  { SYNACK_EPIPE, "EPIPE", "broken pipe" },
  { SYNACK_ENOMSG, "ENOMSG", "no message of desired type" },
  { SYNACK_EPROTO, "EPROTO", "protocol error" },
  { SYNACK_EDESTADDRREQ, "EDESTADDRREQ", "destination address required" },
  { SYNACK_EMSGSIZE, "EMSGSIZE", "message too long" },
  { SYNACK_ENOPROTOOPT, "ENOPROTOOPT", "option not available" },
  { SYNACK_EPROTONOSUPPORT, "EPROTONOSUPPORT", "protocol not supported" },
  { SYNACK_EOPNOTSUPP, "EOPNOTSUPP", "operation not supported" },
  { SYNACK_EAFNOSUPPORT, "EAFNOSUPPORT", "address family not supported" },
  { SYNACK_EADDRINUSE, "EADDRINUSE", "address already in use" },
  { SYNACK_EADDRNOTAVAIL, "EADDRNOTAVAIL", "cannot assign requested address" },
  { SYNACK_ENETUNREACH, "ENETUNREACH", "network unreachable" },
  { SYNACK_ECONNABORTED, "ECONNABORTED", "connection aborted" },
  { SYNACK_ECONNRESET, "ECONNRESET", "connection reset by peer" },
  { SYNACK_ENOBUFS, "ENOBUFS", "no buffer space" },
  { SYNACK_EISCONN, "EISCONN", "already connected" },
  { SYNACK_ENOTCONN, "ENOTCONN", "not connected" },
  { SYNACK_ETIMEDOUT, "ETIMEDOUT", "connection timed out" },
  { SYNACK_ECONNREFUSED, "ECONNREFUSED", "connection refused" },
  { SYNACK_EHOSTUNREACH, "EHOSTUNREACH", "no route to host" },
  { SYNACK_EALREADY, "EALREADY", "operation already in progress" },
  { SYNACK_EINPROGRESS, "EINPROGRESS", "operation in progress" },
  { SYNACK_EEXIST, "EEXIST", "already exists" },
  { SYNACK_EKEYREJECTED, "EKEYREJECTED", "key was rejected" },
};

static const err_name_t *find_err(int err) {
  if (err < 0) err = -err;
  for (size_t i = 0; i < sizeof err_names / sizeof err_names[0]; i++)
    if (err_names[i].code == err) return &err_names[i];
  return NULL;
}

const char *synack_strerror(int err) {
  if (err == 0) return "success";
  const err_name_t *e = find_err(err);
  return e ? e->text : "unknown error";
}

const char *synack_errno_name(int err) {
  const err_name_t *e = find_err(err);
  return e ? e->name : NULL;
}

static const char *const drop_names[] = {
#define SYNACK_X_(name, desc) #name,
  SYNACK_DROP_REASONS(SYNACK_X_)
#undef SYNACK_X_
};
static const char *const drop_descs[] = {
#define SYNACK_X_(name, desc) desc,
  SYNACK_DROP_REASONS(SYNACK_X_)
#undef SYNACK_X_
};
static const char *const counter_names[] = {
#define SYNACK_X_(name, desc) #name,
  SYNACK_EVENT_COUNTERS(SYNACK_X_)
#undef SYNACK_X_
};

const char *synack_drop_reason_name(synack_drop_reason_t r) {
  return (unsigned)r < SYNACK_DROP__COUNT ? drop_names[r] : "?";
}
const char *synack_drop_reason_desc(synack_drop_reason_t r) {
  return (unsigned)r < SYNACK_DROP__COUNT ? drop_descs[r] : "?";
}
const char *synack_counter_name(synack_counter_t c) {
  return (unsigned)c < SYNACK_CTR__COUNT ? counter_names[c] : "?";
}

const char *synack_trace_kind_name(synack_trace_kind_t k) {
  switch (k) {
    case SYNACK_TRACE_FRAME_IN: return "in";
    case SYNACK_TRACE_FRAME_OUT: return "out";
    case SYNACK_TRACE_FRAME_DROP: return "drop";
    case SYNACK_TRACE_STATE: return "state";
    case SYNACK_TRACE_TIMER: return "timer";
    case SYNACK_TRACE_NOTE: return "note";
  }
  return "?";
}
