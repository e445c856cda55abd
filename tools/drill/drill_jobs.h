/* `synack drill -j N`: scripts run N at once, each file in a child process whose output the
 * parent prints in file order (drill_jobs.c). With N = 1 everything runs in the process itself. */
#ifndef SYNACK_TOOLS_DRILL_JOBS_H
#define SYNACK_TOOLS_DRILL_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
  int passed, failed, skipped, errors;
  bool quiet;
} totals_t;

#define DRILL_JOBS_MAX 256

typedef struct {
  pid_t pid;
  int fd;         /* read end of the child's stdout */
  int seq;        /* file order */
  char *out;      /* what it printed */
  size_t len, cap;
} drill_job_t;

typedef struct {
  int max;                       /* N */
  bool in_child;
  int nrun;
  drill_job_t run[DRILL_JOBS_MAX];
  int next_seq, print_seq;
  int ndone, capdone;
  drill_job_t *done;             /* finished, not printed yet (waiting for an earlier file) */
} drill_jobs_t;

void drill_jobs_init(drill_jobs_t *p, int max);
/* Before a file: true in the parent (a child took the file), false where the file must be run
 * (the process itself with N = 1, or the new child, whose totals start at zero). */
bool drill_jobs_fork(drill_jobs_t *p, totals_t *t);
/* After a file: in a child, reports its totals to the parent and exits; otherwise nothing. */
void drill_jobs_child_done(drill_jobs_t *p, const totals_t *t);
/* Waits for every child, prints what is left, adds the counts to t. */
void drill_jobs_wait(drill_jobs_t *p, totals_t *t);

#endif
