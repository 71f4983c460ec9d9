// The handoff part (connect_handoff.hpp): serving the seccomp
// notifications of connect(), bind() and listen().
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

#include "gateway/connect_handoff.hpp"
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

ConnectHandoff::ConnectHandoff(const CoreServices& core) : core_(core) {}

void ConnectHandoff::on_event(std::uint8_t kind, std::uint64_t id) {
  switch (static_cast<Kind>(kind)) {
    case Kind::notification: return on_notification();
    case Kind::connecting: return on_connecting(id);
    case Kind::sweep: return sweep();
  }
}

void ConnectHandoff::take_listener(UniqueFd listener) {
  if (notify_) return;
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
  sweep_timer_ = UniqueFd(static_cast<int>(
      check_syscall(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), "timerfd_create for the handoff")));
  constexpr itimerspec kEverySecond{{1, 0}, {1, 0}};
  check_syscall(::timerfd_settime(sweep_timer_.get(), 0, &kEverySecond, nullptr), "timerfd_settime");
  core_.poller.add(sweep_timer_.get(), token(Kind::sweep, 0), EPOLLIN);
  notify_ = std::move(listener);
  if (!notify::wake_synchronously(notify_.get()))
    spdlog::debug("network: handoff: no synchronous wake-up: {}", std::strerror(errno));
  core_.poller.add(notify_.get(), token(Kind::notification, 0), EPOLLIN);
}

// A caller interrupted by a signal, or killed, no longer waits: its
// pending connection is dropped (its own socket goes on connecting in the
// kernel, as it would have).
void ConnectHandoff::sweep() {
  std::uint64_t expirations = 0;
  if (::read(sweep_timer_.get(), &expirations, sizeof expirations) < 0) return;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (notify::still_waiting(notify_.get(), it->second.notification)) {
      ++it;
      continue;
    }
    if (it->second.ours) core_.poller.remove(it->second.ours.get());
    if (it->second.own_socket) core_.poller.remove(it->second.theirs.get());
    it = pending_.erase(it);
  }
}

