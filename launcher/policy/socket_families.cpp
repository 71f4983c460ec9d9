#include "policy/socket_families.hpp"

#include <sys/socket.h>

#include <array>
#include <utility>

namespace airlock::policy {
namespace {

// The families a Linux build of glibc names; the lower-case name without
// "AF_" is the profile's spelling.
constexpr std::array<std::pair<std::string_view, int>, 22> kFamilies = {{
    {"unix", AF_UNIX},         {"inet", AF_INET},       {"inet6", AF_INET6},
    {"netlink", AF_NETLINK},   {"packet", AF_PACKET},   {"vsock", AF_VSOCK},
    {"bluetooth", AF_BLUETOOTH}, {"alg", AF_ALG},       {"can", AF_CAN},
    {"tipc", AF_TIPC},         {"xdp", AF_XDP},         {"key", AF_KEY},
    {"appletalk", AF_APPLETALK}, {"ax25", AF_AX25},     {"ipx", AF_IPX},
    {"x25", AF_X25},           {"rds", AF_RDS},         {"llc", AF_LLC},
    {"nfc", AF_NFC},           {"qipcrtr", AF_QIPCRTR}, {"smc", AF_SMC},
    {"mctp", 45},  // AF_MCTP: newer than glibc 2.36's headers
}};

}  // namespace

std::optional<int> socket_family(std::string_view name) {
  for (const auto& [known, number] : kFamilies)
    if (known == name) return number;
  return std::nullopt;
}

std::string socket_family_names() {
  std::string out;
  for (const auto& [known, number] : kFamilies) out += (out.empty() ? "" : ", ") + std::string(known);
  return out;
}

std::string socket_family_name(int family) {
  for (const auto& [known, number] : kFamilies)
    if (number == family) return std::string(known);
  return std::to_string(family);
}

}  // namespace airlock::policy
