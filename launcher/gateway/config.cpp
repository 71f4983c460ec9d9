#include "gateway/config.hpp"

#include <algorithm>
#include <set>

#include "gateway/matcher.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

using policy::EgressRule;
using policy::NetworkMode;

std::set<std::uint16_t> allowed_ports(const policy::Network& network) {
  std::set<std::uint16_t> ports;
  for (const auto& rule : network.allow) {
    for (const auto& range : rule.ports) {
      for (unsigned port = range.first; port <= range.last; ++port) {
        ports.insert(static_cast<std::uint16_t>(port));
        if (ports.size() > kMaxListeningPorts) {
          throw Error("network.allow: more than " + std::to_string(kMaxListeningPorts) +
                      " distinct ports (\"" + rule.text + "\" " + rule.where.str() +
                      "); the gateway listens on every allowed port, so list the ports actually used");
        }
      }
    }
  }
  return ports;
}

SocketAddress endpoint_address(const policy::Endpoint& endpoint, const char* list) {
  auto ip = IpAddress::parse(endpoint.address);
  if (!ip) {
    throw Error(std::string("network.") + list + ": \"" + endpoint.text + "\" " + endpoint.where.str() +
                " is not a literal address and port");
  }
  return {*ip, endpoint.port};
}

// Allowed addresses and CIDRs become local, except where loopback already is.
std::vector<Route> local_routes(const policy::Network& network) {
  std::vector<Route> routes;
  for (const auto& rule : network.allow) {
    if (rule.kind != EgressRule::Kind::address && rule.kind != EgressRule::Kind::cidr) continue;
    auto ip = IpAddress::from_bytes(rule.family, rule.address_bytes);
    if (!ip) throw Error("network.allow: \"" + rule.text + "\" has no usable address");
    const bool within_loopback = rule.family == AF_INET ? rule.prefix >= 8 && ip->is_loopback() : ip->is_loopback();
    if (within_loopback) continue;
    Route route{*ip, rule.prefix, rule.text};
    const bool seen = std::any_of(routes.begin(), routes.end(), [&](const Route& r) {
      return r.network == route.network && r.prefix == route.prefix;
    });
    if (!seen) routes.push_back(std::move(route));
  }
  return routes;
}

// A sandbox service listening on any address answers on loopback; a host
// address that is not loopback is served by the sandbox's loopback.
SocketAddress inside_target(const SocketAddress& host) {
  if (host.ip.is_loopback()) return host;
  if (host.ip.family == AF_INET) return {IpAddress::v4(127, 0, 0, 1), host.port};
  return {*IpAddress::parse("::1"), host.port};
}

}  // namespace

bool needed(const policy::Network& network) {
  if (network.mode == NetworkMode::allowlist) return true;
  return network.mode == NetworkMode::none && (!network.forward.empty() || !network.publish.empty());
}

Config build(const policy::Network& network) {
  Config config;
  config.network = network;
  config.dns_stub = network.mode == NetworkMode::allowlist;
  Matcher pins_are_valid(network);  // throws for a bad `hosts` entry

  const auto ports = network.mode == NetworkMode::allowlist ? allowed_ports(network) : std::set<std::uint16_t>{};
  for (std::uint16_t port : ports)
    config.listeners.push_back({Transport::tcp, {{}, port}, true, "allowed port " + std::to_string(port)});
  // A specific address on a port that already has an any-address listener
  // cannot be bound again; that listener serves it (the gateway tells the
  // two apart by the connection's local address).
  auto covered = [&ports](const SocketAddress& a) { return ports.contains(a.port); };
  if (config.dns_stub) {
    config.listeners.push_back({Transport::udp, config.dns, false, "DNS stub"});
    if (!covered(config.dns)) config.listeners.push_back({Transport::tcp, config.dns, false, "DNS stub (TCP)"});
    config.listeners.push_back({Transport::packet, {}, false, "observer of refused attempts"});
    config.resolv_conf =
        "# airlock: the sandbox's DNS stub answers only the names network.allow lists\n"
        "nameserver " + config.dns.ip.str() + "\n";
  }
  for (const auto& endpoint : network.forward) {
    const auto address = endpoint_address(endpoint, "forward");
    if (!address.ip.is_loopback()) {
      throw Error("network.forward: \"" + endpoint.text + "\" " + endpoint.where.str() +
                  " is not a loopback address; forward exposes host loopback services (other destinations "
                  "belong in network.allow)");
    }
    if (std::find(config.forward.begin(), config.forward.end(), address) != config.forward.end()) continue;
    config.forward.push_back(address);
    if (!covered(address)) config.listeners.push_back({Transport::tcp, address, false, "forward " + address.str()});
  }
  for (const auto& endpoint : network.publish) {
    const auto host = endpoint_address(endpoint, "publish");
    config.publish.push_back({host, inside_target(host), endpoint.text});
  }
  if (network.mode == NetworkMode::allowlist) config.routes = local_routes(network);
  return config;
}

Config build_log_only(const policy::Network& network) {
  Config config;
  config.network = network;
  config.dns_stub = true;
  config.log_only = true;
  Matcher pins_are_valid(network);
  config.listeners.push_back({Transport::udp, config.dns, false, "DNS stub"});
  config.listeners.push_back({Transport::tcp, config.dns, false, "DNS stub (TCP)"});
  config.listeners.push_back({Transport::packet, {}, false, "observer of attempts not relayed"});
  config.resolv_conf =
      "# airlock audit: the sandbox's DNS stub answers every name that resolves, and records it\n"
      "nameserver " + config.dns.ip.str() + "\n";
  for (const auto& endpoint : network.publish) {
    const auto host = endpoint_address(endpoint, "publish");
    config.publish.push_back({host, inside_target(host), endpoint.text});
  }
  return config;
}

std::string describe(const Config& config) {
  std::string out;
  if (config.log_only) {
    out += "log-only (audit): DNS stub on " + config.dns.str() + " answers every name that resolves with an address from " +
           config.synthetic_network.str() + "/" + std::to_string(config.synthetic_prefix) +
           "; every TCP connection relayed and recorded, nothing refused\n";
  } else if (config.dns_stub) {
    out += "DNS stub on " + config.dns.str() + " (UDP and TCP); allowed names resolve to " +
           config.synthetic_network.str() + "/" + std::to_string(config.synthetic_prefix) + "\n";
  }
  for (const auto& l : config.listeners) {
    if (l.transport != Transport::tcp || l.purpose.starts_with("DNS")) continue;
    out += "listen " + (l.any_address ? std::string("*:") + std::to_string(l.address.port) : l.address.str()) + "  # " +
           l.purpose + "\n";
  }
  for (const auto& r : config.routes)
    out += "local route " + r.network.str() + "/" + std::to_string(r.prefix) + "  # " + r.rule + "\n";
  for (const auto& f : config.forward) out += "forward " + f.str() + " -> host " + f.str() + "\n";
  for (const auto& p : config.publish) out += "publish host " + p.host.str() + " -> sandbox " + p.inside.str() + "\n";
  return out;
}

}  // namespace airlock::gateway
