// The supervisor: the invoking process, outside the sandbox. It clones the
// sandbox's init into fresh namespaces, writes its id maps, relays signals,
// enforces the timeout and turns init's end into airlock's exit status.
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <memory>
#include <tuple>
#include <spdlog/spdlog.h>

#include "audit/channel.hpp"
#include "audit/observer.hpp"
#include "gateway/channel.hpp"
#include "gateway/gateway.hpp"
#include "sandbox/dns_refuser.hpp"
#include "sandbox/limit_watch.hpp"
#include "sandbox/run.hpp"
#include "util/fd.hpp"

namespace airlock::sandbox {
namespace {

Pipe make_socket_pair() {
  auto [ours, theirs] = audit::channel::make_pair();
  return {std::move(ours), std::move(theirs)};
}

void note_signal(int) {}

// Blocked signals are read from a signalfd. Each also gets a no-op handler:
// as PID 1 of a container the kernel drops signals whose disposition is
// SIG_DFL, even a `docker stop` SIGTERM from outside (pid_namespaces(7)).
UniqueFd block_and_watch_signals(const std::vector<int>& ignored, sigset_t& old_mask) {
  sigset_t set;
  sigemptyset(&set);
  struct sigaction sa {};
  sa.sa_handler = note_signal;
  for (int sig : kRelayedSignals) {
    if (std::find(ignored.begin(), ignored.end(), sig) != ignored.end()) continue;
    sigaddset(&set, sig);
    check_syscall(sigaction(sig, &sa, nullptr), "sigaction");
  }
  check_syscall(sigprocmask(SIG_BLOCK, &set, &old_mask), "sigprocmask");
  return UniqueFd(static_cast<int>(check_syscall(signalfd(-1, &set, SFD_CLOEXEC), "signalfd")));
}

// Audit mode may share the host's network namespace (audit::Watch::host_network).
pid_t clone_init(bool namespaces, bool host_network) {
  unsigned long ns = namespaces ? static_cast<unsigned long>(namespaces::clone_flags()) : 0UL;
  if (host_network) ns &= ~static_cast<unsigned long>(CLONE_NEWNET);
  const unsigned long flags = ns | SIGCHLD;
  // clone(2) without a new stack behaves like fork: the child continues here.
  const long pid = syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) {
    const int err = errno;
    if (namespaces && (err == EPERM || err == EINVAL || err == ENOSPC || err == EUSERS || err == EACCES))
      throw NamespacesUnavailable("clone into new namespaces", err);
    throw SystemError("clone of the sandbox's init", err);
  }
  return static_cast<pid_t>(pid);
}

UniqueFd arm_timer(std::chrono::milliseconds after) {
  UniqueFd fd(static_cast<int>(check_syscall(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), "timerfd_create")));
  itimerspec spec{};
  const auto ms = std::max<std::int64_t>(after.count(), 1);
  spec.it_value.tv_sec = ms / 1000;
  spec.it_value.tv_nsec = (ms % 1000) * 1'000'000;
  check_syscall(timerfd_settime(fd.get(), 0, &spec, nullptr), "timerfd_settime");
  return fd;
}

// Kills init's whole process group: with a pid namespace killing init is
// enough (the kernel kills the rest), without one the group is the sandbox.
void kill_sandbox(pid_t init, int sig) {
  kill(-init, sig);
  kill(init, sig);
}

class Supervision {
 public:
  Supervision(const Spec& spec, pid_t init, UniqueFd signals, UniqueFd errors, gateway::Gateway* gateway)
      : spec_(spec), init_(init), signals_(std::move(signals)), errors_(std::move(errors)), gateway_(gateway) {
    pidfd_ = UniqueFd(static_cast<int>(check_syscall(syscall(SYS_pidfd_open, init, 0), "pidfd_open")));
    if (spec.timeout) timer_ = arm_timer(*spec.timeout);
  }

