// The payload's last steps before execve, in the order DESIGN.md gives.
// Each position matters; the reason is next to each step.
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "audit/channel.hpp"
#include "sandbox/run.hpp"

namespace airlock::sandbox {
namespace {

// Closes every descriptor above 2 except those kept, with close_range(2):
// one syscall per gap, no /proc needed.
void close_inherited_fds(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned next = 3;
  for (int fd : keep) {
    const auto ufd = static_cast<unsigned>(fd);
    if (ufd > next) check_syscall(syscall(SYS_close_range, next, ufd - 1, 0), "close_range");
    if (ufd >= next) next = ufd + 1;
  }
  check_syscall(syscall(SYS_close_range, next, ~0U, 0), "close_range");
}

void reset_signals(const std::vector<int>& ignored) {
  sigset_t none;
  sigemptyset(&none);
  check_syscall(sigprocmask(SIG_SETMASK, &none, nullptr), "sigprocmask");
  for (int sig : kRelayedSignals)
    signal(sig, std::find(ignored.begin(), ignored.end(), sig) != ignored.end() ? SIG_IGN : SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
}

std::vector<std::string> payload_env(const Spec& spec) {
  auto env = environment::to_envp(spec.env);
  if (spec.listen_fds > 0) {
    env.push_back("LISTEN_FDS=" + std::to_string(spec.listen_fds));
    env.push_back("LISTEN_PID=" + std::to_string(getpid()));
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

void payload_main(const Spec& spec, int error_fd, int ready_fd) {
  try {
    reset_signals(spec.ignored_signals);
    // Descriptors first: nothing the supervisor or init opened (and no fd to
    // a secret the caller leaked) may reach the command. The error pipe is
    // close-on-exec and goes away at execve, as does `ready`.
    auto keep = spec.pass_fds;
    keep.push_back(error_fd);
    keep.push_back(ready_fd);
    close_inherited_fds(keep);
    // While init builds the mount tree: libseccomp's work, pure computation,
    // and the loopback interface of the network namespace we share.
    const auto seccomp_programs = spec.seccomp ? seccomp::compile(*spec.seccomp) : std::vector<seccomp::Program>{};
    if (loopback_by(spec) == LoopbackBy::payload) namespaces::bring_up_loopback();
    wait_for_go_ahead(ready_fd);  // init has built the sandbox
    close(ready_fd);
    // pivot_root moved our root to the sandbox's, but not our working
    // directory (the caller's, forked before, in the old tree): it is
    // chosen again, in the sandbox's view.
    if (chdir(spec.cwd.c_str()) != 0)
      throw Error("the working directory " + spec.cwd + " is not visible in the sandbox (" + std::strerror(errno) +
                  "); add it to filesystem.read or set process.cwd");
    // rlimits before capabilities: once capabilities are gone a limit can
    // only be lowered, and lowering is all we do.
    limits::apply(spec.limits);
    // Switch user and drop capabilities before Landlock and seccomp: both
    // need syscalls (setresuid, capset) the filter may refuse.
    capabilities::apply(spec.caps);
    // no_new_privs: required by Landlock and seccomp for unprivileged use,
    // and it makes setuid binaries inside powerless.
    check_syscall(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
    // Landlock after the final mount tree exists: rules bind to the files
    // present now (after pivot_root).
    if (spec.landlock) landlock::apply(*spec.landlock);
    if (spec.executable.empty()) {
      const int code = spec.exec_errno == EACCES ? kExitNotExecutable : kExitNotFound;
      fail_to_supervisor(error_fd, code,
                         spec.argv[0] + ": " + (code == kExitNotFound ? "command not found" : "permission denied"));
    }
    auto env = payload_env(spec);
    auto argv = spec.argv;
    auto envp = c_strings(env);
    auto args = c_strings(argv);
    // seccomp last: everything before needed syscalls it may deny; after it
    // only execve runs.
    if (spec.seccomp) {
      // The gateway's handoff: connect() notifies, and the supervisor must
      // hold the listener before the command's first connect().
      const UniqueFd listener = seccomp::apply(seccomp_programs);
      if (listener) audit::channel::send_listener(error_fd, listener.get());
    }
    // Audit mode: the notification filter goes on top, and its listener to
    // the supervisor; only the hand-over and execve come after it.
    if (spec.audit) audit::start_observing(*spec.audit, error_fd);
    execve(spec.executable.c_str(), args.data(), envp.data());
    const int err = errno;
    const int code = err == ENOENT ? kExitNotFound : kExitNotExecutable;
    report_to_supervisor(error_fd, code, spec.executable + ": cannot execute: " + std::strerror(err));
    // A bare exit_group(2), not a call to a noreturn function: the filter
    // may refuse what a sanitizer build runs before such a call (ASan's
    // __asan_handle_no_return calls sigaltstack(2); under an allow-list
    // without it the ASan build died of its own CHECK, with the wrong exit
    // status). The ordinary build needs only exit_group either way.
    syscall(SYS_exit_group, code);
    _exit(code);  // only if the filter refused exit_group itself
  } catch (const std::exception& e) {
    fail_to_supervisor(error_fd, kExitOwnError, std::string("sandbox set-up failed in the payload: ") + e.what());
  }
}

}  // namespace airlock::sandbox
