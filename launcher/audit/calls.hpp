#pragma once
// The system calls audit mode watches whatever the profile says, and how
// to read their arguments: the open, exec, create/remove/rename, metadata
// and connect/bind/sendto families (DESIGN.md, "Audit mode").
//
// Also watched, for the observer's own bookkeeping: process creation and
// chdir (the observer caches working directories; see paths.hpp).
//
// Not watched, on purpose: stat/access/readlink (Landlock does not govern
// them and they are the most frequent calls of any build), fd-based calls
// (fchmod, ftruncate: the fd was observed when it was opened), sendmsg and
// close (the payload uses them to hand its listener over after the filter
// is loaded; see install.cpp).
#include <vector>

namespace airlock::audit {

enum class Shape {
  open,       // open(path, flags)
  openat,     // openat(dirfd, path, flags)
  openat2,    // openat2(dirfd, path, struct open_how *)
  creat,      // creat(path, mode)
  exec,       // execve(path, argv, envp)
  execat,     // execveat(dirfd, path, argv, envp, flags)
  path,       // f(path, ...)
  at_path,    // f(dirfd, path, ...)
  unlinkat,   // unlinkat(dirfd, path, flags)
  two_paths,  // f(old, new)
  two_at,     // f(olddirfd, old, newdirfd, new, ...)
  symlink,    // symlink(target, linkpath)
  symlinkat,  // symlinkat(target, newdirfd, linkpath)
  times_at,   // utimensat(dirfd, path or NULL, times, flags)
  address,    // connect/bind(fd, struct sockaddr *, len)
  sendto,     // sendto(fd, buf, len, flags, struct sockaddr *, len)
  listen,     // listen(fd, backlog)
  process,    // fork, vfork, clone, chdir, fchdir: working directories may change
};

struct WatchedCall {
  const char* name;
  Shape shape;
  unsigned use;        // Use bits for the (last) path; for open-like calls, from the flags
  unsigned first_use;  // two-path calls: what happens to the first path
  bool follow;         // a symlink in the last component is followed
  bool only_with_address = false;  // sendto: only when it names a destination
};

// The whole table; names unknown on this architecture are skipped by users.
const std::vector<WatchedCall>& watched_calls();

// The calls the payload itself makes after its listener exists and before
// execve: never notified, or the payload would wait on a supervisor that
// does not have the listener yet.
const std::vector<const char*>& never_watched();

// The Use bits of an open(2) flags value for a path that does (not) exist.
unsigned open_use(unsigned long long flags, bool exists);

}  // namespace airlock::audit
