#define _GNU_SOURCE /* prctl */
/* `synack drill -j N` (drill_jobs.h). Each child prints its PASS/FAIL lines to a pipe and ends
 * with a trailer line "\001passed failed skipped errors"; the parent reads every pipe while it waits
 * (so no child blocks on a full pipe), then prints the outputs in file order without the trailer
 * and adds up the counts. A child that dies without its trailer counts as one failed run. Children
 * die with the parent (PR_SET_PDEATHSIG), so an interrupted run leaves nothing behind (the kernel
 * target's namespaces are anonymous and go away with their process). */
#include "drill_jobs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void drill_jobs_init(drill_jobs_t *p, int max) {
  memset(p, 0, sizeof *p);
  p->max = max < 1 ? 1 : (max > DRILL_JOBS_MAX ? DRILL_JOBS_MAX : max);
}

static void append(drill_job_t *j, const char *b, size_t n) {
  if (j->len + n + 1 > j->cap) {
    size_t nc = j->cap ? j->cap * 2 : 4096;
    while (nc < j->len + n + 1) nc *= 2;
    char *nb = realloc(j->out, nc);
    if (!nb) return;
    j->out = nb;
    j->cap = nc;
  }
  memcpy(j->out + j->len, b, n);
  j->len += n;
  j->out[j->len] = '\0';
}

/* Prints a finished job's output and adds its trailer's counts. */
static void emit(drill_job_t *j, int status, totals_t *t) {
  char *tr = j->out ? strrchr(j->out, '\001') : NULL;
  int ps = 0, fl = 0, sk = 0, er = 0;
  if (tr && sscanf(tr + 1, "%d %d %d %d", &ps, &fl, &sk, &er) == 4) {
    *tr = '\0';
  } else {
    char b[160];
    int n = snprintf(b, sizeof b, "FAIL (job %d)\n  the runner died (status 0x%x) before the end of the file\n",
                     j->seq + 1, (unsigned)status);
    append(j, b, (size_t)n);
    fl = 1;
    sk = ps = 0;
  }
  if (j->out) fputs(j->out, stdout);
  fflush(stdout);
  t->passed += ps;
  t->failed += fl;
  t->skipped += sk;
  t->errors += er;
  free(j->out);
  j->out = NULL;
}

static void flush_ordered(drill_jobs_t *p, totals_t *t) {
  for (bool again = true; again;) {
    again = false;
    for (int k = 0; k < p->ndone; k++) {
      if (p->done[k].seq != p->print_seq) continue;
      emit(&p->done[k], (int)p->done[k].pid, t);
      p->done[k] = p->done[--p->ndone];
      p->print_seq++;
      again = true;
      break;
    }
  }
}

/* Reads from the children until one has finished (or none runs). */
static void pump(drill_jobs_t *p, totals_t *t) {
  while (p->nrun > 0) {
    struct pollfd pf[DRILL_JOBS_MAX];
    for (int k = 0; k < p->nrun; k++) pf[k] = (struct pollfd){ .fd = p->run[k].fd, .events = POLLIN };
    if (poll(pf, (nfds_t)p->nrun, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int k = 0; k < p->nrun; k++) {
      if (!pf[k].revents) continue;
      char b[8192];
      ssize_t n = read(p->run[k].fd, b, sizeof b);
      if (n > 0) {
        append(&p->run[k], b, (size_t)n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      /* end of its output: collect the child */
      drill_job_t j = p->run[k];
      close(j.fd);
      int st = 0;
      while (waitpid(j.pid, &st, 0) < 0 && errno == EINTR) {
      }
      j.pid = st; /* kept for the message of a dead child */
      p->run[k] = p->run[--p->nrun];
      if (p->ndone == p->capdone) {
        int nc = p->capdone ? p->capdone * 2 : 16;
        drill_job_t *nd = realloc(p->done, (size_t)nc * sizeof *nd);
        if (!nd) {
          emit(&j, st, t);
          return;
        }
        p->done = nd;
        p->capdone = nc;
      }
      p->done[p->ndone++] = j;
      flush_ordered(p, t);
      return;
    }
  }
}

bool drill_jobs_fork(drill_jobs_t *p, totals_t *t) {
  if (p->max == 1) return false;
  while (p->nrun >= p->max) pump(p, t);
  int fds[2];
  fflush(stdout);
  if (pipe(fds) != 0) return false; /* no pipe: run it here */
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    for (int k = 0; k < p->nrun; k++) close(p->run[k].fd);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(1); /* the parent is already gone */
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    p->in_child = true;
    p->nrun = 0;
    t->passed = t->failed = t->skipped = t->errors = 0;
    return false;
  }
  close(fds[1]);
  p->run[p->nrun++] = (drill_job_t){ .pid = pid, .fd = fds[0], .seq = p->next_seq++ };
  return true;
}

void drill_jobs_child_done(drill_jobs_t *p, const totals_t *t) {
  if (!p->in_child) return;
  printf("\001%d %d %d %d\n", t->passed, t->failed, t->skipped, t->errors);
  fflush(stdout);
  _exit(0);
}

void drill_jobs_wait(drill_jobs_t *p, totals_t *t) {
  while (p->nrun > 0) pump(p, t);
  flush_ordered(p, t);
  free(p->done);
  p->done = NULL;
  p->ndone = p->capdone = 0;
}
