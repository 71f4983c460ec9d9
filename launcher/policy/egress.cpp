#include "policy/egress.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

namespace airlock::policy {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "443", "443,8443", "8000-8010", "80,8000-8010"
std::optional<std::vector<PortRange>> parse_ports(std::string_view s, std::string& why) {
  std::vector<PortRange> ranges;
  while (true) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    auto dash = part.find('-');
    auto first = parse_port(part.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_port(part.substr(dash + 1));
    if (!first || !last || *last < *first) {
      why = "bad port \"" + std::string(part) + "\": expected a port 1-65535, a list \"443,8443\" or a range \"8000-8010\"";
      return std::nullopt;
    }
    ranges.push_back({*first, *last});
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return ranges;
}

bool parse_address(std::string_view text, int& family, std::string& bytes) {
  // inet_pton reads a C string: "1.2.3.4\0anything" (TOML's "\u0000")
  // would parse as 1.2.3.4 and keep the rest as the rule's text.
  if (text.find('\0') != std::string_view::npos) return false;
  std::string s(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    family = AF_INET;
    bytes.assign(reinterpret_cast<const char*>(buf), 4);
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    family = AF_INET6;
    bytes.assign(reinterpret_cast<const char*>(buf), 16);
    return true;
  }
  return false;
}

// The gateway sees a connection to ::ffff:a.b.c.d as one to a.b.c.d (a
// dual-stack socket reports IPv4 peers in that form, and Matcher unmaps
// them), so an entry written in the mapped form would never match anything:
// refuse it and name the IPv4 form. `prefix` counts IPv6 bits; a range that
// only reaches into the mapped block (::/0) is an IPv6 range and is kept.
std::optional<std::string> mapped_ipv4(int family, const std::string& bytes, unsigned prefix) {
  static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family != AF_INET6 || prefix < 96 || bytes.size() != 16 ||
      !std::equal(std::begin(kMappedPrefix), std::end(kMappedPrefix), bytes.begin(),
                  [](unsigned char m, char b) { return m == static_cast<unsigned char>(b); }))
    return std::nullopt;
  char text[INET_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text) + (prefix == 128 ? "" : "/" + std::to_string(prefix - 96));
}

std::string mapped_refusal(std::string_view host, const std::string& v4, std::string_view ports) {
  return "\"" + std::string(host) + "\" is an IPv4-mapped IPv6 address, which the gateway sees as IPv4: write \"" + v4 +
         ":" + std::string(ports) + "\"";
}

// DNS names: labels of letters, digits, '-' and '_', 1-63 chars, 253 in all.
bool is_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    const auto c = static_cast<unsigned char>(name[i]);
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
    ++label;
  }
  return true;
}

// Splits "host:ports" / "[v6]:ports" into its two halves.
bool split_host_port(std::string_view text, std::string_view& host, std::string_view& ports, std::string& why) {
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = "expected \"[IPv6]:port\"";
      return false;
    }
    host = text.substr(1, close - 1);
    ports = text.substr(close + 2);
    return true;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    why = "missing port: expected HOST:PORT, e.g. \"registry.example.org:443\"";
    return false;
  }
  host = text.substr(0, colon);
  ports = text.substr(colon + 1);
  if (host.find(':') != std::string_view::npos) {
    why = "an IPv6 address must be written in brackets: \"[2001:db8::1]:443\"";
    return false;
  }
  return true;
}

}  // namespace

bool is_ip_literal(std::string_view text) {
  int family = 0;
  std::string bytes;
  return parse_address(text, family, bytes);
}

std::optional<EgressRule> parse_egress_rule(std::string_view text, std::string& why) {
  EgressRule rule;
  rule.text = std::string(text);
  std::string_view host, ports;
  if (!split_host_port(text, host, ports, why)) return std::nullopt;
  auto parsed_ports = parse_ports(ports, why);
  if (!parsed_ports) return std::nullopt;
  rule.ports = std::move(*parsed_ports);

  if (auto slash = host.find('/'); slash != std::string_view::npos) {
    rule.kind = EgressRule::Kind::cidr;
    if (!parse_address(host.substr(0, slash), rule.family, rule.address_bytes)) {
      why = "bad CIDR \"" + std::string(host) + "\": expected an address and prefix such as \"10.0.0.0/8\"";
      return std::nullopt;
    }
    const unsigned max_prefix = rule.family == AF_INET ? 32 : 128;
    auto prefix_text = host.substr(slash + 1);
    auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), rule.prefix);
    if (ec != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix_text.empty() ||
        rule.prefix > max_prefix) {
      why = "bad CIDR prefix \"/" + std::string(prefix_text) + "\": expected 0-" + std::to_string(max_prefix);
      return std::nullopt;
    }
    // Host bits set ("10.0.0.1/8") usually mean a typo; refuse rather than guess.
    for (unsigned bit = rule.prefix; bit < max_prefix; ++bit) {
      if (static_cast<unsigned char>(rule.address_bytes[bit / 8]) & (0x80u >> (bit % 8))) {
        why = "bad CIDR \"" + std::string(host) + "\": address has bits set beyond the /" +
              std::to_string(rule.prefix) + " prefix";
        return std::nullopt;
      }
    }
    if (auto v4 = mapped_ipv4(rule.family, rule.address_bytes, rule.prefix)) {
      why = mapped_refusal(host, *v4, ports);
      return std::nullopt;
    }
    rule.host = std::string(host);
    return rule;
  }
  if (parse_address(host, rule.family, rule.address_bytes)) {
    rule.kind = EgressRule::Kind::address;
    rule.prefix = rule.family == AF_INET ? 32 : 128;
    if (auto v4 = mapped_ipv4(rule.family, rule.address_bytes, rule.prefix)) {
      why = mapped_refusal(host, *v4, ports);
      return std::nullopt;
    }
    rule.host = std::string(host);
    return rule;
  }
  if (host.starts_with("*.")) {
    rule.kind = EgressRule::Kind::wildcard;
    host.remove_prefix(2);
  } else {
    rule.kind = EgressRule::Kind::name;
  }
  std::string lowered(host);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!is_hostname(lowered)) {
    why = "bad host \"" + std::string(host) +
          "\": expected a DNS name, \"*.suffix\", an IPv4/[IPv6] address or a CIDR";
    return std::nullopt;
  }
  rule.host = lowered;
  return rule;
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& why) {
  std::string_view host, port_text;
  if (!split_host_port(text, host, port_text, why)) return std::nullopt;
  int family = 0;
  std::string bytes;
  if (!parse_address(host, family, bytes)) {
    why = "\"" + std::string(host) + "\" is not a literal IP address (expected e.g. \"127.0.0.1:5432\")";
    return std::nullopt;
  }
  if (auto v4 = mapped_ipv4(family, bytes, 128)) {
    why = mapped_refusal(host, *v4, port_text);
    return std::nullopt;
  }
  auto port = parse_port(port_text);
  if (!port) {
    why = "bad port \"" + std::string(port_text) + "\": expected a single port 1-65535";
    return std::nullopt;
  }
  return Endpoint{std::string(host), *port, {}, std::string(text)};
}

}  // namespace airlock::policy
