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

#include <spdlog/spdlog.h>

#include "sandbox/run.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/path.hpp"

namespace airlock::sandbox {
namespace {

bool within(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

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

MovedAside move_aside(int dir_fd, const std::string& shown, const std::string& name) {
  std::array<std::uint8_t, 4> random{};
  if (::getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size()))
    return {shown, "", std::string("getrandom: ") + std::strerror(errno)};
  const auto aside = name + ".airlock-refused-" + to_hex(random);
  if (::renameat2(dir_fd, name.c_str(), dir_fd, aside.c_str(), RENAME_NOREPLACE) != 0)
    return {shown, "", std::string("rename: ") + std::strerror(errno)};
  return {shown, shown.substr(0, shown.size() - name.size()) + aside, ""};
}

}  // namespace

std::vector<WatchedPath> watch_absent_protected(const policy::Filesystem& fs, const mounts::ExistsFn& exists) {
  std::vector<WatchedPath> out;
  for (const auto& rule : fs.protect) {
    const auto path = normalize_absolute(rule.path);
    if (!path || exists(*path)) continue;
    const bool writable = std::any_of(fs.write.begin(), fs.write.end(),
                                      [&](const policy::PathRule& w) { return within(*path, w.path); });
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
      if (errno != ENOENT) out.push_back({w.base, "", "no longer a directory: " + std::string(std::strerror(errno))});
      continue;
    }
    std::string shown = w.base == "/" ? "" : w.base;
    for (std::size_t i = 0; i < w.below.size(); ++i) {
      const auto& name = w.below[i];
      shown += "/" + name;
      struct stat st {};
      if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;  // not created
      const bool last = i + 1 == w.below.size();
      if (last || S_ISLNK(st.st_mode)) {
        out.push_back(move_aside(dir.get(), shown, name));
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
                    m.path, m.moved_to, m.path);
  }
  result.exit_status = kExitLeftControlFiles;
}

}  // namespace airlock::sandbox
