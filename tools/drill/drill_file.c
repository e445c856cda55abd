/* Files and pipes in `synack drill` scripts (packetdrill's open, pipe, sendfile and splice), for
 * the sendfile/ and splice/ scripts of Linux's suite:
 *   open("/tmp/NAME", FLAGS[, MODE]) = FD       a real file (under /tmp only) or /dev/zero,
 *                                              /dev/null, read-only
 *   pipe([R, W]) = 0, pipe2([R, W], FLAGS) = 0  a real pipe
 *   write/read/close/lseek/ftruncate/fcntl on them (write puts the stream pattern's bytes)
 *   sendfile(SOCK, FD, NULL | [OFF], COUNT)     file -> socket
 *   splice(PIPE_R, NULL, SOCK, NULL, LEN, FLAGS) pipe -> socket
 *   splice(SOCK, NULL, PIPE_W, NULL, LEN, FLAGS) socket -> pipe
 * A script's /tmp/NAME is NAME in a directory private to the run (created at the first open,
 * removed with its files at the end), so runs at the same time never share a file.
 * Files and pipes are the host's in both targets; what moves between them and a socket goes
 * through the target: on the kernel target the real sendfile()/splice() (drill_kernel.c), on
 * the synack target a copy through the stack's send and receive calls (below), so the stack
 * sees an ordinary write or read of those bytes. The bytes a socket sends from a file or pipe
 * are not the stream pattern, so the payload check skips their stream range
 * (drill_out_unchecked). */
#define _GNU_SOURCE /* pipe2, F_GETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "drill_int.h"

#define FILE_IO_MAX (1u << 20) /* bytes one call moves at most (the runner's buffer) */
#define D_SPLICE_F_NONBLOCK 0x02

static bool nargs(drill_run_t *r, const drill_call_t *c, int lo, int hi) {
  if (c->nargs >= lo && c->nargs <= hi) return true;
  drill_fail(r, "%s() takes %d..%d arguments, got %d", c->name, lo, hi, c->nargs);
  return false;
}

static drill_fd_t *arg_fd(drill_run_t *r, const drill_call_t *c, int k) {
  int64_t label;
  if (c->nargs <= k || c->args[k].kind != DRILL_ARG_INT || !drill_arg_int(r, &c->args[k], &label)) return NULL;
  return drill_fd(r, (int)label);
}

static int os_fd(const drill_fd_t *f) { return f->os - 1; }

/* Where a script may open a file: its own temporary files, and the read-only devices. A script
 * must not reach the host's other files (scripts run as root for the kernel target). */
static bool path_allowed(const char *p, int64_t flags) {
  if (strstr(p, "/../") || strstr(p, "/./")) return false;
  if (strncmp(p, "/tmp/", 5) == 0 && p[5] && !strchr(p + 5, '/')) return true;
  bool ro = (flags & 3) == 0;
  return ro && (strcmp(p, "/dev/zero") == 0 || strcmp(p, "/dev/null") == 0 || strcmp(p, "/dev/urandom") == 0);
}

static drill_fd_t *new_os_fd(drill_run_t *r, int label, int fd, bool pipe_end) {
  drill_fd_t *f = drill_fd_new(r, label, -1);
  if (!f) {
    close(fd);
    drill_unsupported(r, "too many file descriptors");
    return NULL;
  }
  f->os = fd + 1;
  f->pipe_end = pipe_end;
  return f;
}

void drill_file_close(drill_run_t *r, drill_fd_t *f) {
  (void)r;
  if (!f->os) return;
  close(os_fd(f));
  f->os = 0;
  free(f->carry);
  f->carry = NULL;
  f->ncarry = 0;
}

void drill_files_cleanup(drill_run_t *r) {
  for (int k = 0; k < r->nfds; k++) drill_file_close(r, &r->fds[k]);
  if (!r->tmpdir[0]) return;
  DIR *d = opendir(r->tmpdir);
  struct dirent *e;
  char path[sizeof r->tmpdir + 256];
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", r->tmpdir, e->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  rmdir(r->tmpdir);
  r->tmpdir[0] = 0;
}

