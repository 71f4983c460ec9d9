/*
 * disk_fill: fill what a step must not fill without end.
 *
 * The private /tmp and /dev/shm (tmpfs: host memory), against limits.tmp
 * (the shipped profiles bound each to 12% of memory): /tmp is written until
 * the write fails, which must be ENOSPC at no more than the size the mount
 * declares; /dev/shm must declare a bound too. Either declaring more than a
 * quarter of the machine's memory is an escape, reported without writing.
 *
 * One file, against limits.fsize (RLIMIT_FSIZE), when a profile sets it
 * (at most 64 MiB): written past it by write(2), by ftruncate(2) to a huge
 * sparse size, and by fallocate(2); and in a child that keeps the default
 * SIGXFSZ action, which must be killed by it.
 *
 * The project directory is the step's own to fill (README, "Limits"): it is
 * not attacked here. The /tmp file stays (the private /tmp goes with the
 * sandbox); the others are removed.
 *
 * Modelled on disk-filling denial of service by build steps and package
 * scripts (CWE-400).
 *
 * Arguments: writable=DIR (for the RLIMIT_FSIZE part).
 */
#include "escape.h"

#include <linux/falloc.h>
#include <sys/statvfs.h>

static char path[512];

static int write_past(void *ctx) {
  (void)ctx;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  static char chunk[65536];
  for (;;)
    if (write(fd, chunk, sizeof chunk) < 0) return errno;
}

static unsigned long long memory_bytes(void) {
  char buf[4096];
  ssize_t n = read_path("/proc/meminfo", buf, sizeof buf - 1);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *total = strstr(buf, "MemTotal:");
  return total ? strtoull(total + 9, NULL, 10) * 1024 : 0;
}

/* The size a tmpfs declares, or 0 when it cannot be read. */
static unsigned long long declared_size(const char *dir) {
  struct statvfs st;
  if (statvfs(dir, &st) != 0) return 0;
  return (unsigned long long)st.f_blocks * st.f_frsize;
}

/* Declares at most a quarter of memory, or an escape is reported. */
static int bounded(const char *check, const char *dir, unsigned long long memory) {
  unsigned long long size = declared_size(dir);
  if (size == 0 || memory == 0 || size > memory / 4) {
    escaped(check, "%s declares %llu bytes, more than a quarter of the memory (%llu): not filling it", dir, size, memory);
    return 0;
  }
  return 1;
}

static void fill_tmp(unsigned long long memory) {
  if (bounded("shm", "/dev/shm", memory)) held("shm", "/dev/shm holds at most %llu bytes", declared_size("/dev/shm"));
  if (!bounded("tmp", "/tmp", memory)) return;
  unsigned long long size = declared_size("/tmp");
  char name[64];
  snprintf(name, sizeof name, "/tmp/.escape-fill-%d", (int)getpid());
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    held("tmp", "cannot create %s: %s", name, errname(errno));
    return;
  }
  static char chunk[1 << 20];
  unsigned long long written = 0;
  int err = 0;
  while (written <= size) {
    ssize_t n = write(fd, chunk, sizeof chunk);
    if (n < 0) {
      err = errno;
      break;
    }
    written += (unsigned long long)n;
  }
  close(fd);
  /* Left full, as a build that failed on it would leave it: the private
   * /tmp goes with the sandbox, and airlock must say it was filled. */
  if (err == ENOSPC && written <= size) held("tmp", "/tmp full at %llu bytes (ENOSPC), its bound %llu", written, size);
  else escaped("tmp", "wrote %llu bytes into /tmp (bound %llu), stopped by %s", written, size, err ? errname(err) : "nothing");
}

int main(int argc, char **argv) {
  escape_init("disk_fill", argc, argv);
  struct rlimit lim;
  getrlimit(RLIMIT_FSIZE, &lim);
  unsigned long long memory = memory_bytes();
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > (64u << 20)) {
    fill_tmp(memory);  /* no limits.fsize to attack (test_escapes.sh sets one for that) */
    return 0;
  }
  /* RLIMIT_FSIZE would stop a fill of /tmp first: only the bounds are read. */
  if (bounded("tmp", "/tmp", memory)) held("tmp", "/tmp holds at most %llu bytes", declared_size("/tmp"));
  if (bounded("shm", "/dev/shm", memory)) held("shm", "/dev/shm holds at most %llu bytes", declared_size("/dev/shm"));
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
