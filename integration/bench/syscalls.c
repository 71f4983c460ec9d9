/* Steady-state cost of the sandbox on syscalls: tight loops of the calls a
 * build makes most (stat, open+close, getpid, read of /dev/zero). Prints
 * nanoseconds per call for each, one "name ns" line per loop. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  const long n = argc > 1 ? atol(argv[1]) : 200000;
  const char *path = argc > 2 ? argv[2] : "/usr/include/stdio.h";
  struct stat st;
  char buf[64];
  double t;

  t = now_ns();
  for (long i = 0; i < n; ++i) syscall(SYS_getpid);
  printf("getpid %.1f\n", (now_ns() - t) / (double)n);

  t = now_ns();
  for (long i = 0; i < n; ++i)
    if (stat(path, &st) != 0) return 1;
  printf("stat %.1f\n", (now_ns() - t) / (double)n);

  t = now_ns();
  for (long i = 0; i < n; ++i) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    close(fd);
  }
  printf("open+close %.1f\n", (now_ns() - t) / (double)n);

  int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (zero < 0) return 1;
  t = now_ns();
  for (long i = 0; i < n; ++i)
    if (read(zero, buf, sizeof buf) != (ssize_t)sizeof buf) return 1;
  printf("read %.1f\n", (now_ns() - t) / (double)n);
  return 0;
}