/* The host path of a script path allowed by path_allowed (false: no private directory). */
static bool host_path(drill_run_t *r, const char *p, char *out, size_t cap) {
  if (strncmp(p, "/tmp/", 5) != 0) {
    snprintf(out, cap, "%s", p);
    return true;
  }
  if (!r->tmpdir[0]) {
    snprintf(r->tmpdir, sizeof r->tmpdir, "/tmp/synack-drill-XXXXXX");
    if (!mkdtemp(r->tmpdir)) {
      r->tmpdir[0] = 0;
      return false;
    }
  }
  return snprintf(out, cap, "%s/%s", r->tmpdir, p + 5) < (int)cap;
}

/* The stream range [from, from + n) of the flow's sending side came from a file or pipe. */
static void unchecked(drill_run_t *r, uint32_t from, int64_t n) {
  if (n <= 0) return;
  uint32_t to = from + (uint32_t)n;
  if (r->nnocheck > 0 && r->nocheck[r->nnocheck - 1].hi == from) {
    r->nocheck[r->nnocheck - 1].hi = to;
    return;
  }
  if (r->nnocheck == DRILL_MAX_NOCHECK) {
    /* out of slots: the last range grows to cover this one (checks less, never wrongly) */
    r->nocheck[r->nnocheck - 1].hi = to;
    return;
  }
  r->nocheck[r->nnocheck].lo = from;
  r->nocheck[r->nnocheck].hi = to;
  r->nnocheck++;
}

bool drill_out_unchecked(const drill_run_t *r, uint32_t off) {
  for (int k = 0; k < r->nnocheck; k++)
    if (off - r->nocheck[k].lo < r->nocheck[k].hi - r->nocheck[k].lo) return true;
  return false;
}

/* ---------------------------------------------------------------- synack target: copies */

/* Up to len bytes from a file (at *off, or at its position) or a pipe into socket s through the
 * target's send call; bytes a pipe gave that the socket did not take wait in src->carry. */
int64_t drill_copy_to_socket(drill_run_t *r, int s, drill_fd_t *src, int64_t *off, size_t len, int flags) {
  if (len > FILE_IO_MAX) len = FILE_IO_MAX;
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return -SYNACK_ENOMEM;
  int64_t got;
  if (src->pipe_end) {
    size_t k = src->ncarry < len ? src->ncarry : len;
    if (k) memcpy(buf, src->carry, k);
    got = (int64_t)k;
    if (k < len) {
      ssize_t n = read(os_fd(src), buf + k, len - k);
      if (n > 0) got += n;
      if (n < 0 && got == 0) got = -errno;
    }
  } else {
    off_t at = off ? (off_t)*off : lseek(os_fd(src), 0, SEEK_CUR);
    ssize_t n = at < 0 ? -1 : pread(os_fd(src), buf, len, at);
    got = n < 0 ? -errno : n;
  }
  if (got <= 0) {
    free(buf);
    return got;
  }
  /* Linux's sendfile() that reaches the end of the file before `count` sends with MSG_MORE
   * (more was asked for) and then pushes what is held (splice_eof: tcp_push without it): no
   * PSH on a last segment already sent full, PSH on a held partial tail. */
  bool eof = !src->pipe_end && (size_t)got < len;
  int64_t put = r->tg->send(r, s, buf, (size_t)got, flags | (eof ? SYNACK_MSG_MORE : 0));
  if (eof && put == got) r->tg->send(r, s, NULL, 0, flags);
  if (src->pipe_end) {
    /* what left the pipe is out of it: the new carry is the part of buf the socket did not
     * take, then the old carry's bytes that were not in buf */
    size_t took = put > 0 ? (size_t)put : 0;
    size_t used = src->ncarry < len ? src->ncarry : len;
    size_t left = (size_t)got - took, rest = src->ncarry - used;
    uint8_t *nc = left + rest ? malloc(left + rest) : NULL;
    if (left + rest && !nc) {
      free(buf);
      return -SYNACK_ENOMEM;
    }
    if (left) memcpy(nc, buf + took, left);
    if (rest) memcpy(nc + left, src->carry + used, rest);
    free(src->carry);
    src->carry = nc;
    src->ncarry = left + rest;
  } else if (put > 0) {
    if (off) *off += put;
    else lseek(os_fd(src), put, SEEK_CUR);
  }
  free(buf);
  return put;
}

/* Up to len bytes received on socket s written into the pipe end dst, as much as the pipe has
 * room for (so nothing read is lost). */
