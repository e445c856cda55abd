/* The operating system's randomness, for stacks on real networks (drivers, CLI apps, embedders).
 *
 *   synack_config_t cfg;
 *   synack_config_default(&cfg);
 *   cfg.random = synack_random_os;     // secrets from getrandom(2)
 *
 * Lives outside the sans-I/O core (src/drivers/os/): the core only calls the function it is
 * given. */
#ifndef SYNACK_RANDOM_H
#define SYNACK_RANDOM_H

#include <stddef.h>

#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills buf with len bytes from the kernel's CSPRNG (getrandom(2), /dev/urandom where that is
 * missing). `user` is ignored. Secrets must never be weak, so if no source answers the process
 * aborts rather than returning predictable bytes. */
SYNACK_API void synack_random_os(void *user, void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
