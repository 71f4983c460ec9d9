// Fuzz target: the text of a `network.allow`, `forward` or `publish` entry,
// and the gateway's Matcher built from what parsed. Beyond not crashing,
// what parsed must mean what it says: a rule written back in canonical form
// parses to the same rule, and the Matcher allows what the rule names.
#include <sys/socket.h>

#include <algorithm>

#include "fuzz/targets.hpp"
#include "gateway/address.hpp"
#include "gateway/matcher.hpp"
#include "policy/egress.hpp"

namespace airlock::fuzz {
namespace {

using policy::EgressRule;

void require(bool condition, const std::string& what) {
  if (!condition) throw InvariantBroken(what);
}

// The input in a message: what() is a C string, and a NUL would cut it.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out + "\"";
}

std::string canonical(const EgressRule& rule) {
  std::string host = rule.host;
  if (rule.kind == EgressRule::Kind::wildcard) host = "*." + host;
  if (rule.family == AF_INET6) host = "[" + host + "]";
  std::string ports;
  for (const auto& range : rule.ports) {
    ports += (ports.empty() ? "" : ",") + std::to_string(range.first);
    if (range.last != range.first) ports += "-" + std::to_string(range.last);
  }
  return host + ":" + ports;
}

bool same_rule(const EgressRule& a, const EgressRule& b) {
  const auto same_ports = std::equal(a.ports.begin(), a.ports.end(), b.ports.begin(), b.ports.end(),
                                     [](const auto& x, const auto& y) { return x.first == y.first && x.last == y.last; });
  return a.kind == b.kind && a.host == b.host && a.family == b.family && a.address_bytes == b.address_bytes &&
         a.prefix == b.prefix && same_ports;
}

void check_rule_shape(const EgressRule& rule, std::string_view text) {
  const std::string quoted = quote(text);
  require(!rule.ports.empty(), quoted + " parsed without ports");
  for (const auto& range : rule.ports)
    require(range.first >= 1 && range.first <= range.last, quoted + " parsed to an empty or zero port range");
  require(rule.host.find('\0') == std::string::npos, quoted + " parsed to a host with a NUL byte");
  const bool by_address = rule.kind == EgressRule::Kind::address || rule.kind == EgressRule::Kind::cidr;
  if (by_address) {
    const unsigned bits = rule.family == AF_INET ? 32 : 128;
    require(rule.family == AF_INET || rule.family == AF_INET6, quoted + " parsed to an unknown family");
    require(rule.address_bytes.size() == bits / 8, quoted + " parsed to an address of the wrong size");
    require(rule.prefix <= bits, quoted + " parsed to a prefix longer than the address");
    const auto network = gateway::IpAddress::parse(rule.host.substr(0, rule.host.find('/')));
    require(network && network->family == rule.family, quoted + ": the gateway cannot parse the rule's address");
  }
  std::string why;
  const auto again = policy::parse_egress_rule(canonical(rule), why);
  require(again.has_value(), quoted + " written back as " + quote(canonical(rule)) + " no longer parses: " + why);
  require(same_rule(rule, *again), quoted + " and its canonical form " + quote(canonical(rule)) + " differ");
}

// The Matcher must allow what a rule names, on the rule's first port.
void check_matcher_allows(const EgressRule& rule) {
  policy::Network network;
  network.mode = policy::NetworkMode::allowlist;
  network.allow.push_back(rule);
  const gateway::Matcher matcher(network);
  const auto port = rule.ports.front().first;
  const std::string quoted = quote(rule.text);
  switch (rule.kind) {
    case EgressRule::Kind::name:
      require(matcher.name_allowed(rule.host), quoted + ": its name is not answered");
      require(matcher.check_name(rule.host, port).allowed, quoted + ": its name is refused on its port");
      break;
    case EgressRule::Kind::wildcard:
      require(matcher.name_allowed("a." + rule.host), quoted + ": a name under it is not answered");
      require(!matcher.name_allowed(rule.host), quoted + ": the bare suffix is answered");
      require(matcher.check_name("A.b." + rule.host + ".", port).allowed, quoted + ": a deeper name is refused");
      break;
    case EgressRule::Kind::address:
    case EgressRule::Kind::cidr: {
      const auto network_address = gateway::IpAddress::from_bytes(rule.family, rule.address_bytes);
      require(network_address.has_value(), quoted + ": no address");
      require(matcher.check_address(*network_address, port).allowed, quoted + ": its own address is refused");
      require(!matcher.name_allowed(rule.host), quoted + ": an address rule answers names");
      break;
    }
  }
  require(!matcher.check_name(rule.host, 0).allowed, quoted + ": port 0 allowed");
}

void check_endpoint(std::string_view text) {
  std::string why;
  const auto endpoint = policy::parse_endpoint(text, why);
  if (!endpoint) return;
  const std::string quoted = quote(text);
  require(endpoint->port >= 1, quoted + " parsed to port 0");
  require(endpoint->address.find('\0') == std::string::npos, quoted + " parsed to an address with a NUL byte");
  require(policy::is_ip_literal(endpoint->address), quoted + " parsed to an address that is not a literal");
  require(gateway::IpAddress::parse(endpoint->address).has_value(), quoted + ": the gateway cannot parse it");
}

// An address the gateway parsed prints as an address that parses back to it.
void check_address_text(std::string_view text) {
  const auto ip = gateway::IpAddress::parse(text);
  require(ip.has_value() == policy::is_ip_literal(text), "policy and gateway disagree whether " + quote(text) +
                                                              " is an address");
  if (!ip) return;
  require(gateway::IpAddress::parse(ip->str()) == ip, quote(text) + " does not print back");
}

// Raw bytes as a connection's destination: the verdicts must not depend on
// anything but the policy, and must not crash for any address.
void check_raw_destination(Input data, const gateway::Matcher& matcher) {
  if (data.size() < 18) return;
  const std::string_view raw(reinterpret_cast<const char*>(data.data()), 16);
  const auto port = static_cast<std::uint16_t>(data[16] << 8 | data[17]);
  for (const auto& address :
       {gateway::IpAddress::from_bytes(AF_INET6, raw), gateway::IpAddress::from_bytes(AF_INET, raw.substr(0, 4))}) {
    require(address.has_value(), "from_bytes refused 4 or 16 bytes");
    const auto range = gateway::special_range(*address);
    const auto resolved = matcher.check_resolved("name.test", *address, port);
    if (!range) require(resolved.allowed, "a public address refused after resolution");
    const auto verdict = matcher.check_address(*address, port);
    if (verdict.allowed && range) require(resolved.allowed, "an allowed literal refused after resolution");
    for (unsigned prefix = 0; prefix <= 129; prefix += 43)
      require(gateway::in_prefix(*address, *address, prefix), "an address outside its own prefix");
    require(address->unmapped().unmapped() == address->unmapped(), "unmapped() is not idempotent");
  }
}

}  // namespace

void egress_input(Input data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  policy::Network network;
  network.mode = policy::NetworkMode::allowlist;
  std::string why;
  if (auto rule = policy::parse_egress_rule(text, why)) {
    check_rule_shape(*rule, text);
    check_matcher_allows(*rule);
    network.allow.push_back(std::move(*rule));
  } else {
    require(!why.empty(), quote(text) + " refused without a reason");
  }
  check_endpoint(text);
  check_address_text(text);
  // A few fixed rules next to the input's own, so that the raw destination
  // meets both address and name rules.
  for (const char* fixed : {"10.1.0.0/16:5432", "[2001:db8::/32]:443", "api.test:443"}) {
    auto rule = policy::parse_egress_rule(fixed, why);
    require(rule.has_value(), std::string("the fuzz target's own rule ") + fixed + ": " + why);
    network.allow.push_back(std::move(*rule));
  }
  check_raw_destination(data, gateway::Matcher(network));
}

}  // namespace airlock::fuzz
