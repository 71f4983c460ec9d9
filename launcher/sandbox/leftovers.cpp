#include "sandbox/leftovers.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "sandbox/run.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/path.hpp"

namespace airlock::sandbox {
namespace {


std::vector<std::string> split(const std::string& relative) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < relative.size()) {
    const auto next = std::min(relative.find('/', pos), relative.size());
    if (next > pos) out.push_back(relative.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// A step owns what it created, and may have taken its own permissions away
// (chmod 555 on the project, 600 on .yarn) so that the supervisor, the same
// user, can neither look inside nor rename. The owner may give them back:
// u+rwx on a directory of ours, through its descriptor (never a path a link
// could redirect); the old mode when asked to restore.
std::optional<mode_t> make_usable(int dir_fd) {
  struct stat st {};
  if (::fstat(dir_fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) return std::nullopt;
  if ((st.st_mode & S_IRWXU) == S_IRWXU) return std::nullopt;
  const auto self = "/proc/self/fd/" + std::to_string(dir_fd);
  if (::chmod(self.c_str(), (st.st_mode & 07777) | S_IRWXU) != 0) return std::nullopt;
  return st.st_mode & 07777;
}

MovedAside move_aside(int dir_fd, const std::string& rule, const std::string& shown, const std::string& name) {
  std::array<std::uint8_t, 4> random{};
  if (::getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size()))
    return {rule, shown, "", std::string("getrandom: ") + std::strerror(errno)};
  const auto aside = name + ".airlock-refused-" + to_hex(random);
  int rc = ::renameat2(dir_fd, name.c_str(), dir_fd, aside.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EACCES) {
    if (const auto old_mode = make_usable(dir_fd)) {
      rc = ::renameat2(dir_fd, name.c_str(), dir_fd, aside.c_str(), RENAME_NOREPLACE);
      const auto self = "/proc/self/fd/" + std::to_string(dir_fd);
      (void)::chmod(self.c_str(), *old_mode);  // as it was; the rename is what mattered
    }
  }
  if (rc != 0) return {rule, shown, "", std::string("rename: ") + std::strerror(errno)};
  return {rule, shown, shown.substr(0, shown.size() - name.size()) + aside, ""};
}

// The base was a real directory before the run. When it no longer opens as
// one (the run replaced it, or a directory above it, by a link or a file),
// the first component on its path that does not is moved aside: a tool would
// follow the link.
std::optional<MovedAside> replaced_on_the_way(const WatchedPath& w) {
  UniqueFd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::string shown;
  for (const auto& name : split(w.base)) {
    shown += "/" + name;
    UniqueFd child(::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (child) {
      dir = std::move(child);
      continue;
    }
    if (errno == ENOENT) return std::nullopt;  // gone: nothing stands there for a tool to obey
    return move_aside(dir.get(), w.path, shown, name);
  }
  return std::nullopt;
}

}  // namespace

std::vector<WatchedPath> watch_absent_protected(const policy::Filesystem& fs, const mounts::ExistsFn& exists) {
  std::vector<WatchedPath> out;
  for (const auto& rule : fs.protect) {
    const auto path = normalize_absolute(rule.path);
    if (!path || exists(*path)) continue;
    const bool writable = std::any_of(fs.write.begin(), fs.write.end(),
                                      [&](const policy::PathRule& w) { return path_within(*path, w.path); });
    if (!writable) continue;
    // The deepest ancestor that exists now; the run cannot have made it.
    std::string base = *path;
    while (base != "/" && !exists(base)) base = base.substr(0, std::max<std::size_t>(base.rfind('/'), 1));
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(base.c_str(), nullptr), &std::free);
    if (!real) continue;
    const auto below = split(path->substr(base == "/" ? 1 : base.size()));
    if (std::none_of(out.begin(), out.end(), [&](const WatchedPath& w) { return w.path == *path; }))
      out.push_back(WatchedPath{*path, real.get(), below});
  }
  return out;
}

std::vector<MovedAside> move_aside_created(const std::vector<WatchedPath>& watched) {
  std::vector<MovedAside> out;
  for (const auto& w : watched) {
    // The base existed before the run as a real directory; if a symbolic
    // link stands on its path now, the run put it there.
    UniqueFd dir(::open(w.base.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) {
      if (auto moved = replaced_on_the_way(w)) out.push_back(std::move(*moved));
      continue;
    }
    std::string shown = w.base == "/" ? "" : w.base;
    for (std::size_t i = 0; i < w.below.size(); ++i) {
      const auto& name = w.below[i];
      shown += "/" + name;
      struct stat st {};
      int rc = ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
      if (rc != 0 && errno == EACCES && make_usable(dir.get()))
        rc = ::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
      if (rc != 0) break;  // not created
      const bool last = i + 1 == w.below.size();
      if (last || S_ISLNK(st.st_mode)) {
        out.push_back(move_aside(dir.get(), w.path, shown, name));
        break;
      }
      if (!S_ISDIR(st.st_mode)) break;  // nothing can stand beneath a file
      UniqueFd child(::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) break;
      dir = std::move(child);
    }
  }
  return out;
}

void refuse_left_behind(const Spec& spec, RunResult& result) {
  result.left_behind = move_aside_created(spec.watched);
  if (result.left_behind.empty()) return;
  for (const auto& m : result.left_behind) {
    if (m.moved_to.empty())
      spdlog::error("the command created {}, a file that tools take orders from (filesystem.protect), and it could "
                    "not be moved aside ({}): remove it before any tool runs here",
                    m.path, m.why);
    else
      spdlog::error("the command created {}, a file that tools take orders from (filesystem.protect); it was moved "
                    "aside to {}. Review it; a step that must write it needs a profile that says so "
                    "(protect = [\"!?{}\"])",
                    m.path, m.moved_to, m.rule);
  }
  result.exit_status = kExitLeftControlFiles;
}

}  // namespace airlock::sandbox
