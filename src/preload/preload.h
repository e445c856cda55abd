/* libsynack-preload.so: BSD sockets of an unmodified program on a synack stack (docs/preload.md).
 *
 * Shared by the files of src/preload/:
 *   pl_core.c   configuration from the environment, the stack and its TAP loop on a background
 *               thread, the descriptor table, events and the waiters that blocking calls sleep on
 *   pl_sock.c   socket, bind, listen, accept, connect, shutdown, close, names, dup
 *   pl_io.c     read/write, send/recv and their vectored and fortified forms, sendfile, splice,
 *               sendmmsg/recvmmsg
 *   pl_opt.c    getsockopt/setsockopt, fcntl, ioctl
 *   pl_auth.c   TCP_MD5SIG and TCP-AO socket options
 *   pl_poll.c   poll, select, epoll (synack descriptors and kernel ones in one call or set)
 *   pl_shm.c    the shared mapping holding the stack (so forked children share it), its lock and
 *               allocator, process slots, wake-ups across processes, the fork handlers
 *
 * Locking: one process-shared mutex (pl_lock) guards the stack, the table and every synack socket. The loop
 * thread holds it except while it sleeps (the TAP loop's sleep hook releases it); calls of the
 * program take it for the length of one stack call and never sleep while holding it. */
#ifndef SYNACK_PRELOAD_H
#define SYNACK_PRELOAD_H

#define _GNU_SOURCE
/* The library defines read, recv, poll... itself: the fortified inline wrappers must not exist. */
#undef _FORTIFY_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "synack/random.h"
#include "synack/socket.h"
#include "synack/stack.h"
#include "synack/tap.h"
#include "synack/udp.h"

/* Descriptors at or above this number are never synack sockets (the table is flat). */
#define PL_MAX_FDS 65536

/* The libc functions the library replaces, reached through dlsym(RTLD_NEXT). */
#define PL_REAL_LIST(X)                                                                                     \
  X(int, socket, (int, int, int))                                                                            \
  X(int, bind, (int, const struct sockaddr *, socklen_t))                                                    \
  X(int, listen, (int, int))                                                                                 \
  X(int, accept, (int, struct sockaddr *, socklen_t *))                                                      \
  X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                                \
  X(int, connect, (int, const struct sockaddr *, socklen_t))                                                 \
  X(ssize_t, read, (int, void *, size_t))                                                                    \
  X(ssize_t, write, (int, const void *, size_t))                                                             \
  X(ssize_t, readv, (int, const struct iovec *, int))                                                        \
  X(ssize_t, writev, (int, const struct iovec *, int))                                                       \
  X(ssize_t, send, (int, const void *, size_t, int))                                                         \
  X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))                   \
  X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                                     \
  X(ssize_t, recv, (int, void *, size_t, int))                                                               \
  X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))                           \
  X(ssize_t, recvmsg, (int, struct msghdr *, int))                                                           \
  X(int, close, (int))                                                                                       \
  X(int, shutdown, (int, int))                                                                               \
  X(int, getsockopt, (int, int, int, void *, socklen_t *))                                                   \
  X(int, setsockopt, (int, int, int, const void *, socklen_t))                                               \
  X(int, getsockname, (int, struct sockaddr *, socklen_t *))                                                 \
  X(int, getpeername, (int, struct sockaddr *, socklen_t *))                                                 \
  X(int, fcntl, (int, int, ...))                                                                             \
  X(int, fcntl64, (int, int, ...))                                                                           \
  X(int, ioctl, (int, unsigned long, ...))                                                                   \
  X(int, poll, (struct pollfd *, nfds_t, int))                                                               \
  X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))                        \
  X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                                      \
  X(int, epoll_create, (int))                                                                                \
  X(int, epoll_create1, (int))                                                                               \
  X(int, epoll_ctl, (int, int, int, struct epoll_event *))                                                   \
  X(int, epoll_wait, (int, struct epoll_event *, int, int))                                                  \
  X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))                               \
  X(int, dup, (int))                                                                                         \
  X(int, dup2, (int, int))                                                                                   \
  X(int, dup3, (int, int, int))                                                                              \
  X(ssize_t, sendfile, (int, int, off_t *, size_t))                                                          \
  X(ssize_t, sendfile64, (int, int, off64_t *, size_t))                                                      \
  X(ssize_t, splice, (int, loff_t *, int, loff_t *, size_t, unsigned int))                                   \
  X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int))                                               \
  X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int, struct timespec *))                            \
  X(int, epoll_pwait2, (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))

