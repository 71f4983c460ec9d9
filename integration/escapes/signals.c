/*
 * signals: signal processes outside the sandbox (the supervisor, the shell
 * that started it, a victim process of the same user) by pid, by pidfd,
 * by sigqueue, and by naming it the SIGIO owner of a socket (F_SETOWN). Only signal 0 and SIGCONT are
 * sent: the test checks that the victim still runs either way.
 *
 * No single CVE: modelled on what PID namespaces and Landlock's
 * LANDLOCK_SCOPE_SIGNAL (Linux 6.12) exist to stop: a build step that
 * kills or stops the developer's editor, agent or CI runner, all running
 * as the same user.
 *
 * Arguments: supervisor=PID shell=PID victim=PID [targets=...].
 */
#include "escape.h"

#include <sys/syscall.h>

static void try_target(const char *who, pid_t pid) {
  char check[64];
  snprintf(check, sizeof check, "kill-%s", who);
  if (kill(pid, 0) == 0) escaped(check, "kill(%d, 0) reached the process", (int)pid);
  else held(check, "kill(%d, 0): %s", (int)pid, errname(errno));

  snprintf(check, sizeof check, "sigcont-%s", who);
  if (kill(pid, SIGCONT) == 0) escaped(check, "kill(%d, SIGCONT) was delivered", (int)pid);
  else held(check, "kill(%d, SIGCONT): %s", (int)pid, errname(errno));

  snprintf(check, sizeof check, "sigqueue-%s", who);
  union sigval v = {.sival_int = 0};
  if (sigqueue(pid, 0, v) == 0) escaped(check, "sigqueue(%d, 0) reached the process", (int)pid);
  else held(check, "sigqueue(%d, 0): %s", (int)pid, errname(errno));

  snprintf(check, sizeof check, "f_setown-%s", who);
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    held(check, "socketpair: %s", errname(errno));
    return;
  }
  if (fcntl(fds[0], F_SETOWN, (int)pid) == 0) {
    int owner = fcntl(fds[0], F_GETOWN);
    if (owner == (int)pid) escaped(check, "F_SETOWN accepted pid %d as the SIGIO owner", (int)pid);
    else held(check, "F_SETOWN(%d) accepted but the owner reads %d: no such process here", (int)pid, owner);
  } else {
    held(check, "F_SETOWN(%d): %s", (int)pid, errname(errno));
  }
  close(fds[0]);
  close(fds[1]);
}

int main(int argc, char **argv) {
  escape_init("signals", argc, argv);
  if (targeted("supervisor")) try_target("supervisor", (pid_t)arg_int("supervisor"));
  if (targeted("shell")) try_target("shell", (pid_t)arg_int("shell"));
  if (targeted("victim")) try_target("victim", (pid_t)arg_int("victim"));
  if (targeted("pidfd")) {
    pid_t pid = (pid_t)arg_int("victim");
    long pidfd = syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) held("pidfd-victim", "pidfd_open(%d): %s", (int)pid, errname(errno));
    else {
      if (syscall(SYS_pidfd_send_signal, (int)pidfd, 0, NULL, 0) == 0) escaped("pidfd-victim", "pidfd_send_signal reached the victim");
      else held("pidfd-victim", "pidfd_send_signal: %s", errname(errno));
      close((int)pidfd);
    }
  }
  return 0;
}
