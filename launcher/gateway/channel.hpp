#pragma once
// The control channel between the sandbox's init and the supervisor: a
// SOCK_SEQPACKET socketpair created before clone. Sockets belong to the
// network namespace they were created in, so init creates every socket the
// gateway needs inside and passes it over with SCM_RIGHTS; the supervisor,
// in the host's namespace, then drives them.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "util/fd.hpp"

namespace airlock::gateway::channel {

enum class Kind : std::uint32_t {
  none = 0,           // nothing to read yet (non-blocking end)
  listeners = 1,      // init -> supervisor: listeners value.., in Config order, as fds
  listeners_done = 2, // init -> supervisor: every listener was sent
  socket_request = 3, // supervisor -> init: a fresh TCP socket of family `value`
  socket_reply = 4,   // init -> supervisor: the socket (one fd), or errno in `value`
  listen_request = 5, // supervisor -> init: a listener on `address`:`port` (family in `value`), log-only mode
  listen_reply = 6,   // init -> supervisor: the listener (one fd), or errno in `value`
};

// Sent as its bytes: no padding (4 + 4 + 16 + 2 + 2).
struct Message {
  Kind kind = Kind::none;
  std::int32_t value = 0;
  std::array<std::uint8_t, 16> address{};  // listen_request: IPv4 in the first 4 bytes
  std::uint16_t port = 0;
  std::uint16_t reserved = 0;
};
static_assert(sizeof(Message) == 28, "the channel sends Message as its bytes");

// SCM_MAX_FD is 253 (net/scm.h); stay below it.
inline constexpr std::size_t kMaxFdsPerMessage = 250;

// {init's end, the supervisor's end}, both close-on-exec.
std::pair<UniqueFd, UniqueFd> make_pair();

void send(int socket, const Message& message, std::span<const int> fds = {});

// The next message and its descriptors (close-on-exec). nullopt when the
// other end is gone; Kind::none when a non-blocking socket has nothing yet.
// Throws airlock::Error when descriptors were lost (the receiver ran out).
std::optional<Message> receive(int socket, std::vector<UniqueFd>& fds);

}  // namespace airlock::gateway::channel
