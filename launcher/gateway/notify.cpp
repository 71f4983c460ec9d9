#include "gateway/notify.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "kernel/remote.hpp"
#include "util/error.hpp"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71  // Linux 5.14
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL  // Linux 6.9
#endif

// Linux 6.6; Debian 12's headers predate it.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace airlock::gateway::notify {
namespace {

int ioctl_retrying(int fd, unsigned long request, void* argument) {
  int rc;
  do rc = ::ioctl(fd, request, argument);
  while (rc != 0 && errno == EINTR);
  return rc;
}

int get_int(int fd, int level, int name, int fallback) {
  int value = 0;
  socklen_t length = sizeof value;
  return ::getsockopt(fd, level, name, &value, &length) == 0 ? value : fallback;
}

// A pidfd for the thread that made the call: threads of a process may not
// share one descriptor table (clone without CLONE_FILES), so the thread's
// own table is the one that names `fd`. Before Linux 6.9 only a process
// (thread group leader) has a pidfd; most threads share its table.
UniqueFd open_pidfd(pid_t tid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, tid, PIDFD_THREAD)));
  if (fd || errno != EINVAL) return fd;
  // Before Linux 6.9: the leader's pidfd; pthreads share its table.
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, status_number(tid, "Tgid:").value_or(tid), 0)));
}

}  // namespace

std::optional<unsigned long long> status_number(pid_t tid, const std::string& key, int base) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  std::string word;
  while (in >> word) {
    if (word == key) {
      std::string value;
      in >> value;
      try {
        return std::stoull(value, nullptr, base);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

bool has_capability(pid_t tid, int capability) {
  const auto effective = status_number(tid, "CapEff:", 16);
  return effective && ((*effective >> capability) & 1) != 0;
}

std::optional<seccomp_notif> receive(int listener) {
  seccomp_notif request{};  // the kernel wants it zeroed
  if (ioctl_retrying(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) == 0) return request;
  if (errno == ENOENT) return std::nullopt;
  throw SystemError("gateway: receive a connect() notification", errno);
}

bool wake_synchronously(int listener) {
  return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
}

bool still_waiting(int listener, std::uint64_t id) {
  return ioctl_retrying(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

bool answer(int listener, std::uint64_t id, std::int64_t value, int error) {
  seccomp_notif_resp response{};
  response.id = id;
  response.val = value;
  response.error = -error;
  return ioctl_retrying(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) == 0;
}

bool let_run(int listener, std::uint64_t id) {
  seccomp_notif_resp response{};
  response.id = id;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  return ioctl_retrying(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) == 0;
}

int install(int listener, std::uint64_t id, int fd, int target, bool cloexec) {
  seccomp_notif_addfd addfd{};
  addfd.id = id;
  addfd.flags = SECCOMP_ADDFD_FLAG_SETFD;
  addfd.srcfd = static_cast<std::uint32_t>(fd);
  addfd.newfd = static_cast<std::uint32_t>(target);
  addfd.newfd_flags = cloexec ? O_CLOEXEC : 0;
  const int rc = ioctl_retrying(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
  return rc < 0 ? errno : 0;
}

int fetch_descriptor(int listener, std::uint64_t id, pid_t tid, int fd, UniqueFd& out) {
  const UniqueFd pidfd = open_pidfd(tid);
  if (!pidfd) return errno;
  if (!still_waiting(listener, id)) return ENOENT;
  out = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  return out ? 0 : errno;
}

bool close_on_exec(pid_t tid, int fd) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/fdinfo/" + std::to_string(fd));
  std::string key;
  while (in >> key) {
    if (key == "flags:") {
      std::string octal;
      in >> octal;
      try {
        return (std::stoul(octal, nullptr, 8) & O_CLOEXEC) != 0;
      } catch (const std::exception&) {
        return true;
      }
    }
    std::string rest;
    std::getline(in, rest);
  }
  return true;  // unknown: the safer default for a descriptor the command did not make visible to exec
}

bool watched_by_epoll(pid_t tid, int fd, unsigned long inode) {
  // A budget: a command with thousands of descriptors or epoll sets must
  // not stall the supervisor. Past it the answer is "watched": relayed.
  constexpr int kMaxDescriptors = 1024;
  constexpr int kMaxEpolls = 16;
  int descriptors = 0, epolls = 0;
  const std::string proc = "/proc/" + std::to_string(tid);
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(proc + "/fd", error)) {
    if (++descriptors > kMaxDescriptors) return true;
    const auto target = kernel::remote::read_link(entry.path());
    if (!target || *target != "anon_inode:[eventpoll]") continue;
    if (++epolls > kMaxEpolls) return true;
    // "tfd:        7 events:       19 data: ... pos:0 ino:5e2f sdev:8"
    std::ifstream info(proc + "/fdinfo/" + entry.path().filename().string());
    std::string line;
    while (std::getline(info, line)) {
      std::istringstream words(line);
      std::string key, value;
      int watched = -1;
      if (!(words >> key >> watched) || key != "tfd:" || watched != fd) continue;
      while (words >> value) {
        if (value.starts_with("ino:")) {
          try {
            if (std::stoul(value.substr(4), nullptr, 16) == inode) return true;
          } catch (const std::exception&) {
            return true;  // unreadable: assume the worst, the relay works either way
          }
        }
      }
    }
  }
  return false;
}

std::optional<sockaddr_storage> read_sockaddr(pid_t tid, std::uint64_t address, std::uint64_t length) {
  sockaddr_storage out{};
  const std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(length, sizeof out));
  if (size == 0 || !kernel::remote::read_bytes(tid, address, &out, size)) return std::nullopt;
  return out;
}

std::optional<std::uint64_t> netns_cookie(int fd) {
  std::uint64_t cookie = 0;
  socklen_t length = sizeof cookie;
  if (::getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &length) != 0) return std::nullopt;
  return cookie;
}

SocketFacts inspect_socket(int fd, std::uint64_t host_netns) {
  SocketFacts facts;
  facts.domain = get_int(fd, SOL_SOCKET, SO_DOMAIN, AF_UNSPEC);
  facts.stream = get_int(fd, SOL_SOCKET, SO_TYPE, 0) == SOCK_STREAM;
  facts.protocol = get_int(fd, SOL_SOCKET, SO_PROTOCOL, 0);
  const auto cookie = netns_cookie(fd);
  // Not the host's: the sandbox's, or a namespace the command made itself.
  facts.in_sandbox = cookie && *cookie != host_netns;
  if (!facts.tcp()) return facts;
  if (facts.domain == AF_INET6) facts.v6only = get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0) != 0;
  const auto local = local_address(fd);
  facts.bound = local && local->port != 0;
  tcp_info info{};
  socklen_t length = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0) facts.tcp_state = info.tcpi_state;
  return facts;
}

}  // namespace airlock::gateway::notify
