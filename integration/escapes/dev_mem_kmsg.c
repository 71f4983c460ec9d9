/*
 * dev_mem_kmsg: reach hardware and kernel state through device nodes:
 * physical and kernel memory (/dev/mem, /dev/kmem, /dev/port), the kernel
 * log (/dev/kmsg, read for addresses or written to forge entries; also
 * syslog(2)), disks (/dev/sda, /dev/vda, /dev/nvme0n1), virtual consoles
 * (/dev/tty0), and a /dev/mem node made with mknod(2) in a writable place.
 *
 * Modelled on privileged-container escapes through device nodes (mounting
 * the host's disk from `docker run --privileged`, reading /dev/mem) and on
 * kernel address leaks through the kernel log, the reason for
 * kernel.dmesg_restrict (Linux 2.6.37) and for nodev mounts.
 *
 * Arguments: writable=DIR.
 */
#include "escape.h"

#include <sys/klog.h>
#include <sys/sysmacros.h>

static void try_open(const char *path, int flags, const char *mode) {
  char check[64];
  snprintf(check, sizeof check, "%s-%s", path + 5, mode);
  int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd >= 0) {
    escaped(check, "%s opened for %s", path, mode);
    close(fd);
  } else {
    held(check, "%s: %s", path, errname(errno));
  }
}

int main(int argc, char **argv) {
  escape_init("dev_mem_kmsg", argc, argv);
  const char *dir = need_arg("writable");
  static const char *const devices[] = {"/dev/mem", "/dev/kmem", "/dev/port", "/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/tty0"};
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) try_open(devices[i], O_RDONLY, "read");
  try_open("/dev/kmsg", O_RDONLY, "read");
  try_open("/dev/kmsg", O_WRONLY, "write");

  char buf[256];
  int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof buf);
  if (n >= 0) escaped("syslog-read", "syslog(SYSLOG_ACTION_READ_ALL) read %d bytes of the kernel log", n);
  else held("syslog-read", "syslog(SYSLOG_ACTION_READ_ALL): %s", errname(errno));

  char node[512];
  snprintf(node, sizeof node, "%s/.escape-mem-%d", dir, (int)getpid());
  if (mknod(node, S_IFCHR | 0600, makedev(1, 1)) != 0) {
    held("mknod-mem", "mknod(%s, char 1:1): %s", node, errname(errno));
  } else {
    int fd = open(node, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      escaped("mknod-mem", "made and opened a /dev/mem node at %s", node);
      close(fd);
    } else {
      held("mknod-mem", "made %s but opening it fails: %s (nodev)", node, errname(errno));
    }
    unlink(node);
  }
  return 0;
}
