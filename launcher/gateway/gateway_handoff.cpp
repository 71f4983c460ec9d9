// The gateway's handoff (handoff.hpp): each connect() of the command
// arrives here as a seccomp notification. TCP connections the policy
// allows are made from the host and the socket put in place of the
// command's; every other TCP connect() is made on the command's own socket,
// in the sandbox, exactly as asked; anything else the kernel runs itself.
// Nothing here waits: a connection in progress is watched by the epoll set
// while the command's call waits in the kernel.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <cstring>
#include <spdlog/spdlog.h>

#include "gateway/gateway.hpp"
#include "gateway/notify.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

// Notifications served per readiness report, so that relays and DNS are
// not starved by a command that connects in a loop.
constexpr int kNotificationBatch = 64;

bool is_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

// fcntl(F_SETFL) of the open file the command shares with us.
void set_nonblocking(int fd, bool on) {
  const int flags = static_cast<int>(check_syscall(::fcntl(fd, F_GETFL), "fcntl(F_GETFL)"));
  check_syscall(::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK), "fcntl(F_SETFL)");
}

int connect_retrying(int fd, const sockaddr_storage& address, socklen_t length) {
  int rc;
  do rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), length);
  while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

void interrupt(int) {}

// connect() on a file the command shares with us (its own socket, or one
// handed over), never waiting: made non-blocking for the call and restored
// after. Another thread of the command can clear O_NONBLOCK in between,
// and a blocking connect() could then hold the supervisor for minutes, so
// a one-shot timer interrupts it (SIGALRM without SA_RESTART); the
// connection goes on in the kernel, and EINPROGRESS says so.
int guarded_connect(int fd, const sockaddr_storage& address, socklen_t length) {
  constexpr itimerval kLimit{{0, 0}, {0, 50'000}};
  constexpr itimerval kOff{};
  const bool nonblocking = is_nonblocking(fd);
  if (!nonblocking) set_nonblocking(fd, true);
  check_syscall(::setitimer(ITIMER_REAL, &kLimit, nullptr), "setitimer");
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), length);
  const int err = rc == 0 ? 0 : errno;
  check_syscall(::setitimer(ITIMER_REAL, &kOff, nullptr), "setitimer");
  if (!nonblocking) set_nonblocking(fd, false);
  return err == EINTR ? EINPROGRESS : err;
}

int pending_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

// The options the command set on its socket, on ours, where they differ
// from what a fresh socket has. An option the host's socket refuses
// (a congestion control only the sandbox's namespace allows, say) is
// logged and left: the connection works without it.
void copy_options(int from, int to, int domain) {
  for (const auto& option : copied_options(domain)) {
    unsigned char theirs[64] = {}, fresh[64] = {};
    socklen_t theirs_length = sizeof theirs, fresh_length = sizeof fresh;
    if (::getsockopt(from, option.level, option.name, theirs, &theirs_length) != 0) continue;
    if (::getsockopt(to, option.level, option.name, fresh, &fresh_length) != 0) continue;
    if (theirs_length == fresh_length && std::memcmp(theirs, fresh, theirs_length) == 0) continue;
    if (option.level == SOL_SOCKET && (option.name == SO_RCVBUF || option.name == SO_SNDBUF)) {
      // getsockopt reports twice what setsockopt was given (socket(7)).
      int value = 0;
      std::memcpy(&value, theirs, sizeof value);
      value /= 2;
      std::memcpy(theirs, &value, sizeof value);
    }
    if (::setsockopt(to, option.level, option.name, theirs, theirs_length) != 0)
      spdlog::debug("network: handoff: {} not copied: {}", option.text, std::strerror(errno));
  }
}

}  // namespace

