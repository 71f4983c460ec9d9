#include "sandbox/leftovers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "sandbox/run.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"
#include "util/path.hpp"

namespace airlock::sandbox {
namespace {


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
  for (const auto& name : path_components(w.base)) {
    shown += "/" + name;
    UniqueFd child = open_directory_nofollow(dir.get(), name);
    if (child) {
      dir = std::move(child);
      continue;
    }
    if (errno == ENOENT) return std::nullopt;  // gone: nothing stands there for a tool to obey
    return move_aside(dir.get(), w.path, shown, name);
  }
  return std::nullopt;
}

// Walks `below` from the directory open at `dir` (shown as `shown`),
// never through a link: the created path, or the link on the way to it,
// is moved aside.
// `base_fd`: the base directory, borrowed (shared by every watched path
// beneath it).
std::optional<MovedAside> move_aside_below(int base_fd, std::string shown, const std::vector<std::string>& below,
                                           const std::string& rule) {
  int dir = base_fd;
  UniqueFd child_dir;  // below the base: ours
  for (std::size_t i = 0; i < below.size(); ++i) {
    const auto& name = below[i];
    shown += "/" + name;
    struct stat st {};
    int rc = ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    if (rc != 0 && errno == EACCES && make_usable(dir)) rc = ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    if (rc != 0) return std::nullopt;  // not created
    const bool last = i + 1 == below.size();
    if (last || S_ISLNK(st.st_mode)) return move_aside(dir, rule, shown, name);
    if (!S_ISDIR(st.st_mode)) return std::nullopt;  // nothing can stand beneath a file
    UniqueFd child = open_directory_nofollow(dir, name);
    if (!child) return std::nullopt;
    child_dir = std::move(child);
    dir = child_dir.get();
  }
  return std::nullopt;
}

}  // namespace

std::vector<WatchedPath> watch_absent_protected(const policy::Filesystem& fs, const mounts::ExistsFn& exists) {
  std::vector<WatchedPath> out;
  RealPaths real_paths;
  for (const auto& rule : fs.protect) {
    const auto path = normalize_absolute(rule.path);
    if (!path || exists(*path)) continue;
    const bool writable = std::any_of(fs.write.begin(), fs.write.end(),
                                      [&](const policy::PathRule& w) { return path_within(*path, w.path); });
    if (!writable) continue;
    // The deepest ancestor that exists now; the run cannot have made it.
    std::string base = *path;
    while (base != "/" && !exists(base)) base = path_parent(base);
    const auto real = real_paths.of(base);
    if (!real) continue;
    const auto below = path_components(path->substr(base == "/" ? 1 : base.size()));
    if (std::none_of(out.begin(), out.end(), [&](const WatchedPath& w) { return w.path == *path; }))
      out.push_back(WatchedPath{*path, *real, below});
  }
  return out;
}

std::vector<MovedAside> move_aside_created(const std::vector<WatchedPath>& watched) {
  std::vector<MovedAside> out;
  // Most watched paths share one base (the project): it is opened once. The
  // command and everything it started are gone, so nothing moves it meanwhile.
  std::map<std::string, UniqueFd> bases;
  for (const auto& w : watched) {
    auto base = bases.find(w.base);
    // The base existed before the run as a real directory; if a symbolic
    // link stands on its path now, the run put it there.
    if (base == bases.end()) base = bases.emplace(w.base, open_directory_nofollow(AT_FDCWD, w.base)).first;
    if (!base->second) {
      if (auto moved = replaced_on_the_way(w)) out.push_back(std::move(*moved));
      continue;
    }
    if (auto moved = move_aside_below(base->second.get(), w.base == "/" ? "" : w.base, w.below, w.path))
      out.push_back(std::move(*moved));
  }
  return out;
}

namespace {

// Each name of the directory open at `dir_fd` (no "." or ".."); nullopt when
// it cannot be read.
std::optional<std::vector<std::pair<std::string, unsigned char>>> entries_of(int dir_fd) {
  const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return std::nullopt;
  }
  std::vector<std::pair<std::string, unsigned char>> out;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") out.emplace_back(name, entry->d_type);
  }
  ::closedir(dir);
  return out;
}

