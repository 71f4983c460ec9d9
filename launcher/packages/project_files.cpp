#include "packages/project_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include "util/error.hpp"
#include "util/files.hpp"
#include "util/path.hpp"

namespace airlock::packages {
namespace {

constexpr std::uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

// openat2(2) fails with EAGAIN when a rename or mount elsewhere raced the
// lookup under RESOLVE_BENEATH; the man page's advice is to try again.
UniqueFd open_beneath_following(int dir, const std::string& relative, int flags) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto fd = open_resolved(dir, relative, flags, kBeneath);
    if (fd || errno != EAGAIN) return fd;
  }
  return UniqueFd();
}

std::string canonical_project(const std::string& project) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(project.c_str(), nullptr), &std::free);
  if (!real) throw SystemError("the project directory " + project, errno);
  return real.get();
}

// 1-based line and column of the byte at 1-based `position` in `text`.
std::string line_and_column(const std::string& text, std::size_t position) {
  const std::size_t before = std::min(position == 0 ? 0 : position - 1, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < before; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

// nlohmann's message without its "[json.exception...] parse error at line
// L, column C: " prefix: the location is given the way every airlock error
// gives one.
std::string json_reason(const std::string& what) {
  const auto at = what.find("parse error");
  const auto colon = at == std::string::npos ? std::string::npos : what.find(": ", at);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

struct TooDeep {};

}  // namespace

ProjectDir::ProjectDir(const std::string& project) : path_(canonical_project(project)) {
  fd_ = UniqueFd(::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd_) throw SystemError("open the project directory " + path_, errno);
}

std::string ProjectDir::shown(const std::string& relative) const {
  return relative.empty() ? path_ : (path_ == "/" ? "" : path_) + "/" + relative;
}

std::optional<std::string> ProjectDir::read(const std::string& relative, std::size_t max_bytes) const {
  // O_NONBLOCK: a FIFO planted under the file's name must not hang airlock
  // (read_regular_file then refuses anything but a regular file).
  auto file = open_beneath_following(fd(), relative, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!file) {
    const int err = errno;
    if (err == ENOENT) return std::nullopt;
    if (err == EXDEV)
      throw Error(shown(relative) + ": a symbolic link that leads out of the project, not followed");
    throw SystemError("open " + shown(relative), err);
  }
  return read_regular_file(file.get(), shown(relative), max_bytes);
}

DirLookup ProjectDir::directory(const std::string& relative) const {
  DirLookup out;
  out.fd = open_beneath(fd(), relative, O_PATH | O_DIRECTORY);
  if (out.fd) {
    out.kind = DirKind::real;
    return out;
  }
  const int err = errno;
  // A link as the last component comes back as ENOTDIR (O_PATH|O_NOFOLLOW
  // would open the link itself, O_DIRECTORY refuses it), one on the way as
  // ELOOP: either way, name the link.
  if (err == ENOENT) {
    out.kind = DirKind::missing;
  } else if (err == ELOOP || err == ENOTDIR || err == EXDEV) {
    out.detail = describe_link(relative);
    out.kind = out.detail.empty() ? DirKind::not_directory : DirKind::link;
    if (out.kind == DirKind::not_directory) out.detail = relative + " is not a directory";
  } else {
    throw SystemError("open " + shown(relative), err);
  }
  return out;
}

std::string ProjectDir::describe_link(const std::string& relative) const {
  // Each prefix is looked at without following its last component; the
  // ones before it were not links, so nothing is followed on the way.
  std::string prefix;
  for (const auto& part : path_components(relative)) {
    prefix += (prefix.empty() ? "" : "/") + part;
    struct stat st {};
    if (::fstatat(fd(), prefix.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
    if (!S_ISLNK(st.st_mode)) continue;
    std::array<char, 4096> target{};
    const auto n = ::readlinkat(fd(), prefix.c_str(), target.data(), target.size() - 1);
    const std::string to = n < 0 ? "?" : std::string(target.data(), static_cast<std::size_t>(n));
    return prefix + " is a symbolic link (to " + to + ")";
  }
  return {};
}

std::vector<std::string> ProjectDir::list(const std::string& relative) const {
  auto dir = open_beneath(fd(), relative, O_RDONLY | O_DIRECTORY);
  if (!dir) {
    if (errno == ENOENT) return {};
    throw SystemError("list " + shown(relative), errno);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(dir.get()), ::closedir);
  if (!listing) throw SystemError("list " + shown(relative), errno);
  (void)dir.release();  // the DIR owns it now
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(listing.get())) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool ProjectDir::is_file(const std::string& relative, std::string* outside) const {
  auto file = open_beneath_following(fd(), relative, O_PATH);
  if (!file) {
    if (errno == EXDEV && outside) *outside = relative + " is a symbolic link that leads out of the project";
    return false;
  }
  struct stat st {};
  return ::fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode);
}

nlohmann::json parse_json(const std::string& text, const std::string& shown) {
  // The callback sees every value with its depth; throwing from it stops the
  // parser before a deeper level is built.
  const nlohmann::json::parser_callback_t depth_guard = [](int depth, nlohmann::json::parse_event_t,
                                                           nlohmann::json&) {
    if (static_cast<std::size_t>(depth) > kMaxJsonDepth) throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text, depth_guard);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(shown + ":" + line_and_column(text, e.byte) + ": " + json_reason(e.what()));
  } catch (const TooDeep&) {
    throw Error(shown + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const nlohmann::json::exception& e) {
    throw Error(shown + ": " + e.what());
  }
}

}  // namespace airlock::packages
