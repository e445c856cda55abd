/* `synack serve --http`: small files kept in memory, so that a request for one costs no system
 * call. Without it every request paid stat + open + read + close: a third of serve's CPU at
 * 1,000 connections in a VM where each system call is dear (docs/bench.md). As nginx's
 * open_file_cache: an entry is trusted for APP_FILECACHE_VALID_US after it was checked, then
 * checked again (stat; reloaded when inode, size, mtime or ctime moved), so a file changed on
 * disk is served as it was for at most that long. Files above APP_FILECACHE_MAX_FILE and
 * targets that do not name a readable regular file are not cached (served as before). */
#ifndef SYNACK_TOOLS_APP_FILECACHE_H
#define SYNACK_TOOLS_APP_FILECACHE_H

#include <stddef.h>
#include <stdint.h>

#define APP_FILECACHE_SLOTS 64
#define APP_FILECACHE_MAX_FILE 16384        /* bytes: a file and its head fit one staging buffer */
#define APP_FILECACHE_VALID_US 1000000u     /* how long an entry is trusted without a stat */

typedef struct app_filecache app_filecache_t;

typedef struct {
  uint64_t hits;    /* answered from memory without a system call */
  uint64_t checks;  /* an entry past its validity checked again and found unchanged */
  uint64_t loads;   /* a file read into the cache (first request, or changed on disk) */
} app_filecache_stats_t;

/* root: the served directory (as http_open_target takes it). NULL when memory is short. */
app_filecache_t *app_filecache_new(const char *root);
void app_filecache_free(app_filecache_t *fc);
/* The content of `target` at time now_us (µs, any monotonic clock): 1 with *data, *len and
 * *ctype set (valid until the next call), or 0 when the target is not cached (the caller
 * serves it with http_open_target, which also gives the error status). */
int app_filecache_get(app_filecache_t *fc, const char *target, uint64_t now_us, const uint8_t **data, size_t *len,
                      const char **ctype);
const app_filecache_stats_t *app_filecache_stats(const app_filecache_t *fc);

#endif
