#include "gateway/matcher.hpp"

#include <algorithm>
#include <cctype>

#include "util/error.hpp"

namespace airlock::gateway {
namespace {

bool has_port(const policy::EgressRule& rule, std::uint16_t port) {
  return std::any_of(rule.ports.begin(), rule.ports.end(), [port](const auto& range) { return range.contains(port); });
}

std::string rule_text(const policy::EgressRule& rule) {
  const std::string where = rule.where.file.empty() ? "" : " (" + rule.where.str() + ")";
  return "allow \"" + rule.text + "\"" + where;
}

bool is_address_rule(const policy::EgressRule& rule) {
  return rule.kind == policy::EgressRule::Kind::address || rule.kind == policy::EgressRule::Kind::cidr;
}

}  // namespace

std::string normalize_name(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Matcher::Matcher(const policy::Network& network) : rules_(network.allow) {
  for (const auto& [name, address] : network.hosts) {
    auto ip = IpAddress::parse(address);
    if (!ip) {
      throw Error("network.hosts: \"" + name + "\" = \"" + address +
                  "\" is not a literal IP address (expected e.g. \"203.0.113.7\" or \"2001:db8::1\")");
    }
    pins_[normalize_name(name)] = *ip;
  }
}

bool Matcher::name_matches(const policy::EgressRule& rule, std::string_view name) const {
  using Kind = policy::EgressRule::Kind;
  if (rule.kind == Kind::name) return name == rule.host;
  if (rule.kind != Kind::wildcard) return false;
  // At least one whole label before the suffix: "a.example.org" and
  // "a.b.example.org" match "*.example.org"; "example.org" and
  // "badexample.org" do not.
  return name.size() > rule.host.size() + 1 && name.ends_with(rule.host) &&
         name[name.size() - rule.host.size() - 1] == '.';
}

bool Matcher::name_allowed(std::string_view raw) const {
  const auto name = normalize_name(raw);
  return std::any_of(rules_.begin(), rules_.end(), [&](const auto& rule) { return name_matches(rule, name); });
}

Verdict Matcher::check_name(std::string_view raw, std::uint16_t port) const {
  const auto name = normalize_name(raw);
  bool name_known = false;
  for (const auto& rule : rules_) {
    if (!name_matches(rule, name)) continue;
    name_known = true;
    if (has_port(rule, port)) return {true, rule_text(rule)};
  }
  if (name_known) return {false, "port " + std::to_string(port) + " is not allowed for " + name};
  return {false, name + " is not in network.allow"};
}

Verdict Matcher::check_address(const IpAddress& raw, std::uint16_t port) const {
  const IpAddress address = raw.unmapped();
  bool address_known = false;
  for (const auto& rule : rules_) {
    if (!is_address_rule(rule)) continue;
    const auto network = IpAddress::from_bytes(rule.family, rule.address_bytes);
    if (!network || !in_prefix(address, *network, rule.prefix)) continue;
    address_known = true;
    if (has_port(rule, port)) return {true, rule_text(rule)};
  }
  if (address_known) return {false, "port " + std::to_string(port) + " is not allowed for " + address.str()};
  return {false, "no address or CIDR rule covers " + address.str()};
}

Verdict Matcher::check_resolved(std::string_view name, const IpAddress& raw, std::uint16_t port) const {
  const IpAddress address = raw.unmapped();
  const auto range = special_range(address);
  if (!range) return {true, "public address"};
  auto literal = check_address(address, port);
  if (literal.allowed) return literal;
  return {false, normalize_name(name) + " resolved to " + address.str() + ", a " + std::string(*range) +
                     " address; refused (DNS rebinding guard) unless an address or CIDR rule allows it"};
}

std::optional<IpAddress> Matcher::pinned(std::string_view name) const {
  auto it = pins_.find(normalize_name(name));
  if (it == pins_.end()) return std::nullopt;
  return it->second;
}

}  // namespace airlock::gateway