void Gateway::take_connect_listener(UniqueFd listener) {
  if (!config_.handoff || notify_) return;
  // A socket of ours names the host's network namespace: a socket of the
  // command's with that cookie is one we handed over.
  const UniqueFd probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const auto cookie = probe ? notify::netns_cookie(probe.get()) : std::nullopt;
  if (!cookie) throw SystemError("gateway: SO_NETNS_COOKIE of the host's network namespace", errno);
  host_netns_ = *cookie;
  struct sigaction action {};
  action.sa_handler = interrupt;  // no SA_RESTART: guarded_connect() is to be interrupted
  check_syscall(::sigaction(SIGALRM, &action, nullptr), "sigaction(SIGALRM)");
  // A caller that started airlock with SIGALRM blocked must not disarm the guard.
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  if (const int err = ::pthread_sigmask(SIG_UNBLOCK, &alarm, nullptr); err != 0)
    throw SystemError("pthread_sigmask(SIGALRM)", err);
  handoff_sweep_ = UniqueFd(static_cast<int>(
      check_syscall(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), "timerfd_create for the handoff")));
  constexpr itimerspec kEverySecond{{1, 0}, {1, 0}};
  check_syscall(::timerfd_settime(handoff_sweep_.get(), 0, &kEverySecond, nullptr), "timerfd_settime");
  poller_.add(handoff_sweep_.get(), token(Kind::handoff_sweep, 0), EPOLLIN);
  notify_ = std::move(listener);
  if (!notify::wake_synchronously(notify_.get()))
    spdlog::debug("network: handoff: no synchronous wake-up: {}", std::strerror(errno));
  poller_.add(notify_.get(), token(Kind::notify, 0), EPOLLIN);
}

// A caller interrupted by a signal, or killed, no longer waits: its
// pending connection is dropped (its own socket goes on connecting in the
// kernel, as it would have).
void Gateway::sweep_handoffs() {
  std::uint64_t expirations = 0;
  if (::read(handoff_sweep_.get(), &expirations, sizeof expirations) < 0) return;
  for (auto it = handoffs_.begin(); it != handoffs_.end();) {
    if (notify::still_waiting(notify_.get(), it->second.notification)) {
      ++it;
      continue;
    }
    if (it->second.ours) poller_.remove(it->second.ours.get());
    if (it->second.own_socket) poller_.remove(it->second.theirs.get());
    it = handoffs_.erase(it);
  }
}

void Gateway::on_notification() {
  for (int i = 0; i < kNotificationBatch; ++i) {
    pollfd ready{notify_.get(), POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0) return;
    if ((ready.revents & POLLIN) == 0) {
      // Every process of the sandbox is gone.
      poller_.remove(notify_.get());
      notify_.reset();
      return;
    }
    const auto request = notify::receive(notify_.get());
    if (!request) continue;
    try {
      if (request->data.nr == SYS_connect) {
        serve_connect(*request);
      } else {
        serve_socket_call(*request);
      }
    } catch (const std::exception& e) {
      // The call must not wait for ever: fail it, closed.
      spdlog::error("network: handoff: {}", e.what());
      (void)notify::answer(notify_.get(), request->id, -1, ECONNREFUSED);
    }
  }
}

