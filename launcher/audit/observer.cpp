#include "audit/observer.hpp"
#include "gateway/notify.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "kernel/remote.hpp"
#include "util/error.hpp"


namespace airlock::audit {
namespace {

// Notifications served per process() call before returning to the
// supervisor's poll loop, so that signals and the timeout stay responsive.
constexpr int kBatch = 64;

int as_dirfd(std::uint64_t arg) { return static_cast<int>(static_cast<std::int32_t>(arg & 0xffffffffULL)); }

std::optional<Destination> inet_destination(const sockaddr_storage& sa, std::size_t length) {
  char text[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, &sa, sizeof in);
    if (inet_ntop(AF_INET, &in.sin_addr, text, sizeof text) == nullptr) return std::nullopt;
    return Destination{AF_INET, text, ntohs(in.sin_port)};
  }
  if (sa.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &sa, sizeof in6);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      if (inet_ntop(AF_INET, &in6.sin6_addr.s6_addr[12], text, sizeof text) == nullptr) return std::nullopt;
      return Destination{AF_INET, text, ntohs(in6.sin6_port)};
    }
    if (inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text) == nullptr) return std::nullopt;
    return Destination{AF_INET6, text, ntohs(in6.sin6_port)};
  }
  return std::nullopt;
}

// mkdir, mknod, link and symlink onto an existing path fail with EEXIST:
// nothing is created, nothing needs granting. (rename replaces its target.)
void drop_if_no_creation(const WatchedCall& call, std::vector<FileEvent>& files) {
  const bool replaces = std::string_view(call.name).starts_with("rename");
  if (call.use == kCreate && !replaces && !files.empty() && files.back().exists) files.pop_back();
}

void respond_continue(int listener, std::uint64_t id) {
  seccomp_notif_resp response{};
  response.id = id;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  // ENOENT: the caller is gone (killed while waiting); nothing to answer.
  while (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0 && errno == EINTR) {
  }
}

void respond_error(int listener, std::uint64_t id, int error) {
  seccomp_notif_resp response{};
  response.id = id;
  response.error = -error;
  while (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0 && errno == EINTR) {
  }
}

}  // namespace

struct Observer::Seen {
  std::vector<FileEvent> files;
  std::vector<std::pair<Destination, std::string>> destinations;
  std::optional<std::uint16_t> bound_port;
  std::optional<std::string> unix_socket;
  std::optional<std::string> executed;
  std::optional<Destination> tcp_connect;
  const std::string* denied = nullptr;
  bool unreadable = false;
};

Observer::Observer(UniqueFd listener, const Watch& watch, std::shared_ptr<Observations> out)
    : listener_(std::move(listener)),
      out_(std::move(out)),
      notify_by_default_(watch.notify_by_default),
      refuse_errno_(watch.refuse_errno) {
  if (refuse_errno_ != 0 && notify_by_default_)
    throw Error("internal: a watch that refuses calls needs a profile whose default is allow");
  answers_ = std::make_shared<UniqueFd>(static_cast<int>(
      check_syscall(::fcntl(listener_.get(), F_DUPFD_CLOEXEC, 0), "duplicate the seccomp listener")));
  // The caller waits while we look: ask the kernel to hand the CPU straight
  // from it to us and back (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP), instead of
  // two scheduler wake-ups per call. Older kernels refuse; it is only faster.
  (void)gateway::notify::wake_synchronously(listener_.get());
  for (const auto& call : watched_calls()) {
    const int nr = seccomp_syscall_resolve_name(call.name);
    if (nr >= 0) calls_[nr] = &call;
  }
  for (const auto& name : watch.denied) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr >= 0) denied_[nr] = name;
    if (nr >= 0 && refuse_errno_ != 0) refused_[nr] = true;
  }
}

bool Observer::refuses(const seccomp_data& call) const {
  return refuse_errno_ != 0 && call.arch == seccomp_arch_native() && refused_.count(call.nr) != 0;
}

bool Observer::process(short revents) {
  if ((revents & POLLIN) == 0) return (revents & (POLLHUP | POLLERR | POLLNVAL)) == 0;
  for (int served = 0; served < kBatch; ++served) {
    seccomp_notif request{};  // the kernel wants it zeroed
    if (::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, &request) == 0) {
      serve(request);
    } else if (errno != EINTR && errno != ENOENT) {
      return false;  // the listener is unusable: let the command run unobserved rather than hang
    }
    pollfd more{listener_.get(), POLLIN, 0};
    if (::poll(&more, 1, 0) <= 0) return true;
    if ((more.revents & POLLIN) == 0) return (more.revents & (POLLHUP | POLLERR | POLLNVAL)) == 0;
  }
  return true;
}

