#include "gateway/relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace airlock::gateway {
namespace {

// A pipe starts at the kernel's default (64 KiB) and grows to kBulkPipeSize
// once its flow has filled it: a bulk transfer then needs about a quarter
// less CPU in the supervisor, while the many idle or interactive
// connections stay small. Pipe capacity counts against the user's budget
// (pipe-user-pages-soft: 64 MiB); beyond it the kernel refuses to grow a
// pipe, which is correct, only slower.
constexpr int kBulkPipeSize = 1024 * 1024;

constexpr std::uint32_t kRelayEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

Poller::Poller() {
  epoll_ = UniqueFd(static_cast<int>(check_syscall(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")));
}

void Poller::add(int fd, std::uint64_t token, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  check_syscall(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(ADD)");
}

void Poller::modify(int fd, std::uint64_t token, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  check_syscall(::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev), "epoll_ctl(MOD)");
}

void Poller::remove(int fd) {
  if (fd < 0) return;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0 && errno != ENOENT && errno != EBADF)
    throw SystemError("epoll_ctl(DEL)", errno);
}

std::span<epoll_event> Poller::wait(std::span<epoll_event> events, int timeout_ms) {
  int n;
  do n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
  while (n < 0 && errno == EINTR);
  check_syscall(n, "epoll_wait");
  return events.first(static_cast<std::size_t>(n));
}

bool reset_on_close(int fd) noexcept {
  const linger abort{1, 0};
  return ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort) == 0;
}

Relay::Relay(Poller& poller, std::uint64_t token_base, UniqueFd a, std::vector<SocketAddress> candidates,
             UniqueFd socket_for_first)
    : poller_(poller), token_(token_base), a_(std::move(a)), candidates_(std::move(candidates)) {
  connect_next(std::move(socket_for_first));
}

Relay::~Relay() {
  // Closing the descriptors ends the epoll registrations too, unless another
  // process still holds the same socket (one init made): hence the removal.
  // Neither step can fail in a way that would leave anything behind.
  try {
    poller_.remove(a_.get());
    poller_.remove(b_.get());
  } catch (const Error&) {
  }
  if (reset_) {
    if (a_) (void)reset_on_close(a_.get());
    if (b_) (void)reset_on_close(b_.get());
  }
}

void Relay::connect_next(UniqueFd socket) {
  while (next_candidate_ < candidates_.size()) {
    const SocketAddress& target = candidates_[next_candidate_++];
    if (b_) {
      poller_.remove(b_.get());
      b_.reset();
    }
    b_ = socket ? std::move(socket) : UniqueFd(::socket(target.ip.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!b_) {
      attempts_.push_back(target.str() + ": " + std::strerror(errno));
      continue;
    }
    peer_ = target;
    socklen_t length = 0;
    const auto sa = target.to_sockaddr(length);
    int rc;
    do rc = ::connect(b_.get(), reinterpret_cast<const sockaddr*>(&sa), length);
    while (rc < 0 && errno == EINTR);
    // EISCONN: a socket given already connected (audit's preflight).
    if (rc == 0 || errno == EISCONN) {
      start_relaying();
      return;
    }
    if (errno == EINPROGRESS) {
      // On loopback the handshake has usually completed by now (ready for
      // writing means finished, well or not): starting at once saves a trip
      // through the event loop per connection.
      pollfd ready{b_.get(), POLLOUT, 0};
      if (::poll(&ready, 1, 0) == 1) return on_connected();
      poller_.add(b_.get(), token_ | kSideB, EPOLLOUT);
      return;
    }
    attempts_.push_back(target.str() + ": " + std::strerror(errno));
  }
  std::string why = attempts_.empty() ? "no address to connect to" : "";
  for (const auto& attempt : attempts_) why += (why.empty() ? "" : "; ") + attempt;
  fail(why);
}

void Relay::on_connected() {
  int err = 0;
  socklen_t length = sizeof err;
  check_syscall(::getsockopt(b_.get(), SOL_SOCKET, SO_ERROR, &err, &length), "getsockopt(SO_ERROR)");
  if (err == EINPROGRESS || err == EALREADY) return;  // still waiting for EPOLLOUT
  if (err != 0) {
    attempts_.push_back(peer_.str() + ": " + std::strerror(err));
    connect_next({});
    return;
  }
  start_relaying();
}

void Relay::make_pipe(Flow& flow) {
  int fds[2];
  check_syscall(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), "pipe2 for a relay");
  flow.pipe_read.reset(fds[0]);
  flow.pipe_write.reset(fds[1]);
  flow.capacity = static_cast<std::size_t>(check_syscall(::fcntl(fds[1], F_GETPIPE_SZ), "F_GETPIPE_SZ"));
}

void Relay::grow_pipe(Flow& flow) {
  flow.grown = true;
  const int size = ::fcntl(flow.pipe_write.get(), F_SETPIPE_SZ, kBulkPipeSize);
  if (size > 0) {
    flow.capacity = static_cast<std::size_t>(size);
  } else if (errno != EPERM && errno != EBUSY) {
    throw SystemError("F_SETPIPE_SZ", errno);
  }
}

void Relay::start_relaying() {
  state_ = State::relaying;
  forward_.from = a_.get();
  forward_.to = b_.get();
  backward_.from = b_.get();
  backward_.to = a_.get();
  make_pipe(forward_);
  make_pipe(backward_);
  // Registering reports what is already pending (the client may have sent
  // its request while B was connecting), so nothing waits for a new edge.
  poller_.remove(b_.get());
  poller_.add(a_.get(), token_, kRelayEvents);
  poller_.add(b_.get(), token_ | kSideB, kRelayEvents);
}

bool Relay::pump(Flow& flow) {
  while (true) {
    bool progressed = false;
    if (flow.in_pipe > 0) {
      const ssize_t n = ::splice(flow.pipe_read.get(), nullptr, flow.to, nullptr, flow.in_pipe,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        flow.in_pipe -= static_cast<std::size_t>(n);
        flow.bytes += static_cast<std::uint64_t>(n);
        progressed = true;
      } else if (n < 0 && errno != EINTR && !would_block(errno)) {
        return false;
      }
    }
    if (!flow.eof && flow.in_pipe < flow.capacity) {
      const ssize_t n = ::splice(flow.from, nullptr, flow.pipe_write.get(), nullptr, flow.capacity - flow.in_pipe,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        flow.in_pipe += static_cast<std::size_t>(n);
        progressed = true;
        if (flow.in_pipe == flow.capacity && !flow.grown) grow_pipe(flow);
      } else if (n == 0) {
        flow.eof = true;
      } else if (errno != EINTR && !would_block(errno)) {
        return false;
      }
    }
    if (!progressed) break;
  }
  if (flow.eof && flow.in_pipe == 0 && !flow.shut) {
    flow.shut = true;
    if (::shutdown(flow.to, SHUT_WR) != 0 && errno != ENOTCONN) return false;
  }
  return true;
}

Relay::State Relay::on_event(unsigned side, std::uint32_t events) {
  if (state_ == State::connecting) {
    if (side == kSideB && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) on_connected();
    return state_;
  }
  if (state_ != State::relaying) return state_;
  if (!pump(forward_) || !pump(backward_)) {
    reset_ = true;
    state_ = State::done;
    return state_;
  }
  if (forward_.shut && backward_.shut) state_ = State::done;
  return state_;
}

void Relay::fail(std::string why) {
  error_ = std::move(why);
  state_ = State::failed;
  reset_ = true;
}

}  // namespace airlock::gateway
