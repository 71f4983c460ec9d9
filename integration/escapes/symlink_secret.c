/*
 * symlink_secret: reach a secret through a symbolic link, a relative path,
 * or a reopened O_PATH descriptor: the secret hidden by @secret-files
 * (hidden=PATH) and one in a host directory the profile does not grant
 * (outside=DIR, holding secret.txt).
 *
 * Modelled on CVE-2018-15664 (docker cp followed a symlink swapped in by
 * the container to host paths) and CVE-2021-30465 (runc: a symlink raced
 * into a mount destination bound a host path into the container); a
 * project checked out from a hostile repository can ship such links. The
 * test plants leak-hidden and leak-outside links in the project; the probe
 * also makes its own in the writable directory (writable=DIR).
 *
 * Arguments: needle=HEX hidden=PATH outside=DIR writable=DIR.
 */
#include "escape.h"

static void try_read(const char *check, const char *path) {
  char buf[4096];
  ssize_t n = read_path(path, buf, sizeof buf);
  if (n < 0) held(check, "%s: %s", path, errname(errno));
  else if (holds_needle(buf, (size_t)n)) escaped(check, "%s reads the secret", path);
  else held(check, "%s opens but holds no secret (%zd bytes: a mask)", path, n);
}

int main(int argc, char **argv) {
  escape_init("symlink_secret", argc, argv);
  (void)needle();
  const char *hidden = need_arg("hidden");
  const char *outside = need_arg("outside");
  const char *writable = need_arg("writable");
  char outside_secret[512], path[1024];
  snprintf(outside_secret, sizeof outside_secret, "%s/secret.txt", outside);

  try_read("direct-hidden", hidden);
  try_read("direct-outside", outside_secret);
  try_read("planted-link-hidden", "leak-hidden");
  try_read("planted-link-outside", "leak-outside");

  static const struct {
    const char *name;
    int hidden;
  } own[] = {{"own-link-hidden", 1}, {"own-link-outside", 0}};
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/.escape-%s-%d", writable, own[i].name, (int)getpid());
    if (symlink(own[i].hidden ? hidden : outside_secret, path) != 0) {
      held(own[i].name, "symlink in %s: %s", writable, errname(errno));
      continue;
    }
    try_read(own[i].name, path);
    unlink(path);
  }

  /* ../ from the working directory up to the outside directory. */
  char cwd[512], rel[2048] = "";
  if (getcwd(cwd, sizeof cwd) != NULL) {
    for (const char *c = cwd; *c; c++)
      if (*c == '/') strcat(rel, "../");
    strcat(rel, outside_secret + 1);
    try_read("dotdot-outside", rel);
  }

  /* O_PATH needs no read right; reopening it through /proc/self/fd is a
   * second open that the read rules must judge again. */
  static const struct {
    const char *name;
    int hidden;
  } reopen[] = {{"o_path-reopen-hidden", 1}, {"o_path-reopen-outside", 0}};
  for (size_t i = 0; i < 2; i++) {
    const char *target = reopen[i].hidden ? hidden : outside_secret;
    int fd = open(target, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      held(reopen[i].name, "open(%s, O_PATH): %s", target, errname(errno));
      continue;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    try_read(reopen[i].name, path);
    close(fd);
  }
  return 0;
}
