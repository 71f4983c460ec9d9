#pragma once
// IP addresses as values: parsing, formatting, prefixes, and the
// special-purpose ranges a public name must never resolve to (DNS rebinding).
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::gateway {

struct IpAddress {
  int family = AF_INET;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);
  // "203.0.113.7", "2001:db8::1"; nullopt for anything else.
  static std::optional<IpAddress> parse(std::string_view text);
  // From policy::EgressRule::address_bytes (4 or 16 raw bytes).
  static std::optional<IpAddress> from_bytes(int family, std::string_view raw);

  std::size_t size() const { return family == AF_INET ? 4 : 16; }
  std::string str() const;
  bool is_loopback() const;
  // ::ffff:a.b.c.d -> a.b.c.d; anything else unchanged.
  IpAddress unmapped() const;

  auto operator<=>(const IpAddress&) const = default;
};

struct SocketAddress {
  IpAddress ip;
  std::uint16_t port = 0;

  // A v4-mapped IPv6 peer (dual-stack listener) comes back as IPv4.
  static std::optional<SocketAddress> from_sockaddr(const sockaddr_storage& sa);
  sockaddr_storage to_sockaddr(socklen_t& length) const;
  // "203.0.113.7:443", "[2001:db8::1]:443"
  std::string str() const;

  auto operator<=>(const SocketAddress&) const = default;
};

// getsockname(2) of a socket: where a connection accepted by a listener
// was headed. nullopt when it fails.
std::optional<SocketAddress> local_address(int fd);

// True when `address` lies in network/prefix (families must match).
bool in_prefix(const IpAddress& address, const IpAddress& network, unsigned prefix);

// The special-purpose range `address` belongs to ("loopback", "private",
// "link-local"...) or nullopt for an ordinary public address. These are the
// destinations an allowed *name* may not resolve to unless an address or
// CIDR rule names them: otherwise any DNS server could point an allowed name
// at the cloud metadata service or a service on the host's private network.
std::optional<std::string_view> special_range(const IpAddress& address);

}  // namespace airlock::gateway
