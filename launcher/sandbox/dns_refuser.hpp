#pragma once
// network.mode = "none" says what it refused: init answers the sandbox's DNS
// queries at once with NXDOMAIN (a name lookup fails without a time-out or a
// retry, and nothing is asked upstream) and tells the supervisor each name
// on its notes pipe ("dns NAME\n"), which a failing run's last lines list
// with the option that would allow it (report/hints.cpp). The sandbox's
// /etc/resolv.conf names it (resolv_conf_text()). The queries are untrusted
// input: they are decoded by the gateway's stub code (gateway/dns.hpp),
// fuzzed, and what reaches the supervisor is a name of letters, digits,
// dots and dashes or nothing.
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace airlock::sandbox {

class DnsRefuser {
 public:
  // Where it answers, as "ADDRESS:PORT" (a connect() there reaches the
  // sandbox's own resolver, not the network).
  static constexpr const char* kEndpoint = "127.0.0.53:53";
  // Names told to the supervisor, at most; the rest are refused unnamed.
  static constexpr std::size_t kMaxNames = 32;

  // Binds UDP 127.0.0.53:53 in the current network namespace, whose
  // loopback must be up: a socket bound before gets no reply to a connected
  // client (glibc's resolver connects). Throws SystemError.
  explicit DnsRefuser(int notes_fd);

  int fd() const { return socket_.get(); }
  // Answers every query waiting on the socket.
  void serve();

 private:
  void note(const std::string& name);

  UniqueFd socket_;
  int notes_fd_;
  std::vector<std::string> named_;
};

// The sandbox's /etc/resolv.conf under network.mode = "none".
std::string refuser_resolv_conf();

// The names "dns NAME" lines of `notes` carry, in order, each once.
std::vector<std::string> refused_names_in(const std::string& notes);

}  // namespace airlock::sandbox
