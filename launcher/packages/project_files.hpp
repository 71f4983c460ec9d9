#pragma once
// Reading a project that any earlier build step could have written
// (DESIGN.md, "Trust rule"): package.json, the lockfiles and all of
// node_modules are hostile input. Every file is opened with openat2(2) from
// one descriptor of the project, so no symbolic link leads a read outside
// it; sizes are bounded; a directory that will be granted to a sandbox is
// one reached without any symbolic link at all.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/fd.hpp"

namespace airlock::packages {

// npm's lockfile of a large monorepo is a few MiB; anything near these is
// not a file a package manager wrote.
inline constexpr std::size_t kMaxLockfileBytes = std::size_t{16} << 20;
inline constexpr std::size_t kMaxManifestBytes = std::size_t{1} << 20;
// Deeper JSON is no lockfile or manifest (npm's own nest a few levels); the
// bound keeps a hostile file from costing more than its size.
inline constexpr std::size_t kMaxJsonDepth = 64;

// What stands at a path that should be a package's directory.
enum class DirKind {
  real,           // a directory, reached without any symbolic link
  missing,        // nothing there (an optional package not installed here)
  link,           // a symbolic link on the way, or the entry itself
  not_directory,  // a file, a socket, ...
};

struct DirLookup {
  DirKind kind = DirKind::missing;
  UniqueFd fd;         // O_PATH descriptor when kind == real
  std::string detail;  // for link: "node_modules/foo is a symbolic link to /etc"
};

class ProjectDir {
 public:
  // Opens the project by its canonical path (realpath(3): the caller named
  // the project, so its own path may go through links; nothing below it may).
  explicit ProjectDir(const std::string& project);

  const std::string& path() const noexcept { return path_; }
  int fd() const noexcept { return fd_.get(); }
  // The absolute path of `relative` (below the project), for messages.
  std::string shown(const std::string& relative) const;

  // The text of the regular file `relative`, opened with RESOLVE_BENEATH |
  // RESOLVE_NO_MAGICLINKS: a link that stays inside the project is followed
  // (as the package manager would), one that leads out of it is refused.
  // nullopt when there is nothing there. Throws airlock::Error naming the
  // file when it is not a regular file, leads outside or exceeds max_bytes.
  std::optional<std::string> read(const std::string& relative, std::size_t max_bytes) const;

  // `relative` opened with no symbolic link anywhere on the way
  // (RESOLVE_NO_SYMLINKS): the only kind of directory whose path may be
  // handed to a sandbox as writable.
  DirLookup directory(const std::string& relative) const;

  // The names in the real directory `relative` (no link on the way), sorted;
  // empty when it is missing. Throws airlock::Error when it cannot be listed.
  std::vector<std::string> list(const std::string& relative) const;

  // True when `relative` is a regular file once links inside the project are
  // followed (how npm's stat() sees binding.gyp). A link out of the project
  // counts as absent and is named in `*outside`.
  bool is_file(const std::string& relative, std::string* outside) const;

 private:
  std::string describe_link(const std::string& relative) const;

  std::string path_;
  UniqueFd fd_;
};

// `text` parsed as JSON. Throws airlock::Error "FILE:LINE:COLUMN: what is
// wrong" (`shown` is the file's name) on malformed or too deeply nested JSON.
nlohmann::json parse_json(const std::string& text, const std::string& shown);

}  // namespace airlock::packages