void Gateway::serve_connect(const seccomp_notif& request) {
  const int listener = notify_.get();
  const auto tid = static_cast<pid_t>(request.pid);
  const int fd = static_cast<int>(request.data.args[0]);
  UniqueFd theirs;
  if (const int err = notify::fetch_descriptor(listener, request.id, tid, fd, theirs); err != 0) {
    // EBADF: not a descriptor there, the kernel will say so; ENOENT: the
    // caller is gone. Otherwise the kernel runs it: Landlock refuses a TCP
    // connect of the command's own, so nothing connects unseen.
    if (err != ENOENT) (void)notify::let_run(listener, request.id);
    if (err != EBADF && err != ENOENT) spdlog::debug("network: handoff: cannot reach fd {} of {}: {}", fd, tid, std::strerror(err));
    return;
  }
  const SocketFacts facts = notify::inspect_socket(theirs.get(), host_netns_);
  if (!facts.tcp()) {
    (void)notify::let_run(listener, request.id);
    return;
  }
  const auto address = notify::read_sockaddr(tid, request.data.args[1], request.data.args[2]);
  if (!address || request.data.args[2] < sizeof(sa_family_t) || request.data.args[2] > sizeof(sockaddr_storage)) {
    (void)notify::answer(listener, request.id, -1, address ? EINVAL : EFAULT);
    return;
  }
  ConnectRequest connect;
  connect.family = address->ss_family;
  const std::uint64_t length = request.data.args[2];
  connect.well_formed = (connect.family != AF_INET || length >= sizeof(sockaddr_in)) &&
                        (connect.family != AF_INET6 || length >= sizeof(sockaddr_in6));
  if (connect.well_formed && (connect.family == AF_INET || connect.family == AF_INET6))
    connect.destination = SocketAddress::from_sockaddr(*address);
  const ConnectHandling handling = connect_handling(config_, matcher_, synthetic_, facts, connect);
  // What we read may be another thread's reused memory if the caller died.
  if (!notify::still_waiting(listener, request.id)) return;
  switch (handling.kind) {
    case ConnectHandling::Kind::let_kernel:
      (void)notify::let_run(listener, request.id);
      return;
    case ConnectHandling::Kind::peer_state:
      if (handling.error != 0) {
        (void)notify::answer(listener, request.id, -1, handling.error);
        return;
      }
      return answer_handed_over(request.id, theirs.get(), facts);
    case ConnectHandling::Kind::on_socket:
    case ConnectHandling::Kind::hand_off:
      break;
  }
  if (handoffs_.size() >= kMaxPendingHandoffs) {
    spdlog::warn("network: handoff: {} connect() calls already wait for a connection; one more refused",
                 handoffs_.size());
    (void)notify::answer(listener, request.id, -1, EAGAIN);
    return;
  }
  Handoff handoff;
  handoff.notification = request.id;
  handoff.target_fd = fd;
  handoff.domain = facts.domain;
  handoff.v6only = facts.v6only;
  handoff.nonblocking = is_nonblocking(theirs.get());
  handoff.theirs = std::move(theirs);
  handoff.address = *address;
  handoff.address_length = static_cast<socklen_t>(std::min<std::uint64_t>(request.data.args[2], sizeof(sockaddr_storage)));
  bool relay = handling.kind == ConnectHandling::Kind::on_socket;
  if (!relay && handoff.nonblocking) {
    // Registered with epoll before connect() (Netty does): replacing the
    // socket would leave the loop watching the old one. The relay serves it.
    struct stat st {};
    relay = ::fstat(handoff.theirs.get(), &st) != 0 || notify::watched_by_epoll(tid, fd, st.st_ino);
    if (relay) spdlog::debug("network: {}: watched by epoll before connect(): relayed", handling.decision.destination);
  }
  if (relay) {
    handoff.own_socket = true;
    return connect_own_socket(std::move(handoff));
  }
  handoff.cloexec = notify::close_on_exec(tid, fd);
  handoff.decision = handling.decision;
  handoff.port = connect.destination->port;
  start_handoff(std::move(handoff));
}

void Gateway::serve_socket_call(const seccomp_notif& request) {
  const int listener = notify_.get();
  const auto tid = static_cast<pid_t>(request.pid);
  const int fd = static_cast<int>(request.data.args[0]);
  const SocketCall call = request.data.nr == SYS_listen ? SocketCall::listen : SocketCall::bind;
  UniqueFd theirs;
  if (const int err = notify::fetch_descriptor(listener, request.id, tid, fd, theirs); err != 0) {
    if (err == ENOENT) return;
    // A bind() the kernel runs is refused by Landlock if it is TCP; a
    // listen() the kernel runs is not, so it never does.
    if (call == SocketCall::bind && err != EBADF) {
      (void)notify::let_run(listener, request.id);
    } else {
      (void)notify::answer(listener, request.id, -1, err == EBADF ? EBADF : EACCES);
    }
    return;
  }
  const SocketFacts facts = notify::inspect_socket(theirs.get(), host_netns_);
  std::optional<sockaddr_storage> address;
  std::optional<std::uint16_t> port;
  socklen_t length = 0;
  if (call == SocketCall::bind && facts.tcp() && facts.in_sandbox) {
    if (request.data.args[2] > sizeof(sockaddr_storage)) {
      (void)notify::answer(listener, request.id, -1, EINVAL);
      return;
    }
    address = notify::read_sockaddr(tid, request.data.args[1], request.data.args[2]);
    if (!address) {
      (void)notify::answer(listener, request.id, -1, EFAULT);
      return;
    }
    length = static_cast<socklen_t>(request.data.args[2]);
    // The port sits at the same place in sockaddr_in and sockaddr_in6, and
    // an IPv4 socket also binds an AF_UNSPEC address: read it whatever the family.
    if (length >= 4) port = static_cast<std::uint16_t>(reinterpret_cast<const std::uint8_t*>(&*address)[2] << 8 |
                                                       reinterpret_cast<const std::uint8_t*>(&*address)[3]);
  }
  constexpr int kNetBindService = 10;  // CAP_NET_BIND_SERVICE
  const bool low_ports = port && *port != 0 && *port < 1024 && notify::has_capability(tid, kNetBindService);
  const CallHandling handling = socket_call_handling(call, facts, port, low_ports);
  if (!notify::still_waiting(listener, request.id)) return;
  switch (handling.kind) {
    case CallHandling::Kind::let_kernel:
      (void)notify::let_run(listener, request.id);
      return;
    case CallHandling::Kind::refuse:
      (void)notify::answer(listener, request.id, -1, handling.error);
      return;
    case CallHandling::Kind::on_socket:
      break;
  }
  int rc;
  if (call == SocketCall::listen) {
    rc = ::listen(theirs.get(), static_cast<int>(request.data.args[1]));
  } else {
    rc = ::bind(theirs.get(), reinterpret_cast<const sockaddr*>(&*address), length);
  }
  (void)notify::answer(listener, request.id, rc == 0 ? 0 : -1, rc == 0 ? 0 : errno);
}

