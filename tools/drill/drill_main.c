#define _GNU_SOURCE /* strtok_r, prctl */
/* `synack drill [options] SCRIPT.pkt...`: the command line of the packet-script runner.
 * Reads each script, finds its profiles (command line > script header > drill.opts of its
 * directory > drill.opts of the parent directory > rfc), parses it once per profile (the profile
 * decides which #ifdef blocks are active) and runs it. Prints PASS / FAIL / UNSUPPORTED / ERROR
 * per run, then "N errors" and, as the last line (which CI tools parse), "N passed, N failed,
 * N skipped". `--target=kernel` runs the scripts against the host's Linux kernel
 * (drill_kernel.c); `-j N` runs N scripts at once, each in a child process (drill_jobs.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "drill.h"

#define MAX_SCRIPT_BYTES (4u << 20)
#define MAX_DEFS 64
#define MAX_HOPTS 64
#define MSG_CAP 8192

static char *read_file(const char *path, char *err, size_t errcap) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errcap, "%s: cannot open", path);
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 >= cap) {
      if (cap >= MAX_SCRIPT_BYTES) {
        snprintf(err, errcap, "%s: larger than %u bytes", path, MAX_SCRIPT_BYTES);
        free(buf);
        fclose(f);
        return NULL;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  if (!buf) {
    snprintf(err, errcap, "%s: out of memory", path);
    return NULL;
  }
  buf[n] = '\0';
  if (strlen(buf) != n) {
    snprintf(err, errcap, "%s: contains a NUL byte", path);
    free(buf);
    return NULL;
  }
  return buf;
}

typedef struct {
  int n;
  drill_hopt_t h[MAX_HOPTS];
  char *store[MAX_HOPTS];
} hopts_t;

static void hopts_add(hopts_t *o, const char *text) {
  if (o->n == MAX_HOPTS) return;
  const char *s = text;
  while (*s == '-') s++;
  size_t n = strlen(s);
  char *c = malloc(n + 1);
  if (!c) return;
  memcpy(c, s, n + 1);
  o->store[o->n] = c;
  drill_hopt_t *h = &o->h[o->n++];
  char *eq = strchr(c, '=');
  h->name = c;
  h->value = NULL;
  if (eq) {
    *eq = '\0';
    h->value = eq + 1;
  }
  h->line = 0;
}

static void hopts_free(hopts_t *o) {
  for (int k = 0; k < o->n; k++) free(o->store[k]);
  o->n = 0;
}

/* drill.opts: header options separated by whitespace; // comments. */
static void read_opts_file(const char *dir, hopts_t *o) {
  char path[4096];
  snprintf(path, sizeof path, "%s/drill.opts", dir);
  char err[256];
  FILE *f = fopen(path, "rb");
  if (!f) return;
  fclose(f);
  char *text = read_file(path, err, sizeof err);
  if (!text) return;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c = strstr(line, "//");
    if (c) *c = '\0';
    char *s2 = NULL;
    for (char *w = strtok_r(line, " \t\r", &s2); w; w = strtok_r(NULL, " \t\r", &s2))
      if (w[0] == '-' && w[1] == '-') hopts_add(o, w);
  }
  free(text);
}

static const char *find_hopt(const hopts_t *o, const char *name) {
  const char *v = NULL;
  for (int k = 0; k < o->n; k++)
    if (strcmp(o->h[k].name, name) == 0) v = o->h[k].value;
  return v;
}

static const char *ifdef_name(const char *profile) {
  if (strcmp(profile, "linux") == 0) return "Linux";
  if (strcmp(profile, "freebsd") == 0) return "FreeBSD";
  return "RFC";
}

typedef struct {
  int ndefs;
  drill_define_t defs[MAX_DEFS];
} defs_t;

static void defs_add(defs_t *d, char *nameval) {
  if (d->ndefs == MAX_DEFS) return;
  char *eq = strchr(nameval, '=');
  drill_define_t *x = &d->defs[d->ndefs++];
  x->name = nameval;
  x->value = NULL;
  if (eq) {
    *eq = '\0';
    x->value = eq + 1;
  }
}

static void usage(FILE *f) {
  fputs("usage: synack drill [options] SCRIPT.pkt...\n"
        "  --profile=rfc|linux|freebsd   run under this profile (default: the script's own, else rfc)\n"
        "  --options=strict|normalized   option lists of '>' lines: exact layout or presence+values\n"
        "  --window=strict|ignore        compare 'win' of '>' lines or not\n"
        "  -D NAME=VAL, --define=NAME=VAL  word substitution (and #ifdef NAME)\n"
        "  --target=synack|kernel        run against synack (default) or the host's Linux kernel (root)\n"
        "  -j N                          run N scripts at once\n"
        "  -v, --verbose                 print the timeline\n"
        "  -q, --quiet                   print only failures and the summary\n"
        "  --NAME[=VALUE]                any header option (see docs/drill.md)\n",
        f);
}

