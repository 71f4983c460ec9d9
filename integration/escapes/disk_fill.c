/*
 * disk_fill: write one file past the profile's limits.fsize (RLIMIT_FSIZE),
 * by write(2), by ftruncate(2) to a huge sparse size, and by fallocate(2);
 * and in a child that keeps the default SIGXFSZ action, which must be
 * killed by it. The file is removed afterwards.
 *
 * Modelled on disk-filling denial of service by build steps and package
 * scripts (CWE-400); RLIMIT_FSIZE bounds each file, not the total, so a
 * sandbox's tmpfs /tmp is bounded separately by its size.
 *
 * Arguments: writable=DIR. Refuses (a message on stderr, nothing on stdout,
 * exit status 2) when RLIMIT_FSIZE is unlimited or above 64 MiB: it would
 * fill the disk.
 */
#include "escape.h"

#include <linux/falloc.h>

static char path[512];

static int write_past(void *ctx) {
  (void)ctx;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  static char chunk[65536];
  for (;;)
    if (write(fd, chunk, sizeof chunk) < 0) return errno;
}

int main(int argc, char **argv) {
  escape_init("disk_fill", argc, argv);
  struct rlimit lim;
  getrlimit(RLIMIT_FSIZE, &lim);
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > (64u << 20)) {
    fprintf(stderr, "disk_fill: RLIMIT_FSIZE is %s: run it under a profile with limits.fsize <= 64MiB\n",
            lim.rlim_cur == RLIM_INFINITY ? "unlimited" : "above 64 MiB");
    return 2;
  }
  unsigned long long limit = (unsigned long long)lim.rlim_cur;
  snprintf(path, sizeof path, "%s/.escape-fill-%d", need_arg("writable"), (int)getpid());

  signal(SIGXFSZ, SIG_IGN);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    held("write", "cannot create %s: %s", path, errname(errno));
    return 0;
  }
  static char chunk[65536];
  unsigned long long written = 0;
  int err = 0;
  while (written < 4 * limit + sizeof chunk) {
    ssize_t n = write(fd, chunk, sizeof chunk);
    if (n < 0) {
      err = errno;
      break;
    }
    written += (unsigned long long)n;
  }
  if (written > limit) escaped("write", "wrote %llu bytes past RLIMIT_FSIZE %llu", written, limit);
  else held("write", "write stopped at %llu bytes with %s (RLIMIT_FSIZE %llu)", written, errname(err), limit);

  if (ftruncate(fd, (off_t)(1ULL << 40)) == 0) escaped("ftruncate", "ftruncate to 1 TiB worked past RLIMIT_FSIZE %llu", limit);
  else held("ftruncate", "ftruncate to 1 TiB: %s", errname(errno));

  int rc = fallocate(fd, 0, 0, (off_t)(limit * 4));
  if (rc == 0) escaped("fallocate", "fallocate of %llu bytes worked past RLIMIT_FSIZE %llu", limit * 4, limit);
  else held("fallocate", "fallocate of %llu bytes: %s", limit * 4, errname(errno));
  close(fd);

  signal(SIGXFSZ, SIG_DFL);
  int status = in_child(write_past, NULL);
  if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) held("sigxfsz", "a writer with the default action was killed by SIGXFSZ");
  else escaped("sigxfsz", "a writer with the default SIGXFSZ action was not stopped by it: %s", child_outcome(status));
  unlink(path);
  return 0;
}
