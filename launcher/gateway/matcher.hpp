#pragma once
// The egress policy as a function: (name or address, port) -> allowed or
// denied, with the rule or the reason. Pure; the gateway asks it for every
// DNS query and every connection.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/address.hpp"
#include "policy/policy.hpp"

namespace airlock::gateway {

struct Verdict {
  bool allowed = false;
  std::string reason;  // allowed: the rule ("allow \"x:443\" (file:3:1)"); denied: why
};

// Lower case, without the trailing dot of a fully qualified name.
std::string normalize_name(std::string_view name);

class Matcher {
 public:
  // Throws airlock::Error when a `hosts` pin is not a literal address.
  explicit Matcher(const policy::Network& network);

  // Whether a name or wildcard rule covers `name`, on any port: the DNS stub
  // answers exactly these names. "*.example.org" covers names with one or
  // more labels before "example.org", not "example.org" itself.
  bool name_allowed(std::string_view name) const;

  // A connection to `name` (reached through its synthetic address).
  Verdict check_name(std::string_view name, std::uint16_t port) const;

  // A connection to a literal address: an address or CIDR rule must cover it.
  Verdict check_address(const IpAddress& address, std::uint16_t port) const;

  // An address an allowed name resolved to. Public addresses pass; loopback,
  // private, link-local and the other special ranges pass only when an
  // address or CIDR rule covers them on this port (DNS rebinding).
  Verdict check_resolved(std::string_view name, const IpAddress& address, std::uint16_t port) const;

  // network.hosts: the address `name` is pinned to, if any.
  std::optional<IpAddress> pinned(std::string_view name) const;

 private:
  bool name_matches(const policy::EgressRule& rule, std::string_view name) const;

  std::vector<policy::EgressRule> rules_;
  std::map<std::string, IpAddress> pins_;
};

}  // namespace airlock::gateway
