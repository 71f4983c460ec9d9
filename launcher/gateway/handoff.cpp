#include "gateway/handoff.hpp"

#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

namespace airlock::gateway {
namespace {
constexpr int kTcpListen = TCP_LISTEN;
}  // namespace

ConnectHandling connect_handling(const Config& config, const Matcher& matcher,
                                 const SyntheticAddresses& synthetic, const SocketFacts& socket,
                                 const ConnectRequest& request) {
  ConnectHandling handling;
  if (!socket.tcp()) return handling;  // let_kernel
  if (!socket.in_sandbox) {
    // Ours, connected from the host: disconnecting it (AF_UNSPEC) would
    // make it a host socket free to connect anywhere.
    handling.kind = ConnectHandling::Kind::peer_state;
    if (request.family == AF_UNSPEC) handling.error = EOPNOTSUPP;
    return handling;
  }
  handling.kind = ConnectHandling::Kind::on_socket;
  // A disconnect, an address of another family, a socket bound to a local
  // port first: the same connect() the kernel would make, in the sandbox,
  // where the relay path (or nothing) answers.
  if (request.family == AF_UNSPEC || !request.destination || socket.bound || !request.well_formed) return handling;
  if (socket.domain == AF_INET && request.family == AF_INET6) return handling;  // EAFNOSUPPORT, from the kernel
  Decision decision = decide_connection(config, matcher, synthetic, *request.destination);
  if (decision.action == Decision::Action::connect || decision.action == Decision::Action::resolve) {
    handling.kind = ConnectHandling::Kind::hand_off;
    handling.decision = std::move(decision);
  }
  return handling;
}

CallHandling socket_call_handling(SocketCall call, const SocketFacts& socket,
                                  std::optional<std::uint16_t> port, bool low_ports) {
  // The first port a process without CAP_NET_BIND_SERVICE may bind: a new
  // network namespace's net.ipv4.ip_unprivileged_port_start.
  constexpr std::uint16_t kUnprivilegedPortStart = 1024;
  CallHandling handling;
  if (socket.domain == AF_UNSPEC) {
    // Not a socket: the call on it gives the kernel's ENOTSOCK.
    handling.kind = call == SocketCall::listen ? CallHandling::Kind::on_socket : CallHandling::Kind::let_kernel;
    return handling;
  }
  if (!socket.in_sandbox) {
    // The host's: one handed over (never to listen), or a listening socket
    // passed in (socket activation), whose listen() only sets the backlog.
    const bool relisten = call == SocketCall::listen && socket.tcp() && socket.tcp_state == kTcpListen;
    handling.kind = relisten ? CallHandling::Kind::on_socket : CallHandling::Kind::refuse;
    handling.error = relisten ? 0 : EINVAL;  // EINVAL: what a connected socket answers
    return handling;
  }
  if (call == SocketCall::listen) {
    handling.kind = CallHandling::Kind::on_socket;
    return handling;
  }
  if (!socket.tcp()) return handling;  // a unix path is the command's to resolve; Landlock refuses a TCP bind
  if (port && *port != 0 && *port < kUnprivilegedPortStart && !low_ports) {
    handling.kind = CallHandling::Kind::refuse;
    handling.error = EACCES;
    return handling;
  }
  handling.kind = CallHandling::Kind::on_socket;
  return handling;
}

std::optional<sockaddr_storage> address_for(int domain, bool v6only, const SocketAddress& target, socklen_t& length) {
  const IpAddress ip = target.ip.unmapped();
  if (domain == AF_INET && ip.family != AF_INET) return std::nullopt;
  if (domain == AF_INET6 && ip.family == AF_INET) {
    if (v6only) return std::nullopt;
    sockaddr_storage out{};
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(target.port);
    in6->sin6_addr.s6_addr[10] = 0xff;
    in6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&in6->sin6_addr.s6_addr[12], ip.bytes.data(), 4);
    length = sizeof(sockaddr_in6);
    return out;
  }
  if (domain != AF_INET && domain != AF_INET6) return std::nullopt;
  return SocketAddress{ip, target.port}.to_sockaddr(length);
}

std::optional<int> handed_over_answer(int tcp_state, int pending_error) {
  switch (tcp_state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECV:
      return EALREADY;
    case TCP_CLOSE:
      return pending_error != 0 ? pending_error : ECONNABORTED;
    default:
      return std::nullopt;
  }
}

const std::vector<CopiedOption>& copied_options(int domain) {
  // Buffer sizes are copied only when the command set them (they differ
  // from a fresh socket's): setting one turns the kernel's autotuning off.
  static const std::vector<CopiedOption> common = {
      {SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"},
      {SOL_SOCKET, SO_LINGER, "SO_LINGER"},
      {SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY"},
      {SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF"},
      {SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"},
      {SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT"},
      {SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE"},
      {SOL_SOCKET, SO_RCVTIMEO, "SO_RCVTIMEO"},
      {SOL_SOCKET, SO_SNDTIMEO, "SO_SNDTIMEO"},
      {IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY"},
      {IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE"},
      {IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL"},
      {IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT"},
      {IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT"},
      {IPPROTO_TCP, TCP_SYNCNT, "TCP_SYNCNT"},
      {IPPROTO_TCP, TCP_NOTSENT_LOWAT, "TCP_NOTSENT_LOWAT"},
      {IPPROTO_TCP, TCP_WINDOW_CLAMP, "TCP_WINDOW_CLAMP"},
      {IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG"},
      {IPPROTO_TCP, TCP_CONGESTION, "TCP_CONGESTION"},
  };
  static const std::vector<CopiedOption> v4 = [] {
    auto all = common;
    all.push_back({IPPROTO_IP, IP_TOS, "IP_TOS"});
    all.push_back({IPPROTO_IP, IP_TTL, "IP_TTL"});
    return all;
  }();
  static const std::vector<CopiedOption> v6 = [] {
    auto all = common;
    all.push_back({IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS"});
    all.push_back({IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS"});
    return all;
  }();
  return domain == AF_INET6 ? v6 : v4;
}

}  // namespace airlock::gateway
