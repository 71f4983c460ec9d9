#pragma once
// One relayed TCP connection: side A (accepted, already connected) and
// side B (connected here, trying candidate addresses in order), bytes moved
// in both directions with splice(2) through a pipe per direction, so they
// are never copied to user space. Driven by an edge-triggered epoll loop:
// each event pumps both directions until the kernel says "would block".
// Backpressure is TCP's own: while a pipe is full nothing more is read from
// its source. A FIN is passed on as shutdown(SHUT_WR) once its direction is
// drained (half-close); an error on either side resets both.
#include <sys/epoll.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gateway/address.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {

class Poller {
 public:
  Poller();
  int fd() const { return epoll_.get(); }
  void add(int fd, std::uint64_t token, std::uint32_t events);
  void modify(int fd, std::uint64_t token, std::uint32_t events);
  // Tolerates a descriptor that is not (or no longer) registered.
  void remove(int fd);
  // Ready events, at most events.size(); never blocks when timeout_ms is 0.
  std::span<epoll_event> wait(std::span<epoll_event> events, int timeout_ms);

 private:
  UniqueFd epoll_;
};

// SO_LINGER {on, 0}: close() sends a reset instead of a FIN (socket(7)).
// False when the socket refused the option: it is already dead, and the
// close that follows loses nothing.
bool reset_on_close(int fd) noexcept;

class Relay {
 public:
  enum class State { connecting, relaying, done, failed };

  // Registers with `poller` under token_base | side (0 for A, 1 for B).
  // `socket_for_first`, when given, is the socket to connect to the first
  // candidate (made in another network namespace); otherwise one is made.
  Relay(Poller& poller, std::uint64_t token_base, UniqueFd a, std::vector<SocketAddress> candidates,
        UniqueFd socket_for_first = {});
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  State on_event(unsigned side, std::uint32_t events);
  // Ends the connection with a reset on both sides (when destroyed).
  void abort() { reset_ = true; state_ = State::done; }
  State state() const { return state_; }
  const std::string& error() const { return error_; }       // failed: why
  const SocketAddress& connected_to() const { return peer_; }  // relaying/done: B's address
  std::uint64_t bytes_a_to_b() const { return forward_.bytes; }
  std::uint64_t bytes_b_to_a() const { return backward_.bytes; }

  static constexpr std::uint64_t kSideB = 1;

 private:
  struct Flow {
    int from = -1;
    int to = -1;
    UniqueFd pipe_read, pipe_write;
    std::size_t in_pipe = 0;
    std::size_t capacity = 0;
    bool eof = false;   // `from` has sent its FIN
    bool shut = false;  // passed on to `to`
    bool grown = false; // the pipe was enlarged for bulk (or could not be)
    std::uint64_t bytes = 0;
  };
  void connect_next(UniqueFd socket);
  void on_connected();
  void start_relaying();
  bool pump(Flow& flow);  // false on a fatal error
  void fail(std::string why);
  static void make_pipe(Flow& flow);
  static void grow_pipe(Flow& flow);

  Poller& poller_;
  std::uint64_t token_;
  UniqueFd a_, b_;
  std::vector<SocketAddress> candidates_;
  std::size_t next_candidate_ = 0;
  SocketAddress peer_;
  State state_ = State::connecting;
  std::string error_;
  std::vector<std::string> attempts_;  // "203.0.113.7:443: Connection refused"
  Flow forward_, backward_;            // A -> B, B -> A
  bool reset_ = false;                 // close with a reset, not a FIN
};

}  // namespace airlock::gateway
