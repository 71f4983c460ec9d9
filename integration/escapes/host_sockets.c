/*
 * host_sockets: connect to host services on named unix sockets: a D-Bus
 * session bus and an agent under /run/user/UID, a docker.sock-like socket
 * in /run and in the home directory (Docker Desktop keeps one in
 * ~/.docker), an ssh-agent socket in the host's /tmp, and a socket in a
 * host directory the profile does not grant. Neither a read-only mount nor
 * Landlock (up to ABI 7) stops connect(2) on a socket file the process can
 * see, so only hiding it does.
 *
 * Modelled on CVE-2019-7304 (snapd "dirty_sock": root through the API on
 * /run/snapd.socket), CVE-2021-21261 (Flatpak: sandbox escape through the
 * portal on the D-Bus session bus) and the docker.sock mount that hands
 * out root on the host.
 *
 * Arguments: sockets=PATH,PATH,... [label=...].
 */
#include "escape.h"

#include <sys/un.h>

int main(int argc, char **argv) {
  escape_init("host_sockets", argc, argv);
  char list[4096];
  snprintf(list, sizeof list, "%s", need_arg("sockets"));
  for (char *save = NULL, *path = strtok_r(list, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char check[128];
    /* The check names the socket by its directory and name. */
    const char *dir_end = strrchr(path, '/');
    const char *dir_start = dir_end;
    while (dir_start > path && dir_start[-1] != '/') dir_start--;
    snprintf(check, sizeof check, "%.*s/%s", (int)(dir_end - dir_start), dir_start, base);
    for (char *c = check; *c; c++)
      if (*c == '/' || *c == ' ') *c = '-';
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      held(check, "socket(AF_UNIX): %s", errname(errno));
      continue;
    }
    int err = connect_within(fd, (struct sockaddr *)&sa, sizeof sa, 1000);
    if (err == 0) {
      introduce(fd);
      char reply[128] = "";
      ssize_t n = recv_within(fd, reply, sizeof reply - 1, 1000);
      reply[n > 0 ? n : 0] = '\0';
      escaped(check, "connected to %s (%s)", path, n > 0 ? reply : "no reply");
    } else {
      held(check, "connect(%s): %s", path, errname(err));
    }
    close(fd);
  }
  return 0;
}
