#pragma once
// Synthetic addresses: the DNS stub answers an allowed name with an address
// from a private loopback range, one per name, stable for the run. A
// connection to that address tells the gateway which name was meant.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "gateway/address.hpp"

namespace airlock::gateway {

class SyntheticAddresses {
 public:
  // IPv4 only: `prefix` between 8 and 30.
  SyntheticAddresses(const IpAddress& network, unsigned prefix);

  // The address for `name` (already normalized), allocated on first use;
  // nullopt once the range is used up.
  std::optional<IpAddress> address_for(const std::string& name);

  // The name `address` was allocated to, or nullptr.
  const std::string* name_at(const IpAddress& address) const;

  bool contains(const IpAddress& address) const;
  std::size_t allocated() const { return by_name_.size(); }

 private:
  IpAddress network_;
  unsigned prefix_;
  std::uint32_t next_host_ = 1;  // host part 0 is the network itself
  std::map<std::string, IpAddress> by_name_;
  std::map<IpAddress, std::string> by_address_;
};

}  // namespace airlock::gateway