void ConnectHandoff::on_notification() {
  for (int i = 0; i < kNotificationBatch; ++i) {
    pollfd ready{notify_.get(), POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0) return;
    if ((ready.revents & POLLIN) == 0) {
      // Every process of the sandbox is gone.
      core_.poller.remove(notify_.get());
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

void ConnectHandoff::serve_connect(const seccomp_notif& request) {
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
  const ConnectHandling handling = connect_handling(core_.config, core_.matcher, core_.synthetic, facts, connect);
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
  if (pending_.size() >= kMaxPending) {
    spdlog::warn("network: handoff: {} connect() calls already wait for a connection; one more refused",
                 pending_.size());
    (void)notify::answer(listener, request.id, -1, EAGAIN);
    return;
  }
  Pending pending;
  pending.notification = request.id;
  pending.target_fd = fd;
  pending.domain = facts.domain;
  pending.v6only = facts.v6only;
  pending.nonblocking = is_nonblocking(theirs.get());
  pending.theirs = std::move(theirs);
  pending.address = *address;
  pending.address_length = static_cast<socklen_t>(std::min<std::uint64_t>(request.data.args[2], sizeof(sockaddr_storage)));
  bool relay = handling.kind == ConnectHandling::Kind::on_socket;
  if (!relay && pending.nonblocking) {
    // Registered with epoll before connect() (Netty does): replacing the
    // socket would leave the loop watching the old one. The relay serves it.
    struct stat st {};
    relay = ::fstat(pending.theirs.get(), &st) != 0 || notify::watched_by_epoll(tid, fd, st.st_ino);
    if (relay) spdlog::debug("network: {}: watched by epoll before connect(): relayed", handling.decision.destination);
  }
  if (relay) {
    pending.own_socket = true;
    return connect_own_socket(std::move(pending));
  }
  pending.cloexec = notify::close_on_exec(tid, fd);
  pending.decision = handling.decision;
  pending.port = connect.destination->port;
  start(std::move(pending));
}

void ConnectHandoff::serve_socket_call(const seccomp_notif& request) {
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
void ConnectHandoff::answer_handed_over(std::uint64_t notification, int socket, const SocketFacts& facts) {
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
void ConnectHandoff::connect_own_socket(Pending pending) {
  const int err = guarded_connect(pending.theirs.get(), pending.address, pending.address_length);
  if (err != EINPROGRESS || pending.nonblocking) {
    (void)notify::answer(notify_.get(), pending.notification, err == 0 ? 0 : -1, err);
    return;
  }
  const std::uint64_t id = next_id_++;
  core_.poller.add(pending.theirs.get(), token(Kind::connecting, id), EPOLLOUT);
  pending_.emplace(id, std::move(pending));
}

void ConnectHandoff::start(Pending pending) {
  const std::uint64_t id = next_id_++;
  const Decision& decision = pending.decision;
  if (decision.action == Decision::Action::connect) {
    pending.candidates = {decision.target};
    ++core_.stats.connections_allowed;
  } else if (decision.pinned) {
    pending.candidates = {SocketAddress{*decision.pinned, pending.port}};
    ++core_.stats.connections_allowed;
  } else {
    const std::string name = decision.name;
    pending_.emplace(id, std::move(pending));
    core_.resolver.resolve(name, [this, id](const Resolution& resolution) { on_resolved(id, resolution); });
    return;
  }
  pending_.emplace(id, std::move(pending));
  connect_next_candidate(id);
}

void ConnectHandoff::on_resolved(std::uint64_t id, const Resolution& resolution) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& pending = it->second;
  if (!resolution.error.empty()) {
    ++core_.stats.connections_failed;
    spdlog::warn("network: {}: cannot resolve {}: {}", pending.decision.destination, pending.decision.name,
                 resolution.error);
    return refuse(id, EHOSTUNREACH);
  }
  auto screened = screen_resolved(core_.matcher, pending.decision.name, resolution.addresses, pending.port);
  if (screened.usable.empty()) {
    core_.deny(pending.decision.destination, screened.refused.front());
    return refuse(id, ECONNREFUSED);
  }
  for (const auto& why : screened.refused)
    spdlog::info("network: {}: address left out: {}", pending.decision.destination, why);
  pending.candidates = std::move(screened.usable);
  ++core_.stats.connections_allowed;
  connect_next_candidate(id);
}

void ConnectHandoff::connect_next_candidate(std::uint64_t id) {
  Pending& pending = pending_.at(id);
  while (pending.next < pending.candidates.size()) {
    const SocketAddress& target = pending.candidates[pending.next++];
    const auto address = address_for(pending.domain, pending.v6only, target, pending.peer_length);
    if (!address) {
      pending.attempts.push_back(target.str() + ": not reachable from the command's socket family");
      pending.last_error = ENETUNREACH;
      continue;
    }
    pending.peer = *address;
    UniqueFd socket(::socket(pending.domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket) {
      pending.last_error = errno;
      pending.attempts.push_back(target.str() + ": " + std::strerror(errno));
      continue;
    }
    copy_options(pending.theirs.get(), socket.get(), pending.domain);
    const int err = connect_retrying(socket.get(), pending.peer, pending.peer_length);
    if (err == 0 || err == EINPROGRESS) {
      pending.ours = std::move(socket);
      // A non-blocking connect() says EINPROGRESS as it would have
      // inside, and the command waits for the socket it now holds.
      if (err == 0 || pending.nonblocking) return complete(id, err);
      core_.poller.add(pending.ours.get(), token(Kind::connecting, id), EPOLLOUT);
      return;
    }
    pending.last_error = err;
    pending.attempts.push_back(target.str() + ": " + std::strerror(err));
  }
  ++core_.stats.connections_failed;
  std::string why;
  for (const auto& attempt : pending.attempts) why += (why.empty() ? "" : "; ") + attempt;
  spdlog::warn("network: {}: cannot connect: {}", pending.decision.destination, why.empty() ? "no address" : why);
  refuse(id, pending.last_error);
}

void ConnectHandoff::on_connecting(std::uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& pending = it->second;
  if (pending.own_socket) {
    Pending done = std::move(pending);
    pending_.erase(it);
    core_.poller.remove(done.theirs.get());
    int err = pending_error(done.theirs.get());
    // connect() once more on success: the command's socket is then
    // connected for the kernel too (a later connect() says EISCONN).
    if (err == 0) err = guarded_connect(done.theirs.get(), done.address, done.address_length);
    (void)notify::answer(notify_.get(), done.notification, err == 0 ? 0 : -1, err);
    return;
  }
  core_.poller.remove(pending.ours.get());
  const int err = pending_error(pending.ours.get());
  if (err == 0) return complete(id, 0);
  pending.ours.reset();
  pending.last_error = err;
  pending.attempts.push_back(SocketAddress::from_sockaddr(pending.peer).value_or(SocketAddress{}).str() + ": " +
                             std::strerror(err));
  connect_next_candidate(id);
}

void ConnectHandoff::complete(std::uint64_t id, int result) {
  auto node = pending_.extract(id);
  Pending& pending = node.mapped();
  const int socket = pending.ours.get();
  if (result == 0) {
    // Connected: a second connect() marks the socket connected for the
    // kernel's socket layer, so no later connect() of the command's can
    // take it anywhere else (it says EISCONN).
    (void)connect_retrying(socket, pending.peer, pending.peer_length);
  }
  if (!pending.nonblocking) set_nonblocking(socket, false);
  const int err = notify::install(notify_.get(), pending.notification, socket, pending.target_fd, pending.cloexec);
  if (err != 0) {
    // ENOENT: the caller was interrupted or killed; its connect() starts
    // again (a new notification) or never will.
    if (err != ENOENT) spdlog::warn("network: handoff: cannot install the socket: {}", std::strerror(err));
    if (err != ENOENT) (void)notify::answer(notify_.get(), pending.notification, -1, ECONNREFUSED);
    return;
  }
  (void)notify::answer(notify_.get(), pending.notification, result == 0 ? 0 : -1, result);
  ++core_.stats.handed_off;
  const auto peer = SocketAddress::from_sockaddr(pending.peer);
  spdlog::info("network: allowed {} ({}), handed over{}", pending.decision.destination, pending.decision.reason,
               peer ? " connected to " + peer->str() : "");
}

void ConnectHandoff::refuse(std::uint64_t id, int error) {
  auto node = pending_.extract(id);
  if (node.empty()) return;
  if (node.mapped().ours) core_.poller.remove(node.mapped().ours.get());
  (void)notify::answer(notify_.get(), node.mapped().notification, -1, error);
}

}  // namespace airlock::gateway
