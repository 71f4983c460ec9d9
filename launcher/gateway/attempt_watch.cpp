#include "gateway/attempt_watch.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "util/bytes.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kAck = 0x10;

// BPF_STMT/BPF_JUMP spelled as functions: the macros use C casts.
sock_filter stmt(unsigned code, std::uint32_t k) { return {static_cast<std::uint16_t>(code), 0, 0, k}; }
sock_filter jump(unsigned code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return {static_cast<std::uint16_t>(code), jt, jf, k};
}

std::optional<SeenAttempt> transport_header(std::span<const std::uint8_t> packet, std::size_t l4,
                                            std::uint8_t protocol, const IpAddress& destination) {
  if (protocol == kUdp && packet.size() >= l4 + 8) return SeenAttempt{Transport::udp, {destination, read_be16(packet, l4 + 2)}};
  if (protocol != kTcp || packet.size() < l4 + 14) return std::nullopt;
  const std::uint8_t flags = packet[l4 + 13];
  if ((flags & (kSyn | kAck)) != kSyn) return std::nullopt;
  return SeenAttempt{Transport::tcp, {destination, read_be16(packet, l4 + 2)}};
}

}  // namespace

std::optional<SeenAttempt> parse_packet(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return std::nullopt;
  const unsigned version = packet[0] >> 4;
  if (version == 4) {
    const std::size_t header = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
    if (header < 20 || packet.size() < header) return std::nullopt;
    const IpAddress destination = IpAddress::v4(packet[16], packet[17], packet[18], packet[19]);
    return transport_header(packet, header, packet[9], destination);
  }
  if (version == 6) {
    if (packet.size() < 40) return std::nullopt;
    IpAddress destination;
    destination.family = AF_INET6;
    std::copy(packet.begin() + 24, packet.begin() + 40, destination.bytes.begin());
    return transport_header(packet, 40, packet[6], destination.unmapped());
  }
  return std::nullopt;
}

std::vector<sock_filter> packet_filter() {
  constexpr std::uint32_t kPktType = static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE);
  // Jump offsets count from the next instruction; labels: 11 IPv6,
  // 16 TCP flags, 18 accept, 19 reject.
  return {
      stmt(BPF_LD | BPF_W | BPF_ABS, kPktType),           // 0
      jump(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 0, 17),  // 1  received copy, or reject
      stmt(BPF_LD | BPF_B | BPF_ABS, 0),                  // 2
      stmt(BPF_ALU | BPF_RSH | BPF_K, 4),                 // 3  IP version
      jump(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 6),           // 4  IPv4, or to 11
      stmt(BPF_LD | BPF_B | BPF_ABS, 9),                  // 5  protocol
      jump(BPF_JMP | BPF_JEQ | BPF_K, kUdp, 11, 0),       // 6  UDP: accept
      jump(BPF_JMP | BPF_JEQ | BPF_K, kTcp, 0, 11),       // 7  not TCP: reject
      stmt(BPF_LDX | BPF_B | BPF_MSH, 0),                 // 8  X = IPv4 header length
      stmt(BPF_LD | BPF_B | BPF_IND, 13),                 // 9  TCP flags
      stmt(BPF_JMP | BPF_JA, 5),                          // 10 to 16
      jump(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 7),           // 11 IPv6, or reject
      stmt(BPF_LD | BPF_B | BPF_ABS, 6),                  // 12 next header
      jump(BPF_JMP | BPF_JEQ | BPF_K, kUdp, 4, 0),        // 13 UDP: accept
      jump(BPF_JMP | BPF_JEQ | BPF_K, kTcp, 0, 4),        // 14 not TCP: reject
      stmt(BPF_LD | BPF_B | BPF_ABS, 40 + 13),            // 15 TCP flags
      stmt(BPF_ALU | BPF_AND | BPF_K, kSyn | kAck),       // 16
      jump(BPF_JMP | BPF_JEQ | BPF_K, kSyn, 0, 1),        // 17 SYN without ACK
      stmt(BPF_RET | BPF_K, 0xffff),                      // 18 accept
      stmt(BPF_RET | BPF_K, 0),                           // 19 reject
  };
}

UniqueFd open_attempt_watch() {
  const std::string what = "gateway observer (packet socket on lo)";
  // Protocol 0 until bind: no packet is queued before the filter is on.
  UniqueFd fd(static_cast<int>(check_syscall(::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), what)));
  auto filter = packet_filter();
  sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
  check_syscall(::setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program), what + ": filter");
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = static_cast<int>(::if_nametoindex("lo"));
  if (address.sll_ifindex == 0) throw SystemError(what + ": find lo", errno);
  check_syscall(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), what + ": bind");
  return fd;
}

std::optional<Decision> decide_attempt(const Config& config, const Matcher& matcher,
                                       const SyntheticAddresses& synthetic, const SeenAttempt& seen) {
  const auto& to = seen.destination;
  const bool named = config.dns_stub && synthetic.contains(to.ip);
  if (to.ip.is_loopback() && !named) return std::nullopt;  // the sandbox talking to itself
  if (seen.transport == Transport::udp && config.dns_stub && to == config.dns) return std::nullopt;
  if (seen.transport == Transport::tcp) {
    const bool listened = std::any_of(config.listeners.begin(), config.listeners.end(), [&](const Listener& l) {
      return l.transport == Transport::tcp && l.any_address && l.address.port == to.port;
    });
    if (listened) return std::nullopt;  // accepted and decided by the gateway
  }
  Decision d;
  const std::string* name = named ? synthetic.name_at(to.ip) : nullptr;
  d.destination = (name ? *name + ":" + std::to_string(to.port) : to.str());
  if (seen.transport == Transport::udp) {
    d.destination = "udp " + d.destination;
    d.reason = "UDP other than DNS to the sandbox's stub is refused";
  } else if (name != nullptr) {
    d.reason = matcher.check_name(*name, to.port).reason;
  } else if (named) {
    d.reason = to.ip.str() + " is a synthetic address no name was given";
  } else {
    d.reason = matcher.check_address(to.ip, to.port).reason;
  }
  return d;
}

std::optional<std::string> unrelayed_attempt(const Config& config, const SyntheticAddresses& synthetic,
                                             const std::set<SocketAddress>& expected, const SeenAttempt& seen) {
  const auto& to = seen.destination;
  const bool named = synthetic.contains(to.ip);
  if (to.ip.is_loopback() && !named) return std::nullopt;  // the sandbox talking to itself, or to a host service
  if (to == config.dns) return std::nullopt;
  if (seen.transport == Transport::tcp && expected.contains(to)) return std::nullopt;
  const std::string* name = named ? synthetic.name_at(to.ip) : nullptr;
  const std::string where = name ? *name + ":" + std::to_string(to.port) : to.str();
  return (seen.transport == Transport::udp ? "udp " : "tcp ") + where;
}

}  // namespace airlock::gateway
