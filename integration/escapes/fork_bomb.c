/*
 * fork_bomb: fork without end, each child forking again, against the
 * profile's limits.nproc (RLIMIT_NPROC). The bomb must stop at the limit
 * and leave the machine usable; when the probe exits the sandbox's PID
 * namespace ends and takes every process with it, which the test checks
 * from outside. The children stop by themselves after a few seconds in
 * any case.
 *
 * Modelled on the classic shell fork bomb `:(){ :|:& };:` (CWE-400,
 * uncontrolled resource consumption), which a build script or an npm
 * lifecycle script can run as easily as a shell.
 *
 * Refuses to run (a message on stderr, nothing on stdout, exit status 2)
 * unless RLIMIT_NPROC is at most 4096: without the profile's limit it would
 * load the host.
 */
#include "escape.h"

#include <dirent.h>
#include <time.h>

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

static void bomb(int *pipe_w) {
  time_t stop = time(NULL) + 5;
  int refused = 0;
  while (time(NULL) < stop) {
    pid_t pid = fork();
    if (pid < 0) {
      if (!refused && write(*pipe_w, "x", 1) < 0) _exit(1);
      refused = 1;
      usleep(20000);
    } else if (pid == 0) {
      refused = 0;
    }
  }
  _exit(0);
}

int main(int argc, char **argv) {
  escape_init("fork_bomb", argc, argv);
  struct rlimit lim;
  getrlimit(RLIMIT_NPROC, &lim);
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 4096) {
    fprintf(stderr, "fork_bomb: RLIMIT_NPROC is %s: run it under a profile with limits.nproc <= 4096\n",
            lim.rlim_cur == RLIM_INFINITY ? "unlimited" : "above 4096");
    return 2;
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
  usleep(200000);
  int peak = count_processes();
  if (!refused) escaped("nproc", "fork never failed within 3s; %d processes (RLIMIT_NPROC %llu)", peak, (unsigned long long)lim.rlim_cur);
  else if (peak > (int)lim.rlim_cur + 2) escaped("nproc", "%d processes exceed RLIMIT_NPROC %llu", peak, (unsigned long long)lim.rlim_cur);
  else held("nproc", "fork failed at the limit: %d processes in the sandbox (RLIMIT_NPROC %llu)", peak, (unsigned long long)lim.rlim_cur);
  /* Leave the bomb running: ending the sandbox must clean it up. */
  return 0;
}
