#include "util/files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "util/error.hpp"
#include "util/path.hpp"

// Linux 5.6; older C libraries' headers lack the number.
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace airlock {

UniqueFd open_resolved(int dir, const std::string& path, int flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(static_cast<unsigned>(flags | O_CLOEXEC));
  how.resolve = resolve;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how)));
}

UniqueFd open_in_root(int root, const std::string& path, int flags) {
  return open_resolved(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

UniqueFd open_beneath(int dir, const std::string& relative, int flags) {
  return open_resolved(dir, relative, flags | O_NOFOLLOW, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

UniqueFd open_no_symlinks(const std::string& path, int flags) {
  return open_resolved(AT_FDCWD, path, flags | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
}

UniqueFd open_directory_nofollow(int dir, const std::string& name) {
  return UniqueFd(::openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

std::string read_regular_file(int fd, const std::string& shown, std::size_t max_bytes) {
  struct stat st {};
  check_syscall(::fstat(fd, &st), "stat " + shown);
  if (!S_ISREG(st.st_mode)) throw Error(shown + ": not a regular file");
  const auto too_large = [&] { return Error(shown + ": larger than " + std::to_string(max_bytes) + " bytes"); };
  if (static_cast<std::size_t>(st.st_size) > max_bytes) throw too_large();
  std::string text;
  std::array<char, 65536> buf{};
  while (true) {
    const auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("read " + shown, errno);
    if (n == 0) return text;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > max_bytes) throw too_large();
  }
}

std::string make_directory_nofollow(const std::string& path) {
  UniqueFd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return std::string("open /: ") + std::strerror(errno);
  for (const auto& name : path_components(path)) {
    UniqueFd child = open_directory_nofollow(dir.get(), name);
    if (!child && errno == ENOENT) {
      if (::mkdirat(dir.get(), name.c_str(), 0700) != 0 && errno != EEXIST)
        return "mkdir " + name + ": " + std::strerror(errno);
      child = open_directory_nofollow(dir.get(), name);
    }
    if (!child)
      return name + (errno == ENOTDIR || errno == ELOOP ? ": a link or a file, not followed"
                                                        : ": " + std::string(std::strerror(errno)));
    dir = std::move(child);
  }
  return {};
}

namespace {

std::optional<std::string> full_realpath(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return std::nullopt;
  return std::string(real.get());
}

}  // namespace

std::optional<std::string> RealPaths::of(const std::string& path) {
  if (const auto known = answers_.find(path); known != answers_.end()) return known->second;
  return answers_.emplace(path, resolve(path)).first->second;
}

std::optional<std::string> RealPaths::resolve(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string leaf = slash == std::string::npos ? "" : path.substr(slash + 1);
  if (slash == std::string::npos || leaf.empty() || leaf == "." || leaf == "..") return full_realpath(path);
  const std::string directory = slash == 0 ? "/" : path.substr(0, slash);
  auto known = directories_.find(directory);
  if (known == directories_.end()) known = directories_.emplace(directory, full_realpath(directory)).first;
  if (!known->second) return std::nullopt;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  if (S_ISLNK(st.st_mode)) return full_realpath(path);
  return *known->second == "/" ? "/" + leaf : *known->second + "/" + leaf;
}

std::string read_small_file(const std::string& path) {
  std::string text;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {};
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace airlock
