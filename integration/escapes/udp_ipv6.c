/*
 * udp_ipv6: leave by the protocols a TCP/IPv4-only rule forgets: UDP to a
 * host loopback echo service, TCP and UDP over IPv6 loopback, TCP to an
 * IPv4-mapped IPv6 address, and TCP to a non-loopback IPv6 address that
 * the test made local in its own network namespace.
 *
 * TCP to the host's 127.0.0.1 is the baseline (test_core_isolation.sh
 * covers it in more depth).
 *
 * Modelled on CVE-2020-13401 (Docker: containers could send IPv6 router
 * advertisements and redirect the host's IPv6 traffic, IPv6 being left out
 * of the network isolation) and firewall set-ups that filter IPv4 only.
 *
 * Arguments: tcp=ADDR:PORT udp=ADDR:PORT udp6=[ADDR]:PORT tcp6=[ADDR]:PORT
 *            mapped=[::ffff:127.0.0.1]:PORT ula6=[ADDR]:PORT [label=...].
 */
#include "net_util.h"

int main(int argc, char **argv) {
  escape_init("udp_ipv6", argc, argv);
  static const char ping[] = "airlock-escape udp\n";
  tcp_attempt("tcp-loopback", need_arg("tcp"));
  udp_attempt("udp-loopback", need_arg("udp"), ping, sizeof ping - 1);
  udp_attempt("udp6-loopback", need_arg("udp6"), ping, sizeof ping - 1);
  tcp_attempt("tcp6-loopback", need_arg("tcp6"));
  tcp_attempt("tcp-v4-mapped", need_arg("mapped"));
  tcp_attempt("tcp6-ula", need_arg("ula6"));
  return 0;
}