bool is_directory(int parent_fd, const std::string& name, unsigned char type) {
  if (type == DT_DIR) return true;
  if (type != DT_UNKNOWN) return false;
  struct stat st {};
  return ::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

std::string first_component(const std::string& relative) { return relative.substr(0, relative.find('/')); }

std::set<std::string> first_components(const std::vector<std::string>& relatives) {
  std::set<std::string> out;
  for (const auto& relative : relatives) out.insert(first_component(relative));
  return out;
}

// The control paths whose first component is among a directory's entries.
std::vector<std::string> starting_here(const std::vector<std::string>& relatives,
                                       const std::vector<std::pair<std::string, unsigned char>>& names) {
  std::set<std::string> here;
  for (const auto& entry : names) here.insert(entry.first);
  std::vector<std::string> out;
  for (const auto& relative : relatives)
    if (here.count(first_component(relative)) != 0) out.push_back(relative);
  return out;
}

// The mount a directory is on: its mount ID where statx(2) reports one
// (Linux >= 5.8), else its device. Not the device alone: each btrfs
// subvolume, which any user may create, has a device number of its own.
std::optional<std::pair<std::uint64_t, std::uint64_t>> mount_of(int fd) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) != 0) return std::nullopt;
  if ((stx.stx_mask & STATX_MNT_ID) != 0) return std::pair<std::uint64_t, std::uint64_t>{0, stx.stx_mnt_id};
  return std::pair<std::uint64_t, std::uint64_t>{stx.stx_dev_major, stx.stx_dev_minor};
}

// Walks the project's directories (never through a link, never into
// node_modules, a control path or another filesystem mounted below),
// calling visit(relative_dir, dir_fd, names) for each below the top.
// Depth first, holding one descriptor per level. A directory that cannot
// be opened or read is made usable when the user owns it (make_usable), or
// passed to unreadable(relative_dir, errno). walk() is false when it
// stopped at the limits (NestedControl::max_directories, max_depth).
template <typename Visit, typename Unreadable>
class ProjectWalk {
 public:
  ProjectWalk(const NestedControl& limits, const std::set<std::string>& first_names, Visit visit,
              Unreadable unreadable)
      : limits_(limits), first_names_(first_names), visit_(visit), unreadable_(unreadable) {}

  bool walk(const std::string& project) {
    UniqueFd top = open_directory_nofollow(AT_FDCWD, project);
    if (!top) return true;
    top_mount_ = mount_of(top.get());
    if (!top_mount_) {
      unreadable_("", errno);
      return true;
    }
    return walk_dir(top.get(), "", 0);
  }

 private:
  bool walk_dir(int fd, const std::string& relative, std::size_t depth) {
    if (++walked_ > limits_.max_directories || depth > limits_.max_depth) return false;
    auto names = entries_of(fd);
    if (!names && errno == EACCES && make_usable(fd)) names = entries_of(fd);
    if (!names) {
      unreadable_(relative, errno);
      return true;
    }
    if (!relative.empty()) visit_(relative, fd, *names);
    for (const auto& [name, type] : *names) {
      if (name == "node_modules" || first_names_.count(name) != 0) continue;
      if (!is_directory(fd, name, type)) continue;
      const auto child_relative = relative.empty() ? name : relative + "/" + name;
      UniqueFd child = open_directory_nofollow(fd, name);
      if (!child) {
        // Gone or replaced by a link since it was listed: nothing runs in
        // the sandbox any more, so only the caller's own doing.
        if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) unreadable_(child_relative, errno);
        continue;
      }
      const auto mount = mount_of(child.get());
      if (!mount) {
        unreadable_(child_relative, errno);
        continue;
      }
      if (*mount != *top_mount_) continue;  // another filesystem mounted here: not the project's
      if (!walk_dir(child.get(), child_relative, depth + 1)) return false;
    }
    return true;
  }

  const NestedControl& limits_;
  const std::set<std::string>& first_names_;
  Visit visit_;
  Unreadable unreadable_;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> top_mount_;
  std::size_t walked_ = 0;
};

