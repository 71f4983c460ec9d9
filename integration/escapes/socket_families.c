/*
 * socket_families: open a socket of an address family a build never needs.
 * A network namespace covers inet and inet6 only: AF_VSOCK reaches the
 * hypervisor host of a VM past every network rule, AF_PACKET and AF_XDP
 * the link layer, AF_ALG kernel crypto, AF_BLUETOOTH/AF_CAN/AF_TIPC/AF_RDS
 * their own protocol stacks, each a kernel attack surface of its own.
 * Each family counts as held when socket() fails (EAFNOSUPPORT from the
 * filter, or the kernel's own refusal), and socketpair() of a family other
 * than unix likewise.
 *
 * Modelled on CVE-2021-26708 (AF_VSOCK race to code execution in the
 * kernel), CVE-2020-14386 (AF_PACKET memory corruption) and CVE-2019-8912
 * (AF_ALG use after free), all reachable by any user who can create the
 * socket.
 */
#include "escape.h"

#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

struct family {
  const char *name;
  int domain;
  int type;
};

static const struct family families[] = {
    {"vsock", AF_VSOCK, SOCK_STREAM},  {"packet", AF_PACKET, SOCK_DGRAM}, {"alg", AF_ALG, SOCK_SEQPACKET},
    {"bluetooth", AF_BLUETOOTH, SOCK_STREAM}, {"can", AF_CAN, SOCK_RAW}, {"tipc", AF_TIPC, SOCK_RDM},
    {"rds", AF_RDS, SOCK_SEQPACKET},   {"xdp", AF_XDP, SOCK_RAW},      {"key", AF_KEY, SOCK_RAW},
};

int main(int argc, char **argv) {
  escape_init("socket_families", argc, argv);
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
    const struct family *f = &families[i];
    int fd = socket(f->domain, f->type | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      escaped(f->name, "socket(%d) succeeded", f->domain);
      close(fd);
    } else {
      held(f->name, "socket(%d): %s", f->domain, errname(errno));
    }
  }
  /* The family is an int: upper bits the kernel drops must not slip past. */
  long fd = syscall(SYS_socket, 0x100000000L | AF_VSOCK, SOCK_STREAM, 0);
  if (fd >= 0) {
    escaped("vsock-high-bits", "socket(0x1%08x) succeeded", AF_VSOCK);
    close((int)fd);
  } else {
    held("vsock-high-bits", "socket(0x1%08x): %s", AF_VSOCK, errname(errno));
  }
  int pair[2];
  if (socketpair(AF_TIPC, SOCK_SEQPACKET, 0, pair) == 0) {
    escaped("socketpair", "socketpair(AF_TIPC) succeeded");
  } else {
    held("socketpair", "socketpair(AF_TIPC): %s", errname(errno));
  }
  return 0;
}