int64_t drill_copy_from_socket(drill_run_t *r, int s, drill_fd_t *dst, size_t len) {
  int fd = os_fd(dst);
  int cap = fcntl(fd, F_GETPIPE_SZ);
  int queued = 0;
  if (cap < 0 || ioctl(fd, FIONREAD, &queued) != 0) return -errno;
  size_t room = cap > queued ? (size_t)(cap - queued) : 0;
  if (room == 0) return -SYNACK_EAGAIN;
  if (len > room) len = room;
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return -SYNACK_ENOMEM;
  int64_t got = r->tg->recv(r, s, buf, len, 0);
  if (got > 0 && write(fd, buf, (size_t)got) != (ssize_t)got) got = -errno;
  free(buf);
  return got;
}

/* ---------------------------------------------------------------- the calls */

static bool do_open(drill_run_t *r, const drill_call_t *c, int64_t *ret) {
  if (!nargs(r, c, 2, 3)) return true;
  int64_t flags, mode = 0600;
  if (c->args[0].kind != DRILL_ARG_STRING) {
    drill_unsupported(r, "open: the path must be a \"string\"");
    return true;
  }
  if (!drill_arg_int(r, &c->args[1], &flags) || (c->nargs == 3 && !drill_arg_int(r, &c->args[2], &mode))) return true;
  const char *path = c->args[0].text;
  if (!path_allowed(path, flags)) {
    drill_unsupported(r, "open(\"%s\"): scripts may open files directly under /tmp/ (and /dev/zero, /dev/null "
                      "read-only) only", path);
    return true;
  }
  char hp[512];
  if (!host_path(r, path, hp, sizeof hp)) {
    drill_unsupported(r, "open(\"%s\"): no private directory for the run's files: %s", path, strerror(errno));
    return true;
  }
  int fd = open(hp, (int)flags | O_CLOEXEC, (mode_t)mode);
  if (fd < 0) {
    *ret = -errno;
    return true;
  }
  int label = c->result >= 0 ? (int)c->result : 1000 + fd;
  drill_fd_t *f = new_os_fd(r, label, fd, false);
  if (f) f->nonblock = (flags & O_NONBLOCK) != 0;
  *ret = f ? label : 0;
  return true;
}

static bool do_pipe(drill_run_t *r, const drill_call_t *c, int64_t *ret) {
  bool two = strcmp(c->name, "pipe2") == 0;
  if (!nargs(r, c, two ? 2 : 1, two ? 2 : 1)) return true;
  const drill_arg_t *a = &c->args[0];
  int64_t lr, lw, flags = 0;
  if (a->kind != DRILL_ARG_ARRAY || a->n != 2 || !drill_arg_int(r, &a->items[0], &lr) ||
      !drill_arg_int(r, &a->items[1], &lw)) {
    if (!r->done) drill_unsupported(r, "%s: the fds must be written [R, W]", c->name);
    return true;
  }
  if (two && !drill_arg_int(r, &c->args[1], &flags)) return true;
  if (flags & ~(int64_t)(O_NONBLOCK | O_CLOEXEC)) {
    drill_unsupported(r, "pipe2: flags 0x%llx not supported", (unsigned long long)flags);
    return true;
  }
  /* the OS ends never block the runner: a blocking script pipe is emulated like a socket */
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
    *ret = -errno;
    return true;
  }
  drill_fd_t *fr = new_os_fd(r, (int)lr, p[0], true);
  if (!fr) {
    close(p[1]);
    return true;
  }
  drill_fd_t *fw = new_os_fd(r, (int)lw, p[1], true);
  if (!fw) return true;
  fr = drill_fd(r, (int)lr); /* the slot array may have moved entries: look it up again */
  fr->nonblock = fw->nonblock = (flags & O_NONBLOCK) != 0;
  *ret = 0;
  return true;
}

/* A socket fd of the script, or NULL (reported as EBADF / ENOTSOCK by the caller). */
static bool is_tcp_socket(const drill_fd_t *f) { return f && !f->os && !f->epoll && !f->udp && !f->listener; }