#include "drill_jobs.h"

/* Parses and runs one script under one profile. */
static void run_one(const char *path, const char *text, const char *profile, const defs_t *cmd_defs,
                    const hopts_t *pre, const hopts_t *post, const drill_opts_t *base, totals_t *t) {
  defs_t d = *cmd_defs;
  if (d.ndefs < MAX_DEFS) d.defs[d.ndefs++] = (drill_define_t){ "STANDARD", NULL };
  if (d.ndefs < MAX_DEFS) d.defs[d.ndefs++] = (drill_define_t){ ifdef_name(profile), NULL };
  /* against the real kernel: lines where synack deliberately differs from Linux */
  if (base->kernel && d.ndefs < MAX_DEFS) d.defs[d.ndefs++] = (drill_define_t){ "KERNEL", NULL };
  /* --define in drill.opts */
  char dstore[MAX_DEFS][128];
  int ds = 0;
  for (int k = 0; k < pre->n && ds < MAX_DEFS; k++)
    if (strcmp(pre->h[k].name, "define") == 0 && pre->h[k].value) {
      snprintf(dstore[ds], sizeof dstore[ds], "%s", pre->h[k].value);
      defs_add(&d, dstore[ds++]);
    }
  /* --define=NAME=VAL header lines: found by a scan, since they change how the rest parses */
  for (const char *l = text; l && *l && ds < MAX_DEFS; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    while (*l == ' ' || *l == '\t') l++;
    if (strncmp(l, "--define=", 9) != 0) continue;
    size_t n = strcspn(l + 9, " \t\r\n");
    snprintf(dstore[ds], sizeof dstore[ds], "%.*s", (int)n, l + 9);
    defs_add(&d, dstore[ds++]);
  }
  char err[1024];
  drill_script_t s;
  if (drill_parse(path, text, d.defs, d.ndefs, &s, err, sizeof err) != 0) {
    /* a script that cannot be read is neither a pass nor a failure of the stack */
    printf("ERROR %s [%s]\n  %s\n", path, profile, err);
    t->errors++;
    return;
  }
  drill_opts_t o = *base;
  o.profile = profile;
  o.pre = pre->h;
  o.npre = pre->n;
  o.post = post->h;
  o.npost = post->n;
  char *msg = malloc(MSG_CAP);
  if (!msg) {
    drill_script_free(&s);
    t->failed++;
    return;
  }
  if (o.kernel) profile = "kernel"; /* shown instead of the profile */
  if (o.verbose) printf("--- %s [%s]\n", path, profile);
  fflush(stdout);
  drill_status_t st = drill_run(&s, &o, msg, MSG_CAP);
  switch (st) {
  case DRILL_PASS:
    t->passed++;
    if (!t->quiet) printf("PASS %s [%s]\n%s", path, profile, msg);
    break;
  case DRILL_FAIL:
    t->failed++;
    printf("FAIL %s [%s]\n%s", path, profile, msg);
    break;
  case DRILL_UNSUPPORTED: {
    t->skipped++;
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = '\0';
    printf("UNSUPPORTED %s [%s]: %s\n", path, profile, msg);
    break;
  }
  }
  fflush(stdout);
  free(msg);
  drill_script_free(&s);
}

static void dir_of(const char *path, char *out, size_t cap) {
  const char *sl = strrchr(path, '/');
  if (!sl) {
    snprintf(out, cap, ".");
  } else if (sl == path) {
    snprintf(out, cap, "/");
  } else {
    snprintf(out, cap, "%.*s", (int)(sl - path), path);
  }
}