// A socket we handed over earlier: its state answers; a new connection is
// never started from it.
void Gateway::answer_handed_over(std::uint64_t notification, int socket, const SocketFacts& facts) {
  if (const auto fixed = handed_over_answer(facts.tcp_state, facts.tcp_state == TCP_CLOSE ? pending_error(socket) : 0)) {
    (void)notify::answer(notify_.get(), notification, -1, *fixed);
    return;
  }
  // Established (or closing): connect() to its own peer says 0 the first
  // time after a non-blocking connect and EISCONN after, as the kernel
  // would tell the command; from these states it connects nothing.
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(socket, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    (void)notify::answer(notify_.get(), notification, -1, EISCONN);
    return;
  }
  const int err = guarded_connect(socket, peer, length);
  (void)notify::answer(notify_.get(), notification, err == 0 ? 0 : -1, err);
}

// The command's own socket, connected in the sandbox as asked: the relay
// path, the DNS stub, the sandbox's own servers, or nothing (no route, no
// listener) answer it there. Never blocks the supervisor: the socket is
// made non-blocking for the call, and a connection in progress is watched.
void Gateway::connect_own_socket(Handoff handoff) {
  const int err = guarded_connect(handoff.theirs.get(), handoff.address, handoff.address_length);
  if (err != EINPROGRESS || handoff.nonblocking) {
    (void)notify::answer(notify_.get(), handoff.notification, err == 0 ? 0 : -1, err);
    return;
  }
  const std::uint64_t id = next_id_++;
  poller_.add(handoff.theirs.get(), token(Kind::handoff, id), EPOLLOUT);
  handoffs_.emplace(id, std::move(handoff));
}

void Gateway::start_handoff(Handoff handoff) {
  const std::uint64_t id = next_id_++;
  const Decision& decision = handoff.decision;
  if (decision.action == Decision::Action::connect) {
    handoff.candidates = {decision.target};
    ++stats_.connections_allowed;
  } else if (decision.pinned) {
    handoff.candidates = {SocketAddress{*decision.pinned, handoff.port}};
    ++stats_.connections_allowed;
  } else {
    const std::string name = decision.name;
    handoffs_.emplace(id, std::move(handoff));
    resolver_.resolve(name, [this, id](const Resolution& resolution) { on_handoff_resolved(id, resolution); });
    return;
  }
  handoffs_.emplace(id, std::move(handoff));
  connect_next_candidate(id);
}

void Gateway::on_handoff_resolved(std::uint64_t id, const Resolution& resolution) {
  auto it = handoffs_.find(id);
  if (it == handoffs_.end()) return;
  Handoff& handoff = it->second;
  if (!resolution.error.empty()) {
    ++stats_.connections_failed;
    spdlog::warn("network: {}: cannot resolve {}: {}", handoff.decision.destination, handoff.decision.name,
                 resolution.error);
    return refuse_handoff(id, EHOSTUNREACH);
  }
  auto screened = screen_resolved(matcher_, handoff.decision.name, resolution.addresses, handoff.port);
  if (screened.usable.empty()) {
    deny(UniqueFd(), handoff.decision.destination, screened.refused.front());
    return refuse_handoff(id, ECONNREFUSED);
  }
  for (const auto& why : screened.refused)
    spdlog::info("network: {}: address left out: {}", handoff.decision.destination, why);
  handoff.candidates = std::move(screened.usable);
  ++stats_.connections_allowed;
  connect_next_candidate(id);
}

