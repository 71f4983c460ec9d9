#pragma once
// Runs a piece of a test in a fork()ed child, so that kernel restrictions it
// applies (capabilities, rlimits, uid changes) never touch the test process.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string>
#include <string_view>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace airlock::test {

inline constexpr int kChildThrew = 90;

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // everything the child wrote to its pipe
};

// Writes all of `text`; in a child, a short write is reported by the exit code.
inline bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const auto n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// body(out_fd) runs in the child; it may write to out_fd, exec, or _exit with
// its own code. Returning means exit 0; an exception means kChildThrew with
// "exception: <what>" written to the pipe.
template <typename Body>
ChildResult run_in_child(Body body) {
  int fds[2];
  airlock::check_syscall(::pipe2(fds, O_CLOEXEC), "pipe2");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t pid = static_cast<pid_t>(airlock::check_syscall(::fork(), "fork"));
  if (pid == 0) {
    read_end.reset();
    try {
      body(write_end.get());
    } catch (const std::exception& e) {
      (void)write_all(write_end.get(), std::string("exception: ") + e.what());
      ::_exit(kChildThrew);
    }
    ::_exit(0);
  }
  write_end.reset();
  ChildResult result;
  char buf[4096];
  for (;;) {
    const auto n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw airlock::SystemError("waitpid", errno);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace airlock::test
