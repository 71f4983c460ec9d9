/*
 * hardlink_rename: move a secret into reach, or a planted file out of it,
 * without reading or writing through a path the sandbox denies: link(2)
 * and rename(2) of a secret from a host directory the profile does not
 * grant (outside=DIR, holding secret.txt) and of the hidden secret
 * (hidden=PATH) into the writable directory (writable=DIR); rename of a
 * file out of the writable directory; link via an O_PATH descriptor
 * (linkat AT_EMPTY_PATH); a bind mount of the secret into the directory.
 *
 * Modelled on the hard-link attacks that fs.protected_hardlinks was added
 * for (Linux 3.6, "fs: add link restrictions"), on the reparenting that
 * Landlock's LANDLOCK_ACCESS_FS_REFER (Linux 5.19) exists to stop, and on
 * CVE-2015-2925 (a rename moved a directory out of a bind mount, escaping
 * it). Both directories sit on the same host filesystem, so only the
 * sandbox's mounts and rules can stop the link.
 *
 * Arguments: needle=HEX hidden=PATH outside=DIR writable=DIR.
 */
#include "escape.h"

#include <sys/mount.h>

static void judge_new_file(const char *check, const char *how, const char *path) {
  char buf[4096];
  ssize_t n = read_path(path, buf, sizeof buf);
  if (n > 0 && holds_needle(buf, (size_t)n)) escaped(check, "%s: %s now reads the secret", how, path);
  else escaped(check, "%s created %s (%s)", how, path, n < 0 ? errname(errno) : "no secret in it");
  unlink(path);
}

int main(int argc, char **argv) {
  escape_init("hardlink_rename", argc, argv);
  (void)needle();
  const char *hidden = need_arg("hidden");
  const char *outside = need_arg("outside");
  const char *writable = need_arg("writable");
  char secret[512], dest[1024], planted[1024], out[1024];
  snprintf(secret, sizeof secret, "%s/secret.txt", outside);
  snprintf(dest, sizeof dest, "%s/.escape-stolen-%d", writable, (int)getpid());

  if (link(secret, dest) == 0) judge_new_file("link-outside", "link()", dest);
  else held("link-outside", "link(%s) into %s: %s", secret, writable, errname(errno));

  if (link(hidden, dest) == 0) judge_new_file("link-hidden", "link()", dest);
  else held("link-hidden", "link(%s) into %s: %s", hidden, writable, errname(errno));

  int fd = open(secret, O_PATH | O_CLOEXEC);
  if (fd < 0) held("linkat-o_path-outside", "open(%s, O_PATH): %s", secret, errname(errno));
  else {
    if (linkat(fd, "", AT_FDCWD, dest, AT_EMPTY_PATH) == 0) judge_new_file("linkat-o_path-outside", "linkat(AT_EMPTY_PATH)", dest);
    else held("linkat-o_path-outside", "linkat(O_PATH fd, AT_EMPTY_PATH): %s", errname(errno));
    close(fd);
  }

  if (rename(secret, dest) == 0) {
    /* Put it back before anything else: the test checks it is there. */
    if (rename(dest, secret) != 0) link(dest, secret);
    escaped("rename-outside-in", "rename(%s) into %s worked", secret, writable);
  } else {
    held("rename-outside-in", "rename(%s) into %s: %s", secret, writable, errname(errno));
  }

  /* The other way: plant a file outside the writable tree. */
  snprintf(planted, sizeof planted, "%s/.escape-planted-%d", writable, (int)getpid());
  snprintf(out, sizeof out, "%s/planted-by-sandbox", outside);
  int pfd = open(planted, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (pfd < 0) {
    held("rename-out", "cannot create a file to move in %s: %s", writable, errname(errno));
  } else {
    close(pfd);
    if (rename(planted, out) == 0) escaped("rename-out", "rename() moved a file to %s", out);
    else held("rename-out", "rename() to %s: %s", out, errname(errno));
    if (link(planted, out) == 0) escaped("link-out", "link() made %s", out);
    else held("link-out", "link() to %s: %s", out, errname(errno));
    unlink(planted);
  }

  int bfd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (bfd >= 0) close(bfd);
  if (mount(secret, dest, NULL, MS_BIND, NULL) == 0) {
    char buf[4096];
    ssize_t n = read_path(dest, buf, sizeof buf);
    escaped("bind-outside", "mount --bind of the secret onto %s worked%s", dest,
            n > 0 && holds_needle(buf, (size_t)n) ? " and reads it" : "");
    umount2(dest, MNT_DETACH);
  } else {
    held("bind-outside", "mount(MS_BIND) of %s: %s", secret, errname(errno));
  }
  unlink(dest);
  return 0;
}