static bool do_sendfile(drill_run_t *r, const drill_call_t *c, drill_pending_t *pend, bool blocking, int64_t *ret) {
  if (!nargs(r, c, 4, 4)) return true;
  drill_fd_t *out = arg_fd(r, c, 0), *in = arg_fd(r, c, 1);
  int64_t count, off = 0;
  bool has_off = c->args[2].kind != DRILL_ARG_NULL;
  if (has_off) {
    const drill_arg_t *o = &c->args[2];
    if (o->kind != DRILL_ARG_ARRAY || o->n != 1 || !drill_arg_int(r, &o->items[0], &off)) {
      if (!r->done) drill_unsupported(r, "sendfile: the offset must be NULL or [N]");
      return true;
    }
  }
  if (!drill_arg_int(r, &c->args[3], &count)) return true;
  if (!out || !in) {
    *ret = -SYNACK_EBADF;
    return true;
  }
  if (!in->os || in->pipe_end) {
    drill_unsupported(r, "sendfile: the input must be a file opened by the script");
    return true;
  }
  if (!is_tcp_socket(out)) {
    drill_unsupported(r, "sendfile: the output must be a TCP socket");
    return true;
  }
  if (count < 0) {
    *ret = -SYNACK_EINVAL;
    return true;
  }
  /* a blocking socket: the call returns when all was sent or the file ended (as write());
   * the offset of a pending call moves with what was sent so far */
  int64_t done = pend ? pend->done : 0;
  int64_t at = off + done;
  int64_t put = count - done ? r->tg->send_from_fd(r, out->sock, in, has_off ? &at : NULL, (size_t)(count - done), 0)
                             : 0;
  r->last_conn_label = out->label;
  if (put > 0) {
    unchecked(r, out->wr_off, put);
    out->wr_off += (uint32_t)put;
    done += put;
  }
  bool may_block = blocking && !out->nonblock;
  if (may_block && pend && done < count && (put > 0 || put == -SYNACK_EAGAIN)) {
    pend->done = done;
    return false;
  }
  *ret = done > 0 ? done : put;
  return true;
}

static bool do_splice(drill_run_t *r, const drill_call_t *c, drill_pending_t *pend, bool blocking, int64_t *ret) {
  if (!nargs(r, c, 6, 6)) return true;
  drill_fd_t *in = arg_fd(r, c, 0), *out = arg_fd(r, c, 2);
  int64_t len, flags;
  if (c->args[1].kind != DRILL_ARG_NULL || c->args[3].kind != DRILL_ARG_NULL) {
    drill_unsupported(r, "splice: offsets must be NULL (a pipe or socket has none)");
    return true;
  }
  if (!drill_arg_int(r, &c->args[4], &len) || !drill_arg_int(r, &c->args[5], &flags)) return true;
  if (!in || !out) {
    *ret = -SYNACK_EBADF;
    return true;
  }
  if (len < 0) {
    *ret = -SYNACK_EINVAL;
    return true;
  }
  bool nb = (flags & D_SPLICE_F_NONBLOCK) != 0;
  int64_t got;
  if (in->os && in->pipe_end && is_tcp_socket(out)) {
    got = r->tg->send_from_fd(r, out->sock, in, NULL, (size_t)len, (flags & 0x04) ? SYNACK_MSG_MORE : 0);
    r->last_conn_label = out->label;
    if (got > 0) {
      unchecked(r, out->wr_off, got);
      out->wr_off += (uint32_t)got;
    }
    /* an empty pipe: EAGAIN for a non-blocking call; a blocking one waits for a writer, which
     * in a script (one thread) never comes: unsupported rather than a hang */
    if (got == -SYNACK_EAGAIN && blocking && !nb && !in->nonblock && !out->nonblock) {
      drill_unsupported(r, "splice from an empty pipe would block forever");
      return true;
    }
    if (got == -SYNACK_EAGAIN && blocking && !nb && !in->nonblock) return false;
  } else if (is_tcp_socket(in) && out->os && out->pipe_end) {
    got = r->tg->recv_to_pipe(r, in->sock, out, (size_t)len);
    r->last_conn_label = in->label;
    if (got > 0) in->rd_off += (uint32_t)got;
    if (got == -SYNACK_EAGAIN && blocking && !nb && !in->nonblock && pend) return false;
  } else {
    drill_unsupported(r, "splice: only pipe -> TCP socket and TCP socket -> pipe are emulated");
    return true;
  }
  *ret = got;
  return true;
}

