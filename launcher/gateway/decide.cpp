#include "gateway/decide.hpp"

#include <algorithm>

namespace airlock::gateway {

NameAnswer answer_name(const Matcher& matcher, SyntheticAddresses& synthetic, std::string_view raw) {
  const auto name = normalize_name(raw);
  if (matcher.name_allowed(name)) {
    auto address = synthetic.address_for(name);
    if (!address) return {NameAnswer::Kind::exhausted, {}, "the synthetic address range is used up"};
    return {NameAnswer::Kind::address, *address, "synthetic"};
  }
  if (auto pin = matcher.pinned(name)) return {NameAnswer::Kind::address, *pin, "pinned by network.hosts"};
  return {NameAnswer::Kind::denied, {}, "not in network.allow"};
}

NameAnswer answer_name_logged(const Matcher& matcher, SyntheticAddresses& synthetic, std::string_view raw,
                              const Resolution& upstream) {
  const auto name = normalize_name(raw);
  const bool pinned = matcher.pinned(name).has_value();
  if (!pinned && upstream.addresses.empty()) {
    if (upstream.not_found) return {NameAnswer::Kind::denied, {}, "does not resolve upstream: " + upstream.error};
    return {NameAnswer::Kind::failed, {}, "cannot be resolved: " + upstream.error};
  }
  auto address = synthetic.address_for(name);
  if (!address) return {NameAnswer::Kind::exhausted, {}, "the synthetic address range is used up"};
  return {NameAnswer::Kind::address, *address, pinned ? "synthetic; pinned by network.hosts" : "synthetic"};
}

Decision decide_logged(const Config& config, const Matcher& matcher, const SyntheticAddresses& synthetic,
                       const SocketAddress& local) {
  Decision d;
  d.destination = local.str();
  d.reason = "log-only";
  if (local == config.dns) {
    d.action = Decision::Action::dns;
    d.reason = "DNS stub";
    return d;
  }
  if (synthetic.contains(local.ip)) {
    const std::string* name = synthetic.name_at(local.ip);
    if (name == nullptr) {
      d.reason = local.ip.str() + " is a synthetic address no name was given";
      return d;
    }
    d.destination = *name + ":" + std::to_string(local.port);
    d.action = Decision::Action::resolve;
    d.name = *name;
    d.pinned = matcher.pinned(*name);
    return d;
  }
  d.action = local.ip.is_loopback() ? Decision::Action::forward : Decision::Action::connect;
  d.reason = local.ip.is_loopback() ? "log-only: a host loopback service" : "log-only";
  d.target = local;
  return d;
}

Decision decide_connection(const Config& config, const Matcher& matcher, const SyntheticAddresses& synthetic,
                           const SocketAddress& local) {
  Decision d;
  d.destination = local.str();
  if (config.dns_stub && local == config.dns) {
    d.action = Decision::Action::dns;
    d.reason = "DNS stub";
    return d;
  }
  if (std::find(config.forward.begin(), config.forward.end(), local) != config.forward.end()) {
    d.action = Decision::Action::forward;
    d.reason = "network.forward";
    d.target = local;
    return d;
  }
  if (config.dns_stub && synthetic.contains(local.ip)) {
    const std::string* name = synthetic.name_at(local.ip);
    if (name == nullptr) {
      d.reason = local.ip.str() + " is a synthetic address no name was given";
      return d;
    }
    d.destination = *name + ":" + std::to_string(local.port);
    auto verdict = matcher.check_name(*name, local.port);
    d.reason = verdict.reason;
    if (!verdict.allowed) return d;
    d.action = Decision::Action::resolve;
    d.name = *name;
    d.pinned = matcher.pinned(*name);
    return d;
  }
  auto verdict = config.dns_stub ? matcher.check_address(local.ip, local.port)
                                 : Verdict{false, "network.mode is \"none\": only forward entries are reachable"};
  d.reason = verdict.reason;
  if (!verdict.allowed) return d;
  d.action = Decision::Action::connect;
  d.target = local;
  return d;
}

Screened screen_resolved(const Matcher& matcher, std::string_view name, const std::vector<IpAddress>& addresses,
                         std::uint16_t port) {
  Screened out;
  for (const auto& address : addresses) {
    auto verdict = matcher.check_resolved(name, address, port);
    if (verdict.allowed) {
      out.usable.push_back({address.unmapped(), port});
    } else {
      out.refused.push_back(verdict.reason);
    }
  }
  return out;
}

}  // namespace airlock::gateway
