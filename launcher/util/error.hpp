#pragma once
// Errors airlock raises itself. Every one of them ends the run with exit
// status 125 (DESIGN.md, "Exit status") unless it carries another code.
#include <stdexcept>
#include <string>

namespace airlock {

inline constexpr int kExitOwnError = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;
inline constexpr int kExitTimeout = 124;

// A failure of airlock itself: bad input, a missing kernel feature, a setup
// step that failed. The message is meant for a person.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = kExitOwnError)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// A failed system call, with the errno it failed with.
class SystemError : public Error {
 public:
  SystemError(const std::string& what, int err);
  int error_number() const noexcept { return errno_; }

 private:
  int errno_;
};

// Throws SystemError(what, errno) when rc is -1; returns rc otherwise.
long check_syscall(long rc, const std::string& what);

}  // namespace airlock