#define PL_REAL_FIELD(ret, name, args) ret(*name) args;
typedef struct {
  PL_REAL_LIST(PL_REAL_FIELD)
} pl_real_t;
#undef PL_REAL_FIELD
extern pl_real_t pl_real;
/* Resolves pl_real once (any thread, any time: also before the library's constructor ran). */
void pl_real_init(void);

/* Processes sharing one stack (a creator and its forked children, docs/preload.md): one bit of
 * a uint64_t each. */
#define PL_SLOTS 64

/* One synack socket behind a descriptor. The descriptor is a real kernel eventfd reserved for
 * it, so that its number is never handed out to a kernel file while the socket lives. */
typedef struct pl_sock {
  int fd;             /* the descriptor its creator got (another process may know it by another) */
  int h;              /* the stack's handle */
  int family;         /* AF_INET or AF_INET6 */
  int type;           /* SOCK_STREAM or SOCK_DGRAM */
  bool nonblock;
  bool listening;
  bool shut_wr;
  synack_time_t rcvtimeo, sndtimeo; /* µs, 0 = none (SO_RCVTIMEO / SO_SNDTIMEO) */
  uint32_t rd_gen, wr_gen;          /* bumped by the stack's events: edges for EPOLLET */
  uint16_t refs[PL_SLOTS];                /* descriptors for it per process slot (pl_shm.c): fork,
                                       dup, SCM_RIGHTS add one, close drops one */
  uint32_t inflight;                /* passed by SCM_RIGHTS, not received yet */
  bool local;                       /* a dead copy in a detached child, in private memory */
} pl_sock_t;

/* A thread (or an epoll set) waiting for synack readiness to change: its eventfd is written
 * whenever the stack reports an event. */
typedef struct pl_waiter {
  int efd;
  struct pl_waiter *prev, *next;
} pl_waiter_t;

typedef struct {
  synack_stack_t *st;
  synack_tap_loop_t *loop;
  int wake_fd;                  /* eventfd the loop watches: a call moved a deadline earlier */
  pl_sock_t **byh;              /* stack handle -> socket (in the shared mapping) */
  uint32_t nh;
  pl_waiter_t waiters;          /* list head */
  bool debug;
  pthread_t thread;
  atomic_bool stopping;
  bool forked;                  /* a detached child of fork(): no share in the stack */
  int slot;                     /* this process's slot (0: the creator, which runs the loop) */
  int wsock;                    /* this slot's wake socket */
  bool exiting;                 /* atexit ran: never start the loop here again */
} pl_state_t;
extern pl_state_t pl;

/* Lock-free check used on every read/write/close: is fd one of ours? The answer is confirmed
 * under the lock with pl_get. */
extern _Atomic(pl_sock_t *) pl_fds[PL_MAX_FDS];
static inline bool pl_maybe(int fd) {
  return fd >= 0 && fd < PL_MAX_FDS && atomic_load_explicit(&pl_fds[fd], memory_order_acquire) != NULL;
}
/* Takes the lock and returns fd's socket, or NULL (lock released) when fd is not ours. */
pl_sock_t *pl_lock_get(int fd);
/* The socket of fd with the lock held, or NULL. */
pl_sock_t *pl_get(int fd);
void pl_lock(void);
void pl_unlock(void);

/* Brings the stack up on first use. 0, or -errno (SYNACK_TAP unset: -ENOSYS = stay inert). */
int pl_start(void);
/* Registers a socket under fd (lock held). */
void pl_attach(int fd, pl_sock_t *s);
/* Forgets this process's descriptor of a socket (lock held): table, epoll sets. */
void pl_detach_local(int fd);
/* Drops this process's reference (lock held, after pl_detach_local); the last one closes the
 * stack's socket and frees it. Returns the stack's close result (0 while others hold it). */
int pl_drop(pl_sock_t *s);
/* The stack's close of a socket no process holds any more, and its memory (lock held). */
int pl_sock_release_last(pl_sock_t *s);
/* Wakes every waiter of this process (lock held). */
void pl_poke_local(void);
/* After a call that may have queued frames or changed timers (lock held): writes the frames
 * now, hands out the stack's events and wakes the loop if it sleeps past the new deadline. */
