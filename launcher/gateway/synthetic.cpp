#include "gateway/synthetic.hpp"

#include "util/error.hpp"

namespace airlock::gateway {
namespace {

std::uint32_t to_u32(const IpAddress& ip) {
  return static_cast<std::uint32_t>(ip.bytes[0]) << 24 | static_cast<std::uint32_t>(ip.bytes[1]) << 16 |
         static_cast<std::uint32_t>(ip.bytes[2]) << 8 | ip.bytes[3];
}

IpAddress from_u32(std::uint32_t v) {
  return IpAddress::v4(static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                       static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v));
}

}  // namespace

SyntheticAddresses::SyntheticAddresses(const IpAddress& network, unsigned prefix) : network_(network), prefix_(prefix) {
  if (network.family != AF_INET || prefix < 8 || prefix > 30)
    throw Error("the synthetic address range must be an IPv4 network between /8 and /30");
}

std::optional<IpAddress> SyntheticAddresses::address_for(const std::string& name) {
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second;
  const std::uint32_t hosts = (1u << (32 - prefix_)) - 1;  // the all-ones host part is left unused
  if (next_host_ >= hosts) return std::nullopt;
  const IpAddress ip = from_u32(to_u32(network_) + next_host_++);
  by_name_.emplace(name, ip);
  by_address_.emplace(ip, name);
  return ip;
}

const std::string* SyntheticAddresses::name_at(const IpAddress& address) const {
  auto it = by_address_.find(address.unmapped());
  return it == by_address_.end() ? nullptr : &it->second;
}

bool SyntheticAddresses::contains(const IpAddress& address) const {
  return in_prefix(address.unmapped(), network_, prefix_);
}

}  // namespace airlock::gateway
