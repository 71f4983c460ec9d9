/*
 * kernel_modules: load code into the kernel with init_module(2) and
 * finit_module(2), unload a module with delete_module(2), and have the
 * kernel load one on demand by asking for a socket of a family or
 * protocol that may live in a module.
 *
 * Modelled on what CAP_SYS_MODULE means (the kernel's capabilities(7):
 * "load and unload kernel modules") and on module autoloading as an attack
 * path: CVE-2017-6074 (DCCP double free) and CVE-2019-11815 (RDS) were
 * reachable by unprivileged users because socket() autoloads the protocol
 * module.
 *
 * A refused load must be refused for want of privilege (EPERM): any other
 * error means the capability check passed and only the bogus image failed.
 */
#include "escape.h"

#include <sys/syscall.h>

static void judge(const char *check, const char *what, long rc) {
  if (rc == 0) escaped(check, "%s succeeded", what);
  else if (errno == EPERM) held(check, "%s: EPERM", what);
  else if (errno == ENOSYS) skipped(check, "%s: ENOSYS: the kernel has no module support (CONFIG_MODULES=n)", what);
  else escaped(check, "%s passed the privilege check (%s)", what, errname(errno));
}

/* Lines in /proc/modules; -1 when the kernel has no module support. */
static int module_count(void) {
  static char buf[1 << 20];
  ssize_t n = read_path("/proc/modules", buf, sizeof buf);
  if (n < 0) return -1;
  int lines = 0;
  for (ssize_t i = 0; i < n; i++) lines += buf[i] == '\n';
  return lines;
}

int main(int argc, char **argv) {
  escape_init("kernel_modules", argc, argv);
  static const char image[] = "\177ELF not a module";
  judge("init_module", "init_module(bogus image)", syscall(SYS_init_module, image, sizeof image, ""));
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  judge("finit_module", "finit_module(/dev/null)", syscall(SYS_finit_module, fd, "", 0));
  close(fd);
  long rc = syscall(SYS_delete_module, "airlock_escape_no_such_module", O_NONBLOCK);
  if (rc != 0 && errno == ENOENT) escaped("delete_module", "delete_module passed the privilege check (ENOENT)");
  else judge("delete_module", "delete_module(no such module)", rc);

  /* Families and protocols commonly built as modules: a socket() of one
   * makes the kernel load it (request_module), unless it is built in or
   * autoloading is off. A new line in /proc/modules is the evidence. */
  static const struct {
    const char *name;
    int family, type, protocol;
  } sockets[] = {{"dccp", AF_INET, SOCK_DCCP, 33}, {"sctp", AF_INET, SOCK_STREAM, 132}, {"rds", 21, SOCK_SEQPACKET, 0}};
  for (size_t i = 0; i < 3; i++) {
    char check[32];
    snprintf(check, sizeof check, "autoload-%s", sockets[i].name);
    int before = module_count();
    int s = socket(sockets[i].family, sockets[i].type | SOCK_CLOEXEC, sockets[i].protocol);
    int err = errno;
    int after = module_count();
    if (s >= 0) close(s);
    if (after > before) escaped(check, "socket(%s) loaded a kernel module (%d -> %d in /proc/modules)", sockets[i].name, before, after);
    else if (s >= 0) held(check, "socket(%s) opened with no module loaded (built in or already there; the sandbox has only lo)", sockets[i].name);
    else held(check, "socket(%s): %s, no module loaded", sockets[i].name, errname(err));
  }
  return 0;
}
