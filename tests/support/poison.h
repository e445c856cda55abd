/* Manual AddressSanitizer poisoning for tests and fuzz targets: memory poisoned is memory the code
 * under test must not touch, and ASan reports the first access. Without ASan the macros do
 * nothing (the checks that rely on them then pass vacuously; `make check` builds with ASan). */
#ifndef SYNACK_TEST_POISON_H
#define SYNACK_TEST_POISON_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TH_ASAN)
#define TH_ASAN 1
#endif

#ifdef TH_ASAN
#include <sanitizer/asan_interface.h>
#define TH_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define TH_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define TH_POISON(p, n) ((void)(p), (void)(n))
#define TH_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
