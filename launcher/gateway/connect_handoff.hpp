#pragma once
// The gateway's handoff part: each connect() of the command arrives as a
// seccomp notification on the listener the payload handed over. TCP
// connections the policy allows are made from the host and the socket put
// in place of the command's; every other TCP connect() is made on the
// command's own socket, in the sandbox, exactly as asked; anything else the
// kernel runs itself. Why this is safe, and the decisions as pure
// functions: handoff.hpp; the kernel interface: notify.hpp.
//
// Nothing here waits: a connection in progress is watched by the core's
// epoll set while the command's call waits in the kernel. The part exists
// only when the policy asks for handoff (Config::handoff).
#include <linux/seccomp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/decide.hpp"
#include "gateway/handoff.hpp"
#include "gateway/parts.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {

class ConnectHandoff {
 public:
  explicit ConnectHandoff(const CoreServices& core);
  ConnectHandoff(const ConnectHandoff&) = delete;
  ConnectHandoff& operator=(const ConnectHandoff&) = delete;

  // The payload's seccomp listener, which notifies each connect(), bind()
  // and listen(): from now on every TCP connect() of the command is made
  // here. A second listener is ignored while the first serves. Throws
  // airlock::Error when the handoff cannot be set up.
  void take_listener(UniqueFd listener);

  // An event registered under Part::handoff.
  void on_event(std::uint8_t kind, std::uint64_t id);

  // connect() calls waiting for a connection at once; beyond, refused.
  static constexpr std::size_t kMaxPending = 4096;

 private:
  enum class Kind : std::uint8_t { notification = 1, connecting, sweep };
  struct Pending {  // a connect() answered once its connection is made
    std::uint64_t notification = 0;
    int target_fd = -1;    // the command's descriptor number
    UniqueFd theirs;       // the command's socket (pidfd_getfd): options, status flags
    int domain = AF_INET;
    bool v6only = false;
    bool nonblocking = false;
    bool cloexec = false;
    bool own_socket = false;  // connecting the command's socket in the sandbox, not one of ours
    sockaddr_storage address{};  // own_socket: the address it was given
    socklen_t address_length = 0;
    Decision decision;
    std::uint16_t port = 0;
    std::vector<SocketAddress> candidates;
    std::size_t next = 0;
    UniqueFd ours;           // connecting from the host
    sockaddr_storage peer{};  // where `ours` connects
    socklen_t peer_length = 0;
    std::vector<std::string> attempts;
    int last_error = ECONNREFUSED;
  };

  std::uint64_t token(Kind kind, std::uint64_t id) const { return event_token(Part::handoff, kind, id); }
  void on_notification();
  void serve_connect(const seccomp_notif& request);
  void serve_socket_call(const seccomp_notif& request);
  void answer_handed_over(std::uint64_t notification, int socket, const SocketFacts& facts);
  void connect_own_socket(Pending pending);
  void start(Pending pending);
  void on_resolved(std::uint64_t id, const Resolution& resolution);
  void connect_next_candidate(std::uint64_t id);
  void on_connecting(std::uint64_t id);
  void complete(std::uint64_t id, int result);
  void refuse(std::uint64_t id, int error);
  void sweep();

  CoreServices core_;
  UniqueFd notify_;  // the payload's seccomp listener
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_id_ = 1;
  std::uint64_t host_netns_ = 0;  // SO_NETNS_COOKIE of the host's sockets (and so of those handed over)
  UniqueFd sweep_timer_;          // drops pending connect() calls whose caller is gone
};

}  // namespace airlock::gateway