  RunResult wait() {
    RunResult result;
    int status = 0;
    bool exited = false;
    while (!exited) {
      pollfd fds[6] = {{signals_.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}, {errors_.get(), POLLIN, 0},
                       {timer_.get(), POLLIN, 0}, {gateway_ ? gateway_->fd() : -1, POLLIN, 0},
                       {observer_ ? observer_->fd() : -1, POLLIN, 0}};
      if (poll(fds, 6, -1) < 0) {
        if (errno == EINTR) continue;
        throw SystemError("poll", errno);
      }
      if (fds[4].revents & POLLIN) gateway_->process();
      if (fds[5].revents != 0 && !observer_->process(fds[5].revents)) observer_.reset();
      if (fds[0].revents & POLLIN) relay_signal();
      if (fds[2].revents & (POLLIN | POLLHUP)) read_errors();
      if (fds[3].revents & POLLIN) on_timer(result);
      if (fds[1].revents & POLLIN) {
        if (waitpid(init_, &status, 0) == init_) exited = true;
      }
    }
    while (errors_) read_errors();
    finish(result, status);
    if (gateway_) result.network = gateway_->stats();
    return result;
  }

 private:
  void relay_signal() {
    signalfd_siginfo info{};
    if (read(signals_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return;
    spdlog::debug("relaying signal {} to the sandbox", info.ssi_signo);
    kill(init_, static_cast<int>(info.ssi_signo));
  }

  void read_errors() {
    char buf[4096];
    UniqueFd listener;
    const auto n = audit::channel::receive(errors_.get(), buf, sizeof buf, listener);
    if (listener) {
      if (!spec_.audit) {
        if (gateway_) gateway_->take_connect_listener(std::move(listener));
        return;
      }
      observer_ = std::make_unique<audit::Observer>(std::move(listener), *spec_.audit);
      // Audit behind the log-only gateway: each TCP connect() the observer
      // sees gets a listener in the sandbox before it goes on.
      if (gateway_ && spec_.gateway && spec_.gateway->log_only) {
        observer_->on_tcp_connect([gateway = gateway_](const audit::Destination& to, audit::Observer::Answer answer) {
          const auto ip = gateway::IpAddress::parse(to.address);
          if (!ip) return answer(0);
          gateway->expect({*ip, to.port}, std::move(answer));
        });
      }
      return;
    }
    if (n > 0) {
      error_text_.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      errors_.reset();  // every writer is gone: exec happened or set-up ended
    }
  }

  void on_timer(RunResult& result) {
    std::uint64_t expirations = 0;
    if (read(timer_.get(), &expirations, sizeof expirations) < 0) return;
    if (!result.timed_out) {
      result.timed_out = true;
      spdlog::warn("timeout after {} ms: sending SIGTERM, SIGKILL in {} ms", spec_.timeout->count(), spec_.grace.count());
      kill(init_, SIGTERM);
      timer_ = arm_timer(spec_.grace);
    } else {
      spdlog::warn("grace period over: killing everything in the sandbox");
      kill_sandbox(init_, SIGKILL);
      timer_.reset();
    }
  }

  void finish(RunResult& result, int status) {
    if (!error_text_.empty()) {
      const auto space = error_text_.find(' ');
      result.exit_status = std::atoi(error_text_.substr(0, space).c_str());
      result.setup_error = error_text_.substr(space + 1);
      if (result.exit_status <= 0) result.exit_status = kExitOwnError;
      return;
    }
    if (WIFEXITED(status)) {
      result.exit_status = WEXITSTATUS(status);
      if (result.exit_status > 128 && result.exit_status < 128 + 65) result.signal = result.exit_status - 128;
    } else if (WIFSIGNALED(status)) {
      result.exit_status = 128 + WTERMSIG(status);
      result.signal = WTERMSIG(status);
    }
    if (result.timed_out) result.exit_status = kExitTimeout;
  }

  const Spec& spec_;
  pid_t init_;
  UniqueFd signals_, errors_, pidfd_, timer_;
  gateway::Gateway* gateway_;
  std::unique_ptr<audit::Observer> observer_;  // audit mode, once the payload handed its listener over
  std::string error_text_;
};

// A step that ends at a limit fails in ways that do not name it (EAGAIN
// from fork, ENOSPC from a write): say which and how to raise it.
void say_limits_reached(const Spec& spec, const RunResult& result) {
  for (const auto& limit : result.limits_reached) {
    if (limit == "processes")
      spdlog::warn("the command reached limits.processes ({} tasks at once): a fork or new thread past it fails "
                   "with EAGAIN; a build that needs more sets a higher limits.processes",
                   spec.watch_limits.processes);
    else if (limit == "tmp")
      spdlog::warn("the command filled the private /tmp or /dev/shm (limits.tmp): writes there failed with ENOSPC; "
                   "a build that needs more sets a larger limits.tmp, or writes into the project");
  }
}

// The DNS refuser's names, as the gateway's refused queries are kept: in the
// report's network section and in a failing run's last lines.
void record_refused_names(const std::vector<std::string>& names, RunResult& result) {
  if (names.empty()) return;
  if (!result.network) result.network.emplace();
  for (const auto& name : names) result.network->refuse_query(name, "network.mode = \"none\" allows no network");
}

}  // namespace

RunResult run(const Spec& spec) {
  const auto start = std::chrono::steady_clock::now();
  auto sync = make_pipe();
  // In audit mode a socket pair: the payload also hands its seccomp listener over on it.
  // So does the gateway's handoff (the listener of its connect() notifications).
  const bool handoff = spec.gateway && spec.gateway->handoff;
  auto errors = spec.audit || handoff ? make_socket_pair() : make_pipe();
  auto notes = make_pipe();
  UniqueFd gateway_inside, gateway_outside;
  if (spec.gateway) std::tie(gateway_inside, gateway_outside) = gateway::channel::make_pair();
  sigset_t old_mask;
  auto signals = block_and_watch_signals(spec.ignored_signals, old_mask);

  const pid_t init = clone_init(spec.namespaces, spec.audit && spec.audit->host_network);
  if (init == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    sync.write.reset();
    errors.read.reset();
    notes.read.reset();
    gateway_outside.reset();
    init_main(spec, sync.read.get(), errors.write.get(), gateway_inside ? gateway_inside.get() : -1,
              notes.write.get());
  }
  sync.read.reset();
  errors.write.reset();
  notes.write.reset();
  gateway_inside.reset();
  std::unique_ptr<gateway::Gateway> gateway;
  try {
    if (spec.namespaces) {
      // The id map is written by the parent: an unprivileged process may only
      // map its own ids, and only from outside (user_namespaces(7)).
      // init must still be dumpable here: a non-dumpable process's
      // /proc/<pid>/uid_map belongs to root.
      namespaces::write_id_map(init, spec.id_map);
    }
    // After clone, so init holds none of the gateway's host sockets and the
    // sandbox keeps the caller's descriptor limit; before the go-ahead, so a
    // published port already in use fails the run before anything runs.
    if (spec.gateway) gateway = std::make_unique<gateway::Gateway>(*spec.gateway, std::move(gateway_outside));
    // The supervisor's environment still holds the caller's secrets: from
    // now on no process of the same uid may ptrace it or read
    // /proc/<pid>/environ (this matters most without a pid namespace).
    check_syscall(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)");
  } catch (...) {
    kill_sandbox(init, SIGKILL);
    waitpid(init, nullptr, 0);
    throw;
  }
  check_syscall(write(sync.write.get(), &kGoAhead, 1), "write to the sandbox's init");
  // sync.write stays open until we return: init polls it to learn whether we died.
  Supervision supervision(spec, init, std::move(signals), std::move(errors.read), gateway.get());
  auto result = supervision.wait();
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  result.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  // init has exited: every note it wrote is in the pipe, and EOF follows.
  const std::string init_notes = read_notes(notes.read.get());
  result.limits_reached = limits_in(init_notes);
  say_limits_reached(spec, result);
  record_refused_names(refused_names_in(init_notes), result);
  // Everything inside is gone: what stands at a watched path now stays
  // unless it is moved aside.
  refuse_left_behind(spec, result);
  return result;
}

}  // namespace airlock::sandbox
