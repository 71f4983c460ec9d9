/*
 * raw_packet: open raw IP and packet sockets, which need CAP_NET_RAW:
 * forged packets, sniffing, and AF_PACKET's ring buffers, a repeated
 * source of kernel exploits reached from user namespaces.
 *
 * Modelled on CVE-2020-14386 (AF_PACKET tpacket_rcv overflow to root, needs
 * CAP_NET_RAW) and CVE-2017-7308 (AF_PACKET packet_set_ring); unprivileged
 * ICMP "ping" sockets are allowed only by net.ipv4.ping_group_range, and
 * the sandbox's network namespace has only lo.
 */
#include "escape.h"

#include <linux/if_ether.h>
#include <netinet/in.h>

int main(int argc, char **argv) {
  escape_init("raw_packet", argc, argv);
  static const struct {
    const char *check, *what;
    int family, type, protocol;
  } tries[] = {
      {"raw-ipv4", "AF_INET SOCK_RAW IPPROTO_RAW", AF_INET, SOCK_RAW, IPPROTO_RAW},
      {"raw-icmp", "AF_INET SOCK_RAW IPPROTO_ICMP", AF_INET, SOCK_RAW, IPPROTO_ICMP},
      {"raw-ipv6", "AF_INET6 SOCK_RAW IPPROTO_RAW", AF_INET6, SOCK_RAW, IPPROTO_RAW},
      {"packet-raw", "AF_PACKET SOCK_RAW ETH_P_ALL", AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */},
      {"packet-dgram", "AF_PACKET SOCK_DGRAM ETH_P_IP", AF_PACKET, SOCK_DGRAM, 0x0008 /* htons(ETH_P_IP) */},
  };
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    int fd = socket(tries[i].family, tries[i].type | SOCK_CLOEXEC, tries[i].protocol);
    if (fd >= 0) {
      escaped(tries[i].check, "socket(%s) opened: CAP_NET_RAW in effect", tries[i].what);
      close(fd);
    } else {
      held(tries[i].check, "socket(%s): %s", tries[i].what, errname(errno));
    }
  }
  int ping = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (ping >= 0) {
    held("ping-socket", "an unprivileged ICMP socket opened (net.ipv4.ping_group_range allows it): it needs no privilege and reaches only lo");
    close(ping);
  } else {
    held("ping-socket", "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): %s", errname(errno));
  }
  return 0;
}
