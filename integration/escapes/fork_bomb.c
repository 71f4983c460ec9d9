/*
 * fork_bomb: fork without end, each child forking again, against the
 * sandbox's process limit: limits.processes (the shipped profiles set it:
 * the sandbox pid namespace's own pid_max) or limits.nproc (RLIMIT_NPROC).
 * The bomb must stop at the limit and leave the machine usable; when the
 * probe exits the sandbox's PID namespace ends and takes every process with
 * it, which the test checks from outside. The children stop by themselves
 * after 20 seconds in any case.
 *
 * Modelled on the classic shell fork bomb `:(){ :|:& };:` (CWE-400,
 * uncontrolled resource consumption), which a build script or an npm
 * lifecycle script can run as easily as a shell.
 *
 * Without a limit of at most 8192 tasks in sight (RLIMIT_NPROC, or this pid
 * namespace's kernel.pid_max) it reports an escape and forks nothing: the
 * bomb would load the host.
 */
#include "escape.h"

#include <dirent.h>

static int count_processes(void) {
  DIR *d = opendir("/proc");
  if (d == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (atoi(e->d_name) > 0) n++;
  closedir(d);
  return n;
}

/* Every process forks until fork fails, then holds its slot. A refused
 * process waits instead of retrying: thousands of processes retrying fork()
 * cost the host seconds of CPU per run and show nothing more. alarm() is
 * not inherited, so each process arms its own: none outlives 20 seconds
 * (long enough that on a loaded machine the first ones still hold their
 * slots when the sandbox's init takes its last look at the limit). */
static void bomb(int *pipe_w) {
  alarm(20);
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      alarm(20);
    } else if (pid < 0) {
      if (write(*pipe_w, "x", 1) < 0) _exit(1);
      pause();
    }
  }
}

/* This pid namespace's pid_max, or -1. */
static long read_pid_max(void) {
  char buf[32];
  ssize_t n = read_path("/proc/sys/kernel/pid_max", buf, sizeof buf - 1);
  if (n <= 0) return -1;
  buf[n] = 0;
  return atol(buf);
}

int main(int argc, char **argv) {
  escape_init("fork_bomb", argc, argv);
  struct rlimit lim;
  getrlimit(RLIMIT_NPROC, &lim);
  /* The kernel hands out no pid below 300 again once past it: a pid_max of
   * N holds about N - 300 tasks, plus the few low pids still alive. */
  long pid_max = read_pid_max();
  unsigned long long limit = 0;
  const char *by = NULL;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur <= 8192) {
    limit = (unsigned long long)lim.rlim_cur;
    by = "RLIMIT_NPROC";
  }
  if (pid_max > 300 && pid_max <= 8192 + 300 && (limit == 0 || (unsigned long long)(pid_max - 299) < limit)) {
    limit = (unsigned long long)(pid_max - 299);
    by = "the pid namespace's pid_max allows";
  }
  if (limit == 0) {
    escaped("nproc", "no process limit in sight: RLIMIT_NPROC %s, pid_max %ld; not forking",
            lim.rlim_cur == RLIM_INFINITY ? "unlimited" : "above 8192", pid_max);
    return 0;
  }
  int p[2];
  if (pipe(p) != 0) return 2;
  fflush(stdout);
  pid_t root = fork();
  if (root == 0) {
    close(p[0]);
    bomb(&p[1]);
  }
  close(p[1]);
  /* Wait for the first refusal, at most 3 seconds. */
  char c;
  struct pollfd pf = {.fd = p[0], .events = POLLIN};
  int refused = poll(&pf, 1, 3000) > 0 && read(p[0], &c, 1) == 1;
  /* More than one of init's half-second looks at the limit while the bomb
   * holds it. */
  usleep(700000);
  int peak = count_processes();
  if (!refused) escaped("nproc", "fork never failed within 3s; %d processes (%s %llu)", peak, by, limit);
  else if (peak > (int)limit + 4) escaped("nproc", "%d processes exceed %s %llu", peak, by, limit);
  else held("nproc", "fork failed at the limit: %d processes in the sandbox (%s %llu)", peak, by, limit);
  /* Leave the bomb running: ending the sandbox must clean it up. */
  return 0;
}
