// The supervisor's steps (supervisor.hpp); run.cpp calls them in order,
// and says why each stands where it does.
#include "sandbox/supervisor.hpp"

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
#include <vector>
#include <spdlog/spdlog.h>

#include "gateway/channel.hpp"
#include "gateway/gateway.hpp"
#include "sandbox/dns_refuser.hpp"
#include "sandbox/limit_watch.hpp"
#include "util/fd.hpp"
#include "util/process.hpp"

namespace airlock::sandbox::supervisor {
namespace {
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
  Supervision(const Spec& spec, pid_t init, UniqueFd signals, UniqueFd control, gateway::Gateway* gateway,
              Monitor* monitor)
      : spec_(spec), init_(init), signals_(std::move(signals)), control_(std::move(control)), gateway_(gateway),
        monitor_(monitor) {
    pidfd_ = UniqueFd(static_cast<int>(check_syscall(syscall(SYS_pidfd_open, init, 0), "pidfd_open")));
    if (spec.timeout) timer_ = arm_timer(*spec.timeout);
  }

  RunResult wait() {
    RunResult result;
    int status = 0;
    bool exited = false;
    while (!exited) {
      pollfd fds[6] = {{signals_.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}, {control_.get(), POLLIN, 0},
                       {timer_.get(), POLLIN, 0}, {gateway_ ? gateway_->fd() : -1, POLLIN, 0},
                       {monitor_ ? monitor_->fd() : -1, POLLIN, 0}};
      if (poll(fds, 6, -1) < 0) {
        if (errno == EINTR) continue;
        throw SystemError("poll", errno);
      }
      if (fds[4].revents & POLLIN) gateway_->process();
      if (fds[5].revents != 0) monitor_->process(fds[5].revents);
      if (fds[0].revents & POLLIN) relay_signal();
      if (fds[2].revents & (POLLIN | POLLHUP)) read_control();
      if (fds[3].revents & POLLIN) on_timer(result);
      if (fds[1].revents & POLLIN) {
        if (waitpid(init_, &status, 0) == init_) exited = true;
      }
    }
    while (control_) read_control();
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

  // A set-up failure's text, or a seccomp listener: the monitor's in audit
  // mode, the gateway's handoff otherwise.
  void read_control() {
    // One message per read on a SOCK_SEQPACKET socket: room for the longest.
    std::vector<char> buf(65536);
    UniqueFd listener;
    const auto n = control::receive(control_.get(), buf.data(), buf.size(), listener);
    if (listener) {
      if (monitor_)
        monitor_->start(std::move(listener), gateway_);
      else if (gateway_)
        gateway_->take_connect_listener(std::move(listener));
      return;
    }
    if (n > 0) {
      error_text_.append(buf.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      control_.reset();  // every writer is gone: exec happened or set-up ended
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
    // init exits with the payload's status, a signal's as 128 + its number.
    result.exit_status = exit_code_of(status, result.exit_status);
    if (result.exit_status > 128 && result.exit_status < 128 + 65) result.signal = result.exit_status - 128;
    if (result.timed_out) result.exit_status = kExitTimeout;
  }

  const Spec& spec_;
  pid_t init_;
  UniqueFd signals_, control_, pidfd_, timer_;
  gateway::Gateway* gateway_;
  Monitor* monitor_;
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

init::Ends Channels::init_ends() const {
  return {go_ahead.read.get(), control_inside.get(), notes.write.get(), gateway_inside ? gateway_inside.get() : -1};
}

void Channels::close_supervisor_ends() {
  go_ahead.write.reset();
  control_outside.reset();
  notes.read.reset();
  gateway_outside.reset();
}

void Channels::close_init_ends() {
  go_ahead.read.reset();
  control_inside.reset();
  notes.write.reset();
  gateway_inside.reset();
}

Channels open_channels(const Spec& spec) {
  Channels channels;
  channels.go_ahead = make_pipe();
  std::tie(channels.control_outside, channels.control_inside) = control::make_pair();
  channels.notes = make_pipe();
  if (spec.gateway) std::tie(channels.gateway_inside, channels.gateway_outside) = gateway::channel::make_pair();
  return channels;
}

UniqueFd watch_signals(const std::vector<int>& ignored, sigset_t& old_mask) {
  std::vector<int> relayed;
  for (int sig : kRelayedSignals)
    if (std::find(ignored.begin(), ignored.end(), sig) == ignored.end()) relayed.push_back(sig);
  return airlock::watch_signals(relayed, &old_mask);
}

void restore_signal_mask(const sigset_t& mask) { check_syscall(sigprocmask(SIG_SETMASK, &mask, nullptr), "sigprocmask"); }

pid_t clone_init(const Spec& spec) {
  unsigned long ns = spec.namespaces ? static_cast<unsigned long>(namespaces::clone_flags()) : 0UL;
  // Audit of a base whose network is the host's: no network namespace.
  if (spec.host_network) ns &= ~static_cast<unsigned long>(CLONE_NEWNET);
  const unsigned long flags = ns | SIGCHLD;
  // clone(2) without a new stack behaves like fork: the child continues here.
  const long pid = syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) {
    const int err = errno;
    if (spec.namespaces && (err == EPERM || err == EINVAL || err == ENOSPC || err == EUSERS || err == EACCES))
      throw NamespacesUnavailable("clone into new namespaces", err);
    throw SystemError("clone of the sandbox's init", err);
  }
  return static_cast<pid_t>(pid);
}

std::unique_ptr<gateway::Gateway> start_gateway(const Spec& spec, Channels& channels) {
  if (!spec.gateway) return nullptr;
  return std::make_unique<gateway::Gateway>(*spec.gateway, std::move(channels.gateway_outside));
}

void stop_being_dumpable() { check_syscall(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)"); }
bool is_dumpable() { return check_syscall(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_GET_DUMPABLE)") == 1; }
void become_dumpable_again() { check_syscall(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)"); }

void kill_and_reap(pid_t init) {
  kill_sandbox(init, SIGKILL);
  waitpid(init, nullptr, 0);
}

RunResult supervise(const Spec& spec, pid_t init, UniqueFd signals, UniqueFd control, gateway::Gateway* gateway,
                    Monitor* monitor) {
  Supervision supervision(spec, init, std::move(signals), std::move(control), gateway, monitor);
  return supervision.wait();
}

void read_init_notes(const Spec& spec, int notes_fd, RunResult& result) {
  const std::string notes = read_notes(notes_fd);
  result.limits_reached = limits_in(notes);
  say_limits_reached(spec, result);
  record_refused_names(refused_names_in(notes), result);
}

}  // namespace airlock::sandbox::supervisor
