/*
 * cloud_metadata: reach the cloud instance metadata service, which hands
 * out the machine's credentials to whoever asks from the machine:
 * 169.254.169.254 (AWS, GCP, Azure) and AWS's IPv6 endpoint fd00:ec2::254.
 * The test makes these addresses local in a network namespace of its own
 * and listens there; nothing is sent beyond it.
 *
 * Modelled on the 2019 Capital One breach (SSRF to the EC2 metadata
 * service, IAM credentials taken) and CVE-2020-8555 (Kubernetes
 * kube-controller-manager SSRF reaching the metadata service).
 *
 * Arguments: metadata=ADDR:PORT metadata6=[ADDR]:PORT [label=...].
 */
#include "net_util.h"

#include <netdb.h>

int main(int argc, char **argv) {
  escape_init("cloud_metadata", argc, argv);
  tcp_attempt("imds-ipv4", need_arg("metadata"));
  tcp_attempt("imds-ipv6", need_arg("metadata6"));
  struct addrinfo *res = NULL;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  int rc = getaddrinfo("metadata.google.internal", "80", &hints, &res);
  if (rc == 0) {
    escaped("gce-name", "metadata.google.internal resolved");
    freeaddrinfo(res);
  } else {
    held("gce-name", "metadata.google.internal: %s", gai_strerror(rc));
  }
  return 0;
}
