/* Small files in memory for `synack serve --http` (see app_filecache.h). A direct-mapped table
 * of APP_FILECACHE_SLOTS entries keyed by the request target: a target hashing to a taken slot
 * replaces its entry, so the cache holds at most SLOTS × MAX_FILE bytes (1 MiB). */
#define _GNU_SOURCE
#include "app_filecache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_http.h"

typedef struct {
  char *target;          /* NULL = empty slot */
  uint8_t *data;
  size_t len;
  const char *ctype;
  uint64_t checked_at;   /* when it was last known to match the file */
  dev_t dev;
  ino_t ino;
  struct timespec mtime, ctime;
} entry_t;

struct app_filecache {
  char *root;
  app_filecache_stats_t stats;
  entry_t e[APP_FILECACHE_SLOTS];
};

app_filecache_t *app_filecache_new(const char *root) {
  app_filecache_t *fc = calloc(1, sizeof *fc);
  if (!fc) return NULL;
  fc->root = strdup(root);
  if (!fc->root) {
    free(fc);
    return NULL;
  }
  return fc;
}

static void entry_clear(entry_t *e) {
  free(e->target);
  free(e->data);
  memset(e, 0, sizeof *e);
}

void app_filecache_free(app_filecache_t *fc) {
  if (!fc) return;
  for (size_t i = 0; i < APP_FILECACHE_SLOTS; i++) entry_clear(&fc->e[i]);
  free(fc->root);
  free(fc);
}

const app_filecache_stats_t *app_filecache_stats(const app_filecache_t *fc) { return &fc->stats; }

/* FNV-1a: the targets are the server's own URLs; a client choosing colliding ones only makes
 * its own requests miss. */
static size_t slot_of(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h % APP_FILECACHE_SLOTS;
}

static bool same_file(const entry_t *e, const struct stat *sb) {
  return e->dev == sb->st_dev && e->ino == sb->st_ino && e->len == (size_t)sb->st_size &&
         e->mtime.tv_sec == sb->st_mtim.tv_sec && e->mtime.tv_nsec == sb->st_mtim.tv_nsec &&
         e->ctime.tv_sec == sb->st_ctim.tv_sec && e->ctime.tv_nsec == sb->st_ctim.tv_nsec;
}

/* Reads the whole (small) file; false when it is not what fstat said any more. */
static bool read_all(int fd, uint8_t *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
    if (r <= 0) return false;
    got += (size_t)r;
  }
  return true;
}

int app_filecache_get(app_filecache_t *fc, const char *target, uint64_t now_us, const uint8_t **data, size_t *len,
                      const char **ctype) {
  entry_t *e = &fc->e[slot_of(target)];
  bool mine = e->target && strcmp(e->target, target) == 0;
  if (mine && now_us - e->checked_at < APP_FILECACHE_VALID_US) {
    fc->stats.hits++;
    goto hit;
  }
  /* Resolve it as the uncached path would (no "..", directory → index.html, regular files). */
  int fd = -1;
  uint64_t size = 0;
  const char *ct = NULL;
  if (http_open_target(fc->root, target, &fd, &size, &ct) != 200) return 0;
  struct stat sb;
  if (fstat(fd, &sb) != 0 || size > APP_FILECACHE_MAX_FILE || (uint64_t)sb.st_size != size) {
    close(fd);
    return 0;
  }
  if (mine && same_file(e, &sb)) {
    close(fd);
    e->checked_at = now_us;
    fc->stats.checks++;
    goto hit;
  }
  entry_clear(e);
  e->target = strdup(target);
  e->data = malloc(size ? (size_t)size : 1);
  bool ok = e->target && e->data && read_all(fd, e->data, (size_t)size);
  close(fd);
  if (!ok) {
    entry_clear(e);
    return 0;
  }
  e->len = (size_t)size;
  e->ctype = ct;
  e->checked_at = now_us;
  e->dev = sb.st_dev;
  e->ino = sb.st_ino;
  e->mtime = sb.st_mtim;
  e->ctime = sb.st_ctim;
  fc->stats.loads++;
hit:
  *data = e->data;
  *len = e->len;
  *ctype = e->ctype;
  return 1;
}
