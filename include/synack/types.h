/* Basic types shared by every synack module: time, addresses, error codes. */
#ifndef SYNACK_TYPES_H
#define SYNACK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SYNACK_SHARED_BUILD) || defined(SYNACK_BUILDING)
#define SYNACK_API __attribute__((visibility("default")))
#else
#define SYNACK_API
#endif

/* Time is a count of microseconds on a clock the embedder chooses (monotonic, virtual...).
 * The core never reads a clock: every call that needs the time takes it as an argument. */
typedef uint64_t synack_time_t;
#define SYNACK_TIME_NEVER UINT64_MAX
#define SYNACK_MS(x) ((synack_time_t)(x) * 1000u)
#define SYNACK_SEC(x) ((synack_time_t)(x) * 1000000u)

/* Address families, numerically independent of the host's AF_* values. */
#define SYNACK_AF_INET 4
#define SYNACK_AF_INET6 6

typedef struct { uint8_t b[6]; } synack_mac_t;

/* An IPv4 or IPv6 address. IPv4 uses b[0..3]; the rest is zero so that memcmp/hash work. */
typedef struct {
  uint8_t family; /* SYNACK_AF_INET or SYNACK_AF_INET6; 0 = unspecified */
  uint8_t b[16];
} synack_ip_t;

/* An endpoint: address plus port (host byte order). */
typedef struct {
  synack_ip_t ip;
  uint16_t port;
} synack_endpoint_t;

SYNACK_API synack_ip_t synack_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
/* Parses dotted-quad IPv4 or RFC 4291 text IPv6 ("fd00::1"). Returns 0 or -SYNACK_EINVAL. */
SYNACK_API int synack_ip_parse(const char *text, synack_ip_t *out);
/* Writes the address as text; returns buf. cap of 48 always suffices. */
SYNACK_API char *synack_ip_format(const synack_ip_t *ip, char *buf, size_t cap);
/* Parses "ADDR[/PREFIX]" of the given family (SYNACK_AF_INET or SYNACK_AF_INET6; the address may
 * be bracketed: "[fd00::2]/64"). The prefix, 1..32 or 1..128, is stored in *prefix only when
 * present. Returns 0, or -SYNACK_EINVAL with *ip and *prefix untouched. */
SYNACK_API int synack_ip_parse_prefix(const char *text, int family, synack_ip_t *ip, uint8_t *prefix);
/* Parses a unicast MAC address "02:53:4b:00:00:01" (1 or 2 hex digits per byte). Returns 0, or
 * -SYNACK_EINVAL (also for a multicast address) with *out untouched. */
SYNACK_API int synack_mac_parse(const char *text, synack_mac_t *out);
SYNACK_API bool synack_ip_equal(const synack_ip_t *a, const synack_ip_t *b);
SYNACK_API bool synack_ip_is_unspecified(const synack_ip_t *a);

/* Error codes. The API returns them negated (-SYNACK_ECONNRESET). Their values equal Linux's
 * errno values so that a POSIX shim can pass them through; the core never includes errno.h. */
#define SYNACK_EPERM 1
#define SYNACK_ENOENT 2
#define SYNACK_EBADF 9
#define SYNACK_EAGAIN 11
#define SYNACK_ENOMEM 12
#define SYNACK_EACCES 13
#define SYNACK_EFAULT 14
#define SYNACK_EBUSY 16
#define SYNACK_EEXIST 17
#define SYNACK_EINVAL 22
#define SYNACK_EMFILE 24
#define SYNACK_ENOSPC 28
#define SYNACK_EPIPE 32
#define SYNACK_ENOMSG 42
#define SYNACK_EPROTO 71
#define SYNACK_EDESTADDRREQ 89
#define SYNACK_EMSGSIZE 90
#define SYNACK_ENOPROTOOPT 92
#define SYNACK_EPROTONOSUPPORT 93
#define SYNACK_EOPNOTSUPP 95
#define SYNACK_EAFNOSUPPORT 97
#define SYNACK_EADDRINUSE 98
#define SYNACK_EADDRNOTAVAIL 99
#define SYNACK_ENETUNREACH 101
#define SYNACK_ECONNABORTED 103
#define SYNACK_ECONNRESET 104
#define SYNACK_ENOBUFS 105
#define SYNACK_EISCONN 106
#define SYNACK_ENOTCONN 107
#define SYNACK_ETIMEDOUT 110
#define SYNACK_ECONNREFUSED 111
#define SYNACK_EHOSTUNREACH 113
#define SYNACK_EALREADY 114
#define SYNACK_EINPROGRESS 115
#define SYNACK_EKEYREJECTED 129

/* Name of an error code (positive or negative): "ECONNRESET". */
SYNACK_API const char *synack_strerror(int err);
/* The symbol only ("ECONNRESET"), or NULL when unknown; for script runners. */
SYNACK_API const char *synack_errno_name(int err);

#ifdef __cplusplus
}
#endif
#endif
