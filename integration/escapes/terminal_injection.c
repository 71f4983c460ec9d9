/*
 * terminal_injection: type into the caller's terminal from inside.
 *
 * Modelled on CVE-2016-7545 (SELinux `sandbox`), CVE-2017-5226 (bubblewrap):
 * TIOCSTI on an inherited terminal pushes characters into the input of the
 * shell that started the sandbox, which runs them after the sandbox exits;
 * CVE-2019-10063 (Flatpak): the same ioctl with bits set above 32 in cmd,
 * which the kernel drops; CVE-2023-1523 (snapd): TIOCLINUX's paste
 * (TIOCL_PASTESEL) does the same on a virtual console.
 *
 * Targets: fds 0-2 when they are terminals, /dev/tty, /dev/console (airlock
 * binds the caller's terminal there for ttyname(3)) and /dev/tty0. The
 * injected character is a space: harmless where it lands. targets=own
 * limits the attempts to fds 0-2 and /dev/tty: a control run outside a
 * sandbox must not type into the machine's console.
 */
#include "escape.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>

#ifndef TIOCL_PASTESEL
#define TIOCL_PASTESEL 3
#endif

static void inject(const char *where, int fd) {
  char check[64];
  snprintf(check, sizeof check, "TIOCSTI-%s", where);
  if (ioctl(fd, TIOCSTI, " ") == 0) escaped(check, "a character was pushed into the terminal's input");
  else held(check, "ioctl(TIOCSTI): %s", errname(errno));

  snprintf(check, sizeof check, "TIOCSTI-high-bits-%s", where);
  if (syscall(SYS_ioctl, fd, (1UL << 32) | TIOCSTI, " ") == 0)
    escaped(check, "cmd 0x1%08x (TIOCSTI with bit 32 set) pushed a character", TIOCSTI);
  else held(check, "ioctl(0x1%08x): %s", TIOCSTI, errname(errno));

  snprintf(check, sizeof check, "TIOCLINUX-paste-%s", where);
  char subcode = TIOCL_PASTESEL;
  if (ioctl(fd, TIOCLINUX, &subcode) == 0) escaped(check, "TIOCL_PASTESEL pasted the selection into the input");
  else held(check, "ioctl(TIOCLINUX, TIOCL_PASTESEL): %s", errname(errno));
}

int main(int argc, char **argv) {
  escape_init("terminal_injection", argc, argv);
  static const char *const names[] = {"stdin", "stdout", "stderr"};
  int tried = 0;
  for (int fd = 0; fd <= 2; fd++) {
    if (!isatty(fd)) continue;
    inject(names[fd], fd);
    tried++;
  }
  static const char *const devices[] = {"/dev/tty", "/dev/console", "/dev/tty0"};
  const size_t count = targeted("console") ? sizeof devices / sizeof devices[0] : 1;
  for (size_t i = 0; i < count; i++) {
    int fd = open(devices[i], O_RDWR | O_NOCTTY | O_CLOEXEC);
    char check[64];
    snprintf(check, sizeof check, "open-%s", devices[i] + 5);
    if (fd < 0) {
      held(check, "%s: %s", devices[i], errname(errno));
      continue;
    }
    inject(devices[i] + 5, fd);
    close(fd);
    tried++;
  }
  if (tried == 0) held("any-terminal", "no terminal is reachable: fds 0-2 are not terminals and no tty device opens");
  return 0;
}
