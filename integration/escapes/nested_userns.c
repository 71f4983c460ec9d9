/*
 * nested_userns: make a user namespace of one's own, where the process
 * holds every capability again, then use them: mount a tmpfs, unmount the
 * mask over the hidden secret, make a network namespace.
 *
 * Modelled on CVE-2022-0185 (fsconfig heap overflow reached by
 * unprivileged users through a user namespace), CVE-2023-0386 (overlayfs
 * setuid copy-up from a user namespace) and CVE-2023-32233 (nf_tables
 * use-after-free, CAP_NET_ADMIN from a user namespace): most recent kernel
 * privilege escalations start with unshare(CLONE_NEWUSER).
 *
 * Arguments: needle=HEX hidden=PATH.
 */
#include "escape.h"

#include <libgen.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text, strlen(text));
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

/* In the new user namespace: what do the regained capabilities buy? */
static void use_capabilities(const char *hidden) {
  char map[64];
  snprintf(map, sizeof map, "0 %d 1", (int)getuid());
  int uid_err = write_file("/proc/self/uid_map", map);
  if (uid_err == 0) escaped("uid_map", "wrote the new namespace's uid_map: root inside it");
  else held("uid_map", "uid_map of the new namespace: %s", errname(uid_err));

  if (unshare(CLONE_NEWNS) != 0) {
    held("mount-namespace", "unshare(CLONE_NEWNS) in the new user namespace: %s", errname(errno));
  } else {
    if (mount("none", "/tmp", "tmpfs", 0, NULL) == 0) escaped("mount-tmpfs", "mounted a tmpfs: the mount attack surface is reachable");
    else held("mount-tmpfs", "mount tmpfs: %s", errname(errno));
    char copy[512];
    snprintf(copy, sizeof copy, "%s", hidden);
    const char *mask = dirname(copy);
    if (umount2(mask, MNT_DETACH) == 0) {
      char buf[4096];
      ssize_t n = read_path(hidden, buf, sizeof buf);
      escaped("umount-mask", "unmounted the mask on %s%s", mask, n > 0 && holds_needle(buf, (size_t)n) ? " and read the secret" : "");
    } else {
      held("umount-mask", "umount2(%s): %s (mounts inherited from a more privileged namespace are locked)", mask, errname(errno));
    }
  }
  if (unshare(CLONE_NEWNET) == 0) escaped("net-namespace", "made a network namespace with CAP_NET_ADMIN in it");
  else held("net-namespace", "unshare(CLONE_NEWNET): %s", errname(errno));
}

static int clone_child(void *ctx) {
  (void)ctx;
  return 0;
}

int main(int argc, char **argv) {
  escape_init("nested_userns", argc, argv);
  (void)needle();
  const char *hidden = need_arg("hidden");

  static char stack[64 * 1024];
  int pid = clone(clone_child, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, NULL);
  if (pid > 0) {
    waitpid(pid, NULL, 0);
    escaped("clone-newuser", "clone(CLONE_NEWUSER) made a user namespace");
  } else {
    held("clone-newuser", "clone(CLONE_NEWUSER): %s", errname(errno));
  }

  static const struct {
    const char *check;
    int flag;
  } others[] = {{"unshare-newns", CLONE_NEWNS}, {"unshare-newnet", CLONE_NEWNET}, {"unshare-newpid", CLONE_NEWPID},
                {"unshare-newipc", CLONE_NEWIPC}, {"unshare-newuts", CLONE_NEWUTS}, {"unshare-newcgroup", CLONE_NEWCGROUP}};
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    pid_t child = fork();
    if (child == 0) _exit(unshare(others[i].flag) == 0 ? 0 : errno);
    int status = 0;
    waitpid(child, &status, 0);
    if (child_succeeded(status)) escaped(others[i].check, "unshare succeeded without a new user namespace");
    else held(others[i].check, "unshare: %s", child_outcome(status));
  }

  /* setns(2) into init's namespaces: the same namespaces, but a handle on a
   * more privileged process's namespaces must not be usable. */
  int nsfd = open("/proc/1/ns/user", O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) held("setns-init", "/proc/1/ns/user: %s", errname(errno));
  else {
    if (setns(nsfd, CLONE_NEWUSER) == 0) escaped("setns-init", "setns into init's user namespace worked");
    else held("setns-init", "setns(/proc/1/ns/user): %s", errname(errno));
    close(nsfd);
  }

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    if (unshare(CLONE_NEWUSER) != 0) {
      held("unshare-newuser", "unshare(CLONE_NEWUSER): %s", errname(errno));
      _exit(0);
    }
    escaped("unshare-newuser", "unshare(CLONE_NEWUSER) made a user namespace: every capability inside it");
    use_capabilities(hidden);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  return 0;
}
