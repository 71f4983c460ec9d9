/*
 * proc_sys_writes: open kernel-wide knobs for writing: the core-dump
 * handler (/proc/sys/kernel/core_pattern runs a program as root on every
 * crash), the hotplug helper (/sys/kernel/uevent_helper), cgroup v1's
 * release_agent, the sysrq trigger, the page cache, the hostname, and
 * make a cgroup. Nothing is written: opening for writing is the test.
 *
 * Modelled on CVE-2022-0492 (cgroup v1 release_agent writable from a user
 * namespace: a container escape to root) and on the core_pattern and
 * uevent_helper escapes of privileged containers.
 */
#include "escape.h"

#include <glob.h>

static void try_write(const char *path) {
  char check[160];
  snprintf(check, sizeof check, "%s", path);
  for (char *c = check; *c; c++)
    if (*c == '/') *c = '-';
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0) {
    escaped(check + 1, "%s opened for writing", path);
    close(fd);
  } else {
    held(check + 1, "%s: %s", path, errname(errno));
  }
}

int main(int argc, char **argv) {
  escape_init("proc_sys_writes", argc, argv);
  static const char *const knobs[] = {
      "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
      "/proc/sys/kernel/modprobe",     "/proc/sysrq-trigger",       "/sys/kernel/uevent_helper",
      "/sys/fs/cgroup/release_agent",
  };
  for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) try_write(knobs[i]);
  glob_t g;
  if (glob("/sys/fs/cgroup/*/release_agent", 0, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) try_write(g.gl_pathv[i]);
    globfree(&g);
  }
  if (mkdir("/sys/fs/cgroup/airlock-escape", 0755) == 0) {
    rmdir("/sys/fs/cgroup/airlock-escape");
    escaped("cgroup-mkdir", "made a cgroup under /sys/fs/cgroup");
  } else {
    held("cgroup-mkdir", "mkdir /sys/fs/cgroup/airlock-escape: %s", errname(errno));
  }
  return 0;
}
