/*
 * io_uring: set up a ring, whose operations (openat, connect, read...) run
 * in the kernel without passing through seccomp again.
 *
 * Modelled on CVE-2021-41073 and CVE-2022-29582 (io_uring privilege
 * escalations) and Google's 2023 report that 60% of the kernel exploits
 * submitted to its kCTF VRP used io_uring, after which ChromeOS, Android
 * and Google's servers disabled it; seccomp filters see only
 * io_uring_setup/enter/register, never the operations queued in the ring.
 */
#include "escape.h"

#include <linux/io_uring.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
  escape_init("io_uring", argc, argv);
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  long fd = syscall(SYS_io_uring_setup, 4, &params);
  if (fd >= 0) {
    escaped("setup", "io_uring_setup returned a ring (fd %ld): its operations bypass seccomp", fd);
    close((int)fd);
  } else {
    int err = errno;
    char sysctl[16] = "?";
    ssize_t n = read_path("/proc/sys/kernel/io_uring_disabled", sysctl, sizeof sysctl - 1);
    sysctl[n > 0 ? n - 1 : 0] = '\0';
    held("setup", "io_uring_setup: %s (kernel.io_uring_disabled=%s)", errname(err), sysctl);
  }
  /* io_uring_enter and io_uring_register act on a ring; without one they
   * grant nothing, so they only say which layer answered (EPERM: seccomp;
   * EBADF: the kernel, for want of a ring). */
  static const struct {
    const char *name;
    long nr;
  } calls[] = {{"enter", SYS_io_uring_enter}, {"register", SYS_io_uring_register}};
  for (size_t i = 0; i < 2; i++) {
    if (syscall(calls[i].nr, -1, 0, 0, 0, NULL, 0) == 0) escaped(calls[i].name, "io_uring_%s succeeded", calls[i].name);
    else held(calls[i].name, "io_uring_%s without a ring: %s", calls[i].name, errname(errno));
  }
  return 0;
}
