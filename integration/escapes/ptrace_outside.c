/*
 * ptrace_outside: attach to, or read the memory of, a process outside the
 * sandbox (the supervisor, the shell that started it, a victim holding a
 * secret in its environment) and the sandbox's own init, which holds
 * capabilities in the sandbox's user namespace.
 *
 * Modelled on CVE-2019-5736 (runc: a container process reached the host
 * runtime process through /proc and overwrote its binary) and
 * CVE-2019-13272 (ptrace credential mix-up to gain root); reading a
 * process's memory with process_vm_readv(2) is the quiet variant.
 *
 * Arguments: supervisor=PID shell=PID victim=PID (host pids).
 * targets=a,b limits the attempts (the test's control run outside the
 * sandbox tries the victim only, never the host's PID 1). An attach that
 * works is undone at once (PTRACE_DETACH).
 */
#include "escape.h"

#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

static void try_target(const char *who, pid_t pid) {
  char check[64];

  snprintf(check, sizeof check, "attach-%s", who);
  if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0) {
    escaped(check, "PTRACE_SEIZE of pid %d succeeded", (int)pid);
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
  } else {
    held(check, "PTRACE_SEIZE pid %d: %s", (int)pid, errname(errno));
  }

  /* An address the target is sure to have mapped is not needed: EFAULT
   * would already mean the kernel found the process and allowed access. */
  snprintf(check, sizeof check, "process_vm_readv-%s", who);
  char byte;
  struct iovec local = {.iov_base = &byte, .iov_len = 1};
  struct iovec remote = {.iov_base = (void *)0x400000, .iov_len = 1};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n >= 0 || errno == EFAULT) escaped(check, "process_vm_readv of pid %d reached its memory (%s)", (int)pid, n >= 0 ? "read a byte" : "EFAULT");
  else held(check, "process_vm_readv pid %d: %s", (int)pid, errname(errno));

  snprintf(check, sizeof check, "pidfd_open-%s", who);
  long pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    if (pid == 1) held(check, "pidfd_open(1) gives a handle on the sandbox's own init (the kernel ignores signals to PID 1 from inside)");
    else escaped(check, "pidfd_open of pid %d gave a handle on it", (int)pid);
    /* pidfd_getfd(2) takes a copy of one of the target's descriptors. */
    snprintf(check, sizeof check, "pidfd_getfd-%s", who);
    int got = -1, err = 0;
    for (int fd = 0; fd < 16 && got < 0; fd++) {
      got = (int)syscall(SYS_pidfd_getfd, (int)pidfd, fd, 0);
      if (got < 0 && errno != EBADF) err = errno;
    }
    if (got >= 0) escaped(check, "pidfd_getfd copied a descriptor of pid %d", (int)pid);
    else held(check, "pidfd_getfd pid %d: %s", (int)pid, errname(err != 0 ? err : EBADF));
    if (got >= 0) close(got);
    close((int)pidfd);
  } else {
    held(check, "pidfd_open pid %d: %s", (int)pid, errname(errno));
  }
}

int main(int argc, char **argv) {
  escape_init("ptrace_outside", argc, argv);
  if (targeted("supervisor")) try_target("supervisor", (pid_t)arg_int("supervisor"));
  if (targeted("shell")) try_target("shell", (pid_t)arg_int("shell"));
  if (targeted("victim")) try_target("victim", (pid_t)arg_int("victim"));
  if (targeted("init")) try_target("init", 1);
  return 0;
}
