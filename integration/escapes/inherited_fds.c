/*
 * inherited_fds: use descriptors the caller had open when it started the
 * sandbox: the test opens a secret file on fd 7 and a directory outside
 * the sandbox's view on fd 8 before it runs airlock.
 *
 * Modelled on CVE-2024-21626 (runc "Leaky Vessels": a descriptor of the
 * host's /sys/fs/cgroup leaked into the container, and openat() or a
 * working directory of /proc/self/fd/N relative to it reached the host
 * filesystem) and CVE-2016-9962 (runc exec leaked descriptors into the
 * container).
 *
 * Arguments: needle=HEX.
 */
#include "escape.h"

#include <dirent.h>

static void describe_fd(int fd, char *out, size_t cap) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, cap - 1);
  if (n < 0) snprintf(out, cap, "(readlink: %s)", errname(errno));
  else out[n] = '\0';
}

int main(int argc, char **argv) {
  escape_init("inherited_fds", argc, argv);
  (void)needle();
  /* fcntl(F_GETFD) opens nothing, so the scan sees only what was inherited. */
  int open_fds[64], count = 0;
  for (int fd = 3; fd < 4096 && count < 64; fd++)
    if (fcntl(fd, F_GETFD) >= 0) open_fds[count++] = fd;

  char buf[4096], what[256];
  for (int fd = 7; fd <= 8; fd++) {
    char check[32];
    snprintf(check, sizeof check, "fd%d", fd);
    if (fcntl(fd, F_GETFD) < 0) {
      held(check, "fd %d is not open: %s", fd, errname(errno));
      continue;
    }
    describe_fd(fd, what, sizeof what);
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    if (n > 0 && holds_needle(buf, (size_t)n)) escaped(check, "fd %d (%s) reads the caller's secret", fd, what);
    else escaped(check, "fd %d (%s) was inherited", fd, what);
    /* A directory descriptor from outside: what lies beneath it. */
    int sub = openat(fd, "secret.txt", O_RDONLY | O_CLOEXEC);
    if (sub >= 0) {
      n = read(sub, buf, sizeof buf);
      escaped("openat-inherited-dir", "openat(fd %d, \"secret.txt\") opened a file outside the view%s", fd,
              n > 0 && holds_needle(buf, (size_t)n) ? " and read the secret" : "");
      close(sub);
    }
  }
  int others = 0;
  for (int i = 0; i < count; i++) {
    if (open_fds[i] == 7 || open_fds[i] == 8) continue;
    describe_fd(open_fds[i], what, sizeof what);
    char check[32];
    snprintf(check, sizeof check, "fd%d", open_fds[i]);
    escaped(check, "fd %d (%s) is open at start: a descriptor leaked into the sandbox", open_fds[i], what);
    others++;
  }
  if (others == 0) held("other-fds", "no descriptor above 2 is open at start besides those reported above");
  return 0;
}