void Gateway::connect_next_candidate(std::uint64_t id) {
  Handoff& handoff = handoffs_.at(id);
  while (handoff.next < handoff.candidates.size()) {
    const SocketAddress& target = handoff.candidates[handoff.next++];
    const auto address = address_for(handoff.domain, handoff.v6only, target, handoff.peer_length);
    if (!address) {
      handoff.attempts.push_back(target.str() + ": not reachable from the command's socket family");
      handoff.last_error = ENETUNREACH;
      continue;
    }
    handoff.peer = *address;
    UniqueFd socket(::socket(handoff.domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket) {
      handoff.last_error = errno;
      handoff.attempts.push_back(target.str() + ": " + std::strerror(errno));
      continue;
    }
    copy_options(handoff.theirs.get(), socket.get(), handoff.domain);
    const int err = connect_retrying(socket.get(), handoff.peer, handoff.peer_length);
    if (err == 0 || err == EINPROGRESS) {
      handoff.ours = std::move(socket);
      // A non-blocking connect() says EINPROGRESS as it would have
      // inside, and the command waits for the socket it now holds.
      if (err == 0 || handoff.nonblocking) return complete_handoff(id, err);
      poller_.add(handoff.ours.get(), token(Kind::handoff, id), EPOLLOUT);
      return;
    }
    handoff.last_error = err;
    handoff.attempts.push_back(target.str() + ": " + std::strerror(err));
  }
  ++stats_.connections_failed;
  std::string why;
  for (const auto& attempt : handoff.attempts) why += (why.empty() ? "" : "; ") + attempt;
  spdlog::warn("network: {}: cannot connect: {}", handoff.decision.destination, why.empty() ? "no address" : why);
  refuse_handoff(id, handoff.last_error);
}

void Gateway::on_handoff(std::uint64_t id) {
  auto it = handoffs_.find(id);
  if (it == handoffs_.end()) return;
  Handoff& handoff = it->second;
  if (handoff.own_socket) {
    Handoff done = std::move(handoff);
    handoffs_.erase(it);
    poller_.remove(done.theirs.get());
    int err = pending_error(done.theirs.get());
    // connect() once more on success: the command's socket is then
    // connected for the kernel too (a later connect() says EISCONN).
    if (err == 0) err = guarded_connect(done.theirs.get(), done.address, done.address_length);
    (void)notify::answer(notify_.get(), done.notification, err == 0 ? 0 : -1, err);
    return;
  }
  poller_.remove(handoff.ours.get());
  const int err = pending_error(handoff.ours.get());
  if (err == 0) return complete_handoff(id, 0);
  handoff.ours.reset();
  handoff.last_error = err;
  handoff.attempts.push_back(SocketAddress::from_sockaddr(handoff.peer).value_or(SocketAddress{}).str() + ": " +
                             std::strerror(err));
  connect_next_candidate(id);
}

void Gateway::complete_handoff(std::uint64_t id, int result) {
  auto node = handoffs_.extract(id);
  Handoff& handoff = node.mapped();
  const int socket = handoff.ours.get();
  if (result == 0) {
    // Connected: a second connect() marks the socket connected for the
    // kernel's socket layer, so no later connect() of the command's can
    // take it anywhere else (it says EISCONN).
    (void)connect_retrying(socket, handoff.peer, handoff.peer_length);
  }
  if (!handoff.nonblocking) set_nonblocking(socket, false);
  const int err = notify::install(notify_.get(), handoff.notification, socket, handoff.target_fd, handoff.cloexec);
  if (err != 0) {
    // ENOENT: the caller was interrupted or killed; its connect() starts
    // again (a new notification) or never will.
    if (err != ENOENT) spdlog::warn("network: handoff: cannot install the socket: {}", std::strerror(err));
    if (err != ENOENT) (void)notify::answer(notify_.get(), handoff.notification, -1, ECONNREFUSED);
    return;
  }
  (void)notify::answer(notify_.get(), handoff.notification, result == 0 ? 0 : -1, result);
  ++stats_.handed_off;
  const auto peer = SocketAddress::from_sockaddr(handoff.peer);
  spdlog::info("network: allowed {} ({}), handed over{}", handoff.decision.destination, handoff.decision.reason,
               peer ? " connected to " + peer->str() : "");
}

void Gateway::refuse_handoff(std::uint64_t id, int error) {
  auto node = handoffs_.extract(id);
  if (node.empty()) return;
  if (node.mapped().ours) poller_.remove(node.mapped().ours.get());
  (void)notify::answer(notify_.get(), node.mapped().notification, -1, error);
}

}  // namespace airlock::gateway