/* read/write/close/lseek/ftruncate/fcntl on a file or pipe the script opened. */
static bool do_fd_call(drill_run_t *r, const drill_call_t *c, drill_fd_t *f, int64_t *ret) {
  const char *n = c->name;
  int fd = os_fd(f);
  if (strcmp(n, "close") == 0) {
    if (!nargs(r, c, 1, 1)) return true;
    drill_file_close(r, f);
    drill_fd_closed(r, f);
    *ret = 0;
  } else if (strcmp(n, "write") == 0 || strcmp(n, "read") == 0) {
    int64_t len;
    if (!nargs(r, c, 3, 3) || !drill_arg_int(r, &c->args[2], &len)) return true;
    if (c->args[1].kind != DRILL_ARG_ELLIPSIS) {
      drill_unsupported(r, "%s on a file or pipe: the buffer must be ...", n);
      return true;
    }
    if (len < 0 || len > FILE_IO_MAX) {
      drill_unsupported(r, "%s: length %lld out of range", n, (long long)len);
      return true;
    }
    uint8_t *buf = malloc((size_t)len + 1);
    if (!buf) return true;
    ssize_t k;
    if (n[0] == 'w') {
      /* the stream pattern from the file's own offset 0, so a file written and sent whole
       * carries what a write() of the socket would */
      off_t at = f->pipe_end ? (off_t)f->wr_off : lseek(fd, 0, SEEK_CUR);
      for (int64_t j = 0; j < len; j++) buf[j] = drill_stream_byte((uint32_t)(at + j));
      k = write(fd, buf, (size_t)len);
      if (k > 0 && f->pipe_end) f->wr_off += (uint32_t)k;
    } else {
      k = read(fd, buf, (size_t)len);
    }
    free(buf);
    *ret = k < 0 ? -errno : k;
    if (*ret == -SYNACK_EAGAIN && !f->nonblock) {
      drill_unsupported(r, "%s on a blocking pipe would block forever (one thread)", n);
      return true;
    }
  } else if (strcmp(n, "lseek") == 0) {
    int64_t off, whence;
    if (!nargs(r, c, 3, 3) || !drill_arg_int(r, &c->args[1], &off) || !drill_arg_int(r, &c->args[2], &whence)) return true;
    off_t k = lseek(fd, (off_t)off, (int)whence);
    *ret = k < 0 ? -errno : (int64_t)k;
  } else if (strcmp(n, "ftruncate") == 0) {
    int64_t len;
    if (!nargs(r, c, 2, 2) || !drill_arg_int(r, &c->args[1], &len)) return true;
    *ret = ftruncate(fd, (off_t)len) != 0 ? -errno : 0;
  } else if (strcmp(n, "fcntl") == 0) {
    int64_t cmd, arg = 0;
    if (!nargs(r, c, 2, 3) || !drill_arg_int(r, &c->args[1], &cmd) || (c->nargs == 3 && !drill_arg_int(r, &c->args[2], &arg)))
      return true;
    if (cmd == F_GETFL) {
      int fl = fcntl(fd, F_GETFL);
      *ret = fl < 0 ? -errno : ((fl & ~O_NONBLOCK) | (f->nonblock ? O_NONBLOCK : 0));
    } else if (cmd == F_SETFL && c->nargs == 3) {
      f->nonblock = (arg & O_NONBLOCK) != 0; /* the OS end stays non-blocking (see pipe) */
      *ret = 0;
    } else {
      drill_unsupported(r, "fcntl command %lld on a file or pipe not supported", (long long)cmd);
    }
  } else {
    /* a socket call on a file or pipe: what Linux's sockfd_lookup answers */
    *ret = -88; /* ENOTSOCK */
  }
  return true;
}

bool drill_file_call(drill_run_t *r, const drill_event_t *ev, drill_pending_t *pend, bool blocking, int64_t *ret,
                     bool *finished) {
  const drill_call_t *c = &ev->call;
  const char *n = c->name;
  *finished = true;
  if (strcmp(n, "open") == 0) return do_open(r, c, ret);
  if (strcmp(n, "pipe") == 0 || strcmp(n, "pipe2") == 0) return do_pipe(r, c, ret);
  if (strcmp(n, "sendfile") == 0) {
    *finished = do_sendfile(r, c, pend, blocking, ret);
    return true;
  }
  if (strcmp(n, "splice") == 0) {
    *finished = do_splice(r, c, pend, blocking, ret);
    return true;
  }
  drill_fd_t *f = arg_fd(r, c, 0);
  if (f && f->os) return do_fd_call(r, c, f, ret);
  if (strcmp(n, "lseek") == 0 || strcmp(n, "ftruncate") == 0) {
    /* on a socket: ESPIPE / EINVAL as Linux; an unknown fd: EBADF */
    *ret = !f ? -SYNACK_EBADF : n[0] == 'l' ? -29 /* ESPIPE */ : -SYNACK_EINVAL;
    return true;
  }
  return false;
}
