#include "audit/calls.hpp"

#include <fcntl.h>

#include "audit/observations.hpp"

namespace airlock::audit {

const std::vector<WatchedCall>& watched_calls() {
  static const std::vector<WatchedCall> calls = {
      {"open", Shape::open, 0, 0, true},
      {"openat", Shape::openat, 0, 0, true},
      {"openat2", Shape::openat2, 0, 0, true},
      {"creat", Shape::creat, 0, 0, true},
      {"execve", Shape::exec, kExec, 0, true},
      {"execveat", Shape::execat, kExec, 0, true},
      {"mkdir", Shape::path, kCreate, 0, false},
      {"mkdirat", Shape::at_path, kCreate, 0, false},
      {"mknod", Shape::path, kCreate, 0, false},
      {"mknodat", Shape::at_path, kCreate, 0, false},
      {"unlink", Shape::path, kRemove, 0, false},
      {"unlinkat", Shape::unlinkat, kRemove, 0, false},
      {"rmdir", Shape::path, kRemove, 0, false},
      {"rename", Shape::two_paths, kCreate, kRemove, false},
      {"renameat", Shape::two_at, kCreate, kRemove, false},
      {"renameat2", Shape::two_at, kCreate, kRemove, false},
      {"link", Shape::two_paths, kCreate, kRead, false},
      {"linkat", Shape::two_at, kCreate, kRead, false},
      {"symlink", Shape::symlink, kCreate, 0, false},
      {"symlinkat", Shape::symlinkat, kCreate, 0, false},
      {"truncate", Shape::path, kWrite, 0, true},
      {"chmod", Shape::path, kWrite, 0, true},
      {"fchmodat", Shape::at_path, kWrite, 0, true},
      {"chown", Shape::path, kWrite, 0, true},
      {"lchown", Shape::path, kWrite, 0, false},
      {"fchownat", Shape::at_path, kWrite, 0, true},
      {"utime", Shape::path, kWrite, 0, true},
      {"utimes", Shape::path, kWrite, 0, true},
      {"futimesat", Shape::at_path, kWrite, 0, true},
      {"utimensat", Shape::times_at, kWrite, 0, true},
      {"setxattr", Shape::path, kWrite, 0, true},
      {"lsetxattr", Shape::path, kWrite, 0, false},
      {"removexattr", Shape::path, kWrite, 0, true},
      {"lremovexattr", Shape::path, kWrite, 0, false},
      {"connect", Shape::address, 0, 0, false},
      {"bind", Shape::address, 0, 0, false},
      {"sendto", Shape::sendto, 0, 0, false, true},
      {"listen", Shape::listen, 0, 0, false},
      {"fork", Shape::process, 0, 0, false},
      {"vfork", Shape::process, 0, 0, false},
      {"clone", Shape::process, 0, 0, false},
      {"chdir", Shape::process, 0, 0, false},
      {"fchdir", Shape::process, 0, 0, false},
  };
  return calls;
}

const std::vector<const char*>& never_watched() {
  static const std::vector<const char*> calls = {"sendmsg", "close", "write", "exit", "exit_group"};
  return calls;
}

unsigned open_use(unsigned long long flags, bool exists) {
  const auto mode = flags & O_ACCMODE;
  if ((flags & O_CREAT) != 0 && !exists) return kCreate;
  unsigned use = 0;
  if (mode == O_RDONLY || mode == O_RDWR) use |= kRead;
  if (mode == O_WRONLY || mode == O_RDWR || (flags & O_TRUNC) != 0) use |= kWrite;
  // O_PATH opens nothing for reading or writing: Landlock does not check it.
  if ((flags & O_PATH) != 0) use = 0;
  return use;
}

}  // namespace airlock::audit