template <typename Visit, typename Unreadable>
bool walk_project(const NestedControl& nested, Visit visit, Unreadable unreadable) {
  return ProjectWalk<Visit, Unreadable>(nested, first_components(nested.relatives), visit, unreadable)
      .walk(nested.project);
}


}  // namespace

NestedControl watch_nested_control(const policy::Filesystem& fs, const std::string& project,
                                   std::vector<policy::PathRule>& protect) {
  NestedControl nested;
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(project.c_str(), nullptr), &std::free);
  if (!real) return nested;
  nested.project = real.get();
  nested.rules_project = project;
  for (const auto& rule : fs.protect) {
    if (rule.path == project || !path_within(rule.path, project)) continue;
    auto relative = rule.path.substr(project == "/" ? 1 : project.size() + 1);
    if (std::find(nested.relatives.begin(), nested.relatives.end(), relative) == nested.relatives.end())
      nested.relatives.push_back(std::move(relative));
  }
  if (nested.relatives.empty()) return nested;
  const bool complete = walk_project(
      nested,
      [&](const std::string& dir, int dir_fd, const auto& names) {
        for (const auto& relative : starting_here(nested.relatives, names)) {
          struct stat st {};
          if (::fstatat(dir_fd, relative.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
          nested.existing.push_back(dir + "/" + relative);
          policy::PathRule rule;
          rule.path = nested.project + "/" + dir + "/" + relative;
          rule.where.file = "nested control file (filesystem.protect under the project)";
          protect.push_back(std::move(rule));
        }
      },
      [&](const std::string& dir, int) { nested.unreadable.push_back(dir); });
  nested.complete = complete;
  std::sort(nested.unreadable.begin(), nested.unreadable.end());
  std::sort(nested.existing.begin(), nested.existing.end());
  return nested;
}

std::vector<MovedAside> move_aside_nested(const NestedControl& nested) {
  std::vector<MovedAside> out;
  if (nested.relatives.empty() || !nested.complete) return out;
  const bool complete = walk_project(
      nested,
      [&](const std::string& dir, int dir_fd, const auto& names) {
        for (const auto& relative : starting_here(nested.relatives, names)) {
          const auto path = dir + "/" + relative;
          if (std::binary_search(nested.existing.begin(), nested.existing.end(), path)) continue;
          // The rule to drop is the top-level one: it covers every directory.
          if (auto moved = move_aside_below(dir_fd, nested.project + "/" + dir, path_components(relative),
                                            nested.rules_project + "/" + relative))
            out.push_back(std::move(*moved));
        }
      },
      [&](const std::string& dir, int error) {
        if (std::binary_search(nested.unreadable.begin(), nested.unreadable.end(), dir)) return;
        const auto shown = nested.project + (dir.empty() ? "" : "/" + dir);
        out.push_back({shown, shown, "", std::string("cannot be searched for control files: ") + std::strerror(error)});
      });
  // The tree was small enough before the run: a step that grew it past the
  // limit could hide a control file beyond it.
  if (!complete)
    out.push_back({nested.project, nested.project, "",
                   "has more than " + std::to_string(nested.max_directories) + " directories or is more than " +
                       std::to_string(nested.max_depth) + " deep since the run, so not all were searched for control files"});
  return out;
}

void refuse_left_behind(const Spec& spec, RunResult& result) {
  result.left_behind = move_aside_created(spec.watched);
  for (auto& moved : move_aside_nested(spec.nested)) result.left_behind.push_back(std::move(moved));
  if (result.left_behind.empty()) return;
  for (const auto& m : result.left_behind) {
    if (m.moved_to.empty() && m.path == m.rule)
      spdlog::error("{} {}: a control file the command left there could not be looked for; look before any tool runs "
                    "here",
                    m.path, m.why);
    else if (m.moved_to.empty())
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
