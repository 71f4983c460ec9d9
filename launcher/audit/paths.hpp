#pragma once
// Path resolution for audit mode. The pure half treats paths as text
// (normalise, join, compare); the effectful half (PathResolver) turns a path
// argument of a sandboxed system call into the canonical path the sandbox
// sees, the way the kernel will: relative to the caller's working directory
// or directory fd, symlinks resolved inside the sandbox's root.
//
// Observation only (DESIGN.md, principle 3): the process may change its
// memory, working directory or files between our look and the kernel's, and
// that race is accepted because nothing is enforced from what is seen here.
#include <sys/types.h>

#include <cstddef>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.hpp"
#include "util/path.hpp"

namespace airlock::audit::paths {

// `path` made absolute against `base` (an absolute directory), then
// normalised with ".." folded (normalize_folding, util/path.hpp): right
// unless a symlink is involved, which the PathResolver handles separately.
std::string join(std::string_view base, std::string_view path);

// The last component: "/a/b" -> "b"; "/" -> "".
std::string_view last_component(std::string_view path);

// The first `n` components of `path`: prefix("/a/b/c", 2) = "/a/b". The
// whole path when it has fewer.
std::string prefix(std::string_view path, std::size_t n);

// The component of `path` at index `i` (0-based), or "" past the end.
std::string_view component(std::string_view path, std::size_t i);

struct Resolved {
  std::string path;     // canonical, as the sandbox sees it
  std::string written;  // as the caller named it, made absolute (lexical)
  bool exists = false;  // before the call ran
  bool is_dir = false;
};

// Resolves path arguments of one sandbox's processes, from the supervisor.
// Needs ptrace-read access to them (the supervisor is their ancestor and
// has the same uid, or owns their user namespace).
class PathResolver {
 public:
  // The directory a relative path of `tid` starts from: its working
  // directory (dirfd == AT_FDCWD) or the directory open as `dirfd`.
  std::optional<std::string> start_dir(pid_t tid, int dirfd);

  // `raw` as the kernel would resolve it for `tid`. `follow`: whether the
  // call follows a symlink in the last component (open without O_NOFOLLOW,
  // execve, truncate; not unlink, rename, mkdir). nullopt when the start
  // directory cannot be read (the process is gone).
  std::optional<Resolved> resolve(pid_t tid, int dirfd, const std::string& raw, bool follow);

  // The command is about to create, remove or rename what `written` (a
  // lexical path from resolve()) names: forget what was probed there, and
  // everywhere when it may be a directory (its whole tree moves).
  void changed(const std::string& written, bool tree);

  // A process was created or changed its working directory: cached working
  // directories may be wrong (a new process may reuse a thread id).
  void forget_working_directories() { cwd_.clear(); }

 private:
  // The sandbox's root directory, opened once from the first process seen:
  // every process of a sandbox shares it.
  int root(pid_t tid);
  // The canonical path of an existing directory, cached: builds open the
  // same few hundred directories thousands of times.
  std::optional<std::string> canonical_dir(const std::string& lexical);
  Resolved probe(const std::string& lexical, bool follow);

  UniqueFd root_;
  // Builds open the same headers and probe the same missing paths many
  // thousand times: what a path resolved to is kept until the command
  // changes something there (every such change is a watched call).
  std::unordered_map<std::string, std::string> dir_cache_;
  std::unordered_map<std::string, Resolved> probe_cache_[2];  // [follow]
  std::unordered_map<pid_t, std::string> cwd_;
};

}  // namespace airlock::audit::paths
