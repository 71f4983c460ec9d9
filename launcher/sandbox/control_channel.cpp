#include "sandbox/control_channel.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace airlock::sandbox {

Pipe make_pipe() {
  int fds[2];
  check_syscall(pipe2(fds, O_CLOEXEC), "pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void send_go_ahead(int fd, const char* to_whom) {
  check_syscall(::write(fd, &kGoAhead, 1), std::string("write the go-ahead to ") + to_whom);
}

void wait_for_go_ahead(int fd) {
  char byte = 0;
  ssize_t n;
  do n = ::read(fd, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1 || byte != kGoAhead) _exit(kExitOwnError);
}

namespace control {
namespace {

constexpr char kListenerTag = 'L';

}  // namespace

std::pair<UniqueFd, UniqueFd> make_pair() {
  int fds[2];
  check_syscall(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), "socketpair for the sandbox's control channel");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

namespace {

// One data buffer and room for one descriptor: the shape of every message
// on the channel.
struct FdMessage {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  iovec data{};
  msghdr msg{};
  FdMessage(void* buffer, std::size_t size) : data{buffer, size} {
    msg.msg_iov = &data;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

void send_listener(int channel, int listener) {
  char tag = kListenerTag;
  FdMessage message(&tag, 1);
  msghdr& msg = message.msg;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &listener, sizeof listener);
  ssize_t n;
  do n = ::sendmsg(channel, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  check_syscall(n, "hand the seccomp listener to the supervisor");
}

ssize_t receive(int channel, char* buffer, std::size_t size, UniqueFd& listener) {
  FdMessage message(buffer, size);
  msghdr& msg = message.msg;
  const ssize_t n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return n;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    listener.reset(fd);
  }
  if (listener && n == 1 && buffer[0] == kListenerTag) return 0;
  return n;
}

void report_failure(int channel, int code, const std::string& message) {
  const auto line = std::to_string(code) + " " + message;
  // write(2), not send(2): after seccomp is loaded write is the one call an
  // allow-list is sure to keep (the report of a refused execve goes this way).
  if (::write(channel, line.data(), line.size()) < 0) {
    // The supervisor is gone: nobody is left to tell.
  }
}

void fail(int channel, int code, const std::string& message) {
  report_failure(channel, code, message);
  _exit(code);
}

}  // namespace control
}  // namespace airlock::sandbox
