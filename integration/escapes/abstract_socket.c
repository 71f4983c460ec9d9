/*
 * abstract_socket: connect to a host service listening on an abstract unix
 * socket (a name in the network namespace, not a file: no mount or file
 * permission guards it). The test listens on @airlock-escapes-PID outside.
 *
 * Modelled on CVE-2020-15257 (containerd "Shimmy": containerd-shim's API
 * on an abstract socket was reachable from containers sharing the host's
 * network namespace, and gave root on the host); X11's @/tmp/.X11-unix/X0
 * is the everyday example.
 *
 * Arguments: abstract=NAME [label=...].
 */
#include "escape.h"

#include <stddef.h>
#include <sys/un.h>

int main(int argc, char **argv) {
  escape_init("abstract_socket", argc, argv);
  const char *name = need_arg("abstract");
  static const char *const names[] = {NULL, "/tmp/.X11-unix/X0"};
  for (int i = 0; i < 2; i++) {
    const char *target = names[i] ? names[i] : name;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(target);
    if (len + 1 >= sizeof sa.sun_path) len = sizeof sa.sun_path - 2;
    memcpy(sa.sun_path + 1, target, len);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      held(i ? "x11" : "host-listener", "socket(AF_UNIX): %s", errname(errno));
      continue;
    }
    int err = connect_within(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len), 1000);
    if (err == 0) {
      introduce(fd);
      char reply[128] = "";
      ssize_t n = recv_within(fd, reply, sizeof reply - 1, 1000);
      reply[n > 0 ? n : 0] = '\0';
      escaped(i ? "x11" : "host-listener", "connected to @%s (%s)", target, n > 0 ? reply : "no reply");
    } else {
      held(i ? "x11" : "host-listener", "connect(@%s): %s", target, errname(err));
    }
    close(fd);
  }
  return 0;
}
