#pragma once
// The gateway's handoff (DESIGN.md, "Network"): allowed TCP connections
// without a relay. A relay moves every byte twice through the supervisor;
// on a small machine that caps bulk transfers near half of a direct one.
// Instead the command's connect() waits in a seccomp user notification,
// the supervisor decides as the relay would, connects from the host's
// network namespace and puts the connected socket in place of the
// command's (SECCOMP_IOCTL_NOTIF_ADDFD); the bytes then flow directly.
//
// Why it holds: the supervisor makes every TCP connect() of the command
// itself, on the socket object it fetched (pidfd_getfd), with the address
// it read and decided on; Landlock refuses the command's own TCP connects
// (ABI 4), so a connect() the supervisor lets the kernel run (a unix
// socket, UDP) cannot connect a handed-over socket even if the descriptor
// or the address changed meanwhile; seccomp refuses TCP Fast Open sends
// and io_uring, the two other ways to connect.
//
// This file is the decision, as pure functions, so that it can be tested
// without a sandbox; ConnectHandoff (connect_handoff.hpp) and notify.cpp
// carry it out.
#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/address.hpp"
#include "gateway/config.hpp"
#include "gateway/decide.hpp"
#include "gateway/matcher.hpp"
#include "gateway/synthetic.hpp"

namespace airlock::gateway {

// What the supervisor learned about the socket a connect() names.
struct SocketFacts {
  int domain = AF_UNSPEC;  // SO_DOMAIN
  bool stream = false;     // SOCK_STREAM
  int protocol = 0;        // SO_PROTOCOL: IPPROTO_TCP, IPPROTO_MPTCP, ...
  bool in_sandbox = true;  // made in the sandbox's network namespace (else: one handed over)
  bool bound = false;      // bound to a local port before connect()
  bool v6only = false;     // IPV6_V6ONLY (AF_INET6)
  int tcp_state = 0;       // TCP_INFO's tcpi_state (TCP_ESTABLISHED, TCP_SYN_SENT, TCP_CLOSE, ...)

  bool tcp() const {
    return (domain == AF_INET || domain == AF_INET6) && stream && (protocol == IPPROTO_TCP || protocol == 262);
  }
};

// What connect() asked for: the family of its address, and the address
// itself when it is IPv4 or IPv6 (v4-mapped IPv6 given as IPv4).
struct ConnectRequest {
  int family = AF_UNSPEC;
  std::optional<SocketAddress> destination;
  bool well_formed = true;  // long enough for its family (else the kernel's EINVAL is wanted)
};

// How one connect() is served.
struct ConnectHandling {
  enum class Kind {
    let_kernel,  // not a TCP socket: the kernel runs connect() as asked (Landlock still refuses TCP)
    on_socket,   // connect the command's own socket, in the sandbox, with the address read
    peer_state,  // a socket handed over earlier: answer from its state, connect nothing
    hand_off,    // connect from the host, install the socket in the command
  };
  Kind kind = Kind::let_kernel;
  int error = 0;      // peer_state: the answer when it is fixed (EOPNOTSUPP for AF_UNSPEC)
  Decision decision;  // hand_off: what decide_connection() said
};

// Pure. Config must be an allow-list gateway (not log-only).
ConnectHandling connect_handling(const Config& config, const Matcher& matcher,
                                 const SyntheticAddresses& synthetic, const SocketFacts& socket,
                                 const ConnectRequest& request);

// bind() and listen() are intercepted too: a handed-over socket that came
// undone (shutdown() while it was connecting, or a disconnect the kernel
// ran for a call the supervisor let through after another thread swapped
// descriptors) could otherwise listen on the host. The supervisor makes
// every listen() and every TCP bind() itself; Landlock refuses the
// command's own TCP bind().
enum class SocketCall { bind, listen };
// How one bind() or listen() is served.
struct CallHandling {
  enum class Kind { let_kernel, on_socket, refuse };
  Kind kind = Kind::let_kernel;
  int error = 0;  // refuse
};

// `port`: bind's port when the address is IPv4 or IPv6; `low_ports`: the
// command holds CAP_NET_BIND_SERVICE (the supervisor, which binds for it,
// holds every capability in the sandbox's namespaces).
CallHandling socket_call_handling(SocketCall call, const SocketFacts& socket,
                                  std::optional<std::uint16_t> port, bool low_ports);

// Where a socket of `domain` connects to reach `target`: the address itself,
// an IPv4 target as v4-mapped IPv6 from an AF_INET6 socket (unless
// v6only), nullopt when that socket cannot reach it (IPv6 from AF_INET).
std::optional<sockaddr_storage> address_for(int domain, bool v6only, const SocketAddress& target, socklen_t& length);

// The answer connect() gets from a socket handed over earlier, from its TCP
// state, without connecting anything: nullopt when the kernel's own answer
// is needed (an established connection: connect() again to say 0 or
// EISCONN, which cannot start a new connection from that state).
std::optional<int> handed_over_answer(int tcp_state, int pending_error);

// Socket options the command may have set before connect() that the
// supervisor's socket takes over when they differ from a fresh socket's.
struct CopiedOption {
  int level;
  int name;
  const char* text;
};
const std::vector<CopiedOption>& copied_options(int domain);

}  // namespace airlock::gateway
