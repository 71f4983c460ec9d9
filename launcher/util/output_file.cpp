#include "util/output_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/path.hpp"

namespace airlock {
namespace {

std::string random_suffix() {
  std::array<std::uint8_t, 8> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    throw SystemError("getrandom", errno);
  return to_hex(bytes);
}

bool beneath_any(const std::string& path, const std::vector<std::string>& roots) {
  return std::any_of(roots.begin(), roots.end(), [&](const std::string& root) { return path_within(path, root); });
}

// Opens `dir` (absolute) one component at a time and never lets the kernel
// follow a symbolic link: a link is read and its target walked the same
// way, so a link that lies where a step can write (`hostile`) is refused
// wherever the walk meets it, also behind a link outside those places.
UniqueFd open_directory(const std::string& dir, const std::vector<std::string>& hostile, const std::string& what,
                        const std::string& shown) {
  UniqueFd fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw SystemError("open /", errno);
  std::string here = "/";
  std::deque<std::string> todo;
  for (auto& part : path_components(dir)) todo.push_back(std::move(part));
  int links = 0;
  while (!todo.empty()) {
    const auto part = todo.front();
    todo.pop_front();
    if (part == ".") continue;
    const std::string next = part == ".." ? path_parent(here)
                                          : (here == "/" ? "" : here) + "/" + part;
    struct stat st {};
    if (part != ".." && ::fstatat(fd.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw SystemError(what + " " + shown + ": cannot open directory " + next, errno);
    if (part != ".." && S_ISLNK(st.st_mode)) {
      if (beneath_any(next, hostile))
        throw Error(what + " " + shown + ": " + next +
                    " is a symbolic link where a sandboxed step can write (the project or a path the profile "
                    "makes writable); airlock does not follow it (name the real directory)");
      // 40: the kernel's own limit on links followed in one lookup.
      if (++links > 40) throw SystemError(what + " " + shown, ELOOP);
      std::array<char, 4096> target{};
      const auto n = ::readlinkat(fd.get(), part.c_str(), target.data(), target.size() - 1);
      if (n < 0) throw SystemError(what + " " + shown + ": readlink " + next, errno);
      const std::string link(target.data(), static_cast<std::size_t>(n));
      auto parts = path_components(link);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      if (link.starts_with('/')) {
        fd.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!fd) throw SystemError("open /", errno);
        here = "/";
      }
      continue;
    }
    UniqueFd child = open_directory_nofollow(fd.get(), part);
    if (!child) throw SystemError(what + " " + shown + ": cannot open directory " + next, errno);
    fd = std::move(child);
    here = next;
  }
  return fd;
}

}  // namespace

OutputFile OutputFile::prepare(const std::string& path, const std::vector<std::string>& hostile,
                               const std::string& what) {
  if (path.empty()) throw Error(what + ": empty file name");
  std::string absolute = path;
  if (!path.starts_with('/')) {
    std::array<char, 4096> cwd{};
    if (!::getcwd(cwd.data(), cwd.size())) throw SystemError("getcwd", errno);
    absolute = std::string(cwd.data()) + "/" + path;
  }
  const auto slash = absolute.find_last_of('/');
  const auto dir = absolute.substr(0, slash + 1);
  const auto name = absolute.substr(slash + 1);
  if (name.empty() || name == "." || name == "..")
    throw Error(what + " " + path + ": names a directory, not a file");
  auto dir_fd = open_directory(dir, hostile, what, path);
  // O_PATH cannot be written through; the real descriptor is opened from it.
  UniqueFd real(::openat(dir_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!real) throw SystemError(what + " " + path + ": cannot open its directory", errno);
  struct stat st {};
  if (::fstatat(real.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode))
      throw Error(what + " " + path + ": is a symbolic link; airlock does not write through one (remove it first)");
    if (!S_ISREG(st.st_mode)) throw Error(what + " " + path + ": exists and is not a regular file");
  } else if (errno != ENOENT) {
    throw SystemError(what + " " + path, errno);
  }
  if (::faccessat(real.get(), ".", W_OK, AT_EACCESS) != 0)
    throw SystemError(what + " " + path + ": cannot write in its directory", errno);
  return OutputFile(std::move(real), name, path, what);
}

void OutputFile::write(const std::string& text) const {
  std::string temp;
  UniqueFd out;
  for (int attempt = 0; attempt < 16 && !out; ++attempt) {
    temp = "." + name_ + ".airlock-" + random_suffix();
    out.reset(::openat(dir_.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
    if (!out && errno != EEXIST) throw SystemError(what_ + " " + shown_ + ": cannot create a file beside it", errno);
  }
  if (!out) throw Error(what_ + " " + shown_ + ": cannot create a temporary file beside it");
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(out.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      (void)::unlinkat(dir_.get(), temp.c_str(), 0);  // best effort: the write error is what matters
      throw SystemError(what_ + " " + shown_ + ": write", err);
    }
    done += static_cast<std::size_t>(n);
  }
  // rename(2) replaces the directory entry: a symbolic link or hard link put
  // at the target meanwhile is replaced, never written through.
  if (::renameat(dir_.get(), temp.c_str(), dir_.get(), name_.c_str()) != 0) {
    const int err = errno;
    (void)::unlinkat(dir_.get(), temp.c_str(), 0);
    throw SystemError(what_ + " " + shown_ + ": cannot move it into place", err);
  }
}

}  // namespace airlock
