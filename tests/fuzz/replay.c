/* Replay test for the fuzz targets that restore their starting state from a snapshot
 * (fuzz_tcp_rcv, fuzz_tcp_state): linked with one target's source, it runs every seed of the
 * target's corpus plus a few deterministic variants of each, then all of them again in reverse
 * order, and compares what each input made the stack send (fuzz_replay.h). Equal digests mean
 * that an input's run does not depend on the inputs before it: the restore gives every input the
 * same stack, connection, clock and random generator. A crash or an abort of the target is a
 * failure too. It also checks that the digests depend on the input (different inputs, different
 * frames), so that a digest of nothing cannot pass.
 *
 * Usage: fuzz_replay_NAME CORPUS_DIR (the directory is only read). Not named fuzz_*.c: the fuzz
 * build takes those for libFuzzer targets. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* From the target (fuzz_replay.h defines the digest there). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
uint64_t fuzz_output_digest(void);

#define MAX_INPUTS 4096
#define MAX_LEN 4096
#define VARIANTS 4 /* derived inputs per seed: other steps from the same starting point */

typedef struct {
  char name[300];
  uint8_t *data;
  size_t len;
  uint64_t digest;
} input_t;

static input_t inputs[MAX_INPUTS];
static size_t ninputs;

static int by_name(const void *a, const void *b) {
  return strcmp(((const input_t *)a)->name, ((const input_t *)b)->name);
}

static void add(const char *name, const uint8_t *data, size_t len) {
  if (ninputs == MAX_INPUTS) return;
  input_t *in = &inputs[ninputs++];
  snprintf(in->name, sizeof in->name, "%s", name);
  in->data = malloc(len ? len : 1);
  if (!in->data) abort();
  memcpy(in->data, data, len);
  in->len = len;
}

/* Variant v of a seed: the first byte kept (it picks the starting state in fuzz_tcp_state), the
 * others mixed with a fixed generator, so that the variants take other paths from the same start. */
static void add_variants(const char *name, const uint8_t *data, size_t len) {
  uint8_t buf[MAX_LEN];
  char vname[320];
  for (unsigned v = 1; v <= VARIANTS; v++) {
    uint32_t x = 2463534242u * v;
    memcpy(buf, data, len);
    for (size_t i = 1; i < len; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      if (x % 3u == 0) buf[i] ^= (uint8_t)(x >> 8);
    }
    snprintf(vname, sizeof vname, "%s~%u", name, v);
    add(vname, buf, len);
  }
}

static int load(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    return -1;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    uint8_t buf[MAX_LEN];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    add(e->d_name, buf, len);
  }
  closedir(d);
  qsort(inputs, ninputs, sizeof *inputs, by_name);
  size_t seeds = ninputs;
  for (size_t i = 0; i < seeds; i++) add_variants(inputs[i].name, inputs[i].data, inputs[i].len);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  if (load(argv[1]) != 0) return 1;
  if (ninputs < 2) {
    fprintf(stderr, "%s: fewer than two inputs\n", argv[1]);
    return 1;
  }
  for (size_t i = 0; i < ninputs; i++) {
    LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].len);
    inputs[i].digest = fuzz_output_digest();
  }
  int failed = 0;
  for (size_t i = ninputs; i-- > 0;) {
    LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].len);
    uint64_t again = fuzz_output_digest();
    if (again != inputs[i].digest) {
      fprintf(stderr, "%s: replayed, the stack sent other frames (digest %016llx, first run %016llx)\n",
              inputs[i].name, (unsigned long long)again, (unsigned long long)inputs[i].digest);
      failed = 1;
    }
  }
  /* Distinct outputs: sort the digests and count the changes. */
  uint64_t *ds = malloc(ninputs * sizeof *ds);
  if (!ds) abort();
  for (size_t i = 0; i < ninputs; i++) ds[i] = inputs[i].digest;
  for (size_t i = 1; i < ninputs; i++)
    for (size_t j = i; j > 0 && ds[j - 1] > ds[j]; j--) {
      uint64_t t = ds[j];
      ds[j] = ds[j - 1];
      ds[j - 1] = t;
    }
  size_t distinct = 1;
  for (size_t i = 1; i < ninputs; i++) distinct += ds[i] != ds[i - 1];
  free(ds);
  if (distinct < 2) {
    fprintf(stderr, "all %zu inputs gave the same output: the digest sees nothing\n", ninputs);
    failed = 1;
  }
  printf("%s: %zu inputs replayed in reverse order, %zu distinct outputs, %s\n", argv[1], ninputs, distinct,
         failed ? "MISMATCH" : "all identical");
  for (size_t i = 0; i < ninputs; i++) free(inputs[i].data);
  return failed;
}
