/*
 * core_dump: make a crash leave a core file, which holds the process's
 * memory (every token it read) and lands in the working directory, the
 * project, where a later CI step may publish it. The core limit must be 0
 * and unraisable, and a crash must write nothing.
 *
 * Modelled on CVE-2006-2451 (prctl(PR_SET_DUMPABLE, 2) made a core file
 * land in /etc/cron.d and ran as root) and on secrets leaking in core files
 * of CI jobs (the reason airlock's default profile sets limits.core = 0).
 *
 * Arguments: writable=DIR (where the crashing child runs).
 */
#include "escape.h"

#include <dirent.h>
#include <sys/prctl.h>

static int count_cores(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "core", 4) == 0) n++;
  closedir(d);
  return n;
}

static int crash(void *ctx) {
  const char *dir = ctx;
  if (chdir(dir) != 0) return errno;
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  struct rlimit want = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_CORE, &want); /* refused when the hard limit is 0 */
  abort();
}

int main(int argc, char **argv) {
  escape_init("core_dump", argc, argv);
  const char *dir = need_arg("writable");
  struct rlimit now;
  getrlimit(RLIMIT_CORE, &now);
  if (now.rlim_max != 0) escaped("rlimit-core", "RLIMIT_CORE hard limit is %llu, not 0: cores can be re-enabled", (unsigned long long)now.rlim_max);
  else held("rlimit-core", "RLIMIT_CORE is %llu/%llu (soft/hard)", (unsigned long long)now.rlim_cur, (unsigned long long)now.rlim_max);

  struct rlimit raise_to = {RLIM_INFINITY, RLIM_INFINITY};
  if (setrlimit(RLIMIT_CORE, &raise_to) == 0) escaped("raise-core", "setrlimit(RLIMIT_CORE, unlimited) worked");
  else held("raise-core", "setrlimit(RLIMIT_CORE, unlimited): %s", errname(errno));

  char pattern[256] = "?";
  ssize_t pn = read_path("/proc/sys/kernel/core_pattern", pattern, sizeof pattern - 1);
  pattern[pn > 0 ? pn - 1 : 1] = '\0';
  int before = count_cores(dir);
  int status = in_child(crash, (void *)dir);
  int after = count_cores(dir);
  if (after > before) escaped("crash", "a crash wrote a core file into %s (core_pattern %s)", dir, pattern);
  else if (status != -1 && WIFSIGNALED(status) && WCOREDUMP(status))
    escaped("crash", "the kernel reports a core dump of the crash (core_pattern %s), though not in %s", pattern, dir);
  else held("crash", "the crash (%s) dumped nothing (core_pattern %s)", child_outcome(status), pattern);
  return 0;
}
