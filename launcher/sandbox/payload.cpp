// The payload's steps (payload.hpp); run.cpp calls them in order, and says
// why each stands where it does.
#include "sandbox/payload.hpp"

#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "sandbox/control_channel.hpp"
#include "util/error.hpp"

namespace airlock::sandbox::payload {

void reset_signals(const std::vector<int>& ignored) {
  sigset_t none;
  sigemptyset(&none);
  check_syscall(sigprocmask(SIG_SETMASK, &none, nullptr), "sigprocmask");
  // A relayed signal the caller ignores stays ignored, as without airlock.
  for (int sig : kRelayedSignals)
    signal(sig, std::find(ignored.begin(), ignored.end(), sig) != ignored.end() ? SIG_IGN : SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
}

// close_range(2): one call per gap, no /proc needed. The control channel and
// `ready` are close-on-exec and go at execve.
void close_inherited_fds(std::vector<int> keep, const Ends& ends) {
  keep.push_back(ends.control);
  keep.push_back(ends.ready);
  if (ends.host_root >= 0) keep.push_back(ends.host_root);
  std::sort(keep.begin(), keep.end());
  unsigned next = 3;
  for (int fd : keep) {
    const auto ufd = static_cast<unsigned>(fd);
    if (ufd > next) check_syscall(syscall(SYS_close_range, next, ufd - 1, 0), "close_range");
    if (ufd >= next) next = ufd + 1;
  }
  check_syscall(syscall(SYS_close_range, next, ~0U, 0), "close_range");
}

std::vector<seccomp::Program> compile_seccomp(const Spec& spec) {
  return spec.seccomp ? seccomp::compile(*spec.seccomp) : std::vector<seccomp::Program>{};
}

std::optional<landlock::Pending> start_landlock(const Spec& spec, int host_root) {
  const UniqueFd root(host_root);
  if (!spec.landlock) return std::nullopt;
  return landlock::start(*spec.landlock, root.get());
}

void enter_working_directory(const std::string& cwd) {
  if (chdir(cwd.c_str()) != 0)
    throw Error("the working directory " + cwd + " is not visible in the sandbox (" + std::strerror(errno) +
                "); add it to filesystem.read or set process.cwd");
}

void set_no_new_privs() { check_syscall(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)"); }

void fail_if_not_found(const Spec& spec, int control_fd) {
  if (!spec.executable.empty()) return;
  const int code = spec.exec_errno == EACCES ? kExitNotExecutable : kExitNotFound;
  control::fail(control_fd, code,
                spec.argv[0] + ": " + (code == kExitNotFound ? "command not found" : "permission denied"));
}

ExecArguments exec_arguments(const Spec& spec) {
  ExecArguments out;
  out.argv = spec.argv;
  out.env = environment::to_envp(spec.env);
  if (spec.listen_fds > 0) {
    out.env.push_back("LISTEN_FDS=" + std::to_string(spec.listen_fds));
    out.env.push_back("LISTEN_PID=" + std::to_string(getpid()));
  }
  for (auto& s : out.argv) out.argv_pointers.push_back(s.data());
  out.argv_pointers.push_back(nullptr);
  for (auto& s : out.env) out.env_pointers.push_back(s.data());
  out.env_pointers.push_back(nullptr);
  return out;
}

void load_seccomp(const std::vector<seccomp::Program>& programs, int control_fd) {
  if (programs.empty()) return;
  // The gateway's handoff: connect() notifies, and the supervisor must hold
  // the listener before the command's first connect().
  const UniqueFd listener = seccomp::apply(programs);
  if (listener) control::send_listener(control_fd, listener.get());
}

void exec(const Spec& spec, ExecArguments& exec, int control_fd) {
  execve(spec.executable.c_str(), exec.argv_pointers.data(), exec.env_pointers.data());
  const int err = errno;
  const int code = err == ENOENT ? kExitNotFound : kExitNotExecutable;
  control::report_failure(control_fd, code, spec.executable + ": cannot execute: " + std::strerror(err));
  // A bare exit_group(2), not a call to a noreturn function: a sanitizer
  // build runs calls before such a call (sigaltstack(2)) that the filter
  // may refuse.
  syscall(SYS_exit_group, code);
  _exit(code);  // only if the filter refused exit_group itself
}

}  // namespace airlock::sandbox::payload
