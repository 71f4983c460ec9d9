#include "audit/paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "kernel/remote.hpp"
#include "util/files.hpp"

namespace airlock::audit::paths {
namespace {

constexpr std::size_t kCacheLimit = 65536;

// /proc and /dev inside the sandbox are its own fresh mounts; their entries
// (/proc/self, /dev/fd) are magic links that mean something else from the
// supervisor, so they are taken as written, never probed.
bool served_by_sandbox(std::string_view path) { return path_within(path, "/proc") || path_within(path, "/dev"); }

}  // namespace

std::string join(std::string_view base, std::string_view path) {
  if (path.starts_with('/')) return normalize_folding(path);
  std::string combined(base);
  combined += '/';
  combined += path;
  return normalize_folding(combined);
}

std::string_view last_component(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string prefix(std::string_view path, std::size_t n) {
  if (n == 0) return "/";
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    pos = path.find('/', pos + 1);
    if (pos == std::string_view::npos) return std::string(path);
  }
  return std::string(path.substr(0, pos));
}

std::string_view component(std::string_view path, std::size_t i) {
  std::size_t start = 1;
  for (std::size_t k = 0; k < i; ++k) {
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) return {};
    start = slash + 1;
  }
  if (start > path.size()) return {};
  const std::size_t end = std::min(path.find('/', start), path.size());
  return path.substr(start, end - start);
}

std::optional<std::string> PathResolver::start_dir(pid_t tid, int dirfd) {
  if (dirfd == AT_FDCWD) {
    if (const auto it = cwd_.find(tid); it != cwd_.end()) return it->second;
  }
  const std::string proc = "/proc/" + std::to_string(tid);
  auto dir = kernel::remote::read_link(dirfd == AT_FDCWD ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd));
  // A directory removed while in use reads as "/dir (deleted)".
  if (dir && dir->ends_with(" (deleted)")) dir->resize(dir->size() - 10);
  if (!dir || !dir->starts_with('/')) return std::nullopt;
  if (dirfd == AT_FDCWD) {
    if (cwd_.size() >= kCacheLimit) cwd_.clear();
    cwd_.emplace(tid, *dir);
  }
  return dir;
}

void PathResolver::changed(const std::string& written, bool tree) {
  if (tree) {
    for (auto& cache : probe_cache_) cache.clear();
    dir_cache_.clear();
    return;
  }
  for (auto& cache : probe_cache_) cache.erase(written);
  dir_cache_.erase(written);
}

int PathResolver::root(pid_t tid) {
  if (!root_) root_.reset(::open(("/proc/" + std::to_string(tid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  return root_.get();
}

// Paths are opened below the sandbox's root as if it were "/" (open_in_root),
// so absolute symlinks mean what they mean inside. The descriptor's
// /proc/self/fd link then names the file as the sandbox sees it: d_path
// stops at the root of the sandbox's mount namespace.
namespace {

std::optional<std::string> fd_path(int fd) {
  auto path = kernel::remote::read_link("/proc/self/fd/" + std::to_string(fd));
  if (!path || !path->starts_with('/')) return std::nullopt;
  return path;
}

}  // namespace

std::optional<std::string> PathResolver::canonical_dir(const std::string& lexical) {
  if (const auto it = dir_cache_.find(lexical); it != dir_cache_.end()) return it->second;
  UniqueFd fd = open_in_root(root_.get(), lexical, O_PATH);
  if (!fd) return std::nullopt;
  auto canonical = fd_path(fd.get());
  if (!canonical) return std::nullopt;
  if (dir_cache_.size() >= kCacheLimit) dir_cache_.clear();
  dir_cache_.emplace(lexical, *canonical);
  return canonical;
}

Resolved PathResolver::probe(const std::string& lexical, bool follow) {
  Resolved out{lexical, lexical, false, false};
  if (lexical == "/" || served_by_sandbox(lexical) || !root_) {
    out.exists = true;
    out.is_dir = lexical == "/";
    return out;
  }
  const std::string dir = path_parent(lexical);
  const std::string name(last_component(lexical));
  const auto canonical_parent = canonical_dir(dir);
  if (canonical_parent) out.path = join(*canonical_parent, name);
  UniqueFd fd = open_in_root(root_.get(), lexical, O_PATH | O_NOFOLLOW);
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) return out;
  if (S_ISLNK(st.st_mode) && follow) {
    // Only a followed symlink moves the file away from parent/name.
    fd = open_in_root(root_.get(), lexical, O_PATH);
    if (!fd || ::fstat(fd.get(), &st) != 0) return out;  // dangling
    if (auto canonical = fd_path(fd.get())) out.path = *canonical;
  }
  out.exists = true;
  out.is_dir = S_ISDIR(st.st_mode);
  return out;
}

std::optional<Resolved> PathResolver::resolve(pid_t tid, int dirfd, const std::string& raw, bool follow) {
  std::string lexical;
  if (raw.starts_with('/')) {
    lexical = normalize_folding(raw);
  } else {
    const auto start = start_dir(tid, dirfd);
    if (!start) return std::nullopt;
    lexical = join(*start, raw);
  }
  root(tid);
  auto& cache = probe_cache_[follow ? 1 : 0];
  if (const auto it = cache.find(lexical); it != cache.end()) return it->second;
  Resolved resolved = probe(lexical, follow);
  // Nothing is cached before the sandbox's root is known.
  if (root_) {
    if (cache.size() >= kCacheLimit) cache.clear();
    cache.emplace(lexical, resolved);
  }
  return resolved;
}

}  // namespace airlock::audit::paths
