#pragma once
// Parsing of `network.allow`, `forward` and `publish` entries.
#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.hpp"

namespace airlock::policy {

// "name:443", "*.example.org:443", "10.0.0.0/8:5432", "[2001:db8::/32]:443",
// "203.0.113.7:80,8080", "registry:8000-8010". On failure returns nullopt and
// sets `why` to what was wrong and what was expected.
std::optional<EgressRule> parse_egress_rule(std::string_view text, std::string& why);

// "127.0.0.1:5432" or "[::1]:5432": a literal address and one port.
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& why);

// True when `text` is a literal IPv4 or IPv6 address.
bool is_ip_literal(std::string_view text);

}  // namespace airlock::policy
