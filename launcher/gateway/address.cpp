#include "gateway/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace airlock::gateway {
namespace {

struct SpecialRange {
  const char* network;
  unsigned prefix;
  std::string_view name;
};

// RFC 6890 and its updates: every range that is not the public internet.
constexpr SpecialRange kSpecialRanges[] = {
    {"0.0.0.0", 8, "unspecified (\"this network\")"},
    {"10.0.0.0", 8, "private (RFC 1918)"},
    {"100.64.0.0", 10, "shared address space (RFC 6598, carrier-grade NAT)"},
    {"127.0.0.0", 8, "loopback"},
    {"169.254.0.0", 16, "link-local (cloud metadata)"},
    {"172.16.0.0", 12, "private (RFC 1918)"},
    {"192.0.0.0", 24, "IETF protocol assignments"},
    {"192.168.0.0", 16, "private (RFC 1918)"},
    {"198.18.0.0", 15, "benchmarking (RFC 2544)"},
    {"224.0.0.0", 4, "multicast"},
    {"240.0.0.0", 4, "reserved"},
    {"::", 128, "unspecified"},
    {"::1", 128, "loopback"},
    {"64:ff9b:1::", 48, "local-use NAT64"},
    {"fc00::", 7, "unique local (private)"},
    {"fe80::", 10, "link-local"},
    {"ff00::", 8, "multicast"},
};

}  // namespace

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress ip;
  ip.family = AF_INET;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton stops at a NUL byte: "10.0.0.5\0junk" is not an address.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::from_bytes(int family, std::string_view raw) {
  IpAddress ip;
  ip.family = family;
  if ((family != AF_INET && family != AF_INET6) || raw.size() != ip.size()) return std::nullopt;
  std::copy(raw.begin(), raw.end(), ip.bytes.begin());
  return ip;
}

std::string IpAddress::str() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes.data(), text, sizeof text) == nullptr) return "?";
  return text;
}

bool IpAddress::is_loopback() const {
  const IpAddress plain = unmapped();
  if (plain.family == AF_INET) return plain.bytes[0] == 127;
  static const IpAddress kV6Loopback = *parse("::1");
  return plain == kV6Loopback;
}

IpAddress IpAddress::unmapped() const {
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family != AF_INET6 || std::memcmp(bytes.data(), kMappedPrefix, sizeof kMappedPrefix) != 0) return *this;
  return v4(bytes[12], bytes[13], bytes[14], bytes[15]);
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr_storage& sa) {
  SocketAddress out;
  if (sa.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &sa, sizeof in);
    out.ip.family = AF_INET;
    std::memcpy(out.ip.bytes.data(), &in.sin_addr, 4);
    out.port = ntohs(in.sin_port);
    return out;
  }
  if (sa.ss_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &sa, sizeof in6);
    out.ip.family = AF_INET6;
    std::memcpy(out.ip.bytes.data(), &in6.sin6_addr, 16);
    out.ip = out.ip.unmapped();
    out.port = ntohs(in6.sin6_port);
    return out;
  }
  return std::nullopt;
}

sockaddr_storage SocketAddress::to_sockaddr(socklen_t& length) const {
  sockaddr_storage sa{};
  if (ip.family == AF_INET) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, ip.bytes.data(), 4);
    std::memcpy(&sa, &in, sizeof in);
    length = sizeof in;
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&in6.sin6_addr, ip.bytes.data(), 16);
    std::memcpy(&sa, &in6, sizeof in6);
    length = sizeof in6;
  }
  return sa;
}

std::string SocketAddress::str() const {
  const auto host = ip.str();
  return (ip.family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool in_prefix(const IpAddress& address, const IpAddress& network, unsigned prefix) {
  if (address.family != network.family) return false;
  const unsigned bits = std::min<unsigned>(prefix, static_cast<unsigned>(address.size() * 8));
  const unsigned whole = bits / 8;
  if (!std::equal(address.bytes.begin(), address.bytes.begin() + whole, network.bytes.begin())) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffu << (8 - bits % 8));
  return (address.bytes[whole] & mask) == (network.bytes[whole] & mask);
}

std::optional<std::string_view> special_range(const IpAddress& address) {
  const IpAddress plain = address.unmapped();
  for (const auto& range : kSpecialRanges) {
    if (in_prefix(plain, *IpAddress::parse(range.network), range.prefix)) return range.name;
  }
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address: the
  // embedded one decides.
  if (plain.family == AF_INET6) {
    if (in_prefix(plain, *IpAddress::parse("64:ff9b::"), 96))
      return special_range(IpAddress::v4(plain.bytes[12], plain.bytes[13], plain.bytes[14], plain.bytes[15]));
    if (in_prefix(plain, *IpAddress::parse("2002::"), 16))
      return special_range(IpAddress::v4(plain.bytes[2], plain.bytes[3], plain.bytes[4], plain.bytes[5]));
  }
  return std::nullopt;
}

std::optional<SocketAddress> local_address(int fd) {
  sockaddr_storage sa{};
  socklen_t length = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &length) != 0) return std::nullopt;
  return SocketAddress::from_sockaddr(sa);
}

}  // namespace airlock::gateway
