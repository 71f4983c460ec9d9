#include "gateway/channel.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace airlock::gateway::channel {
namespace {

constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage);

// Naturally aligned storage for the control message (cmsg(3)).
union Control {
  char bytes[kControlSize];
  cmsghdr align;
};

}  // namespace

std::pair<UniqueFd, UniqueFd> make_pair() {
  int fds[2];
  check_syscall(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), "socketpair for the gateway");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void send(int socket, const Message& message, std::span<const int> fds) {
  if (fds.size() > kMaxFdsPerMessage) throw Error("internal: too many descriptors for one gateway message");
  iovec iov{const_cast<Message*>(&message), sizeof message};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  Control control{};
  if (!fds.empty()) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t sent;
  do sent = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  check_syscall(sent, "send to the gateway channel");
}

std::optional<Message> receive(int socket, std::vector<UniqueFd>& fds) {
  Message message;
  iovec iov{&message, sizeof message};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  Control control{};
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  ssize_t got;
  do got = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Message{};
  check_syscall(got, "receive from the gateway channel");
  if (got == 0) return std::nullopt;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) {
    throw Error("descriptors from the sandbox's init were lost (too many open files?): raise `ulimit -n`");
  }
  if (static_cast<std::size_t>(got) != sizeof message) throw Error("malformed message on the gateway channel");
  return message;
}

}  // namespace airlock::gateway::channel