void Observer::serve(const seccomp_notif& request) {
  ++out_->notifications;
  // Decided before anything is read from the caller, and answered whether
  // or not the rest goes well: a refused call must never go on.
  const bool refuse = refuses(request.data);
  Seen seen;
  try {
    decode(request, seen);
  } catch (const std::exception&) {
    seen.unreadable = true;  // std::bad_alloc and the like: the call must still continue
  }
  // After reading the caller's memory: if the notification is gone, the
  // caller died (or was interrupted) and what we read may be some other
  // thread's reused memory.
  std::uint64_t id = request.id;
  if (::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) {
    ++out_->stale;
  } else {
    Observations& out = *out_;
    for (const auto& file : seen.files) out.record(file);
    for (const auto& [to, call] : seen.destinations) out.record_destination(to, call);
    if (seen.bound_port) out.bound_ports.insert(*seen.bound_port);
    if (seen.unix_socket) out.unix_sockets.insert(*seen.unix_socket);
    if (seen.executed) out.executed.insert(*seen.executed);
    if (seen.denied != nullptr) ++out.denied_calls[*seen.denied];
    if (seen.unreadable) ++out.unreadable;
    // Last before the call goes on: the connection must find its listener,
    // and one nothing answers fails here, as it would without the audit.
    if (seen.tcp_connect && tcp_connect_ && !refuse) {
      tcp_connect_(*seen.tcp_connect, [answers = answers_, id = request.id](int error) {
        if (error == 0) respond_continue(answers->get(), id);
        else respond_error(answers->get(), id, error);
      });
      return;
    }
  }
  if (refuse) respond_error(listener_.get(), request.id, refuse_errno_);
  else respond_continue(listener_.get(), request.id);
}

const std::string& Observer::denied_name(int nr) {
  auto it = denied_.find(nr);
  if (it != denied_.end()) return it->second;
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  std::string text = name != nullptr ? name : "syscall-" + std::to_string(nr);
  std::free(name);
  return denied_.emplace(nr, std::move(text)).first->second;
}

void Observer::decode(const seccomp_notif& request, Seen& seen) {
  if (request.data.arch != seccomp_arch_native()) return;  // the baseline filter kills those
  const auto call = calls_.find(request.data.nr);
  if (call != calls_.end()) {
    decode_call(*call->second, request, seen);
    // What the call is about to change must be probed afresh next time.
    // A directory removed or renamed takes everything below it along.
    for (const auto& file : seen.files)
      if ((file.use & (kCreate | kRemove)) != 0) resolver_.changed(file.written, file.is_dir);
  }
  if (denied_.count(request.data.nr) != 0 || (notify_by_default_ && call == calls_.end()))
    seen.denied = &denied_name(request.data.nr);
}

bool Observer::add_path(Seen& seen, pid_t tid, int dirfd, std::uint64_t address, unsigned use, bool follow,
                        const char* call, bool empty_means_fd) {
  std::optional<std::string> raw;
  if (address != 0) raw = kernel::remote::read_string(tid, address);
  if (!raw && address != 0) {
    seen.unreadable = true;
    return false;
  }
  if ((!raw || raw->empty()) && empty_means_fd) {
    // The call acts on the open file itself (AT_EMPTY_PATH, or utimensat's NULL path).
    const auto path = kernel::remote::read_link("/proc/" + std::to_string(tid) + "/fd/" + std::to_string(dirfd));
    if (!path || !path->starts_with('/')) return false;
    seen.files.push_back(FileEvent{*path, *path, use, true, false, call});
    return true;
  }
  if (!raw || raw->empty()) return false;  // ENOENT for the kernel too
  const auto resolved = resolver_.resolve(tid, dirfd, *raw, follow);
  if (!resolved) {
    seen.unreadable = true;
    return false;
  }
  seen.files.push_back(FileEvent{resolved->path, resolved->written, use, resolved->exists, resolved->is_dir, call});
  return true;
}

