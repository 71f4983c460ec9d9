#pragma once
// The egress gateway as data, built from policy::Network before anything is
// cloned: which sockets init opens inside the sandbox's network namespace,
// which routes it adds there, what the sandbox's resolv.conf says, and which
// host ports the supervisor publishes.
//
// How a connection reaches the gateway (DESIGN.md, "Network"): the sandbox's
// network namespace has only loopback. Allowed literal addresses and CIDRs are
// local routes on it, allowed names resolve (through the DNS stub) to
// synthetic loopback addresses, and a listener on every allowed port accepts
// the connection; the supervisor reads the intended destination with
// getsockname() and decides. Anything else finds no route or no listener.
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/address.hpp"
#include "policy/policy.hpp"

namespace airlock::gateway {

// packet: the attempt watch (attempt_watch.hpp), a packet socket on the sandbox's loopback.
enum class Transport { tcp, udp, packet };

struct Listener {
  Transport transport = Transport::tcp;
  SocketAddress address;     // ignored when any_address
  bool any_address = false;  // [::] dual-stack, or 0.0.0.0 where IPv6 is off
  std::string purpose;       // "allowed port 443", "DNS stub", "forward 127.0.0.1:5432"

  bool operator==(const Listener&) const = default;
};

// An RTN_LOCAL route on the sandbox's loopback, in the local table.
struct Route {
  IpAddress network;
  unsigned prefix = 0;
  std::string rule;  // the allow entry it comes from

  bool operator==(const Route&) const = default;
};

// network.publish: the supervisor listens on `host` and connects to `inside`
// in the sandbox's network namespace.
struct Published {
  SocketAddress host;
  SocketAddress inside;
  std::string text;
};

struct Config {
  policy::Network network;  // the rules, for the Matcher
  bool dns_stub = false;    // allowlist mode: answer allowed names inside
  // Audit mode: the stub answers every name that resolves, every TCP
  // connection is relayed, and what was asked and reached is recorded
  // (Stats::traffic); nothing is refused. Listeners are made on demand
  // (Gateway::expect), just before the connection they are for.
  bool log_only = false;
  // Allowed TCP connections are handed over (handoff.hpp) once the payload
  // gives the supervisor its seccomp listener; set by the sandbox's
  // prepare() when the kernel and the profile allow it.
  bool handoff = false;
  SocketAddress dns{IpAddress::v4(127, 0, 0, 53), 53};
  IpAddress synthetic_network = IpAddress::v4(127, 77, 0, 0);
  unsigned synthetic_prefix = 16;
  std::vector<Listener> listeners;  // opened by init, handed over in this order
  std::vector<Route> routes;
  std::vector<SocketAddress> forward;
  std::vector<Published> publish;
  std::string resolv_conf;  // bound over /etc/resolv.conf inside (dns_stub only)
  std::string resolver_servers;  // upstream for the supervisor's resolver; empty: the host's resolv.conf (tests set it)
};

// A listener per distinct allowed port: beyond this a profile is refused.
inline constexpr std::size_t kMaxListeningPorts = 4096;

// Whether a run with this network policy needs the gateway: allowlist mode,
// or mode "none" with forward/publish entries.
bool needed(const policy::Network& network);

// Pure. Throws airlock::Error (naming the entry) for a `hosts` pin, forward or
// publish address that is not a literal IP, a forward that is not loopback, or
// more than kMaxListeningPorts distinct allowed ports.
Config build(const policy::Network& network);

// Pure. The log-only gateway of an audit whose base has `network`: the DNS
// stub, the attempt watch and the base's publish entries; no routes and no
// listeners on ports or forward addresses (those are made on demand). The
// base's `hosts` pins still apply. Throws as build() does for a bad pin or
// publish entry.
Config build_log_only(const policy::Network& network);

// A person-readable summary, one item per line.
std::string describe(const Config& config);

}  // namespace airlock::gateway