void pl_after(void);
/* Drains the stack's events (lock held): bumps edges, wakes the waiters. */
void pl_pump_events(void);
/* Blocks the calling thread (lock held on entry and on return) until some synack readiness
 * changed or `deadline` (monotonic µs, SYNACK_TIME_NEVER = none) passed. Returns 0, -EAGAIN at
 * the deadline, -EINTR when a signal arrived. */
int pl_wait(synack_time_t deadline);
void pl_waiter_add(pl_waiter_t *w);
void pl_waiter_del(pl_waiter_t *w);
/* The calling thread's waiter (created on first use, closed when the thread exits). */
pl_waiter_t *pl_thread_waiter(void);
/* The calling thread's waiter if it has one (no allocation). */
pl_waiter_t *pl_thread_waiter_peek(void);
void pl_drain_fd(int fd);
synack_time_t pl_now(void);
/* Sets errno from a negative synack code and returns -1. */
int pl_fail(int64_t neg);
void pl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Address conversion. */
int pl_sa_to_ep(const pl_sock_t *s, const struct sockaddr *sa, socklen_t len, synack_endpoint_t *ep);
void pl_ep_to_sa(const pl_sock_t *s, const synack_endpoint_t *ep, struct sockaddr *sa, socklen_t *len);

/* Readiness of a socket as poll(2) bits (lock held). */
short pl_revents(pl_sock_t *s);
/* Epoll bookkeeping when a socket goes away (lock held). */
void pl_epoll_forget(int fd);
/* close(epfd) of a set holding synack sockets frees its shadow (takes the lock). */
int pl_epoll_close(int fd);
/* TCP_MD5SIG(_EXT), TCP_AO_ADD_KEY/DEL_KEY/INFO (lock held): 0 or -errno, 1 = not such an option. */
int pl_auth_set(pl_sock_t *s, int name, const void *val, socklen_t len);
int pl_auth_get(pl_sock_t *s, int name, void *val, socklen_t *len);
/* In a forked child: the inherited epoll shadows belong to the parent; forget them. */
void pl_epoll_after_fork(void);

/* pl_shm.c: the shared mapping, its allocator (the stack's synack_allocator_t), the loop's
 * sleep state, wake-ups across processes and the fork handlers. */
int pl_shm_init(size_t bytes);
void *pl_shm_alloc(void *user, size_t n);
void pl_shm_free(void *user, void *p, size_t n);
pl_sock_t *pl_sock_alloc(void); /* zeroed, held by this process */
bool pl_sock_held(const pl_sock_t *s); /* a descriptor in some process, or in flight */
/* The value written into the eventfd under which handle h is known: it names the socket to a
 * process of the family that receives the descriptor by SCM_RIGHTS. */
uint64_t pl_shm_tag(int h);
/* SCM_RIGHTS on kernel sockets (pl_sock.c): before sending, synack descriptors in the message
 * are marked in flight (+1 / -1 to undo a failed send); after receiving, the received ones that
 * name a socket of this family are adopted. */
void pl_scm_inflight(const struct msghdr *m, int delta);
void pl_scm_adopt(struct msghdr *m);
void pl_sock_free(pl_sock_t *s);
bool pl_shm_sleeping(synack_time_t *until);
void pl_shm_set_sleep(bool sleeping, synack_time_t until);
int pl_shm_wake_open_root(void);
bool pl_shm_drain_wake(void);
void pl_shm_wake_others(void);
void pl_shm_ensure_relay(void);
void pl_shm_atfork(void);
int pl_shm_loop_slot(void);            /* -1: the loop's process exited, nobody runs it yet */
void pl_shm_set_loop_slot(int slot);
bool pl_shm_others(void);              /* other process slots are in use */
/* Starts the TAP loop on a thread of this process when nobody runs it (lock held). */
void pl_loop_takeover(void);
void pl_shm_probe(void);

/* Calls of pl_sock.c used by pl_io.c (lock held). */
int pl_sock_close_locked(int fd, pl_sock_t *s);
/* fcntl(F_DUPFD / F_DUPFD_CLOEXEC) of a synack descriptor (no lock held). */
int pl_dupfd(int fd, int cmd, long arg, bool is64);

#endif
