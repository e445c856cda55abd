/* A minimal test harness: each test file is one executable with several cases.
 * A failed CHECK prints file:line and the expression, marks the case failed and goes on;
 * REQUIRE returns from the case. The closing line is "N passed, N failed". */
#ifndef SYNACK_TEST_HARNESS_H
#define SYNACK_TEST_HARNESS_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*th_case_fn)(void);
typedef struct { const char *name; th_case_fn fn; } th_case_t;

static int th_case_failed;
static int th_total_checks;

#define CHECK(cond) do { th_total_checks++; if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); th_case_failed = 1; } } while (0)
#define REQUIRE(cond) do { th_total_checks++; if (!(cond)) { \
    fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); th_case_failed = 1; return; } } while (0)
#define CHECK_EQ_U(a, b) do { uint64_t th_a = (uint64_t)(a), th_b = (uint64_t)(b); th_total_checks++; \
    if (th_a != th_b) { fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%" PRIu64 " != %" PRIu64 ")\n", \
      __FILE__, __LINE__, #a, #b, th_a, th_b); th_case_failed = 1; } } while (0)
#define CHECK_EQ_I(a, b) do { int64_t th_a = (int64_t)(a), th_b = (int64_t)(b); th_total_checks++; \
    if (th_a != th_b) { fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%" PRId64 " != %" PRId64 ")\n", \
      __FILE__, __LINE__, #a, #b, th_a, th_b); th_case_failed = 1; } } while (0)
#define CHECK_MEM(a, b, n) do { th_total_checks++; if (memcmp((a), (b), (n)) != 0) { \
    fprintf(stderr, "%s:%d: CHECK_MEM failed: %s vs %s (%zu bytes)\n", __FILE__, __LINE__, #a, #b, (size_t)(n)); \
    th_case_failed = 1; } } while (0)
#define CHECK_STR(a, b) do { const char *th_a = (a), *th_b = (b); th_total_checks++; \
    if (!th_a || !th_b || strcmp(th_a, th_b) != 0) { fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", \
      __FILE__, __LINE__, th_a ? th_a : "(null)", th_b ? th_b : "(null)"); th_case_failed = 1; } } while (0)

#define TH_CASE(fn) { #fn, fn }

/* Runs the cases named on the command line (or all), prints the closing line, returns the exit code. */
static inline int th_run(const th_case_t *cases, size_t n, int argc, char **argv) {
  int passed = 0, failed = 0;
  for (size_t i = 0; i < n; i++) {
    if (argc > 1) {
      int wanted = 0;
      for (int a = 1; a < argc; a++) if (strcmp(argv[a], cases[i].name) == 0) wanted = 1;
      if (!wanted) continue;
    }
    th_case_failed = 0;
    cases[i].fn();
    if (th_case_failed) { failed++; fprintf(stderr, "FAIL %s\n", cases[i].name); }
    else { passed++; printf("ok   %s\n", cases[i].name); }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : (passed ? 0 : 1);
}
/* Lower-case hex of n bytes into out (2n + 1 bytes), for comparing digests with CHECK_STR. */
static inline void th_hex(const uint8_t *d, size_t n, char *out) {
  static const char x[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = x[d[i] >> 4];
    out[2 * i + 1] = x[d[i] & 15];
  }
  out[2 * n] = '\0';
}

#define TH_MAIN(...) int main(int argc, char **argv) { \
    static const th_case_t th_cases[] = { __VA_ARGS__ }; \
    return th_run(th_cases, sizeof th_cases / sizeof th_cases[0], argc, argv); }

#endif
