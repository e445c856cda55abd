/* tools/apps/app_filecache.c: the small-file cache of `synack serve --http`. A hit costs no
 * system call (counted apart from loads and checks), a file changed on disk is served anew once
 * its entry's validity has passed, and what the uncached path refuses (missing, "..", a
 * directory without index.html, large files) is not cached. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_filecache.h"
#include "harness.h"

static char dir[64];

static void put(const char *name, const char *data, size_t len) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  REQUIRE(f);
  REQUIRE(fwrite(data, 1, len, f) == len);
  fclose(f);
}

static void hits_then_reload(void) {
  put("a.txt", "first", 5);
  app_filecache_t *fc = app_filecache_new(dir);
  REQUIRE(fc);
  const uint8_t *d;
  size_t n;
  const char *ct;
  uint64_t t = 5000000;
  CHECK_EQ_I(app_filecache_get(fc, "/a.txt", t, &d, &n, &ct), 1);
  CHECK_EQ_U(n, 5);
  CHECK_MEM(d, "first", 5);
  CHECK_STR(ct, "text/plain");
  CHECK_EQ_I(app_filecache_get(fc, "/a.txt", t + 1000, &d, &n, &ct), 1);
  const app_filecache_stats_t *s = app_filecache_stats(fc);
  CHECK_EQ_U(s->loads, 1);
  CHECK_EQ_U(s->hits, 1);
  /* Changed on disk: within the validity the cached bytes are served (documented), after it the
   * new ones. */
  put("a.txt", "second!", 7);
  CHECK_EQ_I(app_filecache_get(fc, "/a.txt", t + APP_FILECACHE_VALID_US - 1, &d, &n, &ct), 1);
  CHECK_EQ_U(n, 5);
  CHECK_EQ_I(app_filecache_get(fc, "/a.txt", t + APP_FILECACHE_VALID_US, &d, &n, &ct), 1);
  CHECK_EQ_U(n, 7);
  CHECK_MEM(d, "second!", 7);
  CHECK_EQ_U(s->loads, 2);
  /* Unchanged past the validity: one check, no reload. */
  CHECK_EQ_I(app_filecache_get(fc, "/a.txt", t + 3 * APP_FILECACHE_VALID_US, &d, &n, &ct), 1);
  CHECK_EQ_U(s->checks, 1);
  CHECK_EQ_U(s->loads, 2);
  CHECK_EQ_U(s->hits, 2);
  app_filecache_free(fc);
}

static void not_cached(void) {
  char big[APP_FILECACHE_MAX_FILE + 1];
  memset(big, 'x', sizeof big);
  put("big.bin", big, sizeof big);
  put("edge.bin", big, APP_FILECACHE_MAX_FILE);
  char sub[96];
  snprintf(sub, sizeof sub, "%s/sub", dir);
  REQUIRE(mkdir(sub, 0755) == 0);
  app_filecache_t *fc = app_filecache_new(dir);
  REQUIRE(fc);
  const uint8_t *d;
  size_t n;
  const char *ct;
  CHECK_EQ_I(app_filecache_get(fc, "/big.bin", 1, &d, &n, &ct), 0);
  CHECK_EQ_I(app_filecache_get(fc, "/edge.bin", 1, &d, &n, &ct), 1);
  CHECK_EQ_U(n, APP_FILECACHE_MAX_FILE);
  CHECK_EQ_I(app_filecache_get(fc, "/missing", 1, &d, &n, &ct), 0);
  CHECK_EQ_I(app_filecache_get(fc, "/../etc/passwd", 1, &d, &n, &ct), 0);
  CHECK_EQ_I(app_filecache_get(fc, "/sub/", 1, &d, &n, &ct), 0); /* no index.html */
  put("sub/index.html", "<p>", 3);
  CHECK_EQ_I(app_filecache_get(fc, "/sub/", 1, &d, &n, &ct), 1);
  CHECK_STR(ct, "text/html");
  CHECK_EQ_U(app_filecache_stats(fc)->loads, 2);
  app_filecache_free(fc);
}

static void cleanup(void) {
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/synack-filecache-XXXXXX");
  REQUIRE(mkdtemp(dir));
}

static void run_hits(void) { setup(); hits_then_reload(); cleanup(); }
static void run_not_cached(void) { setup(); not_cached(); cleanup(); }

TH_MAIN(TH_CASE(run_hits), TH_CASE(run_not_cached))
