/*
 * chroot_break: leave the sandbox's root with the classic chroot tricks:
 * chroot into a subdirectory while keeping a descriptor (or the working
 * directory) outside it, then walk up with "..", and pivot_root.
 *
 * Modelled on the double-chroot break-out (CWE-243) and CVE-2015-2925
 * (a directory renamed out of a bind mount let ".." walk past the root of
 * a container). airlock's root comes from pivot_root with the old root
 * detached, so even a working chroot must find nothing above it.
 *
 * Arguments: needle=HEX hidden=PATH.
 */
#include "escape.h"

#include <sys/syscall.h>

static struct stat root_before;

static int same_root(void) {
  struct stat now;
  if (stat("/", &now) != 0) return 1;
  return now.st_dev == root_before.st_dev && now.st_ino == root_before.st_ino;
}

static int break_out(void *ctx) {
  const char *hidden = ctx;
  if (mkdir("/tmp/.escape-jail", 0700) != 0 && errno != EEXIST) return errno;
  int outside = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (chroot("/tmp/.escape-jail") != 0) return errno;
  /* fchdir to a directory outside the new root, then ".." past it. */
  if (fchdir(outside) != 0) return errno;
  for (int i = 0; i < 64; i++)
    if (chdir("..") != 0) return errno;
  if (chroot(".") != 0) return errno;
  char buf[4096];
  ssize_t n = read_path(hidden, buf, sizeof buf);
  if (n > 0 && holds_needle(buf, (size_t)n)) return 100; /* read the secret */
  return same_root() ? 101 : 102;                         /* back at the sandbox's root / above it */
}

static int pivot(void *ctx) {
  (void)ctx;
  return syscall(SYS_pivot_root, ".", ".") == 0 ? 0 : errno;
}

int main(int argc, char **argv) {
  escape_init("chroot_break", argc, argv);
  (void)needle();
  const char *hidden = need_arg("hidden");
  if (stat("/", &root_before) != 0) {
    fprintf(stderr, "stat /: %s\n", strerror(errno));
    return 2;
  }
  int status = in_child(break_out, (void *)hidden);
  rmdir("/tmp/.escape-jail");
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 100) escaped("double-chroot", "chroot break-out read the hidden secret");
  else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 102) escaped("double-chroot", "chroot break-out reached a root above the sandbox's");
  else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 101) held("double-chroot", "chroot worked, but \"..\" stops at the sandbox's own root (pivot_root)");
  else held("double-chroot", "chroot: %s", child_outcome(status));

  status = in_child(pivot, NULL);
  if (child_succeeded(status)) escaped("pivot_root", "pivot_root(\".\", \".\") worked");
  else held("pivot_root", "pivot_root: %s", child_outcome(status));
  return 0;
}