void Observer::decode_call(const WatchedCall& call, const seccomp_notif& request, Seen& seen) {
  const pid_t tid = static_cast<pid_t>(request.pid);
  const auto* a = request.data.args;
  switch (call.shape) {
    case Shape::open:
    case Shape::openat:
    case Shape::openat2:
    case Shape::creat: {
      const bool at = call.shape == Shape::openat || call.shape == Shape::openat2;
      const int dirfd = at ? as_dirfd(a[0]) : AT_FDCWD;
      std::uint64_t flags = call.shape == Shape::open     ? a[1]
                            : call.shape == Shape::openat ? a[2]
                            : call.shape == Shape::creat  ? std::uint64_t{O_CREAT | O_WRONLY | O_TRUNC}
                                                          : 0;
      if (call.shape == Shape::openat2 && !kernel::remote::read_bytes(tid, a[2], &flags, sizeof flags)) {
        seen.unreadable = true;
        return;
      }
      const bool follow = (flags & O_NOFOLLOW) == 0 && !((flags & O_CREAT) != 0 && (flags & O_EXCL) != 0);
      if (!add_path(seen, tid, dirfd, at ? a[1] : a[0], 0, follow, call.name)) return;
      FileEvent& event = seen.files.back();
      event.use = open_use(flags, event.exists);
      if (event.use == 0) seen.files.pop_back();
      return;
    }
    case Shape::exec:
    case Shape::execat: {
      const bool at = call.shape == Shape::execat;
      const bool empty_path = at && (a[4] & AT_EMPTY_PATH) != 0;
      if (add_path(seen, tid, at ? as_dirfd(a[0]) : AT_FDCWD, at ? a[1] : a[0], kExec, true, call.name, empty_path))
        seen.executed = seen.files.back().path;
      return;
    }
    case Shape::path:
      if (add_path(seen, tid, AT_FDCWD, a[0], call.use, call.follow, call.name)) drop_if_no_creation(call, seen.files);
      return;
    case Shape::at_path:
    case Shape::unlinkat:
      if (add_path(seen, tid, as_dirfd(a[0]), a[1], call.use, call.follow, call.name))
        drop_if_no_creation(call, seen.files);
      return;
    case Shape::times_at:
      add_path(seen, tid, as_dirfd(a[0]), a[1], call.use, (a[3] & AT_SYMLINK_NOFOLLOW) == 0, call.name, true);
      return;
    case Shape::two_paths:
      add_path(seen, tid, AT_FDCWD, a[0], call.first_use, false, call.name);
      if (add_path(seen, tid, AT_FDCWD, a[1], call.use, false, call.name)) drop_if_no_creation(call, seen.files);
      return;
    case Shape::two_at:
      add_path(seen, tid, as_dirfd(a[0]), a[1], call.first_use, false, call.name,
               call.first_use == kRead && (a[4] & AT_EMPTY_PATH) != 0);
      if (add_path(seen, tid, as_dirfd(a[2]), a[3], call.use, false, call.name)) drop_if_no_creation(call, seen.files);
      return;
    case Shape::symlink:
      if (add_path(seen, tid, AT_FDCWD, a[1], call.use, false, call.name)) drop_if_no_creation(call, seen.files);
      return;
    case Shape::symlinkat:
      if (add_path(seen, tid, as_dirfd(a[1]), a[2], call.use, false, call.name)) drop_if_no_creation(call, seen.files);
      return;
    case Shape::address:
      decode_address(call, tid, as_dirfd(a[0]), a[1], a[2], seen);
      return;
    case Shape::sendto:
      decode_address(call, tid, as_dirfd(a[0]), a[4], a[5], seen);
      return;
    case Shape::listen:
      if (const auto inode = kernel::remote::socket_inode(tid, as_dirfd(a[0]))) listening_.insert(*inode);
      return;
    case Shape::process:
      resolver_.forget_working_directories();
      return;
  }
}

void Observer::decode_address(const WatchedCall& call, pid_t tid, int fd, std::uint64_t address,
                              std::uint64_t length, Seen& seen) {
  sockaddr_storage sa{};
  const std::size_t size = std::min<std::uint64_t>(length, sizeof sa);
  if (size < sizeof(sa_family_t)) return;
  if (!kernel::remote::read_bytes(tid, address, &sa, size)) {
    seen.unreadable = true;
    return;
  }
  const bool is_bind = std::strcmp(call.name, "bind") == 0;
  if (sa.ss_family == AF_UNIX) {
    sockaddr_un un{};
    std::memcpy(&un, &sa, std::min(size, sizeof un));
    const std::size_t path_length = size - offsetof(sockaddr_un, sun_path);
    if (path_length == 0) return;  // unnamed
    if (un.sun_path[0] == '\0') {
      if (!is_bind) seen.unix_socket = "@" + std::string(un.sun_path + 1, path_length - 1);
      return;
    }
    const std::string raw(un.sun_path, strnlen(un.sun_path, path_length));
    const auto resolved = resolver_.resolve(tid, AT_FDCWD, raw, !is_bind);
    if (!resolved) {
      seen.unreadable = true;
    } else if (is_bind) {
      // Binding a named socket creates it: a new entry in its directory.
      seen.files.push_back(FileEvent{resolved->path, resolved->written, kCreate, resolved->exists, false, call.name});
    } else {
      seen.unix_socket = resolved->path;
    }
    return;
  }
  const auto to = inet_destination(sa, size);
  if (!to) return;
  if (is_bind) {
    if (to->port != 0) seen.bound_port = to->port;
    return;
  }
  seen.destinations.emplace_back(*to, call.name);
  if (tcp_connect_ && kernel::remote::is_tcp_socket(tid, fd).value_or(false)) seen.tcp_connect = *to;
  if (to->loopback()) {
    // A server of the command's own, even on a port the kernel chose.
    const auto inode = kernel::remote::listening_socket(tid, to->port);
    if (inode && listening_.count(*inode) != 0) seen.bound_port = to->port;
  }
}

}  // namespace airlock::audit
