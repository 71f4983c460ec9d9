/*
 * userfaultfd: get a userfaultfd, which lets a process stall the kernel in
 * the middle of a copy from user memory, turning narrow kernel race
 * conditions into reliable exploits.
 *
 * Modelled on the kernel change that added vm.unprivileged_userfaultfd
 * (Linux 5.2, "userfaultfd/sysctl: add vm.unprivileged_userfaultfd"),
 * whose rationale is exactly this use in exploits, and on UFFD_USER_MODE_ONLY
 * (Linux 5.11), which unprivileged processes may still use.
 */
#include "escape.h"

#include <sys/syscall.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

int main(int argc, char **argv) {
  escape_init("userfaultfd", argc, argv);
  static const struct {
    const char *check;
    int flags;
  } tries[] = {{"syscall", O_CLOEXEC}, {"syscall-user-mode-only", O_CLOEXEC | UFFD_USER_MODE_ONLY}};
  for (size_t i = 0; i < 2; i++) {
    long fd = syscall(SYS_userfaultfd, tries[i].flags);
    if (fd >= 0) {
      escaped(tries[i].check, "userfaultfd gave a descriptor");
      close((int)fd);
    } else {
      held(tries[i].check, "userfaultfd: %s", errname(errno));
    }
  }
  int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
  if (dev >= 0) {
    escaped("dev-userfaultfd", "/dev/userfaultfd opened");
    close(dev);
  } else {
    held("dev-userfaultfd", "/dev/userfaultfd: %s", errname(errno));
  }
  return 0;
}
