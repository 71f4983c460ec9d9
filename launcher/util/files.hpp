#pragma once
// Opening paths where a symbolic link could lead somewhere else than the
// path says: a directory a sandboxed step could write, or a root the lookup
// must not leave. Each returns an invalid UniqueFd with errno set on failure,
// as open(2) does, so that callers decide which errors matter.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "util/fd.hpp"

namespace airlock {

// openat2(2) of `path` from `dir` with `flags` (O_CLOEXEC added) and the
// RESOLVE_* bits in `resolve`.
UniqueFd open_resolved(int dir, const std::string& path, int flags, std::uint64_t resolve);

// `path` resolved below `root` as if `root` were "/" (RESOLVE_IN_ROOT):
// absolute symlinks mean what they mean inside. Magic links
// (/proc/self/fd/N) are refused, so no lookup jumps out of it.
UniqueFd open_in_root(int root, const std::string& path, int flags);

// `relative` below `dir`, with no symbolic link anywhere on the way, the last
// component included, and no escape from `dir` ("..", an absolute path).
UniqueFd open_beneath(int dir, const std::string& relative, int flags);

// `path` (from the working directory when relative) with no symbolic link
// anywhere on the way, the last component included.
UniqueFd open_no_symlinks(const std::string& path, int flags);

// The directory `name` in `dir` as an O_PATH descriptor, not followed when
// it is a link (ELOOP or ENOTDIR then).
UniqueFd open_directory_nofollow(int dir, const std::string& name);

// The whole content of the regular file open at `fd`, at most `max_bytes`
// (a file that grows while read included). Throws airlock::Error naming
// `shown` when it is not a regular file (a FIFO or a device a hostile tree
// put in its place: open it O_NONBLOCK) or is larger.
std::string read_regular_file(int fd, const std::string& shown, std::size_t max_bytes);

// Makes the absolute directory `path` and any missing parents (mode 0700),
// opening each component without following a link, so that a link on the
// way is never written through. "" when done; otherwise what stopped it,
// naming the component ("x: a link or a file, not followed", "mkdir x: ...").
std::string make_directory_nofollow(const std::string& path);

// The whole of a small file (procfs, sysfs, a map), read with read(2) to its
// end; "" when it cannot be opened or read, as an ifstream gives. No stream:
// a stream's locale set-up cost more than the read (start-up time).
std::string read_small_file(const std::string& path);

// realpath(3) for many paths that share their directories (the protected
// paths of a project, all beside each other). realpath costs a readlink(2)
// per component; here each directory is resolved once, and each last
// component costs one lstat(2), or a full realpath when it is a link. The
// same answers as realpath: nullopt where realpath fails.
class RealPaths {
 public:
  std::optional<std::string> of(const std::string& path);

 private:
  std::optional<std::string> resolve(const std::string& path);
  std::map<std::string, std::optional<std::string>> directories_, answers_;
};

}  // namespace airlock