int synack_cmd_drill(int argc, char **argv) {
  drill_opts_t base;
  memset(&base, 0, sizeof base);
  base.profile = "rfc";
  const char *force_profile = NULL;
  defs_t defs;
  memset(&defs, 0, sizeof defs);
  hopts_t post;
  memset(&post, 0, sizeof post);
  totals_t t = { 0, 0, 0, 0, false };
  int nfiles = 0, jobs = 1;
  char **files = calloc((size_t)argc + 1, sizeof *files);
  if (!files) return 2;
  int rc = 0;
  for (int k = 1; k < argc; k++) {
    char *a = argv[k];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      free(files);
      return 0;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      base.verbose = true;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      t.quiet = true;
    } else if (strcmp(a, "--target=kernel") == 0 || strcmp(a, "--target=synack") == 0) {
      base.kernel = strcmp(a + 9, "kernel") == 0;
    } else if (strncmp(a, "--target=", 9) == 0) {
      fprintf(stderr, "synack drill: unknown target '%s' (synack, kernel)\n", a + 9);
      free(files);
      hopts_free(&post);
      return 2;
    } else if ((strcmp(a, "-j") == 0 && k + 1 < argc) || (strncmp(a, "-j", 2) == 0 && a[2])) {
      const char *v = a[2] ? a + 2 : argv[++k];
      jobs = atoi(v);
      if (jobs < 1 || jobs > 256) {
        fprintf(stderr, "synack drill: -j takes 1..256\n");
        free(files);
        hopts_free(&post);
        return 2;
      }
    } else if (strncmp(a, "--profile=", 10) == 0) {
      force_profile = a + 10;
    } else if (strcmp(a, "--options=strict") == 0 || strcmp(a, "--options=normalized") == 0) {
      base.options_normalized = strcmp(a + 10, "normalized") == 0;
    } else if (strcmp(a, "--window=strict") == 0 || strcmp(a, "--window=ignore") == 0) {
      base.window_ignore = strcmp(a + 9, "ignore") == 0;
    } else if (strcmp(a, "-D") == 0 && k + 1 < argc) {
      defs_add(&defs, argv[++k]);
    } else if (strncmp(a, "-D", 2) == 0 && a[2]) {
      defs_add(&defs, a + 2);
    } else if (strncmp(a, "--define=", 9) == 0) {
      defs_add(&defs, a + 9);
    } else if (a[0] == '-' && a[1] == '-' && a[2]) {
      hopts_add(&post, a);
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "synack drill: unknown option %s\n", a);
      usage(stderr);
      free(files);
      hopts_free(&post);
      return 2;
    } else {
      files[nfiles++] = a;
    }
  }
  if (nfiles == 0) {
    usage(stderr);
    free(files);
    hopts_free(&post);
    return 2;
  }
  if (force_profile && strcmp(force_profile, "rfc") != 0 && strcmp(force_profile, "linux") != 0 &&
      strcmp(force_profile, "freebsd") != 0) {
    fprintf(stderr, "synack drill: unknown profile '%s' (rfc, linux, freebsd)\n", force_profile);
    free(files);
    hopts_free(&post);
    return 2;
  }
  if (base.kernel && geteuid() != 0) {
    fprintf(stderr, "synack drill: --target=kernel needs root (it creates a network namespace and a TUN device)\n");
    free(files);
    hopts_free(&post);
    return 2;
  }
  drill_jobs_t pool;
  drill_jobs_init(&pool, jobs);
  for (int f = 0; f < nfiles; f++) {
    const char *path = files[f];
    if (drill_jobs_fork(&pool, &t)) continue; /* the parent: a child runs this file */
    char err[512];
    char *text = read_file(path, err, sizeof err);
    if (!text) {
      printf("ERROR %s\n  %s\n", path, err);
      t.errors++;
      drill_jobs_child_done(&pool, &t);
      continue;
    }
    /* drill.opts of the parent directory, then of the script's directory */
    hopts_t pre;
    memset(&pre, 0, sizeof pre);
    char dir[4096], parent[4096];
    dir_of(path, dir, sizeof dir);
    dir_of(dir, parent, sizeof parent);
    if (strcmp(parent, dir) != 0 && strcmp(dir, ".") != 0) read_opts_file(parent, &pre);
    read_opts_file(dir, &pre);
    /* the profile list */
    char plist[128];
    const char *pl = find_hopt(&pre, "profile");
    {
      drill_script_t s;
      drill_define_t d0[2] = { { "STANDARD", NULL }, { "RFC", NULL } };
      if (drill_parse(path, text, d0, 2, &s, err, sizeof err) == 0) {
        for (int k = 0; k < s.nhopts; k++)
          if (strcmp(s.hopts[k].name, "profile") == 0 && s.hopts[k].value) {
            snprintf(plist, sizeof plist, "%s", s.hopts[k].value);
            pl = plist;
          }
        drill_script_free(&s);
      }
    }
    if (force_profile) pl = force_profile;
    if (base.kernel) pl = "linux"; /* the kernel is Linux: its defaults, its #ifdef Linux lines */
    if (!pl || !*pl) pl = "rfc";
    char profiles[128];
    snprintf(profiles, sizeof profiles, "%s", pl);
    char *save = NULL;
    for (char *p = strtok_r(profiles, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
      if (strcmp(p, "rfc") != 0 && strcmp(p, "linux") != 0 && strcmp(p, "freebsd") != 0) {
        printf("ERROR %s\n  %s: unknown profile '%s' (rfc, linux, freebsd)\n", path, path, p);
        t.errors++;
        continue;
      }
      run_one(path, text, p, &defs, &pre, &post, &base, &t);
    }
    hopts_free(&pre);
    free(text);
    drill_jobs_child_done(&pool, &t); /* a child: reports its counts and exits */
  }
  drill_jobs_wait(&pool, &t);
  /* the error count goes on its own line so that the last line keeps its historic form */
  printf("%d error%s\n", t.errors, t.errors == 1 ? "" : "s");
  printf("%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
  if (t.failed || t.errors) rc = 1;
  free(files);
  hopts_free(&post);
  return rc;
}
