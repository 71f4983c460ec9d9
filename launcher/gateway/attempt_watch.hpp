#pragma once
// The attempt watch: seeing the attempts the gateway is never asked about.
// A connection to a port no gateway listener serves is refused by the
// sandbox's kernel, and a UDP datagram other than DNS finds nobody; both are
// enforced by topology, but the report and the log should still name them. A packet socket on the
// sandbox's loopback (init has CAP_NET_RAW in its network namespace), with a
// classic BPF filter that passes only received TCP SYNs and UDP datagrams,
// shows them to the supervisor. It only observes: nothing is decided here.
#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/address.hpp"
#include "gateway/config.hpp"
#include "gateway/decide.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {

// What one packet on the sandbox's loopback says was tried.
struct SeenAttempt {
  Transport transport = Transport::tcp;  // tcp: a SYN; udp: a datagram
  SocketAddress destination;
};

// An IPv4 or IPv6 packet as a cooked (SOCK_DGRAM) packet socket delivers it:
// a TCP SYN without ACK or a UDP datagram; nullopt for anything else or a
// packet too short to say.
std::optional<SeenAttempt> parse_packet(std::span<const std::uint8_t> packet);

// The filter: received copies only (loopback shows each packet twice), and
// only TCP segments with SYN set and ACK clear, or UDP.
std::vector<sock_filter> packet_filter();

// init, inside: the packet socket on "lo", filtered, non-blocking.
UniqueFd open_attempt_watch();

// A denial to log for what was seen, or nullopt when it is the sandbox's
// own loopback traffic, a DNS query to the stub, or a connection one of the
// gateway's listeners accepts (and decides) itself.
std::optional<Decision> decide_attempt(const Config& config, const Matcher& matcher,
                                       const SyntheticAddresses& synthetic, const SeenAttempt& seen);

// Log-only mode: what to record for an attempt no listener took, e.g.
// "udp 203.0.113.9:443" or "tcp name.example:8443" (a connect() that
// audit::Observer did not see, such as one made through io_uring); nullopt
// for the sandbox's own loopback traffic, DNS to the stub, and TCP
// connections the gateway was told of (a listener made for them took them).
std::optional<std::string> unrelayed_attempt(const Config& config, const SyntheticAddresses& synthetic,
                                             const std::set<SocketAddress>& expected, const SeenAttempt& seen);

}  // namespace airlock::gateway
