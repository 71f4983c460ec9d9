#pragma once
// What the gateway does with each thing the sandbox sends it, as pure
// functions of the policy: a DNS name, a connection (known by the address it
// was made to), the addresses an allowed name resolved to.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/address.hpp"
#include "gateway/config.hpp"
#include "gateway/matcher.hpp"
#include "gateway/resolver.hpp"
#include "gateway/synthetic.hpp"

namespace airlock::gateway {

// How the DNS stub answers a name.
struct NameAnswer {
  enum class Kind { address, denied, exhausted, failed };  // failed: could not be resolved (SERVFAIL)
  Kind kind = Kind::denied;
  IpAddress address;   // Kind::address
  std::string detail;  // denied: why; address: "synthetic" or "pinned by network.hosts"
};

// Allowed names get their synthetic address; a name network.hosts pins but no
// rule allows gets the pinned address itself (reachable only if an address
// rule allows it); every other name is denied, without asking anyone.
NameAnswer answer_name(const Matcher& matcher, SyntheticAddresses& synthetic, std::string_view name);

// Log-only mode (audit): every name that resolved upstream gets its
// synthetic address, and so does a name network.hosts pins (connections to
// it then go to the pin); a name that does not exist does not exist inside
// either; any other failure is a server failure. Nothing is denied.
NameAnswer answer_name_logged(const Matcher& matcher, SyntheticAddresses& synthetic, std::string_view name,
                              const Resolution& upstream);

struct Decision {
  enum class Action {
    deny,     // reset the connection
    dns,      // DNS over TCP to the stub
    forward,  // network.forward: connect to the same address on the host
    connect,  // an allowed literal address: connect to it
    resolve,  // an allowed name: resolve it (or take its pin), then connect
  };
  Action action = Action::deny;
  std::string destination;  // "registry.example.org:443", "203.0.113.7:80": logs and the report
  std::string reason;       // the rule that allowed it, or why not
  std::string name;         // resolve: the name
  std::optional<IpAddress> pinned;  // resolve: network.hosts gives the address (no DNS, no rebinding check)
  SocketAddress target;     // connect, forward
};

// A connection the sandbox made to `local` (getsockname() of the accepted socket).
Decision decide_connection(const Config& config, const Matcher& matcher, const SyntheticAddresses& synthetic,
                           const SocketAddress& local);

// Log-only mode (audit): the same connection, relayed wherever it was
// going: a synthetic address to its name, a loopback address to the same
// address on the host (a host service; the sandbox's own servers never
// reach the gateway), anything else to itself. Denied only when there is
// nowhere to go (a synthetic address the stub never gave).
Decision decide_logged(const Config& config, const Matcher& matcher, const SyntheticAddresses& synthetic,
                       const SocketAddress& local);

struct Screened {
  std::vector<SocketAddress> usable;  // in the resolver's order
  std::vector<std::string> refused;   // one reason per address left out
};

// The addresses `name` resolved to that the connection may use on `port`.
Screened screen_resolved(const Matcher& matcher, std::string_view name, const std::vector<IpAddress>& addresses,
                         std::uint16_t port);

}  // namespace airlock::gateway
