/* net_util.h: TCP and UDP attempts shared by the network probes.
 *
 * The verdict comes from who answers: the test's listeners identify
 * themselves ("hello from NAME"), so only that reply is an escape. Inside a
 * sandbox with network.mode = "allowlist", airlock's own DNS stub
 * (127.0.0.53) and gateway listeners (allowed ports, on every address)
 * accept connections and answer or reset them without anything leaving;
 * that is reported as HELD with what answered. */
#ifndef AIRLOCK_ESCAPE_NET_UTIL_H
#define AIRLOCK_ESCAPE_NET_UTIL_H

#include "escape.h"

/* The test passes "none" for an IPv6 endpoint when the kernel has no IPv6. */
static inline int no_endpoint(const char *check, const char *endpoint) {
  if (strcmp(endpoint, "none") != 0) return 0;
  skipped(check, "no IPv6 in this kernel (no /proc/net/if_inet6): nothing to listen on");
  return 1;
}

/* Connects to ENDPOINT over TCP and reports: a connection is an escape. */
static inline void tcp_attempt(const char *check, const char *endpoint) {
  if (no_endpoint(check, endpoint)) return;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  if (parse_endpoint(endpoint, &ss, &len) != 0) {
    fprintf(stderr, "%s: bad endpoint %s\n", escape_probe, endpoint);
    exit(2);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    held(check, "socket(%s): %s", ss.ss_family == AF_INET6 ? "AF_INET6" : "AF_INET", errname(errno));
    return;
  }
  int err = connect_within(fd, (struct sockaddr *)&ss, len, 1000);
  if (err == 0) {
    introduce(fd);
    char reply[128] = "";
    ssize_t n = recv_within(fd, reply, sizeof reply - 1, 1000);
    int recv_err = errno;
    reply[n > 0 ? n : 0] = '\0';
    if (n > 0 && strncmp(reply, "hello from ", 11) == 0) escaped(check, "TCP %s reached the host's listener (%s)", endpoint, reply);
    else if (n > 0) held(check, "TCP %s was accepted inside the sandbox and answered %zd bytes not from the host's listener", endpoint, n);
    else held(check, "TCP %s was accepted inside the sandbox (the gateway) and then %s", endpoint,
              n == 0 ? "closed or silent" : errname(recv_err));
  } else {
    held(check, "TCP connect %s: %s", endpoint, errname(err));
  }
  close(fd);
}

/* Sends PAYLOAD over UDP to ENDPOINT and waits for an answer: a datagram
 * "sends" whenever a route exists, so only a reply proves it arrived. The
 * socket is connected, so that an ICMP "port unreachable" from the
 * sandbox's own lo ends the wait at once (ECONNREFUSED). */
static inline void udp_attempt(const char *check, const char *endpoint, const void *payload, size_t size) {
  if (no_endpoint(check, endpoint)) return;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  if (parse_endpoint(endpoint, &ss, &len) != 0) {
    fprintf(stderr, "%s: bad endpoint %s\n", escape_probe, endpoint);
    exit(2);
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    held(check, "socket(SOCK_DGRAM): %s", errname(errno));
    return;
  }
  if (connect(fd, (struct sockaddr *)&ss, len) != 0 || send(fd, payload, size, 0) < 0) {
    held(check, "UDP %s: %s", endpoint, errname(errno));
    close(fd);
    return;
  }
  char reply[512];
  ssize_t n = recv_within(fd, reply, sizeof reply, 1000);
  if (n > 11 && memcmp(reply, "hello from ", 11) == 0) escaped(check, "UDP %s reached the host's listener (%zd bytes)", endpoint, n);
  else if (n > 0) held(check, "UDP %s was answered inside the sandbox (%zd bytes, e.g. airlock's DNS stub), not by the host's listener", endpoint, n);
  else if (n == 0) held(check, "UDP %s: sent, no answer within 1s", endpoint);
  else held(check, "UDP %s: %s", endpoint, errname(errno));
  close(fd);
}

#endif
